//! OSM opening_hours: parsing never panics; a parsed schedule is evaluated at
//! instants from 1900 to 2100 and over a short period (open shares and the
//! timetable) without panicking, and every share lies in 0…1.
#![no_main]

use byrum::{
    BinSpec, Dimension, Period, Schedule, Service, ServiceKind, TimeBinning, Timetable,
    open_shares, parse_zone,
};
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;

/// Days from 1900-01-01 to 2100-12-31.
const DAYS: u32 = 73_413;

// The upstream parser (opening-hours-syntax 2.1.4) can panic; `Schedule::parse`
// catches that and returns an error. libfuzzer-sys installs a panic hook that
// aborts before any unwinding, which would turn the caught panic into a
// crash: put the default hook back. A panic that escapes byrum still aborts
// (libfuzzer-sys catches it around every input and aborts), so real crashes
// are still found.
fuzz_target!(init: {
    let _ = std::panic::take_hook();
}, |data: &[u8]| {
    // Bytes 0-2: first day (1900…2100); byte 3: period length (1-4 days);
    // the rest: the opening_hours text.
    let [a, b, c, len, text @ ..] = data else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let Ok(schedule) = Schedule::parse(text, Some("DK")) else {
        return;
    };
    let zone = parse_zone("Europe/Copenhagen").expect("zone");
    let day = u32::from_le_bytes([*a, *b, *c, 0]) % DAYS;
    let first =
        NaiveDate::from_ymd_opt(1900, 1, 1).expect("date") + chrono::Days::new(u64::from(day));
    let last = first + chrono::Days::new(u64::from(len % 4));
    let period = Period::local_dates(zone, first, last).expect("period");
    for k in 0..8 {
        let _ = schedule.is_open_at(period.start + k * 3_607 * 3, zone);
    }
    let service = Service {
        id: "s".into(),
        name: "s".into(),
        point: geo::Point::new(9.92, 57.05),
        kind: ServiceKind::parse("warming_room"),
        target_groups: vec![],
        opening_hours: Some(schedule),
        attributes: byrum::Attributes::default(),
    };
    let binning = TimeBinning::default();
    let spec = BinSpec::of(&[Dimension::Hour, Dimension::Weekday]);
    let shares = open_shares(
        std::slice::from_ref(&service),
        &binning,
        &spec,
        &period,
        zone,
        (9.92, 57.05),
    );
    let s = shares[0].as_ref().expect("a schedule gives shares");
    assert!(
        s.iter().all(|v| (0.0..=1.0).contains(v)),
        "share outside 0..1: {s:?}"
    );
    let t = Timetable::compute(std::slice::from_ref(&service), &binning, &period, zone);
    if let Some(w) = t.weekly_open_hours(0) {
        assert!((0.0..=168.0 + 1e-9).contains(&w), "weekly open hours {w}");
    }
});
