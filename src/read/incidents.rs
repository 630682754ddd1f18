//! Incidents from CSV, Parquet or a polars `DataFrame`.
//!
//! Every data row is either accepted into [`Incidents`] or rejected with its
//! line and reason in the [`IngestReport`]; nothing is dropped silently.
//!
//! CSV is split into records by `csv-core`, the streaming parser of the `csv`
//! crate (quotes, doubled quotes, newlines inside quoted fields,
//! `\n`/`\r\n`/`\r` line ends, blank lines skipped; a unit test compares the
//! two on random input) rather than by polars' CSV reader, because a
//! planner's export must survive a malformed row: every record keeps its
//! exact line, and one ragged row is rejected while reading goes on, where
//! polars fails the whole file. Unlike the `csv` crate, which holds a whole
//! record in memory however long, `csv-core` writes into buffers given to
//! it, so a record over [`IncidentReader::max_record_bytes`] is skipped
//! without storing it. Parquet and in-memory `DataFrame`s go through polars
//! and then through the same row validation.
//!
//! Whole-file problems are [`Error::Input`]s naming the file: empty, a header
//! line over the record limit, a single-column header (naming the delimiter
//! the file does use), a missing column. Row problems are rejections:
//!
//! | reason | meaning |
//! |---|---|
//! | `wrong_field_count` | more or fewer fields than the header (naming another delimiter if the row uses one) |
//! | `invalid_text` | a field that is not UTF-8 |
//! | `record_too_long` | a record over `max_record_bytes` (with its first and last line: a quote never closed makes many lines one record) |
//! | `bad_coordinate` | missing, not a number, NaN/inf, out of −180…180/−90…90, (0, 0), or not a point of the projected CRS |
//! | `out_of_study_area` | outside the study area |
//! | `unparseable_time`, `nonexistent_local_time`, `ambiguous_local_time`, `no_zone` | see [`TimeProblem`] |
//! | `implausible_time` | local year outside [`IncidentReader::plausible_years`] (default 1971–2069) |
//! | `bad_weight`, `duplicate_id`, `duplicate_record` | a bad weight, a reused id, a repeated row ([`DuplicateRecords`]) |
//!
//! Notes on the whole file: `no_rows` (a header without rows),
//! `lon_lat_swapped` (rejected rows that would be valid — inside the study
//! area, if one is set — with x and y swapped: when they are most rows, the
//! note says to swap the columns and gives the `--columns` mapping; else it
//! lists their first lines), `column_mapping`, `zone_from_location`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;

use chrono::{Datelike, NaiveDateTime};
use chrono_tz::Tz;
use polars::prelude::*;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::ingest::{IngestReport, MAX_LISTED};
use crate::model::{Dictionary, Incidents, TextColumn, retain_flagged};
use crate::projection::Projection;
use crate::projection::median_point;
use crate::study_area::StudyArea;
use crate::time::{Ambiguity, Instant, TimeProblem, TimestampParser, zone_at};

/// Rows validated together (in parallel) per chunk.
const CHUNK: usize = 1 << 16;

/// A chunk of CSV records is also ended when its fields hold this many bytes.
const CHUNK_BYTES: usize = 64 << 20;

/// The default limit on the bytes of one CSV record (4 MiB): see
/// [`IncidentReader::max_record_bytes`].
pub const MAX_RECORD_BYTES: usize = 4 << 20;

/// The default plausible years of incident timestamps (local time), both
/// included: see [`IncidentReader::plausible_years`].
pub const PLAUSIBLE_YEARS: (i32, i32) = (1971, 2069);

/// Which columns hold what. Names are matched case-insensitively.
///
/// The default is `id,lon,lat,timestamp,category`. When the default is used
/// and a column is missing, common alternatives are tried (`longitude`, `x`,
/// `længdegrad`, `tidspunkt`, `kategori`, …) and the choice is noted in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    /// Identifier column (optional: without it, ids are `L<line>`).
    pub id: Option<String>,
    /// Longitude, or easting when the CRS is projected.
    pub x: String,
    /// Latitude, or northing when the CRS is projected.
    pub y: String,
    /// Timestamp.
    pub timestamp: String,
    /// Category (optional: without it, every incident is `unspecified`).
    pub category: Option<String>,
    /// Group (optional).
    pub group: Option<String>,
    /// Weight (optional, non-negative).
    pub weight: Option<String>,
    aliases: bool,
}

impl Default for ColumnMap {
    fn default() -> Self {
        Self {
            id: Some("id".into()),
            x: "lon".into(),
            y: "lat".into(),
            timestamp: "timestamp".into(),
            category: Some("category".into()),
            group: None,
            weight: None,
            aliases: true,
        }
    }
}

const ALIASES: &[(&str, &[&str])] = &[
    (
        "id",
        &[
            "id",
            "incident_id",
            "sagsnr",
            "sagsnummer",
            "nr",
            "objectid",
        ],
    ),
    (
        "x",
        &[
            "lon",
            "lng",
            "long",
            "longitude",
            "længdegrad",
            "laengdegrad",
            "x",
            "easting",
        ],
    ),
    ("y", &["lat", "latitude", "breddegrad", "y", "northing"]),
    (
        "timestamp",
        &[
            "timestamp",
            "datetime",
            "date_time",
            "time",
            "tidspunkt",
            "dato_tid",
            "tid",
            "date",
            "dato",
        ],
    ),
    (
        "category",
        &[
            "category",
            "kategori",
            "type",
            "hændelsestype",
            "haendelsestype",
            "offense",
        ],
    ),
];

