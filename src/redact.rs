//! Secrets never reach output: passwords in URLs and libpq strings, and values of keys that look
//! like secrets.

/// Key names whose values are secrets, compared on the normalised name (`db-password`,
/// `DB_PASSWORD` and `dbPassword` alike).
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "credential",
    "accesskey",
];

/// Whether a key (env, YAML or TOML style) names a secret.
pub fn is_secret_key(key: &str) -> bool {
    let n = crate::dialect::normalize(key);
    SECRET_WORDS.iter().any(|w| n.contains(w))
}

/// The value as it may be shown: `***` for secret keys, passwords masked in URLs otherwise.
pub fn redact_value(key: &str, value: &str) -> String {
    if is_secret_key(key) {
        "***".into()
    } else {
        redact_url(value)
    }
}

/// Replaces the password of every URL in `s` (and `password=` parameters) with `***`.
pub fn redact_url(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("://") {
        let auth_start = pos + 3;
        out.push_str(&rest[..auth_start]);
        let tail = &rest[auth_start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '/' | '?' | '#' | '"' | '\''))
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => match authority[..at].find(':') {
                Some(colon) => {
                    out.push_str(&authority[..colon + 1]);
                    out.push_str("***");
                    out.push_str(&authority[at..]);
                }
                None => out.push_str(authority),
            },
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    redact_password_params(&out)
}

fn redact_password_params(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(pos) = lower[from..].find("password=") {
        let start = from + pos + "password=".len();
        let end = s[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '&' | ';' | '"' | '\''))
            .map_or(s.len(), |e| start + e);
        out.push_str(&s[last..start]);
        out.push_str("***");
        last = end;
        from = end.max(start);
    }
    out.push_str(&s[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_passwords() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/app"),
            "postgres://app:***@db:5432/app"
        );
        assert_eq!(
            redact_url("postgres://app:p%40ss@db/app"),
            "postgres://app:***@db/app"
        );
        assert_eq!(
            redact_url("postgres://u:pa@ss@host/db x"),
            "postgres://u:***@host/db x"
        );
        assert_eq!(redact_url("postgres://app@db/app"), "postgres://app@db/app");
        assert_eq!(
            redact_url("a=postgres://u:p@h/d b=mysql://v:q@i/e"),
            "a=postgres://u:***@h/d b=mysql://v:***@i/e"
        );
        assert_eq!(
            redact_url("host=db password=hunter2 user=x"),
            "host=db password=*** user=x"
        );
        assert_eq!(
            redact_url("jdbc:postgresql://db/x?user=a&password=b&ssl=true"),
            "jdbc:postgresql://db/x?user=a&password=***&ssl=true"
        );
        assert_eq!(redact_url("no secrets é here"), "no secrets é here");
    }

    #[test]
    fn secret_keys() {
        for k in [
            "DB_PASSWORD",
            "password",
            "spring.datasource.password",
            "API_TOKEN",
            "awsSecretAccessKey",
            "PGPASSWORD",
            "private-key",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "DB_POOL_SIZE",
            "DATABASE_URL",
            "MAX_KEYS",
            "replicaCount",
            "DB_USER",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
        assert_eq!(redact_value("DB_PASSWORD", "x"), "***");
        assert_eq!(
            redact_value("URL", "postgres://a:b@c/d"),
            "postgres://a:***@c/d"
        );
    }
}
