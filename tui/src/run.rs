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
use futures::{FutureExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::StreamMap;
use tokio_stream::wrappers::ReceiverStream;

use crate::app::App;
use crate::event::SessionEvent;
use crate::hosts::{self, Target};
use crate::pane::PaneId;
use crate::ui;

/// At most this often; bursts of output between frames cost one draw.
const FRAME: Duration = Duration::from_millis(16);

/// How long ready events are taken in one go before the loop looks at keys
/// and the frame clock again.
const BATCH_TIME: Duration = Duration::from_millis(4);

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
    // One queue per pane, taken from in turn (StreamMap starts each poll
    // at a random pane), so no pane's flood delays another pane's echo.
    let mut sessions: StreamMap<PaneId, ReceiverStream<SessionEvent>> = StreamMap::new();
    let mut last_draw = Instant::now() - FRAME;
    loop {
        for (id, rx) in app.new_sessions.drain(..) {
            sessions.insert(id, ReceiverStream::new(rx));
        }
        // Drawing first when a frame is due: under a flood of output the
        // queues are never empty, and a draw waiting in `select!` would
        // lose to them every time.
        if app.dirty && Instant::now() >= last_draw + FRAME {
            terminal.draw(|f| ui::draw(f, &app))?;
            app.dirty = false;
            last_draw = Instant::now();
        }
        let due = last_draw + FRAME;
        tokio::select! {
            biased;
            ev = term_events.next() => match ev {
                Some(Ok(ev)) => app.on_terminal(ev),
                Some(Err(e)) => return Err(e),
                None => break,
            },
            _ = tokio::time::sleep_until(due), if app.dirty => {}
            Some(ev) = rx.recv() => app.on_event(ev),
            Some((id, ev)) = sessions.next(), if !sessions.is_empty() => app.on_session(id, ev),
        }
        // Whatever else is ready, for a bounded time: a flood is handled
        // in slices between frames and key presses.
        let slice = Instant::now() + BATCH_TIME;
        while Instant::now() < slice {
            if let Ok(ev) = rx.try_recv() {
                app.on_event(ev);
                continue;
            }
            match sessions.next().now_or_never() {
                Some(Some((id, ev))) => app.on_session(id, ev),
                _ => break,
            }
        }
        if app.quit {
            break;
        }
    }
    Ok(())
}
