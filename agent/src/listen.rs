//! Where the agent listens: TCP addresses (TLS and tokens protect them)
//! and Unix sockets (the file's owner, group and mode protect them, and
//! the caller is the Unix user the kernel names: what `ssh://HOST`
//! reaches through `dockyard-agent dial-stdio`).

use std::fmt;
use std::net::SocketAddr;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use dockyard_proto::DEFAULT_SOCKET;

/// One `--listen`: `HOST:PORT` (or `tcp://HOST:PORT`), or
/// `unix://PATH` (`unix://` alone: [`DEFAULT_SOCKET`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl FromStr for Listen {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("unix://") {
            return match path {
                "" => Ok(Listen::Unix(DEFAULT_SOCKET.into())),
                p if p.starts_with('/') => Ok(Listen::Unix(p.into())),
                p => Err(format!(
                    "unix://{p}: the socket's path must be absolute (unix:///run/dockyard/agent.sock)"
                )),
            };
        }
        let addr = s.strip_prefix("tcp://").unwrap_or(s);
        addr.parse().map(Listen::Tcp).map_err(|_| {
            format!("'{s}' is not HOST:PORT (an IP address and a port) or unix:///PATH")
        })
    }
}

impl fmt::Display for Listen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Listen::Tcp(a) => a.fmt(f),
            Listen::Unix(p) => write!(f, "unix://{}", p.display()),
        }
    }
}

/// Who may open a Unix socket: its group and mode (the owner is the
/// agent's user).
#[derive(Debug, Clone)]
pub struct SocketAccess {
    /// None: the agent's own group, or `docker` when that group exists
    /// (whoever may use the engine's socket may use the agent's: the
    /// power is the same).
    pub group: Option<String>,
    pub mode: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("another agent listens on {0} (stop it, or give another path)")]
    InUse(String),
    #[error("{path}: {why}")]
    Io { path: String, why: std::io::Error },
    #[error("--socket-group {0}: no such group")]
    NoGroup(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ListenError + '_ {
    move |why| ListenError::Io {
        path: path.display().to_string(),
        why,
    }
}

/// Binds a Unix socket at `path` with `access`. A socket file left by an
/// agent that is gone is replaced; one another agent still answers on is
/// not. The directory is made (0755) when missing.
pub async fn bind_unix(
    path: &Path,
    access: &SocketAccess,
) -> Result<tokio::net::UnixListener, ListenError> {
    if let Some(dir) = path.parent()
        && !dir.exists()
    {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).map_err(io(dir))?;
    }
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(ListenError::Io {
                path: path.display().to_string(),
                why: std::io::Error::other("exists and is not a socket"),
            });
        }
        if tokio::net::UnixStream::connect(path).await.is_ok() {
            return Err(ListenError::InUse(path.display().to_string()));
        }
        std::fs::remove_file(path).map_err(io(path))?;
    }
    let gid = match &access.group {
        Some(name) => Some(group_id(name)?.ok_or_else(|| ListenError::NoGroup(name.clone()))?),
        None => group_id("docker")?,
    };
    // Bound under a mode that lets nobody in, then opened up: no moment
    // with the process's umask deciding.
    let listener = {
        let umask = Umask::set(0o177);
        let bound = tokio::net::UnixListener::bind(path).map_err(io(path));
        drop(umask);
        bound?
    };
    if let Some(gid) = gid {
        std::os::unix::fs::chown(path, None, Some(gid)).map_err(io(path))?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(access.mode))
        .map_err(io(path))?;
    Ok(listener)
}

fn group_id(name: &str) -> Result<Option<u32>, ListenError> {
    nix::unistd::Group::from_name(name)
        .map(|g| g.map(|g| g.gid.as_raw()))
        .map_err(|e| ListenError::Io {
            path: format!("group {name}"),
            why: e.into(),
        })
}

/// The process's umask for a while (restored on drop).
struct Umask(nix::sys::stat::Mode);

impl Umask {
    fn set(mask: u32) -> Self {
        let mode = nix::sys::stat::Mode::from_bits_truncate(mask as nix::libc::mode_t);
        Umask(nix::sys::stat::umask(mode))
    }
}

impl Drop for Umask {
    fn drop(&mut self) {
        nix::sys::stat::umask(self.0);
    }
}

/// The name of Unix user `uid` (its number when it has none).
pub fn user_name(uid: u32) -> String {
    match nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)) {
        Ok(Some(u)) => u.name,
        _ => uid.to_string(),
    }
}

/// A socket's mode as written on the command line: octal, as chmod takes
/// it (`660`, `0600`).
pub fn socket_mode(s: &str) -> Result<u32, String> {
    u32::from_str_radix(s.trim_start_matches("0o"), 8)
        .ok()
        .filter(|m| *m <= 0o777)
        .ok_or_else(|| format!("'{s}' is not a file mode (octal, e.g. 660)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        assert_eq!(
            "127.0.0.1:0".parse::<Listen>(),
            Ok(Listen::Tcp("127.0.0.1:0".parse().expect("addr")))
        );
        assert_eq!(
            "tcp://[::1]:7".parse::<Listen>(),
            Ok(Listen::Tcp("[::1]:7".parse().expect("addr")))
        );
        assert_eq!(
            "unix://".parse::<Listen>(),
            Ok(Listen::Unix(DEFAULT_SOCKET.into()))
        );
        assert_eq!(
            "unix:///tmp/a.sock".parse::<Listen>(),
            Ok(Listen::Unix("/tmp/a.sock".into()))
        );
        for bad in ["unix://rel.sock", "localhost", "1.2.3.4", ""] {
            assert!(bad.parse::<Listen>().is_err(), "{bad}");
        }
        assert_eq!(socket_mode("660"), Ok(0o660));
        assert_eq!(socket_mode("0600"), Ok(0o600));
        assert!(socket_mode("999").is_err());
    }

    #[tokio::test]
    async fn a_socket_gets_its_mode_and_a_stale_one_is_replaced() {
        let dir = std::env::temp_dir().join(format!("dockyard-listen-{}", std::process::id()));
        let path = dir.join("sub").join("agent.sock");
        let access = SocketAccess {
            group: None,
            mode: 0o600,
        };
        let first = bind_unix(&path, &access).await.expect("bind");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(matches!(
            bind_unix(&path, &access).await,
            Err(ListenError::InUse(_))
        ));
        drop(first);
        // Left behind by an agent that is gone: replaced.
        bind_unix(&path, &access).await.expect("bind again");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
