//! Change between two periods or groups: count difference and rate ratio with
//! an exact Poisson interval and test.
//!
//! For one cell, `a` incidents were seen in group A (the "before" period, or
//! group 1) over `exposure_a` hours and `b` in group B ("after", group 2) over
//! `exposure_b` hours. The rates are counts per exposure hour and the rate
//! ratio is `(b / exposure_b) / (a / exposure_a)`: above 1 the cell got worse.
//!
//! The interval and test are the exact conditional ones (Przyborowski and
//! Wilenski 1940), the same as R's `poisson.test(c(b, a), c(exposure_b,
//! exposure_a))`: given the total `n = a + b`, under equal rates `b` is
//! Binomial(n, π₀) with π₀ = E_b / (E_a + E_b). The Clopper–Pearson interval
//! for the proportion π (from the inverse regularised incomplete beta
//! function) is carried to the ratio by RR = π/(1 − π) · E_a/E_b, and the
//! two-sided p-value is the binomial test's: the total probability of every
//! outcome no more likely than the one seen (with R's and SciPy's relative
//! tolerance of 1e-7), or exactly 1 when `b = n·π₀`.
//!
//! Grid-agnostic: the counts can be per H3 cell, per square cell or per place.

use puruspe::ln_gamma;

use crate::error::{Error, Result};

/// The change in one cell between group A and group B.
///
/// Zero counts: with `a = 0 < b` the ratio is `f64::INFINITY` and the upper
/// limit too; with `b = 0 < a` the ratio and the lower limit are 0; with
/// `a = b = 0` there is nothing to test: the ratio is NaN, the interval
/// `[0, ∞]`, `p = 1` and the change is not significant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateRatio {
    /// Incidents in A.
    pub count_a: u64,
    /// Incidents in B.
    pub count_b: u64,
    /// `count_b − count_a`.
    pub difference: i64,
    /// Incidents per exposure hour in A.
    pub rate_a: f64,
    /// Incidents per exposure hour in B.
    pub rate_b: f64,
    /// The rate ratio B/A (∞ when A is 0 and B is not, NaN when both are 0).
    pub ratio: f64,
    /// Lower confidence limit of the ratio (exact, conditional).
    pub ratio_low: f64,
    /// Upper confidence limit of the ratio (∞ when A is 0).
    pub ratio_high: f64,
    /// Exact two-sided p-value of equal rates (1 when both counts are 0).
    pub p: f64,
    /// Whether the interval excludes 1 (`ratio_low > 1` or `ratio_high < 1`).
    /// The flag follows the interval; the p-value's test can disagree with it
    /// in rare borderline cases, as in R.
    pub significant: bool,
}

/// Computes the per-cell change between two groups with a chosen confidence.
///
/// ```
/// use byrum::RateChange;
/// // 10 incidents in 100 hours before, 30 in 100 hours after, 5 and 5 elsewhere.
/// let out = RateChange::new().compute(&[10, 5], 100.0, &[30, 5], 100.0)?;
/// assert_eq!(out[0].difference, 20);
/// assert_eq!(out[0].ratio, 3.0);
/// assert!(out[0].significant && out[0].ratio_low > 1.0);
/// assert!(!out[1].significant && out[1].p == 1.0);
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateChange {
    confidence: f64,
}

impl Default for RateChange {
    fn default() -> Self {
        Self::new()
    }
}

impl RateChange {
    /// 95 % confidence.
    #[must_use]
    pub fn new() -> Self {
        Self { confidence: 0.95 }
    }

    /// The confidence level of the intervals, strictly between 0 and 1
    /// (checked by [`RateChange::compute`]).
    #[must_use]
    pub fn confidence(mut self, level: f64) -> Self {
        self.confidence = level;
        self
    }

    /// The change in every cell: `counts_a[i]` over `exposure_a` hours against
    /// `counts_b[i]` over `exposure_b` hours.
    ///
    /// # Errors
    /// [`Error::Parameter`] if the slices differ in length, an exposure is not
    /// a positive finite number of hours, or the confidence is not strictly
    /// between 0 and 1.
    pub fn compute(
        &self,
        counts_a: &[u64],
        exposure_a: f64,
        counts_b: &[u64],
        exposure_b: f64,
    ) -> Result<Vec<RateRatio>> {
        if counts_a.len() != counts_b.len() {
            return Err(Error::parameter(
                "change counts",
                format!(
                    "{} cells in A but {} in B: give both groups over the same cells",
                    counts_a.len(),
                    counts_b.len()
                ),
            ));
        }
        check(exposure_a, exposure_b, self.confidence)?;
        Ok(counts_a
            .iter()
            .zip(counts_b)
            .map(|(&a, &b)| ratio_unchecked(a, exposure_a, b, exposure_b, self.confidence))
            .collect())
    }
}

