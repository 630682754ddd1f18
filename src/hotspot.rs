//! Hot spots on the H3 cells of the study area, in total and per time bin:
//! the cells analysed (zero-count cells included), Gi* per bin, emerging hot
//! spots over consecutive periods, change between two periods, and their
//! layers.
//!
//! This module only joins the grid counts to the statistic; the statistic
//! itself lives in the Gi* module and the neighbours in the weights module.

use geo::{ConvexHull, MultiPoint, MultiPolygon, Point};
use h3o::{CellIndex, Resolution};
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::change::{RateChange, RateRatio};
use crate::emerging::{EmergingHotSpots, EmergingResult, Periods};
use crate::error::{Error, Result};
use crate::gistar::{GiStar, GiStarResult};
use crate::grid::{H3Counts, MetricGrid, h3_cells_covering};
use crate::layer::{Layer, cell_polygon};
use crate::privacy::LinkedCounts;
use crate::projection::Projection;
use crate::weights::{Decay, SpatialWeights};

/// The cells a hot-spot analysis runs over: every cell whose centre lies in
/// the study area (H3's polygon-to-cells rule), or, without a study area, the
/// cells covering the convex hull of the occupied cells together with every
/// occupied cell. Zero-count cells are included on purpose: analysing only
/// occupied cells biases Gi*.
///
/// # Errors
/// [`Error::Parameter`] if the area cannot be covered with H3 cells or nothing is occupied
/// without an area.
///
/// ```
/// let res = byrum::h3_resolution(9)?;
/// let occupied = byrum::h3_cells(&[9.918, 9.925], &[57.048, 57.046], res)?;
/// let cells = byrum::analysis_cells(&occupied, None, res)?;
/// assert!(occupied.iter().all(|c| cells.binary_search(c).is_ok()));
/// # Ok::<(), byrum::Error>(())
/// ```
pub fn analysis_cells(
    occupied: &[CellIndex],
    area: Option<&MultiPolygon>,
    res: Resolution,
) -> Result<Vec<CellIndex>> {
    if let Some(area) = area {
        return h3_cells_covering(area, res);
    }
    let mut cells: Vec<CellIndex> = occupied.to_vec();
    cells.par_sort_unstable();
    cells.dedup();
    if cells.is_empty() {
        return Err(Error::parameter(
            "hot-spot cells",
            "no occupied cell and no study area: nothing to analyse",
        ));
    }
    let vertices: MultiPoint = cells
        .iter()
        .flat_map(|c| {
            c.boundary()
                .iter()
                .map(|v| Point::new(v.lng(), v.lat()))
                .collect::<Vec<_>>()
        })
        .collect();
    let hull = vertices.convex_hull();
    let mut cover = h3_cells_covering(&MultiPolygon(vec![hull]), res)?;
    cover.extend_from_slice(&cells);
    cover.sort_unstable();
    cover.dedup();
    Ok(cover)
}

/// Gi* over the H3 cells of the study area, for all incidents and for each
/// time bin.
///
/// The variable is the incident count per cell (per bin); within one bin the
/// exposure is the same for every cell, so a rate per hour gives the same z.
#[derive(Debug, Clone)]
pub struct H3HotSpots {
    /// The resolution.
    pub resolution: Resolution,
    /// Ring size of the neighbourhood (cells within `k` steps, the cell itself included).
    pub k: u32,
    /// How neighbours are weighted.
    pub decay: Decay,
    /// The analysed cells, sorted.
    pub cells: Vec<CellIndex>,
    /// Incidents per analysed cell.
    pub counts: Vec<u64>,
    /// Bin labels.
    pub bin_labels: Vec<String>,
    /// Incidents per cell and bin, row-major (`cell * bins + bin`).
    pub bin_counts: Vec<u64>,
    /// Hours of exposure per bin.
    pub exposure_hours: Vec<f64>,
    /// Gi* of the total counts.
    pub overall: GiStarResult,
    /// Gi* per bin.
    pub per_bin: Vec<GiStarResult>,
    /// Incidents in occupied cells outside the analysed cells (their cell's
    /// centre lies outside the study area), left out of Gi*.
    pub excluded_incidents: u64,
    /// The Gi* settings used.
    pub gistar: GiStar,
}

