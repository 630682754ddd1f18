//! Hostile and broken input (issue 6): every case gives a message a planner
//! understands, never a panic, and the rest of the file is still read, with
//! `read == accepted + rejected` and every rejection naming file, line (or
//! feature) and reason.
#![allow(clippy::unwrap_used, clippy::float_cmp)] // test code

use std::path::{Path, PathBuf};

use byrum::read::geojson::{read_places, read_routes, read_services};
use byrum::*;

const HEADER: &str = "id,lon,lat,timestamp,category";

fn write(dir: &tempfile::TempDir, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A good incident row in Aalborg on `line` (so ids are unique).
fn good(id: u32) -> String {
    format!(
        "{id},9.92{id:02},57.05,2023-07-14T21:{:02}:00+02:00,noise",
        id % 60
    )
}

fn reader() -> IncidentReader {
    IncidentReader::new().zone(parse_zone("Europe/Copenhagen").unwrap())
}

/// The batch, after checking the report reconciles and names the file.
fn read(path: &Path, reader: &IncidentReader) -> IncidentBatch {
    let b = reader.read_csv(path).unwrap();
    let r = &b.report;
    assert!(r.is_reconciled(), "{r:?}");
    assert_eq!(b.incidents.len() as u64, r.accepted);
    assert!(
        r.rejections
            .iter()
            .all(|x| x.file == path.display().to_string())
    );
    b
}

/// The (line, reason, detail) of every rejection.
fn rejections(r: &IngestReport) -> Vec<(u64, &str, &str)> {
    r.rejections
        .iter()
        .map(|x| (x.line, x.reason.as_str(), x.detail.as_str()))
        .collect()
}

fn warning<'a>(r: &'a IngestReport, kind: &str) -> &'a str {
    r.warnings.iter().find(|w| w.kind == kind).map_or_else(
        || panic!("no {kind} warning in {:?}", r.warnings),
        |w| w.message.as_str(),
    )
}

// ---------------------------------------------------------------- incident CSV

#[test]
fn empty_file_and_header_only() {
    let dir = tempfile::tempdir().unwrap();
    for text in ["", "\n\n", "\u{feff}", "\r\n"] {
        let e = reader()
            .read_csv(&write(&dir, "empty.csv", text))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("empty.csv") && e.contains("the file is empty"),
            "{e}"
        );
    }
    let b = read(
        &write(&dir, "header.csv", format!("{HEADER}\r\n")),
        &reader(),
    );
    assert_eq!(b.report.read, 0);
    assert!(warning(&b.report, "no_rows").contains("header but no incident rows"));
}

#[test]
fn semicolon_and_tab_files_are_read_and_a_wrong_delimiter_is_named() {
    let dir = tempfile::tempdir().unwrap();
    for d in [";", "\t", "|"] {
        let text = format!(
            "{}\n{}\n{}\n",
            HEADER.replace(',', d),
            good(1).replace(',', d),
            good(2).replace(',', d)
        );
        let b = read(&write(&dir, "d.csv", text), &reader());
        assert_eq!((b.report.read, b.report.accepted), (2, 2), "{d:?}");
    }
    // A delimiter set by the planner that the file does not use.
    let p = write(
        &dir,
        "semi.csv",
        format!(
            "{}\n{}\n",
            HEADER.replace(',', ";"),
            good(1).replace(',', ";")
        ),
    );
    let e = reader()
        .delimiter(b',')
        .read_csv(&p)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("the file uses ';' between fields, not ','"),
        "{e}"
    );
    // One row written with another delimiter than the header.
    let text = format!(
        "{HEADER}\n{}\n{}\n{}\n",
        good(1),
        good(2).replace(',', ";"),
        good(3)
    );
    let b = read(&write(&dir, "mixed.csv", text), &reader());
    assert_eq!((b.report.read, b.report.accepted), (3, 2));
    let r = rejections(&b.report);
    assert_eq!((r[0].0, r[0].1), (3, "wrong_field_count"));
    assert!(
        r[0].2
            .contains("this row uses ';' between fields, the header ','"),
        "{}",
        r[0].2
    );
}

