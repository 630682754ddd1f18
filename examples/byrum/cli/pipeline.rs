//! The steps every subcommand is made of, in the crate's one direction:
//! read → index → bin → statistic → layer/table. A subcommand (`commands`)
//! runs the steps it needs.

use std::path::{Path, PathBuf};

use byrum::{
    Ambiguity, Bandwidth, BinSpec, ColumnMap, Crs, Dataset, DatasetBuilder, Decay, DensitySurface,
    Dimension, DuplicateRecords, EmergingHotSpots, GiStar, H3Change, H3Counts, H3Emerging,
    H3HotSpots, HourBuckets, IncidentReader, IngestReport, Kde, Kernel, Layer, MetricGrid, Period,
    PeriodLength, Periods, SpatialIndex, SquareHotSpots, SquareNeighbours, StudyArea, TimeBinning,
    Units, analysis_cells, h3_cells, h3_resolution, isoline_layer, mask_sparse, mask_sparse_bins,
    parse_zone_suggesting, read,
};
use geo::{BoundingRect, ConvexHull};

use super::args::{DataArgs, Options};
use super::ui::{self, done, note, spinner};

/// The input files found for a run.
pub(crate) struct Inputs {
    /// The input folder (`--input`, or the demo folder when no file is named).
    pub dir: Option<PathBuf>,
    /// The incidents file.
    pub incidents: PathBuf,
    /// Places, services and routes, where given or found in the folder.
    pub places: Option<PathBuf>,
    /// Services.
    pub services: Option<PathBuf>,
    /// Routes.
    pub routes: Option<PathBuf>,
}

/// The file to read for `name`: the explicit flag, else `<input>/<name>` if it exists.
fn pick(explicit: Option<&PathBuf>, input: Option<&Path>, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.clone());
    }
    let dir = input?;
    names.iter().map(|n| dir.join(n)).find(|p| p.exists())
}

impl Inputs {
    /// The files named by the options or found in the input folder.
    pub(crate) fn find(data: &DataArgs) -> byrum::Result<Self> {
        let dir: Option<PathBuf> = match (&data.input, &data.incidents) {
            (Some(i), _) => Some(i.clone()),
            (None, None) => Some(PathBuf::from("data/aalborg")),
            (None, Some(_)) => None,
        };
        if let Some(d) = &dir
            && !d.is_dir()
        {
            return Err(byrum::Error::Input {
                path: d.clone(),
                message: "is not a folder: give --input a folder holding incidents.csv (or .parquet), or name the file with --incidents".into(),
            });
        }
        let input = dir.as_deref();
        let incidents = pick(
            data.incidents.as_ref(),
            input,
            &["incidents.csv", "incidents.parquet"],
        )
        .ok_or_else(|| match input {
            Some(d) => byrum::Error::Input {
                path: d.to_path_buf(),
                message: "holds no incidents.csv or incidents.parquet: add one, or name the file with --incidents FILE".into(),
            },
            None => byrum::Error::Parameter {
                name: "--incidents",
                reason: "no incidents file: give --incidents FILE or an --input folder with incidents.csv".into(),
            },
        })?;
        Ok(Self {
            incidents,
            places: pick(data.places.as_ref(), input, &["places.geojson"]),
            services: pick(data.services.as_ref(), input, &["services.geojson"]),
            routes: pick(data.routes.as_ref(), input, &["routes.geojson"]),
            dir,
        })
    }
}

/// The study area of `--study-area`, if given.
fn study_area(data: &DataArgs) -> byrum::Result<Option<StudyArea>> {
    Ok(match &data.study_area {
        None => None,
        Some(s) if Path::new(s).exists() => Some(StudyArea::from_file(Path::new(s))?),
        Some(s) => Some(StudyArea::from_bbox_str(s)?),
    })
}

