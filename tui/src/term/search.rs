//! Finding text in a pane's lines: plain text, smart case (case-blind
//! unless the query has a capital letter, as in vim and less).

use crate::term::history::Line;

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
    fn columns_count_wide_characters_twice() {
        let line = Line::plain("名前 err 名");
        assert_eq!(columns(&line, "err"), vec![(5, 8)]);
        assert_eq!(columns(&line, "前"), vec![(2, 4)]);
        assert_eq!(columns(&line, "x"), vec![]);
    }
}
