//! The planner analyses of the report (issue 5): services and their opening
//! hours, service-gap hours and outreach windows, place profiles, routes,
//! safe-haven sites and interventions. Each function computes, writes its
//! layers and tables, and returns what the report quotes.

use byrum::{
    Dataset, Layer, OutreachWindow, OutreachWindows, ServiceGap, ServiceGapResult, ServiceKind,
    SpatialIndex, TimeBinning, Timetable, outreach_table, services_layer, write_csv,
};

use crate::{Args, done, spinner};

/// Options of the planner analyses.
#[derive(Debug, clap::Args)]
pub(crate) struct PlannerArgs {
    /// Service kinds that count as help for the service-gap hours
    /// (comma-separated: warming_room, drop_in_centre, shelter, health_room,
    /// toilet, outreach, or any kind in the services file; "all" for every kind).
    #[arg(
        long,
        default_value = "warming_room,drop_in_centre,shelter,health_room,outreach"
    )]
    pub gap_kinds: String,
    /// Walking distance in metres (straight line) within which an open service reaches an incident.
    #[arg(long, default_value_t = 500.0)]
    pub gap_distance: f64,
    /// Length of an outreach window in hours (1-24).
    #[arg(long, default_value_t = 3)]
    pub outreach_hours: u32,
    /// How many outreach windows to list.
    #[arg(long, default_value_t = 20)]
    pub outreach_windows: usize,
}

/// What the services analysis gives the report.
pub(crate) struct ServicesOut {
    pub timetable: Timetable,
    pub gap: ServiceGapResult,
    pub windows: Vec<OutreachWindow>,
    pub kinds: Option<Vec<ServiceKind>>,
    pub files: Vec<String>,
}

/// Services: weekly timetable, service-gap hours per place and hour, ranked
/// outreach windows, the services layer with open shares per map bin.
pub(crate) fn services(
    args: &Args,
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
    let mut files = Vec::new();
    let mut layer = services_layer(ds, &timetable, shares, labels)?;
    stamp(&mut layer);
    layer.write(&out.join("services.geojson"))?;
    files.push("services.geojson".to_owned());
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
        files.push((*name).to_owned());
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
        kinds,
        files,
    })
}
