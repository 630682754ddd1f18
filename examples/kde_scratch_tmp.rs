use byrum::*;
use std::time::Instant;
fn main() {
    let text = std::fs::read_to_string("/tmp/byrum-peers-data/incidents_n1000000_s42.csv").unwrap();
    let (mut lon, mut lat) = (Vec::new(), Vec::new());
    for l in text.lines().skip(1) {
        let mut f = l.split(',');
        f.next();
        lon.push(f.next().unwrap().parse::<f64>().unwrap());
        lat.push(f.next().unwrap().parse::<f64>().unwrap());
    }
    let p = Projection::etrs89_utm32();
    let (x, y) = p.forward_many(&lon, &lat);
    let grid = MetricGrid::with_shape((553356.9, 6319956.4, 558892.7, 6325595.9), 1000, 1000).unwrap();
    let run = |name: &str, k: &Kde, x: &[f64], y: &[f64]| {
        let mut ts = vec![];
        for _ in 0..15 {
            let t = Instant::now();
            std::hint::black_box(k.compute(&grid, x, y, None).unwrap());
            ts.push(t.elapsed().as_secs_f64() * 1e3);
        }
        ts.sort_by(f64::total_cmp);
        println!("{name}: min {:.1} median {:.1} max {:.1} ms", ts[0], ts[7], ts[14]);
    };
    for b in [Binning::Simple, Binning::Linear] {
        let k = Kde::new().bandwidth(Bandwidth::Fixed(1.0)).binning(b).method(Method::Direct);
        run(&format!("{b:?} 1-tap direct (binning+overhead)"), &k, &x, &y);
        let k = Kde::new().bandwidth(Bandwidth::Fixed(150.0)).binning(b);
        run(&format!("{b:?} 150 quartic fft"), &k, &x, &y);
    }
    let k = Kde::new().bandwidth(Bandwidth::Fixed(150.0)).binning(Binning::Simple);
    run("1000 points 150 quartic fft (≈ FFT cost)", &k, &x[..1000], &y[..1000]);
}
