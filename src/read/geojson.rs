//! GeoJSON readers: places (squares, parks, pedestrian streets), services
//! (warming rooms, drop-in centres, toilets, …), walked routes, and the
//! polygons of a study area.
//!
//! The readers accept what planners actually export: a `FeatureCollection`,
//! a single `Feature` or a bare geometry, with the project's own property
//! names (`id`, `name`, `kind`, `opening_hours`, …) or plain OpenStreetMap
//! tags (`place=square`, `leisure=park`, `amenity=toilets`,
//! `social_facility=shelter`, `osm_type`/`osm_id`, `@id`, `name:fi`, …).
//!
//! A file that cannot be used at all (cannot be read, is not JSON, is not
//! GeoJSON, holds no features) is an [`Error`]. Otherwise every feature is one
//! row of the [`IngestReport`] — its `line` is the 1-based feature number —
//! and is either accepted (possibly with warnings) or rejected with one of
//! these reasons:
//!
//! | reason | meaning |
//! |---|---|
//! | `not_a_feature` | an entry of `features` is not a GeoJSON `Feature` object |
//! | `missing_geometry` | the feature has no geometry (`null` or absent) |
//! | `wrong_geometry_type` | e.g. a `LineString` where a place outline was expected |
//! | `invalid_geometry` | a coordinate that is not a number or is out of longitude/latitude range, a ring with fewer than 4 positions, a self-intersecting polygon, a line with fewer than 2 distinct positions |
//! | `duplicate_id` | the id was already used by an earlier accepted feature |
//!
//! Warnings on accepted features: `ring_closed` (a ring whose last position
//! did not repeat the first was closed), `point_from_area` (a service mapped
//! as an area is placed at a point inside it), `bad_opening_hours` (a
//! service's `opening_hours` could not be parsed; it is treated as never
//! open), `bad_schedule` (a route's `schedule` could not be parsed; it is
//! treated as unknown), `multilinestring_parts_dropped` (a route's parts do not
//! connect; only the longest is kept).

use std::collections::HashMap;
use std::path::Path;

use geo::algorithm::validation::{InvalidPolygon, RingRole};
use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::orient::{Direction, Orient};
use geo::{
    Coord, Haversine, InteriorPoint, Length, LineString, MultiPolygon, Point, Polygon, Validation,
};
use geo::{Intersections, PreparedGeometry, Relate, RemoveRepeatedPoints};
use geojson::{GeometryValue, Position};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::ingest::IngestReport;
use crate::model::{
    Attributes, Place, PlaceKind, Route, RouteKind, Schedule, Service, ServiceKind,
};

/// The GeoJSON geometry type names.
const GEOMETRY_TYPES: [&str; 7] = [
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
];

/// Name properties tried in order before falling back to the id.
const NAME_KEYS: [&str; 4] = ["name", "name:da", "name:en", "name:fi"];

/// Which layer a file holds; used for report kinds, generated ids and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Places,
    Services,
    Routes,
}

impl Layer {
    /// The report kind.
    fn kind(self) -> &'static str {
        match self {
            Layer::Places => "places",
            Layer::Services => "services",
            Layer::Routes => "routes",
        }
    }

    /// One feature of the layer, in words (also the prefix of generated ids).
    fn singular(self) -> &'static str {
        match self {
            Layer::Places => "place",
            Layer::Services => "service",
            Layer::Routes => "route",
        }
    }

    /// What a file of this layer should hold, for error messages.
    fn expected(self) -> &'static str {
        match self {
            Layer::Places => {
                "a GeoJSON FeatureCollection of places: one Feature per square, park or street, each with a Polygon or MultiPolygon outline"
            }
            Layer::Services => {
                "a GeoJSON FeatureCollection of services: one Feature per warming room, drop-in centre, shelter, toilet, …, each with a Point location"
            }
            Layer::Routes => {
                "a GeoJSON FeatureCollection of routes: one Feature per outreach round or walk, each with a LineString"
            }
        }
    }

    /// The geometry types accepted, for rejection messages.
    fn geometry_wanted(self) -> &'static str {
        match self {
            Layer::Places => "a Polygon or MultiPolygon outline",
            Layer::Services => "a Point (or a Polygon whose inside point is used)",
            Layer::Routes => "a LineString or MultiLineString",
        }
    }
}

/// Why one feature was rejected.
#[derive(Debug)]
struct Reject {
    reason: &'static str,
    detail: String,
}

impl Reject {
    fn new(reason: &'static str, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: detail.into(),
        }
    }
}

/// One feature, with its id, name, properties and parsed geometry.
struct Feat {
    /// 1-based feature number.
    n: u64,
    id: String,
    name: String,
    props: Map<String, Value>,
    geometry: GeometryValue,
    /// Warnings to record if the feature is accepted.
    warnings: Vec<(&'static str, String)>,
}

impl Feat {
    /// `place "Kildeparken"`: how messages name the feature.
    fn label(&self, layer: Layer) -> String {
        format!("{} {:?}", layer.singular(), self.name)
    }

    /// A rejection naming the feature.
    fn reject(&self, layer: Layer, reason: &'static str, problem: &str) -> Reject {
        Reject::new(reason, format!("{}: {problem}", self.label(layer)))
    }

    /// A property as trimmed, non-empty text.
    fn text(&self, key: &str) -> Option<String> {
        self.props.get(key).and_then(text_of)
    }

    /// A property as lowercase text (for OSM tag values).
    fn tag(&self, key: &str) -> Option<String> {
        self.text(key).map(|v| v.to_ascii_lowercase())
    }

