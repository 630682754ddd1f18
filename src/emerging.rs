//! Emerging hot spots: Gi* per period, a Mann-Kendall trend per cell, and
//! Esri's categories (new, consecutive, intensifying, persistent, diminishing,
//! sporadic, oscillating, historical hot and cold spots, no pattern).
//!
//! The steps follow Esri's *Emerging Hot Spot Analysis* (ArcGIS Pro, "How
//! Emerging Hot Spot Analysis works") and sfdep's `emerging_hotspot_analysis`:
//!
//! 1. The span is cut into consecutive [`Periods`] and the incidents are
//!    counted per cell and period: the space-time cube.
//! 2. Gi* is computed for every bin (cell × period) with
//!    [`GiStar`](crate::GiStar). With a neighbourhood time step `k` the
//!    neighbours of a bin are the cell's spatial neighbours (itself included)
//!    in the same period and in the `k` periods before it, as Esri's
//!    *Neighborhood Time Step* and sfdep's `k`.
//! 3. The Gi* p-values of all bins are corrected for multiple testing with
//!    Benjamini–Hochberg at `alpha`; a bin is a significant hot (cold) spot
//!    when it is rejected and its z is positive (negative).
//! 4. Each cell's series of Gi* z-scores gets a Mann-Kendall trend test.
//! 5. Each cell is put in one category by [`classify_emerging`].
//!
//! **Mean and variance of Gi\* over the whole cube.** Esri's default *global
//! window* is the entire cube: "the tool conceptually compares the mean of
//! each bin in the space time cube to the mean for all bins in the space time
//! cube" (Esri, community answer on the Define Global Window parameter).
//! [`GlobalWindow::EntireCube`] (the default) therefore runs one Gi* over all
//! cells × periods, so x̄ and S are those of the whole cube and a quiet period
//! shows up as cold everywhere. sfdep instead standardises each time slice by
//! its own mean and variance (`local_g_spt_calc` is applied per slice); that
//! is [`GlobalWindow::IndividualTimeStep`] here (Esri's *Individual time
//! step*), which asks "where, within this period" and needs `time_step = 0`.

use chrono::{DateTime, Datelike, Months, NaiveDate, Timelike};
use chrono_tz::Tz;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::gistar::GiStar;
use crate::stats::benjamini_hochberg;
use crate::time::{Period, local_date};
use crate::trend::{MannKendall, Trend, mann_kendall};
use crate::weights::SpatialWeights;

const DAY: i64 = 86_400;

/// The length of each period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodLength {
    /// A fixed number of seconds, from the span's start.
    Seconds(i64),
    /// Local calendar days (23 or 25 hours on daylight-saving days).
    Days(u32),
    /// Local calendar weeks of 7 days, from the span's first day.
    Weeks(u32),
    /// Local calendar months, from the span's first day (a period from the
    /// 31st ends on the last day of shorter months).
    Months(u32),
    /// Local calendar years, from the span's first day.
    Years(u32),
}

impl PeriodLength {
    /// The length sfhotspot's `hotspot_classify()` chooses when no period is
    /// given, from the span in days (sfhotspot 1.0, `R/hotspot_classify.R`:
    /// "Try to decide on a reasonable unit"):
    ///
    /// | span | period |
    /// |---|---|
    /// | under 1 day | a tenth of the span |
    /// | ≤ 14 days | 1 day |
    /// | ≤ 91 days | 7 days |
    /// | ≤ 732 days (2 years) | 28 days |
    /// | ≤ 3653 days (10 years) | 91 days |
    /// | ≤ 7306 days (20 years) | 1 year |
    /// | longer | a tenth of the span, in whole days |
    ///
    /// sfhotspot measures the span from the first to the last incident; here
    /// it is the length of the analysis span `[start, end)`.
    ///
    /// ```
    /// use byrum::PeriodLength;
    /// assert_eq!(PeriodLength::automatic(365 * 86_400), PeriodLength::Days(28));
    /// assert_eq!(PeriodLength::automatic(10 * 86_400), PeriodLength::Days(1));
    /// ```
    #[must_use]
    pub fn automatic(span_seconds: i64) -> Self {
        let days = span_seconds as f64 / DAY as f64;
        if days < 1.0 {
            PeriodLength::Seconds((span_seconds / 10).max(1))
        } else if days <= 14.0 {
            PeriodLength::Days(1)
        } else if days <= 91.0 {
            PeriodLength::Days(7)
        } else if days <= 732.0 {
            PeriodLength::Days(28)
        } else if days <= 3653.0 {
            PeriodLength::Days(91)
        } else if days <= 7306.0 {
            PeriodLength::Years(1)
        } else {
            PeriodLength::Days((days / 10.0).floor() as u32)
        }
    }

