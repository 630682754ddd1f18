//! The data model: places, services, incidents (columnar) and routes.
//!
//! Geometries are kept in WGS84 longitude/latitude, as read; the
//! [`SpatialIndex`](crate::SpatialIndex) holds their projected copies.

use std::collections::BTreeMap;
use std::collections::HashMap;

use chrono_tz::Tz;
use geo::{LineString, MultiPolygon, Point};
use opening_hours::OpeningHours;
use serde::Serialize;

use crate::time::{Instant, Period, offset_at, offset_segments};

/// Free attributes of a place or service, as read (lighting, benches, …).
pub type Attributes = BTreeMap<String, serde_json::Value>;

/// What kind of public space a place is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    /// A square or plaza (`place=square`).
    Square,
    /// A park or green (`leisure=park`).
    Park,
    /// A pedestrian street or area (`highway=pedestrian`).
    Street,
    /// Anything else, by its given name.
    Other(String),
}

impl PlaceKind {
    /// Parses a kind name (`square`, `park`, …).
    #[must_use]
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "square" | "plaza" | "torv" | "plads" => PlaceKind::Square,
            "park" | "garden" | "green" | "lund" => PlaceKind::Park,
            "street" | "pedestrian" | "gade" => PlaceKind::Street,
            other => PlaceKind::Other(other.to_owned()),
        }
    }

    /// The kind as a string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            PlaceKind::Square => "square",
            PlaceKind::Park => "park",
            PlaceKind::Street => "street",
            PlaceKind::Other(s) => s,
        }
    }
}

/// A square, park or other public space.
#[derive(Debug, Clone)]
pub struct Place {
    /// Stable identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Outline (WGS84).
    pub geometry: MultiPolygon,
    /// Square, park, ….
    pub kind: PlaceKind,
    /// Free attributes: lighting, benches, planting, toilets, ….
    pub attributes: Attributes,
}

/// What a service is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// Varmestue: a warm room, usually evenings and nights in winter.
    WarmingRoom,
    /// Værested: a drop-in day centre.
    DropInCentre,
    /// Herberg / forsorgshjem / night shelter.
    Shelter,
    /// Sundhedsrum / health room / clinic for the target groups.
    HealthRoom,
    /// Public toilet.
    Toilet,
    /// Outreach base (gadeplan / street team).
    Outreach,
    /// Anything else, by its given name (e.g. `greenlandic_house`).
    Other(String),
}

impl ServiceKind {
    /// Parses a kind name, including common synonyms and Danish names.
    #[must_use]
    pub fn parse(s: &str) -> Self {
        let k = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        match k.as_str() {
            "warming_room" | "varmestue" | "warm_room" => ServiceKind::WarmingRoom,
            "drop_in_centre" | "drop_in_center" | "drop_in" | "vaerested" | "værested"
            | "day_care" | "day_centre" => ServiceKind::DropInCentre,
            "shelter" | "herberg" | "forsorgshjem" | "natcafe" | "night_shelter" => {
                ServiceKind::Shelter
            }
            "health_room" | "sundhedsrum" | "clinic" | "health" => ServiceKind::HealthRoom,
            "toilet" | "toilets" => ServiceKind::Toilet,
            "outreach" | "gadeplan" | "street_team" => ServiceKind::Outreach,
            _ => ServiceKind::Other(k),
        }
    }

    /// The kind as a string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            ServiceKind::WarmingRoom => "warming_room",
            ServiceKind::DropInCentre => "drop_in_centre",
            ServiceKind::Shelter => "shelter",
            ServiceKind::HealthRoom => "health_room",
            ServiceKind::Toilet => "toilet",
            ServiceKind::Outreach => "outreach",
            ServiceKind::Other(s) => s,
        }
    }
}

/// Parsed OSM `opening_hours`, evaluated in a zone with that country's public
/// holidays (`PH`). Equal when text and holidays are.
#[derive(Clone, PartialEq, Eq)]
pub struct Schedule {
    text: String,
    hours: OpeningHours,
}

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Schedule({:?})", self.text)
    }
}

