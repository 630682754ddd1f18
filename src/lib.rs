//! # byrum — where and when trouble concentrates in public squares and parks
//!
//! byrum turns exported incident logs, service registers, place polygons and
//! walking routes into answers for city planners: which squares attract
//! socially vulnerable groups, at which hours and seasons, and how that
//! relates to the services meant to help.
//!
//! Data flows one way, one module per step:
//!
//! | step | module (types) |
//! |---|---|
//! | read | [`read`] ([`IncidentReader`], [`read::geojson`]), [`IngestReport`] |
//! | model | [`Incidents`] (columnar), [`Place`], [`Service`], [`Route`], [`Schedule`] |
//! | project | [`Projection`] (WGS84 ↔ UTM, EPSG:25832 in Denmark) |
//! | assemble | [`Dataset`], [`DatasetBuilder`] (zone, projection, period) |
//! | index | [`SpatialIndex`] (one rstar index over everything), [`NearestOpen`] (nearest open service, many queries) |
//! | bin | [`TimeBinning`], [`BinSpec`], [`Period`], exposure hours, [`Darkness`] |
//! | grid | [`h3_cells`], [`h3_cells_covering`], [`H3Counts`] |
//! | statistic | [`Kde`], [`GiStar`], [`EmergingHotSpots`], [`RateChange`], [`open_shares`] |
//! | tiles | [`TileId`], [`ColourScale`], [`HeatmapTiles`] (XYZ, [`MbTilesWriter`], [`PmTilesWriter`]) |
//! | images | [`legend_image`], [`OverviewMap`] (per-bin overviews, small multiples) |
//! | output | [`Layer`] (GeoJSON), [`h3_layer`], [`place_bin_table`] (polars) |
//! | report | [`PlannerReport`] → [`Document`] (Markdown and HTML, [`Lang`] English or Danish) |
//!
//! Every distance is in metres in the data set's projection; every hour of
//! day is local time at the incident, daylight saving included. Every row
//! read is accepted or reported with its line and reason.
//!
//! ## Example
//!
//! ```
//! use byrum::*;
//! # let dir = std::env::temp_dir().join("byrum-doc-lib");
//! # std::fs::create_dir_all(&dir).unwrap();
//! # let path = dir.join("incidents.csv");
//! # std::fs::write(&path, "id,lon,lat,timestamp,category\n\
//! # 1,9.9170,57.0430,2023-07-14T21:37:00+02:00,noise\n\
//! # 2,9.9171,57.0431,2023-07-14T22:05:00+02:00,conflict\n\
//! # 3,9.9300,57.0468,2023-12-01T08:00:00+01:00,noise\n\
//! # 4,200.0,57.0,2023-12-01T08:00:00+01:00,noise\n").unwrap();
//! // Read: every row is accepted or rejected with its reason.
//! let batch = IncidentReader::new().read_csv(&path)?;
//! assert_eq!(batch.report.read, 4);
//! assert_eq!(batch.report.rejected_by_reason["bad_coordinate"], 1);
//!
//! // Assemble: EPSG:25832 and Europe/Copenhagen are chosen from the data.
//! let ds = DatasetBuilder::new().incidents(batch).build()?;
//! assert_eq!(ds.projection.epsg(), 25832);
//!
//! // Bin in local time and count per H3 cell with exposure.
//! let binning = TimeBinning::default();
//! let spec = BinSpec::of(&[Dimension::Hour]);
//! let inc = &ds.incidents;
//! let bins = binning.assign(&spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
//! let exposure = binning.exposure(&spec, &ds.period, ds.zone, ds.centre());
//! let res = h3_resolution(9)?;
//! let cells = h3_cells(&inc.lon, &inc.lat, res)?;
//! let counts = H3Counts::compute(res, &cells, &bins, None, binning.labels(&spec), exposure, None)?;
//! assert_eq!(counts.counts.iter().sum::<u64>(), 3);
//! let layer = h3_layer(&counts, 0);
//! assert_eq!(layer.len(), 2);
//! # Ok::<(), byrum::Error>(())
//! ```
#![forbid(unsafe_code)]

mod canvas;
mod cell_lookup;
mod change;
mod dataset;
mod document;
mod emerging;
mod error;
mod gistar;
mod grid;
mod heatmap;
mod hotspot;
mod index;
mod ingest;
mod isoline;
mod kde;
mod layer;
mod legend;
mod model;
mod opening;
mod output;
mod overview;
mod projection;
pub mod read;
mod report;
mod stats;
mod study_area;
mod table;
mod tile;
mod tile_archive;
mod time;
mod trend;
mod weights;

