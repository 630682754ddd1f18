//! `byrum inspect`: what is in the inputs, and what would be rejected and why,
//! without writing anything.

use std::collections::BTreeMap;

use byrum::{DatasetBuilder, IngestReport, IngestSummary, read_interventions};
use serde_json::{Value, json};

use super::args::InspectCmd;
use super::pipeline::{Inputs, incident_reader, min_max, read_extras};
use super::ui;

/// What `inspect` found: the JSON document of `--json`, and whether any row
/// would be rejected.
pub(crate) struct Inspection {
    /// The document.
    pub json: Value,
    /// Rows rejected over all inputs.
    pub rejected: u64,
}

/// Prints one input's report: counts, reasons, the first rejected lines, warnings.
fn print_report(r: &IngestReport, show: usize) {
    ui::say(&format!(
        "{} ({}): {} rows read, {} would be used, {} would be rejected",
        r.file, r.kind, r.read, r.accepted, r.rejected
    ));
    for (reason, n) in &r.rejected_by_reason {
        ui::say(&format!("  rejected {n:>7}: {reason}"));
    }
    for rej in r.rejections.iter().take(show) {
        ui::say(&format!(
            "    {}:{}: {} — {}",
            rej.file, rej.line, rej.reason, rej.detail
        ));
    }
    if r.rejected > 0 && (r.rejections.len() > show || r.rejected as usize > r.rejections.len()) {
        ui::say(&format!(
            "    … {} more rejected rows (--show N lists more; ingest_report.json of a run lists up to {})",
            r.rejected as usize - r.rejections.len().min(show),
            byrum::MAX_LISTED
        ));
    }
    for (kind, n) in &r.warnings_by_kind {
        let example = r
            .warnings
            .iter()
            .find(|w| &w.kind == kind)
            .map(|w| match w.line {
                Some(l) => format!(" (e.g. line {l}: {})", w.message),
                None => format!(": {}", w.message),
            })
            .unwrap_or_default();
        ui::say(&format!("  warning {n:>7}: {kind}{example}"));
    }
}

/// Reads every input the options name or the folder holds and reports on it.
pub(crate) fn inspect(cmd: &InspectCmd) -> byrum::Result<Inspection> {
    let data = &cmd.data;
    let inputs = Inputs::find(data)?;
    let reader = incident_reader(data)?;
    let batch = reader.read_path(&inputs.incidents)?;
    print_report(&batch.report, cmd.show);
    let inc = &batch.incidents;

    // What the accepted rows hold.
    let mut per_category: BTreeMap<String, u64> = BTreeMap::new();
    for i in 0..inc.len() {
        *per_category
            .entry(inc.category_of(i).to_owned())
            .or_default() += 1;
    }
    let bbox = (!inc.is_empty()).then(|| {
        let (w, e) = min_max(&inc.lon);
        let (s, n) = min_max(&inc.lat);
        [w, s, e, n]
    });
    if let Some([w, s, e, n]) = bbox {
        ui::say(&format!(
            "  accepted rows lie in lon {w:.5} – {e:.5}, lat {s:.5} – {n:.5}"
        ));
    }
    if !per_category.is_empty() {
        ui::say(&format!(
            "  categories: {}",
            per_category
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut reports = vec![batch.report.clone()];
    let (places, services, routes) = read_extras(&inputs, &data.country, false)?;
    let place_list: Vec<byrum::Place> = places.as_ref().map(|(p, _)| p.clone()).unwrap_or_default();
    let mut names = json!({});
    if let Some((p, r)) = &places {
        print_report(r, cmd.show);
        ui::say(&format!(
            "  places: {}",
            p.iter()
                .map(|x| x.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        names["places"] = json!(p.iter().map(|x| &x.name).collect::<Vec<_>>());
        reports.push(r.clone());
    }
    if let Some((s, r)) = &services {
        print_report(r, cmd.show);
        for x in s {
            ui::say(&format!(
                "  service {} ({}): {}",
                x.name,
                x.kind.as_str(),
                x.opening_hours
                    .as_ref()
                    .map_or("no opening_hours", byrum::Schedule::text)
            ));
        }
        reports.push(r.clone());
    }
    if let Some((_, r)) = &routes {
        print_report(r, cmd.show);
        reports.push(r.clone());
    }
    let interventions = cmd.interventions.clone().or_else(|| {
        inputs
            .dir
            .as_ref()
            .map(|d| d.join("interventions.csv"))
            .filter(|p| p.is_file())
    });
    if let Some(p) = &interventions {
        let (_, r) = read_interventions(p, &place_list)?;
        print_report(&r, cmd.show);
        reports.push(r);
    }

    // The period, zone and projection a run would use.
    let mut builder = DatasetBuilder::new().incidents(batch);
    if let Some((v, r)) = places {
        builder = builder.places(v, r);
    }
    if let Some(tz) = &data.tz {
        builder = builder.zone(byrum::parse_zone_suggesting(tz)?);
    }
    let ds = builder.build()?;
    let (first, last) = ds.period.describe(ds.zone);
    ui::say(&format!(
        "a run would use: time zone {}, projection EPSG:{}, period {first} – {last} ({:.0} hours)",
        ds.zone.name(),
        ds.projection.epsg(),
        ds.period.hours()
    ));
    let setting = json!({
        "time_zone": ds.zone.name(),
        "projection": format!("EPSG:{}", ds.projection.epsg()),
        "first_day": first,
        "last_day": last,
        "hours": ds.period.hours(),
    });
    let summary = IngestSummary::of(reports);
    if summary.rejected == 0 {
        ui::say("every row would be used");
    } else {
        ui::say(&format!(
            "{} of {} rows would be rejected; the reasons above name the fix",
            summary.rejected, summary.read
        ));
    }
    let rejected = summary.rejected;
    Ok(Inspection {
        json: json!({
            "ingest": summary,
            "categories": per_category,
            "bbox_lon_lat": bbox,
            "run": setting,
            "names": names,
        }),
        rejected,
    })
}
