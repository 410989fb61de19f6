//! Exec operations on the engine: create, start (attached), resize, exit
//! status, and ending an exec's process when nobody is left to talk to it.

use dockyard_term::Size;
use std::collections::HashMap;
use std::time::Duration;

use bollard::exec::CreateExecOptions;
use bollard::models::ContainerStateStatusEnum;
use bollard::query_parameters::ResizeExecOptions;

use crate::attach::{self, ExecStdin, OutputStream};
use crate::engine::Engine;
use crate::error::AgentError;

/// Docker's default detach keys (ctrl-p ctrl-q) hold back every ctrl-p a
/// shell user types (readline's "previous line") until the next key. There
/// is no way to turn detaching off, so we pick a sequence nobody types:
/// its first key, ctrl-^, is unbound in bash, busybox sh and readline.
pub const DETACH_KEYS: &str = "ctrl-^,ctrl-@,ctrl-^,ctrl-@";

/// What to run, already validated.
#[derive(Debug, Clone, Default)]
pub struct ExecSpec {
    pub container: String,
    pub cmd: Vec<String>,
    pub tty: bool,
    pub stdin: bool,
    pub user: String,
    pub working_dir: String,
    pub env: HashMap<String, String>,
    /// The TTY's size (not known: the engine's default).
    pub size: Size,
    /// Started detached (`exec -d`): nothing attached, never ended by us.
    pub detach: bool,
    pub privileged: bool,
    /// A debug shell: run in a helper beside the container (`debug.rs`).
    pub debug: Option<DebugSpec>,
}

/// What a debug session asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DebugSpec {
    /// The toolbox image (empty: [`DEFAULT_DEBUG_IMAGE`](dockyard_proto::DEFAULT_DEBUG_IMAGE)).
    pub image: String,
    /// `/` is the toolbox's, the target's at `/target`.
    pub toolbox_root: bool,
}

impl DebugSpec {
    pub fn image(&self) -> &str {
        if self.image.is_empty() {
            dockyard_proto::DEFAULT_DEBUG_IMAGE
        } else {
            &self.image
        }
    }
}

impl ExecSpec {
    pub fn validate(&self) -> Result<(), AgentError> {
        if self.container.is_empty() {
            return Err(AgentError::InvalidArgument("no container given".into()));
        }
        check_container_name(&self.container)?;
        // A debug session with no command opens the toolbox's shell.
        let none_needed = self.debug.is_some() && self.cmd.is_empty();
        if !none_needed && (self.cmd.is_empty() || self.cmd[0].is_empty()) {
            return Err(AgentError::InvalidArgument("no command given".into()));
        }
        for k in self.env.keys() {
            if k.is_empty() || k.contains('=') || k.contains('\0') {
                return Err(AgentError::InvalidArgument(format!(
                    "invalid environment variable name '{}'",
                    k.escape_debug()
                )));
            }
        }
        if self
            .cmd
            .iter()
            .chain(self.env.values())
            .chain([&self.user, &self.working_dir])
            .any(|s| s.contains('\0'))
        {
            return Err(AgentError::InvalidArgument(
                "command, environment, user and workdir cannot contain NUL bytes".into(),
            ));
        }
        Ok(())
    }
}

/// Container names and ids are `[a-zA-Z0-9][a-zA-Z0-9_.-]*` (the engine's
/// own rule). Anything else cannot name a container, and is refused before
/// it reaches a URL path (`../`, `%00`, spaces).
pub fn check_container_name(name: &str) -> Result<(), AgentError> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && name.len() <= 255;
    if ok {
        Ok(())
    } else {
        Err(AgentError::ContainerNotFound(
            name.escape_debug().to_string(),
        ))
    }
}

/// A started exec: its output, its stdin (if attached), and its id.
pub struct StartedExec {
    pub id: String,
    pub output: OutputStream,
    pub stdin: ExecStdin,
}

