//! The H3 grid: cells of points and of the study area, and counts per cell
//! and time bin with rates per hour of exposure.

use std::collections::{HashMap, HashSet};

use foldhash::fast::FixedState;

use geo::MultiPolygon;
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;

use crate::cell_lookup::CellLookup;
use crate::error::{Error, Result};

/// An H3 resolution from its number (0–15).
///
/// # Errors
/// [`Error::Parameter`] outside 0–15.
pub fn h3_resolution(res: u8) -> Result<Resolution> {
    Resolution::try_from(res).map_err(|_| {
        Error::parameter(
            "H3 resolution",
            format!("{res} is not 0–15 (9 is about 170 m across, 10 about 65 m)"),
        )
    })
}

/// The H3 cell of every point, computed in parallel.
///
/// Many points close together (a city's incidents: at least four per
/// bucket of at most a cell edge over their extent) are mostly placed
/// by six plane tests against the cells around them, leaving to H3 only
/// the points within 6 mm of a cell's edge and the awkward cells (see
/// `cell_lookup.rs`); the cells are H3's, tested point for point. Otherwise,
/// where coordinates repeat (exports put many incidents on one address
/// point), each distinct coordinate is indexed once per worker; see
/// [`coordinates_repeat`].
///
/// # Errors
/// [`Error::Parameter`] if a point is not a valid latitude/longitude.
///
/// ```
/// let res = byrum::h3_resolution(9)?;
/// let cells = byrum::h3_cells(&[9.9187], &[57.0488], res)?;
/// assert_eq!(cells[0].resolution(), res);
/// # Ok::<(), byrum::Error>(())
/// ```
pub fn h3_cells(lon: &[f64], lat: &[f64], res: Resolution) -> Result<Vec<CellIndex>> {
    if let Some(lookup) = CellLookup::build(lon, lat, res, false) {
        return h3_cells_by(lon, lat, res, &Method::Lookup(lookup));
    }
    let method = if coordinates_repeat(lon, lat) {
        Method::Memo
    } else {
        Method::Direct
    };
    h3_cells_by(lon, lat, res, &method)
}

/// Whether remembering cells by coordinate pays: true when at most three
/// quarters of 65,536 evenly spaced points are distinct. Where
/// nearly every point is new, a lookup table only adds work to H3's
/// ~0.5 µs per point.
#[must_use]
pub fn coordinates_repeat(lon: &[f64], lat: &[f64]) -> bool {
    let n = lon.len().min(lat.len());
    let step = (n / REPEAT_SAMPLE).max(1);
    let mut seen = HashSet::with_capacity_and_hasher(REPEAT_SAMPLE.min(n), FixedState::default());
    let mut taken = 0usize;
    for i in (0..n).step_by(step).take(REPEAT_SAMPLE) {
        seen.insert((lon[i].to_bits(), lat[i].to_bits()));
        taken += 1;
    }
    4 * seen.len() <= 3 * taken
}

/// Points looked at by [`coordinates_repeat`].
const REPEAT_SAMPLE: usize = 65_536;

/// How [`h3_cells`] finds each point's cell.
enum Method {
    /// H3 for every point.
    Direct,
    /// H3 once per distinct coordinate and worker.
    Memo,
    /// The cells' planes, and H3 for the points they leave.
    Lookup(CellLookup),
}

/// [`h3_cells`] by one method.
fn h3_cells_by(
    lon: &[f64],
    lat: &[f64],
    res: Resolution,
    method: &Method,
) -> Result<Vec<CellIndex>> {
    let cell = |x: f64, y: f64| {
        LatLng::new(y, x)
            .map(|p| p.to_cell(res))
            .map_err(|e| Error::parameter("coordinate", format!("({x}, {y}): {e}")))
    };
    let points = lon.par_iter().zip(lat.par_iter()).with_min_len(1 << 14);
    match method {
        Method::Direct => points.map(|(&x, &y)| cell(x, y)).collect(),
        Method::Lookup(lookup) => points
            .map(|(&x, &y)| lookup.cell(x, y).map_or_else(|| cell(x, y), Ok))
            .collect(),
        Method::Memo => points
            .map_init(
                || HashMap::with_hasher(FixedState::default()),
                |cache: &mut HashMap<(u64, u64), CellIndex, FixedState>, (&x, &y)| {
                    let key = (x.to_bits(), y.to_bits());
                    if let Some(&c) = cache.get(&key) {
                        return Ok(c);
                    }
                    let c = cell(x, y)?;
                    if cache.len() > 1 << 20 {
                        cache.clear();
                    }
                    cache.insert(key, c);
                    Ok(c)
                },
            )
            .collect(),
    }
}

