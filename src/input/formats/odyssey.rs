//! Odyssey's odyssey.conf: `key value` statements, `#` comments, double-quoted strings (with
//! `\"` inside), numbers, and blocks (`storage "name" { … }`, `database "db" { user "u" { … } }`,
//! `listen { … }`), with `include "path"` at the top level. Every key and value keeps its file
//! and byte span; line and column follow from the span.
//!
//! The grammar is Odyssey's own lexer (`sources/cfg/scan.l`,
//! <https://github.com/yandex/odyssey/blob/master/sources/cfg/scan.l>): whitespace and newlines
//! separate tokens and carry no meaning, so one statement may share a line with the next
//! (`storage "pg" { type "remote" host "db" port 5432 }`). A statement is a key, then its
//! strings and numbers; a bare word (`yes`, `default`) is a value only right after the key,
//! where Odyssey's statements take it, and otherwise starts the next statement. A `{` after a
//! statement opens its block.
//!
//! A syntax error stops the reader at that point, as it stops Odyssey: the caller reads
//! nothing from a file that Odyssey would refuse to load.

use super::ini::{Loaded, Loader};
use super::{ParseError, MAX_NESTING};
use crate::core::source::{FileId, Span};
use std::path::{Path, PathBuf};

/// How deep `include` may nest: as deep as PgBouncer's reader allows (libusual's
/// `MAX_INCLUDE`, see ini.rs); Odyssey documents no limit of its own and a chain this long is
/// not a real configuration.
pub const MAX_INCLUDE_DEPTH: usize = super::ini::MAX_INCLUDE_DEPTH;

/// odyssey.conf, or a variant named after it (`prod.odyssey.conf`).
pub fn is_odyssey_conf(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "odyssey.conf" || n.ends_with(".odyssey.conf")
}

/// What a value token was written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `"…"`; the text is the content, `\"` unescaped.
    Str,
    /// `-?digits` with what follows it up to a separator (`8192`, `1kb`, `60s`).
    Number,
    /// A bare word (`yes`, `no`, `default`).
    Word,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub text: String,
    pub kind: Kind,
    pub file: FileId,
    /// The token as written, quotes included.
    pub span: Span,
}

/// One statement: `key args… [{ block }]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub key: String,
    pub file: FileId,
    pub key_span: Span,
    pub args: Vec<Value>,
    pub block: Option<Vec<Stmt>>,
}

impl Stmt {
    /// The first argument, when any.
    pub fn arg(&self) -> Option<&Value> {
        self.args.first()
    }
    /// The statements of its block (none without one).
    pub fn children(&self) -> &[Stmt] {
        self.block.as_deref().unwrap_or(&[])
    }
}

/// A parsed odyssey.conf with its includes: the statements up to the first error, and the
/// errors (at most one per file: the reader stops at the first).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Conf {
    pub stmts: Vec<Stmt>,
    pub errors: Vec<ParseError>,
}

/// Parses one file; `include` statements stay statements (nothing is read).
pub fn parse(file: FileId, text: &str) -> Conf {
    match Parser::new(file, text).file() {
        Ok(stmts) => Conf {
            stmts,
            errors: Vec::new(),
        },
        Err((stmts, e)) => Conf {
            stmts,
            errors: vec![e],
        },
    }
}

/// Parses a file and splices in the files its top-level `include "path"` statements name, in
/// their place. A relative path is resolved against the including file's directory (Odyssey
/// resolves it against its working directory, which a linter cannot know; repositories keep
/// the included file beside the including one).
pub fn parse_with_includes(
    file: FileId,
    text: &str,
    path: &Path,
    key: PathBuf,
    load: &mut Loader<'_>,
) -> Conf {
    let mut out = Conf::default();
    let mut stack = vec![key];
    let stmts = one(file, text, path, load, &mut stack, &mut out.errors);
    out.stmts = stmts;
    out
}

