#![allow(
    clippy::unwrap_used,
    clippy::float_cmp,
    clippy::too_many_lines,
    clippy::collapsible_if
)]
//! Complementary suppression in every writer that shows parts with their
//! total (issue 6): no withheld count is `total − shown parts`, and two
//! withheld parts never sum to less than k. Constructed cases with
//! hand-worked answers, and a property check on the Aalborg demo.

mod common;

use byrum::{
    H3Change, H3Counts, RateChange, RouteSegmentation, ServiceGap, SpatialIndex, h3_cells,
    h3_layer, h3_resolution, place_bin_table,
};
use common::demo_dataset;
use serde_json::Value;

const K: u64 = 5;

/// `total − Σ shown parts` must be 0 or at least k (when the total is shown).
fn check(what: &str, total: Option<u64>, parts: &[(u64, Option<u64>)], problems: &mut Vec<String>) {
    let Some(t) = total else { return };
    let shown: u64 = parts.iter().filter_map(|p| p.1).sum();
    let rest = t - shown;
    if rest > 0 && rest < K {
        problems.push(format!("{what}: total {t} − shown parts {shown} = {rest}"));
    }
    for &(n, s) in parts {
        if let Some(s) = s {
            assert_eq!(s, n, "{what}: a shown part is its count");
        }
        if n > 0 && n < K {
            assert!(s.is_none(), "{what}: part {n} shown");
        }
    }
}

fn int(v: &Value) -> Option<u64> {
    v.as_f64().map(|f| f as u64)
}

/// One H3 cell with 63 incidents in three bins: 40, 3, 20.
fn one_cell_counts() -> H3Counts {
    let res = h3_resolution(9).unwrap();
    let cells = h3_cells(&[9.92; 63], &[57.05; 63], res).unwrap();
    let bins: Vec<u32> = (0..63)
        .map(|i| {
            if i < 40 {
                0
            } else if i < 43 {
                1
            } else {
                2
            }
        })
        .collect();
    let labels = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
    H3Counts::compute(res, &cells, &bins, None, labels, vec![10.0; 3], None).unwrap()
}

#[test]
fn h3_layer_withholds_the_small_bin_and_its_complement() {
    let counts = one_cell_counts();
    let fc: Value = serde_json::from_str(&h3_layer(&counts, K).to_string()).unwrap();
    let p = &fc["features"][0]["properties"];
    assert_eq!(p["count"], 63);
    assert_eq!(p["count_a"], 40);
    assert_eq!(p["rate_a"], 4.0);
    // 3 is withheld, and so is the next smallest (20): else 63 − 40 − 20 = 3.
    for k in ["count_b", "rate_b", "count_c", "rate_c"] {
        assert!(p[k].is_null(), "{k}");
    }
    assert_eq!(p["suppressed"], true);
    // Before this rule only count_b was withheld: total − shown would be 3.
}

#[test]
fn change_layer_withholds_records_together() {
    // A: bins 40, 3, 20 (63); B: 30, 20, 30 (80). Bin b's A count is 3: its
    // record (both counts) is withheld; A then needs a second part (bin c,
    // 20), and B's withheld parts (20 + 30) are ≥ k. Bin a and the totals stay.
    let test = RateChange::new();
    let rr = |a: u64, b: u64| test.compute(&[a], 10.0, &[b], 10.0).unwrap().remove(0);
    let change = H3Change {
        resolution: h3_resolution(9).unwrap(),
        cells: one_cell_counts().cells,
        names: ("A".into(), "B".into()),
        bin_labels: vec!["a".into(), "b".into(), "c".into()],
        total: vec![test.compute(&[63], 30.0, &[80], 30.0).unwrap().remove(0)],
        per_bin: vec![Some(rr(40, 30)), Some(rr(3, 20)), Some(rr(20, 30))],
        exposure: ((30.0, vec![10.0; 3]), (30.0, vec![10.0; 3])),
        confidence: 0.95,
        excluded_incidents: 0,
    };
    assert_eq!(change.withheld(0, K), vec![false, false, true, true]);
    let fc: Value = serde_json::from_str(&change.layer(K).to_string()).unwrap();
    let p = &fc["features"][0]["properties"];
    assert_eq!(
        (p["count_a"].clone(), p["count_b"].clone()),
        (63.into(), 80.into())
    );
    assert_eq!(p["count_a_a"], 40);
    for k in [
        "count_a_b",
        "count_b_b",
        "rate_ratio_b",
        "count_a_c",
        "count_b_c",
        "p_c",
    ] {
        assert!(p[k].is_null(), "{k}");
    }
    assert_eq!(p["suppressed"], true);
}

