//! Inline suppressions: `# poolcheck: ignore[PC201] -- reason` on a line or the line before
//! it, `# poolcheck: ignore-file[PC104]` anywhere in a file. Comments may start with `#`, `;`
//! or `!` (env, TOML, YAML, INI, Java properties). A finding is suppressed when any of its
//! locations (the primary one or any label) is covered, so a fleet-wide finding that cites a
//! pool size in one file and max_connections in another can be silenced at either place.
//! Suppressions that hide nothing are reported as PC010, as ruff's RUF100 does for `noqa`.

use crate::core::code::Code;
use crate::core::finding::Finding;
use crate::core::source::{FileId, SourceSet, Span};
use crate::lint::catalog;
use std::collections::HashSet;

/// What one comment covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A 1-based line of the file.
    Line(usize),
    File,
}

/// One rule named in a suppression comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// As written (`PC201`, `infinite-acquire-timeout`).
    pub written: String,
    pub code: Option<Code>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub file: FileId,
    pub scope: Scope,
    /// The directive (`poolcheck: ignore[...]`), where PC010 points when it names nothing.
    pub span: Span,
    pub entries: Vec<Entry>,
    pub reason: Option<String>,
}

const MARKERS: &[char] = &['#', ';', '!'];
const DIRECTIVE: &str = "poolcheck:";

/// Every suppression comment in every file read.
pub fn collect(sources: &SourceSet) -> Vec<Suppression> {
    let mut out = Vec::new();
    for (id, file) in sources.iter() {
        // Cheap test first: most files have no directive at all.
        if !file.text.contains(DIRECTIVE) {
            continue;
        }
        let mut offset = 0;
        for (i, raw) in file.text.split_inclusive('\n').enumerate() {
            if let Some(s) = parse_line(id, i + 1, offset, raw) {
                out.push(s);
            }
            offset += raw.len();
        }
    }
    out
}

/// The suppression on one line, if the line has a comment holding a directive.
fn parse_line(file: FileId, line: usize, offset: usize, raw: &str) -> Option<Suppression> {
    let at = raw.find(DIRECTIVE)?;
    let before = raw[..at].trim_end();
    let code_part = before.trim_end_matches(MARKERS);
    // The directive must open a comment: a marker right before it, itself at the start of the
    // line or after blank space (so `KEY=a#poolcheck:` in a value is not one).
    if code_part.len() == before.len()
        || !(code_part.is_empty() || code_part.ends_with(char::is_whitespace))
    {
        return None;
    }
    let own_line = code_part.trim().is_empty();
    let rest = &raw[at + DIRECTIVE.len()..];
    let body = rest.trim_start();
    let body_at = at + DIRECTIVE.len() + (rest.len() - body.len());
    let (file_wide, after_kw) = if let Some(r) = body.strip_prefix("ignore-file") {
        (true, r)
    } else if let Some(r) = body.strip_prefix("ignore") {
        (false, r)
    } else {
        return None;
    };
    let scope = if file_wide {
        Scope::File
    } else if own_line {
        Scope::Line(line + 1)
    } else {
        Scope::Line(line)
    };
    let kw_end = body_at + (body.len() - after_kw.len());
    let mut entries = Vec::new();
    let mut tail = after_kw;
    if let Some(list) = after_kw.strip_prefix('[') {
        if let Some(close) = list.find(']') {
            let list_at = kw_end + 1;
            let mut pos = 0;
            for part in list[..close].split(',') {
                let lead = part.len() - part.trim_start().len();
                let word = part.trim();
                if !word.is_empty() {
                    let start = offset + list_at + pos + lead;
                    entries.push(Entry {
                        written: word.to_string(),
                        code: catalog::find(word).map(|m| m.id()),
                        span: Span::new(start, start + word.len()),
                    });
                }
                pos += part.len() + 1;
            }
            tail = &list[close + 1..];
        }
    }
    let reason = tail
        .trim()
        .strip_prefix("--")
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    Some(Suppression {
        file,
        scope,
        span: Span::new(offset + at, offset + kw_end),
        entries,
        reason,
    })
}

/// The (file, line) places a finding touches.
fn places(f: &Finding, sources: &SourceSet) -> Vec<(FileId, usize)> {
    f.primary
        .iter()
        .chain(&f.labels)
        .map(|l| (l.file, sources.get(l.file).line_col(l.span.start).0))
        .collect()
}