fn one(
    file: FileId,
    text: &str,
    path: &Path,
    load: &mut Loader<'_>,
    stack: &mut Vec<PathBuf>,
    errors: &mut Vec<ParseError>,
) -> Vec<Stmt> {
    let stmts = match Parser::new(file, text).file() {
        Ok(s) => s,
        Err((s, e)) => {
            errors.push(e);
            s
        }
    };
    let mut out = Vec::with_capacity(stmts.len());
    for s in stmts {
        if !s.key.eq_ignore_ascii_case("include") {
            out.push(s);
            continue;
        }
        let Some(target) = s.arg().filter(|a| a.kind == Kind::Str) else {
            errors.push(ParseError {
                file,
                span: s.key_span,
                message: "`include` names no file".into(),
                help: Some("write include \"path/to/file.conf\"".into()),
            });
            continue;
        };
        let at = |message: String| ParseError {
            file,
            span: target.span,
            message,
            help: None,
        };
        if stack.len() > MAX_INCLUDE_DEPTH {
            errors.push(at(format!(
                "`include \"{}\"` nests includes more than {MAX_INCLUDE_DEPTH} deep",
                excerpt(&target.text)
            )));
            continue;
        }
        let p = Path::new(&target.text);
        let resolved = if p.is_absolute() {
            p.to_path_buf()
        } else {
            path.parent().unwrap_or(Path::new("")).join(p)
        };
        match load(&resolved) {
            Ok(Loaded { id, text, key }) => {
                if stack.contains(&key) {
                    errors.push(at(format!(
                        "`include \"{}\"` includes a file that is already being read (a cycle)",
                        excerpt(&target.text)
                    )));
                    continue;
                }
                stack.push(key);
                out.extend(one(id, &text, &resolved, load, stack, errors));
                stack.pop();
            }
            Err(why) => errors.push(at(format!(
                "`include \"{}\"`: {why}",
                excerpt(&target.text)
            ))),
        }
    }
    out
}

/// What a message quotes of a token: its start, so a megabyte string makes a short message.
fn excerpt(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Word(String),
    Str(String),
    Num(String),
}

struct Parser<'a> {
    file: FileId,
    text: &'a str,
    pos: usize,
    /// The token after `pos`, once looked at: (token, span).
    peeked: Option<(Tok, Span)>,
}

type Partial = (Vec<Stmt>, ParseError);

impl<'a> Parser<'a> {
    fn new(file: FileId, text: &'a str) -> Self {
        Parser {
            file,
            text,
            pos: 0,
            peeked: None,
        }
    }

    fn error(&self, span: Span, message: String, help: &str) -> ParseError {
        ParseError {
            file: self.file,
            span,
            message,
            help: Some(help.into()),
        }
    }

