//! Routes cut into equal-length pieces: incidents within a buffer of each
//! piece per time bin, rates per 100 m, effort-corrected rates for routes
//! with a schedule (incidents per route-hour walked), and the significant
//! hot spots that no outreach round reaches at their peak hours.
//!
//! Pieces are cut in projected metres along each route (default 50 m; the
//! last piece keeps its real, shorter length). An incident within the buffer
//! (default 50 m, straight-line distance to the piece, boundary included) of
//! a route is counted once for that route, on the nearest piece (tie, within
//! a micrometre: the lower piece index), and may count for several routes.
//!
//! Effort correction: incidents are recorded where staff walk, so a route
//! walked often looks worse than one walked rarely. For a route with a
//! schedule (OSM `opening_hours` syntax), the hours walked per bin are the
//! quarter hours of the period in which the schedule is open
//! ([`TimeBinning::exposure_when`]); the incidents near the route *during*
//! its scheduled hours divided by those hours give incidents per route-hour
//! walked.

use std::ops::Range;

use geo::line_measures::{Distance, Euclidean};
use geo::{Coord, LineString};
use h3o::CellIndex;
use polars::prelude::{Column, DataFrame};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};
use serde_json::{Value, json};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::gistar::HotSpotClass;
use crate::hotspot::H3HotSpots;
use crate::layer::{Layer, cell_polygon};
use crate::model::RouteKind;
use crate::profile::PlaceProfilesResult;
use crate::projection::Projection;
use crate::time::{BinSpec, TimeBinning};

type PieceLine = GeomWithData<Line<[f64; 2]>, u32>;

/// Distances closer than this (metres) are a tie between pieces.
const TIE_M: f64 = 1e-6;

/// How routes are cut and how far they reach.
///
/// ```
/// use byrum::*;
/// # let dir = std::env::temp_dir().join("byrum-doc-routes");
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join("i.csv");
/// # std::fs::write(&path, "id,lon,lat,timestamp,category\n\
/// # 1,9.9200,57.0500,2024-03-04T10:30:00+01:00,noise\n\
/// # 2,9.9210,57.0501,2024-03-05T20:00:00+01:00,noise\n").unwrap();
/// let batch = IncidentReader::new().read_csv(&path)?;
/// let route = Route {
///     id: "r1".into(),
///     name: "Round".into(),
///     kind: RouteKind::Outreach,
///     line: geo::LineString::from(vec![(9.919, 57.050), (9.923, 57.050)]),
///     schedule: Some(Schedule::parse("Mo 10:00-12:00", Some("DK")).unwrap()),
/// };
/// let ds = DatasetBuilder::new()
///     .incidents(batch)
///     .routes(vec![route], IngestReport::default())
///     .build()?;
/// let binning = TimeBinning::default();
/// let spec = BinSpec::all();
/// let inc = &ds.incidents;
/// let bins = binning.assign(&spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
/// let segs = RouteSegmentation::default().compute(&ds, &binning, &spec, &bins)?;
/// assert_eq!(segs.pieces[0].length_m, 50.0); // 50 m pieces, the last shorter
/// assert_eq!(segs.routes[0].count, 2);       // both incidents lie on the route
/// // Only the Monday 10:30 incident falls in the scheduled hours (one
/// // Monday, 2 h walked): 0.5 incidents per route-hour walked.
/// assert_eq!(segs.routes[0].walked_count, Some(1));
/// assert_eq!(segs.routes[0].effort_rate, Some(0.5));
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RouteSegmentation {
    /// Piece length in metres (default 50).
    pub segment_m: f64,
    /// Buffer around each piece in metres, straight-line (default 50).
    pub buffer_m: f64,
}

impl Default for RouteSegmentation {
    fn default() -> Self {
        Self {
            segment_m: 50.0,
            buffer_m: 50.0,
        }
    }
}

/// One equal-length piece of a route.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutePiece {
    /// Index of the route in [`Dataset::routes`].
    pub route: usize,
    /// Position along the route, from 0.
    pub index: usize,
    /// Distance along the route where the piece starts, metres.
    pub start_m: f64,
    /// Real length in metres (`segment_m`, the last piece of a route shorter).
    pub length_m: f64,
    /// The piece in projected metres.
    pub line: LineString,
}

/// What a route adds up to.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteSummary {
    /// Index in [`Dataset::routes`].
    pub route: usize,
    /// The route's id.
    pub id: String,
    /// The route's name.
    pub name: String,
    /// Outreach, safety walk, typical route, ….
    pub kind: RouteKind,
    /// The schedule as written, if the route has one.
    pub schedule: Option<String>,
    /// Length in metres (projected).
    pub length_m: f64,
    /// Its pieces: positions in [`RouteSegments::pieces`].
    pub pieces: Range<usize>,
    /// Incidents within the buffer of the route (each once).
    pub count: u64,
    /// The same per bin.
    pub bin_counts: Vec<u64>,
    /// Hours walked per bin (scheduled hours in the period); `None` without a schedule.
    pub walked_hours: Option<Vec<f64>>,
    /// Hours walked in the whole period; `None` without a schedule.
    pub walked_hours_total: Option<f64>,
    /// Incidents within the buffer during scheduled hours; `None` without a schedule.
    pub walked_count: Option<u64>,
    /// The same per bin; `None` without a schedule.
    pub walked_bin_counts: Option<Vec<u64>>,
    /// `walked_count / walked_hours_total`: incidents per route-hour walked;
    /// `None` without a schedule or if it is never walked in the period.
    pub effort_rate: Option<f64>,
}

