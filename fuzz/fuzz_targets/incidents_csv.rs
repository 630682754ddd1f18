//! Incident CSV reader: never panics; every data row is accepted or rejected
//! with a line of the file; the report adds up.
#![no_main]

use byrum::{Crs, DuplicateRecords, IncidentReader, parse_zone};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the reader's options; the rest is the file.
    let Some((&opts, body)) = data.split_first() else {
        return;
    };
    // Naive timestamps: no zone, or one of three. The zone from the data's
    // location (`zone_from_location`) is left out: it loads the tz boundary
    // database on every read (~0.4 s in this build), which would starve the
    // fuzzer; it depends only on the median point, not on the file's bytes.
    let mut reader = IncidentReader::new().zone_from_location(false);
    let zone = [
        "",
        "Europe/Copenhagen",
        "Europe/Helsinki",
        "America/New_York",
    ][usize::from(opts & 3)];
    if !zone.is_empty() {
        reader = reader.zone(parse_zone(zone).expect("zone"));
    }
    if opts & 4 != 0 {
        reader = reader.duplicate_records(DuplicateRecords::Reject);
    }
    if opts & 8 != 0 {
        reader = reader.delimiter(b';');
    }
    if opts & 16 != 0 {
        reader = reader.crs(Crs::parse("EPSG:25832").expect("crs"));
    }
    let path = common::scratch(body, "csv");
    if let Ok(batch) = reader.read_csv(&path) {
        let newlines = body.iter().filter(|&&b| b == b'\n' || b == b'\r').count();
        let lines = newlines as u64 + 1;
        common::check_report(&batch.report, batch.incidents.len(), 2, lines);
        let inc = &batch.incidents;
        let n = inc.len();
        assert!(inc.lon.len() == n && inc.lat.len() == n && inc.utc.len() == n);
        assert!(inc.offset.len() == n && inc.line.len() == n);
        for i in 0..n {
            assert!(inc.lon[i].is_finite() && inc.lat[i].is_finite());
            assert!((-180.0..=180.0).contains(&inc.lon[i]) && (-90.0..=90.0).contains(&inc.lat[i]));
            assert!(
                (2..=lines).contains(&inc.line[i]),
                "accepted line {} of {lines}",
                inc.line[i]
            );
        }
    }
});
