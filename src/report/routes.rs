//! Routes: incidents along outreach rounds and safety walks, effort-corrected
//! rates, and the hot spots no outreach round reaches when they peak.

use crate::document::{Document, Lang, escape_markdown};
use crate::model::RouteKind;
use crate::route_segments::NearRoute;

use super::RouteFindings;
use super::{Facts, count, describe_bin, shown};

/// The files this section's numbers come from: (file, English, Danish).
pub(crate) const FILES: [(&str, &str, &str); 3] = [
    (
        "route_segments.geojson",
        "route segments with incidents, rates per 100 m and per route-hour walked, per time bin",
        "rutestykker med hændelser, rater pr. 100 m og pr. gået rutetime, pr. tidsrum",
    ),
    (
        "hot_spot_coverage.geojson",
        "significant hot spots and whether an outreach route reaches them at their peak",
        "signifikante hot spots, og om en opsøgende rute når dem, når de topper",
    ),
    (
        "place_route_coverage.csv",
        "places and whether an outreach route reaches them at their peak",
        "steder, og om en opsøgende rute når dem, når de topper",
    ),
];

/// A table row for something an outreach route may reach: its peak time
/// bin, the nearest outreach route and distance, the share of the peak's
/// hours that route is walked, and whether it is reached.
fn reach_row(l: Lang, peak: Option<&str>, near: Option<&NearRoute>, covered: bool) -> Vec<String> {
    vec![
        peak.map_or_else(|| "–".to_owned(), |b| describe_bin(l, b)),
        near.map_or_else(
            || l.pick("none", "ingen").to_owned(),
            |n| {
                format!(
                    "{} ({} m)",
                    escape_markdown(&n.name),
                    l.num(n.distance_m, 0)
                )
            },
        ),
        near.and_then(|n| n.walked_share_at_peak)
            .map_or_else(|| "–".to_owned(), |w| l.pct(w, 0)),
        l.pick(
            if covered { "yes" } else { "**no**" },
            if covered { "ja" } else { "**nej**" },
        )
        .to_owned(),
    ]
}

pub(crate) fn key_findings(f: &Facts, r: &RouteFindings<'_>) -> Vec<String> {
    let l = f.lang;
    let c = &r.coverage;
    let mut out = vec![if c.cells.is_empty() {
        l.pick(
            "No cell is a significant hot spot, so route coverage was not assessed (`hot_spot_coverage.geojson`).",
            "Ingen celle er et signifikant hot spot, så rutedækningen er ikke vurderet (`hot_spot_coverage.geojson`).",
        )
        .to_owned()
    } else {
        let hot = c.cells.len();
        let reach = l.num(c.buffer_m, 0);
        let missed = c.uncovered().count();
        match (l, missed) {
            (Lang::En, 0) => format!(
                "Every one of the {hot} significant hot spots is passed by an outreach route within {reach} m in its peak hours (`hot_spot_coverage.geojson`)."
            ),
            (Lang::Da, 0) => format!(
                "Alle {hot} signifikante hot spots passeres af en opsøgende rute inden for {reach} m i deres travleste tidsrum (`hot_spot_coverage.geojson`)."
            ),
            (Lang::En, _) => format!(
                "{missed} of {hot} significant hot spots are not passed by an outreach route within {reach} m in their peak hours (`hot_spot_coverage.geojson`)."
            ),
            (Lang::Da, _) => format!(
                "{missed} af {hot} signifikante hot spots passeres ikke af en opsøgende rute inden for {reach} m i deres travleste tidsrum (`hot_spot_coverage.geojson`)."
            ),
        }
    }];
    // Places: those no round reaches at their peak, else the one reached least often.
    let missed: Vec<String> = r
        .places
        .iter()
        .filter(|p| !p.covered)
        .map(|p| escape_markdown(&p.name))
        .collect();
    let least = r
        .places
        .iter()
        .filter_map(|p| Some((p, p.nearest_outreach.as_ref()?.walked_share_at_peak?)))
        .filter(|(p, _)| p.covered)
        .min_by(|a, b| a.1.total_cmp(&b.1));
    if !missed.is_empty() {
        let names = missed.join(", ");
        out.push(match l {
            Lang::En => format!(
                "No outreach round passes {names} when it is busiest (`place_route_coverage.csv`)."
            ),
            Lang::Da => format!(
                "Ingen opsøgende runde kommer forbi {names}, når der er travlest (`place_route_coverage.csv`)."
            ),
        });
    } else if let Some((p, share)) = least {
        let name = escape_markdown(&p.name);
        let share = l.pct(share, 0);
        let peak = p
            .peak_label
            .as_deref()
            .map_or_else(String::new, |b| describe_bin(l, b));
        out.push(match l {
            Lang::En => format!(
                "Every place is passed by an outreach round when it is busiest, but {name} only in {share} of its peak hours ({peak}) (`place_route_coverage.csv`)."
            ),
            Lang::Da => format!(
                "Alle steder passeres af en opsøgende runde, når de er travlest, men {name} kun i {share} af spidstimerne ({peak}) (`place_route_coverage.csv`)."
            ),
        });
    }
    out
}

