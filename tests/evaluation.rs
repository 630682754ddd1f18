//! Evaluation of interventions: a constructed case with hand-computed
//! windows, counts, ratio of ratios, difference in differences, WDQ and the
//! darkness split; and the demo data, where the new lighting at Arkivpladsen
//! (model: −40 % in darkness from 2024-01-01, nothing in daylight, a quarter
//! of the prevented incidents displaced into the 200 m ring) is found and the
//! benches at Bredgade Torv (no effect) are not.
#![allow(clippy::unwrap_used, clippy::float_cmp)]

mod common;
use std::fmt::Write as _;

use byrum::*;
use common::demo;

const LON0: f64 = 9.92;
const LAT0: f64 = 57.045;

/// Longitude, latitude of a point `dx`, `dy` metres from the origin.
fn at(dx: f64, dy: f64) -> (f64, f64) {
    (
        LON0 + dx / (111_320.0 * LAT0.to_radians().cos()),
        LAT0 + dy / 111_320.0,
    )
}

/// A 40 m × 40 m square place centred `dx`, `dy` metres from the origin.
fn square(id: &str, dx: f64, dy: f64) -> Place {
    let c = |x: f64, y: f64| {
        let (lon, lat) = at(dx + x, dy + y);
        geo::coord! { x: lon, y: lat }
    };
    let ring = vec![
        c(-20.0, -20.0),
        c(20.0, -20.0),
        c(20.0, 20.0),
        c(-20.0, 20.0),
        c(-20.0, -20.0),
    ];
    Place {
        id: id.to_owned(),
        name: id.to_uppercase(),
        geometry: geo::MultiPolygon::new(vec![geo::Polygon::new(ring.into(), vec![])]),
        kind: PlaceKind::Square,
        attributes: Attributes::new(),
    }
}

/// `n` incidents at (`dx`, `dy`) m, one a day from `first` (local RFC 3339
/// date) at local `time` with `offset`.
fn rows(out: &mut String, n: usize, dx: f64, dy: f64, first: &str, time: &str, offset: &str) {
    let d0: chrono::NaiveDate = first.parse().unwrap();
    let (lon, lat) = at(dx, dy);
    for k in 0..n {
        let d = d0 + chrono::Duration::days(k as i64);
        let id = out.lines().count();
        writeln!(out, "{id},{lon:.7},{lat:.7},{d}T{time}{offset},noise").unwrap();
    }
}

/// Places: treated `t`; `n` 150 m east of it (within the 200 m ring, so not
/// a control); controls `c1`, `c2` 2 km away; `x` 2 km away with its own
/// intervention in the windows (not a control).
fn constructed() -> (Dataset, SpatialIndex, Vec<Intervention>) {
    let mut csv = String::from("id,lon,lat,timestamp,category\n");
    // The place: 20 at noon (always light), 10 → 4 at 17:40 in January
    // (dark), 10 → 10 at 17:40 in July (light).
    for (year, dark) in [("2022", 10), ("2023", 4)] {
        rows(
            &mut csv,
            20,
            0.0,
            0.0,
            &format!("{year}-01-03"),
            "12:00:00",
            "+01:00",
        );
        rows(
            &mut csv,
            dark,
            0.0,
            0.0,
            &format!("{year}-01-03"),
            "17:40:00",
            "+01:00",
        );
        rows(
            &mut csv,
            10,
            0.0,
            0.0,
            &format!("{year}-07-03"),
            "17:40:00",
            "+02:00",
        );
    }
    // The ring (80 m east, outside every place): 5 → 8.
    rows(&mut csv, 5, 80.0, 0.0, "2022-03-01", "10:00:00", "+01:00");
    rows(&mut csv, 8, 80.0, 0.0, "2023-03-01", "10:00:00", "+01:00");
    // The near place n: 3 → 3 (in neither ring nor controls).
    rows(&mut csv, 3, 150.0, 0.0, "2022-03-01", "10:00:00", "+01:00");
    rows(&mut csv, 3, 150.0, 0.0, "2023-03-01", "10:00:00", "+01:00");
    // Controls: c1 30 → 36, c2 10 → 12; x 50 → 50.
    for (dx, dy, b, a) in [
        (2000.0, 0.0, 30, 36),
        (0.0, 2000.0, 10, 12),
        (-2000.0, 0.0, 50, 50),
    ] {
        rows(&mut csv, b, dx, dy, "2022-02-01", "10:00:00", "+01:00");
        rows(&mut csv, a, dx, dy, "2023-02-01", "10:00:00", "+01:00");
    }
    let dir = std::env::temp_dir().join("byrum-test-evaluation");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("incidents.csv");
    std::fs::write(&path, csv).unwrap();
    let places = vec![
        square("t", 0.0, 0.0),
        square("n", 150.0, 0.0),
        square("c1", 2000.0, 0.0),
        square("c2", 0.0, 2000.0),
        square("x", -2000.0, 0.0),
    ];
    let ivs = dir.join("interventions.csv");
    std::fs::write(
        &ivs,
        "place_id,date,kind,description\nt,2023-01-01,lighting,lamps\nx,2022-06-01,benches,\n",
    )
    .unwrap();
    let (list, r) = read_interventions(&ivs, &places).unwrap();
    assert_eq!(r.accepted, 2);
    let tz = parse_zone("Europe/Copenhagen").unwrap();
    let d = |s: &str| s.parse().unwrap();
    let ds = DatasetBuilder::new()
        .incidents(IncidentReader::new().read_csv(&path).unwrap())
        .places(places, IngestReport::new("places", "places"))
        .period(Period::local_dates(tz, d("2022-01-01"), d("2023-12-31")).unwrap())
        .build()
        .unwrap();
    let index = SpatialIndex::build(&ds).unwrap();
    (ds, index, list)
}