#[test]
fn bom_crlf_and_quoted_newlines_keep_the_lines_right() {
    let dir = tempfile::tempdir().unwrap();
    for eol in ["\n", "\r\n", "\r"] {
        let text = [
            format!("\u{feff}{HEADER}"),
            good(1),
            format!("2,9.92,57.05,2023-07-14T21:38:00+02:00,\"two{eol}line category\""),
            format!(
                "3,9.92,57.05,2023-07-14T21:39:00+02:00,\"three{eol}{eol}lines, with a comma\""
            ),
            "4,x,57.05,2023-07-14T21:40:00+02:00,noise".to_owned(),
            String::new(),
            "6,9.92,57.05,not a time,noise".to_owned(),
        ]
        .join(eol);
        let b = read(&write(&dir, "eol.csv", text), &reader());
        let r = &b.report;
        // The BOM is not part of the first column's name.
        assert!(
            !r.warnings_by_kind.contains_key("column_mapping"),
            "{:?}",
            r.warnings
        );
        assert_eq!((r.read, r.accepted), (5, 3), "{eol:?}");
        let lines: Vec<(u64, &str)> = rejections(r).iter().map(|x| (x.0, x.1)).collect();
        assert_eq!(
            lines,
            [(8, "bad_coordinate"), (10, "unparseable_time")],
            "{eol:?}"
        );
        assert_eq!(b.incidents.line, [2, 3, 5], "{eol:?}");
        let cat = b.incidents.categories.value(b.incidents.category[2]);
        assert_eq!(cat, format!("three{eol}{eol}lines, with a comma"));
    }
}

#[test]
fn nan_inf_and_out_of_range_coordinates() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        good(1),
        "2,NaN,57.05,2023-07-14T21:37:00+02:00,noise".to_owned(),
        "3,9.92,inf,2023-07-14T21:37:00+02:00,noise".to_owned(),
        "4,-infinity,57.05,2023-07-14T21:37:00+02:00,noise".to_owned(),
        "5,1e400,57.05,2023-07-14T21:37:00+02:00,noise".to_owned(),
        "6,190.5,57.05,2023-07-14T21:37:00+02:00,noise".to_owned(),
        "7,9.92,-91,2023-07-14T21:37:00+02:00,noise".to_owned(),
        "8,,57.05,2023-07-14T21:37:00+02:00,noise".to_owned(),
        "9,554000,6322000,2023-07-14T21:37:00+02:00,noise".to_owned(),
        good(10),
    ];
    let text = format!("{HEADER}\n{}\n", rows.join("\n"));
    let b = read(&write(&dir, "coords.csv", text), &reader());
    assert_eq!((b.report.read, b.report.accepted), (10, 2));
    assert_eq!(b.report.rejected_by_reason["bad_coordinate"], 8);
    let r = rejections(&b.report);
    let detail = |line: u64| r.iter().find(|x| x.0 == line).unwrap().2;
    for line in 3..=6 {
        assert!(
            detail(line).contains("is not finite"),
            "{line}: {}",
            detail(line)
        );
    }
    assert!(
        detail(7).contains("outside −180…180, −90…90"),
        "{}",
        detail(7)
    );
    assert!(detail(8).contains("outside"), "{}", detail(8));
    assert!(detail(9).contains("not a pair of numbers"), "{}", detail(9));
    assert!(detail(10).contains("projected metres"), "{}", detail(10));
}

/// Aalborg points written latitude first.
fn swapped_file(dir: &tempfile::TempDir, n: u32, good_rows: u32) -> PathBuf {
    let mut rows: Vec<String> = (1..=n)
        .map(|i| format!("{i},57.05,9.9{i:02},2023-07-14T21:37:00+02:00,noise"))
        .collect();
    rows.extend((n + 1..=n + good_rows).map(good));
    write(
        dir,
        "swapped.csv",
        format!("{HEADER}\n{}\n", rows.join("\n")),
    )
}

