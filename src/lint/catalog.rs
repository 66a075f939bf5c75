//! The rule catalogue: one TOML file per rule in rules/, embedded at build time. Everything
//! user-facing about a rule (name, severity, docs, parameters) is derived from here.

use crate::core::code::Code;
use crate::core::severity::Severity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Every rule file, in code order. A test fails when rules/ and this list drift apart.
pub const FILES: &[(&str, &str)] = &[
    (
        "PC001-syntax-error.toml",
        include_str!("../../rules/PC001-syntax-error.toml"),
    ),
    (
        "PC002-invalid-value.toml",
        include_str!("../../rules/PC002-invalid-value.toml"),
    ),
    (
        "PC003-pool-size-unknown.toml",
        include_str!("../../rules/PC003-pool-size-unknown.toml"),
    ),
    (
        "PC004-server-limits-unknown.toml",
        include_str!("../../rules/PC004-server-limits-unknown.toml"),
    ),
    (
        "PC005-unreadable-input.toml",
        include_str!("../../rules/PC005-unreadable-input.toml"),
    ),
    (
        "PC006-duplicate-env-key.toml",
        include_str!("../../rules/PC006-duplicate-env-key.toml"),
    ),
    (
        "PC007-competing-pool-settings.toml",
        include_str!("../../rules/PC007-competing-pool-settings.toml"),
    ),
    (
        "PC008-missing-reference.toml",
        include_str!("../../rules/PC008-missing-reference.toml"),
    ),
    (
        "PC009-required-variable-unset.toml",
        include_str!("../../rules/PC009-required-variable-unset.toml"),
    ),
    (
        "PC010-unused-suppression.toml",
        include_str!("../../rules/PC010-unused-suppression.toml"),
    ),
    (
        "PC011-ambiguous-stack.toml",
        include_str!("../../rules/PC011-ambiguous-stack.toml"),
    ),
    (
        "PC012-no-pool-configuration.toml",
        include_str!("../../rules/PC012-no-pool-configuration.toml"),
    ),
    (
        "PC015-pods-per-node-unknown.toml",
        include_str!("../../rules/PC015-pods-per-node-unknown.toml"),
    ),
    (
        "PC101-fleet-exceeds-server-slots.toml",
        include_str!("../../rules/PC101-fleet-exceeds-server-slots.toml"),
    ),
    (
        "PC102-rollout-exceeds-server-slots.toml",
        include_str!("../../rules/PC102-rollout-exceeds-server-slots.toml"),
    ),
    (
        "PC103-thin-headroom.toml",
        include_str!("../../rules/PC103-thin-headroom.toml"),
    ),
    (
        "PC104-unbounded-pool.toml",
        include_str!("../../rules/PC104-unbounded-pool.toml"),
    ),
    (
        "PC105-host-cpu-default-pool.toml",
        include_str!("../../rules/PC105-host-cpu-default-pool.toml"),
    ),
    (
        "PC201-infinite-acquire-timeout.toml",
        include_str!("../../rules/PC201-infinite-acquire-timeout.toml"),
    ),
    (
        "PC202-unit-magnitude-mismatch.toml",
        include_str!("../../rules/PC202-unit-magnitude-mismatch.toml"),
    ),
    (
        "PC203-pool-min-above-max.toml",
        include_str!("../../rules/PC203-pool-min-above-max.toml"),
    ),
    (
        "PC204-prepared-statements-behind-pgbouncer.toml",
        include_str!("../../rules/PC204-prepared-statements-behind-pgbouncer.toml"),
    ),
    (
        "PC205-pool-outlives-mysql-wait-timeout.toml",
        include_str!("../../rules/PC205-pool-outlives-mysql-wait-timeout.toml"),
    ),
    (
        "PC206-pool-outlives-redis-timeout.toml",
        include_str!("../../rules/PC206-pool-outlives-redis-timeout.toml"),
    ),
    (
        "PC301-pool-unstable-for-workload.toml",
        include_str!("../../rules/PC301-pool-unstable-for-workload.toml"),
    ),
    (
        "PC302-workload-target-missed.toml",
        include_str!("../../rules/PC302-workload-target-missed.toml"),
    ),
    (
        "PC303-pool-oversized-for-workload.toml",
        include_str!("../../rules/PC303-pool-oversized-for-workload.toml"),
    ),
    (
        "PC401-role-connection-limit-exceeded.toml",
        include_str!("../../rules/PC401-role-connection-limit-exceeded.toml"),
    ),
    (
        "PC402-database-connection-limit-exceeded.toml",
        include_str!("../../rules/PC402-database-connection-limit-exceeded.toml"),
    ),
    (
        "PC403-server-near-full.toml",
        include_str!("../../rules/PC403-server-near-full.toml"),
    ),
    (
        "PC404-server-kills-idle-connections.toml",
        include_str!("../../rules/PC404-server-kills-idle-connections.toml"),
    ),
    (
        "PC501-pooler-server-pools-exceed-server-slots.toml",
        include_str!("../../rules/PC501-pooler-server-pools-exceed-server-slots.toml"),
    ),
    (
        "PC502-pooler-client-limit-exceeded.toml",
        include_str!("../../rules/PC502-pooler-client-limit-exceeded.toml"),
    ),
    (
        "PC503-app-pool-above-pooler-pool.toml",
        include_str!("../../rules/PC503-app-pool-above-pooler-pool.toml"),
    ),
    (
        "PC504-pooler-timeout-undercuts-app.toml",
        include_str!("../../rules/PC504-pooler-timeout-undercuts-app.toml"),
    ),
    (
        "PC505-replica-is-primary.toml",
        include_str!("../../rules/PC505-replica-is-primary.toml"),
    ),
    (
        "PC506-database-not-in-pooler.toml",
        include_str!("../../rules/PC506-database-not-in-pooler.toml"),
    ),
    (
        "PC507-advisory-locks-behind-pooler.toml",
        include_str!("../../rules/PC507-advisory-locks-behind-pooler.toml"),
    ),
    (
        "PC508-session-settings-behind-pooler.toml",
        include_str!("../../rules/PC508-session-settings-behind-pooler.toml"),
    ),
    (
        "PC509-listen-behind-pooler.toml",
        include_str!("../../rules/PC509-listen-behind-pooler.toml"),
    ),
    (
        "PC510-transactions-in-statement-mode.toml",
        include_str!("../../rules/PC510-transactions-in-statement-mode.toml"),
    ),
    (
        "PC511-unbounded-pooler-pool.toml",
        include_str!("../../rules/PC511-unbounded-pooler-pool.toml"),
    ),
    (
        "PC512-pooler-processes-unknown.toml",
        include_str!("../../rules/PC512-pooler-processes-unknown.toml"),
    ),
];

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub default: f64,
    pub min: f64,
    pub max: f64,
    pub description: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Docs {
    pub what: String,
    pub why: String,
    pub example: String,
    pub fix: String,
    #[serde(default)]
    pub references: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub code: String,
    pub name: String,
    pub severity: Severity,
    pub family: String,
    pub summary: String,
    #[serde(default)]
    pub params: BTreeMap<String, Param>,
    pub docs: Docs,
}