impl Schedule {
    /// Parses an OSM `opening_hours` value; public holidays are those of
    /// `country` (ISO 3166 alpha-2, e.g. `DK`), if known to the
    /// `opening-hours` crate.
    ///
    /// # Errors
    /// The parser's message if the text is not valid `opening_hours` syntax.
    ///
    /// ```
    /// use byrum::Schedule;
    /// let s = Schedule::parse("Mo-Fr 09:00-15:00; PH off", Some("DK")).unwrap();
    /// let tz = byrum::parse_zone("Europe/Copenhagen")?;
    /// let mon = "2024-03-04T10:00:00+01:00".parse::<chrono::DateTime<chrono::FixedOffset>>().unwrap();
    /// assert!(s.is_open_at(mon.timestamp(), tz));
    /// let easter_monday = "2024-04-01T10:00:00+02:00".parse::<chrono::DateTime<chrono::FixedOffset>>().unwrap();
    /// assert!(!s.is_open_at(easter_monday.timestamp(), tz));
    /// # Ok::<(), byrum::Error>(())
    /// ```
    pub fn parse(text: &str, country: Option<&str>) -> Result<Self, String> {
        // The opening-hours parser (2.1) panics on some malformed text
        // (found by fuzzing: ":2:05-07:24/24:00"); a bad value must be an error.
        let mut hours = std::panic::catch_unwind(|| text.trim().parse::<OpeningHours>())
            .map_err(|_| "the opening_hours parser failed on this text".to_owned())?
            .map_err(|e| e.to_string())?;
        if let Some(code) = country
            && let Ok(c) = code.parse::<opening_hours::localization::Country>()
        {
            hours =
                hours.with_context(opening_hours::Context::default().with_holidays(c.holidays()));
        }
        Ok(Self {
            text: text.trim().to_owned(),
            hours,
        })
    }

    /// The text as written.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The UTC intervals `[start, end)` within `period` in which the schedule
    /// says open in local time of `zone`, sorted and merged: `t` lies in one
    /// exactly when [`Schedule::is_open_at`]`(t, zone)`. Daylight saving time
    /// is followed: a night opening over the autumn change is an hour longer
    /// in real time, over the spring change an hour shorter.
    #[must_use]
    pub fn open_intervals(&self, period: &Period, zone: Tz) -> Vec<(i64, i64)> {
        let segments = offset_segments(zone, period.start, period.end);
        let (Some(lo), Some(hi)) = (
            segments.iter().map(|s| s.0 + i64::from(s.2)).min(),
            segments.iter().map(|s| s.1 + i64::from(s.2)).max(),
        ) else {
            return Vec::new();
        };
        let naive = |t: i64| chrono::DateTime::from_timestamp(t, 0).map(|d| d.naive_utc());
        let (Some(from), Some(to)) = (naive(lo), naive(hi)) else {
            return Vec::new();
        };
        let mut out: Vec<(i64, i64)> = Vec::new();
        for r in self.hours.iter_range(from, to) {
            if r.kind != opening_hours::RuleKind::Open {
                continue;
            }
            let a = r.range.start.and_utc().timestamp();
            let b = r.range.end.and_utc().timestamp();
            for &(s, e, o) in &segments {
                let o = i64::from(o);
                let (x, y) = (a.max(s + o) - o, b.min(e + o) - o);
                if x < y {
                    out.push((x, y));
                }
            }
        }
        out.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(out.len());
        for (a, b) in out {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        merged
    }

    /// Whether the schedule says open at the UTC instant, in local time of `zone`.
    #[must_use]
    pub fn is_open_at(&self, utc: i64, zone: Tz) -> bool {
        let local = Instant {
            utc,
            offset: offset_at(zone, utc),
        }
        .local();
        self.hours.is_open(local)
    }
}

/// A service: a warming room, drop-in centre, shelter, toilet, ….
#[derive(Debug, Clone)]
pub struct Service {
    /// Stable identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Location (WGS84).
    pub point: Point,
    /// What it is.
    pub kind: ServiceKind,
    /// Who it is for (`homeless`, `addiction`, …).
    pub target_groups: Vec<String>,
    /// Opening hours; `None` when unknown (then it is never counted as open).
    pub opening_hours: Option<Schedule>,
    /// Other attributes as read.
    pub attributes: Attributes,
}

/// What a route is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteKind {
    /// An outreach team's round.
    Outreach,
    /// A safety walk (tryghedsvandring).
    SafetyWalk,
    /// A typical route of the groups between places.
    Typical,
    /// Anything else.
    Other(String),
}

