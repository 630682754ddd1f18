//! The nearest service open at an instant, for millions of incidents: the
//! same answers as [`SpatialIndex::nearest_open`], without a heap walk and a
//! binary search per candidate.
//!
//! Three tables are built once:
//! - **open sets in time**: between two changes of any service's opening
//!   hours the set of open services is constant. The period is cut at every
//!   change (services with the same opening hours change together, so only
//!   the distinct schedules' changes are sorted); each piece keeps the id of
//!   its set (a bitset, interned: the same set recurs every week). "Is
//!   service *s* open at *t*" is then one bucketed look-up of *t* and a bit
//!   test.
//! - **candidates per grid cell**: a square grid over the services (about one
//!   service per cell, grown by half the services' extent on every side).
//!   Each cell keeps its [`CANDIDATES`] nearest services (to its centre),
//!   sorted by their least distance to the cell, and a bound *R*: every
//!   service not in the list is at least *R* from any point of the cell.
//! - **candidates per fine cell and open set**: each grid cell cut into
//!   [`SUB`] × [`SUB`] fine cells; for each open set, the at most [`SLOTS`]
//!   open services one of which is the nearest open service from every
//!   point of the fine cell (those whose least distance to it is within the
//!   least farthest distance of an open service, less those farther than
//!   another from every point; tested at the corners, with a margin far
//!   above rounding). A query there computes one to four distances.
//!
//! A query whose fine cell has candidates takes the nearest of them (nearly
//! every query). Otherwise it walks its cell's list in order of least
//! distance, skips closed services and stops as soon as the next least
//! distance exceeds the best distance found. The answer is exact when the best is nearer than *R*;
//! otherwise (nearly every nearby service closed), for points outside the
//! grid and for instants outside the period, the query falls back to
//! [`SpatialIndex::nearest_open`]. Equal distances give the smallest service
//! index on both paths.

use std::collections::HashMap;

use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::error::{Error, Result};
use crate::index::SpatialIndex;
use crate::model::{Service, ServiceKind};
use crate::opening::OpenTimes;

/// Services kept per grid cell, nearest to its centre first.
pub const CANDIDATES: usize = 24;
// The open entries of a list are a `u32` mask.
const _: () = assert!(CANDIDATES <= 32);

/// Most toggles of opening hours (two per open interval) for which the open
/// sets are built; beyond, each candidate asks [`OpenTimes::is_open`].
const MAX_EVENTS: usize = 16 << 20;
/// Most bytes of interned open sets.
const MAX_SET_BYTES: usize = 256 << 20;
/// Most bytes of the open masks (a `u32` per open set and cell).
const MAX_MASK_BYTES: usize = 128 << 20;

/// Fine cells per side of a grid cell in the table of owners.
const SUB: usize = 3;
/// Candidates kept per fine cell and open set.
const SLOTS: usize = 4;
/// Entries of [`Owners`]' table from which on the candidates are shared.
const SHARED: u16 = 1 << 15;
/// Most entries ([`SLOTS`] × 2 bytes each) of the table of candidates.
const MAX_OWNERS: usize = 4 << 20;

/// Which path answered a query ([`NearestOpen::query_traced`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answered {
    /// The fine cell's candidates or the cell's candidate list (exact
    /// without a tree walk).
    Grid,
    /// The walk of [`SpatialIndex::nearest_open`]: a point outside the grid,
    /// an instant outside the period, or too few open candidates nearby.
    Fallback,
}

/// One candidate of a cell.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// A lower bound of the squared distance from any point of the cell (m²).
    mindist2: f64,
    x: f64,
    y: f64,
    /// Index in the data set's services.
    service: u32,
    /// Bit of the service in the open sets.
    bit: u32,
}

/// The candidate lists.
#[derive(Debug)]
enum Cells {
    /// At most [`CANDIDATES`] services: every query scans them all.
    All(Vec<Entry>),
    /// A grid of cells, row-major (`row * nx + column`).
    Grid {
        x0: f64,
        y0: f64,
        /// Cell side (m).
        side: f64,
        /// 1 / cell side (1/m).
        inv_side: f64,
        /// Each cell's bounds hold for the cell grown by this much (m).
        eps: f64,
        nx: usize,
        ny: usize,
        /// Cell `c`'s list is `entries[start[c]..start[c + 1]]`.
        start: Vec<u32>,
        /// Every service not in cell `c`'s list is at least `bound[c]` away.
        bound: Vec<f64>,
        entries: Vec<Entry>,
    },
}

/// The open sets of the period, in pieces of constant set.
#[derive(Debug)]
struct OpenSets {
    start: i64,
    /// Piece starts, ascending; the first is the period's start.
    bounds: Vec<i64>,
    /// The set id of each piece.
    set_of: Vec<u32>,
    /// `u64` words per set.
    words: usize,
    /// Set `k` is `bits[k * words..(k + 1) * words]`.
    bits: Vec<u64>,
    /// Buckets of the look-up table are `1 << shift` seconds wide.
    shift: u32,
    /// The piece holding each bucket's first second.
    first: Vec<u32>,
}

