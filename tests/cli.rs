//! The `byrum` program as a new user and a script run it: `--help`, the
//! subcommands, the config file (saved, read back, command line wins,
//! errors with file and line), `--json`, `--quiet`, and the exit codes.
//!
//! Runs on a small deterministic subset of the demo (every 40th incident).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::missing_panics_doc,
    clippy::panic
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// `byrum` with `args`, run in `dir`.
fn byrum(dir: &Path, args: &[&str]) -> Output {
    Command::new(common::example_binary("byrum"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

/// A temp folder with the small input in `small/`.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::demo_subset(&dir.path().join("small"), 40);
    dir
}

/// Fast options for the runs here.
const FAST: &[&str] = &["--kde-cell", "25"];

/// Every file under `dir`, relative, with its bytes.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    common::files_under(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p.strip_prefix(dir).unwrap().to_path_buf(), bytes)
        })
        .collect()
}

#[test]
fn help_names_every_subcommand_with_examples_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let o = byrum(dir.path(), &["--help"]);
    assert_eq!(code(&o), 0);
    let (out, _) = text(&o);
    for sub in ["report", "hotspots", "tiles", "evaluate", "inspect"] {
        assert!(out.contains(&format!("  {sub} ")), "{sub} missing:\n{out}");
        let o = byrum(dir.path(), &[sub, "--help"]);
        assert_eq!(code(&o), 0, "{sub} --help");
        let (help, _) = text(&o);
        assert!(help.contains("Examples:"), "{sub}:\n{help}");
        assert!(help.contains("Exit codes:"), "{sub}:\n{help}");
        assert!(help.contains("--config <FILE>"), "{sub}:\n{help}");
    }
    assert!(out.contains("--save-config") && out.contains("--json") && out.contains("--quiet"));
    // A subcommand's help shows only its own option groups.
    let (tiles, _) = text(&byrum(dir.path(), &["tiles", "--help"]));
    assert!(
        tiles.contains("--ramp") && !tiles.contains("--gap-kinds") && !tiles.contains("--h3-res")
    );
    let (eval, _) = text(&byrum(dir.path(), &["evaluate", "--help"]));
    assert!(eval.contains("--interventions") && !eval.contains("--ramp"));
    let o = byrum(dir.path(), &["--version"]);
    assert_eq!(code(&o), 0);
    assert!(text(&o).0.contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn exit_codes_say_what_went_wrong() {
    let ws = workspace();
    let d = ws.path();
    // 2: usage — an unknown subcommand, a bad value, a missing --out.
    assert_eq!(code(&byrum(d, &["frobnicate"])), 2);
    let o = byrum(
        d,
        &[
            "hotspots", "--input", "small", "--out", "o", "--h3-res", "nine",
        ],
    );
    assert_eq!(code(&o), 2);
    assert!(text(&o).1.contains("--h3-res"), "{}", text(&o).1);
    let o = byrum(d, &["hotspots", "--input", "small"]);
    assert_eq!(code(&o), 2);
    assert!(text(&o).1.contains("give --out DIR"), "{}", text(&o).1);
    let o = byrum(
        d,
        &[
            "tiles", "--input", "small", "--out", "o", "--ramp", "rainbow",
        ],
    );
    assert_eq!(code(&o), 2);
    assert!(text(&o).1.contains("viridis"), "{}", text(&o).1);
    // 3: input — a missing file, a folder without incidents.
    let o = byrum(d, &["inspect", "--incidents", "nowhere.csv"]);
    assert_eq!(code(&o), 3, "{:?}", text(&o));
    assert!(text(&o).1.contains("nowhere.csv"), "{}", text(&o).1);
    std::fs::create_dir_all(d.join("empty")).unwrap();
    let o = byrum(d, &["hotspots", "--input", "empty", "--out", "o"]);
    assert_eq!(code(&o), 3, "{:?}", text(&o));
    assert!(
        text(&o).1.contains("holds no incidents.csv"),
        "{}",
        text(&o).1
    );
    // 4: output — --out below a plain file; nothing is written.
    std::fs::write(d.join("plain"), "x").unwrap();
    let o = byrum(
        d,
        &[
            "evaluate",
            "--input",
            "small",
            "--out",
            "plain/out",
            "--quiet",
        ],
    );
    assert_eq!(code(&o), 4, "{:?}", text(&o));
    assert_eq!(std::fs::read(d.join("plain")).unwrap(), b"x");
    // 5: inspect --strict with a row that would be rejected; 0 without --strict.
    let mut csv = std::fs::read_to_string(d.join("small/incidents.csv")).unwrap();
    csv.push_str("bad1,9.91,57.04,2023-13-45 25:00,noise\n");
    std::fs::write(d.join("small/incidents.csv"), csv).unwrap();
    let lines = std::fs::read_to_string(d.join("small/incidents.csv"))
        .unwrap()
        .lines()
        .count();
    let o = byrum(d, &["inspect", "--input", "small"]);
    assert_eq!(code(&o), 0);
    let (out, _) = text(&o);
    assert!(
        out.contains(&format!("incidents.csv:{lines}: unparseable_time")),
        "{out}"
    );
    assert_eq!(
        code(&byrum(d, &["inspect", "--input", "small", "--strict"])),
        5
    );
}

#[test]
fn inspect_json_reconciles_every_row() {
    let ws = workspace();
    let d = ws.path();
    let o = byrum(d, &["inspect", "--input", "small", "--json"]);
    assert_eq!(code(&o), 0, "{:?}", text(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).expect("stdout is one JSON document");
    let ingest = &doc["ingest"];
    let inputs = ingest["inputs"].as_array().unwrap();
    let kinds: Vec<&str> = inputs.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["incidents", "places", "services", "routes", "interventions"]
    );
    for r in inputs {
        assert_eq!(
            r["read"].as_u64().unwrap(),
            r["accepted"].as_u64().unwrap() + r["rejected"].as_u64().unwrap()
        );
    }
    let rows = std::fs::read_to_string(d.join("small/incidents.csv"))
        .unwrap()
        .lines()
        .count() as u64
        - 1;
    assert_eq!(inputs[0]["read"].as_u64().unwrap(), rows);
    assert_eq!(doc["run"]["time_zone"], "Europe/Copenhagen");
    assert_eq!(doc["status"], "ok");
}

#[test]
fn a_saved_config_reruns_the_same_analysis_and_the_command_line_wins() {
    let ws = workspace();
    let d = ws.path();
    let mut first = vec![
        "hotspots",
        "--input",
        "small",
        "--out",
        "a",
        "--h3-res",
        "8",
        "--hour-buckets",
        "4",
        "--save-config",
        "saved.toml",
        "--quiet",
    ];
    first.extend(FAST);
    let o = byrum(d, &first);
    assert_eq!(code(&o), 0, "{:?}", text(&o));
    assert!(
        text(&o).0.is_empty(),
        "--quiet prints nothing: {:?}",
        text(&o).0
    );
    let saved = std::fs::read_to_string(d.join("saved.toml")).unwrap();
    for line in [
        "h3_res = 8",
        "hour_buckets = 4",
        "input = \"small\"",
        "kde_cell = 25",
    ] {
        assert!(saved.contains(line), "{line} not in\n{saved}");
    }
    assert!(
        saved.contains("# tz = "),
        "unset options are listed, commented out"
    );
    let parsed: toml::Table = saved.parse().expect("the saved file is TOML");
    assert!(parsed.contains_key("fdr_alpha"), "defaults are saved too");

    // The same analysis from the file alone: the same bytes.
    let o = byrum(
        d,
        &["hotspots", "--config", "saved.toml", "--out", "b", "-q"],
    );
    assert_eq!(code(&o), 0, "{:?}", text(&o));
    let (a, b) = (tree(&d.join("a")), tree(&d.join("b")));
    assert!(a.len() > 30, "{} files", a.len());
    assert!(a == b, "the config reproduces the run byte for byte");

    // The command line wins over the file; paths are relative to the file.
    std::fs::create_dir_all(d.join("cfg")).unwrap();
    std::fs::write(
        d.join("cfg/city.toml"),
        "# a hand-written config\ninput = \"../small\"\nh3_res = 8\nkde_levels = [0.2, 0.5]\ndrop_duplicates = true\n",
    )
    .unwrap();
    let json = |extra: &[&str]| -> Value {
        let mut args = vec![
            "hotspots",
            "--config",
            "cfg/city.toml",
            "--out",
            "c",
            "--json",
        ];
        args.extend(extra);
        args.extend(FAST);
        let o = byrum(d, &args);
        assert_eq!(code(&o), 0, "{:?}", text(&o));
        serde_json::from_slice(&o.stdout).expect("stdout is one JSON document")
    };
    let from_file = json(&[]);
    assert_eq!(from_file["findings"]["hot_spots"]["h3_resolution"], 8);
    assert_eq!(from_file["status"], "ok");
    let ingest = &from_file["ingest"];
    assert_eq!(
        ingest["read"].as_u64().unwrap(),
        ingest["accepted"].as_u64().unwrap() + ingest["rejected"].as_u64().unwrap()
    );
    assert!(from_file["files"].as_u64().unwrap() > 30);
    assert!(!d.join("aggs").exists(), "aggregates only when asked");
    let overridden = json(&["--h3-res", "10", "--aggregates", "aggs"]);
    assert_eq!(overridden["findings"]["hot_spots"]["h3_resolution"], 10);
    // The exact (unsuppressed) aggregates go where asked, outside --out.
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("aggs").join(byrum::AGGREGATE_MANIFEST)).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["suppressed"], false);
    assert!(
        common::files_under(&d.join("c"))
            .iter()
            .all(|p| !p.to_string_lossy().contains("parquet"))
    );
}

