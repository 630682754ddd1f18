//! Kernel density: mass, a hand-computed case, bandwidth rules, edge
//! correction, units, isolines and bad input.
#![allow(clippy::unwrap_used, clippy::float_cmp, clippy::items_after_statements)]

use std::f64::consts::PI;

use byrum::{
    Bandwidth, Binning, Kde, Kernel, Method, MetricGrid, Units, arcgis_bandwidth,
    likelihood_cv_score, likelihood_cv_sigma, scott_sigma,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `n` uniform points in the box, from a fixed seed.
fn uniform(n: usize, seed: u64, b: (f64, f64, f64, f64)) -> (Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            (
                b.0 + (b.2 - b.0) * rng.random::<f64>(),
                b.1 + (b.3 - b.1) * rng.random::<f64>(),
            )
        })
        .unzip()
}

/// `n` points from a 2-D normal around (mx, my) with per-axis sd `s`.
fn normal(n: usize, seed: u64, mx: f64, my: f64, s: f64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            // Box–Muller.
            let u1: f64 = 1.0 - rng.random::<f64>();
            let u2: f64 = rng.random();
            let r = (-2.0 * u1.ln()).sqrt() * s;
            (
                mx + r * (2.0 * PI * u2).cos(),
                my + r * (2.0 * PI * u2).sin(),
            )
        })
        .unzip()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// A grid of 200 × 150 cells of 10 × 8 m (non-square on purpose).
fn grid() -> MetricGrid {
    MetricGrid::new(1000.0, 2000.0, 10.0, 8.0, 200, 150).unwrap()
}

#[test]
fn mass_equals_weight_for_every_kernel_binning_and_method() {
    let g = grid();
    // Points at least 200 m (> every support below + a cell) inside the grid.
    let (x, y) = uniform(3000, 7, (1200.0, 2200.0, 2800.0, 3000.0));
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let w: Vec<f64> = (0..x.len()).map(|_| 0.5 + rng.random::<f64>()).collect();
    let wsum: f64 = w.iter().sum();
    for kernel in Kernel::ALL {
        // Gaussian σ = 30 m → support 120 m; the others 60 m.
        let h = if kernel == Kernel::Gaussian {
            30.0
        } else {
            60.0
        };
        for binning in [Binning::Linear, Binning::Simple] {
            let mut surfaces = Vec::new();
            for method in [Method::Direct, Method::Fft] {
                let kde = Kde::new()
                    .kernel(kernel)
                    .bandwidth(Bandwidth::Fixed(h))
                    .binning(binning)
                    .method(method)
                    .units(Units::PerKm2);
                let s = kde.compute(&g, &x, &y, None).unwrap();
                assert!(
                    rel(s.mass(), 3000.0) < 1e-9,
                    "{kernel} {binning:?} {method:?}: {}",
                    s.mass()
                );
                let sw = kde.compute(&g, &x, &y, Some(&w)).unwrap();
                assert!(
                    rel(sw.mass(), wsum) < 1e-9,
                    "weighted {kernel}: {}",
                    sw.mass()
                );
                assert_eq!(s.method, method);
                assert_eq!(s.points_outside, 0);
                surfaces.push(s);
            }
            // Direct and FFT agree to 1e-9 of the maximum.
            let (d, f) = (&surfaces[0], &surfaces[1]);
            let m = d.max();
            for (a, b) in d.values.iter().zip(&f.values) {
                assert!((a - b).abs() < 1e-9 * m, "{kernel} {binning:?}: {a} vs {b}");
            }
        }
    }
}

#[test]
fn binned_agrees_with_exact() {
    // Linear binning with 150 m quartic on 5 m cells: binning moves a point by
    // at most half a cell, so the binned surface is within a few per cent of
    // the exact one where the density is substantial.
    let g = MetricGrid::new(0.0, 0.0, 5.0, 5.0, 300, 300).unwrap();
    let (x, y) = normal(2000, 3, 750.0, 750.0, 150.0);
    let kde = Kde::new().bandwidth(Bandwidth::Fixed(150.0));
    let binned = kde.clone().compute(&g, &x, &y, None).unwrap();
    let exact = kde.method(Method::Exact).compute(&g, &x, &y, None).unwrap();
    assert_eq!(exact.method, Method::Exact);
    let m = exact.max();
    let worst = binned
        .values
        .iter()
        .zip(&exact.values)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 5e-3 * m, "worst {worst} vs max {m}");
    assert!(rel(binned.mass(), exact.mass()) < 1e-3);
}