/// Every writer on the demo: for every shown total, `total − Σ shown parts`
/// is 0 or ≥ k (and small parts are never shown).
#[test]
fn demo_no_withheld_count_by_subtraction() {
    let ds = demo_dataset();
    let common::DemoHotSpots {
        binning,
        spec,
        bins,
        labels,
        exposure,
        counts,
        hot,
    } = common::demo_hot_spots(&ds, 9);
    let nb = labels.len();
    let mut problems = Vec::new();
    let mut withheld_parts = 0usize;

    // hotspots_h3 and gistar_h3: counts and hot as the main job makes them.
    for (name, text, truth) in [
        (
            "hotspots_h3",
            h3_layer(&counts, K).to_string(),
            (&counts.counts, &counts.bin_counts),
        ),
        (
            "gistar_h3",
            hot.layer(K).to_string(),
            (&hot.counts, &hot.bin_counts),
        ),
    ] {
        let fc: Value = serde_json::from_str(&text).unwrap();
        let feats = fc["features"].as_array().unwrap();
        let mut cols = vec![(0u64, 0u64); nb];
        for (i, f) in feats.iter().enumerate() {
            let p = &f["properties"];
            let parts: Vec<(u64, Option<u64>)> = labels
                .iter()
                .enumerate()
                .map(|(b, l)| (truth.1[i * nb + b], int(&p[format!("count_{l}")])))
                .collect();
            withheld_parts += parts.iter().filter(|p| p.1.is_none()).count();
            for (b, &(n, s)) in parts.iter().enumerate() {
                cols[b].0 += n;
                cols[b].1 += s.unwrap_or(0);
            }
            assert_eq!(
                int(&p["count"]).is_none() && truth.0[i] > 0,
                p["count"].is_null() && truth.0[i] > 0
            );
            check(
                &format!("{name} cell {i}"),
                int(&p["count"]),
                &parts,
                &mut problems,
            );
        }
        for (b, (t, s)) in cols.iter().enumerate() {
            if t - s > 0 && t - s < K {
                problems.push(format!("{name} bin {b}: total {t} − shown {s}"));
            }
        }
    }

    // place_time_bins.csv, against each place's total.
    let index = SpatialIndex::build(&ds).unwrap();
    let place_of = index.place_of_incidents(&ds);
    let df = place_bin_table(&ds, &index, &place_of, &bins, &labels, &exposure, K).unwrap();
    let col = df.column("count").unwrap().u64().unwrap();
    let shown: Vec<Option<u64>> = (0..col.len()).map(|i| col.get(i)).collect();
    let col = df.column("rate_per_hour").unwrap().f64().unwrap();
    let rates: Vec<Option<f64>> = (0..col.len()).map(|i| col.get(i)).collect();
    let np = ds.places.len();
    let mut truth = vec![0u64; (np + 1) * nb];
    for (p, b) in place_of.iter().zip(&bins) {
        let row = if *p == u32::MAX { np } else { *p as usize };
        truth[row * nb + *b as usize] += 1;
    }
    for row in 0..=np {
        let parts: Vec<(u64, Option<u64>)> = (0..nb)
            .map(|b| (truth[row * nb + b], shown[row * nb + b]))
            .collect();
        for b in 0..nb {
            assert!(shown[row * nb + b].is_some() || rates[row * nb + b].is_none());
        }
        let total: u64 = parts.iter().map(|p| p.0).sum();
        withheld_parts += parts.iter().filter(|p| p.1.is_none()).count();
        check(
            &format!("place_time_bins row {row}"),
            byrum::shown(total, K),
            &parts,
            &mut problems,
        );
    }

    // The service-gap tables: slots of hours, hours of places, unmet of incidents.
    let gap = ServiceGap::new().compute(&ds, &index, &place_of).unwrap();
    for row in 0..=np {
        let w = gap.withheld(row);
        let s = |n: u64, hidden: bool| (n, (!hidden).then_some(n));
        let (t, u) = gap.place_totals(row);
        let place = (s(t, w.place.0), s(u, w.place.1));
        let hours: Vec<_> = (0..24)
            .map(|h| {
                let (a, b) = gap.place_hour(row, h);
                (s(a, w.hours[h].0), s(b, w.hours[h].1))
            })
            .collect();
        let what = format!("service gap row {row}");
        check(
            &what,
            place.0.1,
            &hours.iter().map(|h| h.0).collect::<Vec<_>>(),
            &mut problems,
        );
        check(
            &what,
            place.1.1,
            &hours.iter().map(|h| h.1).collect::<Vec<_>>(),
            &mut problems,
        );
        let nn = gap.unmet_no_service_nearby_by_place[row];
        if let (Some(u), false) = (place.1.1, w.no_service_nearby) {
            check(&what, Some(u), &[(nn, Some(nn))], &mut problems);
        }
        let mut pairs = vec![place];
        for (h, hour) in hours.iter().enumerate() {
            pairs.push(*hour);
            let slots: Vec<_> = (0..7)
                .map(|d| {
                    let i = row * 168 + d * 24 + h;
                    let ws = w.slots[d * 24 + h];
                    (s(gap.total_by_slot[i], ws.0), s(gap.unmet_by_slot[i], ws.1))
                })
                .collect();
            check(
                &what,
                hour.0.1,
                &slots.iter().map(|x| x.0).collect::<Vec<_>>(),
                &mut problems,
            );
            check(
                &what,
                hour.1.1,
                &slots.iter().map(|x| x.1).collect::<Vec<_>>(),
                &mut problems,
            );
            pairs.extend(slots);
        }
        // Met = incidents − unmet is never a small number.
        for ((_, ts), (_, us)) in pairs {
            if let (Some(t), Some(u)) = (ts, us) {
                if t - u > 0 && t - u < K {
                    problems.push(format!("{what}: met {t} − {u}"));
                }
            }
        }
    }

    // route_segments: bins of the piece, walked of all.
    let segs = RouteSegmentation::default()
        .compute(&ds, &binning, &spec, &bins)
        .unwrap();
    let fc: Value =
        serde_json::from_str(&segs.layer(&ds.projection, K).unwrap().to_string()).unwrap();
    for (piece, f) in fc["features"].as_array().unwrap().iter().enumerate() {
        let p = &f["properties"];
        let what = format!("route piece {piece}");
        let n = segs.counts[piece];
        let parts: Vec<_> = labels
            .iter()
            .enumerate()
            .map(|(b, l)| (segs.count(piece, b), int(&p[format!("count_{l}")])))
            .collect();
        check(&what, int(&p["count"]), &parts, &mut problems);
        if p["scheduled"] == true {
            let wparts: Vec<_> = labels
                .iter()
                .enumerate()
                .map(|(b, l)| {
                    (
                        segs.walked_bin_counts[piece * nb + b],
                        int(&p[format!("walked_count_{l}")]),
                    )
                })
                .collect();
            check(&what, int(&p["walked_count"]), &wparts, &mut problems);
            if let (Some(_), Some(w)) = (int(&p["count"]), int(&p["walked_count"])) {
                if n - w > 0 && n - w < K {
                    problems.push(format!("{what}: unwalked {n} − {w}"));
                }
            }
            for (b, l) in labels.iter().enumerate() {
                if let (Some(c), Some(w)) = (
                    int(&p[format!("count_{l}")]),
                    int(&p[format!("walked_count_{l}")]),
                ) {
                    if c - w > 0 && c - w < K {
                        problems.push(format!("{what} bin {b}: unwalked {c} − {w}"));
                    }
                }
            }
        }
    }
    eprintln!(
        "demo: {withheld_parts} parts withheld (h3, gistar, place bins); problems: {}",
        problems.len()
    );
    assert!(withheld_parts > 0, "the demo has small counts");
    assert!(problems.is_empty(), "{problems:#?}");
}