#[test]
fn lon_lat_swapped_is_detected_from_the_study_area() {
    let dir = tempfile::tempdir().unwrap();
    let area = StudyArea::from_bbox_str("9.85,57.0,10.0,57.1").unwrap();
    // The whole file: every row is outside, and inside when swapped.
    let p = swapped_file(&dir, 20, 0);
    let b = read(&p, &reader().study_area(area.clone()));
    assert_eq!((b.report.read, b.report.accepted), (20, 0));
    assert_eq!(b.report.rejected_by_reason["out_of_study_area"], 20);
    assert!(
        b.report.rejections[0]
            .detail
            .contains("with x and y swapped it would lie inside")
    );
    let w = warning(&b.report, "lon_lat_swapped");
    assert!(w.contains("20 of 20 rows"), "{w}");
    assert!(
        w.contains("the longitude and latitude columns are the wrong way round"),
        "{w}"
    );
    let hint = "--columns \"x=lat,y=lon,timestamp=timestamp,id=id,category=category\"";
    assert!(w.contains(hint), "{w}");
    // Following the hint reads every row.
    let columns =
        ColumnMap::parse("x=lat,y=lon,timestamp=timestamp,id=id,category=category").unwrap();
    let b = read(&p, &reader().study_area(area.clone()).columns(columns));
    assert_eq!(b.report.accepted, 20);
    assert!(!b.report.warnings_by_kind.contains_key("lon_lat_swapped"));
    // A few swapped rows among good ones: named by line.
    let p = swapped_file(&dir, 2, 10);
    let b = read(&p, &reader().study_area(area.clone()));
    assert_eq!((b.report.read, b.report.accepted), (12, 10));
    let w = warning(&b.report, "lon_lat_swapped");
    assert!(
        w.contains("2 of 12 rows (lines 2, 3)") && w.contains("correct them at the source"),
        "{w}"
    );
    // A point outside the area that is also outside when swapped: no swap message.
    let text = format!("{HEADER}\n1,12.57,55.68,2023-07-14T21:37:00+02:00,noise\n");
    let b = read(&write(&dir, "cph.csv", text), &reader().study_area(area));
    assert_eq!(
        b.report.rejections[0].detail,
        "(12.570000, 55.680000) lies outside the study area"
    );
    assert!(!b.report.warnings_by_kind.contains_key("lon_lat_swapped"));
}

#[test]
fn lon_lat_swapped_without_a_study_area() {
    let dir = tempfile::tempdir().unwrap();
    // Helsinki written latitude first: latitude 24.9 is fine, longitude 60.17
    // too, so only a study area can tell. Memphis (-90.05, 35.1) swapped puts
    // -90.05 in the latitude: out of range, and the swap is reported.
    let rows: Vec<String> = (1..=5)
        .map(|i| format!("{i},35.1{i},-90.05,2019-07-14T21:37:00-05:00,robbery"))
        .collect();
    let p = write(
        &dir,
        "memphis.csv",
        format!("{HEADER}\n{}\n", rows.join("\n")),
    );
    let b = read(&p, &IncidentReader::new());
    assert_eq!((b.report.read, b.report.accepted), (5, 0));
    assert!(
        b.report.rejections[0]
            .detail
            .contains("longitude and latitude may be swapped")
    );
    let w = warning(&b.report, "lon_lat_swapped");
    assert!(
        w.contains("5 of 5 rows") && w.contains("valid longitude/latitude"),
        "{w}"
    );
    assert!(w.contains("--columns \"x=lat,y=lon"), "{w}");
}

#[test]
fn timestamps_from_1900_and_2100_are_rejected_as_implausible() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        good(1),
        "2,9.92,57.05,1900-01-01T00:00:00+01:00,noise".to_owned(),
        "3,9.92,57.05,2100-01-01 00:00,noise".to_owned(),
        "4,9.92,57.05,1970-01-01T00:00:00Z,noise".to_owned(),
        "5,9.92,57.05,2069-12-31T23:59:00+01:00,noise".to_owned(),
        "6,9.92,57.05,1971-01-01T00:00:00+01:00,noise".to_owned(),
    ];
    let p = write(
        &dir,
        "years.csv",
        format!("{HEADER}\n{}\n", rows.join("\n")),
    );
    let b = read(&p, &reader());
    assert_eq!((b.report.read, b.report.accepted), (6, 3));
    assert_eq!(b.report.rejected_by_reason["implausible_time"], 3);
    let r = rejections(&b.report);
    assert_eq!(r.iter().map(|x| x.0).collect::<Vec<_>>(), [3, 4, 5]);
    assert!(
        r[0].2
            .contains("1900-01-01 00:00:00 (local time) is outside the plausible years 1971–2069"),
        "{}",
        r[0].2
    );
    assert!(r[2].2.contains("1970-01-01 00:00:00"), "{}", r[2].2);
    // A planner with historical data widens the range.
    let b = read(&p, &reader().plausible_years(1900, 2100).unwrap());
    assert_eq!(b.report.accepted, 6);
    let e = IncidentReader::new()
        .plausible_years(2100, 1900)
        .unwrap_err()
        .to_string();
    assert!(e.contains("plausible years") && e.contains("after"), "{e}");
}

