//! Key schema. Every key starts with the client's prefix; each feature has its
//! own sub-namespace so that flushing one (the content cache) never touches
//! another (locks, OTP, rate limits):
//!
//! ```text
//! {prefix}:kv:{key}                Client::get/set/delete (application values)
//!
//! content cache (PersonaCache, Invalidator); b = post id mod 16
//! {prefix}:c:{bNN}:gen             cache generation of bucket NN (flush moves all 16; µs clock)
//! {prefix}:c:{bNN}:p:{post}:{persona}  stamped, encoded variant (entry.rs), its own TTL
//! {prefix}:c:{bNN}:i:{post}        hash persona => "gen:version:fresh_until_ms:stale_until_ms" (variant index)
//! {prefix}:c:{bNN}:v:{post}        post version, moved by every invalidation (write fence; µs clock)
//! {prefix}:c:{bNN}:l:{post}:{persona}  single-flight render lock
//! {prefix}:c:{bNN}:d:{post}        set of posts that depend on {post}
//! {prefix}:c:t:{tag}               set of posts tagged {tag} (its own hash tag)
//!
//! full pages (PageCache); NN = bucket of the URL (first byte of its hash mod 16),
//! {u} = hex SHA-256 (128 bits) of the normalised URL, never the URL itself,
//! {page} = {u}:{variant}
//! {prefix}:pg:{bNN}:s              hash g => generation (flush moves all 16; µs clock),
//!                                  p:{post} / t:{tag} / u:{u} => µs of its last
//!                                  invalidation (kept MAX_RENDER_AGE + margin; the
//!                                  store fence), l => µs of the latest of those
//! {prefix}:pg:{bNN}:u:{page}       hash s => "gen stored_ms fresh_until_ms stale_until_ms
//!                                  fence_us", m => meta (status, encoding, etag, tags,
//!                                  posts, headers), b => body (gzip or raw), u => the
//!                                  URL, k => its stamp fields (u:{u} p:{post} t:{tag})
//! {prefix}:pg:{bNN}:l:{page}       single-flight render lease: the holder's token, PX
//! {prefix}:pg:{bNN}:v:{u}          set of the URL's stored variants (purgeUrl)
//! {prefix}:pg:{bNN}:p:{post}       set of {page}s of the bucket that show {post}
//! {prefix}:pg:{bNN}:t:{tag}        set of {page}s of the bucket tagged {tag}
//!
//! slot locks (SlotLock); {D:R} = {YYYY-MM-DD:resource}
//! {prefix}:lk:{D:R}:l:{HH:MM}      lock: the holder's token, PX ttl
//! {prefix}:lk:{D:R}:f:{HH:MM}      last fence of the slot, kept only while ahead of
//!                                  Redis's clock (fences are an HLC in ms, slot.rs)
//! {prefix}:lk:{D:R}:idx            hash HH:MM => holder JSON (per-day index)
//! {prefix}:lk:{D:R}:events         pub/sub channel of lock events (not a key)
//!
//! one-time codes (Otp); {h} = HMAC of the identity, never the identity
//! {prefix}:otp:{h}:c               hash h => HMAC of the code, a => attempts
//! {prefix}:otp:{h}:n               GCRA state of the issue limit ("tat ms:ticks")
//!
//! rate limits (RateLimiter); {h} = SHA-256 of the caller's key
//! {prefix}:rl:{name}:{h}           GCRA state: TTL = tat - now, value = rounding ticks (ratelimit.rs)
//!
//! statistics (never flushed with the cache)
//! {prefix}:st:d:{YYYY-MM-DD}       hash hits, misses, sets, raw_bytes, stored_bytes
//! {prefix}:st:views                sorted set post => views (bounded)
//! {prefix}:st:inv                  list of recent invalidations (JSON, bounded)
//! ```
//!
//! Hash tags (`{…}`) decide the Redis Cluster slot. Everything one script or
//! multi-key command touches shares one: a post's variants, index, version,
//! locks and dependents live in its bucket `{bNN}` together with that
//! bucket's generation, so reading a variant and checking its generation is
//! one `MGET` in one slot, and invalidating a post is one script in one slot
//! (it derives the variant keys from the index; they share the tag). Sixteen
//! buckets spread the cache over up to sixteen cluster nodes.
//!
//! Pages are bucketed by URL instead: a fetch reads the bucket's state, the
//! page and its lease in one script in one slot, so a hit is one round trip
//! on a cluster too. A page that shows post 12 is listed in `p:12` of its
//! own bucket, and every bucket keeps its own stamps, so invalidating a post
//! or a tag is one script per bucket (sixteen, in one pipeline), each in its
//! own slot; the page keys it deletes come from its own index sets.
//!
//! Caller-supplied key text is validated, never escaped: it may only use
//! characters that cannot change a key's meaning (no glob characters, no
//! hash-tag braces, no whitespace or control bytes) and is bounded in length.
//! The validators below are the rules; the core's public APIs take the types
//! of `ids.rs`, which can only be built through them, so no feature can be
//! handed unchecked text.