    /// The next token, or None at the end; Err for a character Odyssey does not accept or a
    /// string that never closes.
    fn lex(&mut self) -> Result<Option<(Tok, Span)>, ParseError> {
        let b = self.text.as_bytes();
        loop {
            while self.pos < b.len() && matches!(b[self.pos], b' ' | b'\t' | b'\r' | b'\n') {
                self.pos += 1;
            }
            if self.pos < b.len() && b[self.pos] == b'#' {
                while self.pos < b.len() && b[self.pos] != b'\n' {
                    self.pos += 1;
                }
                continue;
            }
            break;
        }
        let start = self.pos;
        let Some(&c) = b.get(start) else {
            return Ok(None);
        };
        let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        let tok = match c {
            b'{' => {
                self.pos += 1;
                Tok::Open
            }
            b'}' => {
                self.pos += 1;
                Tok::Close
            }
            b'"' => {
                let mut i = start + 1;
                let mut text = String::new();
                let mut seg = i;
                loop {
                    match b.get(i) {
                        None => {
                            return Err(self.error(
                                Span::new(start, (start + 1).min(b.len())),
                                "this string is never closed".into(),
                                "close it with a double quote; write \\\" for a quote inside",
                            ))
                        }
                        Some(b'\\') if b.get(i + 1) == Some(&b'"') => {
                            text.push_str(&self.text[seg..i]);
                            text.push('"');
                            i += 2;
                            seg = i;
                        }
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
                text.push_str(&self.text[seg..i]);
                self.pos = i + 1;
                Tok::Str(text)
            }
            b'-' | b'0'..=b'9' => {
                let mut i = start + 1;
                if c == b'-' && !b.get(i).is_some_and(u8::is_ascii_digit) {
                    return Err(self.unexpected(start));
                }
                while i < b.len() && word(b[i]) {
                    i += 1;
                }
                self.pos = i;
                Tok::Num(self.text[start..i].to_string())
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let mut i = start + 1;
                while i < b.len() && word(b[i]) {
                    i += 1;
                }
                self.pos = i;
                Tok::Word(self.text[start..i].to_string())
            }
            _ => return Err(self.unexpected(start)),
        };
        Ok(Some((tok, Span::new(start, self.pos))))
    }

    fn unexpected(&self, at: usize) -> ParseError {
        let ch = self.text[at..].chars().next().unwrap_or(' ');
        let shown = if ch.is_control() {
            format!("{:?}", ch)
        } else {
            format!("'{ch}'")
        };
        self.error(
            Span::new(at, at + ch.len_utf8()),
            format!("unexpected character {shown}"),
            "odyssey.conf takes `key value` lines, \"quoted\" strings, numbers and { } blocks",
        )
    }

    fn peek(&mut self) -> Result<Option<&(Tok, Span)>, ParseError> {
        if self.peeked.is_none() {
            self.peeked = self.lex()?;
        }
        Ok(self.peeked.as_ref())
    }

    fn next(&mut self) -> Result<Option<(Tok, Span)>, ParseError> {
        match self.peeked.take() {
            Some(t) => Ok(Some(t)),
            None => self.lex(),
        }
    }

    fn file(mut self) -> Result<Vec<Stmt>, Partial> {
        let mut out = Vec::new();
        match self.block(&mut out, None, 0) {
            Ok(()) => Ok(out),
            Err(e) => Err((out, e)),
        }
    }

    /// Statements until the end (top level) or the `}` closing the `{` at `open`.
    fn block(
        &mut self,
        out: &mut Vec<Stmt>,
        open: Option<Span>,
        depth: usize,
    ) -> Result<(), ParseError> {
        loop {
            let Some((tok, span)) = self.next()? else {
                return match open {
                    Some(o) => {
                        Err(self.error(o, "this block is never closed".into(), "close it with `}`"))
                    }
                    None => Ok(()),
                };
            };
            let key = match tok {
                Tok::Close if open.is_some() => return Ok(()),
                Tok::Close => {
                    return Err(self.error(
                        span,
                        "`}` closes no block".into(),
                        "remove it, or open the block it ends with `{`",
                    ))
                }
                Tok::Word(w) => w,
                _ => return Err(self.error(
                    span,
                    format!(
                        "expected a setting name, found {}",
                        excerpt(&self.text[span.start..span.end])
                    ),
                    "every statement starts with a name: `pool_size 20`, `storage \"pg\" { … }`",
                )),
            };
            let mut stmt = Stmt {
                key,
                file: self.file,
                key_span: span,
                args: Vec::new(),
                block: None,
            };
            loop {
                let kind = match self.peek()? {
                    Some((Tok::Str(_), _)) => Kind::Str,
                    Some((Tok::Num(_), _)) => Kind::Number,
                    // A bare word is a value only as the first one (`log_debug no`,
                    // `database default`); after a value it is the next statement's key.
                    Some((Tok::Word(_), _)) if stmt.args.is_empty() => Kind::Word,
                    _ => break,
                };
                let Some((Tok::Str(text) | Tok::Num(text) | Tok::Word(text), span)) =
                    self.next()?
                else {
                    break;
                };
                stmt.args.push(Value {
                    text,
                    kind,
                    file: self.file,
                    span,
                });
                if kind == Kind::Word {
                    // `database default {` and `auth_common_name default` take no more.
                    if !matches!(self.peek()?, Some((Tok::Str(_) | Tok::Num(_), _))) {
                        break;
                    }
                }
            }
            if let Some((Tok::Open, o)) = self.peek()? {
                let o = *o;
                self.next()?;
                if depth + 1 > MAX_NESTING {
                    return Err(self.error(
                        o,
                        format!("blocks nest more than {MAX_NESTING} deep"),
                        "odyssey.conf nests database, user and a few sub-blocks; check the braces",
                    ));
                }
                let mut children = Vec::new();
                let r = self.block(&mut children, Some(o), depth + 1);
                stmt.block = Some(children);
                out.push(stmt);
                r?;
            } else {
                out.push(stmt);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Vec<Stmt> {
        let c = parse(0, text);
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        c.stmts
    }

    fn err(text: &str) -> ParseError {
        let c = parse(0, text);
        assert_eq!(c.errors.len(), 1, "{text:?}: {:?}", c.stmts);
        c.errors[0].clone()
    }

    #[test]
    fn reads_settings_blocks_and_routes_with_spans() {
        let text = "# Odyssey\nworkers 4\nclient_max 2000\nlisten\n{\n\thost \"*\"\n\tport 6432\n}\n\
                    storage \"pg\" { type \"remote\" host \"10.0.0.9\" port 5432 }\n\
                    database \"app\" {\n\tuser \"web\" {\n\t\tauthentication \"md5\"\n\t\tstorage \"pg\"\n\
                    \t\tpool \"transaction\"\n\t\tpool_size 20 # per route\n\t\tlog_debug no\n\t\tpool_ttl 60\n\t}\n}\n\
                    database default { user default { pool \"session\" } }\n";
        let s = ok(text);
        let keys: Vec<&str> = s.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "workers",
                "client_max",
                "listen",
                "storage",
                "database",
                "database"
            ]
        );
        assert_eq!(s[0].arg().unwrap().text, "4");
        assert_eq!(s[0].arg().unwrap().kind, Kind::Number);
        let listen: Vec<&str> = s[2].children().iter().map(|c| c.key.as_str()).collect();
        assert_eq!(listen, ["host", "port"]);
        let storage: Vec<(&str, &str)> = s[3]
            .children()
            .iter()
            .map(|c| (c.key.as_str(), c.arg().unwrap().text.as_str()))
            .collect();
        assert_eq!(
            storage,
            [("type", "remote"), ("host", "10.0.0.9"), ("port", "5432")]
        );
        let user = &s[4].children()[0];
        assert_eq!(
            (user.key.as_str(), user.arg().unwrap().text.as_str()),
            ("user", "web")
        );
        let size = user
            .children()
            .iter()
            .find(|c| c.key == "pool_size")
            .unwrap();
        let v = size.arg().unwrap();
        assert_eq!(&text[v.span.start..v.span.end], "20");
        let dbg = user
            .children()
            .iter()
            .find(|c| c.key == "log_debug")
            .unwrap();
        assert_eq!(dbg.arg().unwrap().kind, Kind::Word);
        let default = &s[5];
        assert_eq!(default.arg().unwrap().text, "default");
        assert_eq!(default.children()[0].arg().unwrap().text, "default");
        let pool = &default.children()[0].children()[0];
        assert_eq!(
            &text[pool.arg().unwrap().span.start..pool.arg().unwrap().span.end],
            "\"session\""
        );
    }

    #[test]
    fn strings_keep_escaped_quotes_hashes_and_newlines() {
        let s = ok("log_format \"%p \\\"%m\\\" # not a comment\n\"\nworkers 1\n");
        assert_eq!(s[0].arg().unwrap().text, "%p \"%m\" # not a comment\n");
        assert_eq!(s[1].key, "workers");
    }

    #[test]
    fn malformed_input_is_a_located_error() {
        for (text, at, what) in [
            ("pool_size = 20\n", 10, "unexpected character '='"),
            ("log_file \"x\n", 9, "never closed"),
            ("database \"a\" {\n user \"b\" {\n", 25, "never closed"),
            ("}\n", 0, "closes no block"),
            ("\"x\" 1\n", 0, "expected a setting name"),
            ("workers -x\n", 8, "unexpected character '-'"),
            ("host é\n", 5, "unexpected character 'é'"),
        ] {
            let e = err(text);
            assert_eq!(e.span.start, at, "{text:?}: {e:?}");
            assert!(e.message.contains(what), "{text:?}: {}", e.message);
        }
    }

    #[test]
    fn nesting_is_limited_not_a_stack_overflow() {
        let text = "a {\n".repeat(10_000);
        let e = err(&text);
        assert!(e.message.contains("nest more than"), "{}", e.message);
        let fine = format!("{}{}", "a {".repeat(MAX_NESTING), "}".repeat(MAX_NESTING));
        ok(&fine);
    }

    #[test]
    fn includes_are_spliced_and_cycles_missing_files_and_depth_are_errors() {
        use std::collections::HashMap;
        let files: HashMap<&str, &str> = [
            ("/etc/odyssey/a.conf", "include \"b.conf\"\nworkers 2\n"),
            ("/etc/odyssey/b.conf", "client_max 10\n"),
            ("/etc/odyssey/c.conf", "include \"c.conf\"\n"),
            ("/etc/odyssey/d.conf", "include \"nope.conf\"\n"),
        ]
        .into_iter()
        .collect();
        let mut next = 1;
        let mut load = |p: &Path| -> Result<Loaded, String> {
            let key = p.to_string_lossy().into_owned();
            let text = files.get(key.as_str()).ok_or("this file does not exist")?;
            next += 1;
            Ok(Loaded {
                id: next,
                text: text.to_string(),
                key: PathBuf::from(key),
            })
        };
        let run = |name: &str, load: &mut Loader<'_>| {
            let path = Path::new(name);
            let text = files[name];
            parse_with_includes(0, text, path, path.to_path_buf(), load)
        };
        let a = run("/etc/odyssey/a.conf", &mut load);
        let keys: Vec<&str> = a.stmts.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["client_max", "workers"]);
        assert_ne!(a.stmts[0].file, 0);
        let c = run("/etc/odyssey/c.conf", &mut load);
        assert!(c.errors[0].message.contains("cycle"), "{:?}", c.errors);
        let d = run("/etc/odyssey/d.conf", &mut load);
        assert!(
            d.errors[0].message.contains("does not exist"),
            "{:?}",
            d.errors
        );
    }
}
