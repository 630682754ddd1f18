//! The offline map viewer of an output folder: `index.html`, opened by a
//! double-click (`file://`) or from `python3 -m http.server`, with no
//! internet (no base map, no CDN, no fonts).
//!
//! [`write_viewer`] runs last, on the finished output folder, and writes
//!
//! - `index.html`: the page (Leaflet map, time-bin controls, legend);
//! - `viewer/data.js`: `window.BYRUM_DATA = {...};` — the time bins, the tile
//!   sets with the list of tiles that exist, `tiles/legend.json`, and the
//!   aggregate GeoJSON layers as they were written (a `<script>`, because
//!   Chromium blocks `fetch` of local files under `file://`);
//! - `viewer/viewer.js`, `viewer/viewer.css`: the page's own code (embedded
//!   in the program);
//! - `viewer/lib/`: Leaflet (`leaflet.js`, `leaflet.css`, `images/`), copied
//!   from the npm package in `examples/byrum/viewer/node_modules` (installed
//!   there with `npm ci` on first use; `BYRUM_VIEWER_DIR` points elsewhere).
//!
//! Raw incident points never reach the viewer: it embeds only the aggregate
//! layers in [`LAYERS`] (never `incidents.geojson`). Every file is written
//! with [`byrum::write_atomic`], and the same folder gives the same bytes.
//! The viewer never fails a run: a missing Leaflet or a layer that cannot be
//! embedded becomes a message in the page and a warning in [`ViewerSummary`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use byrum::write_atomic;

/// The aggregate layers the viewer shows, in drawing order (bottom first).
/// Only these files are embedded; raw incident points are never among them.
pub(crate) const LAYERS: [&str; 7] = [
    "gistar_h3.geojson",
    "safe_haven_coverage.geojson",
    "hot_spot_coverage.geojson",
    "places.geojson",
    "route_segments.geojson",
    "services.geojson",
    "safe_havens.geojson",
];

/// Layers above this size (bytes) are left out of the page, with a message:
/// the whole `data.js` is parsed by the browser at load.
pub(crate) const MAX_LAYER_BYTES: u64 = 20 * 1024 * 1024;

/// The page's own code, embedded in the program.
const VIEWER_JS: &str = include_str!("../viewer/src/viewer.js");
const VIEWER_CSS: &str = include_str!("../viewer/src/viewer.css");
const INDEX_HTML: &str = include_str!("../viewer/src/index.html");

/// Leaflet's files the page loads, under `node_modules/leaflet/dist/`.
const LEAFLET_FILES: [&str; 2] = ["leaflet.js", "leaflet.css"];

/// What [`write_viewer`] wrote, for the console and the report.
#[derive(Debug, Clone, Default)]
pub(crate) struct ViewerSummary {
    /// The page: `<out>/index.html`.
    pub index: PathBuf,
    /// The GeoJSON files embedded as layers, in drawing order.
    pub layers: Vec<String>,
    /// Layers that exist but were left out, with the reason (too large, not JSON).
    pub left_out: Vec<(String, String)>,
    /// The time bins of the heatmap tile sets (`all`, `21-24_winter`, …); empty without tiles.
    pub bins: Vec<String>,
    /// Tiles listed over all tile sets.
    pub tiles: usize,
    /// Whether Leaflet was copied into `viewer/lib` (without it the page shows a message).
    pub leaflet: bool,
    /// Problems worth a line on the console (Leaflet missing, layers left out).
    pub warnings: Vec<String>,
}

impl ViewerSummary {
    /// One line about the viewer for the console (its warnings are separate).
    pub(crate) fn line(&self) -> String {
        format!(
            "viewer: {} in the output folder ({} layers, {} time bins, {} tiles); open it in a browser, no internet needed",
            self.index.file_name().map_or_else(
                || self.index.display().to_string(),
                |n| n.to_string_lossy().into_owned()
            ),
            self.layers.len(),
            self.bins.len(),
            self.tiles
        )
    }
}