    fn check(self) -> Result<Self> {
        let ok = match self {
            PeriodLength::Seconds(s) => s > 0,
            PeriodLength::Days(n)
            | PeriodLength::Weeks(n)
            | PeriodLength::Months(n)
            | PeriodLength::Years(n) => n > 0,
        };
        if ok {
            Ok(self)
        } else {
            Err(Error::parameter(
                "period length",
                format!("{self:?}: the length must be positive"),
            ))
        }
    }

    /// The nominal start of period `k` (may lie beyond the span's end).
    fn boundary(self, k: u32, start: i64, first_day: NaiveDate, zone: Tz) -> Option<i64> {
        let date = match self {
            PeriodLength::Seconds(s) => return start.checked_add(s.checked_mul(i64::from(k))?),
            PeriodLength::Days(n) => {
                first_day.checked_add_days(chrono::Days::new(u64::from(n * k)))
            }
            PeriodLength::Weeks(n) => {
                first_day.checked_add_days(chrono::Days::new(7 * u64::from(n) * u64::from(k)))
            }
            PeriodLength::Months(n) => first_day.checked_add_months(Months::new(n.checked_mul(k)?)),
            PeriodLength::Years(n) => {
                first_day.checked_add_months(Months::new(n.checked_mul(k)?.checked_mul(12)?))
            }
        }?;
        Some(local_midnight(zone, date).max(start))
    }
}

/// The UTC second of local midnight of `date` (or the first local instant of
/// that day where midnight is skipped), from [`Period::local_dates`].
fn local_midnight(zone: Tz, date: NaiveDate) -> i64 {
    Period::local_dates(zone, date, date).map_or(0, |p| p.start)
}

/// Consecutive periods covering a span `[start, end)`, for emerging hot spots
/// and trends.
///
/// Calendar lengths (days, weeks, months, years) step in local time in the
/// zone, from local midnight of the span's first local day; a span that
/// starts later in that day clips the first period to its start. The final
/// period ends at the span's end and is shorter than the others when the
/// span is not a whole number of periods ([`Periods::final_is_partial`]);
/// [`Periods::drop_partial`] removes it, which matters for emerging hot spots,
/// where the final period decides new, consecutive and historical spots.
///
/// ```
/// use byrum::{Period, PeriodLength, Periods, parse_zone};
/// use chrono::NaiveDate;
/// let tz = parse_zone("Europe/Copenhagen")?;
/// let d = |m, day| NaiveDate::from_ymd_opt(2023, m, day).unwrap();
/// let span = Period::local_dates(tz, d(1, 1), d(12, 31))?;
/// let months = Periods::split(&span, tz, PeriodLength::Months(1))?;
/// assert_eq!(months.len(), 12);
/// assert_eq!(months.labels()[2], "2023-03");
/// assert_eq!(months.bounds(2).hours(), 31.0 * 24.0 - 1.0); // spring forward
/// assert_eq!(months.period_of(span.start), Some(0));
/// assert_eq!(months.period_of(span.end), None);
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Periods {
    zone: Tz,
    length: PeriodLength,
    bounds: Vec<i64>,
    labels: Vec<String>,
    partial: bool,
}

impl Periods {
    /// Splits `span` into consecutive periods of `length` in `zone`.
    ///
    /// # Errors
    /// [`Error::Parameter`] if the span is empty, the length is not positive,
    /// or the split would give more than a million periods.
    pub fn split(span: &Period, zone: Tz, length: PeriodLength) -> Result<Self> {
        let length = length.check()?;
        if span.end <= span.start {
            return Err(Error::parameter(
                "period span",
                format!("[{}, {}) is empty", span.start, span.end),
            ));
        }
        let first_day = local_date(zone, span.start);
        let mut bounds = vec![span.start];
        let mut partial = false;
        for k in 1u32.. {
            if k > 1_000_000 {
                return Err(Error::parameter(
                    "period length",
                    format!("{length:?} cuts the span into more than a million periods"),
                ));
            }
            let b = length
                .boundary(k, span.start, first_day, zone)
                .unwrap_or(i64::MAX);
            if b >= span.end {
                partial = b > span.end;
                bounds.push(span.end);
                break;
            }
            if b > *bounds.last().unwrap_or(&span.start) {
                bounds.push(b);
            }
        }
        let labels = bounds[..bounds.len() - 1]
            .iter()
            .map(|&t| label(length, zone, t))
            .collect();
        Ok(Self {
            zone,
            length,
            bounds,
            labels,
            partial,
        })
    }

