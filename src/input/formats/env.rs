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
    /// References [`resolve`] could not resolve within the file set, or that were left alone
    /// (a cycle, an expansion over budget): the value stays as written and counts as unknown.
    pub unresolved: Vec<String>,
    /// Byte offsets in `value` of dollars written `\$` (literal, never a reference).
    literal_dollars: Vec<usize>,
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

/// 1-based line numbers of increasing offsets, in one pass over the text (a fresh count from
/// the start for every entry made a 100,000-line file take minutes).
struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset < self.pos {
            // Never happens in the parser (offsets only grow); stay correct anyway.
            self.pos = 0;
            self.line = 1;
        }
        self.line += self.text[self.pos..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.pos = offset;
        self.line
    }
}

/// What a message quotes of a line: its start, so a megabyte line makes a short message.
fn excerpt(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
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
    let mut lines = Lines {
        text: text.as_bytes(),
        pos: 0,
        line: 1,
    };
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
                    excerpt(text[key_start..end].trim_end())
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
                format!("expected `=` after `{}`", excerpt(&key)),
                "write KEY=VALUE; an empty value is written KEY=",
            ));
            c.skip_line();
            continue;
        }
        c.pos += 1;
        c.skip_blanks();
        let line = lines.at(key_start);
        let raw_start = c.pos;
        let quote = match c.peek() {
            Some('\'') => Quote::Single,
            Some('"') => Quote::Double,
            Some('`') => Quote::Backtick,
            _ => Quote::None,
        };
        let (value, value_span, raw_end, refs, literal_dollars) = if quote == Quote::None {
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
            let refs = references(trimmed, &[]);
            c.pos = end;
            (trimmed.to_string(), span, span.end, refs, Vec::new())
        } else {
            let open = c.pos;
            let q = c.bump().unwrap_or('"');
            let content_start = c.pos;
            let mut value = String::new();
            let mut literal_dollars = Vec::new();
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
                            // `\$` keeps a literal dollar: note it so expansion skips it.
                            if e == '$' {
                                literal_dollars.push(value.len());
                            }
                            value.push(e);
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
                        "the value of `{}` opens a {} quote that is never closed",
                        excerpt(&key),
                        quote_name(quote)
                    ),
                    "close the quote on this line (a quoted value may span lines, but must end)",
                ));
                c.pos = open;
                c.skip_line();
                continue;
            };
            let refs = if quote == Quote::Double {
                references(&value, &literal_dollars)
            } else {
                Vec::new()
            };
            (
                value,
                Span::new(content_start, close),
                close + 1,
                refs,
                literal_dollars,
            )
        };
        // After a closing quote only blanks or a comment may follow.
        let end = c.line_end(c.pos.max(raw_end));
        let rest = text[raw_end.min(end)..end].trim();
        if quote != Quote::None && !rest.is_empty() && !rest.starts_with('#') {
            errors.push(err(
                Span::new(raw_end, end),
                format!(
                    "unexpected `{}` after the closing quote of `{}`",
                    excerpt(rest),
                    excerpt(&key)
                ),
                "put everything inside the quotes, or start a comment with #",
            ));
        }
        c.pos = end;
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
            literal_dollars,
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

/// Budgets on `${VAR}` expansion. Ten references to a value of ten references, ten lines
/// deep, is 10^11 bytes from a file of a few hundred: such a value becomes unknown with a
/// finding instead of being built.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Bytes that substitution may add over a whole run (all files together).
pub const MAX_RUN_BYTES: usize = 1024 * 1024;
/// References through references: `A=${B}`, `B=${C}`… more than this many levels.
pub const MAX_DEPTH: usize = 16;

/// One `${NAME}`, `${NAME:-default}`, `${NAME-default}` or `$NAME` in a value.
struct Ref {
    start: usize,
    end: usize,
    name: String,
    default: Option<Fallback>,
}

/// The default of `${NAME:-text}` (also used when NAME is empty) or `${NAME-text}` (only when
/// NAME is not defined).
struct Fallback {
    text: String,
    if_empty: bool,
}

