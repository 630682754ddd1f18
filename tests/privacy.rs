//! Privacy of the people in the data (issue 6).
//!
//! - The scan: the main example (`examples/report`) runs on a small subset of
//!   the demo data (every 40th incident) with `--min-count 5` and tiles, and
//!   every output file is checked for counts under k, rates of withheld
//!   counts, small counts in the report's text and tables, raw incident
//!   coordinates, and tiles deeper than the privacy zoom.
//! - `--raw-points` writes `incidents.geojson` (and says so) only when asked.
//! - The tile writer's limits (minimum bandwidth, maximum zoom).
//! - Complementary suppression in the place profiles.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp
)]

mod common;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use byrum::*;
use serde_json::Value;

const K: u64 = 5;

/// The `report` example (`tests/common`).
fn example_binary() -> PathBuf {
    common::example_binary("report")
}

fn run_example(input: &Path, out: &Path, extra: &[&str]) -> String {
    let output = Command::new(example_binary())
        .arg("--input")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(["--min-count", &K.to_string(), "--image-width", "400"])
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    // Step lines (stdout) and warnings (stderr).
    let stdout = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "the example failed:\n{stdout}");
    stdout
}

/// Whether a column or property holds a count of incidents. The rule: the
/// name (lower case) starts with `cat_` (category counts) or contains
/// `count`, `incidents` or `unmet`; but not if it contains `share`, `per_`,
/// `rate`, `ratio` or `hours`, starts with `n_open` (services open), or is
/// `occurrences` (how often a weekly window occurs).
fn is_count_column(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    if ["share", "per_", "rate", "ratio", "hours"]
        .iter()
        .any(|w| n.contains(w))
        || n.starts_with("n_open")
        || n == "occurrences"
    {
        return false;
    }
    n.starts_with("cat_")
        || ["count", "incidents", "unmet"]
            .iter()
            .any(|w| n.contains(w))
}

/// A count value that breaks the rule: a number other than 0 below k.
fn small(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0 && x.abs() < K as f64),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .is_ok_and(|x| x != 0.0 && x.abs() < K as f64),
        _ => false,
    }
}

/// Names derived from a withheld count: with `count` (or `unmet`) in the
/// name replaced by one of these, same prefix and suffix. E.g. `count` →
/// `rate_per_hour`; `weekday_count` → `weekday_rate`, `weekday_low`;
/// `count_21-24_summer` → `rate_21-24_summer`; `marginal_count` →
/// `marginal_share`; `unmet` → `unmet_share`.
const DERIVED: &[&str] = &[
    "rate",
    "rate_per_hour",
    "rate_per_100m",
    "rate_per_hour_per_100m",
    "rate_per_hour_per_1000m2",
    "rate_low",
    "rate_high",
    "low",
    "high",
    "share",
    "weight",
    "unmet_share",
];

/// Problems in one record (a feature's properties or a CSV row).
fn check_record(file: &str, record: &[(String, Value)], problems: &mut Vec<String>) {
    for (name, v) in record {
        if is_count_column(name) && small(v) {
            problems.push(format!("{file}: {name} = {v} (below {K})"));
        }
    }
    for (name, v) in record {
        if !v.is_null() || !is_count_column(name) {
            continue;
        }
        let Some((prefix, suffix)) = name
            .split_once("count")
            .or_else(|| name.split_once("unmet"))
        else {
            continue;
        };
        for (other, w) in record {
            if w.is_null() || other == name {
                continue;
            }
            let Some(mid) = other
                .strip_prefix(prefix)
                .and_then(|o| o.strip_suffix(suffix))
            else {
                continue;
            };
            if DERIVED.contains(&mid) {
                problems.push(format!("{file}: {other} = {w} although {name} is withheld"));
            }
        }
    }
}

