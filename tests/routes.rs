#![allow(clippy::unwrap_used, clippy::float_cmp, clippy::items_after_statements)]
//! Routes cut into pieces (counts, rates, effort correction, hot-spot
//! coverage) and safe-haven siting, on constructed cases with hand-computed
//! answers and on the Aalborg demo.

mod common;

use byrum::{
    BinSpec, Candidates, Dataset, DatasetBuilder, Dimension, H3HotSpots, HotCellRule,
    IncidentReader, Incidents, Period, PlaceProfiles, Projection, Route, RouteKind,
    RouteSegmentation, SafeHavenSiting, Schedule, SpatialIndex, TimeBinning, ZoneInference,
    parse_zone, place_coverage_table, read,
};
use chrono::{DateTime, FixedOffset};
use common::demo_dataset;
use geo::{Contains, LineString, Point};

/// Origin of the constructed cases, in EPSG:25832 metres (central Aalborg).
const X0: f64 = 556_000.0;
const Y0: f64 = 6_322_000.0;

/// A data set in EPSG:25832 whose incidents sit at exact metre offsets from
/// (X0, Y0), over the week 2024-03-04 (Monday) to 2024-03-10.
fn dataset(points: &[(f64, f64, &str)], routes: Vec<Route>) -> Dataset {
    let projection = Projection::etrs89_utm32();
    let zone = parse_zone("Europe/Copenhagen").unwrap();
    let mut inc = Incidents::default();
    for (k, &(dx, dy, t)) in points.iter().enumerate() {
        let (x, y) = (X0 + dx, Y0 + dy);
        let (lon, lat) = projection.inverse(x, y).unwrap();
        let ts: DateTime<FixedOffset> = t.parse().unwrap();
        inc.id.push(&k.to_string());
        inc.x.push(x);
        inc.y.push(y);
        inc.lon.push(lon);
        inc.lat.push(lat);
        inc.utc.push(ts.timestamp());
        inc.offset.push(ts.offset().local_minus_utc());
        let c = inc.categories.code("noise");
        inc.category.push(c);
        inc.line.push(k as u64 + 2);
    }
    Dataset {
        incidents: inc,
        places: vec![],
        services: vec![],
        routes,
        projection,
        zone,
        zone_inference: ZoneInference {
            zone,
            how: "test".into(),
            mismatches: 0,
        },
        period: Period::local_dates(
            zone,
            "2024-03-04".parse().unwrap(),
            "2024-03-10".parse().unwrap(),
        )
        .unwrap(),
        study_area: None,
        reports: vec![],
    }
}

/// A route through metre offsets from (X0, Y0), stored in WGS84 as read.
fn route(id: &str, kind: RouteKind, pts: &[(f64, f64)], schedule: Option<&str>) -> Route {
    let p = Projection::etrs89_utm32();
    let line: LineString = pts
        .iter()
        .map(|&(dx, dy)| p.inverse(X0 + dx, Y0 + dy).unwrap())
        .collect();
    Route {
        id: id.into(),
        name: format!("route {id}"),
        kind,
        line,
        schedule: schedule.map(|s| Schedule::parse(s, Some("DK")).unwrap()),
    }
}

