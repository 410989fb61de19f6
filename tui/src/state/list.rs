//! The container list: every host's containers, filtered and sorted for
//! display, and the selection, kept by container identity (host + id) so
//! that a container sorting above it or a host's update never moves it.

use crate::state::hosts::{Container, ContainerKey, Host, HostName, HostStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Host,
    /// The node of a cluster (offered only when the list has several).
    Node,
    Name,
    Image,
    State,
    Created,
}

impl SortKey {
    pub const ALL: [SortKey; 6] = [
        SortKey::Name,
        SortKey::Image,
        SortKey::State,
        SortKey::Created,
        SortKey::Host,
        SortKey::Node,
    ];

    fn next(self) -> SortKey {
        let i = Self::ALL.iter().position(|k| *k == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }
}

/// One row of the list.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub host: usize,
    pub container: &'a Container,
}

impl Row<'_> {
    pub fn key(&self) -> ContainerKey {
        ContainerKey {
            host: self.host,
            id: self.container.id.clone(),
        }
    }
}

#[derive(Debug)]
pub struct ContainerList {
    hosts: Vec<Host>,
    filter: String,
    sort: SortKey,
    show_all: bool,
    selected: Option<ContainerKey>,
    /// Where the selection was: when its container goes (removed,
    /// filtered out), the row now there is selected instead.
    selected_row: usize,
    /// Containers marked for opening together (Space, `*`), by identity:
    /// a mark stays on its container, and goes with it.
    marks: Vec<ContainerKey>,
}

