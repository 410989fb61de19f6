//! The sessions picker (`Ctrl-a S`): the sessions every connected host
//! keeps for this identity, to attach one into a pane or end it; and what
//! quitting does with the sessions of open panes.

use dockyard_client::pb::SessionInfo;

/// What quitting does with the panes' sessions on remote agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnQuit {
    /// Ask each time there are any (the default).
    #[default]
    Ask,
    /// Leave them running and restore the panes next time.
    Keep,
    /// End them, as closing each pane would.
    End,
}

impl std::str::FromStr for OnQuit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ask" => Ok(OnQuit::Ask),
            "keep" => Ok(OnQuit::Keep),
            "end" => Ok(OnQuit::End),
            _ => Err(format!("'{s}': expected ask, keep or end")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionsPicker {
    /// (host, session), detached ones first, then by host.
    pub rows: Vec<(usize, SessionInfo)>,
    /// Hosts not heard from yet.
    pub waiting: usize,
    /// Hosts that could not be asked, with why.
    pub errors: Vec<String>,
    pub selected: usize,
    /// `x` was pressed on the selected row: the next `y` ends it.
    pub confirm_end: bool,
}

impl SessionsPicker {
    pub fn new(hosts: usize) -> Self {
        SessionsPicker {
            waiting: hosts,
            ..Default::default()
        }
    }

    pub fn add(&mut self, host: usize, label: &str, result: Result<Vec<SessionInfo>, String>) {
        self.waiting = self.waiting.saturating_sub(1);
        match result {
            Ok(list) => self.rows.extend(list.into_iter().map(|s| (host, s))),
            Err(e) => self.errors.push(format!("{label}: {e}")),
        }
        self.rows
            .sort_by_key(|(h, s)| (s.clients > 0, *h, s.created, s.id.clone()));
    }

    pub fn selected(&self) -> Option<&(usize, SessionInfo)> {
        self.rows.get(self.selected)
    }

    pub fn move_by(&mut self, delta: isize) {
        self.selected = moved(self.selected, delta, self.rows.len());
        self.confirm_end = false;
    }

    /// The selected session was ended: it leaves the list.
    pub fn remove_selected(&mut self) {
        if self.selected < self.rows.len() {
            self.rows.remove(self.selected);
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        self.confirm_end = false;
    }
}

/// A picker's selection moved by `delta` rows among `len`, kept on a row.
pub fn moved(selected: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    (selected as isize + delta).clamp(0, len as isize - 1) as usize
}
