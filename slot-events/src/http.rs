//! The HTTP side: one GET per page, `?date=YYYY-MM-DD&resource=NAME`,
//! answered with an event stream that stays open. The request is read by a
//! short-lived thread with a deadline (a slow client cannot hold the
//! accept loop); then the socket joins the relay's clients and no thread
//! waits on it any more.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::relay::{day_key, Clients};

const MAX_REQUEST: usize = 8192;

pub fn accept(stream: TcpStream, clients: &Arc<Clients>) {
    let Some(slot) = clients.reserve() else {
        let mut stream = stream;
        let _ = stream.write_all(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    };
    let clients = Arc::clone(clients);
    let spawned = thread::Builder::new()
        .name("handshake".into())
        .spawn(move || {
            let _slot = slot;
            handshake(stream, &clients);
        });
    if spawned.is_err() {
        eprintln!("slot-events: cannot start a handshake thread");
    }
}

fn handshake(mut stream: TcpStream, clients: &Clients) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let Some(request) = read_head(&mut stream) else {
        return;
    };
    let Some(day) = requested_day(&request) else {
        let _ = stream.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    };
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache, no-store\r\n\
                X-Accel-Buffering: no\r\nConnection: keep-alive\r\n\r\nretry: 3000\n: connected\n\n";
    if stream.write_all(head.as_bytes()).is_ok() {
        clients.add(day, stream);
    }
}

fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = stream.read(&mut chunk).ok()?;
        if read == 0 || buffer.len() + read > MAX_REQUEST {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    String::from_utf8(buffer).ok()
}

/// The day a request asks for (`date:resource`), when it is a valid GET.
pub fn requested_day(request: &str) -> Option<String> {
    let line = request.lines().next()?;
    let mut parts = line.split(' ');
    if parts.next()? != "GET" {
        return None;
    }
    let target = parts.next()?;
    let query = target.split_once('?')?.1;
    let (mut date, mut resource) = (None, None);
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("date", value)) => date = Some(value),
            Some(("resource", value)) => resource = Some(value),
            _ => {}
        }
    }
    day_key(date?, resource?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_day_of_a_stream_request() {
        let ok = "GET /rp-events?date=2031-05-06&resource=room-1 HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(requested_day(ok).as_deref(), Some("2031-05-06:room-1"));
        for bad in [
            "POST /?date=2031-05-06&resource=r HTTP/1.1\r\n\r\n",
            "GET /?date=2031-5-6&resource=r HTTP/1.1\r\n\r\n",
            "GET /?date=2031-05-06&resource=r%2A HTTP/1.1\r\n\r\n",
            "GET /?date=2031-05-06 HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n",
        ] {
            assert_eq!(requested_day(bad), None, "{bad}");
        }
    }
}
