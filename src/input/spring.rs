//! Spring profiles: which `application*.yml|properties` files and which documents of them
//! apply for the active profiles, as Spring Boot decides
//! (<https://docs.spring.io/spring-boot/reference/features/external-config.html#features.external-config.files.profile-specific>,
//! <https://docs.spring.io/spring-boot/reference/features/external-config.html#features.external-config.files.activation-properties>).
//!
//! `application-{profile}.yml` loads after `application.yml` and only while the profile is
//! active; a document with `spring.config.activate.on-profile` (or the older
//! `spring.profiles`, deprecated since Boot 2.4) applies only when its expression matches.

use crate::input::discover::Input;
use crate::input::envfiles::Skipped;
use crate::input::formats::{Node, NodeKind};
use std::collections::HashSet;
use std::path::PathBuf;

/// Base names Spring reads its configuration from.
const BASES: &[&str] = &["application", "bootstrap"];
const EXTENSIONS: &[&str] = &["yml", "yaml", "properties"];

/// `application-prod.yml` → Some(("application", "prod")); `application.yml` → Some((…, "")).
fn profile_of(name: &str) -> Option<(&str, &str)> {
    let (stem, ext) = name.rsplit_once('.')?;
    if !EXTENSIONS.contains(&ext) {
        return None;
    }
    BASES.iter().find_map(|base| {
        if stem == *base {
            Some((*base, ""))
        } else {
            stem.strip_prefix(base)?
                .strip_prefix('-')
                .filter(|p| !p.is_empty())
                .map(|p| (*base, p))
        }
    })
}

/// Keeps the profile-specific files of the active profiles, after their base file and in the
/// profiles' order (a later profile wins, as in Spring), and lists the others. Files named on
/// the command line or in poolcheck.toml (`explicit`) are read as given.
pub fn select(
    inputs: Vec<Input>,
    explicit: &HashSet<PathBuf>,
    profiles: &[String],
) -> (Vec<Input>, Vec<Skipped>) {
    let mut base = Vec::new();
    let mut specific: Vec<(usize, Input)> = Vec::new();
    let mut skipped = Vec::new();
    for input in inputs {
        let Input::File(path, _) = &input else {
            base.push(input);
            continue;
        };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        match profile_of(name) {
            Some((_, p)) if !p.is_empty() && !explicit.contains(path) => {
                match profiles.iter().position(|a| a == p) {
                    Some(rank) => specific.push((rank, input)),
                    None => skipped.push(Skipped {
                        file: crate::core::source::display_path(path),
                        reason: format!(
                            "Spring profile {p} is not active (--profile {p} applies it)"
                        ),
                    }),
                }
            }
            _ => base.push(input),
        }
    }
    specific.sort_by_key(|(rank, _)| *rank);
    base.extend(specific.into_iter().map(|(_, i)| i));
    (base, skipped)
}

/// True for a file Spring reads as its configuration.
pub fn is_spring_file(name: &str) -> bool {
    profile_of(name).is_some()
}

/// The activation condition of one document, as written (`prod & !cloud`), if it has one.
pub fn activation(doc: &Node) -> Option<(String, &Node)> {
    let node = lookup(doc, &["spring", "config", "activate", "on-profile"])
        .or_else(|| lookup(doc, &["spring", "profiles"]).filter(|n| !is_map(n)))?;
    if is_map(node) {
        return None;
    }
    let text = texts(node).join(",");
    Some((text, node))
}

/// `spring.profiles.active` of a document: the profiles it turns on.
pub fn active_in(doc: &Node) -> Vec<String> {
    lookup(doc, &["spring", "profiles", "active"]).map_or_else(Vec::new, |n| {
        texts(n)
            .iter()
            .flat_map(|t| t.split(','))
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()
    })
}

/// A scalar's text, or the texts of a list's scalars (Spring takes either).
fn texts(node: &Node) -> Vec<String> {
    match &node.kind {
        NodeKind::Scalar(s) => s.as_text().into_iter().collect(),
        NodeKind::Seq(items) => items
            .iter()
            .filter_map(|i| match &i.kind {
                NodeKind::Scalar(s) => s.as_text(),
                _ => None,
            })
            .collect(),
        NodeKind::Map(_) => Vec::new(),
    }
}

fn is_map(n: &Node) -> bool {
    matches!(n.kind, NodeKind::Map(_))
}

/// A key path through nested maps or dotted keys (`spring.config.activate.on-profile: x` is
/// the same key as the nested form).
fn lookup<'n>(node: &'n Node, path: &[&str]) -> Option<&'n Node> {
    if path.is_empty() {
        return Some(node);
    }
    let NodeKind::Map(entries) = &node.kind else {
        return None;
    };
    for e in entries {
        for i in 1..=path.len() {
            if e.key == path[..i].join(".") {
                if let Some(n) = lookup(&e.value, &path[i..]) {
                    return Some(n);
                }
            }
        }
    }
    None
}