#[test]
fn hand_computed_exact_case() {
    // 20 × 20 cells of 10 m from (0, 0); quartic, r = 50 m.
    // Two points: A = (100, 100) with weight 1, B = (130, 100) with weight 2.
    let g = MetricGrid::new(0.0, 0.0, 10.0, 10.0, 20, 20).unwrap();
    let x = [100.0, 130.0];
    let y = [100.0, 100.0];
    let w = [1.0, 2.0];
    let s = Kde::new()
        .kernel(Kernel::Quartic)
        .bandwidth(Bandwidth::Fixed(50.0))
        .method(Method::Exact)
        .units(Units::PerKm2)
        .compute(&g, &x, &y, Some(&w))
        .unwrap();
    let c = 3.0 / (PI * 50.0 * 50.0); // 3/(πr²), per m²
    // Cell (10, 10), centre (105, 105):
    //   to A: d² = 5² + 5² = 50,   u² = 50/2500 = 0.02 → (1 − 0.02)² = 0.9604
    //   to B: d² = 25² + 5² = 650, u² = 0.26        → (1 − 0.26)² = 0.5476
    let v = c * (1.0 * 0.9604 + 2.0 * 0.5476) * 1e6;
    assert!(rel(s.value_at(105.0, 105.0).unwrap(), v) < 1e-12);
    // Cell (7, 10), centre (75, 105): A: d² = 625 + 25 = 650 → 0.5476;
    //   B: d² = 55² + 5² = 3050 > 2500 → 0.
    let v = c * 0.5476 * 1e6;
    assert!(rel(s.values[10 * 20 + 7], v) < 1e-12);
    // Cell (12, 13), centre (125, 135): A: d² = 625 + 1225 = 1850, u² = 0.74 → 0.0676;
    //   B: d² = 25 + 1225 = 1250, u² = 0.5 → 0.25.
    let v = c * (0.0676 + 2.0 * 0.25) * 1e6;
    assert!(rel(s.values[13 * 20 + 12], v) < 1e-12);
    // Far away: 0.
    assert_eq!(s.value_at(15.0, 15.0), Some(0.0));
    // The same case, Epanechnikov and Gaussian, at (105, 105):
    let e = Kde::new()
        .kernel(Kernel::Epanechnikov)
        .bandwidth(Bandwidth::Fixed(50.0))
        .method(Method::Exact)
        .units(Units::PerKm2)
        .compute(&g, &x, &y, Some(&w))
        .unwrap();
    let v = 2.0 / (PI * 2500.0) * (1.0 * 0.98 + 2.0 * 0.74) * 1e6;
    assert!(rel(e.value_at(105.0, 105.0).unwrap(), v) < 1e-12);
    let gs = Kde::new()
        .kernel(Kernel::Gaussian)
        .bandwidth(Bandwidth::Fixed(20.0))
        .method(Method::Exact)
        .units(Units::PerKm2)
        .compute(&g, &x, &y, Some(&w))
        .unwrap();
    // σ = 20: exp(−d²/800)/(2π·400)
    let v = ((-50.0f64 / 800.0).exp() + 2.0 * (-650.0f64 / 800.0).exp()) / (2.0 * PI * 400.0) * 1e6;
    assert!(rel(gs.value_at(105.0, 105.0).unwrap(), v) < 1e-12);
}

#[test]
fn kernels_integrate_to_one_and_match_stated_variance() {
    // Midpoint rule on a fine polar grid.
    for k in Kernel::ALL {
        let h = 10.0;
        let r_max = k.support(h) * 1.5;
        // The support falls on a step boundary (the uniform kernel jumps there).
        let n = 300_000;
        let dr = r_max / f64::from(n);
        let (mut mass, mut m2) = (0.0, 0.0);
        for i in 0..n {
            let r = (f64::from(i) + 0.5) * dr;
            let a = k.value(r, h) * 2.0 * PI * r * dr;
            mass += a;
            m2 += a * r * r;
        }
        assert!((mass - 1.0).abs() < 1e-6, "{k}: mass {mass}");
        // Per-axis variance = E[d²]/2.
        assert!(rel(m2 / 2.0, k.axis_variance() * h * h) < 1e-5, "{k}");
        assert_eq!(k.as_str().parse::<Kernel>().unwrap(), k);
    }
    assert!("nope".parse::<Kernel>().is_err());
}