impl RouteKind {
    /// Parses a route kind.
    #[must_use]
    pub fn parse(s: &str) -> Self {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "outreach" | "gadeplan" => RouteKind::Outreach,
            "safety_walk" | "tryghedsvandring" => RouteKind::SafetyWalk,
            "typical" | "typical_route" => RouteKind::Typical,
            other => RouteKind::Other(other.to_owned()),
        }
    }

    /// The kind as a string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            RouteKind::Outreach => "outreach",
            RouteKind::SafetyWalk => "safety_walk",
            RouteKind::Typical => "typical_route",
            RouteKind::Other(s) => s,
        }
    }
}

/// A walked route: outreach round, safety walk or typical route.
#[derive(Debug, Clone)]
pub struct Route {
    /// Stable identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it is.
    pub kind: RouteKind,
    /// The line (WGS84).
    pub line: LineString,
    /// When it is walked, in `opening_hours` syntax, if known.
    pub schedule: Option<Schedule>,
}

/// A small dictionary of repeated strings (categories, groups), stored as codes.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    values: Vec<String>,
    codes: HashMap<String, u32, foldhash::fast::FixedState>,
}

impl Dictionary {
    /// The code of `value`, adding it if new.
    pub fn code(&mut self, value: &str) -> u32 {
        if let Some(&c) = self.codes.get(value) {
            return c;
        }
        let c = self.values.len() as u32;
        self.values.push(value.to_owned());
        self.codes.insert(value.to_owned(), c);
        c
    }

    /// The value of a code.
    #[must_use]
    pub fn value(&self, code: u32) -> &str {
        &self.values[code as usize]
    }

    /// All values, in code order.
    #[must_use]
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// The code of an existing value.
    #[must_use]
    pub fn get(&self, value: &str) -> Option<u32> {
        self.codes.get(value).copied()
    }
}

/// Keeps the elements of `v` whose `keep` flag is set (one flag per element).
pub(crate) fn retain_flagged<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut k = keep.iter();
    v.retain(|_| k.next().copied().unwrap_or(false));
}

/// Texts stored one after another in one buffer, with the end of each, as
/// in an Arrow string column: millions of short identifiers without a heap
/// allocation each.
///
/// ```
/// let mut ids = byrum::TextColumn::default();
/// ids.push("A-17");
/// ids.push("");
/// ids.push("B-2");
/// assert_eq!((ids.len(), &ids[0], &ids[1], &ids[2]), (3, "A-17", "", "B-2"));
/// assert_eq!(ids.iter().collect::<Vec<_>>(), ["A-17", "", "B-2"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextColumn {
    bytes: String,
    ends: Vec<usize>,
}

impl TextColumn {
    /// An empty column with room for `rows` texts of `bytes` bytes in all.
    #[must_use]
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        Self {
            bytes: String::with_capacity(bytes),
            ends: Vec::with_capacity(rows),
        }
    }

    /// The number of texts.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The bytes of all texts together.
    #[must_use]
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// Makes room for `rows` more texts of `bytes` more bytes in all.
    pub fn reserve(&mut self, rows: usize, bytes: usize) {
        self.bytes.reserve(bytes);
        self.ends.reserve(rows);
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Text `i`, if there is one.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.bytes.get(start..end)
    }

    /// Appends a text.
    pub fn push(&mut self, text: &str) {
        self.bytes.push_str(text);
        self.ends.push(self.bytes.len());
    }

    /// Appends all texts of `other`.
    pub fn extend_from(&mut self, other: &TextColumn) {
        let base = self.bytes.len();
        self.bytes.push_str(&other.bytes);
        self.ends.extend(other.ends.iter().map(|e| e + base));
    }

    /// The texts in order.
    #[must_use]
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| &self[i])
    }

    /// Keeps the texts whose `keep` flag is set (`keep` has one flag per text).
    pub fn retain_flags(&mut self, keep: &[bool]) {
        let mut out = TextColumn::with_capacity(self.len(), self.bytes.len());
        for (i, _) in keep.iter().enumerate().filter(|(_, k)| **k) {
            out.push(&self[i]);
        }
        *self = out;
    }
}

