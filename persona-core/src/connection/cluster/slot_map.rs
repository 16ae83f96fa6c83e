//! Which node serves which hash slots, as `CLUSTER NODES` reports it.

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
    /// Parses a `CLUSTER NODES` reply (not `CLUSTER SLOTS`: Redis 7.0
    /// leaves a replica out of that until it has replicated something, so a
    /// fresh cluster's map would have no replicas and a failover to one
    /// would not be recognised). `asked` is the host of the node that
    /// answered: a node that does not know its own address reports none.
    /// Replicas marked failed are left out; masters are kept whatever their
    /// state (their slots must still map somewhere).
    pub(crate) fn parse_nodes(text: &str, asked: &str) -> Option<SlotMap> {
        struct Line<'a> {
            id: &'a str,
            addr: String,
            master_of: Option<&'a str>,
            failed: bool,
            slots: Vec<(u16, u16)>,
        }
        let mut lines = Vec::new();
        for line in text.lines() {
            let fields: Vec<&str> = line.split_ascii_whitespace().collect();
            if fields.len() < 8 {
                continue;
            }
            let flags: Vec<&str> = fields[2].split(',').collect();
            if flags.iter().any(|f| matches!(*f, "noaddr" | "handshake")) {
                continue;
            }
            // ip:port@cport[,hostname]
            let endpoint = fields[1].split(['@', ',']).next().unwrap_or("");
            let Some((host, port)) = endpoint.rsplit_once(':') else {
                continue;
            };
            let Ok(port) = port.parse::<u16>() else {
                continue;
            };
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let host = if host.is_empty() || host == "?" {
                asked
            } else {
                host
            };
            let mut slots = Vec::new();
            for spec in &fields[8..] {
                // "[slot->-id]" / "[slot-<-id]": a migration, not ownership.
                if spec.starts_with('[') {
                    continue;
                }
                let (a, b) = spec.split_once('-').unwrap_or((spec, spec));
                match (a.parse::<u16>(), b.parse::<u16>()) {
                    (Ok(a), Ok(b)) if a <= b && b < crate::route::SLOTS => slots.push((a, b)),
                    _ => return None,
                }
            }
            lines.push(Line {
                id: fields[0],
                addr: format!("{host}:{port}"),
                master_of: (fields[3] != "-").then_some(fields[3]),
                failed: flags.iter().any(|f| matches!(*f, "fail" | "fail?")),
                slots,
            });
        }
        let mut ranges = Vec::new();
        for master in lines.iter().filter(|l| !l.slots.is_empty()) {
            let replicas: Vec<String> = lines
                .iter()
                .filter(|l| l.master_of == Some(master.id) && !l.failed)
                .map(|l| l.addr.clone())
                .collect();
            for (start, end) in &master.slots {
                ranges.push(SlotRange {
                    start: *start,
                    end: *end,
                    master: master.addr.clone(),
                    replicas: replicas.clone(),
                });
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    const NODES: &str = "\
07c3 10.0.0.2:7001@17001 master - 0 1 2 connected 5461-16383
67ed :7000@17000 myself,master - 0 0 1 connected 0-5460 [5460->-07c3]
292f 10.0.0.4:7003@17003,host4 slave 67ed 0 1 1 connected
e7d1 10.0.0.5:7004@17004 slave 07c3 0 1 2 connected
8c2a 10.0.0.6:7005@17005 slave,fail 07c3 0 1 2 disconnected
";

    fn reply() -> &'static str {
        NODES
    }

    #[test]
    fn cluster_nodes_parse_into_sorted_ranges() {
        let map = SlotMap::parse_nodes(reply(), "10.0.0.1").unwrap();
        assert_eq!(
            map.ranges[0].master, "10.0.0.1:7000",
            "an empty host is the one asked"
        );
        assert_eq!(map.range_of(0).unwrap().master, "10.0.0.1:7000");
        assert_eq!(map.range_of(0).unwrap().replicas, vec!["10.0.0.4:7003"]);
        assert_eq!(map.range_of(5461).unwrap().master, "10.0.0.2:7001");
        assert_eq!(
            map.range_of(16383).unwrap().replicas,
            vec!["10.0.0.5:7004"],
            "a failed replica is left out"
        );
        assert_eq!(map.masters(), vec!["10.0.0.1:7000", "10.0.0.2:7001"]);
        assert_eq!(map.slots_of("10.0.0.2:7001"), "5461-16383");
        assert!(SlotMap::parse_nodes("", "h").is_none());
        assert!(SlotMap::parse_nodes("garbage", "h").is_none());
        assert!(SlotMap::parse_nodes("a h:1@2 master - 0 0 1 connected 9-x", "h").is_none());
    }

    #[test]
    fn a_moved_slot_splits_its_range() {
        let mut map = SlotMap::parse_nodes(reply(), "10.0.0.1").unwrap();
        map.moved(100, "10.0.0.2:7001");
        assert_eq!(map.range_of(99).unwrap().master, "10.0.0.1:7000");
        assert_eq!(map.range_of(100).unwrap().master, "10.0.0.2:7001");
        assert_eq!(map.range_of(101).unwrap().master, "10.0.0.1:7000");
        assert_eq!(map.slots_of("10.0.0.1:7000"), "0-99,101-5460");
    }

    #[test]
    fn a_replica_taking_over_counts_as_a_failover() {
        let old = SlotMap::parse_nodes(reply(), "10.0.0.1").unwrap();
        let mut new = old.clone();
        new.ranges[0].master = "10.0.0.4:7003".into();
        new.ranges[0].replicas.clear();
        assert_eq!(old.failovers_to(&new), 1);
        assert_eq!(old.failovers_to(&old), 0);
    }
}
