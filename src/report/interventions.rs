//! Did the interventions work? Before and after, against control places, with
//! displacement into the surroundings and, for lighting, darkness against daylight.

use crate::change::RateRatio;
use crate::document::{Document, Lang, escape_markdown};
use crate::evaluation::{Estimate, Evaluations, InterventionResult, WdqReading, WindowRule};
use crate::read::interventions::InterventionKind;

use super::{Facts, count, p_value, shown};

/// The files this section's numbers come from: (file, English, Danish).
pub(crate) const FILES: [(&str, &str, &str); 2] = [
    (
        "intervention_results.csv",
        "every intervention's windows, counts, ratios, intervals and displacement",
        "hver indsats' perioder, antal, forhold, intervaller og fortrængning",
    ),
    (
        "interventions.geojson",
        "the intervention places and their surrounding rings, with the results",
        "indsatsstederne og ringene omkring dem, med resultaterne",
    ),
];

fn kind_text(l: Lang, k: &InterventionKind) -> String {
    match k {
        InterventionKind::Lighting => l.pick("New lighting", "Ny belysning").to_owned(),
        InterventionKind::Benches => l.pick("Benches", "Bænke").to_owned(),
        InterventionKind::Service => l.pick("Service change", "Ændret tilbud").to_owned(),
        InterventionKind::Other(s) => s.clone(),
    }
}

/// "0.89 (0.84–0.94)".
fn ratio_ci(l: Lang, v: f64, lo: f64, hi: f64) -> String {
    format!("{} ({}–{})", l.num(v, 2), l.num(lo, 2), l.num(hi, 2))
}

fn rr_text(l: Lang, r: &RateRatio) -> String {
    ratio_ci(l, r.ratio, r.ratio_low, r.ratio_high)
}

fn est_text(l: Lang, e: &Estimate) -> String {
    ratio_ci(l, e.estimate, e.low, e.high)
}

/// "a clear fall of 11 %", "no clear change", "a clear rise of 8 %".
fn verdict(l: Lang, ratio: f64, significant: bool) -> String {
    if !significant || !ratio.is_finite() {
        return l.pick("no clear change", "ingen klar ændring").to_owned();
    }
    let pct = l.pct((ratio - 1.0).abs(), 0);
    if ratio < 1.0 {
        match l {
            Lang::En => format!("a clear fall of {pct}"),
            Lang::Da => format!("et klart fald på {pct}"),
        }
    } else {
        match l {
            Lang::En => format!("a clear rise of {pct}"),
            Lang::Da => format!("en klar stigning på {pct}"),
        }
    }
}

pub(crate) fn key_findings(f: &Facts, e: &Evaluations) -> Vec<String> {
    let l = f.lang;
    let k = f.min_count;
    e.results
        .iter()
        .filter(|r| shown(r.treated.count_a, k) && shown(r.treated.count_b, k))
        .filter(|r| {
            r.control
                .as_ref()
                .is_none_or(|c| shown(c.count_a, k) && shown(c.count_b, k))
        })
        .map(|r| {
            let (ratio, sig) = r
                .ratio_of_ratios
                .as_ref()
                .map_or((r.treated.ratio, r.treated.significant), |e| {
                    (e.estimate, e.significant)
                });
            let against = if r.ratio_of_ratios.is_some() {
                l.pick(
                    " relative to the control places",
                    " i forhold til kontrolstederne",
                )
            } else {
                ""
            };
            let dark = r
                .dark_light
                .as_ref()
                .and_then(|d| d.ratio.as_ref())
                .filter(|x| x.significant)
                .map(|x| {
                    let q = l.num(x.estimate, 2);
                    match (l, x.estimate < 1.0) {
                        (Lang::En, true) => {
                            format!("; the fall is in darkness (darkness ÷ daylight {q})")
                        }
                        (Lang::En, false) => {
                            format!("; incidents rose in darkness (darkness ÷ daylight {q})")
                        }
                        (Lang::Da, true) => format!("; faldet ligger i mørket (mørke ÷ dagslys {q})"),
                        (Lang::Da, false) => {
                            format!("; hændelserne steg i mørket (mørke ÷ dagslys {q})")
                        }
                    }
                })
                .unwrap_or_default();
            let kind = escape_markdown(&kind_text(l, &r.intervention.kind));
            let place = escape_markdown(&r.place_name);
            let date = &r.intervention.date;
            let verdict = verdict(l, ratio, sig);
            match l {
                Lang::En => format!(
                    "{kind} at {place} from {date}: {verdict}{against}{dark} (`intervention_results.csv`)."
                ),
                Lang::Da => format!(
                    "{kind} på {place} fra {date}: {verdict}{against}{dark} (`intervention_results.csv`)."
                ),
            }
        })
        .collect()
}

