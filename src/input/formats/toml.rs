//! TOML documents into span-carrying [`Node`] trees, through toml's span-keeping `DeTable`.

use super::{Entry, Node, NodeKind, ParseError, Scalar};
use crate::core::source::{FileId, Span};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Parses a TOML document. Spans are byte offsets into `text`.
pub fn parse(file: FileId, text: &str) -> Result<Node, ParseError> {
    let root = DeTable::parse(text).map_err(|e| {
        let span = e.span().map_or_else(
            || dotted_key_line(text),
            |r| Span::new(r.start, r.end.max(r.start)),
        );
        let message = first_line(e.message());
        // toml stops at 80 levels of arrays, inline tables or dotted keys; say so plainly.
        let (message, help) = if message.contains("recursion") {
            (
                "arrays, tables and dotted keys nest more than 80 deep".to_string(),
                "flatten the structure; TOML is read 80 levels deep at most",
            )
        } else {
            (message, "fix the TOML syntax at the marked position")
        };
        ParseError {
            file,
            span,
            message,
            help: Some(help.into()),
        }
    })?;
    let span = root.span();
    Ok(Node {
        kind: table(file, root.get_ref()),
        file,
        span: Span::new(span.start, span.end),
    })
}

/// toml gives no position for a dotted key past its recursion limit: point at the first line
/// with that many dots, else the start of the file.
fn dotted_key_line(text: &str) -> Span {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.bytes().filter(|&b| b == b'.').count() >= 80 {
            return Span::new(offset, offset + line.trim_end().len().min(1));
        }
        offset += line.len();
    }
    Span::new(0, 0)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_string()
}

fn table(file: FileId, t: &DeTable<'_>) -> NodeKind {
    NodeKind::Map(
        t.iter()
            .map(|(k, v)| Entry {
                key: k.get_ref().to_string(),
                key_span: Span::new(k.span().start, k.span().end),
                value: value(file, v),
            })
            .collect(),
    )
}

fn value(file: FileId, v: &Spanned<DeValue<'_>>) -> Node {
    let span = Span::new(v.span().start, v.span().end);
    let kind = match v.get_ref() {
        DeValue::String(s) => NodeKind::Scalar(Scalar::Str(s.to_string())),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            match i64::from_str_radix(&digits, i.radix()) {
                Ok(n) => NodeKind::Scalar(Scalar::Int(n)),
                // Past i64: still a number (the schema then says it is too large), as YAML does.
                Err(_) => match digits.parse::<f64>() {
                    Ok(x) if i.radix() == 10 => NodeKind::Scalar(Scalar::Float(x)),
                    _ => NodeKind::Scalar(Scalar::Str(i.as_str().to_string())),
                },
            }
        }
        DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
            Ok(x) => NodeKind::Scalar(Scalar::Float(x)),
            Err(_) => NodeKind::Scalar(Scalar::Str(f.as_str().to_string())),
        },
        DeValue::Boolean(b) => NodeKind::Scalar(Scalar::Bool(*b)),
        DeValue::Datetime(d) => NodeKind::Scalar(Scalar::Str(d.to_string())),
        DeValue::Array(a) => NodeKind::Seq(a.iter().map(|x| value(file, x)).collect()),
        DeValue::Table(t) => table(file, t),
    };
    Node { kind, file, span }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_dotted_keys_arrays_and_spans() {
        let text = "[database]\nmax_connections = 20\nurl = \"postgres://db/app\"\n[a.b]\nc.d = 1_000\nxs = [1, 2.5, true]\n[[svc]]\nname = \"x\"\n";
        let root = parse(0, text).unwrap();
        let mc = root
            .get("database")
            .unwrap()
            .get("max_connections")
            .unwrap();
        assert_eq!(mc.scalar(), Some(&Scalar::Int(20)));
        assert_eq!(&text[mc.span.start..mc.span.end], "20");
        let e = root.get("database").unwrap().entry("url").unwrap();
        assert_eq!(&text[e.key_span.start..e.key_span.end], "url");
        let d = root
            .get("a")
            .unwrap()
            .get("b")
            .unwrap()
            .get("c")
            .unwrap()
            .get("d")
            .unwrap();
        assert_eq!(d.scalar(), Some(&Scalar::Int(1000)));
        let NodeKind::Seq(xs) = &root
            .get("a")
            .unwrap()
            .get("b")
            .unwrap()
            .get("xs")
            .unwrap()
            .kind
        else {
            panic!()
        };
        assert_eq!(xs[1].scalar(), Some(&Scalar::Float(2.5)));
        let NodeKind::Seq(svc) = &root.get("svc").unwrap().kind else {
            panic!()
        };
        assert_eq!(
            svc[0].get("name").unwrap().scalar(),
            Some(&Scalar::Str("x".into()))
        );
    }

    #[test]
    fn deep_nesting_is_a_located_error_in_words() {
        let deep = "arrays, tables and dotted keys nest more than 80 deep";
        for text in [
            format!("x = 1\na = {}{}\n", "[".repeat(10_000), "]".repeat(10_000)),
            format!(
                "x = 1\na = {}1{}\n",
                "{b = ".repeat(10_000),
                "}".repeat(10_000)
            ),
            format!("x = 1\n{} = 1\n", ["a"; 10_000].join(".")),
            format!("x = 1\n[{}]\n", ["a"; 10_000].join(".")),
        ] {
            let e = parse(0, &text).unwrap_err();
            assert_eq!(e.message, deep);
            assert_eq!(text[..e.span.start].matches('\n').count() + 1, 2, "{e:?}");
        }
        let ok = format!("a = {}{}\n", "[".repeat(70), "]".repeat(70));
        assert!(parse(0, &ok).is_ok());
    }

    #[test]
    fn numbers_past_i64_and_non_finite_floats_stay_numbers() {
        let root = parse(
            0,
            "a = 100000000000000000000\nb = 1e400\nc = nan\nd = 0xffffffffffffffffff\n",
        )
        .unwrap();
        assert_eq!(root.get("a").unwrap().scalar(), Some(&Scalar::Float(1e20)));
        assert_eq!(
            root.get("b").unwrap().scalar(),
            Some(&Scalar::Float(f64::INFINITY))
        );
        assert!(matches!(root.get("c").unwrap().scalar(), Some(Scalar::Float(f)) if f.is_nan()));
        assert_eq!(
            root.get("d").unwrap().scalar(),
            Some(&Scalar::Str("ffffffffffffffffff".into()))
        );
    }

    #[test]
    fn syntax_errors_are_located() {
        let text = "[database]\npool_size = = 3\n";
        let e = parse(7, text).unwrap_err();
        assert_eq!(e.file, 7);
        assert_eq!(text[..e.span.start].matches('\n').count() + 1, 2, "{e:?}");
        assert!(!e.message.is_empty());
    }
}
