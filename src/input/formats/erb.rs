//! ERB inside YAML, as Rails reads `config/database.yml`: ERB runs first, YAML parses the
//! result. poolcheck never runs Ruby. It evaluates the small set of expressions real apps put
//! in their database.yml (`ENV.fetch("X") { 5 }`, `ENV.fetch("X", 5)`, `ENV["X"] || 5`,
//! `.to_i`, `Integer(…)`, `Sidekiq.server? ? a : b`, `Rails.env.production?`) against the
//! service's env files, and calls everything else "unknown", quoting it.
//!
//! Spans must survive: [`scan`] replaces every tag by text of exactly its length (a
//! placeholder for an output tag, spaces for code and comments), so the YAML parser's byte
//! offsets are offsets into the file as written. [`substitute`] then puts the evaluated
//! values into the parsed tree.

use super::{Node, NodeKind, ParseError, Scalar};
use crate::core::source::{FileId, Span};
use std::collections::BTreeSet;

/// Tags one file may hold; a placeholder for tag 9,999 still fits the shortest output tag
/// (`<%=x%>`, 6 bytes).
pub const MAX_TAGS: usize = 10_000;
/// Longest expression poolcheck tries to evaluate; real database.yml tags are a line.
const MAX_EXPR: usize = 4096;
/// Deepest nesting of parentheses, blocks and ternaries in one expression.
const MAX_DEPTH: usize = 48;

/// One `<% … %>` tag of the file.
#[derive(Debug, Clone)]
pub struct Tag {
    /// The whole tag, `<%=` to `%>`, in the file.
    pub span: Span,
    /// The Ruby between the delimiters, trimmed.
    pub code: String,
    /// `<%= … %>`: its value is written into the YAML.
    pub output: bool,
    /// What the tag was replaced with in [`Template::yaml`] (output tags only).
    pub placeholder: Option<String>,
}

/// A file with its ERB tags masked, ready for the YAML parser.
#[derive(Debug, Clone)]
pub struct Template {
    /// The file's text with every tag replaced by text of the same length.
    pub yaml: String,
    pub tags: Vec<Tag>,
    /// `<% if … %>` and other control flow: not evaluated; every branch is read as YAML.
    pub control_flow: Option<Span>,
}

/// True when the text holds ERB at all (Rails ERB-processes every database.yml).
pub fn has_erb(text: &str) -> bool {
    text.contains("<%")
}

/// Masks the tags of `text`. An unterminated tag is a syntax error at its start, as it is for
/// Rails.
pub fn scan(file: FileId, text: &str) -> Result<Template, ParseError> {
    let prefix = placeholder_prefix(text);
    let bytes = text.as_bytes();
    let mut yaml = String::with_capacity(text.len());
    let mut tags = Vec::new();
    let mut control_flow = None;
    let mut pos = 0;
    while let Some(rel) = text[pos..].find("<%") {
        let start = pos + rel;
        yaml.push_str(&text[pos..start]);
        // `<%%` is ERB's escape for a literal `<%`.
        if bytes.get(start + 2) == Some(&b'%') {
            yaml.push_str("<%%");
            pos = start + 3;
            continue;
        }
        let Some(end_rel) = text[start + 2..].find("%>") else {
            return Err(ParseError {
                file,
                span: Span::new(start, (start + 2).min(text.len())),
                message: "this ERB tag is never closed with `%>`".into(),
                help: Some("close the tag with `%>` on the same line".into()),
            });
        };
        let end = start + 2 + end_rel + 2;
        let inner = &text[start + 2..end - 2];
        let (output, comment, body) = match inner.as_bytes().first() {
            Some(b'=') => (true, false, &inner[1..]),
            Some(b'#') => (false, true, &inner[1..]),
            Some(b'-') => (false, false, &inner[1..]),
            _ => (false, false, inner),
        };
        let code = body.trim().trim_end_matches('-').trim().to_string();
        let span = Span::new(start, end);
        let len = end - start;
        let placeholder = prefix
            .as_ref()
            .filter(|_| output && tags.len() < MAX_TAGS)
            .map(|prefix| format!("{prefix}{}", tags.len()))
            .filter(|p| p.len() <= len && !text[start..end].contains('\n'));
        match &placeholder {
            Some(p) => {
                yaml.push_str(p);
                yaml.extend(std::iter::repeat_n('_', len - p.len()));
            }
            None => blank(&mut yaml, &text[start..end]),
        }
        if !output && !comment && control_flow.is_none() && is_control_flow(&code) {
            control_flow = Some(span);
        }
        if tags.len() < MAX_TAGS {
            tags.push(Tag {
                span,
                code,
                output,
                placeholder,
            });
        }
        pos = end;
    }
    yaml.push_str(&text[pos..]);
    Ok(Template {
        yaml,
        tags,
        control_flow,
    })
}