impl H3HotSpots {
    /// Runs Gi* on the cells of `counts` marked as in the study area
    /// ([`H3Counts::in_area`]), in total and per bin (bins in parallel).
    ///
    /// # Errors
    /// [`Error::Parameter`] if no cell is in the study area, or from the
    /// weights or Gi*.
    pub fn compute(
        counts: &H3Counts,
        k: u32,
        decay: Decay,
        gistar: &GiStar,
        projection: &Projection,
    ) -> Result<Self> {
        let cells: Vec<CellIndex> = (0..counts.cells.len())
            .filter(|&i| counts.in_area[i])
            .map(|i| counts.cells[i])
            .collect();
        if cells.is_empty() {
            return Err(Error::parameter(
                "hot-spot cells",
                "no H3 cell of the study area: is the area smaller than one cell?",
            ));
        }
        let nb = counts.bins();
        let (total, bin_counts, excluded_incidents) = on_cells(counts, &cells);
        let weights = SpatialWeights::h3_kring(&cells, k, decay, projection)?;
        let (overall, per_bin) = gistar_total_and_bins(gistar, &total, &bin_counts, nb, &weights)?;
        Ok(Self {
            resolution: counts.resolution,
            k,
            decay,
            cells,
            counts: total,
            bin_labels: counts.bin_labels.clone(),
            bin_counts,
            exposure_hours: counts.exposure_hours.clone(),
            overall,
            per_bin,
            excluded_incidents,
            gistar: gistar.clone(),
        })
    }

    /// The `gistar_h3` layer: one feature per analysed cell with `h3`,
    /// `count`, `z`, `p`, `class`, `gi_bin`, `q` (Benjamini–Hochberg adjusted
    /// p), `fdr` (significant at the FDR alpha) and `p_sim` with permutations, then the same per
    /// bin with the bin label as suffix (`count_<bin>`, `z_<bin>`, …).
    ///
    /// Counts from 1 to `min_count − 1` are written as `null` with
    /// `suppressed: true`, and so are further counts where subtraction
    /// (cell total − shown bins, bin total − shown cells) would give a
    /// withheld one back (see the `privacy` module doc, rule 2); the
    /// statistics are kept, since a z-score does not reveal a cell's count.
    #[must_use]
    pub fn layer(&self, min_count: u64) -> Layer {
        let mut layer = Layer::new("gistar_h3");
        layer
            .param("statistic", "Getis-Ord Gi* (self included)")
            .param("h3_resolution", u8::from(self.resolution))
            .param("neighbours", format!("H3 k-ring, k = {}", self.k))
            .param("gistar_k", self.k)
            .param("weights", decay_json(self.decay))
            .param("cells", self.cells.len())
            .param(
                "cells_rule",
                "every H3 cell whose centre lies in the study area, zero-count cells included",
            )
            .param("excluded_incidents", self.excluded_incidents)
            .param("permutations", self.gistar.permutation_count())
            .param("seed", self.gistar.seed_value())
            .param("fdr", "Benjamini-Hochberg over all cells of the bin")
            .param("fdr_alpha", self.gistar.fdr_alpha_value())
            .param(
                "class_rule",
                if self.gistar.permutation_count() > 0 {
                    "hot/cold at 99/95/90 % by the two-sided pseudo p min(1, 2 p_sim) and the sign of z"
                } else {
                    "hot/cold at 99/95/90 % by the analytic two-sided p and the sign of z"
                },
            )
            .param("bins", self.bin_labels.clone())
            .param("exposure_hours", self.exposure_hours.clone())
            .param("min_count", min_count);
        let stats = CellStats {
            counts: &self.counts,
            bin_counts: &self.bin_counts,
            bin_labels: &self.bin_labels,
            overall: &self.overall,
            per_bin: &self.per_bin,
            min_count,
        };
        let withheld = stats.withheld();
        for (i, cell) in self.cells.iter().enumerate() {
            let mut p = serde_json::Map::new();
            p.insert("h3".into(), cell.to_string().into());
            stats.put(&mut p, i, &withheld);
            layer.push(cell_polygon(*cell), p);
        }
        layer
    }
}

