//! Gi* against esda, spatial weights against h3-py and libpysal, BH against
//! scipy; the fixture `tests/fixtures/gistar_esda.json` is written by
//! `tests/fixtures/make_gistar.py` (esda 2.9.0, libpysal 4.14.1, h3-py 4.5.0,
//! scipy 1.17.1, numpy 2.4.6; the exact versions are stored in the fixture).
#![allow(clippy::unwrap_used, clippy::float_cmp, clippy::items_after_statements)]

use std::str::FromStr;

use byrum::{
    Decay, GiStar, HotSpotClass, MetricGrid, PermutationDraws, Projection, SpatialWeights,
    benjamini_hochberg, bh_adjusted, normal_cdf, normal_two_sided_p,
};
use h3o::CellIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/gistar_esda.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

/// `ours` equals `esda` to `tol` (absolute), NaN where esda has NaN.
fn assert_close(what: &str, ours: &[f64], oracle: &[f64], tol: f64) {
    assert_eq!(ours.len(), oracle.len(), "{what}: length");
    for (i, (a, b)) in ours.iter().zip(oracle).enumerate() {
        assert!(
            (a - b).abs() <= tol || (a.is_nan() && b.is_nan()),
            "{what}[{i}]: ours {a} vs oracle {b} (diff {:e})",
            (a - b).abs()
        );
    }
}

fn lattice(nx: usize, ny: usize) -> (MetricGrid, Vec<usize>) {
    let g = MetricGrid::new(0.0, 0.0, 100.0, 100.0, nx, ny).unwrap();
    (g, (0..nx * ny).collect())
}

