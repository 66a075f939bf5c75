//! docker compose syntax that is text, not structure: which file names are compose files,
//! and interpolation of `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
//! `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, `$VAR` and `$$` as
//! <https://docs.docker.com/reference/compose-file/interpolation/> defines them.

use crate::core::source::{FileId, Span};

/// Names of compose files (read by `discover`).
pub fn is_compose_name(name: &str) -> bool {
    (name.starts_with("compose.") || name.starts_with("docker-compose"))
        && (name.ends_with(".yaml") || name.ends_with(".yml"))
}

/// A variable of the project's environment: value and where it is set.
#[derive(Debug, Clone)]
pub struct Var {
    pub value: String,
    pub at: Option<(FileId, Span)>,
}

#[derive(Debug, PartialEq)]
pub enum Failure {
    Required { var: String, message: String },
    Malformed(String),
}

#[derive(Debug, Default, PartialEq)]
pub struct Interpolated {
    pub text: String,
    /// Variables used without a value or default.
    pub unknown: Vec<String>,
    /// Where the value is set, when the whole text is one variable set in a file.
    pub from: Option<(FileId, Span)>,
}

/// Compose interpolation of one value; defaults may hold references themselves.
pub fn interpolate(s: &str, vars: &[(String, Var)], depth: usize) -> Result<Interpolated, Failure> {
    if depth > 8 {
        return Err(Failure::Malformed(
            "defaults nest more than 8 levels deep".into(),
        ));
    }
    let get = |k: &str| vars.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v);
    let mut out = Interpolated::default();
    let mut refs = 0;
    let mut literal = false;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            let ch = s[i..].chars().next().unwrap_or(' ');
            out.text.push(ch);
            literal |= !ch.is_whitespace();
            i += ch.len_utf8();
            continue;
        }
        match b.get(i + 1) {
            Some(b'$') => {
                out.text.push('$');
                literal = true;
                i += 2;
            }
            Some(b'{') => {
                let start = i + 2;
                let mut level = 1;
                let mut j = start;
                while j < b.len() && level > 0 {
                    match b[j] {
                        b'{' => level += 1,
                        b'}' => level -= 1,
                        _ => {}
                    }
                    j += 1;
                }
                if level > 0 {
                    return Err(Failure::Malformed(format!(
                        "`{}`: a `${{` without its closing `}}`",
                        crate::core::secrets::clip(&s[i..], 40)
                    )));
                }
                let inner = &s[start..j - 1];
                let name_len = inner
                    .bytes()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                    .count();
                let (name, op) = inner.split_at(name_len);
                if name.is_empty() {
                    return Err(Failure::Malformed(format!(
                        "`${{{}}}` names no variable",
                        crate::core::secrets::clip(inner, 40)
                    )));
                }
                refs += 1;
                let v = get(name);
                let empty = v.is_none_or(|v| v.value.is_empty());
                let (colon, rest) = match op.strip_prefix(':') {
                    Some(r) => (true, r),
                    None => (false, op),
                };
                let missing = if colon { empty } else { v.is_none() };
                let mut sub = |t: &str, out: &mut Interpolated| -> Result<(), Failure> {
                    let r = interpolate(t, vars, depth + 1)?;
                    out.text.push_str(&r.text);
                    out.unknown.extend(r.unknown);
                    literal = true;
                    Ok(())
                };
                match rest.chars().next() {
                    None if op.is_empty() => match v {
                        Some(v) => {
                            out.text.push_str(&v.value);
                            out.from = v.at;
                        }
                        None => out.unknown.push(name.to_string()),
                    },
                    Some('-') if missing => sub(&rest[1..], &mut out)?,
                    Some('?') if missing => {
                        return Err(Failure::Required {
                            var: name.to_string(),
                            message: rest[1..].to_string(),
                        })
                    }
                    Some('+') if !missing => sub(&rest[1..], &mut out)?,
                    Some('+') => {}
                    Some('-' | '?') => {
                        let v = v.map(|v| v.value.clone()).unwrap_or_default();
                        out.text.push_str(&v);
                        out.from = get(name).and_then(|v| v.at);
                    }
                    _ => {
                        return Err(Failure::Malformed(format!(
                            "`${{{}}}` is not an interpolation compose knows",
                            crate::core::secrets::clip(inner, 40)
                        )))
                    }
                }
                i = j;
            }
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                refs += 1;
                match get(&s[start..j]) {
                    Some(v) => {
                        out.text.push_str(&v.value);
                        out.from = v.at;
                    }
                    None => out.unknown.push(s[start..j].to_string()),
                }
                i = j;
            }
            _ => {
                out.text.push('$');
                literal = true;
                i += 1;
            }
        }
    }
    if refs != 1 || literal {
        out.from = None;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, Var)> {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    Var {
                        value: v.to_string(),
                        at: Some((0, Span::new(1, 2))),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn interpolation_follows_compose() {
        let v = vars(&[("POOL", "40"), ("EMPTY", "")]);
        let t = |s: &str| interpolate(s, &v, 0).map(|r| r.text);
        assert_eq!(t("${POOL}").unwrap(), "40");
        assert_eq!(t("$POOL-x").unwrap(), "40-x");
        assert_eq!(t("${MISSING:-10}").unwrap(), "10");
        assert_eq!(t("${EMPTY:-10}").unwrap(), "10");
        assert_eq!(t("${EMPTY-10}").unwrap(), "");
        assert_eq!(t("${MISSING-${POOL}}").unwrap(), "40");
        assert_eq!(t("${POOL:+on}").unwrap(), "on");
        assert_eq!(t("$$POOL").unwrap(), "$POOL");
        assert_eq!(
            interpolate("${MISSING:?set the pool}", &v, 0),
            Err(Failure::Required {
                var: "MISSING".into(),
                message: "set the pool".into()
            })
        );
        assert!(matches!(
            interpolate("${POOL", &v, 0),
            Err(Failure::Malformed(_))
        ));
        assert_eq!(interpolate("${NOPE}", &v, 0).unwrap().unknown, vec!["NOPE"]);
        // Located at the .env line only when the value is exactly one variable.
        assert!(interpolate("${POOL}", &v, 0).unwrap().from.is_some());
        assert!(interpolate("x${POOL}", &v, 0).unwrap().from.is_none());
    }

    #[test]
    fn compose_file_names() {
        for n in [
            "compose.yaml",
            "docker-compose.yml",
            "docker-compose.prod.yml",
            "compose.override.yaml",
        ] {
            assert!(is_compose_name(n), "{n}");
        }
        assert!(!is_compose_name("values.yaml"));
    }
}
