//! `dockyard man [DIR]`: man pages generated from the clap definitions the
//! binaries parse (clap_mangen), so they never drift from `--help`:
//! dockyard.1, one page per subcommand (dockyard-exec.1 ...), and
//! dockyard-agent.1.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};

pub fn run(args: ManArgs) -> anyhow::Result<i32> {
    let mut root = Cli::command();
    // Built, so that subcommands carry the global flags (--host ...).
    root.build();
    let Some(dir) = args.dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(root).render(&mut page)?;
        let mut out = std::io::stdout().lock();
        return match out.write_all(&page).and_then(|()| out.flush()) {
            Ok(()) => Ok(0),
            // `dockyard man | head`: as a program killed by SIGPIPE.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(128 + libc::SIGPIPE),
            Err(e) => Err(e.into()),
        };
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let mut pages = vec![("dockyard".to_string(), root.clone())];
    for sub in root
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = format!("dockyard-{}", sub.get_name());
        pages.push((name.clone(), sub.clone().name(name)));
    }
    pages.push((
        "dockyard-agent".to_string(),
        dockyard_agent::cli::Args::command(),
    ));
    let mut out = std::io::stdout().lock();
    for (name, cmd) in pages {
        let path = dir.join(format!("{name}.1"));
        write_page(&path, cmd)?;
        // The list is for reading; a closed pipe (`| head`) is no failure.
        let _ = writeln!(out, "{}", path.display());
    }
    Ok(0)
}

fn write_page(path: &Path, cmd: clap::Command) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut buf)?;
    std::fs::write(path, buf).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}
