//! `--since` / `--until` as docker reads them (docker's
//! api/types/time.GetTimestamp): a Go duration back from now (`10m`,
//! `1h30m`), an RFC 3339 date or date-time (local time when it names no
//! zone), or a unix time `SECONDS[.NANOS]`; given to the engine as a unix
//! time.

use chrono::{FixedOffset, Local, NaiveDate, NaiveDateTime, TimeZone};

/// The engine's form ("SECONDS" or "SECONDS.NANOS") of a time argument,
/// `now` being the reference for durations.
pub fn engine_time(value: &str, now: chrono::DateTime<chrono::Utc>) -> Result<String, String> {
    let bad = || {
        format!(
            "invalid time '{}': want a duration (10m, 1h30m), an RFC 3339 time (2026-01-02T15:04:05Z) or unix seconds",
            value.escape_debug()
        )
    };
    if value != "0"
        && let Some(d) = go_duration(value)
    {
        let t = now
            .timestamp_nanos_opt()
            .ok_or_else(bad)?
            .checked_sub(d)
            .ok_or_else(bad)?;
        return Ok(t.div_euclid(1_000_000_000).to_string());
    }
    if let Some(t) = date_time(value) {
        let nanos = t.timestamp_subsec_nanos();
        return Ok(format!("{}.{nanos:09}", t.timestamp()));
    }
    if !value.contains('-') && is_unix_time(value) {
        return Ok(value.to_string());
    }
    Err(bad())
}

fn is_unix_time(v: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match v.split_once('.') {
        Some((s, n)) => digits(s) && digits(n) && n.len() <= 9,
        None => digits(v),
    }
}

/// Go's time.ParseDuration, in nanoseconds: `[-+]` then one or more
/// `NUMBER UNIT` (ns, us, µs, ms, s, m, h), e.g. `1h30m`, `1.5s`.
fn go_duration(v: &str) -> Option<i64> {
    let (sign, mut rest) = match v.as_bytes().first()? {
        b'-' => (-1.0, &v[1..]),
        b'+' => (1.0, &v[1..]),
        _ => (1.0, v),
    };
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * scale;
    }
    Some((sign * total) as i64)
}

/// `YYYY-MM-DD[THH[:MM[:SS[.FRACTION]]]][Z|±HH:MM]`; without a zone, local
/// time, as docker takes it.
fn date_time(v: &str) -> Option<chrono::DateTime<FixedOffset>> {
    let (body, zone) = split_zone(v)?;
    let (date, time) = match body.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (body, None),
    };
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let (mut h, mut m, mut s, mut nanos) = (0, 0, 0, 0);
    if let Some(time) = time {
        let (hms, frac) = match time.split_once('.') {
            Some((hms, f)) => (hms, Some(f)),
            None => (time, None),
        };
        let parts: Vec<&str> = hms.split(':').collect();
        if parts.len() > 3
            || parts.iter().any(|p| p.len() != 2)
            || (frac.is_some() && parts.len() != 3)
        {
            return None;
        }
        let num = |i: usize| parts.get(i).map_or(Some(0), |p| p.parse::<u32>().ok());
        (h, m, s) = (num(0)?, num(1)?, num(2)?);
        if let Some(f) = frac {
            if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            nanos = format!("{f:0<9}").parse().ok()?;
        }
    }
    let naive: NaiveDateTime = date.and_hms_nano_opt(h, m, s, nanos)?;
    match zone {
        Some(offset) => offset.from_local_datetime(&naive).single(),
        None => Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.fixed_offset()),
    }
}

/// Splits a trailing `Z` or `±HH:MM` off.
fn split_zone(v: &str) -> Option<(&str, Option<FixedOffset>)> {
    if let Some(body) = v.strip_suffix(['Z', 'z']) {
        return Some((body, FixedOffset::east_opt(0)));
    }
    // A numeric zone follows the time; a date alone has two '-' already.
    if v.len() > 6 && v.contains('T') && v.is_char_boundary(v.len() - 6) {
        let (body, zone) = v.split_at(v.len() - 6);
        let z = zone.as_bytes();
        if matches!(z[0], b'+' | b'-') && z[3] == b':' {
            let hours: i32 = zone[1..3].parse().ok()?;
            let minutes: i32 = zone[4..].parse().ok()?;
            let secs = (hours * 3600 + minutes * 60) * if z[0] == b'-' { -1 } else { 1 };
            return Some((body, Some(FixedOffset::east_opt(secs)?)));
        }
    }
    Some((v, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 29, 12, 0, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn durations_count_back_from_now() {
        assert_eq!(engine_time("10m", now()).as_deref(), Ok("1795953000"));
        assert_eq!(engine_time("1h30m", now()).as_deref(), Ok("1795948200"));
        assert_eq!(engine_time("1.5s", now()).as_deref(), Ok("1795953598"));
    }

    #[test]
    fn dates_and_unix_times() {
        assert_eq!(
            engine_time("2026-11-29T12:00:00Z", now()).as_deref(),
            Ok("1795953600.000000000")
        );
        assert_eq!(
            engine_time("2026-11-29T13:00:00.5+01:00", now()).as_deref(),
            Ok("1795953600.500000000")
        );
        assert_eq!(
            engine_time("2026-11-29T12Z", now()).as_deref(),
            Ok("1795953600.000000000")
        );
        assert_eq!(
            engine_time("1795953600", now()).as_deref(),
            Ok("1795953600")
        );
        assert_eq!(engine_time("0", now()).as_deref(), Ok("0"));
        assert_eq!(engine_time("17.25", now()).as_deref(), Ok("17.25"));
    }

    #[test]
    fn refuses_what_docker_refuses() {
        for bad in [
            "",
            "yesterday",
            "10x",
            "2026-13-01",
            "1.2.3",
            "-",
            "2026-11-29T1",
        ] {
            assert!(engine_time(bad, now()).is_err(), "{bad}");
        }
    }
}
