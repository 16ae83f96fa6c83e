//! A stored page: what is kept besides the body, and the body itself,
//! compressed once with gzip at store time so a hit never compresses.
//!
//! The page hash holds `s` (written by the store script from the server
//! clock: "gen stored_ms fresh_until_ms stale_until_ms fence_us", what a
//! fetch script needs to judge it, with `k`, its stamp fields), `m` (this module's meta: status, encoding, ETag,
//! tags, posts, headers), `b` (the body as stored) and `u` (the URL, for
//! `pagesFor`). A page whose meta does not decode is a miss, never a broken
//! response.

use std::io::{Read, Write};

use flate2::bufread::GzDecoder;
use flate2::write::GzEncoder;
use flate2::{Compression, Decompress, FlushDecompress, Status};
use sha2::{Digest, Sha256};

use super::headers::Headers;

/// Meta format version (first word of `m`).
const FORMAT: &str = "p1";

/// How the body is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gzip,
    Raw,
}

/// Everything about a page but its body and times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub status: u16,
    pub encoding: Encoding,
    /// 32 hex characters, without quotes.
    pub etag: String,
    pub tags: Vec<String>,
    pub posts: Vec<u64>,
    pub headers: Headers,
}

impl Meta {
    /// Line 1 "p1 status g|r etag", line 2 tags, line 3 post ids, then the
    /// headers one per line. Tags and ids never contain spaces or newlines.
    pub fn encode(&self) -> Vec<u8> {
        let enc = match self.encoding {
            Encoding::Gzip => "g",
            Encoding::Raw => "r",
        };
        let posts: Vec<String> = self.posts.iter().map(u64::to_string).collect();
        let mut out = format!(
            "{FORMAT} {} {enc} {}\n{}\n{}\n",
            self.status,
            self.etag,
            self.tags.join(" "),
            posts.join(" ")
        )
        .into_bytes();
        self.headers.encode(&mut out);
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<Meta> {
        let mut lines = bytes.splitn(4, |b| *b == b'\n');
        let head = std::str::from_utf8(lines.next()?).ok()?;
        let tags = std::str::from_utf8(lines.next()?).ok()?;
        let posts = std::str::from_utf8(lines.next()?).ok()?;
        let headers = Headers::decode(lines.next().unwrap_or(b""))?;
        let mut words = head.split(' ');
        if words.next()? != FORMAT {
            return None;
        }
        let status: u16 = words.next()?.parse().ok()?;
        let encoding = match words.next()? {
            "g" => Encoding::Gzip,
            "r" => Encoding::Raw,
            _ => return None,
        };
        let etag = words.next()?.to_owned();
        if etag.len() != 32 || !etag.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let posts: Option<Vec<u64>> = posts
            .split(' ')
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().ok())
            .collect();
        Some(Meta {
            status,
            encoding,
            etag,
            tags: tags
                .split(' ')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            posts: posts?,
            headers,
        })
    }
}

/// The body as it will be stored: gzip when that is smaller, else as is.
pub fn compress(body: &[u8]) -> (Encoding, Vec<u8>) {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4 + 64), Compression::new(6));
    let gz = encoder.write_all(body).and_then(|_| encoder.finish());
    match gz {
        Ok(gz) if gz.len() < body.len() => (Encoding::Gzip, gz),
        _ => (Encoding::Raw, body.to_vec()),
    }
}

/// Decodes a stored gzip body of at most `max` bytes; None when corrupt or
/// larger (a page is checked against max_bytes before it is stored).
///
/// Every hit of a client without gzip pays this, so the usual case (a
/// member written by `compress`: a bare 10-byte header) is inflated in one
/// call, straight into a buffer sized once from the gzip trailer (ISIZE, the
/// decoded length mod 2^32; pages are far below that), without zeroing it
/// first and without a CRC pass: the trailer's length must match instead.
/// Anything else goes through the general decoder.
pub fn gunzip(stored: &[u8], max: usize) -> Option<Vec<u8>> {
    const HEADER: usize = 10;
    const TRAILER: usize = 8;
    let bare = stored.len() >= HEADER + TRAILER && stored[..4] == [0x1f, 0x8b, 8, 0];
    if !bare {
        return gunzip_general(stored, max);
    }
    let trailer = &stored[stored.len() - 4..];
    let size = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]) as usize;
    if size > max {
        return None;
    }
    let mut out = Vec::with_capacity(size);
    let mut inflate = Decompress::new(false);
    let deflated = &stored[HEADER..stored.len() - TRAILER];
    match inflate.decompress_vec(deflated, &mut out, FlushDecompress::Finish) {
        Ok(Status::StreamEnd) if out.len() == size => Some(out),
        _ => None,
    }
}

