//! The workspace kept when quitting with sessions left running: the split
//! tree of the panes whose sessions a remote agent keeps, each naming its
//! host, container, session and command. The next `dockyard` restores it
//! (panes in the same layout, attached again as their hosts connect) and
//! removes the file. JSON, version 1:
//!
//! ```json
//! {"version": 1, "tree": {"split": "horizontal", "children": [
//!   {"pane": {"host": "h1:50051", "container": "web", "session": "3f2a9c0b1d2e",
//!             "command": ["sh"]}}, ...]}}
//! ```

use ratatui::layout::Direction;
use serde_json::{Value, json};

use super::State;
use super::panes::{Pane, PaneId, PaneKind};
use crate::term::layout::Node;

pub const VERSION: u64 = 1;

/// The workspace of `state`'s durable panes; None when there are none.
pub fn save(state: &State) -> Option<Value> {
    let keep = state.durable_panes();
    let tree = keep_only(state.panes.tree()?, &keep)?;
    Some(json!({"version": VERSION, "tree": node_json(state, &tree)}))
}

/// `node` with only the panes in `keep`; splits left with one child give
/// way to it.
fn keep_only(node: &Node, keep: &[PaneId]) -> Option<Node> {
    match node {
        Node::Pane(id) => keep.contains(id).then_some(Node::Pane(*id)),
        Node::Split { dir, children } => {
            let mut kept: Vec<Node> = children.iter().filter_map(|c| keep_only(c, keep)).collect();
            match kept.len() {
                0 => None,
                1 => kept.pop(),
                _ => Some(Node::Split {
                    dir: *dir,
                    children: kept,
                }),
            }
        }
    }
}

fn node_json(state: &State, node: &Node) -> Value {
    match node {
        Node::Pane(id) => {
            let Some(p) = state.panes.get(*id) else {
                return Value::Null;
            };
            let command = match &p.kind {
                PaneKind::Shell => dockyard_client::exec_session::default_shell(),
                PaneKind::Command(spec) => spec.command.clone(),
                PaneKind::Attached { command, .. } => command.clone(),
                PaneKind::Logs { .. }
                | PaneKind::File { .. }
                | PaneKind::Replay { .. }
                | PaneKind::Debug { .. } => Vec::new(),
            };
            json!({"pane": {
                "host": p.host_label,
                "node": p.node,
                "container": p.container,
                "session": p.session_id,
                "command": command,
            }})
        }
        Node::Split { dir, children } => json!({
            "split": if *dir == Direction::Horizontal { "horizontal" } else { "vertical" },
            "children": children.iter().map(|c| node_json(state, c)).collect::<Vec<_>>(),
        }),
    }
}

/// Puts a saved workspace's panes on `state` (which has none yet): each
/// waits for its host to connect, then attaches its session. Panes of
/// hosts this run does not reach are left out. Returns how many came back.
pub fn restore(state: &mut State, saved: &Value) -> Result<usize, String> {
    if saved["version"].as_u64() != Some(VERSION) {
        return Err("unknown workspace version".into());
    }
    let mut panes = Vec::new();
    let Some(tree) = node_from(state, &saved["tree"], &mut panes)? else {
        return Ok(0);
    };
    let n = panes.len();
    state.panes.restore(tree, panes);
    Ok(n)
}

fn node_from(state: &State, v: &Value, panes: &mut Vec<Pane>) -> Result<Option<Node>, String> {
    if let Some(p) = v.get("pane") {
        let field = |k: &str| p[k].as_str().map(str::to_string);
        let (Some(host_label), Some(container), Some(session_id)) =
            (field("host"), field("container"), field("session"))
        else {
            return Err("a pane without host, container or session".into());
        };
        let command: Vec<String> = p["command"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let Some(host) = state
            .list
            .hosts()
            .iter()
            .position(|h| h.label == host_label)
        else {
            return Ok(None);
        };
        let id = state.panes.next_id() + panes.len() as PaneId;
        let kind = PaneKind::Attached {
            session_id,
            command,
            node: p["node"].as_str().unwrap_or_default().to_string(),
        };
        let mut pane = Pane::new(id, host, host_label, container, kind).with_history(state.history);
        pane.pending = true;
        panes.push(pane);
        return Ok(Some(Node::Pane(id)));
    }
    let dir = match v["split"].as_str() {
        Some("horizontal") => Direction::Horizontal,
        Some("vertical") => Direction::Vertical,
        _ => return Err("a node that is neither a pane nor a split".into()),
    };
    let mut children = Vec::new();
    for c in v["children"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        if let Some(n) = node_from(state, c, panes)? {
            children.push(n);
        }
    }
    Ok(match children.len() {
        0 => None,
        1 => children.pop(),
        _ => Some(Node::Split { dir, children }),
    })
}
