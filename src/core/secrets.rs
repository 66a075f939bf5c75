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

/// Whether `key` holds, in any case, one of the words every secret key contains.
fn has_secret_word(key: &[u8]) -> bool {
    // One pass, dispatching on the first letter (PASS, PWD, SECRET, TOKEN, CREDENTIAL, KEY):
    // this runs for every key of every file read.
    let at =
        |rest: &[u8], n: &[u8]| rest.len() >= n.len() && rest[..n.len()].eq_ignore_ascii_case(n);
    (0..key.len()).any(|i| {
        let rest = &key[i..];
        match key[i].to_ascii_uppercase() {
            b'P' => at(rest, b"PASS") || at(rest, b"PWD"),
            b'S' => at(rest, b"SECRET"),
            b'T' => at(rest, b"TOKEN"),
            b'C' => at(rest, b"CREDENTIAL"),
            b'K' => at(rest, b"KEY"),
            _ => false,
        }
    })
}

/// Whether a key's value is a secret and must be shown only as `***`. Matches whole words so
/// `DB_POOL_SIZE` and `MAX_KEYS` stay visible.
pub fn is_secret_key(key: &str) -> bool {
    // Most keys hold none of the secret words at all: say so without splitting them into
    // words (this runs for every key of every file, and for every `key=` in every value).
    if !has_secret_word(key.as_bytes()) {
        return false;
    }
    let w = words(key);
    // Keys that name where a secret lives rather than hold it: Helm's `existingSecret`,
    // `secretName`, `secretKeyRef`, `PASSWORD_FILE=/run/secrets/db`. Shown, so that a server
    // named like its Secret (`sentry-pg`) is not masked everywhere it appears.
    let names_one = w.iter().any(|x| x == "EXISTING")
        || w.last()
            .is_some_and(|x| matches!(x.as_str(), "NAME" | "REF" | "FILE" | "PATH"));
    if names_one {
        return false;
    }
    w.iter().enumerate().any(|(i, word)| {
        SECRET_WORDS.contains(&word.as_str())
            // Env names glue words (PGPASSWORD, NPMTOKEN); TOKENIZER must not match.
            || GLUED_SUFFIXES.iter().any(|s| word.ends_with(s))
            || word.contains("PASSWORD")
            || (word == "KEY" && i > 0 && KEY_QUALIFIERS.contains(&w[i - 1].as_str()))
    })
}

