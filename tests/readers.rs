//! The incident reader on broken and unusual input, and the polars paths
//! (DataFrame, Parquet).
#![allow(clippy::unwrap_used, clippy::float_cmp, clippy::items_after_statements)] // test code

use std::path::PathBuf;

use byrum::*;
use polars::prelude::*;

fn write(dir: &tempfile::TempDir, name: &str, text: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn whole_file_problems_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = IncidentReader::new()
        .read_csv(&write(&dir, "empty.csv", b""))
        .unwrap_err()
        .to_string();
    assert!(e.contains("empty"), "{e}");
    let e = IncidentReader::new()
        .read_csv(&write(&dir, "semi.csv", b"id;lon;lat;timestamp;category\n"))
        .map(|b| b.report.read)
        .unwrap();
    assert_eq!(e, 0); // header only, detected delimiter: nothing to read, no error
    let e = IncidentReader::new()
        .read_csv(&write(&dir, "cols.csv", b"a,b,c\n1,2,3\n"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no x column") && e.contains("\"a\""), "{e}");
    let e = IncidentReader::new()
        .read_csv(&dir.path().join("missing.csv"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.csv"), "{e}");
}

#[test]
fn row_problems_are_reported_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\u{feff}id,lon,lat,timestamp,category\r\n\
        1,9.92,57.05,2023-07-14T21:37:00+02:00,noise\r\n\
        2,NaN,57.05,2023-07-14T21:37:00+02:00,noise\r\n\
        3,57.05,9.92,2023-07-14T21:37:00+02:00,noise\r\n\
        4,9.92,57.05,not a time,noise\r\n\
        5,9.92,57.05,2023-07-14T21:37:00+02:00\r\n\
        6,9.92,57.05,\"2023-07-14T21:38:00+02:00\",\"multi\nline\"\r\n\
        1,9.93,57.05,2023-07-14T21:39:00+02:00,noise\r\n\
        8,9.92,57.05,2018-03-25 02:30,noise\r\n\
        9,9.92,57.05,2018-10-28 02:30,noise\r\n\
        10,0,0,2023-07-14T21:37:00+02:00,noise\r\n";
    let p = write(&dir, "rows.csv", text.as_bytes());
    let b = IncidentReader::new()
        .zone(parse_zone("Europe/Copenhagen").unwrap())
        .read_csv(&p)
        .unwrap();
    let r = &b.report;
    assert!(r.is_reconciled(), "{r:?}");
    assert_eq!(r.read, 10);
    let reason_at = |line: u64| {
        r.rejections
            .iter()
            .find(|x| x.line == line)
            .map(|x| x.reason.as_str())
    };
    assert_eq!(reason_at(3), Some("bad_coordinate"));
    assert_eq!(reason_at(5), Some("unparseable_time"));
    assert_eq!(reason_at(6), Some("wrong_field_count"));
    assert_eq!(reason_at(9), Some("duplicate_id")); // line 8 spans two lines (quoted newline)
    assert_eq!(reason_at(10), Some("nonexistent_local_time"));
    assert_eq!(reason_at(12), Some("bad_coordinate"));
    // Line 4 has lon/lat swapped but both in range: accepted (no study area to tell).
    assert_eq!(reason_at(4), None);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.kind == "ambiguous_local_time" && w.line == Some(11)),
        "{:?}",
        r.warnings
    );
    assert_eq!(
        b.incidents
            .categories
            .values()
            .iter()
            .filter(|c| c.contains('\n'))
            .count(),
        1
    );
    // The swap hint is given when the latitude is out of range.
    let p = write(
        &dir,
        "swap.csv",
        b"id,lon,lat,timestamp,category\n1,57.05,99.2,2023-07-14T21:37:00+02:00,x\n",
    );
    let r = IncidentReader::new().read_csv(&p).unwrap().report;
    assert!(
        r.rejections[0].detail.contains("swapped"),
        "{:?}",
        r.rejections
    );
}