    /// Splits `span` with the length sfhotspot would choose
    /// ([`PeriodLength::automatic`]).
    ///
    /// ```
    /// use byrum::{Period, PeriodLength, Periods, parse_zone};
    /// use chrono::NaiveDate;
    /// let tz = parse_zone("Europe/Copenhagen")?;
    /// let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    /// let span = Period::local_dates(tz, d(2022, 1, 1), d(2023, 12, 31))?; // 730 days
    /// let p = Periods::automatic(&span, tz)?;
    /// assert_eq!(p.length(), PeriodLength::Days(28));
    /// assert_eq!(p.len(), 27); // 26 × 28 days and 2 days
    /// assert!(p.final_is_partial());
    /// assert_eq!(p.drop_partial().len(), 26);
    /// # Ok::<(), byrum::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Periods::split`].
    pub fn automatic(span: &Period, zone: Tz) -> Result<Self> {
        Self::split(span, zone, PeriodLength::automatic(span.end - span.start))
    }

    /// Removes a final period shorter than the others, if there is one and it
    /// is not the only period.
    #[must_use]
    pub fn drop_partial(mut self) -> Self {
        if self.partial && self.labels.len() > 1 {
            self.bounds.pop();
            self.labels.pop();
            self.partial = false;
        }
        self
    }

    /// The number of periods.
    #[must_use]
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no periods (never, for a value built by
    /// [`Periods::split`]).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The period length.
    #[must_use]
    pub fn length(&self) -> PeriodLength {
        self.length
    }

    /// The zone of the calendar steps and labels.
    #[must_use]
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// Whether the final period is shorter than the nominal length.
    #[must_use]
    pub fn final_is_partial(&self) -> bool {
        self.partial
    }

    /// The period holding the UTC instant, or `None` outside all periods.
    #[must_use]
    pub fn period_of(&self, utc: i64) -> Option<usize> {
        let (&first, &last) = (self.bounds.first()?, self.bounds.last()?);
        if utc < first || utc >= last {
            return None;
        }
        Some(self.bounds.partition_point(|&b| b <= utc) - 1)
    }

    /// Period `i` as a UTC span.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    #[must_use]
    pub fn bounds(&self, i: usize) -> Period {
        Period {
            start: self.bounds[i],
            end: self.bounds[i + 1],
        }
    }

    /// The labels: the first local date (`2023-03-06`), the month
    /// (`2023-03`) for month lengths, the year for year lengths, or the local
    /// start time (`2023-03-06T14:24`) for lengths in seconds.
    #[must_use]
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The length of each period in hours (the exposure of a cell that is
    /// observed all the time).
    #[must_use]
    pub fn hours(&self) -> Vec<f64> {
        self.bounds
            .windows(2)
            .map(|w| (w[1] - w[0]) as f64 / 3600.0)
            .collect()
    }

    /// Counts per cell and period, cell-major (`out[cell * len + period]`),
    /// the layout [`EmergingHotSpots::compute`] takes. `cell[i]` is the
    /// analysis cell of incident `i` (`None`: outside the universe, skipped);
    /// incidents outside all periods are skipped.
    ///
    /// # Errors
    /// [`Error::Parameter`] if `utc` and `cell` differ in length or a cell
    /// index is not below `cells`.
    pub fn cube_counts(
        &self,
        utc: &[i64],
        cell: &[Option<usize>],
        cells: usize,
    ) -> Result<Vec<f64>> {
        if utc.len() != cell.len() {
            return Err(Error::parameter(
                "cube counts",
                format!("{} instants but {} cells", utc.len(), cell.len()),
            ));
        }
        let t = self.len();
        let mut out = vec![0.0; cells * t];
        for (i, (&u, &c)) in utc.iter().zip(cell).enumerate() {
            let Some(c) = c else { continue };
            if c >= cells {
                return Err(Error::parameter(
                    "cube counts",
                    format!("incident {i} is in cell {c}, but there are {cells} cells"),
                ));
            }
            if let Some(p) = self.period_of(u) {
                out[c * t + p] += 1.0;
            }
        }
        Ok(out)
    }
}

fn label(length: PeriodLength, zone: Tz, utc: i64) -> String {
    let local = DateTime::from_timestamp(utc, 0)
        .unwrap_or_default()
        .with_timezone(&zone);
    match length {
        PeriodLength::Seconds(_) => format!(
            "{}T{:02}:{:02}",
            local.date_naive(),
            local.hour(),
            local.minute()
        ),
        PeriodLength::Days(_) | PeriodLength::Weeks(_) => local.date_naive().to_string(),
        PeriodLength::Months(_) => format!("{:04}-{:02}", local.year(), local.month()),
        PeriodLength::Years(_) => format!("{:04}", local.year()),
    }
}

/// Esri's emerging hot spot categories.
///
/// The definitions quoted are Esri's (ArcGIS Pro, "How Emerging Hot Spot
/// Analysis works"); "ninety percent" is read as at least 90 % of the
/// periods (`10·count ≥ 9·n`, so with fewer than 10 periods: all of them).
/// Where two definitions could both apply, [`classify_emerging`] states the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmergingCategory {
    /// "A location that is a statistically significant hot spot for the final
    /// time step and has never been a statistically significant hot spot
    /// before."
    NewHotSpot,
    /// "A location with a single uninterrupted run of statistically
    /// significant hot spot bins in the final time-step intervals. The
    /// location has never been a statistically significant hot spot prior to
    /// the final hot spot run and less than ninety percent of all bins are
    /// statistically significant hot spots."
    ConsecutiveHotSpot,
    /// "A location that has been a statistically significant hot spot for
    /// ninety percent of the time-step intervals, including the final time
    /// step. In addition, the intensity of clustering of high counts in each
    /// time step is increasing overall and that increase is statistically
    /// significant."
    IntensifyingHotSpot,
    /// "A location that has been a statistically significant hot spot for
    /// ninety percent of the time-step intervals with no discernible trend
    /// indicating an increase or decrease in the intensity of clustering over
    /// time."
    PersistentHotSpot,
    /// "A location that has been a statistically significant hot spot for
    /// ninety percent of the time-step intervals, including the final time
    /// step. In addition, the intensity of clustering in each time step is
    /// decreasing overall and that decrease is statistically significant."
    DiminishingHotSpot,
    /// "A location that is an on-again-off-again hot spot. Less than ninety
    /// percent of the time-step intervals have been statistically significant
    /// hot spots and none of the time-step intervals have been statistically
    /// significant cold spots."
    SporadicHotSpot,
    /// "A statistically significant hot spot for the final time-step interval
    /// that has a history of also being a statistically significant cold spot
    /// during a prior time step. Less than ninety percent of the time-step
    /// intervals have been statistically significant hot spots."
    OscillatingHotSpot,
    /// "The most recent time period is not hot, but at least ninety percent of
    /// the time-step intervals have been statistically significant hot spots."
    HistoricalHotSpot,
    /// As [`EmergingCategory::NewHotSpot`], for cold spots.
    NewColdSpot,
    /// As [`EmergingCategory::ConsecutiveHotSpot`], for cold spots.
    ConsecutiveColdSpot,
    /// Cold for 90 % of the periods including the final one, "the intensity of
    /// clustering of low counts in each time step is increasing overall": the
    /// z-scores fall significantly.
    IntensifyingColdSpot,
    /// As [`EmergingCategory::PersistentHotSpot`], for cold spots.
    PersistentColdSpot,
    /// Cold for 90 % of the periods including the final one, the intensity of
    /// clustering of low counts decreasing: the z-scores rise significantly.
    DiminishingColdSpot,
    /// As [`EmergingCategory::SporadicHotSpot`], for cold spots (never a
    /// significant hot spot).
    SporadicColdSpot,
    /// A significant cold spot in the final period that was a significant hot
    /// spot before; cold in less than 90 % of the periods.
    OscillatingColdSpot,
    /// "The most recent time period is not cold, but at least ninety percent
    /// of the time-step intervals have been statistically significant cold
    /// spots."
    HistoricalColdSpot,
    /// "Does not fall into any of the hot or cold spot patterns defined above."
    NoPattern,
}

impl EmergingCategory {
    /// Every category, hot first, then cold, then no pattern.
    pub const ALL: [EmergingCategory; 17] = [
        EmergingCategory::NewHotSpot,
        EmergingCategory::ConsecutiveHotSpot,
        EmergingCategory::IntensifyingHotSpot,
        EmergingCategory::PersistentHotSpot,
        EmergingCategory::DiminishingHotSpot,
        EmergingCategory::SporadicHotSpot,
        EmergingCategory::OscillatingHotSpot,
        EmergingCategory::HistoricalHotSpot,
        EmergingCategory::NewColdSpot,
        EmergingCategory::ConsecutiveColdSpot,
        EmergingCategory::IntensifyingColdSpot,
        EmergingCategory::PersistentColdSpot,
        EmergingCategory::DiminishingColdSpot,
        EmergingCategory::SporadicColdSpot,
        EmergingCategory::OscillatingColdSpot,
        EmergingCategory::HistoricalColdSpot,
        EmergingCategory::NoPattern,
    ];