/// Reads the numpy/scipy bandwidth fixture (made by `tests/fixtures/make_kde.py`).
fn bandwidth_fixture() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/kde_bandwidth_numpy.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn bandwidth_rules_match_numpy_and_scipy() {
    // Oracle: numpy 2.4.6 / scipy 1.17.1 (gaussian_kde, bw_method="scott"),
    // tests/fixtures/make_kde.py.
    let f = bandwidth_fixture();
    let (x, y, w) = (floats(&f["x"]), floats(&f["y"]), floats(&f["w"]));
    let g = |k: &str| f[k].as_f64().unwrap();
    assert!(rel(arcgis_bandwidth(&x, &y, None).unwrap(), g("arcgis")) < 1e-12);
    assert!(
        rel(
            arcgis_bandwidth(&x, &y, Some(&w)).unwrap(),
            g("arcgis_weighted")
        ) < 1e-12
    );
    assert!(rel(scott_sigma(&x, &y, None).unwrap(), g("scott_sigma")) < 1e-12);
    assert!(
        rel(
            scott_sigma(&x, &y, Some(&w)).unwrap(),
            g("scott_sigma_weighted")
        ) < 1e-12
    );
    // Scott uses both axes: stretching y changes it.
    let y2: Vec<f64> = y.iter().map(|v| v * 3.0).collect();
    assert!(scott_sigma(&x, &y2, None).unwrap() > 1.5 * g("scott_sigma"));

    // The builder records the rule and converts to the kernel by equal variance.
    let grid = MetricGrid::covering((-500.0, -500.0, 3500.0, 3000.0), 20.0).unwrap();
    let kde = Kde::new()
        .kernel(Kernel::Quartic)
        .bandwidth(Bandwidth::ArcGis);
    let c = kde.select_bandwidth(&grid, &x, &y, None).unwrap();
    assert!(rel(c.metres, g("arcgis")) < 1e-12);
    assert_eq!(c.rule, Bandwidth::ArcGis);
    let c = Kde::new()
        .kernel(Kernel::Quartic)
        .bandwidth(Bandwidth::Scott)
        .select_bandwidth(&grid, &x, &y, None)
        .unwrap();
    assert!(rel(c.metres, g("scott_sigma") * 8f64.sqrt()) < 1e-12);
    assert!(rel(c.sigma_m, g("scott_sigma")) < 1e-12);
    let c = Kde::new()
        .kernel(Kernel::Gaussian)
        .bandwidth(Bandwidth::ArcGis)
        .select_bandwidth(&grid, &x, &y, None)
        .unwrap();
    assert!(rel(c.metres, g("arcgis") / 8f64.sqrt()) < 1e-12);
    assert_eq!("lcv".parse::<Bandwidth>().unwrap(), Bandwidth::LikelihoodCv);
    assert_eq!(
        "150m".parse::<Bandwidth>().unwrap(),
        Bandwidth::Fixed(150.0)
    );
    assert!("-3".parse::<Bandwidth>().is_err());
}

