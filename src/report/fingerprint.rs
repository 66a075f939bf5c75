//! Identities of findings that survive line moves: a hash of the rule, the file and the text of
//! the offending line with its whitespace normalised, never the line number. SARIF's
//! partialFingerprints and GitLab's fingerprint both come from here.

use crate::core::finding::Finding;
use crate::core::source::SourceSet;

/// FNV-1a, 64 bits: small, dependency-free and stable across Rust versions (std's hasher is
/// not). Two differently seeded halves make collisions between real findings implausible.
fn fnv1a(seed: u64, parts: &[&str]) -> u64 {
    let mut h = seed;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0x1f)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The finding's context as text: the offending line as it may be shown (secrets masked, so
/// no hash is ever taken over a password) with runs of whitespace collapsed.
fn context(sources: &SourceSet, f: &Finding) -> (String, String) {
    let Some(p) = &f.primary else {
        return (String::new(), String::new());
    };
    let file = sources.get(p.file);
    // `shown` has the byte layout of `text`, so the line's bounds carry over.
    let at = p.span.start.min(file.text.len());
    let bytes = file.text.as_bytes();
    let begin = bytes[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| at + i);
    let line = file.shown.get(begin..end).unwrap_or_default();
    let normalised = line.split_whitespace().collect::<Vec<_>>().join(" ");
    (file.display.clone(), normalised)
}

/// A 32-hex-digit fingerprint of a finding, independent of its line number.
pub fn of(sources: &SourceSet, f: &Finding) -> String {
    let (file, line) = context(sources, f);
    let service = f.service.as_deref().unwrap_or("");
    let server = f.server.as_deref().unwrap_or("");
    let parts = [f.code.as_str(), &file, &line, service, server];
    format!(
        "{:016x}{:016x}",
        fnv1a(0xcbf2_9ce4_8422_2325, &parts),
        fnv1a(0x8422_2325_cbf2_9ce4, &parts)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::code::Code;
    use crate::core::source::{SourceFile, Span};

    fn finding_at(text: &str, needle: &str) -> String {
        let mut sources = SourceSet::default();
        let id = sources.add(SourceFile::new(".env", ".env", text.to_string()));
        let start = text.find(needle).unwrap();
        let f = Finding::new(Code::parse("PC101").unwrap(), "m", "h").at(
            id,
            Span::new(start, start + needle.len()),
            "pool max",
        );
        of(&sources, &f)
    }

    #[test]
    fn survives_line_moves_and_whitespace_but_not_a_new_value() {
        let a = finding_at("A=1\nDB_POOL_SIZE=50\n", "50");
        let moved = finding_at("# added\nA=1\n\nDB_POOL_SIZE=50\n", "50");
        let spaced = finding_at("A=1\n  DB_POOL_SIZE=50   \n", "50");
        let changed = finding_at("A=1\nDB_POOL_SIZE=60\n", "60");
        assert_eq!(a, moved);
        assert_eq!(a, spaced);
        assert_ne!(a, changed);
        assert_eq!(a.len(), 32);
    }
}