/// Writes the offline viewer of the finished output folder `out` (see the
/// module documentation), with Leaflet from the viewer's npm package
/// (`BYRUM_VIEWER_DIR`, else `examples/byrum/viewer` of this source tree).
/// Fails only when a file cannot be written; a missing Leaflet or an unusable
/// layer is a warning.
pub(crate) fn write_viewer(out: &Path) -> byrum::Result<ViewerSummary> {
    write_viewer_with(out, &package_dir())
}

/// [`write_viewer`] with Leaflet from the npm package in `package`
/// (`package/node_modules/leaflet/dist`, installed by `npm ci` if missing).
pub(crate) fn write_viewer_with(out: &Path, package: &Path) -> byrum::Result<ViewerSummary> {
    let mut summary = ViewerSummary {
        index: out.join("index.html"),
        ..ViewerSummary::default()
    };
    let mut messages: Vec<String> = Vec::new();

    // Leaflet from the npm package.
    match leaflet_dist(package) {
        Ok(dist) => {
            copy_leaflet(&dist, &out.join("viewer").join("lib"))?;
            summary.leaflet = true;
        }
        Err(why) => {
            let msg = format!(
                "the map library (Leaflet) is not installed, so the map cannot be drawn: {why}. \
                 Install it with `npm ci` in examples/byrum/viewer and run again."
            );
            summary.warnings.push(msg.clone());
            messages.push(msg);
        }
    }

    // The legend and the tile sets.
    let legend_path = out.join("tiles").join("legend.json");
    let legend: Option<serde_json::Value> = std::fs::read_to_string(&legend_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let (legend_bins, tiles) = tile_sets(out, legend.as_ref());
    summary.tiles = tiles.iter().map(|s| s.tiles.len()).sum();

    // The layers, as written.
    let mut layer_json = String::from("[");
    let mut bins_from_layers: Vec<String> = Vec::new();
    for name in LAYERS {
        let path = out.join(name);
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.len() > MAX_LAYER_BYTES {
            let why = format!(
                "{:.1} MB, above the viewer's limit of {} MB; open it in a GIS instead",
                meta.len() as f64 / 1e6,
                MAX_LAYER_BYTES / (1024 * 1024)
            );
            left_out(&mut summary, &mut messages, name, why);
            continue;
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                left_out(
                    &mut summary,
                    &mut messages,
                    name,
                    format!("unreadable: {e}"),
                );
                continue;
            }
        };
        let value: serde_json::Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                left_out(&mut summary, &mut messages, name, format!("not JSON: {e}"));
                continue;
            }
        };
        if bins_from_layers.is_empty() {
            bins_from_layers = layer_bins(&value);
        }
        if summary.layers.is_empty() {
            layer_json.push('{');
        } else {
            layer_json.push_str(",{");
        }
        let stem = name.trim_end_matches(".geojson");
        // The file's own text, byte for byte (no float round trip).
        let _ = write!(
            layer_json,
            "\"file\":{},\"geojson\":{},\"name\":{}}}",
            serde_json::to_string(name)?,
            text.trim(),
            serde_json::to_string(stem)?
        );
        summary.layers.push(name.to_owned());
    }
    layer_json.push(']');

    // The time bins: the tile sets' (legend.json, with or without tiles to
    // show), else the layers' own.
    summary.bins = if legend_bins.is_empty() {
        let mut bins = bins_from_layers;
        if !bins.is_empty() && !bins.iter().any(|b| b == "all") {
            bins.insert(0, "all".to_owned());
        }
        bins
    } else {
        legend_bins
    };

    let tile_sets: Vec<serde_json::Value> = tiles
        .iter()
        .map(|s| {
            serde_json::json!({
                "bin": s.bin,
                "path": s.path,
                "tiles": s.tiles,
            })
        })
        .collect();
    let left: Vec<serde_json::Value> = summary
        .left_out
        .iter()
        .map(|(f, r)| serde_json::json!({"file": f, "reason": r}))
        .collect();
    // serde_json's map is sorted, so the keys come out in a fixed order.
    let head = serde_json::json!({
        "bins": summary.bins,
        "leaflet": summary.leaflet,
        "left_out": left,
        "legend": legend,
        "messages": messages,
        "tile_sets": tile_sets,
    });
    let head = serde_json::to_string(&head)?;
    // `{"bins":…,"tile_sets":[…]}` + `,"layers":[…]}`: one JSON object.
    let mut data = String::with_capacity(head.len() + layer_json.len() + 64);
    data.push_str("window.BYRUM_DATA = ");
    data.push_str(&head[..head.len() - 1]);
    data.push_str(",\"layers\":");
    data.push_str(&layer_json);
    data.push_str("};\n");

    let viewer = out.join("viewer");
    write_atomic(&viewer.join("data.js"), data.as_bytes())?;
    write_atomic(&viewer.join("viewer.js"), VIEWER_JS.as_bytes())?;
    write_atomic(&viewer.join("viewer.css"), VIEWER_CSS.as_bytes())?;
    write_atomic(
        &summary.index,
        index_html(summary.leaflet, &messages).as_bytes(),
    )?;
    Ok(summary)
}

