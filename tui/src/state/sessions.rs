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

    /// A host's sessions, first or again (the picker asks every few
    /// seconds while open, so IDLE and STATE follow): they replace what
    /// that host said before, and the selection stays on its session.
    pub fn add(&mut self, host: usize, label: &str, result: Result<Vec<SessionInfo>, String>) {
        self.waiting = self.waiting.saturating_sub(1);
        let selected = self.selected().map(|(h, s)| (*h, s.id.clone()));
        let error_prefix = format!("{label}: ");
        self.errors.retain(|e| !e.starts_with(&error_prefix));
        match result {
            Ok(list) => {
                self.rows.retain(|(h, _)| *h != host);
                self.rows.extend(list.into_iter().map(|s| (host, s)));
            }
            Err(e) => self.errors.push(format!("{error_prefix}{e}")),
        }
        self.rows
            .sort_by_key(|(h, s)| (s.clients > 0, *h, s.created, s.id.clone()));
        if let Some((h, id)) = selected
            && let Some(i) = self.rows.iter().position(|(rh, s)| *rh == h && s.id == id)
        {
            self.selected = i;
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str, idle_seconds: u64) -> SessionInfo {
        SessionInfo {
            id: id.into(),
            idle_seconds,
            ..Default::default()
        }
    }

    #[test]
    fn asking_again_replaces_a_hosts_rows_and_keeps_the_selection() {
        let mut p = SessionsPicker::new(2);
        p.add(0, "h0", Ok(vec![session("a", 5), session("b", 9)]));
        p.add(1, "h1", Err("unreachable".into()));
        p.move_by(1);
        assert_eq!(p.selected().map(|(_, s)| s.id.as_str()), Some("b"));
        // Asked again: h0's figures are new, "a" is gone, h1 answers now.
        p.add(0, "h0", Ok(vec![session("b", 12)]));
        p.add(1, "h1", Ok(vec![session("c", 1)]));
        let ids: Vec<(usize, &str, u64)> = p
            .rows
            .iter()
            .map(|(h, s)| (*h, s.id.as_str(), s.idle_seconds))
            .collect();
        assert_eq!(ids, [(0, "b", 12), (1, "c", 1)]);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.selected().map(|(_, s)| s.id.as_str()), Some("b"));
    }
}