#[test]
fn constructed_case_matches_hand_and_scipy_values() {
    let (ds, index, list) = constructed();
    let out = Evaluation::new().evaluate_all(&ds, &index, &list).unwrap();
    // x's intervention (2022-06-01) has only five months before it.
    assert_eq!(out.results.len(), 2);
    let r = &out.results[0];
    let w = &r.windows;
    assert_eq!((w.rule, w.years), (WindowRule::WholeYears, 1));
    assert_eq!(
        [w.before_first, w.before_last, w.after_first, w.after_last].map(|d| d.to_string()),
        ["2022-01-01", "2022-12-31", "2023-01-01", "2023-12-31"]
    );
    assert_eq!((w.before_hours(), w.after_hours()), (8760.0, 8760.0));
    // The place: 40 → 34.
    assert_eq!((r.treated.count_a, r.treated.count_b), (40, 34));
    assert!((r.treated.ratio - 0.85).abs() < 1e-12);
    // n is within the ring distance and x has its own intervention.
    assert_eq!(r.control_places, vec!["c1", "c2"]);
    let c = r.control.unwrap();
    assert_eq!((c.count_a, c.count_b), (40, 48));
    // Ratio of ratios (34/40)/(48/40); SciPy 1.x
    // `odds_ratio([[34, 40], [48, 40]], kind="sample")`, its
    // `confidence_interval(0.95)` and 2·norm.sf(|log OR|/se).
    let ror = r.ratio_of_ratios.unwrap();
    assert!((ror.estimate - 0.708_333_333_333_333_4).abs() < 1e-12);
    assert!((ror.low - 0.380_832_890_954_794_3).abs() < 1e-9);
    assert!((ror.high - 1.317_470_531_111_947_5).abs() < 1e-9);
    assert!((ror.p - 0.276_088_871_032_712_85).abs() < 1e-9);
    assert!(!ror.significant);
    // DiD per 1,000 h: (34 − 40)/8.76 − (48 − 40)/(2 · 8.76); variance
    // 10⁶·(74/8760² + 88/(2·8760)²); computed in Python with scipy's norm.
    let did = r.difference_in_differences.unwrap();
    assert!((did.estimate - -1.141_552_511_415_525).abs() < 1e-12);
    assert!((did.low - -3.333_749_623_906_534).abs() < 1e-9);
    assert!((did.high - 1.050_644_601_075_484_2).abs() < 1e-9);
    assert!((did.p - 0.307_434_165_927_395_36).abs() < 1e-9);
    // WDQ: A 40 → 34, B 5 → 8, C 40 → 48: success 34/48 − 1 = −7/24, buffer
    // 8/48 − 5/40 = 1/24, WDQ = −1/7 (displacement); total net effect
    // (40·1.2 − 34) + (5·1.2 − 8) = 12.
    let d = &r.displacement;
    assert_eq!((d.before, d.after), (5, 8));
    assert!((d.success_measure.unwrap() - -7.0 / 24.0).abs() < 1e-12);
    assert!((d.buffer_measure.unwrap() - 1.0 / 24.0).abs() < 1e-12);
    assert!((d.wdq.unwrap() - -1.0 / 7.0).abs() < 1e-12);
    assert_eq!(d.reading, WdqReading::Displacement);
    assert!((d.total_net_effect.unwrap() - 12.0).abs() < 1e-12);
    // Ring: the 200 m buffer of a 40 m square minus the square and minus n
    // (1,600 m² of n lies inside the buffer).
    let full = 40.0 * 40.0 + 4.0 * 40.0 * 200.0 + std::f64::consts::PI * 200.0 * 200.0;
    let ring = full - 1600.0 - 1600.0;
    assert!(
        (d.ring_area_m2 - ring).abs() / ring < 0.01,
        "{} vs {ring}",
        d.ring_area_m2
    );
    // Darkness: 17:00 is dark in January and light in July; noon never dark.
    let dl = r.dark_light.as_ref().unwrap();
    assert!(dl.clock_hours.contains(&17) && !dl.clock_hours.contains(&12));
    assert_eq!((dl.dark.count_a, dl.dark.count_b), (10, 4));
    assert_eq!((dl.light.count_a, dl.light.count_b), (10, 10));
    let per_year = 365.0 * dl.clock_hours.len() as f64;
    let before = dl.dark_hours_before + dl.light_hours_before;
    assert!((before - per_year).abs() <= 1.0, "{before} vs {per_year}");
    let (db, da, lb, la) = (
        dl.dark_hours_before,
        dl.dark_hours_after,
        dl.light_hours_before,
        dl.light_hours_after,
    );
    assert!((dl.dark.ratio - (4.0 / da) / (10.0 / db)).abs() < 1e-12);
    assert!((dl.light.ratio - (10.0 / la) / (10.0 / lb)).abs() < 1e-12);
    // RR_dark/RR_light: counts give SciPy's odds_ratio([[4, 10], [10, 10]])
    // = 0.4 with interval (0.09349578484597452, 1.7113070954330714); the
    // exposures scale all three.
    let scale = (db / da) / (lb / la);
    let ratio = dl.ratio.unwrap();
    assert!((ratio.estimate - 0.4 * scale).abs() < 1e-12);
    assert!((ratio.low - 0.093_495_784_845_974_52 * scale).abs() < 1e-9);
    assert!((ratio.high - 1.711_307_095_433_071_4 * scale).abs() < 1e-9);
    // The benches at x are evaluated too; its windows cannot be whole years.
    assert_eq!(
        out.results[1].windows.rule,
        WindowRule::SameSpanOneYearLater
    );
}

