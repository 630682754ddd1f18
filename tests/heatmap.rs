#![allow(clippy::unwrap_used, clippy::float_cmp, clippy::items_after_statements)]
//! Heatmap tiles: density sampled per pixel in metres, one colour scale,
//! deterministic PNGs.

use byrum::{
    Bandwidth, ColourScale, HeatmapTiles, Kde, Kernel, MetricGrid, Projection, Ramp, Scaling,
    StudyArea, TileId, TileSetSummary, metres_per_pixel, render_tile, sample, tiles_touching,
};

fn surface() -> (byrum::DensitySurface, Projection, (f64, f64)) {
    let p = Projection::etrs89_utm32();
    let (cx, cy) = p.forward(9.9187, 57.0488).unwrap(); // Arkivpladsen
    let grid =
        MetricGrid::covering((cx - 1000.0, cy - 1000.0, cx + 1000.0, cy + 1000.0), 5.0).unwrap();
    let s = Kde::new()
        .kernel(Kernel::Quartic)
        .bandwidth(Bandwidth::Fixed(150.0))
        .compute(&grid, &[cx; 10], &[cy; 10], None)
        .unwrap();
    (s, p, (cx, cy))
}

#[test]
fn pixels_show_the_density_at_their_own_ground_position() {
    let (s, p, (cx, cy)) = surface();
    // Bilinear sampling reproduces cell-centre values and is 0 beyond the kernel.
    let (x0, y0) = s.grid.centre(200 * s.grid.nx + 200);
    assert_eq!(sample(&s, x0, y0), s.values[200 * s.grid.nx + 200]);
    assert_eq!(sample(&s, cx + 400.0, cy), 0.0);
    let scale =
        ColourScale::new(Ramp::Viridis, (0.02 * s.max(), s.max()), Scaling::Linear).unwrap();
    for z in [14u8, 16, 17] {
        let t = TileId::containing(9.9187, 57.0488, z).unwrap();
        let img = render_tile(&s, &scale, t, 256, &p).unwrap();
        assert_eq!(img.dimensions(), (256, 256));
        // The coloured disc has the kernel's radius in metres at every zoom.
        let coloured = img.pixels().filter(|px| px[3] > 0).count() as f64;
        let m = metres_per_pixel(57.0488, z, 256);
        let area_m2 = coloured * m * m;
        // Quartic: density ≥ 2 % of the peak within r·sqrt(1 − sqrt(0.02)) of the centre.
        let r = 150.0 * (1.0 - 0.02f64.sqrt()).sqrt();
        let disc = std::f64::consts::PI * r * r;
        if z >= 16 {
            // The disc fits in the tile only from zoom 16 (a z16 tile is ~330 m wide here).
            assert!(coloured > 0.0);
        } else {
            assert!(
                (area_m2 / disc - 1.0).abs() < 0.1,
                "zoom {z}: {area_m2} m² vs {disc} m²"
            );
        }
    }
}

