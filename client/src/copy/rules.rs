//! docker's rules for what a copy does, written after docker/cli's `cp`
//! and moby's `pkg/archive` (copy.go), so `dockyard cp` puts every file
//! where `docker cp` would: the paths are cut and cleaned as Go's
//! `path/filepath` does, and an archive's first name is rewritten the
//! way `RebaseArchiveEntries` does. Paths on both sides are Unix paths.

/// What is known of one end of a copy (moby's `CopyInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyInfo {
    pub path: String,
    pub exists: bool,
    pub is_dir: bool,
    /// The name the source's entries take in the archive, when following
    /// a link changed the last element (moby's `RebaseName`).
    pub rebase_name: Option<String>,
}

/// docker's refusals, in its words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("cannot copy directory")]
    CannotCopyDir,
    #[error("no such directory")]
    DirNotExists,
    #[error("not a directory")]
    NotDirectory,
}

/// Where an archive is extracted, and how its names are rewritten first
/// (each `from` → `to` in turn, the first occurrence, as docker's
/// `strings.Replace` in `RebaseArchiveEntries`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub dir: String,
    pub renames: Vec<(String, String)>,
}

impl Placement {
    /// An archive entry's name after the rewrites.
    pub fn name(&self, name: &str) -> String {
        self.renames
            .iter()
            .fold(name.to_string(), |n, (from, to)| rebase(&n, from, to))
    }
}

/// moby's `RebaseArchiveEntries` on one name: the first `old` becomes
/// `new` (an `old` of "/" counts as empty, so the leading separator
/// stays).
pub fn rebase(name: &str, old: &str, new: &str) -> String {
    let old = if old == "/" { "" } else { old };
    go_replace_once(name, old, new)
}

/// Go's `strings.Replace(s, old, new, 1)`: an empty `old` matches at the
/// start.
fn go_replace_once(s: &str, old: &str, new: &str) -> String {
    if old.is_empty() {
        return format!("{new}{s}");
    }
    s.replacen(old, new, 1)
}

