//! Booking features: slot locks with fencing tokens, one-time codes and rate
//! limits. Each takes the validated types of `ids.rs` and goes through the
//! connection's `Client`; none depends on the content cache.

mod library;
pub mod otp;
pub mod ratelimit;
pub mod slot;