pub fn all() -> &'static [RuleMeta] {
    static CELL: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    CELL.get_or_init(|| {
        FILES
            .iter()
            .map(|(file, text)| {
                toml::from_str(text).unwrap_or_else(|e| {
                    panic!("rules/{file} is invalid (the test suite checks every file): {e}")
                })
            })
            .collect()
    })
}

impl RuleMeta {
    /// The rule's code as a type.
    pub fn id(&self) -> Code {
        Code::parse(&self.code).unwrap_or_else(|| {
            panic!(
                "rules/{} names no known code (the test suite checks every file)",
                self.code
            )
        })
    }
}

/// The metadata of a code. Every code has a file in rules/ (the catalogue test checks it).
pub fn meta(code: Code) -> &'static RuleMeta {
    all()
        .iter()
        .find(|r| r.code == code.as_str())
        .unwrap_or_else(|| panic!("rules/ has no file for {code} (the test suite checks it)"))
}

/// A rule by code (`PC101`, any case) or kebab name (`fleet-exceeds-server-slots`).
pub fn find(code_or_name: &str) -> Option<&'static RuleMeta> {
    all()
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name == code_or_name)
}

/// The rule code or name nearest to a mistyped one (backticked), for "did you mean".
pub fn nearest(written: &str) -> Option<String> {
    let names: Vec<String> = all()
        .iter()
        .flat_map(|m| [m.code.clone(), m.name.clone()])
        .collect();
    crate::core::text::close_matches(written, &names, 1)
        .into_iter()
        .next()
}

