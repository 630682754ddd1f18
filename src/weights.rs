//! Spatial weights: neighbours of H3 cells and metric square cells, self included.
//!
//! A [`SpatialWeights`] is a sparse matrix in compressed rows (CSR) over the
//! cells of an analysis universe, in the caller's order. Every row holds the
//! cell itself (the "star" of Gi*), first, then its other neighbours in
//! ascending index order. Weights are binary (1) or decay with distance
//! ([`Decay::Bisquare`]).

use h3o::{CellIndex, LatLng};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::grid::MetricGrid;
use crate::projection::Projection;

/// How a neighbour's weight depends on its distance from the focal cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decay {
    /// Every neighbour (and the cell itself) weighs 1.
    Binary,
    /// w = (1 − (d/b)²)² for centre distance d < b, neighbours at d ≥ b are
    /// left out; the cell itself weighs 1.
    Bisquare {
        /// The bandwidth b in metres.
        bandwidth_m: f64,
    },
}

impl Decay {
    fn check(self) -> Result<Self> {
        match self {
            Decay::Bisquare { bandwidth_m } if !(bandwidth_m.is_finite() && bandwidth_m > 0.0) => {
                Err(Error::parameter(
                    "bisquare bandwidth",
                    format!("{bandwidth_m} m: must be positive metres"),
                ))
            }
            d => Ok(d),
        }
    }

    /// The weight of a neighbour at distance `d` (not the cell itself), or
    /// `None` if it carries no weight.
    fn weight(self, d: f64) -> Option<f64> {
        match self {
            Decay::Binary => Some(1.0),
            Decay::Bisquare { bandwidth_m } => {
                let u = d / bandwidth_m;
                (u < 1.0).then(|| (1.0 - u * u).powi(2))
            }
        }
    }
}

/// Spatial weights over the cells of an analysis universe, each row including
/// the cell itself.
///
/// Stored in compressed rows: `neighbours(i)` returns the neighbour indices
/// (`u32`, positions in the universe) and their weights; the first entry is
/// always `i` itself, the rest ascend.
///
/// ```
/// use byrum::SpatialWeights;
/// let w = SpatialWeights::from_lists(vec![
///     vec![(0, 1.0), (1, 1.0)],
///     vec![(1, 1.0), (0, 1.0), (2, 0.5)],
///     vec![(2, 1.0), (1, 0.5)],
/// ])?;
/// assert_eq!(w.len(), 3);
/// assert_eq!(w.neighbours(1), (&[1u32, 0, 2][..], &[1.0, 1.0, 0.5][..]));
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SpatialWeights {
    offsets: Vec<usize>,
    indices: Vec<u32>,
    weights: Vec<f64>,
    binary: bool,
}

impl SpatialWeights {
    /// Weights from one list of `(neighbour, weight)` per cell; list `i` must
    /// hold `i` itself. Rows are stored with the cell itself first and the
    /// other neighbours ascending.
    ///
    /// # Errors
    /// [`Error::Parameter`] if a row lacks its own cell, an index is out of
    /// range, a weight is negative or not finite, or a neighbour repeats.
    pub fn from_lists(lists: Vec<Vec<(u32, f64)>>) -> Result<Self> {
        let n = lists.len();
        if n > u32::MAX as usize {
            return Err(Error::parameter(
                "spatial weights",
                format!("{n} cells: at most 2³² are supported"),
            ));
        }
        let mut rows = Vec::with_capacity(n);
        for (i, mut row) in lists.into_iter().enumerate() {
            let bad = |reason: String| Err(Error::parameter("spatial weights", reason));
            if let Some(&(j, _)) = row.iter().find(|&&(j, _)| j as usize >= n) {
                return bad(format!(
                    "row {i}: neighbour {j} is out of range (there are {n} cells)"
                ));
            }
            if let Some(&(j, w)) = row.iter().find(|&&(_, w)| !(w.is_finite() && w >= 0.0)) {
                return bad(format!(
                    "row {i}: the weight of neighbour {j} is {w}; weights must be finite and not negative"
                ));
            }
            row.sort_unstable_by_key(|&(j, _)| j);
            if let Some(pair) = row.windows(2).find(|p| p[0].0 == p[1].0) {
                return bad(format!("row {i}: neighbour {} is listed twice", pair[0].0));
            }
            let Ok(me) = row.binary_search_by_key(&(i as u32), |&(j, _)| j) else {
                return bad(format!(
                    "row {i} does not include the cell itself (Gi* needs self-neighbours)"
                ));
            };
            let own = row.remove(me);
            row.insert(0, own);
            rows.push(row);
        }
        Ok(Self::pack(rows))
    }

