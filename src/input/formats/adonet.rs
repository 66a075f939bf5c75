//! ADO.NET connection strings (`Host=db;Port=5432;Maximum Pool Size=50;Timeout=15`), as .NET
//! apps keep them in appsettings.json's `ConnectionStrings`, with each value's span inside
//! the string.
//!
//! The syntax is DbConnectionStringBuilder's
//! (<https://learn.microsoft.com/dotnet/api/system.data.common.dbconnectionstringbuilder.connectionstring>):
//! `keyword=value` pairs separated by `;`, keywords without case, blanks around them ignored,
//! a value may be quoted with `"` or `'` (the quote doubled inside), `==` in a keyword is a
//! literal `=`.

use crate::core::source::Span;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The keyword as written (`Maximum Pool Size`).
    pub key: String,
    pub value: String,
    /// The value's span in the string (its content, without quotes).
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnString {
    pub params: Vec<Param>,
}

/// Keywords that name the server: a string without one is not a connection string.
const HOST_KEYS: &[&str] = &[
    "host",
    "server",
    "datasource",
    "address",
    "addr",
    "networkaddress",
];

fn norm(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl ConnString {
    /// The last value of a keyword (later pairs win, as in DbConnectionStringBuilder).
    pub fn get(&self, keys: &[&str]) -> Option<&Param> {
        self.params
            .iter()
            .rev()
            .find(|p| keys.contains(&norm(&p.key).as_str()))
    }

    /// `host:port/database`, as [`super::url::Url::server_key`] spells a server.
    pub fn server_key(&self) -> String {
        let host = self.get(HOST_KEYS).map_or("", |p| p.value.as_str());
        let port = self.get(&["port"]).map(|p| p.value.trim().to_string());
        let hosts: Vec<String> = host
            .split(',')
            .map(|h| {
                let h = h.trim().to_ascii_lowercase();
                // Npgsql takes `Host=db:6432` too.
                match (h.rsplit_once(':'), &port) {
                    (Some((name, p)), _) if p.parse::<u16>().is_ok() => format!("{name}:{p}"),
                    (_, Some(p)) => format!("{h}:{p}"),
                    (_, None) => format!("{h}:5432"),
                }
            })
            .collect();
        let db = self.get(&["database", "initialcatalog", "db"]);
        format!(
            "{}/{}",
            hosts.join(","),
            db.map_or("", |p| p.value.as_str())
        )
    }

    pub fn user(&self) -> Option<&str> {
        self.get(&["username", "userid", "user", "uid"])
            .map(|p| p.value.as_str())
    }

    pub fn database(&self) -> Option<&str> {
        self.get(&["database", "initialcatalog", "db"])
            .map(|p| p.value.as_str())
    }
}

/// The pairs of `text`, or None when it is not a connection string (no `=`, or no server
/// keyword): most strings in a settings file are not.
pub fn parse(text: &str) -> Option<ConnString> {
    if !text.contains('=') || !text.contains(';') && !text.to_ascii_lowercase().contains("host") {
        return None;
    }
    let b = text.as_bytes();
    let mut params = Vec::new();
    let mut i = 0;
    while i < b.len() {
        // Keyword up to a single `=` (`==` is a literal `=`).
        let mut key = String::new();
        while i < b.len() {
            if b[i] == b'=' {
                if b.get(i + 1) == Some(&b'=') {
                    key.push('=');
                    i += 2;
                    continue;
                }
                break;
            }
            if b[i] == b';' {
                break;
            }
            let c = text[i..].chars().next()?;
            key.push(c);
            i += c.len_utf8();
        }
        if i >= b.len() || b[i] == b';' {
            if !key.trim().is_empty() {
                return None; // a keyword without a value: not a connection string
            }
            i += 1;
            continue;
        }
        i += 1; // '='
        while i < b.len() && matches!(b[i], b' ' | b'\t') {
            i += 1;
        }
        let (value, span) = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let start = i + 1;
                let mut j = start;
                let mut v = String::new();
                loop {
                    match b.get(j) {
                        None => return None, // unterminated quote
                        Some(&c) if c == q && b.get(j + 1) == Some(&q) => {
                            v.push(q as char);
                            j += 2;
                        }
                        Some(&c) if c == q => break,
                        Some(_) => {
                            let c = text[j..].chars().next()?;
                            v.push(c);
                            j += c.len_utf8();
                        }
                    }
                }
                let span = Span::new(start, j);
                i = j + 1;
                while i < b.len() && b[i] != b';' {
                    i += 1;
                }
                (v, span)
            }
            _ => {
                let start = i;
                while i < b.len() && b[i] != b';' {
                    i += 1;
                }
                let raw = &text[start..i];
                let v = raw.trim_end();
                (v.to_string(), Span::new(start, start + v.len()))
            }
        };
        i += 1; // ';'
        let key = key.trim().to_string();
        if key.is_empty() {
            return None;
        }
        params.push(Param { key, value, span });
    }
    let c = ConnString { params };
    c.get(HOST_KEYS).is_some().then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npgsql_string_with_spans() {
        let s = "Host=orders-db;Port=5432;Database=orders;Username=app;Password=s3cret;Maximum Pool Size=50;Timeout=15";
        let c = parse(s).unwrap();
        let p = c.get(&["maximumpoolsize"]).unwrap();
        assert_eq!(&s[p.span.start..p.span.end], "50");
        assert_eq!(c.server_key(), "orders-db:5432/orders");
        assert_eq!(c.user(), Some("app"));
    }

    #[test]
    fn quoted_values_and_trailing_semicolon() {
        let s = "Server=db; Password='a;b''c'; Max Pool Size = 20 ;";
        let c = parse(s).unwrap();
        assert_eq!(c.get(&["password"]).unwrap().value, "a;b'c");
        let p = c.get(&["maxpoolsize"]).unwrap();
        assert_eq!(&s[p.span.start..p.span.end], "20");
        assert_eq!(c.server_key(), "db:5432/");
    }

    #[test]
    fn other_strings_are_not_connection_strings() {
        assert_eq!(parse("Information"), None);
        assert_eq!(parse("a=b"), None);
        assert_eq!(parse("Database=x;Pooling=true"), None);
        assert_eq!(parse("Host=db;Password='open"), None);
    }
}