pub use dataset::{Dataset, DatasetBuilder};
pub use document::{Document, Lang, escape_markdown};
pub use error::{Error, Result};
pub use grid::{
    H3Counts, MetricGrid, coordinates_repeat, h3_cells, h3_cells_covering, h3_resolution,
};
pub use hotspot::{
    H3Change, H3Emerging, H3HotSpots, SquareHotSpots, SquareNeighbours, analysis_cells,
};
pub use index::{Segment, SpatialIndex};
pub use ingest::{IngestReport, IngestSummary, MAX_LISTED, Rejection, Warning};
pub use layer::{DECIMALS, Layer, cell_polygon, h3_layer};
pub use model::{
    Attributes, Dictionary, Incidents, Place, PlaceKind, Route, RouteKind, Schedule, Service,
    ServiceKind, TextColumn,
};
pub use opening::{OpenState, open_shares};
pub use output::{write_atomic, write_png};
pub use overview::OverviewMap;
pub use projection::{LATTICE_TOLERANCE_M, Projection, utm_zone};
pub use read::incidents::{ColumnMap, Crs, DuplicateRecords, IncidentBatch, IncidentReader};
pub use report::{PlannerReport, RouteFindings, ServiceFindings, describe_bin};
pub use study_area::StudyArea;
pub use table::{place_bin_table, write_csv};
pub use time::{
    Ambiguity, BinSpec, Darkness, Dimension, HourBuckets, Instant, ParsedTime, Period, Seasons,
    TimeBinning, TimeProblem, TimestampParser, ZoneInference, infer_zone, offset_at, parse_zone,
};

// issue 3, KDE (kde, isoline):
pub use isoline::{
    isoarea_layer, isoareas, isoline_layer, isolines, levels_at_quantiles, levels_of_max,
};
pub use kde::{
    Bandwidth, BandwidthChoice, Binning, DensitySurface, Kde, Kernel, Method, Units,
    arcgis_bandwidth, likelihood_cv_score, likelihood_cv_sigma, scott_sigma,
};

// issue 3, Gi* (weights, gistar, stats):
pub use gistar::{GiStar, GiStarResult, HotSpotClass, PermutationDraws};
pub use stats::{benjamini_hochberg, bh_adjusted, normal_cdf, normal_two_sided_p};
pub use weights::{Decay, SpatialWeights};

// issue 3, trend, change, emerging:
pub use change::{RateChange, RateRatio, rate_ratio};
pub use emerging::{
    EmergingCategory, EmergingHotSpots, EmergingResult, GlobalWindow, PeriodLength, Periods,
    classify_emerging,
};
pub use trend::{MannKendall, SenSlope, Trend, mann_kendall, sen_slope};

// issue 4, tiles:
pub use heatmap::{
    ColourScale, HeatmapTiles, Ramp, Scaling, TileSetSummary, metres_per_pixel, render_tile, sample,
};
pub use legend::legend_image;
pub use tile::{
    EARTH_RADIUS_M, MAX_LATITUDE, MAX_ZOOM, TileId, lonlat_to_mercator, mercator_to_lonlat,
    tiles_touching,
};
pub use tile_archive::{MbTilesWriter, PmTilesWriter, TileSetInfo, pmtiles_order};

// issue 5, services, opening hours, service gap, outreach windows:
mod service_gap;
pub use opening::{OPEN_MAJORITY, OpenTimes, Timetable};
pub use service_gap::{
    NO_SERVICE, NearbyService, OutreachWindow, OutreachWindows, ServiceGap, ServiceGapResult,
    opening_hours_problems, outreach_table, services_layer,
};

// issue 5, routes and safe-haven siting (route_segments, siting):
mod route_segments;
pub use route_segments::{
    HotCellCoverage, HotCellRule, HotSpotCoverage, NearRoute, PlaceCoverage, RoutePiece,
    RouteSegmentation, RouteSegments, RouteSummary, place_coverage_table,
};
mod siting;
pub use siting::{
    Candidate, Candidates, SafeHavenSiting, SafeHavens, SitePick, greedy_max_coverage,
};

// issue 5, evaluation of interventions (evaluation, read::interventions):
mod evaluation;
pub use evaluation::{
    Controls, DarkLight, Displacement, Estimate, Evaluation, Evaluations, InterventionResult,
    LightingSplit, WdqReading, WindowRule, Windows,
};
pub use read::interventions::{Intervention, InterventionKind, read_interventions};

// issue 5, place profiles:
mod profile;
pub use profile::{
    NextComparison, PlaceProfile, PlaceProfiles, PlaceProfilesResult, RankMetric, RateEstimate,
};

// issue 6, hostile input (read::incidents):
pub use read::incidents::{MAX_RECORD_BYTES, PLAUSIBLE_YEARS, parse_zone_suggesting};

// issue 6, privacy (privacy, heatmap tile limits):
mod privacy;
pub use heatmap::{MIN_TILE_BANDWIDTH_M, PIXELS_PER_BANDWIDTH, tile_bandwidth_m};
pub use privacy::{
    DEFAULT_MIN_COUNT, SparseMask, complementary_suppression, is_suppressed, mask_sparse,
    mask_sparse_bins, reach_counts, shown,
};

// issue 6, atomic and reproducible outputs, untrusted paths (output):
pub use output::{MAX_NAME_BYTES, OutputDir, safe_file_name};

// issue 6, differencing (complementary suppression across linked counts):
pub use privacy::{LinkedCounts, shown_if, withheld_parts, withheld_table};
pub use service_gap::GapWithheld;

// issue 7, mergeable aggregates (aggregate):
mod aggregate;
pub use aggregate::{
    AGGREGATE_MANIFEST, AggregateFiles, Aggregation, BinExposure, CellBinAggregate, CellBinCount,
    Partitioning, PeriodKey,
};

// issue 7, nearest open service at scale (nearest):
mod nearest;
pub use nearest::{Answered, CANDIDATES, NearestOpen};
