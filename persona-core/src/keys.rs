//! Key schema. Every key starts with the client's prefix; each feature has its
//! own sub-namespace so that flushing one (the content cache) never touches
//! another (locks, OTP, rate limits):
//!
//! ```text
//! {prefix}:kv:{key}          Client::get/set/delete (application values)
//! ```
//!
//! Caller-supplied key text is validated, never escaped: it may only use
//! characters that cannot change a key's meaning (no glob characters, no
//! hash-tag braces, no whitespace or control bytes) and is bounded in length.

use crate::error::{Error, Result};

pub const MAX_KEY_BYTES: usize = 200;

/// Checks caller-supplied key text: 1 to 200 bytes of `[A-Za-z0-9_.:/-]`.
pub fn validate_key<'a>(argument: &str, key: &'a [u8]) -> Result<&'a str> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(Error::invalid(
            argument,
            format!("must be 1 to {MAX_KEY_BYTES} bytes long, got {}", key.len()),
        ));
    }
    if let Some(bad) = key
        .iter()
        .find(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'/' | b'-')))
    {
        return Err(Error::invalid(
            argument,
            format!(
                "may only contain letters, digits and _ . : / -, found byte 0x{bad:02x} in '{}'",
                crate::config::printable(key)
            ),
        ));
    }
    // Validated as ASCII above.
    std::str::from_utf8(key).map_err(|_| Error::invalid(argument, "must be ASCII"))
}

/// Builds the keys of one prefix.
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Keys {
        Keys {
            prefix: prefix.to_owned(),
        }
    }

    pub fn kv(&self, key: &str) -> String {
        format!("{}:kv:{key}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_keys_are_refused() {
        for bad in [
            &b""[..],
            b"a b",
            b"*",
            b"user:?",
            b"[x]",
            b"{tag}",
            b"a\0b",
            b"caf\xc3\xa9",
            b"\r\nFLUSHALL",
        ] {
            assert!(validate_key("key", bad).is_err(), "{bad:?}");
        }
        assert!(validate_key("key", &[b'a'; 201]).is_err());
        assert_eq!(
            validate_key("key", b"post:12/html-v2_a.b").unwrap(),
            "post:12/html-v2_a.b"
        );
    }

    #[test]
    fn keys_stay_under_the_prefix() {
        assert_eq!(Keys::new("rp:site1").kv("a"), "rp:site1:kv:a");
    }
}