use crate::error::{Error, Result};

pub use crate::policy::keys::{MAX_KEY_BYTES, MAX_NAME_BYTES, MAX_TAG_BYTES};
pub use crate::policy::persona::MAX_BYTES as MAX_PERSONA_BYTES;
/// Number of cache buckets (hash tags) posts are spread over.
pub const CACHE_BUCKETS: u64 = 16;

/// Checks a persona slug: 1 to 64 bytes of `[a-z0-9_-]`.
pub fn validate_persona<'a>(argument: &str, persona: &'a [u8]) -> Result<&'a str> {
    validate_charset(argument, persona, MAX_PERSONA_BYTES, "a-z 0-9 _ -", |b| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-')
    })
}

/// Checks a tag name: 1 to 128 bytes of `[A-Za-z0-9_.-]`.
pub fn validate_tag<'a>(argument: &str, tag: &'a [u8]) -> Result<&'a str> {
    validate_charset(argument, tag, MAX_TAG_BYTES, "A-Z a-z 0-9 _ . -", |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
    })
}

/// Checks a resource or limiter name: 1 to 64 bytes of `[A-Za-z0-9_.-]`.
pub fn validate_name<'a>(argument: &str, name: &'a [u8]) -> Result<&'a str> {
    validate_charset(argument, name, MAX_NAME_BYTES, "A-Z a-z 0-9 _ . -", |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
    })
}

/// Checks a calendar date `YYYY-MM-DD` (a real day, years 2000–2999).
pub fn validate_date<'a>(argument: &str, date: &'a [u8]) -> Result<&'a str> {
    let bad = || {
        Error::invalid(
            argument,
            format!(
                "must be a date as YYYY-MM-DD, got '{}'",
                crate::error::printable(date)
            ),
        )
    };
    if date.len() != 10 || date[4] != b'-' || date[7] != b'-' {
        return Err(bad());
    }
    let text = std::str::from_utf8(date).map_err(|_| bad())?;
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &text[r];
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return Err(bad());
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if !(2000..=2999).contains(&y) || d == 0 || d > days {
        return Err(bad());
    }
    Ok(text)
}

/// Checks a time of day `HH:MM` (00:00 to 23:59).
pub fn validate_time<'a>(argument: &str, time: &'a [u8]) -> Result<&'a str> {
    let ok = time.len() == 5
        && time[2] == b':'
        && [0, 1, 3, 4].iter().all(|&i| time[i].is_ascii_digit())
        && (time[0] - b'0') * 10 + (time[1] - b'0') < 24
        && time[3] < b'6';
    if !ok {
        return Err(Error::invalid(
            argument,
            format!(
                "must be a time as HH:MM between 00:00 and 23:59, got '{}'",
                crate::error::printable(time)
            ),
        ));
    }
    std::str::from_utf8(time).map_err(|_| Error::invalid(argument, "must be ASCII"))
}

/// Checks free text stored as a value (an owner, a label): 1 to `max` bytes
/// of UTF-8 without control characters.
pub fn validate_text<'a>(argument: &str, text: &'a [u8], max: usize) -> Result<&'a str> {
    if text.is_empty() || text.len() > max {
        return Err(Error::invalid(
            argument,
            format!("must be 1 to {max} bytes long, got {}", text.len()),
        ));
    }
    let text =
        std::str::from_utf8(text).map_err(|_| Error::invalid(argument, "must be valid UTF-8"))?;
    if text.chars().any(char::is_control) {
        return Err(Error::invalid(
            argument,
            "must not contain control characters",
        ));
    }
    Ok(text)
}

/// Checks a post id: a positive integer.
pub fn validate_post_id(argument: &str, id: i64) -> Result<u64> {
    if id < 1 {
        return Err(Error::invalid(
            argument,
            format!("must be a post id of 1 or more, got {id}"),
        ));
    }
    Ok(id as u64)
}

fn validate_charset<'a>(
    argument: &str,
    text: &'a [u8],
    max: usize,
    allowed: &str,
    ok: impl Fn(u8) -> bool,
) -> Result<&'a str> {
    if text.is_empty() || text.len() > max {
        return Err(Error::invalid(
            argument,
            format!("must be 1 to {max} bytes long, got {}", text.len()),
        ));
    }
    if let Some(bad) = text.iter().find(|b| !ok(**b)) {
        return Err(Error::invalid(
            argument,
            format!(
                "may only contain {allowed}, found byte 0x{bad:02x} in '{}'",
                crate::error::printable(text)
            ),
        ));
    }
    // Validated as ASCII above.
    std::str::from_utf8(text).map_err(|_| Error::invalid(argument, "must be ASCII"))
}

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
                crate::error::printable(key)
            ),
        ));
    }
    // Validated as ASCII above.
    std::str::from_utf8(key).map_err(|_| Error::invalid(argument, "must be ASCII"))
}

