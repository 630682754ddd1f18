//! Services and opening hours: the real Helsinki strings, constructed
//! opening-hours cases (Danish holidays, month ranges, 24:00), and the
//! service gap and outreach windows on the Aalborg demo.
#![allow(clippy::unwrap_used, clippy::float_cmp)] // test code

mod common;

use byrum::*;
use common::{demo, real};

fn at(local: &str) -> i64 {
    local
        .parse::<chrono::DateTime<chrono::FixedOffset>>()
        .unwrap()
        .timestamp()
}

fn open(text: &str, local: &str) -> bool {
    let tz = parse_zone("Europe/Copenhagen").unwrap();
    Schedule::parse(text, Some("DK"))
        .unwrap()
        .is_open_at(at(local), tz)
}

/// Every Helsinki `opening_hours` parses, with Finnish and with Danish
/// holidays; the list of failures is empty, and the strings mean what they say.
#[test]
fn helsinki_opening_hours_all_parse() {
    for country in ["FI", "DK"] {
        let (services, r) =
            read::geojson::read_services(&real("helsinki_services.geojson"), Some(country))
                .unwrap();
        let bad: Vec<&str> = r
            .warnings
            .iter()
            .filter(|w| w.kind == "bad_opening_hours")
            .map(|w| w.message.as_str())
            .collect();
        assert_eq!(bad, Vec::<&str>::new(), "{country}");
        assert_eq!(
            services
                .iter()
                .filter(|s| s.opening_hours.is_some())
                .count(),
            17
        );
    }
    let (services, _) =
        read::geojson::read_services(&real("helsinki_services.geojson"), Some("FI")).unwrap();
    let tz = parse_zone("Europe/Helsinki").unwrap();
    let hours = |name: &str| {
        services
            .iter()
            .find(|s| s.name == name && s.opening_hours.is_some())
            .unwrap()
            .opening_hours
            .clone()
            .unwrap()
    };
    let open_fi = |name: &str, local: &str| hours(name).is_open_at(at(local), tz);
    // "Mo-Th 09:00-20:00, Fr 09:00-18:00, ...": the comma adds rules.
    let r = "Rikhardinkadun kirjasto";
    assert!(open_fi(r, "2024-03-07T19:30:00+02:00")); // Thursday
    assert!(!open_fi(r, "2024-03-08T19:30:00+02:00")); // Friday, closes 18
    assert!(open_fi(r, "2024-03-10T12:30:00+02:00")); // Sunday 12-18
    // "Tu, Th, Fr 12:00-17:00; Fr 12:00-15:00": the later rule overrides Friday.
    let h = "House Seurakunta";
    assert!(open_fi(h, "2024-03-07T16:00:00+02:00"));
    assert!(!open_fi(h, "2024-03-08T16:00:00+02:00"));
    // "Mo-Fr 9:00-18:00": a one-digit hour.
    assert!(open_fi("Apteekki Bulevardia", "2024-03-04T09:15:00+02:00"));
    // "Jun-Aug: Su-Sa 09:00-24:00; Sep-May: Su-Sa 09:00-18:00".
    let c = "Helsingin tuomiokirkko";
    assert!(open_fi(c, "2024-07-03T23:30:00+03:00"));
    assert!(!open_fi(c, "2024-10-02T23:30:00+03:00"));
    assert!(open_fi(c, "2024-10-02T17:30:00+03:00"));
    // "Mo-Fr 08:00-20:00; Sa 11:00-17:00, Su closed".
    let l = "Helsingin yliopiston pääkirjasto";
    assert!(open_fi(l, "2024-03-09T12:00:00+02:00"));
    assert!(!open_fi(l, "2024-03-10T12:00:00+02:00"));
}

