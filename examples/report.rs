//! The main job: read exported incidents (and places, services, routes), and
//! write the ingest report, the H3 hotspot layer and the place × time table.
//!
//! ```text
//! cargo run --release --example report -- --input data/aalborg --out out/aalborg
//! cargo run --release --example report -- --incidents ../shared/data/real/minneapolis_stops_2017.csv --out out/minneapolis
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use byrum::{
    Ambiguity, BinSpec, ColumnMap, Crs, DatasetBuilder, Dimension, DuplicateRecords, H3Counts,
    HourBuckets, IncidentReader, SpatialIndex, StudyArea, TimeBinning, h3_cells, h3_cells_covering,
    h3_layer, h3_resolution, parse_zone, place_bin_table, read, write_atomic, write_csv,
};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

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
    #[arg(long, default_value_t = 5)]
    min_count: u64,
    /// Country whose public holidays `PH` in opening hours means (ISO code).
    #[arg(long, default_value = "DK")]
    country: String,
    /// Reject rows identical to an earlier one except for the id (default: keep and warn).
    #[arg(long)]
    drop_duplicates: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(msg.to_owned());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

fn done(pb: &ProgressBar, msg: String) {
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
        reader = reader.zone(parse_zone(tz)?);
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
        builder = builder.zone(parse_zone(tz)?);
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
    let area_cells = match &ds.study_area {
        Some(a) => Some(h3_cells_covering(a.polygon(), res)?),
        None => None,
    };
    let counts = H3Counts::compute(
        res,
        &cells,
        &map_bins,
        inc.weight.as_deref(),
        binning.labels(&map_spec),
        map_exposure,
        area_cells.as_deref(),
    )?;
    done(
        &pb,
        format!(
            "counted {} incidents in {} H3 cells (resolution {})",
            inc.len(),
            counts.cells.len(),
            args.h3_res
        ),
    );

    // Write.
    std::fs::create_dir_all(&args.out).map_err(|e| byrum::Error::Io {
        action: "create",
        path: args.out.clone(),
        source: e,
    })?;
    let mut layer = h3_layer(&counts, args.min_count);
    let (first, last) = ds.period.describe(ds.zone);
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
    layer.write(&args.out.join("hotspots_h3.geojson"))?;
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
    let summary = ds.ingest_summary();
    write_atomic(
        &args.out.join("ingest_report.json"),
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )?;
    println!(
        "wrote {}: hotspots_h3.geojson ({} cells), place_time_bins.csv ({} rows), ingest_report.json ({} read, {} accepted, {} rejected)",
        args.out.display(),
        layer.len(),
        table.height(),
        summary.read,
        summary.accepted,
        summary.rejected
    );
    for (reason, n) in &summary.rejected_by_reason {
        println!("  rejected {n:>7} rows: {reason}");
    }
    Ok(())
}
