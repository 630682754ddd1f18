//! Readers for exported data: incidents from CSV, Parquet or a polars
//! `DataFrame`; places, services and routes from GeoJSON; interventions from CSV.
pub mod geojson;
pub mod incidents;
pub mod interventions;
