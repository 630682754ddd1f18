//! Mann-Kendall trend test with ties correction.
