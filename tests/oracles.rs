//! byrum against independent implementations. The fixtures in
//! `tests/fixtures/` were computed by `tests/fixtures/make_oracles.py` with
//! pyproj 3.7.2 / PROJ 9.5.1, h3-py 4.5.0, pvlib 0.16.1 and Python's zoneinfo
//! (tzdata 2025b); see `tests/fixtures/ORACLES.md`.
#![allow(clippy::unwrap_used, clippy::float_cmp, clippy::items_after_statements)] // test code

mod common;

use byrum::*;
use chrono::{DateTime, NaiveDateTime};
use common::{fixture, read_csv, real};

/// UTM coordinates within 1 mm of pyproj (PROJ) for Danish points (Bornholm
/// included, 6° off the central meridian), US, Finnish and southern points.
#[test]
fn utm_matches_pyproj_to_a_millimetre() {
    let (_, rows) = read_csv(&fixture("utm_pyproj.csv"));
    assert!(rows.len() >= 40);
    let mut worst = 0f64;
    for r in &rows {
        let (lon, lat): (f64, f64) = (r[1].parse().unwrap(), r[2].parse().unwrap());
        let epsg: u32 = r[3].parse().unwrap();
        let (ex, ey): (f64, f64) = (r[4].parse().unwrap(), r[5].parse().unwrap());
        let p = Projection::from_epsg(epsg).unwrap();
        let (x, y) = p.forward(lon, lat).unwrap();
        let err = (x - ex).hypot(y - ey);
        worst = worst.max(err);
        assert!(
            err < 1e-3,
            "{}: ({x}, {y}) vs pyproj ({ex}, {ey}): {err} m",
            r[0]
        );
        let (blon, blat) = p.inverse(x, y).unwrap();
        assert!(
            (blon - lon).abs() < 1e-9 && (blat - lat).abs() < 1e-9,
            "{} round trip",
            r[0]
        );
    }
    eprintln!("worst UTM difference from pyproj: {worst:e} m");
}

/// H3 cells equal h3-py's `latlng_to_cell` at resolutions 7–12.
#[test]
fn h3_cells_match_h3py() {
    let (_, rows) = read_csv(&fixture("h3_h3py.csv"));
    for r in &rows {
        let (lon, lat): (f64, f64) = (r[0].parse().unwrap(), r[1].parse().unwrap());
        let res = h3_resolution(r[2].parse().unwrap()).unwrap();
        let cells = h3_cells(&[lon], &[lat], res).unwrap();
        assert_eq!(cells[0].to_string(), r[3], "({lon}, {lat}) at res {}", r[2]);
    }
}

/// Counts per res-9 cell of the real Minneapolis file equal h3-py's.
#[test]
fn minneapolis_counts_match_h3py() {
    let batch = IncidentReader::new()
        .read_csv(&real("minneapolis_stops_2017.csv"))
        .unwrap();
    assert_eq!(batch.report.accepted, 51_920);
    let inc = &batch.incidents;
    let res = h3_resolution(9).unwrap();
    let cells = h3_cells(&inc.lon, &inc.lat, res).unwrap();
    let bins = vec![0u32; cells.len()];
    let counts = H3Counts::compute(
        res,
        &cells,
        &bins,
        None,
        vec!["all".into()],
        vec![1.0],
        None,
    )
    .unwrap();
    let (_, rows) = read_csv(&fixture("h3_minneapolis_res9_counts.csv"));
    assert_eq!(counts.cells.len(), rows.len());
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(counts.cells[i].to_string(), r[0]);
        assert_eq!(
            counts.counts[i],
            r[1].parse::<u64>().unwrap(),
            "cell {}",
            r[0]
        );
    }
}

/// The study-area cover equals h3-py's `polygon_to_cells` (centre containment).
#[test]
fn study_area_cells_match_h3py_polyfill() {
    let area = StudyArea::from_bbox(9.90, 57.038, 9.94, 57.052).unwrap();
    let (_, rows) = read_csv(&fixture("h3_polyfill_aalborg.csv"));
    for res in [9u8, 10] {
        let expected: Vec<&str> = rows
            .iter()
            .filter(|r| r[0] == res.to_string())
            .map(|r| r[1].as_str())
            .collect();
        let got: Vec<String> = h3_cells_covering(area.polygon(), h3_resolution(res).unwrap())
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(got, expected, "res {res}");
    }
}

