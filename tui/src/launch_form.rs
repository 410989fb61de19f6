//! The launch dialog's state: fields edited in place, turned into a
//! `LaunchRequest` with the same parsing rules as the CLI's flags.

use std::collections::HashMap;

use dockyard_proto::args::{parse_env_entry, parse_port};
use dockyard_proto::pb::LaunchRequest;

pub const FIELDS: [&str; 7] = [
    "Image", "Name", "Command", "Env", "Ports", "Labels", "Restart",
];

pub const HINTS: [&str; 7] = [
    "e.g. busybox or registry:5000/app:1.2",
    "optional",
    "optional; words split on spaces",
    "KEY=VALUE KEY2=VALUE2",
    "8080:80 127.0.0.1:53:53/udp",
    "KEY=VALUE KEY2=VALUE2",
    "no | always | unless-stopped | on-failure[:N]",
];

#[derive(Debug, Default)]
pub struct LaunchForm {
    pub values: [String; 7],
    pub focus: usize,
    pub host: usize,
    /// Pull progress or "launching…" while the request runs.
    pub progress: Option<String>,
    pub error: Option<String>,
    pub busy: bool,
}

impl LaunchForm {
    pub fn new(host: usize) -> Self {
        LaunchForm {
            host,
            ..Default::default()
        }
    }

    pub fn field_mut(&mut self) -> &mut String {
        &mut self.values[self.focus]
    }

    pub fn next(&mut self) {
        self.focus = (self.focus + 1) % FIELDS.len();
    }

    pub fn prev(&mut self) {
        self.focus = (self.focus + FIELDS.len() - 1) % FIELDS.len();
    }

    /// The request, or the first thing wrong with the form.
    pub fn request(&self) -> Result<LaunchRequest, String> {
        let [image, name, command, env, ports, labels, restart] = &self.values;
        let image = image.trim();
        if image.is_empty() {
            return Err("an image is required".into());
        }
        let mut environment = HashMap::new();
        for e in env.split_whitespace() {
            parse_env_entry(e, &mut environment)?;
        }
        let ports = ports
            .split_whitespace()
            .map(parse_port)
            .collect::<Result<Vec<_>, _>>()?;
        let mut label_map = HashMap::new();
        for l in labels.split_whitespace() {
            match l.split_once('=') {
                Some((k, v)) if !k.is_empty() => label_map.insert(k.to_string(), v.to_string()),
                _ => {
                    return Err(format!(
                        "invalid label '{}': expected KEY=VALUE",
                        l.escape_debug()
                    ));
                }
            };
        }
        Ok(LaunchRequest {
            image: image.to_string(),
            name: name.trim().to_string(),
            command: command.split_whitespace().map(str::to_string).collect(),
            environment,
            ports,
            labels: label_map,
            restart_policy: restart.trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_requests_and_reports_errors() {
        let mut f = LaunchForm::new(0);
        assert!(f.request().is_err());
        f.values[0] = "busybox".into();
        f.values[2] = "sleep 100".into();
        f.values[3] = "A=1 B=2".into();
        f.values[4] = "8080:80".into();
        let r = f.request().expect("valid form");
        assert_eq!(r.command, vec!["sleep", "100"]);
        assert_eq!(r.environment.len(), 2);
        assert_eq!(r.ports[0].host_port, 8080);
        f.values[5] = "team=blue".into();
        assert_eq!(f.request().expect("labels").labels["team"], "blue");
        f.values[5] = "=x".into();
        assert!(f.request().is_err());
        f.values[5].clear();
        f.values[4] = "nope".into();
        assert!(
            f.request()
                .expect_err("bad port")
                .contains("invalid port mapping")
        );
    }
}
