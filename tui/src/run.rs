//! The event loop: one task owns the [`State`]; terminal events, host
//! reports, session output and operations' outcomes arrive on streams
//! and channels, each becomes a [`Msg`] for `update`, and the effects it
//! returns go to the [`Runner`]. Drawing follows changes, at most once
//! per frame interval, and never while nothing changed (an idle TUI
//! sleeps in `select!`).

use std::collections::HashMap;
use std::io::Write;
use std::task::Poll;
use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    EventStream,
};
use crossterm::execute;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::input::Keymap;
use crate::msg::Msg;
use crate::state::State;
use crate::state::panes::PaneId;
use crate::tasks::Runner;
use crate::tasks::hosts::{self, Target};
use crate::ui;
use crate::update::update;

/// At most this often; bursts of output between frames cost one draw.
const FRAME: Duration = Duration::from_millis(16);

/// How long ready events are taken in one go before the loop looks at keys
/// and the frame clock again.
const BATCH_TIME: Duration = Duration::from_millis(4);

/// Output parsed per pane per frame, at most (the focused pane 16 MB/s
/// at 60 frames, another 12 MB/s): a pane flooded by `yes` or `cat` of a
/// big file waits for the next frame beyond it, its agent and program
/// with it.
const FRAME_SHARE: usize = 192 * 1024;
const FOCUSED_FRAME_SHARE: usize = 256 * 1024;

/// The time the panes without the focus may take, together, per frame:
/// past it they wait for the next frame, so floods in them never take
/// the machine from the keys typed in the focused one (a third of a
/// frame).
const SIDE_TIME: Duration = Duration::from_millis(5);

/// How often the list's ages are looked at: a shown age is at most this
/// late.
const AGES_EVERY: Duration = Duration::from_millis(500);

/// How often an open sessions picker asks for the sessions again (their
/// IDLE and STATE change at the agent).
const SESSIONS_EVERY: Duration = Duration::from_secs(2);

/// How long after a key its pane's output is taken for the echo.
const ECHO_WAIT: Duration = Duration::from_millis(500);

pub struct Options {
    pub keymap: Keymap,
    /// What quitting does with sessions on remote agents.
    pub on_quit: crate::state::sessions::OnQuit,
    /// Where the workspace is kept between runs when sessions are kept
    /// (and restored from at start); None: never kept.
    pub workspace: Option<std::path::PathBuf>,
    /// Where `Ctrl-a r` writes recordings.
    pub recordings: Option<std::path::PathBuf>,
    /// A recording to play in a pane at start (`dockyard replay --tui`).
    pub replay: Option<std::path::PathBuf>,
    /// How much history each pane keeps (and how much of a log is read).
    pub history: dockyard_term::Limits,
    /// The toolbox image of debug shells (the `d` key, and a shell pane on
    /// a container with no shell).
    pub debug_image: String,
}