/// Renders a rule's documentation for `poolcheck rule CODE`, prose wrapped to `width`
/// columns between words (the example is shown as written).
pub fn render(rule: &RuleMeta, width: usize) -> String {
    use crate::core::term::wrap;
    let para = |text: &str| format!("  {}", wrap(text, width.saturating_sub(2), "  "));
    let mut out = format!(
        "{}\n\n{}\n\nWhat it checks\n{}\n\nWhy it matters\n{}\n\nExample\n{}\n\nHow to fix\n{}\n",
        wrap(
            &format!("{} {} ({})", rule.code, rule.name, rule.severity.word()),
            width,
            "  "
        ),
        wrap(&rule.summary, width, ""),
        para(&rule.docs.what),
        para(&rule.docs.why),
        rule.docs
            .example
            .trim_end()
            .lines()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
        para(&rule.docs.fix)
    );
    if !rule.params.is_empty() {
        out.push_str("\nParameters (poolcheck.toml [rules.CODE.params])\n");
        for (name, p) in &rule.params {
            let line = format!(
                "{name} = {} ({}..{}): {}",
                p.default, p.min, p.max, p.description
            );
            out.push_str(&format!(
                "  {}\n",
                wrap(&line, width.saturating_sub(2), "    ")
            ));
        }
    }
    if !rule.docs.references.is_empty() {
        out.push_str("\nReferences\n");
        for r in &rule.docs.references {
            // A URL is one word: it gets its own line, never a break.
            out.push_str(&format!("  {r}\n"));
        }
    }
    out
}

/// `poolcheck rule`: one entry per rule, as a table row when the width allows, else the code
/// and name on one line and the summary wrapped under it.
pub fn render_list(width: usize) -> String {
    let name_w = all().iter().map(|r| r.name.len()).max().unwrap_or(0);
    let lead = 5 + 2 + name_w + 1 + 7 + 1;
    let mut out = String::new();
    for r in all() {
        if width >= lead + 30 {
            let indent = " ".repeat(lead);
            out.push_str(&format!(
                "{}  {:<name_w$} {:<7} ",
                r.code,
                r.name,
                r.severity.word()
            ));
            out.push_str(&crate::core::term::wrap_from(
                &r.summary, width, &indent, lead,
            ));
        } else {
            out.push_str(&format!("{}  {} ({})\n", r.code, r.name, r.severity.word()));
            out.push_str("       ");
            out.push_str(&crate::core::term::wrap_from(
                &r.summary, width, "       ", 7,
            ));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_matches_rules_directory() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with("PC"))
            .collect();
        on_disk.sort();
        let listed: Vec<String> = FILES.iter().map(|(f, _)| f.to_string()).collect();
        assert_eq!(on_disk, listed);
        for (meta, (file, _)) in all().iter().zip(FILES) {
            assert_eq!(file, &format!("{}-{}.toml", meta.code, meta.name));
            for (name, p) in &meta.params {
                assert!(
                    p.min <= p.default && p.default <= p.max,
                    "{}: param {name}",
                    meta.code
                );
            }
        }
    }
}
