//! The agent's command line, as clap sees it: here in the library so that
//! `dockyard man` renders `dockyard-agent`'s man page from the same
//! definitions the binary parses.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "dockyard-agent",
    version,
    about = "Serve this host's Docker engine to Dockyard clients over gRPC"
)]
pub struct Args {
    /// Address to listen on. Port 0 picks a free port (printed at start).
    #[arg(long, default_value = "127.0.0.1:50051", env = "DOCKYARD_LISTEN")]
    pub listen: SocketAddr,

    /// PEM certificate (chain) to serve TLS with
    #[arg(long, requires = "tls_key", value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for --tls-cert
    #[arg(long, requires = "tls_cert", value_name = "PEM")]
    pub tls_key: Option<PathBuf>,

    /// Require client certificates signed by this PEM CA
    #[arg(long, requires = "tls_cert", value_name = "PEM")]
    pub tls_client_ca: Option<PathBuf>,

    /// File whose first line is the bearer token every client must send
    /// (at least 16 characters)
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Allow listening on a non-loopback address without TLS and a token.
    /// Anyone who can reach the port gets a root shell in every container.
    #[arg(long)]
    pub insecure: bool,
}