/// How square cells are neighbours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SquareNeighbours {
    /// The 8 touching cells (queen contiguity), binary weights.
    Queen,
    /// Cells whose centres lie within a distance (m), weighted by `Decay`.
    DistanceBand {
        /// The band in metres.
        distance_m: f64,
        /// The weights.
        decay: Decay,
    },
}

/// Gi* over the square cells of a [`MetricGrid`] whose centres lie in the
/// study area (zero-count cells included), in total and per time bin.
#[derive(Debug, Clone)]
pub struct SquareHotSpots {
    /// The grid (projected metres).
    pub grid: MetricGrid,
    /// The analysed cells (grid indices, ascending).
    pub cells: Vec<usize>,
    /// The neighbourhood.
    pub neighbours: SquareNeighbours,
    /// Incidents per analysed cell.
    pub counts: Vec<u64>,
    /// Bin labels.
    pub bin_labels: Vec<String>,
    /// Incidents per cell and bin, row-major (`cell * bins + bin`).
    pub bin_counts: Vec<u64>,
    /// Gi* of the total counts.
    pub overall: GiStarResult,
    /// Gi* per bin.
    pub per_bin: Vec<GiStarResult>,
    /// Incidents outside the analysed cells.
    pub excluded_incidents: u64,
    /// The Gi* settings used.
    pub gistar: GiStar,
}

impl SquareHotSpots {
    /// Counts the incidents (projected `x`, `y`, with bin `bins[i]` of
    /// `bin_labels`) on the grid cells whose centre lies in `area`
    /// (projected), and runs Gi* in total and per bin.
    ///
    /// # Errors
    /// [`Error::Parameter`] if the slices differ in length, a bin is out of
    /// range, no cell centre lies in the area, or from the weights or Gi*.
    #[allow(clippy::too_many_arguments)]
    pub fn compute(
        grid: &MetricGrid,
        area: &MultiPolygon,
        x: &[f64],
        y: &[f64],
        bins: &[u32],
        bin_labels: &[String],
        neighbours: SquareNeighbours,
        gistar: &GiStar,
    ) -> Result<Self> {
        let nb = bin_labels.len();
        if x.len() != y.len() || bins.len() != x.len() || bins.iter().any(|&b| b as usize >= nb) {
            return Err(Error::parameter(
                "square hot spots",
                "coordinates and bins differ in length, or a bin is out of range",
            ));
        }
        let inside = grid.centres_in(area);
        let cells: Vec<usize> = (0..grid.len()).filter(|&i| inside[i]).collect();
        if cells.is_empty() {
            return Err(Error::parameter(
                "square hot spots",
                "no grid cell has its centre in the study area: use smaller cells",
            ));
        }
        let mut position = vec![u32::MAX; grid.len()];
        for (k, &c) in cells.iter().enumerate() {
            position[c] = k as u32;
        }
        let mut counts = vec![0u64; cells.len()];
        let mut bin_counts = vec![0u64; cells.len() * nb];
        let mut excluded_incidents = 0;
        for i in 0..x.len() {
            match grid.cell_of(x[i], y[i]).map(|c| position[c]) {
                Some(k) if k != u32::MAX => {
                    counts[k as usize] += 1;
                    bin_counts[k as usize * nb + bins[i] as usize] += 1;
                }
                _ => excluded_incidents += 1,
            }
        }
        let weights = match neighbours {
            SquareNeighbours::Queen => SpatialWeights::square_queen(grid, &cells)?,
            SquareNeighbours::DistanceBand { distance_m, decay } => {
                SpatialWeights::square_distance_band(grid, &cells, distance_m, decay)?
            }
        };
        let (overall, per_bin) = gistar_total_and_bins(gistar, &counts, &bin_counts, nb, &weights)?;
        Ok(Self {
            grid: *grid,
            cells,
            neighbours,
            counts,
            bin_labels: bin_labels.to_vec(),
            bin_counts,
            overall,
            per_bin,
            excluded_incidents,
            gistar: gistar.clone(),
        })
    }

