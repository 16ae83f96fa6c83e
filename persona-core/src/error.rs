//! One error type for everything the core can fail with, classified the way
//! callers need to react: is Redis unavailable (fall back, count it against the
//! circuit breaker), did the server refuse the command, or was an argument bad?
//! The extension maps each class onto one PHP exception class.

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
    } else if during_setup {
        ConnectionKind::Handshake
    } else if is_unavailable_reply(err) {
        // LOADING, MASTERDOWN, BUSY and friends: the server is there but cannot
        // serve anything right now, which is an availability problem.
        ConnectionKind::Io
    } else {
        return Error::Server(text);
    };
    Error::connection(kind, text)
}

fn is_unavailable_reply(err: &redis::RedisError) -> bool {
    matches!(
        err.code(),
        Some("LOADING")
            | Some("MASTERDOWN")
            | Some("BUSY")
            | Some("TRYAGAIN")
            | Some("CLUSTERDOWN")
    )
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
