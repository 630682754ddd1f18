//! Service-gap hours and outreach windows: which incidents happen when no
//! service of a chosen kind is open within walking distance, per place and
//! hour, and when an outreach team would meet the most of them.
//!
//! Distances are straight-line metres in the data set's projection (not
//! walking routes along streets): a service 500 m away as the crow flies may
//! be a longer walk. The time is each incident's own instant; a service is
//! open if its `opening_hours` says open at that instant in the data set's
//! zone (with the reader's country's public holidays). A service with
//! unknown or unparseable opening hours never counts as open.

use std::collections::BTreeMap;

use chrono::{Datelike, Timelike};
use geo::{Distance, Euclidean, Point};
use geojson::JsonObject;
use polars::prelude::{Column, DataFrame};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde_json::{Value, json};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::index::SpatialIndex;
use crate::layer::Layer;
use crate::model::ServiceKind;
use crate::opening::{OpenTimes, Timetable, WEEKDAY_LABELS};
use crate::privacy::shown_if;
use crate::time::local_date;

/// No open service within reach (in [`ServiceGapResult::nearest_open`]).
pub const NO_SERVICE: u32 = u32::MAX;

/// Settings of the service-gap analysis.
///
/// ```
/// use byrum::*;
/// # let dir = std::env::temp_dir().join("byrum-doc-service-gap");
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join("incidents.csv");
/// // Three incidents at 07, 12 and 20 on Tuesday 5 March 2024, at one spot.
/// # std::fs::write(&path, "id,lon,lat,timestamp,category\n\
/// # 1,9.9200,57.0450,2024-03-05T07:10:00+01:00,noise\n\
/// # 2,9.9200,57.0450,2024-03-05T12:10:00+01:00,noise\n\
/// # 3,9.9200,57.0450,2024-03-05T20:10:00+01:00,noise\n").unwrap();
/// let mut ds = DatasetBuilder::new().incidents(IncidentReader::new().read_csv(&path)?).build()?;
/// // A drop-in centre about 130 m away, open 08-16.
/// ds.services.push(Service {
///     id: "d".into(), name: "Drop-in".into(), point: geo::Point::new(9.9220, 57.0450),
///     kind: ServiceKind::DropInCentre, target_groups: vec![],
///     opening_hours: Some(Schedule::parse("08:00-16:00", Some("DK")).unwrap()),
///     attributes: Default::default(),
/// });
/// let index = SpatialIndex::build(&ds)?;
/// let place_of = index.place_of_incidents(&ds);
/// let gap = ServiceGap::default().compute(&ds, &index, &place_of)?; // 500 m, all kinds
/// assert_eq!(gap.unmet_flags(), vec![true, false, true]); // 07 and 20 unmet
/// assert_eq!((gap.incidents, gap.unmet), (3, 2));
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceGap {
    /// The service kinds that count (`None`: every kind).
    pub kinds: Option<Vec<ServiceKind>>,
    /// Straight-line distance in metres (projection) within which an open
    /// service reaches an incident (default 500).
    pub distance_m: f64,
    /// Counts from 1 to `min_count − 1` are suppressed in tables (default 5).
    pub min_count: u64,
}

impl Default for ServiceGap {
    fn default() -> Self {
        Self {
            kinds: None,
            distance_m: 500.0,
            min_count: 5,
        }
    }
}

/// The service-gap result: per incident whether an open service of the
/// chosen kinds was within the distance at its instant, and counts per place
/// × weekday × local hour.
#[derive(Debug, Clone)]
pub struct ServiceGapResult {
    /// The settings used.
    pub settings: ServiceGap,
    /// Per incident, the nearest service of the chosen kinds open at its
    /// instant within the distance ([`NO_SERVICE`] where none: the incident is unmet).
    pub nearest_open: Vec<u32>,
    /// Per incident, whether any service of the chosen kinds (open or not,
    /// hours known or not) lies within the distance.
    pub service_nearby: Vec<bool>,
    /// Number of incidents.
    pub incidents: u64,
    /// Number of unmet incidents.
    pub unmet: u64,
    /// Of the unmet incidents, those with no service of the chosen kinds
    /// within the distance at all (the rest had one nearby, but closed).
    pub unmet_no_service_nearby: u64,
    /// `unmet / incidents` (0 without incidents).
    pub unmet_share: f64,
    /// Incidents per place row × weekday × local hour, index
    /// `(row × 7 + weekday) × 24 + hour`; row = place index, and the last
    /// row (= number of places) is incidents outside every place.
    pub total_by_slot: Vec<u64>,
    /// Unmet incidents, indexed like [`ServiceGapResult::total_by_slot`].
    pub unmet_by_slot: Vec<u64>,
    /// Per place row (places, then outside), the unmet incidents with no
    /// service of the chosen kinds within the distance at all.
    pub unmet_no_service_nearby_by_place: Vec<u64>,
    /// The number of places (the outside row is this index).
    pub places: usize,
}

impl ServiceGap {
    /// The defaults: all kinds, 500 m, `min_count` 5.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Only these kinds count.
    #[must_use]
    pub fn kinds(mut self, kinds: &[ServiceKind]) -> Self {
        self.kinds = Some(kinds.to_vec());
        self
    }

    /// The reach in metres.
    #[must_use]
    pub fn distance_m(mut self, metres: f64) -> Self {
        self.distance_m = metres;
        self
    }

    /// The smallest count shown.
    #[must_use]
    pub fn min_count(mut self, k: u64) -> Self {
        self.min_count = k;
        self
    }

    fn counts(&self, kind: &ServiceKind) -> bool {
        self.kinds.as_ref().is_none_or(|k| k.contains(kind))
    }

