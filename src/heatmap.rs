//! Heatmap tiles: density surfaces (computed in metres in the local
//! projection) sampled at every pixel of Web Mercator tiles and coloured on
//! one scale shared by all time bins.
//!
//! The radius of the kernel is therefore metres on the ground at every zoom:
//! a pixel shows the density at its own location, never a splat sized in
//! pixels.
//!
//! # Privacy limits
//!
//! [`HeatmapTiles::write`] refuses a surface whose kernel is narrower than
//! [`HeatmapTiles::min_bandwidth_m`] (default [`MIN_TILE_BANDWIDTH_M`] = 50 m)
//! and tiles deeper than [`HeatmapTiles::max_zoom`]: the deepest zoom at which
//! a pixel is still at least 1/[`PIXELS_PER_BANDWIDTH`] (1/8) of the
//! bandwidth on the ground. Why 50 m: a quartic kernel of radius 50 m puts
//! half of one incident's mass within 23 m and spreads it over 7,850 m², the
//! size of a small square, so a map cannot place an incident more precisely
//! than "in this square", the resolution of the place tables anyway. Why 1/8:
//! a kernel then spans at most 16 pixels across, enough to show its shape,
//! while deeper zooms would only magnify the interpolated raster (its cells
//! are usually 10 m) and invite reading positions off single pixels. Kernels
//! compare by their quartic-equivalent radius ([`tile_bandwidth_m`]). The
//! third limit, no cell shown with fewer than `k` incidents within the
//! kernel's reach, is applied to the surfaces before they reach the tiles
//! ([`mask_sparse`](crate::mask_sparse)).

use std::path::{Path, PathBuf};

use image::{ImageBuffer, RgbaImage};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::grid::MetricGrid;
use crate::kde::DensitySurface;
use crate::kde::Kernel;
use crate::output::{encode_png, safe_file_name, write_atomic};
use crate::projection::Projection;
use crate::tile::{EARTH_RADIUS_M, MAX_LATITUDE, MAX_ZOOM, TileId, mercator_to_lonlat};
use crate::tile_archive::{MbTilesWriter, PmTilesWriter, TileSetInfo, pmtiles_order};

/// A colour ramp (perceptually uniform ramps from `colorous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ramp {
    /// Viridis (default).
    #[default]
    Viridis,
    /// Magma.
    Magma,
    /// Inferno.
    Inferno,
    /// Cividis (colour-vision-deficiency friendly).
    Cividis,
    /// ColorBrewer yellow–orange–red.
    YlOrRd,
}

impl Ramp {
    fn gradient(self) -> colorous::Gradient {
        match self {
            Ramp::Viridis => colorous::VIRIDIS,
            Ramp::Magma => colorous::MAGMA,
            Ramp::Inferno => colorous::INFERNO,
            Ramp::Cividis => colorous::CIVIDIS,
            Ramp::YlOrRd => colorous::YELLOW_ORANGE_RED,
        }
    }

    /// The ramp's name (`viridis`, `magma`, `inferno`, `cividis`, `ylorrd`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Ramp::Viridis => "viridis",
            Ramp::Magma => "magma",
            Ramp::Inferno => "inferno",
            Ramp::Cividis => "cividis",
            Ramp::YlOrRd => "ylorrd",
        }
    }
}

impl std::str::FromStr for Ramp {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viridis" => Ok(Ramp::Viridis),
            "magma" => Ok(Ramp::Magma),
            "inferno" => Ok(Ramp::Inferno),
            "cividis" => Ok(Ramp::Cividis),
            "ylorrd" => Ok(Ramp::YlOrRd),
            other => Err(Error::parameter(
                "colour ramp",
                format!("{other:?}: use viridis, magma, inferno, cividis or ylorrd"),
            )),
        }
    }
}

/// How values map onto the ramp between the domain's ends.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Scaling {
    /// Linear (default).
    #[default]
    Linear,
    /// Logarithmic (the domain's lower end must be above 0).
    Log,
    /// By quantile breaks (ascending values; a value's position is the share
    /// of breaks below it, interpolated between breaks).
    Quantile(Vec<f64>),
}

/// One colour scale for every surface of a layer, so that bins compare by eye.
///
/// ```
/// use byrum::{ColourScale, Ramp, Scaling};
/// let s = ColourScale::new(Ramp::Viridis, (0.5, 10.0), Scaling::Linear)?;
/// assert_eq!(s.colour(0.1)[3], 0); // below the domain: transparent
/// assert_eq!(s.colour(10.0)[3], 255);
/// assert_eq!(s.colour(50.0), s.colour(10.0)); // above: the top colour
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ColourScale {
    ramp: Ramp,
    domain: (f64, f64),
    scaling: Scaling,
    /// The ramp sampled at [`LUT_SIZE`] evenly spaced positions.
    lut: Vec<[u8; 4]>,
    /// ln of the domain's lower end and ln(upper) − ln(lower), for log
    /// scaling (computed once, not per pixel).
    log: (f64, f64),
    /// Colour indices looked up by value, for the scalings that would
    /// otherwise take a logarithm or a search per pixel.
    by_value: Option<ValueIndex>,
}

/// Colours precomputed per scale: finer than 8-bit colour channels can show.
const LUT_SIZE: usize = 4096;

