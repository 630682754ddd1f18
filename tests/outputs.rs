#![allow(clippy::unwrap_used, clippy::items_after_statements)]
//! Outputs: atomic files, whole output folders (a failed run leaves the old
//! one byte-identical), names from data that cannot leave the output folder,
//! and byte-identical outputs whatever the number of threads.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use byrum::{
    Bandwidth, BinSpec, ColourScale, Dimension, HeatmapTiles, Kde, MetricGrid, OutputDir,
    Projection, Ramp, Scaling, Seasons, TileId, TimeBinning, safe_file_name, write_atomic,
};

/// Every file under `dir`: relative path (with `/`) → bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let t = e.file_type().unwrap();
            assert!(!t.is_symlink(), "{}", p.display());
            if t.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap();
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.insert(rel.join("/"), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The names in a folder, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn staged_folder_replaces_the_old_one_only_on_commit() {
    let base = tempfile::tempdir().unwrap();
    let out = base.path().join("out");
    // First run.
    let stage = OutputDir::stage(&out).unwrap();
    assert_eq!(stage.target(), out);
    write_atomic(&stage.path().join("a.csv"), b"old a").unwrap();
    write_atomic(&stage.path().join("sub/b.csv"), b"old b").unwrap();
    assert!(!out.exists());
    assert_eq!(stage.commit().unwrap(), out);
    let before = snapshot(&out);
    assert_eq!(before.len(), 3, "{:?}", before.keys()); // a, sub/b, marker
    assert!(before.contains_key(OutputDir::MARKER));

    // A failed run: some files written, then an error (the stage is dropped).
    {
        let stage = OutputDir::stage(&out).unwrap();
        write_atomic(&stage.path().join("a.csv"), b"new a").unwrap();
        write_atomic(&stage.path().join("c.csv"), b"new c").unwrap();
        assert_eq!(snapshot(&out), before, "nothing visible before commit");
    }
    assert_eq!(snapshot(&out), before);
    assert_eq!(names(base.path()), ["out"], "no stray folders");

    // A good run replaces the whole folder: b.csv (not written again) is gone.
    let stage = OutputDir::stage(&out).unwrap();
    write_atomic(&stage.path().join("a.csv"), b"new a").unwrap();
    stage.commit().unwrap();
    let after = snapshot(&out);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        [OutputDir::MARKER, "a.csv"]
    );
    assert_eq!(after["a.csv"], b"new a");
    assert_eq!(names(base.path()), ["out"]);
}

#[test]
fn killed_runs_are_cleaned_up_or_rolled_back_by_the_next_run() {
    let base = tempfile::tempdir().unwrap();
    let out = base.path().join("out");
    let stage = OutputDir::stage(&out).unwrap();
    write_atomic(&stage.path().join("a.csv"), b"old").unwrap();
    stage.commit().unwrap();
    let before = snapshot(&out);
    // A run killed while writing (pid 4294967294 is not running) left its
    // staging folder; one killed during commit also left an old folder.
    let dead = u32::MAX - 1;
    let partial = base.path().join(format!("out.byrum-partial-{dead}-0"));
    std::fs::create_dir_all(partial.join("tiles")).unwrap();
    std::fs::write(partial.join(OutputDir::MARKER), b"").unwrap();
    std::fs::write(partial.join("tiles/x.png"), b"half").unwrap();
    let old = base.path().join(format!("out.byrum-old-{dead}-1"));
    std::fs::create_dir(&old).unwrap();
    // Unrelated neighbours are left alone, even one named like a leftover
    // but holding files byrum did not write.
    std::fs::create_dir(base.path().join("out.partial-notes")).unwrap();
    std::fs::create_dir(base.path().join("outer")).unwrap();
    let lookalike = base.path().join(format!("out.byrum-old-{dead}-2"));
    std::fs::create_dir(&lookalike).unwrap();
    std::fs::write(lookalike.join("notes.txt"), b"mine").unwrap();
    let stage = OutputDir::stage(&out).unwrap();
    drop(stage);
    let lookalike_name = format!("out.byrum-old-{dead}-2");
    assert_eq!(
        names(base.path()),
        ["out", lookalike_name.as_str(), "out.partial-notes", "outer"]
    );
    assert_eq!(snapshot(&out), before);
    std::fs::remove_dir_all(&lookalike).unwrap();

    // Killed between the two renames of commit: `out` is missing and the old
    // folder is the only whole copy; the next run puts it back.
    std::fs::rename(&out, base.path().join(format!("out.byrum-old-{dead}-7"))).unwrap();
    std::fs::create_dir(base.path().join(format!("out.byrum-partial-{dead}-6"))).unwrap();
    let stage = OutputDir::stage(&out).unwrap();
    drop(stage);
    assert_eq!(snapshot(&out), before);
    assert_eq!(names(base.path()), ["out", "out.partial-notes", "outer"]);
}

