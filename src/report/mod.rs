//! The planner report (`report.md`, `report.html`): the action plan's
//! questions answered in plain language, English or Danish, every number
//! traceable to a file in the output folder.

mod havens;
mod interventions;
mod places;
mod routes;
mod services;

use std::path::Path;

use crate::dataset::Dataset;
use crate::document::{Document, Lang, escape_markdown};
use crate::emerging::EmergingCategory;
use crate::error::Result;
use crate::evaluation::Evaluations;
use crate::hotspot::{H3Emerging, H3HotSpots};
use crate::ingest::IngestSummary;
use crate::opening::Timetable;
use crate::output::write_atomic;
use crate::profile::PlaceProfilesResult;
use crate::route_segments::{HotSpotCoverage, PlaceCoverage, RouteSegments};
use crate::service_gap::{OutreachWindow, ServiceGapResult};
use crate::siting::SafeHavens;

/// A planner's report: the action plan's questions answered in plain
/// language, English or Danish, from the results of the analyses. Every
/// paragraph names the output file its numbers come from (the names the
/// `report` example writes), and no sentence or table shows a count from 1
/// to `min_count − 1`.
///
/// Fill in what was computed; sections without results are left out.
///
/// ```no_run
/// # fn run(ds: &byrum::Dataset, hotspots: &byrum::H3HotSpots, summary: &byrum::IngestSummary) -> byrum::Result<()> {
/// use byrum::{Lang, PlannerReport};
/// let report = PlannerReport::new(ds, summary, hotspots, Lang::Da);
/// report.write(std::path::Path::new("out"))?; // report.md and report.html
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PlannerReport<'a> {
    /// The data set analysed.
    pub ds: &'a Dataset,
    /// The language of the text and its number style.
    pub lang: Lang,
    /// Counts from 1 to `min_count − 1` are written "fewer than k" (default 5).
    pub min_count: u64,
    /// What was read, used and rejected.
    pub summary: &'a IngestSummary,
    /// Incidents and real hours per hour × season bin: (label, count, hours).
    pub time_bins: Vec<(String, u64, f64)>,
    /// Gi* hot spots.
    pub hotspots: &'a H3HotSpots,
    /// Emerging hot spots, if computed.
    pub emerging: Option<&'a H3Emerging>,
    /// Whether heatmap tiles were written (for the list of files).
    pub tiles: bool,
    /// Place profiles and ranking.
    pub profiles: Option<&'a PlaceProfilesResult>,
    /// Services, service gaps and outreach windows.
    pub services: Option<ServiceFindings<'a>>,
    /// Route segments and hot-spot coverage.
    pub routes: Option<RouteFindings<'a>>,
    /// Safe havens over all hours.
    pub havens: Option<&'a SafeHavens>,
    /// Safe havens per hour × season bin (same labels as `time_bins`).
    pub havens_per_bin: Option<&'a SafeHavens>,
    /// Evaluated interventions.
    pub evaluations: Option<&'a Evaluations>,
}

/// The services results a report quotes.
#[derive(Debug, Clone, Copy)]
pub struct ServiceFindings<'a> {
    /// Services open per hour of the week and season.
    pub timetable: &'a Timetable,
    /// Incidents no open service reached.
    pub gap: &'a ServiceGapResult,
    /// Ranked outreach windows.
    pub windows: &'a [OutreachWindow],
}

/// The route results a report quotes.
#[derive(Debug, Clone, Copy)]
pub struct RouteFindings<'a> {
    /// Route segments with counts and effort-corrected rates.
    pub segments: &'a RouteSegments,
    /// Significant hot spots and whether outreach reaches them at their peak.
    pub coverage: &'a HotSpotCoverage,
    /// Places and whether outreach reaches them at their peak.
    pub places: &'a [PlaceCoverage],
}

impl<'a> PlannerReport<'a> {
    /// A report with the data, the ingest summary and the hot spots; set the
    /// other fields for the analyses that were run.
    #[must_use]
    pub fn new(
        ds: &'a Dataset,
        summary: &'a IngestSummary,
        hotspots: &'a H3HotSpots,
        lang: Lang,
    ) -> Self {
        Self {
            ds,
            lang,
            min_count: 5,
            summary,
            time_bins: Vec::new(),
            hotspots,
            emerging: None,
            tiles: false,
            profiles: None,
            services: None,
            routes: None,
            havens: None,
            havens_per_bin: None,
            evaluations: None,
        }
    }

    /// The report as a document (Markdown, and HTML through [`Document::html`]).
    #[must_use]
    pub fn document(&self) -> Document {
        build(self)
    }

