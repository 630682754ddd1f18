//! Mergeable aggregates: parts split by region or by year, written as
//! partitioned Parquet, read and merged, equal the whole computed at once.
//!
//! Oracle, run by hand (not part of `cargo test`): the demo's whole tree
//! (resolution 9, parents at 5, monthly, hour × season), its split by year
//! and its split by region (parents at resolution 7, 3 regions) were read
//! with `tests/fixtures/check_aggregate_tree.py` (pyarrow 26.0.1, datafusion
//! 55.0.0): pyarrow recognises `parent` and `period` as Hive partitions
//! (6,424 count rows, 59,650 incidents, 17,544 exposure hours), and
//! DataFusion's SUM over the union of the parts, with equal exposure
//! duplicates kept once, equals the whole tree for all 6,424 (cell, bin,
//! period) sums and all 768 (bin, period) exposure rows, for both splits.
#![allow(
    clippy::unwrap_used,
    clippy::float_cmp,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use byrum::*;
use chrono::{DateTime, Datelike};
use polars::prelude::{ParquetReader, SerReader};

/// The columns of some incidents of a data set.
struct Part {
    lon: Vec<f64>,
    lat: Vec<f64>,
    utc: Vec<i64>,
    offset: Vec<i32>,
}

impl Part {
    fn of(ds: &Dataset, rows: &[usize]) -> Self {
        let inc = &ds.incidents;
        Part {
            lon: rows.iter().map(|&i| inc.lon[i]).collect(),
            lat: rows.iter().map(|&i| inc.lat[i]).collect(),
            utc: rows.iter().map(|&i| inc.utc[i]).collect(),
            offset: rows.iter().map(|&i| inc.offset[i]).collect(),
        }
    }

    fn aggregate(&self, how: &Aggregation, ds: &Dataset, period: &Period) -> CellBinAggregate {
        how.compute_columns(
            &self.lon,
            &self.lat,
            &self.utc,
            &self.offset,
            None,
            ds.zone,
            period,
            ds.centre(),
        )
        .unwrap()
    }
}

fn demo_aggregation() -> Aggregation {
    // Parent resolution 7 gives the central-Aalborg demo several regions.
    Aggregation::new(h3_resolution(9).unwrap()).parent(h3_resolution(7).unwrap())
}

fn assert_counts_equal(a: &H3Counts, b: &H3Counts) {
    assert_eq!(a.resolution, b.resolution);
    assert_eq!(a.cells, b.cells);
    assert_eq!(a.in_area, b.in_area);
    assert_eq!(a.counts, b.counts);
    assert_eq!(a.weights, b.weights);
    assert_eq!(a.bin_labels, b.bin_labels);
    assert_eq!(a.bin_counts, b.bin_counts);
    // Bitwise: whole seconds are summed, then divided once, in both.
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.exposure_hours), bits(&b.exposure_hours));
}

/// Writes every part into its own folder under `root`, reads them back and merges.
fn write_read_merge(root: &Path, name: &str, parts: &[CellBinAggregate]) -> CellBinAggregate {
    let dirs: Vec<_> = (0..parts.len())
        .map(|i| root.join(format!("{name}-{i}")))
        .collect();
    for (p, d) in parts.iter().zip(&dirs) {
        p.write_partitioned(d).unwrap();
    }
    let refs: Vec<&Path> = dirs.iter().map(std::path::PathBuf::as_path).collect();
    CellBinAggregate::read_and_merge(&refs).unwrap()
}

