//! Emerging hot spots: Gi* per period, Mann-Kendall trend, Esri's categories.
