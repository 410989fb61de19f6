//! Images and containers for the debug-shell tests, built here (nothing
//! can be pulled): a toolbox from Debian's static busybox (its programs
//! hard links of it, as in the busybox image, so they run by any path),
//! and a distroless-style target: one static binary without its applet
//! links (so no shell), a non-root user, a working directory and an
//! environment variable.

use std::sync::Once;

use crate::{TEST_LABEL, block_on, docker, unique_name};

pub const TOOLBOX: &str = "dockyard-toolbox:test";
pub const DISTROLESS: &str = "dockyard-distroless:test";
/// The toolbox again, said to be for another platform than this host's.
pub const FOREIGN_TOOLBOX: &str = "dockyard-toolbox:foreign";
/// What the target's one file says (at /app/data.txt).
pub const TARGET_DATA: &str = "distroless-data-7";
/// The target's environment variable, as `KEY=VALUE`.
pub const TARGET_ENV: &str = "GREETING=from-the-target";
/// The port the target's HTTP server listens on, on its loopback only.
pub const TARGET_PORT: u16 = 8099;

const PASSWD: &[u8] = include_bytes!("../../assets/test-image/passwd");
const GROUP: &[u8] = include_bytes!("../../assets/test-image/group");

pub fn ensure_images() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let docker = docker();
        if block_on(docker.inspect_image(TOOLBOX)).is_err() {
            let tar = toolbox_tar().unwrap_or_else(|e| panic!("building the toolbox: {e}"));
            crate::image::import(&tar, "dockyard-toolbox", "test");
        }
        if block_on(docker.inspect_image(FOREIGN_TOOLBOX)).is_err() {
            let tar = toolbox_tar().unwrap_or_else(|e| panic!("building the toolbox: {e}"));
            let other = if std::env::consts::ARCH == "aarch64" {
                "amd64"
            } else {
                "arm64"
            };
            load_as(&tar, FOREIGN_TOOLBOX, other);
        }
        if block_on(docker.inspect_image(DISTROLESS)).is_err() {
            let tar = target_tar().unwrap_or_else(|e| panic!("building the target: {e}"));
            crate::image::import_with(
                &tar,
                "dockyard-distroless",
                "test",
                &[
                    "USER 65534",
                    "WORKDIR /app",
                    &format!("ENV {TARGET_ENV}"),
                    "CMD [\"/bin/busybox\", \"sleep\", \"1000000\"]",
                ],
            );
        }
    });
}

fn busybox() -> Result<Vec<u8>, String> {
    std::fs::read("/bin/busybox")
        .map_err(|e| format!("/bin/busybox: {e} (apt-get install busybox-static)"))
}

/// Loads `layer` (a root filesystem tarball) as the image `reference`
/// said to be for linux/`arch`, through `docker load`'s format: the engine
/// takes `docker import --platform` only in experimental mode.
fn load_as(layer: &[u8], reference: &str, arch: &str) {
    use sha2::{Digest, Sha256};
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let layer_id = hex(&Sha256::digest(layer));
    let config = serde_json::json!({
        "architecture": arch,
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{layer_id}")]},
    })
    .to_string();
    let config_id = hex(&Sha256::digest(config.as_bytes()));
    let manifest = serde_json::json!([{
        "Config": format!("{config_id}.json"),
        "RepoTags": [reference],
        "Layers": [format!("{layer_id}/layer.tar")],
    }])
    .to_string();
    let mut t = Tar::new();
    let built = t
        .dir(&layer_id, 0o755)
        .and_then(|()| t.file(&format!("{layer_id}/layer.tar"), 0o644, layer))
        .and_then(|()| t.file(&format!("{config_id}.json"), 0o644, config.as_bytes()))
        .and_then(|()| t.file("manifest.json", 0o644, manifest.as_bytes()));
    built.unwrap_or_else(|e| panic!("the image archive: {e}"));
    let archive = t
        .done()
        .unwrap_or_else(|e| panic!("the image archive: {e}"));
    let docker = docker();
    block_on(async {
        use futures::StreamExt;
        let opts = bollard::query_parameters::ImportImageOptions::default();
        let mut s = docker.import_image(opts, bollard::body_full(archive.into()), None);
        while let Some(r) = s.next().await {
            r.expect("docker load");
        }
    });
}

struct Tar(tar::Builder<Vec<u8>>);

impl Tar {
    fn new() -> Self {
        Tar(tar::Builder::new(Vec::new()))
    }

    fn dir(&mut self, path: &str, mode: u32) -> Result<(), String> {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(mode);
        h.set_size(0);
        self.0
            .append_data(&mut h, path, std::io::empty())
            .map_err(|e| e.to_string())
    }

