//! capacity (being built).
pub mod fleet;