/// Routes cut into pieces with their incident counts, rates and
/// effort-corrected rates per time bin.
#[derive(Debug, Clone)]
pub struct RouteSegments {
    /// Piece length used, metres.
    pub segment_m: f64,
    /// Buffer used, metres.
    pub buffer_m: f64,
    /// Bin labels.
    pub bin_labels: Vec<String>,
    /// Calendar hours per bin in the period (for rates per hour).
    pub exposure_hours: Vec<f64>,
    /// All pieces, route by route, in order along each route.
    pub pieces: Vec<RoutePiece>,
    /// Incidents per piece.
    pub counts: Vec<u64>,
    /// Incidents per piece and bin, row-major (`piece * bins + bin`).
    pub bin_counts: Vec<u64>,
    /// Incidents per piece and bin during the route's scheduled hours (0 for
    /// routes without a schedule; see [`RouteSummary::walked_hours`]).
    pub walked_bin_counts: Vec<u64>,
    /// One summary per route of the data set, in its order.
    pub routes: Vec<RouteSummary>,
    /// The routes as projected lines, in the data set's order.
    pub lines: Vec<LineString>,
    /// Names of routes without a schedule (no effort-corrected rate).
    pub unscheduled: Vec<String>,
    /// Names of routes too short to cut (fewer than two distinct points).
    pub empty: Vec<String>,
}

/// Cuts a projected line into pieces of `segment_m` metres along it; the
/// last piece keeps the remainder (pieces shorter than a micrometre are
/// dropped). Returns (start along the line, length, piece).
fn cut(line: &LineString, segment_m: f64) -> Vec<(f64, f64, LineString)> {
    const EPS: f64 = 1e-6;
    let mut out = Vec::new();
    let mut current: Vec<Coord> = Vec::new();
    let mut start = 0.0;
    let mut len = 0.0; // length of `current`
    for l in line.lines() {
        let (a, b) = (l.start, l.end);
        let seg = (b.x - a.x).hypot(b.y - a.y);
        if seg <= 0.0 {
            continue;
        }
        if current.is_empty() {
            current.push(a);
        }
        let mut done = 0.0; // metres of this line already used
        while len + (seg - done) >= segment_m - EPS {
            let take = segment_m - len;
            done += take;
            let t = (done / seg).min(1.0);
            let p = Coord {
                x: a.x + (b.x - a.x) * t,
                y: a.y + (b.y - a.y) * t,
            };
            current.push(p);
            let piece = LineString::new(std::mem::replace(&mut current, vec![p]));
            out.push((start, segment_m, piece));
            start += segment_m;
            len = 0.0;
        }
        if seg - done > EPS {
            current.push(b);
            len += seg - done;
        }
    }
    if len > EPS && current.len() >= 2 {
        let real = current
            .windows(2)
            .map(|w| (w[1].x - w[0].x).hypot(w[1].y - w[0].y))
            .sum();
        out.push((start, real, LineString::new(current)));
    }
    out
}