    /// The `gistar_square` layer: one square per analysed cell (WGS84) with
    /// `cell` (grid index), `count`, `z`, `p`, `class`, `gi_bin`, `q`, `fdr`
    /// (`p_sim` with permutations), then per bin with the bin label as
    /// suffix; small counts suppressed as in [`H3HotSpots::layer`].
    ///
    /// # Errors
    /// [`Error::Projection`](crate::Error::Projection) if a cell cannot be unprojected.
    pub fn layer(&self, projection: &Projection, min_count: u64) -> Result<Layer> {
        let mut layer = Layer::new("gistar_square");
        let neighbours = match self.neighbours {
            SquareNeighbours::Queen => json!({"kind": "queen"}),
            SquareNeighbours::DistanceBand { distance_m, decay } => json!({
                "kind": "distance_band",
                "distance_m": distance_m,
                "weights": decay_json(decay),
            }),
        };
        layer
            .param("statistic", "Getis-Ord Gi* (self included)")
            .param("cell_size_m", json!([self.grid.dx, self.grid.dy]))
            .param("grid_origin", json!([self.grid.x0, self.grid.y0]))
            .param("grid_shape", json!([self.grid.nx, self.grid.ny]))
            .param("neighbours", neighbours)
            .param("cells", self.cells.len())
            .param(
                "cells_rule",
                "every square whose centre lies in the study area, zero-count cells included",
            )
            .param("excluded_incidents", self.excluded_incidents)
            .param("permutations", self.gistar.permutation_count())
            .param("seed", self.gistar.seed_value())
            .param("fdr_alpha", self.gistar.fdr_alpha_value())
            .param("bins", self.bin_labels.clone())
            .param("min_count", min_count);
        let stats = CellStats {
            counts: &self.counts,
            bin_counts: &self.bin_counts,
            bin_labels: &self.bin_labels,
            overall: &self.overall,
            per_bin: &self.per_bin,
            min_count,
        };
        let withheld = stats.withheld();
        for (i, &cell) in self.cells.iter().enumerate() {
            let mut p = serde_json::Map::new();
            p.insert("cell".into(), cell.into());
            stats.put(&mut p, i, &withheld);
            let square = projection.inverse_geometry(&self.grid.cell_polygon(cell))?;
            layer.push(square.into(), p);
        }
        Ok(layer)
    }
}

/// Gi* of the totals and of every bin (bins in parallel) on one set of weights.
fn gistar_total_and_bins(
    gistar: &GiStar,
    total: &[u64],
    bin_counts: &[u64],
    bins: usize,
    weights: &SpatialWeights,
) -> Result<(GiStarResult, Vec<GiStarResult>)> {
    let as_f64 = |v: &[u64]| v.iter().map(|&c| c as f64).collect::<Vec<f64>>();
    let overall = gistar.compute(&as_f64(total), weights)?;
    let per_bin = (0..bins)
        .into_par_iter()
        .map(|b| {
            let v: Vec<f64> = (0..total.len())
                .map(|c| bin_counts[c * bins + b] as f64)
                .collect();
            gistar.compute(&v, weights)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((overall, per_bin))
}

/// The weights as recorded in layer parameters.
fn decay_json(decay: Decay) -> Value {
    match decay {
        Decay::Binary => json!({"kind": "binary"}),
        Decay::Bisquare { bandwidth_m } => json!({"kind": "bisquare", "bandwidth_m": bandwidth_m}),
    }
}

/// Gi* results and counts of a set of cells, for writing their properties.
struct CellStats<'a> {
    counts: &'a [u64],
    bin_counts: &'a [u64],
    bin_labels: &'a [String],
    overall: &'a GiStarResult,
    per_bin: &'a [GiStarResult],
    min_count: u64,
}

impl CellStats<'_> {
    /// Writes `suppressed` and the statistics of cell `i`, in total and per
    /// bin; counts from 1 to `min_count − 1` become `null`.
    ///
    /// `withheld` is [`withheld_table`](crate::withheld_table) of all cells
    /// (complementary suppression, see the `privacy` module doc).
    fn put(
        &self,
        p: &mut serde_json::Map<String, Value>,
        i: usize,
        withheld: &(Vec<bool>, Vec<bool>),
    ) {
        let nb = self.bin_labels.len();
        let n = self.counts[i];
        let (row, bins) = (withheld.0[i], &withheld.1[i * nb..(i + 1) * nb]);
        p.insert("suppressed".into(), (row || bins.contains(&true)).into());
        put_stats(p, "", n, row, self.overall, i);
        for (b, label) in self.bin_labels.iter().enumerate() {
            let c = self.bin_counts[i * nb + b];
            put_stats(
                p,
                &format!("_{label}"),
                c,
                bins[b] || row,
                &self.per_bin[b],
                i,
            );
        }
    }

    /// Which counts are withheld: (cells, cells × bins).
    fn withheld(&self) -> (Vec<bool>, Vec<bool>) {
        crate::privacy::withheld_table(self.counts, self.bin_counts, self.min_count)
    }
}