impl ColumnMap {
    /// Parses `key=column` pairs separated by commas, e.g.
    /// `x=easting,y=northing,timestamp=tidspunkt,category=kategori`. Keys:
    /// `id, x (or lon), y (or lat), timestamp, category, group, weight`.
    /// Keys not given keep their defaults; no aliases are tried.
    ///
    /// # Errors
    /// [`Error::Parameter`] for an unknown key or a pair without `=`.
    ///
    /// ```
    /// let m = byrum::ColumnMap::parse("x=easting, y=northing, timestamp=tidspunkt, weight=vægt")?;
    /// assert_eq!(m.x, "easting");
    /// assert_eq!(m.weight.as_deref(), Some("vægt"));
    /// # Ok::<(), byrum::Error>(())
    /// ```
    pub fn parse(spec: &str) -> Result<Self> {
        let mut m = Self {
            aliases: false,
            ..Self::default()
        };
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                Error::parameter("column mapping", format!("{pair:?} is not key=column"))
            })?;
            let v = v.trim().to_owned();
            match k.trim().to_ascii_lowercase().as_str() {
                "id" => m.id = Some(v),
                "x" | "lon" => m.x = v,
                "y" | "lat" => m.y = v,
                "timestamp" | "time" => m.timestamp = v,
                "category" => m.category = Some(v),
                "group" => m.group = Some(v),
                "weight" => m.weight = Some(v),
                other => {
                    return Err(Error::parameter(
                        "column mapping",
                        format!(
                            "unknown key {other:?}; use id, x, y, timestamp, category, group, weight"
                        ),
                    ));
                }
            }
        }
        Ok(m)
    }

    /// Resolves the columns against a header; returns indices and notes on
    /// aliases used.
    fn resolve(&self, header: &[String], file: &Path) -> Result<(Resolved, Vec<String>)> {
        let lower: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
        let find = |name: &str| lower.iter().position(|h| *h == name.to_lowercase());
        let mut notes = Vec::new();
        let mut pick = |role: &str, name: &str, required: bool| -> Result<Option<usize>> {
            if let Some(i) = find(name) {
                return Ok(Some(i));
            }
            if self.aliases
                && let Some((_, alts)) = ALIASES.iter().find(|(r, _)| *r == role)
                && let Some(i) = alts.iter().find_map(|a| find(a))
            {
                notes.push(format!(
                    "column {:?} used as {role} (no column {name:?})",
                    header[i].trim()
                ));
                return Ok(Some(i));
            }
            if required {
                return Err(Error::input(
                    file,
                    format!(
                        "no {role} column {name:?}; the columns are {}. Map the columns (e.g. --columns \"x=easting,y=northing,timestamp=tidspunkt\")",
                        header
                            .iter()
                            .map(|h| format!("{:?}", h.trim()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            Ok(None)
        };
        let x = pick("x", &self.x, true)?.unwrap_or_default();
        let y = pick("y", &self.y, true)?.unwrap_or_default();
        let timestamp = pick("timestamp", &self.timestamp, true)?.unwrap_or_default();
        let id = match &self.id {
            Some(n) => pick("id", n, false)?,
            None => None,
        };
        let category = match &self.category {
            Some(n) => pick("category", n, false)?,
            None => None,
        };
        let group = match &self.group {
            Some(n) => Some(pick("group", n, true)?.unwrap_or_default()),
            None => None,
        };
        let weight = match &self.weight {
            Some(n) => Some(pick("weight", n, true)?.unwrap_or_default()),
            None => None,
        };
        if x == y {
            return Err(Error::input(
                file,
                "the x and y columns are the same column",
            ));
        }
        Ok((
            Resolved {
                id,
                x,
                y,
                timestamp,
                category,
                group,
                weight,
            },
            notes,
        ))
    }
}

#[derive(Debug, Clone, Copy)]
struct Resolved {
    id: Option<usize>,
    x: usize,
    y: usize,
    timestamp: usize,
    category: Option<usize>,
    group: Option<usize>,
    weight: Option<usize>,
}

/// The coordinate system of the x/y columns.
#[derive(Debug, Clone, Default)]
pub enum Crs {
    /// Longitude/latitude in degrees (EPSG:4326).
    #[default]
    Wgs84,
    /// Projected metres in a UTM projection (e.g. EPSG:25832).
    Projected(Box<Projection>),
}

impl Crs {
    /// Parses `EPSG:4326`, `4326`, `EPSG:25832`, ….
    ///
    /// # Errors
    /// [`Error::Parameter`] for a code byrum cannot read.
    pub fn parse(s: &str) -> Result<Self> {
        let code = s
            .trim()
            .trim_start_matches("EPSG:")
            .trim_start_matches("epsg:");
        let n: u32 = code.parse().map_err(|_| {
            Error::parameter(
                "CRS",
                format!("{s:?} is not an EPSG code such as EPSG:25832"),
            )
        })?;
        if n == 4326 {
            Ok(Crs::Wgs84)
        } else {
            Ok(Crs::Projected(Box::new(Projection::from_epsg(n)?)))
        }
    }
}

/// What to do with rows identical to an earlier one in everything but the id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicateRecords {
    /// Keep them and list each as a warning (`duplicate_record`).
    #[default]
    Warn,
    /// Reject them (`duplicate_record`).
    Reject,
}

/// Incidents read from one input, with the report of what happened to each row.
#[derive(Debug, Clone)]
pub struct IncidentBatch {
    /// The accepted incidents (projected coordinates not yet filled).
    pub incidents: Incidents,
    /// The ingest report.
    pub report: IngestReport,
    /// The zone every accepted row's UTC offset was taken from, when all
    /// their timestamps were naive local times placed in one zone (so each
    /// offset is that zone's at its instant, by construction); `None`
    /// otherwise. [`crate::DatasetBuilder::build`] skips checking offsets
    /// against the same zone.
    pub offsets_from: Option<Tz>,
}

/// Reads incidents. Configure once, read many files.
///
/// ```no_run
/// use byrum::{IncidentReader, StudyArea, parse_zone};
/// let batch = IncidentReader::new()
///     .zone(parse_zone("Europe/Copenhagen")?)
///     .study_area(StudyArea::from_bbox_str("9.85,57.0,10.0,57.1")?)
///     .read_path("data/aalborg/incidents.csv".as_ref())?;
/// assert_eq!(batch.report.read, batch.report.accepted + batch.report.rejected);
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct IncidentReader {
    columns: ColumnMap,
    crs: Crs,
    times: TimestampParser,
    zone_from_location: bool,
    study_area: Option<StudyArea>,
    duplicates: DuplicateRecords,
    delimiter: Option<u8>,
    max_record_bytes: usize,
    years: (i32, i32),
}

impl Default for IncidentReader {
    /// As [`IncidentReader::new`], but naive timestamps without a configured
    /// zone are rejected rather than placed in the zone at the data's location.
    fn default() -> Self {
        Self {
            columns: ColumnMap::default(),
            crs: Crs::default(),
            times: TimestampParser::default(),
            zone_from_location: false,
            study_area: None,
            duplicates: DuplicateRecords::default(),
            delimiter: None,
            max_record_bytes: MAX_RECORD_BYTES,
            years: PLAUSIBLE_YEARS,
        }
    }
}

/// One row before validation, borrowed from the source.
struct RawRow<'a> {
    line: u64,
    id: Option<Cow<'a, str>>,
    x: Option<Cow<'a, str>>,
    y: Option<Cow<'a, str>>,
    time: TimeIn<'a>,
    category: Option<Cow<'a, str>>,
    group: Option<Cow<'a, str>>,
    weight: Option<Cow<'a, str>>,
}

enum TimeIn<'a> {
    Text(Cow<'a, str>),
    /// A zoned instant from a typed column.
    Utc(i64, Option<Tz>),
    /// A naive local date-time from a typed column.
    Naive(NaiveDateTime),
    Missing,
}

impl TimeIn<'_> {
    /// The same time, its text borrowed.
    fn borrowed(&self) -> TimeIn<'_> {
        match self {
            TimeIn::Text(t) => TimeIn::Text(Cow::Borrowed(t)),
            &TimeIn::Utc(utc, tz) => TimeIn::Utc(utc, tz),
            &TimeIn::Naive(ndt) => TimeIn::Naive(ndt),
            TimeIn::Missing => TimeIn::Missing,
        }
    }
}

/// One validated row, borrowing its texts from the raw row.
struct Row<'b> {
    line: u64,
    id: Cow<'b, str>,
    lon: f64,
    lat: f64,
    instant: Instant,
    category: &'b str,
    group: Option<&'b str>,
    weight: Option<f64>,
    ambiguous: bool,
    naive: bool,
}

/// A rejected row: its line, reason and detail, and whether it would be a
/// usable point (inside the study area, if one is set) with x and y swapped.
#[derive(Clone)]
struct Bad {
    line: u64,
    reason: &'static str,
    detail: String,
    swapped: bool,
}

impl Bad {
    fn new(line: u64, reason: &'static str, detail: impl Into<String>) -> Self {
        Self {
            line,
            reason,
            detail: detail.into(),
            swapped: false,
        }
    }
}

type RowResult<'b> = std::result::Result<Row<'b>, Bad>;
type RawResult<'a> = std::result::Result<RawRow<'a>, Bad>;

impl IncidentReader {
    /// A reader with the default columns, WGS84 coordinates, RFC 3339
    /// timestamps, and naive timestamps placed in the zone at the data's
    /// location (found from the tz boundary database) unless a zone is set.
    #[must_use]
    pub fn new() -> Self {
        Self {
            zone_from_location: true,
            ..Self::default()
        }
    }

    /// The column mapping.
    #[must_use]
    pub fn columns(mut self, columns: ColumnMap) -> Self {
        self.columns = columns;
        self
    }

    /// The coordinate system of the x/y columns.
    #[must_use]
    pub fn crs(mut self, crs: Crs) -> Self {
        self.crs = crs;
        self
    }

    /// The IANA zone of naive timestamps.
    #[must_use]
    pub fn zone(mut self, zone: Tz) -> Self {
        self.times = self.times.zone(zone);
        self
    }

    /// The rule for ambiguous (fall-back) local times.
    #[must_use]
    pub fn ambiguity(mut self, rule: Ambiguity) -> Self {
        self.times = self.times.ambiguity(rule);
        self
    }

    /// A chrono format for the timestamp column (tried first).
    #[must_use]
    pub fn time_format(mut self, format: impl Into<String>) -> Self {
        self.times = self.times.format(format);
        self
    }

    /// Whether naive timestamps without a configured zone are placed in the
    /// zone at the data's location (default) or rejected.
    #[must_use]
    pub fn zone_from_location(mut self, yes: bool) -> Self {
        self.zone_from_location = yes;
        self
    }

    /// Rejects points outside this area (`out_of_study_area`).
    #[must_use]
    pub fn study_area(mut self, area: StudyArea) -> Self {
        self.study_area = Some(area);
        self
    }

    /// What to do with rows duplicating an earlier one except for the id.
    #[must_use]
    pub fn duplicate_records(mut self, policy: DuplicateRecords) -> Self {
        self.duplicates = policy;
        self
    }

