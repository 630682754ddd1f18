//! Kernel density on a metric raster: kernels, bandwidth selectors, edge correction.
//!
//! A [`Kde`] turns points in projected metres (optionally weighted) into a
//! [`DensitySurface`] on a [`MetricGrid`]: incidents per km², per km² per hour
//! of exposure, or expected incidents per cell.
//!
//! # How it is computed
//!
//! 1. **Binning.** Every point's weight goes onto a copy of the grid padded by
//!    the kernel's support plus one cell on every side, so points just outside
//!    the grid still add the density they should inside it. [`Binning::Linear`]
//!    (the default) shares the weight between the four nearest cell centres
//!    (bilinear weights); [`Binning::Simple`] gives it to the cell holding it.
//! 2. **Convolution** with the kernel sampled at cell-centre offsets
//!    (`dx ≠ dy` allowed), scaled so that the stencil's sum × cell area is 1:
//!    the surface's mass (sum × cell area) therefore equals the summed weight
//!    exactly for points farther than one bandwidth from the grid's edge.
//!    Small stencils are applied directly; large ones by FFT (real FFTs of
//!    sizes with factors 2, 3, 5, zero-padded so nothing wraps around),
//!    rows and columns in parallel. [`Method::Exact`] instead adds the
//!    analytic kernel of every point to every cell centre within its support
//!    (`O(n · r²)`; a reference, and exact at the cell centres).
//! 3. **Edge correction** (optional): divide by the kernel mass inside the study
//!    area, i.e. the same stencil convolved with the mask of cells whose centre
//!    lies in the area; cells outside the area are 0.
//! 4. **Units** ([`Units`]).
//!
//! The grid's row 0 is the southernmost (the [`MetricGrid`] indexing).

use std::str::FromStr;
use std::sync::Arc;

use geo::MultiPolygon;
use rayon::prelude::*;
use realfft::num_complex::Complex;
use realfft::{ComplexToReal, FftError, RealFftPlanner, RealToComplex};

use crate::error::{Error, Result};
use crate::grid::MetricGrid;

/// A kernel, as a normalised 2-D density: it integrates to 1 over the plane.
///
/// With `r` the bandwidth (the support radius) and `u = d / r`:
///
/// | kernel | K(d) for d < r | per-axis variance |
/// |---|---|---|
/// | [`Quartic`](Kernel::Quartic) (default) | 3/(πr²)·(1−u²)² | r²/8 |
/// | [`Epanechnikov`](Kernel::Epanechnikov) | 2/(πr²)·(1−u²) | r²/6 |
/// | [`Triangular`](Kernel::Triangular) | 3/(πr²)·(1−u) | 3r²/20 |
/// | [`Uniform`](Kernel::Uniform) | 1/(πr²) | r²/4 |
/// | [`Gaussian`](Kernel::Gaussian) (bandwidth = σ) | 1/(2πσ²)·exp(−d²/2σ²) | σ² |
///
/// The finite kernels are 0 for `d ≥ r`. The Gaussian is evaluated out to 4σ
/// ([`Kernel::support`]); the raster stencil is renormalised so its mass is
/// still exactly 1 (the tail beyond 4σ holds e⁻⁸ ≈ 3.4·10⁻⁴ of the mass).
///
/// ```
/// use byrum::Kernel;
/// let k: Kernel = "quartic".parse()?;
/// assert_eq!(k, Kernel::Quartic);
/// let centre = k.value(0.0, 150.0);
/// assert!((centre - 3.0 / (std::f64::consts::PI * 150.0 * 150.0)).abs() < 1e-15);
/// assert_eq!(k.value(150.0, 150.0), 0.0);
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Kernel {
    /// Quartic (biweight), the ArcGIS and QGIS default.
    #[default]
    Quartic,
    /// Epanechnikov (parabolic).
    Epanechnikov,
    /// Gaussian with σ = the bandwidth.
    Gaussian,
    /// Triangular (cone).
    Triangular,
    /// Uniform (disc).
    Uniform,
}

/// Where the Gaussian is cut off, in σ.
const GAUSSIAN_TRUNCATE: f64 = 4.0;

impl Kernel {
    /// Every kernel.
    pub const ALL: [Kernel; 5] = [
        Kernel::Quartic,
        Kernel::Epanechnikov,
        Kernel::Gaussian,
        Kernel::Triangular,
        Kernel::Uniform,
    ];

    /// The density at distance `d` (m) for bandwidth `h` (m), per m².
    #[must_use]
    pub fn value(self, d: f64, h: f64) -> f64 {
        use std::f64::consts::PI;
        let d = d.abs();
        if self == Kernel::Gaussian {
            return (-(d * d) / (2.0 * h * h)).exp() / (2.0 * PI * h * h);
        }
        if d >= h {
            return 0.0;
        }
        let u = d / h;
        let a = PI * h * h;
        match self {
            Kernel::Quartic => 3.0 / a * (1.0 - u * u).powi(2),
            Kernel::Epanechnikov => 2.0 / a * (1.0 - u * u),
            Kernel::Triangular => 3.0 / a * (1.0 - u),
            Kernel::Uniform => 1.0 / a,
            Kernel::Gaussian => unreachable!("handled above"),
        }
    }

    /// The radius (m) beyond which the kernel is taken as 0: `h`, or 4σ for the Gaussian.
    #[must_use]
    pub fn support(self, h: f64) -> f64 {
        if self == Kernel::Gaussian {
            GAUSSIAN_TRUNCATE * h
        } else {
            h
        }
    }

    /// The variance along one axis in units of h²: 1/8 (quartic), 1/6
    /// (Epanechnikov), 3/20 (triangular), 1/4 (uniform), 1 (Gaussian).
    ///
    /// For a radial density, `E[x²] = E[d²]/2`, and
    /// `E[d²] = ∫₀ʳ d²·K(d)·2πd dd`; e.g. quartic: `6r²∫₀¹ u³(1−u²)² du = r²/4`.
    #[must_use]
    pub fn axis_variance(self) -> f64 {
        match self {
            Kernel::Quartic => 1.0 / 8.0,
            Kernel::Epanechnikov => 1.0 / 6.0,
            Kernel::Gaussian => 1.0,
            Kernel::Triangular => 3.0 / 20.0,
            Kernel::Uniform => 1.0 / 4.0,
        }
    }

    /// The bandwidth of this kernel with the same per-axis variance as a
    /// Gaussian of standard deviation `sigma` (quartic: `σ·√8`).
    #[must_use]
    pub fn bandwidth_for_sigma(self, sigma: f64) -> f64 {
        sigma / self.axis_variance().sqrt()
    }

    /// The per-axis standard deviation (m) of this kernel with bandwidth `h`.
    #[must_use]
    pub fn gaussian_sigma(self, h: f64) -> f64 {
        h * self.axis_variance().sqrt()
    }

    /// The name used on the command line and in layer parameters.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Kernel::Quartic => "quartic",
            Kernel::Epanechnikov => "epanechnikov",
            Kernel::Gaussian => "gaussian",
            Kernel::Triangular => "triangular",
            Kernel::Uniform => "uniform",
        }
    }
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kernel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let l = s.trim().to_ascii_lowercase();
        Ok(match l.as_str() {
            "quartic" | "biweight" => Kernel::Quartic,
            "epanechnikov" | "parabolic" => Kernel::Epanechnikov,
            "gaussian" | "normal" => Kernel::Gaussian,
            "triangular" | "triangle" => Kernel::Triangular,
            "uniform" | "disc" | "disk" => Kernel::Uniform,
            _ => {
                return Err(Error::parameter(
                    "KDE kernel",
                    format!("{s:?}: use quartic, epanechnikov, gaussian, triangular or uniform"),
                ));
            }
        })
    }
}

/// How the bandwidth is chosen.
///
/// The selectors estimate a Gaussian σ (or, for ArcGIS, a quartic radius) and
/// convert it to the chosen kernel by equal per-axis variance
/// ([`Kernel::bandwidth_for_sigma`]), so all kernels smooth alike.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Bandwidth {
    /// A fixed bandwidth in metres (the radius; σ for the Gaussian).
    Fixed(f64),
    /// ArcGIS Pro's default search radius ([`arcgis_bandwidth`]), a quartic
    /// radius, converted to other kernels by equal variance.
    #[default]
    ArcGis,
    /// Scott's rule in 2-D ([`scott_sigma`]).
    Scott,
    /// Maximum leave-one-out likelihood on the grid ([`likelihood_cv_sigma`]).
    LikelihoodCv,
}

