//! Place profiles and ranking: which squares and parks attract the groups,
//! and when.
//!
//! For every place of a [`Dataset`] [`PlaceProfiles::compute`] counts the
//! incidents inside it (boundary included, as
//! [`SpatialIndex::place_of_incidents`] assigns them) in the data set's
//! [`Period`], and gives
//!
//! - the rate per hour and per hour per 1,000 m², each with the exact
//!   (Garwood 1936) Poisson confidence interval: for `n` incidents over an
//!   exposure `E`, `[Γ⁻¹(α/2; n), Γ⁻¹(1 − α/2; n + 1)] / E` with Γ⁻¹ the
//!   quantile of the unit-scale gamma distribution (the lower limit is 0
//!   when `n = 0`); the same interval as R's `poisson.test` and
//!   `scipy.stats.chi2.ppf(·, 2n)/2`;
//! - counts per category ([`Incidents::categories`](crate::Incidents));
//! - an hour-of-day bucket × season matrix ([`BinSpec::of`]`(&[Hour, Season])`)
//!   of counts and rates per hour of that bin ([`TimeBinning::exposure`]),
//!   and its peak bin;
//! - a weekday/weekend split and a daylight/darkness split, each rate over
//!   its own exposure hours; darkness (sun below civil twilight) is judged at
//!   the place's centroid, for the incidents and for the exposure alike;
//! - a ranking that small places cannot win on noise (see [`PlaceProfiles`]).
//!
//! Counts are counts: an incident weighs 1 in every count, rate and
//! interval, because the Poisson model is one of counts. When the incidents
//! carry a weight column, each place's summed weight is reported beside its
//! count ([`PlaceProfile::weight`]) and used nowhere else.
//!
//! Privacy: every count from 1 to `min_count − 1` (default 5) is withheld
//! (`None`, marked `suppressed`), and so is every rate and interval derived
//! from it, in the place totals, the category counts, the matrix cells and
//! the splits. Zero stays 0. A suppressed place is not ranked. Raw incident
//! points never appear in the outputs. Where a place's total is shown, the
//! parts that add up to it (categories, hour × season cells, weekday/weekend,
//! daylight/darkness) get complementary suppression
//! ([`complementary_suppression`](crate::complementary_suppression)): one
//! withheld part is never left alone to be recovered as total − the rest.

use std::collections::BTreeSet;

use chrono_tz::Tz;
use geo::{Centroid, Geometry, MultiPolygon};
use polars::prelude::*;
use puruspe::ln_gamma;
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::change::{RateRatio, rate_ratio};
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::index::SpatialIndex;
use crate::layer::Layer;
use crate::model::Attributes;
use crate::time::{BinSpec, Darkness, Dimension, Period, TimeBinning};

/// Which rate the places are ranked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RankMetric {
    /// Incidents per hour: the load a place carries, whatever its size.
    PerHour,
    /// Incidents per hour per 1,000 m²: how concentrated the trouble is, so
    /// a small square is compared fairly with a large park (the default).
    #[default]
    PerHourPer1000m2,
}

impl RankMetric {
    /// `per_hour` or `per_hour_per_1000m2`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RankMetric::PerHour => "per_hour",
            RankMetric::PerHourPer1000m2 => "per_hour_per_1000m2",
        }
    }

    /// Parses `per_hour` / `hour` or `per_hour_per_1000m2` / `per_area` / `area`.
    ///
    /// # Errors
    /// [`Error::Parameter`] for any other name.
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "per_hour" | "hour" | "rate" => Ok(RankMetric::PerHour),
            "per_hour_per_1000m2" | "per_area" | "area" | "density" => {
                Ok(RankMetric::PerHourPer1000m2)
            }
            other => Err(Error::parameter(
                "rank metric",
                format!("{other:?}; use per_hour or per_hour_per_1000m2"),
            )),
        }
    }
}

/// A count over an exposure, its rate and exact Poisson interval, or the
/// fact that it is withheld.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateEstimate {
    /// Incidents; `None` when suppressed (1 to `min_count − 1`).
    pub count: Option<u64>,
    /// The exposure: hours, or for per-area rates hours × area / 1,000 m²
    /// ("1,000 m² hours").
    pub exposure: f64,
    /// `count / exposure`; `None` when suppressed or the exposure is 0 (the
    /// period holds no hour of this bin).
    pub rate: Option<f64>,
    /// Lower exact (Garwood) confidence limit of the rate.
    pub low: Option<f64>,
    /// Upper exact (Garwood) confidence limit of the rate.
    pub high: Option<f64>,
    /// Whether the count is withheld for privacy.
    pub suppressed: bool,
}

impl RateEstimate {
    fn new(n: u64, exposure: f64, confidence: f64, min_count: u64) -> Self {
        let suppressed = crate::privacy::is_suppressed(n, min_count);
        if suppressed {
            return Self {
                count: None,
                exposure,
                rate: None,
                low: None,
                high: None,
                suppressed,
            };
        }
        let (rate, low, high) = if exposure > 0.0 {
            let (lo, hi) = poisson_interval(n, confidence);
            (
                Some(n as f64 / exposure),
                Some(lo / exposure),
                Some(hi / exposure),
            )
        } else {
            (None, None, None)
        };
        Self {
            count: Some(n),
            exposure,
            rate,
            low,
            high,
            suppressed,
        }
    }

    /// A count withheld by complementary suppression (it may be `min_count`
    /// or more, but would let a small one be recovered by subtraction).
    fn withheld(exposure: f64) -> Self {
        Self {
            count: None,
            exposure,
            rate: None,
            low: None,
            high: None,
            suppressed: true,
        }
    }

    /// The same count over an exposure scaled by `factor` (rates divide by it).
    fn scaled(&self, factor: f64) -> Self {
        let per = |v: Option<f64>| v.map(|v| v / factor);
        Self {
            count: self.count,
            exposure: self.exposure * factor,
            rate: per(self.rate),
            low: per(self.low),
            high: per(self.high),
            suppressed: self.suppressed,
        }
    }
}

/// How a ranked place compares with the place ranked next below it.
#[derive(Debug, Clone, PartialEq)]
pub struct NextComparison {
    /// Index (in [`Dataset::places`]) of the next-ranked place.
    pub next: usize,
    /// Its id.
    pub next_id: String,
    /// The exact conditional rate-ratio test of this place's rate against
    /// the next one's ([`rate_ratio`] with A = the next place, B = this one,
    /// so `ratio` is this rate / next rate), over the ranking metric's
    /// exposures.
    pub test: RateRatio,
    /// Whether this place's rate is significantly higher than the next one's
    /// (the ratio's lower limit is above 1): "X is clearly ahead of Y".
    /// Otherwise the two cannot be told apart at the chosen confidence (or,
    /// rarely, the next one is significantly higher despite its lower
    /// ranking limit).
    pub ahead: bool,
}

