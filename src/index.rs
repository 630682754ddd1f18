//! The one spatial index (rstar R*-trees in projected metres) over incidents,
//! places, services and route segments. Build it once per [`Dataset`]; every
//! analysis queries it.

use chrono_tz::Tz;
use geo::{Area, BoundingRect, Intersects, LineString, MultiPolygon, Point};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Line, Rectangle};
use rstar::{AABB, PointDistance, RTree};

use crate::dataset::Dataset;
use crate::error::Result;
use crate::model::{Service, ServiceKind};
use crate::opening::OpenTimes;

type PointItem = GeomWithData<[f64; 2], u32>;
type BoxItem = GeomWithData<Rectangle<[f64; 2]>, u32>;
type SegmentItem = GeomWithData<Line<[f64; 2]>, u32>;

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
    incidents: RTree<PointItem>,
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
        let inc = &ds.incidents;
        let points: Vec<PointItem> = (0..inc.len())
            .into_par_iter()
            .map(|i| GeomWithData::new([inc.x[i], inc.y[i]], i as u32))
            .collect();
        let incidents = RTree::bulk_load(points);
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

    /// Incidents within `radius` metres of (`x`, `y`) (boundary included).
    #[must_use]
    pub fn incidents_within(&self, x: f64, y: f64, radius: f64) -> Vec<u32> {
        self.incidents
            .locate_within_distance([x, y], radius * radius)
            .map(|p| p.data)
            .collect()
    }

    /// Incidents inside place `place` (boundary included).
    #[must_use]
    pub fn incidents_in_place(&self, place: usize) -> Vec<u32> {
        let g = &self.place_geometry[place];
        let Some(r) = g.bounding_rect() else {
            return Vec::new();
        };
        self.incidents
            .locate_in_envelope(AABB::from_corners(
                [r.min().x, r.min().y],
                [r.max().x, r.max().y],
            ))
            .filter(|p| g.intersects(&Point::new(p.geom()[0], p.geom()[1])))
            .map(|p| p.data)
            .collect()
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

    /// Incidents within `buffer` metres of a segment.
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
            .locate_in_envelope(AABB::from_corners(lo, hi))
            .filter(|p| line.distance_2(p.geom()) <= b2)
            .map(|p| p.data)
            .collect()
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
        self.incidents.size()
    }
}