impl ColourScale {
    /// A scale over `domain`.
    ///
    /// # Errors
    /// [`Error::Parameter`] for a domain that is not finite and increasing,
    /// a log scale from 0 or below, or quantile breaks that are empty, not
    /// finite or not ascending.
    pub fn new(ramp: Ramp, domain: (f64, f64), scaling: Scaling) -> Result<Self> {
        let (lo, hi) = domain;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(Error::parameter(
                "colour domain",
                format!("{lo}..{hi}: must be finite with the lower end below the upper"),
            ));
        }
        if scaling == Scaling::Log && lo <= 0.0 {
            return Err(Error::parameter(
                "colour domain",
                format!("a log scale needs a lower end above 0, not {lo}"),
            ));
        }
        if let Scaling::Quantile(b) = &scaling
            && (b.is_empty()
                || b.iter().any(|v| !v.is_finite())
                || b.windows(2).any(|w| w[0] > w[1]))
        {
            return Err(Error::parameter(
                "quantile breaks",
                "must be finite, ascending and not empty",
            ));
        }
        let gradient = ramp.gradient();
        let lut = (0..LUT_SIZE)
            .map(|k| {
                let c = gradient.eval_continuous(k as f64 / (LUT_SIZE - 1) as f64);
                [c.r, c.g, c.b, 255]
            })
            .collect();
        let mut scale = Self {
            ramp,
            domain,
            scaling,
            lut,
            log: (lo.ln(), hi.ln() - lo.ln()),
            by_value: None,
        };
        if scale.scaling != Scaling::Linear && lo > 0.0 {
            scale.by_value = Some(ValueIndex::new(&scale));
        }
        Ok(scale)
    }

    /// The ramp.
    #[must_use]
    pub fn ramp(&self) -> Ramp {
        self.ramp
    }

    /// The domain: values below the lower end are transparent, values above
    /// the upper end get the top colour.
    #[must_use]
    pub fn domain(&self) -> (f64, f64) {
        self.domain
    }

    /// The scaling.
    #[must_use]
    pub fn scaling(&self) -> &Scaling {
        &self.scaling
    }

    /// A domain shared by `surfaces`: from `threshold` (the share of the
    /// maximum below which pixels are transparent, e.g. 0.02) to the maximum
    /// over all of them, or to their pooled `quantile` of non-zero values when
    /// given (e.g. 0.99, so a single extreme cell does not wash out the rest).
    ///
    /// # Errors
    /// [`Error::Parameter`] if every surface is zero, or the threshold or
    /// quantile is not in (0, 1).
    pub fn shared_domain(
        surfaces: &[&DensitySurface],
        threshold: f64,
        quantile: Option<f64>,
    ) -> Result<(f64, f64)> {
        if !(threshold > 0.0 && threshold < 1.0) || quantile.is_some_and(|q| !(q > 0.0 && q <= 1.0))
        {
            return Err(Error::parameter(
                "colour domain",
                "the threshold must lie in (0, 1) and the quantile in (0, 1]",
            ));
        }
        let top = match quantile {
            None => surfaces.iter().map(|s| s.max()).fold(0.0, f64::max),
            Some(q) => {
                let mut v: Vec<f64> = surfaces
                    .iter()
                    .flat_map(|s| s.values.iter().copied().filter(|&x| x > 0.0))
                    .collect();
                if v.is_empty() {
                    0.0
                } else {
                    let k = ((v.len() - 1) as f64 * q).round() as usize;
                    *v.select_nth_unstable_by(k, f64::total_cmp).1
                }
            }
        };
        if top <= 0.0 {
            return Err(Error::parameter(
                "colour domain",
                "every density surface is zero: there is nothing to draw",
            ));
        }
        Ok((threshold * top, top))
    }

    /// Quantile breaks for [`Scaling::Quantile`]: `n + 1` values from the
    /// domain's lower end to its upper end, at the 0, 1/n, …, 1 quantiles of
    /// the pooled values of `surfaces` inside the domain (so each colour
    /// step covers the same share of the visible area). Repeated breaks
    /// (many equal values) are dropped.
    ///
    /// # Errors
    /// [`Error::Parameter`] if `n` is 0 or no value lies in the domain.
    pub fn quantile_breaks(
        surfaces: &[&DensitySurface],
        domain: (f64, f64),
        n: usize,
    ) -> Result<Vec<f64>> {
        let mut v: Vec<f64> = surfaces
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .filter(|&x| x >= domain.0 && x <= domain.1)
            .collect();
        if n == 0 || v.is_empty() {
            return Err(Error::parameter(
                "quantile breaks",
                "need at least one class and one value inside the colour domain",
            ));
        }
        v.sort_by(f64::total_cmp);
        let mut breaks: Vec<f64> = (0..=n)
            .map(|k| v[((v.len() - 1) as f64 * k as f64 / n as f64).round() as usize])
            .collect();
        breaks[0] = domain.0;
        breaks[n] = domain.1;
        breaks.dedup();
        Ok(breaks)
    }

    /// The colour of a value (transparent below the domain): the ramp's
    /// colour at the value's [`ColourScale::position`].
    #[must_use]
    pub fn colour(&self, v: f64) -> [u8; 4] {
        self.colour_index(v).map_or([0, 0, 0, 0], |k| self.lut[k])
    }

    /// The colour table's index for a value; `None` below the domain or for
    /// NaN. Looked up by value where the scale has a [`ValueIndex`] (the
    /// same index as from the position, without its logarithm).
    #[inline]
    fn colour_index(&self, v: f64) -> Option<usize> {
        match &self.by_value {
            Some(table) => (v >= self.domain.0).then(|| table.index(v)),
            None => self.lut_index(v),
        }
    }

    /// The colour table's index for a value, from its position; `None`
    /// below the domain or for NaN.
    fn lut_index(&self, v: f64) -> Option<usize> {
        self.position(v).map(lut_index_at)
    }

    /// The ramp's colour at position `t` in [0, 1] (clamped).
    #[must_use]
    pub fn colour_at(&self, t: f64) -> [u8; 4] {
        self.lut[lut_index_at(t)]
    }

    /// Where a value falls on the ramp, in [0, 1]; `None` below the domain
    /// (drawn transparent) or for NaN.
    ///
    /// ```
    /// use byrum::{ColourScale, Ramp, Scaling};
    /// let s = ColourScale::new(Ramp::Viridis, (1.0, 100.0), Scaling::Log)?;
    /// assert!((s.position(10.0).unwrap() - 0.5).abs() < 1e-12);
    /// assert!((s.value_at(0.5) - 10.0).abs() < 1e-9);
    /// assert_eq!(s.position(0.5), None);
    /// # Ok::<(), byrum::Error>(())
    /// ```
    #[must_use]
    pub fn position(&self, v: f64) -> Option<f64> {
        let (lo, hi) = self.domain;
        if v.is_nan() || v < lo {
            return None;
        }
        let t = match &self.scaling {
            Scaling::Linear => (v - lo) / (hi - lo),
            Scaling::Log => (v.ln() - self.log.0) / self.log.1,
            Scaling::Quantile(b) => {
                let k = b.partition_point(|&x| x <= v);
                if k == 0 {
                    0.0
                } else if k == b.len() {
                    1.0
                } else {
                    let (a, c) = (b[k - 1], b[k]);
                    let f = if c > a { (v - a) / (c - a) } else { 0.0 };
                    ((k - 1) as f64 + f) / (b.len() - 1).max(1) as f64
                }
            }
        };
        Some(t.clamp(0.0, 1.0))
    }

    /// The value at position `t` in [0, 1] of the ramp (the inverse of
    /// [`ColourScale::position`]), for legend ticks.
    #[must_use]
    pub fn value_at(&self, t: f64) -> f64 {
        let t = t.clamp(0.0, 1.0);
        let (lo, hi) = self.domain;
        match &self.scaling {
            Scaling::Linear => lo + t * (hi - lo),
            Scaling::Log => (lo.ln() + t * (hi.ln() - lo.ln())).exp(),
            Scaling::Quantile(b) => {
                if b.len() == 1 {
                    return b[0];
                }
                let f = t * (b.len() - 1) as f64;
                let k = (f.floor() as usize).min(b.len() - 2);
                b[k] + (f - k as f64) * (b[k + 1] - b[k])
            }
        }
    }
}

/// The density at a point (projected metres), interpolated bilinearly
/// between cell centres; 0 outside the grid.
#[must_use]
pub fn sample(surface: &DensitySurface, x: f64, y: f64) -> f64 {
    let (gx, gy) = grid_position(&surface.grid, (x, y));
    sample_at(surface, gx, gy).unwrap_or(0.0)
}

/// A projected position (metres) in `grid`'s coordinates: the column and
/// row, with cell centres at whole numbers.
#[inline]
fn grid_position(g: &MetricGrid, (x, y): (f64, f64)) -> (f64, f64) {
    ((x - g.x0) / g.dx - 0.5, (y - g.y0) / g.dy - 0.5)
}

/// The bilinear interpolation between four cell values at fractions
/// `tx` (along the row) and `ty` (up the column).
#[inline]
fn bilinear(v00: f64, v10: f64, v01: f64, v11: f64, tx: f64, ty: f64) -> f64 {
    (1.0 - ty) * ((1.0 - tx) * v00 + tx * v10) + ty * ((1.0 - tx) * v01 + tx * v11)
}

