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

use crate::time::{Instant, offset_at};

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
/// holidays (`PH`).
#[derive(Clone)]
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
    codes: HashMap<String, u32>,
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

/// Incidents, stored column by column (struct of arrays), because there are millions.
///
/// Row `i` of every column describes the same incident. Coordinates are kept
/// both as read (WGS84) and projected (`x`, `y` in metres of the data set's
/// [`Projection`](crate::Projection)).
#[derive(Debug, Clone, Default)]
pub struct Incidents {
    /// Identifiers.
    pub id: Vec<String>,
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

    /// The category name of incident `i`.
    #[must_use]
    pub fn category_of(&self, i: usize) -> &str {
        self.categories.value(self.category[i])
    }
}
