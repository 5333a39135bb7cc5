//! The state port. Every state change the service makes is one [`StateOp`]: a
//! serialisable command with a routing key (the destination, or a counter's key).
//!
//! [`apply`] carries out an op over any [`Kv`], and every `Kv` is a [`State`] that
//! does so directly (on Workers KV: fast, eventually consistent). The strict mode sends the op to a
//! Durable Object chosen by the routing key, which calls the same [`apply`] on its
//! own storage; a Durable Object runs one op at a time, so each read-modify-write
//! is atomic and limits hold globally.

use crate::policy::attempts::{record_check, CheckInput, CheckRecord};
use crate::policy::limits::{self, DestinationPolicy, Gate};
use crate::ports::kv::{Kv, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum StateOp {
    ReserveSend {
        destination: String,
        policy: DestinationPolicy,
        now: u64,
    },
    ReleaseCooldown {
        destination: String,
        now: u64,
    },
    DestinationSends {
        destination: String,
        now: u64,
    },
    RecordCheck {
        check: CheckInput,
        now: u64,
    },
    /// Count one event against a capped fixed-window counter.
    Hit {
        key: String,
        limit: u32,
        window: u64,
        now: u64,
    },
    /// Read a counter without counting.
    Count {
        key: String,
        window: u64,
        now: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum StateReply {
    Gate { gate: Gate },
    Check { record: CheckRecord },
    Count { count: u32 },
    Done,
}

impl StateOp {
    /// Ops with the same routing key share one Durable Object in strict mode.
    pub fn routing_key(&self) -> String {
        match self {
            StateOp::ReserveSend { destination, .. }
            | StateOp::ReleaseCooldown { destination, .. }
            | StateOp::DestinationSends { destination, .. } => format!("d:{destination}"),
            StateOp::RecordCheck { check, .. } => format!("d:{}", check.destination),
            StateOp::Hit { key, .. } | StateOp::Count { key, .. } => format!("c:{key}"),
        }
    }
}

/// Carries out one op over `kv`.
pub async fn apply<K: Kv>(kv: &K, op: &StateOp) -> Result<StateReply, StoreError> {
    Ok(match op {
        StateOp::ReserveSend {
            destination,
            policy,
            now,
        } => StateReply::Gate {
            gate: limits::reserve_destination(kv, destination, policy, *now).await?,
        },
        StateOp::ReleaseCooldown { destination, now } => {
            limits::release_cooldown(kv, destination, *now).await?;
            StateReply::Done
        }
        StateOp::DestinationSends { destination, now } => StateReply::Count {
            count: limits::destination_sends_this_hour(kv, destination, *now).await?,
        },
        StateOp::RecordCheck { check, now } => StateReply::Check {
            record: record_check(kv, check, *now).await?,
        },
        StateOp::Hit {
            key,
            limit,
            window,
            now,
        } => StateReply::Gate {
            gate: limits::hit(kv, key, *limit, *window, *now).await?,
        },
        StateOp::Count { key, window, now } => StateReply::Count {
            count: limits::count(kv, key, *window, *now).await?,
        },
    })
}

/// Where ops are carried out.
#[allow(async_fn_in_trait)]
pub trait State {
    async fn run(&self, op: StateOp) -> Result<StateReply, StoreError>;

    async fn gate(&self, op: StateOp) -> Result<Gate, StoreError> {
        match self.run(op).await? {
            StateReply::Gate { gate } => Ok(gate),
            _ => Err(StoreError::Unavailable),
        }
    }

    async fn count(&self, op: StateOp) -> Result<u32, StoreError> {
        match self.run(op).await? {
            StateReply::Count { count } => Ok(count),
            _ => Err(StoreError::Unavailable),
        }
    }

    async fn check(&self, check: CheckInput, now: u64) -> Result<CheckRecord, StoreError> {
        match self.run(StateOp::RecordCheck { check, now }).await? {
            StateReply::Check { record } => Ok(record),
            _ => Err(StoreError::Unavailable),
        }
    }
}

/// The default mode: any key-value store carries out ops itself (on Workers KV:
/// fast, with per-location guarantees).
impl<K: Kv> State for K {
    async fn run(&self, op: StateOp) -> Result<StateReply, StoreError> {
        apply(self, &op).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_round_trip_as_json_and_route_by_owner() {
        let op = StateOp::Hit {
            key: "ip:abc".into(),
            limit: 10,
            window: 3600,
            now: 1,
        };
        let text = serde_json::to_string(&op).unwrap();
        assert_eq!(serde_json::from_str::<StateOp>(&text).unwrap(), op);
        assert_eq!(op.routing_key(), "c:ip:abc");
        let release = StateOp::ReleaseCooldown {
            destination: "xyz".into(),
            now: 1,
        };
        assert_eq!(release.routing_key(), "d:xyz");
        let reply = StateReply::Gate {
            gate: Gate::Closed { retry_after: 5 },
        };
        let text = serde_json::to_string(&reply).unwrap();
        assert_eq!(
            text,
            r#"{"reply":"gate","gate":{"gate":"closed","retry_after":5}}"#
        );
        assert_eq!(serde_json::from_str::<StateReply>(&text).unwrap(), reply);
    }
}

/// What each mode guarantees when two Cloudflare locations see the same code: KV
/// replicates slowly, so a second location may read a record from before the first
/// location's write; a Durable Object is one place that every location talks to.
#[cfg(test)]
mod consistency {
    use super::*;
    use crate::policy::attempts::FailureBudget;
    use crate::ports::kv::memory::{block_on, MemoryKv};
    use std::collections::HashMap;

    /// Another location's view of KV: writes reach the shared store, reads come from
    /// a snapshot taken before (as within KV's propagation delay).
    struct LaggingLocation<'a> {
        shared: &'a MemoryKv,
        snapshot: HashMap<String, String>,
    }

    impl<'a> LaggingLocation<'a> {
        fn new(shared: &'a MemoryKv) -> Self {
            let snapshot = shared
                .entries
                .borrow()
                .iter()
                .map(|(k, (v, _))| (k.clone(), v.clone()))
                .collect();
            LaggingLocation { shared, snapshot }
        }
    }

    impl Kv for LaggingLocation<'_> {
        async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
            Ok(self.snapshot.get(key).cloned())
        }
        async fn put(&self, key: &str, value: &str, ttl: u64) -> Result<(), StoreError> {
            self.shared.put(key, value, ttl).await
        }
        async fn delete(&self, key: &str) -> Result<(), StoreError> {
            self.shared.delete(key).await
        }
    }

    const T0: u64 = 1_700_000_000;

    fn check(matched: bool) -> StateOp {
        StateOp::RecordCheck {
            check: CheckInput {
                destination: "d".into(),
                jti: "j".into(),
                matched,
                max_attempts: 5,
                expires_at: T0 + 600,
                budget: FailureBudget {
                    limit: 20,
                    window: 86_400,
                },
            },
            now: T0,
        }
    }

    fn record(state: &impl State, matched: bool) -> CheckRecord {
        match block_on(state.run(check(matched))) {
            Ok(StateReply::Check { record }) => record,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn kv_mode_can_approve_twice_across_locations() {
        let shared = MemoryKv::default();
        let far_away = LaggingLocation::new(&shared);
        assert_eq!(record(&shared, true), CheckRecord::Approved);
        assert_eq!(
            record(&far_away, true),
            CheckRecord::Approved,
            "the stale read misses the marker"
        );
        assert_eq!(
            record(&shared, true),
            CheckRecord::AlreadyUsed,
            "once replicated, single use holds"
        );
    }

    #[test]
    fn kv_mode_gives_each_location_its_own_attempts() {
        let shared = MemoryKv::default();
        let locations: Vec<_> = (0..3).map(|_| LaggingLocation::new(&shared)).collect();
        let evaluated = locations
            .iter()
            .filter(|l| matches!(record(*l, false), CheckRecord::Wrong { .. }))
            .count();
        assert_eq!(evaluated, 3, "every location read 0 failures");
    }

    #[test]
    fn one_object_serialises_every_location() {
        // In durable mode every location's op reaches the same object and storage.
        let object = MemoryKv::default();
        assert_eq!(record(&object, true), CheckRecord::Approved);
        assert_eq!(record(&object, true), CheckRecord::AlreadyUsed);
        let object = MemoryKv::default();
        let answers: Vec<_> = (0..7).map(|_| record(&object, false)).collect();
        assert_eq!(
            answers
                .iter()
                .filter(|r| matches!(r, CheckRecord::Wrong { .. }))
                .count(),
            4
        );
        assert_eq!(answers[4..], [CheckRecord::Exhausted; 3]);
    }
}
