//! Foundation benchmark: read → assemble → index → grid, on the peer benchmark's input.
//!
//! Measures the stages every byrum analysis starts with, one by one and end to
//! end, on the synthetic Aalborg incident CSV that the Python peer benchmark
//! (`../shared/bench-peers`) writes, so the figures compare with the peer's
//! pandas / pyproj / h3-py timings on the *same* file. One criterion group,
//! `foundation`, with throughput in incidents; each benchmark id ends in the
//! number of accepted incidents (`foundation/read_csv/999897`), so runs on
//! different inputs keep separate criterion baselines:
//!
//! | benchmark | what is timed |
//! |---|---|
//! | `read_csv` | [`IncidentReader::read_csv`] with zone `Europe/Copenhagen` (the peer CSV has naive local timestamps): parse, validate, place in local time |
//! | `dataset_build` | [`DatasetBuilder::build`] with the zone set, as `--tz` does: projection of every point to EPSG:25832, check of every timestamp's offset against the zone, period |
//! | `spatial_index` | [`SpatialIndex::build`] (rstar bulk load of all incidents) |
//! | `h3_res9_hour_counts` | [`TimeBinning::assign`] and [`TimeBinning::exposure`] for `BinSpec::of(&[Dimension::Hour])`, [`h3_cells`] at resolution 9, [`H3Counts::compute`] |
//! | `end_to_end` | all of the above in sequence, from the file |
//!
//! A second group, `h3_repeats`, measures [`h3_cells`] at resolution 9 on
//! real data with repeated coordinates: the Minneapolis stops
//! (`../shared/data/real/`, 51,920 rows on 10,414 distinct points) repeated
//! 20 times (`repeated`), against the same number of points all distinct
//! (`distinct`: row i moved by i × 10⁻¹¹ degrees, under a metre). At this
//! density both are placed by the cells' planes (`src/cell_lookup.rs`).
//!
//! `dataset_build` clones the read batch outside the timed section (the builder
//! consumes it). Each benchmark runs 10 flat samples, so a stage is run at
//! least 10 times after warm-up.
//!
//! # Running
//!
//! The input path comes from `BYRUM_BENCH_CSV` (default
//! `/tmp/byrum-peers-data/incidents_n1000000_s42.csv`). Without the file the
//! benchmark prints how to create it and exits successfully.
//!
//! ```text
//! # 1M incidents (the peer run also prints the Python timings to compare with)
//! ../shared/bench-peers/run 1000000
//! cargo bench --bench ingest
//!
//! # 10M incidents (only generate the input: skip the slow peer stages)
//! ../shared/bench-peers/run 10000000 42 --skip h3,groupby,gistar,kde,nearest,datashader
//! BYRUM_BENCH_CSV=/tmp/byrum-peers-data/incidents_n10000000_s42.csv cargo bench --bench ingest
//! ```
//!
//! A benchmark name after `--` selects stages, e.g. `cargo bench --bench ingest -- read_csv`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use byrum::{
    BinSpec, Dataset, DatasetBuilder, Dimension, H3Counts, IncidentBatch, IncidentReader,
    SpatialIndex, TimeBinning, h3_cells, h3_resolution, parse_zone,
};
use chrono_tz::Tz;
use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput};

/// Where the input is looked for when `BYRUM_BENCH_CSV` is not set.
const DEFAULT_CSV: &str = "/tmp/byrum-peers-data/incidents_n1000000_s42.csv";

/// The zone of the peer CSV's naive timestamps.
const ZONE: &str = "Europe/Copenhagen";

/// The H3 resolution of the grid stage.
const H3_RES: u8 = 9;

fn input_path() -> PathBuf {
    std::env::var_os("BYRUM_BENCH_CSV").map_or_else(|| PathBuf::from(DEFAULT_CSV), PathBuf::from)
}

fn zone() -> Tz {
    parse_zone(ZONE).expect("Europe/Copenhagen is an IANA zone")
}

/// (a) Read the CSV, naive timestamps in `zone`.
fn read(path: &Path, zone: Tz) -> byrum::Result<IncidentBatch> {
    IncidentReader::new().zone(zone).read_csv(path)
}

/// (b) Assemble: project every point to EPSG:25832 and check every offset against `zone`.
fn assemble(batch: IncidentBatch, zone: Tz) -> byrum::Result<Dataset> {
    DatasetBuilder::new().incidents(batch).zone(zone).build()
}