/// The density at grid position (`fx`, `fy`) ([`grid_position`]),
/// interpolated bilinearly between cell centres, with 0 beyond the last
/// centre; `None` more than a cell off the grid.
#[inline]
fn sample_at(surface: &DensitySurface, fx: f64, fy: f64) -> Option<f64> {
    let g = &surface.grid;
    if !(fx > -1.0 && fy > -1.0 && fx < g.nx as f64 && fy < g.ny as f64) {
        return None;
    }
    // floor(f) for f > -1, without a libm call (this runs once per pixel):
    // truncation is the floor from 0 up, and every f in (-1, 0) floors to -1.
    let floor = |f: f64| if f >= 0.0 { f as isize } else { -1 };
    let (c0, r0) = (floor(fx), floor(fy));
    let (tx, ty) = (fx - c0 as f64, fy - r0 as f64);
    let (nx, ny) = (g.nx as isize, g.ny as isize);
    if c0 >= 0 && r0 >= 0 && c0 + 1 < nx && r0 + 1 < ny {
        return Some(sample_inside(surface, fx, fy));
    }
    let at = |c: isize, r: isize| {
        if c < 0 || r < 0 || c >= nx || r >= ny {
            0.0
        } else {
            surface.values[(r * nx + c) as usize]
        }
    };
    Some(bilinear(
        at(c0, r0),
        at(c0 + 1, r0),
        at(c0, r0 + 1),
        at(c0 + 1, r0 + 1),
        tx,
        ty,
    ))
}

/// [`sample_at`] for a position whose four cells are all on the grid
/// (`0 ≤ fx < nx − 1`, `0 ≤ fy < ny − 1`), without the border's checks.
#[inline]
fn sample_inside(surface: &DensitySurface, fx: f64, fy: f64) -> f64 {
    let nx = surface.grid.nx;
    // Truncation is the floor here: both are at least 0.
    let (c0, r0) = (fx as usize, fy as usize);
    let (tx, ty) = (fx - c0 as f64, fy - r0 as f64);
    let k = r0 * nx + c0;
    let w = &surface.values[k..k + nx + 2];
    bilinear(w[0], w[1], w[nx], w[nx + 1], tx, ty)
}

/// `y.round() as usize` for `y` in [0, 2⁵²), without a libm call: the
/// fraction `y − trunc(y)` is exact, and halves round up (away from 0), as
/// [`f64::round`] does.
fn round_index(y: f64) -> usize {
    let k = y as usize;
    if y - k as f64 >= 0.5 { k + 1 } else { k }
}

/// The colour table's index for position `t` (clamped to [0, 1]).
fn lut_index_at(t: f64) -> usize {
    round_index(t.clamp(0.0, 1.0) * (LUT_SIZE - 1) as f64).min(LUT_SIZE - 1)
}

/// Colour indices looked up by value for a scale whose domain starts above
/// 0. Where the index steps up is found once with [`ColourScale::position`]
/// itself (for each index `k`, the least value that gets `k` or more), so
/// the lookup gives the index the position gives, the position being
/// monotone in the value. Values above 0 order as their bit patterns, which
/// [`ValueIndex::start`] buckets so that a lookup begins a fixed step or two
/// below its answer.
#[derive(Debug, Clone, PartialEq)]
struct ValueIndex {
    /// The values where the index steps up, ascending, from the domain's
    /// lower end; then [`ValueIndex::steps`] infinities.
    edges: Vec<f64>,
    /// The index from each edge on (up to the next).
    index_from: Vec<u16>,
    /// The bits of the last edge: values from there on get the top colour.
    top: u64,
    /// Bit patterns per bucket: `1 << shift`.
    shift: u32,
    /// The bucket of the domain's lower end.
    base: u64,
    /// Per bucket, the last edge at or below its first value.
    start: Vec<u16>,
    /// The most edges inside one bucket past its first value: the steps a
    /// lookup takes from the bucket's edge (the infinities ending `edges`
    /// let the steps run without a test).
    steps: usize,
}

/// At most this many buckets of bit patterns ([`ValueIndex::start`]).
const VALUE_BUCKETS: u64 = 1 << 14;

impl ValueIndex {
    fn new(scale: &ColourScale) -> Self {
        let lo = scale.domain.0;
        let index = |bits: u64| scale.lut_index(f64::from_bits(bits)).unwrap_or(0);
        let (lo_bits, end) = (lo.to_bits(), f64::INFINITY.to_bits());
        // The least value of each index, then the distinct ones as edges.
        let mut least = vec![lo_bits; LUT_SIZE];
        for k in 1..LUT_SIZE {
            // Start from the inverse's estimate, within what is known.
            let guess = scale
                .value_at((k as f64 - 0.5) / (LUT_SIZE - 1) as f64)
                .to_bits()
                .clamp(least[k - 1], end);
            least[k] = least_reaching(index, k, guess, least[k - 1], end);
        }
        let (mut edges, mut index_from) = (Vec::new(), Vec::new());
        for (k, &bits) in least.iter().enumerate() {
            if edges.last() == Some(&bits) {
                *index_from.last_mut().expect("an edge") = k as u16;
            } else {
                edges.push(bits);
                index_from.push(k as u16);
            }
        }
        let top = least[LUT_SIZE - 1];
        let mut shift = 0;
        while (top >> shift) - (lo_bits >> shift) >= VALUE_BUCKETS {
            shift += 1;
        }
        let base = lo_bits >> shift;
        let mut e = 0;
        let start: Vec<u16> = (base..=top >> shift)
            .map(|b| {
                let from = (b << shift).max(lo_bits);
                while e + 1 < edges.len() && edges[e + 1] <= from {
                    e += 1;
                }
                e as u16
            })
            .collect();
        // A bucket holds the edges after its own up to the next bucket's
        // (the last bucket: up to the last edge).
        let steps = start
            .windows(2)
            .map(|w| usize::from(w[1] - w[0]))
            .chain(start.last().map(|&e| edges.len() - 1 - usize::from(e)))
            .max()
            .unwrap_or(0);
        let mut edges: Vec<f64> = edges.into_iter().map(f64::from_bits).collect();
        edges.extend(std::iter::repeat_n(f64::INFINITY, steps));
        Self {
            edges,
            index_from,
            top,
            shift,
            base,
            start,
            steps,
        }
    }

    /// The index of `v` (at least the domain's lower end).
    #[inline]
    fn index(&self, v: f64) -> usize {
        let bits = v.to_bits();
        if bits >= self.top {
            return LUT_SIZE - 1;
        }
        let mut e = usize::from(self.start[((bits >> self.shift) - self.base) as usize]);
        // A fixed number of steps without branches: the edges past the
        // bucket, and the infinities past the last, are above `v`.
        for _ in 0..self.steps {
            e += usize::from(self.edges[e + 1] <= v);
        }
        usize::from(self.index_from[e])
    }
}

/// The least bit pattern in (`floor`, `end`] whose value `index` maps to `k`
/// or more, given that `end` does and `floor` maps below `k` unless it is
/// the domain's lower end: galloping from `guess`, then halving.
fn least_reaching(index: impl Fn(u64) -> usize, k: usize, guess: u64, floor: u64, end: u64) -> u64 {
    // A bracket (a, b] with index(a) < k ≤ index(b).
    let (mut a, mut b);
    if index(guess) >= k {
        b = guess;
        let mut step = 1;
        loop {
            if b == floor {
                return b;
            }
            let next = b.saturating_sub(step).max(floor);
            if index(next) < k {
                a = next;
                break;
            }
            b = next;
            step *= 2;
        }
    } else {
        a = guess;
        let mut step = 1;
        loop {
            let next = a.saturating_add(step).min(end);
            if index(next) >= k {
                b = next;
                break;
            }
            a = next;
            step *= 2;
        }
    }
    while b - a > 1 {
        let m = a + (b - a) / 2;
        if index(m) >= k {
            b = m;
        } else {
            a = m;
        }
    }
    b
}

/// Every [`LATTICE`]-th pixel centre of `tile` (and one row and column
/// beyond the last pixel), projected; `n` points a side. The pixels lie
/// within these points' bounding box.
fn projected_lattice(
    tile: TileId,
    size: u32,
    projection: &Projection,
) -> Result<(Vec<(f64, f64)>, usize)> {
    projected_lattices(&[tile], size, projection)
}

