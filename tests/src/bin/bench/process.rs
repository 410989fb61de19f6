//! Watching a process from outside: peak memory and threads while
//! something runs, and finding the TUI's process.

use std::time::Duration;

use dockyard_tests::{dockyard_bin, proc_status};

/// Peak RSS (KiB) and thread count of a process while `f` runs.
pub fn watch_process<T>(pid: u32, f: impl FnOnce() -> T) -> (T, u64, u64) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s = stop.clone();
    let sampler = std::thread::spawn(move || {
        let (mut rss, mut threads) = (0u64, 0u64);
        while !s.load(std::sync::atomic::Ordering::Relaxed) {
            rss = rss.max(rss_kib(pid));
            threads = threads.max(proc_status(pid, "Threads:"));
            std::thread::sleep(Duration::from_millis(20));
        }
        (rss, threads)
    });
    let r = f();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (rss, threads) = sampler.join().expect("sampler");
    (r, rss, threads)
}

pub fn rss_kib(pid: u32) -> u64 {
    proc_status(pid, "VmRSS:")
}

pub fn find_pid(needle: &str) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let cmd = String::from_utf8_lossy(&cmd);
        (cmd.starts_with(dockyard_bin().to_str()?) && cmd.contains(needle) && !cmd.contains("exec"))
            .then_some(pid)
    })
}

/// CPU seconds (user + system) a process has used so far.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    ticks as f64 / 100.0 // USER_HZ on Linux
}
