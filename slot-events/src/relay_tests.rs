//! Tests of the relay against real sockets and a real redis-server (started
//! on a free loopback port, stopped by pid).

use super::*;
use std::io::Read;
use std::net::{Ipv4Addr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A connected pair: (the relay's side, the browser's side).
fn pair(listener: &TcpListener) -> (TcpStream, TcpStream) {
    let browser = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (relay, _) = listener.accept().unwrap();
    (relay, browser)
}

/// Reads from the browser's side until `needle` has arrived `count` times.
fn read_until(browser: &mut TcpStream, needle: &str, count: usize, within: Duration) -> String {
    let deadline = Instant::now() + within;
    let mut seen = String::new();
    let mut chunk = [0u8; 4096];
    while seen.matches(needle).count() < count {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no {needle:?} x{count} within {within:?}; got {seen:?}"
        );
        browser.set_read_timeout(Some(left)).unwrap();
        match browser.read(&mut chunk) {
            Ok(0) => panic!("closed; got {seen:?}"),
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&chunk[..n])),
            Err(_) => {}
        }
    }
    seen
}

struct RedisServer(Child, u16);

impl RedisServer {
    fn start() -> RedisServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            thread::sleep(Duration::from_millis(20));
        }
        RedisServer(child, port)
    }

    fn command(&self, args: &[&str]) -> redis::Value {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}", self.1)).unwrap();
        let mut connection = client.get_connection().unwrap();
        let mut command = redis::cmd(args[0]);
        for arg in &args[1..] {
            command.arg(*arg);
        }
        command.query(&mut connection).unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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
    let clients = Arc::new(Clients::new(2, 8));
    let a = clients.reserve();
    let b = clients.reserve();
    assert!(a.is_some() && b.is_some());
    assert!(clients.reserve().is_none());
    drop(a);
    assert!(clients.reserve().is_some());
    assert_eq!(day_key("2031-01-02", "r.1"), Some("2031-01-02:r.1".into()));
    assert_eq!(day_key("2031-01-02", "r*"), None);
}

#[test]
fn one_address_cannot_take_every_place() {
    let clients = Clients::new(100, 2);
    let other = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    assert!(clients.claim_ip(LOOPBACK));
    assert!(clients.claim_ip(LOOPBACK));
    assert!(
        !clients.claim_ip(LOOPBACK),
        "the third stream of one address"
    );
    assert!(clients.claim_ip(other), "another address still gets in");
    clients.release_ip(LOOPBACK);
    assert!(
        clients.claim_ip(LOOPBACK),
        "a closed stream gives its place back"
    );
}

#[test]
fn a_stalled_reader_is_dropped_without_holding_up_the_others() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let clients = Clients::new(10, 10);
    let (stalled_side, _stalled_browser) = pair(&listener);
    let (reader_side, mut reader_browser) = pair(&listener);
    for side in [stalled_side, reader_side] {
        assert!(clients.claim_ip(LOOPBACK));
        clients.add("2031-01-02:r".into(), LOOPBACK, side);
    }
    reader_browser
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let frame = format!("data: {}\n\n", "x".repeat(4 * 1024));
    let mut received = vec![0u8; frame.len()];
    let started = Instant::now();
    let mut sends = 0;
    while clients.used.load(Ordering::SeqCst) == 2 && sends < 50_000 {
        clients.send(Some("2031-01-02:r"), &frame);
        sends += 1;
        // The reading page reads each frame whole, as soon as it is sent.
        reader_browser.read_exact(&mut received).unwrap();
        assert_eq!(received, frame.as_bytes());
    }
    assert_eq!(
        clients.used.load(Ordering::SeqCst),
        1,
        "the stalled page was dropped ({sends} frames)"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no write waited: {:?}",
        started.elapsed()
    );
    assert!(clients.claim_ip(LOOPBACK), "its address got its place back");
    clients.send(None, ": still here\n\n");
    read_until(
        &mut reader_browser,
        ": still here",
        1,
        Duration::from_secs(2),
    );
}

#[test]
fn every_page_hears_changed_after_each_subscribe_and_events_after_a_lost_connection() {
    let redis = RedisServer::start();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let clients = Arc::new(Clients::new(10, 10));
    let (watching, mut day_browser) = pair(&listener);
    let (elsewhere, mut other_browser) = pair(&listener);
    for (day, side) in [
        ("2031-01-02:room-1", watching),
        ("2031-01-03:room-1", elsewhere),
    ] {
        assert!(clients.claim_ip(LOOPBACK));
        clients.add(day.into(), LOOPBACK, side);
    }
    spawn_subscriber(
        format!("redis://127.0.0.1:{}", redis.1),
        "rp".into(),
        Arc::clone(&clients),
    );
    let changed = "\"event\":\"changed\"";
    read_until(&mut day_browser, changed, 1, Duration::from_secs(5));
    read_until(&mut other_browser, changed, 1, Duration::from_secs(5));

    // The subscription's connection dies: the relay subscribes again, and
    // every page is told to refetch what it may have missed.
    let killed = redis.command(&["CLIENT", "KILL", "TYPE", "pubsub"]);
    assert_eq!(killed, redis::Value::Int(1));
    read_until(&mut day_browser, changed, 1, Duration::from_secs(5));
    read_until(&mut other_browser, changed, 1, Duration::from_secs(5));

    let event = r#"{"event":"acquired","time":"10:30","owner":"Ada"}"#;
    redis.command(&["PUBLISH", "rp:lk:{2031-01-02:room-1}:events", event]);
    let seen = read_until(&mut day_browser, "\"acquired\"", 1, Duration::from_secs(5));
    assert!(
        seen.contains("\"time\":\"10:30\"") && !seen.contains("Ada"),
        "{seen}"
    );
}
