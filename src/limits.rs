//! Send limits: a per-destination resend cooldown, per-destination hourly and daily
//! caps, and a per-IP hourly cap, as fixed windows aligned to the clock.
//!
//! Sends are reserved before delivery (so no code leaves without its record) and a
//! failed delivery gives the cooldown back (the sender may retry at once); the caps
//! keep counting failed attempts, which bounds what a failing provider can cost.

use crate::store::{get_json, join, put_json, Kv, StoreError};
use serde::{Deserialize, Serialize};

pub const HOUR: u64 = 3600;
pub const DAY: u64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimits {
    /// Seconds between two sends to one destination.
    pub cooldown: u64,
    pub destination_per_hour: u32,
    pub destination_per_day: u32,
    pub ip_per_hour: u32,
}

/// A fixed window: `start` is a multiple of the window length.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Window {
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
    fn remaining(now: u64, length: u64) -> u64 {
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpRecord {
    hour: Window,
}

/// Whether a send may go now, or in how many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    Closed { retry_after: u64 },
}

/// The pure decision: the longest wait among the limits that are reached.
pub fn evaluate(
    destination: &DestinationRecord,
    ip: &IpRecord,
    limits: &SendLimits,
    now: u64,
) -> Gate {
    let waits = [
        (destination.cooldown_until > now).then(|| destination.cooldown_until - now),
        (destination.hour.count_at(now, HOUR) >= limits.destination_per_hour)
            .then(|| Window::remaining(now, HOUR)),
        (destination.day.count_at(now, DAY) >= limits.destination_per_day)
            .then(|| Window::remaining(now, DAY)),
        (ip.hour.count_at(now, HOUR) >= limits.ip_per_hour).then(|| Window::remaining(now, HOUR)),
    ];
    match waits.into_iter().flatten().max() {
        Some(retry_after) => Gate::Closed { retry_after },
        None => Gate::Open,
    }
}

fn destination_key(destination_id: &str) -> String {
    format!("rl:dest:{destination_id}")
}

fn ip_key(ip_id: &str) -> String {
    format!("rl:ip:{ip_id}")
}

/// Checks every limit and, if all allow it, records the send. The records are
/// written before the caller delivers anything.
pub async fn reserve_send<K: Kv>(
    kv: &K,
    destination_id: &str,
    ip_id: &str,
    limits: &SendLimits,
    now: u64,
) -> Result<Gate, StoreError> {
    let (dest_key, ip_key) = (destination_key(destination_id), ip_key(ip_id));
    let (destination, ip) = join(get_json(kv, &dest_key), get_json(kv, &ip_key)).await;
    let destination: DestinationRecord = destination?.unwrap_or_default();
    let ip: IpRecord = ip?.unwrap_or_default();
    let gate = evaluate(&destination, &ip, limits, now);
    if gate != Gate::Open {
        return Ok(gate);
    }
    let destination = DestinationRecord {
        cooldown_until: now + limits.cooldown,
        hour: destination.hour.add(now, HOUR),
        day: destination.day.add(now, DAY),
    };
    let ip = IpRecord {
        hour: ip.hour.add(now, HOUR),
    };
    let destination_ttl = Window::remaining(now, DAY).max(limits.cooldown);
    let (written_destination, written_ip) = join(
        put_json(kv, &dest_key, &destination, destination_ttl),
        put_json(kv, &ip_key, &ip, Window::remaining(now, HOUR)),
    )
    .await;
    written_destination?;
    written_ip?;
    Ok(Gate::Open)
}

