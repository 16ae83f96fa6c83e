//! `RedisPersona\Otp`: the PHP face of `persona_core::Otp`.

use ext_php_rs::flags::ClassFlags;
use ext_php_rs::prelude::*;
use persona_core::OtpConfig;

use crate::args::{Bytes, Options};
use crate::client::Client;
use crate::errors::OrThrow;
use persona_core::Identity;

/// One-time codes: issued from a CSPRNG, stored only as an HMAC.
#[php_class]
#[php(name = "RedisPersona\\Otp", flags = ClassFlags::Final)]
pub struct Otp {
    inner: persona_core::Otp,
}

#[php_impl]
impl Otp {
    /// Creates the code issuer. No I/O.
    #[php(defaults(options = Options::default()))]
    pub fn __construct(client: &Client, secret: Bytes, options: Options) -> PhpResult<Self> {
        let config = OtpConfig::build(&options.0).or_throw()?;
        let inner =
            persona_core::Otp::new(client.core().clone(), secret.as_slice(), config).or_throw()?;
        Ok(Otp { inner })
    }

    /// Issues a new code for `$identity`, replacing the previous one.
    pub fn issue(&self, identity: Bytes) -> PhpResult<String> {
        let identity = Identity::parse("identity", identity.as_slice()).or_throw()?;
        self.inner.issue(&identity).or_throw()
    }

    /// Whether `$code` is the identity's current code; consumes it if so.
    pub fn verify(&self, identity: Bytes, code: Bytes) -> PhpResult<bool> {
        let identity = Identity::parse("identity", identity.as_slice()).or_throw()?;
        self.inner.verify(&identity, code.as_slice()).or_throw()
    }
}
