//! The one time model: instants with their local offset, parsing of exported
//! timestamps, local-time bins and their exposure.
//!
//! Incidents keep the UTC instant and the local UTC offset at that instant, so
//! the local hour of day is exact across daylight-saving changes. Naive
//! timestamps (no offset) are placed in a configured IANA zone; a local time
//! that does not exist (spring forward) is rejected and one that happens twice
//! (fall back) is resolved by a stated [`Ambiguity`] rule and reported.
//!
//! [`TimeBinning`] maps local time to bins (hour-of-day buckets, weekday or
//! weekend, month, season, darkness) and [`TimeBinning::exposure`] counts the
//! real hours each bin covers in a [`Period`], so counts become rates per hour
//! and a 25-hour October Sunday is not compared unfairly with a 23-hour March one.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::format::{Item, StrftimeItems};
use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone,
    Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::Serialize;

use crate::error::{Error, Result};

/// Seconds in an hour.
const HOUR: i64 = 3600;

/// Parses an IANA time-zone name (`Europe/Copenhagen`).
///
/// # Errors
/// [`Error::UnknownTimeZone`] if the name is not in the IANA database.
///
/// ```
/// let tz = byrum::parse_zone("Europe/Copenhagen")?;
/// assert_eq!(tz.name(), "Europe/Copenhagen");
/// assert!(byrum::parse_zone("Europe/Aalborg").is_err());
/// # Ok::<(), byrum::Error>(())
/// ```
pub fn parse_zone(name: &str) -> Result<Tz> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| Error::UnknownTimeZone(name.to_owned()))
}

/// How a naive local time that occurs twice (the fall-back hour) is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ambiguity {
    /// The first occurrence (still daylight-saving time). Reported as a warning.
    #[default]
    Earlier,
    /// The second occurrence (standard time). Reported as a warning.
    Later,
    /// Reject the row.
    Reject,
}

/// Why a timestamp could not be used. The reader turns these into rejections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeProblem {
    /// Empty, or not a date and time byrum recognises.
    Unparseable,
    /// A naive local time that does not exist in the zone (skipped by the clock).
    Nonexistent,
    /// A naive local time that occurs twice, with [`Ambiguity::Reject`].
    Ambiguous,
    /// A naive time, but no zone was configured to place it in.
    NoZone,
}

impl TimeProblem {
    /// The short reason key used in ingest reports.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            TimeProblem::Unparseable => "unparseable_time",
            TimeProblem::Nonexistent => "nonexistent_local_time",
            TimeProblem::Ambiguous => "ambiguous_local_time",
            TimeProblem::NoZone => "naive_time_without_zone",
        }
    }
}

/// A parsed timestamp: the UTC instant and the local offset at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instant {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub utc: i64,
    /// Local UTC offset in seconds (east positive): +7200 for Danish summer time.
    pub offset: i32,
}

impl Instant {
    /// The local wall-clock time.
    #[must_use]
    pub fn local(&self) -> NaiveDateTime {
        DateTime::from_timestamp(self.utc + i64::from(self.offset), 0)
            .unwrap_or_default()
            .naive_utc()
    }
}

/// What [`TimestampParser::parse`] returns for a usable timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedTime {
    /// The instant.
    pub instant: Instant,
    /// True when the local time was ambiguous and resolved by the [`Ambiguity`] rule.
    pub resolved_ambiguity: bool,
    /// True when the text had no offset and was placed in the configured zone.
    pub naive: bool,
}

/// Parses exported timestamps: RFC 3339 with offset (`2017-01-01T00:00:42-06:00`,
/// a space instead of `T` accepted, `Z` for UTC), or naive ISO local time
/// (`2023-07-14 21:37`, `2023-07-14T21:37:00`) placed in the configured zone,
/// or a custom chrono format.
///
/// ```
/// use byrum::{TimestampParser, TimeProblem, parse_zone};
/// let p = TimestampParser::new().zone(parse_zone("Europe/Copenhagen")?);
/// assert_eq!(p.parse("2018-03-25 02:30").unwrap_err(), TimeProblem::Nonexistent);
/// let t = p.parse("2018-10-28 02:30").unwrap(); // happens twice
/// assert!(t.resolved_ambiguity);
/// assert_eq!(t.instant.offset, 7200); // the earlier, summer-time occurrence
/// let t = p.parse("2017-01-01T00:00:42-06:00").unwrap();
/// assert_eq!(t.instant.offset, -6 * 3600);
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TimestampParser {
    zone: Option<Tz>,
    ambiguity: Ambiguity,
    format: Option<String>,
}

impl TimestampParser {
    /// A parser for RFC 3339 timestamps only (naive times are rejected until a
    /// zone is set).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The zone naive local times are in.
    #[must_use]
    pub fn zone(mut self, zone: Tz) -> Self {
        self.zone = Some(zone);
        self
    }

    /// How ambiguous (fall-back) local times are resolved.
    #[must_use]
    pub fn ambiguity(mut self, rule: Ambiguity) -> Self {
        self.ambiguity = rule;
        self
    }

    /// A chrono format string (`%d-%m-%Y %H:%M`) tried before the built-in ones.
    /// With `%z` it yields an offset; without, a naive time in the zone.
    #[must_use]
    pub fn format(mut self, format: impl Into<String>) -> Self {
        self.format = Some(format.into());
        self
    }

    /// The configured zone, if any.
    #[must_use]
    pub fn configured_zone(&self) -> Option<Tz> {
        self.zone
    }

    /// The rule for ambiguous local times.
    #[must_use]
    pub fn ambiguity_rule(&self) -> Ambiguity {
        self.ambiguity
    }

    /// Sets or replaces the zone for naive times.
    pub fn set_zone(&mut self, zone: Tz) {
        self.zone = Some(zone);
    }

