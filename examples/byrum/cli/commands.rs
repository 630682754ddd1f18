//! The subcommands that write an output folder: each runs the steps it needs
//! and returns a [`Summary`] of what it read, wrote and found.

use std::path::{Path, PathBuf};

use byrum::{
    IngestReport, IngestSummary, Layer, h3_layer, place_bin_table, write_atomic, write_csv,
};
use serde_json::{Map, Value, json};

use super::args::Options;
use super::maps::write_maps;
use super::pipeline::{self, Binned, Density, HotSpotStage, Loaded, create_dir, stamper};
use super::{planner, ui, viewer};

/// What a run read, wrote and found: printed at the end, or as JSON.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    /// The inputs' reports.
    pub ingest: Option<IngestSummary>,
    /// Files written (a line each; folders summarised).
    pub written: Vec<String>,
    /// Key numbers for scripts.
    pub findings: Map<String, Value>,
}

impl Summary {
    fn wrote(&mut self, what: impl Into<String>) {
        self.written.push(what.into());
    }
}

/// Writes `layer` (stamped) to `file` in the output folder.
fn write_layer(
    args: &Options,
    stamp: &dyn Fn(&mut Layer),
    summary: &mut Summary,
    mut layer: Layer,
    file: &str,
) -> byrum::Result<()> {
    stamp(&mut layer);
    layer.write(&args.out.join(file))?;
    summary.wrote(format!("{file} ({} features)", layer.len()));
    Ok(())
}

/// The hot spot layers: H3 counts, Gi* (cells, squares), emerging, change.
fn write_hot_spot_layers(
    args: &Options,
    ds: &byrum::Dataset,
    hs: &HotSpotStage,
    stamp: &dyn Fn(&mut Layer),
    summary: &mut Summary,
) -> byrum::Result<()> {
    let k = args.min_count;
    write_layer(
        args,
        stamp,
        summary,
        h3_layer(&hs.counts, k),
        "hotspots_h3.geojson",
    )?;
    write_layer(
        args,
        stamp,
        summary,
        hs.hotspots.layer(k),
        "gistar_h3.geojson",
    )?;
    if let Some(sq) = &hs.squares {
        write_layer(
            args,
            stamp,
            summary,
            sq.layer(&ds.projection, k)?,
            "gistar_square.geojson",
        )?;
    }
    if let Ok(e) = &hs.emerging {
        write_layer(args, stamp, summary, e.layer(k), "emerging_h3.geojson")?;
    }
    if let Ok(c) = &hs.change {
        write_layer(args, stamp, summary, c.layer(k), "change_h3.geojson")?;
    }
    let overall = &hs.hotspots.overall;
    summary.findings.insert(
        "hot_spots".into(),
        json!({
            "h3_resolution": args.hot.h3_res,
            "cells": hs.hotspots.cells.len(),
            "hot_90": overall.class.iter().filter(|c| c.is_hot()).count(),
            "cold_90": overall.class.iter().filter(|c| c.is_cold()).count(),
            "significant_fdr": overall.fdr_significant.iter().filter(|&&f| f).count(),
            "emerging_hot": hs.emerging.as_ref().ok().map(|e| e.result.category.iter().filter(|c| c.is_hot()).count()),
        }),
    );
    Ok(())
}

/// With `--aggregates DIR`: the exact counts per H3 cell, map bin and month,
/// and the exposure, as partitioned Parquet for merging split runs (outside
/// the output folder: not suppressed).
fn write_aggregates(args: &Options, ds: &byrum::Dataset, bins: &Binned) -> byrum::Result<()> {
    let Some(dir) = &args.hot.aggregates else {
        return Ok(());
    };
    let pb = ui::spinner("mergeable aggregates");
    let agg = byrum::Aggregation::new(byrum::h3_resolution(args.hot.h3_res)?)
        .binning(bins.binning.clone(), bins.map_spec.clone())
        .compute(ds)?;
    let files = agg.write_partitioned(dir)?;
    ui::done(
        &pb,
        format!(
            "wrote aggregates (exact counts, not for publication) to {}: {} files, {} count rows",
            dir.display(),
            files.files.len(),
            files.count_rows
        ),
    );
    Ok(())
}

