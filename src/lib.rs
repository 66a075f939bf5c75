//! poolcheck: stops database connection-pool exhaustion before it reaches production.
//!
//! Data flows one way: `source` → `parse` → `model` → `capacity` → `rules` → `report`.
//! The live parts (`probe`, `pool`, `saturate`) feed facts and measurements into the same report.

pub mod capacity;
pub mod cli;
pub mod config;
pub mod dialect;
pub mod discover;
pub mod error;
pub mod finding;
pub mod model;
pub mod parse;
pub mod pool;
pub mod probe;
pub mod redact;
pub mod report;
pub mod rules;
pub mod run;
pub mod saturate;
pub mod size;
pub mod source;
pub mod units;
pub mod verify;
pub mod whatif;
