//! Commands for several hash slots sent together. On one server (or a
//! Sentinel master) a batch is one pipeline, one round trip, exactly as the
//! features sent it before clusters. On a cluster it becomes one pipeline
//! per master (commands grouped by the node owning their slot, so a flush
//! of 16 buckets costs one round trip per master, not one per bucket);
//! replies come back in the order the commands were added.
//!
//! Each command must touch only keys of the slot it was added with (the key
//! schema makes every script's keys share a hash tag). A command refused
//! with `MOVED`, `ASK` or `TRYAGAIN` did not run, so it alone is resent
//! where the cluster says; the others' replies stand.

use std::collections::HashMap;

use redis::{Cmd, ErrorKind, FromRedisValue, RedisResult, Script, ServerErrorKind, Value};

use crate::cluster::Cluster;
use crate::error::{classify, Error, Result};
use crate::nodes::redirect_of;
use crate::pool::Retry;
use crate::route::{slot, Route};
use crate::scripting::query_with_scripts;

struct Item {
    slot: u16,
    cmd: Cmd,
    keep: bool,
}

#[derive(Default)]
pub(crate) struct Batch {
    items: Vec<Item>,
}

impl Batch {
    pub(crate) fn new() -> Batch {
        Batch::default()
    }

    /// Adds `cmd`, which touches only keys of `key`'s slot; its reply is kept.
    pub(crate) fn add(&mut self, key: &str, cmd: Cmd) -> &mut Batch {
        self.push(key, cmd, true);
        self
    }

    /// Starts command `name` for `key`'s slot (reply kept); add its
    /// arguments, key included, to what this returns.
    pub(crate) fn cmd(&mut self, key: &str, name: &str) -> &mut Cmd {
        self.push(key, redis::cmd(name), true)
    }

    /// [`Batch::cmd`] with the reply dropped.
    pub(crate) fn cmd_ignored(&mut self, key: &str, name: &str) -> &mut Cmd {
        self.push(key, redis::cmd(name), false)
    }

    fn push(&mut self, key: &str, cmd: Cmd, keep: bool) -> &mut Cmd {
        let at = self.items.len();
        self.items.push(Item {
            slot: slot(key.as_bytes()),
            cmd,
            keep,
        });
        &mut self.items[at].cmd
    }

    /// Adds a script call (`EVALSHA`) whose keys share `key`'s slot.
    pub(crate) fn add_script(
        &mut self,
        key: &str,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> &mut Batch {
        let mut pipe = redis::pipe();
        pipe.invoke_script(invocation);
        if let Some(cmd) = pipe.cmd_iter().next() {
            self.add(key, cmd.clone());
        }
        self
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The whole batch as one pipeline (one server); the commands move.
    pub(crate) fn into_pipeline(self) -> redis::Pipeline {
        let mut pipe = redis::pipe();
        for item in self.items {
            pipe.add_command(item.cmd);
            if !item.keep {
                pipe.ignore();
            }
        }
        pipe
    }

    /// Runs the batch on a cluster: one pipeline per master.
    pub(crate) fn run_on_cluster<T: FromRedisValue>(
        &self,
        cluster: &Cluster,
        retry: Retry,
        scripts: &[&Script],
    ) -> Result<Vec<T>> {
        cluster.ensure_map();
        let map = cluster.map();
        let mut groups: Vec<(u16, Vec<usize>)> = Vec::new();
        let mut group_of: HashMap<String, usize> = HashMap::new();
        for (i, item) in self.items.iter().enumerate() {
            let owner = map
                .range_of(item.slot)
                .map_or_else(|| format!("?{}", item.slot), |r| r.master.clone());
            let g = *group_of.entry(owner).or_insert_with(|| {
                groups.push((item.slot, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(i);
        }
        let mut replies: Vec<Option<Value>> = vec![None; self.items.len()];
        let mut first_error: Option<Error> = None;
        for (first_slot, members) in groups {
            let mut pipe = redis::pipe();
            pipe.ignore_errors();
            for &i in &members {
                pipe.add_command(self.items[i].cmd.clone());
            }
            let answers = cluster.run(Route::Slot(first_slot), retry, |con| {
                let mut answers: Vec<RedisResult<Value>> = pipe.query(con)?;
                reload_missing_scripts(con, &self.items, &members, &mut answers, scripts)?;
                Ok(answers)
            })?;
            for (&i, answer) in members.iter().zip(answers) {
                match answer {
                    Ok(value) => replies[i] = Some(value),
                    Err(e) if redirect_of(&e).is_some() => {
                        // Did not run here: send it alone where it belongs.
                        let item = &self.items[i];
                        let value = cluster.run(Route::Slot(item.slot), retry, |con| {
                            query_with_scripts(con, &single(&item.cmd), scripts)
                                .map(|mut v: Vec<Value>| v.pop().unwrap_or(Value::Nil))
                        })?;
                        replies[i] = Some(value);
                    }
                    Err(e) => {
                        first_error.get_or_insert_with(|| classify(&e, false));
                    }
                }
            }
        }
        if let Some(err) = first_error {
            return Err(err);
        }
        self.items
            .iter()
            .zip(replies)
            .filter(|(item, _)| item.keep)
            .map(|(_, value)| {
                T::from_redis_value(value.unwrap_or(Value::Nil))
                    .map_err(|e| Error::Server(format!("unexpected reply from Redis: {e}")))
            })
            .collect()
    }
}

fn single(cmd: &Cmd) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    pipe.add_command(cmd.clone());
    pipe
}

/// A node that lost its scripts (restart, failover to a replica that never
/// loaded them) answers NOSCRIPT to each `EVALSHA`, which therefore did not
/// run: load the scripts and send just those again, on the same connection.
fn reload_missing_scripts(
    con: &mut redis::Connection,
    items: &[Item],
    members: &[usize],
    answers: &mut [RedisResult<Value>],
    scripts: &[&Script],
) -> RedisResult<()> {
    let missing: Vec<usize> = answers
        .iter()
        .enumerate()
        .filter(|(_, a)| {
            matches!(a, Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript))
        })
        .map(|(k, _)| k)
        .collect();
    if missing.is_empty() || scripts.is_empty() {
        return Ok(());
    }
    for script in scripts {
        script.load(con)?;
    }
    let mut again = redis::pipe();
    again.ignore_errors();
    for &k in &missing {
        again.add_command(items[members[k]].cmd.clone());
    }
    let second: Vec<RedisResult<Value>> = again.query(con)?;
    for (&k, answer) in missing.iter().zip(second) {
        answers[k] = answer;
    }
    Ok(())
}