impl Bandwidth {
    /// The rule's name as recorded in layer parameters (`fixed`, `arcgis`, `scott`, `likelihood_cv`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Bandwidth::Fixed(_) => "fixed",
            Bandwidth::ArcGis => "arcgis",
            Bandwidth::Scott => "scott",
            Bandwidth::LikelihoodCv => "likelihood_cv",
        }
    }
}

impl FromStr for Bandwidth {
    type Err = Error;
    /// `arcgis`, `scott`, `lcv` / `likelihood_cv`, or a number of metres.
    fn from_str(s: &str) -> Result<Self> {
        let l = s.trim().to_ascii_lowercase();
        match l.trim_end_matches('m') {
            "arcgis" => Ok(Bandwidth::ArcGis),
            "scott" => Ok(Bandwidth::Scott),
            "lcv" | "likelihood_cv" | "likelihood-cv" => Ok(Bandwidth::LikelihoodCv),
            v => match v.trim().parse::<f64>() {
                Ok(m) if m.is_finite() && m > 0.0 => Ok(Bandwidth::Fixed(m)),
                _ => Err(Error::parameter(
                    "KDE bandwidth",
                    format!("{s:?}: use metres (e.g. 150), arcgis, scott or lcv"),
                )),
            },
        }
    }
}

/// The bandwidth a [`Kde`] used, and how it was chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandwidthChoice {
    /// The kernel's bandwidth in metres (radius; σ for the Gaussian).
    pub metres: f64,
    /// The rule that chose it.
    pub rule: Bandwidth,
    /// The per-axis standard deviation of the kernel (m), the common scale of all kernels.
    pub sigma_m: f64,
}

/// How points are put onto the grid before convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Binning {
    /// Each weight shared between the four nearest cell centres (bilinear).
    #[default]
    Linear,
    /// Each weight given to the cell holding the point.
    Simple,
}

impl Binning {
    /// `linear` or `simple`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Binning::Linear => "linear",
            Binning::Simple => "simple",
        }
    }
}

/// How the density is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Method {
    /// Binned; direct convolution for small stencils, FFT for large ones.
    #[default]
    Auto,
    /// Binned, direct convolution.
    Direct,
    /// Binned, FFT convolution.
    Fft,
    /// No binning: every point's analytic kernel added to the cell centres within its support.
    Exact,
}

impl Method {
    /// `auto`, `direct`, `fft` or `exact`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Direct => "direct",
            Method::Fft => "fft",
            Method::Exact => "exact",
        }
    }
}

/// The units of a [`DensitySurface`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Units {
    /// Incidents (summed weights) per km².
    PerKm2,
    /// Incidents per km² per hour of exposure (the hours the period or time
    /// bin covers). In [`Kde::compute_bins`] each bin uses its own hours.
    PerKm2PerHour {
        /// Hours of exposure.
        exposure_hours: f64,
    },
    /// Expected incidents per cell (density × cell area); the values sum to the mass.
    ExpectedCount,
}

impl Units {
    /// `incidents_per_km2`, `incidents_per_km2_per_hour` or `incidents_per_cell`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Units::PerKm2 => "incidents_per_km2",
            Units::PerKm2PerHour { .. } => "incidents_per_km2_per_hour",
            Units::ExpectedCount => "incidents_per_cell",
        }
    }

    /// The factor from incidents per m² to these units (0 for zero exposure).
    fn per_m2_factor(self, cell_area: f64) -> f64 {
        match self {
            Units::PerKm2 => 1e6,
            Units::PerKm2PerHour { exposure_hours } if exposure_hours > 0.0 => 1e6 / exposure_hours,
            Units::PerKm2PerHour { .. } => 0.0,
            Units::ExpectedCount => cell_area,
        }
    }

    fn check(self) -> Result<()> {
        if let Units::PerKm2PerHour { exposure_hours } = self
            && !(exposure_hours.is_finite() && exposure_hours > 0.0)
        {
            return Err(Error::parameter(
                "KDE exposure hours",
                format!("{exposure_hours}: must be positive hours"),
            ));
        }
        Ok(())
    }
}

/// A density raster and the parameters that made it.
#[derive(Debug, Clone)]
pub struct DensitySurface {
    /// The grid (projected metres).
    pub grid: MetricGrid,
    /// One value per cell, row-major, row 0 south (the grid's indexing), in [`Self::units`].
    pub values: Vec<f64>,
    /// The kernel.
    pub kernel: Kernel,
    /// The bandwidth and how it was chosen.
    pub bandwidth: BandwidthChoice,
    /// The units of `values`.
    pub units: Units,
    /// The binning (irrelevant for [`Method::Exact`]).
    pub binning: Binning,
    /// The method used ([`Method::Direct`], [`Method::Fft`] or [`Method::Exact`]).
    pub method: Method,
    /// Whether the density was divided by the kernel mass inside the study area.
    pub edge_corrected: bool,
    /// The time bin's label, if any.
    pub label: Option<String>,
    /// Points used.
    pub points: usize,
    /// Points outside the grid. They still add density to cells within one
    /// support of them; farther ones add nothing.
    pub points_outside: usize,
    /// The summed weight of all points.
    pub total_weight: f64,
}

impl DensitySurface {
    /// The surface's mass in incidents: the integral of the density over the grid
    /// (sum × cell area, in incidents whatever the units). It equals
    /// [`Self::total_weight`] when every point is at least one bandwidth inside
    /// the grid and there is no edge correction.
    #[must_use]
    pub fn mass(&self) -> f64 {
        let f = self.units.per_m2_factor(self.grid.cell_area_m2());
        if f == 0.0 {
            return 0.0;
        }
        self.values.iter().sum::<f64>() / f * self.grid.cell_area_m2()
    }

    /// The largest value.
    #[must_use]
    pub fn max(&self) -> f64 {
        self.values.iter().copied().fold(0.0, f64::max)
    }

    /// The value of the cell holding (`x`, `y`) (projected metres), if it is in the grid.
    #[must_use]
    pub fn value_at(&self, x: f64, y: f64) -> Option<f64> {
        self.grid.cell_of(x, y).map(|i| self.values[i])
    }
}

/// ArcGIS Pro's default search radius for Kernel Density, in metres:
/// `0.9 · min(SD, √(1/ln 2) · Dm) · n^−0.2`, where SD is the standard distance
/// (the root mean squared distance to the mean centre), Dm the median
/// distance to the mean centre, and n the number of points — with weights
/// (ArcGIS's population field) the mean centre, SD and median are weighted
/// and n is the sum of the weights, as ArcGIS documents ("How Kernel Density
/// works"). The weighted median is the smallest distance at which the
/// cumulative weight reaches half the total (the midpoint of the two middle
/// distances when it is exactly half, so equal weights give the usual median).
///
/// # Errors
/// [`Error::Parameter`] for mismatched lengths, non-finite coordinates or
/// weights, negative weights, no points or zero total weight, or a result of 0
/// (all points at one place).
///
/// ```
/// let x = [0.0, 100.0, 0.0, 100.0];
/// let y = [0.0, 0.0, 100.0, 100.0];
/// let h = byrum::arcgis_bandwidth(&x, &y, None)?;
/// // SD = Dm = 70.71 m: 0.9 · 70.71 · 4^−0.2
/// assert!((h - 0.9 * 50f64.sqrt() * 10.0 * 4f64.powf(-0.2)).abs() < 1e-9);
/// # Ok::<(), byrum::Error>(())
/// ```
pub fn arcgis_bandwidth(x: &[f64], y: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    let w = check_points(x, y, weights)?;
    let wsum = total_weight(x.len(), w);
    if wsum <= 0.0 {
        return Err(Error::parameter("KDE bandwidth", "the weights sum to 0"));
    }
    let wt = |i: usize| w.map_or(1.0, |w| w[i]);
    let (mx, my) = weighted_mean(x, y, w, wsum);
    let mut d: Vec<(f64, f64)> = (0..x.len())
        .map(|i| ((x[i] - mx).hypot(y[i] - my), wt(i)))
        .collect();
    let sd = (d.iter().map(|(d, w)| w * d * d).sum::<f64>() / wsum).sqrt();
    d.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let dm = weighted_median(&d, wsum);
    let h = 0.9 * sd.min((1.0 / std::f64::consts::LN_2).sqrt() * dm) * wsum.powf(-0.2);
    if !(h.is_finite() && h > 0.0) {
        return Err(Error::parameter(
            "KDE bandwidth",
            "the ArcGIS rule gives 0 m (the points are at one place); give a fixed bandwidth",
        ));
    }
    Ok(h)
}

