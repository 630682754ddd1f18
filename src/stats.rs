//! Pure statistics shared by the analyses: normal p-values, Benjamini-Hochberg.

use std::f64::consts::SQRT_2;

/// The standard normal cumulative distribution function Φ(z).
///
/// Computed from the complementary error function (Chebyshev expansion,
/// double precision), so the tails keep their relative accuracy:
/// `normal_cdf(-10.0)` is 7.6e-24, not 0. NaN gives NaN.
///
/// ```
/// assert!((byrum::normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-12);
/// ```
#[must_use]
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * puruspe::erfc(-z / SQRT_2)
}

/// The two-sided p-value of a standard normal score: P(|Z| ≥ |z|) = erfc(|z|/√2).
///
/// NaN gives NaN; ±∞ gives 0.
///
/// ```
/// assert!((byrum::normal_two_sided_p(1.959_963_984_540_054) - 0.05).abs() < 1e-12);
/// ```
#[must_use]
pub fn normal_two_sided_p(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    puruspe::erfc(z.abs() / SQRT_2).min(1.0)
}

/// Ranks of the non-NaN p-values, ascending (ties keep input order).
fn sorted_finite(p: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    order
}

/// Benjamini–Hochberg step-up procedure: which hypotheses are rejected with
/// the false discovery rate controlled at `alpha`.
///
/// The number of tests `m` counts the non-NaN p-values; a NaN p (a cell
/// without a defined statistic) is never significant and does not count.
/// With sorted p-values p₍₁₎ ≤ … ≤ p₍ₘ₎, the largest k with p₍ₖ₎ ≤ k·alpha/m
/// is found and the k smallest are rejected (the same as
/// `statsmodels.stats.multitest.multipletests(p, alpha, "fdr_bh")[0]`).
///
/// ```
/// let sig = byrum::benjamini_hochberg(&[0.01, 0.04, 0.03, 0.5, f64::NAN], 0.05);
/// assert_eq!(sig, [true, false, false, false, false]);
/// ```
#[must_use]
pub fn benjamini_hochberg(p: &[f64], alpha: f64) -> Vec<bool> {
    let order = sorted_finite(p);
    let m = order.len() as f64;
    let mut out = vec![false; p.len()];
    let k = order
        .iter()
        .enumerate()
        .rev()
        .find(|&(rank, &i)| p[i] <= (rank + 1) as f64 * alpha / m)
        .map_or(0, |(rank, _)| rank + 1);
    for &i in &order[..k] {
        out[i] = true;
    }
    out
}

/// Benjamini–Hochberg adjusted p-values (q-values):
/// q₍ᵢ₎ = minⱼ≥ᵢ (m/j · p₍ⱼ₎), capped at 1, in input order.
///
/// `m` counts the non-NaN p-values; NaN stays NaN. Equal to
/// `scipy.stats.false_discovery_control(p, method="bh")` on finite input.
///
/// ```
/// let q = byrum::bh_adjusted(&[0.01, 0.04, 0.03]);
/// assert!((q[0] - 0.03).abs() < 1e-15 && (q[1] - 0.04).abs() < 1e-15);
/// ```
#[must_use]
pub fn bh_adjusted(p: &[f64]) -> Vec<f64> {
    let order = sorted_finite(p);
    let m = order.len() as f64;
    let mut out = vec![f64::NAN; p.len()];
    let mut running = f64::INFINITY;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m / (rank + 1) as f64);
        out[i] = running.min(1.0);
    }
    out
}

/// Solves `f(x) = 0` for an increasing `f` whose root lies in the bracket
/// `[lo, hi]`, starting from `x`: Newton steps with `derivative`, kept inside
/// the bracket (which shrinks with every evaluation), and a bisection step
/// whenever Newton would leave it. Stops when a step or the bracket is down
/// to about two units in the last place, or after `max_steps`.
///
/// The exact interval quantiles (Clopper–Pearson in [`crate::change`],
/// Garwood in the place profiles) invert their distribution functions with it.
pub(crate) fn safeguarded_newton(
    f: impl Fn(f64) -> f64,
    derivative: impl Fn(f64) -> f64,
    mut lo: f64,
    mut hi: f64,
    mut x: f64,
    max_steps: usize,
) -> f64 {
    if !(x > lo && x < hi) {
        x = 0.5 * (lo + hi);
    }
    for _ in 0..max_steps {
        let fx = f(x);
        if fx == 0.0 {
            return x;
        }
        if fx > 0.0 {
            hi = x;
        } else {
            lo = x;
        }
        let dens = derivative(x);
        let newton = x - fx / dens;
        let next = if dens.is_finite() && dens > 0.0 && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - x).abs() <= 2.0 * f64::EPSILON * x || hi - lo <= 2.0 * f64::EPSILON * hi {
            return next;
        }
        x = next;
    }
    x
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn tails() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-16);
        assert!((normal_cdf(-10.0) / 7.619_853_024_160_527e-24 - 1.0).abs() < 1e-12);
        assert_eq!(normal_two_sided_p(f64::INFINITY), 0.0);
        assert!(normal_two_sided_p(f64::NAN).is_nan());
    }

    #[test]
    fn bh_empty_and_nan() {
        assert!(benjamini_hochberg(&[], 0.05).is_empty());
        assert_eq!(benjamini_hochberg(&[f64::NAN], 0.05), [false]);
        assert!(bh_adjusted(&[f64::NAN])[0].is_nan());
    }
}
