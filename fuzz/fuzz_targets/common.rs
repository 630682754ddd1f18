//! Helpers shared by the fuzz targets (included with `#[path]`).
#![allow(dead_code)]

use std::path::PathBuf;

use byrum::IngestReport;

/// Writes `data` to a per-process scratch file with extension `ext` and
/// returns its path (the readers take paths). /dev/shm when there is one.
pub fn scratch(data: &[u8], ext: &str) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("byrum-fuzz-{}.{ext}", std::process::id()));
    std::fs::write(&path, data).expect("write scratch file");
    path
}

/// The reconciliation invariant every reader keeps: each row read is
/// accepted or rejected, every rejection is listed (up to the cap) with a
/// line (or feature number) in `first..=lines`, and the counts per reason add up.
pub fn check_report(report: &IngestReport, accepted: usize, first: u64, lines: u64) {
    assert_eq!(
        report.read,
        report.accepted + report.rejected,
        "read != accepted + rejected: {report:?}"
    );
    assert_eq!(
        report.accepted, accepted as u64,
        "accepted != rows returned"
    );
    assert!(report.is_reconciled(), "report not reconciled: {report:?}");
    let by_reason: u64 = report.rejected_by_reason.values().sum();
    assert_eq!(
        by_reason, report.rejected,
        "rejections by reason do not add up"
    );
    if report.rejected as usize <= byrum::MAX_LISTED {
        assert_eq!(report.rejections.len() as u64, report.rejected);
    }
    for r in &report.rejections {
        assert!(
            (first..=lines).contains(&r.line),
            "rejection line {} outside {first}..={lines}: {r:?}",
            r.line
        );
    }
}

/// Whether (lon, lat) is a WGS84 position.
pub fn wgs84(lon: f64, lat: f64) -> bool {
    (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
}
