//! Privacy of the people in the data: small counts, complementary
//! suppression and density surfaces that never show one incident's kernel.
//!
//! The incidents describe vulnerable people, so no output may let a reader
//! pick out an individual. Three rules, shared by the analyses and the maps:
//!
//! 1. **Small counts.** Every count from 1 to `k − 1` (`k` = `min_count`,
//!    default [`DEFAULT_MIN_COUNT`] = 5) is withheld (`None`, marked
//!    `suppressed`), and so is every rate or ratio derived from it. Zero
//!    stays 0: "nothing happened here" names nobody.
//! 2. **Differencing.** Where parts add up to a total that is shown (the
//!    weekday and weekend counts add up to all), one withheld part could be
//!    recovered by subtraction. [`complementary_suppression`] withholds
//!    further parts until at least two are withheld and together they hold
//!    at least `k` incidents. Where counts are linked in more than one way
//!    (a cell's bins add up to the cell, a weekday × hour slot to the hour,
//!    the hours to the place; unmet incidents are part of all incidents, so
//!    met = all − unmet is implied), [`LinkedCounts`] applies the same rule
//!    to every group at once until nothing changes: in every group whose
//!    total is shown, the withheld parts are either none or at least two
//!    holding at least `k` together, so `total − shown parts` is 0 or ≥ `k`;
//!    every part of a withheld total is withheld (the parts would give the
//!    total back); values that are never written but implied (met, or the
//!    incidents outside a route's walked hours) count as withheld parts.
//!    Every rate or share made from a withheld count is withheld too. The
//!    writers that show parts with their totals (`hotspots_h3`, `gistar_*`,
//!    `change_h3`, `route_segments`, `place_time_bins.csv`, the service-gap
//!    tables, `time_bins.csv`, the place profiles) all follow this rule.
//! 3. **Density surfaces** (isolines, tiles, overview images): a cell is
//!    shown only where at least `k` incidents lie within the kernel's reach
//!    ([`mask_sparse`]), so no coloured area or isoline is made by fewer than
//!    `k` incidents, and a lone incident's kernel (whose peak marks where it
//!    happened) never appears. The tiles also enforce a minimum bandwidth and
//!    a maximum zoom ([`HeatmapTiles`](crate::HeatmapTiles)).

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::kde::{Bandwidth, Binning, DensitySurface, Kde, Kernel, Units};

/// The default smallest count shown (`k`): counts 1 to 4 are withheld.
pub const DEFAULT_MIN_COUNT: u64 = 5;

/// Whether a count is withheld: 1 to `min_count − 1` (0 is shown).
///
/// ```
/// use byrum::is_suppressed;
/// assert!(!is_suppressed(0, 5) && is_suppressed(4, 5) && !is_suppressed(5, 5));
/// ```
#[must_use]
pub fn is_suppressed(n: u64, min_count: u64) -> bool {
    n > 0 && n < min_count
}

/// The count as shown: `None` when withheld ([`is_suppressed`]).
#[must_use]
pub fn shown(n: u64, min_count: u64) -> Option<u64> {
    (!is_suppressed(n, min_count)).then_some(n)
}

/// Which `parts` to withhold when their sum is shown too (or can be worked
/// out): all positive parts if the total itself is withheld, otherwise
/// [`complementary_suppression`].
///
/// ```
/// // 40 + 3 + 20: the 3 and the next smallest go.
/// assert_eq!(byrum::withheld_parts(&[40, 3, 20], 5), vec![false, true, true]);
/// // A total of 4 is withheld, and so is every part of it.
/// assert_eq!(byrum::withheld_parts(&[0, 3, 1], 5), vec![false, true, true]);
/// ```
#[must_use]
pub fn withheld_parts(parts: &[u64], min_count: u64) -> Vec<bool> {
    if is_suppressed(parts.iter().sum(), min_count) {
        parts.iter().map(|&n| n > 0).collect()
    } else {
        complementary_suppression(parts, min_count)
    }
}

