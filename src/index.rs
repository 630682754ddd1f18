//! The one spatial index (rstar R*-trees in projected metres) over incidents,
//! places, services and route segments. Build it once per [`Dataset`]; every
//! analysis queries it. Incidents sit in buckets of at most 64 points with
//! an R*-tree over the buckets' boxes (a quarter of the memory of one leaf
//! per point, and built in parallel).

use chrono_tz::Tz;
use geo::{Area, BoundingRect, Intersects, LineString, MultiPolygon, Point};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Line, Rectangle};
use rstar::{AABB, Envelope, PointDistance, RTree};

use crate::dataset::Dataset;
use crate::error::Result;
use crate::model::{Service, ServiceKind};
use crate::opening::OpenTimes;

type PointItem = GeomWithData<[f64; 2], u32>;
type BoxItem = GeomWithData<Rectangle<[f64; 2]>, u32>;
type SegmentItem = GeomWithData<Line<[f64; 2]>, u32>;
/// A bucket's box and its `(start, end)` range of points.
type BucketItem = GeomWithData<Rectangle<[f64; 2]>, (u32, u32)>;

/// A route segment in projected metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// Index of the route in the data set.
    pub route: usize,
    /// Index of the segment along the route.
    pub index: usize,
    /// Start (x, y) in metres.
    pub from: [f64; 2],
    /// End (x, y) in metres.
    pub to: [f64; 2],
}

/// Spatial index of a [`Dataset`], in the data set's projection.
///
/// ```
/// # use byrum::*;
/// # let dir = std::env::temp_dir().join("byrum-doc-index");
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join("i.csv");
/// # std::fs::write(&path, "id,lon,lat,timestamp,category\n1,9.920,57.050,2023-07-14T21:37:00+02:00,noise\n2,9.921,57.050,2023-07-14T22:37:00+02:00,noise\n3,9.950,57.050,2023-07-14T23:37:00+02:00,noise\n").unwrap();
/// let ds = DatasetBuilder::new().incidents(IncidentReader::new().read_csv(&path)?).build()?;
/// let index = SpatialIndex::build(&ds)?;
/// let (x, y) = ds.projection.forward(9.920, 57.050)?;
/// let mut near = index.incidents_within(x, y, 100.0); // metres
/// near.sort();
/// assert_eq!(near, vec![0, 1]);
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug)]
pub struct SpatialIndex {
    /// The incidents, packed in small spatially compact buckets.
    incidents: IncidentBuckets,
    places: RTree<BoxItem>,
    place_geometry: Vec<MultiPolygon>,
    services: RTree<PointItem>,
    service_xy: Vec<[f64; 2]>,
    segments: RTree<SegmentItem>,
    segment_list: Vec<Segment>,
}

impl SpatialIndex {
    /// Builds the index: incidents (from their projected x/y), place outlines,
    /// service points and route segments (each line's consecutive vertex pairs).
    ///
    /// # Errors
    /// [`Error::Projection`](crate::Error::Projection) if a geometry cannot be projected.
    pub fn build(ds: &Dataset) -> Result<Self> {
        let incidents = IncidentBuckets::build(&ds.incidents.x, &ds.incidents.y);
        let place_geometry: Vec<MultiPolygon> = ds
            .places
            .iter()
            .map(|p| ds.projection.forward_geometry(&p.geometry))
            .collect::<Result<_>>()?;
        let places = RTree::bulk_load(
            place_geometry
                .iter()
                .enumerate()
                .filter_map(|(i, g)| {
                    g.bounding_rect().map(|r| {
                        GeomWithData::new(
                            Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                            i as u32,
                        )
                    })
                })
                .collect(),
        );
        let service_xy: Vec<[f64; 2]> = ds
            .services
            .iter()
            .map(|s| {
                ds.projection
                    .forward(s.point.x(), s.point.y())
                    .map(|(x, y)| [x, y])
            })
            .collect::<Result<_>>()?;
        let services = RTree::bulk_load(
            service_xy
                .iter()
                .enumerate()
                .map(|(i, p)| GeomWithData::new(*p, i as u32))
                .collect(),
        );
        let mut segment_list = Vec::new();
        for (r, route) in ds.routes.iter().enumerate() {
            let line: LineString = ds.projection.forward_geometry(&route.line)?;
            for (k, l) in line.lines().enumerate() {
                segment_list.push(Segment {
                    route: r,
                    index: k,
                    from: [l.start.x, l.start.y],
                    to: [l.end.x, l.end.y],
                });
            }
        }
        let segments = RTree::bulk_load(
            segment_list
                .iter()
                .enumerate()
                .map(|(i, s)| GeomWithData::new(Line::new(s.from, s.to), i as u32))
                .collect(),
        );
        Ok(Self {
            incidents,
            places,
            place_geometry,
            services,
            service_xy,
            segments,
            segment_list,
        })
    }

