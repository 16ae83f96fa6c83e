//! Plain application values under `{prefix}:kv:`: binary-safe, every one with
//! a TTL (at most [`MAX_TTL_SECS`]), bounded in size.

use redis::ConnectionLike;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::ids::Key;
use crate::keys::Keys;
use crate::pool::Retry;
use crate::route::Route;

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

fn get<C: ConnectionLike>(con: &mut C, key: &str) -> redis::RedisResult<Option<Vec<u8>>> {
    redis::cmd("GET").arg(key).query(con)
}

fn set<C: ConnectionLike>(
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

fn delete<C: ConnectionLike>(con: &mut C, key: &str) -> redis::RedisResult<bool> {
    redis::cmd("UNLINK")
        .arg(key)
        .query::<i64>(con)
        .map(|n| n > 0)
}

impl Client {
    /// The value stored under `key` in this client's `kv` namespace.
    pub fn get_value(&self, key: &Key) -> Result<Option<Vec<u8>>> {
        let key = Keys::new(self.prefix()).kv(key.as_str());
        self.run(Route::Key(&key), Retry::Idempotent, |con| get(con, &key))
    }

    /// Stores a binary-safe value (at most [`MAX_VALUE_BYTES`]) for
    /// `ttl_secs` (1 s to [`MAX_TTL_SECS`]); both are checked here.
    pub fn set_value(&self, key: &Key, value: &[u8], ttl_secs: i64) -> Result<()> {
        validate_value("value", value)?;
        let ttl = validate_ttl("ttl", ttl_secs)?;
        let key = Keys::new(self.prefix()).kv(key.as_str());
        self.run(Route::Key(&key), Retry::Once, |con| {
            set(con, &key, value, ttl)
        })
    }

    /// Removes `key`; true when it existed.
    pub fn delete_value(&self, key: &Key) -> Result<bool> {
        let key = Keys::new(self.prefix()).kv(key.as_str());
        self.run(Route::Key(&key), Retry::Idempotent, |con| delete(con, &key))
    }
}