/// [`projected_lattice`] of several tiles, one after the other, projected
/// together with [`Projection::forward_many`] (within 1 µm of the exact
/// projection).
fn projected_lattices(
    tiles: &[TileId],
    size: u32,
    projection: &Projection,
) -> Result<(Vec<(f64, f64)>, usize)> {
    if size == 0 {
        return Err(Error::parameter("tile size", "must be at least 1 pixel"));
    }
    // Project a lattice every LATTICE pixels and interpolate bilinearly in
    // between: the projection is smooth enough that this is off by under a
    // thousandth of a pixel (0.8 mm at z12, checked in the tests).
    let n = size.div_ceil(LATTICE) as usize + 1;
    let (lon, lat): (Vec<f64>, Vec<f64>) = tiles
        .par_iter()
        .flat_map_iter(|tile| {
            let (left, _, right, top) = tile.bounds_mercator();
            let px = (right - left) / f64::from(size);
            let step = f64::from(LATTICE) * px;
            (0..n * n).map(move |k| {
                let (i, j) = ((k / n) as f64, (k % n) as f64);
                mercator_to_lonlat(left + (j * step + 0.5 * px), top - (i * step + 0.5 * px))
            })
        })
        .unzip();
    let (x, y) = projection.forward_many(&lon, &lat);
    if let Some(k) = x.iter().position(|v| v.is_nan()) {
        return Err(Error::Projection(format!(
            "({}, {}) has no finite projection",
            lon[k], lat[k]
        )));
    }
    Ok((x.into_iter().zip(y).collect(), n))
}

/// Pixels between projected lattice points ([`projected_lattice`]);
/// the ones between are interpolated bilinearly ([`paint_lattice`]).
const LATTICE: u32 = 16;

/// The box (west, south, east, north) around projected positions.
fn bounds_of(at: &[(f64, f64)]) -> (f64, f64, f64, f64) {
    at.iter().fold(
        (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ),
        |b, &(x, y)| (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y)),
    )
}

/// Whether any value of `surface` that can influence a pixel inside the
/// projected box reaches `lowest` (a cheap test before painting a tile).
fn any_visible(surface: &DensitySurface, bbox: (f64, f64, f64, f64), lowest: f64) -> bool {
    let g = &surface.grid;
    let (c0, r0) = grid_position(g, (bbox.0, bbox.1));
    let (c1, r1) = grid_position(g, (bbox.2, bbox.3));
    any_visible_at(surface, (c0, r0, c1, r1), lowest)
}

/// [`any_visible`] for a box in grid positions ([`grid_position`]).
fn any_visible_at(surface: &DensitySurface, gbox: (f64, f64, f64, f64), lowest: f64) -> bool {
    let g = &surface.grid;
    let (c0, c1) = (gbox.0.floor(), gbox.2.floor() + 1.0);
    let (r0, r1) = (gbox.1.floor(), gbox.3.floor() + 1.0);
    if c1 < 0.0 || r1 < 0.0 || c0 >= g.nx as f64 || r0 >= g.ny as f64 {
        return false;
    }
    let (c0, c1) = (c0.max(0.0) as usize, (c1 as usize).min(g.nx - 1));
    let (r0, r1) = (r0.max(0.0) as usize, (r1 as usize).min(g.ny - 1));
    (r0..=r1).any(|r| {
        surface.values[r * g.nx + c0..=r * g.nx + c1]
            .iter()
            .any(|&v| v >= lowest)
    })
}

/// The tile's pixels coloured, with positions taken from the lattice block
/// by block ([`LATTICE`]² pixels between four lattice points): a block whose
/// box no value reaching the scale's lower end can influence stays
/// transparent without sampling its pixels, as [`any_visible`] decides for
/// whole tiles. Also says whether any pixel is visible.
///
/// The lattice points are taken to the surface's grid positions
/// ([`grid_position`]) once; each pixel gets the bits that interpolating its
/// grid position between the four lattice points around it,
/// [`sample_at`] and [`ColourScale::colour`] give it, and pixels off the
/// surface stay transparent (tested against painting every pixel so). The
/// interpolation's column terms are shared by a block's rows, and a block
/// whose corners all lie a margin inside the grid's last centres samples
/// without the border's checks.
fn paint_lattice(
    surface: &DensitySurface,
    scale: &ColourScale,
    lattice: &[(f64, f64)],
    n: usize,
    size: u32,
) -> (RgbaImage, bool) {
    const L: usize = LATTICE as usize;
    // Interpolated positions stay within their block's corners' box up to
    // rounding (a few ulps of positions below 2³²): far less than this.
    const MARGIN: f64 = 1e-6;
    let mut img: RgbaImage = ImageBuffer::new(size, size);
    let side = size as usize;
    let buf: &mut [u8] = &mut img;
    let g = &surface.grid;
    let at: Vec<(f64, f64)> = lattice.iter().map(|&p| grid_position(g, p)).collect();
    let (last_col, last_row) = ((g.nx - 1) as f64 - MARGIN, (g.ny - 1) as f64 - MARGIN);
    let fraction: [f64; L] = std::array::from_fn(|k| k as f64 / f64::from(LATTICE));
    let lowest = scale.domain.0;
    let mut shown = false;
    let (mut top, mut bottom) = ([(0.0, 0.0); L], [(0.0, 0.0); L]);
    let mut values = [0.0; L];
    for bi in 0..n - 1 {
        for bj in 0..n - 1 {
            let (a, b) = (at[bi * n + bj], at[bi * n + bj + 1]);
            let (c, d) = (at[(bi + 1) * n + bj], at[(bi + 1) * n + bj + 1]);
            let gbox = bounds_of(&[a, b, c, d]);
            if !any_visible_at(surface, gbox, lowest) {
                continue;
            }
            let inside = gbox.0 >= 0.0 && gbox.1 >= 0.0 && gbox.2 < last_col && gbox.3 < last_row;
            let (r0, c0) = (bi * L, bj * L);
            let cols = L.min(side - c0);
            // The interpolation's terms that depend on the column only.
            for j in 0..cols {
                let fx = fraction[j];
                top[j] = ((1.0 - fx) * a.0 + fx * b.0, (1.0 - fx) * a.1 + fx * b.1);
                bottom[j] = ((1.0 - fx) * c.0 + fx * d.0, (1.0 - fx) * c.1 + fx * d.1);
            }
            for (i, &fy) in fraction.iter().enumerate().take(L.min(side - r0)) {
                // The row's values first, then their
                // colours: two simple loops the processor overlaps better.
                let row = values.iter_mut().zip(top.iter().zip(&bottom)).take(cols);
                let position = |t: &(f64, f64), b: &(f64, f64)| {
                    ((1.0 - fy) * t.0 + fy * b.0, (1.0 - fy) * t.1 + fy * b.1)
                };
                if inside {
                    for (value, (t, b)) in row {
                        let (x, y) = position(t, b);
                        *value = sample_inside(surface, x, y);
                    }
                } else {
                    for (value, (t, b)) in row {
                        let (x, y) = position(t, b);
                        // Off the surface nothing is known: transparent (NaN
                        // has no colour) even where 0 would be drawn.
                        *value = sample_at(surface, x, y).unwrap_or(f64::NAN);
                    }
                }
                let start = ((r0 + i) * side + c0) * 4;
                let line = &mut buf[start..start + cols * 4];
                for (px, &v) in line.chunks_exact_mut(4).zip(&values) {
                    if let Some(k) = scale.colour_index(v) {
                        px.copy_from_slice(&scale.lut[k]);
                        shown = true;
                    }
                }
            }
        }
    }
    (img, shown)
}

