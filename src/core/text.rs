//! Small text helpers: "did you mean" suggestions and percent-decoding.

/// Edit distance between two strings, case-insensitive, by characters, where swapping two
/// adjacent characters counts as one edit (the commonest typo: `mian` for `main`).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    // Three rows of the optimal-string-alignment table: two back, one back, current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 0..a.len() {
        cur[0] = i + 1;
        for j in 0..b.len() {
            let sub = prev[j] + usize::from(a[i] != b[j]);
            let mut d = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                d = d.min(before[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// `a pool size`, `an acquire timeout`: the indefinite article English wants before `noun`.
pub fn with_article(noun: &str) -> String {
    let vowel = noun
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {noun}", if vowel { "an" } else { "a" })
}

/// `1 error`, `2 errors`, `0 warnings`: a count with its noun in the number English wants.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `orders' pool`, `api's pool`: the possessive of a name.
pub fn possessive(name: &str) -> String {
    if name.ends_with('s') {
        format!("{name}'")
    } else {
        format!("{name}'s")
    }
}

/// Up to `n` candidates close to `word` (within a quarter of its length), closest first, each
/// quoted in backticks and listed once.
pub fn close_matches(word: &str, candidates: &[String], n: usize) -> Vec<String> {
    // Long inputs are hostile or pasted by mistake; comparing them costs time for nothing.
    if word.chars().count() > 200 {
        return Vec::new();
    }
    let limit = (word.chars().count() / 4).max(1);
    let mut scored: Vec<(usize, &String)> = candidates
        .iter()
        .map(|c| (distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    let mut out: Vec<String> = Vec::new();
    for (_, c) in scored {
        let q = format!("`{c}`");
        if !out.contains(&q) {
            out.push(q);
        }
        if out.len() == n {
            break;
        }
    }
    out
}

/// A probability as every column shows one: four decimals, `<0.0001` below that, never
/// scientific notation beside plain decimals.
pub fn probability(p: f64) -> String {
    if p == 0.0 {
        "0".into()
    } else if p < 0.000_05 {
        "<0.0001".into()
    } else {
        format!("{p:.4}")
    }
}

/// Percent-decoding that never fails: invalid escapes stay as written.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            let hex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            out.push(hex(b[i + 1]) * 16 + hex(b[i + 2]));
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_keys() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        let keys: Vec<String> = ["DB_POOL_SIZE", "DB_POOL_MAX", "REDIS_URL"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            close_matches("DB_POOL_SIZ", &keys, 3),
            vec!["`DB_POOL_SIZE`"]
        );
        assert!(close_matches("COMPLETELY_ELSE", &keys, 3).is_empty());
    }
}

#[cfg(test)]
mod distance_tests {
    use super::distance;

    #[test]
    fn a_swap_of_neighbours_is_one_edit() {
        assert_eq!(distance("mian", "main"), 1);
        assert_eq!(distance("replcias", "replicas"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("ABC", "abc"), 0);
        assert_eq!(distance("ca", "abc"), 3, "no substring edited twice (OSA)");
    }
}
