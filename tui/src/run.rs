//! The TUI's run: setting the terminal up and putting it back, the
//! workspace kept between runs, and the event loop. One task owns the
//! [`State`]; terminal events, host reports, session output and
//! operations' outcomes arrive on streams and channels, each becomes a
//! [`Msg`] for `update`, and the effects it returns go to the [`Runner`].
//! When it draws and in what order it takes them is the schedule's
//! (`crate::schedule`).

use std::io::Write;
use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use tokio::sync::mpsc;

use crate::input::Keymap;
use crate::msg::Msg;
use crate::schedule::{Inputs, Scheduler};
use crate::state::State;
use crate::tasks::Runner;
use crate::tasks::hosts::{self, Target};

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
    let (msg_tx, msgs) = mpsc::channel(1024);
    let (report_tx, reports) = mpsc::channel(1024);
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
    // Through the schedule: the first update's effects (the stats
    // streams) count.
    let mut schedule = Scheduler::new();
    schedule.take(Msg::Terminal(resize), &mut state, &mut runner);
    if let Some(file) = opts.replay.clone() {
        let effects = crate::update::open_replay(&mut state, file);
        schedule.carry_out(effects, &mut runner);
    }
    state.ages_shown = state.ages_digest(std::time::Instant::now());

    let mut inputs = Inputs {
        terminal: crate::schedule::Keys::new(),
        reports,
        msgs,
    };
    loop {
        schedule.draw_if_due(
            |shown| {
                terminal.draw(|f| crate::ui::draw_with(f, &state, shown))?;
                Ok(())
            },
            &mut runner,
        )?;
        if !schedule
            .take_next(&mut inputs, &mut state, &mut runner)
            .await?
            || state.quit
        {
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
