//! pool (being built).
