//! Launching an image that is not there yet: the agent pulls it and the
//! progress reaches the client. No public registry is reachable, so the
//! test runs Debian's `docker-registry` itself on 127.0.0.1 (with its own
//! config, never the packaged service) and pushes a fresh image to it.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use dockyard_tests::image::{import, rootfs_tar};
use dockyard_tests::{
    RemoveOnDrop, TestAgent, block_on, docker, eventually, run, stderr_str, stdout_str, unique_name,
};
use futures::StreamExt;

const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

struct Registry {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Registry {
    fn start() -> Registry {
        assert!(
            std::path::Path::new(REGISTRY_BIN).exists(),
            "{REGISTRY_BIN} missing: apt-get install docker-registry"
        );
        let dir = std::env::temp_dir().join(unique_name("registry"));
        std::fs::create_dir_all(dir.join("data")).expect("registry dir");
        // The registry cannot report a port it picked; take a free one.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("data").display()
        );
        std::fs::write(dir.join("config.yml"), config).expect("registry config");
        let child = Command::new(REGISTRY_BIN)
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let r = Registry { child, dir, port };
        assert!(
            eventually(Duration::from_secs(20), || TcpStream::connect((
                "127.0.0.1",
                port
            ))
            .is_ok()),
            "registry did not come up"
        );
        r
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct ImageCleanup(String);

impl Drop for ImageCleanup {
    fn drop(&mut self) {
        let opts = bollard::query_parameters::RemoveImageOptions {
            force: true,
            ..Default::default()
        };
        let _ = block_on(docker().remove_image(&self.0, Some(opts), None));
    }
}

#[test]
fn launch_pulls_a_missing_image_with_progress() {
    let registry = Registry::start();
    let tag = unique_name("tag").replace('-', "");
    let repo = format!("127.0.0.1:{}/dockyard-pull-test", registry.port);
    let image = format!("{repo}:{tag}");
    let _image_cleanup = ImageCleanup(image.clone());

    // A layer the engine has never seen: random bytes in the root fs.
    let mut fresh = vec![0u8; 3 * 1024 * 1024];
    std::io::Read::read_exact(
        &mut std::fs::File::open("/dev/urandom").expect("urandom"),
        &mut fresh,
    )
    .expect("random");
    let tar = rootfs_tar(&[("etc/fresh-layer", &fresh)]).expect("rootfs");
    import(&tar, &repo, &tag);
    let d = docker();
    block_on(async {
        let opts = bollard::query_parameters::PushImageOptions {
            tag: Some(tag.clone()),
            ..Default::default()
        };
        let mut push = d.push_image(&repo, Some(opts), None);
        while let Some(r) = push.next().await {
            let info = r.expect("push");
            assert!(info.error_detail.is_none(), "push failed: {info:?}");
        }
        let opts = bollard::query_parameters::RemoveImageOptions {
            force: true,
            ..Default::default()
        };
        d.remove_image(&image, Some(opts), None)
            .await
            .expect("remove local copy");
    });
    assert!(
        block_on(d.inspect_image(&image)).is_err(),
        "image still present locally"
    );

    let agent = TestAgent::start();
    let name = unique_name("pulled");
    let _remove = RemoveOnDrop(name.clone());
    let o = run(agent.dockyard(&[
        "launch",
        &image,
        "--name",
        &name,
        "--label",
        "dockyard.test=1",
        "--",
        "sleep",
        "1000000",
    ]));
    assert_eq!(
        o.status.code(),
        Some(0),
        "launch failed: {}",
        stderr_str(&o)
    );
    let err = stderr_str(&o);
    assert!(
        err.contains(&format!("Pulling {image}")),
        "no pull announced:\n{err}"
    );
    assert!(
        err.contains("Downloading") || err.contains("Pull complete"),
        "no layer progress:\n{err}"
    );
    assert!(err.contains(&format!("Pulled {image}")), "{err}");
    assert_eq!(stdout_str(&o).trim().len(), 64, "stdout is the id only");
    let o = run(agent.dockyard(&["exec", &name, "wc", "-c", "/etc/fresh-layer"]));
    assert_eq!(
        stdout_str(&o),
        format!("{} /etc/fresh-layer\n", fresh.len())
    );

    // Present now: a second launch pulls nothing and says nothing.
    let name2 = unique_name("pulled2");
    let _remove2 = RemoveOnDrop(name2.clone());
    let o = run(agent.dockyard(&[
        "launch",
        &image,
        "--name",
        &name2,
        "--label",
        "dockyard.test=1",
        "--",
        "sleep",
        "1000000",
    ]));
    assert!(o.status.success(), "{}", stderr_str(&o));
    assert_eq!(stderr_str(&o), "");
}
