//! Parsing what people type for environment variables, env files, port
//! mappings and labels, with docker's meanings. The CLI's flags and the
//! TUI's launch form both call these, so both accept and refuse the same
//! things with the same words.

use std::collections::HashMap;
use std::path::Path;

use crate::pb::PortBinding;

/// One `KEY=VALUE`. `KEY` alone takes this process's value, and is skipped
/// when unset (as docker does).
pub fn parse_env_entry(entry: &str, out: &mut HashMap<String, String>) -> Result<(), String> {
    let (key, value) = match entry.split_once('=') {
        Some((k, v)) => (k, Some(v.to_string())),
        None => (entry, None),
    };
    if key.is_empty() || key.chars().any(|c| c.is_whitespace() || c == '\0') {
        return Err(format!(
            "invalid environment variable '{}'",
            entry.escape_debug()
        ));
    }
    let value = match value {
        Some(v) => v,
        None => match std::env::var(key) {
            Ok(v) => v,
            Err(_) => return Ok(()),
        },
    };
    out.insert(key.to_string(), value);
    Ok(())
}

/// An env file: one entry per line, `#` comments and blank lines skipped.
pub fn parse_env_file(path: &Path, out: &mut HashMap<String, String>) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read env file {}: {e}", path.display()))?;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        parse_env_entry(line, out).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
    }
    Ok(())
}

/// The environment of `-e` flags and `--env-file`s: files first, then
/// flags, so a flag overrides a file.
pub fn environment(
    entries: &[impl AsRef<str>],
    files: &[impl AsRef<Path>],
) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for f in files {
        parse_env_file(f.as_ref(), &mut out)?;
    }
    for e in entries {
        parse_env_entry(e.as_ref(), &mut out)?;
    }
    Ok(out)
}

/// `KEY=VALUE`, or `KEY` alone for an empty value (as `docker run --label`).
pub fn parse_label(label: &str, out: &mut HashMap<String, String>) -> Result<(), String> {
    let (key, value) = label.split_once('=').unwrap_or((label, ""));
    if key.is_empty() || key.chars().any(|c| c.is_whitespace() || c == '\0') {
        return Err(format!(
            "invalid label '{}': expected KEY=VALUE",
            label.escape_debug()
        ));
    }
    out.insert(key.to_string(), value.to_string());
    Ok(())
}

/// `[IP:]HOST:CONTAINER[/PROTO]` or `CONTAINER[/PROTO]` (any free host port).
pub fn parse_port(spec: &str) -> Result<PortBinding, String> {
    let bad = || {
        format!(
            "invalid port mapping '{}': expected [IP:]HOST:CONTAINER[/tcp|udp|sctp]",
            spec.escape_debug()
        )
    };
    let (addr, protocol) = match spec.rsplit_once('/') {
        Some((a, p)) if matches!(p, "tcp" | "udp" | "sctp") => (a, p),
        Some(_) => return Err(bad()),
        None => (spec, "tcp"),
    };
    let parts: Vec<&str> = addr.rsplitn(3, ':').collect();
    let port = |s: &str, zero_ok: bool| -> Result<u32, String> {
        let p: u16 = s.parse().map_err(|_| bad())?;
        if p == 0 && !zero_ok {
            return Err(bad());
        }
        Ok(p.into())
    };
    let (host_ip, host_port, container_port) = match parts.as_slice() {
        [c] => (String::new(), 0, port(c, false)?),
        [c, h] => (String::new(), port(h, true)?, port(c, false)?),
        [c, h, ip] => {
            let ip = ip.trim_start_matches('[').trim_end_matches(']');
            ip.parse::<std::net::IpAddr>().map_err(|_| bad())?;
            let host_port = if h.is_empty() { 0 } else { port(h, true)? };
            (ip.to_string(), host_port, port(c, false)?)
        }
        _ => return Err(bad()),
    };
    Ok(PortBinding {
        host_port,
        container_port,
        protocol: protocol.to_string(),
        host_ip,
    })
}

/// A typed command line split into words as a POSIX shell splits them
/// (quotes, backslashes): `sh -c 'echo hi; sleep 9'` is three words. For
/// the TUI's forms; `field` names the field in the error.
pub fn shell_words(field: &str, s: &str) -> Result<Vec<String>, String> {
    shell_words::split(s).map_err(|_| format!("{field}: unclosed quote in '{}'", s.escape_debug()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_entries() {
        let mut m = HashMap::new();
        parse_env_entry("A=1", &mut m).expect("A=1");
        parse_env_entry("B=x=y", &mut m).expect("B=x=y");
        parse_env_entry("C=", &mut m).expect("C=");
        assert_eq!(m["A"], "1");
        assert_eq!(m["B"], "x=y");
        assert_eq!(m["C"], "");
        assert!(parse_env_entry("=v", &mut m).is_err());
        assert!(parse_env_entry("", &mut m).is_err());
        assert!(parse_env_entry("A B=1", &mut m).is_err());
        parse_env_entry("DOCKYARD_SURELY_UNSET_VAR", &mut m).expect("unset passes");
        assert!(!m.contains_key("DOCKYARD_SURELY_UNSET_VAR"));
    }

    #[test]
    fn env_file_then_flags() {
        let path = std::env::temp_dir().join(format!("dockyard-env-{}", std::process::id()));
        std::fs::write(&path, "# comment\n\nA=file\nB=file\n").expect("write");
        let m = environment(&["A=flag"], &[&path]).expect("collect");
        std::fs::remove_file(&path).ok();
        assert_eq!(m["A"], "flag");
        assert_eq!(m["B"], "file");
    }

    #[test]
    fn labels() {
        let mut m = HashMap::new();
        parse_label("team=blue", &mut m).expect("k=v");
        parse_label("solo", &mut m).expect("bare key");
        parse_label("a=b=c", &mut m).expect("= in value");
        assert_eq!((m["team"].as_str(), m["solo"].as_str()), ("blue", ""));
        assert_eq!(m["a"], "b=c");
        for bad in ["", "=x", "a b=1"] {
            assert!(parse_label(bad, &mut m).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ports() {
        let p = parse_port("8080:80").expect("8080:80");
        assert_eq!(
            (p.host_port, p.container_port, p.protocol.as_str()),
            (8080, 80, "tcp")
        );
        let p = parse_port("127.0.0.1:53:53/udp").expect("ip form");
        assert_eq!(
            (p.host_ip.as_str(), p.host_port, p.protocol.as_str()),
            ("127.0.0.1", 53, "udp")
        );
        let p = parse_port("80").expect("container only");
        assert_eq!((p.host_port, p.container_port), (0, 80));
        for bad in [
            "", "x", "80:", "99999:80", "80:0", "1:2/icmp", "nope:1:2", "1:2:3:4",
        ] {
            assert!(parse_port(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
