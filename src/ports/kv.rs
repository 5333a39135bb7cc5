//! The state port: a key-value store with expiring entries, shaped after Workers KV.
//!
//! Records are JSON and carry their own timestamps, so expiry is decided by the
//! core's `now` and the store's TTL only collects garbage. That matters because KV
//! refuses TTLs under 60 s ([`MIN_TTL`], clamped here) and because a KV write can
//! take 60 s or more to be seen in other locations: limits and single use hold per
//! location, not globally. README.md ("Consistency") states what that means.
//! Keys are built from hashes only (see [`crate::core::keys::KeyRing::hash_id`]).

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;

/// Workers KV's minimum `expirationTtl`.
pub const MIN_TTL: u64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    /// The store failed or could not be reached: fail closed.
    Unavailable,
    /// The key is written too often (KV allows one write per second per key).
    Busy,
}

#[allow(async_fn_in_trait)]
pub trait Kv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Writes with a TTL in seconds; implementations clamp it to [`MIN_TTL`].
    async fn put(&self, key: &str, value: &str, ttl: u64) -> Result<(), StoreError>;
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
}

/// Runs two store operations concurrently (KV round trips dominate a request's
/// latency at the edge). Single-threaded: both futures are polled in turn.
pub async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut out_a, mut out_b) = (None, None);
    poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                out_a = Some(v);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                out_b = Some(v);
            }
        }
        match (out_a.take(), out_b.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                (out_a, out_b) = (a, b);
                Poll::Pending
            }
        }
    })
    .await
}

/// An in-memory [`Kv`] for tests, with switchable failures.
#[cfg(test)]
pub mod memory {
    use super::*;
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;

    #[derive(Default)]
    pub struct MemoryKv {
        pub entries: RefCell<HashMap<String, (String, u64)>>,
        pub fail_reads: Cell<Option<StoreError>>,
        pub fail_writes: Cell<Option<StoreError>>,
        pub writes: Cell<usize>,
        pub reads: Cell<usize>,
    }

    impl Kv for MemoryKv {
        async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
            if let Some(e) = self.fail_reads.get() {
                return Err(e);
            }
            self.reads.set(self.reads.get() + 1);
            Ok(self.entries.borrow().get(key).map(|(v, _)| v.clone()))
        }
        async fn put(&self, key: &str, value: &str, ttl: u64) -> Result<(), StoreError> {
            if let Some(e) = self.fail_writes.get() {
                return Err(e);
            }
            assert!(ttl >= MIN_TTL, "TTL {ttl} for {key} is under KV's minimum");
            self.writes.set(self.writes.get() + 1);
            self.entries
                .borrow_mut()
                .insert(key.to_owned(), (value.to_owned(), ttl));
            Ok(())
        }
        async fn delete(&self, key: &str) -> Result<(), StoreError> {
            if let Some(e) = self.fail_writes.get() {
                return Err(e);
            }
            self.entries.borrow_mut().remove(key);
            Ok(())
        }
    }

    /// Drives a future whose every await is ready at once (the in-memory fakes').
    pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::memory::block_on;
    use super::*;
    use std::cell::RefCell;

    /// Pending `n` times, then ready with `value`; logs each poll.
    struct Slow<'a> {
        n: u32,
        value: char,
        log: &'a RefCell<String>,
    }

    impl Future for Slow<'_> {
        type Output = char;
        fn poll(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<char> {
            self.log.borrow_mut().push(self.value);
            if self.n == 0 {
                return Poll::Ready(self.value);
            }
            self.n -= 1;
            Poll::Pending
        }
    }

    #[test]
    fn join_drives_both_and_never_polls_a_finished_future() {
        let log = RefCell::new(String::new());
        let a = Slow {
            n: 0,
            value: 'a',
            log: &log,
        };
        let b = Slow {
            n: 2,
            value: 'b',
            log: &log,
        };
        assert_eq!(block_on(join(a, b)), ('a', 'b'));
        // Interleaved: both start at once; `a` is not polled again after finishing.
        assert_eq!(log.into_inner(), "abbb");
    }
}
