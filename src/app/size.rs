//! `poolcheck size`: recommend a pool per replica from the expected load.

use crate::capacity::search;
use crate::cli::{Format, SizeArgs};
use crate::core::error::{exit, ToolError, ToolResult};
use crate::size;

fn bad(msg: impl Into<String>, help: &str) -> ToolError {
    ToolError::new(msg).with_help(help)
}

/// A verdict against the plan (exit 1, not a usage error): said on stderr in the same shape
/// as errors, so stdout keeps only the report.
fn verdict(e: ToolError) -> u8 {
    crate::core::secrets::eprint(&format!("{:?}\n", miette::Report::new(e)));
    exit::FINDINGS
}

pub fn run(args: &SizeArgs) -> ToolResult<u8> {
    let plan = size::plan(args)?;
    let Some(rec) = search::recommend(&plan.workload, plan.replicas, &plan.targets) else {
        return Ok(verdict(bad(
            format!(
                "no pool up to {} connections per replica meets the targets",
                search::MAX_POOL
            ),
            "relax the targets, add replicas, or make queries faster",
        )));
    };
    // Behind a pooler in transaction or statement mode the server sees the pooler's pools,
    // not the replicas' client connections: those are what must fit.
    let server = match &plan.pooler {
        None => None,
        Some(p) => Some(
            search::recommend(&p.workload, p.instances, &plan.targets).ok_or_else(|| {
                bad(
                    format!(
                        "no server-side pool up to {} connections per pooler meets the targets",
                        search::MAX_POOL
                    ),
                    "relax the targets, add pooler instances, or make transactions shorter",
                )
            })?,
        ),
    };
    let server_total = server.as_ref().map_or(rec.total, |s| s.total);
    let fits = plan.usable.map(|u| server_total <= u64::from(u));
    let rows = size::rows(&plan, rec.per_pool);
    let tier = plan.pooler.as_ref().zip(server.as_ref());
    match args.format {
        Format::Json => {
            let v = crate::report::size::json(&plan, &rec, &rows, fits, tier);
            outln!(serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        Format::Human => out!(crate::report::size::human(&plan, &rec, &rows, fits, tier)),
    }
    if let Some(path) = &args.svg {
        let svg = size::chart::svg(&plan, &rows, rec.per_pool);
        std::fs::write(path, svg).map_err(|e| {
            bad(
                format!("cannot write {}: {e}", path.display()),
                "pass a writable path to --svg",
            )
        })?;
    }
    if fits == Some(false) {
        let what = match tier {
            Some((p, s)) => format!(
                "the pooler's {} server connections ({} per pooler × {})",
                s.total, s.per_pool, p.instances
            ),
            None => format!(
                "the recommended {} connections ({} per replica × {})",
                rec.total, rec.per_pool, plan.replicas
            ),
        };
        return Ok(verdict(bad(
            format!(
                "{what} do not fit the server's {} usable slots",
                plan.usable.unwrap_or(0)
            ),
            "raise max_connections, put PgBouncer in front, relax the targets, or make queries faster",
        )));
    }
    Ok(exit::CLEAN)
}
