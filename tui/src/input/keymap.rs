//! Every key binding, as data: which key does what, in which context,
//! with the words the help, the status-line hints and docs/keys.md's key
//! tables are all generated from. Bindings can be overridden (the config
//! file's `[keys.CONTEXT]` tables); a bad one is a one-line error naming
//! the key.
//!
//! Dialogs and pickers have contexts of their own, so their keys are
//! bound, shown and rebound like every other key; what a form or a
//! prompt does not bind is typed into it.

use crossterm::event::KeyEvent;

use crate::input::keyspec::{self, display, normalize};
use defaults::DEFAULTS;

/// The default bindings (data only).
mod defaults;

/// Where a key press lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// The container list has the focus.
    List,
    /// The key after the leader.
    Leader,
    /// A live pane has the focus: keys not bound here go to the program.
    Pane,
    /// The focused pane's session has ended.
    EndedPane,
    /// A logs pane has the focus (it takes no typing, so plain keys are
    /// free).
    LogsPane,
    /// A pane playing a recording.
    ReplayPane,
    /// A pane in copy mode (`Ctrl-a [`, or a mouse drag).
    Copy,
    /// The launch and command forms (other keys are typed in).
    Form,
    /// The filter and search prompts (other keys are typed in).
    Prompt,
    /// A yes/no question before stopping, killing or removing.
    Confirm,
    /// The question quitting asks when remote sessions run.
    QuitDialog,
    /// The inspect view.
    InspectView,
    /// The sessions and recordings pickers.
    Picker,
    /// The files view.
    FilesView,
    /// The port forwards' view.
    ForwardsView,
}

impl Context {
    pub const ALL: [Context; 15] = [
        Context::List,
        Context::Leader,
        Context::Pane,
        Context::EndedPane,
        Context::LogsPane,
        Context::ReplayPane,
        Context::Copy,
        Context::Form,
        Context::Prompt,
        Context::Confirm,
        Context::QuitDialog,
        Context::InspectView,
        Context::Picker,
        Context::FilesView,
        Context::ForwardsView,
    ];

    /// The name in the config file (`[keys.list]`).
    pub fn name(self) -> &'static str {
        match self {
            Context::List => "list",
            Context::Leader => "leader",
            Context::Pane => "pane",
            Context::EndedPane => "ended_pane",
            Context::LogsPane => "logs_pane",
            Context::ReplayPane => "replay_pane",
            Context::Copy => "copy_mode",
            Context::Form => "form",
            Context::Prompt => "prompt",
            Context::Confirm => "confirm",
            Context::QuitDialog => "quit_dialog",
            Context::InspectView => "inspect",
            Context::Picker => "picker",
            Context::FilesView => "files",
            Context::ForwardsView => "forwards",
        }
    }
}

macro_rules! actions {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// What a key asks for. `update` gives each its meaning.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($variant),* }

        impl Action {
            /// The name in the config file.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name),* }
            }
        }
    };
}

actions! {
    Up => "up",
    Down => "down",
    PageUp => "page_up",
    PageDown => "page_down",
    First => "first",
    Last => "last",
    Open => "open",
    OpenBeside => "open_beside",
    Debug => "debug",
    OpenBelow => "open_below",
    Filter => "filter",
    ClearFilter => "clear_filter",
    Sort => "sort",
    ToggleAll => "toggle_all",
    Launch => "launch",
    Stop => "stop",
    Remove => "remove",
    Logs => "logs",
    Mark => "mark",
    MarkShown => "mark_shown",
    Broadcast => "broadcast",
    Inspect => "inspect",
    Stats => "stats",
    Exec => "exec",
    Restart => "restart",
    Pause => "pause",
    Kill => "kill",
    FocusPanes => "focus_panes",
    Help => "help",
    Quit => "quit",
    FocusList => "focus_list",
    FocusLeft => "focus_left",
    FocusRight => "focus_right",
    FocusUp => "focus_up",
    FocusDown => "focus_down",
    NextPane => "next_pane",
    PrevPane => "prev_pane",
    SplitBeside => "split_beside",
    SplitBelow => "split_below",
    Zoom => "zoom",
    ClosePane => "close_pane",
    DetachPane => "detach_pane",
    Record => "record",
    Recordings => "recordings",
    PlayPause => "play_pause",
    SeekBack => "seek_back",
    SeekForward => "seek_forward",
    Faster => "faster",
    Slower => "slower",
    Sessions => "sessions",
    ScrollBack => "scroll_back",
    ScrollUp => "scroll_up",
    ScrollDown => "scroll_down",
    LineUp => "line_up",
    LineDown => "line_down",
    Top => "top",
    Bottom => "bottom",
    Timestamps => "timestamps",
    Search => "search",
    SearchNext => "search_next",
    SearchPrev => "search_prev",
    SearchBack => "search_back",
    CopyMode => "copy_mode",
    Paste => "paste",
    Left => "left",
    Right => "right",
    WordNext => "word_next",
    WordPrev => "word_prev",
    WordEnd => "word_end",
    LineStart => "line_start",
    LineIndent => "line_indent",
    LineEnd => "line_end",
    HalfPageUp => "half_page_up",
    HalfPageDown => "half_page_down",
    SelectChars => "select_chars",
    SelectLines => "select_lines",
    SelectBlock => "select_block",
    CopySelection => "copy",
    LeaveCopy => "leave",
    ClearSelection => "clear_selection",
    NextField => "next_field",
    PrevField => "prev_field",
    PrevHost => "prev_host",
    NextHost => "next_host",
    Submit => "submit",
    Cancel => "cancel",
    Yes => "yes",
    KeepSessions => "keep_sessions",
    EndSessions => "end_sessions",
    ToggleRaw => "toggle_raw",
    Close => "close",
    EndSession => "end_session",
    Files => "files",
    Parent => "parent",
    Save => "save",
    Put => "put",
    Forward => "forward",
    Forwards => "forwards",
    StopForward => "stop_forward",
}

