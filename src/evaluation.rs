//! Evaluating an intervention (new lighting, benches, a moved service) at a
//! place from a date: before/after rate ratio, control places (ratio of
//! ratios, difference in differences), displacement into a buffer ring
//! (weighted displacement quotient) and, for lighting, darkness versus
//! daylight at the same clock hours.
//!
//! # Windows
//! The before and after windows are whole local dates, `before = [d − L, d)`
//! and `after = [d, d + L)`, chosen so that both cover the same seasons
//! ([`WindowRule`]):
//!
//! 1. `whole_years`: `L` is the largest whole number of years available on
//!    both sides of `d` within the data period (`d − L` years on or after the
//!    first date, `d + L` years on or before the day after the last date).
//! 2. `same_span_one_year_earlier`: less than a year after `d` but a year
//!    before it: `after = [d, end)`, `before` = the same calendar span one
//!    year earlier, `[d − 1 year, end − 1 year)`.
//! 3. `same_span_one_year_later`: less than a year before `d` but a year after
//!    it: `before = [start, d)`, `after` = the same calendar span one year
//!    later, `[start + 1 year, d + 1 year)` (the days in between are not used).
//! 4. `adjacent_days`: otherwise, equal adjacent windows of the largest
//!    number of days on both sides; the seasons differ, and a warning says so.
//!
//! A 29 February moved by whole years becomes 28 February. The exposure of
//! each window is its length in real hours ([`Period::hours`], daylight saving
//! included).
//!
//! # Statistics
//! - The place: counts before `A_b` and after `A_a`, and the exact
//!   conditional rate ratio ([`rate_ratio`](crate::rate_ratio), as R's
//!   `poisson.test`).
//! - Controls: the list given to [`Evaluation::controls`], else the
//!   intervention's own list (the `controls` column of the interventions
//!   file), else every other place with no intervention dated in the windows
//!   and not within the buffer distance of the treated place (so that
//!   displacement does not reach them). Choose comparable places with no
//!   other known change: a control with its own trend biases every
//!   controlled estimate. Their counts
//!   are pooled (`C_b`, `C_a`). The **ratio of ratios** `(A_a/A_b)/(C_a/C_b)`
//!   (the exposures cancel) has a Woolf interval on the log scale,
//!   `var = 1/A_a + 1/A_b + 1/C_a + 1/C_b`, and the normal test of log 1 —
//!   the 2 × 2 table's sample odds ratio (as SciPy's
//!   `odds_ratio(kind="sample")`). The **difference in differences** of rates
//!   per 1,000 hours compares the place with the average control place
//!   (pooled count over `n` control places × window hours), with a normal
//!   interval from the Poisson variances `count / hours²`.
//! - Displacement: the **buffer ring** is the place buffered by `w` metres
//!   (round joins, in the projection) minus the place itself and minus every
//!   other place (a place is its own unit: incidents in a neighbouring square
//!   count there, not in the ring). With ring counts `B_b`, `B_a`, the
//!   **weighted displacement quotient** of Bowers & Johnson (2003) is
//!   `WDQ = (B_a/C_a − B_b/C_b) / (A_a/C_a − A_b/C_b)`, read as in Ratcliffe:
//!   it is only meaningful when the success measure `A_a/C_a − A_b/C_b` is
//!   negative (the place improved relative to the controls); then WDQ > 0 is
//!   diffusion of benefit, > 1 diffusion greater than the direct effect,
//!   < 0 displacement, < −1 displacement greater than the direct effect. The
//!   **total net effect** (incidents prevented, net of displacement) is
//!   `(A_b·C_a/C_b − A_a) + (B_b·C_a/C_b − B_a)`.
//! - Lighting (kind `lighting`, or always with [`LightingSplit::Always`]):
//!   only the local clock hours that are dark on some days and light on
//!   others — at least one hour of darkness and one of daylight in that
//!   clock hour in each window, at the place's centroid — are kept. Incidents
//!   there are split by darkness at their own position and instant
//!   ([`TimeBinning::assign`] with `[Hour, Darkness]`); exposures are the
//!   dark and light hours ([`TimeBinning::exposure`]). `RR_dark` and
//!   `RR_light` are exact rate ratios; their ratio has a Woolf interval
//!   (`var = 1/d_a + 1/d_b + 1/l_a + 1/l_b`). Lighting that works lowers
//!   `RR_dark` and leaves `RR_light` near 1.
//!
//! # Privacy
//! [`Evaluations::table`] and [`Evaluations::layer`] write every count from
//! 1 to `min_count − 1` as null, and every rate, ratio or quotient derived
//! from such a count, with `suppressed: true`. The result structs keep the
//! raw numbers for further computation; do not publish them directly.

use chrono::{Months, NaiveDate};
use geo::{Area, BooleanOps, BoundingRect, Buffer, Centroid, Intersects, MultiPolygon, Point};
use polars::prelude::{Column, DataFrame};
use serde::Serialize;
use serde_json::Value;

use crate::change::{RateRatio, rate_ratio};
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::index::SpatialIndex;
use crate::layer::Layer;
use crate::read::interventions::{Intervention, InterventionKind};
use crate::stats::normal_two_sided_p;
use crate::time::{BinSpec, Dimension, HourBuckets, Period, TimeBinning};

/// Which places serve as controls.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Controls {
    /// The intervention's own list ([`Intervention::controls`]) if it has
    /// one, else every other place with no intervention dated in the windows
    /// and not within the buffer distance of the treated place.
    #[default]
    Auto,
    /// These place ids, for every intervention.
    Places(Vec<String>),
}

/// When to compare darkness with daylight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LightingSplit {
    /// For interventions of kind [`InterventionKind::Lighting`] only.
    #[default]
    Auto,
    /// For every intervention.
    Always,
    /// Never.
    Never,
}

/// How the before and after windows were chosen (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowRule {
    /// `[d − L, d)` and `[d, d + L)` with `L` whole years.
    WholeYears,
    /// After is `[d, end)`; before is the same span a year earlier.
    SameSpanOneYearEarlier,
    /// Before is `[start, d)`; after is the same span a year later.
    SameSpanOneYearLater,
    /// Equal adjacent windows in days; the seasons differ.
    AdjacentDays,
}

