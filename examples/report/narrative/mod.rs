//! The planner report (`report.md`, `report.html`): the action plan's
//! questions answered in plain language, English or Danish, every number
//! traceable to a file in the output folder.

mod services;

use byrum::{
    Document, EmergingCategory, Evaluations, H3Emerging, H3HotSpots, IngestSummary, Lang,
    PlaceProfilesResult, SafeHavens,
};

use crate::maps::pretty_bin;
use crate::planner::{RoutesOut, ServicesOut};

/// What the report quotes, gathered by the main job.
pub(crate) struct Facts<'a> {
    pub ds: &'a byrum::Dataset,
    pub lang: Lang,
    pub min_count: u64,
    pub summary: &'a IngestSummary,
    /// Hour × season bins: label, count, exposure hours.
    pub time_bins: Vec<(String, u64, f64)>,
    pub hotspots: &'a H3HotSpots,
    pub emerging: Option<&'a H3Emerging>,
    /// Whether heatmap tiles were written.
    pub tiles: bool,
    /// Services, service gaps and outreach windows.
    pub services: Option<&'a ServicesOut>,
    /// Place profiles and ranking.
    pub profiles: &'a PlaceProfilesResult,
    /// Route segments and hot-spot coverage (when there are routes).
    pub routes: Option<&'a RoutesOut>,
    /// Safe havens over all hours and per map bin.
    pub havens: &'a (SafeHavens, SafeHavens),
    /// Evaluated interventions (when an interventions file was given).
    pub evaluations: Option<&'a Evaluations>,
}

/// A count as a report may show it: below the privacy threshold it reads "fewer than k".
pub(crate) fn count(lang: Lang, n: u64, k: u64) -> String {
    if n > 0 && n < k {
        format!("{} {k}", lang.pick("fewer than", "færre end"))
    } else {
        lang.int(n)
    }
}

/// Season names in the report's language.
pub(crate) fn season(lang: Lang, name: &str) -> String {
    let da = match name {
        "winter" => "vinter",
        "spring" => "forår",
        "summer" => "sommer",
        "autumn" => "efterår",
        other => other,
    };
    lang.pick(name, da).to_owned()
}

/// Weekday names (`mon` … `sun`) in the report's language.
pub(crate) fn weekday(lang: Lang, name: &str) -> String {
    let (en, da) = match name {
        "mon" => ("Monday", "mandag"),
        "tue" => ("Tuesday", "tirsdag"),
        "wed" => ("Wednesday", "onsdag"),
        "thu" => ("Thursday", "torsdag"),
        "fri" => ("Friday", "fredag"),
        "sat" => ("Saturday", "lørdag"),
        "sun" => ("Sunday", "søndag"),
        other => (other, other),
    };
    lang.pick(en, da).to_owned()
}

/// A bin label such as `21-24_winter` in words: "21–24 h, winter" or "kl. 21–24, vinter".
pub(crate) fn bin(lang: Lang, label: &str) -> String {
    match lang {
        Lang::En => pretty_bin(label),
        Lang::Da => {
            let mut parts = label.split('_');
            let hours = parts.next().unwrap_or_default().replace('-', "–");
            let rest: Vec<String> = parts
                .map(|p| match p {
                    "weekday" => "hverdag".to_owned(),
                    "weekend" => "weekend".to_owned(),
                    "dark" => "mørkt".to_owned(),
                    "light" => "lyst".to_owned(),
                    s => season(lang, s),
                })
                .collect();
            if rest.is_empty() {
                format!("kl. {hours}")
            } else {
                format!("kl. {hours}, {}", rest.join(", "))
            }
        }
    }
}

/// Writes the report as Markdown and HTML.
pub(crate) fn write(facts: &Facts, out: &std::path::Path) -> byrum::Result<Vec<String>> {
    let doc = build(facts);
    byrum::write_atomic(&out.join("report.md"), doc.markdown().as_bytes())?;
    byrum::write_atomic(&out.join("report.html"), doc.html().as_bytes())?;
    Ok(vec!["report.md".into(), "report.html".into()])
}