    /// The CSV delimiter (default: detected from the header among `, ; tab |`).
    #[must_use]
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = Some(delimiter);
        self
    }

    /// The most bytes one CSV record may have (default [`MAX_RECORD_BYTES`],
    /// 4 MiB; at least 1). A longer record is rejected (`record_too_long`)
    /// without being held in memory, and reading goes on with the next one,
    /// so a 1-GB line, or a quote that is never closed, cannot exhaust memory.
    #[must_use]
    pub fn max_record_bytes(mut self, bytes: usize) -> Self {
        self.max_record_bytes = bytes.max(1);
        self
    }

    /// The years in which incident timestamps are plausible, both included,
    /// in local time (default [`PLAUSIBLE_YEARS`], 1971–2069). A timestamp
    /// outside them is rejected (`implausible_time`): exports use dates such
    /// as 1900-01-01 (a spreadsheet's day zero), 1970-01-01 (Unix time zero)
    /// or 2099-12-31/2100-01-01 for "unknown", and such a row would otherwise
    /// stretch the study period over a century. The default is fixed rather
    /// than tied to today's date so that the same file always reads the same.
    ///
    /// # Errors
    /// [`Error::Parameter`] if `first > last`.
    ///
    /// ```
    /// let reader = byrum::IncidentReader::new().plausible_years(2015, 2030)?;
    /// assert!(byrum::IncidentReader::new().plausible_years(2030, 2015).is_err());
    /// # drop(reader);
    /// # Ok::<(), byrum::Error>(())
    /// ```
    pub fn plausible_years(mut self, first: i32, last: i32) -> Result<Self> {
        if first > last {
            return Err(Error::parameter(
                "plausible years",
                format!("the first year {first} is after the last year {last}"),
            ));
        }
        self.years = (first, last);
        Ok(self)
    }

    /// Reads a CSV (`.csv`, `.tsv`, `.txt`) or Parquet (`.parquet`, `.pq`) file.
    ///
    /// # Errors
    /// As [`IncidentReader::read_csv`] and [`IncidentReader::read_parquet`].
    pub fn read_path(&self, path: &Path) -> Result<IncidentBatch> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("parquet" | "pq") => self.read_parquet(path),
            _ => self.read_csv(path),
        }
    }

    /// Reads a CSV file (UTF-8, optional BOM, any line endings, quoted fields
    /// may contain delimiters and newlines).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read; [`Error::Input`] if it is empty,
    /// has only a header line with no usable columns, or lacks a required column.
    pub fn read_csv(&self, path: &Path) -> Result<IncidentBatch> {
        use std::io::BufRead;
        let file = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
        let mut buffered = std::io::BufReader::with_capacity(1 << 20, file);
        if buffered
            .fill_buf()
            .map_err(|e| Error::io("read", path, e))?
            .starts_with(b"\xEF\xBB\xBF")
        {
            buffered.consume(3);
        }
        let delimiter = match self.delimiter {
            Some(d) => d,
            None => sniff_delimiter(&mut buffered).map_err(|e| Error::io("read", path, e))?,
        };
        let mut records = Records::new(buffered, delimiter, self.max_record_bytes);
        let mut chunk = Chunk::default();
        let stopped = |line: u64, e: std::io::Error| {
            Error::input(path, format!("reading stopped at line {line}: {e}"))
        };
        match records.next(&mut chunk).map_err(|e| stopped(1, e))? {
            Next::End => {
                return Err(Error::input(
                    path,
                    "the file is empty; expected a header line such as id,lon,lat,timestamp,category",
                ));
            }
            Next::TooLong => {
                return Err(Error::input(
                    path,
                    format!(
                        "the header line is longer than {} bytes: this is not a CSV file of incidents, or its first line holds no line break",
                        self.max_record_bytes
                    ),
                ));
            }
            Next::Record => {}
        }
        let header: Vec<String> = match chunk.entries.first() {
            Some(&Entry::Record {
                start, first, last, ..
            }) => (0..last - first)
                .map(|i| String::from_utf8_lossy(chunk.field(start, first, i)).into_owned())
                .collect(),
            _ => Vec::new(),
        };
        if header.len() <= 1 {
            let only = header.first().map_or("", String::as_str);
            let used = [b',', b';', b'\t', b'|']
                .into_iter()
                .filter(|&c| c != delimiter)
                .max_by_key(|&c| bytecount(only.as_bytes(), c))
                .filter(|&c| bytecount(only.as_bytes(), c) > 0);
            let message = match used {
                Some(c) => format!(
                    "the file uses {:?} between fields, not {:?} (header {only:?}); set the delimiter to {:?}",
                    c as char, delimiter as char, c as char
                ),
                None => format!(
                    "the header {only:?} has a single column: the fields must be separated by ',', ';', a tab or '|'"
                ),
            };
            return Err(Error::input(path, message));
        }
        let (cols, notes) = self.columns.resolve(&header, path)?;
        let name = path.display().to_string();
        let mut sink = Sink::new(&name, self);
        sink.swap_hint = swap_hint(&header, &cols);
        for n in notes {
            sink.report.warn(None, "column_mapping", n);
        }
        let width = header.len();
        let file_bytes = std::fs::metadata(path).map_or(0, |m| m.len());
        // Splitting records is serial; it runs for the next chunk while the
        // rows of this one are validated in parallel.
        let fill = |records: &mut Records<_>, chunk: &mut Chunk| {
            records.fill(chunk).map_err(|(line, e)| stopped(line, e))
        };
        let mut next = Chunk::default();
        let mut at_end = fill(&mut records, &mut chunk)?;
        // The rows to expect, from the first chunk's bytes per row.
        let expected = usize::try_from(
            file_bytes.saturating_mul(chunk.entries.len() as u64) / records.consumed.max(1),
        )
        .unwrap_or(0);
        let mut reserved = false;
        loop {
            let (filled, ()) = rayon::join(
                || {
                    if at_end {
                        Ok(true)
                    } else {
                        fill(&mut records, &mut next)
                    }
                },
                || {
                    sink.take(chunk.entries.len(), |i| match &chunk.entries[i] {
                        &Entry::Record {
                            line,
                            start,
                            first,
                            last,
                        } => csv_raw(&chunk, line, (start, first, last), &cols, width, delimiter),
                        Entry::TooLong { line, detail } => {
                            Err(Bad::new(*line, "record_too_long", detail.clone()))
                        }
                    });
                },
            );
            if at_end {
                break;
            }
            if !reserved {
                // Room for all rows at once, rather than growing step by step.
                sink.reserve(expected + expected / 32);
                reserved = true;
            }
            at_end = filled?;
            std::mem::swap(&mut chunk, &mut next);
        }
        Ok(sink.finish())
    }

    /// Reads a Parquet file through polars.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be opened; [`Error::Input`] if it is not
    /// Parquet or lacks a required column.
    pub fn read_parquet(&self, path: &Path) -> Result<IncidentBatch> {
        let file = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
        let df = ParquetReader::new(file)
            .finish()
            .map_err(|e| Error::input(path, format!("not a readable Parquet file: {e}")))?;
        self.read_frame(&df, path)
    }

    /// Reads incidents from a polars `DataFrame` handed in by an analyst.
    /// Coordinates may be numeric or text; the timestamp may be text, a
    /// `Datetime` (zoned, or naive local time) or a `Date`. Row `n` (1-based)
    /// is reported as line `n + 1`, as if the frame had been a CSV file.
    ///
    /// # Errors
    /// [`Error::Input`] if a required column is missing or cannot be read.
    pub fn read_dataframe(&self, df: &DataFrame, name: &str) -> Result<IncidentBatch> {
        self.read_frame(df, Path::new(name))
    }

    fn read_frame(&self, df: &DataFrame, path: &Path) -> Result<IncidentBatch> {
        let header: Vec<String> = df
            .get_column_names()
            .iter()
            .map(ToString::to_string)
            .collect();
        let (cols, notes) = self.columns.resolve(&header, path)?;
        let text = |i: usize| -> Result<Vec<Option<String>>> {
            let c = df.columns()[i].as_materialized_series().clone();
            let s = c.cast(&DataType::String).map_err(|e| {
                Error::input(
                    path,
                    format!("column {:?} cannot be read as text: {e}", header[i]),
                )
            })?;
            let ca = s.str().map_err(Error::from)?.clone();
            Ok(ca.iter().map(|v| v.map(str::to_owned)).collect())
        };
        let opt_text =
            |i: Option<usize>| -> Result<Option<Vec<Option<String>>>> { i.map(text).transpose() };
        let ids = opt_text(cols.id)?;
        let xs = text(cols.x)?;
        let ys = text(cols.y)?;
        let cats = opt_text(cols.category)?;
        let groups = opt_text(cols.group)?;
        let weights = opt_text(cols.weight)?;
        let ts = df.columns()[cols.timestamp]
            .as_materialized_series()
            .clone();
        let times: Vec<TimeIn<'static>> = match ts.dtype() {
            DataType::Datetime(unit, tz) => {
                let tz: Option<Tz> = match tz {
                    Some(z) => Some(
                        crate::time::parse_zone(z.as_str())
                            .map_err(|e| Error::input(path, e.to_string()))?,
                    ),
                    None => None,
                };
                let per_sec: i64 = match unit {
                    TimeUnit::Nanoseconds => 1_000_000_000,
                    TimeUnit::Microseconds => 1_000_000,
                    TimeUnit::Milliseconds => 1_000,
                };
                let phys = ts.to_physical_repr();
                let ca = phys.i64().map_err(Error::from)?;
                ca.iter()
                    .map(|v| match v {
                        None => TimeIn::Missing,
                        Some(v) => {
                            let secs = v.div_euclid(per_sec);
                            if tz.is_some() {
                                TimeIn::Utc(secs, tz)
                            } else {
                                chrono::DateTime::from_timestamp(secs, 0)
                                    .map_or(TimeIn::Missing, |d| TimeIn::Naive(d.naive_utc()))
                            }
                        }
                    })
                    .collect()
            }
            DataType::Date => {
                let phys = ts.to_physical_repr();
                let ca = phys.i32().map_err(Error::from)?;
                ca.iter()
                    .map(|v| {
                        v.and_then(|d| chrono::DateTime::from_timestamp(i64::from(d) * 86_400, 0))
                            .map_or(TimeIn::Missing, |d| TimeIn::Naive(d.naive_utc()))
                    })
                    .collect()
            }
            _ => text(cols.timestamp)?
                .into_iter()
                .map(|v| v.map_or(TimeIn::Missing, |s| TimeIn::Text(Cow::Owned(s))))
                .collect(),
        };
        let name = path.display().to_string();
        let mut sink = Sink::new(&name, self);
        sink.swap_hint = swap_hint(&header, &cols);
        for n in notes {
            sink.report.warn(None, "column_mapping", n);
        }
        let n = df.height();
        let mut start = 0;
        while start < n {
            let end = (start + CHUNK).min(n);
            sink.take(end - start, |k| {
                let i = start + k;
                Ok(RawRow {
                    line: i as u64 + 2,
                    id: get(ids.as_ref(), i),
                    x: xs[i].as_deref().map(Cow::Borrowed),
                    y: ys[i].as_deref().map(Cow::Borrowed),
                    time: times.get(i).map_or(TimeIn::Missing, TimeIn::borrowed),
                    category: get(cats.as_ref(), i),
                    group: get(groups.as_ref(), i),
                    weight: get(weights.as_ref(), i),
                })
            });
            start = end;
        }
        Ok(sink.finish())
    }

    /// Validates one raw row; `plausible` holds the local seconds (since
    /// 1970-01-01 00:00 local time) of the plausible years.
    fn validate<'b>(
        &self,
        raw: &'b RawRow<'_>,
        times: &TimestampParser,
        plausible: &std::ops::Range<i64>,
    ) -> RowResult<'b> {
        let line = raw.line;
        let bad = |reason: &'static str, detail: String| Err(Bad::new(line, reason, detail));
        let (Some(xs), Some(ys)) = (raw.x.as_deref(), raw.y.as_deref()) else {
            return bad("bad_coordinate", "a coordinate is missing".into());
        };
        let (Ok(x), Ok(y)) = (xs.trim().parse::<f64>(), ys.trim().parse::<f64>()) else {
            return bad(
                "bad_coordinate",
                format!("({xs:?}, {ys:?}) is not a pair of numbers"),
            );
        };
        if !x.is_finite() || !y.is_finite() {
            return bad("bad_coordinate", format!("({x}, {y}) is not finite"));
        }
        let swapped = |reason: &'static str, detail: String| {
            Err(Bad {
                line,
                reason,
                detail,
                swapped: true,
            })
        };
        let (lon, lat) = match &self.crs {
            Crs::Wgs84 => {
                if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
                    let detail = format!("lon {x}, lat {y} is outside −180…180, −90…90");
                    if self.usable_if_swapped(x, y) {
                        let inside = if self.study_area.is_some() {
                            " (swapped, the point lies inside the study area)"
                        } else {
                            ""
                        };
                        return swapped(
                            "bad_coordinate",
                            format!("{detail}; longitude and latitude may be swapped{inside}"),
                        );
                    }
                    let hint = if x.abs() > 1000.0 && y.abs() > 1000.0 {
                        "; the values look like projected metres: set the CRS (e.g. EPSG:25832)"
                    } else {
                        ""
                    };
                    return bad("bad_coordinate", format!("{detail}{hint}"));
                }
                if x == 0.0 && y == 0.0 {
                    return bad("bad_coordinate", "(0, 0) is a missing geocode".into());
                }
                (x, y)
            }
            Crs::Projected(p) => match p.inverse(x, y) {
                Ok((lon, lat)) if lon.is_finite() && lat.is_finite() && lat.abs() <= 90.0 => {
                    (lon, lat)
                }
                _ => {
                    let detail = format!("({x}, {y}) is not a point in EPSG:{}", p.epsg());
                    if self.usable_if_swapped(x, y) {
                        return swapped(
                            "bad_coordinate",
                            format!("{detail}; easting and northing may be swapped"),
                        );
                    }
                    return bad("bad_coordinate", detail);
                }
            },
        };
        if let Some(area) = &self.study_area
            && !area.contains(lon, lat)
        {
            let detail = format!("({lon:.6}, {lat:.6}) lies outside the study area");
            if self.usable_if_swapped(x, y) {
                return swapped(
                    "out_of_study_area",
                    format!(
                        "{detail}; with x and y swapped it would lie inside: are the columns the wrong way round?"
                    ),
                );
            }
            return bad("out_of_study_area", detail);
        }
        let parsed = match &raw.time {
            TimeIn::Text(t) => times.parse(t).map_err(|p| (p, t.to_string())),
            &TimeIn::Utc(utc, tz) => Ok(crate::time::ParsedTime {
                instant: Instant {
                    utc,
                    offset: tz.map_or(0, |z| crate::time::offset_at(z, utc)),
                },
                resolved_ambiguity: false,
                naive: false,
            }),
            &TimeIn::Naive(ndt) => times.place_naive(ndt).map_err(|p| (p, ndt.to_string())),
            TimeIn::Missing => Err((TimeProblem::Unparseable, String::new())),
        };
        let parsed = match parsed {
            Ok(p) => p,
            Err((problem, text)) => {
                let detail = match problem {
                    TimeProblem::Unparseable if text.is_empty() => {
                        "the timestamp is missing".to_owned()
                    }
                    TimeProblem::Unparseable => format!(
                        "{text:?} is not a date and time (expected e.g. 2023-07-14T21:37:00+02:00)"
                    ),
                    TimeProblem::Nonexistent => format!(
                        "{text:?} does not exist in {} (the clocks jump forward)",
                        zone_name(times)
                    ),
                    TimeProblem::Ambiguous => format!(
                        "{text:?} happens twice in {} (the clocks go back)",
                        zone_name(times)
                    ),
                    TimeProblem::NoZone => {
                        format!("{text:?} has no UTC offset and no time zone is set (--tz)")
                    }
                };
                return bad(problem.reason(), detail);
            }
        };
        let (first, last) = self.years;
        let local_secs = parsed
            .instant
            .utc
            .checked_add(i64::from(parsed.instant.offset));
        // Local seconds within the plausible years are plausible; others are
        // decided by the local date.
        if !local_secs.is_some_and(|t| plausible.contains(&t))
            && !(first..=last).contains(&parsed.instant.local().year())
        {
            let local = parsed.instant.local();
            return bad(
                "implausible_time",
                format!(
                    "{local} (local time) is outside the plausible years {first}–{last}: a placeholder for an unknown date? (set the plausible years to accept it)"
                ),
            );
        }
        let weight = match raw.weight.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(w) => match w.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Some(v),
                _ => {
                    return bad(
                        "bad_weight",
                        format!("weight {w:?} is not a non-negative number"),
                    );
                }
            },
        };
        let category = raw
            .category
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or("unspecified");
        let id = match raw.id.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => Cow::Borrowed(s),
            _ => Cow::Owned(format!("L{line}")),
        };
        Ok(Row {
            line,
            id,
            lon,
            lat,
            instant: parsed.instant,
            category,
            group: raw
                .group
                .as_deref()
                .map(str::trim)
                .filter(|g| !g.is_empty()),
            weight: weight.or(raw.weight.as_ref().map(|_| 1.0)),
            ambiguous: parsed.resolved_ambiguity,
            naive: parsed.naive,
        })
    }
}