    /// Incidents within `radius` metres of (`x`, `y`) (boundary included),
    /// in ascending order.
    #[must_use]
    pub fn incidents_within(&self, x: f64, y: f64, radius: f64) -> Vec<u32> {
        let r2 = radius * radius;
        self.incidents
            .near([x, y], r2, |p| p.distance_2(&[x, y]) <= r2)
    }

    /// Incidents inside place `place` (boundary included), in ascending order.
    #[must_use]
    pub fn incidents_in_place(&self, place: usize) -> Vec<u32> {
        let g = &self.place_geometry[place];
        let Some(r) = g.bounding_rect() else {
            return Vec::new();
        };
        let envelope = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        self.incidents
            .in_envelope(envelope, |p| g.intersects(&Point::new(p[0], p[1])))
    }

    /// The place containing (`x`, `y`), if any (the first by index when places overlap).
    #[must_use]
    pub fn place_at(&self, x: f64, y: f64) -> Option<usize> {
        let pt = Point::new(x, y);
        self.places
            .locate_all_at_point([x, y])
            .map(|b| b.data as usize)
            .filter(|&i| self.place_geometry[i].intersects(&pt)) // inside or on the boundary
            .min()
    }

    /// The place of every incident (`u32::MAX` where none), in parallel.
    #[must_use]
    pub fn place_of_incidents(&self, ds: &Dataset) -> Vec<u32> {
        let inc = &ds.incidents;
        (0..inc.len())
            .into_par_iter()
            .map(|i| {
                self.place_at(inc.x[i], inc.y[i])
                    .map_or(u32::MAX, |p| p as u32)
            })
            .collect()
    }

    /// The area of place `place` in square metres.
    #[must_use]
    pub fn place_area_m2(&self, place: usize) -> f64 {
        self.place_geometry[place].unsigned_area()
    }

    /// The projected outline of place `place`.
    #[must_use]
    pub fn place_geometry(&self, place: usize) -> &MultiPolygon {
        &self.place_geometry[place]
    }

    /// The `k` services nearest to (`x`, `y`), nearest first, with distances in metres.
    #[must_use]
    pub fn nearest_services(&self, x: f64, y: f64, k: usize) -> Vec<(usize, f64)> {
        self.services
            .nearest_neighbor_iter_with_distance_2([x, y])
            .take(k)
            .map(|(s, d2)| (s.data as usize, d2.sqrt()))
            .collect()
    }

    /// The nearest service open at the UTC instant `utc` (local time of
    /// `zone`), optionally only of the given kinds, within `max_distance`
    /// metres. Services without known opening hours never count as open.
    #[must_use]
    pub fn nearest_open_service(
        &self,
        services: &[Service],
        x: f64,
        y: f64,
        utc: i64,
        zone: Tz,
        kinds: Option<&[ServiceKind]>,
        max_distance: f64,
    ) -> Option<(usize, f64)> {
        self.nearest_service_where(services, x, y, kinds, max_distance, |i| {
            services[i]
                .opening_hours
                .as_ref()
                .is_some_and(|h| h.is_open_at(utc, zone))
        })
    }