/// The incident reader the options describe.
pub(crate) fn incident_reader(data: &DataArgs) -> byrum::Result<IncidentReader> {
    let mut reader = IncidentReader::new().crs(Crs::parse(&data.crs)?).ambiguity(
        match data.ambiguous.as_str() {
            "later" => Ambiguity::Later,
            "reject" => Ambiguity::Reject,
            _ => Ambiguity::Earlier,
        },
    );
    if let Some(c) = &data.columns {
        reader = reader.columns(ColumnMap::parse(c)?);
    }
    if let Some(tz) = &data.tz {
        reader = reader.zone(parse_zone_suggesting(tz)?);
    }
    if let Some(f) = &data.time_format {
        reader = reader.time_format(f.clone());
    }
    if let Some(a) = study_area(data)? {
        reader = reader.study_area(a);
    }
    if data.drop_duplicates {
        reader = reader.duplicate_records(DuplicateRecords::Reject);
    }
    Ok(reader)
}

/// Reads places, services and routes where given: each with its report.
pub(crate) type Extras = (
    Option<(Vec<byrum::Place>, IngestReport)>,
    Option<(Vec<byrum::Service>, IngestReport)>,
    Option<(Vec<byrum::Route>, IngestReport)>,
);

/// Reads the places, services and routes files found.
/// `announce`: print a line per file read.
pub(crate) fn read_extras(inputs: &Inputs, country: &str, announce: bool) -> byrum::Result<Extras> {
    let country = Some(country);
    let used = |what: &str, p: &Path, r: &IngestReport| {
        if !announce {
            return;
        }
        ui::say(&format!(
            "  {what} {}: {} of {} features used",
            p.display(),
            r.accepted,
            r.read
        ));
    };
    let places = match &inputs.places {
        Some(p) => {
            let (v, r) = read::geojson::read_places(p)?;
            used("places", p, &r);
            Some((v, r))
        }
        None => None,
    };
    let services = match &inputs.services {
        Some(p) => {
            let (v, r) = read::geojson::read_services(p, country)?;
            used("services", p, &r);
            Some((v, r))
        }
        None => None,
    };
    let routes = match &inputs.routes {
        Some(p) => {
            let (v, r) = read::geojson::read_routes(p, country)?;
            used("routes", p, &r);
            Some((v, r))
        }
        None => None,
    };
    Ok((places, services, routes))
}

/// The data set, its spatial index and the place of every incident.
pub(crate) struct Loaded {
    /// The input files.
    pub inputs: Inputs,
    /// Incidents, places, services, routes, projection, zone, period.
    pub ds: Dataset,
    /// The one spatial index every analysis shares.
    pub index: SpatialIndex,
    /// The place of each incident (`u32::MAX`: none).
    pub place_of: Vec<u32>,
}

/// Read and index.
pub(crate) fn load(args: &Options) -> byrum::Result<Loaded> {
    let data = &args.data;
    let inputs = Inputs::find(data)?;
    let reader = incident_reader(data)?;
    let pb = spinner(&format!("reading {}", inputs.incidents.display()));
    let batch = reader.read_path(&inputs.incidents)?;
    done(
        &pb,
        format!(
            "read {}: {} rows, {} accepted, {} rejected",
            inputs.incidents.display(),
            batch.report.read,
            batch.report.accepted,
            batch.report.rejected
        ),
    );
    for w in batch.report.warnings.iter().filter(|w| w.line.is_none()) {
        if w.kind == "lon_lat_swapped" || w.kind == "no_rows" {
            ui::warn(&w.message);
        }
    }
    let mut builder = DatasetBuilder::new().incidents(batch);
    let (places, services, routes) = read_extras(&inputs, &data.country, true)?;
    if let Some((v, r)) = places {
        builder = builder.places(v, r);
    }
    if let Some((v, r)) = services {
        builder = builder.services(v, r);
    }
    if let Some((v, r)) = routes {
        builder = builder.routes(v, r);
    }
    if let Some(tz) = &data.tz {
        builder = builder.zone(parse_zone_suggesting(tz)?);
    }
    if let Some(a) = study_area(data)? {
        builder = builder.study_area(a);
    }
    let ds = builder.build()?;
    let (first, last) = ds.period.describe(ds.zone);
    ui::say(&format!(
        "  projection EPSG:{}, time zone {}, period {first} – {last} ({:.0} hours)",
        ds.projection.epsg(),
        ds.zone.name(),
        ds.period.hours()
    ));

    let pb = spinner("indexing");
    let index = SpatialIndex::build(&ds)?;
    let place_of = index.place_of_incidents(&ds);
    done(
        &pb,
        format!(
            "indexed {} incidents, {} places, {} services, {} route segments",
            index.incident_count(),
            ds.places.len(),
            ds.services.len(),
            index.segments().len()
        ),
    );
    Ok(Loaded {
        inputs,
        ds,
        index,
        place_of,
    })
}

