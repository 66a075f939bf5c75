//! The rule engine: the catalogue (rules/*.toml), per-rule settings, the context rules read,
//! and the run that fills names and severities and orders findings.

pub mod baseline;
pub mod catalog;
pub mod params;
pub mod select;
pub mod suppress;

pub use params::Param;

use crate::capacity::fleet::ServerCapacity;
use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::core::severity::Severity;
use crate::model::{Fleet, Service};
use std::collections::BTreeMap;

/// Per-rule settings from poolcheck.toml: severity overrides ("off" disables) and parameters.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub severity: BTreeMap<Code, Option<Severity>>,
    pub params: BTreeMap<Param, f64>,
}

impl Settings {
    /// From poolcheck.toml `[rules.X]` tables, where X is a code or a name.
    pub fn from_config(
        rules: &BTreeMap<String, crate::input::config::RuleCfg>,
    ) -> Result<Settings, String> {
        let mut s = Settings::default();
        for (key, cfg) in rules {
            let meta = catalog::find(key).ok_or_else(|| {
                match catalog::nearest(key) {
                    Some(near) => format!("[rules.{key}]: no rule has this code or name; did you mean {near}?"),
                    None => format!("[rules.{key}]: no rule has this code or name (run `poolcheck rule` for the list)"),
                }
            })?;
            if let Some(sev) = &cfg.severity {
                let v = match (sev.as_str(), Severity::from_word(sev)) {
                    ("off", _) => None,
                    (_, Some(level)) => Some(level),
                    (other, None) => {
                        return Err(format!(
                            "[rules.{key}] severity `{other}`: use info, warning, error or off"
                        ))
                    }
                };
                s.severity.insert(meta.id(), v);
            }
            for (name, value) in &cfg.params {
                let p = meta.params.get(name).ok_or_else(|| {
                    let known: Vec<&str> = meta.params.keys().map(String::as_str).collect();
                    format!(
                        "[rules.{key}.params] `{name}` is not a parameter of {} (known: {})",
                        meta.code,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    )
                })?;
                if *value < p.min || *value > p.max {
                    return Err(format!(
                        "[rules.{key}.params] {name} = {value} is outside {}..{}",
                        p.min, p.max
                    ));
                }
                if let Some(param) = Param::of(meta.id(), name) {
                    s.params.insert(param, *value);
                }
            }
        }
        Ok(s)
    }
}

pub struct Context<'a> {
    pub fleet: &'a Fleet,
    pub capacity: &'a [ServerCapacity],
    pub settings: &'a Settings,
}

impl Context<'_> {
    /// A rule parameter: poolcheck.toml's value, else the catalogue default.
    pub fn param(&self, param: Param) -> f64 {
        self.settings
            .params
            .get(&param)
            .copied()
            .unwrap_or_else(|| param.default())
    }

    pub fn services_of(&self, server: usize) -> impl Iterator<Item = &Service> {
        self.fleet
            .services
            .iter()
            .filter(move |s| s.server == server)
    }
}

