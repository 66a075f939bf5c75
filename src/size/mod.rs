//! `poolcheck size` (being built).

use crate::cli::SizeArgs;
use crate::error::{ToolError, ToolResult};

/// Runs the command; returns the exit status (errors map to 2 in `run`).
pub fn run(_args: &SizeArgs) -> ToolResult<u8> {
    Err(ToolError::new("`poolcheck size` is not built yet"))
}
