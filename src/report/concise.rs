//! One line per finding, `file:line:col: CODE [severity] message`, for grep, editors' error
//! parsers and terminals too narrow for snippets.

use super::Report;
use crate::core::secrets::{escape_controls, redact};

pub fn render(report: &Report<'_>, quiet: bool) -> String {
    let mut out = String::new();
    for f in report.findings {
        // A message is one line here whatever its text holds.
        let message = escape_controls(&redact(&f.message)).replace('\n', " ");
        if let Some(l) = &f.primary {
            let file = report.sources.get(l.file);
            let (line, col) = file.line_col(l.span.start);
            out.push_str(&format!("{}:{line}:{col}: ", file.display));
        }
        out.push_str(&format!("{} [{}] {message}\n", f.code, f.severity.word()));
    }
    if !quiet {
        out.push_str(&super::human::summary(report));
    }
    out
}
