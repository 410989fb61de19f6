//! Live figures per container from the hosts' stats streams: the latest
//! sample for the list's CPU and MEM columns, and the last minute of
//! samples for the stats view's sparklines.

use std::collections::{HashMap, VecDeque};

use dockyard_client::pb::ContainerStats;

use crate::state::hosts::ContainerKey;

/// Samples kept per container: a minute at the engine's one per second.
pub const HISTORY: usize = 60;

#[derive(Debug, Default, Clone)]
pub struct History {
    pub latest: ContainerStats,
    pub cpu: VecDeque<f64>,
    pub memory: VecDeque<u64>,
    /// Bytes per second received and sent, between consecutive samples.
    pub rx_rate: VecDeque<u64>,
    pub tx_rate: VecDeque<u64>,
}

impl History {
    fn push(&mut self, s: ContainerStats) {
        let seconds = (s.read_unix_nanos - self.latest.read_unix_nanos) as f64 / 1e9;
        if self.latest.read_unix_nanos > 0 && seconds > 0.0 {
            let rate = |now: u64, before: u64| (now.saturating_sub(before) as f64 / seconds) as u64;
            push_bounded(&mut self.rx_rate, rate(s.net_rx, self.latest.net_rx));
            push_bounded(&mut self.tx_rate, rate(s.net_tx, self.latest.net_tx));
        }
        push_bounded(&mut self.cpu, s.cpu_percent);
        push_bounded(&mut self.memory, s.memory_usage);
        self.latest = s;
    }
}

fn push_bounded<T>(q: &mut VecDeque<T>, v: T) {
    if q.len() == HISTORY {
        q.pop_front();
    }
    q.push_back(v);
}

#[derive(Debug, Default)]
pub struct StatsStore {
    by_container: HashMap<(usize, String), History>,
}

impl StatsStore {
    pub fn absorb(&mut self, host: usize, stats: Vec<ContainerStats>) {
        for s in stats {
            let key = (host, s.id.clone());
            if s.gone {
                self.by_container.remove(&key);
            } else {
                self.by_container.entry(key).or_default().push(s);
            }
        }
    }

    /// A host's stream ended (host down, streams stopped): its figures
    /// would only go stale.
    pub fn forget_host(&mut self, host: usize) {
        self.by_container.retain(|(h, _), _| *h != host);
    }

    pub fn clear(&mut self) {
        self.by_container.clear();
    }

    pub fn get(&self, key: &ContainerKey) -> Option<&History> {
        self.by_container.get(&(key.host, key.id.clone()))
    }

    pub fn latest(&self, host: usize, id: &str) -> Option<&ContainerStats> {
        self.by_container
            .get(&(host, id.to_string()))
            .map(|h| &h.latest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(id: &str, at_s: i64, cpu: f64, rx: u64) -> ContainerStats {
        ContainerStats {
            id: id.into(),
            cpu_percent: cpu,
            net_rx: rx,
            read_unix_nanos: at_s * 1_000_000_000,
            ..Default::default()
        }
    }

    #[test]
    fn keeps_a_minute_and_rates() {
        let mut store = StatsStore::default();
        for t in 0..100 {
            store.absorb(0, vec![sample("a", t + 1, t as f64, (t as u64) * 2000)]);
        }
        let key = ContainerKey {
            host: 0,
            id: "a".into(),
        };
        let h = store.get(&key).expect("history");
        assert_eq!(h.cpu.len(), HISTORY);
        assert_eq!(h.cpu.back(), Some(&99.0));
        assert_eq!(h.rx_rate.back(), Some(&2000));
        store.absorb(
            0,
            vec![ContainerStats {
                id: "a".into(),
                gone: true,
                ..Default::default()
            }],
        );
        assert!(store.get(&key).is_none());
    }
}
