//! GitLab Code Quality report: a JSON array of issues (description, check_name, fingerprint,
//! severity, location.path and lines.begin), as merge request widgets read it.
//! https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format

use super::Report;
use crate::core::secrets::redact_url;
use crate::core::severity::Severity;
use serde_json::{json, Value};
use std::collections::HashMap;

/// GitLab's scale is info, minor, major, critical, blocker. poolcheck's errors (refused
/// connections, failed requests at peak) are critical; warnings major; info stays info.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}

pub fn to_value(report: &Report<'_>) -> Value {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let issues: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            // GitLab keys issues by fingerprint, so two identical findings in one file need
            // distinct ones; the occurrence count keeps them stable between runs.
            let base = super::fingerprint::of(report.sources, f);
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            let fingerprint = if *n == 1 { base } else { format!("{base}-{n}") };
            let (path, line) = match &f.primary {
                Some(l) => {
                    let file = report.sources.get(l.file);
                    (file.display.clone(), file.line_col(l.span.start).0)
                }
                // A finding about the whole fleet has no line; GitLab needs a path anyway.
                None => (".".to_string(), 1),
            };
            json!({
                "type": "issue",
                "description": redact_url(&format!("{} ({}: {})", f.message, f.code, f.name)),
                "check_name": format!("{} {}", f.code, f.name),
                "fingerprint": fingerprint,
                "severity": severity(f.severity),
                "categories": ["Bug Risk"],
                "location": { "path": path, "lines": { "begin": line } },
            })
        })
        .collect();
    Value::Array(issues)
}

pub fn render(report: &Report<'_>) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(report)).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}