impl OpenSets {
    /// The sets of the eligible services (`compact[i]` = their bit) over
    /// `[start, end)`; `None` when they would be too large.
    fn build(open: &OpenTimes, eligible: &[usize], start: i64, end: i64) -> Option<Self> {
        let words = eligible.len().div_ceil(64).max(1);
        // Services with the same opening hours toggle together: one group
        // (their bits) per schedule, so that only the distinct schedules'
        // changes are sorted.
        let mut group_of: HashMap<usize, usize> = HashMap::new();
        let mut groups: Vec<(usize, Vec<u32>)> = Vec::new();
        for (bit, &s) in eligible.iter().enumerate() {
            let key = open.schedule_of(s).unwrap_or(s);
            let g = *group_of.entry(key).or_insert_with(|| {
                groups.push((s, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(bit as u32);
        }
        let mut events: Vec<(i64, u32)> = Vec::new();
        for (g, &(s, _)) in groups.iter().enumerate() {
            for &(a, b) in open.intervals(s).unwrap_or(&[]) {
                let (a, b) = (a.max(start), b.min(end));
                if a < b {
                    events.push((a, g as u32));
                    if b < end {
                        events.push((b, g as u32));
                    }
                }
            }
            if events.len() > MAX_EVENTS {
                return None;
            }
        }
        events.par_sort_unstable();
        let mut cur = vec![0u64; words];
        let mut interned: HashMap<Vec<u64>, u32> = HashMap::new();
        let mut bits: Vec<u64> = Vec::new();
        let mut intern = |set: &[u64], bits: &mut Vec<u64>| -> u32 {
            if let Some(&id) = interned.get(set) {
                return id;
            }
            let id = (bits.len() / words) as u32;
            bits.extend_from_slice(set);
            interned.insert(set.to_vec(), id);
            id
        };
        let mut bounds = vec![start];
        let mut set_of = vec![intern(&cur, &mut bits)];
        let mut k = 0;
        while k < events.len() {
            let t = events[k].0;
            while k < events.len() && events[k].0 == t {
                for &b in &groups[events[k].1 as usize].1 {
                    cur[b as usize / 64] ^= 1 << (b % 64);
                }
                k += 1;
            }
            let id = intern(&cur, &mut bits);
            if bits.len() * 8 > MAX_SET_BYTES {
                return None;
            }
            if t == start {
                set_of[0] = id;
            } else if set_of.last() != Some(&id) {
                bounds.push(t);
                set_of.push(id);
            }
        }
        // About two buckets per piece, so that a look-up scans one or two bounds.
        let span = end - start;
        let target = (span / (2 * bounds.len() as i64).max(1)).max(1);
        let shift = target.ilog2();
        let buckets = ((span - 1) >> shift) + 1;
        let first = (0..buckets)
            .map(|j| (bounds.partition_point(|&b| b <= start + (j << shift)) - 1) as u32)
            .collect();
        Some(Self {
            start,
            bounds,
            set_of,
            words,
            bits,
            shift,
            first,
        })
    }

    /// The id of the open set at `t` (which must lie in the period).
    #[inline]
    fn id_at(&self, t: i64) -> usize {
        let mut k = self.first[((t - self.start) >> self.shift) as usize] as usize;
        while k + 1 < self.bounds.len() && self.bounds[k + 1] <= t {
            k += 1;
        }
        self.set_of[k] as usize
    }

    /// Open set `id`.
    #[inline]
    fn set(&self, id: usize) -> &[u64] {
        &self.bits[id * self.words..(id + 1) * self.words]
    }

    /// The number of distinct open sets.
    fn len(&self) -> usize {
        self.bits.len() / self.words
    }
}

/// Per fine cell (a grid cell cut [`SUB`] × [`SUB`]) and open set, the few
/// open services one of which is the nearest open service from every
/// point of the fine cell, where there are at most [`SLOTS`]: a query there
/// computes those distances, without a walk.
#[derive(Debug)]
struct Owners {
    x0: f64,
    y0: f64,
    /// 1 / fine cell side (1/m).
    inv_side: f64,
    nx: usize,
    ny: usize,
    /// The number of open sets.
    sets: usize,
    /// `owner[cell * sets + set]`: 0 where the walk must answer; below
    /// [`SHARED`]: 1 + the bit of the one candidate; from [`SHARED`] on:
    /// `SHARED` + the index of the candidates in `shared`.
    owner: Vec<u16>,
    /// Two to [`SLOTS`] candidates as 1 + their bits, ascending (unused
    /// slots repeat the first), each set of candidates once.
    shared: Vec<[u16; SLOTS]>,
    /// The eligible services by bit (`mindist2` unused).
    points: Vec<Entry>,
}

impl Owners {
    /// The candidates of every fine cell of the grid `cells` for every open
    /// set (`masks` as [`NearestOpen`] holds them); `None` for [`Cells::All`]
    /// or when the table would be too large.
    fn build(cells: &Cells, nsets: usize, masks: &[u32], points: Vec<Entry>) -> Option<Self> {
        let Cells::Grid {
            x0,
            y0,
            side,
            eps,
            nx,
            ny,
            start,
            bound,
            entries,
            ..
        } = cells
        else {
            return None;
        };
        let (x0, y0, nx, ny) = (*x0, *y0, *nx, *ny);
        let (fnx, fny) = (nx * SUB, ny * SUB);
        if points.len() >= usize::from(SHARED) || nsets * fnx * fny > MAX_OWNERS {
            return None;
        }
        let ncells = nx * ny;
        let fside = side / SUB as f64;
        // Within the grid cell's bounds (grown by `eps`) however the two
        // grids round.
        let e = eps / 2.0;
        let mut slots = vec![[0u16; SLOTS]; nsets * fnx * fny];
        slots
            .par_chunks_mut(nsets)
            .enumerate()
            .with_min_len(64)
            .for_each(|(f, out)| {
                let (fi, fj) = (f % fnx, f / fnx);
                let c = (fj / SUB) * nx + fi / SUB;
                let list = &entries[start[c] as usize..start[c + 1] as usize];
                let (ax, bx) = (x0 + fi as f64 * fside - e, x0 + (fi + 1) as f64 * fside + e);
                let (ay, by) = (y0 + fj as f64 * fside - e, y0 + (fj + 1) as f64 * fside + e);
                let mut near = Near::new(list, [ax, ay, bx, by]);
                for (set, o) in out.iter_mut().enumerate() {
                    *o = near.candidates(masks[set * ncells + c], bound[c]);
                }
            });
        // One entry per cell and set where one candidate answers; the
        // others share their candidates (as long as they fit).
        let mut index: HashMap<[u16; SLOTS], u16, foldhash::fast::FixedState> = HashMap::default();
        let mut shared = Vec::new();
        let owner = slots
            .iter()
            .map(|c| {
                if c[1] == c[0] {
                    return c[0];
                }
                if let Some(&k) = index.get(c) {
                    return k;
                }
                let Ok(k) = u16::try_from(usize::from(SHARED) + shared.len()) else {
                    return 0;
                };
                shared.push(*c);
                index.insert(*c, k);
                k
            })
            .collect();
        Some(Self {
            x0,
            y0,
            inv_side: 1.0 / fside,
            nx: fnx,
            ny: fny,
            sets: nsets,
            owner,
            shared,
            points,
        })
    }

    /// The nearest open service to (`x`, `y`) in open set `set` as
    /// (service, distance), or `None` where the walk must answer.
    #[inline]
    fn at(&self, x: f64, y: f64, set: usize) -> Option<(usize, f64)> {
        let fx = (x - self.x0) * self.inv_side;
        let fy = (y - self.y0) * self.inv_side;
        if !(fx >= 0.0 && fx < self.nx as f64 && fy >= 0.0 && fy < self.ny as f64) {
            return None;
        }
        let w = self.owner[(fy as usize * self.nx + fx as usize) * self.sets + set];
        if w < SHARED {
            let e = self.points.get(usize::from(w).checked_sub(1)?)?;
            return Some((e.service as usize, dist2(e, x, y).sqrt()));
        }
        // Ascending bits are ascending services: the first of equal
        // distances is the smallest index.
        let slots = self.shared[usize::from(w - SHARED)];
        let mut best = &self.points[usize::from(slots[0]) - 1];
        let mut best_d2 = dist2(best, x, y);
        for &w in &slots[1..] {
            let e = &self.points[usize::from(w) - 1];
            let d2 = dist2(e, x, y);
            if d2 < best_d2 {
                (best, best_d2) = (e, d2);
            }
        }
        Some((best.service as usize, best_d2.sqrt()))
    }
}

/// Squared distance from (`x`, `y`) to entry `e`, as the walk and rstar
/// compute it.
#[inline]
fn dist2(e: &Entry, x: f64, y: f64) -> f64 {
    let (dx, dy) = (e.x - x, e.y - y);
    dx * dx + dy * dy
}

/// Relative margin, far above rounding, by which one squared distance must
/// exceed another to count as farther in [`Near::candidates`].
const MARGIN: f64 = 1e-9;

/// A grid cell's list seen from a rectangle within the cell: each entry's
/// squared distances to the corners, computed when first needed.
struct Near<'a> {
    list: &'a [Entry],
    rect: [f64; 4],
    /// Per entry: squared distance to each corner, the largest of them and
    /// the least squared distance to the rectangle (`None` until needed).
    geometry: [Option<([f64; 4], f64, f64)>; CANDIDATES],
}

impl<'a> Near<'a> {
    fn new(list: &'a [Entry], rect: [f64; 4]) -> Self {
        Self {
            list,
            rect,
            geometry: [None; CANDIDATES],
        }
    }

    /// Entry `k`'s corner distances², their largest and its least distance²
    /// to the rectangle.
    fn geometry(&mut self, k: usize) -> ([f64; 4], f64, f64) {
        if let Some(g) = self.geometry[k] {
            return g;
        }
        let e = &self.list[k];
        let [ax, ay, bx, by] = self.rect;
        let corners = [
            dist2(e, ax, ay),
            dist2(e, bx, ay),
            dist2(e, ax, by),
            dist2(e, bx, by),
        ];
        let far2 = corners.iter().copied().fold(0.0, f64::max);
        let dx = (ax - e.x).max(e.x - bx).max(0.0);
        let dy = (ay - e.y).max(e.y - by).max(0.0);
        let g = (corners, far2, dx * dx + dy * dy);
        self.geometry[k] = Some(g);
        g
    }

    /// The open entries (the bits of `mask`) one of which is the nearest
    /// open service from every point of the rectangle, as 1 + their bits
    /// (unused slots repeat the first); all 0 when there are more than
    /// [`SLOTS`] or none. `bound`: every service not in the list is at least
    /// this far from the cell.
    ///
    /// Kept: every open entry whose least distance to the rectangle is
    /// within the least farthest distance `u` of an open entry (the nearest
    /// from any point is within `u` of it), less those farther than another
    /// kept entry from every point (the difference of two squared distances
    /// is affine in the point: farther at the four corners is farther on
    /// the whole rectangle). Both tests hold with a margin of a relative
    /// [`MARGIN`], so that the computed distances of the query order alike.
    fn candidates(&mut self, mask: u32, bound: f64) -> [u16; SLOTS] {
        let none = [0; SLOTS];
        let mut u = f64::INFINITY;
        let mut open = mask;
        while open != 0 {
            let k = open.trailing_zeros() as usize;
            open &= open - 1;
            if k >= self.list.len() || self.list[k].mindist2 > u {
                break;
            }
            u = u.min(self.geometry(k).1);
        }
        // Every other service is farther than `bound` from the whole cell.
        let within = u.sqrt() * (1.0 + MARGIN) + 1e-6 < bound;
        if !within {
            return none;
        }
        let reach2 = u * (1.0 + MARGIN) + 1e-6;
        let mut kept = [0usize; 2 * SLOTS];
        let mut n = 0;
        let mut open = mask;
        while open != 0 {
            let k = open.trailing_zeros() as usize;
            open &= open - 1;
            if k >= self.list.len() || self.list[k].mindist2 > reach2 {
                break;
            }
            if self.geometry(k).2 <= reach2 {
                if n == kept.len() {
                    return none;
                }
                kept[n] = k;
                n += 1;
            }
        }
        let mut out = none;
        let mut m = 0;
        for &t in &kept[..n] {
            let (tc, tfar, _) = self.geometry(t);
            let farther = kept[..n].iter().any(|&s| {
                let (sc, _, _) = self.geometry[s].unwrap_or_default();
                s != t && (0..4).all(|j| tc[j] - sc[j] > 2.0 * MARGIN * tfar + 1e-6)
            });
            if !farther {
                if m == SLOTS {
                    return none;
                }
                out[m] = self.list[t].bit as u16 + 1;
                m += 1;
            }
        }
        // Ascending: the query's first of equal distances is the smallest index.
        out[..m].sort_unstable();
        for j in m..SLOTS {
            out[j] = out[0];
        }
        out
    }
}

/// Whether `bit` is in `set`.
#[inline]
fn contains(set: &[u64], bit: u32) -> bool {
    (set[bit as usize / 64] >> (bit % 64)) & 1 == 1
}

impl Cells {
    /// The candidate lists and their bounds, cell by cell.
    fn lists(&self) -> Vec<(&[Entry], f64)> {
        match self {
            Cells::All(all) => vec![(all.as_slice(), f64::INFINITY)],
            Cells::Grid {
                start,
                bound,
                entries,
                ..
            } => start
                .windows(2)
                .zip(bound)
                .map(|(w, &b)| (&entries[w[0] as usize..w[1] as usize], b))
                .collect(),
        }
    }
}

/// The nearest open service for many queries: built once from the index,
/// the services and their [`OpenTimes`], then asked per incident, answering
/// exactly as [`SpatialIndex::nearest_open`] (service and distance; equal
/// distances: the smallest service index).
///
/// ```
/// use byrum::*;
/// # let dir = std::env::temp_dir().join("byrum-doc-nearest");
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join("incidents.csv");
/// # std::fs::write(&path, "id,lon,lat,timestamp,category\n\
/// # 1,9.9200,57.0450,2024-03-05T07:10:00+01:00,noise\n\
/// # 2,9.9200,57.0450,2024-03-05T12:10:00+01:00,noise\n").unwrap();
/// let mut ds = DatasetBuilder::new().incidents(IncidentReader::new().read_csv(&path)?).build()?;
/// let service = |id: &str, lon: f64, hours: &str| Service {
///     id: id.into(), name: id.into(), point: geo::Point::new(lon, 57.0450),
///     kind: ServiceKind::DropInCentre, target_groups: vec![],
///     opening_hours: Some(Schedule::parse(hours, Some("DK")).unwrap()),
///     attributes: Default::default(),
/// };
/// // A day centre ~130 m east (08-16) and a shelter ~250 m west (24/7).
/// ds.services.push(service("day", 9.9220, "08:00-16:00"));
/// ds.services.push(service("shelter", 9.9159, "24/7"));
/// let index = SpatialIndex::build(&ds)?;
/// let open = OpenTimes::compute(&ds.services, &ds.period, ds.zone);
/// let nearest = NearestOpen::new(&index, &ds.services, &open, None, f64::INFINITY);
/// let inc = &ds.incidents;
/// let found = nearest.query_all(&inc.x, &inc.y, &inc.utc)?;
/// assert_eq!(found[0].map(|f| f.0), Some(1)); // 07:10: only the shelter is open
/// assert_eq!(found[1].map(|f| f.0), Some(0)); // 12:10: the day centre
/// assert_eq!(found[1], index.nearest_open(&ds.services, &open, inc.x[1], inc.y[1], inc.utc[1], None, f64::INFINITY));
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug)]
pub struct NearestOpen<'a> {
    index: &'a SpatialIndex,
    services: &'a [Service],
    open: &'a OpenTimes,
    kinds: Option<&'a [ServiceKind]>,
    max_distance: f64,
    /// The period of the open times: `[start, end)`.
    period: (i64, i64),
    /// Open sets; `None` when too large (then [`OpenTimes::is_open`] per candidate).
    sets: Option<OpenSets>,
    cells: Cells,
    /// Which entries of each cell's list are open, per open set: bit `k` of
    /// `masks[set * cells + cell]` for the list's `k`-th entry (`None` when
    /// too large; then a bit test per entry).
    masks: Option<Vec<u32>>,
    /// The number of cells (1 for [`Cells::All`]).
    ncells: usize,
    /// The owners of fine cells (`None` for [`Cells::All`], without masks or
    /// when too large).
    owners: Option<Owners>,
}

