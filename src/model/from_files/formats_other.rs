//! INI and flat conf, Java .properties, JSON/JSON5/HJSON files, and ADO.NET connection strings
//! inside any value: read into the same observations as YAML and TOML.

use super::*;
use std::path::Path;

/// Reads one INI, .properties or JSON-family file of a service.
#[allow(clippy::too_many_arguments)]
pub(super) fn read(
    c: &mut Collector<'_>,
    path: &Path,
    id: FileId,
    kind: Kind,
    env_files: &[formats::env::EnvFile],
    sources: &SourceSet,
    opts: &BuildOptions,
    part: Option<&str>,
) {
    let text = sources.get(id).text.clone();
    match kind {
        Kind::Ini => {
            let ini = formats::ini::parse(id, &text);
            if !ini.errors.is_empty() && is_conf(path) && !key_value_file(&text) {
                // nginx, Apache and other block-structured `.conf` files found in a walk are
                // not settings poolcheck reads: listed, not reported as broken.
                c.skipped.push(crate::input::envfiles::Skipped {
                    file: sources.get(id).display.clone(),
                    reason: "not a `key = value` file (most lines are neither settings nor \
                             sections)"
                        .into(),
                });
                return;
            }
            c.findings
                .extend(ini.errors.into_iter().map(syntax_finding));
            c.walk(&ini.root, &mut Vec::new(), false, sources);
        }
        Kind::Properties => {
            let props = formats::properties::parse(id, &text);
            c.findings
                .extend(props.errors.into_iter().map(syntax_finding));
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let mut docs = props.docs;
            for doc in &mut docs {
                placeholders(c, doc, env_files, opts);
            }
            for doc in spring_documents(c, id, name.as_deref().unwrap_or(""), &docs, sources, opts)
            {
                c.walk(doc, &mut Vec::new(), false, sources);
            }
        }
        Kind::Json(flavor) => match formats::json::parse(id, &text, flavor) {
            Ok(mut root) => {
                one_connection_string(c, &mut root, part);
                replace_earlier_strings(c, &root);
                c.walk(&root, &mut Vec::new(), false, sources)
            }
            Err(e) => c.findings.push(syntax_finding(e)),
        },
        Kind::Env | Kind::Toml | Kind::Yaml | Kind::Compose => {}
    }
}

/// Npgsql (and every ADO.NET provider) keeps one pool per distinct connection string, so
/// each of `ConnectionStrings`' strings is a pool of its own: this service reads the one
/// `part` names (the first when None) and the others become services of their own.
/// <https://www.npgsql.org/doc/connection-string-parameters.html#pooling>
fn one_connection_string(c: &mut Collector<'_>, root: &mut Node, part: Option<&str>) {
    let NodeKind::Map(entries) = &mut root.kind else {
        return;
    };
    let Some(strings) = entries
        .iter_mut()
        .find(|e| e.key.eq_ignore_ascii_case("ConnectionStrings"))
    else {
        return;
    };
    let NodeKind::Map(list) = &mut strings.value.kind else {
        return;
    };
    let pooled: Vec<String> = list
        .iter()
        .filter(|e| match &e.value.kind {
            NodeKind::Scalar(formats::Scalar::Str(s)) => formats::adonet::parse(s).is_some(),
            _ => false,
        })
        .map(|e| e.key.clone())
        .collect();
    if pooled.len() < 2 && part.is_none() {
        return;
    }
    let chosen = part.map_or_else(|| pooled[0].clone(), String::from);
    if part.is_none() {
        for name in pooled.iter().skip(1) {
            if !c.pool_parts.contains(name) {
                c.pool_parts.push(name.clone());
            }
        }
    }
    list.retain(|e| !pooled.contains(&e.key) || e.key == chosen);
}

