//! Services and opening hours, service-gap hours, outreach windows.

use crate::document::{Document, Lang, escape_markdown};
use crate::model::ServiceKind;
use crate::service_gap::OutreachWindow;

use super::ServiceFindings;
use super::{Facts, count, derived, shown, weekday};

/// The files this section's numbers come from: (file, English, Danish).
pub(crate) const FILES: [(&str, &str, &str); 6] = [
    (
        "services.geojson",
        "services with opening hours and open share per time bin",
        "tilbud med åbningstider og andel åben pr. tidsrum",
    ),
    (
        "services_timetable.csv",
        "services open in every hour of the week, per season",
        "åbne tilbud i hver time af ugen, pr. årstid",
    ),
    (
        "service_gap_places.csv",
        "incidents with no open service within reach, per place",
        "hændelser uden et åbent tilbud inden for rækkevidde, pr. sted",
    ),
    (
        "service_gap_place_hours.csv",
        "the same per place and hour of day",
        "det samme pr. sted og time",
    ),
    (
        "service_gap_place_weekday_hours.csv",
        "the same per place, weekday and hour",
        "det samme pr. sted, ugedag og time",
    ),
    (
        "outreach_windows.csv",
        "ranked outreach windows",
        "rangerede tidsrum for opsøgende arbejde",
    ),
];

/// A service kind in the report's language (Markdown-escaped).
pub(crate) fn kind_name(l: Lang, k: &ServiceKind) -> String {
    let (en, da) = match k {
        ServiceKind::WarmingRoom => ("warming room", "varmestue"),
        ServiceKind::DropInCentre => ("drop-in centre", "værested"),
        ServiceKind::Shelter => ("shelter", "herberg"),
        ServiceKind::HealthRoom => ("health room", "sundhedsrum"),
        ServiceKind::Toilet => ("toilet", "toilet"),
        ServiceKind::Outreach => ("outreach base", "gadeteam"),
        ServiceKind::Other(s) => (s.as_str(), s.as_str()),
    };
    escape_markdown(l.pick(en, da))
}

fn kinds_text(l: Lang, kinds: Option<&Vec<ServiceKind>>) -> String {
    match kinds {
        None => l
            .pick("service of any kind", "tilbud af nogen art")
            .to_owned(),
        Some(k) => {
            let names: Vec<String> = k.iter().map(|k| kind_name(l, k)).collect();
            let or = l.pick(" or ", " eller ");
            match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    format!("{}{or}{last}", rest.join(", "))
                }
                _ => names.join(""),
            }
        }
    }
}

/// "Saturday 19–22" / "lørdag kl. 19–22", with the next day when it runs past midnight.
fn window_text(l: Lang, w: &OutreachWindow) -> String {
    let hours = format!("{:02}–{:02}", w.start_hour, w.end_hour);
    let day = weekday(l, w.weekday_label());
    let next = if w.crosses_midnight {
        let end = weekday(l, w.end_weekday_label());
        match l {
            Lang::En => format!(" (into {end})"),
            Lang::Da => format!(" (til {end})"),
        }
    } else {
        String::new()
    };
    match l {
        Lang::En => format!("{day} {hours}{next}"),
        Lang::Da => format!("{day} kl. {hours}{next}"),
    }
}

/// An hour of day (0–23) with its unmet and total incidents.
type HourGap = (usize, u64, u64);

/// The hour of day with the highest unmet share among hours with at least
/// `k` incidents, and the one with the lowest.
fn extreme_hours(s: &ServiceFindings<'_>, k: u64) -> Option<(HourGap, HourGap)> {
    let g = &s.gap;
    let mut by_hour = [(0u64, 0u64); 24];
    for (slot, (&t, &u)) in g.total_by_slot.iter().zip(&g.unmet_by_slot).enumerate() {
        by_hour[slot % 24].0 += u;
        by_hour[slot % 24].1 += t;
    }
    let rows: Vec<HourGap> = by_hour
        .iter()
        .enumerate()
        .filter(|(_, (u, t))| *t >= k && shown(*u, k))
        .map(|(h, &(u, t))| (h, u, t))
        .collect();
    let share = |r: &&HourGap| r.1 as f64 / r.2 as f64;
    let hi = rows.iter().max_by(|a, b| share(a).total_cmp(&share(b)))?;
    let lo = rows.iter().min_by(|a, b| share(a).total_cmp(&share(b)))?;
    Some((*hi, *lo))
}

