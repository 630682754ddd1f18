//! Property tests (proptest) of byrum's invariants: every row read is
//! accepted or rejected at a real line; KDE mass; projection and tile round
//! trips; Gi* does not depend on the order of the rows; every count equals a
//! recount from the accepted rows.
//!
//! Case counts are modest so the file runs in seconds in a debug build;
//! `PROPTEST_CASES=1000 cargo test --test properties` runs more.
#![allow(clippy::unwrap_used, clippy::float_cmp, clippy::cast_lossless)] // test code

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use byrum::*;
use geo::{MultiPolygon, Rect, coord};
use h3o::CellIndex;
use proptest::prelude::*;

/// Cases per property unless `PROPTEST_CASES` says otherwise.
fn cases(n: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(n);
    ProptestConfig {
        cases: n,
        // No persisted failure files in the repository; failures print their input.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn copenhagen() -> chrono_tz::Tz {
    parse_zone("Europe/Copenhagen").unwrap()
}

// ---------------------------------------------------------------------------
// The incident CSV reader: read == accepted + rejected, at real lines.

/// One generated data row.
#[derive(Debug, Clone)]
enum Row {
    /// Valid: lon, lat in Aalborg, minutes after 2023-01-01, a category.
    Good(f64, f64, u32, u8),
    /// Valid, with a quoted category holding the delimiter, a doubled quote
    /// and a line break (so the record spans two lines).
    Quoted(f64, f64, u32),
    /// A coordinate that is not one: NaN, inf, out of range, text, empty.
    BadCoordinate(u8),
    /// A time that is not one.
    BadTime(u8),
    /// Fields missing: only id, lon, lat.
    Missing,
}

fn row() -> impl Strategy<Value = Row> {
    let lon = 9.85..10.0f64;
    let lat = 57.0..57.1f64;
    let minute = 0..525_600u32;
    prop_oneof![
        4 => (lon.clone(), lat.clone(), minute.clone(), 0..4u8)
            .prop_map(|(a, b, m, c)| Row::Good(a, b, m, c)),
        1 => (lon, lat, minute).prop_map(|(a, b, m)| Row::Quoted(a, b, m)),
        1 => (0..8u8).prop_map(Row::BadCoordinate),
        1 => (0..6u8).prop_map(Row::BadTime),
        1 => Just(Row::Missing),
    ]
}

/// RFC 3339 local time in Copenhagen (fixed +01:00 offset is valid RFC 3339
/// whatever the season; the reader keeps the written offset).
fn stamp(minute: u32) -> String {
    let t = chrono::DateTime::from_timestamp(1_672_527_600 + i64::from(minute) * 60, 0).unwrap();
    t.with_timezone(&chrono::FixedOffset::east_opt(3600).unwrap())
        .to_rfc3339()
}

/// The file's text, and for each row the line it starts on and whether it is valid.
fn csv_text(rows: &[Row], nl: &str) -> (String, Vec<(u64, bool)>) {
    let mut s = format!("id,lon,lat,timestamp,category{nl}");
    let mut line = 2u64;
    let mut starts = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let id = i + 1;
        let (text, good, lines) = match *r {
            Row::Good(lon, lat, m, c) => (format!("{id},{lon},{lat},{},cat{c}", stamp(m)), true, 1),
            Row::Quoted(lon, lat, m) => (
                format!(
                    "{id},{lon},{lat},\"{}\",\"drunk, \"\"loud\"\"{nl}near the kiosk\"",
                    stamp(m)
                ),
                true,
                2,
            ),
            Row::BadCoordinate(k) => {
                let (lon, lat) = [
                    ("NaN", "57.05"),
                    ("9.92", "inf"),
                    ("200", "57.05"),
                    ("9.92", "-91"),
                    ("abc", "57.05"),
                    ("", "57.05"),
                    ("9.92", ""),
                    ("-inf", "NaN"),
                ][k as usize];
                (
                    format!("{id},{lon},{lat},2023-07-14T21:37:00+02:00,noise"),
                    false,
                    1,
                )
            }
            Row::BadTime(k) => {
                let t = [
                    "not a time",
                    "",
                    "2023-13-45T10:00:00+01:00",
                    "2023-07-14T25:61:00+02:00",
                    "\"\"",
                    "14/07/2023 kl. 21",
                ][k as usize];
                (format!("{id},9.92,57.05,{t},noise"), false, 1)
            }
            Row::Missing => (format!("{id},9.92,57.05"), false, 1),
        };
        starts.push((line, good));
        s.push_str(&text);
        s.push_str(nl);
        line += lines;
    }
    (s, starts)
}