/// Strings people write that are not `opening_hours` syntax are reported
/// with the text and the parser's reason, and the service is kept as never open.
#[test]
fn unparseable_opening_hours_are_reported_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("services.geojson");
    let feature = |id: &str, oh: &str| {
        format!(
            r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[9.92,57.05]}},"properties":{{"id":"{id}","name":"{id}","kind":"drop_in","opening_hours":"{oh}"}}}}"#
        )
    };
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{},{},{},{}]}}"#,
        feature("ok", "Mo-Fr 09:00-15:00"),
        feature("danish", "man-fre 9-15"),
        feature("words", "by appointment"),
        feature("dash", "Mo-Fr 09.00-15.00")
    );
    std::fs::write(&path, text).unwrap();
    let (services, r) = read::geojson::read_services(&path, Some("DK")).unwrap();
    let bad: Vec<(u64, &str)> = r
        .warnings
        .iter()
        .filter(|w| w.kind == "bad_opening_hours")
        .map(|w| (w.line.unwrap(), w.message.as_str()))
        .collect();
    for (_, m) in &bad {
        eprintln!("{m}");
    }
    let lines: Vec<u64> = bad.iter().map(|b| b.0).collect();
    assert_eq!(lines, vec![2, 3, 4]);
    for ((_, m), text) in bad
        .iter()
        .zip(["man-fre 9-15", "by appointment", "Mo-Fr 09.00-15.00"])
    {
        assert!(m.contains(&format!("{text:?}")), "{m}");
        assert!(
            m.contains("could not be parsed") && m.contains("treated as never open"),
            "{m}"
        );
    }
    assert!(services[1..].iter().all(|s| s.opening_hours.is_none()));
    // The services layer says which could not be parsed and why.
    let csv = dir.path().join("i.csv");
    std::fs::write(
        &csv,
        "id,lon,lat,timestamp,category\n1,9.92,57.05,2024-03-05T10:00:00+01:00,noise\n",
    )
    .unwrap();
    let ds = DatasetBuilder::new()
        .incidents(IncidentReader::new().read_csv(&csv).unwrap())
        .services(services, r)
        .build()
        .unwrap();
    let problems = opening_hours_problems(&ds);
    assert!(problems[0].is_none() && problems[1..].iter().all(Option::is_some));
    let b = TimeBinning::default();
    let spec = BinSpec::all();
    let t = Timetable::compute(&ds.services, &b, &ds.period, ds.zone);
    let shares = open_shares(&ds.services, &b, &spec, &ds.period, ds.zone, ds.centre());
    let layer = services_layer(&ds, &t, &shares, &b.labels(&spec)).unwrap();
    let fc = layer.to_feature_collection();
    let prop = |i: usize, k: &str| fc.features[i].properties.as_ref().unwrap()[k].clone();
    assert_eq!(prop(0, "opening_hours"), "Mo-Fr 09:00-15:00");
    assert_eq!(prop(0, "open_all"), serde_json::json!(0.25)); // 6 of 24 h on a Tuesday
    assert_eq!(prop(2, "opening_hours"), "could not be parsed");
    assert!(
        prop(2, "opening_hours_problem")
            .as_str()
            .unwrap()
            .contains("by appointment")
    );
    assert_eq!(prop(2, "open_all"), serde_json::Value::Null);
}

#[test]
fn public_holidays_off_in_denmark() {
    let s = "Mo-Su 10:00-16:00; PH off";
    // Easter Monday, Ascension, Whit Monday, Christmas Day, 2nd Christmas Day 2024.
    for day in [
        "2024-04-01",
        "2024-05-09",
        "2024-05-20",
        "2024-12-25",
        "2024-12-26",
    ] {
        let offset = if day.starts_with("2024-12") {
            "+01:00"
        } else {
            "+02:00"
        };
        assert!(!open(s, &format!("{day}T12:00:00{offset}")), "{day}");
    }
    // Ordinary days are open.
    assert!(open(s, "2024-04-02T12:00:00+02:00"));
    assert!(open(s, "2024-12-27T12:00:00+01:00"));
}

