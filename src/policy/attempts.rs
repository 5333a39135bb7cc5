//! Checks: the attempts and consumed marker of one verification and the failure
//! budget of its destination across codes, both kept in the destination's record
//! ([`crate::policy::record`]).
//!
//! The core decides whether the code matched (constant time, before touching
//! state); this module applies the verdict. "Approved" is reported only once the
//! consumed marker is written: a store failure fails closed. Failed checks count
//! against the destination over a rolling window, and a new code does not reset
//! them (NIST SP 800-63B): past the budget, every check and send for the
//! destination is refused until the oldest failure leaves the window.

use crate::core::json::{need, FromMembers, Malformed, Members};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureBudget {
    /// Failed checks allowed per destination within `window`.
    pub limit: u32,
    /// Rolling window, seconds.
    pub window: u64,
}

/// Times of the destination's recent failed checks, oldest first, at most `limit`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FailureRecord {
    times: Vec<u64>,
}

impl FromMembers for FailureRecord {
    fn read(m: &mut Members) -> Result<FailureRecord, Malformed> {
        Ok(FailureRecord {
            times: need(m.numbers("times")?)?,
        })
    }
}

impl FailureRecord {
    fn recent(&self, budget: &FailureBudget, now: u64) -> Vec<u64> {
        let mut recent = Vec::new();
        for &t in &self.times {
            if t + budget.window > now {
                recent.push(t);
            }
        }
        recent
    }

    /// Seconds until the destination may try again, if its budget is spent.
    pub fn locked_for(&self, budget: &FailureBudget, now: u64) -> Option<u64> {
        let recent = self.recent(budget, now);
        let over = recent.len().checked_sub(budget.limit as usize)?;
        // The budget frees up when the failure that filled it leaves the window.
        recent.get(over).map(|&t| t + budget.window - now)
    }

    /// The most recent failure.
    pub fn newest(&self) -> Option<u64> {
        self.times.last().copied()
    }

    pub fn with_failure(&self, budget: &FailureBudget, now: u64) -> FailureRecord {
        let mut times = self.recent(budget, now);
        times.push(now);
        let excess = times.len().saturating_sub(budget.limit as usize);
        times.drain(..excess);
        FailureRecord { times }
    }
}

/// What a check did to the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckRecord {
    /// The code matched and is now consumed.
    Approved,
    /// Wrong code; this many attempts remain.
    Wrong { attempts_remaining: u32 },
    /// No attempts remain (including this one, if it was the last): the code is dead.
    Exhausted,
    /// The destination's failure budget is spent: no check is evaluated.
    Locked,
    /// The code was already consumed.
    AlreadyUsed,
    /// The sender canceled the code: it verifies nothing any more.
    Canceled,
}

/// Where a code stands, for `GET /v1/verifications/{id}` and its cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeStatus {
    Pending { attempts_remaining: u32 },
    Approved,
    Exhausted,
    Canceled,
}

