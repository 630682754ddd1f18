//! Every real file in `../shared/data/real/` is read with
//! `read == accepted + rejected`, and the known quirks are caught.
#![allow(clippy::unwrap_used, clippy::float_cmp, clippy::items_after_statements)] // test code

mod common;

use std::collections::HashSet;

use byrum::*;
use common::{demo, real};

fn raw_rows(name: &str) -> Vec<Vec<String>> {
    common::read_csv(&real(name)).1
}

#[test]
fn every_real_incident_file_reconciles() {
    for name in [
        "minneapolis_stops_2017.csv",
        "houston_crime_2010.csv",
        "memphis_robberies_2019.csv",
    ] {
        let batch = IncidentReader::new().read_csv(&real(name)).unwrap();
        let r = &batch.report;
        assert!(r.is_reconciled(), "{name}: {r:?}");
        assert_eq!(r.read as usize, raw_rows(name).len(), "{name}");
        assert_eq!(batch.incidents.len() as u64, r.accepted);
    }
}

#[test]
fn every_real_geojson_file_reconciles() {
    let (_, r) = read::geojson::read_places(&real("helsinki_squares_parks.geojson")).unwrap();
    assert!(r.is_reconciled() && r.read == 51, "{r:?}");
    let (_, r) =
        read::geojson::read_services(&real("helsinki_services.geojson"), Some("FI")).unwrap();
    assert!(r.is_reconciled() && r.read == 52, "{r:?}");
    let (_, r) = read::geojson::read_routes(&real("helsinki_walk_streets.geojson"), None).unwrap();
    assert!(r.is_reconciled() && r.read == 2253, "{r:?}");
    let (_, r) = read::geojson::read_places(&real("memphis_precincts.geojson")).unwrap();
    assert!(r.is_reconciled() && r.read == 9, "{r:?}");
}

/// Houston: the far-off geocodes are rejected as out of the study area (an
/// independent recount of points outside the box), and duplicate rows are reported.
#[test]
fn houston_far_geocodes_and_duplicates() {
    let (w, s, e, n) = (-95.9, 29.45, -95.0, 30.15);
    let area = StudyArea::from_bbox(w, s, e, n).unwrap();
    let batch = IncidentReader::new()
        .study_area(area)
        .read_csv(&real("houston_crime_2010.csv"))
        .unwrap();
    let r = &batch.report;
    assert!(r.is_reconciled());
    let rows = raw_rows("houston_crime_2010.csv");
    let outside = rows
        .iter()
        .filter(|r| {
            let (x, y): (f64, f64) = (r[1].parse().unwrap(), r[2].parse().unwrap());
            !(w..=e).contains(&x) || !(s..=n).contains(&y)
        })
        .count() as u64;
    assert!(outside >= 200, "{outside}");
    assert_eq!(r.rejected_by_reason["out_of_study_area"], outside);
    assert!(
        r.rejections
            .iter()
            .all(|x| x.line >= 2 && x.file.ends_with("houston_crime_2010.csv"))
    );
    // Duplicates: rows equal to an earlier one in place, time and category, among those kept.
    let mut seen = HashSet::new();
    let dups = rows
        .iter()
        .filter(|r| {
            let (x, y): (f64, f64) = (r[1].parse().unwrap(), r[2].parse().unwrap());
            (w..=e).contains(&x) && (s..=n).contains(&y)
        })
        .filter(|r| !seen.insert((r[1].clone(), r[2].clone(), r[3].clone(), r[4].clone())))
        .count() as u64;
    assert!(dups > 0);
    assert_eq!(r.warnings_by_kind["duplicate_record"], dups);
    // With the reject policy they are rejected instead, and still reconcile.
    let strict = IncidentReader::new()
        .study_area(StudyArea::from_bbox(w, s, e, n).unwrap())
        .duplicate_records(DuplicateRecords::Reject)
        .read_csv(&real("houston_crime_2010.csv"))
        .unwrap();
    assert_eq!(strict.report.rejected_by_reason["duplicate_record"], dups);
    assert!(strict.report.is_reconciled());
}

/// Minneapolis without places: the zone comes from the offsets (and location),
/// the UTM zone from the data, and local hours follow the recorded offsets
/// across the DST change.
#[test]
fn minneapolis_zone_and_projection_from_the_data() {
    let batch = IncidentReader::new()
        .read_csv(&real("minneapolis_stops_2017.csv"))
        .unwrap();
    let ds = DatasetBuilder::new().incidents(batch).build().unwrap();
    assert_eq!(ds.zone.name(), "America/Chicago");
    assert_eq!(ds.projection.epsg(), 32615);
    assert_eq!(ds.zone_inference.mismatches, 0);
    let (first, last) = ds.period.describe(ds.zone);
    assert_eq!(
        (first.as_str(), last.as_str()),
        ("2017-01-01", "2017-12-31")
    );
    assert_eq!(ds.period.hours(), 8760.0);
    // The first row: 2017-01-01T00:00:42-06:00 is local hour 0.
    assert_eq!(
        ds.incidents.instant(0).local().to_string(),
        "2017-01-01 00:00:42"
    );
}

