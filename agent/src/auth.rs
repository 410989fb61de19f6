//! Who may talk to the agent: the listening policy (loopback, or TLS and a
//! token), the bearer-token check, the TLS settings, and who a caller is
//! ([`Caller`]: the token's name and the client certificate's subject),
//! which decides whose durable sessions a caller sees.
//!
//! The agent hands out root shells in every container, so the defaults are
//! strict: anything off loopback needs TLS and a token unless the operator
//! says `--insecure` out loud.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use subtle::ConstantTimeEq;
use tonic::service::Interceptor;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};
use tonic::{Request, Status};

/// Tokens shorter than this are refused at start: guessable.
pub const MIN_TOKEN_LEN: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(
        "refusing to listen on {0} without TLS and a token: pass --tls-cert, --tls-key and --token-file (or --insecure to accept that anyone who reaches the port gets a root shell)"
    )]
    Unprotected(SocketAddr),
    #[error("cannot read {path}: {err}")]
    Read { path: String, err: std::io::Error },
    #[error("{0}: a token is shorter than {MIN_TOKEN_LEN} characters")]
    ShortToken(String),
    #[error("{0}: no token in it")]
    NoToken(String),
    #[error("{path}: line {line}: expected TOKEN or NAME TOKEN")]
    BadLine { path: String, line: usize },
    #[error("{path}: the name {name} is given twice")]
    DuplicateName { path: String, name: String },
    #[error("{path}: line {line}: this token is already in the file under another name")]
    DuplicateToken { path: String, line: usize },
}

/// May the agent listen on `addr` with these protections?
pub fn check_listen(
    addr: SocketAddr,
    tls: bool,
    token: bool,
    insecure: bool,
) -> Result<(), AuthError> {
    if addr.ip().is_loopback() || (tls && token) || insecure {
        Ok(())
    } else {
        Err(AuthError::Unprotected(addr))
    }
}

fn read(path: &Path) -> Result<Vec<u8>, AuthError> {
    std::fs::read(path).map_err(|err| AuthError::Read {
        path: path.display().to_string(),
        err,
    })
}

/// A token the agent accepts, with the name that identifies its holder
/// (in logs, session ownership and recordings).
#[derive(Clone)]
pub struct Token {
    pub name: String,
    pub secret: Arc<[u8]>,
}

/// Reads a token file: one token per line, `TOKEN` or `NAME TOKEN`
/// (blank lines and `#` comments skipped). A token without a name is
/// called `token-N`, N its place in the file, so a one-line file (the
/// original format) names its token `token-1`.
pub fn read_tokens(path: &Path) -> Result<Vec<Token>, AuthError> {
    let shown = path.display().to_string();
    let raw = read(path)?;
    let text = String::from_utf8_lossy(&raw);
    let mut tokens: Vec<Token> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let (name, secret) = match words[..] {
            [secret] => (format!("token-{}", tokens.len() + 1), secret),
            [name, secret] => (name.to_string(), secret),
            _ => {
                return Err(AuthError::BadLine {
                    path: shown,
                    line: i + 1,
                });
            }
        };
        if secret.len() < MIN_TOKEN_LEN {
            return Err(AuthError::ShortToken(shown));
        }
        if tokens.iter().any(|t| t.name == name) {
            return Err(AuthError::DuplicateName { path: shown, name });
        }
        // One secret, two names: its holders could not be told apart.
        if tokens.iter().any(|t| *t.secret == *secret.as_bytes()) {
            return Err(AuthError::DuplicateToken {
                path: shown,
                line: i + 1,
            });
        }
        tokens.push(Token {
            name,
            secret: Arc::from(secret.as_bytes()),
        });
    }
    if tokens.is_empty() {
        return Err(AuthError::NoToken(shown));
    }
    Ok(tokens)
}

/// TLS with the given certificate and key, requiring client certificates
/// signed by `client_ca` when one is given. With a cluster CA
/// (`peer_ca`), certificates it signed are accepted too (the agent's
/// peers present theirs), and required of nobody else unless `client_ca`
/// says so.
pub fn server_tls(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
    peer_ca: Option<&[u8]>,
) -> Result<ServerTlsConfig, AuthError> {
    let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(read(cert)?, read(key)?));
    let mut roots = Vec::new();
    if let Some(ca) = client_ca {
        roots.extend(read(ca)?);
        roots.push(b'\n');
    }
    if let Some(ca) = peer_ca {
        roots.extend_from_slice(ca);
    }
    if !roots.is_empty() {
        tls = tls
            .client_ca_root(Certificate::from_pem(roots))
            .client_auth_optional(client_ca.is_none());
    }
    Ok(tls)
}

/// The caller a peer of the cluster vouched for, put in the request's
/// extensions by the gate (`fleet::gate`) for the token check to take.
#[derive(Clone, Debug)]
pub struct Forwarded(pub Caller);

/// Who is calling, as far as the agent can tell: the name of the token
/// it sent and the subject of its client certificate, or on a Unix socket
/// the Unix user that opened it (the kernel says which). Two callers are
/// the same identity when all match; on an agent with none (an open
/// loopback port) every caller is the same, anonymous one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Caller {
    pub token: Option<String>,
    pub certificate: Option<String>,
    /// The Unix user of a caller on a Unix socket.
    pub user: Option<String>,
}

impl Caller {
    /// The caller of a request, as the interceptor recorded it.
    pub fn of<T>(req: &Request<T>) -> Caller {
        req.extensions()
            .get::<Caller>()
            .cloned()
            .unwrap_or_default()
    }
}

impl std::fmt::Display for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(u) = &self.user {
            return write!(f, "user {u}");
        }
        match (&self.token, &self.certificate) {
            (None, None) => f.write_str("anonymous"),
            (Some(t), None) => write!(f, "token {t}"),
            (None, Some(c)) => write!(f, "certificate {c}"),
            (Some(t), Some(c)) => write!(f, "token {t}, certificate {c}"),
        }
    }
}

