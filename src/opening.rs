//! When services are open: the share of each time bin's real hours in which
//! a service's `opening_hours` says open, over the analysis period (so
//! `Nov-Mar 20:00-08:00` is open in winter evenings and closed in summer).

use std::collections::{BTreeSet, HashMap};

use chrono_tz::Tz;
use polars::prelude::{Column, DataFrame};
use rayon::prelude::*;

use crate::error::Result;
use crate::model::{Schedule, Service};
use crate::time::{BinSpec, Dimension, HourBuckets, Period, TimeBinning};

/// How much of a time bin a service is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenState {
    /// Open for every hour of the bin in the period.
    Open,
    /// Open for part of the bin (some hours, days or weeks).
    Partly,
    /// Never open during the bin.
    Closed,
    /// No opening hours known (never counted as open).
    Unknown,
}

impl OpenState {
    /// The state of an open share (hours open ÷ hours of the bin); `None`
    /// (no opening hours) is [`OpenState::Unknown`].
    #[must_use]
    pub fn of_share(share: Option<f64>) -> Self {
        match share {
            None => OpenState::Unknown,
            Some(s) if s >= 1.0 - 1e-9 => OpenState::Open,
            Some(s) if s > 0.0 => OpenState::Partly,
            Some(_) => OpenState::Closed,
        }
    }

    /// `open`, `partly`, `closed` or `unknown`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            OpenState::Open => "open",
            OpenState::Partly => "partly",
            OpenState::Closed => "closed",
            OpenState::Unknown => "unknown",
        }
    }
}

/// For every service, the share of each bin of `spec` (its real hours in
/// `period`, local time of `zone`, darkness at `at`) in which it is open:
/// `None` for a service without opening hours, and 0 for a bin the period
/// never reaches. Services are evaluated in parallel, each on the quarter
/// hours of the period.
///
/// ```
/// use byrum::*;
/// let tz = parse_zone("Europe/Copenhagen")?;
/// let period = Period::local_dates(tz, "2024-01-01".parse().unwrap(), "2024-12-31".parse().unwrap())?;
/// let service = |hours: &str| Service {
///     id: "s".into(), name: "s".into(), point: geo::Point::new(9.92, 57.05),
///     kind: ServiceKind::parse("warming_room"), target_groups: vec![],
///     opening_hours: Some(Schedule::parse(hours, Some("DK")).unwrap()), attributes: Default::default(),
/// };
/// let b = TimeBinning { hours: HourBuckets::every(12)?, ..TimeBinning::default() };
/// let spec = BinSpec::of(&[Dimension::Hour, Dimension::Season]); // 00-12 × 4 seasons, 12-24 × 4
/// let shares = open_shares(&[service("Nov-Mar 20:00-08:00")], &b, &spec, &period, tz, (9.92, 57.05));
/// let s = shares[0].as_ref().unwrap();
/// // Winter mornings: 00-08 of 00-12 → two thirds; summer: closed.
/// assert!((s[0] - 8.0 / 12.0).abs() < 1e-9 && s[2] == 0.0);
/// assert_eq!(OpenState::of_share(Some(s[2])), OpenState::Closed);
/// # Ok::<(), byrum::Error>(())
/// ```
#[must_use]
pub fn open_shares(
    services: &[Service],
    binning: &TimeBinning,
    spec: &BinSpec,
    period: &Period,
    zone: Tz,
    at: (f64, f64),
) -> Vec<Option<Vec<f64>>> {
    let all = binning.exposure(spec, period, zone, at);
    services
        .par_iter()
        .map(|s| {
            let schedule = s.opening_hours.as_ref()?;
            let open =
                binning.exposure_when(spec, period, zone, at, |t| schedule.is_open_at(t, zone));
            Some(
                open.iter()
                    .zip(&all)
                    .map(|(&o, &a)| if a > 0.0 { (o / a).min(1.0) } else { 0.0 })
                    .collect(),
            )
        })
        .collect()
}