impl<'a> NearestOpen<'a> {
    /// Builds the open sets and the candidate lists for the services of
    /// `kinds` (all when `None`) within `max_distance` metres, as
    /// [`SpatialIndex::nearest_open`] takes them. `services` and `open` are
    /// the ones the index and the open times were built from.
    #[must_use]
    pub fn new(
        index: &'a SpatialIndex,
        services: &'a [Service],
        open: &'a OpenTimes,
        kinds: Option<&'a [ServiceKind]>,
        max_distance: f64,
    ) -> Self {
        let period = open.period();
        let (start, end) = (period.start, period.end);
        // Only services of the kinds that are open at some time in the period
        // can answer a query within the period.
        let eligible: Vec<usize> = (0..services.len().min(open.len()))
            .filter(|&i| kinds.is_none_or(|k| k.contains(&services[i].kind)))
            .filter(|&i| {
                open.intervals(i)
                    .is_some_and(|iv| iv.iter().any(|&(a, b)| a.max(start) < b.min(end)))
            })
            .collect();
        let sets = if start < end {
            OpenSets::build(open, &eligible, start, end)
        } else {
            None
        };
        let points: Vec<Entry> = eligible
            .iter()
            .enumerate()
            .map(|(bit, &s)| {
                let [x, y] = index.service_xy(s);
                Entry {
                    mindist2: 0.0,
                    x,
                    y,
                    service: s as u32,
                    bit: bit as u32,
                }
            })
            .collect();
        let cells = if points.len() <= CANDIDATES {
            Cells::All(points.clone())
        } else {
            grid(&points)
        };
        let lists = cells.lists();
        let ncells = lists.len();
        let masks: Option<Vec<u32>> = sets.as_ref().and_then(|sets| {
            if sets.len() * ncells * 4 > MAX_MASK_BYTES {
                return None;
            }
            Some(
                (0..sets.len())
                    .into_par_iter()
                    .flat_map_iter(|id| {
                        let set = sets.set(id);
                        lists.iter().map(move |(list, _)| {
                            list.iter()
                                .enumerate()
                                .filter(|(_, e)| contains(set, e.bit))
                                .fold(0u32, |m, (k, _)| m | 1 << k)
                        })
                    })
                    .collect(),
            )
        });
        let owners = match (&sets, &masks) {
            (Some(sets), Some(masks)) => Owners::build(&cells, sets.len(), masks, points),
            _ => None,
        };
        Self {
            index,
            services,
            open,
            kinds,
            max_distance,
            period: (start, end),
            sets,
            cells,
            masks,
            ncells,
            owners,
        }
    }