    /// As [`SpatialIndex::nearest_open_service`], with opening times computed
    /// once for the period ([`OpenTimes`]): the same answers, much faster
    /// when asked for many incidents.
    #[must_use]
    pub fn nearest_open(
        &self,
        services: &[Service],
        open: &OpenTimes,
        x: f64,
        y: f64,
        utc: i64,
        kinds: Option<&[ServiceKind]>,
        max_distance: f64,
    ) -> Option<(usize, f64)> {
        self.nearest_service_where(services, x, y, kinds, max_distance, |i| {
            open.is_open(i, utc)
        })
    }

    /// The nearest service of `kinds` within `max_distance` for which `open(i)`
    /// holds; of services at equal distance, the smallest index.
    fn nearest_service_where(
        &self,
        services: &[Service],
        x: f64,
        y: f64,
        kinds: Option<&[ServiceKind]>,
        max_distance: f64,
        open: impl Fn(usize) -> bool,
    ) -> Option<(usize, f64)> {
        // (service, squared distance) of the best so far; the walk goes on
        // through the run of services at the same distance.
        let mut best: Option<(usize, f64)> = None;
        for (s, d2) in self.services.nearest_neighbor_iter_with_distance_2([x, y]) {
            match best {
                Some((_, b)) if d2 > b => break,
                None if d2.sqrt() > max_distance => return None,
                _ => {}
            }
            let i = s.data as usize;
            if best.is_some_and(|(b, _)| b < i)
                || kinds.is_some_and(|k| !k.contains(&services[i].kind))
            {
                continue;
            }
            if open(i) {
                best = Some((i, d2));
            }
        }
        best.map(|(i, d2)| (i, d2.sqrt()))
    }

    /// The projected position of service `i`.
    #[must_use]
    pub fn service_xy(&self, i: usize) -> [f64; 2] {
        self.service_xy[i]
    }

    /// All route segments.
    #[must_use]
    pub fn segments(&self) -> &[Segment] {
        &self.segment_list
    }

    /// Incidents within `buffer` metres of a segment, in ascending order.
    #[must_use]
    pub fn incidents_near_segment(&self, segment: &Segment, buffer: f64) -> Vec<u32> {
        let line = Line::new(segment.from, segment.to);
        let lo = [
            segment.from[0].min(segment.to[0]) - buffer,
            segment.from[1].min(segment.to[1]) - buffer,
        ];
        let hi = [
            segment.from[0].max(segment.to[0]) + buffer,
            segment.from[1].max(segment.to[1]) + buffer,
        ];
        let b2 = buffer * buffer;
        self.incidents
            .in_envelope(AABB::from_corners(lo, hi), |p| line.distance_2(p) <= b2)
    }

    /// Route segments within `distance` metres of (`x`, `y`).
    #[must_use]
    pub fn segments_near(&self, x: f64, y: f64, distance: f64) -> Vec<&Segment> {
        self.segments
            .locate_within_distance([x, y], distance * distance)
            .map(|s| &self.segment_list[s.data as usize])
            .collect()
    }

    /// The number of incidents indexed.
    #[must_use]
    pub fn incident_count(&self) -> usize {
        self.incidents.points.len()
    }
}

/// The incidents in buckets of at most [`BUCKET`] points, each a
/// spatially compact run of one flat array, with an R*-tree over the
/// buckets' boxes.
///
/// A point-per-leaf R*-tree costs about 64 bytes per incident and builds
/// on one thread; this costs 24 bytes per incident (plus 1 per bucket of
/// [`BUCKET`]) and is built by halving at medians, in parallel. Queries
/// visit the buckets whose boxes meet the query and test their points.
#[derive(Debug)]
struct IncidentBuckets {
    /// (x, y) and incident index, bucket after bucket.
    points: Vec<PointItem>,
    /// Each bucket's box, with its range in `points`.
    boxes: RTree<BucketItem>,
}