impl ContainerList {
    /// A digest of the statuses shown as of `now`: it changes when an age
    /// in the list does (once a second at most, often once a minute), so
    /// the list is drawn again then and not otherwise.
    pub fn statuses_digest(&self, now: std::time::Instant) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for c in self.hosts.iter().flat_map(|h| &h.containers) {
            if c.state_age.is_some() {
                c.status_at(now).hash(&mut h);
            }
        }
        h.finish()
    }

    pub fn new(hosts: Vec<HostName>) -> Self {
        ContainerList {
            hosts: hosts.into_iter().map(Host::new).collect(),
            filter: String::new(),
            sort: SortKey::Name,
            show_all: false,
            selected: None,
            selected_row: 0,
            marks: Vec::new(),
        }
    }

    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    pub fn host(&self, i: usize) -> Option<&Host> {
        self.hosts.get(i)
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn sort(&self) -> SortKey {
        self.sort
    }

    pub fn show_all(&self) -> bool {
        self.show_all
    }

    pub fn hosts_up(&self) -> usize {
        self.hosts
            .iter()
            .filter(|h| h.status == crate::state::hosts::HostStatus::Up)
            .count()
    }

    pub fn hosts_down(&self) -> usize {
        self.hosts.iter().filter(|h| h.is_down()).count()
    }

    /// The rows shown: filtered, sorted.
    pub fn rows(&self) -> Vec<Row<'_>> {
        let needle = self.filter.to_lowercase();
        let matches = |h: usize, c: &Container| {
            needle.is_empty()
                || c.name.to_lowercase().contains(&needle)
                || c.image.to_lowercase().contains(&needle)
                || c.state.as_str().to_lowercase().contains(&needle)
                || self.hosts[h].label.to_lowercase().contains(&needle)
        };
        let mut rows: Vec<Row> = self
            .hosts
            .iter()
            .enumerate()
            .flat_map(|(h, host)| {
                host.containers.iter().map(move |c| Row {
                    host: h,
                    container: c,
                })
            })
            .filter(|r| self.show_all || r.container.state.is_up())
            .filter(|r| matches(r.host, r.container))
            .collect();
        rows.sort_by(|a, b| {
            let (ca, cb) = (a.container, b.container);
            let key = match self.sort {
                SortKey::Host => a.host.cmp(&b.host),
                SortKey::Node => ca.node.cmp(&cb.node),
                SortKey::Name => ca.name.cmp(&cb.name),
                SortKey::Image => ca.image.cmp(&cb.image),
                SortKey::State => ca.state.as_str().cmp(cb.state.as_str()),
                SortKey::Created => cb.created.cmp(&ca.created),
            };
            key.then_with(|| ca.name.cmp(&cb.name))
                .then_with(|| a.host.cmp(&b.host))
        });
        rows
    }

    /// The selected row's index in `rows()`.
    pub fn selected_index(&self) -> Option<usize> {
        let key = self.selected.as_ref()?;
        self.rows()
            .iter()
            .position(|r| r.host == key.host && r.container.id == key.id)
    }

    pub fn selected(&self) -> Option<(usize, &Container)> {
        let key = self.selected.as_ref()?;
        let host = self.hosts.get(key.host)?;
        host.containers
            .iter()
            .find(|c| c.id == key.id)
            .map(|c| (key.host, c))
    }

    /// Selects the row at `i` (clamped); none when the list is empty.
    pub fn select_index(&mut self, i: usize) {
        let rows = self.rows();
        let i = i.min(rows.len().saturating_sub(1));
        self.selected = rows.get(i).map(Row::key);
        self.selected_row = i;
    }

    pub fn move_selection(&mut self, delta: isize) {
        let cur = self.selected_index().unwrap_or(0) as isize;
        self.select_index((cur + delta).max(0) as usize);
    }

    pub fn is_marked(&self, host: usize, id: &str) -> bool {
        self.marks.iter().any(|k| k.host == host && k.id == id)
    }

    /// The marked containers, in the list's order.
    pub fn marked(&self) -> Vec<(usize, &Container)> {
        self.hosts
            .iter()
            .enumerate()
            .flat_map(|(h, host)| host.containers.iter().map(move |c| (h, c)))
            .filter(|(h, c)| self.is_marked(*h, &c.id))
            .collect()
    }

    pub fn marks(&self) -> usize {
        self.marks.len()
    }

    /// Marks the selected container, or unmarks it.
    pub fn toggle_mark(&mut self) {
        let Some(key) = self.selected.clone() else {
            return;
        };
        match self.marks.iter().position(|k| *k == key) {
            Some(i) => {
                self.marks.remove(i);
            }
            None => self.marks.push(key),
        }
    }

    /// Marks every row shown (the filter's matches); if they all are
    /// already, unmarks them.
    pub fn toggle_mark_shown(&mut self) {
        let shown: Vec<ContainerKey> = self.rows().iter().map(Row::key).collect();
        if shown.iter().all(|k| self.marks.contains(k)) {
            self.marks.retain(|k| !shown.contains(k));
        } else {
            for k in shown {
                if !self.marks.contains(&k) {
                    self.marks.push(k);
                }
            }
        }
    }

    pub fn clear_marks(&mut self) {
        self.marks.clear();
    }

    /// After the rows changed: the selected container stays selected
    /// wherever it went; if it is gone, the row now at its place is.
    /// Marks of containers that are gone go too.
    fn reconcile(&mut self) {
        let hosts = &self.hosts;
        self.marks.retain(|k| {
            hosts
                .get(k.host)
                .is_some_and(|h| h.containers.iter().any(|c| c.id == k.id))
        });
        match self.selected_index() {
            Some(i) => self.selected_row = i,
            None => self.select_index(self.selected_row),
        }
    }

    pub fn set_status(&mut self, host: usize, status: HostStatus) {
        if let Some(h) = self.hosts.get_mut(host) {
            if matches!(status, HostStatus::Down { .. }) {
                h.containers.clear();
            }
            h.status = status;
        }
        self.reconcile();
    }

    pub fn set_containers(&mut self, host: usize, containers: Vec<Container>) {
        if let Some(h) = self.hosts.get_mut(host) {
            h.containers = containers;
        }
        self.reconcile();
    }

    /// A new filter selects its first match.
    pub fn set_filter(&mut self, filter: String) {
        self.filter = filter;
        self.select_index(0);
    }

    pub fn clear_filter(&mut self) {
        self.filter.clear();
        self.reconcile();
    }

    pub fn next_sort(&mut self) {
        self.sort = self.sort.next();
        if self.sort == SortKey::Node && !self.several_nodes() {
            self.sort = self.sort.next();
        }
        self.reconcile();
    }

    pub fn set_nodes_down(&mut self, host: usize, down: Vec<(String, String)>) {
        if let Some(h) = self.hosts.get_mut(host) {
            h.nodes_down = down;
        }
    }

    /// Where a launch may go: each host, and each node of a host that is a
    /// cluster's entry (as its containers name them).
    pub fn launch_targets(&self) -> Vec<(usize, Option<String>)> {
        let mut out = Vec::new();
        for (i, h) in self.hosts.iter().enumerate() {
            out.push((i, None));
            let nodes: std::collections::BTreeSet<&str> =
                h.containers.iter().map(|c| c.node.as_str()).collect();
            if nodes.len() > 1 {
                out.extend(nodes.into_iter().map(|n| (i, Some(n.to_string()))));
            }
        }
        out
    }

    /// Whether the containers come from several nodes of a cluster (the
    /// list then shows and sorts by node).
    pub fn several_nodes(&self) -> bool {
        let mut nodes = self
            .hosts
            .iter()
            .flat_map(|h| &h.containers)
            .map(|c| c.node.as_str());
        let first = nodes.next();
        nodes.any(|n| Some(n) != first)
    }

    pub fn toggle_all(&mut self) {
        self.show_all = !self.show_all;
        self.reconcile();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dockyard_client::container::ContainerState;

    pub fn container(id: &str, name: &str, running: bool) -> Container {
        Container {
            id: id.into(),
            name: name.into(),
            image: "img".into(),
            state: if running {
                ContainerState::Running
            } else {
                ContainerState::Exited
            },
            status: String::new(),
            state_age: None,
            created: 0,
            ports: String::new(),
            node: String::new(),
        }
    }

    #[test]
    fn statuses_age_with_the_clock() {
        let mut l = ContainerList::new(vec!["h".into()]);
        let listed = std::time::Instant::now();
        let mut c = container("a", "web", true);
        c.status = "Up Less than a second".into();
        c.state_age = Some((std::time::Duration::from_millis(300), listed));
        l.set_containers(0, vec![c]);
        let at = |s: u64| listed + std::time::Duration::from_secs(s);
        let digest = l.statuses_digest(at(0));
        // Nothing shown changed: no redraw.
        assert_eq!(l.statuses_digest(at(0)), digest);
        assert_ne!(l.statuses_digest(at(5)), digest);
        let shown = |now| l.hosts()[0].containers[0].status_at(now);
        assert_eq!(shown(at(5)), "Up 5 seconds");
        assert_eq!(shown(at(125)), "Up 2 minutes");
        assert_eq!(l.statuses_digest(at(125)), l.statuses_digest(at(130)));
    }

    fn list(names: &[&str]) -> ContainerList {
        let mut l = ContainerList::new(vec!["h".into()]);
        l.set_status(0, HostStatus::Up);
        l.set_containers(
            0,
            names
                .iter()
                .map(|n| container(&format!("id-{n}"), n, true))
                .collect(),
        );
        l
    }

    fn selected_name(l: &ContainerList) -> Option<String> {
        l.selected().map(|(_, c)| c.name.clone())
    }

    #[test]
    fn selection_follows_its_container_when_one_sorts_above_it() {
        let mut l = list(&["b", "c", "d"]);
        l.select_index(1);
        assert_eq!(selected_name(&l).as_deref(), Some("c"));
        let mut now: Vec<Container> = ["a", "b", "c", "d"]
            .iter()
            .map(|n| container(&format!("id-{n}"), n, true))
            .collect();
        now.reverse();
        l.set_containers(0, now);
        assert_eq!(selected_name(&l).as_deref(), Some("c"));
        assert_eq!(l.selected_index(), Some(2));
    }

    #[test]
    fn a_removed_selection_falls_to_the_row_in_its_place() {
        let mut l = list(&["a", "b", "c"]);
        l.select_index(1);
        l.set_containers(
            0,
            vec![container("id-a", "a", true), container("id-c", "c", true)],
        );
        assert_eq!(selected_name(&l).as_deref(), Some("c"));
        l.set_containers(0, vec![container("id-a", "a", true)]);
        assert_eq!(selected_name(&l).as_deref(), Some("a"));
        l.set_containers(0, vec![]);
        assert_eq!(selected_name(&l), None);
    }

    #[test]
    fn stopped_containers_show_with_all_only() {
        let mut l = ContainerList::new(vec!["h".into()]);
        l.set_containers(
            0,
            vec![container("1", "up", true), container("2", "down", false)],
        );
        assert_eq!(l.rows().len(), 1);
        l.toggle_all();
        assert_eq!(l.rows().len(), 2);
    }

    #[test]
    fn marks_stay_on_their_containers_and_go_with_them() {
        let mut l = list(&["a", "b", "c"]);
        l.select_index(0);
        l.toggle_mark();
        l.select_index(2);
        l.toggle_mark();
        let names = |l: &ContainerList| -> Vec<String> {
            l.marked().iter().map(|(_, c)| c.name.clone()).collect()
        };
        assert_eq!(names(&l), vec!["a", "c"]);
        l.toggle_mark();
        assert_eq!(names(&l), vec!["a"]);
        l.set_containers(
            0,
            vec![container("id-b", "b", true), container("id-c", "c", true)],
        );
        assert_eq!(l.marks(), 0, "a's mark went with it");
        l.set_filter("c".into());
        l.toggle_mark_shown();
        assert_eq!(names(&l), vec!["c"]);
        l.toggle_mark_shown();
        assert_eq!(l.marks(), 0);
    }

    #[test]
    fn sorting_keeps_the_selection() {
        let mut l = list(&["a", "b", "c"]);
        l.select_index(2);
        l.next_sort();
        assert_eq!(selected_name(&l).as_deref(), Some("c"));
    }
}
