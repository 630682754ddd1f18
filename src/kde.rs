//! Kernel density on a metric raster: kernels, bandwidth selectors, edge correction.
