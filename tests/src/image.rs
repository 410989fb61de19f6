//! The test image `dockyard-test:latest`, built here when missing: no
//! registry is reachable, so it is a root filesystem made from Debian's
//! static busybox (`assets/test-image/` holds the recipe's files) and
//! imported through the Docker API, like `docker import`.

use std::sync::Once;

use futures::StreamExt;

use crate::{block_on, docker};

pub const TEST_IMAGE: &str = "dockyard-test:latest";
const BUSYBOX: &str = "/bin/busybox";
const PASSWD: &[u8] = include_bytes!("../../assets/test-image/passwd");
const GROUP: &[u8] = include_bytes!("../../assets/test-image/group");

pub fn ensure_image() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let docker = docker();
        if block_on(docker.inspect_image(TEST_IMAGE)).is_ok() {
            return;
        }
        let tar = rootfs_tar(&[]).unwrap_or_else(|e| panic!("building the test image: {e}"));
        import(&tar, "dockyard-test", "latest");
    });
}

/// Imports a root filesystem tarball as `repo:tag`.
pub fn import(tar: &[u8], repo: &str, tag: &str) {
    import_with(tar, repo, tag, &[]);
}

/// [`import`] with Dockerfile instructions applied (`USER 65534`, `ENV
/// K=V`), as `docker import --change` does.
pub fn import_with(tar: &[u8], repo: &str, tag: &str, changes: &[&str]) {
    let docker = docker();
    let opts = bollard::query_parameters::CreateImageOptions {
        from_src: Some("-".into()),
        repo: Some(repo.into()),
        tag: Some(tag.into()),
        changes: changes.iter().map(|c| c.to_string()).collect(),
        ..Default::default()
    };
    block_on(async {
        let mut s = docker.create_image(
            Some(opts),
            Some(bollard::body_full(tar.to_vec().into())),
            None,
        );
        while let Some(r) = s.next().await {
            r.expect("docker import");
        }
    });
}

/// The busybox root filesystem, plus any `extra` files (path, contents).
pub fn rootfs_tar(extra: &[(&str, &[u8])]) -> Result<Vec<u8>, String> {
    let busybox = std::fs::read(BUSYBOX).map_err(|e| {
        format!("{BUSYBOX}: {e} (install Debian's busybox-static: apt-get install busybox-static)")
    })?;
    let list = std::process::Command::new(BUSYBOX)
        .arg("--list-full")
        .output()
        .map_err(|e| format!("{BUSYBOX} --list-full: {e}"))?;
    let applets = String::from_utf8_lossy(&list.stdout).into_owned();

    let mut b = tar::Builder::new(Vec::new());
    let dir = |b: &mut tar::Builder<Vec<u8>>, path: &str, mode: u32| -> std::io::Result<()> {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(mode);
        h.set_size(0);
        h.set_mtime(0);
        b.append_data(&mut h, path, std::io::empty())
    };
    let file = |b: &mut tar::Builder<Vec<u8>>,
                path: &str,
                mode: u32,
                data: &[u8]|
     -> std::io::Result<()> {
        let mut h = tar::Header::new_gnu();
        h.set_mode(mode);
        h.set_size(data.len() as u64);
        h.set_mtime(0);
        b.append_data(&mut h, path, data)
    };
    let io = |e: std::io::Error| e.to_string();
    for (d, mode) in [
        ("bin", 0o755),
        ("sbin", 0o755),
        ("usr", 0o755),
        ("usr/bin", 0o755),
        ("usr/sbin", 0o755),
        ("etc", 0o755),
        ("root", 0o700),
        ("tmp", 0o1777),
        ("var", 0o755),
        ("var/log", 0o755),
        ("proc", 0o755),
        ("sys", 0o755),
        ("dev", 0o755),
    ] {
        dir(&mut b, d, mode).map_err(io)?;
    }
    file(&mut b, "bin/busybox", 0o755, &busybox).map_err(io)?;
    file(&mut b, "etc/passwd", 0o644, PASSWD).map_err(io)?;
    file(&mut b, "etc/group", 0o644, GROUP).map_err(io)?;
    for applet in applets
        .lines()
        .map(str::trim)
        .filter(|a| !a.is_empty() && *a != "bin/busybox")
    {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_mode(0o777);
        h.set_size(0);
        h.set_mtime(0);
        b.append_link(&mut h, applet, "/bin/busybox").map_err(io)?;
    }
    for (path, data) in extra {
        file(&mut b, path, 0o644, data).map_err(io)?;
    }
    b.into_inner().map_err(io)
}
