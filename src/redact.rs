//! Secret redaction: every value that reaches any output goes through here first, because a
//! linter that runs in CI must never print a database password into a build log.

/// Words that mark a key as holding a secret on their own.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PWD",
    "PASS",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "CREDENTIAL",
    "CREDENTIALS",
    "APIKEY",
    "PASSPHRASE",
    "AUTHTOKEN",
];

/// Secret words also recognised at the end of a glued word.
const GLUED_SUFFIXES: &[&str] = &["PASSWORD", "PASSWD", "PWD", "SECRET", "TOKEN", "APIKEY"];

/// Words that make a following `KEY` a secret (API_KEY, PRIVATE_KEY, ACCESS_KEY…).
const KEY_QUALIFIERS: &[&str] = &[
    "API",
    "PRIVATE",
    "ACCESS",
    "SECRET",
    "SIGNING",
    "ENCRYPTION",
    "MASTER",
    "AUTH",
    "CLIENT",
];

/// Split a key into upper-case words across env (`DB_PASSWORD`), YAML/TOML (`db-password`,
/// `db.password`) and camelCase (`dbPassword`) styles.
fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_uppercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether a key's value is a secret and must be shown only as `***`. Matches whole words so
/// `DB_POOL_SIZE` and `MAX_KEYS` stay visible.
pub fn is_secret_key(key: &str) -> bool {
    let w = words(key);
    w.iter().enumerate().any(|(i, word)| {
        SECRET_WORDS.contains(&word.as_str())
            // Env names glue words (PGPASSWORD, NPMTOKEN); TOKENIZER must not match.
            || GLUED_SUFFIXES.iter().any(|s| word.ends_with(s))
            || word.contains("PASSWORD")
            || (word == "KEY" && i > 0 && KEY_QUALIFIERS.contains(&w[i - 1].as_str()))
    })
}

/// Replace passwords inside `s` with `***`: the password of any `scheme://user:password@host`
/// URL, `password=` query parameters and libpq keyword strings (`host=h password=x`).
pub fn redact_url(s: &str) -> String {
    let mut out = redact_userinfo(s);
    out = redact_keywords(&out);
    out
}

fn redact_userinfo(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("://") {
        let auth_start = i + 3;
        out.push_str(&rest[..auth_start]);
        let after = &rest[auth_start..];
        let seg_end = after
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>'))
            .unwrap_or(after.len());
        let seg = &after[..seg_end];
        let auth_end = seg.find(['/', '?', '#']).unwrap_or(seg.len());
        // Prefer the last `@` of the authority (`user:pa@ss@host`); if there is none, a password
        // with an unencoded `/` may have pushed the `@` past the first slash.
        let at = seg[..auth_end].rfind('@').or_else(|| {
            let q = seg.find('?').unwrap_or(seg.len());
            seg[..q].rfind('@')
        });
        match at {
            Some(a) => {
                let userinfo = &seg[..a];
                match userinfo.find(':') {
                    Some(c) if c + 1 < userinfo.len() => {
                        out.push_str(&userinfo[..=c]);
                        out.push_str("***");
                    }
                    _ => out.push_str(userinfo),
                }
                out.push_str(&seg[a..]);
            }
            None => out.push_str(seg),
        }
        rest = &after[seg_end..];
    }
    out.push_str(rest);
    out
}

