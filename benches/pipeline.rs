//! The whole pipeline, stage by stage, side by side with the Python peers.
//!
//! On the peer benchmark's incident CSV (`../shared/bench-peers`, 1M or 10M
//! synthetic Aalborg incidents) this benchmark runs, in one invocation:
//!
//! 1. **byrum as a planner runs it**: a fresh process (this binary started
//!    again), from the CSV to the last file written, timed from outside, with
//!    its peak memory (`VmHWM`) and the incidents' columnar size;
//! 2. **byrum warm**: the same stages in this process, repeated, fastest run
//!    per stage (optionally per rayon thread count, for the scaling table);
//! 3. **the peer pipeline** (`benches/peers/pipeline.py`): the same stages
//!    with pandas, pyproj, scipy, h3-py, esda and datashader in a fresh
//!    Python process, imports and numba JIT included, timed from outside;
//! 4. **the peer tasks** (`../shared/bench-peers/run N`): each stage's
//!    variants warm, of which the fastest is the stage's peer;
//!
//! and prints one line per stage with both times and the ratio, then the
//! end-to-end line and the memory line.
//!
//! | stage | byrum | peer pipeline |
//! |---|---|---|
//! | `read` | [`IncidentReader::read_csv`], naive times placed in Europe/Copenhagen (DST checked), every row validated, duplicates checked; the 200 services | `pd.read_csv` + `pd.to_datetime` (naive) |
//! | `project` | [`DatasetBuilder::build`]: EPSG:25832 for every point, offsets checked against the zone | pyproj |
//! | `index` | [`SpatialIndex::build`] (R-tree of all incidents, services) | `cKDTree` of the incidents |
//! | `h3_bins` | hour bucket (3 h) × season bins, H3 resolution 9, [`H3Counts`] with exposure | h3-py int API + `groupby` |
//! | `kde` | 1000 × 1000 over the data's box, 150 m Epanechnikov, written as raw `f64` | `histogram2d` + `fftconvolve`, `np.save` |
//! | `gistar_fdr` | Gi* (k = 1 ring, binary) on the cells' totals, 999 permutations, Benjamini–Hochberg at 0.05, written as CSV | libpysal `W` + esda `G_Local` (999) + `esda.fdr` |
//! | `nearest_open` | every incident's nearest service *open at its instant* (OSM opening hours), counts and median distance per service written | `cKDTree` nearest, opening hours ignored |
//! | `tiles` | the 18–21 h summer bin: KDE (150 m, 10 m cells) rendered to PNG tiles z12–17 and written | datashader count + log shade + PNG per tile |
//!
//! The byrum pipeline differs from the peers where byrum does more: it
//! validates every row and checks opening hours; Gi* runs on every cell of
//! the data's hull (the peer's on the occupied cells only). Tile privacy
//! limits (minimum bandwidth, maximum zoom) are lifted to render z17 as the
//! issue asks; byrum writes only tiles that show something.
//!
//! # Running
//!
//! ```text
//! benches/pipeline.sh                      # 1M and 10M, tables in target/pipeline-*.txt
//! BYRUM_BENCH_N=1000000 CARGO_TARGET_DIR=/tmp/byrum-bench-target cargo bench --bench pipeline
//! ```
//!
//! Settings (environment):
//! - `BYRUM_BENCH_N`: incidents, comma-separated sizes (default `1000000`).
//!   A missing CSV is generated with `../shared/bench-peers/run`.
//! - `BYRUM_BENCH_REPEAT`: warm runs per stage (default 3; 2 above 2M).
//! - `BYRUM_BENCH_THREADS`: comma-separated rayon thread counts for the warm
//!   runs, e.g. `1,2,4,8,16` (default: rayon's default only). With more than
//!   one, a scaling table follows.
//! - `BYRUM_BENCH_PEERS`: `0` skips both peer runs (byrum only).
//! - `BYRUM_PEERS_DIR`: the peer tools (default `../shared/bench-peers`),
//!   `PEERS_VENV`, `PEERS_DATA`: as `run` uses them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant as Clock;

