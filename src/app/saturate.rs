//! `poolcheck saturate`: a short, bounded load test through poolcheck's own pool core.

use crate::cli::{Format, SaturateArgs};
use crate::core::error::{exit, ToolResult};
use crate::saturate::{self, INTERRUPTED};

pub fn run(args: &SaturateArgs) -> ToolResult<u8> {
    let plan = saturate::plan(args)?;
    let result = saturate::run_plan(&plan, args.url.as_deref())?;
    if let Some(path) = &args.metrics {
        let text = crate::pool::metrics::openmetrics(&result.snapshot, "poolcheck_pool");
        std::fs::write(path, text).map_err(|e| {
            crate::core::error::ToolError::new(format!(
                "--metrics {}: could not write the file: {e}",
                path.display()
            ))
            .with_help("give a path in a directory you can write to")
        })?;
    }
    match args.format {
        Format::Json => outln!(serde_json::to_string_pretty(&crate::report::saturate::json(
            &result
        ))
        .unwrap_or_default()),
        Format::Human => out!(crate::report::saturate::human(&result)),
    }
    Ok(if result.interrupted {
        // As shells expect of a run stopped by Ctrl-C, after printing what it measured.
        INTERRUPTED
    } else if result.failures().is_empty() {
        exit::CLEAN
    } else {
        exit::FINDINGS
    })
}