/// Scott's rule in two dimensions, as a Gaussian σ in metres:
/// `σ = n^(−1/6) · √((s_x² + s_y²)/2)`, both axes (not just x).
///
/// `s_x²`, `s_y²` are the sample variances (divisor n − 1); with weights they
/// are the reliability-weighted variances (numpy's `cov(aweights=w)`) and n is
/// the effective size `(Σw)²/Σw²`, as in scipy's `gaussian_kde`.
///
/// # Errors
/// [`Error::Parameter`] for bad input (see [`arcgis_bandwidth`]), fewer than
/// 2 points, or zero spread.
pub fn scott_sigma(x: &[f64], y: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    let w = check_points(x, y, weights)?;
    let wsum = total_weight(x.len(), w);
    let w2: f64 = w.map_or(x.len() as f64, |w| w.iter().map(|v| v * v).sum());
    if wsum <= 0.0 {
        return Err(Error::parameter("KDE bandwidth", "the weights sum to 0"));
    }
    let neff = wsum * wsum / w2;
    if neff <= 1.0 {
        return Err(Error::parameter(
            "KDE bandwidth",
            "Scott's rule needs at least 2 points with weight",
        ));
    }
    let (mx, my) = weighted_mean(x, y, w, wsum);
    let wt = |i: usize| w.map_or(1.0, |w| w[i]);
    let (mut sxx, mut syy) = (0.0, 0.0);
    for i in 0..x.len() {
        sxx += wt(i) * (x[i] - mx).powi(2);
        syy += wt(i) * (y[i] - my).powi(2);
    }
    // numpy cov with aweights: divide by Σw − Σw²/Σw.
    let denom = wsum - w2 / wsum;
    let s = ((sxx + syy) / denom / 2.0).sqrt();
    let sigma = neff.powf(-1.0 / 6.0) * s;
    if !(sigma.is_finite() && sigma > 0.0) {
        return Err(Error::parameter(
            "KDE bandwidth",
            "Scott's rule gives 0 m (the points are at one place); give a fixed bandwidth",
        ));
    }
    Ok(sigma)
}

/// The mean leave-one-out log-likelihood (per unit weight, densities per m²)
/// of a Gaussian KDE with standard deviation `sigma`, computed on `grid`:
/// points are binned to cell centres (simple binning), the Gaussian stencil
/// (cut at 4σ, normalised to mass 1) is convolved with the counts, and each
/// point's own contribution (its weight × the stencil centre) is subtracted:
///
/// `LCV(σ) = Σᵢ wᵢ · ln[(Sₖ₍ᵢ₎ − wᵢ·s₀) / (W − wᵢ)] / Σᵢ wᵢ`
///
/// over the points inside the grid, where `Sₖ` is the smoothed weight at point
/// i's cell, `s₀` the stencil centre and W the total weight. It is the exact
/// leave-one-out likelihood of the points moved to their cell centres.
/// `−∞` when some point has no neighbour within 4σ.
///
/// # Errors
/// [`Error::Parameter`] for bad points or weights (see [`arcgis_bandwidth`]),
/// a non-positive `sigma`, or a stencil too large for memory.
pub fn likelihood_cv_score(
    grid: &MetricGrid,
    x: &[f64],
    y: &[f64],
    weights: Option<&[f64]>,
    sigma: f64,
) -> Result<f64> {
    let w = check_points(x, y, weights)?;
    check_bandwidth(sigma)?;
    let st = Stencil::new(Kernel::Gaussian, sigma, grid)?;
    let lcv = LcvData::new(grid, x, y, w, st.rx + 1, st.ry + 1);
    Ok(lcv.score(&st))
}

/// The Gaussian σ (m) that maximises [`likelihood_cv_score`] on `grid`.
///
/// Searched over 24 log-spaced values from σ_Scott/16 to 2·σ_Scott (never
/// below the larger cell side: the grid cannot resolve less), then refined by
/// golden-section search between the neighbours of the best. Points that share
/// a cell favour small bandwidths (ties look like a perfect fit), so choose a
/// cell size no coarser than the detail you want.
///
/// # Errors
/// As [`scott_sigma`] and [`likelihood_cv_score`]; also when every candidate
/// leaves some point without a neighbour (too few points).
pub fn likelihood_cv_sigma(
    grid: &MetricGrid,
    x: &[f64],
    y: &[f64],
    weights: Option<&[f64]>,
) -> Result<f64> {
    let scott = scott_sigma(x, y, weights)?;
    let w = weights;
    let lo_bound = grid.dx.max(grid.dy);
    let hi = (2.0 * scott).max(lo_bound * 2.0);
    let lo = (scott / 16.0).max(lo_bound);
    let big = Stencil::new(Kernel::Gaussian, hi, grid)?;
    let data = LcvData::new(grid, x, y, w, big.rx + 1, big.ry + 1);
    let eval =
        |s: f64| -> Result<f64> { Ok(data.score(&Stencil::new(Kernel::Gaussian, s, grid)?)) };
    let n = 24;
    let cands: Vec<f64> = (0..n)
        .map(|i| lo * (hi / lo).powf(i as f64 / (n - 1) as f64))
        .collect();
    let scores = cands
        .iter()
        .map(|&s| eval(s))
        .collect::<Result<Vec<f64>>>()?;
    let (best, &best_score) = scores
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap_or_else(|| unreachable!("24 candidates"));
    if best_score == f64::NEG_INFINITY {
        return Err(Error::parameter(
            "KDE bandwidth",
            "likelihood cross-validation failed: some point has no neighbour within 4σ \
             at every candidate bandwidth; give a fixed bandwidth",
        ));
    }
    // Golden-section search on ln σ between the neighbours of the best.
    let (mut a, mut b) = (
        cands[best.saturating_sub(1)].ln(),
        cands[(best + 1).min(n - 1)].ln(),
    );
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let mut fc = eval(c.exp())?;
    let mut fd = eval(d.exp())?;
    for _ in 0..14 {
        if fc >= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = eval(c.exp())?;
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = eval(d.exp())?;
        }
    }
    let (s, f) = if fc >= fd {
        (c.exp(), fc)
    } else {
        (d.exp(), fd)
    };
    Ok(if f >= best_score { s } else { cands[best] })
}

/// Everything the LCV score needs that does not depend on σ.
struct LcvData<'a> {
    grid: MetricGrid,
    w: Option<&'a [f64]>,
    pad_x: usize,
    pad_y: usize,
    binned: Vec<f64>,
    /// (point, cell) for every point inside the grid.
    cells: Vec<(usize, usize)>,
    total: f64,
}

impl<'a> LcvData<'a> {
    fn new(
        grid: &MetricGrid,
        x: &[f64],
        y: &[f64],
        w: Option<&'a [f64]>,
        pad_x: usize,
        pad_y: usize,
    ) -> Self {
        let binned = bin(
            grid,
            x,
            y,
            w,
            pad_x,
            pad_y,
            Binning::Simple,
            grid.nx + 2 * pad_x,
        );
        let cells = (0..x.len())
            .filter_map(|i| grid.cell_of(x[i], y[i]).map(|c| (i, c)))
            .collect();
        Self {
            grid: *grid,
            w,
            pad_x,
            pad_y,
            binned,
            cells,
            total: total_weight(x.len(), w),
        }
    }