#[test]
fn table_and_layer_suppress_small_counts() {
    let (ds, index, list) = constructed();
    let out = Evaluation::new().evaluate_all(&ds, &index, &list).unwrap();
    let t = out.table().unwrap();
    assert_eq!(t.height(), 2);
    let u = |c: &str| t.column(c).unwrap().u64().unwrap().get(0);
    let f = |c: &str| t.column(c).unwrap().f64().unwrap().get(0);
    let b = |c: &str| t.column(c).unwrap().bool().unwrap().get(0);
    assert_eq!(u("count_before"), Some(40));
    assert_eq!(u("ring_count_before"), Some(5)); // 5 is not below min_count 5
    assert_eq!(u("dark_count_after"), None); // 4 is
    assert_eq!(f("rr_dark"), None);
    assert_eq!(f("dark_light_ratio"), None);
    assert!(f("rr_light").is_some());
    assert!((f("wdq").unwrap() - -1.0 / 7.0).abs() < 1e-12);
    assert_eq!(b("suppressed"), Some(true));
    let layer = out.layer();
    assert_eq!(layer.len(), 4); // per intervention, the place and its ring
    let text = layer.to_string();
    assert!(
        text.contains("\"role\":\"buffer_ring\"") && text.contains("\"dark_count_after\":null")
    );
    // min_count 1 shows everything.
    let all = Evaluation::new()
        .min_count(1)
        .evaluate_all(&ds, &index, &list)
        .unwrap()
        .table()
        .unwrap();
    assert_eq!(
        all.column("dark_count_after")
            .unwrap()
            .u64()
            .unwrap()
            .get(0),
        Some(4)
    );
    assert_eq!(
        all.column("suppressed").unwrap().bool().unwrap().get(0),
        Some(false)
    );
}

