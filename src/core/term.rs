//! How output is laid out for the reader: colour, width and how much to say. Chosen once from
//! the command line and environment by `app::run`, read by every renderer.

use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    /// Columns to fit text into.
    pub width: usize,
    /// Only the findings: no capacity lines, workload lines or summary.
    pub quiet: bool,
    /// The origin of every number beside it.
    pub verbose: bool,
}

/// Width when stdout is not a terminal and COLUMNS is not set.
pub const DEFAULT_WIDTH: usize = 100;
/// Narrower than this, diagnostics cannot show a snippet and a label side by side.
pub const MIN_WIDTH: usize = 40;
/// Wider than this, lines are too long to read; extra columns are left unused.
pub const MAX_WIDTH: usize = 400;

impl Default for Style {
    fn default() -> Self {
        Style {
            color: false,
            width: DEFAULT_WIDTH,
            quiet: false,
            verbose: false,
        }
    }
}

static STYLE: OnceLock<Style> = OnceLock::new();

/// Sets the style for this process (the first call wins; tests and libraries get the default).
pub fn set(style: Style) {
    let _ = STYLE.set(style);
}

pub fn style() -> Style {
    STYLE.get().copied().unwrap_or_default()
}

/// COLUMNS when set to a number, else the terminal's width when stdout is one, else 100;
/// kept between 40 and 400.
pub fn width_from(columns: Option<&str>, terminal: Option<usize>) -> usize {
    columns
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or(terminal)
        .unwrap_or(DEFAULT_WIDTH)
        .clamp(MIN_WIDTH, MAX_WIDTH)
}

pub fn detect_width() -> usize {
    let terminal = terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0 as usize);
    width_from(std::env::var("COLUMNS").ok().as_deref(), terminal)
}

/// `--color always|never` decide; `auto` colours a terminal unless NO_COLOR is set to anything
/// but the empty string (https://no-color.org).
pub fn color_from(choice: Option<bool>, is_terminal: bool, no_color: Option<&str>) -> bool {
    choice.unwrap_or(is_terminal && no_color.is_none_or(str::is_empty))
}

pub fn detect_color(choice: Option<bool>) -> bool {
    use std::io::IsTerminal;
    color_from(
        choice,
        std::io::stdout().is_terminal(),
        std::env::var("NO_COLOR").ok().as_deref(),
    )
}

/// Greedy word wrap to `width` columns (in characters), each line after the first indented by
/// `indent`. Words are never split: a word longer than the line gets a line of its own.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    wrap_from(text, width, indent, 0)
}

/// Each line of a finished report that is wider than `width`, wrapped between words under its
/// own indent plus four spaces; lines that fit are left as they are (tables keep their columns).
pub fn fit(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        let lead = body.len() - body.trim_start().len();
        // The last space before the edge, past the indent: the first line keeps its own
        // spacing (table columns), the rest is re-flowed under the indent.
        let cut = body
            .char_indices()
            .filter(|&(i, c)| c == ' ' && i > lead)
            .take_while(|&(i, _)| body[..i].chars().count() <= width)
            .map(|(i, _)| i)
            .last();
        match cut {
            Some(i) if body.chars().count() > width => {
                let indent = format!("{}    ", &body[..lead]);
                out.push_str(body[..i].trim_end());
                out.push('\n');
                out.push_str(&indent);
                out.push_str(&wrap_from(body[i..].trim(), width, &indent, indent.len()));
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
            _ => out.push_str(line),
        }
    }
    out
}

/// [`wrap`] for text that starts at column `first_col` of a line already begun.
pub fn wrap_from(text: &str, width: usize, indent: &str, first_col: usize) -> String {
    let indent_w = indent.chars().count();
    let mut out = String::new();
    for (i, para) in text.split('\n').enumerate() {
        let mut col = first_col;
        // Whether the current line holds a word yet (an indent alone does not count).
        // Callers end a lead of `first_col` columns with a space, so its first word needs none.
        let mut empty = true;
        if i > 0 {
            out.push('\n');
            out.push_str(indent);
            col = indent_w;
        }
        for word in para.split_whitespace() {
            let w = word.chars().count();
            if !empty && col + 1 + w > width {
                out.push('\n');
                out.push_str(indent);
                col = indent_w;
                empty = true;
            }
            if !empty {
                out.push(' ');
                col += 1;
            }
            out.push_str(word);
            col += w;
            empty = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_wraps_only_the_lines_that_overflow_under_their_own_indent() {
        let report = "Limits\n  role postgres   CONNECTION LIMIT unlimited, superuser (may use reserved slots)\n  x 1\n";
        assert_eq!(
            fit(report, 40),
            "Limits\n  role postgres   CONNECTION LIMIT\n      unlimited, superuser (may use\n      reserved slots)\n  x 1\n"
        );
        assert_eq!(fit("short\n", 40), "short\n");
    }

    #[test]
    fn columns_beats_the_terminal_and_both_are_clamped() {
        assert_eq!(width_from(Some("120"), Some(80)), 120);
        assert_eq!(width_from(None, Some(80)), 80);
        assert_eq!(width_from(None, None), 100);
        assert_eq!(width_from(Some("abc"), None), 100);
        assert_eq!(width_from(Some("10"), None), 40);
        assert_eq!(width_from(Some("100000"), None), 400);
    }

    #[test]
    fn color_follows_the_flag_then_no_color_then_the_terminal() {
        assert!(color_from(Some(true), false, Some("1")));
        assert!(!color_from(Some(false), true, None));
        assert!(color_from(None, true, None));
        assert!(color_from(None, true, Some("")));
        assert!(!color_from(None, true, Some("1")));
        assert!(!color_from(None, false, None));
    }

    #[test]
    fn wrap_never_splits_a_word() {
        let text = "the fleet needs 150 connections but the server has 90 usable slots";
        let w = wrap(text, 20, "  ");
        for line in w.lines() {
            assert!(line.chars().count() <= 20, "{line:?}");
        }
        let words: Vec<&str> = w.split_whitespace().collect();
        assert_eq!(words, text.split_whitespace().collect::<Vec<_>>());
        assert_eq!(
            wrap("averyveryverylongword x", 5, ""),
            "averyveryverylongword\nx"
        );
    }
}
