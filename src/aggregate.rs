//! Aggregates that merge: incident counts per H3 cell, time bin and calendar
//! period, with the exposure hours of every time bin and period, written as
//! Hive-partitioned Parquet so that a run too large for one machine can be
//! split by region or by year and merged exactly.
//!
//! # What an aggregate holds
//! - **Counts**: for every (H3 cell at the analysis resolution, time bin,
//!   period) with at least one incident, the number of incidents (an exact
//!   integer) and, if the incidents carry weights, the sum of their weights.
//!   The period is a local calendar year or month ([`Partitioning`]) in the
//!   data set's zone; the time bin is the [`TimeBinning`] bin of the incident's
//!   local time (hour × season by default).
//! - **Exposure**: for every time bin and period of the analysis period, the
//!   real seconds that bin covers in that period (the period clipped to the
//!   analysis period, daylight saving included: a month with the spring
//!   switch has 743 hours in Europe/Copenhagen, one with the autumn switch
//!   745). Exposure does not depend on where incidents are.
//!
//! # The merge rule
//! Parts are merged by key, never by re-deriving anything:
//! - counts of the same (cell, bin, period) are **summed** (integers: exact);
//! - exposure rows of the same (bin, period) from different parts must be
//!   **equal** and are kept once (a national run split by region gives every
//!   region the whole period's exposure; summing would double it); unequal
//!   duplicates are an error, which also catches parts run over different
//!   analysis periods;
//! - exposure rows of different periods are disjoint and concatenated (a run
//!   split by year).
//!
//! Exposure is stored in whole seconds, so the hours of merged parts are the
//! hours of the whole run bit for bit (`seconds as f64 / 3600` of the same
//! integer). Weight sums are floating-point sums: merged parts agree with the
//! whole to rounding (a relative difference of about 1e-15 per part), not
//! bitwise, because a sum over parts adds in a different order.
//!
//! All parts must share the H3 resolution, the partitioning, the zone and the
//! time binning (and, for darkness bins, the point darkness is computed at);
//! merging incompatible parts is an error that names both values. The parent
//! resolution only shapes the folder layout and may differ between parts.
//!
//! # Privacy
//! These aggregates are the analyst's **intermediate data**: an exact merge
//! needs exact counts, so small counts (1 to k − 1) are **not** suppressed.
//! They are not for publication. The manifest says so (`"suppressed": false`);
//! byrum writes them only when asked. Publish the outputs computed from the
//! merged aggregate (layers and tables apply k), never the aggregate itself.
//!
//! # Layout
//! ```text
//! DIR/_byrum_aggregate.json                          manifest (read this first)
//! DIR/counts/parent=<hex>/period=<YYYY|YYYY-MM>/part-0.parquet
//!     cell: Int64 (H3 index), cell_hex: String, bin: String, count: Int64[, weight: Float64]
//! DIR/exposure/period=<YYYY|YYYY-MM>/part-0.parquet
//!     bin: String, seconds: Int64, hours: Float64
//! ```
//! The partition columns `parent` and `period` live in the folder names only
//! (Hive style; Spark refuses a column that is both in the files and in the
//! path). H3 indices and counts are signed 64-bit (`Int64`): an H3 index is
//! below 2⁶³, and engines such as Spark read unsigned 64-bit Parquet columns
//! as decimals.
//!
//! ```
//! use byrum::*;
//! # let dir = std::env::temp_dir().join("byrum-doc-aggregate");
//! # let _ = std::fs::remove_dir_all(&dir);
//! let tz = parse_zone("Europe/Copenhagen")?;
//! let period = Period::local_dates(tz, "2023-03-01".parse().unwrap(), "2023-04-30".parse().unwrap())?;
//! // Two incidents on 14 March 2023 and one on 2 April, 21:00 local (UTC+1, then UTC+2).
//! let (lon, lat) = ([9.9170, 9.9171, 9.9300], [57.0430, 57.0431, 57.0468]);
//! let (utc, offset) = ([1_678_824_000, 1_678_824_060, 1_680_462_000], [3600, 3600, 7200]);
//! let agg = Aggregation::new(h3_resolution(9)?)
//!     .parent(h3_resolution(5)?)
//!     .compute_columns(&lon, &lat, &utc, &offset, None, tz, &period, (9.92, 57.05))?;
//! assert_eq!(agg.total(), 3);
//! assert_eq!(agg.periods().len(), 2); // 2023-03 and 2023-04
//! // March has the spring-forward switch: 743 real hours.
//! let march = PeriodKey::month(2023, 3)?;
//! assert_eq!(agg.exposure_hours(Some(&[march])).iter().sum::<f64>(), 743.0);
//!
//! agg.write_partitioned(&dir)?;
//! let back = CellBinAggregate::read_partitioned(&dir)?;
//! assert_eq!(back, agg);
//! let merged = CellBinAggregate::merge(&[back.clone(), back])?; // as if counted twice
//! assert_eq!(merged.total(), 6);
//! let counts = merged.to_counts(None, None)?; // the input of Gi*, hot spots, …
//! assert_eq!(counts.counts.iter().sum::<u64>(), 6);
//! # Ok::<(), byrum::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use h3o::{CellIndex, Resolution};
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::grid::{H3Counts, h3_cells, h3_resolution};
use crate::output::write_atomic;
use crate::time::{BinSpec, Dimension, Period, TimeBinning, local_date, parse_zone};

/// The manifest's file name in an aggregate folder.
pub const AGGREGATE_MANIFEST: &str = "_byrum_aggregate.json";

const FORMAT: &str = "byrum-aggregate";
const VERSION: u32 = 1;
const SECONDS_PER_HOUR: f64 = 3600.0;

/// The calendar unit an aggregate's periods follow, in local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Partitioning {
    /// Local calendar years (`period=2023`).
    Year,
    /// Local calendar months (`period=2023-07`).
    Month,
}

