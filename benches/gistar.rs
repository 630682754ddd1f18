//! Gi* benchmark: about 100,000 H3 cells, k = 1 binary weights, 999 permutations.
//!
//! The universe is the resolution-12 H3 cover of the Aalborg box (lon
//! 9.88–9.97, lat 57.02–57.07; 97,5xx cells, zero counts included). Counts are
//! the incidents of the peer benchmark's CSV per cell
//! (`/tmp/byrum-peers-data/incidents_n1000000_s42.csv`, or `BYRUM_BENCH_CSV`),
//! or, without that file, a seeded Poisson(10) draw. The cells and counts are
//! written to `/tmp/byrum-gistar-100k.csv` (`cell,count`) so that the esda
//! peer (`benches/peers/gistar_esda.py`) times the same input.
//!
//! | benchmark | what is timed |
//! |---|---|
//! | `weights_k1` | [`SpatialWeights::h3_kring`] with k = 1, binary |
//! | `analytic` | [`GiStar::compute`] without permutations (z, p, BH, classes) |
//! | `perm999_per_cell` | 999 conditional permutations, one ChaCha8 stream per cell |
//! | `perm999_shared` | 999 conditional permutations, one draw matrix shared by all cells (esda's scheme) |
//!
//! ```text
//! CARGO_TARGET_DIR=/tmp/byrum-bench-target cargo bench --bench gistar
//! /tmp/byrum-peers-venv/bin/python benches/peers/gistar_esda.py
//! ```

use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

use byrum::{
    Decay, GiStar, PermutationDraws, Projection, SpatialWeights, StudyArea, h3_cells,
    h3_cells_covering, h3_resolution,
};
use criterion::{Criterion, SamplingMode};
use h3o::CellIndex;
use rand::{Rng, SeedableRng};

const DEFAULT_CSV: &str = "/tmp/byrum-peers-data/incidents_n1000000_s42.csv";
const OUT_CSV: &str = "/tmp/byrum-gistar-100k.csv";

/// The incidents' longitude and latitude from the peer CSV (`id,lon,lat,...`).
fn read_points(path: &str) -> Option<(Vec<f64>, Vec<f64>)> {
    let f = std::fs::File::open(path).ok()?;
    let (mut lon, mut lat) = (Vec::new(), Vec::new());
    for line in BufReader::new(f).lines().skip(1) {
        let line = line.ok()?;
        let mut it = line.split(',').skip(1);
        lon.push(it.next()?.parse().ok()?);
        lat.push(it.next()?.parse().ok()?);
    }
    Some((lon, lat))
}

fn input() -> (Vec<CellIndex>, Vec<f64>, String) {
    let res = h3_resolution(12).expect("12 is a resolution");
    let area = StudyArea::from_bbox(9.88, 57.02, 9.97, 57.07).expect("a valid box");
    let cells = h3_cells_covering(area.polygon(), res).expect("the box can be covered");
    let path = std::env::var("BYRUM_BENCH_CSV").unwrap_or_else(|_| DEFAULT_CSV.to_owned());
    let (counts, source) = if let Some((lon, lat)) = read_points(&path) {
        let mut counts = vec![0.0; cells.len()];
        for c in h3_cells(&lon, &lat, res).expect("valid points") {
            if let Ok(k) = cells.binary_search(&c) {
                counts[k] += 1.0;
            }
        }
        (counts, path)
    } else {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
        // Poisson(10) by inversion of the CDF.
        let counts = (0..cells.len())
            .map(|_| {
                let u = rng.random::<f64>();
                let (mut k, mut pk) = (0u32, (-10.0f64).exp());
                let mut cdf = pk;
                while u > cdf && k < 100 {
                    k += 1;
                    pk *= 10.0 / f64::from(k);
                    cdf += pk;
                }
                f64::from(k)
            })
            .collect();
        (counts, "seeded Poisson(10)".to_owned())
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(OUT_CSV).expect("writable /tmp"));
    writeln!(out, "cell,count").expect("write");
    for (c, n) in cells.iter().zip(&counts) {
        writeln!(out, "{c},{n}").expect("write");
    }
    (cells, counts, source)
}

fn main() {
    let (cells, counts, source) = input();
    let zeros = counts.iter().filter(|&&c| c == 0.0).count();
    println!(
        "gistar bench: {} res-12 cells ({} zero), counts from {source}, {} rayon threads; input written to {OUT_CSV}",
        cells.len(),
        zeros,
        rayon::current_num_threads()
    );
    let proj = Projection::etrs89_utm32();
    let w = SpatialWeights::h3_kring(&cells, 1, Decay::Binary, &proj).expect("weights");
    // Cross-check with the peer's z-scores when it has run on this input.
    if let Ok(text) = std::fs::read_to_string("/tmp/byrum-gistar-100k-esda-z.txt") {
        let esda: Vec<f64> = text.lines().filter_map(|l| l.parse().ok()).collect();
        let ours = GiStar::new().compute(&counts, &w).expect("Gi*").z;
        if esda.len() == ours.len() {
            let max = ours
                .iter()
                .zip(&esda)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            println!("max |z - esda z| over {} cells: {max:e}", ours.len());
        }
    }

    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    let mut g = c.benchmark_group("gistar");
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("weights_k1", |b| {
        b.iter(|| SpatialWeights::h3_kring(black_box(&cells), 1, Decay::Binary, &proj));
    });
    g.bench_function("analytic", |b| {
        b.iter(|| GiStar::new().compute(black_box(&counts), &w));
    });
    for (name, draws) in [
        ("perm999_per_cell", PermutationDraws::PerCell),
        ("perm999_shared", PermutationDraws::Shared),
    ] {
        let gi = GiStar::new().permutations(999).draws(draws);
        let r = gi.compute(&counts, &w).expect("Gi*");
        let hot = r.class.iter().filter(|c| c.is_hot()).count();
        let fdr = r.fdr_significant.iter().filter(|&&s| s).count();
        println!("{name}: {hot} hot cells, {fdr} FDR-significant");
        g.bench_function(name, |b| b.iter(|| gi.compute(black_box(&counts), &w)));
    }
    g.finish();
    c.final_summary();
}