/// Offsets the reader took from a zone are not checked against that zone
/// again; recorded offsets are, and the ones the zone does not have at
/// their instant are counted.
#[test]
fn offsets_checked_unless_taken_from_the_zone() {
    let dir = tempfile::tempdir().unwrap();
    let cph = parse_zone("Europe/Copenhagen").unwrap();
    let warsaw = parse_zone("Europe/Warsaw").unwrap();
    let naive = write(
        &dir,
        "naive.csv",
        b"id,lon,lat,timestamp,category\n1,9.92,57.05,2023-07-14 21:37,a\n2,9.93,57.05,2023-01-14 03:00,a\n",
    );
    let zoned = write(
        &dir,
        "zoned.csv",
        b"id,lon,lat,timestamp,category\n1,9.92,57.05,2023-07-14T21:37:00+02:00,a\n2,9.93,57.05,2023-07-14T21:40:00+00:00,a\n3,9.93,57.05,2023-07-14 21:41,a\n",
    );
    let mismatches = |batch: IncidentBatch, zone| {
        let ds = DatasetBuilder::new()
            .incidents(batch)
            .zone(zone)
            .build()
            .unwrap();
        ds.zone_inference.mismatches
    };
    let b = IncidentReader::new().zone(cph).read_csv(&naive).unwrap();
    assert_eq!(b.offsets_from, Some(cph));
    assert_eq!(mismatches(b, cph), 0);
    // Checked against another zone: Warsaw has Copenhagen's offsets,
    // London has neither.
    let b = IncidentReader::new().zone(cph).read_csv(&naive).unwrap();
    assert_eq!(mismatches(b, warsaw), 0);
    let b = IncidentReader::new().zone(cph).read_csv(&naive).unwrap();
    assert_eq!(mismatches(b, parse_zone("Europe/London").unwrap()), 2);
    // A recorded +00:00 in a Danish summer does not.
    let b = IncidentReader::new().zone(cph).read_csv(&zoned).unwrap();
    assert_eq!(b.report.accepted, 3);
    assert_eq!(b.offsets_from, None);
    assert_eq!(mismatches(b, cph), 1);
}

#[test]
fn projected_danish_columns_and_naive_times() {
    let dir = tempfile::tempdir().unwrap();
    let p25832 = Projection::from_epsg(25832).unwrap();
    let (x, y) = p25832.forward(9.9187, 57.0488).unwrap();
    let text = format!(
        "sagsnr;øst;nord;tidspunkt;kategori\nA1;{x};{y};14-07-2023 21:37;støj\nA2;;;14-07-2023 21:40;støj\n"
    );
    let p = write(&dir, "dk.csv", text.as_bytes());
    let reader = IncidentReader::new()
        .columns(
            ColumnMap::parse("id=sagsnr,x=øst,y=nord,timestamp=tidspunkt,category=kategori")
                .unwrap(),
        )
        .crs(Crs::parse("EPSG:25832").unwrap())
        .time_format("%d-%m-%Y %H:%M");
    let b = reader.read_csv(&p).unwrap();
    assert_eq!(b.report.accepted, 1);
    assert_eq!(b.report.rejected_by_reason["bad_coordinate"], 1);
    assert!(
        (b.incidents.lon[0] - 9.9187).abs() < 1e-9 && (b.incidents.lat[0] - 57.0488).abs() < 1e-9
    );
    // No zone set: the naive time is read in the zone at the data's location, and that is said.
    assert_eq!(b.incidents.offset[0], 7200);
    assert!(
        b.report
            .warnings
            .iter()
            .any(|w| w.kind == "zone_from_location" && w.message.contains("Europe/Copenhagen"))
    );
    assert_eq!(
        b.incidents.categories.value(b.incidents.category[0]),
        "støj"
    );
}

fn frame() -> DataFrame {
    df!(
        "id" => ["a", "b", "c"],
        "lon" => [9.92, 9.93, 500.0],
        "lat" => [57.05, 57.04, 57.0],
        "timestamp" => ["2023-07-14T21:37:00+02:00", "2023-12-14 08:00", "2023-07-14T21:37:00+02:00"],
        "category" => ["noise", "conflict", "noise"],
    )
    .unwrap()
}

#[test]
fn dataframe_from_an_analyst() {
    let reader = IncidentReader::new().zone(parse_zone("Europe/Copenhagen").unwrap());
    let b = reader.read_dataframe(&frame(), "<DataFrame>").unwrap();
    assert!(b.report.is_reconciled());
    assert_eq!((b.report.accepted, b.report.rejected), (2, 1));
    assert_eq!(b.report.rejections[0].line, 4); // row 3, as if line 4 of a CSV
    assert_eq!(b.incidents.offset, vec![7200, 3600]);
}