    /// Parses one timestamp.
    ///
    /// # Errors
    /// A [`TimeProblem`] saying why the text is not a usable instant.
    pub fn parse(&self, text: &str) -> Result<ParsedTime, TimeProblem> {
        let s = text.trim();
        if s.is_empty() {
            return Err(TimeProblem::Unparseable);
        }
        if let Some(fmt) = &self.format {
            if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
                return Ok(with_offset(&dt));
            }
            if let Ok(ndt) = NaiveDateTime::parse_from_str(s, fmt) {
                return self.place_naive(ndt);
            }
            if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
                return self.place_naive(d.and_hms_opt(0, 0, 0).ok_or(TimeProblem::Unparseable)?);
            }
        }
        if let Some(ndt) = naive_fixed(s.as_bytes()) {
            return self.place_naive(ndt);
        }
        // RFC 3339, allowing a space or lower-case t between date and time.
        if s.len() >= 20 {
            // Byte 10 is ASCII here, so 10 and 11 are character boundaries.
            let normalised: std::borrow::Cow<'_, str> = if matches!(s.as_bytes()[10], b' ' | b't') {
                format!("{}T{}", &s[..10], &s[11..]).into()
            } else {
                s.into()
            };
            if let Ok(dt) = DateTime::parse_from_rfc3339(&normalised) {
                return Ok(with_offset(&dt));
            }
        }
        for items in NAIVE_FORMATS.iter() {
            let mut parsed = chrono::format::Parsed::new();
            if chrono::format::parse(&mut parsed, s, items.iter()).is_ok()
                && let Ok(ndt) = parsed.to_naive_datetime_with_offset(0)
            {
                return self.place_naive(ndt);
            }
        }
        Err(TimeProblem::Unparseable)
    }

    /// Places a naive local time in the configured zone.
    ///
    /// # Errors
    /// As [`TimestampParser::parse`].
    pub fn place_naive(&self, ndt: NaiveDateTime) -> Result<ParsedTime, TimeProblem> {
        let zone = self.zone.ok_or(TimeProblem::NoZone)?;
        match zone.from_local_datetime(&ndt) {
            LocalResult::Single(dt) => Ok(ParsedTime {
                instant: instant_of(&dt),
                resolved_ambiguity: false,
                naive: true,
            }),
            LocalResult::Ambiguous(a, b) => {
                let dt = match self.ambiguity {
                    Ambiguity::Earlier => a.min(b),
                    Ambiguity::Later => a.max(b),
                    Ambiguity::Reject => return Err(TimeProblem::Ambiguous),
                };
                Ok(ParsedTime {
                    instant: instant_of(&dt),
                    resolved_ambiguity: true,
                    naive: true,
                })
            }
            LocalResult::None => Err(TimeProblem::Nonexistent),
        }
    }
}

/// The naive formats tried after RFC 3339, parsed once
/// (`NaiveDateTime::parse_from_str` would parse the format on every call).
static NAIVE_FORMATS: LazyLock<Vec<Vec<Item<'static>>>> = LazyLock::new(|| {
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .into_iter()
    .filter_map(|f| StrftimeItems::new(f).parse_to_owned().ok())
    .collect()
});

/// `YYYY-MM-DDTHH:MM:SS` (or with a space for the `T`), the commonest form in
/// exports, read without the general parser. `None` for anything else,
/// leap seconds included: those go to the general formats, which give the
/// same result for every text this accepts.
fn naive_fixed(s: &[u8]) -> Option<NaiveDateTime> {
    if s.len() != 19
        || s[4] != b'-'
        || s[7] != b'-'
        || !matches!(s[10], b'T' | b' ')
        || s[13] != b':'
        || s[16] != b':'
    {
        return None;
    }
    let digit = |i: usize| {
        let d = s[i].wrapping_sub(b'0');
        (d < 10).then_some(u32::from(d))
    };
    let two = |i: usize| Some(digit(i)? * 10 + digit(i + 1)?);
    let year = two(0)? * 100 + two(2)?;
    let second = two(17)?;
    if second >= 60 {
        return None;
    }
    NaiveDate::from_ymd_opt(year as i32, two(5)?, two(8)?)?.and_hms_opt(two(11)?, two(14)?, second)
}

fn with_offset(dt: &DateTime<FixedOffset>) -> ParsedTime {
    ParsedTime {
        instant: Instant {
            utc: dt.timestamp(),
            offset: dt.offset().local_minus_utc(),
        },
        resolved_ambiguity: false,
        naive: false,
    }
}

fn instant_of(dt: &DateTime<Tz>) -> Instant {
    Instant {
        utc: dt.timestamp(),
        offset: dt.offset().fix().local_minus_utc(),
    }
}

/// The UTC offset (seconds) of `zone` at the UTC instant `utc`.
#[must_use]
pub fn offset_at(zone: Tz, utc: i64) -> i32 {
    DateTime::from_timestamp(utc, 0).map_or(0, |d| {
        zone.offset_from_utc_datetime(&d.naive_utc())
            .fix()
            .local_minus_utc()
    })
}

/// How the zone of a data set was found.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneInference {
    /// The zone used.
    #[serde(serialize_with = "ser_tz")]
    pub zone: Tz,
    /// Plain-language account: configured, from location, from offsets.
    pub how: String,
    /// Rows (of those checked) whose recorded offset disagrees with the zone.
    pub mismatches: usize,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde passes fields by reference