/// Gives back the cooldown of a send that no provider delivered.
pub async fn release_cooldown<K: Kv>(
    kv: &K,
    destination_id: &str,
    now: u64,
) -> Result<(), StoreError> {
    let key = destination_key(destination_id);
    if let Some(record) = get_json::<_, DestinationRecord>(kv, &key).await? {
        let record = DestinationRecord {
            cooldown_until: now,
            ..record
        };
        put_json(kv, &key, &record, Window::remaining(now, DAY)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::{block_on, MemoryKv};

    const LIMITS: SendLimits = SendLimits {
        cooldown: 60,
        destination_per_hour: 15,
        destination_per_day: 60,
        ip_per_hour: 10,
    };
    /// 2023-11-14T22:13:20Z, a multiple of neither an hour nor a day.
    const T0: u64 = 1_700_000_000;

    fn reserve(kv: &MemoryKv, dest: &str, ip: &str, now: u64) -> Gate {
        block_on(reserve_send(kv, dest, ip, &LIMITS, now)).unwrap()
    }

    #[test]
    fn cooldown_edges() {
        let kv = MemoryKv::default();
        assert_eq!(reserve(&kv, "d", "ip1", T0), Gate::Open);
        assert_eq!(
            reserve(&kv, "d", "ip2", T0 + 1),
            Gate::Closed { retry_after: 59 }
        );
        assert_eq!(
            reserve(&kv, "d", "ip2", T0 + 59),
            Gate::Closed { retry_after: 1 }
        );
        assert_eq!(reserve(&kv, "d", "ip2", T0 + 60), Gate::Open);
    }

    #[test]
    fn ip_cap_per_clock_hour() {
        let kv = MemoryKv::default();
        let hour_end = T0 - T0 % HOUR + HOUR;
        for i in 0..10 {
            assert_eq!(
                reserve(&kv, &format!("d{i}"), "ip", T0),
                Gate::Open,
                "send {i}"
            );
        }
        assert_eq!(
            reserve(&kv, "d10", "ip", T0),
            Gate::Closed {
                retry_after: hour_end - T0
            }
        );
        assert_eq!(
            reserve(&kv, "d10", "ip", hour_end - 1),
            Gate::Closed { retry_after: 1 }
        );
        assert_eq!(reserve(&kv, "d10", "ip", hour_end), Gate::Open);
        assert_eq!(reserve(&kv, "d11", "other-ip", T0), Gate::Open);
    }

    #[test]
    fn destination_hourly_and_daily_caps() {
        let kv = MemoryKv::default();
        let day_start = T0 - T0 % DAY;
        let mut now = day_start;
        let mut sent = 0;
        // 15 per hour: the 16th in the same hour waits for the hour to end.
        while sent < 15 {
            assert_eq!(reserve(&kv, "d", &format!("ip{sent}"), now), Gate::Open);
            sent += 1;
            now += 60;
        }
        assert_eq!(
            reserve(&kv, "d", "ipx", now),
            Gate::Closed {
                retry_after: HOUR - now % HOUR
            }
        );
        // Fill the day: 60 in all, then closed until midnight UTC.
        now = day_start + HOUR;
        while sent < 60 {
            if reserve(&kv, "d", &format!("ip{sent}"), now) == Gate::Open {
                sent += 1;
            }
            now += 60;
        }
        assert_eq!(
            reserve(&kv, "d", "ipy", now),
            Gate::Closed {
                retry_after: day_start + DAY - now
            }
        );
        assert_eq!(
            reserve(&kv, "d", "ipy", day_start + DAY - 1),
            Gate::Closed { retry_after: 1 }
        );
        assert_eq!(reserve(&kv, "d", "ipy", day_start + DAY), Gate::Open);
    }

    #[test]
    fn release_gives_back_only_the_cooldown() {
        let kv = MemoryKv::default();
        assert_eq!(reserve(&kv, "d", "ip", T0), Gate::Open);
        block_on(release_cooldown(&kv, "d", T0)).unwrap();
        assert_eq!(reserve(&kv, "d", "ip", T0 + 1), Gate::Open);
        let record: DestinationRecord = block_on(get_json(&kv, "rl:dest:d")).unwrap().unwrap();
        assert_eq!(record.hour.count, 2, "caps count every attempt");
    }

    #[test]
    fn nothing_recorded_when_closed_and_store_errors_surface() {
        let kv = MemoryKv::default();
        assert_eq!(reserve(&kv, "d", "ip", T0), Gate::Open);
        let writes = kv.writes.get();
        assert!(matches!(
            reserve(&kv, "d", "ip", T0 + 1),
            Gate::Closed { .. }
        ));
        assert_eq!(kv.writes.get(), writes);
        kv.fail_writes.set(Some(StoreError::Busy));
        assert_eq!(
            block_on(reserve_send(&kv, "e", "ip", &LIMITS, T0)),
            Err(StoreError::Busy)
        );
    }
}
