//! Java `.properties` files (Spring's application.properties) into [`Node`] documents.
//!
//! The line format is `java.util.Properties.load`'s
//! (<https://docs.oracle.com/javase/8/docs/api/java/util/Properties.html#load-java.io.Reader->):
//! `#` and `!` comment lines, `key=value`, `key: value` or `key value`, a trailing odd number of
//! backslashes continues the line (the next line's leading blanks dropped), `\uXXXX` and
//! `\t \n \r \f` escapes, a later key replacing an earlier one. Spring Boot splits a file into
//! documents at `#---` and `!---` lines
//! (<https://docs.spring.io/spring-boot/reference/features/external-config.html#features.external-config.files.multi-document>).
//!
//! Dotted keys become nested maps (`spring.datasource.hikari.maximum-pool-size`), so the
//! dialects match them as they match YAML and the Spring profile logic reads
//! `spring.config.activate.on-profile` in either. Every value is a string, as Spring reads it.

use super::{Entry, Node, NodeKind, ParseError, Scalar, MAX_NESTING};
use crate::core::source::{FileId, Span};

#[derive(Debug, Clone, PartialEq)]
pub struct Properties {
    /// One map per `#---` document.
    pub docs: Vec<Node>,
    pub errors: Vec<ParseError>,
}

/// A logical line: continuation lines joined, with the byte offset of each kept character,
/// so a value's span points at the text it came from.
struct Logical {
    text: String,
    offsets: Vec<usize>,
    end: usize,
}

pub fn parse(file: FileId, text: &str) -> Properties {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    let mut doc = Doc::new(file, 0);
    let mut pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let raw = text[pos..line_end].trim_end_matches('\r');
        let body = raw.trim_start_matches([' ', '\t', '\u{c}']);
        if matches!(body.trim_end(), "#---" | "!---") && body.len() == raw.len() {
            docs.push(doc.finish(pos));
            doc = Doc::new(file, line_end);
            pos = line_end + 1;
            continue;
        }
        if body.is_empty() || body.starts_with('#') || body.starts_with('!') {
            pos = line_end + 1;
            continue;
        }
        let start = pos + (raw.len() - body.len());
        if !body.contains('\\') {
            // Most lines have no escape and no continuation: read them in place.
            let (key, key_span, value, vspan) = plain_entry(body, start);
            if let Err(e) = doc.insert(key, key_span, value.to_string(), vspan) {
                errors.push(e);
            }
            pos = line_end + 1;
            continue;
        }
        let logical = logical_line(text, start);
        pos = logical.end + 1;
        match entry(&logical) {
            Ok((key, ks, ke, value, vs, ve)) => {
                let at = |i: usize, end: bool| {
                    if logical.offsets.is_empty() {
                        return logical.end;
                    }
                    if end && i > 0 {
                        logical.offsets[i - 1] + char_len(text, logical.offsets[i - 1])
                    } else {
                        logical.offsets.get(i).copied().unwrap_or(logical.end)
                    }
                };
                let key_span = Span::new(at(ks, false), at(ke, true).max(at(ks, false)));
                let vspan = if vs == ve {
                    let p = at(vs, false);
                    Span::new(p, p)
                } else {
                    Span::new(at(vs, false), at(ve, true))
                };
                if let Err(e) = doc.insert(&key, key_span, value, vspan) {
                    errors.push(e);
                }
            }
            Err((i, message, help)) => {
                let p = logical.offsets.get(i).copied().unwrap_or(logical.end);
                errors.push(ParseError {
                    file,
                    span: Span::new(p, (p + 1).min(text.len()).max(p)),
                    message,
                    help: Some(help.into()),
                });
            }
        }
    }
    docs.push(doc.finish(text.len()));
    Properties { docs, errors }
}

/// A line without backslashes starting at byte `start`: key, its span, value, its span.
fn plain_entry(line: &str, start: usize) -> (&str, Span, &str, Span) {
    let is_blank = |c: char| matches!(c, ' ' | '\t' | '\u{c}');
    let key_end = line
        .find(|c: char| c == '=' || c == ':' || is_blank(c))
        .unwrap_or(line.len());
    let mut rest = line[key_end..].trim_start_matches(is_blank);
    if let Some(r) = rest.strip_prefix(['=', ':']) {
        rest = r.trim_start_matches(is_blank);
    }
    let vstart = start + line.len() - rest.len();
    (
        &line[..key_end],
        Span::new(start, start + key_end),
        rest,
        Span::new(vstart, vstart + rest.len()),
    )
}