/// Weekday labels, Monday first (as in time bins).
pub(crate) const WEEKDAY_LABELS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A service counts as open in a timetable slot (for `n_open` and the list
/// of open services) when it is open in at least this share of the slot's
/// real hours in the period.
pub const OPEN_MAJORITY: f64 = 0.5;

/// The weekly timetable of services: for every season × weekday × hour of
/// day (local, hourly), the real hours that slot covers in the analysis
/// period and the hours each service is open in it. Real dates are
/// evaluated, so `PH off` (public holidays of the reader's country), month
/// ranges (`Nov-Mar 20:00-08:00`) and `24:00` count as they fall in the period;
/// an open share below 1 means the service is open only on some of those
/// days or part of the hour (`08:30` opens half of hour 8).
///
/// Slot `(season, weekday, hour)` is index `(season × 7 + weekday) × 24 + hour`
/// (weekday 0 = Monday); seasons are the binning's.
///
/// ```
/// use byrum::*;
/// let tz = parse_zone("Europe/Copenhagen")?;
/// let period = Period::local_dates(tz, "2024-01-01".parse().unwrap(), "2024-12-31".parse().unwrap())?;
/// let service = |id: &str, hours: &str| Service {
///     id: id.into(), name: id.into(), point: geo::Point::new(9.92, 57.05),
///     kind: ServiceKind::parse("warming_room"), target_groups: vec![],
///     opening_hours: Some(Schedule::parse(hours, Some("DK")).unwrap()), attributes: Default::default(),
/// };
/// let services = [service("warm", "Nov-Mar 20:00-08:00"), service("cafe", "Mo-Su 18:00-24:00")];
/// let t = Timetable::compute(&services, &TimeBinning::default(), &period, tz);
/// let winter = 0; // meteorological: winter, spring, summer, autumn
/// // Winter Tuesdays 23:00-24:00: both open on every Tuesday of Dec-Feb.
/// assert_eq!(t.share(0, Timetable::slot(winter, 1, 23)), Some(1.0));
/// assert_eq!(t.share(1, Timetable::slot(winter, 1, 23)), Some(1.0));
/// // Summer: the warm room is closed.
/// assert_eq!(t.share(0, Timetable::slot(2, 1, 23)), Some(0.0));
/// // Open hours per week, averaged over the year: the café 7 × 6 h.
/// assert!((t.weekly_open_hours(1).unwrap() - 42.0).abs() < 1e-9);
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Timetable {
    /// Season names, in slot order.
    pub seasons: Vec<String>,
    /// Real hours of every slot in the period (0 where the period never reaches it).
    pub hours: Vec<f64>,
    /// Per service (as in the data set), the hours open in every slot; `None`
    /// for a service without (parseable) opening hours.
    pub open_hours: Vec<Option<Vec<f64>>>,
    /// Per service: id, name and kind, for tables.
    services: Vec<(String, String, String)>,
}

impl Timetable {
    /// The slot index of (`season`, `weekday` 0 = Monday, `hour` 0..24).
    #[must_use]
    pub fn slot(season: usize, weekday: usize, hour: usize) -> usize {
        (season * 7 + weekday) * 24 + hour
    }

    /// Evaluates every service's opening hours on each quarter hour of
    /// `period` (local time of `zone`), in parallel over services. Only the
    /// binning's seasons are used; hours are always hourly here.
    #[must_use]
    pub fn compute(services: &[Service], binning: &TimeBinning, period: &Period, zone: Tz) -> Self {
        let hourly = TimeBinning {
            hours: HourBuckets::hourly(),
            ..binning.clone()
        };
        let spec = BinSpec::of(&[Dimension::Season, Dimension::Weekday, Dimension::Hour]);
        // Darkness is not a dimension, so the place for it does not matter.
        let at = (0.0, 0.0);
        let hours = hourly.exposure(&spec, period, zone, at);
        let open_hours = services
            .par_iter()
            .map(|s| {
                let schedule = s.opening_hours.as_ref()?;
                Some(
                    hourly.exposure_when(&spec, period, zone, at, |t| schedule.is_open_at(t, zone)),
                )
            })
            .collect();
        Self {
            seasons: binning.seasons.names().to_vec(),
            hours,
            open_hours,
            services: services
                .iter()
                .map(|s| (s.id.clone(), s.name.clone(), s.kind.as_str().to_owned()))
                .collect(),
        }
    }

    /// The number of slots (seasons × 7 × 24).
    #[must_use]
    pub fn len(&self) -> usize {
        self.hours.len()
    }

    /// Whether there are no slots (no seasons).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.hours.is_empty()
    }

    /// The share of slot `slot`'s real hours that service `service` is open
    /// (0 for a slot the period never reaches); `None` without opening hours.
    #[must_use]
    pub fn share(&self, service: usize, slot: usize) -> Option<f64> {
        let open = self.open_hours[service].as_ref()?;
        Some(ratio(open[slot], self.hours[slot]))
    }

    /// The share of the real hours of `(weekday, hour)` pairs, over all
    /// seasons, that service `service` is open: e.g. an outreach window
    /// `[(4, 22), (4, 23), (5, 0)]`. `None` without opening hours.
    #[must_use]
    pub fn share_over(&self, service: usize, weekday_hours: &[(usize, usize)]) -> Option<f64> {
        let open = self.open_hours[service].as_ref()?;
        let (mut o, mut h) = (0.0, 0.0);
        for season in 0..self.seasons.len() {
            for &(wd, hour) in weekday_hours {
                let s = Self::slot(season, wd, hour);
                o += open[s];
                h += self.hours[s];
            }
        }
        Some(ratio(o, h))
    }

    /// The share of the whole period that service `service` is open.
    #[must_use]
    pub fn overall_share(&self, service: usize) -> Option<f64> {
        let open = self.open_hours[service].as_ref()?;
        Some(ratio(open.iter().sum(), self.hours.iter().sum()))
    }

    /// Open hours per week, averaged over the period (hours open ÷ weeks in
    /// the period); `None` without opening hours.
    #[must_use]
    pub fn weekly_open_hours(&self, service: usize) -> Option<f64> {
        self.overall_share(service).map(|s| s * 168.0)
    }

    /// The long table: one row per service and slot that the period reaches,
    /// with `season`, `weekday` (`mon`…), `hour` (0–23, local), `service_id`,
    /// `service_name`, `kind`, `hours_in_period` (real hours of the slot),
    /// `open_hours`, `open_share` (null without opening hours) and `state`
    /// (`open`, `partly`, `closed`, `unknown`; see [`OpenState`]).
    ///
    /// # Errors
    /// A polars error if the frame cannot be built.
    pub fn long_table(&self) -> Result<DataFrame> {
        let (mut season, mut weekday, mut hour) = (Vec::new(), Vec::new(), Vec::new());
        let (mut id, mut name, mut kind) = (Vec::new(), Vec::new(), Vec::new());
        let (mut hours, mut open, mut share, mut state) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (slot, &h) in self.hours.iter().enumerate() {
            if h <= 0.0 {
                continue;
            }
            for (s, (sid, sname, skind)) in self.services.iter().enumerate() {
                let sh = self.share(s, slot);
                season.push(self.seasons[slot / 168].clone());
                weekday.push(WEEKDAY_LABELS[(slot / 24) % 7]);
                hour.push((slot % 24) as u32);
                id.push(sid.clone());
                name.push(sname.clone());
                kind.push(skind.clone());
                hours.push(h);
                open.push(self.open_hours[s].as_ref().map(|o| o[slot]));
                share.push(sh);
                state.push(OpenState::of_share(sh).as_str());
            }
        }
        Ok(DataFrame::new_infer_height(vec![
            Column::new("season".into(), season),
            Column::new("weekday".into(), weekday),
            Column::new("hour".into(), hour),
            Column::new("service_id".into(), id),
            Column::new("service_name".into(), name),
            Column::new("kind".into(), kind),
            Column::new("hours_in_period".into(), hours),
            Column::new("open_hours".into(), open),
            Column::new("open_share".into(), share),
            Column::new("state".into(), state),
        ])?)
    }

    /// The wide table a planner reads: one row per slot that the period
    /// reaches, with `season`, `weekday`, `hour`, `hours_in_period`,
    /// `n_open` (services open in at least [`OPEN_MAJORITY`] of the slot's
    /// hours), `n_open_<kind>` for every kind present (sorted by name), and
    /// `open_services`: the names of the services open at all in the slot,
    /// `; `-separated, each followed by its open percentage when below 100 %
    /// (`Dagcentret Havnelyset (50%)`). Services without opening hours are
    /// never open.
    ///
    /// # Errors
    /// A polars error if the frame cannot be built.
    pub fn wide_table(&self) -> Result<DataFrame> {
        let kinds: Vec<&str> = self
            .services
            .iter()
            .map(|s| s.2.as_str())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let (mut season, mut weekday, mut hour, mut hours) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut n_open = Vec::new();
        let mut n_kind = vec![Vec::new(); kinds.len()];
        let mut names = Vec::new();
        for (slot, &h) in self.hours.iter().enumerate() {
            if h <= 0.0 {
                continue;
            }
            season.push(self.seasons[slot / 168].clone());
            weekday.push(WEEKDAY_LABELS[(slot / 24) % 7]);
            hour.push((slot % 24) as u32);
            hours.push(h);
            let mut n = 0u32;
            let mut nk = vec![0u32; kinds.len()];
            let mut open = Vec::new();
            for (s, (_, sname, skind)) in self.services.iter().enumerate() {
                let Some(sh) = self.share(s, slot) else {
                    continue;
                };
                if sh >= OPEN_MAJORITY {
                    n += 1;
                    if let Ok(k) = kinds.binary_search(&skind.as_str()) {
                        nk[k] += 1;
                    }
                }
                if sh > 0.0 {
                    open.push(percent_label(sname, sh));
                }
            }
            n_open.push(n);
            for (col, v) in n_kind.iter_mut().zip(nk) {
                col.push(v);
            }
            names.push(open.join("; "));
        }
        let mut cols = vec![
            Column::new("season".into(), season),
            Column::new("weekday".into(), weekday),
            Column::new("hour".into(), hour),
            Column::new("hours_in_period".into(), hours),
            Column::new("n_open".into(), n_open),
        ];
        for (k, col) in kinds.iter().zip(n_kind) {
            cols.push(Column::new(format!("n_open_{k}").into(), col));
        }
        cols.push(Column::new("open_services".into(), names));
        Ok(DataFrame::new_infer_height(cols)?)
    }
}

