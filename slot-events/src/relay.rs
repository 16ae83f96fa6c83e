//! The open pages by day, and the Redis subscription that feeds them.
//!
//! One PSUBSCRIBE on `{prefix}:lk:*:events` (the channels SlotLock
//! publishes on) receives every lock event of the site; each is written to
//! the pages watching that day and resource. A page whose socket fails a
//! write (closed, or too slow for 2 s) is dropped. When Redis is
//! unreachable the subscriber retries every few seconds; the pages keep
//! their streams and their heartbeat fallback.

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::event;

const PING_EVERY: Duration = Duration::from_secs(15);

/// The plugin's key prefix: what Config::PREFIX_PATTERN allows.
pub fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.len() <= 64
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// `date:resource` for a valid date (YYYY-MM-DD) and resource (1–64 of A-Z a-z 0-9 _ . -).
pub fn day_key(date: &str, resource: &str) -> Option<String> {
    let d = date.as_bytes();
    let date_ok = d.len() == 10
        && d[4] == b'-'
        && d[7] == b'-'
        && d.iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    (date_ok && valid_prefix(resource)).then(|| format!("{date}:{resource}"))
}

pub struct Clients {
    max: usize,
    used: AtomicUsize,
    by_day: Mutex<HashMap<String, Vec<TcpStream>>>,
}

/// A place among the clients while a request is read; given back on drop.
pub struct Reservation(Arc<Clients>);

impl Drop for Reservation {
    fn drop(&mut self) {
        self.0.used.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Clients {
    pub fn new(max: usize) -> Self {
        Clients {
            max,
            used: AtomicUsize::new(0),
            by_day: Mutex::new(HashMap::new()),
        }
    }

    /// A place for one more page, or None at the cap.
    pub fn reserve(self: &Arc<Self>) -> Option<Reservation> {
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                (used < self.max).then_some(used + 1)
            })
            .ok()
            .map(|_| Reservation(Arc::clone(self)))
    }

    pub fn add(&self, day: String, stream: TcpStream) {
        self.used.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut by_day) = self.by_day.lock() {
            by_day.entry(day).or_default().push(stream);
        }
    }

    /// Writes to every page of one day (or all, for None); drops those that fail.
    fn send(&self, day: Option<&str>, text: &str) {
        let Ok(mut by_day) = self.by_day.lock() else {
            return;
        };
        let mut dropped = 0;
        by_day.retain(|key, streams| {
            if day.is_some_and(|day| day != key) {
                return true;
            }
            let before = streams.len();
            streams.retain_mut(|stream| stream.write_all(text.as_bytes()).is_ok());
            dropped += before - streams.len();
            !streams.is_empty()
        });
        self.used.fetch_sub(dropped, Ordering::SeqCst);
    }
}

/// The day a channel name belongs to: `{prefix}:lk:{DATE:RESOURCE}:events`.
pub fn channel_day<'a>(prefix: &str, channel: &'a str) -> Option<&'a str> {
    channel
        .strip_prefix(prefix)?
        .strip_prefix(":lk:{")?
        .strip_suffix("}:events")
}

pub fn spawn_subscriber(url: String, prefix: String, clients: Arc<Clients>) {
    let spawned = thread::Builder::new()
        .name("subscriber".into())
        .spawn(move || {
            let mut wait = Duration::from_millis(200);
            loop {
                match subscribe(&url, &prefix, &clients) {
                    Ok(()) => wait = Duration::from_millis(200),
                    Err(error) => eprintln!("slot-events: redis: {error}; retrying in {wait:?}"),
                }
                thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(3));
            }
        });
    if spawned.is_err() {
        eprintln!("slot-events: cannot start the subscriber thread");
    }
}

fn subscribe(url: &str, prefix: &str, clients: &Clients) -> redis::RedisResult<()> {
    let client = redis::Client::open(url)?;
    let mut connection = client.get_connection()?;
    let mut pubsub = connection.as_pubsub();
    pubsub.psubscribe(format!("{prefix}:lk:*:events"))?;
    // A pattern could match more than the plugin's channels: the channel
    // name is checked again before anything is sent.
    loop {
        let message = pubsub.get_message()?;
        if let Some(day) = channel_day(prefix, message.get_channel_name()) {
            clients.send(Some(day), &event::frame(message.get_payload_bytes()));
        }
    }
}

pub fn spawn_pinger(clients: Arc<Clients>) {
    let spawned = thread::Builder::new()
        .name("pinger".into())
        .spawn(move || loop {
            thread::sleep(PING_EVERY);
            clients.send(None, ": ping\n\n");
        });
    if spawned.is_err() {
        eprintln!("slot-events: cannot start the pinger thread");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_map_to_days() {
        assert_eq!(
            channel_day("rp1", "rp1:lk:{2031-01-02:room-1}:events"),
            Some("2031-01-02:room-1")
        );
        assert_eq!(
            channel_day("rp1", "rp10:lk:{2031-01-02:room-1}:events"),
            None
        );
        assert_eq!(channel_day("rp1", "rp1:c:t:{x}"), None);
    }

    #[test]
    fn places_are_capped_and_given_back() {
        let clients = Arc::new(Clients::new(2));
        let a = clients.reserve();
        let b = clients.reserve();
        assert!(a.is_some() && b.is_some());
        assert!(clients.reserve().is_none());
        drop(a);
        assert!(clients.reserve().is_some());
        assert_eq!(day_key("2031-01-02", "r.1"), Some("2031-01-02:r.1".into()));
        assert_eq!(day_key("2031-01-02", "r*"), None);
    }
}