#[test]
fn unknown_time_zones_name_a_close_match() {
    let e = parse_zone_suggesting("Europe/Aalborg")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("\"Europe/Aalborg\" is not an IANA time zone"),
        "{e}"
    );
    assert!(e.contains("Denmark is \"Europe/Copenhagen\""), "{e}");
    let e = parse_zone_suggesting("Europe/Copenhagn")
        .unwrap_err()
        .to_string();
    assert!(e.contains("did you mean \"Europe/Copenhagen\""), "{e}");
    let e = parse_zone_suggesting("Europe/Helsniki")
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"Europe/Helsinki\""), "{e}");
    assert_eq!(
        parse_zone_suggesting(" europe/helsinki ").unwrap().name(),
        "Europe/Helsinki"
    );
    assert!(parse_zone_suggesting("").is_err());
    // The plain parser used by --tz today.
    let e = parse_zone("Europe/Aalborg").unwrap_err().to_string();
    assert!(e.contains("unknown time zone") && e.contains("IANA"), "{e}");
}

#[test]
fn a_record_over_the_limit_is_rejected_and_reading_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let long = format!(
        "3,9.92,57.05,2023-07-14T21:37:00+02:00,{}",
        "x".repeat(10_000)
    );
    let unclosed = "5,9.92,57.05,2023-07-14T21:37:00+02:00,\"never closed".to_owned();
    let rows = [good(1), good(2), long, good(4)];
    let text = format!("{HEADER}\n{}\n", rows.join("\n"));
    let b = read(
        &write(&dir, "long.csv", &text),
        &reader().max_record_bytes(1000),
    );
    assert_eq!((b.report.read, b.report.accepted), (4, 3));
    let r = rejections(&b.report);
    assert_eq!((r[0].0, r[0].1), (4, "record_too_long"));
    assert!(
        r[0].2
            .contains("10040 bytes long, over the limit of 1000 bytes"),
        "{}",
        r[0].2
    );
    assert_eq!(b.incidents.line, [2, 3, 5]);
    // Under the default limit (4 MiB) the same row is read.
    let b = read(&write(&dir, "long.csv", &text), &reader());
    assert_eq!(b.report.accepted, 4);
    // A quote that is never closed swallows the rest of the file: one record, named.
    let mut rows: Vec<String> = vec![good(1), unclosed];
    rows.extend((6..200).map(good));
    let text = format!("{HEADER}\n{}\n", rows.join("\n"));
    let b = read(
        &write(&dir, "quote.csv", text),
        &reader().max_record_bytes(2000),
    );
    assert_eq!((b.report.read, b.report.accepted), (2, 1));
    let r = rejections(&b.report);
    assert_eq!((r[0].0, r[0].1), (3, "record_too_long"));
    assert!(
        r[0].2.contains("from line 3 to line 197") && r[0].2.contains("never closed"),
        "{}",
        r[0].2
    );
    // A header over the limit is an error.
    let text = format!("{}\n{}\n", "h,".repeat(1000), good(1));
    let e = reader()
        .max_record_bytes(100)
        .read_csv(&write(&dir, "header.csv", text))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("the header line is longer than 100 bytes"),
        "{e}"
    );
    assert_eq!(MAX_RECORD_BYTES, 4 << 20);
}

#[test]
fn invalid_utf8_and_garbage_bytes_are_rejected_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!("{HEADER}\n{}\n", good(1)).into_bytes();
    text.extend_from_slice(b"2,9.92,57.05,2023-07-14T21:37:00+02:00,st\xF8j\n");
    text.extend_from_slice(b"\x00\x01\x02\xff\n");
    text.extend_from_slice(format!("{}\n", good(4)).as_bytes());
    let b = read(&write(&dir, "latin1.csv", text), &reader());
    assert_eq!((b.report.read, b.report.accepted), (4, 2));
    let r = rejections(&b.report);
    assert_eq!((r[0].0, r[0].1), (3, "invalid_text"));
    assert_eq!((r[1].0, r[1].1), (4, "wrong_field_count"));
}

// ---------------------------------------------------------------- GeoJSON

const SQUARE: &str = r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [9.001, 57.0], [9.001, 57.001], [9.0, 57.001], [9.0, 57.0]]]}"#;

