//! Isolines (marching squares) of density surfaces as GeoJSON layers.
//!
//! The `contour` crate traces the lines at cell centres (linear interpolation
//! between them); outside the grid counts as below every level, so every line
//! is a closed ring. Lines are traced in the grid's projected metres and
//! unprojected to WGS84 for the layer.

use geo::{Geometry, MultiLineString, MultiPolygon};
use geojson::JsonObject;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::kde::{DensitySurface, Units};
use crate::layer::Layer;
use crate::projection::Projection;

fn builder(s: &DensitySurface) -> contour::ContourBuilder {
    // Value i of the contour grid covers [i, i+1]; its centre i + 0.5 maps to
    // x0 + (i + 0.5)·dx, the cell centre.
    contour::ContourBuilder::new(s.grid.nx, s.grid.ny, true)
        .x_origin(s.grid.x0)
        .y_origin(s.grid.y0)
        .x_step(s.grid.dx)
        .y_step(s.grid.dy)
}

fn check_levels(levels: &[f64]) -> Result<()> {
    if let Some(l) = levels.iter().find(|l| !l.is_finite()) {
        return Err(Error::parameter(
            "isoline level",
            format!("{l}: levels must be finite values in the surface's units"),
        ));
    }
    Ok(())
}

fn contour_error(e: &contour::Error) -> Error {
    Error::parameter("isolines", format!("marching squares failed: {e:?}"))
}

/// The isolines of `surface` at `levels` (in the surface's units), in
/// projected metres: one closed multi-line per level (empty where the surface
/// never reaches it).
///
/// # Errors
/// [`Error::Parameter`] for a non-finite level.
pub fn isolines(surface: &DensitySurface, levels: &[f64]) -> Result<Vec<(f64, MultiLineString)>> {
    check_levels(levels)?;
    builder(surface)
        .lines(&surface.values, levels)
        .map_err(|e| contour_error(&e))
        .map(|v| {
            v.into_iter()
                .map(|l| {
                    let (g, t) = l.into_inner();
                    (t, g)
                })
                .collect()
        })
}

/// The areas where `surface` is at least each level (projected metres), with holes.
///
/// # Errors
/// [`Error::Parameter`] for a non-finite level.
pub fn isoareas(surface: &DensitySurface, levels: &[f64]) -> Result<Vec<(f64, MultiPolygon)>> {
    check_levels(levels)?;
    builder(surface)
        .contours(&surface.values, levels)
        .map_err(|e| contour_error(&e))
        .map(|v| {
            v.into_iter()
                .map(|c| {
                    let (g, t) = c.into_inner();
                    (t, g)
                })
                .collect()
        })
}

/// Records a surface's parameters on a layer.
fn record(layer: &mut Layer, s: &DensitySurface) {
    layer
        .param("kernel", s.kernel.as_str())
        .param("bandwidth_m", s.bandwidth.metres)
        .param("bandwidth_rule", s.bandwidth.rule.as_str())
        .param("sigma_m", s.bandwidth.sigma_m)
        .param("cell_size_m", vec![s.grid.dx, s.grid.dy])
        .param("grid_shape", vec![s.grid.nx, s.grid.ny])
        .param("binning", s.binning.as_str())
        .param("method", s.method.as_str())
        .param("edge_correction", s.edge_corrected)
        .param("units", s.units.as_str())
        .param("points", s.points)
        .param("points_outside_grid", s.points_outside)
        .param("total_weight", s.total_weight)
        .param(
            "time_bin",
            s.label.clone().map_or(Value::Null, Value::String),
        );
    if let Units::PerKm2PerHour { exposure_hours } = s.units {
        layer.param("exposure_hours", exposure_hours);
    }
}

fn props(level: f64, s: &DensitySurface) -> JsonObject {
    let mut p = JsonObject::new();
    p.insert("level".into(), level.into());
    p.insert("unit".into(), s.units.as_str().into());
    if let Some(l) = &s.label {
        p.insert("time_bin".into(), l.clone().into());
    }
    p
}