#[test]
fn month_ranges_midnight_and_weekday_rules() {
    // Winter nights only.
    let w = "Nov-Mar 20:00-08:00";
    assert!(open(w, "2024-01-17T02:00:00+01:00"));
    assert!(open(w, "2024-01-17T21:00:00+01:00"));
    assert!(!open(w, "2024-01-17T12:00:00+01:00"));
    assert!(!open(w, "2024-07-17T02:00:00+02:00"));
    assert!(!open(w, "2024-07-17T21:00:00+02:00"));
    // 24:00 closes at midnight.
    let m = "Mo-Su 18:00-24:00";
    assert!(open(m, "2024-03-05T23:59:00+01:00"));
    assert!(!open(m, "2024-03-06T00:01:00+01:00"));
    assert!(!open(m, "2024-03-05T17:59:00+01:00"));
    // A month range with a colon.
    let f = "Sep-May: Fr 18:00-22:00";
    assert!(open(f, "2024-03-08T19:00:00+01:00")); // Friday in March
    assert!(!open(f, "2024-03-07T19:00:00+01:00")); // Thursday
    assert!(!open(f, "2024-07-05T19:00:00+02:00")); // Friday in July
    // The comma adds a rule; Sunday closed.
    let s = "Sa 11:00-17:00, Su closed";
    assert!(open(s, "2024-03-09T12:00:00+01:00"));
    assert!(!open(s, "2024-03-10T12:00:00+01:00"));
    assert!(!open(s, "2024-03-09T18:00:00+01:00"));
}