/// The subject of the first certificate the client presented.
fn certificate_subject<T>(req: &Request<T>) -> Option<String> {
    let certs = req.peer_certs()?;
    let der = certs.first()?;
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => Some(cert.subject().to_string()),
        Err(e) => {
            tracing::warn!("cannot read the client certificate's subject: {e}");
            Some("(unreadable subject)".into())
        }
    }
}

/// Checks `authorization: Bearer <token>` on every RPC when tokens are
/// set, and records the [`Caller`] for the handlers. The comparison takes
/// the same time wherever the first difference is; tokens are never
/// logged.
#[derive(Clone, Default)]
pub struct TokenCheck {
    tokens: Arc<[Token]>,
}

impl TokenCheck {
    pub fn new(tokens: Vec<Token>) -> Self {
        TokenCheck {
            tokens: tokens.into(),
        }
    }

    /// Whether this agent checks tokens at all.
    pub fn has_tokens(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// Whether `name` names one of this agent's tokens.
    pub fn knows(&self, name: &str) -> bool {
        self.tokens.iter().any(|t| t.name == name)
    }

    fn token_name(&self, req: &Request<()>) -> Result<Option<String>, Status> {
        if self.tokens.is_empty() {
            return Ok(None);
        }
        let given = req
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let Some(given) = given else {
            return Err(dockyard_proto::Cause::Unauthenticated.status(
                "this agent requires a token (--token, DOCKYARD_TOKEN or the config file)",
            ));
        };
        // Every token is compared, so the time says nothing about which
        // one (if any) nearly matched.
        let mut found = None;
        for t in self.tokens.iter() {
            if bool::from(given.as_bytes().ct_eq(&t.secret)) {
                found = Some(t.name.clone());
            }
        }
        match found {
            Some(name) => Ok(Some(name)),
            None => {
                tracing::warn!("request with a wrong token refused");
                Err(dockyard_proto::Cause::Unauthenticated.status("the token was not accepted"))
            }
        }
    }
}

impl Interceptor for TokenCheck {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
        // A peer of the cluster vouched for the caller (see `fleet::gate`,
        // which puts this there only for an agent's connection).
        if let Some(Forwarded(caller)) = req.extensions().get().cloned() {
            req.extensions_mut().insert(caller);
            return Ok(req);
        }
        // On a Unix socket the kernel names the caller: no token is asked
        // (the socket's permissions decided who may connect).
        let unix = req
            .extensions()
            .get::<tonic::transport::server::UdsConnectInfo>()
            .map(|info| {
                info.peer_cred
                    .map_or_else(|| "unknown".into(), |c| crate::listen::user_name(c.uid()))
            });
        let caller = match unix {
            Some(user) => Caller {
                user: Some(user),
                ..Caller::default()
            },
            None => Caller {
                token: self.token_name(&req)?,
                certificate: certificate_subject(&req),
                user: None,
            },
        };
        req.extensions_mut().insert(caller);
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_policy() {
        let lo: SocketAddr = "127.0.0.1:1".parse().expect("addr");
        let any: SocketAddr = "0.0.0.0:1".parse().expect("addr");
        assert!(check_listen(lo, false, false, false).is_ok());
        assert!(check_listen(any, false, false, false).is_err());
        assert!(check_listen(any, true, false, false).is_err());
        assert!(check_listen(any, false, true, false).is_err());
        assert!(check_listen(any, true, true, false).is_ok());
        assert!(check_listen(any, false, false, true).is_ok());
    }

    #[test]
    fn token_check() {
        let mut check = TokenCheck::new(vec![
            Token {
                name: "ops".into(),
                secret: Arc::from(&b"0123456789abcdef"[..]),
            },
            Token {
                name: "dev".into(),
                secret: Arc::from(&b"fedcba9876543210"[..]),
            },
        ]);
        let with = |v: &str| {
            let mut r = Request::new(());
            r.metadata_mut()
                .insert("authorization", v.parse().expect("ascii"));
            r
        };
        assert!(check.call(Request::new(())).is_err());
        assert!(check.call(with("Bearer 0123456789abcdeX")).is_err());
        assert!(check.call(with("Bearer 0123456789abcde")).is_err());
        assert!(check.call(with("Basic 0123456789abcdef")).is_err());
        let caller = |r: Request<()>| Caller::of(&r).token;
        let ok = check
            .call(with("Bearer 0123456789abcdef"))
            .expect("accepted");
        assert_eq!(caller(ok), Some("ops".to_string()));
        let ok = check
            .call(with("Bearer fedcba9876543210"))
            .expect("accepted");
        assert_eq!(caller(ok), Some("dev".to_string()));
        let open = TokenCheck::default().call(Request::new(())).expect("open");
        assert_eq!(Caller::of(&open), Caller::default());
    }

    #[test]
    fn token_files() {
        let dir = std::env::temp_dir().join(format!("dockyard-tokens-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).expect("write");
            p
        };
        let one = read_tokens(&file("one", "  0123456789abcdef \n")).expect("one");
        assert_eq!(one[0].name, "token-1");
        let two = read_tokens(&file(
            "two",
            "# team\nalice 0123456789abcdef\n\nfedcba9876543210\n",
        ))
        .expect("two");
        let names: Vec<&str> = two.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["alice", "token-2"]);
        for bad in [
            "short",
            "",
            "# only\n",
            "a b c\n",
            "x 0123456789abcdef\nx fedcba9876543210\n",
            "x 0123456789abcdef\ny 0123456789abcdef\n",
        ] {
            assert!(read_tokens(&file("bad", bad)).is_err(), "{bad:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
