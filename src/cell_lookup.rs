//! H3 cells of many points close together, without H3's per-point
//! arithmetic where a cheaper test gives the same cell.
//!
//! An H3 cell that lies on one icosahedron face is, by H3's construction, a
//! hexagon in that face's gnomonic projection (points are projected onto
//! the face's plane and rounded to the nearest hexagon centre), and the
//! gnomonic projection takes great circles to straight lines. So the cell
//! is the spherical hexagon whose edges are the great circles through its
//! boundary vertices, and a point on the unit sphere is inside it when it
//! lies on the inner side of all six edge planes.
//!
//! [`CellLookup`] keeps these planes for the cells around a set of points,
//! found through a grid of small longitude/latitude buckets (the cell at
//! each occupied bucket's centre, and the cell across the edge a point is
//! beyond), and answers a point when it is inside a cell by at least
//! [`MARGIN`] (6 mm on the ground). That is far beyond the rounding of H3's
//! own arithmetic, which stays under a micrometre away from the faces'
//! centres; cells near a face centre, where H3 takes a point's distance
//! through `acos` and loses precision, are not used. Every other point (near
//! an edge, in a pentagon, in a cell on two faces or near a face centre,
//! outside the buckets) is indexed by h3o itself. The answers are h3o's,
//! tested point for point at every resolution.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;

use crate::projection::{lon_lat_extent, valid_lon_lat};

/// How far inside a cell's edges (radians on the unit sphere, 6.4 mm on the
/// ground) a point must lie to be answered without h3o.
const MARGIN: f64 = 1e-9;

/// Cells closer than this (radians, 64 km) to an icosahedron face's centre
/// are left to h3o.
const FACE_CENTRE_CLEARANCE: f64 = 0.01;

/// No cell (in the bucket and neighbour tables).
const NONE: u32 = u32::MAX;

type V3 = [f64; 3];

fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// The unit vector of a latitude and longitude in radians, as h3o forms it.
#[inline]
fn unit(lat: f64, lng: f64) -> V3 {
    let (sin_lat, cos_lat) = lat.sin_cos();
    let (sin_lng, cos_lng) = lng.sin_cos();
    [cos_lng * cos_lat, sin_lng * cos_lat, sin_lat]
}

fn unit_of(p: LatLng) -> V3 {
    unit(p.lat_radians(), p.lng_radians())
}

/// The angle (radians) between two unit vectors.
fn angle(a: V3, b: V3) -> f64 {
    cross(a, b)
        .iter()
        .map(|c| c * c)
        .sum::<f64>()
        .sqrt()
        .atan2(dot(a, b))
}

/// The centres of the 20 icosahedron faces, from its 12 vertices (the
/// centres of H3's resolution-0 pentagons): the directions of the sums of
/// three mutually adjacent vertices (63.4° apart; the next nearest are
/// 116.6° apart). Empty if h3o were to disagree.
static FACE_CENTRES: LazyLock<Vec<V3>> = LazyLock::new(|| {
    let vertices: Vec<V3> = CellIndex::base_cells()
        .filter(|c| c.is_pentagon())
        .map(|c| unit_of(LatLng::from(c)))
        .collect();
    let adjacent = |a: usize, b: usize| angle(vertices[a], vertices[b]) < 1.5;
    let mut centres = Vec::new();
    for a in 0..vertices.len() {
        for b in a + 1..vertices.len() {
            for c in b + 1..vertices.len() {
                if adjacent(a, b) && adjacent(b, c) && adjacent(a, c) {
                    let sum: V3 =
                        [0, 1, 2].map(|k| vertices[a][k] + vertices[b][k] + vertices[c][k]);
                    let norm = dot(sum, sum).sqrt();
                    centres.push(sum.map(|x| x / norm));
                }
            }
        }
    }
    if vertices.len() == 12 && centres.len() == 20 {
        centres
    } else {
        Vec::new()
    }
});

/// A cell's six edge planes, by their unit normals pointing inwards.
#[derive(Debug, Clone)]
struct Hexagon {
    inward: [V3; 6],
    /// Per edge, the table index of the cell across it ([`NONE`] if that
    /// cell is not in the table).
    across: [u32; 6],
}