/// (d) Hour-of-day bins with exposure, H3 cells at resolution 9, counts per cell and bin.
fn hour_counts(ds: &Dataset) -> byrum::Result<H3Counts> {
    let binning = TimeBinning::default();
    let spec = BinSpec::of(&[Dimension::Hour]);
    let inc = &ds.incidents;
    let bins = binning.assign(&spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
    let exposure = binning.exposure(&spec, &ds.period, ds.zone, ds.centre());
    let res = h3_resolution(H3_RES)?;
    let cells = h3_cells(&inc.lon, &inc.lat, res)?;
    H3Counts::compute(
        res,
        &cells,
        &bins,
        None,
        binning.labels(&spec),
        exposure,
        None,
    )
}

/// (e) Everything, from the file.
fn end_to_end(path: &Path, zone: Tz) -> byrum::Result<(SpatialIndex, H3Counts)> {
    let ds = assemble(read(path, zone)?, zone)?;
    let index = SpatialIndex::build(&ds)?;
    let counts = hour_counts(&ds)?;
    Ok((index, counts))
}

fn foundation(c: &mut Criterion, path: &Path) {
    let zone = zone();

    // Prepare once, outside any measurement, and check the input is what we expect.
    let batch = read(path, zone).expect("reading the benchmark CSV");
    let n = batch.incidents.len();
    assert!(n > 0, "{} has no accepted incidents", path.display());
    eprintln!(
        "foundation: {} — {} rows read, {n} accepted, {} rejected",
        path.display(),
        batch.report.read,
        batch.report.rejected
    );
    let ds = assemble(batch.clone(), zone).expect("building the data set");
    assert_eq!(
        ds.projection.epsg(),
        25832,
        "the peer data lie in UTM zone 32N"
    );

    let mut group = c.benchmark_group("foundation");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(n as u64));

    group.bench_with_input(BenchmarkId::new("read_csv", n), &n, |b, _| {
        b.iter(|| read(black_box(path), zone).expect("read_csv"));
    });
    group.bench_with_input(BenchmarkId::new("dataset_build", n), &n, |b, _| {
        b.iter_batched(
            || batch.clone(),
            |batch| assemble(batch, zone).expect("DatasetBuilder::build"),
            BatchSize::PerIteration,
        );
    });
    group.bench_with_input(BenchmarkId::new("spatial_index", n), &n, |b, _| {
        b.iter(|| SpatialIndex::build(black_box(&ds)).expect("SpatialIndex::build"));
    });
    group.bench_with_input(BenchmarkId::new("h3_res9_hour_counts", n), &n, |b, _| {
        b.iter(|| hour_counts(black_box(&ds)).expect("H3 counts"));
    });
    group.bench_with_input(BenchmarkId::new("end_to_end", n), &n, |b, _| {
        b.iter(|| end_to_end(black_box(path), zone).expect("end to end"));
    });
    group.finish();
}

/// The real export with heavily repeated coordinates (see the module docs).
const REPEATS_CSV: &str = "../shared/data/real/minneapolis_stops_2017.csv";

fn h3_repeats(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(REPEATS_CSV);
    let Ok(batch) = IncidentReader::new().read_csv(&path) else {
        eprintln!(
            "benches/ingest: {} not found; h3_repeats skipped",
            path.display()
        );
        return;
    };
    let inc = &batch.incidents;
    let copies = 20;
    let lon: Vec<f64> = (0..copies).flat_map(|_| inc.lon.iter().copied()).collect();
    let lat: Vec<f64> = (0..copies).flat_map(|_| inc.lat.iter().copied()).collect();
    // Row i moved east by i × 1e-11 degrees (under a metre): every point distinct.
    let moved: Vec<f64> = lon
        .iter()
        .enumerate()
        .map(|(i, &x)| x + i as f64 * 1e-11)
        .collect();
    let n = lon.len();
    assert!(byrum::coordinates_repeat(&lon, &lat) && !byrum::coordinates_repeat(&moved, &lat));
    let res = h3_resolution(H3_RES).expect("resolution 9");
    let mut group = c.benchmark_group("h3_repeats");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(n as u64));
    group.bench_with_input(BenchmarkId::new("repeated", n), &n, |b, _| {
        b.iter(|| h3_cells(black_box(&lon), &lat, res).expect("cells"));
    });
    group.bench_with_input(BenchmarkId::new("distinct", n), &n, |b, _| {
        b.iter(|| h3_cells(black_box(&moved), &lat, res).expect("cells"));
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    h3_repeats(&mut c);
    let path = input_path();
    if !path.is_file() {
        eprintln!(
            "benches/ingest: input {} not found; nothing measured.\n\
             Create it with the peer generator, e.g. for 1M incidents:\n    \
             ../shared/bench-peers/run 1000000\n\
             (or set BYRUM_BENCH_CSV to an incidents_n<N>_s42.csv written by it).",
            path.display()
        );
        return;
    }
    foundation(&mut c, &path);
    c.final_summary();
}