fn feature(name: &str, geometry: &str) -> String {
    format!(r#"{{"type": "Feature", "properties": {{"name": "{name}"}}, "geometry": {geometry}}}"#)
}

fn collection(features: &[String]) -> String {
    format!(
        r#"{{"type": "FeatureCollection", "features": [{}]}}"#,
        features.join(",")
    )
}

#[test]
fn geojson_files_that_cannot_be_used_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("empty.geojson", "", "the file is empty"),
        ("text.geojson", "id,lon,lat\n1,2,3\n", "not valid JSON"),
        (
            "array.geojson",
            "[1, 2]",
            "not GeoJSON (the top level is not an object)",
        ),
        (
            "topo.geojson",
            r#"{"type": "Topology", "objects": {}}"#,
            "its type is \"Topology\"",
        ),
        (
            "nofeatures.geojson",
            r#"{"type": "FeatureCollection"}"#,
            "no \"features\" list",
        ),
        (
            "none.geojson",
            r#"{"type": "FeatureCollection", "features": []}"#,
            "has no features",
        ),
        (
            "cut.geojson",
            r#"{"type": "FeatureCollection", "features": [{"type": "Fea"#,
            "not valid JSON",
        ),
    ];
    for (name, text, expected) in cases {
        let p = write(&dir, name, text);
        let e = read_places(&p).unwrap_err().to_string();
        assert!(e.contains(name) && e.contains(expected), "{name}: {e}");
        assert!(read_services(&p, None).is_err() && read_routes(&p, None).is_err());
    }
    let e = read_places(&write(&dir, "bin.geojson", b"\xff\xfe{}"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("not UTF-8"), "{e}");
}

#[test]
fn broken_features_are_rejected_by_number_and_name_and_the_rest_read() {
    let dir = tempfile::tempdir().unwrap();
    let open_ring = r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [9.001, 57.0], [9.001, 57.001], [9.0, 57.001]]]}"#;
    let bowtie = r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [9.001, 57.001], [9.001, 57.0], [9.0, 57.001], [9.0, 57.0]]]}"#;
    let nan = r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [NaN, 57.0], [9.001, 57.001], [9.0, 57.0]]]}"#;
    let inf = r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [9.001, -Infinity], [9.001, 57.001], [9.0, 57.0]]]}"#;
    let far = r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [9.001, 157.0], [9.001, 57.001], [9.0, 57.0]]]}"#;
    let short = r#"{"type": "Polygon", "coordinates": [[[9.0, 57.0], [9.001, 57.0]]]}"#;
    let text = collection(&[
        feature("Good", SQUARE),
        feature("No geometry", "null"),
        feature("Open ring", open_ring),
        feature("Bow-tie", bowtie),
        feature("NaN corner", nan),
        feature("Infinite corner", inf),
        feature("Far corner", far),
        feature("Two corners", short),
        r#"{"type": "Feature", "properties": {"name": "No geometry member"}}"#.to_owned(),
        "42".to_owned(),
        feature(
            "Text corner",
            r#"{"type": "Polygon", "coordinates": [[["9.0", 57.0]]]}"#,
        ),
        feature(
            "Last",
            SQUARE
                .replace("9.0,", "9.01,")
                .replace("9.001,", "9.011,")
                .as_str(),
        ),
    ]);
    let p = write(&dir, "places.geojson", text);
    let (places, r) = read_places(&p).unwrap();
    assert!(r.is_reconciled());
    assert_eq!((r.read, r.accepted, r.rejected), (12, 3, 9));
    assert_eq!(
        places.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Good", "Open ring", "Last"]
    );
    assert!(
        r.warnings.iter().any(|w| w.kind == "ring_closed"
            && w.line == Some(3)
            && w.message.contains("Open ring"))
    );
    let reason = |n: u64| {
        let x = r.rejections.iter().find(|x| x.line == n).unwrap();
        assert_eq!(x.file, p.display().to_string());
        (x.reason.as_str(), x.detail.as_str())
    };
    assert_eq!(reason(2).0, "missing_geometry");
    assert!(reason(2).1.contains("\"No geometry\""), "{:?}", reason(2));
    let (why, detail) = reason(4);
    assert_eq!(why, "invalid_geometry");
    assert!(
        detail.contains("place \"Bow-tie\"") && detail.contains("self-intersection"),
        "{detail}"
    );
    for n in [5, 6] {
        assert_eq!(reason(n).0, "invalid_geometry");
        assert!(
            reason(n).1.contains("not a number (NaN, Infinity or null)"),
            "{:?}",
            reason(n)
        );
    }
    assert!(reason(7).1.contains("latitude 157"), "{:?}", reason(7));
    assert!(reason(8).1.contains("needs at least 4"), "{:?}", reason(8));
    assert_eq!(reason(9).0, "missing_geometry");
    assert_eq!(reason(10).0, "not_a_feature");
    assert!(reason(11).1.contains("text \"9.0\""), "{:?}", reason(11));
}

