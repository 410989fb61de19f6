//! Pulling an image when it is missing, as both front ends do before a
//! launch: one loop over the agent's progress messages and one rule for
//! adding them up, so the CLI's progress bar and the TUI's launch form
//! show the same numbers.

use std::collections::HashMap;

use crate::Client;
use crate::pb::{PullProgress, PullRequest};

/// An image pull under way (only if the image is missing), each message
/// tallied as it comes.
pub struct Pull {
    stream: tonic::Streaming<PullProgress>,
    tally: PullTally,
}

impl Pull {
    pub async fn start(client: &mut Client, image: &str) -> Result<Self, tonic::Status> {
        Self::start_on(client, None, image).await
    }

    /// [`start`](Self::start) on the node `node` of a cluster.
    pub async fn start_on(
        client: &mut Client,
        node: Option<&str>,
        image: &str,
    ) -> Result<Self, tonic::Status> {
        let req = PullRequest {
            image: image.to_string(),
            only_if_missing: true,
        };
        let stream = client
            .pull_image(crate::routed(req, node))
            .await?
            .into_inner();
        Ok(Pull {
            stream,
            tally: PullTally::default(),
        })
    }

    /// The next progress message, tallied, and whether it changed a
    /// layer's status (worth a line in a log). None when the pull is done,
    /// or the image was there already.
    pub async fn next(&mut self) -> Result<Option<(PullProgress, bool)>, tonic::Status> {
        match self.stream.message().await? {
            Some(p) if !p.done && !p.already_present => {
                let changed = self.tally.update(&p);
                Ok(Some((p, changed)))
            }
            _ => Ok(None),
        }
    }

    pub fn tally(&self) -> &PullTally {
        &self.tally
    }
}

/// A step of a pull, as a front end shows it.
pub enum Step<'a> {
    /// A progress message, whether it changed a layer's status, and the
    /// sum so far.
    Progress {
        progress: &'a PullProgress,
        changed: bool,
        tally: &'a PullTally,
    },
    /// The pull that happened is done (not said when the image was there).
    Done,
}

/// Pulls `image` on `node` (None: the agent dialed) when it is missing,
/// each step given to `show`: the one loop behind `launch`'s bar and a
/// debug shell's toolbox, in the CLI and the TUI.
pub async fn pull_showing(
    client: &mut Client,
    node: Option<&str>,
    image: &str,
    mut show: impl FnMut(Step<'_>),
) -> Result<(), tonic::Status> {
    let mut pull = Pull::start_on(client, node, image).await?;
    let mut pulled = false;
    while let Some((progress, changed)) = pull.next().await? {
        pulled = true;
        show(Step::Progress {
            progress: &progress,
            changed,
            tally: pull.tally(),
        });
    }
    if pulled {
        show(Step::Done);
    }
    Ok(())
}

#[derive(Debug, Default, Clone)]
struct Layer {
    current: u64,
    total: u64,
    status: String,
}

/// Bytes done and expected over every layer seen so far.
#[derive(Debug, Default, Clone)]
pub struct PullTally {
    layers: HashMap<String, Layer>,
}

impl PullTally {
    /// Takes one progress message. True when a layer's status changed,
    /// which is worth a line in a log.
    pub fn update(&mut self, p: &PullProgress) -> bool {
        if p.layer.is_empty() {
            return false;
        }
        let layer = self.layers.entry(p.layer.clone()).or_default();
        let changed = layer.status != p.status;
        if p.status == "Downloading" {
            layer.current = p.current;
            layer.total = p.total.max(layer.total);
        } else if matches!(
            p.status.as_str(),
            "Download complete" | "Pull complete" | "Already exists"
        ) {
            // A finished layer counts whole, whatever its last
            // "Downloading" line said.
            layer.current = layer.total;
        }
        layer.status = p.status.clone();
        changed
    }

    /// (bytes done, bytes expected), over every layer.
    pub fn totals(&self) -> (u64, u64) {
        self.layers
            .values()
            .fold((0, 0), |(c, t), l| (c + l.current, t + l.total))
    }

    /// "3.1/10.0 MiB", for one line of text.
    pub fn text(&self) -> String {
        let (cur, total) = self.totals();
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        format!("{:.1}/{:.1} MiB", mib(cur), mib(total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(layer: &str, status: &str, current: u64, total: u64) -> PullProgress {
        PullProgress {
            layer: layer.into(),
            status: status.into(),
            current,
            total,
            ..Default::default()
        }
    }

    #[test]
    fn sums_layers_and_counts_finished_ones_whole() {
        let mut t = PullTally::default();
        assert!(!t.update(&msg("", "Pulling from x", 0, 0)));
        assert!(t.update(&msg("a", "Downloading", 10, 100)));
        assert!(!t.update(&msg("a", "Downloading", 50, 100)));
        assert!(t.update(&msg("b", "Downloading", 1, 1 << 20)));
        assert_eq!(t.totals(), (51, 100 + (1 << 20)));
        assert!(t.update(&msg("a", "Download complete", 0, 0)));
        assert_eq!(t.totals(), (101, 100 + (1 << 20)));
        assert_eq!(t.text(), "0.0/1.0 MiB");
    }
}
