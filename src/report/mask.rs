//! Masks secrets in source text without moving any byte, so spans still point at the same
//! places: URL passwords and the values of secret-looking keys become `*`.

/// Same length as `text`, with passwords in URLs, `password=` parameters and the values of
/// secret-looking keys (`DB_PASSWORD=…`, `password: …`) replaced by `*`.
pub fn mask(text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    mask_url_passwords(text, &mut bytes);
    mask_secret_values(text, &mut bytes);
    // Only ASCII bytes of secrets were replaced by ASCII `*` and whole multi-byte characters are
    // replaced byte by byte, so the result is valid UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn star(bytes: &mut [u8], start: usize, end: usize) {
    for b in &mut bytes[start..end] {
        *b = b'*';
    }
}

fn mask_url_passwords(text: &str, bytes: &mut [u8]) {
    let mut from = 0;
    while let Some(pos) = text[from..].find("://") {
        let auth_start = from + pos + 3;
        let rest = &text[auth_start..];
        let end = rest
            .find(|c: char| {
                c.is_whitespace() || c == '"' || c == '\'' || c == '/' || c == '?' || c == '#'
            })
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        // The last '@' ends the userinfo; passwords may contain unescaped '@' in the wild.
        if let Some(at) = authority.rfind('@') {
            if let Some(colon) = authority[..at].find(':') {
                star(bytes, auth_start + colon + 1, auth_start + at);
            }
        }
        from = auth_start;
    }
    // password=... in query strings and libpq keyword strings
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].find("password=") {
        let start = from + pos + "password=".len();
        let end = text[start..]
            .find(|c: char| c.is_whitespace() || c == '&' || c == '"' || c == '\'')
            .map_or(text.len(), |e| start + e);
        star(bytes, start, end);
        from = end.max(start);
    }
}

fn mask_secret_values(text: &str, bytes: &mut [u8]) {
    let mut offset = 0;
    // Helm env lists put the secret's name and its value on two lines: `- name: DB_PASSWORD`
    // then `value: …`.
    let mut pending_value = false;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        if let Some(sep) = content.find(['=', ':']) {
            let key = content[..sep]
                .trim()
                .trim_start_matches("export ")
                .trim_start_matches("- ")
                .trim_matches(['"', '\'']);
            let value = &content[sep + 1..];
            let v = value.trim();
            let secret_here = !value.contains("://") && crate::redact::is_secret_key(key);
            let named_secret =
                key == "name" && crate::redact::is_secret_key(v.trim_matches(['"', '\'']));
            if (secret_here || (pending_value && key == "value")) && !v.is_empty() {
                let lead = value.len() - value.trim_start().len();
                star(
                    bytes,
                    offset + sep + 1 + lead,
                    offset + sep + 1 + lead + v.len(),
                );
            }
            pending_value = named_secret || (pending_value && key != "value");
        }
        offset += line.len();
    }
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn keeps_length_and_hides_passwords() {
        let t = "DATABASE_URL=postgres://app:s3cr3t@db:5432/app?sslmode=require\nX=1\n";
        let m = mask(t);
        assert_eq!(m.len(), t.len());
        assert!(!m.contains("s3cr3t"));
        assert!(m.contains("postgres://app:******@db:5432/app"));
        let t2 = "host=db password=hunter2 user=app";
        assert!(!mask(t2).contains("hunter2"));
        let t3 = "env:\n  - name: DB_PASSWORD\n    value: \"hunter2\"\n  - name: DB_POOL_SIZE\n    value: \"10\"\nDB_PASSWORD=abc\n";
        let m3 = mask(t3);
        assert_eq!(m3.len(), t3.len());
        assert!(!m3.contains("hunter2") && !m3.contains("abc"), "{m3}");
        assert!(m3.contains("value: \"10\""), "{m3}");
    }
}
