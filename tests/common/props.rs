//! Helpers the parser property tests share: spans inside the text, line numbers, arbitrary
//! bytes and the byte-level mutations of a valid file.
#![allow(dead_code)]

use poolcheck::core::source::Span;
use proptest::prelude::*;

pub fn in_bounds(span: Span, text: &str) -> bool {
    span.start <= span.end && span.end <= text.len()
}

pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// Arbitrary bytes as the tool reads them (invalid UTF-8 replaced).
pub fn bytes() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<u8>(), 0..512)
        .prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// A byte-level mutation at a position: delete, duplicate the rest, or insert a character.
pub fn mutate(text: &str, at: usize, op: u8, ch: char) -> String {
    let mut i = at % (text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    let (a, b) = text.split_at(i);
    match op % 3 {
        0 => {
            let rest: String = b.chars().skip(1).collect();
            format!("{a}{rest}")
        }
        1 => format!("{a}{b}{b}"),
        _ => format!("{a}{ch}{b}"),
    }
}

/// `text` with `insert` at `at` (moved back to a char boundary), the rest cut off when `cut`.
pub fn splice(text: &str, at: usize, insert: &str, cut: bool) -> String {
    let at = (0..=at.min(text.len()))
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    if cut {
        format!("{}{insert}", &text[..at])
    } else {
        format!("{}{insert}{}", &text[..at], &text[at..])
    }
}
