//! One record per destination: its resend cooldown, hourly and daily send counts,
//! failure budget, and the attempts and consumed marker of each of its live codes.
//! A send reads and writes it once, a check reads and writes it once (nothing is
//! written when nothing changed). Its key is an HMAC of the canonical destination.
//!
//! Everything here is pure: [`crate::policy::state::apply`] loads the record, calls
//! one of these methods and stores the result, in KV or in the destination's
//! Durable Object.

use crate::core::json::{need, FromMembers, Malformed, Members};
use crate::policy::attempts::{CheckInput, CheckRecord, CodeStatus, FailureRecord};
use crate::policy::limits::{CaptchaRule, DestinationPolicy, Gate, Window, DAY, HOUR};
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

/// The state of one code sent to the destination, until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeState {
    /// base64url of the verification's jti.
    id: String,
    /// Wrong codes submitted so far.
    failed: u32,
    consumed: bool,
    expires_at: u64,
    /// Absent in records written before cancellation existed.
    canceled: bool,
}

/// Written by hand for its count, written as a `u64`: serde_json keeps an integer
/// writer for each width it writes, and the module writes only `u64`s.
impl Serialize for CodeState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut code = serializer.serialize_struct("CodeState", 5)?;
        code.serialize_field("id", &self.id)?;
        code.serialize_field("failed", &u64::from(self.failed))?;
        code.serialize_field("consumed", &self.consumed)?;
        code.serialize_field("expires_at", &self.expires_at)?;
        code.serialize_field("canceled", &self.canceled)?;
        code.end()
    }
}

impl FromMembers for CodeState {
    fn read(m: &mut Members) -> Result<CodeState, Malformed> {
        Ok(CodeState {
            id: need(m.text("id")?)?,
            failed: need(m.count("failed")?)?,
            consumed: need(m.flag("consumed")?)?,
            expires_at: need(m.unsigned("expires_at")?)?,
            canceled: m.flag("canceled")?.unwrap_or_default(),
        })
    }
}

/// Every member may be absent (read as its default); a member of the wrong shape
/// makes the record unreadable, which counts as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DestinationRecord {
    /// No send before this instant.
    cooldown_until: u64,
    hour: Window,
    day: Window,
    failures: FailureRecord,
    codes: Vec<CodeState>,
}

impl FromMembers for DestinationRecord {
    fn read(m: &mut Members) -> Result<DestinationRecord, Malformed> {
        Ok(DestinationRecord {
            cooldown_until: m.unsigned("cooldown_until")?.unwrap_or_default(),
            hour: m.record("hour")?.unwrap_or_default(),
            day: m.record("day")?.unwrap_or_default(),
            failures: m.record("failures")?.unwrap_or_default(),
            codes: m.records("codes")?.unwrap_or_default(),
        })
    }
}

impl DestinationRecord {
    /// Drops codes that can no longer be checked (a check of an expired code is
    /// refused before it reaches the state).
    fn prune(&mut self, now: u64) {
        self.codes.retain(|c| c.expires_at > now);
    }

    /// The longest wait among the limits that are reached.
    fn gate(&self, policy: &DestinationPolicy, now: u64) -> Gate {
        let waits = [
            (self.cooldown_until > now).then(|| self.cooldown_until - now),
            (self.hour.count_at(now, HOUR) >= policy.per_hour)
                .then(|| Window::remaining(now, HOUR)),
            (self.day.count_at(now, DAY) >= policy.per_day).then(|| Window::remaining(now, DAY)),
            self.failures.locked_for(&policy.failure_budget, now),
        ];
        match waits.into_iter().flatten().max() {
            Some(retry_after) => Gate::Closed { retry_after },
            None => Gate::Open,
        }
    }

    /// Checks the limits and, if they allow it, records the send and its code.
    pub fn reserve(
        &mut self,
        policy: &DestinationPolicy,
        code: &str,
        expires_at: u64,
        captcha: Option<CaptchaRule>,
        now: u64,
    ) -> Gate {
        self.prune(now);
        let gate = self.gate(policy, now);
        if gate != Gate::Open {
            return gate;
        }
        if CaptchaRule::demands(captcha, self.sends_this_hour(now)) {
            return Gate::Captcha;
        }
        self.cooldown_until = now + policy.cooldown;
        self.hour = self.hour.add(now, HOUR);
        self.day = self.day.add(now, DAY);
        self.codes.push(CodeState {
            id: code.to_owned(),
            failed: 0,
            consumed: false,
            expires_at,
            canceled: false,
        });
        Gate::Open
    }

    /// Undoes a reservation whose code never left: the cooldown is given back and
    /// the code forgotten. The counts stay (caps count every attempt, which bounds
    /// what a failing provider can cost) unless `uncount`: the send was refused by
    /// another record of the same request and never happened.
    pub fn release(&mut self, code: &str, uncount: bool, now: u64) {
        self.prune(now);
        self.cooldown_until = self.cooldown_until.min(now);
        self.codes.retain(|c| c.id != code);
        if uncount {
            self.hour = self.hour.remove(now, HOUR);
            self.day = self.day.remove(now, DAY);
        }
    }

