//! The config file: `$DOCKYARD_CONFIG`, else
//! `$XDG_CONFIG_HOME/dockyard/config.toml` (`~/.config/dockyard/...`).
//! Flags and environment variables win over it.
//!
//! ```toml
//! leader = "ctrl-b"            # the TUI's leader key
//! hosts = ["local", "h1", "h2:7000"]   # used when no --host is given
//! token = "..."                # for every remote agent, or per host:
//! tokens = { "h2:7000" = "..." }
//! tls_ca = "/etc/dockyard/ca.pem"       # trust agents' certificates
//! on_quit = "ask"              # TUI quit with sessions open: ask, keep, end
//! history_limit = 10000        # lines of history per TUI pane
//! history_bytes = "8M"         # and at most this much of it
//!
//! [keys.list]                  # rebind the TUI's keys, per context:
//! stop = "x"                   # any context: list, leader, pane, form, picker...
//! [keys.leader]
//! zoom = ["f", "z"]
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub leader: Option<String>,
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Bearer token for every remote agent, unless `tokens` names one.
    pub token: Option<String>,
    /// Per-host tokens, keyed as the host is written in `hosts`/--host.
    #[serde(default)]
    pub tokens: std::collections::HashMap<String, String>,
    pub tls_ca: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// What quitting the TUI does with sessions on remote agents: "ask"
    /// (default), "keep" (and restore the panes next time) or "end".
    pub on_quit: Option<String>,
    /// Lines of history each TUI pane keeps.
    pub history_limit: Option<usize>,
    /// Bytes of history each TUI pane keeps at most (`8M`, or a number).
    pub history_bytes: Option<Size>,
    /// The toolbox image of debug shells (`dockyard debug`, the TUI).
    pub debug_image: Option<String>,
    /// `[keys.CONTEXT] action = "key"` or `["key", ...]`.
    #[serde(default)]
    pub keys: BTreeMap<String, BTreeMap<String, KeyList>>,
}

/// A size: a number of bytes, or text with a unit (`8M`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Size {
    Bytes(usize),
    Text(String),
}

impl Size {
    pub fn bytes(&self) -> Result<usize, String> {
        match self {
            Size::Bytes(n) => Ok(*n),
            Size::Text(s) => dockyard_agent::cli::bytes_size(s),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl Config {
    /// How much history each TUI pane keeps: the file's settings over the
    /// defaults; a bad one is an error naming it.
    pub fn history(&self) -> anyhow::Result<dockyard_term::Limits> {
        let mut limits = dockyard_term::Limits::default();
        if let Some(lines) = self.history_limit {
            if lines == 0 {
                anyhow::bail!("config file: history_limit: give at least 1 line");
            }
            limits.lines = lines;
        }
        if let Some(size) = &self.history_bytes {
            limits.bytes = size
                .bytes()
                .map_err(|e| anyhow::anyhow!("config file: history_bytes: {e}"))?;
        }
        Ok(limits)
    }

    /// The key overrides, for the TUI's keymap.
    pub fn key_overrides(&self) -> Vec<dockyard_tui::input::Override> {
        let mut out = Vec::new();
        for (context, actions) in &self.keys {
            for (action, keys) in actions {
                out.push(dockyard_tui::input::Override {
                    context: context.clone(),
                    action: action.clone(),
                    keys: match keys {
                        KeyList::One(k) => vec![k.clone()],
                        KeyList::Many(k) => k.clone(),
                    },
                });
            }
        }
        out
    }
}

pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DOCKYARD_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("dockyard").join("config.toml"))
}

/// The config, or the default one when there is no file. A file that is
/// there but wrong is an error, never silently ignored.
pub fn load() -> anyhow::Result<Config> {
    let Some(path) = path() else {
        return Ok(Config::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    toml::from_str(&text).map_err(|e| {
        let msg = e.message().to_string();
        anyhow::anyhow!("{}: {msg}", path.display())
    })
}

/// The TUI's leader key as written, and where it came from: `--leader`
/// or `DOCKYARD_LEADER` (given), else the config file's `leader`, else
/// `ctrl-a`. One rule for the TUI and `dockyard config`.
pub fn leader(given: Option<&str>, config: &Config) -> (String, crate::connect::Layer) {
    use crate::connect::Layer;
    match (given, &config.leader) {
        (Some(l), _) => (l.to_string(), Layer::Given),
        (None, Some(l)) => (l.clone(), Layer::File),
        (None, None) => ("ctrl-a".into(), Layer::Default),
    }
}

/// What quitting the TUI does with sessions: the config file's
/// `on_quit`, else ask. One rule for the TUI and `dockyard config`.
pub fn on_quit(config: &Config) -> anyhow::Result<dockyard_tui::state::sessions::OnQuit> {
    match config.on_quit.as_deref() {
        Some(s) => s
            .parse()
            .map_err(|e| anyhow::anyhow!("config file: on_quit: {e}")),
        None => Ok(dockyard_tui::state::sessions::OnQuit::Ask),
    }
}

/// The toolbox image of debug shells: `--image`, else
/// `DOCKYARD_DEBUG_IMAGE`, else the config file's `debug_image`, else
/// busybox:musl. One rule for `dockyard debug` and the TUI.
pub fn debug_image(flag: Option<&str>, config: &Config) -> String {
    flag.map(str::to_string)
        .or_else(|| std::env::var("DOCKYARD_DEBUG_IMAGE").ok())
        .or_else(|| config.debug_image.clone())
        .filter(|i| !i.trim().is_empty())
        .unwrap_or_else(|| dockyard_client::DEFAULT_DEBUG_IMAGE.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_unknown_keys() {
        let c: Config =
            toml::from_str("leader = \"ctrl-b\"\nhosts = [\"local\", \"h1:7\"]\n").expect("valid");
        assert_eq!(c.leader.as_deref(), Some("ctrl-b"));
        assert_eq!(c.hosts, vec!["local", "h1:7"]);
        assert!(toml::from_str::<Config>("leder = \"ctrl-b\"").is_err());
        let c: Config =
            toml::from_str("[keys.list]\nstop = \"x\"\n[keys.leader]\nzoom = [\"f\", \"z\"]\n")
                .expect("keys");
        let o = c.key_overrides();
        assert_eq!(o.len(), 2);
        assert_eq!((o[0].context.as_str(), o[0].keys.len()), ("leader", 2));
        assert_eq!((o[1].action.as_str(), o[1].keys[0].as_str()), ("stop", "x"));
    }
}
