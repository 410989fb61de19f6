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

/// A duration as docker words it (go-units' HumanDuration): "Less than a
/// second", "5 seconds", "About a minute", "3 hours", "2 weeks"...
pub fn human_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs_f64();
    let minutes = (secs / 60.0) as u64;
    let hours = (secs / 3600.0).round() as u64;
    if secs < 1.0 {
        "Less than a second".into()
    } else if secs < 2.0 {
        "1 second".into()
    } else if secs < 60.0 {
        format!("{} seconds", secs as u64)
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", hours / 24 / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_docker_words_them() {
        let d = |s: u64| human_duration(std::time::Duration::from_secs(s));
        assert_eq!(
            human_duration(std::time::Duration::from_millis(300)),
            "Less than a second"
        );
        assert_eq!(d(1), "1 second");
        assert_eq!(d(42), "42 seconds");
        assert_eq!(d(90), "About a minute");
        assert_eq!(d(600), "10 minutes");
        assert_eq!(d(3600), "About an hour");
        assert_eq!(d(5 * 3600), "5 hours");
        assert_eq!(d(3 * 86400), "3 days");
    }

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