    /// Packs canonical rows (self first, others ascending) into CSR.
    fn pack(rows: Vec<Vec<(u32, f64)>>) -> Self {
        let total: usize = rows.iter().map(Vec::len).sum();
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        let mut indices = Vec::with_capacity(total);
        let mut weights = Vec::with_capacity(total);
        offsets.push(0);
        for row in rows {
            for (j, w) in row {
                indices.push(j);
                weights.push(w);
            }
            offsets.push(indices.len());
        }
        #[allow(clippy::float_cmp, reason = "binary means exactly 1")]
        let binary = weights.iter().all(|&w| w == 1.0);
        Self {
            offsets,
            indices,
            weights,
            binary,
        }
    }

    /// The number of cells (rows).
    #[must_use]
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether there are no cells.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every weight (self included) is exactly 1.
    #[must_use]
    pub fn is_binary(&self) -> bool {
        self.binary
    }

    /// The neighbours of cell `i` and their weights; the first is `i` itself.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    #[must_use]
    pub fn neighbours(&self, i: usize) -> (&[u32], &[f64]) {
        let r = self.offsets[i]..self.offsets[i + 1];
        (&self.indices[r.clone()], &self.weights[r])
    }

    /// The number of stored (cell, neighbour) pairs, self pairs included.
    #[must_use]
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Weights between H3 cells: the neighbours of a cell are the cells of
    /// its `k`-ring disk (`grid_disk(k)`, the cell included) that are in
    /// `cells`, the analysed universe (sorted ascending, one resolution, no
    /// repeats; give every cell of the study area, zero counts included).
    /// With [`Decay::Bisquare`] the distance is between cell centres projected
    /// with `projection`.
    ///
    /// ```
    /// use byrum::{Decay, Projection, SpatialWeights};
    /// let c = h3o::LatLng::new(57.048, 9.919).unwrap().to_cell(h3o::Resolution::Nine);
    /// let mut cells: Vec<_> = c.grid_disk::<Vec<_>>(1);
    /// cells.sort_unstable();
    /// let w = SpatialWeights::h3_kring(&cells, 1, Decay::Binary, &Projection::etrs89_utm32())?;
    /// let centre = cells.binary_search(&c).unwrap();
    /// assert_eq!(w.neighbours(centre).0.len(), 7);
    /// # Ok::<(), byrum::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Parameter`] if `cells` is not strictly ascending, mixes
    /// resolutions, or the bandwidth is not positive; [`Error::Projection`] if
    /// a centre cannot be projected.
    pub fn h3_kring(
        cells: &[CellIndex],
        k: u32,
        decay: Decay,
        projection: &Projection,
    ) -> Result<Self> {
        let decay = decay.check()?;
        if cells.len() > u32::MAX as usize {
            return Err(Error::parameter("H3 cells", "more than 2³² cells"));
        }
        if let Some(&[a, b]) = cells.windows(2).find(|p| p[0] >= p[1]) {
            return Err(Error::parameter(
                "H3 cells",
                format!("must be sorted ascending without repeats ({a} comes before {b})"),
            ));
        }
        if let Some(first) = cells.first()
            && let Some(c) = cells.iter().find(|c| c.resolution() != first.resolution())
        {
            return Err(Error::parameter(
                "H3 cells",
                format!(
                    "mix resolutions {} and {} ({c})",
                    first.resolution(),
                    c.resolution()
                ),
            ));
        }
        let centres: Option<Vec<(f64, f64)>> = match decay {
            Decay::Binary => None,
            Decay::Bisquare { .. } => Some(
                cells
                    .par_iter()
                    .map(|&c| {
                        let ll = LatLng::from(c);
                        projection.forward(ll.lng(), ll.lat())
                    })
                    .collect::<Result<_>>()?,
            ),
        };
        let rows: Vec<Vec<(u32, f64)>> = cells
            .par_iter()
            .enumerate()
            .with_min_len(256)
            .map(|(i, &c)| {
                let mut row: Vec<(u32, f64)> = vec![(i as u32, 1.0)];
                let mut others: Vec<(u32, f64)> = c
                    .grid_disk::<Vec<_>>(k)
                    .into_iter()
                    .filter(|&d| d != c)
                    .filter_map(|d| cells.binary_search(&d).ok())
                    .filter_map(|j| {
                        let d = centres
                            .as_ref()
                            .map_or(0.0, |xy| (xy[i].0 - xy[j].0).hypot(xy[i].1 - xy[j].1));
                        decay.weight(d).map(|w| (j as u32, w))
                    })
                    .collect();
                others.sort_unstable_by_key(|&(j, _)| j);
                row.extend(others);
                row
            })
            .collect();
        Ok(Self::pack(rows))
    }

