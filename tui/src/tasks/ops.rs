//! One-shot operations on a host: stop, remove, pull-and-launch. Each
//! runs in its own task and answers with a `Msg`.

use dockyard_client::Client;
use dockyard_client::dial::status_text;
use dockyard_client::pb::{LaunchRequest, RemoveRequest, StopRequest};
use dockyard_client::pull::Pull;
use dockyard_client::text::printable;
use tokio::sync::mpsc;

use crate::msg::{LaunchEvent, Msg};

#[derive(Debug, Clone, Copy)]
pub enum Lifecycle {
    Stop,
    Remove,
}

pub fn spawn_lifecycle(
    mut client: Client,
    op: Lifecycle,
    id: String,
    name: String,
    msgs: mpsc::Sender<Msg>,
) {
    tokio::spawn(async move {
        let r = match op {
            Lifecycle::Stop => client
                .stop_container(StopRequest {
                    container_identifier: id,
                    timeout_seconds: None,
                })
                .await
                .map(|_| ()),
            Lifecycle::Remove => client
                .remove_container(RemoveRequest {
                    container_identifier: id,
                    force: true,
                })
                .await
                .map(|_| ()),
        };
        let done = match op {
            Lifecycle::Stop => "stopped",
            Lifecycle::Remove => "removed",
        };
        let (text, error) = match r {
            Ok(()) => (format!("{done} {name}"), false),
            Err(s) => (format!("{name}: {}", status_text(&s)), true),
        };
        let _ = msgs.send(Msg::Notice { text, error }).await;
    });
}

/// Pulls the image when missing (progress as it comes), then launches.
pub fn spawn_launch(mut client: Client, request: LaunchRequest, msgs: mpsc::Sender<Msg>) {
    tokio::spawn(async move {
        let send = |ev| {
            let msgs = msgs.clone();
            async move {
                let _ = msgs.send(Msg::Launch(ev)).await;
            }
        };
        if let Err(s) = pull(&mut client, &request.image, &send).await {
            send(LaunchEvent::Done(Err(status_text(&s)))).await;
            return;
        }
        send(LaunchEvent::Progress("starting…".into())).await;
        let done = match client.launch_container(request).await {
            Ok(resp) => {
                let r = resp.into_inner();
                Ok(if r.name.is_empty() {
                    r.container_id.chars().take(12).collect()
                } else {
                    r.name
                })
            }
            Err(s) => Err(status_text(&s)),
        };
        send(LaunchEvent::Done(done)).await;
    });
}

async fn pull<F, Fut>(client: &mut Client, image: &str, send: &F) -> Result<(), tonic::Status>
where
    F: Fn(LaunchEvent) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut pull = Pull::start(client, image).await?;
    while let Some((p, _)) = pull.next().await? {
        send(LaunchEvent::Progress(format!(
            "pulling {}: {} ({})",
            printable(image),
            printable(&p.status),
            pull.tally().text()
        )))
        .await;
    }
    Ok(())
}
