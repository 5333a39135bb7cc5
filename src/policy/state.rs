//! The state port. Every state change the service makes is one [`StateOp`]: a
//! serialisable command with a routing key, the record it reads and writes once.
//!
//! [`apply`] carries out an op over any [`Kv`]: one read and at most one write of one
//! record. In KV mode the glue runs it over Workers KV, with the ops on one key
//! serialised within the isolate ([`Serialised`]); in strict mode it sends the op
//! to the Durable Object of its routing key, which calls the same [`apply`] on its
//! own storage, one op at a time. Budget leases ([`StateOp::Lease`]) always go to a
//! Durable Object: KV cannot count a cap exactly.

use crate::core::json::{self, need, FromMembers, Malformed, Members};
use crate::core::sealed::Sealed;
use crate::policy::attempts::{CheckInput, CheckRecord, CodeStatus, FailureBudget};
use crate::policy::budget::{self, Lease};
use crate::policy::idempotency::{self, Claim};
use crate::policy::limits::CaptchaRule;
use crate::policy::limits::{DestinationPolicy, Gate, Window};
use crate::policy::record::DestinationRecord;
use crate::policy::serial::{self, KeyLocks};
use crate::policy::stored::{self, put_json};
use crate::ports::kv::{Kv, StoreError};
use crate::ports::Transport;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateOp {
    /// Reserve a send to a destination and register its code (`code`: the jti).
    Send {
        destination: String,
        policy: DestinationPolicy,
        code: String,
        expires_at: u64,
        captcha: Option<CaptchaRule>,
        now: u64,
    },
    /// Undo a reservation whose code never left (see [`DestinationRecord::release`]).
    Release {
        destination: String,
        policy: DestinationPolicy,
        code: String,
        uncount: bool,
        now: u64,
    },
    /// Apply one check to the code's attempts and the destination's failure budget.
    Check { check: CheckInput, now: u64 },
    /// Where a code stands (`cancel`: and cancel it if it is pending).
    Code {
        destination: String,
        code: String,
        max_attempts: u32,
        expires_at: u64,
        cancel: bool,
        failure_window: u64,
        now: u64,
    },
    /// Count one event against a capped fixed-window counter (the per-IP bucket).
    Hit {
        key: String,
        limit: u32,
        window: u64,
        captcha: Option<CaptchaRule>,
        now: u64,
    },
    /// Take back one [`StateOp::Hit`] of a send that never happened.
    Unhit { key: String, window: u64, now: u64 },
    /// Lease a block of a money cap's units (see [`crate::policy::budget`]).
    Lease {
        key: String,
        limit: u32,
        window: u64,
        now: u64,
    },
    /// Claim an `Idempotency-Key` (see [`crate::policy::idempotency`]).
    IdemClaim {
        key: String,
        body_sha256: String,
        now: u64,
    },
    /// Keep the first response of a claimed key.
    IdemFinish {
        key: String,
        body_sha256: String,
        response: Sealed,
    },
    /// Give a claimed key up: its send failed and may be retried.
    IdemAbandon { key: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateReply {
    Gate { gate: Gate },
    Check { record: CheckRecord },
    Lease { lease: Lease },
    Claim { claim: Claim },
    Code { status: CodeStatus },
    Done,
}

/// The JSON of a [`StateOp`] between the worker and a Durable Object: one flat
/// object, `{"op": "send", "destination": …, "now": …}`, the policy, captcha rule
/// and check spelled out as members too, each present exactly when the op has it
/// (a missing, extra or unknown member is refused). serde derives its writer, and
/// [`Members`] reads it, where an enum of ten variants and three nested records
/// took one visitor each (about 20 KB of wasm). Only these messages use it: nothing
/// stored has this shape. Counts travel as `u64`s: serde_json keeps an integer
/// writer for each width it writes, and the module writes only `u64`s.
#[derive(Default, Serialize)]
struct WireOp {
    op: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    now: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uncount: Option<bool>,
    /// A destination policy: its cooldown, caps and failure budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    cooldown: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    per_hour: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    per_day: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_limit: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_window: Option<u64>,
    /// An adaptive captcha rule, both members or neither.
    #[serde(skip_serializing_if = "Option::is_none")]
    captcha_threshold: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    captcha_passed: Option<bool>,
    /// A check: the code's jti and whether the code matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    matched: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_attempts: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cancel: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    window: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<Sealed>,
}

impl FromMembers for WireOp {
    fn read(m: &mut Members) -> Result<WireOp, Malformed> {
        Ok(WireOp {
            op: m.text("op")?.unwrap_or_default(),
            destination: m.text("destination")?,
            code: m.text("code")?,
            expires_at: m.unsigned("expires_at")?,
            now: m.unsigned("now")?,
            uncount: m.flag("uncount")?,
            cooldown: m.unsigned("cooldown")?,
            per_hour: m.unsigned("per_hour")?,
            per_day: m.unsigned("per_day")?,
            failure_limit: m.unsigned("failure_limit")?,
            failure_window: m.unsigned("failure_window")?,
            captcha_threshold: m.unsigned("captcha_threshold")?,
            captcha_passed: m.flag("captcha_passed")?,
            jti: m.text("jti")?,
            matched: m.flag("matched")?,
            max_attempts: m.unsigned("max_attempts")?,
            cancel: m.flag("cancel")?,
            key: m.text("key")?,
            limit: m.unsigned("limit")?,
            window: m.unsigned("window")?,
            body_sha256: m.text("body_sha256")?,
            response: m.record("response")?,
        })
    }
}

impl FromMembers for WireReply {
    fn read(m: &mut Members) -> Result<WireReply, Malformed> {
        Ok(WireReply {
            reply: m.text("reply")?.unwrap_or_default(),
            retry_after: m.unsigned("retry_after")?,
            attempts_remaining: m.unsigned("attempts_remaining")?,
            granted: m.unsigned("granted")?,
            response: m.record("response")?,
        })
    }
}

/// A wire op or reply: its wire form `W` read, no member left unread, and its
/// kind's needs met.
fn from_wire<W: FromMembers, T: TryFrom<W, Error = Malformed>>(
    m: &mut Members,
) -> Result<T, Malformed> {
    let wire = W::read(m)?;
    m.all_read()?;
    T::try_from(wire)
}

/// A member an op or reply needs, taken out of its wire form: what is left once
/// the op or reply is built are the members it does not carry.
fn take<T>(member: &mut Option<T>) -> Result<T, Malformed> {
    need(member.take())
}

/// A count an op or reply needs (a `u32` of it, written as a `u64`: see
/// [`WireOp`]).
fn take_count(member: &mut Option<u64>) -> Result<u32, Malformed> {
    json::count(take(member)?)
}

/// The wire form is written from the op or reply by reference (no copy of it).
impl Serialize for StateOp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireOp::from(self).serialize(serializer)
    }
}