fn scan_geojson(file: &str, text: &str, problems: &mut Vec<String>) {
    let v: Value = serde_json::from_str(text).unwrap();
    for f in v["features"].as_array().into_iter().flatten() {
        let record: Vec<(String, Value)> = f["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        check_record(file, &record, problems);
    }
}

/// A CSV line split at commas outside quotes (the outputs quote fields with commas).
fn split_csv(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn scan_csv(file: &str, text: &str, problems: &mut Vec<String>) {
    let mut lines = text.lines();
    let Some(header) = lines.next() else { return };
    let cols = split_csv(header);
    for line in lines {
        let record: Vec<(String, Value)> = cols
            .iter()
            .cloned()
            .zip(split_csv(line).into_iter().map(|c| {
                if c.is_empty() {
                    Value::Null
                } else {
                    Value::String(c)
                }
            }))
            .collect();
        check_record(file, &record, problems);
    }
}

/// An integer as the report writes it (`2,983`, `2.983`, `44`); `None` for
/// decimals (`1.9`) and anything else.
fn report_integer(token: &str) -> Option<u64> {
    let t = token
        .trim()
        .trim_start_matches(['(', '*'])
        .trim_end_matches(['*', ')']);
    let groups: Vec<&str> = t.split([',', '.', '\u{a0}']).collect();
    let ok = !t.is_empty()
        && groups[0].len() <= 3.max(if groups.len() == 1 { 12 } else { 3 })
        && groups
            .iter()
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
        && groups[1..].iter().all(|g| g.len() == 3);
    ok.then(|| groups.concat().parse().ok()).flatten()
}

/// Small counts in the report's Markdown. Heuristic: (1) in text, an integer
/// followed (optionally after `more`/`fewer`/`flere`/`færre`) by
/// `incident(s)` or `hændelse(r)`; (2) in tables, integer cells of a column
/// whose header names incidents, unmet need or a count (`incident`,
/// `hændelse`, `unmet`, `udækket`, `count`, `antal`) and not a rate, share
/// or hours (`per`, `pr.`, `share`, `andel`, `rate`, `hour`, `time`, `%`);
/// cells with `%` are shares and skipped.
/// "fewer than 5 incidents" is the suppressed form and passes (5 is not < k).
fn scan_report(text: &str, problems: &mut Vec<String>) {
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let mut j = i + 1;
        if words
            .get(j)
            .is_some_and(|n| ["more", "fewer", "flere", "færre"].contains(n))
        {
            j += 1;
        }
        let Some(next) = words.get(j) else { continue };
        let next = next.to_lowercase();
        if (next.starts_with("incident") || next.starts_with("hændelse"))
            && let Some(n) = report_integer(w)
            && n > 0
            && n < K
        {
            problems.push(format!(
                "report.md: \"{} {}\"",
                w,
                words[i + 1..=j].join(" ")
            ));
        }
    }
    let mut count_cols: Vec<usize> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            count_cols.clear();
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells
            .iter()
            .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
        {
            continue;
        }
        if count_cols.is_empty() {
            count_cols = cells
                .iter()
                .enumerate()
                .filter(|(_, h)| {
                    let h = h.to_lowercase();
                    ["incident", "hændelse", "unmet", "udækket", "count", "antal"]
                        .iter()
                        .any(|w| h.contains(w))
                        && !["per", "pr.", "share", "andel", "rate", "hour", "time", "%"]
                            .iter()
                            .any(|w| h.contains(w))
                })
                .map(|(i, _)| i)
                .collect();
            if count_cols.is_empty() {
                count_cols.push(usize::MAX); // a table without count columns
            }
            continue;
        }
        for &c in &count_cols {
            let Some(cell) = cells.get(c) else { continue };
            if cell.contains('%') {
                continue; // a share
            }
            let first = cell.split_whitespace().next().unwrap_or("");
            if let Some(n) = report_integer(first)
                && n > 0
                && n < K
            {
                problems.push(format!("report.md: table cell {cell:?} in {line}"));
            }
        }
    }
}