/// Nonexistent and ambiguous Copenhagen local times as zoneinfo classifies them;
/// for ambiguous ones the earlier rule gives zoneinfo's fold=0 instant and the
/// later rule fold=1.
#[test]
fn dst_classification_matches_zoneinfo() {
    let tz = parse_zone("Europe/Copenhagen").unwrap();
    let earlier = TimestampParser::new().zone(tz);
    let later = TimestampParser::new().zone(tz).ambiguity(Ambiguity::Later);
    let (_, rows) = read_csv(&fixture("dst_copenhagen.csv"));
    let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().timestamp();
    for r in &rows {
        match r[1].as_str() {
            "nonexistent" => assert_eq!(
                earlier.parse(&r[0]).unwrap_err(),
                TimeProblem::Nonexistent,
                "{}",
                r[0]
            ),
            "ambiguous" => {
                let a = earlier.parse(&r[0]).unwrap();
                assert!(a.resolved_ambiguity);
                assert_eq!(a.instant.utc, utc(&r[2]), "{}", r[0]);
                assert_eq!(
                    later.parse(&r[0]).unwrap().instant.utc,
                    utc(&r[3]),
                    "{}",
                    r[0]
                );
            }
            _ => {
                let t = earlier.parse(&r[0]).unwrap();
                assert!(!t.resolved_ambiguity);
                assert_eq!(t.instant.utc, utc(&r[2]), "{}", r[0]);
            }
        }
    }
}

/// Exposure hours per hour of day, month, season and weekday/weekend over
/// the local year 2018 equal a minute-by-minute count with zoneinfo.
#[test]
fn exposure_matches_zoneinfo_count() {
    let tz = parse_zone("Europe/Copenhagen").unwrap();
    let year = Period::local_dates(
        tz,
        "2018-01-01".parse().unwrap(),
        "2018-12-31".parse().unwrap(),
    )
    .unwrap();
    assert_eq!(year.hours(), 8760.0);
    let binning = TimeBinning {
        hours: HourBuckets::hourly(),
        ..TimeBinning::default()
    };
    let at = (12.57, 55.68);
    let by = |d: Dimension| -> Vec<(String, f64)> {
        let spec = BinSpec::of(&[d]);
        binning
            .labels(&spec)
            .into_iter()
            .zip(binning.exposure(&spec, &year, tz, at))
            .collect()
    };
    let hour = by(Dimension::Hour);
    let month = by(Dimension::Month);
    let season = by(Dimension::Season);
    let daytype = by(Dimension::DayType);
    let (_, rows) = read_csv(&fixture("exposure_copenhagen_2018.csv"));
    for r in &rows {
        let want: f64 = r[2].parse().unwrap();
        let got = match r[0].as_str() {
            "hour" => hour[r[1].parse::<usize>().unwrap()].1,
            "month" => month[r[1].parse::<usize>().unwrap() - 1].1,
            "season" => season.iter().find(|(l, _)| *l == r[1]).unwrap().1,
            "weekday_weekend" => daytype.iter().find(|(l, _)| *l == r[1]).unwrap().1,
            other => panic!("unknown bin kind {other}"),
        };
        assert_eq!(got, want, "{} {}", r[0], r[1]);
    }
}

/// Darkness (sun below civil twilight, zenith > 96°) agrees with pvlib's NREL
/// SPA zenith wherever the sun is more than 1° from the threshold.
#[test]
fn darkness_matches_pvlib() {
    let (_, rows) = read_csv(&fixture("solar_pvlib.csv"));
    let mut dk = Darkness::new();
    let mut checked = 0;
    for r in &rows {
        let (lon, lat): (f64, f64) = (r[0].parse().unwrap(), r[1].parse().unwrap());
        let t = NaiveDateTime::parse_from_str(r[2].trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp();
        let zenith: f64 = r[3].parse().unwrap();
        if (zenith - 96.0).abs() < 1.0 {
            continue;
        }
        checked += 1;
        assert_eq!(
            dk.is_dark(t, lon, lat),
            zenith > 96.0,
            "{} at ({lon}, {lat}), zenith {zenith}",
            r[2]
        );
    }
    assert!(checked > 150, "{checked}");
}
