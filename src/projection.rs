//! The one metric projection: WGS84 longitude/latitude ↔ UTM metres.
//!
//! Every distance, buffer, kernel and grid in byrum is computed in the
//! [`Projection`] chosen here, never in degrees. Denmark uses ETRS89 / UTM zone
//! 32N (EPSG:25832, the projection Danish municipal data is delivered in);
//! elsewhere the WGS84 UTM zone of the data's median point is chosen
//! (EPSG:326zz north, 327zz south), with the Norwegian and Svalbard exceptions.
//!
//! The transformation is [`proj4rs`], a pure-Rust port of PROJ's transverse
//! Mercator; it agrees with pyproj/PROJ to well below a millimetre (see
//! `tests/oracles.rs`, checked against `tests/fixtures/utm_pyproj.csv`).
//! [`Projection::forward_many`], which projects a data set's incidents,
//! interpolates points close together in a lattice of exactly projected
//! points, within 1 µm of the exact result ([`LATTICE_TOLERANCE_M`]).

use geo::{Coord, MapCoords};
use proj4rs::proj::Proj;
use rayon::prelude::*;

use crate::error::{Error, Result};

/// Longitude/latitude extent inside which EPSG:25832 is chosen automatically
/// (Denmark including Bornholm and Christiansø).
const DENMARK: (f64, f64, f64, f64) = (7.5, 54.4, 15.5, 58.0);

/// A WGS84 ↔ UTM projection. Build it once and share it: it is `Send + Sync`.
///
/// ```
/// use byrum::Projection;
/// let p = Projection::from_epsg(25832)?;
/// let (x, y) = p.forward(9.9187, 57.0488)?; // Aalborg
/// assert!((x - 556_300.0).abs() < 1_000.0 && (y - 6_322_800.0).abs() < 1_000.0);
/// let (lon, lat) = p.inverse(x, y)?;
/// assert!((lon - 9.9187).abs() < 1e-9 && (lat - 57.0488).abs() < 1e-9);
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Clone)]
pub struct Projection {
    epsg: u32,
    zone: u8,
    south: bool,
    geographic: Proj,
    projected: Proj,
}

impl std::fmt::Debug for Projection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Projection")
            .field("epsg", &self.epsg)
            .field("proj", &self.proj_string())
            .finish_non_exhaustive()
    }
}

impl Projection {
    /// A projection from its EPSG code: 25828–25838 (ETRS89 / UTM 28N–38N),
    /// 32601–32660 (WGS84 / UTM north) or 32701–32760 (WGS84 / UTM south).
    ///
    /// # Errors
    /// [`Error::Parameter`] for any other code.
    pub fn from_epsg(epsg: u32) -> Result<Self> {
        let (zone, south, etrs) = match epsg {
            25828..=25838 => (epsg - 25800, false, true),
            32601..=32660 => (epsg - 32600, false, false),
            32701..=32760 => (epsg - 32700, true, false),
            _ => {
                return Err(Error::parameter(
                    "EPSG code",
                    format!(
                        "{epsg} is not a UTM projection byrum supports; use 25828–25838 (ETRS89 / UTM), 326zz or 327zz (WGS84 / UTM)"
                    ),
                ));
            }
        };
        let zone = zone as u8;
        let ellps = if etrs { "+ellps=GRS80" } else { "+datum=WGS84" };
        let south_flag = if south { " +south" } else { "" };
        let projected = Proj::from_proj_string(&format!(
            "+proj=utm +zone={zone}{south_flag} {ellps} +units=m +no_defs"
        ))
        .map_err(|e| Error::Projection(e.to_string()))?;
        let geographic = Proj::from_proj_string(&format!("+proj=longlat {ellps} +no_defs"))
            .map_err(|e| Error::Projection(e.to_string()))?;
        Ok(Self {
            epsg,
            zone,
            south,
            geographic,
            projected,
        })
    }

