//! Playing a recording, once for `dockyard replay` in a terminal and for a
//! replay pane in the TUI, so one file plays at one pace in both: a
//! [`Timeline`] turns recorded times into play times (pauses longer than
//! the idle limit cut to it: the header's `idle_time_limit`, or the
//! player's own), and [`wait`] says how long to wait for the next event
//! at a speed.

use std::io::BufRead;
use std::time::Duration;

use crate::{CastError, Event, Reader};

/// The slowest and fastest a player goes.
pub const SPEEDS: (f64, f64) = (0.125, 16.0);

/// A recording's events with play times.
pub struct Timeline<R: BufRead> {
    reader: Reader<R>,
    idle_limit: Option<f64>,
    /// The last event's recorded time and play time.
    recorded: f64,
    played: f64,
}

impl<R: BufRead> Timeline<R> {
    /// `idle_limit`: the player's own limit (seconds), which overrides the
    /// header's; None keeps the header's (or none).
    pub fn new(reader: Reader<R>, idle_limit: Option<f64>) -> Self {
        let idle_limit = idle_limit
            .or(reader.header.idle_time_limit)
            .filter(|l| *l > 0.0);
        Timeline {
            reader,
            idle_limit,
            recorded: 0.0,
            played: 0.0,
        }
    }

    pub fn header(&self) -> &crate::Header {
        &self.reader.header
    }

    /// The next event, its `time` the play time. None at the end.
    pub fn next_event(&mut self) -> Result<Option<Event>, CastError> {
        let Some(mut ev) = self.reader.next_event()? else {
            return Ok(None);
        };
        let mut gap = (ev.time - self.recorded).max(0.0);
        self.recorded = self.recorded.max(ev.time);
        if let Some(limit) = self.idle_limit {
            gap = gap.min(limit);
        }
        self.played += gap;
        ev.time = self.played;
        Ok(Some(ev))
    }
}

/// How long to wait from play time `from` to play time `to` at `speed`.
/// A tiny speed makes a wait longer than a `Duration`: a year will do.
pub fn wait(from: f64, to: f64, speed: f64) -> Duration {
    Duration::try_from_secs_f64(((to - from) / speed).max(0.0))
        .unwrap_or(Duration::from_secs(365 * 86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cast(header: &str, events: &[(f64, &str)]) -> Vec<u8> {
        let mut s = format!("{header}\n");
        for (t, d) in events {
            s.push_str(&format!("[{t}, \"o\", \"{d}\"]\n"));
        }
        s.into_bytes()
    }

    fn times(file: &[u8], limit: Option<f64>) -> Vec<f64> {
        let mut t = Timeline::new(Reader::new(file).expect("reader"), limit);
        let mut v = Vec::new();
        while let Some(e) = t.next_event().expect("event") {
            v.push(e.time);
        }
        v
    }

    const EVENTS: [(f64, &str); 4] = [(0.5, "a"), (1.0, "b"), (11.0, "c"), (11.5, "d")];

    #[test]
    fn the_headers_idle_limit_cuts_long_pauses() {
        let limited = r#"{"version": 2, "width": 80, "height": 24, "idle_time_limit": 2}"#;
        assert_eq!(times(&cast(limited, &EVENTS), None), [0.5, 1.0, 3.0, 3.5]);
        let plain = r#"{"version": 2, "width": 80, "height": 24}"#;
        assert_eq!(times(&cast(plain, &EVENTS), None), [0.5, 1.0, 11.0, 11.5]);
    }

    #[test]
    fn the_players_limit_overrides_the_headers() {
        let limited = r#"{"version": 2, "width": 80, "height": 24, "idle_time_limit": 2}"#;
        assert_eq!(
            times(&cast(limited, &EVENTS), Some(0.25)),
            [0.25, 0.5, 0.75, 1.0]
        );
    }

    #[test]
    fn events_out_of_order_do_not_go_back() {
        let plain = r#"{"version": 2, "width": 80, "height": 24}"#;
        assert_eq!(
            times(&cast(plain, &[(1.0, "a"), (0.5, "b"), (2.0, "c")]), None),
            [1.0, 1.0, 2.0]
        );
    }

    #[test]
    fn waits_follow_the_speed() {
        assert_eq!(wait(1.0, 3.0, 2.0), Duration::from_secs(1));
        assert_eq!(wait(3.0, 1.0, 1.0), Duration::ZERO);
        assert_eq!(wait(0.0, 1.0, 1e-300), Duration::from_secs(365 * 86_400));
    }
}
