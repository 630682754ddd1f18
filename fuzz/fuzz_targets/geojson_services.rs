//! GeoJSON services reader: never panics; every feature is accepted or rejected
//! with its feature number; the report adds up.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let path = common::scratch(data, "geojson");
    if let Ok((items, report)) = byrum::read::geojson::read_services(&path, Some("DK")) {
        // Features are numbered from 1; each one opens a JSON object.
        let objects = data.iter().filter(|&&b| b == b'{').count() as u64;
        common::check_report(&report, items.len(), 1, objects);
        check(&items);
    }
});

fn check(services: &[byrum::Service]) {
    for s in services {
        assert!(!s.id.is_empty());
        assert!(common::wgs84(s.point.x(), s.point.y()));
    }
}
