//! Input shared by the benchmarks that compare with `../shared/bench-peers`:
//! the peer's CSV and raster box.
#![allow(dead_code)]

use byrum::Projection;

/// The peer's box (peer_bench.py `LON0, LON1, LAT0, LAT1`).
pub const LON0: f64 = 9.88;
pub const LON1: f64 = 9.97;
pub const LAT0: f64 = 57.02;
pub const LAT1: f64 = 57.07;

/// Longitudes and latitudes of a peer CSV (`id,lon,lat,…`).
pub fn read_lonlat(path: &str) -> (Vec<f64>, Vec<f64>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("{path}: {e}; make it with ../shared/bench-peers/run N (N = 1000000 or 10000000)")
    });
    let mut lines = text.lines();
    let header = lines.next().expect("a header row");
    assert!(
        header.starts_with("id,lon,lat,"),
        "unexpected header {header}"
    );
    let (mut lon, mut lat) = (Vec::new(), Vec::new());
    for l in lines {
        let mut f = l.split(',');
        f.next();
        let a: f64 = f.next().and_then(|s| s.parse().ok()).expect("lon");
        let b: f64 = f.next().and_then(|s| s.parse().ok()).expect("lat");
        lon.push(a);
        lat.push(b);
    }
    (lon, lat)
}

/// pyproj's `transform_bounds(…, densify_pts=21)`: corners and 21 points
/// between them on every edge, projected, min/max.
pub fn transform_bounds(p: &Projection) -> (f64, f64, f64, f64) {
    let mut b = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for k in 0..=22 {
        let t = f64::from(k) / 22.0;
        let lo = LON0 + t * (LON1 - LON0);
        let la = LAT0 + t * (LAT1 - LAT0);
        for (x, y) in [(lo, LAT0), (lo, LAT1), (LON0, la), (LON1, la)] {
            let (px, py) = p.forward(x, y).expect("Aalborg projects");
            b = (b.0.min(px), b.1.min(py), b.2.max(px), b.3.max(py));
        }
    }
    b
}

/// The smallest and largest value (infinite for an empty slice).
pub fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        })
}

/// The peer CSV of `n` incidents, seed 42.
pub fn peer_csv(n: usize) -> String {
    format!("/tmp/byrum-peers-data/incidents_n{n}_s42.csv")
}