/// Creates the exec, attached (stdin as the spec says, stdout, stderr)
/// or, for `exec -d`, with nothing attached. Straight to create: the
/// engine refuses a missing (404) or stopped (409) container itself, and
/// only then do we ask which state it is in; an inspect on every exec
/// would add a round trip to the latency.
async fn create(engine: &Engine, spec: &ExecSpec, attached: bool) -> Result<String, AgentError> {
    spec.validate()?;
    engine.check_owned(&spec.container).await?;
    let docker = engine.docker().await?;
    let mut env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    env.sort();
    let opts = CreateExecOptions::<String> {
        attach_stdin: Some(attached && spec.stdin),
        attach_stdout: Some(attached),
        attach_stderr: Some(attached),
        tty: Some(spec.tty),
        detach_keys: attached.then(|| DETACH_KEYS.into()),
        env: (!env.is_empty()).then_some(env),
        cmd: Some(spec.cmd.clone()),
        user: (!spec.user.is_empty()).then(|| spec.user.clone()),
        working_dir: (!spec.working_dir.is_empty()).then(|| spec.working_dir.clone()),
        privileged: Some(spec.privileged),
    };
    match docker.create_exec(&spec.container, opts).await {
        Ok(c) => Ok(c.id),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 409,
            message,
        }) => Err(not_running(engine, &spec.container)
            .await
            .unwrap_or(AgentError::Conflict(message))),
        Err(e) => {
            Err(engine.error_about(e, || AgentError::ContainerNotFound(spec.container.clone())))
        }
    }
}

/// Checks the container, creates the exec and starts it attached.
pub async fn start(engine: &Engine, spec: &ExecSpec) -> Result<StartedExec, AgentError> {
    let t0 = std::time::Instant::now();
    let id = create(engine, spec, true).await?;
    let created_at = t0.elapsed();
    let (output, stdin) = attach::start_exec(engine, &id, spec.tty).await?;
    tracing::debug!(
        exec_id = id,
        create_ms = created_at.as_secs_f64() * 1e3,
        attach_ms = (t0.elapsed() - created_at).as_secs_f64() * 1e3,
        "exec created and attached"
    );
    Ok(StartedExec { id, output, stdin })
}

/// How a detached start went: running, or refused by the runtime with its
/// reason and docker's exit code for it (126, or 127 when not found).
#[derive(Debug)]
pub enum Detached {
    Running(String),
    Refused {
        exec_id: String,
        reason: String,
        code: i32,
    },
}

/// `exec -d`: creates the exec with nothing attached and starts it
/// detached; the engine answers once the process has started (or failed
/// to). Nothing here ends it later: a detached command outlives its client.
pub async fn start_detached(engine: &Engine, spec: &ExecSpec) -> Result<Detached, AgentError> {
    let id = create(engine, spec, false).await?;
    let docker = engine.docker().await?;
    let start = bollard::exec::StartExecOptions {
        detach: true,
        tty: spec.tty,
        output_capacity: None,
    };
    match docker.start_exec(&id, Some(start)).await {
        Ok(_) => Ok(Detached::Running(id)),
        // The runtime refused the process (no such command or user, a
        // missing workdir): the engine's reason, and the exit code it
        // recorded for the exec.
        Err(bollard::errors::Error::DockerResponseServerError { message, .. }) => {
            let recorded = docker
                .inspect_exec(&id)
                .await
                .ok()
                .and_then(|i| i.exit_code)
                .unwrap_or(126);
            let code = classify_exit(recorded, message.as_bytes());
            Ok(Detached::Refused {
                exec_id: id,
                reason: message,
                code,
            })
        }
        Err(e) => Err(engine.error(e)),
    }
}

/// The lab's message for a container an exec was refused in.
async fn not_running(engine: &Engine, name: &str) -> Option<AgentError> {
    let info = engine
        .docker()
        .await
        .ok()?
        .inspect_container(name, None)
        .await
        .ok()?;
    let status = info
        .state
        .as_ref()
        .and_then(|s| s.status)
        .unwrap_or(ContainerStateStatusEnum::EMPTY);
    Some(AgentError::ContainerNotRunning {
        name: name.to_string(),
        status: status.to_string(),
    })
}

