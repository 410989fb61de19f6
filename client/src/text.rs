//! Making engine-supplied text (names, images, commands, error messages)
//! safe to show: a container named "\x1b]0;pwned\x07" must not drive the
//! user's terminal, and one holding a right-to-left override must not make
//! a row read as something else. One rule for `ps`, errors and the TUI;
//! and the display forms both front ends share (ports).

use crate::pb::PortMapping;

/// Escapes control characters (C0, DEL, C1) and the invisible bidi
/// controls as `\u{..}` (a tab as `\t`), leaving other text alone.
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
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Published ports as `docker ps` shows them:
/// `0.0.0.0:8080->80/tcp, 53/udp`, sorted, each once. Escaped.
pub fn ports_text(ports: &[PortMapping]) -> String {
    let mut v: Vec<String> = ports
        .iter()
        .map(|p| {
            if p.public_port != 0 {
                format!(
                    "{}:{}->{}/{}",
                    p.ip, p.public_port, p.private_port, p.protocol
                )
            } else {
                format!("{}/{}", p.private_port, p.protocol)
            }
        })
        .collect();
    v.sort();
    v.dedup();
    printable(&v.join(", "))
}

pub use dockyard_proto::age::human_duration;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_as_docker_shows_them() {
        let p = |ip: &str, public_port, private_port, protocol: &str| PortMapping {
            ip: ip.into(),
            public_port,
            private_port,
            protocol: protocol.into(),
        };
        let ports = [
            p("0.0.0.0", 8080, 80, "tcp"),
            p("", 0, 53, "udp"),
            p("0.0.0.0", 8080, 80, "tcp"),
        ];
        assert_eq!(ports_text(&ports), "0.0.0.0:8080->80/tcp, 53/udp");
        assert_eq!(ports_text(&[p("", 0, 1, "x\x1b")]), "1/x\\u{1b}");
    }

    #[test]
    fn escapes_controls() {
        assert_eq!(printable("web-1"), "web-1");
        assert_eq!(printable("a\x1b]0;x\x07b"), "a\\u{1b}]0;x\\u{7}b");
        assert_eq!(printable("tab\there"), "tab\\there");
        assert_eq!(printable("c1\u{9b}31m"), "c1\\u{9b}31m");
        assert_eq!(printable("abc\u{202e}gnp.exe"), "abc\\u{202e}gnp.exe");
        assert_eq!(printable("ünïcödé 名前"), "ünïcödé 名前");
    }
}

/// A size as docker prints one (`units.HumanSizeWithPrecision(n, 3)`):
/// decimal units, three significant digits: `2.05kB`, `210MB`.
pub fn decimal_bytes(n: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut size = n as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    // Go's %.3g: three significant digits, no trailing zeros.
    let digits = if size >= 100.0 {
        0
    } else if size >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{size:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{}", UNITS[unit])
}

#[cfg(test)]
mod size_tests {
    #[test]
    fn sizes_read_as_dockers() {
        use super::decimal_bytes as d;
        assert_eq!(d(0), "0B");
        assert_eq!(d(2048), "2.05kB");
        assert_eq!(d(209_715_200), "210MB");
        assert_eq!(d(1_000_000), "1MB");
        assert_eq!(d(12_345_678), "12.3MB");
    }
}
