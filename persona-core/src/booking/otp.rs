//! One-time codes for guest verification.
//!
//! - Codes come from the OS CSPRNG with rejection sampling, so every code of
//!   `digits` digits is equally likely.
//! - Redis holds only `HMAC-SHA256(secret, identity-hash ‖ code)` and an
//!   attempt counter, under a key named by `HMAC-SHA256(secret, identity)`:
//!   neither the code nor the identity (an email address) appears anywhere.
//! - `verify` is one round trip, one atomic function (library.rs): reserve
//!   an attempt, compare the stored HMAC with the HMAC of the typed code
//!   (computed here, with the secret Redis never sees), delete the code on
//!   a match. Of two racing verifies with the right code exactly one
//!   succeeds; parallel guesses cannot get more than `max_attempts`
//!   comparisons; past that the code is burnt: every later verify fails,
//!   the right code included, until a new `issue`. (Before, the HMAC was
//!   fetched, compared here, and consumed by a second script: two round
//!   trips.)
//! - Why comparing in Lua is safe although Lua's string equality is not
//!   constant-time (Lua interns strings, so equality is a pointer compare,
//!   but interning the second string may `memcmp` it against the first):
//!   both sides are `HMAC-SHA256(secret, identity-hash ‖ code)`. A timing
//!   difference could at most tell how many leading bytes of the guess's
//!   HMAC match the stored one; without the secret a guesser can neither
//!   choose HMACs nor map a matching prefix back to a code, so learning it
//!   says nothing about the code, and each guess costs an attempt anyway.
//!   What must not leak (the code, the secret) never reaches Redis.
//! - `issue` is limited to `issue_limit` per `issue_window` per identity
//!   with the rate limiter's GCRA (a burst of `issue_limit`, then one every
//!   `issue_window / issue_limit`), in the same script that stores the code;
//!   a new code replaces the previous one.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::library::{fcall, Function};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::ids::Identity;
use crate::keys::Keys;
use crate::options::OptionValue;
use crate::options::{int_option, option_argument, unknown_option};
use crate::pool::Retry;
use crate::route::Route;
use crate::token;

pub const OPTION_NAMES: &[&str] = &[
    "ttl",
    "digits",
    "max_attempts",
    "issue_limit",
    "issue_window",
];
pub use crate::policy::otp::{MAX_CODE_BYTES, MAX_IDENTITY_BYTES, MIN_SECRET_BYTES};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpConfig {
    pub ttl_secs: u64,
    pub digits: u32,
    pub max_attempts: u64,
    pub issue_limit: u64,
    pub issue_window_secs: u64,
}

impl OtpConfig {
    pub fn build(options: &[(String, OptionValue)]) -> Result<OtpConfig> {
        use crate::policy::otp::{DIGITS, ISSUE_LIMIT, ISSUE_WINDOW_SECS, MAX_ATTEMPTS, TTL_SECS};
        let mut c = OtpConfig {
            ttl_secs: TTL_SECS.0,
            digits: DIGITS.0 as u32,
            max_attempts: MAX_ATTEMPTS.0,
            issue_limit: ISSUE_LIMIT.0,
            issue_window_secs: ISSUE_WINDOW_SECS.0,
        };
        let read = |arg: &str, value: &OptionValue, (default, min, max): (u64, u64, u64)| {
            int_option(arg, value, min, max, default)
        };
        for (name, value) in options {
            let arg = option_argument(name);
            match name.as_str() {
                "ttl" => c.ttl_secs = read(&arg, value, TTL_SECS)?,
                "digits" => c.digits = read(&arg, value, DIGITS)? as u32,
                "max_attempts" => c.max_attempts = read(&arg, value, MAX_ATTEMPTS)?,
                "issue_limit" => c.issue_limit = read(&arg, value, ISSUE_LIMIT)?,
                "issue_window" => c.issue_window_secs = read(&arg, value, ISSUE_WINDOW_SECS)?,
                _ => return Err(unknown_option(arg, OPTION_NAMES)),
            }
        }
        Ok(c)
    }
}

pub struct Otp {
    client: Arc<Client>,
    keys: Keys,
    secret: Vec<u8>,
    config: OtpConfig,
}