/// Route A: 120 m east along y = 0, walked Mondays 10–12. Route B: the
/// same 60 m further north, no schedule. Incidents and their distances:
///
/// | | at | time | to A | to B |
/// |---|---|---|---|---|
/// | a | (10, 20) | Mon 10:30 | 20 (A0) | 40 (B0) |
/// | b | (50, 30) | Mon 11:45 | 30, tie A0/A1 → A0 | 30, tie → B0 |
/// | c | (110, −45) | Mon 12:30 | 45 (A2) | 105 (out) |
/// | d | (60, 55) | Tue 09:10 | 55 (out) | 5 (B1) |
/// | e | (130, 0) | Tue 10:30 | 10 (A2) | 60.8 (out) |
/// | f | (−30, 39.9) | Wed 22:00 | 49.92 (A0) | 36.1 (B0) |
/// | g | (75, 30) | Mon 13:00 | 30 (A1) | 30 (B1) |
fn two_routes() -> Dataset {
    dataset(
        &[
            (10.0, 20.0, "2024-03-04T10:30:00+01:00"),
            (50.0, 30.0, "2024-03-04T11:45:00+01:00"),
            (110.0, -45.0, "2024-03-04T12:30:00+01:00"),
            (60.0, 55.0, "2024-03-05T09:10:00+01:00"),
            (130.0, 0.0, "2024-03-05T10:30:00+01:00"),
            (-30.0, 39.9, "2024-03-06T22:00:00+01:00"),
            (75.0, 30.0, "2024-03-04T13:00:00+01:00"),
        ],
        vec![
            route(
                "A",
                RouteKind::Outreach,
                &[(0.0, 0.0), (120.0, 0.0)],
                Some("Mo 10:00-12:00"),
            ),
            route("B", RouteKind::Typical, &[(0.0, 60.0), (120.0, 60.0)], None),
        ],
    )
}