pub(crate) fn section(doc: &mut Document, f: &Facts, e: &Evaluations) {
    let l = f.lang;
    doc.heading(
        2,
        l.pick("Did the interventions work?", "Virkede indsatserne?"),
    );
    let pct = l.num(e.confidence * 100.0, 0);
    doc.paragraph(&match l {
        Lang::En => format!(
            "Each intervention is judged on windows of equal length before and after its date that cover the same seasons. The rate ratio (after ÷ before) has an exact {pct} % interval. Control places without an intervention show what would have happened anyway; the ratio of ratios (place ÷ controls) and the difference in differences take that out. The ring around the place shows whether incidents moved next door (displacement) or fell there too (diffusion of benefit), by the weighted displacement quotient (Bowers & Johnson 2003). For lighting, the same clock hours are compared in darkness and in daylight."
        ),
        Lang::Da => format!(
            "Hver indsats vurderes på lige lange perioder før og efter datoen, der dækker de samme årstider. Rateforholdet (efter ÷ før) har et eksakt {pct} %-interval. Kontrolsteder uden indsats viser, hvad der ville være sket alligevel; forholdet mellem forholdene (sted ÷ kontrol) og forskellen i forskelle tager højde for det. Ringen omkring stedet viser, om hændelserne flyttede til naboområdet (fortrængning) eller også faldt dér (spredning af gevinst), målt med den vægtede fortrængningskvotient (Bowers & Johnson 2003). For belysning sammenlignes de samme klokkeslæt i mørke og i dagslys."
        ),
    });
    for r in &e.results {
        result(doc, f, r);
    }
    for (iv, why) in &e.skipped {
        doc.paragraph(&format!(
            "{} {} ({}): {}",
            l.pick("Not evaluated:", "Ikke vurderet:"),
            escape_markdown(&iv.place_id),
            iv.date,
            escape_markdown(why)
        ));
    }
    doc.source(&["intervention_results.csv", "interventions.geojson"]);
}

