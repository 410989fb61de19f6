//! Shared fixtures for the end-to-end tests: the real binaries, the test
//! image, containers that clean up after themselves, an agent on port 0,
//! and a pseudo-terminal whose screen is read back with vt100.

pub mod certs;
pub mod debug;
pub mod engine_proxy;
pub mod image;
pub mod pty;
pub mod ssh;
pub mod tcp_proxy;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub use image::{TEST_IMAGE, ensure_image};

/// Label on every container a test creates; nothing else is ever touched.
pub const TEST_LABEL: &str = "dockyard.test";

/// A small runtime for the async Docker calls the fixtures make.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f)
}

pub fn docker() -> bollard::Docker {
    let d = bollard::Docker::connect_with_defaults().expect("Docker client");
    block_on(d.negotiate_version()).expect("Docker engine reachable (is dockerd running?)")
}

/// The directory holding `dockyard` and `dockyard-agent`, built on first
/// use with the same profile as this test binary. Cargo only builds a
/// package's own binaries for its tests, and ours live in other packages.
pub fn bin_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("current exe");
        // target/<profile>/deps/<test-binary>, or target/<profile>/<bin>.
        let mut dir = exe.parent().expect("exe dir").to_path_buf();
        if dir.file_name().is_some_and(|n| n == "deps") {
            dir.pop();
        }
        let profile = dir.file_name().and_then(|s| s.to_str()).unwrap_or("debug");
        let profile = if profile == "debug" { "dev" } else { profile };
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
        let status = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "--profile",
                profile,
                "--manifest-path",
                manifest,
            ])
            .args(["-p", "dockyard-cli", "-p", "dockyard-agent", "--bins"])
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building the dockyard binaries failed");
        dir
    })
}

pub fn dockyard_bin() -> PathBuf {
    bin_dir().join("dockyard")
}

pub fn agent_bin() -> PathBuf {
    bin_dir().join("dockyard-agent")
}