#[test]
fn parts_by_region_and_by_year_merge_to_the_whole() {
    let ds = common::demo_dataset();
    let how = demo_aggregation();
    let whole = how.compute(&ds).unwrap();
    assert_eq!(whole.total(), ds.incidents.len() as u64);
    assert_eq!(whole.periods().len(), 24); // 2023-01 … 2024-12
    let tmp = tempfile::tempdir().unwrap();

    // By region: the parent cell (resolution 7) of every incident.
    let parents = h3_cells(
        &ds.incidents.lon,
        &ds.incidents.lat,
        h3_resolution(7).unwrap(),
    )
    .unwrap();
    let mut regions: BTreeMap<_, Vec<usize>> = BTreeMap::new();
    for (i, p) in parents.iter().enumerate() {
        regions.entry(*p).or_default().push(i);
    }
    assert!(regions.len() >= 3, "{} regions", regions.len());
    let by_region: Vec<_> = regions
        .values()
        .map(|rows| Part::of(&ds, rows).aggregate(&how, &ds, &ds.period))
        .collect();
    // Every region carries the whole period's exposure; merging keeps it once.
    for r in &by_region {
        assert_eq!(r.exposure, whole.exposure);
    }
    let merged_regions = write_read_merge(tmp.path(), "region", &by_region);
    assert_eq!(merged_regions, whole);

    // By year: each part over its year of the analysis period.
    let year_of = |t: i64| {
        DateTime::from_timestamp(t, 0)
            .unwrap()
            .with_timezone(&ds.zone)
            .year()
    };
    let by_year: Vec<_> = [2023, 2024]
        .iter()
        .map(|&y| {
            let rows: Vec<usize> = (0..ds.incidents.len())
                .filter(|&i| year_of(ds.incidents.utc[i]) == y)
                .collect();
            let year = PeriodKey::year(y).local_period(ds.zone).unwrap();
            let period = Period {
                start: year.start.max(ds.period.start),
                end: year.end.min(ds.period.end),
            };
            Part::of(&ds, &rows).aggregate(&how, &ds, &period)
        })
        .collect();
    assert_eq!(by_year[0].periods().len(), 12);
    let merged_years = write_read_merge(tmp.path(), "year", &by_year);
    assert_eq!(merged_years, whole);

    // Every (cell, bin, period) count and every exposure value: the structs
    // compared above hold them all; spot-check that they are not trivial.
    assert!(whole.counts.len() > 1000);
    assert_eq!(whole.exposure.len(), 24 * whole.bin_labels.len());

    // The merged aggregate is the H3Counts input of the main pipeline.
    let demo = common::demo_hot_spots(&ds, 9);
    let area: Vec<_> = (0..demo.counts.cells.len())
        .filter(|&i| demo.counts.in_area[i])
        .map(|i| demo.counts.cells[i])
        .collect();
    for merged in [&merged_regions, &merged_years] {
        let counts = merged.to_counts(None, Some(&area)).unwrap();
        assert_counts_equal(&counts, &demo.counts);
        assert_counts_equal(&counts, &whole.to_counts(None, Some(&area)).unwrap());
        // … and Gi* on it is the pipeline's Gi*.
        let hot =
            H3HotSpots::compute(&counts, 1, Decay::Binary, &GiStar::new(), &ds.projection).unwrap();
        assert_eq!(hot.overall.z, demo.hot.overall.z);
        assert_eq!(hot.overall.class, demo.hot.overall.class);
    }

    // One year of the merged aggregate is the pipeline's counts of that year.
    let months_2024: Vec<PeriodKey> = (1..=12)
        .map(|m| PeriodKey::month(2024, m).unwrap())
        .collect();
    let y2024 = merged_regions.to_counts(Some(&months_2024), None).unwrap();
    let rows: Vec<usize> = (0..ds.incidents.len())
        .filter(|&i| year_of(ds.incidents.utc[i]) == 2024)
        .collect();
    assert_eq!(y2024.counts.iter().sum::<u64>(), rows.len() as u64);
    assert_eq!(
        y2024.exposure_hours.iter().sum::<f64>(),
        366.0 * 24.0 // 2024 is a leap year; the DST switches cancel
    );
}

