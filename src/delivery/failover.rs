//! Getting one message out through a channel's provider chain.
//!
//! Each provider gets at most two attempts: a retryable failure (timeout, network
//! error, 5xx, 429) is retried once after a short backoff, then the next provider is
//! tried, all within the delivery budget (the worst case of every attempt's timeout
//! plus backoffs is counted up front, so no clock is needed). A provider that
//! rejects the destination ends the chain: another would reject it too. A circuit
//! breaker remembers, per isolate, providers that keep failing and skips them for a
//! while (unless every provider of the chain is skipped: then all are tried).

use crate::core::destination::Channel;
use crate::delivery::message::Message;
use crate::delivery::provider::{Dispatch, Provider, Verdict};
use crate::ports::Transport;
use std::cell::RefCell;

/// When a provider's breaker opens, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive failed deliveries that open the breaker.
    pub failures: u32,
    /// How long an open breaker skips its provider, seconds.
    pub open_seconds: u64,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            failures: 3,
            open_seconds: 30,
        }
    }
}
/// Wait before the one retry of a provider, milliseconds.
pub const BACKOFF_MS: u32 = 200;

#[derive(Debug, Default)]
pub struct Breaker {
    /// Provider name, consecutive failed deliveries, skipped until (a handful of
    /// providers: a `Vec`, no hash map code in the module).
    entries: Vec<(&'static str, u32, u64)>,
    /// How long recent successful deliveries took, milliseconds, per channel (SMS,
    /// email): a withheld send waits as long as one of them (enumeration
    /// protection against a stopwatch).
    took: [Vec<u32>; 2],
}

/// Delivery times kept per channel.
const TIMES_KEPT: usize = 16;
/// The wait of a withheld send before this isolate has timed a real one.
pub const FIRST_WAIT_MS: u32 = 300;

impl Breaker {
    /// Remembers how long a successful delivery on `channel` took.
    pub fn took(&mut self, channel: Channel, ms: u32) {
        let times = &mut self.took[channel as usize];
        if times.len() == TIMES_KEPT {
            times.remove(0);
        }
        times.push(ms);
    }

    /// A delivery time to imitate: one of the recent ones, picked by `pick`.
    pub fn typical(&self, channel: Channel, pick: u8) -> u32 {
        let times = &self.took[channel as usize];
        if times.is_empty() {
            return FIRST_WAIT_MS;
        }
        times[usize::from(pick) % times.len()]
    }

    pub fn allows(&self, provider: &str, now: u64) -> bool {
        self.entries
            .iter()
            .find(|(name, ..)| *name == provider)
            .is_none_or(|&(_, _, until)| now >= until)
    }

    pub fn record(
        &mut self,
        policy: &BreakerPolicy,
        provider: &'static str,
        worked: bool,
        now: u64,
    ) {
        let at = self.entries.iter().position(|(name, ..)| *name == provider);
        if worked {
            if let Some(at) = at {
                self.entries.swap_remove(at);
            }
            return;
        }
        let at = at.unwrap_or_else(|| {
            self.entries.push((provider, 0, 0));
            self.entries.len() - 1
        });
        let (_, failures, until) = &mut self.entries[at];
        *failures += 1;
        if *failures >= policy.failures {
            (*failures, *until) = (0, now + policy.open_seconds);
        }
    }
}

/// The result of trying a channel's providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Delivered {
        provider: &'static str,
    },
    /// A provider refused the destination itself.
    Rejected,
    /// Every provider failed, timed out, or did not fit in the budget.
    Unavailable,
}

pub struct Attempt<'a, T> {
    pub transport: &'a T,
    pub breaker: &'a RefCell<Breaker>,
    pub breaker_policy: BreakerPolicy,
    /// Worst-case milliseconds all attempts may take together.
    pub budget_ms: u32,
    pub now: u64,
}

async fn try_once<T: Transport>(
    provider: &Provider,
    transport: &T,
    message: &Message,
    masked_to: &str,
    now: u64,
    attempt: u32,
) -> Verdict {
    match provider.dispatch(message, masked_to, now, attempt) {
        Dispatch::Console(line) => {
            transport.console(&line);
            Verdict::Delivered
        }
        Dispatch::Http(request) => match transport.fetch(&request, provider.timeout_ms()).await {
            Ok(reply) => provider.classify(&reply),
            Err(_) => Verdict::Retryable,
        },
    }
}