#[test]
fn h3_kring_z_equals_esda() {
    let f = fixture();
    let h = &f["h3"];
    let cells: Vec<CellIndex> = h["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| CellIndex::from_str(c.as_str().unwrap()).unwrap())
        .collect();
    let counts = floats(&h["counts"]);
    let zeros = counts.iter().filter(|&&c| c == 0.0).count();
    assert!(cells.len() > 300 && zeros > cells.len() / 2);
    let proj = Projection::etrs89_utm32();
    for k in [1u32, 2] {
        let case = &h[format!("k{k}")];
        let w = SpatialWeights::h3_kring(&cells, k, Decay::Binary, &proj).unwrap();
        assert!(w.is_binary());
        // Same neighbour sets as h3-py's grid_disk (sizes; self first).
        let card = usizes(&case["card"]);
        for (i, &c) in card.iter().enumerate() {
            let (idx, _) = w.neighbours(i);
            assert_eq!(idx.len(), c, "k={k} cell {i} neighbour count");
            assert_eq!(idx[0] as usize, i);
        }
        let r = GiStar::new().compute(&counts, &w).unwrap();
        assert!(!r.degenerate);
        assert_close(&format!("z k={k}"), &r.z, &floats(&case["z"]), 1e-9);
        let p2: Vec<f64> = floats(&case["p_norm"]).iter().map(|p| 2.0 * p).collect();
        assert_close(&format!("p k={k}"), &r.p, &p2, 1e-9);
        for i in 0..r.len() {
            assert_eq!(r.class[i], HotSpotClass::from_z_p(r.z[i], r.p[i]));
        }
        assert!(r.class.iter().any(|c| c.is_hot()), "the hot spot is found");
    }
}

#[test]
fn square_queen_lattice_equals_libpysal_lat2w() {
    let f = fixture();
    let c = &f["queen_lattice"];
    let (g, cells) = lattice(
        c["nx"].as_u64().unwrap() as usize,
        c["ny"].as_u64().unwrap() as usize,
    );
    let w = SpatialWeights::square_queen(&g, &cells).unwrap();
    let r = GiStar::new().compute(&floats(&c["values"]), &w).unwrap();
    assert_close("z", &r.z, &floats(&c["z"]), 1e-9);
    let p2: Vec<f64> = floats(&c["p_norm"]).iter().map(|p| 2.0 * p).collect();
    assert_close("p", &r.p, &p2, 1e-9);
    // A binary distance band of one diagonal is queen contiguity.
    let band = SpatialWeights::square_distance_band(
        &g,
        &cells,
        100.0 * std::f64::consts::SQRT_2,
        Decay::Binary,
    )
    .unwrap();
    assert_eq!(band, w);
    // A band of one cell width is rook contiguity (edge neighbours only).
    let rook = SpatialWeights::square_distance_band(&g, &cells, 100.0, Decay::Binary).unwrap();
    assert_eq!(rook.neighbours(g.nx + 1).0.len(), 5);
}

#[test]
fn square_queen_on_a_study_area_universe_equals_esda() {
    let f = fixture();
    let c = &f["queen_universe"];
    let g = MetricGrid::new(
        0.0,
        0.0,
        c["cell"].as_f64().unwrap(),
        c["cell"].as_f64().unwrap(),
        c["nx"].as_u64().unwrap() as usize,
        c["ny"].as_u64().unwrap() as usize,
    )
    .unwrap();
    let cells = usizes(&c["cells"]);
    let w = SpatialWeights::square_queen(&g, &cells).unwrap();
    let r = GiStar::new().compute(&floats(&c["values"]), &w).unwrap();
    assert_close("z", &r.z, &floats(&c["z"]), 1e-9);
    let p2: Vec<f64> = floats(&c["p_norm"]).iter().map(|p| 2.0 * p).collect();
    assert_close("p", &r.p, &p2, 1e-9);
}

#[test]
fn bisquare_band_equals_numpy_formula() {
    let f = fixture();
    let c = &f["bisquare_band"];
    let cell = c["cell"].as_f64().unwrap();
    let g = MetricGrid::new(
        0.0,
        0.0,
        cell,
        cell,
        c["nx"].as_u64().unwrap() as usize,
        c["ny"].as_u64().unwrap() as usize,
    )
    .unwrap();
    let cells = usizes(&c["cells"]);
    let decay = Decay::Bisquare {
        bandwidth_m: c["bandwidth"].as_f64().unwrap(),
    };
    let w = SpatialWeights::square_distance_band(&g, &cells, c["band"].as_f64().unwrap(), decay)
        .unwrap();
    assert!(!w.is_binary());
    let card = usizes(&c["card"]);
    for (i, &k) in card.iter().enumerate() {
        assert_eq!(w.neighbours(i).0.len(), k, "cell {i}");
    }
    let r = GiStar::new().compute(&floats(&c["values"]), &w).unwrap();
    assert_close("z", &r.z, &floats(&c["z"]), 1e-9);
}

#[test]
fn h3_bisquare_uses_projected_centre_distances() {
    let c = h3o::LatLng::new(57.048, 9.919)
        .unwrap()
        .to_cell(h3o::Resolution::Nine);
    let mut cells: Vec<CellIndex> = c.grid_disk(2);
    cells.sort_unstable();
    let proj = Projection::etrs89_utm32();
    let w =
        SpatialWeights::h3_kring(&cells, 2, Decay::Bisquare { bandwidth_m: 560.0 }, &proj).unwrap();
    let i = cells.binary_search(&c).unwrap();
    let (idx, wt) = w.neighbours(i);
    assert_eq!((idx[0] as usize, wt[0]), (i, 1.0));
    // Res-9 centres are about 300 m apart in the first ring, 520 or 600 m in the second.
    let centre = |c: CellIndex| {
        let ll = h3o::LatLng::from(c);
        proj.forward(ll.lng(), ll.lat()).unwrap()
    };
    let (x0, y0) = centre(c);
    for (&j, &wj) in idx[1..].iter().zip(&wt[1..]) {
        let (x, y) = centre(cells[j as usize]);
        let d = (x - x0).hypot(y - y0);
        assert!(d < 560.0);
        assert!((wj - (1.0 - (d / 560.0).powi(2)).powi(2)).abs() < 1e-12);
    }
    assert!(idx.len() > 7 && idx.len() < 19, "{}", idx.len());
}

#[test]
fn bh_equals_scipy_false_discovery_control() {
    let f = fixture();
    let b = &f["bh"];
    let p = floats(&b["p"]);
    assert_close("q", &bh_adjusted(&p), &floats(&b["q"]), 1e-12);
    let reject: Vec<bool> = b["reject"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_bool().unwrap())
        .collect();
    assert_eq!(benjamini_hochberg(&p, b["alpha"].as_f64().unwrap()), reject);
    assert!(reject.iter().any(|&r| r) && reject.iter().any(|&r| !r));
    // NaN never significant and not counted in m.
    let mut with_nan = p.clone();
    with_nan.push(f64::NAN);
    let r = benjamini_hochberg(&with_nan, 0.05);
    assert_eq!(&r[..p.len()], &reject[..]);
    assert!(!r[p.len()]);
}

#[test]
fn normal_tails_equal_scipy() {
    let f = fixture();
    let n = &f["normal"];
    let z = floats(&n["z"]);
    for ((z, cdf), two) in z.iter().zip(floats(&n["cdf"])).zip(floats(&n["two_sided"])) {
        let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(1e-300);
        assert!(rel(normal_cdf(*z), cdf) < 1e-12, "cdf({z})");
        assert!(rel(normal_two_sided_p(*z), two) < 1e-12, "p({z})");
    }
}

#[test]
fn classes_at_thresholds() {
    use HotSpotClass::*;
    let cases = [
        (3.0, 0.009_999, Hot99, 3, "hot_99"),
        (3.0, 0.01, Hot95, 2, "hot_95"),
        (2.0, 0.049_999, Hot95, 2, "hot_95"),
        (2.0, 0.05, Hot90, 1, "hot_90"),
        (1.7, 0.099_999, Hot90, 1, "hot_90"),
        (1.6, 0.1, NotSignificant, 0, "not_significant"),
        (-1.7, 0.099_999, Cold90, -1, "cold_90"),
        (-2.0, 0.049, Cold95, -2, "cold_95"),
        (-3.0, 0.001, Cold99, -3, "cold_99"),
        (f64::NAN, 0.001, NotSignificant, 0, "not_significant"),
        (3.0, f64::NAN, NotSignificant, 0, "not_significant"),
    ];
    for (z, p, class, bin, name) in cases {
        let c = HotSpotClass::from_z_p(z, p);
        assert_eq!(
            (c, c.gi_bin(), c.as_str()),
            (class, bin, name),
            "z={z} p={p}"
        );
        assert_eq!(c.is_hot(), bin > 0);
        assert_eq!(c.is_cold(), bin < 0);
    }
    // The analytic critical values land in the expected classes.
    for (z, class) in [(2.58, Hot99), (2.57, Hot95), (1.97, Hot95), (1.95, Hot90)] {
        assert_eq!(HotSpotClass::from_z_p(z, normal_two_sided_p(z)), class);
        assert_eq!(
            HotSpotClass::from_z_p(-z, normal_two_sided_p(-z)).gi_bin(),
            -class.gi_bin()
        );
    }
}

/// A 30 × 30 queen lattice of zeros with a 3 × 3 block of 10s in the middle.
fn hot_block() -> (Vec<f64>, SpatialWeights, usize) {
    let (g, cells) = lattice(30, 30);
    let mut x = vec![0.0; 900];
    for r in 14..17 {
        for c in 14..17 {
            x[r * 30 + c] = 10.0;
        }
    }
    (
        x,
        SpatialWeights::square_queen(&g, &cells).unwrap(),
        15 * 30 + 15,
    )
}

#[test]
fn permutations_find_a_clear_hot_spot() {
    let (x, w, centre) = hot_block();
    for draws in [PermutationDraws::PerCell, PermutationDraws::Shared] {
        let r = GiStar::new()
            .permutations(999)
            .draws(draws)
            .compute(&x, &w)
            .unwrap();
        let ps = r.p_sim.as_ref().unwrap();
        assert_eq!(ps[centre], 1.0 / 1000.0, "{draws:?}");
        assert_eq!(r.p_class[centre], 2.0 / 1000.0);
        assert_eq!(r.class[centre], HotSpotClass::Hot99);
        // 2/1000 cannot pass BH over 900 cells (it needs p ≤ k·0.05/900 with
        // k ≥ 36 such cells); the analytic p does.
        assert!(!r.fdr_significant[centre]);
        // A cell far away, surrounded by zeros, ties almost every permutation:
        // not significant (esda's fold would give 1/1000 here).
        assert!(ps[0] > 0.4, "{draws:?}: corner p_sim {}", ps[0]);
        assert_eq!(r.class[0], HotSpotClass::NotSignificant);
        assert!(ps.iter().all(|&p| (0.001..=1.0).contains(&p)));
    }
    let r = GiStar::new().compute(&x, &w).unwrap();
    assert!(r.fdr_significant[centre] && r.class[centre] == HotSpotClass::Hot99);
}

#[test]
fn permutations_are_reproducible_whatever_the_threads() {
    let (g, cells) = lattice(25, 20);
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let x: Vec<f64> = (0..500)
        .map(|_| f64::from(rng.random_range(0..5u32)))
        .collect();
    // General weights too, with a band that needs the Fisher–Yates sampler on a small universe.
    let w_queen = SpatialWeights::square_queen(&g, &cells).unwrap();
    let w_band = SpatialWeights::square_distance_band(
        &g,
        &cells,
        250.0,
        Decay::Bisquare { bandwidth_m: 300.0 },
    )
    .unwrap();
    for w in [&w_queen, &w_band] {
        for draws in [PermutationDraws::PerCell, PermutationDraws::Shared] {
            let gi = GiStar::new().permutations(199).seed(7).draws(draws);
            let run = |threads: usize| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| gi.compute(&x, w).unwrap())
            };
            let (a, b) = (run(1), run(4));
            assert_eq!(a.p_sim, b.p_sim, "{draws:?}");
            assert_eq!(a, b);
            let other = GiStar::new()
                .permutations(199)
                .seed(8)
                .draws(draws)
                .compute(&x, w)
                .unwrap();
            assert_ne!(a.p_sim, other.p_sim, "another seed, other draws");
        }
    }
}

