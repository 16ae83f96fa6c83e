//! The stored form of one persona variant: a stamp written by the store
//! script, a fixed header, then the HTML, LZ4-compressed when that pays.
//!
//! ```text
//! 0      generation      20 ASCII digits  cache generation the value was written in
//! 20     version         20 ASCII digits  post version the value was written under
//! 40     magic 0xB7, format 2, flags (bit 0: LZ4)
//! 43     fresh_until_ms  u64 LE   served as fresh before this instant
//! 51     stale_until_ms  u64 LE   served as stale (while one caller refreshes) before this
//! 59     render_ms       u32 LE   how long the render took (XFetch's delta)
//! 63     raw_len         u32 LE   length of the HTML once decompressed
//! 67     payload
//! ```
//!
//! Why the stamp is text and comes first: the store script, not the writer,
//! decides the generation and version a value belongs to (the ones current
//! when it runs, created from the server clock if missing), and Lua can only
//! prepend a formatted string (`string.format('%020d%020d', …) .. body`).
//! A reader compares both with the keys it fetched in the same `MGET`, so a
//! value outlives neither a flush nor an invalidation of its post, even when
//! the post's variant index was lost.
//!
//! Every field a reader needs to decide "usable or not" sits before the
//! payload, so that decision costs no decompression. A value that does not
//! parse (another program wrote it, an older or future format) reads as a
//! miss, never as garbage HTML.

const MAGIC: u8 = 0xB7;
const FORMAT: u8 = 2;
const FLAG_LZ4: u8 = 1;
/// Generation and version, 20 decimal digits each.
pub const STAMP_LEN: usize = 40;
/// Stamp and binary header.
pub const HEADER_LEN: usize = STAMP_LEN + 27;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub generation: u64,
    pub version: u64,
    pub fresh_until_ms: u64,
    pub stale_until_ms: u64,
    pub render_ms: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    /// Past its fresh TTL but within the stale window.
    Stale,
    Expired,
}

impl Meta {
    pub fn freshness(&self, now_ms: u64) -> Freshness {
        if now_ms < self.fresh_until_ms {
            Freshness::Fresh
        } else if now_ms < self.stale_until_ms {
            Freshness::Stale
        } else {
            Freshness::Expired
        }
    }

    /// XFetch (Vattani et al., "Optimal Probabilistic Cache Stampede
    /// Prevention"): refresh early when `now - delta·beta·ln(r) ≥ expiry`,
    /// `r` uniform in (0, 1]. Keys whose render is slow start refreshing
    /// sooner; with beta = 0 never early.
    pub fn refresh_early(&self, now_ms: u64, beta: f64, r: f64) -> bool {
        if beta <= 0.0 || self.render_ms == 0 {
            return false;
        }
        let r = r.clamp(f64::MIN_POSITIVE, 1.0);
        let gap = -(f64::from(self.render_ms)) * beta * r.ln();
        now_ms as f64 + gap >= self.fresh_until_ms as f64
    }
}

/// The part of a value the writer knows before storing: fresh and stale
/// limits and the render time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Times {
    pub fresh_until_ms: u64,
    pub stale_until_ms: u64,
    pub render_ms: u32,
}

/// A value ready to store (everything after the stamp), with the sizes the
/// statistics report.
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub raw_len: usize,
}

/// Encodes `html`, compressing it when it is at least `compress_min` bytes
/// long and compression actually makes it smaller.
pub fn encode(html: &[u8], times: &Times, compress_min: Option<usize>) -> Encoded {
    let compressed = match compress_min {
        Some(min) if html.len() >= min => {
            let packed = lz4_flex::block::compress(html);
            (packed.len() < html.len()).then_some(packed)
        }
        _ => None,
    };
    let (flags, payload) = match &compressed {
        Some(packed) => (FLAG_LZ4, packed.as_slice()),
        None => (0, html),
    };
    let mut bytes = Vec::with_capacity(HEADER_LEN - STAMP_LEN + payload.len());
    bytes.extend_from_slice(&[MAGIC, FORMAT, flags]);
    bytes.extend_from_slice(&times.fresh_until_ms.to_le_bytes());
    bytes.extend_from_slice(&times.stale_until_ms.to_le_bytes());
    bytes.extend_from_slice(&times.render_ms.to_le_bytes());
    bytes.extend_from_slice(&(html.len() as u32).to_le_bytes());
    bytes.extend_from_slice(payload);
    Encoded {
        bytes,
        raw_len: html.len(),
    }
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    let raw: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(raw))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let raw: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_le_bytes(raw))
}

/// The stamp the store script puts in front of a value (the Rust twin of
/// its `string.format('%020d%020d', generation, version)`).
pub fn stamp(generation: u64, version: u64) -> String {
    format!("{generation:020}{version:020}")
}

