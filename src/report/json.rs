//! JSON output: a stable report described by schemas/report.schema.json.

use super::Report;
use crate::core::finding::{Finding, Label};
use crate::core::source::SourceSet;
use serde_json::{json, Value};

pub const SCHEMA_VERSION: u32 = 1;

fn location(sources: &SourceSet, l: &Label) -> Value {
    let f = sources.get(l.file);
    let (line, column) = f.line_col(l.span.start);
    let (end_line, end_column) = f.line_col(l.span.end);
    json!({
        "file": f.display,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "message": crate::core::secrets::redact_url(&l.message),
    })
}

fn finding(sources: &SourceSet, f: &Finding) -> Value {
    let primary = f.primary.as_ref().map(|l| location(sources, l));
    let get = |k: &str| primary.as_ref().map_or(Value::Null, |p| p[k].clone());
    json!({
        "code": f.code,
        "name": f.name,
        "severity": f.severity,
        "message": crate::core::secrets::redact_url(&f.message),
        "help": crate::core::secrets::redact_url(&f.help),
        "file": get("file"),
        "line": get("line"),
        "column": get("column"),
        "end_line": get("end_line"),
        "end_column": get("end_column"),
        "service": f.service,
        "server": f.server,
        "labels": f.labels.iter().map(|l| location(sources, l)).collect::<Vec<_>>(),
        "notes": f.notes.iter().map(|n| crate::core::secrets::redact_url(n)).collect::<Vec<_>>(),
    })
}

pub fn to_value(report: &Report<'_>) -> Value {
    let c = report.counts();
    json!({
        "version": SCHEMA_VERSION,
        "tool": { "name": "poolcheck", "version": env!("CARGO_PKG_VERSION") },
        "findings": report.findings.iter().map(|f| finding(report.sources, f)).collect::<Vec<_>>(),
        "capacity": report.capacity,
        "workloads": report.workloads,
        "skipped": report.skipped,
        "summary": {
            "errors": c.errors,
            "warnings": c.warnings,
            "infos": c.infos,
            "fail_on": report.fail_on,
            "exit_code": report.exit_code(),
        },
    })
}

pub fn render(report: &Report<'_>) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(report)).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
