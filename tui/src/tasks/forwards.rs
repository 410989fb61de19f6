//! A port forward started from the TUI: `client::forward`'s listeners and
//! connections (as `dockyard port-forward`'s), what they carry reported
//! to the forwards' view. Aborting the task ends it all.

use dockyard_client::Client;
use dockyard_client::forward::{self, ForwardEvent, PortSpec};
use tokio::sync::mpsc;

use crate::msg::Msg;
use crate::state::forwards::ForwardNews;

pub fn spawn(
    client: Client,
    id: u32,
    container: String,
    spec: String,
    toolbox: String,
    msgs: mpsc::Sender<Msg>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let say = |news: ForwardNews| {
            let msgs = msgs.clone();
            async move {
                let _ = msgs.send(Msg::Forward { id, news }).await;
            }
        };
        let spec: PortSpec = match spec.parse() {
            Ok(s) => s,
            Err(e) => return say(ForwardNews::Failed(e)).await,
        };
        let listeners = match forward::listen(&spec, &forward::default_addresses()).await {
            Ok(l) => l,
            Err(e) => return say(ForwardNews::Failed(e)).await,
        };
        // The helper kept for the forward's life (see `forward::keeper`).
        let keeper = dockyard_client::ExecSession::start(
            &mut client.clone(),
            forward::keeper(&container, &toolbox),
        )
        .await;
        let _keeper = match keeper {
            Ok(k) => k,
            Err(e) => return say(ForwardNews::Failed(e.to_string())).await,
        };
        let at = listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .map(|a| forward::shown(&a))
            .collect();
        say(ForwardNews::Listening(at)).await;
        let listeners = listeners.into_iter().map(|l| (l, spec.remote)).collect();
        let (tx, mut events) = mpsc::unbounded_channel();
        let serving = forward::serve(client, container, toolbox, listeners, tx);
        tokio::pin!(serving);
        loop {
            let ev = tokio::select! {
                _ = &mut serving => return,
                ev = events.recv() => match ev {
                    Some(ev) => ev,
                    None => return,
                },
            };
            let news = match ev {
                ForwardEvent::Opened { .. } => ForwardNews::Opened,
                ForwardEvent::Moved { sent, received, .. } => ForwardNews::Moved { sent, received },
                ForwardEvent::Closed { result, .. } => ForwardNews::Closed {
                    refused: match result {
                        Ok(c) => c.refused,
                        Err(e) => Some(e),
                    },
                },
            };
            say(news).await;
        }
    })
}
