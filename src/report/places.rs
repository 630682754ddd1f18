//! Which places attract the groups, and when: profiles and ranking.

use crate::document::{Document, Lang, escape_markdown};
use crate::profile::{PlaceProfile, PlaceProfilesResult, RankMetric, RateEstimate};

use super::{Facts, count, describe_bin, p_value};

/// The files this section's numbers come from: (file, English, Danish).
pub(crate) const FILES: [(&str, &str, &str); 3] = [
    (
        "places.geojson",
        "places with counts, rates, intervals, rank, peak time and attributes",
        "steder med antal, rater, intervaller, rang, spidstid og egenskaber",
    ),
    (
        "place_profiles.csv",
        "the same as a table, one row per place",
        "det samme som tabel, én række pr. sted",
    ),
    (
        "place_hour_season.csv",
        "incidents and rates per place, hour bucket and season",
        "hændelser og rater pr. sted, tidsrum og årstid",
    ),
];

fn metric_text(l: Lang, m: RankMetric) -> &'static str {
    match m {
        RankMetric::PerHourPer1000m2 => l.pick(
            "incidents per hour per 1,000 m²",
            "hændelser pr. time pr. 1.000 m²",
        ),
        RankMetric::PerHour => l.pick("incidents per hour", "hændelser pr. time"),
    }
}

/// "0.12 (0.10–0.14)" for a rate and its interval, "–" when withheld.
fn rate_ci(l: Lang, r: Option<&RateEstimate>) -> String {
    match r {
        Some(r) => match (r.rate, r.low, r.high) {
            (Some(v), Some(lo), Some(hi)) => {
                format!("{} ({}–{})", l.sig(v), l.sig(lo), l.sig(hi))
            }
            _ => "–".to_owned(),
        },
        None => "–".to_owned(),
    }
}

fn peak(l: Lang, out: &PlaceProfilesResult, p: &PlaceProfile) -> String {
    out.peak_label(p)
        .map_or_else(|| "–".to_owned(), |b| describe_bin(l, &b))
}

fn attr(p: &PlaceProfile, key: &str) -> String {
    match p.attributes.get(key) {
        None | Some(serde_json::Value::Null) => "–".to_owned(),
        Some(serde_json::Value::String(s)) => escape_markdown(s),
        Some(v) => escape_markdown(&v.to_string()),
    }
}