impl Serialize for StateReply {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireReply::from(self).serialize(serializer)
    }
}

impl FromMembers for StateOp {
    fn read(m: &mut Members) -> Result<StateOp, Malformed> {
        from_wire::<WireOp, _>(m)
    }
}

impl FromMembers for StateReply {
    fn read(m: &mut Members) -> Result<StateReply, Malformed> {
        from_wire::<WireReply, _>(m)
    }
}

impl WireOp {
    /// Every member taken (see [`take`]). Each is named, so that a member added to
    /// the struct and not here fails to compile.
    fn spent(&self) -> bool {
        let WireOp {
            op: _,
            destination,
            code,
            expires_at,
            now,
            uncount,
            cooldown,
            per_hour,
            per_day,
            failure_limit,
            failure_window,
            captcha_threshold,
            captcha_passed,
            jti,
            matched,
            max_attempts,
            cancel,
            key,
            limit,
            window,
            body_sha256,
            response,
        } = self;
        destination.is_none()
            && code.is_none()
            && expires_at.is_none()
            && now.is_none()
            && uncount.is_none()
            && cooldown.is_none()
            && per_hour.is_none()
            && per_day.is_none()
            && failure_limit.is_none()
            && failure_window.is_none()
            && captcha_threshold.is_none()
            && captcha_passed.is_none()
            && jti.is_none()
            && matched.is_none()
            && max_attempts.is_none()
            && cancel.is_none()
            && key.is_none()
            && limit.is_none()
            && window.is_none()
            && body_sha256.is_none()
            && response.is_none()
    }

    fn set_policy(&mut self, policy: DestinationPolicy) {
        self.cooldown = Some(policy.cooldown);
        self.per_hour = Some(policy.per_hour.into());
        self.per_day = Some(policy.per_day.into());
        self.set_failure_budget(policy.failure_budget);
    }

    fn set_failure_budget(&mut self, budget: FailureBudget) {
        self.failure_limit = Some(budget.limit.into());
        self.failure_window = Some(budget.window);
    }

    fn set_captcha(&mut self, captcha: Option<CaptchaRule>) {
        self.captcha_threshold = captcha.map(|c| c.threshold.into());
        self.captcha_passed = captcha.map(|c| c.passed);
    }

    fn failure_budget(&mut self) -> Result<FailureBudget, Malformed> {
        Ok(FailureBudget {
            limit: take_count(&mut self.failure_limit)?,
            window: take(&mut self.failure_window)?,
        })
    }

    fn policy(&mut self) -> Result<DestinationPolicy, Malformed> {
        Ok(DestinationPolicy {
            cooldown: take(&mut self.cooldown)?,
            per_hour: take_count(&mut self.per_hour)?,
            per_day: take_count(&mut self.per_day)?,
            failure_budget: self.failure_budget()?,
        })
    }

    fn captcha(&mut self) -> Result<Option<CaptchaRule>, Malformed> {
        match (self.captcha_threshold.take(), self.captcha_passed.take()) {
            (Some(threshold), Some(passed)) => Ok(Some(CaptchaRule {
                threshold: json::count(threshold)?,
                passed,
            })),
            (None, None) => Ok(None),
            _ => Err(Malformed),
        }
    }
}

