#![allow(clippy::unwrap_used, clippy::float_cmp, clippy::items_after_statements)]
//! Place profiles and ranking: a constructed three-place case with
//! hand-computed counts, exposures, splits and intervals (SciPy oracle), and
//! the Aalborg demo data.

mod common;

use byrum::{
    Attributes, Dataset, DatasetBuilder, IncidentReader, Period, Place, PlaceKind, PlaceProfiles,
    PlaceProfilesResult, Projection, RankMetric, SpatialIndex, TimeBinning, parse_zone,
    read::geojson::read_places,
};
use chrono::{Datelike, NaiveDate, Weekday};
use geo::{LineString, MultiPolygon, Polygon};
use serde_json::{Value, json};

/// Exact Poisson limits for the mean at 95 % (SciPy 1.17.1,
/// `chi2.ppf(0.025, 2n)/2` and `chi2.ppf(0.975, 2n + 2)/2`), by count.
fn garwood(n: u64) -> (f64, f64) {
    match n {
        3 => (0.618_672_122_895_601_5, 8.767_273_069_742_323),
        7 => (2.814_363_051_519_867, 14.422_675_361_702_376),
        10 => (4.795_388_696_132_433_5, 18.390_356_042_017_78),
        20 => (12.216_519_585_403_946, 30.888_377_902_674_6),
        25 => (16.178_681_847_829_328, 36.904_931_697_530_365),
        27 => (17.793_170_131_764_775, 39.283_582_445_162_13),
        13 => (6.921_952_491_003_801, 22.230_395_918_158_873),
        33 => (22.715_681_572_729_842, 46.344_269_269_169_295),
        40 => (28.576_586_441_788_965, 54.468_646_963_984_064),
        50 => (37.110_963_737_461_866, 65.918_766_664_336_81),
        _ => panic!("no oracle for {n}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs()
}

/// The first `k` dates from `from` on (inclusive) that are weekdays (or
/// weekend days).
fn days(from: &str, k: usize, weekend: bool) -> Vec<NaiveDate> {
    let mut d: NaiveDate = from.parse().unwrap();
    let mut out = Vec::new();
    while out.len() < k {
        if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) == weekend {
            out.push(d);
        }
        d = d.succ_opt().unwrap();
    }
    out
}

/// A square of `side` metres with its south-west corner `(dx, dy)` metres
/// from the origin, in WGS84.
fn square(proj: &Projection, origin: (f64, f64), dx: f64, dy: f64, side: f64) -> MultiPolygon {
    let corners = [
        (0.0, 0.0),
        (side, 0.0),
        (side, side),
        (0.0, side),
        (0.0, 0.0),
    ];
    let ring: LineString = corners
        .iter()
        .map(|&(a, b)| proj.inverse(origin.0 + dx + a, origin.1 + dy + b).unwrap())
        .collect();
    MultiPolygon(vec![Polygon::new(ring, vec![])])
}

fn attrs(v: Value) -> Attributes {
    match v {
        Value::Object(m) => m.into_iter().collect(),
        _ => panic!("attributes are an object"),
    }
}

/// Three places in Aalborg over 2023 (8,760 hours, Europe/Copenhagen):
///
/// - A `storetorv`, 100 m × 100 m (10,000 m²), 40 incidents: 20 noise at
///   21:30 on July weekdays (bin 21-24 summer, light), 10 conflict at 12:00
///   on winter Saturdays (12-15 winter, light), 7 rough sleeping at 02:00 on
///   October weekdays (00-03 autumn, dark), 3 littering at 09:00 on April
///   Sundays (09-12 spring, light); plus 2 in January 2024, outside the period.
/// - B `lilleplads`, 20 m × 20 m (400 m²), 3 noise at 13:00 on July weekdays.
/// - C `parken`, 200 m × 200 m (40,000 m²), 50 incidents: 25 noise at 15:00
///   on summer weekdays (light), 25 conflict at 19:00 on January/February
///   weekdays (18-21 winter, dark).
/// - 7 incidents outside every place.
fn constructed() -> Dataset {
    let proj = Projection::etrs89_utm32();
    let origin = proj.forward(9.92, 57.045).unwrap();
    let centre = |dx: f64, dy: f64| proj.inverse(origin.0 + dx, origin.1 + dy).unwrap();
    let a = centre(50.0, 50.0);
    let b = centre(310.0, 10.0);
    let c = centre(700.0, 100.0);
    let out = centre(-500.0, -500.0);
    let mut csv = String::from("id,lon,lat,timestamp,category\n");
    let mut rows = Vec::new();
    let sats = |from: &str, k: usize| -> Vec<NaiveDate> {
        days(from, 2 * k + 2, true)
            .into_iter()
            .filter(|d| d.weekday() == Weekday::Sat)
            .take(k)
            .collect()
    };
    let suns = |from: &str, k: usize| -> Vec<NaiveDate> {
        days(from, 2 * k + 2, true)
            .into_iter()
            .filter(|d| d.weekday() == Weekday::Sun)
            .take(k)
            .collect()
    };
    // Winter Saturdays: 8 in January and February, 2 in December.
    let mut winter = sats("2023-01-01", 8);
    winter.extend(sats("2023-12-01", 2));
    let spec: Vec<(_, Vec<NaiveDate>, &str, &str, &str)> = vec![
        (a, days("2023-07-03", 20, false), "21:30", "+02:00", "noise"),
        (a, winter, "12:00", "+01:00", "conflict"),
        (
            a,
            days("2023-10-02", 7, false),
            "02:00",
            "+02:00",
            "rough_sleeping",
        ),
        (a, suns("2023-04-01", 3), "09:00", "+02:00", "littering"),
        (a, days("2024-01-05", 2, false), "12:00", "+01:00", "noise"),
        (b, days("2023-07-03", 3, false), "13:00", "+02:00", "noise"),
        (c, days("2023-07-03", 25, false), "15:00", "+02:00", "noise"),
        (
            c,
            days("2023-01-02", 25, false),
            "19:00",
            "+01:00",
            "conflict",
        ),
        (
            out,
            days("2023-05-01", 7, false),
            "10:00",
            "+02:00",
            "noise",
        ),
    ];
    let mut n = 0;
    for (at, dates, time, offset, cat) in spec {
        for d in dates {
            n += 1;
            rows.push(format!(
                "{n},{:.9},{:.9},{d}T{time}:00{offset},{cat}",
                at.0, at.1
            ));
        }
    }
    for r in rows {
        csv.push_str(&r);
        csv.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incidents.csv");
    std::fs::write(&path, &csv).unwrap();
    let batch = IncidentReader::new().read_csv(&path).unwrap();
    assert_eq!(batch.report.rejected, 0);
    let tz = parse_zone("Europe/Copenhagen").unwrap();
    let year = Period::local_dates(
        tz,
        "2023-01-01".parse().unwrap(),
        "2023-12-31".parse().unwrap(),
    )
    .unwrap();
    let mut ds = DatasetBuilder::new()
        .incidents(batch)
        .projection(proj.clone())
        .zone(tz)
        .period(year)
        .build()
        .unwrap();
    ds.places = vec![
        Place {
            id: "storetorv".into(),
            name: "Store Torv".into(),
            geometry: square(&proj, origin, 0.0, 0.0, 100.0),
            kind: PlaceKind::Square,
            attributes: attrs(json!({"lighting": "good", "benches": 12, "toilets": true})),
        },
        Place {
            id: "lilleplads".into(),
            name: "Lille Plads".into(),
            geometry: square(&proj, origin, 300.0, 0.0, 20.0),
            kind: PlaceKind::Square,
            attributes: attrs(json!({"lighting": "poor", "benches": 2, "toilets": false})),
        },
        Place {
            id: "parken".into(),
            name: "Parken".into(),
            geometry: square(&proj, origin, 600.0, 0.0, 200.0),
            kind: PlaceKind::Park,
            attributes: attrs(json!({"lighting": "none", "rank": "historic"})),
        },
    ];
    ds
}

fn profiles(ds: &Dataset, p: PlaceProfiles) -> PlaceProfilesResult {
    let index = SpatialIndex::build(ds).unwrap();
    let place_of = index.place_of_incidents(ds);
    p.compute(ds, &index, &place_of, &TimeBinning::default())
        .unwrap()
}

/// The hour × season bin of 3-hour bucket `bucket` (0 = 00-03) and season
/// `season` (0 winter, 1 spring, 2 summer, 3 autumn).
fn bin(bucket: usize, season: usize) -> usize {
    bucket * 4 + season
}

#[test]
fn constructed_counts_rates_splits_and_matrix() {
    let ds = constructed();
    let out = profiles(&ds, PlaceProfiles::new().min_count(1));
    assert_eq!(out.period_hours, 8760.0);
    assert_eq!(
        (out.in_period, out.outside_places, out.outside_period),
        (100, 7, 2)
    );
    // Exposure of the matrix bins in 2023: winter (Jan, Feb, Dec) 90 days,
    // spring 92 (00-03 loses the spring-forward hour), summer 92, autumn 91
    // (00-03 gains the fall-back hour).
    assert_eq!(out.hour_season_hours[bin(0, 0)], 270.0);
    assert_eq!(out.hour_season_hours[bin(0, 1)], 275.0);
    assert_eq!(out.hour_season_hours[bin(3, 1)], 276.0);
    assert_eq!(out.hour_season_hours[bin(0, 3)], 274.0);
    assert_eq!(out.hour_season_hours[bin(5, 3)], 273.0);
    // 2023 has 105 weekend days (it starts and ends on a Sunday); the two DST
    // Sundays cancel.
    assert_eq!(out.daytype_hours, [6240.0, 2520.0]);

    let a = out.place("storetorv").unwrap();
    assert!((a.area_m2 - 10_000.0).abs() < 1e-3, "{}", a.area_m2);
    assert_eq!(a.count, Some(40));
    assert_eq!(a.rate.rate, Some(40.0 / 8760.0));
    let (lo, hi) = garwood(40);
    assert!(close(a.rate.low.unwrap(), lo / 8760.0));
    assert!(close(a.rate.high.unwrap(), hi / 8760.0));
    let d = a.rate_per_1000m2.unwrap();
    let e = 8760.0 * a.area_m2 / 1000.0;
    assert!(close(d.exposure, e));
    assert!(close(d.rate.unwrap(), 40.0 / e));
    assert!(close(d.low.unwrap(), lo / e) && close(d.high.unwrap(), hi / e));
    let cat = |p: &byrum::PlaceProfile, name: &str| {
        p.categories[out.categories.iter().position(|c| c == name).unwrap()]
    };
    assert_eq!(cat(a, "noise"), Some(20));
    assert_eq!(cat(a, "conflict"), Some(10));
    assert_eq!(cat(a, "rough_sleeping"), Some(7));
    assert_eq!(cat(a, "littering"), Some(3));
    for (b, n, hours) in [
        (bin(7, 2), 20, 276.0),
        (bin(4, 0), 10, 270.0),
        (bin(0, 3), 7, 274.0),
        (bin(3, 1), 3, 276.0),
    ] {
        let cell = &a.hour_season[b];
        assert_eq!(
            (cell.count, cell.exposure),
            (Some(n), hours),
            "{}",
            out.bin_label(b)
        );
        assert!(close(cell.rate.unwrap(), n as f64 / hours));
        let (lo, hi) = garwood(n);
        assert!(close(cell.low.unwrap(), lo / hours) && close(cell.high.unwrap(), hi / hours));
    }
    let total: u64 = a.hour_season.iter().map(|c| c.count.unwrap()).sum();
    assert_eq!(total, 40);
    assert_eq!(out.peak_label(a).as_deref(), Some("21-24_summer"));
    // Weekday 20 + 7, weekend 10 + 3.
    assert_eq!(a.daytype[0].count, Some(27));
    assert_eq!(a.daytype[1].count, Some(13));
    assert!(close(a.daytype[0].rate.unwrap(), 27.0 / 6240.0));
    assert!(close(a.daytype[1].high.unwrap(), garwood(13).1 / 2520.0));
    // Dark: the 7 at 02:00 in October; light: the rest.
    assert_eq!(
        (a.darkness[0].count, a.darkness[1].count),
        (Some(33), Some(7))
    );
    let dark_hours = a.darkness[1].exposure;
    assert_eq!(a.darkness[0].exposure + dark_hours, 8760.0);
    assert!(dark_hours > 3000.0 && dark_hours < 4400.0, "{dark_hours}");
    assert!(close(a.darkness[1].rate.unwrap(), 7.0 / dark_hours));
    assert!(close(a.darkness[1].low.unwrap(), garwood(7).0 / dark_hours));
    assert!(close(
        a.darkness[0].rate.unwrap(),
        33.0 / a.darkness[0].exposure
    ));

    let c = out.place("parken").unwrap();
    assert_eq!(c.count, Some(50));
    assert_eq!(c.hour_season[bin(5, 2)].count, Some(25));
    assert_eq!(c.hour_season[bin(6, 0)].count, Some(25));
    // 25/270 in winter beats 25/276 in summer.
    assert_eq!(out.peak_label(c).as_deref(), Some("18-21_winter"));
    assert_eq!(
        (c.daytype[0].count, c.daytype[1].count),
        (Some(50), Some(0))
    );
    assert_eq!(c.daytype[1].rate, Some(0.0));
    assert_eq!(c.daytype[1].low, Some(0.0));
    assert_eq!(
        (c.darkness[0].count, c.darkness[1].count),
        (Some(25), Some(25))
    );

    // Reconciliation: places + outside places + outside period = all.
    let in_places: u64 = out.places.iter().map(|p| p.count.unwrap()).sum();
    assert_eq!(
        in_places + out.outside_places + out.outside_period,
        ds.incidents.len() as u64
    );
}

#[test]
fn ranking_is_not_won_by_noise() {
    let ds = constructed();
    let out = profiles(&ds, PlaceProfiles::new().min_count(1));
    assert_eq!(out.metric, RankMetric::PerHourPer1000m2);
    let ids: Vec<&str> = out.ranked().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["storetorv", "lilleplads", "parken"]);
    let (a, b, c) = (
        out.place("storetorv").unwrap(),
        out.place("lilleplads").unwrap(),
        out.place("parken").unwrap(),
    );
    let dens = |p: &byrum::PlaceProfile| p.rate_per_1000m2.unwrap();
    // B has the highest point rate per 1,000 m² (3 on 400 m²) …
    assert!(dens(b).rate.unwrap() > dens(a).rate.unwrap());
    assert!(dens(b).rate.unwrap() > dens(c).rate.unwrap());
    // … but its lower limit Γ⁻¹(0.025; 3)/E is below A's.
    assert!(close(
        dens(b).low.unwrap(),
        garwood(3).0 / (8760.0 * b.area_m2 / 1000.0)
    ));
    assert!(dens(a).low.unwrap() > dens(b).low.unwrap());
    assert_eq!((a.rank, b.rank, c.rank), (Some(1), Some(2), Some(3)));
    // A and B cannot be told apart (SciPy binomtest(40, 43, p=E_A/(E_A+E_B))
    // p = 0.22881147124255127); B is clearly ahead of C (binomtest(3, 53,
    // p=E_B/(E_B+E_C)) p = 0.01573700130716149, lower limit above 1).
    let ab = a.vs_next.as_ref().unwrap();
    assert_eq!(ab.next_id, "lilleplads");
    assert!(!ab.ahead);
    assert!((ab.test.p - 0.228_811_471_242_551_27).abs() < 1e-9);
    let bc = b.vs_next.as_ref().unwrap();
    assert!(bc.ahead && bc.test.ratio_low > 1.0);
    assert!((bc.test.p - 0.015_737_001_307_161_49).abs() < 1e-9);
    assert!(close(bc.test.ratio, 6.0));
    assert!(c.vs_next.is_none());
    assert_eq!(
        (a.rank_group, b.rank_group, c.rank_group),
        (Some(1), Some(1), Some(2))
    );

    // Per hour: C (50) and A (40) cannot be told apart (binomtest(50, 90,
    // 0.5) p = 0.34283311942078787); A is clearly ahead of B (binomtest(40,
    // 43, 0.5) p = 3.0213413992896676e-09).
    let out = profiles(
        &ds,
        PlaceProfiles::new()
            .min_count(1)
            .metric(RankMetric::PerHour),
    );
    let ids: Vec<&str> = out.ranked().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["parken", "storetorv", "lilleplads"]);
    let c = out.place("parken").unwrap();
    let a = out.place("storetorv").unwrap();
    let cv = c.vs_next.as_ref().unwrap();
    assert!(!cv.ahead && (cv.test.p - 0.342_833_119_420_787_87).abs() < 1e-9);
    let av = a.vs_next.as_ref().unwrap();
    assert!(av.ahead && (av.test.p - 3.021_341_399_289_667_6e-9).abs() < 1e-15);
    let groups: Vec<usize> = out.ranked().map(|p| p.rank_group.unwrap()).collect();
    assert_eq!(groups, [1, 1, 2]);
}