proptest! {
    #![proptest_config(cases(48))]

    #[test]
    fn csv_rows_are_accepted_or_rejected_at_their_lines(
        rows in prop::collection::vec(row(), 0..40),
        nl in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
    ) {
        let (text, starts) = csv_text(&rows, nl);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("incidents.csv");
        std::fs::write(&path, &text).unwrap();
        let b = IncidentReader::new().zone(copenhagen()).read_csv(&path).unwrap();
        let r = &b.report;
        prop_assert_eq!(r.read, rows.len() as u64);
        prop_assert_eq!(r.read, r.accepted + r.rejected);
        prop_assert!(r.is_reconciled());
        prop_assert_eq!(r.accepted as usize, b.incidents.len());
        prop_assert_eq!(r.rejections.len() as u64, r.rejected);
        let good: BTreeSet<u64> = starts.iter().filter(|s| s.1).map(|s| s.0).collect();
        let bad: BTreeSet<u64> = starts.iter().filter(|s| !s.1).map(|s| s.0).collect();
        let rejected: BTreeSet<u64> = r.rejections.iter().map(|x| x.line).collect();
        let accepted: BTreeSet<u64> = b.incidents.line.iter().copied().collect();
        // Every rejection names the line its row starts on; and exactly the
        // bad rows are rejected.
        prop_assert_eq!(&rejected, &bad, "rejections {:?}", r.rejections);
        prop_assert_eq!(&accepted, &good);
    }
}

/// Regression (found by the `incidents_csv` fuzz target): a lone CR ends a
/// record in the csv crate but was not counted as a line, so rows of
/// classic-Mac (CR) files, or after a stray CR, were reported at wrong lines
/// (a rejection at line 1, the header's line).
#[test]
fn lone_cr_line_endings_give_the_right_lines() {
    let dir = tempfile::tempdir().unwrap();
    let read = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        IncidentReader::new()
            .zone(copenhagen())
            .read_csv(&path)
            .unwrap()
    };
    let t = "2023-07-14T21:37:00+02:00";
    let b = read(
        "cr.csv",
        &format!("id,lon,lat,timestamp\r1,9.92,57.05,{t}\r2,9.92\r3,9.93,57.05,{t}\r"),
    );
    assert_eq!(b.incidents.line, [2, 4]);
    assert_eq!(b.report.rejections[0].line, 3);
    // The fuzzer's input: a stray CR in the header line's LF-ended line.
    let b = read(
        "stray.csv",
        "id;lon;lat;timestamp;category\r1\n2;9.92;57.05;2023-07-14T21:39:00+02:00;x\n",
    );
    assert_eq!(b.report.rejections[0].line, 2);
    assert_eq!(b.incidents.line, [3]);
    // CRLF with a quoted CRLF inside a field: lines as an editor shows them.
    let b = read(
        "crlf.csv",
        &format!(
            "id,lon,lat,timestamp,category\r\n1,9.92,57.05,{t},\"a\r\nb\"\r\n2,x,57.05,{t},c\r\n3,9.92,57.05,{t},c\r\n"
        ),
    );
    assert_eq!(b.incidents.line, [2, 5]);
    assert_eq!(b.report.rejections[0].line, 4);
}

/// Regression (found by the `interventions_csv` fuzz target): the same for
/// interventions, whose rows after a lone CR were reported a line early.
#[test]
fn interventions_lone_cr_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("interventions.csv");
    std::fs::write(
        &path,
        "place_id;date;kind\rp1;2024-01-01;lighting\rp1;2024-13-01;benches\n",
    )
    .unwrap();
    let places = vec![Place {
        id: "p1".into(),
        name: "P1".into(),
        geometry: MultiPolygon(vec![
            Rect::new(coord! { x: 9.9, y: 57.0 }, coord! { x: 9.91, y: 57.01 }).to_polygon(),
        ]),
        kind: PlaceKind::parse("square"),
        attributes: Attributes::default(),
    }];
    let (items, report) = read_interventions(&path, &places).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].line, 2);
    assert_eq!(report.rejections[0].line, 3);
}

/// Regression (found by the `opening_hours` fuzz target): the
/// opening-hours parser panicked on this text; it is now an error.
#[test]
fn opening_hours_parser_panic_is_an_error() {
    assert!(Schedule::parse(":2:05-07:24/24:00", Some("DK")).is_err());
    assert!(Schedule::parse("Mo-Fr 09:00-15:00", Some("DK")).is_ok());
}

