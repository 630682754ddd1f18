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