pub(crate) fn key_findings(f: &Facts, out: &PlaceProfilesResult) -> Vec<String> {
    let l = f.lang;
    let mut lines = Vec::new();
    let ranked: Vec<&PlaceProfile> = out.ranked().collect();
    if let Some(first) = ranked.first() {
        let tied: Vec<String> = ranked
            .iter()
            .skip(1)
            .take_while(|p| p.rank_group == first.rank_group)
            .map(|p| escape_markdown(&p.name))
            .collect();
        let lead = escape_markdown(&first.name);
        let metric = metric_text(l, out.metric);
        let alone = tied.is_empty();
        let tied = tied.join(", ");
        lines.push(match (l, alone) {
            (Lang::En, true) => format!(
                "{lead} has the most {metric} and is clearly ahead of the next place (`place_profiles.csv`)."
            ),
            (Lang::En, false) => format!(
                "{lead} leads on {metric}, but cannot be told apart from {tied} (`place_profiles.csv`)."
            ),
            (Lang::Da, true) => format!(
                "{lead} har flest {metric} og ligger klart foran næste sted (`place_profiles.csv`)."
            ),
            (Lang::Da, false) => format!(
                "{lead} ligger øverst målt i {metric}, men kan ikke skelnes fra {tied} (`place_profiles.csv`)."
            ),
        });
    }
    let busiest = out
        .places
        .iter()
        .filter_map(|p| p.rate.rate.map(|r| (p, r)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((p, r)) = busiest {
        let name = escape_markdown(&p.name);
        let rate = l.sig(r);
        let peak_time = peak(l, out, p);
        lines.push(match l {
            Lang::En => format!(
                "Most incidents per hour: {name} ({rate} per hour; peak {peak_time}) (`places.geojson`)."
            ),
            Lang::Da => format!(
                "Flest hændelser pr. time: {name} ({rate} pr. time; flest {peak_time}) (`places.geojson`)."
            ),
        });
    }
    lines
}

pub(crate) fn section(doc: &mut Document, f: &Facts, out: &PlaceProfilesResult) {
    let l = f.lang;
    let k = f.min_count;
    doc.heading(
        2,
        l.pick(
            "Which places attract the groups, and when",
            "Hvilke steder tiltrækker grupperne, og hvornår",
        ),
    );
    let pct = l.num(out.confidence * 100.0, 0);
    let metric = metric_text(l, out.metric);
    doc.paragraph(&match l {
        Lang::En => format!(
            "Places are ranked by {metric}. Each rate has an exact {pct} % Poisson interval, and places are ranked by its *lower* limit: the rate a place has at least. A small place with a handful of incidents can show a high rate by chance; its interval is wide, so it does not top the list on noise. *Ahead of next* says whether a place's rate is significantly higher than the next place's (exact rate-ratio test); places that cannot be told apart share a group."
        ),
        Lang::Da => format!(
            "Stederne er rangeret efter {metric}. Hver rate har et eksakt {pct} %-Poisson-interval, og stederne rangeres efter den *nedre* grænse: den rate, stedet mindst har. Et lille sted med få hændelser kan få en høj rate ved et tilfælde; dets interval er bredt, så det kommer ikke øverst på støj. *Foran næste* angiver, om stedets rate er signifikant højere end det næste steds (eksakt test af rateforhold); steder, der ikke kan skelnes, er i samme gruppe."
        ),
    });
    let yes_no = |b: bool| l.pick(if b { "yes" } else { "no" }, if b { "ja" } else { "nej" });
    let mut rows: Vec<Vec<String>> = Vec::new();
    for p in out.ranked() {
        rows.push(vec![
            p.rank.map_or_else(|| "–".to_owned(), |r| r.to_string()),
            escape_markdown(&p.name),
            p.rank_group
                .map_or_else(|| "–".to_owned(), |g| g.to_string()),
            p.count.map_or_else(|| count(l, 1, k), |n| count(l, n, k)),
            rate_ci(l, Some(&p.rate)),
            rate_ci(l, p.rate_per_1000m2.as_ref()),
            peak(l, out, p),
            p.vs_next
                .as_ref()
                .map_or_else(|| "–".to_owned(), |c| yes_no(c.ahead).to_owned()),
        ]);
    }
    for p in out.places.iter().filter(|p| p.rank.is_none()) {
        rows.push(vec![
            "–".into(),
            escape_markdown(&p.name),
            "–".into(),
            p.count.map_or_else(|| count(l, 1, k), |n| count(l, n, k)),
            "–".into(),
            "–".into(),
            "–".into(),
            "–".into(),
        ]);
    }
    doc.table(
        &[
            l.pick("Rank", "Rang"),
            l.pick("Place", "Sted"),
            l.pick("Group", "Gruppe"),
            l.pick("Incidents", "Hændelser"),
            l.pick("Per hour (interval)", "Pr. time (interval)"),
            l.pick(
                "Per hour per 1,000 m² (interval)",
                "Pr. time pr. 1.000 m² (interval)",
            ),
            l.pick("Peak time", "Flest"),
            l.pick("Ahead of next", "Foran næste"),
        ],
        &rows,
    );
    let close: Vec<String> = out
        .ranked()
        .filter_map(|p| {
            let c = p.vs_next.as_ref()?;
            let next = out.places.iter().find(|q| q.id == c.next_id)?;
            (!c.ahead).then(|| {
                format!(
                    "{} / {} (p {})",
                    escape_markdown(&p.name),
                    escape_markdown(&next.name),
                    p_value(l, c.test.p)
                )
            })
        })
        .collect();
    if !close.is_empty() {
        doc.paragraph(&format!(
            "{} {}.",
            l.pick(
                "Neighbours in the ranking that cannot be told apart:",
                "Naboer i rangeringen, der ikke kan skelnes:"
            ),
            close.join("; ")
        ));
    }
    let outside = count(l, out.outside_places, k);
    doc.paragraph(&match l {
        Lang::En => format!("{outside} incidents happened outside every place."),
        Lang::Da => format!("{outside} hændelser skete uden for stederne."),
    });
    doc.source(&["place_profiles.csv", "places.geojson"]);

    // When: weekday/weekend and darkness per place, with the place's features.
    doc.heading(
        3,
        l.pick(
            "Weekends, darkness and the places' features",
            "Weekender, mørke og stedernes indretning",
        ),
    );
    doc.paragraph(l.pick(
        "Rates per hour on weekdays and weekends, and in darkness and daylight (sun below or above civil twilight at the place), next to the features recorded for each place. With few places, a link between a feature and the rates is a pointer, not proof; the interventions below give before-and-after evidence.",
        "Rater pr. time på hverdage og i weekender, og i mørke og dagslys (solen under eller over borgerlig tusmørke på stedet), ved siden af de egenskaber, der er registreret for hvert sted. Med få steder er en sammenhæng mellem indretning og rater et fingerpeg, ikke et bevis; indsatserne nedenfor giver før-og-efter-belæg.",
    ));
    let r = |e: &RateEstimate| e.rate.map_or_else(|| "–".to_owned(), |v| l.sig(v));
    let ratio = |a: &RateEstimate, b: &RateEstimate| match (a.rate, b.rate) {
        (Some(x), Some(y)) if y > 0.0 => l.num(x / y, 2),
        _ => "–".to_owned(),
    };
    let rows: Vec<Vec<String>> = out
        .ranked()
        .chain(out.places.iter().filter(|p| p.rank.is_none()))
        .map(|p| {
            vec![
                escape_markdown(&p.name),
                r(&p.daytype[0]),
                r(&p.daytype[1]),
                r(&p.darkness[1]),
                r(&p.darkness[0]),
                ratio(&p.darkness[1], &p.darkness[0]),
                attr(p, "lighting"),
                attr(p, "benches"),
                attr(p, "planting"),
                attr(p, "toilets"),
            ]
        })
        .collect();
    doc.table(
        &[
            l.pick("Place", "Sted"),
            l.pick("Weekday", "Hverdag"),
            l.pick("Weekend", "Weekend"),
            l.pick("Dark", "Mørke"),
            l.pick("Daylight", "Dagslys"),
            l.pick("Dark ÷ daylight", "Mørke ÷ dagslys"),
            l.pick("Lighting", "Belysning"),
            l.pick("Benches", "Bænke"),
            l.pick("Planting", "Beplantning"),
            l.pick("Toilets", "Toiletter"),
        ],
        &rows,
    );
    doc.source(&["place_profiles.csv"]);
    doc.image(
        "images/overview_all.png",
        l.pick("Density over all hours", "Tæthed over alle timer"),
        l.pick(
            "Incident density over all hours with places, routes and services.",
            "Tæthed af hændelser over alle timer med steder, ruter og tilbud.",
        ),
    );
}