    /// A snake-case name for files and properties: `new_hot_spot`, …,
    /// `historical_cold_spot`, `no_pattern`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EmergingCategory::NewHotSpot => "new_hot_spot",
            EmergingCategory::ConsecutiveHotSpot => "consecutive_hot_spot",
            EmergingCategory::IntensifyingHotSpot => "intensifying_hot_spot",
            EmergingCategory::PersistentHotSpot => "persistent_hot_spot",
            EmergingCategory::DiminishingHotSpot => "diminishing_hot_spot",
            EmergingCategory::SporadicHotSpot => "sporadic_hot_spot",
            EmergingCategory::OscillatingHotSpot => "oscillating_hot_spot",
            EmergingCategory::HistoricalHotSpot => "historical_hot_spot",
            EmergingCategory::NewColdSpot => "new_cold_spot",
            EmergingCategory::ConsecutiveColdSpot => "consecutive_cold_spot",
            EmergingCategory::IntensifyingColdSpot => "intensifying_cold_spot",
            EmergingCategory::PersistentColdSpot => "persistent_cold_spot",
            EmergingCategory::DiminishingColdSpot => "diminishing_cold_spot",
            EmergingCategory::SporadicColdSpot => "sporadic_cold_spot",
            EmergingCategory::OscillatingColdSpot => "oscillating_cold_spot",
            EmergingCategory::HistoricalColdSpot => "historical_cold_spot",
            EmergingCategory::NoPattern => "no_pattern",
        }
    }

    /// Esri's label (`New Hot Spot`, …, `No Pattern Detected`).
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            EmergingCategory::NewHotSpot => "New Hot Spot",
            EmergingCategory::ConsecutiveHotSpot => "Consecutive Hot Spot",
            EmergingCategory::IntensifyingHotSpot => "Intensifying Hot Spot",
            EmergingCategory::PersistentHotSpot => "Persistent Hot Spot",
            EmergingCategory::DiminishingHotSpot => "Diminishing Hot Spot",
            EmergingCategory::SporadicHotSpot => "Sporadic Hot Spot",
            EmergingCategory::OscillatingHotSpot => "Oscillating Hot Spot",
            EmergingCategory::HistoricalHotSpot => "Historical Hot Spot",
            EmergingCategory::NewColdSpot => "New Cold Spot",
            EmergingCategory::ConsecutiveColdSpot => "Consecutive Cold Spot",
            EmergingCategory::IntensifyingColdSpot => "Intensifying Cold Spot",
            EmergingCategory::PersistentColdSpot => "Persistent Cold Spot",
            EmergingCategory::DiminishingColdSpot => "Diminishing Cold Spot",
            EmergingCategory::SporadicColdSpot => "Sporadic Cold Spot",
            EmergingCategory::OscillatingColdSpot => "Oscillating Cold Spot",
            EmergingCategory::HistoricalColdSpot => "Historical Cold Spot",
            EmergingCategory::NoPattern => "No Pattern Detected",
        }
    }

    /// Whether this is one of the eight hot spot categories.
    #[must_use]
    pub fn is_hot(self) -> bool {
        (self as u8) < 8
    }

    /// Whether this is one of the eight cold spot categories.
    #[must_use]
    pub fn is_cold(self) -> bool {
        (8..16).contains(&(self as u8))
    }
}