fn ser_tz<S: serde::Serializer>(tz: &Tz, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

/// Finds the IANA zone of a data set whose timestamps carry offsets: the zone
/// at the data's location (tz boundary database) if its offsets agree with the
/// recorded ones at every checked instant, otherwise the first IANA zone that
/// agrees everywhere. Checks every instant next to an offset change plus an
/// even sample of at most 4,000 others.
///
/// # Errors
/// [`Error::Parameter`] if no IANA zone matches the recorded offsets.
pub fn infer_zone(utc: &[i64], offset: &[i32], lon: f64, lat: f64) -> Result<ZoneInference> {
    let sample = offset_sample(utc, offset);
    let mismatches = |tz: Tz| {
        sample
            .iter()
            .filter(|&&(t, o)| offset_at(tz, t) != o)
            .count()
    };
    let at_location = zone_at(lon, lat);
    if let Some(tz) = at_location
        && mismatches(tz) == 0
    {
        return Ok(ZoneInference {
            zone: tz,
            how: format!(
                "{} from the data's location; its UTC offsets agree with all {} checked timestamps",
                tz.name(),
                sample.len()
            ),
            mismatches: 0,
        });
    }
    let candidates: Vec<Tz> = chrono_tz::TZ_VARIANTS
        .iter()
        .copied()
        .filter(|tz| tz.name().contains('/') && !tz.name().starts_with("Etc/"))
        .filter(|&tz| mismatches(tz) == 0)
        .collect();
    match candidates.first() {
        Some(&tz) => Ok(ZoneInference {
            zone: tz,
            how: format!(
                "{} chosen from the UTC offsets ({} zones agree with all {} checked timestamps; the zone at the data's location, {}, does not)",
                tz.name(),
                candidates.len(),
                sample.len(),
                at_location.map_or("unknown", |z| z.name())
            ),
            mismatches: 0,
        }),
        None => Err(Error::parameter(
            "time zone",
            "the timestamps' UTC offsets match no IANA time zone; give the zone explicitly (--tz)",
        )),
    }
}

/// The IANA zone at a point, from the tz boundary database (`tzf-rs`).
///
/// The finder is built once per process (it decodes the bundled boundary
/// data, about 0.4 s) and shared by every later lookup.
#[must_use]
pub fn zone_at(lon: f64, lat: f64) -> Option<Tz> {
    static FINDER: std::sync::OnceLock<tzf_rs::DefaultFinder> = std::sync::OnceLock::new();
    FINDER
        .get_or_init(tzf_rs::DefaultFinder::new)
        .get_tz_name(lon, lat)
        .parse()
        .ok()
}

/// The (instant, offset) pairs checked by [`infer_zone`].
fn offset_sample(utc: &[i64], offset: &[i32]) -> Vec<(i64, i32)> {
    let mut order: Vec<usize> = (0..utc.len()).collect();
    order.sort_unstable_by_key(|&i| utc[i]);
    let mut out = Vec::new();
    let step = (order.len() / 4000).max(1);
    for (k, w) in order.windows(2).enumerate() {
        if offset[w[0]] != offset[w[1]] || k % step == 0 {
            out.push((utc[w[0]], offset[w[0]]));
            out.push((utc[w[1]], offset[w[1]]));
        }
    }
    if let Some(&i) = order.first() {
        out.push((utc[i], offset[i]));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Hour-of-day buckets in local time: every hour, every n hours, or named
/// ranges such as night/morning/day/evening (a range may wrap past midnight).
///
/// ```
/// use byrum::HourBuckets;
/// let b = HourBuckets::named(&[("night", 22), ("morning", 6), ("day", 10), ("evening", 17)])?;
/// assert_eq!(b.name(b.bucket_of(23)), "night");
/// assert_eq!(b.name(b.bucket_of(3)), "night");
/// assert_eq!(b.name(b.bucket_of(17)), "evening");
/// let three = HourBuckets::every(3)?;
/// assert_eq!(three.len(), 8);
/// assert_eq!(three.name(three.bucket_of(22)), "21-24");
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HourBuckets {
    names: Vec<String>,
    /// Start hour of each bucket, in the order given.
    starts: Vec<u8>,
    #[serde(skip)]
    of_hour: [u8; 24],
}

impl HourBuckets {
    /// One bucket per hour (`00`…`23`).
    #[must_use]
    pub fn hourly() -> Self {
        Self::every(1).unwrap_or_else(|_| unreachable!("1 divides 24"))
    }

    /// Buckets of `n` hours starting at midnight, named `00-03`, `03-06`, ….
    ///
    /// # Errors
    /// [`Error::Parameter`] unless `n` divides 24.
    pub fn every(n: u8) -> Result<Self> {
        if n == 0 || 24 % n != 0 {
            return Err(Error::parameter(
                "hour bucket size",
                format!("{n} hours does not divide the day; use 1, 2, 3, 4, 6, 8, 12 or 24"),
            ));
        }
        let ranges: Vec<(String, u8)> = (0..24 / n)
            .map(|i| {
                let s = i * n;
                let name = if n == 1 {
                    format!("{s:02}")
                } else {
                    format!("{s:02}-{:02}", s + n)
                };
                (name, s)
            })
            .collect();
        let refs: Vec<(&str, u8)> = ranges.iter().map(|(n, s)| (n.as_str(), *s)).collect();
        Self::named(&refs)
    }

    /// Named buckets, each from its start hour to the next bucket's start
    /// (cyclically, so the last may wrap past midnight).
    ///
    /// # Errors
    /// [`Error::Parameter`] if empty, a start is not 0–23, starts repeat, or names repeat.
    pub fn named(buckets: &[(&str, u8)]) -> Result<Self> {
        if buckets.is_empty() {
            return Err(Error::parameter(
                "hour buckets",
                "at least one bucket is needed",
            ));
        }
        let mut sorted: Vec<(u8, usize)> = Vec::new();
        for (i, &(name, start)) in buckets.iter().enumerate() {
            if start > 23 {
                return Err(Error::parameter(
                    "hour buckets",
                    format!("{name} starts at {start}, not an hour 0–23"),
                ));
            }
            if sorted.iter().any(|&(s, _)| s == start) {
                return Err(Error::parameter(
                    "hour buckets",
                    format!("two buckets start at {start}"),
                ));
            }
            if buckets[..i].iter().any(|&(n, _)| n == name) {
                return Err(Error::parameter(
                    "hour buckets",
                    format!("the name {name:?} is used twice"),
                ));
            }
            sorted.push((start, i));
        }
        sorted.sort_unstable();
        let mut of_hour = [0u8; 24];
        for (h, slot) in of_hour.iter_mut().enumerate() {
            // The bucket with the greatest start <= h, or else the last (wrapping).
            let pos = sorted
                .iter()
                .rposition(|&(s, _)| usize::from(s) <= h)
                .unwrap_or(sorted.len() - 1);
            *slot = sorted[pos].1 as u8;
        }
        Ok(Self {
            names: buckets.iter().map(|(n, _)| (*n).to_owned()).collect(),
            starts: buckets.iter().map(|(_, s)| *s).collect(),
            of_hour,
        })
    }

    /// The bucket of a local hour (0–23).
    #[must_use]
    pub fn bucket_of(&self, hour: u32) -> usize {
        usize::from(self.of_hour[(hour % 24) as usize])
    }

    /// The name of bucket `i`.
    #[must_use]
    pub fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    /// The number of buckets.
    #[must_use]
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Always false: there is at least one bucket.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The hours (0–23) that fall in bucket `i`.
    #[must_use]
    pub fn hours_of(&self, i: usize) -> Vec<u32> {
        (0..24).filter(|&h| self.bucket_of(h) == i).collect()
    }
}

/// Seasons as groups of months: meteorological by default (Dec–Feb winter, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seasons {
    names: Vec<String>,
    of_month: [u8; 12],
}

impl Default for Seasons {
    fn default() -> Self {
        Self::meteorological()
    }
}

impl Seasons {
    /// Meteorological seasons: winter (Dec–Feb), spring (Mar–May), summer (Jun–Aug), autumn (Sep–Nov).
    #[must_use]
    pub fn meteorological() -> Self {
        Self {
            names: ["winter", "spring", "summer", "autumn"]
                .map(String::from)
                .to_vec(),
            of_month: [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0],
        }
    }

    /// Custom seasons: each name with its months (1–12). Every month must be
    /// in exactly one season.
    ///
    /// # Errors
    /// [`Error::Parameter`] if a month is missing, repeated or out of range.
    pub fn from_months(seasons: &[(&str, &[u32])]) -> Result<Self> {
        let mut of_month = [u8::MAX; 12];
        for (i, (name, months)) in seasons.iter().enumerate() {
            for &m in *months {
                if !(1..=12).contains(&m) {
                    return Err(Error::parameter(
                        "seasons",
                        format!("{name}: {m} is not a month 1–12"),
                    ));
                }
                if of_month[(m - 1) as usize] != u8::MAX {
                    return Err(Error::parameter(
                        "seasons",
                        format!("month {m} is in two seasons"),
                    ));
                }
                of_month[(m - 1) as usize] = i as u8;
            }
        }
        if let Some(m) = of_month.iter().position(|&s| s == u8::MAX) {
            return Err(Error::parameter(
                "seasons",
                format!("month {} is in no season", m + 1),
            ));
        }
        Ok(Self {
            names: seasons.iter().map(|(n, _)| (*n).to_owned()).collect(),
            of_month,
        })
    }

    /// The season of a month (1–12).
    #[must_use]
    pub fn season_of(&self, month: u32) -> usize {
        usize::from(self.of_month[((month + 11) % 12) as usize])
    }

    /// The season names.
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// Darkness: the sun below civil twilight (6° below the horizon) at a place
/// and instant. Dawn and dusk come from the `sunrise` crate for the local
/// solar day, computed once per day and 0.01° cell (≈1 km, at most ≈3 s of
/// solar time) and cached.
#[derive(Debug, Default)]
pub struct Darkness {
    cache: HashMap<(i32, i32, i32), DayLight>,
}

#[derive(Debug, Clone, Copy)]
enum DayLight {
    /// Civil dawn and dusk (UTC seconds).
    Events(i64, i64),
    /// The sun stays above −6° all day (white nights).
    AlwaysLight,
    /// The sun stays below −6° all day (polar night).
    AlwaysDark,
}

impl Darkness {
    /// An empty cache.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The local solar day containing `utc` at (`lon`, `lat`): when it ends
    /// (UTC seconds) and its dawn and dusk, computed once per day and cell.
    fn solar_day(&mut self, utc: i64, lon: f64, lat: f64) -> (i64, DayLight) {
        let shift = (lon * 240.0) as i64; // local mean solar time − UTC, seconds
        let day = (utc + shift).div_euclid(86_400);
        let key = (
            day as i32,
            (lon * 100.0).round() as i32,
            (lat * 100.0).round() as i32,
        );
        let light = *self
            .cache
            .entry(key)
            .or_insert_with(|| day_light(key.0, key.1, key.2));
        ((day + 1) * 86_400 - shift, light)
    }

    /// Whether the sun is below civil twilight at `utc` at (`lon`, `lat`).
    pub fn is_dark(&mut self, utc: i64, lon: f64, lat: f64) -> bool {
        match self.solar_day(utc, lon, lat).1 {
            DayLight::Events(dawn, dusk) => utc < dawn || utc >= dusk,
            DayLight::AlwaysLight => false,
            DayLight::AlwaysDark => true,
        }
    }

    /// The seconds of darkness in `[from, to)` at (`lon`, `lat`).
    pub fn dark_seconds(&mut self, from: i64, to: i64, lon: f64, lat: f64) -> i64 {
        // Walk the solar days overlapping the interval.
        let mut dark = 0;
        let mut t = from;
        while t < to {
            let (day_end, light) = self.solar_day(t, lon, lat);
            let seg_end = day_end.min(to);
            dark += match light {
                DayLight::Events(dawn, dusk) => {
                    let light_secs = (seg_end.min(dusk) - t.max(dawn)).max(0);
                    (seg_end - t) - light_secs
                }
                DayLight::AlwaysLight => 0,
                DayLight::AlwaysDark => seg_end - t,
            };
            t = seg_end;
        }
        dark
    }
}

fn day_light(day: i32, lon100: i32, lat100: i32) -> DayLight {
    let lon = f64::from(lon100) / 100.0;
    let lat = (f64::from(lat100) / 100.0).clamp(-89.99, 89.99);
    let date = DateTime::from_timestamp(i64::from(day) * 86_400, 0)
        .unwrap_or_default()
        .date_naive();
    let Ok(coords) = sunrise::Coordinates::new(lat, lon).ok_or(()) else {
        return DayLight::AlwaysLight;
    };
    let solar_day = sunrise::SolarDay::new(coords, date);
    let dawn = solar_day.event_time(sunrise::SolarEvent::Dawn(sunrise::DawnType::Civil));
    let dusk = solar_day.event_time(sunrise::SolarEvent::Dusk(sunrise::DawnType::Civil));
    if let (Some(a), Some(b)) = (dawn, dusk) {
        DayLight::Events(a.timestamp(), b.timestamp())
    } else {
        // No civil twilight event: decide by the sun's noon elevation
        // (declination from the standard approximation).
        let doy = f64::from(date.ordinal());
        let decl = -23.44 * ((360.0 / 365.0) * (doy + 10.0)).to_radians().cos();
        let noon_elevation = 90.0 - (lat - decl).abs();
        if noon_elevation < -6.0 {
            DayLight::AlwaysDark
        } else {
            DayLight::AlwaysLight
        }
    }
}

/// A time dimension that incidents can be binned by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Local hour-of-day bucket ([`HourBuckets`]).
    Hour,
    /// Weekday or weekend.
    DayType,
    /// Day of the week, Monday first.
    Weekday,
    /// Local calendar month.
    Month,
    /// Season ([`Seasons`]).
    Season,
    /// Dark (sun below civil twilight) or light.
    Darkness,
}

impl Dimension {
    /// Parses `hour`, `daytype`, `weekday`, `month`, `season`, `darkness`.
    ///
    /// # Errors
    /// [`Error::Parameter`] for any other name.
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "hour" | "hours" => Dimension::Hour,
            "daytype" | "day_type" | "weekend" => Dimension::DayType,
            "weekday" | "dow" => Dimension::Weekday,
            "month" => Dimension::Month,
            "season" => Dimension::Season,
            "darkness" | "dark" => Dimension::Darkness,
            other => {
                return Err(Error::parameter(
                    "time dimension",
                    format!("{other:?}; use hour, daytype, weekday, month, season or darkness"),
                ));
            }
        })
    }
}

