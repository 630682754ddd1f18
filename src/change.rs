//! Change between two periods or groups: count difference and rate ratio with exact Poisson interval.
