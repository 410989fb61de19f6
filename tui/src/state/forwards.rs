//! The port forwards started from the TUI (`F` on the list): each one a
//! set of local listeners whose connections reach a container's port
//! (`client::forward`, as `dockyard port-forward`), with what they carried.
//! They end with the TUI.

/// One forward, as the forwards view lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardRow {
    pub id: u32,
    pub host: usize,
    pub container: String,
    /// As typed (`8080:80`, `:80`).
    pub spec: String,
    /// The container's port.
    pub remote: u16,
    /// Where it listens (`127.0.0.1:8080`, `[::1]:8080`); empty while
    /// starting.
    pub listening: Vec<String>,
    /// Connections being carried, and carried in all.
    pub open: u32,
    pub total: u32,
    /// Bytes to the container's port and back (told every half second
    /// while a connection lasts).
    pub sent: u64,
    pub received: u64,
    /// Why it could not start, or why its last connection was refused.
    pub error: Option<String>,
    /// It could not start (nothing listens).
    pub failed: bool,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Forwards {
    pub rows: Vec<ForwardRow>,
    next: u32,
}

/// What a forward's task reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForwardNews {
    Listening(Vec<String>),
    Failed(String),
    Opened,
    Moved { sent: u64, received: u64 },
    Closed { refused: Option<String> },
}

impl Forwards {
    /// A new forward, starting; its id.
    pub fn add(&mut self, host: usize, container: String, spec: String, remote: u16) -> u32 {
        self.next += 1;
        let id = self.next;
        self.rows.push(ForwardRow {
            id,
            host,
            container,
            spec,
            remote,
            listening: Vec::new(),
            open: 0,
            total: 0,
            sent: 0,
            received: 0,
            error: None,
            failed: false,
        });
        id
    }

    pub fn remove(&mut self, id: u32) {
        self.rows.retain(|r| r.id != id);
    }

    pub fn hear(&mut self, id: u32, news: ForwardNews) {
        let Some(r) = self.rows.iter_mut().find(|r| r.id == id) else {
            return;
        };
        match news {
            ForwardNews::Listening(at) => r.listening = at,
            ForwardNews::Failed(e) => {
                r.error = Some(e);
                r.failed = true;
            }
            ForwardNews::Opened => {
                r.open += 1;
                r.total += 1;
            }
            ForwardNews::Moved { sent, received } => {
                r.sent += sent;
                r.received += received;
            }
            ForwardNews::Closed { refused } => {
                r.open = r.open.saturating_sub(1);
                if refused.is_some() {
                    r.error = refused;
                }
            }
        }
    }
}
