#![allow(clippy::unwrap_used, clippy::float_cmp, clippy::items_after_statements)]
//! Tile maths against mercantile 1.2.1 (`tests/fixtures/make_tiles.py`).

use byrum::{StudyArea, TileId, lonlat_to_mercator, mercator_to_lonlat, tiles_touching};

fn fixture() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tiles_mercantile.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn tiles_and_bounds_equal_mercantile() {
    let f = fixture();
    let rows = f["points"].as_array().unwrap();
    assert_eq!(rows.len(), 50 * 21);
    for r in rows {
        let (lon, lat) = (r["lon"].as_f64().unwrap(), r["lat"].as_f64().unwrap());
        let z = r["z"].as_u64().unwrap() as u8;
        let t = TileId::containing(lon, lat, z).unwrap();
        assert_eq!(
            (u64::from(t.x), u64::from(t.y)),
            (r["x"].as_u64().unwrap(), r["y"].as_u64().unwrap()),
            "{} at zoom {z}",
            r["name"]
        );
        let (w, s, e, n) = t.bounds_lonlat();
        for (ours, key) in [(w, "west"), (s, "south"), (e, "east"), (n, "north")] {
            assert!(
                (ours - r[key].as_f64().unwrap()).abs() < 1e-9,
                "{key} of {}",
                t.path()
            );
        }
        let (l, b, rt, tp) = t.bounds_mercator();
        for (ours, key) in [(l, "left"), (b, "bottom"), (rt, "right"), (tp, "top")] {
            assert!(
                (ours - r[key].as_f64().unwrap()).abs() < 1e-6,
                "{key} of {}",
                t.path()
            );
        }
        // The TMS row counts from the south.
        assert_eq!(t.tms_y() + t.y, (1 << z) - 1);
    }
}

#[test]
fn cover_of_the_aalborg_box_equals_mercantile() {
    let f = fixture();
    let area = StudyArea::from_bbox(9.88, 57.02, 9.97, 57.07).unwrap();
    for c in f["cover"].as_array().unwrap() {
        let z = c["z"].as_u64().unwrap() as u8;
        let mut ours: Vec<(u32, u32)> = tiles_touching(area.polygon(), z..=z)
            .unwrap()
            .iter()
            .map(|t| (t.x, t.y))
            .collect();
        ours.sort_unstable();
        let theirs: Vec<(u32, u32)> = c["tiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_u64().unwrap() as u32, p[1].as_u64().unwrap() as u32))
            .collect();
        assert_eq!(ours, theirs, "zoom {z}");
    }
}

#[test]
fn mercator_round_trip_and_edges() {
    let (x, y) = lonlat_to_mercator(9.9187, 57.0488);
    let (lon, lat) = mercator_to_lonlat(x, y);
    assert!((lon - 9.9187).abs() < 1e-12 && (lat - 57.0488).abs() < 1e-12);
    // The corners of the world.
    assert_eq!(
        TileId::containing(180.0, -90.0, 3).unwrap(),
        TileId::new(3, 7, 7).unwrap()
    );
    assert_eq!(
        TileId::containing(-180.0, 90.0, 3).unwrap(),
        TileId::new(3, 0, 0).unwrap()
    );
    // Bad input is an error, not a panic.
    assert!(TileId::new(2, 4, 0).is_err());
    assert!(TileId::new(25, 0, 0).is_err());
    assert!(TileId::containing(f64::NAN, 0.0, 3).is_err());
    assert!(TileId::containing(0.0, 91.0, 3).is_err());
    let area = StudyArea::from_bbox(9.88, 57.02, 9.97, 57.07).unwrap();
    assert!(tiles_touching(area.polygon(), 5..=30).is_err());
}
