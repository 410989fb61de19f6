//! Finding text in a terminal's lines (copy mode's search and a pane's
//! search both come here): plain text, smart case (case-blind
//! unless the query has a capital letter, as in vim and less).

use crate::Terminal;
use crate::history::Line;

/// Byte ranges of `query` in `line`, left to right, not overlapping.
pub fn matches<'a>(line: &'a str, query: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
    let exact = query.chars().any(char::is_uppercase);
    // ASCII folding keeps byte offsets the same in both strings.
    let fold = |s: &str| {
        if exact {
            s.to_string()
        } else {
            s.to_ascii_lowercase()
        }
    };
    let (hay, needle) = (fold(line), fold(query));
    let mut from = 0;
    std::iter::from_fn(move || {
        if needle.is_empty() {
            return None;
        }
        let at = from + hay.get(from..)?.find(&needle)?;
        from = at + needle.len();
        Some((at, from))
    })
}

/// The columns `[from, to)` that matches of `query` take in `line`.
pub fn columns(line: &Line, query: &str) -> Vec<(u16, u16)> {
    let text = line.text();
    let hits: Vec<(usize, usize)> = matches(text, query).collect();
    if hits.is_empty() {
        return Vec::new();
    }
    // The column each byte of the text is drawn at, and where its cell ends.
    let mut at = vec![(0u16, 0u16); text.len() + 1];
    let mut end = 0;
    for cell in line.cells() {
        let start = cell.offset;
        let stop = cell.col + if cell.wide { 2 } else { 1 };
        for slot in &mut at[start..start + cell.text.len()] {
            *slot = (cell.col, stop);
        }
        end = stop;
    }
    at[text.len()] = (end, end);
    hits.into_iter()
        .map(|(from, to)| (at[from].0, at[to.saturating_sub(1).max(from)].1))
        .collect()
}

/// The columns where matches of `query` start on line `n`, a match that
/// goes on past the line's end into the line it wraps onto included (the
/// program wrote one line; only the terminal's width cut it).
pub fn starts_on(term: &Terminal, n: usize, query: &str) -> Vec<u16> {
    let Some(line) = term.line(n) else {
        return Vec::new();
    };
    let own = line.text().len();
    let mut text = line.text().to_string();
    let (mut k, mut wrapped) = (n, line.wrapped);
    // Enough of what follows for a match that starts on this line.
    while wrapped && text.len() < own + query.len() * 4 {
        k += 1;
        let Some(next) = term.line(k) else {
            break;
        };
        text.push_str(next.text());
        wrapped = next.wrapped;
    }
    let mut col_of = vec![0u16; own + 1];
    for cell in line.cells() {
        for slot in &mut col_of[cell.offset..cell.offset + cell.text.len()] {
            *slot = cell.col;
        }
    }
    matches(&text, query)
        .filter(|(from, _)| *from < own)
        .map(|(from, _)| col_of[from])
        .collect()
}

/// A place in a terminal's text: a line number (as [`Terminal`] numbers
/// lines: stable while lines arrive) and a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Point {
    pub line: usize,
    pub col: u16,
}

/// Where a search found its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub at: Point,
    /// It came round from the other end.
    pub wrapped: bool,
}

/// The first match of `query` after `from` (or before it, `backward`),
/// going round the ends once.
pub fn find(term: &Terminal, query: &str, from: Point, backward: bool) -> Option<Found> {
    if query.is_empty() {
        return None;
    }
    let (first, end) = (term.first_line(), term.end_line());
    if first >= end {
        return None;
    }
    let matches_in = |n: usize| starts_on(term, n, query);
    let total = end - first;
    let start = from.line.clamp(first, end - 1);
    for step in 0..=total {
        let n = if backward {
            first + (start - first + total - step % total) % total
        } else {
            first + (start - first + step) % total
        };
        let cols = matches_in(n);
        let hit = if step == 0 {
            // On the cursor's own line, only past the cursor.
            if backward {
                cols.into_iter().rev().find(|c| *c < from.col)
            } else {
                cols.into_iter().find(|c| *c > from.col)
            }
        } else if step == total {
            // Back on the cursor's line, round the other way.
            if backward {
                cols.into_iter().rev().find(|c| *c >= from.col)
            } else {
                cols.into_iter().find(|c| *c <= from.col)
            }
        } else if backward {
            cols.into_iter().next_back()
        } else {
            cols.into_iter().next()
        };
        if let Some(col) = hit {
            let wrapped = if backward { n > start } else { n < start } || step == total;
            return Some(Found {
                at: Point { line: n, col },
                wrapped,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart_case() {
        let found: Vec<_> = matches("Error error ERROR", "error").collect();
        assert_eq!(found, vec![(0, 5), (6, 11), (12, 17)]);
        let found: Vec<_> = matches("Error error ERROR", "Error").collect();
        assert_eq!(found, vec![(0, 5)]);
        assert_eq!(
            matches("名前 err", "err").collect::<Vec<_>>(),
            vec![(7, 10)]
        );
        assert_eq!(matches("abc", "").count(), 0);
    }

    #[test]
    fn a_match_cut_by_the_terminals_width_is_found() {
        let mut t = Terminal::new(crate::Size::new(4, 10), crate::Limits::default());
        t.feed(b"0123456 needle here\r\nneedle\r\n");
        let first = t.first_line();
        assert_eq!(starts_on(&t, first, "needle"), vec![8]);
        let found = find(
            &t,
            "needle",
            Point {
                line: first,
                col: 0,
            },
            false,
        )
        .expect("found");
        assert_eq!(
            found.at,
            Point {
                line: first,
                col: 8
            }
        );
        // Narrower still: the same match, now cut after "ne".
        t.resize(crate::Size::new(4, 5));
        let found = find(
            &t,
            "needle",
            Point {
                line: t.first_line(),
                col: 0,
            },
            false,
        )
        .expect("found after the reflow");
        assert_eq!(t.line(found.at.line).expect("line").text(), "56 ne");
        assert_eq!(found.at.col, 3);
    }

    #[test]
    fn columns_count_wide_characters_twice() {
        let line = Line::plain("名前 err 名");
        assert_eq!(columns(&line, "err"), vec![(5, 8)]);
        assert_eq!(columns(&line, "前"), vec![(2, 4)]);
        assert_eq!(columns(&line, "x"), vec![]);
    }
}