/// Writes `count`, `z`, `p`, `p_sim`, `class`, `gi_bin` and `fdr` with a suffix.
fn put_stats(
    p: &mut serde_json::Map<String, Value>,
    suffix: &str,
    count: u64,
    hide: bool,
    g: &GiStarResult,
    i: usize,
) {
    let num = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
    p.insert(
        format!("count{suffix}"),
        if hide { Value::Null } else { count.into() },
    );
    p.insert(format!("z{suffix}"), num(g.z[i]));
    p.insert(format!("p{suffix}"), num(g.p[i]));
    if let Some(ps) = &g.p_sim {
        p.insert(format!("p_sim{suffix}"), num(ps[i]));
    }
    p.insert(format!("q{suffix}"), num(g.q[i]));
    p.insert(format!("class{suffix}"), g.class[i].as_str().into());
    p.insert(format!("gi_bin{suffix}"), g.class[i].gi_bin().into());
    p.insert(format!("fdr{suffix}"), g.fdr_significant[i].into());
}

/// Incident counts of `counts` on the analysed `cells` (sorted): totals and
/// per bin (row-major), plus the incidents in cells outside them.
fn on_cells(counts: &H3Counts, cells: &[CellIndex]) -> (Vec<u64>, Vec<u64>, u64) {
    let nb = counts.bins();
    let mut total = vec![0; cells.len()];
    let mut bins = vec![0; cells.len() * nb];
    let mut excluded = 0;
    for (i, cell) in counts.cells.iter().enumerate() {
        match cells.binary_search(cell) {
            Ok(k) => {
                total[k] = counts.counts[i];
                for b in 0..nb {
                    bins[k * nb + b] = counts.count(i, b);
                }
            }
            Err(_) => excluded += counts.counts[i],
        }
    }
    (total, bins, excluded)
}

/// Emerging hot spots on H3 cells: Gi* per period, a Mann–Kendall trend on
/// each cell's z series, and Esri's category per cell.
#[derive(Debug, Clone)]
pub struct H3Emerging {
    /// The resolution.
    pub resolution: Resolution,
    /// Ring size of the spatial neighbourhood.
    pub k: u32,
    /// The analysed cells, sorted.
    pub cells: Vec<CellIndex>,
    /// The periods.
    pub periods: Periods,
    /// Incidents per cell (all periods).
    pub counts: Vec<u64>,
    /// The statistics per cell and bin.
    pub result: EmergingResult,
    /// The settings used.
    pub settings: EmergingHotSpots,
    /// Incidents left out: outside the analysed cells or outside every period.
    pub excluded_incidents: u64,
    /// What the incidents were restricted to (a time-bin label, or `all`).
    pub subset: String,
}

