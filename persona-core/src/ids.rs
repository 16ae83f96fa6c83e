//! Validated values that become key text. The core's public APIs take these
//! types, never bare `&str`/`u64`, so a caller (the PHP wrappers, a test, a
//! future feature) cannot build a key from unchecked input: the only way to
//! get one is its checked constructor, which returns the core's
//! [`Error::InvalidArgument`](crate::Error) naming the argument as the caller
//! wrote it (`postId`, `tags[2]`, `htmlByPersona['x']`).
//!
//! The rules themselves live in `keys.rs` (the validators) and `policy.rs`
//! (the limits); these types only make them impossible to skip.

use std::fmt;

use crate::error::Result;
use crate::keys;

/// A post id: an integer of 1 or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PostId(u64);

impl PostId {
    /// Checks `id`; errors name `argument`.
    pub fn parse(argument: &str, id: i64) -> Result<PostId> {
        keys::validate_post_id(argument, id).map(PostId)
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for PostId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Declares a validated, owned text type around one of `keys.rs`'s checks.
macro_rules! checked_text {
    ($(#[$doc:meta])* $name:ident, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Checks `text`; errors name `argument`.
            pub fn parse(argument: &str, text: &[u8]) -> Result<$name> {
                $check(argument, text).map(|ok| $name(ok.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

checked_text!(
    /// A persona slug: 1 to 64 bytes of `a-z 0-9 _ -`.
    Persona,
    keys::validate_persona
);
checked_text!(
    /// A tag name: 1 to 128 bytes of `A-Z a-z 0-9 _ . -`.
    Tag,
    keys::validate_tag
);

checked_text!(
    /// A calendar date `YYYY-MM-DD` (a real day, years 2000–2999).
    Date,
    keys::validate_date
);
checked_text!(
    /// A time of day `HH:MM`.
    Time,
    keys::validate_time
);
checked_text!(
    /// A resource (room, table, person) or limiter name: 1 to 64 bytes of
    /// `A-Z a-z 0-9 _ . -`.
    Resource,
    keys::validate_name
);

checked_text!(
    /// An application key (`Client::get/set/delete`): 1 to 200 bytes of
    /// `A-Z a-z 0-9 _ . : / -`.
    Key,
    keys::validate_key
);

checked_text!(
    /// A rate limiter's name: 1 to 64 bytes of `A-Z a-z 0-9 _ . -`.
    Name,
    keys::validate_name
);

/// Whom a one-time code is for (an email address, a phone number): any
/// bytes, 1 to [`MAX_IDENTITY_BYTES`](crate::policy::otp::MAX_IDENTITY_BYTES)
/// long. It never becomes key text itself: `Otp` names keys by its HMAC.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity(Vec<u8>);

impl Identity {
    /// Checks `identity`'s length; errors name `argument`.
    pub fn parse(argument: &str, identity: &[u8]) -> Result<Identity> {
        let max = crate::policy::otp::MAX_IDENTITY_BYTES;
        if identity.is_empty() || identity.len() > max {
            return Err(crate::Error::invalid(
                argument,
                format!("must be 1 to {max} bytes long, got {}", identity.len()),
            ));
        }
        Ok(Identity(identity.to_vec()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Which booking slot: a date, a time and a resource, each validated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SlotRef {
    date: Date,
    time: Time,
    resource: Resource,
}

impl SlotRef {
    pub fn new(date: Date, time: Time, resource: Resource) -> SlotRef {
        SlotRef {
            date,
            time,
            resource,
        }
    }

    /// Checks the three parts; errors name `date`, `time` or `resource`.
    pub fn parse(date: &[u8], time: &[u8], resource: &[u8]) -> Result<SlotRef> {
        Ok(SlotRef::new(
            Date::parse("date", date)?,
            Time::parse("time", time)?,
            Resource::parse("resource", resource)?,
        ))
    }

    pub fn date(&self) -> &Date {
        &self.date
    }

    pub fn time(&self) -> &Time {
        &self.time
    }

    pub fn resource(&self) -> &Resource {
        &self.resource
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_check_and_name_the_argument() {
        assert_eq!(PostId::parse("postId", 7).unwrap().get(), 7);
        let err = PostId::parse("postId", 0).unwrap_err().to_string();
        assert!(err.starts_with("postId: "), "{err}");
        assert_eq!(
            Persona::parse("persona", b"family").unwrap().as_str(),
            "family"
        );
        assert!(Persona::parse("persona", b"Family").is_err());
        assert!(Persona::parse("persona", b"a*").is_err());
        let err = Tag::parse("tags[1]", b"{x}").unwrap_err().to_string();
        assert!(err.starts_with("tags[1]: "), "{err}");
        assert_eq!(
            Tag::parse("tag", b"news.eu").unwrap().to_string(),
            "news.eu"
        );
    }
}
