//! YAML documents into span-carrying [`Node`] trees via serde-saphyr (pure Rust, byte offsets
//! for keys and values, anchors/aliases/`<<` merges, and alias-expansion budgets by default).

use super::{Entry, Node, NodeKind, ParseError, Scalar, MAX_NESTING};
use crate::core::source::{FileId, Span};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Error as YamlError, Location, Spanned};
use std::collections::HashMap;
use std::fmt;

/// Nodes (keys, values, list items) one YAML file may hold, aliases expanded.
pub const MAX_NODES: usize = 250_000;

/// A YAML value as serde-saphyr hands it over, with spans on every child.
enum YVal {
    Scalar(Scalar),
    Seq(Vec<Spanned<YVal>>),
    Map(Vec<(Spanned<YKey>, Spanned<YVal>)>),
}

/// Keys are compared as text (`8080: x` has the key "8080").
struct YKey(String);

struct ValVisitor;

impl<'de> Visitor<'de> for ValVisitor {
    type Value = YVal;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<YVal, E> {
        Ok(YVal::Scalar(Scalar::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<YVal, E> {
        Ok(YVal::Scalar(Scalar::Int(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<YVal, E> {
        Ok(YVal::Scalar(
            i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int),
        ))
    }
    fn visit_i128<E>(self, v: i128) -> Result<YVal, E> {
        Ok(YVal::Scalar(
            i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int),
        ))
    }
    fn visit_u128<E>(self, v: u128) -> Result<YVal, E> {
        Ok(YVal::Scalar(
            i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int),
        ))
    }
    fn visit_f64<E>(self, v: f64) -> Result<YVal, E> {
        Ok(YVal::Scalar(Scalar::Float(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<YVal, E> {
        Ok(YVal::Scalar(Scalar::Str(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<YVal, E> {
        Ok(YVal::Scalar(Scalar::Str(v)))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<YVal, E> {
        Ok(YVal::Scalar(Scalar::Str(
            String::from_utf8_lossy(v).into_owned(),
        )))
    }
    fn visit_unit<E>(self) -> Result<YVal, E> {
        Ok(YVal::Scalar(Scalar::Null))
    }
    fn visit_none<E>(self) -> Result<YVal, E> {
        Ok(YVal::Scalar(Scalar::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<YVal, D::Error> {
        YVal::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<YVal, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<YVal>>()? {
            items.push(item);
        }
        Ok(YVal::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<YVal, A::Error> {
        // A later key replaces an earlier one (a `<<` merge under explicit keys), found through
        // an index: a scan per key made a 100,000-key map take 20 seconds.
        let mut entries: Vec<Option<(Spanned<YKey>, Spanned<YVal>)>> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        while let Some((k, v)) = map.next_entry::<Spanned<YKey>, Spanned<YVal>>()? {
            if let Some(old) = index.insert(k.value.0.clone(), entries.len()) {
                entries[old] = None;
            }
            entries.push(Some((k, v)));
        }
        Ok(YVal::Map(entries.into_iter().flatten().collect()))
    }
}

impl<'de> Deserialize<'de> for YVal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValVisitor)
    }
}

impl<'de> Deserialize<'de> for YKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match YVal::deserialize(d)? {
            YVal::Scalar(s) => Ok(YKey(s.as_text().unwrap_or_else(|| "null".into()))),
            _ => Err(de::Error::custom("a mapping key must be a scalar")),
        }
    }
}

/// Byte span of a location: serde-saphyr gives byte offsets for string input.
fn span_of(loc: &Location, text: &str) -> Span {
    let s = loc.span();
    match (s.byte_offset(), s.byte_len()) {
        (Some(off), Some(len)) => {
            let start = (off as usize).min(text.len());
            Span::new(start, (start + len as usize).min(text.len()))
        }
        _ => {
            let start = offset_of(text, loc.line() as usize, loc.column() as usize);
            Span::new(start, start)
        }
    }
}

/// Byte offset of a 1-based line and 1-based character column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return offset
                + l.char_indices()
                    .nth(column.saturating_sub(1))
                    .map_or(l.len(), |(b, _)| b);
        }
        offset += l.len();
    }
    text.len()
}

fn convert(file: FileId, v: Spanned<YVal>, text: &str) -> Node {
    // `defined` is where a value was written: for aliases and merges, the anchored original.
    let span = span_of(&v.defined, text);
    let kind = match v.value {
        YVal::Scalar(s) => NodeKind::Scalar(s),
        YVal::Seq(items) => {
            NodeKind::Seq(items.into_iter().map(|i| convert(file, i, text)).collect())
        }
        YVal::Map(entries) => NodeKind::Map(
            entries
                .into_iter()
                .map(|(k, v)| Entry {
                    key: k.value.0.clone(),
                    key_span: span_of(&k.defined, text),
                    value: convert(file, v, text),
                })
                .collect(),
        ),
    };
    Node { kind, file, span }
}

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_NESTING,
            max_nodes: MAX_NODES,
        },
        // `.nan` and `.inf` are floats to Helm; the model says what is wrong with them.
        non_finite_float_policy: serde_saphyr::options::NonFiniteFloatPolicy::PassThrough,
        with_snippet: false,
    }
}

/// The error of a YAML stream, in the user's terms: what is wrong and what to do, with no
/// library names or option names.
fn located_error(file: FileId, text: &str, e: &YamlError) -> ParseError {
    let span = match e.location() {
        Some(loc) if loc.line() > 0 => span_of(&loc, text),
        _ => Span::new(0, 0),
    };
    let (message, help) = describe(e);
    ParseError {
        file,
        span,
        message,
        help: Some(help),
    }
}

fn describe(e: &YamlError) -> (String, String) {
    let mut inner = e.without_snippet();
    let mut through_alias = false;
    while let YamlError::AliasError { error, .. } | YamlError::WithSnippet { error, .. } = inner {
        through_alias |= matches!(inner, YamlError::AliasError { .. });
        inner = error;
    }
    let bomb = || {
        (
            format!("the file expands to more than {MAX_NODES} nodes through anchors and aliases"),
            "an alias bomb? write the values out instead of aliases of aliases".to_string(),
        )
    };
    let deep = || {
        (
            format!("maps and lists nest more than {MAX_NESTING} deep"),
            format!("flatten the values; poolcheck reads {MAX_NESTING} levels at most"),
        )
    };
    let too_big = |what: String| {
        (
            format!("the file is too large to lint: {what}"),
            "split the file, or lint the parts that hold pool settings".to_string(),
        )
    };
    match inner {
        YamlError::Budget { breach, .. } => match breach {
            BudgetBreach::Nodes { .. } if through_alias => bomb(),
            BudgetBreach::Aliases { .. }
            | BudgetBreach::AliasAnchorRatio { .. }
            | BudgetBreach::Anchors { .. } => bomb(),
            BudgetBreach::Depth { .. } => deep(),
            BudgetBreach::Nodes { .. } => too_big(format!("more than {MAX_NODES} nodes")),
            BudgetBreach::Documents { .. } => too_big("more than 1024 documents".into()),
            BudgetBreach::ScalarBytes { .. } => too_big("more than 64 MiB of text".into()),
            BudgetBreach::Events { .. } => too_big("more than 1000000 YAML events".into()),
            BudgetBreach::MergeKeys { .. } => too_big("more than 10000 `<<` merge keys".into()),
            _ => too_big("it passes poolcheck's limits for one YAML file".into()),
        },
        YamlError::AliasReplayLimitExceeded { .. }
        | YamlError::AliasExpansionLimitExceeded { .. }
        | YamlError::AliasReplayStackDepthExceeded { .. }
        | YamlError::AliasReplayCounterOverflow { .. } => bomb(),
        YamlError::DuplicateMappingKey { key, .. } => (
            match key {
                Some(k) => format!("`{}` is defined twice in the same mapping", excerpt(k)),
                None => "a key is defined twice in the same mapping".to_string(),
            },
            "remove one of the two (Helm refuses duplicate keys)".to_string(),
        ),
        YamlError::UnknownAnchor { .. } => (
            "this alias refers to an anchor that is not defined before it".to_string(),
            "define the anchor (`&name`) before its first use (`*name`)".to_string(),
        ),
        YamlError::BinaryNotUtf8 { .. } => (
            "a !!binary value is not UTF-8 text".to_string(),
            "write the value as plain text".to_string(),
        ),
        other => {
            let text = other.to_string();
            let first = text.lines().next().unwrap_or("").trim();
            // The finding carries the position: drop the library's own " at line 3, column 2".
            let first = match first.rfind(" at line ") {
                Some(i) => &first[..i],
                None => first,
            };
            if first.contains("recursion limit") {
                return deep();
            }
            let message = if first.is_empty() || first.contains("Options") {
                "invalid YAML".to_string()
            } else {
                excerpt(first)
            };
            (
                message,
                "fix the YAML at the marked position (indentation, a missing `:` or quote)".into(),
            )
        }
    }
}

fn excerpt(s: &str) -> String {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Parses every document of a YAML stream. An empty stream is an empty list.
pub fn parse(file: FileId, text: &str) -> Result<Vec<Node>, ParseError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let work = || -> Result<Vec<Node>, ParseError> {
        let docs: Vec<Option<Spanned<YVal>>> =
            serde_saphyr::from_multiple_with_options(text, options())
                .map_err(|e| located_error(file, text, &e))?;
        Ok(docs
            .into_iter()
            .flatten()
            .map(|d| convert(file, d, text))
            .collect())
    };
    // The deserializer recurses per level of nesting, tens of KiB a level in a debug build:
    // 128 levels need more stack than a test thread's 2 MiB. A thread of its own with room to
    // spare keeps the depth budget, not the caller's stack, the limit. A small file that
    // surely nests only a few levels (most values files) parses here: a thread per file cost
    // more than the parse on a tree of thousands of charts.
    if shallow(text) {
        return work();
    }
    std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .name("yaml".into())
            .stack_size(PARSER_STACK)
            .spawn_scoped(scope, work)
        {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(ParseError {
                    file,
                    span: Span::new(0, 0),
                    message: "the YAML parser failed on this file".into(),
                    help: Some("report this file to poolcheck's maintainers".into()),
                })
            }),
            Err(_) => work(),
        }
    })
}

/// How deep a text [`shallow`] accepts may nest, and how large it may be.
const INLINE_DEPTH: usize = 16;
const INLINE_BYTES: usize = 16 * 1024;

/// Whether `text` surely nests at most [`INLINE_DEPTH`] levels, from an over-estimate: every
/// block level is a line indented deeper than its parent (a `- ` item counting as deeper than
/// a key at its column) or an indicator (`:` `-` `?`) on a line; every flow level a `[` or
/// `{` anywhere. An alias may repeat an anchored tree at any depth: a text with `*` is never
/// shallow, nor one with a tab in its indentation or over [`INLINE_BYTES`].
fn shallow(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() > INLINE_BYTES || b.contains(&b'*') {
        return false;
    }
    let flow = b.iter().filter(|c| matches!(c, b'[' | b'{')).count();
    // (indentation, twice over, plus one for a `-` item; levels through that line)
    let mut open: Vec<(usize, usize)> = Vec::new();
    for line in text.lines() {
        let rest = line.trim_start_matches(' ');
        if rest.starts_with('\t') {
            return false;
        }
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        let at = 2 * (line.len() - rest.len()) + usize::from(rest.starts_with('-'));
        while open.last().is_some_and(|&(i, _)| i >= at) {
            open.pop();
        }
        let own = rest
            .bytes()
            .filter(|c| matches!(c, b':' | b'-' | b'?'))
            .count();
        let depth = open.last().map_or(0, |&(_, d)| d) + own + 1;
        if depth + flow > INLINE_DEPTH {
            return false;
        }
        open.push((at, depth));
    }
    true
}

/// Stack for the YAML parser's thread: reserved, not committed, until used.
const PARSER_STACK: usize = 64 * 1024 * 1024;

/// The text of the first document of a stream: what Helm reads of a values file (later
/// documents, even broken ones, are ignored). The whole text when it holds one document or
/// does not parse (the parser then reports the error).
fn first_document(text: &str) -> &str {
    use serde_saphyr::granit_parser::{Event, Parser};
    let marker = |l: &str| l.starts_with("---") || l.starts_with("...");
    if !text.lines().any(marker) {
        return text;
    }
    let mut starts = 0;
    for event in Parser::new_from_str(text) {
        match event {
            Ok((Event::DocumentStart(..), span)) => {
                starts += 1;
                if starts == 2 {
                    let end = span.start.byte_offset().unwrap_or(text.len());
                    return text.get(..end).unwrap_or(text);
                }
            }
            Ok((Event::StreamEnd, _)) | Err(_) => break,
            Ok(_) => {}
        }
    }
    text
}

/// A Helm values file: its first document, which must be a mapping (`name` is how the error
/// names the file). None when the document is empty or null (no values).
pub fn parse_values(file: FileId, text: &str, name: &str) -> Result<Option<Node>, ParseError> {
    let first = first_document(text);
    let Some(doc) = parse(file, first)?.into_iter().next() else {
        return Ok(None);
    };
    match &doc.kind {
        NodeKind::Map(_) => Ok(Some(doc)),
        NodeKind::Scalar(Scalar::Null) => Ok(None),
        _ => Err(not_a_mapping(&doc, name, "Helm values must be a mapping")),
    }
}

/// Every document of a configuration file (`name` as the error names the file): maps and lists
/// of them are read; a document that is a lone string, number or boolean holds no settings and
/// is an error, not silence.
pub fn parse_config(file: FileId, text: &str, name: &str) -> Result<Vec<Node>, ParseError> {
    let docs = parse(file, text)?;
    match docs
        .iter()
        .find(|d| matches!(&d.kind, NodeKind::Scalar(s) if *s != Scalar::Null))
    {
        Some(d) => Err(not_a_mapping(
            d,
            name,
            "a configuration file must be a mapping",
        )),
        None => Ok(docs),
    }
}

fn not_a_mapping(doc: &Node, name: &str, rule: &str) -> ParseError {
    let what = match &doc.kind {
        NodeKind::Seq(_) => "a list",
        NodeKind::Scalar(Scalar::Str(_)) => "a string",
        NodeKind::Scalar(Scalar::Int(_) | Scalar::Float(_)) => "a number",
        NodeKind::Scalar(Scalar::Bool(_)) => "a boolean",
        NodeKind::Scalar(Scalar::Null) => "empty",
        NodeKind::Map(_) => "a mapping",
    };
    ParseError {
        file: doc.file,
        span: doc.span,
        message: format!("{name}: the document is {what}; {rule}"),
        help: Some("write the settings as `key: value` lines at the top level".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_lists_scalars_and_spans() {
        let text = "replicaCount: 3\nenv:\n  - name: DB_POOL_SIZE\n    value: \"10\"\nflag: true\nnothing: ~\nratio: 0.5\n";
        let docs = parse(0, text).unwrap();
        let d = &docs[0];
        let rc = d.get("replicaCount").unwrap();
        assert_eq!(rc.scalar(), Some(&Scalar::Int(3)));
        assert_eq!(&text[rc.span.start..rc.span.end], "3");
        let NodeKind::Seq(env) = &d.get("env").unwrap().kind else {
            panic!()
        };
        let v = env[0].get("value").unwrap();
        assert_eq!(v.scalar(), Some(&Scalar::Str("10".into())));
        assert_eq!(text[..v.span.start].matches('\n').count() + 1, 4);
        assert_eq!(d.get("flag").unwrap().scalar(), Some(&Scalar::Bool(true)));
        assert_eq!(d.get("nothing").unwrap().scalar(), Some(&Scalar::Null));
        assert_eq!(d.get("ratio").unwrap().scalar(), Some(&Scalar::Float(0.5)));
        let e = d.entry("flag").unwrap();
        assert_eq!(&text[e.key_span.start..e.key_span.end], "flag");
    }

    #[test]
    fn anchors_aliases_and_merges() {
        let text =
            "base: &base\n  pool: 5\n  timeout: 30\nprod:\n  <<: *base\n  pool: 20\nother: *base\n";
        let d = &parse(0, text).unwrap()[0];
        let prod = d.get("prod").unwrap();
        assert_eq!(prod.get("pool").unwrap().scalar(), Some(&Scalar::Int(20)));
        let t = prod.get("timeout").unwrap();
        assert_eq!(t.scalar(), Some(&Scalar::Int(30)));
        // A merged value points where it was written.
        assert_eq!(text[..t.span.start].matches('\n').count() + 1, 3);
        assert_eq!(
            d.get("other").unwrap().get("pool").unwrap().scalar(),
            Some(&Scalar::Int(5))
        );
    }

    #[test]
    fn multiple_documents() {
        let docs = parse(0, "a: 1\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].get("b").unwrap().scalar(), Some(&Scalar::Int(2)));
    }

    #[test]
    fn syntax_errors_are_located() {
        let text = "pool:\n  max: 3\n bad: indent\n";
        let e = parse(0, text).unwrap_err();
        assert_eq!(text[..e.span.start].matches('\n').count() + 1, 3, "{e:?}");
    }

    fn line(text: &str, offset: usize) -> usize {
        text[..offset].matches('\n').count() + 1
    }

    fn error(text: &str) -> (usize, String, String) {
        let e = parse(0, text).unwrap_err();
        assert!(e.span.end <= text.len(), "{e:?}");
        (line(text, e.span.start), e.message, e.help.unwrap())
    }

    #[test]
    fn alias_bombs_are_refused_not_expanded() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in 'b'..='k' {
            text.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = name;
        }
        let (_, message, help) = error(&text);
        assert_eq!(
            message,
            "the file expands to more than 250000 nodes through anchors and aliases"
        );
        assert_eq!(
            help,
            "an alias bomb? write the values out instead of aliases of aliases"
        );
    }

    #[test]
    fn nesting_past_128_is_a_located_error_in_flow_and_block_style() {
        let deep = "maps and lists nest more than 128 deep";
        let flow = format!("a: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
        let (l, message, help) = error(&flow);
        assert_eq!((l, message.as_str()), (1, deep));
        assert_eq!(
            help,
            "flatten the values; poolcheck reads 128 levels at most"
        );
        let block: String = (0..10_000)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        let (l, message, _) = error(&block);
        assert_eq!((l, message.as_str()), (129, deep));
        let braces = format!("a: {}1{}\n", "{b: ".repeat(10_000), "}".repeat(10_000));
        assert_eq!(error(&braces).1, deep);
        // 127 levels under the root map are fine, and convert() walks them.
        let ok = format!("a: {}{}\n", "[".repeat(127), "]".repeat(127));
        assert_eq!(parse(0, &ok).unwrap().len(), 1);
    }

    #[test]
    fn only_small_surely_shallow_texts_parse_without_a_thread() {
        // A scaffold chart's values: parsed on the caller's stack.
        let values = "replicaCount: 2\nimage:\n  repository: r/app\n  tag: \"1\"\n\
                      env:\n  - name: DB_POOL_SIZE\n    value: \"5\"\n";
        assert!(shallow(values));
        assert!(shallow("a:\n- b:\n  - c\n"));
        // Each of these may nest deeper than the estimate allows (or repeat trees): a thread.
        let block: String = (0..17)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        assert!(!shallow(&block));
        let items: String = (0..17).map(|i| format!("{}-\n", "  ".repeat(i))).collect();
        assert!(!shallow(&items));
        assert!(!shallow(&format!(
            "a: {}{}\n",
            "[".repeat(16),
            "]".repeat(16)
        )));
        assert!(!shallow("- - - - - - - - - - - - - - - - x\n"));
        assert!(!shallow("a: &x {b: 1}\nc: *x\n"));
        assert!(!shallow("a:\n \tb: 1\n"));
        assert!(!shallow(&"k: v\n".repeat(5_000)));
        // Either way the tree is the same.
        assert_eq!(parse(0, values).unwrap().len(), 1);
    }

    #[test]
    fn a_map_of_100k_keys_keeps_every_key_once() {
        let text: String = (0..100_000).map(|i| format!("key_{i}: {i}\n")).collect();
        let d = &parse(0, &text).unwrap()[0];
        let NodeKind::Map(entries) = &d.kind else {
            panic!()
        };
        assert_eq!(entries.len(), 100_000);
        assert_eq!(
            d.get("key_99999").unwrap().scalar(),
            Some(&Scalar::Int(99_999))
        );
    }

    #[test]
    fn errors_speak_yaml_not_the_library() {
        let (l, message, help) = error("a: 1\nb: 2\na: 3\n");
        assert_eq!(
            (l, message.as_str()),
            (3, "`a` is defined twice in the same mapping")
        );
        assert_eq!(help, "remove one of the two (Helm refuses duplicate keys)");
        let (l, message, _) = error("pool:\n  max: 3\n bad: indent\n");
        assert_eq!(
            (l, message.as_str()),
            (
                3,
                "while parsing a block mapping, did not find expected key"
            )
        );
        let (_, message, _) = error("a: *nope\n");
        assert_eq!(
            message,
            "this alias refers to an anchor that is not defined before it"
        );
        let many: String = (0..130_000).map(|i| format!("- {i}\n- x\n")).collect();
        let (_, message, _) = error(&many);
        assert_eq!(
            message,
            "the file is too large to lint: more than 250000 nodes"
        );
    }

    #[test]
    fn non_finite_floats_are_values_not_errors() {
        let d = &parse(0, "a: .nan\nb: -.inf\n").unwrap()[0];
        assert!(matches!(d.get("a").unwrap().scalar(), Some(Scalar::Float(f)) if f.is_nan()));
        assert_eq!(
            d.get("b").unwrap().scalar(),
            Some(&Scalar::Float(f64::NEG_INFINITY))
        );
    }

    #[test]
    fn helm_values_are_the_first_document_and_must_be_a_mapping() {
        let v = parse_values(0, "pool: 1\n---\npool: 2\n---\nbroken: [\n", "values.yaml")
            .unwrap()
            .unwrap();
        assert_eq!(v.get("pool").unwrap().scalar(), Some(&Scalar::Int(1)));
        assert_eq!(
            parse_values(0, "---\n---\npool: 2\n", "v.yaml").unwrap(),
            None
        );
        assert_eq!(parse_values(0, "", "v.yaml").unwrap(), None);
        assert_eq!(parse_values(0, "~\n", "v.yaml").unwrap(), None);
        // A `---` inside a block scalar is text, not a document marker.
        let v = parse_values(0, "a: |\n  ---\n  x\nb: 2\n", "v.yaml")
            .unwrap()
            .unwrap();
        assert_eq!(v.get("b").unwrap().scalar(), Some(&Scalar::Int(2)));
        let text = "just a string\n---\npool: 2\n";
        let e = parse_values(3, text, "values.yaml").unwrap_err();
        assert_eq!(
            e.message,
            "values.yaml: the document is a string; Helm values must be a mapping"
        );
        assert_eq!(
            (e.file, &text[e.span.start..e.span.end]),
            (3, "just a string")
        );
        let e = parse_values(0, "- a\n- b\n", "prod.yaml").unwrap_err();
        assert_eq!(
            e.message,
            "prod.yaml: the document is a list; Helm values must be a mapping"
        );
        assert_eq!(line("- a\n- b\n", e.span.start), 1);
    }

    #[test]
    fn a_config_document_that_is_a_lone_scalar_is_an_error() {
        let e = parse_config(2, "a: 1\n---\n42\n", "app.yaml").unwrap_err();
        assert_eq!(
            e.message,
            "app.yaml: the document is a number; a configuration file must be a mapping"
        );
        assert_eq!(line("a: 1\n---\n42\n", e.span.start), 3);
        assert_eq!(
            parse_config(0, "- a: 1\n---\n~\n", "x.yaml").unwrap().len(),
            1
        );
    }
}