    /// Writes `report.md` and `report.html` into `dir`; returns their names.
    ///
    /// # Errors
    /// [`Error::Io`](crate::Error::Io) if a file cannot be written.
    pub fn write(&self, dir: &Path) -> Result<Vec<String>> {
        let doc = self.document();
        write_atomic(&dir.join("report.md"), doc.markdown().as_bytes())?;
        write_atomic(&dir.join("report.html"), doc.html().as_bytes())?;
        Ok(vec!["report.md".into(), "report.html".into()])
    }
}

type Facts<'a> = PlannerReport<'a>;

/// A count as a report may show it: below the privacy threshold it reads "fewer than k".
pub(crate) fn count(lang: Lang, n: u64, k: u64) -> String {
    if shown(n, k) {
        lang.int(n)
    } else {
        format!("{} {k}", lang.pick("fewer than", "færre end"))
    }
}

/// Whether a count may be shown: 0, or at least `k`.
pub(crate) fn shown(n: u64, k: u64) -> bool {
    !crate::privacy::is_suppressed(n, k)
}

/// A number derived from counts (a rate, a share), or "–" when any of the
/// counts is withheld: a rate would give the count away.
pub(crate) fn derived(counts: &[u64], k: u64, text: impl FnOnce() -> String) -> String {
    if counts.iter().all(|&n| shown(n, k)) {
        text()
    } else {
        "–".to_owned()
    }
}

