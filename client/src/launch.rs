//! A container launch as a person types it, whether as `dockyard launch`
//! flags or in the TUI's form, turned into one `LaunchRequest` by one
//! function. [`SHARED_CASES`] is the table both front ends' tests run, so
//! neither can drift from the other.

use std::collections::HashMap;

use crate::parse::{parse_env_entry, parse_label, parse_port};
use crate::pb::LaunchRequest;

/// What to launch, each list already split into its entries.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LaunchInput {
    pub image: String,
    pub name: String,
    pub command: Vec<String>,
    pub env: Vec<String>,
    pub ports: Vec<String>,
    pub labels: Vec<String>,
    /// Checked by the agent, which knows the engine's policies.
    pub restart: String,
}

impl LaunchInput {
    /// The request, or the first thing wrong with the input.
    pub fn request(&self) -> Result<LaunchRequest, String> {
        let image = self.image.trim();
        if image.is_empty() {
            return Err("an image is required".into());
        }
        let mut environment = HashMap::new();
        for e in &self.env {
            parse_env_entry(e, &mut environment)?;
        }
        let ports = self
            .ports
            .iter()
            .map(|p| parse_port(p))
            .collect::<Result<Vec<_>, _>>()?;
        let mut labels = HashMap::new();
        for l in &self.labels {
            parse_label(l, &mut labels)?;
        }
        Ok(LaunchRequest {
            image: image.to_string(),
            name: self.name.trim().to_string(),
            command: self.command.clone(),
            environment,
            ports,
            labels,
            restart_policy: self.restart.trim().to_string(),
        })
    }
}

/// A field of a launch, for [`SHARED_CASES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Image,
    Name,
    Env,
    Ports,
    Labels,
}

/// One value typed into one field (over an otherwise valid launch of
/// `busybox`), and the start of the error it must give, if any.
pub type Case = (Field, &'static str, Option<&'static str>);

/// Good and bad inputs that the CLI's flags and the TUI's form must treat
/// alike. Values hold no spaces: the form splits on them.
pub const SHARED_CASES: &[Case] = &[
    (Field::Image, "busybox:1.36", None),
    (Field::Name, "web-1", None),
    (Field::Env, "MODE=test", None),
    (Field::Env, "EMPTY=", None),
    (Field::Env, "DOCKYARD_SURELY_UNSET", None),
    (Field::Env, "=x", Some("invalid environment variable '=x'")),
    (Field::Ports, "8080:80", None),
    (Field::Ports, "127.0.0.1:53:53/udp", None),
    (Field::Ports, "80", None),
    (Field::Ports, "nope", Some("invalid port mapping 'nope'")),
    (
        Field::Ports,
        "99999:80",
        Some("invalid port mapping '99999:80'"),
    ),
    (
        Field::Ports,
        "1:2/icmp",
        Some("invalid port mapping '1:2/icmp'"),
    ),
    (Field::Labels, "team=blue", None),
    (Field::Labels, "solo", None),
    (Field::Labels, "=x", Some("invalid label '=x'")),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_request() {
        let input = LaunchInput {
            image: " busybox ".into(),
            name: "web".into(),
            command: vec!["sleep".into(), "100".into()],
            env: vec!["A=1".into(), "B=2".into()],
            ports: vec!["8080:80".into()],
            labels: vec!["team=blue".into(), "solo".into()],
            restart: "always".into(),
        };
        let r = input.request().expect("valid");
        assert_eq!(r.image, "busybox");
        assert_eq!(r.command, vec!["sleep", "100"]);
        assert_eq!(r.environment.len(), 2);
        assert_eq!(r.ports[0].host_port, 8080);
        assert_eq!(r.labels["solo"], "");
        assert_eq!(r.restart_policy, "always");
        assert_eq!(
            LaunchInput::default().request(),
            Err("an image is required".into())
        );
    }

    #[test]
    fn shared_cases_hold_for_the_library_itself() {
        for (field, value, want) in SHARED_CASES {
            let mut input = LaunchInput {
                image: "busybox".into(),
                ..Default::default()
            };
            match field {
                Field::Image => input.image = value.to_string(),
                Field::Name => input.name = value.to_string(),
                Field::Env => input.env.push(value.to_string()),
                Field::Ports => input.ports.push(value.to_string()),
                Field::Labels => input.labels.push(value.to_string()),
            }
            check_case(input.request().map(|_| ()), *want, value);
        }
    }

    fn check_case(got: Result<(), String>, want: Option<&str>, value: &str) {
        match (got, want) {
            (Ok(()), None) => {}
            (Err(e), Some(w)) => assert!(e.starts_with(w), "{value}: {e}"),
            (got, want) => panic!("{value}: got {got:?}, want {want:?}"),
        }
    }
}