impl Partitioning {
    /// `year` or `month`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Partitioning::Year => "year",
            Partitioning::Month => "month",
        }
    }

    /// Parses `year` or `month`.
    ///
    /// # Errors
    /// [`Error::Parameter`] for anything else.
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "year" | "years" => Ok(Partitioning::Year),
            "month" | "months" => Ok(Partitioning::Month),
            other => Err(Error::parameter(
                "aggregate partitioning",
                format!("{other:?}; use year or month"),
            )),
        }
    }

    /// The period holding a local date.
    #[must_use]
    pub fn key_of(self, date: NaiveDate) -> PeriodKey {
        PeriodKey {
            year: date.year(),
            month: match self {
                Partitioning::Year => None,
                Partitioning::Month => Some(date.month()),
            },
        }
    }
}

/// A local calendar year or month: the `period` partition of an aggregate.
/// Written `2023` or `2023-07`; ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeriodKey {
    /// The year.
    pub year: i32,
    /// The month (1–12) for monthly periods; `None` for a whole year.
    pub month: Option<u32>,
}

impl PeriodKey {
    /// A whole year.
    #[must_use]
    pub fn year(year: i32) -> Self {
        Self { year, month: None }
    }

    /// A month (1–12) of a year.
    ///
    /// # Errors
    /// [`Error::Parameter`] for a month outside 1–12.
    pub fn month(year: i32, month: u32) -> Result<Self> {
        if (1..=12).contains(&month) && NaiveDate::from_ymd_opt(year, month, 1).is_some() {
            Ok(Self {
                year,
                month: Some(month),
            })
        } else {
            Err(Error::parameter(
                "period",
                format!("{year}-{month:02} is not a calendar month"),
            ))
        }
    }

    /// Parses `YYYY` or `YYYY-MM`.
    ///
    /// # Errors
    /// [`Error::Parameter`] for any other text.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || {
            Error::parameter(
                "period",
                format!("{s:?} is neither a year (2023) nor a month (2023-07)"),
            )
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        match s.split_once('-') {
            None if s.len() == 4 && digits(s) => {
                let year: i32 = s.parse().map_err(|_| bad())?;
                Ok(Self::year(year))
            }
            Some((y, m)) if y.len() == 4 && m.len() == 2 && digits(y) && digits(m) => {
                let year: i32 = y.parse().map_err(|_| bad())?;
                let month: u32 = m.parse().map_err(|_| bad())?;
                Self::month(year, month).map_err(|_| bad())
            }
            _ => Err(bad()),
        }
    }

    /// Whether this is a year or a month.
    #[must_use]
    pub fn partitioning(&self) -> Partitioning {
        if self.month.is_some() {
            Partitioning::Month
        } else {
            Partitioning::Year
        }
    }

    /// The first local date.
    fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month.unwrap_or(1), 1).unwrap_or_default()
    }

    /// The first local date of the next period.
    fn next_first_day(&self) -> NaiveDate {
        let (y, m) = match self.month {
            None | Some(12) => (self.year + 1, 1),
            Some(m) => (self.year, m + 1),
        };
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default()
    }

    /// The whole period, local midnight to local midnight in `zone`.
    ///
    /// # Errors
    /// [`Error::Parameter`] for a date chrono cannot represent.
    pub fn local_period(&self, zone: Tz) -> Result<Period> {
        let last = self
            .next_first_day()
            .pred_opt()
            .ok_or_else(|| Error::parameter("period", format!("{self} cannot be placed")))?;
        Period::local_dates(zone, self.first_day(), last)
    }
}

impl fmt::Display for PeriodKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.month {
            None => write!(f, "{:04}", self.year),
            Some(m) => write!(f, "{:04}-{m:02}", self.year),
        }
    }
}

/// Incidents in one (cell, time bin, period).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellBinCount {
    /// The H3 cell at the aggregate's resolution.
    pub cell: CellIndex,
    /// The time bin (index into [`CellBinAggregate::bin_labels`]).
    pub bin: u32,
    /// The local calendar period.
    pub period: PeriodKey,
    /// Incidents (at least 1: empty keys are not stored).
    pub count: u64,
    /// Summed weights (equal to `count` for unweighted incidents).
    pub weight: f64,
}

/// The real time one time bin covers in one period (the period clipped to
/// the analysis period).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BinExposure {
    /// The local calendar period.
    pub period: PeriodKey,
    /// The time bin (index into [`CellBinAggregate::bin_labels`]).
    pub bin: u32,
    /// Seconds of the bin in the period (whole seconds: merges are exact).
    pub seconds: i64,
}

impl BinExposure {
    /// The exposure in hours.
    #[must_use]
    pub fn hours(&self) -> f64 {
        self.seconds as f64 / SECONDS_PER_HOUR
    }
}

/// How to aggregate: H3 resolution, parent resolution of the folder layout,
/// calendar partitioning and time binning.
///
/// Defaults: parent resolution 5 (or the resolution itself if coarser),
/// monthly periods, [`TimeBinning::default`] with hour × season bins.
#[derive(Debug, Clone)]
pub struct Aggregation {
    resolution: Resolution,
    parent: Resolution,
    partitioning: Partitioning,
    binning: TimeBinning,
    spec: BinSpec,
}

impl Aggregation {
    /// Counts per cell at `resolution`, with the defaults above.
    #[must_use]
    pub fn new(resolution: Resolution) -> Self {
        Self {
            resolution,
            parent: resolution.min(Resolution::Five),
            partitioning: Partitioning::Month,
            binning: TimeBinning::default(),
            spec: BinSpec::of(&[Dimension::Hour, Dimension::Season]),
        }
    }

    /// The resolution of the `parent=` folders (at most the resolution).
    #[must_use]
    pub fn parent(mut self, parent: Resolution) -> Self {
        self.parent = parent;
        self
    }

    /// Years or months.
    #[must_use]
    pub fn partitioning(mut self, partitioning: Partitioning) -> Self {
        self.partitioning = partitioning;
        self
    }

    /// The time binning and the bins (dimensions) to count by.
    #[must_use]
    pub fn binning(mut self, binning: TimeBinning, spec: BinSpec) -> Self {
        self.binning = binning;
        self.spec = spec;
        self
    }