/// A combination of time dimensions (possibly none: one bin, `all`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BinSpec {
    dims: Vec<Dimension>,
}

impl BinSpec {
    /// All time in one bin.
    #[must_use]
    pub fn all() -> Self {
        Self::default()
    }

    /// The cross product of `dims` (duplicates removed, order kept).
    #[must_use]
    pub fn of(dims: &[Dimension]) -> Self {
        let mut out = Vec::new();
        for d in dims {
            if !out.contains(d) {
                out.push(*d);
            }
        }
        Self { dims: out }
    }

    /// The dimensions.
    #[must_use]
    pub fn dims(&self) -> &[Dimension] {
        &self.dims
    }

    /// Whether darkness is one of the dimensions.
    #[must_use]
    pub fn uses_darkness(&self) -> bool {
        self.dims.contains(&Dimension::Darkness)
    }
}

/// Maps local time to bins. Configure the hour buckets, seasons and weekend
/// days once; every analysis uses the same binning.
///
/// ```
/// use byrum::{BinSpec, Dimension, TimeBinning, Period, parse_zone};
/// let tz = parse_zone("Europe/Copenhagen")?;
/// let binning = TimeBinning::default(); // 3-hour buckets, meteorological seasons
/// let spec = BinSpec::of(&[Dimension::Hour]);
/// let year = Period::local_dates(tz, "2018-01-01".parse().unwrap(), "2018-12-31".parse().unwrap())?;
/// let hours = binning.exposure(&spec, &year, tz, (9.92, 57.05));
/// assert_eq!(hours.iter().sum::<f64>(), 8760.0);
/// // 00-03 has one hour less (spring forward) and one more (fall back) than 3 × 365.
/// assert_eq!(hours[0], 3.0 * 365.0);
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct TimeBinning {
    /// Hour-of-day buckets (default: 3-hour buckets).
    pub hours: HourBuckets,
    /// Seasons (default: meteorological).
    pub seasons: Seasons,
    /// Weekend days (default: Saturday and Sunday).
    #[serde(serialize_with = "ser_weekend")]
    pub weekend: Vec<Weekday>,
}