    fn score(&self, st: &Stencil) -> f64 {
        let g = &self.grid;
        let lx = g.nx + 2 * self.pad_x;
        let ly = g.ny + 2 * self.pad_y;
        let s = if st.taps() <= DIRECT_MAX_TAPS {
            direct(&self.binned, lx, self.pad_x, self.pad_y, g.nx, g.ny, st)
        } else {
            Fft2::new(st, lx, ly).convolve(
                &self.binned,
                lx,
                ly,
                self.pad_x,
                self.pad_y,
                g.nx,
                g.ny,
                ROUND_OFF * self.total * st.centre(),
            )
        };
        let s0 = st.centre();
        let tiny = 1e-9 * s0;
        let (num, den) = self
            .cells
            .par_iter()
            .with_min_len(1 << 14)
            .map(|&(i, c)| {
                let wi = self.w.map_or(1.0, |w| w[i]);
                if wi == 0.0 {
                    return (0.0, 0.0);
                }
                let f = s[c] - wi * s0;
                if f <= tiny || self.total - wi <= 0.0 {
                    (f64::NEG_INFINITY, wi)
                } else {
                    (wi * (f / (self.total - wi)).ln(), wi)
                }
            })
            .reduce(|| (0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        if den > 0.0 {
            num / den
        } else {
            f64::NEG_INFINITY
        }
    }
}

/// Stencils with at most this many taps are applied directly. Measured with
/// `BYRUM_BENCH_KDE_METHODS=1 cargo bench --bench kde` (1M points, 1000² cells,
/// 2 cores): direct is faster up to 9 × 9 taps, even at 11 × 11, slower from 13 × 13.
const DIRECT_MAX_TAPS: usize = 121;

/// The most stencil taps accepted (the bandwidth is far too large for the cell size).
const MAX_TAPS: usize = 1 << 26;

/// The kernel sampled at cell-centre offsets, `(2ry+1) × (2rx+1)`, row-major,
/// normalised so that sum × cell area = 1 (values per m² per unit weight).
#[derive(Debug, Clone)]
struct Stencil {
    rx: usize,
    ry: usize,
    values: Vec<f64>,
}

impl Stencil {
    fn new(kernel: Kernel, h: f64, grid: &MetricGrid) -> Result<Self> {
        let r = kernel.support(h);
        let rx = (r / grid.dx).floor();
        let ry = (r / grid.dy).floor();
        if (2.0 * rx + 1.0) * (2.0 * ry + 1.0) > MAX_TAPS as f64 {
            return Err(Error::parameter(
                "KDE bandwidth",
                format!(
                    "{h} m spans {rx} × {ry} cells of {} × {} m; use larger cells",
                    grid.dx, grid.dy
                ),
            ));
        }
        let (rx, ry) = (rx as usize, ry as usize);
        let (wx, wy) = (2 * rx + 1, 2 * ry + 1);
        let mut values = vec![0.0; wx * wy];
        for j in 0..wy {
            let oy = (j as f64 - ry as f64) * grid.dy;
            for i in 0..wx {
                let ox = (i as f64 - rx as f64) * grid.dx;
                let d = ox.hypot(oy);
                if d <= r {
                    values[j * wx + i] = kernel.value(d, h);
                }
            }
        }
        let sum: f64 = values.iter().sum::<f64>() * grid.cell_area_m2();
        if sum > 0.0 {
            for v in &mut values {
                *v /= sum;
            }
        } else {
            // Bandwidth below a cell (never for a real kernel: the centre is > 0).
            values[ry * wx + rx] = 1.0 / grid.cell_area_m2();
        }
        Ok(Self { rx, ry, values })
    }

    fn taps(&self) -> usize {
        self.values.len()
    }

    fn wx(&self) -> usize {
        2 * self.rx + 1
    }

    fn centre(&self) -> f64 {
        self.values[self.ry * self.wx() + self.rx]
    }

    /// The value at offset (i, j) cells; the stencil is even in both axes.
    fn at(&self, i: usize, j: usize) -> f64 {
        self.values[(self.ry + j) * self.wx() + self.rx + i]
    }
}

/// Validates points and weights; returns the weights.
fn check_points<'a>(x: &[f64], y: &[f64], w: Option<&'a [f64]>) -> Result<Option<&'a [f64]>> {
    if x.len() != y.len() || w.is_some_and(|w| w.len() != x.len()) {
        return Err(Error::parameter(
            "KDE points",
            format!(
                "x, y and weights differ in length ({}, {}, {})",
                x.len(),
                y.len(),
                w.map_or(x.len(), <[f64]>::len)
            ),
        ));
    }
    if x.is_empty() {
        return Err(Error::parameter("KDE points", "there are no points"));
    }
    if let Some(i) = x
        .par_iter()
        .zip(y.par_iter())
        .position_any(|(a, b)| !(a.is_finite() && b.is_finite()))
    {
        return Err(Error::parameter(
            "KDE points",
            format!("point {i} ({}, {}) is not a finite coordinate", x[i], y[i]),
        ));
    }
    if let Some(w) = w
        && let Some(i) = w.par_iter().position_any(|v| !(v.is_finite() && *v >= 0.0))
    {
        return Err(Error::parameter(
            "KDE weights",
            format!("weight {i} is {}: weights must be finite and ≥ 0", w[i]),
        ));
    }
    Ok(w)
}

fn check_bandwidth(h: f64) -> Result<()> {
    if h.is_finite() && h > 0.0 {
        Ok(())
    } else {
        Err(Error::parameter(
            "KDE bandwidth",
            format!("{h} m: must be positive metres"),
        ))
    }
}

fn total_weight(n: usize, w: Option<&[f64]>) -> f64 {
    w.map_or(n as f64, |w| w.par_iter().sum())
}

fn weighted_mean(x: &[f64], y: &[f64], w: Option<&[f64]>, wsum: f64) -> (f64, f64) {
    match w {
        None => (x.iter().sum::<f64>() / wsum, y.iter().sum::<f64>() / wsum),
        Some(w) => (
            x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / wsum,
            y.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / wsum,
        ),
    }
}

/// Weighted median of sorted (value, weight) pairs.
fn weighted_median(d: &[(f64, f64)], wsum: f64) -> f64 {
    let half = wsum / 2.0;
    let mut cum = 0.0;
    for (k, &(v, w)) in d.iter().enumerate() {
        cum += w;
        if cum > half * (1.0 + 1e-12) {
            return v;
        }
        if cum >= half * (1.0 - 1e-12) {
            // Exactly half: the midpoint with the next value of positive weight.
            let next = d[k + 1..].iter().find(|p| p.1 > 0.0).map_or(v, |p| p.0);
            return f64::midpoint(v, next);
        }
    }
    d.last().map_or(0.0, |p| p.0)
}

/// The binning grid: the output grid padded by `pad_x`, `pad_y` cells on each side.
struct Padded {
    /// Columns and rows.
    lx: usize,
    ly: usize,
    /// Its south-west corner (m).
    px0: f64,
    py0: f64,
    /// Cells per metre along x and y.
    ix: f64,
    iy: f64,
}

impl Padded {
    fn of(grid: &MetricGrid, pad_x: usize, pad_y: usize) -> Self {
        Self {
            lx: grid.nx + 2 * pad_x,
            ly: grid.ny + 2 * pad_y,
            px0: grid.x0 - pad_x as f64 * grid.dx,
            py0: grid.y0 - pad_y as f64 * grid.dy,
            ix: 1.0 / grid.dx,
            iy: 1.0 / grid.dy,
        }
    }
}