impl From<&StateOp> for WireOp {
    // Each kind sets its own members on one default op (a struct literal per kind
    // would write all twenty-odd members in every arm: 5 KB of wasm).
    fn from(op: &StateOp) -> WireOp {
        let mut w = WireOp::default();
        let name = match op {
            StateOp::Send {
                destination,
                policy,
                code,
                expires_at,
                captcha,
                now,
            } => {
                w.set_policy(*policy);
                w.set_captcha(*captcha);
                w.destination = Some(destination.clone());
                w.code = Some(code.clone());
                w.expires_at = Some(*expires_at);
                w.now = Some(*now);
                "send"
            }
            StateOp::Release {
                destination,
                policy,
                code,
                uncount,
                now,
            } => {
                w.set_policy(*policy);
                w.destination = Some(destination.clone());
                w.code = Some(code.clone());
                w.uncount = Some(*uncount);
                w.now = Some(*now);
                "release"
            }
            StateOp::Check { check, now } => {
                w.destination = Some(check.destination.clone());
                w.jti = Some(check.jti.clone());
                w.matched = Some(check.matched);
                w.max_attempts = Some(check.max_attempts.into());
                w.expires_at = Some(check.expires_at);
                w.set_failure_budget(check.budget);
                w.now = Some(*now);
                "check"
            }
            StateOp::Code {
                destination,
                code,
                max_attempts,
                expires_at,
                cancel,
                failure_window,
                now,
            } => {
                w.destination = Some(destination.clone());
                w.code = Some(code.clone());
                w.max_attempts = Some((*max_attempts).into());
                w.expires_at = Some(*expires_at);
                w.cancel = Some(*cancel);
                w.failure_window = Some(*failure_window);
                w.now = Some(*now);
                "code"
            }
            StateOp::Hit {
                key,
                limit,
                window,
                captcha,
                now,
            } => {
                w.set_captcha(*captcha);
                w.key = Some(key.clone());
                w.limit = Some((*limit).into());
                w.window = Some(*window);
                w.now = Some(*now);
                "hit"
            }
            StateOp::Unhit { key, window, now } => {
                w.key = Some(key.clone());
                w.window = Some(*window);
                w.now = Some(*now);
                "unhit"
            }
            StateOp::Lease {
                key,
                limit,
                window,
                now,
            } => {
                w.key = Some(key.clone());
                w.limit = Some((*limit).into());
                w.window = Some(*window);
                w.now = Some(*now);
                "lease"
            }
            StateOp::IdemClaim {
                key,
                body_sha256,
                now,
            } => {
                w.key = Some(key.clone());
                w.body_sha256 = Some(body_sha256.clone());
                w.now = Some(*now);
                "idem_claim"
            }
            StateOp::IdemFinish {
                key,
                body_sha256,
                response,
            } => {
                w.key = Some(key.clone());
                w.body_sha256 = Some(body_sha256.clone());
                w.response = Some(response.clone());
                "idem_finish"
            }
            StateOp::IdemAbandon { key } => {
                w.key = Some(key.clone());
                "idem_abandon"
            }
        };
        w.op = name.to_owned();
        w
    }
}

/// The JSON of a [`StateReply`], flat like [`WireOp`]: `reply` names the answer
/// (`"gate.closed"`, `"check.wrong"`, `"lease"`, `"claim.done"`, `"done"`, …) and
/// the members it carries are present, no others. [`Members`] reads every reply,
/// where the nested gate, check, claim and code enums took a visitor each (10 KB
/// of wasm). Unknown members are refused, so that no message of another shape (an
/// object on an earlier version during a deploy) can read as a reply.
#[derive(Default, Serialize)]
struct WireReply {
    reply: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempts_remaining: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    granted: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<Sealed>,
}

impl WireReply {
    /// Every member taken, as [`WireOp::spent`].
    fn spent(&self) -> bool {
        let WireReply {
            reply: _,
            retry_after,
            attempts_remaining,
            granted,
            response,
        } = self;
        retry_after.is_none()
            && attempts_remaining.is_none()
            && granted.is_none()
            && response.is_none()
    }
}

impl From<&StateReply> for WireReply {
    fn from(reply: &StateReply) -> WireReply {
        let mut w = WireReply::default();
        let name = match reply {
            StateReply::Gate { gate } => match gate {
                Gate::Open => "gate.open",
                Gate::Closed { retry_after } => {
                    w.retry_after = Some(*retry_after);
                    "gate.closed"
                }
                Gate::Captcha => "gate.captcha",
            },
            StateReply::Check { record } => match record {
                CheckRecord::Approved => "check.approved",
                CheckRecord::Wrong { attempts_remaining } => {
                    w.attempts_remaining = Some((*attempts_remaining).into());
                    "check.wrong"
                }
                CheckRecord::Exhausted => "check.exhausted",
                CheckRecord::Locked => "check.locked",
                CheckRecord::AlreadyUsed => "check.already_used",
                CheckRecord::Canceled => "check.canceled",
            },
            StateReply::Lease { lease } => {
                w.granted = Some(lease.granted.into());
                w.retry_after = Some(lease.retry_after);
                "lease"
            }
            StateReply::Claim { claim } => match claim {
                Claim::Claimed => "claim.claimed",
                Claim::InFlight => "claim.in_flight",
                Claim::Done { response } => {
                    w.response = Some(response.clone());
                    "claim.done"
                }
                Claim::Reused => "claim.reused",
            },
            StateReply::Code { status } => match status {
                CodeStatus::Pending { attempts_remaining } => {
                    w.attempts_remaining = Some((*attempts_remaining).into());
                    "code.pending"
                }
                CodeStatus::Approved => "code.approved",
                CodeStatus::Exhausted => "code.exhausted",
                CodeStatus::Canceled => "code.canceled",
            },
            StateReply::Done => "done",
        };
        w.reply = name.to_owned();
        w
    }
}