    /// ETRS89 / UTM zone 32N (EPSG:25832), the Danish standard.
    #[must_use]
    pub fn etrs89_utm32() -> Self {
        // 25832 is in the accepted range, so this cannot fail.
        Self::from_epsg(25832).unwrap_or_else(|_| unreachable!("EPSG:25832 is supported"))
    }

    /// The projection for a point: EPSG:25832 inside Denmark, otherwise the
    /// WGS84 UTM zone containing it.
    ///
    /// # Errors
    /// [`Error::Parameter`] if the point is not a valid longitude/latitude.
    pub fn for_point(lon: f64, lat: f64) -> Result<Self> {
        if !(lon.is_finite()
            && lat.is_finite()
            && (-180.0..=180.0).contains(&lon)
            && (-80.0..=84.0).contains(&lat))
        {
            return Err(Error::parameter(
                "projection centre",
                format!(
                    "({lon}, {lat}) is not a longitude/latitude covered by UTM (latitude −80…84)"
                ),
            ));
        }
        let (w, s, e, n) = DENMARK;
        if (w..=e).contains(&lon) && (s..=n).contains(&lat) {
            return Ok(Self::etrs89_utm32());
        }
        let zone = utm_zone(lon, lat);
        let base = if lat < 0.0 { 32700 } else { 32600 };
        Self::from_epsg(base + u32::from(zone))
    }

    /// The projection for a set of points, chosen at their median longitude and
    /// latitude (robust to a few far-off geocodes); of more than 65,536
    /// points, the median of every `n / 65,536`-th.
    ///
    /// # Errors
    /// [`Error::Parameter`] if there are no valid points.
    pub fn for_points(lon: &[f64], lat: &[f64]) -> Result<Self> {
        let (mlon, mlat) = median_point(lon, lat).ok_or_else(|| {
            Error::parameter(
                "projection",
                "there are no valid points to choose a UTM zone from",
            )
        })?;
        Self::for_point(mlon, mlat)
    }

    /// The EPSG code (25832, 32615, …).
    #[must_use]
    pub fn epsg(&self) -> u32 {
        self.epsg
    }

    /// The UTM zone number (1–60).
    #[must_use]
    pub fn zone(&self) -> u8 {
        self.zone
    }

    /// The PROJ string of the projected system.
    #[must_use]
    pub fn proj_string(&self) -> String {
        let ellps = if (25828..=25838).contains(&self.epsg) {
            "+ellps=GRS80"
        } else {
            "+datum=WGS84"
        };
        let south = if self.south { " +south" } else { "" };
        format!(
            "+proj=utm +zone={}{south} {ellps} +units=m +no_defs",
            self.zone
        )
    }

    /// Longitude/latitude in degrees → easting/northing in metres.
    ///
    /// # Errors
    /// [`Error::Projection`] if the point cannot be projected.
    pub fn forward(&self, lon: f64, lat: f64) -> Result<(f64, f64)> {
        let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
        proj4rs::transform::transform(&self.geographic, &self.projected, &mut p)
            .map_err(|e| Error::Projection(format!("({lon}, {lat}): {e}")))?;
        if p.0.is_finite() && p.1.is_finite() {
            Ok((p.0, p.1))
        } else {
            Err(Error::Projection(format!(
                "({lon}, {lat}) has no finite projection"
            )))
        }
    }

    /// Easting/northing in metres → longitude/latitude in degrees.
    ///
    /// # Errors
    /// [`Error::Projection`] if the point cannot be unprojected.
    pub fn inverse(&self, x: f64, y: f64) -> Result<(f64, f64)> {
        let mut p = (x, y, 0.0);
        proj4rs::transform::transform(&self.projected, &self.geographic, &mut p)
            .map_err(|e| Error::Projection(format!("({x}, {y}): {e}")))?;
        Ok((p.0.to_degrees(), p.1.to_degrees()))
    }

