//! The forward prompt (which port of the selected container) and the
//! forwards' view (what each carried; `x` stops one).

use crossterm::event::KeyEvent;

use super::dialogs::type_into;
use crate::input::{Action, Context};
use crate::msg::Effect;
use crate::state::hosts::ContainerKey;
use crate::state::{Mode, Notice, State};
use dockyard_client::forward::PortSpec;

pub fn on_prompt_key(
    state: &mut State,
    key: KeyEvent,
    container: ContainerKey,
    name: String,
    mut text: String,
    fx: &mut Vec<Effect>,
) {
    match state.keymap.action(Context::Prompt, key) {
        Some(Action::Cancel) => {}
        Some(Action::Submit) => match text.trim().parse::<PortSpec>() {
            Ok(spec) => {
                let spec_text = text.trim().to_string();
                let id = state.forwards.add(
                    container.host,
                    name.clone(),
                    spec_text.clone(),
                    spec.remote,
                );
                fx.push(Effect::StartForward {
                    id,
                    host: container.host,
                    container: name,
                    spec: spec_text,
                    toolbox: state.debug_image.clone(),
                });
                // The forwards, to see where it listens.
                state.mode = Mode::Forwards(state.forwards.rows.len() - 1);
            }
            Err(e) => {
                state.mode = Mode::ForwardPrompt {
                    container,
                    name,
                    text,
                    error: Some(e),
                }
            }
        },
        _ => {
            type_into(&mut text, key);
            state.mode = Mode::ForwardPrompt {
                container,
                name,
                text,
                error: None,
            };
        }
    }
}

pub fn on_view_key(state: &mut State, key: KeyEvent, selected: usize, fx: &mut Vec<Effect>) {
    let last = state.forwards.rows.len().saturating_sub(1);
    let selected = match state.keymap.action(Context::ForwardsView, key) {
        Some(Action::Close) => return,
        Some(Action::Up) => selected.saturating_sub(1),
        Some(Action::Down) => (selected + 1).min(last),
        Some(Action::StopForward) => {
            if let Some(row) = state.forwards.rows.get(selected) {
                let id = row.id;
                state.notice = Some(Notice {
                    text: format!("stopped forwarding {} {}", row.container, row.spec),
                    error: false,
                });
                state.forwards.remove(id);
                fx.push(Effect::StopForward { id });
            }
            selected.min(state.forwards.rows.len().saturating_sub(1))
        }
        _ => selected,
    };
    state.mode = Mode::Forwards(selected);
}
