//! Interventions CSV reader (against a fixed list of places): never panics;
//! every row is accepted or rejected with its line; accepted rows name a place.
#![no_main]

use byrum::{Attributes, Place, PlaceKind, read_interventions};
use geo::{MultiPolygon, Rect, coord};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fn places() -> Vec<Place> {
    ["p1", "p2", "torvet", "../../etc"]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let x = 9.9 + 0.01 * i as f64;
            let rect = Rect::new(coord! { x: x, y: 57.0 }, coord! { x: x + 0.005, y: 57.005 });
            Place {
                id: (*id).to_owned(),
                name: format!("Place {i}"),
                geometry: MultiPolygon(vec![rect.to_polygon()]),
                kind: PlaceKind::parse("square"),
                attributes: Attributes::default(),
            }
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let places = places();
    let path = common::scratch(data, "csv");
    if let Ok((items, report)) = read_interventions(&path, &places) {
        let newlines = data.iter().filter(|&&b| b == b'\n' || b == b'\r').count();
        let lines = newlines as u64 + 1;
        common::check_report(&report, items.len(), 1, lines);
        for it in &items {
            assert!(it.place < places.len());
            assert_eq!(places[it.place].id, it.place_id);
            assert!(
                (2..=lines).contains(&it.line),
                "accepted line {} of {lines}",
                it.line
            );
        }
    }
});