#[test]
fn a_folder_byrum_did_not_write_is_never_replaced() {
    let base = tempfile::tempdir().unwrap();
    let home = base.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(home.join("thesis.docx"), b"years of work").unwrap();
    let err = OutputDir::stage(&home).unwrap_err().to_string();
    assert!(err.contains("did not write"), "{err}");
    assert_eq!(names(&home), ["thesis.docx"]);
    assert_eq!(names(base.path()), ["home"], "no staging folder left");
    // A file is not a folder.
    let err = OutputDir::stage(home.join("thesis.docx"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("is a file"), "{err}");
    // An empty folder, and a folder from a byrum version before the marker
    // (it has ingest_report.json), may be replaced.
    let empty = base.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    OutputDir::stage(&empty).unwrap().commit().unwrap();
    let legacy = base.path().join("legacy");
    std::fs::create_dir(&legacy).unwrap();
    std::fs::write(legacy.join("ingest_report.json"), b"{}").unwrap();
    OutputDir::stage(&legacy).unwrap().commit().unwrap();
    assert_eq!(names(&legacy), [OutputDir::MARKER]);
}

#[test]
fn parallel_writers_of_one_file_never_collide() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("same.json");
    let contents: Vec<Vec<u8>> = (0..16u8).map(|i| vec![i; 100_000]).collect();
    std::thread::scope(|s| {
        for c in &contents {
            let path = &path;
            s.spawn(move || {
                for _ in 0..5 {
                    write_atomic(path, c).unwrap();
                }
            });
        }
    });
    // One whole content, never a mix, and no temporary file left.
    let got = std::fs::read(&path).unwrap();
    assert!(contents.contains(&got));
    assert_eq!(names(dir.path()), ["same.json"]);
}

#[test]
fn names_from_data_stay_inside_the_folder() {
    // Seasons are the library user's: a season named "../x" and others with
    // separators, NUL and a drive colon become time-bin labels and then tile
    // set names.
    let seasons = Seasons::from_months(&[
        ("../x", &[12, 1, 2]),
        ("a/b", &[3, 4, 5]),
        ("c\\d:e\0f", &[6, 7, 8]),
        ("../../etc", &[9, 10, 11]),
    ])
    .unwrap();
    let binning = TimeBinning {
        seasons,
        ..TimeBinning::default()
    };
    let labels = binning.labels(&BinSpec::of(&[Dimension::Season]));
    assert_eq!(labels[0], "../x");

    let p = Projection::etrs89_utm32();
    let (x, y) = p.forward(9.9187, 57.0488).unwrap();
    let grid = MetricGrid::covering((x - 300.0, y - 300.0, x + 300.0, y + 300.0), 10.0).unwrap();
    let s = Kde::new()
        .bandwidth(Bandwidth::Fixed(100.0))
        .compute(&grid, &[x], &[y], None)
        .unwrap();
    let scale =
        ColourScale::new(Ramp::Viridis, (0.02 * s.max(), s.max()), Scaling::Linear).unwrap();
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("a/b/tiles");
    // Zoom 12: the deepest a 100 m kernel allows here (privacy limit).
    let tiles = [TileId::containing(9.9187, 57.0488, 12).unwrap()];
    let mut surfaces: Vec<(&str, &byrum::DensitySurface)> =
        labels.iter().map(|l| (l.as_str(), &s)).collect();
    surfaces.push(("", &s));
    surfaces.push(("..", &s));
    let written = HeatmapTiles::new(&scale, &p)
        .mbtiles(true)
        .pmtiles(true)
        .write(&surfaces, &tiles, &dir, |_| {})
        .unwrap();
    assert_eq!(written.len(), 6);
    for w in &written {
        assert_eq!(w.tiles, 1);
        for path in [&w.xyz, &w.mbtiles, &w.pmtiles] {
            let path = path.as_ref().unwrap();
            assert_eq!(path.parent(), Some(dir.as_path()), "{}", path.display());
            assert!(path.exists());
        }
    }
    // Nothing outside `dir`: a/ holds only b/, a/b/ only tiles/, and every
    // name in `dir` is one plain component: 6 folders + 6 × 2 archives.
    assert_eq!(names(base.path()), ["a"]);
    assert_eq!(names(&base.path().join("a")), ["b"]);
    assert_eq!(names(&base.path().join("a/b")), ["tiles"]);
    let inside = names(&dir);
    assert_eq!(inside.len(), 18, "{inside:?}");
    for n in &inside {
        assert!(
            !n.starts_with('.') && !n.contains(['/', '\\', ':', '\0']),
            "{n:?}"
        );
    }
    assert!(inside.contains(&format!("{}.mbtiles", safe_file_name("../x"))));
    assert!(inside.contains(&safe_file_name("../../etc")));
    // Plain names are kept as they are.
    assert_eq!(safe_file_name("21-24_winter"), "21-24_winter");
}