impl IncidentReader {
    /// Whether the point read with x and y swapped would be a valid point,
    /// inside the study area if one is set.
    fn usable_if_swapped(&self, x: f64, y: f64) -> bool {
        let point = match &self.crs {
            Crs::Wgs84 => {
                ((-180.0..=180.0).contains(&y) && (-90.0..=90.0).contains(&x)).then_some((y, x))
            }
            Crs::Projected(p) => p
                .inverse(y, x)
                .ok()
                .filter(|(lon, lat)| lon.is_finite() && lat.is_finite() && lat.abs() <= 90.0),
        };
        point.is_some_and(|(lon, lat)| {
            (lon, lat) != (0.0, 0.0)
                && self
                    .study_area
                    .as_ref()
                    .is_none_or(|area| area.contains(lon, lat))
        })
    }
}

/// The seconds since 1970-01-01 00:00 from the start of year `first` to the
/// end of year `last` (empty where chrono has no such year).
fn year_seconds((first, last): (i32, i32)) -> std::ops::Range<i64> {
    let start = |year: i32| {
        chrono::NaiveDate::from_ymd_opt(year, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp())
    };
    match (start(first), last.checked_add(1).and_then(start)) {
        (Some(a), Some(b)) => a..b,
        _ => 0..0,
    }
}

/// The column mapping with x and y swapped, as `--columns` text.
fn swap_hint(header: &[String], c: &Resolved) -> String {
    let name = |i: usize| header[i].trim().to_owned();
    let mut parts = vec![
        format!("x={}", name(c.y)),
        format!("y={}", name(c.x)),
        format!("timestamp={}", name(c.timestamp)),
    ];
    for (key, col) in [
        ("id", c.id),
        ("category", c.category),
        ("group", c.group),
        ("weight", c.weight),
    ] {
        if let Some(i) = col {
            parts.push(format!("{key}={}", name(i)));
        }
    }
    parts.join(",")
}

fn zone_name(times: &TimestampParser) -> &'static str {
    times
        .configured_zone()
        .map_or("the configured zone", |z| z.name())
}

/// Turns a CSV record (`start`, `first`, `last` of its entry) into a raw row.
fn csv_raw<'a>(
    chunk: &'a Chunk,
    line: u64,
    (start, first, last): (usize, usize, usize),
    c: &Resolved,
    width: usize,
    delimiter: u8,
) -> RawResult<'a> {
    let len = last - first;
    if len != width {
        let only = chunk.field(start, first, 0);
        let other = [b',', b';', b'\t', b'|']
            .into_iter()
            .filter(|&d| d != delimiter)
            .find(|&d| len == 1 && bytecount(only, d) + 1 >= width);
        let why = match other {
            Some(d) => format!(
                "this row uses {:?} between fields, the header {:?}",
                d as char, delimiter as char
            ),
            None => "a wrong delimiter or an unbalanced quote?".to_owned(),
        };
        return Err(Bad::new(
            line,
            "wrong_field_count",
            format!("expected {width} fields, found {len} ({why})"),
        ));
    }
    // One UTF-8 check for the whole record (its fields lie one after
    // another); a field not cut at character boundaries is checked alone.
    let record = std::str::from_utf8(&chunk.data[start..chunk.ends[last - 1]]).ok();
    let field = |i: usize| -> std::result::Result<Cow<'a, str>, Bad> {
        let (from, to) = chunk.span(start, first, i);
        if let Some(text) = record.and_then(|r| r.get(from - start..to - start)) {
            return Ok(Cow::Borrowed(text));
        }
        std::str::from_utf8(&chunk.data[from..to])
            .map(Cow::Borrowed)
            .map_err(|_| {
                Bad::new(
                    line,
                    "invalid_text",
                    format!("field {} is not valid UTF-8", i + 1),
                )
            })
    };
    let opt = |i: Option<usize>| i.map(field).transpose();
    Ok(RawRow {
        line,
        id: opt(c.id)?,
        x: Some(field(c.x)?),
        y: Some(field(c.y)?),
        time: TimeIn::Text(field(c.timestamp)?),
        category: opt(c.category)?,
        group: opt(c.group)?,
        weight: opt(c.weight)?,
    })
}

