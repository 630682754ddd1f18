//! Siting mobile safe havens (mobile hellesteder): greedy maximal coverage
//! of incident weight within a radius, for `k` sites, overall or per time
//! bin.
//!
//! The maximal covering location problem (Church & ReVelle 1974): choose
//! `k` of the candidate sites so that the weight of incidents within
//! `radius_m` of at least one chosen site is largest. Exact solutions are
//! NP-hard; the greedy rule (add the site that covers the most weight not
//! yet covered) reaches at least 1 − 1/e ≈ 63 % of the optimum (Nemhauser,
//! Wolsey & Fisher 1978) and tells a planner what each added site brings.
//! It runs lazily (CELF, Leskovec et al. 2007): a site's gain can only fall
//! as others are chosen, so stale gains are upper bounds and most sites are
//! never re-evaluated. Ties go to the lowest candidate index, so the result
//! is that of the plain greedy rule, whatever the thread count.
//!
//! The radius is a straight-line distance in projected metres (default
//! 250 m, about three to five minutes' walk); walking distance along streets
//! is longer, so the coverage is an upper bound.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use geo::{ConvexHull, Coord, LineString, MultiPoint, MultiPolygon, Point, Polygon};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde_json::{Value, json};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::grid::MetricGrid;
use crate::layer::Layer;
use crate::privacy::is_suppressed;
use crate::projection::Projection;

/// Most candidates allowed (a 100 m grid over 100 km × 100 km).
const MAX_CANDIDATES: usize = 1_000_000;

/// Where safe havens may go.
#[derive(Debug, Clone, PartialEq)]
pub enum Candidates {
    /// Given sites, as (longitude, latitude).
    Points(Vec<(f64, f64)>),
    /// Centres of a square grid of `spacing_m` metres inside the study area
    /// (or, without one, the convex hull of the incidents).
    Grid {
        /// Grid spacing in metres (default 100).
        spacing_m: f64,
    },
}

impl Default for Candidates {
    fn default() -> Self {
        Candidates::Grid { spacing_m: 100.0 }
    }
}

/// Greedy maximal-coverage siting settings.
///
/// ```
/// use byrum::*;
/// # let dir = std::env::temp_dir().join("byrum-doc-siting");
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join("i.csv");
/// # std::fs::write(&path, "id,lon,lat,timestamp,category\n\
/// # 1,9.9200,57.0500,2024-03-04T10:30:00+01:00,noise\n\
/// # 2,9.9201,57.0500,2024-03-04T11:30:00+01:00,noise\n\
/// # 3,9.9400,57.0500,2024-03-04T20:00:00+01:00,noise\n").unwrap();
/// let ds = DatasetBuilder::new().incidents(IncidentReader::new().read_csv(&path)?).build()?;
/// let siting = SafeHavenSiting {
///     candidates: Candidates::Points(vec![(9.9400, 57.0500), (9.9200, 57.0500)]),
///     sites: 2,
///     ..SafeHavenSiting::default() // 250 m radius
/// };
/// let havens = siting.compute(&ds, None)?;
/// // The second candidate covers two incidents, the first one more.
/// assert_eq!(havens.picks[0].candidate, 1);
/// assert_eq!(havens.picks[0].marginal_count, 2);
/// assert_eq!(havens.picks[1].candidate, 0);
/// assert_eq!(havens.picks[1].cumulative_share, 1.0);
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SafeHavenSiting {
    /// Coverage radius in metres, straight-line (default 250).
    pub radius_m: f64,
    /// Number of sites to choose (default 5).
    pub sites: usize,
    /// Candidate sites (default: a 100 m grid).
    pub candidates: Candidates,
}

impl Default for SafeHavenSiting {
    fn default() -> Self {
        Self {
            radius_m: 250.0,
            sites: 5,
            candidates: Candidates::default(),
        }
    }
}

/// A candidate site.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Easting, metres.
    pub x: f64,
    /// Northing, metres.
    pub y: f64,
}