    /// Aggregates a data set over its period, zone and centre (darkness).
    ///
    /// Parts of one larger run (regions, years) must be computed over the same
    /// analysis period (or the part's share of it), zone and — for darkness
    /// bins — darkness point: use [`Aggregation::compute_columns`] with the
    /// run's values.
    ///
    /// # Errors
    /// As [`Aggregation::compute_columns`].
    pub fn compute(&self, ds: &Dataset) -> Result<CellBinAggregate> {
        let inc = &ds.incidents;
        self.compute_columns(
            &inc.lon,
            &inc.lat,
            &inc.utc,
            &inc.offset,
            inc.weight.as_deref(),
            ds.zone,
            &ds.period,
            ds.centre(),
        )
    }

    /// Aggregates incidents given as columns (WGS84 longitude and latitude,
    /// UTC seconds, UTC offsets, optional weights), with exposure over
    /// `period` in `zone`; darkness bins are computed at `at` (longitude,
    /// latitude). Bins follow each incident's own offset (as
    /// [`TimeBinning::assign`]); periods follow `zone`, like the exposure.
    /// Cells, bins and periods are computed in parallel; the result does not
    /// depend on the number of threads.
    ///
    /// # Errors
    /// [`Error::Parameter`] if the columns disagree in length, a coordinate is
    /// not valid, the parent resolution is finer than the resolution, or an
    /// incident lies outside `period`.
    pub fn compute_columns(
        &self,
        lon: &[f64],
        lat: &[f64],
        utc: &[i64],
        offset: &[i32],
        weight: Option<&[f64]>,
        zone: Tz,
        period: &Period,
        at: (f64, f64),
    ) -> Result<CellBinAggregate> {
        let n = utc.len();
        if lon.len() != n
            || lat.len() != n
            || offset.len() != n
            || weight.is_some_and(|w| w.len() != n)
        {
            return Err(Error::parameter(
                "aggregate",
                "longitude, latitude, time, offset and weight columns disagree in length",
            ));
        }
        if self.parent > self.resolution {
            return Err(Error::parameter(
                "aggregate parent resolution",
                format!(
                    "{} is finer than the resolution {}; use {} or coarser",
                    u8::from(self.parent),
                    u8::from(self.resolution),
                    u8::from(self.resolution)
                ),
            ));
        }
        if period.end <= period.start {
            return Err(Error::parameter("aggregate", "the period is empty"));
        }
        let periods = calendar_periods(self.partitioning, zone, period)?;
        let outside = utc.par_iter().filter(|&&t| !period.contains(t)).count();
        if outside > 0 {
            let (first, last) = period.describe(zone);
            return Err(Error::parameter(
                "aggregate",
                format!(
                    "{outside} incidents lie outside the analysis period {first} – {last}; filter them or widen the period"
                ),
            ));
        }
        let cells = h3_cells(lon, lat, self.resolution)?;
        let bins = self.binning.assign(&self.spec, utc, offset, lon, lat);
        let ends: Vec<i64> = periods.iter().map(|(_, p)| p.end).collect();
        let mut keys: Vec<(u64, u32, u32, f64)> = (0..n)
            .into_par_iter()
            .with_min_len(1 << 14)
            .map(|i| {
                let p = ends.partition_point(|&e| e <= utc[i]) as u32;
                (
                    u64::from(cells[i]),
                    bins[i],
                    p,
                    weight.map_or(1.0, |w| w[i]),
                )
            })
            .collect();
        // Stable: equal keys keep incident order, so weight sums do not depend
        // on threads.
        keys.par_sort_by_key(|k| (k.0, k.1, k.2));
        let mut counts: Vec<CellBinCount> = Vec::new();
        for &(cell, bin, p, w) in &keys {
            let period = periods[p as usize].0;
            match counts.last_mut() {
                Some(last)
                    if u64::from(last.cell) == cell && last.bin == bin && last.period == period =>
                {
                    last.count += 1;
                    last.weight += w;
                }
                _ => counts.push(CellBinCount {
                    cell: CellIndex::try_from(cell)
                        .map_err(|e| Error::parameter("aggregate", e.to_string()))?,
                    bin,
                    period,
                    count: 1,
                    weight: w,
                }),
            }
        }
        let exposure: Vec<BinExposure> = periods
            .par_iter()
            .flat_map_iter(|(key, p)| {
                self.binning
                    .exposure(&self.spec, p, zone, at)
                    .into_iter()
                    .enumerate()
                    .map(|(b, h)| BinExposure {
                        period: *key,
                        bin: b as u32,
                        seconds: (h * SECONDS_PER_HOUR).round() as i64,
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        Ok(CellBinAggregate {
            resolution: self.resolution,
            parent_resolution: self.parent,
            partitioning: self.partitioning,
            zone,
            bin_labels: self.binning.labels(&self.spec),
            bin_dimensions: dimension_names(&self.spec)?,
            time_binning: serde_json::to_value(&self.binning)?,
            darkness_at: self.spec.uses_darkness().then_some(at),
            weighted: weight.is_some(),
            counts,
            exposure,
        })
    }
}

fn dimension_names(spec: &BinSpec) -> Result<Vec<String>> {
    spec.dims()
        .iter()
        .map(|d| serde_json::to_value(d).map(|v| v.as_str().unwrap_or_default().to_owned()))
        .collect::<std::result::Result<_, _>>()
        .map_err(Error::from)
}

/// The calendar periods of `period` in `zone`, each clipped to it, in order.
fn calendar_periods(
    partitioning: Partitioning,
    zone: Tz,
    period: &Period,
) -> Result<Vec<(PeriodKey, Period)>> {
    let date = |t: i64| local_date(zone, t);
    let mut key = partitioning.key_of(date(period.start));
    let last = partitioning.key_of(date(period.end - 1));
    let mut out = Vec::new();
    loop {
        let whole = key.local_period(zone)?;
        let clipped = Period {
            start: whole.start.max(period.start),
            end: whole.end.min(period.end),
        };
        if clipped.end > clipped.start {
            out.push((key, clipped));
        }
        if key >= last {
            break;
        }
        key = partitioning.key_of(key.next_first_day());
    }
    Ok(out)
}

/// Counts per (H3 cell, time bin, local calendar period) and exposure per
/// (time bin, period): the mergeable intermediate data of a large run (see
/// the module documentation for the merge rule, the folder layout and why it
/// is not for publication).
#[derive(Debug, Clone, PartialEq)]
pub struct CellBinAggregate {
    /// The H3 resolution of the cells.
    pub resolution: Resolution,
    /// The resolution of the `parent=` folders.
    pub parent_resolution: Resolution,
    /// Years or months.
    pub partitioning: Partitioning,
    /// The local zone of periods and exposure.
    pub zone: Tz,
    /// The time bins' labels, in bin order.
    pub bin_labels: Vec<String>,
    /// The time dimensions of the bins (`hour`, `season`, …).
    pub bin_dimensions: Vec<String>,
    /// The time binning (hour buckets, seasons, weekend), as recorded in the manifest.
    pub time_binning: serde_json::Value,
    /// Where darkness was computed (longitude, latitude), for darkness bins only.
    pub darkness_at: Option<(f64, f64)>,
    /// Whether the incidents carried weights.
    pub weighted: bool,
    /// Counts, sorted by (cell, bin, period), one row per key with a count ≥ 1.
    pub counts: Vec<CellBinCount>,
    /// Exposure, sorted by (period, bin): every bin of every period.
    pub exposure: Vec<BinExposure>,
}

/// The JSON manifest of an aggregate folder.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    note: String,
    suppressed: bool,
    min_count_applied: Option<u64>,
    resolution: u8,
    parent_resolution: u8,
    partitioning: Partitioning,
    zone: String,
    bin_dimensions: Vec<String>,
    bin_labels: Vec<String>,
    time_binning: serde_json::Value,
    darkness_at: Option<(f64, f64)>,
    weighted: bool,
    periods: Vec<String>,
    incidents: u64,
    files: Vec<ManifestFile>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ManifestFile {
    path: String,
    rows: usize,
}

/// What [`CellBinAggregate::write_partitioned`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateFiles {
    /// The manifest.
    pub manifest: PathBuf,
    /// Every Parquet file, counts then exposure, sorted.
    pub files: Vec<PathBuf>,
    /// Rows in all count files.
    pub count_rows: usize,
    /// Rows in all exposure files.
    pub exposure_rows: usize,
    /// Bytes of all files (manifest included).
    pub bytes: u64,
}

impl CellBinAggregate {
    /// All incidents counted.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|c| c.count).sum()
    }

    /// The periods with exposure, in order.
    #[must_use]
    pub fn periods(&self) -> Vec<PeriodKey> {
        let mut p: Vec<PeriodKey> = self.exposure.iter().map(|e| e.period).collect();
        p.sort_unstable();
        p.dedup();
        p
    }

    /// Exposure hours per bin over the selected periods (all with `None`):
    /// whole seconds summed, then divided once, so the hours of merged parts
    /// equal those of the whole run exactly.
    #[must_use]
    pub fn exposure_hours(&self, periods: Option<&[PeriodKey]>) -> Vec<f64> {
        let mut seconds = vec![0i64; self.bin_labels.len()];
        for e in &self.exposure {
            if periods.is_none_or(|ps| ps.contains(&e.period)) {
                seconds[e.bin as usize] += e.seconds;
            }
        }
        seconds
            .into_iter()
            .map(|s| s as f64 / SECONDS_PER_HOUR)
            .collect()
    }

    /// The [`H3Counts`] of the selected periods (all with `None`), the input of
    /// hot spots and Gi*: the same value [`H3Counts::compute`] gives for the
    /// incidents of those periods, with the cells of `area_cells` (sorted)
    /// added at zero.
    ///
    /// # Errors
    /// [`Error::Parameter`] if a selected period has no exposure here.
    pub fn to_counts(
        &self,
        periods: Option<&[PeriodKey]>,
        area_cells: Option<&[CellIndex]>,
    ) -> Result<H3Counts> {
        if let Some(ps) = periods {
            let have = self.periods();
            if let Some(p) = ps.iter().find(|p| have.binary_search(p).is_err()) {
                return Err(Error::parameter(
                    "aggregate period",
                    format!("{p} is not in the aggregate ({} periods)", have.len()),
                ));
            }
        }
        let nb = self.bin_labels.len();
        let chosen = |p: &PeriodKey| periods.is_none_or(|ps| ps.contains(p));
        let mut universe: Vec<CellIndex> = self
            .counts
            .iter()
            .filter(|c| chosen(&c.period))
            .map(|c| c.cell)
            .collect();
        universe.dedup(); // counts are sorted by cell
        if let Some(a) = area_cells {
            universe.extend_from_slice(a);
            universe.sort_unstable();
            universe.dedup();
        }
        let n = universe.len();
        let mut counts = vec![0u64; n];
        let mut weights = vec![0f64; n];
        let mut bin_counts = vec![0u64; n * nb];
        let mut k = 0;
        for c in self.counts.iter().filter(|c| chosen(&c.period)) {
            while universe[k] != c.cell {
                k += 1;
            }
            counts[k] += c.count;
            weights[k] += if self.weighted {
                c.weight
            } else {
                c.count as f64
            };
            bin_counts[k * nb + c.bin as usize] += c.count;
        }
        let in_area = match area_cells {
            Some(a) => universe
                .iter()
                .map(|c| a.binary_search(c).is_ok())
                .collect(),
            None => vec![true; n],
        };
        Ok(H3Counts {
            resolution: self.resolution,
            cells: universe,
            in_area,
            counts,
            weights,
            bin_labels: self.bin_labels.clone(),
            bin_counts,
            exposure_hours: self.exposure_hours(periods),
        })
    }

    /// Merges parts exactly (see the module documentation for the rule):
    /// counts summed per (cell, bin, period), exposure kept once per (bin,
    /// period). The result takes the first part's parent resolution.
    ///
    /// # Errors
    /// [`Error::Parameter`] for no parts, parts with different resolution,
    /// partitioning, zone, time bins or weighting (naming both), or exposure
    /// duplicates that disagree.
    pub fn merge(parts: &[CellBinAggregate]) -> Result<CellBinAggregate> {
        let Some(first) = parts.first() else {
            return Err(Error::parameter("aggregate merge", "no parts were given"));
        };
        for (i, p) in parts.iter().enumerate().skip(1) {
            first.check_compatible(p, i)?;
        }
        let mut exposure: BTreeMap<(PeriodKey, u32), (i64, usize)> = BTreeMap::new();
        for (i, p) in parts.iter().enumerate() {
            for e in &p.exposure {
                match exposure.get(&(e.period, e.bin)) {
                    Some(&(s, j)) if s != e.seconds => {
                        return Err(Error::parameter(
                            "aggregate merge",
                            format!(
                                "exposure of bin {} in {} is {} h in part {} but {} h in part {}: parts must cover the same analysis period (exposure is shared, not summed)",
                                first.bin_labels[e.bin as usize],
                                e.period,
                                s as f64 / SECONDS_PER_HOUR,
                                j + 1,
                                e.hours(),
                                i + 1
                            ),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        exposure.insert((e.period, e.bin), (e.seconds, i));
                    }
                }
            }
        }
        let mut rows: Vec<CellBinCount> = parts
            .iter()
            .flat_map(|p| p.counts.iter().copied())
            .collect();
        // Stable: equal keys keep part order, so weight sums are reproducible.
        rows.par_sort_by_key(|c| (c.cell, c.bin, c.period));
        let mut counts: Vec<CellBinCount> = Vec::with_capacity(rows.len());
        for r in rows {
            match counts.last_mut() {
                Some(last)
                    if last.cell == r.cell && last.bin == r.bin && last.period == r.period =>
                {
                    last.count += r.count;
                    last.weight += r.weight;
                }
                _ => counts.push(r),
            }
        }
        Ok(CellBinAggregate {
            counts,
            exposure: exposure
                .into_iter()
                .map(|((period, bin), (seconds, _))| BinExposure {
                    period,
                    bin,
                    seconds,
                })
                .collect(),
            ..first.clone_header()
        })
    }

    /// The descriptive fields, without rows.
    fn clone_header(&self) -> CellBinAggregate {
        CellBinAggregate {
            resolution: self.resolution,
            parent_resolution: self.parent_resolution,
            partitioning: self.partitioning,
            zone: self.zone,
            bin_labels: self.bin_labels.clone(),
            bin_dimensions: self.bin_dimensions.clone(),
            time_binning: self.time_binning.clone(),
            darkness_at: self.darkness_at,
            weighted: self.weighted,
            counts: Vec::new(),
            exposure: Vec::new(),
        }
    }

    fn check_compatible(&self, other: &CellBinAggregate, i: usize) -> Result<()> {
        let differ = |what: &str, a: String, b: String| -> Result<()> {
            if a == b {
                Ok(())
            } else {
                Err(Error::parameter(
                    "aggregate merge",
                    format!(
                        "part 1 and part {} differ in {what}: {a} versus {b}; aggregates merge only when computed with the same settings",
                        i + 1
                    ),
                ))
            }
        };
        differ(
            "H3 resolution",
            u8::from(self.resolution).to_string(),
            u8::from(other.resolution).to_string(),
        )?;
        differ(
            "partitioning",
            self.partitioning.as_str().to_owned(),
            other.partitioning.as_str().to_owned(),
        )?;
        differ(
            "time zone",
            self.zone.name().to_owned(),
            other.zone.name().to_owned(),
        )?;
        let bins = |labels: &[String]| {
            let shown: Vec<&str> = labels.iter().take(2).map(String::as_str).collect();
            let more = if labels.len() > 2 { ", …" } else { "" };
            format!("{} bins ({}{more})", labels.len(), shown.join(", "))
        };
        if self.bin_labels != other.bin_labels {
            differ("time bins", bins(&self.bin_labels), bins(&other.bin_labels))?;
            differ(
                "time bins",
                self.bin_labels.join(", "),
                other.bin_labels.join(", "),
            )?;
        }
        differ(
            "time dimensions",
            self.bin_dimensions.join(","),
            other.bin_dimensions.join(","),
        )?;
        differ(
            "time binning",
            self.time_binning.to_string(),
            other.time_binning.to_string(),
        )?;
        differ(
            "darkness point",
            format!("{:?}", self.darkness_at),
            format!("{:?}", other.darkness_at),
        )?;
        differ(
            "weighting",
            if self.weighted {
                "weighted"
            } else {
                "unweighted"
            }
            .to_owned(),
            if other.weighted {
                "weighted"
            } else {
                "unweighted"
            }
            .to_owned(),
        )
    }

    /// Writes the aggregate as Hive-partitioned Parquet under `dir` (layout in
    /// the module documentation), every file atomically (temporary name, then
    /// rename), the manifest last. A folder that already holds an aggregate
    /// (or the remains of an interrupted write) is replaced; a folder holding
    /// anything else is refused.
    ///
    /// # Errors
    /// [`Error::Parameter`] for a folder holding files that are not an aggregate's;
    /// [`Error::Io`] or a polars error if a file cannot be written.
    pub fn write_partitioned(&self, dir: &Path) -> Result<AggregateFiles> {
        prepare_folder(dir)?;
        let mut groups: BTreeMap<(u64, PeriodKey), Vec<usize>> = BTreeMap::new();
        for (i, c) in self.counts.iter().enumerate() {
            let parent = c.cell.parent(self.parent_resolution).ok_or_else(|| {
                Error::parameter(
                    "aggregate parent resolution",
                    "is finer than the resolution of the cells",
                )
            })?;
            groups
                .entry((u64::from(parent), c.period))
                .or_default()
                .push(i);
        }
        let count_files: Vec<(String, usize, u64)> = groups
            .par_iter()
            .map(|((parent, period), rows)| {
                let rel = format!(
                    "counts/parent={}/period={period}/part-0.parquet",
                    hex_of(*parent)
                );
                let mut df = self.count_frame(rows)?;
                let bytes = write_parquet(&dir.join(&rel), &mut df)?;
                Ok((rel, rows.len(), bytes))
            })
            .collect::<Result<_>>()?;
        let mut by_period: BTreeMap<PeriodKey, Vec<&BinExposure>> = BTreeMap::new();
        for e in &self.exposure {
            by_period.entry(e.period).or_default().push(e);
        }
        let exposure_files: Vec<(String, usize, u64)> = by_period
            .par_iter()
            .map(|(period, rows)| {
                let rel = format!("exposure/period={period}/part-0.parquet");
                let mut df = DataFrame::new_infer_height(vec![
                    Column::new(
                        "bin".into(),
                        rows.iter()
                            .map(|e| self.bin_labels[e.bin as usize].as_str())
                            .collect::<Vec<_>>(),
                    ),
                    Column::new(
                        "seconds".into(),
                        rows.iter().map(|e| e.seconds).collect::<Vec<_>>(),
                    ),
                    Column::new(
                        "hours".into(),
                        rows.iter().map(|e| e.hours()).collect::<Vec<_>>(),
                    ),
                ])?;
                let bytes = write_parquet(&dir.join(&rel), &mut df)?;
                Ok((rel, rows.len(), bytes))
            })
            .collect::<Result<_>>()?;
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            version: VERSION,
            note: "Exact counts for merging (byrum's intermediate data): small counts are NOT suppressed. Not for publication.".to_owned(),
            suppressed: false,
            min_count_applied: None,
            resolution: u8::from(self.resolution),
            parent_resolution: u8::from(self.parent_resolution),
            partitioning: self.partitioning,
            zone: self.zone.name().to_owned(),
            bin_dimensions: self.bin_dimensions.clone(),
            bin_labels: self.bin_labels.clone(),
            time_binning: self.time_binning.clone(),
            darkness_at: self.darkness_at,
            weighted: self.weighted,
            periods: self.periods().iter().map(ToString::to_string).collect(),
            incidents: self.total(),
            files: count_files
                .iter()
                .chain(&exposure_files)
                .map(|(path, rows, _)| ManifestFile {
                    path: path.clone(),
                    rows: *rows,
                })
                .collect(),
        };
        let mut json = serde_json::to_vec_pretty(&manifest)?;
        json.push(b'\n');
        let manifest_path = dir.join(AGGREGATE_MANIFEST);
        write_atomic(&manifest_path, &json)?;
        Ok(AggregateFiles {
            manifest: manifest_path,
            files: count_files
                .iter()
                .chain(&exposure_files)
                .map(|(p, _, _)| dir.join(p))
                .collect(),
            count_rows: count_files.iter().map(|f| f.1).sum(),
            exposure_rows: exposure_files.iter().map(|f| f.1).sum(),
            bytes: count_files
                .iter()
                .chain(&exposure_files)
                .map(|f| f.2)
                .sum::<u64>()
                + json.len() as u64,
        })
    }

    fn count_frame(&self, rows: &[usize]) -> Result<DataFrame> {
        let rows: Vec<&CellBinCount> = rows.iter().map(|&i| &self.counts[i]).collect();
        let mut columns = vec![
            Column::new(
                "cell".into(),
                rows.iter()
                    .map(|c| u64::from(c.cell) as i64)
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "cell_hex".into(),
                rows.iter().map(|c| c.cell.to_string()).collect::<Vec<_>>(),
            ),
            Column::new(
                "bin".into(),
                rows.iter()
                    .map(|c| self.bin_labels[c.bin as usize].as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "count".into(),
                rows.iter().map(|c| c.count as i64).collect::<Vec<_>>(),
            ),
        ];
        if self.weighted {
            columns.push(Column::new(
                "weight".into(),
                rows.iter().map(|c| c.weight).collect::<Vec<_>>(),
            ));
        }
        Ok(DataFrame::new_infer_height(columns)?)
    }

    /// Reads an aggregate folder written by
    /// [`CellBinAggregate::write_partitioned`] (or by another engine in the
    /// same layout, with a manifest listing its files).
    ///
    /// # Errors
    /// [`Error::Input`] naming the file for a missing or unreadable manifest,
    /// a listed file that is missing, unreadable or has wrong columns or
    /// values, or a Parquet file in the tree that the manifest does not list.
    pub fn read_partitioned(dir: &Path) -> Result<CellBinAggregate> {
        let manifest_path = dir.join(AGGREGATE_MANIFEST);
        let text = std::fs::read(&manifest_path).map_err(|e| {
            Error::input(
                &manifest_path,
                format!("not a byrum aggregate folder (cannot read its manifest: {e})"),
            )
        })?;
        let m: Manifest = serde_json::from_slice(&text).map_err(|e| {
            Error::input(
                &manifest_path,
                format!("not a byrum aggregate manifest: {e}"),
            )
        })?;
        let bad = |msg: String| Error::input(&manifest_path, msg);
        if m.format != FORMAT || m.version != VERSION {
            return Err(bad(format!(
                "format {} version {} is not {FORMAT} version {VERSION}",
                m.format, m.version
            )));
        }
        let resolution = h3_resolution(m.resolution).map_err(|e| bad(e.to_string()))?;
        let parent_resolution =
            h3_resolution(m.parent_resolution).map_err(|e| bad(e.to_string()))?;
        let zone = parse_zone(&m.zone).map_err(|e| bad(e.to_string()))?;
        let bin_of: BTreeMap<&str, u32> = m
            .bin_labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_str(), i as u32))
            .collect();
        if bin_of.len() != m.bin_labels.len() {
            return Err(bad("bin labels repeat".to_owned()));
        }
        let mut listed = std::collections::BTreeSet::new();
        let mut counts = Vec::new();
        let mut exposure = Vec::new();
        for f in &m.files {
            let part = FilePart::parse(&f.path, m.partitioning)
                .ok_or_else(|| bad(format!("file {:?} is not in the aggregate layout", f.path)))?;
            let path = dir.join(&f.path);
            listed.insert(path.clone());
            let df = read_parquet(&path)?;
            let wrong = |msg: String| Error::input(&path, msg);
            if df.height() != f.rows {
                return Err(wrong(format!(
                    "has {} rows, the manifest lists {}: the file is incomplete or was replaced",
                    df.height(),
                    f.rows
                )));
            }
            let bins: Vec<u32> = string_column(&df, "bin", &path)?
                .into_iter()
                .map(|b| {
                    bin_of
                        .get(b.as_str())
                        .copied()
                        .ok_or_else(|| wrong(format!("time bin {b:?} is not in the manifest")))
                })
                .collect::<Result<_>>()?;
            match part {
                FilePart::Counts { parent, period } => {
                    let cells = i64_column(&df, "cell", &path)?;
                    let n = i64_column(&df, "count", &path)?;
                    let w = if m.weighted {
                        Some(f64_column(&df, "weight", &path)?)
                    } else {
                        None
                    };
                    for (i, (&cell, &bin)) in cells.iter().zip(&bins).enumerate() {
                        let cell = u64::try_from(cell)
                            .ok()
                            .and_then(|c| CellIndex::try_from(c).ok())
                            .filter(|c| c.resolution() == resolution)
                            .ok_or_else(|| {
                                wrong(format!(
                                    "row {}: {cell} is not an H3 cell at resolution {}",
                                    i + 1,
                                    m.resolution
                                ))
                            })?;
                        if cell.parent(parent_resolution) != Some(parent) {
                            return Err(wrong(format!(
                                "row {}: cell {cell} does not belong to parent {parent}",
                                i + 1
                            )));
                        }
                        let count =
                            u64::try_from(n[i]).ok().filter(|&c| c > 0).ok_or_else(|| {
                                wrong(format!("row {}: count {} is not positive", i + 1, n[i]))
                            })?;
                        counts.push(CellBinCount {
                            cell,
                            bin,
                            period,
                            count,
                            weight: w.as_ref().map_or(count as f64, |w| w[i]),
                        });
                    }
                }
                FilePart::Exposure { period } => {
                    let s = i64_column(&df, "seconds", &path)?;
                    for (&bin, &seconds) in bins.iter().zip(&s) {
                        if seconds < 0 {
                            return Err(wrong(format!("negative exposure {seconds} s")));
                        }
                        exposure.push(BinExposure {
                            period,
                            bin,
                            seconds,
                        });
                    }
                }
            }
        }
        for sub in ["counts", "exposure"] {
            if let Some(extra) = parquet_files(&dir.join(sub))?
                .into_iter()
                .find(|p| !listed.contains(p))
            {
                return Err(Error::input(
                    &extra,
                    format!(
                        "is not listed in {AGGREGATE_MANIFEST}: a left-over from another run? engines reading the folder would count it"
                    ),
                ));
            }
        }
        counts.par_sort_by_key(|c| (c.cell, c.bin, c.period));
        if let Some(w) = counts
            .windows(2)
            .find(|w| (w[0].cell, w[0].bin, w[0].period) == (w[1].cell, w[1].bin, w[1].period))
        {
            return Err(bad(format!(
                "cell {} bin {} period {} appears twice",
                w[0].cell, m.bin_labels[w[0].bin as usize], w[0].period
            )));
        }
        exposure.sort_by_key(|e| (e.period, e.bin));
        let nb = m.bin_labels.len();
        for p in &m.periods {
            let key = PeriodKey::parse(p).map_err(|e| bad(e.to_string()))?;
            let have = exposure.iter().filter(|e| e.period == key).count();
            if have != nb {
                return Err(bad(format!(
                    "period {key} has exposure for {have} of {nb} time bins"
                )));
            }
        }
        let agg = CellBinAggregate {
            resolution,
            parent_resolution,
            partitioning: m.partitioning,
            zone,
            bin_labels: m.bin_labels,
            bin_dimensions: m.bin_dimensions,
            time_binning: m.time_binning,
            darkness_at: m.darkness_at,
            weighted: m.weighted,
            counts,
            exposure,
        };
        if agg.total() != m.incidents {
            return Err(bad(format!(
                "the files hold {} incidents, the manifest says {}",
                agg.total(),
                m.incidents
            )));
        }
        Ok(agg)
    }

    /// Reads several aggregate folders and merges them
    /// ([`CellBinAggregate::merge`]).
    ///
    /// # Errors
    /// As [`CellBinAggregate::read_partitioned`] and [`CellBinAggregate::merge`].
    pub fn read_and_merge(dirs: &[&Path]) -> Result<CellBinAggregate> {
        let parts = dirs
            .iter()
            .map(|d| Self::read_partitioned(d))
            .collect::<Result<Vec<_>>>()?;
        Self::merge(&parts)
    }
}

/// Which part of the layout a listed file is.
enum FilePart {
    Counts {
        parent: CellIndex,
        period: PeriodKey,
    },
    Exposure {
        period: PeriodKey,
    },
}

impl FilePart {
    /// Parses `counts/parent=<hex>/period=<key>/part-0.parquet` or
    /// `exposure/period=<key>/part-0.parquet` (nothing else: a manifest cannot
    /// point outside its folder).
    fn parse(path: &str, partitioning: Partitioning) -> Option<Self> {
        let parts: Vec<&str> = path.split('/').collect();
        let period = |s: &str| {
            s.strip_prefix("period=")
                .and_then(|p| PeriodKey::parse(p).ok())
                .filter(|p| p.partitioning() == partitioning)
        };
        match parts.as_slice() {
            ["counts", parent, p, "part-0.parquet"] => {
                let parent = parent
                    .strip_prefix("parent=")
                    .and_then(|h| u64::from_str_radix(h, 16).ok())
                    .and_then(|c| CellIndex::try_from(c).ok())?;
                Some(FilePart::Counts {
                    parent,
                    period: period(p)?,
                })
            }
            ["exposure", p, "part-0.parquet"] => Some(FilePart::Exposure { period: period(p)? }),
            _ => None,
        }
    }
}

fn hex_of(cell: u64) -> String {
    format!("{cell:x}")
}

/// Creates `dir`, or clears an earlier aggregate in it (its manifest,
/// `counts/` and `exposure/`, also when an interrupted write left no
/// manifest); refuses a folder holding anything else.
fn prepare_folder(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let ours = |name: &str| {
                name == AGGREGATE_MANIFEST
                    || name == "counts"
                    || name == "exposure"
                    || (name.starts_with('.')
                        && Path::new(name)
                            .extension()
                            .is_some_and(|x| x.eq_ignore_ascii_case("tmp")))
            };
            for entry in entries {
                let entry = entry.map_err(|e| Error::io("read", dir, e))?;
                if !ours(&entry.file_name().to_string_lossy()) {
                    return Err(Error::parameter(
                        "aggregate folder",
                        format!(
                            "{} holds {}, which is not part of an aggregate; choose an empty or new folder",
                            dir.display(),
                            entry.file_name().display()
                        ),
                    ));
                }
            }
            // Manifest first: a half-cleared folder is never mistaken for an aggregate.
            let manifest = dir.join(AGGREGATE_MANIFEST);
            if manifest.exists() {
                std::fs::remove_file(&manifest).map_err(|e| Error::io("write", &manifest, e))?;
            }
            for sub in ["counts", "exposure"] {
                let p = dir.join(sub);
                if p.exists() {
                    std::fs::remove_dir_all(&p).map_err(|e| Error::io("write", &p, e))?;
                }
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))
        }
        Err(e) => Err(Error::io("read", dir, e)),
    }
}