impl std::fmt::Display for EmergingCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The categories on one side (hot or cold), so that one rule serves both.
struct Side {
    new: EmergingCategory,
    consecutive: EmergingCategory,
    intensifying: EmergingCategory,
    persistent: EmergingCategory,
    diminishing: EmergingCategory,
    sporadic: EmergingCategory,
    oscillating: EmergingCategory,
    historical: EmergingCategory,
    /// The trend that makes this side's clustering stronger.
    stronger: Trend,
}

const HOT: Side = Side {
    new: EmergingCategory::NewHotSpot,
    consecutive: EmergingCategory::ConsecutiveHotSpot,
    intensifying: EmergingCategory::IntensifyingHotSpot,
    persistent: EmergingCategory::PersistentHotSpot,
    diminishing: EmergingCategory::DiminishingHotSpot,
    sporadic: EmergingCategory::SporadicHotSpot,
    oscillating: EmergingCategory::OscillatingHotSpot,
    historical: EmergingCategory::HistoricalHotSpot,
    stronger: Trend::Increasing,
};

const COLD: Side = Side {
    new: EmergingCategory::NewColdSpot,
    consecutive: EmergingCategory::ConsecutiveColdSpot,
    intensifying: EmergingCategory::IntensifyingColdSpot,
    persistent: EmergingCategory::PersistentColdSpot,
    diminishing: EmergingCategory::DiminishingColdSpot,
    sporadic: EmergingCategory::SporadicColdSpot,
    oscillating: EmergingCategory::OscillatingColdSpot,
    historical: EmergingCategory::HistoricalColdSpot,
    stronger: Trend::Decreasing,
};