impl RouteSegmentation {
    /// Cuts every route of `ds` and counts the incidents within the buffer
    /// of each piece per bin. `bins` is each incident's bin under
    /// (`binning`, `spec`), as [`TimeBinning::assign`] gives it.
    ///
    /// # Errors
    /// [`Error::Parameter`] for a non-positive piece length, a negative
    /// buffer, or bins that do not fit the incidents or the spec;
    /// [`Error::Projection`] if a route cannot be projected.
    pub fn compute(
        &self,
        ds: &Dataset,
        binning: &TimeBinning,
        spec: &BinSpec,
        bins: &[u32],
    ) -> Result<RouteSegments> {
        if !(self.segment_m.is_finite() && self.segment_m > 0.0) {
            return Err(Error::parameter(
                "route segment length",
                format!("{} m: must be a positive number of metres", self.segment_m),
            ));
        }
        if !(self.buffer_m.is_finite() && self.buffer_m >= 0.0) {
            return Err(Error::parameter(
                "route buffer",
                format!("{} m: must be zero or more metres", self.buffer_m),
            ));
        }
        let inc = &ds.incidents;
        let nb = binning.bin_count(spec);
        if bins.len() != inc.len() {
            return Err(Error::parameter(
                "route bins",
                format!(
                    "{} bins for {} incidents: assign one bin per incident",
                    bins.len(),
                    inc.len()
                ),
            ));
        }
        if bins.iter().any(|&b| b as usize >= nb) {
            return Err(Error::parameter(
                "route bins",
                "a bin index is out of range for the time bins given",
            ));
        }
        let bin_labels = binning.labels(spec);
        let exposure_hours = binning.exposure(spec, &ds.period, ds.zone, ds.centre());

        // Cut.
        let lines: Vec<LineString> = ds
            .routes
            .iter()
            .map(|r| ds.projection.forward_geometry(&r.line))
            .collect::<Result<_>>()?;
        let mut pieces = Vec::new();
        let mut ranges = Vec::with_capacity(lines.len());
        let mut empty = Vec::new();
        for (r, line) in lines.iter().enumerate() {
            let first = pieces.len();
            for (index, (start_m, length_m, piece)) in
                cut(line, self.segment_m).into_iter().enumerate()
            {
                pieces.push(RoutePiece {
                    route: r,
                    index,
                    start_m,
                    length_m,
                    line: piece,
                });
            }
            if pieces.len() == first {
                empty.push(ds.routes[r].name.clone());
            }
            ranges.push(first..pieces.len());
        }

        // Hours walked per bin, for routes with a schedule (in parallel).
        let walked: Vec<Option<Vec<f64>>> = ds
            .routes
            .par_iter()
            .map(|r| {
                r.schedule.as_ref().map(|s| {
                    binning.exposure_when(spec, &ds.period, ds.zone, ds.centre(), |t| {
                        s.is_open_at(t, ds.zone)
                    })
                })
            })
            .collect();

        // Count: every incident once per route, on its nearest piece.
        let tree: RTree<PieceLine> = RTree::bulk_load(
            pieces
                .iter()
                .enumerate()
                .flat_map(|(p, piece)| {
                    piece.line.lines().map(move |l| {
                        GeomWithData::new(
                            Line::new([l.start.x, l.start.y], [l.end.x, l.end.y]),
                            p as u32,
                        )
                    })
                })
                .collect(),
        );
        let np = pieces.len();
        let b2 = self.buffer_m * self.buffer_m;
        let zero = || (vec![0u64; np * nb], vec![0u64; np * nb]);
        let (bin_counts, walked_bin_counts) = (0..inc.len())
            .into_par_iter()
            .with_min_len(1 << 12)
            .fold(
                || (zero(), Vec::<(usize, u32, f64)>::new()),
                |((mut c, mut w), mut best), i| {
                    best.clear();
                    for hit in tree.locate_within_distance([inc.x[i], inc.y[i]], b2) {
                        let d2 =
                            rstar::PointDistance::distance_2(hit.geom(), &[inc.x[i], inc.y[i]]);
                        let piece = hit.data;
                        let route = pieces[piece as usize].route;
                        let d = d2.sqrt();
                        match best.iter_mut().find(|(r, _, _)| *r == route) {
                            Some(e) => {
                                // Within a micrometre is a tie (a shared vertex).
                                let tie = (d - e.2).abs() <= TIE_M;
                                if (!tie && d < e.2) || (tie && piece < e.1) {
                                    *e = (route, piece, d);
                                }
                            }
                            None => best.push((route, piece, d)),
                        }
                    }
                    let b = bins[i] as usize;
                    for &(route, piece, _) in &best {
                        let k = piece as usize * nb + b;
                        c[k] += 1;
                        if ds.routes[route]
                            .schedule
                            .as_ref()
                            .is_some_and(|s| s.is_open_at(inc.utc[i], ds.zone))
                        {
                            w[k] += 1;
                        }
                    }
                    ((c, w), best)
                },
            )
            .map(|(cw, _)| cw)
            .reduce(zero, |(mut c1, mut w1), (c2, w2)| {
                c1.iter_mut().zip(c2).for_each(|(a, b)| *a += b);
                w1.iter_mut().zip(w2).for_each(|(a, b)| *a += b);
                (c1, w1)
            });
        let counts: Vec<u64> = (0..np)
            .map(|p| bin_counts[p * nb..(p + 1) * nb].iter().sum())
            .collect();

        let mut routes = Vec::with_capacity(ds.routes.len());
        let mut unscheduled = Vec::new();
        for (r, route) in ds.routes.iter().enumerate() {
            let range = ranges[r].clone();
            let per_bin = |v: &[u64]| -> Vec<u64> {
                (0..nb)
                    .map(|b| range.clone().map(|p| v[p * nb + b]).sum())
                    .collect()
            };
            let rb = per_bin(&bin_counts);
            let hours = walked[r].clone();
            if hours.is_none() {
                unscheduled.push(route.name.clone());
            }
            let total_hours = hours.as_ref().map(|h| h.iter().sum::<f64>());
            let wb = hours.as_ref().map(|_| per_bin(&walked_bin_counts));
            let wc = wb.as_ref().map(|w| w.iter().sum::<u64>());
            let effort_rate = match (wc, total_hours) {
                (Some(c), Some(h)) if h > 0.0 => Some(c as f64 / h),
                _ => None,
            };
            routes.push(RouteSummary {
                route: r,
                id: route.id.clone(),
                name: route.name.clone(),
                kind: route.kind.clone(),
                schedule: route.schedule.as_ref().map(|s| s.text().to_owned()),
                length_m: range.clone().map(|p| pieces[p].length_m).sum(),
                pieces: range,
                count: rb.iter().sum(),
                bin_counts: rb,
                walked_hours: hours,
                walked_hours_total: total_hours,
                walked_count: wc,
                walked_bin_counts: wb,
                effort_rate,
            });
        }
        Ok(RouteSegments {
            segment_m: self.segment_m,
            buffer_m: self.buffer_m,
            bin_labels,
            exposure_hours,
            pieces,
            counts,
            bin_counts,
            walked_bin_counts,
            routes,
            lines,
            unscheduled,
            empty,
        })
    }
}

impl RouteSegments {
    /// The number of bins.
    #[must_use]
    pub fn bins(&self) -> usize {
        self.bin_labels.len()
    }

    /// Incidents near piece `piece` in bin `bin`.
    #[must_use]
    pub fn count(&self, piece: usize, bin: usize) -> u64 {
        self.bin_counts[piece * self.bins() + bin]
    }

    /// Incidents per 100 m of piece `piece` (all bins).
    #[must_use]
    pub fn rate_per_100m(&self, piece: usize) -> f64 {
        per_100m(self.counts[piece], self.pieces[piece].length_m)
    }