/// Redact `key=value` where key is secret, at a word start (start, whitespace, `?`, `&`, `;`).
fn redact_keywords(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        let at_boundary = i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n' | b'?' | b'&' | b';');
        if at_boundary && (b[i].is_ascii_alphabetic() || b[i] == b'_') {
            let key_end = i + b[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
                .count();
            let mut eq = key_end;
            while eq < b.len() && b[eq] == b' ' {
                eq += 1;
            }
            if eq < b.len() && b[eq] == b'=' && is_secret_key(&s[i..key_end]) {
                let mut v = eq + 1;
                while v < b.len() && b[v] == b' ' {
                    v += 1;
                }
                let vend = if v < b.len() && b[v] == b'\'' {
                    // libpq quoted value with backslash escapes.
                    let mut k = v + 1;
                    while k < b.len() && b[k] != b'\'' {
                        k += if b[k] == b'\\' { 2 } else { 1 };
                    }
                    (k + 1).min(b.len())
                } else {
                    v + b[v..]
                        .iter()
                        .take_while(|c| !matches!(c, b'&' | b';' | b' ' | b'\t' | b'\n' | b'"'))
                        .count()
                };
                if vend > v {
                    out.push_str(&s[copied..v]);
                    out.push_str("***");
                    copied = vend;
                }
                i = vend.max(i + 1);
                continue;
            }
            i = key_end.max(i + 1);
            continue;
        }
        i += 1;
    }
    out.push_str(&s[copied.min(s.len())..]);
    out
}

/// The text to show for `key = value`: `***` for secret keys, otherwise the value with any
/// embedded passwords redacted.
pub fn redact_value(key: &str, value: &str) -> String {
    if is_secret_key(key) {
        "***".to_string()
    } else {
        redact_url(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys() {
        for k in [
            "PASSWORD",
            "DB_PASSWORD",
            "db_passwd",
            "PGPASSWORD",
            "MYSQL_PWD",
            "db-password",
            "database.password",
            "dbPassword",
            "API_KEY",
            "apiKey",
            "STRIPE_SECRET_KEY",
            "GITHUB_TOKEN",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "PRIVATE_KEY",
            "client_secret",
            "DB_PASS",
        ] {
            assert!(is_secret_key(k), "{k} should be secret");
        }
        for k in [
            "DB_POOL_SIZE",
            "MAX_KEYS",
            "DATABASE_URL",
            "PASSTHROUGH",
            "KEY",
            "primary_key",
            "pool.max",
            "TOKENIZER_THREADS_X",
        ] {
            // TOKENIZER is one word, not TOKEN.
            assert!(!is_secret_key(k), "{k} should not be secret");
        }
    }

    #[test]
    fn pgpassword_is_one_word_but_secret() {
        // Env names glue words together; PGPASSWORD must still count.
        assert!(is_secret_key("PGPASSWORD"));
    }

    #[test]
    fn urls() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(
            redact_url("postgres://app:p%40ss%2Fw@db/x"),
            "postgres://app:***@db/x"
        );
        assert_eq!(
            redact_url("postgres://user:pa@ss@host/db"),
            "postgres://user:***@host/db"
        );
        assert_eq!(
            redact_url("postgres://user:pa/ss@host/db"),
            "postgres://user:***@host/db"
        );
        assert_eq!(
            redact_url("postgres://user@host/db"),
            "postgres://user@host/db"
        );
        assert_eq!(redact_url("postgres://host/db"), "postgres://host/db");
        assert_eq!(
            redact_url("a mysql://u:x@h/d and postgres://v:y@h2/e"),
            "a mysql://u:***@h/d and postgres://v:***@h2/e"
        );
        assert_eq!(
            redact_url("jdbc:mysql://h/db?user=root&password=hunter2&ssl=true"),
            "jdbc:mysql://h/db?user=root&password=***&ssl=true"
        );
    }

    #[test]
    fn keyword_strings() {
        assert_eq!(
            redact_url("host=h user=u password=secret dbname=d"),
            "host=h user=u password=*** dbname=d"
        );
        assert_eq!(
            redact_url("host=h password='a b\\' c' port=5"),
            "host=h password=*** port=5"
        );
        assert_eq!(
            redact_url("Server=x;Pwd=abc;Database=y"),
            "Server=x;Pwd=***;Database=y"
        );
        assert_eq!(redact_url("pool_size=5 keys=3"), "pool_size=5 keys=3");
    }

    #[test]
    fn values() {
        assert_eq!(redact_value("DB_PASSWORD", "x"), "***");
        assert_eq!(
            redact_value("DATABASE_URL", "postgres://a:b@h/d"),
            "postgres://a:***@h/d"
        );
        assert_eq!(redact_value("DB_POOL_SIZE", "10"), "10");
    }
}
