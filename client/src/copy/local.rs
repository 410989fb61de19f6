//! The local end of a copy, as docker's CLI does it: which local path a
//! copy starts from or lands on (symbolic links resolved by docker's
//! rules), the tar of a local tree, and a tar extracted into a local
//! directory (modes and times kept, ownership not, no directory replaced
//! by a file or a file by a directory, nothing written outside it).
//! These run on a blocking thread: they read and write files.

use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use super::rules::{self, CopyInfo, Placement};

/// An OS error as Go words it (`lstat /x: no such file or directory`),
/// so messages read as docker's do.
pub fn go_error(op: &str, path: &str, e: &std::io::Error) -> String {
    let text = match e.raw_os_error() {
        Some(code) => {
            let desc = nix::errno::Errno::from_raw(code).desc();
            let mut chars = desc.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => e.to_string(),
            }
        }
        None => e.to_string(),
    };
    format!("{op} {path}: {text}")
}

/// An absolute path, the trailing `/` or `/.` kept (docker's
/// `resolveLocalPath`).
pub fn absolute(path: &str) -> Result<String, String> {
    let abs = if path.starts_with('/') {
        rules::clean(path)
    } else {
        let cwd = std::env::current_dir().map_err(|e| go_error("getwd", ".", &e))?;
        rules::join(&cwd.to_string_lossy(), path)
    };
    Ok(rules::preserve_trailing(&abs, path))
}

/// Go's `filepath.EvalSymlinks`: the path with every link resolved.
fn eval_symlinks(path: &str) -> Result<String, String> {
    std::fs::canonicalize(path)
        .map(|p| p.to_string_lossy().into_owned())
        .map_err(|e| go_error("lstat", &rules::clean(path), &e))
}

/// moby's `CopyInfoSourcePath` for a local source given as the user
/// wrote it.
pub fn source_info(path: &str, follow_link: bool) -> Result<CopyInfo, String> {
    let path = absolute(path)?;
    let (resolved, rebase_name) = if follow_link {
        let resolved = eval_symlinks(&path)?;
        rules::get_rebase_name(&path, &resolved)
    } else {
        let (dir, base) = rules::split(&path);
        let dir = eval_symlinks(&dir)?;
        let resolved = format!("{dir}/{base}");
        let rebase = (path.ends_with('/') && rules::base(&path) != rules::base(&resolved))
            .then(|| rules::base(&path));
        (resolved, rebase)
    };
    let meta =
        std::fs::symlink_metadata(&resolved).map_err(|e| go_error("lstat", &resolved, &e))?;
    Ok(CopyInfo {
        path: resolved,
        exists: true,
        is_dir: meta.is_dir(),
        rebase_name,
    })
}

/// docker's `ValidateOutputPath`: the destination's directory exists,
/// and the destination is a directory or a file if it exists.
pub fn validate_output(path: &str) -> Result<(), String> {
    let dir = rules::dir(&rules::clean(path));
    if !dir.is_empty() && dir != "." && !Path::new(&dir).exists() {
        return Err(format!(
            "invalid output path: directory \"{dir}\" does not exist"
        ));
    }
    match std::fs::metadata(path) {
        Ok(m) if !m.is_dir() && !m.is_file() => Err(format!(
            "invalid output path: \"{path}\" must be a directory or a regular file"
        )),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(go_error("stat", path, &e)),
        _ => Ok(()),
    }
}