/// Adjacent numbers in `text` written exactly as an input incident's
/// (lon, lat) text (both as Rust prints the number), either order (a lat,
/// lon table). Exact text: the
/// outputs write 7 decimals, so a computed vertex only matches by a
/// 1-in-100 coincidence of trailing zeros, while a copied input point
/// always does.
fn raw_coordinates(text: &str, pairs: &HashSet<(String, String)>) -> usize {
    let nums: Vec<String> = text
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter(|t| t.contains('.'))
        .filter_map(|t| t.parse::<f64>().ok())
        .map(|v| v.to_string())
        .collect();
    nums.windows(2)
        .filter(|w| {
            let (a, b) = (w[0].clone(), w[1].clone());
            pairs.contains(&(a.clone(), b.clone())) || pairs.contains(&(b, a))
        })
        .count()
}

/// The input pairs as numbers print (`57.043420` → `57.04342`), as the outputs write them.
fn coordinate_set(pairs: &[(String, String)]) -> HashSet<(String, String)> {
    let f = |s: &str| s.parse::<f64>().unwrap().to_string();
    pairs.iter().map(|(a, b)| (f(a), f(b))).collect()
}

/// Every output of the main example on a small input holds no count under
/// k, no rate of a withheld count, no small count in the report, no raw
/// incident coordinates and no tile deeper than the privacy zoom.
#[test]
fn main_example_outputs_hold_nothing_under_k() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    let out = tmp.path().join("out");
    let pairs = common::demo_subset(&input, 40);
    assert!(pairs.len() > 1000);
    let coords = coordinate_set(&pairs);
    let stdout = run_example(
        &input,
        &out,
        &["--tile-formats", "xyz", "--tile-zooms", "12-17"],
    );
    assert!(stdout.contains("not shown"), "{stdout}");
    assert!(!stdout.contains("raw incident points"), "{stdout}");
    assert!(!out.join("incidents.geojson").exists());

    let mut problems = Vec::new();
    let mut scanned = (0, 0, 0);
    for path in common::files_under(&out) {
        let rel = path.strip_prefix(&out).unwrap().display().to_string();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if matches!(ext, "png" | "mbtiles" | "pmtiles") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        match ext {
            "geojson" => {
                scan_geojson(&rel, &text, &mut problems);
                scanned.0 += 1;
            }
            "csv" => {
                scan_csv(&rel, &text, &mut problems);
                scanned.1 += 1;
            }
            "md" => {
                scan_report(&text, &mut problems);
                scanned.2 += 1;
            }
            _ => {}
        }
        let raw = raw_coordinates(&text, &coords);
        if raw > 0 {
            problems.push(format!("{rel}: {raw} raw incident coordinates"));
        }
    }
    assert!(
        scanned.0 >= 40 && scanned.1 >= 8 && scanned.2 == 1,
        "{scanned:?}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Tiles: nothing deeper than the zoom whose pixels are 1/8 of the
    // bandwidth; the bandwidth is at least 50 m, so zoom 13 at most here.
    let zooms: Vec<u8> = std::fs::read_dir(out.join("tiles/all"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().parse().unwrap())
        .collect();
    assert!(
        !zooms.is_empty() && zooms.iter().all(|&z| (12..=13).contains(&z)),
        "{zooms:?}"
    );
    assert!(stdout.contains("tiles stop at zoom"), "{stdout}");
}

/// The scan's detectors find what they look for (so the scan can fail).
#[test]
fn the_detectors_catch_leaks() {
    let mut p = Vec::new();
    let rec = |v: &[(&str, Value)]| -> Vec<(String, Value)> {
        v.iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    };
    check_record("a", &rec(&[("count_21-24_summer", 3.into())]), &mut p);
    check_record("b", &rec(&[("cat_noise", "2".into())]), &mut p);
    check_record(
        "c",
        &rec(&[("weekday_count", Value::Null), ("weekday_rate", 0.1.into())]),
        &mut p,
    );
    check_record(
        "d",
        &rec(&[("unmet", Value::Null), ("unmet_share", 0.5.into())]),
        &mut p,
    );
    check_record(
        "e",
        &rec(&[("count", Value::Null), ("rate_per_hour", 0.5.into())]),
        &mut p,
    );
    assert_eq!(p.len(), 5, "{p:?}");
    // Allowed: zero, null, ≥ k, rates, services open, hours.
    let mut q = Vec::new();
    check_record(
        "ok",
        &rec(&[
            ("count", 0.into()),
            ("count_a", Value::Null),
            ("incidents", 5.into()),
            ("rate_per_hour", 0.01.into()),
            ("n_open", 2.into()),
            ("walked_hours", 3.0.into()),
            ("unmet_per_visit", 0.2.into()),
        ]),
        &mut q,
    );
    assert!(q.is_empty(), "{q:?}");

    let mut r = Vec::new();
    scan_report(
        "In all, 3 incidents happened. Fewer than 5 incidents are not shown; 2,983 incidents; 1.9 incidents per hour.\n\n\
         | Place | Incidents | Per hour |\n|---|---:|---:|\n| A | 4 | 0.1 |\n| B | 12 | 2 |\n| C | – | 3 |\n",
        &mut r,
    );
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(report_integer("2,983"), Some(2983));
    assert_eq!(report_integer("1.9"), None);

    let pairs = vec![("9.916907".to_owned(), "57.043428".to_owned())];
    let set = coordinate_set(&pairs);
    assert_eq!(raw_coordinates("[9.916907,57.043428]", &set), 1);
    assert_eq!(raw_coordinates("lat,lon\n57.043428,9.916907", &set), 1);
    assert_eq!(raw_coordinates("[9.916906,57.043428]", &set), 0);
    assert_eq!(raw_coordinates("[9.9169071,57.0434281]", &set), 0);
}

/// `--raw-points` writes every incident to `incidents.geojson`, with a warning.
#[test]
fn raw_points_only_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    let out = tmp.path().join("out");
    let pairs = common::demo_subset(&input, 200);
    let stdout = run_example(&input, &out, &["--no-tiles", "--raw-points"]);
    assert!(stdout.contains("warning: wrote"), "{stdout}");
    let text = std::fs::read_to_string(out.join("incidents.geojson")).unwrap();
    assert_eq!(raw_coordinates(&text, &coordinate_set(&pairs)), pairs.len());
}