/// Every incident in its time bins: the map bins (hour bucket × season) and
/// the table bins (hour, day type, season, darkness), with real hours per bin.
pub(crate) struct Binned {
    /// The binning (hour buckets, seasons).
    pub binning: TimeBinning,
    /// Hour bucket × season.
    pub map_spec: BinSpec,
    /// Map bin of each incident.
    pub map_bins: Vec<u32>,
    /// Real hours per map bin.
    pub map_exposure: Vec<f64>,
    /// Map bin names.
    pub map_labels: Vec<String>,
    /// Hour × day type × season × darkness.
    pub table_spec: BinSpec,
    /// Table bin of each incident.
    pub table_bins: Vec<u32>,
    /// Real hours per table bin.
    pub table_exposure: Vec<f64>,
}

/// Bin time.
pub(crate) fn bin(args: &Options, ds: &Dataset) -> byrum::Result<Binned> {
    let pb = spinner("binning time");
    let binning = TimeBinning {
        hours: HourBuckets::every(args.data.hour_buckets)?,
        ..TimeBinning::default()
    };
    let inc = &ds.incidents;
    let map_spec = BinSpec::of(&[Dimension::Hour, Dimension::Season]);
    let map_bins = binning.assign(&map_spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
    let map_exposure = binning.exposure(&map_spec, &ds.period, ds.zone, ds.centre());
    let table_spec = BinSpec::of(&[
        Dimension::Hour,
        Dimension::DayType,
        Dimension::Season,
        Dimension::Darkness,
    ]);
    let table_bins = binning.assign(&table_spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
    let table_exposure = binning.exposure(&table_spec, &ds.period, ds.zone, ds.centre());
    done(
        &pb,
        format!(
            "binned into {} map bins and {} table bins",
            map_exposure.len(),
            table_exposure.len()
        ),
    );
    let map_labels = binning.labels(&map_spec);
    Ok(Binned {
        binning,
        map_spec,
        map_bins,
        map_exposure,
        map_labels,
        table_spec,
        table_bins,
        table_exposure,
    })
}

/// H3 counts and the hot spot statistics on them.
pub(crate) struct HotSpotStage {
    /// Counts per cell and map bin.
    pub counts: H3Counts,
    /// Gi* per cell, overall and per bin.
    pub hotspots: H3HotSpots,
    /// Gi* on squares, with `--square-cell`.
    pub squares: Option<SquareHotSpots>,
    /// Emerging hot spots, or why they were skipped.
    pub emerging: byrum::Result<H3Emerging>,
    /// The change map, or why it was skipped.
    pub change: byrum::Result<H3Change>,
}

/// Count H3 cells; Gi*; emerging hot spots; the change map.
pub(crate) fn hot_spots(
    args: &Options,
    ds: &Dataset,
    bins: &Binned,
) -> byrum::Result<HotSpotStage> {
    let hot = &args.hot;
    let inc = &ds.incidents;
    let pb = spinner("counting H3 cells");
    let res = h3_resolution(hot.h3_res)?;
    let cells = h3_cells(&inc.lon, &inc.lat, res)?;
    let area_cells = analysis_cells(&cells, ds.study_area.as_ref().map(StudyArea::polygon), res)?;
    let counts = H3Counts::compute(
        res,
        &cells,
        &bins.map_bins,
        inc.weight.as_deref(),
        bins.map_labels.clone(),
        bins.map_exposure.clone(),
        Some(&area_cells),
    )?;
    done(
        &pb,
        format!(
            "counted {} incidents in {} H3 cells (resolution {}), {} of them analysed",
            inc.len(),
            counts.cells.len(),
            hot.h3_res,
            area_cells.len()
        ),
    );

    let pb = spinner("Gi* hot spots per time bin");
    let decay = match hot.gistar_weights.as_str() {
        "bisquare" => Decay::Bisquare {
            // Centres of ring-k cells lie about k·√3 edge lengths away.
            bandwidth_m: f64::from(hot.gistar_k + 1) * 3f64.sqrt() * res.edge_length_m(),
        },
        _ => Decay::Binary,
    };
    let gistar = GiStar::new()
        .permutations(hot.permutations)
        .seed(hot.seed)
        .fdr_alpha(hot.fdr_alpha);
    let hotspots = H3HotSpots::compute(&counts, hot.gistar_k, decay, &gistar, &ds.projection)?;
    let n_hot = hotspots.overall.class.iter().filter(|c| c.is_hot()).count();
    let n_cold = hotspots
        .overall
        .class
        .iter()
        .filter(|c| c.is_cold())
        .count();
    done(
        &pb,
        format!(
            "Gi* over {} cells (k = {}): {n_hot} hot and {n_cold} cold at 90 % or more, {} significant after FDR",
            hotspots.cells.len(),
            hot.gistar_k,
            hotspots
                .overall
                .fdr_significant
                .iter()
                .filter(|&&f| f)
                .count()
        ),
    );

    let squares = if hot.square_cell > 0.0 {
        Some(square_hot_spots(args, ds, bins, decay, &gistar)?)
    } else {
        None
    };

    let pb = spinner("emerging hot spots");
    let emerging = emerging_hot_spots(args, ds, bins, &area_cells, &cells, decay);
    match &emerging {
        Ok(e) => done(
            &pb,
            format!(
                "emerging hot spots over {} periods of {:?}: {} cells in a hot spot category",
                e.periods.len(),
                e.periods.length(),
                e.result.category.iter().filter(|c| c.is_hot()).count()
            ),
        ),
        Err(err) => done(&pb, format!("emerging hot spots skipped: {err}")),
    }

    let pb = spinner("change between periods");
    let change = change_between(args, ds, bins, &cells, &area_cells, res);
    match &change {
        Ok(c) => done(
            &pb,
            format!(
                "change {} → {}: {} cells significantly up, {} down",
                c.names.0,
                c.names.1,
                c.total
                    .iter()
                    .filter(|r| r.significant && r.ratio_low > 1.0)
                    .count(),
                c.total
                    .iter()
                    .filter(|r| r.significant && r.ratio_high < 1.0)
                    .count()
            ),
        ),
        Err(err) => done(&pb, format!("change map skipped: {err}")),
    }
    Ok(HotSpotStage {
        counts,
        hotspots,
        squares,
        emerging,
        change,
    })
}

/// Gi* on squares of `--square-cell` metres.
fn square_hot_spots(
    args: &Options,
    ds: &Dataset,
    bins: &Binned,
    decay: Decay,
    gistar: &GiStar,
) -> byrum::Result<SquareHotSpots> {
    let hot = &args.hot;
    let inc = &ds.incidents;
    let pb = spinner("Gi* on squares");
    let area = if let Some(a) = &ds.study_area {
        ds.projection.forward_geometry(a.polygon())?
    } else {
        let points: geo::MultiPoint = inc
            .x
            .iter()
            .zip(&inc.y)
            .map(|(&x, &y)| geo::Point::new(x, y))
            .collect();
        geo::MultiPolygon(vec![points.convex_hull()])
    };
    let r = area
        .bounding_rect()
        .ok_or_else(|| byrum::Error::Parameter {
            name: "study area",
            reason: "has no extent".into(),
        })?;
    let grid = MetricGrid::covering(
        (r.min().x, r.min().y, r.max().x, r.max().y),
        hot.square_cell,
    )?;
    let neighbours = match hot.square_neighbours.as_str() {
        "queen" => SquareNeighbours::Queen,
        d => SquareNeighbours::DistanceBand {
            distance_m: d
                .trim_end_matches('m')
                .parse()
                .map_err(|_| byrum::Error::Parameter {
                    name: "--square-neighbours",
                    reason: format!("{d:?}: use queen or a distance in metres"),
                })?,
            decay,
        },
    };
    let sq = SquareHotSpots::compute(
        &grid,
        &area,
        &inc.x,
        &inc.y,
        &bins.map_bins,
        &bins.map_labels,
        neighbours,
        gistar,
    )?;
    done(
        &pb,
        format!(
            "Gi* over {} squares of {} m: {} hot, {} cold",
            sq.cells.len(),
            hot.square_cell,
            sq.overall.class.iter().filter(|c| c.is_hot()).count(),
            sq.overall.class.iter().filter(|c| c.is_cold()).count()
        ),
    );
    Ok(sq)
}

/// Emerging hot spots over periods (all hours, or one `--emerging-bin`).
fn emerging_hot_spots(
    args: &Options,
    ds: &Dataset,
    bins: &Binned,
    area_cells: &[h3o::CellIndex],
    cells: &[h3o::CellIndex],
    decay: Decay,
) -> byrum::Result<H3Emerging> {
    let hot = &args.hot;
    let inc = &ds.incidents;
    let periods = match hot.emerging_period.as_str() {
        "auto" => Periods::automatic(&ds.period, ds.zone),
        s => Periods::split(&ds.period, ds.zone, parse_period_length(s)?),
    }?;
    let subset: Option<Vec<bool>> = match &hot.emerging_bin {
        None => None,
        Some(label) => {
            if let Some(b) = bins.map_labels.iter().position(|l| l == label) {
                Some(bins.map_bins.iter().map(|&m| m as usize == b).collect())
            } else if let Some(h) =
                (0..bins.binning.hours.len()).find(|&h| bins.binning.hours.name(h) == label)
            {
                let hour_spec = BinSpec::of(&[Dimension::Hour]);
                let hours =
                    bins.binning
                        .assign(&hour_spec, &inc.utc, &inc.offset, &inc.lon, &inc.lat);
                Some(hours.iter().map(|&x| x as usize == h).collect())
            } else {
                return Err(byrum::Error::Parameter {
                    name: "--emerging-bin",
                    reason: format!(
                        "{label:?} is neither an hour bucket nor a bin; bins are {}",
                        bins.map_labels.join(", ")
                    ),
                });
            }
        }
    };
    let subset_name = hot.emerging_bin.clone().unwrap_or_else(|| "all".to_owned());
    let settings = EmergingHotSpots::new()
        .time_step(hot.emerging_time_step)
        .permutations(hot.permutations)
        .seed(hot.seed)
        .alpha(hot.fdr_alpha);
    H3Emerging::compute(
        area_cells,
        cells,
        &inc.utc,
        subset.as_deref(),
        &subset_name,
        &periods,
        hot.gistar_k,
        decay,
        &ds.projection,
        &settings,
    )
}

/// Kernel density per map bin and over all hours, masked where fewer than k
/// incidents are within reach, and its isolines on one scale.
pub(crate) struct Density {
    /// The raster.
    pub grid: MetricGrid,
    /// Per map bin.
    pub surfaces: Vec<DensitySurface>,
    /// All hours, per km² per hour.
    pub overall: DensitySurface,
    /// Isoline layers: (file, layer).
    pub isolines: Vec<(String, Layer)>,
    /// Isoline levels as fractions of `top`.
    pub fractions: Vec<f64>,
    /// The highest density of any bin (0: nothing to show).
    pub top: f64,
}

/// Kernel density per time bin.
pub(crate) fn density(args: &Options, ds: &Dataset, bins: &Binned) -> byrum::Result<Density> {
    let d = &args.density;
    let inc = &ds.incidents;
    let pb = spinner("kernel density per time bin");
    let kernel: Kernel = d.kde_kernel.parse()?;
    let bandwidth: Bandwidth = d.kde_bandwidth.parse()?;
    let bbox = if let Some(a) = &ds.study_area {
        let p = ds.projection.forward_geometry(a.polygon())?;
        let r = p.bounding_rect().ok_or_else(|| byrum::Error::Parameter {
            name: "study area",
            reason: "has no extent".into(),
        })?;
        (r.min().x, r.min().y, r.max().x, r.max().y)
    } else {
        let (lo_x, hi_x) = min_max(&inc.x);
        let (lo_y, hi_y) = min_max(&inc.y);
        (lo_x - 250.0, lo_y - 250.0, hi_x + 250.0, hi_y + 250.0)
    };
    let area_m2 = (bbox.2 - bbox.0) * (bbox.3 - bbox.1);
    let cell = d.kde_cell.max((area_m2 / 4.0e6).sqrt());
    let grid = MetricGrid::covering(bbox, cell)?;
    let mut kde = Kde::new().kernel(kernel).bandwidth(bandwidth);
    if let Some(a) = &ds.study_area {
        kde = kde.edge_correction(ds.projection.forward_geometry(a.polygon())?);
    }
    // Privacy: a bandwidth floor (quartic-equivalent radius), so that one
    // incident is never a sharp spot on a map.
    let chosen = kde.select_bandwidth(&grid, &inc.x, &inc.y, inc.weight.as_deref())?;
    let equivalent = Kernel::Quartic.bandwidth_for_sigma(chosen.sigma_m);
    if equivalent < d.min_bandwidth {
        let h = kernel.bandwidth_for_sigma(Kernel::Quartic.gaussian_sigma(d.min_bandwidth));
        note(
            &pb,
            format!(
                "  the {} bandwidth {:.0} m is below --min-bandwidth {:.0} m: using {h:.0} m so single incidents cannot be read off the maps",
                bandwidth.as_str(),
                chosen.metres,
                d.min_bandwidth
            ),
        );
        kde = kde.bandwidth(Bandwidth::Fixed(h));
    }
    let mut surfaces = kde.compute_bins(
        &grid,
        &inc.x,
        &inc.y,
        inc.weight.as_deref(),
        &bins.map_bins,
        &bins.map_labels,
        &bins.map_exposure,
    )?;
    let mut overall = kde
        .clone()
        .units(Units::PerKm2PerHour {
            exposure_hours: ds.period.hours(),
        })
        .compute(&grid, &inc.x, &inc.y, inc.weight.as_deref())?;
    // Privacy: no cell shown with fewer than k incidents within the kernel's reach.
    let masks = mask_sparse_bins(
        &mut surfaces,
        &inc.x,
        &inc.y,
        &bins.map_bins,
        args.min_count,
    )?;
    let mask_all = mask_sparse(&mut overall, &inc.x, &inc.y, args.min_count)?;
    let masked: usize = masks.iter().map(|m| m.cells_masked).sum::<usize>() + mask_all.cells_masked;
    let fractions = parse_levels(&d.kde_levels)?;
    let top = surfaces
        .iter()
        .map(DensitySurface::max)
        .fold(overall.max(), f64::max);
    let levels: Vec<f64> = fractions.iter().map(|f| f * top).collect();
    let mut isolines = vec![(
        "kde_isolines.geojson".to_owned(),
        isoline_layer(&overall, &levels, &ds.projection)?,
    )];
    for s in &surfaces {
        let label = s.label.clone().unwrap_or_default();
        isolines.push((
            format!("kde_isolines/{}.geojson", byrum::safe_file_name(&label)),
            isoline_layer(s, &levels, &ds.projection)?,
        ));
    }
    done(
        &pb,
        format!(
            "density on {} × {} cells of {:.0} m, {} kernel, bandwidth {:.0} m ({}), {} isolines; {masked} cells with fewer than {} incidents within {:.0} m not shown",
            grid.nx,
            grid.ny,
            cell,
            kernel.as_str(),
            overall.bandwidth.metres,
            bandwidth.as_str(),
            isolines.iter().map(|(_, l)| l.len()).sum::<usize>(),
            args.min_count,
            mask_all.radius_m
        ),
    );
    Ok(Density {
        grid,
        surfaces,
        overall,
        isolines,
        fractions,
        top,
    })
}

/// Records the parameters that made a layer in the layer (period, zone,
/// projection, bins, study area, input).
pub(crate) fn stamper<'a>(
    ds: &'a Dataset,
    binning: &'a TimeBinning,
    incidents: &'a Path,
) -> impl Fn(&mut Layer) + 'a {
    let (first, last) = ds.period.describe(ds.zone);
    move |layer: &mut Layer| {
        layer
            .param(
                "period",
                serde_json::json!({"first_day": first, "last_day": last, "hours": ds.period.hours()}),
            )
            .param("time_zone", ds.zone.name())
            .param("projection", format!("EPSG:{}", ds.projection.epsg()))
            .param("hour_buckets", binning.hours.len())
            .param("seasons", binning.seasons.names().to_vec())
            .param(
                "study_area",
                ds.study_area.as_ref().map_or(serde_json::Value::Null, |a| {
                    let b = a.bbox();
                    serde_json::json!({"bbox": [b.min().x, b.min().y, b.max().x, b.max().y]})
                }),
            )
            .param("incidents", incidents.display().to_string());
    }
}