/// moby's `CopyInfoDestinationPath`: the destination, links at its end
/// followed (a broken one is fine: the copy makes its target); its
/// parent must exist.
pub fn destination_info(path: &str) -> Result<CopyInfo, String> {
    let original = path.to_string();
    let mut path = path.to_string();
    let mut meta = std::fs::symlink_metadata(&path);
    let mut n = 0;
    while let Ok(m) = &meta {
        if !m.file_type().is_symlink() {
            break;
        }
        n += 1;
        if n > 10 {
            return Err(format!("too many symlinks in {original}"));
        }
        let target = std::fs::read_link(&path).map_err(|e| go_error("readlink", &path, &e))?;
        let target = target.to_string_lossy().into_owned();
        path = if target.starts_with('/') {
            target
        } else {
            rules::join(&rules::split_path_dir_entry(&path).0, &target)
        };
        meta = std::fs::symlink_metadata(&path);
    }
    match meta {
        Ok(m) => Ok(CopyInfo {
            path,
            exists: true,
            is_dir: m.is_dir(),
            rebase_name: None,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (parent, _) = rules::split_path_dir_entry(&path);
            let pm = std::fs::metadata(&parent).map_err(|e| go_error("stat", &parent, &e))?;
            if !pm.is_dir() {
                return Err(rules::RuleError::NotDirectory.to_string());
            }
            Ok(CopyInfo {
                path,
                ..Default::default()
            })
        }
        Err(e) => Err(go_error("lstat", &path, &e)),
    }
}

/// The tar of `src` as docker's `TarResource` makes it, its names then
/// rewritten by `placement` (the names the container's side extracts).
/// Entries come in the order Go's directory walk takes (by name); a file
/// linked twice is a hard link the second time; sockets are left out.
pub fn write_tar(src: &CopyInfo, placement: &Placement, out: impl Write) -> Result<(), String> {
    let (src_dir, include) = rules::split_path_dir_entry(&src.path);
    let walk_root = rules::join(&src_dir, &include);
    let mut builder = tar::Builder::new(out);
    builder.follow_symlinks(false);
    builder.mode(tar::HeaderMode::Complete);
    // A GNU sparse entry is a type docker's extraction does not know.
    builder.sparse(false);
    let mut seen: std::collections::HashMap<(u64, u64), String> = Default::default();
    let mut stack = vec![walk_root.clone()];
    // Depth first, by name: a stack of paths, children pushed reversed.
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).map_err(|e| go_error("lstat", &path, &e))?;
        let rel = relative(&src_dir, &path);
        let mut rel = if include == "." && rel != "." {
            format!("./{rel}")
        } else {
            rel
        };
        if let Some(rebase) = &src.rebase_name {
            rel = rules::rebase(&rel, &include, if rebase == "/" { "" } else { rebase });
        }
        let name = placement.name(&rel);
        let kind = meta.file_type();
        if kind.is_dir() {
            let mut children: Vec<String> = std::fs::read_dir(&path)
                .map_err(|e| go_error("open", &path, &e))?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            children.sort();
            for child in children.into_iter().rev() {
                stack.push(rules::join(&path, &child));
            }
        }
        use std::os::unix::fs::FileTypeExt;
        if kind.is_socket() {
            continue;
        }
        if kind.is_file() && meta.nlink() > 1 {
            let key = (meta.dev(), meta.ino());
            if let Some(first) = seen.get(&key) {
                let mut header = tar::Header::new_gnu();
                header.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
                header.set_entry_type(tar::EntryType::Link);
                header.set_size(0);
                builder
                    .append_link(&mut header, &name, first)
                    .map_err(|e| format!("{name}: {e}"))?;
                continue;
            }
            seen.insert(key, name.clone());
        }
        let name = if kind.is_dir() && !name.ends_with('/') {
            format!("{name}/")
        } else {
            name
        };
        if kind.is_file() {
            // Its size as it is opened, and exactly that many bytes: a
            // file growing or shrinking meanwhile would otherwise break
            // the archive's framing (the tar crate copies to the end).
            let file = std::fs::File::open(&path).map_err(|e| go_error("open", &path, &e))?;
            let meta = file.metadata().map_err(|e| go_error("stat", &path, &e))?;
            let mut header = tar::Header::new_gnu();
            header.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
            let exact = Exactly {
                inner: std::io::Read::take(file, meta.len()),
                left: meta.len(),
                path: &path,
            };
            builder
                .append_data(&mut header, &name, exact)
                .map_err(|e| format!("{path}: {e}"))?;
            continue;
        }
        builder
            .append_path_with_name(&path, &name)
            .map_err(|e| format!("{path}: {e}"))?;
    }
    // Finished, then flushed: an error writing the last bytes is an error.
    builder
        .into_inner()
        .and_then(|mut out| out.flush())
        .map_err(|e| e.to_string())
}

/// A file's bytes, exactly `left` of them: one that shrank while read
/// is an error, not a short entry.
struct Exactly<'a, R> {
    inner: R,
    left: u64,
    path: &'a str,
}