/// Classifies one cell from its per-period significance, in time order:
/// `hot[t]` (`cold[t]`) says period `t` is a significant hot (cold) spot, and
/// `trend` is the Mann-Kendall direction of its Gi* z-scores.
///
/// Esri's definitions overlap in places; the rules are applied in this order
/// (the same side's rules mirrored for cold, with "intensifying" meaning the
/// z-scores fall):
///
/// 1. Hot in ≥ 90 % of the periods: if the final period is hot, an increasing
///    trend is *intensifying*, a decreasing one *diminishing*, none
///    *persistent*; if the final period is not hot, *historical*.
/// 2. The same for cold.
/// 3. Final period hot (and < 90 % hot): *oscillating* if it was ever a
///    significant cold spot before; otherwise *new* if this is its only hot
///    period; *consecutive* if all its hot periods form the final run (of at
///    least 2); else *sporadic*.
/// 4. The same for a final cold period.
/// 5. Final period not significant: *sporadic hot* if it has been hot and
///    never cold, *sporadic cold* if cold and never hot (Esri's sporadic
///    definition does not ask for the final period).
/// 6. Otherwise *no pattern* (never significant, or both hot and cold
///    earlier and nothing at the end).
///
/// This matches sfdep's `classify_hotspot` except where sfdep's first match
/// depends on its list order (sfdep's "new" also excludes a prior cold spot,
/// as here via oscillating).
///
/// ```
/// use byrum::{EmergingCategory, Trend, classify_emerging};
/// let hot = [false, false, false, true];
/// let cold = [false; 4];
/// assert_eq!(classify_emerging(&hot, &cold, Trend::NoTrend)?, EmergingCategory::NewHotSpot);
/// # Ok::<(), byrum::Error>(())
/// ```
///
/// # Errors
/// [`Error::Parameter`] if there are no periods, the slices differ in length,
/// or a period is flagged both hot and cold.
pub fn classify_emerging(hot: &[bool], cold: &[bool], trend: Trend) -> Result<EmergingCategory> {
    let n = hot.len();
    if n == 0 || cold.len() != n {
        return Err(Error::parameter(
            "emerging classification",
            format!(
                "{n} hot and {} cold flags: give one of each per period, at least one period",
                cold.len()
            ),
        ));
    }
    if let Some(t) = (0..n).find(|&t| hot[t] && cold[t]) {
        return Err(Error::parameter(
            "emerging classification",
            format!("period {t} is flagged both hot and cold"),
        ));
    }
    let count = |f: &[bool]| f.iter().filter(|&&b| b).count();
    let (n_hot, n_cold) = (count(hot), count(cold));
    let ninety = |c: usize| 10 * c >= 9 * n;
    let last = n - 1;
    for (side, this, _) in [(&HOT, hot, cold), (&COLD, cold, hot)] {
        if ninety(count(this)) {
            return Ok(if this[last] {
                if trend == side.stronger {
                    side.intensifying
                } else if trend == Trend::NoTrend {
                    side.persistent
                } else {
                    side.diminishing
                }
            } else {
                side.historical
            });
        }
    }
    for (side, this, other) in [(&HOT, hot, cold), (&COLD, cold, hot)] {
        if this[last] {
            let mine = count(this);
            let run = this.iter().rev().take_while(|&&b| b).count();
            return Ok(if other[..last].iter().any(|&b| b) {
                side.oscillating
            } else if mine == 1 {
                side.new
            } else if run == mine {
                side.consecutive
            } else {
                side.sporadic
            });
        }
    }
    Ok(if n_hot > 0 && n_cold == 0 {
        EmergingCategory::SporadicHotSpot
    } else if n_cold > 0 && n_hot == 0 {
        EmergingCategory::SporadicColdSpot
    } else {
        EmergingCategory::NoPattern
    })
}

/// Whose mean and variance a bin's Gi* is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GlobalWindow {
    /// All bins of the cube (Esri's default *Entire cube*).
    #[default]
    EntireCube,
    /// The bins of the same period only (Esri's *Individual time step*,
    /// sfdep's per-slice standardisation); needs `time_step = 0`.
    IndividualTimeStep,
}

/// Emerging hot spot analysis over a space-time cube of cells × periods.
///
/// ```
/// use byrum::{EmergingCategory, EmergingHotSpots, SpatialWeights};
/// // Five cells in a row (neighbours left and right), eight periods. Cells 3
/// // and 4 are busy from period 5 on; cells 0–2 stay quiet.
/// let lists = (0..5u32)
///     .map(|i| (i.saturating_sub(1)..=(i + 1).min(4)).map(|j| (j, 1.0)).collect())
///     .collect();
/// let w = SpatialWeights::from_lists(lists)?;
/// let t = 8;
/// let mut values = vec![1.0; 5 * t];
/// for cell in [3, 4] {
///     for p in 5..t {
///         values[cell * t + p] = 30.0;
///     }
/// }
/// let r = EmergingHotSpots::new().compute(&values, t, &w)?;
/// assert_eq!(r.category[4], EmergingCategory::ConsecutiveHotSpot);
/// assert_eq!(r.hot_periods[4], 3);
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EmergingHotSpots {
    time_step: usize,
    permutations: usize,
    seed: u64,
    alpha: f64,
    fdr: bool,
    window: GlobalWindow,
}

impl Default for EmergingHotSpots {
    fn default() -> Self {
        Self::new()
    }
}

