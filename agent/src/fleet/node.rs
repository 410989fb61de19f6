//! Which node an agent serves: named by `--node-name`, else by its
//! engine's host name; the engine's Swarm node id when it is in a swarm.

use crate::engine::Engine;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    /// What `dockyard-node` and listings call it.
    pub name: String,
    pub node_id: String,
    pub hostname: String,
}

impl Node {
    /// Asks the engine (`/info`). An engine that does not answer yet
    /// leaves the host name this machine's, so the agent can start.
    pub async fn of(engine: &Engine, name: Option<String>) -> Node {
        let info = match engine.docker().await {
            Ok(d) => d.info().await.ok(),
            Err(_) => None,
        };
        let hostname = info
            .as_ref()
            .and_then(|i| i.name.clone())
            .unwrap_or_else(local_hostname);
        let node_id = info
            .and_then(|i| i.swarm)
            .and_then(|s| s.node_id)
            .unwrap_or_default();
        Node {
            name: name.unwrap_or_else(|| hostname.clone()),
            node_id,
            hostname,
        }
    }
}

fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}