    /// Queen contiguity on a metric square grid: each cell's neighbours are
    /// the (up to) 8 cells sharing an edge or a corner that are in `cells`,
    /// plus itself; all weights 1.
    ///
    /// `cells` are grid indices (`row * nx + col`) forming the analysed
    /// universe, e.g. every cell whose centre lies in the study area (zero
    /// counts included); position `p` in `cells` is row `p` of the weights.
    ///
    /// ```
    /// let g = byrum::MetricGrid::covering((0.0, 0.0, 300.0, 300.0), 100.0)?;
    /// let w = byrum::SpatialWeights::square_queen(&g, &(0..9).collect::<Vec<_>>())?;
    /// assert_eq!(w.neighbours(4).0.len(), 9);
    /// assert_eq!(w.neighbours(0).0, &[0, 1, 3, 4]);
    /// # Ok::<(), byrum::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Parameter`] if a grid index is out of range or repeats.
    pub fn square_queen(grid: &MetricGrid, cells: &[usize]) -> Result<Self> {
        Self::square(grid, cells, 1, 1, |_, _| Some(1.0))
    }

    /// Distance-band weights on a metric square grid: the neighbours of a cell
    /// are the cells of `cells` whose centres lie within `distance_m` of its
    /// centre (inclusive, with a 1e-9 m tolerance so that a band of exactly one
    /// cell width takes the 4 edge neighbours), weighted by `decay`; the cell
    /// itself weighs 1.
    ///
    /// # Errors
    /// [`Error::Parameter`] if the distance or bandwidth is not positive, the
    /// band spans more than a million cells, or a grid index is out of range
    /// or repeats.
    pub fn square_distance_band(
        grid: &MetricGrid,
        cells: &[usize],
        distance_m: f64,
        decay: Decay,
    ) -> Result<Self> {
        let decay = decay.check()?;
        if !(distance_m.is_finite() && distance_m > 0.0) {
            return Err(Error::parameter(
                "distance band",
                format!("{distance_m} m: must be positive metres"),
            ));
        }
        let tol = 1e-9;
        let reach_c = ((distance_m + tol) / grid.dx).floor();
        let reach_r = ((distance_m + tol) / grid.dy).floor();
        if (2.0 * reach_c + 1.0) * (2.0 * reach_r + 1.0) > 1e6 {
            return Err(Error::parameter(
                "distance band",
                format!(
                    "{distance_m} m spans more than a million {} × {} m cells; use larger cells",
                    grid.dx, grid.dy
                ),
            ));
        }
        let (dx, dy) = (grid.dx, grid.dy);
        Self::square(
            grid,
            cells,
            reach_c as usize,
            reach_r as usize,
            move |dc, dr| {
                let d = (dc as f64 * dx).hypot(dr as f64 * dy);
                if d <= distance_m + tol {
                    decay.weight(d)
                } else {
                    None
                }
            },
        )
    }

    /// Neighbours on a square grid within `reach_c` columns and `reach_r`
    /// rows, weighted by `weight(dc, dr)` (`None` leaves the neighbour out).
    fn square(
        grid: &MetricGrid,
        cells: &[usize],
        reach_c: usize,
        reach_r: usize,
        weight: impl Fn(isize, isize) -> Option<f64> + Sync,
    ) -> Result<Self> {
        if cells.len() > u32::MAX as usize {
            return Err(Error::parameter("grid cells", "more than 2³² cells"));
        }
        if let Some(&c) = cells.iter().find(|&&c| c >= grid.len()) {
            return Err(Error::parameter(
                "grid cells",
                format!("index {c} is outside the {} × {} grid", grid.nx, grid.ny),
            ));
        }
        let mut lookup: Vec<(usize, u32)> = cells
            .iter()
            .enumerate()
            .map(|(p, &c)| (c, p as u32))
            .collect();
        lookup.par_sort_unstable();
        if let Some(p) = lookup.windows(2).find(|p| p[0].0 == p[1].0) {
            return Err(Error::parameter(
                "grid cells",
                format!("index {} is listed twice", p[0].0),
            ));
        }
        let (nx, ny) = (grid.nx as isize, grid.ny as isize);
        let (rc, rr) = (reach_c as isize, reach_r as isize);
        let rows: Vec<Vec<(u32, f64)>> = cells
            .par_iter()
            .enumerate()
            .with_min_len(256)
            .map(|(p, &c)| {
                let (col, row) = ((c % grid.nx) as isize, (c / grid.nx) as isize);
                let mut out: Vec<(u32, f64)> = vec![(p as u32, 1.0)];
                let mut others = Vec::new();
                for r in (row - rr).max(0)..=(row + rr).min(ny - 1) {
                    for q in (col - rc).max(0)..=(col + rc).min(nx - 1) {
                        if r == row && q == col {
                            continue;
                        }
                        let Some(w) = weight(q - col, r - row) else {
                            continue;
                        };
                        let g = (r * nx + q) as usize;
                        if let Ok(k) = lookup.binary_search_by_key(&g, |&(gi, _)| gi) {
                            others.push((lookup[k].1, w));
                        }
                    }
                }
                others.sort_unstable_by_key(|&(j, _)| j);
                out.extend(others);
                out
            })
            .collect();
        Ok(Self::pack(rows))
    }
}