/// Writes a frame as Parquet (zstd) atomically; returns its size in bytes.
fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<u64> {
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf)
        .with_statistics(StatisticsOptions::full())
        .set_parallel(false)
        .finish(df)?;
    write_atomic(path, &buf)?;
    Ok(buf.len() as u64)
}

fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = std::fs::File::open(path).map_err(|e| {
        Error::input(
            path,
            format!("is listed in the manifest but cannot be opened: {e}"),
        )
    })?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| Error::input(path, format!("is not a readable Parquet file: {e}")))
}

fn column<'a>(df: &'a DataFrame, name: &str, path: &Path) -> Result<&'a Column> {
    df.column(name)
        .map_err(|_| Error::input(path, format!("has no column {name:?}")))
}

fn i64_column(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<i64>> {
    let c = column(df, name, path)?
        .i64()
        .map_err(|_| Error::input(path, format!("column {name:?} is not Int64")))?;
    c.iter()
        .map(|v| v.ok_or_else(|| Error::input(path, format!("column {name:?} has a null"))))
        .collect()
}

fn f64_column(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<f64>> {
    let c = column(df, name, path)?
        .f64()
        .map_err(|_| Error::input(path, format!("column {name:?} is not Float64")))?;
    c.iter()
        .map(|v| v.ok_or_else(|| Error::input(path, format!("column {name:?} has a null"))))
        .collect()
}

fn string_column(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<String>> {
    let c = column(df, name, path)?
        .str()
        .map_err(|_| Error::input(path, format!("column {name:?} is not a string")))?;
    c.iter()
        .map(|v| {
            v.map(str::to_owned)
                .ok_or_else(|| Error::input(path, format!("column {name:?} has a null")))
        })
        .collect()
}

/// Every `*.parquet` file below `dir` (none if it does not exist), sorted.
fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io("read", &d, e)),
        };
        for entry in entries {
            let p = entry.map_err(|e| Error::io("read", &d, e))?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::float_cmp, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn period_keys_parse_and_print() {
        assert_eq!(PeriodKey::parse("2023").unwrap(), PeriodKey::year(2023));
        assert_eq!(
            PeriodKey::parse("2023-07").unwrap(),
            PeriodKey::month(2023, 7).unwrap()
        );
        assert_eq!(PeriodKey::month(2023, 7).unwrap().to_string(), "2023-07");
        for bad in [
            "23",
            "2023-7",
            "2023-13",
            "2023-00",
            "20x3",
            "2023-07-01",
            "",
            "../x",
        ] {
            assert!(PeriodKey::parse(bad).is_err(), "{bad}");
        }
        assert!(PeriodKey::year(2023) < PeriodKey::year(2024));
        assert!(PeriodKey::month(2023, 12).unwrap() < PeriodKey::month(2024, 1).unwrap());
    }

    #[test]
    fn calendar_periods_clip_and_follow_dst() {
        let tz = parse_zone("Europe/Copenhagen").unwrap();
        let p = Period::local_dates(
            tz,
            "2023-03-15".parse().unwrap(),
            "2023-11-10".parse().unwrap(),
        )
        .unwrap();
        let months = calendar_periods(Partitioning::Month, tz, &p).unwrap();
        assert_eq!(months.len(), 9);
        assert_eq!(months[0].0.to_string(), "2023-03");
        assert_eq!(months[0].1.start, p.start);
        assert_eq!(months[0].1.hours(), 17.0 * 24.0 - 1.0); // 15–31 March, spring forward
        assert_eq!(months[7].1.hours(), 31.0 * 24.0 + 1.0); // October, fall back
        assert_eq!(months[8].1.end, p.end);
        let years = calendar_periods(Partitioning::Year, tz, &p).unwrap();
        assert_eq!(years, vec![(PeriodKey::year(2023), p)]);
        // Contiguous.
        for w in months.windows(2) {
            assert_eq!(w[0].1.end, w[1].1.start);
        }
    }

    #[test]
    fn layout_paths_cannot_escape() {
        assert!(
            FilePart::parse(
                "exposure/period=2023-01/part-0.parquet",
                Partitioning::Month
            )
            .is_some()
        );
        assert!(
            FilePart::parse("exposure/period=2023/part-0.parquet", Partitioning::Month).is_none()
        );
        assert!(
            FilePart::parse(
                "../exposure/period=2023-01/part-0.parquet",
                Partitioning::Month
            )
            .is_none()
        );
        assert!(
            FilePart::parse(
                "counts/parent=zz/period=2023-01/part-0.parquet",
                Partitioning::Month
            )
            .is_none()
        );
        assert!(
            FilePart::parse(
                "counts/parent=851f05a3fffffff/period=2023-01/part-0.parquet",
                Partitioning::Month
            )
            .is_some()
        );
    }
}
