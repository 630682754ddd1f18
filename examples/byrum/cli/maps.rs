//! Maps of the report: one colour scale for every bin, heatmap tiles
//! (XYZ, MBTiles, PMTiles), the legend, overview images and small multiples.

use super::args::Options;
use super::ui::{self, done, spinner};
use byrum::{
    ColourScale, DensitySurface, HeatmapTiles, MetricGrid, Ramp, Scaling, TimeBinning,
    tiles_touching, write_atomic,
};
use geo::BoundingRect;

/// A density for messages: three significant digits, however small.
pub(crate) fn sig(v: f64) -> String {
    if v != 0.0 && v.abs() < 0.01 {
        format!("{v:.2e}")
    } else {
        format!("{v:.3}")
    }
}

/// The colour scale of tiles and images: one domain for every bin, so bins compare by eye.
fn colour_scale(args: &Options, all: &[&DensitySurface]) -> byrum::Result<ColourScale> {
    let ramp: Ramp = args.maps.ramp.parse()?;
    let t = args.maps.colour_threshold;
    let domain = match args.maps.colour_max.trim() {
        "max" => ColourScale::shared_domain(all, t, None)?,
        q if q.starts_with('q') => {
            let q: f64 = q[1..].parse().map_err(|_| byrum::Error::Parameter {
                name: "--colour-max",
                reason: format!("{q:?}: write a quantile as q0.99"),
            })?;
            ColourScale::shared_domain(all, t, Some(q))?
        }
        v => {
            let top: f64 = v.parse().map_err(|_| byrum::Error::Parameter {
                name: "--colour-max",
                reason: format!("{v:?}: use max, a quantile such as q0.99, or a number"),
            })?;
            (t * top, top)
        }
    };
    let scaling = match args.maps.colour_scale.as_str() {
        "linear" => Scaling::Linear,
        "log" => Scaling::Log,
        "quantile" => Scaling::Quantile(ColourScale::quantile_breaks(all, domain, 7)?),
        other => {
            return Err(byrum::Error::Parameter {
                name: "--colour-scale",
                reason: format!("{other:?}: use linear, log or quantile"),
            });
        }
    };
    ColourScale::new(ramp, domain, scaling)
}

/// Without a study area, the images show what can be seen: the cells where
/// any bin's density is coloured, and the places, routes and services.
fn visible_extent(
    ds: &byrum::Dataset,
    grid: &MetricGrid,
    all: &[&DensitySurface],
    lowest: f64,
) -> byrum::Result<(f64, f64, f64, f64)> {
    let mut b = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    let mut grow = |x0: f64, y0: f64, x1: f64, y1: f64| {
        b = (b.0.min(x0), b.1.min(y0), b.2.max(x1), b.3.max(y1));
    };
    for row in 0..grid.ny {
        for col in 0..grid.nx {
            let k = row * grid.nx + col;
            if all.iter().any(|s| s.values[k] >= lowest) {
                let (x, y) = (
                    grid.x0 + col as f64 * grid.dx,
                    grid.y0 + row as f64 * grid.dy,
                );
                grow(x, y, x + grid.dx, y + grid.dy);
            }
        }
    }
    let p = &ds.projection;
    let mut add = |r: Option<geo::Rect>| {
        if let Some(r) = r {
            grow(r.min().x, r.min().y, r.max().x, r.max().y);
        }
    };
    for pl in &ds.places {
        add(p.forward_geometry(&pl.geometry)?.bounding_rect());
    }
    for r in &ds.routes {
        add(p.forward_geometry(&r.line)?.bounding_rect());
    }
    for s in &ds.services {
        add(Some(p.forward_geometry(&s.point)?.bounding_rect()));
    }
    if b.0 < b.2 && b.1 < b.3 {
        Ok(b)
    } else {
        Ok((
            grid.x0,
            grid.y0,
            grid.x0 + grid.nx as f64 * grid.dx,
            grid.y0 + grid.ny as f64 * grid.dy,
        ))
    }
}