/// .NET configuration replaces a key's whole value when a later source sets it
/// (appsettings.Production.json over appsettings.json): a connection string named again
/// drops every keyword read from the earlier one, so `Timeout=0` in the base string does not
/// survive a production string without it.
/// <https://learn.microsoft.com/aspnet/core/fundamentals/configuration/#default-application-configuration-sources>
fn replace_earlier_strings(c: &mut Collector<'_>, root: &Node) {
    let Some(strings) = (match &root.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .find(|e| e.key.eq_ignore_ascii_case("ConnectionStrings")),
        _ => None,
    }) else {
        return;
    };
    let NodeKind::Map(list) = &strings.value.kind else {
        return;
    };
    for e in list {
        let name = e.key.to_ascii_lowercase();
        let (file, span) = (e.value.file, e.value.span);
        if let Some(i) = c.conn_strings.iter().position(|(n, _, _)| *n == name) {
            let (old_file, old) = (c.conn_strings[i].1, c.conn_strings[i].2);
            if old_file != file {
                c.obs.retain(|o| match &o.origin {
                    Origin::File {
                        file: f, span: s, ..
                    } => !(*f == old_file && s.start >= old.start && s.end <= old.end),
                    _ => true,
                });
            }
            c.conn_strings[i] = (name, file, span);
        } else {
            c.conn_strings.push((name, file, span));
        }
    }
}

fn is_conf(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "conf")
}

/// Whether most content lines look like `key = value`, `[section]` or a comment: what tells a
/// flat conf file (discourse.conf) from nginx.conf, whose lines end in `;` or `{`.
fn key_value_file(text: &str) -> bool {
    let (mut ok, mut total) = (0usize, 0usize);
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            continue;
        }
        total += 1;
        let kv = line.starts_with(['#', ';', '['])
            || (line.contains(['=', ':']) && !line.ends_with(['{', ';']));
        ok += usize::from(kv);
    }
    ok * 2 > total
}

/// Spring's `${VAR}` and `${VAR:default}` placeholders in .properties values, resolved from
/// the service's env files (or `--set VAR=…`) as Spring resolves them from the environment;
/// one it cannot resolve makes the value unknown, with a note quoting it.
fn placeholders(
    c: &mut Collector<'_>,
    node: &mut Node,
    env_files: &[formats::env::EnvFile],
    opts: &BuildOptions,
) {
    match &mut node.kind {
        NodeKind::Map(entries) => entries
            .iter_mut()
            .for_each(|e| placeholders(c, &mut e.value, env_files, opts)),
        NodeKind::Seq(items) => items
            .iter_mut()
            .for_each(|n| placeholders(c, n, env_files, opts)),
        NodeKind::Scalar(formats::Scalar::Str(s)) if s.contains("${") => {
            // `--set VAR=…` answers a placeholder as it answers ERB: the key is taken.
            let used = std::cell::RefCell::new(Vec::new());
            let lookup = |var: &str| {
                let set = opts.overrides.iter().rev().find(|(k, _)| k == var);
                if let Some((k, v)) = set {
                    used.borrow_mut().push(k.clone());
                    return Some(v.clone());
                }
                env_value(env_files, var)
            };
            let resolved = resolve_placeholders(s, &lookup);
            c.erb_overrides.extend(used.into_inner());
            match resolved {
                Ok(v) => *s = v,
                Err(expr) => {
                    c.unevaluated.push(Sourced::new(
                        format!(
                            "`{}` is not set in this service's env files; give it with --set {}=N",
                            crate::core::secrets::clip(&expr, 40),
                            placeholder_var(&expr)
                        ),
                        Origin::file(node.file, node.span),
                    ));
                    node.kind = NodeKind::Scalar(formats::Scalar::Null);
                }
            }
        }
        NodeKind::Scalar(_) => {}
    }
}

fn placeholder_var(expr: &str) -> &str {
    let inner = expr.trim_start_matches("${").trim_end_matches('}');
    inner.split(':').next().unwrap_or(inner)
}

