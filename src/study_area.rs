//! The study area: a polygon or bounding box (WGS84) that incidents must fall in.

use std::path::Path;

use geo::{BoundingRect, Coord, Intersects, MultiPolygon, Point, Rect};

use crate::error::{Error, Result};

/// The area analysed. Points outside it are rejected at ingest
/// (`out_of_study_area`), and grids cover exactly it.
///
/// ```
/// let area = byrum::StudyArea::from_bbox_str("9.88,57.02,9.97,57.07")?;
/// assert!(area.contains(9.92, 57.05));
/// assert!(!area.contains(-95.3, 29.7));
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct StudyArea {
    polygon: MultiPolygon,
    bbox: Rect,
    is_box: bool,
}

impl StudyArea {
    /// A bounding box in degrees.
    ///
    /// # Errors
    /// [`Error::Parameter`] if the box is empty or not in longitude/latitude range.
    pub fn from_bbox(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> Result<Self> {
        let ok = [min_lon, min_lat, max_lon, max_lat]
            .iter()
            .all(|v| v.is_finite())
            && (-180.0..=180.0).contains(&min_lon)
            && (-180.0..=180.0).contains(&max_lon)
            && (-90.0..=90.0).contains(&min_lat)
            && (-90.0..=90.0).contains(&max_lat)
            && min_lon < max_lon
            && min_lat < max_lat;
        if !ok {
            return Err(Error::parameter(
                "study area",
                format!(
                    "bounding box {min_lon},{min_lat},{max_lon},{max_lat} must be min_lon,min_lat,max_lon,max_lat in degrees with min < max"
                ),
            ));
        }
        let bbox = Rect::new(
            Coord {
                x: min_lon,
                y: min_lat,
            },
            Coord {
                x: max_lon,
                y: max_lat,
            },
        );
        Ok(Self {
            polygon: MultiPolygon(vec![bbox.to_polygon()]),
            bbox,
            is_box: true,
        })
    }

    /// A bounding box from text `min_lon,min_lat,max_lon,max_lat`.
    ///
    /// # Errors
    /// [`Error::Parameter`] if the text is not four numbers forming a valid box.
    pub fn from_bbox_str(s: &str) -> Result<Self> {
        let v: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| {
                Error::parameter(
                    "study area",
                    format!("{s:?} is not min_lon,min_lat,max_lon,max_lat"),
                )
            })?;
        match v.as_slice() {
            [a, b, c, d] => Self::from_bbox(*a, *b, *c, *d),
            _ => Err(Error::parameter(
                "study area",
                format!("{s:?} needs exactly four numbers"),
            )),
        }
    }

    /// A (multi)polygon in WGS84.
    ///
    /// # Errors
    /// [`Error::Parameter`] if it is empty.
    pub fn from_polygon(polygon: MultiPolygon) -> Result<Self> {
        let bbox = polygon
            .bounding_rect()
            .ok_or_else(|| Error::parameter("study area", "the polygon is empty"))?;
        Ok(Self {
            polygon,
            bbox,
            is_box: false,
        })
    }

    /// Reads a study area: a GeoJSON file with Polygon/MultiPolygon features
    /// (their union), or a file containing `min_lon,min_lat,max_lon,max_lat`.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Input`] if the file cannot be read, is empty,
    /// holds no polygon, or a polygon that cannot be used (a coordinate out of
    /// range or not a number, a ring of fewer than 4 positions, an outline
    /// crossing itself: see [`read::geojson`](crate::read::geojson)).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
        let text = text.trim_start_matches('\u{feff}');
        if text.trim().is_empty() {
            return Err(Error::input(
                path,
                "the file is empty; expected a GeoJSON Polygon or MultiPolygon, or min_lon,min_lat,max_lon,max_lat",
            ));
        }
        if !text.trim_start().starts_with('{') {
            return Self::from_bbox_str(text.trim()).map_err(|e| Error::input(path, e.to_string()));
        }
        let polys = crate::read::geojson::read_polygons(path, text)?;
        if polys.0.is_empty() {
            return Err(Error::input(
                path,
                "no Polygon or MultiPolygon in this GeoJSON; a study area needs one",
            ));
        }
        Self::from_polygon(polys)
    }

    /// Whether the point lies in the area (boundary included).
    #[must_use]
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let c = Coord { x: lon, y: lat };
        let (mn, mx) = (self.bbox.min(), self.bbox.max());
        if c.x < mn.x || c.x > mx.x || c.y < mn.y || c.y > mx.y {
            return false;
        }
        // Intersects: inside or on the boundary.
        self.is_box || self.polygon.intersects(&Point(c))
    }

    /// The area as a multipolygon (WGS84).
    #[must_use]
    pub fn polygon(&self) -> &MultiPolygon {
        &self.polygon
    }

    /// Its bounding box (WGS84).
    #[must_use]
    pub fn bbox(&self) -> Rect {
        self.bbox
    }
}