fn ser_weekend<S: serde::Serializer>(w: &[Weekday], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(w.iter().map(ToString::to_string))
}

impl Default for TimeBinning {
    fn default() -> Self {
        Self {
            hours: HourBuckets::every(3).unwrap_or_else(|_| unreachable!("3 divides 24")),
            seasons: Seasons::meteorological(),
            weekend: vec![Weekday::Sat, Weekday::Sun],
        }
    }
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// A local time broken into what bins need.
#[derive(Debug, Clone, Copy)]
struct LocalParts {
    hour: u32,
    weekday: usize,
    month: u32,
    dark: bool,
}

impl TimeBinning {
    /// The number of bins of `dim`.
    #[must_use]
    pub fn dim_len(&self, dim: Dimension) -> usize {
        match dim {
            Dimension::Hour => self.hours.len(),
            Dimension::DayType | Dimension::Darkness => 2,
            Dimension::Weekday => 7,
            Dimension::Month => 12,
            Dimension::Season => self.seasons.names.len(),
        }
    }

    /// The label of bin `i` of `dim`.
    #[must_use]
    pub fn dim_label(&self, dim: Dimension, i: usize) -> String {
        match dim {
            Dimension::Hour => self.hours.name(i).to_owned(),
            Dimension::DayType => ["weekday", "weekend"][i].to_owned(),
            Dimension::Weekday => WEEKDAYS[i].to_owned(),
            Dimension::Month => MONTHS[i].to_owned(),
            Dimension::Season => self.seasons.names[i].clone(),
            Dimension::Darkness => ["light", "dark"][i].to_owned(),
        }
    }

