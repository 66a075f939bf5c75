//! `poolcheck rule`: the rule catalogue, offline.

use crate::core::error::{exit, ToolError};

pub fn run(args: &crate::cli::RuleArgs) -> Result<u8, ToolError> {
    use crate::lint::catalog;
    match &args.code {
        Some(code) => {
            let meta = catalog::find(code).ok_or_else(|| {
                ToolError::new(format!("no rule has the code or name `{code}`"))
                    .with_help("run `poolcheck rule` to list every rule")
            })?;
            match args.format {
                crate::cli::Format::Human => out!(catalog::render(meta)),
                crate::cli::Format::Json => {
                    outln!(serde_json::to_string_pretty(meta).unwrap_or_default())
                }
            }
        }
        None => match args.format {
            crate::cli::Format::Human => {
                for r in catalog::all() {
                    outln!(
                        "{}  {:<40} {:<8} {}",
                        r.code,
                        r.name,
                        r.severity.word(),
                        r.summary
                    );
                }
            }
            crate::cli::Format::Json => {
                outln!(serde_json::to_string_pretty(catalog::all()).unwrap_or_default())
            }
        },
    }
    Ok(exit::CLEAN)
}