fn write_all_formats(dir: &std::path::Path) -> (Vec<TileSetSummary>, Vec<TileId>) {
    let (s, p, _) = surface();
    let scale = ColourScale::new(Ramp::Magma, (0.02 * s.max(), s.max()), Scaling::Linear).unwrap();
    let area = StudyArea::from_bbox(9.90, 57.04, 9.94, 57.06).unwrap();
    let tiles = tiles_touching(area.polygon(), 13..=15).unwrap();
    let done = std::sync::atomic::AtomicUsize::new(0);
    // Zooms 13–15 of a 150 m kernel: deeper than the privacy limit (z12), lifted here.
    let out = HeatmapTiles::new(&scale, &p)
        .pixels_per_bandwidth(f64::INFINITY)
        .mbtiles(true)
        .pmtiles(true)
        .description("test")
        .write(&[("all", &s), ("same", &s)], &tiles, dir, |n| {
            done.store(n, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
    assert_eq!(done.into_inner(), tiles.len());
    (out, tiles)
}

#[test]
fn tiles_are_written_once_each_and_identically_twice() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (written, tiles) = write_all_formats(a.path());
    write_all_formats(b.path());
    let n = written[0].tiles;
    assert!(n > 0 && n <= tiles.len());
    assert_eq!(written[1].tiles, n);
    let mut count = 0;
    for t in &tiles {
        let rel = format!("all/{}/{}/{}.png", t.z, t.x, t.y);
        let (pa, pb) = (a.path().join(&rel), b.path().join(&rel));
        assert_eq!(pa.exists(), pb.exists());
        if pa.exists() {
            let bytes = std::fs::read(&pa).unwrap();
            assert_eq!(
                bytes,
                std::fs::read(&pb).unwrap(),
                "{rel} differs between runs"
            );
            let img = image::load_from_memory(&bytes).unwrap();
            assert_eq!((img.width(), img.height()), (256, 256));
            count += 1;
        }
    }
    assert_eq!(count, n);
    for archive in ["all.mbtiles", "all.pmtiles"] {
        assert_eq!(
            std::fs::read(a.path().join(archive)).unwrap(),
            std::fs::read(b.path().join(archive)).unwrap(),
            "{archive} differs between runs"
        );
    }
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(a.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn mbtiles_has_complete_metadata_and_tms_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (written, tiles) = write_all_formats(dir.path());
    let db = rusqlite::Connection::open(written[0].mbtiles.as_ref().unwrap()).unwrap();
    let meta: std::collections::HashMap<String, String> = db
        .prepare("SELECT name, value FROM metadata")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for key in [
        "name",
        "format",
        "bounds",
        "center",
        "minzoom",
        "maxzoom",
        "description",
        "attribution",
    ] {
        assert!(meta.contains_key(key), "metadata lacks {key}");
    }
    assert_eq!(meta["format"], "png");
    assert_eq!(
        (meta["minzoom"].as_str(), meta["maxzoom"].as_str()),
        ("13", "15")
    );
    let b: Vec<f64> = meta["bounds"]
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(
        b[0] <= 9.90 && b[1] <= 57.04 && b[2] >= 9.94 && b[3] >= 57.06,
        "{b:?}"
    );
    let n: i64 = db
        .query_row("SELECT count(*) FROM tiles", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n as usize, written[0].tiles);
    // Every stored row is the TMS flip of an XYZ tile written to the folder, with the same bytes.
    let mut stmt = db
        .prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, u8>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (z, x, tms, data) = row.unwrap();
        let y = (1u32 << z) - 1 - tms;
        assert!(tiles.contains(&TileId::new(z, x, y).unwrap()));
        let png = std::fs::read(dir.path().join(format!("all/{z}/{x}/{y}.png"))).unwrap();
        assert_eq!(png, data, "{z}/{x}/{y}");
    }
}

#[test]
fn pmtiles_header_is_v3_with_the_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let (written, _) = write_all_formats(dir.path());
    let bytes = std::fs::read(written[0].pmtiles.as_ref().unwrap()).unwrap();
    assert_eq!(&bytes[..7], b"PMTiles");
    assert_eq!(bytes[7], 3);
    let header = pmtiles::Header::try_from_bytes(bytes[..127].to_vec().into()).unwrap();
    assert_eq!(
        header.n_addressed_tiles().map(|n| n.get() as usize),
        Some(written[0].tiles)
    );
    assert!(header.clustered());
    assert_eq!((header.min_zoom, header.max_zoom), (13, 15));
    assert_eq!(header.tile_type, pmtiles::TileType::Png);
}

#[test]
fn colour_scales() {
    let lin = ColourScale::new(Ramp::Viridis, (1.0, 100.0), Scaling::Linear).unwrap();
    let log = ColourScale::new(Ramp::Viridis, (1.0, 100.0), Scaling::Log).unwrap();
    // 10 is 9 % of the way linearly, half way on a log scale.
    assert_eq!(log.colour(10.0), {
        let c = colorous::VIRIDIS.eval_continuous(0.5);
        [c.r, c.g, c.b, 255]
    });
    assert_ne!(lin.colour(10.0), log.colour(10.0));
    let q = ColourScale::new(
        Ramp::Viridis,
        (1.0, 100.0),
        Scaling::Quantile(vec![1.0, 2.0, 50.0]),
    )
    .unwrap();
    assert_eq!(q.colour(2.0), log.colour(10.0)); // the middle break is the middle colour
    assert!(ColourScale::new(Ramp::Viridis, (0.0, 1.0), Scaling::Log).is_err());
    assert!(ColourScale::new(Ramp::Viridis, (2.0, 1.0), Scaling::Linear).is_err());
    assert!("nope".parse::<Ramp>().is_err());
    assert_eq!("YlOrRd".parse::<Ramp>().unwrap(), Ramp::YlOrRd);
}