/// Validates the exposures and the confidence level.
fn check(exposure_a: f64, exposure_b: f64, confidence: f64) -> Result<()> {
    for (name, e) in [("exposure A", exposure_a), ("exposure B", exposure_b)] {
        if !(e.is_finite() && e > 0.0) {
            return Err(Error::parameter(
                name,
                format!("{e} hours: the exposure must be a positive number of hours"),
            ));
        }
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(Error::parameter(
            "confidence",
            format!("{confidence}: use a level strictly between 0 and 1, such as 0.95"),
        ));
    }
    Ok(())
}

/// The rate ratio, its exact interval and p-value for one cell.
///
/// ```
/// // 0 before and 12 after over equal hours: infinite ratio, still significant.
/// let r = byrum::rate_ratio(0, 50.0, 12, 50.0, 0.95)?;
/// assert!(r.ratio.is_infinite() && r.ratio_high.is_infinite());
/// assert!(r.significant && r.p < 0.001);
/// # Ok::<(), byrum::Error>(())
/// ```
///
/// # Errors
/// [`Error::Parameter`] if an exposure is not a positive finite number of
/// hours or the confidence is not strictly between 0 and 1.
pub fn rate_ratio(
    count_a: u64,
    exposure_a: f64,
    count_b: u64,
    exposure_b: f64,
    confidence: f64,
) -> Result<RateRatio> {
    check(exposure_a, exposure_b, confidence)?;
    Ok(ratio_unchecked(
        count_a, exposure_a, count_b, exposure_b, confidence,
    ))
}

fn ratio_unchecked(a: u64, ea: f64, b: u64, eb: f64, confidence: f64) -> RateRatio {
    let (rate_a, rate_b) = (a as f64 / ea, b as f64 / eb);
    let n = a + b;
    let difference = b as i64 - a as i64;
    if n == 0 {
        return RateRatio {
            count_a: a,
            count_b: b,
            difference,
            rate_a,
            rate_b,
            ratio: f64::NAN,
            ratio_low: 0.0,
            ratio_high: f64::INFINITY,
            p: 1.0,
            significant: false,
        };
    }
    let ratio = if a == 0 {
        f64::INFINITY
    } else {
        (b as f64 * ea) / (a as f64 * eb)
    };
    let (lo, hi) = clopper_pearson(b, n, confidence);
    // π/(1 − π)·E_a/E_b, written to keep π near 1 finite until it is 1.
    let to_ratio = |pi: f64| {
        if pi >= 1.0 {
            f64::INFINITY
        } else {
            pi / (1.0 - pi) * (ea / eb)
        }
    };
    let (ratio_low, ratio_high) = (to_ratio(lo), to_ratio(hi));
    let p = binomial_two_sided_p(b, n, eb / (ea + eb));
    RateRatio {
        count_a: a,
        count_b: b,
        difference,
        rate_a,
        rate_b,
        ratio,
        ratio_low,
        ratio_high,
        p,
        significant: ratio_low > 1.0 || ratio_high < 1.0,
    }
}

/// The Clopper–Pearson interval for a binomial proportion with `k` successes
/// in `n > 0` trials: (B⁻¹(α/2; k, n−k+1), B⁻¹(1−α/2; k+1, n−k)), with 0 and 1
/// at the ends.
fn clopper_pearson(k: u64, n: u64, confidence: f64) -> (f64, f64) {
    let half = (1.0 - confidence) / 2.0;
    let lo = if k == 0 {
        0.0
    } else {
        beta_quantile(half, k, n - k + 1)
    };
    let hi = if k == n {
        1.0
    } else {
        beta_quantile(1.0 - half, k + 1, n - k)
    };
    (lo, hi)
}