fn gunzip_general(stored: &[u8], max: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut decoder = GzDecoder::new(stored).take(max as u64 + 1);
    decoder.read_to_end(&mut out).ok()?;
    (out.len() <= max).then_some(out)
}

/// A strong validator of the response as served to this variant: the
/// variant, status, headers and decoded body, hashed.
pub fn etag(variant: &str, status: u16, headers: &Headers, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(variant.as_bytes());
    h.update([0]);
    h.update(status.to_be_bytes());
    let mut encoded = Vec::new();
    headers.encode(&mut encoded);
    h.update((encoded.len() as u64).to_be_bytes());
    h.update(&encoded);
    h.update(body);
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `s` field a fetch read: (generation, stored_ms).
pub fn parse_state(s: &[u8]) -> Option<(u64, u64)> {
    let text = std::str::from_utf8(s).ok()?;
    let mut words = text.split(' ');
    let generation = words.next()?.parse().ok()?;
    let stored = words.next()?.parse().ok()?;
    Some((generation, stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_round_trips() {
        let headers = Headers::parse(
            "headers",
            &[(b"Content-Type".to_vec(), b"text/html".to_vec())],
        )
        .unwrap();
        let meta = Meta {
            status: 200,
            encoding: Encoding::Gzip,
            etag: etag("family", 200, &headers, b"x"),
            tags: vec!["home".into(), "term-3".into()],
            posts: vec![1, 22],
            headers,
        };
        assert_eq!(Meta::decode(&meta.encode()).unwrap(), meta);
        let bare = Meta {
            tags: vec![],
            posts: vec![],
            headers: Headers::default(),
            ..meta.clone()
        };
        assert_eq!(Meta::decode(&bare.encode()).unwrap(), bare);
        assert!(Meta::decode(b"junk").is_none());
        assert_ne!(
            etag("family", 200, &Headers::default(), b"x"),
            etag("solo", 200, &Headers::default(), b"x")
        );
    }

    #[test]
    fn compression_pays_or_is_skipped() {
        let html = "<p>hello persona</p>".repeat(500);
        let (enc, gz) = compress(html.as_bytes());
        assert_eq!(enc, Encoding::Gzip);
        assert!(gz.len() < html.len() / 10);
        assert_eq!(gunzip(&gz, html.len()).unwrap(), html.as_bytes());
        assert!(gunzip(&gz, html.len() - 1).is_none());
        assert_eq!(compress(b""), (Encoding::Raw, Vec::new()));
        assert_eq!(compress(b"ab").0, Encoding::Raw);
        assert!(gunzip(b"not gzip", 100).is_none());
    }

    #[test]
    fn damaged_or_unusual_gzip_is_refused_or_decoded_the_long_way() {
        let html = "<p>hello persona</p>".repeat(500);
        let (_, gz) = compress(html.as_bytes());
        // A trailer whose length disagrees with the stream: refused.
        let mut lying = gz.clone();
        let at = lying.len() - 4;
        lying[at..].copy_from_slice(&((html.len() as u32) - 1).to_le_bytes());
        assert!(gunzip(&lying, html.len() * 2).is_none());
        // A truncated stream: refused.
        assert!(gunzip(&gz[..gz.len() / 2], html.len()).is_none());
        // A member with a file name (FLG.FNAME) takes the general decoder.
        let mut named = Vec::new();
        let mut encoder = flate2::GzBuilder::new()
            .filename("page.html")
            .write(&mut named, Compression::fast());
        encoder.write_all(html.as_bytes()).unwrap();
        encoder.finish().unwrap();
        assert_eq!(gunzip(&named, html.len()).unwrap(), html.as_bytes());
        assert!(gunzip(&named, html.len() - 1).is_none());
    }
}