/// The profile of one place.
#[derive(Debug, Clone)]
pub struct PlaceProfile {
    /// Index in [`Dataset::places`].
    pub index: usize,
    /// Place id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Kind (`square`, `park`, …).
    pub kind: String,
    /// Area in m² (in the data set's projection).
    pub area_m2: f64,
    /// Attributes as read (lighting, benches, planting, toilets, …).
    pub attributes: Attributes,
    /// Outline (WGS84), as read.
    pub geometry: MultiPolygon,
    /// Centroid (longitude, latitude), where darkness is judged.
    pub centroid: (f64, f64),
    /// Incidents in the place and period; `None` when suppressed.
    pub count: Option<u64>,
    /// Whether the place's total is withheld (1 to `min_count − 1`).
    pub suppressed: bool,
    /// Summed incident weight, when the incidents carry weights (and the
    /// count is not suppressed). Not used in any rate.
    pub weight: Option<f64>,
    /// Incidents per hour of the period, with its exact interval.
    pub rate: RateEstimate,
    /// Incidents per hour per 1,000 m² (`None` for a place without area).
    pub rate_per_1000m2: Option<RateEstimate>,
    /// Counts per category, in the order of
    /// [`PlaceProfilesResult::categories`] (`None` = suppressed).
    pub categories: Vec<Option<u64>>,
    /// The hour bucket × season matrix, row-major (hour bucket outer, season
    /// inner, as [`TimeBinning::labels`] of `BinSpec::of(&[Hour, Season])`):
    /// counts over each bin's exposure hours.
    pub hour_season: Vec<RateEstimate>,
    /// The bin of [`PlaceProfile::hour_season`] with the highest rate among
    /// those not suppressed and with incidents (ties: the higher count, then
    /// the earlier bin); `None` when there is none.
    pub peak: Option<usize>,
    /// Weekday (`[0]`) and weekend (`[1]`) counts and rates.
    pub daytype: [RateEstimate; 2],
    /// Daylight (`[0]`) and darkness (`[1]`) counts and rates, over the
    /// daylight and darkness hours at the centroid.
    pub darkness: [RateEstimate; 2],
    /// Rank (1 = first) by the lower confidence limit of the ranking metric;
    /// `None` for a suppressed place or one without the metric.
    pub rank: Option<usize>,
    /// Rank group: a new group starts below a place that is clearly ahead of
    /// the next; places in one group cannot be told apart from their
    /// neighbours. `None` when unranked.
    pub rank_group: Option<usize>,
    /// The comparison with the next-ranked place (`None` for the last and
    /// for unranked places).
    pub vs_next: Option<NextComparison>,
}

impl PlaceProfile {
    /// The estimate the ranking metric uses.
    #[must_use]
    pub fn by_metric(&self, metric: RankMetric) -> Option<&RateEstimate> {
        match metric {
            RankMetric::PerHour => Some(&self.rate),
            RankMetric::PerHourPer1000m2 => self.rate_per_1000m2.as_ref(),
        }
    }
}

/// Place profiles and a ranking, with a chosen confidence, small-count
/// threshold and ranking metric.
///
/// **Ranking.** Places are ranked by the *lower* confidence limit of the
/// chosen rate, highest first (ties: the higher point rate, the higher
/// count, then the id). The lower limit is the rate the place has at least,
/// at the chosen confidence: a square with 3 incidents on 400 m² can show the
/// highest point rate by chance, but its interval is wide and its lower limit
/// low, while a place with many incidents has a narrow interval and a lower
/// limit close to its rate. So the list is not led by noise, and a place
/// moves up only as the evidence for a high rate grows. Each ranked place is
/// then tested against the next with the exact conditional rate-ratio test
/// ([`rate_ratio`]): "clearly ahead" or "cannot be told apart".
///
/// ```
/// use byrum::*;
/// # let dir = std::env::temp_dir().join("byrum-doc-profile");
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join("incidents.csv");
/// # let mut csv = String::from("id,lon,lat,timestamp,category\n");
/// # for d in 1..=9 { csv += &format!("{d},9.9201,57.0501,2023-07-{d:02}T21:30:00+02:00,noise\n"); }
/// # csv += "10,9.9500,57.0600,2023-07-10T12:00:00+02:00,noise\n";
/// # std::fs::write(&path, csv).unwrap();
/// let mut ds = DatasetBuilder::new().incidents(IncidentReader::new().read_csv(&path)?).build()?;
/// let ring = vec![(9.920, 57.050), (9.921, 57.050), (9.921, 57.051), (9.920, 57.051)];
/// let square = geo::Polygon::new(ring.into(), vec![]);
/// ds.places = vec![Place {
///     id: "torvet".into(), name: "Torvet".into(), kind: PlaceKind::Square,
///     geometry: geo::MultiPolygon(vec![square]), attributes: Attributes::new(),
/// }];
/// let index = SpatialIndex::build(&ds)?;
/// let place_of = index.place_of_incidents(&ds);
/// let out = PlaceProfiles::new().compute(&ds, &index, &place_of, &TimeBinning::default())?;
/// let torvet = &out.places[0];
/// assert_eq!(torvet.count, Some(9));
/// assert_eq!(out.outside_places, 1);
/// assert_eq!(ds.period.hours(), 240.0); // 1–10 July
/// assert_eq!(torvet.rate.rate, Some(9.0 / 240.0));
/// assert_eq!(torvet.rank, Some(1));
/// assert_eq!(out.peak_label(torvet).as_deref(), Some("21-24_summer"));
/// assert_eq!(out.layer().len(), 1);
/// assert_eq!(out.table()?.height(), 1);
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaceProfiles {
    confidence: f64,
    min_count: u64,
    metric: RankMetric,
}

impl Default for PlaceProfiles {
    fn default() -> Self {
        Self::new()
    }
}