/// The `q` quantile of Beta(a, b) for whole-number `a` and `b` (the only
/// ones a Clopper–Pearson interval needs), solved by Newton steps kept inside
/// a shrinking bisection bracket, to ~1e-15.
///
/// The distribution function is evaluated as a binomial tail,
/// `I_x(a, b) = P(Bin(a + b − 1, x) ≥ a)`, summed stably from the mode
/// outward. `puruspe::betai` is not used: for `a` and `b` above 3000 it
/// switches to a quadrature that returns 0 (puruspe 0.4.4), and
/// `puruspe::invbetai` can then panic — cells with thousands of incidents hit
/// both.
fn beta_quantile(q: f64, a: u64, b: u64) -> f64 {
    if q <= 0.0 {
        return 0.0;
    }
    if q >= 1.0 {
        return 1.0;
    }
    let (af, bf) = (a as f64, b as f64);
    let ln_beta = ln_gamma(af) + ln_gamma(bf) - ln_gamma(af + bf);
    let n = a + b - 1;
    let cdf = |x: f64| {
        let (mut total, mut upper) = (0.0, 0.0);
        relative_pmf(n, x, |i, w| {
            total += w;
            if i >= a {
                upper += w;
            }
        });
        upper / total
    };
    crate::stats::safeguarded_newton(
        |x| cdf(x) - q,
        |x| ((af - 1.0) * x.ln() + (bf - 1.0) * (1.0 - x).ln() - ln_beta).exp(),
        0.0,
        1.0,
        af / (af + bf),
        200,
    )
}

fn relative_pmf(n: u64, p: f64, mut visit: impl FnMut(u64, f64)) {
    let odds = p / (1.0 - p);
    let mode = (((n + 1) as f64 * p).floor() as u64).min(n);
    visit(mode, 1.0);
    let mut w = 1.0;
    for i in mode..n {
        w *= (n - i) as f64 / (i + 1) as f64 * odds;
        if w == 0.0 {
            break;
        }
        visit(i + 1, w);
    }
    w = 1.0;
    for i in (1..=mode).rev() {
        w *= i as f64 / (n - i + 1) as f64 / odds;
        if w == 0.0 {
            break;
        }
        visit(i - 1, w);
    }
}

/// The two-sided exact binomial p-value of `k` in `n` under `p` (0 < p < 1),
/// as R's `binom.test` and `scipy.stats.binomtest`: the sum of the
/// probabilities of all outcomes with probability ≤ P(k)·(1 + 1e-7), or 1 when
/// `k = n·p`.
#[allow(clippy::float_cmp)] // exactly SciPy's and R's test `k == n·p`
fn binomial_two_sided_p(k: u64, n: u64, p: f64) -> f64 {
    if k as f64 == p * n as f64 {
        return 1.0;
    }
    let (mut total, mut at_k) = (0.0, 0.0);
    relative_pmf(n, p, |i, w| {
        total += w;
        if i == k {
            at_k = w;
        }
    });
    let bound = at_k * (1.0 + 1e-7);
    let mut tail = 0.0;
    relative_pmf(n, p, |_, w| {
        if w <= bound {
            tail += w;
        }
    });
    (tail / total).min(1.0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn zero_counts() {
        let r = rate_ratio(0, 1.0, 0, 2.0, 0.95).unwrap();
        assert!(r.ratio.is_nan() && !r.significant && r.p == 1.0);
        let r = rate_ratio(7, 1.0, 0, 1.0, 0.95).unwrap();
        assert_eq!((r.ratio, r.ratio_low), (0.0, 0.0));
        assert!(r.ratio_high < 1.0 && r.significant);
    }

    #[test]
    fn bad_input() {
        assert!(rate_ratio(1, 0.0, 1, 1.0, 0.95).is_err());
        assert!(rate_ratio(1, 1.0, 1, f64::NAN, 0.95).is_err());
        assert!(rate_ratio(1, 1.0, 1, 1.0, 1.0).is_err());
        assert!(RateChange::new().compute(&[1], 1.0, &[], 1.0).is_err());
    }

    #[test]
    fn symmetric_p() {
        // Binomial(10, 1/2): P(X ≤ 2) + P(X ≥ 8) = 112/1024.
        assert!((binomial_two_sided_p(2, 10, 0.5) - 112.0 / 1024.0).abs() < 1e-15);
        assert_eq!(binomial_two_sided_p(5, 10, 0.5), 1.0);
    }
}
