//! poolcheck: stops database connection-pool exhaustion before it reaches production.
//!
//! Data flows one way (see README "How poolcheck is built"):
//! `input` → `model` → `capacity` → `lint` (+ `rules`) → `report`, owned by `pipeline`;
//! `app` holds one file per command; `core` is shared by all; `db` is the engine seam that the
//! live parts (`pool`, `saturate`, probe) talk to servers through.

/// Prints to stdout through the secrets scrubber (see `core::secrets::print`).
macro_rules! out {
    ($e:expr) => {
        $crate::core::secrets::print(&($e).to_string())
    };
}

/// Prints a formatted line to stdout through the secrets scrubber.
macro_rules! outln {
    ($fmt:literal $(, $arg:expr)* $(,)?) => {
        $crate::core::secrets::print(&format!(concat!($fmt, "\n") $(, $arg)*))
    };
    ($e:expr) => {
        $crate::core::secrets::print(&format!("{}\n", $e))
    };
}

pub mod app;
pub mod capacity;
pub mod cli;
pub mod core;
pub mod db;
pub mod input;
pub mod lint;
pub mod model;
pub mod pipeline;
pub mod pool;
pub mod report;
pub mod rules;
pub mod saturate;
pub mod size;
