//! Incidents from CSV, Parquet or a polars `DataFrame`.
//!
//! Every data row is either accepted into [`Incidents`] or rejected with its
//! line and reason in the [`IngestReport`]; nothing is dropped silently.
//!
//! CSV is read with the `csv` crate rather than polars' CSV reader because a
//! planner's export must survive a malformed row: the `csv` crate reports the
//! exact line of every record and lets the reader reject one ragged row and
//! go on, where polars fails the whole file. Parquet and in-memory
//! `DataFrame`s go through polars and then through the same row validation.

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use polars::prelude::*;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::ingest::IngestReport;
use crate::model::Incidents;
use crate::projection::Projection;
use crate::projection::median_point;
use crate::study_area::StudyArea;
use crate::time::{Ambiguity, Instant, TimeProblem, TimestampParser, zone_at};

/// Rows validated together (in parallel) per chunk.
const CHUNK: usize = 1 << 16;

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
#[derive(Debug, Clone, Default)]
pub struct IncidentReader {
    columns: ColumnMap,
    crs: Crs,
    times: TimestampParser,
    zone_from_location: bool,
    study_area: Option<StudyArea>,
    duplicates: DuplicateRecords,
    delimiter: Option<u8>,
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

/// One validated row.
struct Row {
    line: u64,
    id: String,
    lon: f64,
    lat: f64,
    instant: Instant,
    category: String,
    group: Option<String>,
    weight: Option<f64>,
    ambiguous: bool,
    naive: bool,
}

type RowResult = std::result::Result<Row, (u64, &'static str, String)>;

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
        let file = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
        let mut buffered = std::io::BufReader::with_capacity(1 << 20, file);
        let delimiter = match self.delimiter {
            Some(d) => d,
            None => sniff_delimiter(&mut buffered).map_err(|e| Error::io("read", path, e))?,
        };
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            // Line endings normalised to LF, so the csv crate's line numbers
            // (it counts LFs only) are the file's lines for CRLF and CR files.
            .from_reader(LineEnds::new(buffered));
        let mut record = csv::ByteRecord::new();
        let has_header = rdr
            .read_byte_record(&mut record)
            .map_err(|e| Error::input(path, format!("cannot read the header line: {e}")))?;
        if !has_header {
            return Err(Error::input(
                path,
                "the file is empty; expected a header line such as id,lon,lat,timestamp,category",
            ));
        }
        let header: Vec<String> = record
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let s = String::from_utf8_lossy(f).into_owned();
                if i == 0 {
                    s.trim_start_matches('\u{feff}').to_owned()
                } else {
                    s
                }
            })
            .collect();
        if header.len() == 1 {
            return Err(Error::input(
                path,
                format!(
                    "the header {:?} has a single column: the file is not separated by {:?}; set the delimiter",
                    header[0], delimiter as char
                ),
            ));
        }
        let (cols, notes) = self.columns.resolve(&header, path)?;
        let name = path.display().to_string();
        let mut sink = Sink::new(&name, self);
        for n in notes {
            sink.report.warn(None, "column_mapping", n);
        }
        let mut records: Vec<csv::ByteRecord> = Vec::with_capacity(CHUNK);
        loop {
            records.clear();
            let mut done = false;
            while records.len() < CHUNK {
                let mut r = csv::ByteRecord::new();
                match rdr.read_byte_record(&mut r) {
                    Ok(true) => records.push(r),
                    Ok(false) => {
                        done = true;
                        break;
                    }
                    Err(e) => {
                        let line = e.position().map_or(0, csv::Position::line);
                        if let csv::ErrorKind::Io(io) = e.kind() {
                            return Err(Error::input(
                                path,
                                format!("reading stopped at line {line}: {io}"),
                            ));
                        }
                        sink.report.reject(line, "malformed_row", e.to_string());
                    }
                }
            }
            let raws: Vec<std::result::Result<RawRow<'_>, (u64, &'static str, String)>> = records
                .iter()
                .map(|r| csv_raw(r, &cols, header.len()))
                .collect();
            sink.take(raws);
            if done {
                break;
            }
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
        for n in notes {
            sink.report.warn(None, "column_mapping", n);
        }
        let mut times = times.into_iter();
        let n = df.height();
        let mut start = 0;
        while start < n {
            let end = (start + CHUNK).min(n);
            let raws: Vec<_> = (start..end)
                .map(|i| {
                    Ok(RawRow {
                        line: i as u64 + 2,
                        id: get(ids.as_ref(), i),
                        x: xs[i].as_deref().map(Cow::Borrowed),
                        y: ys[i].as_deref().map(Cow::Borrowed),
                        time: times.next().unwrap_or(TimeIn::Missing),
                        category: get(cats.as_ref(), i),
                        group: get(groups.as_ref(), i),
                        weight: get(weights.as_ref(), i),
                    })
                })
                .collect();
            sink.take(raws);
            start = end;
        }
        Ok(sink.finish())
    }

    /// Validates one raw row.
    fn validate(&self, raw: RawRow<'_>, times: &TimestampParser) -> RowResult {
        let line = raw.line;
        let bad = |reason: &'static str, detail: String| Err((line, reason, detail));
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
        let (lon, lat) = match &self.crs {
            Crs::Wgs84 => {
                if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
                    let hint = if x.abs() > 1000.0 && y.abs() > 1000.0 {
                        "; the values look like projected metres: set the CRS (e.g. EPSG:25832)"
                    } else if (-90.0..=90.0).contains(&x) && (-180.0..=180.0).contains(&y) {
                        "; longitude and latitude may be swapped"
                    } else {
                        ""
                    };
                    return bad(
                        "bad_coordinate",
                        format!("lon {x}, lat {y} is outside −180…180, −90…90{hint}"),
                    );
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
                    return bad(
                        "bad_coordinate",
                        format!("({x}, {y}) is not a point in EPSG:{}", p.epsg()),
                    );
                }
            },
        };
        if let Some(area) = &self.study_area
            && !area.contains(lon, lat)
        {
            return bad(
                "out_of_study_area",
                format!("({lon:.6}, {lat:.6}) lies outside the study area"),
            );
        }
        let parsed = match raw.time {
            TimeIn::Text(t) => times.parse(&t).map_err(|p| (p, t.into_owned())),
            TimeIn::Utc(utc, tz) => Ok(crate::time::ParsedTime {
                instant: Instant {
                    utc,
                    offset: tz.map_or(0, |z| crate::time::offset_at(z, utc)),
                },
                resolved_ambiguity: false,
                naive: false,
            }),
            TimeIn::Naive(ndt) => times.place_naive(ndt).map_err(|p| (p, ndt.to_string())),
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
            .unwrap_or("unspecified")
            .to_owned();
        let id = match raw.id.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => s.to_owned(),
            _ => format!("L{line}"),
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
                .map(|g| g.trim().to_owned())
                .filter(|g| !g.is_empty()),
            weight: weight.or(raw.weight.as_ref().map(|_| 1.0)),
            ambiguous: parsed.resolved_ambiguity,
            naive: parsed.naive,
        })
    }
}

