//! Renderers: one per output format, all from the same [`Report`].

pub mod github;
pub mod human;
pub mod json;
pub mod mask;

use crate::capacity::fleet::ServerCapacity;
use crate::cli::Severity;
use crate::error::exit;
use crate::finding::Finding;
use crate::source::SourceSet;

/// Everything a verify run found, ready to render.
pub struct Report<'a> {
    pub sources: &'a SourceSet,
    pub findings: Vec<Finding>,
    pub capacity: Vec<ServerCapacity>,
    /// Per-service queueing figures (filled when services declare a workload).
    pub workloads: Vec<serde_json::Value>,
    pub fail_on: Severity,
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
        for f in &self.findings {
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