/// Profiles of every place, their ranking and the settings that made them.
#[derive(Debug, Clone)]
pub struct PlaceProfilesResult {
    /// Confidence level of every interval and test.
    pub confidence: f64,
    /// Counts from 1 to `min_count − 1` are withheld.
    pub min_count: u64,
    /// The ranking metric.
    pub metric: RankMetric,
    /// The analysis period.
    pub period: Period,
    /// The local time zone.
    pub zone: Tz,
    /// The period's length in hours (the exposure of the place totals).
    pub period_hours: f64,
    /// Category names, in the order of [`PlaceProfile::categories`].
    pub categories: Vec<String>,
    /// Hour bucket names (`00-03`, …).
    pub hour_labels: Vec<String>,
    /// Season names (`winter`, …).
    pub season_labels: Vec<String>,
    /// Exposure hours of each hour bucket × season bin (row-major, hour outer).
    pub hour_season_hours: Vec<f64>,
    /// Weekday and weekend hours of the period.
    pub daytype_hours: [f64; 2],
    /// Incidents in the period (inside places or not).
    pub in_period: u64,
    /// Incidents in the period outside every place.
    pub outside_places: u64,
    /// Incidents outside the period (not profiled).
    pub outside_period: u64,
    /// Whether the incidents carry weights.
    pub weighted: bool,
    /// One profile per place, in [`Dataset::places`] order.
    pub places: Vec<PlaceProfile>,
    /// Indices into `places` of the ranked places, first first.
    pub ranking: Vec<usize>,
}

impl PlaceProfiles {
    /// 95 % confidence, `min_count` 5, ranking per hour per 1,000 m².
    #[must_use]
    pub fn new() -> Self {
        Self {
            confidence: 0.95,
            min_count: 5,
            metric: RankMetric::default(),
        }
    }

    /// The confidence level, strictly between 0 and 1 (checked by
    /// [`PlaceProfiles::compute`]).
    #[must_use]
    pub fn confidence(mut self, level: f64) -> Self {
        self.confidence = level;
        self
    }

    /// Counts from 1 to `k − 1` are withheld (0 or 1 withholds nothing).
    #[must_use]
    pub fn min_count(mut self, k: u64) -> Self {
        self.min_count = k;
        self
    }

    /// The rate the places are ranked by.
    #[must_use]
    pub fn metric(mut self, metric: RankMetric) -> Self {
        self.metric = metric;
        self
    }

    /// Profiles every place of `ds`. `place_of` is each incident's place
    /// ([`SpatialIndex::place_of_incidents`], `u32::MAX` outside every
    /// place); `binning` gives the hour buckets, seasons and weekend days.
    /// Only incidents in `ds.period` are counted.
    ///
    /// # Errors
    /// [`Error::Parameter`] if the confidence is not strictly between 0 and
    /// 1, `place_of` does not hold one entry per incident or names a place
    /// that does not exist, or the period is empty.
    pub fn compute(
        &self,
        ds: &Dataset,
        index: &SpatialIndex,
        place_of: &[u32],
        binning: &TimeBinning,
    ) -> Result<PlaceProfilesResult> {
        let conf = self.confidence;
        if !(conf > 0.0 && conf < 1.0) {
            return Err(Error::parameter(
                "confidence",
                format!("{conf}: use a level strictly between 0 and 1, such as 0.95"),
            ));
        }
        let inc = &ds.incidents;
        let np = ds.places.len();
        if place_of.len() != inc.len() {
            return Err(Error::parameter(
                "place of incidents",
                format!(
                    "{} entries for {} incidents: compute it with SpatialIndex::place_of_incidents on the same data set",
                    place_of.len(),
                    inc.len()
                ),
            ));
        }
        if let Some(bad) = place_of
            .iter()
            .find(|&&p| p != u32::MAX && p as usize >= np)
        {
            return Err(Error::parameter(
                "place of incidents",
                format!(
                    "place {bad} does not exist (the data set has {np} places): compute it on the same data set"
                ),
            ));
        }
        let period = ds.period;
        let period_hours = period.hours();
        if period_hours <= 0.0 {
            return Err(Error::parameter(
                "period",
                "the analysis period is empty: give a period of at least one day",
            ));
        }

        let hs_spec = BinSpec::of(&[Dimension::Hour, Dimension::Season]);
        let day_spec = BinSpec::of(&[Dimension::DayType]);
        let dark_spec = BinSpec::of(&[Dimension::Darkness]);
        let ncat = inc.categories.values().len();
        let nhs = binning.bin_count(&hs_spec);
        let centroids: Vec<(f64, f64)> = ds
            .places
            .iter()
            .map(|p| p.geometry.centroid().map_or((0.0, 0.0), |c| (c.x(), c.y())))
            .collect();

        // Counts per place: [total, categories…, hour×season…, weekday,
        // weekend, light, dark].
        let (o_cat, o_hs) = (1, 1 + ncat);
        let o_day = o_hs + nhs;
        let o_dark = o_day + 2;
        let stride = o_dark + 2;
        let in_places: Vec<usize> = (0..inc.len())
            .filter(|&i| place_of[i] != u32::MAX && period.contains(inc.utc[i]))
            .collect();
        let counts = in_places
            .par_chunks(4096)
            .map(|chunk| {
                let mut c = vec![0u64; np * stride];
                let mut dk = Darkness::new();
                for &i in chunk {
                    let p = place_of[i] as usize;
                    let (lon, lat) = centroids[p];
                    let at = inc.instant(i);
                    let row = &mut c[p * stride..(p + 1) * stride];
                    row[0] += 1;
                    row[o_cat + inc.category[i] as usize] += 1;
                    row[o_hs + binning.bin_of(&hs_spec, at, lon, lat, &mut dk)] += 1;
                    row[o_day + binning.bin_of(&day_spec, at, lon, lat, &mut dk)] += 1;
                    row[o_dark + binning.bin_of(&dark_spec, at, lon, lat, &mut dk)] += 1;
                }
                c
            })
            .reduce(
                || vec![0u64; np * stride],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                    a
                },
            );
        let in_period = inc.utc.iter().filter(|&&t| period.contains(t)).count() as u64;
        let outside_period = inc.len() as u64 - in_period;
        let outside_places = in_period - in_places.len() as u64;
        // Weights summed in incident order, so the sums do not depend on threads.
        let weights = inc.weight.as_ref().map(|w| {
            let mut s = vec![0.0; np];
            for &i in &in_places {
                s[place_of[i] as usize] += w[i];
            }
            s
        });