fn build(f: &Facts) -> Document {
    let l = f.lang;
    let ds = f.ds;
    let (first, last) = ds.period.describe(ds.zone);
    let mut doc = Document::new(
        l.pick(
            "Where and when: incidents in squares and parks",
            "Hvor og hvornår: hændelser på pladser og i parker",
        ),
        l,
    );
    doc.paragraph(&match l {
        Lang::En => format!(
            "This report answers the action plan's questions from the incident log of {first} to {last}: which places attract the groups and when, how that relates to the services and their opening hours, where the outreach routes go, where mobile safe havens would reach the most, and whether interventions worked. Every number names the file in this folder it comes from. Counts of 1 to {} are not shown (privacy).",
            f.min_count - 1
        ),
        Lang::Da => format!(
            "Rapporten besvarer handleplanens spørgsmål ud fra hændelsesloggen fra {first} til {last}: hvilke steder tiltrækker grupperne og hvornår, hvordan det hænger sammen med tilbuddene og deres åbningstider, hvor de opsøgende ruter går, hvor mobile hellesteder vil nå flest, og om indsatserne virkede. Ved hvert tal står den fil i mappen, det kommer fra. Antal fra 1 til {} vises ikke (hensyn til de personer, data handler om).",
            f.min_count - 1
        ),
    });

    let mut findings: Vec<String> = Vec::new();
    if let Some(s) = f.services {
        findings.extend(services::key_findings(f, s));
    }
    if !findings.is_empty() {
        doc.heading(2, l.pick("Key findings", "Hovedresultater"));
        doc.list(&findings);
    }

    data_section(&mut doc, f);
    time_section(&mut doc, f);
    if let Some(s) = f.services {
        services::section(&mut doc, f, s);
    }
    hotspot_section(&mut doc, f);
    files_section(&mut doc, f);
    doc
}

fn data_section(doc: &mut Document, f: &Facts) {
    let l = f.lang;
    let ds = f.ds;
    let s = f.summary;
    let inc = s.inputs.first();
    doc.heading(2, l.pick("The data", "Data"));
    let (read, accepted, rejected) = inc.map_or((0, 0, 0), |r| (r.read, r.accepted, r.rejected));
    let mut reasons: Vec<String> = inc
        .map(|r| {
            r.rejected_by_reason
                .iter()
                .map(|(k, n)| format!("{} × `{k}`", l.int(*n)))
                .collect()
        })
        .unwrap_or_default();
    if reasons.is_empty() {
        reasons.push(l.pick("none", "ingen").to_owned());
    }
    doc.paragraph(&match l {
        Lang::En => format!(
            "{} incident rows were read, {} used and {} rejected ({}). Times are local time in {} (daylight saving included); distances are metres in EPSG:{}. The period covers {} hours.",
            l.int(read),
            l.int(accepted),
            l.int(rejected),
            reasons.join(", "),
            ds.zone.name(),
            ds.projection.epsg(),
            l.int(ds.period.hours().round() as u64)
        ),
        Lang::Da => format!(
            "{} rækker med hændelser blev læst, {} brugt og {} afvist ({}). Tider er lokal tid i {} (med sommertid); afstande er meter i EPSG:{}. Perioden dækker {} timer.",
            l.int(read),
            l.int(accepted),
            l.int(rejected),
            reasons.join(", "),
            ds.zone.name(),
            ds.projection.epsg(),
            l.int(ds.period.hours().round() as u64)
        ),
    });
    doc.source(&["ingest_report.json"]);
}

fn time_section(doc: &mut Document, f: &Facts) {
    let l = f.lang;
    let k = f.min_count;
    doc.heading(
        2,
        l.pick(
            "When: hour of day and season",
            "Hvornår: tid på døgnet og årstid",
        ),
    );
    let mut ranked: Vec<&(String, u64, f64)> =
        f.time_bins.iter().filter(|(_, _, h)| *h > 0.0).collect();
    let rate = |(_, n, h): &(String, u64, f64)| *n as f64 / h;
    ranked.sort_by(|a, b| rate(b).total_cmp(&rate(a)).then(a.0.cmp(&b.0)));
    if let (Some(top), Some(low)) = (ranked.first(), ranked.last()) {
        doc.paragraph(&match l {
            Lang::En => format!(
                "Incidents are most frequent at {} ({} per hour on average, {} incidents) and least frequent at {} ({} per hour).",
                bin(l, &top.0),
                l.sig(rate(top)),
                count(l, top.1, k),
                bin(l, &low.0),
                l.sig(rate(low))
            ),
            Lang::Da => format!(
                "Hændelserne er hyppigst {} ({} i timen i gennemsnit, {} hændelser) og sjældnest {} ({} i timen).",
                bin(l, &top.0),
                l.sig(rate(top)),
                count(l, top.1, k),
                bin(l, &low.0),
                l.sig(rate(low))
            ),
        });
    }
    let rows: Vec<Vec<String>> = ranked
        .iter()
        .take(6)
        .map(|t| {
            vec![
                bin(l, &t.0),
                count(l, t.1, k),
                l.int(t.2.round() as u64),
                l.sig(rate(t)),
            ]
        })
        .collect();
    doc.table(
        &[
            l.pick("Time", "Tidsrum"),
            l.pick("Incidents", "Hændelser"),
            l.pick("Hours in period", "Timer i perioden"),
            l.pick("Per hour", "Pr. time"),
        ],
        &rows,
    );
    doc.source(&["time_bins.csv"]);
    {
        doc.image(
            "images/small_multiples.png",
            l.pick("Density by hour and season", "Tæthed efter time og årstid"),
            l.pick(
                "Kernel density per hour bucket (rows) and season (columns), one colour scale.",
                "Kernetæthed pr. tidsrum (rækker) og årstid (kolonner), én farveskala.",
            ),
        );
    }
}