#[test]
fn round_trip_and_layout() {
    let ds = common::demo_dataset();
    let agg = demo_aggregation()
        .partitioning(Partitioning::Year)
        .compute(&ds)
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("agg");
    let files = agg.write_partitioned(&dir).unwrap();
    assert_eq!(files.count_rows, agg.counts.len());
    assert_eq!(files.exposure_rows, 2 * agg.bin_labels.len());
    let back = CellBinAggregate::read_partitioned(&dir).unwrap();
    assert_eq!(back, agg);

    // Hive layout: counts/parent=<hex>/period=<YYYY>/part-0.parquet.
    let first = files.files[0].strip_prefix(&dir).unwrap().to_str().unwrap();
    let parts: Vec<&str> = first.split('/').collect();
    assert_eq!(parts[0], "counts");
    assert!(parts[1].starts_with("parent=87"), "{first}"); // resolution 7: 0x87…
    assert_eq!(parts[2], "period=2023");
    assert_eq!(parts[3], "part-0.parquet");
    assert!(dir.join("exposure/period=2024/part-0.parquet").is_file());

    // The manifest says what it is and that nothing is suppressed.
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(AGGREGATE_MANIFEST)).unwrap()).unwrap();
    assert_eq!(m["suppressed"], false);
    assert!(m["note"].as_str().unwrap().contains("Not for publication"));
    assert_eq!(m["resolution"], 9);
    assert_eq!(m["parent_resolution"], 7);
    assert_eq!(m["partitioning"], "year");
    assert_eq!(m["zone"], "Europe/Copenhagen");
    assert_eq!(m["incidents"], ds.incidents.len());
    assert_eq!(m["bin_dimensions"], serde_json::json!(["hour", "season"]));

    // A count file read by polars alone: the columns the README documents.
    let df = ParquetReader::new(std::fs::File::open(&files.files[0]).unwrap())
        .finish()
        .unwrap();
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(names, ["cell", "cell_hex", "bin", "count"]);
    let cell = df.column("cell").unwrap().i64().unwrap().get(0).unwrap();
    let hex = df
        .column("cell_hex")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(format!("{cell:x}"), hex);
    let e = ParquetReader::new(
        std::fs::File::open(dir.join("exposure/period=2023/part-0.parquet")).unwrap(),
    )
    .finish()
    .unwrap();
    let hours: f64 = e
        .column("hours")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .sum();
    assert_eq!(hours, 8760.0);

    // Writing again into the same folder replaces the aggregate.
    let monthly = demo_aggregation().compute(&ds).unwrap();
    monthly.write_partitioned(&dir).unwrap();
    assert_eq!(CellBinAggregate::read_partitioned(&dir).unwrap(), monthly);
    assert!(!dir.join("exposure/period=2023").exists());
    // A non-empty folder that is not an aggregate is refused.
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let err = agg.write_partitioned(&other).unwrap_err().to_string();
    assert!(
        err.contains("notes.txt") && err.contains("not part of an aggregate"),
        "{err}"
    );
    assert!(other.join("notes.txt").is_file());
    // The remains of an interrupted write (no manifest yet) are replaced.
    std::fs::remove_file(dir.join(AGGREGATE_MANIFEST)).unwrap();
    agg.write_partitioned(&dir).unwrap();
    assert_eq!(CellBinAggregate::read_partitioned(&dir).unwrap(), agg);
}

/// A small constructed data set: Copenhagen, 2023.
fn small(
    how: &Aggregation,
    zone: &str,
    first: &str,
    last: &str,
    utc: &[i64],
) -> Result<CellBinAggregate> {
    let tz = parse_zone(zone)?;
    let period = Period::local_dates(tz, first.parse().unwrap(), last.parse().unwrap())?;
    let n = utc.len();
    let offset: Vec<i32> = utc.iter().map(|&t| offset_at(tz, t)).collect();
    how.compute_columns(
        &vec![9.9170; n],
        &vec![57.0430; n],
        utc,
        &offset,
        None,
        tz,
        &period,
        (9.92, 57.05),
    )
}