    /// Whether each incident is met or unmet, and the counts. `place_of` is
    /// each incident's place ([`SpatialIndex::place_of_incidents`], `u32::MAX`
    /// for none). Work is parallel over incidents; the result does not depend
    /// on the number of threads.
    ///
    /// # Errors
    /// [`Error::Parameter`] for a distance that is not a positive number of
    /// metres, an empty list of kinds, or `place_of` of the wrong length.
    pub fn compute(
        &self,
        ds: &Dataset,
        index: &SpatialIndex,
        place_of: &[u32],
    ) -> Result<ServiceGapResult> {
        if !(self.distance_m.is_finite() && self.distance_m > 0.0) {
            return Err(Error::parameter(
                "service gap distance",
                format!(
                    "{} m; give a walking distance in metres greater than 0, e.g. 500",
                    self.distance_m
                ),
            ));
        }
        if self.kinds.as_ref().is_some_and(Vec::is_empty) {
            return Err(Error::parameter(
                "service kinds",
                "the list is empty; name at least one kind (e.g. warming_room) or leave it unset for every kind",
            ));
        }
        let inc = &ds.incidents;
        if place_of.len() != inc.len() {
            return Err(Error::parameter(
                "place_of",
                format!(
                    "{} places for {} incidents; use SpatialIndex::place_of_incidents on the same data set",
                    place_of.len(),
                    inc.len()
                ),
            ));
        }
        // Only services of the chosen kinds, in their own small tree.
        let chosen: Vec<GeomWithData<[f64; 2], u32>> = ds
            .services
            .iter()
            .enumerate()
            .filter(|(_, s)| self.counts(&s.kind))
            .map(|(i, _)| GeomWithData::new(index.service_xy(i), i as u32))
            .collect();
        let tree = RTree::bulk_load(chosen);
        let r2 = self.distance_m * self.distance_m;
        let open_times = OpenTimes::compute(&ds.services, &ds.period, ds.zone);
        let per_incident: Vec<(u32, bool, u16)> = (0..inc.len())
            .into_par_iter()
            .with_min_len(512)
            .map(|i| {
                let mut nearby = false;
                let mut open = NO_SERVICE;
                for (s, d2) in tree.nearest_neighbor_iter_with_distance_2([inc.x[i], inc.y[i]]) {
                    if d2 > r2 {
                        break;
                    }
                    nearby = true;
                    if open_times.is_open(s.data as usize, inc.utc[i]) {
                        open = s.data;
                        break;
                    }
                }
                let local = inc.instant(i).local();
                let slot = local.weekday().num_days_from_monday() * 24 + local.hour();
                (open, nearby, slot as u16)
            })
            .collect();
        let np = ds.places.len();
        let mut total_by_slot = vec![0u64; (np + 1) * 168];
        let mut unmet_by_slot = vec![0u64; (np + 1) * 168];
        let (mut unmet, mut unmet_none) = (0u64, 0u64);
        let mut none_by_row = vec![0u64; np + 1];
        for (&(open, nearby, slot), &p) in per_incident.iter().zip(place_of) {
            let row = if p == u32::MAX { np } else { p as usize };
            let k = row * 168 + usize::from(slot);
            total_by_slot[k] += 1;
            if open == NO_SERVICE {
                unmet_by_slot[k] += 1;
                unmet += 1;
                if !nearby {
                    unmet_none += 1;
                    none_by_row[row] += 1;
                }
            }
        }
        let incidents = inc.len() as u64;
        Ok(ServiceGapResult {
            settings: self.clone(),
            nearest_open: per_incident.iter().map(|r| r.0).collect(),
            service_nearby: per_incident.iter().map(|r| r.1).collect(),
            incidents,
            unmet,
            unmet_no_service_nearby: unmet_none,
            unmet_share: if incidents > 0 {
                unmet as f64 / incidents as f64
            } else {
                0.0
            },
            total_by_slot,
            unmet_by_slot,
            unmet_no_service_nearby_by_place: none_by_row,
            places: np,
        })
    }
}

/// `unmet / total` when both are shown and the total is positive.
fn shown_share(unmet: Option<u64>, total: Option<u64>) -> Option<f64> {
    match (unmet, total) {
        (Some(u), Some(t)) if t > 0 => Some(u as f64 / t as f64),
        _ => None,
    }
}

/// Which counts of one place row are withheld ([`ServiceGapResult::withheld`]):
/// each as (incidents, unmet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapWithheld {
    /// The place's totals.
    pub place: (bool, bool),
    /// `unmet_no_service_nearby`.
    pub no_service_nearby: bool,
    /// Per local hour (24).
    pub hours: Vec<(bool, bool)>,
    /// Per weekday × hour slot (168, `weekday * 24 + hour`).
    pub slots: Vec<(bool, bool)>,
}

fn place_label(ds: &Dataset, row: usize) -> (String, String) {
    ds.places.get(row).map_or_else(
        || ("_outside".to_owned(), "(outside all places)".to_owned()),
        |p| (p.id.clone(), p.name.clone()),
    )
}

impl ServiceGapResult {
    /// Whether incident `i` is unmet.
    #[must_use]
    pub fn is_unmet(&self, i: usize) -> bool {
        self.nearest_open[i] == NO_SERVICE
    }

    /// Whether each incident is unmet.
    #[must_use]
    pub fn unmet_flags(&self) -> Vec<bool> {
        self.nearest_open.iter().map(|&s| s == NO_SERVICE).collect()
    }

    /// (incidents, unmet) of place row `row` (a place index, or
    /// [`ServiceGapResult::places`] for outside) at local hour `hour`, all weekdays.
    #[must_use]
    pub fn place_hour(&self, row: usize, hour: usize) -> (u64, u64) {
        (0..7).fold((0, 0), |(t, u), wd| {
            let k = row * 168 + wd * 24 + hour;
            (t + self.total_by_slot[k], u + self.unmet_by_slot[k])
        })
    }

    /// (incidents, unmet) of place row `row` over the whole period.
    #[must_use]
    pub fn place_totals(&self, row: usize) -> (u64, u64) {
        let r = row * 168..(row + 1) * 168;
        (
            self.total_by_slot[r.clone()].iter().sum(),
            self.unmet_by_slot[r].iter().sum(),
        )
    }