    /// The number of bins of a spec (the product of its dimensions' sizes).
    #[must_use]
    pub fn bin_count(&self, spec: &BinSpec) -> usize {
        spec.dims.iter().map(|&d| self.dim_len(d)).product()
    }

    /// The label of combined bin `bin`: dimension labels joined by `_`
    /// (`21-24_summer`), or `all` for a spec without dimensions.
    #[must_use]
    pub fn label(&self, spec: &BinSpec, bin: usize) -> String {
        if spec.dims.is_empty() {
            return "all".to_owned();
        }
        let mut rest = bin;
        let mut parts = Vec::with_capacity(spec.dims.len());
        for &d in spec.dims.iter().rev() {
            let n = self.dim_len(d);
            parts.push(self.dim_label(d, rest % n));
            rest /= n;
        }
        parts.reverse();
        parts.join("_")
    }

    /// All labels of a spec, in bin order.
    #[must_use]
    pub fn labels(&self, spec: &BinSpec) -> Vec<String> {
        (0..self.bin_count(spec))
            .map(|b| self.label(spec, b))
            .collect()
    }

    fn index_of(&self, dim: Dimension, p: &LocalParts) -> usize {
        match dim {
            Dimension::Hour => self.hours.bucket_of(p.hour),
            Dimension::DayType => {
                let wd = Weekday::try_from(p.weekday as u8).unwrap_or(Weekday::Mon);
                usize::from(self.weekend.contains(&wd))
            }
            Dimension::Weekday => p.weekday,
            Dimension::Month => (p.month - 1) as usize,
            Dimension::Season => self.seasons.season_of(p.month),
            Dimension::Darkness => usize::from(p.dark),
        }
    }

    fn combine(&self, spec: &BinSpec, p: &LocalParts) -> usize {
        spec.dims
            .iter()
            .fold(0, |acc, &d| acc * self.dim_len(d) + self.index_of(d, p))
    }

    /// The bin of one instant at a place (the place matters only for darkness).
    pub fn bin_of(
        &self,
        spec: &BinSpec,
        instant: Instant,
        lon: f64,
        lat: f64,
        darkness: &mut Darkness,
    ) -> usize {
        let local = instant.local();
        let dark = spec.uses_darkness() && darkness.is_dark(instant.utc, lon, lat);
        let parts = LocalParts {
            hour: local.hour(),
            weekday: local.weekday().num_days_from_monday() as usize,
            month: local.month(),
            dark,
        };
        self.combine(spec, &parts)
    }

    /// The bin of every incident, computed in parallel.
    #[must_use]
    pub fn assign(
        &self,
        spec: &BinSpec,
        utc: &[i64],
        offset: &[i32],
        lon: &[f64],
        lat: &[f64],
    ) -> Vec<u32> {
        use rayon::prelude::*;
        (0..utc.len())
            .into_par_iter()
            .with_min_len(4096)
            .map_init(Darkness::new, |dk, i| {
                self.bin_of(
                    spec,
                    Instant {
                        utc: utc[i],
                        offset: offset[i],
                    },
                    lon[i],
                    lat[i],
                    dk,
                ) as u32
            })
            .collect()
    }

    /// The real hours each bin of `spec` covers in `period`, in local time of
    /// `zone`; darkness at `at` (longitude, latitude), usually the study area's
    /// centre. Sums to the period's length in hours.
    #[must_use]
    pub fn exposure(&self, spec: &BinSpec, period: &Period, zone: Tz, at: (f64, f64)) -> Vec<f64> {
        self.exposure_when(spec, period, zone, at, |_| true)
    }

    /// Like [`TimeBinning::exposure`], counting only the quarter hours
    /// (aligned to whole local quarters) whose start satisfies `when`, e.g.
    /// the hours a service is open in each bin. A schedule that changes state
    /// off a quarter hour (10:10) is counted to the quarter.
    ///
    /// ```
    /// use byrum::*;
    /// let tz = parse_zone("Europe/Copenhagen")?;
    /// let period = Period::local_dates(tz, "2024-03-04".parse().unwrap(), "2024-03-10".parse().unwrap())?;
    /// let s = Schedule::parse("Mo-Fr 08:00-16:00", Some("DK")).unwrap();
    /// let spec = BinSpec::of(&[Dimension::Hour]);
    /// let b = TimeBinning { hours: HourBuckets::every(8)?, ..TimeBinning::default() };
    /// let open = b.exposure_when(&spec, &period, tz, (9.92, 57.05), |t| s.is_open_at(t, tz));
    /// assert_eq!(open, vec![0.0, 40.0, 0.0]); // 5 days × 8 h, all in 08-16
    /// # Ok::<(), byrum::Error>(())
    /// ```
    #[must_use]
    pub fn exposure_when(
        &self,
        spec: &BinSpec,
        period: &Period,
        zone: Tz,
        at: (f64, f64),
        when: impl Fn(i64) -> bool,
    ) -> Vec<f64> {
        let mut seconds = vec![0i64; self.bin_count(spec)];
        let mut darkness = Darkness::new();
        // Local bin boundaries fall on whole local hours; offsets are multiples
        // of 15 minutes, so 15-minute UTC steps aligned to the epoch never cross
        // a boundary other than darkness, which is split exactly.
        let step = 900;
        let mut t = period.start.div_euclid(step) * step;
        while t < period.end {
            let from = t.max(period.start);
            let to = (t + step).min(period.end);
            if !when(from) {
                t += step;
                continue;
            }
            let instant = Instant {
                utc: from,
                offset: offset_at(zone, from),
            };
            let local = instant.local();
            let mut parts = LocalParts {
                hour: local.hour(),
                weekday: local.weekday().num_days_from_monday() as usize,
                month: local.month(),
                dark: false,
            };
            if spec.uses_darkness() {
                let dark = darkness.dark_seconds(from, to, at.0, at.1);
                parts.dark = true;
                seconds[self.combine(spec, &parts)] += dark;
                parts.dark = false;
                seconds[self.combine(spec, &parts)] += (to - from) - dark;
            } else {
                seconds[self.combine(spec, &parts)] += to - from;
            }
            t += step;
        }
        seconds
            .into_iter()
            .map(|s| s as f64 / HOUR as f64)
            .collect()
    }
}

/// A half-open analysis period `[start, end)` in UTC seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// First second (UTC).
    pub start: i64,
    /// One past the last second (UTC).
    pub end: i64,
}

