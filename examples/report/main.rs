//! The main job: read exported incidents (and places, services, routes), and
//! write the ingest report, the H3 counts, Gi* hot spots per time bin,
//! emerging hot spots, the change between two periods, density isolines, the
//! place × time table, heatmap tiles per time bin (XYZ, MBTiles, PMTiles), the
//! legend, an overview image per time bin and the small multiples.
//!
//! ```text
//! cargo run --release --example report -- --input data/aalborg --out out/aalborg
//! cargo run --release --example report -- --incidents ../shared/data/real/minneapolis_stops_2017.csv --out out/minneapolis
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use byrum::{
    Ambiguity, Bandwidth, BinSpec, ColumnMap, Crs, DatasetBuilder, Decay, DensitySurface,
    Dimension, DuplicateRecords, EmergingHotSpots, GiStar, H3Change, H3Counts, H3Emerging,
    H3HotSpots, HourBuckets, IncidentReader, Kde, Kernel, Layer, MetricGrid, Period, PeriodLength,
    Periods, SpatialIndex, SquareHotSpots, SquareNeighbours, StudyArea, TimeBinning, Units,
    analysis_cells, h3_cells, h3_layer, h3_resolution, isoline_layer, mask_sparse,
    mask_sparse_bins, parse_zone_suggesting, place_bin_table, read, write_atomic, write_csv,
};
use clap::Parser;
use geo::{BoundingRect, ConvexHull};
use indicatif::{ProgressBar, ProgressStyle};

mod maps;
mod planner;
#[path = "../byrum/viewer.rs"]
mod viewer;

use maps::write_maps;