    /// Which counts of place row `row` are withheld in the three tables.
    ///
    /// The weekday × hour slots add up to the hour, the hours to the place,
    /// for incidents and unmet alike; met (= incidents − unmet) is an
    /// implied part of every row, and so is `unmet − unmet_no_service_nearby`.
    /// Complementary suppression over all of them together
    /// ([`LinkedCounts`](crate::LinkedCounts); the rule is in the `privacy`
    /// module doc), so no withheld count is a difference of shown ones.
    #[must_use]
    pub fn withheld(&self, row: usize) -> GapWithheld {
        let k = self.settings.min_count;
        let mut t = crate::privacy::LinkedCounts::new();
        // (incidents, unmet) ids, with met = incidents − unmet implied.
        let pair = |t: &mut crate::privacy::LinkedCounts, (a, u): (u64, u64)| {
            let (ia, iu) = (t.add(a), t.add(u));
            let met = t.add_implied(a.saturating_sub(u));
            t.parts_of(ia, &[iu, met]);
            (ia, iu)
        };
        let place = pair(&mut t, self.place_totals(row));
        let none = self.unmet_no_service_nearby_by_place[row];
        let nn = t.add(none);
        let rest = t.add_implied(self.place_totals(row).1.saturating_sub(none));
        t.parts_of(place.1, &[nn, rest]);
        let hours: Vec<(usize, usize)> = (0..24)
            .map(|h| pair(&mut t, self.place_hour(row, h)))
            .collect();
        let slots: Vec<(usize, usize)> = (0..168)
            .map(|i| {
                let j = row * 168 + i;
                pair(&mut t, (self.total_by_slot[j], self.unmet_by_slot[j]))
            })
            .collect();
        t.parts_of(place.0, &hours.iter().map(|h| h.0).collect::<Vec<_>>());
        t.parts_of(place.1, &hours.iter().map(|h| h.1).collect::<Vec<_>>());
        for (h, &(ia, iu)) in hours.iter().enumerate() {
            t.parts_of(ia, &(0..7).map(|d| slots[d * 24 + h].0).collect::<Vec<_>>());
            t.parts_of(iu, &(0..7).map(|d| slots[d * 24 + h].1).collect::<Vec<_>>());
        }
        let w = t.withheld(k);
        let get = |(a, u): (usize, usize)| (w[a], w[u]);
        GapWithheld {
            place: get(place),
            no_service_nearby: w[nn],
            hours: hours.into_iter().map(get).collect(),
            slots: slots.into_iter().map(get).collect(),
        }
    }

    /// One row per place (and `_outside`): `place_id`, `place_name`,
    /// `incidents`, `unmet`, `unmet_share`, `unmet_no_service_nearby`
    /// (unmet with no service of the kinds within reach at any time). Counts
    /// 1..k−1 are null, and so is a share derived from them; further counts
    /// are null where subtraction would give a withheld one back
    /// ([`ServiceGapResult::withheld`]).
    ///
    /// # Errors
    /// A polars error if the frame cannot be built.
    pub fn place_table(&self, ds: &Dataset) -> Result<DataFrame> {
        let (mut ids, mut names, mut tot, mut un, mut sh, mut nn) = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        for (row, &none) in self.unmet_no_service_nearby_by_place.iter().enumerate() {
            let (id, name) = place_label(ds, row);
            let (t, u) = self.place_totals(row);
            let w = self.withheld(row);
            let (t, u) = (shown_if(t, w.place.0), shown_if(u, w.place.1));
            ids.push(id);
            names.push(name);
            tot.push(t);
            un.push(u);
            sh.push(shown_share(u, t));
            nn.push(shown_if(none, w.no_service_nearby));
        }
        Ok(DataFrame::new_infer_height(vec![
            Column::new("place_id".into(), ids),
            Column::new("place_name".into(), names),
            Column::new("incidents".into(), tot),
            Column::new("unmet".into(), un),
            Column::new("unmet_share".into(), sh),
            Column::new("unmet_no_service_nearby".into(), nn),
        ])?)
    }

    /// One row per place (and `_outside`) and local hour of day:
    /// `place_id`, `place_name`, `hour` (0–23), `incidents`, `unmet`,
    /// `unmet_share` (suppressed as in [`ServiceGapResult::place_table`]).
    ///
    /// # Errors
    /// A polars error if the frame cannot be built.
    pub fn place_hour_table(&self, ds: &Dataset) -> Result<DataFrame> {
        self.slot_table(ds, false)
    }

    /// One row per place (and `_outside`), weekday (`mon`…) and local hour:
    /// `place_id`, `place_name`, `weekday`, `hour`, `incidents`, `unmet`,
    /// `unmet_share` (suppressed as in [`ServiceGapResult::place_table`]).
    ///
    /// # Errors
    /// A polars error if the frame cannot be built.
    pub fn place_weekday_hour_table(&self, ds: &Dataset) -> Result<DataFrame> {
        self.slot_table(ds, true)
    }

    fn slot_table(&self, ds: &Dataset, by_weekday: bool) -> Result<DataFrame> {
        let (mut ids, mut names, mut wds, mut hours, mut tot, mut un, mut sh) = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        for row in 0..=self.places {
            let (id, name) = place_label(ds, row);
            let w = self.withheld(row);
            let days: &[usize] = if by_weekday {
                &[0, 1, 2, 3, 4, 5, 6]
            } else {
                &[0]
            };
            for &wd in days {
                for h in 0..24 {
                    let ((t, u), (wt, wu)) = if by_weekday {
                        let i = row * 168 + wd * 24 + h;
                        (
                            (self.total_by_slot[i], self.unmet_by_slot[i]),
                            w.slots[wd * 24 + h],
                        )
                    } else {
                        (self.place_hour(row, h), w.hours[h])
                    };
                    let (t, u) = (shown_if(t, wt), shown_if(u, wu));
                    ids.push(id.clone());
                    names.push(name.clone());
                    wds.push(WEEKDAY_LABELS[wd]);
                    hours.push(h as u32);
                    tot.push(t);
                    un.push(u);
                    sh.push(shown_share(u, t));
                }
            }
        }
        let mut cols = vec![
            Column::new("place_id".into(), ids),
            Column::new("place_name".into(), names),
        ];
        if by_weekday {
            cols.push(Column::new("weekday".into(), wds));
        }
        cols.extend([
            Column::new("hour".into(), hours),
            Column::new("incidents".into(), tot),
            Column::new("unmet".into(), un),
            Column::new("unmet_share".into(), sh),
        ]);
        Ok(DataFrame::new_infer_height(cols)?)
    }
}

/// Settings of the outreach-window ranking.
///
/// A window is `hours` consecutive local hours starting on a weekday at a
/// whole hour; it may run past midnight into the next weekday (Sunday
/// night runs into Monday), since the week is treated as a circle. Per
/// place, windows are chosen greedily: the window with the most unmet
/// incidents first (ties: a window whose first hour has unmet incidents, so
/// that a window starts when they do, then earlier in the week), then the best window not
/// overlapping any chosen one, and so on. All places' windows are then
/// ranked by unmet incidents (ties: place order, then time in the week) and
/// the first `top` are kept. Incidents outside every place are not ranked,
/// and windows with fewer than `min_count` unmet incidents are not listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutreachWindows {
    /// Window length in hours, 1–24 (default 3).
    pub hours: u32,
    /// How many windows to list (default 20).
    pub top: usize,
}

