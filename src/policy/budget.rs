//! Money caps (the daily spend ceiling per channel, the hourly caps per calling code
//! and per number block) that are exact under any concurrency and have no hot key.
//!
//! Each cap is a budget kept by one Durable Object (in every mode: KV cannot count
//! exactly). An isolate does not call it per send: it leases a block of units and
//! spends them locally ([`LeaseBook`]), calling again when the block is used up.
//! The object never grants past the cap, so the cap is never exceeded; blocks
//! shrink as the budget runs out (a sixteenth of what is left, at most
//! [`MAX_BLOCK`]), so the last units go one by one. Units an isolate holds when it
//! is evicted are stranded until the window ends: at most [`MAX_BLOCK`] per isolate
//! and cap, and never more than a sixteenth of what was left when they were leased.

use crate::policy::limits::Window;

/// The most units one lease hands out.
pub const MAX_BLOCK: u32 = 64;

/// A budget object's answer: `granted` units (0 when the cap is reached, then
/// `retry_after` says when the window ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub granted: u32,
    pub retry_after: u64,
}

/// Grants a block from the units left in the current window of `length` seconds.
pub fn grant(granted: &mut Window, limit: u32, length: u64, now: u64) -> Lease {
    let left = limit.saturating_sub(granted.count_at(now, length));
    let units = if left == 0 {
        0
    } else {
        (left / 16).clamp(1, MAX_BLOCK)
    };
    *granted = granted.add_many(units, now, length);
    Lease {
        granted: units,
        retry_after: Window::remaining(now, length),
    }
}

/// The units this isolate holds, per cap and window. A few caps at most, so a
/// `Vec` (no hash map code in the module).
#[derive(Debug, Default)]
pub struct LeaseBook {
    /// Cap key, window start, units held.
    held: Vec<(String, u64, u32)>,
}

impl LeaseBook {
    /// Spends one held unit of `key`'s current window, if there is one.
    pub fn take(&mut self, key: &str, length: u64, now: u64) -> bool {
        let start = now - now % length;
        match self.held.iter_mut().find(|(k, ..)| k == key) {
            Some((_, window, units)) if *window == start && *units > 0 => {
                *units -= 1;
                true
            }
            _ => false,
        }
    }

    /// Keeps `units` of `key`'s current window for later sends.
    pub fn keep(&mut self, key: &str, units: u32, length: u64, now: u64) {
        let start = now - now % length;
        match self.held.iter_mut().find(|(k, ..)| k == key) {
            Some((_, window, held)) if *window == start => *held += units,
            Some((_, window, held)) => (*window, *held) = (start, units),
            None => self.held.push((key.to_owned(), start, units)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::limits::DAY;

    const T0: u64 = 1_700_000_000;

    #[test]
    fn leases_never_pass_the_cap_and_shrink_as_it_runs_out() {
        for limit in [1u32, 20, 1000, 10_000, 100_000] {
            let mut object = Window::default();
            let (mut total, mut calls, mut last) = (0u32, 0u32, u32::MAX);
            loop {
                let lease = grant(&mut object, limit, DAY, T0);
                if lease.granted == 0 {
                    break;
                }
                assert!(lease.granted <= MAX_BLOCK && lease.granted <= last);
                last = lease.granted;
                total += lease.granted;
                calls += 1;
            }
            assert_eq!(total, limit, "every unit, and not one more");
            assert_eq!(object.count_at(T0, DAY), limit);
            assert!(calls <= limit);
            assert_eq!(grant(&mut object, limit, DAY, T0 + 5).granted, 0);
            assert_eq!(
                grant(&mut object, limit, DAY, T0 - T0 % DAY + DAY)
                    .granted
                    .min(1),
                1
            );
        }
    }

    #[test]
    fn a_book_spends_what_it_keeps_within_the_window() {
        let mut book = LeaseBook::default();
        assert!(!book.take("day:sms", DAY, T0));
        book.keep("day:sms", 2, DAY, T0);
        assert!(book.take("day:sms", DAY, T0));
        assert!(book.take("day:sms", DAY, T0 + 1));
        assert!(!book.take("day:sms", DAY, T0 + 2));
        book.keep("day:sms", 5, DAY, T0);
        assert!(
            !book.take("day:sms", DAY, T0 - T0 % DAY + DAY),
            "a new window"
        );
        assert!(!book.take("cc:86", DAY, T0));
    }
}