    /// All properties except `skip`.
    fn attributes(&self, skip: &[&str]) -> Attributes {
        self.props
            .iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Reads the polygons of a GeoJSON text — a `FeatureCollection`, a `Feature`
/// or a bare geometry — as one multipolygon holding every `Polygon` and
/// `MultiPolygon` (including those inside a `GeometryCollection`); other
/// geometries and features without geometry are ignored. Rings that are not
/// closed are closed; exteriors are oriented counter-clockwise.
///
/// Used for study areas, so a polygon that cannot be used is an error rather
/// than a skipped row. An outline that crosses itself so that the area it
/// encloses is ambiguous (a bow-tie, a figure eight) is an error naming the
/// feature and a crossing point; unlike [`read_places`], crossings that
/// enclose less than 0.1 % of the area are accepted: official boundary files
/// often hold tiny loops (one of the Memphis police precincts crosses itself
/// over a few centimetres), and point-in-polygon tests still work on them.
/// The result is empty when the text holds no polygon.
///
/// # Errors
/// [`Error::Input`] if the text is not JSON or not GeoJSON, or if a polygon
/// has a coordinate that is not a longitude/latitude in degrees, a ring
/// with fewer than 4 positions, or an outline crossing itself.
pub(crate) fn read_polygons(path: &Path, text: &str) -> Result<MultiPolygon> {
    const EXPECTED: &str = "a GeoJSON FeatureCollection, Feature or geometry holding Polygon or MultiPolygon areas (longitude/latitude in degrees)";
    let features = parse_features(path, text, EXPECTED, true)?;
    let mut polygons = Vec::new();
    for (i, value) in features.iter().enumerate() {
        let n = i + 1;
        let Some(geometry) = value.get("geometry").filter(|g| !g.is_null()) else {
            continue;
        };
        if let Some(problem) = coordinate_json_problem(geometry.get("coordinates")) {
            return Err(Error::input(
                path,
                format!("feature {n}: {problem}; {EXPECTED} was expected"),
            ));
        }
        let geometry: geojson::Geometry =
            serde_json::from_value(geometry.clone()).map_err(|e| {
                Error::input(
                    path,
                    format!(
                        "feature {n}: the geometry cannot be read ({e}); {EXPECTED} was expected"
                    ),
                )
            })?;
        let before = polygons.len();
        collect_polygons(&geometry.value, &mut polygons).map_err(|problem| {
            Error::input(
                path,
                format!("feature {n}: {problem}; a study area needs polygons with at least 3 corners in longitude/latitude degrees"),
            )
        })?;
        for polygon in &polygons[before..] {
            if let Some(problem) = ambiguous_area(polygon) {
                let name = value
                    .get("properties")
                    .and_then(|p| NAME_KEYS.iter().find_map(|k| p.get(*k)))
                    .and_then(Value::as_str)
                    .map(|s| format!(" ({s:?})"))
                    .unwrap_or_default();
                return Err(Error::input(
                    path,
                    format!(
                        "feature {n}{name}: {problem}; redraw the study area so that its outline does not cross itself"
                    ),
                ));
            }
        }
    }
    Ok(MultiPolygon(polygons).orient(Direction::Default))
}

/// Says what is wrong if a polygon's outline crosses itself so that the area
/// it encloses is ambiguous: a "bow-tie" (corners in the wrong order) or a
/// figure eight, whose lobes cancel or double in the drawn area. Crossings
/// that enclose less than 0.1 % of the area (the centimetre loops of
/// official boundary files) are accepted.
fn ambiguous_area(polygon: &Polygon) -> Option<String> {
    use geo::{Area, BooleanOps};
    match area_problem(polygon, SWEEP_ABOVE)? {
        InvalidPolygon::SelfIntersection(_) => {}
        _ => return None,
    }
    // Shoelace area (lobes of opposite turn cancel) against the area of the
    // region the outline encloses (even-odd rule).
    let drawn = polygon.unsigned_area();
    let traced = polygon.union(&MultiPolygon::new(vec![])).unsigned_area();
    if (traced - drawn).abs() <= 1e-3 * traced.max(drawn) {
        return None;
    }
    let at = std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .find_map(|ring| {
            ring.lines()
                .collect::<Intersections<_>>()
                .find(|(a, b, _)| a.start != b.end && a.end != b.start)
                .map(|(_, _, x)| match x {
                    geo::LineIntersection::SinglePoint { intersection, .. } => intersection,
                    geo::LineIntersection::Collinear { intersection } => intersection.start,
                })
        });
    let place = at.map_or_else(String::new, |c| format!(" near {:.6}, {:.6}", c.x, c.y));
    Some(format!(
        "the outline crosses itself{place} (a \"bow-tie\": corners in the wrong order?), so the area it encloses is ambiguous"
    ))
}

/// Adds the polygons of `value` (recursing into collections) to `out`.
fn collect_polygons(
    value: &GeometryValue,
    out: &mut Vec<Polygon>,
) -> std::result::Result<(), String> {
    match value {
        GeometryValue::Polygon { .. } | GeometryValue::MultiPolygon { .. } => {
            let mut notes = Vec::new();
            out.extend(to_multipolygon(value, false, &mut notes)?.0);
        }
        GeometryValue::GeometryCollection { geometries } => {
            for g in geometries {
                collect_polygons(&g.value, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Reads places (squares, parks, pedestrian streets) from a GeoJSON file of
/// `Polygon` or `MultiPolygon` features (holes are kept).
///
/// Per feature: the id is `properties.id`, else the feature's `id`, else OSM
/// `@id` or `osm_type/osm_id`, else `place-<n>`; the name is `name`, else
/// `name:da`, `name:en`, `name:fi`, else the id; the kind is the `kind`
/// property ([`PlaceKind::parse`]), else derived from OSM tags (`place=square`,
/// `leisure=park`/`garden`, `highway=pedestrian`, otherwise the `leisure`,
/// `landuse`, `place`, `amenity` or `highway` value, else `unknown`). All other
/// properties become [`Place::attributes`]. Outlines are oriented with their
/// exterior counter-clockwise.
///
/// Each feature is one row of the returned report (`kind` `places`, `line` =
/// 1-based feature number); see the [module documentation](self) for the
/// rejection reasons and warnings.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Input`] if it is not
/// UTF-8 JSON, not GeoJSON, or a `FeatureCollection` without features.
pub fn read_places(path: &Path) -> Result<(Vec<Place>, IngestReport)> {
    read_layer(path, Layer::Places, |f| {
        let geometry = match &f.geometry {
            v @ (GeometryValue::Polygon { .. } | GeometryValue::MultiPolygon { .. }) => {
                let mut notes = Vec::new();
                let mp = to_multipolygon(v, true, &mut notes)
                    .map_err(|p| f.reject(Layer::Places, "invalid_geometry", &p))?;
                let label = f.label(Layer::Places);
                f.warnings.extend(
                    notes
                        .into_iter()
                        .map(|note| ("ring_closed", format!("{label}: {note}"))),
                );
                mp.orient(Direction::Default)
            }
            other => return Err(wrong_type(f, Layer::Places, other)),
        };
        Ok(Place {
            id: f.id.clone(),
            name: f.name.clone(),
            geometry,
            kind: place_kind(f),
            attributes: f.attributes(&["id", "name", "kind"]),
        })
    })
}

/// Reads services (warming rooms, drop-in centres, shelters, toilets, …) from
/// a GeoJSON file of `Point` features. A service mapped as an area (`Polygon`
/// or `MultiPolygon`, common in OpenStreetMap) is placed at a point inside the
/// area, with a `point_from_area` warning.
///
/// Per feature: id and name as for [`read_places`] (generated ids are
/// `service-<n>`); the kind is the `kind` property ([`ServiceKind::parse`]),
/// else derived from OSM tags (`social_facility=shelter` → shelter,
/// `=outreach` → outreach, `=day_care`/`drop_in` → drop-in centre,
/// `amenity=shelter` → `weather_shelter` (a roof against the rain, not a
/// night shelter), `amenity=toilets` → toilet, `amenity=clinic`/`doctors` or
/// any `healthcare` → health room, other `amenity=social_facility` →
/// `social_facility`, else the `amenity` value or `unknown`); target groups
/// are `target_groups` (split on `;` and `,`), else OSM `social_facility:for`
/// (split on `;`); `opening_hours` is parsed with [`Schedule::parse`] using
/// `country`'s public holidays (e.g. `Some("DK")`). An `opening_hours` that
/// cannot be parsed does not reject the service: it is kept with
/// `opening_hours: None` (never counted as open) and a `bad_opening_hours`
/// warning. All other properties become [`Service::attributes`].
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Input`] if it is not
/// UTF-8 JSON, not GeoJSON, or a `FeatureCollection` without features.
pub fn read_services(path: &Path, country: Option<&str>) -> Result<(Vec<Service>, IngestReport)> {
    read_layer(path, Layer::Services, |f| {
        let point = match &f.geometry {
            GeometryValue::Point { coordinates } => Point(
                to_coord(coordinates)
                    .map_err(|p| f.reject(Layer::Services, "invalid_geometry", &p))?,
            ),
            v @ (GeometryValue::Polygon { .. } | GeometryValue::MultiPolygon { .. }) => {
                let mut notes = Vec::new();
                let mp = to_multipolygon(v, true, &mut notes)
                    .map_err(|p| f.reject(Layer::Services, "invalid_geometry", &p))?;
                let point = mp.interior_point().ok_or_else(|| {
                    f.reject(
                        Layer::Services,
                        "invalid_geometry",
                        "the area has no inside point",
                    )
                })?;
                let label = f.label(Layer::Services);
                f.warnings.push((
                    "point_from_area",
                    format!(
                        "{label}: mapped as a {} rather than a Point; placed at {:.6}, {:.6} inside the area",
                        v.type_name(),
                        point.x(),
                        point.y()
                    ),
                ));
                point
            }
            other => return Err(wrong_type(f, Layer::Services, other)),
        };
        let opening_hours = match f.text("opening_hours") {
            None => None,
            Some(text) => match Schedule::parse(&text, country) {
                Ok(s) => Some(s),
                Err(err) => {
                    let name = &f.name;
                    f.warnings.push((
                        "bad_opening_hours",
                        format!(
                            "service {name}: opening_hours {text:?} could not be parsed ({err}); it is treated as never open"
                        ),
                    ));
                    None
                }
            },
        };
        Ok(Service {
            id: f.id.clone(),
            name: f.name.clone(),
            point,
            kind: service_kind(f),
            target_groups: target_groups(f),
            opening_hours,
            attributes: f.attributes(&["id", "name", "kind", "target_groups", "opening_hours"]),
        })
    })
}

/// Reads routes (outreach rounds, safety walks, typical routes) from a
/// GeoJSON file of `LineString` features. A `MultiLineString` whose parts
/// connect end to start is joined into one line; otherwise its longest part
/// is kept, with a `multilinestring_parts_dropped` warning.
///
/// Per feature: id and name as for [`read_places`] (generated ids are
/// `route-<n>`); the kind is the `kind` property ([`RouteKind::parse`]), else
/// `unknown`; `schedule` (when it is walked, in `opening_hours` syntax) is
/// parsed with [`Schedule::parse`] using `country`'s public holidays. A
/// schedule that cannot be parsed does not reject the route: it is kept with
/// `schedule: None` and a `bad_schedule` warning.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Input`] if it is not
/// UTF-8 JSON, not GeoJSON, or a `FeatureCollection` without features.
pub fn read_routes(path: &Path, country: Option<&str>) -> Result<(Vec<Route>, IngestReport)> {
    read_layer(path, Layer::Routes, |f| {
        let line = match &f.geometry {
            GeometryValue::LineString { coordinates } => {
                to_line(coordinates).map_err(|p| f.reject(Layer::Routes, "invalid_geometry", &p))?
            }
            GeometryValue::MultiLineString { coordinates } => {
                let (line, note) = join_parts(coordinates)
                    .map_err(|p| f.reject(Layer::Routes, "invalid_geometry", &p))?;
                if let Some(note) = note {
                    let label = f.label(Layer::Routes);
                    f.warnings
                        .push(("multilinestring_parts_dropped", format!("{label}: {note}")));
                }
                line
            }
            other => return Err(wrong_type(f, Layer::Routes, other)),
        };
        let schedule = match f.text("schedule") {
            None => None,
            Some(text) => match Schedule::parse(&text, country) {
                Ok(s) => Some(s),
                Err(err) => {
                    let name = &f.name;
                    f.warnings.push((
                        "bad_schedule",
                        format!(
                            "route {name}: schedule {text:?} could not be parsed ({err}); it is treated as unknown"
                        ),
                    ));
                    None
                }
            },
        };
        Ok(Route {
            id: f.id.clone(),
            name: f.name.clone(),
            kind: f.text("kind").map_or_else(
                || RouteKind::Other("unknown".to_owned()),
                |k| RouteKind::parse(&k),
            ),
            line,
            schedule,
        })
    })
}

/// Reads a layer file and turns every feature into a row: `build` makes the
/// item or says why not; duplicate ids are rejected here.
fn read_layer<T>(
    path: &Path,
    layer: Layer,
    mut build: impl FnMut(&mut Feat) -> std::result::Result<T, Reject>,
) -> Result<(Vec<T>, IngestReport)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::input(
            path,
            format!(
                "the file is not UTF-8 text ({e}); GeoJSON must be UTF-8. Expected {}",
                layer.expected()
            ),
        )
    })?;
    let features = parse_features(path, &text, layer.expected(), false)?;
    let mut report = IngestReport::new(path.display().to_string(), layer.kind());
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut items = Vec::with_capacity(features.len());
    for (i, value) in features.into_iter().enumerate() {
        let n = i as u64 + 1;
        let built = to_feat(n, value, layer).and_then(|mut f| build(&mut f).map(|item| (f, item)));
        let (f, item) = match built {
            Ok(x) => x,
            Err(r) => {
                report.reject(n, r.reason, r.detail);
                continue;
            }
        };
        if let Some(first) = seen.get(&f.id) {
            let detail = format!(
                "{}: id {:?} is already used by feature {first}; ids must be unique, so this one is skipped",
                f.label(layer),
                f.id
            );
            report.reject(n, "duplicate_id", detail);
            continue;
        }
        seen.insert(f.id.clone(), n);
        report.accept();
        for (kind, message) in f.warnings {
            report.warn(Some(f.n), kind, message);
        }
        items.push(item);
    }
    Ok((items, report))
}

/// Parses a GeoJSON text into its feature objects: the `features` of a
/// `FeatureCollection`, a single `Feature`, or a bare geometry wrapped as a
/// feature without properties.
fn parse_features(
    path: &Path,
    text: &str,
    expected: &str,
    allow_empty: bool,
) -> Result<Vec<Value>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(Error::input(
            path,
            format!("the file is empty; expected {expected}"),
        ));
    }
    let json = match serde_json::from_str::<Value>(text) {
        Ok(v) => v,
        Err(e) => {
            // Python and pandas write NaN/Infinity, which JSON does not allow;
            // read them as null so only the features holding them are rejected.
            match replace_non_finite(text).and_then(|t| serde_json::from_str::<Value>(&t).ok()) {
                Some(v) => v,
                None => {
                    return Err(Error::input(
                        path,
                        format!("this is not valid JSON ({e}); expected {expected}"),
                    ));
                }
            }
        }
    };
    let Value::Object(mut object) = json else {
        return Err(Error::input(
            path,
            format!(
                "this is JSON but not GeoJSON (the top level is not an object); expected {expected}"
            ),
        ));
    };
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    match kind.as_str() {
        "FeatureCollection" => {
            let Some(Value::Array(features)) = object.remove("features") else {
                return Err(Error::input(
                    path,
                    format!("this FeatureCollection has no \"features\" list; expected {expected}"),
                ));
            };
            if features.is_empty() && !allow_empty {
                return Err(Error::input(
                    path,
                    format!(
                        "this FeatureCollection has no features (it is empty); expected {expected}"
                    ),
                ));
            }
            Ok(features)
        }
        "Feature" => Ok(vec![Value::Object(object)]),
        t if GEOMETRY_TYPES.contains(&t) => {
            let mut feature = Map::new();
            feature.insert("type".to_owned(), Value::from("Feature"));
            feature.insert("geometry".to_owned(), Value::Object(object));
            Ok(vec![Value::Object(feature)])
        }
        "" => Err(Error::input(
            path,
            format!("this is JSON but not GeoJSON (it has no \"type\"); expected {expected}"),
        )),
        t => Err(Error::input(
            path,
            format!("this is JSON but not GeoJSON (its type is {t:?}); expected {expected}"),
        )),
    }
}

/// Replaces the non-JSON tokens `NaN`, `Infinity` and `-Infinity` outside
/// strings by `null`; `None` if there are none.
fn replace_non_finite(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut replaced = false;
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else {
            let token = ["-Infinity", "Infinity", "NaN"]
                .into_iter()
                .find(|t| rest.starts_with(t));
            if let Some(t) = token {
                out.push_str("null");
                rest = &rest[t.len()..];
                replaced = true;
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    replaced.then_some(out)
}

/// Turns one entry of `features` into a [`Feat`] with id, name and parsed
/// geometry, or says why it cannot be used.
fn to_feat(n: u64, value: Value, layer: Layer) -> std::result::Result<Feat, Reject> {
    let Value::Object(mut object) = value else {
        return Err(Reject::new(
            "not_a_feature",
            format!("feature {n} is not a JSON object; expected a GeoJSON Feature"),
        ));
    };
    match object.get("type").and_then(Value::as_str) {
        Some("Feature") => {}
        other => {
            return Err(Reject::new(
                "not_a_feature",
                format!(
                    "feature {n} has type {other:?}, not \"Feature\"; each entry of \"features\" must be a GeoJSON Feature"
                ),
            ));
        }
    }
    let props = match object.remove("properties") {
        Some(Value::Object(p)) => p,
        _ => Map::new(),
    };
    let id = props
        .get("id")
        .and_then(id_text)
        .or_else(|| object.get("id").and_then(id_text))
        .or_else(|| props.get("@id").and_then(id_text))
        .or_else(|| {
            let osm_id = props.get("osm_id").and_then(id_text)?;
            Some(match props.get("osm_type").and_then(id_text) {
                Some(t) => format!("{t}/{osm_id}"),
                None => osm_id,
            })
        })
        .unwrap_or_else(|| format!("{}-{n}", layer.singular()));
    let name = NAME_KEYS
        .iter()
        .find_map(|k| {
            props
                .get(*k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        })
        .map_or_else(|| id.clone(), str::to_owned);
    let label = format!("{} {name:?}", layer.singular());
    let geometry = match object.remove("geometry") {
        None | Some(Value::Null) => {
            return Err(Reject::new(
                "missing_geometry",
                format!(
                    "{label}: the feature has no geometry; expected {}",
                    layer.geometry_wanted()
                ),
            ));
        }
        Some(g) => g,
    };
    let geometry = parse_geometry(geometry).map_err(|(reason, problem)| {
        Reject::new(
            reason,
            format!("{label}: {problem}; expected {}", layer.geometry_wanted()),
        )
    })?;
    Ok(Feat {
        n,
        id,
        name,
        props,
        geometry,
        warnings: Vec::new(),
    })
}

/// Parses a geometry object with the `geojson` crate, after checking its type
/// name and that its coordinates are all numbers.
fn parse_geometry(geometry: Value) -> std::result::Result<GeometryValue, (&'static str, String)> {
    let type_name = geometry
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if !GEOMETRY_TYPES.contains(&type_name.as_str()) {
        return Err((
            "wrong_geometry_type",
            format!("the geometry type {type_name:?} is not a GeoJSON geometry type"),
        ));
    }
    if let Some(problem) = coordinate_json_problem(geometry.get("coordinates")) {
        return Err(("invalid_geometry", problem));
    }
    serde_json::from_value::<geojson::Geometry>(geometry)
        .map(|g| g.value)
        .map_err(|e| {
            (
                "invalid_geometry",
                format!("the {type_name} geometry cannot be read ({e})"),
            )
        })
}

/// Says what is wrong if a `coordinates` member holds something other than
/// nested arrays of numbers (e.g. `null` from a `NaN`, or text).
fn coordinate_json_problem(coordinates: Option<&Value>) -> Option<String> {
    match coordinates? {
        Value::Array(items) => items.iter().find_map(|v| coordinate_json_problem(Some(v))),
        Value::Number(_) => None,
        Value::Null => {
            Some("a coordinate is missing or not a number (NaN, Infinity or null)".to_owned())
        }
        Value::String(s) => Some(format!("a coordinate is the text {s:?}, not a number")),
        other => Some(format!("a coordinate is {other}, not a number")),
    }
}

/// A rejection for a geometry of the wrong type.
fn wrong_type(f: &Feat, layer: Layer, found: &GeometryValue) -> Reject {
    f.reject(
        layer,
        "wrong_geometry_type",
        &format!(
            "the geometry is a {}, but {} is expected",
            found.type_name(),
            layer.geometry_wanted()
        ),
    )
}

/// A position as a WGS84 coordinate, checked to be finite and in range.
fn to_coord(p: &Position) -> std::result::Result<Coord, String> {
    let &[x, y, ..] = p.as_slice() else {
        return Err(format!(
            "the position {:?} needs two numbers, longitude and latitude",
            p.as_slice()
        ));
    };
    if !x.is_finite() || !y.is_finite() {
        return Err(format!(
            "the position [{x}, {y}] is not a pair of finite numbers"
        ));
    }
    if !(-180.0..=180.0).contains(&x) {
        return Err(format!(
            "longitude {x} is outside -180…180 (coordinates must be WGS84 longitude, latitude in degrees)"
        ));
    }
    if !(-90.0..=90.0).contains(&y) {
        return Err(format!(
            "latitude {y} is outside -90…90 (coordinates must be WGS84 longitude, latitude in degrees, longitude first)"
        ));
    }
    Ok(Coord { x, y })
}

/// A polygon ring: coordinates checked, closed if only its last position is
/// missing (noted in `notes`), at least 4 positions.
fn to_ring(
    positions: &[Position],
    role: &str,
    notes: &mut Vec<String>,
) -> std::result::Result<LineString, String> {
    let mut coords = positions
        .iter()
        .map(to_coord)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    if coords.len() >= 3 && coords.first() != coords.last() {
        coords.push(coords[0]);
        notes.push(format!(
            "the {role} was not closed; its first position was repeated at its end"
        ));
    }
    if coords.len() < 4 {
        return Err(format!(
            "the {role} has {} positions; a polygon ring needs at least 4, the last repeating the first",
            positions.len()
        ));
    }
    Ok(LineString(coords))
}

/// A polygon from its rings (the first is the exterior, the rest holes),
/// checked to be a valid area (OGC rules: no self-intersection, holes inside)
/// when `validate`.
fn to_polygon(
    rings: &[Vec<Position>],
    what: &str,
    validate: bool,
    notes: &mut Vec<String>,
) -> std::result::Result<Polygon, String> {
    let Some((exterior, holes)) = rings.split_first() else {
        return Err(format!("the {what} has no rings"));
    };
    let exterior = to_ring(exterior, &format!("outer ring of the {what}"), notes)?;
    let holes = holes
        .iter()
        .enumerate()
        .map(|(i, h)| to_ring(h, &format!("hole {} of the {what}", i + 1), notes))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let polygon = Polygon::new(exterior, holes);
    if !validate {
        return Ok(polygon);
    }
    if let Some(e) = area_problem(&polygon, SWEEP_ABOVE) {
        return Err(format!(
            "the {what} is not a valid area: {e} (a ring must not cross or touch itself, and holes must lie inside the outer ring)"
        ));
    }
    Ok(polygon)
}

/// Polygons with more positions than this are checked with a sweep rather
/// than with `geo`'s [`Validation`], whose self-intersection test compares
/// every pair of segments (seconds for the 9,000-position rings of real
/// precinct boundaries).
const SWEEP_ABOVE: usize = 1024;

/// The first reason the polygon is not a valid area (OGC rules, as checked
/// by `geo`'s [`Validation`]), or `None`. Polygons of more than `sweep_above`
/// positions get the same checks, with their rings tested for
/// self-intersection by a sweep over the segments instead of all pairs.
fn area_problem(polygon: &Polygon, sweep_above: usize) -> Option<InvalidPolygon> {
    let rings = || std::iter::once(polygon.exterior()).chain(polygon.interiors());
    if rings().map(|r| r.0.len()).sum::<usize>() <= sweep_above {
        return polygon.check_validation().err();
    }
    let role = |i: usize| {
        if i == 0 {
            RingRole::Exterior
        } else {
            RingRole::Interior(i - 1)
        }
    };
    for (i, ring) in rings().enumerate() {
        if ring.remove_repeated_points().0.len() < 4 {
            return Some(InvalidPolygon::TooFewPointsInRing(role(i)));
        }
        // Segments that meet other than where one ends and the next begins
        // (the same rule as `geo`'s all-pairs test).
        let crossing = ring
            .lines()
            .collect::<Intersections<_>>()
            .any(|(a, b, _)| a.start != b.end && a.end != b.start);
        if crossing {
            return Some(InvalidPolygon::SelfIntersection(role(i)));
        }
    }
    let exterior = Polygon::new(polygon.exterior().clone(), vec![]);
    let exterior = PreparedGeometry::from(&exterior);
    let holes: Vec<Polygon> = polygon
        .interiors()
        .iter()
        .map(|r| Polygon::new(r.clone(), vec![]))
        .collect();
    for (i, hole) in holes.iter().enumerate() {
        let m = exterior.relate(hole);
        if !m.is_contains() {
            return Some(InvalidPolygon::InteriorRingNotContainedInExteriorRing(
                RingRole::Interior(i),
            ));
        }
        if m.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
            return Some(InvalidPolygon::IntersectingRingsOnALine(
                RingRole::Exterior,
                RingRole::Interior(i),
            ));
        }
        let prepared = PreparedGeometry::from(hole);
        for (j, other) in holes.iter().enumerate().skip(i + 1) {
            let m = prepared.relate(other);
            if m.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Some(InvalidPolygon::IntersectingRingsOnAnArea(
                    RingRole::Interior(i),
                    RingRole::Interior(j),
                ));
            }
            if m.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
                return Some(InvalidPolygon::IntersectingRingsOnALine(
                    RingRole::Interior(i),
                    RingRole::Interior(j),
                ));
            }
        }
    }
    None
}

/// A `Polygon` or `MultiPolygon` geometry as a multipolygon (of valid
/// polygons when `validate`).
fn to_multipolygon(
    value: &GeometryValue,
    validate: bool,
    notes: &mut Vec<String>,
) -> std::result::Result<MultiPolygon, String> {
    match value {
        GeometryValue::Polygon { coordinates } => Ok(MultiPolygon(vec![to_polygon(
            coordinates,
            "polygon",
            validate,
            notes,
        )?])),
        GeometryValue::MultiPolygon { coordinates } => {
            if coordinates.is_empty() {
                return Err("the MultiPolygon has no polygons".to_owned());
            }
            let many = coordinates.len() > 1;
            coordinates
                .iter()
                .enumerate()
                .map(|(i, rings)| {
                    let what = if many {
                        format!("polygon {}", i + 1)
                    } else {
                        "polygon".to_owned()
                    };
                    to_polygon(rings, &what, validate, notes)
                })
                .collect::<std::result::Result<Vec<_>, _>>()
                .map(MultiPolygon)
        }
        other => Err(format!("a {} is not an area", other.type_name())),
    }
}

/// Whether the coordinates hold at least two distinct positions.
fn has_two_distinct(coords: &[Coord]) -> bool {
    coords
        .first()
        .is_some_and(|first| coords.iter().any(|c| c != first))
}

/// A route line: coordinates checked, at least two distinct positions.
fn to_line(positions: &[Position]) -> std::result::Result<LineString, String> {
    let coords = positions
        .iter()
        .map(to_coord)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    if !has_two_distinct(&coords) {
        return Err(format!(
            "the line has {} position(s) but fewer than 2 distinct ones; a route needs a start and an end",
            coords.len()
        ));
    }
    Ok(LineString(coords))
}

/// One line from the parts of a `MultiLineString`: joined when each part
/// starts where the previous one ends, otherwise the longest part, with a
/// note saying what was dropped. Parts without two distinct positions are
/// ignored.
fn join_parts(
    parts: &[Vec<Position>],
) -> std::result::Result<(LineString, Option<String>), String> {
    let mut lines = Vec::with_capacity(parts.len());
    for part in parts {
        let coords = part
            .iter()
            .map(to_coord)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if has_two_distinct(&coords) {
            lines.push(coords);
        }
    }
    if lines.is_empty() {
        return Err("no part of the MultiLineString has 2 distinct positions; a route needs a start and an end".to_owned());
    }
    if lines.windows(2).all(|w| w[0].last() == w[1].first()) {
        let mut joined: Vec<Coord> = Vec::new();
        for line in lines {
            let skip = usize::from(!joined.is_empty());
            joined.extend(line.into_iter().skip(skip));
        }
        return Ok((LineString(joined), None));
    }
    let mut lines: Vec<LineString> = lines.into_iter().map(LineString).collect();
    let lengths: Vec<f64> = lines.iter().map(|l| Haversine.length(l)).collect();
    let total: f64 = lengths.iter().sum();
    let (longest, kept) =
        lengths
            .iter()
            .copied()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |best, (i, len)| {
                if len > best.1 { (i, len) } else { best }
            });
    let note = format!(
        "the MultiLineString has {} parts that do not connect end to start; only part {} ({kept:.0} m of {total:.0} m) is kept",
        lines.len(),
        longest + 1
    );
    let line = lines.swap_remove(longest);
    Ok((line, Some(note)))
}

/// An id value: a non-empty string or a number.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A property value as trimmed, non-empty text (strings, numbers, booleans).
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(b.to_string()),
        other => id_text(other),
    }
}