impl WindowRule {
    /// The rule's name (`whole_years`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WholeYears => "whole_years",
            Self::SameSpanOneYearEarlier => "same_span_one_year_earlier",
            Self::SameSpanOneYearLater => "same_span_one_year_later",
            Self::AdjacentDays => "adjacent_days",
        }
    }

    /// Whether both windows cover the same calendar days of the year.
    #[must_use]
    pub fn seasons_match(self) -> bool {
        self != Self::AdjacentDays
    }
}

/// The before and after windows of one intervention.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Windows {
    /// First local date of the before window.
    pub before_first: NaiveDate,
    /// Last local date of the before window (inclusive).
    pub before_last: NaiveDate,
    /// First local date of the after window.
    pub after_first: NaiveDate,
    /// Last local date of the after window (inclusive).
    pub after_last: NaiveDate,
    /// The before window in UTC.
    pub before: Period,
    /// The after window in UTC.
    pub after: Period,
    /// How the windows were chosen.
    pub rule: WindowRule,
    /// `L` in years for [`WindowRule::WholeYears`], else 0.
    pub years: u32,
}

impl Windows {
    /// Chooses the windows for an intervention from local date `date`, in
    /// data covering the local dates `first..=last` (see the module docs).
    ///
    /// ```
    /// use byrum::{Windows, WindowRule, parse_zone};
    /// let tz = parse_zone("Europe/Copenhagen")?;
    /// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    /// let w = Windows::choose(tz, d("2020-01-01"), d("2023-12-31"), d("2022-03-15"))?;
    /// assert_eq!((w.rule, w.years), (WindowRule::WholeYears, 1));
    /// assert_eq!((w.before_first, w.after_last), (d("2021-03-15"), d("2023-03-14")));
    /// # Ok::<(), byrum::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Parameter`] unless `first < date ≤ last`.
    pub fn choose(
        zone: chrono_tz::Tz,
        first: NaiveDate,
        last: NaiveDate,
        date: NaiveDate,
    ) -> Result<Self> {
        if date <= first || date > last {
            return Err(Error::parameter(
                "intervention date",
                format!(
                    "{date} leaves no before and after window in the data, which covers {first} to {last}"
                ),
            ));
        }
        let end = last.succ_opt().unwrap_or(last);
        let years_back = |n: u32| date.checked_sub_months(Months::new(12 * n));
        let years_on = |from: NaiveDate, n: u32| from.checked_add_months(Months::new(12 * n));
        let mut years = 0;
        while years_back(years + 1).is_some_and(|b| b >= first)
            && years_on(date, years + 1).is_some_and(|a| a <= end)
        {
            years += 1;
        }
        let year_before_ok = years_back(1).is_some_and(|b| b >= first);
        let year_after_ok = years_on(date, 1).is_some_and(|a| a <= end);
        let (b0, b1, a0, a1, rule) = if years > 0 {
            let b0 = years_back(years).unwrap_or(first);
            let a1 = years_on(date, years).unwrap_or(end);
            (b0, date, date, a1, WindowRule::WholeYears)
        } else if !year_after_ok && year_before_ok {
            let b0 = years_back(1).unwrap_or(first);
            let b1 = end.checked_sub_months(Months::new(12)).unwrap_or(date);
            (b0, b1, date, end, WindowRule::SameSpanOneYearEarlier)
        } else if !year_before_ok && year_after_ok {
            let a0 = years_on(first, 1).unwrap_or(date);
            let a1 = years_on(date, 1).unwrap_or(end);
            (first, date, a0, a1, WindowRule::SameSpanOneYearLater)
        } else {
            let days = (date - first).num_days().min((end - date).num_days());
            let span = chrono::Duration::days(days);
            (
                date - span,
                date,
                date,
                date + span,
                WindowRule::AdjacentDays,
            )
        };
        let before_last = b1.pred_opt().unwrap_or(b1);
        let after_last = a1.pred_opt().unwrap_or(a1);
        Ok(Self {
            before_first: b0,
            before_last,
            after_first: a0,
            after_last,
            before: Period::local_dates(zone, b0, before_last)?,
            after: Period::local_dates(zone, a0, after_last)?,
            rule,
            years,
        })
    }

    /// Hours in the before window.
    #[must_use]
    pub fn before_hours(&self) -> f64 {
        self.before.hours()
    }

    /// Hours in the after window.
    #[must_use]
    pub fn after_hours(&self) -> f64 {
        self.after.hours()
    }
}

/// An estimate with a confidence interval and a two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The point estimate.
    pub estimate: f64,
    /// Lower confidence limit.
    pub low: f64,
    /// Upper confidence limit.
    pub high: f64,
    /// Two-sided p-value of no effect (ratio 1, difference 0).
    pub p: f64,
    /// Whether the interval excludes no effect.
    pub significant: bool,
}

impl Estimate {
    /// A ratio of two ratios of counts, `(a1/a0)/(b1/b0)` times `scale`, with
    /// a Woolf interval on the log scale; `None` when a count is 0.
    fn woolf(a0: u64, a1: u64, b0: u64, b1: u64, scale: f64, z: f64) -> Option<Self> {
        if a0 == 0 || a1 == 0 || b0 == 0 || b1 == 0 {
            return None;
        }
        let (a0, a1, b0, b1) = (a0 as f64, a1 as f64, b0 as f64, b1 as f64);
        let log = ((a1 / a0) / (b1 / b0) * scale).ln();
        let se = (1.0 / a0 + 1.0 / a1 + 1.0 / b0 + 1.0 / b1).sqrt();
        let (low, high) = ((log - z * se).exp(), (log + z * se).exp());
        Some(Self {
            estimate: log.exp(),
            low,
            high,
            p: normal_two_sided_p(log / se),
            significant: low > 1.0 || high < 1.0,
        })
    }

    /// A difference with a normal interval from its variance.
    fn normal_difference(estimate: f64, variance: f64, z: f64) -> Self {
        let se = variance.max(0.0).sqrt();
        let p = if se > 0.0 {
            normal_two_sided_p(estimate / se)
        } else {
            1.0
        };
        let (low, high) = (estimate - z * se, estimate + z * se);
        Self {
            estimate,
            low,
            high,
            p,
            significant: low > 0.0 || high < 0.0,
        }
    }
}