// ---------------------------------------------------------------------------
// The main example, run as a program.

/// The `report` example (`tests/common`).
fn report_example() -> PathBuf {
    common::example_binary("report")
}

/// A small deterministic input: every 10th demo incident of January–June
/// 2023 (1,373 rows), the demo services and routes, and the demo places with
/// hostile names and ids (a place named `../../etc`).
fn hostile_input(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let text = std::fs::read_to_string(common::demo("incidents.csv")).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let ts = line.split(',').nth(3).unwrap_or("");
        if i == 0 || (i % 10 == 1 && ts < "2023-07") {
            out.push_str(line);
            out.push('\n');
        }
    }
    std::fs::write(dir.join("incidents.csv"), out).unwrap();
    for f in ["services.geojson", "routes.geojson"] {
        std::fs::copy(common::demo(f), dir.join(f)).unwrap();
    }
    let mut places: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(common::demo("places.geojson")).unwrap())
            .unwrap();
    let hostile = [
        ("../../etc", "../../etc"),
        ("/tmp/x", "a/b\\c:d\0e"),
        ("..", "CON"),
    ];
    for (f, (id, name)) in places["features"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .zip(hostile)
    {
        f["properties"]["id"] = id.into();
        f["properties"]["name"] = name.into();
    }
    std::fs::write(dir.join("places.geojson"), places.to_string()).unwrap();
}

/// Runs the example; whether it succeeded, and its error output.
fn run_report(
    bin: &Path,
    input: &Path,
    out: &Path,
    threads: usize,
    extra: &[&str],
) -> (bool, String) {
    let output = Command::new(bin)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RAYON_NUM_THREADS", threads.to_string())
        .arg("--input")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args([
            "--tile-zooms",
            "12-13",
            "--image-width",
            "400",
            "--kde-cell",
            "25",
        ])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        eprintln!("{stderr}");
    }
    (output.status.success(), stderr)
}