/// Creates a folder inside the output.
pub(crate) fn create_dir(path: &Path) -> byrum::Result<()> {
    std::fs::create_dir_all(path).map_err(|e| byrum::Error::Io {
        action: "create",
        path: path.to_path_buf(),
        source: e,
    })
}

/// `incidents.geojson`: the raw incident points, only with `--raw-points`.
pub(crate) fn write_raw_points(ds: &byrum::Dataset, path: &Path) -> byrum::Result<()> {
    let inc = &ds.incidents;
    let mut layer = Layer::new("incidents");
    layer.param(
        "warning",
        "raw incident points: they can identify people; do not publish",
    );
    for i in 0..inc.len() {
        let mut props = serde_json::Map::new();
        props.insert("category".into(), inc.category_of(i).into());
        props.insert("utc".into(), inc.utc[i].into());
        layer.push(
            geo::Geometry::Point(geo::Point::new(inc.lon[i], inc.lat[i])),
            props,
        );
    }
    layer.write(path)?;
    ui::warn(&format!(
        "wrote {} raw incident points to {} (--raw-points): they can identify people; do not publish them",
        inc.len(),
        path.display()
    ));
    Ok(())
}

/// The smallest and largest value.
pub(crate) fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

/// Isoline levels as fractions in (0, 1], e.g. "0.1,0.25,0.5".
fn parse_levels(text: &str) -> byrum::Result<Vec<f64>> {
    text.split(',')
        .map(|t| match t.trim().parse::<f64>() {
            Ok(f) if f > 0.0 && f <= 1.0 => Ok(f),
            _ => Err(byrum::Error::Parameter {
                name: "--kde-levels",
                reason: format!("{t:?}: give fractions of the highest density between 0 and 1, e.g. 0.1,0.25,0.5"),
            }),
        })
        .collect()
}