/// Drops the findings a suppression covers and adds a PC010 finding for every suppression
/// entry that covered nothing. `enabled` says whether a rule runs at all: suppressions of
/// rules switched off are not judged, since they could not have matched.
pub fn apply(
    sources: &SourceSet,
    suppressions: &[Suppression],
    findings: Vec<Finding>,
    enabled: impl Fn(Code) -> bool,
) -> Vec<Finding> {
    let mut used: HashSet<(usize, usize)> = HashSet::new();
    let mut kept = Vec::with_capacity(findings.len());
    for f in findings {
        let at = places(&f, sources);
        let mut hit = false;
        for (si, s) in suppressions.iter().enumerate() {
            let covers = match s.scope {
                Scope::File => at.iter().any(|(file, _)| *file == s.file),
                Scope::Line(l) => at.contains(&(s.file, l)),
            };
            if !covers {
                continue;
            }
            for (ei, e) in s.entries.iter().enumerate() {
                if e.code == Some(f.code) {
                    used.insert((si, ei));
                    hit = true;
                }
            }
        }
        if !hit {
            kept.push(f);
        }
    }
    for (si, s) in suppressions.iter().enumerate() {
        if s.entries.is_empty() {
            kept.push(
                Finding::new(
                    Code::PC010,
                    "this suppression names no rule, so it hides nothing",
                    "name the rules it is for, e.g. `poolcheck: ignore[PC201]`, or delete it",
                )
                .at(s.file, s.span, "no rule named"),
            );
        }
        for (ei, e) in s.entries.iter().enumerate() {
            let finding = match e.code {
                None => Finding::new(
                    Code::PC010,
                    format!("`{}` is not a rule code or name", e.written),
                    did_you_mean(&e.written),
                ),
                Some(code) if !used.contains(&(si, ei)) && enabled(code) => Finding::new(
                    Code::PC010,
                    format!(
                        "{code} is suppressed here but raised nothing {}",
                        match s.scope {
                            Scope::File => "in this file",
                            Scope::Line(_) => "on this line",
                        }
                    ),
                    format!("delete `{}` from the suppression", e.written),
                ),
                Some(_) => continue,
            };
            kept.push(finding.at(s.file, e.span, "unused suppression"));
        }
    }
    kept
}

/// Help for a code or name that is not one: the nearest rule, or the list.
fn did_you_mean(written: &str) -> String {
    match catalog::nearest(written) {
        Some(near) => format!("did you mean {near}? (`poolcheck rule` lists every rule)"),
        None => "write a code such as PC201 or a name; `poolcheck rule` lists every rule".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::source::SourceFile;

    fn scan(text: &str) -> Vec<Suppression> {
        let mut set = SourceSet::default();
        set.add(SourceFile::new("f", "f", text));
        collect(&set)
    }

    #[test]
    fn own_line_comments_cover_the_next_line_trailing_ones_their_own() {
        let s = scan("A=1\n# poolcheck: ignore[PC201] -- slow batch jobs\nB=2 ; poolcheck: ignore[PC104,PC203]\n");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].scope, Scope::Line(3));
        assert_eq!(s[0].reason.as_deref(), Some("slow batch jobs"));
        assert_eq!(s[0].entries[0].code, Some(Code::PC201));
        assert_eq!(s[1].scope, Scope::Line(3));
        let codes: Vec<_> = s[1].entries.iter().map(|e| e.code).collect();
        assert_eq!(codes, vec![Some(Code::PC104), Some(Code::PC203)]);
        // The entry span points at the code as written.
        let text = "A=1\n# poolcheck: ignore[PC201] -- slow batch jobs\n";
        let e = &scan(text)[0].entries[0];
        assert_eq!(&text[e.span.start..e.span.end], "PC201");
    }

    #[test]
    fn every_comment_marker_names_and_file_scope() {
        for marker in ["#", ";", "!", "##"] {
            let s = scan(&format!(
                "{marker} poolcheck: ignore-file[unbounded-pool]\nk=v\n"
            ));
            assert_eq!(s.len(), 1, "{marker}");
            assert_eq!(s[0].scope, Scope::File);
            assert_eq!(s[0].entries[0].code, Some(Code::PC104));
        }
    }

    #[test]
    fn directives_inside_values_are_not_comments() {
        assert!(scan("URL=postgres://h/db#poolcheck:ignore[PC201]\n").is_empty());
        assert!(scan("poolcheck: ignore[PC201]\n").is_empty());
        assert!(scan("# poolcheck: check this later\n").is_empty());
    }

    #[test]
    fn a_directive_without_codes_or_with_unknown_ones_is_kept_for_pc010() {
        let s = scan("# poolcheck: ignore\n# poolcheck: ignore[PC999]\n");
        assert_eq!(s.len(), 2);
        assert!(s[0].entries.is_empty());
        assert_eq!(s[1].entries[0].code, None);
    }
}
