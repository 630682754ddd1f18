//! Emerging hot spots: Esri's categories on constructed series (one per
//! category, hot and cold, and no pattern), an end-to-end cube on a small
//! square grid, and the splitting of a span into periods (sfhotspot's
//! automatic rule included).
#![allow(clippy::unwrap_used, clippy::float_cmp, clippy::items_after_statements)] // test code

use byrum::*;
use chrono::NaiveDate;

/// Flags from a pattern: `H` hot, `C` cold, `.` neither.
fn flags(pattern: &str) -> (Vec<bool>, Vec<bool>) {
    (
        pattern.chars().map(|c| c == 'H').collect(),
        pattern.chars().map(|c| c == 'C').collect(),
    )
}

fn class(pattern: &str, trend: Trend) -> EmergingCategory {
    let (hot, cold) = flags(pattern);
    classify_emerging(&hot, &cold, trend).unwrap()
}

/// One constructed series per category, read against Esri's definitions.
#[test]
fn one_series_per_category() {
    use EmergingCategory as E;
    use Trend::{Decreasing as Down, Increasing as Up, NoTrend as Flat};
    let cases = [
        // Hot only in the final period, never before.
        (".........H", Flat, E::NewHotSpot),
        // An uninterrupted final run, never hot before it, < 90 % hot.
        ("......HHHH", Up, E::ConsecutiveHotSpot),
        // Hot ≥ 90 % including the final period, z rising significantly.
        (".HHHHHHHHH", Up, E::IntensifyingHotSpot),
        // Hot ≥ 90 %, no trend.
        ("HHHHHHHHHH", Flat, E::PersistentHotSpot),
        // Hot ≥ 90 % including the final period, z falling significantly.
        ("HHHHHHHHHH", Down, E::DiminishingHotSpot),
        // On again, off again; < 90 % hot; never cold.
        ("..H..HH..H", Flat, E::SporadicHotSpot),
        // Hot at the end, cold at some earlier period.
        ("..C....H.H", Flat, E::OscillatingHotSpot),
        // ≥ 90 % hot, but not in the final period.
        ("HHHHHHHHH.", Down, E::HistoricalHotSpot),
        (".........C", Flat, E::NewColdSpot),
        ("......CCCC", Down, E::ConsecutiveColdSpot),
        // Cold clustering intensifies: z falls.
        (".CCCCCCCCC", Down, E::IntensifyingColdSpot),
        ("CCCCCCCCCC", Flat, E::PersistentColdSpot),
        // Cold clustering weakens: z rises.
        ("CCCCCCCCCC", Up, E::DiminishingColdSpot),
        ("C...CC...C", Flat, E::SporadicColdSpot),
        ("H..H.....C", Flat, E::OscillatingColdSpot),
        ("CCCCCCCCC.", Up, E::HistoricalColdSpot),
        ("..........", Flat, E::NoPattern),
    ];
    let mut seen = std::collections::HashSet::new();
    for (pattern, trend, want) in cases {
        assert_eq!(class(pattern, trend), want, "{pattern} {trend:?}");
        seen.insert(want);
    }
    assert_eq!(seen.len(), EmergingCategory::ALL.len());
}

