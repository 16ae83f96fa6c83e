//! Test helper: a real `redis-server` on a free loopback port, stopped by pid
//! when the handle drops. Nothing is mocked.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    pub dir: PathBuf,
    extra: Vec<String>,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

impl RedisServer {
    pub fn start() -> RedisServer {
        let port = free_port();
        forget_breaker_state(port);
        RedisServer::start_on(port)
    }

    pub fn start_on(port: u16) -> RedisServer {
        RedisServer::start_with(port, |_| Vec::new())
    }

    /// Starts with extra arguments, built from the server's state directory.
    pub fn start_with(
        port: u16,
        extra: impl FnOnce(&std::path::Path) -> Vec<String>,
    ) -> RedisServer {
        let dir = std::env::temp_dir().join(format!("rp-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let extra = extra(&dir);
        let mut server = RedisServer {
            child: None,
            port,
            dir,
            extra,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--loglevel", "warning"])
            .arg("--dir")
            .arg(&self.dir)
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (make deps)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(mut con) = redis::Client::open(self.url()).and_then(|c| c.get_connection()) {
                if redis::cmd("PING").query::<String>(&mut con).is_ok() {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().map(|c| c.id() as i32).unwrap_or(0)
    }

    /// A direct connection, independent of the code under test.
    pub fn admin(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection())
            .expect("admin connection")
    }

    pub fn info_field(&self, section: &str, field: &str) -> u64 {
        let text: String = redis::cmd("INFO")
            .arg(section)
            .query(&mut self.admin())
            .expect("INFO");
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("INFO {section} has no {field}"))
    }

    pub fn pause(&self) {
        signal(self.pid(), libc::SIGSTOP);
    }

    pub fn resume(&self) {
        signal(self.pid(), libc::SIGCONT);
    }

    /// Kills the server (SIGKILL, by pid) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal(child.id() as i32, libc::SIGCONT);
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

fn signal(pid: i32, sig: i32) {
    if pid > 0 {
        // SAFETY: sending a signal to a child process we started.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A core client for `server` with its own key prefix and room for many
/// threads (the concurrency tests run up to 16 at once).
pub fn client(server: &RedisServer, prefix: &str) -> std::sync::Arc<persona_core::Client> {
    use persona_core::{ClientConfig, Defaults, OptionValue};
    let options = vec![
        (
            "prefix".to_string(),
            OptionValue::Str(prefix.as_bytes().to_vec()),
        ),
        ("pool_size".to_string(), OptionValue::Int(32)),
        // Functional tests, not failure tests: on a loaded CI machine a
        // burst of 16 threads may see no reply for the default 200 ms stall
        // verdict (2 x probe timeout) and open the shared breaker.
        ("read_timeout_ms".to_string(), OptionValue::Int(5000)),
        ("probe_timeout_ms".to_string(), OptionValue::Int(5000)),
    ];
    let config = ClientConfig::build(
        Some(server.url().as_bytes()),
        &options,
        &Defaults::default(),
    )
    .expect("config");
    std::sync::Arc::new(persona_core::Client::new(config).expect("client"))
}

/// A post id for tests (the core takes only validated ids).
pub fn pid(id: u64) -> persona_core::PostId {
    persona_core::PostId::parse("postId", id as i64).expect("a valid post id")
}

/// A persona slug for tests.
pub fn persona(slug: &str) -> persona_core::Persona {
    persona_core::Persona::parse("persona", slug.as_bytes()).expect("a valid persona")
}

/// Tags for tests.
pub fn tags(names: &[&str]) -> Vec<persona_core::Tag> {
    names
        .iter()
        .map(|n| persona_core::Tag::parse("tag", n.as_bytes()).expect("a valid tag"))
        .collect()
}

/// Post ids for tests.
pub fn pids(ids: &[u64]) -> Vec<persona_core::PostId> {
    ids.iter().map(|id| pid(*id)).collect()
}

/// `warm`'s variants for tests.
pub fn variants<'a>(list: &[(&str, &'a [u8])]) -> Vec<(persona_core::Persona, &'a [u8])> {
    list.iter().map(|(p, html)| (persona(p), *html)).collect()
}

/// A booking slot for tests.
pub fn slot_ref(date: &str, time: &str, resource: &str) -> persona_core::SlotRef {
    persona_core::SlotRef::parse(date.as_bytes(), time.as_bytes(), resource.as_bytes())
        .expect("a valid slot")
}

/// The slot most tests use.
pub static SLOT: std::sync::LazyLock<persona_core::SlotRef> =
    std::sync::LazyLock::new(|| slot_ref("2026-12-24", "10:30", "room-1"));

/// Deletes the circuit-breaker state the extension shares for this address
/// (one small file per server in /dev/shm or the temp dir): a fresh server on
/// a reused port must not inherit a breaker an earlier test's dead server
/// opened, which would make its first calls fail fast.
pub fn forget_breaker_state(port: u16) {
    let needle = format!("-Tcp-127.0.0.1-{port}-");
    for dir in [std::path::PathBuf::from("/dev/shm"), std::env::temp_dir()] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("redis-persona-") && name.contains(&needle) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

pub mod topologies;