/// Byte ranges of every secret in `text`: URL passwords, `password=` style keyword values
/// (libpq, JDBC, ADO.NET; quoted or not) and the values of secret-looking keys on `KEY=value`
/// and `key: value` lines (with Helm's `- name: DB_PASSWORD` / `value: …` pairs). The one
/// detector behind [`mask`], [`redact`] and the output registry; it errs on the side of hiding
/// too much.
pub fn secret_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    url_password_ranges(text, &mut out);
    keyword_ranges(text, &mut out);
    line_value_ranges(text, &mut out);
    spaced_value_ranges(text, &mut out);
    out.sort();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(out.len());
    for (a, b) in out {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

fn url_password_ranges(text: &str, out: &mut Vec<(usize, usize)>) {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(pos) = text[from..].find("://") {
        let auth_start = from + pos + 3;
        // A quoted URL ends at its closing quote; an unquoted one at the end of the line or
        // where the next URL starts.
        let scheme_start = text[..from + pos]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-' | ':')))
            .map_or(0, |i| i + 1);
        let quote = scheme_start
            .checked_sub(1)
            .map(|i| b[i])
            .filter(|q| matches!(q, b'"' | b'\'' | b'`'));
        let line_end = text[auth_start..]
            .find('\n')
            .map_or(text.len(), |e| auth_start + e);
        let next_url = next_url_start(text, auth_start, line_end);
        let hard_end = match quote {
            Some(q) => text[auth_start..line_end]
                .find(q as char)
                .map_or(line_end, |e| auth_start + e),
            None => next_url,
        };
        // The last `@` before the end wins: passwords hold unencoded `@`, `/`, `#` and spaces
        // in the wild, and hiding a host by mistake is better than showing a password.
        let at = text[auth_start..hard_end].rfind('@');
        if let Some(at) = at {
            let userinfo = &text[auth_start..auth_start + at];
            if let Some(colon) = userinfo.find(':') {
                if colon + 1 < userinfo.len() {
                    out.push((auth_start + colon + 1, auth_start + at));
                }
            }
        }
        from = auth_start;
    }
}

/// Where a second URL starts on the same line: a `scheme://` whose scheme begins with a
/// letter right after a space, comma, semicolon or quote. A `://` inside a password
/// (`app:aJ=://x@db`) has no such scheme and is not a boundary; `line_end` when none.
fn next_url_start(text: &str, from: usize, line_end: usize) -> usize {
    let b = text.as_bytes();
    let mut at = from;
    while let Some(pos) = text[at..line_end].find("://") {
        let sep = at + pos;
        let scheme_start = text[from..sep]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-')))
            .map_or(from, |i| from + i + 1);
        let scheme_ok = scheme_start < sep && b[scheme_start].is_ascii_alphabetic();
        let after_separator = scheme_start > from
            && matches!(
                b[scheme_start - 1],
                b' ' | b'\t' | b',' | b';' | b'"' | b'\'' | b'`'
            );
        if scheme_ok && after_separator {
            return scheme_start;
        }
        at = sep + 3;
    }
    line_end
}

/// `key=value` where key is secret, at a word start (start, whitespace, `?`, `&`, `;`).
fn keyword_ranges(s: &str, out: &mut Vec<(usize, usize)>) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let at_boundary = i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n' | b'?' | b'&' | b';');
        if !(at_boundary && (b[i].is_ascii_alphabetic() || b[i] == b'_')) {
            i += 1;
            continue;
        }
        let key_end = i + b[i..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b' '))
            .count();
        let key = s[i..key_end].trim_end();
        let mut eq = key_end;
        while eq < b.len() && b[eq] == b' ' {
            eq += 1;
        }
        if eq < b.len() && b[eq] == b'=' && is_secret_key(key) {
            let mut v = eq + 1;
            while v < b.len() && b[v] == b' ' {
                v += 1;
            }
            // A quoted value written inside a JSON string: `Password=\"a;b\"` (the quotes
            // escaped), up to the next escaped quote, or the end of the line.
            let json_quoted =
                b.get(v) == Some(&b'\\') && matches!(b.get(v + 1), Some(b'"' | b'\''));
            let vend = if json_quoted {
                let q = b[v + 1];
                let mut k = v + 2;
                // The closing quote is the escaped one that ends the keyword's value (then
                // `;`, the JSON string's end or the line's); one inside the value is part of it.
                let ends = |i: usize| {
                    i >= b.len() || matches!(b[i], b';' | b'"' | b',' | b'}' | b' ' | b'\n')
                };
                while k < b.len() && b[k] != b'\n' {
                    if b[k] == b'\\' && b.get(k + 1) == Some(&q) && ends(k + 2) {
                        break;
                    }
                    k += 1;
                }
                (k + 2).min(b.len())
            } else if v < b.len() && (b[v] == b'\'' || b[v] == b'"') {
                // A quoted value (libpq, with backslash escapes): up to its closing quote.
                let q = b[v];
                let mut k = v + 1;
                while k < b.len() && b[k] != q && b[k] != b'\n' {
                    k += if b[k] == b'\\' { 2 } else { 1 };
                }
                (k + 1).min(b.len())
            } else {
                v + b[v..]
                    .iter()
                    .take_while(|c| !matches!(c, b'&' | b';' | b' ' | b'\t' | b'\n' | b'"' | b'\r'))
                    .count()
            };
            if vend > v {
                out.push((v, vend));
            }
            i = vend.max(i + 1);
            continue;
        }
        // Step past the first word only: the key scan also took spaces (ADO.NET keys).
        i += b[i..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
            .count()
            .max(1);
    }
}

/// `KEY=value`, `key: value`, `"key": "value"` lines whose key is secret, and Helm env
/// lists' `- name: DB_PASSWORD` followed by `value: …`.
fn line_value_ranges(text: &str, out: &mut Vec<(usize, usize)>) {
    let mut offset = 0;
    let mut pending_value = false;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        if let Some(sep) = content.find(['=', ':']) {
            let key = content[..sep].trim();
            let key = strip_all(strip_all(key, "export "), "- ")
                .trim_start_matches('-')
                .trim_matches(['"', '\'']);
            let value = &content[sep + 1..];
            let v = value.trim();
            let secret_here = is_secret_key(key);
            let named_secret = key == "name" && is_secret_key(v.trim_matches(['"', '\'']));
            if (secret_here || (pending_value && key == "value")) && !v.is_empty() {
                let lead = value.len() - value.trim_start().len();
                let start = offset + sep + 1 + lead;
                out.push((start, start + v.len()));
            }
            pending_value = named_secret || (pending_value && key != "value");
        }
        offset += line.len();
    }
}

