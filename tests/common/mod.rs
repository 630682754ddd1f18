//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// A fixture in `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A real data file in `../shared/data/real/`.
pub fn real(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/real")
        .join(name)
}

/// A demo file in `data/aalborg/`.
pub fn demo(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data/aalborg")
        .join(name)
}

/// Reads a small CSV fixture as header → rows of strings.
pub fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::Reader::from_path(path).expect("fixture readable");
    let header = rdr
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = rdr
        .records()
        .map(|r| r.expect("record").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// The whole Aalborg demo (incidents, places, services, routes) as the main job reads it.
pub fn demo_dataset() -> byrum::Dataset {
    use byrum::{DatasetBuilder, IncidentReader, read};
    let batch = IncidentReader::new()
        .read_csv(&demo("incidents.csv"))
        .expect("demo incidents");
    let (places, pr) = read::geojson::read_places(&demo("places.geojson")).expect("places");
    let (services, sr) =
        read::geojson::read_services(&demo("services.geojson"), Some("DK")).expect("services");
    let (routes, rr) =
        read::geojson::read_routes(&demo("routes.geojson"), Some("DK")).expect("routes");
    DatasetBuilder::new()
        .incidents(batch)
        .places(places, pr)
        .services(services, sr)
        .routes(routes, rr)
        .build()
        .expect("demo data set")
}

/// The demo's Gi* pipeline as the main job runs it: Hour × Season bins, H3
/// cells at `res` over the cells covering the data, k = 1 binary weights,
/// analytic p and FDR 0.05.
pub struct DemoHotSpots {
    pub binning: byrum::TimeBinning,
    pub spec: byrum::BinSpec,
    pub bins: Vec<u32>,
    pub labels: Vec<String>,
    pub exposure: Vec<f64>,
    pub counts: byrum::H3Counts,
    pub hot: byrum::H3HotSpots,
}

/// [`DemoHotSpots`] of `ds` at H3 resolution `res`.
pub fn demo_hot_spots(ds: &byrum::Dataset, res: u8) -> DemoHotSpots {
    use byrum::*;
    let inc = &ds.incidents;
    let binning = TimeBinning::default();
    let spec = BinSpec::of(&[Dimension::Hour, Dimension::Season]);
    let bins = binning.assign(&spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
    let exposure = binning.exposure(&spec, &ds.period, ds.zone, ds.centre());
    let labels = binning.labels(&spec);
    let res = h3_resolution(res).expect("resolution");
    let cells = h3_cells(&inc.lon, &inc.lat, res).expect("cells");
    let area = analysis_cells(&cells, None, res).expect("area");
    let counts = H3Counts::compute(
        res,
        &cells,
        &bins,
        None,
        labels.clone(),
        exposure.clone(),
        Some(&area),
    )
    .expect("counts");
    let hot = H3HotSpots::compute(&counts, 1, Decay::Binary, &GiStar::new(), &ds.projection)
        .expect("Gi*");
    DemoHotSpots {
        binning,
        spec,
        bins,
        labels,
        exposure,
        counts,
        hot,
    }
}

/// An example program (`report`, `byrum`) of the profile the tests run in
/// (`target/<profile>/examples/<name>`). `cargo test` builds examples;
/// `cargo test --test x` alone does not, so it is built here with the cargo
/// that runs the tests (a no-op when it is fresh).
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path"); // target/<profile>/deps/…
    let profile_dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("target/<profile>");
    let bin = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut args = vec!["build", "--quiet", "--example", name];
    if !cfg!(debug_assertions) {
        args.push("--release"); // `cargo test --release`
    }
    let ok = std::process::Command::new(cargo)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs")
        .success();
    assert!(ok, "cargo build --example {name} failed");
    assert!(bin.is_file(), "no example at {}", bin.display());
    bin
}

/// Every `step`-th incident of the demo (deterministic) and the demo's
/// places, services, routes and interventions, in `dir`. Returns the input
/// (lon, lat) pairs as written.
pub fn demo_subset(dir: &std::path::Path, step: usize) -> Vec<(String, String)> {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/aalborg");
    let text = std::fs::read_to_string(demo.join("incidents.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let cols: Vec<&str> = header.split(',').collect();
    let (ilon, ilat) = (
        cols.iter().position(|c| *c == "lon").unwrap(),
        cols.iter().position(|c| *c == "lat").unwrap(),
    );
    let mut out = String::from(header);
    out.push('\n');
    let mut pairs = Vec::new();
    for line in lines.step_by(step) {
        out.push_str(line);
        out.push('\n');
        let f: Vec<&str> = line.split(',').collect();
        pairs.push((f[ilon].to_owned(), f[ilat].to_owned()));
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("incidents.csv"), out).unwrap();
    for f in [
        "places.geojson",
        "services.geojson",
        "routes.geojson",
        "interventions.csv",
    ] {
        std::fs::copy(demo.join(f), dir.join(f)).unwrap();
    }
    pairs
}

/// Every file under `dir` (recursively), sorted.
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
