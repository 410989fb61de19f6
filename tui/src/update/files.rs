//! The files view's keys and what it hears back: moving through a
//! container's directories, a file opened in a read-only pane, the save
//! and put prompts.

use crossterm::event::KeyEvent;

use super::dialogs::type_into;
use crate::input::{Action, Context};
use crate::msg::{Effect, FilesEvent};
use crate::state::files::{FilePrompt, FilesView, PromptKind};
use crate::state::panes::PaneKind;
use crate::state::{Mode, State};

/// Rows of entries the view shows (its frame, header and footer off).
pub fn rows(state: &State) -> usize {
    usize::from(state.area.height.saturating_sub(7)).max(1)
}

pub fn on_key(state: &mut State, key: KeyEvent, mut view: FilesView, fx: &mut Vec<Effect>) {
    if let Some(mut prompt) = view.prompt.take() {
        match state.keymap.action(Context::Prompt, key) {
            Some(Action::Submit) => submit(&mut view, prompt, fx),
            Some(Action::Cancel) => {}
            _ => {
                type_into(&mut prompt.text, key);
                view.prompt = Some(prompt);
            }
        }
        state.mode = Mode::Files(view);
        return;
    }
    let page = rows(state) as isize;
    let list = |view: &FilesView, path: String, select: Option<String>| Effect::ListPath {
        host: view.container.host,
        id: view.container.id.clone(),
        path,
        select,
    };
    match state.keymap.action(Context::FilesView, key) {
        Some(Action::Close) => return,
        Some(Action::Up) => view.move_by(-1),
        Some(Action::Down) => view.move_by(1),
        Some(Action::PageUp) => view.move_by(-page),
        Some(Action::PageDown) => view.move_by(page),
        Some(Action::First) => view.selected = 0,
        Some(Action::Last) => view.move_by(isize::MAX / 2),
        Some(Action::Parent) => {
            if let Some((up, name)) = view.parent() {
                view.enter(up.clone());
                fx.push(list(&view, up, Some(name)));
            }
        }
        Some(Action::Open) => {
            if let Some(entry) = view.selected_entry().cloned() {
                let path = view.path_of(&entry);
                // A link is entered too: where it points decides (the
                // agent lists a file as its stat alone, and it is opened).
                if FilesView::is_dir(&entry)
                    || entry.kind() == dockyard_client::pb::PathKind::Symlink
                {
                    view.enter(path.clone());
                    fx.push(list(&view, path, None));
                } else {
                    let (host, name) = (view.container.host, view.name.clone());
                    state.mode = Mode::Normal;
                    super::panes::open(state, host, name, PaneKind::File { path }, None, fx);
                    return;
                }
            }
        }
        Some(Action::Save) => {
            if let Some(entry) = view.selected_entry() {
                let source = view.path_of(entry);
                view.prompt = Some(FilePrompt {
                    kind: PromptKind::Save { source },
                    text: format!("./{}", entry.name),
                });
            }
        }
        Some(Action::Put) => {
            view.prompt = Some(FilePrompt {
                kind: PromptKind::Put,
                text: String::new(),
            });
        }
        _ => {}
    }
    view.follow(rows(state));
    state.mode = Mode::Files(view);
}

fn submit(view: &mut FilesView, prompt: FilePrompt, fx: &mut Vec<Effect>) {
    let text = prompt.text.trim().to_string();
    if text.is_empty() {
        return;
    }
    let (host, id) = (view.container.host, view.container.id.clone());
    view.error = None;
    match prompt.kind {
        PromptKind::Save { source } => {
            view.status = Some(format!("saving {source} to {text}…"));
            fx.push(Effect::SaveFile {
                host,
                id,
                source,
                to: text,
            });
        }
        PromptKind::Put => {
            view.status = Some(format!("putting {text} into {}…", view.path));
            fx.push(Effect::PutFile {
                host,
                id,
                from: text,
                dir: view.path.clone(),
            });
        }
    }
}

pub fn on_event(state: &mut State, ev: FilesEvent, fx: &mut Vec<Effect>) {
    let Mode::Files(view) = &mut state.mode else {
        // The view was closed: a copy's end still says how it went.
        if let FilesEvent::Copy {
            text,
            done: true,
            error,
        } = ev
        {
            state.notice = Some(crate::state::Notice { text, error });
        }
        return;
    };
    match ev {
        FilesEvent::Listed {
            path,
            result,
            select,
        } => match result {
            // A link that names a file: opened as a file, as a file is.
            Ok(None) if path == view.path => {
                let (host, name) = (view.container.host, view.name.clone());
                state.mode = Mode::Normal;
                super::panes::open(state, host, name, PaneKind::File { path }, None, fx);
            }
            Ok(None) => {}
            Ok(Some(listing)) => {
                view.listed(&path, Ok(listing), select.as_deref());
                // The entry come back to is shown, however far down.
                let rows = rows(state);
                if let Mode::Files(view) = &mut state.mode {
                    view.follow(rows);
                }
            }
            Err(e) => view.listed(&path, Err(e), None),
        },
        FilesEvent::Copy { text, done, error } => {
            if error {
                view.error = Some(text);
                view.status = None;
            } else {
                view.status = Some(text);
            }
            if done && !error {
                // What was put is listed.
                let (path, name) = (
                    view.path.clone(),
                    view.selected_entry().map(|e| e.name.clone()),
                );
                view.enter(path.clone());
                fx.push(Effect::ListPath {
                    host: view.container.host,
                    id: view.container.id.clone(),
                    path,
                    select: name,
                });
            }
        }
    }
}