/// Records a layer left out of the page.
fn left_out(summary: &mut ViewerSummary, messages: &mut Vec<String>, name: &str, why: String) {
    let msg = format!("{name} is not shown: {why}");
    summary.warnings.push(msg.clone());
    messages.push(msg);
    summary.left_out.push((name.to_owned(), why));
}

/// The page, with Leaflet's tags only when it was copied, and the messages
/// written into it (so they show even without JavaScript).
fn index_html(leaflet: bool, messages: &[String]) -> String {
    let (css, js) = if leaflet {
        (
            "<link rel=\"stylesheet\" href=\"viewer/lib/leaflet.css\">",
            "<script src=\"viewer/lib/leaflet.js\"></script>",
        )
    } else {
        ("", "")
    };
    let mut notes = String::new();
    for m in messages {
        let _ = write!(notes, "<li>{}</li>", html_escape(m));
    }
    INDEX_HTML
        .replace("<!--LEAFLET_CSS-->", css)
        .replace("<!--LEAFLET_JS-->", js)
        .replace("<!--MESSAGES-->", &notes)
}

/// Escapes text for HTML.
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The per-bin names a layer records in `byrum.parameters.bins` (or
/// `hour_season_bins`).
fn layer_bins(layer: &serde_json::Value) -> Vec<String> {
    let params = &layer["byrum"]["parameters"];
    for key in ["bins", "hour_season_bins"] {
        if let Some(list) = params[key].as_array() {
            let bins: Vec<String> = list
                .iter()
                .filter_map(|b| b.as_str().map(str::to_owned))
                .collect();
            if bins.len() > 1 {
                return bins;
            }
        }
    }
    Vec::new()
}

/// One heatmap tile set: its bin, its folder (relative to the page) and the
/// tiles that exist there (`z/x/y`, sorted).
struct TileSet {
    bin: String,
    path: String,
    tiles: Vec<String>,
}

/// The bins of the tile sets listed in `legend.json`, and those sets that
/// have an XYZ folder, with the tiles found on disk (the tiler writes only
/// tiles with something to show, and no folder for a bin with nothing to
/// show; the page asks only for tiles that exist, so no request fails).
fn tile_sets(out: &Path, legend: Option<&serde_json::Value>) -> (Vec<String>, Vec<TileSet>) {
    let Some(sets) = legend.and_then(|l| l["tile_sets"].as_array()) else {
        return (Vec::new(), Vec::new());
    };
    let mut bins = Vec::new();
    let mut found = Vec::new();
    for set in sets {
        let Some(bin) = set["bin"].as_str() else {
            continue;
        };
        bins.push(bin.to_owned());
        let Some(xyz) = set["xyz"].as_str() else {
            continue;
        };
        // Names from legend.json are plain names written by byrum; anything
        // else is not followed.
        if xyz.is_empty() || xyz != byrum::safe_file_name(xyz) {
            continue;
        }
        let dir = out.join("tiles").join(xyz);
        if !dir.is_dir() {
            continue;
        }
        found.push(TileSet {
            bin: bin.to_owned(),
            path: format!("tiles/{xyz}"),
            tiles: list_tiles(&dir),
        });
    }
    (bins, found)
}

/// `z/x/y` of every `<dir>/<z>/<x>/<y>.png`, sorted by z, x, y as numbers.
fn list_tiles(dir: &Path) -> Vec<String> {
    let numbers = |p: &Path| -> Vec<(u32, PathBuf)> {
        let mut v: Vec<(u32, PathBuf)> = std::fs::read_dir(p)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let path = e.path();
                let stem = path.file_stem()?.to_str()?.parse::<u32>().ok()?;
                Some((stem, path))
            })
            .collect();
        v.sort();
        v
    };
    let mut tiles = Vec::new();
    for (z, zdir) in numbers(dir) {
        for (x, xdir) in numbers(&zdir) {
            for (y, file) in numbers(&xdir) {
                if file.extension().is_some_and(|e| e == "png") && file.is_file() {
                    tiles.push(format!("{z}/{x}/{y}"));
                }
            }
        }
    }
    tiles
}

