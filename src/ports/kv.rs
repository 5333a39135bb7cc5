//! The state port: a key-value store with expiring entries, shaped after Workers KV.
//!
//! Records are JSON and carry their own timestamps, so expiry is decided by the
//! core's `now` and the store's TTL only collects garbage. That matters because KV
//! refuses TTLs under 60 s ([`MIN_TTL`], clamped here) and because a KV write can
//! take 60 s or more to be seen in other locations: limits and single use hold per
//! location, not globally. README.md ("Consistency") states what that means.
//! Keys are built from hashes only (see [`crate::core::keys::KeyRing::hash_id`]).

use serde::de::{Deserialize, DeserializeOwned, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use std::future::{poll_fn, Future};
use std::marker::PhantomData;
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

/// Reads a JSON record; an unreadable record counts as absent (it was ours, and a
/// changed shape after an upgrade must not lock anyone out or in).
pub async fn get_json<K: Kv, T: serde::de::DeserializeOwned>(
    kv: &K,
    key: &str,
) -> Result<Option<T>, StoreError> {
    Ok(kv.get(key).await?.and_then(|text| from_json(&text)))
}

/// `T` from JSON text, its structs read as objects only: serde's derived structs
/// also take `[…]` arrays, which nothing here writes, and asking serde_json for a
/// map leaves that second reader of every top-level struct out of the module.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Option<T> {
    let mut json = serde_json::Deserializer::from_str(text);
    let value = object(&mut json).ok()?;
    json.end().ok()?;
    Some(value)
}

/// For `#[serde(deserialize_with)]`: a member that is a struct, read as an object
/// only (see [`from_json`]; serde hands nested members to serde_json directly).
pub fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(member: D) -> Result<T, D::Error> {
    T::deserialize(Objects(member))
}

/// For `#[serde(deserialize_with)]`: a member that is an array of structs, each read
/// as an object only.
pub fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    member: D,
) -> Result<Vec<T>, D::Error> {
    struct Elements<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for Elements<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of objects")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(element) = seq.next_element_seed(Element(PhantomData))? {
                out.push(element);
            }
            Ok(out)
        }
    }

    struct Element<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Element<T> {
        type Value = T;

        fn deserialize<D: Deserializer<'de>>(self, element: D) -> Result<T, D::Error> {
            object(element)
        }
    }

    member.deserialize_seq(Elements(PhantomData))
}

/// A deserializer that reads a struct as a map, and anything else as it is.
struct Objects<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Objects<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_option(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

pub async fn put_json<K: Kv, T: serde::Serialize>(
    kv: &K,
    key: &str,
    value: &T,
    ttl: u64,
) -> Result<(), StoreError> {
    let text = serde_json::to_string(value).map_err(|_| StoreError::Unavailable)?;
    kv.put(key, &text, ttl.max(MIN_TTL)).await
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

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Inner {
        n: u32,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Outer {
        name: String,
        inner: Inner,
        #[serde(default)]
        more: Option<Vec<Inner>>,
    }

    #[test]
    fn records_read_as_objects_only() {
        let outer = |name: &str, n| Outer {
            name: name.into(),
            inner: Inner { n },
            more: None,
        };
        let cases: [(&str, Option<Outer>); 7] = [
            (r#"{"name":"a","inner":{"n":1}}"#, Some(outer("a", 1))),
            (
                r#" {"inner":{"n":2},"name":"b","extra":[1]} "#,
                Some(outer("b", 2)),
            ),
            (r#"{"name":"a","inner":{"n":1}} x"#, None),
            (r#"["a",{"n":1}]"#, None),
            (r#"{"name":"a"}"#, None),
            (r#"{"name":"a","inner":{"n":-1}}"#, None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(from_json::<Outer>(text), expected, "{text}");
        }
        let more: Outer = from_json(r#"{"name":"c","inner":{"n":3},"more":[{"n":4}]}"#).unwrap();
        assert_eq!(more.more, Some(vec![Inner { n: 4 }]));
        assert_eq!(from_json::<u64>("7"), Some(7));
        assert_eq!(from_json::<Option<String>>("null"), Some(None));
    }

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