/// Which `parts` of a shown total to withhold so that none can be recovered
/// by subtraction (primary and complementary suppression).
///
/// Primary: every part from 1 to `min_count − 1`. If any part is withheld,
/// more parts are withheld, smallest positive first (ties: the earlier), until
/// at least two are withheld **and** the withheld parts together hold at
/// least `min_count` incidents: otherwise `total − shown parts` would give a
/// withheld part exactly, or show that the withheld parts are all tiny (two
/// withheld parts summing to 2 must both be 1). Zero parts are never
/// withheld (they name nobody). Call it only where the total is shown; when
/// the total itself is withheld every part is below `min_count` anyway.
///
/// ```
/// use byrum::complementary_suppression;
/// // weekday 3, weekend 241 (total 244 shown): both are withheld.
/// assert_eq!(complementary_suppression(&[3, 241], 5), vec![true, true]);
/// // One small category among several: the next smallest goes with it.
/// assert_eq!(complementary_suppression(&[40, 2, 0, 9, 30], 5), vec![false, true, false, true, false]);
/// // Two ones (sum 2 < 5): a third part is withheld as well.
/// assert_eq!(complementary_suppression(&[1, 1, 7, 9], 5), vec![true, true, true, false]);
/// // Nothing small: nothing withheld.
/// assert_eq!(complementary_suppression(&[5, 0, 12], 5), vec![false, false, false]);
/// ```
#[must_use]
pub fn complementary_suppression(parts: &[u64], min_count: u64) -> Vec<bool> {
    let mut hidden: Vec<bool> = parts.iter().map(|&n| is_suppressed(n, min_count)).collect();
    if !hidden.contains(&true) {
        return hidden;
    }
    let mut order: Vec<usize> = (0..parts.len()).filter(|&i| parts[i] > 0).collect();
    order.sort_by_key(|&i| (parts[i], i));
    let enough = |hidden: &[bool]| {
        let n = hidden.iter().filter(|&&h| h).count();
        let sum: u64 = (0..parts.len())
            .filter(|&i| hidden[i])
            .map(|i| parts[i])
            .sum();
        n >= 2 && sum >= min_count
    };
    for i in order {
        if enough(&hidden) {
            break;
        }
        hidden[i] = true;
    }
    hidden
}

/// Counts linked by sums, for complementary suppression across several
/// groups at once (see the module doc, rule 2).
///
/// Add every count with [`LinkedCounts::add`] (shown values) or
/// [`LinkedCounts::add_implied`] (values never written but implied, e.g.
/// met = all − unmet), declare which add up to which with
/// [`LinkedCounts::parts_of`], and which are shown or withheld together with
/// [`LinkedCounts::tie`]; [`LinkedCounts::withheld`] gives the counts to
/// withhold.
///
/// ```
/// use byrum::LinkedCounts;
/// // A place with 63 incidents in three bins: 40, 3, 20.
/// let mut t = LinkedCounts::new();
/// let total = t.add(63);
/// let bins: Vec<usize> = [40, 3, 20].iter().map(|&n| t.add(n)).collect();
/// t.parts_of(total, &bins);
/// let w = t.withheld(5);
/// // The 3 and its complement (the 20) are withheld; the total is shown.
/// assert_eq!((w[total], w[bins[0]], w[bins[1]], w[bins[2]]), (false, false, true, true));
/// ```
#[derive(Debug, Clone, Default)]
pub struct LinkedCounts {
    counts: Vec<u64>,
    implied: Vec<bool>,
    forced: Vec<bool>,
    groups: Vec<(usize, Vec<usize>)>,
    ties: Vec<Vec<usize>>,
}

impl LinkedCounts {
    /// An empty table.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a count that is shown unless withheld; returns its id.
    pub fn add(&mut self, n: u64) -> usize {
        self.counts.push(n);
        self.implied.push(false);
        self.forced.push(false);
        self.counts.len() - 1
    }

    /// Adds a count that is never written but can be worked out (e.g. met =
    /// all − unmet): it counts as withheld. Returns its id.
    pub fn add_implied(&mut self, n: u64) -> usize {
        let id = self.add(n);
        self.implied[id] = true;
        id
    }

    /// Withholds count `id` whatever its value (e.g. a record hidden for
    /// another reason).
    pub fn force(&mut self, id: usize) {
        self.forced[id] = true;
    }

