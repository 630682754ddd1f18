//! The command line: the subcommands, their option groups, and the resolved
//! [`Options`] every step of the pipeline reads.
//!
//! Options come in groups (input, output, hot spots, density, maps, planner,
//! evaluation); a subcommand takes only the groups it uses, so its `--help`
//! lists only what changes its result. A group a subcommand does not take is
//! filled with its defaults in [`Options`].

use std::path::PathBuf;

use clap::{Args, FromArgMatches, Parser, Subcommand};

/// Exit codes, the same for every subcommand (printed by `--help`).
pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0  done; every output written
  1  an unexpected failure inside byrum (please report it)
  2  a wrong option, option value or config file (the message names it)
  3  an input file is missing, unreadable or has no usable rows (the message names file, line and fix)
  4  the output folder could not be written (nothing was changed there)
  5  inspect --strict: the input has rows that would be rejected";

const MAIN_HELP: &str = "\
Examples:
  byrum report --input data/aalborg --out out/aalborg
      the whole job on the demo data: report, layers, tiles, images, map viewer
  byrum inspect --incidents export.csv --tz Europe/Copenhagen
      what is in a file, and which rows would be rejected and why
  byrum hotspots --config aalborg.toml --out out/hot
      only the hot spot layers, with the options saved in a config file
  byrum report --input data/aalborg --out out/aalborg --save-config aalborg.toml
      run, and save every option used to aalborg.toml for next year's run

Every option can also be set in a TOML config file (--config FILE), one key per
option with `_` for `-` (e.g. `h3_res = 10`, `tz = \"Europe/Copenhagen\"`); an
option on the command line wins over the file. Paths in a config file are read
relative to the file's folder.

The cargo form of the main job, `cargo run --release --example report -- --input
data/aalborg --out out/aalborg`, is `byrum report` under another name.";

/// Where and when incidents concentrate in squares and parks: from exported
/// incident logs, service registers, place polygons and routes to map layers,
/// heatmap tiles, a map viewer and a planner's report.
#[derive(Debug, Parser)]
#[command(
    name = "byrum",
    version,
    about,
    after_help = format!("{MAIN_HELP}\n\n{EXIT_CODES}"),
    args_override_self = true,
    propagate_version = true
)]
pub(crate) struct Cli {
    /// Options of every subcommand.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options of every subcommand.
#[derive(Debug, Clone, Args)]
pub(crate) struct GlobalArgs {
    /// Read options from a TOML file (keys are option names with `_`, e.g. h3_res = 10);
    /// options on the command line win.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Save every option of this run (given, from --config, or default) to a TOML file,
    /// to run the same analysis again with --config.
    #[arg(long, global = true, value_name = "FILE")]
    pub save_config: Option<PathBuf>,
    /// No progress bars and no step lines; errors and warnings still go to stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Print one JSON document on stdout at the end (what was read, rejected, written
    /// and found); progress and step lines go to stderr.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// The whole job: the planner's report (report.md, report.html) with every layer,
    /// table, tile set, image and the map viewer (index.html).
    #[command(after_help = format!("Examples:\n  byrum report --input data/aalborg --out out/aalborg\n  byrum report --input data/aalborg --out out/aalborg-da --lang da --min-count 10\n  byrum report --incidents export.csv --places places.geojson --tz Europe/Copenhagen --out out/city\n\n{EXIT_CODES}"))]
    Report(Box<ReportCmd>),
    /// Hot spots only: H3 counts, Gi* per time bin, emerging hot spots, the change
    /// between two periods, density isolines, the place × time table, and the map viewer.
    #[command(after_help = format!("Examples:\n  byrum hotspots --input data/aalborg --out out/hot\n  byrum hotspots --input data/aalborg --out out/hot --h3-res 10 --permutations 999 --hour-buckets 4\n\n{EXIT_CODES}"))]
    Hotspots(Box<HotspotsCmd>),
    /// Heatmap tiles per time bin (XYZ folders, MBTiles, PMTiles), the legend, the
    /// overview images, and the map viewer.
    #[command(after_help = format!("Examples:\n  byrum tiles --input data/aalborg --out out/tiles\n  byrum tiles --input data/aalborg --out out/tiles --ramp magma --tile-formats mbtiles --kde-bandwidth 150\n\n{EXIT_CODES}"))]
    Tiles(Box<TilesCmd>),
    /// Whether interventions worked: before/after rate ratios with control places,
    /// displacement into the surroundings, and darkness against daylight for lighting.
    #[command(after_help = format!("Examples:\n  byrum evaluate --input data/aalborg --out out/eval\n  byrum evaluate --input data/aalborg --interventions plans/2025.csv --out out/eval --evaluation-ring 300\n\n{EXIT_CODES}"))]
    Evaluate(Box<EvaluateCmd>),
    /// What is in the input: rows, columns read, time span and zone, and every row that
    /// would be rejected (file, line, reason). Writes nothing.
    #[command(after_help = format!("Examples:\n  byrum inspect --input data/aalborg\n  byrum inspect --incidents export.csv --columns \"x=lon,y=lat,timestamp=tid\" --tz Europe/Copenhagen\n  byrum inspect --input data/aalborg --json --strict   # for scripts: exit 5 if any row would be rejected\n\n{EXIT_CODES}"))]
    Inspect(Box<InspectCmd>),
}

impl Command {
    /// The subcommand's name, as typed.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Report(_) => "report",
            Self::Hotspots(_) => "hotspots",
            Self::Tiles(_) => "tiles",
            Self::Evaluate(_) => "evaluate",
            Self::Inspect(_) => "inspect",
        }
    }
}