/// Spaces for every byte except line breaks, so lines and columns stay where they were.
fn blank(out: &mut String, tag: &str) {
    for ch in tag.chars() {
        match ch {
            '\n' | '\r' => out.push(ch),
            c => out.extend(std::iter::repeat_n(' ', c.len_utf8())),
        }
    }
}

/// Two letters that occur nowhere in the file, so a placeholder cannot be mistaken for text;
/// None when every pair occurs (a file built to defeat the masking: its tags are blanked).
fn placeholder_prefix(text: &str) -> Option<String> {
    const LETTERS: &[u8] = b"ZQXJKVWYzqxjkvwy";
    for &a in LETTERS {
        for &b in LETTERS {
            let p = format!("{}{}", a as char, b as char);
            if !text.contains(&p) {
                return Some(p);
            }
        }
    }
    None
}

fn is_control_flow(code: &str) -> bool {
    let first = code.split_whitespace().next().unwrap_or("");
    matches!(
        first,
        "if" | "unless" | "else" | "elsif" | "end" | "case" | "when" | "while" | "until" | "for"
    ) || code.ends_with(" do")
        || code.contains(" do |")
}

/// What the evaluated tags may read.
pub struct Context<'a> {
    /// A variable as the service's env files set it (None: not set there).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// `Rails.env`: the environment being checked.
    pub rails_env: &'a str,
    /// The process kind being modelled ("web", "sidekiq"): decides `Sidekiq.server?`.
    pub component: &'a str,
}

/// A tag poolcheck could not evaluate, or evaluated from the env files.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub span: Span,
    pub message: String,
}

/// What [`substitute`] learned besides the values.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Tags whose value is unknown, each with a note quoting it.
    pub unknown: Vec<Note>,
    /// Process kinds a tag distinguishes (`sidekiq` for `Sidekiq.server?`).
    pub components: BTreeSet<String>,
    /// Spans of the scalars a tag computed (their value, or null when unknown).
    pub filled: Vec<Span>,
}

/// Writes the tags' values into the YAML tree parsed from [`Template::yaml`]. A scalar that
/// holds an unknown tag becomes null (unknown to the model), never a wrong number.
pub fn substitute(docs: &mut [Node], t: &Template, ctx: &Context<'_>) -> Outcome {
    let mut out = Outcome::default();
    let values: Vec<Option<Result<String, String>>> = t
        .tags
        .iter()
        .map(|tag| {
            tag.placeholder.as_ref()?;
            let mut components = BTreeSet::new();
            let v = evaluate(&tag.code, ctx, &mut components);
            out.components.extend(components);
            Some(v)
        })
        .collect();
    let prefix = t
        .tags
        .iter()
        .find_map(|tag| tag.placeholder.as_ref().map(|p| p[..2].to_string()));
    let Some(prefix) = prefix else {
        return out;
    };
    for doc in docs {
        fill(doc, t, &values, &prefix, &mut out);
    }
    out
}

