//! Input: which files to read (`discover`), reading them safely (`read`), poolcheck.toml
//! (`config`), the key dialects of pool libraries (`dialects`) and the parsers of every format
//! (`formats`). Produces spanned trees and entries; knows nothing of the fleet model.

pub mod config;
pub mod dialects;
pub mod discover;
pub mod dotnet;
pub mod envfiles;
pub mod environment;
pub mod formats;
pub mod presets;
pub mod read;
pub mod spring;
pub mod stdin;
pub mod survey;
