//! The open pages by day, and the Redis subscription that feeds them.
//!
//! One PSUBSCRIBE on `{prefix}:lk:*:events` (the channels SlotLock
//! publishes on) receives every lock event of the site; each is written to
//! the pages watching that day and resource.
//!
//! The subscription is watched: reads time out after 5 s of silence, and
//! each silence is answered by a PING, so a connection that died without a
//! FIN (a restarted host, a dropped NAT entry) is noticed and replaced
//! within about 15 s (silence, PING, the dying connection's UNSUBSCRIBE)
//! instead of leaving every page deaf. Events published while
//! no subscription existed are lost, so after every (re)subscribe each page
//! is told `changed` and refetches its day. While Redis is unreachable the
//! subscriber retries every few seconds; the pages keep their streams and
//! their heartbeat fallback.
//!
//! Writes never wait: the sockets of open pages are non-blocking, and a
//! page whose socket cannot take a whole frame at once (it stopped reading
//! and its buffers are full) is dropped, so one stalled reader cannot hold
//! up the pages behind it. Its browser reconnects on its own.
//!
//! Open streams are capped overall (`--max-clients`) and per client address
//! (`--max-per-ip`), so one address cannot take every place.

use std::collections::HashMap;
use std::io::{ErrorKind, Write};
use std::net::{IpAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::event;

const PING_EVERY: Duration = Duration::from_secs(15);
/// Silence on the subscription after which Redis is PINGed (and the longest wait for any answer).
const SUBSCRIPTION_TIMEOUT: Duration = Duration::from_secs(5);
const FIRST_RETRY: Duration = Duration::from_millis(200);

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

/// An open page: its stream and the address it counts against.
struct Page {
    stream: TcpStream,
    ip: IpAddr,
}

#[derive(Default)]
struct Pages {
    by_day: HashMap<String, Vec<Page>>,
    /// Streams open or being opened, per client address.
    per_ip: HashMap<IpAddr, usize>,
}

impl Pages {
    fn release_ip(&mut self, ip: IpAddr) {
        if let Some(count) = self.per_ip.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                self.per_ip.remove(&ip);
            }
        }
    }
}

pub struct Clients {
    max: usize,
    max_per_ip: usize,
    used: AtomicUsize,
    pages: Mutex<Pages>,
}

/// A place among the clients while a request is read; given back on drop.
pub struct Reservation(Arc<Clients>);

impl Drop for Reservation {
    fn drop(&mut self) {
        self.0.used.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Clients {
    pub fn new(max: usize, max_per_ip: usize) -> Self {
        Clients {
            max,
            max_per_ip,
            used: AtomicUsize::new(0),
            pages: Mutex::new(Pages::default()),
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

    /// Counts one more stream of `ip`; false when the address is at its cap.
    /// Followed by add() (the stream opened) or release_ip() (it did not).
    pub fn claim_ip(&self, ip: IpAddr) -> bool {
        let Ok(mut pages) = self.pages.lock() else {
            return false;
        };
        if pages.per_ip.get(&ip).copied().unwrap_or(0) >= self.max_per_ip {
            return false;
        }
        *pages.per_ip.entry(ip).or_insert(0) += 1;
        true
    }

    pub fn release_ip(&self, ip: IpAddr) {
        if let Ok(mut pages) = self.pages.lock() {
            pages.release_ip(ip);
        }
    }

    /// Adds the stream of a page whose address was claimed (claim_ip).
    pub fn add(&self, day: String, ip: IpAddr, stream: TcpStream) {
        if stream.set_nonblocking(true).is_err() {
            self.release_ip(ip);
            return;
        }
        self.used.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut pages) = self.pages.lock() {
            pages
                .by_day
                .entry(day)
                .or_default()
                .push(Page { stream, ip });
        }
    }

    /// Writes to every page of one day (or all, for None); drops those that
    /// are closed or cannot take the whole frame now.
    pub fn send(&self, day: Option<&str>, text: &str) {
        let Ok(mut pages) = self.pages.lock() else {
            return;
        };
        let mut gone = Vec::new();
        pages.by_day.retain(|key, streams| {
            if day.is_some_and(|day| day != key) {
                return true;
            }
            streams.retain_mut(|page| {
                let kept = write_now(&mut page.stream, text.as_bytes());
                if !kept {
                    gone.push(page.ip);
                }
                kept
            });
            !streams.is_empty()
        });
        for ip in &gone {
            pages.release_ip(*ip);
        }
        self.used.fetch_sub(gone.len(), Ordering::SeqCst);
    }
}

/// Writes a whole frame to a non-blocking socket, or reports that it could not.
fn write_now(stream: &mut TcpStream, bytes: &[u8]) -> bool {
    loop {
        match stream.write(bytes) {
            Ok(written) => return written == bytes.len(),
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
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
            let mut wait = FIRST_RETRY;
            loop {
                let error = subscribe(&url, &prefix, &clients, &mut wait);
                eprintln!("slot-events: redis: {error}; retrying in {wait:?}");
                thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(3));
            }
        });
    if spawned.is_err() {
        eprintln!("slot-events: cannot start the subscriber thread");
    }
}

/// Relays until the subscription fails; returns why. `wait` goes back to
/// the first retry delay once a subscription stood.
fn subscribe(url: &str, prefix: &str, clients: &Clients, wait: &mut Duration) -> redis::RedisError {
    let client = match redis::Client::open(url) {
        Ok(client) => client,
        Err(error) => return error,
    };
    let mut connection = match client.get_connection_with_timeout(SUBSCRIPTION_TIMEOUT) {
        Ok(connection) => connection,
        Err(error) => return error,
    };
    if let Err(error) = connection.set_write_timeout(Some(SUBSCRIPTION_TIMEOUT)) {
        return error;
    }
    let mut pubsub = connection.as_pubsub();
    if let Err(error) = pubsub.set_read_timeout(Some(SUBSCRIPTION_TIMEOUT)) {
        return error;
    }
    if let Err(error) = pubsub.psubscribe(format!("{prefix}:lk:*:events")) {
        return error;
    }
    *wait = FIRST_RETRY;
    // What was published while no subscription stood is lost: every page refetches.
    clients.send(None, &event::frame(b"{\"event\":\"changed\"}"));
    // A pattern could match more than the plugin's channels: the channel
    // name is checked again before anything is sent.
    loop {
        match pubsub.get_message() {
            Ok(message) => {
                if let Some(day) = channel_day(prefix, message.get_channel_name()) {
                    clients.send(Some(day), &event::frame(message.get_payload_bytes()));
                }
            }
            Err(error) if error.is_timeout() => {
                // Silence: is Redis still there? (Times out too when it is not.)
                if let Err(error) = pubsub.ping::<redis::Value>() {
                    return error;
                }
            }
            Err(error) => return error,
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
#[path = "relay_tests.rs"]
mod tests;
