//! `update`: the one place the state changes. Each [`Msg`] (a key, a
//! paste, a click, a host's report, a session's output, an operation's
//! outcome) changes the [`State`] and returns the [`Effect`]s the tasks
//! must carry out. Nothing here spawns, awaits or draws.

mod copy;
mod dialogs;
mod files;
mod forwards;
mod keys;
mod mouse;
mod panes;

use crossterm::event::{Event, KeyEventKind};
use dockyard_client::Cause;
use dockyard_client::text::printable;

use crate::msg::{Effect, HostEvent, LaunchEvent, Msg, SessionEvent};
use crate::state::hosts::HostStatus;
use crate::state::panes::{PaneId, PaneKind, PaneState, inner};
use crate::state::{Mode, Notice, State};

/// Opens a pane playing `file` (`dockyard replay --tui`).
pub fn open_replay(state: &mut State, file: std::path::PathBuf) -> Vec<Effect> {
    let mut fx = Vec::new();
    panes::open_replay(state, file, &mut fx);
    fx
}

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    // Output moves no pane; everything else may, so sizes are checked.
    let may_move = !matches!(msg, Msg::Session { .. } | Msg::Tick(_));
    match msg {
        Msg::Tick(tick) => on_tick(state, tick, &mut fx),
        Msg::Terminal(ev) => on_terminal(state, ev, &mut fx),
        Msg::Host { host, ev } => on_host(state, host, ev, &mut fx),
        Msg::Session { pane, ev } => on_session(state, pane, ev, &mut fx),
        Msg::Launch(ev) => on_launch(state, ev),
        Msg::Stats { host, stats } => {
            if state.stats_on {
                state.stats.absorb(host, stats);
            }
        }
        Msg::Inspected { name, result } => {
            if let Mode::Inspect(view) = &mut state.mode
                && view.name == name
            {
                view.set(result);
            }
        }
        Msg::Files(ev) => files::on_event(state, ev, &mut fx),
        Msg::Forward { id, news } => state.forwards.hear(id, news),
        Msg::Notice { text, error } => state.notice = Some(Notice { text, error }),
        Msg::Recordings(result) => {
            if let Mode::Recordings(picker) = &mut state.mode {
                picker.set(result);
            }
        }
        Msg::Sessions { host, result } => {
            let label = state
                .list
                .host(host)
                .map_or(String::new(), |h| h.label.clone());
            if let Mode::Sessions(picker) = &mut state.mode {
                picker.add(host, &label, result);
            }
        }
    }
    if may_move {
        sync_sizes(state, &mut fx);
        sync_stats(state, &mut fx);
    }
    fx
}

/// The schedule's clocks: a frame when a shown age has moved on (an idle
/// TUI otherwise draws nothing), the sessions again for an open picker.
fn on_tick(state: &mut State, tick: crate::msg::Tick, fx: &mut Vec<Effect>) {
    match tick {
        crate::msg::Tick::Ages => {
            let now = state.ages_digest(std::time::Instant::now());
            if now != std::mem::replace(&mut state.ages_shown, now) {
                fx.push(Effect::Draw);
            }
        }
        crate::msg::Tick::Sessions => {
            if matches!(state.mode, Mode::Sessions(_)) {
                fx.push(Effect::ListSessions);
            }
        }
    }
}

/// Runs the hosts' stats streams only while their figures are shown;
/// figures from a stopped stream are dropped, not left to go stale.
fn sync_stats(state: &mut State, fx: &mut Vec<Effect>) {
    let want = state.wants_stats();
    if want != state.stats_on {
        state.stats_on = want;
        if !want {
            state.stats.clear();
        }
        fx.push(Effect::WatchStats { on: want });
    }
}

fn on_terminal(state: &mut State, ev: Event, fx: &mut Vec<Effect>) {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => keys::on_key(state, k, fx),
        Event::Paste(text) => keys::on_paste(state, &text, fx),
        Event::Mouse(m) => mouse::on_mouse(state, m, fx),
        Event::Resize(cols, rows) => state.area = ratatui::layout::Rect::new(0, 0, cols, rows),
        _ => {}
    }
}

/// Gives every shown pane the size of its area, telling remote TTYs that
/// changed: one computed `Rect` drives drawing, the parser and the TTY.
fn sync_sizes(state: &mut State, fx: &mut Vec<Effect>) {
    for (pane, outer) in state.frame().panes {
        let r = inner(outer);
        let Some(p) = state.panes.get_mut(pane) else {
            continue;
        };
        let width = p.term.size().1;
        if !p.term.resize(r.height, r.width) {
            continue;
        }
        if p.term.size().1 != width {
            // Rewrapped: copy mode starts again on the new lines, and a
            // search goes on from the end (its match was a line number).
            if p.copy.is_some() {
                p.copy = Some(crate::term::copy::CopyMode::new(&p.term));
            }
            if let Some(search) = &mut p.search {
                search.line = None;
            }
        }
        if p.is_live() {
            fx.push(Effect::Resize {
                pane,
                rows: r.height,
                cols: r.width,
            });
        }
    }
}

