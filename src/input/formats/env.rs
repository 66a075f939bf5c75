//! .env files: a line model of our own that keeps every key's and value's byte span.
//!
//! dotenvy gives values without positions, lets the process environment win over the file and
//! stops an unbraced `$DB_POOL` at the underscore; a linter's verdict must not depend on the CI
//! runner's environment, so references resolve only within the linted file set.

use super::ParseError;
use crate::core::source::{FileId, Span};

/// How the value was quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    None,
    Single,
    Double,
    Backtick,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnvEntry {
    pub key: String,
    pub key_span: Span,
    /// The value after unquoting, escapes and (after [`resolve`]) `${VAR}` expansion; None for an
    /// empty value, which applications treat as unset.
    pub value: Option<String>,
    /// The value's content without quotes (an empty span at the position when empty).
    pub value_span: Span,
    /// The whole value including quotes.
    pub raw_span: Span,
    pub quote: Quote,
    pub exported: bool,
    /// 1-based line of the key.
    pub line: usize,
    /// Names referenced with `${VAR}`, `${VAR:-default}` or `$VAR`.
    pub refs: Vec<String>,
    /// References [`resolve`] could not resolve within the file set (the value stays as written).
    pub unresolved: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnvFile {
    pub file: FileId,
    pub entries: Vec<EnvEntry>,
    pub errors: Vec<ParseError>,
}

impl EnvFile {
    /// The last definition of `key` (later lines win, as in every dotenv loader).
    pub fn get(&self, key: &str) -> Option<&EnvEntry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }
}

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }
    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.pos += 1;
        }
    }
    fn line_end(&self, from: usize) -> usize {
        self.text[from..]
            .find('\n')
            .map_or(self.text.len(), |i| from + i)
    }
    fn skip_line(&mut self) {
        self.pos = self.line_end(self.pos);
        if self.pos < self.text.len() {
            self.pos += 1;
        }
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

fn is_key_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Parses a .env file. A malformed line becomes a located error and parsing goes on with the
/// next line, so one typo does not hide the rest of the file.
pub fn parse(file: FileId, text: &str) -> EnvFile {
    let mut c = Cursor { text, pos: 0 };
    if text.starts_with('\u{feff}') {
        c.pos = '\u{feff}'.len_utf8();
    }
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let err = |span: Span, message: String, help: &str| ParseError {
        file,
        span,
        message,
        help: Some(help.to_string()),
    };

    while c.pos < text.len() {
        c.skip_blanks();
        match c.peek() {
            None => break,
            Some('\n') => {
                c.pos += 1;
                continue;
            }
            Some('\r') if text[c.pos..].starts_with("\r\n") => {
                c.pos += 2;
                continue;
            }
            Some('#') => {
                c.skip_line();
                continue;
            }
            _ => {}
        }
        let mut exported = false;
        if text[c.pos..].starts_with("export")
            && matches!(text[c.pos + 6..].chars().next(), Some(' ' | '\t'))
        {
            exported = true;
            c.pos += 6;
            c.skip_blanks();
        }
        let key_start = c.pos;
        if !c.peek().is_some_and(is_key_start) {
            let end = c.line_end(c.pos);
            errors.push(err(
                Span::new(key_start, end.max(key_start + 1).min(text.len())),
                format!(
                    "`{}` is not a KEY=VALUE line",
                    text[key_start..end].trim_end()
                ),
                "write KEY=VALUE (keys start with a letter or _), or comment the line out with #",
            ));
            c.skip_line();
            continue;
        }
        while c.peek().is_some_and(is_key_char) {
            c.pos += 1;
        }
        let key_span = Span::new(key_start, c.pos);
        let key = text[key_start..c.pos].to_string();
        c.skip_blanks();
        if c.peek() != Some('=') {
            let end = c.line_end(c.pos);
            errors.push(err(
                Span::new(key_start, end.max(c.pos)),
                format!("expected `=` after `{key}`"),
                "write KEY=VALUE; an empty value is written KEY=",
            ));
            c.skip_line();
            continue;
        }
        c.pos += 1;
        c.skip_blanks();
        let line = line_of(text, key_start);
        let raw_start = c.pos;
        let quote = match c.peek() {
            Some('\'') => Quote::Single,
            Some('"') => Quote::Double,
            Some('`') => Quote::Backtick,
            _ => Quote::None,
        };
        let (value, value_span, raw_end, refs) = if quote == Quote::None {
            let end = c.line_end(c.pos);
            let mut content = &text[c.pos..end];
            // An inline comment starts at a `#` preceded by whitespace.
            if let Some(i) = content
                .char_indices()
                .find(|&(i, ch)| ch == '#' && i > 0 && content[..i].ends_with([' ', '\t']))
                .map(|(i, _)| i)
            {
                content = &content[..i];
            }
            let trimmed = content.trim_end();
            let span = Span::new(c.pos, c.pos + trimmed.len());
            let refs = references(trimmed);
            c.pos = end;
            (trimmed.to_string(), span, span.end, refs)
        } else {
            let open = c.pos;
            let q = c.bump().unwrap_or('"');
            let content_start = c.pos;
            let mut value = String::new();
            let mut closed = None;
            while let Some(ch) = c.bump() {
                if ch == q {
                    closed = Some(c.pos - 1);
                    break;
                }
                if ch == '\\' && quote == Quote::Double {
                    match c.bump() {
                        Some('n') => value.push('\n'),
                        Some('r') => value.push('\r'),
                        Some('t') => value.push('\t'),
                        Some(e @ ('"' | '\\' | '$')) => {
                            // `\$` keeps a literal dollar: mark it so expansion skips it.
                            if e == '$' {
                                value.push('\u{0}');
                            } else {
                                value.push(e);
                            }
                        }
                        Some(other) => {
                            value.push('\\');
                            value.push(other);
                        }
                        None => break,
                    }
                } else {
                    value.push(ch);
                }
            }
            let Some(close) = closed else {
                let end = c.line_end(open);
                errors.push(err(
                    Span::new(open, end),
                    format!(
                        "the value of `{key}` opens a {} quote that is never closed",
                        quote_name(quote)
                    ),
                    "close the quote on this line (a quoted value may span lines, but must end)",
                ));
                c.pos = open;
                c.skip_line();
                continue;
            };
            let refs = if quote == Quote::Double {
                references(&value)
            } else {
                Vec::new()
            };
            (value, Span::new(content_start, close), close + 1, refs)
        };
        // After a closing quote only blanks or a comment may follow.
        let end = c.line_end(c.pos.max(raw_end));
        let rest = text[raw_end.min(end)..end].trim();
        if quote != Quote::None && !rest.is_empty() && !rest.starts_with('#') {
            errors.push(err(
                Span::new(raw_end, end),
                format!("unexpected `{rest}` after the closing quote of `{key}`"),
                "put everything inside the quotes, or start a comment with #",
            ));
        }
        c.pos = end;
        let value = value.replace('\u{0}', "$");
        entries.push(EnvEntry {
            key,
            key_span,
            value: (!value.is_empty()).then_some(value),
            value_span,
            raw_span: Span::new(raw_start, raw_end),
            quote,
            exported,
            line,
            refs,
            unresolved: Vec::new(),
        });
    }
    EnvFile {
        file,
        entries,
        errors,
    }
}

fn quote_name(q: Quote) -> &'static str {
    match q {
        Quote::Single => "single",
        Quote::Double => "double",
        Quote::Backtick => "backtick",
        Quote::None => "no",
    }
}

