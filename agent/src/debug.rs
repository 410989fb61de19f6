//! Debug shells: a shell into a container whose image ships none
//! (distroless, scratch, non-root, read-only), on any engine.
//!
//! The agent starts a *helper* container from a toolbox image (a static
//! busybox by default) in the target's PID and network namespaces, with
//! `SYS_PTRACE` (reading `/proc/<pid>/root` of a non-root target needs
//! ptrace access; nothing else is added, and it is not privileged). A
//! debug session is then an ordinary exec into the helper, whose command
//! the launcher below wraps: it chroots into the target's root as seen
//! through `/proc/<target pid>/root` and runs the toolbox's programs by a
//! path that stays reachable from there, the helper's own root through
//! `/proc/<helper pid>/root`. Nothing is written into the target (cdebug's
//! symlink is, and fails on a read-only root). The target's environment
//! and working directory apply; its PATH comes first, the toolbox's after.
//!
//! One helper per target serves every debug session into it; it is
//! removed when its last session ends. Helpers are labelled with the
//! agent process that made them (host, pid, start time), so an agent
//! starting removes the helpers of agents on its host that are gone (a
//! killed agent, a `dockyard` whose embedded agent died), and never those
//! of one still running.

use std::collections::HashMap;
use std::sync::Arc;

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptions, ListContainersOptions, RemoveContainerOptions, StartContainerOptions,
};

use crate::engine::Engine;
use crate::error::AgentError;
use crate::exec::{DebugSpec, ExecSpec};

pub use crate::engine::HELPER_LABEL;
/// On a helper: the agent process that made it (`host/pid/start`).
pub const OWNER_LABEL: &str = "dockyard.debug.owner";

/// The helper's main process: it says where it is (its PID, in its own
/// filesystem, so a session finds the toolbox through /proc), makes the target's
/// root reachable at /target for `--toolbox-root`, and waits. `$1` is the
/// target's PID as the helper sees it.
const HELPER_INIT: &str = r#"mkdir -p /tmp; echo $$ > /tmp/.dockyard-helper.pid.new && mv /tmp/.dockyard-helper.pid.new /tmp/.dockyard-helper.pid; ln -sfn "/proc/$1/root" /target 2>/dev/null; exec sleep 2147483647"#;