/// A uniformly distributed code of `digits` decimal digits.
pub fn random_code(digits: u32) -> Result<String> {
    let modulus = 10u64.pow(digits);
    // Largest multiple of `modulus` that fits: values above it are redrawn,
    // so no code is more likely than another.
    let limit = u64::MAX - (u64::MAX % modulus);
    loop {
        let mut raw = [0u8; 8];
        token::fill(&mut raw)?;
        let n = u64::from_le_bytes(raw);
        if n < limit {
            return Ok(format!("{:0width$}", n % modulus, width = digits as usize));
        }
    }
}

impl Otp {
    pub fn new(client: Arc<Client>, secret: &[u8], config: OtpConfig) -> Result<Otp> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(Error::invalid(
                "secret",
                format!(
                    "must be at least {MIN_SECRET_BYTES} bytes of secret key material, got {}",
                    secret.len()
                ),
            ));
        }
        let keys = Keys::new(client.prefix());
        Ok(Otp {
            client,
            keys,
            secret: secret.to_vec(),
            config,
        })
    }

    fn mac(&self, parts: &[&[u8]]) -> String {
        // HMAC accepts keys of any length: new_from_slice cannot fail.
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.secret) {
            Ok(mac) => mac,
            Err(_) => return String::new(),
        };
        for part in parts {
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part);
        }
        token::hex(&mac.finalize().into_bytes())
    }

    fn identity_hash(&self, identity: &[u8]) -> String {
        let mut full = self.mac(&[b"identity", identity]);
        full.truncate(32);
        full
    }

    /// Issues a new code for `identity` (replacing any previous one) and
    /// returns it, or fails with `RateLimited` past the issue limit.
    pub fn issue(&self, identity: &Identity) -> Result<String> {
        let id = self.identity_hash(identity.as_bytes());
        let code = random_code(self.config.digits)?;
        let code_mac = self.mac(&[b"code", id.as_bytes(), code.as_bytes()]);
        let (code_key, issued_key) = (self.keys.otp_code(&id), self.keys.otp_issued(&id));
        let mut call = Function::OtpIssue.call(&[&code_key, &issued_key]);
        call.arg(&code_mac)
            .arg(self.config.ttl_secs * 1000)
            .arg(self.config.issue_limit)
            .arg(self.config.issue_window_secs * 1000);
        let verdict: i64 = self
            .client
            .run(Route::FirstKey(&call), Retry::Once, |con| fcall(con, &call))?;
        let decision = crate::ratelimit::decision(verdict);
        if !decision.allowed {
            let retry_after = decision.retry_after;
            return Err(Error::RateLimited {
                retry_after,
                message: format!(
                    "too many codes requested for this identity: at most {} per {} s; retry in {} s",
                    self.config.issue_limit,
                    self.config.issue_window_secs,
                    retry_after.as_secs()
                ),
            });
        }
        Ok(code)
    }

    /// Whether `code` is the current code of `identity`; consumes it if so.
    pub fn verify(&self, identity: &Identity, code: &[u8]) -> Result<bool> {
        if code.len() > MAX_CODE_BYTES {
            return Err(Error::invalid(
                "code",
                format!(
                    "must be at most {MAX_CODE_BYTES} bytes long, got {}",
                    code.len()
                ),
            ));
        }
        let id = self.identity_hash(identity.as_bytes());
        // Users paste codes with spaces; the code itself is only digits.
        let typed: Vec<u8> = code
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        let candidate = self.mac(&[b"code", id.as_bytes(), &typed]);
        let key = self.keys.otp_code(&id);
        let mut call = Function::OtpVerify.call(&[&key]);
        call.arg(&candidate).arg(self.config.max_attempts);
        let verified: i64 = self
            .client
            .run(Route::FirstKey(&call), Retry::Once, |con| fcall(con, &call))?;
        Ok(verified == 1)
    }

    pub fn config(&self) -> &OtpConfig {
        &self.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_length_asked_and_are_uniform_enough() {
        let mut counts = [0u32; 10];
        for _ in 0..20_000 {
            let code = random_code(6).unwrap();
            assert_eq!(code.len(), 6);
            counts[(code.as_bytes()[0] - b'0') as usize] += 1;
        }
        // Each leading digit ~2000 times; 5 sigma is ~212.
        for c in counts {
            assert!((1700..2300).contains(&c), "{counts:?}");
        }
        assert_eq!(random_code(10).unwrap().len(), 10);
    }
}