/// Tiles (XYZ, MBTiles, PMTiles per bin), the legend, one overview image per
/// bin and the small multiples, all on one colour scale.
pub(crate) fn write_maps(
    args: &Options,
    ds: &byrum::Dataset,
    binning: &TimeBinning,
    period_hours: &[f64],
    grid: &MetricGrid,
    overall: &DensitySurface,
    surfaces: &[DensitySurface],
    map_bins: &[u32],
    shares: &[Option<Vec<f64>>],
) -> byrum::Result<()> {
    let mut all: Vec<&DensitySurface> = vec![overall];
    all.extend(surfaces.iter());
    let scale = colour_scale(args, &all)?;
    let unit = "incidents per km² per hour";
    let scaling_name = args.maps.colour_scale.as_str();
    let (grid_e, grid_n) = (
        grid.x0 + grid.nx as f64 * grid.dx,
        grid.y0 + grid.ny as f64 * grid.dy,
    );
    let (lonlat_extent, extent) = if let Some(a) = &ds.study_area {
        let r = ds
            .projection
            .forward_geometry(a.polygon())?
            .bounding_rect()
            .ok_or_else(|| byrum::Error::Parameter {
                name: "study area",
                reason: "has no extent".into(),
            })?;
        (
            a.polygon().clone(),
            (r.min().x, r.min().y, r.max().x, r.max().y),
        )
    } else {
        let (w, s) = ds.projection.inverse(grid.x0, grid.y0)?;
        let (e, n) = ds.projection.inverse(grid_e, grid_n)?;
        (
            geo::MultiPolygon(vec![geo::Rect::new((w, s), (e, n)).to_polygon()]),
            visible_extent(ds, grid, &all, scale.domain().0)?,
        )
    };
    let names: Vec<String> = all
        .iter()
        .map(|s| s.label.clone().unwrap_or_else(|| "all".to_owned()))
        .collect();
    let tiles_dir = args.out.join("tiles");
    let images = args.out.join("images");

    // Legend (one for tiles and images).
    let save = |img: &image::RgbaImage, file: &str| byrum::write_png(&images.join(file), img);
    save(
        &byrum::legend_image(&scale, "Incident density", unit, 520)?,
        "legend.png",
    )?;
    let mut tile_sets = serde_json::Value::Null;
    let mut zoom_range = serde_json::Value::Null;
    if !args.maps.no_tiles {
        let zooms = parse_zooms(&args.maps.tile_zooms)?;
        // Privacy: no zoom whose pixels are finer than 1/8 of the bandwidth.
        let writer = HeatmapTiles::new(&scale, &ds.projection)
            .size(args.maps.tile_size)
            .min_bandwidth_m(args.density.min_bandwidth);
        let narrowest = all
            .iter()
            .map(|s| byrum::tile_bandwidth_m(s))
            .fold(f64::INFINITY, f64::min);
        let poleward = lonlat_extent
            .bounding_rect()
            .map_or(0.0, |r| r.min().y.abs().max(r.max().y.abs()));
        let limit = writer.max_zoom(narrowest, poleward);
        let zooms = match limit {
            Some(m) if m >= *zooms.start() => {
                if m < *zooms.end() {
                    ui::say(&format!(
                        "  tiles stop at zoom {m}, not {}: deeper pixels would be finer than 1/{} of the {narrowest:.0} m bandwidth (privacy)",
                        zooms.end(),
                        byrum::PIXELS_PER_BANDWIDTH
                    ));
                }
                *zooms.start()..=m.min(*zooms.end())
            }
            _ => {
                return Err(byrum::Error::Parameter {
                    name: "--tile-zooms",
                    reason: format!(
                        "{}: a {narrowest:.0} m bandwidth allows tiles down to zoom {} only (privacy); lower the zooms or use --no-tiles",
                        args.maps.tile_zooms,
                        limit.map_or_else(|| "none".to_owned(), |m| m.to_string())
                    ),
                });
            }
        };
        let formats: Vec<&str> = args.maps.tile_formats.split(',').map(str::trim).collect();
        if let Some(bad) = formats
            .iter()
            .find(|f| !matches!(**f, "xyz" | "mbtiles" | "pmtiles"))
        {
            return Err(byrum::Error::Parameter {
                name: "--tile-formats",
                reason: format!("{bad:?}: use xyz, mbtiles and/or pmtiles"),
            });
        }
        let mut tiles = tiles_touching(&lonlat_extent, zooms.clone())?;
        let mut deepest = *zooms.end();
        while tiles.len() * all.len() > args.maps.max_tile_renders && deepest > *zooms.start() {
            deepest -= 1;
            tiles.retain(|t| t.z <= deepest);
        }
        if deepest < *zooms.end() {
            ui::say(&format!(
                "  tiles stop at zoom {deepest}, not {}: deeper zooms would exceed --max-tile-renders {} ({} tiles × {} bins); raise it or narrow --tile-zooms or --study-area",
                zooms.end(),
                args.maps.max_tile_renders,
                tiles_touching(&lonlat_extent, zooms.clone())?.len(),
                all.len()
            ));
        }
        let bar = ui::bar(
            tiles.len() as u64,
            &format!("heatmap tiles × {} bins", all.len()),
        );
        let refs: Vec<(&str, &DensitySurface)> = names
            .iter()
            .map(String::as_str)
            .zip(all.iter().copied())
            .collect();
        let started = std::time::Instant::now();
        let written = writer
            .xyz(formats.contains(&"xyz"))
            .mbtiles(formats.contains(&"mbtiles"))
            .pmtiles(formats.contains(&"pmtiles"))
            .description(format!(
                "Kernel density of incidents, {unit} of the time bin; one {scaling_name} colour scale for all bins, {}–{} (tiles/legend.json)",
                sig(scale.domain().0), sig(scale.domain().1)
            ))
            .attribution("byrum")
            .write(&refs, &tiles, &tiles_dir, |n| bar.set_position(n as u64))?;
        bar.finish_and_clear();
        ui::say(&format!(
            "✔ wrote {} tiles for {} bins ({} of {} tiles × bins had something to show) as {} in {:.1} s",
            tiles.len(),
            all.len(),
            written.iter().map(|w| w.tiles).sum::<usize>(),
            tiles.len() * all.len(),
            formats.join(", "),
            started.elapsed().as_secs_f64()
        ));
        zoom_range = serde_json::json!([zooms.start(), deepest]);
        // Paths relative to tiles/ (where legend.json lies).
        let rel = |p: &Option<std::path::PathBuf>| {
            p.as_ref()
                .and_then(|p| p.file_name())
                .map(|f| f.to_string_lossy().into_owned())
        };
        tile_sets = written
            .iter()
            .map(|w| {
                serde_json::json!({
                    "bin": w.name,
                    "xyz": rel(&w.xyz),
                    "mbtiles": rel(&w.mbtiles),
                    "pmtiles": rel(&w.pmtiles),
                })
            })
            .collect();
    }
    let legend_json = serde_json::json!({
        "unit": "incidents per km² per hour of exposure",
        "ramp": scale.ramp().as_str(),
        "domain": [scale.domain().0, scale.domain().1],
        "scaling": scaling_name,
        "breaks": match scale.scaling() { Scaling::Quantile(b) => serde_json::json!(b), _ => serde_json::Value::Null },
        "transparent_below": scale.domain().0,
        "tile_size": args.maps.tile_size,
        "zooms": zoom_range,
        "tile_sets": tile_sets,
        "min_count": args.min_count,
        "min_bandwidth_m": args.density.min_bandwidth,
        "image": "images/legend.png",
    });
    write_atomic(
        &tiles_dir.join("legend.json"),
        serde_json::to_string_pretty(&legend_json)?.as_bytes(),
    )?;

    // Overview images.
    let pb = spinner("overview images");
    let total_hours: f64 = period_hours.iter().sum();
    let state_in = |bin: Option<usize>| -> Vec<byrum::OpenState> {
        shares
            .iter()
            .map(|s| {
                byrum::OpenState::of_share(s.as_ref().map(|v| {
                    if let Some(b) = bin {
                        v[b]
                    } else {
                        // The whole period: hours open over all hours.
                        v.iter().zip(period_hours).map(|(a, h)| a * h).sum::<f64>()
                            / total_hours.max(1e-9)
                    }
                }))
            })
            .collect()
    };
    let (first, last) = ds.period.describe(ds.zone);
    let footer = format!(
        "byrum · {} kernel, bandwidth {:.0} m · EPSG:{} · {first} – {last}, {} · counts below {} are not shown",
        overall.kernel.as_str(),
        overall.bandwidth.metres,
        ds.projection.epsg(),
        ds.zone.name(),
        args.min_count
    );
    let map = byrum::OverviewMap::new(&ds.projection, extent, &scale)
        .width(args.maps.image_width)
        .legend("Incident density", unit)
        .footer(footer)
        .places(&ds.places)
        .routes(&ds.routes)
        .services(&ds.services);
    let map = match &ds.study_area {
        Some(a) => map.study_area(a.polygon()),
        None => map,
    };
    let count_text = |n: usize| {
        if n > 0 && (n as u64) < args.min_count {
            format!("fewer than {} incidents", args.min_count)
        } else {
            format!("{n} incidents")
        }
    };
    let mut per_bin = vec![0usize; surfaces.len()];
    for &b in map_bins {
        per_bin[b as usize] += 1;
    }
    let img = map.render(
        overall,
        "Incident density, all hours and seasons",
        &format!(
            "{} · per hour of the whole period",
            count_text(ds.incidents.len())
        ),
        Some(&state_in(None)),
    )?;
    save(&img, "overview_all.png")?;
    for (b, s) in surfaces.iter().enumerate() {
        let label = s.label.clone().unwrap_or_default();
        let img = map.render(
            s,
            &format!(
                "Incident density, {}",
                byrum::describe_bin(byrum::Lang::En, &label)
            ),
            &format!(
                "{} in {:.0} hours of this bin · services as open in this bin",
                count_text(per_bin[b]),
                period_hours[b]
            ),
            Some(&state_in(Some(b))),
        )?;
        save(
            &img,
            &format!("overview_{}.png", byrum::safe_file_name(&label)),
        )?;
    }
    let rows: Vec<String> = (0..binning.hours.len())
        .map(|i| format!("{} h", binning.hours.name(i).replace('-', "–")))
        .collect();
    let cols: Vec<String> = binning.seasons.names().to_vec();
    let refs: Vec<&DensitySurface> = surfaces.iter().collect();
    let img = map.width(args.maps.image_width.max(1200)).small_multiples(
        &refs,
        &rows,
        &cols,
        "Incident density by hour of day and season",
        "Same extent and colour scale in every panel · per hour of each bin",
    )?;
    save(&img, "small_multiples.png")?;
    done(
        &pb,
        format!(
            "wrote images/overview_all.png, {} overview images per bin, images/small_multiples.png and images/legend.png ({} scale {}–{} {unit})",
            surfaces.len(),
            scaling_name,
            sig(scale.domain().0),
            sig(scale.domain().1)
        ),
    );
    Ok(())
}

/// A zoom range such as "12-17" (or one zoom, "15").
fn parse_zooms(text: &str) -> byrum::Result<std::ops::RangeInclusive<u8>> {
    let bad = || byrum::Error::Parameter {
        name: "--tile-zooms",
        reason: format!("{text:?}: use a range such as 12-17"),
    };
    let (a, b) = text.split_once('-').unwrap_or((text, text));
    let (a, b): (u8, u8) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if a > b {
        return Err(bad());
    }
    Ok(a..=b)
}