    /// Declares that `parts` add up to `total`.
    pub fn parts_of(&mut self, total: usize, parts: &[usize]) {
        self.groups.push((total, parts.to_vec()));
    }

    /// Declares that `ids` are shown or withheld together (e.g. the two
    /// counts of one rate ratio).
    pub fn tie(&mut self, ids: &[usize]) {
        self.ties.push(ids.to_vec());
    }

    /// The number of counts.
    #[must_use]
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether there are no counts.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Which counts to withhold (by id; implied counts are `true`).
    ///
    /// Primary: counts from 1 to `min_count − 1`, implied and forced
    /// counts. Then, until nothing changes: every count tied to a withheld
    /// one is withheld; every positive part of a withheld total is withheld;
    /// in a group whose total is shown, if any positive part is withheld
    /// (an implied part only if it is below `min_count`),
    /// more parts are withheld (smallest positive first, ties: the earlier;
    /// a part tied to a withheld count first, a part that is the only
    /// positive part of another group last)
    /// until at least two positive parts are withheld and they hold at
    /// least `min_count` together (where only one positive part exists, the
    /// total is withheld instead). Zero stays shown unless tied or forced.
    /// Deterministic; each pass only adds, so it ends.
    #[must_use]
    pub fn withheld(&self, min_count: u64) -> Vec<bool> {
        let c = &self.counts;
        // Parts that are the only positive part of some group: withholding
        // one would withhold that group's total too, so they come last.
        let mut sole = vec![false; c.len()];
        for (_, parts) in &self.groups {
            let mut pos = parts.iter().filter(|&&i| c[i] > 0);
            if let (Some(&i), None) = (pos.next(), pos.next()) {
                sole[i] = true;
            }
        }
        let mut tied_to: Vec<Vec<usize>> = vec![Vec::new(); c.len()];
        for (t, ids) in self.ties.iter().enumerate() {
            for &i in ids {
                tied_to[i].push(t);
            }
        }
        let mut w: Vec<bool> = (0..c.len())
            .map(|i| self.implied[i] || self.forced[i] || is_suppressed(c[i], min_count))
            .collect();
        loop {
            let mut changed = false;
            for tie in &self.ties {
                if tie.iter().any(|&i| w[i]) {
                    for &i in tie {
                        changed |= !w[i];
                        w[i] = true;
                    }
                }
            }
            for (total, parts) in &self.groups {
                if w[*total] {
                    for &i in parts {
                        if c[i] > 0 && !w[i] {
                            w[i] = true;
                            changed = true;
                        }
                    }
                    continue;
                }
                let stats = |w: &[bool]| {
                    parts
                        .iter()
                        .filter(|&&i| w[i] && c[i] > 0)
                        .fold((0usize, 0u64), |(n, s), &i| (n + 1, s + c[i]))
                };
                // An implied part of k or more gives nothing away by itself
                // (it is in no other group); any other withheld part must
                // not be recoverable.
                let trigger = parts
                    .iter()
                    .any(|&i| w[i] && c[i] > 0 && !(self.implied[i] && c[i] >= min_count));
                let (n, sum) = stats(&w);
                if !trigger || (n >= 2 && sum >= min_count) {
                    continue;
                }
                let mut order: Vec<usize> = parts
                    .iter()
                    .copied()
                    .filter(|&i| c[i] > 0 && !w[i])
                    .collect();
                // A part tied to a withheld count goes first: it costs nothing.
                let free = |i: usize| {
                    tied_to[i]
                        .iter()
                        .any(|&t| self.ties[t].iter().any(|&j| w[j]))
                };
                order.sort_by_key(|&i| (sole[i], !free(i), c[i], i));
                for i in order {
                    let (n, sum) = stats(&w);
                    if n >= 2 && sum >= min_count {
                        break;
                    }
                    w[i] = true;
                    changed = true;
                }
                // One positive part only: it equals the total, so the total goes too.
                if stats(&w).0 < 2 {
                    w[*total] = true;
                    changed = true;
                }
            }
            if !changed {
                return w;
            }
        }
    }
}