    /// Incidents per 100 m of piece `piece` in bin `bin`.
    #[must_use]
    pub fn bin_rate_per_100m(&self, piece: usize, bin: usize) -> f64 {
        per_100m(self.count(piece, bin), self.pieces[piece].length_m)
    }

    /// Incidents per hour per 100 m of piece `piece` in bin `bin` (calendar
    /// hours of the bin); `None` if the period has no hour of that bin.
    #[must_use]
    pub fn bin_rate_per_hour_per_100m(&self, piece: usize, bin: usize) -> Option<f64> {
        let h = self.exposure_hours[bin];
        (h > 0.0).then(|| self.bin_rate_per_100m(piece, bin) / h)
    }

    /// Incidents near piece `piece` during its route's scheduled hours in
    /// bin `bin`, per route-hour walked in that bin; `None` if the route has
    /// no schedule or is not walked in that bin.
    #[must_use]
    pub fn effort_rate(&self, piece: usize, bin: usize) -> Option<f64> {
        let r = &self.routes[self.pieces[piece].route];
        let h = r.walked_hours.as_ref()?[bin];
        (h > 0.0).then(|| self.walked_bin_counts[piece * self.bins() + bin] as f64 / h)
    }

    /// Incidents near piece `piece` during scheduled hours (all bins).
    #[must_use]
    pub fn walked_count(&self, piece: usize) -> u64 {
        let nb = self.bins();
        self.walked_bin_counts[piece * nb..(piece + 1) * nb]
            .iter()
            .sum()
    }

    /// Incidents near piece `piece` during scheduled hours per route-hour
    /// walked over the whole period; `None` without a schedule or walked hours.
    #[must_use]
    pub fn piece_effort_rate(&self, piece: usize) -> Option<f64> {
        let r = &self.routes[self.pieces[piece].route];
        let h = r.walked_hours_total?;
        (h > 0.0).then(|| self.walked_count(piece) as f64 / h)
    }

    /// Which counts of piece `piece` are withheld, in the order `count`,
    /// `walked_count`, `count_<bin>`…, `walked_count_<bin>`….
    ///
    /// The bins add up to `count` (walked bins to `walked_count`), and the
    /// incidents outside the walked hours (`count − walked_count`, per bin
    /// too) are implied parts: complementary suppression over all of them
    /// ([`LinkedCounts`](crate::LinkedCounts)). For a route without a
    /// schedule the walked counts are not shown and not linked.
    #[must_use]
    pub fn withheld(&self, piece: usize, min_count: u64) -> Vec<bool> {
        let nb = self.bins();
        let scheduled = self.routes[self.pieces[piece].route].walked_hours.is_some();
        let walked = &self.walked_bin_counts[piece * nb..(piece + 1) * nb];
        let mut t = crate::privacy::LinkedCounts::new();
        let n = t.add(self.counts[piece]);
        let wn = t.add(self.walked_count(piece));
        let bins: Vec<usize> = (0..nb).map(|b| t.add(self.count(piece, b))).collect();
        let wbins: Vec<usize> = walked.iter().map(|&c| t.add(c)).collect();
        t.parts_of(n, &bins);
        if scheduled {
            t.parts_of(wn, &wbins);
            let rest = t.add_implied(self.counts[piece].saturating_sub(self.walked_count(piece)));
            t.parts_of(n, &[wn, rest]);
            for b in 0..nb {
                let rest = t.add_implied(self.count(piece, b).saturating_sub(walked[b]));
                t.parts_of(bins[b], &[wbins[b], rest]);
            }
        }
        t.withheld(min_count)
    }