/// The isolines: over all hours and per bin.
fn write_isolines(
    args: &Options,
    density: Density,
    stamp: &dyn Fn(&mut Layer),
    summary: &mut Summary,
) -> byrum::Result<()> {
    create_dir(&args.out.join("kde_isolines"))?;
    let n = density.isolines.len();
    for (file, mut layer) in density.isolines {
        layer.param(
            "levels_rule",
            format!(
                "fractions {:?} of the highest density over all time bins and all hours: one scale for every bin",
                density.fractions
            ),
        );
        stamp(&mut layer);
        layer.write(&args.out.join(&file))?;
    }
    summary.wrote(format!(
        "kde_isolines.geojson and {} per bin in kde_isolines/",
        n - 1
    ));
    Ok(())
}

/// The services open in each map bin; tiles, legend and images (unless the
/// density is empty everywhere); the raw points with `--raw-points`. Returns
/// the open shares (the services layer uses them too).
fn write_map_outputs(
    args: &Options,
    loaded: &Loaded,
    bins: &Binned,
    density: &Density,
    summary: &mut Summary,
) -> byrum::Result<Vec<Option<Vec<f64>>>> {
    let ds = &loaded.ds;
    let shares = byrum::open_shares(
        &ds.services,
        &bins.binning,
        &bins.map_spec,
        &ds.period,
        ds.zone,
        ds.centre(),
    );
    if args.raw_points {
        pipeline::write_raw_points(ds, &args.out.join("incidents.geojson"))?;
    }
    if density.top <= 0.0 {
        ui::say(&format!(
            "  no maps: every density cell has fewer than {} incidents within reach",
            args.min_count
        ));
        return Ok(shares);
    }
    write_maps(
        args,
        ds,
        &bins.binning,
        &bins.map_exposure,
        &density.grid,
        &density.overall,
        &density.surfaces,
        &bins.map_bins,
        &shares,
    )?;
    if !args.maps.no_tiles {
        summary.wrote("tiles/ (per time bin) and tiles/legend.json");
    }
    summary.wrote("images/ (overview per time bin, small multiples, legend)");
    Ok(shares)
}

/// The place × time table, the time-bin totals and the ingest report.
fn write_tables(
    args: &Options,
    loaded: &Loaded,
    bins: &Binned,
    extra: Option<&IngestReport>,
    summary: &mut Summary,
) -> byrum::Result<Vec<(String, u64, f64)>> {
    let ds = &loaded.ds;
    let mut table = place_bin_table(
        ds,
        &loaded.index,
        &loaded.place_of,
        &bins.table_bins,
        &bins.binning.labels(&bins.table_spec),
        &bins.table_exposure,
        args.min_count,
    )?;
    write_csv(&mut table, &args.out.join("place_time_bins.csv"))?;
    summary.wrote(format!("place_time_bins.csv ({} rows)", table.height()));
    let time_bins = pipeline::time_bin_totals(&bins.map_labels, &bins.map_bins, &bins.map_exposure);
    pipeline::write_time_bins(&time_bins, args.min_count, &args.out.join("time_bins.csv"))?;
    summary.wrote("time_bins.csv");
    write_ingest(args, loaded, extra, summary)?;
    Ok(time_bins)
}

/// `ingest_report.json`: every input's rows read, accepted and rejected.
fn write_ingest(
    args: &Options,
    loaded: &Loaded,
    extra: Option<&IngestReport>,
    summary: &mut Summary,
) -> byrum::Result<()> {
    let mut reports = loaded.ds.reports.clone();
    reports.extend(extra.cloned());
    let ingest = IngestSummary::of(reports);
    write_atomic(
        &args.out.join("ingest_report.json"),
        serde_json::to_string_pretty(&ingest)?.as_bytes(),
    )?;
    summary.wrote(format!(
        "ingest_report.json ({} read, {} accepted, {} rejected)",
        ingest.read, ingest.accepted, ingest.rejected
    ));
    summary.ingest = Some(ingest);
    Ok(())
}

/// The map viewer over whatever the run wrote, unless `--no-viewer`.
fn write_viewer(args: &Options, summary: &mut Summary) -> byrum::Result<()> {
    if !args.viewer {
        return Ok(());
    }
    let v = viewer::write_viewer(&args.out)?;
    ui::say(&v.line());
    for w in &v.warnings {
        ui::warn(&format!("viewer: {w}"));
    }
    summary.wrote("index.html (the map viewer) and viewer/");
    Ok(())
}