/// The most incidents in one bucket of [`IncidentBuckets`].
const BUCKET: usize = 64;

impl IncidentBuckets {
    fn build(x: &[f64], y: &[f64]) -> Self {
        let mut points: Vec<PointItem> = x
            .par_iter()
            .zip(y)
            .enumerate()
            .map(|(i, (&x, &y))| GeomWithData::new([x, y], i as u32))
            .collect();
        split_points(&mut points);
        let mut ranges = Vec::with_capacity(points.len() / (BUCKET / 2) + 1);
        bucket_ranges(&points, 0, &mut ranges);
        let boxes = ranges
            .par_iter()
            .map(|&(a, b)| {
                let run = &points[a as usize..b as usize];
                let e = AABB::from_points(run.iter().map(GeomWithData::geom));
                GeomWithData::new(Rectangle::from_corners(e.lower(), e.upper()), (a, b))
            })
            .collect();
        Self {
            points,
            boxes: RTree::bulk_load(boxes),
        }
    }

    /// The incidents in buckets within squared distance `r2` of `at` for
    /// which `keep(position)` holds, in ascending order.
    fn near(&self, at: [f64; 2], r2: f64, keep: impl Fn(&[f64; 2]) -> bool) -> Vec<u32> {
        self.collect(self.boxes.locate_within_distance(at, r2), keep)
    }

    /// The incidents in buckets meeting `envelope` for which
    /// `keep(position)` holds, in ascending order.
    fn in_envelope(&self, envelope: AABB<[f64; 2]>, keep: impl Fn(&[f64; 2]) -> bool) -> Vec<u32> {
        self.collect(self.boxes.locate_in_envelope_intersecting(envelope), |p| {
            envelope.contains_point(p) && keep(p)
        })
    }

    fn collect<'a>(
        &'a self,
        buckets: impl Iterator<Item = &'a BucketItem>,
        keep: impl Fn(&[f64; 2]) -> bool,
    ) -> Vec<u32> {
        let mut out: Vec<u32> = buckets
            .flat_map(|b| &self.points[b.data.0 as usize..b.data.1 as usize])
            .filter(|p| keep(p.geom()))
            .map(|p| p.data)
            .collect();
        out.sort_unstable();
        out
    }
}

/// Orders `points` so that every run [`bucket_ranges`] yields is spatially
/// compact: halves at the median of the longer side of the box, then
/// orders each half the same way, down to [`BUCKET`] points (in parallel
/// for large halves).
fn split_points(points: &mut [PointItem]) {
    if points.len() <= BUCKET {
        return;
    }
    let (lo, hi) = points.iter().fold(
        ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]),
        |(lo, hi), p| {
            let g = p.geom();
            (
                [lo[0].min(g[0]), lo[1].min(g[1])],
                [hi[0].max(g[0]), hi[1].max(g[1])],
            )
        },
    );
    let axis = usize::from(hi[1] - lo[1] > hi[0] - lo[0]);
    let mid = points.len() / 2;
    // Ties are broken by the incident's index: the same order on every run.
    points.select_nth_unstable_by(mid, |a, b| {
        a.geom()[axis]
            .total_cmp(&b.geom()[axis])
            .then(a.data.cmp(&b.data))
    });
    let (left, right) = points.split_at_mut(mid);
    if mid > 16_384 {
        rayon::join(|| split_points(left), || split_points(right));
    } else {
        split_points(left);
        split_points(right);
    }
}