/// How to read a weighted displacement quotient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WdqReading {
    /// No control places: nothing to weigh by.
    NoControls,
    /// The place did not improve relative to the controls (success measure
    /// ≥ 0): the quotient is not meaningful.
    NoReduction,
    /// WDQ > 1: the ring improved more than the place.
    DiffusionGreaterThanDirect,
    /// 0 < WDQ ≤ 1: diffusion of benefit into the ring.
    Diffusion,
    /// WDQ = 0: the ring did not change relative to the controls.
    Neither,
    /// −1 ≤ WDQ < 0: some displacement into the ring, less than the direct effect.
    Displacement,
    /// WDQ < −1: displacement greater than the direct effect.
    DisplacementGreaterThanDirect,
}

impl WdqReading {
    /// The reading's name (`diffusion`, `displacement`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoControls => "no_controls",
            Self::NoReduction => "not_meaningful_no_reduction",
            Self::DiffusionGreaterThanDirect => "diffusion_greater_than_direct_effect",
            Self::Diffusion => "diffusion_of_benefit",
            Self::Neither => "neither",
            Self::Displacement => "displacement",
            Self::DisplacementGreaterThanDirect => "displacement_greater_than_direct_effect",
        }
    }

    fn of(wdq: f64) -> Self {
        if wdq > 1.0 {
            Self::DiffusionGreaterThanDirect
        } else if wdq > 0.0 {
            Self::Diffusion
        } else if wdq == 0.0 {
            Self::Neither
        } else if wdq >= -1.0 {
            Self::Displacement
        } else {
            Self::DisplacementGreaterThanDirect
        }
    }
}

/// Displacement or diffusion into the buffer ring.
#[derive(Debug, Clone, PartialEq)]
pub struct Displacement {
    /// The ring width in metres.
    pub buffer_m: f64,
    /// The ring's area in square metres (place and other places removed).
    pub ring_area_m2: f64,
    /// The ring in WGS84.
    pub ring: MultiPolygon,
    /// Incidents in the ring before, `B_b`.
    pub before: u64,
    /// Incidents in the ring after, `B_a`.
    pub after: u64,
    /// `A_a/C_a − A_b/C_b` (negative: the place improved relative to the controls).
    pub success_measure: Option<f64>,
    /// `B_a/C_a − B_b/C_b`.
    pub buffer_measure: Option<f64>,
    /// The weighted displacement quotient, when meaningful.
    pub wdq: Option<f64>,
    /// How to read it.
    pub reading: WdqReading,
    /// `(A_b·C_a/C_b − A_a) + (B_b·C_a/C_b − B_a)`: incidents prevented net of
    /// displacement (negative: more incidents than expected).
    pub total_net_effect: Option<f64>,
}

/// Darkness versus daylight at the same clock hours.
#[derive(Debug, Clone, PartialEq)]
pub struct DarkLight {
    /// The local clock hours used (dark on some days, light on others).
    pub clock_hours: Vec<u32>,
    /// Dark hours in those clock hours, before.
    pub dark_hours_before: f64,
    /// Dark hours in those clock hours, after.
    pub dark_hours_after: f64,
    /// Light hours in those clock hours, before.
    pub light_hours_before: f64,
    /// Light hours in those clock hours, after.
    pub light_hours_after: f64,
    /// After/before in darkness (`count_a` before, `count_b` after).
    pub dark: RateRatio,
    /// After/before in daylight.
    pub light: RateRatio,
    /// `RR_dark / RR_light` with a Woolf interval; `None` when a count is 0.
    pub ratio: Option<Estimate>,
}

/// The evaluation of one intervention. Counts are raw: publish them through
/// [`Evaluations::table`] or [`Evaluations::layer`], which suppress small ones.
#[derive(Debug, Clone, PartialEq)]
pub struct InterventionResult {
    /// The intervention.
    pub intervention: Intervention,
    /// The place's display name.
    pub place_name: String,
    /// The place outline (WGS84).
    pub place_geometry: MultiPolygon,
    /// The before and after windows.
    pub windows: Windows,
    /// The place after/before: `count_a` is before (`A_b`), `count_b` after
    /// (`A_a`), rates per hour, exact interval.
    pub treated: RateRatio,
    /// The control place ids.
    pub control_places: Vec<String>,
    /// The pooled controls after/before; `None` without control places.
    pub control: Option<RateRatio>,
    /// `RR_treated / RR_control` with a Woolf interval.
    pub ratio_of_ratios: Option<Estimate>,
    /// Difference in differences of rates per 1,000 hours (place minus the
    /// average control place), normal interval.
    pub difference_in_differences: Option<Estimate>,
    /// Displacement into the buffer ring.
    pub displacement: Displacement,
    /// Darkness versus daylight, for lighting.
    pub dark_light: Option<DarkLight>,
    /// Caveats in plain words (seasons differ, no controls, …).
    pub warnings: Vec<String>,
}

/// The evaluations of a list of interventions.
#[derive(Debug, Clone)]
pub struct Evaluations {
    /// One result per intervention that could be evaluated, in input order.
    pub results: Vec<InterventionResult>,
    /// Interventions that could not be evaluated, with the reason.
    pub skipped: Vec<(Intervention, String)>,
    /// The confidence level of every interval.
    pub confidence: f64,
    /// Counts from 1 to `min_count − 1` are suppressed in the outputs.
    pub min_count: u64,
}

/// Settings of an intervention evaluation.
///
/// ```
/// use byrum::*;
/// let demo = |f: &str| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/aalborg").join(f);
/// let (places, pr) = read::geojson::read_places(&demo("places.geojson"))?;
/// let (list, _) = read_interventions(&demo("interventions.csv"), &places)?;
/// let ds = DatasetBuilder::new()
///     .incidents(IncidentReader::new().read_csv(&demo("incidents.csv"))?)
///     .places(places, pr)
///     .build()?;
/// let index = SpatialIndex::build(&ds)?;
/// let out = Evaluation::new().evaluate_all(&ds, &index, &list)?;
/// let lighting = &out.results[0];
/// assert_eq!(lighting.windows.rule, WindowRule::WholeYears);
/// let dark = lighting.dark_light.as_ref().unwrap();
/// assert!(dark.dark.significant && dark.dark.ratio < 1.0); // fewer incidents in darkness
/// let table = out.table()?; // one row per intervention, small counts suppressed
/// assert_eq!(table.height(), 2);
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    confidence: f64,
    buffer_m: f64,
    min_count: u64,
    controls: Controls,
    lighting: LightingSplit,
}

