//! A data set ready for analysis: incidents, places, services and routes read
//! and checked, with the one projection, zone and period all analyses use.

use chrono_tz::Tz;
use geo::{Centroid, MultiPoint, Point};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::ingest::{IngestReport, IngestSummary};
use crate::model::{Incidents, Place, Route, Service};
use crate::projection::Projection;
use crate::read::incidents::IncidentBatch;
use crate::study_area::StudyArea;
use crate::time::{Period, ZoneInference, infer_zone, offset_at};

/// Everything read for one analysis, projected and placed in time.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Incidents, with projected `x`/`y` filled.
    pub incidents: Incidents,
    /// Places (squares, parks).
    pub places: Vec<Place>,
    /// Services.
    pub services: Vec<Service>,
    /// Routes.
    pub routes: Vec<Route>,
    /// The metric projection of every distance.
    pub projection: Projection,
    /// The local time zone of the data.
    pub zone: Tz,
    /// How the zone was chosen.
    pub zone_inference: ZoneInference,
    /// The analysis period: whole local days covering the incidents.
    pub period: Period,
    /// The study area, if one was given.
    pub study_area: Option<StudyArea>,
    /// What happened to every input row.
    pub reports: Vec<IngestReport>,
}

/// Assembles a [`Dataset`].
///
/// ```
/// use byrum::{DatasetBuilder, IncidentReader};
/// let csv = "id,lon,lat,timestamp,category\n1,9.92,57.05,2023-07-14T21:37:00+02:00,noise\n";
/// let dir = std::env::temp_dir().join("byrum-doc-dataset");
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("incidents.csv");
/// std::fs::write(&path, csv).unwrap();
/// let ds = DatasetBuilder::new().incidents(IncidentReader::new().read_csv(&path)?).build()?;
/// assert_eq!(ds.projection.epsg(), 25832);
/// assert_eq!(ds.zone.name(), "Europe/Copenhagen");
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct DatasetBuilder {
    incidents: Option<IncidentBatch>,
    places: Vec<Place>,
    services: Vec<Service>,
    routes: Vec<Route>,
    reports: Vec<IngestReport>,
    zone: Option<Tz>,
    projection: Option<Projection>,
    study_area: Option<StudyArea>,
    period: Option<Period>,
}

impl DatasetBuilder {
    /// An empty builder.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The incidents and their report.
    #[must_use]
    pub fn incidents(mut self, batch: IncidentBatch) -> Self {
        self.incidents = Some(batch);
        self
    }

    /// Places and their report.
    #[must_use]
    pub fn places(mut self, places: Vec<Place>, report: IngestReport) -> Self {
        self.places = places;
        self.reports.push(report);
        self
    }

    /// Services and their report.
    #[must_use]
    pub fn services(mut self, services: Vec<Service>, report: IngestReport) -> Self {
        self.services = services;
        self.reports.push(report);
        self
    }

    /// Routes and their report.
    #[must_use]
    pub fn routes(mut self, routes: Vec<Route>, report: IngestReport) -> Self {
        self.routes = routes;
        self.reports.push(report);
        self
    }

    /// The local zone (otherwise inferred from the timestamps' offsets and location).
    #[must_use]
    pub fn zone(mut self, zone: Tz) -> Self {
        self.zone = Some(zone);
        self
    }

    /// The projection (otherwise chosen from the data).
    #[must_use]
    pub fn projection(mut self, projection: Projection) -> Self {
        self.projection = Some(projection);
        self
    }

    /// The study area (recorded with the outputs; filter incidents with
    /// [`IncidentReader::study_area`](crate::IncidentReader::study_area)).
    #[must_use]
    pub fn study_area(mut self, area: StudyArea) -> Self {
        self.study_area = Some(area);
        self
    }

    /// The analysis period (otherwise whole local days covering the incidents).
    #[must_use]
    pub fn period(mut self, period: Period) -> Self {
        self.period = Some(period);
        self
    }

    /// Chooses projection and zone, projects the incidents, fixes the period.
    ///
    /// # Errors
    /// [`Error::Input`] if no incident was accepted; [`Error::Parameter`] if no
    /// zone matches the timestamps.
    pub fn build(self) -> Result<Dataset> {
        let batch = self
            .incidents
            .ok_or_else(|| Error::parameter("data set", "no incidents were given"))?;
        let mut incidents = batch.incidents;
        let mut reports = vec![batch.report.clone()];
        reports.extend(self.reports);
        if incidents.is_empty() {
            let r = &batch.report;
            let why = r
                .rejected_by_reason
                .iter()
                .max_by_key(|(_, n)| **n)
                .map(|(k, n)| {
                    let example = r
                        .rejections
                        .iter()
                        .find(|x| &x.reason == k)
                        .map(|x| format!(" (e.g. line {}: {})", x.line, x.detail))
                        .unwrap_or_default();
                    format!("; most rows were rejected as {k} ({n} rows){example}")
                })
                .unwrap_or_default();
            return Err(Error::input(
                &r.file,
                format!("no incident could be used: {} rows read{why}", r.read),
            ));
        }
        let projection = match self.projection {
            Some(p) => p,
            None => Projection::for_points(&incidents.lon, &incidents.lat)?,
        };
        let (x, y) = projection.forward_many(&incidents.lon, &incidents.lat);
        incidents.x = x;
        incidents.y = y;
        let centre = centre_of(&incidents);
        let zone_inference = match self.zone {
            Some(tz) => {
                // Offsets the reader took from this zone agree with it.
                let mismatches = if batch.offsets_from == Some(tz) {
                    0
                } else {
                    incidents
                        .utc
                        .par_iter()
                        .zip(&incidents.offset)
                        .with_min_len(1 << 14)
                        .filter(|&(&t, &o)| offset_at(tz, t) != o)
                        .count()
                };
                if mismatches > 0 {
                    reports[0].warn(
                        None,
                        "offset_mismatch",
                        format!("{mismatches} timestamps carry a UTC offset that {} does not have at that instant; their local hour is taken from their own offset", tz.name()),
                    );
                }
                ZoneInference {
                    zone: tz,
                    how: format!("{} as configured", tz.name()),
                    mismatches,
                }
            }
            None => infer_zone(&incidents.utc, &incidents.offset, centre.x(), centre.y())?,
        };
        reports[0].warn(None, "time_zone", zone_inference.how.clone());
        let period = match self.period {
            Some(p) => p,
            None => Period::covering(zone_inference.zone, &incidents.utc)?,
        };
        Ok(Dataset {
            incidents,
            places: self.places,
            services: self.services,
            routes: self.routes,
            projection,
            zone: zone_inference.zone,
            zone_inference,
            period,
            study_area: self.study_area,
            reports,
        })
    }
}

/// The centroid of the incidents' median box (robust centre for darkness and zone).
fn centre_of(inc: &Incidents) -> Point {
    let step = (inc.len() / 10_000).max(1);
    let pts: MultiPoint = (0..inc.len())
        .step_by(step)
        .map(|i| Point::new(inc.lon[i], inc.lat[i]))
        .collect();
    pts.centroid().unwrap_or_else(|| Point::new(0.0, 0.0))
}

impl Dataset {
    /// The ingest summary over all inputs (what `ingest_report.json` holds).
    #[must_use]
    pub fn ingest_summary(&self) -> IngestSummary {
        IngestSummary::of(self.reports.clone())
    }

    /// A representative point (longitude, latitude) for darkness exposure: the
    /// incidents' centroid.
    #[must_use]
    pub fn centre(&self) -> (f64, f64) {
        let c = centre_of(&self.incidents);
        (c.x(), c.y())
    }
}