    /// The `route_segments` layer: one LineString (WGS84) per piece with
    /// `route_id`, `route_name`, `route_kind`, `schedule`, `piece`,
    /// `start_m`, `length_m`, `count`, `rate_per_100m`, `walked_count`,
    /// `walked_hours`, `effort_rate` (incidents per route-hour walked), and
    /// per bin `count_<bin>`, `rate_per_100m_<bin>`,
    /// `rate_per_hour_per_100m_<bin>`, `walked_count_<bin>`,
    /// `effort_rate_<bin>`.
    ///
    /// Counts from 1 to `min_count − 1` and every rate made from them are
    /// `null`, with `suppressed: true` on the piece; so are further counts
    /// where subtraction would give a withheld one back
    /// ([`RouteSegments::withheld`]; rule in the `privacy` module doc). Effort values are
    /// `null` for routes without a schedule (`scheduled: false`).
    ///
    /// # Errors
    /// [`Error::Projection`] if a piece cannot be unprojected.
    pub fn layer(&self, projection: &Projection, min_count: u64) -> Result<Layer> {
        let mut layer = Layer::new("route_segments");
        layer
            .param("segment_m", self.segment_m)
            .param("buffer_m", self.buffer_m)
            .param(
                "buffer_rule",
                "straight-line distance to the piece, boundary included; each incident counted once per route, on its nearest piece (tie: lower index)",
            )
            .param("bins", self.bin_labels.clone())
            .param("exposure_hours", self.exposure_hours.clone())
            .param("rate_unit", "incidents per 100 m of route")
            .param(
                "effort_rate_unit",
                "incidents near the piece during the route's scheduled hours per route-hour walked",
            )
            .param("unscheduled_routes", self.unscheduled.clone())
            .param("min_count", min_count);
        let nb = self.bins();
        for (p, piece) in self.pieces.iter().enumerate() {
            let route = &self.routes[piece.route];
            let scheduled = route.walked_hours.is_some();
            let mut props = serde_json::Map::new();
            props.insert("route_id".into(), route.id.clone().into());
            props.insert("route_name".into(), route.name.clone().into());
            props.insert("route_kind".into(), route.kind.as_str().into());
            props.insert("schedule".into(), json!(route.schedule));
            props.insert("scheduled".into(), scheduled.into());
            props.insert("piece".into(), piece.index.into());
            props.insert("start_m".into(), json!(round2(piece.start_m)));
            props.insert("length_m".into(), json!(round2(piece.length_m)));
            let n = self.counts[p];
            let wn = self.walked_count(p);
            let w = self.withheld(p, min_count);
            let hidden = |i: usize| w[i];
            let mut suppressed = hidden(0) || (scheduled && hidden(1));
            let put = |props: &mut serde_json::Map<String, Value>,
                       key: String,
                       id: usize,
                       rate: Option<f64>|
             -> bool {
                if hidden(id) {
                    props.insert(key, Value::Null);
                    true
                } else {
                    props.insert(key, json!(rate));
                    false
                }
            };
            put(&mut props, "count".into(), 0, Some(n as f64));
            put(
                &mut props,
                "rate_per_100m".into(),
                0,
                Some(self.rate_per_100m(p)),
            );
            props.insert("walked_hours".into(), json!(route.walked_hours_total));
            if scheduled {
                put(&mut props, "walked_count".into(), 1, Some(wn as f64));
                put(
                    &mut props,
                    "effort_rate".into(),
                    1,
                    self.piece_effort_rate(p),
                );
            } else {
                props.insert("walked_count".into(), Value::Null);
                props.insert("effort_rate".into(), Value::Null);
            }
            for (b, label) in self.bin_labels.iter().enumerate() {
                let c = self.count(p, b);
                suppressed |= put(&mut props, format!("count_{label}"), 2 + b, Some(c as f64));
                put(
                    &mut props,
                    format!("rate_per_100m_{label}"),
                    2 + b,
                    Some(self.bin_rate_per_100m(p, b)),
                );
                put(
                    &mut props,
                    format!("rate_per_hour_per_100m_{label}"),
                    2 + b,
                    self.bin_rate_per_hour_per_100m(p, b),
                );
                if scheduled {
                    let wc = self.walked_bin_counts[p * nb + b];
                    suppressed |= put(
                        &mut props,
                        format!("walked_count_{label}"),
                        2 + nb + b,
                        Some(wc as f64),
                    );
                    put(
                        &mut props,
                        format!("effort_rate_{label}"),
                        2 + nb + b,
                        self.effort_rate(p, b),
                    );
                } else {
                    props.insert(format!("walked_count_{label}"), Value::Null);
                    props.insert(format!("effort_rate_{label}"), Value::Null);
                }
            }
            props.insert("suppressed".into(), suppressed.into());
            let g: LineString = projection.inverse_geometry(&piece.line)?;
            layer.push(g.into(), props);
        }
        Ok(layer)
    }