// ---------------------------------------------------------------------------
// KDE mass: sum of density × cell area × exposure = number (weight) of points.

proptest! {
    #![proptest_config(cases(24))]

    #[test]
    fn kde_mass_equals_the_points_weight(
        kernel in 0..Kernel::ALL.len(),
        h in 8.0..30.0f64,
        (dx, dy) in (4.0..12.0f64, 4.0..12.0f64),
        pts in prop::collection::vec((0.0..1.0f64, 0.0..1.0f64, 0.1..3.0f64), 1..60),
        weighted in any::<bool>(),
        fft in any::<bool>(),
        linear in any::<bool>(),
        exposure in 1.0..5000.0f64,
    ) {
        let kernel = Kernel::ALL[kernel];
        // A grid wide enough that every point lies one support plus two
        // cells inside it: then no kernel mass falls off the grid.
        let margin = kernel.support(h) + 2.0 * dx.max(dy);
        let (nx, ny) = (((4.0 * margin) / dx).ceil() as usize, ((4.0 * margin) / dy).ceil() as usize);
        let g = MetricGrid::new(500.0, 800.0, dx, dy, nx, ny).unwrap();
        let (w, hgt) = (dx * nx as f64, dy * ny as f64);
        let x: Vec<f64> = pts.iter().map(|p| 500.0 + margin + p.0 * (w - 2.0 * margin)).collect();
        let y: Vec<f64> = pts.iter().map(|p| 800.0 + margin + p.1 * (hgt - 2.0 * margin)).collect();
        let wts: Vec<f64> = pts.iter().map(|p| p.2).collect();
        let kde = Kde::new()
            .kernel(kernel)
            .bandwidth(Bandwidth::Fixed(h))
            .binning(if linear { Binning::Linear } else { Binning::Simple })
            .method(if fft { Method::Fft } else { Method::Direct })
            .units(Units::PerKm2PerHour { exposure_hours: exposure });
        let s = kde.compute(&g, &x, &y, weighted.then_some(&wts[..])).unwrap();
        let expected = if weighted { wts.iter().sum() } else { x.len() as f64 };
        let cell_km2 = dx * dy / 1e6;
        let mass = s.values.iter().sum::<f64>() * cell_km2 * exposure;
        prop_assert!((mass - expected).abs() <= 1e-9 * expected, "mass {mass} vs {expected}");
        prop_assert!((s.mass() - expected).abs() <= 1e-9 * expected);
        prop_assert!(s.values.iter().all(|v| *v >= -1e-12 * s.max()));
    }
}

// ---------------------------------------------------------------------------
// Projection round trip.

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn utm_round_trip(zone in 1u32..=60, south in any::<bool>(), dlon in -3.0..3.0f64, lat in 0.0..84.0f64) {
        let (epsg, lat) = if south { (32700 + zone, -lat.min(80.0)) } else { (32600 + zone, lat) };
        let p = Projection::from_epsg(epsg).unwrap();
        let lon = -183.0 + 6.0 * f64::from(zone) + dlon;
        let (x, y) = p.forward(lon, lat).unwrap();
        let (lon2, lat2) = p.inverse(x, y).unwrap();
        prop_assert!((lon2 - lon).abs() < 1e-9 && (lat2 - lat).abs() < 1e-9,
            "EPSG:{epsg} ({lon}, {lat}) → ({x}, {y}) → ({lon2}, {lat2})");
        let (x2, y2) = p.forward(lon2, lat2).unwrap();
        prop_assert!((x2 - x).abs() < 1e-3 && (y2 - y).abs() < 1e-3);
    }

    #[test]
    fn etrs89_utm32_round_trip(lon in 6.0..12.0f64, lat in 54.0..58.0f64) {
        let p = Projection::etrs89_utm32();
        let (x, y) = p.forward(lon, lat).unwrap();
        let (lon2, lat2) = p.inverse(x, y).unwrap();
        prop_assert!((lon2 - lon).abs() < 1e-9 && (lat2 - lat).abs() < 1e-9);
        let (x2, y2) = p.forward(lon2, lat2).unwrap();
        prop_assert!((x2 - x).abs() < 1e-3 && (y2 - y).abs() < 1e-3);
    }
}