/// A period length such as "7d", "4w", "1m" or "1y".
fn parse_period_length(text: &str) -> byrum::Result<PeriodLength> {
    let bad = || byrum::Error::Parameter {
        name: "--emerging-period",
        reason: format!("{text:?}: use auto or a count and unit, e.g. 7d, 4w, 1m, 1y"),
    };
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: u32 = num.parse().map_err(|_| bad())?;
    match unit {
        "d" => Ok(PeriodLength::Days(n)),
        "w" => Ok(PeriodLength::Weeks(n)),
        "m" => Ok(PeriodLength::Months(n)),
        "y" => Ok(PeriodLength::Years(n)),
        _ => Err(bad()),
    }
}

/// The change map: incidents before the split date (A) against those from it on (B).
fn change_between(
    args: &Options,
    ds: &Dataset,
    bins: &Binned,
    cells: &[h3o::CellIndex],
    area_cells: &[h3o::CellIndex],
    res: h3o::Resolution,
) -> byrum::Result<H3Change> {
    let (first, last) = ds.period.describe(ds.zone);
    let date = |s: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| byrum::Error::Parameter {
            name: "--change-split",
            reason: format!("{s:?} is not a date YYYY-MM-DD"),
        })
    };
    let (d0, d1) = (date(&first)?, date(&last)?);
    let split = match &args.hot.change_split {
        Some(s) => date(s)?,
        None => d0 + chrono::Duration::days(((d1 - d0).num_days() + 1) / 2),
    };
    if split <= d0 || split > d1 {
        return Err(byrum::Error::Parameter {
            name: "--change-split",
            reason: format!("{split} must fall after {d0} and on or before {d1}"),
        });
    }
    let before = split.pred_opt().unwrap_or(split);
    let period_a = Period::local_dates(ds.zone, d0, before)?;
    let period_b = Period::local_dates(ds.zone, split, d1)?;
    let group = |period: &Period| -> byrum::Result<H3Counts> {
        let pick: Vec<usize> = (0..ds.incidents.len())
            .filter(|&i| period.contains(ds.incidents.utc[i]))
            .collect();
        let c: Vec<_> = pick.iter().map(|&i| cells[i]).collect();
        let b: Vec<u32> = pick.iter().map(|&i| bins.map_bins[i]).collect();
        H3Counts::compute(
            res,
            &c,
            &b,
            None,
            bins.binning.labels(&bins.map_spec),
            bins.binning
                .exposure(&bins.map_spec, period, ds.zone, ds.centre()),
            Some(area_cells),
        )
    };
    H3Change::compute(
        &group(&period_a)?,
        &group(&period_b)?,
        area_cells,
        (format!("{d0} – {before}"), format!("{split} – {d1}")),
        0.95,
    )
}

