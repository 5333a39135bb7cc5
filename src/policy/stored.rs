//! Records in the state store: JSON objects, written by serde's derived `Serialize`
//! and read back member by member ([`FromMembers`]). A record that does not read
//! counts as absent: it was ours, and a changed shape after an upgrade must not
//! lock anyone out or in.

use crate::core::json::{self, FromMembers};
use crate::ports::kv::{Kv, StoreError, MIN_TTL};
use std::future::Future;

/// A record from what the store's `get` gave back; `None` when it is absent or does
/// not read. Callers await `get` themselves and pass its text here, so that no
/// async function has a copy per record type.
pub fn read<T: FromMembers>(stored: Option<String>) -> Option<T> {
    json::read(&stored?).ok()
}

/// Writes a record with a TTL in seconds (at least KV's [`MIN_TTL`]). The record
/// becomes text here; the write is one async function for every record type.
pub fn put_json<'a, K: Kv, T: serde::Serialize>(
    kv: &'a K,
    key: &'a str,
    value: &T,
    ttl: u64,
) -> impl Future<Output = Result<(), StoreError>> + 'a {
    put_text(kv, key, serde_json::to_string(value), ttl)
}

async fn put_text<K: Kv>(
    kv: &K,
    key: &str,
    text: serde_json::Result<String>,
    ttl: u64,
) -> Result<(), StoreError> {
    let text = text.map_err(|_| StoreError::Unavailable)?;
    kv.put(key, &text, ttl.max(MIN_TTL)).await
}

#[cfg(test)]
mod tests {
    use crate::core::json::{self, FromMembers};
    use crate::core::sealed::Sealed;
    use crate::policy::idempotency::{Record, Stored};
    use crate::policy::limits::Window;
    use crate::policy::record::DestinationRecord;
    use serde::Serialize;

    /// A stored text read and written again; `None` when it does not read (and the
    /// record counts as absent).
    fn again<T: FromMembers + Serialize>(text: &str) -> Option<String> {
        let record = json::read::<T>(text).ok()?;
        Some(serde_json::to_string(&record).unwrap())
    }

    type Cases<'a> = &'a [(&'a str, Option<&'a str>)];

    /// Text that does not read as any record.
    const NOT_A_RECORD: Cases = &[
        ("", None),
        ("null", None),
        ("[]", None),
        ("7", None),
        ("{} x", None),
        ("{", None),
    ];

    #[test]
    fn destination_records_read_as_written() {
        let full = r#"{"cooldown_until":100,"hour":{"start":3600,"count":2},"day":{"start":0,"count":5},"failures":{"times":[10,20]},"codes":[{"id":"a","failed":1,"consumed":false,"expires_at":700,"canceled":true}]}"#;
        let fresh = r#"{"cooldown_until":0,"hour":{"start":0,"count":0},"day":{"start":0,"count":0},"failures":{"times":[]},"codes":[]}"#;
        let old_code = r#"{"cooldown_until":0,"hour":{"start":0,"count":0},"day":{"start":0,"count":0},"failures":{"times":[]},"codes":[{"id":"b","failed":0,"consumed":true,"expires_at":9,"canceled":false}]}"#;
        let cases: Cases = &[
            (full, Some(full)),
            (" {} ", Some(fresh)),
            // A code written before cancellation existed: not canceled.
            (
                r#"{"codes":[{"id":"b","failed":0,"consumed":true,"expires_at":9}]}"#,
                Some(old_code),
            ),
            // Members of a later version are ignored; `null` reads as absent.
            (
                r#"{"cooldown_until":null,"hour":null,"later":[1]}"#,
                Some(fresh),
            ),
            // A member of the wrong shape: the whole record does not read.
            (r#"{"cooldown_until":-1}"#, None),
            (r#"{"cooldown_until":1.5}"#, None),
            (r#"{"cooldown_until":"1"}"#, None),
            (r#"{"hour":{"start":0}}"#, None),
            (r#"{"hour":{"start":0,"count":4294967296}}"#, None),
            (r#"{"hour":[0,1]}"#, None),
            (r#"{"failures":{}}"#, None),
            (r#"{"failures":{"times":["1"]}}"#, None),
            (r#"{"failures":{"times":7}}"#, None),
            (r#"{"codes":{}}"#, None),
            (r#"{"codes":[["b",0,true,9]]}"#, None),
            (r#"{"codes":[{"id":"b","failed":0,"consumed":true}]}"#, None),
            (
                r#"{"codes":[{"id":"b","failed":0,"consumed":1,"expires_at":9}]}"#,
                None,
            ),
        ];
        for (text, expected) in cases.iter().chain(NOT_A_RECORD) {
            assert_eq!(
                again::<DestinationRecord>(text).as_deref(),
                *expected,
                "{text}"
            );
        }
    }

    #[test]
    fn counters_idempotency_and_sealed_records_read_as_written() {
        let window: Cases = &[
            (
                r#"{"start":7200,"count":3}"#,
                Some(r#"{"start":7200,"count":3}"#),
            ),
            (
                r#"{"count":3,"start":7200,"x":0}"#,
                Some(r#"{"start":7200,"count":3}"#),
            ),
            (r#"{"start":7200}"#, None),
            (r#"{"start":7200,"count":-3}"#, None),
        ];
        for (text, expected) in window.iter().chain(NOT_A_RECORD) {
            assert_eq!(again::<Window>(text).as_deref(), *expected, "{text}");
        }
        let claimed = r#"{"body_sha256":"h","pending_until":30,"response":null}"#;
        let done = r#"{"body_sha256":"h","pending_until":0,"response":{"kid":"k","sealed":"s"}}"#;
        let record: Cases = &[
            (claimed, Some(claimed)),
            (done, Some(done)),
            (
                r#"{"body_sha256":"h","response":{"kid":"k","sealed":"s","v":2}}"#,
                Some(done),
            ),
            (r#"{"body_sha256":"h","pending_until":30}"#, Some(claimed)),
            (r#"{"pending_until":30}"#, None),
            (r#"{"body_sha256":"h","response":{"kid":"k"}}"#, None),
            (r#"{"body_sha256":"h","response":"s"}"#, None),
        ];
        for (text, expected) in record.iter().chain(NOT_A_RECORD) {
            assert_eq!(again::<Record>(text).as_deref(), *expected, "{text}");
        }
        let sealed: Cases = &[
            (
                r#"{"kid":"k","sealed":"s"}"#,
                Some(r#"{"kid":"k","sealed":"s"}"#),
            ),
            (r#"{"kid":"k","sealed":5}"#, None),
            (r#"{"sealed":"s"}"#, None),
        ];
        for (text, expected) in sealed.iter().chain(NOT_A_RECORD) {
            assert_eq!(again::<Sealed>(text).as_deref(), *expected, "{text}");
        }
        // A sealed first response: its body is any JSON, `null` included.
        let stored: Cases = &[
            (
                r#"{"status":201,"body":{"a":[1]}}"#,
                Some(r#"{"status":201,"body":{"a":[1]}}"#),
            ),
            (
                r#"{"status":204,"body":null}"#,
                Some(r#"{"status":204,"body":null}"#),
            ),
            (r#"{"status":204}"#, None),
            (r#"{"status":65536,"body":null}"#, None),
            (r#"{"body":{}}"#, None),
        ];
        for (text, expected) in stored.iter().chain(NOT_A_RECORD) {
            assert_eq!(again::<Stored>(text).as_deref(), *expected, "{text}");
        }
    }
}