#[test]
fn likelihood_cv_matches_brute_force_on_a_tiny_set() {
    // 12 points on cell centres of a 5 m grid; Gaussian σ = 12 m (support 48 m).
    let g = MetricGrid::new(0.0, 0.0, 5.0, 5.0, 60, 60).unwrap();
    let cells = [
        (20, 20),
        (22, 21),
        (25, 20),
        (21, 26),
        (30, 30),
        (31, 33),
        (28, 29),
        (33, 28),
        (24, 24),
        (26, 27),
        (29, 25),
        (23, 30),
    ];
    let x: Vec<f64> = cells.iter().map(|c| f64::from(c.0) * 5.0 + 2.5).collect();
    let y: Vec<f64> = cells.iter().map(|c| f64::from(c.1) * 5.0 + 2.5).collect();
    let w: Vec<f64> = (0..x.len()).map(|i| 1.0 + (i % 3) as f64).collect();
    let sigma = 12.0;
    // Brute force: ℓ = Σ wᵢ ln[Σ_{j≠i} wⱼ K(dᵢⱼ) / (W − wᵢ)] / Σ wᵢ with the
    // Gaussian cut at 4σ and scaled so that its sum over the 5 m lattice
    // × 25 m² is 1 (the stencil's rule; about 1/(2πσ²(1 − e⁻⁸))).
    let g0 = |d: f64| {
        if d <= 4.0 * sigma {
            (-d * d / (2.0 * sigma * sigma)).exp()
        } else {
            0.0
        }
    };
    let mut lattice = 0.0;
    for i in -10..=10 {
        for j in -10..=10 {
            lattice += g0(f64::from(i * 5).hypot(f64::from(j * 5))) * 25.0;
        }
    }
    assert!(rel(lattice, 2.0 * PI * sigma * sigma * (1.0 - (-8.0f64).exp())) < 1e-3);
    let k = |d: f64| g0(d) / lattice;
    let total: f64 = w.iter().sum();
    let mut ll = 0.0;
    for i in 0..x.len() {
        let mut f = 0.0;
        for j in 0..x.len() {
            if j != i {
                f += w[j] * k((x[i] - x[j]).hypot(y[i] - y[j]));
            }
        }
        ll += w[i] * (f / (total - w[i])).ln();
    }
    ll /= total;
    let got = likelihood_cv_score(&g, &x, &y, Some(&w), sigma).unwrap();
    assert!((got - ll).abs() < 1e-9, "{got} vs {ll}");
    // Too small a bandwidth leaves points without neighbours.
    assert_eq!(
        likelihood_cv_score(&g, &x, &y, None, 5.0).unwrap(),
        f64::NEG_INFINITY
    );
}

#[test]
fn likelihood_cv_lands_near_a_good_bandwidth() {
    // 2000 points from a normal with sd 100 m: the AMISE-optimal Gaussian
    // bandwidth is 100·n^(−1/6) ≈ 28 m; cross-validated likelihood is known to
    // land near (somewhat above) it.
    let (x, y) = normal(2000, 11, 1000.0, 1000.0, 100.0);
    let g = MetricGrid::new(0.0, 0.0, 8.0, 8.0, 250, 250).unwrap();
    let s = likelihood_cv_sigma(&g, &x, &y, None).unwrap();
    assert!((18.0..60.0).contains(&s), "LCV σ = {s}");
    // It is a maximum: nearby bandwidths score lower.
    let at = |v: f64| likelihood_cv_score(&g, &x, &y, None, v).unwrap();
    assert!(at(s) >= at(s * 0.8) && at(s) >= at(s * 1.25));
    let c = Kde::new()
        .kernel(Kernel::Quartic)
        .bandwidth(Bandwidth::LikelihoodCv)
        .select_bandwidth(&g, &x, &y, None)
        .unwrap();
    assert!(rel(c.metres, s * 8f64.sqrt()) < 1e-12);
}

