//! Parsing what people type for environment variables and port mappings,
//! shared by the CLI's flags and the TUI's launch form so both accept and
//! refuse the same things.

use std::collections::HashMap;

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
