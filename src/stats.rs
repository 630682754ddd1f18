//! Pure statistics shared by the analyses: normal p-values, Benjamini-Hochberg.