#[test]
fn edge_correction_levels_the_edge() {
    // 40 000 uniform points on a 2 km square, grid exactly on the square,
    // quartic r = 200 m on 20 m cells. True density: 10 000 per km².
    let (x, y) = uniform(40_000, 5, (0.0, 0.0, 2000.0, 2000.0));
    let g = MetricGrid::new(0.0, 0.0, 20.0, 20.0, 100, 100).unwrap();
    let square: geo::MultiPolygon = geo::Rect::new((0.0, 0.0), (2000.0, 2000.0))
        .to_polygon()
        .into();
    let kde = Kde::new()
        .bandwidth(Bandwidth::Fixed(200.0))
        .units(Units::PerKm2);
    let raw = kde.clone().compute(&g, &x, &y, None).unwrap();
    let cor = kde
        .edge_correction(square)
        .compute(&g, &x, &y, None)
        .unwrap();
    assert!(cor.edge_corrected && !raw.edge_corrected);
    let mean = |s: &byrum::DensitySurface, f: &dyn Fn(usize, usize) -> bool| {
        let (mut t, mut n) = (0.0, 0.0);
        for r in 0..100 {
            for c in 0..100 {
                if f(c, r) {
                    t += s.values[r * 100 + c];
                    n += 1.0;
                }
            }
        }
        t / n
    };
    let edge = |c: usize, r: usize| c == 0 || r == 0 || c == 99 || r == 99;
    let interior = |c: usize, r: usize| (20..80).contains(&c) && (20..80).contains(&r);
    let (ri, re) = (mean(&raw, &interior), mean(&raw, &edge));
    let (ci, ce) = (mean(&cor, &interior), mean(&cor, &edge));
    // Without correction the edge loses about half its density (corners three quarters).
    assert!(re < 0.6 * ri, "raw edge {re} vs interior {ri}");
    // With it the edge ring matches the interior: 396 edge cells average over
    // ~396 · π(200 m)²/2 ≈ 25 000 m² of support each, so the Poisson noise of
    // their mean is a few per cent; 5 % is a safe bound.
    assert!(rel(ce, ci) < 0.05, "corrected edge {ce} vs interior {ci}");
    assert!(rel(ci, 10_000.0) < 0.03, "interior {ci}");
    // The interior is untouched by the correction.
    assert!(rel(cor.values[50 * 100 + 50], raw.values[50 * 100 + 50]) < 1e-9);
    // Cells outside the area are 0.
    let tri: geo::MultiPolygon = geo::Polygon::new(
        vec![(0.0, 0.0), (2000.0, 0.0), (0.0, 2000.0), (0.0, 0.0)].into(),
        vec![],
    )
    .into();
    let t = Kde::new()
        .bandwidth(Bandwidth::Fixed(200.0))
        .edge_correction(tri)
        .compute(&g, &x, &y, None)
        .unwrap();
    assert_eq!(t.value_at(1900.0, 1900.0), Some(0.0));
    assert!(t.value_at(100.0, 100.0).unwrap() > 0.0);
}

#[test]
fn units_and_time_bins() {
    let g = grid();
    let (x, y) = uniform(900, 2, (1300.0, 2300.0, 2700.0, 2900.0));
    let bins: Vec<u32> = (0..x.len()).map(|i| (i % 3) as u32).collect();
    let labels: Vec<String> = ["night", "day", "evening"].map(String::from).to_vec();
    let hours = [100.0, 50.0, 0.0];
    // Bin 2 has no exposure (real data would have no points in it): zeros.
    let kde = Kde::new().bandwidth(Bandwidth::Fixed(60.0));
    let per_km2 = kde
        .clone()
        .units(Units::PerKm2)
        .compute(&g, &x, &y, None)
        .unwrap();
    let s = kde
        .compute_bins(&g, &x, &y, None, &bins, &labels, &hours)
        .unwrap();
    assert_eq!(s.len(), 3);
    assert_eq!(s[0].label.as_deref(), Some("night"));
    assert_eq!(
        s[0].units,
        Units::PerKm2PerHour {
            exposure_hours: 100.0
        }
    );
    assert_eq!(s[0].units.as_str(), "incidents_per_km2_per_hour");
    // Mass per bin in incidents, whatever the units.
    assert!(rel(s[0].mass(), 300.0) < 1e-9);
    assert!(rel(s[1].mass(), 300.0) < 1e-9);
    assert_eq!(s[2].max(), 0.0);
    // Per km² per hour × the bin's hours = the bin's own density per km².
    let b1 = Kde::new()
        .bandwidth(Bandwidth::Fixed(60.0))
        .units(Units::PerKm2)
        .compute(
            &g,
            &x[1..].iter().step_by(3).copied().collect::<Vec<_>>(),
            &y[1..].iter().step_by(3).copied().collect::<Vec<_>>(),
            None,
        )
        .unwrap();
    let m1 = b1.max();
    for (a, b) in s[1].values.iter().zip(&b1.values) {
        assert!((a * 50.0 - b).abs() < 1e-9 * m1);
    }
    // Expected counts: values sum to the count; per km²: × 1e6 / cell area.
    let c = Kde::new()
        .bandwidth(Bandwidth::Fixed(60.0))
        .units(Units::ExpectedCount)
        .compute(&g, &x, &y, None)
        .unwrap();
    assert!(rel(c.values.iter().sum::<f64>(), 900.0) < 1e-9);
    let m = per_km2.max();
    for i in (0..g.len()).step_by(101) {
        assert!((c.values[i] * 1e6 / 80.0 - per_km2.values[i]).abs() < 1e-9 * m);
    }
    // Per hour over the whole period.
    let h = Kde::new()
        .bandwidth(Bandwidth::Fixed(60.0))
        .units(Units::PerKm2PerHour {
            exposure_hours: 8760.0,
        })
        .compute(&g, &x, &y, None)
        .unwrap();
    assert!(rel(h.max() * 8760.0, per_km2.max()) < 1e-12);
    assert!(rel(h.mass(), 900.0) < 1e-9);
}

