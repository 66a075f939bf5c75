//! SARIF 2.1.0 (OASIS), as GitHub code scanning and other viewers read it. Rules come from the
//! catalogue; every finding is a result at its offending value, the other inputs it used are
//! related locations, and partialFingerprints survive line moves. Tests validate every output
//! against schemas/sarif-schema-2.1.0.json.

use super::Report;
use crate::core::error::ToolError;
use crate::core::finding::{Finding, Label};
use crate::core::secrets::redact_url;
use crate::core::severity::Severity;
use crate::core::source::SourceSet;
use crate::lint::catalog::{self, RuleMeta};
use serde_json::{json, Value};

const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A path as a relative (or file:) URI reference: unreserved characters and `/` as they are,
/// everything else percent-encoded, Windows separators turned into `/`.
pub fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if path.starts_with('/') {
        format!("file://{out}")
    } else {
        out
    }
}

fn text(s: &str) -> Value {
    json!({ "text": s })
}

fn rule(meta: &RuleMeta) -> Value {
    let help = format!(
        "{}\n\nWhy it matters: {}\n\nHow to fix: {}",
        meta.docs.what, meta.docs.why, meta.docs.fix
    );
    let mut r = json!({
        "id": meta.code,
        "name": meta.name,
        "shortDescription": text(&meta.summary),
        "fullDescription": text(&meta.docs.what),
        "help": { "text": help, "markdown": format!(
            "{}\n\n**Why it matters.** {}\n\n**How to fix.** {}\n\nExample:\n\n```\n{}```\n",
            meta.docs.what, meta.docs.why, meta.docs.fix, meta.docs.example
        ) },
        "defaultConfiguration": { "level": level(meta.severity) },
        "properties": { "tags": [meta.family] },
    });
    // The rule's primary reference is the closest thing to online documentation it has;
    // `poolcheck rule CODE` prints the full text offline.
    if let Some(uri) = meta.docs.references.first() {
        r["helpUri"] = json!(uri);
    }
    r
}

fn location(sources: &SourceSet, l: &Label, id: Option<usize>) -> Value {
    let f = sources.get(l.file);
    let (line, column) = f.line_col(l.span.start);
    let (end_line, end_column) = f.line_col(l.span.end.max(l.span.start));
    // SARIF's endColumn is the column after the region; an empty span still covers a column.
    let end_column = if (end_line, end_column) == (line, column) {
        column + 1
    } else {
        end_column
    };
    let mut v = json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(&f.display) },
            "region": {
                "startLine": line,
                "startColumn": column,
                "endLine": end_line,
                "endColumn": end_column,
            },
        },
        "message": text(&redact_url(&l.message)),
    });
    if let Some(id) = id {
        v["id"] = json!(id);
    }
    v
}

fn result(sources: &SourceSet, f: &Finding) -> Value {
    let index = catalog::all()
        .iter()
        .position(|r| r.code == f.code.as_str())
        .unwrap_or(0);
    let message = format!("{}\nhelp: {}", redact_url(&f.message), redact_url(&f.help));
    let mut props = json!({});
    if let Some(s) = &f.service {
        props["service"] = json!(s);
    }
    if let Some(s) = &f.server {
        props["server"] = json!(s);
    }
    if !f.notes.is_empty() {
        props["inputs"] = json!(f.notes.iter().map(|n| redact_url(n)).collect::<Vec<_>>());
    }
    json!({
        "ruleId": f.code,
        "ruleIndex": index,
        "level": level(f.severity),
        "message": text(&message),
        "locations": f.primary.iter().map(|l| location(sources, l, None)).collect::<Vec<_>>(),
        "relatedLocations": f.labels.iter().enumerate()
            .map(|(i, l)| location(sources, l, Some(i + 1)))
            .collect::<Vec<_>>(),
        "partialFingerprints": { "poolcheck/v1": super::fingerprint::of(sources, f) },
        "properties": props,
    })
}

fn driver() -> Value {
    json!({
        "name": "poolcheck",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": catalog::all().iter().map(rule).collect::<Vec<_>>(),
    })
}

fn log(run: Value) -> String {
    let v = json!({ "$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run] });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

pub fn render(report: &Report<'_>) -> String {
    log(json!({
        "tool": { "driver": driver() },
        "invocations": [{ "executionSuccessful": true, "exitCode": report.exit_code() }],
        "columnKind": "unicodeCodePoints",
        "results": report.findings.iter().map(|f| result(report.sources, f)).collect::<Vec<_>>(),
    }))
}

/// A run that could not lint: no results, the reason as a tool execution notification.
pub fn render_error(err: &ToolError) -> String {
    let notifications: Vec<_> = err
        .all()
        .map(|e| {
            let mut message = redact_url(&e.message);
            if let Some(h) = &e.help {
                message.push_str(&format!("\nhelp: {}", redact_url(h)));
            }
            json!({ "level": "error", "message": text(&message) })
        })
        .collect();
    log(json!({
        "tool": { "driver": driver() },
        "invocations": [{
            "executionSuccessful": false,
            "exitCode": crate::core::error::exit::ERROR,
            "toolExecutionNotifications": notifications,
        }],
        "results": [],
    }))
}
