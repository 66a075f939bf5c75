//! INI files and flat `key = value` conf files into the span-carrying [`Node`] tree.
//!
//! One reader serves the dialects teams deploy: Grafana and Gitea (`[database]`), php-fpm pools,
//! pgbouncer.ini (with `%include`), Discourse's sectionless `discourse.conf`. What they share:
//! `;` and `#` comment lines, `[section]` headers, `key = value` (or `key: value`), empty values,
//! inline comments after whitespace, quoted values, and continuation lines (a trailing `\`, or an
//! indented line without a separator after an entry, as Python's configparser reads it).
//!
//! The tree: entries before the first section sit at the root; each section is a map under its
//! name. Every value is a string (INI has no types; the dialects read numbers and units); an
//! empty value is [`Scalar::Null`]. A key defined twice keeps its first position and its last
//! value, as every INI reader in that list applies the later line.

use super::{Entry, Node, NodeKind, ParseError, Scalar};
use crate::core::source::{FileId, Span};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// How deep `%include` may nest. PgBouncer's own reader stops at 10 levels (libusual's
/// cfparser.c, `MAX_INCLUDE`: <https://github.com/libusual/libusual/blob/master/usual/cfparser.c>).
pub const MAX_INCLUDE_DEPTH: usize = 10;

/// A parsed INI file (and the files it includes), with every syntax error located.
#[derive(Debug, Clone, PartialEq)]
pub struct Ini {
    pub root: Node,
    pub errors: Vec<ParseError>,
}

/// An included file as the caller read it: its id in the source set, its text, and a key that
/// names it uniquely (its canonical path), which detects include cycles.
pub struct Loaded {
    pub id: FileId,
    pub text: String,
    pub key: PathBuf,
}

/// Reads the file an `%include` names (already resolved against the including file's
/// directory); Err is what is wrong, in words, e.g. "this file does not exist".
pub type Loader<'a> = dyn FnMut(&Path) -> Result<Loaded, String> + 'a;

/// Parses one INI file. `%include` lines are located errors here: use [`parse_with_includes`]
/// where included files can be read.
pub fn parse(file: FileId, text: &str) -> Ini {
    let mut b = Builder::new(file, text.len());
    let mut none = |_: &Path| -> Result<Loaded, String> {
        Err("includes are not followed in this context".into())
    };
    b.file(file, text, None, &mut none, &mut Vec::new());
    b.finish()
}

/// Parses an INI file and the files its `%include` lines name, as one configuration: an
/// included file's lines take the place of the `%include` line, so later lines win over it and
/// a section opened inside it stays open after it (as PgBouncer reads them).
///
/// A relative include is resolved against the including file's directory. PgBouncer itself
/// resolves it against its working directory
/// (<https://www.pgbouncer.org/config.html#include-directive>), which a linter cannot know; the
/// file's own directory is where repositories keep the included file.
pub fn parse_with_includes(
    file: FileId,
    text: &str,
    path: &Path,
    key: PathBuf,
    load: &mut Loader<'_>,
) -> Ini {
    let mut b = Builder::new(file, text.len());
    let mut stack = vec![key];
    b.file(file, text, Some(path), load, &mut stack);
    b.finish()
}

/// A section being filled: its name, header span and entries.
struct Section {
    name: String,
    file: FileId,
    key_span: Span,
    entries: Vec<Entry>,
}

struct Builder {
    file: FileId,
    len: usize,
    root: Vec<Entry>,
    sections: Vec<Section>,
    /// The section new entries go to; None for the root.
    current: Option<usize>,
    /// Sections by name, and entries by (section, key): a file of 200,000 keys must not
    /// search its section once per key.
    section_index: HashMap<String, usize>,
    /// Per section (index 0: the root, then section i at i + 1): entries by key, looked up
    /// by `&str` so a lookup allocates nothing.
    entry_index: Vec<HashMap<String, usize>>,
    errors: Vec<ParseError>,
}

/// Where the last entry's value is, for continuation lines.
#[derive(Clone, Copy)]
struct Last {
    section: Option<usize>,
    index: usize,
    /// The previous line ended in `\`.
    backslash: bool,
}