/// The cells whose centre lies in the area (H3's polygon-to-cells rule), sorted.
///
/// # Errors
/// [`Error::Parameter`] if the polygon is not valid for H3.
pub fn h3_cells_covering(area: &MultiPolygon, res: Resolution) -> Result<Vec<CellIndex>> {
    let mut tiler = TilerBuilder::new(res)
        .containment_mode(ContainmentMode::ContainsCentroid)
        .build();
    for p in area {
        tiler.add(p.clone()).map_err(|e| {
            Error::parameter(
                "study area",
                format!("cannot be covered with H3 cells: {e}"),
            )
        })?;
    }
    let mut cells: Vec<CellIndex> = tiler.into_coverage().collect();
    cells.sort_unstable();
    cells.dedup();
    Ok(cells)
}

/// Incident counts per H3 cell, in total and per time bin, with exposure.
#[derive(Debug, Clone)]
pub struct H3Counts {
    /// The resolution.
    pub resolution: Resolution,
    /// The cells, sorted: the study area's cells (if given) and every occupied cell.
    pub cells: Vec<CellIndex>,
    /// Whether each cell belongs to the study area's cover (all true without a study area).
    pub in_area: Vec<bool>,
    /// Incidents per cell.
    pub counts: Vec<u64>,
    /// Summed weights per cell (equal to `counts` without weights).
    pub weights: Vec<f64>,
    /// Bin labels.
    pub bin_labels: Vec<String>,
    /// Incidents per cell and bin, row-major: `bin_counts[cell * bins + bin]`.
    pub bin_counts: Vec<u64>,
    /// Hours of exposure per bin.
    pub exposure_hours: Vec<f64>,
}

impl H3Counts {
    /// Counts incidents given each incident's cell and bin.
    ///
    /// `area_cells` (sorted) adds the zero-count cells of the study area.
    ///
    /// # Errors
    /// [`Error::Parameter`] if the slices disagree in length or a bin is out of range.
    pub fn compute(
        resolution: Resolution,
        cells: &[CellIndex],
        bins: &[u32],
        weights: Option<&[f64]>,
        bin_labels: Vec<String>,
        exposure_hours: Vec<f64>,
        area_cells: Option<&[CellIndex]>,
    ) -> Result<Self> {
        let nb = bin_labels.len();
        if bins.len() != cells.len()
            || weights.is_some_and(|w| w.len() != cells.len())
            || exposure_hours.len() != nb
        {
            return Err(Error::parameter(
                "H3 counts",
                "cells, bins, weights and exposure disagree in length",
            ));
        }
        if bins.iter().any(|&b| b as usize >= nb) {
            return Err(Error::parameter("H3 counts", "a bin index is out of range"));
        }
        // The distinct cells (a few thousand at most in a city: a small set
        // per worker, not a sort of every incident's cell).
        let mut universe: Vec<CellIndex> = cells
            .par_iter()
            .with_min_len(1 << 14)
            .fold(
                || HashSet::with_hasher(FixedState::default()),
                |mut set, &c| {
                    set.insert(c);
                    set
                },
            )
            .reduce(
                || HashSet::with_hasher(FixedState::default()),
                |mut a, b| {
                    a.extend(b);
                    a
                },
            )
            .into_iter()
            .collect();
        if let Some(a) = area_cells {
            universe.extend_from_slice(a);
        }
        universe.sort_unstable();
        universe.dedup();
        let n = universe.len();
        let (counts, wsum, bin_counts) = cells
            .par_iter()
            .enumerate()
            .with_min_len(1 << 14)
            .fold(
                || (vec![0u64; n], vec![0f64; n], vec![0u64; n * nb]),
                |(mut c, mut w, mut b), (i, cell)| {
                    let k = universe
                        .binary_search(cell)
                        .unwrap_or_else(|_| unreachable!("every cell is in the universe"));
                    c[k] += 1;
                    w[k] += weights.map_or(1.0, |w| w[i]);
                    b[k * nb + bins[i] as usize] += 1;
                    (c, w, b)
                },
            )
            .reduce(
                || (vec![0u64; n], vec![0f64; n], vec![0u64; n * nb]),
                |(mut c1, mut w1, mut b1), (c2, w2, b2)| {
                    c1.iter_mut().zip(c2).for_each(|(a, b)| *a += b);
                    w1.iter_mut().zip(w2).for_each(|(a, b)| *a += b);
                    b1.iter_mut().zip(b2).for_each(|(a, b)| *a += b);
                    (c1, w1, b1)
                },
            );
        let in_area = match area_cells {
            Some(a) => universe
                .iter()
                .map(|c| a.binary_search(c).is_ok())
                .collect(),
            None => vec![true; n],
        };
        Ok(Self {
            resolution,
            cells: universe,
            in_area,
            counts,
            weights: wsum,
            bin_labels,
            bin_counts,
            exposure_hours,
        })
    }