/// Key names are built inside the crate only (from validated values); the
/// crate's own integration tests may read them with the `testing` feature.
#[cfg(feature = "testing")]
pub use names::Keys;
#[cfg(not(feature = "testing"))]
pub(crate) use names::Keys;

mod names;

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
        let k = Keys::new("rp:site1");
        assert_eq!(k.kv("a"), "rp:site1:kv:a");
        assert_eq!(k.cache_variant(35, "solo"), "rp:site1:c:{b03}:p:35:solo");
        assert!(k
            .cache_variant(35, "solo")
            .starts_with(&k.cache_variant_prefix(35)));
        assert_eq!(k.cache_generation(3), "rp:site1:c:{b03}:gen");
        assert_eq!(k.cache_lock(35, "family"), "rp:site1:c:{b03}:l:35:family");
        assert_eq!(k.cache_tag("news"), "rp:site1:c:t:{news}");
    }

    #[test]
    fn page_keys_of_a_bucket_share_its_hash_tag() {
        let k = Keys::new("rp:s1");
        let tag = |key: &str| key[key.find('{').unwrap()..=key.find('}').unwrap()].to_owned();
        let base = k.page_base(7);
        assert_eq!(base, "rp:s1:pg:{b07}:");
        for key in [
            k.page_state(7),
            k.page(7, "abc", "family"),
            k.page_lease(7, "abc", "family"),
            k.page_variants(7, "abc"),
            k.page_post_index(7, 12),
            k.page_tag_index(7, "home"),
        ] {
            assert!(key.starts_with(&base), "{key}");
            assert_eq!(tag(&key), "{b07}", "{key}");
        }
    }

    #[test]
    fn dates_times_and_names() {
        for good in ["2026-11-21", "2028-02-29", "2000-01-01", "2999-12-31"] {
            assert!(validate_date("date", good.as_bytes()).is_ok(), "{good}");
        }
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "26-11-21",
            "2026/11/21",
            "2026-1-021",
            "1999-12-31",
            "2026-11-2*",
            "",
            "２026-11-21",
        ] {
            assert!(validate_date("date", bad.as_bytes()).is_err(), "{bad}");
        }
        for good in ["00:00", "09:30", "23:59"] {
            assert!(validate_time("time", good.as_bytes()).is_ok(), "{good}");
        }
        for bad in [
            "24:00", "12:60", "9:30", "09:3", "09-30", "ab:cd", "", "09:30 ",
        ] {
            assert!(validate_time("time", bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(validate_name("resource", b"room-12.a_b").is_ok());
        for bad in [&b"room:1"[..], b"room*", b"{r}", b"", b"a b"] {
            assert!(validate_name("resource", bad).is_err(), "{bad:?}");
        }
        assert!(validate_name("resource", &[b'r'; 65]).is_err());
        assert!(validate_text("owner", "Zoë <zoe@example.org>".as_bytes(), 200).is_ok());
        assert!(validate_text("owner", b"a\nb", 200).is_err());
        assert!(validate_text("owner", b"\xff", 200).is_err());
        assert!(validate_text("owner", &[b'a'; 201], 200).is_err());
        let k = Keys::new("rp");
        assert_eq!(
            k.slot_lock("2026-11-21", "room-1", "09:30"),
            "rp:lk:{2026-11-21:room-1}:l:09:30"
        );
    }

    #[test]
    fn personas_tags_and_post_ids() {
        for bad in [
            &b""[..],
            b"Family",
            b"a b",
            b"a:b",
            b"{x}",
            b"*",
            b"caf\xc3\xa9",
        ] {
            assert!(validate_persona("persona", bad).is_err(), "{bad:?}");
        }
        assert!(validate_persona("persona", &[b'a'; 65]).is_err());
        assert_eq!(
            validate_persona("persona", b"solo_traveller-2").unwrap(),
            "solo_traveller-2"
        );
        assert!(validate_tag("tag", b"term:12").is_err());
        assert!(validate_tag("tag", b"{t}").is_err());
        assert_eq!(validate_tag("tag", b"Term.12_a-b").unwrap(), "Term.12_a-b");
        assert!(validate_post_id("postId", 0).is_err());
        assert!(validate_post_id("postId", -5).is_err());
        assert_eq!(validate_post_id("postId", 9).unwrap(), 9);
    }
}
