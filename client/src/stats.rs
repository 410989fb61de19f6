//! Stats as `docker stats` shows them: the same units (binary for memory,
//! decimal for I/O, as go-units formats them), the same columns, one rule
//! for the CLI's table and the TUI's list.

use crate::pb::ContainerStats;

/// The columns of `docker stats`' table after CONTAINER ID and NAME.
pub const HEADER: [&str; 8] = [
    "CONTAINER ID",
    "NAME",
    "CPU %",
    "MEM USAGE / LIMIT",
    "MEM %",
    "NET I/O",
    "BLOCK I/O",
    "PIDS",
];

/// One container's row, cell by cell, in [`HEADER`]'s order. `name` is
/// given because a stopped container has no sample to name it.
pub fn row(id: &str, name: &str, s: &ContainerStats) -> [String; 8] {
    [
        id.chars().take(12).collect(),
        crate::text::printable(name),
        percent(s.cpu_percent),
        format!(
            "{} / {}",
            bytes_size(s.memory_usage),
            bytes_size(s.memory_limit)
        ),
        percent(s.memory_percent),
        format!("{} / {}", human_size(s.net_rx), human_size(s.net_tx)),
        format!(
            "{} / {}",
            human_size(s.block_read),
            human_size(s.block_write)
        ),
        s.pids.to_string(),
    ]
}

/// `docker stats --format json`'s object for one container (one line).
pub fn json(id: &str, name: &str, s: &ContainerStats) -> serde_json::Value {
    let [short, name, cpu, mem, mem_perc, net, block, pids] = row(id, name, s);
    serde_json::json!({
        "BlockIO": block,
        "CPUPerc": cpu,
        "Container": name,
        "ID": short,
        "MemPerc": mem_perc,
        "MemUsage": mem,
        "Name": name,
        "NetIO": net,
        "PIDs": pids,
    })
}

pub fn percent(p: f64) -> String {
    format!("{p:.2}%")
}

/// go-units BytesSize: binary units, four significant digits ("1.5MiB").
pub fn bytes_size(n: u64) -> String {
    scaled(
        n as f64,
        1024.0,
        &["B", "KiB", "MiB", "GiB", "TiB", "PiB"],
        4,
    )
}

/// go-units HumanSizeWithPrecision(n, 3): decimal units ("10.2kB").
pub fn human_size(n: u64) -> String {
    scaled(n as f64, 1000.0, &["B", "kB", "MB", "GB", "TB", "PB"], 3)
}

fn scaled(mut size: f64, base: f64, units: &[&str], precision: usize) -> String {
    let mut i = 0;
    while size >= base && i < units.len() - 1 {
        size /= base;
        i += 1;
    }
    format!("{}{}", go_g(size, precision), units[i])
}

/// Go's `%.{precision}g`: `precision` significant digits, trailing zeros
/// dropped, exponent form for very large or small numbers.
fn go_g(x: f64, precision: usize) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let sci = format!("{:.*e}", precision - 1, x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= precision as i32 {
        let mantissa = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let decimals = (precision as i32 - 1 - exp).max(0) as usize;
    trim_zeros(&format!("{x:.decimals$}")).to_string()
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_as_go_units_prints_them() {
        assert_eq!(bytes_size(0), "0B");
        assert_eq!(bytes_size(1023), "1023B");
        assert_eq!(bytes_size(1536), "1.5KiB");
        assert_eq!(bytes_size(10 * 1024 * 1024 + 123_456), "10.12MiB");
        assert_eq!(bytes_size(2 * 1024 * 1024 * 1024), "2GiB");
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(999), "999B");
        assert_eq!(human_size(10_240), "10.2kB");
        assert_eq!(human_size(1_000_000), "1MB");
        assert_eq!(human_size(999_700), "1e+03kB");
        assert_eq!(go_g(0.000012345, 3), "1.23e-05");
    }

    #[test]
    fn a_row_in_dockers_columns() {
        let s = ContainerStats {
            cpu_percent: 99.456,
            memory_usage: 1536,
            memory_limit: 2 * 1024 * 1024 * 1024,
            memory_percent: 0.00007,
            net_rx: 1_500,
            net_tx: 0,
            block_read: 4_096,
            block_write: 0,
            pids: 3,
            ..Default::default()
        };
        assert_eq!(
            row("0123456789abcdef", "web", &s),
            [
                "0123456789ab",
                "web",
                "99.46%",
                "1.5KiB / 2GiB",
                "0.00%",
                "1.5kB / 0B",
                "4.1kB / 0B",
                "3"
            ]
            .map(String::from)
        );
    }
}
