//! The recordings picker (`Ctrl-a R`): the `.cast` files in the recordings
//! directory, newest first, to play one in a pane.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    pub path: PathBuf,
    pub bytes: u64,
    /// Unix seconds of the last write.
    pub modified: i64,
}

impl Recording {
    /// "5 minutes ago", as of now.
    pub fn ago(&self) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let age = std::time::Duration::from_secs((now - self.modified).max(0) as u64);
        format!("{} ago", dockyard_client::text::human_duration(age))
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecordingsPicker {
    /// None while the directory is being read.
    pub files: Option<Vec<Recording>>,
    pub error: Option<String>,
    pub selected: usize,
}

impl RecordingsPicker {
    pub fn set(&mut self, result: Result<Vec<Recording>, String>) {
        match result {
            Ok(mut files) => {
                files.sort_by(|a, b| b.modified.cmp(&a.modified).then(b.path.cmp(&a.path)));
                self.files = Some(files);
            }
            Err(e) => {
                self.files = Some(Vec::new());
                self.error = Some(e);
            }
        }
        self.selected = 0;
    }

    pub fn move_by(&mut self, delta: isize) {
        let n = self.files.as_ref().map_or(0, Vec::len);
        self.selected = super::sessions::moved(self.selected, delta, n);
    }

    pub fn selected(&self) -> Option<&Recording> {
        self.files.as_ref()?.get(self.selected)
    }
}
