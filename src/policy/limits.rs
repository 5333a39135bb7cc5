//! Send limits as fixed windows aligned to the clock: per destination a resend
//! cooldown and hourly/daily caps (kept in the destination's record, see
//! [`crate::policy::record`]), and capped counters for the per-IP bucket.
//!
//! Sends are reserved before delivery (so no code leaves without its record) and a
//! failed delivery gives the cooldown back (the sender may retry at once); the caps
//! keep counting failed attempts, which bounds what a failing provider can cost. A
//! destination whose failure budget is spent (see [`crate::policy::attempts`]) gets no new
//! code until its window passes.

use crate::core::json::{need, FromMembers, Malformed, Members};
use crate::policy::attempts::FailureBudget;
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

pub const HOUR: u64 = 3600;
pub const DAY: u64 = 86_400;

/// The per-destination part of the send policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DestinationPolicy {
    /// Seconds between two sends to one destination.
    pub cooldown: u64,
    pub per_hour: u32,
    pub per_day: u32,
    pub failure_budget: FailureBudget,
}

/// A fixed window: `start` is a multiple of the window length.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    start: u64,
    count: u32,
}

/// Written by hand for its count, written as a `u64`: serde_json keeps an integer
/// writer for each width it writes, and the module writes only `u64`s.
impl Serialize for Window {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut window = serializer.serialize_struct("Window", 2)?;
        window.serialize_field("start", &self.start)?;
        window.serialize_field("count", &u64::from(self.count))?;
        window.end()
    }
}

impl FromMembers for Window {
    fn read(m: &mut Members) -> Result<Window, Malformed> {
        Ok(Window {
            start: need(m.unsigned("start")?)?,
            count: need(m.count("count")?)?,
        })
    }
}

impl Window {
    pub fn count_at(self, now: u64, length: u64) -> u32 {
        if self.start == now - now % length {
            self.count
        } else {
            0
        }
    }

    pub fn add(self, now: u64, length: u64) -> Window {
        self.add_many(1, now, length)
    }

    pub fn add_many(self, n: u32, now: u64, length: u64) -> Window {
        Window {
            start: now - now % length,
            count: self.count_at(now, length) + n,
        }
    }

    /// Takes back one count of the current window (a send that never happened).
    pub fn remove(self, now: u64, length: u64) -> Window {
        Window {
            start: now - now % length,
            count: self.count_at(now, length).saturating_sub(1),
        }
    }

    /// Seconds until the window containing `now` ends.
    pub fn remaining(now: u64, length: u64) -> u64 {
        length - now % length
    }

    /// Counts one event against `limit`; nothing is counted when the limit is
    /// reached, or when adaptive captcha asks for a token first.
    pub fn hit(&mut self, limit: u32, length: u64, captcha: Option<CaptchaRule>, now: u64) -> Gate {
        let count = self.count_at(now, length);
        if count >= limit {
            return Gate::Closed {
                retry_after: Window::remaining(now, length),
            };
        }
        if CaptchaRule::demands(captcha, count) {
            return Gate::Captcha;
        }
        *self = self.add(now, length);
        Gate::Open
    }
}

/// Adaptive captcha as a state op sees it: past `threshold` sends this hour a send
/// needs a verified token (`passed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptchaRule {
    pub threshold: u32,
    pub passed: bool,
}

impl CaptchaRule {
    /// Whether `sends` already made this hour call for a token that was not given.
    pub fn demands(rule: Option<CaptchaRule>, sends: u32) -> bool {
        rule.is_some_and(|r| !r.passed && sends >= r.threshold)
    }
}