#[test]
fn pseudo_p_on_a_null_field_is_roughly_uniform() {
    let (g, cells) = lattice(40, 40);
    let w = SpatialWeights::square_queen(&g, &cells).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    // Continuous values: no ties, so 2·p_sim is close to uniform on (0, 1].
    let x: Vec<f64> = (0..1600).map(|_| rng.random::<f64>()).collect();
    for draws in [PermutationDraws::PerCell, PermutationDraws::Shared] {
        let r = GiStar::new()
            .permutations(199)
            .draws(draws)
            .compute(&x, &w)
            .unwrap();
        let pc = &r.p_class;
        let n = pc.len() as f64;
        let mean = pc.iter().sum::<f64>() / n;
        let below = |t: f64| pc.iter().filter(|&&p| p <= t).count() as f64 / n;
        // Shared draws give every cell the same Monte-Carlo error (one
        // reference distribution for all), so across cells they stray further.
        let tol = match draws {
            PermutationDraws::PerCell => 0.03,
            PermutationDraws::Shared => 0.08,
        };
        assert!((mean - 0.5).abs() < tol, "{draws:?}: mean {mean}");
        for t in [0.1, 0.25, 0.5, 0.75] {
            assert!(
                (below(t) - t).abs() < tol,
                "{draws:?}: P(p <= {t}) = {}",
                below(t)
            );
        }
        // And the analytic p agrees with the permutation p on average.
        let mean_p = r.p.iter().sum::<f64>() / n;
        assert!((mean_p - 0.5).abs() < 0.04, "analytic mean {mean_p}");
        // Few FDR discoveries on a null field.
        assert!(r.fdr_significant.iter().filter(|&&s| s).count() <= 5);
    }
}