    /// Projects many points in parallel, each within [`LATTICE_TOLERANCE_M`]
    /// (1 µm) of [`Projection::forward`]. Points that cannot be projected
    /// come back as NaN (callers validate coordinates before projecting).
    ///
    /// Many points close together (a city's incidents) are interpolated in
    /// a lattice of exactly projected points every 1/32° (bicubic, checked
    /// at every lattice cell's centre, where the interpolation errs most);
    /// a point in a cell that fails the check, or outside the lattice, and
    /// every point of a set spread too widely for a small lattice, is
    /// projected exactly. A point's result depends only on the point and
    /// whether the lattice is used, never on the other points.
    #[must_use]
    pub fn forward_many(&self, lon: &[f64], lat: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let n = lon.len().min(lat.len());
        let (lon, lat) = (&lon[..n], &lat[..n]);
        let lattice = Lattice::covering(self, lon, lat, LATTICE_STEP_DEG);
        let mut x = vec![0.0; n];
        let mut y = vec![0.0; n];
        x.par_chunks_mut(BATCH)
            .zip(y.par_chunks_mut(BATCH))
            .enumerate()
            .for_each(|(k, (x, y))| {
                let at = k * BATCH;
                let (lon, lat) = (&lon[at..at + x.len()], &lat[at..at + x.len()]);
                let mut exact = Vec::new();
                for (i, (x, y)) in x.iter_mut().zip(y.iter_mut()).enumerate() {
                    match lattice.as_ref().and_then(|l| l.at(lon[i], lat[i])) {
                        Some(p) => (*x, *y) = p,
                        None => exact.push(i),
                    }
                }
                if !exact.is_empty() {
                    self.forward_exact(lon, lat, &exact, x, y);
                }
            });
        (x, y)
    }

    /// Projects the points `which` of `lon`/`lat` exactly into `x`/`y` (NaN
    /// where they cannot be projected), with proj4rs stepping through them
    /// as a batch (the same arithmetic per point as `forward`).
    fn forward_exact(
        &self,
        lon: &[f64],
        lat: &[f64],
        which: &[usize],
        x: &mut [f64],
        y: &mut [f64],
    ) {
        let mut bx: Vec<f64> = which.iter().map(|&i| lon[i].to_radians()).collect();
        let mut by: Vec<f64> = which.iter().map(|&i| lat[i].to_radians()).collect();
        let mut bz = vec![0.0; which.len()];
        let mut batch = Batch {
            x: &mut bx,
            y: &mut by,
            z: &mut bz,
        };
        if proj4rs::transform::transform(&self.geographic, &self.projected, &mut batch).is_err() {
            batch.x.fill(f64::NAN);
            batch.y.fill(f64::NAN);
        }
        for ((&i, &px), &py) in which.iter().zip(batch.x.iter()).zip(batch.y.iter()) {
            (x[i], y[i]) = if px.is_finite() && py.is_finite() {
                (px, py)
            } else {
                (f64::NAN, f64::NAN)
            };
        }
    }

    /// Projects a geo geometry (any type implementing `MapCoords`).
    ///
    /// # Errors
    /// [`Error::Projection`] if any vertex cannot be projected.
    pub fn forward_geometry<G>(&self, g: &G) -> Result<G::Output>
    where
        G: MapCoords<f64, f64>,
    {
        g.try_map_coords(|c: Coord| {
            let (x, y) = self.forward(c.x, c.y)?;
            Ok::<_, Error>(Coord { x, y })
        })
    }

    /// Unprojects a geo geometry back to longitude/latitude.
    ///
    /// # Errors
    /// [`Error::Projection`] if any vertex cannot be unprojected.
    pub fn inverse_geometry<G>(&self, g: &G) -> Result<G::Output>
    where
        G: MapCoords<f64, f64>,
    {
        g.try_map_coords(|c: Coord| {
            let (x, y) = self.inverse(c.x, c.y)?;
            Ok::<_, Error>(Coord { x, y })
        })
    }
}

/// The UTM zone of a point, with the Norwegian (32V) and Svalbard exceptions.
#[must_use]
pub fn utm_zone(lon: f64, lat: f64) -> u8 {
    if (56.0..64.0).contains(&lat) && (3.0..12.0).contains(&lon) {
        return 32;
    }
    if (72.0..84.0).contains(&lat) && (0.0..42.0).contains(&lon) {
        return if lon < 9.0 {
            31
        } else if lon < 21.0 {
            33
        } else if lon < 33.0 {
            35
        } else {
            37
        };
    }
    let z = ((lon + 180.0) / 6.0).floor() as i64 + 1;
    z.clamp(1, 60) as u8
}