    /// The nearest service of the kinds open at the UTC instant `utc` within
    /// the maximum distance, with its distance in metres: the same answer as
    /// [`SpatialIndex::nearest_open`].
    #[must_use]
    pub fn query(&self, x: f64, y: f64, utc: i64) -> Option<(usize, f64)> {
        self.query_traced(x, y, utc).0
    }

    /// As [`NearestOpen::query`], saying which path answered.
    #[must_use]
    pub fn query_traced(&self, x: f64, y: f64, utc: i64) -> (Option<(usize, f64)>, Answered) {
        match self.fast(x, y, utc) {
            Some(found) => (found, Answered::Grid),
            None => (
                self.index.nearest_open(
                    self.services,
                    self.open,
                    x,
                    y,
                    utc,
                    self.kinds,
                    self.max_distance,
                ),
                Answered::Fallback,
            ),
        }
    }

    /// [`NearestOpen::query`] for every (`xs[i]`, `ys[i]`, `utcs[i]`), in
    /// parallel (the answers do not depend on the thread count).
    ///
    /// # Errors
    /// [`Error::Parameter`](crate::Error::Parameter) when the three columns
    /// differ in length.
    pub fn query_all(
        &self,
        xs: &[f64],
        ys: &[f64],
        utcs: &[i64],
    ) -> Result<Vec<Option<(usize, f64)>>> {
        if xs.len() != ys.len() || xs.len() != utcs.len() {
            return Err(Error::parameter(
                "utcs",
                format!(
                    "{} x, {} y and {} instants: give one of each per incident",
                    xs.len(),
                    ys.len(),
                    utcs.len()
                ),
            ));
        }
        Ok((0..xs.len())
            .into_par_iter()
            .with_min_len(4096)
            .map(|i| self.query(xs[i], ys[i], utcs[i]))
            .collect())
    }

