//! Getis-Ord Gi* hot spots: analytic z, p, FDR, conditional permutations, classes.
