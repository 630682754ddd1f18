//! Web Mercator tile maths: XYZ (slippy-map) tile ids, their bounds, the TMS
//! row MBTiles stores, and the tiles that touch a study area.
//!
//! XYZ row 0 is the northernmost; MBTiles stores rows counted from the south
//! (`y_tms = 2^z − 1 − y`). Formulas as in the OSM wiki and mercantile.

use std::f64::consts::PI;
use std::ops::RangeInclusive;

use geo::{Intersects, MultiPolygon, Rect};

use crate::error::{Error, Result};

/// The sphere radius of Web Mercator (EPSG:3857), in metres.
pub const EARTH_RADIUS_M: f64 = 6_378_137.0;

/// The latitude where Web Mercator's square world ends.
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

/// The deepest zoom accepted.
pub const MAX_ZOOM: u8 = 24;

/// An XYZ tile: zoom `z`, column `x` from the antimeridian eastwards, row `y`
/// from the north.
///
/// ```
/// // Arkivpladsen, Aalborg, at zoom 14.
/// let t = byrum::TileId::containing(9.9187, 57.0488, 14)?;
/// assert_eq!((t.x, t.y), (8643, 5015));
/// assert_eq!(t.tms_y(), (1 << 14) - 1 - 5015);
/// assert_eq!(t.path(), "14/8643/5015");
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// Zoom.
    pub z: u8,
    /// Column.
    pub x: u32,
    /// Row (0 = north).
    pub y: u32,
}

impl TileId {
    /// A tile from its zoom, column and row.
    ///
    /// # Errors
    /// [`Error::Parameter`] if the zoom exceeds [`MAX_ZOOM`] or `x`/`y` is not below `2^z`.
    pub fn new(z: u8, x: u32, y: u32) -> Result<Self> {
        check_zoom(z)?;
        let n = 1u64 << z;
        if u64::from(x) >= n || u64::from(y) >= n {
            return Err(Error::parameter(
                "tile",
                format!("{z}/{x}/{y}: column and row must be below {n} at zoom {z}"),
            ));
        }
        Ok(Self { z, x, y })
    }

    /// The tile holding a point. Latitudes beyond ±[`MAX_LATITUDE`] fall in
    /// the first or last row, and longitude 180 in the last column.
    ///
    /// # Errors
    /// [`Error::Parameter`] for a bad zoom or a coordinate that is not finite
    /// or outside ±180/±90.
    pub fn containing(lon: f64, lat: f64, z: u8) -> Result<Self> {
        check_zoom(z)?;
        if !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0) {
            return Err(Error::parameter(
                "tile",
                format!("({lon}, {lat}) is not a longitude/latitude"),
            ));
        }
        let (fx, fy) = fraction(lon, lat);
        let n = (1u64 << z) as f64;
        let last = (1u64 << z) - 1;
        let cell = |f: f64| ((f * n).floor().max(0.0) as u64).min(last) as u32;
        Ok(Self {
            z,
            x: cell(fx),
            y: cell(fy),
        })
    }

    /// The row as MBTiles (TMS) stores it: counted from the south.
    #[must_use]
    pub fn tms_y(&self) -> u32 {
        ((1u64 << self.z) - 1 - u64::from(self.y)) as u32
    }

    /// `z/x/y`, the tile's path in an XYZ pyramid (without extension).
    #[must_use]
    pub fn path(&self) -> String {
        format!("{}/{}/{}", self.z, self.x, self.y)
    }

    /// West, south, east and north edges in degrees.
    #[must_use]
    pub fn bounds_lonlat(&self) -> (f64, f64, f64, f64) {
        let n = (1u64 << self.z) as f64;
        let lon = |x: f64| x / n * 360.0 - 180.0;
        let lat = |y: f64| (PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
        let (x, y) = (f64::from(self.x), f64::from(self.y));
        (lon(x), lat(y + 1.0), lon(x + 1.0), lat(y))
    }

    /// Left, bottom, right and top edges in Web Mercator metres (EPSG:3857).
    #[must_use]
    pub fn bounds_mercator(&self) -> (f64, f64, f64, f64) {
        let size = 2.0 * PI * EARTH_RADIUS_M / (1u64 << self.z) as f64;
        let origin = PI * EARTH_RADIUS_M;
        let left = f64::from(self.x) * size - origin;
        let top = origin - f64::from(self.y) * size;
        (left, top - size, left + size, top)
    }

    /// The tile's outline in degrees.
    #[must_use]
    pub fn rect_lonlat(&self) -> Rect {
        let (w, s, e, n) = self.bounds_lonlat();
        Rect::new((w, s), (e, n))
    }
}

/// A point in Web Mercator metres (EPSG:3857); latitude clamped to ±[`MAX_LATITUDE`].
#[must_use]
pub fn lonlat_to_mercator(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians();
    (
        EARTH_RADIUS_M * lon.to_radians(),
        EARTH_RADIUS_M * (PI / 4.0 + lat / 2.0).tan().ln(),
    )
}

/// A Web Mercator point back to degrees.
#[must_use]
pub fn mercator_to_lonlat(x: f64, y: f64) -> (f64, f64) {
    (
        (x / EARTH_RADIUS_M).to_degrees(),
        (y / EARTH_RADIUS_M).sinh().atan().to_degrees(),
    )
}

/// The tiles at each zoom of `zooms` whose area touches `area` (degrees),
/// sorted by zoom, then column, then row.
///
/// # Errors
/// [`Error::Parameter`] for a bad zoom range or an area without extent.
///
/// ```
/// use byrum::{StudyArea, tiles_touching};
/// let area = StudyArea::from_bbox(9.88, 57.02, 9.97, 57.07)?;
/// let tiles = tiles_touching(area.polygon(), 12..=13)?;
/// assert_eq!(tiles.iter().filter(|t| t.z == 12).count(), 4);
/// # Ok::<(), byrum::Error>(())
/// ```
pub fn tiles_touching(area: &MultiPolygon, zooms: RangeInclusive<u8>) -> Result<Vec<TileId>> {
    use geo::BoundingRect;
    check_zoom(*zooms.end())?;
    if zooms.is_empty() {
        return Err(Error::parameter("zoom range", "is empty"));
    }
    let bb = area
        .bounding_rect()
        .ok_or_else(|| Error::parameter("tile area", "has no extent"))?;
    let mut out = Vec::new();
    for z in zooms {
        let a = TileId::containing(bb.min().x, bb.max().y, z)?;
        let b = TileId::containing(bb.max().x, bb.min().y, z)?;
        for x in a.x..=b.x {
            for y in a.y..=b.y {
                let t = TileId { z, x, y };
                if t.rect_lonlat().to_polygon().intersects(area) {
                    out.push(t);
                }
            }
        }
    }
    Ok(out)
}

/// Fractions of the world's width from the antimeridian and height from the north.
fn fraction(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians();
    let fy = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0;
    ((lon + 180.0) / 360.0, fy)
}

fn check_zoom(z: u8) -> Result<()> {
    if z > MAX_ZOOM {
        return Err(Error::parameter("zoom", format!("{z}: at most {MAX_ZOOM}")));
    }
    Ok(())
}
