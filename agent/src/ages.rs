//! How long each container has been in its state, for
//! `ContainerInfo.state_age_ms`. The engine's list words it ("Up 3
//! minutes") but gives no time; an inspect does. Times are kept per
//! container and inspected again only when the list's words stop matching
//! them (a restart, a new exit), so a list costs one inspect per container
//! the first time and none after.

use dockyard_proto::state::ContainerState;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use dockyard_proto::age::words_age;
use futures::StreamExt;

/// Inspects at once, at most.
const INSPECTS: usize = 8;

/// The list is worded a moment before it reaches us: ages this much
/// younger still match its words.
const SLACK: [Duration; 4] = [
    Duration::ZERO,
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
];

#[derive(Debug, Clone, Copy, Default)]
struct Times {
    started: Option<SystemTime>,
    finished: Option<SystemTime>,
}

#[derive(Debug, Default)]
pub struct Ages(Mutex<HashMap<String, Times>>);

/// What the list says of one container.
pub struct Listed<'a> {
    pub id: &'a str,
    pub state: &'a str,
    pub status: &'a str,
}

impl Ages {
    /// The age each listed container's status words, in order (None: no
    /// age in its words, or none found). `complete`: the list has every
    /// container, so the times of those gone are forgotten.
    pub async fn of(
        &self,
        docker: &bollard::Docker,
        listed: &[Listed<'_>],
        complete: bool,
    ) -> Vec<Option<u64>> {
        let now = SystemTime::now();
        let known = self.ages(listed, now);
        let stale: Vec<String> = listed
            .iter()
            .zip(&known)
            .filter(|(l, age)| age.is_none() && reference(l.state).is_some())
            .map(|(l, _)| l.id.to_string())
            .collect();
        if !stale.is_empty() {
            let fresh: Vec<(String, Times)> = futures::stream::iter(stale)
                .map(|id: String| async move {
                    let times = inspect(docker, &id).await;
                    (id, times)
                })
                .buffer_unordered(INSPECTS)
                .collect()
                .await;
            let mut table = lock(&self.0);
            table.extend(fresh);
        }
        if complete {
            let mut table = lock(&self.0);
            let ids: std::collections::HashSet<&str> = listed.iter().map(|l| l.id).collect();
            table.retain(|id, _| ids.contains(id.as_str()));
        }
        self.ages(listed, SystemTime::now())
    }

    fn ages(&self, listed: &[Listed<'_>], now: SystemTime) -> Vec<Option<u64>> {
        let table = lock(&self.0);
        listed
            .iter()
            .map(|l| {
                let times = table.get(l.id)?;
                let since = match reference(l.state)? {
                    Reference::Started => times.started?,
                    Reference::Finished => times.finished?,
                };
                let age = now.duration_since(since).unwrap_or_default();
                SLACK
                    .iter()
                    .map(|s| age.saturating_sub(*s))
                    .find(|a| words_age(l.status, *a))
                    .map(|a| a.as_millis() as u64)
            })
            .collect()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding it leaves plain data, still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

enum Reference {
    Started,
    Finished,
}

/// Which time a state's words count from, as the engine words them.
fn reference(state: &str) -> Option<Reference> {
    match ContainerState::parse(state) {
        ContainerState::Running | ContainerState::Paused => Some(Reference::Started),
        ContainerState::Exited | ContainerState::Restarting => Some(Reference::Finished),
        _ => None,
    }
}

async fn inspect(docker: &bollard::Docker, id: &str) -> Times {
    let Ok(info) = docker.inspect_container(id, None).await else {
        return Times::default();
    };
    let state = info.state.unwrap_or_default();
    Times {
        started: state.started_at.as_deref().and_then(parse),
        finished: state.finished_at.as_deref().and_then(parse),
    }
}

/// An engine time (RFC 3339; the zero time for never).
fn parse(s: &str) -> Option<SystemTime> {
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    let since_epoch = u64::try_from(t.timestamp_millis()).ok()?;
    (since_epoch > 0).then(|| SystemTime::UNIX_EPOCH + Duration::from_millis(since_epoch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_times() {
        let t = parse("2026-12-03T16:28:39.123456789Z").expect("parsed");
        let ms = t
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("after the epoch")
            .as_millis();
        assert_eq!(ms % 1000, 123);
        assert!(parse("0001-01-01T00:00:00Z").is_none());
        assert!(parse("").is_none());
    }

    #[test]
    fn ages_match_the_words_or_are_not_given() {
        let ages = Ages::default();
        let now = SystemTime::now();
        lock(&ages.0).insert(
            "a".into(),
            Times {
                started: Some(now - Duration::from_secs(200)),
                finished: None,
            },
        );
        let listed = |status| Listed {
            id: "a",
            state: "running",
            status,
        };
        let got = ages.ages(&[listed("Up 3 minutes"), listed("Up 2 seconds")], now);
        assert!(got[0].is_some_and(|ms| (199_000..=200_000).contains(&ms)));
        // Restarted since: the words no longer match, and no age is said.
        assert_eq!(got[1], None);
    }
}