/// Where and when incidents concentrate: from exported files to map layers.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Folder with incidents.csv (or .parquet), places.geojson, services.geojson, routes.geojson
    /// [default: data/aalborg, unless --incidents is given]
    #[arg(long)]
    input: Option<PathBuf>,
    /// Output folder.
    #[arg(long, default_value = "out/aalborg")]
    out: PathBuf,
    /// Incidents file (CSV or Parquet); overrides the one in --input.
    #[arg(long)]
    incidents: Option<PathBuf>,
    /// Places GeoJSON (squares, parks); overrides the one in --input.
    #[arg(long)]
    places: Option<PathBuf>,
    /// Services GeoJSON; overrides the one in --input.
    #[arg(long)]
    services: Option<PathBuf>,
    /// Routes GeoJSON; overrides the one in --input.
    #[arg(long)]
    routes: Option<PathBuf>,
    /// H3 resolution of the hotspot layer (9 ≈ 170 m cells, 10 ≈ 65 m).
    #[arg(long, default_value_t = 9)]
    h3_res: u8,
    /// Study area: a GeoJSON polygon file, or a file or text "min_lon,min_lat,max_lon,max_lat".
    #[arg(long)]
    study_area: Option<String>,
    /// IANA time zone of timestamps without a UTC offset (e.g. Europe/Copenhagen)
    /// [default: the zone at the data's location].
    #[arg(long)]
    tz: Option<String>,
    /// Column mapping, e.g. "x=easting,y=northing,timestamp=tidspunkt,category=kategori".
    #[arg(long)]
    columns: Option<String>,
    /// Coordinate system of the incident x/y columns (EPSG:4326 or a UTM code such as EPSG:25832).
    #[arg(long, default_value = "EPSG:4326")]
    crs: String,
    /// chrono format of the timestamp column, e.g. "%d-%m-%Y %H:%M".
    #[arg(long)]
    time_format: Option<String>,
    /// Rule for local times that happen twice (fall back): earlier, later or reject.
    #[arg(long, default_value = "earlier")]
    ambiguous: String,
    /// Length of the hour-of-day buckets in hours (divides 24).
    #[arg(long, default_value_t = 3)]
    hour_buckets: u8,
    /// Counts below this (but above 0) are suppressed in outputs to protect individuals; 0 disables.
    /// Density maps, isolines and tiles show only cells with at least this many incidents within
    /// the kernel's reach.
    #[arg(long, default_value_t = 5)]
    min_count: u64,
    /// Smallest kernel bandwidth in metres (quartic-equivalent radius) of the density maps,
    /// isolines and tiles: a narrower chosen bandwidth is raised to it, so one incident is
    /// spread over a small square. Tiles stop at the zoom whose pixels are 1/8 of the bandwidth.
    #[arg(long, default_value_t = byrum::MIN_TILE_BANDWIDTH_M)]
    min_bandwidth: f64,
    /// Also write the raw incident points (incidents.geojson). They can identify people:
    /// never publish them.
    #[arg(long)]
    raw_points: bool,
    /// Country whose public holidays `PH` in opening hours means (ISO code).
    #[arg(long, default_value = "DK")]
    country: String,
    /// Reject rows identical to an earlier one except for the id (default: keep and warn).
    #[arg(long)]
    drop_duplicates: bool,
    /// Gi* neighbourhood: the H3 cells within this many rings of a cell, itself included.
    #[arg(long, default_value_t = 1)]
    gistar_k: u32,
    /// Gi* neighbour weights: binary, or bisquare (distance decay reaching zero just past ring k).
    #[arg(long, default_value = "binary")]
    gistar_weights: String,
    /// Conditional permutations for Gi* pseudo p-values (0: analytic p only; 999 is usual).
    #[arg(long, default_value_t = 0)]
    permutations: usize,
    /// Seed of the permutations (the same seed gives the same p-values).
    #[arg(long, default_value_t = 12345)]
    seed: u64,
    /// False discovery rate for the Benjamini-Hochberg flag.
    #[arg(long, default_value_t = 0.05)]
    fdr_alpha: f64,
    /// Also run Gi* on squares of this many metres (writes gistar_square.geojson); 0: off.
    #[arg(long, default_value_t = 0.0)]
    square_cell: f64,
    /// Neighbours of a square: queen (the 8 touching squares), or a distance band in metres (e.g. 250).
    #[arg(long, default_value = "queen")]
    square_neighbours: String,
    /// Kernel density kernel: quartic, epanechnikov, gaussian, triangular or uniform.
    #[arg(long, default_value = "quartic")]
    kde_kernel: String,
    /// Kernel density bandwidth: metres (e.g. 150), or arcgis, scott or lcv.
    #[arg(long, default_value = "arcgis")]
    kde_bandwidth: String,
    /// Cell size of the density raster in metres (made larger if the raster would exceed 4 million cells).
    #[arg(long, default_value_t = 10.0)]
    kde_cell: f64,
    /// Isoline levels as fractions of the highest density over all time bins (one scale for all bins).
    #[arg(long, default_value = "0.1,0.25,0.5,0.75")]
    kde_levels: String,
    /// Skip the heatmap tiles (tiles/<bin>/{z}/{x}/{y}.png, tiles/<bin>.mbtiles, tiles/<bin>.pmtiles).
    #[arg(long)]
    no_tiles: bool,
    /// Tile outputs, comma-separated: xyz (PNG folders), mbtiles, pmtiles.
    #[arg(long, default_value = "xyz,mbtiles,pmtiles")]
    tile_formats: String,
    /// Colour scaling of tiles and images: log (default: densities span orders of magnitude),
    /// linear, or quantile (7 classes of equal area).
    #[arg(long, default_value = "log")]
    colour_scale: String,
    /// Top of the colour scale: max (the highest density of any bin), a quantile of all
    /// non-zero densities such as q0.99, or a value in incidents per km² per hour.
    #[arg(long, default_value = "max")]
    colour_max: String,
    /// Densities below this share of the top of the scale are transparent.
    #[arg(long, default_value_t = 0.02)]
    colour_threshold: f64,
    /// Width of the overview images in pixels.
    #[arg(long, default_value_t = 1600)]
    image_width: u32,
    /// Tile zoom levels, e.g. 12-17.
    #[arg(long, default_value = "12-17")]
    tile_zooms: String,
    /// The most tile renders (tiles × time bins) to make; the deepest zooms are left out, with a
    /// message, until the rest fits (a city-wide study area at z17 is hundreds of thousands).
    #[arg(long, default_value_t = 100_000)]
    max_tile_renders: usize,
    /// Tile size in pixels (256 or 512).
    #[arg(long, default_value_t = 256)]
    tile_size: u32,
    /// Colour ramp of tiles and images: viridis, magma, inferno, cividis or ylorrd.
    #[arg(long, default_value = "viridis")]
    ramp: String,
    /// Emerging hot spot period: auto, or a length such as 7d, 4w, 1m, 1y.
    #[arg(long, default_value = "auto")]
    emerging_period: String,
    /// Emerging hot spot neighbourhood time step (periods before the current one that count as neighbours).
    #[arg(long, default_value_t = 1)]
    emerging_time_step: usize,
    /// Emerging hot spots of one time bin only: an hour bucket (e.g. 21-24) or an hour-bucket and
    /// season bin (e.g. 21-24_winter) [default: all hours].
    #[arg(long)]
    emerging_bin: Option<String>,
    /// Change map: B starts on this local date (YYYY-MM-DD) [default: the middle of the period].
    #[arg(long)]
    change_split: Option<String>,

    #[command(flatten)]
    planner: planner::PlannerArgs,

    /// Language of the planner report (report.md, report.html): en or da.
    #[arg(long, default_value = "en")]
    lang: String,
}

