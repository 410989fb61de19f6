//! The Dockyard agent: a gRPC service over the local Docker engine.
//!
//! `engine` holds the engine connection, `attach` the hand-made exec
//! attach, `exec`, `containers`, `logs` and `stats` the engine operations,
//! `conversation` one exec stream, `sessions` the durable TTY sessions
//! that outlive their clients, `service` the RPC translation and
//! `server` the ways of serving it (TCP, or in-process for the client's embedded default).

pub mod attach;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod containers;
pub mod conversation;
pub mod engine;
pub mod error;
pub mod exec;
pub mod logs;
pub mod server;
pub mod service;
pub mod sessions;
pub mod stats;

pub use engine::Engine;
pub use error::AgentError;
pub use service::Agent;
