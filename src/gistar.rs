//! Getis-Ord Gi* hot spots: analytic z, p, FDR, conditional permutations, classes.
//!
//! The statistic is the general-weights Gi* of Ord & Getis (1995):
//!
//! ```text
//! Gi* = (Σⱼ wᵢⱼ xⱼ − x̄ Wᵢ) / (S · √((n S1ᵢ − Wᵢ²) / (n − 1)))
//! ```
//!
//! with x̄ and S = √(Σx²/n − x̄²) over all n cells of the universe (zero
//! counts included: analysing occupied cells only biases the result),
//! Wᵢ = Σⱼ wᵢⱼ and S1ᵢ = Σⱼ wᵢⱼ², the cell itself included. With binary
//! weights this is esda's `G_Local(y, w, transform="B", star=True).Zs`.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::stats::{benjamini_hochberg, bh_adjusted, normal_two_sided_p};
use crate::weights::SpatialWeights;

/// A cell's hot/cold spot class at 99, 95 or 90 % confidence (two-sided
/// p below 0.01, 0.05, 0.10), the direction taken from the sign of z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HotSpotClass {
    /// Hot spot, p < 0.01.
    Hot99,
    /// Hot spot, 0.01 ≤ p < 0.05.
    Hot95,
    /// Hot spot, 0.05 ≤ p < 0.10.
    Hot90,
    /// p ≥ 0.10, or the statistic is undefined (NaN).
    NotSignificant,
    /// Cold spot, 0.05 ≤ p < 0.10.
    Cold90,
    /// Cold spot, 0.01 ≤ p < 0.05.
    Cold95,
    /// Cold spot, p < 0.01.
    Cold99,
}

impl HotSpotClass {
    /// The class of a z-score with its two-sided p-value (NaN in either is
    /// not significant).
    ///
    /// ```
    /// use byrum::HotSpotClass;
    /// assert_eq!(HotSpotClass::from_z_p(2.7, 0.007), HotSpotClass::Hot99);
    /// assert_eq!(HotSpotClass::from_z_p(-2.0, 0.046), HotSpotClass::Cold95);
    /// assert_eq!(HotSpotClass::from_z_p(1.0, 0.32), HotSpotClass::NotSignificant);
    /// ```
    #[must_use]
    pub fn from_z_p(z: f64, p: f64) -> Self {
        if z.is_nan() || p.is_nan() || z == 0.0 {
            return HotSpotClass::NotSignificant;
        }
        let level = u8::from(p < 0.10) + u8::from(p < 0.05) + u8::from(p < 0.01);
        match (z > 0.0, level) {
            (_, 0) => HotSpotClass::NotSignificant,
            (true, 3) => HotSpotClass::Hot99,
            (true, 2) => HotSpotClass::Hot95,
            (true, _) => HotSpotClass::Hot90,
            (false, 3) => HotSpotClass::Cold99,
            (false, 2) => HotSpotClass::Cold95,
            (false, _) => HotSpotClass::Cold90,
        }
    }

    /// A stable name for layers and tables: `hot_99`, `hot_95`, `hot_90`,
    /// `not_significant`, `cold_90`, `cold_95`, `cold_99`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            HotSpotClass::Hot99 => "hot_99",
            HotSpotClass::Hot95 => "hot_95",
            HotSpotClass::Hot90 => "hot_90",
            HotSpotClass::NotSignificant => "not_significant",
            HotSpotClass::Cold90 => "cold_90",
            HotSpotClass::Cold95 => "cold_95",
            HotSpotClass::Cold99 => "cold_99",
        }
    }

    /// Esri's `Gi_Bin`: +3/+2/+1 for hot spots at 99/95/90 %, 0, −1/−2/−3 for cold spots.
    #[must_use]
    pub fn gi_bin(self) -> i8 {
        match self {
            HotSpotClass::Hot99 => 3,
            HotSpotClass::Hot95 => 2,
            HotSpotClass::Hot90 => 1,
            HotSpotClass::NotSignificant => 0,
            HotSpotClass::Cold90 => -1,
            HotSpotClass::Cold95 => -2,
            HotSpotClass::Cold99 => -3,
        }
    }

    /// Whether this is a hot spot at any confidence.
    #[must_use]
    pub fn is_hot(self) -> bool {
        self.gi_bin() > 0
    }

    /// Whether this is a cold spot at any confidence.
    #[must_use]
    pub fn is_cold(self) -> bool {
        self.gi_bin() < 0
    }
}