        let at = ds.centre();
        let hs_hours = binning.exposure(&hs_spec, &period, ds.zone, at);
        let day_hours = binning.exposure(&day_spec, &period, ds.zone, at);
        let dark_hours: Vec<Vec<f64>> = centroids
            .par_iter()
            .map(|&c| binning.exposure(&dark_spec, &period, ds.zone, c))
            .collect();

        let k = self.min_count;
        let hidden = |n: u64| crate::privacy::is_suppressed(n, k);
        let mut places: Vec<PlaceProfile> = (0..np)
            .map(|p| {
                let row = &counts[p * stride..(p + 1) * stride];
                let pl = &ds.places[p];
                let area = index.place_area_m2(p);
                let n = row[0];
                let rate = RateEstimate::new(n, period_hours, conf, k);
                let rate_per_1000m2 = (area > 0.0).then(|| rate.scaled(area / 1000.0));
                // Parts of a shown total: complementary suppression, so that
                // no withheld part is total − the shown ones.
                let protect = |parts: &[u64]| -> Vec<bool> {
                    if hidden(n) {
                        parts.iter().map(|&m| hidden(m)).collect()
                    } else {
                        crate::privacy::complementary_suppression(parts, k)
                    }
                };
                let estimate = |m: u64, hours: f64, withheld: bool| {
                    if withheld {
                        RateEstimate::withheld(hours)
                    } else {
                        RateEstimate::new(m, hours, conf, k)
                    }
                };
                let hs_hidden = protect(&row[o_hs..o_hs + nhs]);
                let hour_season: Vec<RateEstimate> = (0..nhs)
                    .map(|b| estimate(row[o_hs + b], hs_hours[b], hs_hidden[b]))
                    .collect();
                let cat_hidden = protect(&row[o_cat..o_cat + ncat]);
                let day_hidden = protect(&row[o_day..o_day + 2]);
                let dark_hidden = protect(&row[o_dark..o_dark + 2]);
                let peak = peak_of(&hour_season);
                PlaceProfile {
                    index: p,
                    id: pl.id.clone(),
                    name: pl.name.clone(),
                    kind: pl.kind.as_str().to_owned(),
                    area_m2: area,
                    attributes: pl.attributes.clone(),
                    geometry: pl.geometry.clone(),
                    centroid: centroids[p],
                    count: rate.count,
                    suppressed: rate.suppressed,
                    weight: weights.as_ref().filter(|_| !hidden(n)).map(|w| w[p]),
                    rate,
                    rate_per_1000m2,
                    categories: (0..ncat)
                        .map(|c| Some(row[o_cat + c]).filter(|_| !cat_hidden[c]))
                        .collect(),
                    hour_season,
                    peak,
                    daytype: [0, 1].map(|d| estimate(row[o_day + d], day_hours[d], day_hidden[d])),
                    darkness: [0, 1]
                        .map(|d| estimate(row[o_dark + d], dark_hours[p][d], dark_hidden[d])),
                    rank: None,
                    rank_group: None,
                    vs_next: None,
                }
            })
            .collect();

        let ranking = rank(&mut places, self.metric, conf)?;
        let hour_labels = (0..binning.dim_len(Dimension::Hour))
            .map(|h| binning.dim_label(Dimension::Hour, h))
            .collect();
        Ok(PlaceProfilesResult {
            confidence: conf,
            min_count: k,
            metric: self.metric,
            period,
            zone: ds.zone,
            period_hours,
            categories: inc.categories.values().to_vec(),
            hour_labels,
            season_labels: binning.seasons.names().to_vec(),
            hour_season_hours: hs_hours,
            daytype_hours: [day_hours[0], day_hours[1]],
            in_period,
            outside_places,
            outside_period,
            weighted: inc.weight.is_some(),
            places,
            ranking,
        })
    }
}

/// The bin with the highest rate among those shown with incidents (ties:
/// the higher count, then the earlier bin).
fn peak_of(cells: &[RateEstimate]) -> Option<usize> {
    let mut best: Option<(usize, f64, u64)> = None;
    for (b, e) in cells.iter().enumerate() {
        let (Some(n), Some(r)) = (e.count, e.rate) else {
            continue;
        };
        if n == 0 {
            continue;
        }
        let better = match best {
            None => true,
            Some((_, br, bn)) => r.total_cmp(&br).then(n.cmp(&bn)).is_gt(),
        };
        if better {
            best = Some((b, r, n));
        }
    }
    best.map(|(b, _, _)| b)
}

/// Ranks the places by the lower limit of `metric` and tests each against
/// the next; returns the ranked indices, first first.
fn rank(places: &mut [PlaceProfile], metric: RankMetric, conf: f64) -> Result<Vec<usize>> {
    let key = |p: &PlaceProfile| -> Option<(f64, f64, u64, f64)> {
        let e = p.by_metric(metric)?;
        match (e.count, e.rate, e.low) {
            (Some(n), Some(r), Some(lo)) if e.exposure > 0.0 => Some((lo, r, n, e.exposure)),
            _ => None,
        }
    };
    let mut order: Vec<(usize, (f64, f64, u64, f64))> = places
        .iter()
        .enumerate()
        .filter_map(|(i, p)| key(p).map(|k| (i, k)))
        .collect();
    order.sort_by(|(i, a), (j, b)| {
        b.0.total_cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then(b.2.cmp(&a.2))
            .then_with(|| places[*i].id.cmp(&places[*j].id))
            .then(i.cmp(j))
    });
    let mut group = 1;
    for (r, &(i, (_, _, n, e))) in order.iter().enumerate() {
        places[i].rank = Some(r + 1);
        places[i].rank_group = Some(group);
        if let Some(&(j, (_, _, nj, ej))) = order.get(r + 1) {
            let test = rate_ratio(nj, ej, n, e, conf)?;
            let ahead = test.ratio_low > 1.0;
            if ahead {
                group += 1;
            }
            places[i].vs_next = Some(NextComparison {
                next: j,
                next_id: places[j].id.clone(),
                test,
                ahead,
            });
        }
    }
    Ok(order.into_iter().map(|(i, _)| i).collect())
}

/// The exact (Garwood) Poisson interval for the mean given `n` events, at
/// `confidence`: (Γ⁻¹(α/2; n), Γ⁻¹(1 − α/2; n + 1)), lower limit 0 for `n = 0`.
fn poisson_interval(n: u64, confidence: f64) -> (f64, f64) {
    let half = (1.0 - confidence) / 2.0;
    let lo = if n == 0 { 0.0 } else { gamma_quantile(half, n) };
    (lo, gamma_quantile(1.0 - half, n + 1))
}