/// The demo: service gap for the target groups' services (not toilets),
/// checked against a brute-force scan over every service, and outreach windows.
#[test]
fn aalborg_service_gap_and_outreach_windows() {
    let batch = IncidentReader::new()
        .read_csv(&demo("incidents.csv"))
        .unwrap();
    let (places, pr) = read::geojson::read_places(&demo("places.geojson")).unwrap();
    let (services, sr) =
        read::geojson::read_services(&demo("services.geojson"), Some("DK")).unwrap();
    let ds = DatasetBuilder::new()
        .incidents(batch)
        .places(places, pr)
        .services(services, sr)
        .build()
        .unwrap();
    let index = SpatialIndex::build(&ds).unwrap();
    let place_of = index.place_of_incidents(&ds);
    let kinds = [
        ServiceKind::WarmingRoom,
        ServiceKind::DropInCentre,
        ServiceKind::Shelter,
        ServiceKind::HealthRoom,
    ];
    let gap = ServiceGap::new()
        .kinds(&kinds)
        .compute(&ds, &index, &place_of)
        .unwrap();
    let all = ServiceGap::new().compute(&ds, &index, &place_of).unwrap();
    eprintln!(
        "demo: {} incidents; target-group services: unmet {} ({:.1} %), of which {} with none within 500 m; any service: unmet {:.1} %",
        gap.incidents,
        gap.unmet,
        100.0 * gap.unmet_share,
        gap.unmet_no_service_nearby,
        100.0 * all.unmet_share
    );
    // Brute force on every 7th incident: any chosen service within 500 m open then.
    let inc = &ds.incidents;
    for i in (0..inc.len()).step_by(7) {
        let met = ds.services.iter().enumerate().any(|(s, svc)| {
            let [x, y] = index.service_xy(s);
            kinds.contains(&svc.kind)
                && (x - inc.x[i]).hypot(y - inc.y[i]) <= 500.0
                && svc
                    .opening_hours
                    .as_ref()
                    .is_some_and(|h| h.is_open_at(inc.utc[i], ds.zone))
        });
        assert_eq!(gap.is_unmet(i), !met, "incident {i}");
    }
    assert!(all.unmet <= gap.unmet);
    assert!(
        gap.unmet_share > 0.2 && gap.unmet_share < 0.95,
        "{}",
        gap.unmet_share
    );
    // Per place and hour: at night more incidents are unmet than at midday.
    let night: u64 = (0..ds.places.len()).map(|p| gap.place_hour(p, 3).1).sum();
    let night_total: u64 = (0..ds.places.len()).map(|p| gap.place_hour(p, 3).0).sum();
    let noon: u64 = (0..ds.places.len()).map(|p| gap.place_hour(p, 12).1).sum();
    let noon_total: u64 = (0..ds.places.len()).map(|p| gap.place_hour(p, 12).0).sum();
    let (ns, ds_) = (
        night as f64 / night_total as f64,
        noon as f64 / noon_total as f64,
    );
    eprintln!("unmet share at 03-04: {ns:.2}, at 12-13: {ds_:.2}");
    assert!(ns > ds_);
    let table = gap.place_table(&ds).unwrap();
    let ids = table.column("place_id").unwrap().str().unwrap();
    let inc_c = table.column("incidents").unwrap().u64().unwrap();
    let unmet_c = table.column("unmet").unwrap().u64().unwrap();
    let share_c = table.column("unmet_share").unwrap().f64().unwrap();
    let none_c = table
        .column("unmet_no_service_nearby")
        .unwrap()
        .u64()
        .unwrap();
    for r in 0..table.height() {
        eprintln!(
            "  {:<20} incidents {:>6} unmet {:>6} share {:.3} none-nearby {:>6}",
            ids.get(r).unwrap(),
            inc_c.get(r).unwrap(),
            unmet_c.get(r).unwrap(),
            share_c.get(r).unwrap(),
            none_c.get(r).unwrap()
        );
    }
    let sum =
        |c: &polars::prelude::UInt64Chunked| (0..c.len()).filter_map(|r| c.get(r)).sum::<u64>();
    assert_eq!(sum(inc_c), ds.incidents.len() as u64);
    assert_eq!(sum(unmet_c), gap.unmet);
    let t = Timetable::compute(&ds.services, &TimeBinning::default(), &ds.period, ds.zone);
    let windows = OutreachWindows::default()
        .rank(&ds, &index, &gap, &t)
        .unwrap();
    assert_eq!(windows.len(), 20);
    for w in windows.iter().take(5) {
        eprintln!(
            "#{} {} {}: {} unmet of {} ({:.2} per visit over {} visits, {:.1} % of the place's unmet); open nearby: {:?}",
            w.rank,
            w.place_name,
            w.label(),
            w.unmet,
            w.incidents,
            w.unmet_per_visit,
            w.occurrences,
            100.0 * w.share_of_place_unmet,
            w.open_nearby()
                .map(|n| format!("{} reaches {:.0} %", n.name, 100.0 * n.reaches_share))
                .collect::<Vec<_>>()
        );
    }
    assert!(windows.windows(2).all(|p| p[0].unmet >= p[1].unmet));
    // Non-overlapping per place.
    for a in &windows {
        for b in &windows {
            if a.rank < b.rank && a.place == b.place {
                let sa = a.weekday_hours();
                assert!(
                    b.weekday_hours().iter().all(|x| !sa.contains(x)),
                    "{a:?} {b:?}"
                );
            }
        }
    }
    // The two-year period has 104 or 105 of each weekday.
    assert!(windows.iter().all(|w| (104..=105).contains(&w.occurrences)));
    let wide = t.wide_table().unwrap();
    assert_eq!(wide.height(), 4 * 168);
    assert!(wide.column("n_open_warming_room").is_ok());
    let long = t.long_table().unwrap();
    assert_eq!(long.height(), 4 * 168 * 10);
    // Warming room (Nov-Mar 20-08): open every winter night hour, never in summer.
    let warm = ds
        .services
        .iter()
        .position(|s| s.kind == ServiceKind::WarmingRoom)
        .unwrap();
    assert_eq!(t.share(warm, Timetable::slot(0, 2, 2)), Some(1.0));
    assert_eq!(t.share(warm, Timetable::slot(2, 2, 2)), Some(0.0));
}