pub async fn deliver<T: Transport>(
    providers: &[Provider],
    attempt: &Attempt<'_, T>,
    message: &Message,
    masked_to: &str,
) -> Delivery {
    let now = attempt.now;
    let mut chain: Vec<&Provider> = Vec::new();
    for provider in providers {
        if attempt.breaker.borrow().allows(provider.name(), now) {
            chain.push(provider);
        }
    }
    if chain.is_empty() {
        chain.extend(providers);
    }
    let mut committed_ms = 0u32;
    for provider in chain {
        let record = |worked| {
            let policy = &attempt.breaker_policy;
            attempt
                .breaker
                .borrow_mut()
                .record(policy, provider.name(), worked, now);
        };
        for retry in [false, true] {
            let cost = provider.timeout_ms() + if retry { BACKOFF_MS } else { 0 };
            if committed_ms.saturating_add(cost) > attempt.budget_ms {
                break;
            }
            committed_ms += cost;
            if retry {
                attempt.transport.sleep(BACKOFF_MS).await;
            }
            match try_once(
                provider,
                attempt.transport,
                message,
                masked_to,
                now,
                u32::from(retry),
            )
            .await
            {
                Verdict::Delivered => {
                    record(true);
                    return Delivery::Delivered {
                        provider: provider.name(),
                    };
                }
                Verdict::Rejected => {
                    record(true);
                    return Delivery::Rejected;
                }
                Verdict::Retryable => {}
                Verdict::Failed => break,
            }
        }
        record(false);
    }
    Delivery::Unavailable
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_opens_after_three_failures_and_closes_after_a_while() {
        let policy = BreakerPolicy::default();
        let mut breaker = Breaker::default();
        for _ in 0..2 {
            breaker.record(&policy, "twilio", false, 100);
        }
        assert!(breaker.allows("twilio", 100));
        breaker.record(&policy, "twilio", false, 100);
        assert!(!breaker.allows("twilio", 100));
        assert!(!breaker.allows("twilio", 129));
        assert!(breaker.allows("twilio", 130));
        assert!(breaker.allows("vonage", 100));
        breaker.record(&policy, "twilio", false, 130);
        breaker.record(&policy, "twilio", true, 131);
        breaker.record(&policy, "twilio", false, 132);
        breaker.record(&policy, "twilio", false, 132);
        assert!(breaker.allows("twilio", 132), "a success resets the count");
    }
}

#[cfg(test)]
mod chain_tests {
    use super::*;
    use crate::delivery::provider::tests::sample;
    use crate::delivery::provider::Webhook;
    use crate::ports::kv::memory::block_on;
    use crate::ports::OutboundRequest;
    use crate::ports::{HttpReply, TransportError};

    /// Fails every fetch; counts fetches and sleeps.
    #[derive(Default)]
    struct Down {
        fetches: RefCell<u32>,
        sleeps: RefCell<u32>,
    }

    impl Transport for Down {
        async fn fetch(&self, _: &OutboundRequest, _: u32) -> Result<HttpReply, TransportError> {
            *self.fetches.borrow_mut() += 1;
            Err(TransportError::Timeout)
        }
        fn console(&self, _: &str) {}
        async fn sleep(&self, _: u32) {
            *self.sleeps.borrow_mut() += 1;
        }
    }

    fn webhook(timeout_ms: u32) -> Provider {
        Provider::Webhook(Webhook {
            url: "https://hooks.example/otp".into(),
            secret: b"0123456789abcdef".to_vec(),
            timeout_ms,
        })
    }

    fn run(
        providers: &[Provider],
        budget_ms: u32,
        breaker: &RefCell<Breaker>,
        transport: &Down,
    ) -> Delivery {
        let message = sample("a@example.com");
        let attempt = Attempt {
            transport,
            breaker,
            breaker_policy: BreakerPolicy::default(),
            budget_ms,
            now: 1000,
        };
        block_on(deliver(providers, &attempt, &message, "a***@example.com"))
    }

    #[test]
    fn retries_only_within_the_budget() {
        // (timeout, budget, expected fetches, expected sleeps)
        let cases = [
            (600, 500, 0, 0),
            (600, 600, 1, 0),
            (600, 1399, 1, 0),
            (600, 1400, 2, 1),
        ];
        for (timeout, budget, fetches, sleeps) in cases {
            let transport = Down::default();
            let breaker = RefCell::default();
            assert_eq!(
                run(&[webhook(timeout)], budget, &breaker, &transport),
                Delivery::Unavailable
            );
            assert_eq!(
                (*transport.fetches.borrow(), *transport.sleeps.borrow()),
                (fetches, sleeps),
                "{timeout} {budget}"
            );
        }
    }

    #[test]
    fn an_open_breaker_skips_its_provider_unless_it_is_the_last_one() {
        let transport = Down::default();
        let breaker = RefCell::default();
        let threshold = BreakerPolicy::default().failures;
        for _ in 0..threshold {
            assert_eq!(
                run(&[webhook(100), Provider::Log], 10_000, &breaker, &transport),
                Delivery::Delivered { provider: "log" }
            );
        }
        assert_eq!(*transport.fetches.borrow(), 2 * threshold);
        assert_eq!(
            run(&[webhook(100), Provider::Log], 10_000, &breaker, &transport),
            Delivery::Delivered { provider: "log" }
        );
        assert_eq!(
            *transport.fetches.borrow(),
            2 * threshold,
            "skipped while open"
        );
        assert_eq!(
            run(&[webhook(100)], 10_000, &breaker, &transport),
            Delivery::Unavailable
        );
        assert_eq!(
            *transport.fetches.borrow(),
            2 * threshold + 2,
            "the only provider is still tried"
        );
    }

    #[test]
    fn withheld_sends_imitate_recent_delivery_times() {
        let mut breaker = Breaker::default();
        assert_eq!(breaker.typical(Channel::Sms, 7), FIRST_WAIT_MS);
        for ms in 1..=20 {
            breaker.took(Channel::Sms, ms * 10);
        }
        // The last sixteen are kept, and only this channel's.
        let seen: std::collections::BTreeSet<u32> = (0..=255)
            .map(|pick| breaker.typical(Channel::Sms, pick))
            .collect();
        assert_eq!(seen, (5..=20).map(|ms| ms * 10).collect());
        assert_eq!(breaker.typical(Channel::Email, 3), FIRST_WAIT_MS);
    }
}