    /// The answer from the candidate lists, or `None` when the fallback must answer.
    #[inline]
    #[allow(clippy::option_option)] // outer: answered here; inner: the answer
    fn fast(&self, x: f64, y: f64, utc: i64) -> Option<Option<(usize, f64)>> {
        if utc < self.period.0 || utc >= self.period.1 || !x.is_finite() || !y.is_finite() {
            return None;
        }
        if let (Some(owners), Some(sets)) = (&self.owners, &self.sets)
            && let Some((s, d)) = owners.at(x, y, sets.id_at(utc))
        {
            return Some((d <= self.max_distance).then_some((s, d)));
        }
        let (list, bound, c) = match &self.cells {
            Cells::All(all) => (all.as_slice(), f64::INFINITY, 0),
            Cells::Grid {
                x0,
                y0,
                inv_side,
                nx,
                ny,
                start,
                bound,
                entries,
                ..
            } => {
                let fx = (x - x0) * inv_side;
                let fy = (y - y0) * inv_side;
                if !(fx >= 0.0 && fx < *nx as f64 && fy >= 0.0 && fy < *ny as f64) {
                    return None;
                }
                let c = fy as usize * nx + fx as usize;
                (
                    &entries[start[c] as usize..start[c + 1] as usize],
                    bound[c],
                    c,
                )
            }
        };
        let best = match (&self.sets, &self.masks) {
            (Some(sets), Some(masks)) => {
                let mask = masks[sets.id_at(utc) * self.ncells + c];
                walk_open(list, mask, x, y, self.max_distance)
            }
            (Some(sets), None) => {
                let set = sets.set(sets.id_at(utc));
                walk(list, x, y, self.max_distance, |e| contains(set, e.bit))
            }
            (None, _) => walk(list, x, y, self.max_distance, |e| {
                self.open.is_open(e.service as usize, utc)
            }),
        };
        match best {
            Some((s, d)) if d < bound => Some((d <= self.max_distance).then_some((s, d))),
            // The list held every service of the kinds, and none is open.
            None if bound == f64::INFINITY => Some(None),
            // Everything not in the list is farther than the maximum distance.
            _ if bound > self.max_distance => Some(None),
            _ => None,
        }
    }
}

