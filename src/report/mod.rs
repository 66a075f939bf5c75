//! Renderers: one per output format, all from the same [`Report`].

pub mod concise;
pub mod fingerprint;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod mysql_probe;
pub mod pooler_probe;
pub mod probe;
pub mod redis_probe;
pub mod sarif;
pub mod saturate;
pub mod size;

use crate::capacity::fleet::ServerCapacity;
use crate::cli::ReportFormat;
use crate::core::error::{exit, ToolError};
use crate::core::finding::Finding;
use crate::core::severity::Severity;
use crate::core::source::SourceSet;

/// Everything a verify run found, ready to render.
pub struct Report<'a> {
    pub sources: &'a SourceSet,
    /// Files the linted directories hold that were not read, with why.
    pub skipped: &'a [crate::input::envfiles::Skipped],
    pub findings: &'a [Finding],
    pub capacity: &'a [ServerCapacity],
    /// Per-service queueing figures (filled when services declare a workload).
    pub workloads: &'a [serde_json::Value],
    pub fail_on: Severity,
}

/// The one output dispatch: a report in the format asked for.
pub fn render(format: ReportFormat, report: &Report<'_>) -> String {
    match format {
        ReportFormat::Human => human::render(report),
        ReportFormat::Json => json::render(report),
        ReportFormat::Github => github::render(report),
        ReportFormat::Sarif => sarif::render(report),
        ReportFormat::Junit => junit::render(report),
        ReportFormat::Gitlab => gitlab::render(report),
        ReportFormat::Concise => concise::render(report, crate::core::term::style().quiet),
    }
}

/// A usage or tool error in a machine-read format, for stdout: a JSON object, a GitHub
/// annotation or a SARIF run that says the run failed. None for formats a person reads
/// (the error goes to stderr as a diagnostic).
pub fn render_error(format: ReportFormat, err: &ToolError) -> Option<String> {
    use crate::core::secrets::redact_url;
    match format {
        ReportFormat::Json => {
            let v = serde_json::json!({
                "version": json::SCHEMA_VERSION,
                "tool": { "name": "poolcheck", "version": env!("CARGO_PKG_VERSION") },
                "error": { "message": redact_url(&err.message), "help": err.help.as_deref().map(redact_url) },
                // Every error of the pass, the first included, for tools that show them all.
                "errors": err.all().map(|e| serde_json::json!({
                    "message": redact_url(&e.message),
                    "help": e.help.as_deref().map(redact_url),
                })).collect::<Vec<_>>(),
                "exit_code": exit::ERROR,
            });
            Some(format!(
                "{}\n",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            ))
        }
        ReportFormat::Github => Some(github::render_error(err)),
        ReportFormat::Sarif => Some(sarif::render_error(err)),
        ReportFormat::Human
        | ReportFormat::Junit
        | ReportFormat::Gitlab
        | ReportFormat::Concise => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Report<'_> {
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for f in self.findings {
            match f.severity {
                Severity::Error => c.errors += 1,
                Severity::Warning => c.warnings += 1,
                Severity::Info => c.infos += 1,
            }
        }
        c
    }

    /// 1 when any finding is at or above --fail-on, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.findings.iter().any(|f| f.severity >= self.fail_on) {
            exit::FINDINGS
        } else {
            exit::CLEAN
        }
    }
}