pub(crate) fn key_findings(f: &Facts, s: &ServiceFindings<'_>) -> Vec<String> {
    let l = f.lang;
    let k = f.min_count;
    let g = &s.gap;
    if !(shown(g.unmet, k) && shown(g.incidents, k)) {
        return Vec::new();
    }
    let share = l.pct(g.unmet_share, 0);
    let unmet = count(l, g.unmet, k);
    let kinds = kinds_text(l, s.gap.settings.kinds.as_ref());
    let reach = l.num(g.settings.distance_m, 0);
    let mut out = vec![match l {
        Lang::En => format!(
            "{share} of incidents ({unmet}) happened when no open {kinds} was within {reach} m (`service_gap_places.csv`)."
        ),
        Lang::Da => format!(
            "{share} af hændelserne ({unmet}) skete, mens intet åbent tilbud ({kinds}) lå inden for {reach} m (`service_gap_places.csv`)."
        ),
    }];
    if let Some(w) = s.windows.first() {
        let place = escape_markdown(&w.place_name);
        let window = window_text(l, w);
        let per_visit = l.num(w.unmet_per_visit, 1);
        out.push(match l {
            Lang::En => format!(
                "Outreach would meet the most people no service reaches at {place} on {window}: {per_visit} such incidents per visit on average (`outreach_windows.csv`)."
            ),
            Lang::Da => format!(
                "Opsøgende arbejde vil møde flest, som intet tilbud når, på {place} {window}: i gennemsnit {per_visit} sådanne hændelser pr. besøg (`outreach_windows.csv`)."
            ),
        });
    }
    out
}

