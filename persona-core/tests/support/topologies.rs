//! Test helpers: a real 3-master / 3-replica Redis Cluster and a Sentinel
//! setup on loopback. The cluster is started
//! by `scripts/redis-cluster.sh` (ports with a free cluster-bus port, <= 55535)
//! and stopped by pid when the handle drops. Nothing is mocked.

use std::path::PathBuf;
use std::process::Command;

pub struct RedisCluster {
    pub dir: PathBuf,
    /// The six ports, the three masters first (as created).
    pub ports: Vec<u16>,
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts")
        .join(name)
}

/// Runs `scripts/<script> start` in a fresh state directory; returns it and
/// the six ports the script printed.
fn start_script(script_name: &str, kind: &str, name: &str) -> (PathBuf, Vec<u16>) {
    let dir = std::env::temp_dir().join(format!("rp-{kind}-{}-{name}", std::process::id()));
    let out = Command::new(script(script_name))
        .arg("start")
        .arg(&dir)
        .output()
        .expect("the topology script runs");
    assert!(
        out.status.success(),
        "{kind} did not start: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ports: Vec<u16> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|p| p.parse().expect("a port"))
        .collect();
    assert_eq!(ports.len(), 6);
    for port in &ports {
        super::forget_breaker_state(*port);
    }
    (dir, ports)
}

/// Stops every process of the state directory by pid and removes it.
fn stop_script(script_name: &str, dir: &std::path::Path) {
    let _ = Command::new(script(script_name))
        .arg("stop")
        .arg(dir)
        .status();
    let _ = std::fs::remove_dir_all(dir);
}

/// The pid a topology script recorded for the node on `port`.
fn pid_in(dir: &std::path::Path, port: u16) -> i32 {
    std::fs::read_to_string(dir.join(format!("node-{port}.pid")))
        .expect("pidfile")
        .trim()
        .parse()
        .expect("pid")
}

impl RedisCluster {
    pub fn start(name: &str) -> RedisCluster {
        let (dir, ports) = start_script("redis-cluster.sh", "cluster", name);
        RedisCluster { dir, ports }
    }

    pub fn seed(&self) -> String {
        format!("redis://127.0.0.1:{}", self.ports[0])
    }

    pub fn admin(&self, port: u16) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{port}"))
            .and_then(|c| c.get_connection())
            .expect("admin connection")
    }

    /// The ports currently serving as masters.
    pub fn masters(&self) -> Vec<u16> {
        self.ports
            .iter()
            .copied()
            .filter(|p| {
                redis::cmd("ROLE")
                    .query::<redis::Value>(&mut self.admin(*p))
                    .ok()
                    .is_some_and(|v| format!("{v:?}").contains("master"))
            })
            .collect()
    }

    /// The master port serving `key`'s slot.
    pub fn master_of(&self, key: &str) -> u16 {
        let slot: u16 = redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(key)
            .query(&mut self.admin(self.ports[0]))
            .expect("KEYSLOT");
        let slots: Vec<(u16, u16, (String, u16))> = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query::<Vec<redis::Value>>(&mut self.admin(self.ports[0]))
            .expect("SLOTS")
            .into_iter()
            .map(|range| {
                let redis::Value::Array(items) = range else {
                    panic!("range")
                };
                let int = |v: &redis::Value| match v {
                    redis::Value::Int(n) => *n,
                    _ => panic!("int"),
                };
                let redis::Value::Array(master) = &items[2] else {
                    panic!("node")
                };
                (
                    int(&items[0]) as u16,
                    int(&items[1]) as u16,
                    (String::new(), int(&master[1]) as u16),
                )
            })
            .collect();
        slots
            .into_iter()
            .find(|(a, b, _)| *a <= slot && slot <= *b)
            .map(|(_, _, (_, port))| port)
            .expect("slot served")
    }

    pub fn pid_of(&self, port: u16) -> i32 {
        pid_in(&self.dir, port)
    }

    pub fn info_field(&self, port: u16, section: &str, field: &str) -> u64 {
        let text: String = redis::cmd("INFO")
            .arg(section)
            .query(&mut self.admin(port))
            .expect("INFO");
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        stop_script("redis-cluster.sh", &self.dir);
    }
}

/// A Sentinel setup: one master, two replicas, three sentinels watching
/// service `rp-master` (scripts/redis-sentinel.sh), stopped by pid on drop.
pub struct RedisSentinel {
    pub dir: PathBuf,
    /// master, replica, replica, sentinel, sentinel, sentinel.
    pub ports: Vec<u16>,
}

impl RedisSentinel {
    pub fn start(name: &str) -> RedisSentinel {
        let (dir, ports) = start_script("redis-sentinel.sh", "sentinel", name);
        RedisSentinel { dir, ports }
    }

    pub fn pid_of(&self, port: u16) -> i32 {
        pid_in(&self.dir, port)
    }
}

impl Drop for RedisSentinel {
    fn drop(&mut self) {
        stop_script("redis-sentinel.sh", &self.dir);
    }
}