impl<R: Read> Read for Exactly<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.left > 0 {
            return Err(std::io::Error::other(format!(
                "{} changed while it was copied ({} bytes short)",
                self.path, self.left
            )));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// `path` relative to `base` (both clean, `path` under `base`), "." for
/// the same.
fn relative(base: &str, path: &str) -> String {
    if base == path {
        return ".".into();
    }
    let prefix = if base.ends_with('/') {
        base.to_string()
    } else {
        format!("{base}/")
    };
    path.strip_prefix(&prefix).unwrap_or(path).to_string()
}

/// A regular file's entry written to `path`: its contents in large
/// writes (tar's own unpacking writes 8 KiB at a time), then its exact
/// mode (the umask does not apply, as in docker's) and times.
fn write_file<R: Read>(entry: &mut tar::Entry<'_, R>, path: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let header = entry.header();
    let mode = header.mode()? & 0o7777;
    let size = header.size()?;
    let mtime = filetime::FileTime::from_unix_time(header.mtime()? as i64, 0);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    // A cut archive ends an entry early without an error: counted.
    if std::io::copy(entry, &mut out)? != size {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the archive was cut short",
        ));
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    filetime::set_file_handle_times(&file, Some(mtime), Some(mtime))?;
    Ok(())
}

/// The first symbolic link among `path`'s directories below `root` (both
/// clean, `path` under `root`), if any.
fn link_on_the_way(root: &str, path: &str) -> Option<String> {
    let rel = path.strip_prefix(root)?.trim_start_matches('/');
    let mut at = root.to_string();
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    // The last part is the entry itself (a link there is replaced).
    for part in parts.iter().take(parts.len().saturating_sub(1)) {
        at = rules::join(&at, part);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => return Some(at),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

/// Is `path` (clean) `root` or under it?
fn inside(root: &str, path: &str) -> bool {
    root == "/" || path == root || path.starts_with(&format!("{root}/"))
}

/// Extracts a tar into `dest` as moby's `Untar` does for `docker cp`
/// (no ownership, no directory replaced by a non-directory or the other
/// way round, nothing outside `dest`), its names rewritten by
/// `placement` first. Returns the bytes of file contents written.
pub fn untar(input: impl Read, dest: &str, placement: &Placement) -> Result<u64, String> {
    let dest = rules::clean(dest);
    let mut archive = tar::Archive::new(input);
    archive.set_preserve_permissions(true);
    archive.set_preserve_mtime(true);
    archive.set_unpack_xattrs(false);
    archive.set_overwrite(true);
    let mut dirs = Vec::new();
    let mut written = 0u64;
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| format!("reading the archive: {e}"))?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let name = rules::clean(&placement.name(&raw));
        let path = rules::join(&dest, &name);
        if !inside(&dest, &path) {
            return Err(format!("{raw:?} is outside of {dest:?}"));
        }
        // Nothing is written through a link: one the archive made (or
        // one already there) could lead out of `dest`.
        if let Some(link) = link_on_the_way(&dest, &path) {
            return Err(format!(
                "{raw:?} is outside of {dest:?}: {link:?} on its way is a link"
            ));
        }
        let kind = entry.header().entry_type();
        if !name.ends_with('/') {
            let parent = rules::dir(&path);
            if !Path::new(&parent).exists() {
                use std::os::unix::fs::DirBuilderExt;
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o755)
                    .create(&parent)
                    .map_err(|e| go_error("mkdir", &parent, &e))?;
            }
        }
        if let Ok(existing) = std::fs::symlink_metadata(&path) {
            if existing.is_dir() && !kind.is_dir() {
                return Err(format!(
                    "cannot overwrite directory {path:?} with non-directory {dest:?}"
                ));
            }
            if !existing.is_dir() && kind.is_dir() {
                return Err(format!(
                    "cannot overwrite non-directory {path:?} with directory {dest:?}"
                ));
            }
            if existing.is_dir() && name == "." {
                continue;
            }
            // A file is replaced whole, below, once it has all arrived.
            if !existing.is_dir() && !kind.is_file() {
                std::fs::remove_file(&path).map_err(|e| go_error("remove", &path, &e))?;
            }
        }
        let link = || {
            entry
                .link_name_bytes()
                .map(|l| String::from_utf8_lossy(&l).into_owned())
                .unwrap_or_default()
        };
        match kind {
            tar::EntryType::Link => {
                let target = rules::join(&dest, &placement.name(&link()));
                if !inside(&dest, &target) || link_on_the_way(&dest, &target).is_some() {
                    return Err(format!("invalid hardlink {target:?} -> {path:?}"));
                }
                std::fs::hard_link(&target, &path).map_err(|e| go_error("link", &path, &e))?;
            }
            tar::EntryType::Symlink => {
                let target = link();
                let resolved = rules::join(&rules::dir(&path), &target);
                if !target.starts_with('/') && !inside(&dest, &resolved) {
                    return Err(format!("invalid symlink {path:?} -> {target:?}"));
                }
                entry.unpack(&path).map_err(|e| format!("{path}: {e}"))?;
            }
            _ if kind.is_file() => {
                // Written beside it and renamed when whole: a copy cut
                // short (the connection, a full disk) leaves no part of a
                // file where the whole was asked for, and the old one
                // stays.
                let (parent, _) = rules::split(&path);
                // Short, whatever the file's name (NAME_MAX).
                static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let part = format!("{parent}.dockyard-part-{}-{n}", std::process::id());
                if let Err(e) = write_file(&mut entry, &part) {
                    let _ = std::fs::remove_file(&part);
                    return Err(go_error("write", &path, &e));
                }
                std::fs::rename(&part, &path).map_err(|e| {
                    let _ = std::fs::remove_file(&part);
                    go_error("rename", &path, &e)
                })?;
                written += entry.header().size().unwrap_or(0);
            }
            _ => {
                entry.unpack(&path).map_err(|e| format!("{path}: {e}"))?;
                if kind.is_dir() {
                    let mtime = entry.header().mtime().unwrap_or(0);
                    dirs.push((path, mtime));
                }
            }
        }
    }
    // A directory's time is set last: what was written into it moved it.
    for (path, mtime) in dirs {
        let t = filetime::FileTime::from_unix_time(mtime as i64, 0);
        filetime::set_file_times(&path, t, t).map_err(|e| go_error("chtimes", &path, &e))?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("dockyard-untar-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("scratch");
        p
    }

    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o640);
            h.set_mtime(1_000_000_000);
            b.append_data(&mut h, name, *data).expect("append");
        }
        b.into_inner().expect("tar")
    }

    fn as_is(dir: &std::path::Path) -> Placement {
        Placement {
            dir: dir.display().to_string(),
            renames: Vec::new(),
        }
    }

    /// A tar cut in the middle of a file (the connection dropped, the
    /// disk filled): the file is not there, nor any part of it, and the
    /// file it would have replaced is kept.
    #[test]
    fn a_cut_archive_leaves_no_part_of_a_file() {
        let dir = scratch("cut");
        std::fs::write(dir.join("big"), b"the old one").expect("old");
        let big = vec![7u8; 1 << 20];
        let tar = tar_of(&[("small", b"whole\n"), ("big", &big)]);
        let cut = &tar[..tar.len() / 2];
        let d = dir.display().to_string();
        assert!(untar(cut, &d, &as_is(&dir)).is_err());
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("readdir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["big", "small"]);
        let old = std::fs::read(dir.join("big")).expect("read");
        assert!(old == b"the old one", "big is {} bytes", old.len());
        assert!(std::fs::read(dir.join("small")).expect("read") == b"whole\n");
        // Whole, it lands with its mode and time.
        untar(&tar[..], &d, &as_is(&dir)).expect("untar");
        let m = std::fs::metadata(dir.join("big")).expect("stat");
        assert_eq!(
            (m.len(), m.mode() & 0o7777, m.mtime()),
            (1 << 20, 0o640, 1_000_000_000)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A link the archive makes is not written through: a later entry
    /// under it would land wherever it points.
    #[test]
    fn nothing_is_written_through_a_link() {
        let dir = scratch("through");
        let inner = dir.join("in");
        let outside = dir.join("out");
        std::fs::create_dir_all(&inner).expect("mkdir");
        std::fs::create_dir_all(&outside).expect("mkdir");
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        b.append_link(&mut h, "x", &outside).expect("link");
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        h.set_mode(0o644);
        b.append_data(&mut h, "x/f", &b"x"[..]).expect("file");
        let tar = b.into_inner().expect("tar");
        let d = inner.display().to_string();
        let e = untar(&tar[..], &d, &as_is(&inner)).expect_err("refused");
        assert!(e.contains("is a link"), "{e}");
        assert!(!outside.join("f").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Names that would climb out of the destination are refused.
    #[test]
    fn nothing_is_written_outside() {
        let dir = scratch("outside");
        let inner = dir.join("in");
        std::fs::create_dir_all(&inner).expect("mkdir");
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        h.set_mode(0o644);
        // Written raw: the builder itself refuses such names.
        h.as_old_mut().name[..5].copy_from_slice(b"../x\0");
        h.set_cksum();
        b.append(&h, &b"x"[..]).expect("append");
        let tar = b.into_inner().expect("tar");
        let d = inner.display().to_string();
        let e = untar(&tar[..], &d, &as_is(&inner)).expect_err("refused");
        assert!(e.contains("outside"), "{e}");
        assert!(!dir.join("x").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