/// One `${NAME}`, `${NAME:-default}`, `${NAME-default}` or `$NAME` in a value.
struct Ref {
    start: usize,
    end: usize,
    name: String,
    default: Option<String>,
}

fn scan(value: &str) -> Vec<Ref> {
    let b = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        if b.get(i + 1) == Some(&b'{') {
            if let Some(close) = value[i + 2..].find('}') {
                let inner = &value[i + 2..i + 2 + close];
                let (name, default) = match inner.find(":-").or_else(|| inner.find('-')) {
                    Some(d) => {
                        let skip = if inner[d..].starts_with(":-") { 2 } else { 1 };
                        (&inner[..d], Some(inner[d + skip..].to_string()))
                    }
                    None => (inner, None),
                };
                if !name.is_empty()
                    && name.chars().next().is_some_and(is_key_start)
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    out.push(Ref {
                        start: i,
                        end: i + 3 + close,
                        name: name.to_string(),
                        default,
                    });
                }
                i += 3 + close;
                continue;
            }
        } else if b.get(i + 1).is_some_and(|c| is_key_start(*c as char)) {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            out.push(Ref {
                start: i,
                end: j,
                name: value[i + 1..j].to_string(),
                default: None,
            });
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

fn references(value: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in scan(value) {
        if !names.contains(&r.name) {
            names.push(r.name);
        }
    }
    names
}

fn expand(
    value: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unresolved: &mut Vec<String>,
) -> String {
    let mut out = String::new();
    let mut last = 0;
    for r in scan(value) {
        out.push_str(&value[last..r.start]);
        match lookup(&r.name).or(r.default.clone()) {
            Some(v) => out.push_str(&v),
            None => {
                out.push_str(&value[r.start..r.end]);
                if !unresolved.contains(&r.name) {
                    unresolved.push(r.name.clone());
                }
            }
        }
        last = r.end;
    }
    out.push_str(&value[last..]);
    out
}

/// Expands `raw` into the entry's value, recording the references that stayed unresolved.
fn expand_entry(e: &mut EnvEntry, raw: &str, lookup: &dyn Fn(&str) -> Option<String>) {
    let mut unresolved = Vec::new();
    e.value = Some(expand(raw, lookup, &mut unresolved));
    e.unresolved = unresolved;
}

/// Expands references within the file set only (never the process environment): a reference
/// sees the definitions before it (earlier lines, earlier files); failing that, any definition
/// in the set. Expansion is one level deep over already-expanded values, so cycles cannot loop.
pub fn resolve(files: &mut [EnvFile]) {
    use std::collections::HashMap;
    let mut seen: HashMap<String, String> = HashMap::new();
    // Names whose value still holds an unresolved reference: never substituted into others.
    let mut tainted: std::collections::HashSet<String> = std::collections::HashSet::new();
    let raw: Vec<Vec<Option<String>>> = files
        .iter()
        .map(|f| f.entries.iter().map(|e| e.value.clone()).collect())
        .collect();
    for f in files.iter_mut() {
        for e in &mut f.entries {
            if let (Some(v), false) = (e.value.clone(), e.refs.is_empty()) {
                expand_entry(e, &v, &|n| {
                    seen.get(n).filter(|_| !tainted.contains(n)).cloned()
                });
            }
            if e.unresolved.is_empty() {
                tainted.remove(&e.key);
            } else {
                tainted.insert(e.key.clone());
            }
            match &e.value {
                Some(v) => seen.insert(e.key.clone(), v.clone()),
                None => seen.insert(e.key.clone(), String::new()),
            };
        }
    }
    // Second chance for forward references: expand the value as written (never the expanded
    // text, whose own `$` characters are data) against the final definitions.
    for (f, raw_f) in files.iter_mut().zip(&raw) {
        for (e, raw_v) in f.entries.iter_mut().zip(raw_f) {
            if e.unresolved.is_empty() {
                continue;
            }
            if let Some(v) = raw_v {
                expand_entry(e, v, &|n| {
                    seen.get(n).filter(|_| !tainted.contains(n)).cloned()
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> EnvEntry {
        let f = parse(0, text);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        f.entries.into_iter().next().expect("an entry")
    }

    #[test]
    fn plain_export_quotes_and_comments() {
        let f = parse(
            0,
            "# c\nexport A=1\nB = 'x # y'\nC=\"a\\nb\" # note\nD=plain # comment\nE=\n",
        );
        assert!(f.errors.is_empty());
        let get = |k| f.get(k).unwrap();
        assert!(get("A").exported);
        assert_eq!(get("A").value.as_deref(), Some("1"));
        assert_eq!(get("B").value.as_deref(), Some("x # y"));
        assert_eq!(get("B").quote, Quote::Single);
        assert_eq!(get("C").value.as_deref(), Some("a\nb"));
        assert_eq!(get("D").value.as_deref(), Some("plain"));
        assert_eq!(get("E").value, None);
        assert_eq!(get("D").line, 5);
    }

    #[test]
    fn spans_point_at_key_and_value_even_after_a_bom() {
        let text = "\u{feff}DB_POOL_SIZE=40\n";
        let e = one(text);
        assert_eq!(&text[e.key_span.start..e.key_span.end], "DB_POOL_SIZE");
        assert_eq!(&text[e.value_span.start..e.value_span.end], "40");
        let text = "URL=\"postgres://db/app\"\n";
        let e = one(text);
        assert_eq!(
            &text[e.value_span.start..e.value_span.end],
            "postgres://db/app"
        );
        assert_eq!(
            &text[e.raw_span.start..e.raw_span.end],
            "\"postgres://db/app\""
        );
    }

    #[test]
    fn multi_line_values_and_crlf() {
        let f = parse(0, "KEY=\"line1\nline2\"\r\nNEXT=2\r\n");
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(f.get("KEY").unwrap().value.as_deref(), Some("line1\nline2"));
        assert_eq!(f.get("NEXT").unwrap().value.as_deref(), Some("2"));
        assert_eq!(f.get("NEXT").unwrap().line, 3);
    }

    #[test]
    fn errors_are_located_and_parsing_goes_on() {
        let text = "A=1\nB=\"never closed\nC=3\nnot a line\nD 4\nE=5\n";
        let f = parse(0, text);
        assert_eq!(f.errors.len(), 3, "{:?}", f.errors);
        assert_eq!(line_of(text, f.errors[0].span.start), 2);
        assert_eq!(line_of(text, f.errors[1].span.start), 4);
        assert_eq!(line_of(text, f.errors[2].span.start), 5);
        let keys: Vec<&str> = f.entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["A", "C", "E"]);
    }

    #[test]
    fn references_resolve_within_the_set_only() {
        std::env::set_var("POOLCHECK_TEST_ONLY_IN_PROCESS", "leak");
        let mut files = vec![
            parse(0, "USER=app\nPASS='p$w'\n"),
            parse(1, "URL=postgres://${USER}:$PASS@${HOST:-db}/$DB_NAME\nDB_NAME=shop\nX=$POOLCHECK_TEST_ONLY_IN_PROCESS\nY='${USER}'\nZ=\"\\$USER\"\n"),
        ];
        resolve(&mut files);
        let url = files[1].get("URL").unwrap();
        assert_eq!(url.value.as_deref(), Some("postgres://app:p$w@db/shop"));
        assert!(url.unresolved.is_empty());
        let x = files[1].get("X").unwrap();
        assert_eq!(x.value.as_deref(), Some("$POOLCHECK_TEST_ONLY_IN_PROCESS"));
        assert_eq!(x.unresolved, ["POOLCHECK_TEST_ONLY_IN_PROCESS"]);
        assert_eq!(files[1].get("Y").unwrap().value.as_deref(), Some("${USER}"));
        assert_eq!(files[1].get("Z").unwrap().value.as_deref(), Some("$USER"));
    }

    #[test]
    fn unbraced_reference_takes_the_whole_name() {
        let mut files = vec![parse(0, "DB=x\nDB_POOL=20\nV=$DB_POOL\n")];
        resolve(&mut files);
        assert_eq!(files[0].get("V").unwrap().value.as_deref(), Some("20"));
    }

    #[test]
    fn cycles_do_not_loop() {
        let mut files = vec![parse(0, "A=$B\nB=$A\n")];
        resolve(&mut files);
        assert!(!files[0].get("A").unwrap().unresolved.is_empty());
    }
}