impl H3Emerging {
    /// Counts the incidents (optionally only those with `keep[i]`) per cell
    /// and period and runs the analysis over `cells` (sorted, e.g. from
    /// [`analysis_cells`]). `incident_cells[i]` is incident `i`'s cell.
    ///
    /// # Errors
    /// [`Error::Parameter`] if the slices differ in length, or from the
    /// weights or the analysis (fewer than 2 periods, …).
    #[allow(clippy::too_many_arguments)]
    pub fn compute(
        cells: &[CellIndex],
        incident_cells: &[CellIndex],
        utc: &[i64],
        keep: Option<&[bool]>,
        subset: &str,
        periods: &Periods,
        k: u32,
        decay: Decay,
        projection: &Projection,
        settings: &EmergingHotSpots,
    ) -> Result<Self> {
        if incident_cells.len() != utc.len() || keep.is_some_and(|m| m.len() != utc.len()) {
            return Err(Error::parameter(
                "emerging hot spots",
                "incident cells, times and the subset mask differ in length",
            ));
        }
        let position: Vec<Option<usize>> = incident_cells
            .par_iter()
            .enumerate()
            .map(|(i, c)| {
                if keep.is_some_and(|m| !m[i]) {
                    return None;
                }
                cells.binary_search(c).ok()
            })
            .collect();
        let cube = periods.cube_counts(utc, &position, cells.len())?;
        let t = periods.len();
        let counts: Vec<u64> = (0..cells.len())
            .map(|c| cube[c * t..(c + 1) * t].iter().sum::<f64>() as u64)
            .collect();
        let selected = keep.map_or(utc.len(), |m| m.iter().filter(|&&k| k).count()) as u64;
        let excluded_incidents = selected - counts.iter().sum::<u64>();
        let weights = SpatialWeights::h3_kring(cells, k, decay, projection)?;
        let result = settings.compute(&cube, t, &weights)?;
        Ok(Self {
            resolution: cells.first().map_or(Resolution::Nine, |c| c.resolution()),
            k,
            cells: cells.to_vec(),
            periods: periods.clone(),
            counts,
            result,
            settings: settings.clone(),
            excluded_incidents,
            subset: subset.to_owned(),
        })
    }

    /// The `emerging_h3` layer: one feature per cell with `h3`, `category`
    /// (e.g. `new_hot_spot`), `category_label` (Esri's wording), the trend
    /// (`trend_z`, `trend_p`, `trend_tau`), `hot_periods`, `cold_periods`,
    /// `z_final`, `z_series` and `count` (suppressed from 1 to `min_count − 1`).
    #[must_use]
    pub fn layer(&self, min_count: u64) -> Layer {
        let mut layer = Layer::new("emerging_h3");
        let t = self.periods.len();
        layer
            .param(
                "statistic",
                "Emerging hot spots: Gi* per period, Mann-Kendall trend of z, Esri categories",
            )
            .param("h3_resolution", u8::from(self.resolution))
            .param("neighbours", format!("H3 k-ring, k = {}", self.k))
            .param("settings", format!("{:?}", self.settings))
            .param("periods", self.periods.labels().to_vec())
            .param("period_length", format!("{:?}", self.periods.length()))
            .param("final_period_partial", self.periods.final_is_partial())
            .param("subset", self.subset.clone())
            .param("excluded_incidents", self.excluded_incidents)
            .param("min_count", min_count);
        let num = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
        for (i, cell) in self.cells.iter().enumerate() {
            let r = &self.result;
            let mut p = serde_json::Map::new();
            p.insert("h3".into(), cell.to_string().into());
            let n = self.counts[i];
            let hide = crate::privacy::is_suppressed(n, min_count);
            p.insert("count".into(), if hide { Value::Null } else { n.into() });
            p.insert("suppressed".into(), hide.into());
            p.insert("category".into(), r.category[i].as_str().into());
            p.insert("category_label".into(), r.category[i].label().into());
            p.insert("trend_z".into(), num(r.trend[i].z));
            p.insert("trend_p".into(), num(r.trend[i].p));
            p.insert("trend_tau".into(), num(r.trend[i].tau));
            p.insert("hot_periods".into(), r.hot_periods[i].into());
            p.insert("cold_periods".into(), r.cold_periods[i].into());
            let z = r.z_series(i);
            p.insert("z_final".into(), num(z[t - 1]));
            p.insert(
                "z_series".into(),
                Value::Array(z.iter().map(|&v| num(v)).collect()),
            );
            layer.push(cell_polygon(*cell), p);
        }
        layer
    }
}