impl std::ops::Index<usize> for TextColumn {
    type Output = str;

    fn index(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
}

impl<'a> FromIterator<&'a str> for TextColumn {
    fn from_iter<T: IntoIterator<Item = &'a str>>(iter: T) -> Self {
        let mut c = TextColumn::default();
        for t in iter {
            c.push(t);
        }
        c
    }
}

/// Incidents, stored column by column (struct of arrays), because there are millions.
///
/// Row `i` of every column describes the same incident. Coordinates are kept
/// both as read (WGS84) and projected (`x`, `y` in metres of the data set's
/// [`Projection`](crate::Projection)).
#[derive(Debug, Clone, Default)]
pub struct Incidents {
    /// Identifiers (as read; `L<line>` where the file has none).
    pub id: TextColumn,
    /// Longitude (WGS84 degrees).
    pub lon: Vec<f64>,
    /// Latitude (WGS84 degrees).
    pub lat: Vec<f64>,
    /// Easting in metres.
    pub x: Vec<f64>,
    /// Northing in metres.
    pub y: Vec<f64>,
    /// UTC instant (seconds since the epoch).
    pub utc: Vec<i64>,
    /// Local UTC offset at the instant, seconds.
    pub offset: Vec<i32>,
    /// Category code into [`Incidents::categories`].
    pub category: Vec<u32>,
    /// Category names.
    pub categories: Dictionary,
    /// Group code into [`Incidents::groups`] (`u32::MAX` where none), if a group column was read.
    pub group: Option<Vec<u32>>,
    /// Group names.
    pub groups: Dictionary,
    /// Weight per incident, if a weight column was read (otherwise every incident weighs 1).
    pub weight: Option<Vec<f64>>,
    /// Line of the source file each incident came from (1-based; header is line 1).
    pub line: Vec<u64>,
}

impl Incidents {
    /// The number of incidents.
    #[must_use]
    pub fn len(&self) -> usize {
        self.utc.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.utc.is_empty()
    }

    /// The instant of incident `i`.
    #[must_use]
    pub fn instant(&self, i: usize) -> Instant {
        Instant {
            utc: self.utc[i],
            offset: self.offset[i],
        }
    }

    /// The weight of incident `i` (1 without a weight column).
    #[must_use]
    pub fn weight_of(&self, i: usize) -> f64 {
        self.weight.as_ref().map_or(1.0, |w| w[i])
    }

    /// Keeps the incidents whose `keep` flag is set (one flag per incident).
    pub(crate) fn retain(&mut self, keep: &[bool]) {
        self.id.retain_flags(keep);
        retain_flagged(&mut self.lon, keep);
        retain_flagged(&mut self.lat, keep);
        retain_flagged(&mut self.x, keep);
        retain_flagged(&mut self.y, keep);
        retain_flagged(&mut self.utc, keep);
        retain_flagged(&mut self.offset, keep);
        retain_flagged(&mut self.category, keep);
        retain_flagged(&mut self.line, keep);
        if let Some(g) = self.group.as_mut() {
            retain_flagged(g, keep);
        }
        if let Some(w) = self.weight.as_mut() {
            retain_flagged(w, keep);
        }
    }

    /// The category name of incident `i`.
    #[must_use]
    pub fn category_of(&self, i: usize) -> &str {
        self.categories.value(self.category[i])
    }
}