pub(crate) fn section(doc: &mut Document, f: &Facts, s: &ServiceFindings<'_>) {
    let l = f.lang;
    let k = f.min_count;
    let ds = f.ds;
    let g = &s.gap;
    doc.heading(
        2,
        l.pick(
            "Services and their opening hours",
            "Tilbuddene og deres åbningstider",
        ),
    );
    let rows: Vec<Vec<String>> = ds
        .services
        .iter()
        .enumerate()
        .map(|(i, svc)| {
            vec![
                escape_markdown(&svc.name),
                kind_name(l, &svc.kind),
                svc.opening_hours.as_ref().map_or_else(
                    || l.pick("unknown", "ukendt").to_owned(),
                    |h| format!("`{}`", h.text().replace('`', "'")),
                ),
                s.timetable
                    .weekly_open_hours(i)
                    .map_or_else(|| "–".to_owned(), |h| l.num(h, 0)),
            ]
        })
        .collect();
    let services = ds.services.len();
    doc.paragraph(&match l {
        Lang::En => format!(
            "{services} services are registered. Their opening hours are read as written (OpenStreetMap `opening_hours`), with Danish public holidays and seasons, and evaluated on every quarter hour of the period; a service without readable hours is never counted as open."
        ),
        Lang::Da => format!(
            "Der er registreret {services} tilbud. Åbningstiderne læses, som de er skrevet (OpenStreetMap `opening_hours`), med danske helligdage og årstider, og vurderes for hvert kvarter i perioden; et tilbud uden læsbare åbningstider tælles aldrig som åbent."
        ),
    });
    doc.table(
        &[
            l.pick("Service", "Tilbud"),
            l.pick("Kind", "Type"),
            l.pick("Opening hours", "Åbningstider"),
            l.pick(
                "Open hours per week (average)",
                "Åbne timer pr. uge (gennemsnit)",
            ),
        ],
        &rows,
    );
    doc.source(&["services.geojson", "services_timetable.csv"]);

    doc.heading(
        3,
        l.pick(
            "Service-gap hours: incidents no open service reaches",
            "Huller i dækningen: hændelser, som intet åbent tilbud når",
        ),
    );
    let kinds = kinds_text(l, s.gap.settings.kinds.as_ref());
    let reach = l.num(g.settings.distance_m, 0);
    let unmet = count(l, g.unmet, k);
    let incidents = count(l, g.incidents, k);
    let share = derived(&[g.unmet, g.incidents], k, || l.pct(g.unmet_share, 1));
    let closed_nearby = count(l, g.unmet - g.unmet_no_service_nearby, k);
    let none_nearby = count(l, g.unmet_no_service_nearby, k);
    doc.paragraph(&match l {
        Lang::En => format!(
            "An incident is *unmet* when no {kinds} was open within {reach} m (straight line) at the time it happened. {unmet} of {incidents} incidents ({share}) were unmet. For {closed_nearby} of them a service was near but closed; for {none_nearby} there is no such service within {reach} m at any time."
        ),
        Lang::Da => format!(
            "En hændelse er *uden dækning*, når intet åbent tilbud ({kinds}) lå inden for {reach} m (i lige linje), da den skete. {unmet} af {incidents} hændelser ({share}) var uden dækning. Ved {closed_nearby} af dem lå et tilbud tæt på, men var lukket; ved {none_nearby} findes der slet ikke et sådant tilbud inden for {reach} m."
        ),
    });
    if let Some(((hh, hu, ht), (lh, lu, lt))) = extreme_hours(s, k) {
        let hh_end = (hh + 1) % 24;
        let high = l.pct(hu as f64 / ht as f64, 0);
        let lh_end = (lh + 1) % 24;
        let low = l.pct(lu as f64 / lt as f64, 0);
        doc.paragraph(&match l {
            Lang::En => format!(
                "The gap is widest at {hh:02}–{hh_end:02} h ({high} of incidents unmet) and narrowest at {lh:02}–{lh_end:02} h ({low})."
            ),
            Lang::Da => format!(
                "Hullet er størst kl. {hh:02}–{hh_end:02} ({high} af hændelserne uden dækning) og mindst kl. {lh:02}–{lh_end:02} ({low})."
            ),
        });
    }
    let mut rows = Vec::new();
    for row in 0..=g.places {
        let (total, unmet) = g.place_totals(row);
        // The same cells as service_gap_places.csv withholds.
        let w = g.withheld(row);
        let name = if row < g.places {
            escape_markdown(&ds.places[row].name)
        } else {
            l.pick("(outside all places)", "(uden for stederne)")
                .to_owned()
        };
        let cell = |n: u64, hidden: bool| {
            if hidden && shown(n, k) {
                "–".to_owned()
            } else {
                count(l, n, k)
            }
        };
        let share = if !w.place.0 && !w.place.1 && total > 0 {
            l.pct(unmet as f64 / total as f64, 0)
        } else {
            "–".to_owned()
        };
        rows.push(vec![
            name,
            cell(total, w.place.0),
            cell(unmet, w.place.1),
            share,
            cell(g.unmet_no_service_nearby_by_place[row], w.no_service_nearby),
        ]);
    }
    doc.table(
        &[
            l.pick("Place", "Sted"),
            l.pick("Incidents", "Hændelser"),
            l.pick("Unmet", "Uden dækning"),
            l.pick("Share unmet", "Andel uden dækning"),
            l.pick(
                "No service within reach at all",
                "Slet intet tilbud inden for rækkevidde",
            ),
        ],
        &rows,
    );
    doc.source(&["service_gap_places.csv", "service_gap_place_hours.csv"]);

    doc.heading(
        3,
        l.pick(
            "When outreach is needed most",
            "Hvornår der er mest brug for opsøgende arbejde",
        ),
    );
    if s.windows.is_empty() {
        doc.paragraph(l.pick(
            "No place has an outreach window with enough unmet incidents to show.",
            "Intet sted har et tidsrum med nok hændelser uden dækning til at blive vist.",
        ));
        return;
    }
    let hours = s.windows[0].hours;
    doc.paragraph(&match l {
        Lang::En => format!(
            "Windows of {hours} hours in the week, ranked by unmet incidents: when an outreach team would meet the most people that no open service reaches. *Per visit* is the unmet incidents divided by how often that window occurred in the period. Services nearby are those of the chosen kinds within {reach} m of the place, with the share of the window they are open and the share of the place's incidents they reach."
        ),
        Lang::Da => format!(
            "Tidsrum på {hours} timer i ugen, rangeret efter hændelser uden dækning: hvornår et opsøgende team vil møde flest, som intet åbent tilbud når. *Pr. besøg* er hændelserne uden dækning divideret med, hvor mange gange tidsrummet forekom i perioden. Tilbud i nærheden er tilbud af de valgte typer inden for {reach} m af stedet, med den andel af tidsrummet, de har åbent, og den andel af stedets hændelser, de når."
        ),
    });
    let nearby = |w: &OutreachWindow| -> String {
        let open: Vec<String> = w
            .nearby
            .iter()
            .filter(|n| n.open_share.is_some_and(|o| o > 0.0))
            .map(|n| {
                format!(
                    "{} ({} {}, {} {})",
                    escape_markdown(&n.name),
                    l.pct(n.open_share.unwrap_or(0.0), 0),
                    l.pick("open", "åben"),
                    l.pick("reaches", "når"),
                    l.pct(n.reaches_share, 0)
                )
            })
            .collect();
        if open.is_empty() {
            l.pick("none open", "ingen åbne").to_owned()
        } else {
            open.join("; ")
        }
    };
    let rows: Vec<Vec<String>> = s
        .windows
        .iter()
        .take(10)
        .map(|w| {
            vec![
                w.rank.to_string(),
                escape_markdown(&w.place_name),
                window_text(l, w),
                count(l, w.unmet, k),
                l.num(w.unmet_per_visit, 1),
                l.pct(w.share_of_place_unmet, 0),
                nearby(w),
            ]
        })
        .collect();
    doc.table(
        &[
            "#",
            l.pick("Place", "Sted"),
            l.pick("Window", "Tidsrum"),
            l.pick("Unmet", "Uden dækning"),
            l.pick("Per visit", "Pr. besøg"),
            l.pick("Of the place's unmet", "Af stedets uden dækning"),
            l.pick("Open services nearby", "Åbne tilbud i nærheden"),
        ],
        &rows,
    );
    // The best window of every place, so one busy place does not hide the others.
    let mut best: Vec<&OutreachWindow> = Vec::new();
    for w in s.windows {
        if !best.iter().any(|b| b.place == w.place) {
            best.push(w);
        }
    }
    if best.len() > 1 {
        let items: Vec<String> = best
            .iter()
            .map(|w| {
                format!(
                    "{}: {} ({} {})",
                    escape_markdown(&w.place_name),
                    window_text(l, w),
                    l.num(w.unmet_per_visit, 1),
                    l.pick("per visit", "pr. besøg")
                )
            })
            .collect();
        doc.paragraph(l.pick(
            "The best window of each place among those listed:",
            "Det bedste tidsrum for hvert sted blandt de viste:",
        ));
        doc.list(&items);
    }
    doc.source(&["outreach_windows.csv"]);
}