impl std::fmt::Display for HotSpotClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the conditional permutations draw the other cells' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PermutationDraws {
    /// Every cell has its own ChaCha8 stream (stream = cell index, key from
    /// the seed): the null distributions of different cells are independent.
    #[default]
    PerCell,
    /// One matrix of draws (permutations × largest neighbourhood) shared by
    /// all cells, the focal cell's index skipped, as esda's `crand` does.
    /// Faster; each cell's pseudo p is still valid, but those of different
    /// cells are correlated.
    Shared,
}

/// Getis-Ord Gi* with analytic and (optionally) conditional-permutation
/// inference, Benjamini–Hochberg FDR and hot/cold classes.
///
/// ```
/// use byrum::{GiStar, SpatialWeights};
/// // Five cells in a row, neighbours left and right, self included.
/// let lists = (0..5u32)
///     .map(|i| (i.saturating_sub(1)..=(i + 1).min(4)).map(|j| (j, 1.0)).collect())
///     .collect();
/// let w = SpatialWeights::from_lists(lists)?;
/// let r = GiStar::new().compute(&[0.0, 0.0, 1.0, 9.0, 8.0], &w)?;
/// assert!(r.z[4] > 0.0 && r.z[0] < 0.0);
/// assert!(r.p_sim.is_none());
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GiStar {
    permutations: usize,
    seed: u64,
    fdr_alpha: f64,
    draws: PermutationDraws,
}

impl Default for GiStar {
    fn default() -> Self {
        Self::new()
    }
}

impl GiStar {
    /// Analytic inference only (0 permutations), seed 12345, FDR at 0.05,
    /// per-cell permutation streams.
    #[must_use]
    pub fn new() -> Self {
        Self {
            permutations: 0,
            seed: 12345,
            fdr_alpha: 0.05,
            draws: PermutationDraws::PerCell,
        }
    }

    /// The number of conditional permutations per cell (0: analytic only; 999 is usual).
    #[must_use]
    pub fn permutations(mut self, n: usize) -> Self {
        self.permutations = n;
        self
    }

    /// The seed of the permutations; results do not depend on the number of threads.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The false discovery rate for [`GiStarResult::fdr_significant`] (0 < alpha < 1).
    #[must_use]
    pub fn fdr_alpha(mut self, alpha: f64) -> Self {
        self.fdr_alpha = alpha;
        self
    }

    /// The number of permutations per cell (0: analytic only).
    #[must_use]
    pub fn permutation_count(&self) -> usize {
        self.permutations
    }

    /// The seed of the permutations.
    #[must_use]
    pub fn seed_value(&self) -> u64 {
        self.seed
    }

    /// The false discovery rate of the Benjamini–Hochberg flag.
    #[must_use]
    pub fn fdr_alpha_value(&self) -> f64 {
        self.fdr_alpha
    }

    /// How permutations draw the other cells (default [`PermutationDraws::PerCell`]).
    #[must_use]
    pub fn draws(mut self, draws: PermutationDraws) -> Self {
        self.draws = draws;
        self
    }