#[test]
fn settings_controls_and_bad_input() {
    let (ds, index, list) = constructed();
    let one = Evaluation::new()
        .controls(Controls::Places(vec!["c1".into()]))
        .lighting(LightingSplit::Never)
        .evaluate(&ds, &index, &list[0], &list)
        .unwrap();
    let c = one.control.unwrap();
    assert_eq!((c.count_a, c.count_b), (30, 36));
    assert!(one.dark_light.is_none());
    // A control within the ring distance is allowed when asked for, with a warning.
    let near = Evaluation::new()
        .controls(Controls::Places(vec!["n".into()]))
        .evaluate(&ds, &index, &list[0], &list)
        .unwrap();
    assert!(
        near.warnings
            .iter()
            .any(|w| w.contains("displacement may reach"))
    );
    let e = Evaluation::new()
        .controls(Controls::Places(vec!["zz".into()]))
        .evaluate(&ds, &index, &list[0], &list)
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"zz\""), "{e}");
    for bad in [
        Evaluation::new().confidence(1.0),
        Evaluation::new().buffer_m(-5.0),
    ] {
        assert!(bad.evaluate_all(&ds, &index, &list).is_err());
    }
    // A date outside the data is skipped with its reason, not an error.
    let mut late = list[0].clone();
    late.date = "2030-01-01".parse().unwrap();
    let out = Evaluation::new()
        .evaluate_all(&ds, &index, &[late])
        .unwrap();
    assert!(out.results.is_empty());
    assert!(
        out.skipped[0].1.contains("2030-01-01"),
        "{}",
        out.skipped[0].1
    );
    // Lighting split on request for other kinds.
    let r = Evaluation::new()
        .lighting(LightingSplit::Always)
        .evaluate(&ds, &index, &list[1], &list)
        .unwrap();
    assert!(r.dark_light.is_some());
}

#[test]
fn demo_lighting_effect_is_found_and_benches_are_not() {
    let (places, pr) = read::geojson::read_places(&demo("places.geojson")).unwrap();
    let (list, ir) = read_interventions(&demo("interventions.csv"), &places).unwrap();
    assert_eq!((ir.read, ir.accepted), (2, 2));
    let ds = DatasetBuilder::new()
        .incidents(
            IncidentReader::new()
                .read_csv(&demo("incidents.csv"))
                .unwrap(),
        )
        .places(places, pr)
        .build()
        .unwrap();
    let index = SpatialIndex::build(&ds).unwrap();
    let out = Evaluation::new().evaluate_all(&ds, &index, &list).unwrap();
    assert!(out.skipped.is_empty());
    let (light, benches) = (&out.results[0], &out.results[1]);
    // Lighting at Arkivpladsen from 2024-01-01: one whole year each side.
    assert_eq!(light.place_name, "Arkivpladsen");
    assert_eq!(light.windows.rule, WindowRule::WholeYears);
    assert_eq!(light.control_places, vec!["kildeparken"]);
    let dl = light.dark_light.as_ref().unwrap();
    // −40 % in darkness (model), significant; daylight unchanged.
    assert!(dl.dark.significant && dl.dark.ratio_high < 1.0);
    assert!((0.5..0.8).contains(&dl.dark.ratio), "{:?}", dl.dark);
    assert!(!dl.light.significant && (0.9..1.1).contains(&dl.light.ratio));
    assert!(dl.ratio.unwrap().significant && dl.ratio.unwrap().high < 1.0);
    // Against the flat control, the place improved; some displacement.
    assert!(light.ratio_of_ratios.unwrap().significant);
    assert!(light.ratio_of_ratios.unwrap().estimate < 1.0);
    let d = &light.displacement;
    assert!(d.success_measure.unwrap() < 0.0);
    assert!(matches!(d.reading, WdqReading::Displacement), "{d:?}");
    // The benches at Bredgade Torv (no effect): nothing significant.
    assert_eq!(benches.windows.rule, WindowRule::SameSpanOneYearEarlier);
    assert!(!benches.treated.significant);
    assert!(!benches.ratio_of_ratios.unwrap().significant);
    assert!(!benches.difference_in_differences.unwrap().significant);
    assert!(benches.dark_light.is_none());
    let t = out.table().unwrap();
    assert_eq!(t.height(), 2);
    assert_eq!(out.layer().len(), 4);
}