/// The `q` quantile of the gamma distribution with whole-number shape
/// `a ≥ 1` and scale 1, solved by Newton steps kept inside a bisection
/// bracket, to ~1e-15 relative.
///
/// The distribution function is the Poisson tail `P(Γ_a ≤ x) = P(Pois(x) ≥ a)`,
/// summed from the mode outward with relative weights, so it stays exact for
/// shapes in the millions (places with millions of incidents).
fn gamma_quantile(q: f64, a: u64) -> f64 {
    if q <= 0.0 {
        return 0.0;
    }
    if q >= 1.0 {
        return f64::INFINITY;
    }
    let af = a as f64;
    let ln_norm = ln_gamma(af);
    // P(Γ_a ≤ x) − q, from the smaller tail so that quantiles near 1 keep
    // their accuracy: P(Pois(x) ≥ a) − q below the median, (1 − q) − P(Pois(x) < a)
    // above it (1 − q is exact for q > 1/2).
    let complement = q > 0.5;
    let f = |x: f64| {
        let (mut total, mut upper, mut lower) = (0.0, 0.0, 0.0);
        poisson_relative_pmf(x, |i, w| {
            total += w;
            if i >= a {
                upper += w;
            } else {
                lower += w;
            }
        });
        if complement {
            (1.0 - q) - lower / total
        } else {
            upper / total - q
        }
    };
    // Start from the Wilson–Hilferty approximation and bracket the root by
    // steps of growing multiples of the standard deviation √a.
    let z = -std::f64::consts::SQRT_2 * puruspe::inverfc(2.0 * q);
    let c = 1.0 / (9.0 * af);
    let x = (af * (1.0 - c + z * c.sqrt()).powi(3)).max(f64::MIN_POSITIVE);
    let (mut lo, mut hi);
    let mut step = af.sqrt().max(1.0);
    if f(x) < 0.0 {
        lo = x;
        loop {
            let t = lo + step;
            if f(t) >= 0.0 {
                hi = t;
                break;
            }
            lo = t;
            step *= 2.0;
        }
    } else {
        hi = x;
        loop {
            let t = (hi - step).max(0.0);
            if t == 0.0 || f(t) < 0.0 {
                lo = t;
                break;
            }
            hi = t;
            step *= 2.0;
        }
    }
    crate::stats::safeguarded_newton(
        f,
        |x| ((af - 1.0) * x.ln() - x - ln_norm).exp(),
        lo,
        hi,
        x,
        300,
    )
}

/// Visits Poisson(`mean`) probabilities relative to the mode's (which gets
/// weight 1), from the mode outward, until they fall below 1e-30 of it: the
/// terms shrink at least geometrically beyond that point, so what is left
/// is far below a double's resolution of the total (≥ 1).
fn poisson_relative_pmf(mean: f64, mut visit: impl FnMut(u64, f64)) {
    const TINY: f64 = 1e-30;
    let mode = mean.floor() as u64;
    visit(mode, 1.0);
    let mut w = 1.0;
    let mut i = mode;
    loop {
        w *= mean / (i + 1) as f64;
        if w < TINY {
            break;
        }
        i += 1;
        visit(i, w);
    }
    w = 1.0;
    for i in (1..=mode).rev() {
        w *= i as f64 / mean;
        if w < TINY {
            break;
        }
        visit(i - 1, w);
    }
}

/// Property names the layer and table use themselves; an attribute with one
/// of these names is written as `attr_<name>`.
const RESERVED: &[&str] = &[
    "id",
    "name",
    "kind",
    "area_m2",
    "count",
    "suppressed",
    "weight",
    "rank",
    "rank_group",
];

fn attribute_key(key: &str) -> String {
    if RESERVED.contains(&key)
        || key.starts_with("cat_")
        || key.starts_with("rate")
        || key.starts_with("peak")
        || key.starts_with("hour_season")
    {
        format!("attr_{key}")
    } else {
        key.to_owned()
    }
}

fn opt(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |x| json!(x))
}

impl PlaceProfilesResult {
    /// The ranked places, first first.
    pub fn ranked(&self) -> impl Iterator<Item = &PlaceProfile> {
        self.ranking.iter().map(|&i| &self.places[i])
    }

    /// The profile of the place with id `id`.
    #[must_use]
    pub fn place(&self, id: &str) -> Option<&PlaceProfile> {
        self.places.iter().find(|p| p.id == id)
    }

    /// The label of hour × season bin `bin` (`21-24_summer`).
    #[must_use]
    pub fn bin_label(&self, bin: usize) -> String {
        let ns = self.season_labels.len();
        format!(
            "{}_{}",
            self.hour_labels[bin / ns],
            self.season_labels[bin % ns]
        )
    }

    /// The hour bucket and season of bin `bin`.
    #[must_use]
    pub fn bin_parts(&self, bin: usize) -> (&str, &str) {
        let ns = self.season_labels.len();
        (&self.hour_labels[bin / ns], &self.season_labels[bin % ns])
    }

    /// The label of a place's peak bin, if it has one.
    #[must_use]
    pub fn peak_label(&self, place: &PlaceProfile) -> Option<String> {
        place.peak.map(|b| self.bin_label(b))
    }

    /// The places in table order: ranked first (by rank), then the unranked
    /// in data-set order.
    fn table_order(&self) -> Vec<usize> {
        let mut order = self.ranking.clone();
        order.extend((0..self.places.len()).filter(|&i| self.places[i].rank.is_none()));
        order
    }