/// Where Esri's definitions overlap or leave a gap, the documented order.
#[test]
fn precedence_and_edges() {
    use EmergingCategory as E;
    use Trend::NoTrend as Flat;
    // New needs no earlier cold spot: a prior cold spot makes it oscillating.
    assert_eq!(class("C........H", Flat), E::OscillatingHotSpot);
    // A final run of one after earlier hot periods is sporadic, not consecutive.
    assert_eq!(class("HH.......H", Flat), E::SporadicHotSpot);
    // Sporadic does not need the final period (Esri's definition).
    assert_eq!(class("..H..H....", Flat), E::SporadicHotSpot);
    // Hot and cold earlier, nothing at the end: no pattern.
    assert_eq!(class("H...C.....", Flat), E::NoPattern);
    // 18 of 20 hot with one cold period: the 90 % rule comes first.
    assert_eq!(
        class("HHHHHHHHCHHHHHHHHHHH", Trend::Increasing),
        E::IntensifyingHotSpot
    );
    // With fewer than 10 periods, 90 % means all of them.
    assert_eq!(class(".HHHH", Flat), E::ConsecutiveHotSpot);
    assert_eq!(class("HHHHH", Flat), E::PersistentHotSpot);
    // Persistent asks for no trend; a final not-hot period is historical.
    assert_eq!(
        class("HHHHHHHHHH.", Trend::Increasing),
        E::HistoricalHotSpot
    );
    assert_eq!(class("H", Flat), E::PersistentHotSpot);
    // Bad flags are errors, not panics.
    assert!(classify_emerging(&[true], &[true], Flat).is_err());
    assert!(classify_emerging(&[], &[], Flat).is_err());
    assert!(classify_emerging(&[true, false], &[false], Flat).is_err());
    assert_eq!(E::IntensifyingHotSpot.as_str(), "intensifying_hot_spot");
    assert_eq!(E::NoPattern.as_str(), "no_pattern");
    assert_eq!(E::OscillatingColdSpot.label(), "Oscillating Cold Spot");
}

/// The trend comes from Mann-Kendall on the z series: rising, flat and
/// falling z-scores of an always-hot cell give the three 90 % categories.
#[test]
fn trend_from_z_series() {
    let (hot, cold) = flags("HHHHHHHHHHHH");
    let rising: Vec<f64> = (0..12).map(|t| 2.0 + 0.25 * f64::from(t)).collect();
    let falling: Vec<f64> = rising.iter().rev().copied().collect();
    let flat = [3.1, 2.9, 3.3, 2.7, 3.0, 3.2, 2.8, 3.1, 2.9, 3.3, 2.7, 3.0];
    let cat = |z: &[f64]| {
        classify_emerging(&hot, &cold, mann_kendall(z).unwrap().direction(0.05)).unwrap()
    };
    assert_eq!(cat(&rising), EmergingCategory::IntensifyingHotSpot);
    assert_eq!(cat(&falling), EmergingCategory::DiminishingHotSpot);
    assert_eq!(cat(&flat), EmergingCategory::PersistentHotSpot);
}

