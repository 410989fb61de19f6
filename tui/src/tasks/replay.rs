//! A recording played in a pane (`dockyard replay --tui FILE`): a task that
//! reads the asciicast file and sends its output to the pane at the
//! recorded pace, and takes play/pause, seeks and speed changes from the
//! pane's keys. Seeking back clears the pane's screen and replays the
//! output up to the new point at once; seeking forward plays what lies
//! between at once.

use std::io::BufReader;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use dockyard_cast::play::{self, SPEEDS, Timeline};
use dockyard_cast::{Code, Reader};
use tokio::sync::mpsc;

use super::session::InputMsg;
use crate::msg::{ReplayCtl, ReplayStatus, SessionEvent};

/// How often the pane's position is told while playing.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

struct Player {
    /// (time, output) of every output event.
    output: Vec<(f64, Bytes)>,
    total: f64,
    next: usize,
    at: f64,
    speed: f64,
    paused: bool,
}

impl Player {
    fn status(&self) -> ReplayStatus {
        ReplayStatus {
            at: self.at,
            total: self.total,
            speed: self.speed,
            paused: self.paused,
            ended: self.next >= self.output.len(),
        }
    }

    /// The output from the next event up to time `to`, at once.
    fn burst(&mut self, to: f64) -> Bytes {
        let mut out = Vec::new();
        while self.next < self.output.len() && self.output[self.next].0 <= to {
            out.extend_from_slice(&self.output[self.next].1);
            self.next += 1;
        }
        self.at = to;
        out.into()
    }
}

fn load(path: &PathBuf) -> Result<Player, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let reader =
        Reader::new(BufReader::new(file)).map_err(|e| format!("{}: {e}", path.display()))?;
    // Play times: the header's idle limit applies, as in `dockyard replay`.
    let mut timeline = Timeline::new(reader, None);
    let mut output = Vec::new();
    while let Some(ev) = timeline
        .next_event()
        .map_err(|e| format!("{}: {e}", path.display()))?
    {
        if ev.code == Code::Output {
            output.push((ev.time, Bytes::from(ev.data.into_bytes())));
        }
    }
    let total = output.last().map_or(0.0, |e| e.0);
    Ok(Player {
        output,
        total,
        next: 0,
        at: 0.0,
        speed: 1.0,
        paused: false,
    })
}

pub(super) async fn run(
    path: PathBuf,
    mut input_rx: mpsc::UnboundedReceiver<InputMsg>,
    events: mpsc::Sender<SessionEvent>,
) {
    let mut p = match load(&path) {
        Ok(p) => p,
        Err(e) => {
            let _ = events.send(SessionEvent::Failed(e)).await;
            return;
        }
    };
    if !super::session::started_alone(&events).await {
        return;
    }
    let _ = events.send(SessionEvent::Replay(p.status())).await;
    let mut told = tokio::time::Instant::now();
    let mut tell = false;
    loop {
        let due = (!p.paused && p.next < p.output.len())
            .then(|| play::wait(p.at, p.output[p.next].0, p.speed));
        let msg = tokio::select! {
            _ = async { match due { Some(d) => tokio::time::sleep(d).await, None => std::future::pending().await } } => None,
            msg = input_rx.recv() => match msg {
                Some(m) => Some(m),
                None => return,
            },
        };
        let mut out = Bytes::new();
        match msg {
            None => {
                let (time, data) = p.output[p.next].clone();
                p.next += 1;
                p.at = time;
                out = data;
            }
            Some(InputMsg::Replay(ctl)) => {
                match ctl {
                    ReplayCtl::Pause => {
                        if p.next >= p.output.len() {
                            // At the end, play starts over.
                            p.next = 0;
                            p.at = 0.0;
                            p.paused = false;
                            let _ = events.send(SessionEvent::Reset).await;
                        } else {
                            p.paused = !p.paused;
                        }
                    }
                    ReplayCtl::Seek(delta) => {
                        let to = (p.at + delta).clamp(0.0, p.total);
                        if to < p.at {
                            p.next = 0;
                            let _ = events.send(SessionEvent::Reset).await;
                        }
                        out = p.burst(to);
                    }
                    ReplayCtl::Faster => p.speed = (p.speed * 2.0).min(SPEEDS.1),
                    ReplayCtl::Slower => p.speed = (p.speed / 2.0).max(SPEEDS.0),
                }
                tell = true;
            }
            // Keys and sizes do not reach a recording.
            Some(_) => continue,
        }
        if !out.is_empty() && events.send(SessionEvent::Output(out)).await.is_err() {
            return;
        }
        if tell || told.elapsed() >= PROGRESS_EVERY || p.next >= p.output.len() {
            told = tokio::time::Instant::now();
            tell = false;
            if events.send(SessionEvent::Replay(p.status())).await.is_err() {
                return;
            }
        }
    }
}