/// `byrum report`.
#[derive(Debug, Args)]
pub(crate) struct ReportCmd {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub hot: HotArgs,
    #[command(flatten)]
    pub density: DensityArgs,
    #[command(flatten)]
    pub maps: MapArgs,
    #[command(flatten)]
    pub planner: PlannerArgs,
    /// Language of the planner report (report.md, report.html): en or da.
    #[arg(long, default_value = "en", value_parser = ["en", "da"], help_heading = "Report")]
    pub lang: String,
}

/// `byrum hotspots`.
#[derive(Debug, Args)]
pub(crate) struct HotspotsCmd {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub hot: HotArgs,
    #[command(flatten)]
    pub density: DensityArgs,
}

/// `byrum tiles`.
#[derive(Debug, Args)]
pub(crate) struct TilesCmd {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub density: DensityArgs,
    #[command(flatten)]
    pub maps: MapArgs,
}

/// `byrum evaluate`.
#[derive(Debug, Args)]
pub(crate) struct EvaluateCmd {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub eval: EvalArgs,
}

/// `byrum inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectCmd {
    #[command(flatten)]
    pub data: DataArgs,
    /// Interventions file to check too; default: interventions.csv in the --input folder.
    #[arg(long, value_name = "FILE")]
    pub interventions: Option<PathBuf>,
    /// Exit with code 5 when any row of any input would be rejected.
    #[arg(long)]
    pub strict: bool,
    /// How many rejected rows to list per file (all are counted).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub show: usize,
}

/// The input files and how to read them.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Input")]
pub(crate) struct DataArgs {
    /// Folder with incidents.csv (or .parquet), places.geojson, services.geojson,
    /// routes.geojson, interventions.csv [default: data/aalborg, unless --incidents is given]
    #[arg(long, value_name = "DIR")]
    pub input: Option<PathBuf>,
    /// Incidents file (CSV or Parquet); overrides the one in --input.
    #[arg(long, value_name = "FILE")]
    pub incidents: Option<PathBuf>,
    /// Places GeoJSON (squares, parks); overrides the one in --input.
    #[arg(long, value_name = "FILE")]
    pub places: Option<PathBuf>,
    /// Services GeoJSON; overrides the one in --input.
    #[arg(long, value_name = "FILE")]
    pub services: Option<PathBuf>,
    /// Routes GeoJSON; overrides the one in --input.
    #[arg(long, value_name = "FILE")]
    pub routes: Option<PathBuf>,
    /// Study area: a GeoJSON polygon file, or a file or text "min_lon,min_lat,max_lon,max_lat".
    #[arg(long, value_name = "FILE|BBOX")]
    pub study_area: Option<String>,
    /// IANA time zone of timestamps without a UTC offset (e.g. Europe/Copenhagen)
    /// [default: the zone at the data's location].
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Column mapping, e.g. "x=easting,y=northing,timestamp=tidspunkt,category=kategori".
    #[arg(long, value_name = "MAP")]
    pub columns: Option<String>,
    /// Coordinate system of the incident x/y columns (EPSG:4326 or a UTM code such as EPSG:25832).
    #[arg(long, default_value = "EPSG:4326")]
    pub crs: String,
    /// chrono format of the timestamp column, e.g. "%d-%m-%Y %H:%M".
    #[arg(long, value_name = "FORMAT")]
    pub time_format: Option<String>,
    /// Rule for local times that happen twice (fall back): earlier, later or reject.
    #[arg(long, default_value = "earlier", value_parser = ["earlier", "later", "reject"])]
    pub ambiguous: String,
    /// Reject rows identical to an earlier one except for the id (default: keep and warn).
    #[arg(long)]
    pub drop_duplicates: bool,
    /// Country whose public holidays `PH` in opening hours means (ISO code).
    #[arg(long, default_value = "DK")]
    pub country: String,
    /// Length of the hour-of-day buckets in hours (divides 24).
    #[arg(long, default_value_t = 3, value_name = "HOURS")]
    pub hour_buckets: u8,
}