fn main() -> ExitCode {
    let mut args = Args::parse();
    // Write into a staging folder next to --out and swap it in only when every
    // output is written: a failed or interrupted run leaves the old outputs whole.
    let staged = byrum::OutputDir::stage(&args.out).and_then(|stage| {
        stage.path().clone_into(&mut args.out);
        run(&args)?;
        stage.commit()
    });
    match staged {
        Ok(out) => {
            println!("outputs in {}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(msg.to_owned());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

pub(crate) fn done(pb: &ProgressBar, msg: String) {
    if pb.is_hidden() {
        println!("{msg}");
    }
    pb.finish_with_message(msg);
}

/// The file to read for `name`: the explicit flag, else `<input>/<name>` if it exists.
fn pick(explicit: Option<&PathBuf>, input: Option<&Path>, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.clone());
    }
    let dir = input?;
    names.iter().map(|n| dir.join(n)).find(|p| p.exists())
}

fn run(args: &Args) -> byrum::Result<()> {
    let input: Option<PathBuf> = match (&args.input, &args.incidents) {
        (Some(i), _) => Some(i.clone()),
        (None, None) => Some(PathBuf::from("data/aalborg")),
        (None, Some(_)) => None,
    };
    let input = input.as_deref();
    let incidents_path = pick(
        args.incidents.as_ref(),
        input,
        &["incidents.csv", "incidents.parquet"],
    )
    .ok_or_else(|| byrum::Error::Parameter {
        name: "--incidents",
        reason: "no incidents file: give --incidents FILE or an --input folder with incidents.csv"
            .into(),
    })?;
    let study_area = match &args.study_area {
        None => None,
        Some(s) if Path::new(s).exists() => Some(StudyArea::from_file(Path::new(s))?),
        Some(s) => Some(StudyArea::from_bbox_str(s)?),
    };

    // Read.
    let mut reader = IncidentReader::new().crs(Crs::parse(&args.crs)?).ambiguity(
        match args.ambiguous.as_str() {
            "later" => Ambiguity::Later,
            "reject" => Ambiguity::Reject,
            _ => Ambiguity::Earlier,
        },
    );
    if let Some(c) = &args.columns {
        reader = reader.columns(ColumnMap::parse(c)?);
    }
    if let Some(tz) = &args.tz {
        reader = reader.zone(parse_zone_suggesting(tz)?);
    }
    if let Some(f) = &args.time_format {
        reader = reader.time_format(f.clone());
    }
    if let Some(a) = &study_area {
        reader = reader.study_area(a.clone());
    }
    if args.drop_duplicates {
        reader = reader.duplicate_records(DuplicateRecords::Reject);
    }
    let pb = spinner(&format!("reading {}", incidents_path.display()));
    let batch = reader.read_path(&incidents_path)?;
    done(
        &pb,
        format!(
            "read {}: {} rows, {} accepted, {} rejected",
            incidents_path.display(),
            batch.report.read,
            batch.report.accepted,
            batch.report.rejected
        ),
    );
    for w in batch.report.warnings.iter().filter(|w| w.line.is_none()) {
        if w.kind == "lon_lat_swapped" || w.kind == "no_rows" {
            eprintln!("warning: {}", w.message);
        }
    }
    let mut builder = DatasetBuilder::new().incidents(batch);
    let country = Some(args.country.as_str());
    if let Some(p) = pick(args.places.as_ref(), input, &["places.geojson"]) {
        let (places, report) = read::geojson::read_places(&p)?;
        println!(
            "  places {}: {} of {} features used",
            p.display(),
            report.accepted,
            report.read
        );
        builder = builder.places(places, report);
    }
    if let Some(p) = pick(args.services.as_ref(), input, &["services.geojson"]) {
        let (services, report) = read::geojson::read_services(&p, country)?;
        println!(
            "  services {}: {} of {} features used",
            p.display(),
            report.accepted,
            report.read
        );
        builder = builder.services(services, report);
    }
    if let Some(p) = pick(args.routes.as_ref(), input, &["routes.geojson"]) {
        let (routes, report) = read::geojson::read_routes(&p, country)?;
        println!(
            "  routes {}: {} of {} features used",
            p.display(),
            report.accepted,
            report.read
        );
        builder = builder.routes(routes, report);
    }
    if let Some(tz) = &args.tz {
        builder = builder.zone(parse_zone_suggesting(tz)?);
    }
    if let Some(a) = &study_area {
        builder = builder.study_area(a.clone());
    }
    let ds = builder.build()?;
    let (first, last) = ds.period.describe(ds.zone);
    println!(
        "  projection EPSG:{}, time zone {}, period {first} – {last} ({:.0} hours)",
        ds.projection.epsg(),
        ds.zone.name(),
        ds.period.hours()
    );

    // Index.
    let pb = spinner("indexing");
    let index = SpatialIndex::build(&ds)?;
    let place_of = index.place_of_incidents(&ds);
    done(
        &pb,
        format!(
            "indexed {} incidents, {} places, {} services, {} route segments",
            index.incident_count(),
            ds.places.len(),
            ds.services.len(),
            index.segments().len()
        ),
    );

    // Bin.
    let pb = spinner("binning time");
    let binning = TimeBinning {
        hours: HourBuckets::every(args.hour_buckets)?,
        ..TimeBinning::default()
    };
    let inc = &ds.incidents;
    let map_spec = BinSpec::of(&[Dimension::Hour, Dimension::Season]);
    let map_bins = binning.assign(&map_spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
    let map_exposure = binning.exposure(&map_spec, &ds.period, ds.zone, ds.centre());
    let table_spec = BinSpec::of(&[
        Dimension::Hour,
        Dimension::DayType,
        Dimension::Season,
        Dimension::Darkness,
    ]);
    let table_bins = binning.assign(&table_spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
    let table_exposure = binning.exposure(&table_spec, &ds.period, ds.zone, ds.centre());
    done(
        &pb,
        format!(
            "binned into {} map bins and {} table bins",
            map_exposure.len(),
            table_exposure.len()
        ),
    );

    // Grid.
    let pb = spinner("counting H3 cells");
    let res = h3_resolution(args.h3_res)?;
    let cells = h3_cells(&inc.lon, &inc.lat, res)?;
    let area_cells = analysis_cells(&cells, ds.study_area.as_ref().map(StudyArea::polygon), res)?;
    let map_labels = binning.labels(&map_spec);
    let counts = H3Counts::compute(
        res,
        &cells,
        &map_bins,
        inc.weight.as_deref(),
        map_labels.clone(),
        map_exposure.clone(),
        Some(&area_cells),
    )?;
    done(
        &pb,
        format!(
            "counted {} incidents in {} H3 cells (resolution {}), {} of them analysed",
            inc.len(),
            counts.cells.len(),
            args.h3_res,
            area_cells.len()
        ),
    );

    // Statistics.
    let pb = spinner("Gi* hot spots per time bin");
    let decay = match args.gistar_weights.as_str() {
        "binary" => Decay::Binary,
        "bisquare" => Decay::Bisquare {
            // Centres of ring-k cells lie about k·√3 edge lengths away.
            bandwidth_m: f64::from(args.gistar_k + 1) * 3f64.sqrt() * res.edge_length_m(),
        },
        other => {
            return Err(byrum::Error::Parameter {
                name: "--gistar-weights",
                reason: format!("{other:?}: use binary or bisquare"),
            });
        }
    };
    let gistar = GiStar::new()
        .permutations(args.permutations)
        .seed(args.seed)
        .fdr_alpha(args.fdr_alpha);
    let hotspots = H3HotSpots::compute(&counts, args.gistar_k, decay, &gistar, &ds.projection)?;
    let hot = hotspots.overall.class.iter().filter(|c| c.is_hot()).count();
    let cold = hotspots
        .overall
        .class
        .iter()
        .filter(|c| c.is_cold())
        .count();
    done(
        &pb,
        format!(
            "Gi* over {} cells (k = {}): {hot} hot and {cold} cold at 90 % or more, {} significant after FDR",
            hotspots.cells.len(),
            args.gistar_k,
            hotspots
                .overall
                .fdr_significant
                .iter()
                .filter(|&&f| f)
                .count()
        ),
    );

    let squares = if args.square_cell > 0.0 {
        let pb = spinner("Gi* on squares");
        let area = if let Some(a) = &ds.study_area {
            ds.projection.forward_geometry(a.polygon())?
        } else {
            let points: geo::MultiPoint = inc
                .x
                .iter()
                .zip(&inc.y)
                .map(|(&x, &y)| geo::Point::new(x, y))
                .collect();
            geo::MultiPolygon(vec![points.convex_hull()])
        };
        let r = area
            .bounding_rect()
            .ok_or_else(|| byrum::Error::Parameter {
                name: "study area",
                reason: "has no extent".into(),
            })?;
        let grid = MetricGrid::covering(
            (r.min().x, r.min().y, r.max().x, r.max().y),
            args.square_cell,
        )?;
        let neighbours = match args.square_neighbours.as_str() {
            "queen" => SquareNeighbours::Queen,
            d => SquareNeighbours::DistanceBand {
                distance_m: d.trim_end_matches('m').parse().map_err(|_| {
                    byrum::Error::Parameter {
                        name: "--square-neighbours",
                        reason: format!("{d:?}: use queen or a distance in metres"),
                    }
                })?,
                decay,
            },
        };
        let sq = SquareHotSpots::compute(
            &grid,
            &area,
            &inc.x,
            &inc.y,
            &map_bins,
            &map_labels,
            neighbours,
            &gistar,
        )?;
        done(
            &pb,
            format!(
                "Gi* over {} squares of {} m: {} hot, {} cold",
                sq.cells.len(),
                args.square_cell,
                sq.overall.class.iter().filter(|c| c.is_hot()).count(),
                sq.overall.class.iter().filter(|c| c.is_cold()).count()
            ),
        );
        Some(sq)
    } else {
        None
    };

    let pb = spinner("emerging hot spots");
    let periods = match args.emerging_period.as_str() {
        "auto" => Periods::automatic(&ds.period, ds.zone),
        s => Periods::split(&ds.period, ds.zone, parse_period_length(s)?),
    };
    let subset: Option<Vec<bool>> = match &args.emerging_bin {
        None => None,
        Some(label) => {
            if let Some(b) = map_labels.iter().position(|l| l == label) {
                Some(map_bins.iter().map(|&m| m as usize == b).collect())
            } else if let Some(h) =
                (0..binning.hours.len()).find(|&h| binning.hours.name(h) == label)
            {
                let hour_spec = BinSpec::of(&[Dimension::Hour]);
                let hours = binning.assign(&hour_spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
                Some(hours.iter().map(|&x| x as usize == h).collect())
            } else {
                return Err(byrum::Error::Parameter {
                    name: "--emerging-bin",
                    reason: format!(
                        "{label:?} is neither an hour bucket nor a bin; bins are {}",
                        map_labels.join(", ")
                    ),
                });
            }
        }
    };
    let subset_name = args
        .emerging_bin
        .clone()
        .unwrap_or_else(|| "all".to_owned());
    let emerging = periods.and_then(|periods| {
        let settings = EmergingHotSpots::new()
            .time_step(args.emerging_time_step)
            .permutations(args.permutations)
            .seed(args.seed)
            .alpha(args.fdr_alpha);
        H3Emerging::compute(
            &area_cells,
            &cells,
            &inc.utc,
            subset.as_deref(),
            &subset_name,
            &periods,
            args.gistar_k,
            decay,
            &ds.projection,
            &settings,
        )
    });
    match &emerging {
        Ok(e) => done(
            &pb,
            format!(
                "emerging hot spots over {} periods of {:?}: {} cells in a hot spot category",
                e.periods.len(),
                e.periods.length(),
                e.result.category.iter().filter(|c| c.is_hot()).count()
            ),
        ),
        Err(err) => done(&pb, format!("emerging hot spots skipped: {err}")),
    }

    let pb = spinner("change between periods");
    let change = change_between(
        args,
        &ds,
        &binning,
        &map_spec,
        &cells,
        &map_bins,
        &area_cells,
        res,
    );
    match &change {
        Ok(c) => done(
            &pb,
            format!(
                "change {} → {}: {} cells significantly up, {} down",
                c.names.0,
                c.names.1,
                c.total
                    .iter()
                    .filter(|r| r.significant && r.ratio_low > 1.0)
                    .count(),
                c.total
                    .iter()
                    .filter(|r| r.significant && r.ratio_high < 1.0)
                    .count()
            ),
        ),
        Err(err) => done(&pb, format!("change map skipped: {err}")),
    }

    let pb = spinner("kernel density per time bin");
    let kernel: Kernel = args.kde_kernel.parse()?;
    let bandwidth: Bandwidth = args.kde_bandwidth.parse()?;
    let bbox = if let Some(a) = &ds.study_area {
        let p = ds.projection.forward_geometry(a.polygon())?;
        let r = p.bounding_rect().ok_or_else(|| byrum::Error::Parameter {
            name: "study area",
            reason: "has no extent".into(),
        })?;
        (r.min().x, r.min().y, r.max().x, r.max().y)
    } else {
        let (lo_x, hi_x) = min_max(&inc.x);
        let (lo_y, hi_y) = min_max(&inc.y);
        (lo_x - 250.0, lo_y - 250.0, hi_x + 250.0, hi_y + 250.0)
    };
    let area_m2 = (bbox.2 - bbox.0) * (bbox.3 - bbox.1);
    let cell = args.kde_cell.max((area_m2 / 4.0e6).sqrt());
    let grid = MetricGrid::covering(bbox, cell)?;
    let mut kde = Kde::new().kernel(kernel).bandwidth(bandwidth);
    if let Some(a) = &ds.study_area {
        kde = kde.edge_correction(ds.projection.forward_geometry(a.polygon())?);
    }
    // Privacy: a bandwidth floor (quartic-equivalent radius), so that one
    // incident is never a sharp spot on a map.
    let chosen = kde.select_bandwidth(&grid, &inc.x, &inc.y, inc.weight.as_deref())?;
    let equivalent = Kernel::Quartic.bandwidth_for_sigma(chosen.sigma_m);
    if equivalent < args.min_bandwidth {
        let h = kernel.bandwidth_for_sigma(Kernel::Quartic.gaussian_sigma(args.min_bandwidth));
        pb.println(format!(
            "  the {} bandwidth {:.0} m is below --min-bandwidth {:.0} m: using {h:.0} m so single incidents cannot be read off the maps",
            bandwidth.as_str(),
            chosen.metres,
            args.min_bandwidth
        ));
        kde = kde.bandwidth(Bandwidth::Fixed(h));
    }
    let mut surfaces = kde.compute_bins(
        &grid,
        &inc.x,
        &inc.y,
        inc.weight.as_deref(),
        &map_bins,
        &map_labels,
        &map_exposure,
    )?;
    let mut overall = kde
        .clone()
        .units(Units::PerKm2PerHour {
            exposure_hours: ds.period.hours(),
        })
        .compute(&grid, &inc.x, &inc.y, inc.weight.as_deref())?;
    // Privacy: no cell shown with fewer than k incidents within the kernel's reach.
    let masks = mask_sparse_bins(&mut surfaces, &inc.x, &inc.y, &map_bins, args.min_count)?;
    let mask_all = mask_sparse(&mut overall, &inc.x, &inc.y, args.min_count)?;
    let masked: usize = masks.iter().map(|m| m.cells_masked).sum::<usize>() + mask_all.cells_masked;
    let fractions = parse_levels(&args.kde_levels)?;
    let top = surfaces
        .iter()
        .map(DensitySurface::max)
        .fold(overall.max(), f64::max);
    let levels: Vec<f64> = fractions.iter().map(|f| f * top).collect();
    let mut isolines = vec![(
        "kde_isolines.geojson".to_owned(),
        isoline_layer(&overall, &levels, &ds.projection)?,
    )];
    for s in &surfaces {
        let label = s.label.clone().unwrap_or_default();
        isolines.push((
            format!("kde_isolines/{}.geojson", byrum::safe_file_name(&label)),
            isoline_layer(s, &levels, &ds.projection)?,
        ));
    }
    done(
        &pb,
        format!(
            "density on {} × {} cells of {:.0} m, {} kernel, bandwidth {:.0} m ({}), {} isolines; {masked} cells with fewer than {} incidents within {:.0} m not shown",
            grid.nx,
            grid.ny,
            cell,
            kernel.as_str(),
            overall.bandwidth.metres,
            bandwidth.as_str(),
            isolines.iter().map(|(_, l)| l.len()).sum::<usize>(),
            args.min_count,
            mask_all.radius_m
        ),
    );

    // Output folder; every layer records the parameters that made it.
    std::fs::create_dir_all(&args.out).map_err(|e| byrum::Error::Io {
        action: "create",
        path: args.out.clone(),
        source: e,
    })?;
    let (first, last) = ds.period.describe(ds.zone);
    let stamp = |layer: &mut Layer| {
        layer
            .param(
                "period",
                serde_json::json!({"first_day": first, "last_day": last, "hours": ds.period.hours()}),
            )
            .param("time_zone", ds.zone.name())
            .param("projection", format!("EPSG:{}", ds.projection.epsg()))
            .param("hour_buckets", binning.hours.len())
            .param("seasons", binning.seasons.names().to_vec())
            .param(
                "study_area",
                ds.study_area.as_ref().map_or(serde_json::Value::Null, |a| {
                    let b = a.bbox();
                    serde_json::json!({"bbox": [b.min().x, b.min().y, b.max().x, b.max().y]})
                }),
            )
            .param("incidents", incidents_path.display().to_string());
    };
    // Services open in each map bin, for the maps and the services layer.
    let shares = byrum::open_shares(
        &ds.services,
        &binning,
        &map_spec,
        &ds.period,
        ds.zone,
        ds.centre(),
    );

    // Maps: one colour scale for every bin; tiles, legend, overview images.
    if top <= 0.0 {
        println!(
            "  no maps: every density cell has fewer than {} incidents within reach",
            args.min_count
        );
    } else {
        write_maps(
            args,
            &ds,
            &binning,
            &map_exposure,
            &grid,
            &overall,
            &surfaces,
            &map_bins,
            &shares,
        )?;
    }
    if args.raw_points {
        write_raw_points(&ds, &args.out.join("incidents.geojson"))?;
    }

    // Planner analyses.
    let services = planner::services(
        args,
        &ds,
        &index,
        &place_of,
        &binning,
        &shares,
        &map_labels,
        &stamp,
    )?;
    let profiles = planner::profiles(args, &ds, &index, &place_of, &binning, &stamp)?;
    let routes = if ds.routes.is_empty() {
        None
    } else {
        Some(planner::routes(
            args, &ds, &binning, &map_spec, &map_bins, &hotspots, &profiles, &stamp,
        )?)
    };
    let havens = planner::havens(args, &ds, &map_bins, &map_labels, &stamp)?;
    let evaluations = planner::interventions(args, &ds, &index, input, &stamp)?;

    let mut written: Vec<String> = Vec::new();
    let mut write_layer = |mut layer: Layer, file: &str| -> byrum::Result<()> {
        stamp(&mut layer);
        layer.write(&args.out.join(file))?;
        written.push(format!("{file} ({} features)", layer.len()));
        Ok(())
    };
    write_layer(h3_layer(&counts, args.min_count), "hotspots_h3.geojson")?;
    write_layer(hotspots.layer(args.min_count), "gistar_h3.geojson")?;
    if let Some(sq) = &squares {
        write_layer(
            sq.layer(&ds.projection, args.min_count)?,
            "gistar_square.geojson",
        )?;
    }
    if let Ok(e) = &emerging {
        write_layer(e.layer(args.min_count), "emerging_h3.geojson")?;
    }
    if let Ok(c) = &change {
        write_layer(c.layer(args.min_count), "change_h3.geojson")?;
    }
    std::fs::create_dir_all(args.out.join("kde_isolines")).map_err(|e| byrum::Error::Io {
        action: "create",
        path: args.out.join("kde_isolines"),
        source: e,
    })?;
    let n_iso = isolines.len();
    for (file, mut layer) in isolines {
        layer.param(
            "levels_rule",
            format!("fractions {fractions:?} of the highest density over all time bins and all hours: one scale for every bin"),
        );
        stamp(&mut layer);
        layer.write(&args.out.join(&file))?;
    }
    written.push(format!(
        "kde_isolines.geojson and {} per bin in kde_isolines/",
        n_iso - 1
    ));
    let mut table = place_bin_table(
        &ds,
        &index,
        &place_of,
        &table_bins,
        &binning.labels(&table_spec),
        &table_exposure,
        args.min_count,
    )?;
    write_csv(&mut table, &args.out.join("place_time_bins.csv"))?;
    let mut reports = ds.reports.clone();
    if let Some((_, r)) = &evaluations {
        reports.push(r.clone());
    }
    let summary = byrum::IngestSummary::of(reports);
    write_atomic(
        &args.out.join("ingest_report.json"),
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )?;
    let time_bins = time_bin_totals(&map_labels, &map_bins, &map_exposure);
    write_time_bins(&time_bins, args.min_count, &args.out.join("time_bins.csv"))?;
    let mut report = byrum::PlannerReport::new(&ds, &summary, &hotspots, args.lang.parse()?);
    report.min_count = args.min_count;
    report.time_bins = time_bins;
    report.emerging = emerging.as_ref().ok();
    report.tiles = !args.no_tiles;
    report.profiles = Some(&profiles);
    report.services = Some(byrum::ServiceFindings {
        timetable: &services.timetable,
        gap: &services.gap,
        windows: &services.windows,
    });
    report.routes = routes.as_ref().map(|r| byrum::RouteFindings {
        segments: &r.segments,
        coverage: &r.coverage,
        places: &r.places,
    });
    report.havens = Some(&havens.0);
    report.havens_per_bin = Some(&havens.1);
    report.evaluations = evaluations.as_ref().map(|(e, _)| e);
    written.extend(report.write(&args.out)?);
    println!(
        "wrote {}: {}, place_time_bins.csv ({} rows), ingest_report.json ({} read, {} accepted, {} rejected)",
        args.out.display(),
        written.join(", "),
        table.height(),
        summary.read,
        summary.accepted,
        summary.rejected
    );
    for (reason, n) in &summary.rejected_by_reason {
        println!("  rejected {n:>7} rows: {reason}");
    }
    viewer::write_viewer(&args.out)?.print();
    Ok(())
}

/// `incidents.geojson`: the raw incident points, only with `--raw-points`.
fn write_raw_points(ds: &byrum::Dataset, path: &Path) -> byrum::Result<()> {
    let inc = &ds.incidents;
    let mut layer = Layer::new("incidents");
    layer.param(
        "warning",
        "raw incident points: they can identify people; do not publish",
    );
    for i in 0..inc.len() {
        let mut props = serde_json::Map::new();
        props.insert("category".into(), inc.category_of(i).into());
        props.insert("utc".into(), inc.utc[i].into());
        layer.push(
            geo::Geometry::Point(geo::Point::new(inc.lon[i], inc.lat[i])),
            props,
        );
    }
    layer.write(path)?;
    println!(
        "WARNING: wrote {} raw incident points to {} (--raw-points): they can identify people; do not publish them",
        inc.len(),
        path.display()
    );
    Ok(())
}

/// The smallest and largest value.
fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

/// Isoline levels as fractions in (0, 1], e.g. "0.1,0.25,0.5".
fn parse_levels(text: &str) -> byrum::Result<Vec<f64>> {
    text.split(',')
        .map(|t| match t.trim().parse::<f64>() {
            Ok(f) if f > 0.0 && f <= 1.0 => Ok(f),
            _ => Err(byrum::Error::Parameter {
                name: "--kde-levels",
                reason: format!("{t:?}: give fractions of the highest density between 0 and 1, e.g. 0.1,0.25,0.5"),
            }),
        })
        .collect()
}

/// A period length such as "7d", "4w", "1m" or "1y".
fn parse_period_length(text: &str) -> byrum::Result<PeriodLength> {
    let bad = || byrum::Error::Parameter {
        name: "--emerging-period",
        reason: format!("{text:?}: use auto or a count and unit, e.g. 7d, 4w, 1m, 1y"),
    };
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: u32 = num.parse().map_err(|_| bad())?;
    match unit {
        "d" => Ok(PeriodLength::Days(n)),
        "w" => Ok(PeriodLength::Weeks(n)),
        "m" => Ok(PeriodLength::Months(n)),
        "y" => Ok(PeriodLength::Years(n)),
        _ => Err(bad()),
    }
}

/// The change map: incidents before the split date (A) against those from it on (B).
#[allow(clippy::too_many_arguments)]
fn change_between(
    args: &Args,
    ds: &byrum::Dataset,
    binning: &TimeBinning,
    spec: &BinSpec,
    cells: &[h3o::CellIndex],
    bins: &[u32],
    area_cells: &[h3o::CellIndex],
    res: h3o::Resolution,
) -> byrum::Result<H3Change> {
    let (first, last) = ds.period.describe(ds.zone);
    let date = |s: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| byrum::Error::Parameter {
            name: "--change-split",
            reason: format!("{s:?} is not a date YYYY-MM-DD"),
        })
    };
    let (d0, d1) = (date(&first)?, date(&last)?);
    let split = match &args.change_split {
        Some(s) => date(s)?,
        None => d0 + chrono::Duration::days(((d1 - d0).num_days() + 1) / 2),
    };
    if split <= d0 || split > d1 {
        return Err(byrum::Error::Parameter {
            name: "--change-split",
            reason: format!("{split} must fall after {d0} and on or before {d1}"),
        });
    }
    let before = split.pred_opt().unwrap_or(split);
    let period_a = Period::local_dates(ds.zone, d0, before)?;
    let period_b = Period::local_dates(ds.zone, split, d1)?;
    let group = |period: &Period| -> byrum::Result<H3Counts> {
        let pick: Vec<usize> = (0..ds.incidents.len())
            .filter(|&i| period.contains(ds.incidents.utc[i]))
            .collect();
        let c: Vec<_> = pick.iter().map(|&i| cells[i]).collect();
        let b: Vec<u32> = pick.iter().map(|&i| bins[i]).collect();
        H3Counts::compute(
            res,
            &c,
            &b,
            None,
            binning.labels(spec),
            binning.exposure(spec, period, ds.zone, ds.centre()),
            Some(area_cells),
        )
    };
    H3Change::compute(
        &group(&period_a)?,
        &group(&period_b)?,
        area_cells,
        (format!("{d0} – {before}"), format!("{split} – {d1}")),
        0.95,
    )
}

/// Incidents and real hours per map bin.
fn time_bin_totals(labels: &[String], bins: &[u32], exposure: &[f64]) -> Vec<(String, u64, f64)> {
    let mut counts = vec![0u64; labels.len()];
    for &b in bins {
        counts[b as usize] += 1;
    }
    labels
        .iter()
        .zip(counts)
        .zip(exposure)
        .map(|((l, n), &h)| (l.clone(), n, h))
        .collect()
}

/// `time_bins.csv`: bin, count and rate (null for counts 1..k−1), exposure hours.
fn write_time_bins(rows: &[(String, u64, f64)], min_count: u64, path: &Path) -> byrum::Result<()> {
    // The bins add up to the overall total (shown in the summary):
    // complementary suppression (byrum's `privacy` module doc, rule 2).
    let counts: Vec<u64> = rows.iter().map(|r| r.1).collect();
    let hidden = byrum::withheld_parts(&counts, min_count);
    let shown = |i: usize| byrum::shown_if(rows[i].1, hidden[i]);
    let mut df = polars::prelude::DataFrame::new_infer_height(vec![
        polars::prelude::Column::new(
            "bin".into(),
            rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        ),
        polars::prelude::Column::new(
            "count".into(),
            (0..rows.len()).map(shown).collect::<Vec<_>>(),
        ),
        polars::prelude::Column::new(
            "exposure_hours".into(),
            rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        ),
        polars::prelude::Column::new(
            "rate_per_hour".into(),
            (0..rows.len())
                .map(|i| {
                    shown(i)
                        .filter(|_| rows[i].2 > 0.0)
                        .map(|n| n as f64 / rows[i].2)
                })
                .collect::<Vec<_>>(),
        ),
    ])?;
    write_csv(&mut df, path)
}