fn decimal_at(bytes: &[u8], at: usize) -> Option<u64> {
    // On every lookup, twice: a plain loop, no UTF-8 check or str parse.
    let digits = bytes.get(at..at + 20)?;
    digits.iter().try_fold(0u64, |n, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// The header of a stored value, or None when it is not one of ours.
pub fn meta(bytes: &[u8]) -> Option<Meta> {
    let at = STAMP_LEN;
    if bytes.len() < HEADER_LEN || bytes[at] != MAGIC || bytes[at + 1] != FORMAT {
        return None;
    }
    Some(Meta {
        generation: decimal_at(bytes, 0)?,
        version: decimal_at(bytes, 20)?,
        fresh_until_ms: u64_at(bytes, at + 3)?,
        stale_until_ms: u64_at(bytes, at + 11)?,
        render_ms: u32_at(bytes, at + 19)?,
    })
}

/// The HTML of a stored value. Refuses (None) anything malformed, including
/// a declared length above `max_len`, so a corrupt value cannot make us
/// allocate more than the cache would ever store.
pub fn html(bytes: &[u8], max_len: usize) -> Option<Vec<u8>> {
    into_html(bytes.to_vec(), max_len)
}

/// [`html`] on a value the caller owns: a plain value becomes the HTML in
/// its own buffer (the header is cut off, nothing is allocated), a
/// compressed one is decompressed into one buffer of the declared size.
pub fn into_html(mut bytes: Vec<u8>, max_len: usize) -> Option<Vec<u8>> {
    meta(&bytes)?;
    let raw_len = u32_at(&bytes, STAMP_LEN + 23)? as usize;
    if raw_len > max_len {
        return None;
    }
    if bytes[STAMP_LEN + 2] & FLAG_LZ4 != 0 {
        let html = lz4_flex::block::decompress(&bytes[HEADER_LEN..], raw_len).ok()?;
        (html.len() == raw_len).then_some(html)
    } else if bytes.len() - HEADER_LEN == raw_len {
        bytes.drain(..HEADER_LEN);
        Some(bytes)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMES: Times = Times {
        fresh_until_ms: 1_000,
        stale_until_ms: 2_000,
        render_ms: 40,
    };
    const META: Meta = Meta {
        generation: 1_795_980_863_830_636,
        version: 7,
        fresh_until_ms: 1_000,
        stale_until_ms: 2_000,
        render_ms: 40,
    };

    /// What the store script writes: the stamp, then the encoded body.
    fn stored(e: &Encoded) -> Vec<u8> {
        let mut v = stamp(META.generation, META.version).into_bytes();
        v.extend_from_slice(&e.bytes);
        v
    }

    #[test]
    fn round_trips_plain_and_compressed() {
        let small = b"<p>hi\0\xff</p>".to_vec();
        let e = encode(&small, &TIMES, Some(4096));
        let v = stored(&e);
        assert_eq!(v.len(), HEADER_LEN + small.len());
        assert_eq!(meta(&v), Some(META));
        assert_eq!(html(&v, 1 << 20), Some(small));

        let big = "<div class=\"persona\">family</div>\n"
            .repeat(500)
            .into_bytes();
        let e = encode(&big, &TIMES, Some(4096));
        assert!(e.bytes.len() < big.len() / 5, "{}", e.bytes.len());
        assert_eq!(e.raw_len, big.len());
        assert_eq!(html(&stored(&e), 1 << 20), Some(big.clone()));
        // Over the reader's limit: refused, not allocated.
        assert_eq!(html(&stored(&e), 100), None);
        // Compression off.
        let e = encode(&big, &TIMES, None);
        assert_eq!(stored(&e).len(), HEADER_LEN + big.len());
    }

    #[test]
    fn incompressible_values_are_stored_plain() {
        let mut noise = vec![0u8; 8192];
        let mut x: u32 = 12345;
        for b in noise.iter_mut() {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *b = x as u8;
        }
        let e = encode(&noise, &TIMES, Some(1));
        assert_eq!(e.bytes[2], 0);
        assert_eq!(html(&stored(&e), 1 << 20), Some(noise));
    }

    #[test]
    fn foreign_truncated_or_unstamped_values_are_misses() {
        assert_eq!(meta(b"<p>plain html someone else stored</p>"), None);
        let e = encode(&"x".repeat(10_000).into_bytes(), &TIMES, Some(1));
        let v = stored(&e);
        assert_eq!(html(&v[..v.len() - 3], 1 << 20), None);
        assert_eq!(html(&v[..20], 1 << 20), None);
        // The body alone (no stamp) and a stamp that is not 40 digits.
        assert_eq!(meta(&e.bytes), None);
        let mut bad = v.clone();
        bad[5] = b'x';
        assert_eq!(meta(&bad), None);
        // Format 1 (before stamps) reads as a miss.
        let mut old = v;
        old[STAMP_LEN + 1] = 1;
        assert_eq!(meta(&old), None);
    }

    #[test]
    fn freshness_and_early_refresh() {
        assert_eq!(META.freshness(999), Freshness::Fresh);
        assert_eq!(META.freshness(1_000), Freshness::Stale);
        assert_eq!(META.freshness(2_000), Freshness::Expired);
        // Far from expiry: never early. Close to it with a small r: early.
        assert!(!META.refresh_early(0, 1.0, 0.5));
        assert!(META.refresh_early(990, 1.0, 0.5));
        assert!(!META.refresh_early(990, 0.0, 0.001));
    }
}
