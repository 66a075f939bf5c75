//! JSON, JSON5 and HJSON into the span-carrying [`Node`] tree, by one small reader of our own.
//!
//! No crate keeps byte spans for all three: serde_json and json5 give values only, the HJSON
//! crates (deser-hjson, serde-hjson) neither spans nor comments. The three grammars differ in
//! a few tokens, so one recursive-descent reader with a [`Flavor`] serves them:
//!
//! - `Json`: RFC 8259, plus `//` and `/* */` comments and trailing commas, which .NET's
//!   configuration reader accepts in appsettings.json (`JsonDocumentOptions` with
//!   `CommentHandling.Skip` and `AllowTrailingCommas`, see
//!   <https://learn.microsoft.com/dotnet/core/extensions/configuration-providers#json-configuration-provider>).
//! - `Json5`: also single-quoted strings, unquoted identifier keys, hex and signed numbers,
//!   `Infinity`/`NaN` (<https://spec.json5.org/>).
//! - `Hjson`: also `#` comments, optional root braces and commas, quoteless keys and values
//!   (a quoteless value runs to the end of its line) and `'''` multi-line strings
//!   (<https://hjson.github.io/syntax.html>), as Lemmy's config.hjson uses them.
//!
//! A key given twice keeps its first position and its last value, as every reader of these
//! formats that accepts duplicates applies the later one.

use super::{Entry, Node, NodeKind, ParseError, Scalar, MAX_NESTING};
use crate::core::source::{FileId, Span};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Json,
    Json5,
    Hjson,
}

impl Flavor {
    fn name(self) -> &'static str {
        match self {
            Flavor::Json => "JSON",
            Flavor::Json5 => "JSON5",
            Flavor::Hjson => "HJSON",
        }
    }
}

/// Parses one document. The first syntax error ends the reading: after a broken token the
/// rest of a JSON document has no reliable structure.
pub fn parse(file: FileId, text: &str, flavor: Flavor) -> Result<Node, ParseError> {
    let mut p = Parser {
        file,
        text,
        b: text.as_bytes(),
        pos: if text.starts_with('\u{feff}') { 3 } else { 0 },
        flavor,
    };
    p.ws()?;
    let root = if flavor == Flavor::Hjson && !matches!(p.peek(), Some(b'{' | b'[') | None) {
        // A root object without braces.
        p.members(p.pos, None, 1)?
    } else if p.peek().is_none() {
        if flavor == Flavor::Hjson {
            return Ok(p.node(NodeKind::Map(Vec::new()), Span::new(0, 0)));
        }
        return Err(p.err(
            p.pos,
            "the file holds no value".into(),
            "write an object, e.g. {}",
        ));
    } else {
        p.value(1)?
    };
    p.ws()?;
    if p.pos < p.b.len() {
        return Err(p.err(
            p.pos,
            format!("unexpected `{}` after the document's end", p.excerpt(p.pos)),
            "a file holds one value: remove what follows it, or join them in one object",
        ));
    }
    Ok(root)
}

struct Parser<'a> {
    file: FileId,
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    flavor: Flavor,
}

