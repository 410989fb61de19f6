//! Where panes go: a tree of splits. Each split lays its children out side
//! by side or stacked, in equal shares; removing a pane collapses splits
//! left with a single child. One computed `Rect` per pane drives drawing,
//! the parser's size, the remote TTY size and mouse hit-testing.

use ratatui::layout::{Constraint, Direction, Layout as RLayout, Rect};

/// Identifies a pane for the life of the UI; never reused.
pub type PaneId = u64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Pane(PaneId),
    Split { dir: Direction, children: Vec<Node> },
}

#[derive(Debug, Default)]
pub struct Layout {
    root: Option<Node>,
}

impl Layout {
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    pub fn root(&self) -> Option<&Node> {
        self.root.as_ref()
    }

    pub fn from_root(root: Node) -> Self {
        Layout { root: Some(root) }
    }

    /// Adds `new` beside `target` (or as the only pane). `dir` None picks
    /// the split along the target's longer side, in cells where a cell is
    /// about twice as tall as wide.
    pub fn insert(&mut self, target: Option<PaneId>, new: PaneId, dir: Direction) {
        let Some(root) = &mut self.root else {
            self.root = Some(Node::Pane(new));
            return;
        };
        if target.is_some_and(|t| insert_at(root, t, new, dir)) {
            return;
        }
        let old = std::mem::replace(root, Node::Pane(new));
        *root = Node::Split {
            dir,
            children: vec![old, Node::Pane(new)],
        };
    }

    pub fn remove(&mut self, id: PaneId) {
        if let Some(root) = &mut self.root {
            if *root == Node::Pane(id) {
                self.root = None;
                return;
            }
            remove_from(root, id);
        }
    }

    /// Each pane's outer area (border included) for the given space.
    pub fn areas(&self, area: Rect) -> Vec<(PaneId, Rect)> {
        let mut out = Vec::new();
        if let Some(root) = &self.root {
            collect(root, area, &mut out);
        }
        out
    }

    pub fn panes(&self) -> Vec<PaneId> {
        self.areas(Rect::new(0, 0, 1000, 1000))
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }
}

fn insert_at(node: &mut Node, target: PaneId, new: PaneId, dir: Direction) -> bool {
    match node {
        Node::Pane(id) if *id == target => {
            *node = Node::Split {
                dir,
                children: vec![Node::Pane(target), Node::Pane(new)],
            };
            true
        }
        Node::Pane(_) => false,
        Node::Split { dir: d, children } => {
            // Same direction as the parent: join it as a sibling, so three
            // side-by-side panes get a third each rather than 1/2, 1/4, 1/4.
            if *d == dir
                && let Some(i) = children.iter().position(|c| *c == Node::Pane(target))
            {
                children.insert(i + 1, Node::Pane(new));
                return true;
            }
            children.iter_mut().any(|c| insert_at(c, target, new, dir))
        }
    }
}

fn remove_from(node: &mut Node, id: PaneId) -> bool {
    let Node::Split { children, .. } = node else {
        return false;
    };
    if let Some(i) = children.iter().position(|c| *c == Node::Pane(id)) {
        children.remove(i);
    } else if !children.iter_mut().any(|c| remove_from(c, id)) {
        return false;
    }
    if children.len() == 1 {
        let only = children.remove(0);
        *node = only;
    }
    true
}

fn collect(node: &Node, area: Rect, out: &mut Vec<(PaneId, Rect)>) {
    match node {
        Node::Pane(id) => out.push((*id, area)),
        Node::Split { dir, children } => {
            let rects = RLayout::default()
                .direction(*dir)
                .constraints(children.iter().map(|_| Constraint::Fill(1)))
                .split(area);
            for (c, r) in children.iter().zip(rects.iter()) {
                collect(c, *r, out);
            }
        }
    }
}

/// The split that suits a pane of this size: side by side when it is wide.
pub fn natural_split(area: Rect) -> Direction {
    if area.width >= area.height.saturating_mul(2) {
        Direction::Horizontal
    } else {
        Direction::Vertical
    }
}

/// The pane nearest to `from` in a direction (dx, dy), for focus moves.
pub fn neighbour(areas: &[(PaneId, Rect)], from: PaneId, dx: i32, dy: i32) -> Option<PaneId> {
    let (_, r) = areas.iter().find(|(id, _)| *id == from)?;
    let center = |r: &Rect| {
        (
            i32::from(r.x) * 2 + i32::from(r.width),
            i32::from(r.y) * 2 + i32::from(r.height),
        )
    };
    let (cx, cy) = center(r);
    areas
        .iter()
        .filter(|(id, _)| *id != from)
        .filter_map(|(id, o)| {
            let (ox, oy) = center(o);
            let (ddx, ddy) = (ox - cx, oy - cy);
            let along = ddx * dx + ddy * dy;
            (along > 0).then(|| (along + 2 * (ddx * dy - ddy * dx).abs(), *id))
        })
        .min()
        .map(|(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_join_and_collapse() {
        let mut l = Layout::default();
        let area = Rect::new(0, 0, 90, 30);
        l.insert(None, 1, Direction::Horizontal);
        assert_eq!(l.areas(area), vec![(1, area)]);
        l.insert(Some(1), 2, Direction::Horizontal);
        l.insert(Some(2), 3, Direction::Horizontal);
        let a = l.areas(area);
        assert_eq!(
            a.iter().map(|(_, r)| r.width).collect::<Vec<_>>(),
            vec![30, 30, 30]
        );
        l.insert(Some(3), 4, Direction::Vertical);
        let a = l.areas(area);
        assert_eq!(a[2].1, Rect::new(60, 0, 30, 15));
        assert_eq!(a[3].1, Rect::new(60, 15, 30, 15));
        l.remove(3);
        assert_eq!(l.areas(area)[2], (4, Rect::new(60, 0, 30, 30)));
        l.remove(1);
        l.remove(2);
        l.remove(4);
        assert!(l.is_empty());
    }

    #[test]
    fn neighbours() {
        let mut l = Layout::default();
        l.insert(None, 1, Direction::Horizontal);
        l.insert(Some(1), 2, Direction::Horizontal);
        l.insert(Some(2), 3, Direction::Vertical);
        let a = l.areas(Rect::new(0, 0, 80, 24));
        assert_eq!(neighbour(&a, 1, 1, 0), Some(2));
        assert_eq!(neighbour(&a, 2, 0, 1), Some(3));
        assert_eq!(neighbour(&a, 3, -1, 0), Some(1));
        assert_eq!(neighbour(&a, 1, -1, 0), None);
    }
}
