//! `poolcheck saturate`: a short, bounded load test through poolcheck's own pool core.

pub use crate::saturate::run;