/// Bins points onto the grid padded by (`pad_x`, `pad_y`) cells on every side,
/// stored with `stride ≥ lx` values per row (the columns from `lx` on stay 0).
/// Weight falling outside the padded grid is dropped (it cannot reach the grid).
#[allow(clippy::too_many_arguments)]
fn bin(
    grid: &MetricGrid,
    x: &[f64],
    y: &[f64],
    w: Option<&[f64]>,
    pad_x: usize,
    pad_y: usize,
    binning: Binning,
    stride: usize,
) -> Vec<f64> {
    let Padded {
        lx,
        ly,
        px0,
        py0,
        ix,
        iy,
    } = Padded::of(grid, pad_x, pad_y);
    debug_assert!(stride >= lx);
    let (lxf, lyf) = (lx as f64, ly as f64);
    let run = |range: std::ops::Range<usize>, out: &mut [f64]| match binning {
        Binning::Simple => {
            for i in range {
                let c = ((x[i] - px0) * ix).floor();
                let r = ((y[i] - py0) * iy).floor();
                if c >= 0.0 && r >= 0.0 && c < lxf && r < lyf {
                    out[r as usize * stride + c as usize] += w.map_or(1.0, |w| w[i]);
                }
            }
        }
        Binning::Linear => {
            for i in range {
                let fx = (x[i] - px0) * ix - 0.5;
                let fy = (y[i] - py0) * iy - 0.5;
                let (c0, r0) = (fx.floor(), fy.floor());
                if !(c0 >= -1.0 && r0 >= -1.0 && c0 < lxf && r0 < lyf) {
                    continue;
                }
                let (tx, ty) = (fx - c0, fy - r0);
                let wi = w.map_or(1.0, |w| w[i]);
                let (c0, r0) = (c0 as isize, r0 as isize);
                let (lxi, lyi) = (lx as isize, ly as isize);
                for (dr, fyw) in [(0, 1.0 - ty), (1, ty)] {
                    let r = r0 + dr;
                    if r < 0 || r >= lyi {
                        continue;
                    }
                    for (dc, fxw) in [(0, 1.0 - tx), (1, tx)] {
                        let c = c0 + dc;
                        if c >= 0 && c < lxi {
                            out[r as usize * stride + c as usize] += wi * fxw * fyw;
                        }
                    }
                }
            }
        }
    };
    let n = x.len();
    // Banding stores cell offsets within a band as u32.
    if n < 50_000 || rayon::current_num_threads() == 1 || band_rows(lx) * stride > u32::MAX as usize
    {
        let mut out = vec![0.0; stride * ly];
        run(0..n, &mut out);
        return out;
    }
    bin_banded(grid, x, y, w, pad_x, pad_y, binning, stride)
}

/// Rows of the binned grid per band in [`bin_banded`]: about 256 KiB of
/// cells (at least one row).
fn band_rows(lx: usize) -> usize {
    (32_768 / lx).max(1)
}

/// A point's share of the binned grid: the (lower-left) cell as an offset in
/// its band, and the fractions towards the next column and row. The weight,
/// if any, is kept beside it.
#[derive(Clone, Copy)]
struct Entry {
    k: u32,
    tx: f32,
    ty: f32,
}

/// The entries of one chunk of points falling in one band, and their weights
/// (empty without weights).
type BandList = (Vec<Entry>, Vec<f64>);

/// Binning of many points without random access to the whole grid: the
/// points are first sorted (in parallel, by chunk) into bands of rows small
/// enough to stay in cache, then each band is filled by one thread. Linear
/// binning drops points in the outer half of the outermost padding cells,
/// whose shares lie beyond the kernel's reach anyway.
#[allow(clippy::too_many_arguments)]
fn bin_banded(
    grid: &MetricGrid,
    x: &[f64],
    y: &[f64],
    w: Option<&[f64]>,
    pad_x: usize,
    pad_y: usize,
    binning: Binning,
    stride: usize,
) -> Vec<f64> {
    let Padded {
        lx,
        ly,
        px0,
        py0,
        ix,
        iy,
    } = Padded::of(grid, pad_x, pad_y);
    let band_rows = band_rows(lx);
    let band_len = band_rows * stride;
    let bands = ly.div_ceil(band_rows);
    let linear = binning == Binning::Linear;
    // One past the last valid lower-left cell (linear) or cell (simple): a
    // point is kept when 0 ≤ f < end, i.e. 0 ≤ floor(f) ≤ end − 1, and then
    // `f as usize` is floor(f).
    let (cend, rend) = if linear {
        ((lx - 1) as f64, (ly - 1) as f64)
    } else {
        (lx as f64, ly as f64)
    };
    let half = if linear { 0.5 } else { 0.0 };
    let n = x.len();
    // Blocks of points: the sorted entries of one block are reused.
    let block = 1 << 18;
    let nchunks = rayon::current_num_threads() * 2;
    let mut lists: Vec<Vec<BandList>> = vec![vec![(Vec::new(), Vec::new()); bands]; nchunks];
    // Per binned row: its band and the offset of its first cell in the band.
    let rows: Vec<(u32, u32)> = (0..ly)
        .map(|r| {
            let b = r / band_rows;
            (b as u32, ((r - b * band_rows) * stride) as u32)
        })
        .collect();
    let mut out = vec![0.0; stride * ly];
    let mut extras: Vec<Vec<f64>> = vec![if linear { vec![0.0; lx] } else { Vec::new() }; bands];
    for start in (0..n).step_by(block) {
        let end = (start + block).min(n);
        let per = (end - start).div_ceil(nchunks);
        lists.par_iter_mut().enumerate().for_each(|(c, lists)| {
            for (l, lw) in lists.iter_mut() {
                l.clear();
                lw.clear();
            }
            for i in (start + c * per).min(end)..(start + (c + 1) * per).min(end) {
                let fx = (x[i] - px0) * ix - half;
                let fy = (y[i] - py0) * iy - half;
                if !(fx >= 0.0 && fy >= 0.0 && fx < cend && fy < rend) {
                    continue;
                }
                let (cu, ru) = (fx as usize, fy as usize);
                let (b, base) = rows[ru];
                let (l, lw) = &mut lists[b as usize];
                l.push(Entry {
                    // < band_len ≤ u32::MAX (`bin` checks).
                    k: base + cu as u32,
                    tx: (fx - cu as f64) as f32,
                    ty: (fy - ru as f64) as f32,
                });
                if let Some(w) = w {
                    lw.push(w[i]);
                }
            }
        });
        out.par_chunks_mut(band_len)
            .zip(extras.par_iter_mut())
            .enumerate()
            .for_each(|(b, (slice, extra))| {
                if start == 0 {
                    // Already 0, but writing first maps each fresh page once
                    // (adding to an untouched page maps it twice: read, then write).
                    slice.fill(0.0);
                }
                for l in &lists {
                    let (es, ws) = &l[b];
                    let weight = |j: usize| if ws.is_empty() { 1.0 } else { ws[j] };
                    for (j, e) in es.iter().enumerate() {
                        let k = e.k as usize;
                        if !linear {
                            slice[k] += weight(j);
                            continue;
                        }
                        let wj = weight(j);
                        let (tx, ty) = (f64::from(e.tx), f64::from(e.ty));
                        let lo = wj * (1.0 - ty);
                        let hi = wj * ty;
                        slice[k] += lo * (1.0 - tx);
                        slice[k + 1] += lo * tx;
                        let k2 = k + stride;
                        if k2 < slice.len() {
                            slice[k2] += hi * (1.0 - tx);
                            slice[k2 + 1] += hi * tx;
                        } else {
                            extra[k2 - slice.len()] += hi * (1.0 - tx);
                            extra[k2 + 1 - slice.len()] += hi * tx;
                        }
                    }
                }
            });
    }
    if linear {
        for (b, extra) in extras.iter().enumerate() {
            let start = (b + 1) * band_len;
            if start < out.len() {
                for (o, e) in out[start..start + lx].iter_mut().zip(extra) {
                    *o += e;
                }
            }
        }
    }
    out
}

/// Direct convolution of the padded binned grid (`lx` wide) with the stencil;
/// returns the `nx × ny` output.
fn direct(
    p: &[f64],
    lx: usize,
    pad_x: usize,
    pad_y: usize,
    nx: usize,
    ny: usize,
    st: &Stencil,
) -> Vec<f64> {
    let mut out = vec![0.0; nx * ny];
    let wx = st.wx();
    out.par_chunks_mut(nx).enumerate().for_each(|(r, row)| {
        for j in 0..=2 * st.ry {
            let pr = r + pad_y + j - st.ry;
            let prow = &p[pr * lx..(pr + 1) * lx];
            for i in 0..wx {
                let s = st.values[j * wx + i];
                if s == 0.0 {
                    continue;
                }
                let start = pad_x + i - st.rx;
                for (o, v) in row.iter_mut().zip(&prow[start..start + nx]) {
                    *o += s * v;
                }
            }
        }
    });
    out
}