/// The result of [`EmergingHotSpots::compute`]: per cell a category and a
/// trend; per bin (cell-major, `[cell * periods + t]`) the Gi* z, p and
/// significance.
#[derive(Debug, Clone, PartialEq)]
pub struct EmergingResult {
    /// The number of cells.
    pub cells: usize,
    /// The number of periods.
    pub periods: usize,
    /// Each cell's category.
    pub category: Vec<EmergingCategory>,
    /// Each cell's Mann-Kendall test on its Gi* z-scores (z, p, tau, …).
    pub trend: Vec<MannKendall>,
    /// Gi* z per bin (NaN where undefined, e.g. a period in which every cell
    /// has the same value under [`GlobalWindow::IndividualTimeStep`]; such
    /// z-scores enter the trend test as 0).
    pub z: Vec<f64>,
    /// The two-sided p per bin behind the significance: analytic, or
    /// `min(1, 2·p_sim)` with permutations.
    pub p: Vec<f64>,
    /// Whether the bin is a significant hot spot (after the correction).
    pub hot: Vec<bool>,
    /// Whether the bin is a significant cold spot (after the correction).
    pub cold: Vec<bool>,
    /// Per cell, the number of significant hot periods.
    pub hot_periods: Vec<u32>,
    /// Per cell, the number of significant cold periods.
    pub cold_periods: Vec<u32>,
}

impl EmergingResult {
    /// The Gi* z-scores of one cell, in period order.
    ///
    /// # Panics
    /// If `cell >= self.cells`.
    #[must_use]
    pub fn z_series(&self, cell: usize) -> &[f64] {
        &self.z[cell * self.periods..(cell + 1) * self.periods]
    }
}

impl EmergingHotSpots {
    /// Time step 0, no permutations (analytic p), seed 12345, alpha 0.05
    /// (Esri's), Benjamini–Hochberg correction on, entire-cube window.
    #[must_use]
    pub fn new() -> Self {
        Self {
            time_step: 0,
            permutations: 0,
            seed: 12345,
            alpha: 0.05,
            fdr: true,
            window: GlobalWindow::EntireCube,
        }
    }

    /// The neighbourhood time step `k`: a bin's neighbours are the cell's
    /// spatial neighbours in its own period and in the `k` periods before it
    /// (fewer at the start of the series). Esri's *Neighborhood Time Step*;
    /// sfdep's `k`.
    #[must_use]
    pub fn time_step(mut self, k: usize) -> Self {
        self.time_step = k;
        self
    }

    /// Conditional permutations per bin for Gi*'s pseudo p (0: analytic).
    #[must_use]
    pub fn permutations(mut self, n: usize) -> Self {
        self.permutations = n;
        self
    }

    /// The permutation seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The significance level for the bins (the false discovery rate when the
    /// correction is on) and for the Mann-Kendall trend; 0.05 by default.
    #[must_use]
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Whether the bins' p-values are corrected with Benjamini–Hochberg over
    /// all bins of the cube (default `true`); `false` compares raw p < alpha.
    #[must_use]
    pub fn fdr(mut self, on: bool) -> Self {
        self.fdr = on;
        self
    }

    /// Whose mean and variance Gi* uses (default [`GlobalWindow::EntireCube`]).
    #[must_use]
    pub fn global_window(mut self, window: GlobalWindow) -> Self {
        self.window = window;
        self
    }