/// `a ${X:5} b` with X looked up; Err(the placeholder) when one has neither value nor default.
fn resolve_placeholders(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find('}') else {
            out.push_str(&rest[i..]);
            return Ok(out);
        };
        let expr = &rest[i..i + j + 1];
        let inner = &expr[2..expr.len() - 1];
        let (var, default) = match inner.split_once(':') {
            Some((v, d)) => (v, Some(d)),
            None => (inner, None),
        };
        match lookup(var).or_else(|| default.map(String::from)) {
            Some(v) => out.push_str(&v),
            None => return Err(expr.to_string()),
        }
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The documents of a Spring file that apply for the active profiles, the others listed as
/// skipped; every document of any other file.
fn spring_documents<'d>(
    c: &mut Collector<'_>,
    id: FileId,
    name: &str,
    docs: &'d [Node],
    sources: &SourceSet,
    opts: &BuildOptions,
) -> Vec<&'d Node> {
    use crate::input::spring;
    if !spring::is_spring_file(name) {
        return docs.iter().collect();
    }
    let active: Vec<String> = if opts.profiles.is_empty() {
        docs.iter()
            .filter(|d| spring::activation(d).is_none())
            .flat_map(spring::active_in)
            .collect()
    } else {
        opts.profiles.clone()
    };
    let mut out = Vec::new();
    for doc in docs {
        if let Some((expr, at)) = spring::activation(doc) {
            if !spring::matches(&expr, &active) {
                let f = sources.get(id);
                let (line, _) = f.line_col(at.span.start);
                c.skipped.push(crate::input::envfiles::Skipped {
                    file: format!("{}:{line}", f.display),
                    reason: if expr
                        .chars()
                        .all(|ch| ch.is_alphanumeric() || "-_.".contains(ch))
                    {
                        format!(
                            "document for Spring profile {expr}, which is not active \
                             (--profile {expr} applies it)"
                        )
                    } else {
                        format!(
                            "document for Spring profiles `{expr}`, which do not match the \
                             active ones (--profile sets them)"
                        )
                    },
                });
                continue;
            }
        }
        out.push(doc);
    }
    out
}

impl Collector<'_> {
    /// An ADO.NET connection string inside a value: its pool keywords (Npgsql's), with spans
    /// inside the string, and the server it names.
    pub(super) fn conn_string_value(
        &mut self,
        value: &str,
        file: FileId,
        span: Span,
        sources: &SourceSet,
    ) {
        // Connection strings name SQL servers: never the Redis pool's.
        if self.redis_part {
            return;
        }
        let Some(cs) = formats::adonet::parse(value) else {
            return;
        };
        let exact = sources.get(file).text.get(span.start..span.end) == Some(value);
        if self.server_key.is_none() {
            self.server_key = Some(cs.server_key());
            self.url_user = cs.user().map(String::from);
            self.url_database = cs.database().map(String::from);
        }
        self.url_library.get_or_insert("npgsql");
        for p in &cs.params {
            if let Some(m) = self.dialects.match_conn(&p.key) {
                let pspan = if exact {
                    Span::new(span.start + p.span.start, span.start + p.span.end)
                } else {
                    span
                };
                // A deploy-time substitution (`${POOL}`, Octopus `#{Pool}`, `{{ .pool }}`) is
                // set where poolcheck cannot read: unknown, not an invalid number.
                let templated = ["${", "#{", "{{"].iter().any(|t| p.value.contains(t));
                let text = (!templated).then(|| p.value.clone());
                if templated {
                    self.unevaluated.push(Sourced::new(
                        format!(
                            "`{}={}` is substituted at deploy time",
                            p.key,
                            crate::core::secrets::clip(&p.value, 40)
                        ),
                        Origin::file(file, pspan),
                    ));
                }
                self.push(m, &p.key, text, Origin::file(file, pspan), 3);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_take_env_then_default() {
        let env = |v: &str| (v == "DB_POOL").then(|| "25".to_string());
        assert_eq!(resolve_placeholders("${DB_POOL:10}", &env), Ok("25".into()));
        assert_eq!(resolve_placeholders("${OTHER:10}", &env), Ok("10".into()));
        assert_eq!(
            resolve_placeholders("${MISSING}", &env),
            Err("${MISSING}".into())
        );
    }

    #[test]
    fn nginx_is_not_a_key_value_file() {
        assert!(!key_value_file(
            "server {\n  listen 80;\n  location / {\n    proxy_pass http://app;\n  }\n}\n"
        ));
        assert!(key_value_file("# discourse\ndb_pool = 25\ndb_host = db\n"));
    }
}