fn utc(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

#[test]
fn months_with_a_dst_switch_have_743_or_745_hours() {
    let how = Aggregation::new(h3_resolution(9).unwrap());
    let agg = small(
        &how,
        "Europe/Copenhagen",
        "2023-01-01",
        "2023-12-31",
        &[
            utc("2023-01-01T00:30:00+01:00"), // 2022-12-31 23:30 UTC: January locally
            utc("2023-03-31T23:30:00+02:00"), // 21:30 UTC: still March locally
            utc("2023-04-01T00:10:00+02:00"),
            utc("2023-10-29T02:30:00+01:00"), // the repeated hour, second time
        ],
    )
    .unwrap();
    let month = |m| PeriodKey::month(2023, m).unwrap();
    let hours = |m| agg.exposure_hours(Some(&[month(m)])).iter().sum::<f64>();
    assert_eq!(hours(3), 743.0);
    assert_eq!(hours(10), 745.0);
    assert_eq!(hours(2), 28.0 * 24.0);
    assert_eq!(agg.exposure_hours(None).iter().sum::<f64>(), 8760.0);
    let periods: Vec<String> = agg.counts.iter().map(|c| c.period.to_string()).collect();
    let mut sorted = periods.clone();
    sorted.sort();
    assert_eq!(sorted, ["2023-01", "2023-03", "2023-04", "2023-10"]);
    // The repeated hour (02:30 the second time) is in the 00-03 bucket, autumn.
    let oct = agg.counts.iter().find(|c| c.period == month(10)).unwrap();
    assert_eq!(agg.bin_labels[oct.bin as usize], "00-03_autumn");
    // October's 00-03 bucket has 31 × 3 + 1 hours.
    let b = oct.bin as usize;
    assert_eq!(agg.exposure_hours(Some(&[month(10)]))[b], 94.0);

    // Yearly periods: one year of 8760 hours.
    let yearly = small(
        &how.clone().partitioning(Partitioning::Year),
        "Europe/Copenhagen",
        "2023-01-01",
        "2023-12-31",
        &[utc("2023-06-01T12:00:00+02:00")],
    )
    .unwrap();
    assert_eq!(yearly.periods(), [PeriodKey::year(2023)]);
    assert_eq!(yearly.exposure_hours(None).iter().sum::<f64>(), 8760.0);
}

#[test]
fn incompatible_parts_are_refused_with_both_values() {
    let t = [utc("2023-06-01T12:00:00+02:00")];
    let res9 = Aggregation::new(h3_resolution(9).unwrap());
    let a = small(&res9, "Europe/Copenhagen", "2023-06-01", "2023-06-30", &t).unwrap();

    let b = small(
        &Aggregation::new(h3_resolution(8).unwrap()),
        "Europe/Copenhagen",
        "2023-06-01",
        "2023-06-30",
        &t,
    )
    .unwrap();
    let err = CellBinAggregate::merge(&[a.clone(), b])
        .unwrap_err()
        .to_string();
    assert!(err.contains("H3 resolution: 9 versus 8"), "{err}");

    let c = small(
        &res9
            .clone()
            .binning(TimeBinning::default(), BinSpec::of(&[Dimension::Hour])),
        "Europe/Copenhagen",
        "2023-06-01",
        "2023-06-30",
        &t,
    )
    .unwrap();
    let err = CellBinAggregate::merge(&[a.clone(), c])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "time bins: 32 bins (00-03_winter, 00-03_spring, …) versus 8 bins (00-03, 03-06, …)"
        ),
        "{err}"
    );

    let d = small(&res9, "Europe/Berlin", "2023-06-01", "2023-06-30", &t).unwrap();
    let err = CellBinAggregate::merge(&[a.clone(), d])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("time zone: Europe/Copenhagen versus Europe/Berlin"),
        "{err}"
    );

    let e = small(
        &res9.clone().partitioning(Partitioning::Year),
        "Europe/Copenhagen",
        "2023-06-01",
        "2023-06-30",
        &t,
    )
    .unwrap();
    let err = CellBinAggregate::merge(&[a.clone(), e])
        .unwrap_err()
        .to_string();
    assert!(err.contains("partitioning: month versus year"), "{err}");

    // Same settings, but a part over half of June: June's exposure disagrees.
    let f = small(&res9, "Europe/Copenhagen", "2023-06-01", "2023-06-15", &t).unwrap();
    let err = CellBinAggregate::merge(&[a.clone(), f])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("exposure of bin") && err.contains("2023-06") && err.contains("part 2"),
        "{err}"
    );
    assert!(CellBinAggregate::merge(&[]).is_err());

    // The same refusals after a trip through the files.
    let tmp = tempfile::tempdir().unwrap();
    a.write_partitioned(&tmp.path().join("a")).unwrap();
    let g = small(&res9, "Europe/Berlin", "2023-06-01", "2023-06-30", &t).unwrap();
    g.write_partitioned(&tmp.path().join("g")).unwrap();
    let err = CellBinAggregate::read_and_merge(&[&tmp.path().join("a"), &tmp.path().join("g")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("Europe/Berlin"), "{err}");

    // Incidents outside the period.
    let err = small(&res9, "Europe/Copenhagen", "2023-07-01", "2023-07-31", &t)
        .unwrap_err()
        .to_string();
    assert!(err.contains("1 incidents lie outside"), "{err}");
    // A parent finer than the cells.
    let err = small(
        &res9.clone().parent(h3_resolution(10).unwrap()),
        "Europe/Copenhagen",
        "2023-06-01",
        "2023-06-30",
        &t,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("finer than the resolution"), "{err}");
}