    /// The number of bins.
    #[must_use]
    pub fn bins(&self) -> usize {
        self.bin_labels.len()
    }

    /// Incidents in cell `cell` (position in `cells`) and bin `bin`.
    #[must_use]
    pub fn count(&self, cell: usize, bin: usize) -> u64 {
        self.bin_counts[cell * self.bins() + bin]
    }

    /// Incidents per hour of exposure in cell `cell` and bin `bin` (0 for a bin without exposure).
    #[must_use]
    pub fn rate_per_hour(&self, cell: usize, bin: usize) -> f64 {
        let h = self.exposure_hours[bin];
        if h > 0.0 {
            self.count(cell, bin) as f64 / h
        } else {
            0.0
        }
    }

    /// Total hours of exposure.
    #[must_use]
    pub fn total_hours(&self) -> f64 {
        self.exposure_hours.iter().sum()
    }
}

/// A regular grid in metres in the dataset's projection: `nx × ny` cells of
/// `dx × dy` m, lower-left corner at (`x0`, `y0`). Cell `(col, row)` has index
/// `row * nx + col`; row 0 is the southernmost. Used for square-grid Gi* and
/// for density rasters.
///
/// ```
/// let g = byrum::MetricGrid::covering((0.0, 0.0, 250.0, 90.0), 100.0)?;
/// assert_eq!((g.nx, g.ny), (3, 1));
/// assert_eq!(g.cell_of(150.0, 50.0), Some(1));
/// assert_eq!(g.centre(1), (150.0, 50.0));
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricGrid {
    /// West edge (m).
    pub x0: f64,
    /// South edge (m).
    pub y0: f64,
    /// Cell width (m).
    pub dx: f64,
    /// Cell height (m).
    pub dy: f64,
    /// Columns.
    pub nx: usize,
    /// Rows.
    pub ny: usize,
}

impl MetricGrid {
    /// A grid from its corner, cell size and shape.
    ///
    /// # Errors
    /// [`Error::Parameter`] if a size is not positive and finite, or the grid is empty
    /// or larger than 2³² cells.
    pub fn new(x0: f64, y0: f64, dx: f64, dy: f64, nx: usize, ny: usize) -> Result<Self> {
        if !(x0.is_finite() && y0.is_finite()) {
            return Err(Error::parameter(
                "grid",
                "the corner is not a finite coordinate",
            ));
        }
        if !(dx.is_finite() && dy.is_finite() && dx > 0.0 && dy > 0.0) {
            return Err(Error::parameter(
                "grid cell size",
                format!("{dx} × {dy} m: must be positive metres"),
            ));
        }
        if nx == 0 || ny == 0 || nx.checked_mul(ny).is_none_or(|n| n > u32::MAX as usize) {
            return Err(Error::parameter(
                "grid",
                format!("{nx} × {ny} cells: must be at least 1 × 1 and at most 2³² cells"),
            ));
        }
        Ok(Self {
            x0,
            y0,
            dx,
            dy,
            nx,
            ny,
        })
    }

