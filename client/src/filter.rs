//! Docker's container filters, `--filter KEY=VALUE`, implemented once for
//! `ps` and fan-out: `name=REGEX`, `label=KEY` or `label=KEY=VALUE`,
//! `ancestor=IMAGE`, `status=STATE`, and ours, `node=NAME` (the node of a
//! cluster it runs on, exactly). As `docker ps` does it: different
//! keys must all match; the same key given twice matches either value,
//! except `label`, where every label given must be there (docker's
//! MatchKVList), so `label=a --filter label=b` is "both".

use std::collections::BTreeMap;

use regex::Regex;

use crate::container::ContainerState;
use crate::pb::ContainerInfo;

#[derive(Debug, Clone)]
enum Test {
    /// Unanchored, as docker's: `web` matches `myweb1`.
    Name(Regex),
    Label(String, Option<String>),
    Ancestor(String),
    Status(ContainerState),
    Node(String),
}

#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// By key, so that one key's tests OR and the keys AND.
    by_key: BTreeMap<&'static str, Vec<Test>>,
}

impl Filters {
    /// Parses `--filter` values; the first bad one is the error.
    pub fn parse<S: AsRef<str>>(specs: &[S]) -> Result<Self, String> {
        let mut by_key: BTreeMap<&'static str, Vec<Test>> = BTreeMap::new();
        for spec in specs {
            let spec = spec.as_ref();
            let bad = |why: &str| format!("invalid filter '{}': {why}", spec.escape_debug());
            let (key, value) = spec
                .split_once('=')
                .ok_or_else(|| bad("expected KEY=VALUE"))?;
            let (key, test) = match key {
                "name" => (
                    "name",
                    Test::Name(Regex::new(value).map_err(|e| bad(&e.to_string()))?),
                ),
                "label" => {
                    if value.is_empty() {
                        return Err(bad("expected label=KEY or label=KEY=VALUE"));
                    }
                    let test = match value.split_once('=') {
                        Some((k, v)) => Test::Label(k.into(), Some(v.into())),
                        None => Test::Label(value.into(), None),
                    };
                    ("label", test)
                }
                "ancestor" if !value.is_empty() => ("ancestor", Test::Ancestor(value.into())),
                "ancestor" => return Err(bad("expected ancestor=IMAGE")),
                "node" if !value.is_empty() => ("node", Test::Node(value.into())),
                "node" => return Err(bad("expected node=NAME")),
                "status" => match ContainerState::known(value) {
                    Some(state) => ("status", Test::Status(state)),
                    None => {
                        return Err(bad(&format!(
                            "the status must be one of {}",
                            ContainerState::WORDS.join(", ")
                        )));
                    }
                },
                _ => return Err(bad("the key must be name, label, ancestor, status or node")),
            };
            by_key.entry(key).or_default().push(test);
        }
        Ok(Filters { by_key })
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Whether a status filter is given: then stopped containers are
    /// wanted too, as `docker ps --filter status=exited` shows them.
    pub fn wants_all(&self) -> bool {
        self.by_key.contains_key("status")
    }

    pub fn matches(&self, c: &ContainerInfo) -> bool {
        self.by_key.iter().all(|(key, tests)| {
            if *key == "label" {
                tests.iter().all(|t| test(t, c))
            } else {
                tests.iter().any(|t| test(t, c))
            }
        })
    }
}

fn test(t: &Test, c: &ContainerInfo) -> bool {
    match t {
        Test::Name(re) => re.is_match(&c.name) || re.is_match(&format!("/{}", c.name)),
        Test::Label(k, v) => c
            .labels
            .get(k)
            .is_some_and(|have| v.as_ref().is_none_or(|want| want == have)),
        Test::Ancestor(image) => ancestor(image, c),
        Test::Status(s) => ContainerState::parse(&c.state) == *s,
        Test::Node(n) => c.node == *n,
    }
}

/// The container runs `image`: the same reference (a missing tag is
/// `latest`), or `image` is (a prefix of) its image's id.
fn ancestor(image: &str, c: &ContainerInfo) -> bool {
    let with_tag = |r: &str| {
        let last = r.rsplit('/').next().unwrap_or(r);
        if last.contains(':') || r.contains('@') {
            r.to_string()
        } else {
            format!("{r}:latest")
        }
    };
    if with_tag(image) == with_tag(&c.image) {
        return true;
    }
    let id = c.image_id.trim_start_matches("sha256:");
    let want = image.trim_start_matches("sha256:");
    want.len() >= 4 && want.chars().all(|ch| ch.is_ascii_hexdigit()) && id.starts_with(want)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(name: &str, image: &str, state: &str, labels: &[(&str, &str)]) -> ContainerInfo {
        ContainerInfo {
            name: name.into(),
            image: image.into(),
            image_id: "sha256:0123abcd".into(),
            state: state.into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn same_key_ors_different_keys_and() {
        let web = container("myweb1", "nginx", "running", &[("role", "front")]);
        let db = container(
            "db",
            "postgres:16",
            "exited",
            &[("role", "store"), ("tier", "")],
        );
        let f = |specs: &[&str]| Filters::parse(specs).expect("valid");
        assert!(f(&["name=web"]).matches(&web));
        assert!(!f(&["name=^web"]).matches(&web));
        assert!(f(&["name=^/myweb"]).matches(&web));
        assert!(f(&["name=^db$"]).matches(&db));
        assert!(f(&["name=web", "name=db"]).matches(&db));
        assert!(!f(&["name=web", "status=exited"]).matches(&web));
        assert!(f(&["label=tier"]).matches(&db));
        assert!(f(&["label=role=front"]).matches(&web));
        assert!(!f(&["label=role=front"]).matches(&db));
        // Labels, as docker's: all of them.
        assert!(f(&["label=role", "label=tier"]).matches(&db));
        assert!(!f(&["label=role", "label=tier"]).matches(&web));
        assert!(f(&["ancestor=nginx:latest"]).matches(&web));
        assert!(f(&["ancestor=nginx"]).matches(&web));
        assert!(f(&["ancestor=postgres:16"]).matches(&db));
        assert!(!f(&["ancestor=postgres"]).matches(&db));
        assert!(f(&["ancestor=0123ab"]).matches(&db));
        assert!(f(&["status=exited", "status=running"]).matches(&web));
        assert!(f(&[]).matches(&db));
        assert!(f(&["status=exited"]).wants_all());
        let on_n2 = ContainerInfo {
            node: "n2".into(),
            ..web.clone()
        };
        assert!(f(&["node=n2"]).matches(&on_n2));
        assert!(!f(&["node=n2"]).matches(&web));
        assert!(f(&["node=n1", "node=n2"]).matches(&on_n2));
        assert!(!f(&["node=n2", "name=db"]).matches(&on_n2));
    }

    #[test]
    fn bad_filters_say_why() {
        for (spec, why) in [
            ("name", "expected KEY=VALUE"),
            ("name=(", "regex parse error"),
            (
                "colour=red",
                "the key must be name, label, ancestor, status or node",
            ),
            ("node=", "expected node=NAME"),
            (
                "status=sleeping",
                "the status must be one of created, restarting",
            ),
            ("label=", "expected label=KEY"),
        ] {
            let e = Filters::parse(&[spec]).expect_err(spec);
            assert!(e.starts_with(&format!("invalid filter '{spec}': ")), "{e}");
            assert!(e.contains(why), "{spec}: {e}");
        }
    }
}