/// `s` without every leading repeat of `prefix`: `trim_start_matches(prefix)` without
/// building a substring searcher for every line.
fn strip_all<'a>(mut s: &'a str, prefix: &str) -> &'a str {
    while let Some(rest) = s.strip_prefix(prefix) {
        s = rest;
    }
    s
}

/// `key "value"` lines (odyssey.conf: `password "…"`, `storage_password "…"`): a secret
/// key, blanks, and a double-quoted value, masked inside its quotes.
fn spaced_value_ranges(text: &str, out: &mut Vec<(usize, usize)>) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let lead = line.len() - line.trim_start_matches([' ', '\t']).len();
        let rest = &line[lead..];
        let key_len = rest
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
            .count();
        let after = &rest[key_len..];
        let blanks = after.len() - after.trim_start_matches([' ', '\t']).len();
        if key_len > 0 && blanks > 0 && after[blanks..].starts_with('"') {
            let start = offset + lead + key_len + blanks + 1;
            let body = &text[start..offset + line.len()];
            let b = body.as_bytes();
            let mut end = 0;
            while end < b.len() && b[end] != b'"' && b[end] != b'\n' {
                end += if b[end] == b'\\' && b.get(end + 1) == Some(&b'"') {
                    2
                } else {
                    1
                };
            }
            let end = end.min(b.len());
            if end > 0 && is_secret_key(&rest[..key_len]) {
                out.push((start, start + end));
            }
        }
        offset += line.len();
    }
}

/// Same length as `text`, with every secret's bytes replaced by `*`, so spans into the text
/// still point at the same places (for source snippets).
pub fn mask(text: &str) -> String {
    mask_ranges(text, &secret_ranges(text))
}

/// [`mask`] with the ranges already found.
pub fn mask_ranges(text: &str, ranges: &[(usize, usize)]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for &(a, b) in ranges {
        bytes[a..b].fill(b'*');
    }
    // Ranges start and end at ASCII delimiters, so whole characters were replaced.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `text` with every secret replaced by `***` (for messages, URLs, values).
pub fn redact(text: &str) -> String {
    let ranges = secret_ranges(text);
    if ranges.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (a, b) in ranges {
        out.push_str(&text[copied..a]);
        out.push_str("***");
        copied = b;
    }
    out.push_str(&text[copied..]);
    out
}

/// Passwords inside a connection URL or keyword string replaced by `***`.
pub fn redact_url(s: &str) -> String {
    redact(s)
}

/// The text to show for `key = value`: `***` for secret keys, otherwise the value with any
/// embedded passwords redacted.
pub fn redact_value(key: &str, value: &str) -> String {
    if is_secret_key(key) {
        "***".to_string()
    } else {
        redact(value)
    }
}

/// Control characters made visible as escapes (`\x1b`, `\x07`, `\0`…), for any text that
/// echoes input into a message: terminal escapes from a file never reach a terminal or CI log.
pub fn escape_controls(text: &str) -> String {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// At most `max` characters of `text` (an echoed value), with `…` when cut.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((i, _)) => format!("{}…", &text[..i]),
    }
}

// The output registry: every secret poolcheck reads (in files, arguments, the environment) is
// remembered, and everything written to stdout or stderr is scrubbed of them. Detection at the
// source hides secrets in snippets and messages; the registry is the backstop for any path
// that formats a value without thinking of secrets.

/// Registered secrets by their first four bytes, each bucket longest first: registering is
/// constant time and scrubbing is one pass over the output, however many files held secrets.
#[derive(Default)]
struct Registry {
    known: std::collections::HashSet<String>,
    by_prefix: std::collections::HashMap<[u8; 4], Vec<String>>,
}

static REGISTRY: std::sync::RwLock<Option<Registry>> = std::sync::RwLock::new(None);