impl TryFrom<WireReply> for StateReply {
    type Error = Malformed;

    fn try_from(mut w: WireReply) -> Result<StateReply, Malformed> {
        let gate = |gate| StateReply::Gate { gate };
        let check = |record| StateReply::Check { record };
        let claim = |claim| StateReply::Claim { claim };
        let code = |status| StateReply::Code { status };
        let name = std::mem::take(&mut w.reply);
        let reply = match name.as_str() {
            "gate.open" => gate(Gate::Open),
            "gate.closed" => gate(Gate::Closed {
                retry_after: take(&mut w.retry_after)?,
            }),
            "gate.captcha" => gate(Gate::Captcha),
            "check.approved" => check(CheckRecord::Approved),
            "check.wrong" => check(CheckRecord::Wrong {
                attempts_remaining: take_count(&mut w.attempts_remaining)?,
            }),
            "check.exhausted" => check(CheckRecord::Exhausted),
            "check.locked" => check(CheckRecord::Locked),
            "check.already_used" => check(CheckRecord::AlreadyUsed),
            "check.canceled" => check(CheckRecord::Canceled),
            "lease" => StateReply::Lease {
                lease: Lease {
                    granted: take_count(&mut w.granted)?,
                    retry_after: take(&mut w.retry_after)?,
                },
            },
            "claim.claimed" => claim(Claim::Claimed),
            "claim.in_flight" => claim(Claim::InFlight),
            "claim.done" => claim(Claim::Done {
                response: take(&mut w.response)?,
            }),
            "claim.reused" => claim(Claim::Reused),
            "code.pending" => code(CodeStatus::Pending {
                attempts_remaining: take_count(&mut w.attempts_remaining)?,
            }),
            "code.approved" => code(CodeStatus::Approved),
            "code.exhausted" => code(CodeStatus::Exhausted),
            "code.canceled" => code(CodeStatus::Canceled),
            "done" => StateReply::Done,
            _ => return Err(Malformed),
        };
        // No member the answer does not carry.
        w.spent().then_some(reply).ok_or(Malformed)
    }
}

impl TryFrom<WireOp> for StateOp {
    type Error = Malformed;

    fn try_from(mut w: WireOp) -> Result<StateOp, Malformed> {
        let name = std::mem::take(&mut w.op);
        let op = match name.as_str() {
            "send" => StateOp::Send {
                destination: take(&mut w.destination)?,
                policy: w.policy()?,
                code: take(&mut w.code)?,
                expires_at: take(&mut w.expires_at)?,
                captcha: w.captcha()?,
                now: take(&mut w.now)?,
            },
            "release" => StateOp::Release {
                destination: take(&mut w.destination)?,
                policy: w.policy()?,
                code: take(&mut w.code)?,
                uncount: take(&mut w.uncount)?,
                now: take(&mut w.now)?,
            },
            "check" => StateOp::Check {
                check: CheckInput {
                    destination: take(&mut w.destination)?,
                    jti: take(&mut w.jti)?,
                    matched: take(&mut w.matched)?,
                    max_attempts: take_count(&mut w.max_attempts)?,
                    expires_at: take(&mut w.expires_at)?,
                    budget: w.failure_budget()?,
                },
                now: take(&mut w.now)?,
            },
            "code" => StateOp::Code {
                destination: take(&mut w.destination)?,
                code: take(&mut w.code)?,
                max_attempts: take_count(&mut w.max_attempts)?,
                expires_at: take(&mut w.expires_at)?,
                cancel: take(&mut w.cancel)?,
                failure_window: take(&mut w.failure_window)?,
                now: take(&mut w.now)?,
            },
            "hit" => StateOp::Hit {
                key: take(&mut w.key)?,
                limit: take_count(&mut w.limit)?,
                window: take(&mut w.window)?,
                captcha: w.captcha()?,
                now: take(&mut w.now)?,
            },
            "unhit" => StateOp::Unhit {
                key: take(&mut w.key)?,
                window: take(&mut w.window)?,
                now: take(&mut w.now)?,
            },
            "lease" => StateOp::Lease {
                key: take(&mut w.key)?,
                limit: take_count(&mut w.limit)?,
                window: take(&mut w.window)?,
                now: take(&mut w.now)?,
            },
            "idem_claim" => StateOp::IdemClaim {
                key: take(&mut w.key)?,
                body_sha256: take(&mut w.body_sha256)?,
                now: take(&mut w.now)?,
            },
            "idem_finish" => StateOp::IdemFinish {
                key: take(&mut w.key)?,
                body_sha256: take(&mut w.body_sha256)?,
                response: take(&mut w.response)?,
            },
            "idem_abandon" => StateOp::IdemAbandon {
                key: take(&mut w.key)?,
            },
            _ => return Err(Malformed),
        };
        // No member the op does not carry.
        w.spent().then_some(op).ok_or(Malformed)
    }
}