#[test]
fn bad_input_is_an_error() {
    let g = grid();
    let (x, y) = (vec![1500.0, 1600.0], vec![2500.0, 2550.0]);
    let k = Kde::new();
    for h in [f64::NAN, 0.0, -5.0, f64::INFINITY] {
        assert!(
            k.clone()
                .bandwidth(Bandwidth::Fixed(h))
                .compute(&g, &x, &y, None)
                .is_err()
        );
    }
    assert!(k.compute(&g, &[], &[], None).is_err());
    assert!(k.compute(&g, &x, &y[..1], None).is_err());
    assert!(k.compute(&g, &x, &y, Some(&[1.0])).is_err());
    assert!(k.compute(&g, &x, &y, Some(&[1.0, -1.0])).is_err());
    assert!(k.compute(&g, &[f64::NAN, 1.0], &y, None).is_err());
    assert!(
        k.clone()
            .units(Units::PerKm2PerHour {
                exposure_hours: 0.0
            })
            .compute(&g, &x, &y, None)
            .is_err()
    );
    // One point, or all at one place: the rules cannot choose.
    assert!(k.compute(&g, &x[..1], &y[..1], None).is_err());
    assert!(
        Kde::new()
            .bandwidth(Bandwidth::Scott)
            .compute(&g, &[5.0; 3], &[5.0; 3], None)
            .is_err()
    );
    // A bandwidth absurdly large for the cells.
    let fine = MetricGrid::new(0.0, 0.0, 0.01, 0.01, 10, 10).unwrap();
    assert!(
        k.clone()
            .bandwidth(Bandwidth::Fixed(1e5))
            .compute(&fine, &x, &y, None)
            .is_err()
    );
    // Bins that do not fit.
    let labels = vec!["a".to_string()];
    assert!(
        k.compute_bins(&g, &x, &y, None, &[0, 1], &labels, &[1.0])
            .is_err()
    );
    assert!(
        k.compute_bins(&g, &x, &y, None, &[0, 0], &labels, &[])
            .is_err()
    );
    assert!(
        k.compute_bins(&g, &x, &y, None, &[0, 0], &labels, &[f64::NAN])
            .is_err()
    );
}

#[test]
fn points_outside_the_grid_are_counted_and_still_reach_it() {
    let g = MetricGrid::new(0.0, 0.0, 10.0, 10.0, 50, 50).unwrap();
    // One point 30 m west of the grid (within r = 100 m), one far away.
    let x = [-30.0, -5000.0, 250.0];
    let y = [250.0, 250.0, 250.0];
    let kde = Kde::new().bandwidth(Bandwidth::Fixed(100.0));
    let s = kde.clone().compute(&g, &x, &y, None).unwrap();
    assert_eq!(s.points_outside, 2);
    assert_eq!(s.points, 3);
    let e = kde.method(Method::Exact).compute(&g, &x, &y, None).unwrap();
    // The near point adds density at the west edge, like the exact method says.
    assert!(s.value_at(5.0, 255.0).unwrap() > 0.0);
    assert!(
        rel(
            s.value_at(5.0, 255.0).unwrap(),
            e.value_at(5.0, 255.0).unwrap()
        ) < 0.05
    );
}