fn hour_bins(ds: &Dataset) -> (TimeBinning, BinSpec, Vec<u32>) {
    let binning = TimeBinning::default(); // 3-hour buckets
    let spec = BinSpec::of(&[Dimension::Hour]);
    let inc = &ds.incidents;
    let bins = binning.assign(&spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
    (binning, spec, bins)
}

#[test]
fn pieces_counts_and_rates_by_hand() {
    let ds = two_routes();
    let (binning, spec, bins) = hour_bins(&ds);
    let segs = RouteSegmentation::default()
        .compute(&ds, &binning, &spec, &bins)
        .unwrap();
    assert_eq!(segs.bin_labels[3], "09-12");
    // 120 m → 50, 50, 20 for each route.
    let lens: Vec<f64> = segs.pieces.iter().map(|p| p.length_m).collect();
    assert_eq!(lens.len(), 6);
    for (l, want) in lens.iter().zip([50.0, 50.0, 20.0, 50.0, 50.0, 20.0]) {
        assert!((l - want).abs() < 1e-6, "{lens:?}");
    }
    assert_eq!(segs.routes[0].pieces, 0..3);
    assert_eq!(segs.routes[1].pieces, 3..6);
    assert_eq!(segs.pieces[2].start_m, 100.0);
    // Each incident once per route, on the nearest piece (tie → lower index);
    // a, b, f and g count for both routes.
    assert_eq!(segs.counts, vec![3, 1, 2, 3, 2, 0]);
    assert_eq!(segs.routes[0].count, 6);
    assert_eq!(segs.routes[1].count, 5);
    // Per bin: A0 has a, b (09-12) and f (21-24); A2 has e (09-12) and c (12-15).
    assert_eq!(segs.count(0, 3), 2);
    assert_eq!(segs.count(0, 7), 1);
    assert_eq!(segs.count(1, 4), 1);
    assert_eq!((segs.count(2, 3), segs.count(2, 4)), (1, 1));
    assert_eq!(segs.routes[0].bin_counts, vec![0, 0, 0, 3, 2, 0, 0, 1]);
    // Rates per 100 m: 3 / 50 m, 1 / 50 m, 2 / 20 m.
    assert!((segs.rate_per_100m(0) - 6.0).abs() < 1e-9);
    assert!((segs.rate_per_100m(1) - 2.0).abs() < 1e-9);
    assert!((segs.rate_per_100m(2) - 10.0).abs() < 1e-6);
    // Per hour per 100 m: the week has 7 × 3 = 21 h of each bucket.
    assert!(segs.exposure_hours.iter().all(|&h| h == 21.0));
    let r = segs.bin_rate_per_hour_per_100m(0, 3).unwrap();
    assert!((r - 4.0 / 21.0).abs() < 1e-12);
}

#[test]
fn effort_correction_with_a_monday_schedule() {
    let ds = two_routes();
    let (binning, spec, bins) = hour_bins(&ds);
    let segs = RouteSegmentation::default()
        .compute(&ds, &binning, &spec, &bins)
        .unwrap();
    let a = &segs.routes[0];
    // Mo 10:00-12:00 over one week: 2 h, all in the 09-12 bucket.
    assert_eq!(
        a.walked_hours.as_deref(),
        Some(&[0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0][..])
    );
    assert_eq!(a.walked_hours_total, Some(2.0));
    // Of A's six incidents only a (Mon 10:30) and b (Mon 11:45) fall in the
    // walked hours: 2 incidents / 2 route-hours.
    assert_eq!(a.walked_count, Some(2));
    assert_eq!(a.effort_rate, Some(1.0));
    assert_eq!(segs.walked_count(0), 2);
    assert_eq!(segs.effort_rate(0, 3), Some(1.0));
    assert_eq!(segs.effort_rate(1, 3), Some(0.0)); // walked, nothing seen
    assert_eq!(segs.effort_rate(0, 4), None); // never walked 12-15
    assert_eq!(segs.piece_effort_rate(2), Some(0.0)); // e is on Tuesday
    // Route B has no schedule: no effort, and it is reported.
    let b = &segs.routes[1];
    assert_eq!((b.walked_hours.as_ref(), b.effort_rate), (None, None));
    assert_eq!(segs.effort_rate(3, 3), None);
    assert_eq!(segs.unscheduled, vec!["route B".to_owned()]);
}

#[test]
fn buffer_and_segment_length_are_parameters() {
    let ds = two_routes();
    let (binning, spec, bins) = hour_bins(&ds);
    // A 25 m buffer keeps a (20 m) and e (10 m) on A, d (5 m) on B.
    let segs = RouteSegmentation {
        segment_m: 40.0,
        buffer_m: 25.0,
    }
    .compute(&ds, &binning, &spec, &bins)
    .unwrap();
    assert_eq!(segs.pieces.len(), 6); // 40, 40, 40 twice
    assert_eq!(segs.counts, vec![1, 0, 1, 0, 1, 0]);
    for bad in [
        RouteSegmentation {
            segment_m: 0.0,
            buffer_m: 50.0,
        },
        RouteSegmentation {
            segment_m: 50.0,
            buffer_m: f64::NAN,
        },
    ] {
        let e = bad.compute(&ds, &binning, &spec, &bins).unwrap_err();
        assert!(e.to_string().contains("metres"), "{e}");
    }
    assert!(
        RouteSegmentation::default()
            .compute(&ds, &binning, &spec, &bins[1..])
            .is_err()
    );
}

#[test]
fn layer_suppresses_small_counts() {
    let ds = two_routes();
    let (binning, spec, bins) = hour_bins(&ds);
    let segs = RouteSegmentation::default()
        .compute(&ds, &binning, &spec, &bins)
        .unwrap();
    let layer = segs.layer(&ds.projection, 2).unwrap();
    assert_eq!(layer.len(), 6);
    let fc: serde_json::Value = serde_json::from_str(&layer.to_string()).unwrap();
    let f = &fc["features"];
    let p0 = &f[0]["properties"];
    assert_eq!(p0["route_id"], "A");
    assert_eq!(p0["count"], 3.0);
    assert_eq!(p0["rate_per_100m"], 6.0);
    assert!(p0["count_21-24"].is_null()); // f alone
    // Complementary suppression (issue 6): 09-12 (2) goes with it, else
    // 3 − 2 = 1 gives f back; its walked count and effort rate go too.
    assert!(p0["count_09-12"].is_null() && p0["walked_count_09-12"].is_null());
    assert!(p0["effort_rate_09-12"].is_null());
    assert!(p0["rate_per_100m_21-24"].is_null());
    assert_eq!(p0["count_00-03"], 0.0); // zero stays 0
    assert_eq!(p0["suppressed"], true);
    let p1 = &f[1]["properties"];
    assert!(p1["count"].is_null() && p1["rate_per_100m"].is_null()); // g alone
    // Route B: no schedule, no effort values.
    let p3 = &f[3]["properties"];
    assert_eq!(p3["scheduled"], false);
    assert!(p3["effort_rate"].is_null() && p3["walked_hours"].is_null());
    // The first piece starts at the route's first vertex, in WGS84.
    let (lon, lat) = ds.projection.inverse(X0, Y0).unwrap();
    let c = &f[0]["geometry"]["coordinates"][0];
    assert!((c[0].as_f64().unwrap() - lon).abs() < 2e-7);
    assert!((c[1].as_f64().unwrap() - lat).abs() < 2e-7);
    assert_eq!(fc["byrum"]["parameters"]["buffer_m"], 50.0);
}

/// Gi* hot spots on the demo at H3 resolution `res` ([`common::demo_hot_spots`]).
fn demo_hot_spots(ds: &Dataset, res: u8) -> (TimeBinning, BinSpec, Vec<u32>, H3HotSpots) {
    let d = common::demo_hot_spots(ds, res);
    (d.binning, d.spec, d.bins, d.hot)
}

#[test]
fn demo_route_pieces_match_a_brute_force_scan() {
    let ds = demo_dataset();
    let inc = &ds.incidents;
    let binning = TimeBinning::default();
    let spec = BinSpec::of(&[Dimension::Hour, Dimension::Season]);
    let bins = binning.assign(&spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
    let segs = RouteSegmentation::default()
        .compute(&ds, &binning, &spec, &bins)
        .unwrap();
    assert_eq!(segs.routes.len(), 3);
    assert!(segs.unscheduled.is_empty() && segs.empty.is_empty());
    for r in &segs.routes {
        // Every piece 50 m but the last of each route; lengths add up.
        let n = r.pieces.len();
        assert!(n > 10);
        for p in r.pieces.clone() {
            let l = segs.pieces[p].length_m;
            assert!(l <= 50.0 + 1e-9 && (l == 50.0 || p == r.pieces.end - 1));
        }
        let last = segs.pieces[r.pieces.end - 1].length_m;
        assert!((r.length_m - (n as f64 - 1.0) * 50.0 - last).abs() < 1e-6);
        let full: f64 = segs.lines[r.route]
            .lines()
            .map(|l| (l.end.x - l.start.x).hypot(l.end.y - l.start.y))
            .sum();
        assert!((r.length_m - full).abs() < 1e-6);
        // Incidents near a route, each once over its pieces, equal a
        // brute-force scan of all incidents against the whole line.
        let line = &segs.lines[r.route];
        use geo::line_measures::{Distance, Euclidean};
        let near: Vec<usize> = (0..inc.len())
            .filter(|&i| Euclidean.distance(&Point::new(inc.x[i], inc.y[i]), line) <= 50.0)
            .collect();
        assert_eq!(r.count, near.len() as u64, "{}", r.name);
        // Those in scheduled hours, by the schedule directly.
        let sched = ds.routes[r.route].schedule.as_ref().unwrap();
        let walked = near
            .iter()
            .filter(|&&i| sched.is_open_at(inc.utc[i], ds.zone))
            .count() as u64;
        assert_eq!(r.walked_count, Some(walked), "{}", r.name);
        assert!(walked < r.count);
        let h = r.walked_hours_total.unwrap();
        assert!((r.effort_rate.unwrap() - walked as f64 / h).abs() < 1e-12);
    }
    // Mo-Fr 19:00-23:00 over 2023-2024: 4 h on each working day minus
    // Danish public holidays (the schedule has no "PH off", so holidays count).
    let vest = &segs.routes[0];
    assert_eq!(vest.name, "Opsøgende rute Vest");
    let weekdays = 522.0; // Mondays to Fridays in 2023 and 2024
    assert_eq!(vest.walked_hours_total, Some(4.0 * weekdays));
}

#[test]
fn demo_karolinelunden_is_reached_only_by_the_eastern_round() {
    let mut ds = demo_dataset();
    // At resolution 9 Karolinelunden is a single busy cell among quiet
    // neighbours, which Gi* (a clustering statistic) does not flag; at
    // resolution 10 the park is several neighbouring hot cells.
    let (binning, spec, bins, hot9) = demo_hot_spots(&ds, 9);
    let kl = ds
        .places
        .iter()
        .find(|p| p.id == "karolinelunden")
        .unwrap()
        .geometry
        .clone();
    let segs = RouteSegmentation::default()
        .compute(&ds, &binning, &spec, &bins)
        .unwrap();
    let cov9 = segs
        .hot_spot_coverage(&hot9, &ds.projection, HotCellRule::Fdr)
        .unwrap();
    assert!(!cov9.cells.is_empty());
    assert!(
        cov9.cells
            .iter()
            .all(|c| !kl.contains(&Point::new(c.lon, c.lat)))
    );

    let (_, _, _, hot) = demo_hot_spots(&ds, 10);
    let cov = segs
        .hot_spot_coverage(&hot, &ds.projection, HotCellRule::Fdr)
        .unwrap();
    assert_eq!(cov.outreach_routes, 2);
    let in_kl: Vec<_> = cov
        .cells
        .iter()
        .filter(|c| kl.contains(&Point::new(c.lon, c.lat)))
        .collect();
    assert!(in_kl.len() >= 3, "{in_kl:?}");
    // Opsøgende rute Øst crosses the park (Tu, Th, Sa 20-24) and is walked
    // in the cells' peak bin, 21-24 in summer.
    for c in &in_kl {
        assert!(c.covered, "{c:?}");
        assert_eq!(segs.routes[c.covered_by.unwrap()].id, "route_outreach_oest");
        assert_eq!(c.peak_label.as_deref(), Some("21-24_summer"));
        let near = c.nearest_outreach.as_ref().unwrap();
        assert_eq!(near.walked_at_peak, Some(true));
        // 3 of 7 evenings, 3 of the 21-24 hours on each: about 3/7 of the bin.
        let share = near.walked_share_at_peak.unwrap();
        assert!((share - 3.0 / 7.0).abs() < 0.02, "{share}");
    }
    // Every covered cell is covered by an outreach route walked at its peak.
    for c in cov.cells.iter().filter(|c| c.covered) {
        let r = c.covered_by.unwrap();
        assert_eq!(segs.routes[r].kind, RouteKind::Outreach);
        assert!(segs.routes[r].walked_hours.as_ref().unwrap()[c.peak_bin.unwrap()] > 0.0);
    }

    // Without the eastern round, the park's hot cells are uncovered: the
    // western round passes no closer than about 330 m (data/aalborg/README.md).
    ds.routes.retain(|r| r.id != "route_outreach_oest");
    let segs = RouteSegmentation::default()
        .compute(&ds, &binning, &spec, &bins)
        .unwrap();
    let cov = segs
        .hot_spot_coverage(&hot, &ds.projection, HotCellRule::Fdr)
        .unwrap();
    assert_eq!(cov.outreach_routes, 1);
    let in_kl: Vec<_> = cov
        .uncovered()
        .filter(|c| kl.contains(&Point::new(c.lon, c.lat)))
        .collect();
    assert!(in_kl.len() >= 3);
    for c in &in_kl {
        let near = c.nearest_outreach.as_ref().unwrap();
        assert_eq!(near.name, "Opsøgende rute Vest");
        assert!(near.distance_m > 250.0, "{near:?}");
    }
    // The hot cells around J.F. Kennedys Plads stay covered by the western round.
    assert!(cov.cells.iter().any(|c| c.covered));
    let layer = cov.layer(&segs, 5);
    assert_eq!(layer.len(), cov.cells.len());
    let text = layer.to_string();
    assert!(text.contains("\"covered\":false") && text.contains("\"covered\":true"));

    // The hot spots must be binned like the routes.
    let other = BinSpec::of(&[Dimension::Hour]);
    let inc = &ds.incidents;
    let b2 = binning.assign(&other, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
    let segs2 = RouteSegmentation::default()
        .compute(&ds, &binning, &other, &b2)
        .unwrap();
    let e = segs2
        .hot_spot_coverage(&hot, &ds.projection, HotCellRule::Fdr)
        .unwrap_err();
    assert!(e.to_string().contains("same time bins"), "{e}");
}

#[test]
fn siting_per_bin_follows_the_incidents() {
    // West cluster (8 incidents at 09-12) and east cluster (5 at 21-24), 1 km apart.
    let mut pts: Vec<(f64, f64, &str)> = Vec::new();
    for k in 0..8 {
        pts.push((f64::from(k) * 10.0, 0.0, "2024-03-05T10:00:00+01:00"));
    }
    for k in 0..5 {
        pts.push((
            1000.0 + f64::from(k) * 10.0,
            0.0,
            "2024-03-05T22:00:00+01:00",
        ));
    }
    let sites = |ds: &Dataset| {
        let p = &ds.projection;
        vec![
            p.inverse(X0 + 1020.0, Y0).unwrap(),
            p.inverse(X0 + 40.0, Y0).unwrap(),
        ]
    };
    let ds = dataset(&pts, vec![]);
    let siting = SafeHavenSiting {
        candidates: Candidates::Points(sites(&ds)),
        sites: 1,
        ..SafeHavenSiting::default()
    };
    let (binning, spec, bins) = hour_bins(&ds);
    let labels = binning.labels(&spec);
    let all = siting.compute(&ds, None).unwrap();
    assert_eq!(all.picks.len(), 1);
    assert_eq!(
        (all.picks[0].candidate, all.picks[0].marginal_count),
        (1, 8)
    );
    assert!((all.picks[0].cumulative_share - 8.0 / 13.0).abs() < 1e-12);
    let per = siting.compute(&ds, Some((&bins, &labels))).unwrap();
    let pick = |h: &byrum::SafeHavens, b: usize| h.picks_of(b).next().map(|p| p.candidate);
    assert_eq!(pick(&per, 3), Some(1)); // 09-12: west
    assert_eq!(pick(&per, 7), Some(0)); // 21-24: east
    assert_eq!(pick(&per, 0), None); // no incidents at night
    assert_eq!(per.picks_of(7).next().unwrap().cumulative_share, 1.0);
    // Move six west incidents to the evening: now 21-24 is won by the west.
    for p in pts.iter_mut().take(6) {
        p.2 = "2024-03-05T22:30:00+01:00";
    }
    let ds2 = dataset(&pts, vec![]);
    let (_, _, bins2) = hour_bins(&ds2);
    let per2 = siting.compute(&ds2, Some((&bins2, &labels))).unwrap();
    assert_eq!(pick(&per2, 7), Some(1));
    assert_eq!(per2.picks_of(7).next().unwrap().marginal_count, 6);
    // Layer: counts below k = 6 are hidden, and the shares made from them.
    let layer = per2.layer(6);
    let fc: serde_json::Value = serde_json::from_str(&layer.to_string()).unwrap();
    let props: Vec<&serde_json::Value> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["properties"])
        .collect();
    let evening = props.iter().find(|p| p["bin"] == "21-24").unwrap();
    assert_eq!(evening["marginal_count"], 6);
    let morning = props.iter().find(|p| p["bin"] == "09-12").unwrap();
    assert!(morning["marginal_count"].is_null() && morning["marginal_share"].is_null());
    assert_eq!(morning["suppressed"], true);
    assert_eq!(per2.coverage_layer(&ds2.projection, 6).unwrap().len(), 2);
    // Bad parameters.
    for bad in [
        SafeHavenSiting {
            radius_m: 0.0,
            ..siting.clone()
        },
        SafeHavenSiting {
            sites: 0,
            ..siting.clone()
        },
        SafeHavenSiting {
            candidates: Candidates::Points(vec![]),
            ..siting.clone()
        },
        SafeHavenSiting {
            candidates: Candidates::Grid { spacing_m: -1.0 },
            ..siting.clone()
        },
    ] {
        assert!(bad.compute(&ds, None).is_err());
    }
}

#[test]
fn demo_siting_greedy_first_site_is_the_best_single_site() {
    let ds = demo_dataset();
    let index = SpatialIndex::build(&ds).unwrap();
    let havens = SafeHavenSiting::default().compute(&ds, None).unwrap();
    assert_eq!(havens.picks.len(), 5);
    assert!(havens.candidate_rule.contains("100 m grid"));
    // The first site covers the most incidents of any candidate (checked
    // with the index, independently of the siting code).
    let best = havens
        .candidates
        .iter()
        .map(|c| index.incidents_within(c.x, c.y, 250.0).len() as u64)
        .max()
        .unwrap();
    assert_eq!(havens.picks[0].marginal_count, best);
    // Marginal gains never grow; cumulative shares add up to at most 1.
    for w in havens.picks.windows(2) {
        assert!(w[1].marginal_weight <= w[0].marginal_weight);
        assert!(w[1].cumulative_share > w[0].cumulative_share);
    }
    let last = havens.picks.last().unwrap();
    let sum: u64 = havens.picks.iter().map(|p| p.marginal_count).sum();
    assert_eq!(last.cumulative_count, sum);
    assert!(last.cumulative_share < 1.0);
    // The covered incidents are the union of the five discs.
    let mut covered = vec![false; ds.incidents.len()];
    for p in &havens.picks {
        let c = havens.candidates[p.candidate];
        for i in index.incidents_within(c.x, c.y, 250.0) {
            covered[i as usize] = true;
        }
    }
    assert_eq!(
        covered.iter().filter(|&&c| c).count() as u64,
        last.cumulative_count
    );
}

/// The real Helsinki walking streets (2,253 lines) cut into 50 m pieces, with
/// the Helsinki services as stand-in incidents: lengths add up, and the
/// incidents near each street equal a brute-force scan.
#[test]
fn helsinki_streets_cut_and_count() {
    let path = common::real("helsinki_walk_streets.geojson");
    let (routes, rr) = read::geojson::read_routes(&path, None).unwrap();
    let (services, _) =
        read::geojson::read_services(&common::real("helsinki_services.geojson"), Some("FI"))
            .unwrap();
    let mut csv = String::from("id,lon,lat,timestamp,category\n");
    for (k, s) in services.iter().enumerate() {
        use std::fmt::Write as _;
        writeln!(
            csv,
            "{k},{:.7},{:.7},2024-06-0{}T12:00:00+03:00,service",
            s.point.x(),
            s.point.y(),
            1 + k % 7
        )
        .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("incidents.csv");
    std::fs::write(&file, csv).unwrap();
    let ds = DatasetBuilder::new()
        .incidents(IncidentReader::new().read_csv(&file).unwrap())
        .routes(routes, rr)
        .build()
        .unwrap();
    let inc = &ds.incidents;
    let binning = TimeBinning::default();
    let spec = BinSpec::all();
    let bins = binning.assign(&spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
    let segs = RouteSegmentation::default()
        .compute(&ds, &binning, &spec, &bins)
        .unwrap();
    assert_eq!(segs.routes.len(), 2253);
    assert_eq!(
        segs.unscheduled.len(),
        2253 - segs.routes.iter().filter(|r| r.schedule.is_some()).count()
    );
    use geo::line_measures::{Distance, Euclidean};
    let mut near_total = 0;
    for r in &segs.routes {
        let line = &segs.lines[r.route];
        let full: f64 = line
            .lines()
            .map(|l| (l.end.x - l.start.x).hypot(l.end.y - l.start.y))
            .sum();
        assert!(
            (r.length_m - full).abs() < 1e-6 * full.max(1.0),
            "{}",
            r.name
        );
        assert_eq!(
            r.pieces.len(),
            (full / 50.0 - 1e-9).ceil().max(0.0) as usize,
            "{}",
            r.name
        );
        let brute = (0..inc.len())
            .filter(|&i| Euclidean.distance(&Point::new(inc.x[i], inc.y[i]), line) <= 50.0)
            .count() as u64;
        assert_eq!(r.count, brute, "{}", r.name);
        near_total += brute;
    }
    assert!(near_total > 0);
    assert_eq!(segs.counts.iter().sum::<u64>(), near_total);
}

/// Places and the outreach rounds at their peak: Karolinelunden peaks at
/// 21-24 in summer, when the eastern round (Tu, Th, Sa 20-24) crosses it on
/// 3 of 7 evenings; without that round the western one is about 330 m away.
#[test]
fn demo_place_coverage_at_the_peak() {
    let mut ds = demo_dataset();
    let binning = TimeBinning::default();
    let spec = BinSpec::of(&[Dimension::Hour, Dimension::Season]);
    let inc = &ds.incidents;
    let bins = binning.assign(&spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
    let index = SpatialIndex::build(&ds).unwrap();
    let place_of = index.place_of_incidents(&ds);
    let profiles = PlaceProfiles::new()
        .compute(&ds, &index, &place_of, &binning)
        .unwrap();
    let segs = RouteSegmentation::default()
        .compute(&ds, &binning, &spec, &bins)
        .unwrap();
    let cov = segs.place_coverage(&profiles, &ds.projection).unwrap();
    assert_eq!(cov.len(), ds.places.len());
    let kl = cov.iter().find(|c| c.id == "karolinelunden").unwrap();
    assert_eq!(kl.peak_label.as_deref(), Some("21-24_summer"));
    assert!(kl.covered);
    let near = kl.nearest_outreach.as_ref().unwrap();
    assert_eq!(near.id, "route_outreach_oest");
    assert!(near.distance_m < 1.0, "{near:?}");
    let share = near.walked_share_at_peak.unwrap();
    assert!((share - 3.0 / 7.0).abs() < 0.02, "{share}");
    // A covered place has an outreach route within the buffer, walked at its peak.
    for c in cov.iter().filter(|c| c.covered) {
        let r = &segs.routes[c.covered_by.unwrap()];
        assert_eq!(r.kind, RouteKind::Outreach);
        let peak = segs
            .bin_labels
            .iter()
            .position(|b| Some(b) == c.peak_label.as_ref())
            .unwrap();
        assert!(r.walked_hours.as_ref().unwrap()[peak] > 0.0);
    }
    let table = place_coverage_table(&cov).unwrap();
    assert_eq!(table.height(), cov.len());

    ds.routes.retain(|r| r.id != "route_outreach_oest");
    let segs = RouteSegmentation::default()
        .compute(&ds, &binning, &spec, &bins)
        .unwrap();
    let cov = segs.place_coverage(&profiles, &ds.projection).unwrap();
    let kl = cov.iter().find(|c| c.id == "karolinelunden").unwrap();
    assert!(!kl.covered);
    let near = kl.nearest_outreach.as_ref().unwrap();
    assert_eq!(near.id, "route_outreach_vest");
    assert!(near.distance_m > 250.0, "{near:?}");
}