impl Default for OutreachWindows {
    fn default() -> Self {
        Self { hours: 3, top: 20 }
    }
}

/// A service of the chosen kinds near a place, with its open share during
/// an outreach window.
#[derive(Debug, Clone, PartialEq)]
pub struct NearbyService {
    /// Index in the data set's services.
    pub service: usize,
    /// Service id.
    pub id: String,
    /// Service name.
    pub name: String,
    /// Service kind.
    pub kind: String,
    /// Straight-line metres from the place's outline (0 inside).
    pub distance_m: f64,
    /// Share of the place's incidents (whole period) within the distance of
    /// the service: in a large park a service near one edge reaches only part
    /// of it.
    pub reaches_share: f64,
    /// Share of the window's real hours in the period that it is open
    /// (`None`: opening hours unknown).
    pub open_share: Option<f64>,
}

/// One ranked outreach window: a place, a weekday and an hour range
/// `[start_hour, end_hour)` in local time.
#[derive(Debug, Clone, PartialEq)]
pub struct OutreachWindow {
    /// 1 for the window with the most unmet incidents.
    pub rank: usize,
    /// Place index in the data set.
    pub place: usize,
    /// Place id.
    pub place_id: String,
    /// Place name.
    pub place_name: String,
    /// Weekday the window starts (0 = Monday).
    pub weekday: usize,
    /// First local hour (0–23).
    pub start_hour: u32,
    /// Local hour the window ends (exclusive, 0–23; on the next weekday if
    /// [`OutreachWindow::crosses_midnight`]).
    pub end_hour: u32,
    /// Length in hours.
    pub hours: u32,
    /// Whether the window runs past midnight into the next weekday.
    pub crosses_midnight: bool,
    /// Unmet incidents in the window over the period (at least `min_count`).
    pub unmet: u64,
    /// All incidents at the place in the window.
    pub incidents: u64,
    /// How many times the window occurs in the period (the number of its
    /// start weekdays among the period's local dates).
    pub occurrences: u32,
    /// Unmet incidents per occurrence: what an outreach visit in that window
    /// would meet, on average.
    pub unmet_per_visit: f64,
    /// Share of the place's unmet incidents (whole period) in this window.
    pub share_of_place_unmet: f64,
    /// Services of the chosen kinds within the distance of the place, with
    /// their open share during the window, nearest first.
    pub nearby: Vec<NearbyService>,
}

impl OutreachWindow {
    /// The start weekday's label (`mon`…).
    #[must_use]
    pub fn weekday_label(&self) -> &'static str {
        WEEKDAY_LABELS[self.weekday]
    }

    /// The weekday the window ends on (the next one if it crosses midnight).
    #[must_use]
    pub fn end_weekday_label(&self) -> &'static str {
        let days = (self.start_hour + self.hours).saturating_sub(1) / 24;
        WEEKDAY_LABELS[(self.weekday + days as usize) % 7]
    }

    /// `fri 22-01 (into sat)`, `tue 19-22`, `mon 00-24`.
    #[must_use]
    pub fn label(&self) -> String {
        let end = if self.hours == 24 && self.start_hour == 0 {
            24
        } else {
            self.end_hour
        };
        let s = format!("{} {:02}-{:02}", self.weekday_label(), self.start_hour, end);
        if self.crosses_midnight {
            format!("{s} (into {})", self.end_weekday_label())
        } else {
            s
        }
    }

    /// The nearby services open at all during the window.
    pub fn open_nearby(&self) -> impl Iterator<Item = &NearbyService> {
        self.nearby
            .iter()
            .filter(|n| n.open_share.is_some_and(|s| s > 0.0))
    }

    /// The (weekday, hour) pairs the window covers.
    #[must_use]
    pub fn weekday_hours(&self) -> Vec<(usize, usize)> {
        (0..self.hours as usize)
            .map(|j| {
                let s = (self.weekday * 24 + self.start_hour as usize + j) % 168;
                (s / 24, s % 24)
            })
            .collect()
    }
}

impl OutreachWindows {
    /// Ranks outreach windows from a service-gap result; `timetable` (of the
    /// same data set's services) gives the nearby services' open shares.
    ///
    /// # Errors
    /// [`Error::Parameter`] for a window length outside 1–24 hours, `top` 0,
    /// or a gap result or timetable from another data set.
    pub fn rank(
        &self,
        ds: &Dataset,
        index: &SpatialIndex,
        gap: &ServiceGapResult,
        timetable: &Timetable,
    ) -> Result<Vec<OutreachWindow>> {
        if !(1..=24).contains(&self.hours) {
            return Err(Error::parameter(
                "outreach window length",
                format!(
                    "{} hours; give 1 to 24 hours (e.g. 3 for an evening round)",
                    self.hours
                ),
            ));
        }
        if self.top == 0 {
            return Err(Error::parameter(
                "outreach windows",
                "top is 0; ask for at least one window",
            ));
        }
        if gap.places != ds.places.len() || timetable.open_hours.len() != ds.services.len() {
            return Err(Error::parameter(
                "outreach windows",
                "the service-gap result or timetable was made from another data set",
            ));
        }
        let len = self.hours as usize;
        let threshold = gap.settings.min_count.max(1);
        let occurrences = weekday_occurrences(ds);
        let mut chosen: Vec<(usize, usize, u64)> = Vec::new(); // (place, start slot, unmet)
        for place in 0..ds.places.len() {
            let unmet = &gap.unmet_by_slot[place * 168..(place + 1) * 168];
            let score = |s: usize| (0..len).map(|j| unmet[(s + j) % 168]).sum::<u64>();
            let mut used = [false; 168];
            loop {
                let best = (0..168)
                    .filter(|&s| (0..len).all(|j| !used[(s + j) % 168]))
                    .map(|s| (score(s), unmet[s] > 0, s))
                    .max_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(b.2.cmp(&a.2)));
                match best {
                    Some((u, _, s)) if u >= threshold => {
                        for j in 0..len {
                            used[(s + j) % 168] = true;
                        }
                        chosen.push((place, s, u));
                    }
                    _ => break,
                }
            }
        }
        chosen.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
        chosen.truncate(self.top);
        let mut nearby_cache: BTreeMap<usize, Vec<(usize, f64, f64)>> = BTreeMap::new();
        let mut out = Vec::with_capacity(chosen.len());
        for (rank, &(place, start, unmet)) in chosen.iter().enumerate() {
            let totals = &gap.total_by_slot[place * 168..(place + 1) * 168];
            let incidents = (0..len).map(|j| totals[(start + j) % 168]).sum();
            let (_, place_unmet) = gap.place_totals(place);
            let weekday = start / 24;
            let start_hour = (start % 24) as u32;
            let occ = occurrences[weekday];
            let near = nearby_cache
                .entry(place)
                .or_insert_with(|| services_near_place(ds, index, &gap.settings, place));
            let mut w = OutreachWindow {
                rank: rank + 1,
                place,
                place_id: ds.places[place].id.clone(),
                place_name: ds.places[place].name.clone(),
                weekday,
                start_hour,
                end_hour: (start_hour + self.hours) % 24,
                hours: self.hours,
                crosses_midnight: start_hour + self.hours > 24,
                unmet,
                incidents,
                occurrences: occ,
                unmet_per_visit: if occ > 0 {
                    unmet as f64 / f64::from(occ)
                } else {
                    0.0
                },
                share_of_place_unmet: if place_unmet > 0 {
                    unmet as f64 / place_unmet as f64
                } else {
                    0.0
                },
                nearby: Vec::new(),
            };
            let wh = w.weekday_hours();
            w.nearby = near
                .iter()
                .map(|&(s, d, reaches)| {
                    let svc = &ds.services[s];
                    NearbyService {
                        service: s,
                        id: svc.id.clone(),
                        name: svc.name.clone(),
                        kind: svc.kind.as_str().to_owned(),
                        distance_m: d,
                        reaches_share: reaches,
                        open_share: timetable.share_over(s, &wh),
                    }
                })
                .collect();
            out.push(w);
        }
        Ok(out)
    }
}