/// The offline viewer of a run (`examples/byrum/viewer.rs`): `index.html`
/// and `viewer/data.js` exist, data.js is JSON after its prefix, lists the
/// tile sets' bins of `tiles/legend.json` with tiles that exist, and embeds
/// the aggregate layers the run wrote, never raw incident points.
fn viewer_shows_the_run(files: &BTreeMap<String, Vec<u8>>) {
    let viewer_layers = [
        "gistar_h3.geojson",
        "safe_haven_coverage.geojson",
        "hot_spot_coverage.geojson",
        "places.geojson",
        "route_segments.geojson",
        "services.geojson",
        "safe_havens.geojson",
    ];
    for f in ["index.html", "viewer/data.js", "viewer/viewer.js"] {
        assert!(files.contains_key(f), "{f} missing");
    }
    let text = String::from_utf8(files["viewer/data.js"].clone()).unwrap();
    let json = text
        .strip_prefix("window.BYRUM_DATA = ")
        .and_then(|t| t.strip_suffix(";\n"))
        .expect("data.js is `window.BYRUM_DATA = {...};`");
    let data: serde_json::Value = serde_json::from_str(json).unwrap();
    let legend: serde_json::Value = serde_json::from_slice(&files["tiles/legend.json"]).unwrap();
    let legend_bins: Vec<&serde_json::Value> = legend["tile_sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["bin"])
        .collect();
    let bins: Vec<&serde_json::Value> = data["bins"].as_array().unwrap().iter().collect();
    assert_eq!(bins, legend_bins);
    assert!(bins.len() > 2 && bins[0] == "all");
    for set in data["tile_sets"].as_array().unwrap() {
        let path = set["path"].as_str().unwrap();
        let tiles = set["tiles"].as_array().unwrap();
        assert!(
            !tiles.is_empty() || set["bin"] != "all",
            "no tiles listed for all"
        );
        for t in tiles {
            let key = format!("{path}/{}.png", t.as_str().unwrap());
            assert!(files.contains_key(&key), "{key} listed but not written");
        }
    }
    let layers: Vec<&str> = data["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["file"].as_str().unwrap())
        .collect();
    let written: Vec<&str> = viewer_layers
        .into_iter()
        .filter(|f| files.contains_key(*f))
        .collect();
    assert_eq!(layers, written);
    assert!(layers.contains(&"places.geojson") && layers.contains(&"gistar_h3.geojson"));
    assert!(!text.contains("incidents.geojson"));
    assert!(
        data["layers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["name"] != "incidents")
    );
    // Leaflet is in the page exactly when it was copied into the folder.
    let html = String::from_utf8_lossy(&files["index.html"]);
    assert_eq!(
        data["leaflet"] == true,
        files.contains_key("viewer/lib/leaflet.js") && html.contains("viewer/lib/leaflet.js"),
    );
}

/// Two runs of the main example on the same small input, with 1 and with 4
/// rayon threads, give byte-identical output trees (every file, tiles and
/// MBTiles/PMTiles archives included); place names from the data never leave
/// the output folder; and a run that fails after writing most of its files
/// leaves the previous folder byte-identical, with no staging folder left
/// (nor the one a killed run left before it).
#[test]
fn main_example_is_reproducible_atomic_and_contained() {
    let bin = report_example();
    let base = tempfile::tempdir().unwrap();
    let input = base.path().join("input");
    hostile_input(&input);
    let (one, four) = (base.path().join("one"), base.path().join("four"));
    assert!(run_report(&bin, &input, &one, 1, &[]).0);
    assert!(run_report(&bin, &input, &four, 4, &[]).0);

    let a = snapshot(&one);
    let b = snapshot(&four);
    let files: Vec<&String> = a.keys().collect();
    for expected in [
        "hotspots_h3.geojson",
        "places.geojson",
        "place_time_bins.csv",
        "report.html",
        "tiles/all.mbtiles",
        "tiles/all.pmtiles",
        "tiles/21-24_winter.pmtiles",
        "images/overview_21-24_winter.png",
        "kde_isolines/21-24_winter.geojson",
    ] {
        assert!(a.contains_key(expected), "{expected} missing: {files:?}");
    }
    assert!(a.keys().any(|k| k.starts_with("tiles/all/12/")));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (k, v) in &a {
        assert!(v == &b[k], "{k} differs between 1 and 4 threads");
    }
    viewer_shows_the_run(&a);
    // The hostile place names reached the outputs (as data) ...
    assert!(String::from_utf8_lossy(&a["places.geojson"]).contains("../../etc"));
    // ... but no path: every name is a plain one, nothing was written next to
    // the output folders, and no temporary file is left.
    for k in a.keys() {
        for part in k.split('/') {
            assert!(
                part == OutputDir::MARKER || safe_file_name(part) == part,
                "{k}"
            );
        }
        assert!(!k.contains(".tmp"), "{k}"); // temporary names start with `.` too
    }
    assert_eq!(names(base.path()), ["four", "input", "one"]);

    // A run killed earlier left its staging folder; now a run fails late
    // (the safe-haven candidates file is read only after the maps, tiles and
    // the services, profile and route layers are written) into `one`.
    let killed = base
        .path()
        .join(format!("one.byrum-partial-{}-0", u32::MAX - 1));
    std::fs::create_dir_all(killed.join("tiles")).unwrap();
    std::fs::write(killed.join(OutputDir::MARKER), b"").unwrap();
    let (ok, stderr) = run_report(
        &bin,
        &input,
        &one,
        4,
        &["--haven-candidates", "no-such-candidates.geojson"],
    );
    assert!(
        !ok && stderr.contains("no-such-candidates.geojson"),
        "{stderr}"
    );
    assert!(
        snapshot(&one) == a,
        "the failed run changed the old outputs"
    );
    assert_eq!(names(base.path()), ["four", "input", "one"]);
}