#[test]
fn small_counts_are_withheld_everywhere() {
    let ds = constructed();
    let out = profiles(&ds, PlaceProfiles::new()); // min_count 5
    let b = out.place("lilleplads").unwrap();
    assert!(b.suppressed && b.rate.suppressed);
    assert_eq!(
        (b.count, b.rate.rate, b.rate.low, b.rate.high),
        (None, None, None, None)
    );
    assert!(b.rate_per_1000m2.unwrap().rate.is_none());
    assert_eq!((b.rank, b.rank_group), (None, None));
    assert!(b.vs_next.is_none() && b.peak.is_none());
    let noise = out.categories.iter().position(|c| c == "noise").unwrap();
    assert_eq!(b.categories[noise], None);
    assert!(
        b.categories
            .iter()
            .enumerate()
            .all(|(i, c)| i == noise || *c == Some(0))
    );
    // Zero stays 0; the cell with 3 is withheld.
    assert_eq!(b.hour_season[bin(0, 0)].count, Some(0));
    assert!(b.hour_season[bin(4, 2)].suppressed);
    assert_eq!(b.daytype[0].count, None);
    assert_eq!(b.daytype[1].count, Some(0));
    assert_eq!(b.darkness[0].rate, None);

    let a = out.place("storetorv").unwrap();
    let littering = out
        .categories
        .iter()
        .position(|c| c == "littering")
        .unwrap();
    assert_eq!(a.categories[littering], None);
    let cell = &a.hour_season[bin(3, 1)];
    assert!(cell.suppressed && cell.count.is_none() && cell.rate.is_none() && cell.low.is_none());
    assert_eq!(a.count, Some(40));
    // Only A and C are ranked; A is clearly ahead of C per 1,000 m².
    let ids: Vec<&str> = out.ranked().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["storetorv", "parken"]);
    assert!(a.vs_next.as_ref().unwrap().ahead);

    // The layer: suppressed values are null and marked, attributes flat.
    let layer: Value = serde_json::from_str(&out.layer().to_string()).unwrap();
    let feats = layer["features"].as_array().unwrap();
    assert_eq!(feats.len(), 3);
    let ids: Vec<&str> = feats
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["storetorv", "parken", "lilleplads"]);
    let pa = &feats[0]["properties"];
    assert_eq!(pa["count"], 40);
    assert_eq!(pa["lighting"], "good");
    assert_eq!(pa["benches"], 12);
    assert_eq!(pa["toilets"], true);
    assert_eq!(pa["cat_littering"], Value::Null);
    assert_eq!(pa["cat_noise"], 20);
    assert_eq!(pa["rank"], 1);
    assert_eq!(pa["peak_bin"], "21-24_summer");
    assert_eq!(pa["hour_season_count"]["21-24"]["summer"], 20);
    assert_eq!(pa["hour_season_count"]["09-12"]["spring"], Value::Null);
    assert_eq!(pa["hour_season_rate"]["09-12"]["spring"], Value::Null);
    assert_eq!(pa["weekend_count"], 13);
    assert_eq!(pa["dark_count"], 7);
    assert_eq!(pa["ahead_of_next"], true);
    assert_eq!(pa["next_place_id"], "parken");
    let pc = &feats[1]["properties"];
    assert_eq!(pc["attr_rank"], "historic");
    assert_eq!(pc["rank"], 2);
    let pb = &feats[2]["properties"];
    assert_eq!(pb["suppressed"], true);
    for k in [
        "count",
        "rate_per_hour",
        "rate_low",
        "rate_per_hour_per_1000m2",
        "rank",
        "cat_noise",
        "weekday_count",
        "light_rate",
    ] {
        assert_eq!(pb[k], Value::Null, "{k}");
    }
    assert_eq!(pb["weekend_count"], 0);
    assert_eq!(feats[0]["geometry"]["type"], "Polygon");
    // No incident point anywhere in the layer.
    assert!(layer.to_string().matches("\"Point\"").count() == 0);

    // The tables.
    let t = out.table().unwrap();
    assert_eq!(t.height(), 3);
    let col = |n: &str| t.column(n).unwrap().as_materialized_series().clone();
    assert_eq!(col("place_id").str().unwrap().get(2), Some("lilleplads"));
    assert_eq!(col("count").u64().unwrap().get(2), None);
    assert_eq!(col("count").u64().unwrap().get(0), Some(40));
    assert_eq!(col("benches").i64().unwrap().get(0), Some(12));
    assert_eq!(col("benches").i64().unwrap().get(1), None);
    assert_eq!(col("toilets").bool().unwrap().get(2), Some(false));
    assert_eq!(col("attr_rank").str().unwrap().get(1), Some("historic"));
    assert_eq!(col("cat_littering").u64().unwrap().get(0), None);
    assert_eq!(col("rank").u64().unwrap().get(2), None);
    assert_eq!(col("dark_count").u64().unwrap().get(0), Some(7));
    let long = out.hour_season_table().unwrap();
    assert_eq!(long.height(), 3 * 32);
    let count = long.column("count").unwrap().u64().unwrap().clone();
    let peak = long.column("is_peak").unwrap().bool().unwrap().clone();
    let hour = long.column("hour").unwrap().str().unwrap().clone();
    let season = long.column("season").unwrap().str().unwrap().clone();
    // Row of A's 21-24 summer: the peak, 20 incidents.
    let r = bin(7, 2);
    assert_eq!(
        (hour.get(r), season.get(r)),
        (Some("21-24"), Some("summer"))
    );
    assert_eq!((count.get(r), peak.get(r)), (Some(20), Some(true)));
    assert_eq!(count.get(bin(3, 1)), None);
    assert_eq!(peak.sum(), Some(2));
}

