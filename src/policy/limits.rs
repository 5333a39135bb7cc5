//! Send limits as fixed windows aligned to the clock: per destination a resend
//! cooldown and hourly/daily caps (one record, `rl:dest:{destination}`), and generic
//! counters (`ctr:{key}`) for per-IP, per-calling-code, per-prefix and global caps.
//!
//! Sends are reserved before delivery (so no code leaves without its record) and a
//! failed delivery gives the cooldown back (the sender may retry at once); the caps
//! keep counting failed attempts, which bounds what a failing provider can cost. A
//! destination whose failure budget is spent (see [`crate::policy::attempts`]) gets no new
//! code until its window passes.

use crate::policy::attempts::{failures_key, FailureBudget, FailureRecord};
use crate::ports::kv::{get_json, join, put_json, Kv, StoreError};
use serde::{Deserialize, Serialize};

pub const HOUR: u64 = 3600;
pub const DAY: u64 = 86_400;

/// The per-destination part of the send policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationPolicy {
    /// Seconds between two sends to one destination.
    pub cooldown: u64,
    pub per_hour: u32,
    pub per_day: u32,
    pub failure_budget: FailureBudget,
}

/// A fixed window: `start` is a multiple of the window length.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    start: u64,
    count: u32,
}

impl Window {
    fn count_at(self, now: u64, length: u64) -> u32 {
        if self.start == now - now % length {
            self.count
        } else {
            0
        }
    }

    fn add(self, now: u64, length: u64) -> Window {
        Window {
            start: now - now % length,
            count: self.count_at(now, length) + 1,
        }
    }