use byrum::{
    Bandwidth, BinSpec, ColourScale, Dataset, DatasetBuilder, Decay, Dimension, GiStar, H3Counts,
    HeatmapTiles, HourBuckets, IncidentReader, IngestReport, Kde, Kernel, MetricGrid, NearestOpen,
    OpenTimes, Ramp, Scaling, Schedule, Service, ServiceKind, SpatialIndex, SpatialWeights,
    TimeBinning, analysis_cells, h3_cells, h3_resolution, parse_zone, tiles_touching,
};
use rayon::prelude::*;

mod common;
use common::{LAT0, LAT1, LON0, LON1, min_max};

/// The zone of the peer CSV's naive timestamps.
const ZONE: &str = "Europe/Copenhagen";
/// The time bin whose tiles are rendered (hour bucket 6, season 2 on the peer side).
const TILE_BIN: &str = "18-21_summer";
/// The pipeline's stages, in order.
const STAGES: [&str; 8] = [
    "read",
    "project",
    "index",
    "h3_bins",
    "kde",
    "gistar_fdr",
    "nearest_open",
    "tiles",
];
/// Opening hours given to the peer's 200 services, in turn.
const HOURS: [&str; 4] = [
    "24/7",
    "Mo-Fr 08:00-16:00; PH off",
    "Mo-Su 18:00-08:00",
    "Tu,Th 10:00-14:00; Sa 12:00-20:00",
];

/// What a run found, printed so both sides can be compared.
#[derive(Debug, Default)]
struct Checks {
    lines: Vec<String>,
    columnar_bytes: usize,
}

/// Times of one run, per stage.
type Times = BTreeMap<&'static str, f64>;

fn secs(t: Clock) -> f64 {
    t.elapsed().as_secs_f64()
}

/// The peer's services (`id,lon,lat`), each with one of [`HOURS`].
fn read_services(path: &Path) -> Vec<Service> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .enumerate()
        .map(|(i, l)| {
            let f: Vec<&str> = l.split(',').collect();
            let (lon, lat): (f64, f64) = (f[1].parse().expect("lon"), f[2].parse().expect("lat"));
            Service {
                id: f[0].to_owned(),
                name: format!("service {}", f[0]),
                point: geo::Point::new(lon, lat),
                kind: ServiceKind::parse("drop_in"),
                target_groups: Vec::new(),
                opening_hours: Some(Schedule::parse(HOURS[i % 4], Some("DK")).expect("hours")),
                attributes: byrum::Attributes::default(),
            }
        })
        .collect()
}

/// Bytes of the incidents' columns as an Arrow table would hold them:
/// lon, lat, x, y, utc, line (8 bytes), offset, category (4), and the ids
/// as text plus a 4-byte offset each.
fn columnar_bytes(ds: &Dataset) -> usize {
    let inc = &ds.incidents;
    let n = inc.len();
    n * (6 * 8 + 2 * 4 + 4) + inc.id.byte_len()
}

