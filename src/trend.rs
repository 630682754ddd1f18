//! Mann-Kendall trend test with ties correction, and Sen's slope.
//!
//! The test asks whether a series tends to rise or fall over its order, without
//! assuming a shape or a distribution (Mann 1945, Kendall 1975, Gilbert 1987).
//! Emerging hot spot analysis runs it on each cell's series of Gi* z-scores.
//! The definitions follow `pymannkendall.original_test` (the values agree to
//! 1e-12, see `tests/trend_change.rs`).

use crate::error::{Error, Result};
use crate::stats::normal_two_sided_p;

/// The result of [`mann_kendall`] on a series of `n` values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannKendall {
    /// The number of values.
    pub n: usize,
    /// Mann-Kendall's S = Σ_{i<j} sign(x_j − x_i): positive when later values
    /// tend to be larger.
    pub s: f64,
    /// var(S) under no trend with the ties correction:
    /// (n(n−1)(2n+5) − Σ t(t−1)(2t+5)) / 18, summed over groups of t equal values.
    pub var_s: f64,
    /// The continuity-corrected normal score: (S−1)/σ for S > 0, (S+1)/σ for
    /// S < 0, and 0 for S = 0 (also for a constant series, where σ = 0).
    pub z: f64,
    /// The two-sided p-value of `z` under the standard normal, P(|Z| ≥ |z|).
    pub p: f64,
    /// Kendall's tau-a, S / (n(n−1)/2), in [−1, 1] (as `pymannkendall`'s `Tau`;
    /// ties are not taken out of the denominator).
    pub tau: f64,
}

/// The direction of a Mann-Kendall trend at a significance level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trend {
    /// Significantly increasing (p < alpha, z > 0).
    Increasing,
    /// Significantly decreasing (p < alpha, z < 0).
    Decreasing,
    /// No significant trend (p ≥ alpha).
    NoTrend,
}

impl MannKendall {
    /// The direction of the trend at significance level `alpha`
    /// (significant when p < alpha).
    ///
    /// ```
    /// use byrum::{Trend, mann_kendall};
    /// let up: Vec<f64> = (0..12).map(f64::from).collect();
    /// assert_eq!(mann_kendall(&up)?.direction(0.05), Trend::Increasing);
    /// # Ok::<(), byrum::Error>(())
    /// ```
    #[must_use]
    pub fn direction(&self, alpha: f64) -> Trend {
        if self.p < alpha && self.z > 0.0 {
            Trend::Increasing
        } else if self.p < alpha && self.z < 0.0 {
            Trend::Decreasing
        } else {
            Trend::NoTrend
        }
    }
}

/// Rejects series that cannot be tested.
fn check(series: &[f64], what: &'static str) -> Result<()> {
    if series.len() < 2 {
        return Err(Error::parameter(
            what,
            format!(
                "{} value(s): a trend needs at least 2 values in order",
                series.len()
            ),
        ));
    }
    if let Some(i) = series.iter().position(|v| !v.is_finite()) {
        return Err(Error::parameter(
            what,
            format!(
                "value {i} is {}: every value must be a finite number (drop or fill missing periods first)",
                series[i]
            ),
        ));
    }
    Ok(())
}

