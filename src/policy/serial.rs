//! One key at a time within an isolate. Workers run the requests of an isolate on
//! one thread but interleave them at every `await`, so two read-modify-writes of one
//! KV record can lose an update. [`KeyLocks`] hands out tickets per key, served in
//! arrival order; different keys do not wait for each other.
//!
//! A waiter checks its turn on its own timer ([`lock`]) rather than being woken by
//! the request before it: the Workers runtime cancels a request whose only pending
//! work is a promise of another request ("the Worker's code had hung"), and a
//! request polled from another's context would do its I/O there.

use crate::ports::Transport;
use std::cell::RefCell;

struct Queue {
    key: String,
    next: u64,
    serving: u64,
    /// Tickets whose holders gave up before their turn (a few at most: a `Vec`
    /// keeps a second B-tree out of the module).
    abandoned: Vec<u64>,
}

/// Per-key FIFO tickets for one isolate (single-threaded). Only keys with a
/// ticket out have a queue, as many as the isolate's requests in flight: a `Vec`
/// searched in order (no hash map code in the module).
#[derive(Default)]
pub struct KeyLocks {
    queues: RefCell<Vec<Queue>>,
}

/// A place in a key's queue; once [`Ticket::ready`], the key is held until drop.
pub struct Ticket<'a> {
    locks: &'a KeyLocks,
    key: String,
    number: u64,
    held: bool,
}

impl KeyLocks {
    pub fn ticket(&self, key: &str) -> Ticket<'_> {
        let mut queues = self.queues.borrow_mut();
        let at = match queues.iter().position(|q| q.key == key) {
            Some(at) => at,
            None => {
                queues.push(Queue {
                    key: key.to_owned(),
                    next: 0,
                    serving: 0,
                    abandoned: Vec::new(),
                });
                queues.len() - 1
            }
        };
        let queue = &mut queues[at];
        queue.next += 1;
        Ticket {
            locks: self,
            key: key.to_owned(),
            number: queue.next - 1,
            held: false,
        }
    }

    /// Keys with a ticket out (tests).
    pub fn busy(&self) -> usize {
        self.queues.borrow().len()
    }

    /// Serves the next ticket that is still wanted.
    fn advance(&self, key: &str) {
        let mut queues = self.queues.borrow_mut();
        if let Some(at) = queues.iter().position(|q| q.key == key) {
            let queue = &mut queues[at];
            queue.serving += 1;
            while let Some(i) = queue.abandoned.iter().position(|&n| n == queue.serving) {
                queue.abandoned.swap_remove(i);
                queue.serving += 1;
            }
            if queue.serving >= queue.next {
                queues.swap_remove(at);
            }
        }
    }
}

impl Ticket<'_> {
    /// Whether this ticket's turn has come (it then holds the key).
    pub fn ready(&mut self) -> bool {
        if !self.held {
            self.held = self
                .locks
                .queues
                .borrow()
                .iter()
                .find(|q| q.key == self.key)
                .is_none_or(|q| q.serving == self.number);
        }
        self.held
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if self.ready() {
            self.locks.advance(&self.key);
        } else {
            let mut queues = self.locks.queues.borrow_mut();
            if let Some(queue) = queues.iter_mut().find(|q| q.key == self.key) {
                queue.abandoned.push(self.number);
            }
        }
    }
}

/// Waits for `key`'s turn, checking on this request's own timer (1 ms, backing off
/// to 16 ms), and returns the held ticket.
pub async fn lock<'a>(locks: &'a KeyLocks, key: &str, transport: &impl Transport) -> Ticket<'a> {
    let mut ticket = locks.ticket(key);
    let mut wait = 1;
    while !ticket.ready() {
        transport.sleep(wait).await;
        wait = (wait * 2).min(16);
    }
    ticket
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::kv::join;
    use crate::ports::kv::memory::block_on;
    use crate::ports::{HttpReply, OutboundRequest, TransportError};
    use std::cell::Cell;
    use std::future::poll_fn;
    use std::task::Poll;

    /// Yields once, as a store round trip or a timer would.
    async fn yield_now() {
        let mut yielded = false;
        poll_fn(|cx| {
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

    struct Timer;

    impl Transport for Timer {
        async fn fetch(&self, _: &OutboundRequest, _: u32) -> Result<HttpReply, TransportError> {
            Err(TransportError::Network)
        }
        fn console(&self, _: &str) {}
        async fn sleep(&self, _: u32) {
            yield_now().await
        }
    }

    async fn increment(locks: &KeyLocks, counter: &Cell<u32>, key: &str) {
        let _turn = lock(locks, key, &Timer).await;
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
    fn tickets_are_served_in_order_and_abandoned_ones_skipped() {
        let locks = KeyLocks::default();
        let mut first = locks.ticket("k");
        let mut second = locks.ticket("k");
        let mut third = locks.ticket("k");
        assert!(first.ready() && !second.ready() && !third.ready());
        let mut other = locks.ticket("other");
        assert!(other.ready(), "keys do not wait for each other");
        drop(second);
        drop(first);
        assert!(third.ready());
        drop(third);
        drop(other);
        assert_eq!(locks.busy(), 0);
    }
}
