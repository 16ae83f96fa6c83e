//! One error type for everything the core can fail with, classified the way
//! callers need to react: is Redis unavailable (fall back, maybe count it
//! against the circuit breaker), did the server refuse the command, or was an
//! argument bad? Errors are sorted by predicates, as redis-rs does:
//! [`Error::is_unavailable`], [`Error::server_code`], [`Error::opens_breaker`].
//! The extension maps each class onto one PHP exception class.
//!
//! Error replies that mean "this server cannot serve this now" are
//! unavailability, not a bug in the caller, so they degrade like an outage
//! (`RedisPersona\UnavailableException`, a `ConnectionException`). Which of
//! them open the circuit breaker is decided by what they say about the *next*
//! command:
//!
//! - `LOADING`, `MASTERDOWN`, `NOAUTH`, `CLUSTERDOWN`, `BUSY`: every command
//!   fails the same way until an operator or time fixes it. They open the
//!   breaker, so the pages that follow fall back without a round trip each.
//! - `READONLY`, `OOM`, `MISCONF`: only writes are refused; reads keep working
//!   (a replica after failover, a full or unsaveable master still serves its
//!   data). `NOPERM` refuses one command or key, `TRYAGAIN` one multi-key
//!   command during resharding. They do not open the breaker: the plugin
//!   keeps serving cache hits from Redis and only the refused writes fall
//!   back. An error reply costs one fast round trip, never a timeout, so not
//!   opening costs little.

use std::fmt;
use std::time::Duration;

/// Why Redis could not be used. Each kind is a different operational story,
/// so the message says which one happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionKind {
    /// Nothing listens at the address (or the unix socket does not exist).
    Refused,
    /// Connect, read or write did not finish within its timeout.
    Timeout,
    /// An established connection was closed or reset by the peer.
    Dropped,
    /// Authentication or `SELECT` failed while setting up the connection.
    Handshake,
    /// Any other I/O failure (DNS, TLS, routing...).
    Io,
    /// The circuit breaker is open: no I/O was attempted.
    BreakerOpen,
    /// Every pooled connection stayed busy for the whole checkout wait.
    PoolExhausted,
    /// The server answered with an error reply that means it cannot serve
    /// this now (see the module doc).
    Unavailable(UnavailableCode),
}

/// The error replies that mean "Redis cannot serve this", by their code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnavailableCode {
    Loading,
    MasterDown,
    Busy,
    TryAgain,
    ClusterDown,
    ReadOnly,
    Oom,
    Misconf,
    NoPerm,
    NoAuth,
}

impl UnavailableCode {
    pub const ALL: [UnavailableCode; 10] = [
        UnavailableCode::Loading,
        UnavailableCode::MasterDown,
        UnavailableCode::Busy,
        UnavailableCode::TryAgain,
        UnavailableCode::ClusterDown,
        UnavailableCode::ReadOnly,
        UnavailableCode::Oom,
        UnavailableCode::Misconf,
        UnavailableCode::NoPerm,
        UnavailableCode::NoAuth,
    ];

    /// The code as Redis sends it (`READONLY`, `OOM`...).
    pub fn as_str(self) -> &'static str {
        match self {
            UnavailableCode::Loading => "LOADING",
            UnavailableCode::MasterDown => "MASTERDOWN",
            UnavailableCode::Busy => "BUSY",
            UnavailableCode::TryAgain => "TRYAGAIN",
            UnavailableCode::ClusterDown => "CLUSTERDOWN",
            UnavailableCode::ReadOnly => "READONLY",
            UnavailableCode::Oom => "OOM",
            UnavailableCode::Misconf => "MISCONF",
            UnavailableCode::NoPerm => "NOPERM",
            UnavailableCode::NoAuth => "NOAUTH",
        }
    }

    pub fn from_code(code: &str) -> Option<UnavailableCode> {
        UnavailableCode::ALL
            .into_iter()
            .find(|c| c.as_str() == code)
    }

    /// What the reply means, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            UnavailableCode::Loading => "server is loading its dataset (LOADING)",
            UnavailableCode::MasterDown => "replica lost its master (MASTERDOWN)",
            UnavailableCode::Busy => "server is busy running a script (BUSY)",
            UnavailableCode::TryAgain => "cluster is resharding (TRYAGAIN)",
            UnavailableCode::ClusterDown => "cluster is down (CLUSTERDOWN)",
            UnavailableCode::ReadOnly => "server is a read-only replica (READONLY)",
            UnavailableCode::Oom => "server is out of memory (OOM)",
            UnavailableCode::Misconf => "server cannot persist and refuses writes (MISCONF)",
            UnavailableCode::NoPerm => "ACL user lacks permission (NOPERM)",
            UnavailableCode::NoAuth => "server requires authentication (NOAUTH)",
        }
    }

    /// Whether every following command would fail the same way, so the
    /// circuit breaker should open (see the module doc for the choice).
    pub fn opens_breaker(self) -> bool {
        matches!(
            self,
            UnavailableCode::Loading
                | UnavailableCode::MasterDown
                | UnavailableCode::Busy
                | UnavailableCode::ClusterDown
                | UnavailableCode::NoAuth
        )
    }
}

