//! The files view: a container's directories browsed through the agent
//! (`ListPath`: nothing runs in the container, so it works on a shell-less
//! or stopped one), a file opened in a read-only pane, a file or
//! directory saved to this machine, a local file put into the container.

use dockyard_client::copy::rules;
use dockyard_client::pb::{PathEntry, PathKind};

use super::hosts::ContainerKey;

#[derive(Debug, Clone, PartialEq)]
pub struct FilesView {
    pub container: ContainerKey,
    pub name: String,
    /// The directory shown (absolute, clean).
    pub path: String,
    /// By name, directories and files together as `ls` lists them.
    pub entries: Vec<PathEntry>,
    pub selected: usize,
    /// The first entry shown.
    pub scroll: usize,
    /// Waiting for the agent's listing of `path`.
    pub loading: bool,
    /// More entries than the agent lists.
    pub truncated: bool,
    /// The listing failed, or a copy did: the agent's words.
    pub error: Option<String>,
    /// What a copy is doing, or did ("saved 12.3 MB to ./x").
    pub status: Option<String>,
    pub prompt: Option<FilePrompt>,
}

/// A path being typed: where to save the selected entry, or which local
/// file to put into the directory shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePrompt {
    pub kind: PromptKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// Save this container path to the typed local path.
    Save { source: String },
    /// Put the typed local path into the directory shown.
    Put,
}

impl FilesView {
    /// The root of `name`'s filesystem, its listing asked for.
    pub fn new(container: ContainerKey, name: String) -> Self {
        FilesView {
            container,
            name,
            path: "/".into(),
            entries: Vec::new(),
            selected: 0,
            scroll: 0,
            loading: true,
            truncated: false,
            error: None,
            status: None,
            prompt: None,
        }
    }

    /// Entry `i`'s path in the container.
    pub fn path_of(&self, entry: &PathEntry) -> String {
        rules::join(&self.path, &entry.name)
    }

    pub fn selected_entry(&self) -> Option<&PathEntry> {
        self.entries.get(self.selected)
    }

    /// The listing of `path` arrived (or failed). A listing of another
    /// path than the one asked for last is stale and dropped.
    pub fn listed(
        &mut self,
        path: &str,
        result: Result<(Vec<PathEntry>, bool), String>,
        select: Option<&str>,
    ) {
        if path != self.path {
            return;
        }
        self.loading = false;
        match result {
            Ok((entries, truncated)) => {
                self.entries = entries;
                self.truncated = truncated;
                self.error = None;
                self.selected = select
                    .and_then(|n| self.entries.iter().position(|e| e.name == n))
                    .unwrap_or(0);
                self.scroll = 0;
            }
            Err(e) => {
                self.entries.clear();
                self.error = Some(e);
            }
        }
    }

    /// Goes into `path` (its listing is then asked for).
    pub fn enter(&mut self, path: String) {
        self.path = path;
        self.entries.clear();
        self.selected = 0;
        self.scroll = 0;
        self.loading = true;
        self.error = None;
    }

    /// The directory above, and the name to select in it.
    pub fn parent(&self) -> Option<(String, String)> {
        if self.path == "/" {
            return None;
        }
        Some((rules::dir(&self.path), rules::base(&self.path)))
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.entries.is_empty() {
            return;
        }
        let last = self.entries.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Keeps the selection within `rows` shown rows.
    pub fn follow(&mut self, rows: usize) {
        let rows = rows.max(1);
        if self.selected < self.scroll {
            self.scroll = self.selected;
        } else if self.selected >= self.scroll + rows {
            self.scroll = self.selected + 1 - rows;
        }
    }

    /// Whether Enter on the entry goes into it (a directory, or a link
    /// the agent will tell about when asked).
    pub fn is_dir(entry: &PathEntry) -> bool {
        entry.kind() == PathKind::Dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, kind: PathKind) -> PathEntry {
        PathEntry {
            name: name.into(),
            kind: kind.into(),
            ..Default::default()
        }
    }

    #[test]
    fn browsing_keeps_its_place() {
        let key = ContainerKey {
            host: 0,
            id: "c".into(),
        };
        let mut v = FilesView::new(key, "web".into());
        v.listed(
            "/",
            Ok((
                vec![entry("app", PathKind::Dir), entry("bin", PathKind::Dir)],
                false,
            )),
            None,
        );
        v.move_by(1);
        let into = v.path_of(v.selected_entry().expect("bin"));
        assert_eq!(into, "/bin");
        v.enter(into);
        // A late answer for the old directory is dropped.
        v.listed("/", Ok((vec![], false)), None);
        assert!(v.loading);
        v.listed("/bin", Ok((vec![entry("sh", PathKind::File)], false)), None);
        let (up, name) = v.parent().expect("a parent");
        assert_eq!((up.as_str(), name.as_str()), ("/", "bin"));
        v.enter(up);
        v.listed(
            "/",
            Ok((
                vec![entry("app", PathKind::Dir), entry("bin", PathKind::Dir)],
                false,
            )),
            Some("bin"),
        );
        assert_eq!(v.selected, 1);
        assert!(v.parent().is_none());
    }
}
