//! GeoJSON layers (RFC 7946): WGS84, exterior rings counter-clockwise,
//! coordinates rounded to 7 decimals (≈1 cm), and a top-level `byrum` member
//! recording the parameters that made the layer.

use std::path::Path;

use geo::{Geometry, MapCoords, orient::Direction, orient::Orient};
use geojson::{Feature, FeatureCollection, JsonObject};
use h3o::CellIndex;
use serde_json::{Value, json};

use crate::error::Result;
use crate::grid::H3Counts;
use crate::output::write_atomic;

/// Decimal places kept in output coordinates.
pub const DECIMALS: i32 = 7;

/// A GeoJSON layer being built.
///
/// ```
/// use byrum::Layer;
/// let mut layer = Layer::new("example");
/// layer.param("h3_resolution", 9);
/// let mut props = serde_json::Map::new();
/// props.insert("count".into(), 3.into());
/// layer.push(geo::Point::new(9.91871234567, 57.0488).into(), props);
/// let text = layer.to_string();
/// assert!(text.contains("9.9187123") && !text.contains("9.91871234"));
/// assert!(text.contains("\"h3_resolution\":9"));
/// ```
#[derive(Debug, Clone)]
pub struct Layer {
    name: String,
    params: JsonObject,
    features: Vec<Feature>,
}

impl Layer {
    /// An empty layer called `name`.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            params: JsonObject::new(),
            features: Vec::new(),
        }
    }

    /// Records a parameter in the layer's `byrum.parameters` member.
    pub fn param(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.params.insert(key.to_owned(), value.into());
        self
    }

    /// Adds a feature (geometry in WGS84).
    pub fn push(&mut self, geometry: Geometry, properties: JsonObject) {
        let g = rfc7946(geometry);
        self.features.push(Feature {
            geometry: Some(geojson::Geometry::from(&g)),
            properties: Some(properties),
            ..Feature::default()
        });
    }

    /// The number of features.
    #[must_use]
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether there are no features.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The layer as a FeatureCollection.
    #[must_use]
    pub fn to_feature_collection(&self) -> FeatureCollection {
        let mut members = JsonObject::new();
        members.insert(
            "byrum".into(),
            json!({
                "layer": self.name,
                "version": env!("CARGO_PKG_VERSION"),
                "parameters": Value::Object(self.params.clone()),
            }),
        );
        FeatureCollection {
            bbox: None,
            features: self.features.clone(),
            foreign_members: Some(members),
        }
    }

    /// Writes the layer atomically.
    ///
    /// # Errors
    /// [`Error::Io`](crate::Error::Io) if it cannot be written.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_atomic(path, self.to_string().as_bytes())
    }
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fc = self.to_feature_collection();
        let text = serde_json::to_string(&fc).map_err(|_| std::fmt::Error)?;
        f.write_str(&text)
    }
}

/// Orients polygons (exterior counter-clockwise, holes clockwise) and rounds
/// coordinates to [`DECIMALS`].
fn rfc7946(g: Geometry) -> Geometry {
    let scale = 10f64.powi(DECIMALS);
    let g = match g {
        Geometry::Polygon(p) => Geometry::Polygon(p.orient(Direction::Default)),
        Geometry::MultiPolygon(p) => Geometry::MultiPolygon(p.orient(Direction::Default)),
        other => other,
    };
    g.map_coords(|c| geo::Coord {
        x: (c.x * scale).round() / scale,
        y: (c.y * scale).round() / scale,
    })
}

/// The H3 counts layer: one feature per cell with `h3` (hex index), `count`,
/// `rate_per_hour`, and per bin `count_<bin>` and `rate_<bin>` (incidents per
/// hour of that bin's exposure). Counts from 1 to `min_count − 1` are
/// suppressed (written as `null`, with `suppressed: true`) to protect
/// individuals; `min_count` 0 or 1 suppresses nothing. A cell's bins add up
/// to its count and each bin's cells to the bin's total, so further counts
/// are withheld where subtraction would give a withheld one back
/// ([`withheld_table`](crate::withheld_table); the rule is in the
/// `privacy` module doc).
#[must_use]
pub fn h3_layer(counts: &H3Counts, min_count: u64) -> Layer {
    let mut layer = Layer::new("hotspots_h3");
    layer
        .param("h3_resolution", u8::from(counts.resolution))
        .param("bins", counts.bin_labels.clone())
        .param("exposure_hours", counts.exposure_hours.clone())
        .param("min_count", min_count)
        .param("rate_unit", "incidents per hour of exposure");
    // Complementary suppression over cells × bins (crate::privacy, rule 2).
    let (row_hidden, bin_hidden) =
        crate::privacy::withheld_table(&counts.counts, &counts.bin_counts, min_count);
    let nb = counts.bins();
    let total_hours = counts.total_hours();
    for (i, cell) in counts.cells.iter().enumerate() {
        let mut p = JsonObject::new();
        let n = counts.counts[i];
        p.insert("h3".into(), cell.to_string().into());
        p.insert("in_study_area".into(), counts.in_area[i].into());
        let suppressed = row_hidden[i] || bin_hidden[i * nb..(i + 1) * nb].contains(&true);
        p.insert("suppressed".into(), suppressed.into());
        if row_hidden[i] {
            p.insert("count".into(), Value::Null);
            p.insert("rate_per_hour".into(), Value::Null);
        } else {
            p.insert("count".into(), n.into());
            p.insert("weight".into(), json!(counts.weights[i]));
            p.insert(
                "rate_per_hour".into(),
                json!(if total_hours > 0.0 {
                    n as f64 / total_hours
                } else {
                    0.0
                }),
            );
        }
        for (b, label) in counts.bin_labels.iter().enumerate() {
            let c = counts.count(i, b);
            if bin_hidden[i * nb + b] || row_hidden[i] {
                p.insert(format!("count_{label}"), Value::Null);
                p.insert(format!("rate_{label}"), Value::Null);
            } else {
                p.insert(format!("count_{label}"), c.into());
                let rate = if counts.exposure_hours[b] > 0.0 {
                    json!(counts.rate_per_hour(i, b))
                } else {
                    Value::Null // the period contains no hour of this bin
                };
                p.insert(format!("rate_{label}"), rate);
            }
        }
        layer.push(cell_polygon(*cell), p);
    }
    layer
}

/// The outline of an H3 cell as a geo geometry (WGS84).
#[must_use]
pub fn cell_polygon(cell: CellIndex) -> Geometry {
    let mp: geo::MultiPolygon = cell.into();
    match mp.0.len() {
        1 => Geometry::Polygon(mp.0.into_iter().next().unwrap_or_else(|| unreachable!())),
        _ => Geometry::MultiPolygon(mp),
    }
}
