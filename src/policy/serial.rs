//! One key at a time within an isolate. Workers run the requests of an isolate on
//! one thread but interleave them at every `await`, so two read-modify-writes of one
//! KV record can lose an update. [`KeyLocks`] queues the operations on one key in
//! arrival order; different keys do not wait for each other.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Queue {
    next: u64,
    serving: u64,
    /// Tickets whose waiters gave up before their turn.
    abandoned: BTreeSet<u64>,
    waiting: Vec<Waker>,
}

impl Queue {
    /// Moves on past the ticket being served and every abandoned one after it.
    fn advance(&mut self) {
        self.serving += 1;
        while self.abandoned.remove(&self.serving) {
            self.serving += 1;
        }
        for waker in self.waiting.drain(..) {
            waker.wake();
        }
    }
}

/// Per-key FIFO locks for one isolate (single-threaded).
#[derive(Default)]
pub struct KeyLocks {
    queues: RefCell<HashMap<String, Queue>>,
}

/// Held while an operation on the key runs; the next waiter goes on drop.
pub struct KeyGuard<'a> {
    locks: &'a KeyLocks,
    key: String,
}

/// Waits for a ticket's turn; an abandoned wait hands its turn on.
struct Turn<'a> {
    locks: &'a KeyLocks,
    key: String,
    ticket: u64,
    done: bool,
}

impl KeyLocks {
    pub fn lock(&self, key: &str) -> impl Future<Output = KeyGuard<'_>> {
        let ticket = {
            let mut queues = self.queues.borrow_mut();
            let queue = queues.entry(key.to_owned()).or_default();
            queue.next += 1;
            queue.next - 1
        };
        Turn {
            locks: self,
            key: key.to_owned(),
            ticket,
            done: false,
        }
    }

    /// Keys with an operation running or waiting (tests).
    pub fn busy(&self) -> usize {
        self.queues.borrow().len()
    }

    fn release(&self, key: &str) {
        let mut queues = self.queues.borrow_mut();
        if let Some(queue) = queues.get_mut(key) {
            queue.advance();
            if queue.serving >= queue.next {
                queues.remove(key);
            }
        }
    }
}

impl<'a> Future for Turn<'a> {
    type Output = KeyGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<KeyGuard<'a>> {
        let mut queues = self.locks.queues.borrow_mut();
        let ready = match queues.get_mut(&self.key) {
            Some(queue) if queue.serving != self.ticket => {
                queue.waiting.push(cx.waker().clone());
                false
            }
            _ => true,
        };
        drop(queues);
        if !ready {
            return Poll::Pending;
        }
        self.done = true;
        Poll::Ready(KeyGuard {
            locks: self.locks,
            key: self.key.clone(),
        })
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let serving = {
            let mut queues = self.locks.queues.borrow_mut();
            match queues.get_mut(&self.key) {
                Some(queue) if queue.serving != self.ticket => {
                    queue.abandoned.insert(self.ticket);
                    false
                }
                Some(_) => true,
                None => false,
            }
        };
        if serving {
            // Its turn had come: pass it on as if it had run.
            self.locks.release(&self.key);
        }
    }
}

impl Drop for KeyGuard<'_> {
    fn drop(&mut self) {
        self.locks.release(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::kv::join;
    use crate::ports::kv::memory::block_on;
    use std::cell::Cell;

    /// Yields once, as a store round trip would.
    async fn yield_now() {
        let mut yielded = false;
        std::future::poll_fn(|cx| {
            if yielded {
                Poll::Ready(())
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await
    }

    async fn increment(locks: &KeyLocks, counter: &Cell<u32>, key: &str) {
        let _guard = locks.lock(key).await;
        let read = counter.get();
        yield_now().await;
        counter.set(read + 1);
    }

    #[test]
    fn no_lost_updates_on_one_key() {
        let locks = KeyLocks::default();
        let counter = Cell::new(0);
        block_on(join(
            join(
                increment(&locks, &counter, "k"),
                increment(&locks, &counter, "k"),
            ),
            increment(&locks, &counter, "k"),
        ));
        assert_eq!(counter.get(), 3);
        assert_eq!(locks.busy(), 0, "nothing left queued");
    }

    #[test]
    fn without_the_lock_updates_are_lost() {
        let counter = Cell::new(0);
        let unlocked = || async {
            let read = counter.get();
            yield_now().await;
            counter.set(read + 1);
        };
        block_on(join(unlocked(), unlocked()));
        assert_eq!(counter.get(), 1, "the interleaving this module prevents");
    }

    #[test]
    fn an_abandoned_wait_passes_its_turn_on() {
        let locks = KeyLocks::default();
        let first = block_on(locks.lock("k"));
        let waiting = locks.lock("k");
        drop(waiting);
        drop(first);
        let _again = block_on(locks.lock("k"));
        assert_eq!(locks.busy(), 1);
    }
}
