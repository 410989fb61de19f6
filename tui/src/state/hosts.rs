//! The hosts the UI shows and what it knows of each: reachable or not,
//! and its containers, typed on arrival.

use dockyard_client::container::ContainerState;
use dockyard_client::pb::ContainerInfo;
use dockyard_client::text::ports_text;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostStatus {
    Connecting,
    Up,
    Down {
        reason: String,
        retry_in: u64,
        engine_down: bool,
    },
}

/// How the TUI reaches a host's engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reach {
    /// Through an agent elsewhere, whose sessions outlive this process.
    #[default]
    Remote,
    /// Through the agent embedded in this process (`local`): its sessions
    /// end with the TUI.
    Embedded,
}

/// A host as the user named it, and how it is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostName {
    pub label: String,
    pub reach: Reach,
}

impl From<&str> for HostName {
    /// A remote agent's name.
    fn from(label: &str) -> Self {
        HostName {
            label: label.to_string(),
            reach: Reach::Remote,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Host {
    pub label: String,
    pub reach: Reach,
    pub status: HostStatus,
    pub containers: Vec<Container>,
    /// Nodes of its cluster that do not answer, and why.
    pub nodes_down: Vec<(String, String)>,
}

impl Host {
    pub fn new(name: HostName) -> Self {
        Host {
            label: name.label,
            reach: name.reach,
            status: HostStatus::Connecting,
            containers: Vec::new(),
            nodes_down: Vec::new(),
        }
    }

    pub fn is_down(&self) -> bool {
        matches!(self.status, HostStatus::Down { .. })
    }
}

/// A container as the list shows it. Text is the engine's, unescaped:
/// drawing escapes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub image: String,
    pub state: ContainerState,
    /// The engine's words, e.g. "Up 3 minutes", as listed: see
    /// [`status_at`](Self::status_at).
    pub status: String,
    /// How old its state was when listed (when the agent says), and when
    /// that was: the status's age goes on from there.
    pub state_age: Option<(std::time::Duration, std::time::Instant)>,
    pub created: i64,
    /// Already escaped (`ports_text`).
    pub ports: String,
    /// The node of a cluster it runs on (empty: a host that is no
    /// cluster's entry).
    pub node: String,
}

impl From<ContainerInfo> for Container {
    fn from(c: ContainerInfo) -> Self {
        Container {
            ports: ports_text(&c.ports),
            state: ContainerState::parse(&c.state),
            id: c.id,
            name: c.name,
            image: c.image,
            status: c.status,
            state_age: c.state_age_ms.map(|ms| {
                (
                    std::time::Duration::from_millis(ms),
                    std::time::Instant::now(),
                )
            }),
            created: c.created,
            node: c.node,
        }
    }
}

impl Container {
    /// The status as of `now`: "Up Less than a second" becomes "Up 2
    /// minutes" as time passes, as `docker ps` would word it then.
    pub fn status_at(&self, now: std::time::Instant) -> String {
        match self.state_age {
            Some((age, listed)) => {
                let later = age + now.saturating_duration_since(listed);
                dockyard_client::age::aged_status(&self.status, age, later)
            }
            None => self.status.clone(),
        }
    }
}

/// A container's identity across list updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerKey {
    pub host: usize,
    pub id: String,
}
