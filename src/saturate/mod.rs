//! `poolcheck saturate` (being built).

use crate::cli::SaturateArgs;
use crate::error::{ToolError, ToolResult};

/// Runs the command; returns the exit status (errors map to 2 in `run`).
pub fn run(_args: &SaturateArgs) -> ToolResult<u8> {
    Err(ToolError::new("`poolcheck saturate` is not built yet"))
}