/// Withheld counts of a rows × bins table whose row totals are shown
/// (an H3 cell's `count` and `count_<bin>`, a place's total and its time
/// bins): every row's bins are parts of the row total, every bin's rows are
/// parts of the bin's total over all rows and the rows are parts of the
/// grand total (both shown elsewhere, e.g. `time_bins.csv`).
///
/// `bin_counts` is row-major (`rows × bins`). Returns (rows withheld, cells
/// withheld), by [`LinkedCounts::withheld`].
///
/// ```
/// use byrum::withheld_table;
/// // Two rows: [40, 3, 20] (63) and [50, 50, 50] (150).
/// let (rows, cells) = withheld_table(&[63, 150], &[40, 3, 20, 50, 50, 50], 5);
/// assert_eq!(rows, vec![false, false]);
/// // Row 0: the 3 and the 20; bin 1 and 2 columns then need a second part in row 1.
/// assert_eq!(cells, vec![false, true, true, false, true, true]);
/// ```
#[must_use]
pub fn withheld_table(
    totals: &[u64],
    bin_counts: &[u64],
    min_count: u64,
) -> (Vec<bool>, Vec<bool>) {
    let nr = totals.len();
    let nb = bin_counts.len().checked_div(nr).unwrap_or(0);
    let mut t = LinkedCounts::new();
    let rows: Vec<usize> = totals.iter().map(|&n| t.add(n)).collect();
    let cells: Vec<usize> = bin_counts.iter().map(|&n| t.add(n)).collect();
    for r in 0..nr {
        t.parts_of(rows[r], &cells[r * nb..(r + 1) * nb]);
    }
    for b in 0..nb {
        let col: Vec<usize> = (0..nr).map(|r| cells[r * nb + b]).collect();
        let sum = (0..nr).map(|r| bin_counts[r * nb + b]).sum();
        let total = t.add(sum);
        t.parts_of(total, &col);
    }
    let grand = t.add(totals.iter().sum());
    t.parts_of(grand, &rows);
    let w = t.withheld(min_count);
    (
        rows.iter().map(|&i| w[i]).collect(),
        cells.iter().map(|&i| w[i]).collect(),
    )
}

/// Writes a count as shown: `None` where withheld.
#[must_use]
pub fn shown_if(n: u64, withheld: bool) -> Option<u64> {
    (!withheld).then_some(n)
}

/// What [`mask_sparse`] did to one surface.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseMask {
    /// The surface's label (its time bin), if any.
    pub label: Option<String>,
    /// The reach radius in metres: the kernel's support (the bandwidth; 4σ
    /// for the Gaussian).
    pub radius_m: f64,
    /// The smallest number of incidents within reach for a cell to be shown.
    pub min_count: u64,
    /// Cells with a density above 0 that were set to 0.
    pub cells_masked: usize,
    /// Cells with a density above 0 left as they were.
    pub cells_shown: usize,
}

/// The number of incidents within the kernel's reach of every cell of
/// `surface`: incidents whose grid cell's centre lies less than the kernel's
/// support radius ([`Kernel::support`]) from the cell's centre (exact to a
/// cell). Weights are ignored: this counts incidents, i.e. people.
///
/// Computed as a uniform-kernel density on the surface's grid (the same
/// direct/FFT convolution as [`Kde`]), times the number of stencil cells.
///
/// # Errors
/// [`Error::Parameter`] for non-finite points or mismatched lengths.
pub fn reach_counts(surface: &DensitySurface, x: &[f64], y: &[f64]) -> Result<Vec<f64>> {
    let g = &surface.grid;
    if x.len() != y.len() {
        return Err(Error::parameter(
            "reach counts",
            format!("{} x values but {} y values", x.len(), y.len()),
        ));
    }
    if x.is_empty() {
        return Ok(vec![0.0; g.len()]);
    }
    let r = surface.kernel.support(surface.bandwidth.metres);
    let (rx, ry) = ((r / g.dx).floor() as i64, (r / g.dy).floor() as i64);
    let mut taps = 0u64;
    for j in -ry..=ry {
        for i in -rx..=rx {
            if (i as f64 * g.dx).hypot(j as f64 * g.dy) < r {
                taps += 1;
            }
        }
    }
    let counts = Kde::new()
        .kernel(Kernel::Uniform)
        .bandwidth(Bandwidth::Fixed(r))
        .binning(Binning::Simple)
        .units(Units::ExpectedCount)
        .compute(g, x, y, None)?;
    let taps = taps.max(1) as f64;
    Ok(counts.values.iter().map(|v| (v * taps).round()).collect())
}