/// The Mann-Kendall trend test on a series in time order, with the ties
/// correction of var(S) and the continuity-corrected z.
///
/// Equal values are ties when they are exactly equal (as `numpy.unique`).
/// The cost is O(n²) comparisons, fine for series of periods.
///
/// ```
/// let mk = byrum::mann_kendall(&[1.0, 2.0, 2.0, 3.0, 5.0])?;
/// assert_eq!(mk.s, 9.0);
/// assert_eq!(mk.var_s, 282.0 / 18.0); // (5·4·15 − 2·1·9) / 18
/// assert!((mk.z - 8.0 / mk.var_s.sqrt()).abs() < 1e-15);
/// assert!(mk.p < 0.05 && mk.tau == 0.9);
/// # Ok::<(), byrum::Error>(())
/// ```
///
/// # Errors
/// [`Error::Parameter`] if the series has fewer than 2 values or a value is
/// NaN or infinite (missing periods are not skipped silently: the positions
/// carry the time order).
#[allow(clippy::float_cmp)] // ties are exact equality, as numpy.unique
pub fn mann_kendall(series: &[f64]) -> Result<MannKendall> {
    check(series, "Mann-Kendall series")?;
    let n = series.len();
    let mut s: i64 = 0;
    for (i, &a) in series.iter().enumerate() {
        for &b in &series[i + 1..] {
            s += i64::from(b > a) - i64::from(b < a);
        }
    }
    let mut sorted = series.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut ties: i128 = 0;
    let mut run = 1i128;
    for k in 1..=n {
        if k < n && sorted[k] == sorted[k - 1] {
            run += 1;
        } else {
            ties += run * (run - 1) * (2 * run + 5);
            run = 1;
        }
    }
    let nn = n as i128;
    let var_s = (nn * (nn - 1) * (2 * nn + 5) - ties) as f64 / 18.0;
    let s = s as f64;
    let z = if s > 0.0 {
        (s - 1.0) / var_s.sqrt()
    } else if s < 0.0 {
        (s + 1.0) / var_s.sqrt()
    } else {
        0.0
    };
    Ok(MannKendall {
        n,
        s,
        var_s,
        z,
        p: normal_two_sided_p(z),
        tau: s / (0.5 * n as f64 * (n as f64 - 1.0)),
    })
}

/// The Theil–Sen estimate of a linear trend per step, with the intercept of
/// the Kendall–Theil line (Conover 1980), as `pymannkendall.sens_slope`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SenSlope {
    /// The median of (x_j − x_i)/(j − i) over all pairs i < j.
    pub slope: f64,
    /// median(x) − median(0..n) · slope: the line's value at position 0.
    pub intercept: f64,
}

/// The median of a non-empty slice (sorted in place), averaging the middle
/// two of an even count.
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

/// Sen's slope of a series in time order (per position step).
///
/// ```
/// let sen = byrum::sen_slope(&[1.0, 3.0, 5.0, 7.0])?;
/// assert_eq!((sen.slope, sen.intercept), (2.0, 1.0));
/// # Ok::<(), byrum::Error>(())
/// ```
///
/// # Errors
/// [`Error::Parameter`] as [`mann_kendall`]: fewer than 2 values, or a value
/// that is not finite.
pub fn sen_slope(series: &[f64]) -> Result<SenSlope> {
    check(series, "Sen's slope series")?;
    let n = series.len();
    let mut d = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            d.push((series[j] - series[i]) / (j - i) as f64);
        }
    }
    let slope = median(&mut d);
    let mid_pos = (n - 1) as f64 / 2.0;
    let intercept = median(&mut series.to_vec()) - mid_pos * slope;
    Ok(SenSlope { slope, intercept })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn constant_and_short() {
        let mk = mann_kendall(&[4.0; 6]).unwrap();
        assert_eq!(
            (mk.s, mk.var_s, mk.z, mk.p, mk.tau),
            (0.0, 0.0, 0.0, 1.0, 0.0)
        );
        let mk = mann_kendall(&[1.0, 2.0]).unwrap();
        assert_eq!((mk.s, mk.var_s, mk.z, mk.tau), (1.0, 1.0, 0.0, 1.0));
        assert!(mann_kendall(&[1.0]).is_err());
        assert!(mann_kendall(&[1.0, f64::NAN, 2.0]).is_err());
        assert!(sen_slope(&[]).is_err());
    }

    #[test]
    fn direction() {
        let up: Vec<f64> = (0..12).map(f64::from).collect();
        assert_eq!(
            mann_kendall(&up).unwrap().direction(0.05),
            Trend::Increasing
        );
        let down: Vec<f64> = up.iter().rev().copied().collect();
        assert_eq!(
            mann_kendall(&down).unwrap().direction(0.05),
            Trend::Decreasing
        );
        let flat = mann_kendall(&[1.0, 3.0, 2.0]).unwrap();
        assert_eq!(flat.direction(0.05), Trend::NoTrend);
    }
}
