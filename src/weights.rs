//! Spatial weights: neighbours of H3 cells and metric square cells, self included.