/// The spans of constant UTC offset of `zone` covering `[start, end)`:
/// `(from, to, offset)` in UTC seconds, in order. Changes are found day by
/// day and then to the second, so zones that change more than once a day
/// are not followed within that day.
pub(crate) fn offset_segments(zone: Tz, start: i64, end: i64) -> Vec<(i64, i64, i32)> {
    let mut out = Vec::new();
    if start >= end {
        return out;
    }
    let mut from = start;
    let mut offset = offset_at(zone, start);
    let mut t = start;
    while t < end {
        let next = (t + 86_400).min(end);
        let o = offset_at(zone, next.min(end - 1));
        if o != offset {
            // The first second with the new offset lies in (t, next].
            let (mut lo, mut hi) = (t, next.min(end - 1));
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_at(zone, mid) == offset {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push((from, hi, offset));
            from = hi;
            offset = o;
        }
        t = next;
    }
    out.push((from, end, offset));
    out
}

/// The local calendar date of the UTC second `utc` in `zone`.
pub(crate) fn local_date(zone: Tz, utc: i64) -> NaiveDate {
    DateTime::from_timestamp(utc, 0)
        .unwrap_or_default()
        .with_timezone(&zone)
        .date_naive()
}

impl Period {
    /// From local midnight of `first` to local midnight after `last` in `zone`.
    ///
    /// # Errors
    /// [`Error::Parameter`] if `last` is before `first`.
    pub fn local_dates(zone: Tz, first: NaiveDate, last: NaiveDate) -> Result<Self> {
        if last < first {
            return Err(Error::parameter(
                "period",
                format!("{last} is before {first}"),
            ));
        }
        let start = local_midnight(zone, first);
        let end = local_midnight(zone, last.succ_opt().unwrap_or(last));
        Ok(Self { start, end })
    }

    /// Whole local days from the earliest to the latest instant.
    ///
    /// # Errors
    /// [`Error::Parameter`] if `utc` is empty.
    pub fn covering(zone: Tz, utc: &[i64]) -> Result<Self> {
        let (Some(&lo), Some(&hi)) = (utc.iter().min(), utc.iter().max()) else {
            return Err(Error::parameter(
                "period",
                "there are no timestamps to take a period from",
            ));
        };
        Self::local_dates(zone, local_date(zone, lo), local_date(zone, hi))
    }

    /// The length in hours.
    #[must_use]
    pub fn hours(&self) -> f64 {
        (self.end - self.start) as f64 / HOUR as f64
    }

    /// Whether an instant lies in the period.
    #[must_use]
    pub fn contains(&self, utc: i64) -> bool {
        (self.start..self.end).contains(&utc)
    }

    /// The first and last local dates, for reports.
    #[must_use]
    pub fn describe(&self, zone: Tz) -> (String, String) {
        (
            local_date(zone, self.start).to_string(),
            local_date(zone, self.end - 1).to_string(),
        )
    }
}

/// The UTC instant of local midnight (or the first local instant of the day
/// where midnight is skipped).
fn local_midnight(zone: Tz, date: NaiveDate) -> i64 {
    let mut ndt = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..8 {
        match zone.from_local_datetime(&ndt) {
            LocalResult::Single(dt) => return dt.timestamp(),
            LocalResult::Ambiguous(a, b) => return a.timestamp().min(b.timestamp()),
            LocalResult::None => ndt += chrono::Duration::minutes(15),
        }
    }
    Utc.from_utc_datetime(&ndt).timestamp()
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exposure hours are exact sums of whole quarter-hours
mod tests {
    use super::*;

    fn cph() -> Tz {
        parse_zone("Europe/Copenhagen").unwrap()
    }

    #[test]
    fn dst_days() {
        let p = TimestampParser::new().zone(cph());
        assert_eq!(
            p.parse("2018-03-25T02:30:00").unwrap_err(),
            TimeProblem::Nonexistent
        );
        assert_eq!(
            p.parse("2018-03-25 02:00").unwrap_err(),
            TimeProblem::Nonexistent
        );
        let a = p.parse("2018-10-28 02:30").unwrap();
        assert!(a.resolved_ambiguity);
        let later = TimestampParser::new()
            .zone(cph())
            .ambiguity(Ambiguity::Later)
            .parse("2018-10-28 02:30")
            .unwrap();
        assert_eq!(later.instant.utc - a.instant.utc, 3600);
        let rej = TimestampParser::new()
            .zone(cph())
            .ambiguity(Ambiguity::Reject);
        assert_eq!(
            rej.parse("2018-10-28 02:30").unwrap_err(),
            TimeProblem::Ambiguous
        );
        assert!(!p.parse("2018-10-28 03:00").unwrap().resolved_ambiguity);
    }

    #[test]
    fn formats() {
        let p = TimestampParser::new();
        assert_eq!(
            p.parse("2017-01-01 00:00:42-06:00").unwrap().instant.utc,
            1_483_250_442
        );
        assert_eq!(
            p.parse("2017-01-01T06:00:42Z").unwrap().instant.utc,
            1_483_250_442
        );
        assert_eq!(
            p.parse("2017-01-01T06:00:42").unwrap_err(),
            TimeProblem::NoZone
        );
        assert_eq!(p.parse("yesterday").unwrap_err(), TimeProblem::Unparseable);
        assert_eq!(p.parse("").unwrap_err(), TimeProblem::Unparseable);
        let dk = TimestampParser::new().zone(cph()).format("%d-%m-%Y %H:%M");
        let t = dk.parse("14-07-2023 21:37").unwrap().instant;
        assert_eq!(t.local().to_string(), "2023-07-14 21:37:00");
        assert_eq!(t.offset, 7200);
    }

    #[test]
    fn buckets_validate() {
        assert!(HourBuckets::every(5).is_err());
        assert!(HourBuckets::named(&[]).is_err());
        assert!(HourBuckets::named(&[("a", 1), ("b", 1)]).is_err());
        assert!(HourBuckets::named(&[("a", 24)]).is_err());
        let b = HourBuckets::named(&[("day", 6), ("night", 18)]).unwrap();
        assert_eq!(b.hours_of(1).len(), 12);
        assert_eq!(b.bucket_of(5), 1);
    }

    #[test]
    fn seasons() {
        let s = Seasons::meteorological();
        assert_eq!(s.names()[s.season_of(12)], "winter");
        assert_eq!(s.names()[s.season_of(6)], "summer");
        assert!(Seasons::from_months(&[("a", &[1, 2, 3])]).is_err());
        let two = Seasons::from_months(&[
            ("dark", &[10, 11, 12, 1, 2, 3]),
            ("light", &[4, 5, 6, 7, 8, 9]),
        ])
        .unwrap();
        assert_eq!(two.season_of(11), 0);
    }

    #[test]
    fn labels_are_row_major() {
        let b = TimeBinning::default();
        let spec = BinSpec::of(&[Dimension::Hour, Dimension::Season]);
        assert_eq!(b.bin_count(&spec), 32);
        assert_eq!(b.label(&spec, 0), "00-03_winter");
        assert_eq!(b.label(&spec, 31), "21-24_autumn");
        assert_eq!(b.label(&BinSpec::all(), 0), "all");
    }

    #[test]
    fn exposure_of_dst_year() {
        let b = TimeBinning {
            hours: HourBuckets::hourly(),
            ..TimeBinning::default()
        };
        let year = Period::local_dates(
            cph(),
            "2018-01-01".parse().unwrap(),
            "2018-12-31".parse().unwrap(),
        )
        .unwrap();
        let h = b.exposure(&BinSpec::of(&[Dimension::Hour]), &year, cph(), (9.9, 57.0));
        assert_eq!(h.iter().sum::<f64>(), 8760.0);
        // Local 02:00-03:00 is skipped once and repeated once: 365 in all.
        assert_eq!(h[2], 365.0);
        let months = b.exposure(&BinSpec::of(&[Dimension::Month]), &year, cph(), (9.9, 57.0));
        assert_eq!(months[2], 31.0 * 24.0 - 1.0); // March loses an hour
        assert_eq!(months[9], 31.0 * 24.0 + 1.0); // October gains one
        let dark = b.exposure(
            &BinSpec::of(&[Dimension::Darkness]),
            &year,
            cph(),
            (9.9, 57.0),
        );
        assert_eq!(dark[0] + dark[1], 8760.0);
        assert!(dark[1] > 3000.0 && dark[1] < 4400.0, "{dark:?}");
    }

    #[test]
    fn darkness_midsummer_and_midwinter() {
        let mut d = Darkness::new();
        // Aalborg, 21 June 2023: light at 12:00 UTC; dark at 23:00 UTC, since the
        // sun sinks to about −9.6° at 57°N, below civil twilight.
        assert!(!d.is_dark(1_687_348_800, 9.92, 57.05));
        assert!(d.is_dark(1_687_388_400, 9.92, 57.05));
        // Tromsø at midsummer: never dark (no civil dusk event).
        assert!(!d.is_dark(1_687_388_400, 18.96, 69.65));
        // Longyearbyen at midwinter noon: polar night, dark (no civil dawn event).
        assert!(d.is_dark(1_703_160_000, 15.6, 78.2));
    }
}

#[cfg(test)]
mod naive_fixed_tests {
    use super::*;
    use proptest::prelude::*;

    /// The general parser, as `parse` used it for every row before the fast path.
    fn chrono_naive(s: &str) -> Option<NaiveDateTime> {
        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    }

    #[test]
    fn fixed_layout_edge_cases_agree_with_chrono() {
        assert!(naive_fixed(b"2024-02-29T23:59:59").is_some());
        assert!(naive_fixed(b"2024-02-29 00:00:00").is_some());
        assert!(naive_fixed(b"2016-12-31T23:59:60").is_none());
        for s in [
            "2024-02-29T23:59:59",
            "2023-02-29T10:00:00",
            "2023-13-01T10:00:00",
            "2023-12-31 24:00:00",
            "2023-12-31T23:60:00",
            "2016-12-31T23:59:60",
            "0000-01-01T00:00:00",
            "2023-1-01T10:00:000",
            "2023-01-01t10:00:00",
            "2023-01-01T10:00:0a",
            "+023-01-01T10:00:00",
        ] {
            // Where the fast path declines, the general formats decide, as before.
            if let Some(fast) = naive_fixed(s.as_bytes()) {
                assert_eq!(Some(fast), chrono_naive(s), "{s}");
            }
        }
    }

    proptest! {
        #[test]
        fn fixed_layout_agrees_with_chrono(
            y in 0u32..10000, mo in 0u32..14, d in 0u32..33,
            h in 0u32..26, mi in 0u32..62, sec in 0u32..62,
            sep in prop::sample::select(vec!['T', ' ', 't', '_']),
        ) {
            let s = format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{sec:02}");
            let fast = naive_fixed(s.as_bytes());
            let slow = chrono_naive(&s);
            if let Some(f) = fast {
                prop_assert_eq!(Some(f), slow);
            } else if sec < 60 && matches!(sep, 'T' | ' ') {
                prop_assert_eq!(slow, None);
            }
        }
    }
}