/// One chosen site, in the order the greedy rule added it.
#[derive(Debug, Clone, PartialEq)]
pub struct SitePick {
    /// Bin index (0 without bins).
    pub bin: usize,
    /// Bin label (`all` without bins).
    pub bin_label: String,
    /// 1 for the first site added, 2 for the second, ….
    pub rank: usize,
    /// Index into [`SafeHavens::candidates`].
    pub candidate: usize,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Weight newly covered by this site.
    pub marginal_weight: f64,
    /// Incidents newly covered by this site.
    pub marginal_count: u64,
    /// `marginal_weight` / the bin's total weight.
    pub marginal_share: f64,
    /// Weight covered by this and the earlier sites.
    pub cumulative_weight: f64,
    /// Incidents covered by this and the earlier sites.
    pub cumulative_count: u64,
    /// `cumulative_weight` / the bin's total weight.
    pub cumulative_share: f64,
}

/// Chosen safe-haven sites, per bin.
#[derive(Debug, Clone, PartialEq)]
pub struct SafeHavens {
    /// Radius used, metres.
    pub radius_m: f64,
    /// Sites asked for per bin.
    pub sites: usize,
    /// How the candidates were made, in words.
    pub candidate_rule: String,
    /// All candidates.
    pub candidates: Vec<Candidate>,
    /// Bin labels (`["all"]` without bins).
    pub bin_labels: Vec<String>,
    /// Total incident weight per bin.
    pub total_weight: Vec<f64>,
    /// Incidents per bin.
    pub total_count: Vec<u64>,
    /// Chosen sites, bin by bin, in the order added. A bin has fewer than
    /// `sites` picks when no further candidate adds any weight.
    pub picks: Vec<SitePick>,
}

/// Heap entry: a gain (upper bound until fresh) for a candidate.
#[derive(Debug, Clone, Copy)]
struct Entry {
    gain: f64,
    count: u64,
    candidate: usize,
    round: usize,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Larger gain first; among equal gains the lower candidate index.
    fn cmp(&self, other: &Self) -> Ordering {
        self.gain
            .total_cmp(&other.gain)
            .then(other.candidate.cmp(&self.candidate))
    }
}

/// Lazy greedy (CELF). `gain(c, covered)` is the (weight, count) candidate
/// `c` would add; `mark(c, covered)` marks what it covers. Returns
/// (candidate, weight, count) in the order chosen; stops early when no
/// candidate adds any weight.
fn celf<G, M>(
    candidates: usize,
    items: usize,
    k: usize,
    gain: G,
    mut mark: M,
) -> Vec<(usize, f64, u64)>
where
    G: Fn(usize, &[bool]) -> (f64, u64) + Sync,
    M: FnMut(usize, &mut [bool]),
{
    let mut covered = vec![false; items];
    let mut heap: BinaryHeap<Entry> = (0..candidates)
        .into_par_iter()
        .map(|c| {
            let (gain, count) = gain(c, &covered);
            Entry {
                gain,
                count,
                candidate: c,
                round: 0,
            }
        })
        .collect::<Vec<_>>()
        .into();
    let mut out = Vec::with_capacity(k);
    while out.len() < k {
        let Some(top) = heap.pop() else { break };
        if top.round == out.len() {
            if top.gain <= 0.0 {
                break; // nothing of weight left to cover
            }
            mark(top.candidate, &mut covered);
            out.push((top.candidate, top.gain, top.count));
        } else {
            let (gain, count) = gain(top.candidate, &covered);
            heap.push(Entry {
                gain,
                count,
                candidate: top.candidate,
                round: out.len(),
            });
        }
    }
    out
}

