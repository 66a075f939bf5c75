//! `poolcheck size`: recommend a pool per replica from the expected load.

pub use crate::size::run;