#[test]
fn damaged_trees_are_refused_naming_the_file() {
    let how = Aggregation::new(h3_resolution(9).unwrap());
    let agg = small(
        &how,
        "Europe/Copenhagen",
        "2023-05-01",
        "2023-06-30",
        &[
            utc("2023-05-03T12:00:00+02:00"),
            utc("2023-06-01T12:00:00+02:00"),
        ],
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let fresh = |name: &str| {
        let d = tmp.path().join(name);
        let files = agg.write_partitioned(&d).unwrap();
        (d, files)
    };

    // Missing part.
    let (d, files) = fresh("missing");
    std::fs::remove_file(&files.files[0]).unwrap();
    let err = CellBinAggregate::read_partitioned(&d)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(files.files[0].to_str().unwrap()) && err.contains("cannot be opened"),
        "{err}"
    );

    // Corrupt part (not Parquet).
    let (d, files) = fresh("corrupt");
    std::fs::write(&files.files[1], b"PAR1 this is not parquet").unwrap();
    let err = CellBinAggregate::read_partitioned(&d)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(files.files[1].to_str().unwrap()) && err.contains("not a readable Parquet"),
        "{err}"
    );

    // Truncated part.
    let (d, files) = fresh("truncated");
    let bytes = std::fs::read(&files.files[0]).unwrap();
    std::fs::write(&files.files[0], &bytes[..bytes.len() / 2]).unwrap();
    let err = CellBinAggregate::read_partitioned(&d)
        .unwrap_err()
        .to_string();
    assert!(err.contains(files.files[0].to_str().unwrap()), "{err}");

    // A missing exposure part.
    let (d, files) = fresh("swapped");
    let last = files.files.last().unwrap();
    std::fs::remove_file(last).unwrap();
    let err = CellBinAggregate::read_partitioned(&d)
        .unwrap_err()
        .to_string();
    assert!(err.contains(last.to_str().unwrap()), "{err}");

    // A left-over file the manifest does not list.
    let (d, files) = fresh("stale");
    let extra = d.join("counts/parent=851f05a3fffffff/period=2022-01/part-0.parquet");
    std::fs::create_dir_all(extra.parent().unwrap()).unwrap();
    std::fs::copy(&files.files[0], &extra).unwrap();
    let err = CellBinAggregate::read_partitioned(&d)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("period=2022-01") && err.contains("not listed"),
        "{err}"
    );

    // No manifest.
    let (d, _) = fresh("nomanifest");
    std::fs::remove_file(d.join(AGGREGATE_MANIFEST)).unwrap();
    let err = CellBinAggregate::read_partitioned(&d)
        .unwrap_err()
        .to_string();
    assert!(err.contains(AGGREGATE_MANIFEST), "{err}");

    // A manifest pointing outside its folder.
    let (d, _) = fresh("escape");
    let m = std::fs::read_to_string(d.join(AGGREGATE_MANIFEST)).unwrap();
    let m = m.replacen("\"counts/", "\"../counts/", 1);
    std::fs::write(d.join(AGGREGATE_MANIFEST), m).unwrap();
    let err = CellBinAggregate::read_partitioned(&d)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not in the aggregate layout"), "{err}");
}