    /// Gi* of `values` (one per row of `weights`: every cell of the study
    /// area, zero counts included).
    ///
    /// Classes and the FDR flag use the two-sided analytic p without
    /// permutations, and with permutations the two-sided pseudo p
    /// `min(1, 2·p_sim)` ([`GiStarResult::p_class`]).
    ///
    /// # Errors
    /// [`Error::Parameter`] if `values` and `weights` differ in length, there
    /// are no cells, a value is not finite, or the FDR alpha is not in (0, 1).
    pub fn compute(&self, values: &[f64], weights: &SpatialWeights) -> Result<GiStarResult> {
        let n = values.len();
        if n != weights.len() {
            return Err(Error::parameter(
                "Gi* input",
                format!(
                    "{n} values for {} cells of the spatial weights",
                    weights.len()
                ),
            ));
        }
        if n == 0 {
            return Err(Error::parameter("Gi* input", "there are no cells"));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::parameter(
                "Gi* input",
                format!("value {} of cell {i} is not finite", values[i]),
            ));
        }
        if !(self.fdr_alpha > 0.0 && self.fdr_alpha < 1.0) {
            return Err(Error::parameter(
                "FDR alpha",
                format!("{}: must be between 0 and 1", self.fdr_alpha),
            ));
        }
        let perms = (self.permutations > 0).then_some(self.permutations);
        #[allow(clippy::float_cmp, reason = "exactly equal values have no variance")]
        let degenerate = values.iter().all(|&v| v == values[0]);
        if degenerate {
            return Ok(GiStarResult::degenerate(n, perms.is_some()));
        }
        let nf = n as f64;
        let mean = values.iter().sum::<f64>() / nf;
        let s = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / nf).sqrt();
        let z: Vec<f64> = (0..n)
            .into_par_iter()
            .with_min_len(1024)
            .map(|i| {
                let (idx, w) = weights.neighbours(i);
                let (mut lag, mut wsum, mut s1) = (0.0, 0.0, 0.0);
                for (&j, &wij) in idx.iter().zip(w) {
                    lag += wij * values[j as usize];
                    wsum += wij;
                    s1 += wij * wij;
                }
                let var = (nf * s1 - wsum * wsum) / (nf - 1.0);
                if var > 0.0 {
                    (lag - mean * wsum) / (s * var.sqrt())
                } else {
                    f64::NAN
                }
            })
            .collect();
        let p: Vec<f64> = z.iter().map(|&z| normal_two_sided_p(z)).collect();
        let p_sim = perms.map(|perms| self.pseudo_p(values, weights, &z, perms));
        let p_class = match &p_sim {
            Some(ps) => ps.iter().map(|&q| (2.0 * q).min(1.0)).collect(),
            None => p.clone(),
        };
        let fdr_significant = benjamini_hochberg(&p_class, self.fdr_alpha);
        let q = bh_adjusted(&p_class);
        let class = z
            .iter()
            .zip(&p_class)
            .map(|(&z, &p)| HotSpotClass::from_z_p(z, p))
            .collect();
        Ok(GiStarResult {
            z,
            p,
            p_sim,
            p_class,
            q,
            fdr_significant,
            class,
            degenerate: false,
        })
    }

    /// Folded pseudo p-values of the conditional permutations (NaN where z is NaN).
    fn pseudo_p(&self, x: &[f64], weights: &SpatialWeights, z: &[f64], perms: usize) -> Vec<f64> {
        let n = x.len();
        let key = ChaCha8Rng::seed_from_u64(self.seed).get_seed();
        let xmax = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let binary = weights.is_binary();
        let shared = match self.draws {
            PermutationDraws::PerCell => None,
            PermutationDraws::Shared => {
                let k = (0..n)
                    .map(|i| weights.neighbours(i).0.len() - 1)
                    .max()
                    .unwrap_or(0);
                let mut rng = ChaCha8Rng::from_seed(key);
                rng.set_stream(u64::MAX);
                let mut sampler = Sampler::new();
                let mut m = Vec::with_capacity(perms * k);
                for _ in 0..perms {
                    // Draws from 0..n−1; cell i maps r ≥ i to r + 1.
                    m.extend_from_slice(sampler.draw(&mut rng, n as u32, k, u32::MAX));
                }
                Some((m, k))
            }
        };
        let denom = (perms + 1) as f64;
        (0..n)
            .into_par_iter()
            .with_min_len(64)
            .map_init(Sampler::new, |sampler, i| {
                if z[i].is_nan() {
                    return f64::NAN;
                }
                let (idx, w) = weights.neighbours(i);
                let (idx, w) = (&idx[1..], &w[1..]);
                let m = idx.len();
                let obs: f64 = idx.iter().zip(w).map(|(&j, &wj)| wj * x[j as usize]).sum();
                let tol = 1e-12 * xmax * w.iter().sum::<f64>();
                let (lo, hi) = (obs - tol, obs + tol);
                let (mut upper, mut lower) = (0usize, 0usize);
                let mut tally = |s: f64| {
                    upper += usize::from(s >= lo);
                    lower += usize::from(s <= hi);
                };
                let value = |r: u32| x[(r + u32::from(r >= i as u32)) as usize];
                if let Some((matrix, k)) = &shared {
                    for row in matrix.chunks_exact(*k.max(&1)).take(perms) {
                        let row = &row[..m];
                        let s = if binary {
                            row.iter().map(|&r| value(r)).sum()
                        } else {
                            row.iter().zip(w).map(|(&r, &wj)| wj * value(r)).sum()
                        };
                        tally(s);
                    }
                    if *k == 0 {
                        (0..perms).for_each(|_| tally(0.0));
                    }
                } else {
                    let mut rng = ChaCha8Rng::from_seed(key);
                    rng.set_stream(i as u64);
                    for _ in 0..perms {
                        let d = sampler.draw(&mut rng, n as u32, m, i as u32);
                        let s = if binary {
                            d.iter().map(|&j| x[j as usize]).sum()
                        } else {
                            d.iter().zip(w).map(|(&j, &wj)| wj * x[j as usize]).sum()
                        };
                        tally(s);
                    }
                }
                (upper.min(lower) + 1) as f64 / denom
            })
            .collect()
    }
}