/// `OpenTimes` (open intervals computed once) answers exactly as
/// `Schedule::is_open_at` at every quarter hour and at odd seconds around
/// every opening boundary, over two years with four DST changes, public
/// holidays and night openings across midnight and across the DST nights.
#[test]
fn open_times_equal_is_open_at() {
    use byrum::{OpenTimes, Period, Schedule, Service, ServiceKind, parse_zone};
    let texts = [
        "24/7",
        "Mo-Fr 08:00-16:00; PH off",
        "Mo-Su 18:00-08:00",
        "Tu,Th 10:00-14:00; Sa 12:00-20:00",
        "Mo-Fr 08:30-12:15,13:00-17:45; Sa 10:00-14:00; Dec 24-26 off",
        "Nov-Mar Mo-Su 20:00-08:00; Apr-Oct Mo-Su 22:00-06:00",
        "Su 00:00-24:00",
    ];
    for zone in ["Europe/Copenhagen", "America/New_York"] {
        let tz = parse_zone(zone).unwrap();
        let services: Vec<Service> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| Service {
                id: i.to_string(),
                name: (*t).to_owned(),
                point: geo::Point::new(9.92, 57.05),
                kind: ServiceKind::parse("warming_room"),
                target_groups: vec![],
                opening_hours: Some(Schedule::parse(t, Some("DK")).unwrap()),
                attributes: byrum::Attributes::default(),
            })
            // The same text again (computed once), and with another
            // country's holidays (not the same schedule).
            .chain(["DK", "DE"].iter().map(|country| Service {
                id: format!("again {country}"),
                name: texts[1].to_owned(),
                point: geo::Point::new(9.92, 57.05),
                kind: ServiceKind::parse("warming_room"),
                target_groups: vec![],
                opening_hours: Some(Schedule::parse(texts[1], Some(country)).unwrap()),
                attributes: byrum::Attributes::default(),
            }))
            .chain(std::iter::once(Service {
                id: "unknown".into(),
                name: "no hours".into(),
                point: geo::Point::new(9.92, 57.05),
                kind: ServiceKind::parse("shelter"),
                target_groups: vec![],
                opening_hours: None,
                attributes: byrum::Attributes::default(),
            }))
            .collect();
        // 2023-01-01 .. 2025-01-01 UTC, and instants a day beyond both ends.
        let period = Period {
            start: 1_672_531_200,
            end: 1_735_689_600,
        };
        let open = OpenTimes::compute(&services, &period, tz);
        assert_eq!(open.len(), services.len());
        let mut checked = 0u64;
        let mut opened = 0u64;
        for (i, s) in services.iter().enumerate() {
            let mut t = period.start - 86_400;
            while t < period.end + 86_400 {
                // Quarter hours, and a few seconds either side of them.
                for u in [t - 1, t, t + 1, t + 7 * 60 + 13] {
                    let expected = s
                        .opening_hours
                        .as_ref()
                        .is_some_and(|h| h.is_open_at(u, tz));
                    assert_eq!(open.is_open(i, u), expected, "{zone} {:?} at {u}", s.name);
                    checked += 1;
                    opened += u64::from(expected);
                }
                t += 900;
            }
        }
        assert!(
            checked > 500_000 && opened > checked / 4,
            "{checked} {opened}"
        );
    }
}

// ----------------------------------------------------------------------------
// issue 7, nearest open service at scale (`NearestOpen`).