fn zone_name(times: &TimestampParser) -> &'static str {
    times
        .configured_zone()
        .map_or("the configured zone", |z| z.name())
}

/// A reader that turns CRLF and lone CR (classic Mac, e.g. Excel's "CSV
/// (Macintosh)") line endings into LF, byte by byte.
struct LineEnds<R> {
    inner: R,
    /// The last byte passed on was a CR (now an LF): drop an LF that follows.
    cr: bool,
}

impl<R> LineEnds<R> {
    fn new(inner: R) -> Self {
        Self { inner, cr: false }
    }
}

impl<R: std::io::Read> std::io::Read for LineEnds<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.inner.read(out)?;
            if n == 0 {
                return Ok(0);
            }
            let mut k = 0;
            for i in 0..n {
                let b = out[i];
                if b == b'\n' && self.cr {
                    self.cr = false;
                    continue;
                }
                self.cr = b == b'\r';
                out[k] = if self.cr { b'\n' } else { b };
                k += 1;
            }
            // All of it was the LF of a CRLF: read on (0 would mean the end).
            if k > 0 {
                return Ok(k);
            }
        }
    }
}

/// Turns a CSV record into a raw row.
fn csv_raw<'a>(
    r: &'a csv::ByteRecord,
    c: &Resolved,
    width: usize,
) -> std::result::Result<RawRow<'a>, (u64, &'static str, String)> {
    let line = r.position().map_or(0, csv::Position::line);
    if r.len() != width {
        return Err((
            line,
            "wrong_field_count",
            format!(
                "expected {width} fields, found {} (a wrong delimiter or an unbalanced quote?)",
                r.len()
            ),
        ));
    }
    let field = |i: usize| -> std::result::Result<Cow<'a, str>, (u64, &'static str, String)> {
        std::str::from_utf8(&r[i]).map(Cow::Borrowed).map_err(|_| {
            (
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

/// Accumulates validated rows into columns and the report.
struct Sink<'r> {
    report: IngestReport,
    incidents: Incidents,
    ids: HashSet<String>,
    records: HashSet<(u64, u64, i64, u32)>,
    reader: &'r IncidentReader,
    times: TimestampParser,
    zone_decided: bool,
    naive_rows: u64,
    ambiguous_rows: u64,
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
            ids: HashSet::new(),
            records: HashSet::new(),
            reader,
            times: reader.times.clone(),
            zone_decided: reader.times.configured_zone().is_some() || !reader.zone_from_location,
            naive_rows: 0,
            ambiguous_rows: 0,
        }
    }

    /// Decides the zone for naive times from the first chunk's location.
    fn decide_zone(
        &mut self,
        raws: &[std::result::Result<RawRow<'_>, (u64, &'static str, String)>],
    ) {
        let mut lon = Vec::new();
        let mut lat = Vec::new();
        for r in raws.iter().flatten() {
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

    fn take(&mut self, raws: Vec<std::result::Result<RawRow<'_>, (u64, &'static str, String)>>) {
        if !self.zone_decided {
            self.decide_zone(&raws);
        }
        let (reader, times) = (self.reader, &self.times);
        let rows: Vec<RowResult> = raws
            .into_par_iter()
            .with_min_len(1024)
            .map(|r| r.and_then(|raw| reader.validate(raw, times)))
            .collect();
        for r in rows {
            match r {
                Err((line, reason, detail)) => self.report.reject(line, reason, detail),
                Ok(row) => self.push(row),
            }
        }
    }

    fn push(&mut self, row: Row) {
        if self.ids.contains(&row.id) {
            self.report.reject(
                row.line,
                "duplicate_id",
                format!("id {:?} was already used on an earlier row", row.id),
            );
            return;
        }
        let cat = self.incidents.categories.code(&row.category);
        let key = (row.lon.to_bits(), row.lat.to_bits(), row.instant.utc, cat);
        if !self.records.insert(key) {
            let msg = format!(
                "same place, time and category as an earlier row (id {:?}); {}",
                row.id,
                match self.reader.duplicates {
                    DuplicateRecords::Warn => "kept",
                    DuplicateRecords::Reject => "rejected",
                }
            );
            if self.reader.duplicates == DuplicateRecords::Reject {
                self.report.reject(row.line, "duplicate_record", msg);
                return;
            }
            self.report.warn(Some(row.line), "duplicate_record", msg);
        }
        if row.ambiguous {
            self.ambiguous_rows += 1;
            let local = row.instant.local();
            self.report.warn(
                Some(row.line),
                "ambiguous_local_time",
                format!(
                    "{local} happens twice in {}; read as UTC offset {:+} h ({:?} rule)",
                    zone_name(&self.times),
                    f64::from(row.instant.offset) / 3600.0,
                    self.times.ambiguity_rule()
                ),
            );
        }
        if row.naive {
            self.naive_rows += 1;
        }
        self.report.accept();
        let inc = &mut self.incidents;
        inc.id.push(row.id.clone());
        self.ids.insert(row.id);
        inc.lon.push(row.lon);
        inc.lat.push(row.lat);
        inc.utc.push(row.instant.utc);
        inc.offset.push(row.instant.offset);
        inc.category.push(cat);
        inc.line.push(row.line);
        if let Some(g) = inc.group.as_mut() {
            g.push(
                row.group
                    .as_deref()
                    .map_or(u32::MAX, |v| inc.groups.code(v)),
            );
        }
        if let Some(w) = inc.weight.as_mut() {
            w.push(row.weight.unwrap_or(1.0));
        }
    }

    fn finish(mut self) -> IncidentBatch {
        if self.naive_rows > 0 && self.reader.times.configured_zone().is_none() {
            self.report.warn(
                None,
                "zone_from_location",
                format!(
                    "{} timestamps have no UTC offset; they were read as local time in {}, the time zone at the data's location (set --tz to choose another)",
                    self.naive_rows,
                    zone_name(&self.times)
                ),
            );
        }
        IncidentBatch {
            incidents: self.incidents,
            report: self.report,
        }
    }
}