fn prefix(b: &[u8]) -> Option<[u8; 4]> {
    b.get(..4).and_then(|p| p.try_into().ok())
}

/// Shorter secrets are not scrubbed from output as text (they would hit ordinary words and
/// numbers); the span-based masking still hides them where they appear in inputs.
const MIN_REGISTERED: usize = 4;

/// Remembers one secret value (and its percent-decoded form) for [`scrub`].
pub fn register(secret: &str) {
    let secret = secret.trim().trim_matches(['"', '\'']);
    let mut forms = vec![secret.to_string()];
    let decoded = crate::core::text::percent_decode(secret);
    if decoded != secret {
        forms.push(decoded);
    }
    let Ok(mut reg) = REGISTRY.write() else {
        return;
    };
    let reg = reg.get_or_insert_with(Registry::default);
    for f in forms {
        if f.chars().count() < MIN_REGISTERED || f == "***" {
            continue;
        }
        let Some(key) = prefix(f.as_bytes()) else {
            continue;
        };
        if reg.known.insert(f.clone()) {
            let bucket = reg.by_prefix.entry(key).or_default();
            let at = bucket.partition_point(|s| s.len() >= f.len());
            bucket.insert(at, f);
        }
    }
}

/// Registers every secret [`secret_ranges`] finds in `text`.
pub fn register_in(text: &str) {
    register_ranges(text, &secret_ranges(text));
}

/// Registers the secrets at `ranges` of `text` (from [`secret_ranges`]).
pub fn register_ranges(text: &str, ranges: &[(usize, usize)]) {
    for &(a, b) in ranges {
        register(&text[a..b]);
    }
}

/// Registers the secrets of the command line and of the environment variables poolcheck reads.
pub fn register_process_inputs() {
    let args: Vec<String> = std::env::args().collect();
    for (i, a) in args.iter().enumerate() {
        register_in(a);
        if let Some((k, v)) = a.split_once('=') {
            if is_secret_key(k.trim_start_matches('-')) {
                register(v);
            }
        }
        // `--set DB_PASSWORD=x` arrives as two arguments.
        if i > 0 && args[i - 1] == "--set" {
            if let Some((k, v)) = a.split_once('=') {
                if is_secret_key(k) {
                    register(v);
                }
            }
        }
    }
    for (k, v) in std::env::vars() {
        // The shell's working directories, not passwords (PWD reads as a secret word).
        if matches!(k.as_str(), "PWD" | "OLDPWD") {
            continue;
        }
        if is_secret_key(&k) {
            register(&v);
        } else if k.contains("URL") || k.starts_with("PG") {
            register_in(&v);
        }
    }
}

/// `text` with every registered secret replaced by `***`.
pub fn scrub(text: &str) -> std::borrow::Cow<'_, str> {
    let Ok(reg) = REGISTRY.read() else {
        return std::borrow::Cow::Borrowed(text);
    };
    let Some(reg) = reg.as_ref().filter(|r| !r.known.is_empty()) else {
        return std::borrow::Cow::Borrowed(text);
    };
    let b = text.as_bytes();
    let mut out: Vec<u8> = Vec::new();
    let (mut i, mut copied) = (0, 0);
    while i < b.len() {
        // Longest first within a bucket, so a secret that contains another is replaced whole.
        let hit = prefix(&b[i..])
            .and_then(|k| reg.by_prefix.get(&k))
            .and_then(|bucket| bucket.iter().find(|s| b[i..].starts_with(s.as_bytes())));
        match hit {
            Some(s) => {
                out.extend_from_slice(&b[copied..i]);
                out.extend_from_slice(b"***");
                i += s.len();
                copied = i;
            }
            None => i += 1,
        }
    }
    if copied == 0 {
        return std::borrow::Cow::Borrowed(text);
    }
    out.extend_from_slice(&b[copied..]);
    // Secrets start and end on character boundaries, so the result is valid UTF-8.
    std::borrow::Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Writes to stdout, scrubbed. Every command's output goes through here or [`eprint`].
pub fn print(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = out.write_all(scrub(text).as_bytes());
    let _ = out.flush();
}