/// A kind name normalised like the `parse` functions do (`Drop in` → `drop_in`).
fn normalise(s: &str) -> String {
    s.trim().to_ascii_lowercase().replace([' ', '-'], "_")
}

/// The kind of a place: `kind`, else derived from OSM tags.
fn place_kind(f: &Feat) -> PlaceKind {
    if let Some(kind) = f.text("kind") {
        return PlaceKind::parse(&kind);
    }
    let leisure = f.tag("leisure");
    let place = f.tag("place");
    let highway = f.tag("highway");
    if place.as_deref() == Some("square") {
        PlaceKind::Square
    } else if matches!(leisure.as_deref(), Some("park" | "garden")) {
        PlaceKind::Park
    } else if highway.as_deref() == Some("pedestrian") {
        PlaceKind::Street
    } else {
        let other = leisure
            .or_else(|| f.tag("landuse"))
            .or(place)
            .or_else(|| f.tag("amenity"))
            .or(highway)
            .map_or_else(|| "unknown".to_owned(), |v| normalise(&v));
        PlaceKind::Other(other)
    }
}

/// The kind of a service: `kind`, else derived from OSM tags.
fn service_kind(f: &Feat) -> ServiceKind {
    if let Some(kind) = f.text("kind") {
        return ServiceKind::parse(&kind);
    }
    match f.tag("social_facility").as_deref() {
        Some("shelter") => return ServiceKind::Shelter,
        Some("outreach") => return ServiceKind::Outreach,
        Some("day_care" | "drop_in") => return ServiceKind::DropInCentre,
        _ => {}
    }
    let amenity = f.tag("amenity");
    match amenity.as_deref() {
        Some("shelter") => ServiceKind::Other("weather_shelter".to_owned()),
        Some("toilets") => ServiceKind::Toilet,
        Some("clinic" | "doctors") => ServiceKind::HealthRoom,
        _ if f.props.get("healthcare").is_some_and(|v| !v.is_null()) => ServiceKind::HealthRoom,
        Some("social_facility") => ServiceKind::Other("social_facility".to_owned()),
        Some(other) => ServiceKind::Other(normalise(other)),
        None => ServiceKind::Other("unknown".to_owned()),
    }
}