fn char_len(text: &str, at: usize) -> usize {
    text[at..].chars().next().map_or(0, char::len_utf8)
}

/// Joins continuation lines from `start` (the first non-blank character of a line).
fn logical_line(text: &str, start: usize) -> Logical {
    let mut out = String::new();
    let mut offsets = Vec::new();
    let mut pos = start;
    loop {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = text[pos..line_end].trim_end_matches('\r');
        let backslashes = line.len() - line.trim_end_matches('\\').len();
        let continued = backslashes % 2 == 1 && line_end < text.len();
        let keep = if continued {
            line.len() - 1
        } else {
            line.len()
        };
        for (i, c) in line[..keep].char_indices() {
            out.push(c);
            offsets.push(pos + i);
        }
        if !continued {
            return Logical {
                text: out,
                offsets,
                end: line_end,
            };
        }
        pos = line_end + 1;
        let next = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let lead = text[pos..next].len()
            - text[pos..next]
                .trim_start_matches([' ', '\t', '\u{c}'])
                .len();
        pos += lead;
    }
}

type Parsed = (String, usize, usize, String, usize, usize);

/// (key, key char range, value, value char range), indices into the logical line's chars.
fn entry(l: &Logical) -> Result<Parsed, (usize, String, &'static str)> {
    let chars: Vec<char> = l.text.chars().collect();
    let mut i = 0;
    let mut key = String::new();
    let key_start = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                i += 1;
                i = unescape(&chars, i, &mut key)?;
            }
            '=' | ':' | ' ' | '\t' | '\u{c}' => break,
            c => {
                key.push(c);
                i += 1;
            }
        }
    }
    let key_end = i;
    while i < chars.len() && matches!(chars[i], ' ' | '\t' | '\u{c}') {
        i += 1;
    }
    if i < chars.len() && matches!(chars[i], '=' | ':') {
        i += 1;
        while i < chars.len() && matches!(chars[i], ' ' | '\t' | '\u{c}') {
            i += 1;
        }
    }
    let value_start = i;
    let mut value = String::new();
    while i < chars.len() {
        if chars[i] == '\\' {
            i = unescape(&chars, i + 1, &mut value)?;
        } else {
            value.push(chars[i]);
            i += 1;
        }
    }
    Ok((key, key_start, key_end, value, value_start, chars.len()))
}

/// The escape after a backslash at `i - 1`; returns the index after it.
fn unescape(
    chars: &[char],
    i: usize,
    out: &mut String,
) -> Result<usize, (usize, String, &'static str)> {
    let Some(&c) = chars.get(i) else {
        return Ok(i);
    };
    match c {
        't' => out.push('\t'),
        'n' => out.push('\n'),
        'r' => out.push('\r'),
        'f' => out.push('\u{c}'),
        'u' => {
            let hex: String = chars.iter().skip(i + 1).take(4).collect();
            let v = (hex.len() == 4 && hex.chars().all(|h| h.is_ascii_hexdigit()))
                .then(|| u32::from_str_radix(&hex, 16).ok())
                .flatten()
                .ok_or((
                    i - 1,
                    format!(
                        "`\\u{}` is a malformed \\uXXXX escape",
                        crate::core::secrets::escape_controls(&hex)
                    ),
                    "write four hex digits after \\u, or \\\\u for a literal backslash",
                ))?;
            out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
            return Ok(i + 5);
        }
        c => out.push(c),
    }
    Ok(i + 1)
}

/// One document's entries, nested by the keys' dots. Children are indexed by name: a file of
/// 200,000 keys must not search its root once per key.
struct Doc {
    file: FileId,
    start: usize,
    root: Tree,
}

#[derive(Default)]
struct Tree {
    key_span: Span,
    leaf: Option<Node>,
    children: Vec<(String, Tree)>,
    index: std::collections::HashMap<String, usize>,
}