/// How often `byte` occurs in `s`.
#[allow(clippy::naive_bytecount)] // one header line; not worth a crate
fn bytecount(s: &[u8], byte: u8) -> usize {
    s.iter().filter(|&&b| b == byte).count()
}

/// Field `i` of an optional text column.
fn get(v: Option<&Vec<Option<String>>>, i: usize) -> Option<Cow<'_, str>> {
    v.and_then(|v| v[i].as_deref().map(Cow::Borrowed))
}

/// Guesses the delimiter from the first line: the most frequent of `, ; \t |`.
fn sniff_delimiter<R: std::io::BufRead>(r: &mut R) -> std::io::Result<u8> {
    let buf = r.fill_buf()?;
    let first = buf.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let best = [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|&d| bytecount(first, d))
        .unwrap_or(b',');
    Ok(if first.contains(&best) { best } else { b',' })
}

/// Rows validated by one thread: columns, with category and group codes of
/// its own, and the rejected rows, all in line order.
#[derive(Default)]
struct Part {
    lon: Vec<f64>,
    lat: Vec<f64>,
    utc: Vec<i64>,
    offset: Vec<i32>,
    line: Vec<u64>,
    id: TextColumn,
    category: Vec<u32>,
    categories: Dictionary,
    group: Vec<u32>,
    groups: Dictionary,
    weight: Vec<f64>,
    naive: Vec<bool>,
    ambiguous: Vec<(u64, Instant)>,
    bad: Vec<Bad>,
}

impl Part {
    fn push(&mut self, row: &Row<'_>, weights: bool) {
        self.lon.push(row.lon);
        self.lat.push(row.lat);
        self.utc.push(row.instant.utc);
        self.offset.push(row.instant.offset);
        self.line.push(row.line);
        self.id.push(&row.id);
        self.category.push(self.categories.code(row.category));
        self.group
            .push(row.group.map_or(u32::MAX, |g| self.groups.code(g)));
        if weights {
            self.weight.push(row.weight.unwrap_or(1.0));
        }
        self.naive.push(row.naive);
        if row.ambiguous {
            self.ambiguous.push((row.line, row.instant));
        }
    }
}

/// Appends a column of every part to `column`.
fn extend<T: Copy>(column: &mut Vec<T>, parts: &[Part], of: impl Fn(&Part) -> &[T]) {
    column.reserve(parts.iter().map(|p| of(p).len()).sum());
    for p in parts {
        column.extend_from_slice(of(p));
    }
}

/// Rows validated per thread at a time.
const PART_ROWS: usize = 4096;

/// Accumulates validated rows into columns and the report.
///
/// Rows are validated in parallel, part by part, and appended in line
/// order. Duplicate ids and records are found at the end ([`Sink::finish`]),
/// over all rows at once, with the same outcome as checking row by row.
struct Sink<'r> {
    report: IngestReport,
    incidents: Incidents,
    /// Per accepted row: was its timestamp naive?
    naive: Vec<bool>,
    /// Accepted rows with an ambiguous local time (line, instant).
    ambiguous: Vec<(u64, Instant)>,
    reader: &'r IncidentReader,
    times: TimestampParser,
    zone_decided: bool,
    /// Rows rejected that would be usable with x and y swapped, and the first lines.
    swapped_rows: u64,
    swapped_lines: Vec<u64>,
    /// The column mapping with x and y swapped (for the `lon_lat_swapped` warning).
    swap_hint: String,
    /// The local seconds of the plausible years (empty if out of chrono's range).
    plausible: std::ops::Range<i64>,
}

impl<'r> Sink<'r> {
    fn new(name: &str, reader: &'r IncidentReader) -> Self {
        let mut incidents = Incidents::default();
        if reader.columns.group.is_some() {
            incidents.group = Some(Vec::new());
        }
        if reader.columns.weight.is_some() {
            incidents.weight = Some(Vec::new());
        }
        Self {
            report: IngestReport::new(name, "incidents"),
            incidents,
            naive: Vec::new(),
            ambiguous: Vec::new(),
            reader,
            times: reader.times.clone(),
            zone_decided: reader.times.configured_zone().is_some() || !reader.zone_from_location,
            swapped_rows: 0,
            swapped_lines: Vec::new(),
            swap_hint: String::new(),
            plausible: year_seconds(reader.years),
        }
    }