/// The buckets of `points` as ordered by [`split_points`]: the same
/// halving, down to runs of at most [`BUCKET`] points, as `(start, end)`
/// offset by `start`.
fn bucket_ranges(points: &[PointItem], start: usize, out: &mut Vec<(u32, u32)>) {
    if points.len() <= BUCKET {
        if !points.is_empty() {
            out.push((start as u32, (start + points.len()) as u32));
        }
        return;
    }
    let mid = points.len() / 2;
    bucket_ranges(&points[..mid], start, out);
    bucket_ranges(&points[mid..], start + mid, out);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::float_cmp)] // positions are copied, so exactly equal
    use super::*;
    use rstar::RTreeObject;

    /// Points from a fixed linear congruential sequence: a dense cluster
    /// and a sparse spread, with repeated positions.
    fn points(n: usize) -> (Vec<f64>, Vec<f64>) {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut x, mut y) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for i in 0..n {
            let (a, b) = (next(), next());
            let (px, py) = match i % 5 {
                0 => (500.0 + 50.0 * a, 800.0 + 50.0 * b),
                1 => (x[i - 1], y[i - 1]),
                _ => (10_000.0 * a, 3_000.0 * b),
            };
            x.push(px);
            y.push(py);
        }
        (x, y)
    }

    #[test]
    fn buckets_are_compact_runs_holding_every_incident_once() {
        let (x, y) = points(300_000);
        let b = IncidentBuckets::build(&x, &y);
        assert_eq!(b.points.len(), 300_000);
        let mut ids: Vec<u32> = b.points.iter().map(|p| p.data).collect();
        ids.sort_unstable();
        assert!(ids.iter().enumerate().all(|(i, &d)| d as usize == i));
        assert!(
            b.points
                .iter()
                .all(|p| p.geom() == &[x[p.data as usize], y[p.data as usize]])
        );
        let mut ranges: Vec<(u32, u32)> = b.boxes.iter().map(|r| r.data).collect();
        ranges.sort_unstable();
        assert_eq!(ranges.first().map(|r| r.0), Some(0));
        assert_eq!(ranges.last().map(|r| r.1), Some(300_000));
        for w in ranges.windows(2) {
            assert_eq!(w[0].1, w[1].0);
        }
        for r in &b.boxes {
            let n = (r.data.1 - r.data.0) as usize;
            assert!((BUCKET / 2..=BUCKET).contains(&n), "{n}");
            let run = &b.points[r.data.0 as usize..r.data.1 as usize];
            assert_eq!(
                AABB::from_points(run.iter().map(GeomWithData::geom)),
                r.geom().envelope()
            );
        }
        // The same order on a second build (ties broken by index).
        let again = IncidentBuckets::build(&x, &y);
        assert!(
            again
                .points
                .iter()
                .zip(&b.points)
                .all(|(a, b)| a.data == b.data)
        );
    }

    #[test]
    fn bucket_queries_equal_a_scan() {
        let (x, y) = points(200_000);
        let index = SpatialIndex {
            incidents: IncidentBuckets::build(&x, &y),
            places: RTree::new(),
            place_geometry: Vec::new(),
            services: RTree::new(),
            service_xy: Vec::new(),
            segments: RTree::new(),
            segment_list: Vec::new(),
        };
        assert_eq!(index.incident_count(), 200_000);
        for (k, &(cx, cy, r)) in [
            (520.0, 820.0, 30.0),
            (5_000.0, 1_500.0, 250.0),
            (0.0, 0.0, 400.0),
            (9_990.0, 2_990.0, 1_000.0),
            (-500.0, -500.0, 100.0),
            (x[17], y[17], 0.0),
        ]
        .iter()
        .enumerate()
        {
            let got = index.incidents_within(cx, cy, r);
            let want: Vec<u32> = (0..x.len())
                .filter(|&i| (x[i] - cx).powi(2) + (y[i] - cy).powi(2) <= r * r)
                .map(|i| i as u32)
                .collect();
            assert_eq!(got, want, "query {k}");
            let seg = Segment {
                route: 0,
                index: 0,
                from: [cx - 300.0, cy],
                to: [cx + 300.0, cy + 100.0],
            };
            let got = index.incidents_near_segment(&seg, r);
            let line = Line::new(seg.from, seg.to);
            let want: Vec<u32> = (0..x.len())
                .filter(|&i| line.distance_2(&[x[i], y[i]]) <= r * r)
                .map(|i| i as u32)
                .collect();
            assert_eq!(got, want, "segment query {k}");
        }
    }
}
