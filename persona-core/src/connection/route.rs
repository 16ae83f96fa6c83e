//! Where a command goes: Redis Cluster's hash slot of a key (CRC16/XMODEM of
//! its hash tag, mod 16384) and the route a call declares. Single-node and
//! Sentinel clients ignore the slot; a cluster client sends the call to the
//! master that owns it (or, for cache reads when `read_from_replicas` is on,
//! to one of its replicas).
//!
//! Every call states its route, so a cluster client never has to guess from
//! a closure which keys it touches: the key schema (`keys.rs`) guarantees
//! that everything one call touches shares the hash tag of the key named.

/// Number of hash slots of Redis Cluster.
pub const SLOTS: u16 = 16384;

/// Where one call goes.
#[derive(Clone, Copy)]
pub enum Route<'a> {
    /// The master owning this key's slot.
    Key(&'a str),
    /// A cache read of this key's slot: a replica may answer when the client
    /// reads from replicas (the fences tolerate its replication lag).
    ReadKey(&'a str),
    /// The master owning this slot.
    Slot(u16),
    /// The master owning bucket NN's slot: the hash tag `{bNN}` the content
    /// cache and the page tier file a post's or a URL's keys under.
    Bucket(u64),
    /// A cache read of bucket NN (see [`Route::ReadKey`]).
    ReadBucket(u64),
    /// The master owning the slot of this command's first key (`GET k`,
    /// `EVALSHA sha 1 k`, `FCALL f 1 k`); computed only on a cluster.
    FirstKey(&'a redis::Cmd),
    /// Any master (PING, INFO: commands without keys).
    Any,
}

impl Route<'_> {
    /// The hash slot, when the route names one.
    pub fn slot(&self) -> Option<u16> {
        match self {
            Route::Key(key) | Route::ReadKey(key) => Some(slot(key.as_bytes())),
            Route::Slot(slot) => Some(*slot),
            Route::Bucket(bucket) | Route::ReadBucket(bucket) => Some(bucket_slot(*bucket)),
            Route::FirstKey(cmd) => first_key(cmd).map(slot),
            Route::Any => None,
        }
    }

    /// Whether a replica may serve this call.
    pub fn replica_ok(&self) -> bool {
        matches!(self, Route::ReadKey(_) | Route::ReadBucket(_))
    }
}

/// Redis Cluster's hash slot of `key`: only the text inside the first
/// non-empty `{…}` counts, when there is one.
pub fn slot(key: &[u8]) -> u16 {
    crc16(hash_tag(key)) % SLOTS
}

/// The slot of hash tag `{bNN}` (buckets are below 100).
fn bucket_slot(bucket: u64) -> u16 {
    let n = (bucket % 100) as u8;
    crc16(&[b'b', b'0' + n / 10, b'0' + n % 10]) % SLOTS
}

/// The first key of a command: after the script and key count for
/// `EVAL`/`EVALSHA`/`FCALL`, else the first argument.
fn first_key(cmd: &redis::Cmd) -> Option<&[u8]> {
    let mut args = cmd.args_iter().filter_map(|arg| match arg {
        redis::Arg::Simple(bytes) => Some(bytes),
        _ => None,
    });
    let name = args.next()?;
    let scripted = [
        &b"EVAL"[..],
        b"EVALSHA",
        b"FCALL",
        b"EVAL_RO",
        b"EVALSHA_RO",
        b"FCALL_RO",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n));
    if scripted {
        args.nth(2)
    } else {
        args.next()
    }
}

fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

/// CRC16/XMODEM (polynomial 0x1021, initial 0), as the cluster specification
/// defines the slot hash.
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_matches_the_specification() {
        // The cluster specification's test vector.
        assert_eq!(crc16(b"123456789"), 0x31C3);
    }

    #[test]
    fn slots_match_redis() {
        // Values from `CLUSTER KEYSLOT` on Redis 7.0.
        assert_eq!(slot(b"foo"), 12182);
        assert_eq!(slot(b"bar"), 5061);
        assert_eq!(slot(b"rp:c:{b03}:gen"), slot(b"b03"));
        assert_eq!(slot(b"{user1000}.following"), slot(b"{user1000}.followers"));
    }

    #[test]
    fn hash_tags_follow_the_rules() {
        assert_eq!(hash_tag(b"a{b}c"), b"b");
        assert_eq!(
            hash_tag(b"a{}c{d}"),
            b"a{}c{d}",
            "an empty first tag means the whole key"
        );
        assert_eq!(hash_tag(b"a{b{c}d}"), b"b{c");
        assert_eq!(hash_tag(b"a{bc"), b"a{bc");
        assert_eq!(hash_tag(b""), b"");
    }

    #[test]
    fn routes_name_their_slot() {
        assert_eq!(Route::Key("foo").slot(), Some(12182));
        assert_eq!(Route::Any.slot(), None);
        assert_eq!(Route::Bucket(3).slot(), Some(slot(b"rp:c:{b03}:gen")));
        assert_eq!(Route::Bucket(15).slot(), Some(slot(b"x:{b15}")));
        assert!(Route::ReadKey("foo").replica_ok());
        assert!(!Route::Key("foo").replica_ok());
        let mut get = redis::cmd("GET");
        get.arg("foo");
        assert_eq!(Route::FirstKey(&get).slot(), Some(12182));
        let mut fcall = redis::cmd("FCALL");
        fcall.arg("lock").arg(2).arg("x:{bar}:y").arg("foo");
        assert_eq!(Route::FirstKey(&fcall).slot(), Some(5061));
    }
}