#[test]
fn bad_parameters_are_explained() {
    let ds = constructed();
    let index = SpatialIndex::build(&ds).unwrap();
    let place_of = index.place_of_incidents(&ds);
    let b = TimeBinning::default();
    let e = PlaceProfiles::new()
        .confidence(1.0)
        .compute(&ds, &index, &place_of, &b)
        .unwrap_err();
    assert!(e.to_string().contains("between 0 and 1"), "{e}");
    let e = PlaceProfiles::new()
        .compute(&ds, &index, &place_of[1..], &b)
        .unwrap_err();
    assert!(e.to_string().contains("place_of_incidents"), "{e}");
    let mut wrong = place_of.clone();
    wrong[0] = 7;
    assert!(
        PlaceProfiles::new()
            .compute(&ds, &index, &wrong, &b)
            .is_err()
    );
}

#[test]
fn aalborg_demo() {
    let batch = IncidentReader::new()
        .read_csv(&common::demo("incidents.csv"))
        .unwrap();
    let (places, report) = read_places(&common::demo("places.geojson")).unwrap();
    let ds = DatasetBuilder::new()
        .incidents(batch)
        .places(places, report)
        .build()
        .unwrap();
    let out = profiles(&ds, PlaceProfiles::new());
    assert_eq!(out.places.len(), 6);
    let in_places: u64 = out.places.iter().map(|p| p.count.unwrap()).sum();
    assert_eq!(
        in_places + out.outside_places + out.outside_period,
        ds.incidents.len() as u64
    );
    assert_eq!(out.outside_period, 0);
    assert_eq!(out.ranking.len(), 6);
    // Per 1,000 m² the four squares lead, the two parks come last, and J.F.
    // Kennedys Plads and Arkivpladsen are several times denser than the parks.
    let order: Vec<&str> = out.ranked().map(|p| p.id.as_str()).collect();
    let pos = |id: &str| order.iter().position(|p| *p == id).unwrap();
    for square in ["jf_kennedys_plads", "arkivpladsen"] {
        for park in ["karolinelunden", "kildeparken"] {
            assert!(pos(square) < pos(park), "{order:?}");
        }
    }
    assert!(
        pos("karolinelunden") >= 4 && pos("kildeparken") >= 4,
        "{order:?}"
    );
    let dens = |id: &str| out.place(id).unwrap().rate_per_1000m2.unwrap().low.unwrap();
    for park in ["karolinelunden", "kildeparken"] {
        assert!(dens("jf_kennedys_plads") > 3.0 * dens(park));
        assert!(dens("arkivpladsen") > 3.0 * dens(park));
    }
    // The squares are clearly ahead of the parks: a new rank group starts
    // at the first park.
    let k = out.place(order[4]).unwrap();
    let above = out.place(order[3]).unwrap();
    assert!(above.vs_next.as_ref().unwrap().ahead);
    assert!(k.rank_group > above.rank_group);
    // Attributes travel with the results.
    let jfk = out.place("jf_kennedys_plads").unwrap();
    assert_eq!(jfk.attributes["lighting"], "good");
    assert_eq!(jfk.kind, "square");
    // Evening peak (the model peaks 20–22 h) and every split adds up.
    let peak = out.peak_label(jfk).unwrap();
    assert!(
        peak.starts_with("18-21") || peak.starts_with("21-24"),
        "{peak}"
    );
    for p in &out.places {
        let n = p.count.unwrap();
        assert_eq!(p.daytype[0].count.unwrap() + p.daytype[1].count.unwrap(), n);
        assert_eq!(
            p.darkness[0].count.unwrap() + p.darkness[1].count.unwrap(),
            n
        );
        let shown: u64 = p.categories.iter().map(|c| c.unwrap_or(0)).sum();
        if p.categories.iter().all(Option::is_some) {
            assert_eq!(shown, n);
        } else {
            assert!(shown < n);
        }
        assert!((p.darkness[0].exposure + p.darkness[1].exposure - out.period_hours).abs() < 1e-9);
    }
    // Per hour (the load a place carries), J.F. Kennedys Plads (weight 0.26
    // in the model) comes first and the parks overtake the small squares.
    let per_hour = profiles(&ds, PlaceProfiles::new().metric(RankMetric::PerHour));
    let order: Vec<&str> = per_hour.ranked().map(|p| p.id.as_str()).collect();
    assert_eq!(order[0], "jf_kennedys_plads", "{order:?}");
    let pos = |id: &str| order.iter().position(|p| *p == id).unwrap();
    assert!(pos("karolinelunden") < pos("bredgade_torv"), "{order:?}");
    assert_eq!(out.layer().len(), 6);
    assert_eq!(out.hour_season_table().unwrap().height(), 6 * 32);
}