/// The whole pipeline once; `stage` receives each stage's name and seconds.
fn pipeline(
    incidents: &Path,
    services: &Path,
    out: &Path,
    mut stage: impl FnMut(&'static str, f64),
) -> byrum::Result<Checks> {
    let zone = parse_zone(ZONE)?;
    let mut checks = Checks::default();
    std::fs::create_dir_all(out).unwrap_or_else(|e| panic!("{}: {e}", out.display()));

    let t = Clock::now();
    let batch = IncidentReader::new().zone(zone).read_csv(incidents)?;
    let svcs = read_services(services);
    stage("read", secs(t));
    checks.lines.push(format!(
        "incidents read {} accepted {} rejected {}",
        batch.report.read, batch.report.accepted, batch.report.rejected
    ));

    let t = Clock::now();
    let ds = DatasetBuilder::new()
        .incidents(batch)
        .services(svcs, IngestReport::new("services", "services"))
        .zone(zone)
        .build()?;
    stage("project", secs(t));
    checks.columnar_bytes = columnar_bytes(&ds);
    let inc = &ds.incidents;

    let t = Clock::now();
    let index = SpatialIndex::build(&ds)?;
    stage("index", secs(t));

    let t = Clock::now();
    let binning = TimeBinning {
        hours: HourBuckets::every(3)?,
        ..TimeBinning::default()
    };
    let spec = BinSpec::of(&[Dimension::Hour, Dimension::Season]);
    let bins = binning.assign(&spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
    let exposure = binning.exposure(&spec, &ds.period, ds.zone, ds.centre());
    let labels = binning.labels(&spec);
    let res = h3_resolution(9)?;
    let cells = h3_cells(&inc.lon, &inc.lat, res)?;
    let area = analysis_cells(&cells, None, res)?;
    let counts = H3Counts::compute(
        res,
        &cells,
        &bins,
        None,
        labels.clone(),
        exposure,
        Some(&area),
    )?;
    drop(cells);
    stage("h3_bins", secs(t));
    let groups = counts.bin_counts.iter().filter(|&&c| c > 0).count();
    let occupied = counts.counts.iter().filter(|&&c| c > 0).count();
    checks.lines.push(format!(
        "h3_res9 occupied cells {occupied} of {} analysed; (cell, bin) groups {groups}",
        counts.cells.len()
    ));

    let t = Clock::now();
    let ((lo_x, hi_x), (lo_y, hi_y)) = rayon::join(|| min_max(&inc.x), || min_max(&inc.y));
    let grid = MetricGrid::with_shape((lo_x, lo_y, hi_x, hi_y), 1000, 1000)?;
    let surface = Kde::new()
        .kernel(Kernel::Epanechnikov)
        .bandwidth(Bandwidth::Fixed(150.0))
        .compute(&grid, &inc.x, &inc.y, None)?;
    let bytes: Vec<u8> = surface
        .values
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    byrum::write_atomic(&out.join("kde.f64"), &bytes)?;
    stage("kde", secs(t));
    checks.lines.push(format!(
        "kde mass {:.6e} (n = {})",
        surface.mass(),
        inc.len()
    ));

    let t = Clock::now();
    let values: Vec<f64> = counts.counts.iter().map(|&c| c as f64).collect();
    let weights = SpatialWeights::h3_kring(&counts.cells, 1, Decay::Binary, &ds.projection)?;
    let gi = GiStar::new()
        .permutations(999)
        .seed(42)
        .fdr_alpha(0.05)
        .compute(&values, &weights)?;
    let mut csv = String::from("cell,count,z,p,p_sim,q,fdr\n");
    let p_sim = gi.p_sim.as_deref().unwrap_or(&[]);
    for (i, c) in counts.cells.iter().enumerate() {
        let _ = writeln!(
            csv,
            "{c},{},{:.6},{:.6},{:.4},{:.6},{}",
            counts.counts[i],
            gi.z[i],
            gi.p[i],
            p_sim.get(i).copied().unwrap_or(f64::NAN),
            gi.q[i],
            u8::from(gi.fdr_significant[i])
        );
    }
    byrum::write_atomic(&out.join("gistar_res9.csv"), csv.as_bytes())?;
    stage("gistar_fdr", secs(t));
    checks.lines.push(format!(
        "gistar z > 1.96: {}, z < -1.96: {}, significant after FDR: {} of {}",
        gi.z.iter().filter(|&&z| z > 1.96).count(),
        gi.z.iter().filter(|&&z| z < -1.96).count(),
        gi.fdr_significant.iter().filter(|&&f| f).count(),
        gi.z.len()
    ));

    let t = Clock::now();
    let open = OpenTimes::compute(&ds.services, &ds.period, ds.zone);
    let fast = NearestOpen::new(&index, &ds.services, &open, None, f64::INFINITY);
    // Distances grouped by service ("none" last), then each group's median:
    // as sorting all by (service, distance) would give. A counting sort in
    // parallel: each chunk of incidents counts its groups while it asks,
    // then writes its distances into its own part of every group.
    let groups = ds.services.len() + 1;
    let group = |s: u32| {
        if s == u32::MAX {
            groups - 1
        } else {
            s as usize
        }
    };
    let chunk = 1 << 15;
    let mut nearest: Vec<(u32, f32)> = vec![(u32::MAX, f32::NAN); inc.len()];
    let counts: Vec<Vec<usize>> = nearest
        .par_chunks_mut(chunk)
        .enumerate()
        .map(|(k, out)| {
            let mut count = vec![0usize; groups];
            for (j, o) in out.iter_mut().enumerate() {
                let i = k * chunk + j;
                *o = fast
                    .query(inc.x[i], inc.y[i], inc.utc[i])
                    .map_or((u32::MAX, f32::NAN), |(s, d)| (s as u32, d as f32));
                count[group(o.0)] += 1;
            }
            count
        })
        .collect();
    let mut grouped = vec![0f32; nearest.len()];
    let mut sizes = vec![0usize; groups];
    let mut slots: Vec<Vec<&mut [f32]>> =
        counts.iter().map(|_| Vec::with_capacity(groups)).collect();
    let mut rest = grouped.as_mut_slice();
    for (g, size) in sizes.iter_mut().enumerate() {
        for (k, count) in counts.iter().enumerate() {
            let (part, tail) = rest.split_at_mut(count[g]);
            rest = tail;
            slots[k].push(part);
            *size += count[g];
        }
    }
    nearest
        .par_chunks(chunk)
        .zip(slots)
        .for_each(|(src, mut dst)| {
            let mut next = vec![0usize; groups];
            for &(s, d) in src {
                let g = group(s);
                dst[g][next[g]] = d;
                next[g] += 1;
            }
        });
    let mut parts: Vec<(usize, &mut [f32])> = Vec::with_capacity(groups);
    let mut rest = grouped.as_mut_slice();
    for (g, &size) in sizes.iter().enumerate() {
        let (part, tail) = rest.split_at_mut(size);
        rest = tail;
        if !part.is_empty() {
            parts.push((g, part));
        }
    }
    let medians: Vec<(usize, usize, f32)> = parts
        .into_par_iter()
        .map(|(g, part)| {
            let mid = part.len() / 2;
            (
                g,
                part.len(),
                *part.select_nth_unstable_by(mid, f32::total_cmp).1,
            )
        })
        .collect();
    let mut csv = String::from("service,incidents,median_m\n");
    for (g, count, median) in medians {
        let name = if g == groups - 1 {
            "none".to_owned()
        } else {
            ds.services[g].id.clone()
        };
        let _ = writeln!(csv, "{name},{count},{median:.1}");
    }
    byrum::write_atomic(&out.join("nearest.csv"), csv.as_bytes())?;
    stage("nearest_open", secs(t));
    let mut d: Vec<f32> = nearest
        .iter()
        .map(|p| p.1)
        .filter(|d| !d.is_nan())
        .collect();
    let mid = d.len() / 2;
    let median = if d.is_empty() {
        f32::NAN
    } else {
        *d.select_nth_unstable_by(mid, f32::total_cmp).1
    };
    checks.lines.push(format!(
        "nearest open service: median distance {median:.1} m; {} incidents with none open",
        nearest.iter().filter(|p| p.0 == u32::MAX).count()
    ));
    drop(nearest);

    let t = Clock::now();
    let b = labels
        .iter()
        .position(|l| l == TILE_BIN)
        .unwrap_or_else(|| panic!("no bin {TILE_BIN} in {labels:?}"));
    let (bx, by): (Vec<f64>, Vec<f64>) = (0..inc.len())
        .filter(|&i| bins[i] as usize == b)
        .map(|i| (inc.x[i], inc.y[i]))
        .unzip();
    let fine = MetricGrid::covering((lo_x, lo_y, hi_x, hi_y), 10.0)?;
    let bin_surface = Kde::new()
        .kernel(Kernel::Quartic)
        .bandwidth(Bandwidth::Fixed(150.0))
        .compute(&fine, &bx, &by, None)?;
    let scale = ColourScale::new(
        Ramp::Viridis,
        (0.02 * bin_surface.max(), bin_surface.max()),
        Scaling::Log,
    )?;
    let bbox = geo::MultiPolygon(vec![
        geo::Rect::new((LON0, LAT0), (LON1, LAT1)).to_polygon(),
    ]);
    let tiles = tiles_touching(&bbox, 12..=17)?;
    let shown = HeatmapTiles::new(&scale, &ds.projection)
        .min_bandwidth_m(0.0)
        .pixels_per_bandwidth(f64::INFINITY)
        .write(
            &[(TILE_BIN, &bin_surface)],
            &tiles,
            &out.join("tiles"),
            |_| {},
        )?[0]
        .tiles;
    stage("tiles", secs(t));
    checks.lines.push(format!(
        "tiles bin {TILE_BIN}: {} points, {} tiles z12-17, {shown} written (the others show nothing)",
        bx.len(),
        tiles.len()
    ));
    Ok(checks)
}

/// Peak resident memory of this process (`VmHWM`), bytes.
fn peak_rss() -> Option<u64> {
    status_bytes("VmHWM:")
}

/// A `/proc/self/status` line in bytes (Linux; `None` elsewhere).
fn status_bytes(key: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let l = s.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = l.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets `VmHWM` to the current resident size (Linux 4.0+), so the next
/// reading is the peak of what ran since; false where that is not possible.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// `task n seconds [# note]` lines (peer_bench.py's format) and `# key value` lines.
fn parse_lines(text: &str) -> (BTreeMap<String, f64>, BTreeMap<String, String>) {
    let mut times = BTreeMap::new();
    let mut info = BTreeMap::new();
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("# ") {
            if let Some((k, v)) = rest.split_once(' ') {
                info.insert(k.to_owned(), v.trim().to_owned());
            }
            continue;
        }
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() >= 3
            && let Ok(s) = f[2].parse::<f64>()
        {
            times.insert(f[0].to_owned(), s);
        }
    }
    (times, info)
}

/// Runs `cmd`, returning its stdout and the wall time; stderr passes through.
fn run(cmd: &mut Command) -> Option<(String, f64)> {
    let t = Clock::now();
    let out = cmd.output().ok()?;
    let wall = secs(t);
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        eprintln!("# {cmd:?} failed: {}", out.status);
        return None;
    }
    Some((String::from_utf8_lossy(&out.stdout).into_owned(), wall))
}

fn env_list(name: &str) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|s| s.split(',').filter_map(|v| v.trim().parse().ok()).collect())
        .unwrap_or_default()
}

