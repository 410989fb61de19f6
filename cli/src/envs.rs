//! `-e KEY=VALUE`, `-e KEY` and `--env-file`, with docker's meanings.

use std::collections::HashMap;
use std::path::Path;

/// One `-e` entry. `KEY` alone takes this process's value, and is skipped
/// when unset (as docker does).
pub fn parse_entry(entry: &str, out: &mut HashMap<String, String>) -> Result<(), String> {
    let (key, value) = match entry.split_once('=') {
        Some((k, v)) => (k, Some(v.to_string())),
        None => (entry, None),
    };
    if key.is_empty() || key.chars().any(|c| c.is_whitespace() || c == '\0') {
        return Err(format!(
            "invalid environment variable '{}'",
            entry.escape_debug()
        ));
    }
    let value = match value {
        Some(v) => v,
        None => match std::env::var(key) {
            Ok(v) => v,
            Err(_) => return Ok(()),
        },
    };
    out.insert(key.to_string(), value);
    Ok(())
}

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
    fn entries() {
        let mut m = HashMap::new();
        parse_entry("A=1", &mut m).expect("A=1");
        parse_entry("B=x=y", &mut m).expect("B=x=y");
        parse_entry("C=", &mut m).expect("C=");
        assert_eq!(m["A"], "1");
        assert_eq!(m["B"], "x=y");
        assert_eq!(m["C"], "");
        assert!(parse_entry("=v", &mut m).is_err());
        assert!(parse_entry("", &mut m).is_err());
        assert!(parse_entry("A B=1", &mut m).is_err());
        parse_entry("DOCKYARD_SURELY_UNSET_VAR", &mut m).expect("unset passes");
        assert!(!m.contains_key("DOCKYARD_SURELY_UNSET_VAR"));
    }

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