/// Incidents and real hours per map bin.
pub(crate) fn time_bin_totals(
    labels: &[String],
    bins: &[u32],
    exposure: &[f64],
) -> Vec<(String, u64, f64)> {
    let mut counts = vec![0u64; labels.len()];
    for &b in bins {
        counts[b as usize] += 1;
    }
    labels
        .iter()
        .zip(counts)
        .zip(exposure)
        .map(|((l, n), &h)| (l.clone(), n, h))
        .collect()
}

/// `time_bins.csv`: bin, count and rate (null for counts 1..k−1), exposure hours.
pub(crate) fn write_time_bins(
    rows: &[(String, u64, f64)],
    min_count: u64,
    path: &Path,
) -> byrum::Result<()> {
    // The bins add up to the overall total (shown in the summary):
    // complementary suppression (byrum's `privacy` module doc, rule 2).
    let counts: Vec<u64> = rows.iter().map(|r| r.1).collect();
    let hidden = byrum::withheld_parts(&counts, min_count);
    let shown = |i: usize| byrum::shown_if(rows[i].1, hidden[i]);
    let mut df = polars::prelude::DataFrame::new_infer_height(vec![
        polars::prelude::Column::new(
            "bin".into(),
            rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        ),
        polars::prelude::Column::new(
            "count".into(),
            (0..rows.len()).map(shown).collect::<Vec<_>>(),
        ),
        polars::prelude::Column::new(
            "exposure_hours".into(),
            rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        ),
        polars::prelude::Column::new(
            "rate_per_hour".into(),
            (0..rows.len())
                .map(|i| {
                    shown(i)
                        .filter(|_| rows[i].2 > 0.0)
                        .map(|n| n as f64 / rows[i].2)
                })
                .collect::<Vec<_>>(),
        ),
    ])?;
    byrum::write_csv(&mut df, path)
}
