//! `slot-events`: a tiny long-running relay from Redis pub/sub to browsers.
//!
//! Why it exists: an open booking page should see a slot held, released or
//! booked by someone else within about a second. PHP-FPM cannot hold a
//! stream open per page without tying up one worker per page, so this
//! relay holds the streams instead: one thread accepts, one Redis
//! connection (PSUBSCRIBE on the site's lock event channels) fans events
//! out, one thread pings; an open page costs one socket and a few hundred
//! bytes here, never a thread, and the number of pages is capped
//! (`--max-clients`; the next one gets 503 and the widget falls back to the
//! heartbeat), and so is the number per client address (`--max-per-ip`, 429
//! beyond it). nginx proxies `/rp-events` to it (tests/wp/site.sh) and
//! passes the browser's address in `X-Real-IP`, which the relay believes
//! only from a loopback peer.
//!
//! Usage: `slot-events --listen 127.0.0.1:PORT --redis redis://HOST:PORT
//! --prefix PREFIX [--max-clients N] [--max-per-ip N]`. Events carry only
//! the event name and the time of day: never the owner, fence or token of a
//! lock.

mod event;
mod http;
mod relay;

use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;

struct Options {
    listen: String,
    redis: String,
    prefix: String,
    max_clients: usize,
    max_per_ip: usize,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        listen: String::new(),
        redis: String::new(),
        prefix: String::new(),
        max_clients: 1000,
        max_per_ip: 32,
    };
    let mut args = std::env::args().skip(1);
    while let Some(name) = args.next() {
        let value = args.next().ok_or_else(|| format!("{name} needs a value"))?;
        match name.as_str() {
            "--listen" => options.listen = value,
            "--redis" => options.redis = value,
            "--prefix" => options.prefix = value,
            "--max-clients" => {
                options.max_clients = value
                    .parse()
                    .map_err(|_| format!("--max-clients: not a number: {value}"))?
            }
            "--max-per-ip" => {
                options.max_per_ip = value
                    .parse()
                    .map_err(|_| format!("--max-per-ip: not a number: {value}"))?
            }
            _ => return Err(format!("unknown option {name}")),
        }
    }
    if options.listen.is_empty() || options.redis.is_empty() {
        return Err("--listen and --redis are required".into());
    }
    if !relay::valid_prefix(&options.prefix) {
        return Err("--prefix: 1 to 64 of A-Z a-z 0-9 _ . - (the plugin's key prefix)".into());
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("slot-events: {message}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(&options.listen) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("slot-events: cannot listen on {}: {error}", options.listen);
            return ExitCode::from(1);
        }
    };
    let clients = Arc::new(relay::Clients::new(options.max_clients, options.max_per_ip));
    relay::spawn_subscriber(options.redis, options.prefix, Arc::clone(&clients));
    relay::spawn_pinger(Arc::clone(&clients));
    eprintln!("slot-events: listening on {}", options.listen);
    for stream in listener.incoming().flatten() {
        http::accept(stream, &clients);
    }
    ExitCode::SUCCESS
}