impl Hexagon {
    /// The hexagon of a cell that lies on one face, away from the face's
    /// centre; `None` for any other cell.
    fn of(cell: CellIndex) -> Option<Self> {
        if cell.is_pentagon() || cell.icosahedron_faces().len() != 1 {
            return None;
        }
        let boundary = cell.boundary();
        if boundary.len() != 6 {
            return None;
        }
        let centre = unit_of(LatLng::from(cell));
        let vertices: Vec<V3> = boundary.iter().map(|&v| unit_of(v)).collect();
        let radius = vertices
            .iter()
            .map(|&v| angle(centre, v))
            .fold(0.0, f64::max);
        let to_face = FACE_CENTRES
            .iter()
            .map(|&f| angle(centre, f))
            .fold(f64::INFINITY, f64::min);
        let clear = to_face - radius >= FACE_CENTRE_CLEARANCE;
        if !clear {
            return None;
        }
        let mut inward = [[0.0; 3]; 6];
        for (k, n) in inward.iter_mut().enumerate() {
            let c = cross(vertices[k], vertices[(k + 1) % 6]);
            let norm = dot(c, c).sqrt();
            let sign = if dot(c, centre) < 0.0 { -1.0 } else { 1.0 };
            *n = c.map(|x| sign * x / norm);
            // The centre lies well inside every edge (about the inradius).
            let inside = dot(*n, centre) > 0.25 * radius;
            if !inside {
                return None;
            }
        }
        Some(Self {
            inward,
            across: [NONE; 6],
        })
    }

    /// The least signed distance (sine of the angle) of `p` inside the
    /// edges, and the edge it belongs to.
    #[inline]
    fn inside_by(&self, p: V3) -> (f64, usize) {
        let mut least = (f64::INFINITY, 0);
        for (k, &n) in self.inward.iter().enumerate() {
            let d = dot(p, n);
            if d < least.0 {
                least = (d, k);
            }
        }
        least
    }
}

/// Cell planes for the points of one data set at one resolution.
#[derive(Debug)]
pub(crate) struct CellLookup {
    /// Buckets per degree (a power of two) and bucket `(0, 0)`'s indices.
    per_degree: f64,
    i0: f64,
    j0: f64,
    nx: usize,
    ny: usize,
    /// Per bucket (row-major from the south-west): the table index of the
    /// cell at its centre, or [`NONE`] if no point fell in it.
    bucket: Vec<u32>,
    /// The table: the buckets' cells and their neighbours, sorted.
    cells: Vec<CellIndex>,
    shapes: Vec<Option<Hexagon>>,
}

impl CellLookup {
    /// The lookup for the valid points of `lon`/`lat` at `res`, or `None`
    /// where it would not pay: more buckets than a quarter of the points
    /// (unless `always`), or none.
    pub(crate) fn build(lon: &[f64], lat: &[f64], res: Resolution, always: bool) -> Option<Self> {
        if FACE_CENTRES.is_empty() {
            return None;
        }
        let n = lon.len().min(lat.len());
        let (lon, lat) = (&lon[..n], &lat[..n]);
        let (w, s, e, north) = lon_lat_extent(lon, lat)?;
        // Buckets between half a cell edge and one edge high (narrower east
        // to west), a power of two per degree so that bucket indices are
        // exact.
        let per_degree = (111.32 / res.edge_length_km()).log2().ceil().exp2();
        let (i0, j0) = ((w * per_degree).floor(), (s * per_degree).floor());
        let nx = ((e * per_degree).floor() - i0) as usize + 1;
        let ny = ((north * per_degree).floor() - j0) as usize + 1;
        let buckets = nx.checked_mul(ny)?;
        if buckets > 1 << 26 || (!always && buckets > n / 4) {
            return None;
        }
        let mut lookup = Self {
            per_degree,
            i0,
            j0,
            nx,
            ny,
            bucket: Vec::new(),
            cells: Vec::new(),
            shapes: Vec::new(),
        };
        // The occupied buckets.
        let seen: Vec<AtomicU64> = (0..buckets.div_ceil(64))
            .map(|_| AtomicU64::new(0))
            .collect();
        lon.par_iter()
            .zip(lat)
            .with_min_len(1 << 14)
            .for_each(|(&x, &y)| {
                if let Some(b) = lookup.bucket_of(x, y) {
                    seen[b / 64].fetch_or(1 << (b % 64), Ordering::Relaxed);
                }
            });
        let occupied: Vec<usize> = seen
            .iter()
            .enumerate()
            .flat_map(|(k, word)| {
                let bits = word.load(Ordering::Relaxed);
                (0..64)
                    .filter(move |b| bits >> b & 1 == 1)
                    .map(move |b| k * 64 + b)
            })
            .collect();
        // The cell at each occupied bucket's centre, then the table: those
        // cells and their neighbours.
        let centre_cells: Vec<CellIndex> = occupied
            .par_iter()
            .map(|&b| {
                let (i, j) = ((b % nx) as f64, (b / nx) as f64);
                let lng = (i0 + i + 0.5) / per_degree;
                let lat = (j0 + j + 0.5) / per_degree;
                LatLng::new(lat, lng).map(|p| p.to_cell(res))
            })
            .collect::<Result<_, _>>()
            .ok()?;
        let mut cells = centre_cells.clone();
        cells.par_sort_unstable();
        cells.dedup();
        let mut table: Vec<CellIndex> = cells
            .par_iter()
            .flat_map_iter(|c| c.grid_disk::<Vec<_>>(1))
            .collect();
        table.par_sort_unstable();
        table.dedup();
        let index_of = |c: CellIndex| table.binary_search(&c).map_or(NONE, |k| k as u32);
        let mut shapes: Vec<Option<Hexagon>> = table.par_iter().map(|&c| Hexagon::of(c)).collect();
        shapes.par_iter_mut().zip(&table).for_each(|(shape, &c)| {
            let Some(h) = shape else { return };
            // Across each edge: the neighbour whose centre lies farthest
            // beyond it.
            let neighbours: Vec<(CellIndex, V3)> = c
                .grid_disk::<Vec<_>>(1)
                .into_iter()
                .filter(|&d| d != c)
                .map(|d| (d, unit_of(LatLng::from(d))))
                .collect();
            for (k, n) in h.inward.iter().enumerate() {
                h.across[k] = neighbours
                    .iter()
                    .min_by(|a, b| dot(a.1, *n).total_cmp(&dot(b.1, *n)))
                    .map_or(NONE, |&(d, _)| index_of(d));
            }
        });
        let mut bucket = vec![NONE; buckets];
        for (&b, &c) in occupied.iter().zip(&centre_cells) {
            bucket[b] = index_of(c);
        }
        lookup.bucket = bucket;
        lookup.cells = table;
        lookup.shapes = shapes;
        Some(lookup)
    }