/// The target groups of a service: `target_groups` (text split on `;`/`,`,
/// or a list), else OSM `social_facility:for` (split on `;`).
fn target_groups(f: &Feat) -> Vec<String> {
    fn split(s: &str, seps: &[char]) -> Vec<String> {
        s.split(seps)
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect()
    }
    match f.props.get("target_groups") {
        Some(Value::Array(items)) => return items.iter().filter_map(text_of).collect(),
        Some(v) => {
            if let Some(s) = text_of(v) {
                return split(&s, &[';', ',']);
            }
        }
        None => {}
    }
    f.text("social_facility:for")
        .map(|s| split(&s, &[';']))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::PathBuf;

    use geo::{Area, Winding};

    use super::*;

    /// A temporary `.geojson` file holding `text`.
    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new()
            .suffix(".geojson")
            .tempfile()
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f.flush().unwrap();
        f
    }

    /// A FeatureCollection of the given feature texts.
    fn collection(features: &[&str]) -> String {
        format!(
            r#"{{"type": "FeatureCollection", "features": [{}]}}"#,
            features.join(",")
        )
    }

    fn feature(props: &str, geometry: &str) -> String {
        format!(r#"{{"type": "Feature", "properties": {props}, "geometry": {geometry}}}"#)
    }

    const SQUARE: &str = r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [9.001, 57.0], [9.001, 57.001], [9.0, 57.001], [9.0, 57.0]]]}"#;

    fn aalborg(name: &str) -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/aalborg")).join(name)
    }

    fn real(name: &str) -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/real")).join(name)
    }

    fn input_message(e: &Error) -> &str {
        match e {
            Error::Input { message, .. } => message,
            other => panic!("expected Error::Input, got {other:?}"),
        }
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let e = read_places(Path::new("/nonexistent/places.geojson")).unwrap_err();
        assert!(matches!(e, Error::Io { action: "read", .. }), "{e:?}");
    }

    #[test]
    fn not_json_is_an_input_error() {
        let f = file("id,lon,lat\n1,9.9,57.0\n");
        let e = read_places(f.path()).unwrap_err();
        let m = input_message(&e);
        assert!(
            m.contains("not valid JSON") && m.contains("FeatureCollection of places"),
            "{m}"
        );
        assert!(e.to_string().contains(&f.path().display().to_string()));
    }

    #[test]
    fn json_that_is_not_geojson_is_an_input_error() {
        let f = file(r#"{"places": []}"#);
        let m = input_message(&read_places(f.path()).unwrap_err()).to_owned();
        assert!(m.contains("not GeoJSON"), "{m}");
        let f = file(r#"{"type": "Topology", "objects": {}}"#);
        let m = input_message(&read_services(f.path(), None).unwrap_err()).to_owned();
        assert!(m.contains("\"Topology\"") && m.contains("Point"), "{m}");
        let f = file("[1, 2]");
        assert!(read_routes(f.path(), None).is_err());
        let f = file("  \n");
        assert!(input_message(&read_routes(f.path(), None).unwrap_err()).contains("empty"));
    }

    #[test]
    fn empty_feature_collection_is_an_input_error() {
        let f = file(r#"{"type": "FeatureCollection", "features": []}"#);
        let m = input_message(&read_places(f.path()).unwrap_err()).to_owned();
        assert!(m.contains("no features"), "{m}");
        assert!(read_services(f.path(), None).is_err());
        assert!(read_routes(f.path(), None).is_err());
        let f = file(r#"{"type": "FeatureCollection"}"#);
        assert!(input_message(&read_places(f.path()).unwrap_err()).contains("\"features\""));
    }

    #[test]
    fn single_feature_and_bare_geometry_are_read() {
        let f = file(&feature(r#"{"name": "Torvet", "kind": "square"}"#, SQUARE));
        let (places, report) = read_places(f.path()).unwrap();
        assert_eq!((places.len(), report.read), (1, 1));
        assert_eq!(places[0].name, "Torvet");
        assert_eq!(places[0].id, "place-1");
        let f = file(SQUARE);
        let (places, report) = read_places(f.path()).unwrap();
        assert_eq!((places.len(), report.accepted), (1, 1));
        assert_eq!(places[0].kind, PlaceKind::Other("unknown".into()));
    }

    #[test]
    fn place_with_a_linestring_is_rejected() {
        let f = file(&collection(&[
            &feature(
                r#"{"id": "a", "name": "Line"}"#,
                r#"{"type": "LineString", "coordinates": [[9.0, 57.0], [9.1, 57.1]]}"#,
            ),
            &feature(r#"{"id": "b"}"#, SQUARE),
            &feature(r#"{"id": "c"}"#, "null"),
            r#"{"type": "Feature", "properties": {"id": "d"}}"#,
            &feature(
                r#"{"id": "e"}"#,
                r#"{"type": "Circle", "coordinates": [9.0, 57.0]}"#,
            ),
            r#"{"type": "Point", "coordinates": [9.0, 57.0]}"#,
            "42",
        ]));
        let (places, r) = read_places(f.path()).unwrap();
        assert_eq!(places.len(), 1);
        assert_eq!((r.read, r.accepted, r.rejected), (7, 1, 6));
        assert!(r.is_reconciled());
        assert_eq!(r.kind, "places");
        assert_eq!(r.file, f.path().display().to_string());
        assert_eq!(r.rejected_by_reason["wrong_geometry_type"], 2);
        assert_eq!(r.rejected_by_reason["missing_geometry"], 2);
        assert_eq!(r.rejected_by_reason["not_a_feature"], 2);
        let line = &r.rejections[0];
        assert_eq!(
            (line.line, line.reason.as_str()),
            (1, "wrong_geometry_type")
        );
        assert!(
            line.detail.contains("LineString") && line.detail.contains("Polygon or MultiPolygon"),
            "{}",
            line.detail
        );
        assert!(line.detail.contains("\"Line\""));
        assert_eq!(r.rejections[1].line, 3);
    }

    #[test]
    fn unclosed_ring_is_closed_with_a_warning() {
        let open = r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [9.001, 57.0], [9.001, 57.001], [9.0, 57.001]]]}"#;
        let f = file(&collection(&[&feature(
            r#"{"id": "open", "name": "Open"}"#,
            open,
        )]));
        let (places, r) = read_places(f.path()).unwrap();
        assert_eq!((r.accepted, r.rejected), (1, 0));
        assert_eq!(r.warnings_by_kind["ring_closed"], 1);
        assert_eq!(r.warnings[0].line, Some(1));
        let ring = &places[0].geometry.0[0].exterior().0;
        assert_eq!(ring.len(), 5);
        assert_eq!(ring.first(), ring.last());
    }

    #[test]
    fn too_short_rings_are_rejected() {
        let f = file(&collection(&[
            &feature(
                "{}",
                r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [9.001, 57.0], [9.0, 57.0]]]}"#,
            ),
            &feature(
                "{}",
                r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [9.001, 57.0]]]}"#,
            ),
            &feature("{}", r#"{"type": "Polygon", "coordinates": []}"#),
            &feature("{}", r#"{"type": "MultiPolygon", "coordinates": []}"#),
        ]));
        let (places, r) = read_places(f.path()).unwrap();
        assert!(places.is_empty());
        assert_eq!(r.rejected_by_reason["invalid_geometry"], 4);
        assert!(
            r.warnings.is_empty(),
            "no warnings for rejected features: {:?}",
            r.warnings
        );
        assert!(
            r.rejections[0].detail.contains("at least 4"),
            "{}",
            r.rejections[0].detail
        );
    }

    #[test]
    fn self_intersecting_bowtie_is_rejected() {
        let bowtie = r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [9.001, 57.001], [9.001, 57.0], [9.0, 57.001], [9.0, 57.0]]]}"#;
        let f = file(&collection(&[
            &feature(r#"{"name": "Bowtie"}"#, bowtie),
            &feature("{}", SQUARE),
        ]));
        let (places, r) = read_places(f.path()).unwrap();
        assert_eq!(places.len(), 1);
        assert_eq!(r.rejected_by_reason["invalid_geometry"], 1);
        assert!(
            r.rejections[0].detail.contains("self-intersection"),
            "{}",
            r.rejections[0].detail
        );
        assert!(r.is_reconciled());
    }

    #[test]
    fn bad_coordinates_are_rejected() {
        // NaN and Infinity are not JSON but are what Python writes.
        let f = file(&collection(&[
            &feature("{}", r#"{"type": "Point", "coordinates": [NaN, 57.0]}"#),
            &feature(
                "{}",
                r#"{"type": "Point", "coordinates": [9.9, -Infinity]}"#,
            ),
            &feature("{}", r#"{"type": "Point", "coordinates": [190.0, 57.0]}"#),
            &feature("{}", r#"{"type": "Point", "coordinates": [9.9, 91.0]}"#),
            &feature("{}", r#"{"type": "Point", "coordinates": [9.9]}"#),
            &feature("{}", r#"{"type": "Point", "coordinates": ["9.9", 57.0]}"#),
            &feature("{}", r#"{"type": "Point", "coordinates": [null, 57.0]}"#),
            &feature(
                r#"{"name": "ok NaN"}"#,
                r#"{"type": "Point", "coordinates": [9.9, 57.0]}"#,
            ),
        ]));
        let (services, r) = read_services(f.path(), None).unwrap();
        assert_eq!(services.len(), 1);
        assert_eq!(services[0].name, "ok NaN");
        assert_eq!((r.read, r.rejected), (8, 7));
        assert_eq!(r.rejected_by_reason["invalid_geometry"], 7);
        assert!(
            r.rejections[0].detail.contains("not a number"),
            "{}",
            r.rejections[0].detail
        );
        assert!(
            r.rejections[2].detail.contains("longitude 190"),
            "{}",
            r.rejections[2].detail
        );
        assert!(
            r.rejections[3].detail.contains("latitude 91"),
            "{}",
            r.rejections[3].detail
        );
        // Out-of-range positions inside a polygon or a line, too.
        let f = file(&collection(&[&feature(
            "{}",
            r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [900.0, 57.0], [9.001, 57.001], [9.0, 57.0]]]}"#,
        )]));
        let (_, r) = read_places(f.path()).unwrap();
        assert_eq!(r.rejected_by_reason["invalid_geometry"], 1);
        let f = file(&collection(&[&feature(
            "{}",
            r#"{"type": "LineString", "coordinates": [[9.0, 57.0], [9.0, -95.0]]}"#,
        )]));
        let (_, r) = read_routes(f.path(), None).unwrap();
        assert_eq!(r.rejected_by_reason["invalid_geometry"], 1);
    }

    #[test]
    fn duplicate_ids_reject_the_later_feature() {
        let f = file(&collection(&[
            &feature(r#"{"id": "x", "name": "First"}"#, SQUARE),
            &feature(r#"{"id": "x", "name": "Second"}"#, SQUARE),
            r#"{"type": "Feature", "id": "x", "properties": {"name": "Third"}, "geometry": null}"#,
            &format!(r#"{{"type": "Feature", "id": 7, "properties": {{}}, "geometry": {SQUARE}}}"#),
            &feature(r#"{"id": 7}"#, SQUARE),
        ]));
        let (places, r) = read_places(f.path()).unwrap();
        assert_eq!(
            places.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["First", "7"]
        );
        assert_eq!(r.rejected_by_reason["duplicate_id"], 2);
        assert_eq!(r.rejected_by_reason["missing_geometry"], 1);
        assert_eq!(r.rejections[0].line, 2);
        assert!(
            r.rejections[0].detail.contains("feature 1"),
            "{}",
            r.rejections[0].detail
        );
        assert!(r.is_reconciled());
    }

    #[test]
    fn ids_and_names_fall_back() {
        let f = file(&collection(&[
            &feature(r#"{"@id": "way/12", "name:en": "English"}"#, SQUARE),
            &feature(
                r#"{"osm_type": "relation", "osm_id": 12, "name:fi": "Tori", "name:da": "Torv"}"#,
                SQUARE,
            ),
            &feature(r#"{"osm_id": 13, "name": "  "}"#, SQUARE),
            &feature("null", SQUARE),
        ]));
        let (places, r) = read_places(f.path()).unwrap();
        assert_eq!(r.accepted, 4);
        let got: Vec<(&str, &str)> = places
            .iter()
            .map(|p| (p.id.as_str(), p.name.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("way/12", "English"),
                ("relation/12", "Torv"),
                ("13", "13"),
                ("place-4", "place-4")
            ]
        );
    }

    #[test]
    fn place_kinds_and_attributes_come_from_properties_or_osm_tags() {
        let f = file(&collection(&[
            &feature(
                r#"{"kind": "Torv", "place": "square", "benches": 4}"#,
                SQUARE,
            ),
            &feature(r#"{"place": "square", "highway": "pedestrian"}"#, SQUARE),
            &feature(r#"{"leisure": "garden"}"#, SQUARE),
            &feature(r#"{"highway": "pedestrian", "area": "yes"}"#, SQUARE),
            &feature(r#"{"landuse": "grass"}"#, SQUARE),
            &feature(r#"{"leisure": "playground"}"#, SQUARE),
        ]));
        let (places, _) = read_places(f.path()).unwrap();
        let kinds: Vec<PlaceKind> = places.iter().map(|p| p.kind.clone()).collect();
        assert_eq!(
            kinds,
            [
                PlaceKind::Square,
                PlaceKind::Square,
                PlaceKind::Park,
                PlaceKind::Street,
                PlaceKind::Other("grass".into()),
                PlaceKind::Other("playground".into())
            ]
        );
        assert_eq!(places[0].attributes.len(), 2);
        assert_eq!(places[0].attributes["benches"], serde_json::json!(4));
        assert!(!places[0].attributes.contains_key("kind"));
    }

    #[test]
    fn polygons_are_oriented_and_holes_kept() {
        // Clockwise exterior, counter-clockwise hole: both get reversed.
        let holed = r#"{"type": "Polygon", "coordinates": [
            [[9.0, 57.0], [9.0, 57.01], [9.01, 57.01], [9.01, 57.0], [9.0, 57.0]],
            [[9.002, 57.002], [9.004, 57.002], [9.004, 57.004], [9.002, 57.004], [9.002, 57.002]]]}"#;
        let f = file(&collection(&[&feature("{}", holed)]));
        let (places, _) = read_places(f.path()).unwrap();
        let p = &places[0].geometry.0[0];
        assert!(p.exterior().is_ccw());
        assert_eq!(p.interiors().len(), 1);
        assert!(p.interiors()[0].is_cw());
        assert!((p.unsigned_area() - (1e-4 - 4e-6)).abs() < 1e-12);
    }

    #[test]
    fn service_with_bad_opening_hours_is_kept_without_hours() {
        let f = file(&collection(&[
            &feature(
                r#"{"id": "s1", "name": "Varmestuen", "kind": "varmestue", "opening_hours": "whenever we feel like it"}"#,
                r#"{"type": "Point", "coordinates": [9.9, 57.0]}"#,
            ),
            &feature(
                r#"{"id": "s2", "opening_hours": "Mo-Fr 09:00-15:00; PH off"}"#,
                r#"{"type": "Point", "coordinates": [9.9, 57.0]}"#,
            ),
        ]));
        let (services, r) = read_services(f.path(), Some("DK")).unwrap();
        assert_eq!((r.accepted, r.rejected), (2, 0));
        assert_eq!(services[0].kind, ServiceKind::WarmingRoom);
        assert!(services[0].opening_hours.is_none());
        assert_eq!(r.warnings_by_kind["bad_opening_hours"], 1);
        let w = &r.warnings[0];
        assert_eq!(w.line, Some(1));
        assert!(w.message.starts_with("service Varmestuen: opening_hours \"whenever we feel like it\" could not be parsed ("), "{}", w.message);
        assert!(w.message.ends_with("it is treated as never open"));
        assert_eq!(
            services[1].opening_hours.as_ref().map(Schedule::text),
            Some("Mo-Fr 09:00-15:00; PH off")
        );
        assert_eq!(services[1].name, "s2");
    }

    #[test]
    fn service_kinds_and_groups_come_from_osm_tags() {
        let pt = r#"{"type": "Point", "coordinates": [9.9, 57.0]}"#;
        let f = file(&collection(&[
            &feature(
                r#"{"amenity": "social_facility", "social_facility": "shelter", "social_facility:for": "homeless; drug_addicted"}"#,
                pt,
            ),
            &feature(
                r#"{"amenity": "social_facility", "social_facility": "outreach"}"#,
                pt,
            ),
            &feature(
                r#"{"amenity": "social_facility", "social_facility": "day_care"}"#,
                pt,
            ),
            &feature(r#"{"amenity": "shelter"}"#, pt),
            &feature(r#"{"amenity": "toilets"}"#, pt),
            &feature(r#"{"amenity": "doctors"}"#, pt),
            &feature(r#"{"amenity": "pharmacy", "healthcare": "pharmacy"}"#, pt),
            &feature(
                r#"{"amenity": "social_facility", "social_facility": "group_home"}"#,
                pt,
            ),
            &feature(r#"{"amenity": "Place of Worship"}"#, pt),
            &feature(
                r#"{"target_groups": "homeless, addiction;;mental_health "}"#,
                pt,
            ),
            &feature(r#"{"target_groups": ["a", "b"], "kind": "toilets"}"#, pt),
        ]));
        let (s, r) = read_services(f.path(), None).unwrap();
        assert_eq!(r.accepted, 11);
        let kinds: Vec<ServiceKind> = s.iter().map(|s| s.kind.clone()).collect();
        assert_eq!(
            kinds,
            [
                ServiceKind::Shelter,
                ServiceKind::Outreach,
                ServiceKind::DropInCentre,
                ServiceKind::Other("weather_shelter".into()),
                ServiceKind::Toilet,
                ServiceKind::HealthRoom,
                ServiceKind::HealthRoom,
                ServiceKind::Other("social_facility".into()),
                ServiceKind::Other("place_of_worship".into()),
                ServiceKind::Other("unknown".into()),
                ServiceKind::Toilet,
            ]
        );
        assert_eq!(s[0].target_groups, ["homeless", "drug_addicted"]);
        assert_eq!(
            s[9].target_groups,
            ["homeless", "addiction", "mental_health"]
        );
        assert_eq!(s[10].target_groups, ["a", "b"]);
        assert!(s[1].target_groups.is_empty());
        assert!(s[0].attributes.contains_key("social_facility:for"));
        assert!(!s[10].attributes.contains_key("target_groups"));
    }

    #[test]
    fn service_mapped_as_area_gets_an_inside_point() {
        let f = file(&collection(&[&feature(r#"{"name": "Hall"}"#, SQUARE)]));
        let (s, r) = read_services(f.path(), None).unwrap();
        assert_eq!(r.accepted, 1);
        assert_eq!(r.warnings_by_kind["point_from_area"], 1);
        let p = s[0].point;
        assert!(
            (9.0..=9.001).contains(&p.x()) && (57.0..=57.001).contains(&p.y()),
            "{p:?}"
        );
        let f = file(&collection(&[&feature(
            "{}",
            r#"{"type": "LineString", "coordinates": [[9.0, 57.0], [9.1, 57.1]]}"#,
        )]));
        let (_, r) = read_services(f.path(), None).unwrap();
        assert_eq!(r.rejected_by_reason["wrong_geometry_type"], 1);
        assert!(r.rejections[0].detail.contains("Point"));
    }

    #[test]
    fn routes_lines_and_multilines() {
        let f = file(&collection(&[
            &feature(
                r#"{"id": "joined", "kind": "tryghedsvandring", "schedule": "Fr,Sa 22:00-02:00"}"#,
                r#"{"type": "MultiLineString", "coordinates": [[[9.0, 57.0], [9.01, 57.0]], [[9.01, 57.0], [9.01, 57.01]]]}"#,
            ),
            &feature(
                r#"{"id": "apart", "schedule": "every other full moon"}"#,
                r#"{"type": "MultiLineString", "coordinates": [[[9.0, 57.0], [9.01, 57.0]], [[9.1, 57.1], [9.1, 57.2]]]}"#,
            ),
            &feature(
                r#"{"id": "dot"}"#,
                r#"{"type": "LineString", "coordinates": [[9.0, 57.0], [9.0, 57.0]]}"#,
            ),
            &feature(
                r#"{"id": "single"}"#,
                r#"{"type": "LineString", "coordinates": [[9.0, 57.0]]}"#,
            ),
            &feature(r#"{"id": "area"}"#, SQUARE),
        ]));
        let (routes, r) = read_routes(f.path(), Some("DK")).unwrap();
        assert_eq!((r.read, r.accepted, r.rejected), (5, 2, 3));
        assert_eq!(r.rejected_by_reason["invalid_geometry"], 2);
        assert_eq!(r.rejected_by_reason["wrong_geometry_type"], 1);
        assert_eq!(routes[0].line.0.len(), 3);
        assert_eq!(routes[0].kind, RouteKind::SafetyWalk);
        assert!(routes[0].schedule.is_some());
        assert_eq!(routes[1].kind, RouteKind::Other("unknown".into()));
        assert_eq!(
            routes[1].line.0,
            vec![Coord { x: 9.1, y: 57.1 }, Coord { x: 9.1, y: 57.2 }]
        );
        assert!(routes[1].schedule.is_none());
        assert_eq!(r.warnings_by_kind["multilinestring_parts_dropped"], 1);
        assert_eq!(r.warnings_by_kind["bad_schedule"], 1);
        assert!(r.is_reconciled());
    }

    #[test]
    fn read_polygons_collects_every_area() {
        let text = collection(&[
            &feature("{}", SQUARE),
            &feature("{}", r#"{"type": "Point", "coordinates": [9.0, 57.0]}"#),
            &feature("{}", "null"),
            &feature(
                "{}",
                &format!(r#"{{"type": "GeometryCollection", "geometries": [{SQUARE}, {SQUARE}]}}"#),
            ),
        ]);
        let mp = read_polygons(Path::new("area.geojson"), &text).unwrap();
        assert_eq!(mp.0.len(), 3);
        assert!(mp.0.iter().all(|p| p.exterior().is_ccw()));
        assert!(
            read_polygons(Path::new("area.geojson"), SQUARE)
                .unwrap()
                .0
                .len()
                == 1
        );
        let empty = read_polygons(
            Path::new("a"),
            r#"{"type": "FeatureCollection", "features": []}"#,
        )
        .unwrap();
        assert!(empty.0.is_empty());
        // A study area whose outline crosses itself (a bow-tie) is an error, and so is
        // one with a bad coordinate.
        let bowtie = r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [9.001, 57.001], [9.001, 57.0], [9.0, 57.001], [9.0, 57.0]]]}"#;
        let e = read_polygons(Path::new("a"), bowtie).unwrap_err();
        assert!(
            input_message(&e).contains("crosses itself near 9.000500, 57.000500"),
            "{e}"
        );
        let far = r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [9.001, 97.0], [9.001, 57.0], [9.0, 57.0]]]}"#;
        let e = read_polygons(Path::new("a"), far).unwrap_err();
        assert!(input_message(&e).contains("latitude 97"), "{e}");
        let short =
            r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [9.001, 57.0], [9.0, 57.0]]]}"#;
        let e = read_polygons(Path::new("a"), short).unwrap_err();
        assert!(input_message(&e).contains("at least 4"), "{e}");
        assert!(read_polygons(Path::new("a"), "not json").is_err());
    }

    #[test]
    fn sweep_check_agrees_with_geo_validation() {
        let bowtie = r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [9.001, 57.001], [9.001, 57.0], [9.0, 57.001], [9.0, 57.0]]]}"#;
        let outer = "[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]";
        let cases = [
            bowtie.to_owned(),
            SQUARE.to_owned(),
            format!(r#"{{"type": "Polygon", "coordinates": [{outer}, [[2, 2], [4, 2], [4, 4], [2, 4], [2, 2]]]}}"#),
            // hole outside, hole sharing an edge, overlapping holes, hole touching at a point
            format!(r#"{{"type": "Polygon", "coordinates": [{outer}, [[20, 2], [24, 2], [24, 4], [20, 2]]]}}"#),
            format!(r#"{{"type": "Polygon", "coordinates": [{outer}, [[0, 2], [4, 2], [4, 4], [0, 4], [0, 2]]]}}"#),
            format!(r#"{{"type": "Polygon", "coordinates": [{outer}, [[2, 2], [4, 2], [4, 4], [2, 4], [2, 2]], [[3, 3], [5, 3], [5, 5], [3, 5], [3, 3]]]}}"#),
            format!(r#"{{"type": "Polygon", "coordinates": [{outer}, [[0, 5], [4, 2], [4, 6], [0, 5]]]}}"#),
            // spike, and a ring touching itself at a vertex
            r#"{"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [5, 10], [5, 15], [5, 10], [0, 10], [0, 0]]]}"#.to_owned(),
            r#"{"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [5, 5], [10, 10], [0, 10], [5, 5], [0, 0]]]}"#.to_owned(),
        ];
        let mut polygons: Vec<Polygon> = cases
            .iter()
            .map(|c| {
                let g: geojson::Geometry = c.parse().unwrap();
                to_multipolygon(&g.value, false, &mut Vec::new())
                    .unwrap()
                    .0
                    .remove(0)
            })
            .collect();
        let text = std::fs::read_to_string(real("helsinki_squares_parks.geojson")).unwrap();
        polygons.extend(read_polygons(Path::new("h"), &text).unwrap().0);
        let text = std::fs::read_to_string(real("memphis_precincts.geojson")).unwrap();
        polygons.extend(
            read_polygons(Path::new("m"), &text)
                .unwrap()
                .0
                .into_iter()
                .take(2),
        );
        let mut invalid = 0;
        for (i, p) in polygons.iter().enumerate() {
            let geo = area_problem(p, usize::MAX);
            assert_eq!(area_problem(p, 0), geo, "polygon {i}");
            if let Some(e) = &geo {
                eprintln!("polygon {i}: {e}");
                invalid += 1;
            }
        }
        // All but the plain square, the proper hole and the hole touching the
        // outer ring at one point; Helsinki is valid; Memphis precinct 2 is not.
        assert_eq!(invalid, 7);
    }

    #[test]
    fn memphis_precincts_are_polygons() {
        // Precinct 2's outer ring crosses itself over a few centimetres: kept
        // as a study area, rejected as a place.
        let path = real("memphis_precincts.geojson");
        let text = std::fs::read_to_string(&path).unwrap();
        let mp = read_polygons(&path, &text).unwrap();
        assert_eq!(mp.0.len(), 9);
        assert!(mp.0.iter().all(|p| p.exterior().is_ccw()));
        let (places, r) = read_places(&path).unwrap();
        assert_eq!((places.len(), r.read, r.rejected), (8, 9, 1));
        assert_eq!(r.rejections[0].line, 2);
        let detail = &r.rejections[0].detail;
        assert!(detail.contains("self-intersection"), "{detail}");
        assert_eq!(places[0].kind, PlaceKind::Other("unknown".into()));
        assert_eq!(
            places[0].attributes["precinct"],
            serde_json::json!("Airways")
        );
    }

    #[test]
    fn aalborg_demo_files_are_all_accepted() {
        let (places, r) = read_places(&aalborg("places.geojson")).unwrap();
        assert_eq!((places.len(), r.read, r.accepted, r.rejected), (6, 6, 6, 0));
        assert!(
            r.is_reconciled() && r.warnings.is_empty(),
            "{:?}",
            r.warnings
        );
        assert_eq!(places[0].id, "jf_kennedys_plads");
        assert_eq!(places[0].kind, PlaceKind::Square);
        assert_eq!(places[0].attributes["lighting"], serde_json::json!("good"));
        assert!(
            places
                .iter()
                .all(|p| p.geometry.0.iter().all(|poly| poly.exterior().is_ccw()))
        );

        let (services, r) = read_services(&aalborg("services.geojson"), Some("DK")).unwrap();
        assert_eq!(
            (services.len(), r.read, r.accepted, r.rejected),
            (10, 10, 10, 0)
        );
        assert!(
            r.is_reconciled() && r.warnings.is_empty(),
            "{:?}",
            r.warnings
        );
        assert!(services.iter().all(|s| s.opening_hours.is_some()));
        assert_eq!(services[0].kind, ServiceKind::WarmingRoom);
        assert_eq!(services[0].target_groups, ["homeless", "addiction"]);
        assert_eq!(
            services[6].kind,
            ServiceKind::Other("greenlandic_house".into())
        );

        let (routes, r) = read_routes(&aalborg("routes.geojson"), Some("DK")).unwrap();
        assert_eq!((routes.len(), r.read, r.accepted, r.rejected), (3, 3, 3, 0));
        assert!(
            r.is_reconciled() && r.warnings.is_empty(),
            "{:?}",
            r.warnings
        );
        assert!(routes.iter().all(|r| r.schedule.is_some()));
        assert_eq!(routes[2].kind, RouteKind::SafetyWalk);
    }

    #[test]
    fn helsinki_squares_and_parks() {
        let (places, r) = read_places(&real("helsinki_squares_parks.geojson")).unwrap();
        assert_eq!(r.read, 51);
        assert!(r.is_reconciled());
        for x in &r.rejections {
            eprintln!("rejected feature {}: {} {}", x.line, x.reason, x.detail);
        }
        assert_eq!(r.accepted, 51, "{:?}", r.rejections);
        assert_eq!(places.len(), 51);
        let senaatintori = places.iter().find(|p| p.name == "Senaatintori").unwrap();
        assert_eq!(senaatintori.id, "relation/2919121");
        assert_eq!(senaatintori.kind, PlaceKind::Square);
        assert_eq!(senaatintori.geometry.0[0].interiors().len(), 1);
        let by_kind = |k: &PlaceKind| places.iter().filter(|p| &p.kind == k).count();
        eprintln!(
            "helsinki places: {} squares, {} parks, {} streets",
            by_kind(&PlaceKind::Square),
            by_kind(&PlaceKind::Park),
            by_kind(&PlaceKind::Street)
        );
        assert_eq!(by_kind(&PlaceKind::Square), 10);
        assert_eq!(by_kind(&PlaceKind::Park), 12);
        assert_eq!(by_kind(&PlaceKind::Street), 29);
        // Features without a name fall back to their OSM id.
        assert!(places.iter().any(|p| p.name == "way/26979361"));
    }

    #[test]
    fn helsinki_walk_streets_as_routes() {
        let (routes, r) = read_routes(&real("helsinki_walk_streets.geojson"), None).unwrap();
        assert_eq!((r.read, r.accepted, r.rejected), (2253, 2253, 0));
        assert!(r.is_reconciled() && r.warnings.is_empty());
        assert_eq!(routes[0].id, "way/4236349");
        assert_eq!(routes[0].name, "Erottajankatu");
        assert_eq!(routes[0].kind, RouteKind::Other("unknown".into()));
    }

    #[test]
    fn helsinki_services_and_their_opening_hours() {
        let path = real("helsinki_services.geojson");
        let (services, r) = read_services(&path, Some("FI")).unwrap();
        assert_eq!(r.read, 52);
        assert!(r.is_reconciled());
        assert_eq!(r.accepted, 52, "{:?}", r.rejections);
        let kept_as_attribute = services
            .iter()
            .filter(|s| s.attributes.contains_key("opening_hours"))
            .count();
        let parsed = services
            .iter()
            .filter(|s| s.opening_hours.is_some())
            .count();
        let bad: Vec<&str> = r
            .warnings
            .iter()
            .filter(|w| w.kind == "bad_opening_hours")
            .map(|w| w.message.as_str())
            .collect();
        eprintln!(
            "helsinki opening_hours: {parsed} parsed, {} not parsed",
            bad.len()
        );
        for m in &bad {
            eprintln!("  {m}");
        }
        assert_eq!(kept_as_attribute, 0, "opening_hours is not an attribute");
        assert_eq!(parsed + bad.len(), 17);
        // The real strings, as people write them, all parse.
        assert_eq!(parsed, 17, "{bad:?}");
        let hehku = services.iter().find(|s| s.name == "Hehku").unwrap();
        let text = hehku.opening_hours.as_ref().map(Schedule::text);
        assert_eq!(text, Some("Sep-May: Fr 18:00-22:00"));
        let kinds = |k: &ServiceKind| services.iter().filter(|s| &s.kind == k).count();
        assert_eq!(kinds(&ServiceKind::Toilet), 18);
        assert_eq!(kinds(&ServiceKind::Other("weather_shelter".into())), 1);
        assert_eq!(kinds(&ServiceKind::Outreach), 1);
        assert_eq!(kinds(&ServiceKind::DropInCentre), 1);
        assert_eq!(kinds(&ServiceKind::HealthRoom), 6);
    }
}