/// A layer `kde_isolines`: one MultiLineString feature per level the surface
/// reaches, with properties `level` and `unit` (and `time_bin` if the surface
/// has a label), in WGS84. The layer's parameters record the kernel,
/// bandwidth and its rule, cell size, binning, method, edge correction, units
/// (and exposure hours) and time bin; add more (e.g. the period) with
/// [`Layer::param`].
///
/// # Errors
/// [`Error::Parameter`] for a non-finite level; [`Error::Projection`] if a
/// vertex cannot be unprojected.
///
/// ```
/// use byrum::{Bandwidth, Kde, Kernel, MetricGrid, Projection, isoline_layer};
/// let p = Projection::etrs89_utm32();
/// let (cx, cy) = p.forward(9.92, 57.048)?;
/// let grid = MetricGrid::covering((cx - 500.0, cy - 500.0, cx + 500.0, cy + 500.0), 10.0)?;
/// let s = Kde::new().kernel(Kernel::Gaussian).bandwidth(Bandwidth::Fixed(80.0))
///     .compute(&grid, &[cx], &[cy], None)?;
/// let mut layer = isoline_layer(&s, &[0.5 * s.max()], &p)?;
/// layer.param("period", "2024");
/// assert_eq!(layer.len(), 1);
/// # Ok::<(), byrum::Error>(())
/// ```
pub fn isoline_layer(
    surface: &DensitySurface,
    levels: &[f64],
    projection: &Projection,
) -> Result<Layer> {
    let lines = isolines(surface, levels)?
        .into_iter()
        .map(|(level, g)| (level, Geometry::MultiLineString(g)));
    contour_layer("kde_isolines", surface, levels, lines, projection)
}

/// A layer `kde_isoareas`: for each level, the MultiPolygon where the density
/// is at least that level (nested: higher levels lie inside lower ones), with
/// the same properties and parameters as [`isoline_layer`].
///
/// # Errors
/// As [`isoline_layer`].
pub fn isoarea_layer(
    surface: &DensitySurface,
    levels: &[f64],
    projection: &Projection,
) -> Result<Layer> {
    let areas = isoareas(surface, levels)?
        .into_iter()
        .map(|(level, g)| (level, Geometry::MultiPolygon(g)));
    contour_layer("kde_isoareas", surface, levels, areas, projection)
}

/// A layer of contour geometries (projected metres) per level, unprojected
/// to WGS84, with the surface's parameters; empty geometries are skipped.
fn contour_layer(
    name: &str,
    surface: &DensitySurface,
    levels: &[f64],
    contours: impl Iterator<Item = (f64, Geometry)>,
    projection: &Projection,
) -> Result<Layer> {
    let mut layer = Layer::new(name);
    record(&mut layer, surface);
    layer.param("levels", levels.to_vec());
    for (level, g) in contours {
        let empty = match &g {
            Geometry::MultiLineString(m) => m.0.is_empty(),
            Geometry::MultiPolygon(m) => m.0.is_empty(),
            _ => false,
        };
        if !empty {
            layer.push(projection.inverse_geometry(&g)?, props(level, surface));
        }
    }
    Ok(layer)
}

/// Levels at fractions of the surface's maximum (e.g. `[0.25, 0.5, 0.75]`).
#[must_use]
pub fn levels_of_max(surface: &DensitySurface, fractions: &[f64]) -> Vec<f64> {
    let m = surface.max();
    fractions.iter().map(|f| f * m).collect()
}

/// Levels at quantiles (0–1) of the surface's non-zero values, e.g.
/// `[0.5, 0.9, 0.99]`: the 0.9 level encloses the densest 10 % of the
/// non-zero cells. Linear interpolation between order statistics (numpy's
/// default). Empty for a surface without non-zero values.
#[must_use]
pub fn levels_at_quantiles(surface: &DensitySurface, quantiles: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = surface
        .values
        .iter()
        .copied()
        .filter(|v| *v > 0.0)
        .collect();
    if v.is_empty() {
        return Vec::new();
    }
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    quantiles
        .iter()
        .map(|q| {
            let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
        })
        .collect()
}