/// The demo data set: all rows accepted, places/services/routes complete, the
/// index agrees with brute force.
#[test]
fn demo_data_and_index_queries() {
    let batch = IncidentReader::new()
        .read_csv(&demo("incidents.csv"))
        .unwrap();
    assert!(batch.report.accepted >= 50_000);
    let (places, pr) = read::geojson::read_places(&demo("places.geojson")).unwrap();
    let (services, sr) =
        read::geojson::read_services(&demo("services.geojson"), Some("DK")).unwrap();
    let (routes, rr) = read::geojson::read_routes(&demo("routes.geojson"), Some("DK")).unwrap();
    assert_eq!((pr.accepted, sr.accepted, rr.accepted), (6, 10, 3));
    assert!(
        sr.warnings.iter().all(|w| w.kind != "bad_opening_hours"),
        "{:?}",
        sr.warnings
    );
    let ds = DatasetBuilder::new()
        .incidents(batch)
        .places(places, pr)
        .services(services, sr)
        .routes(routes, rr)
        .build()
        .unwrap();
    let index = SpatialIndex::build(&ds).unwrap();
    let inc = &ds.incidents;
    // Incidents in each place = brute-force point-in-polygon in metres.
    let place_of = index.place_of_incidents(&ds);
    for p in 0..ds.places.len() {
        let mut a = index.incidents_in_place(p);
        a.sort_unstable();
        let b: Vec<u32> = (0..inc.len() as u32)
            .filter(|&i| place_of[i as usize] == p as u32)
            .collect();
        assert_eq!(a, b, "place {}", ds.places[p].name);
        assert!(!a.is_empty());
    }
    // Within a radius and nearest services = brute force.
    let (cx, cy) = (inc.x[0], inc.y[0]);
    let mut near = index.incidents_within(cx, cy, 150.0);
    near.sort_unstable();
    let brute: Vec<u32> = (0..inc.len() as u32)
        .filter(|&i| (inc.x[i as usize] - cx).hypot(inc.y[i as usize] - cy) <= 150.0)
        .collect();
    assert_eq!(near, brute);
    let nearest = index.nearest_services(cx, cy, 3);
    let mut d: Vec<f64> = (0..ds.services.len())
        .map(|s| {
            let [x, y] = index.service_xy(s);
            (x - cx).hypot(y - cy)
        })
        .collect();
    d.sort_by(f64::total_cmp);
    // The index's distance (square root of the squared distance) and hypot
    // may differ in the last bit.
    assert_eq!(nearest.len(), 3);
    for (n, want) in nearest.iter().zip(&d) {
        assert!((n.1 - want).abs() <= 1e-12 * want, "{n:?} {want}");
    }
    // At 03:00 on a Tuesday in January only the 24/7 shelter and the winter-night
    // warming room are open among the social services; at that hour in July only the shelter.
    let social = [
        ServiceKind::Shelter,
        ServiceKind::WarmingRoom,
        ServiceKind::DropInCentre,
    ];
    let nearest_open = |local: &str| {
        let t = chrono::DateTime::parse_from_rfc3339(local)
            .unwrap()
            .timestamp();
        let (s, d) = index
            .nearest_open_service(&ds.services, cx, cy, t, ds.zone, Some(&social), 10_000.0)
            .unwrap();
        (t, s, d)
    };
    let (t, s, d) = nearest_open("2024-01-16T03:00:00+01:00");
    assert!(
        matches!(
            ds.services[s].kind,
            ServiceKind::Shelter | ServiceKind::WarmingRoom
        ),
        "{:?}",
        ds.services[s]
    );
    let open_brute = (0..ds.services.len())
        .filter(|&k| social.contains(&ds.services[k].kind))
        .filter(|&k| {
            ds.services[k]
                .opening_hours
                .as_ref()
                .is_some_and(|h| h.is_open_at(t, ds.zone))
        })
        .map(|k| {
            let [x, y] = index.service_xy(k);
            (x - cx).hypot(y - cy)
        })
        .fold(f64::INFINITY, f64::min);
    assert!((d - open_brute).abs() < 1e-9);
    let (_, s, _) = nearest_open("2024-07-16T03:00:00+02:00");
    assert_eq!(ds.services[s].kind, ServiceKind::Shelter);
    // Incidents near a route segment are within the buffer.
    let seg = index.segments()[0];
    for i in index.incidents_near_segment(&seg, 25.0) {
        let (x, y) = (inc.x[i as usize], inc.y[i as usize]);
        let l = geo::Line::new(
            geo::coord! {x: seg.from[0], y: seg.from[1]},
            geo::coord! {x: seg.to[0], y: seg.to[1]},
        );
        use geo::Distance;
        assert!(geo::Euclidean.distance(&l, &geo::Point::new(x, y)) <= 25.0 + 1e-9);
    }
}
