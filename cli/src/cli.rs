//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCompleter;
use dockyard_client::HostSpec;

#[derive(Debug, Parser)]
#[command(
    name = "dockyard",
    version,
    about = "Reach into containers: exec, launch, stop, rm, ps",
    long_about = "Reach into containers on one or many Docker hosts.\n\nWithout --host, dockyard runs an agent in its own process against the local Docker socket."
)]
pub struct Cli {
    /// Agent to talk to: HOST or HOST:PORT (default port 50051),
    /// ssh://[USER@]HOST[:PORT][/SOCKET] for an agent on a Unix socket
    /// reached through the system's ssh, or `local` for an agent inside
    /// this process on the local Docker socket (the default). Repeatable;
    /// the TUI shows every host's containers.
    #[arg(
        long,
        global = true,
        env = "DOCKYARD_HOST",
        value_delimiter = ',',
        value_name = "HOST",
        add = ArgValueCompleter::new(crate::completion::hosts)
    )]
    pub host: Vec<HostSpec>,

    /// Bearer token for agents that require one (better: DOCKYARD_TOKEN or
    /// the config file, which `ps` does not show)
    #[arg(
        long,
        global = true,
        env = "DOCKYARD_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,

    /// PEM CA to trust for agents' TLS certificates (turns TLS on)
    #[arg(long, global = true, env = "DOCKYARD_TLS_CA", value_name = "PEM")]
    pub tls_ca: Option<PathBuf>,

    /// PEM client certificate, for agents that require one
    #[arg(long, global = true, requires = "tls_key", value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,

    /// PEM key for --tls-cert
    #[arg(long, global = true, requires = "tls_cert", value_name = "PEM")]
    pub tls_key: Option<PathBuf>,

    /// The TUI's options, for `dockyard` without a subcommand.
    #[command(flatten)]
    pub tui: TuiArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct TuiArgs {
    /// The key that starts TUI commands, e.g. ctrl-b (default ctrl-a)
    #[arg(long, env = "DOCKYARD_LEADER", value_name = "KEY")]
    pub leader: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The terminal UI (also what `dockyard` alone opens)
    Tui(TuiArgs),
    /// Run a command in a running container (like docker exec)
    Exec(ExecArgs),
    /// Copy files and directories between a container and the local
    /// filesystem (like docker cp: its syntax and rules; nothing is needed
    /// inside the container, which may be stopped)
    Cp(CpArgs),
    /// Reach a container's ports from this machine (like kubectl
    /// port-forward): even one bound to the container's own loopback, and
    /// the container made again under its name between connections
    PortForward(PortForwardArgs),
    /// A shell (or COMMAND) in any container, even one whose image has no
    /// shell: the container's files, processes and network, a toolbox's
    /// programs (docs/debug.md)
    Debug(DebugArgs),
    /// Create and start a container, pulling its image when missing
    Launch(LaunchArgs),
    /// Stop a running container
    Stop(StopArgs),
    /// Remove a container
    Rm(RmArgs),
    /// List containers
    Ps(PsArgs),
    /// Print a container's logs, stdout and stderr apart (like docker logs)
    Logs(LogsArgs),
    /// Containers' CPU, memory, network and disk use (like docker stats)
    Stats(StatsArgs),
    /// A container's configuration and state as the engine's JSON
    Inspect(InspectArgs),
    /// Restart containers
    Restart(RestartArgs),
    /// Pause every process in containers
    Pause(ContainersArgs),
    /// Resume the processes of paused containers
    Unpause(ContainersArgs),
    /// Send a signal to containers' main process (KILL unless -s)
    Kill(KillArgs),
    /// This client's version and every agent's and engine's it reaches
    Version(VersionArgs),
    /// The TTY sessions the agents keep for you (attached or detached);
    /// `sessions rm ID` ends one
    Sessions(SessionsArgs),
    /// Return to a session in this terminal: its screen as the program
    /// left it, then live
    Attach(AttachArgs),
    /// Play an asciicast recording in this terminal (q quits, space
    /// pauses)
    Replay(ReplayArgs),
    /// Shell completion script (bash, zsh, fish): container names are
    /// completed by asking the agents
    Completions(CompletionsArgs),
    /// Man pages for dockyard, each subcommand and dockyard-agent
    Man(ManArgs),
    /// The effective settings and where each comes from (flag, environment,
    /// config file, default), tokens masked
    Config(ConfigArgs),
}

/// `port-forward CONTAINER [LOCAL_ADDRESS:]LOCAL_PORT:PORT...`.
#[derive(Debug, Args)]
#[command(after_help = "\
Each port is LOCAL_PORT:PORT, :PORT (a free local port, printed), PORT \
(the same number here), or LOCAL_ADDRESS:LOCAL_PORT:PORT. Each local \
connection is carried to the container's PORT on its own loopback, by a \
debug helper in the container's network namespace (nothing is needed in \
the container; see dockyard debug). Ctrl-C ends it.")]
pub struct PortForwardArgs {
    /// Addresses to listen on, comma-separated or repeated (default:
    /// 127.0.0.1 and ::1; `localhost` is both)
    #[arg(long, value_name = "ADDRESS")]
    pub address: Vec<String>,
    /// The toolbox image whose `nc` carries the connections (default:
    /// DOCKYARD_DEBUG_IMAGE, else debug_image in the config file, else
    /// busybox:musl)
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// The container (name or id)
    #[arg(add = ArgValueCompleter::new(crate::completion::containers))]
    pub container: String,
    /// [LOCAL_ADDRESS:]LOCAL_PORT:PORT, :PORT or PORT
    #[arg(required = true, value_name = "PORTS")]
    pub ports: Vec<String>,
}

