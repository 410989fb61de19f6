//! The Dockyard agent: a gRPC service over the local Docker engine.
//!
//! `engine` holds the engine connection, `attach` the hand-made exec
//! attach, `exec`, `containers`, `logs` and `stats` the engine operations,
//! `conversation` how an exec stream opens, `debug` the helpers of debug
//! shells, `sessions` the one exec engine
//! (every attached exec is a session: one output pump, its clients; TTY
//! ones outlive their clients when the agent keeps sessions), `wire` the
//! answers it sends, `service` the RPC translation and `server` the ways
//! of serving it (TCP, or in-process for the client's embedded default).

pub mod ages;
pub mod archive;
pub mod attach;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod chunk;
pub mod cli;
pub mod containers;
pub mod conversation;
pub mod debug;
pub mod dial_stdio;
pub mod engine;
pub mod error;
pub mod exec;
pub mod fleet;
pub mod listen;
pub mod logs;
pub mod server;
pub mod service;
pub mod sessions;
pub mod stats;
pub mod wire;

pub use engine::Engine;
pub use error::AgentError;
pub use service::Agent;