    /// The `places.geojson` layer: one feature per place (its outline,
    /// WGS84), ranked places first, with flat properties to style on: `id`,
    /// `name`, `kind`, `area_m2`, the attributes (each under its own name, or
    /// `attr_<name>` where it would clash), `count`, `suppressed`,
    /// `exposure_hours`, `rate_per_hour` with `rate_low`/`rate_high`,
    /// `rate_per_hour_per_1000m2` with `rate_per_1000m2_low`/`_high`, `rank`,
    /// `rank_group`, `ahead_of_next`, `next_place_id`, `ratio_to_next` with
    /// `_low`/`_high` and `p_vs_next`, `peak_bin`/`peak_hour`/`peak_season`/
    /// `peak_rate`, `weekday_count`/`_rate`, `weekend_…`, `light_…`,
    /// `dark_…` (with `dark_hours`, `light_hours`), `cat_<category>` counts,
    /// and the matrix as nested objects `hour_season_count` and
    /// `hour_season_rate` (hour bucket → season → value). Withheld values
    /// are `null`.
    #[must_use]
    pub fn layer(&self) -> Layer {
        let mut layer = Layer::new("places");
        layer
            .param("confidence", self.confidence)
            .param("min_count", self.min_count)
            .param("rank_metric", self.metric.as_str())
            .param(
                "rank_rule",
                "lower confidence limit of the rank metric, highest first; exact Poisson (Garwood) intervals; ahead_of_next by the exact conditional rate-ratio test",
            )
            .param("period_hours", self.period_hours)
            .param("hour_season_bins", json!((0..self.hour_season_hours.len()).map(|b| self.bin_label(b)).collect::<Vec<_>>()))
            .param("hour_season_hours", self.hour_season_hours.clone())
            .param("weekday_hours", self.daytype_hours[0])
            .param("weekend_hours", self.daytype_hours[1])
            .param("rate_unit", "incidents per hour; per hour per 1,000 m² for rate_per_hour_per_1000m2")
            .param("darkness", "sun below civil twilight (−6°) at the place's centroid");
        let (first, last) = self.period.describe(self.zone);
        layer.param("period", json!([first, last]));
        for &i in &self.table_order() {
            let p = &self.places[i];
            let mut props = serde_json::Map::new();
            props.insert("id".into(), p.id.clone().into());
            props.insert("name".into(), p.name.clone().into());
            props.insert("kind".into(), p.kind.clone().into());
            props.insert("area_m2".into(), json!(p.area_m2));
            for (k, v) in &p.attributes {
                props.insert(attribute_key(k), v.clone());
            }
            props.insert("count".into(), json!(p.count));
            props.insert("suppressed".into(), p.suppressed.into());
            if self.weighted {
                props.insert("weight".into(), opt(p.weight));
            }
            props.insert("exposure_hours".into(), json!(p.rate.exposure));
            props.insert("rate_per_hour".into(), opt(p.rate.rate));
            props.insert("rate_low".into(), opt(p.rate.low));
            props.insert("rate_high".into(), opt(p.rate.high));
            let d = p.rate_per_1000m2;
            props.insert(
                "rate_per_hour_per_1000m2".into(),
                opt(d.and_then(|d| d.rate)),
            );
            props.insert("rate_per_1000m2_low".into(), opt(d.and_then(|d| d.low)));
            props.insert("rate_per_1000m2_high".into(), opt(d.and_then(|d| d.high)));
            props.insert("rank".into(), json!(p.rank));
            props.insert("rank_group".into(), json!(p.rank_group));
            let v = p.vs_next.as_ref();
            props.insert("ahead_of_next".into(), json!(v.map(|v| v.ahead)));
            props.insert("next_place_id".into(), json!(v.map(|v| v.next_id.clone())));
            let finite = |x: f64| if x.is_finite() { json!(x) } else { Value::Null };
            props.insert(
                "ratio_to_next".into(),
                v.map_or(Value::Null, |v| finite(v.test.ratio)),
            );
            props.insert(
                "ratio_to_next_low".into(),
                v.map_or(Value::Null, |v| finite(v.test.ratio_low)),
            );
            props.insert(
                "ratio_to_next_high".into(),
                v.map_or(Value::Null, |v| finite(v.test.ratio_high)),
            );
            props.insert("p_vs_next".into(), json!(v.map(|v| v.test.p)));
            let peak = p.peak.map(|b| (b, self.bin_parts(b)));
            props.insert("peak_bin".into(), json!(p.peak.map(|b| self.bin_label(b))));
            props.insert("peak_hour".into(), json!(peak.map(|(_, (h, _))| h)));
            props.insert("peak_season".into(), json!(peak.map(|(_, (_, s))| s)));
            props.insert(
                "peak_rate".into(),
                opt(p.peak.and_then(|b| p.hour_season[b].rate)),
            );
            for (name, e, hours) in [
                ("weekday", &p.daytype[0], None),
                ("weekend", &p.daytype[1], None),
                ("light", &p.darkness[0], Some("light_hours")),
                ("dark", &p.darkness[1], Some("dark_hours")),
            ] {
                props.insert(format!("{name}_count"), json!(e.count));
                props.insert(format!("{name}_rate"), opt(e.rate));
                if let Some(h) = hours {
                    props.insert(h.into(), json!(e.exposure));
                }
            }
            for (c, name) in self.categories.iter().enumerate() {
                props.insert(format!("cat_{name}"), json!(p.categories[c]));
            }
            let ns = self.season_labels.len();
            let (mut counts, mut rates) = (serde_json::Map::new(), serde_json::Map::new());
            for (h, hour) in self.hour_labels.iter().enumerate() {
                let (mut c, mut r) = (serde_json::Map::new(), serde_json::Map::new());
                for (s, season) in self.season_labels.iter().enumerate() {
                    let e = &p.hour_season[h * ns + s];
                    c.insert(season.clone(), json!(e.count));
                    r.insert(season.clone(), opt(e.rate));
                }
                counts.insert(hour.clone(), Value::Object(c));
                rates.insert(hour.clone(), Value::Object(r));
            }
            props.insert("hour_season_count".into(), Value::Object(counts));
            props.insert("hour_season_rate".into(), Value::Object(rates));
            layer.push(outline(p), props);
        }
        layer
    }