#[test]
fn degenerate_input() {
    let (x, w, _) = hot_block();
    let flat = vec![3.0; x.len()];
    for perms in [0, 99] {
        let r = GiStar::new()
            .permutations(perms)
            .compute(&flat, &w)
            .unwrap();
        assert!(r.degenerate);
        assert!(r.z.iter().chain(&r.p).all(|v| v.is_nan()));
        assert!(r.class.iter().all(|&c| c == HotSpotClass::NotSignificant));
        assert!(r.fdr_significant.iter().all(|&s| !s));
        assert_eq!(r.p_sim.is_some(), perms > 0);
    }
    let one = SpatialWeights::from_lists(vec![vec![(0, 1.0)]]).unwrap();
    assert!(GiStar::new().compute(&[5.0], &one).unwrap().degenerate);
    // A cell whose neighbourhood is the whole universe has no variance: NaN, not significant.
    let all = SpatialWeights::from_lists(vec![
        vec![(0, 1.0), (1, 1.0), (2, 1.0)],
        vec![(1, 1.0), (0, 1.0)],
        vec![(2, 1.0)],
    ])
    .unwrap();
    let r = GiStar::new()
        .permutations(9)
        .compute(&[1.0, 2.0, 4.0], &all)
        .unwrap();
    assert!(r.z[0].is_nan() && r.p_sim.as_ref().unwrap()[0].is_nan());
    assert_eq!(r.class[0], HotSpotClass::NotSignificant);
    assert!(r.z[1].is_finite() && r.z[2].is_finite());
}

