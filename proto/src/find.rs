//! How a request names a container, decided once for everyone who looks
//! one up in a list (a cluster's entry routing a request to its node, the
//! CLI choosing among hosts): docker's rule, so `dockyard` accepts what
//! `docker` does. An exact id, then an exact name, then an id prefix that
//! only one container has.

use crate::pb::ContainerInfo;

/// What a lookup found.
#[derive(Debug, PartialEq)]
pub enum Found<'a> {
    One(&'a ContainerInfo),
    None,
    /// An id prefix several containers share (docker refuses it too).
    Ambiguous(Vec<&'a ContainerInfo>),
}

/// The container `key` names in `list`. Names match with or without
/// docker's leading `/`.
pub fn find<'a, I>(list: I, key: &str) -> Found<'a>
where
    I: IntoIterator<Item = &'a ContainerInfo>,
    I::IntoIter: Clone,
{
    let list = list.into_iter();
    if key.is_empty() {
        return Found::None;
    }
    if let Some(c) = list.clone().find(|c| c.id == key) {
        return Found::One(c);
    }
    let name = key.strip_prefix('/').unwrap_or(key);
    let named: Vec<&ContainerInfo> = list.clone().filter(|c| c.name == name).collect();
    if let [c] = named[..] {
        return Found::One(c);
    }
    if named.len() > 1 {
        // The same name on several nodes of a cluster.
        return Found::Ambiguous(named);
    }
    let mut prefixed: Vec<&ContainerInfo> = list.filter(|c| c.id.starts_with(key)).collect();
    match prefixed.len() {
        0 => Found::None,
        1 => Found::One(prefixed.remove(0)),
        _ => Found::Ambiguous(prefixed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str, name: &str) -> ContainerInfo {
        ContainerInfo {
            id: id.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn id_then_name_then_a_unique_prefix() {
        let list = [c("abc123", "web"), c("abd456", "abc123x"), c("f00", "db")];
        let name = |f: Found<'_>| match f {
            Found::One(c) => c.name.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(name(find(&list, "abc123")), "web", "an exact id");
        assert_eq!(name(find(&list, "db")), "db", "a name");
        assert_eq!(name(find(&list, "/db")), "db", "docker's slash");
        assert_eq!(name(find(&list, "abd")), "abc123x", "a unique prefix");
        assert_eq!(name(find(&list, "f")), "db", "docker takes any length");
        assert!(matches!(find(&list, "ab"), Found::Ambiguous(v) if v.len() == 2));
        assert_eq!(find(&list, "nope"), Found::None);
        assert_eq!(find(&list, ""), Found::None);
    }

    #[test]
    fn a_name_beats_an_id_prefix() {
        let list = [c("beef01", "x"), c("0123", "beef")];
        assert!(matches!(find(&list, "beef"), Found::One(c) if c.name == "beef"));
    }

    #[test]
    fn one_name_on_two_nodes_is_ambiguous() {
        let list = [c("a1", "web"), c("b2", "web")];
        assert!(matches!(find(&list, "web"), Found::Ambiguous(v) if v.len() == 2));
    }
}
