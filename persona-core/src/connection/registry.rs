//! This process's pools, one per server configuration, and what happens to
//! them across `fork()`: the registry remembers the pid that filled it, and a
//! child forgets the inherited pools (without closing their sockets, which
//! the parent still uses) and builds its own on first use.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::config::ClientConfig;
use crate::error::Result;
use crate::pool::Pool;

struct Registry {
    pid: u32,
    pools: HashMap<String, Arc<Pool>>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

/// The pool for `config` in this process, created (without connecting) on
/// first use. Pools inherited from a parent process are forgotten.
pub(crate) fn pool_for(config: &Arc<ClientConfig>) -> Result<Arc<Pool>> {
    let pid = crate::process::pid();
    let key = config.pool_key();
    let mut guard = REGISTRY.lock();
    if guard.as_ref().is_some_and(|r| r.pid != pid) {
        if let Some(inherited) = guard.take() {
            forget_inherited(inherited);
        }
    }
    let registry = guard.get_or_insert_with(|| Registry {
        pid,
        pools: HashMap::new(),
    });
    if let Some(pool) = registry.pools.get(&key) {
        return Ok(Arc::clone(pool));
    }
    let pool = Arc::new(Pool::new(Arc::clone(config))?);
    registry.pools.insert(key, Arc::clone(&pool));
    Ok(pool)
}

/// Every pool of this process, for phpinfo() and health reports.
pub fn all_pools() -> Vec<Arc<Pool>> {
    let pid = crate::process::pid();
    match REGISTRY.lock().as_ref() {
        Some(r) if r.pid == pid => r.pools.values().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The parent still uses these sockets. Closing our copy of the file
/// descriptor would be harmless for TCP, but a TLS session shutdown would
/// write to the shared stream, so the inherited connections are leaked
/// deliberately (one descriptor each, once per fork).
fn forget_inherited(inherited: Registry) {
    for pool in inherited.pools.into_values() {
        pool.forget_idle();
    }
}