    /// Applies one check; the flag says whether the record changed (else nothing
    /// needs writing).
    pub fn check(&mut self, check: &CheckInput, now: u64) -> (CheckRecord, bool) {
        self.prune(now);
        let index = match self.codes.iter().position(|c| c.id == check.jti) {
            Some(i) => i,
            None => {
                // Sent before this record existed, or its record was lost: it starts
                // with no attempts (the token's MAC and expiry were checked).
                self.codes.push(CodeState {
                    id: check.jti.clone(),
                    failed: 0,
                    consumed: false,
                    expires_at: check.expires_at,
                    canceled: false,
                });
                self.codes.len() - 1
            }
        };
        let code = &self.codes[index];
        if code.consumed {
            return (CheckRecord::AlreadyUsed, false);
        }
        if code.canceled {
            return (CheckRecord::Canceled, false);
        }
        if code.failed >= check.max_attempts {
            return (CheckRecord::Exhausted, false);
        }
        if self.failures.locked_for(&check.budget, now).is_some() {
            return (CheckRecord::Locked, false);
        }
        let code = &mut self.codes[index];
        if check.matched {
            code.consumed = true;
            return (CheckRecord::Approved, true);
        }
        code.failed += 1;
        let failed = code.failed;
        self.failures = self.failures.with_failure(&check.budget, now);
        let record = match check.max_attempts - failed {
            0 => CheckRecord::Exhausted,
            attempts_remaining => CheckRecord::Wrong { attempts_remaining },
        };
        (record, true)
    }

    /// Where the code `id` stands (a code this record does not know is pending:
    /// a check would start it afresh too).
    pub fn status(&self, id: &str, max_attempts: u32) -> CodeStatus {
        match self.codes.iter().find(|c| c.id == id) {
            Some(c) if c.consumed => CodeStatus::Approved,
            Some(c) if c.canceled => CodeStatus::Canceled,
            Some(c) if c.failed >= max_attempts => CodeStatus::Exhausted,
            Some(c) => CodeStatus::Pending {
                attempts_remaining: max_attempts - c.failed,
            },
            None => CodeStatus::Pending {
                attempts_remaining: max_attempts,
            },
        }
    }

    /// Cancels a pending code; the answer is where it stands afterwards, and
    /// whether the record changed.
    pub fn cancel(
        &mut self,
        id: &str,
        max_attempts: u32,
        expires_at: u64,
        now: u64,
    ) -> (CodeStatus, bool) {
        self.prune(now);
        match self.status(id, max_attempts) {
            CodeStatus::Pending { .. } => {
                match self.codes.iter_mut().find(|c| c.id == id) {
                    Some(code) => code.canceled = true,
                    None => self.codes.push(CodeState {
                        id: id.to_owned(),
                        failed: 0,
                        consumed: false,
                        expires_at,
                        canceled: true,
                    }),
                }
                (CodeStatus::Canceled, true)
            }
            other => (other, false),
        }
    }

    /// The destination's recent failed checks.
    pub fn failures(&self) -> &FailureRecord {
        &self.failures
    }

    /// Sends in the current clock hour (adaptive captcha).
    pub fn sends_this_hour(&self, now: u64) -> u32 {
        self.hour.count_at(now, HOUR)
    }

    /// How long the record must live: until the day's count, the cooldown, every
    /// live code and every counted failure are over.
    pub fn ttl(&self, failure_window: u64, now: u64) -> u64 {
        let mut ttl = Window::remaining(now, DAY).max(self.cooldown_until.saturating_sub(now));
        for code in &self.codes {
            ttl = ttl.max(code.expires_at.saturating_sub(now));
        }
        if let Some(t) = self.failures.newest() {
            ttl = ttl.max((t + failure_window).saturating_sub(now));
        }
        ttl
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::attempts::FailureBudget;

    fn code(expires_at: u64) -> CodeState {
        CodeState {
            id: "jti".into(),
            failed: 0,
            consumed: false,
            expires_at,
            canceled: false,
        }
    }

    #[test]
    fn lives_until_the_last_of_its_clocks() {
        let now = 86_400 * 3 + 1_000;
        let until_midnight = 85_400;
        // (cooldown_until, code expiries, newest failure, failure window, ttl)
        type Case<'a> = (u64, &'a [u64], Option<u64>, u64, u64);
        let cases: [Case; 7] = [
            (0, &[], None, 600, until_midnight),
            (now + 90_000, &[], None, 600, 90_000),
            (now - 5, &[now - 1], None, 600, until_midnight),
            (0, &[now + 300, now + 100_000], None, 600, 100_000),
            (0, &[now + 300], Some(now - 10), 200_000, 199_990),
            (0, &[], Some(now - 700), 600, until_midnight),
            (now + 86_000, &[now + 85_000], Some(now), 86_500, 86_500),
        ];
        for (cooldown_until, expiries, failure, window, ttl) in cases {
            let record = DestinationRecord {
                cooldown_until,
                codes: expiries.iter().map(|&e| code(e)).collect(),
                failures: match failure {
                    None => FailureRecord::default(),
                    Some(t) => FailureRecord::default()
                        .with_failure(&FailureBudget { limit: 5, window }, t),
                },
                ..DestinationRecord::default()
            };
            assert_eq!(
                record.ttl(window, now),
                ttl,
                "{cooldown_until} {expiries:?} {failure:?}"
            );
        }
    }
}