    /// Decides the zone for naive times from the first chunk's location.
    fn decide_zone<'a>(&mut self, n: usize, raw: impl Fn(usize) -> RawResult<'a>) {
        let mut lon = Vec::new();
        let mut lat = Vec::new();
        for r in (0..n).map(raw) {
            let Ok(r) = r else { continue };
            if let (Some(Ok(x)), Some(Ok(y))) = (
                r.x.as_deref().map(|s| s.trim().parse::<f64>()),
                r.y.as_deref().map(|s| s.trim().parse::<f64>()),
            ) {
                let (x, y) = match &self.reader.crs {
                    Crs::Wgs84 => (x, y),
                    Crs::Projected(p) => p.inverse(x, y).unwrap_or((f64::NAN, f64::NAN)),
                };
                // median_point skips invalid points; (0, 0) is a missing geocode.
                if (x, y) != (0.0, 0.0) {
                    lon.push(x);
                    lat.push(y);
                }
            }
        }
        if let Some((mlon, mlat)) = median_point(&lon, &lat)
            && let Some(tz) = zone_at(mlon, mlat)
        {
            self.times.set_zone(tz);
        }
        self.zone_decided = true;
    }

    /// Validates the `n` rows `raw(0..n)` (made and validated in parallel,
    /// part by part) and appends them in order.
    fn take<'a>(&mut self, n: usize, raw: impl Fn(usize) -> RawResult<'a> + Sync) {
        if !self.zone_decided {
            self.decide_zone(n, &raw);
        }
        let (reader, times) = (self.reader, &self.times);
        let plausible = &self.plausible;
        let weights = self.incidents.weight.is_some();
        let parts: Vec<Part> = (0..n.div_ceil(PART_ROWS))
            .into_par_iter()
            .map(|p| {
                let mut part = Part::default();
                for i in p * PART_ROWS..n.min((p + 1) * PART_ROWS) {
                    match raw(i) {
                        Err(bad) => part.bad.push(bad),
                        Ok(raw) => match reader.validate(&raw, times, plausible) {
                            Ok(row) => part.push(&row, weights),
                            Err(bad) => part.bad.push(bad),
                        },
                    }
                }
                part
            })
            .collect();
        self.append(parts);
    }

    /// Appends the parts' rows in order (column by column, in parallel) and
    /// reports their rejections.
    fn append(&mut self, mut parts: Vec<Part>) {
        for part in &mut parts {
            for bad in std::mem::take(&mut part.bad) {
                if bad.swapped {
                    self.swapped_rows += 1;
                    if self.swapped_lines.len() < 5 {
                        self.swapped_lines.push(bad.line);
                    }
                }
                self.report.reject(bad.line, bad.reason, bad.detail);
            }
            self.report.accept_rows(part.utc.len() as u64);
            self.ambiguous.extend_from_slice(&part.ambiguous);
        }
        // Each part's codes in the whole file's dictionaries, in order.
        let inc = &mut self.incidents;
        let recode = |dictionary: &mut Dictionary, values: &[String]| -> Vec<u32> {
            values.iter().map(|v| dictionary.code(v)).collect()
        };
        let categories: Vec<Vec<u32>> = parts
            .iter()
            .map(|p| recode(&mut inc.categories, p.categories.values()))
            .collect();
        let groups: Vec<Vec<u32>> = if inc.group.is_some() {
            parts
                .iter()
                .map(|p| recode(&mut inc.groups, p.groups.values()))
                .collect()
        } else {
            Vec::new()
        };
        let parts = &parts;
        let Incidents {
            id,
            lon,
            lat,
            utc,
            offset,
            category,
            group,
            weight,
            line,
            ..
        } = inc;
        let naive = &mut self.naive;
        rayon::scope(|s| {
            s.spawn(|_| extend(lon, parts, |p| &p.lon));
            s.spawn(|_| extend(lat, parts, |p| &p.lat));
            s.spawn(|_| extend(utc, parts, |p| &p.utc));
            s.spawn(|_| extend(offset, parts, |p| &p.offset));
            s.spawn(|_| extend(line, parts, |p| &p.line));
            s.spawn(|_| extend(naive, parts, |p| &p.naive));
            if let Some(w) = weight.as_mut() {
                s.spawn(|_| extend(w, parts, |p| &p.weight));
            }
            s.spawn(|_| {
                let bytes = parts.iter().map(|p| p.id.byte_len()).sum();
                id.reserve(parts.iter().map(|p| p.id.len()).sum(), bytes);
                for p in parts {
                    id.extend_from(&p.id);
                }
            });
            s.spawn(|_| {
                category.reserve(parts.iter().map(|p| p.category.len()).sum());
                for (p, codes) in parts.iter().zip(&categories) {
                    category.extend(p.category.iter().map(|&c| codes[c as usize]));
                }
            });
            if let Some(g) = group.as_mut() {
                s.spawn(|_| {
                    g.reserve(parts.iter().map(|p| p.group.len()).sum());
                    for (p, codes) in parts.iter().zip(&groups) {
                        g.extend(
                            p.group
                                .iter()
                                .map(|&c| if c == u32::MAX { c } else { codes[c as usize] }),
                        );
                    }
                });
            }
        });
    }

    /// Makes room for about `rows` rows in all, guessing the bytes of the
    /// ids from the rows so far.
    fn reserve(&mut self, rows: usize) {
        let inc = &mut self.incidents;
        let more = rows.saturating_sub(inc.len());
        let id_bytes = inc.id.byte_len() * more / inc.len().max(1);
        inc.id.reserve(more, id_bytes);
        inc.lon.reserve(more);
        inc.lat.reserve(more);
        inc.utc.reserve(more);
        inc.offset.reserve(more);
        inc.line.reserve(more);
        inc.category.reserve(more);
        if let Some(g) = inc.group.as_mut() {
            g.reserve(more);
        }
        if let Some(w) = inc.weight.as_mut() {
            w.reserve(more);
        }
        self.naive.reserve(more);
    }

    /// Rejects rows whose id an earlier accepted row has, and warns about
    /// (or rejects) rows with the place, time and category of an earlier
    /// one; then reports the ambiguous local times of the rows kept.
    ///
    /// Only rows sharing an id or a record with another row can be affected,
    /// so those are found first (hashes, sorted in parallel) and only they
    /// are checked in line order.
    fn duplicates(&mut self) {
        let inc = &self.incidents;
        let n = inc.len();
        let record = |i: usize| {
            (
                inc.lon[i].to_bits(),
                inc.lat[i].to_bits(),
                inc.utc[i],
                inc.category[i],
            )
        };
        let id_hash: Vec<u64> = (0..n)
            .into_par_iter()
            .map(|i| hash_of(&inc.id[i]))
            .collect();
        let record_hash: Vec<u64> = (0..n).into_par_iter().map(|i| hash_of(record(i))).collect();
        let shared_ids = shared(&id_hash);
        let shared_records = shared(&record_hash);
        let mut keep = vec![true; n];
        // (line, order at that line, warning text) of the warnings about rows.
        let mut warnings: Vec<(u64, u8, &'static str, String)> = Vec::new();
        let mut rejected: Vec<(u64, &'static str, String)> = Vec::new();
        if !shared_ids.is_empty() || !shared_records.is_empty() {
            let candidates: Vec<usize> = (0..n)
                .into_par_iter()
                .filter(|&i| {
                    shared_ids.contains(&id_hash[i]) || shared_records.contains(&record_hash[i])
                })
                .collect();
            let mut ids: HashSet<&str, FixedHash> = HashSet::default();
            let mut records = HashSet::with_hasher(FixedHash::default());
            for i in candidates {
                let (line, id) = (inc.line[i], &inc.id[i]);
                if ids.contains(id) {
                    rejected.push((
                        line,
                        "duplicate_id",
                        format!("id {id:?} was already used on an earlier row"),
                    ));
                    keep[i] = false;
                    continue;
                }
                if !records.insert(record(i)) {
                    let msg = format!(
                        "same place, time and category as an earlier row (id {id:?}); {}",
                        match self.reader.duplicates {
                            DuplicateRecords::Warn => "kept",
                            DuplicateRecords::Reject => "rejected",
                        }
                    );
                    if self.reader.duplicates == DuplicateRecords::Reject {
                        rejected.push((line, "duplicate_record", msg));
                        keep[i] = false;
                        continue;
                    }
                    warnings.push((line, 0, "duplicate_record", msg));
                }
                ids.insert(id);
            }
        }
        drop((id_hash, record_hash));
        let kept_line = |line: u64| inc.line.binary_search(&line).is_ok_and(|i| keep[i]);
        for &(line, instant) in &self.ambiguous {
            if kept_line(line) {
                let local = instant.local();
                warnings.push((
                    line,
                    1,
                    "ambiguous_local_time",
                    format!(
                        "{local} happens twice in {}; read as UTC offset {:+} h ({:?} rule)",
                        zone_name(&self.times),
                        f64::from(instant.offset) / 3600.0,
                        self.times.ambiguity_rule()
                    ),
                ));
            }
        }
        warnings.sort_by_key(|w| (w.0, w.1));
        // Rejections were listed in line order as rows were read; the ones
        // found here go in between, by line.
        let listed = std::mem::take(&mut self.report.rejections);
        for (line, reason, detail) in rejected {
            self.report.unaccept_and_reject(line, reason, detail);
        }
        let found = std::mem::take(&mut self.report.rejections);
        self.report.rejections = merge_by_line(listed, found, |r| r.line);
        for (line, _, kind, message) in warnings {
            self.report.warn(Some(line), kind, message);
        }
        if keep.iter().any(|k| !k) {
            self.incidents.retain(&keep);
            retain_flagged(&mut self.naive, &keep);
        }
    }

    fn finish(mut self) -> IncidentBatch {
        self.duplicates();
        if self.report.read == 0 {
            self.report.warn(
                None,
                "no_rows",
                "the file has a header but no incident rows",
            );
        }
        if self.swapped_rows > 0 {
            let n = self.swapped_rows;
            let read = self.report.read;
            let lines = self
                .swapped_lines
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let more = if n > 5 { ", …" } else { "" };
            let fits = if self.reader.study_area.is_some() {
                "inside the study area"
            } else {
                "valid longitude/latitude"
            };
            let message = if 2 * n > read {
                format!(
                    "{n} of {read} rows were rejected but would be {fits} with x and y swapped: the longitude and latitude columns are the wrong way round. Swap them in the column mapping, e.g. --columns \"{}\"",
                    self.swap_hint
                )
            } else {
                format!(
                    "{n} of {read} rows (lines {lines}{more}) were rejected but would be {fits} with x and y swapped: longitude and latitude seem swapped in these rows; correct them at the source"
                )
            };
            self.report.warn(None, "lon_lat_swapped", message);
        }
        let naive_rows = self.naive.iter().filter(|&&n| n).count();
        if naive_rows > 0 && self.reader.times.configured_zone().is_none() {
            self.report.warn(
                None,
                "zone_from_location",
                format!(
                    "{} timestamps have no UTC offset; they were read as local time in {}, the time zone at the data's location (set --tz to choose another)",
                    naive_rows,
                    zone_name(&self.times)
                ),
            );
        }
        let all_naive = !self.naive.is_empty() && self.naive.iter().all(|&n| n);
        IncidentBatch {
            incidents: self.incidents,
            report: self.report,
            offsets_from: all_naive.then(|| self.times.configured_zone()).flatten(),
        }
    }
}

/// A fast hash with a fixed seed (the same on every run). Hashes only find
/// candidates: duplicates are decided by comparing the values.
type FixedHash = foldhash::fast::FixedState;

/// A hash of `value`.
fn hash_of(value: impl std::hash::Hash) -> u64 {
    use std::hash::BuildHasher;
    FixedHash::default().hash_one(value)
}

/// The hashes that occur more than once.
///
/// The hashes are first split by their top bits into buckets small enough
/// to sort in cache (in parallel, block by block), then each bucket is
/// sorted on its own (in parallel): twice as fast as one sort of them all.
fn shared(hashes: &[u64]) -> HashSet<u64, FixedHash> {
    const BLOCK: usize = 1 << 20;
    // About 8,000 hashes per bucket.
    let bits = (hashes.len() >> 13).max(1).ilog2().min(16);
    let buckets = 1_usize << bits;
    let bucket = |h: u64| (h >> 32 >> (32 - bits)) as usize;
    let blocks: Vec<Vec<Vec<u64>>> = hashes
        .par_chunks(BLOCK)
        .map(|block| {
            let room = block.len() / buckets * 5 / 4 + 16;
            let mut split: Vec<Vec<u64>> = (0..buckets).map(|_| Vec::with_capacity(room)).collect();
            for &h in block {
                split[bucket(h)].push(h);
            }
            split
        })
        .collect();
    (0..buckets)
        .into_par_iter()
        .flat_map_iter(|k| {
            let mut sorted: Vec<u64> = blocks.iter().flat_map(|b| &b[k]).copied().collect();
            sorted.sort_unstable();
            let mut repeated: Vec<u64> = sorted
                .windows(2)
                .filter(|w| w[0] == w[1])
                .map(|w| w[0])
                .collect();
            repeated.dedup();
            repeated
        })
        .collect()
}

/// Two lists, each in line order, merged in line order (`a` first on equal
/// lines) and cut to [`MAX_LISTED`] entries.
fn merge_by_line<T>(a: Vec<T>, b: Vec<T>, line: impl Fn(&T) -> u64) -> Vec<T> {
    let mut out = Vec::with_capacity((a.len() + b.len()).min(MAX_LISTED));
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    while out.len() < MAX_LISTED {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if line(y) < line(x) => b.next(),
            (Some(_), _) => a.next(),
            (None, _) => b.next(),
        };
        match next {
            Some(v) => out.push(v),
            None => break,
        }
    }
    out
}

/// Fields of many CSV records, stored one after another in one buffer.
#[derive(Default)]
struct Chunk {
    data: Vec<u8>,
    ends: Vec<usize>,
    entries: Vec<Entry>,
}

/// One record of a [`Chunk`]: its fields, or why it was skipped.
enum Entry {
    /// A record starting on `line`, its bytes from `start`, its fields ending at `ends[first..last]`.
    Record {
        line: u64,
        start: usize,
        first: usize,
        last: usize,
    },
    /// A record longer than the limit: skipped without storing it.
    TooLong { line: u64, detail: String },
}

impl Chunk {
    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
        self.entries.clear();
    }

    /// Field `i` of the record `(start, first, last)`.
    fn field(&self, start: usize, first: usize, i: usize) -> &[u8] {
        let (from, to) = self.span(start, first, i);
        &self.data[from..to]
    }

    /// Where field `i` of the record `(start, first, last)` lies in `data`.
    fn span(&self, start: usize, first: usize, i: usize) -> (usize, usize) {
        let from = if i == 0 {
            start
        } else {
            self.ends[first + i - 1]
        };
        (from, self.ends[first + i])
    }
}