/// The references in `value`, skipping the dollars at `literal` (written `\$`). Linear: a
/// value of `${${${…` without any `}` is searched for one once, not once per `${`.
fn scan(value: &str, literal: &[usize]) -> Vec<Ref> {
    let b = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut no_close = false;
    while i < b.len() {
        if b[i] != b'$' || literal.binary_search(&i).is_ok() {
            i += 1;
            continue;
        }
        if b.get(i + 1) == Some(&b'{') {
            match (!no_close).then(|| value[i + 2..].find('}')).flatten() {
                Some(close) => {
                    let inner = &value[i + 2..i + 2 + close];
                    let (name, default) = match inner.find(":-").or_else(|| inner.find('-')) {
                        Some(d) => {
                            let if_empty = inner[d..].starts_with(":-");
                            let skip = if if_empty { 2 } else { 1 };
                            let text = inner[d + skip..].to_string();
                            (&inner[..d], Some(Fallback { text, if_empty }))
                        }
                        None => (inner, None),
                    };
                    if name.chars().next().is_some_and(is_key_start)
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
                None => no_close = true,
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

/// Distinct names referenced, in order of first use.
fn references(value: &str, literal: &[usize]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    scan(value, literal)
        .into_iter()
        .filter(|r| seen.insert(r.name.clone()))
        .map(|r| r.name)
        .collect()
}

/// A definition's value once its references are expanded.
#[derive(Clone)]
enum Val {
    /// Known text; empty when the value is empty (unset, for applications).
    Text(String),
    /// Not known: a reference poolcheck cannot resolve, a cycle, or over budget.
    Unknown,
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Todo,
    Busy,
    Done,
}

/// One definition being expanded, on the explicit stack of [`Resolver::expand`].
struct Frame {
    def: usize,
    refs: Vec<Ref>,
    next: usize,
    /// Byte offset in the written value after the last reference handled.
    last: usize,
    out: String,
    unknown: bool,
    over_size: bool,
    unresolved: Vec<String>,
    /// Longest chain of references below this value.
    height: usize,
    /// The lowest stack position a reference below this value led back to (a cycle), as in
    /// Tarjan's algorithm; usize::MAX when none did.
    low: usize,
}

struct Resolver<'a> {
    files: &'a [EnvFile],
    /// Every entry of every file in order: (file index, entry index).
    defs: Vec<(usize, usize)>,
    /// Positions in `defs` of each name's definitions, in order.
    by_name: std::collections::HashMap<&'a str, Vec<usize>>,
    state: Vec<State>,
    val: Vec<Val>,
    height: Vec<usize>,
    stack_pos: Vec<usize>,
    cycle_reported: Vec<bool>,
    /// Bytes substitution added so far this run.
    run_bytes: usize,
    /// The first value the run budget refused, and how many it refused.
    run_refused: Option<(usize, usize)>,
    unresolved: Vec<Vec<String>>,
    errors: Vec<ParseError>,
}

impl<'a> Resolver<'a> {
    fn entry(&self, def: usize) -> &'a EnvEntry {
        let (f, e) = self.defs[def];
        &self.files[f].entries[e]
    }

    fn error(&mut self, def: usize, message: String, help: &str) {
        let (f, _) = self.defs[def];
        self.errors.push(ParseError {
            file: self.files[f].file,
            span: self.entry(def).value_span,
            message,
            help: Some(help.to_string()),
        });
    }

    /// The definition a reference from `def` to `name` sees: the last one before it, failing
    /// that the last one in the set (a forward reference, which may lead back: a cycle).
    fn target(&self, def: usize, name: &str) -> Option<usize> {
        let list = self.by_name.get(name)?;
        match list.partition_point(|&d| d < def) {
            0 => list.last().copied(),
            i => Some(list[i - 1]),
        }
    }

    fn frame(&mut self, def: usize, depth: usize) -> Frame {
        self.state[def] = State::Busy;
        self.stack_pos[def] = depth;
        let e = self.entry(def);
        Frame {
            def,
            refs: scan(e.value.as_deref().unwrap_or(""), &e.literal_dollars),
            next: 0,
            last: 0,
            out: String::new(),
            unknown: false,
            over_size: false,
            unresolved: Vec::new(),
            height: 0,
            low: usize::MAX,
        }
    }

    /// Appends text to a value being built, within the per-value budget.
    fn push_text(f: &mut Frame, text: &str) {
        if f.unknown {
            return;
        }
        if f.out.len() + text.len() > MAX_VALUE_BYTES {
            f.over_size = true;
            f.unknown = true;
            f.out = String::new();
        } else {
            f.out.push_str(text);
        }
    }

    fn unresolved(f: &mut Frame, name: &str) {
        f.unknown = true;
        if !f.unresolved.iter().any(|n| n == name) {
            f.unresolved.push(name.to_string());
        }
    }

    /// Expands `root` and every definition it leads to, depth first on an explicit stack
    /// (a chain of 100,000 forward references must not overflow the call stack).
    fn expand(&mut self, root: usize) {
        let first = self.frame(root, 0);
        let mut stack = vec![first];
        while let Some(top) = stack.last_mut() {
            if top.next < top.refs.len() {
                let r = &top.refs[top.next];
                let target = self.target(top.def, &r.name);
                if let Some(t) = target.filter(|&t| self.state[t] == State::Todo) {
                    let f = self.frame(t, stack.len());
                    stack.push(f);
                    continue;
                }
                let (start, end, name) = (r.start, r.end, r.name.clone());
                let value = self.entry(top.def).value.as_deref().unwrap_or("");
                let before = &value[top.last..start];
                Self::push_text(top, before);
                top.last = end;
                top.next += 1;
                let Some(t) = target else {
                    match &top.refs[top.next - 1].default {
                        Some(d) => {
                            let text = d.text.clone();
                            Self::push_text(top, &text);
                        }
                        None => Self::unresolved(top, &name),
                    }
                    continue;
                };
                if self.state[t] == State::Busy {
                    let p = self.stack_pos[t];
                    top.low = top.low.min(p);
                    Self::unresolved(top, &name);
                    if !self.cycle_reported[t] {
                        self.cycle_reported[t] = true;
                        let names: Vec<&str> = stack[p..]
                            .iter()
                            .map(|f| self.entry(f.def).key.as_str())
                            .collect();
                        let message = cycle_message(&names);
                        self.error(
                            t,
                            message,
                            "break the cycle: write one of these values without ${…}",
                        );
                    }
                    continue;
                }
                let text = match &self.val[t] {
                    Val::Unknown => {
                        Self::unresolved(top, &name);
                        continue;
                    }
                    Val::Text(s) if s.is_empty() => match &top.refs[top.next - 1].default {
                        Some(d) if d.if_empty => d.text.clone(),
                        _ => String::new(),
                    },
                    Val::Text(s) => s.clone(),
                };
                top.height = top.height.max(self.height[t] + 1);
                if top.unknown {
                    continue;
                }
                if self.run_bytes + text.len() > MAX_RUN_BYTES {
                    top.unknown = true;
                    let def = top.def;
                    let refused = self.run_refused.get_or_insert((def, 0));
                    refused.1 += 1;
                    continue;
                }
                self.run_bytes += text.len();
                Self::push_text(top, &text);
                continue;
            }
            let Some(mut f) = stack.pop() else { break };
            let value = self.entry(f.def).value.as_deref().unwrap_or("");
            let last = f.last;
            Self::push_text(&mut f, &value[last..]);
            let pos = stack.len();
            if f.low < pos {
                // On a cycle that goes on below the parent: the parent is on it too.
                if let Some(parent) = stack.last_mut() {
                    parent.low = parent.low.min(f.low);
                }
            }
            let key = excerpt(&self.entry(f.def).key);
            let val = if f.low != usize::MAX {
                Val::Unknown
            } else if f.over_size {
                self.error(
                    f.def,
                    format!("`{key}` expands to more than 64 KiB through ${{…}} references"),
                    "write the value out (an expansion bomb?); poolcheck treats it as unknown",
                );
                Val::Unknown
            } else if f.unknown {
                Val::Unknown
            } else if f.height > MAX_DEPTH {
                self.error(
                    f.def,
                    format!("`{key}` nests ${{…}} references more than {MAX_DEPTH} deep"),
                    "refer to the values directly; poolcheck treats it as unknown",
                );
                f.unknown = true;
                Val::Unknown
            } else {
                Val::Text(std::mem::take(&mut f.out))
            };
            if matches!(val, Val::Unknown) && f.unresolved.is_empty() {
                let mut seen = std::collections::HashSet::new();
                f.unresolved = f
                    .refs
                    .iter()
                    .filter(|r| seen.insert(r.name.as_str()))
                    .map(|r| r.name.clone())
                    .collect();
            }
            self.height[f.def] = f.height;
            self.val[f.def] = val;
            self.unresolved[f.def] = f.unresolved;
            self.state[f.def] = State::Done;
        }
    }
}

/// "A refers to itself", "A refers to itself through B", "… through B, C and D".
fn cycle_message(names: &[&str]) -> String {
    let first = excerpt(names[0]);
    let rest: Vec<String> = names[1..].iter().take(4).map(|n| excerpt(n)).collect();
    let more = names.len().saturating_sub(5);
    let through = match (rest.as_slice(), more) {
        ([], _) => return format!("{first} refers to itself"),
        ([one], _) => one.clone(),
        (many, 0) => format!(
            "{} and {}",
            many[..many.len() - 1].join(", "),
            many[many.len() - 1]
        ),
        (many, n) => format!("{} and {n} more", many.join(", ")),
    };
    format!("{first} refers to itself through {through}")
}

/// Expands references within the file set only (never the process environment): a reference
/// sees the last definition before it (earlier lines, earlier files); failing that, the last
/// one in the set. Expanded text is data: its own `$` characters are never expanded again.
///
/// A value in a reference cycle, over [`MAX_VALUE_BYTES`] or [`MAX_DEPTH`], or past
/// [`MAX_RUN_BYTES`] for the run stays as written with `unresolved` set (unknown), and the
/// returned errors say where and why.
#[must_use]
pub fn resolve(files: &mut [EnvFile]) -> Vec<ParseError> {
    let mut defs = Vec::new();
    for (fi, f) in files.iter().enumerate() {
        defs.extend((0..f.entries.len()).map(|ei| (fi, ei)));
    }
    let n = defs.len();
    let (val, unresolved, errors, order) = {
        let shared: &[EnvFile] = files;
        let mut by_name: std::collections::HashMap<&str, Vec<usize>> =
            std::collections::HashMap::new();
        for (d, &(fi, ei)) in defs.iter().enumerate() {
            by_name
                .entry(shared[fi].entries[ei].key.as_str())
                .or_default()
                .push(d);
        }
        let mut r = Resolver {
            files: shared,
            defs,
            by_name,
            state: vec![State::Todo; n],
            val: vec![Val::Unknown; n],
            height: vec![0; n],
            stack_pos: vec![0; n],
            cycle_reported: vec![false; n],
            run_bytes: 0,
            run_refused: None,
            unresolved: vec![Vec::new(); n],
            errors: Vec::new(),
        };
        for d in 0..n {
            let e = r.entry(d);
            if e.refs.is_empty() {
                r.val[d] = Val::Text(e.value.clone().unwrap_or_default());
                r.state[d] = State::Done;
            }
        }
        for d in 0..n {
            if r.state[d] == State::Todo {
                r.expand(d);
            }
        }
        if let Some((d, count)) = r.run_refused {
            let key = excerpt(&r.entry(d).key);
            let others = match count - 1 {
                0 => String::new(),
                1 => " and 1 other value".to_string(),
                k => format!(" and {k} other values"),
            };
            r.error(
                d,
                format!("`{key}`{others} pass the 1 MiB budget for ${{…}} expansion"),
                "write the values out (an expansion bomb?); poolcheck treats them as unknown",
            );
        }
        (r.val, r.unresolved, r.errors, r.defs)
    };
    for ((fi, ei), (v, u)) in order.into_iter().zip(val.into_iter().zip(unresolved)) {
        let e = &mut files[fi].entries[ei];
        if e.refs.is_empty() {
            continue;
        }
        match v {
            Val::Text(s) => e.value = (!s.is_empty()).then_some(s),
            Val::Unknown => e.unresolved = u,
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_of(text: &str, offset: usize) -> usize {
        text[..offset].matches('\n').count() + 1
    }

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
        assert_eq!(resolve(&mut files), []);
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
        assert_eq!(resolve(&mut files), []);
        assert_eq!(files[0].get("V").unwrap().value.as_deref(), Some("20"));
    }

    /// Resolves one file; returns the errors as (line, message) and the file.
    fn resolved(text: &str) -> (Vec<(usize, String)>, EnvFile) {
        let mut files = vec![parse(0, text)];
        assert!(files[0].errors.is_empty(), "{:?}", files[0].errors);
        let errors = resolve(&mut files)
            .into_iter()
            .map(|e| {
                assert!(e.span.end <= text.len());
                (line_of(text, e.span.start), e.message)
            })
            .collect();
        (errors, files.pop().unwrap())
    }

    fn unknown(f: &EnvFile, key: &str) -> Vec<String> {
        let e = f.get(key).unwrap();
        assert!(!e.unresolved.is_empty(), "{key} should be unknown: {e:?}");
        e.unresolved.clone()
    }

    #[test]
    fn a_two_key_cycle_is_one_located_error_and_both_stay_as_written() {
        let text = "DB_URL=postgres://${DB_HOST}/db\nDB_HOST=${DB_URL}\n";
        let (errors, f) = resolved(text);
        assert_eq!(
            errors,
            [(1, "DB_URL refers to itself through DB_HOST".to_string())]
        );
        assert_eq!(unknown(&f, "DB_URL"), ["DB_HOST"]);
        assert_eq!(unknown(&f, "DB_HOST"), ["DB_URL"]);
        let url = f.get("DB_URL").unwrap();
        assert_eq!(url.value.as_deref(), Some("postgres://${DB_HOST}/db"));
    }

    #[test]
    fn a_key_that_refers_to_itself_is_a_cycle_unless_it_was_defined_before() {
        let (errors, f) = resolved("A=${A}\n");
        assert_eq!(errors, [(1, "A refers to itself".to_string())]);
        assert_eq!(unknown(&f, "A"), ["A"]);
        let (errors, f) = resolved("A=$B\nB=$A\n");
        assert_eq!(errors, [(1, "A refers to itself through B".to_string())]);
        assert_eq!(unknown(&f, "B"), ["A"]);
        // Appending to an earlier definition is no cycle.
        let (errors, f) = resolved("A=1\nA=${A}x\n");
        assert_eq!(errors, []);
        assert_eq!(f.get("A").unwrap().value.as_deref(), Some("1x"));
    }

    #[test]
    fn values_that_use_a_cycle_are_unknown_without_an_error_of_their_own() {
        let (errors, f) = resolved("D=${A}\nA=${B}\nB=${C}\nC=${A}\nE=ok\n");
        assert_eq!(
            errors,
            [(2, "A refers to itself through B and C".to_string())]
        );
        assert_eq!(unknown(&f, "D"), ["A"]);
        assert_eq!(f.get("E").unwrap().value.as_deref(), Some("ok"));
        let names: Vec<String> = (0..8).map(|i| format!("K{i}")).collect();
        let mut text = String::new();
        for (i, n) in names.iter().enumerate() {
            text.push_str(&format!("{n}=${{{}}}\n", names[(i + 1) % 8]));
        }
        let (errors, _) = resolved(&text);
        assert_eq!(
            errors,
            [(
                1,
                "K0 refers to itself through K1, K2, K3, K4 and 3 more".to_string()
            )]
        );
    }

    /// Ten references per line, ten lines deep: 10^11 bytes if expanded.
    fn bomb() -> String {
        let mut text = String::from("A0=xxxxxxxxxx\n");
        for i in 1..=10 {
            text.push_str(&format!("A{i}={}\n", format!("${{A{}}}", i - 1).repeat(10)));
        }
        text.push_str("DATABASE_URL=postgres://u@${A10}/db\n");
        text
    }

    #[test]
    fn an_expansion_bomb_stops_at_64_kib_with_one_error_and_unknown_values() {
        let (errors, f) = resolved(&bomb());
        assert_eq!(
            errors,
            [(
                5,
                "`A4` expands to more than 64 KiB through ${…} references".to_string()
            )]
        );
        assert_eq!(
            f.get("A3").unwrap().value.as_ref().map(String::len),
            Some(10_000)
        );
        assert_eq!(unknown(&f, "A4"), ["A3"]);
        assert_eq!(unknown(&f, "A10"), ["A9"]);
        assert_eq!(unknown(&f, "DATABASE_URL"), ["A10"]);
        let a4 = f.get("A4").unwrap().value.clone().unwrap();
        assert_eq!(
            a4,
            "${A3}".repeat(10),
            "as written, never a partial expansion"
        );
    }

    #[test]
    fn references_nested_more_than_16_deep_are_unknown() {
        let mut text = String::from("V0=x\n");
        for i in 1..=17 {
            text.push_str(&format!("V{i}=${{V{}}}\n", i - 1));
        }
        text.push_str("W=$V17\n");
        let (errors, f) = resolved(&text);
        assert_eq!(
            errors,
            [(
                18,
                "`V17` nests ${…} references more than 16 deep".to_string()
            )]
        );
        assert_eq!(f.get("V16").unwrap().value.as_deref(), Some("x"));
        assert_eq!(unknown(&f, "V17"), ["V16"]);
        assert_eq!(unknown(&f, "W"), ["V17"]);
    }

    #[test]
    fn a_long_chain_of_forward_references_neither_recurses_nor_repeats() {
        let n = 100_000;
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&format!("V{i}=${{V{}}}\n", i + 1));
        }
        text.push_str(&format!("V{n}=end\n"));
        let (errors, f) = resolved(&text);
        // Only the value 17 references above the end crosses the depth budget.
        let at = n - 17;
        assert_eq!(
            errors,
            [(
                at + 1,
                format!("`V{at}` nests ${{…}} references more than 16 deep")
            )]
        );
        assert_eq!(f.entries[at + 1].value.as_deref(), Some("end"));
        assert!(!f.entries[0].unresolved.is_empty());
    }

    #[test]
    fn the_run_budget_refuses_expansions_past_1_mib_in_one_error() {
        let mut text = format!("BIG={}\n", "b".repeat(60_000));
        for i in 1..=20 {
            text.push_str(&format!("X{i}=${{BIG}}\n"));
        }
        let (errors, f) = resolved(&text);
        // 17 × 60,000 bytes fit in 1 MiB; the 18th does not.
        assert_eq!(
            errors,
            [(
                19,
                "`X18` and 2 other values pass the 1 MiB budget for ${…} expansion".to_string()
            )]
        );
        assert_eq!(
            f.get("X17").unwrap().value.as_ref().map(String::len),
            Some(60_000)
        );
        assert_eq!(unknown(&f, "X20"), ["BIG"]);
    }

    #[test]
    fn an_escaped_dollar_stays_literal_beside_a_reference_and_defaults_follow_shell_rules() {
        let (errors, f) = resolved(
            "USER=u\nHOST=h\nZ=\"\\$USER ${HOST}\"\nE=\nA=${E:-d}\nB=${E-d}\nC=${NOPE-d}\n",
        );
        assert_eq!(errors, []);
        assert_eq!(f.get("Z").unwrap().value.as_deref(), Some("$USER h"));
        assert_eq!(f.get("A").unwrap().value.as_deref(), Some("d"));
        assert_eq!(f.get("B").unwrap().value, None, "set but empty: no default");
        assert_eq!(f.get("C").unwrap().value.as_deref(), Some("d"));
    }

    #[test]
    fn line_numbers_of_100k_entries_are_exact() {
        let text: String = (0..100_000).map(|i| format!("K{i}=v\n\n")).collect();
        let f = parse(0, &text);
        assert_eq!(f.entries.len(), 100_000);
        assert_eq!(f.entries[99_999].line, 199_999);
        assert_eq!(f.entries[1].line, 3);
    }

    #[test]
    fn unclosed_braces_are_scanned_once_and_long_lines_quoted_short() {
        let text = format!("A=x{}\n", "${".repeat(50_000));
        let e = one(&text);
        assert!(e.refs.is_empty());
        let f = parse(0, &format!("{}\n", "!".repeat(100_000)));
        assert_eq!(
            f.errors[0].message,
            format!("`{}…` is not a KEY=VALUE line", "!".repeat(40))
        );
    }
}
