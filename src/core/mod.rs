//! What every stage shares: severities, origins and the precedence table, findings, source
//! files and spans, units and durations, secrets, and the tool error. Depends on nothing else
//! in the crate.

pub mod code;
pub mod engine;
pub mod error;
pub mod finding;
pub mod origin;
pub mod secrets;
pub mod severity;
pub mod source;
pub mod term;
pub mod text;
pub mod units;
