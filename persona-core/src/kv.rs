//! Plain application values under `{prefix}:kv:`: binary-safe, every one with
//! a TTL (at most [`MAX_TTL_SECS`]), bounded in size.

use redis::ConnectionLike;

use crate::error::{Error, Result};

pub use crate::policy::keys::MAX_TTL_SECS;
pub const MAX_VALUE_BYTES: usize = 8 * 1024 * 1024;

pub fn validate_ttl(argument: &str, ttl: i64) -> Result<u64> {
    crate::options::int_in_range(argument, ttl, 1, MAX_TTL_SECS, " seconds")
}

pub fn validate_value(argument: &str, value: &[u8]) -> Result<()> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(Error::invalid(
            argument,
            format!("is {} bytes, the limit is {MAX_VALUE_BYTES}", value.len()),
        ));
    }
    Ok(())
}

pub fn get<C: ConnectionLike>(con: &mut C, key: &str) -> redis::RedisResult<Option<Vec<u8>>> {
    redis::cmd("GET").arg(key).query(con)
}

pub fn set<C: ConnectionLike>(
    con: &mut C,
    key: &str,
    value: &[u8],
    ttl_secs: u64,
) -> redis::RedisResult<()> {
    redis::cmd("SET")
        .arg(key)
        .arg(value)
        .arg("EX")
        .arg(ttl_secs)
        .query(con)
}

pub fn delete<C: ConnectionLike>(con: &mut C, key: &str) -> redis::RedisResult<bool> {
    redis::cmd("UNLINK")
        .arg(key)
        .query::<i64>(con)
        .map(|n| n > 0)
}