/// Greedy maximal coverage over explicit sets: `sets[c]` lists the items
/// candidate `c` covers, `weights[i]` is item `i`'s weight. Returns
/// (candidate, newly covered weight) in the order chosen, at most `k`,
/// stopping when no candidate adds any weight; ties go to the lower
/// candidate index. Lazy (CELF), with the plain greedy rule's result.
///
/// # Errors
/// [`Error::Parameter`] if an item index is out of range or a weight is
/// negative or not finite.
///
/// ```
/// // Items 0..5 with weight 1; set 0 = {0,1,2}, set 1 = {2,3}, set 2 = {3,4}.
/// let sets = vec![vec![0, 1, 2], vec![2, 3], vec![3, 4]];
/// let picks = byrum::greedy_max_coverage(&sets, &[1.0; 5], 2)?;
/// assert_eq!(picks, vec![(0, 3.0), (2, 2.0)]);
/// # Ok::<(), byrum::Error>(())
/// ```
pub fn greedy_max_coverage(
    sets: &[Vec<usize>],
    weights: &[f64],
    k: usize,
) -> Result<Vec<(usize, f64)>> {
    check_weights(weights)?;
    if sets.iter().flatten().any(|&i| i >= weights.len()) {
        return Err(Error::parameter(
            "coverage sets",
            "an item index is beyond the weights",
        ));
    }
    let picks = celf(
        sets.len(),
        weights.len(),
        k,
        |c, covered| {
            let mut w = 0.0;
            let mut n = 0;
            for &i in &sets[c] {
                if !covered[i] {
                    w += weights[i];
                    n += 1;
                }
            }
            (w, n)
        },
        |c, covered| sets[c].iter().for_each(|&i| covered[i] = true),
    );
    Ok(picks.into_iter().map(|(c, w, _)| (c, w)).collect())
}

fn check_weights(weights: &[f64]) -> Result<()> {
    if let Some(w) = weights.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
        return Err(Error::parameter(
            "incident weight",
            format!("{w}: weights must be zero or positive numbers for siting"),
        ));
    }
    Ok(())
}

type Item = GeomWithData<[f64; 2], u32>;

/// A bin's total weight, incident count and picks (candidate, weight, count).
type BinPicks = (f64, u64, Vec<(usize, f64, u64)>);

/// Greedy coverage of the points (`xy`, `w`) by discs of `radius` around `sites`.
fn site_points(
    xy: &[[f64; 2]],
    w: &[f64],
    sites: &[[f64; 2]],
    radius: f64,
    k: usize,
) -> Vec<(usize, f64, u64)> {
    let tree = RTree::bulk_load(
        xy.iter()
            .enumerate()
            .map(|(i, p)| GeomWithData::new(*p, i as u32))
            .collect::<Vec<Item>>(),
    );
    let r2 = radius * radius;
    let tree = &tree;
    celf(
        sites.len(),
        xy.len(),
        k,
        |c, covered| {
            let mut sum = 0.0;
            let mut n = 0;
            for p in tree.locate_within_distance(sites[c], r2) {
                let i = p.data as usize;
                if !covered[i] {
                    sum += w[i];
                    n += 1;
                }
            }
            (sum, n)
        },
        |c, covered| {
            for p in tree.locate_within_distance(sites[c], r2) {
                covered[p.data as usize] = true;
            }
        },
    )
}