/// Where to write, and what to protect.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Output")]
pub(crate) struct OutputArgs {
    /// Output folder; byrum writes a whole folder and replaces it only when every file is
    /// written [report: default out/aalborg].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Counts below this (but above 0) are suppressed in outputs to protect individuals; 0
    /// disables. Density maps, isolines and tiles show only cells with at least this many
    /// incidents within the kernel's reach.
    #[arg(long, default_value_t = 5, value_name = "K")]
    pub min_count: u64,
    /// Also write the raw incident points (incidents.geojson). They can identify people:
    /// never publish them.
    #[arg(long)]
    pub raw_points: bool,
    /// Do not write the map viewer (index.html and viewer/).
    #[arg(long)]
    pub no_viewer: bool,
}

/// H3 cells, Gi*, emerging hot spots and the change map.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Hot spots")]
pub(crate) struct HotArgs {
    /// H3 resolution of the hotspot layer (9 ≈ 170 m cells, 10 ≈ 65 m).
    #[arg(long, default_value_t = 9, value_name = "RES", value_parser = clap::value_parser!(u8).range(0..=15))]
    pub h3_res: u8,
    /// Gi* neighbourhood: the H3 cells within this many rings of a cell, itself included.
    #[arg(long, default_value_t = 1, value_name = "RINGS")]
    pub gistar_k: u32,
    /// Gi* neighbour weights: binary, or bisquare (distance decay reaching zero just past ring k).
    #[arg(long, default_value = "binary", value_parser = ["binary", "bisquare"])]
    pub gistar_weights: String,
    /// Conditional permutations for Gi* pseudo p-values (0: analytic p only; 999 is usual).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub permutations: usize,
    /// Seed of the permutations (the same seed gives the same p-values).
    #[arg(long, default_value_t = 12345)]
    pub seed: u64,
    /// False discovery rate for the Benjamini-Hochberg flag.
    #[arg(long, default_value_t = 0.05, value_name = "RATE")]
    pub fdr_alpha: f64,
    /// Also run Gi* on squares of this many metres (writes gistar_square.geojson); 0: off.
    #[arg(long, default_value_t = 0.0, value_name = "METRES")]
    pub square_cell: f64,
    /// Neighbours of a square: queen (the 8 touching squares), or a distance band in metres (e.g. 250).
    #[arg(long, default_value = "queen")]
    pub square_neighbours: String,
    /// Emerging hot spot period: auto, or a length such as 7d, 4w, 1m, 1y.
    #[arg(long, default_value = "auto")]
    pub emerging_period: String,
    /// Emerging hot spot neighbourhood time step (periods before the current one that count as neighbours).
    #[arg(long, default_value_t = 1, value_name = "PERIODS")]
    pub emerging_time_step: usize,
    /// Emerging hot spots of one time bin only: an hour bucket (e.g. 21-24) or an hour-bucket and
    /// season bin (e.g. 21-24_winter) [default: all hours].
    #[arg(long, value_name = "BIN")]
    pub emerging_bin: Option<String>,
    /// Change map: B starts on this local date (YYYY-MM-DD) [default: the middle of the period].
    #[arg(long, value_name = "DATE")]
    pub change_split: Option<String>,
    /// Also write exact H3 × time-bin × month counts and exposure (partitioned Parquet) to
    /// this folder, to merge runs split by region or year. NOT suppressed, not for
    /// publication: keep it outside --out.
    #[arg(long, value_name = "DIR")]
    pub aggregates: Option<PathBuf>,
}

