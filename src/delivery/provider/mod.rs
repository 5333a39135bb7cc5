//! The provider boundary: a provider turns a [`Message`] into an outbound request
//! (pure), and classifies the reply (pure). The glue performs the request with a
//! timeout; nothing here does I/O.

pub mod alibaba;
pub mod email;
pub mod huawei;
pub mod sigv4;
pub mod tc3;
pub mod tencent;
pub mod twilio;
pub mod vonage;
pub mod webhook;

pub use alibaba::AlibabaSms;
pub use huawei::HuaweiSms;
pub use tencent::TencentSms;
pub use twilio::Twilio;
pub use vonage::Vonage;
pub use webhook::Webhook;

use crate::core::destination::Channel;

use crate::delivery::message::Message;
use crate::ports::{HttpReply, OutboundRequest};

/// How a provider hands over one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dispatch {
    /// Print to the developer's console (the `log` provider).
    Console(String),
    Http(OutboundRequest),
}

/// What a provider's reply means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// The provider refuses this destination; another provider would too.
    Rejected,
    /// The provider failed; another provider (or a later try) may succeed.
    Retryable,
    /// The provider refused the request itself (credentials, sender, quota): a
    /// retry would fail the same way, the next provider may not.
    Failed,
}

#[derive(Debug, Clone)]
pub enum Provider {
    /// Development default: prints each message to the console, code included.
    Log,
    Webhook(Webhook),
    Twilio(Twilio),
    Vonage(Vonage),
    Tencent(TencentSms),
    Alibaba(AlibabaSms),
    Huawei(HuaweiSms),
    Email(EmailVendor),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailKind {
    Resend,
    SendGrid,
    Postmark,
    Mailgun,
    Ses,
}

/// An email vendor account: where, with which credential, from whom.
#[derive(Clone)]
pub struct EmailVendor {
    pub kind: EmailKind,
    pub base_url: String,
    /// API key, server token, or (SES) secret access key.
    pub credential: String,
    /// SES only: the access key id.
    pub key_id: String,
    pub from: email::Sender,
    /// Postmark's message stream, Mailgun's sending domain, or SES's region.
    pub account: String,
    pub timeout_ms: u32,
}

impl std::fmt::Debug for EmailVendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailVendor")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl EmailVendor {
    fn request(&self, message: &Message, now: u64) -> OutboundRequest {
        let (base, key, from) = (self.base_url.as_str(), self.credential.as_str(), &self.from);
        match self.kind {
            EmailKind::Resend => email::resend::request(base, key, from, message),
            EmailKind::SendGrid => email::sendgrid::request(base, key, from, message),
            EmailKind::Postmark => {
                email::postmark::request(base, key, &self.account, from, message)
            }
            EmailKind::Mailgun => email::mailgun::request(base, key, &self.account, from, message),
            EmailKind::Ses => {
                let account = email::ses::Account {
                    base_url: base,
                    region: &self.account,
                    access_key_id: &self.key_id,
                    secret_access_key: key,
                };
                email::ses::request(&account, from, message, now)
            }
        }
    }

    fn classify(&self, reply: &HttpReply) -> Verdict {
        match self.kind {
            EmailKind::Resend => email::resend::classify(reply),
            EmailKind::SendGrid => email::sendgrid::classify(reply),
            EmailKind::Postmark => email::postmark::classify(reply),
            EmailKind::Mailgun => email::mailgun::classify(reply),
            EmailKind::Ses => email::ses::classify(reply),
        }
    }
}

impl Provider {
    pub fn name(&self) -> &'static str {
        match self {
            Provider::Log => "log",
            Provider::Webhook(_) => "webhook",
            Provider::Twilio(_) => "twilio",
            Provider::Vonage(_) => "vonage",
            Provider::Tencent(_) => "tencent",
            Provider::Alibaba(_) => "alibaba",
            Provider::Huawei(_) => "huawei",
            Provider::Email(vendor) => match vendor.kind {
                EmailKind::Resend => "resend",
                EmailKind::SendGrid => "sendgrid",
                EmailKind::Postmark => "postmark",
                EmailKind::Mailgun => "mailgun",
                EmailKind::Ses => "ses",
            },
        }
    }

    /// The channels a provider can carry (`None`: both).
    pub fn channel(&self) -> Option<Channel> {
        match self {
            Provider::Log | Provider::Webhook(_) => None,
            Provider::Twilio(_)
            | Provider::Vonage(_)
            | Provider::Tencent(_)
            | Provider::Alibaba(_)
            | Provider::Huawei(_) => Some(Channel::Sms),
            Provider::Email(_) => Some(Channel::Email),
        }
    }

    pub fn timeout_ms(&self) -> u32 {
        match self {
            Provider::Log => 0,
            Provider::Webhook(w) => w.timeout_ms,
            Provider::Twilio(p) => p.timeout_ms,
            Provider::Vonage(p) => p.timeout_ms,
            Provider::Tencent(p) => p.timeout_ms,
            Provider::Alibaba(p) => p.timeout_ms,
            Provider::Huawei(p) => p.timeout_ms,
            Provider::Email(p) => p.timeout_ms,
        }
    }

    /// `now` stamps signatures, `attempt` (0, then 1 on the retry) keeps nonces
    /// unique; `Console` lines mask the destination.
    pub fn dispatch(&self, message: &Message, masked_to: &str, now: u64, attempt: u32) -> Dispatch {
        match self {
            Provider::Log => Dispatch::Console(format!(
                "[edge-otp log provider] {} to {masked_to} ({}): {}{}",
                message.channel.as_str(),
                message.locale.as_str(),
                message
                    .subject
                    .as_deref()
                    .map(|s| format!("[{s}] "))
                    .unwrap_or_default(),
                message.text
            )),
            Provider::Webhook(webhook) => Dispatch::Http(webhook.request(message, now)),
            Provider::Twilio(twilio) => Dispatch::Http(twilio.request(message)),
            Provider::Vonage(vonage) => Dispatch::Http(vonage.request(message)),
            Provider::Tencent(tencent) => Dispatch::Http(tencent.request(message, now)),
            Provider::Alibaba(alibaba) => Dispatch::Http(alibaba.request(message, now, attempt)),
            Provider::Huawei(huawei) => Dispatch::Http(huawei.request(message, now, attempt)),
            Provider::Email(vendor) => Dispatch::Http(vendor.request(message, now)),
        }
    }

    pub fn classify(&self, reply: &HttpReply) -> Verdict {
        match self {
            Provider::Log => Verdict::Delivered,
            Provider::Webhook(_) => webhook::classify(reply),
            Provider::Twilio(_) => twilio::classify(reply),
            Provider::Vonage(_) => vonage::classify(reply),
            Provider::Tencent(_) => tencent::classify(reply),
            Provider::Alibaba(_) => alibaba::classify(reply),
            Provider::Huawei(_) => huawei::classify(reply),
            Provider::Email(vendor) => vendor.classify(reply),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::core::destination::Destination;
    use crate::core::purpose::Purpose;
    use crate::delivery::message::{compose, Compose, Locale};

    /// The fixed message every provider's exact-request test sends.
    pub fn sample(to: &str) -> Message {
        let destination = Destination::parse(to).expect("sample destination");
        compose(Compose {
            code: "123456",
            jti: "BwcHBwcHBwcHBwcHBwcHBw",
            ..Compose::sample(&destination, Purpose::Login, Locale::EnUs)
        })
    }
}
