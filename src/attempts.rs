//! Attempts and the consumed marker of one verification: `v:{jti}`.
//!
//! One read and one write per check. The core decides whether the code matched
//! (constant time, before touching state); this module applies the verdict to the
//! record. "Approved" is only reported once the consumed marker is written: a store
//! failure fails closed. Without a Durable Object, two checks racing in different
//! locations can both read "unused" (see README.md, "Consistency").

use crate::store::{get_json, put_json, Kv, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct AttemptRecord {
    /// Wrong codes submitted so far.
    failed: u32,
    consumed: bool,
}

/// What a check did to the verification's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckRecord {
    /// The code matched and is now consumed.
    Approved,
    /// Wrong code; this many attempts remain.
    Wrong { attempts_remaining: u32 },
    /// No attempts remain (including this one, if it was the last): the code is dead.
    Exhausted,
    /// The code was already consumed.
    AlreadyUsed,
}

fn key(jti: &str) -> String {
    format!("v:{jti}")
}

/// Applies one check to the record of `jti`. `ttl` should cover the remaining
/// validity of the code, so the record outlives every attempt to use it.
pub async fn record_check<K: Kv>(
    kv: &K,
    jti: &str,
    matched: bool,
    max_attempts: u32,
    ttl: u64,
) -> Result<CheckRecord, StoreError> {
    let key = key(jti);
    let record: AttemptRecord = get_json(kv, &key).await?.unwrap_or_default();
    if record.consumed {
        return Ok(CheckRecord::AlreadyUsed);
    }
    if record.failed >= max_attempts {
        return Ok(CheckRecord::Exhausted);
    }
    if matched {
        put_json(
            kv,
            &key,
            &AttemptRecord {
                consumed: true,
                ..record
            },
            ttl,
        )
        .await?;
        return Ok(CheckRecord::Approved);
    }
    let failed = record.failed + 1;
    put_json(kv, &key, &AttemptRecord { failed, ..record }, ttl).await?;
    Ok(match max_attempts - failed {
        0 => CheckRecord::Exhausted,
        attempts_remaining => CheckRecord::Wrong { attempts_remaining },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::{block_on, MemoryKv};

    fn check(kv: &MemoryKv, matched: bool) -> Result<CheckRecord, StoreError> {
        block_on(record_check(kv, "j", matched, 5, 600))
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
}
