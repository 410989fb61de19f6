//! `dockyard replay FILE`: an asciicast v2 recording (Dockyard's or
//! asciinema's) played in this terminal at its pace (`--speed`, long pauses
//! cut to `--idle-limit`), `q` to quit and space to pause when stdin is a
//! terminal. The recorded height is kept: on a taller terminal the output
//! scrolls inside the recorded rows (a scroll region), as it did when it
//! was recorded; the region follows the recording's resize events.

use std::io::{BufReader, Read, Write};

use anyhow::Context;
use dockyard_cast::play::{self, Timeline};
use dockyard_cast::{Code, Reader};
use tokio::sync::mpsc;

use crate::cli::ReplayArgs;
use crate::terminal;

/// What a key asks of the player.
enum Key {
    Quit,
    Pause,
}

/// Whether `file` is a recording that can be played: for `--tui`, which
/// must say so before the screen is taken over.
pub fn check(file: &std::path::Path) -> anyhow::Result<()> {
    let f = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    Reader::new(BufReader::new(f)).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    Ok(())
}

pub async fn run(args: ReplayArgs) -> anyhow::Result<i32> {
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let reader = Reader::new(BufReader::new(file))
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let mut timeline = Timeline::new(reader, args.idle_limit);
    let on_terminal = terminal::stdout_is_tty();
    let _raw = if on_terminal && terminal::stdin_is_tty() {
        Some(terminal::RawMode::enable()?)
    } else {
        None
    };
    let mut keys = if _raw.is_some() {
        Some(spawn_keys())
    } else {
        None
    };
    let mut out = std::io::stdout().lock();
    let mut region = Region::new(on_terminal);
    region.fit(&mut out, timeline.header().height)?;
    let mut last = 0.0_f64;
    let mut paused = false;
    let result = loop {
        let ev = match timeline.next_event() {
            Ok(Some(ev)) => ev,
            Ok(None) => break Ok(0),
            Err(e) => break Err(anyhow::anyhow!("{}: {e}", args.file.display())),
        };
        let mut wait = play::wait(last, ev.time, args.speed);
        last = ev.time;
        // Waits out the gap, or the pause; a key may end either.
        loop {
            let sleep = tokio::time::sleep(wait);
            let started = tokio::time::Instant::now();
            let key = async {
                match keys.as_mut() {
                    Some(k) => k.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = sleep, if !paused => break,
                k = key => match k {
                    Some(Key::Quit) => {
                        region.reset(&mut out)?;
                        return Ok(0);
                    }
                    Some(Key::Pause) => {
                        // What was left of the gap is waited after the pause.
                        if !paused {
                            wait = wait.saturating_sub(started.elapsed());
                        }
                        paused = !paused;
                    }
                    None => keys = None,
                },
            }
        }
        match ev.code {
            Code::Output => {
                out.write_all(ev.data.as_bytes())?;
                out.flush()?;
            }
            Code::Resize => {
                if let Some(size) = ev.size() {
                    region.fit(&mut out, size.rows)?;
                }
            }
            // Input and markers are not shown.
            Code::Input | Code::Marker => {}
        }
    };
    region.reset(&mut out)?;
    result
}

/// Keeps the output within the recorded height on a taller terminal.
struct Region {
    active: bool,
    set: bool,
}

impl Region {
    fn new(on_terminal: bool) -> Self {
        Region {
            active: on_terminal,
            set: false,
        }
    }

    fn fit(&mut self, out: &mut impl Write, rows: u16) -> std::io::Result<()> {
        if !self.active {
            return Ok(());
        }
        let Some((term_rows, _)) = terminal::size() else {
            return Ok(());
        };
        if rows > 0 && rows < term_rows {
            write!(out, "\x1b[1;{rows}r")?;
            self.set = true;
        } else if self.set {
            out.write_all(b"\x1b[r")?;
            self.set = false;
        }
        out.flush()
    }

    fn reset(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        if self.set {
            out.write_all(b"\x1b[r")?;
            self.set = false;
        }
        out.flush()
    }
}

/// Reads keys on a thread (reads block): q (or Ctrl-C) quits, space
/// pauses.
fn spawn_keys() -> mpsc::Receiver<Key> {
    let (tx, rx) = mpsc::channel(8);
    let _ = std::thread::Builder::new()
        .name("keys".into())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buf = [0u8; 64];
            while let Ok(n) = stdin.read(&mut buf) {
                if n == 0 {
                    return;
                }
                for b in &buf[..n] {
                    let key = match b {
                        b'q' | b'Q' | 0x03 => Key::Quit,
                        b' ' => Key::Pause,
                        _ => continue,
                    };
                    if tx.blocking_send(key).is_err() {
                        return;
                    }
                }
            }
        });
    rx
}