/// The smallest even size ≥ `n` whose only prime factors are 2, 3 and 5.
fn fft_size(n: usize) -> usize {
    let mut m = n.max(2);
    loop {
        if m.is_multiple_of(2) {
            let mut k = m;
            for p in [2, 3, 5] {
                while k.is_multiple_of(p) {
                    k /= p;
                }
            }
            if k == 1 {
                return m;
            }
        }
        m += 1;
    }
}

fn fft_ok(r: std::result::Result<(), FftError>) {
    match r {
        Ok(()) | Err(FftError::InputValues(..)) => {}
        Err(e) => unreachable!("buffer lengths come from the plan: {e}"),
    }
}

/// FFT convolution with one stencil at one padded size. The stencil is even
/// in both axes, so its spectrum is real and the column pass splits into two
/// real convolutions (real and imaginary parts of the row spectra): only real
/// FFTs are needed.
struct Fft2 {
    nx: usize,
    ny: usize,
    hx: usize,
    hy: usize,
    row_f: Arc<dyn RealToComplex<f64>>,
    row_i: Arc<dyn ComplexToReal<f64>>,
    col_f: Arc<dyn RealToComplex<f64>>,
    col_i: Arc<dyn ComplexToReal<f64>>,
    /// Real spectrum, `hx × hy` (column frequency major), scaled by 1/(nx·ny).
    kernel: Vec<f64>,
}

/// FFT results below this × (total weight × stencil centre) are round-off
/// where the true value is 0, and are set to 0. The FFT's absolute error is
/// about 10⁻¹⁵ of that product; with 10⁷ incidents the floor is 10⁻⁶ of one
/// incident's peak density.
const ROUND_OFF: f64 = 1e-13;

/// Block of rows/columns moved together in transposes.
const TB: usize = 16;

impl Fft2 {
    fn new(st: &Stencil, lx: usize, ly: usize) -> Self {
        let nx = fft_size(lx);
        let ny = fft_size(ly);
        let (hx, hy) = (nx / 2 + 1, ny / 2 + 1);
        let mut planner = RealFftPlanner::<f64>::new();
        let row_f = planner.plan_fft_forward(nx);
        let row_i = planner.plan_fft_inverse(nx);
        let col_f = planner.plan_fft_forward(ny);
        let col_i = planner.plan_fft_inverse(ny);
        // Row transforms of the stencil rows j = 0..=ry (even in x: real).
        let rows: Vec<Vec<f64>> = (0..=st.ry)
            .into_par_iter()
            .map(|j| {
                let mut buf = vec![0.0; nx];
                for i in 0..=st.rx {
                    let v = st.at(i, j);
                    buf[i] = v;
                    if i > 0 {
                        buf[nx - i] = v;
                    }
                }
                let mut out = row_f.make_output_vec();
                fft_ok(row_f.process(&mut buf, &mut out));
                out.iter().map(|c| c.re).collect()
            })
            .collect();
        let scale = 1.0 / (nx as f64 * ny as f64);
        let mut kernel = vec![0.0; hx * hy];
        kernel.par_chunks_mut(hy).enumerate().for_each_init(
            || {
                (
                    vec![0.0; ny],
                    col_f.make_output_vec(),
                    col_f.make_scratch_vec(),
                )
            },
            |(buf, out, scr), (h, k)| {
                buf.fill(0.0);
                for (j, row) in rows.iter().enumerate() {
                    buf[j] = row[h];
                    if j > 0 {
                        buf[ny - j] = row[h];
                    }
                }
                fft_ok(col_f.process_with_scratch(buf, out, scr));
                for (kv, c) in k.iter_mut().zip(out.iter()) {
                    *kv = c.re * scale;
                }
            },
        );
        Self {
            nx,
            ny,
            hx,
            hy,
            row_f,
            row_i,
            col_f,
            col_i,
            kernel,
        }
    }

    /// The row length (values) of a padded grid that
    /// [`Fft2::convolve_owned`] transforms in place: room for a row's spectrum.
    fn stride(&self) -> usize {
        2 * self.hx
    }

    /// [`Fft2::convolve_owned`] of a copy of `p` (`lx × ly`, rows of `lx`).
    #[allow(clippy::too_many_arguments)]
    fn convolve(
        &self,
        p: &[f64],
        lx: usize,
        ly: usize,
        pad_x: usize,
        pad_y: usize,
        nx_out: usize,
        ny_out: usize,
        floor: f64,
    ) -> Vec<f64> {
        let stride = self.stride();
        let mut q = vec![0.0; stride * ly];
        q.par_chunks_mut(stride)
            .zip(p.par_chunks(lx))
            .for_each(|(q, p)| q[..lx].copy_from_slice(p));
        self.convolve_owned(q, lx, ly, pad_x, pad_y, nx_out, ny_out, floor, 1.0)
    }

    /// Convolves the padded grid `p` (`lx × ly`, non-negative, rows of
    /// [`Fft2::stride`] values of which the first `lx` are used) and returns
    /// the `nx_out × ny_out` cells starting at (`pad_x`, `pad_y`), times
    /// `scale`. Values below `floor` (FFT round-off where the true result is
    /// 0) become 0. `p`'s memory holds the row spectra and then the result,
    /// so the whole convolution allocates only the column spectra.
    #[allow(clippy::too_many_arguments)]
    fn convolve_owned(
        &self,
        mut p: Vec<f64>,
        lx: usize,
        ly: usize,
        pad_x: usize,
        pad_y: usize,
        nx_out: usize,
        ny_out: usize,
        floor: f64,
        scale: f64,
    ) -> Vec<f64> {
        let (nx, ny, hx, hy) = (self.nx, self.ny, self.hx, self.hy);
        let stride = self.stride();
        debug_assert_eq!(p.len(), stride * ly);
        // 1. Real FFT of every data row, its spectrum written over the row
        //    (interleaved real and imaginary parts).
        p.par_chunks_mut(stride).for_each_init(
            || {
                (
                    vec![0.0; nx],
                    self.row_f.make_output_vec(),
                    self.row_f.make_scratch_vec(),
                )
            },
            |(buf, spec, scr), row| {
                buf[..lx].copy_from_slice(&row[..lx]);
                buf[lx..].fill(0.0);
                fft_ok(self.row_f.process_with_scratch(buf, spec, scr));
                for (v, c) in row.chunks_exact_mut(2).zip(spec.iter()) {
                    v[0] = c.re;
                    v[1] = c.im;
                }
            },
        );
        // 2. Blocks of TB x frequencies: gather their columns of real and
        //    imaginary parts, convolve each with the column kernel of its x
        //    frequency (real, since the stencil is even), and keep the output
        //    rows only (column-major, `ny_out` per column).
        let mut re = vec![0.0; hx * ny_out];
        let mut im = vec![0.0; hx * ny_out];
        re.par_chunks_mut(TB * ny_out)
            .zip(im.par_chunks_mut(TB * ny_out))
            .enumerate()
            .for_each_init(
                || {
                    (
                        vec![0.0; 2 * TB * ny],
                        self.col_f.make_output_vec(),
                        self.col_f.make_scratch_vec(),
                    )
                },
                |(cols, tmp, scr), (b, (re, im))| {
                    let h0 = b * TB;
                    let hn = re.len() / ny_out;
                    // Column 2k is frequency h0 + k's real part, 2k + 1 its imaginary part.
                    for (y, row) in p.chunks_exact(stride).enumerate() {
                        for (k, v) in row[2 * h0..2 * (h0 + hn)].iter().enumerate() {
                            cols[k * ny + y] = *v;
                        }
                    }
                    for (k, col) in cols.chunks_exact_mut(ny).take(2 * hn).enumerate() {
                        col[ly..].fill(0.0);
                        let h = h0 + k / 2;
                        let kern = &self.kernel[h * hy..(h + 1) * hy];
                        fft_ok(self.col_f.process_with_scratch(col, tmp, scr));
                        for (t, kv) in tmp.iter_mut().zip(kern) {
                            *t *= *kv;
                        }
                        tmp[0].im = 0.0;
                        if ny % 2 == 0 {
                            tmp[hy - 1].im = 0.0;
                        }
                        fft_ok(self.col_i.process_with_scratch(tmp, col, scr));
                        let dst = if k % 2 == 0 { &mut *re } else { &mut *im };
                        dst[(k / 2) * ny_out..(k / 2 + 1) * ny_out]
                            .copy_from_slice(&col[pad_y..pad_y + ny_out]);
                    }
                },
            );
        // 3. Back to rows and inverse real FFT, into `p`'s memory.
        p.truncate(nx_out * ny_out);
        p.par_chunks_mut(TB * nx_out).enumerate().for_each_init(
            || {
                (
                    vec![Complex::new(0.0, 0.0); TB * hx],
                    vec![0.0; nx],
                    self.row_i.make_scratch_vec(),
                )
            },
            |(rows, buf, scr), (b, out)| {
                let r0 = b * TB;
                let rn = out.len() / nx_out;
                for h in 0..hx {
                    let ca = &re[h * ny_out + r0..h * ny_out + r0 + rn];
                    let cb = &im[h * ny_out + r0..h * ny_out + r0 + rn];
                    for k in 0..rn {
                        rows[k * hx + h] = Complex::new(ca[k], cb[k]);
                    }
                }
                for k in 0..rn {
                    let row = &mut rows[k * hx..(k + 1) * hx];
                    row[0].im = 0.0;
                    if nx % 2 == 0 {
                        row[hx - 1].im = 0.0;
                    }
                    fft_ok(self.row_i.process_with_scratch(row, buf, scr));
                    for (o, &v) in out[k * nx_out..(k + 1) * nx_out]
                        .iter_mut()
                        .zip(&buf[pad_x..pad_x + nx_out])
                    {
                        let v = if v < floor { 0.0 } else { v };
                        *o = v * scale;
                    }
                }
            },
        );
        p.shrink_to_fit();
        p
    }
}