#[test]
fn isolines_of_a_gaussian_bump_are_a_ring_of_the_expected_radius() {
    // One point at a cell centre, Gaussian σ = 50 m, exact method on 2 m cells.
    // K(d) = exp(−d²/2σ²)/(2πσ²); the level K(60 m) is the circle d = 60 m.
    let p = byrum::Projection::etrs89_utm32();
    let (cx, cy) = (556_001.0, 6_322_001.0);
    let g = MetricGrid::new(cx - 301.0, cy - 301.0, 2.0, 2.0, 301, 301).unwrap();
    let s = Kde::new()
        .kernel(Kernel::Gaussian)
        .bandwidth(Bandwidth::Fixed(50.0))
        .method(Method::Exact)
        .units(Units::PerKm2)
        .compute(&g, &[cx], &[cy], None)
        .unwrap();
    let level = Kernel::Gaussian.value(60.0, 50.0) * 1e6;
    let lines = byrum::isolines(&s, &[level]).unwrap();
    assert_eq!(lines.len(), 1);
    let (l, ml) = &lines[0];
    assert_eq!(*l, level);
    assert_eq!(ml.0.len(), 1, "one ring");
    let ring = &ml.0[0];
    assert!(ring.is_closed() && ring.0.len() > 50);
    for c in &ring.0 {
        let d = (c.x - cx).hypot(c.y - cy);
        // Linear interpolation between cell centres 2 m apart on a convex
        // profile: a few centimetres.
        assert!((d - 60.0).abs() < 0.1, "vertex at {d} m");
    }
    // Areas: a disc of π·60² m².
    use geo::Area;
    let areas = byrum::isoareas(&s, &[level]).unwrap();
    assert!(rel(areas[0].1.unsigned_area(), PI * 3600.0) < 0.01);
    // The layer: WGS84, properties and parameters recorded.
    let levels = byrum::levels_of_max(&s, &[0.25, 0.5, 2.0]);
    let mut layer = byrum::isoline_layer(&s, &levels, &p).unwrap();
    layer.param("period", "2024-01-01/2025-01-01");
    assert_eq!(layer.len(), 2, "the level above the maximum has no line");
    let fc = layer.to_feature_collection();
    let f = &fc.features[0];
    let props = f.properties.as_ref().unwrap();
    assert_eq!(props["level"].as_f64().unwrap(), levels[0]);
    assert_eq!(props["unit"], "incidents_per_km2");
    let params = &fc.foreign_members.as_ref().unwrap()["byrum"]["parameters"];
    assert_eq!(params["kernel"], "gaussian");
    assert_eq!(params["bandwidth_m"], 50.0);
    assert_eq!(params["bandwidth_rule"], "fixed");
    assert_eq!(params["edge_correction"], false);
    assert_eq!(params["period"], "2024-01-01/2025-01-01");
    let text = layer.to_string();
    assert!(text.contains("\"kde_isolines\""));
    let (lon, lat) = p.inverse(cx, cy).unwrap();
    if let Some(geojson::GeometryValue::MultiLineString { coordinates: ls }) =
        f.geometry.as_ref().map(|g| &g.value)
    {
        let v = &ls[0][0];
        assert!((v[0] - lon).abs() < 0.01 && (v[1] - lat).abs() < 0.01);
    } else {
        panic!("not a MultiLineString");
    }
    // Quantile levels are increasing and within the values.
    let q = byrum::levels_at_quantiles(&s, &[0.1, 0.5, 0.9]);
    assert!(q[0] < q[1] && q[1] < q[2] && q[2] <= s.max());
    assert!(byrum::isolines(&s, &[f64::NAN]).is_err());
}

#[test]
fn many_points_bin_like_few() {
    // 200 000 points (the parallel banded binning) give the sum of the
    // surfaces of five 40 000-point parts (the sequential binning), including
    // points around and beyond the grid's edges.
    let g = grid();
    let (x, y) = uniform(200_000, 21, (900.0, 1900.0, 3100.0, 3300.0));
    for binning in [Binning::Linear, Binning::Simple] {
        let kde = Kde::new()
            .bandwidth(Bandwidth::Fixed(25.0))
            .binning(binning)
            .method(Method::Direct)
            .units(Units::ExpectedCount);
        let all = kde.compute(&g, &x, &y, None).unwrap();
        let mut sum = vec![0.0; g.len()];
        for p in 0..5 {
            let r = p * 40_000..(p + 1) * 40_000;
            let s = kde.compute(&g, &x[r.clone()], &y[r], None).unwrap();
            sum.iter_mut().zip(&s.values).for_each(|(a, b)| *a += b);
        }
        let m = all.max();
        // The banded binning keeps a point's position within its cell as f32
        // (to 10⁻⁷ of a cell, a third of a micrometre here): shares agree to ~10⁻⁸.
        for (a, b) in all.values.iter().zip(&sum) {
            assert!((a - b).abs() < 1e-6 * m, "{binning:?}: {a} vs {b}");
        }
        assert!(all.points_outside > 0);
    }
}

