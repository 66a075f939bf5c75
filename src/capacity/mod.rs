//! capacity (being built).