/// Whether a longitude/latitude pair is valid (finite, within ±180/±90).
pub(crate) fn valid_lon_lat(lon: f64, lat: f64) -> bool {
    (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
}

/// The box (west, south, east, north) around the valid points, if any.
pub(crate) fn lon_lat_extent(lon: &[f64], lat: &[f64]) -> Option<(f64, f64, f64, f64)> {
    let empty = || {
        (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        )
    };
    let (w, s, e, n) = lon
        .par_iter()
        .zip(lat)
        .with_min_len(1 << 14)
        .filter(|&(&x, &y)| valid_lon_lat(x, y))
        .fold(empty, |b, (&x, &y)| {
            (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y))
        })
        .reduce(empty, |a, b| {
            (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3))
        });
    (w <= e && s <= n).then_some((w, s, e, n))
}

/// The median longitude and latitude of the valid points, if any: of all of
/// them up to [`MEDIAN_SAMPLE`] points, of every `n / MEDIAN_SAMPLE`-th
/// point beyond (every valid point if that sample holds none).
pub(crate) fn median_point(lon: &[f64], lat: &[f64]) -> Option<(f64, f64)> {
    let n = lon.len().min(lat.len());
    let step = (n / MEDIAN_SAMPLE).max(1);
    let sample = |step: usize| -> (Vec<f64>, Vec<f64>) {
        lon[..n]
            .iter()
            .step_by(step)
            .zip(lat[..n].iter().step_by(step))
            .filter(|&(&x, &y)| valid_lon_lat(x, y))
            .map(|(&x, &y)| (x, y))
            .unzip()
    };
    let (mut lo, mut la) = sample(step);
    if lo.is_empty() && step > 1 {
        (lo, la) = sample(1);
    }
    if lo.is_empty() {
        return None;
    }
    let mid = lo.len() / 2;
    let (_, mlon, _) = lo.select_nth_unstable_by(mid, f64::total_cmp);
    let (_, mlat, _) = la.select_nth_unstable_by(mid, f64::total_cmp);
    Some((*mlon, *mlat))
}

/// At most this many points are taken for [`median_point`] (evenly spaced).
const MEDIAN_SAMPLE: usize = 1 << 16;

/// Points per batch in [`Projection::forward_many`].
const BATCH: usize = 4096;

/// How far (metres) [`Projection::forward_many`]'s interpolated points may
/// be from [`Projection::forward`]'s: 1 µm, a ten-thousandth of the
/// centimetre that coordinates with 7 decimals carry.
pub const LATTICE_TOLERANCE_M: f64 = 1e-6;

/// The spacing (degrees) of [`Projection::forward_many`]'s lattice.
const LATTICE_STEP_DEG: f64 = 1.0 / 32.0;

/// The most lattice points [`Projection::forward_many`] projects for a set
/// of points, besides at most a quarter of their number (a lattice costs two
/// exact projections a point: its own and its cell's check).
const LATTICE_MAX_POINTS: usize = 1 << 12;

/// Exactly projected points every `step` degrees over a set of points'
/// extent (one more row and column each side, as bicubic interpolation
/// needs), and which cells interpolate within [`LATTICE_TOLERANCE_M`].
#[derive(Debug)]
struct Lattice {
    /// Longitude and latitude of lattice point (0, 0), multiples of `step`.
    lon0: f64,
    lat0: f64,
    /// 1 / spacing in degrees.
    per_degree: f64,
    /// Lattice points per row and per column.
    nx: usize,
    ny: usize,
    /// The projected lattice points, row by row from the south-west.
    at: Vec<(f64, f64)>,
    /// Per cell (south-west corner `(i, j)` at `j * nx + i`): whether
    /// interpolation may be used there.
    good: Vec<bool>,
}