#[test]
fn banded_binning_feeds_the_fft_like_the_sequential_path() {
    // 200 000 weighted points (the parallel banded binning, which for the FFT
    // bins straight into rows long enough to hold their spectra) give the sum
    // of the surfaces of five 40 000-point parts (sequential binning); FFT and
    // direct convolution of the banded binning agree; the count of points
    // outside the grid is the one `MetricGrid::col_row` gives.
    let g = grid();
    let (x, y) = uniform(200_000, 31, (900.0, 1900.0, 3100.0, 3300.0));
    let mut rng = ChaCha8Rng::seed_from_u64(32);
    let w: Vec<f64> = (0..x.len()).map(|_| 0.25 + rng.random::<f64>()).collect();
    let outside = x
        .iter()
        .zip(&y)
        .filter(|(a, b)| g.col_row(**a, **b).is_none())
        .count();
    assert!(outside > 0);
    for binning in [Binning::Linear, Binning::Simple] {
        // 100 m quartic on 10 × 8 m cells: 21 × 25 taps, beyond the direct limit.
        let kde = Kde::new()
            .bandwidth(Bandwidth::Fixed(100.0))
            .binning(binning)
            .units(Units::ExpectedCount);
        let all = kde.compute(&g, &x, &y, Some(&w)).unwrap();
        assert_eq!(all.method, Method::Fft);
        assert_eq!(all.points_outside, outside);
        let mut sum = vec![0.0; g.len()];
        for p in 0..5 {
            let r = p * 40_000..(p + 1) * 40_000;
            let s = kde
                .compute(&g, &x[r.clone()], &y[r.clone()], Some(&w[r]))
                .unwrap();
            sum.iter_mut().zip(&s.values).for_each(|(a, b)| *a += b);
        }
        let m = all.max();
        // f32 positions within a cell in the banded binning (see `many_points_bin_like_few`).
        for (a, b) in all.values.iter().zip(&sum) {
            assert!((a - b).abs() < 1e-6 * m, "{binning:?}: {a} vs {b}");
        }
        let direct = kde
            .clone()
            .method(Method::Direct)
            .compute(&g, &x, &y, Some(&w))
            .unwrap();
        for (a, b) in all.values.iter().zip(&direct.values) {
            assert!((a - b).abs() < 1e-9 * m, "{binning:?}: {a} vs {b}");
        }
    }
}

#[test]
fn direct_and_fft_agree_at_the_switch_over() {
    // On 5 m cells a quartic of 27.5 m spans 5 cells each way (11 × 11 = 121
    // taps, the most applied directly) and one of 32.5 m 6 cells (13 × 13,
    // by FFT). At both sizes, in every unit and with edge correction, the
    // automatic choice equals the forced other method to 1e-9 of the maximum.
    let g = MetricGrid::new(0.0, 0.0, 5.0, 5.0, 240, 200).unwrap();
    let (x, y) = normal(60_000, 41, 600.0, 500.0, 200.0);
    let area: geo::MultiPolygon = geo::Rect::new((100.0, 80.0), (1100.0, 950.0))
        .to_polygon()
        .into();
    for (h, auto) in [(27.5, Method::Direct), (32.5, Method::Fft)] {
        let other = if auto == Method::Direct {
            Method::Fft
        } else {
            Method::Direct
        };
        for units in [
            Units::PerKm2,
            Units::ExpectedCount,
            Units::PerKm2PerHour {
                exposure_hours: 36.5,
            },
        ] {
            for edge in [false, true] {
                let mut kde = Kde::new().bandwidth(Bandwidth::Fixed(h)).units(units);
                if edge {
                    kde = kde.edge_correction(area.clone());
                }
                let a = kde.compute(&g, &x, &y, None).unwrap();
                let b = kde.clone().method(other).compute(&g, &x, &y, None).unwrap();
                assert_eq!((a.method, b.method), (auto, other));
                assert_eq!(a.edge_corrected, edge);
                let m = a.max();
                assert!(m > 0.0);
                for (u, v) in a.values.iter().zip(&b.values) {
                    assert!(
                        (u - v).abs() < 1e-9 * m,
                        "h {h} {units:?} edge {edge}: {u} vs {v}"
                    );
                }
                assert!(rel(a.mass(), b.mass()) < 1e-12);
            }
        }
    }
}