#[test]
fn errors() {
    let (x, w, _) = hot_block();
    let err = GiStar::new().compute(&x[1..], &w).unwrap_err().to_string();
    assert!(err.contains("899 values for 900 cells"), "{err}");
    let mut bad = x.clone();
    bad[3] = f64::NAN;
    assert!(GiStar::new().compute(&bad, &w).is_err());
    assert!(GiStar::new().fdr_alpha(1.5).compute(&x, &w).is_err());
    let empty = SpatialWeights::from_lists(vec![]).unwrap();
    assert!(empty.is_empty());
    assert!(GiStar::new().compute(&[], &empty).is_err());

    let e =
        |lists: Vec<Vec<(u32, f64)>>| SpatialWeights::from_lists(lists).unwrap_err().to_string();
    assert!(e(vec![vec![(1, 1.0)], vec![(1, 1.0)]]).contains("itself"));
    assert!(e(vec![vec![(0, 1.0), (2, 1.0)], vec![(1, 1.0)]]).contains("out of range"));
    assert!(e(vec![vec![(0, 1.0), (1, -1.0)], vec![(1, 1.0)]]).contains("not negative"));
    assert!(e(vec![vec![(0, f64::INFINITY)]]).contains("finite"));
    assert!(e(vec![vec![(0, 1.0), (1, 1.0), (1, 1.0)], vec![(1, 1.0)]]).contains("twice"));

    let (g, _) = lattice(3, 3);
    assert!(SpatialWeights::square_queen(&g, &[0, 9]).is_err());
    assert!(SpatialWeights::square_queen(&g, &[0, 1, 0]).is_err());
    assert!(SpatialWeights::square_distance_band(&g, &[0], 0.0, Decay::Binary).is_err());
    assert!(
        SpatialWeights::square_distance_band(
            &g,
            &[0],
            100.0,
            Decay::Bisquare { bandwidth_m: -1.0 }
        )
        .is_err()
    );
    let c = h3o::LatLng::new(57.048, 9.919)
        .unwrap()
        .to_cell(h3o::Resolution::Nine);
    let mut cells: Vec<CellIndex> = c.grid_disk(1);
    cells.sort_unstable();
    cells.reverse();
    let proj = Projection::etrs89_utm32();
    assert!(SpatialWeights::h3_kring(&cells, 1, Decay::Binary, &proj).is_err());
    let mixed = [c, c.parent(h3o::Resolution::Eight).unwrap()];
    let mut mixed = mixed.to_vec();
    mixed.sort_unstable();
    assert!(SpatialWeights::h3_kring(&mixed, 1, Decay::Binary, &proj).is_err());
}