/// Kernel density.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Density")]
pub(crate) struct DensityArgs {
    /// Kernel density kernel.
    #[arg(long, default_value = "quartic", value_parser = ["quartic", "epanechnikov", "gaussian", "triangular", "uniform"])]
    pub kde_kernel: String,
    /// Kernel density bandwidth: metres (e.g. 150), or arcgis, scott or lcv.
    #[arg(long, default_value = "arcgis")]
    pub kde_bandwidth: String,
    /// Cell size of the density raster in metres (made larger if the raster would exceed 4 million cells).
    #[arg(long, default_value_t = 10.0, value_name = "METRES")]
    pub kde_cell: f64,
    /// Isoline levels as fractions of the highest density over all time bins (one scale for all bins).
    #[arg(long, default_value = "0.1,0.25,0.5,0.75", value_name = "FRACTIONS")]
    pub kde_levels: String,
    /// Smallest kernel bandwidth in metres (quartic-equivalent radius) of the density maps,
    /// isolines and tiles: a narrower chosen bandwidth is raised to it, so one incident is
    /// spread over a small square. Tiles stop at the zoom whose pixels are 1/8 of the bandwidth.
    #[arg(long, default_value_t = byrum::MIN_TILE_BANDWIDTH_M, value_name = "METRES")]
    pub min_bandwidth: f64,
}

/// Heatmap tiles and images.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Maps")]
pub(crate) struct MapArgs {
    /// Skip the heatmap tiles (tiles/<bin>/{z}/{x}/{y}.png, tiles/<bin>.mbtiles, tiles/<bin>.pmtiles).
    #[arg(long)]
    pub no_tiles: bool,
    /// Tile outputs, comma-separated: xyz (PNG folders), mbtiles, pmtiles.
    #[arg(long, default_value = "xyz,mbtiles,pmtiles", value_name = "FORMATS")]
    pub tile_formats: String,
    /// Colour scaling of tiles and images: log (densities span orders of magnitude),
    /// linear, or quantile (7 classes of equal area).
    #[arg(long, default_value = "log", value_parser = ["log", "linear", "quantile"])]
    pub colour_scale: String,
    /// Top of the colour scale: max (the highest density of any bin), a quantile of all
    /// non-zero densities such as q0.99, or a value in incidents per km² per hour.
    #[arg(long, default_value = "max")]
    pub colour_max: String,
    /// Densities below this share of the top of the scale are transparent.
    #[arg(long, default_value_t = 0.02, value_name = "SHARE")]
    pub colour_threshold: f64,
    /// Width of the overview images in pixels.
    #[arg(long, default_value_t = 1600, value_name = "PIXELS")]
    pub image_width: u32,
    /// Tile zoom levels, e.g. 12-17.
    #[arg(long, default_value = "12-17", value_name = "RANGE")]
    pub tile_zooms: String,
    /// The most tile renders (tiles × time bins) to make; the deepest zooms are left out, with a
    /// message, until the rest fits (a city-wide study area at z17 is hundreds of thousands).
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub max_tile_renders: usize,
    /// Tile size in pixels (256 or 512).
    #[arg(long, default_value_t = 256, value_name = "PIXELS")]
    pub tile_size: u32,
    /// Colour ramp of tiles and images.
    #[arg(long, default_value = "viridis", value_parser = ["viridis", "magma", "inferno", "cividis", "ylorrd"])]
    pub ramp: String,
}

/// The planner analyses of the report.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Planner analyses")]
pub(crate) struct PlannerArgs {
    /// Service kinds that count as help for the service-gap hours
    /// (comma-separated: warming_room, drop_in_centre, shelter, health_room,
    /// toilet, outreach, or any kind in the services file; "all" for every kind).
    #[arg(
        long,
        default_value = "warming_room,drop_in_centre,shelter,health_room,outreach",
        value_name = "KINDS"
    )]
    pub gap_kinds: String,
    /// Walking distance in metres (straight line) within which an open service reaches an incident.
    #[arg(long, default_value_t = 500.0, value_name = "METRES")]
    pub gap_distance: f64,
    /// Length of an outreach window in hours (1-24).
    #[arg(long, default_value_t = 3, value_name = "HOURS")]
    pub outreach_hours: u32,
    /// How many outreach windows to list.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub outreach_windows: usize,
    /// Rank places by incidents per hour per 1,000 m² (per-area) or per hour (per-hour).
    #[arg(long, default_value = "per-area", value_parser = ["per-area", "per-hour"])]
    pub rank_by: String,
    /// Length of a route segment in metres.
    #[arg(long, default_value_t = 50.0, value_name = "METRES")]
    pub segment_length: f64,
    /// Distance in metres from a route within which an incident counts for it.
    #[arg(long, default_value_t = 50.0, value_name = "METRES")]
    pub route_buffer: f64,
    /// Which Gi* hot cells the route coverage checks: fdr, 90, 95 or 99.
    #[arg(long, default_value = "fdr", value_parser = ["fdr", "90", "95", "99"])]
    pub hot_cells: String,
    /// Number of mobile safe havens to site.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub havens: usize,
    /// Walking radius in metres (straight line) a safe haven reaches.
    #[arg(long, default_value_t = 250.0, value_name = "METRES")]
    pub haven_radius: f64,
    /// Candidate sites: a GeoJSON file of points, or a grid spacing in metres (e.g. 100).
    #[arg(long, default_value = "100", value_name = "FILE|METRES")]
    pub haven_candidates: String,
    #[command(flatten)]
    pub eval: EvalArgs,
}