/// `name` or `name (NN%)` when the share is below 100 % (rounded, at least 1 %).
pub(crate) fn percent_label(name: &str, share: f64) -> String {
    if share >= 1.0 - 1e-9 {
        name.to_owned()
    } else {
        let pct = (share * 100.0).round().clamp(1.0, 99.0);
        format!("{name} ({pct:.0}%)")
    }
}

fn ratio(open: f64, hours: f64) -> f64 {
    if hours > 0.0 {
        (open / hours).min(1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;
    use crate::model::{Schedule, ServiceKind};
    use crate::time::{Dimension, HourBuckets, parse_zone};

    fn service(hours: Option<&str>) -> Service {
        Service {
            id: "s".into(),
            name: "s".into(),
            point: geo::Point::new(9.92, 57.05),
            kind: ServiceKind::parse("drop_in_centre"),
            target_groups: vec![],
            opening_hours: hours.map(|h| Schedule::parse(h, Some("DK")).unwrap()),
            attributes: crate::model::Attributes::default(),
        }
    }

    #[test]
    fn weekday_service_over_a_week_with_a_holiday() {
        // 2024-03-25..31 holds Maundy Thursday and Good Friday (Danish public holidays).
        let tz = parse_zone("Europe/Copenhagen").unwrap();
        let period = Period::local_dates(
            tz,
            "2024-03-25".parse().unwrap(),
            "2024-03-31".parse().unwrap(),
        )
        .unwrap();
        let b = TimeBinning {
            hours: HourBuckets::every(8).unwrap(),
            ..TimeBinning::default()
        };
        let spec = BinSpec::of(&[Dimension::Hour]);
        let shares = open_shares(
            &[
                service(Some("Mo-Fr 08:00-16:00; PH off")),
                service(Some("24/7")),
                service(None),
            ],
            &b,
            &spec,
            &period,
            tz,
            (9.92, 57.05),
        );
        // The 08-16 bucket has 7 days × 8 h (DST starts on the 31st at 02:00,
        // outside this bucket); open Mon-Wed only: 3 × 8 h.
        let s = shares[0].as_ref().unwrap();
        assert!((s[1] - 3.0 / 7.0).abs() < 1e-12, "{s:?}");
        assert_eq!((s[0], s[2]), (0.0, 0.0));
        assert_eq!(OpenState::of_share(Some(s[1])), OpenState::Partly);
        assert!(shares[1].as_ref().unwrap().iter().all(|&v| v == 1.0));
        assert_eq!(OpenState::of_share(Some(1.0)), OpenState::Open);
        assert!(shares[2].is_none());
        assert_eq!(OpenState::of_share(None), OpenState::Unknown);
    }
}

/// When each service is open over a period, as sorted UTC intervals
/// ([`Schedule::open_intervals`]), so that "open at this instant?" is a
/// binary search instead of an evaluation of the opening hours: the
/// question asked for millions of incidents times their nearby services.
/// The answers equal [`Schedule::is_open_at`]; instants outside the period
/// are asked of the schedule itself.
///
/// ```
/// use byrum::{OpenTimes, Period, Schedule, Service, ServiceKind, parse_zone};
/// let tz = parse_zone("Europe/Copenhagen")?;
/// let s = Service { id: "v".into(), name: "Varmestue".into(), point: geo::Point::new(9.92, 57.05),
///     kind: ServiceKind::WarmingRoom, target_groups: vec![],
///     opening_hours: Some(Schedule::parse("Mo-Su 18:00-08:00", Some("DK")).unwrap()), attributes: Default::default() };
/// let period = Period::covering(tz, &[1_704_067_200, 1_735_689_599])?; // 2024
/// let open = OpenTimes::compute(&[s.clone()], &period, tz);
/// let t = 1_718_470_800; // 2024-06-15 19:00 local
/// assert!(open.is_open(0, t));
/// assert_eq!(open.is_open(0, t + 3 * 3600), s.opening_hours.unwrap().is_open_at(t + 3 * 3600, tz));
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct OpenTimes {
    period: Period,
    zone: Tz,
    /// The intervals of each distinct schedule, at its first service's index
    /// (`None` elsewhere and without opening hours).
    intervals: Vec<Option<Vec<(i64, i64)>>>,
    /// Per service, the first service with the same schedule
    /// (`usize::MAX` without opening hours).
    same_as: Vec<usize>,
    schedules: Vec<Option<Schedule>>,
}

impl OpenTimes {
    /// The open intervals of every service within `period` (each distinct
    /// schedule once, in parallel: services often share `24/7` and the like).
    #[must_use]
    pub fn compute(services: &[Service], period: &Period, zone: Tz) -> Self {
        // The first service with each schedule; the others point to it.
        let mut first: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut same_as = vec![usize::MAX; services.len()];
        for (i, s) in services.iter().enumerate() {
            let Some(h) = &s.opening_hours else { continue };
            let seen = first.entry(h.text()).or_default();
            if let Some(&j) = seen
                .iter()
                .find(|&&j| services[j].opening_hours.as_ref() == Some(h))
            {
                same_as[i] = j;
            } else {
                seen.push(i);
                same_as[i] = i;
            }
        }
        let intervals: Vec<Option<Vec<(i64, i64)>>> = services
            .par_iter()
            .zip(&same_as)
            .enumerate()
            .map(|(i, (s, &j))| {
                (j == i)
                    .then(|| {
                        s.opening_hours
                            .as_ref()
                            .map(|h| h.open_intervals(period, zone))
                    })
                    .flatten()
            })
            .collect();
        Self {
            period: *period,
            zone,
            intervals,
            same_as,
            schedules: services.iter().map(|s| s.opening_hours.clone()).collect(),
        }
    }

    /// Whether service `service` is open at the UTC instant `utc`
    /// (never, for a service without known opening hours).
    #[must_use]
    pub fn is_open(&self, service: usize, utc: i64) -> bool {
        let Some(iv) = self.intervals(service) else {
            return false;
        };
        if utc < self.period.start || utc >= self.period.end {
            return self.schedules[service]
                .as_ref()
                .is_some_and(|s| s.is_open_at(utc, self.zone));
        }
        let k = iv.partition_point(|&(_, end)| end <= utc);
        iv.get(k).is_some_and(|&(start, _)| start <= utc)
    }

    /// The number of services.
    #[must_use]
    pub fn len(&self) -> usize {
        self.intervals.len()
    }

    /// The period the intervals cover (issue 7, nearest: read by `NearestOpen`).
    pub(crate) fn period(&self) -> Period {
        self.period
    }

    /// Service `service`'s open intervals within the period (`None` without
    /// opening hours).
    pub(crate) fn intervals(&self, service: usize) -> Option<&[(i64, i64)]> {
        self.intervals.get(self.schedule_of(service)?)?.as_deref()
    }

    /// The first service with the same opening hours as service `service`
    /// (so the same intervals); `None` without opening hours (issue 7,
    /// nearest: `NearestOpen` toggles services that share hours together).
    pub(crate) fn schedule_of(&self, service: usize) -> Option<usize> {
        self.same_as
            .get(service)
            .copied()
            .filter(|&j| j != usize::MAX)
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.intervals.is_empty()
    }
}