    fn file(&mut self, path: &str, mode: u32, data: &[u8]) -> Result<(), String> {
        let mut h = tar::Header::new_gnu();
        h.set_mode(mode);
        h.set_size(data.len() as u64);
        self.0
            .append_data(&mut h, path, data)
            .map_err(|e| e.to_string())
    }

    fn hard_link(&mut self, path: &str, to: &str) -> Result<(), String> {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Link);
        // The link's mode is applied to the file it shares an inode with.
        h.set_mode(0o755);
        h.set_size(0);
        self.0
            .append_link(&mut h, path, to)
            .map_err(|e| e.to_string())
    }

    fn done(self) -> Result<Vec<u8>, String> {
        self.0.into_inner().map_err(|e| e.to_string())
    }
}

fn toolbox_tar() -> Result<Vec<u8>, String> {
    let mut t = Tar::new();
    for (d, mode) in [("bin", 0o755), ("etc", 0o755), ("tmp", 0o1777)] {
        t.dir(d, mode)?;
    }
    t.file("bin/busybox", 0o755, &busybox()?)?;
    t.file("etc/passwd", 0o644, PASSWD)?;
    t.file("etc/group", 0o644, GROUP)?;
    let list = std::process::Command::new("/bin/busybox")
        .arg("--list")
        .output()
        .map_err(|e| e.to_string())?;
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        let applet = applet.trim();
        if !applet.is_empty() && applet != "busybox" {
            t.hard_link(&format!("bin/{applet}"), "bin/busybox")?;
        }
    }
    t.done()
}

fn target_tar() -> Result<Vec<u8>, String> {
    let mut t = Tar::new();
    for (d, mode) in [("bin", 0o755), ("etc", 0o755), ("app", 0o755)] {
        t.dir(d, mode)?;
    }
    t.file("bin/busybox", 0o755, &busybox()?)?;
    t.file("etc/passwd", 0o644, PASSWD)?;
    t.file("etc/group", 0o644, GROUP)?;
    t.file("app/data.txt", 0o644, format!("{TARGET_DATA}\n").as_bytes())?;
    t.done()
}

/// A running distroless-style target, removed on drop: its own program is
/// a web server on its loopback only (`busybox httpd`), as user nobody.
pub struct Target {
    pub name: String,
}

impl Target {
    /// `adjust` changes the host config (read-only root, `--pid host`).
    pub fn start(prefix: &str, adjust: impl FnOnce(&mut bollard::models::HostConfig)) -> Self {
        Self::start_labelled(prefix, &[], adjust)
    }

    /// With extra labels (the node of a simulated cluster that owns it).
    pub fn start_labelled(
        prefix: &str,
        labels: &[(&str, &str)],
        adjust: impl FnOnce(&mut bollard::models::HostConfig),
    ) -> Self {
        ensure_images();
        let name = unique_name(prefix);
        let mut host = bollard::models::HostConfig::default();
        adjust(&mut host);
        let body = bollard::models::ContainerCreateBody {
            image: Some(DISTROLESS.into()),
            cmd: Some(vec![
                "/bin/busybox".into(),
                "httpd".into(),
                "-f".into(),
                "-p".into(),
                format!("127.0.0.1:{TARGET_PORT}"),
                "-h".into(),
                "/app".into(),
            ]),
            labels: Some(
                [(TEST_LABEL, "1")]
                    .iter()
                    .chain(labels)
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            host_config: Some(host),
            ..Default::default()
        };
        crate::create_and_start(&name, body);
        Target { name }
    }

    pub fn id(&self) -> String {
        block_on(docker().inspect_container(&self.name, None))
            .expect("inspect the target")
            .id
            .unwrap_or_default()
    }

    /// The debug helpers the engine holds for it, running or not.
    pub fn helpers(&self) -> Vec<String> {
        let id = self.id();
        let opts = bollard::query_parameters::ListContainersOptions {
            all: true,
            filters: Some(
                [(
                    "label".to_string(),
                    vec![format!("dockyard.debug.helper={id}")],
                )]
                .into(),
            ),
            ..Default::default()
        };
        block_on(docker().list_containers(Some(opts)))
            .expect("list helpers")
            .into_iter()
            .filter_map(|c| c.id)
            .collect()
    }

    /// `docker diff` of it: what changed in its filesystem.
    pub fn diff(&self) -> String {
        crate::docker_cli_ok(&["diff", &self.name])
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        for h in self.helpers() {
            crate::remove_container(&h);
        }
        crate::remove_container(&self.name);
    }
}