/// Services of the chosen kinds within the distance of place `place`'s
/// outline, nearest first (ties by index).
fn services_near_place(
    ds: &Dataset,
    index: &SpatialIndex,
    settings: &ServiceGap,
    place: usize,
) -> Vec<(usize, f64, f64)> {
    let outline = index.place_geometry(place);
    let mut near: Vec<(usize, f64)> = ds
        .services
        .iter()
        .enumerate()
        .filter(|(_, s)| settings.counts(&s.kind))
        .map(|(i, _)| {
            let [x, y] = index.service_xy(i);
            (i, Euclidean.distance(&Point::new(x, y), outline))
        })
        .filter(|&(_, d)| d <= settings.distance_m)
        .collect();
    near.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let inside = index.incidents_in_place(place);
    let r2 = settings.distance_m * settings.distance_m;
    near.into_iter()
        .map(|(s, d)| {
            let [x, y] = index.service_xy(s);
            let reached = inside
                .iter()
                .filter(|&&i| {
                    let i = i as usize;
                    (ds.incidents.x[i] - x).powi(2) + (ds.incidents.y[i] - y).powi(2) <= r2
                })
                .count();
            let share = if inside.is_empty() {
                0.0
            } else {
                reached as f64 / inside.len() as f64
            };
            (s, d, share)
        })
        .collect()
}

/// How many of each weekday (Monday first) the period's local dates hold.
fn weekday_occurrences(ds: &Dataset) -> [u32; 7] {
    let day = |t: i64| local_date(ds.zone, t);
    let mut counts = [0u32; 7];
    if ds.period.end <= ds.period.start {
        return counts;
    }
    let (first, last) = (day(ds.period.start), day(ds.period.end - 1));
    let mut d = first;
    while d <= last {
        counts[d.weekday().num_days_from_monday() as usize] += 1;
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }
    counts
}

