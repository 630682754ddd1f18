//! The planner analyses of the report (issue 5): services and their opening
//! hours, service-gap hours and outreach windows, place profiles, routes,
//! safe-haven sites and interventions. Each function computes, writes its
//! layers and tables, and returns what the report quotes.

use std::path::Path;

use byrum::{
    BinSpec, Candidates, Dataset, Evaluation, Evaluations, H3HotSpots, HotCellRule,
    HotSpotCoverage, IngestReport, Layer, OutreachWindow, OutreachWindows, PlaceCoverage,
    PlaceProfiles, PlaceProfilesResult, RankMetric, RouteSegmentation, RouteSegments,
    SafeHavenSiting, SafeHavens, ServiceGap, ServiceGapResult, ServiceKind, SpatialIndex,
    TimeBinning, Timetable, outreach_table, place_coverage_table, read_interventions,
    services_layer, write_csv,
};

use super::args::Options;
use super::ui::{done, spinner};

/// What the services analysis gives the report.
pub(crate) struct ServicesOut {
    pub timetable: Timetable,
    pub gap: ServiceGapResult,
    pub windows: Vec<OutreachWindow>,
}

/// Services: weekly timetable, service-gap hours per place and hour, ranked
/// outreach windows, the services layer with open shares per map bin.
pub(crate) fn services(
    args: &Options,
    ds: &Dataset,
    index: &SpatialIndex,
    place_of: &[u32],
    binning: &TimeBinning,
    shares: &[Option<Vec<f64>>],
    labels: &[String],
    stamp: &dyn Fn(&mut Layer),
) -> byrum::Result<ServicesOut> {
    let p = &args.planner;
    let pb = spinner("services: opening hours, service gaps, outreach windows");
    let kinds: Option<Vec<ServiceKind>> = match p.gap_kinds.trim() {
        "all" | "" => None,
        list => Some(list.split(',').map(ServiceKind::parse).collect()),
    };
    let mut gap = ServiceGap::new()
        .distance_m(p.gap_distance)
        .min_count(args.min_count);
    if let Some(k) = &kinds {
        gap = gap.kinds(k);
    }
    let gap = gap.compute(ds, index, place_of)?;
    let timetable = Timetable::compute(&ds.services, binning, &ds.period, ds.zone);
    let windows = OutreachWindows {
        hours: p.outreach_hours,
        top: p.outreach_windows,
    }
    .rank(ds, index, &gap, &timetable)?;

    let out = &args.out;
    let mut layer = services_layer(ds, &timetable, shares, labels)?;
    stamp(&mut layer);
    layer.write(&out.join("services.geojson"))?;
    let mut tables = vec![
        ("services_timetable.csv", timetable.wide_table()?),
        ("service_gap_places.csv", gap.place_table(ds)?),
        ("service_gap_place_hours.csv", gap.place_hour_table(ds)?),
        (
            "service_gap_place_weekday_hours.csv",
            gap.place_weekday_hour_table(ds)?,
        ),
        ("outreach_windows.csv", outreach_table(&windows)?),
    ];
    for (name, df) in &mut tables {
        write_csv(df, &out.join(*name))?;
    }
    done(
        &pb,
        format!(
            "service gaps: {} of {} incidents had no open {} within {:.0} m; {} outreach windows ranked",
            gap.unmet,
            gap.incidents,
            kinds.as_ref().map_or("service".to_owned(), |k| k
                .iter()
                .map(ServiceKind::as_str)
                .collect::<Vec<_>>()
                .join("/")),
            p.gap_distance,
            windows.len()
        ),
    );
    Ok(ServicesOut {
        timetable,
        gap,
        windows,
    })
}

