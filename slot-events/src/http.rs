//! The HTTP side: one GET per page, `?date=YYYY-MM-DD&resource=NAME`,
//! answered with an event stream that stays open. The request is read by a
//! short-lived thread under one deadline for the whole head (a client that
//! trickles a byte at a time cannot keep its thread and place longer than
//! that); then the socket joins the relay's clients and no thread waits on
//! it any more.
//!
//! A page counts against its client address: the peer's, or the one in
//! `X-Real-IP` when the peer is a loopback proxy (nginx). An address at its
//! cap gets 429, so one client cannot take every place.

use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::relay::{day_key, Clients};

const MAX_REQUEST: usize = 8192;
/// The whole request head must arrive within this.
const HEAD_DEADLINE: Duration = Duration::from_secs(5);

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
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let Some(request) = read_head(&mut stream, Instant::now() + HEAD_DEADLINE) else {
        return;
    };
    let Some(day) = requested_day(&request) else {
        let _ = stream.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    };
    let Some(ip) = stream
        .peer_addr()
        .ok()
        .map(|peer| client_ip(peer.ip(), &request))
    else {
        return;
    };
    if !clients.claim_ip(ip) {
        let _ = stream.write_all(
            b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    }
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache, no-store\r\n\
                X-Accel-Buffering: no\r\nConnection: keep-alive\r\n\r\nretry: 3000\n: connected\n\n";
    if stream.write_all(head.as_bytes()).is_ok() {
        clients.add(day, ip, stream);
    } else {
        clients.release_ip(ip);
    }
}

/// The request head, if it arrives whole (and under MAX_REQUEST) before `deadline`.
fn read_head(stream: &mut TcpStream, deadline: Instant) -> Option<String> {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        stream.set_read_timeout(Some(left)).ok()?;
        let read = stream.read(&mut chunk).ok()?;
        if read == 0 || buffer.len() + read > MAX_REQUEST {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    String::from_utf8(buffer).ok()
}

/// The address a page counts against: `X-Real-IP` from a loopback proxy, else the peer.
pub fn client_ip(peer: IpAddr, request: &str) -> IpAddr {
    if !peer.is_loopback() {
        return peer;
    }
    request
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("x-real-ip"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(peer)
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
    use std::net::{Ipv4Addr, TcpListener};

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

    #[test]
    fn the_proxy_names_the_client_and_nobody_else_does() {
        let request = "GET /rp-events HTTP/1.1\r\nHost: x\r\nx-real-ip: 203.0.113.7\r\n\r\n";
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let remote = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
        assert_eq!(
            client_ip(loopback, request),
            IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7))
        );
        assert_eq!(
            client_ip(remote, request),
            remote,
            "only a loopback proxy is believed"
        );
        assert_eq!(
            client_ip(loopback, "GET / HTTP/1.1\r\nX-Real-IP: nonsense\r\n\r\n"),
            loopback
        );
    }

    #[test]
    fn a_head_trickled_byte_by_byte_ends_at_the_deadline() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let trickle = thread::spawn(move || {
            let mut client = TcpStream::connect(address).unwrap();
            // A byte every 50 ms: each read is quick, the head never ends.
            for byte in b"GET /rp-events?date=2031-05-06&resource=r HTTP/1.1\r\nX-Slow: "
                .iter()
                .cycle()
                .take(30)
            {
                if client.write_all(&[*byte]).is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(50));
            }
        });
        let (mut server, _) = listener.accept().unwrap();
        let started = Instant::now();
        assert_eq!(
            read_head(&mut server, started + Duration::from_millis(600)),
            None
        );
        let took = started.elapsed();
        assert!(took < Duration::from_millis(900), "ended after {took:?}");
        drop(server);
        let _ = trickle.join();
    }
}