/// CSV records read by `csv-core` (the parser of the `csv` crate), with a
/// limit on the bytes of one record.
///
/// `csv-core` is configured as the `csv` crate was here: the delimiter, quote
/// `"` doubled inside quoted fields, no escape, no comments, and any of `\r`,
/// `\n`, `\r\n` ending a record (blank lines are skipped); it never checks
/// field counts (the `csv` crate's `flexible`). It writes into buffers given to
/// it, so memory stays bounded whatever the input (a 1-GB line without a
/// newline, or a quote that is never closed): a record's input is fed to it
/// only up to the limit, so its fields never need more than `max_record_bytes`
/// bytes; once a record passes the limit, the rest of it is parsed into a
/// small scratch buffer and dropped.
///
/// Lines are counted here from the bytes `csv-core` consumes, because its own
/// counter counts only `\n`, where `\n`, `\r\n` and a lone `\r` each end a
/// line here; and blank lines before a record are skipped here (as `csv-core`
/// would skip them) so that the record's first line is known.
struct Records<R> {
    inner: R,
    csv: csv_core::Reader,
    max_record_bytes: usize,
    lines: Lines,
    /// The bytes read so far (after the byte-order mark).
    consumed: u64,
    /// The fields of the record being read (grown up to the limit).
    out: Vec<u8>,
    /// The ends of its fields in `out`.
    ends: Vec<usize>,
    /// Where the rest of a record over the limit goes.
    scratch: Box<[u8]>,
    scratch_ends: Box<[usize]>,
}

/// Counts lines: `\n`, `\r\n` and a lone `\r` each end one.
struct Lines {
    /// The line of the next byte (1-based).
    line: u64,
    /// Whether the previous byte was `\r` (so a `\n` does not start another line).
    prev_cr: bool,
    /// Whether the previous byte ended a line.
    after_newline: bool,
}

impl Lines {
    fn count(&mut self, bytes: &[u8]) {
        let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
            return;
        };
        // Every `\r` and every `\n` ends a line, except a `\n` right after a
        // `\r`. Counted without branches, in blocks with byte-wide counters
        // (so that the loop is vectorized).
        let (mut lf, mut cr) = (0_u64, 0_u64);
        for block in bytes.chunks(255) {
            let (mut l, mut r) = (0_u8, 0_u8);
            for &c in block {
                l += u8::from(c == b'\n');
                r += u8::from(c == b'\r');
            }
            lf += u64::from(l);
            cr += u64::from(r);
        }
        let mut crlf = u64::from(self.prev_cr && first == b'\n');
        if cr > 0 {
            crlf += bytes.windows(2).filter(|w| w == b"\r\n").count() as u64;
        }
        self.line += lf + cr - crlf;
        self.prev_cr = last == b'\r';
        self.after_newline = last == b'\n' || last == b'\r';
    }
}

/// What [`Records::next`] found.
enum Next {
    /// A record, added to the chunk.
    Record,
    /// A record over the limit, added to the chunk as [`Entry::TooLong`].
    TooLong,
    /// The end of the input.
    End,
}

/// `fill_buf`, retried when interrupted.
fn fill<R: std::io::BufRead>(r: &mut R) -> std::io::Result<&[u8]> {
    loop {
        match r.fill_buf() {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // Reborrowed to end the loop's borrow (a known borrow-checker limit).
            Ok(_) => return r.fill_buf(),
            Err(e) => return Err(e),
        }
    }
}

impl<R: std::io::BufRead> Records<R> {
    fn new(inner: R, delimiter: u8, max_record_bytes: usize) -> Self {
        let csv = csv_core::ReaderBuilder::new()
            .delimiter(delimiter)
            .quote(b'"')
            .quoting(true)
            .double_quote(true)
            .escape(None)
            .comment(None)
            .terminator(csv_core::Terminator::CRLF)
            .build();
        Self {
            inner,
            csv,
            max_record_bytes,
            lines: Lines {
                line: 1,
                prev_cr: false,
                after_newline: false,
            },
            consumed: 0,
            out: vec![0; max_record_bytes.clamp(1, 1 << 12)],
            ends: vec![0; 64],
            scratch: vec![0; 1 << 16].into_boxed_slice(),
            scratch_ends: vec![0; 1 << 10].into_boxed_slice(),
        }
    }

    /// Clears `chunk` and reads records into it until it holds [`CHUNK`]
    /// records or [`CHUNK_BYTES`] bytes of fields; true at the end of the
    /// input. An error comes with the line where reading stopped.
    fn fill(&mut self, chunk: &mut Chunk) -> std::result::Result<bool, (u64, std::io::Error)> {
        chunk.clear();
        while chunk.entries.len() < CHUNK && chunk.data.len() < CHUNK_BYTES {
            let line = self.lines.line;
            if let Next::End = self.next(chunk).map_err(|e| (line, e))? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Reads the next record into `chunk`.
    fn next(&mut self, chunk: &mut Chunk) -> std::io::Result<Next> {
        let is_term = |c: &u8| *c == b'\n' || *c == b'\r';
        loop {
            let buf = fill(&mut self.inner)?;
            let blank = buf.iter().take_while(|c| is_term(c)).count();
            let more = blank > 0 && blank == buf.len();
            self.lines.count(&buf[..blank]);
            self.inner.consume(blank);
            self.consumed += blank as u64;
            if !more {
                break;
            }
        }
        let line = self.lines.line;
        let max = self.max_record_bytes;
        let (mut bytes, mut nout, mut nend) = (0_usize, 0, 0);
        let mut too_long = false;
        loop {
            let buf = fill(&mut self.inner)?;
            let (result, nin) = if too_long {
                let (result, nin, _, _) =
                    self.csv
                        .read_record(buf, &mut self.scratch, &mut self.scratch_ends);
                (result, nin)
            } else {
                // At most one byte past the limit, and never empty unless the input is.
                let room = max.saturating_add(1) - bytes;
                let (result, nin, o, e) = self.csv.read_record(
                    &buf[..buf.len().min(room)],
                    &mut self.out[nout..],
                    &mut self.ends[nend..],
                );
                nout += o;
                nend += e;
                (result, nin)
            };
            self.lines.count(&buf[..nin]);
            self.inner.consume(nin);
            self.consumed += nin as u64;
            bytes += nin;
            too_long |= bytes > max;
            match result {
                csv_core::ReadRecordResult::Record => break,
                csv_core::ReadRecordResult::End => return Ok(Next::End),
                csv_core::ReadRecordResult::OutputFull if !too_long => {
                    // The input fed is capped, so the fields fit in `max + 1` bytes.
                    let len = (self.out.len() * 2).min(max.saturating_add(1));
                    self.out.resize(len, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull if !too_long => {
                    self.ends.resize(self.ends.len() * 2, 0);
                }
                // More input to feed; past the limit, the scratch buffers are reused.
                csv_core::ReadRecordResult::InputEmpty
                | csv_core::ReadRecordResult::OutputFull
                | csv_core::ReadRecordResult::OutputEndsFull => {}
            }
        }
        let last_line = self.lines.line - u64::from(self.lines.after_newline);
        if !too_long {
            let start = chunk.data.len();
            let first = chunk.ends.len();
            chunk.data.extend_from_slice(&self.out[..nout]);
            chunk
                .ends
                .extend(self.ends[..nend].iter().map(|&e| start + e));
            chunk.entries.push(Entry::Record {
                line,
                start,
                first,
                last: chunk.ends.len(),
            });
            return Ok(Next::Record);
        }
        let detail = if last_line > line {
            format!(
                "the record from line {line} to line {last_line} is {bytes} bytes long, over the limit of {max} bytes; it was skipped (a quote \" that is never closed makes many lines one record; otherwise raise max_record_bytes)",
            )
        } else {
            format!(
                "the line is {bytes} bytes long, over the limit of {max} bytes for one record; it was skipped (raise max_record_bytes if such long rows are real data)",
            )
        };
        chunk.entries.push(Entry::TooLong { line, detail });
        Ok(Next::TooLong)
    }
}

/// Parses an IANA time-zone name, forgiving letter case, and says which
/// names are close when it is unknown.
///
/// # Errors
/// [`Error::Parameter`] (`time zone (--tz)`) for a name that is not in the
/// IANA database, listing up to three close names.
///
/// ```
/// let tz = byrum::parse_zone_suggesting("europe/copenhagen")?;
/// assert_eq!(tz.name(), "Europe/Copenhagen");
/// let e = byrum::parse_zone_suggesting("Europe/Copenhagn").unwrap_err().to_string();
/// assert!(e.contains("did you mean \"Europe/Copenhagen\""), "{e}");
/// # Ok::<(), byrum::Error>(())
/// ```
pub fn parse_zone_suggesting(name: &str) -> Result<Tz> {
    let wanted = name.trim();
    if let Ok(tz) = wanted.parse::<Tz>() {
        return Ok(tz);
    }
    let lower = wanted.to_lowercase();
    if let Some(tz) = chrono_tz::TZ_VARIANTS
        .iter()
        .find(|z| z.name().to_lowercase() == lower)
    {
        return Ok(*tz);
    }
    let city = |s: &str| s.rsplit('/').next().unwrap_or_default().to_owned();
    let wanted_city = city(&lower);
    let mut scored: Vec<(usize, &'static str)> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| {
            let n = z.name().to_lowercase();
            let d = edit_distance(&lower, &n).min(edit_distance(&wanted_city, &city(&n)) + 1);
            (d, z.name())
        })
        .collect();
    scored.sort_unstable();
    let limit = (wanted.chars().count() / 3).max(2);
    let close: Vec<String> = scored
        .iter()
        .filter(|(d, _)| *d <= limit)
        .take(3)
        .map(|(_, n)| format!("{n:?}"))
        .collect();
    let suggestion = if close.is_empty() {
        String::new()
    } else {
        format!("did you mean {}? ", close.join(" or "))
    };
    Err(Error::parameter(
        "time zone (--tz)",
        format!(
            "{wanted:?} is not an IANA time zone; {suggestion}Zones are named after one city each (Denmark is \"Europe/Copenhagen\", Finland \"Europe/Helsinki\"), not after every town"
        ),
    ))
}

/// The Levenshtein distance between two strings, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Records (fields and line) as split by [`Records`].
    fn split(input: &[u8], delimiter: u8, max: usize) -> Vec<(u64, Option<Vec<Vec<u8>>>)> {
        split_buffered(input, delimiter, max, 1 << 16)
    }

    /// As [`split`], reading through a buffer of `capacity` bytes.
    fn split_buffered(
        input: &[u8],
        delimiter: u8,
        max: usize,
        capacity: usize,
    ) -> Vec<(u64, Option<Vec<Vec<u8>>>)> {
        let reader = std::io::BufReader::with_capacity(capacity, input);
        let mut records = Records::new(reader, delimiter, max);
        let mut chunk = Chunk::default();
        while !matches!(records.next(&mut chunk).unwrap(), Next::End) {}
        chunk
            .entries
            .iter()
            .map(|e| match *e {
                Entry::Record {
                    line,
                    start,
                    first,
                    last,
                } => (
                    line,
                    Some(
                        (0..last - first)
                            .map(|i| chunk.field(start, first, i).to_vec())
                            .collect(),
                    ),
                ),
                Entry::TooLong { line, .. } => (line, None),
            })
            .collect()
    }

    /// The fields as the `csv` crate splits them.
    fn csv_crate(input: &[u8], delimiter: u8) -> Vec<Vec<Vec<u8>>> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(input);
        rdr.byte_records()
            .map(|r| r.unwrap().iter().map(<[u8]>::to_vec).collect())
            .collect()
    }

    #[test]
    fn splits_records_exactly_as_the_csv_crate() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let alphabet = b"ab,;\"\r\n \t";
        for _ in 0..20_000 {
            let len = rng.random_range(0..40);
            let input: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            for delimiter in [b',', b';'] {
                let capacity = rng.random_range(1..8);
                let ours: Vec<Vec<Vec<u8>>> =
                    split_buffered(&input, delimiter, usize::MAX, capacity)
                        .into_iter()
                        .map(|(_, f)| f.unwrap())
                        .collect();
                assert_eq!(
                    ours,
                    csv_crate(&input, delimiter),
                    "{:?}",
                    String::from_utf8_lossy(&input)
                );
            }
        }
    }