/// Evaluating interventions.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Evaluation")]
pub(crate) struct EvalArgs {
    /// Interventions to evaluate (CSV: place_id, date, kind, description[, controls]);
    /// default: interventions.csv in the --input folder.
    #[arg(long, value_name = "FILE")]
    pub interventions: Option<PathBuf>,
    /// Width in metres of the ring around an intervention place checked for displacement.
    #[arg(long, default_value_t = 200.0, value_name = "METRES")]
    pub evaluation_ring: f64,
}

/// The options of one run, resolved: the subcommand's own groups, and the
/// defaults of the groups it does not take.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The input files and how to read them.
    pub data: DataArgs,
    /// The output folder (the staging folder while the run writes).
    pub out: PathBuf,
    /// The smallest count shown (k).
    pub min_count: u64,
    /// Write the raw points too.
    pub raw_points: bool,
    /// Write the map viewer.
    pub viewer: bool,
    /// Hot spots.
    pub hot: HotArgs,
    /// Density.
    pub density: DensityArgs,
    /// Tiles and images.
    pub maps: MapArgs,
    /// Planner analyses.
    pub planner: PlannerArgs,
    /// Report language.
    pub lang: String,
}

/// The defaults of an option group, as `--help` shows them.
fn defaults<T: Args + FromArgMatches>() -> T {
    let cmd = T::augment_args(clap::Command::new("defaults"));
    let matches = cmd
        .try_get_matches_from(["defaults"])
        .expect("every option of a group has a default or is optional");
    T::from_arg_matches(&matches).expect("defaults parse")
}

impl Options {
    /// Options with every group at its defaults but `data` and `output`.
    fn base(data: DataArgs, output: &OutputArgs, default_out: Option<&str>) -> byrum::Result<Self> {
        let out = match (&output.out, default_out) {
            (Some(o), _) => o.clone(),
            (None, Some(d)) => PathBuf::from(d),
            (None, None) => {
                return Err(byrum::Error::Parameter {
                    name: "--out",
                    reason:
                        "no output folder: give --out DIR (a folder byrum may replace as a whole)"
                            .into(),
                });
            }
        };
        Ok(Self {
            data,
            out,
            min_count: output.min_count,
            raw_points: output.raw_points,
            viewer: !output.no_viewer,
            hot: defaults(),
            density: defaults(),
            maps: defaults(),
            planner: defaults(),
            lang: "en".into(),
        })
    }

    /// `byrum report`: every group.
    pub(crate) fn report(c: &ReportCmd) -> byrum::Result<Self> {
        let mut o = Self::base(c.data.clone(), &c.output, Some("out/aalborg"))?;
        o.hot = c.hot.clone();
        o.density = c.density.clone();
        o.maps = c.maps.clone();
        o.planner = c.planner.clone();
        o.lang.clone_from(&c.lang);
        Ok(o)
    }

    /// `byrum hotspots`.
    pub(crate) fn hotspots(c: &HotspotsCmd) -> byrum::Result<Self> {
        let mut o = Self::base(c.data.clone(), &c.output, None)?;
        o.hot = c.hot.clone();
        o.density = c.density.clone();
        Ok(o)
    }

    /// `byrum tiles`.
    pub(crate) fn tiles(c: &TilesCmd) -> byrum::Result<Self> {
        let mut o = Self::base(c.data.clone(), &c.output, None)?;
        o.density = c.density.clone();
        o.maps = c.maps.clone();
        Ok(o)
    }

    /// `byrum evaluate`.
    pub(crate) fn evaluate(c: &EvaluateCmd) -> byrum::Result<Self> {
        let mut o = Self::base(c.data.clone(), &c.output, None)?;
        o.planner.eval = c.eval.clone();
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
