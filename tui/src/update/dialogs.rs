//! The dialogs' keys: typing a filter, answering a confirmation, filling
//! in the launch form. They take text, so their few keys are fixed and
//! shown inside each dialog.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::msg::Effect;
use crate::state::launch_form::LaunchForm;
use crate::state::{Confirm, ConfirmVerb, Mode, Notice, State};

fn typed(key: KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => Some(c),
        _ => None,
    }
}

/// Typing narrows the list and selects the first match; Enter keeps the
/// filter, Esc clears it.
pub fn on_filter_key(state: &mut State, key: KeyEvent) {
    let mut filter = state.list.filter().to_string();
    match key.code {
        KeyCode::Enter => return,
        KeyCode::Esc => return state.list.clear_filter(),
        KeyCode::Backspace => {
            filter.pop();
        }
        _ => {
            if let Some(c) = typed(key) {
                filter.push(c);
            }
        }
    }
    state.list.set_filter(filter);
    state.mode = Mode::Filter;
}

/// y or Enter carries it out; any other key cancels.
pub fn on_confirm_key(state: &mut State, key: KeyEvent, c: Confirm, fx: &mut Vec<Effect>) {
    if !matches!(
        key.code,
        KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter
    ) {
        return;
    }
    let connected = state
        .list
        .host(c.container.host)
        .is_some_and(|h| h.status == crate::state::hosts::HostStatus::Up);
    if !connected {
        state.notice = Some(Notice {
            text: "that host is not connected".into(),
            error: true,
        });
        return;
    }
    let (host, id, name) = (c.container.host, c.container.id, c.name);
    let (doing, effect) = match c.verb {
        ConfirmVerb::Stop => (
            "stopping",
            Effect::Stop {
                host,
                id,
                name: name.clone(),
            },
        ),
        ConfirmVerb::Remove => (
            "removing",
            Effect::Remove {
                host,
                id,
                name: name.clone(),
            },
        ),
    };
    state.notice = Some(Notice {
        text: format!("{doing} {name}…"),
        error: false,
    });
    fx.push(effect);
}

pub fn on_launch_key(state: &mut State, key: KeyEvent, mut form: LaunchForm, fx: &mut Vec<Effect>) {
    if form.busy {
        // Esc hides a running launch; its result still arrives as a notice.
        if key.code != KeyCode::Esc {
            state.mode = Mode::Launch(form);
        }
        return;
    }
    let hosts = state.list.hosts().len();
    match key.code {
        KeyCode::Esc => return,
        KeyCode::Tab | KeyCode::Down => form.next(),
        KeyCode::BackTab | KeyCode::Up => form.prev(),
        KeyCode::Left if hosts > 1 => form.host = (form.host + hosts - 1) % hosts,
        KeyCode::Right if hosts > 1 => form.host = (form.host + 1) % hosts,
        KeyCode::Backspace => {
            form.field_mut().pop();
        }
        KeyCode::Enter => submit(state, &mut form, fx),
        _ => {
            if let Some(c) = typed(key) {
                form.field_mut().push(c)
            }
        }
    }
    state.mode = Mode::Launch(form);
}

fn submit(state: &State, form: &mut LaunchForm, fx: &mut Vec<Effect>) {
    let request = match form.request() {
        Ok(r) => r,
        Err(e) => {
            form.error = Some(e);
            return;
        }
    };
    let connected = state
        .list
        .host(form.host)
        .is_some_and(|h| h.status == crate::state::hosts::HostStatus::Up);
    if !connected {
        form.error = Some("that host is not connected".into());
        return;
    }
    form.error = None;
    form.busy = true;
    form.progress = Some("checking the image…".into());
    fx.push(Effect::Launch {
        host: form.host,
        request,
    });
}
