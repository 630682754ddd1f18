//! KDE benchmark on the peer benchmark's input: 1000 × 1000 cells, 150 m kernels.
//!
//! Reads lon/lat of `/tmp/byrum-peers-data/incidents_n{N}_s42.csv` (made by
//! `../shared/bench-peers/run N`), projects to EPSG:25832 and builds the
//! peer's raster: the box of lon 9.88–9.97, lat 57.02–57.07 transformed with
//! 21 densified points per edge (pyproj's `transform_bounds`), split into
//! 1000 × 1000 cells (≈ 5.5 m). Reading and projecting are setup, not timed.
//!
//! | benchmark | what is timed | peer row it compares with |
//! |---|---|---|
//! | `quartic_150m_linear` | linear binning + FFT convolution, 150 m quartic (the default KDE) | `kde_hist_epanechnikov_fft` (the fastest peer) |
//! | `quartic_150m_simple` | simple binning + FFT, 150 m quartic | same |
//! | `epanechnikov_150m_simple` | simple binning + FFT, 150 m Epanechnikov: the peer's computation (`np.histogram2d` + `scipy.signal.fftconvolve`), normalised | `kde_hist_epanechnikov_fft` |
//! | `gaussian_37.5m_simple` | simple binning + FFT, Gaussian σ = 37.5 m: cut at 4σ = 150 m, the same stencil size as the others | (`kde_hist_gaussian_filter` uses σ = 150 m, a 1200 m stencil) |
//!
//! Environment:
//! - `BYRUM_BENCH_KDE_N`: 1000000 (default) or 10000000.
//! - `BYRUM_BENCH_KDE_METHODS=1`: also time direct against FFT convolution for
//!   small stencils (how the direct/FFT threshold was chosen).
//! - `BYRUM_BENCH_KDE_STAGE=R`: instead of the criterion groups, run the
//!   pipeline bench's `kde` stage R times (the data's box in 1000 × 1000
//!   cells, 150 m Epanechnikov, linear binning, the surface written with
//!   `write_atomic` to the temporary folder) and print each run's parts.
//! - `BYRUM_BENCH_KDE_DUMP=DIR`: write the Epanechnikov surface to
//!   `DIR/epanechnikov_150m_simple.f64` (little-endian, row 0 south) and the
//!   grid to `DIR/grid.json`, for checking against scipy.
//!
//! ```text
//! CARGO_TARGET_DIR=/tmp/byrum-bench-target cargo bench --bench kde
//! BYRUM_BENCH_KDE_N=10000000 CARGO_TARGET_DIR=/tmp/byrum-bench-target cargo bench --bench kde
//! ```

use std::hint::black_box;
use std::time::Duration;

use byrum::{Bandwidth, Binning, Kde, Kernel, Method, MetricGrid, Projection, Units};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};

mod common;
use common::{peer_csv, read_lonlat, transform_bounds};

fn kde(kernel: Kernel, h: f64, binning: Binning) -> Kde {
    Kde::new()
        .kernel(kernel)
        .bandwidth(Bandwidth::Fixed(h))
        .binning(binning)
        .units(Units::PerKm2)
}