/// The child: the pipeline once, printing stage lines and memory.
fn child(incidents: &str, services: &str, out: &str) {
    let mut n = 0usize;
    let mut lines = Vec::new();
    // The peak within each stage, where the kernel lets us reset it.
    let mut stage_peaks = Vec::new();
    let mut overall = 0;
    let resets = reset_peak_rss();
    let checks = pipeline(
        Path::new(incidents),
        Path::new(services),
        Path::new(out),
        |s, t| {
            lines.push((s, t));
            let peak = peak_rss().unwrap_or(0);
            overall = overall.max(peak);
            if resets {
                stage_peaks.push((s, peak, status_bytes("VmRSS:").unwrap_or(0)));
                reset_peak_rss();
            }
        },
    )
    .unwrap_or_else(|e| {
        eprintln!("pipeline failed: {e}");
        std::process::exit(1)
    });
    for l in &checks.lines {
        if let Some(v) = l.strip_prefix("incidents read ") {
            n = v
                .split_whitespace()
                .nth(2)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
        }
    }
    for (s, t) in lines {
        println!("{s} {n} {t:.4}");
    }
    for l in checks.lines {
        println!("# check {l}");
    }
    println!("# columnar_bytes {}", checks.columnar_bytes);
    println!("# peak_rss_bytes {}", overall.max(peak_rss().unwrap_or(0)));
    if !stage_peaks.is_empty() {
        let by_stage: Vec<String> = stage_peaks
            .iter()
            .map(|(s, peak, end)| format!("{s} {}/{}", peak / 1_000_000, end / 1_000_000))
            .collect();
        println!("# stage_peak_end_mb {}", by_stage.join(", "));
    }
}