    /// Square cells of `cell` metres covering the box `(min_x, min_y, max_x, max_y)`;
    /// the grid starts at the box's lower-left corner and grows to whole cells.
    ///
    /// # Errors
    /// [`Error::Parameter`] for a bad cell size or box, or too many cells.
    pub fn covering(bbox: (f64, f64, f64, f64), cell: f64) -> Result<Self> {
        let (min_x, min_y, max_x, max_y) = bbox;
        if !(cell.is_finite() && cell > 0.0) {
            return Err(Error::parameter(
                "grid cell size",
                format!("{cell} m: must be positive metres"),
            ));
        }
        if !(max_x >= min_x && max_y >= min_y) {
            return Err(Error::parameter("grid", "the box is empty or not finite"));
        }
        let count = |span: f64| ((span / cell).ceil() as usize).max(1);
        let (nx, ny) = (count(max_x - min_x), count(max_y - min_y));
        if (nx as f64) * (ny as f64) > f64::from(u32::MAX) {
            return Err(Error::parameter(
                "grid cell size",
                format!("{cell} m over this area needs {nx} × {ny} cells; use larger cells"),
            ));
        }
        Self::new(min_x, min_y, cell, cell, nx, ny)
    }

    /// Exactly `nx × ny` cells spanning the box (cells need not be square).
    ///
    /// # Errors
    /// [`Error::Parameter`] for an empty box or shape.
    pub fn with_shape(bbox: (f64, f64, f64, f64), nx: usize, ny: usize) -> Result<Self> {
        let (min_x, min_y, max_x, max_y) = bbox;
        if !(max_x > min_x && max_y > min_y) || nx == 0 || ny == 0 {
            return Err(Error::parameter("grid", "the box or the shape is empty"));
        }
        Self::new(
            min_x,
            min_y,
            (max_x - min_x) / nx as f64,
            (max_y - min_y) / ny as f64,
            nx,
            ny,
        )
    }

    /// The number of cells.
    #[must_use]
    pub fn len(&self) -> usize {
        self.nx * self.ny
    }

    /// Whether the grid has no cells (never true for a constructed grid).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Column and row of a point, if it lies in the grid (west and south edges
    /// inclusive, east and north edges exclusive).
    #[must_use]
    pub fn col_row(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        let c = ((x - self.x0) / self.dx).floor();
        let r = ((y - self.y0) / self.dy).floor();
        (c >= 0.0 && r >= 0.0 && c < self.nx as f64 && r < self.ny as f64)
            .then_some((c as usize, r as usize))
    }

    /// The index of the cell holding a point.
    #[must_use]
    pub fn cell_of(&self, x: f64, y: f64) -> Option<usize> {
        self.col_row(x, y).map(|(c, r)| r * self.nx + c)
    }

    /// The centre of cell `index`.
    #[must_use]
    pub fn centre(&self, index: usize) -> (f64, f64) {
        let (c, r) = (index % self.nx, index / self.nx);
        (
            self.x0 + (c as f64 + 0.5) * self.dx,
            self.y0 + (r as f64 + 0.5) * self.dy,
        )
    }

    /// The area of one cell in m².
    #[must_use]
    pub fn cell_area_m2(&self) -> f64 {
        self.dx * self.dy
    }

    /// The outline of cell `index` (projected metres).
    #[must_use]
    pub fn cell_polygon(&self, index: usize) -> geo::Polygon {
        let (c, r) = (index % self.nx, index / self.nx);
        let x = self.x0 + c as f64 * self.dx;
        let y = self.y0 + r as f64 * self.dy;
        geo::Rect::new((x, y), (x + self.dx, y + self.dy)).to_polygon()
    }