/// Characters that end an HJSON quoteless key.
fn hjson_punct(c: u8) -> bool {
    matches!(c, b'{' | b'}' | b'[' | b']' | b',' | b':')
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn node(&self, kind: NodeKind, span: Span) -> Node {
        Node {
            kind,
            file: self.file,
            span,
        }
    }

    /// The text at `at`, a few characters of it, for a message.
    fn excerpt(&self, at: usize) -> String {
        let rest = &self.text[at.min(self.text.len())..];
        let s: String = rest.chars().take(12).take_while(|c| *c != '\n').collect();
        crate::core::secrets::escape_controls(&s)
    }

    fn err(&self, at: usize, message: String, help: &str) -> ParseError {
        let at = at.min(self.text.len());
        let end = self.text[at..]
            .chars()
            .next()
            .map_or(at, |c| at + c.len_utf8());
        ParseError {
            file: self.file,
            span: Span::new(at, end),
            message,
            help: Some(help.to_string()),
        }
    }

    /// Skips whitespace and the comments the flavor allows.
    fn ws(&mut self) -> Result<(), ParseError> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.pos += 1,
                Some(b'#') if self.flavor == Flavor::Hjson => self.line_comment(),
                Some(b'/') if self.b.get(self.pos + 1) == Some(&b'/') => self.line_comment(),
                Some(b'/') if self.b.get(self.pos + 1) == Some(&b'*') => {
                    let start = self.pos;
                    match self.text[self.pos + 2..].find("*/") {
                        Some(i) => self.pos += 2 + i + 2,
                        None => {
                            return Err(self.err(
                                start,
                                "this `/*` comment is never closed".into(),
                                "end the comment with */",
                            ))
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn line_comment(&mut self) {
        self.pos = self.text[self.pos..]
            .find('\n')
            .map_or(self.b.len(), |i| self.pos + i);
    }

    /// Skips blanks and comments on the current line only (HJSON: a newline separates).
    fn inline_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r')) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth > MAX_NESTING {
            return Err(self.err(
                self.pos,
                format!("objects and lists nest more than {MAX_NESTING} levels deep"),
                "flatten the structure; configuration never nests this deep",
            ));
        }
        let start = self.pos;
        match self.peek() {
            None => Err(self.err(
                start,
                "the file ends where a value was expected".into(),
                "complete the value, or remove the key before it",
            )),
            Some(b'{') => {
                self.pos += 1;
                self.members(start, Some(b'}'), depth + 1)
            }
            Some(b'[') => {
                self.pos += 1;
                self.items(start, depth + 1)
            }
            Some(b'"') => self.string(b'"'),
            Some(b'\'')
                if self.flavor == Flavor::Hjson && self.text[start..].starts_with("'''") =>
            {
                self.multiline()
            }
            Some(b'\'') if self.flavor != Flavor::Json => self.string(b'\''),
            Some(_) if self.flavor == Flavor::Hjson => self.quoteless(),
            Some(_) => self.literal(),
        }
    }

    /// Object members up to `close` (None: the end of the file, an HJSON root).
    fn members(
        &mut self,
        start: usize,
        close: Option<u8>,
        depth: usize,
    ) -> Result<Node, ParseError> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        loop {
            self.ws()?;
            match (self.peek(), close) {
                (None, None) => break,
                (None, Some(_)) => {
                    return Err(self.err(
                        start,
                        "this `{` is never closed".into(),
                        "end the object with }",
                    ))
                }
                (Some(c), Some(cl)) if c == cl => {
                    self.pos += 1;
                    break;
                }
                _ => {}
            }
            let (key, key_span) = self.key()?;
            self.ws()?;
            if self.peek() != Some(b':') {
                return Err(self.err(
                    self.pos,
                    format!(
                        "expected `:` after the key `{}`",
                        crate::core::secrets::clip(&key, 40)
                    ),
                    "write key: value",
                ));
            }
            self.pos += 1;
            self.ws()?;
            let value = self.value(depth)?;
            // Small objects search their few keys; an index pays off only for large ones.
            const INDEXED: usize = 16;
            if entries.len() == INDEXED && index.is_empty() {
                index.extend(entries.iter().enumerate().map(|(i, e)| (e.key.clone(), i)));
            }
            let found = if entries.len() < INDEXED {
                entries.iter().position(|e| e.key == key)
            } else {
                index.get(&key).copied()
            };
            match found {
                Some(i) => entries[i].value = value,
                None => {
                    if entries.len() >= INDEXED {
                        index.insert(key.clone(), entries.len());
                    }
                    entries.push(Entry {
                        key,
                        key_span,
                        value,
                    });
                }
            }
            if !self.separator(close.unwrap_or(0), "object")? {
                self.ws()?;
                match (self.peek(), close) {
                    (None, None) => break,
                    (Some(c), Some(cl)) if c == cl => {
                        self.pos += 1;
                        break;
                    }
                    (None, Some(_)) => {
                        return Err(self.err(
                            start,
                            "this `{` is never closed".into(),
                            "end the object with }",
                        ))
                    }
                    _ => {
                        return Err(self.err(
                            self.pos,
                            format!("expected `,` or `}}` before `{}`", self.excerpt(self.pos)),
                            "separate the members with commas",
                        ))
                    }
                }
            }
        }
        let end = self.pos;
        Ok(self.node(NodeKind::Map(entries), Span::new(start, end)))
    }

    /// After a member or item: a comma (true), or none (false). HJSON needs none: a newline
    /// separates, which its quoteless values have already consumed up to.
    fn separator(&mut self, close: u8, what: &str) -> Result<bool, ParseError> {
        self.ws()?;
        if self.peek() == Some(b',') {
            let at = self.pos;
            self.pos += 1;
            if self.flavor == Flavor::Json {
                // A trailing comma is tolerated (as .NET reads appsettings.json); a doubled
                // one is an error.
                self.ws()?;
                if self.peek() == Some(b',') {
                    return Err(self.err(
                        at,
                        format!("two commas in a row in this {what}"),
                        "remove one of the commas",
                    ));
                }
            }
            return Ok(true);
        }
        if self.flavor == Flavor::Hjson && self.peek() != Some(close) {
            return Ok(true);
        }
        Ok(false)
    }

    fn items(&mut self, start: usize, depth: usize) -> Result<Node, ParseError> {
        let mut items = Vec::new();
        loop {
            self.ws()?;
            match self.peek() {
                None => {
                    return Err(self.err(
                        start,
                        "this `[` is never closed".into(),
                        "end the list with ]",
                    ))
                }
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                _ => {}
            }
            items.push(self.value(depth)?);
            if !self.separator(b']', "list")? {
                self.ws()?;
                match self.peek() {
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    None => {
                        return Err(self.err(
                            start,
                            "this `[` is never closed".into(),
                            "end the list with ]",
                        ))
                    }
                    _ => {
                        return Err(self.err(
                            self.pos,
                            format!("expected `,` or `]` before `{}`", self.excerpt(self.pos)),
                            "separate the items with commas",
                        ))
                    }
                }
            }
        }
        Ok(self.node(NodeKind::Seq(items), Span::new(start, self.pos)))
    }

    fn key(&mut self) -> Result<(String, Span), ParseError> {
        let start = self.pos;
        match self.peek() {
            Some(b'"') => return self.string(b'"').map(|n| (text_of(&n), n.span)),
            Some(b'\'') if self.flavor != Flavor::Json => {
                return self.string(b'\'').map(|n| (text_of(&n), n.span))
            }
            _ => {}
        }
        let ok = |c: u8| match self.flavor {
            Flavor::Json => false,
            Flavor::Json5 => c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80,
            Flavor::Hjson => !c.is_ascii_whitespace() && !hjson_punct(c),
        };
        let mut end = start;
        while end < self.b.len() && ok(self.b[end]) {
            end += 1;
        }
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        if end == start {
            let help = if self.flavor == Flavor::Json {
                "write the key in double quotes, e.g. \"pool_size\": 10"
            } else {
                "write a key, e.g. pool_size: 10"
            };
            return Err(self.err(
                start,
                format!(
                    "expected a key, found `{}` ({})",
                    self.excerpt(start),
                    self.flavor.name()
                ),
                help,
            ));
        }
        self.pos = end;
        Ok((self.text[start..end].to_string(), Span::new(start, end)))
    }

    /// A quoted string; the node's span is its content, without the quotes.
    fn string(&mut self, quote: u8) -> Result<Node, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let start = self.pos;
        let mut out = String::new();
        loop {
            let Some(c) = self.text[self.pos..].chars().next() else {
                return Err(self.err(
                    open,
                    "this string is never closed".into(),
                    "end the string with its quote on the same line",
                ));
            };
            match c {
                '\n' => {
                    return Err(self.err(
                        open,
                        "this string is never closed on its line".into(),
                        "end the string with its quote on the same line",
                    ))
                }
                '\\' => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                c if c as u32 == u32::from(quote) => {
                    let end = self.pos;
                    self.pos += 1;
                    return Ok(self.node(NodeKind::Scalar(Scalar::Str(out)), Span::new(start, end)));
                }
                _ => {
                    // Copy the run up to the next quote, backslash or newline at once.
                    let run = self.b[self.pos..]
                        .iter()
                        .position(|&b| b == quote || b == b'\\' || b == b'\n')
                        .map_or(self.b.len(), |i| self.pos + i);
                    out.push_str(&self.text[self.pos..run]);
                    self.pos = run;
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let at = self.pos - 1;
        let bad = |p: &Self| {
            p.err(
                at,
                format!(
                    "`\\{}` is not an escape sequence",
                    p.excerpt(at + 1).chars().next().unwrap_or(' ')
                ),
                "write \\\\ for a backslash",
            )
        };
        let Some(c) = self.text[self.pos..].chars().next() else {
            return Err(bad(self));
        };
        self.pos += c.len_utf8();
        let json5 = self.flavor != Flavor::Json;
        match c {
            '"' | '\\' | '/' => out.push(c),
            '\'' if json5 => out.push(c),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            '0' if json5 => out.push('\0'),
            '\n' if json5 => {} // a line continuation
            'x' if json5 => {
                let v = self.hex(2).ok_or_else(|| bad(self))?;
                out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
            }
            'u' => {
                let v = self.hex(4).ok_or_else(|| bad(self))?;
                let ch =
                    if (0xD800..0xDC00).contains(&v) && self.text[self.pos..].starts_with("\\u") {
                        self.pos += 2;
                        let lo = self.hex(4).ok_or_else(|| bad(self))?;
                        char::from_u32(
                            0x10000 + ((v - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF),
                        )
                    } else {
                        char::from_u32(v)
                    };
                out.push(ch.unwrap_or('\u{fffd}'));
            }
            _ => return Err(bad(self)),
        }
        Ok(())
    }

    fn hex(&mut self, n: usize) -> Option<u32> {
        let digits = self.text.get(self.pos..self.pos + n)?;
        let v = u32::from_str_radix(digits, 16).ok()?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += n;
        Some(v)
    }

    /// HJSON `'''` string: lines between the quotes, the first line's indentation removed.
    fn multiline(&mut self) -> Result<Node, ParseError> {
        let open = self.pos;
        let start = self.pos + 3;
        let Some(i) = self.text[start..].find("'''") else {
            return Err(self.err(
                open,
                "this ''' string is never closed".into(),
                "end the string with '''",
            ));
        };
        let end = start + i;
        self.pos = end + 3;
        let body = self.text[start..end].trim_start_matches([' ', '\t']);
        let body = body.strip_prefix('\n').unwrap_or(body);
        let text = body.trim_end_matches([' ', '\t']);
        let text = text.strip_suffix('\n').unwrap_or(text);
        Ok(self.node(
            NodeKind::Scalar(Scalar::Str(text.to_string())),
            Span::new(start, end),
        ))
    }

    /// HJSON quoteless value: to the end of the line. A number, true, false or null before
    /// a comment keeps its type, as HJSON reads `pool_size: 30 # per pod`.
    fn quoteless(&mut self) -> Result<Node, ParseError> {
        let start = self.pos;
        if let Some(c @ (b'}' | b']' | b',' | b':')) = self.peek() {
            return Err(self.err(
                start,
                format!("expected a value, found `{}`", c as char),
                "write a value after the key",
            ));
        }
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.b.len(), |i| start + i);
        let line = &self.text[start..line_end];
        let before_comment = ["#", "//", "/*"]
            .iter()
            .filter_map(|m| line.find(m))
            .min()
            .map_or(line, |i| &line[..i]);
        let token = before_comment.trim_end();
        // A typed token may be followed by a separator or a closing bracket on its line.
        let typed_end = token
            .find([',', '}', ']'])
            .map_or(token, |i| token[..i].trim_end());
        if let Some(s) = typed(typed_end, Flavor::Hjson) {
            self.pos = start + typed_end.len();
            self.inline_ws();
            return Ok(self.node(
                NodeKind::Scalar(s),
                Span::new(start, start + typed_end.len()),
            ));
        }
        let value = line.trim_end();
        self.pos = start + value.len();
        Ok(self.node(
            NodeKind::Scalar(Scalar::Str(value.to_string())),
            Span::new(start, start + value.len()),
        ))
    }

    /// Numbers, true, false, null (and JSON5's Infinity, NaN).
    fn literal(&mut self) -> Result<Node, ParseError> {
        let start = self.pos;
        let mut end = start;
        while end < self.b.len()
            && (self.b[end].is_ascii_alphanumeric() || matches!(self.b[end], b'+' | b'-' | b'.'))
        {
            end += 1;
        }
        let token = &self.text[start..end];
        match typed(token, self.flavor) {
            Some(s) if !token.is_empty() => {
                self.pos = end;
                Ok(self.node(NodeKind::Scalar(s), Span::new(start, end)))
            }
            _ => {
                let help = if self.flavor == Flavor::Json {
                    "quote text values in double quotes, e.g. \"Host=db\""
                } else {
                    "quote text values, e.g. 'Host=db'"
                };
                let shown = if token.is_empty() {
                    self.excerpt(start)
                } else {
                    crate::core::secrets::clip(token, 40)
                };
                Err(self.err(
                    start,
                    format!("`{shown}` is not a {} value", self.flavor.name()),
                    help,
                ))
            }
        }
    }
}

fn text_of(n: &Node) -> String {
    match &n.kind {
        NodeKind::Scalar(Scalar::Str(s)) => s.clone(),
        _ => String::new(),
    }
}

/// A token as a typed scalar, or None when it is not one.
fn typed(token: &str, flavor: Flavor) -> Option<Scalar> {
    match token {
        "true" => return Some(Scalar::Bool(true)),
        "false" => return Some(Scalar::Bool(false)),
        "null" => return Some(Scalar::Null),
        "" => return None,
        _ => {}
    }
    let json5 = flavor == Flavor::Json5;
    let unsigned = token.strip_prefix(['+', '-']).unwrap_or(token);
    if token.starts_with('+') && !json5 {
        return None;
    }
    if json5 && matches!(unsigned, "Infinity" | "NaN") {
        return Some(Scalar::Float(if unsigned == "NaN" {
            f64::NAN
        } else if token.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }));
    }
    if json5 {
        if let Some(h) = unsigned
            .strip_prefix("0x")
            .or_else(|| unsigned.strip_prefix("0X"))
        {
            let v = i64::from_str_radix(h, 16).ok()?;
            return Some(Scalar::Int(if token.starts_with('-') { -v } else { v }));
        }
    }
    let c0 = unsigned.bytes().next()?;
    if !(c0.is_ascii_digit() || (json5 && c0 == b'.')) {
        return None;
    }
    if !unsigned
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    if let Ok(i) = token.parse::<i64>() {
        return Some(Scalar::Int(i));
    }
    token
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Scalar::Float)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'n>(n: &'n Node, path: &[&str]) -> &'n Node {
        path.iter().fold(n, |n, k| n.get(k).unwrap())
    }

    #[test]
    fn appsettings_with_comments_and_trailing_commas() {
        let text = "{\n  // .NET reads comments\n  \"ConnectionStrings\": {\n    \"Default\": \"Host=db;Maximum Pool Size=50\",\n  },\n}\n";
        let root = parse(0, text, Flavor::Json).unwrap();
        let v = get(&root, &["ConnectionStrings", "Default"]);
        assert_eq!(
            &text[v.span.start..v.span.end],
            "Host=db;Maximum Pool Size=50"
        );
    }

    #[test]
    fn hjson_braceless_quoteless_and_comments() {
        let text = "# lemmy\ndatabase: {\n  host: postgres\n  pool_size: 30 # per process\n  password: 'p#w'\n}\nhostname: example.org\n";
        let root = parse(0, text, Flavor::Hjson).unwrap();
        let p = get(&root, &["database", "pool_size"]);
        assert_eq!(p.scalar(), Some(&Scalar::Int(30)));
        assert_eq!(&text[p.span.start..p.span.end], "30");
        let h = get(&root, &["database", "host"]);
        assert_eq!(h.scalar(), Some(&Scalar::Str("postgres".into())));
        assert_eq!(
            get(&root, &["hostname"]).scalar(),
            Some(&Scalar::Str("example.org".into()))
        );
    }

    #[test]
    fn hjson_braced_root_without_commas_and_multiline() {
        let text = "{\n  a: 1\n  b: '''\n    two\n    lines'''\n  c: [\n    x\n    y\n  ]\n}\n";
        let root = parse(0, text, Flavor::Hjson).unwrap();
        assert_eq!(get(&root, &["a"]).scalar(), Some(&Scalar::Int(1)));
        match &get(&root, &["c"]).kind {
            NodeKind::Seq(items) => assert_eq!(items.len(), 2),
            k => panic!("{k:?}"),
        }
    }

    #[test]
    fn json5_tokens() {
        let text = "{unquoted: 'single', hex: 0x1F, pos: +3, inf: Infinity,}";
        let root = parse(0, text, Flavor::Json5).unwrap();
        assert_eq!(get(&root, &["hex"]).scalar(), Some(&Scalar::Int(31)));
        assert_eq!(get(&root, &["pos"]).scalar(), Some(&Scalar::Int(3)));
        assert!(parse(0, text, Flavor::Json).is_err());
    }

    #[test]
    fn errors_are_located() {
        let text = "{\n  \"a\": 1\n  \"b\": 2\n}";
        let e = parse(0, text, Flavor::Json).unwrap_err();
        assert_eq!(e.span.start, text.find("\"b\"").unwrap());
        let e = parse(0, "{\"a\": \"open\n}", Flavor::Json).unwrap_err();
        assert_eq!(e.span.start, 6);
        let e = parse(0, "{\"a\": 1", Flavor::Json).unwrap_err();
        assert!(e.message.contains("never closed"), "{e:?}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = "[".repeat(100_000);
        let e = parse(0, &text, Flavor::Json).unwrap_err();
        assert!(e.message.contains("nest"), "{e:?}");
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let root = parse(0, "{\"a\": 1, \"a\": 2}", Flavor::Json).unwrap();
        assert_eq!(get(&root, &["a"]).scalar(), Some(&Scalar::Int(2)));
    }
}
