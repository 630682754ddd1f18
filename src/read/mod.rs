//! Readers for exported data: incidents from CSV, Parquet or a polars
//! `DataFrame`; places, services and routes from GeoJSON.
pub mod geojson;
pub mod incidents;