// ---------------------------------------------------------------------------
// Tile math.

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn tile_contains_its_point_and_mercator_round_trips(
        lon in -180.0..180.0f64,
        lat in -MAX_LATITUDE..MAX_LATITUDE,
        z in 0..=MAX_ZOOM,
    ) {
        let t = TileId::containing(lon, lat, z).unwrap();
        prop_assert_eq!(TileId::new(t.z, t.x, t.y).unwrap(), t);
        let (w, s, e, n) = t.bounds_lonlat();
        let tol = 1e-9;
        prop_assert!(w - tol <= lon && lon <= e + tol, "{t:?} ({w}, {e}) vs lon {lon}");
        prop_assert!(s - tol <= lat && lat <= n + tol, "{t:?} ({s}, {n}) vs lat {lat}");
        let (mx, my) = lonlat_to_mercator(lon, lat);
        let (l2, b2) = mercator_to_lonlat(mx, my);
        prop_assert!((l2 - lon).abs() < 1e-9 && (b2 - lat).abs() < 1e-9);
        let (mw, ms, me, mn) = t.bounds_mercator();
        let mtol = 1e-6; // metres
        prop_assert!(mw - mtol <= mx && mx <= me + mtol && ms - mtol <= my && my <= mn + mtol);
        // The tile's centre lies in the tile itself.
        let c = TileId::containing(f64::midpoint(w, e), f64::midpoint(s, n), z).unwrap();
        prop_assert_eq!(c, t);
        // Its children contain the point too: the parent of the child is t.
        if z < MAX_ZOOM {
            let child = TileId::containing(lon, lat, z + 1).unwrap();
            prop_assert_eq!((child.x / 2, child.y / 2), (t.x, t.y));
        }
    }
}

// ---------------------------------------------------------------------------
// Gi* and recounts on incidents read from a generated file.

/// Incidents in a few clusters around Aalborg's centre: (lon, lat, minute, category).
fn incidents() -> impl Strategy<Value = Vec<(f64, f64, u32, u8)>> {
    let centre = prop_oneof![
        Just((9.917, 57.048)),
        Just((9.921, 57.046)),
        Just((9.925, 57.049))
    ];
    prop::collection::vec(
        (
            centre,
            -0.002..0.002f64,
            -0.001..0.001f64,
            0..525_600u32,
            0..3u8,
        )
            .prop_map(|((lo, la), dl, db, m, c)| (lo + dl, la + db, m, c)),
        5..120,
    )
}