/// One tile of `size × size` pixels: each pixel centre is taken to the
/// surface's projection and the density there is coloured (pixels off the
/// surface's grid stay transparent).
///
/// # Errors
/// [`Error::Parameter`] for a size of 0; [`Error::Projection`] if a pixel
/// cannot be projected.
pub fn render_tile(
    surface: &DensitySurface,
    scale: &ColourScale,
    tile: TileId,
    size: u32,
    projection: &Projection,
) -> Result<RgbaImage> {
    let (lattice, n) = projected_lattice(tile, size, projection)?;
    Ok(paint_lattice(surface, scale, &lattice, n, size).0)
}

/// Where each tile set of a [`HeatmapTiles`] run went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileSetSummary {
    /// The surface's name (its time bin, or `all`).
    pub name: String,
    /// Tiles with at least one visible pixel (the others are not written).
    pub tiles: usize,
    /// `<dir>/<file>/` with `{z}/{x}/{y}.png`, if written; `<file>` is
    /// [`safe_file_name`]`(name)`, the name itself for plain names such as
    /// `21-24_winter`.
    pub xyz: Option<PathBuf>,
    /// `<dir>/<file>.mbtiles`, if written.
    pub mbtiles: Option<PathBuf>,
    /// `<dir>/<file>.pmtiles`, if written.
    pub pmtiles: Option<PathBuf>,
}

/// Writes heatmap tile pyramids of several surfaces (usually one per time
/// bin) on one colour scale: XYZ PNG folders, MBTiles 1.3 and PMTiles v3.
///
/// Tiles are rendered in parallel in batches in PMTiles (Hilbert) order; each
/// tile's pixels are projected once for all surfaces. Tiles with no visible
/// pixel are not written. Every file is written under a temporary name and
/// renamed; the same input gives the same bytes.
///
/// ```
/// use byrum::*;
/// # let dir = std::env::temp_dir().join("byrum-doc-heatmap-tiles");
/// # let _ = std::fs::remove_dir_all(&dir);
/// let proj = Projection::for_point(9.92, 57.05)?;
/// let (x, y) = proj.forward(9.9187, 57.0488)?;
/// let grid = MetricGrid::covering((x - 500.0, y - 500.0, x + 500.0, y + 500.0), 10.0)?;
/// let surface = Kde::new().bandwidth(Bandwidth::Fixed(100.0)).compute(&grid, &[x], &[y], None)?;
/// let scale = ColourScale::new(Ramp::Viridis, (0.02 * surface.max(), surface.max()), Scaling::Linear)?;
/// let tiles = [TileId::containing(9.9187, 57.0488, 12)?];
/// let written = HeatmapTiles::new(&scale, &proj)
///     .mbtiles(true)
///     .write(&[("all", &surface)], &tiles, &dir, |_| {})?;
/// assert_eq!(written[0].tiles, 1);
/// assert!(dir.join("all/12").is_dir() && dir.join("all.mbtiles").is_file());
/// // A 100 m kernel allows zoom 12 here (pixels of 20.8 m ≥ 100/8 m), not 15:
/// let deep = [TileId::containing(9.9187, 57.0488, 15)?];
/// assert!(HeatmapTiles::new(&scale, &proj).write(&[("all", &surface)], &deep, &dir, |_| {}).is_err());
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct HeatmapTiles<'a> {
    scale: &'a ColourScale,
    projection: &'a Projection,
    size: u32,
    xyz: bool,
    mbtiles: bool,
    pmtiles: bool,
    description: String,
    attribution: String,
    batch: usize,
    min_bandwidth_m: f64,
    pixels_per_bandwidth: f64,
}

/// The default smallest kernel bandwidth (quartic-equivalent radius, metres)
/// that [`HeatmapTiles`] draws: one incident is spread over a small square.
pub const MIN_TILE_BANDWIDTH_M: f64 = 50.0;

/// The default number of pixels per bandwidth at the deepest zoom allowed:
/// a pixel may be no finer than 1/8 of the bandwidth on the ground.
pub const PIXELS_PER_BANDWIDTH: f64 = 8.0;

/// The bandwidth the tile limits use: the radius of the quartic kernel with
/// the same spread (per-axis standard deviation) as the surface's kernel, so
/// all kernels compare alike (the quartic bandwidth itself; a Gaussian's σ
/// × √8).
#[must_use]
pub fn tile_bandwidth_m(surface: &DensitySurface) -> f64 {
    Kernel::Quartic.bandwidth_for_sigma(surface.bandwidth.sigma_m)
}

impl<'a> HeatmapTiles<'a> {
    /// Tiles of 256 pixels coloured by `scale`, surfaces in `projection`;
    /// XYZ folders only until [`mbtiles`](Self::mbtiles) or
    /// [`pmtiles`](Self::pmtiles) are asked for.
    #[must_use]
    pub fn new(scale: &'a ColourScale, projection: &'a Projection) -> Self {
        Self {
            scale,
            projection,
            size: 256,
            xyz: true,
            mbtiles: false,
            pmtiles: false,
            description: String::new(),
            attribution: String::new(),
            batch: 256,
            min_bandwidth_m: MIN_TILE_BANDWIDTH_M,
            pixels_per_bandwidth: PIXELS_PER_BANDWIDTH,
        }
    }

    /// The smallest bandwidth (quartic-equivalent radius in metres,
    /// [`tile_bandwidth_m`]) a surface must have to be drawn; default
    /// [`MIN_TILE_BANDWIDTH_M`]. Narrower kernels would show single
    /// incidents as sharp spots.
    #[must_use]
    pub fn min_bandwidth_m(mut self, metres: f64) -> Self {
        self.min_bandwidth_m = metres;
        self
    }

    /// Pixels per bandwidth at the deepest zoom allowed (default
    /// [`PIXELS_PER_BANDWIDTH`] = 8): see [`HeatmapTiles::max_zoom`].
    /// `f64::INFINITY` lifts the zoom limit (benchmarks; never for
    /// published tiles).
    #[must_use]
    pub fn pixels_per_bandwidth(mut self, pixels: f64) -> Self {
        self.pixels_per_bandwidth = pixels;
        self
    }

    /// The deepest zoom at which a pixel of these tiles is at least
    /// `bandwidth_m / pixels_per_bandwidth` on the ground at latitude `lat`
    /// (use the latitude farthest from the equator of the area: pixels shrink
    /// towards the poles); `None` if not even zoom 0 qualifies.
    ///
    /// ```
    /// use byrum::*;
    /// # let scale = ColourScale::new(Ramp::Viridis, (0.1, 1.0), Scaling::Linear)?;
    /// # let proj = Projection::for_point(9.92, 57.05)?;
    /// let tiles = HeatmapTiles::new(&scale, &proj);
    /// // Aalborg, 256 px: z13 pixels are 10.4 m ≥ 50/8 m, z14 pixels 5.2 m are not.
    /// assert_eq!(tiles.max_zoom(50.0, 57.05), Some(13));
    /// assert_eq!(tiles.max_zoom(150.0, 57.05), Some(12));
    /// # Ok::<(), byrum::Error>(())
    /// ```
    #[must_use]
    pub fn max_zoom(&self, bandwidth_m: f64, lat: f64) -> Option<u8> {
        let lat = lat.abs().min(MAX_LATITUDE);
        let finest = bandwidth_m / self.pixels_per_bandwidth;
        (0..=MAX_ZOOM)
            .rev()
            .find(|&z| metres_per_pixel(lat, z, self.size.max(1)) >= finest)
    }