impl ConnectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::Refused => "connection refused",
            ConnectionKind::Timeout => "timed out",
            ConnectionKind::Dropped => "connection dropped",
            ConnectionKind::Handshake => "handshake failed",
            ConnectionKind::Io => "I/O error",
            ConnectionKind::BreakerOpen => "circuit breaker open",
            ConnectionKind::PoolExhausted => "connection pool exhausted",
            ConnectionKind::Unavailable(code) => code.describe(),
        }
    }

    /// Whether this failure should open the circuit breaker. Pool exhaustion
    /// is local congestion, not an outage; see the module doc for replies.
    pub fn opens_breaker(self) -> bool {
        match self {
            ConnectionKind::PoolExhausted | ConnectionKind::BreakerOpen => false,
            ConnectionKind::Unavailable(code) => code.opens_breaker(),
            _ => true,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Redis is unreachable, too slow, or deliberately not tried.
    Connection {
        kind: ConnectionKind,
        message: String,
    },
    /// Redis answered with an error reply (WRONGTYPE, OOM, NOSCRIPT...).
    Server(String),
    /// A caller-supplied value is unusable; `argument` names it as the caller
    /// wrote it (`url`, `options['pool_size']`...).
    InvalidArgument { argument: String, message: String },
    /// Too many attempts: the caller may retry after `retry_after`.
    RateLimited {
        retry_after: Duration,
        message: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn connection(kind: ConnectionKind, message: impl Into<String>) -> Self {
        Error::Connection {
            kind,
            message: message.into(),
        }
    }

    pub fn invalid(argument: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            argument: argument.into(),
            message: message.into(),
        }
    }

    /// True when the error says Redis is unavailable (as opposed to a bad
    /// argument or a server-side rejection of one command).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Connection { .. })
    }

    pub fn connection_kind(&self) -> Option<ConnectionKind> {
        match self {
            Error::Connection { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// The Redis error code when the server refused to serve (`READONLY`,
    /// `OOM`...); None for every other error.
    pub fn server_code(&self) -> Option<&'static str> {
        match self.connection_kind() {
            Some(ConnectionKind::Unavailable(code)) => Some(code.as_str()),
            _ => None,
        }
    }

    /// Whether this error should open the circuit breaker.
    pub fn opens_breaker(&self) -> bool {
        self.connection_kind()
            .is_some_and(ConnectionKind::opens_breaker)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Connection { kind, message } => {
                write!(f, "Redis unavailable ({}): {message}", kind.as_str())
            }
            Error::Server(message) => write!(f, "Redis error: {message}"),
            Error::InvalidArgument { argument, message } => write!(f, "{argument}: {message}"),
            Error::RateLimited { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

/// Shows untrusted bytes in a message without letting them break it.
pub fn printable(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text
        .chars()
        .take(64)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().count() > 64 {
        out.push('…');
    }
    out
}

/// Sorts a redis-rs error into our classes. `during_setup` marks failures
/// while connecting (a server error reply there is an AUTH/SELECT problem, so
/// the connection is unusable, not just one command).
pub fn classify(err: &redis::RedisError, during_setup: bool) -> Error {
    let text = err.to_string();
    let kind = if err.is_timeout() {
        ConnectionKind::Timeout
    } else if err.is_connection_refusal() {
        ConnectionKind::Refused
    } else if err.is_connection_dropped() {
        ConnectionKind::Dropped
    } else if err.is_io_error() {
        ConnectionKind::Io
    } else if let Some(code) = err.code().and_then(UnavailableCode::from_code) {
        ConnectionKind::Unavailable(code)
    } else if during_setup {
        ConnectionKind::Handshake
    } else {
        return Error::Server(text);
    };
    Error::connection(kind, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_class_and_the_argument() {
        let e = Error::invalid("options['pool_size']", "must be between 1 and 64, got 0");
        assert_eq!(
            e.to_string(),
            "options['pool_size']: must be between 1 and 64, got 0"
        );
        let c = Error::connection(ConnectionKind::BreakerOpen, "retry in 12 ms");
        assert!(c.to_string().contains("circuit breaker open"));
        assert!(c.is_unavailable());
        assert!(!Error::Server("x".into()).is_unavailable());
        assert!(c.server_code().is_none());
    }

    #[test]
    fn refusals_are_unavailability_and_only_total_ones_open_the_breaker() {
        for code in UnavailableCode::ALL {
            assert_eq!(UnavailableCode::from_code(code.as_str()), Some(code));
            let e = Error::connection(ConnectionKind::Unavailable(code), "x");
            assert!(e.is_unavailable());
            assert_eq!(e.server_code(), Some(code.as_str()));
            assert!(e.to_string().contains(code.as_str()), "{e}");
        }
        let opening: Vec<&str> = UnavailableCode::ALL
            .into_iter()
            .filter(|c| c.opens_breaker())
            .map(UnavailableCode::as_str)
            .collect();
        assert_eq!(
            opening,
            ["LOADING", "MASTERDOWN", "BUSY", "CLUSTERDOWN", "NOAUTH"]
        );
        assert_eq!(UnavailableCode::from_code("WRONGTYPE"), None);
        assert!(!Error::connection(ConnectionKind::PoolExhausted, "x").opens_breaker());
        assert!(Error::connection(ConnectionKind::Timeout, "x").opens_breaker());
        assert!(!Error::Server("x".into()).opens_breaker());
    }

    #[test]
    fn io_errors_are_classified_by_kind() {
        let refused: redis::RedisError =
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "no").into();
        assert_eq!(
            classify(&refused, false).connection_kind(),
            Some(ConnectionKind::Refused)
        );
        let timeout: redis::RedisError =
            std::io::Error::new(std::io::ErrorKind::WouldBlock, "slow").into();
        assert_eq!(
            classify(&timeout, false).connection_kind(),
            Some(ConnectionKind::Timeout)
        );
        let reset: redis::RedisError =
            std::io::Error::new(std::io::ErrorKind::ConnectionReset, "rst").into();
        assert_eq!(
            classify(&reset, false).connection_kind(),
            Some(ConnectionKind::Dropped)
        );
    }
}
