//! `poolcheck rule`: the rule catalogue, offline.

use crate::core::error::{exit, ToolError};

pub fn run(args: &crate::cli::RuleArgs) -> Result<u8, ToolError> {
    use crate::lint::catalog;
    match &args.code {
        Some(code) => {
            let meta = catalog::find(code).ok_or_else(|| {
                ToolError::new(format!("no rule has the code or name `{code}`")).with_help(
                    match catalog::nearest(code) {
                        Some(near) => {
                            format!("did you mean {near}? `poolcheck rule` lists every rule")
                        }
                        None => "run `poolcheck rule` to list every rule".to_string(),
                    },
                )
            })?;
            match args.format {
                crate::cli::Format::Human => {
                    out!(catalog::render(meta, crate::core::term::style().width))
                }
                crate::cli::Format::Json => {
                    outln!(serde_json::to_string_pretty(meta).unwrap_or_default())
                }
            }
        }
        None => match args.format {
            crate::cli::Format::Human => {
                out!(catalog::render_list(crate::core::term::style().width))
            }
            crate::cli::Format::Json => {
                outln!(serde_json::to_string_pretty(catalog::all()).unwrap_or_default())
            }
        },
    }
    Ok(exit::CLEAN)
}
