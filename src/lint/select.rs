//! `--select` / `--ignore`: which rules a run reports, layered over poolcheck.toml's `[rules]`.
//! A pattern is a code (`PC201`), a kebab name (`infinite-acquire-timeout`), a code prefix
//! (`PC2` = every PC2xx rule) or `ALL`. `--select` keeps only the rules it matches (and turns
//! back on a rule that `[rules.X] severity = "off"` switched off: the command line is more
//! specific than the file); `--ignore` then switches rules off. Input rules (family "input":
//! unreadable, unparsable, unknown sizes) stay on under `--select`, since narrowing the run to
//! PC2 must not make a file poolcheck could not read pass silently; `--ignore` can still turn
//! them off by name.

use crate::core::code::Code;
use crate::lint::catalog::{self, RuleMeta};
use crate::lint::Settings;

/// Does `pattern` name `rule`?
fn matches(pattern: &str, rule: &RuleMeta) -> bool {
    let p = pattern.trim();
    p.eq_ignore_ascii_case("ALL")
        || rule.code.eq_ignore_ascii_case(p)
        || rule.name == p
        || (p.len() >= 3
            && p[..2].eq_ignore_ascii_case("PC")
            && p[2..].chars().all(|c| c.is_ascii_digit())
            && rule.code[2..].starts_with(&p[2..]))
}

/// The rules a pattern names; an error (with the nearest rule) when it names none.
fn expand(flag: &str, pattern: &str) -> Result<Vec<Code>, (String, String)> {
    let codes: Vec<Code> = catalog::all()
        .iter()
        .filter(|r| matches(pattern, r))
        .map(RuleMeta::id)
        .collect();
    if codes.is_empty() {
        let help = match catalog::nearest(pattern) {
            Some(near) => format!("did you mean {near}? `poolcheck rule` lists every rule"),
            None => "`poolcheck rule` lists every rule".to_string(),
        };
        return Err((
            format!("{flag} {pattern}: no rule has this code, name or code prefix"),
            help,
        ));
    }
    Ok(codes)
}

/// Applies the command line's selection over the settings read from poolcheck.toml.
/// Err is (what is wrong, what to do).
pub fn apply(
    settings: &mut Settings,
    select: &[String],
    ignore: &[String],
) -> Result<(), (String, String)> {
    if !select.is_empty() {
        let mut chosen = Vec::new();
        for p in select {
            chosen.extend(expand("--select", p)?);
        }
        for rule in catalog::all() {
            let code = rule.id();
            if chosen.contains(&code) {
                if settings.severity.get(&code) == Some(&None) {
                    settings.severity.remove(&code);
                }
            } else if rule.family != "input" {
                settings.severity.insert(code, None);
            }
        }
    }
    for p in ignore {
        for code in expand("--ignore", p)? {
            settings.severity.insert(code, None);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::severity::Severity;

    fn on(s: &Settings) -> Vec<&'static str> {
        Code::ALL
            .iter()
            .filter(|c| s.severity.get(c) != Some(&None))
            .map(|c| c.as_str())
            .collect()
    }

    #[test]
    fn select_by_prefix_keeps_input_rules_and_ignore_removes_by_name() {
        let mut s = Settings::default();
        apply(&mut s, &["PC2".into()], &["pool-min-above-max".into()]).unwrap();
        // Every rule of the input family stays on whatever is selected; of the rest, PC2
        // minus PC203.
        let mut want: Vec<&str> = catalog::all()
            .iter()
            .filter(|m| m.family == "input")
            .map(|m| m.code.as_str())
            .collect();
        want.extend(["PC201", "PC202", "PC204", "PC205", "PC206"]);
        assert_eq!(on(&s), want);
    }

    #[test]
    fn select_turns_back_on_what_the_config_switched_off_and_keeps_its_severity() {
        let mut s = Settings::default();
        s.severity.insert(Code::PC103, None);
        s.severity.insert(Code::PC101, Some(Severity::Warning));
        apply(&mut s, &["PC103".into(), "pc101".into()], &[]).unwrap();
        assert_eq!(s.severity.get(&Code::PC103), None);
        assert_eq!(s.severity.get(&Code::PC101), Some(&Some(Severity::Warning)));
        assert_eq!(s.severity.get(&Code::PC104), Some(&None));
    }

    #[test]
    fn an_unknown_pattern_is_an_error_with_the_nearest_rule() {
        let mut s = Settings::default();
        let e = apply(&mut s, &[], &["PC20l".into()]).unwrap_err();
        assert_eq!(
            e,
            (
                "--ignore PC20l: no rule has this code, name or code prefix".to_string(),
                "did you mean `PC201`? `poolcheck rule` lists every rule".to_string()
            )
        );
        let e = apply(&mut s, &["thin-headrom".into()], &[]).unwrap_err();
        assert!(e.1.starts_with("did you mean `thin-headroom`?"), "{e:?}");
    }
}