/// The ranked outreach windows as a table: `rank`, `place_id`,
/// `place_name`, `weekday` (start), `start_hour`, `end_hour` (exclusive),
/// `end_weekday`, `window` (e.g. `fri 22-01 (into sat)`), `unmet`,
/// `incidents`, `occurrences`, `unmet_per_visit`, `share_of_place_unmet`,
/// `open_nearby` (services of the kinds within the distance of the place's
/// outline open at all during the window: `name (open 100% of the window,
/// 210 m, reaches 35% of the place's incidents)`) and
/// `closed_nearby` (within reach but closed throughout, or with unknown
/// hours, marked `(hours unknown)`).
///
/// # Errors
/// A polars error if the frame cannot be built.
pub fn outreach_table(windows: &[OutreachWindow]) -> Result<DataFrame> {
    let col_u = |f: &dyn Fn(&OutreachWindow) -> u64| windows.iter().map(f).collect::<Vec<u64>>();
    let col_s =
        |f: &dyn Fn(&OutreachWindow) -> String| windows.iter().map(f).collect::<Vec<String>>();
    let col_f = |f: &dyn Fn(&OutreachWindow) -> f64| windows.iter().map(f).collect::<Vec<f64>>();
    let open = |w: &OutreachWindow| {
        w.open_nearby()
            .map(|n| {
                format!(
                    "{} (open {:.0}% of the window, {:.0} m, reaches {:.0}% of the place's incidents)",
                    n.name,
                    100.0 * n.open_share.unwrap_or(0.0),
                    n.distance_m,
                    100.0 * n.reaches_share
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let closed = |w: &OutreachWindow| {
        w.nearby
            .iter()
            .filter_map(|n| match n.open_share {
                None => Some(format!("{} (hours unknown)", n.name)),
                Some(s) if s <= 0.0 => Some(n.name.clone()),
                Some(_) => None,
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    Ok(DataFrame::new_infer_height(vec![
        Column::new("rank".into(), col_u(&|w| w.rank as u64)),
        Column::new("place_id".into(), col_s(&|w| w.place_id.clone())),
        Column::new("place_name".into(), col_s(&|w| w.place_name.clone())),
        Column::new("weekday".into(), col_s(&|w| w.weekday_label().to_owned())),
        Column::new("start_hour".into(), col_u(&|w| u64::from(w.start_hour))),
        Column::new("end_hour".into(), col_u(&|w| u64::from(w.end_hour))),
        Column::new(
            "end_weekday".into(),
            col_s(&|w| w.end_weekday_label().to_owned()),
        ),
        Column::new("window".into(), col_s(&OutreachWindow::label)),
        Column::new("unmet".into(), col_u(&|w| w.unmet)),
        Column::new("incidents".into(), col_u(&|w| w.incidents)),
        Column::new("occurrences".into(), col_u(&|w| u64::from(w.occurrences))),
        Column::new("unmet_per_visit".into(), col_f(&|w| w.unmet_per_visit)),
        Column::new(
            "share_of_place_unmet".into(),
            col_f(&|w| w.share_of_place_unmet),
        ),
        Column::new("open_nearby".into(), col_s(&open)),
        Column::new("closed_nearby".into(), col_s(&closed)),
    ])?)
}

/// Per service (as in `ds.services`), the reader's message when its
/// `opening_hours` could not be parsed (`bad_opening_hours` warnings of the
/// services input), matched by feature number.
#[must_use]
pub fn opening_hours_problems(ds: &Dataset) -> Vec<Option<String>> {
    let mut out = vec![None; ds.services.len()];
    let Some(report) = ds
        .reports
        .iter()
        .rev()
        .find(|r| r.kind == "services" && r.accepted as usize == ds.services.len())
    else {
        return out;
    };
    if report.rejections.len() as u64 != report.rejected {
        return out; // not every rejection listed: feature numbers cannot be matched
    }
    let rejected: std::collections::BTreeSet<u64> =
        report.rejections.iter().map(|r| r.line).collect();
    let accepted: Vec<u64> = (1..=report.read)
        .filter(|l| !rejected.contains(l))
        .collect();
    for w in report
        .warnings
        .iter()
        .filter(|w| w.kind == "bad_opening_hours")
    {
        if let Some(i) = w.line.and_then(|l| accepted.binary_search(&l).ok()) {
            out[i] = Some(w.message.clone());
        }
    }
    out
}

/// The services layer (`services.geojson`): one point per service with `id`,
/// `name`, `kind`, `target_groups` (`;`-separated), `opening_hours` (the
/// text, `unknown` when none was given, or `could not be parsed`),
/// `opening_hours_problem` (the reader's message, or null), `open_share`
/// (share of the whole period open; null without opening hours),
/// `weekly_open_hours` (open hours per week, averaged over the period) and
/// `open_<bin>` for every bin label: the share (0–1) of that bin's real
/// hours in which it is open, null without opening hours.
///
/// `shares` and `labels` are [`open_shares`](crate::open_shares) and
/// [`TimeBinning::labels`](crate::TimeBinning::labels) of the map's bins
/// (e.g. hour × season); `timetable` is [`Timetable::compute`] of the same
/// services.
///
/// # Errors
/// [`Error::Parameter`] if `shares` or the timetable do not match the
/// services, or a share vector does not match the labels.
pub fn services_layer(
    ds: &Dataset,
    timetable: &Timetable,
    shares: &[Option<Vec<f64>>],
    labels: &[String],
) -> Result<Layer> {
    if shares.len() != ds.services.len() || timetable.open_hours.len() != ds.services.len() {
        return Err(Error::parameter(
            "services layer",
            "the open shares or timetable were computed for other services",
        ));
    }
    if shares.iter().flatten().any(|s| s.len() != labels.len()) {
        return Err(Error::parameter(
            "services layer",
            "the open shares have a different number of bins than the labels",
        ));
    }
    let problems = opening_hours_problems(ds);
    let mut layer = Layer::new("services");
    layer.param("bins", labels.to_vec());
    let (first, last) = ds.period.describe(ds.zone);
    layer.param(
        "period",
        json!({"first": first, "last": last, "zone": ds.zone.name()}),
    );
    for (i, s) in ds.services.iter().enumerate() {
        let mut p = JsonObject::new();
        p.insert("id".into(), s.id.clone().into());
        p.insert("name".into(), s.name.clone().into());
        p.insert("kind".into(), s.kind.as_str().into());
        p.insert("target_groups".into(), s.target_groups.join(";").into());
        let text = match (&s.opening_hours, &problems[i]) {
            (Some(h), _) => h.text().to_owned(),
            (None, Some(_)) => "could not be parsed".to_owned(),
            (None, None) => "unknown".to_owned(),
        };
        p.insert("opening_hours".into(), text.into());
        p.insert(
            "opening_hours_problem".into(),
            problems[i].clone().map_or(Value::Null, Value::from),
        );
        p.insert("open_share".into(), round4(timetable.overall_share(i)));
        p.insert(
            "weekly_open_hours".into(),
            timetable
                .weekly_open_hours(i)
                .map_or(Value::Null, |h| ((h * 100.0).round() / 100.0).into()),
        );
        for (b, label) in labels.iter().enumerate() {
            p.insert(
                format!("open_{label}"),
                round4(shares[i].as_ref().map(|v| v[b])),
            );
        }
        layer.push(s.point.into(), p);
    }
    Ok(layer)
}

fn round4(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |x| ((x * 1e4).round() / 1e4).into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;
    use crate::model::{Place, PlaceKind, Schedule, Service};
    use crate::read::incidents::IncidentReader;
    use crate::time::{Period, TimeBinning, parse_zone};
    use crate::{DatasetBuilder, open_shares};
    use geo::{MultiPolygon, polygon};

    /// One square around (9.9200, 57.0450), about 60 × 67 m.
    fn square() -> Place {
        let p = polygon![
            (x: 9.9195, y: 57.0447), (x: 9.9205, y: 57.0447),
            (x: 9.9205, y: 57.0453), (x: 9.9195, y: 57.0453), (x: 9.9195, y: 57.0447)
        ];
        Place {
            id: "sq".into(),
            name: "Square".into(),
            geometry: MultiPolygon(vec![p]),
            kind: PlaceKind::Square,
            attributes: crate::model::Attributes::default(),
        }
    }

    fn service(id: &str, lon: f64, kind: ServiceKind, hours: Option<&str>) -> Service {
        Service {
            id: id.into(),
            name: id.into(),
            point: geo::Point::new(lon, 57.0450),
            kind,
            target_groups: vec![],
            opening_hours: hours.map(|h| Schedule::parse(h, Some("DK")).unwrap()),
            attributes: crate::model::Attributes::default(),
        }
    }

    /// Incidents at the square's centre at the given local times (+01:00),
    /// with the period 4-17 March 2024 (two whole weeks).
    fn dataset(times: &[&str], services: Vec<Service>) -> Dataset {
        let mut csv = String::from("id,lon,lat,timestamp,category\n");
        for (i, t) in times.iter().enumerate() {
            csv += &[
                i.to_string(),
                ",9.9200,57.0450,".into(),
                (*t).to_owned(),
                "+01:00,noise\n".into(),
            ]
            .concat();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("incidents.csv");
        std::fs::write(&path, csv).unwrap();
        let tz = parse_zone("Europe/Copenhagen").unwrap();
        let batch = IncidentReader::new().read_csv(&path).unwrap();
        let mut ds = DatasetBuilder::new()
            .incidents(batch)
            .zone(tz)
            .period(
                Period::local_dates(
                    tz,
                    "2024-03-04".parse().unwrap(),
                    "2024-03-17".parse().unwrap(),
                )
                .unwrap(),
            )
            .build()
            .unwrap();
        ds.places = vec![square()];
        ds.services = services;
        ds
    }

    /// The required hand-computed case: a drop-in centre open 08-16 about
    /// 133 m east, a toilet open 24/7 about 60 m west, a drop-in centre with
    /// unknown hours 18 m west; incidents at 07, 12 and 20 on a Tuesday.
    fn hand_case() -> (Dataset, SpatialIndex, Vec<u32>) {
        let ds = dataset(
            &[
                "2024-03-05T07:10:00",
                "2024-03-05T12:10:00",
                "2024-03-05T20:10:00",
            ],
            vec![
                service(
                    "dropin",
                    9.9222,
                    ServiceKind::DropInCentre,
                    Some("08:00-16:00"),
                ),
                service("toilet", 9.9190, ServiceKind::Toilet, Some("24/7")),
                service("unknown", 9.9197, ServiceKind::DropInCentre, None),
            ],
        );
        let index = SpatialIndex::build(&ds).unwrap();
        let place_of = index.place_of_incidents(&ds);
        (ds, index, place_of)
    }

    #[test]
    fn hand_computed_open_08_16() {
        let (ds, index, place_of) = hand_case();
        assert_eq!(place_of, vec![0, 0, 0]);
        // The distances are what the case says (metres in the projection).
        let d = |s: usize| {
            let [x, y] = index.service_xy(s);
            (x - ds.incidents.x[0]).hypot(y - ds.incidents.y[0])
        };
        assert!(
            (d(0) - 133.0).abs() < 2.0 && (d(1) - 60.5).abs() < 2.0,
            "{}",
            d(0)
        );
        let drop_in = ServiceGap::new().kinds(&[ServiceKind::DropInCentre]);
        let g = drop_in.compute(&ds, &index, &place_of).unwrap();
        // 07 and 20 unmet, 12 met by the 08-16 centre (the nearer one with
        // unknown hours never counts as open); the 24/7 toilet is the wrong kind.
        assert_eq!(g.unmet_flags(), vec![true, false, true]);
        assert_eq!(g.nearest_open, vec![NO_SERVICE, 0, NO_SERVICE]);
        assert_eq!((g.incidents, g.unmet, g.unmet_no_service_nearby), (3, 2, 0));
        assert!((g.unmet_share - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(g.place_hour(0, 7), (1, 1));
        assert_eq!(g.place_hour(0, 12), (1, 0));
        assert_eq!(g.place_hour(0, 20), (1, 1));
        assert_eq!(g.place_totals(0), (3, 2));
        assert_eq!(g.place_totals(1), (0, 0)); // outside
        // Tuesday = weekday 1.
        assert_eq!(g.unmet_by_slot[24 + 20], 1);
        // Every kind: the 24/7 toilet meets all three.
        let all = ServiceGap::new().compute(&ds, &index, &place_of).unwrap();
        assert_eq!(all.unmet, 0);
        assert_eq!(all.nearest_open, vec![1, 1, 1]);
        // 100 m: the 08-16 centre is out of reach; the one in reach has unknown hours.
        let near = drop_in.clone().distance_m(100.0);
        let g = near.compute(&ds, &index, &place_of).unwrap();
        assert_eq!((g.unmet, g.unmet_no_service_nearby), (3, 0));
        // No shelter at all within reach.
        let g = ServiceGap::new()
            .kinds(&[ServiceKind::Shelter])
            .compute(&ds, &index, &place_of)
            .unwrap();
        assert_eq!((g.unmet, g.unmet_no_service_nearby), (3, 3));
        assert_eq!(g.unmet_no_service_nearby_by_place, vec![3, 0]);
        assert!(g.service_nearby.iter().all(|&b| !b));
    }

    #[test]
    fn tables_suppress_small_counts() {
        let (ds, index, place_of) = hand_case();
        let g = ServiceGap::new()
            .kinds(&[ServiceKind::DropInCentre])
            .min_count(1)
            .compute(&ds, &index, &place_of)
            .unwrap();
        let t = g.place_hour_table(&ds).unwrap();
        assert_eq!(t.height(), 2 * 24);
        let unmet = t.column("unmet").unwrap().u64().unwrap();
        let share = t.column("unmet_share").unwrap().f64().unwrap();
        assert_eq!(
            (unmet.get(7), unmet.get(12), unmet.get(20)),
            (Some(1), Some(0), Some(1))
        );
        assert_eq!(
            (share.get(7), share.get(12), share.get(13)),
            (Some(1.0), Some(0.0), None)
        );
        // With k = 5 every count of 1..4 is hidden, zeros stay 0.
        let g5 = ServiceGap::new()
            .kinds(&[ServiceKind::DropInCentre])
            .compute(&ds, &index, &place_of)
            .unwrap();
        let t = g5.place_hour_table(&ds).unwrap();
        let inc = t.column("incidents").unwrap().u64().unwrap();
        let unmet = t.column("unmet").unwrap().u64().unwrap();
        assert_eq!(
            (inc.get(7), unmet.get(7), inc.get(8)),
            (None, None, Some(0))
        );
        assert_eq!(unmet.get(12), Some(0));
        assert_eq!(
            t.column("unmet_share").unwrap().f64().unwrap().get(12),
            None
        );
        let p = g5.place_table(&ds).unwrap();
        assert_eq!(p.height(), 2);
        assert_eq!(p.column("unmet").unwrap().u64().unwrap().get(0), None);
        let w = g5.place_weekday_hour_table(&ds).unwrap();
        assert_eq!(w.height(), 2 * 168);
    }

    #[test]
    fn bad_settings_are_explained() {
        let (ds, index, place_of) = hand_case();
        for bad in [0.0, -5.0, f64::NAN, f64::INFINITY] {
            let e = ServiceGap::new()
                .distance_m(bad)
                .compute(&ds, &index, &place_of)
                .unwrap_err();
            assert!(e.to_string().contains("walking distance in metres"), "{e}");
        }
        let e = ServiceGap::new()
            .kinds(&[])
            .compute(&ds, &index, &place_of)
            .unwrap_err();
        assert!(e.to_string().contains("name at least one kind"), "{e}");
        let e = ServiceGap::new()
            .compute(&ds, &index, &place_of[..2])
            .unwrap_err();
        assert!(e.to_string().contains("2 places for 3 incidents"), "{e}");
        let g = ServiceGap::new().compute(&ds, &index, &place_of).unwrap();
        let t = Timetable::compute(&ds.services, &TimeBinning::default(), &ds.period, ds.zone);
        for w in [
            OutreachWindows { hours: 0, top: 5 },
            OutreachWindows { hours: 25, top: 5 },
            OutreachWindows { hours: 3, top: 0 },
        ] {
            assert!(w.rank(&ds, &index, &g, &t).is_err());
        }
    }

    /// Two weeks, one square; the 08-16 weekday centre 103 m from the square's
    /// edge is the only drop-in centre. Unmet incidents: Fri 21 ×1, Fri 22 ×3,
    /// Fri 23 ×2, Sat 00 ×2 (one Friday night and the next), Sun 23 ×3 and
    /// Mon 00 ×3 (across the week's end), Wed 18 ×5; six at Tue 12 are met.
    #[test]
    fn outreach_windows_by_hand() {
        let mut times = vec![
            "2024-03-08T21:10:00",
            "2024-03-08T22:10:00",
            "2024-03-08T22:20:00",
            "2024-03-15T22:30:00",
            "2024-03-08T23:10:00",
            "2024-03-08T23:20:00",
            "2024-03-09T00:10:00",
            "2024-03-09T00:20:00",
            "2024-03-10T23:10:00",
            "2024-03-10T23:20:00",
            "2024-03-17T23:30:00",
            "2024-03-11T00:10:00",
            "2024-03-11T00:20:00",
            "2024-03-11T00:30:00",
        ];
        times.extend(["2024-03-06T18:10:00"; 5]);
        times.extend(["2024-03-05T12:10:00"; 6]);
        let ds = dataset(
            &times,
            vec![
                service(
                    "dropin",
                    9.9222,
                    ServiceKind::DropInCentre,
                    Some("Mo-Fr 08:00-16:00"),
                ),
                service("toilet", 9.9190, ServiceKind::Toilet, Some("24/7")),
            ],
        );
        let index = SpatialIndex::build(&ds).unwrap();
        let place_of = index.place_of_incidents(&ds);
        let g = ServiceGap::new()
            .kinds(&[ServiceKind::DropInCentre])
            .compute(&ds, &index, &place_of)
            .unwrap();
        assert_eq!((g.incidents, g.unmet), (25, 19));
        let t = Timetable::compute(&ds.services, &TimeBinning::default(), &ds.period, ds.zone);
        let w = OutreachWindows::default()
            .rank(&ds, &index, &g, &t)
            .unwrap();
        let got: Vec<(String, u64, u64)> = w
            .iter()
            .map(|w| (w.label(), w.unmet, w.incidents))
            .collect();
        assert_eq!(
            got,
            vec![
                ("fri 22-01 (into sat)".to_owned(), 7, 7),
                ("sun 23-02 (into mon)".to_owned(), 6, 6),
                ("wed 18-21".to_owned(), 5, 5),
            ]
        );
        assert!(w.iter().all(|w| w.occurrences == 2));
        assert_eq!(w[0].unmet_per_visit, 3.5);
        assert!((w[0].share_of_place_unmet - 7.0 / 19.0).abs() < 1e-12);
        assert_eq!((w[1].weekday, w[1].start_hour, w[1].end_hour), (6, 23, 2));
        assert_eq!(w[1].end_weekday_label(), "mon");
        // The centre is near (about 103 m from the edge) but closed at night.
        assert_eq!(w[0].nearby.len(), 1);
        assert!(
            (w[0].nearby[0].distance_m - 103.0).abs() < 3.0,
            "{:?}",
            w[0].nearby
        );
        assert_eq!(w[0].nearby[0].open_share, Some(0.0));
        assert_eq!(w[0].nearby[0].reaches_share, 1.0);
        assert_eq!(w[0].open_nearby().count(), 0);
        let table = outreach_table(&w).unwrap();
        assert_eq!(table.height(), 3);
        let closed = table.column("closed_nearby").unwrap().str().unwrap();
        assert_eq!(closed.get(0), Some("dropin"));
        // Top 1, and 1-hour windows.
        let one = OutreachWindows { hours: 1, top: 1 }
            .rank(&ds, &index, &g, &t)
            .unwrap();
        assert_eq!((one[0].label(), one[0].unmet), ("wed 18-19".to_owned(), 5));
        // A 24-hour window may start at any hour: Fri 21 to Sat 21.
        let day = OutreachWindows { hours: 24, top: 20 }
            .rank(&ds, &index, &g, &t)
            .unwrap();
        assert_eq!(
            (day[0].label(), day[0].unmet),
            ("fri 21-21 (into sat)".to_owned(), 8)
        );
        // During the day the centre is open part of the window: Wed 08-16
        // of a 3-hour window starting at 14 → 2 of 3 hours.
        assert!((t.share_over(0, &[(2, 14), (2, 15), (2, 16)]).unwrap() - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn services_layer_properties() {
        let (mut ds, _, _) = hand_case();
        let b = TimeBinning::default();
        let spec = crate::time::BinSpec::of(&[crate::time::Dimension::Hour]);
        let labels = b.labels(&spec);
        let t = Timetable::compute(&ds.services, &b, &ds.period, ds.zone);
        let shares = open_shares(&ds.services, &b, &spec, &ds.period, ds.zone, ds.centre());
        let layer = services_layer(&ds, &t, &shares, &labels).unwrap();
        let fc = layer.to_feature_collection();
        let p = |i: usize, k: &str| fc.features[i].properties.as_ref().unwrap()[k].clone();
        assert_eq!(p(0, "opening_hours"), "08:00-16:00");
        assert_eq!(p(2, "opening_hours"), "unknown");
        assert_eq!(p(0, "open_06-09"), json!(0.3333)); // 08-09 of 06-09
        assert_eq!(p(0, "open_09-12"), json!(1.0));
        assert_eq!(p(0, "open_18-21"), json!(0.0));
        assert_eq!(p(2, "open_09-12"), Value::Null);
        assert_eq!(p(0, "weekly_open_hours"), json!(56.0));
        assert_eq!(p(1, "open_share"), json!(1.0));
        // Mismatched inputs are refused.
        assert!(services_layer(&ds, &t, &shares[..1], &labels).is_err());
        ds.services.pop();
        assert!(services_layer(&ds, &t, &shares[..2], &labels).is_err());
    }
}