fn read(rows: &[(f64, f64, u32, u8)]) -> IncidentBatch {
    let mut s = String::from("id,lon,lat,timestamp,category\n");
    for (i, (lon, lat, m, c)) in rows.iter().enumerate() {
        writeln!(s, "{i},{lon},{lat},{},cat{c}", stamp(*m)).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incidents.csv");
    std::fs::write(&path, s).unwrap();
    IncidentReader::new()
        .zone(copenhagen())
        .read_csv(&path)
        .unwrap()
}

/// H3 counts (resolution 10, 3-hour bins) of a batch.
fn h3_counts(batch: &IncidentBatch) -> (H3Counts, Vec<CellIndex>, Vec<u32>) {
    let inc = &batch.incidents;
    let binning = TimeBinning::default();
    let spec = BinSpec::of(&[Dimension::Hour]);
    let bins = binning.assign(&spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
    let res = h3_resolution(10).unwrap();
    let cells = h3_cells(&inc.lon, &inc.lat, res).unwrap();
    let labels = binning.labels(&spec);
    let exposure = vec![1000.0; labels.len()];
    let counts = H3Counts::compute(res, &cells, &bins, None, labels, exposure, None).unwrap();
    (counts, cells, bins)
}

proptest! {
    #![proptest_config(cases(24))]

    #[test]
    fn gistar_does_not_depend_on_row_order(
        (rows, shuffled) in incidents().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
    ) {
        let a = read(&rows);
        let b = read(&shuffled);
        let (ca, _, _) = h3_counts(&a);
        let (cb, _, _) = h3_counts(&b);
        prop_assert_eq!(&ca.cells, &cb.cells);
        prop_assert_eq!(&ca.counts, &cb.counts);
        prop_assert_eq!(&ca.bin_counts, &cb.bin_counts);
        let p = Projection::etrs89_utm32();
        let gi = GiStar::new().permutations(99);
        let ha = H3HotSpots::compute(&ca, 1, Decay::Binary, &gi, &p).unwrap();
        let hb = H3HotSpots::compute(&cb, 1, Decay::Binary, &gi, &p).unwrap();
        prop_assert_eq!(&ha.cells, &hb.cells);
        let same = |x: &[f64], y: &[f64]| {
            x.len() == y.len() && x.iter().zip(y).all(|(u, v)| u.to_bits() == v.to_bits())
        };
        prop_assert!(same(&ha.overall.z, &hb.overall.z));
        prop_assert!(same(&ha.overall.p, &hb.overall.p));
        // (bitwise: a constant variable gives NaN, the same NaN both ways)
        match (&ha.overall.p_sim, &hb.overall.p_sim) {
            (Some(x), Some(y)) => prop_assert!(same(x, y)),
            (x, y) => prop_assert!(x.is_none() && y.is_none()),
        }
        for (x, y) in ha.per_bin.iter().zip(&hb.per_bin) {
            prop_assert!(same(&x.z, &y.z) && same(&x.p, &y.p));
        }
    }

    #[test]
    fn counts_equal_a_recount_of_the_accepted_rows(rows in incidents()) {
        let batch = read(&rows);
        prop_assert_eq!(batch.incidents.len(), rows.len());
        let (counts, cells, bins) = h3_counts(&batch);
        // H3: a HashMap recount per (cell, bin).
        let mut recount: HashMap<(CellIndex, u32), u64> = HashMap::new();
        for (c, b) in cells.iter().zip(&bins) {
            *recount.entry((*c, *b)).or_default() += 1;
        }
        let nb = counts.bins();
        for (i, cell) in counts.cells.iter().enumerate() {
            for b in 0..nb {
                let want = recount.get(&(*cell, b as u32)).copied().unwrap_or(0);
                prop_assert_eq!(counts.count(i, b), want, "cell {:?} bin {}", cell, b);
            }
            let total: u64 = (0..nb).map(|b| counts.count(i, b)).sum();
            prop_assert_eq!(counts.counts[i], total);
        }
        prop_assert_eq!(counts.counts.iter().sum::<u64>(), rows.len() as u64);

        // Places: place_bin_table against a recount with SpatialIndex::place_at.
        let places: Vec<Place> = [(9.915, 57.047), (9.919, 57.045), (9.924, 57.048)]
            .iter()
            .enumerate()
            .map(|(i, (lo, la))| Place {
                id: format!("p{i}"),
                name: format!("Place {i}"),
                geometry: MultiPolygon(vec![Rect::new(
                    coord! { x: *lo, y: *la },
                    coord! { x: lo + 0.003, y: la + 0.002 },
                ).to_polygon()]),
                kind: PlaceKind::parse("square"),
                attributes: Attributes::default(),
            })
            .collect();
        let mut report = IngestReport::new("places", "places");
        for _ in &places {
            report.accept();
        }
        let ds = DatasetBuilder::new()
            .incidents(batch)
            .places(places, report)
            .zone(copenhagen())
            .projection(Projection::etrs89_utm32())
            .build()
            .unwrap();
        let index = SpatialIndex::build(&ds).unwrap();
        let place_of = index.place_of_incidents(&ds);
        let inc = &ds.incidents;
        let binning = TimeBinning::default();
        let spec = BinSpec::of(&[Dimension::Hour]);
        let bins = binning.assign(&spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
        let labels = binning.labels(&spec);
        let exposure = vec![100.0; labels.len()];
        let np = ds.places.len();
        let mut by_place = vec![0u64; (np + 1) * labels.len()];
        for i in 0..inc.len() {
            let p = index.place_at(inc.x[i], inc.y[i]).unwrap_or(np);
            by_place[p * labels.len() + bins[i] as usize] += 1;
        }
        for k in [1u64, 5] {
            let df = place_bin_table(&ds, &index, &place_of, &bins, &labels, &exposure, k).unwrap();
            let col = df.column("count").unwrap().u64().unwrap();
            prop_assert_eq!(col.len(), by_place.len());
            for (j, want) in by_place.iter().enumerate() {
                let shown = col.get(j);
                if *want > 0 && *want < k {
                    prop_assert_eq!(shown, None, "row {} count {} not suppressed at k={}", j, want, k);
                } else if k <= 1 {
                    prop_assert_eq!(shown, Some(*want), "row {}", j);
                } else if let Some(v) = shown {
                    // Shown counts are the recount; others may be withheld so
                    // that no small count can be had by subtraction.
                    prop_assert_eq!(v, *want, "row {}", j);
                }
            }
        }
    }
}