#[test]
fn config_errors_name_the_file_and_line() {
    let ws = workspace();
    let d = ws.path();
    let check = |body: &str, wants: &[&str]| {
        std::fs::write(d.join("bad.toml"), body).unwrap();
        let o = byrum(d, &["tiles", "--config", "bad.toml", "--out", "o"]);
        assert_eq!(code(&o), 2, "{body}: {:?}", text(&o));
        let (_, err) = text(&o);
        for w in wants {
            assert!(err.contains(w), "{w:?} not in {err}");
        }
    };
    check(
        "input = \"small\"\n\nh3_resolution = 9\n",
        &["bad.toml:3", "h3_resolution", "did you mean `h3_res`"],
    );
    check(
        "input = \"small\"\nramp = \n",
        &["bad.toml:2", "not valid TOML"],
    );
    check("quiet = true\n", &["bad.toml:1", "command line"]);
    check("no_tiles = \"yes\"\n", &["bad.toml:1", "no_tiles = true"]);
    // A value of the wrong kind for the option is clap's message: exit 2 too.
    check("ramp = \"rainbow\"\n", &["rainbow"]);
    let o = byrum(d, &["tiles", "--config", "missing.toml", "--out", "o"]);
    assert_eq!(code(&o), 2);
    assert!(text(&o).1.contains("missing.toml"));
}