/// A 7 × 7 grid (queen contiguity) over 12 periods with a background of 2–3
/// incidents per cell. A 3 × 3 block around cell (1, 1) is busy from the start
/// and grows every period; a block around (5, 5) appears in the final period
/// only. The growing block's centre is an intensifying hot spot, the sudden
/// one's centre a new hot spot; a far quiet cell has no hot category.
#[test]
fn growing_cluster_end_to_end() {
    let grid = MetricGrid::covering((0.0, 0.0, 700.0, 700.0), 100.0).unwrap();
    assert_eq!((grid.nx, grid.ny), (7, 7));
    let cells: Vec<usize> = (0..grid.len()).collect();
    let w = SpatialWeights::square_queen(&grid, &cells).unwrap();
    let t = 12;
    let at = |col: usize, row: usize| row * grid.nx + col;
    let mut values = vec![0.0; cells.len() * t];
    for c in 0..cells.len() {
        for p in 0..t {
            values[c * t + p] = 2.0 + ((c + p) % 2) as f64;
        }
    }
    let (grow, sudden) = (at(1, 1), at(5, 5));
    for dc in 0..3 {
        for dr in 0..3 {
            for p in 0..t {
                values[at(dc, dr) * t + p] = 14.0 + p as f64;
            }
            values[at(4 + dc, 4 + dr) * t + t - 1] = 30.0;
        }
    }
    for k in [0, 1] {
        let r = EmergingHotSpots::new()
            .time_step(k)
            .compute(&values, t, &w)
            .unwrap();
        assert_eq!(r.cells, 49);
        assert_eq!(
            r.category[grow],
            EmergingCategory::IntensifyingHotSpot,
            "time step {k}: z {:?}",
            r.z_series(grow)
        );
        assert!(r.trend[grow].z > 0.0 && r.trend[grow].p < 0.05);
        assert_eq!(r.hot_periods[grow] as usize, t);
        assert_eq!(
            r.category[sudden],
            EmergingCategory::NewHotSpot,
            "time step {k}: z {:?}",
            r.z_series(sudden)
        );
        assert!(r.hot[sudden * t + t - 1] && r.hot_periods[sudden] == 1);
        assert!(!r.category[at(3, 6)].is_hot());
        assert_eq!(r.z.len(), 49 * t);
    }
    // Per-period standardisation (sfdep's) finds the same two patterns here.
    let r = EmergingHotSpots::new()
        .global_window(GlobalWindow::IndividualTimeStep)
        .compute(&values, t, &w)
        .unwrap();
    assert_eq!(r.category[sudden], EmergingCategory::NewHotSpot);
    assert!(r.category[grow].is_hot());
    // With permutations the two-sided pseudo p is used (199 would not do: its
    // smallest p, 0.01, cannot pass Benjamini–Hochberg over 588 bins unless
    // over a hundred bins reach it); the seed makes it repeatable.
    let perm = EmergingHotSpots::new().permutations(999).seed(7);
    let a = perm.compute(&values, t, &w).unwrap();
    let b = perm.compute(&values, t, &w).unwrap();
    assert_eq!(a, b);
    assert!(
        a.category[grow].is_hot(),
        "{:?} {:?}",
        a.category[grow],
        &a.p[grow * t..(grow + 1) * t]
    );
}

#[test]
fn compute_rejects_bad_input() {
    let w = SpatialWeights::from_lists(vec![vec![(0, 1.0), (1, 1.0)], vec![(1, 1.0), (0, 1.0)]])
        .unwrap();
    let e = EmergingHotSpots::new();
    assert!(e.compute(&[1.0, 2.0], 1, &w).is_err());
    assert!(e.compute(&[1.0, 2.0, 3.0], 2, &w).is_err());
    assert!(e.compute(&[1.0, f64::NAN, 3.0, 4.0], 2, &w).is_err());
    assert!(e.clone().alpha(1.5).compute(&[1.0; 4], 2, &w).is_err());
    assert!(
        e.time_step(1)
            .global_window(GlobalWindow::IndividualTimeStep)
            .compute(&[1.0, 2.0, 3.0, 4.0], 2, &w)
            .is_err()
    );
    // A constant cube is degenerate: nothing significant, no pattern.
    let r = EmergingHotSpots::new().compute(&[5.0; 4], 2, &w).unwrap();
    assert!(r.category.iter().all(|&c| c == EmergingCategory::NoPattern));
}

