//! Which node serves which hash slots, as `CLUSTER SLOTS` reports it.

use redis::Value;

/// One contiguous range of slots and the nodes serving it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SlotRange {
    pub start: u16,
    pub end: u16,
    pub master: String,
    pub replicas: Vec<String>,
}

/// The slot ranges, sorted by their first slot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SlotMap {
    pub ranges: Vec<SlotRange>,
}

impl SlotMap {
    /// Parses a `CLUSTER SLOTS` reply. `asked` is the host of the node that
    /// answered: a node that does not know its own address reports "".
    pub(crate) fn parse(reply: &Value, asked: &str) -> Option<SlotMap> {
        let Value::Array(entries) = reply else {
            return None;
        };
        let mut ranges = Vec::with_capacity(entries.len());
        for entry in entries {
            let Value::Array(fields) = entry else {
                return None;
            };
            let start = u16::try_from(int(fields.first()?)?).ok()?;
            let end = u16::try_from(int(fields.get(1)?)?).ok()?;
            if start > end || end >= crate::route::SLOTS {
                return None;
            }
            let mut nodes = fields[2..].iter().filter_map(|n| node(n, asked));
            let master = nodes.next()?;
            ranges.push(SlotRange {
                start,
                end,
                master,
                replicas: nodes.collect(),
            });
        }
        if ranges.is_empty() {
            return None;
        }
        ranges.sort_by_key(|r| r.start);
        Some(SlotMap { ranges })
    }

    pub(crate) fn range_of(&self, slot: u16) -> Option<&SlotRange> {
        let i = self.ranges.partition_point(|r| r.start <= slot);
        let range = self.ranges.get(i.checked_sub(1)?)?;
        (slot <= range.end).then_some(range)
    }

    /// Points `slot` at `master` (a MOVED reply), splitting its range.
    pub(crate) fn moved(&mut self, slot: u16, master: &str) {
        if self.range_of(slot).is_some_and(|r| r.master == master) {
            return;
        }
        let mut ranges = Vec::with_capacity(self.ranges.len() + 2);
        for r in self.ranges.drain(..) {
            if slot < r.start || slot > r.end {
                ranges.push(r);
                continue;
            }
            if r.start < slot {
                ranges.push(SlotRange {
                    end: slot - 1,
                    ..r.clone()
                });
            }
            if slot < r.end {
                ranges.push(SlotRange {
                    start: slot + 1,
                    ..r.clone()
                });
            }
        }
        ranges.push(SlotRange {
            start: slot,
            end: slot,
            master: master.to_owned(),
            replicas: Vec::new(),
        });
        ranges.sort_by_key(|r| r.start);
        self.ranges = ranges;
    }

    /// Every master, once, in slot order.
    pub(crate) fn masters(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.ranges {
            if !out.contains(&r.master) {
                out.push(r.master.clone());
            }
        }
        out
    }

    /// Every replica, once.
    pub(crate) fn replicas(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.ranges {
            for replica in &r.replicas {
                if !out.contains(replica) {
                    out.push(replica.clone());
                }
            }
        }
        out
    }

    /// The slot ranges `addr` serves as master, as "0-5460,5462".
    pub(crate) fn slots_of(&self, addr: &str) -> String {
        self.ranges
            .iter()
            .filter(|r| r.master == addr)
            .map(|r| {
                if r.start == r.end {
                    r.start.to_string()
                } else {
                    format!("{}-{}", r.start, r.end)
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Failovers between `self` and `next`: old masters whose slots went
    /// to a node that was their replica.
    pub(crate) fn failovers_to(&self, next: &SlotMap) -> u64 {
        let mut demoted: Vec<&str> = Vec::new();
        for old in &self.ranges {
            if let Some(new) = next.range_of(old.start) {
                if new.master != old.master
                    && old.replicas.contains(&new.master)
                    && !demoted.contains(&old.master.as_str())
                {
                    demoted.push(&old.master);
                }
            }
        }
        demoted.len() as u64
    }
}

fn int(value: &Value) -> Option<i64> {
    match value {
        Value::Int(n) => Some(*n),
        _ => None,
    }
}

fn node(value: &Value, asked: &str) -> Option<String> {
    let Value::Array(fields) = value else {
        return None;
    };
    let host = match fields.first()? {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok()?,
        Value::SimpleString(text) => text.clone(),
        _ => return None,
    };
    let host = if host.is_empty() || host == "?" {
        asked.to_owned()
    } else {
        host
    };
    let port = int(fields.get(1)?)?;
    let port = u16::try_from(port).ok().filter(|p| *p > 0)?;
    Some(format!("{host}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(host: &str, port: i64) -> Value {
        Value::Array(vec![
            Value::BulkString(host.as_bytes().to_vec()),
            Value::Int(port),
            Value::BulkString(b"id".to_vec()),
        ])
    }

    fn reply() -> Value {
        Value::Array(vec![
            Value::Array(vec![
                Value::Int(5461),
                Value::Int(16383),
                node("10.0.0.2", 7001),
                node("10.0.0.5", 7004),
            ]),
            Value::Array(vec![
                Value::Int(0),
                Value::Int(5460),
                node("", 7000),
                node("10.0.0.4", 7003),
            ]),
        ])
    }

    #[test]
    fn cluster_slots_parse_into_sorted_ranges() {
        let map = SlotMap::parse(&reply(), "10.0.0.1").unwrap();
        assert_eq!(
            map.ranges[0].master, "10.0.0.1:7000",
            "an empty host is the one asked"
        );
        assert_eq!(map.range_of(0).unwrap().master, "10.0.0.1:7000");
        assert_eq!(map.range_of(5461).unwrap().master, "10.0.0.2:7001");
        assert_eq!(map.range_of(16383).unwrap().replicas, vec!["10.0.0.5:7004"]);
        assert_eq!(map.masters(), vec!["10.0.0.1:7000", "10.0.0.2:7001"]);
        assert_eq!(map.slots_of("10.0.0.2:7001"), "5461-16383");
        assert!(SlotMap::parse(&Value::Array(vec![]), "h").is_none());
        assert!(SlotMap::parse(&Value::Int(3), "h").is_none());
    }

    #[test]
    fn a_moved_slot_splits_its_range() {
        let mut map = SlotMap::parse(&reply(), "10.0.0.1").unwrap();
        map.moved(100, "10.0.0.2:7001");
        assert_eq!(map.range_of(99).unwrap().master, "10.0.0.1:7000");
        assert_eq!(map.range_of(100).unwrap().master, "10.0.0.2:7001");
        assert_eq!(map.range_of(101).unwrap().master, "10.0.0.1:7000");
        assert_eq!(map.slots_of("10.0.0.1:7000"), "0-99,101-5460");
    }

    #[test]
    fn a_replica_taking_over_counts_as_a_failover() {
        let old = SlotMap::parse(&reply(), "10.0.0.1").unwrap();
        let mut new = old.clone();
        new.ranges[0].master = "10.0.0.4:7003".into();
        new.ranges[0].replicas.clear();
        assert_eq!(old.failovers_to(&new), 1);
        assert_eq!(old.failovers_to(&old), 0);
    }
}