/// Whether a profile expression matches the active profiles: `a`, `!a`, `a & b`, `a | b`,
/// parentheses; a comma-separated list matches when any item does.
pub fn matches(expr: &str, active: &[String]) -> bool {
    expr.split(',').any(|item| {
        let tokens = tokenize(item);
        let mut p = ExprParser { t: &tokens, pos: 0 };
        let v = p.or(active, 0);
        v && p.pos == tokens.len()
    })
}

fn tokenize(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in s.chars() {
        match ch {
            '&' | '|' | '!' | '(' | ')' => {
                if !cur.trim().is_empty() {
                    out.push(cur.trim().to_string());
                }
                cur.clear();
                out.push(ch.to_string());
            }
            c if c.is_whitespace() => {
                if !cur.trim().is_empty() {
                    out.push(cur.trim().to_string());
                }
                cur.clear();
            }
            c => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

struct ExprParser<'a> {
    t: &'a [String],
    pos: usize,
}

impl ExprParser<'_> {
    fn or(&mut self, active: &[String], depth: usize) -> bool {
        let mut v = self.and(active, depth);
        while self.t.get(self.pos).map(String::as_str) == Some("|") {
            self.pos += 1;
            v |= self.and(active, depth);
        }
        v
    }
    fn and(&mut self, active: &[String], depth: usize) -> bool {
        let mut v = self.not(active, depth);
        while self.t.get(self.pos).map(String::as_str) == Some("&") {
            self.pos += 1;
            v &= self.not(active, depth);
        }
        v
    }
    fn not(&mut self, active: &[String], depth: usize) -> bool {
        match self.t.get(self.pos).map(String::as_str) {
            Some("!") => {
                self.pos += 1;
                !self.not(active, depth + 1)
            }
            Some("(") if depth < 32 => {
                self.pos += 1;
                let v = self.or(active, depth + 1);
                if self.t.get(self.pos).map(String::as_str) == Some(")") {
                    self.pos += 1;
                }
                v
            }
            Some(name) if !matches!(name, "&" | "|" | ")" | "(") => {
                self.pos += 1;
                active.iter().any(|a| a == name)
            }
            _ => {
                // A malformed expression matches nothing (Spring refuses to start on it).
                self.pos = self.t.len() + 1;
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::discover::Kind;

    fn act(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn profile_expressions_follow_spring() {
        assert!(matches("prod", &act(&["prod"])));
        assert!(!matches("prod", &act(&[])));
        assert!(matches("!dev", &act(&["prod"])));
        assert!(matches("prod & cloud", &act(&["cloud", "prod"])));
        assert!(!matches("prod & cloud", &act(&["prod"])));
        assert!(matches("prod | staging", &act(&["staging"])));
        assert!(matches("(prod | staging) & !local", &act(&["prod"])));
        assert!(!matches(
            "(prod | staging) & !local",
            &act(&["prod", "local"])
        ));
        assert!(matches("dev,prod", &act(&["prod"])));
        assert!(!matches("prod &", &act(&["prod"])));
    }

    #[test]
    fn profile_files_apply_only_when_active_and_after_their_base() {
        let inputs: Vec<Input> = [
            "application-dev.yml",
            "application-prod.yml",
            "application.yml",
        ]
        .iter()
        .map(|n| Input::File(PathBuf::from(n), Kind::Yaml))
        .collect();
        let (kept, skipped) = select(inputs.clone(), &HashSet::new(), &act(&["prod"]));
        let names: Vec<_> = kept
            .iter()
            .map(|i| match i {
                Input::File(p, _) => p.to_string_lossy().into_owned(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(names, ["application.yml", "application-prod.yml"]);
        assert_eq!(skipped.len(), 1);
        assert_eq!(
            skipped[0].reason,
            "Spring profile dev is not active (--profile dev applies it)"
        );
        let (kept, skipped) = select(inputs, &HashSet::new(), &[]);
        assert_eq!(kept.len(), 1);
        assert_eq!(skipped.len(), 2);
    }

    #[test]
    fn names_spring_reads() {
        assert_eq!(
            profile_of("application-prod.yml"),
            Some(("application", "prod"))
        );
        assert_eq!(
            profile_of("application.properties"),
            Some(("application", ""))
        );
        assert_eq!(profile_of("bootstrap-k8s.yaml"), Some(("bootstrap", "k8s")));
        assert_eq!(profile_of("applications.yml"), None);
        assert_eq!(profile_of("application-.yml"), None);
    }
}