/// `cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-` and
/// `cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH`.
#[derive(Debug, Args)]
#[command(after_help = "\
`-` as DEST_PATH writes the container's files to stdout as a tar stream; \
`-` as SRC_PATH extracts a tar stream from stdin into the container's \
directory. A path ending in `/.` copies a directory's contents. Errors \
are docker's words, exit 1. A progress line is shown on a terminal.")]
pub struct CpArgs {
    /// Archive mode: the files take the container user's uid and gid
    /// (docker's copyUIDGID)
    #[arg(short = 'a', long)]
    pub archive: bool,
    /// Always follow a symbolic link in SRC_PATH
    #[arg(short = 'L', long)]
    pub follow_link: bool,
    /// No progress line (there is none when stderr is not a terminal)
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// CONTAINER:SRC_PATH, or a local path, or - for a tar on stdin
    #[arg(value_name = "SRC", allow_hyphen_values = true)]
    pub src: String,
    /// A local path, or - for a tar on stdout, or CONTAINER:DEST_PATH
    #[arg(value_name = "DEST", allow_hyphen_values = true)]
    pub dest: String,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = PsFormat::Table)]
    pub format: PsFormat,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Directory to write the pages into (dockyard.1, dockyard-exec.1, ...,
    /// dockyard-agent.1); without it, dockyard.1 goes to stdout
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SessionsArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = PsFormat::Table)]
    pub format: PsFormat,
    #[command(subcommand)]
    pub command: Option<SessionsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// End sessions (their programs are ended)
    Rm {
        /// Session ids (or unique prefixes)
        #[arg(required = true, add = ArgValueCompleter::new(crate::completion::sessions))]
        ids: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Keys that detach again, leaving the session running (docker's
    /// syntax: e.g. ctrl-p,ctrl-q; off by default)
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<String>,
    /// Record the session to FILE as asciicast v2 (asciinema's format),
    /// written as it happens; needs -t
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// With --record: record what is typed too (off by default: passwords)
    #[arg(long, requires = "record")]
    pub record_input: bool,
    /// Session id (or a unique prefix), as `dockyard sessions` lists it
    #[arg(add = ArgValueCompleter::new(crate::completion::sessions))]
    pub id: String,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// How many times faster than it was recorded
    #[arg(long, default_value_t = 1.0, value_parser = positive)]
    pub speed: f64,
    /// Pauses longer than this many seconds are cut to it (default: the
    /// recording's idle_time_limit, else none)
    #[arg(long, value_name = "SECONDS", value_parser = positive)]
    pub idle_limit: Option<f64>,
    /// Play it in a pane of the terminal UI instead (space pauses, left
    /// and right seek 5 s, + and - change the speed)
    #[arg(long, conflicts_with_all = ["speed", "idle_limit"])]
    pub tui: bool,
    /// An asciicast v2 file (Dockyard's or asciinema's)
    pub file: PathBuf,
}

fn positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("'{s}' is not a positive number")),
    }
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = PsFormat::Table)]
    pub format: PsFormat,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Keep stdin open. From a terminal (stdin and stdout), also allocates a TTY.
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY
    #[arg(short, long)]
    pub tty: bool,
    /// Start the command and return at once (exit 0, nothing printed); it
    /// keeps running when dockyard leaves
    #[arg(short, long)]
    pub detach: bool,
    /// The node of a cluster the container runs on (default: the agent
    /// dialed finds it by the container's name)
    #[arg(long, value_name = "NAME")]
    pub node: Option<String>,
    /// Give the command extended privileges (all capabilities)
    #[arg(long)]
    pub privileged: bool,
    /// Keys that detach from the session, leaving it running (docker's
    /// syntax: e.g. ctrl-p,ctrl-q; off by default)
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<String>,
    /// Record the session to FILE as asciicast v2 (asciinema's format),
    /// written as it happens; needs -t
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// With --record: record what is typed too (off by default: passwords)
    #[arg(long, requires = "record")]
    pub record_input: bool,
    /// User to run as: name or uid[:gid]
    #[arg(short, long)]
    pub user: Option<String>,
    /// Working directory inside the container
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// Set an environment variable; KEY alone passes this shell's value
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Read environment variables from a file (KEY=VALUE lines)
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Run in every running container that matches, on every host,
    /// instead of one: name=REGEX, label=KEY[=VALUE], ancestor=IMAGE,
    /// status=STATE, node=NAME (as ps --filter). Everything after the
    /// options is then the command
    #[arg(long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// With --filter: how many containers run the command at once
    #[arg(long, default_value_t = 32, value_name = "N")]
    pub parallel: usize,
    /// With --filter: output as it comes, without NAME | prefixes
    #[arg(long)]
    pub no_prefix: bool,
    /// With --filter: each container's output into DIR/HOST/NAME.out,
    /// .err and .exit instead of the terminal
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// With --filter: text, or one JSON object per container as it ends
    #[arg(long, value_enum, default_value_t = FanoutFormat::Text)]
    pub format: FanoutFormat,
    /// Container name or id
    #[arg(
        required_unless_present = "filter",
        add = ArgValueCompleter::new(crate::completion::containers)
    )]
    pub container: Option<String>,
    /// Command and its arguments (default with a TTY: bash, else sh; for
    /// debug, the toolbox's shell)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
    /// Set by `dockyard debug`: run it as a debug session.
    #[arg(skip)]
    pub debug: Option<dockyard_client::pb::DebugOptions>,
}