impl SafeHavenSiting {
    /// Chooses the sites for all incidents of `ds`, or, with `bins`
    /// (each incident's bin and the bin labels), separately for each bin.
    ///
    /// # Errors
    /// [`Error::Parameter`] for a radius that is not positive, zero sites,
    /// a bad grid spacing or candidate, no candidate at all, too many
    /// candidates, negative weights, or bins that do not fit.
    pub fn compute(&self, ds: &Dataset, bins: Option<(&[u32], &[String])>) -> Result<SafeHavens> {
        if !(self.radius_m.is_finite() && self.radius_m > 0.0) {
            return Err(Error::parameter(
                "safe-haven radius",
                format!("{} m: must be a positive number of metres", self.radius_m),
            ));
        }
        if self.sites == 0 {
            return Err(Error::parameter(
                "safe-haven sites",
                "0: ask for at least one site",
            ));
        }
        let inc = &ds.incidents;
        if let Some(w) = &inc.weight {
            check_weights(w)?;
        }
        let (candidates, candidate_rule) = self.candidates(ds)?;
        let (bin_of, labels): (Vec<u32>, Vec<String>) = match bins {
            None => (vec![0; inc.len()], vec!["all".to_owned()]),
            Some((b, l)) => {
                if b.len() != inc.len() {
                    return Err(Error::parameter(
                        "safe-haven bins",
                        format!("{} bins for {} incidents", b.len(), inc.len()),
                    ));
                }
                if b.iter().any(|&x| x as usize >= l.len()) {
                    return Err(Error::parameter(
                        "safe-haven bins",
                        "a bin index is beyond the labels",
                    ));
                }
                (b.to_vec(), l.to_vec())
            }
        };
        let nb = labels.len();
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); nb];
        for (i, &b) in bin_of.iter().enumerate() {
            members[b as usize].push(i);
        }
        let sites_xy: Vec<[f64; 2]> = candidates.iter().map(|c| [c.x, c.y]).collect();
        let per_bin: Vec<BinPicks> = members
            .par_iter()
            .map(|m| {
                let xy: Vec<[f64; 2]> = m.iter().map(|&i| [inc.x[i], inc.y[i]]).collect();
                let w: Vec<f64> = m.iter().map(|&i| inc.weight_of(i)).collect();
                let total: f64 = w.iter().sum();
                let picks = site_points(&xy, &w, &sites_xy, self.radius_m, self.sites);
                (total, m.len() as u64, picks)
            })
            .collect();
        let mut picks = Vec::new();
        let mut total_weight = Vec::with_capacity(nb);
        let mut total_count = Vec::with_capacity(nb);
        for (b, (total, n, chosen)) in per_bin.into_iter().enumerate() {
            let share = |w: f64| if total > 0.0 { w / total } else { 0.0 };
            let (mut cw, mut cn) = (0.0, 0);
            for (rank, (c, w, count)) in chosen.into_iter().enumerate() {
                cw += w;
                cn += count;
                picks.push(SitePick {
                    bin: b,
                    bin_label: labels[b].clone(),
                    rank: rank + 1,
                    candidate: c,
                    lon: candidates[c].lon,
                    lat: candidates[c].lat,
                    marginal_weight: w,
                    marginal_count: count,
                    marginal_share: share(w),
                    cumulative_weight: cw,
                    cumulative_count: cn,
                    cumulative_share: share(cw),
                });
            }
            total_weight.push(total);
            total_count.push(n);
        }
        Ok(SafeHavens {
            radius_m: self.radius_m,
            sites: self.sites,
            candidate_rule,
            candidates,
            bin_labels: labels,
            total_weight,
            total_count,
            picks,
        })
    }

    fn candidates(&self, ds: &Dataset) -> Result<(Vec<Candidate>, String)> {
        let p = &ds.projection;
        match &self.candidates {
            Candidates::Points(pts) => {
                if pts.is_empty() {
                    return Err(Error::parameter(
                        "safe-haven candidates",
                        "no candidate site was given",
                    ));
                }
                let out = pts
                    .iter()
                    .map(|&(lon, lat)| {
                        if !(lon.is_finite()
                            && lat.is_finite()
                            && (-180.0..=180.0).contains(&lon)
                            && (-90.0..=90.0).contains(&lat))
                        {
                            return Err(Error::parameter(
                                "safe-haven candidates",
                                format!("({lon}, {lat}) is not a longitude/latitude pair"),
                            ));
                        }
                        let (x, y) = p.forward(lon, lat)?;
                        Ok(Candidate { lon, lat, x, y })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let n = out.len();
                Ok((out, format!("{n} given sites")))
            }
            Candidates::Grid { spacing_m } => {
                let s = *spacing_m;
                if !(s.is_finite() && s > 0.0) {
                    return Err(Error::parameter(
                        "safe-haven grid spacing",
                        format!("{s} m: must be a positive number of metres"),
                    ));
                }
                let (area, what): (MultiPolygon, &str) = if let Some(a) = &ds.study_area {
                    (p.forward_geometry(a.polygon())?, "the study area")
                } else {
                    let inc = &ds.incidents;
                    let pts: MultiPoint = (0..inc.len())
                        .map(|i| Point::new(inc.x[i], inc.y[i]))
                        .collect();
                    (
                        MultiPolygon(vec![pts.convex_hull()]),
                        "the convex hull of the incidents",
                    )
                };
                let Some(r) = geo::BoundingRect::bounding_rect(&area) else {
                    return Err(Error::parameter(
                        "safe-haven candidates",
                        "the area for the candidate grid is empty",
                    ));
                };
                let grid = MetricGrid::covering((r.min().x, r.min().y, r.max().x, r.max().y), s)?;
                if grid.len() > MAX_CANDIDATES {
                    return Err(Error::parameter(
                        "safe-haven grid spacing",
                        format!(
                            "{s} m gives {} candidate cells (at most {MAX_CANDIDATES}); use a larger spacing",
                            grid.len()
                        ),
                    ));
                }
                let inside = grid.centres_in(&area);
                let out = (0..grid.len())
                    .filter(|&i| inside[i])
                    .map(|i| {
                        let (x, y) = grid.centre(i);
                        let (lon, lat) = p.inverse(x, y)?;
                        Ok(Candidate { lon, lat, x, y })
                    })
                    .collect::<Result<Vec<_>>>()?;
                if out.is_empty() {
                    return Err(Error::parameter(
                        "safe-haven grid spacing",
                        format!("{s} m: no grid centre lies inside {what}; use a smaller spacing"),
                    ));
                }
                Ok((out, format!("centres of a {s} m grid inside {what}")))
            }
        }
    }
}

impl SafeHavens {
    /// The picks of bin `bin`, in the order added.
    pub fn picks_of(&self, bin: usize) -> impl Iterator<Item = &SitePick> {
        self.picks.iter().filter(move |p| p.bin == bin)
    }

    /// The `safe_havens` layer: one point per chosen site with `bin`,
    /// `rank`, `candidate`, `radius_m`, `marginal_count`, `marginal_weight`,
    /// `marginal_share`, `cumulative_count`, `cumulative_weight`,
    /// `cumulative_share`, `bin_total_count`.
    ///
    /// Counts from 1 to `min_count − 1` are `null` (`suppressed: true`),
    /// and so are the weights and shares made from them. So that no withheld
    /// count can be worked out by subtraction, the cumulative values of a bin
    /// are withheld too from its first withheld marginal count on, and
    /// wherever the incidents left uncovered (bin total − cumulative) are
    /// from 1 to `min_count − 1`.
    #[must_use]
    pub fn layer(&self, min_count: u64) -> Layer {
        let mut layer = Layer::new("safe_havens");
        self.params(&mut layer, min_count);
        let hide_cumulative = self.cumulative_withheld(min_count);
        for (p, &hide) in self.picks.iter().zip(&hide_cumulative) {
            layer.push(
                Point::new(p.lon, p.lat).into(),
                self.props(p, min_count, hide),
            );
        }
        layer
    }

    /// Per pick (in [`SafeHavens::picks`] order), whether its cumulative
    /// count, weight and share must be withheld: from the bin's first withheld
    /// marginal count on, or where the incidents left uncovered are from 1 to
    /// `min_count − 1` (see [`SafeHavens::layer`]).
    #[must_use]
    pub fn cumulative_withheld(&self, min_count: u64) -> Vec<bool> {
        let mut earlier_hidden = vec![false; self.bin_labels.len()];
        self.picks
            .iter()
            .map(|p| {
                earlier_hidden[p.bin] |= is_suppressed(p.marginal_count, min_count);
                let left = self.total_count[p.bin].saturating_sub(p.cumulative_count);
                earlier_hidden[p.bin]
                    || is_suppressed(p.cumulative_count, min_count)
                    || is_suppressed(left, min_count)
            })
            .collect()
    }

    /// The `safe_haven_coverage` layer: the coverage disc of every chosen
    /// site (a 72-sided polygon of `radius_m`, drawn in projected metres),
    /// with the same properties as [`SafeHavens::layer`].
    ///
    /// # Errors
    /// [`Error::Projection`] if a disc cannot be projected.
    pub fn coverage_layer(&self, projection: &Projection, min_count: u64) -> Result<Layer> {
        let mut layer = Layer::new("safe_haven_coverage");
        self.params(&mut layer, min_count);
        let hide_cumulative = self.cumulative_withheld(min_count);
        for (p, &hide) in self.picks.iter().zip(&hide_cumulative) {
            let c = self.candidates[p.candidate];
            let ring: LineString = (0..=72)
                .map(|k| {
                    let a = f64::from(k % 72) * std::f64::consts::TAU / 72.0;
                    Coord {
                        x: c.x + self.radius_m * a.cos(),
                        y: c.y + self.radius_m * a.sin(),
                    }
                })
                .collect();
            let disc: Polygon = projection.inverse_geometry(&Polygon::new(ring, vec![]))?;
            layer.push(disc.into(), self.props(p, min_count, hide));
        }
        Ok(layer)
    }

    fn params(&self, layer: &mut Layer, min_count: u64) {
        layer
            .param("method", "greedy maximal coverage (Church & ReVelle 1974), lazy evaluation; ties to the lowest candidate index")
            .param("radius_m", self.radius_m)
            .param("radius_rule", "straight-line distance in projected metres, boundary included")
            .param("sites", self.sites)
            .param("candidates", self.candidate_rule.clone())
            .param("candidate_count", self.candidates.len())
            .param("bins", self.bin_labels.clone())
            .param("min_count", min_count);
    }

    fn props(
        &self,
        p: &SitePick,
        min_count: u64,
        hide_cumulative: bool,
    ) -> serde_json::Map<String, Value> {
        let hidden = |n: u64| is_suppressed(n, min_count);
        let mut m = serde_json::Map::new();
        m.insert("bin".into(), p.bin_label.clone().into());
        m.insert("rank".into(), p.rank.into());
        m.insert("candidate".into(), p.candidate.into());
        m.insert("radius_m".into(), json!(self.radius_m));
        let put = |m: &mut serde_json::Map<String, Value>,
                   hide: bool,
                   n: u64,
                   keys: [&str; 3],
                   w: f64,
                   s: f64| {
            if hide {
                for k in keys {
                    m.insert(k.into(), Value::Null);
                }
            } else {
                m.insert(keys[0].into(), n.into());
                m.insert(keys[1].into(), json!(w));
                m.insert(keys[2].into(), json!(s));
            }
        };
        put(
            &mut m,
            hidden(p.marginal_count),
            p.marginal_count,
            ["marginal_count", "marginal_weight", "marginal_share"],
            p.marginal_weight,
            p.marginal_share,
        );
        put(
            &mut m,
            hide_cumulative,
            p.cumulative_count,
            ["cumulative_count", "cumulative_weight", "cumulative_share"],
            p.cumulative_weight,
            p.cumulative_share,
        );
        let total = self.total_count[p.bin];
        m.insert(
            "bin_total_count".into(),
            if hidden(total) {
                Value::Null
            } else {
                total.into()
            },
        );
        m.insert(
            "suppressed".into(),
            (hidden(p.marginal_count) || hide_cumulative || hidden(total)).into(),
        );
        m
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The greedy rule written plainly: every round, every candidate's gain
    /// from scratch, the first best (lowest index) wins; stop at gain 0.
    fn naive_greedy(sets: &[Vec<usize>], w: &[f64], k: usize) -> Vec<(usize, f64)> {
        let mut covered = vec![false; w.len()];
        let mut out = Vec::new();
        for _ in 0..k {
            let mut best: Option<(usize, f64, usize)> = None;
            for (c, s) in sets.iter().enumerate() {
                let fresh: Vec<usize> = s.iter().copied().filter(|&i| !covered[i]).collect();
                let g: f64 = fresh.iter().map(|&i| w[i]).sum();
                let better = match best {
                    None => true,
                    Some((_, bg, _)) => g > bg,
                };
                if better {
                    best = Some((c, g, fresh.len()));
                }
            }
            let Some((c, g, _)) = best else { break };
            if g <= 0.0 {
                break;
            }
            sets[c].iter().for_each(|&i| covered[i] = true);
            out.push((c, g));
        }
        out
    }

    fn coverage(sets: &[Vec<usize>], w: &[f64], chosen: &[usize]) -> f64 {
        let mut cov = vec![false; w.len()];
        for &c in chosen {
            sets[c].iter().for_each(|&i| cov[i] = true);
        }
        (0..w.len()).filter(|&i| cov[i]).map(|i| w[i]).sum()
    }

    fn best_subset(sets: &[Vec<usize>], w: &[f64], k: usize) -> f64 {
        // Every subset of size ≤ k, by bit mask.
        let m = sets.len();
        (0u32..(1 << m))
            .filter(|mask| mask.count_ones() as usize <= k)
            .map(|mask| {
                let chosen: Vec<usize> = (0..m).filter(|&c| mask & (1 << c) != 0).collect();
                coverage(sets, w, &chosen)
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn hand_case() {
        // Items 0..7 weight 1, item 7 weight 5. Set 0 = {0,1,2,3}, set 1 = {3,4,5},
        // set 2 = {7}, set 3 = {5,6}. Greedy: set 2 (5), set 0 (4), set 3 (2: 5, 6), then set 1 (4).
        let sets = vec![vec![0, 1, 2, 3], vec![3, 4, 5], vec![7], vec![5, 6]];
        let mut w = vec![1.0; 8];
        w[7] = 5.0;
        let picks = greedy_max_coverage(&sets, &w, 4).unwrap();
        assert_eq!(picks, vec![(2, 5.0), (0, 4.0), (1, 2.0), (3, 1.0)]);
        // Set 1 and 3 both add 2 at round 3? Set 1 adds {4,5}, set 3 adds {5,6}: tie → lower index 1.
        assert_eq!(naive_greedy(&sets, &w, 4), picks);
        // Asking for more sites than useful stops when nothing is left.
        assert_eq!(greedy_max_coverage(&sets, &w, 9).unwrap().len(), 4);
        assert!(greedy_max_coverage(&sets, &[1.0, -1.0], 1).is_err());
    }

    #[test]
    fn spatial_greedy_equals_greedy_definition_and_bound() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut equal_opt_k1 = 0;
        for round in 0..60 {
            let n = rng.random_range(5..40);
            let m = rng.random_range(2..11);
            let k = rng.random_range(1..5);
            // Points on a 10 m lattice so that distances tie often.
            let xy: Vec<[f64; 2]> = (0..n)
                .map(|_| {
                    [
                        f64::from(rng.random_range(0..30)) * 10.0,
                        f64::from(rng.random_range(0..30)) * 10.0,
                    ]
                })
                .collect();
            let w: Vec<f64> = (0..n)
                .map(|_| {
                    if round % 2 == 0 {
                        1.0
                    } else {
                        f64::from(rng.random_range(0..4))
                    }
                })
                .collect();
            let sites: Vec<[f64; 2]> = (0..m)
                .map(|_| {
                    [
                        f64::from(rng.random_range(0..30)) * 10.0,
                        f64::from(rng.random_range(0..30)) * 10.0,
                    ]
                })
                .collect();
            let radius = 60.0;
            let sets: Vec<Vec<usize>> = sites
                .iter()
                .map(|s| {
                    (0..n)
                        .filter(|&i| {
                            (xy[i][0] - s[0]).powi(2) + (xy[i][1] - s[1]).powi(2) <= radius * radius
                        })
                        .collect()
                })
                .collect();
            let got = site_points(&xy, &w, &sites, radius, k);
            let want = naive_greedy(&sets, &w, k);
            let got2: Vec<(usize, f64)> = got.iter().map(|&(c, g, _)| (c, g)).collect();
            assert_eq!(got2, want, "round {round}");
            assert_eq!(greedy_max_coverage(&sets, &w, k).unwrap(), want);
            let chosen: Vec<usize> = got.iter().map(|p| p.0).collect();
            let value = coverage(&sets, &w, &chosen);
            let opt = best_subset(&sets, &w, k);
            assert!(value >= (1.0 - (-1f64).exp()) * opt - 1e-9, "round {round}");
            // For one site greedy is optimal.
            if k == 1 {
                assert_eq!(value, opt);
                equal_opt_k1 += 1;
            }
            // With k ≥ m every useful set is taken: optimal.
            if k >= m {
                assert_eq!(value, opt);
            }
        }
        assert!(equal_opt_k1 > 5);
    }

    #[test]
    fn greedy_can_be_suboptimal_but_within_bound() {
        // The classic: items 0..6. Set 0 = {0,1,2,3} (middle), set 1 = {0,1,4}, set 2 = {2,3,5}.
        // Greedy takes set 0 (4), then set 1 (1: item 4): 5; the optimum {1, 2} covers 6.
        let sets = vec![vec![0, 1, 2, 3], vec![0, 1, 4], vec![2, 3, 5]];
        let w = vec![1.0; 6];
        let picks = greedy_max_coverage(&sets, &w, 2).unwrap();
        assert_eq!(picks, vec![(0, 4.0), (1, 1.0)]);
        assert_eq!(best_subset(&sets, &w, 2), 6.0);
        assert!(5.0 >= (1.0 - (-1f64).exp()) * 6.0);
    }

    #[test]
    fn cumulative_values_are_withheld_where_subtraction_would_reveal_a_count() {
        let pick = |bin: usize, rank: usize, marginal: u64, cumulative: u64| SitePick {
            bin,
            bin_label: format!("b{bin}"),
            rank,
            candidate: rank,
            lon: 0.0,
            lat: 0.0,
            marginal_weight: marginal as f64,
            marginal_count: marginal,
            marginal_share: 0.0,
            cumulative_weight: cumulative as f64,
            cumulative_count: cumulative,
            cumulative_share: 0.0,
        };
        let havens = SafeHavens {
            radius_m: 250.0,
            sites: 3,
            candidate_rule: String::new(),
            candidates: vec![
                Candidate {
                    lon: 0.0,
                    lat: 0.0,
                    x: 0.0,
                    y: 0.0
                };
                3
            ],
            bin_labels: vec!["b0".into(), "b1".into()],
            total_weight: vec![40.0, 23.0],
            total_count: vec![40, 23],
            picks: vec![
                // Bin 0: the second site adds 3 (withheld): 10 → 13 would give it away.
                pick(0, 1, 10, 10),
                pick(0, 2, 3, 13),
                pick(0, 3, 8, 21),
                // Bin 1: all marginals shown, but 23 − 20 = 3 left uncovered at rank 2.
                pick(1, 1, 12, 12),
                pick(1, 2, 8, 20),
            ],
        };
        assert_eq!(
            havens.cumulative_withheld(5),
            vec![false, true, true, false, true]
        );
        let text = havens.layer(5).to_string();
        assert!(!text.contains("\"cumulative_count\":13"));
        assert!(!text.contains("\"cumulative_count\":21"));
        assert!(!text.contains("\"cumulative_count\":20"));
        assert!(text.contains("\"cumulative_count\":12"));
    }
}
