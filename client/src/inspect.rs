//! `docker inspect`'s output, byte for byte: the engine's JSON for each
//! container, joined into an array and indented by Go's `json.Indent` with
//! four spaces. Written out here because re-encoding (serde_json's pretty
//! printer) would change the engine's bytes: Go escapes `<`, `>` and `&` as
//! `\u003c`..., keeps key order and number spelling, and json.Indent leaves
//! all of that alone, changing only whitespace outside strings.

/// What `docker inspect C...` prints for these engine answers.
pub fn docker_output<S: AsRef<str>>(raw: &[S]) -> String {
    if raw.is_empty() {
        return "[]\n".into();
    }
    let joined = format!(
        "[{}]",
        raw.iter().map(|r| r.as_ref()).collect::<Vec<_>>().join(",")
    );
    let mut out = indent(&joined, "    ");
    out.push('\n');
    out
}

/// Go's json.Indent with an empty prefix: whitespace outside strings is
/// dropped, a newline and indentation follow `{`, `[` and `,` (except in
/// an empty object or array), a space follows `:`.
pub fn indent(json: &str, unit: &str) -> String {
    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut open_pending = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(unit);
        }
    };
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        if c.is_ascii_whitespace() {
            continue;
        }
        if open_pending && c != '}' && c != ']' {
            open_pending = false;
            depth += 1;
            newline(&mut out, depth);
        }
        match c {
            '{' | '[' => {
                open_pending = true;
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            '}' | ']' => {
                if open_pending {
                    open_pending = false;
                } else {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            '"' => {
                in_string = true;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_as_go_does() {
        let raw = "{\"Id\":\"abc\",\"Args\":[],\"Env\":[\"A=1\",\"B=\\\"x, y: {z}\\\"\"],\"Labels\":{},\"N\":1.50,\"H\":\"\\u003cb\\u003e\"}\n";
        let want = r#"[
    {
        "Id": "abc",
        "Args": [],
        "Env": [
            "A=1",
            "B=\"x, y: {z}\""
        ],
        "Labels": {},
        "N": 1.50,
        "H": "\u003cb\u003e"
    }
]
"#;
        assert_eq!(docker_output(&[raw]), want);
        assert_eq!(docker_output::<&str>(&[]), "[]\n");
    }
}