fn hotspot_section(doc: &mut Document, f: &Facts) {
    let l = f.lang;
    let h = f.hotspots;
    doc.heading(2, l.pick("Hot spots (Gi*)", "Hot spots (Gi*)"));
    let hot = h.overall.class.iter().filter(|c| c.is_hot()).count();
    let cold = h.overall.class.iter().filter(|c| c.is_cold()).count();
    let fdr = h
        .overall
        .class
        .iter()
        .zip(&h.overall.fdr_significant)
        .filter(|(c, s)| c.is_hot() && **s)
        .count();
    doc.paragraph(&match l {
        Lang::En => format!(
            "Of {} H3 cells analysed, {hot} are hot spots at 90 % confidence or more ({fdr} still after the false discovery rate correction) and {cold} are cold spots.",
            l.int(h.cells.len() as u64)
        ),
        Lang::Da => format!(
            "Af {} analyserede H3-celler er {hot} hot spots med mindst 90 % sikkerhed ({fdr} også efter korrektion for mange test) og {cold} er cold spots.",
            l.int(h.cells.len() as u64)
        ),
    });
    doc.source(&["gistar_h3.geojson"]);
    if let Some(e) = f.emerging {
        let mut by: Vec<(EmergingCategory, usize)> = EmergingCategory::ALL
            .iter()
            .map(|&c| (c, e.result.category.iter().filter(|&&x| x == c).count()))
            .filter(|(c, n)| *n > 0 && c.is_hot())
            .collect();
        by.sort_by_key(|x| std::cmp::Reverse(x.1));
        if !by.is_empty() {
            let items: Vec<String> = by
                .iter()
                .map(|(c, n)| format!("{}: {n}", c.label()))
                .collect();
            doc.paragraph(&match l {
                Lang::En => format!(
                    "Over {} periods, the emerging hot spot analysis finds: {}.",
                    e.periods.len(),
                    items.join("; ")
                ),
                Lang::Da => format!(
                    "Over {} perioder finder analysen af nye og skiftende hot spots: {}.",
                    e.periods.len(),
                    items.join("; ")
                ),
            });
            doc.source(&["emerging_h3.geojson"]);
        }
    }
}

fn files_section(doc: &mut Document, f: &Facts) {
    let l = f.lang;
    doc.heading(2, l.pick("Files in this folder", "Filer i mappen"));
    let mut rows: Vec<(&str, &str, &str)> = vec![
        (
            "ingest_report.json",
            "every row read: used or rejected, with the reason",
            "alle læste rækker: brugt eller afvist, med årsag",
        ),
        (
            "time_bins.csv",
            "incidents and hours per hour bucket and season",
            "hændelser og timer pr. tidsrum og årstid",
        ),
        (
            "place_time_bins.csv",
            "incidents per place and time bin",
            "hændelser pr. sted og tidsrum",
        ),
        (
            "hotspots_h3.geojson",
            "incidents per H3 cell and time bin",
            "hændelser pr. H3-celle og tidsrum",
        ),
        (
            "gistar_h3.geojson",
            "Gi* hot and cold spots",
            "Gi* hot og cold spots",
        ),
        ("kde_isolines.geojson", "density contours", "tæthedskurver"),
    ];
    if f.emerging.is_some() {
        rows.push((
            "emerging_h3.geojson",
            "emerging hot spots",
            "nye og skiftende hot spots",
        ));
    }
    if f.services.is_some() {
        rows.extend(services::FILES);
    }
    rows.push((
        "images/",
        "overview maps per time bin and the legend",
        "oversigtskort pr. tidsrum og signaturforklaring",
    ));
    if f.tiles {
        rows.push((
            "tiles/",
            "heatmap tiles per time bin (XYZ, MBTiles, PMTiles)",
            "heatmap-fliser pr. tidsrum (XYZ, MBTiles, PMTiles)",
        ));
    }
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(file, en, da)| vec![format!("`{file}`"), l.pick(en, da).to_owned()])
        .collect();
    doc.table(&[l.pick("File", "Fil"), l.pick("What", "Indhold")], &rows);
}