    /// The bucket of a valid point inside the grid.
    #[inline]
    fn bucket_of(&self, lon: f64, lat: f64) -> Option<usize> {
        // The buckets take valid pairs only (h3o takes any finite pair).
        if !valid_lon_lat(lon, lat) {
            return None;
        }
        // Exact: `per_degree` is a power of two and `i0`, `j0` whole.
        let u = (lon * self.per_degree).floor() - self.i0;
        let v = (lat * self.per_degree).floor() - self.j0;
        if u >= 0.0 && v >= 0.0 && u < self.nx as f64 && v < self.ny as f64 {
            Some(v as usize * self.nx + u as usize)
        } else {
            None
        }
    }

    /// The cell of a point, when a cell of the table holds it by the
    /// margin; `None` leaves the point to h3o.
    #[inline]
    pub(crate) fn cell(&self, lon: f64, lat: f64) -> Option<CellIndex> {
        let first = self.bucket[self.bucket_of(lon, lat)?];
        // `NONE` (a bucket none of the points the lookup was built on fell
        // in) is past the table's end.
        let shape = self.shapes.get(first as usize)?.as_ref()?;
        let p = unit(lat.to_radians(), lon.to_radians());
        let (by, edge) = shape.inside_by(p);
        if by >= MARGIN {
            return Some(self.cells[first as usize]);
        }
        if by > -MARGIN {
            return None;
        }
        let next = shape.across[edge];
        let shape = self.shapes.get(next as usize)?.as_ref()?;
        (shape.inside_by(p).0 >= MARGIN).then(|| self.cells[next as usize])
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rand::{RngCore, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A uniform value in [0, 1) (test points).
    fn uniform(rng: &mut ChaCha8Rng) -> f64 {
        (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Points around `(lon, lat)` over about 40 cell edges, and points on,
    /// just inside and just outside the edges and at the vertices of the
    /// cells there (offsets from 1e-13 to 1e-7 radians).
    fn points_around(
        lon: f64,
        lat: f64,
        res: Resolution,
        rng: &mut ChaCha8Rng,
    ) -> (Vec<f64>, Vec<f64>) {
        let span = 40.0 * res.edge_length_km() / 111.32;
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        let squeeze = lat.to_radians().cos().max(0.05);
        for _ in 0..3000 {
            xs.push((lon + (uniform(rng) - 0.5) * span / squeeze).clamp(-180.0, 180.0));
            ys.push((lat + (uniform(rng) - 0.5) * span).clamp(-90.0, 90.0));
        }
        let centre = LatLng::new(lat, lon).unwrap().to_cell(res);
        for c in centre.grid_disk::<Vec<_>>(2) {
            let b = c.boundary();
            let m = b.len();
            for k in 0..m {
                let (p, q) = (b[k], b[(k + 1) % m]);
                for t in [0.0, 0.25, 0.5, 0.9] {
                    let (y, x) = (
                        p.lat() + t * (q.lat() - p.lat()),
                        p.lng() + t * (q.lng() - p.lng()),
                    );
                    for off in [0.0f64, 1e-13, 1e-11, 1e-9, 1e-7] {
                        for (dx, dy) in [(off, 0.0), (-off, 0.0), (0.0, off), (0.0, -off)] {
                            xs.push(x + dx.to_degrees());
                            ys.push(y + dy.to_degrees());
                        }
                    }
                }
            }
        }
        (xs, ys)
    }

    /// The lookup gives h3o's cell for every point it answers, at every
    /// resolution, in ordinary places and near the places H3 is awkward
    /// (a face's centre, an icosahedron edge, a pentagon, the antimeridian,
    /// the poles), and answers most points of an ordinary city.
    #[test]
    fn lookup_answers_are_h3os() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let places = [
            (9.9187, 57.0488, true), // Aalborg
            (-79.38, 43.65, true),   // Toronto
            (151.2, -33.87, true),   // Sydney
            (179.99, -16.5, false),  // the antimeridian (Fiji)
            (0.0, 89.99, false),     // the poles
            (-10.0, -89.9, false),
        ];
        let lon_lat = |v: V3| {
            let v = v.map(|x| x / dot(v, v).sqrt());
            (
                v[1].atan2(v[0]).to_degrees(),
                v[2].asin().to_degrees(),
                false,
            )
        };
        // Face centres, pentagons (the icosahedron's vertices) and the
        // middle of an icosahedron edge (between the two nearest vertices).
        let mut extra: Vec<(f64, f64, bool)> =
            FACE_CENTRES.iter().take(4).map(|&v| lon_lat(v)).collect();
        // Just beyond the clearance around a face centre, where H3's
        // arithmetic is least precise among the cells used.
        let f = FACE_CENTRES[5];
        let side = cross(f, [0.0, 0.0, 1.0]);
        let side = side.map(|x| x / dot(side, side).sqrt());
        let tilt = 1.2 * FACE_CENTRE_CLEARANCE;
        extra.push(lon_lat(
            [0, 1, 2].map(|k| f[k] * tilt.cos() + side[k] * tilt.sin()),
        ));
        let vertices: Vec<V3> = CellIndex::base_cells()
            .filter(|c| c.is_pentagon())
            .map(|c| unit_of(LatLng::from(c)))
            .collect();
        assert_eq!(vertices.len(), 12);
        extra.extend(vertices.iter().take(2).map(|&v| lon_lat(v)));
        let nearest = vertices[1..]
            .iter()
            .min_by(|a, b| angle(vertices[0], **a).total_cmp(&angle(vertices[0], **b)))
            .unwrap();
        extra.push(lon_lat([0, 1, 2].map(|k| vertices[0][k] + nearest[k])));
        assert_eq!(FACE_CENTRES.len(), 20);
        let mut checked = 0;
        for res in Resolution::range(Resolution::Zero, Resolution::Fifteen) {
            for &(lon, lat, ordinary) in places.iter().chain(&extra) {
                let (xs, ys) = points_around(lon, lat, res, &mut rng);
                let Some(lookup) = CellLookup::build(&xs, &ys, res, true) else {
                    continue;
                };
                let (mut answered, mut random) = (0, 0);
                for (k, (&x, &y)) in xs.iter().zip(&ys).enumerate() {
                    if let Some(c) = lookup.cell(x, y) {
                        let want = LatLng::new(y, x).unwrap().to_cell(res);
                        assert_eq!(c, want, "res {res} at ({x}, {y})");
                        answered += 1;
                        random += usize::from(k < 3000);
                    }
                }
                checked += answered;
                // Of the random points in an ordinary place at a fine
                // resolution, nearly all are answered.
                if ordinary && u8::from(res) >= 5 {
                    assert!(random > 2900, "res {res} at ({lon}, {lat}): {random}");
                }
            }
        }
        assert!(checked > 200_000, "{checked}");
    }
}
