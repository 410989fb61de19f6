//! Finding text in a pane's lines: plain text, smart case (case-blind
//! unless the query has a capital letter, as in vim and less).

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
}