    #[test]
    fn lines_count_lf_crlf_cr_and_quoted_newlines() {
        let lines = |text: &str| -> Vec<u64> {
            split(text.as_bytes(), b',', 1 << 20)
                .into_iter()
                .map(|(l, _)| l)
                .collect()
        };
        assert_eq!(lines("h\na\n\nb\n"), [1, 2, 4]);
        assert_eq!(lines("h\r\na\r\n\r\nb\r\n"), [1, 2, 4]);
        assert_eq!(lines("h\ra\r\rb"), [1, 2, 4]);
        assert_eq!(lines("h\n\"x\r\ny\"\nb\n"), [1, 2, 4]);
        assert_eq!(lines("h\r\n\"x\r\n\r\ny\",z\r\nb"), [1, 2, 5]);
    }

    #[test]
    fn records_over_the_limit_are_skipped_and_reading_goes_on() {
        let long = "x".repeat(100);
        let text = format!("a,b\n1,{long}\n2,3\n\"4\n{long}\n5\",6\n7,8");
        let r = split(text.as_bytes(), b',', 50);
        assert_eq!(r.len(), 5);
        assert_eq!((r[1].0, r[1].1.is_none()), (2, true));
        assert_eq!(r[2], (3, Some(vec![b"2".to_vec(), b"3".to_vec()])));
        assert_eq!((r[3].0, r[3].1.is_none()), (4, true));
        assert_eq!(r[4], (7, Some(vec![b"7".to_vec(), b"8".to_vec()])));
        // An unclosed quote makes the rest of the file one record: skipped as too long.
        let text = format!("a,b\n\"1,{long}\n2,3\n");
        let r = split(text.as_bytes(), b',', 50);
        assert_eq!((r.len(), r[1].0, r[1].1.is_none()), (2, 2, true));
    }

    #[test]
    fn the_limit_counts_input_bytes_and_bounds_the_record_buffer() {
        // "a,\"b\"\n" is 6 bytes with its line end: within a limit of 6, over 5.
        for capacity in [1, 3, 1 << 16] {
            let text = b"h\na,\"b\"\nc,d";
            let r = split_buffered(text, b',', 6, capacity);
            assert_eq!(r[1], (2, Some(vec![b"a".to_vec(), b"b".to_vec()])));
            let r = split_buffered(text, b',', 5, capacity);
            assert_eq!((r[1].0, r[1].1.is_none()), (2, true));
            assert_eq!(r[2], (3, Some(vec![b"c".to_vec(), b"d".to_vec()])));
        }
        let long = format!("h\n{}\n1,2\n", "x,".repeat(1 << 20));
        let reader = std::io::BufReader::with_capacity(1 << 10, long.as_bytes());
        let mut records = Records::new(reader, b',', 1000);
        let mut chunk = Chunk::default();
        while !matches!(records.next(&mut chunk).unwrap(), Next::End) {}
        assert_eq!(chunk.entries.len(), 3);
        assert!(records.out.len() <= 1001 && records.ends.len() <= 2048);
    }

    #[test]
    fn lines_are_counted_as_byte_by_byte_in_any_pieces() {
        // The byte-by-byte count the block count replaces.
        let reference = |pieces: &[&[u8]]| {
            let (mut line, mut prev_cr) = (1_u64, false);
            for &c in pieces.iter().flat_map(|p| p.iter()) {
                line += u64::from(c == b'\r' || (c == b'\n' && !prev_cr));
                prev_cr = c == b'\r';
            }
            line
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for _ in 0..2_000 {
            let len = rng.random_range(0..1_200);
            let input: Vec<u8> = (0..len)
                .map(|_| b"a\r\n\"x"[rng.random_range(0..5)])
                .collect();
            let mut pieces: Vec<&[u8]> = Vec::new();
            let mut rest = &input[..];
            while !rest.is_empty() {
                let (piece, tail) = rest.split_at(rng.random_range(1..=rest.len().min(600)));
                pieces.push(piece);
                rest = tail;
            }
            let mut lines = Lines {
                line: 1,
                prev_cr: false,
                after_newline: false,
            };
            for p in &pieces {
                lines.count(p);
            }
            assert_eq!(lines.line, reference(&pieces));
            let last = input.last().copied();
            assert_eq!(lines.prev_cr, last == Some(b'\r'));
            assert_eq!(lines.after_newline, matches!(last, Some(b'\r' | b'\n')));
        }
    }

    #[test]
    fn shared_hashes_are_exactly_those_seen_twice() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for n in [0, 1, 2, 1_000, 100_000] {
            // Few distinct values, spread over the top bits (the buckets).
            let distinct: Vec<u64> = (0..=n / 2).map(|_| rng.random()).collect();
            let hashes: Vec<u64> = (0..n)
                .map(|_| distinct[rng.random_range(0..distinct.len())])
                .collect();
            let mut counts = std::collections::BTreeMap::new();
            for &h in &hashes {
                *counts.entry(h).or_insert(0) += 1;
            }
            let mut expected: Vec<u64> = counts
                .into_iter()
                .filter(|&(_, c)| c > 1)
                .map(|(h, _)| h)
                .collect();
            let mut found: Vec<u64> = shared(&hashes).into_iter().collect();
            found.sort_unstable();
            expected.sort_unstable();
            assert_eq!(found, expected, "n = {n}");
        }
    }

    #[test]
    fn text_is_checked_per_used_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("utf8.csv");
        let mut text = b"id,lon,lat,timestamp,category,note\n".to_vec();
        // "\xC3" ending one field and "\xA6" starting the next are "\u{e6}"
        // together, but neither is UTF-8 alone.
        text.extend_from_slice(b"a\xC3,\xA69.92,57.05,2023-07-14T21:37:00+02:00,x,n\n");
        // Not UTF-8 in a column that is not read: accepted.
        text.extend_from_slice(b"b,9.92,57.05,2023-07-14T21:37:00+02:00,x,\xFF\n");
        // UTF-8 across fields, and in them.
        text.extend_from_slice(b"c\xC3\xA6,9.92,57.05,2023-07-14T21:37:00+02:00,\xC3\xB8,n\n");
        std::fs::write(&path, text).unwrap();
        let b = IncidentReader::new().read_csv(&path).unwrap();
        assert_eq!((b.report.read, b.report.accepted), (3, 2));
        let r = &b.report.rejections[0];
        assert_eq!(
            (r.line, r.reason.as_str(), r.detail.as_str()),
            (2, "invalid_text", "field 1 is not valid UTF-8")
        );
        assert_eq!(b.incidents.id.iter().collect::<Vec<_>>(), ["b", "c\u{e6}"]);
        assert_eq!(b.incidents.category_of(1), "\u{f8}");
    }
}