/// One binding: an action in a context, its keys, what the help says of
/// it and (for the status line) a short hint.
#[derive(Debug, Clone)]
pub struct Binding {
    pub context: Context,
    pub action: Action,
    pub keys: Vec<KeyEvent>,
    pub help: &'static str,
    pub hint: Option<&'static str>,
}

type Default = (
    Context,
    Action,
    &'static [&'static str],
    &'static str,
    Option<&'static str>,
);

/// A user's replacement for the keys of one action in one context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub context: String,
    pub action: String,
    pub keys: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Keymap {
    leader: KeyEvent,
    bindings: Vec<Binding>,
}

/// The leader: a Ctrl combination, so it never shadows typed text.
pub fn parse_leader(spec: &str) -> Result<KeyEvent, String> {
    let key = keyspec::parse(spec)?;
    if key.modifiers != crossterm::event::KeyModifiers::CONTROL {
        return Err(format!(
            "invalid leader key '{}': use ctrl-<letter>",
            spec.escape_debug()
        ));
    }
    Ok(key)
}

impl Keymap {
    /// The default bindings under this leader.
    pub fn new(leader: KeyEvent) -> Self {
        let bindings = DEFAULTS
            .iter()
            .map(|(context, action, keys, help, hint)| Binding {
                context: *context,
                action: *action,
                keys: keys
                    .iter()
                    .map(|k| keyspec::parse(k).unwrap_or_else(|e| panic!("default key: {e}")))
                    .collect(),
                help,
                hint: *hint,
            })
            .collect();
        Keymap { leader, bindings }
    }

    /// The defaults with the user's overrides applied and checked.
    pub fn with_overrides(leader: KeyEvent, overrides: &[Override]) -> Result<Self, String> {
        let mut map = Keymap::new(leader);
        for o in overrides {
            map.apply(o)?;
        }
        map.check()?;
        Ok(map)
    }

