//! The client against a real redis-server: pooling, timeouts, the circuit
//! breaker and recovery.

mod support;

use std::time::{Duration, Instant};

use persona_core::route::Route;
use persona_core::{Client, ClientConfig, ConnectionKind, Defaults, OptionValue, Retry};
use support::{free_port, RedisServer};

fn client(url: &str, options: &[(&str, i64)]) -> Client {
    let options: Vec<(String, OptionValue)> = options
        .iter()
        .map(|(k, v)| (k.to_string(), OptionValue::Int(*v)))
        .collect();
    let config = ClientConfig::build(Some(url.as_bytes()), &options, &Defaults::default())
        .expect("valid config");
    Client::new(config).expect("client")
}

#[test]
fn many_clients_share_pool_size_connections() {
    let server = RedisServer::start();
    let before = server.info_field("stats", "total_connections_received");
    for _ in 0..200 {
        let c = client(&server.url(), &[("pool_size", 2)]);
        c.ping().expect("ping");
    }
    let after = server.info_field("stats", "total_connections_received");
    assert!(after - before <= 2, "opened {} connections", after - before);
    let c = client(&server.url(), &[("pool_size", 2)]);
    let stats = c.test_pool().unwrap().stats();
    assert!(stats.connections_created >= 1 && stats.connections_created <= 2);
    assert_eq!(stats.pid, std::process::id());
}

#[test]
fn refused_connection_opens_the_breaker_and_later_calls_fail_fast() {
    let port = free_port();
    let c = client(
        &format!("redis://127.0.0.1:{port}"),
        &[("retry_interval_ms", 300)],
    );
    let err = c.ping().unwrap_err();
    assert_eq!(
        err.connection_kind(),
        Some(ConnectionKind::Refused),
        "{err}"
    );
    let start = Instant::now();
    for _ in 0..1000 {
        let err = c.ping().unwrap_err();
        assert_eq!(err.connection_kind(), Some(ConnectionKind::BreakerOpen));
    }
    let per_call = start.elapsed() / 1000;
    assert!(per_call < Duration::from_millis(1), "{per_call:?} per call");
    assert!(!c.is_available());
    // The server comes up: after the retry interval one probe closes the breaker.
    let _server = RedisServer::start_on(port);
    std::thread::sleep(Duration::from_millis(350));
    assert!(c.ping().is_ok());
    assert!(c.is_available());
}

#[test]
fn hung_server_fails_within_the_read_timeout() {
    let server = RedisServer::start();
    // Twice the probe timeout is not below the read timeout: no stall
    // verdict comes first (stall.rs), the read timeout decides.
    let c = client(
        &server.url(),
        &[
            ("read_timeout_ms", 300),
            ("probe_timeout_ms", 150),
            ("pool_size", 1),
        ],
    );
    c.ping().expect("ping");
    server.pause();
    let start = Instant::now();
    let err = c.ping().unwrap_err();
    let took = start.elapsed();
    server.resume();
    assert_eq!(
        err.connection_kind(),
        Some(ConnectionKind::Timeout),
        "{err}"
    );
    assert!(
        took >= Duration::from_millis(280) && took < Duration::from_millis(900),
        "took {took:?}"
    );
}

#[test]
fn restarted_server_costs_idempotent_callers_no_error() {
    let mut server = RedisServer::start();
    let c = client(&server.url(), &[]);
    c.ping().expect("ping");
    server.restart();
    // The pooled connection is dead; the read is retried on a fresh one.
    c.ping().expect("ping after restart");
    let created = c.test_pool().unwrap().stats().connections_created;
    assert_eq!(created, 2);
}

/// One write, never resent (`Retry::Once`).
fn set(c: &Client) -> persona_core::Result<()> {
    c.run_raw(Route::Any, Retry::Once, |con| {
        redis::cmd("SET").arg("k").arg("v").query::<()>(con)
    })
}

#[test]
fn restarted_server_costs_a_write_at_most_one_error() {
    let mut server = RedisServer::start();
    let c = client(&server.url(), &[]);
    set(&c).expect("set");
    server.restart();
    let first = set(&c);
    if let Err(e) = &first {
        assert_eq!(e.connection_kind(), Some(ConnectionKind::Dropped), "{e}");
    }
    set(&c).expect("the second write after a restart succeeds");
    assert!(c.is_available());
}

#[test]
fn a_connection_closed_while_idle_is_replaced_before_a_write_uses_it() {
    let mut server = RedisServer::start();
    let c = client(&server.url(), &[]);
    set(&c).expect("set");
    server.restart();
    // Idle past the check threshold (as between two PHP-FPM requests): the
    // dead connection is found at checkout, so the write sees no error.
    std::thread::sleep(Duration::from_millis(1100));
    set(&c).expect("a write after an idle restart succeeds the first time");
    let stats = c.test_pool().unwrap().stats();
    assert_eq!(stats.connections_created, 2);
    assert!(stats.connections_discarded >= 1);
}

#[test]
fn killed_server_opens_the_breaker_and_recovery_is_automatic() {
    let mut server = RedisServer::start();
    let port = server.port;
    let c = client(&server.url(), &[("retry_interval_ms", 200)]);
    c.ping().expect("ping");
    server.kill();
    // First call: the dead pooled connection, then a refused reconnect.
    assert!(c.ping().is_err());
    let err = c.ping().unwrap_err();
    assert_eq!(
        err.connection_kind(),
        Some(ConnectionKind::BreakerOpen),
        "{err}"
    );
    let _again = RedisServer::start_on(port);
    std::thread::sleep(Duration::from_millis(250));
    c.ping().expect("recovered");
}