    /// Runs the analysis. `values` is the cube, cell-major:
    /// `values[cell * periods + t]` (see [`Periods::cube_counts`]); the cells
    /// are the rows of `weights` (every cell of the study area, zero counts
    /// included).
    ///
    /// # Errors
    /// [`Error::Parameter`] if there are fewer than 2 periods, `values` is not
    /// `cells × periods` long, a value is not finite, alpha is not in (0, 1),
    /// the cube has more than 2³² bins, or the individual-time-step window is
    /// asked with a time step.
    pub fn compute(
        &self,
        values: &[f64],
        periods: usize,
        weights: &SpatialWeights,
    ) -> Result<EmergingResult> {
        let cells = weights.len();
        if periods < 2 {
            return Err(Error::parameter(
                "emerging hot spot periods",
                format!("{periods}: a trend needs at least 2 periods"),
            ));
        }
        if values.len() != cells * periods {
            return Err(Error::parameter(
                "emerging hot spot values",
                format!(
                    "{} values for {cells} cells × {periods} periods ({})",
                    values.len(),
                    cells * periods
                ),
            ));
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(Error::parameter(
                "alpha",
                format!("{}: must be between 0 and 1", self.alpha),
            ));
        }
        let gi = GiStar::new()
            .permutations(self.permutations)
            .seed(self.seed)
            .fdr_alpha(self.alpha);
        let (z, p) = match self.window {
            GlobalWindow::EntireCube => {
                let cube = space_time_weights(weights, periods, self.time_step)?;
                let r = gi.compute(values, &cube)?;
                (r.z, r.p_class)
            }
            GlobalWindow::IndividualTimeStep => {
                if self.time_step > 0 {
                    return Err(Error::parameter(
                        "time step",
                        "the individual-time-step window compares each period with itself only; use time step 0 or the entire-cube window",
                    ));
                }
                let mut z = vec![f64::NAN; values.len()];
                let mut p = vec![f64::NAN; values.len()];
                for t in 0..periods {
                    let slice: Vec<f64> = (0..cells).map(|c| values[c * periods + t]).collect();
                    let r = gi
                        .clone()
                        .seed(self.seed.wrapping_add(t as u64))
                        .compute(&slice, weights)?;
                    for c in 0..cells {
                        z[c * periods + t] = r.z[c];
                        p[c * periods + t] = r.p_class[c];
                    }
                }
                (z, p)
            }
        };
        let significant = if self.fdr {
            benjamini_hochberg(&p, self.alpha)
        } else {
            p.iter().map(|&q| q < self.alpha).collect()
        };
        let hot: Vec<bool> = significant
            .iter()
            .zip(&z)
            .map(|(&s, &z)| s && z > 0.0)
            .collect();
        let cold: Vec<bool> = significant
            .iter()
            .zip(&z)
            .map(|(&s, &z)| s && z < 0.0)
            .collect();
        let per_cell: Vec<(EmergingCategory, MannKendall)> = (0..cells)
            .into_par_iter()
            .with_min_len(256)
            .map(|c| {
                let r = c * periods..(c + 1) * periods;
                let series: Vec<f64> = z[r.clone()]
                    .iter()
                    .map(|&v| if v.is_nan() { 0.0 } else { v })
                    .collect();
                let mk = mann_kendall(&series)?;
                let cat = classify_emerging(&hot[r.clone()], &cold[r], mk.direction(self.alpha))?;
                Ok((cat, mk))
            })
            .collect::<Result<_>>()?;
        let count = |f: &[bool], c: usize| {
            f[c * periods..(c + 1) * periods]
                .iter()
                .filter(|&&b| b)
                .count() as u32
        };
        Ok(EmergingResult {
            cells,
            periods,
            category: per_cell.iter().map(|x| x.0).collect(),
            trend: per_cell.iter().map(|x| x.1).collect(),
            hot_periods: (0..cells).map(|c| count(&hot, c)).collect(),
            cold_periods: (0..cells).map(|c| count(&cold, c)).collect(),
            z,
            p,
            hot,
            cold,
        })
    }
}

/// Space-time weights over the bins `cell * periods + t`: bin (i, t) has the
/// neighbours (j, t − l) for every spatial neighbour j of i (itself included)
/// and l = 0 ..= k with t − l ≥ 0, each with the spatial weight wᵢⱼ.
fn space_time_weights(w: &SpatialWeights, periods: usize, k: usize) -> Result<SpatialWeights> {
    let cells = w.len();
    let bins = cells
        .checked_mul(periods)
        .filter(|&b| u32::try_from(b).is_ok())
        .ok_or_else(|| {
            Error::parameter(
                "space-time cube",
                format!("{cells} cells × {periods} periods is more than 2³² bins"),
            )
        })?;
    let lists: Vec<Vec<(u32, f64)>> = (0..bins)
        .into_par_iter()
        .with_min_len(1024)
        .map(|b| {
            let (i, t) = (b / periods, b % periods);
            let (idx, wt) = w.neighbours(i);
            let mut row = Vec::with_capacity(idx.len() * (k.min(t) + 1));
            for (&j, &wij) in idx.iter().zip(wt) {
                for l in 0..=k.min(t) {
                    row.push(((j as usize * periods + t - l) as u32, wij));
                }
            }
            row
        })
        .collect();
    SpatialWeights::from_lists(lists)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn space_time_neighbours() {
        let w =
            SpatialWeights::from_lists(vec![vec![(0, 1.0), (1, 1.0)], vec![(1, 1.0), (0, 1.0)]])
                .unwrap();
        let st = space_time_weights(&w, 3, 1).unwrap();
        assert_eq!(st.len(), 6);
        // Bin (cell 0, t 0): itself and cell 1 at t 0.
        assert_eq!(st.neighbours(0).0, &[0, 3]);
        // Bin (cell 1, t 2) = 5: itself, cell 1 at t 1 (4), cell 0 at t 1 and 2 (1, 2).
        assert_eq!(st.neighbours(5).0, &[5, 1, 2, 4]);
        let st0 = space_time_weights(&w, 3, 0).unwrap();
        assert_eq!(st0.neighbours(5).0, &[5, 2]);
    }

    #[test]
    fn categories_are_distinct() {
        let mut names: Vec<&str> = EmergingCategory::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 17);
        assert!(EmergingCategory::HistoricalHotSpot.is_hot());
        assert!(EmergingCategory::NewColdSpot.is_cold());
        assert!(!EmergingCategory::NoPattern.is_hot() && !EmergingCategory::NoPattern.is_cold());
    }
}