    /// For every cell, whether its centre lies in `area` (projected metres):
    /// the same rule as H3's polygon-to-cells.
    ///
    /// Rows are filled by scanline (the crossings of the row's centre line
    /// with every ring, even–odd within each polygon, holes included), in
    /// parallel: O(rows × edges + cells), not a point-in-polygon test per cell.
    #[must_use]
    pub fn centres_in(&self, area: &MultiPolygon) -> Vec<bool> {
        let mut out = vec![false; self.len()];
        out.par_chunks_mut(self.nx)
            .enumerate()
            .for_each_init(Vec::new, |xs, (r, row)| {
                let y = self.y0 + (r as f64 + 0.5) * self.dy;
                for polygon in area {
                    xs.clear();
                    let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
                    for line in rings.flat_map(geo::LineString::lines) {
                        let (a, b) = (line.start, line.end);
                        if (a.y > y) != (b.y > y) {
                            xs.push(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y));
                        }
                    }
                    xs.sort_unstable_by(f64::total_cmp);
                    for pair in xs.chunks_exact(2) {
                        // Columns whose centre x0 + (c + ½)·dx lies in [pair[0], pair[1]).
                        let col = |x: f64| {
                            ((x - self.x0) / self.dx - 0.5)
                                .ceil()
                                .clamp(0.0, self.nx as f64) as usize
                        };
                        for cell in &mut row[col(pair[0])..col(pair[1])] {
                            *cell = true;
                        }
                    }
                }
            });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Intersects, LineString, Point, Polygon};

    /// Remembering cells by coordinate, and placing them by the cells'
    /// planes, change nothing but the work done; memoising is chosen only
    /// where points repeat.
    #[test]
    fn memoised_cells_equal_direct_cells() {
        let res = h3_resolution(10).unwrap();
        let n = 100_000;
        // Every point distinct: a spiral around Aalborg.
        let lon: Vec<f64> = (0..n)
            .map(|i| 9.92 + 1e-7 * f64::from(i) * (f64::from(i) * 0.1).cos())
            .collect();
        let lat: Vec<f64> = (0..n)
            .map(|i| 57.05 + 1e-7 * f64::from(i) * (f64::from(i) * 0.1).sin())
            .collect();
        assert!(!coordinates_repeat(&lon, &lat));
        // 400 address points, each used 250 times.
        let rlon: Vec<f64> = (0..n).map(|i| lon[(i % 400) as usize * 17]).collect();
        let rlat: Vec<f64> = (0..n).map(|i| lat[(i % 400) as usize * 17]).collect();
        assert!(coordinates_repeat(&rlon, &rlat));
        for (x, y) in [(&lon, &lat), (&rlon, &rlat)] {
            let direct = h3_cells_by(x, y, res, &Method::Direct).unwrap();
            assert_eq!(h3_cells_by(x, y, res, &Method::Memo).unwrap(), direct);
            let lookup = CellLookup::build(x, y, res, true).unwrap();
            assert_eq!(
                h3_cells_by(x, y, res, &Method::Lookup(lookup)).unwrap(),
                direct
            );
            assert_eq!(h3_cells(x, y, res).unwrap(), direct);
            assert!(direct.iter().all(|c| c.resolution() == res));
        }
        assert!(coordinates_repeat(&[], &[]));
        let mut bad = rlat.clone();
        bad[7] = f64::NAN;
        bad[9] = 95.0;
        let lookup = CellLookup::build(&rlon, &bad, res, true).unwrap();
        for method in [Method::Direct, Method::Memo, Method::Lookup(lookup)] {
            assert!(h3_cells_by(&rlon, &bad, res, &method).is_err());
        }
    }

    #[test]
    fn scanline_matches_point_in_polygon() {
        // A concave polygon with a hole, and a second polygon; vertices off the cell-centre lattice.
        let outer = LineString::from(vec![
            (3.3, 2.1),
            (97.2, 5.7),
            (60.4, 48.9),
            (91.7, 93.3),
            (8.9, 77.1),
            (30.2, 40.6),
            (3.3, 2.1),
        ]);
        let hole = LineString::from(vec![(40.1, 20.3), (60.7, 20.9), (50.3, 35.1), (40.1, 20.3)]);
        let other = Polygon::new(
            LineString::from(vec![
                (110.3, 10.2),
                (150.1, 12.7),
                (130.9, 60.3),
                (110.3, 10.2),
            ]),
            vec![],
        );
        let area = MultiPolygon(vec![Polygon::new(outer, vec![hole]), other]);
        let grid = MetricGrid::covering((0.0, 0.0, 160.0, 100.0), 1.0).unwrap();
        let fast = grid.centres_in(&area);
        let mut inside = 0;
        for (i, &f) in fast.iter().enumerate() {
            let (x, y) = grid.centre(i);
            assert_eq!(
                f,
                area.intersects(&Point::new(x, y)),
                "cell {i} at ({x}, {y})"
            );
            inside += usize::from(f);
        }
        assert!(inside > 3000, "{inside}");
    }
}