/// Sets to 0 every cell of `surface` with fewer than `min_count` incidents
/// within the kernel's reach ([`reach_counts`]; `x`, `y` are the incidents
/// the surface was made from, in its projected metres).
///
/// So every coloured pixel and every isoline of the surface rests on at
/// least `min_count` incidents, and an incident alone in its neighbourhood
/// (whose kernel would be a disc centred on it) leaves no trace. Cheap: one
/// extra convolution per surface. `min_count` 0 or 1 masks nothing.
///
/// ```
/// use byrum::*;
/// let grid = MetricGrid::covering((0.0, 0.0, 1000.0, 1000.0), 10.0)?;
/// // Six incidents near (250, 250) and one alone at (750, 750).
/// let mut x = vec![250.0, 255.0, 245.0, 260.0, 240.0, 250.0, 750.0];
/// let mut y = vec![250.0, 245.0, 255.0, 250.0, 250.0, 260.0, 750.0];
/// let mut s = Kde::new().bandwidth(Bandwidth::Fixed(100.0)).compute(&grid, &x, &y, None)?;
/// assert!(s.value_at(750.0, 750.0).unwrap() > 0.0);
/// let m = mask_sparse(&mut s, &x, &y, 5)?;
/// assert_eq!(s.value_at(750.0, 750.0), Some(0.0)); // the lone incident is gone
/// assert!(s.value_at(250.0, 250.0).unwrap() > 0.0); // the cluster stays
/// assert!(m.cells_masked > 0 && m.cells_shown > 0);
/// # Ok::<(), byrum::Error>(())
/// ```
///
/// # Errors
/// As [`reach_counts`].
pub fn mask_sparse(
    surface: &mut DensitySurface,
    x: &[f64],
    y: &[f64],
    min_count: u64,
) -> Result<SparseMask> {
    let reach = if min_count > 1 {
        reach_counts(surface, x, y)?
    } else {
        vec![f64::INFINITY; surface.values.len()]
    };
    let k = min_count as f64;
    let (mut masked, mut shown) = (0, 0);
    for (v, &n) in surface.values.iter_mut().zip(&reach) {
        if *v > 0.0 {
            if n < k {
                *v = 0.0;
                masked += 1;
            } else {
                shown += 1;
            }
        }
    }
    Ok(SparseMask {
        label: surface.label.clone(),
        radius_m: surface.kernel.support(surface.bandwidth.metres),
        min_count,
        cells_masked: masked,
        cells_shown: shown,
    })
}

