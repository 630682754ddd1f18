//! Heatmap tile throughput.
//!
//! | benchmark | what is timed | peer row it compares with |
//! |---|---|---|
//! | `demo_z12_17_png` | the demo data's density (all incidents, ArcGIS bandwidth, 10 m cells) rendered to every z12–17 tile touching it and PNG-encoded, nothing written | — |
//! | `demo_z12_17_mbtiles` | the same, written into one MBTiles file | — |
//! | `peer_z15_png/N` | the peer input's 1000 × 1000, 150 m quartic density rendered to the z15 tiles of the peer's box, PNG-encoded | — |
//! | `peer_z15_kde_png/N` | points to PNG tiles: that KDE plus the rendering | `datashader_tiles_z15_png` (count aggregation + log shade + PNG, per tile) |
//!
//! The peer input is `/tmp/byrum-peers-data/incidents_n{N}_s42.csv` (made by
//! `../shared/bench-peers/run N`); `BYRUM_BENCH_TILES_N` picks N (default
//! 1000000). Reading and projecting are setup, not timed. The tiles' privacy
//! limits (minimum bandwidth, maximum zoom) are lifted here: these
//! benchmarks time rendering at deep zooms, they publish nothing.
//!
//! ```text
//! CARGO_TARGET_DIR=/tmp/byrum-bench-target cargo bench --bench tiles
//! BYRUM_BENCH_TILES_N=10000000 CARGO_TARGET_DIR=/tmp/byrum-bench-target cargo bench --bench tiles
//! ```

use std::hint::black_box;
use std::time::Duration;

use byrum::{
    Bandwidth, ColourScale, DatasetBuilder, HeatmapTiles, IncidentReader, Kde, Kernel, MetricGrid,
    Projection, Ramp, Scaling, Units, tiles_touching,
};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};

mod common;
use common::{LAT0, LAT1, LON0, LON1, min_max, peer_csv, read_lonlat, transform_bounds};

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();

    // The demo: data/aalborg, all incidents, as the report draws them.
    let batch = IncidentReader::new()
        .read_path(std::path::Path::new("data/aalborg/incidents.csv"))
        .expect("the demo data");
    let ds = DatasetBuilder::new()
        .incidents(batch)
        .build()
        .expect("a data set");
    let inc = &ds.incidents;
    let (lo_x, hi_x) = min_max(&inc.x);
    let (lo_y, hi_y) = min_max(&inc.y);
    let grid = MetricGrid::covering(
        (lo_x - 250.0, lo_y - 250.0, hi_x + 250.0, hi_y + 250.0),
        10.0,
    )
    .expect("a grid");
    let surface = Kde::new()
        .units(Units::PerKm2PerHour {
            exposure_hours: ds.period.hours(),
        })
        .compute(&grid, &inc.x, &inc.y, None)
        .expect("KDE");
    let scale = ColourScale::new(
        Ramp::Viridis,
        (0.02 * surface.max(), surface.max()),
        Scaling::Log,
    )
    .expect("a scale");
    let (w, s) = ds.projection.inverse(grid.x0, grid.y0).expect("inverse");
    let (e, n) = ds
        .projection
        .inverse(
            grid.x0 + grid.nx as f64 * grid.dx,
            grid.y0 + grid.ny as f64 * grid.dy,
        )
        .expect("inverse");
    let extent = geo::MultiPolygon(vec![geo::Rect::new((w, s), (e, n)).to_polygon()]);
    let tiles = tiles_touching(&extent, 12..=17).expect("tiles");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let shown = HeatmapTiles::new(&scale, &ds.projection)
        .min_bandwidth_m(0.0)
        .pixels_per_bandwidth(f64::INFINITY)
        .xyz(false)
        .write(&[("all", &surface)], &tiles, dir.path(), |_| {})
        .expect("tiles")[0]
        .tiles;
    eprintln!(
        "# demo: {} incidents, grid {}x{}, bandwidth {:.0} m, {} tiles z12-17 of which {shown} show something; {} threads",
        inc.len(),
        grid.nx,
        grid.ny,
        surface.bandwidth.metres,
        tiles.len(),
        rayon::current_num_threads()
    );
    {
        let mut g = c.benchmark_group("tiles");
        g.sampling_mode(SamplingMode::Flat);
        g.throughput(Throughput::Elements(tiles.len() as u64));
        let plain = HeatmapTiles::new(&scale, &ds.projection)
            .min_bandwidth_m(0.0)
            .pixels_per_bandwidth(f64::INFINITY)
            .xyz(false);
        g.bench_function("demo_z12_17_png", |b| {
            b.iter(|| {
                black_box(
                    plain
                        .write(&[("all", &surface)], &tiles, dir.path(), |_| {})
                        .expect("tiles"),
                )
            });
        });
        let mb = HeatmapTiles::new(&scale, &ds.projection)
            .min_bandwidth_m(0.0)
            .pixels_per_bandwidth(f64::INFINITY)
            .xyz(false)
            .mbtiles(true);
        g.bench_function("demo_z12_17_mbtiles", |b| {
            b.iter(|| {
                black_box(
                    mb.write(&[("all", &surface)], &tiles, dir.path(), |_| {})
                        .expect("tiles"),
                )
            });
        });
        g.finish();
    }

    // The peer's input and tiles.
    let n: usize = std::env::var("BYRUM_BENCH_TILES_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let path = peer_csv(n);
    if !std::path::Path::new(&path).exists() {
        eprintln!(
            "# {path} is missing: peer tile benchmarks skipped (make it with ../shared/bench-peers/run {n})"
        );
        c.final_summary();
        return;
    }
    let (lon, lat) = read_lonlat(&path);
    let p = Projection::etrs89_utm32();
    let (x, y) = p.forward_many(&lon, &lat);
    drop((lon, lat));
    let grid = MetricGrid::with_shape(transform_bounds(&p), 1000, 1000).expect("a grid");
    let kde = Kde::new()
        .kernel(Kernel::Quartic)
        .bandwidth(Bandwidth::Fixed(150.0));
    let surface = kde.compute(&grid, &x, &y, None).expect("KDE");
    let scale = ColourScale::new(
        Ramp::Viridis,
        (0.02 * surface.max(), surface.max()),
        Scaling::Log,
    )
    .expect("a scale");
    let bbox = geo::MultiPolygon(vec![
        geo::Rect::new((LON0, LAT0), (LON1, LAT1)).to_polygon(),
    ]);
    let tiles = tiles_touching(&bbox, 15..=15).expect("tiles");
    eprintln!("# peer: {n} incidents, {} z15 tiles", tiles.len());
    let mut g = c.benchmark_group("tiles");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(tiles.len() as u64));
    let render = HeatmapTiles::new(&scale, &p)
        .min_bandwidth_m(0.0)
        .pixels_per_bandwidth(f64::INFINITY)
        .xyz(false);
    g.bench_function(BenchmarkId::new("peer_z15_png", n), |b| {
        b.iter(|| {
            black_box(
                render
                    .write(&[("all", &surface)], &tiles, dir.path(), |_| {})
                    .expect("tiles"),
            )
        });
    });
    g.bench_function(BenchmarkId::new("peer_z15_kde_png", n), |b| {
        b.iter(|| {
            let s = kde.compute(&grid, &x, &y, None).expect("KDE");
            black_box(
                render
                    .write(&[("all", &s)], &tiles, dir.path(), |_| {})
                    .expect("tiles"),
            )
        });
    });
    g.finish();
    c.final_summary();
}