/// Exact method: every point's analytic kernel added at the cell centres within its support.
fn exact(
    grid: &MetricGrid,
    x: &[f64],
    y: &[f64],
    w: Option<&[f64]>,
    kernel: Kernel,
    h: f64,
) -> Vec<f64> {
    let r = kernel.support(h);
    let (nx, ny) = (grid.nx, grid.ny);
    let run = |range: std::ops::Range<usize>, out: &mut [f64]| {
        for i in range {
            let wi = w.map_or(1.0, |w| w[i]);
            let c_lo = ((x[i] - r - grid.x0) / grid.dx - 0.5).ceil().max(0.0);
            let c_hi = ((x[i] + r - grid.x0) / grid.dx - 0.5)
                .floor()
                .min(nx as f64 - 1.0);
            let r_lo = ((y[i] - r - grid.y0) / grid.dy - 0.5).ceil().max(0.0);
            let r_hi = ((y[i] + r - grid.y0) / grid.dy - 0.5)
                .floor()
                .min(ny as f64 - 1.0);
            if c_lo > c_hi || r_lo > r_hi {
                continue;
            }
            for row in r_lo as usize..=r_hi as usize {
                let cy = grid.y0 + (row as f64 + 0.5) * grid.dy;
                for col in c_lo as usize..=c_hi as usize {
                    let cx = grid.x0 + (col as f64 + 0.5) * grid.dx;
                    let d = (cx - x[i]).hypot(cy - y[i]);
                    if d <= r {
                        out[row * nx + col] += wi * kernel.value(d, h);
                    }
                }
            }
        }
    };
    let n = x.len();
    let parts = rayon::current_num_threads().min(n / 1000).max(1);
    let per = n.div_ceil(parts);
    (0..parts)
        .into_par_iter()
        .map(|p| {
            let mut out = vec![0.0; nx * ny];
            run(p * per..((p + 1) * per).min(n), &mut out);
            out
        })
        .reduce_with(|mut a, b| {
            a.iter_mut().zip(b).for_each(|(u, v)| *u += v);
            a
        })
        .unwrap_or_else(|| vec![0.0; nx * ny])
}

/// A kernel density estimator (builder).
///
/// ```
/// use byrum::{Kde, Kernel, Bandwidth, MetricGrid, Units};
/// let grid = MetricGrid::covering((0.0, 0.0, 1000.0, 1000.0), 10.0)?;
/// let (x, y) = (vec![400.0, 600.0, 500.0], vec![500.0, 500.0, 420.0]);
/// let s = Kde::new()
///     .kernel(Kernel::Quartic)
///     .bandwidth(Bandwidth::Fixed(150.0))
///     .units(Units::ExpectedCount)
///     .compute(&grid, &x, &y, None)?;
/// assert!((s.mass() - 3.0).abs() < 1e-9);
/// assert_eq!(s.bandwidth.metres, 150.0);
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Kde {
    kernel: Kernel,
    bandwidth: Bandwidth,
    edge: Option<MultiPolygon>,
    binning: Binning,
    method: Method,
    units: Option<Units>,
}

/// What a KDE needs after the bandwidth is known.
struct Plan {
    kernel: Kernel,
    choice: BandwidthChoice,
    stencil: Stencil,
    method: Method,
    pad_x: usize,
    pad_y: usize,
    fft: Option<Fft2>,
    /// Kernel mass inside the study area per cell (None without edge correction).
    edge_mass: Option<Vec<f64>>,
}

impl Kde {
    /// Quartic kernel, ArcGIS bandwidth, linear binning, automatic method,
    /// no edge correction, incidents per km² (per hour in [`Kde::compute_bins`]).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The kernel.
    #[must_use]
    pub fn kernel(mut self, kernel: Kernel) -> Self {
        self.kernel = kernel;
        self
    }

    /// The bandwidth or the rule that chooses it.
    #[must_use]
    pub fn bandwidth(mut self, bandwidth: Bandwidth) -> Self {
        self.bandwidth = bandwidth;
        self
    }

    /// Divide by the kernel mass inside `area` (projected metres, the grid's
    /// projection); cells whose centre is outside the area become 0.
    #[must_use]
    pub fn edge_correction(mut self, area: MultiPolygon) -> Self {
        self.edge = Some(area);
        self
    }

    /// The binning.
    #[must_use]
    pub fn binning(mut self, binning: Binning) -> Self {
        self.binning = binning;
        self
    }

    /// The method.
    #[must_use]
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// The units (default: per km²; per km² per hour in [`Kde::compute_bins`]).
    #[must_use]
    pub fn units(mut self, units: Units) -> Self {
        self.units = Some(units);
        self
    }