/// A session's command, run by the toolbox's shell in the helper. The
/// toolbox is reached from the target's root as /proc/<helper pid>/root,
/// then held open as fd 9 and used as /proc/self/fd/9: the kernel lets
/// only a process's own user (or root) through /proc/<pid>/root, while a
/// process's own descriptors are always its own, so the toolbox stays
/// reachable after `-u` changes the user. The session's command follows
/// as "$@" (none: the toolbox's shell). HISTFILE=/dev/null: an interactive
/// shell writes no history into the target.
const LAUNCHER: &str = r#"i=0
while [ ! -s /tmp/.dockyard-helper.pid ] && [ $i -lt 1000 ]; do sleep 0.01 2>/dev/null || sleep 1; i=$((i+1)); done
h=$(cat /tmp/.dockyard-helper.pid) || { echo "dockyard: the debug helper is not ready" >&2; exit 125; }
HISTFILE=/dev/null
export HISTFILE
if [ -n "$DOCKYARD_DEBUG_TOOLBOX_ROOT" ]; then
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    export PATH
    cd "${DOCKYARD_DEBUG_WORKDIR:-/}" 2>/dev/null || cd /
    u=$DOCKYARD_DEBUG_USER
    unset DOCKYARD_DEBUG_PID DOCKYARD_DEBUG_WORKDIR DOCKYARD_DEBUG_USER DOCKYARD_DEBUG_TOOLBOX_ROOT
    [ $# -gt 0 ] || set -- /bin/sh
    [ -z "$u" ] || exec su -m -s /bin/sh "$u" -c 'exec "$@"' dockyard-debug "$@"
    exec "$@"
fi
PATH=${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}
DOCKYARD_DEBUG_TB=/proc/$h/root
export PATH DOCKYARD_DEBUG_TB
inner='{ exec 9<"$DOCKYARD_DEBUG_TB"; } 2>/dev/null || { echo "dockyard: the toolbox is not reachable" >&2; exit 125; }
tb=/proc/self/fd/9
PATH=$PATH:$tb/bin:$tb/sbin:$tb/usr/bin:$tb/usr/sbin
export PATH
[ $# -gt 0 ] || set -- "$tb/bin/sh"
cd "${DOCKYARD_DEBUG_WORKDIR:-/}" 2>/dev/null || cd /
u=$DOCKYARD_DEBUG_USER
unset DOCKYARD_DEBUG_PID DOCKYARD_DEBUG_WORKDIR DOCKYARD_DEBUG_USER DOCKYARD_DEBUG_TOOLBOX_ROOT DOCKYARD_DEBUG_TB
[ -z "$u" ] || exec "$tb/bin/su" -m -s "$tb/bin/sh" "$u" -c '"'"'exec "$@"'"'"' dockyard-debug "$@"
exec "$@"'
exec chroot "/proc/$DOCKYARD_DEBUG_PID/root" "$DOCKYARD_DEBUG_TB/bin/sh" -c "$inner" dockyard-debug "$@""#;

/// The live helpers of this agent.
pub struct Helpers {
    engine: Arc<Engine>,
    me: String,
    /// Held while a helper is looked for or started, so two sessions
    /// starting at once share one.
    live: tokio::sync::Mutex<Live>,
    /// Exec id -> the helper it runs in, to let a helper go when its
    /// sessions end.
    execs: std::sync::Mutex<HashMap<String, String>>,
}

#[derive(Default)]
struct Live {
    /// Target id -> the helper new sessions into it use.
    current: HashMap<String, String>,
    /// Helper id -> its sessions (started or starting). A helper that
    /// stopped and was replaced keeps its count until its own sessions end.
    sessions: HashMap<String, usize>,
}

/// What the target's inspect says a debug session needs.
struct Target {
    id: String,
    /// Its PID as the helper (in its PID namespace) sees it.
    pid: u32,
    env: HashMap<String, String>,
    workdir: String,
    platform: String,
}

impl Helpers {
    pub fn new(engine: Arc<Engine>) -> Self {
        Helpers {
            engine,
            me: owner_id(),
            live: tokio::sync::Mutex::new(Live::default()),
            execs: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The exec to run for `spec`'s debug session: in the target's helper
    /// (started now, or the one already there), with the launcher wrapping
    /// the command. The second value is the helper's id: say
    /// [`started`](Self::started) or [`release`](Self::release) with it.
    pub async fn prepare(
        &self,
        spec: &ExecSpec,
        debug: &DebugSpec,
    ) -> Result<(ExecSpec, String), AgentError> {
        spec.validate()?;
        let target = self.target(&spec.container).await?;
        let image = debug.image();
        let toolbox = self.toolbox_platform(image).await?;
        if toolbox != target.platform {
            return Err(AgentError::InvalidArgument(format!(
                "the toolbox image '{image}' is for {toolbox} and container '{}' runs {}: choose a toolbox for {} with --image",
                spec.container, target.platform, target.platform
            )));
        }
        let helper = {
            let mut live = self.live.lock().await;
            let up = match live.current.get(&target.id) {
                // An engine that cannot say is an error, not a reason for a
                // second helper.
                Some(h) => self.running(h).await?.then(|| h.clone()),
                None => None,
            };
            let helper = match up {
                Some(h) => h,
                None => {
                    let h = self.start_helper(&target, image).await?;
                    live.current.insert(target.id.clone(), h.clone());
                    h
                }
            };
            *live.sessions.entry(helper.clone()).or_default() += 1;
            helper
        };
        let mut env = target.env.clone();
        env.extend(spec.env.clone());
        let workdir = if spec.working_dir.is_empty() {
            target.workdir.clone()
        } else {
            spec.working_dir.clone()
        };
        env.insert("DOCKYARD_DEBUG_PID".into(), target.pid.to_string());
        env.insert("DOCKYARD_DEBUG_WORKDIR".into(), workdir);
        if !spec.user.is_empty() {
            env.insert("DOCKYARD_DEBUG_USER".into(), spec.user.clone());
        }
        if debug.toolbox_root {
            env.insert("DOCKYARD_DEBUG_TOOLBOX_ROOT".into(), "1".into());
        }
        let mut cmd = vec![
            "/bin/sh".to_string(),
            "-c".into(),
            LAUNCHER.into(),
            "dockyard-debug".into(),
        ];
        cmd.extend(spec.cmd.iter().cloned());
        let run = ExecSpec {
            container: helper.clone(),
            cmd,
            env,
            // Root in the helper, to chroot; `-u` is taken by su inside.
            user: String::new(),
            working_dir: String::new(),
            debug: None,
            ..spec.clone()
        };
        Ok((run, helper))
    }

    /// The exec `exec_id` runs in `helper`.
    pub fn started(&self, exec_id: &str, helper: &str) {
        lock(&self.execs).insert(exec_id.to_string(), helper.to_string());
    }

    /// A session in `helper` is over (or never started): the helper goes
    /// with its last one.
    pub async fn release(&self, helper: &str) {
        let gone = {
            let mut live = self.live.lock().await;
            let left = live.sessions.get_mut(helper).map(|n| {
                *n = n.saturating_sub(1);
                *n
            });
            if left == Some(0) {
                live.sessions.remove(helper);
                live.current.retain(|_, h| h != helper);
            }
            left == Some(0)
        };
        if gone {
            tracing::info!(helper, "debug helper removed: its last session ended");
            remove(&self.engine, helper).await;
        }
    }

    /// The session of exec `exec_id` ended; a no-op for an ordinary exec.
    pub async fn ended(&self, exec_id: &str) {
        let helper = lock(&self.execs).remove(exec_id);
        if let Some(helper) = helper {
            self.release(&helper).await;
        }
    }

    async fn target(&self, name: &str) -> Result<Target, AgentError> {
        let engine = &self.engine;
        engine.check_owned(name).await?;
        let docker = engine.docker().await?;
        let info = docker
            .inspect_container(name, None)
            .await
            .map_err(|e| engine.error_about(e, || AgentError::ContainerNotFound(name.into())))?;
        let state = info.state.unwrap_or_default();
        if state.running != Some(true) || state.paused == Some(true) {
            let status = state.status.map(|s| s.to_string()).unwrap_or_default();
            return Err(AgentError::ContainerNotRunning {
                name: name.to_string(),
                status: format!("{status}; a debug shell needs its processes running"),
            });
        }
        let id = info.id.unwrap_or_default();
        let host_pid = state.pid.unwrap_or_default();
        let pid_mode = info
            .host_config
            .as_ref()
            .and_then(|h| h.pid_mode.clone())
            .unwrap_or_default();
        let pid = match pid_mode.as_str() {
            "" | "private" => 1,
            "host" => u32::try_from(host_pid).unwrap_or(1),
            other => namespace_pid(host_pid).ok_or_else(|| {
                AgentError::InvalidArgument(format!(
                    "container '{name}' shares the PID namespace of {other}: debug that container instead"
                ))
            })?,
        };
        let config = info.config.unwrap_or_default();
        let env = config
            .env
            .unwrap_or_default()
            .into_iter()
            .filter_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                Some((k.to_string(), v.to_string()))
            })
            .collect();
        let workdir = config.working_dir.unwrap_or_default();
        let image = info.image.unwrap_or_default();
        let platform = self.image_platform(&image).await?;
        Ok(Target {
            id,
            pid,
            env,
            workdir,
            platform,
        })
    }

    async fn image_platform(&self, image: &str) -> Result<String, AgentError> {
        let engine = &self.engine;
        let docker = engine.docker().await?;
        let i = docker
            .inspect_image(image)
            .await
            .map_err(|e| engine.error_about(e, || AgentError::ImageNotFound(image.into())))?;
        Ok(format!(
            "{}/{}",
            i.os.unwrap_or_default(),
            i.architecture.unwrap_or_default()
        ))
    }

    /// The toolbox's platform; a toolbox not on this host is ImageNotFound,
    /// which the client answers by pulling it (with progress) and asking
    /// again.
    async fn toolbox_platform(&self, image: &str) -> Result<String, AgentError> {
        self.image_platform(image).await
    }

    /// Whether `helper` still runs (gone: false); an engine that cannot
    /// say is an error.
    async fn running(&self, helper: &str) -> Result<bool, AgentError> {
        let engine = &self.engine;
        let docker = engine.docker().await?;
        match docker.inspect_container(helper, None).await {
            Ok(i) => Ok(i.state.and_then(|s| s.running).unwrap_or(false)),
            Err(e) => {
                match engine.error_about(e, || AgentError::ContainerNotFound(helper.into())) {
                    AgentError::ContainerNotFound(_) => Ok(false),
                    other => Err(other),
                }
            }
        }
    }

    async fn start_helper(&self, target: &Target, image: &str) -> Result<String, AgentError> {
        let engine = &self.engine;
        let docker = engine.docker().await?;
        let mut labels = HashMap::from([
            (HELPER_LABEL.to_string(), target.id.clone()),
            (OWNER_LABEL.to_string(), self.me.clone()),
        ]);
        // The agent's own label, so it owns (and may exec into) its helper.
        if let Some((k, v)) = engine.only_label() {
            labels.insert(k.clone(), v.clone());
        }
        let body = ContainerCreateBody {
            image: Some(image.to_string()),
            entrypoint: Some(vec!["/bin/sh".into(), "-c".into(), HELPER_INIT.into()]),
            cmd: Some(vec!["dockyard-debug-helper".into(), target.pid.to_string()]),
            // Root, whatever the toolbox's USER: it must chroot.
            user: Some("0".into()),
            labels: Some(labels),
            host_config: Some(HostConfig {
                pid_mode: Some(format!("container:{}", target.id)),
                network_mode: Some(format!("container:{}", target.id)),
                cap_add: Some(vec!["SYS_PTRACE".into()]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let created = docker
            .create_container(None::<CreateContainerOptions>, body)
            .await
            .map_err(|e| engine.error_about(e, || AgentError::ImageNotFound(image.into())))?;
        let id = created.id;
        if let Err(e) = docker
            .start_container(&id, None::<StartContainerOptions>)
            .await
        {
            remove(engine, &id).await;
            return Err(engine.error(e));
        }
        tracing::info!(
            helper = id,
            target = target.id,
            image,
            "debug helper started"
        );
        Ok(id)
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn remove(engine: &Engine, id: &str) {
    let Ok(docker) = engine.docker().await else {
        return;
    };
    let opts = RemoveContainerOptions {
        force: true,
        // A toolbox that declares a VOLUME leaves none behind.
        v: true,
        ..Default::default()
    };
    if let Err(e) = docker.remove_container(id, Some(opts)).await {
        tracing::warn!(helper = id, "cannot remove the debug helper: {e}");
    }
}

/// Removes the helpers that agents on this host left behind when they
/// died (killed, or a `dockyard` whose embedded agent went with it). A
/// helper of an agent that still runs, or of another host's, is left.
pub async fn remove_leftovers(engine: Arc<Engine>) {
    let Ok(docker) = engine.docker().await else {
        return;
    };
    let opts = ListContainersOptions {
        all: true,
        filters: Some(HashMap::from([(
            "label".to_string(),
            vec![HELPER_LABEL.to_string()],
        )])),
        ..Default::default()
    };
    let Ok(list) = docker.list_containers(Some(opts)).await else {
        return;
    };
    for c in list {
        let labels = c.labels.unwrap_or_default();
        let owner = labels.get(OWNER_LABEL).cloned().unwrap_or_default();
        if !engine.owns(&labels) || owner_alive(&owner) != Some(false) {
            continue;
        }
        let id = c.id.unwrap_or_default();
        tracing::info!(
            helper = id,
            owner,
            "removing a debug helper its agent left behind"
        );
        remove(&engine, &id).await;
    }
}

/// This agent process: its host, PID namespace and boot, its PID and
/// start time (a PID is reused; a PID means something only in its
/// namespace and until the next boot).
fn owner_id() -> String {
    let pid = std::process::id();
    format!(
        "{}/{}/{}/{pid}/{}",
        crate::audit::hostname(),
        pid_namespace(),
        boot_id(),
        process_start(pid).unwrap_or(0)
    )
}

/// Whether the agent process `owner` names still runs: None when this
/// agent cannot say (another host, another PID namespace).
fn owner_alive(owner: &str) -> Option<bool> {
    let parts: Vec<&str> = owner.splitn(5, '/').collect();
    let [host, ns, boot, pid, start] = parts[..] else {
        return None;
    };
    if host != crate::audit::hostname() || ns != pid_namespace() {
        return None;
    }
    if boot != boot_id() {
        // Made before the last boot: its agent is gone.
        return Some(false);
    }
    let pid: u32 = pid.parse().ok()?;
    let start: u64 = start.parse().ok()?;
    Some(process_start(pid) == Some(start))
}

/// This process's PID namespace (`pid:[4026531836]`).
fn pid_namespace() -> String {
    std::fs::read_link("/proc/self/ns/pid")
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// A process's start time (clock ticks after boot), from /proc.
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name, in parentheses, may hold spaces: count after its end.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// The PID in its own namespace of host process `host_pid` (the last of
/// its NSpid), for a target that shares another container's namespace.
fn namespace_pid(host_pid: i64) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{host_pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("NSpid:"))?;
    line.split_whitespace().last()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_gone_one_is_not() {
        assert_eq!(owner_alive(&owner_id()), Some(true));
        let me = owner_id();
        let with = |i: usize, v: &str| {
            let mut parts: Vec<&str> = me.split('/').collect();
            parts[i] = v;
            parts.join("/")
        };
        assert_eq!(owner_alive(&with(4, "1")), Some(false), "a reused PID");
        assert_eq!(owner_alive(&with(2, "an-old-boot")), Some(false));
        assert_eq!(owner_alive(&with(1, "pid:[1]")), None, "another namespace");
        assert_eq!(owner_alive(&with(0, "another-host")), None);
    }

    #[test]
    fn the_default_toolbox() {
        assert_eq!(DebugSpec::default().image(), "busybox:musl");
        let d = DebugSpec {
            image: "my/tools:1".into(),
            toolbox_root: false,
        };
        assert_eq!(d.image(), "my/tools:1");
        // The helper says where it is where sessions look for it.
        let pid_file = "/tmp/.dockyard-helper.pid";
        assert!(HELPER_INIT.contains(pid_file) && LAUNCHER.contains(pid_file));
    }
}