impl StateOp {
    /// Ops with the same routing key share one record (KV) or object (strict mode).
    pub fn routing_key(&self) -> String {
        match self {
            StateOp::Send { destination, .. }
            | StateOp::Release { destination, .. }
            | StateOp::Code { destination, .. } => {
                format!("d:{destination}")
            }
            StateOp::Check { check, .. } => format!("d:{}", check.destination),
            StateOp::Hit { key, .. } | StateOp::Unhit { key, .. } => format!("c:{key}"),
            StateOp::Lease { key, .. } => format!("b:{key}"),
            StateOp::IdemClaim { key, .. }
            | StateOp::IdemFinish { key, .. }
            | StateOp::IdemAbandon { key } => key.clone(),
        }
    }
}

/// A record from what the store gave back (absent or unreadable: a fresh one; it
/// was ours, and a changed shape after an upgrade must not lock anyone out or in).
fn fresh_or<T: FromMembers + Default>(stored: Option<String>) -> T {
    stored::read(stored).unwrap_or_default()
}

/// Carries out one op over `kv`: one read, and one write when something changed.
pub async fn apply<K: Kv>(kv: &K, op: &StateOp) -> Result<StateReply, StoreError> {
    let key = op.routing_key();
    Ok(match op {
        StateOp::Send {
            policy,
            code,
            expires_at,
            captcha,
            now,
            ..
        } => {
            let mut record: DestinationRecord = fresh_or(kv.get(&key).await?);
            let gate = record.reserve(policy, code, *expires_at, *captcha, *now);
            if gate == Gate::Open {
                let ttl = record.ttl(policy.failure_budget.window, *now);
                put_json(kv, &key, &record, ttl).await?;
            }
            StateReply::Gate { gate }
        }
        StateOp::Release {
            policy,
            code,
            uncount,
            now,
            ..
        } => {
            let mut record: DestinationRecord = fresh_or(kv.get(&key).await?);
            record.release(code, *uncount, *now);
            let ttl = record.ttl(policy.failure_budget.window, *now);
            put_json(kv, &key, &record, ttl).await?;
            StateReply::Done
        }
        StateOp::Check { check, now } => {
            let mut record: DestinationRecord = fresh_or(kv.get(&key).await?);
            let (result, changed) = record.check(check, *now);
            if changed {
                let ttl = record.ttl(check.budget.window, *now);
                put_json(kv, &key, &record, ttl).await?;
            }
            StateReply::Check { record: result }
        }
        StateOp::Code {
            code,
            max_attempts,
            expires_at,
            cancel,
            failure_window,
            now,
            ..
        } => {
            let mut record: DestinationRecord = fresh_or(kv.get(&key).await?);
            let status = if *cancel {
                let (status, changed) = record.cancel(code, *max_attempts, *expires_at, *now);
                if changed {
                    let ttl = record.ttl(*failure_window, *now);
                    put_json(kv, &key, &record, ttl).await?;
                }
                status
            } else {
                record.status(code, *max_attempts)
            };
            StateReply::Code { status }
        }
        StateOp::Hit {
            limit,
            window,
            captcha,
            now,
            ..
        } => {
            let mut counter: Window = fresh_or(kv.get(&key).await?);
            let gate = counter.hit(*limit, *window, *captcha, *now);
            if gate == Gate::Open {
                put_json(kv, &key, &counter, Window::remaining(*now, *window)).await?;
            }
            StateReply::Gate { gate }
        }
        StateOp::Unhit { window, now, .. } => {
            let counter: Window = fresh_or(kv.get(&key).await?);
            let counter = counter.remove(*now, *window);
            put_json(kv, &key, &counter, Window::remaining(*now, *window)).await?;
            StateReply::Done
        }
        StateOp::Lease {
            limit, window, now, ..
        } => {
            let mut granted: Window = fresh_or(kv.get(&key).await?);
            let lease = budget::grant(&mut granted, *limit, *window, *now);
            if lease.granted > 0 {
                put_json(kv, &key, &granted, Window::remaining(*now, *window)).await?;
            }
            StateReply::Lease { lease }
        }
        StateOp::IdemClaim {
            body_sha256, now, ..
        } => {
            let record: Option<idempotency::Record> = stored::read(kv.get(&key).await?);
            let (claim, write) = idempotency::claim(record, body_sha256, *now);
            if let Some(record) = write {
                put_json(kv, &key, &record, idempotency::PENDING).await?;
            }
            StateReply::Claim { claim }
        }
        StateOp::IdemFinish {
            body_sha256,
            response,
            ..
        } => {
            let record = idempotency::finish(body_sha256, response.clone());
            put_json(kv, &key, &record, idempotency::WINDOW).await?;
            StateReply::Done
        }
        StateOp::IdemAbandon { .. } => {
            kv.delete(&key).await?;
            StateReply::Done
        }
    })
}

