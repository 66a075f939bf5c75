//! JUnit XML, as CI systems (GitLab, Jenkins, Azure) show test reports: one test suite per
//! rule, one test case per rule × linted file. A case fails when the rule found something at or
//! above --fail-on in that file; findings below it are listed in the case's output.

use super::Report;
use crate::core::finding::Finding;
use crate::core::secrets::redact;
use crate::lint::catalog;
use std::collections::BTreeMap;

/// XML 1.0 text: the five entities escaped, control characters (not allowed at all) dropped.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

/// Where a finding is: its file's display name, or `fleet` for findings about no one file.
fn place(report: &Report<'_>, f: &Finding) -> String {
    f.primary.as_ref().map_or_else(
        || FLEET.to_string(),
        |l| report.sources.get(l.file).display.clone(),
    )
}

const FLEET: &str = "fleet";

fn detail(report: &Report<'_>, f: &Finding) -> String {
    let at = f.primary.as_ref().map_or(String::new(), |l| {
        let file = report.sources.get(l.file);
        let (line, col) = file.line_col(l.span.start);
        format!("{}:{line}:{col}: ", file.display)
    });
    redact(&format!(
        "{at}{} [{}] {}\nhelp: {}",
        f.code,
        f.severity.word(),
        f.message,
        f.help
    ))
}

pub fn render(report: &Report<'_>) -> String {
    let mut files: Vec<String> = (0..report.sources.len())
        .map(|i| report.sources.get(i).display.clone())
        .collect();
    if report.findings.iter().any(|f| f.primary.is_none()) {
        files.push(FLEET.to_string());
    }
    // (code, place) → findings there.
    let mut by: BTreeMap<(&str, String), Vec<&Finding>> = BTreeMap::new();
    for f in report.findings {
        by.entry((f.code.as_str(), place(report, f)))
            .or_default()
            .push(f);
    }
    let mut suites = String::new();
    let (mut tests, mut failures) = (0, 0);
    for meta in catalog::all() {
        let (mut s_tests, mut s_failures) = (0, 0);
        let mut cases = String::new();
        for file in &files {
            s_tests += 1;
            let found = by
                .get(&(meta.code.as_str(), file.clone()))
                .cloned()
                .unwrap_or_default();
            let (failing, below): (Vec<&Finding>, Vec<&Finding>) = found
                .into_iter()
                .partition(|f| f.severity >= report.fail_on);
            cases.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"poolcheck.{}\" file=\"{}\"",
                xml(file),
                xml(&meta.code),
                xml(file)
            ));
            if failing.is_empty() && below.is_empty() {
                cases.push_str("/>\n");
                continue;
            }
            cases.push_str(">\n");
            if let Some(first) = failing.first() {
                s_failures += 1;
                let body: Vec<String> = failing.iter().map(|f| detail(report, f)).collect();
                cases.push_str(&format!(
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                    first.severity.word(),
                    xml(&redact(&first.message)),
                    xml(&body.join("\n\n"))
                ));
            }
            if !below.is_empty() {
                let body: Vec<String> = below.iter().map(|f| detail(report, f)).collect();
                cases.push_str(&format!(
                    "      <system-out>{}</system-out>\n",
                    xml(&body.join("\n\n"))
                ));
            }
            cases.push_str("    </testcase>\n");
        }
        tests += s_tests;
        failures += s_failures;
        suites.push_str(&format!(
            "  <testsuite name=\"{} {}\" tests=\"{s_tests}\" failures=\"{s_failures}\" errors=\"0\" skipped=\"0\">\n{cases}  </testsuite>\n",
            xml(&meta.code),
            xml(&meta.name)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"poolcheck\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">\n{suites}</testsuites>\n"
    )
}