    /// Refuses surfaces narrower than the minimum bandwidth and tiles deeper
    /// than the maximum zoom.
    fn check_limits(&self, surfaces: &[(&str, &DensitySurface)], tiles: &[TileId]) -> Result<()> {
        let min_ok = self.min_bandwidth_m.is_finite() && self.min_bandwidth_m >= 0.0;
        let pixels_ok = self.pixels_per_bandwidth > 0.0;
        if !(min_ok && pixels_ok) {
            return Err(Error::parameter(
                "tile limits",
                "the minimum bandwidth must be metres ≥ 0 and the pixels per bandwidth above 0",
            ));
        }
        let mut narrowest = f64::INFINITY;
        for (name, s) in surfaces {
            let b = tile_bandwidth_m(s);
            if b.is_nan() || b < self.min_bandwidth_m {
                return Err(Error::parameter(
                    "tile bandwidth",
                    format!(
                        "surface {name:?} has a kernel bandwidth of {b:.1} m, below the {:.0} m tiles need so that single incidents cannot be read off; compute the density with a bandwidth of {:.0} m or more",
                        self.min_bandwidth_m, self.min_bandwidth_m
                    ),
                ));
            }
            narrowest = narrowest.min(b);
        }
        if surfaces.is_empty() {
            return Ok(());
        }
        for t in tiles {
            let (_, s, _, n) = t.bounds_lonlat();
            let lat = s.abs().max(n.abs());
            let max = self.max_zoom(narrowest, lat);
            if max.is_none_or(|m| t.z > m) {
                return Err(Error::parameter(
                    "tile zoom",
                    format!(
                        "tile {}/{}/{} is deeper than zoom {}, the deepest whose pixels ({:.1} m) are at least 1/{} of the {narrowest:.0} m bandwidth; leave out the deeper zooms (HeatmapTiles::max_zoom)",
                        t.z,
                        t.x,
                        t.y,
                        max.map_or_else(|| "0".to_owned(), |m| m.to_string()),
                        metres_per_pixel(lat, max.unwrap_or(0), self.size.max(1)),
                        self.pixels_per_bandwidth
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Tile size in pixels (256 or 512 usually).
    #[must_use]
    pub fn size(mut self, pixels: u32) -> Self {
        self.size = pixels;
        self
    }

    /// Whether to write `<dir>/<name>/{z}/{x}/{y}.png` (default yes).
    #[must_use]
    pub fn xyz(mut self, on: bool) -> Self {
        self.xyz = on;
        self
    }

    /// Whether to write `<dir>/<name>.mbtiles` (default no).
    #[must_use]
    pub fn mbtiles(mut self, on: bool) -> Self {
        self.mbtiles = on;
        self
    }

    /// Whether to write `<dir>/<name>.pmtiles` (default no).
    #[must_use]
    pub fn pmtiles(mut self, on: bool) -> Self {
        self.pmtiles = on;
        self
    }

    /// The archives' description (what the colours mean).
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// The archives' attribution.
    #[must_use]
    pub fn attribution(mut self, text: impl Into<String>) -> Self {
        self.attribution = text.into();
        self
    }

    /// Renders and writes `tiles` of every named surface into `dir`, calling
    /// `progress` with the number of tiles finished after each batch.
    ///
    /// # Errors
    /// [`Error::Parameter`] for a tile size of 0 or no tiles; for a surface
    /// whose bandwidth is below [`HeatmapTiles::min_bandwidth_m`] or a tile
    /// deeper than [`HeatmapTiles::max_zoom`] allows (nothing is written
    /// then); [`Error::Projection`] if a pixel cannot be projected;
    /// [`Error::Io`] or [`Error::TileArchive`] if a file cannot be written.
    /// Names are made safe with [`safe_file_name`], never refused.
    pub fn write(
        &self,
        surfaces: &[(&str, &DensitySurface)],
        tiles: &[TileId],
        dir: &Path,
        progress: impl Fn(usize) + Sync,
    ) -> Result<Vec<TileSetSummary>> {
        if self.size == 0 {
            return Err(Error::parameter("tile size", "must be at least 1 pixel"));
        }
        self.check_limits(surfaces, tiles)?;
        // Names come from data and options (time bins, seasons): one safe
        // file name each, so no tile set can leave `dir`.
        let files: Vec<String> = surfaces.iter().map(|(n, _)| safe_file_name(n)).collect();
        let mut order = tiles.to_vec();
        order.sort_by_key(|&t| (pmtiles_order(t), t));
        order.dedup();
        let mut archives = Vec::with_capacity(surfaces.len());
        let mut info = TileSetInfo::covering("", &order)?;
        info.description.clone_from(&self.description);
        info.attribution.clone_from(&self.attribution);
        for ((name, _), file) in surfaces.iter().zip(&files) {
            info.name = format!("byrum density {name}");
            let mb = if self.mbtiles {
                Some(MbTilesWriter::create(
                    &dir.join(format!("{file}.mbtiles")),
                    &info,
                )?)
            } else {
                None
            };
            let pm = if self.pmtiles {
                Some(PmTilesWriter::create(
                    &dir.join(format!("{file}.pmtiles")),
                    &info,
                )?)
            } else {
                None
            };
            archives.push((mb, pm));
        }
        let mut counts = vec![0usize; surfaces.len()];
        let mut finished = 0;
        for batch in order.chunks(self.batch.max(1)) {
            let (lattices, n) = projected_lattices(batch, self.size, self.projection)?;
            let rendered = batch
                .par_iter()
                .zip(lattices.par_chunks(n * n))
                .map(|(&t, lattice)| self.render_all(surfaces, &files, t, lattice, n, dir))
                .collect::<Result<Vec<Vec<Option<Vec<u8>>>>>>()?;
            for (&t, pngs) in batch.iter().zip(&rendered) {
                for (k, png) in pngs.iter().enumerate() {
                    let Some(png) = png else { continue };
                    counts[k] += 1;
                    let (mb, pm) = &mut archives[k];
                    if let Some(mb) = mb {
                        mb.add(t, png)?;
                    }
                    if let Some(pm) = pm {
                        pm.add(t, png)?;
                    }
                }
            }
            finished += batch.len();
            progress(finished);
        }
        let mut out = Vec::with_capacity(surfaces.len());
        for ((((name, _), file), (mb, pm)), n) in
            surfaces.iter().zip(&files).zip(archives).zip(counts)
        {
            out.push(TileSetSummary {
                name: (*name).to_owned(),
                tiles: n,
                xyz: self.xyz.then(|| dir.join(file)),
                mbtiles: mb
                    .map(MbTilesWriter::finish)
                    .transpose()?
                    .map(|_| dir.join(format!("{file}.mbtiles"))),
                pmtiles: pm
                    .map(PmTilesWriter::finish)
                    .transpose()?
                    .map(|_| dir.join(format!("{file}.pmtiles"))),
            });
        }
        Ok(out)
    }

    /// One tile of every surface as PNG bytes (`None` where nothing shows);
    /// XYZ files are written here, in parallel.
    fn render_all(
        &self,
        surfaces: &[(&str, &DensitySurface)],
        files: &[String],
        t: TileId,
        lattice: &[(f64, f64)],
        n: usize,
        dir: &Path,
    ) -> Result<Vec<Option<Vec<u8>>>> {
        // Which surfaces could show anything is decided on the lattice's
        // box (it holds every pixel), before the pixels are interpolated.
        let bbox = bounds_of(lattice);
        let visible: Vec<bool> = surfaces
            .iter()
            .map(|(_, s)| any_visible(s, bbox, self.scale.domain.0))
            .collect();
        surfaces
            .iter()
            .zip(files)
            .zip(visible)
            .map(|(((_, s), file), visible)| {
                if !visible {
                    return Ok(None);
                }
                let (img, shown) = paint_lattice(s, self.scale, lattice, n, self.size);
                if !shown {
                    return Ok(None);
                }
                let png = encode_png(&img)?;
                if self.xyz {
                    let path = dir
                        .join(file)
                        .join(t.z.to_string())
                        .join(t.x.to_string())
                        .join(format!("{}.png", t.y));
                    write_atomic(&path, &png)?;
                }
                Ok(Some(png))
            })
            .collect()
    }
}

/// Ground metres per pixel at a latitude and zoom (Web Mercator), for scale bars.
#[must_use]
pub fn metres_per_pixel(lat: f64, zoom: u8, size: u32) -> f64 {
    2.0 * std::f64::consts::PI * EARTH_RADIUS_M * lat.to_radians().cos()
        / ((1u64 << zoom) as f64 * f64::from(size))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // The every-pixel reference the library's block painting is tested against.
    use image::Rgba;

    /// The position of pixel (`row`, `col`), interpolated bilinearly between
    /// the four lattice points around it.
    fn lattice_point(lattice: &[(f64, f64)], n: usize, row: u32, col: u32) -> (f64, f64) {
        let (i, fy) = (
            (row / LATTICE) as usize,
            f64::from(row % LATTICE) / f64::from(LATTICE),
        );
        let (j, fx) = (
            (col / LATTICE) as usize,
            f64::from(col % LATTICE) / f64::from(LATTICE),
        );
        let (a, b) = (lattice[i * n + j], lattice[i * n + j + 1]);
        let (c, d) = (lattice[(i + 1) * n + j], lattice[(i + 1) * n + j + 1]);
        let lerp = |p: f64, q: f64, r: f64, s: f64| {
            (1.0 - fy) * ((1.0 - fx) * p + fx * q) + fy * ((1.0 - fx) * r + fx * s)
        };
        (lerp(a.0, b.0, c.0, d.0), lerp(a.1, b.1, c.1, d.1))
    }

    /// The projected position (metres) of every pixel centre of a tile, row by
    /// row from the north-west: the same for every surface drawn on that tile.
    ///
    /// # Errors
    /// [`Error::Parameter`] for a size of 0; [`Error::Projection`] if a pixel
    /// cannot be projected.
    fn pixel_positions(
        tile: TileId,
        size: u32,
        projection: &Projection,
    ) -> Result<Vec<(f64, f64)>> {
        let (lattice, n) = projected_lattice(tile, size, projection)?;
        Ok(interpolate_lattice(&lattice, n, size))
    }

    /// The positions of all pixels, interpolated bilinearly in the lattice.
    fn interpolate_lattice(lattice: &[(f64, f64)], n: usize, size: u32) -> Vec<(f64, f64)> {
        let mut out = Vec::with_capacity((size * size) as usize);
        for row in 0..size {
            for col in 0..size {
                out.push(lattice_point(lattice, n, row, col));
            }
        }
        out
    }

    /// Every pixel coloured at its position (projected metres).
    fn paint(
        surface: &DensitySurface,
        scale: &ColourScale,
        at: &[(f64, f64)],
        size: u32,
    ) -> RgbaImage {
        let g = &surface.grid;
        let on_grid: Vec<_> = at.iter().map(|&p| grid_position(g, p)).collect();
        paint_on_grid(surface, scale, &on_grid, size)
    }

    /// Every pixel coloured at its grid position ([`grid_position`]).
    fn paint_on_grid(
        surface: &DensitySurface,
        scale: &ColourScale,
        at: &[(f64, f64)],
        size: u32,
    ) -> RgbaImage {
        let mut img: RgbaImage = ImageBuffer::new(size, size);
        let g = &surface.grid;
        let tolerance = 1e-9 * surface.max();
        for (pixel, &(sx, sy)) in img.pixels_mut().zip(at) {
            // Off the surface: transparent.
            if sx > -1.0 && sy > -1.0 && sx < g.nx as f64 && sy < g.ny as f64 {
                let (x, y) = (g.x0 + (sx + 0.5) * g.dx, g.y0 + (sy + 0.5) * g.dy);
                let v = sample_at(surface, sx, sy).unwrap();
                // The grid position's sample is the projected position's
                // up to rounding.
                assert!((v - sample(surface, x, y)).abs() <= tolerance);
                *pixel = Rgba(colour_by_position(scale, v));
            }
        }
        img
    }

    /// A value's colour from its position on the scale (with the logarithm
    /// or search per value that [`ValueIndex`] saves).
    fn colour_by_position(scale: &ColourScale, v: f64) -> [u8; 4] {
        scale.lut_index(v).map_or([0, 0, 0, 0], |k| scale.lut[k])
    }

    /// Looking the colour index up by value gives the index the position
    /// gives: at and around every threshold, and on values spread over the
    /// domain and beyond, for log and quantile scales over ordinary, narrow
    /// (thresholds a few bit patterns apart, or shared), vast and odd
    /// domains.
    #[test]
    fn colour_by_value_equals_colour_by_position() {
        let scales = [
            (0.02, 1.0, Scaling::Log),
            (3.7e-9, 2.2e-7, Scaling::Log),
            (1.0, 1.0 + 1e-9, Scaling::Log),
            (1.0, 1.0 + 1e-13, Scaling::Log),
            (1e-300, 1e300, Scaling::Log),
            (f64::MIN_POSITIVE / 8.0, 1.0, Scaling::Log),
            (
                0.5,
                10.0,
                Scaling::Quantile(vec![0.5, 0.7, 0.7, 2.0, 9.0, 10.0]),
            ),
            // Breaks beyond the domain: the top colour starts above it.
            (1.0, 5.0, Scaling::Quantile(vec![0.25, 2.0, 8.0])),
            (2.0, 3.0, Scaling::Quantile(vec![2.5])),
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut uniform = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for (lo, hi, scaling) in scales {
            let scale = ColourScale::new(Ramp::Viridis, (lo, hi), scaling.clone()).unwrap();
            let table = scale.by_value.as_ref().unwrap();
            let check = |v: f64| {
                assert_eq!(
                    scale.colour(v),
                    colour_by_position(&scale, v),
                    "{lo} {hi} {scaling:?}: {v:e}"
                );
                if v >= lo {
                    assert_eq!(
                        Some(table.index(v)),
                        scale.lut_index(v),
                        "{lo} {hi} {scaling:?}: {v:e}"
                    );
                }
            };
            // Measured: 1 step for the log scales (2 for the subnormal
            // one), 4 for the quantile scale with a repeated break.
            assert!(table.steps <= 4, "{lo} {hi}: {}", table.steps);
            for &t in &table.edges[..table.index_from.len()] {
                for d in -3..=3 {
                    check(f64::from_bits(t.to_bits().saturating_add_signed(d)));
                }
            }
            // Log-uniform from a quarter of the lower end to 4× the upper.
            let (a, b) = ((lo / 4.0).ln(), (hi * 4.0).ln());
            for _ in 0..100_000 {
                check((a + uniform() * (b - a)).exp());
            }
            for v in [0.0, -1.0, f64::NAN, f64::INFINITY, lo, hi, f64::MAX] {
                check(v);
            }
            // Every index has its own edge where there is room for it.
            assert!(
                table.index_from.len() == LUT_SIZE
                    || hi - lo < 1e-10
                    || matches!(scaling, Scaling::Quantile(_)),
                "{lo} {hi}: {}",
                table.index_from.len()
            );
        }
        let linear = ColourScale::new(Ramp::Viridis, (0.5, 10.0), Scaling::Linear).unwrap();
        assert!(linear.by_value.is_none());
    }

    /// The interpolated pixel positions are the exact projections to under a
    /// thousandth of a pixel, at coarse and fine zooms, 256 and 512 px.
    #[test]
    fn lattice_positions_match_exact_projection() {
        let p = Projection::etrs89_utm32();
        for (z, size) in [(10u8, 256u32), (12, 512), (17, 256)] {
            let t = TileId::containing(9.9187, 57.0488, z).unwrap();
            let at = pixel_positions(t, size, &p).unwrap();
            let (left, _, right, top) = t.bounds_mercator();
            let px = (right - left) / f64::from(size);
            let mut worst = 0.0f64;
            for row in (0..size).step_by(7) {
                for col in (0..size).step_by(5) {
                    let (lon, lat) = mercator_to_lonlat(
                        left + (f64::from(col) + 0.5) * px,
                        top - (f64::from(row) + 0.5) * px,
                    );
                    let (x, y) = p.forward(lon, lat).unwrap();
                    let (ix, iy) = at[(row * size + col) as usize];
                    worst = worst.max((x - ix).hypot(y - iy));
                }
            }
            // Measured: 5.4 cm of a 153 m (Mercator) pixel at z10, 0.8 mm at
            // z12 (512 px), 3 µm at z17.
            assert!(worst < 1e-3 * px, "zoom {z}: {worst} m");
        }
    }

    /// `sample` and `round_index` (written without libm calls) give the
    /// same bits as the textbook forms with `floor` and `round`, on and
    /// around cell edges, halves and the grid's borders.
    #[test]
    fn per_pixel_arithmetic_equals_floor_and_round() {
        for y in [
            0.0,
            0.5,
            1.5,
            2.5,
            0.499_999_999_999_999_94,
            4094.5,
            4095.0,
            17.25,
            3.75,
        ] {
            assert_eq!(round_index(y), y.round() as usize, "{y}");
        }
        let grid = crate::grid::MetricGrid::covering((0.0, 0.0, 70.0, 50.0), 10.0).unwrap();
        let mut s = crate::kde::Kde::new()
            .bandwidth(crate::kde::Bandwidth::Fixed(20.0))
            .compute(&grid, &[30.0], &[20.0], None)
            .unwrap();
        for (i, v) in s.values.iter_mut().enumerate() {
            *v = (i * 7 % 11) as f64 + 0.25;
        }
        let g = &s.grid;
        let reference = |x: f64, y: f64| {
            let fx = (x - g.x0) / g.dx - 0.5;
            let fy = (y - g.y0) / g.dy - 0.5;
            if !(fx > -1.0 && fy > -1.0 && fx < g.nx as f64 && fy < g.ny as f64) {
                return 0.0;
            }
            let (c0, r0) = (fx.floor(), fy.floor());
            let (tx, ty) = (fx - c0, fy - r0);
            let at = |c: f64, r: f64| {
                if c < 0.0 || r < 0.0 || c >= g.nx as f64 || r >= g.ny as f64 {
                    0.0
                } else {
                    s.values[r as usize * g.nx + c as usize]
                }
            };
            (1.0 - ty) * ((1.0 - tx) * at(c0, r0) + tx * at(c0 + 1.0, r0))
                + ty * ((1.0 - tx) * at(c0, r0 + 1.0) + tx * at(c0 + 1.0, r0 + 1.0))
        };
        let mut inside = 0;
        for i in -30..=110 {
            for j in -30..=90 {
                let (x, y) = (
                    g.x0 + f64::from(i) * 0.7 - 1e-12,
                    g.y0 + f64::from(j) * 0.65,
                );
                assert_eq!(
                    sample(&s, x, y).to_bits(),
                    reference(x, y).to_bits(),
                    "{x} {y}"
                );
                inside += usize::from(reference(x, y) > 0.0);
            }
        }
        assert!(inside > 5_000, "{inside}");
        let scale = ColourScale::new(Ramp::Viridis, (0.3, 10.0), Scaling::Log).unwrap();
        for k in 0..2_000 {
            let v = 0.3 + f64::from(k) * 0.0051;
            let t = ((v.ln() - 0.3f64.ln()) / (10f64.ln() - 0.3f64.ln())).clamp(0.0, 1.0);
            assert_eq!(scale.position(v), Some(t));
        }
    }

    /// Painting block by block, skipping blocks nothing can show in, gives
    /// the pixels of painting every pixel, on tiles the surface's edge crosses.
    #[test]
    fn block_painting_equals_painting_every_pixel() {
        let p = Projection::etrs89_utm32();
        let (x, y) = p.forward(9.9187, 57.0488).unwrap();
        let grid =
            crate::grid::MetricGrid::covering((x - 400.0, y - 300.0, x + 300.0, y + 400.0), 10.0)
                .unwrap();
        let s = crate::kde::Kde::new()
            .bandwidth(crate::kde::Bandwidth::Fixed(60.0))
            .compute(
                &grid,
                &[x, x + 150.0, x - 200.0],
                &[y, y - 80.0, y + 210.0],
                None,
            )
            .unwrap();
        let tiles = crate::tile::tiles_touching(
            &geo::MultiPolygon(vec![
                geo::Rect::new((9.905, 57.044), (9.93, 57.054)).to_polygon(),
            ]),
            14..=17,
        )
        .unwrap();
        let mut partial = 0;
        for (lowest, scaling) in [
            (0.05, Scaling::Linear),
            (0.05, Scaling::Log),
            // From 0: zero density is drawn, off the surface is not.
            (0.0, Scaling::Linear),
        ] {
            let scale =
                ColourScale::new(Ramp::Viridis, (lowest * s.max(), s.max()), scaling).unwrap();
            for &t in &tiles {
                for size in [256, 200] {
                    let (lattice, n) = projected_lattice(t, size, &p).unwrap();
                    let on_grid: Vec<_> =
                        lattice.iter().map(|&q| grid_position(&s.grid, q)).collect();
                    let at = interpolate_lattice(&on_grid, n, size);
                    let every = paint_on_grid(&s, &scale, &at, size);
                    let (blocks, shown) = paint_lattice(&s, &scale, &lattice, n, size);
                    assert_eq!(shown, blocks.pixels().any(|px| px[3] > 0));
                    assert!(every == blocks, "{t:?} {size}");
                    let shown = every.pixels().filter(|px| px[3] > 0).count();
                    partial += usize::from(shown > 0 && shown < (size * size) as usize);
                }
            }
        }
        assert!(partial > 10, "{partial}");
    }

    #[test]
    fn visibility_test_agrees_with_painting() {
        let p = Projection::etrs89_utm32();
        let (x, y) = p.forward(9.9187, 57.0488).unwrap();
        let grid =
            crate::grid::MetricGrid::covering((x - 300.0, y - 300.0, x + 300.0, y + 300.0), 10.0)
                .unwrap();
        let s = crate::kde::Kde::new()
            .bandwidth(crate::kde::Bandwidth::Fixed(80.0))
            .compute(&grid, &[x], &[y], None)
            .unwrap();
        let scale =
            ColourScale::new(Ramp::Viridis, (0.02 * s.max(), s.max()), Scaling::Linear).unwrap();
        let tiles = crate::tile::tiles_touching(
            &geo::MultiPolygon(vec![
                geo::Rect::new((9.90, 57.04), (9.94, 57.06)).to_polygon(),
            ]),
            15..=17,
        )
        .unwrap();
        let mut shown = 0;
        for t in tiles {
            let at = pixel_positions(t, 256, &p).unwrap();
            let bbox = bounds_of(&at);
            let painted = paint(&s, &scale, &at, 256).pixels().any(|px| px[3] > 0);
            // Never skips a tile with something to show.
            if painted {
                assert!(any_visible(&s, bbox, scale.domain().0), "{t:?}");
                shown += 1;
            }
        }
        assert!(shown > 3);
    }
}