impl Lattice {
    /// The lattice over the valid points of `lon`/`lat` with spacing `step`
    /// (degrees), or `None` if it would take more than
    /// [`LATTICE_MAX_POINTS`] plus a quarter of the points.
    fn covering(p: &Projection, lon: &[f64], lat: &[f64], step: f64) -> Option<Self> {
        let (w, s, e, n) = lon_lat_extent(lon, lat)?;
        let per_degree = 1.0 / step;
        // Cells from the one holding the west/south end to the one holding
        // the east/north end, one more cell each side, one more point.
        let (i0, i1) = (
            (w * per_degree).floor() - 1.0,
            (e * per_degree).floor() + 3.0,
        );
        let (j0, j1) = (
            (s * per_degree).floor() - 1.0,
            (n * per_degree).floor() + 3.0,
        );
        let (nx, ny) = ((i1 - i0) as usize, (j1 - j0) as usize);
        if nx.saturating_mul(ny) > LATTICE_MAX_POINTS + lon.len() / 4 {
            return None;
        }
        let (lon0, lat0) = (i0 * step, j0 * step);
        let exact = |i: f64, j: f64| {
            p.forward(lon0 + i * step, lat0 + j * step)
                .unwrap_or((f64::NAN, f64::NAN))
        };
        let mut lattice = Self {
            lon0,
            lat0,
            per_degree,
            nx,
            ny,
            at: (0..nx * ny)
                .into_par_iter()
                .map(|k| exact((k % nx) as f64, (k / nx) as f64))
                .collect(),
            good: Vec::new(),
        };
        // Check each cell with its 4 × 4 stencil on the lattice at its
        // centre, where cubic interpolation's error term, (s+1)s(s−1)(s−2),
        // peaks; a cell passes with a fourfold margin.
        let good: Vec<bool> = (0..nx * ny)
            .into_par_iter()
            .map(|k| {
                let (i, j) = (k % nx, k / nx);
                if i < 1 || j < 1 || i + 2 >= nx || j + 2 >= ny {
                    return false;
                }
                let finite = (j - 1..j + 3).all(|r| {
                    (i - 1..i + 3).all(|c| {
                        let (x, y) = lattice.at[r * nx + c];
                        x.is_finite() && y.is_finite()
                    })
                });
                if !finite {
                    return false;
                }
                let (cx, cy) = exact(i as f64 + 0.5, j as f64 + 0.5);
                let (ix, iy) = lattice.interpolate(i, j, 0.5, 0.5);
                (cx - ix).hypot(cy - iy) <= LATTICE_TOLERANCE_M / 4.0
            })
            .collect();
        lattice.good = good;
        Some(lattice)
    }

    /// The interpolated projection of a point, or `None` if its cell is
    /// not good (or it is off the lattice).
    #[inline]
    fn at(&self, lon: f64, lat: f64) -> Option<(f64, f64)> {
        let u = (lon - self.lon0) * self.per_degree;
        let v = (lat - self.lat0) * self.per_degree;
        // NaN fails both.
        if !(u >= 0.0 && v >= 0.0 && u < self.nx as f64 && v < self.ny as f64) {
            return None;
        }
        let (i, j) = (u as usize, v as usize);
        if !self.good[j * self.nx + i] {
            return None;
        }
        Some(self.interpolate(i, j, u - i as f64, v - j as f64))
    }

    /// Bicubic (Lagrange) interpolation at fractions `s` (east) and `t`
    /// (north) into cell `(i, j)`, whose 4 × 4 stencil must be on the lattice.
    #[inline]
    fn interpolate(&self, i: usize, j: usize, s: f64, t: f64) -> (f64, f64) {
        let (ws, wt) = (cubic_weights(s), cubic_weights(t));
        let mut sum = (0.0, 0.0);
        for (r, &w_row) in wt.iter().enumerate() {
            let start = (j + r - 1) * self.nx + i - 1;
            let row = &self.at[start..start + 4];
            let mut along = (0.0, 0.0);
            for (&(x, y), &w) in row.iter().zip(&ws) {
                along.0 += w * x;
                along.1 += w * y;
            }
            sum.0 += w_row * along.0;
            sum.1 += w_row * along.1;
        }
        sum
    }
}

