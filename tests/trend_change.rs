//! Mann-Kendall against pymannkendall 1.4.3 and the rate-ratio change against
//! SciPy 1.17.1. The fixtures were written by `tests/fixtures/make_trend.py`
//! (`/tmp/mk-venv/bin/python tests/fixtures/make_trend.py`, numpy 2.4.6).
#![allow(clippy::unwrap_used, clippy::float_cmp, clippy::items_after_statements)] // test code

mod common;

use byrum::*;
use common::fixture;
use serde_json::Value;

fn rows(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["rows"].as_array().unwrap().clone()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::INFINITY) // null stands for +∞
}

/// S, var(S), z, p and tau of `pymannkendall.original_test` (1.4.3) on 20
/// series: trends, noise, ties, constant, n = 2 and 3, large magnitudes.
#[test]
fn mann_kendall_matches_pymannkendall() {
    let rows = rows("mann_kendall_pymannkendall.json");
    assert_eq!(rows.len(), 20);
    for r in &rows {
        let name = r["name"].as_str().unwrap();
        let x: Vec<f64> = r["x"].as_array().unwrap().iter().map(num).collect();
        let mk = mann_kendall(&x).unwrap();
        assert_eq!(mk.n, x.len());
        assert_eq!(mk.s, num(&r["s"]), "{name}: S");
        assert!((mk.var_s - num(&r["var_s"])).abs() < 1e-12, "{name}: var_s");
        assert!((mk.z - num(&r["z"])).abs() < 1e-12, "{name}: z {}", mk.z);
        assert!(
            (mk.p - num(&r["p"])).abs() < 1e-12,
            "{name}: p {} vs {}",
            mk.p,
            num(&r["p"])
        );
        assert!((mk.tau - num(&r["tau"])).abs() < 1e-12, "{name}: tau");
    }
}

/// Sen's slope and the Kendall–Theil intercept of `pymannkendall.sens_slope`.
#[test]
fn sen_slope_matches_pymannkendall() {
    for r in &rows("mann_kendall_pymannkendall.json") {
        let name = r["name"].as_str().unwrap();
        let x: Vec<f64> = r["x"].as_array().unwrap().iter().map(num).collect();
        let sen = sen_slope(&x).unwrap();
        let scale = 1.0 + num(&r["intercept"]).abs();
        assert!(
            (sen.slope - num(&r["slope"])).abs() < 1e-12 * scale,
            "{name}"
        );
        assert!(
            (sen.intercept - num(&r["intercept"])).abs() < 1e-12 * scale,
            "{name}"
        );
    }
}

/// NaN is an error, not a silent skip (pymannkendall would drop it and shift
/// the time order).
#[test]
fn mann_kendall_rejects_missing_values() {
    let err = mann_kendall(&[1.0, f64::NAN, 3.0]).unwrap_err();
    assert!(err.to_string().contains("value 1 is NaN"), "{err}");
    assert!(mann_kendall(&[]).is_err());
}

/// The exact two-sided p-value equals `scipy.stats.binomtest(b, a+b,
/// E_b/(E_a+E_b)).pvalue` and the interval, carried back to the proportion
/// π = RR·E_b/E_a / (1 + RR·E_b/E_a), equals its `proportion_ci(method="exact")`
/// to 1e-9; the ratio limits equal those from `scipy.stats.beta.ppf` to a
/// relative 1e-9. Cases include 0 against n, n against 0, equal rates with
/// unequal exposure (p = 1 exactly), 80 %, 90 % and 99 % confidence.
#[test]
fn rate_ratio_matches_scipy() {
    let rows = rows("rate_ratio_scipy.json");
    assert!(rows.len() >= 15);
    for r in &rows {
        let (a, b) = (
            r["count_a"].as_u64().unwrap(),
            r["count_b"].as_u64().unwrap(),
        );
        let (ea, eb) = (num(&r["exposure_a"]), num(&r["exposure_b"]));
        let conf = num(&r["confidence"]);
        let got = rate_ratio(a, ea, b, eb, conf).unwrap();
        let case = format!("{a}/{ea} vs {b}/{eb} at {conf}");
        assert!(
            (got.p - num(&r["p"])).abs() < 1e-9,
            "{case}: p {} vs {}",
            got.p,
            num(&r["p"])
        );
        let to_prop = |rr: f64| {
            if rr.is_infinite() {
                1.0
            } else {
                let o = rr * eb / ea;
                o / (1.0 + o)
            }
        };
        assert!(
            (to_prop(got.ratio_low) - num(&r["prop_low"])).abs() < 1e-9,
            "{case}: low"
        );
        assert!(
            (to_prop(got.ratio_high) - num(&r["prop_high"])).abs() < 1e-9,
            "{case}: high"
        );
        for (mine, theirs) in [
            (got.ratio_low, num(&r["ratio_low"])),
            (got.ratio_high, num(&r["ratio_high"])),
        ] {
            if theirs.is_infinite() || theirs == 0.0 {
                assert_eq!(mine, theirs, "{case}");
            } else {
                assert!(
                    (mine / theirs - 1.0).abs() < 1e-9,
                    "{case}: {mine} vs {theirs}"
                );
            }
        }
        assert_eq!(got.significant, got.ratio_low > 1.0 || got.ratio_high < 1.0);
        assert_eq!(got.difference, b as i64 - a as i64);
        assert_eq!(got.rate_a, a as f64 / ea);
    }
}

/// The edge cases a planner meets: nothing in either period, a cell that
/// appears, a cell that empties, and equal rates over unequal hours.
#[test]
fn change_edge_cases() {
    let out = RateChange::new()
        .compute(&[0, 0, 9, 5], 100.0, &[0, 12, 0, 10], 200.0)
        .unwrap();
    assert!(out[0].ratio.is_nan() && out[0].p == 1.0 && !out[0].significant);
    assert_eq!((out[0].ratio_low, out[0].ratio_high), (0.0, f64::INFINITY));
    assert!(out[1].ratio.is_infinite() && out[1].ratio_high.is_infinite());
    assert!(out[1].significant && out[1].ratio_low > 1.0);
    assert_eq!((out[2].ratio, out[2].ratio_low), (0.0, 0.0));
    assert!(out[2].significant && out[2].ratio_high < 1.0);
    assert_eq!(out[3].ratio, 1.0);
    assert_eq!(out[3].p, 1.0);
    assert!(!out[3].significant);
    assert!(
        RateChange::new()
            .confidence(0.0)
            .compute(&[1], 1.0, &[1], 1.0)
            .is_err()
    );
}
