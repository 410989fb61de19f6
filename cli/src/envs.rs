//! `-e KEY=VALUE`, `-e KEY` and `--env-file`, with docker's meanings.

use std::collections::HashMap;
use std::path::Path;

use dockyard_proto::args::parse_env_entry as parse_entry;

/// An env file: one entry per line, `#` comments and blank lines skipped.
pub fn parse_file(path: &Path, out: &mut HashMap<String, String>) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read env file {}: {e}", path.display()))?;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        parse_entry(line, out).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
    }
    Ok(())
}

/// Files first, then `-e` flags, so a flag overrides a file.
pub fn collect(
    flags: &[String],
    files: &[impl AsRef<Path>],
) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for f in files {
        parse_file(f.as_ref(), &mut out)?;
    }
    for e in flags {
        parse_entry(e, &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_flags() {
        let dir = std::env::temp_dir().join(format!("dockyard-env-{}", std::process::id()));
        std::fs::write(&dir, "# comment\n\nA=file\nB=file\n").expect("write");
        let m = collect(&["A=flag".to_string()], &[&dir]).expect("collect");
        std::fs::remove_file(&dir).ok();
        assert_eq!(m["A"], "flag");
        assert_eq!(m["B"], "file");
    }
}