    fn apply(&mut self, o: &Override) -> Result<(), String> {
        let at = format!("keys.{}.{}", o.context, o.action);
        let context = Context::ALL
            .into_iter()
            .find(|c| c.name() == o.context)
            .ok_or_else(|| {
                let names: Vec<&str> = Context::ALL.iter().map(|c| c.name()).collect();
                format!(
                    "keys.{}: no such context (use {})",
                    o.context,
                    names.join(", ")
                )
            })?;
        let binding = self
            .bindings
            .iter_mut()
            .find(|b| b.context == context && b.action.name() == o.action)
            .ok_or_else(|| format!("{at}: no such action in {}", o.context))?;
        if o.keys.is_empty() {
            return Err(format!("{at}: give at least one key"));
        }
        binding.keys = o
            .keys
            .iter()
            .map(|k| keyspec::parse(k).map_err(|e| format!("{at}: {e}")))
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    /// No key may mean two things in one context, or be the leader.
    fn check(&self) -> Result<(), String> {
        for context in Context::ALL {
            let mut seen: Vec<(KeyEvent, Action)> = Vec::new();
            for b in self.bindings.iter().filter(|b| b.context == context) {
                for &k in &b.keys {
                    if k == self.leader && context != Context::Leader {
                        return Err(format!(
                            "keys.{}.{}: '{}' is the leader",
                            context.name(),
                            b.action.name(),
                            display(k)
                        ));
                    }
                    if let Some((_, other)) = seen.iter().find(|(s, _)| *s == k) {
                        return Err(format!(
                            "keys.{}: '{}' is bound to both {} and {}",
                            context.name(),
                            display(k),
                            other.name(),
                            b.action.name()
                        ));
                    }
                    seen.push((k, b.action));
                }
            }
        }
        Ok(())
    }

    pub fn leader(&self) -> KeyEvent {
        self.leader
    }

    pub fn is_leader(&self, key: KeyEvent) -> bool {
        normalize(key) == self.leader
    }

    /// The action a key press means in a context, if any.
    pub fn action(&self, context: Context, key: KeyEvent) -> Option<Action> {
        let key = normalize(key);
        self.bindings
            .iter()
            .find(|b| b.context == context && b.keys.contains(&key))
            .map(|b| b.action)
    }

    pub fn bindings(&self, context: Context) -> impl Iterator<Item = &Binding> {
        self.bindings.iter().filter(move |b| b.context == context)
    }

    /// Every key of an action, as shown, joined by `/` ("y/Y/Enter").
    pub fn keys_for(&self, context: Context, action: Action) -> String {
        self.bindings(context)
            .find(|b| b.action == action)
            .map(|b| {
                b.keys
                    .iter()
                    .map(|k| display(*k))
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default()
    }

    /// The first key of an action, as shown ("?" for help).
    pub fn key_for(&self, context: Context, action: Action) -> Option<String> {
        self.bindings(context)
            .find(|b| b.action == action)
            .and_then(|b| b.keys.first())
            .map(|k| display(*k))
    }

    /// The status line's hints for a context: "c list · ← → ↑ ↓ move ·
    /// ...", bindings with the same hint sharing it.
    pub fn hints(&self, context: Context) -> String {
        let mut groups: Vec<(Vec<String>, &str)> = Vec::new();
        for b in self.bindings(context) {
            let (Some(hint), Some(key)) = (b.hint, b.keys.first()) else {
                continue;
            };
            match groups.last_mut() {
                Some((keys, h)) if *h == hint => keys.push(display(*key)),
                _ => groups.push((vec![display(*key)], hint)),
            }
        }
        groups
            .iter()
            .map(|(keys, hint)| format!("{} {hint}", keys.join(" ")))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// The help's sections: a title and (keys, what they do) rows.
    pub fn help_sections(&self) -> Vec<(String, Vec<(String, String)>)> {
        let leader = display(self.leader);
        Context::ALL
            .into_iter()
            .map(|context| {
                let mut rows: Vec<(String, String)> = self
                    .bindings(context)
                    .map(|b| {
                        let keys: Vec<String> = b.keys.iter().map(|k| display(*k)).collect();
                        (keys.join(" "), b.help.to_string())
                    })
                    .collect();
                if context == Context::Leader {
                    rows.push((leader.clone(), format!("send a literal {leader}")));
                }
                (section_title(context, &leader), rows)
            })
            .collect()
    }

    /// The key tables of docs/keys.md, one per context.
    pub fn markdown(&self) -> String {
        let leader = display(self.leader);
        let mut out = String::new();
        for (context, (_, rows)) in Context::ALL.into_iter().zip(self.help_sections()) {
            let heading = match context {
                Context::List => "in the container list".to_string(),
                Context::Leader => format!("after the leader (`{leader}`)"),
                Context::Pane => "in a pane (other keys go to the program)".to_string(),
                Context::EndedPane => "in a pane whose session ended".to_string(),
                Context::LogsPane => "in a logs pane".to_string(),
                Context::ReplayPane => "in a replay pane".to_string(),
                Context::Copy => "in copy mode".to_string(),
                Context::Form => {
                    "in the launch and command forms (other keys are typed)".to_string()
                }
                Context::Prompt => {
                    "in the filter and search prompts (other keys are typed)".to_string()
                }
                Context::Confirm => "when asked to confirm".to_string(),
                Context::QuitDialog => "when quitting asks about remote sessions".to_string(),
                Context::InspectView => "in the inspect view".to_string(),
                Context::Picker => "in the sessions and recordings pickers".to_string(),
                Context::ForwardsView => "in the port forwards' view".to_string(),
                Context::FilesView => {
                    "in the files view (its save and put prompts take the prompt's keys)"
                        .to_string()
                }
            };
            out.push_str(&format!("| keys | {heading} |\n|---|---|\n"));
            for (keys, help) in rows {
                let keys: Vec<String> = keys
                    .split(' ')
                    .map(|k| format!("`{}`", k.replace('|', "\\|")))
                    .collect();
                out.push_str(&format!("| {} | {help} |\n", keys.join(" ")));
            }
            out.push('\n');
        }
        out.pop();
        out
    }
}

fn section_title(context: Context, leader: &str) -> String {
    match context {
        Context::List => "Container list".into(),
        Context::Leader => format!("Leader ({leader}), then"),
        Context::Pane => "In a pane".into(),
        Context::EndedPane => "In an ended pane".into(),
        Context::LogsPane => "In a logs pane".into(),
        Context::ReplayPane => "In a replay pane".into(),
        Context::Copy => "In copy mode".into(),
        Context::Form => "In a form".into(),
        Context::Prompt => "In a prompt".into(),
        Context::Confirm => "Confirming".into(),
        Context::QuitDialog => "Quitting with sessions".into(),
        Context::InspectView => "In the inspect view".into(),
        Context::Picker => "In a picker".into(),
        Context::FilesView => "In the files view".into(),
        Context::ForwardsView => "In the forwards".into(),
    }
}

#[cfg(test)]
mod tests;
