//! When services are open: the share of each time bin's real hours in which
//! a service's `opening_hours` says open, over the analysis period (so
//! `Nov-Mar 20:00-08:00` is open in winter evenings and closed in summer).

use chrono_tz::Tz;
use rayon::prelude::*;

use crate::model::Service;
use crate::time::{BinSpec, Period, TimeBinning};

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
