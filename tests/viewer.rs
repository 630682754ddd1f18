//! The offline map viewer (`examples/byrum/viewer.rs`) on constructed output
//! folders, without a browser: what `viewer/data.js` holds (bins, tile lists,
//! layers as written, never raw incident points), the size limit, a missing
//! Leaflet, and byte-identical output. The browser test is
//! `examples/byrum/viewer/test/run.sh`; `tests/outputs.rs` checks the viewer
//! of a real example run.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

#[allow(dead_code)]
#[path = "../examples/byrum/cli/viewer.rs"]
mod viewer;

const PREFIX: &str = "window.BYRUM_DATA = ";

/// `viewer/data.js` of `out`, parsed (the JSON between the prefix and `;`).
fn data_js(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("viewer/data.js")).unwrap();
    let json = text
        .strip_prefix(PREFIX)
        .and_then(|t| t.strip_suffix(";\n"))
        .expect("data.js is `window.BYRUM_DATA = {...};`");
    serde_json::from_str(json).unwrap()
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A fake npm package with Leaflet's files in node_modules.
fn leaflet_package(dir: &Path) {
    write(&dir.join("package-lock.json"), b"{}");
    let dist = dir.join("node_modules/leaflet/dist");
    write(&dist.join("leaflet.js"), b"/* leaflet */ window.L = {};");
    write(&dist.join("leaflet.css"), b".leaflet-pane {}");
    write(&dist.join("images/layers.png"), b"png");
    write(&dist.join("images/marker-icon.png"), b"png2");
    write(&dist.join("leaflet-src.js"), b"not copied");
}

/// An output folder: two layers (one with a float that must survive byte for
/// byte), raw incident points, a legend with three tile sets of which two
/// have folders, and tiles whose numeric order differs from their text order.
fn output(out: &Path) {
    let places = r#"{"type":"FeatureCollection","byrum":{"layer":"places","parameters":{"min_count":5}},"features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[9.9,57.04]},"properties":{"name":"Torvet","count":null,"rate":0.1000000000000000055511151231257827,"suppressed":true}}]}"#;
    write(&out.join("places.geojson"), places.as_bytes());
    let gistar = r#"{"type":"FeatureCollection","byrum":{"layer":"gistar_h3","parameters":{"bins":["21-24_winter","03-06_winter"]}},"features":[{"type":"Feature","geometry":null,"properties":{"class":"hot_99","class_21-24_winter":"cold_95","class_03-06_winter":"not_significant"}}]}"#;
    write(&out.join("gistar_h3.geojson"), gistar.as_bytes());
    write(
        &out.join("incidents.geojson"),
        br#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[9.91,57.041]},"properties":{"category":"rough_sleeping"}}]}"#,
    );
    write(&out.join("kde_isolines.geojson"), b"{}"); // not a viewer layer
    let legend = serde_json::json!({
        "domain": [1.0, 10.0],
        "image": "images/legend.png",
        "min_count": 5,
        "tile_sets": [
            {"bin": "all", "xyz": "all"},
            {"bin": "21-24_winter", "xyz": "21-24_winter"},
            {"bin": "03-06_winter", "xyz": "03-06_winter"},
            {"bin": "evil", "xyz": "../../etc"},
        ],
        "unit": "incidents per km² per hour",
        "zooms": [12, 13],
    });
    write(
        &out.join("tiles/legend.json"),
        serde_json::to_string_pretty(&legend).unwrap().as_bytes(),
    );
    for t in [
        "12/999/5",
        "12/1000/5",
        "13/2000/10",
        "12/999/40",
        "12/999/7",
    ] {
        write(&out.join(format!("tiles/all/{t}.png")), b"png");
    }
    write(&out.join("tiles/all/12/999/notes.txt"), b"not a tile");
    write(&out.join("tiles/21-24_winter/13/2001/11.png"), b"png");
    // 03-06_winter has no folder (nothing to show above k).
}

