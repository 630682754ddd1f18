#![allow(clippy::unwrap_used, clippy::float_cmp, clippy::items_after_statements)]
//! The H3 glue: hot spots, emerging hot spots and change on the cells of a
//! study area, per time bin, and their layers.

use std::fmt::Write as _;

use byrum::{
    BinSpec, DatasetBuilder, Decay, Dimension, EmergingHotSpots, GiStar, H3Change, H3Counts,
    H3Emerging, H3HotSpots, IncidentReader, Period, PeriodLength, Periods, SpatialWeights,
    StudyArea, TimeBinning, analysis_cells, h3_cells, h3_cells_covering, h3_resolution,
};

/// 384 incidents in Aalborg over 2023: a cluster at Karolinelunden in the
/// evening that grows over the year, and a thin background.
fn dataset() -> byrum::Dataset {
    let mut csv = String::from("id,lon,lat,timestamp,category\n");
    let mut id = 0;
    for month in 1..=12u32 {
        // The cluster grows month by month.
        for k in 0..(month * 4) {
            let dx = f64::from(k % 5) * 0.0004;
            let dy = f64::from(k % 3) * 0.0003;
            writeln!(
                csv,
                "{id},{:.6},{:.6},2023-{month:02}-{:02}T21:{:02}:00+01:00,noise",
                9.9275 + dx,
                57.0445 + dy,
                1 + k % 27,
                k % 60
            )
            .unwrap();
            id += 1;
        }
        // Background across the box, in the morning.
        for k in 0..6u32 {
            writeln!(
                csv,
                "{id},{:.6},{:.6},2023-{month:02}-{:02}T09:30:00+01:00,other",
                9.89 + f64::from((k * 7 + month) % 13) * 0.0055,
                57.025 + f64::from((k * 5 + month) % 11) * 0.0038,
                1 + k
            )
            .unwrap();
            id += 1;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incidents.csv");
    std::fs::write(&path, csv).unwrap();
    let area = StudyArea::from_bbox(9.88, 57.02, 9.97, 57.07).unwrap();
    let batch = IncidentReader::new()
        .study_area(area.clone())
        .read_csv(&path)
        .unwrap();
    assert_eq!(batch.report.rejected, 0);
    DatasetBuilder::new()
        .incidents(batch)
        .study_area(area)
        .build()
        .unwrap()
}

fn counts(ds: &byrum::Dataset, res: u8) -> (H3Counts, Vec<h3o::CellIndex>, Vec<h3o::CellIndex>) {
    counts_in(ds, res, &ds.period)
}

/// Counts per H3 cell and weekday/weekend of the incidents in `period`, on
/// the study area's cells, with the period's exposure; also every incident's
/// cell and the analysed cells.
fn counts_in(
    ds: &byrum::Dataset,
    res: u8,
    period: &Period,
) -> (H3Counts, Vec<h3o::CellIndex>, Vec<h3o::CellIndex>) {
    let res = h3_resolution(res).unwrap();
    let inc = &ds.incidents;
    let cells = h3_cells(&inc.lon, &inc.lat, res).unwrap();
    let area = analysis_cells(&cells, ds.study_area.as_ref().map(StudyArea::polygon), res).unwrap();
    let binning = TimeBinning::default();
    let spec = BinSpec::of(&[Dimension::DayType]);
    let bins = binning.assign(&spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
    let pick: Vec<usize> = (0..inc.len())
        .filter(|&i| period.contains(inc.utc[i]))
        .collect();
    let c = H3Counts::compute(
        res,
        &pick.iter().map(|&i| cells[i]).collect::<Vec<_>>(),
        &pick.iter().map(|&i| bins[i]).collect::<Vec<_>>(),
        None,
        binning.labels(&spec),
        binning.exposure(&spec, period, ds.zone, ds.centre()),
        Some(&area),
    )
    .unwrap();
    (c, cells, area)
}

#[test]
fn gistar_runs_over_every_cell_of_the_area_per_bin() {
    let ds = dataset();
    let (counts, _, area) = counts(&ds, 9);
    // The area's cells are exactly h3's polygon-to-cells cover.
    let res = h3_resolution(9).unwrap();
    assert_eq!(
        area,
        h3_cells_covering(ds.study_area.as_ref().unwrap().polygon(), res).unwrap()
    );
    let g = GiStar::new();
    let hs = H3HotSpots::compute(&counts, 1, Decay::Binary, &g, &ds.projection).unwrap();
    assert_eq!(hs.cells, area);
    assert!(hs.counts.iter().filter(|&&c| c == 0).count() > hs.cells.len() / 2);
    assert_eq!(
        hs.counts.iter().sum::<u64>() + hs.excluded_incidents,
        ds.incidents.len() as u64
    );
    // The same numbers as Gi* run directly on the cells.
    let w = SpatialWeights::h3_kring(&hs.cells, 1, Decay::Binary, &ds.projection).unwrap();
    let direct = g
        .compute(&hs.counts.iter().map(|&c| c as f64).collect::<Vec<_>>(), &w)
        .unwrap();
    assert_eq!(hs.overall.z, direct.z);
    // Per bin: weekday and weekend counts add up to the total in every cell.
    assert_eq!(hs.per_bin.len(), 2);
    for c in 0..hs.cells.len() {
        assert_eq!(
            hs.bin_counts[2 * c] + hs.bin_counts[2 * c + 1],
            hs.counts[c]
        );
    }
    // The evening cluster is a hot spot.
    let top = (0..hs.cells.len()).max_by_key(|&c| hs.counts[c]).unwrap();
    assert!(
        hs.overall.class[top].is_hot(),
        "{:?}",
        hs.overall.class[top]
    );

    // The layer: one feature per cell, counts below min_count suppressed, z kept.
    let layer = hs.layer(5);
    assert_eq!(layer.len(), hs.cells.len());
    let fc: serde_json::Value = serde_json::from_str(&layer.to_string()).unwrap();
    assert_eq!(fc["byrum"]["layer"], "gistar_h3");
    assert_eq!(fc["byrum"]["parameters"]["gistar_k"], 1);
    for (i, f) in fc["features"].as_array().unwrap().iter().enumerate() {
        let p = &f["properties"];
        assert_eq!(p["h3"], hs.cells[i].to_string());
        let n = hs.counts[i];
        if (1..5).contains(&n) {
            assert!(p["count"].is_null() && p["suppressed"] == true);
        } else {
            assert_eq!(p["count"], n);
        }
        for key in ["z", "p", "class", "fdr", "q", "z_weekday", "class_weekend"] {
            assert!(p.get(key).is_some(), "{key} missing");
        }
        assert_eq!(p["class"], hs.overall.class[i].as_str());
    }
}

#[test]
fn emerging_hot_spots_see_the_growing_cluster() {
    let ds = dataset();
    let (_, cells, area) = counts(&ds, 9);
    let periods = Periods::split(&ds.period, ds.zone, PeriodLength::Months(1)).unwrap();
    assert_eq!(periods.len(), 12);
    let e = H3Emerging::compute(
        &area,
        &cells,
        &ds.incidents.utc,
        None,
        "all",
        &periods,
        1,
        Decay::Binary,
        &ds.projection,
        &EmergingHotSpots::new(),
    )
    .unwrap();
    assert_eq!(
        e.excluded_incidents + e.counts.iter().sum::<u64>(),
        ds.incidents.len() as u64
    );
    let top = (0..e.cells.len()).max_by_key(|&c| e.counts[c]).unwrap();
    assert!(
        e.result.category[top].is_hot(),
        "{:?}",
        e.result.category[top]
    );
    assert!(e.result.trend[top].z > 0.0);
    // A subset (morning incidents only) keeps the cluster out.
    let morning: Vec<bool> = (0..ds.incidents.len())
        .map(|i| ds.incidents.category_of(i) == "other")
        .collect();
    let m = H3Emerging::compute(
        &area,
        &cells,
        &ds.incidents.utc,
        Some(&morning),
        "morning",
        &periods,
        1,
        Decay::Binary,
        &ds.projection,
        &EmergingHotSpots::new(),
    )
    .unwrap();
    assert_eq!(m.counts.iter().sum::<u64>() + m.excluded_incidents, 72);
    let fc: serde_json::Value = serde_json::from_str(&m.layer(5).to_string()).unwrap();
    assert_eq!(fc["byrum"]["parameters"]["subset"], "morning");
}

#[test]
fn change_compares_rates_per_hour_of_each_period() {
    let ds = dataset();
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let a = Period::local_dates(ds.zone, date("2023-01-01"), date("2023-06-30")).unwrap();
    let b = Period::local_dates(ds.zone, date("2023-07-01"), date("2023-12-31")).unwrap();
    let (ga, _, area) = counts_in(&ds, 9, &a);
    let (gb, _, _) = counts_in(&ds, 9, &b);
    let ch = H3Change::compute(&ga, &gb, &area, ("H1".into(), "H2".into()), 0.95).unwrap();
    let top = (0..area.len())
        .max_by_key(|&c| ch.total[c].count_a + ch.total[c].count_b)
        .unwrap();
    let r = ch.total[top];
    // The cluster had 4+8+…+24 = 84 incidents in H1 and 28+…+48 = 228 in H2
    // spread over a few cells; the busiest cell grows significantly.
    assert!(
        r.count_b > r.count_a && r.significant && r.ratio_low > 1.0,
        "{r:?}"
    );
    let expected = (r.count_b as f64 / gb.total_hours()) / (r.count_a as f64 / ga.total_hours());
    assert!((r.ratio - expected).abs() < 1e-12 * expected);
    // Per bin, the counts add up to the total.
    let nb = ch.bin_labels.len();
    let sum_a: u64 = (0..nb)
        .map(|b| ch.per_bin[top * nb + b].unwrap().count_a)
        .sum();
    assert_eq!(sum_a, r.count_a);
    let fc: serde_json::Value = serde_json::from_str(&ch.layer(5).to_string()).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), area.len());
    assert_eq!(fc["features"][top]["properties"]["direction"], "increase");
}

#[test]
fn square_gistar_covers_the_area_and_matches_direct_gistar() {
    use byrum::{MetricGrid, SquareHotSpots, SquareNeighbours};
    use geo::BoundingRect;
    let ds = dataset();
    let area = ds
        .projection
        .forward_geometry(ds.study_area.as_ref().unwrap().polygon())
        .unwrap();
    let r = area.bounding_rect().unwrap();
    let grid = MetricGrid::covering((r.min().x, r.min().y, r.max().x, r.max().y), 250.0).unwrap();
    let inc = &ds.incidents;
    let labels = vec!["all".to_owned()];
    let bins = vec![0u32; inc.len()];
    let g = GiStar::new();
    let sq = SquareHotSpots::compute(
        &grid,
        &area,
        &inc.x,
        &inc.y,
        &bins,
        &labels,
        SquareNeighbours::Queen,
        &g,
    )
    .unwrap();
    let inside = grid.centres_in(&area);
    assert_eq!(sq.cells.len(), inside.iter().filter(|&&b| b).count());
    assert_eq!(
        sq.counts.iter().sum::<u64>() + sq.excluded_incidents,
        inc.len() as u64
    );
    let w = SpatialWeights::square_queen(&grid, &sq.cells).unwrap();
    let direct = g
        .compute(&sq.counts.iter().map(|&c| c as f64).collect::<Vec<_>>(), &w)
        .unwrap();
    assert_eq!(sq.overall.z, direct.z);
    assert_eq!(sq.per_bin[0].z, direct.z);
    let layer = sq.layer(&ds.projection, 5).unwrap();
    assert_eq!(layer.len(), sq.cells.len());
    let top = (0..sq.cells.len()).max_by_key(|&c| sq.counts[c]).unwrap();
    assert!(sq.overall.class[top].is_hot());
}