    /// The bandwidth this estimator uses for these points on this grid.
    ///
    /// # Errors
    /// [`Error::Parameter`] for bad points, a bad fixed bandwidth or a failing selector.
    pub fn select_bandwidth(
        &self,
        grid: &MetricGrid,
        x: &[f64],
        y: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<BandwidthChoice> {
        let k = self.kernel;
        let metres = match self.bandwidth {
            Bandwidth::Fixed(h) => {
                check_bandwidth(h)?;
                h
            }
            Bandwidth::ArcGis => k.bandwidth_for_sigma(
                Kernel::Quartic.gaussian_sigma(arcgis_bandwidth(x, y, weights)?),
            ),
            Bandwidth::Scott => k.bandwidth_for_sigma(scott_sigma(x, y, weights)?),
            Bandwidth::LikelihoodCv => {
                k.bandwidth_for_sigma(likelihood_cv_sigma(grid, x, y, weights)?)
            }
        };
        Ok(BandwidthChoice {
            metres,
            rule: self.bandwidth,
            sigma_m: k.gaussian_sigma(metres),
        })
    }

    fn plan(&self, grid: &MetricGrid, choice: BandwidthChoice) -> Result<Plan> {
        let stencil = Stencil::new(self.kernel, choice.metres, grid)?;
        let (pad_x, pad_y) = (stencil.rx + 1, stencil.ry + 1);
        let (lx, ly) = (grid.nx + 2 * pad_x, grid.ny + 2 * pad_y);
        let method = match self.method {
            Method::Auto if stencil.taps() <= DIRECT_MAX_TAPS => Method::Direct,
            Method::Auto => Method::Fft,
            m => m,
        };
        let needs_fft =
            method == Method::Fft || (self.edge.is_some() && stencil.taps() > DIRECT_MAX_TAPS);
        let fft = needs_fft.then(|| Fft2::new(&stencil, lx, ly));
        let edge_mass = match &self.edge {
            None => None,
            Some(area) => {
                let padded = MetricGrid::new(
                    grid.x0 - pad_x as f64 * grid.dx,
                    grid.y0 - pad_y as f64 * grid.dy,
                    grid.dx,
                    grid.dy,
                    lx,
                    ly,
                )?;
                let mask: Vec<f64> = padded
                    .centres_in(area)
                    .into_iter()
                    .map(|b| if b { 1.0 } else { 0.0 })
                    .collect();
                let conv = match &fft {
                    Some(f) => f.convolve(
                        &mask,
                        lx,
                        ly,
                        pad_x,
                        pad_y,
                        grid.nx,
                        grid.ny,
                        ROUND_OFF * (lx * ly) as f64 * stencil.centre(),
                    ),
                    None => direct(&mask, lx, pad_x, pad_y, grid.nx, grid.ny, &stencil),
                };
                let area_cell = grid.cell_area_m2();
                let inside = grid.centres_in(area);
                Some(
                    conv.into_iter()
                        .zip(inside)
                        .map(|(m, i)| if i { m * area_cell } else { 0.0 })
                        .collect(),
                )
            }
        };
        Ok(Plan {
            kernel: self.kernel,
            choice,
            stencil,
            method,
            pad_x,
            pad_y,
            fft,
            edge_mass,
        })
    }

    /// Density of the points (projected metres, optionally weighted) on `grid`.
    ///
    /// # Errors
    /// [`Error::Parameter`] if the points are empty, contain non-finite values
    /// or differ in length from the weights; for negative or non-finite
    /// weights; for a bad bandwidth; for bad units (non-positive exposure).
    pub fn compute(
        &self,
        grid: &MetricGrid,
        x: &[f64],
        y: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<DensitySurface> {
        let w = check_points(x, y, weights)?;
        let units = self.units.unwrap_or(Units::PerKm2);
        units.check()?;
        let choice = self.select_bandwidth(grid, x, y, w)?;
        let plan = self.plan(grid, choice)?;
        Ok(self.surface(grid, &plan, x, y, w, units, None))
    }

    /// One density surface per time bin, computed in parallel.
    ///
    /// `bins[i]` is point i's bin (an index into `bin_labels`); `exposure_hours`
    /// gives each bin's hours. The bandwidth is chosen **once, on all points**,
    /// so the bins' surfaces are comparable (a bin with few incidents would
    /// otherwise get a wider kernel). Units default to incidents per km² per
    /// hour of each bin's exposure; [`Units::PerKm2PerHour`] set on the builder
    /// also uses each bin's own hours. A bin without exposure gets zeros.
    ///
    /// # Errors
    /// As [`Kde::compute`]; also if `bins` differs in length from the points,
    /// a bin is out of range, or `exposure_hours` does not match the labels or
    /// holds a negative or non-finite value.
    pub fn compute_bins(
        &self,
        grid: &MetricGrid,
        x: &[f64],
        y: &[f64],
        weights: Option<&[f64]>,
        bins: &[u32],
        bin_labels: &[String],
        exposure_hours: &[f64],
    ) -> Result<Vec<DensitySurface>> {
        let w = check_points(x, y, weights)?;
        let nb = bin_labels.len();
        if bins.len() != x.len() || exposure_hours.len() != nb {
            return Err(Error::parameter(
                "KDE time bins",
                format!(
                    "{} points, {} bins, {} labels, {} exposures: they must agree",
                    x.len(),
                    bins.len(),
                    nb,
                    exposure_hours.len()
                ),
            ));
        }
        if let Some(b) = bins.iter().find(|&&b| b as usize >= nb) {
            return Err(Error::parameter(
                "KDE time bins",
                format!("bin {b} is out of range (there are {nb} labels)"),
            ));
        }
        if let Some(h) = exposure_hours
            .iter()
            .find(|h| !(h.is_finite() && **h >= 0.0))
        {
            return Err(Error::parameter(
                "KDE exposure hours",
                format!("{h}: must be finite hours ≥ 0"),
            ));
        }
        if let Some(u @ (Units::PerKm2 | Units::ExpectedCount)) = self.units {
            u.check()?;
        }
        let choice = self.select_bandwidth(grid, x, y, w)?;
        let plan = self.plan(grid, choice)?;
        let mut idx: Vec<Vec<usize>> = vec![Vec::new(); nb];
        for (i, &b) in bins.iter().enumerate() {
            idx[b as usize].push(i);
        }
        Ok(idx
            .par_iter()
            .enumerate()
            .map(|(b, ix)| {
                let bx: Vec<f64> = ix.iter().map(|&i| x[i]).collect();
                let by: Vec<f64> = ix.iter().map(|&i| y[i]).collect();
                let bw: Option<Vec<f64>> = w.map(|w| ix.iter().map(|&i| w[i]).collect());
                let units = match self.units {
                    None | Some(Units::PerKm2PerHour { .. }) => Units::PerKm2PerHour {
                        exposure_hours: exposure_hours[b],
                    },
                    Some(u) => u,
                };
                self.surface(
                    grid,
                    &plan,
                    &bx,
                    &by,
                    bw.as_deref(),
                    units,
                    Some(bin_labels[b].clone()),
                )
            })
            .collect())
    }

    /// The surface for checked points (possibly none).
    #[allow(clippy::too_many_arguments)]
    fn surface(
        &self,
        grid: &MetricGrid,
        plan: &Plan,
        x: &[f64],
        y: &[f64],
        w: Option<&[f64]>,
        units: Units,
        label: Option<String>,
    ) -> DensitySurface {
        let (pad_x, pad_y) = (plan.pad_x, plan.pad_y);
        let (lx, ly) = (grid.nx + 2 * pad_x, grid.ny + 2 * pad_y);
        let f = units.per_m2_factor(grid.cell_area_m2());
        // Without edge correction the FFT applies the units' factor as it
        // writes the result (the same product, one pass less).
        let mut scaled = false;
        let mut values = if x.is_empty() {
            vec![0.0; grid.len()]
        } else {
            match (plan.method, &plan.fft) {
                (Method::Exact, _) => exact(grid, x, y, w, plan.kernel, plan.choice.metres),
                (Method::Fft, Some(fft)) => {
                    let p = bin(grid, x, y, w, pad_x, pad_y, self.binning, fft.stride());
                    let floor = ROUND_OFF * total_weight(x.len(), w) * plan.stencil.centre();
                    scaled = plan.edge_mass.is_none();
                    let scale = if scaled { f } else { 1.0 };
                    fft.convolve_owned(p, lx, ly, pad_x, pad_y, grid.nx, grid.ny, floor, scale)
                }
                _ => {
                    let p = bin(grid, x, y, w, pad_x, pad_y, self.binning, lx);
                    direct(&p, lx, pad_x, pad_y, grid.nx, grid.ny, &plan.stencil)
                }
            }
        };
        if let Some(m) = &plan.edge_mass {
            values
                .par_iter_mut()
                .zip(m.par_iter())
                .for_each(|(v, &m)| *v = if m > 0.0 { *v / m } else { 0.0 });
        }
        if !scaled {
            values.par_iter_mut().for_each(|v| *v *= f);
        }
        // As `grid.col_row(x, y).is_none()`, without calling floor: for a
        // whole number n, floor(u) ∈ [0, n) exactly when u ∈ [0, n).
        let (nxf, nyf) = (grid.nx as f64, grid.ny as f64);
        let points_outside = x
            .par_iter()
            .zip(y.par_iter())
            .with_min_len(1 << 14)
            .filter(|&(&a, &b)| {
                let u = (a - grid.x0) / grid.dx;
                let v = (b - grid.y0) / grid.dy;
                !(u >= 0.0 && v >= 0.0 && u < nxf && v < nyf)
            })
            .count();
        DensitySurface {
            grid: *grid,
            values,
            kernel: plan.kernel,
            bandwidth: plan.choice,
            units,
            binning: self.binning,
            method: plan.method,
            edge_corrected: plan.edge_mass.is_some(),
            label,
            points: x.len(),
            points_outside,
            total_weight: total_weight(x.len(), w),
        }
    }
}