/// Change per H3 cell between two periods (or two groups), in total and per
/// time bin: count difference, rate ratio B/A with its exact Poisson
/// interval, and whether the change is significant.
#[derive(Debug, Clone)]
pub struct H3Change {
    /// The resolution.
    pub resolution: Resolution,
    /// The analysed cells, sorted.
    pub cells: Vec<CellIndex>,
    /// Names of A and B (e.g. their date ranges).
    pub names: (String, String),
    /// Bin labels.
    pub bin_labels: Vec<String>,
    /// The change over all hours, per cell.
    pub total: Vec<RateRatio>,
    /// The change per bin, row-major (`cell * bins + bin`); `None` where a
    /// bin has no exposure in A or B.
    pub per_bin: Vec<Option<RateRatio>>,
    /// Hours of exposure of A and B, in total and per bin.
    pub exposure: ((f64, Vec<f64>), (f64, Vec<f64>)),
    /// The confidence level.
    pub confidence: f64,
    /// Incidents of A and B in cells outside the analysed cells.
    pub excluded_incidents: u64,
}

impl H3Change {
    /// Compares `a` and `b` (counted with the same bins, e.g. before and
    /// after a date) on `cells` (sorted). Rates are per hour of each
    /// group's own exposure, so groups of unequal length compare fairly.
    ///
    /// # Errors
    /// [`Error::Parameter`] if the bins differ, a group has no exposure, or
    /// the confidence is not in (0, 1).
    pub fn compute(
        a: &H3Counts,
        b: &H3Counts,
        cells: &[CellIndex],
        names: (String, String),
        confidence: f64,
    ) -> Result<Self> {
        if a.bin_labels != b.bin_labels {
            return Err(Error::parameter(
                "change",
                "the two groups were counted with different time bins",
            ));
        }
        let nb = a.bins();
        let (ta, ba, xa) = on_cells(a, cells);
        let (tb, bb, xb) = on_cells(b, cells);
        let test = RateChange::new().confidence(confidence);
        let total = test.compute(&ta, a.total_hours(), &tb, b.total_hours())?;
        let mut per_bin = vec![None; cells.len() * nb];
        for bin in 0..nb {
            let (ea, eb) = (a.exposure_hours[bin], b.exposure_hours[bin]);
            if ea <= 0.0 || eb <= 0.0 {
                continue;
            }
            let col = |v: &[u64]| {
                (0..cells.len())
                    .map(|c| v[c * nb + bin])
                    .collect::<Vec<_>>()
            };
            let r = test.compute(&col(&ba), ea, &col(&bb), eb)?;
            for (c, rr) in r.into_iter().enumerate() {
                per_bin[c * nb + bin] = Some(rr);
            }
        }
        Ok(Self {
            resolution: a.resolution,
            cells: cells.to_vec(),
            names,
            bin_labels: a.bin_labels.clone(),
            total,
            per_bin,
            exposure: (
                (a.total_hours(), a.exposure_hours.clone()),
                (b.total_hours(), b.exposure_hours.clone()),
            ),
            confidence,
            excluded_incidents: xa + xb,
        })
    }

    /// The `change_h3` layer: per cell `count_a`, `count_b`, `difference`,
    /// `rate_ratio`, `ratio_low`, `ratio_high`, `p`, `significant` and
    /// `direction` (`increase`, `decrease`, `no_change`), then per bin with
    /// the bin label as suffix. Where either count is from 1 to
    /// `min_count − 1` the counts, difference, ratio, interval and p are
    /// written as `null` (together they would reveal the counts); the
    /// `significant` flag is kept. Further records are withheld where
    /// subtraction (total − shown bins) would give a withheld count back
    /// ([`H3Change::withheld`]); `suppressed` marks a cell with any.
    #[must_use]
    pub fn layer(&self, min_count: u64) -> Layer {
        let mut layer = Layer::new("change_h3");
        layer
            .param(
                "statistic",
                "rate ratio B/A per cell, exact conditional (binomial) Poisson interval",
            )
            .param("h3_resolution", u8::from(self.resolution))
            .param("a", self.names.0.clone())
            .param("b", self.names.1.clone())
            .param("exposure_hours_a", self.exposure.0.0)
            .param("exposure_hours_b", self.exposure.1.0)
            .param("bins", self.bin_labels.clone())
            .param("bin_exposure_hours_a", self.exposure.0.1.clone())
            .param("bin_exposure_hours_b", self.exposure.1.1.clone())
            .param("confidence", self.confidence)
            .param("excluded_incidents", self.excluded_incidents)
            .param("min_count", min_count);
        let nb = self.bin_labels.len();
        for (i, cell) in self.cells.iter().enumerate() {
            let mut p = serde_json::Map::new();
            p.insert("h3".into(), cell.to_string().into());
            let w = self.withheld(i, min_count);
            p.insert("suppressed".into(), w.contains(&true).into());
            put_change(&mut p, "", Some(&self.total[i]), w[0]);
            for (b, label) in self.bin_labels.iter().enumerate() {
                put_change(
                    &mut p,
                    &format!("_{label}"),
                    self.per_bin[i * nb + b].as_ref(),
                    w[1 + b],
                );
            }
            layer.push(cell_polygon(*cell), p);
        }
        layer
    }
}