pub(crate) fn section(doc: &mut Document, f: &Facts, r: &RouteFindings<'_>) {
    let l = f.lang;
    let k = f.min_count;
    let s = &r.segments;
    doc.heading(
        2,
        l.pick(
            "Routes: outreach rounds and safety walks",
            "Ruter: opsøgende runder og tryghedsvandringer",
        ),
    );
    let segment = l.num(s.segment_m, 0);
    let near = l.num(s.buffer_m, 0);
    doc.paragraph(&match l {
        Lang::En => format!(
            "Each route is cut into segments of {segment} m; an incident within {near} m of a route counts once for it, on the nearest segment. Incidents are recorded where staff walk, so for routes with a schedule the *effort-corrected* rate divides the incidents that happened while the route was being walked by the hours it was walked."
        ),
        Lang::Da => format!(
            "Hver rute er delt i stykker på {segment} m; en hændelse inden for {near} m af en rute tæller én gang for den, på det nærmeste stykke. Hændelser registreres, hvor personalet går, så for ruter med et skema deler den *indsatskorrigerede* rate de hændelser, der skete, mens ruten blev gået, med antallet af gåede timer."
        ),
    });
    // A route's count is the sum of its pieces' (route_segments.geojson): it is
    // shown only if the pieces withheld there cannot be had by subtraction
    // (none, or at least two holding at least k together).
    let total_safe = |rt: &crate::route_segments::RouteSummary, walked: bool| {
        let hidden: Vec<u64> = rt
            .pieces
            .clone()
            .filter(|&p| s.withheld(p, k)[usize::from(walked)])
            .map(|p| {
                if walked {
                    s.walked_count(p)
                } else {
                    s.counts[p]
                }
            })
            .collect();
        hidden.is_empty() || (hidden.len() >= 2 && hidden.iter().sum::<u64>() >= k)
    };
    let rows: Vec<Vec<String>> = s
        .routes
        .iter()
        .map(|rt| {
            let (all_ok, walked_ok) = (total_safe(rt, false), total_safe(rt, true));
            vec![
                escape_markdown(&rt.name),
                match &rt.kind {
                    RouteKind::Outreach => l.pick("outreach round", "opsøgende runde").to_owned(),
                    RouteKind::SafetyWalk => l.pick("safety walk", "tryghedsvandring").to_owned(),
                    RouteKind::Typical => l.pick("typical route", "typisk rute").to_owned(),
                    RouteKind::Other(s) => escape_markdown(s),
                },
                rt.schedule.as_ref().map_or_else(
                    || l.pick("none", "intet").to_owned(),
                    |t| format!("`{}`", t.replace('`', "'")),
                ),
                l.num(rt.length_m, 0),
                if all_ok {
                    count(l, rt.count, k)
                } else {
                    "–".to_owned()
                },
                if all_ok && shown(rt.count, k) {
                    l.sig(rt.count as f64 / rt.length_m * 100.0)
                } else {
                    "–".to_owned()
                },
                rt.walked_hours_total
                    .map_or_else(|| "–".to_owned(), |h| l.int(h.round() as u64)),
                match rt.walked_count {
                    Some(n) if walked_ok => count(l, n, k),
                    _ => "–".to_owned(),
                },
                match (rt.effort_rate, rt.walked_count) {
                    (Some(e), Some(n)) if walked_ok && shown(n, k) => l.sig(e),
                    _ => "–".to_owned(),
                },
            ]
        })
        .collect();
    doc.table(
        &[
            l.pick("Route", "Rute"),
            l.pick("Kind", "Type"),
            l.pick("Walked", "Gås"),
            l.pick("Length (m)", "Længde (m)"),
            l.pick("Incidents near it", "Hændelser nær ruten"),
            l.pick("Per 100 m", "Pr. 100 m"),
            l.pick("Hours walked", "Gåede timer"),
            l.pick("Incidents while walked", "Hændelser mens den gås"),
            l.pick("Per route-hour walked", "Pr. gået rutetime"),
        ],
        &rows,
    );
    // The busiest segments over all routes.
    let mut pieces: Vec<usize> = (0..s.pieces.len()).collect();
    pieces.sort_by(|&a, &b| {
        s.rate_per_100m(b)
            .total_cmp(&s.rate_per_100m(a))
            .then(a.cmp(&b))
    });
    let rows: Vec<Vec<String>> = pieces
        .iter()
        .take(5)
        .filter(|&&p| s.counts[p] > 0 && !s.withheld(p, k)[0])
        .map(|&p| {
            let piece = &s.pieces[p];
            let route = &s.routes[piece.route];
            vec![
                escape_markdown(&route.name),
                format!(
                    "{}–{} m",
                    l.num(piece.start_m, 0),
                    l.num(piece.start_m + piece.length_m, 0)
                ),
                count(l, s.counts[p], k),
                l.sig(s.rate_per_100m(p)),
            ]
        })
        .collect();
    if !rows.is_empty() {
        doc.paragraph(l.pick(
            "The busiest segments (incidents per 100 m of route):",
            "De travleste rutestykker (hændelser pr. 100 m rute):",
        ));
        doc.table(
            &[
                l.pick("Route", "Rute"),
                l.pick("Along the route", "Langs ruten"),
                l.pick("Incidents", "Hændelser"),
                l.pick("Per 100 m", "Pr. 100 m"),
            ],
            &rows,
        );
    }
    if !s.unscheduled.is_empty() {
        let names: Vec<String> = s.unscheduled.iter().map(|n| escape_markdown(n)).collect();
        doc.paragraph(&format!(
            "{} {}.",
            l.pick(
                "Routes without a schedule (no effort correction):",
                "Ruter uden skema (ingen indsatskorrektion):"
            ),
            names.join(", ")
        ));
    }
    doc.source(&["route_segments.geojson"]);

    let c = &r.coverage;
    doc.heading(
        3,
        l.pick(
            "Hot spots the outreach rounds do not reach",
            "Hot spots, de opsøgende runder ikke når",
        ),
    );
    let rule = c.rule.describe();
    let reach = l.num(c.buffer_m, 0);
    doc.paragraph(&match l {
        Lang::En => format!(
            "A significant hot spot ({rule}) is *reached* when an outreach route passes within {reach} m of it and is walked during the time bin in which the hot spot has most incidents per hour."
        ),
        Lang::Da => format!(
            "Et signifikant hot spot ({rule}) er *nået*, når en opsøgende rute passerer inden for {reach} m af det og gås i det tidsrum, hvor stedet har flest hændelser pr. time."
        ),
    });
    if c.cells.is_empty() {
        doc.paragraph(l.pick(
            "No cell is a significant hot spot under this rule.",
            "Ingen celle er et signifikant hot spot efter denne regel.",
        ));
    } else {
        let rows: Vec<Vec<String>> = c
            .cells
            .iter()
            .map(|h| {
                let mut row = vec![format!("{:.5}, {:.5}", h.lat, h.lon), count(l, h.count, k)];
                row.extend(reach_row(
                    l,
                    h.peak_label.as_deref(),
                    h.nearest_outreach.as_ref(),
                    h.covered,
                ));
                row
            })
            .collect();
        doc.table(
            &[
                l.pick("Hot spot (lat, lon)", "Hot spot (bredde, længde)"),
                l.pick("Incidents", "Hændelser"),
                l.pick("Peak", "Flest"),
                l.pick("Nearest outreach route", "Nærmeste opsøgende rute"),
                l.pick("Share of peak hours walked", "Andel af spidstimer gået"),
                l.pick("Reached", "Nået"),
            ],
            &rows,
        );
    }
    doc.source(&["hot_spot_coverage.geojson", "gistar_h3.geojson"]);

    if r.places.is_empty() {
        return;
    }
    doc.heading(
        3,
        l.pick(
            "Places and the outreach rounds at their peak",
            "Stederne og de opsøgende runder, når de er travlest",
        ),
    );
    doc.paragraph(l.pick(
        "The same check for every place: is an outreach route within reach of the place's outline, and walked in the time bin when the place is busiest? The share of the peak's hours walked shows how often a round is there then.",
        "Samme kontrol for hvert sted: går en opsøgende rute inden for rækkevidde af stedets afgrænsning, og gås den i det tidsrum, hvor stedet er travlest? Andelen af spidstimerne, der gås, viser, hvor ofte en runde er der på det tidspunkt.",
    ));
    let rows: Vec<Vec<String>> = r
        .places
        .iter()
        .map(|p| {
            let mut row = vec![escape_markdown(&p.name)];
            row.extend(reach_row(
                l,
                p.peak_label.as_deref(),
                p.nearest_outreach.as_ref(),
                p.covered,
            ));
            row
        })
        .collect();
    doc.table(
        &[
            l.pick("Place", "Sted"),
            l.pick("Peak", "Flest"),
            l.pick("Nearest outreach route", "Nærmeste opsøgende rute"),
            l.pick("Share of peak hours walked", "Andel af spidstimer gået"),
            l.pick("Reached", "Nået"),
        ],
        &rows,
    );
    doc.source(&["place_route_coverage.csv", "places.geojson"]);
}