    /// The place profile table (`place_profiles.csv`): one row per place,
    /// ranked places first, with `rank`, `rank_group`, `place_id`,
    /// `place_name`, `place_kind`, `area_m2`, one column per attribute (named
    /// as in [`PlaceProfilesResult::layer`]; booleans, numbers or text),
    /// `count`, `suppressed`, (`weight` when weighted), `exposure_hours`,
    /// `rate_per_hour`, `rate_low`, `rate_high`, `rate_per_hour_per_1000m2`,
    /// `rate_per_1000m2_low`, `rate_per_1000m2_high`, `ahead_of_next`,
    /// `next_place_id`, `ratio_to_next`, `ratio_to_next_low`,
    /// `ratio_to_next_high`, `p_vs_next`, `peak_bin`, `peak_hour`,
    /// `peak_season`, `peak_rate`, then for `weekday`, `weekend`, `light` and
    /// `dark`: `_count`, `_hours`, `_rate`, `_low`, `_high`, and
    /// `cat_<category>` counts. Withheld values are null.
    ///
    /// # Errors
    /// A polars error if the frame cannot be built.
    pub fn table(&self) -> Result<DataFrame> {
        let order = self.table_order();
        let ps: Vec<&PlaceProfile> = order.iter().map(|&i| &self.places[i]).collect();
        let f =
            |g: &dyn Fn(&PlaceProfile) -> Option<f64>| ps.iter().map(|p| g(p)).collect::<Vec<_>>();
        let u =
            |g: &dyn Fn(&PlaceProfile) -> Option<u64>| ps.iter().map(|p| g(p)).collect::<Vec<_>>();
        let s = |g: &dyn Fn(&PlaceProfile) -> Option<String>| {
            ps.iter().map(|p| g(p)).collect::<Vec<_>>()
        };
        let finite = |x: f64| Some(x).filter(|x| x.is_finite());
        let mut cols = vec![
            Column::new("rank".into(), u(&|p| p.rank.map(|r| r as u64))),
            Column::new("rank_group".into(), u(&|p| p.rank_group.map(|r| r as u64))),
            Column::new("place_id".into(), s(&|p| Some(p.id.clone()))),
            Column::new("place_name".into(), s(&|p| Some(p.name.clone()))),
            Column::new("place_kind".into(), s(&|p| Some(p.kind.clone()))),
            Column::new("area_m2".into(), f(&|p| Some(p.area_m2))),
        ];
        cols.extend(attribute_columns(&ps));
        cols.push(Column::new("count".into(), u(&|p| p.count)));
        cols.push(Column::new(
            "suppressed".into(),
            ps.iter().map(|p| p.suppressed).collect::<Vec<_>>(),
        ));
        if self.weighted {
            cols.push(Column::new("weight".into(), f(&|p| p.weight)));
        }
        cols.extend([
            Column::new("exposure_hours".into(), f(&|p| Some(p.rate.exposure))),
            Column::new("rate_per_hour".into(), f(&|p| p.rate.rate)),
            Column::new("rate_low".into(), f(&|p| p.rate.low)),
            Column::new("rate_high".into(), f(&|p| p.rate.high)),
            Column::new(
                "rate_per_hour_per_1000m2".into(),
                f(&|p| p.rate_per_1000m2.and_then(|d| d.rate)),
            ),
            Column::new(
                "rate_per_1000m2_low".into(),
                f(&|p| p.rate_per_1000m2.and_then(|d| d.low)),
            ),
            Column::new(
                "rate_per_1000m2_high".into(),
                f(&|p| p.rate_per_1000m2.and_then(|d| d.high)),
            ),
            Column::new(
                "ahead_of_next".into(),
                ps.iter()
                    .map(|p| p.vs_next.as_ref().map(|v| v.ahead))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "next_place_id".into(),
                s(&|p| p.vs_next.as_ref().map(|v| v.next_id.clone())),
            ),
            Column::new(
                "ratio_to_next".into(),
                f(&|p| p.vs_next.as_ref().and_then(|v| finite(v.test.ratio))),
            ),
            Column::new(
                "ratio_to_next_low".into(),
                f(&|p| p.vs_next.as_ref().and_then(|v| finite(v.test.ratio_low))),
            ),
            Column::new(
                "ratio_to_next_high".into(),
                f(&|p| p.vs_next.as_ref().and_then(|v| finite(v.test.ratio_high))),
            ),
            Column::new(
                "p_vs_next".into(),
                f(&|p| p.vs_next.as_ref().map(|v| v.test.p)),
            ),
            Column::new("peak_bin".into(), s(&|p| p.peak.map(|b| self.bin_label(b)))),
            Column::new(
                "peak_hour".into(),
                s(&|p| p.peak.map(|b| self.bin_parts(b).0.to_owned())),
            ),
            Column::new(
                "peak_season".into(),
                s(&|p| p.peak.map(|b| self.bin_parts(b).1.to_owned())),
            ),
            Column::new(
                "peak_rate".into(),
                f(&|p| p.peak.and_then(|b| p.hour_season[b].rate)),
            ),
        ]);
        let splits: [(&str, Pick); 4] = [
            ("weekday", |p| &p.daytype[0]),
            ("weekend", |p| &p.daytype[1]),
            ("light", |p| &p.darkness[0]),
            ("dark", |p| &p.darkness[1]),
        ];
        for (name, pick) in splits {
            cols.push(Column::new(
                format!("{name}_count").into(),
                u(&|p| pick(p).count),
            ));
            cols.push(Column::new(
                format!("{name}_hours").into(),
                f(&|p| Some(pick(p).exposure)),
            ));
            cols.push(Column::new(
                format!("{name}_rate").into(),
                f(&|p| pick(p).rate),
            ));
            cols.push(Column::new(
                format!("{name}_low").into(),
                f(&|p| pick(p).low),
            ));
            cols.push(Column::new(
                format!("{name}_high").into(),
                f(&|p| pick(p).high),
            ));
        }
        for (c, name) in self.categories.iter().enumerate() {
            cols.push(Column::new(
                format!("cat_{name}").into(),
                u(&|p| p.categories[c]),
            ));
        }
        Ok(DataFrame::new_infer_height(cols)?)
    }

    /// The long hour × season table (`place_hour_season.csv`): one row per
    /// place (in table order) and bin, with `place_id`, `place_name`,
    /// `hour`, `season`, `bin`, `count`, `exposure_hours`, `rate_per_hour`,
    /// `rate_low`, `rate_high`, `rate_per_hour_per_1000m2`, `suppressed` and
    /// `is_peak`. Withheld values are null.
    ///
    /// # Errors
    /// A polars error if the frame cannot be built.
    pub fn hour_season_table(&self) -> Result<DataFrame> {
        let (mut id, mut name, mut hour, mut season, mut bin) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut count, mut hours, mut rate, mut low, mut high, mut dens) = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        let (mut supp, mut peak) = (Vec::new(), Vec::new());
        for &i in &self.table_order() {
            let p = &self.places[i];
            for (b, e) in p.hour_season.iter().enumerate() {
                let (h, s) = self.bin_parts(b);
                id.push(p.id.clone());
                name.push(p.name.clone());
                hour.push(h.to_owned());
                season.push(s.to_owned());
                bin.push(self.bin_label(b));
                count.push(e.count);
                hours.push(e.exposure);
                rate.push(e.rate);
                low.push(e.low);
                high.push(e.high);
                dens.push(
                    e.rate
                        .filter(|_| p.area_m2 > 0.0)
                        .map(|r| r / (p.area_m2 / 1000.0)),
                );
                supp.push(e.suppressed);
                peak.push(p.peak == Some(b));
            }
        }
        Ok(DataFrame::new_infer_height(vec![
            Column::new("place_id".into(), id),
            Column::new("place_name".into(), name),
            Column::new("hour".into(), hour),
            Column::new("season".into(), season),
            Column::new("bin".into(), bin),
            Column::new("count".into(), count),
            Column::new("exposure_hours".into(), hours),
            Column::new("rate_per_hour".into(), rate),
            Column::new("rate_low".into(), low),
            Column::new("rate_high".into(), high),
            Column::new("rate_per_hour_per_1000m2".into(), dens),
            Column::new("suppressed".into(), supp),
            Column::new("is_peak".into(), peak),
        ])?)
    }
}