fn tz() -> chrono_tz::Tz {
    parse_zone("Europe/Copenhagen").unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Calendar months and weeks in local time, across daylight saving.
#[test]
fn periods_split_in_local_time() {
    let span = Period::local_dates(tz(), d(2023, 1, 1), d(2023, 12, 31)).unwrap();
    let months = Periods::split(&span, tz(), PeriodLength::Months(1)).unwrap();
    assert_eq!(months.len(), 12);
    assert!(!months.final_is_partial());
    let hours = months.hours();
    assert_eq!(hours.iter().sum::<f64>(), span.hours());
    assert_eq!(hours[2], 743.0); // March loses an hour
    assert_eq!(hours[9], 745.0); // October gains one
    assert_eq!(months.labels()[0], "2023-01");
    // The boundary is local midnight: 2023-04-01 00:00 CEST = 2023-03-31 22:00 UTC.
    let april = Period::local_dates(tz(), d(2023, 4, 1), d(2023, 4, 1))
        .unwrap()
        .start;
    assert_eq!(months.bounds(3).start, april);
    assert_eq!(months.period_of(april - 1), Some(2));
    assert_eq!(months.period_of(april), Some(3));
    assert_eq!(months.period_of(span.start - 1), None);

    // Quarters from 31 January end on the last day of shorter months.
    let span = Period::local_dates(tz(), d(2023, 1, 31), d(2023, 12, 31)).unwrap();
    let q = Periods::split(&span, tz(), PeriodLength::Months(3)).unwrap();
    assert_eq!(q.labels(), ["2023-01", "2023-04", "2023-07", "2023-10"]);
    let apr30 = Period::local_dates(tz(), d(2023, 4, 30), d(2023, 4, 30))
        .unwrap()
        .start;
    assert_eq!(q.bounds(1).start, apr30);
    assert!(q.final_is_partial());

    // Weeks: 10 days give one week and a partial 3-day period.
    let span = Period::local_dates(tz(), d(2023, 3, 20), d(2023, 3, 29)).unwrap();
    let w = Periods::split(&span, tz(), PeriodLength::Weeks(1)).unwrap();
    assert_eq!(w.len(), 2);
    assert_eq!(w.hours(), [7.0 * 24.0 - 1.0, 72.0]);
    assert!(w.final_is_partial());
    assert_eq!(w.labels(), ["2023-03-20", "2023-03-27"]);
    let w = w.drop_partial();
    assert_eq!(w.len(), 1);
    assert_eq!(w.period_of(span.end - 1), None);

    assert!(Periods::split(&span, tz(), PeriodLength::Days(0)).is_err());
    let empty = Period { start: 5, end: 5 };
    assert!(Periods::split(&empty, tz(), PeriodLength::Days(1)).is_err());
}

/// sfhotspot's automatic period (hotspot_classify.R): ≤ 14 days → days,
/// ≤ 91 → 7 days, ≤ 2 years → 28 days, ≤ 10 years → 91 days, ≤ 20 years →
/// years, otherwise (and under a day) a tenth of the span.
#[test]
fn automatic_period_follows_sfhotspot() {
    let day = 86_400;
    use PeriodLength::{Days, Seconds, Years};
    for (span_days, want) in [
        (14, Days(1)),
        (15, Days(7)),
        (91, Days(7)),
        (92, Days(28)),
        (732, Days(28)),
        (733, Days(91)),
        (3653, Days(91)),
        (3654, Years(1)),
        (7306, Years(1)),
        (8000, Days(800)),
    ] {
        assert_eq!(
            PeriodLength::automatic(span_days * day),
            want,
            "{span_days} days"
        );
    }
    assert_eq!(PeriodLength::automatic(6 * 3600), Seconds(2160));
    let span = Period::local_dates(tz(), d(2024, 1, 1), d(2024, 3, 31)).unwrap(); // 91 days
    let p = Periods::automatic(&span, tz()).unwrap();
    assert_eq!(p.length(), Days(7));
    assert_eq!(p.len(), 13);
    assert!(!p.final_is_partial());
}

/// Counting a cube from instants and cells.
#[test]
fn cube_counts_cell_major() {
    let span = Period::local_dates(tz(), d(2023, 1, 1), d(2023, 1, 3)).unwrap();
    let p = Periods::split(&span, tz(), PeriodLength::Days(1)).unwrap();
    let t0 = span.start;
    let utc = [t0, t0 + 86_400 + 5, t0 + 2 * 86_400, t0 - 1, t0 + 10];
    let cell = [Some(1), Some(1), Some(0), Some(0), None];
    let cube = p.cube_counts(&utc, &cell, 2).unwrap();
    assert_eq!(cube, [0.0, 0.0, 1.0, 1.0, 1.0, 0.0]);
    assert!(p.cube_counts(&utc, &[Some(2); 5], 2).is_err());
}
