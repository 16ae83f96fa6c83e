//! Response headers a page is stored with: checked (HTTP token names, values
//! without CR/LF or other control bytes, bounded count and size, so a stored
//! page can never split a response), and judged: a response that sets a
//! cookie or says `Cache-Control: private`/`no-store` is never shared, nor
//! one whose body is already content-encoded (it could not be served to a
//! client that does not accept that encoding). Headers that describe one
//! transmission rather than the page ([`TRANSMISSION`]) are not stored: a
//! stored `Content-Length` would be wrong for the gzip body.

use crate::error::{printable, Error, Result};
use crate::policy::page::{MAX_HEADERS, MAX_HEADER_NAME_BYTES, MAX_HEADER_VALUE_BYTES};

/// Headers about one transmission, never stored (compared case-insensitively).
pub const TRANSMISSION: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "date",
    "age",
];

/// Checked `name => value` pairs, in the caller's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, Vec<u8>)>);

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

impl Headers {
    /// Checks every pair; errors name `argument['Name']`.
    pub fn parse(argument: &str, pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<Headers> {
        if pairs.len() > MAX_HEADERS {
            return Err(Error::invalid(
                argument,
                format!("has {} headers, the limit is {MAX_HEADERS}", pairs.len()),
            ));
        }
        let mut out = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            let element = format!("{argument}['{}']", printable(&name[..name.len().min(64)]));
            if name.is_empty()
                || name.len() > MAX_HEADER_NAME_BYTES
                || !name.iter().all(|b| is_token_byte(*b))
            {
                return Err(Error::invalid(
                    element,
                    format!(
                        "a header name must be an HTTP token of 1 to {MAX_HEADER_NAME_BYTES} bytes"
                    ),
                ));
            }
            if value.len() > MAX_HEADER_VALUE_BYTES {
                return Err(Error::invalid(
                    element,
                    format!(
                        "is {} bytes, the limit is {MAX_HEADER_VALUE_BYTES}",
                        value.len()
                    ),
                ));
            }
            if let Some(bad) = value
                .iter()
                .find(|b| (**b < 0x20 && **b != b'\t') || **b == 0x7f)
            {
                return Err(Error::invalid(
                    element,
                    format!(
                        "a header value may not contain control byte 0x{bad:02x} (CR, LF, NUL...)"
                    ),
                ));
            }
            // Checked as token bytes above: ASCII.
            let name = String::from_utf8_lossy(name).into_owned();
            out.push((name, value.clone()));
        }
        Ok(Headers(out))
    }

    pub fn pairs(&self) -> &[(String, Vec<u8>)] {
        &self.0
    }

    /// The headers worth storing: without those of [`TRANSMISSION`].
    pub fn stored(&self) -> Headers {
        Headers(
            self.0
                .iter()
                .filter(|(name, _)| !TRANSMISSION.iter().any(|t| name.eq_ignore_ascii_case(t)))
                .cloned()
                .collect(),
        )
    }

    /// Why this response must not be stored and shared, or None when it
    /// may be.
    pub fn refusal_reason(&self) -> Option<&'static str> {
        for (name, value) in &self.0 {
            if name.eq_ignore_ascii_case("set-cookie") {
                return Some("it sets a cookie");
            }
            if name.eq_ignore_ascii_case("content-encoding")
                && !String::from_utf8_lossy(value)
                    .trim()
                    .eq_ignore_ascii_case("identity")
            {
                return Some("its body is already content-encoded");
            }
            if name.eq_ignore_ascii_case("cache-control") {
                let value = String::from_utf8_lossy(value).to_ascii_lowercase();
                let directives = value.split(',').map(|d| d.trim());
                for d in directives {
                    let d = d.split('=').next().unwrap_or("").trim();
                    if d == "private" || d == "no-store" {
                        return Some("Cache-Control says private or no-store");
                    }
                }
            }
        }
        None
    }

    /// `name:value\n` per header (neither may contain a newline).
    pub fn encode(&self, out: &mut Vec<u8>) {
        for (name, value) in &self.0 {
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            out.extend_from_slice(value);
            out.push(b'\n');
        }
    }

    /// The inverse of [`Headers::encode`]; None when the bytes are not what
    /// it writes (a corrupt page is a miss, never a broken response).
    pub fn decode(bytes: &[u8]) -> Option<Headers> {
        let mut out = Vec::new();
        for line in bytes.split(|b| *b == b'\n') {
            if line.is_empty() {
                continue;
            }
            let colon = line.iter().position(|b| *b == b':')?;
            let (name, value) = (&line[..colon], &line[colon + 1..]);
            if name.is_empty() || !name.iter().all(|b| is_token_byte(*b)) {
                return None;
            }
            out.push((String::from_utf8_lossy(name).into_owned(), value.to_vec()));
        }
        Some(Headers(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Result<Headers> {
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = pairs
            .iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
        Headers::parse("headers", &pairs)
    }

    #[test]
    fn round_trip_and_privacy() {
        let ok = h(&[
            ("Content-Type", "text/html; charset=UTF-8"),
            ("Link", "<a:b>; rel=x"),
        ])
        .unwrap();
        let mut bytes = Vec::new();
        ok.encode(&mut bytes);
        assert_eq!(Headers::decode(&bytes).unwrap(), ok);
        assert_eq!(ok.refusal_reason(), None);
        let refused = |pairs: &[(&str, &str)]| h(pairs).unwrap().refusal_reason().is_some();
        assert!(refused(&[("set-cookie", "a=b")]));
        assert!(refused(&[("Cache-Control", "public, no-store")]));
        assert!(refused(&[("Cache-Control", "private=\"x\"")]));
        assert!(refused(&[("Content-Encoding", "gzip")]));
        assert!(!refused(&[("Content-Encoding", "identity")]));
        assert!(!refused(&[("Cache-Control", "max-age=60")]));
        let sent = h(&[("Content-Length", "12"), ("X-A", "b"), ("date", "now")]).unwrap();
        assert_eq!(sent.stored(), h(&[("X-A", "b")]).unwrap());
    }

    #[test]
    fn hostile_headers_are_refused() {
        for (n, v) in [
            ("X-A", "a\r\nSet-Cookie: x"),
            ("X-A", "a\nb"),
            ("X-A", "a\0b"),
            ("X A", "b"),
            ("X:A", "b"),
            ("", "b"),
        ] {
            let err = h(&[(n, v)]).unwrap_err();
            assert!(err.to_string().starts_with("headers['"), "{err}");
        }
        let many: Vec<(String, String)> = (0..=MAX_HEADERS)
            .map(|i| (format!("X-{i}"), "v".into()))
            .collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert!(h(&many).is_err());
    }
}