fn fill(
    node: &mut Node,
    t: &Template,
    values: &[Option<Result<String, String>>],
    prefix: &str,
    out: &mut Outcome,
) {
    match &mut node.kind {
        NodeKind::Map(entries) => {
            for e in entries {
                fill(&mut e.value, t, values, prefix, out);
            }
        }
        NodeKind::Seq(items) => {
            for i in items {
                fill(i, t, values, prefix, out);
            }
        }
        NodeKind::Scalar(Scalar::Str(s)) if s.contains(prefix) => {
            // Placeholders are found by their index, so a file of many tags stays linear.
            let mut text = String::with_capacity(s.len());
            let mut unknown = false;
            let mut rest = s.as_str();
            while let Some(at) = rest.find(prefix) {
                text.push_str(&rest[..at]);
                let after = &rest[at + prefix.len()..];
                let digits = after.bytes().take_while(u8::is_ascii_digit).count();
                let index: Option<usize> = after[..digits].parse().ok();
                let tag = index.and_then(|i| Some((t.tags.get(i)?, values.get(i)?.as_ref()?)));
                let Some((tag, v)) = tag else {
                    text.push_str(prefix);
                    rest = after;
                    continue;
                };
                let pad = (tag.span.end - tag.span.start).saturating_sub(prefix.len() + digits);
                let after = &after[digits..];
                let underscores = after.bytes().take(pad).take_while(|b| *b == b'_').count();
                rest = &after[underscores..];
                match v {
                    Ok(value) => text.push_str(value),
                    Err(why) => {
                        unknown = true;
                        if !out.unknown.iter().any(|n| n.span == tag.span) {
                            out.unknown.push(Note {
                                span: tag.span,
                                message: why.clone(),
                            });
                        }
                    }
                }
            }
            text.push_str(rest);
            out.filled.push(node.span);
            node.kind = NodeKind::Scalar(if unknown || text.trim().is_empty() {
                Scalar::Null
            } else {
                Scalar::Str(text)
            });
        }
        NodeKind::Scalar(_) => {}
    }
}