/// Go's `filepath.Clean`.
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Base`.
pub fn base(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    match trimmed.rfind('/') {
        Some(i) => trimmed[i + 1..].to_string(),
        None => trimmed.to_string(),
    }
}

/// Go's `filepath.Dir`.
pub fn dir(path: &str) -> String {
    let cut = path.rfind('/').map_or(0, |i| i + 1);
    clean(&path[..cut])
}

/// Go's `filepath.Join` of two.
pub fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(b),
        (false, true) => clean(a),
        (false, false) => clean(&format!("{a}/{b}")),
    }
}

/// Go's `filepath.Split`: everything up to the last separator, and the
/// rest.
pub fn split(path: &str) -> (String, String) {
    let cut = path.rfind('/').map_or(0, |i| i + 1);
    (path[..cut].to_string(), path[cut..].to_string())
}

fn specifies_current_dir(path: &str) -> bool {
    base(path) == "."
}

fn has_trailing_separator(path: &str) -> bool {
    path.ends_with('/')
}

/// The path says it must be a directory: a trailing `/` or `/.`.
pub fn asserts_directory(path: &str) -> bool {
    has_trailing_separator(path) || specifies_current_dir(path)
}

/// moby's `SplitPathDirEntry`: the directory and the entry in it, a
/// trailing `.` kept as the entry.
pub fn split_path_dir_entry(path: &str) -> (String, String) {
    let mut cleaned = clean(path);
    if specifies_current_dir(path) {
        cleaned.push_str("/.");
    }
    (dir(&cleaned), base(&cleaned))
}

/// moby's `PreserveTrailingDotOrSeparator`: what the user's path ended
/// with, kept on the cleaned one.
pub fn preserve_trailing(cleaned: &str, original: &str) -> String {
    let mut out = cleaned.to_string();
    if specifies_current_dir(original) && !specifies_current_dir(&out) {
        if !has_trailing_separator(&out) {
            out.push('/');
        }
        out.push('.');
    }
    if has_trailing_separator(original) && !has_trailing_separator(&out) {
        out.push('/');
    }
    out
}

/// moby's `GetRebaseName`: the resolved path with the original's
/// trailing `/.` or `/` kept, and the name the archive's entries must
/// take when resolving changed the last element.
pub fn get_rebase_name(path: &str, resolved: &str) -> (String, Option<String>) {
    let mut resolved = resolved.to_string();
    if specifies_current_dir(path) && !specifies_current_dir(&resolved) {
        resolved.push_str("/.");
    }
    if has_trailing_separator(path) && !has_trailing_separator(&resolved) {
        resolved.push('/');
    }
    let rebase = (base(path) != base(&resolved)).then(|| base(path));
    (resolved, rebase)
}

/// moby's `PrepareArchiveCopy`: where the source's archive is extracted
/// for the copy to mean what docker's means, and how its names change.
pub fn prepare(src: &CopyInfo, dst: &CopyInfo) -> Result<Placement, RuleError> {
    let (dst_dir, dst_base) = split_path_dir_entry(&dst.path);
    let (_, src_base) = split_path_dir_entry(&src.path);
    let src_base = src.rebase_name.clone().unwrap_or(src_base);
    let renamed = || Placement {
        dir: dst_dir.clone(),
        renames: vec![(src_base.clone(), dst_base.clone())],
    };
    if dst.exists && dst.is_dir {
        // Its contents go into the directory as they are.
        return Ok(Placement {
            dir: dst.path.clone(),
            renames: Vec::new(),
        });
    }
    if dst.exists && src.is_dir {
        return Err(RuleError::CannotCopyDir);
    }
    if dst.exists || src.is_dir {
        return Ok(renamed());
    }
    if asserts_directory(&dst.path) {
        return Err(RuleError::DirNotExists);
    }
    Ok(renamed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_paths() {
        for (p, c) in [
            ("", "."),
            ("/", "/"),
            ("a//b/./c/", "a/b/c"),
            ("/../a", "/a"),
            ("../a/..", ".."),
            ("/d/.", "/d"),
        ] {
            assert_eq!(clean(p), c, "{p}");
        }
        assert_eq!(base("/d/."), ".");
        assert_eq!(base("/d/"), "d");
        assert_eq!(base("///"), "/");
        assert_eq!(dir("/d/f"), "/d");
        assert_eq!(dir("f"), ".");
        assert_eq!(dir("/f"), "/");
        assert_eq!(split("/a/b"), ("/a/".into(), "b".into()));
        assert_eq!(split_path_dir_entry("/d/."), ("/d".into(), ".".into()));
        assert_eq!(split_path_dir_entry("/d/"), ("/".into(), "d".into()));
        assert_eq!(split_path_dir_entry("/"), ("/".into(), "/".into()));
        assert_eq!(preserve_trailing("/a/d", "d/."), "/a/d/.");
        assert_eq!(preserve_trailing("/a/d", "d/"), "/a/d/");
        assert_eq!(
            get_rebase_name("/x/link/", "/x/target"),
            ("/x/target/".into(), Some("link".into()))
        );
        assert_eq!(get_rebase_name("/x/f", "/x/f"), ("/x/f".into(), None));
    }

    fn info(path: &str, exists: bool, is_dir: bool) -> CopyInfo {
        CopyInfo {
            path: path.into(),
            exists,
            is_dir,
            rebase_name: None,
        }
    }

    #[test]
    fn docker_placements() {
        let file = info("/d/f", true, false);
        let tree = info("/d", true, true);
        let contents = info("/d/.", true, true);
        // Into an existing directory, as it is.
        let p = prepare(&file, &info("/out", true, true)).expect("ok");
        assert_eq!((p.dir.as_str(), p.name("f")), ("/out", "f".into()));
        // Over an existing file, renamed.
        let p = prepare(&file, &info("/out/g", true, false)).expect("ok");
        assert_eq!((p.dir.as_str(), p.name("f")), ("/out", "g".into()));
        // A directory over a file: refused.
        assert_eq!(
            prepare(&tree, &info("/out/g", true, false)),
            Err(RuleError::CannotCopyDir)
        );
        // A directory to a new name: the tree takes it.
        let p = prepare(&tree, &info("/out/new", false, false)).expect("ok");
        assert_eq!(
            (p.dir.as_str(), p.name("d/sub/g")),
            ("/out", "new/sub/g".into())
        );
        // A directory's contents to a new name.
        let p = prepare(&contents, &info("/out/new", false, false)).expect("ok");
        assert_eq!(p.name("./sub/g"), "new/sub/g");
        // A file to a missing directory asserted with a slash: refused.
        assert_eq!(
            prepare(&file, &info("/out/new/", false, false)),
            Err(RuleError::DirNotExists)
        );
        // A file to a new name.
        let p = prepare(&file, &info("/out/new", false, false)).expect("ok");
        assert_eq!(p.name("f"), "new");
        // Only the first occurrence is renamed, as docker's Replace.
        assert_eq!(rebase("d/d/d", "d", "e"), "e/d/d");
        assert_eq!(rebase("/x", "/", "y"), "y/x");
    }
}