#[test]
fn weights_merge_to_rounding_and_counts_exactly() {
    let tz = parse_zone("Europe/Copenhagen").unwrap();
    let period = Period::local_dates(
        tz,
        "2023-01-01".parse().unwrap(),
        "2023-12-31".parse().unwrap(),
    )
    .unwrap();
    let n = 1000;
    let start = period.start;
    let utc: Vec<i64> = (0..n).map(|i| start + i * 31_000 + 17).collect();
    let offset: Vec<i32> = utc.iter().map(|&t| offset_at(tz, t)).collect();
    let lon: Vec<f64> = (0..n).map(|i| 9.91 + (i % 7) as f64 * 0.003).collect();
    let lat: Vec<f64> = (0..n).map(|i| 57.04 + (i % 5) as f64 * 0.002).collect();
    let w: Vec<f64> = (0..n).map(|i| 0.1 + (i % 13) as f64 / 3.0).collect();
    let how = Aggregation::new(h3_resolution(9).unwrap());
    let at = (9.92, 57.05);
    let whole = how
        .compute_columns(&lon, &lat, &utc, &offset, Some(&w), tz, &period, at)
        .unwrap();
    assert!(whole.weighted);
    let half = (n / 2) as usize;
    let part = |r: std::ops::Range<usize>| {
        how.compute_columns(
            &lon[r.clone()],
            &lat[r.clone()],
            &utc[r.clone()],
            &offset[r.clone()],
            Some(&w[r]),
            tz,
            &period,
            at,
        )
        .unwrap()
    };
    let tmp = tempfile::tempdir().unwrap();
    let merged = write_read_merge(tmp.path(), "w", &[part(0..half), part(half..n as usize)]);
    assert_eq!(merged.counts.len(), whole.counts.len());
    for (m, w) in merged.counts.iter().zip(&whole.counts) {
        assert_eq!(
            (m.cell, m.bin, m.period, m.count),
            (w.cell, w.bin, w.period, w.count)
        );
        approx::assert_relative_eq!(m.weight, w.weight, max_relative = 1e-14);
    }
    assert_eq!(merged.exposure, whole.exposure);
    let total_w: f64 = w.iter().sum();
    approx::assert_relative_eq!(
        merged
            .to_counts(None, None)
            .unwrap()
            .weights
            .iter()
            .sum::<f64>(),
        total_w,
        max_relative = 1e-12
    );
    // Mixing weighted and unweighted parts is refused.
    let unweighted = how
        .compute_columns(&lon, &lat, &utc, &offset, None, tz, &period, at)
        .unwrap();
    let err = CellBinAggregate::merge(&[whole, unweighted])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("weighting: weighted versus unweighted"),
        "{err}"
    );
}

#[test]
fn results_do_not_depend_on_threads() {
    let ds = common::demo_dataset();
    let how = demo_aggregation();
    let many = how.compute(&ds).unwrap();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| how.compute(&ds).unwrap());
    assert_eq!(many, one);
}

#[test]
fn exposure_only_tree_from_no_incidents_merges_as_a_region() {
    // What the README suggests for counts made by another engine: byrum
    // writes the exposure from empty columns; merging it with a part of the
    // same period keeps the exposure once and the counts unchanged.
    let how = Aggregation::new(h3_resolution(9).unwrap());
    let empty = small(&how, "Europe/Copenhagen", "2023-01-01", "2023-03-31", &[]).unwrap();
    assert_eq!(empty.total(), 0);
    assert_eq!(
        empty.exposure_hours(None).iter().sum::<f64>(),
        (31.0 + 28.0 + 31.0) * 24.0 - 1.0
    );
    let part = small(
        &how,
        "Europe/Copenhagen",
        "2023-01-01",
        "2023-03-31",
        &[utc("2023-02-01T12:00:00+01:00")],
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let merged = write_read_merge(tmp.path(), "e", &[empty, part.clone()]);
    assert_eq!(merged, part);
}
