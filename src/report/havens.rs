//! Where mobile safe havens would reach the most.

use crate::document::{Document, Lang, escape_markdown};
use crate::siting::{SafeHavens, SitePick};
use geo::{Distance, Euclidean};

use super::{Facts, count, derived, describe_bin, shown};

/// The files this section's numbers come from: (file, English, Danish).
pub(crate) const FILES: [(&str, &str, &str); 3] = [
    (
        "safe_havens.geojson",
        "proposed safe-haven sites over all hours, with the share each adds",
        "foreslåede hellesteder over alle timer med den andel, hvert tilføjer",
    ),
    (
        "safe_haven_coverage.geojson",
        "the area each proposed site reaches",
        "det område, hvert foreslået sted når",
    ),
    (
        "safe_havens_per_bin.geojson",
        "proposed sites per hour bucket and season",
        "foreslåede steder pr. tidsrum og årstid",
    ),
];

/// "J.F. Kennedys Plads" when the site is in or within 100 m of a place,
/// else "120 m from J.F. Kennedys Plads", else the coordinates.
fn where_is(f: &Facts, s: &SitePick) -> String {
    let l = f.lang;
    let ds = f.ds;
    let Ok((x, y)) = ds.projection.forward(s.lon, s.lat) else {
        return format!("{:.5}, {:.5}", s.lat, s.lon);
    };
    let p = geo::Point::new(x, y);
    let nearest = ds
        .places
        .iter()
        .filter_map(|pl| {
            let g = ds.projection.forward_geometry(&pl.geometry).ok()?;
            Some((pl, Euclidean.distance(&p, &g)))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1));
    let at = format!("{:.5}, {:.5}", s.lat, s.lon);
    match nearest {
        Some((pl, d)) if d < 1.0 => format!("{} ({at})", escape_markdown(&pl.name)),
        Some((pl, d)) if d <= 300.0 => format!(
            "{} {} {} ({at})",
            l.num(d, 0),
            l.pick("m from", "m fra"),
            escape_markdown(&pl.name)
        ),
        _ => at,
    }
}

pub(crate) fn key_findings(f: &Facts, all: &SafeHavens) -> Vec<String> {
    let l = f.lang;
    let k = f.min_count;
    let Some(last) = all.picks.last() else {
        return Vec::new();
    };
    let hide = all.cumulative_withheld(k);
    if hide.last() == Some(&true) || !shown(all.picks[0].marginal_count, k) {
        return Vec::new();
    }
    let sites = all.picks.len();
    let radius = l.num(all.radius_m, 0);
    let share = l.pct(last.cumulative_share, 0);
    let first_at = where_is(f, &all.picks[0]);
    let first_share = l.pct(all.picks[0].marginal_share, 0);
    vec![match l {
        Lang::En => format!(
            "{sites} mobile safe havens, each reaching {radius} m, would be within reach of {share} of all incidents; the first, at {first_at}, alone {first_share} (`safe_havens.geojson`)."
        ),
        Lang::Da => format!(
            "{sites} mobile hellesteder, der hver når {radius} m, vil være inden for rækkevidde af {share} af alle hændelser; det første, ved {first_at}, alene {first_share} (`safe_havens.geojson`)."
        ),
    }]
}

pub(crate) fn section(
    doc: &mut Document,
    f: &Facts,
    all: &SafeHavens,
    per_bin: Option<&SafeHavens>,
) {
    let l = f.lang;
    let k = f.min_count;
    doc.heading(
        2,
        l.pick(
            "Where mobile safe havens would reach the most",
            "Hvor mobile hellesteder vil nå flest",
        ),
    );
    let candidates = l.int(all.candidates.len() as u64);
    let rule = escape_markdown(&all.candidate_rule);
    let radius = l.num(all.radius_m, 0);
    doc.paragraph(&match l {
        Lang::En => format!(
            "Sites are chosen one at a time from {candidates} candidates ({rule}): each next site is the one that brings the most incidents not yet within {radius} m (straight line) of a chosen site (greedy maximal coverage). The table shows what each added site brings."
        ),
        Lang::Da => format!(
            "Stederne vælges ét ad gangen blandt {candidates} kandidater ({rule}): hvert nyt sted er det, der bringer flest hændelser inden for {radius} m (i lige linje), som endnu ikke er nået af et valgt sted (grådig maksimal dækning). Tabellen viser, hvad hvert nyt sted tilføjer."
        ),
    });
    let hide = all.cumulative_withheld(k);
    let rows: Vec<Vec<String>> = all
        .picks
        .iter()
        .zip(&hide)
        .map(|(s, &hide)| {
            vec![
                s.rank.to_string(),
                where_is(f, s),
                count(l, s.marginal_count, k),
                derived(&[s.marginal_count], k, || l.pct(s.marginal_share, 1)),
                if hide {
                    "–".to_owned()
                } else {
                    l.pct(s.cumulative_share, 1)
                },
            ]
        })
        .collect();
    doc.table(
        &[
            "#",
            l.pick("Site", "Sted"),
            l.pick("Incidents added", "Hændelser tilføjet"),
            l.pick("Share added", "Andel tilføjet"),
            l.pick(
                "Share reached, all sites so far",
                "Andel nået, alle steder indtil nu",
            ),
        ],
        &rows,
    );
    doc.source(&["safe_havens.geojson", "safe_haven_coverage.geojson"]);

    // The busiest time bins: where the first site would go then.
    let Some(per_bin) = per_bin else {
        return;
    };
    let mut busiest: Vec<(usize, f64)> = per_bin
        .bin_labels
        .iter()
        .enumerate()
        .map(|(b, _)| {
            (
                b,
                f.time_bins
                    .get(b)
                    .map_or(0.0, |t| if t.2 > 0.0 { t.1 as f64 / t.2 } else { 0.0 }),
            )
        })
        .collect();
    busiest.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let hide_per_bin = per_bin.cumulative_withheld(k);
    let rows: Vec<Vec<String>> = busiest
        .iter()
        .take(4)
        .filter_map(|&(b, _)| {
            let picks: Vec<&SitePick> = per_bin.picks_of(b).collect();
            let last_hidden = per_bin
                .picks
                .iter()
                .zip(&hide_per_bin)
                .rfind(|(p, _)| p.bin == b)
                .is_some_and(|(_, &h)| h);
            let first = picks.first()?;
            let last = picks.last()?;
            Some(vec![
                describe_bin(l, &per_bin.bin_labels[b]),
                where_is(f, first),
                derived(&[first.marginal_count], k, || {
                    l.pct(first.marginal_share, 0)
                }),
                if last_hidden {
                    "–".to_owned()
                } else {
                    l.pct(last.cumulative_share, 0)
                },
            ])
        })
        .collect();
    if !rows.is_empty() {
        doc.paragraph(l.pick(
            "In the busiest time bins the best first site, and what all sites together reach then:",
            "I de travleste tidsrum det bedste første sted, og hvad alle steder tilsammen når da:",
        ));
        doc.table(
            &[
                l.pick("Time", "Tidsrum"),
                l.pick("First site", "Første sted"),
                l.pick("It reaches", "Det når"),
                l.pick("All sites reach", "Alle steder når"),
            ],
            &rows,
        );
        doc.source(&["safe_havens_per_bin.geojson"]);
    }
}