#[test]
fn server_error_replies_do_not_trip_the_breaker() {
    let server = RedisServer::start();
    let c = client(&server.url(), &[]);
    c.run_raw(Route::Any, Retry::Once, |con| {
        redis::cmd("SET").arg("s").arg("x").query::<()>(con)
    })
    .unwrap();
    let err = c
        .run_raw(Route::Any, Retry::Once, |con| {
            redis::cmd("LPUSH").arg("s").arg("y").query::<i64>(con)
        })
        .unwrap_err();
    assert!(matches!(err, persona_core::Error::Server(_)), "{err}");
    assert!(c.is_available());
    assert!(c.ping().is_ok());
}

#[test]
fn health_reports_server_pool_and_breaker() {
    let server = RedisServer::start();
    let c = client(&server.url(), &[]);
    let h = c.health();
    assert_eq!(h.status, "ok");
    assert!(h.server.version.is_some());
    assert_eq!(h.server.mode.as_deref(), Some("standalone"));
    assert!(h.server.used_memory.unwrap_or(0) > 0);
    assert!(h.latency.is_some());
    assert_eq!(h.pool.unwrap().pid, std::process::id());
    drop(server);
    let down = c.health();
    assert_eq!(down.status, "down");
    assert!(down.error.is_some());
}

#[test]
fn auth_and_db_from_the_url_are_used() {
    let server = RedisServer::start();
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("s3cret")
        .query::<()>(&mut server.admin())
        .unwrap();
    let wrong = client(&format!("redis://:nope@127.0.0.1:{}/0", server.port), &[]);
    let err = wrong.ping().unwrap_err();
    assert_eq!(
        err.connection_kind(),
        Some(ConnectionKind::Handshake),
        "{err}"
    );
    assert!(!err.to_string().contains("nope"), "password leaked: {err}");
    let right = client(&format!("redis://:s3cret@127.0.0.1:{}/3", server.port), &[]);
    right
        .run_raw(Route::Any, Retry::Once, |con| {
            redis::cmd("SET").arg("in-db-3").arg("1").query::<()>(con)
        })
        .unwrap();
    let db: i64 = right
        .run_raw(Route::Any, Retry::Idempotent, |con| {
            redis::cmd("CLIENT").arg("INFO").query::<String>(con)
        })
        .map(|s| {
            s.split_whitespace()
                .find_map(|f| f.strip_prefix("db="))
                .and_then(|v| v.parse().ok())
                .unwrap_or(-1)
        })
        .unwrap();
    assert_eq!(db, 3);
}

#[test]
fn kv_values_are_binary_safe_and_expire() {
    let server = RedisServer::start();
    let c = client(&server.url(), &[]);
    let key = persona_core::Key::parse("key", b"bin").unwrap();
    let value = b"a\0b\xff".to_vec();
    c.set_value(&key, &value, 60).unwrap();
    let back = c.get_value(&key).unwrap();
    assert_eq!(back.as_deref(), Some(&value[..]));
    let ttl: i64 = redis::cmd("TTL")
        .arg("rp:kv:bin")
        .query(&mut server.admin())
        .unwrap();
    assert!(ttl > 0 && ttl <= 60);
    assert!(c.delete_value(&key).unwrap());
}

#[test]
fn unix_socket_urls_connect() {
    let server = RedisServer::start_with(free_port(), |dir| {
        vec![
            "--unixsocket".into(),
            dir.join("redis.sock").display().to_string(),
            "--unixsocketperm".into(),
            "700".into(),
        ]
    });
    let path = server.dir.join("redis.sock");
    let c = client(&format!("unix://{}?db=4", path.display()), &[]);
    c.ping().expect("ping over the unix socket");
    let key = persona_core::Key::parse("key", b"u").unwrap();
    c.set_value(&key, b"1", 60).unwrap();
    let db4: Option<String> = redis::cmd("GET")
        .arg("rp:kv:u")
        .query(&mut {
            let mut admin = server.admin();
            redis::cmd("SELECT").arg(4).query::<()>(&mut admin).unwrap();
            admin
        })
        .unwrap();
    assert_eq!(db4.as_deref(), Some("1"));
}

#[test]
fn rediss_urls_speak_tls() {
    let tls_port = free_port();
    let server = RedisServer::start_with(free_port(), |dir| {
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        let made = std::process::Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args([
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl");
        assert!(made.success());
        vec![
            "--tls-port".into(),
            tls_port.to_string(),
            "--tls-cert-file".into(),
            cert.display().to_string(),
            "--tls-key-file".into(),
            key.display().to_string(),
            "--tls-ca-cert-file".into(),
            cert.display().to_string(),
            "--tls-auth-clients".into(),
            "no".into(),
        ]
    });
    // A self-signed certificate is refused by default...
    let verified = client(&format!("rediss://127.0.0.1:{tls_port}"), &[]);
    let err = verified.ping().unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    // ...and accepted when the URL opts out of verification.
    let insecure = client(&format!("rediss://127.0.0.1:{tls_port}/#insecure"), &[]);
    insecure.ping().expect("ping over TLS");
    drop(server);
}

#[test]
fn a_hand_built_config_cannot_bring_an_unchecked_prefix() {
    let server = RedisServer::start();
    for prefix in ["*", "shop:eu", "", "a b"] {
        let url = server.url();
        let mut config =
            ClientConfig::build(Some(url.as_bytes()), &[], &Defaults::default()).unwrap();
        config.prefix = prefix.to_owned();
        let err = Client::new(config).err().expect("refused");
        assert!(err.to_string().starts_with("prefix:"), "{prefix:?}: {err}");
    }
}