/// Where ops are carried out.
#[allow(async_fn_in_trait)]
pub trait State {
    async fn run(&self, op: StateOp) -> Result<StateReply, StoreError>;

    async fn gate(&self, op: StateOp) -> Result<Gate, StoreError> {
        match self.run(op).await? {
            StateReply::Gate { gate } => Ok(gate),
            _ => Err(StoreError::Unavailable),
        }
    }

    async fn check(&self, check: CheckInput, now: u64) -> Result<CheckRecord, StoreError> {
        match self.run(StateOp::Check { check, now }).await? {
            StateReply::Check { record } => Ok(record),
            _ => Err(StoreError::Unavailable),
        }
    }

    async fn claim(&self, op: StateOp) -> Result<Claim, StoreError> {
        match self.run(op).await? {
            StateReply::Claim { claim } => Ok(claim),
            _ => Err(StoreError::Unavailable),
        }
    }

    async fn code(&self, op: StateOp) -> Result<CodeStatus, StoreError> {
        match self.run(op).await? {
            StateReply::Code { status } => Ok(status),
            _ => Err(StoreError::Unavailable),
        }
    }

    async fn lease(&self, op: StateOp) -> Result<Lease, StoreError> {
        match self.run(op).await? {
            StateReply::Lease { lease } => Ok(lease),
            _ => Err(StoreError::Unavailable),
        }
    }
}

/// Any key-value store carries out ops itself (the tests' memory store; a Durable
/// Object's storage).
impl<K: Kv> State for K {
    async fn run(&self, op: StateOp) -> Result<StateReply, StoreError> {
        apply(self, &op).await
    }
}

/// A store whose ops on one record are serialised within the isolate (KV mode):
/// no lost updates among this isolate's concurrent requests. `timer` paces the
/// waits (see [`crate::policy::serial::lock`]).
pub struct Serialised<'a, K, T> {
    pub kv: &'a K,
    pub locks: &'a KeyLocks,
    pub timer: &'a T,
}