/// Lagrange weights of the points at −1, 0, 1 and 2 for the cubic through
/// them, at `s` (in [0, 1) between the middle two).
#[inline]
fn cubic_weights(s: f64) -> [f64; 4] {
    let (a, b, c, d) = (s + 1.0, s, s - 1.0, s - 2.0);
    [
        -(b * c * d) / 6.0,
        a * c * d / 2.0,
        -(a * b * d) / 2.0,
        a * b * c / 6.0,
    ]
}

/// A batch of coordinates for proj4rs, transformed in place. A point that
/// fails a step becomes NaN and is skipped by the later steps; the others
/// go on (the per-point `forward` turns the same failures into errors).
struct Batch<'a> {
    x: &'a mut [f64],
    y: &'a mut [f64],
    /// Heights (0 to start with), carried between steps as for one point.
    z: &'a mut [f64],
}

impl proj4rs::transform::Transform for Batch<'_> {
    fn transform_coordinates<F: proj4rs::transform::TransformClosure>(
        &mut self,
        f: &mut F,
    ) -> proj4rs::errors::Result<()> {
        for ((x, y), z) in self
            .x
            .iter_mut()
            .zip(self.y.iter_mut())
            .zip(self.z.iter_mut())
        {
            if x.is_nan() || y.is_nan() {
                continue;
            }
            (*x, *y, *z) = f(*x, *y, *z).unwrap_or((f64::NAN, f64::NAN, f64::NAN));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The distance between `forward_many`'s point `i` and `forward`'s,
    /// checking that both fail together.
    fn off_by(p: &Projection, lon: &[f64], lat: &[f64], x: &[f64], y: &[f64], i: usize) -> f64 {
        if let Ok((a, b)) = p.forward(lon[i], lat[i]) {
            (x[i] - a).hypot(y[i] - b)
        } else {
            assert!(x[i].is_nan() && y[i].is_nan(), "{i}");
            0.0
        }
    }

    /// Points spread over the world (projected exactly: no small lattice
    /// covers them) and clustered in cities, near the zone's edge and near
    /// the pole (interpolated where the lattice's check passes): all within
    /// the tolerance of `forward`, and NaN where `forward` fails, in any
    /// batch position.
    #[test]
    fn forward_many_within_tolerance_of_forward() {
        let spread = |n: usize, (w, s): (f64, f64), (dw, ds): (f64, f64)| {
            let lon: Vec<f64> = (0..n)
                .map(|i| w + dw * (i as f64 * 0.618_034).fract())
                .collect();
            let lat: Vec<f64> = (0..n)
                .map(|i| s + ds * (i as f64 * 0.414_214).fract())
                .collect();
            (lon, lat)
        };
        let utm32 = Projection::etrs89_utm32();
        let cases = [
            (utm32.clone(), (-180.0, -89.0), (360.0, 178.0), false),
            (utm32.clone(), (9.8, 56.95), (0.3, 0.2), true),
            // Far east of the central meridian (9°E): 7° out, beyond the zone.
            (utm32, (15.7, 55.0), (0.5, 0.4), true),
            (
                Projection::for_point(-79.4, 43.7).unwrap(),
                (-79.6, 43.55),
                (0.4, 0.3),
                true,
            ),
            (
                Projection::from_epsg(32633).unwrap(),
                (15.0, 83.5),
                (1.0, 0.5),
                true,
            ),
        ];
        for (p, south_west, size, lattice) in cases {
            let n = 3 * BATCH + 17;
            let (mut lon, mut lat) = spread(n, south_west, size);
            assert_eq!(
                Lattice::covering(&p, &lon, &lat, LATTICE_STEP_DEG).is_some(),
                lattice
            );
            lon[5] = f64::NAN;
            lat[BATCH + 3] = f64::INFINITY;
            lat[2 * BATCH] = 95.0;
            let (x, y) = p.forward_many(&lon, &lat);
            let worst = (0..n)
                .map(|i| off_by(&p, &lon, &lat, &x, &y, i))
                .fold(0.0, f64::max);
            assert!(worst <= LATTICE_TOLERANCE_M, "{p:?} {worst}");
            assert!(x[5].is_nan() && x[BATCH + 3].is_nan() && y[2 * BATCH].is_nan());
            // A point's result does not depend on the others.
            let (x1, y1) = p.forward_many(&lon[n - 100..], &lat[n - 100..]);
            let (xn, yn) = p.forward_many(&lon[..n / 2], &lat[..n / 2]);
            let same =
                |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits());
            assert!(
                same(&x1, &x[n - 100..]) && same(&y1, &y[n - 100..]),
                "{p:?}"
            );
            assert!(same(&xn, &x[..n / 2]) && same(&yn, &y[..n / 2]), "{p:?}");
        }
    }

    /// The lattice's check refuses cells where bicubic interpolation is
    /// off by more than the tolerance (a coarse lattice near the pole), and
    /// those cells' points are projected exactly; a city's lattice passes
    /// everywhere inside.
    #[test]
    fn lattice_check_refuses_poor_cells() {
        let p = Projection::from_epsg(32633).unwrap();
        let lon: Vec<f64> = (0..400)
            .map(|i| 0.0 + 40.0 * f64::from(i) / 399.0)
            .collect();
        let lat: Vec<f64> = (0..400)
            .map(|i| 60.0 + 23.0 * f64::from(i % 20) / 19.0)
            .collect();
        let coarse = Lattice::covering(&p, &lon, &lat, 4.0).unwrap();
        let inner = |l: &Lattice| {
            (0..l.nx * l.ny)
                .filter(|k| {
                    let (i, j) = (k % l.nx, k / l.nx);
                    i >= 1 && j >= 1 && i + 2 < l.nx && j + 2 < l.ny
                })
                .collect::<Vec<_>>()
        };
        let cells = inner(&coarse);
        let good = cells.iter().filter(|&&k| coarse.good[k]).count();
        assert!(good < cells.len(), "{good} of {}", cells.len());
        for (&lo, &la) in lon.iter().zip(&lat) {
            if let Some((x, y)) = coarse.at(lo, la) {
                let (a, b) = p.forward(lo, la).unwrap();
                assert!((x - a).hypot(y - b) <= LATTICE_TOLERANCE_M, "{lo} {la}");
            }
        }
        let utm32 = Projection::etrs89_utm32();
        let city =
            Lattice::covering(&utm32, &[9.8, 10.1], &[56.95, 57.15], LATTICE_STEP_DEG).unwrap();
        assert!(inner(&city).iter().all(|&k| city.good[k]));
    }

    #[test]
    fn zones() {
        assert_eq!(utm_zone(9.9, 57.0), 32);
        assert_eq!(utm_zone(-93.2, 45.0), 15);
        assert_eq!(utm_zone(5.3, 60.4), 32); // Bergen, zone 32V exception
        assert_eq!(utm_zone(15.6, 78.2), 33); // Longyearbyen
        assert_eq!(utm_zone(180.0, 0.0), 60);
    }

    #[test]
    fn auto_choice() {
        assert_eq!(Projection::for_point(14.7, 55.1).unwrap().epsg(), 25832); // Bornholm
        assert_eq!(Projection::for_point(-93.2, 45.0).unwrap().epsg(), 32615);
        assert_eq!(Projection::for_point(151.2, -33.9).unwrap().epsg(), 32756);
        assert!(Projection::for_point(f64::NAN, 1.0).is_err());
        let p = Projection::for_points(&[-93.2, -93.3, 10.0], &[45.0, 44.9, 50.0]).unwrap();
        assert_eq!(p.epsg(), 32615);
        assert!(Projection::for_points(&[], &[]).is_err());
    }

    #[test]
    fn rejects_unknown_epsg() {
        let e = Projection::from_epsg(3857).unwrap_err().to_string();
        assert!(e.contains("3857"), "{e}");
    }
}