fn one_point_surface(bandwidth: f64, kernel: Kernel) -> (DensitySurface, Projection) {
    let p = Projection::for_point(9.92, 57.05).unwrap();
    let (x, y) = p.forward(9.9187, 57.0488).unwrap();
    let grid = MetricGrid::covering((x - 400.0, y - 400.0, x + 400.0, y + 400.0), 10.0).unwrap();
    let s = Kde::new()
        .kernel(kernel)
        .bandwidth(Bandwidth::Fixed(bandwidth))
        .compute(&grid, &[x], &[y], None)
        .unwrap();
    (s, p)
}

/// The tile writer refuses a kernel narrower than the minimum bandwidth and
/// tiles deeper than the maximum zoom; the limits follow the documented rule.
#[test]
fn tile_limits() {
    let (s, p) = one_point_surface(100.0, Kernel::Quartic);
    let scale =
        ColourScale::new(Ramp::Viridis, (0.02 * s.max(), s.max()), Scaling::Linear).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let w = HeatmapTiles::new(&scale, &p);
    // Rule: deepest z with metres_per_pixel(lat, z, 256) ≥ bandwidth / 8.
    for (b, lat) in [(50.0, 57.05), (100.0, 57.05), (400.0, 0.0), (60.0, 70.0)] {
        let z = w.max_zoom(b, lat).unwrap();
        assert!(metres_per_pixel(lat, z, 256) >= b / 8.0);
        assert!(metres_per_pixel(lat, z + 1, 256) < b / 8.0);
    }
    // By hand at 57.05° N: 2π·6378137·cos(57.05°) / 256 = 85,187 m at z0;
    // / 2^12 = 20.8 m ≥ 12.5 m, / 2^13 = 10.4 m < 12.5 m.
    assert_eq!(w.max_zoom(100.0, 57.05), Some(12));
    // 512-px tiles have half-size pixels: one zoom less.
    assert_eq!(w.clone().size(512).max_zoom(100.0, 57.05), Some(11));
    let z12 = TileId::containing(9.9187, 57.0488, 12).unwrap();
    let z13 = TileId::containing(9.9187, 57.0488, 13).unwrap();
    assert_eq!(
        w.write(&[("all", &s)], &[z12], dir.path(), |_| {}).unwrap()[0].tiles,
        1
    );
    let err = w
        .write(&[("all", &s)], &[z12, z13], dir.path(), |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("zoom 12"), "{err}");
    // Below the minimum bandwidth: refused whatever the zoom.
    let (narrow, _) = one_point_surface(30.0, Kernel::Quartic);
    let err = w
        .write(&[("all", &narrow)], &[z12], dir.path(), |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("30.0 m") && err.contains("50 m"), "{err}");
    assert!(
        w.clone()
            .min_bandwidth_m(25.0)
            .write(&[("all", &narrow)], &[z12], dir.path(), |_| {})
            .is_ok()
    );
    // Kernels compare by spread: a Gaussian σ = 20 m is a 56.6 m quartic (σ·√8).
    let (g, _) = one_point_surface(20.0, Kernel::Gaussian);
    assert!((tile_bandwidth_m(&g) - 20.0 * 8f64.sqrt()).abs() < 1e-9);
    let (g, _) = one_point_surface(15.0, Kernel::Gaussian);
    assert!(w.write(&[("all", &g)], &[z12], dir.path(), |_| {}).is_err());
}