/// One check, as the state needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInput {
    pub destination: String,
    /// base64url of the verification's jti.
    pub jti: String,
    pub matched: bool,
    pub max_attempts: u32,
    pub expires_at: u64,
    pub budget: FailureBudget,
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

    const T0: u64 = 1_700_000_000;
    const BUDGET: FailureBudget = FailureBudget {
        limit: 20,
        window: 86_400,
    };

    fn input(jti: &str, matched: bool) -> CheckInput {
        CheckInput {
            destination: "d".into(),
            jti: jti.into(),
            matched,
            max_attempts: 5,
            expires_at: T0 + 600,
            budget: BUDGET,
        }
    }

    fn record_check(
        kv: &MemoryKv,
        check: &CheckInput,
        now: u64,
    ) -> Result<CheckRecord, StoreError> {
        let op = StateOp::Check {
            check: check.clone(),
            now,
        };
        match block_on(apply(kv, &op))? {
            StateReply::Check { record } => Ok(record),
            other => panic!("{other:?}"),
        }
    }

    fn check(kv: &MemoryKv, matched: bool) -> Result<CheckRecord, StoreError> {
        record_check(kv, &input("j", matched), T0)
    }

    fn failures(kv: &MemoryKv) -> FailureRecord {
        let record: DestinationRecord = stored::read(block_on(kv.get("d:d")).unwrap()).unwrap();
        record.failures().clone()
    }

    #[test]
    fn sequences() {
        use CheckRecord::*;
        let w = |n| Wrong {
            attempts_remaining: n,
        };
        // (sequence of matched flags, expected records)
        let cases: &[(&[bool], &[CheckRecord])] = &[
            (&[true, true], &[Approved, AlreadyUsed]),
            (&[true, false], &[Approved, AlreadyUsed]),
            (&[false, true, true], &[w(4), Approved, AlreadyUsed]),
            (
                &[false, false, false, false, true],
                &[w(4), w(3), w(2), w(1), Approved],
            ),
            (
                &[false, false, false, false, false, true],
                &[w(4), w(3), w(2), w(1), Exhausted, Exhausted],
            ),
        ];
        for (flags, expected) in cases {
            let kv = MemoryKv::default();
            let got: Vec<_> = flags.iter().map(|&m| check(&kv, m).unwrap()).collect();
            assert_eq!(&got, expected, "{flags:?}");
        }
    }

    #[test]
    fn failure_budget_spans_codes_and_rolls() {
        let kv = MemoryKv::default();
        // 20 failures over 5 codes, one every 10 minutes from T0.
        for i in 0..20u64 {
            let at = T0 + i * 600;
            let got = record_check(
                &kv,
                &CheckInput {
                    expires_at: at + 600,
                    ..input(&format!("j{}", i / 4), false)
                },
                at,
            );
            assert!(
                matches!(got, Ok(CheckRecord::Wrong { .. } | CheckRecord::Exhausted)),
                "{i}: {got:?}"
            );
        }
        let fresh = |at: u64| CheckInput {
            expires_at: at + 600,
            ..input("fresh", true)
        };
        let failures = failures(&kv);
        // The oldest failure (T0) leaves the window at T0 + 86 400.
        assert_eq!(failures.locked_for(&BUDGET, T0 + 86_399), Some(1));
        assert_eq!(
            record_check(&kv, &fresh(T0 + 86_399), T0 + 86_399),
            Ok(CheckRecord::Locked)
        );
        assert_eq!(failures.locked_for(&BUDGET, T0 + 86_400), None);
        assert_eq!(
            record_check(&kv, &fresh(T0 + 86_400), T0 + 86_400),
            Ok(CheckRecord::Approved)
        );
    }

    #[test]
    fn locked_checks_change_nothing() {
        let kv = MemoryKv::default();
        for i in 0..20 {
            record_check(&kv, &input(&format!("spent{}", i / 5), false), T0).unwrap();
        }
        let writes = kv.writes.get();
        assert_eq!(check(&kv, true), Ok(CheckRecord::Locked));
        assert_eq!(check(&kv, false), Ok(CheckRecord::Locked));
        assert_eq!(kv.writes.get(), writes, "nothing written");
    }

    #[test]
    fn fails_closed() {
        let kv = MemoryKv::default();
        kv.fail_writes.set(Some(StoreError::Unavailable));
        assert_eq!(check(&kv, true), Err(StoreError::Unavailable));
        assert_eq!(check(&kv, false), Err(StoreError::Unavailable));
        kv.fail_writes.set(None);
        kv.fail_reads.set(Some(StoreError::Busy));
        assert_eq!(check(&kv, true), Err(StoreError::Busy));
        kv.fail_reads.set(None);
        assert_eq!(
            check(&kv, true),
            Ok(CheckRecord::Approved),
            "nothing was consumed"
        );
    }

    #[test]
    fn a_check_is_one_read_and_one_write() {
        let kv = MemoryKv::default();
        check(&kv, false).unwrap();
        assert_eq!((kv.reads.get(), kv.writes.get()), (1, 1));
        check(&kv, true).unwrap();
        assert_eq!((kv.reads.get(), kv.writes.get()), (2, 2));
        check(&kv, true).unwrap();
        assert_eq!(
            (kv.reads.get(), kv.writes.get()),
            (3, 2),
            "already used: no write"
        );
    }
}