impl<K: Kv, T: Transport> State for Serialised<'_, K, T> {
    async fn run(&self, op: StateOp) -> Result<StateReply, StoreError> {
        let _turn = serial::lock(self.locks, &op.routing_key(), self.timer).await;
        apply(self.kv, &op).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_round_trip_as_json_and_route_by_owner() {
        let op = StateOp::Hit {
            key: "ip:abc".into(),
            limit: 10,
            window: 3600,
            captcha: None,
            now: 1,
        };
        let text = serde_json::to_string(&op).unwrap();
        assert_eq!(crate::core::json::read::<StateOp>(&text).unwrap(), op);
        assert_eq!(op.routing_key(), "c:ip:abc");
        let lease = StateOp::Lease {
            key: "day:sms".into(),
            limit: 10,
            window: 86_400,
            now: 1,
        };
        assert_eq!(lease.routing_key(), "b:day:sms");
        let check = StateOp::Check {
            check: CheckInput {
                destination: "xyz".into(),
                jti: "j".into(),
                matched: false,
                max_attempts: 5,
                expires_at: 600,
                budget: crate::policy::attempts::FailureBudget {
                    limit: 20,
                    window: 86_400,
                },
            },
            now: 1,
        };
        assert_eq!(check.routing_key(), "d:xyz");
        let reply = StateReply::Gate {
            gate: Gate::Closed { retry_after: 5 },
        };
        let text = serde_json::to_string(&reply).unwrap();
        assert_eq!(text, r#"{"reply":"gate.closed","retry_after":5}"#);
        assert_eq!(crate::core::json::read::<StateReply>(&text).unwrap(), reply);
    }

    /// Every kind of op crosses to the Durable Object and back unchanged, as one
    /// flat object; one missing a field its kind needs, or of no known kind, is
    /// refused rather than applied with a default.
    #[test]
    fn every_op_round_trips_on_the_wire_and_malformed_ones_are_refused() {
        let policy = DestinationPolicy {
            cooldown: 60,
            per_hour: 15,
            per_day: 60,
            failure_budget: crate::policy::attempts::FailureBudget {
                limit: 20,
                window: 86_400,
            },
        };
        let captcha = Some(CaptchaRule {
            threshold: 3,
            passed: true,
        });
        let check = CheckInput {
            destination: "d".into(),
            jti: "j".into(),
            matched: true,
            max_attempts: 5,
            expires_at: 600,
            budget: policy.failure_budget,
        };
        let ops = [
            StateOp::Send {
                destination: "d".into(),
                policy,
                code: "j".into(),
                expires_at: 600,
                captcha,
                now: 1,
            },
            StateOp::Release {
                destination: "d".into(),
                policy,
                code: "j".into(),
                uncount: true,
                now: 2,
            },
            StateOp::Check { check, now: 3 },
            StateOp::Code {
                destination: "d".into(),
                code: "j".into(),
                max_attempts: 5,
                expires_at: 600,
                cancel: true,
                failure_window: 86_400,
                now: 4,
            },
            StateOp::Hit {
                key: "ip".into(),
                limit: 10,
                window: 3600,
                captcha: None,
                now: 5,
            },
            StateOp::Unhit {
                key: "ip".into(),
                window: 3600,
                now: 6,
            },
            StateOp::Lease {
                key: "day:sms".into(),
                limit: 10,
                window: 86_400,
                now: 7,
            },
            StateOp::IdemClaim {
                key: "i".into(),
                body_sha256: "b".into(),
                now: 8,
            },
            StateOp::IdemFinish {
                key: "i".into(),
                body_sha256: "b".into(),
                response: Sealed {
                    kid: "k1".into(),
                    sealed: "s".into(),
                },
            },
            StateOp::IdemAbandon { key: "i".into() },
        ];
        for op in ops {
            let text = serde_json::to_string(&op).unwrap();
            assert_eq!(
                crate::core::json::read::<StateOp>(&text).unwrap(),
                op,
                "{text}"
            );
        }
        const RELEASE: &str = r#"{"op":"release","destination":"d","cooldown":60,"per_hour":5,"per_day":10,"failure_limit":5,"failure_window":3600,"code":"j","uncount":true,"now":1}"#;
        assert!(crate::core::json::read::<StateOp>(RELEASE).is_ok());
        for text in [
            r#"{"op":"send","destination":"d","code":"j","expires_at":600,"now":1}"#,
            r#"{"op":"check","now":3}"#,
            r#"{"op":"idem_abandon"}"#,
            r#"{"op":"shred","key":"i"}"#,
            r#"{"key":"i"}"#,
            r#"{"op":"unhit","key":"ip","window":"3600","now":6}"#,
            r#"{"op":"idem_abandon","key":"i","now":1}"#,
            r#"{"op":"idem_abandon","key":"i","policy":{}}"#,
            r#"{"op":"hit","key":"ip","limit":10,"window":3600,"captcha_threshold":3,"now":5}"#,
            // Members of the wrong type or range, and messages that are not objects.
            r#"{"op":"unhit","key":"ip","window":-1,"now":6}"#,
            r#"{"op":"unhit","key":"ip","window":3600.5,"now":6}"#,
            r#"{"op":"lease","key":"k","limit":4294967296,"window":60,"now":7}"#,
            r#"{"op":"lease","key":7,"limit":10,"window":60,"now":7}"#,
            r#"{"op":"idem_finish","key":"i","body_sha256":"b","response":{"kid":"k1"}}"#,
            r#"{"op":"idem_finish","key":"i","body_sha256":"b","response":"s"}"#,
            r#"{"op":"idem_abandon","key":"i","extra":null}"#,
            // A member of another kind of op (without it, RELEASE reads).
            &RELEASE.replace('}', r#","jti":"x"}"#),
            &RELEASE.replace('}', r#","captcha_passed":true}"#),
            r#"["idem_abandon","i"]"#,
            r#""idem_abandon""#,
        ] {
            assert!(crate::core::json::read::<StateOp>(text).is_err(), "{text}");
        }
        let hit = serde_json::to_string(&StateOp::Unhit {
            key: "ip".into(),
            window: 3600,
            now: 6,
        });
        assert_eq!(
            hit.unwrap(),
            r#"{"op":"unhit","now":6,"key":"ip","window":3600}"#
        );
    }

    #[test]
    fn every_reply_round_trips_on_the_wire_and_malformed_ones_are_refused() {
        let replies = [
            StateReply::Gate { gate: Gate::Open },
            StateReply::Gate {
                gate: Gate::Closed { retry_after: 30 },
            },
            StateReply::Check {
                record: CheckRecord::Wrong {
                    attempts_remaining: 2,
                },
            },
            StateReply::Lease {
                lease: Lease {
                    granted: 5,
                    retry_after: 0,
                },
            },
            StateReply::Claim {
                claim: Claim::Done {
                    response: Sealed {
                        kid: "k1".into(),
                        sealed: "s".into(),
                    },
                },
            },
            StateReply::Code {
                status: CodeStatus::Pending {
                    attempts_remaining: 4,
                },
            },
            StateReply::Done,
        ];
        let unit_kinds = [
            StateReply::Gate {
                gate: Gate::Captcha,
            },
            StateReply::Check {
                record: CheckRecord::Approved,
            },
            StateReply::Check {
                record: CheckRecord::Exhausted,
            },
            StateReply::Check {
                record: CheckRecord::Locked,
            },
            StateReply::Check {
                record: CheckRecord::AlreadyUsed,
            },
            StateReply::Check {
                record: CheckRecord::Canceled,
            },
            StateReply::Claim {
                claim: Claim::Claimed,
            },
            StateReply::Claim {
                claim: Claim::InFlight,
            },
            StateReply::Claim {
                claim: Claim::Reused,
            },
            StateReply::Code {
                status: CodeStatus::Approved,
            },
            StateReply::Code {
                status: CodeStatus::Exhausted,
            },
            StateReply::Code {
                status: CodeStatus::Canceled,
            },
        ];
        for reply in replies.into_iter().chain(unit_kinds) {
            let text = serde_json::to_string(&reply).unwrap();
            assert_eq!(
                crate::core::json::read::<StateReply>(&text).unwrap(),
                reply,
                "{text}"
            );
        }
        assert_eq!(
            serde_json::to_string(&StateReply::Done).unwrap(),
            r#"{"reply":"done"}"#
        );
        for text in [
            r#"{}"#,
            r#"{"reply":"gate.ajar"}"#,
            r#"{"reply":"gate.open","retry_after":5}"#,
            r#"{"reply":"lease","granted":5}"#,
            r#"{"reply":"claim.done"}"#,
            r#""done""#,
            r#"{"reply":"done","record":"approved"}"#,
            r#"{"check":{"record":"approved"}}"#,
            r#"{"reply":"check.wrong","attempts_remaining":"2"}"#,
            r#"{"reply":"lease","granted":4294967296,"retry_after":0}"#,
            r#"{"reply":"claim.done","response":{"sealed":"s"}}"#,
            r#"{"reply":"done","spare":null}"#,
        ] {
            assert!(
                crate::core::json::read::<StateReply>(text).is_err(),
                "{text}"
            );
        }
    }
}

/// What each mode guarantees when two Cloudflare locations see the same code: KV
/// replicates slowly, so a second location may read a record from before the first
/// location's write; a Durable Object is one place that every location talks to.
#[cfg(test)]
mod consistency {
    use super::*;
    use crate::policy::attempts::FailureBudget;
    use crate::ports::kv::memory::{block_on, MemoryKv};
    use std::collections::HashMap;

    /// Another location's view of KV: writes reach the shared store, reads come from
    /// a snapshot taken before (as within KV's propagation delay).
    struct LaggingLocation<'a> {
        shared: &'a MemoryKv,
        snapshot: HashMap<String, String>,
    }

    impl<'a> LaggingLocation<'a> {
        fn new(shared: &'a MemoryKv) -> Self {
            let snapshot = shared
                .entries
                .borrow()
                .iter()
                .map(|(k, (v, _))| (k.clone(), v.clone()))
                .collect();
            LaggingLocation { shared, snapshot }
        }
    }

    impl Kv for LaggingLocation<'_> {
        async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
            Ok(self.snapshot.get(key).cloned())
        }
        async fn put(&self, key: &str, value: &str, ttl: u64) -> Result<(), StoreError> {
            self.shared.put(key, value, ttl).await
        }
        async fn delete(&self, key: &str) -> Result<(), StoreError> {
            self.shared.delete(key).await
        }
    }

    const T0: u64 = 1_700_000_000;

    fn check(matched: bool) -> StateOp {
        StateOp::Check {
            check: CheckInput {
                destination: "d".into(),
                jti: "j".into(),
                matched,
                max_attempts: 5,
                expires_at: T0 + 600,
                budget: FailureBudget {
                    limit: 20,
                    window: 86_400,
                },
            },
            now: T0,
        }
    }

    fn record(state: &impl State, matched: bool) -> CheckRecord {
        match block_on(state.run(check(matched))) {
            Ok(StateReply::Check { record }) => record,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn kv_mode_can_approve_twice_across_locations() {
        let shared = MemoryKv::default();
        let far_away = LaggingLocation::new(&shared);
        assert_eq!(record(&shared, true), CheckRecord::Approved);
        assert_eq!(
            record(&far_away, true),
            CheckRecord::Approved,
            "the stale read misses the marker"
        );
        assert_eq!(
            record(&shared, true),
            CheckRecord::AlreadyUsed,
            "once replicated, single use holds"
        );
    }

    #[test]
    fn kv_mode_gives_each_location_its_own_attempts() {
        let shared = MemoryKv::default();
        let locations: Vec<_> = (0..3).map(|_| LaggingLocation::new(&shared)).collect();
        let evaluated = locations
            .iter()
            .filter(|l| matches!(record(*l, false), CheckRecord::Wrong { .. }))
            .count();
        assert_eq!(evaluated, 3, "every location read 0 failures");
    }

    #[test]
    fn one_object_serialises_every_location() {
        // In durable mode every location's op reaches the same object and storage.
        let object = MemoryKv::default();
        assert_eq!(record(&object, true), CheckRecord::Approved);
        assert_eq!(record(&object, true), CheckRecord::AlreadyUsed);
        let object = MemoryKv::default();
        let answers: Vec<_> = (0..7).map(|_| record(&object, false)).collect();
        assert_eq!(
            answers
                .iter()
                .filter(|r| matches!(r, CheckRecord::Wrong { .. }))
                .count(),
            4
        );
        assert_eq!(answers[4..], [CheckRecord::Exhausted; 3]);
    }
}