/// Stage times, `# key value` lines and wall time of a fresh process.
type Fresh = (BTreeMap<String, f64>, BTreeMap<String, String>, f64);

struct Peer {
    /// The peer pipeline, run once.
    pipeline: Option<Fresh>,
    /// peer_bench.py task times.
    tasks: BTreeMap<String, f64>,
}

/// The fastest warm peer per stage: (seconds, how).
fn fastest_peer(stage: &str, peer: &Peer) -> Option<(f64, String)> {
    let t = |k: &str| peer.tasks.get(k).copied();
    let min_of = |ks: &[&str]| {
        ks.iter()
            .filter_map(|k| t(k).map(|v| (v, (*k).to_owned())))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    };
    let from_pipeline = |k: &str| {
        peer.pipeline
            .as_ref()
            .and_then(|p| p.0.get(k).map(|&v| (v, format!("pipeline.py {k}"))))
    };
    match stage {
        "read" => Some((
            t("read_csv_pandas")? + t("parse_timestamps_pandas")?,
            "read_csv_pandas + parse_timestamps_pandas".into(),
        )),
        "project" => min_of(&["project_epsg25832_pyproj"]),
        "index" => from_pipeline("index"),
        "h3_bins" => {
            let (h, k) = min_of(&["h3_bin_res9_int", "h3_bin_res9"])?;
            Some((
                h + t("groupby_cell9_hour3_season")?,
                format!("{k} + groupby_cell9_hour3_season"),
            ))
        }
        "kde" => min_of(&[
            "kde_hist_epanechnikov_fft",
            "kde_hist_gaussian_filter",
            "kde_hist_epanechnikov_ndimage",
        ]),
        "gistar_fdr" => {
            let (g, k) = min_of(&["gistar_res9_perm999", "gistar_res9_perm999_njobs2"])?;
            Some((
                g + t("gistar_weights_res9")?,
                format!("gistar_weights_res9 + {k} (warm; no FDR)"),
            ))
        }
        "nearest_open" => min_of(&[
            "nearest_service_ckdtree_25832",
            "nearest_service_ckdtree_25832_w2",
            "nearest_service_balltree_haversine",
        ]),
        "tiles" => {
            let (p, _) = from_pipeline("tiles")?;
            let warm = t("datashader_warmup").unwrap_or(0.0);
            Some((
                p - warm,
                "pipeline.py tiles − datashader_warmup (JIT)".into(),
            ))
        }
        _ => None,
    }
}