/// `byrum report`: every analysis, layer, table, map, the report and the viewer.
pub(crate) fn report(args: &Options) -> byrum::Result<Summary> {
    let mut summary = Summary::default();
    let loaded = pipeline::load(args)?;
    let bins = pipeline::bin(args, &loaded.ds)?;
    let hs = pipeline::hot_spots(args, &loaded.ds, &bins)?;
    let density = pipeline::density(args, &loaded.ds, &bins)?;
    let (ds, index, place_of) = (&loaded.ds, &loaded.index, &loaded.place_of);
    create_dir(&args.out)?;
    let stamp = stamper(ds, &bins.binning, &loaded.inputs.incidents);
    let shares = write_map_outputs(args, &loaded, &bins, &density, &mut summary)?;

    // Planner analyses.
    let services = planner::services(
        args,
        ds,
        index,
        place_of,
        &bins.binning,
        &shares,
        &bins.map_labels,
        &stamp,
    )?;
    let profiles = planner::profiles(args, ds, index, place_of, &bins.binning, &stamp)?;
    let routes = if ds.routes.is_empty() {
        None
    } else {
        Some(planner::routes(
            args,
            ds,
            &bins.binning,
            &bins.map_spec,
            &bins.map_bins,
            &hs.hotspots,
            &profiles,
            &stamp,
        )?)
    };
    let havens = planner::havens(args, ds, &bins.map_bins, &bins.map_labels, &stamp)?;
    let evaluations =
        planner::interventions(args, ds, index, loaded.inputs.dir.as_deref(), &stamp)?;

    write_hot_spot_layers(args, ds, &hs, &stamp, &mut summary)?;
    write_aggregates(args, ds, &bins)?;
    write_isolines(args, density, &stamp, &mut summary)?;
    let time_bins = write_tables(
        args,
        &loaded,
        &bins,
        evaluations.as_ref().map(|(_, r)| r),
        &mut summary,
    )?;
    let ingest = summary.ingest.clone().unwrap_or_default();
    let mut report = byrum::PlannerReport::new(ds, &ingest, &hs.hotspots, args.lang.parse()?);
    report.min_count = args.min_count;
    report.time_bins = time_bins;
    report.emerging = hs.emerging.as_ref().ok();
    report.tiles = !args.maps.no_tiles;
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
    for f in report.write(&args.out)? {
        summary.wrote(f);
    }
    summary.wrote(
        "places.geojson, place_profiles.csv, services.geojson, service_gap_*.csv, outreach_windows.csv, route_segments.geojson, safe_havens.geojson, intervention_results.csv (the planner analyses)",
    );
    if let Some((e, _)) = &evaluations {
        summary
            .findings
            .insert("interventions".into(), evaluation_findings(e));
    }
    write_viewer(args, &mut summary)?;
    Ok(summary)
}

/// `byrum hotspots`: H3 counts, Gi*, emerging, change, isolines, tables, viewer.
pub(crate) fn hotspots(args: &Options) -> byrum::Result<Summary> {
    let mut summary = Summary::default();
    let loaded = pipeline::load(args)?;
    let bins = pipeline::bin(args, &loaded.ds)?;
    let hs = pipeline::hot_spots(args, &loaded.ds, &bins)?;
    let density = pipeline::density(args, &loaded.ds, &bins)?;
    create_dir(&args.out)?;
    let stamp = stamper(&loaded.ds, &bins.binning, &loaded.inputs.incidents);
    if args.raw_points {
        pipeline::write_raw_points(&loaded.ds, &args.out.join("incidents.geojson"))?;
    }
    write_hot_spot_layers(args, &loaded.ds, &hs, &stamp, &mut summary)?;
    write_aggregates(args, &loaded.ds, &bins)?;
    write_isolines(args, density, &stamp, &mut summary)?;
    write_tables(args, &loaded, &bins, None, &mut summary)?;
    write_viewer(args, &mut summary)?;
    Ok(summary)
}

/// `byrum tiles`: density tiles per bin, the legend, the images, the viewer.
pub(crate) fn tiles(args: &Options) -> byrum::Result<Summary> {
    let mut summary = Summary::default();
    let loaded = pipeline::load(args)?;
    let bins = pipeline::bin(args, &loaded.ds)?;
    let density = pipeline::density(args, &loaded.ds, &bins)?;
    create_dir(&args.out)?;
    write_map_outputs(args, &loaded, &bins, &density, &mut summary)?;
    write_ingest(args, &loaded, None, &mut summary)?;
    summary.findings.insert(
        "density".into(),
        json!({
            "bandwidth_m": density.overall.bandwidth.metres,
            "cell_m": density.grid.dx,
            "top_per_km2_per_hour": density.top,
            "tiles": !args.maps.no_tiles && density.top > 0.0,
        }),
    );
    write_viewer(args, &mut summary)?;
    Ok(summary)
}