/// Draws `m` distinct cells out of `n` without replacement, skipping one.
struct Sampler {
    out: Vec<u32>,
    pool: Vec<u32>,
    pool_skip: u32,
}

impl Sampler {
    fn new() -> Self {
        Self {
            out: Vec::new(),
            pool: Vec::new(),
            pool_skip: u32::MAX,
        }
    }

    /// `m` distinct values of `0..n` other than `skip` (with `skip = u32::MAX`:
    /// distinct values of `0..n-1`, for the shared matrix).
    fn draw(&mut self, rng: &mut ChaCha8Rng, n: u32, m: usize, skip: u32) -> &[u32] {
        let range = n - 1;
        let map = |r: u32| {
            if skip != u32::MAX && r >= skip {
                r + 1
            } else {
                r
            }
        };
        self.out.clear();
        if m * 4 <= range as usize || m <= 8 {
            // Rejection of repeats: few draws from many cells.
            while self.out.len() < m {
                let r = map(below(rng, range));
                if !self.out.contains(&r) {
                    self.out.push(r);
                }
            }
        } else {
            // Partial Fisher–Yates over the pool of candidates (kept between
            // calls for the same skipped cell: any order of the pool is fine).
            if self.pool_skip != skip || self.pool.len() != range as usize {
                self.pool.clear();
                self.pool.extend((0..range).map(map));
                self.pool_skip = skip;
            }
            for k in 0..m {
                let j = k + below(rng, range - k as u32) as usize;
                self.pool.swap(k, j);
            }
            self.out.extend_from_slice(&self.pool[..m]);
        }
        &self.out
    }
}

/// A uniform integer in `0..range` (Lemire's multiply-shift with rejection: unbiased).
#[inline]
fn below(rng: &mut ChaCha8Rng, range: u32) -> u32 {
    let mut m = u64::from(rng.next_u32()) * u64::from(range);
    if (m as u32) < range {
        let t = range.wrapping_neg() % range;
        while (m as u32) < t {
            m = u64::from(rng.next_u32()) * u64::from(range);
        }
    }
    (m >> 32) as u32
}

/// Gi* per cell, in the order of the weights' rows.
#[derive(Debug, Clone, PartialEq)]
pub struct GiStarResult {
    /// Gi* z-scores (NaN where undefined: degenerate input, or a cell whose
    /// neighbourhood is the whole universe).
    pub z: Vec<f64>,
    /// Analytic two-sided p-values.
    pub p: Vec<f64>,
    /// With permutations: the folded pseudo p, (min(#sims ≥ obs, #sims ≤ obs) + 1) / (perms + 1).
    /// Without ties it equals esda's `p_sim` (`larger`, folded to `perms − larger`);
    /// with ties (common in zero-heavy counts) it does not call a cell
    /// surrounded by zeros significant, as esda's fold would.
    pub p_sim: Option<Vec<f64>>,
    /// The two-sided p behind `class`, `q` and `fdr_significant`: `p`, or
    /// `min(1, 2·p_sim)` with permutations.
    pub p_class: Vec<f64>,
    /// Benjamini–Hochberg adjusted `p_class` (q-values).
    pub q: Vec<f64>,
    /// Whether the cell is significant with the false discovery rate
    /// controlled at the FDR alpha over all cells (Benjamini–Hochberg on `p_class`).
    pub fdr_significant: Vec<bool>,
    /// The hot/cold class from `p_class` and the sign of `z`.
    pub class: Vec<HotSpotClass>,
    /// All values are equal: z and p are NaN and every cell is not significant.
    pub degenerate: bool,
}

impl GiStarResult {
    fn degenerate(n: usize, perms: bool) -> Self {
        let nan = vec![f64::NAN; n];
        Self {
            z: nan.clone(),
            p: nan.clone(),
            p_sim: perms.then(|| nan.clone()),
            p_class: nan.clone(),
            q: nan,
            fdr_significant: vec![false; n],
            class: vec![HotSpotClass::NotSignificant; n],
            degenerate: true,
        }
    }

    /// The number of cells.
    #[must_use]
    pub fn len(&self) -> usize {
        self.z.len()
    }

    /// Whether there are no cells.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.z.is_empty()
    }
}