impl Tree {
    fn child(&mut self, key: &str, key_span: Span) -> &mut Tree {
        let i = match self.index.get(key) {
            Some(&i) => i,
            None => {
                self.index.insert(key.to_string(), self.children.len());
                self.children.push((
                    key.to_string(),
                    Tree {
                        key_span,
                        ..Tree::default()
                    },
                ));
                self.children.len() - 1
            }
        };
        &mut self.children[i].1
    }

    fn into_node(self, file: FileId, span: Span) -> Node {
        if let Some(leaf) = self.leaf {
            return leaf;
        }
        let entries = self
            .children
            .into_iter()
            .map(|(key, t)| {
                let key_span = t.key_span;
                Entry {
                    key,
                    key_span,
                    value: t.into_node(file, key_span),
                }
            })
            .collect();
        Node {
            kind: NodeKind::Map(entries),
            file,
            span,
        }
    }
}

impl Doc {
    fn new(file: FileId, start: usize) -> Self {
        Doc {
            file,
            start,
            root: Tree::default(),
        }
    }

    fn finish(self, end: usize) -> Node {
        let span = Span::new(self.start, end.max(self.start));
        self.root.into_node(self.file, span)
    }

    fn insert(
        &mut self,
        key: &str,
        key_span: Span,
        value: String,
        vspan: Span,
    ) -> Result<(), ParseError> {
        let file = self.file;
        let leaf = Node {
            kind: NodeKind::Scalar(if value.is_empty() {
                Scalar::Null
            } else {
                Scalar::Str(value)
            }),
            file,
            span: vspan,
        };
        if key.matches('.').count() >= MAX_NESTING {
            return Err(ParseError {
                file,
                span: key_span,
                message: format!("this key has more than {MAX_NESTING} dotted parts"),
                help: Some("shorten the key".into()),
            });
        }
        // `a=1` and `a.b=2` cannot both be bound: the later line wins, as Spring binds one.
        let mut t = &mut self.root;
        for seg in key.split('.') {
            t.leaf = None;
            t = t.child(seg, key_span);
        }
        t.children.clear();
        t.index.clear();
        t.leaf = Some(leaf);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'n>(n: &'n Node, path: &[&str]) -> &'n Node {
        path.iter().fold(n, |n, k| n.get(k).unwrap())
    }

    #[test]
    fn spring_keys_nest_and_keep_spans() {
        let text = "# orders\nspring.datasource.hikari.maximum-pool-size=20\nspring.datasource.url = jdbc:postgresql://db/orders\n";
        let p = parse(0, text);
        assert!(p.errors.is_empty());
        let v = get(
            &p.docs[0],
            &["spring", "datasource", "hikari", "maximum-pool-size"],
        );
        assert_eq!(v.scalar(), Some(&Scalar::Str("20".into())));
        assert_eq!(&text[v.span.start..v.span.end], "20");
    }

    #[test]
    fn continuation_escapes_and_documents() {
        let text = "a = one \\\n    two\nb\\ c: x\\u0041\n#---\nspring.config.activate.on-profile=prod\nc=3\n";
        let p = parse(0, text);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.docs.len(), 2);
        assert_eq!(
            get(&p.docs[0], &["a"]).scalar(),
            Some(&Scalar::Str("one two".into()))
        );
        assert_eq!(
            get(&p.docs[0], &["b c"]).scalar(),
            Some(&Scalar::Str("xA".into()))
        );
        let c = get(&p.docs[1], &["c"]);
        assert_eq!(&text[c.span.start..c.span.end], "3");
    }

    #[test]
    fn malformed_unicode_escape_is_located() {
        let text = "ok=1\nbad=\\u12G4\n";
        let p = parse(0, text);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].span.start, text.find("\\u").unwrap());
    }

    #[test]
    fn later_key_wins_and_empty_is_null() {
        let p = parse(0, "a=1\na=2\nb=\n");
        assert_eq!(
            get(&p.docs[0], &["a"]).scalar(),
            Some(&Scalar::Str("2".into()))
        );
        assert_eq!(get(&p.docs[0], &["b"]).scalar(), Some(&Scalar::Null));
    }
}