/// Whether a send may go now, in how many seconds, or only with a captcha.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    Closed {
        retry_after: u64,
    },
    /// Adaptive captcha: this send needs a verified token; nothing was counted.
    Captcha,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::record::DestinationRecord;
    use crate::policy::state::{apply, StateOp, StateReply};
    use crate::policy::stored;
    use crate::ports::kv::memory::{block_on, MemoryKv};
    use crate::ports::kv::Kv;
    use crate::ports::kv::StoreError;

    pub const POLICY: DestinationPolicy = DestinationPolicy {
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

    fn send_op(dest: &str, now: u64) -> StateOp {
        StateOp::Send {
            destination: dest.into(),
            policy: POLICY,
            code: format!("code-{now}"),
            expires_at: now + 600,
            captcha: None,
            now,
        }
    }

    fn gate(kv: &MemoryKv, op: StateOp) -> Result<Gate, StoreError> {
        match block_on(apply(kv, &op))? {
            StateReply::Gate { gate } => Ok(gate),
            other => panic!("{other:?}"),
        }
    }

    fn reserve(kv: &MemoryKv, dest: &str, now: u64) -> Gate {
        gate(kv, send_op(dest, now)).unwrap()
    }

    fn hit_op(ip: &str, now: u64) -> StateOp {
        StateOp::Hit {
            key: ip.into(),
            limit: 10,
            window: HOUR,
            captcha: None,
            now,
        }
    }

    fn hit_ip(kv: &MemoryKv, ip: &str, now: u64) -> Gate {
        gate(kv, hit_op(ip, now)).unwrap()
    }

    fn count(kv: &MemoryKv, ip: &str, now: u64) -> u32 {
        let w: Window =
            stored::read(block_on(kv.get(&format!("c:{ip}"))).unwrap()).unwrap_or_default();
        w.count_at(now, HOUR)
    }

    fn sends_this_hour(kv: &MemoryKv, dest: &str, now: u64) -> u32 {
        let r: DestinationRecord =
            stored::read(block_on(kv.get(&format!("d:{dest}"))).unwrap()).unwrap_or_default();
        r.sends_this_hour(now)
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
        assert_eq!(count(&kv, "ip", hour_end - 1), 10);
        assert_eq!(hit_ip(&kv, "ip", hour_end), Gate::Open);
        assert_eq!(count(&kv, "ip", hour_end), 1);
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
        assert_eq!(sends_this_hour(&kv, "d", now), 15);
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
    fn release_gives_back_the_cooldown_and_uncounts_only_when_asked() {
        let kv = MemoryKv::default();
        let release = |now, uncount| StateOp::Release {
            destination: "d".into(),
            policy: POLICY,
            code: format!("code-{now}"),
            uncount,
            now,
        };
        assert_eq!(reserve(&kv, "d", T0), Gate::Open);
        block_on(apply(&kv, &release(T0, false))).unwrap();
        assert_eq!(reserve(&kv, "d", T0 + 1), Gate::Open);
        assert_eq!(
            sends_this_hour(&kv, "d", T0 + 1),
            2,
            "caps count every attempt"
        );
        block_on(apply(&kv, &release(T0 + 1, true))).unwrap();
        assert_eq!(
            sends_this_hour(&kv, "d", T0 + 1),
            1,
            "a send that never happened"
        );
        assert_eq!(reserve(&kv, "d", T0 + 2), Gate::Open);
    }

    #[test]
    fn adaptive_captcha_counts_nothing_until_passed() {
        let kv = MemoryKv::default();
        let rule = |passed| {
            Some(CaptchaRule {
                threshold: 1,
                passed,
            })
        };
        let send = |now, passed| StateOp::Send {
            destination: "d".into(),
            policy: POLICY,
            code: format!("code-{now}"),
            expires_at: now + 600,
            captcha: rule(passed),
            now,
        };
        assert_eq!(gate(&kv, send(T0, false)), Ok(Gate::Open));
        assert_eq!(gate(&kv, send(T0 + 60, false)), Ok(Gate::Captcha));
        assert_eq!(sends_this_hour(&kv, "d", T0 + 60), 1);
        assert_eq!(gate(&kv, send(T0 + 60, true)), Ok(Gate::Open));
        let hit = |passed| StateOp::Hit {
            key: "ip".into(),
            limit: 10,
            window: HOUR,
            captcha: rule(passed),
            now: T0,
        };
        assert_eq!(gate(&kv, hit(false)), Ok(Gate::Open));
        assert_eq!(gate(&kv, hit(false)), Ok(Gate::Captcha));
        assert_eq!(count(&kv, "ip", T0), 1);
        assert_eq!(gate(&kv, hit(true)), Ok(Gate::Open));
    }

    #[test]
    fn one_read_and_one_write_per_op_and_none_when_closed() {
        let kv = MemoryKv::default();
        assert_eq!(reserve(&kv, "d", T0), Gate::Open);
        assert_eq!((kv.reads.get(), kv.writes.get()), (1, 1));
        assert!(matches!(reserve(&kv, "d", T0 + 1), Gate::Closed { .. }));
        assert_eq!((kv.reads.get(), kv.writes.get()), (2, 1));
        kv.fail_writes.set(Some(StoreError::Busy));
        assert_eq!(gate(&kv, send_op("e", T0)), Err(StoreError::Busy));
        assert_eq!(gate(&kv, hit_op("ip", T0)), Err(StoreError::Busy));
    }
}