/// Place profiles and ranking: `places.geojson`, `place_profiles.csv`, `place_hour_season.csv`.
pub(crate) fn profiles(
    args: &Options,
    ds: &Dataset,
    index: &SpatialIndex,
    place_of: &[u32],
    binning: &TimeBinning,
    stamp: &dyn Fn(&mut Layer),
) -> byrum::Result<PlaceProfilesResult> {
    let pb = spinner("place profiles and ranking");
    let metric = match args.planner.rank_by.as_str() {
        "per-area" | "per_area" => RankMetric::PerHourPer1000m2,
        "per-hour" | "per_hour" => RankMetric::PerHour,
        other => RankMetric::parse(other)?,
    };
    let out = PlaceProfiles::new()
        .min_count(args.min_count)
        .metric(metric)
        .compute(ds, index, place_of, binning)?;
    let mut layer = out.layer();
    stamp(&mut layer);
    layer.write(&args.out.join("places.geojson"))?;
    write_csv(&mut out.table()?, &args.out.join("place_profiles.csv"))?;
    write_csv(
        &mut out.hour_season_table()?,
        &args.out.join("place_hour_season.csv"),
    )?;
    done(
        &pb,
        format!(
            "profiled {} places, ranked {} by {}",
            out.places.len(),
            out.ranking.len(),
            metric.as_str()
        ),
    );
    Ok(out)
}

/// What the route analysis gives the report.
pub(crate) struct RoutesOut {
    pub segments: RouteSegments,
    pub coverage: HotSpotCoverage,
    pub places: Vec<PlaceCoverage>,
}

/// Route segments with counts, rates and effort-corrected rates per bin, and
/// the Gi* hot spots and places no outreach route reaches in their peak
/// hours: `route_segments.geojson`, `hot_spot_coverage.geojson`,
/// `place_route_coverage.csv`.
pub(crate) fn routes(
    args: &Options,
    ds: &Dataset,
    binning: &TimeBinning,
    spec: &BinSpec,
    bins: &[u32],
    hotspots: &H3HotSpots,
    profiles: &PlaceProfilesResult,
    stamp: &dyn Fn(&mut Layer),
) -> byrum::Result<RoutesOut> {
    let p = &args.planner;
    let pb = spinner("routes: segments, effort, hot-spot coverage");
    let rule = match p.hot_cells.as_str() {
        "fdr" => HotCellRule::Fdr,
        "90" => HotCellRule::Class90,
        "95" => HotCellRule::Class95,
        "99" => HotCellRule::Class99,
        other => {
            return Err(byrum::Error::Parameter {
                name: "--hot-cells",
                reason: format!("{other:?}: use fdr, 90, 95 or 99"),
            });
        }
    };
    let segments = RouteSegmentation {
        segment_m: p.segment_length,
        buffer_m: p.route_buffer,
    }
    .compute(ds, binning, spec, bins)?;
    let coverage = segments.hot_spot_coverage(hotspots, &ds.projection, rule)?;
    let places = segments.place_coverage(profiles, &ds.projection)?;
    write_csv(
        &mut place_coverage_table(&places)?,
        &args.out.join("place_route_coverage.csv"),
    )?;
    let mut layer = segments.layer(&ds.projection, args.min_count)?;
    stamp(&mut layer);
    layer.write(&args.out.join("route_segments.geojson"))?;
    let mut layer = coverage.layer(&segments, args.min_count);
    stamp(&mut layer);
    layer.write(&args.out.join("hot_spot_coverage.geojson"))?;
    done(
        &pb,
        format!(
            "{} routes in {} segments of {:.0} m; {} of {} hot cells ({}) not reached by an outreach route in their peak hours",
            segments.routes.len(),
            segments.pieces.len(),
            p.segment_length,
            coverage.uncovered().count(),
            coverage.cells.len(),
            rule.describe()
        ),
    );
    Ok(RoutesOut {
        segments,
        coverage,
        places,
    })
}