impl H3Change {
    /// Which records of cell `i` are withheld: the total, then each bin.
    ///
    /// A record shows both counts, so they are withheld together; the bins'
    /// `count_a` add up to the total's `count_a` (the same for B), and a bin
    /// without a record (no exposure in one group) is an implied part. See
    /// the `privacy` module doc, rule 2.
    #[must_use]
    pub fn withheld(&self, i: usize, min_count: u64) -> Vec<bool> {
        let nb = self.bin_labels.len();
        let tot = &self.total[i];
        let mut t = LinkedCounts::new();
        let (ta, tb) = (t.add(tot.count_a), t.add(tot.count_b));
        t.tie(&[ta, tb]);
        let (mut pa, mut pb, mut records) = (Vec::new(), Vec::new(), Vec::new());
        let (mut rest_a, mut rest_b) = (tot.count_a, tot.count_b);
        for r in &self.per_bin[i * nb..(i + 1) * nb] {
            if let Some(r) = r {
                let (a, b) = (t.add(r.count_a), t.add(r.count_b));
                t.tie(&[a, b]);
                pa.push(a);
                pb.push(b);
                records.push(Some(a));
                rest_a = rest_a.saturating_sub(r.count_a);
                rest_b = rest_b.saturating_sub(r.count_b);
            } else {
                records.push(None);
            }
        }
        pa.push(t.add_implied(rest_a));
        pb.push(t.add_implied(rest_b));
        t.parts_of(ta, &pa);
        t.parts_of(tb, &pb);
        let w = t.withheld(min_count);
        std::iter::once(w[ta])
            .chain(records.iter().map(|r| r.is_none_or(|a| w[a])))
            .collect()
    }
}

/// Writes one change record with a suffix; `withheld`: its counts, difference,
/// ratio, interval and p are `null`.
fn put_change(
    p: &mut serde_json::Map<String, Value>,
    suffix: &str,
    r: Option<&RateRatio>,
    withheld: bool,
) {
    let num = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
    let keys = [
        "count_a",
        "count_b",
        "difference",
        "rate_ratio",
        "ratio_low",
        "ratio_high",
        "p",
    ];
    let Some(r) = r else {
        for k in keys {
            p.insert(format!("{k}{suffix}"), Value::Null);
        }
        p.insert(format!("significant{suffix}"), false.into());
        p.insert(format!("direction{suffix}"), Value::Null);
        return;
    };
    if withheld {
        for k in keys {
            p.insert(format!("{k}{suffix}"), Value::Null);
        }
    } else {
        p.insert(format!("count_a{suffix}"), r.count_a.into());
        p.insert(format!("count_b{suffix}"), r.count_b.into());
        p.insert(format!("difference{suffix}"), r.difference.into());
        // An infinite ratio (nothing in A) is written as null; count_a = 0 says why.
        p.insert(format!("rate_ratio{suffix}"), num(r.ratio));
        p.insert(format!("ratio_low{suffix}"), num(r.ratio_low));
        p.insert(format!("ratio_high{suffix}"), num(r.ratio_high));
        p.insert(format!("p{suffix}"), num(r.p));
    }
    p.insert(format!("significant{suffix}"), r.significant.into());
    let direction = match (r.significant, r.ratio_low > 1.0) {
        (false, _) => "no_change",
        (true, true) => "increase",
        (true, false) => "decrease",
    };
    p.insert(format!("direction{suffix}"), direction.into());
}
