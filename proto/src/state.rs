//! A container's state as a type rather than the engine's word for it,
//! so code asks `is_running()` instead of comparing strings. The wire
//! carries the engine's word (`ContainerInfo.state`, as docker prints
//! it); this is the one place that reads it, for the agent and clients
//! alike.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContainerState {
    Running,
    Paused,
    Restarting,
    Created,
    Removing,
    Exited,
    Dead,
    /// A word this version does not know, kept as the engine said it.
    Other(String),
}

impl ContainerState {
    pub fn parse(s: &str) -> Self {
        match s {
            "running" => Self::Running,
            "paused" => Self::Paused,
            "restarting" => Self::Restarting,
            "created" => Self::Created,
            "removing" => Self::Removing,
            "exited" => Self::Exited,
            "dead" => Self::Dead,
            other => Self::Other(other.to_string()),
        }
    }

    pub fn is_running(&self) -> bool {
        *self == Self::Running
    }

    /// What `docker ps` lists without `-a`: running, paused or restarting.
    pub fn is_up(&self) -> bool {
        matches!(self, Self::Running | Self::Paused | Self::Restarting)
    }

    /// Every word the engine uses, in the order docker lists them.
    pub const WORDS: [&'static str; 7] = [
        "created",
        "restarting",
        "running",
        "removing",
        "paused",
        "exited",
        "dead",
    ];

    /// A word the engine uses for a state (what `status=` may name).
    pub fn known(word: &str) -> Option<Self> {
        Some(Self::parse(word)).filter(|s| !matches!(s, Self::Other(_)))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Restarting => "restarting",
            Self::Created => "created",
            Self::Removing => "removing",
            Self::Exited => "exited",
            Self::Dead => "dead",
            Self::Other(s) => s,
        }
    }
}

/// The engine's word; an unknown one may hold anything, so escape it
/// (`text::printable`) before showing it.
impl fmt::Display for ContainerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for s in [
            "running",
            "paused",
            "restarting",
            "created",
            "removing",
            "exited",
            "dead",
            "weird",
        ] {
            assert_eq!(ContainerState::parse(s).as_str(), s);
        }
        assert!(ContainerState::parse("running").is_running());
        assert!(!ContainerState::parse("Running").is_running());
        for w in ContainerState::WORDS {
            assert_eq!(
                ContainerState::known(w).map(|s| s.to_string()),
                Some(w.into())
            );
        }
        assert_eq!(ContainerState::known("weird"), None);
    }
}