/// Mobile safe havens: greedy maximal coverage over all hours and per map
/// bin: `safe_havens.geojson`, `safe_haven_coverage.geojson`.
pub(crate) fn havens(
    args: &Options,
    ds: &Dataset,
    bins: &[u32],
    labels: &[String],
    stamp: &dyn Fn(&mut Layer),
) -> byrum::Result<(SafeHavens, SafeHavens)> {
    let p = &args.planner;
    let pb = spinner("siting mobile safe havens");
    let candidates = match p.haven_candidates.trim().parse::<f64>() {
        Ok(spacing_m) => Candidates::Grid { spacing_m },
        Err(_) => Candidates::Points(read_points(Path::new(p.haven_candidates.trim()))?),
    };
    let siting = SafeHavenSiting {
        radius_m: p.haven_radius,
        sites: p.havens,
        candidates,
    };
    let all = siting.compute(ds, None)?;
    let per_bin = siting.compute(ds, Some((bins, labels)))?;
    let mut points = all.layer(args.min_count);
    let mut discs = all.coverage_layer(&ds.projection, args.min_count)?;
    stamp(&mut points);
    stamp(&mut discs);
    points.write(&args.out.join("safe_havens.geojson"))?;
    discs.write(&args.out.join("safe_haven_coverage.geojson"))?;
    let mut layer = per_bin.layer(args.min_count);
    stamp(&mut layer);
    layer.write(&args.out.join("safe_havens_per_bin.geojson"))?;
    done(
        &pb,
        format!(
            "{} safe havens of {:.0} m from {} candidates cover {:.1} % of incidents",
            all.picks.len(),
            p.haven_radius,
            all.candidates.len(),
            all.picks.last().map_or(0.0, |s| 100.0 * s.cumulative_share)
        ),
    );
    Ok((all, per_bin))
}

/// Points of a GeoJSON file (Point or MultiPoint features), as lon/lat.
fn read_points(path: &Path) -> byrum::Result<Vec<(f64, f64)>> {
    let text = std::fs::read_to_string(path).map_err(|e| byrum::Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source: e,
    })?;
    let bad = |why: String| byrum::Error::Input {
        path: path.to_path_buf(),
        message: why,
    };
    let gj: geojson::GeoJson = text.parse().map_err(|e| {
        bad(format!(
            "not GeoJSON ({e}); give candidate sites as GeoJSON points or a grid spacing in metres"
        ))
    })?;
    let fc = geojson::FeatureCollection::try_from(gj)
        .map_err(|e| bad(format!("not a FeatureCollection ({e})")))?;
    let mut out = Vec::new();
    for (i, f) in fc.features.iter().enumerate() {
        let geometry = f
            .geometry
            .clone()
            .and_then(|g| geo::Geometry::<f64>::try_from(g).ok());
        match geometry {
            Some(geo::Geometry::Point(p)) => out.push((p.x(), p.y())),
            Some(geo::Geometry::MultiPoint(ps)) => out.extend(ps.iter().map(|p| (p.x(), p.y()))),
            _ => {
                return Err(bad(format!(
                    "feature {} is not a point; candidate sites must be points",
                    i + 1
                )));
            }
        }
    }
    if out.is_empty() {
        return Err(bad("no candidate points in the file".into()));
    }
    Ok(out)
}

/// Interventions from the file given or `interventions.csv` in the input
/// folder, evaluated: `interventions.csv` (results) and `interventions.geojson`.
pub(crate) fn interventions(
    args: &Options,
    ds: &Dataset,
    index: &SpatialIndex,
    input: Option<&Path>,
    stamp: &dyn Fn(&mut Layer),
) -> byrum::Result<Option<(Evaluations, IngestReport)>> {
    let path = match (&args.planner.eval.interventions, input) {
        (Some(p), _) => p.clone(),
        (None, Some(dir)) if dir.join("interventions.csv").is_file() => {
            dir.join("interventions.csv")
        }
        _ => return Ok(None),
    };
    let pb = spinner("evaluating interventions");
    let (list, report) = read_interventions(&path, &ds.places)?;
    let eval = Evaluation::new()
        .min_count(args.min_count)
        .buffer_m(args.planner.eval.evaluation_ring)
        .evaluate_all(ds, index, &list)?;
    write_csv(
        &mut eval.table()?,
        &args.out.join("intervention_results.csv"),
    )?;
    let mut layer = eval.layer();
    stamp(&mut layer);
    layer.write(&args.out.join("interventions.geojson"))?;
    done(
        &pb,
        format!(
            "evaluated {} of {} interventions from {}",
            eval.results.len(),
            list.len(),
            path.display()
        ),
    );
    Ok(Some((eval, report)))
}