fn main() {
    let n: usize = std::env::var("BYRUM_BENCH_KDE_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let path = peer_csv(n);
    let (lon, lat) = read_lonlat(&path);
    let p = Projection::etrs89_utm32();
    let (x, y) = p.forward_many(&lon, &lat);
    drop((lon, lat));
    let bounds = transform_bounds(&p);
    let grid = MetricGrid::with_shape(bounds, 1000, 1000).expect("a grid");
    eprintln!(
        "# {n} incidents; raster 1000x1000, x {:.1}..{:.1} y {:.1}..{:.1}, pixel {:.2} x {:.2} m; {} threads",
        bounds.0,
        bounds.2,
        bounds.1,
        bounds.3,
        grid.dx,
        grid.dy,
        rayon::current_num_threads()
    );

    if let Some(reps) = std::env::var("BYRUM_BENCH_KDE_STAGE")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
    {
        let dir = std::env::temp_dir().join("byrum-bench-kde-stage");
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let mut best = f64::INFINITY;
        for _ in 0..reps {
            let t = std::time::Instant::now();
            let ((lo_x, hi_x), (lo_y, hi_y)) =
                rayon::join(|| common::min_max(&x), || common::min_max(&y));
            let grid =
                MetricGrid::with_shape((lo_x, lo_y, hi_x, hi_y), 1000, 1000).expect("a grid");
            let t1 = t.elapsed().as_secs_f64();
            let s = Kde::new()
                .kernel(Kernel::Epanechnikov)
                .bandwidth(Bandwidth::Fixed(150.0))
                .compute(&grid, &x, &y, None)
                .expect("KDE");
            let t2 = t.elapsed().as_secs_f64();
            let bytes: Vec<u8> = s.values.iter().flat_map(|v| v.to_le_bytes()).collect();
            let t3 = t.elapsed().as_secs_f64();
            byrum::write_atomic(&dir.join("kde.f64"), &bytes).expect("write");
            let t4 = t.elapsed().as_secs_f64();
            best = best.min(t4);
            eprintln!(
                "stage {t4:.4}: box {t1:.4} compute {:.4} bytes {:.4} write {:.4}",
                t2 - t1,
                t3 - t2,
                t4 - t3
            );
        }
        eprintln!("best {best:.4}");
        return;
    }

    if let Ok(dir) = std::env::var("BYRUM_BENCH_KDE_DUMP") {
        let s = kde(Kernel::Epanechnikov, 150.0, Binning::Simple)
            .compute(&grid, &x, &y, None)
            .expect("KDE");
        let bytes: Vec<u8> = s.values.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(format!("{dir}/epanechnikov_150m_simple.f64"), bytes).expect("dump");
        std::fs::write(
            format!("{dir}/grid.json"),
            format!(
                "{{\"x0\":{},\"y0\":{},\"dx\":{},\"dy\":{},\"nx\":{},\"ny\":{},\"n\":{n},\"points_outside\":{},\"mass\":{}}}\n",
                grid.x0, grid.y0, grid.dx, grid.dy, grid.nx, grid.ny, s.points_outside, s.mass()
            ),
        )
        .expect("dump");
        eprintln!(
            "# wrote {dir}/epanechnikov_150m_simple.f64 (mass {}, {} outside)",
            s.mass(),
            s.points_outside
        );
    }

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(if n > 2_000_000 { 8 } else { 3 }))
        .configure_from_args();
    {
        let mut g = c.benchmark_group("kde");
        g.sampling_mode(SamplingMode::Flat);
        g.throughput(Throughput::Elements(n as u64));
        let cases = [
            (
                "quartic_150m_linear",
                Kernel::Quartic,
                150.0,
                Binning::Linear,
            ),
            (
                "quartic_150m_simple",
                Kernel::Quartic,
                150.0,
                Binning::Simple,
            ),
            (
                "epanechnikov_150m_simple",
                Kernel::Epanechnikov,
                150.0,
                Binning::Simple,
            ),
            (
                "gaussian_37.5m_simple",
                Kernel::Gaussian,
                37.5,
                Binning::Simple,
            ),
        ];
        for (name, k, h, b) in cases {
            let e = kde(k, h, b);
            g.bench_function(BenchmarkId::new(name, n), |bench| {
                bench.iter(|| black_box(e.compute(&grid, &x, &y, None).expect("KDE")));
            });
        }
        g.finish();
    }
    if std::env::var_os("BYRUM_BENCH_KDE_METHODS").is_some() {
        let mut g = c.benchmark_group("kde_method");
        g.sampling_mode(SamplingMode::Flat);
        // Radii of 2..8 cells: stencils of 5² … 17² taps.
        for cells in [2.0, 3.0, 4.0, 5.0, 6.0, 8.0] {
            let h = cells * grid.dx.max(grid.dy) + 0.01;
            for m in [Method::Direct, Method::Fft] {
                let e = kde(Kernel::Quartic, h, Binning::Linear).method(m);
                g.bench_function(BenchmarkId::new(m.as_str(), format!("r{cells}")), |bench| {
                    bench.iter(|| black_box(e.compute(&grid, &x, &y, None).expect("KDE")));
                });
            }
        }
        g.finish();
    }
    c.final_summary();
}