#[test]
fn a_broken_study_area_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bowtie = r#"{"type": "Polygon", "coordinates": [[[9.85, 57.0], [10.0, 57.1], [10.0, 57.0], [9.85, 57.1], [9.85, 57.0]]]}"#;
    let p = write(
        &dir,
        "area.geojson",
        collection(&[feature("Aalborg centre", bowtie)]),
    );
    let e = StudyArea::from_file(&p).unwrap_err().to_string();
    assert!(
        e.contains("area.geojson") && e.contains("feature 1 (\"Aalborg centre\")"),
        "{e}"
    );
    assert!(
        e.contains("crosses itself near 9.925000, 57.050000") && e.contains("bow-tie"),
        "{e}"
    );
    let cases = [
        (
            "short.geojson",
            r#"{"type": "Polygon", "coordinates": [[[9.85, 57.0], [10.0, 57.1]]]}"#,
            "at least 4",
        ),
        (
            "nan.geojson",
            r#"{"type": "Polygon", "coordinates": [[[9.85, 57.0], [NaN, 57.1], [10.0, 57.0], [9.85, 57.0]]]}"#,
            "not a number",
        ),
        (
            "points.geojson",
            r#"{"type": "Point", "coordinates": [9.9, 57.0]}"#,
            "no Polygon or MultiPolygon",
        ),
        ("empty.geojson", "", "the file is empty"),
        ("bbox.txt", "9.85,57.0,10.0", "four numbers"),
        ("flipped.txt", "10.0,57.0,9.85,57.1", "min < max"),
        (
            "nanbox.txt",
            "NaN,57.0,10.0,57.1",
            "min_lon,min_lat,max_lon,max_lat",
        ),
    ];
    for (name, text, expected) in cases {
        let e = StudyArea::from_file(&write(&dir, name, text))
            .unwrap_err()
            .to_string();
        assert!(e.contains(name) && e.contains(expected), "{name}: {e}");
    }
    // An open ring is closed; the area is usable.
    let open = r#"{"type": "Polygon", "coordinates": [[[9.85, 57.0], [10.0, 57.0], [10.0, 57.1], [9.85, 57.1]]]}"#;
    let area = StudyArea::from_file(&write(&dir, "open.geojson", open)).unwrap();
    assert!(area.contains(9.9, 57.05) && !area.contains(9.8, 57.05));
}

// ---------------------------------------------------------------- interventions

#[test]
fn interventions_in_the_same_spirit() {
    let dir = tempfile::tempdir().unwrap();
    let places: Vec<Place> = ["a", "b"]
        .iter()
        .map(|id| Place {
            id: (*id).to_owned(),
            name: id.to_uppercase(),
            geometry: geo::MultiPolygon::new(vec![]),
            kind: PlaceKind::Square,
            attributes: Attributes::new(),
        })
        .collect();
    let text = "\u{feff}place_id\tdate\tkind\tdescription\r\n\
        a\t2024-01-01\tlighting\t\"two\r\nlines\"\r\n\
        b\t1900-01-01\tbenches\t\r\n\
        b\t2100-01-01\tbenches\t\r\n\
        b\t2024-02-01\tbenches\r\n\
        b\t2024-03-01\tbenches\t\r\n";
    let (list, r) = read_interventions(&write(&dir, "iv.tsv", text), &places).unwrap();
    assert!(r.is_reconciled());
    assert_eq!((r.read, r.accepted), (5, 2));
    let got: Vec<(u64, &str)> = r
        .rejections
        .iter()
        .map(|x| (x.line, x.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (4, "implausible_date"),
            (5, "implausible_date"),
            (6, "wrong_field_count")
        ]
    );
    assert!(
        r.rejections[0]
            .detail
            .contains("1900-01-01 is outside the plausible years")
    );
    assert_eq!(list[0].description, "two\nlines");
    assert_eq!(list[1].line, 7);
    let e = read_interventions(&write(&dir, "e.csv", ""), &places)
        .unwrap_err()
        .to_string();
    assert!(e.contains("empty"), "{e}");
    let (_, r) =
        read_interventions(&write(&dir, "h.csv", "place_id,date,kind\n"), &places).unwrap();
    assert_eq!((r.read, r.warnings_by_kind["no_rows"]), (0, 1));
}