/// `byrum evaluate`: the interventions, before and after.
pub(crate) fn evaluate(args: &Options) -> byrum::Result<Summary> {
    let mut summary = Summary::default();
    let loaded = pipeline::load(args)?;
    create_dir(&args.out)?;
    let bins = pipeline::bin(args, &loaded.ds)?;
    let stamp = stamper(&loaded.ds, &bins.binning, &loaded.inputs.incidents);
    let dir = loaded.inputs.dir.as_deref();
    let Some((eval, report)) =
        planner::interventions(args, &loaded.ds, &loaded.index, dir, &stamp)?
    else {
        return Err(byrum::Error::Parameter {
            name: "--interventions",
            reason: format!(
                "no interventions file: give --interventions FILE (CSV: place_id, date, kind, description[, controls]){}",
                dir.map_or_else(String::new, |d| format!(
                    " or put interventions.csv in {}",
                    d.display()
                ))
            ),
        });
    };
    summary.wrote("intervention_results.csv, interventions.geojson");
    write_ingest(args, &loaded, Some(&report), &mut summary)?;
    summary
        .findings
        .insert("interventions".into(), evaluation_findings(&eval));
    for r in &eval.results {
        ui::say(&format!("  {}", describe_result(r, eval.min_count)));
    }
    write_viewer(args, &mut summary)?;
    Ok(summary)
}

/// Whether an evaluation's counts may be shown (none of them 1..k−1).
fn shown(r: &byrum::InterventionResult, k: u64) -> bool {
    let t = &r.treated;
    !byrum::is_suppressed(t.count_a, k) && !byrum::is_suppressed(t.count_b, k)
}

/// One line per intervention for the console.
fn describe_result(r: &byrum::InterventionResult, k: u64) -> String {
    let i = &r.intervention;
    let head = format!("{} at {} from {}", i.kind.as_str(), r.place_name, i.date);
    if !shown(r, k) {
        return format!("{head}: withheld (fewer than {k} incidents before or after)");
    }
    let t = &r.treated;
    let rr = r.ratio_of_ratios.as_ref().map_or_else(String::new, |e| {
        format!(
            "; against the controls {:.2} ({:.2}–{:.2}, p {:.3})",
            e.estimate, e.low, e.high, e.p
        )
    });
    format!(
        "{head}: rate after/before {:.2} ({:.2}–{:.2}, p {:.3}){rr}",
        t.ratio, t.ratio_low, t.ratio_high, t.p
    )
}

/// The numbers of each evaluation, for `--json` (null where withheld).
fn evaluation_findings(e: &byrum::Evaluations) -> Value {
    Value::Array(
        e.results
            .iter()
            .map(|r| {
                let show = shown(r, e.min_count);
                let t = &r.treated;
                let rr = r.ratio_of_ratios.as_ref().filter(|_| show);
                json!({
                    "place": r.place_name,
                    "kind": r.intervention.kind.as_str(),
                    "date": r.intervention.date.to_string(),
                    "suppressed": !show,
                    "rate_ratio": show.then_some(t.ratio),
                    "rate_ratio_low": show.then_some(t.ratio_low),
                    "rate_ratio_high": show.then_some(t.ratio_high),
                    "p": show.then_some(t.p),
                    "ratio_of_ratios": rr.map(|x| x.estimate),
                    "ratio_of_ratios_low": rr.map(|x| x.low),
                    "ratio_of_ratios_high": rr.map(|x| x.high),
                    "ratio_of_ratios_p": rr.map(|x| x.p),
                })
            })
            .collect(),
    )
}

/// The top-level entries of the finished output folder, sorted, and the
/// number of files in it.
pub(crate) fn listing(out: &Path) -> (Vec<String>, usize) {
    fn count(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |rd| {
            rd.flatten()
                .map(|e| {
                    let p: PathBuf = e.path();
                    if p.is_dir() { count(&p) } else { 1 }
                })
                .sum()
        })
    }
    let mut names: Vec<String> = std::fs::read_dir(out)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let mut n = e.file_name().to_string_lossy().into_owned();
                    if e.path().is_dir() {
                        n.push('/');
                    }
                    n
                })
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    (names, count(out))
}
