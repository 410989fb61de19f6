//! The launch dialog's state: fields edited in place, turned into a
//! `LaunchRequest` by the same function as `dockyard launch`'s flags
//! (`dockyard_client::launch`), every field split into words as a shell
//! would (quotes, backslashes).

use dockyard_client::launch::LaunchInput;
use dockyard_client::pb::LaunchRequest;

pub const FIELDS: [&str; 7] = [
    "Image", "Name", "Command", "Env", "Ports", "Labels", "Restart",
];

pub const HINTS: [&str; 7] = [
    "e.g. busybox or registry:5000/app:1.2",
    "optional",
    "optional; quoted as in a shell: sh -c 'echo hi; sleep 9'",
    "KEY=VALUE KEY2=VALUE2",
    "8080:80 127.0.0.1:53:53/udp",
    "KEY=VALUE KEY2 (a bare KEY: empty value)",
    "no | always | unless-stopped | on-failure[:N]",
];

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LaunchForm {
    pub values: [String; 7],
    pub focus: usize,
    pub host: usize,
    /// The node of the host's cluster to launch on (None: the node of the
    /// agent the host names).
    pub node: Option<String>,
    /// Pull progress or "starting…" while the request runs.
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

    pub fn input(&self) -> Result<LaunchInput, String> {
        use dockyard_client::parse::shell_words;
        let [image, name, command, env, ports, labels, restart] = &self.values;
        Ok(LaunchInput {
            image: image.clone(),
            name: name.clone(),
            command: shell_words("command", command)?,
            env: shell_words("env", env)?,
            ports: shell_words("ports", ports)?,
            labels: shell_words("labels", labels)?,
            restart: restart.clone(),
        })
    }

    /// The request, or the first thing wrong with the form.
    pub fn request(&self) -> Result<LaunchRequest, String> {
        self.input()?.request()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dockyard_client::launch::{Field, SHARED_CASES};

    #[test]
    fn builds_requests_and_reports_errors() {
        let mut f = LaunchForm::new(0);
        assert_eq!(f.request(), Err("an image is required".into()));
        f.values[0] = "busybox".into();
        f.values[2] = "sleep 100".into();
        f.values[3] = "A=1 B=2".into();
        f.values[4] = "8080:80".into();
        let r = f.request().expect("valid form");
        assert_eq!(r.command, vec!["sleep", "100"]);
        assert_eq!(r.environment.len(), 2);
        assert_eq!(r.ports[0].host_port, 8080);
        f.values[2] = r#"sh -c 'echo hi; sleep 9' "a b" c\ d"#.into();
        f.values[3] = r#"GREETING="hello world""#.into();
        let r = f.request().expect("quoted words");
        assert_eq!(
            r.command,
            vec!["sh", "-c", "echo hi; sleep 9", "a b", "c d"]
        );
        assert_eq!(r.environment["GREETING"], "hello world");
        f.values[2] = "sh -c 'echo hi".into();
        assert_eq!(
            f.request(),
            Err("command: unclosed quote in 'sh -c \\'echo hi'".into())
        );
    }

    /// The same table `dockyard launch` is tested with.
    #[test]
    fn accepts_and_refuses_what_the_cli_does() {
        for (field, value, want) in SHARED_CASES {
            let mut f = LaunchForm::new(0);
            f.values[0] = "busybox".into();
            let i = match field {
                Field::Image => 0,
                Field::Name => 1,
                Field::Env => 3,
                Field::Ports => 4,
                Field::Labels => 5,
            };
            f.values[i] = value.to_string();
            match (f.request(), want) {
                (Ok(_), None) => {}
                (Err(e), Some(w)) => assert!(e.starts_with(w), "{value}: {e}"),
                (got, want) => panic!("{value}: got {got:?}, want {want:?}"),
            }
        }
    }
}