/// [`mask_sparse`] for the surfaces of [`Kde::compute_bins`]: surface `b`
/// is masked with the incidents `i` where `bins[i] == b`. In parallel.
///
/// # Errors
/// [`Error::Parameter`] if the lengths of `x`, `y` and `bins` differ or a
/// bin is out of range; as [`reach_counts`].
pub fn mask_sparse_bins(
    surfaces: &mut [DensitySurface],
    x: &[f64],
    y: &[f64],
    bins: &[u32],
    min_count: u64,
) -> Result<Vec<SparseMask>> {
    if x.len() != y.len() || x.len() != bins.len() {
        return Err(Error::parameter(
            "reach counts",
            format!(
                "{} x, {} y and {} bins: they must agree",
                x.len(),
                y.len(),
                bins.len()
            ),
        ));
    }
    if let Some(b) = bins.iter().find(|&&b| b as usize >= surfaces.len()) {
        return Err(Error::parameter(
            "reach counts",
            format!("bin {b} is out of range ({} surfaces)", surfaces.len()),
        ));
    }
    let mut idx: Vec<Vec<usize>> = vec![Vec::new(); surfaces.len()];
    for (i, &b) in bins.iter().enumerate() {
        idx[b as usize].push(i);
    }
    surfaces
        .par_iter_mut()
        .zip(idx.par_iter())
        .map(|(s, ix)| {
            let bx: Vec<f64> = ix.iter().map(|&i| x[i]).collect();
            let by: Vec<f64> = ix.iter().map(|&i| y[i]).collect();
            mask_sparse(s, &bx, &by, min_count)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;
    use crate::grid::MetricGrid;

    #[test]
    fn reach_counts_are_incidents_within_the_radius() {
        let grid = MetricGrid::covering((0.0, 0.0, 400.0, 400.0), 10.0).unwrap();
        // Points at cell centres (5, 15, …): 3 at (205, 205), 1 at (255, 205)
        // (50 m away), 1 at (305, 205) (100 m away).
        let x = [205.0, 205.0, 205.0, 255.0, 305.0];
        let y = [205.0; 5];
        for method in [crate::kde::Method::Direct, crate::kde::Method::Fft] {
            let s = Kde::new()
                .bandwidth(Bandwidth::Fixed(80.0))
                .method(method)
                .compute(&grid, &x, &y, None)
                .unwrap();
            let r = reach_counts(&s, &x, &y).unwrap();
            let at = |px: f64, py: f64| r[grid.cell_of(px, py).unwrap()];
            // Hand count with radius 80 m (strictly less):
            assert_eq!(at(205.0, 205.0), 4.0); // 3 + the one 50 m away
            assert_eq!(at(255.0, 205.0), 5.0); // 50 m to both sides
            assert_eq!(at(305.0, 205.0), 2.0); // itself and the one 50 m away
            assert_eq!(at(125.0, 205.0), 0.0); // exactly 80 m: outside
            assert_eq!(at(135.0, 205.0), 3.0); // 70 m
            assert_eq!(at(5.0, 5.0), 0.0);
        }
    }

    #[test]
    fn masking_keeps_cells_with_k_incidents_in_reach() {
        let grid = MetricGrid::covering((0.0, 0.0, 400.0, 400.0), 10.0).unwrap();
        let x = [205.0, 205.0, 205.0, 255.0, 305.0];
        let y = [205.0; 5];
        let mut s = Kde::new()
            .bandwidth(Bandwidth::Fixed(80.0))
            .compute(&grid, &x, &y, None)
            .unwrap();
        let before = s.clone();
        let m = mask_sparse(&mut s, &x, &y, 5).unwrap();
        let c = grid.cell_of(255.0, 205.0).unwrap();
        assert_eq!(s.values[c], before.values[c]);
        assert!(before.values[grid.cell_of(205.0, 205.0).unwrap()] > 0.0);
        assert_eq!(s.values[grid.cell_of(205.0, 205.0).unwrap()], 0.0);
        // Only the cells within 80 m of all five survive: a lens around x = 255.
        let shown: Vec<usize> = (0..s.values.len()).filter(|&i| s.values[i] > 0.0).collect();
        assert_eq!(shown.len(), m.cells_shown);
        for i in shown {
            let (cx, cy) = (
                (i % grid.nx) as f64 * 10.0 + 5.0,
                (i / grid.nx) as f64 * 10.0 + 5.0,
            );
            assert!((cx - 205.0).hypot(cy - 205.0) < 80.0 && (cx - 305.0).hypot(cy - 205.0) < 80.0);
        }
        // k = 1 masks nothing; k = 6 masks everything.
        let mut t = before.clone();
        assert_eq!(mask_sparse(&mut t, &x, &y, 1).unwrap().cells_masked, 0);
        let mut t = before.clone();
        let m = mask_sparse(&mut t, &x, &y, 6).unwrap();
        assert_eq!((m.cells_shown, t.max()), (0, 0.0));
    }

    #[test]
    fn bins_are_masked_with_their_own_incidents() {
        let grid = MetricGrid::covering((0.0, 0.0, 400.0, 400.0), 10.0).unwrap();
        let x = [205.0, 205.0, 205.0, 205.0, 205.0, 205.0];
        let y = [205.0; 6];
        let bins = [0, 0, 0, 0, 0, 1];
        let labels = vec!["a".to_owned(), "b".to_owned()];
        let mut s = Kde::new()
            .bandwidth(Bandwidth::Fixed(80.0))
            .compute_bins(&grid, &x, &y, None, &bins, &labels, &[10.0, 10.0])
            .unwrap();
        let m = mask_sparse_bins(&mut s, &x, &y, &bins, 5).unwrap();
        assert!(s[0].max() > 0.0 && m[0].cells_masked == 0);
        assert_eq!(s[1].max(), 0.0);
        assert_eq!(m[1].label.as_deref(), Some("b"));
        assert!(mask_sparse_bins(&mut s, &x, &y, &[0, 0, 0, 0, 0, 2], 5).is_err());
    }

    #[test]
    fn linked_counts_rules() {
        // Without ties or implied parts it is complementary_suppression.
        for parts in [
            vec![40u64, 3, 20],
            vec![1, 1, 7, 9],
            vec![9, 3, 9, 0],
            vec![5, 0, 12],
        ] {
            let mut t = LinkedCounts::new();
            let total = t.add(parts.iter().sum());
            let ids: Vec<usize> = parts.iter().map(|&n| t.add(n)).collect();
            t.parts_of(total, &ids);
            let w = t.withheld(5);
            assert!(!w[total]);
            assert_eq!(
                w[1..].to_vec(),
                complementary_suppression(&parts, 5),
                "{parts:?}"
            );
        }
        // Incidents 50 shown, unmet 48: met 2 is implied, so unmet goes too.
        let mut t = LinkedCounts::new();
        let (all, unmet) = (t.add(50), t.add(48));
        let met = t.add_implied(2);
        t.parts_of(all, &[unmet, met]);
        assert_eq!(t.withheld(5), vec![false, true, true]);
        // A withheld total (hour 30, withheld with a 2 beside it) withholds
        // all its positive parts (weekdays 10, 20, 0).
        let mut t = LinkedCounts::new();
        let place = t.add(132);
        let hours: Vec<usize> = [2, 30, 100].iter().map(|&n| t.add(n)).collect();
        let days: Vec<usize> = [10, 20, 0].iter().map(|&n| t.add(n)).collect();
        t.parts_of(place, &hours);
        t.parts_of(hours[1], &days);
        assert_eq!(
            t.withheld(5),
            vec![false, true, true, false, true, true, false]
        );
        // The only positive part withheld (tied to a small one): the total goes too.
        let mut t = LinkedCounts::new();
        let (ta, a0, a1) = (t.add(40), t.add(40), t.add(0));
        let b0 = t.add(3);
        t.parts_of(ta, &[a0, a1]);
        t.tie(&[a0, b0]);
        assert_eq!(t.withheld(5), vec![true, true, false, true]);
        assert_eq!(t.len(), 4);
        assert!(LinkedCounts::new().is_empty());
    }

    #[test]
    fn complementary_suppression_rules() {
        assert_eq!(complementary_suppression(&[], 5), Vec::<bool>::new());
        assert_eq!(complementary_suppression(&[0, 0], 5), vec![false, false]);
        // The smallest positive other part, ties to the earlier.
        assert_eq!(
            complementary_suppression(&[9, 3, 9, 0], 5),
            vec![true, true, false, false]
        );
        // Two primaries already sum to ≥ k.
        assert_eq!(
            complementary_suppression(&[4, 3, 100], 5),
            vec![true, true, false]
        );
        // k = 0 or 1: nothing withheld.
        assert_eq!(complementary_suppression(&[1, 2], 1), vec![false, false]);
        // Whatever is withheld: ≥ 2 parts and ≥ k incidents.
        for parts in [[1u64, 0, 0, 50], [2, 2, 0, 7], [1, 1, 1, 1]] {
            let h = complementary_suppression(&parts, 5);
            let sum: u64 = (0..4).filter(|&i| h[i]).map(|i| parts[i]).sum();
            assert!(h.iter().filter(|&&b| b).count() >= 2, "{parts:?}");
            assert!(
                sum >= 5 || h.iter().zip(parts).all(|(&b, n)| b || n == 0),
                "{parts:?}"
            );
        }
    }
}