/// How long quitting waits for the agents to confirm that sessions were
/// ended or detached.
const FINISH_LIMIT: Duration = Duration::from_secs(3);

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
    let hosts = targets.iter().map(|t| t.name.clone()).collect();
    let mut state = State::new(hosts, opts.keymap);
    state.on_quit = opts.on_quit;
    state.history = opts.history;
    state.debug_image = opts.debug_image.clone();
    state.recordings_dir = opts.recordings.clone();
    if let Some(path) = &opts.workspace {
        restore_workspace(&mut state, path);
    }
    let (msg_tx, mut msgs) = mpsc::channel(1024);
    let (report_tx, mut reports) = mpsc::channel(1024);
    let mut runner = Runner::new(msg_tx, opts.history);
    hosts::spawn_watchers(targets, report_tx);

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
    let resize = crossterm::event::Event::Resize(size.width, size.height);
    // Through `step`: the first update's effects (the stats streams) count.
    step(&mut state, &mut runner, Msg::Terminal(resize));
    if let Some(file) = opts.replay.clone() {
        for effect in crate::update::open_replay(&mut state, file) {
            runner.carry_out(effect);
        }
    }

    let mut term_events = EventStream::new();
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    // A key was typed and its echo not drawn yet: the focused pane's next
    // output (the echo) is drawn at once, not at the next frame (frames
    // drawn for other panes meanwhile do not end the wait).
    let mut typed: Option<Instant> = None;
    let mut echo = false;
    let mut shares = Shares::default();
    let mut shown = ui::Shown::default();
    // The list's ages ("Up 5 seconds") follow the clock: looked at twice
    // a second, drawn only when one shown has changed.
    let mut ages = tokio::time::interval(AGES_EVERY);
    ages.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ages_shown = state.ages_digest(std::time::Instant::now());
    // The sessions picker, while open, asks its hosts again this often.
    let mut sessions_asked = Instant::now();
    loop {
        // Drawing first when a frame is due: under a flood of output the
        // queues are never empty, and a draw waiting in `select!` would
        // lose to them every time.
        if dirty && (echo || Instant::now() >= last_draw + FRAME) {
            shown.echo = echo;
            terminal.draw(|f| ui::draw_with(f, &state, &mut shown))?;
            // A pane drawn as it was: its news comes with a later frame.
            dirty = shown.stale;
            if std::mem::take(&mut echo) || typed.is_some_and(|t| t.elapsed() > ECHO_WAIT) {
                typed = None;
            }
            last_draw = Instant::now();
            shares = Shares::default();
            runner.wake_all();
        }
        let due = last_draw + FRAME;
        let msg = tokio::select! {
            biased;
            ev = term_events.next() => match ev {
                Some(Ok(ev)) => Some(Msg::Terminal(ev)),
                Some(Err(e)) => return Err(e),
                None => break,
            },
            // A frame is due: what is ready still gets its slice below,
            // so output already queued (a keystroke's echo) is in it.
            _ = tokio::time::sleep_until(due), if dirty => None,
            Some((host, report)) = reports.recv() => Some(runner.on_host(host, report)),
            Some(msg) = msgs.recv() => Some(msg),
            Some((pane, ev)) = runner.next_session_event() => Some(Msg::Session { pane, ev }),
            _ = ages.tick() => {
                let now = state.ages_digest(std::time::Instant::now());
                if now != std::mem::replace(&mut ages_shown, now) {
                    dirty = true;
                }
                if matches!(state.mode, crate::state::Mode::Sessions(_))
                    && sessions_asked.elapsed() >= SESSIONS_EVERY
                {
                    sessions_asked = Instant::now();
                    runner.carry_out(crate::msg::Effect::ListSessions);
                }
                None
            }
        };
        if let Some(msg) = msg {
            echo |= take(msg, &mut state, &mut runner, &mut shares, &mut typed);
            dirty = true;
        }
        // Whatever else is ready, for a bounded time: a flood is handled
        // in slices between frames and key presses; the focused pane's
        // output first. A key typed meanwhile is taken after the piece in
        // hand, not after the slice: its echo's round trip starts at once.
        let slice = Instant::now() + BATCH_TIME;
        while Instant::now() < slice && !echo {
            let focused = state
                .focused_pane()
                .and_then(|p| runner.ready_event_of(p).map(|ev| (p, ev)));
            // Reports and outcomes before keys: a key typed after a list
            // came acts on that list.
            let msg = if let Some((pane, ev)) = focused {
                Msg::Session { pane, ev }
            } else if let Ok((host, report)) = reports.try_recv() {
                runner.on_host(host, report)
            } else if let Ok(msg) = msgs.try_recv() {
                msg
            } else if let Poll::Ready(Some(ev)) = futures::poll!(term_events.next()) {
                // Polled with this task's waker: crossterm's waiting thread
                // keeps the first waker it is given until a key comes, so
                // a throwaway one would leave the `select!` above deaf.
                Msg::Terminal(ev?)
            } else if let Some((pane, ev)) = runner.ready_session_event() {
                Msg::Session { pane, ev }
            } else {
                break;
            };
            echo |= take(msg, &mut state, &mut runner, &mut shares, &mut typed);
            dirty = true;
        }
        if state.quit {
            break;
        }
    }
    if state.keep_sessions
        && let Some(path) = &opts.workspace
    {
        save_workspace(&state, path);
    }
    runner.finish(state.keep_sessions, FINISH_LIMIT).await;
    Ok(())
}