/// Picks one split estimate of a profile.
type Pick = fn(&PlaceProfile) -> &RateEstimate;

/// A place's outline as a single polygon where it is one, else a multipolygon.
fn outline(p: &PlaceProfile) -> Geometry {
    match p.geometry.0.as_slice() {
        [one] => Geometry::Polygon(one.clone()),
        _ => Geometry::MultiPolygon(p.geometry.clone()),
    }
}

/// One column per attribute key (over all places, sorted by key): boolean
/// when every present value is a boolean, integer when every one is an
/// integer, float when every one is a number, text otherwise (JSON text for
/// arrays and objects). Missing values are null.
fn attribute_columns(ps: &[&PlaceProfile]) -> Vec<Column> {
    let mut keys: BTreeSet<&str> = BTreeSet::new();
    for p in ps {
        for k in p.attributes.keys() {
            keys.insert(k);
        }
    }
    keys.into_iter()
        .map(|k| {
            let vals: Vec<Option<&Value>> = ps
                .iter()
                .map(|p| p.attributes.get(k).filter(|v| !v.is_null()))
                .collect();
            let present = || vals.iter().flatten();
            let name: PlSmallStr = attribute_key(k).into();
            if present().all(|v| v.is_boolean()) {
                Column::new(
                    name,
                    vals.iter()
                        .map(|v| v.and_then(Value::as_bool))
                        .collect::<Vec<_>>(),
                )
            } else if present().all(|v| v.is_i64()) {
                Column::new(
                    name,
                    vals.iter()
                        .map(|v| v.and_then(Value::as_i64))
                        .collect::<Vec<_>>(),
                )
            } else if present().all(|v| v.is_number()) {
                Column::new(
                    name,
                    vals.iter()
                        .map(|v| v.and_then(Value::as_f64))
                        .collect::<Vec<_>>(),
                )
            } else {
                Column::new(
                    name,
                    vals.iter()
                        .map(|v| {
                            v.map(|v| match v {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            })
                        })
                        .collect::<Vec<_>>(),
                )
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::float_cmp)]
mod tests {
    use super::*;

    /// Exact Poisson limits for the mean, (n, lower, upper), from SciPy 1.17.1:
    /// `chi2.ppf(alpha/2, 2*n)/2` and `chi2.ppf(1 - alpha/2, 2*n + 2)/2`
    /// (equal to `gamma.ppf(alpha/2, n)`; R's `poisson.test(n)$conf.int`).
    const GARWOOD_95: &[(u64, f64, f64)] = &[
        (0, 0.0, 3.688_879_454_113_935_4),
        (1, 0.025_317_807_984_289_897, 5.571_643_390_938_898),
        (3, 0.618_672_122_895_601_5, 8.767_273_069_742_323),
        (7, 2.814_363_051_519_867, 14.422_675_361_702_376),
        (10, 4.795_388_696_132_433_5, 18.390_356_042_017_78),
        (40, 28.576_586_441_788_965, 54.468_646_963_984_064),
        (60, 45.786_320_950_007_266, 77.231_893_406_643_32),
        (1000, 938.973_018_407_695_2, 1_063.952_136_016_302),
        (1_000_000, 998_040.983_340_293_9, 1_001_961.911_945_432_2),
        (10_000_000, 9_993_802.996_884_268, 10_006_199.897_731_498),
    ];
    const GARWOOD_90: &[(u64, f64, f64)] = &[
        (0, 0.0, 2.995_732_273_553_989_5),
        (1, 0.051_293_294_387_550_53, 4.743_864_518_390_577),
        (3, 0.817_691_447_163_953_3, 7.753_656_527_932_725),
        (40, 30.195_739_194_344_732, 52.069_369_115_136_936),
        (1000, 948.559_849_383_651_1, 1_053.603_122_133_300_8),
        (10_000_000, 9_994_799.084_697_776, 10_005_203.052_591_262),
    ];

    #[test]
    fn garwood_matches_scipy() {
        for (conf, table) in [(0.95, GARWOOD_95), (0.90, GARWOOD_90)] {
            for &(n, lo, hi) in table {
                let (l, h) = poisson_interval(n, conf);
                let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1e-300);
                assert!(
                    close(l, lo) || (lo == 0.0 && l == 0.0),
                    "{conf} {n}: {l} vs {lo}"
                );
                assert!(close(h, hi), "{conf} {n}: {h} vs {hi}");
            }
        }
    }

    #[test]
    fn gamma_quantile_of_shape_one_is_exponential() {
        for q in [1e-9, 0.025, 0.5, 0.975, 1.0 - 1e-9] {
            let x = gamma_quantile(q, 1);
            let want = -(-q).ln_1p();
            assert!((x - want).abs() <= 1e-13 * want, "{q}: {x} vs {want}");
        }
    }

    #[test]
    fn peak_tie_break() {
        let e = |n: u64, hours: f64| RateEstimate::new(n, hours, 0.95, 5);
        // Equal rates 10/100 and 20/200: the higher count wins; then the earlier bin.
        assert_eq!(peak_of(&[e(10, 100.0), e(20, 200.0), e(0, 1.0)]), Some(1));
        assert_eq!(peak_of(&[e(10, 100.0), e(10, 100.0)]), Some(0));
        // Suppressed and empty cells never peak.
        assert_eq!(peak_of(&[e(3, 1.0), e(0, 1.0)]), None);
    }

    #[test]
    fn metric_names() {
        assert_eq!(RankMetric::parse("per-hour").unwrap(), RankMetric::PerHour);
        assert_eq!(
            RankMetric::parse("per_area").unwrap(),
            RankMetric::PerHourPer1000m2
        );
        assert!(RankMetric::parse("loudness").is_err());
    }
}