/// What a message quotes of a line: its start, so a megabyte line makes a short message.
fn excerpt(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

impl Builder {
    fn new(file: FileId, len: usize) -> Self {
        Builder {
            file,
            len,
            root: Vec::new(),
            sections: Vec::new(),
            current: None,
            section_index: HashMap::new(),
            entry_index: vec![HashMap::new()],
            errors: Vec::new(),
        }
    }

    fn finish(self) -> Ini {
        let mut entries = self.root;
        for s in self.sections {
            let span = s.key_span;
            entries.push(Entry {
                key: s.name,
                key_span: s.key_span,
                value: Node {
                    kind: NodeKind::Map(s.entries),
                    file: s.file,
                    span,
                },
            });
        }
        Ini {
            root: Node {
                kind: NodeKind::Map(entries),
                file: self.file,
                span: Span::new(0, self.len),
            },
            errors: self.errors,
        }
    }

    fn entries(&mut self, section: Option<usize>) -> &mut Vec<Entry> {
        match section {
            Some(i) => &mut self.sections[i].entries,
            None => &mut self.root,
        }
    }

    fn section(&mut self, name: &str, file: FileId, span: Span) {
        // A section named twice is one section, as configparser (strict=False), go-ini and
        // PgBouncer read it.
        if let Some(&i) = self.section_index.get(name) {
            self.current = Some(i);
            return;
        }
        self.section_index
            .insert(name.to_string(), self.sections.len());
        self.entry_index.push(HashMap::new());
        self.sections.push(Section {
            name: name.to_string(),
            file,
            key_span: span,
            entries: Vec::new(),
        });
        self.current = Some(self.sections.len() - 1);
    }

    /// Adds an entry to the current section; returns its index there.
    fn entry(&mut self, key: &str, key_span: Span, value: Node) -> usize {
        let section = self.current;
        let slot = section.map_or(0, |i| i + 1);
        if let Some(&i) = self.entry_index[slot].get(key) {
            let e = &mut self.entries(section)[i];
            e.value = value;
            e.key_span = key_span;
            return i;
        }
        let entries = self.entries(section);
        entries.push(Entry {
            key: key.to_string(),
            key_span,
            value,
        });
        let i = entries.len() - 1;
        self.entry_index[slot].insert(key.to_string(), i);
        i
    }

    fn file(
        &mut self,
        file: FileId,
        text: &str,
        path: Option<&Path>,
        load: &mut Loader<'_>,
        stack: &mut Vec<PathBuf>,
    ) {
        let err = |span: Span, message: String, help: &str| ParseError {
            file,
            span,
            message,
            help: Some(help.to_string()),
        };
        let mut offset = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let mut last: Option<Last> = None;
        while offset < text.len() {
            let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
            let line_start = offset;
            offset = if end < text.len() { end + 1 } else { end };
            let raw = text[line_start..end]
                .strip_suffix('\r')
                .unwrap_or(&text[line_start..end]);
            let lead = raw.len() - raw.trim_start().len();
            let body = raw.trim();
            let start = line_start + lead;
            let body_span = Span::new(start, start + body.len());

            // Continuation of the previous value.
            if let Some(l) = last {
                let indented = lead > 0 && !body.is_empty();
                if l.backslash || (indented && !has_separator(body) && !is_comment(body)) {
                    let (piece, piece_span) = value_text(body, start);
                    let backslash = piece.ends_with('\\');
                    let piece = piece.strip_suffix('\\').unwrap_or(piece).trim_end();
                    self.continue_value(l, piece, piece_span, backslash);
                    last = Some(Last { backslash, ..l });
                    if l.backslash && !backslash && body.is_empty() {
                        last = None;
                    }
                    continue;
                }
            }
            last = None;
            if body.is_empty() || is_comment(body) {
                continue;
            }
            if let Some(rest) = body.strip_prefix("%include") {
                if rest.is_empty() || rest.starts_with([' ', '\t']) {
                    self.include(file, rest, start + 8, body_span, path, load, stack);
                    continue;
                }
            }
            if let Some(inner) = body.strip_prefix('[') {
                let Some(close) = inner.find(']') else {
                    self.errors.push(err(
                        body_span,
                        format!("the section header `{}` is never closed", excerpt(body)),
                        "end the section name with `]`, e.g. [database]",
                    ));
                    // Keys below belong to a section poolcheck cannot name: not the previous
                    // one, which would give them a meaning they do not have.
                    self.section("", file, body_span);
                    continue;
                };
                let name = inner[..close].trim();
                let after = inner[close + 1..].trim();
                let name_start =
                    start + 1 + (inner[..close].len() - inner[..close].trim_start().len());
                let name_span = Span::new(name_start, name_start + name.len());
                if name.is_empty() {
                    self.errors.push(err(
                        body_span,
                        "this section header has no name".into(),
                        "write the section's name between the brackets, e.g. [database]",
                    ));
                } else if !after.is_empty() && !is_comment(after) {
                    self.errors.push(err(
                        Span::new(start + 2 + close, body_span.end),
                        format!(
                            "unexpected `{}` after the section header `[{}]`",
                            excerpt(after),
                            excerpt(name)
                        ),
                        "put nothing but a comment after `]`",
                    ));
                }
                self.section(name, file, name_span);
                continue;
            }
            let Some(sep) = body.find(['=', ':']) else {
                self.errors.push(err(
                    body_span,
                    format!("`{}` is not a `key = value` line", excerpt(body)),
                    "write key = value, a [section] header, or comment the line out with ; or #",
                ));
                continue;
            };
            let key = body[..sep].trim_end();
            if key.is_empty() {
                self.errors.push(err(
                    body_span,
                    format!("`{}` has a value but no key", excerpt(body)),
                    "write the key before the `=`, e.g. max_open_conn = 10",
                ));
                continue;
            }
            let key_span = Span::new(start, start + key.len());
            let after = &body[sep + 1..];
            let vlead = after.len() - after.trim_start().len();
            let vstart = start + sep + 1 + vlead;
            let (value, vspan) = value_text(after.trim_start(), vstart);
            let backslash = value.ends_with('\\') && !is_quoted(value);
            let value = if backslash {
                value[..value.len() - 1].trim_end()
            } else {
                value
            };
            let (text_value, vspan) = unquote(value, vspan);
            let node = Node {
                kind: NodeKind::Scalar(if text_value.is_empty() {
                    Scalar::Null
                } else {
                    Scalar::Str(text_value.to_string())
                }),
                file,
                span: if text_value.is_empty() {
                    Span::new(vspan.start, vspan.start)
                } else {
                    vspan
                },
            };
            let section = self.current;
            let index = self.entry(key, key_span, node);
            last = Some(Last {
                section,
                index,
                backslash,
            });
        }
    }

    fn continue_value(&mut self, l: Last, piece: &str, span: Span, _backslash: bool) {
        if piece.is_empty() {
            return;
        }
        let entry = &mut self.entries(l.section)[l.index];
        let v = &mut entry.value;
        let joined = match &v.kind {
            NodeKind::Scalar(Scalar::Str(s)) if l.backslash => format!("{s}{piece}"),
            NodeKind::Scalar(Scalar::Str(s)) => format!("{s}\n{piece}"),
            _ => piece.to_string(),
        };
        if v.span.is_empty() {
            v.span = span;
        } else {
            v.span = Span::new(v.span.start, span.end);
        }
        v.kind = NodeKind::Scalar(Scalar::Str(joined));
    }

    #[allow(clippy::too_many_arguments)]
    fn include(
        &mut self,
        file: FileId,
        rest: &str,
        rest_start: usize,
        line: Span,
        path: Option<&Path>,
        load: &mut Loader<'_>,
        stack: &mut Vec<PathBuf>,
    ) {
        let err = |message: String, help: &str| ParseError {
            file,
            span: line,
            message,
            help: Some(help.to_string()),
        };
        let (name, _) = value_text(rest.trim_start(), rest_start);
        let (name, _) = unquote(name, Span::new(0, 0));
        let Some(path) = path else {
            self.errors.push(err(
                format!("`%include {}` is not followed here", excerpt(name)),
                "lint the file itself (poolcheck verify FILE) so its includes are read",
            ));
            return;
        };
        if name.is_empty() {
            self.errors.push(err(
                "`%include` names no file".into(),
                "write the file to include after it, e.g. %include users.ini",
            ));
            return;
        }
        if stack.len() > MAX_INCLUDE_DEPTH {
            self.errors.push(err(
                format!(
                    "`%include {}` nests includes more than {MAX_INCLUDE_DEPTH} deep",
                    excerpt(name)
                ),
                "include the files from one place instead of through a chain",
            ));
            return;
        }
        let target = path.parent().unwrap_or(Path::new("")).join(name);
        match load(&target) {
            Ok(loaded) => {
                if let Some(i) = stack.iter().position(|k| *k == loaded.key) {
                    let chain: Vec<String> = stack[i..]
                        .iter()
                        .chain(std::iter::once(&loaded.key))
                        .map(|k| {
                            k.file_name().map_or_else(
                                || k.display().to_string(),
                                |n| n.to_string_lossy().into_owned(),
                            )
                        })
                        .collect();
                    self.errors.push(err(
                        format!(
                            "`%include {}` is a cycle: {}",
                            excerpt(name),
                            crate::core::secrets::escape_controls(&chain.join(" → "))
                        ),
                        "remove one of the includes; a file cannot include itself",
                    ));
                    return;
                }
                stack.push(loaded.key.clone());
                self.file(loaded.id, &loaded.text, Some(&target), load, stack);
                stack.pop();
            }
            Err(why) => self.errors.push(err(
                format!("`%include {}`: {why}", excerpt(name)),
                "point %include at a file beside this one, or remove the line",
            )),
        }
    }
}

fn is_comment(s: &str) -> bool {
    s.starts_with([';', '#'])
}

fn has_separator(s: &str) -> bool {
    s.contains(['=', ':'])
}

fn is_quoted(s: &str) -> bool {
    s.len() >= 2
        && ((s.starts_with('"') && s.ends_with('"')) || (s.starts_with('\'') && s.ends_with('\'')))
}

/// The value part of a line without an inline comment (`;` or `#` after whitespace, outside
/// quotes) and trailing blanks; `start` is the offset of `s` in the file.
fn value_text(s: &str, start: usize) -> (&str, Span) {
    let mut quote: Option<char> = None;
    let mut prev_blank = true;
    let mut cut = s.len();
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if (c == '"' || c == '\'') && prev_blank => quote = Some(c),
            None if (c == ';' || c == '#') && prev_blank => {
                cut = i;
                break;
            }
            None => {}
        }
        prev_blank = c == ' ' || c == '\t';
    }
    let v = s[..cut].trim_end();
    (v, Span::new(start, start + v.len()))
}