    /// Seconds until the window containing `now` ends.
    pub fn remaining(now: u64, length: u64) -> u64 {
        length - now % length
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationRecord {
    /// No send before this instant.
    cooldown_until: u64,
    hour: Window,
    day: Window,
}

/// Whether a send may go now, or in how many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "gate", rename_all = "snake_case")]
pub enum Gate {
    Open,
    Closed { retry_after: u64 },
}

/// The pure decision: the longest wait among the limits that are reached.
pub fn evaluate(
    destination: &DestinationRecord,
    failures: &FailureRecord,
    policy: &DestinationPolicy,
    now: u64,
) -> Gate {
    let waits = [
        (destination.cooldown_until > now).then(|| destination.cooldown_until - now),
        (destination.hour.count_at(now, HOUR) >= policy.per_hour)
            .then(|| Window::remaining(now, HOUR)),
        (destination.day.count_at(now, DAY) >= policy.per_day).then(|| Window::remaining(now, DAY)),
        failures.locked_for(&policy.failure_budget, now),
    ];
    match waits.into_iter().flatten().max() {
        Some(retry_after) => Gate::Closed { retry_after },
        None => Gate::Open,
    }
}

fn destination_key(destination: &str) -> String {
    format!("rl:dest:{destination}")
}

fn counter_key(key: &str) -> String {
    format!("ctr:{key}")
}

/// Checks the destination's limits and, if they allow it, records the send.
pub async fn reserve_destination<K: Kv>(
    kv: &K,
    destination: &str,
    policy: &DestinationPolicy,
    now: u64,
) -> Result<Gate, StoreError> {
    let key = destination_key(destination);
    let (record, failures) =
        join(get_json(kv, &key), get_json(kv, &failures_key(destination))).await;
    let record: DestinationRecord = record?.unwrap_or_default();
    let failures: FailureRecord = failures?.unwrap_or_default();
    let gate = evaluate(&record, &failures, policy, now);
    if gate == Gate::Open {
        let record = DestinationRecord {
            cooldown_until: now + policy.cooldown,
            hour: record.hour.add(now, HOUR),
            day: record.day.add(now, DAY),
        };
        put_json(
            kv,
            &key,
            &record,
            Window::remaining(now, DAY).max(policy.cooldown),
        )
        .await?;
    }
    Ok(gate)
}

/// Sends to the destination in the current clock hour (adaptive captcha).
pub async fn destination_sends_this_hour<K: Kv>(
    kv: &K,
    destination: &str,
    now: u64,
) -> Result<u32, StoreError> {
    let record: Option<DestinationRecord> = get_json(kv, &destination_key(destination)).await?;
    Ok(record.map_or(0, |r| r.hour.count_at(now, HOUR)))
}

/// Gives back the cooldown of a send that no provider delivered.
pub async fn release_cooldown<K: Kv>(
    kv: &K,
    destination: &str,
    now: u64,
) -> Result<(), StoreError> {
    let key = destination_key(destination);
    if let Some(record) = get_json::<_, DestinationRecord>(kv, &key).await? {
        let record = DestinationRecord {
            cooldown_until: now,
            ..record
        };
        put_json(kv, &key, &record, Window::remaining(now, DAY)).await?;
    }
    Ok(())
}

/// Counts one event against `limit` per aligned `window`; nothing is counted when
/// the limit is already reached.
pub async fn hit<K: Kv>(
    kv: &K,
    key: &str,
    limit: u32,
    window: u64,
    now: u64,
) -> Result<Gate, StoreError> {
    let key = counter_key(key);
    let current: Window = get_json(kv, &key).await?.unwrap_or_default();
    if current.count_at(now, window) >= limit {
        return Ok(Gate::Closed {
            retry_after: Window::remaining(now, window),
        });
    }
    put_json(
        kv,
        &key,
        &current.add(now, window),
        Window::remaining(now, window),
    )
    .await?;
    Ok(Gate::Open)
}

/// The count of a [`hit`] counter in the current window.
pub async fn count<K: Kv>(kv: &K, key: &str, window: u64, now: u64) -> Result<u32, StoreError> {
    let current: Option<Window> = get_json(kv, &counter_key(key)).await?;
    Ok(current.map_or(0, |w| w.count_at(now, window)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::kv::memory::{block_on, MemoryKv};

    const POLICY: DestinationPolicy = DestinationPolicy {
        cooldown: 60,
        per_hour: 15,
        per_day: 60,
        failure_budget: FailureBudget {
            limit: 20,
            window: DAY,
        },
    };
    /// 2023-11-14T22:13:20Z, a multiple of neither an hour nor a day.
    const T0: u64 = 1_700_000_000;

    fn reserve(kv: &MemoryKv, dest: &str, now: u64) -> Gate {
        block_on(reserve_destination(kv, dest, &POLICY, now)).unwrap()
    }

    fn hit_ip(kv: &MemoryKv, ip: &str, now: u64) -> Gate {
        block_on(hit(kv, ip, 10, HOUR, now)).unwrap()
    }

    #[test]
    fn cooldown_edges() {
        let kv = MemoryKv::default();
        assert_eq!(reserve(&kv, "d", T0), Gate::Open);
        assert_eq!(reserve(&kv, "d", T0 + 1), Gate::Closed { retry_after: 59 });
        assert_eq!(reserve(&kv, "d", T0 + 59), Gate::Closed { retry_after: 1 });
        assert_eq!(reserve(&kv, "d", T0 + 60), Gate::Open);
    }

    #[test]
    fn counter_per_clock_hour() {
        let kv = MemoryKv::default();
        let hour_end = T0 - T0 % HOUR + HOUR;
        for i in 0..10 {
            assert_eq!(hit_ip(&kv, "ip", T0), Gate::Open, "hit {i}");
        }
        assert_eq!(
            hit_ip(&kv, "ip", T0),
            Gate::Closed {
                retry_after: hour_end - T0
            }
        );
        assert_eq!(
            hit_ip(&kv, "ip", hour_end - 1),
            Gate::Closed { retry_after: 1 }
        );
        assert_eq!(block_on(count(&kv, "ip", HOUR, hour_end - 1)), Ok(10));
        assert_eq!(hit_ip(&kv, "ip", hour_end), Gate::Open);
        assert_eq!(block_on(count(&kv, "ip", HOUR, hour_end)), Ok(1));
        assert_eq!(hit_ip(&kv, "other-ip", T0), Gate::Open);
    }

    #[test]
    fn destination_hourly_and_daily_caps() {
        let kv = MemoryKv::default();
        let day_start = T0 - T0 % DAY;
        let mut now = day_start;
        let mut sent = 0;
        // 15 per hour: the 16th in the same hour waits for the hour to end.
        while sent < 15 {
            assert_eq!(reserve(&kv, "d", now), Gate::Open);
            sent += 1;
            now += 60;
        }
        assert_eq!(block_on(destination_sends_this_hour(&kv, "d", now)), Ok(15));
        assert_eq!(
            reserve(&kv, "d", now),
            Gate::Closed {
                retry_after: HOUR - now % HOUR
            }
        );
        // Fill the day: 60 in all, then closed until midnight UTC.
        now = day_start + HOUR;
        while sent < 60 {
            if reserve(&kv, "d", now) == Gate::Open {
                sent += 1;
            }
            now += 60;
        }
        assert_eq!(
            reserve(&kv, "d", now),
            Gate::Closed {
                retry_after: day_start + DAY - now
            }
        );
        assert_eq!(
            reserve(&kv, "d", day_start + DAY - 1),
            Gate::Closed { retry_after: 1 }
        );
        assert_eq!(reserve(&kv, "d", day_start + DAY), Gate::Open);
    }

    #[test]
    fn release_gives_back_only_the_cooldown() {
        let kv = MemoryKv::default();
        assert_eq!(reserve(&kv, "d", T0), Gate::Open);
        block_on(release_cooldown(&kv, "d", T0)).unwrap();
        assert_eq!(reserve(&kv, "d", T0 + 1), Gate::Open);
        assert_eq!(
            block_on(destination_sends_this_hour(&kv, "d", T0 + 1)),
            Ok(2),
            "caps count every attempt"
        );
    }

    #[test]
    fn nothing_recorded_when_closed_and_store_errors_surface() {
        let kv = MemoryKv::default();
        assert_eq!(reserve(&kv, "d", T0), Gate::Open);
        let writes = kv.writes.get();
        assert!(matches!(reserve(&kv, "d", T0 + 1), Gate::Closed { .. }));
        assert_eq!(kv.writes.get(), writes);
        kv.fail_writes.set(Some(StoreError::Busy));
        assert_eq!(
            block_on(reserve_destination(&kv, "e", &POLICY, T0)),
            Err(StoreError::Busy)
        );
        assert_eq!(
            block_on(hit(&kv, "ip", 10, HOUR, T0)),
            Err(StoreError::Busy)
        );
    }
}