#[derive(Debug, Args)]
pub struct DebugArgs {
    /// The toolbox image, pulled when missing (default: DOCKYARD_DEBUG_IMAGE,
    /// else debug_image in the config file, else busybox:musl); a static
    /// build, of the container's platform
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// Make `/` the toolbox's own root, with the container's at /target
    /// (for when the container's own files are in the way)
    #[arg(long)]
    pub toolbox_root: bool,
    #[command(flatten)]
    pub exec: ExecArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FanoutFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct LaunchArgs {
    /// Image to run, e.g. busybox or registry:5000/team/app:1.2
    pub image: String,
    /// Container name
    #[arg(long)]
    pub name: Option<String>,
    /// Environment variable; KEY alone passes this shell's value
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Publish a port: [IP:]HOST:CONTAINER[/PROTO] or CONTAINER[/PROTO]
    #[arg(short = 'p', long = "publish", value_name = "HOST:CONTAINER")]
    pub ports: Vec<String>,
    /// Label to set on the container
    #[arg(short, long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Restart policy: no, always, unless-stopped, on-failure[:N]
    #[arg(long, value_name = "POLICY")]
    pub restart: Option<String>,
    /// The node of a cluster to launch it on (default: the node of the
    /// agent dialed)
    #[arg(long, value_name = "NAME")]
    pub node: Option<String>,
    /// Command to run instead of the image's default (after --)
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Seconds to wait before killing the container
    #[arg(short = 't', long = "time", value_name = "SECS")]
    pub timeout: Option<u32>,
    /// Container name or id
    #[arg(add = ArgValueCompleter::new(crate::completion::containers))]
    pub container: String,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Stop and remove a running container
    #[arg(short, long)]
    pub force: bool,
    /// Container name or id
    #[arg(add = ArgValueCompleter::new(crate::completion::containers))]
    pub container: String,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Keep printing new output until the container stops
    #[arg(short, long)]
    pub follow: bool,
    /// Only the last N lines ("all" for every line)
    #[arg(short = 'n', long, value_name = "N", default_value = "all")]
    pub tail: String,
    /// Only output since this time: a duration back from now (10m, 1h30m),
    /// an RFC 3339 time or unix seconds
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only output before this time (same forms as --since)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Prefix each line with the time it was written
    #[arg(short, long)]
    pub timestamps: bool,
    /// Container name or id
    #[arg(add = ArgValueCompleter::new(crate::completion::containers))]
    pub container: String,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Print one sample of each container and exit
    #[arg(long)]
    pub no_stream: bool,
    /// Show every container, not only running ones
    #[arg(short, long)]
    pub all: bool,
    /// Output format: a table, or one JSON object per container and line
    #[arg(long, value_enum, default_value_t = PsFormat::Table)]
    pub format: PsFormat,
    /// Containers (default: every running container, as they come and go)
    #[arg(add = ArgValueCompleter::new(crate::completion::containers))]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Container names or ids
    #[arg(required = true, add = ArgValueCompleter::new(crate::completion::containers))]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RestartArgs {
    /// Seconds to wait for the stop before killing the container
    #[arg(short = 't', long = "time", value_name = "SECS")]
    pub timeout: Option<u32>,
    /// Container names or ids
    #[arg(required = true, add = ArgValueCompleter::new(crate::completion::containers))]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ContainersArgs {
    /// Container names or ids
    #[arg(required = true, add = ArgValueCompleter::new(crate::completion::containers))]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// Signal to send: a name (KILL, SIGTERM, HUP) or number
    #[arg(short, long, default_value = "KILL")]
    pub signal: String,
    /// Container names or ids
    #[arg(required = true, add = ArgValueCompleter::new(crate::completion::containers))]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show all containers, not only running ones
    #[arg(short, long)]
    pub all: bool,
    /// Only containers that match: name=REGEX, label=KEY[=VALUE],
    /// ancestor=IMAGE, status=STATE, node=NAME (a cluster's node).
    /// Repeatable, as docker ps: different keys must all match, the same
    /// key either value (labels: all)
    #[arg(short, long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = PsFormat::Table)]
    pub format: PsFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PsFormat {
    Table,
    Json,
}
