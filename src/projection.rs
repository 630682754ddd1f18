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
//! `tests/projection.rs`, checked against `tests/fixtures/utm_pyproj.csv`).

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
    /// latitude (robust to a few far-off geocodes).
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

    /// Projects many points in parallel. Points that cannot be projected come
    /// back as NaN (callers validate coordinates before projecting).
    #[must_use]
    pub fn forward_many(&self, lon: &[f64], lat: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let n = lon.len().min(lat.len());
        let mut x: Vec<f64> = lon[..n].par_iter().map(|v| v.to_radians()).collect();
        let mut y: Vec<f64> = lat[..n].par_iter().map(|v| v.to_radians()).collect();
        // proj4rs applies each step of the transformation to a whole batch
        // (the same arithmetic per point as `forward`, less call overhead).
        x.par_chunks_mut(BATCH)
            .zip(y.par_chunks_mut(BATCH))
            .for_each(|(x, y)| {
                let mut z = vec![0.0; x.len()];
                let mut batch = Batch { x, y, z: &mut z };
                if proj4rs::transform::transform(&self.geographic, &self.projected, &mut batch)
                    .is_err()
                {
                    batch.x.fill(f64::NAN);
                    batch.y.fill(f64::NAN);
                }
                for (x, y) in batch.x.iter_mut().zip(batch.y.iter_mut()) {
                    if !(x.is_finite() && y.is_finite()) {
                        (*x, *y) = (f64::NAN, f64::NAN);
                    }
                }
            });
        (x, y)
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

/// The median longitude and latitude of the valid points, if any.
pub(crate) fn median_point(lon: &[f64], lat: &[f64]) -> Option<(f64, f64)> {
    let mut lo: Vec<f64> = Vec::with_capacity(lon.len());
    let mut la: Vec<f64> = Vec::with_capacity(lat.len());
    for (&x, &y) in lon.iter().zip(lat) {
        if x.is_finite()
            && y.is_finite()
            && (-180.0..=180.0).contains(&x)
            && (-90.0..=90.0).contains(&y)
        {
            lo.push(x);
            la.push(y);
        }
    }
    if lo.is_empty() {
        return None;
    }
    let mid = lo.len() / 2;
    let (_, mlon, _) = lo.select_nth_unstable_by(mid, f64::total_cmp);
    let (_, mlat, _) = la.select_nth_unstable_by(mid, f64::total_cmp);
    Some((*mlon, *mlat))
}

/// Points per batch in [`Projection::forward_many`].
const BATCH: usize = 4096;

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

    /// The batched projection gives `forward`'s bits, and NaN where
    /// `forward` fails, in any batch position.
    #[test]
    fn forward_many_equals_forward() {
        for p in [
            Projection::etrs89_utm32(),
            Projection::for_point(-79.4, 43.7).unwrap(),
        ] {
            let n = 3 * BATCH + 17;
            let mut lon: Vec<f64> = (0..n)
                .map(|i| -180.0 + 360.0 * (i as f64 * 0.618_034).fract())
                .collect();
            let mut lat: Vec<f64> = (0..n)
                .map(|i| -89.0 + 178.0 * (i as f64 * 0.414_214).fract())
                .collect();
            lon[5] = f64::NAN;
            lat[BATCH + 3] = f64::INFINITY;
            lat[2 * BATCH] = 95.0;
            let (x, y) = p.forward_many(&lon, &lat);
            for i in 0..n {
                match p.forward(lon[i], lat[i]) {
                    Ok((a, b)) => {
                        assert_eq!(
                            (x[i].to_bits(), y[i].to_bits()),
                            (a.to_bits(), b.to_bits()),
                            "{i}"
                        );
                    }
                    Err(_) => assert!(x[i].is_nan() && y[i].is_nan(), "{i}"),
                }
            }
            assert!(x[5].is_nan() && x[BATCH + 3].is_nan());
        }
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