impl Default for Evaluation {
    fn default() -> Self {
        Self::new()
    }
}

impl Evaluation {
    /// 95 % confidence, a 200 m ring, `min_count` 5, automatic controls,
    /// darkness split for lighting.
    #[must_use]
    pub fn new() -> Self {
        Self {
            confidence: 0.95,
            buffer_m: 200.0,
            min_count: 5,
            controls: Controls::Auto,
            lighting: LightingSplit::Auto,
        }
    }

    /// The confidence level of every interval, strictly between 0 and 1.
    #[must_use]
    pub fn confidence(mut self, level: f64) -> Self {
        self.confidence = level;
        self
    }

    /// The width of the buffer ring in metres (positive).
    #[must_use]
    pub fn buffer_m(mut self, metres: f64) -> Self {
        self.buffer_m = metres;
        self
    }

    /// Counts from 1 to `k − 1` are suppressed in tables and layers.
    #[must_use]
    pub fn min_count(mut self, k: u64) -> Self {
        self.min_count = k;
        self
    }

    /// Which places are controls.
    #[must_use]
    pub fn controls(mut self, controls: Controls) -> Self {
        self.controls = controls;
        self
    }

    /// When to compare darkness with daylight.
    #[must_use]
    pub fn lighting(mut self, split: LightingSplit) -> Self {
        self.lighting = split;
        self
    }