/// Every file under `dir`, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let key = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(key, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn data_js_lists_bins_tiles_and_aggregate_layers_only() {
    let base = tempfile::tempdir().unwrap();
    let (out, pkg) = (base.path().join("out"), base.path().join("pkg"));
    output(&out);
    leaflet_package(&pkg);
    let summary = viewer::write_viewer_with(&out, &pkg).unwrap();

    assert!(summary.leaflet, "{:?}", summary.warnings);
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
    assert_eq!(summary.index, out.join("index.html"));
    // Drawing order of LAYERS, and only the viewer's layers.
    assert_eq!(summary.layers, ["gistar_h3.geojson", "places.geojson"]);
    // Every bin of the legend, in its order; tiles only from sets with a
    // folder, and the `../../etc` one is not followed.
    assert_eq!(
        summary.bins,
        ["all", "21-24_winter", "03-06_winter", "evil"]
    );
    assert_eq!(summary.tiles, 6);

    let data = data_js(&out);
    assert_eq!(
        data["bins"],
        serde_json::json!(["all", "21-24_winter", "03-06_winter", "evil"])
    );
    assert_eq!(data["leaflet"], true);
    assert_eq!(data["legend"]["zooms"], serde_json::json!([12, 13]));
    // z/x/y sorted as numbers (999 before 1000, 7 before 40); notes.txt skipped.
    assert_eq!(
        data["tile_sets"],
        serde_json::json!([
            {"bin": "all", "path": "tiles/all",
             "tiles": ["12/999/5", "12/999/7", "12/999/40", "12/1000/5", "13/2000/10"]},
            {"bin": "21-24_winter", "path": "tiles/21-24_winter", "tiles": ["13/2001/11"]},
        ])
    );
    let layers = data["layers"].as_array().unwrap();
    let names: Vec<&str> = layers.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["gistar_h3", "places"]);
    assert_eq!(layers[1]["file"], "places.geojson");
    assert_eq!(
        layers[1]["geojson"]["features"][0]["properties"]["name"],
        "Torvet"
    );
    // The layer's own text, byte for byte: the long float is not rewritten.
    let text = std::fs::read_to_string(out.join("viewer/data.js")).unwrap();
    assert!(text.contains(r#""rate":0.1000000000000000055511151231257827"#));
    // Raw incident points never reach the viewer.
    assert!(!text.contains("incidents.geojson") && !text.contains("rough_sleeping"));
    assert!(!text.contains("kde_isolines"));

    // The page, its code and Leaflet (script, style sheet, images only).
    let files = snapshot(&out);
    for f in [
        "index.html",
        "viewer/data.js",
        "viewer/viewer.js",
        "viewer/viewer.css",
        "viewer/lib/leaflet.js",
        "viewer/lib/leaflet.css",
        "viewer/lib/images/layers.png",
        "viewer/lib/images/marker-icon.png",
    ] {
        assert!(files.contains_key(f), "{f} missing");
    }
    assert!(!files.contains_key("viewer/lib/leaflet-src.js"));
    let html = String::from_utf8(files["index.html"].clone()).unwrap();
    for tag in [
        r#"<script src="viewer/data.js"></script>"#,
        r#"<script src="viewer/lib/leaflet.js"></script>"#,
        r#"<link rel="stylesheet" href="viewer/lib/leaflet.css">"#,
        r#"<script src="viewer/viewer.js"></script>"#,
    ] {
        assert!(html.contains(tag), "{tag} missing");
    }
    // Nothing is fetched from the internet.
    for (name, bytes) in &files {
        if name.starts_with("viewer/") || name == "index.html" {
            let t = String::from_utf8_lossy(bytes);
            assert!(!t.contains("http://") && !t.contains("https://"), "{name}");
        }
    }

    // The same folder gives the same bytes.
    let again = base.path().join("again");
    output(&again);
    viewer::write_viewer_with(&again, &pkg).unwrap();
    assert!(snapshot(&again) == files, "a second run wrote other bytes");
}

#[test]
fn without_leaflet_or_tiles_the_page_still_explains_itself() {
    let base = tempfile::tempdir().unwrap();
    let out = base.path().join("out");
    output(&out);
    std::fs::remove_dir_all(out.join("tiles")).unwrap();
    // A layer above the size limit is left out, with a message.
    let big = format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[]{}}}",
        " ".repeat(usize::try_from(viewer::MAX_LAYER_BYTES).unwrap())
    );
    write(&out.join("route_segments.geojson"), big.as_bytes());
    // A package folder without node_modules and without a lock file: no npm is run.
    let pkg = base.path().join("empty");
    std::fs::create_dir_all(&pkg).unwrap();
    let summary = viewer::write_viewer_with(&out, &pkg).unwrap();

    assert!(!summary.leaflet);
    assert_eq!(summary.warnings.len(), 2, "{:?}", summary.warnings);
    assert!(summary.warnings[0].contains("Leaflet"));
    assert_eq!(summary.left_out.len(), 1);
    assert_eq!(summary.left_out[0].0, "route_segments.geojson");
    assert_eq!(summary.layers, ["gistar_h3.geojson", "places.geojson"]);
    // No tiles: the bins come from the layers, with "all" first.
    assert_eq!(summary.bins, ["all", "21-24_winter", "03-06_winter"]);
    assert_eq!(summary.tiles, 0);

    let data = data_js(&out);
    assert_eq!(data["leaflet"], false);
    assert_eq!(data["tile_sets"], serde_json::json!([]));
    assert!(data["legend"].is_null());
    assert_eq!(data["left_out"][0]["file"], "route_segments.geojson");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(!html.contains("viewer/lib/leaflet.js"));
    assert!(html.contains("<li>the map library (Leaflet) is not installed"));
    assert!(html.contains("<li>route_segments.geojson is not shown"));
    assert!(!out.join("viewer/lib").exists());
}
