//! Charts of comparisons and sweeps.
