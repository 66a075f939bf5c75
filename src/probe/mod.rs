//! `poolcheck probe` (being built).

use crate::cli::ProbeArgs;
use crate::error::{ToolError, ToolResult};

/// Runs the command; returns the exit status (errors map to 2 in `run`).
pub fn run(_args: &ProbeArgs) -> ToolResult<u8> {
    Err(ToolError::new("`poolcheck probe` is not built yet"))
}