    fn check(&self) -> Result<f64> {
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(Error::parameter(
                "confidence",
                format!(
                    "{}: use a level strictly between 0 and 1, such as 0.95",
                    self.confidence
                ),
            ));
        }
        if !(self.buffer_m.is_finite() && self.buffer_m > 0.0) {
            return Err(Error::parameter(
                "buffer ring width",
                format!(
                    "{} m: use a positive distance in metres, such as 200",
                    self.buffer_m
                ),
            ));
        }
        // z with P(|Z| > z) = 1 − confidence.
        Ok(std::f64::consts::SQRT_2 * puruspe::inverfc(1.0 - self.confidence))
    }

    /// Evaluates every intervention; those that cannot be evaluated (a date
    /// outside the data) are listed in [`Evaluations::skipped`].
    ///
    /// # Errors
    /// [`Error::Parameter`] for bad settings (confidence, ring width, an
    /// unknown control place).
    pub fn evaluate_all(
        &self,
        ds: &Dataset,
        index: &SpatialIndex,
        interventions: &[Intervention],
    ) -> Result<Evaluations> {
        self.check()?;
        let mut out = Evaluations {
            results: Vec::new(),
            skipped: Vec::new(),
            confidence: self.confidence,
            min_count: self.min_count,
        };
        for iv in interventions {
            match self.evaluate(ds, index, iv, interventions) {
                Ok(r) => out.results.push(r),
                Err(Error::Parameter {
                    name: "intervention date" | "intervention place",
                    reason,
                }) => out.skipped.push((iv.clone(), reason)),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Evaluates one intervention; `all` is the whole list (for choosing
    /// control places without an intervention).
    ///
    /// # Errors
    /// [`Error::Parameter`] for bad settings, an intervention date that leaves
    /// no before or after window in the data, a place index not in the data
    /// set, or an unknown control place id.
    pub fn evaluate(
        &self,
        ds: &Dataset,
        index: &SpatialIndex,
        intervention: &Intervention,
        all: &[Intervention],
    ) -> Result<InterventionResult> {
        let z = self.check()?;
        let p = intervention.place;
        let Some(place) = ds.places.get(p) else {
            return Err(Error::parameter(
                "intervention place",
                format!(
                    "{} (line {}) is not a place of the data set; read the interventions with the same places",
                    intervention.place_id, intervention.line
                ),
            ));
        };
        let (first, last) = local_range(ds);
        let windows = Windows::choose(ds.zone, first, last, intervention.date)?;
        let mut warnings = Vec::new();
        if !windows.rule.seasons_match() {
            warnings.push(format!(
                "less than a year of data on one side of {}: the before and after windows are {} days each and cover different seasons",
                intervention.date,
                (windows.after_last - windows.after_first).num_days() + 1
            ));
        }
        let (hb, ha) = (windows.before_hours(), windows.after_hours());
        let inc = &ds.incidents;
        let split = |ids: &[u32]| {
            ids.iter().fold((0u64, 0u64), |(b, a), &i| {
                let t = inc.utc[i as usize];
                (
                    b + u64::from(windows.before.contains(t)),
                    a + u64::from(windows.after.contains(t)),
                )
            })
        };
        let treated_ids = index.incidents_in_place(p);
        let (ab, aa) = split(&treated_ids);
        let treated = rate_ratio(ab, hb, aa, ha, self.confidence)?;

        // Buffer zone, ring and its incidents (outside every place).
        let zone_m: MultiPolygon = index.place_geometry(p).buffer(self.buffer_m);
        let controls = self.control_places(
            ds,
            index,
            intervention,
            all,
            &windows,
            &zone_m,
            &mut warnings,
        )?;
        let (mut cb, mut ca) = (0u64, 0u64);
        for &q in &controls {
            let (b, a) = split(&index.incidents_in_place(q));
            cb += b;
            ca += a;
        }
        let ring_ids = ring_incidents(ds, index, &zone_m);
        let (bb, ba) = split(&ring_ids);
        let ring_m = ring_geometry(index, ds.places.len(), &zone_m);
        let ring = ds.projection.inverse_geometry(&ring_m)?;

        let n = controls.len() as f64;
        let (control, ratio_of_ratios, difference_in_differences) = if controls.is_empty() {
            warnings.push(
                "no control places: the change at the place cannot be set against the general trend"
                    .to_owned(),
            );
            (None, None, None)
        } else {
            let k = 1000.0;
            let did = (aa as f64 / ha - ab as f64 / hb) * k
                - (ca as f64 / (n * ha) - cb as f64 / (n * hb)) * k;
            let var = k
                * k
                * (aa as f64 / (ha * ha)
                    + ab as f64 / (hb * hb)
                    + ca as f64 / (n * n * ha * ha)
                    + cb as f64 / (n * n * hb * hb));
            (
                Some(rate_ratio(cb, hb, ca, ha, self.confidence)?),
                // (A_a/A_b)/(C_a/C_b); equal windows' hours cancel.
                Estimate::woolf(ab, aa, cb, ca, 1.0, z),
                Some(Estimate::normal_difference(did, var, z)),
            )
        };
        let displacement = displacement(
            [ab, aa],
            [bb, ba],
            (!controls.is_empty()).then_some([cb, ca]),
            self.buffer_m,
            ring_m.unsigned_area(),
            ring,
        );
        let dark_light = match self.lighting {
            LightingSplit::Never => None,
            LightingSplit::Auto if intervention.kind != InterventionKind::Lighting => None,
            _ => {
                let at = place
                    .geometry
                    .centroid()
                    .map_or_else(|| ds.centre(), |c| (c.x(), c.y()));
                let dl = dark_light(ds, &treated_ids, &windows, at, self.confidence, z)?;
                if dl.is_none() {
                    warnings.push(
                        "no clock hour is dark on some days and light on others in both windows: no darkness comparison"
                            .to_owned(),
                    );
                }
                dl
            }
        };
        Ok(InterventionResult {
            intervention: intervention.clone(),
            place_name: place.name.clone(),
            place_geometry: place.geometry.clone(),
            windows,
            treated,
            control_places: controls.iter().map(|&q| ds.places[q].id.clone()).collect(),
            control,
            ratio_of_ratios,
            difference_in_differences,
            displacement,
            dark_light,
            warnings,
        })
    }

    /// The control places' indices, sorted: the evaluation's list, else the
    /// intervention's own list, else automatic. Given lists are checked, with
    /// a warning for a control within the ring distance or with an
    /// intervention of its own in the windows.
    fn control_places(
        &self,
        ds: &Dataset,
        index: &SpatialIndex,
        intervention: &Intervention,
        all: &[Intervention],
        w: &Windows,
        zone_m: &MultiPolygon,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<usize>> {
        let p = intervention.place;
        let treated_in_windows = |q: usize| {
            all.iter()
                .any(|o| o.place == q && o.date >= w.before_first && o.date <= w.after_last)
        };
        let near = |q: usize| zone_m.intersects(index.place_geometry(q));
        let given = match &self.controls {
            Controls::Places(ids) => ids.as_slice(),
            Controls::Auto => intervention.controls.as_slice(),
        };
        if given.is_empty() {
            return Ok((0..ds.places.len())
                .filter(|&q| q != p && !treated_in_windows(q) && !near(q))
                .collect());
        }
        let mut out = Vec::new();
        for id in given {
            let Some(q) = ds.places.iter().position(|pl| &pl.id == id) else {
                return Err(Error::parameter(
                    "control places",
                    format!("no place has id {id:?}"),
                ));
            };
            if q == p {
                return Err(Error::parameter(
                    "control places",
                    format!("{id:?} is the place of the intervention itself"),
                ));
            }
            if near(q) {
                warnings.push(format!(
                    "control place {id} lies within {} m of the place: displacement may reach it",
                    self.buffer_m
                ));
            }
            if treated_in_windows(q) {
                warnings.push(format!(
                    "control place {id} has an intervention of its own in the windows"
                ));
            }
            out.push(q);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

/// The local dates the data set's period covers.
fn local_range(ds: &Dataset) -> (NaiveDate, NaiveDate) {
    let (a, b) = ds.period.describe(ds.zone);
    let parse = |s: String| s.parse::<NaiveDate>().unwrap_or_default();
    (parse(a), parse(b))
}

/// Incidents inside the buffer zone but in no place.
fn ring_incidents(ds: &Dataset, index: &SpatialIndex, zone_m: &MultiPolygon) -> Vec<u32> {
    let Some(r) = zone_m.bounding_rect() else {
        return Vec::new();
    };
    let c = r.center();
    let radius = (r.width().hypot(r.height())) / 2.0;
    let inc = &ds.incidents;
    index
        .incidents_within(c.x, c.y, radius)
        .into_iter()
        .filter(|&i| {
            let (x, y) = (inc.x[i as usize], inc.y[i as usize]);
            zone_m.intersects(&Point::new(x, y)) && index.place_at(x, y).is_none()
        })
        .collect()
}

/// The buffer zone minus every place (projected).
fn ring_geometry(index: &SpatialIndex, places: usize, zone_m: &MultiPolygon) -> MultiPolygon {
    (0..places)
        .map(|q| index.place_geometry(q))
        .filter(|g| g.intersects(zone_m))
        .fold(zone_m.clone(), |ring, g| ring.difference(g))
}

/// Bowers & Johnson's quotient and total net effect from `[before, after]`
/// counts of the place (A), ring (B) and controls (C).
fn displacement(
    a: [u64; 2],
    b: [u64; 2],
    c: Option<[u64; 2]>,
    buffer_m: f64,
    ring_area_m2: f64,
    ring: MultiPolygon,
) -> Displacement {
    let mut d = Displacement {
        buffer_m,
        ring_area_m2,
        ring,
        before: b[0],
        after: b[1],
        success_measure: None,
        buffer_measure: None,
        wdq: None,
        reading: WdqReading::NoControls,
        total_net_effect: None,
    };
    let Some([cb, ca]) = c.filter(|c| c[0] > 0 && c[1] > 0) else {
        return d;
    };
    let f = |x: u64| x as f64;
    let success = f(a[1]) / f(ca) - f(a[0]) / f(cb);
    let buffer = f(b[1]) / f(ca) - f(b[0]) / f(cb);
    let trend = f(ca) / f(cb);
    d.success_measure = Some(success);
    d.buffer_measure = Some(buffer);
    d.total_net_effect = Some((f(a[0]) * trend - f(a[1])) + (f(b[0]) * trend - f(b[1])));
    if success < 0.0 {
        let wdq = buffer / success;
        d.wdq = Some(wdq);
        d.reading = WdqReading::of(wdq);
    } else {
        d.reading = WdqReading::NoReduction;
    }
    d
}

/// Darkness versus daylight at the clock hours that are both.
fn dark_light(
    ds: &Dataset,
    ids: &[u32],
    w: &Windows,
    at: (f64, f64),
    confidence: f64,
    z: f64,
) -> Result<Option<DarkLight>> {
    let binning = TimeBinning {
        hours: HourBuckets::hourly(),
        ..TimeBinning::default()
    };
    let spec = BinSpec::of(&[Dimension::Hour, Dimension::Darkness]);
    // Bin b = 2·hour + dark.
    let eb = binning.exposure(&spec, &w.before, ds.zone, at);
    let ea = binning.exposure(&spec, &w.after, ds.zone, at);
    let clock_hours: Vec<u32> = (0..24u32)
        .filter(|&h| {
            let (l, d) = (2 * h as usize, 2 * h as usize + 1);
            eb[l] >= 1.0 && eb[d] >= 1.0 && ea[l] >= 1.0 && ea[d] >= 1.0
        })
        .collect();
    if clock_hours.is_empty() {
        return Ok(None);
    }
    let inc = &ds.incidents;
    let pick = |v: &[f64]| ids.iter().map(|&i| v[i as usize]).collect::<Vec<_>>();
    let utc: Vec<i64> = ids.iter().map(|&i| inc.utc[i as usize]).collect();
    let offset: Vec<i32> = ids.iter().map(|&i| inc.offset[i as usize]).collect();
    let bins = binning.assign(&spec, &utc, &offset, &pick(&inc.lon), &pick(&inc.lat));
    let used = |bin: u32| clock_hours.contains(&(bin / 2));
    // [before, after] × [light, dark]
    let mut counts = [[0u64; 2]; 2];
    for (t, bin) in utc.iter().zip(&bins) {
        if !used(*bin) {
            continue;
        }
        let side = if w.before.contains(*t) {
            0
        } else if w.after.contains(*t) {
            1
        } else {
            continue;
        };
        counts[side][(*bin % 2) as usize] += 1;
    }
    let hours = |e: &[f64], dark: usize| -> f64 {
        clock_hours.iter().map(|&h| e[2 * h as usize + dark]).sum()
    };
    let (lb, db, la, da) = (hours(&eb, 0), hours(&eb, 1), hours(&ea, 0), hours(&ea, 1));
    let dark = rate_ratio(counts[0][1], db, counts[1][1], da, confidence)?;
    let light = rate_ratio(counts[0][0], lb, counts[1][0], la, confidence)?;
    // (RR_dark)/(RR_light) = (d_a/d_b)/(l_a/l_b) × exposure factor.
    let scale = (db / da) / (lb / la);
    let ratio = Estimate::woolf(
        counts[0][1],
        counts[1][1],
        counts[0][0],
        counts[1][0],
        scale,
        z,
    );
    Ok(Some(DarkLight {
        clock_hours,
        dark_hours_before: db,
        dark_hours_after: da,
        light_hours_before: lb,
        light_hours_after: la,
        dark,
        light,
        ratio,
    }))
}

/// One output value (null when suppressed or undefined).
#[derive(Debug, Clone)]
enum Val {
    S(Option<String>),
    F(Option<f64>),
    U(Option<u64>),
    B(Option<bool>),
}

impl Val {
    fn json(&self) -> Value {
        match self {
            Val::S(v) => v.clone().map_or(Value::Null, Value::from),
            Val::F(v) => v.map_or(Value::Null, Value::from),
            Val::U(v) => v.map_or(Value::Null, Value::from),
            Val::B(v) => v.map_or(Value::Null, Value::from),
        }
    }
}

fn fin(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

impl Evaluations {
    fn hidden(&self, n: u64) -> bool {
        n > 0 && n < self.min_count
    }

    /// The suppressed output row of one result: (column, value) in order.
    fn row(&self, r: &InterventionResult) -> Vec<(&'static str, Val)> {
        let h = |n: u64| self.hidden(n);
        let count = |n: u64| Val::U((!h(n)).then_some(n));
        let num = |x: f64, hide: bool| Val::F(if hide { None } else { fin(x) });
        let (w, t) = (&r.windows, &r.treated);
        let (ab, aa) = (t.count_a, t.count_b);
        let hide_a = h(ab) || h(aa);
        let (cb, ca) = r.control.map_or((0, 0), |c| (c.count_a, c.count_b));
        let hide_c = h(cb) || h(ca);
        let d = &r.displacement;
        let hide_b = h(d.before) || h(d.after);
        let mut suppressed = hide_a || hide_c || hide_b;
        let est = |e: Option<Estimate>,
                   hide: bool,
                   out: &mut Vec<(&'static str, Val)>,
                   names: [&'static str; 5]| {
            let e = e.filter(|_| !hide);
            out.push((names[0], Val::F(e.and_then(|e| fin(e.estimate)))));
            out.push((names[1], Val::F(e.and_then(|e| fin(e.low)))));
            out.push((names[2], Val::F(e.and_then(|e| fin(e.high)))));
            out.push((names[3], Val::F(e.and_then(|e| fin(e.p)))));
            out.push((names[4], Val::B(e.map(|e| e.significant))));
        };
        let rr = |x: &RateRatio,
                  hide: bool,
                  out: &mut Vec<(&'static str, Val)>,
                  names: [&'static str; 5]| {
            out.push((names[0], num(x.ratio, hide)));
            out.push((names[1], num(x.ratio_low, hide)));
            out.push((names[2], num(x.ratio_high, hide)));
            out.push((names[3], num(x.p, hide)));
            out.push((names[4], Val::B((!hide).then_some(x.significant))));
        };
        let s = |x: &str| Val::S(Some(x.to_owned()));
        let mut o: Vec<(&'static str, Val)> = vec![
            ("place_id", s(&r.intervention.place_id)),
            ("place_name", s(&r.place_name)),
            ("date", s(&r.intervention.date.to_string())),
            ("kind", s(r.intervention.kind.as_str())),
            ("description", s(&r.intervention.description)),
            ("window_rule", s(w.rule.as_str())),
            ("window_years", Val::U(Some(u64::from(w.years)))),
            ("seasons_match", Val::B(Some(w.rule.seasons_match()))),
            ("before_first", s(&w.before_first.to_string())),
            ("before_last", s(&w.before_last.to_string())),
            ("after_first", s(&w.after_first.to_string())),
            ("after_last", s(&w.after_last.to_string())),
            ("before_hours", Val::F(Some(w.before_hours()))),
            ("after_hours", Val::F(Some(w.after_hours()))),
            ("count_before", count(ab)),
            ("count_after", count(aa)),
            ("rate_before_per_1000h", num(t.rate_a * 1000.0, hide_a)),
            ("rate_after_per_1000h", num(t.rate_b * 1000.0, hide_a)),
        ];
        rr(
            t,
            hide_a,
            &mut o,
            [
                "rate_ratio",
                "rate_ratio_low",
                "rate_ratio_high",
                "rate_ratio_p",
                "rate_ratio_significant",
            ],
        );
        o.push(("control_places", s(&r.control_places.join(";"))));
        o.push((
            "control_count_before",
            r.control.map_or(Val::U(None), |_| count(cb)),
        ));
        o.push((
            "control_count_after",
            r.control.map_or(Val::U(None), |_| count(ca)),
        ));
        match &r.control {
            Some(c) => rr(
                c,
                hide_c,
                &mut o,
                [
                    "control_rate_ratio",
                    "control_rate_ratio_low",
                    "control_rate_ratio_high",
                    "control_rate_ratio_p",
                    "control_rate_ratio_significant",
                ],
            ),
            None => est(
                None,
                true,
                &mut o,
                [
                    "control_rate_ratio",
                    "control_rate_ratio_low",
                    "control_rate_ratio_high",
                    "control_rate_ratio_p",
                    "control_rate_ratio_significant",
                ],
            ),
        }
        est(
            r.ratio_of_ratios,
            hide_a || hide_c,
            &mut o,
            [
                "ratio_of_ratios",
                "ratio_of_ratios_low",
                "ratio_of_ratios_high",
                "ratio_of_ratios_p",
                "ratio_of_ratios_significant",
            ],
        );
        est(
            r.difference_in_differences,
            hide_a || hide_c,
            &mut o,
            [
                "did_per_1000h",
                "did_low",
                "did_high",
                "did_p",
                "did_significant",
            ],
        );
        let hide_abc = hide_a || hide_b || hide_c;
        let opt = |x: Option<f64>| Val::F(if hide_abc { None } else { x.and_then(fin) });
        o.push(("buffer_m", Val::F(Some(d.buffer_m))));
        o.push(("ring_area_m2", Val::F(Some(d.ring_area_m2))));
        o.push(("ring_count_before", count(d.before)));
        o.push(("ring_count_after", count(d.after)));
        o.push(("success_measure", opt(d.success_measure)));
        o.push(("buffer_measure", opt(d.buffer_measure)));
        o.push(("wdq", opt(d.wdq)));
        o.push((
            "wdq_reading",
            Val::S((!hide_abc).then(|| d.reading.as_str().to_owned())),
        ));
        o.push(("total_net_effect", opt(d.total_net_effect)));
        let dl = r.dark_light.as_ref();
        let (hide_d, hide_l) = dl.map_or((false, false), |x| {
            (
                h(x.dark.count_a) || h(x.dark.count_b),
                h(x.light.count_a) || h(x.light.count_b),
            )
        });
        suppressed |= hide_d || hide_l;
        o.push((
            "dark_clock_hours",
            Val::S(dl.map(|x| {
                x.clock_hours
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            })),
        ));
        o.push(("dark_hours_before", Val::F(dl.map(|x| x.dark_hours_before))));
        o.push(("dark_hours_after", Val::F(dl.map(|x| x.dark_hours_after))));
        o.push((
            "light_hours_before",
            Val::F(dl.map(|x| x.light_hours_before)),
        ));
        o.push(("light_hours_after", Val::F(dl.map(|x| x.light_hours_after))));
        o.push((
            "dark_count_before",
            dl.map_or(Val::U(None), |x| count(x.dark.count_a)),
        ));
        o.push((
            "dark_count_after",
            dl.map_or(Val::U(None), |x| count(x.dark.count_b)),
        ));
        o.push((
            "light_count_before",
            dl.map_or(Val::U(None), |x| count(x.light.count_a)),
        ));
        o.push((
            "light_count_after",
            dl.map_or(Val::U(None), |x| count(x.light.count_b)),
        ));
        let rr_names_d = [
            "rr_dark",
            "rr_dark_low",
            "rr_dark_high",
            "rr_dark_p",
            "rr_dark_significant",
        ];
        let rr_names_l = [
            "rr_light",
            "rr_light_low",
            "rr_light_high",
            "rr_light_p",
            "rr_light_significant",
        ];
        if let Some(x) = dl {
            rr(&x.dark, hide_d, &mut o, rr_names_d);
            rr(&x.light, hide_l, &mut o, rr_names_l);
        } else {
            est(None, true, &mut o, rr_names_d);
            est(None, true, &mut o, rr_names_l);
        }
        est(
            dl.and_then(|x| x.ratio),
            hide_d || hide_l,
            &mut o,
            [
                "dark_light_ratio",
                "dark_light_ratio_low",
                "dark_light_ratio_high",
                "dark_light_ratio_p",
                "dark_light_ratio_significant",
            ],
        );
        o.push(("suppressed", Val::B(Some(suppressed))));
        o.push(("warnings", s(&r.warnings.join(" | "))));
        o
    }

    /// One row per evaluated intervention with every number of the
    /// evaluation (see the module docs), counts 1..`min_count − 1` and what is
    /// derived from them null, `suppressed` marking such rows. Rates are per
    /// 1,000 hours; ratios are after/before.
    ///
    /// # Errors
    /// A polars error if the frame cannot be built.
    pub fn table(&self) -> Result<DataFrame> {
        let rows: Vec<Vec<(&'static str, Val)>> =
            self.results.iter().map(|r| self.row(r)).collect();
        let names: Vec<&'static str> = self.row_template().into_iter().map(|(n, _)| n).collect();
        let mut columns = Vec::with_capacity(names.len());
        for (k, name) in names.iter().enumerate() {
            let kind = rows.first().map_or(Val::S(None), |r| r[k].1.clone());
            // One typed column per field, from the rows' values of that field.
            macro_rules! column {
                ($variant:ident) => {
                    Column::new(
                        (*name).into(),
                        rows.iter()
                            .map(|r| match &r[k].1 {
                                Val::$variant(v) => v.clone(),
                                _ => None,
                            })
                            .collect::<Vec<_>>(),
                    )
                };
            }
            let col = match kind {
                Val::S(_) => column!(S),
                Val::F(_) => column!(F),
                Val::U(_) => column!(U),
                Val::B(_) => column!(B),
            };
            columns.push(col);
        }
        Ok(DataFrame::new_infer_height(columns)?)
    }

    /// The column names and kinds (from a result or, with none, a blank one).
    fn row_template(&self) -> Vec<(&'static str, Val)> {
        self.results.first().map_or_else(Vec::new, |r| self.row(r))
    }

    /// The `interventions` layer: per result, the place outline (`role`
    /// `treated`) and the buffer ring (`role` `buffer_ring`), each with every
    /// number of [`Evaluations::table`] (suppressed alike).
    #[must_use]
    pub fn layer(&self) -> Layer {
        let mut layer = Layer::new("interventions");
        layer
            .param("confidence", self.confidence)
            .param("min_count", self.min_count)
            .param("rate_unit", "incidents per 1,000 hours")
            .param(
                "window_rules",
                "whole_years | same_span_one_year_earlier | same_span_one_year_later | adjacent_days",
            )
            .param("wdq", "Bowers & Johnson (2003): (B_a/C_a - B_b/C_b) / (A_a/C_a - A_b/C_b)");
        for r in &self.results {
            let props: serde_json::Map<String, Value> = self
                .row(r)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.json()))
                .collect();
            for (role, g) in [
                ("treated", &r.place_geometry),
                ("buffer_ring", &r.displacement.ring),
            ] {
                let mut p = serde_json::Map::new();
                p.insert("role".into(), role.into());
                p.extend(props.clone());
                layer.push(geo::Geometry::MultiPolygon(g.clone()), p);
            }
        }
        layer
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn win(first: &str, last: &str, date: &str) -> Result<Windows> {
        let tz = crate::time::parse_zone("Europe/Copenhagen").unwrap();
        Windows::choose(tz, d(first), d(last), d(date))
    }

    fn dates(w: &Windows) -> [String; 4] {
        [w.before_first, w.before_last, w.after_first, w.after_last].map(|x| x.to_string())
    }

    #[test]
    fn windows_follow_the_documented_rules() {
        // 2 years 2½ months before, 1 year 9½ months after: L = 1 year.
        let w = win("2020-01-01", "2023-12-31", "2022-03-15").unwrap();
        assert_eq!((w.rule, w.years), (WindowRule::WholeYears, 1));
        assert_eq!(
            dates(&w),
            ["2021-03-15", "2022-03-14", "2022-03-15", "2023-03-14"]
        );
        // Two whole years each side.
        let w = win("2020-01-01", "2023-12-31", "2022-01-01").unwrap();
        assert_eq!((w.rule, w.years), (WindowRule::WholeYears, 2));
        assert_eq!(w.before_first, d("2020-01-01"));
        assert_eq!(w.after_last, d("2023-12-31"));
        // 7 months after: the same span one year earlier.
        let w = win("2022-01-01", "2023-12-31", "2023-06-01").unwrap();
        assert_eq!(w.rule, WindowRule::SameSpanOneYearEarlier);
        assert_eq!(
            dates(&w),
            ["2022-06-01", "2022-12-31", "2023-06-01", "2023-12-31"]
        );
        // 5 months before: the same span one year later.
        let w = win("2022-01-01", "2023-12-31", "2022-06-01").unwrap();
        assert_eq!(w.rule, WindowRule::SameSpanOneYearLater);
        assert_eq!(
            dates(&w),
            ["2022-01-01", "2022-05-31", "2023-01-01", "2023-05-31"]
        );
        // One year of data: 120 days each side, adjacent, seasons differ.
        let w = win("2023-01-01", "2023-12-31", "2023-05-01").unwrap();
        assert_eq!(w.rule, WindowRule::AdjacentDays);
        assert!(!w.rule.seasons_match());
        assert_eq!(
            dates(&w),
            ["2023-01-01", "2023-04-30", "2023-05-01", "2023-08-28"]
        );
        // 120 days each; the before window has the spring-forward day (26 March).
        assert_eq!((w.before_hours(), w.after_hours()), (2879.0, 2880.0));
        // No before or after window.
        for date in ["2023-01-01", "2024-01-01", "2022-05-01"] {
            let e = win("2023-01-01", "2023-12-31", date)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(date) && e.contains("2023-01-01 to 2023-12-31"),
                "{e}"
            );
        }
    }

    #[test]
    fn wdq_readings_and_no_reduction() {
        let ring = MultiPolygon::new(vec![]);
        let r = |a: [u64; 2], b: [u64; 2]| {
            displacement(a, b, Some([100, 100]), 200.0, 1.0, ring.clone())
        };
        // Place 50 → 30 (success −0.2); ring 40 → 50 (+0.1): WDQ −0.5.
        let x = r([50, 30], [40, 50]);
        assert!((x.wdq.unwrap() - -0.5).abs() < 1e-12);
        assert_eq!(x.reading, WdqReading::Displacement);
        assert!((x.total_net_effect.unwrap() - (20.0 - 10.0)).abs() < 1e-12);
        assert_eq!(r([50, 30], [40, 30]).reading, WdqReading::Diffusion);
        assert_eq!(
            r([50, 30], [40, 10]).reading,
            WdqReading::DiffusionGreaterThanDirect
        );
        assert_eq!(
            r([50, 30], [40, 70]).reading,
            WdqReading::DisplacementGreaterThanDirect
        );
        assert_eq!(r([50, 30], [40, 40]).reading, WdqReading::Neither);
        let up = r([30, 50], [40, 30]);
        assert_eq!((up.wdq, up.reading), (None, WdqReading::NoReduction));
        let none = displacement([1, 2], [3, 4], None, 200.0, 1.0, ring);
        assert_eq!(none.reading, WdqReading::NoControls);
    }

    #[test]
    fn z_of_the_confidence_level() {
        // scipy.stats.norm.ppf(0.975) and norm.ppf(0.95).
        let z = Evaluation::new().check().unwrap();
        assert!((z - 1.959_963_984_540_054).abs() < 1e-9, "{z}");
        let z = Evaluation::new().confidence(0.9).check().unwrap();
        assert!((z - 1.644_853_626_951_472_2).abs() < 1e-9, "{z}");
    }
}