fn ratio(peer: f64, ours: f64) -> String {
    if ours > 0.0 {
        format!("{:.1}×", peer / ours)
    } else {
        "–".into()
    }
}

fn bench(n: usize, peers_dir: &Path) {
    let data = std::env::var("PEERS_DATA").unwrap_or_else(|_| "/tmp/byrum-peers-data".into());
    let incidents = PathBuf::from(format!("{data}/incidents_n{n}_s42.csv"));
    let services = PathBuf::from(format!("{data}/services_s42.csv"));
    let peers = std::env::var("BYRUM_BENCH_PEERS").map_or(true, |v| v != "0");
    if !incidents.is_file() || !services.is_file() {
        eprintln!(
            "# generating {} with the peer generator",
            incidents.display()
        );
        let skip = "h3,groupby,gistar,kde,nearest,datashader";
        run(Command::new(peers_dir.join("run")).args([&n.to_string(), "42", "--skip", skip]))
            .expect("the peer generator");
    }
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let repeat = env_list("BYRUM_BENCH_REPEAT")
        .first()
        .copied()
        .unwrap_or(if n > 2_000_000 { 2 } else { 3 });

    println!(
        "\n## {n} incidents ({}), {} rayon threads by default",
        incidents.display(),
        rayon::current_num_threads()
    );

    // 1. byrum as a planner runs it: a fresh process.
    let exe = std::env::current_exe().expect("this benchmark's path");
    let fresh_out = tmp.path().join("fresh");
    let fresh = run(Command::new(&exe)
        .env("BYRUM_PIPELINE_CHILD", "1")
        .env("BYRUM_PIPELINE_INCIDENTS", &incidents)
        .env("BYRUM_PIPELINE_SERVICES", &services)
        .env("BYRUM_PIPELINE_OUT", &fresh_out))
    .expect("the byrum pipeline ran");
    let (fresh_times, fresh_info) = parse_lines(&fresh.0);
    for (k, v) in &fresh_info {
        if k == "check" {
            continue;
        }
        println!("# byrum {k} {v}");
    }
    for l in fresh.0.lines().filter(|l| l.starts_with("# check")) {
        println!("# byrum {}", &l[2..]);
    }

    // 2. byrum warm, per thread count.
    let mut threads = env_list("BYRUM_BENCH_THREADS");
    if threads.is_empty() {
        threads.push(rayon::current_num_threads());
    }
    let mut warm: Vec<(usize, Times)> = Vec::new();
    for &t in &threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .expect("a thread pool");
        let mut best = Times::new();
        for r in 0..repeat {
            let out = tmp.path().join(format!("warm-{t}-{r}"));
            pool.install(|| {
                pipeline(&incidents, &services, &out, |s, v| {
                    let e = best.entry(s).or_insert(f64::INFINITY);
                    *e = e.min(v);
                })
            })
            .expect("the byrum pipeline");
            let _ = std::fs::remove_dir_all(&out);
        }
        warm.push((t, best));
    }

    // 3 and 4. The peers.
    let peer = if peers {
        let venv = std::env::var("PEERS_VENV").unwrap_or_else(|_| "/tmp/byrum-peers-venv".into());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/pipeline.py");
        let pipeline = run(Command::new(format!("{venv}/bin/python"))
            .arg(script)
            .arg("--incidents")
            .arg(&incidents)
            .arg("--services")
            .arg(&services)
            .arg("--out")
            .arg(tmp.path().join("peer")))
        .map(|(text, wall)| {
            let (t, i) = parse_lines(&text);
            for l in text.lines().filter(|l| l.starts_with("# check")) {
                println!("# peer {}", &l[2..]);
            }
            (t, i, wall)
        });
        let tasks = run(Command::new(peers_dir.join("run")).args([&n.to_string(), "42"]))
            .map(|(text, _)| parse_lines(&text).0)
            .unwrap_or_default();
        Some(Peer { pipeline, tasks })
    } else {
        None
    };

    // The table.
    let (t0, best) = &warm[0];
    println!(
        "\n{:<13} {:>10} {:>10} {:>11} {:>11} {:>8}  fastest warm peer",
        "stage", "byrum", "byrum", "peer", "fastest", "ratio"
    );
    println!(
        "{:<13} {:>10} {:>10} {:>11} {:>11} {:>8}",
        "",
        "fresh",
        format!("warm ({t0}t)"),
        "pipeline",
        "warm peer",
        "(warm)"
    );
    for s in STAGES {
        let f = fresh_times.get(s).copied().unwrap_or(f64::NAN);
        let w = best.get(s).copied().unwrap_or(f64::NAN);
        let (pp, fp) = match &peer {
            Some(p) => (
                p.pipeline
                    .as_ref()
                    .and_then(|x| x.0.get(s).copied())
                    .unwrap_or(f64::NAN),
                fastest_peer(s, p),
            ),
            None => (f64::NAN, None),
        };
        let (fv, how) = fp.unwrap_or((f64::NAN, "–".into()));
        println!(
            "{s:<13} {f:>9.3}s {w:>9.3}s {pp:>10.3}s {fv:>10.3}s {:>8}  {how}",
            ratio(fv, w)
        );
    }
    let columnar: f64 = fresh_info
        .get("columnar_bytes")
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    let peak: f64 = fresh_info
        .get("peak_rss_bytes")
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    #[allow(clippy::single_match_else)] // two different tables, not a fallback
    match peer.as_ref().and_then(|p| p.pipeline.as_ref()) {
        Some((_, info, wall)) => {
            println!(
                "{:<13} {:>9.3}s {:>10} {:>10.3}s {:>11} {:>8}  fresh processes, CSV to last file, timed from outside",
                "end_to_end",
                fresh.1,
                "",
                wall,
                "",
                ratio(*wall, fresh.1)
            );
            let ppeak: f64 = info
                .get("peak_rss_bytes")
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN);
            println!(
                "memory: byrum peak {:.0} MB = {:.2}× the incidents' columns ({:.0} MB); peer pipeline peak {:.0} MB",
                peak / 1e6,
                peak / columnar,
                columnar / 1e6,
                ppeak / 1e6
            );
            if let Some(by_stage) = fresh_info.get("stage_peak_end_mb") {
                println!(
                    "memory by stage (byrum fresh, MB peak within / resident after): {by_stage}"
                );
            }
        }
        None => {
            println!(
                "{:<13} {:>9.3}s  (fresh process, CSV to last file)",
                "end_to_end", fresh.1
            );
            println!(
                "memory: byrum peak {:.0} MB = {:.2}× the incidents' columns ({:.0} MB)",
                peak / 1e6,
                peak / columnar,
                columnar / 1e6
            );
        }
    }
    if warm.len() > 1 {
        println!(
            "\nscaling (warm, fastest of {repeat}; speed-up over {} thread(s))",
            warm[0].0
        );
        let mut head = format!("{:<13}", "stage");
        for (t, _) in &warm {
            let _ = write!(head, " {:>14}", format!("{t} threads"));
        }
        println!("{head}");
        let base = &warm[0].1;
        let total = |w: &Times| STAGES.iter().filter_map(|s| w.get(s)).sum::<f64>();
        for s in STAGES.iter().copied().chain(["sum"]) {
            let mut row = format!("{s:<13}");
            for (_, w) in &warm {
                let (v, b) = if s == "sum" {
                    (total(w), total(base))
                } else {
                    (w[s], base[s])
                };
                let _ = write!(row, " {:>7.3}s {:>5.1}×", v, b / v);
            }
            println!("{row}");
        }
    }
}

fn main() {
    if std::env::var_os("BYRUM_PIPELINE_CHILD").is_some() {
        let get = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set"));
        child(
            &get("BYRUM_PIPELINE_INCIDENTS"),
            &get("BYRUM_PIPELINE_SERVICES"),
            &get("BYRUM_PIPELINE_OUT"),
        );
        return;
    }
    // `cargo test --benches` runs bench targets with no arguments beyond the
    // harness's: measure only under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("benches/pipeline: run with `cargo bench --bench pipeline`");
        return;
    }
    let peers_dir = std::env::var("BYRUM_PEERS_DIR").map_or_else(
        |_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench-peers"),
        PathBuf::from,
    );
    let mut sizes = env_list("BYRUM_BENCH_N");
    if sizes.is_empty() {
        sizes.push(1_000_000);
    }
    for n in sizes {
        bench(n, &peers_dir);
    }
}