/// A value wrapped in one pair of matching quotes loses them (Grafana, Gitea, PHP and
/// Discourse all accept quoted values).
fn unquote(v: &str, span: Span) -> (&str, Span) {
    if is_quoted(v) {
        (&v[1..v.len() - 1], Span::new(span.start + 1, span.end - 1))
    } else {
        (v, span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, span: Span) -> &str {
        &text[span.start..span.end]
    }

    fn value<'a>(root: &'a Node, path: &[&str]) -> &'a Node {
        let mut n = root;
        for p in path {
            n = n.get(p).unwrap_or_else(|| panic!("no {p}"));
        }
        n
    }

    fn text_of(n: &Node) -> Option<String> {
        n.scalar().and_then(Scalar::as_text)
    }

    fn line(text: &str, span: Span) -> usize {
        text[..span.start].matches('\n').count() + 1
    }

    #[test]
    fn grafana_sections_comments_inline_comments_and_spans() {
        let text = "; Grafana\napp_mode = production\n\n[database]\n# comment\ntype = postgres\nhost = db:5432\nmax_open_conn = 40 ; raised for the dashboards\nmax_idle_conn = \nconn_max_lifetime=14400\npassword = \"s3cr;t #x\"\n";
        let ini = parse(0, text);
        assert_eq!(ini.errors, []);
        let r = &ini.root;
        assert_eq!(
            text_of(value(r, &["app_mode"])).as_deref(),
            Some("production")
        );
        let db = value(r, &["database"]);
        let mo = db.entry("max_open_conn").unwrap();
        assert_eq!(at(text, mo.key_span), "max_open_conn");
        assert_eq!(at(text, mo.value.span), "40");
        assert_eq!(line(text, mo.value.span), 8);
        assert_eq!(text_of(&mo.value).as_deref(), Some("40"));
        assert_eq!(
            text_of(value(r, &["database", "host"])).as_deref(),
            Some("db:5432")
        );
        let idle = value(r, &["database", "max_idle_conn"]);
        assert_eq!(idle.scalar(), Some(&Scalar::Null));
        assert_eq!(
            text_of(value(r, &["database", "conn_max_lifetime"])).as_deref(),
            Some("14400")
        );
        let pw = value(r, &["database", "password"]);
        assert_eq!(text_of(pw).as_deref(), Some("s3cr;t #x"));
        assert_eq!(at(text, pw.span), "s3cr;t #x");
        let NodeKind::Map(top) = &r.kind else {
            panic!()
        };
        assert_eq!(
            top.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["app_mode", "database"]
        );
        assert_eq!(at(text, top[1].key_span), "database");
    }

    #[test]
    fn continuation_lines_join_and_keep_a_span_over_both_lines() {
        let text = "[a]\nlist = one \\\n  two\nmulti = first\n    second\nnext = 3\n";
        let ini = parse(0, text);
        assert_eq!(ini.errors, []);
        let list = value(&ini.root, &["a", "list"]);
        assert_eq!(text_of(list).as_deref(), Some("onetwo"));
        assert_eq!(at(text, list.span), "one \\\n  two");
        let multi = value(&ini.root, &["a", "multi"]);
        assert_eq!(text_of(multi).as_deref(), Some("first\nsecond"));
        assert_eq!(
            text_of(value(&ini.root, &["a", "next"])).as_deref(),
            Some("3")
        );
    }

    #[test]
    fn flat_conf_without_sections_and_duplicates_take_the_last_value() {
        let text = "# discourse.conf\ndb_pool = 5\ndb_host = 'db.internal'\ndb_pool = 25\n";
        let ini = parse(0, text);
        assert_eq!(ini.errors, []);
        let NodeKind::Map(top) = &ini.root.kind else {
            panic!()
        };
        assert_eq!(top.len(), 2);
        let pool = ini.root.get("db_pool").unwrap();
        assert_eq!(text_of(pool).as_deref(), Some("25"));
        assert_eq!(line(text, pool.span), 4);
        assert_eq!(
            text_of(ini.root.get("db_host").unwrap()).as_deref(),
            Some("db.internal")
        );
    }

    #[test]
    fn malformed_lines_are_located_errors_and_the_rest_is_read() {
        let text = "[database\nmax = 1\n[ok]\njust some words\n= 5\n[x] trailing\nkey = 2\n[]\n";
        let ini = parse(3, text);
        let got: Vec<(usize, &str)> = ini
            .errors
            .iter()
            .map(|e| (line(text, e.span), e.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (1, "the section header `[database` is never closed"),
                (4, "`just some words` is not a `key = value` line"),
                (5, "`= 5` has a value but no key"),
                (6, "unexpected `trailing` after the section header `[x]`"),
                (8, "this section header has no name"),
            ]
        );
        assert!(ini.errors.iter().all(|e| e.file == 3));
        assert_eq!(
            text_of(value(&ini.root, &["x", "key"])).as_deref(),
            Some("2")
        );
        assert!(
            ini.root.get("database").is_none(),
            "an unclosed header names nothing"
        );
    }

    /// A file system in memory for include tests.
    fn loader<'a>(
        files: &'a HashMap<&'a str, &'a str>,
    ) -> impl FnMut(&Path) -> Result<Loaded, String> + 'a {
        let mut ids = 0;
        move |p: &Path| {
            let key = p.to_string_lossy().replace("/./", "/");
            let text = files.get(key.as_str()).ok_or("this file does not exist")?;
            ids += 1;
            Ok(Loaded {
                id: ids,
                text: text.to_string(),
                key: PathBuf::from(key),
            })
        }
    }

    #[test]
    fn includes_are_read_in_place_relative_to_the_file_and_later_lines_win() {
        let files = HashMap::from([
            (
                "etc/pool.ini",
                "default_pool_size = 40\nmax_client_conn = 500\n",
            ),
            ("etc/users.ini", "[users]\napp = pool_mode=session\n"),
        ]);
        let main = "[pgbouncer]\ndefault_pool_size = 20\n%include pool.ini\nmax_client_conn = 1000\n%include users.ini\nignored = 1\n";
        let mut load = loader(&files);
        let ini = parse_with_includes(
            0,
            main,
            Path::new("etc/pgbouncer.ini"),
            "etc/pgbouncer.ini".into(),
            &mut load,
        );
        assert_eq!(ini.errors, []);
        let dps = value(&ini.root, &["pgbouncer", "default_pool_size"]);
        assert_eq!((text_of(dps).as_deref(), dps.file), (Some("40"), 1));
        let mcc = value(&ini.root, &["pgbouncer", "max_client_conn"]);
        assert_eq!((text_of(mcc).as_deref(), mcc.file), (Some("1000"), 0));
        // A section opened in an included file stays open after it.
        assert_eq!(
            text_of(value(&ini.root, &["users", "ignored"])).as_deref(),
            Some("1")
        );
    }

    #[test]
    fn include_cycles_missing_files_and_depth_are_located_errors() {
        let files = HashMap::from([
            ("a.ini", "x = 1\n%include b.ini\n"),
            ("b.ini", "%include a.ini\n"),
            ("deep.ini", "%include deep2.ini\n"),
        ]);
        let mut load = loader(&files);
        let main = "%include a.ini\n%include missing.ini\n%include\n";
        let ini = parse_with_includes(0, main, Path::new("main.ini"), "main.ini".into(), &mut load);
        let got: Vec<(FileId, usize, &str)> = ini
            .errors
            .iter()
            .map(|e| (e.file, e.span.start, e.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (2, 0, "`%include a.ini` is a cycle: a.ini → b.ini → a.ini"),
                (0, 15, "`%include missing.ini`: this file does not exist"),
                (0, 36, "`%include` names no file"),
            ]
        );
        // Self-inclusion through depth: a chain of distinct files stops at the limit.
        let mut n = 0;
        let mut chain = |_: &Path| {
            n += 1;
            Ok(Loaded {
                id: n,
                text: "%include next.ini\n".into(),
                key: PathBuf::from(format!("f{n}.ini")),
            })
        };
        let ini = parse_with_includes(
            0,
            "%include next.ini\n",
            Path::new("m.ini"),
            "m.ini".into(),
            &mut chain,
        );
        assert_eq!(ini.errors.len(), 1);
        assert_eq!(
            ini.errors[0].message,
            "`%include next.ini` nests includes more than 10 deep"
        );
        assert_eq!(ini.errors[0].file, 10);
    }

    #[test]
    fn include_without_a_loader_is_an_error_and_crlf_and_bom_are_read() {
        let text = "\u{feff}[a]\r\nk = v\r\n%include x.ini\r\n";
        let ini = parse(0, text);
        assert_eq!(text_of(value(&ini.root, &["a", "k"])).as_deref(), Some("v"));
        assert_eq!(at(text, value(&ini.root, &["a", "k"]).span), "v");
        assert_eq!(ini.errors.len(), 1);
        assert_eq!(
            ini.errors[0].message,
            "`%include x.ini` is not followed here"
        );
    }

    #[test]
    fn a_huge_file_is_linear_and_long_lines_are_quoted_short() {
        let text: String = (0..200_000).map(|i| format!("k{i} = {i}\n")).collect();
        let ini = parse(0, &text);
        let NodeKind::Map(top) = &ini.root.kind else {
            panic!()
        };
        assert_eq!(top.len(), 200_000);
        let ini = parse(0, &format!("{}\n", "x".repeat(1_000_000)));
        assert_eq!(
            ini.errors[0].message,
            format!("`{}…` is not a `key = value` line", "x".repeat(40))
        );
    }
}
