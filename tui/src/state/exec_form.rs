//! The command dialog (`e`): what to run in a new pane instead of the
//! shell. The command is split into words as a shell would (quotes,
//! backslashes); env takes `KEY=VALUE` words, as `exec -e` does.

use crate::state::hosts::ContainerKey;
use crate::state::panes::ExecSpec;

pub const FIELDS: [&str; 4] = ["Command", "User", "Workdir", "Env"];

pub const HINTS: [&str; 4] = [
    "e.g. top -d 1, or sh -c 'tail -f /var/log/*.log'",
    "optional: name or uid[:gid]",
    "optional: directory inside the container",
    "optional: KEY=VALUE KEY2='with spaces'",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecForm {
    pub container: ContainerKey,
    pub name: String,
    pub values: [String; 4],
    pub focus: usize,
    pub error: Option<String>,
}

impl ExecForm {
    pub fn new(container: ContainerKey, name: String) -> Self {
        ExecForm {
            container,
            name,
            values: Default::default(),
            focus: 0,
            error: None,
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

    /// What to run, or the first thing wrong with the form.
    pub fn spec(&self) -> Result<ExecSpec, String> {
        use dockyard_client::parse::{environment, shell_words};
        let [command, user, workdir, env] = &self.values;
        let command = shell_words("command", command)?;
        if command.is_empty() {
            return Err("command: give the command to run".into());
        }
        let no_files: &[&std::path::Path] = &[];
        let env = environment(&shell_words("env", env)?, no_files)?;
        Ok(ExecSpec {
            command,
            user: user.trim().to_string(),
            workdir: workdir.trim().to_string(),
            env,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ExecForm {
        ExecForm::new(
            ContainerKey {
                host: 0,
                id: "x".into(),
            },
            "web".into(),
        )
    }

    #[test]
    fn splits_like_a_shell_and_says_what_is_wrong() {
        let mut f = form();
        assert_eq!(f.spec(), Err("command: give the command to run".into()));
        f.values[0] = "sh -c 'echo hi; sleep 9'".into();
        f.values[1] = "nobody".into();
        f.values[3] = "A='x y' B=2".into();
        let spec = f.spec().expect("valid");
        assert_eq!(spec.command, vec!["sh", "-c", "echo hi; sleep 9"]);
        assert_eq!(spec.user, "nobody");
        assert_eq!(spec.env["A"], "x y");
        f.values[0] = "echo 'unclosed".into();
        assert!(
            f.spec()
                .expect_err("unclosed")
                .starts_with("command: unclosed quote")
        );
        f.values[0] = "true".into();
        f.values[3] = "=x".into();
        assert!(f.spec().is_err());
    }
}
