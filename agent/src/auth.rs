//! Who may talk to the agent: the listening policy (loopback, or TLS and a
//! token), the bearer-token check, and the TLS settings.
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
    #[error("the token in {0} is shorter than {MIN_TOKEN_LEN} characters")]
    ShortToken(String),
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

/// Reads a token file: the first line, surrounding white space trimmed.
pub fn read_token(path: &Path) -> Result<Arc<[u8]>, AuthError> {
    let raw = read(path)?;
    let text = String::from_utf8_lossy(&raw);
    let token = text.lines().next().unwrap_or("").trim();
    if token.len() < MIN_TOKEN_LEN {
        return Err(AuthError::ShortToken(path.display().to_string()));
    }
    Ok(Arc::from(token.as_bytes()))
}

/// TLS with the given certificate and key, requiring client certificates
/// signed by `client_ca` when one is given.
pub fn server_tls(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<ServerTlsConfig, AuthError> {
    let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(read(cert)?, read(key)?));
    if let Some(ca) = client_ca {
        tls = tls.client_ca_root(Certificate::from_pem(read(ca)?));
    }
    Ok(tls)
}

/// Checks `authorization: Bearer <token>` on every RPC when a token is
/// set. The comparison takes the same time wherever the first difference
/// is; the token is never logged.
#[derive(Clone, Default)]
pub struct TokenCheck {
    expected: Option<Arc<[u8]>>,
}

impl TokenCheck {
    pub fn new(expected: Option<Arc<[u8]>>) -> Self {
        TokenCheck { expected }
    }
}

impl Interceptor for TokenCheck {
    fn call(&mut self, req: Request<()>) -> Result<Request<()>, Status> {
        let Some(expected) = &self.expected else {
            return Ok(req);
        };
        let given = req
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match given {
            None => Err(Status::unauthenticated(
                "this agent requires a token (--token, DOCKYARD_TOKEN or the config file)",
            )),
            Some(t) if bool::from(t.as_bytes().ct_eq(expected)) => Ok(req),
            Some(_) => {
                tracing::warn!("request with a wrong token refused");
                Err(Status::unauthenticated("the token was not accepted"))
            }
        }
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
        let mut check = TokenCheck::new(Some(Arc::from(&b"0123456789abcdef"[..])));
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
        assert!(check.call(with("Bearer 0123456789abcdef")).is_ok());
        assert!(TokenCheck::default().call(Request::new(())).is_ok());
    }
}