/// The nearest entry of `list` (sorted by `mindist2`) for which `open`
/// holds, as (service, distance); the walk ends once the next `mindist2`
/// exceeds the best squared distance or the squared `max_distance` (then
/// the best may be farther than an unvisited entry, but both are beyond
/// `max_distance`). Branch-free but for the end of the walk: whether a
/// service is open is a coin toss to the branch predictor.
#[inline]
fn walk(
    list: &[Entry],
    x: f64,
    y: f64,
    max_distance: f64,
    open: impl Fn(&Entry) -> bool,
) -> Option<(usize, f64)> {
    let mut best_d2 = f64::INFINITY;
    let mut best_s = u32::MAX;
    // Above every squared distance whose root is within `max_distance`.
    let max2 = max_distance * max_distance * (1.0 + 1e-12);
    for e in list {
        if e.mindist2 > best_d2.min(max2) {
            break;
        }
        // As rstar computes it, so distances equal the tree walk's bit for bit.
        let (dx, dy) = (e.x - x, e.y - y);
        let d2 = dx * dx + dy * dy;
        let better = open(e) && (d2, e.service) < (best_d2, best_s);
        best_d2 = if better { d2 } else { best_d2 };
        best_s = if better { e.service } else { best_s };
    }
    (best_s != u32::MAX).then(|| (best_s as usize, best_d2.sqrt()))
}