fn on_host(state: &mut State, host: usize, ev: HostEvent, fx: &mut Vec<Effect>) {
    match ev {
        HostEvent::Up(list) => {
            state.list.set_status(host, HostStatus::Up);
            state
                .list
                .set_containers(host, list.into_iter().map(Into::into).collect());
            panes::open_pending(state, host, fx);
        }
        HostEvent::List(list) => state
            .list
            .set_containers(host, list.into_iter().map(Into::into).collect()),
        HostEvent::NodesDown(down) => state.list.set_nodes_down(host, down),
        HostEvent::Down {
            reason,
            retry_in,
            engine_down,
        } => {
            state.stats.forget_host(host);
            state.list.set_status(
                host,
                HostStatus::Down {
                    reason,
                    retry_in,
                    engine_down,
                },
            )
        }
    }
}

fn on_session(state: &mut State, pane: PaneId, ev: SessionEvent, fx: &mut Vec<Effect>) {
    let Some(p) = state.panes.get_mut(pane) else {
        return;
    };
    match ev {
        SessionEvent::Started { session_id, node } => {
            p.state = PaneState::Running;
            p.session_id = (!session_id.is_empty()).then_some(session_id);
            p.node = node;
        }
        SessionEvent::Reconnecting(why) => {
            tracing::info!(pane, "connection lost, reattaching: {why}");
            p.state = PaneState::Reconnecting;
        }
        SessionEvent::Resumed => p.state = PaneState::Running,
        SessionEvent::InputDropped(n) => {
            let text = format!(
                "{}: {n} bytes typed while reconnecting were dropped (more than {} KiB)",
                p.title(),
                crate::tasks::exec_run::HELD_INPUT / 1024
            );
            state.notice = Some(Notice { text, error: true });
        }
        SessionEvent::Detached => {
            let text = format!(
                "detached session {} ({}): Ctrl-a S lists sessions",
                p.session_id.clone().unwrap_or_default(),
                p.title()
            );
            panes::forget(state, pane);
            state.notice = Some(Notice { text, error: false });
        }
        SessionEvent::Output(data) => {
            if let Some(reply) = p.term.feed(&data) {
                fx.push(Effect::Input { pane, data: reply });
            }
        }
        SessionEvent::Reset => {
            p.term.reset();
            // Their line numbers were the old terminal's.
            p.copy = None;
            p.search = None;
        }
        SessionEvent::Replay(status) => p.replay = Some(status),
        SessionEvent::RecordingFailed(why) => {
            p.recording = None;
            state.notice = Some(Notice {
                text: format!("recording stopped: {}", printable(&why)),
                error: true,
            });
        }
        // A shell pane on an image with no shell (the runtime cannot find
        // /bin/sh: 127): a debug shell in the same pane instead.
        SessionEvent::Exited {
            cause: Cause::CommandNotFound,
            ..
        } if matches!(p.kind, PaneKind::Shell) => {
            let image = state.debug_image.clone();
            let Some(p) = state.panes.get_mut(pane) else {
                return;
            };
            p.kind = PaneKind::Debug { image };
            p.state = PaneState::Starting;
            p.term.reset();
            let (rows, cols) = p.term.size();
            fx.push(Effect::OpenSession {
                pane,
                host: p.host,
                container: p.container.clone(),
                kind: p.kind.clone(),
                rows,
                cols,
            });
        }
        SessionEvent::Exited { code, message, .. } => {
            p.state = PaneState::Exited(code);
            if let Some(path) = p.recording.take() {
                state.notice = Some(Notice {
                    text: format!("recording saved to {}", path.display()),
                    error: false,
                });
            }
            // The notice borrowed the state: the pane again.
            let Some(p) = state.panes.get_mut(pane) else {
                return;
            };
            if p.is_logs() {
                // The end of a followed log is news, not an error.
                let text = format!("\r\n\x1b[2m— {} —\x1b[0m", printable(&message));
                p.term.feed(text.as_bytes());
            } else if code < 0 && !message.is_empty() {
                show_final_message(&mut p.term, &printable(&message));
            }
        }
        SessionEvent::Failed(message) => {
            let message = printable(&message);
            show_final_message(&mut p.term, &message);
            p.state = PaneState::Failed(message);
        }
    }
}

/// Why a session ended (already escaped), in red under its last output.
fn show_final_message(term: &mut crate::term::screen::TermScreen, message: &str) {
    term.feed(format!("\r\n\x1b[31m{message}\x1b[0m").as_bytes());
}

fn on_launch(state: &mut State, ev: LaunchEvent) {
    let Mode::Launch(form) = &mut state.mode else {
        return;
    };
    match ev {
        LaunchEvent::Progress(p) => form.progress = Some(p),
        LaunchEvent::Done(Ok(name)) => {
            state.mode = Mode::Normal;
            state.notice = Some(Notice {
                text: format!("launched {name}"),
                error: false,
            });
        }
        LaunchEvent::Done(Err(e)) => {
            form.busy = false;
            form.progress = None;
            form.error = Some(e);
        }
    }
}

#[cfg(test)]
mod tests;
