//! Redis URLs: parsing with errors that name the argument, and masking the
//! password wherever a URL is shown (phpinfo(), health(), log lines and
//! exception messages), including URLs too broken to parse.

use crate::error::printable;
use crate::error::{Error, Result};

const MAX_URL_BYTES: usize = 2048;

/// Parses `redis://[user:pass@]host:port/db`, `rediss://…` and
/// `unix:///path[?db=N&user=U&pass=P]`. Returns the connection info and the
/// URL with its password masked.
pub fn parse_url(text: &str) -> Result<(redis::ConnectionInfo, String)> {
    if text.len() > MAX_URL_BYTES {
        return Err(Error::invalid(
            "url",
            format!("is {} bytes long, the limit is {MAX_URL_BYTES}", text.len()),
        ));
    }
    let display = mask_password(text);
    let parsed = url::Url::parse(text).map_err(|e| {
        Error::invalid(
            "url",
            format!(
                "'{}' is not a valid URL: {e}",
                printable(display.as_bytes())
            ),
        )
    })?;
    match parsed.scheme() {
        "redis" | "rediss" => {
            if parsed.host_str().unwrap_or("").is_empty() {
                return Err(Error::invalid(
                    "url",
                    format!("'{}' has no host", printable(display.as_bytes())),
                ));
            }
            let db = parsed.path().trim_start_matches('/');
            if !db.is_empty() && db.parse::<u16>().is_err() {
                return Err(Error::invalid(
                    "url",
                    format!("database '{}' must be a number", printable(db.as_bytes())),
                ));
            }
        }
        "unix" | "redis+unix" => {
            if parsed.path().is_empty() || parsed.path() == "/" {
                return Err(Error::invalid(
                    "url",
                    "unix:// needs a socket path, as in unix:///run/redis.sock",
                ));
            }
        }
        other => {
            return Err(Error::invalid(
                "url",
                format!(
                    "scheme '{}' is not supported; use redis://, rediss:// or unix://",
                    printable(other.as_bytes())
                ),
            ))
        }
    }
    let info = redis::IntoConnectionInfo::into_connection_info(text).map_err(|e| {
        Error::invalid(
            "url",
            format!(
                "'{}' is not a valid Redis URL: {e}",
                printable(display.as_bytes())
            ),
        )
    })?;
    Ok((info, display))
}

/// Replaces the password of a URL (userinfo, `pass=` or `password=` query)
/// with `***`. Used for every URL the extension shows: phpinfo(), health(),
/// log lines and exception messages.
pub fn mask_password(text: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(text) else {
        // Unparseable: mask everything between "//" and "@" to be safe.
        let userinfo_masked = match (text.find("//"), text.rfind('@')) {
            (Some(start), Some(at)) if at > start => {
                format!("{}//***{}", &text[..start], &text[at..])
            }
            _ => text.to_owned(),
        };
        return mask_query_secrets(&userinfo_masked);
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let masked = is_secret_name(&k);
            (
                k.into_owned(),
                if masked {
                    "***".to_owned()
                } else {
                    v.into_owned()
                },
            )
        })
        .collect();
    if !pairs.is_empty() {
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    mask_query_secrets(parsed.as_str())
}

fn is_secret_name(name: &str) -> bool {
    name.eq_ignore_ascii_case("pass") || name.eq_ignore_ascii_case("password")
}

/// Masks `pass=…` / `password=…` in the query of a URL that may not parse:
/// the value runs to the next `&`, `#` or the end.
fn mask_query_secrets(text: &str) -> String {
    let Some(query_at) = text.find('?') else {
        return text.to_owned();
    };
    let (head, query) = text.split_at(query_at + 1);
    let (query, fragment) = match query.find('#') {
        Some(at) => query.split_at(at),
        None => (query, ""),
    };
    let masked: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_name(name) => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{head}{}{fragment}", masked.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_everywhere() {
        assert_eq!(mask_password("redis://:pw@h:1/0"), "redis://:***@h:1/0");
        assert_eq!(
            mask_password("unix:///tmp/r.sock?db=1&pass=pw"),
            "unix:///tmp/r.sock?db=1&pass=***"
        );
        assert!(!mask_password("weird//user:pw@host").contains("pw@"));
        for url in [
            "redis://:hunter2@h:1/0",
            "redis://u:hunter2@h:1/0?db=1",
            "redis://h:1/0?password=hunter2",
            "redis://h:1/0?PASS=hunter2&db=1#insecure",
            "unix:///tmp/s.sock?db=1&password=hunter2",
            "redis://:hunter2@h:99999/0",
            "redis://h:99999/0?password=hunter2",
            "redis://u:hun ter2@h/0?pass=hun%20ter2&x",
            "redis://[::1:hunter2@h/0?password=hunter2",
        ] {
            let masked = mask_password(url);
            assert!(
                !masked.contains("hunter2") && !masked.contains("ter2"),
                "{url} => {masked}"
            );
            let shown = match parse_url(url) {
                Ok((_, display)) => display,
                Err(e) => e.to_string(),
            };
            assert!(!shown.contains("ter2"), "{url} => {shown}");
        }
    }
}