/// As [`walk`], visiting only the entries whose bit is set in `open`.
#[inline]
fn walk_open(
    list: &[Entry],
    mut open: u32,
    x: f64,
    y: f64,
    max_distance: f64,
) -> Option<(usize, f64)> {
    let mut best_d2 = f64::INFINITY;
    let mut best_s = u32::MAX;
    let max2 = max_distance * max_distance * (1.0 + 1e-12);
    while open != 0 {
        let k = open.trailing_zeros() as usize;
        open &= open - 1;
        let Some(e) = list.get(k) else { break };
        if e.mindist2 > best_d2.min(max2) {
            break;
        }
        let (dx, dy) = (e.x - x, e.y - y);
        let d2 = dx * dx + dy * dy;
        let better = (d2, e.service) < (best_d2, best_s);
        best_d2 = if better { d2 } else { best_d2 };
        best_s = if better { e.service } else { best_s };
    }
    (best_s != u32::MAX).then(|| (best_s as usize, best_d2.sqrt()))
}

/// Lowers a computed lower bound by more than its rounding error.
fn lower(d: f64) -> f64 {
    d * (1.0 - 1e-12) - 1e-9
}

/// The grid over `points` (more than [`CANDIDATES`]): about one point per
/// cell over their bounding box, grown by half its larger side on each side
/// (so at most about four times as many cells as points).
fn grid(points: &[Entry]) -> Cells {
    let (mut lx, mut ly, mut hx, mut hy) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for p in points {
        (lx, ly, hx, hy) = (lx.min(p.x), ly.min(p.y), hx.max(p.x), hy.max(p.y));
    }
    let span = (hx - lx).max(hy - ly).max(1.0);
    let side = span / (points.len() as f64).sqrt();
    let (x0, y0) = (lx - span / 2.0, ly - span / 2.0);
    let nx = (((hx - lx + span) / side).ceil() as usize).max(1);
    let ny = (((hy - ly + span) / side).ceil() as usize).max(1);
    // A point is put in a cell up to rounding of its coordinates; the cells'
    // bounds are taken over the cell grown by far more than that.
    let eps = 1e-12 * (x0.abs() + y0.abs() + 4.0 * span) + 1e-9;
    let half_diagonal = (side / 2.0 + eps) * std::f64::consts::SQRT_2;
    let tree = RTree::bulk_load(
        points
            .iter()
            .enumerate()
            .map(|(k, p)| GeomWithData::new([p.x, p.y], k))
            .collect(),
    );
    let lists: Vec<(Vec<Entry>, f64)> = (0..nx * ny)
        .into_par_iter()
        .map(|c| {
            let (i, j) = ((c % nx) as f64, (c / nx) as f64);
            let (ax, bx) = (x0 + i * side - eps, x0 + (i + 1.0) * side + eps);
            let (ay, by) = (y0 + j * side - eps, y0 + (j + 1.0) * side + eps);
            let centre = [f64::midpoint(ax, bx), f64::midpoint(ay, by)];
            let mut last = 0.0f64;
            let mut list: Vec<Entry> = tree
                .nearest_neighbor_iter_with_distance_2(centre)
                .take(CANDIDATES)
                .map(|(p, d2)| {
                    last = d2;
                    let q = points[p.data];
                    let dx = (ax - q.x).max(q.x - bx).max(0.0);
                    let dy = (ay - q.y).max(q.y - by).max(0.0);
                    let m = lower((dx * dx + dy * dy).sqrt()).max(0.0);
                    Entry {
                        mindist2: m * m * (1.0 - 1e-12),
                        ..q
                    }
                })
                .collect();
            list.sort_by(|a, b| {
                a.mindist2
                    .total_cmp(&b.mindist2)
                    .then(a.service.cmp(&b.service))
            });
            (list, lower(last.sqrt() - half_diagonal))
        })
        .collect();
    let mut start = Vec::with_capacity(lists.len() + 1);
    let mut bound = Vec::with_capacity(lists.len());
    let mut entries = Vec::with_capacity(lists.len() * CANDIDATES);
    start.push(0);
    for (list, r) in lists {
        entries.extend(list);
        start.push(entries.len() as u32);
        bound.push(r);
    }
    Cells::Grid {
        x0,
        y0,
        side,
        inv_side: 1.0 / side,
        eps,
        nx,
        ny,
        start,
        bound,
        entries,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;

    fn entry(mindist: f64, x: f64, y: f64, service: u32) -> Entry {
        Entry {
            mindist2: mindist * mindist,
            x,
            y,
            service,
            bit: service,
        }
    }

    /// Exactly mirrored services tie; the smaller index wins even when it
    /// comes later in the list. Closed services are skipped, and the walk
    /// stops at the first least distance beyond the best.
    #[test]
    fn walk_ties_closed_and_stop() {
        let list = [
            entry(0.0, 100.0, 0.0, 5),
            entry(10.0, -100.0, 0.0, 2),
            entry(20.0, 0.0, 90.0, 1),
            entry(200.0, 0.0, 1.0, 0), // never reached: beyond 100
        ];
        let all = |_: &Entry| true;
        assert_eq!(walk(&list, 0.0, 0.0, f64::INFINITY, all), Some((1, 90.0)));
        let not1 = |e: &Entry| e.service != 1;
        assert_eq!(walk(&list, 0.0, 0.0, f64::INFINITY, not1), Some((2, 100.0)));
        let only5 = |e: &Entry| e.service == 5 || e.service == 0;
        assert_eq!(
            walk(&list, 0.0, 0.0, f64::INFINITY, only5),
            Some((5, 100.0))
        );
        let none = |_: &Entry| false;
        assert_eq!(walk(&list, 0.0, 0.0, f64::INFINITY, none), None);
        // Beyond the maximum distance the walk stops: 0 (at 1 m) is never seen.
        assert_eq!(walk(&list, 0.0, 0.0, 150.0, none), None);
        assert_eq!(walk(&list, 0.0, 0.0, 150.0, |e| e.service == 0), None);
        // The masked walk answers alike for every subset of open entries.
        for mask in 0..16u32 {
            for max in [f64::INFINITY, 150.0, 95.0, 0.5] {
                let open = |e: &Entry| {
                    let k = list.iter().position(|f| f.service == e.service).unwrap();
                    mask >> k & 1 == 1
                };
                assert_eq!(
                    walk_open(&list, mask, 0.0, 0.0, max),
                    walk(&list, 0.0, 0.0, max, open),
                    "{mask:b} {max}"
                );
            }
        }
        assert_eq!(
            walk_open(&list, 0b1100, 0.0, 0.0, f64::INFINITY),
            Some((1, 90.0))
        );
    }

    /// The candidates of a rectangle: the one nearer everywhere; both
    /// where the bisector crosses or touches it (ascending bits, padded with
    /// the first); only the open ones; none when other services may be
    /// nearer (`bound`), none open, or more than [`SLOTS`].
    #[test]
    fn candidates_of_a_rectangle() {
        let list = [
            entry(0.0, 0.0, 0.0, 7),
            entry(0.0, 100.0, 0.0, 3),
            entry(0.0, 50.0, 1000.0, 9),
        ];
        let list: Vec<Entry> = list
            .iter()
            .enumerate()
            .map(|(k, e)| Entry {
                bit: k as u32,
                ..*e
            })
            .collect();
        let at = |rect, mask, bound| Near::new(&list, rect).candidates(mask, bound);
        let inf = f64::INFINITY;
        // Wholly on service 7's side of the bisector x = 50.
        assert_eq!(at([10.0, 10.0, 20.0, 20.0], 0b111, inf), [1; SLOTS]);
        assert_eq!(at([60.0, -5.0, 70.0, 5.0], 0b111, inf), [2; SLOTS]);
        // Across it, and touching it (a corner at equal distances).
        assert_eq!(at([45.0, 0.0, 55.0, 10.0], 0b111, inf), [1, 2, 1, 1]);
        assert_eq!(at([40.0, 0.0, 50.0, 10.0], 0b111, inf), [1, 2, 1, 1]);
        // Within the margin of the bisector: both, the query's distances
        // decide; a little farther, 7 alone.
        assert_eq!(at([40.0, 0.0, 50.0 - 1e-9, 10.0], 0b111, inf), [1, 2, 1, 1]);
        assert_eq!(at([40.0, 0.0, 50.0 - 1e-6, 10.0], 0b111, inf), [1; SLOTS]);
        // Only the open ones count.
        assert_eq!(at([10.0, 10.0, 20.0, 20.0], 0b110, inf), [2; SLOTS]);
        assert_eq!(at([10.0, 10.0, 20.0, 20.0], 0b100, inf), [3; SLOTS]);
        assert_eq!(at([10.0, 10.0, 20.0, 20.0], 0, inf), [0; SLOTS]);
        // A service outside the list may be nearer than 7 (at most 28.3 m).
        assert_eq!(at([10.0, 10.0, 20.0, 20.0], 0b111, 28.0), [0; SLOTS]);
        assert_eq!(at([10.0, 10.0, 20.0, 20.0], 0b111, 29.0), [1; SLOTS]);
        // Five services around one point: more than the slots hold.
        let ring: Vec<Entry> = (0..5)
            .map(|k| {
                let a = f64::from(k) * std::f64::consts::TAU / 5.0;
                Entry {
                    bit: k,
                    ..entry(0.0, 10.0 * a.cos(), 10.0 * a.sin(), k)
                }
            })
            .collect();
        let rect = [-1.0, -1.0, 1.0, 1.0];
        assert_eq!(Near::new(&ring, rect).candidates(0b11111, inf), [0; SLOTS]);
        assert_eq!(
            Near::new(&ring, rect).candidates(0b01111, inf),
            [1, 2, 3, 4]
        );
    }

    /// The open sets: pieces at every change, interned, looked up by bucket.
    #[test]
    fn open_sets_pieces() {
        let sets = OpenSets {
            start: 0,
            bounds: vec![0, 10, 25, 30],
            set_of: vec![0, 1, 0, 2],
            words: 1,
            bits: vec![0, 0b1, 0b10],
            shift: 2,
            first: vec![0, 0, 0, 1, 1, 1, 1, 2, 3, 3],
        };
        let at = |t| sets.set(sets.id_at(t))[0];
        assert_eq!(
            (at(0), at(9), at(10), at(24), at(25), at(29), at(30), at(39)),
            (0, 0, 1, 1, 0, 0, 2, 2)
        );
    }
}