/// A deterministic pseudo-random stream (splitmix64) for the property tests.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [a, b).
    fn uniform(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A data set over 2024 (Europe/Copenhagen, two DST changes) with `services`.
fn nearest_dataset(services: Vec<Service>) -> Dataset {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incidents.csv");
    std::fs::write(
        &path,
        "id,lon,lat,timestamp,category\n\
         1,9.9200,57.0450,2024-01-01T07:10:00+01:00,noise\n\
         2,9.9300,57.0400,2024-12-31T12:10:00+01:00,noise\n",
    )
    .unwrap();
    let tz = parse_zone("Europe/Copenhagen").unwrap();
    let mut ds = DatasetBuilder::new()
        .incidents(IncidentReader::new().read_csv(&path).unwrap())
        .zone(tz)
        .period(
            Period::local_dates(
                tz,
                "2024-01-01".parse().unwrap(),
                "2024-12-31".parse().unwrap(),
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    ds.services = services;
    ds
}

fn nearest_service(id: usize, lon: f64, lat: f64, kind: &str, hours: Option<&str>) -> Service {
    Service {
        id: id.to_string(),
        name: format!("service {id}"),
        point: geo::Point::new(lon, lat),
        kind: ServiceKind::parse(kind),
        target_groups: vec![],
        opening_hours: hours.map(|h| Schedule::parse(h, Some("DK")).unwrap()),
        attributes: Attributes::default(),
    }
}

/// Random services: positions in central Aalborg (some exactly on top of
/// another, for ties), varied opening hours (or none), three kinds.
fn random_services(rng: &mut Mix, n: usize, hours: &[Option<&str>]) -> Vec<Service> {
    let kinds = ["warming_room", "drop_in_centre", "shelter"];
    let mut out: Vec<Service> = Vec::with_capacity(n);
    for i in 0..n {
        let (lon, lat) = if i > 0 && rng.below(10) == 0 {
            let o = &out[rng.below(i)];
            (o.point.x(), o.point.y())
        } else {
            (rng.uniform(9.88, 9.96), rng.uniform(57.02, 57.06))
        };
        let h = hours[rng.below(hours.len())];
        out.push(nearest_service(i, lon, lat, kinds[rng.below(3)], h));
    }
    out
}

/// Asks `NearestOpen` and `SpatialIndex::nearest_open` at `n` random points
/// (a box four times the services' extent, and a few far away) and instants
/// (the year, plus a month either side outside the period): every answer
/// equal, service and distance. Returns (grid answers, fallbacks, found).
fn compare_nearest(
    rng: &mut Mix,
    services: Vec<Service>,
    kinds: Option<&[ServiceKind]>,
    max_distance: f64,
    n: usize,
) -> (usize, usize, usize) {
    let ds = nearest_dataset(services);
    let index = SpatialIndex::build(&ds).unwrap();
    let open = OpenTimes::compute(&ds.services, &ds.period, ds.zone);
    let fast = NearestOpen::new(&index, &ds.services, &open, kinds, max_distance);
    let (mut grid, mut fallback, mut found) = (0, 0, 0);
    let (mut xs, mut ys, mut ts) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..n {
        let (lon, lat) = if k % 50 == 0 {
            (rng.uniform(8.0, 12.0), rng.uniform(55.0, 58.0)) // far outside
        } else {
            (rng.uniform(9.80, 10.04), rng.uniform(57.00, 57.08))
        };
        let (x, y) = ds.projection.forward(lon, lat).unwrap();
        let t = if k % 20 == 0 {
            // Exactly on the hour, where opening hours change.
            ds.period.start + 3600 * rng.below(366 * 24) as i64
        } else {
            rng.uniform(
                (ds.period.start - 30 * 86_400) as f64,
                (ds.period.end + 30 * 86_400) as f64,
            ) as i64
        };
        let expected = index.nearest_open(&ds.services, &open, x, y, t, kinds, max_distance);
        let (got, path) = fast.query_traced(x, y, t);
        assert_eq!(got, expected, "point {k}: ({x}, {y}) at {t}, {path:?}");
        match path {
            Answered::Grid => grid += 1,
            Answered::Fallback => fallback += 1,
        }
        found += usize::from(got.is_some());
        xs.push(x);
        ys.push(y);
        ts.push(t);
    }
    // The batch answers as the single queries.
    let all = fast.query_all(&xs, &ys, &ts).unwrap();
    for (k, a) in all.iter().enumerate() {
        assert_eq!(*a, fast.query(xs[k], ys[k], ts[k]));
    }
    assert!(fast.query_all(&xs, &ys[1..], &ts).is_err());
    (grid, fallback, found)
}

const VARIED_HOURS: [Option<&str>; 8] = [
    Some("24/7"),
    Some("Mo-Fr 08:00-16:00; PH off"),
    Some("Mo-Su 20:00-08:00"),
    Some("Nov-Mar Mo-Su 20:00-08:00"),
    Some("Tu,Th 10:00-14:00; Sa 12:00-20:00"),
    Some("Mo-Fr 08:30-12:15,13:00-17:45; Sa 10:00-14:00; Dec 24-26 off"),
    Some("Su 00:00-24:00; PH off"),
    None,
];

/// `NearestOpen` equals the tree walk for random services, points and
/// instants (DST, holidays, nights over midnight, outside the period), with
/// and without a kinds filter and a maximum distance; most answers come
/// from the grid.
#[test]
fn nearest_open_fast_equals_tree_walk() {
    let mut rng = Mix(7);
    let shelter = [ServiceKind::parse("shelter")];
    let two = [
        ServiceKind::parse("warming_room"),
        ServiceKind::parse("drop_in_centre"),
    ];
    for (n, kinds, max) in [
        (50, None, f64::INFINITY),
        (120, Some(&two[..]), f64::INFINITY),
        (300, None, 600.0),
        (200, Some(&shelter[..]), 1500.0),
        (80, Some(&shelter[..]), f64::INFINITY),
    ] {
        let services = random_services(&mut rng, n, &VARIED_HOURS);
        let (grid, fallback, found) = compare_nearest(&mut rng, services, kinds, max, 3000);
        // A third of the points lie outside the grid or the period.
        assert!(
            grid > 1500,
            "{n} {kinds:?} {max}: grid {grid}, fallback {fallback}"
        );
        assert!(fallback > 0 && found > 500, "{n}: {fallback} {found}");
    }
}

/// Nearly every service closed (open only on 2024-06-15): the candidate
/// lists run out and the fallback answers, equally.
#[test]
fn nearest_open_mostly_closed_falls_back() {
    let mut rng = Mix(11);
    let hours = [
        Some("2024 Jun 15 10:00-12:00"),
        Some("Mo-Fr 08:00-16:00; 2024 Jan-Dec off"),
        None,
        None,
    ];
    let mut services = random_services(&mut rng, 150, &hours);
    // Two services open all the time, at the edge of the area.
    services.push(nearest_service(150, 9.96, 57.06, "shelter", Some("24/7")));
    services.push(nearest_service(151, 9.88, 57.02, "shelter", Some("24/7")));
    let (grid, fallback, found) = compare_nearest(&mut rng, services, None, f64::INFINITY, 2000);
    assert!(fallback > 1000, "grid {grid}, fallback {fallback}");
    assert!(found > 1500, "{found}");
}

/// Ties: services at one point give the smallest index open on both
/// paths (the tree walk's order among them is arbitrary); no services and
/// no open service give none, from the grid.
#[test]
fn nearest_open_ties_and_empty_cases() {
    let (lon, lat) = (9.92, 57.045);
    // All 40 at one point: the smallest index.
    let ds = nearest_dataset(
        (0..40)
            .map(|i| {
                nearest_service(
                    i,
                    lon,
                    lat,
                    "shelter",
                    Some(if i < 5 { "Mo 08:00-09:00" } else { "24/7" }),
                )
            })
            .collect(),
    );
    let index = SpatialIndex::build(&ds).unwrap();
    let open = OpenTimes::compute(&ds.services, &ds.period, ds.zone);
    let fast = NearestOpen::new(&index, &ds.services, &open, None, f64::INFINITY);
    let (x, y) = ds.projection.forward(9.93, 57.05).unwrap();
    let tuesday = at("2024-03-05T08:30:00+01:00");
    let monday = at("2024-03-04T08:30:00+01:00");
    assert_eq!(fast.query(x, y, tuesday).map(|f| f.0), Some(5));
    assert_eq!(fast.query(x, y, monday).map(|f| f.0), Some(0));
    for t in [tuesday, monday] {
        assert_eq!(
            fast.query(x, y, t),
            index.nearest_open(&ds.services, &open, x, y, t, None, f64::INFINITY)
        );
    }
    // No services; no open service (none with hours, or all of another kind).
    for services in [
        vec![],
        (0..30)
            .map(|i| nearest_service(i, 9.9 + 0.001 * i as f64, lat, "shelter", None))
            .collect(),
        (0..30)
            .map(|i| nearest_service(i, 9.9 + 0.001 * i as f64, lat, "shelter", Some("24/7")))
            .collect::<Vec<_>>(),
    ] {
        let ds = nearest_dataset(services);
        let index = SpatialIndex::build(&ds).unwrap();
        let open = OpenTimes::compute(&ds.services, &ds.period, ds.zone);
        let cafe = [ServiceKind::parse("cafe")];
        let fast = NearestOpen::new(&index, &ds.services, &open, Some(&cafe), f64::INFINITY);
        assert_eq!(fast.query(x, y, tuesday), None);
        assert_eq!(fast.query_traced(x, y, tuesday).1, Answered::Grid);
    }
}

/// The centre of the circle through `a`, `b` and `c` (`None` when they are
/// nearly on a line).
fn circumcentre(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> Option<[f64; 2]> {
    let (bx, by, cx, cy) = (b[0] - a[0], b[1] - a[1], c[0] - a[0], c[1] - a[1]);
    let d = 2.0 * (bx * cy - by * cx);
    if d.abs() < 1e-6 * (bx * bx + by * by + cx * cx + cy * cy) {
        return None;
    }
    let (b2, c2) = (bx * bx + by * by, cx * cx + cy * cy);
    Some([
        a[0] + (cy * b2 - by * c2) / d,
        a[1] + (bx * c2 - cx * b2) / d,
    ])
}

/// Where the fine cells' candidates must keep every tie: points halfway
/// between each service and its three nearest, and at the centres of the
/// circles through it and two of them (as near to equidistant as floating
/// point gets), at the services themselves; at the instants the open sets
/// change (a schedule opening or closing, to the second), around both DST
/// changes of 2024 (a schedule in the hour that spring skips), and just
/// inside and outside the period. Services share five schedules, so the
/// open sets change by schedule. Every answer equals the tree walk, nearly
/// all from the grid.
#[test]
fn nearest_open_bisectors_changes_and_dst() {
    let mut rng = Mix(23);
    let hours = [
        Some("24/7"),
        Some("Mo-Fr 08:00-16:00; PH off"),
        Some("Mo-Su 18:00-08:00"),
        Some("Mo-Su 02:00-03:00"),
        Some("Tu,Th 10:00-14:00; Sa 12:00-20:00"),
    ];
    let ds = nearest_dataset(random_services(&mut rng, 120, &hours));
    let index = SpatialIndex::build(&ds).unwrap();
    let open = OpenTimes::compute(&ds.services, &ds.period, ds.zone);
    let fast = NearestOpen::new(&index, &ds.services, &open, None, f64::INFINITY);
    let mut instants: Vec<i64> = [
        "2024-03-31T01:59:59+01:00",
        "2024-03-31T03:00:00+02:00",
        "2024-03-31T03:00:01+02:00",
        "2024-10-27T02:59:59+02:00",
        "2024-10-27T02:00:00+01:00",
        "2024-10-27T02:30:00+01:00",
        "2024-10-27T03:00:00+01:00",
        "2024-03-05T07:59:59+01:00",
        "2024-03-05T08:00:00+01:00",
        "2024-03-05T16:00:00+01:00",
        "2024-03-05T18:00:00+01:00",
        "2024-06-15T12:00:00+02:00",
        "2024-06-15T20:00:00+02:00",
        "2024-12-25T10:00:00+01:00",
    ]
    .iter()
    .map(|t| at(t))
    .collect();
    let p = ds.period;
    instants.extend([p.start - 1, p.start, p.end - 1, p.end]);
    let xy: Vec<[f64; 2]> = (0..ds.services.len())
        .map(|i| index.service_xy(i))
        .collect();
    let mut points = Vec::new();
    for (i, &a) in xy.iter().enumerate() {
        let mut others: Vec<(f64, usize)> = xy
            .iter()
            .enumerate()
            .filter(|&(j, b)| j != i && b != &a)
            .map(|(j, b)| ((b[0] - a[0]).hypot(b[1] - a[1]), j))
            .collect();
        others.sort_by(|x, y| x.0.total_cmp(&y.0));
        let near: Vec<[f64; 2]> = others.iter().take(3).map(|&(_, j)| xy[j]).collect();
        points.push(a);
        for (k, &b) in near.iter().enumerate() {
            points.push([f64::midpoint(a[0], b[0]), f64::midpoint(a[1], b[1])]);
            points.extend(circumcentre(a, b, near[(k + 1) % near.len()]));
        }
    }
    let (mut grid, mut all) = (0, 0);
    for q in &points {
        for &t in &instants {
            let expected =
                index.nearest_open(&ds.services, &open, q[0], q[1], t, None, f64::INFINITY);
            let (got, path) = fast.query_traced(q[0], q[1], t);
            assert_eq!(got, expected, "({}, {}) at {t}, {path:?}", q[0], q[1]);
            grid += usize::from(path == Answered::Grid);
            all += 1;
        }
    }
    assert!(points.len() > 700, "{}", points.len());
    // Two of the 18 instants lie outside the period.
    assert!(grid > all * 8 / 10, "grid {grid} of {all}");
}