/// Writes to stderr, scrubbed.
pub fn eprint(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(scrub(text).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odyssey_quoted_passwords_are_masked_and_other_strings_shown() {
        let text = "storage \"pg\" {\n\thost \"db\"\n}\nuser \"web\" {\n\tpassword \"s3cr\\\"et\"\n\tstorage_password \"hunter2\"\n\tpool \"transaction\"\n}\n";
        let masked = mask(text);
        assert!(
            !masked.contains("s3cr") && !masked.contains("hunter2"),
            "{masked}"
        );
        assert!(masked.contains("host \"db\"") && masked.contains("pool \"transaction\""));
        assert_eq!(masked.len(), text.len());
    }

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
            // They name where a secret is kept, not the secret.
            "existingSecret",
            "existingSecretPasswordKey",
            "secretName",
            "SECRET_NAME",
            "secretKeyRef",
            "DB_PASSWORD_FILE",
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
    fn masks_keep_length_and_hide_passwords() {
        let t = "DATABASE_URL=postgres://app:s3cr3t@db:5432/app?sslmode=require\nX=1\n";
        let m = mask(t);
        assert_eq!(m.len(), t.len());
        assert!(!m.contains("s3cr3t"));
        assert!(m.contains("postgres://app:******@db:5432/app"));
        assert!(!mask("host=db password=hunter2 user=app").contains("hunter2"));
        let t3 = "env:\n  - name: DB_PASSWORD\n    value: \"hunter2\"\n  - name: DB_POOL_SIZE\n    value: \"10\"\nDB_PASSWORD=abc\n";
        let m3 = mask(t3);
        assert_eq!(m3.len(), t3.len());
        assert!(!m3.contains("hunter2") && !m3.contains("abc"), "{m3}");
        assert!(m3.contains("value: \"10\""), "{m3}");
    }

    #[test]
    fn a_quoted_password_inside_a_json_string_is_hidden_whole() {
        let line = r#"{"Db":"Host=h;Password=\"JsQu;Three\";Max Pool Size=500","E":"Host=h;Password=\"Esc\\\"Five\";Timeout=3"}"#;
        let masked = mask(line);
        for secret in ["JsQu", "Three", "Esc", "Five"] {
            assert!(!masked.contains(secret), "{masked}");
        }
        assert!(
            masked.contains("Max Pool Size=500") && masked.contains("Timeout=3"),
            "{masked}"
        );
    }

    #[test]
    fn a_scheme_separator_inside_a_password_is_not_a_second_url() {
        for pw in ["aJ=://(<+ie4*", "x://y", "q://", "a b=c://d"] {
            let line = format!("DATABASE_URL=postgres://app:{pw}@db:5432/app?connection_limit=5");
            let masked = mask(&line);
            assert!(!masked.contains(pw), "{masked}");
            assert!(masked.contains("connection_limit=5"), "{masked}");
        }
        // Two URLs on one line are still two.
        let two = "A=postgres://u:p1@h1/a B=mysql://v:p2@h2/b";
        let masked = mask(two);
        assert!(!masked.contains("p1") && !masked.contains("p2"), "{masked}");
    }

    #[test]
    fn mask_and_redact_agree_on_hard_passwords() {
        // Unencoded `/`, `#`, space and `@` in passwords; libpq quoted values.
        for (text, secret) in [
            ("DATABASE_URL=postgres://app:pa/ss@db:5432/app\n", "pa/ss"),
            (
                "DATABASE_URL=postgres://app:pa/ss#w rd@db:5432/app\n",
                "pa/ss#w rd",
            ),
            ("url: \"postgres://app:p@ss w/rd@db/app\"\n", "p@ss w/rd"),
            (
                "DSN=host=db password='s3cr3t value' user=app\n",
                "s3cr3t value",
            ),
            ("-PGPASSWORD=hunter2secret\n", "hunter2secret"),
            (
                "jdbc:postgresql://db/app?user=u&password=x%2Fy#z\n",
                "x%2Fy#z",
            ),
        ] {
            let m = mask(text);
            assert_eq!(m.len(), text.len());
            assert!(!m.contains(secret), "mask kept {secret:?}: {m}");
            assert!(!redact(text).contains(secret), "redact kept {secret:?}");
        }
    }

    #[test]
    fn scrub_replaces_registered_secrets() {
        register("registered-secret-1");
        assert_eq!(scrub("x registered-secret-1 y"), "x *** y");
        register("ab");
        assert_eq!(scrub("ab"), "ab");
        assert_eq!(clip("abcdef", 3), "abc…");
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
