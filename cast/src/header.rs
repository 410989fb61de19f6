//! The header line of a recording: its size, start, command, title and
//! terminal, and one builder for a session's header that every recorder
//! (the CLI's, the TUI's, the agent's) uses.

use serde_json::{Value, json};

use crate::CastError;

/// What the header says about a recording.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Header {
    pub width: u16,
    pub height: u16,
    /// Unix seconds at the start.
    pub timestamp: i64,
    pub command: Option<String>,
    pub title: Option<String>,
    /// `TERM`, `SHELL` and the like of the recorded terminal.
    pub env: Vec<(String, String)>,
    /// Pauses longer than this are shortened on replay (seconds).
    pub idle_time_limit: Option<f64>,
    /// Anything else in the header, kept as it came (a recorder's own
    /// fields, e.g. who recorded it).
    pub extra: serde_json::Map<String, Value>,
}

impl Header {
    /// The header of a session's recording, as every recorder makes it:
    /// its size, now as the start, the command as a shell would read it
    /// back (quoted where needed), and `HOST/CONTAINER` as the title.
    pub fn for_session(size: dockyard_term::Size, command: &[String], title: String) -> Self {
        Header {
            width: size.cols,
            height: size.rows,
            timestamp: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
            command: Some(shell_words::join(command)),
            title: Some(title),
            ..Default::default()
        }
    }

    pub fn to_json(&self) -> Value {
        let mut h = serde_json::Map::new();
        h.insert("version".into(), json!(2));
        h.insert("width".into(), json!(self.width));
        h.insert("height".into(), json!(self.height));
        h.insert("timestamp".into(), json!(self.timestamp));
        if let Some(c) = &self.command {
            h.insert("command".into(), json!(c));
        }
        if let Some(t) = &self.title {
            h.insert("title".into(), json!(t));
        }
        if let Some(l) = self.idle_time_limit {
            h.insert("idle_time_limit".into(), json!(l));
        }
        let env: serde_json::Map<String, Value> = self
            .env
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        h.insert("env".into(), Value::Object(env));
        for (k, v) in &self.extra {
            h.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(h)
    }

    pub(crate) fn from_json(v: &Value) -> Result<Self, CastError> {
        if v["version"].as_u64() != Some(2) {
            return Err(CastError::Format(
                "not an asciicast v2 file (no \"version\": 2)".into(),
            ));
        }
        let dim = |k: &str| {
            v[k].as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .ok_or_else(|| CastError::Format(format!("the header has no valid \"{k}\"")))
        };
        let known = [
            "version",
            "width",
            "height",
            "timestamp",
            "command",
            "title",
            "env",
            "idle_time_limit",
        ];
        Ok(Header {
            width: dim("width")?,
            height: dim("height")?,
            timestamp: v["timestamp"].as_i64().unwrap_or(0),
            command: v["command"].as_str().map(str::to_string),
            title: v["title"].as_str().map(str::to_string),
            env: v["env"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
            idle_time_limit: v["idle_time_limit"].as_f64(),
            extra: v
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(k, _)| !known.contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sessions_command_is_quoted_as_a_shell_reads_it() {
        let cmd = ["sh".to_string(), "-c".into(), "echo a b".into()];
        let h = Header::for_session(dockyard_term::Size::new(24, 80), &cmd, "h/web".into());
        assert_eq!(h.command.as_deref(), Some("sh -c 'echo a b'"));
        assert_eq!((h.width, h.height), (80, 24));
        assert!(h.timestamp > 1_700_000_000);
    }
}