#[test]
fn tiles_and_evaluate_write_their_own_folders() {
    let ws = workspace();
    let d = ws.path();
    let mut args = vec![
        "tiles",
        "--input",
        "small",
        "--out",
        "t",
        "--tile-zooms",
        "12-13",
        "--image-width",
        "400",
        "--json",
    ];
    args.extend(FAST);
    let o = byrum(d, &args);
    assert_eq!(code(&o), 0, "{:?}", text(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(d.join("t/tiles/legend.json").is_file());
    assert!(d.join("t/images/legend.png").is_file());
    assert!(
        !d.join("t/gistar_h3.geojson").exists(),
        "tiles writes no hot spot layers"
    );
    assert!(doc["findings"]["density"]["bandwidth_m"].as_f64().unwrap() >= 50.0);

    let o = byrum(d, &["evaluate", "--input", "small", "--out", "e", "--json"]);
    assert_eq!(code(&o), 0, "{:?}", text(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let found = doc["findings"]["interventions"].as_array().unwrap();
    assert_eq!(found.len(), 2, "{doc}");
    assert!(d.join("e/intervention_results.csv").is_file());
    assert!(!d.join("e/tiles").exists());
    // The step lines went to stderr: stdout held only the document.
    assert!(text(&o).1.contains("from 2024-01-01"), "{}", text(&o).1);
}
