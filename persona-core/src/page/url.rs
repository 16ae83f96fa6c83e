//! The page tier's key input: a normalised absolute URL, checked and then
//! hashed. The URL never becomes key text (a hostile path cannot reach the
//! keyspace, and any length maps to 32 hex characters); its hash also picks
//! the bucket, so every key of one page shares one cluster slot.

use sha2::{Digest, Sha256};

use crate::error::{printable, Error, Result};
use crate::keys::CACHE_BUCKETS;
use crate::policy::page::MAX_URL_BYTES;

/// A checked `http(s)://host[:port]/path` and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageUrl {
    text: String,
    hash: String,
    bucket: u64,
}

impl PageUrl {
    /// Checks `url`: scheme `http` or `https`, a host of letters, digits,
    /// `.` and `-` (or a bracketed IPv6 address), an optional port, then a
    /// path starting with `/`; no query, fragment, whitespace or control
    /// characters; UTF-8; at most 2048 bytes. Errors name `argument`.
    pub fn parse(argument: &str, url: &[u8]) -> Result<PageUrl> {
        let bad = |why: &str| {
            Error::invalid(
                argument,
                format!(
                    "must be a normalised absolute URL http(s)://host[:port]/path ({why}), got '{}'",
                    printable(&url[..url.len().min(200)])
                ),
            )
        };
        if url.is_empty() || url.len() > MAX_URL_BYTES {
            return Err(Error::invalid(
                argument,
                format!("must be 1 to {MAX_URL_BYTES} bytes long, got {}", url.len()),
            ));
        }
        let text = std::str::from_utf8(url).map_err(|_| bad("not valid UTF-8"))?;
        let rest = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .ok_or_else(|| bad("the scheme must be http:// or https://"))?;
        let slash = rest.find('/').ok_or_else(|| bad("no path"))?;
        let (authority, path) = rest.split_at(slash);
        check_authority(authority).map_err(bad)?;
        if let Some(c) = path
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#'))
        {
            return Err(bad(&format!(
                "the path may not contain {}",
                match c {
                    '?' => "a query string".to_owned(),
                    '#' => "a fragment".to_owned(),
                    c => format!("U+{:04X}", c as u32),
                }
            )));
        }
        let digest = Sha256::digest(text.as_bytes());
        let hash: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Ok(PageUrl {
            text: text.to_owned(),
            hash,
            bucket: u64::from(digest[0]) % CACHE_BUCKETS,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// 32 hex characters: what the keys use instead of the URL.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    pub fn bucket(&self) -> u64 {
        self.bucket
    }
}

fn check_authority(authority: &str) -> std::result::Result<(), &'static str> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let end = v6.find(']').ok_or("an unclosed IPv6 bracket")?;
        let (address, after) = (&v6[..end], &v6[end + 1..]);
        if address.is_empty()
            || !address
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'))
        {
            return Err("a malformed IPv6 address");
        }
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or("junk after the IPv6 address")?,
            ),
        };
        (None, port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(authority), None),
        }
    };
    if let Some(host) = host {
        let ok = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
        if !ok {
            return Err("the host may only contain letters, digits, '.' and '-'");
        }
    }
    if let Some(port) = port {
        let n: u32 = if port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()) {
            port.parse().unwrap_or(0)
        } else {
            0
        };
        if !(1..=65535).contains(&n) {
            return Err("the port must be 1 to 65535");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_urls_hash_to_fixed_width() {
        for good in [
            "https://example.org/",
            "http://example.org:8080/a/b/",
            "https://[::1]:8443/x",
            "https://[::1]/",
            "http://127.0.0.1/caf%C3%A9/",
            "https://example.org/café/",
        ] {
            let url = PageUrl::parse("url", good.as_bytes()).unwrap();
            assert_eq!(url.hash().len(), 32, "{good}");
            assert!(url.bucket() < CACHE_BUCKETS);
        }
        let a = PageUrl::parse("url", b"https://example.org/a/").unwrap();
        let b = PageUrl::parse("url", b"https://example.org/b/").unwrap();
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn hostile_urls_are_refused() {
        let long = format!("https://example.org/{}", "a".repeat(MAX_URL_BYTES));
        for bad in [
            &b""[..],
            b"example.org/",
            b"ftp://example.org/",
            b"https://example.org",
            b"https:///path",
            b"https://exa mple.org/",
            b"https://example.org/a b",
            b"https://example.org/?q=1",
            b"https://example.org/#top",
            b"https://example.org/\r\nSet-Cookie:x",
            b"https://example.org/\0",
            b"https://example.org/\xff",
            b"https://example.org:0/",
            b"https://example.org:99999/",
            b"https://example.org:/",
            b"https://[::1/",
            b"https://[::1]x/",
            b"https://user@example.org/",
            b"https://{b01}/",
            long.as_bytes(),
        ] {
            let err = PageUrl::parse("url", bad).unwrap_err();
            assert!(err.to_string().starts_with("url:"), "{bad:?}: {err}");
        }
    }
}