/// The panes of the last run that kept its sessions, waiting for their
/// hosts; the file is removed once read (a restored pane whose session is
/// gone says so).
fn restore_workspace(state: &mut State, path: &std::path::Path) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    if let Err(e) = std::fs::remove_file(path) {
        tracing::warn!("cannot remove {}: {e}", path.display());
    }
    let restored = serde_json::from_str(&text)
        .map_err(|e| e.to_string())
        .and_then(|v| crate::state::workspace::restore(state, &v));
    match restored {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!(panes = n, "workspace restored from {}", path.display());
            if let Some(p) = state.panes.order().first() {
                state.focus = crate::state::Focus::Pane(*p);
            }
        }
        Err(e) => tracing::warn!("workspace {} not restored: {e}", path.display()),
    }
}

fn save_workspace(state: &State, path: &std::path::Path) {
    let Some(ws) = crate::state::workspace::save(state) else {
        return;
    };
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(path, ws.to_string()));
    match written {
        Ok(()) => tracing::info!("workspace kept in {}", path.display()),
        Err(e) => tracing::warn!("cannot keep the workspace in {}: {e}", path.display()),
    }
}

/// What each pane took of the frame so far.
#[derive(Default)]
struct Shares {
    /// Output bytes, per pane.
    taken: HashMap<PaneId, usize>,
    /// Time taken by the output of panes without the focus.
    side: Duration,
}

impl Shares {
    /// Steps `msg`, counting a pane's output against its share of the
    /// frame; past it, its session rests until the next frame, and past
    /// [`SIDE_TIME`] every pane but the focused one does.
    fn step(&mut self, state: &mut State, runner: &mut Runner, msg: Msg) {
        let Msg::Session {
            pane,
            ev: crate::msg::SessionEvent::Output(data),
        } = &msg
        else {
            return step(state, runner, msg);
        };
        let (pane, len) = (*pane, data.len());
        let focused = state.focused_pane() == Some(pane);
        let started = Instant::now();
        step(state, runner, msg);
        let total = self.taken.entry(pane).or_default();
        *total += len;
        let share = if focused {
            FOCUSED_FRAME_SHARE
        } else {
            FRAME_SHARE
        };
        if *total >= share {
            runner.rest(pane);
        }
        if !focused {
            self.side += started.elapsed();
            if self.side >= SIDE_TIME {
                runner.rest_all_but(state.focused_pane());
            }
        }
    }
}

/// Steps `msg`; true when it is the focused pane's output while a key's
/// echo is awaited (`typed`: since when). After a key the other panes'
/// output waits for its echo (drawn at once, which wakes them) or the next
/// frame: parsing a neighbour's flood while the echo is on its way would
/// only make it wait.
fn take(
    msg: Msg,
    state: &mut State,
    runner: &mut Runner,
    shares: &mut Shares,
    typed: &mut Option<Instant>,
) -> bool {
    let typing = is_typing(&msg);
    if typing {
        *typed = Some(Instant::now());
    }
    let echo = typed.is_some() && is_focused_output(state, &msg);
    shares.step(state, runner, msg);
    if typing {
        runner.rest_all_but(state.focused_pane());
    }
    echo
}

/// A key or a paste: what a program echoes.
fn is_typing(msg: &Msg) -> bool {
    matches!(
        msg,
        Msg::Terminal(crossterm::event::Event::Key(_) | crossterm::event::Event::Paste(_))
    )
}

/// Output for the focused pane.
fn is_focused_output(state: &State, msg: &Msg) -> bool {
    matches!(
        msg,
        Msg::Session { pane, ev: crate::msg::SessionEvent::Output(_) }
            if Some(*pane) == state.focused_pane()
    )
}

fn step(state: &mut State, runner: &mut Runner, msg: Msg) {
    for effect in update(state, msg) {
        runner.carry_out(effect);
    }
}
