//! GitHub Actions workflow commands: each finding becomes an annotation on its line.

use super::Report;
use crate::core::severity::Severity;

/// Workflow-command values must escape %, CR and LF (and , and : inside properties).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_prop(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report<'_>) -> String {
    let mut out = String::new();
    for f in report.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = vec![format!(
            "title={}",
            escape_prop(&format!("{} {}", f.code, f.name))
        )];
        if let Some(l) = &f.primary {
            let file = report.sources.get(l.file);
            let (line, col) = file.line_col(l.span.start);
            let (end_line, end_col) = file.line_col(l.span.end);
            props.insert(
                0,
                format!(
                    "file={},line={line},col={col},endLine={end_line},endColumn={end_col}",
                    escape_prop(&file.display)
                ),
            );
        }
        let msg = crate::core::secrets::escape_controls(&crate::core::secrets::redact(&format!(
            "{} (help: {})",
            f.message, f.help
        )));
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            escape_data(&msg)
        ));
    }
    let c = report.counts();
    out.push_str(&format!(
        "poolcheck: {}, {}, {} info; exit {}\n",
        crate::core::text::count(c.errors, "error"),
        crate::core::text::count(c.warnings, "warning"),
        c.infos,
        report.exit_code()
    ));
    out
}

/// A run that failed before it could lint, as one error annotation.
pub fn render_error(err: &crate::core::error::ToolError) -> String {
    err.all()
        .map(|e| {
            let mut msg = e.message.clone();
            if let Some(h) = &e.help {
                msg.push_str(&format!(" (help: {h})"));
            }
            let msg = crate::core::secrets::escape_controls(&crate::core::secrets::redact(&msg));
            format!(
                "::error title=poolcheck could not run::{}\n",
                escape_data(&msg)
            )
        })
        .collect()
}