#[test]
fn parquet_with_typed_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let mut df = frame();
    // A zoned Datetime column: 2023-07-14T19:37:00Z etc.
    let ts = Series::new(
        "timestamp".into(),
        [1_689_363_420_000i64, 1_702_537_200_000, 1_689_363_420_000],
    )
    .cast(&DataType::Datetime(
        TimeUnit::Milliseconds,
        Some(
            TimeZone::opt_try_new(Some("Europe/Copenhagen"))
                .unwrap()
                .unwrap(),
        ),
    ))
    .unwrap();
    df.replace("timestamp", ts.into()).unwrap();
    let path = dir.path().join("i.parquet");
    let mut f = std::fs::File::create(&path).unwrap();
    ParquetWriter::new(&mut f).finish(&mut df).unwrap();
    let b = IncidentReader::new().read_path(&path).unwrap();
    assert_eq!((b.report.accepted, b.report.rejected), (2, 1));
    assert_eq!(b.incidents.utc, vec![1_689_363_420, 1_702_537_200]);
    assert_eq!(
        b.incidents.instant(0).local().to_string(),
        "2023-07-14 21:37:00"
    );
    assert_eq!(
        b.incidents.instant(1).local().to_string(),
        "2023-12-14 08:00:00"
    );
    let e = IncidentReader::new()
        .read_parquet(&write(&dir, "bad.parquet", b"not parquet"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("Parquet"), "{e}");
}

/// Duplicate ids and records are found after all rows are validated (in
/// parallel); the outcome must equal checking row by row in line order:
/// an id counts as used only once its row is accepted, a record rejected
/// as a duplicate does not use its id, and the report lists rejections and
/// warnings in line order (a duplicate's warning before its ambiguous-time one).
#[test]
fn duplicates_are_decided_in_line_order() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        &dir,
        "dups.csv",
        b"id,lon,lat,timestamp,category\n\
1,9.9,57.0,2023-01-01T10:00:00,theft\n\
2,9.9,57.0,2023-01-01T10:00:00,theft\n\
2,9.91,57.0,2023-01-01T11:00:00,theft\n\
3,9.92,57.0,2023-10-29T02:30:00,theft\n\
3,9.93,57.0,2023-01-01T12:00:00,noise\n\
4,9.92,57.0,2023-10-29T02:30:00,theft\n\
5,abc,57.0,2023-01-01T12:00:00,noise\n",
    );
    let zone = parse_zone("Europe/Copenhagen").unwrap();
    let listed = |b: &IncidentBatch| {
        let r: Vec<(u64, String)> = b
            .report
            .rejections
            .iter()
            .map(|r| (r.line, r.reason.clone()))
            .collect();
        let w: Vec<(u64, String)> = b
            .report
            .warnings
            .iter()
            .filter_map(|w| w.line.map(|l| (l, w.kind.clone())))
            .collect();
        (r, w)
    };
    let s = |v: &[(u64, &str)]| -> Vec<(u64, String)> {
        v.iter().map(|(l, k)| (*l, (*k).to_owned())).collect()
    };

    let warn = IncidentReader::new().zone(zone).read_csv(&csv).unwrap();
    assert!(warn.report.is_reconciled());
    assert_eq!((warn.report.accepted, warn.report.rejected), (4, 3));
    assert_eq!(warn.incidents.line, [2, 3, 5, 7]);
    assert_eq!(
        warn.incidents.id.iter().collect::<Vec<_>>(),
        ["1", "2", "3", "4"]
    );
    let (r, w) = listed(&warn);
    assert_eq!(
        r,
        s(&[
            (4, "duplicate_id"),
            (6, "duplicate_id"),
            (8, "bad_coordinate")
        ])
    );
    assert_eq!(
        w,
        s(&[
            (3, "duplicate_record"),
            (5, "ambiguous_local_time"),
            (7, "duplicate_record"),
            (7, "ambiguous_local_time"),
        ])
    );

    let strict = IncidentReader::new()
        .zone(zone)
        .duplicate_records(DuplicateRecords::Reject)
        .read_csv(&csv)
        .unwrap();
    assert!(strict.report.is_reconciled());
    assert_eq!(strict.incidents.line, [2, 4, 5]);
    assert_eq!(
        strict.incidents.id.iter().collect::<Vec<_>>(),
        ["1", "2", "3"]
    );
    assert_eq!(strict.incidents.category.len(), 3);
    let (r, w) = listed(&strict);
    assert_eq!(
        r,
        s(&[
            (3, "duplicate_record"),
            (6, "duplicate_id"),
            (7, "duplicate_record"),
            (8, "bad_coordinate"),
        ])
    );
    assert_eq!(w, s(&[(5, "ambiguous_local_time")]));
    assert_eq!(strict.report.warnings_by_kind["ambiguous_local_time"], 1);
}