/// The value of one expression as the text ERB would write, or why it is unknown.
pub fn evaluate(
    code: &str,
    ctx: &Context<'_>,
    components: &mut BTreeSet<String>,
) -> Result<String, String> {
    let quoted = quote(code);
    if code.len() > MAX_EXPR {
        return Err(format!(
            "the ERB expression `{quoted}` is too long to evaluate; its value is unknown"
        ));
    }
    let tokens = match lex(code) {
        Some(t) => t,
        None => return Err(not_evaluated(&quoted)),
    };
    let mut p = Parser {
        tokens: &tokens,
        pos: 0,
        ctx,
        depth: 0,
        components,
    };
    let v = p.expr();
    if p.pos != tokens.len() {
        return Err(not_evaluated(&quoted));
    }
    match v {
        Value::Str(s) => Ok(s),
        Value::Int(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Nil => Ok(String::new()),
        Value::Env => Err(not_evaluated(&quoted)),
        Value::Unknown(Why::Unset(var)) | Value::Unset(var) => Err(format!(
            "`{quoted}` reads {var}, which no env file of the service sets and which has no \
             default here; its value is unknown (set {var} in an env file, or --set it)"
        )),
        Value::Unknown(Why::Ruby) => Err(not_evaluated(&quoted)),
    }
}

fn not_evaluated(quoted: &str) -> String {
    format!(
        "the ERB expression `{quoted}` is Ruby poolcheck does not evaluate; its value is unknown"
    )
}

/// The expression as a message may show it: one line, at most 80 characters.
fn quote(code: &str) -> String {
    let one_line: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 80 {
        let cut: String = one_line.chars().take(77).collect();
        format!("{cut}...")
    } else {
        one_line
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Int(i64),
    Sym(String),
    Op(&'static str),
}

fn lex(code: &str) -> Option<Vec<Tok>> {
    const OPS: &[&str] = &[
        "||", "&&", "==", "!=", "(", ")", "[", "]", "{", "}", ".", ",", "?", ":", "!", "+", "-",
        "*", "/",
    ];
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'"' || c == b'\'' {
            let mut s = String::new();
            let mut j = i + 1;
            loop {
                let ch = *b.get(j)?;
                if ch == c {
                    break;
                }
                if ch == b'\\' {
                    let next = *b.get(j + 1)?;
                    s.push(match next {
                        b'n' if c == b'"' => '\n',
                        b't' if c == b'"' => '\t',
                        other => other as char,
                    });
                    j += 2;
                    continue;
                }
                // String interpolation runs Ruby: not evaluated.
                if c == b'"' && ch == b'#' && b.get(j + 1) == Some(&b'{') {
                    return None;
                }
                let ch_len = utf8_len(ch);
                s.push_str(std::str::from_utf8(b.get(j..j + ch_len)?).ok()?);
                j += ch_len;
            }
            out.push(Tok::Str(s));
            i = j + 1;
        } else if c.is_ascii_digit() {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'_') {
                j += 1;
            }
            let digits: String = code[i..j].chars().filter(|c| *c != '_').collect();
            out.push(Tok::Int(digits.parse().ok()?));
            i = j;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j < b.len() && (b[j] == b'?' || b[j] == b'!') && b.get(j + 1) != Some(&b'=') {
                j += 1;
            }
            out.push(Tok::Ident(code[i..j].to_string()));
            i = j;
        } else if c == b':' && b.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic()) {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            out.push(Tok::Sym(code[i + 1..j].to_string()));
            i = j;
        } else {
            let op = OPS.iter().find(|op| code[i..].starts_with(**op))?;
            out.push(Tok::Op(op));
            i += op.len();
        }
    }
    Some(out)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Why {
    /// `ENV.fetch("X")` or `ENV["X"]` with X set in no env file and no default.
    Unset(String),
    /// Ruby outside what poolcheck evaluates.
    Ruby,
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Nil,
    Str(String),
    Int(i64),
    Bool(bool),
    /// The `ENV` object itself, before `[…]` or `.fetch`.
    Env,
    /// `ENV["X"]` with X set in no env file: nil to Ruby (so `|| 5` applies), but as a
    /// value of its own unknown, since the deployment may set X.
    Unset(String),
    Unknown(Why),
}

impl Value {
    fn truthy(&self) -> Option<bool> {
        match self {
            Value::Nil | Value::Bool(false) | Value::Unset(_) => Some(false),
            Value::Unknown(_) | Value::Env => None,
            _ => Some(true),
        }
    }
    fn ruby() -> Value {
        Value::Unknown(Why::Ruby)
    }
}

struct Parser<'a, 'c> {
    tokens: &'a [Tok],
    pos: usize,
    ctx: &'a Context<'c>,
    depth: usize,
    components: &'a mut BTreeSet<String>,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }
    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(i)) if i == w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes the rest when the expression cannot be followed, so the caller sees the end.
    fn give_up(&mut self) -> Value {
        self.pos = self.tokens.len();
        Value::ruby()
    }

    fn expr(&mut self) -> Value {
        self.depth += 1;
        let v = if self.depth > MAX_DEPTH {
            self.give_up()
        } else {
            self.ternary()
        };
        self.depth -= 1;
        v
    }

    fn ternary(&mut self) -> Value {
        let cond = self.or();
        if !self.eat("?") {
            return cond;
        }
        let yes = self.expr();
        if !self.eat(":") {
            return self.give_up();
        }
        let no = self.expr();
        match cond.truthy() {
            Some(true) => yes,
            Some(false) => no,
            None if yes == no => yes,
            None => Value::ruby(),
        }
    }

    fn or(&mut self) -> Value {
        let mut v = self.and();
        while self.eat("||") || self.eat_word("or") {
            let rhs = self.and();
            v = match v.truthy() {
                Some(true) => v,
                Some(false) => rhs,
                None => v,
            };
        }
        v
    }

    fn and(&mut self) -> Value {
        let mut v = self.equality();
        while self.eat("&&") || self.eat_word("and") {
            let rhs = self.equality();
            v = match v.truthy() {
                Some(true) => rhs,
                Some(false) => v,
                None => v,
            };
        }
        v
    }

    fn equality(&mut self) -> Value {
        let lhs = self.additive();
        let eq = if self.eat("==") {
            true
        } else if self.eat("!=") {
            false
        } else {
            return lhs;
        };
        let rhs = self.additive();
        match (&lhs, &rhs) {
            (Value::Unknown(_) | Value::Env | Value::Unset(_), _)
            | (_, Value::Unknown(_) | Value::Env | Value::Unset(_)) => Value::ruby(),
            _ => Value::Bool((lhs == rhs) == eq),
        }
    }

    /// The operator among `ops` that comes next, consumed.
    fn operator(&mut self, ops: &[&'static str]) -> Option<char> {
        let op = ops.iter().find(|op| self.eat(op))?;
        op.chars().next()
    }

    fn additive(&mut self) -> Value {
        let mut v = self.multiplicative();
        while let Some(op) = self.operator(&["+", "-"]) {
            let rhs = self.multiplicative();
            v = arith(op, v, rhs);
        }
        v
    }

    fn multiplicative(&mut self) -> Value {
        let mut v = self.unary();
        while let Some(op) = self.operator(&["*", "/"]) {
            let rhs = self.unary();
            v = arith(op, v, rhs);
        }
        v
    }

    fn unary(&mut self) -> Value {
        if self.eat("!") {
            let v = self.unary();
            return match v.truthy() {
                Some(b) => Value::Bool(!b),
                None => Value::ruby(),
            };
        }
        let v = self.primary();
        self.postfix(v)
    }

    fn primary(&mut self) -> Value {
        let Some(tok) = self.peek().cloned() else {
            return self.give_up();
        };
        self.pos += 1;
        match tok {
            Tok::Int(n) => Value::Int(n),
            Tok::Str(s) => Value::Str(s),
            Tok::Sym(s) => Value::Str(s),
            Tok::Op("(") => {
                let v = self.expr();
                if !self.eat(")") {
                    return self.give_up();
                }
                v
            }
            Tok::Ident(name) => match name.as_str() {
                "nil" => Value::Nil,
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "ENV" => Value::Env,
                "Integer" => {
                    let Some(arg) = self.call_args() else {
                        return self.give_up();
                    };
                    match arg.first() {
                        Some(Value::Int(n)) => Value::Int(*n),
                        Some(Value::Str(s)) => s
                            .trim()
                            .replace('_', "")
                            .parse()
                            .map_or_else(|_| Value::ruby(), Value::Int),
                        Some(Value::Unknown(w)) => Value::Unknown(w.clone()),
                        Some(Value::Unset(k)) => Value::Unset(k.clone()),
                        _ => Value::ruby(),
                    }
                }
                "Sidekiq" => {
                    if self.eat(".") && self.eat_word("server?") {
                        self.components.insert("sidekiq".into());
                        Value::Bool(self.ctx.component == "sidekiq")
                    } else {
                        self.give_up()
                    }
                }
                "Rails" => {
                    if self.eat(".") && self.eat_word("env") {
                        Value::Str(self.ctx.rails_env.to_string())
                    } else {
                        self.give_up()
                    }
                }
                _ => self.give_up(),
            },
            Tok::Op(_) => self.give_up(),
        }
    }

    /// `(a, b)`: the arguments of a call, or None when there are no parentheses.
    fn call_args(&mut self) -> Option<Vec<Value>> {
        if !self.eat("(") {
            return None;
        }
        let mut args = Vec::new();
        if self.eat(")") {
            return Some(args);
        }
        loop {
            args.push(self.expr());
            if self.eat(")") {
                return Some(args);
            }
            if !self.eat(",") {
                self.give_up();
                return None;
            }
        }
    }

    /// `{ expr }` after a call.
    fn block(&mut self) -> Option<Value> {
        if !self.eat("{") {
            return None;
        }
        let v = self.expr();
        if !self.eat("}") {
            self.give_up();
            return Some(Value::ruby());
        }
        Some(v)
    }

    fn postfix(&mut self, mut v: Value) -> Value {
        loop {
            if v == Value::Env && self.eat("[") {
                let key = self.expr();
                if !self.eat("]") {
                    return self.give_up();
                }
                v = match key {
                    Value::Str(k) => match (self.ctx.env)(&k) {
                        Some(val) => Value::Str(val),
                        None => Value::Unset(k),
                    },
                    _ => Value::ruby(),
                };
                continue;
            }
            if !self.eat(".") {
                return v;
            }
            let Some(Tok::Ident(method)) = self.peek().cloned() else {
                return self.give_up();
            };
            self.pos += 1;
            v = match (v, method.as_str()) {
                (Value::Env, "fetch") => {
                    let args = self.call_args().unwrap_or_default();
                    let block = self.block();
                    match args.first() {
                        Some(Value::Str(k)) => match (self.ctx.env)(k) {
                            Some(val) => Value::Str(val),
                            None => match (args.get(1), block) {
                                (Some(d), _) => d.clone(),
                                (None, Some(b)) => b,
                                (None, None) => Value::Unknown(Why::Unset(k.clone())),
                            },
                        },
                        _ => Value::ruby(),
                    }
                }
                (Value::Env, "key?" | "has_key?" | "include?") => {
                    match self.call_args().unwrap_or_default().first() {
                        Some(Value::Str(k)) => Value::Bool((self.ctx.env)(k).is_some()),
                        _ => Value::ruby(),
                    }
                }
                (Value::Str(s), "to_i") => Value::Int(ruby_to_i(&s)),
                (Value::Int(n), "to_i") => Value::Int(n),
                (Value::Nil, "to_i") => Value::Int(0),
                (Value::Str(s), "to_s" | "strip") => Value::Str(s.trim().to_string()),
                (Value::Int(n), "to_s") => Value::Str(n.to_string()),
                (Value::Nil, "to_s") => Value::Str(String::new()),
                (Value::Str(s), "presence") => {
                    if s.trim().is_empty() {
                        Value::Nil
                    } else {
                        Value::Str(s)
                    }
                }
                (Value::Nil, "presence") => Value::Nil,
                (Value::Str(s), "present?") => Value::Bool(!s.trim().is_empty()),
                (Value::Nil, "present?") => Value::Bool(false),
                (Value::Str(s), "blank?") => Value::Bool(s.trim().is_empty()),
                (Value::Nil, "blank?" | "nil?") => Value::Bool(true),
                (Value::Str(_) | Value::Int(_), "nil?") => Value::Bool(false),
                (Value::Str(s), m) if m.ends_with('?') && s == self.ctx.rails_env => {
                    // `Rails.env.production?`
                    Value::Bool(m.trim_end_matches('?') == s)
                }
                (Value::Str(_), m) if m.ends_with('?') => Value::Bool(false),
                (Value::Unset(k), "presence" | "to_s" | "to_i" | "strip") => Value::Unset(k),
                (Value::Unset(_), "present?") => Value::Bool(false),
                (Value::Unset(_), "blank?" | "nil?") => Value::Bool(true),
                (u @ Value::Unknown(_), _) => {
                    // Skip a call's arguments and block so what follows still parses.
                    let _ = self.call_args();
                    let _ = self.block();
                    u
                }
                _ => return self.give_up(),
            };
        }
    }
}

fn arith(op: char, a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => match op {
            '+' => x.checked_add(y),
            '-' => x.checked_sub(y),
            '*' => x.checked_mul(y),
            _ => x.checked_div(y),
        }
        .map_or_else(Value::ruby, Value::Int),
        (Value::Str(x), Value::Str(y)) if op == '+' => Value::Str(x + &y),
        (u @ (Value::Unknown(_) | Value::Unset(_)), _)
        | (_, u @ (Value::Unknown(_) | Value::Unset(_))) => u,
        _ => Value::ruby(),
    }
}

