//! Making engine-supplied text (names, images, commands, error messages)
//! safe to print: a container named "\x1b]0;pwned\x07" must not drive the
//! user's terminal.

/// Replaces control characters (C0, DEL, C1) with U+FFFD-free escapes.
pub fn printable(s: &str) -> String {
    if !s.chars().any(is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if is_control(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn is_control(c: char) -> bool {
    c.is_control()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls() {
        assert_eq!(printable("web-1"), "web-1");
        assert_eq!(printable("a\x1b]0;x\x07b"), "a\\u{1b}]0;x\\u{7}b");
        assert_eq!(printable("tab\there"), "tab\\there");
        assert_eq!(printable("c1\u{9b}31m"), "c1\\u{9b}31m");
    }
}
