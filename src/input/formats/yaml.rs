//! YAML documents into span-carrying [`Node`] trees via serde-saphyr (pure Rust, byte offsets
//! for keys and values, anchors/aliases/`<<` merges, and alias-expansion budgets by default).

use super::{Entry, Node, NodeKind, ParseError, Scalar};
use crate::core::source::{FileId, Span};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};
use std::fmt;

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
        let mut entries: Vec<(Spanned<YKey>, Spanned<YVal>)> = Vec::new();
        while let Some((k, v)) = map.next_entry::<Spanned<YKey>, Spanned<YVal>>()? {
            // A later duplicate replaces the earlier one, as YAML loaders do.
            entries.retain(|(ek, _)| ek.value.0 != k.value.0);
            entries.push((k, v));
        }
        Ok(YVal::Map(entries))
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

/// Parses every document of a YAML stream. An empty stream is an empty list.
pub fn parse(file: FileId, text: &str) -> Result<Vec<Node>, ParseError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let docs: Vec<Option<Spanned<YVal>>> = serde_saphyr::from_multiple(text).map_err(|e| {
        let span = match e.location() {
            Some(loc) if loc.line() > 0 => span_of(&loc, text),
            _ => Span::new(0, 0),
        };
        let message = e.to_string();
        ParseError {
            file,
            span,
            message: message
                .lines()
                .next()
                .unwrap_or("invalid YAML")
                .trim()
                .to_string(),
            help: Some(
                "fix the YAML at the marked position (indentation, a missing `:` or quote)".into(),
            ),
        }
    })?;
    Ok(docs
        .into_iter()
        .flatten()
        .map(|d| convert(file, d, text))
        .collect())
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

    #[test]
    fn alias_bombs_are_refused_not_expanded() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in 'b'..='k' {
            text.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = name;
        }
        assert!(parse(0, &text).is_err());
    }
}