/// Place profiles: a withheld part of a shown total takes a second part with
/// it (weekday/weekend, categories, hour × season).
#[test]
fn profiles_get_complementary_suppression() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incidents.csv");
    // 20 incidents in the square: 17 on weekdays (Mon 3 – Wed 5 July 2023),
    // 3 on Saturday 8 July; 19 noise and 1 littering; all at 21:30.
    let mut csv = String::from("id,lon,lat,timestamp,category\n");
    for i in 0..20 {
        let day = if i < 17 { 3 + i % 3 } else { 8 };
        let cat = if i == 0 { "littering" } else { "noise" };
        writeln!(
            csv,
            "{i},9.9205,57.0505,2023-07-{day:02}T21:30:00+02:00,{cat}"
        )
        .unwrap();
    }
    csv += "x,9.9500,57.0600,2023-07-10T12:00:00+02:00,noise\n";
    std::fs::write(&path, csv).unwrap();
    let mut ds = DatasetBuilder::new()
        .incidents(IncidentReader::new().read_csv(&path).unwrap())
        .build()
        .unwrap();
    let ring = vec![
        (9.920, 57.050),
        (9.921, 57.050),
        (9.921, 57.051),
        (9.920, 57.051),
    ];
    ds.places = vec![Place {
        id: "torvet".into(),
        name: "Torvet".into(),
        kind: PlaceKind::Square,
        geometry: geo::MultiPolygon(vec![geo::Polygon::new(ring.into(), vec![])]),
        attributes: Attributes::new(),
    }];
    let index = SpatialIndex::build(&ds).unwrap();
    let place_of = index.place_of_incidents(&ds);
    let out = PlaceProfiles::new()
        .compute(&ds, &index, &place_of, &TimeBinning::default())
        .unwrap();
    let t = &out.places[0];
    assert_eq!(t.count, Some(20));
    // Weekend 3 is withheld, and so is weekday 17 (else 20 − 17 = 3).
    assert!(
        t.daytype
            .iter()
            .all(|e| e.count.is_none() && e.rate.is_none() && e.suppressed)
    );
    // Littering 1 is withheld, and so is noise 19; the other categories are 0.
    for (name, c) in out.categories.iter().zip(&t.categories) {
        match name.as_str() {
            "littering" | "noise" => assert_eq!(*c, None, "{name}"),
            _ => assert_eq!(*c, Some(0), "{name}"),
        }
    }
    // All 20 in one hour × season cell (21-24 summer): shown, nothing withheld.
    assert_eq!(t.hour_season.iter().filter_map(|e| e.count).max(), Some(20));
    assert!(t.hour_season.iter().all(|e| !e.suppressed));
}
