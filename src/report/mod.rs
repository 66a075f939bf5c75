//! Renderers: one per output format, all from the same [`Report`].

pub mod github;
pub mod human;
pub mod json;
pub mod probe;
pub mod saturate;
pub mod size;

use crate::capacity::fleet::ServerCapacity;
use crate::cli::ReportFormat;
use crate::core::error::exit;
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
        ReportFormat::Human => human::render(report, human::use_color()),
        ReportFormat::Json => json::render(report),
        ReportFormat::Github => github::render(report),
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
