//! The H3 grid: cells of points and of the study area, and counts per cell
//! and time bin with rates per hour of exposure.

use std::collections::HashMap;

use geo::MultiPolygon;
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;

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

/// The H3 cell of every point, computed in parallel; each distinct coordinate
/// is indexed once per worker (exports repeat points heavily).
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
    lon.par_iter()
        .zip(lat.par_iter())
        .with_min_len(1 << 14)
        .map_init(HashMap::<(u64, u64), CellIndex>::new, |cache, (&x, &y)| {
            if let Some(&c) = cache.get(&(x.to_bits(), y.to_bits())) {
                return Ok(c);
            }
            let c = LatLng::new(y, x)
                .map_err(|e| Error::parameter("coordinate", format!("({x}, {y}): {e}")))?
                .to_cell(res);
            if cache.len() > 1 << 20 {
                cache.clear();
            }
            cache.insert((x.to_bits(), y.to_bits()), c);
            Ok(c)
        })
        .collect()
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
        let mut universe: Vec<CellIndex> = cells.to_vec();
        universe.par_sort_unstable();
        universe.dedup();
        if let Some(a) = area_cells {
            universe.extend_from_slice(a);
            universe.par_sort_unstable();
            universe.dedup();
        }
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