/// How long one resize call may take.
const RESIZE_CALL_LIMIT: Duration = Duration::from_secs(2);

/// Sets a TTY exec's size. This engine starts TTY execs at 0x0 whatever the
/// create request says, and refuses a resize until the process exists, so
/// right after start we retry briefly.
pub async fn resize(
    engine: &Engine,
    exec_id: &str,
    size: Size,
    retry: bool,
) -> Result<(), AgentError> {
    if !size.is_known() {
        return Ok(());
    }
    let docker = engine.docker().await?;
    let opts = ResizeExecOptions {
        h: size.rows.into(),
        w: size.cols.into(),
    };
    let attempts = if retry { 50 } else { 1 };
    let mut last = None;
    for _ in 0..attempts {
        // The engine holds a resize until the exec's process has started,
        // for 10 s, and one that failed to start (an unknown user) never
        // does: such a call is not waited for, nor tried again.
        let call = docker.resize_exec(exec_id, opts.clone());
        match tokio::time::timeout(RESIZE_CALL_LIMIT, call).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => last = Some(e),
            Err(_) => {
                return Err(AgentError::Engine(format!(
                    "resize: no answer within {RESIZE_CALL_LIMIT:?} (the exec never started?)"
                )));
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Err(last
        .map(|e| engine.error(e))
        .unwrap_or_else(|| AgentError::Engine("resize failed".into())))
}

/// The exec's exit code, read once its output has ended. The engine marks
/// the exec finished a moment after closing the stream, so a `Running`
/// answer is retried briefly.
pub async fn exit_code(engine: &Engine, exec_id: &str) -> Result<i64, AgentError> {
    let docker = engine.docker().await?;
    let t0 = std::time::Instant::now();
    for attempt in 0..200 {
        let info = docker
            .inspect_exec(exec_id)
            .await
            .map_err(|e| engine.error(e))?;
        if info.running != Some(true) {
            tracing::debug!(
                exec_id,
                attempt,
                inspect_ms = t0.elapsed().as_secs_f64() * 1e3,
                "exit code read"
            );
            return Ok(info.exit_code.unwrap_or(-1));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Err(AgentError::Engine(format!("exec {exec_id} did not finish")))
}

/// Ends an exec's process. Docker has no API for it, but an agent on the
/// engine's own host can signal the process by the host PID inspect gives.
/// Only then: with a remote engine (DOCKER_HOST=tcp://, a VM) that number
/// means nothing here, so the PID must be in the container's cgroup as
/// seen from this host, or nothing is signalled.
pub async fn kill(engine: &Engine, exec_id: &str) {
    let _ = try_kill(engine, exec_id).await;
}

/// Like [`kill`], for when the engine itself was lost mid-session: the
/// process is still running in its container, nobody is attached to it any
/// more, and only the engine can say which it is. Tries again every second
/// until the engine answers (or `limit` passes).
pub async fn kill_when_engine_returns(engine: &Engine, exec_id: &str, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    while try_kill(engine, exec_id).await.is_err() {
        if tokio::time::Instant::now() >= deadline {
            tracing::warn!(exec_id, "the engine did not return; the exec may still run");
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Err only when the engine could not be asked.
async fn try_kill(engine: &Engine, exec_id: &str) -> Result<(), AgentError> {
    if !matches!(engine.addr(), crate::engine::EngineAddr::Unix(_)) {
        tracing::warn!(exec_id, "cannot end an abandoned exec on a remote engine");
        return Ok(());
    }
    let docker = engine.docker().await?;
    // Right after start the engine may not have spawned the process yet
    // (not running, no exit code): wait for it rather than miss it.
    for _ in 0..300 {
        let info = match docker.inspect_exec(exec_id).await {
            Ok(i) => i,
            Err(e) => {
                tracing::debug!(exec_id, "inspect before kill failed: {e}");
                return match engine.error(e) {
                    e @ AgentError::EngineUnavailable { .. } => Err(e),
                    _ => Ok(()),
                };
            }
        };
        if info.running != Some(true) && info.exit_code.is_some() {
            return Ok(());
        }
        // Not running yet, or running with its PID not yet recorded (the
        // engine sets the two apart): ask again shortly.
        let Some(pid) = info
            .pid
            .filter(|p| *p > 1 && info.running == Some(true))
            .and_then(|p| i32::try_from(p).ok())
        else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        if !in_container(pid, info.container_id.as_deref().unwrap_or_default()) {
            tracing::warn!(exec_id, pid, "exec's PID is not this host's; not signalled");
            return Ok(());
        }
        tracing::info!(exec_id, pid, "ending abandoned exec");
        if let Err(e) = signal::kill_tree(pid) {
            tracing::warn!(exec_id, pid, "could not end exec process: {e}");
        }
        return Ok(());
    }
    tracing::warn!(exec_id, "exec never started running; nothing to end");
    Ok(())
}

/// Is host PID `pid` a process of container `container_id`? Its cgroup
/// path names the container (".../docker/<id>" or "docker-<id>.scope").
fn in_container(pid: i32, container_id: &str) -> bool {
    !container_id.is_empty()
        && std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .is_ok_and(|cg| cg.contains(container_id))
}

/// Exit code 126 from the runtime covers both "cannot invoke" and "not
/// found" on engines before 23; newer ones say 127 for the latter. We make
/// it 127 everywhere, recognising the runtime's message in the output.
pub fn classify_exit(code: i64, early_output: &[u8]) -> i32 {
    let code = i32::try_from(code).unwrap_or(-1);
    if runtime_not_found(code, early_output) {
        127
    } else {
        code
    }
}

/// The runtime found no such command to start (not a program that exited
/// 126 or 127 itself): its message opens the output.
pub fn runtime_not_found(code: i32, early_output: &[u8]) -> bool {
    if code != 126 && code != 127 {
        return false;
    }
    let text = String::from_utf8_lossy(early_output);
    text.contains("executable file not found")
        || (text.contains("no such file or directory")
            && !text.contains("chdir")
            && !text.contains("cwd")
            && !text.contains("unable to find user"))
}

mod signal {
    //! The one place the agent needs `unsafe`: libc's kill(2).

    /// SIGKILL to the process and to its process group when it leads one
    /// (a TTY exec's shell does, so its children go too).
    #[allow(unsafe_code)]
    pub fn kill_tree(pid: i32) -> std::io::Result<()> {
        // SAFETY: kill(2) takes plain integers and has no memory effects.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
            if libc::kill(pid, libc::SIGKILL) != 0 {
                let e = std::io::Error::last_os_error();
                if e.raw_os_error() != Some(libc::ESRCH) {
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_becomes_127() {
        let msg = b"OCI runtime exec failed: exec failed: container_linux.go:380: starting container process caused: exec: \"nope\": executable file not found in $PATH: unknown";
        assert_eq!(classify_exit(126, msg), 127);
        let msg = b"exec: \"/nope\": stat /nope: no such file or directory: unknown";
        assert_eq!(classify_exit(126, msg), 127);
    }

    #[test]
    fn cannot_invoke_stays_126() {
        assert_eq!(classify_exit(126, b"permission denied"), 126);
        assert_eq!(
            classify_exit(
                126,
                b"chdir to cwd (\"/nope\") set in config.json failed: no such file or directory"
            ),
            126
        );
        assert_eq!(classify_exit(0, b"executable file not found"), 0);
        assert_eq!(classify_exit(42, b""), 42);
    }

    #[test]
    fn validates_spec() {
        let mut s = ExecSpec {
            container: "c".into(),
            cmd: vec!["true".into()],
            ..Default::default()
        };
        assert!(s.validate().is_ok());
        s.env.insert("A=B".into(), "x".into());
        assert!(s.validate().is_err());
        s.env.clear();
        s.cmd.clear();
        assert!(s.validate().is_err());
    }
}
