//! The event loop: one task owns the `App`; terminal events, session output
//! and host updates arrive on streams/channels and become state changes.
//! Drawing follows changes, at most once per frame interval, and never
//! while nothing changed (an idle TUI sleeps in `select!`).

use std::io::Write;
use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    EventStream, KeyEvent,
};
use crossterm::execute;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::app::App;
use crate::hosts::{self, Target};
use crate::ui;

/// At most this often; bursts of output between frames cost one draw.
const FRAME: Duration = Duration::from_millis(16);

/// Events handled between two looks at the clock, so a flood of output
/// cannot starve drawing or key handling.
const BATCH: usize = 256;

pub struct Options {
    pub leader: KeyEvent,
}

/// Puts the terminal back however the TUI ends (return, error, panic).
struct TerminalGuard;

impl TerminalGuard {
    fn restore() {
        let mut out = std::io::stdout();
        let _ = execute!(out, DisableMouseCapture, DisableBracketedPaste);
        ratatui::restore();
        let _ = out.flush();
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        Self::restore();
    }
}

pub async fn run(targets: Vec<Target>, opts: Options) -> std::io::Result<()> {
    let labels = targets.iter().map(|t| t.label.clone()).collect();
    let (tx, mut rx) = mpsc::channel(1024);
    let mut app = App::new(labels, opts.leader, tx.clone());
    hosts::spawn_watchers(targets, tx);

    // ratatui::init sets raw mode, the alternate screen and a panic hook
    // that restores the terminal; the guard covers every other way out.
    let mut terminal = ratatui::init();
    let _guard = TerminalGuard;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        TerminalGuard::restore();
        previous(info);
    }));
    execute!(std::io::stdout(), EnableMouseCapture, EnableBracketedPaste)?;
    let size = terminal.size()?;
    app.resize(size.width, size.height);

    let mut term_events = EventStream::new();
    let mut last_draw = Instant::now() - FRAME;
    loop {
        // Drawing first when a frame is due: under a flood of output the
        // channel is never empty, and a draw waiting in `select!` would
        // lose to it every time.
        if app.dirty && Instant::now() >= last_draw + FRAME {
            terminal.draw(|f| ui::draw(f, &app))?;
            app.dirty = false;
            last_draw = Instant::now();
        }
        if app.dirty {
            let due = last_draw + FRAME;
            tokio::select! {
                biased;
                _ = tokio::time::sleep_until(due) => {}
                ev = term_events.next() => match ev {
                    Some(Ok(ev)) => app.on_terminal(ev),
                    Some(Err(e)) => return Err(e),
                    None => break,
                },
                Some(ev) = rx.recv() => app.on_event(ev),
            }
        } else {
            tokio::select! {
                ev = term_events.next() => match ev {
                    Some(Ok(ev)) => app.on_terminal(ev),
                    Some(Err(e)) => return Err(e),
                    None => break,
                },
                Some(ev) = rx.recv() => app.on_event(ev),
            }
        }
        for _ in 0..BATCH {
            match rx.try_recv() {
                Ok(ev) => app.on_event(ev),
                Err(_) => break,
            }
        }
        if app.quit {
            break;
        }
    }
    Ok(())
}
