//! Isolines (marching squares) of density surfaces as GeoJSON layers.