    /// The significant hot cells of `hotspots` (overall Gi*, chosen by
    /// `rule`), each with its peak bin and whether an outreach route
    /// ([`RouteKind::Outreach`]) passes within the buffer of the cell and is
    /// walked in that bin.
    ///
    /// The hot spots must be binned like these routes (same bin labels).
    /// A cell's peak bin is the bin with the highest rate (count per
    /// calendar hour of the bin; tie: the first bin). Distance is from the
    /// projected cell polygon to the projected route line (0 if they
    /// cross). A cell is covered if some outreach route lies within the
    /// buffer and has walked hours in the peak bin; a route without a
    /// schedule never covers (its hours are unknown), and a cell without
    /// incidents (no peak bin) is covered by a route within the buffer that
    /// is walked at all.
    ///
    /// # Errors
    /// [`Error::Parameter`] if the bins differ; [`Error::Projection`] if a
    /// cell cannot be projected.
    pub fn hot_spot_coverage(
        &self,
        hotspots: &H3HotSpots,
        projection: &Projection,
        rule: HotCellRule,
    ) -> Result<HotSpotCoverage> {
        if hotspots.bin_labels != self.bin_labels {
            return Err(Error::parameter(
                "hot-spot coverage",
                format!(
                    "the hot spots are binned as {:?} but the routes as {:?}: use the same time bins",
                    hotspots.bin_labels, self.bin_labels
                ),
            ));
        }
        let nb = self.bins();
        let outreach = self.outreach_routes();
        let o = &hotspots.overall;
        let chosen: Vec<usize> = (0..hotspots.cells.len())
            .filter(|&i| rule.selects(o.class[i], o.fdr_significant[i]))
            .collect();
        let mut cells = chosen
            .par_iter()
            .map(|&i| {
                let cell = hotspots.cells[i];
                let ll = h3o::LatLng::from(cell);
                let poly: geo::Geometry = projection.forward_geometry(&cell_polygon(cell))?;
                let mut peak: Option<(usize, f64)> = None;
                for b in 0..nb {
                    let h = hotspots.exposure_hours[b];
                    let c = hotspots.bin_counts[i * nb + b];
                    if h > 0.0 && c > 0 {
                        let rate = c as f64 / h;
                        if peak.is_none_or(|(_, best)| rate > best) {
                            peak = Some((b, rate));
                        }
                    }
                }
                let (nearest, covered_by) = self.reach(&outreach, &poly, peak.map(|(b, _)| b));
                Ok(HotCellCoverage {
                    cell,
                    lon: ll.lng(),
                    lat: ll.lat(),
                    class: o.class[i],
                    z: o.z[i],
                    q: o.q[i],
                    fdr_significant: o.fdr_significant[i],
                    count: hotspots.counts[i],
                    peak_bin: peak.map(|(b, _)| b),
                    peak_label: peak.map(|(b, _)| self.bin_labels[b].clone()),
                    peak_count: peak.map_or(0, |(b, _)| hotspots.bin_counts[i * nb + b]),
                    peak_rate_per_hour: peak.map_or(0.0, |(_, r)| r),
                    nearest_outreach: nearest,
                    covered_by,
                    covered: covered_by.is_some(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        cells.sort_by(|a, b| b.z.total_cmp(&a.z).then(a.cell.cmp(&b.cell)));
        Ok(HotSpotCoverage {
            rule,
            buffer_m: self.buffer_m,
            bin_labels: self.bin_labels.clone(),
            outreach_routes: outreach.len(),
            cells,
        })
    }

    /// The outreach routes of `outreach` nearest to `geometry` (projected),
    /// and the first within the buffer that is walked in time bin `peak`
    /// (any bin when `None`): what reaches a hot cell or a place.
    fn reach(
        &self,
        outreach: &[usize],
        geometry: &geo::Geometry,
        peak: Option<usize>,
    ) -> (Option<NearRoute>, Option<usize>) {
        let walked_at = |r: usize| -> Option<bool> {
            let hours = self.routes[r].walked_hours.as_ref()?;
            Some(match peak {
                Some(b) => hours[b] > 0.0,
                None => hours.iter().any(|&h| h > 0.0),
            })
        };
        let walked_share = |r: usize| -> Option<f64> {
            let hours = self.routes[r].walked_hours.as_ref()?;
            let (w, all) = match peak {
                Some(b) => (hours[b], self.exposure_hours[b]),
                None => (hours.iter().sum(), self.exposure_hours.iter().sum()),
            };
            Some(if all > 0.0 { w / all } else { 0.0 })
        };
        let mut near: Vec<(f64, usize)> = outreach
            .iter()
            .map(|&r| (Euclidean.distance(geometry, &self.lines[r]), r))
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let nearest = near.first().map(|&(d, r)| NearRoute {
            route: r,
            id: self.routes[r].id.clone(),
            name: self.routes[r].name.clone(),
            distance_m: d,
            walked_at_peak: walked_at(r),
            walked_share_at_peak: walked_share(r),
        });
        let covered_by = near
            .iter()
            .find(|&&(d, r)| d <= self.buffer_m && walked_at(r) == Some(true))
            .map(|&(_, r)| r);
        (nearest, covered_by)
    }

    /// The outreach routes (with pieces) of these routes.
    fn outreach_routes(&self) -> Vec<usize> {
        self.routes
            .iter()
            .filter(|r| r.kind == RouteKind::Outreach && !r.pieces.is_empty())
            .map(|r| r.route)
            .collect()
    }

    /// For every profiled place: whether an outreach route passes within the
    /// buffer of its outline and is walked in the place's peak time bin (the
    /// bin with the highest rate, [`PlaceProfilesResult::peak_label`]; any
    /// bin when the place has none). The profiles' bins must be these
    /// routes' bins (hour bucket × season).
    ///
    /// # Errors
    /// [`Error::Parameter`] if a place's peak bin is not one of these bins;
    /// [`Error::Projection`] if a place cannot be projected.
    pub fn place_coverage(
        &self,
        profiles: &PlaceProfilesResult,
        projection: &Projection,
    ) -> Result<Vec<PlaceCoverage>> {
        let outreach = self.outreach_routes();
        profiles
            .places
            .iter()
            .map(|p| {
                let peak_label = profiles.peak_label(p);
                let peak = match &peak_label {
                    None => None,
                    Some(l) => Some(self.bin_labels.iter().position(|b| b == l).ok_or_else(
                        || {
                            Error::parameter(
                                "place coverage",
                                format!(
                                    "the place profiles' bin {l:?} is not a route bin; use the same hour buckets and seasons"
                                ),
                            )
                        },
                    )?),
                };
                let outline: geo::Geometry = projection.forward_geometry(&p.geometry)?.into();
                let (nearest_outreach, covered_by) = self.reach(&outreach, &outline, peak);
                Ok(PlaceCoverage {
                    place: p.index,
                    id: p.id.clone(),
                    name: p.name.clone(),
                    peak_label,
                    nearest_outreach,
                    covered_by,
                    covered: covered_by.is_some(),
                })
            })
            .collect()
    }
}

fn per_100m(n: u64, length_m: f64) -> f64 {
    if length_m > 0.0 {
        n as f64 / length_m * 100.0
    } else {
        0.0
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Whether the outreach rounds reach a place when it is busiest.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceCoverage {
    /// Place index in the data set.
    pub place: usize,
    /// Place id.
    pub id: String,
    /// Place name.
    pub name: String,
    /// The place's peak time bin (`None`: no bin with incidents shown).
    pub peak_label: Option<String>,
    /// The nearest outreach route (distance from the outline) and whether it
    /// is walked in the peak bin.
    pub nearest_outreach: Option<NearRoute>,
    /// The first outreach route within the buffer walked in the peak bin.
    pub covered_by: Option<usize>,
    /// Whether such a route exists.
    pub covered: bool,
}

/// The place coverage as a table: `place_id`, `place_name`, `peak_bin`,
/// `nearest_outreach_id`, `nearest_outreach_name`, `nearest_outreach_m`,
/// `walked_share_at_peak`, `covered`.
///
/// # Errors
/// A polars error if the frame cannot be built.
pub fn place_coverage_table(rows: &[PlaceCoverage]) -> Result<DataFrame> {
    let near = |f: &dyn Fn(&NearRoute) -> Option<f64>| -> Vec<Option<f64>> {
        rows.iter()
            .map(|r| r.nearest_outreach.as_ref().and_then(f))
            .collect()
    };
    Ok(DataFrame::new_infer_height(vec![
        Column::new(
            "place_id".into(),
            rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "place_name".into(),
            rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "peak_bin".into(),
            rows.iter()
                .map(|r| r.peak_label.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "nearest_outreach_id".into(),
            rows.iter()
                .map(|r| r.nearest_outreach.as_ref().map(|n| n.id.clone()))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "nearest_outreach_name".into(),
            rows.iter()
                .map(|r| r.nearest_outreach.as_ref().map(|n| n.name.clone()))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "nearest_outreach_m".into(),
            near(&|n| Some(round2(n.distance_m))),
        ),
        Column::new(
            "walked_share_at_peak".into(),
            near(&|n| n.walked_share_at_peak),
        ),
        Column::new(
            "covered".into(),
            rows.iter().map(|r| r.covered).collect::<Vec<_>>(),
        ),
    ])?)
}

/// Which hot cells count as significant for the coverage check (overall Gi*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HotCellRule {
    /// Hot (z > 0) and significant after Benjamini–Hochberg FDR control
    /// over all cells (`fdr_significant`). The default.
    #[default]
    Fdr,
    /// Hot class at 90 % confidence or more (`hot_90`, `hot_95`, `hot_99`), no FDR.
    Class90,
    /// Hot class at 95 % or more (`hot_95`, `hot_99`), no FDR.
    Class95,
    /// Hot class at 99 % (`hot_99`), no FDR.
    Class99,
}

impl HotCellRule {
    fn selects(self, class: HotSpotClass, fdr: bool) -> bool {
        match self {
            HotCellRule::Fdr => class.is_hot() && fdr,
            HotCellRule::Class90 => class.gi_bin() >= 1,
            HotCellRule::Class95 => class.gi_bin() >= 2,
            HotCellRule::Class99 => class.gi_bin() >= 3,
        }
    }

    /// The rule in words, for layers and reports.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            HotCellRule::Fdr => {
                "overall Gi* hot spot (z > 0) significant after Benjamini-Hochberg FDR control"
            }
            HotCellRule::Class90 => "overall Gi* hot spot at 90 % confidence or more (no FDR)",
            HotCellRule::Class95 => "overall Gi* hot spot at 95 % confidence or more (no FDR)",
            HotCellRule::Class99 => "overall Gi* hot spot at 99 % confidence (no FDR)",
        }
    }
}

/// The outreach route nearest to a hot cell.
#[derive(Debug, Clone, PartialEq)]
pub struct NearRoute {
    /// Index in [`Dataset::routes`].
    pub route: usize,
    /// The route's id.
    pub id: String,
    /// The route's name.
    pub name: String,
    /// Distance from the cell polygon to the route line, metres (0 if they cross).
    pub distance_m: f64,
    /// Whether it is walked in the cell's peak bin; `None` without a schedule.
    pub walked_at_peak: Option<bool>,
    /// The share of the peak bin's calendar hours it is walked (e.g. 3/7 for
    /// a round walked three evenings a week in an evening bin); `None`
    /// without a schedule. Without a peak bin, the share of the whole period.
    pub walked_share_at_peak: Option<f64>,
}

/// One significant hot cell and whether outreach reaches it at its peak.
#[derive(Debug, Clone, PartialEq)]
pub struct HotCellCoverage {
    /// The H3 cell.
    pub cell: CellIndex,
    /// Longitude of the cell centre.
    pub lon: f64,
    /// Latitude of the cell centre.
    pub lat: f64,
    /// Overall Gi* class.
    pub class: HotSpotClass,
    /// Overall Gi* z.
    pub z: f64,
    /// Overall Benjamini–Hochberg q.
    pub q: f64,
    /// Overall FDR significance.
    pub fdr_significant: bool,
    /// Incidents in the cell (suppress 1..k−1 when reporting).
    pub count: u64,
    /// The bin with the highest rate; `None` for a cell without incidents.
    pub peak_bin: Option<usize>,
    /// Its label.
    pub peak_label: Option<String>,
    /// Incidents in the peak bin.
    pub peak_count: u64,
    /// Incidents per calendar hour of the peak bin.
    pub peak_rate_per_hour: f64,
    /// The nearest outreach route, at any distance; `None` if there is none.
    pub nearest_outreach: Option<NearRoute>,
    /// The nearest outreach route within the buffer walked in the peak bin.
    pub covered_by: Option<usize>,
    /// Whether some outreach route within the buffer is walked in the peak bin.
    pub covered: bool,
}

/// Significant hot cells and their coverage by outreach rounds.
#[derive(Debug, Clone, PartialEq)]
pub struct HotSpotCoverage {
    /// How cells were chosen.
    pub rule: HotCellRule,
    /// The buffer, metres.
    pub buffer_m: f64,
    /// Bin labels (peak bins refer to them).
    pub bin_labels: Vec<String>,
    /// Outreach routes considered.
    pub outreach_routes: usize,
    /// The cells, strongest z first (tie: cell index).
    pub cells: Vec<HotCellCoverage>,
}

impl HotSpotCoverage {
    /// The cells no outreach round reaches at their peak.
    pub fn uncovered(&self) -> impl Iterator<Item = &HotCellCoverage> {
        self.cells.iter().filter(|c| !c.covered)
    }

    /// The `hot_spot_coverage` layer: one H3 polygon per significant hot cell
    /// with `h3`, `lon`, `lat` (centre), `class`, `z`, `q`, `count`
    /// (`null` with `suppressed: true` for 1..k−1), `peak_bin`,
    /// `peak_count` (suppressed likewise), `peak_rate_per_hour`,
    /// `nearest_outreach_id`, `nearest_outreach_name`,
    /// `nearest_outreach_m`, `walked_at_peak` (`null` without a schedule),
    /// `walked_share_at_peak` (share of the peak bin's hours it is walked),
    /// `covered`, `covered_by` (route id).
    #[must_use]
    pub fn layer(&self, routes: &RouteSegments, min_count: u64) -> Layer {
        let mut layer = Layer::new("hot_spot_coverage");
        layer
            .param("rule", self.rule.describe())
            .param("buffer_m", self.buffer_m)
            .param(
                "covered_rule",
                "an outreach route within the buffer of the cell polygon is walked (scheduled hours > 0) in the cell's peak bin; routes without a schedule never cover",
            )
            .param("peak_rule", "bin with the highest incidents per calendar hour; tie: first bin")
            .param("bins", self.bin_labels.clone())
            .param("outreach_routes", self.outreach_routes)
            .param("min_count", min_count);
        let hidden = |n: u64| crate::privacy::is_suppressed(n, min_count);
        for c in &self.cells {
            let mut p = serde_json::Map::new();
            p.insert("h3".into(), c.cell.to_string().into());
            p.insert("lon".into(), json!(c.lon));
            p.insert("lat".into(), json!(c.lat));
            p.insert("class".into(), c.class.as_str().into());
            p.insert("z".into(), json!(c.z));
            p.insert("q".into(), json!(c.q));
            p.insert(
                "count".into(),
                if hidden(c.count) {
                    Value::Null
                } else {
                    c.count.into()
                },
            );
            p.insert(
                "peak_count".into(),
                if hidden(c.peak_count) {
                    Value::Null
                } else {
                    c.peak_count.into()
                },
            );
            p.insert(
                "suppressed".into(),
                (hidden(c.count) || hidden(c.peak_count)).into(),
            );
            p.insert("peak_bin".into(), json!(c.peak_label));
            p.insert(
                "peak_rate_per_hour".into(),
                if hidden(c.peak_count) {
                    Value::Null
                } else {
                    json!(c.peak_rate_per_hour)
                },
            );
            let n = c.nearest_outreach.as_ref();
            p.insert("nearest_outreach_id".into(), json!(n.map(|n| &n.id)));
            p.insert("nearest_outreach_name".into(), json!(n.map(|n| &n.name)));
            p.insert(
                "nearest_outreach_m".into(),
                json!(n.map(|n| round2(n.distance_m))),
            );
            p.insert(
                "walked_at_peak".into(),
                json!(n.and_then(|n| n.walked_at_peak)),
            );
            p.insert(
                "walked_share_at_peak".into(),
                json!(n.and_then(|n| n.walked_share_at_peak)),
            );
            p.insert("covered".into(), c.covered.into());
            p.insert(
                "covered_by".into(),
                json!(c.covered_by.map(|r| &routes.routes[r].id)),
            );
            layer.push(cell_polygon(c.cell), p);
        }
        layer
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;

    fn ls(pts: &[(f64, f64)]) -> LineString {
        LineString::from(pts.to_vec())
    }

    #[test]
    fn straight_120_m_gives_50_50_20() {
        let p = cut(&ls(&[(0.0, 0.0), (120.0, 0.0)]), 50.0);
        let lens: Vec<f64> = p.iter().map(|x| x.1).collect();
        assert_eq!(lens, vec![50.0, 50.0, 20.0]);
        assert_eq!(p[1].0, 50.0);
        assert_eq!(p[2].2, ls(&[(100.0, 0.0), (120.0, 0.0)]));
    }

    #[test]
    fn cut_follows_corners_and_exact_multiples() {
        // An L: 30 m east then 70 m north = 100 m, two pieces, the first turning the corner.
        let p = cut(&ls(&[(0.0, 0.0), (30.0, 0.0), (30.0, 70.0)]), 50.0);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].2, ls(&[(0.0, 0.0), (30.0, 0.0), (30.0, 20.0)]));
        assert_eq!(p[1].2, ls(&[(30.0, 20.0), (30.0, 70.0)]));
        // Repeated vertices and a 10 m route.
        let q = cut(&ls(&[(0.0, 0.0), (0.0, 0.0), (10.0, 0.0)]), 50.0);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].1, 10.0);
        // A single point: nothing.
        assert!(cut(&ls(&[(1.0, 1.0), (1.0, 1.0)]), 50.0).is_empty());
        // A long segment cut many times keeps exact starts.
        let r = cut(&ls(&[(0.0, 0.0), (1000.0, 0.0)]), 50.0);
        assert_eq!(r.len(), 20);
        assert!(r.iter().all(|x| (x.1 - 50.0).abs() < 1e-9));
    }
}