fn result(doc: &mut Document, f: &Facts, r: &InterventionResult) {
    let l = f.lang;
    let k = f.min_count;
    let iv = &r.intervention;
    let date = &iv.date;
    doc.heading(
        3,
        &format!(
            "{} {} {} {}",
            kind_text(l, &iv.kind),
            l.pick("at", "på"),
            r.place_name,
            match l {
                Lang::En => format!("from {date}"),
                Lang::Da => format!("fra {date}"),
            }
        ),
    );
    if !iv.description.trim().is_empty() {
        doc.paragraph(&format!("*{}*", escape_markdown(iv.description.trim())));
    }
    let w = &r.windows;
    let rule = match (l, w.rule) {
        (Lang::En, WindowRule::WholeYears) => "whole years, so the seasons match",
        (Lang::Da, WindowRule::WholeYears) => "hele år, så årstiderne svarer til hinanden",
        (Lang::En, WindowRule::SameSpanOneYearEarlier) => {
            "the same dates a year earlier, so the seasons match"
        }
        (Lang::Da, WindowRule::SameSpanOneYearEarlier) => {
            "de samme datoer et år før, så årstiderne svarer til hinanden"
        }
        (Lang::En, WindowRule::SameSpanOneYearLater) => {
            "the same dates a year later, so the seasons match"
        }
        (Lang::Da, WindowRule::SameSpanOneYearLater) => {
            "de samme datoer et år efter, så årstiderne svarer til hinanden"
        }
        (Lang::En, WindowRule::AdjacentDays) => {
            "adjacent periods of equal length: the seasons differ, read with care"
        }
        (Lang::Da, WindowRule::AdjacentDays) => {
            "tilstødende lige lange perioder: årstiderne er forskellige, læs med forsigtighed"
        }
    };
    let t = &r.treated;
    let counts_shown = shown(t.count_a, k) && shown(t.count_b, k);
    let before = format!("{} – {}", w.before_first, w.before_last);
    let after = format!("{} – {}", w.after_first, w.after_last);
    let mut lines = vec![match l {
        Lang::En => format!("Before: {before}; after: {after} ({rule})."),
        Lang::Da => format!("Før: {before}; efter: {after} ({rule})."),
    }];
    lines.push(if counts_shown {
        let before = count(l, t.count_a, k);
        let after = count(l, t.count_b, k);
        let rr = rr_text(l, t);
        let p = p_value(l, t.p);
        let verdict = verdict(l, t.ratio, t.significant);
        match l {
            Lang::En => format!(
                "At the place: {before} incidents before, {after} after; rate ratio {rr}, p {p}: {verdict}."
            ),
            Lang::Da => format!(
                "På stedet: {before} hændelser før, {after} efter; rateforhold {rr}, p {p}: {verdict}."
            ),
        }
    } else {
        l.pick(
            "Too few incidents at the place to show (privacy).",
            "For få hændelser på stedet til at blive vist (hensyn til personerne).",
        )
        .to_owned()
    });
    if let (Some(c), Some(ror)) = (&r.control, &r.ratio_of_ratios)
        && counts_shown
        && shown(c.count_a, k)
        && shown(c.count_b, k)
    {
        let names: Vec<String> = r
            .control_places
            .iter()
            .map(|id| {
                f.ds.places
                    .iter()
                    .find(|p| &p.id == id)
                    .map_or_else(|| escape_markdown(id), |p| escape_markdown(&p.name))
            })
            .collect();
        let names = names.join(", ");
        let rr = rr_text(l, c);
        let ror_text = est_text(l, ror);
        let p = p_value(l, ror.p);
        let verdict = verdict(l, ror.estimate, ror.significant);
        lines.push(match l {
            Lang::En => format!(
                "Control places ({names}): rate ratio {rr}. Ratio of ratios {ror_text}, p {p}: {verdict} relative to the controls."
            ),
            Lang::Da => format!(
                "Kontrolsteder ({names}): rateforhold {rr}. Forhold mellem forholdene {ror_text}, p {p}: {verdict} i forhold til kontrolstederne."
            ),
        });
        if let Some(d) = &r.difference_in_differences {
            let estimate = l.num(d.estimate, 1);
            let low = l.num(d.low, 1);
            let high = l.num(d.high, 1);
            lines.push(match l {
                Lang::En => format!(
                    "Difference in differences: {estimate} incidents per 1,000 hours ({low} to {high})."
                ),
                Lang::Da => format!(
                    "Forskel i forskelle: {estimate} hændelser pr. 1.000 timer ({low} til {high})."
                ),
            });
        }
    }
    let d = &r.displacement;
    let effect = r
        .ratio_of_ratios
        .as_ref()
        .is_some_and(|e| e.significant && e.estimate < 1.0);
    let ring_counts = if shown(d.before, k) && shown(d.after, k) {
        let ring = l.num(d.buffer_m, 0);
        let before = count(l, d.before, k);
        let after = count(l, d.after, k);
        match l {
            Lang::En => {
                format!("In the ring of {ring} m around it: {before} before, {after} after.")
            }
            Lang::Da => {
                format!("I ringen på {ring} m omkring stedet: {before} før, {after} efter.")
            }
        }
    } else {
        String::new()
    };
    let ring_shown = counts_shown && shown(d.before, k) && shown(d.after, k);
    let reading = match (d.wdq, effect) {
        (Some(q), true) if ring_shown => {
            let what = match (l, d.reading) {
                (Lang::En, WdqReading::Diffusion) => "diffusion of benefit: the ring improved too",
                (Lang::Da, WdqReading::Diffusion) => {
                    "spredning af gevinst: ringen blev også bedre"
                }
                (Lang::En, WdqReading::DiffusionGreaterThanDirect) => {
                    "diffusion of benefit, larger than the effect at the place"
                }
                (Lang::Da, WdqReading::DiffusionGreaterThanDirect) => {
                    "spredning af gevinst, større end virkningen på stedet"
                }
                (Lang::En, WdqReading::Displacement) => {
                    "some displacement into the ring, smaller than the effect at the place"
                }
                (Lang::Da, WdqReading::Displacement) => {
                    "en del fortrængning til ringen, mindre end virkningen på stedet"
                }
                (Lang::En, WdqReading::DisplacementGreaterThanDirect) => {
                    "displacement larger than the effect at the place"
                }
                (Lang::Da, WdqReading::DisplacementGreaterThanDirect) => {
                    "fortrængning, større end virkningen på stedet"
                }
                (Lang::En, _) => "no change in the ring",
                (Lang::Da, _) => "ingen ændring i ringen",
            };
            let net = d
                .total_net_effect
                .map(|n| {
                    let fewer = l.num(n, 0);
                    match l {
                        Lang::En => format!(
                            "; net of displacement about {fewer} incidents fewer than expected"
                        ),
                        Lang::Da => format!(
                            "; efter fortrængning omkring {fewer} færre hændelser end forventet"
                        ),
                    }
                })
                .unwrap_or_default();
            let wdq = l.num(q, 2);
            match l {
                Lang::En => format!(" Weighted displacement quotient {wdq}: {what}{net}."),
                Lang::Da => format!(" Vægtet fortrængningskvotient {wdq}: {what}{net}."),
            }
        }
        (Some(_), true) => l
            .pick(
                " Too few incidents in the ring to show (privacy).",
                " For få hændelser i ringen til at blive vist (hensyn til personerne).",
            )
            .to_owned(),
        _ => l
            .pick(
                " Displacement is not assessed, because the place shows no clear fall relative to the controls.",
                " Fortrængning vurderes ikke, fordi stedet ikke viser et klart fald i forhold til kontrolstederne.",
            )
            .to_owned(),
    };
    lines.push(format!("{ring_counts}{reading}").trim().to_owned());
    if let Some(dl) = &r.dark_light
        && counts_shown
        && shown(dl.dark.count_a, k)
        && shown(dl.dark.count_b, k)
        && shown(dl.light.count_a, k)
        && shown(dl.light.count_b, k)
    {
        let hours: Vec<String> = dl.clock_hours.iter().map(|h| format!("{h:02}")).collect();
        let ratio = dl.ratio.as_ref().map_or_else(String::new, |x| {
            let est = est_text(l, x);
            let p = p_value(l, x.p);
            let reading = if x.significant && x.estimate < 1.0 {
                l.pick(
                    "the fall is specific to darkness, as expected if the lighting works",
                    "faldet gælder mørket, som forventet hvis belysningen virker",
                )
            } else if x.significant {
                l.pick(
                    "incidents rose more in darkness than in daylight",
                    "hændelserne steg mere i mørke end i dagslys",
                )
            } else {
                l.pick(
                    "no clear difference between darkness and daylight",
                    "ingen klar forskel mellem mørke og dagslys",
                )
            };
            match l {
                Lang::En => format!(" Darkness ÷ daylight: {est}, p {p}: {reading}."),
                Lang::Da => format!(" Mørke ÷ dagslys: {est}, p {p}: {reading}."),
            }
        });
        let hours = hours.join(", ");
        let dark = rr_text(l, &dl.dark);
        let light = rr_text(l, &dl.light);
        lines.push(match l {
            Lang::En => format!(
                "Same clock hours ({hours}), in darkness: rate ratio {dark}; in daylight: {light}.{ratio}"
            ),
            Lang::Da => format!(
                "Samme klokkeslæt ({hours}), i mørke: rateforhold {dark}; i dagslys: {light}.{ratio}"
            ),
        });
    }
    for warning in &r.warnings {
        lines.push(format!(
            "{} {}",
            l.pick("Note:", "Bemærk:"),
            escape_markdown(warning)
        ));
    }
    doc.list(&lines);
}
