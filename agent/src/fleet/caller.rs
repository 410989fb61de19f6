//! The caller's identity as it travels from an entry agent to a peer, in
//! the `dockyard-caller` metadata: the JSON of [`Caller`], hex-encoded
//! (metadata values are ASCII; a certificate subject may not be).

use crate::auth::Caller;

pub fn encode_caller(caller: &Caller) -> String {
    let json = serde_json::json!({
        "token": caller.token,
        "certificate": caller.certificate,
        "user": caller.user,
    })
    .to_string();
    json.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The caller a peer named; None when the value is not one.
pub fn decode_caller(hex: &str) -> Option<Caller> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    let v: serde_json::Value = serde_json::from_slice(&bytes?).ok()?;
    // Both keys, each a string or null: anything else is not a caller.
    let field = |k: &str| match v.get(k)? {
        serde_json::Value::String(s) => Some(Some(s.clone())),
        serde_json::Value::Null => Some(None),
        _ => None,
    };
    Some(Caller {
        token: field("token")?,
        certificate: field("certificate")?,
        // Absent from agents before it: no Unix user.
        user: if v.get("user").is_some() {
            field("user")?
        } else {
            None
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_travels_unchanged() {
        for caller in [
            Caller::default(),
            Caller {
                token: Some("alice".into()),
                certificate: None,
                user: None,
            },
            Caller {
                token: Some("bob".into()),
                certificate: Some("CN=Zoë, O=ops, OU=\"a,b\"".into()),
                user: None,
            },
            Caller {
                user: Some("carol".into()),
                ..Caller::default()
            },
        ] {
            let wire = encode_caller(&caller);
            assert!(wire.is_ascii());
            assert_eq!(decode_caller(&wire), Some(caller));
        }
        for bad in ["", "0", "zz", "7b7d", "6e756c6c"] {
            assert_eq!(decode_caller(bad), None, "{bad}");
        }
    }
}