/// The viewer's npm package folder (`BYRUM_VIEWER_DIR`, else the one in
/// this source tree).
fn package_dir() -> PathBuf {
    std::env::var_os("BYRUM_VIEWER_DIR").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/examples/byrum/viewer"
            ))
        },
        PathBuf::from,
    )
}

/// `node_modules/leaflet/dist` of the viewer package, installed with
/// `npm ci` when it is missing; the reason when it cannot be had.
fn leaflet_dist(dir: &Path) -> Result<PathBuf, String> {
    let dist = dir.join("node_modules").join("leaflet").join("dist");
    let complete = |d: &Path| LEAFLET_FILES.iter().all(|f| d.join(f).is_file());
    if complete(&dist) {
        return Ok(dist);
    }
    if !dir.join("package-lock.json").is_file() {
        return Err(format!("no npm package at {}", dir.display()));
    }
    // One `npm ci` at a time: parallel runs (tests) wait for the first.
    let lock = dir.join(".byrum-npm-ci.lock");
    let started = Instant::now();
    loop {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock)
        {
            Ok(_) => break,
            Err(_) if started.elapsed() < Duration::from_secs(300) => {
                std::thread::sleep(Duration::from_millis(500));
                if complete(&dist) {
                    return Ok(dist);
                }
            }
            Err(_) => {
                return Err(format!(
                    "another install holds {} (remove it if no npm is running)",
                    lock.display()
                ));
            }
        }
    }
    let result = if complete(&dist) { Ok(()) } else { npm_ci(dir) };
    let _ = std::fs::remove_file(&lock);
    result?;
    if complete(&dist) {
        Ok(dist)
    } else {
        Err(format!(
            "npm ci finished but {} has no leaflet.js",
            dist.display()
        ))
    }
}

/// Runs `npm ci --no-audit --no-fund` in `dir`, saying so on one line.
fn npm_ci(dir: &Path) -> Result<(), String> {
    // stderr: stdout may be reserved for `--json`.
    eprintln!(
        "viewer: installing the map library (npm ci in {})",
        dir.display()
    );
    let output = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run npm ({e}); install Node.js and npm"))?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty() && !l.contains("npm warn"))
            .unwrap_or("no message");
        Err(format!("npm ci failed in {}: {last}", dir.display()))
    }
}

/// Copies Leaflet's script, style sheet and images into `lib`.
fn copy_leaflet(dist: &Path, lib: &Path) -> byrum::Result<()> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|e| byrum::Error::Io {
            action: "read",
            path: p.to_owned(),
            source: e,
        })
    };
    for f in LEAFLET_FILES {
        write_atomic(&lib.join(f), &read(&dist.join(f))?)?;
    }
    let images = dist.join("images");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&images)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png") && p.is_file())
        .collect();
    files.sort();
    for f in files {
        if let Some(name) = f.file_name() {
            write_atomic(&lib.join("images").join(name), &read(&f)?)?;
        }
    }
    Ok(())
}