/// Ruby's `String#to_i`: leading whitespace, an optional sign, digits (and underscores);
/// anything else ends the number, and no digits is 0.
fn ruby_to_i(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '_')
        .filter(|c| *c != '_')
        .collect();
    let n: i64 = digits
        .parse()
        .unwrap_or(if digits.is_empty() { 0 } else { i64::MAX });
    if neg {
        -n
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_with(code: &str, vars: &[(&str, &str)], component: &str) -> Result<String, String> {
        let env = |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        let ctx = Context {
            env: &env,
            rails_env: "production",
            component,
        };
        evaluate(code, &ctx, &mut BTreeSet::new())
    }
    fn eval(code: &str, vars: &[(&str, &str)]) -> Result<String, String> {
        eval_with(code, vars, "web")
    }

    #[test]
    fn the_shapes_rails_apps_write() {
        let set = [("RAILS_MAX_THREADS", "8")];
        assert_eq!(
            eval(r#"ENV.fetch("RAILS_MAX_THREADS") { 5 }"#, &[]).unwrap(),
            "5"
        );
        assert_eq!(
            eval(r#"ENV.fetch("RAILS_MAX_THREADS") { 5 }"#, &set).unwrap(),
            "8"
        );
        assert_eq!(
            eval(r#"ENV.fetch("RAILS_MAX_THREADS", 5)"#, &[]).unwrap(),
            "5"
        );
        assert_eq!(
            eval(r#"ENV.fetch('RAILS_MAX_THREADS', 5).to_i"#, &set).unwrap(),
            "8"
        );
        assert_eq!(eval(r#"ENV["DB_POOL"] || 5"#, &[]).unwrap(), "5");
        assert_eq!(
            eval(r#"ENV['DB_POOL'] || 5"#, &[("DB_POOL", "12")]).unwrap(),
            "12"
        );
        assert_eq!(eval(r#"(ENV["DB_POOL"] || 5).to_i"#, &[]).unwrap(), "5");
        assert_eq!(
            eval(r#"Integer(ENV.fetch("DB_POOL", "7"))"#, &[]).unwrap(),
            "7"
        );
        assert_eq!(
            eval(
                r#"ENV.fetch("DB_POOL") { ENV.fetch("RAILS_MAX_THREADS", 5) }"#,
                &set
            )
            .unwrap(),
            "8"
        );
        assert_eq!(
            eval(r#"ENV.fetch("WEB_CONCURRENCY", 2).to_i * 5"#, &[]).unwrap(),
            "10"
        );
        assert_eq!(
            eval(r#"ENV["DB_POOL"].presence || 4"#, &[("DB_POOL", "")]).unwrap(),
            "4"
        );
    }

    #[test]
    fn sidekiq_server_picks_the_branch_of_the_process_kind() {
        let code = r#"Sidekiq.server? ? ENV.fetch("SIDEKIQ_CONCURRENCY", 10) : ENV.fetch("RAILS_MAX_THREADS", 5)"#;
        assert_eq!(eval_with(code, &[], "web").unwrap(), "5");
        assert_eq!(eval_with(code, &[], "sidekiq").unwrap(), "10");
        let mut seen = BTreeSet::new();
        let env = |_: &str| None;
        let ctx = Context {
            env: &env,
            rails_env: "production",
            component: "web",
        };
        evaluate(code, &ctx, &mut seen).unwrap();
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["sidekiq"]);
    }

    #[test]
    fn rails_env_is_the_environment_checked() {
        assert_eq!(eval("Rails.env.production? ? 20 : 5", &[]).unwrap(), "20");
        assert_eq!(eval("Rails.env.development? ? 20 : 5", &[]).unwrap(), "5");
        assert_eq!(eval("Rails.env", &[]).unwrap(), "production");
    }

    #[test]
    fn what_cannot_be_evaluated_is_unknown_and_quoted() {
        let e = eval(r#"ENV.fetch("DB_POOL")"#, &[]).unwrap_err();
        assert!(e.contains("DB_POOL, which no env file"), "{e}");
        let e = eval("Etc.nprocessors * 2", &[]).unwrap_err();
        assert!(
            e.contains("`Etc.nprocessors * 2` is Ruby poolcheck does not evaluate"),
            "{e}"
        );
        assert!(eval("", &[]).is_err());
        assert!(eval(r#""pool-#{ENV['X']}""#, &[]).is_err());
        assert!(eval("MyApp::Config.pool", &[]).is_err());
        let e = eval(&"(".repeat(5000), &[]).unwrap_err();
        assert!(e.contains("too long"), "{e}");
        assert!(eval(&format!("{}1{}", "(".repeat(100), ")".repeat(100)), &[]).is_err());
    }

    #[test]
    fn scan_keeps_every_offset_and_masks_tags() {
        let text = "production:\n  pool: <%= ENV.fetch(\"X\") { 5 } %>\n  <% if true %>\n  host: db\n  <%# note %>\n";
        let t = scan(0, text).unwrap();
        assert_eq!(t.yaml.len(), text.len());
        assert_eq!(
            t.yaml.lines().map(str::len).collect::<Vec<_>>(),
            text.lines().map(str::len).collect::<Vec<_>>()
        );
        assert_eq!(t.tags.len(), 3);
        assert!(t.tags[0].output && !t.tags[1].output);
        assert_eq!(
            &text[t.tags[0].span.start..t.tags[0].span.end],
            "<%= ENV.fetch(\"X\") { 5 } %>"
        );
        assert!(t.control_flow.is_some());
        assert!(t.yaml.contains("  pool: ZZ0______"));
    }

    #[test]
    fn an_unterminated_tag_is_located() {
        let e = scan(0, "a: 1\npool: <%= ENV['X'] \n").unwrap_err();
        assert_eq!(e.span, Span::new(11, 13));
    }

    #[test]
    fn to_i_follows_ruby() {
        assert_eq!(ruby_to_i(" 12abc"), 12);
        assert_eq!(ruby_to_i("abc"), 0);
        assert_eq!(ruby_to_i("-3"), -3);
        assert_eq!(ruby_to_i("1_000"), 1000);
    }
}