/// A p-value: three decimals, or "< 0.001".
pub(crate) fn p_value(lang: Lang, p: f64) -> String {
    if p < 0.001 {
        format!("< {}", lang.num(0.001, 3))
    } else {
        format!("= {}", lang.num(p, 3))
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

/// A time-bin label such as `21-24_winter` in words: "21–24 h, winter" in
/// English, "kl. 21–24, vinter" in Danish.
///
/// ```
/// use byrum::{Lang, describe_bin};
/// assert_eq!(describe_bin(Lang::En, "21-24_winter"), "21–24 h, winter");
/// assert_eq!(describe_bin(Lang::Da, "06-09_weekend_summer_dark"), "kl. 06–09, weekend, sommer, mørkt");
/// ```
#[must_use]
pub fn describe_bin(lang: Lang, label: &str) -> String {
    match lang {
        Lang::En => match label.split_once('_') {
            Some((hours, rest)) => {
                format!("{} h, {}", hours.replace('-', "–"), rest.replace('_', ", "))
            }
            None => label.to_owned(),
        },
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
    let hidden = f.min_count - 1;
    doc.paragraph(&match l {
        Lang::En => format!(
            "This report answers the action plan's questions from the incident log of {first} to {last}: which places attract the groups and when, how that relates to the services and their opening hours, where the outreach routes go, where mobile safe havens would reach the most, and whether interventions worked. Every number names the file in this folder it comes from. Counts of 1 to {hidden} are not shown (privacy)."
        ),
        Lang::Da => format!(
            "Rapporten besvarer handleplanens spørgsmål ud fra hændelsesloggen fra {first} til {last}: hvilke steder tiltrækker grupperne og hvornår, hvordan det hænger sammen med tilbuddene og deres åbningstider, hvor de opsøgende ruter går, hvor mobile hellesteder vil nå flest, og om indsatserne virkede. Ved hvert tal står den fil i mappen, det kommer fra. Antal fra 1 til {hidden} vises ikke (hensyn til de personer, data handler om)."
        ),
    });

    let mut findings: Vec<String> = Vec::new();
    if let Some(p) = f.profiles {
        findings.extend(places::key_findings(f, p));
    }
    if let Some(s) = &f.services {
        findings.extend(services::key_findings(f, s));
    }
    if let Some(r) = &f.routes {
        findings.extend(routes::key_findings(f, r));
    }
    if let Some(h) = f.havens {
        findings.extend(havens::key_findings(f, h));
    }
    if let Some(e) = f.evaluations {
        findings.extend(interventions::key_findings(f, e));
    }
    if !findings.is_empty() {
        doc.heading(2, l.pick("Key findings", "Hovedresultater"));
        doc.list(&findings);
    }

    data_section(&mut doc, f);
    if let Some(p) = f.profiles {
        places::section(&mut doc, f, p);
    }
    time_section(&mut doc, f);
    hotspot_section(&mut doc, f);
    if let Some(s) = &f.services {
        services::section(&mut doc, f, s);
    }
    if let Some(r) = &f.routes {
        routes::section(&mut doc, f, r);
    }
    if let Some(h) = f.havens {
        havens::section(&mut doc, f, h, f.havens_per_bin);
    }
    if let Some(e) = f.evaluations {
        interventions::section(&mut doc, f, e);
    }
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
                .map(|(k, n)| format!("{} × `{k}`", count(l, *n, f.min_count)))
                .collect()
        })
        .unwrap_or_default();
    if reasons.is_empty() {
        reasons.push(l.pick("none", "ingen").to_owned());
    }
    let read = count(l, read, f.min_count);
    let accepted = count(l, accepted, f.min_count);
    let rejected = count(l, rejected, f.min_count);
    let reasons = reasons.join(", ");
    let zone = ds.zone.name();
    let epsg = ds.projection.epsg();
    let hours = l.int(ds.period.hours().round() as u64);
    doc.paragraph(&match l {
        Lang::En => format!(
            "{read} incident rows were read, {accepted} used and {rejected} rejected ({reasons}). Times are local time in {zone} (daylight saving included); distances are metres in EPSG:{epsg}. The period covers {hours} hours."
        ),
        Lang::Da => format!(
            "{read} rækker med hændelser blev læst, {accepted} brugt og {rejected} afvist ({reasons}). Tider er lokal tid i {zone} (med sommertid); afstande er meter i EPSG:{epsg}. Perioden dækker {hours} timer."
        ),
    });
    // File-level warnings a planner must act on.
    let serious: Vec<String> = f
        .summary
        .warnings
        .iter()
        .filter(|w| w.line.is_none() && matches!(w.kind.as_str(), "lon_lat_swapped" | "no_rows"))
        .map(|w| {
            format!(
                "**{}** {}",
                l.pick("Warning:", "Advarsel:"),
                escape_markdown(&w.message)
            )
        })
        .collect();
    if !serious.is_empty() {
        doc.list(&serious);
    }
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
    // The bins add up to the total, as in time_bins.csv: the same parts are withheld.
    let counts: Vec<u64> = f.time_bins.iter().map(|t| t.1).collect();
    let withheld = crate::privacy::withheld_parts(&counts, k);
    let mut ranked: Vec<usize> = (0..f.time_bins.len())
        .filter(|&i| f.time_bins[i].2 > 0.0)
        .collect();
    let rate = |i: usize| {
        let (_, n, h) = &f.time_bins[i];
        *n as f64 / h
    };
    ranked.sort_by(|&a, &b| {
        rate(b)
            .total_cmp(&rate(a))
            .then(f.time_bins[a].0.cmp(&f.time_bins[b].0))
    });
    if let (Some(&top), Some(&low)) = (ranked.first(), ranked.last())
        && !withheld[top]
        && !withheld[low]
    {
        let top_bin = describe_bin(l, &f.time_bins[top].0);
        let top_rate = l.sig(rate(top));
        let top_count = count(l, f.time_bins[top].1, k);
        let low_bin = describe_bin(l, &f.time_bins[low].0);
        let low_rate = l.sig(rate(low));
        doc.paragraph(&match l {
            Lang::En => format!(
                "Incidents are most frequent at {top_bin} ({top_rate} per hour on average, {top_count} incidents) and least frequent at {low_bin} ({low_rate} per hour)."
            ),
            Lang::Da => format!(
                "Hændelserne er hyppigst {top_bin} ({top_rate} i timen i gennemsnit, {top_count} hændelser) og sjældnest {low_bin} ({low_rate} i timen)."
            ),
        });
    }
    let rows: Vec<Vec<String>> = ranked
        .iter()
        .take(6)
        .map(|&i| {
            let (label, n, hours) = &f.time_bins[i];
            let hidden = withheld[i];
            vec![
                describe_bin(l, label),
                if hidden && shown(*n, k) {
                    "–".to_owned()
                } else {
                    count(l, *n, k)
                },
                l.int(hours.round() as u64),
                if hidden {
                    "–".to_owned()
                } else {
                    l.sig(rate(i))
                },
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
    let cells = l.int(h.cells.len() as u64);
    doc.paragraph(&match l {
        Lang::En => format!(
            "Of {cells} H3 cells analysed, {hot} are hot spots at 90 % confidence or more ({fdr} still after the false discovery rate correction) and {cold} are cold spots."
        ),
        Lang::Da => format!(
            "Af {cells} analyserede H3-celler er {hot} hot spots med mindst 90 % sikkerhed ({fdr} også efter korrektion for mange test) og {cold} er cold spots."
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
            let periods = e.periods.len();
            let items = items.join("; ");
            doc.paragraph(&match l {
                Lang::En => format!(
                    "Over {periods} periods, the emerging hot spot analysis finds: {items}."
                ),
                Lang::Da => format!(
                    "Over {periods} perioder finder analysen af nye og skiftende hot spots: {items}."
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
    if f.profiles.is_some() {
        rows.extend(places::FILES);
    }
    if f.services.is_some() {
        rows.extend(services::FILES);
    }
    if f.routes.is_some() {
        rows.extend(routes::FILES);
    }
    if f.havens.is_some() {
        rows.extend(havens::FILES);
    }
    if f.evaluations.is_some() {
        rows.extend(interventions::FILES);
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