/// A rule's logic: the findings it raises for a fleet.
pub type Check = fn(&Context<'_>) -> Vec<Finding>;

/// The rules the engine runs; `crate::rules::REGISTRY` is the one the tool ships. The engine
/// knows rules only through this, so rules depend on the engine and not the other way round.
pub struct Registry {
    /// Every rule with logic, by code.
    pub checks: &'static [(Code, Check)],
    /// Codes a check raises besides its own: (code, raised by).
    pub raised_by: &'static [(Code, Code)],
}

/// Runs every enabled rule, then fills names and severities from the catalogue and poolcheck.toml
/// and orders findings by file and position.
pub fn run(ctx: &Context<'_>, registry: &Registry, input_findings: Vec<Finding>) -> Vec<Finding> {
    run_suppressed(ctx, registry, input_findings, None)
}

/// [`run`], then drops what the inline suppressions of `sources` cover and reports the ones
/// that covered nothing (PC010), before findings are ordered and capped.
pub fn run_suppressed(
    ctx: &Context<'_>,
    registry: &Registry,
    input_findings: Vec<Finding>,
    sources: Option<&crate::core::source::SourceSet>,
) -> Vec<Finding> {
    let mut findings = input_findings;
    for (code, check) in registry.checks {
        // A check runs unless every code it raises is switched off.
        let off = |c: &Code| ctx.settings.severity.get(c) == Some(&None);
        let others_off = registry
            .raised_by
            .iter()
            .filter(|(_, by)| by == code)
            .all(|(c, _)| off(c));
        if off(code) && others_off {
            continue;
        }
        findings.extend(check(ctx));
    }
    if let Some(sources) = sources {
        let found = suppress::collect(sources);
        let enabled = |c: Code| ctx.settings.severity.get(&c) != Some(&None);
        findings = suppress::apply(sources, &found, findings, enabled);
    }
    findings.retain_mut(|f| {
        let meta = catalog::meta(f.code);
        f.name = meta.name.as_str();
        match ctx.settings.severity.get(&f.code) {
            Some(None) => false,
            Some(Some(sev)) => {
                f.severity = *sev;
                true
            }
            None => {
                f.severity = meta.severity;
                true
            }
        }
    });
    findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            f.primary
                .as_ref()
                .map(|l| (l.file, l.span.start))
                .unwrap_or((usize::MAX, 0))
        };
        key(a).cmp(&key(b)).then_with(|| a.code.cmp(&b.code))
    });
    cap_per_file(findings, MAX_FINDINGS_PER_FILE)
}

/// Findings shown for one file; past it, one summary finding stands for the rest.
pub const MAX_FINDINGS_PER_FILE: usize = 50;

/// Keeps the first `max` findings of each file (they are sorted by file) and replaces the rest
/// with one finding that counts them, at the most severe level among them, so a garbage file
/// cannot flood a CI log and the verdict does not change.
fn cap_per_file(findings: Vec<Finding>, max: usize) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len().min(4 * max));
    let mut dropped: Vec<Finding> = Vec::new();
    let mut current: Option<usize> = None;
    let mut in_file = 0;
    let flush = |out: &mut Vec<Finding>, dropped: &mut Vec<Finding>| {
        let Some(first) = dropped.first() else { return };
        let worst = dropped
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(first.severity);
        let mut f = first.clone();
        f.severity = worst;
        f.message = format!(
            "{} more findings in this file are not shown (poolcheck shows at most {max} a file); the first was: {}",
            dropped.len(),
            first.message
        );
        f.help = "fix the findings above and run poolcheck again".into();
        f.labels.clear();
        out.push(f);
        dropped.clear();
    };
    for f in findings {
        let file = f.primary.as_ref().map(|l| l.file);
        if file != current {
            flush(&mut out, &mut dropped);
            current = file;
            in_file = 0;
        }
        in_file += 1;
        if file.is_some() && in_file > max {
            dropped.push(f);
        } else {
            out.push(f);
        }
    }
    flush(&mut out, &mut dropped);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::source::Span;

    #[test]
    fn more_than_the_cap_in_one_file_becomes_one_summary_at_the_worst_level() {
        let f = |file: usize, sev: Severity| {
            let mut f =
                Finding::new(Code::PC001, "bad line", "fix it").at(file, Span::new(0, 1), "here");
            f.severity = sev;
            f
        };
        let mut input: Vec<Finding> = (0..5).map(|_| f(0, Severity::Warning)).collect();
        input.push(f(0, Severity::Error));
        input.push(f(1, Severity::Info));
        let out = cap_per_file(input, 3);
        assert_eq!(out.len(), 5);
        assert!(
            out[3].message.starts_with("3 more findings in this file"),
            "{}",
            out[3].message
        );
        assert_eq!(out[3].severity, Severity::Error);
        assert_eq!(out[4].primary.as_ref().unwrap().file, 1);
    }
}