/// A name no other test (or test run) uses.
pub fn unique_name(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "dyt-{prefix}-{}-{}-{nanos:x}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// A running container from the test image, removed (forcibly) on drop.
pub struct TestContainer {
    pub name: String,
}

impl TestContainer {
    pub fn start(prefix: &str) -> Self {
        Self::start_with(prefix, &["sleep", "1000000"])
    }

    pub fn start_with(prefix: &str, cmd: &[&str]) -> Self {
        Self::start_custom(prefix, cmd, |_| {})
    }

    /// Like [`start_with`](Self::start_with), the create request adjusted
    /// first (a TTY, environment variables).
    pub fn start_custom(
        prefix: &str,
        cmd: &[&str],
        adjust: impl FnOnce(&mut bollard::models::ContainerCreateBody),
    ) -> Self {
        ensure_image();
        let name = unique_name(prefix);
        let mut body = bollard::models::ContainerCreateBody {
            image: Some(TEST_IMAGE.to_string()),
            cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
            labels: Some([(TEST_LABEL.to_string(), "1".to_string())].into()),
            ..Default::default()
        };
        adjust(&mut body);
        create_and_start(&name, body);
        TestContainer { name }
    }

    /// `n` sleeping containers of one group: a `dyt.fan` label only they
    /// carry (the group's name, returned, for `--filter label=dyt.fan=G`),
    /// and `CODE=i` in the environment of the i-th.
    pub fn group(prefix: &str, n: usize) -> (String, Vec<TestContainer>) {
        let group = unique_name(prefix);
        let containers = (0..n)
            .map(|i| {
                let g = group.clone();
                TestContainer::start_custom(prefix, &["sleep", "1000000"], move |b| {
                    b.labels
                        .get_or_insert_with(Default::default)
                        .insert("dyt.fan".into(), g);
                    b.env = Some(vec![format!("CODE={i}")]);
                })
            })
            .collect();
        (group, containers)
    }

    /// Stops it (SIGKILL, at once) but keeps it, for "not running" tests.
    pub fn kill(&self) {
        let docker = docker();
        block_on(docker.kill_container(&self.name, None)).expect("kill container");
        block_on(async {
            let mut wait = docker.wait_container(&self.name, None);
            use futures::StreamExt;
            while let Some(r) = wait.next().await {
                let _ = r;
            }
        });
    }
}

impl Drop for TestContainer {
    fn drop(&mut self) {
        remove_container(&self.name);
    }
}

/// Creates the container `name` as `body` says and starts it; panics when
/// the engine refuses either.
pub fn create_and_start(name: &str, body: bollard::models::ContainerCreateBody) {
    let docker = docker();
    let opts = bollard::query_parameters::CreateContainerOptions {
        name: Some(name.to_string()),
        ..Default::default()
    };
    block_on(async {
        docker
            .create_container(Some(opts), body)
            .await
            .unwrap_or_else(|e| panic!("create {name}: {e}"));
        docker
            .start_container(name, None)
            .await
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
    });
}

/// Removes a container this test created, whatever state it is in.
pub fn remove_container(name: &str) {
    let docker = docker();
    let opts = bollard::query_parameters::RemoveContainerOptions {
        force: true,
        ..Default::default()
    };
    let _ = block_on(docker.remove_container(name, Some(opts)));
}

/// A `dockyard-agent` on 127.0.0.1, port 0; SIGTERM and wait on drop.
pub struct TestAgent {
    child: Child,
    pub addr: String,
    stderr_log: PathBuf,
}

/// A runtime for gRPC calls. A client's connection runs on the runtime
/// that made it, so every call of that client must too.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

impl TestAgent {
    /// A gRPC client of this agent, its connection on `rt`.
    pub fn client(
        &self,
        rt: &tokio::runtime::Runtime,
        opts: &dockyard_client::DialOptions,
    ) -> dockyard_client::Client {
        let addr: dockyard_client::HostAddr = self.addr.parse().expect("addr");
        rt.block_on(dockyard_client::dial::connect(&addr, opts))
            .expect("connect")
    }

    pub fn start() -> Self {
        Self::start_with_env(&[])
    }

    pub fn start_with_env(env: &[(&str, &str)]) -> Self {
        Self::start_with(&[], env)
    }

    /// With extra command-line arguments (TLS, token) and environment.
    pub fn start_with(args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_on("127.0.0.1:0", args, env)
    }

    /// On a given address (to restart an agent where it was).
    pub fn start_on(listen: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let stderr_log = std::env::temp_dir().join(format!("{}.agent.log", unique_name("agent")));
        let log = std::fs::File::create(&stderr_log).expect("agent log file");
        let mut child = Command::new(agent_bin())
            .args(["--listen", listen])
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start dockyard-agent");
        let stdout = child.stdout.take().expect("agent stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("agent's first line");
        let addr = line
            .trim()
            .strip_prefix("dockyard-agent listening on ")
            .unwrap_or_else(|| panic!("unexpected agent output: {line:?}"))
            .to_string();
        TestAgent {
            child,
            addr,
            stderr_log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Still the same process, not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL: the agent vanishes without a word.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// `dockyard --host <this agent> <args>`.
    pub fn dockyard(&self, args: &[&str]) -> Command {
        let mut c = dockyard_command();
        c.args(["--host", &self.addr]).args(args);
        c
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the process; returns its exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(s) = self.child.try_wait().expect("wait agent") {
                return s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return self.child.wait().expect("wait agent");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestAgent {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.terminate();
        }
        let _ = std::fs::remove_file(&self.stderr_log);
    }
}

/// Is a process whose command line contains `needle` running in `c`?
/// Asked through `agent`; panics if it cannot ask, so a failed `ps` never
/// reads as "not running".
pub fn running_in(agent: &TestAgent, c: &TestContainer, needle: &str) -> bool {
    let o = run(agent.dockyard(&["exec", &c.name, "ps", "-o", "args"]));
    assert!(o.status.success(), "ps in {}: {}", c.name, stderr_str(&o));
    stdout_str(&o).lines().any(|l| l.contains(needle))
}

/// Waits until a process whose command line contains `needle` runs in `c`
/// (a session just spawned has reached the container); panics otherwise.
pub fn wait_started(agent: &TestAgent, c: &TestContainer, needle: &str) {
    assert!(
        eventually(Duration::from_secs(10), || running_in(agent, c, needle)),
        "{needle:?} never started in {}",
        c.name
    );
}

/// `dockyard` with `args`, shielded from the caller's environment and
/// config file (hosts, token, TLS), so a test sees only what it sets.
pub fn dockyard_command() -> Command {
    let mut c = Command::new(dockyard_bin());
    c.env_remove("DOCKYARD_HOST")
        .env_remove("DOCKYARD_TOKEN")
        .env_remove("DOCKYARD_TLS_CA")
        .env_remove("DOCKYARD_LEADER")
        .env("DOCKYARD_CONFIG", "/nonexistent/dockyard.toml");
    c
}

/// Removes the named container when dropped, however the test ends: for
/// containers a test makes through `dockyard launch`.
pub struct RemoveOnDrop(pub String);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        remove_container(&self.0);
    }
}

/// A number field (kB or count) from /proc/<pid>/status, e.g. "VmRSS:".
pub fn proc_status(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Runs a command with the given stdin bytes, capturing everything.
pub fn run_with_input(mut cmd: Command, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("stdin writer");
    out
}

/// Runs a command with stdin closed, capturing everything.
pub fn run(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("run command")
}

pub fn stdout_str(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr_str(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Waits until `f` is true, checking every 50 ms, at most `limit`. For
/// waiting on effects (a process gone), never for judging speed.
pub fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An interactive `sh` with a TTY in `container`, 24x80: a session, on an
/// agent that keeps them.
pub fn tty_shell(container: &str) -> dockyard_proto::pb::ExecStart {
    dockyard_proto::pb::ExecStart {
        container_identifier: container.into(),
        command: vec!["sh".into()],
        tty: Some(true),
        interactive: true,
        attach_stdin: Some(true),
        rows: 24,
        cols: 80,
        ..Default::default()
    }
}

/// Reads `session`'s output until `text` has come; panics if it ends
/// first.
pub async fn output_until(session: &mut dockyard_client::ExecSession, text: &str) {
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains(text) {
        match session.next_event().await.expect("output") {
            Some(dockyard_client::ExecEvent::Output { data, .. }) => seen.extend_from_slice(&data),
            other => panic!("ended before {text:?}: {other:?}"),
        }
    }
}

/// Builds the agent's image as `tag` from the debug agent binary with the
/// project's own script (assets/agent-image/build: nothing is pulled).
pub fn build_agent_image(tag: &str) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/agent-image/build");
    let built = Command::new(script)
        .arg(agent_bin())
        .arg(tag)
        .output()
        .expect("run the image build");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
}

/// Runs the `docker` command, which must succeed; its stdout, trimmed.
pub fn docker_cli_ok(args: &[&str]) -> String {
    let o = Command::new("docker").args(args).output().expect("docker");
    assert!(
        o.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}
