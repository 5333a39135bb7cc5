//! `GET /`: the edge login page (email or phone → code → verified claims), one HTML
//! document with inline CSS and JS under a strict Content-Security-Policy: the
//! inline style and script carry a fresh nonce per response, nothing else inline
//! runs, and the only third party is Turnstile when a site key is configured.

use crate::config::settings::PageConfig;
use crate::core::text;
use crate::delivery::locale::Locale;
use crate::delivery::message::escape_html;

const TEMPLATE: &str = include_str!("login.html");
/// The page's script, `login.js` minified (`scripts/page.mjs` writes it; the test
/// command checks that it is current), for the template's `{{SCRIPT}}`.
const SCRIPT: &str = include_str!("login.min.js");
const TURNSTILE: &str = "https://challenges.cloudflare.com";

/// The Content-Security-Policy for a page rendered with `nonce`.
pub fn content_security_policy(nonce: &str, turnstile: bool) -> String {
    let (script, frame) = if turnstile {
        (format!(" {TURNSTILE}"), TURNSTILE)
    } else {
        (String::new(), "'none'")
    };
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}'{script}; style-src 'nonce-{nonce}'; \
         connect-src 'self'; img-src 'self' data:; frame-src {frame}; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'"
    )
}

/// The page in `locale` and its security headers. `nonce` must be fresh per
/// response (base64 of at least 16 random bytes).
pub fn render(
    app_name: &str,
    page: &PageConfig,
    locale: Locale,
    nonce: &str,
) -> (String, Vec<(&'static str, String)>) {
    let site_key = page.turnstile_site_key.as_deref().unwrap_or("");
    let texts = locale.texts();
    // JSON inside <script>: no "<" may close the element early.
    let strings = text::replace(&texts.page.json(), "<", "\\u003c");
    // The script loads Turnstile's with the same nonce.
    let script = text::fill(SCRIPT, &[("{{NONCE}}", nonce)]);
    let html = text::fill(
        TEMPLATE,
        &[
            ("{{SCRIPT}}", &script),
            ("{{LANG}}", locale.as_str()),
            ("{{DIR}}", if texts.rtl { "rtl" } else { "ltr" }),
            ("{{TEXTS}}", &strings),
            ("{{NONCE}}", nonce),
            ("{{APP}}", &escape_html(app_name)),
            ("{{ACCENT}}", &page.accent),
            ("{{SITEKEY}}", site_key),
        ],
    );
    let headers = vec![
        (
            "content-security-policy",
            content_security_policy(nonce, !site_key.is_empty()),
        ),
        ("referrer-policy", "no-referrer".to_owned()),
        ("x-frame-options", "DENY".to_owned()),
        ("permissions-policy", "otp-credentials=(self)".to_owned()),
    ];
    (html, headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> PageConfig {
        PageConfig::parse(None, None, None).unwrap()
    }

    #[test]
    fn settings_are_checked() {
        type Case<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, bool);
        let cases: [Case; 8] = [
            (None, None, None, true),
            (Some("off"), Some("#ABC"), Some("0x4AAAAAAA-b_1"), true),
            (Some("maybe"), None, None, false),
            (None, Some("red"), None, false),
            (None, Some("#12345"), None, false),
            (None, Some("#123456;}body{"), None, false),
            (None, None, Some("key\"><script>"), false),
            (None, None, Some(""), false),
        ];
        for (enabled, accent, key, ok) in cases {
            assert_eq!(
                PageConfig::parse(enabled, accent, key).is_ok(),
                ok,
                "{enabled:?} {accent:?} {key:?}"
            );
        }
    }

    #[test]
    fn every_inline_block_carries_the_nonce_and_nothing_else_is_inline() {
        let (html, headers) = render(
            "Acme <Login> & \"Co\"",
            &config(),
            Locale::EnUs,
            "bm9uY2Utbm9uY2U=",
        );
        assert!(html.contains("<title>Acme &lt;Login&gt; &amp; &quot;Co&quot;</title>"));
        assert!(!html.contains("{{"), "every placeholder is filled");
        assert_eq!(
            html.matches("<script").count(),
            html.matches("<script nonce=\"bm9uY2Utbm9uY2U=\"").count()
        );
        assert_eq!(html.matches("<style").count(), 1);
        assert!(html.contains("<style nonce=\"bm9uY2Utbm9uY2U=\">"));
        for inline in [
            " style=\"",
            " onclick=",
            " onload=",
            " onsubmit=",
            "javascript:",
        ] {
            assert!(!html.contains(inline), "{inline}");
        }
        let csp = &headers[0].1;
        assert!(csp.contains("script-src 'nonce-bm9uY2Utbm9uY2U='"));
        assert!(csp.contains("frame-src 'none'"));
        assert!(!csp.contains("unsafe"));
    }

    #[test]
    fn the_page_has_what_the_flow_needs() {
        let (html, _) = render("edge-otp", &config(), Locale::EnUs, "n");
        for needle in [
            "inputmode=\"numeric\"",
            "autocomplete=\"one-time-code\"",
            "aria-live=\"polite\"",
            "<label for=\"to\"",
            "<label for=\"code\"",
            "OTPCredential",
            "resend_after",
            "attempts_remaining",
            "<html lang=\"en-US\" dir=\"ltr\">",
            "Sign in with a one-time code.",
            "--accent:#2563eb",
        ] {
            assert!(html.contains(needle), "{needle}");
        }
    }

    /// Every text the page's markup and script ask for is one the locales have: read
    /// in the page's sources, where the script's names are as written.
    #[test]
    fn every_text_the_page_uses_exists() {
        const SOURCE: &str = concat!(include_str!("login.html"), include_str!("login.js"));
        let keys = match serde_json::from_str(&Locale::EnUs.texts().page.json()).unwrap() {
            serde_json::Value::Object(map) => map,
            other => panic!("{other}"),
        };
        let mut used: Vec<&str> = Vec::new();
        for marker in ["data-t=\"", "T."] {
            for piece in SOURCE.split(marker).skip(1) {
                let name = piece
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .next()
                    .unwrap();
                used.push(name);
            }
        }
        assert!(used.len() > 20, "{used:?}");
        for name in used {
            assert!(
                keys.contains_key(name),
                "the page uses {name}, no locale has it"
            );
        }
        // `T[code]` shows the API's error codes (the OpenAPI document's list): each
        // has a text, but for those the page's own requests cannot get, which it
        // shows as `other`.
        const NEVER_SHOWN: [&str; 6] = [
            "idempotency_key_reused",
            "not_found",
            "method_not_allowed",
            "payload_too_large",
            "unsupported_media_type",
            "internal_error",
        ];
        let document: serde_json::Value =
            serde_json::from_str(crate::surface::openapi::DOCUMENT).unwrap();
        let codes = document["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
            .as_array()
            .unwrap();
        assert!(codes.len() > 20, "{codes:?}");
        for code in codes.iter().filter_map(|c| c.as_str()) {
            assert!(
                NEVER_SHOWN.contains(&code) || keys.contains_key(code),
                "{code}"
            );
        }
    }

    #[test]
    fn the_page_speaks_the_chosen_language() {
        let (html, _) = render("edge-otp", &config(), Locale::Ar, "n");
        assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">"));
        assert!(html.contains("إرسال الرمز"), "the Arabic texts are in");
        assert!(!html.contains("Resend code in"), "and only they");
        let (html, _) = render("edge-otp", &config(), Locale::Ja, "n");
        assert!(html.contains("<html lang=\"ja\" dir=\"ltr\">") && html.contains("コードを送信"));
    }

    #[test]
    fn turnstile_widens_the_policy_only_when_configured() {
        let page = PageConfig::parse(None, None, Some("0x4AAAAAAA")).unwrap();
        let (html, headers) = render("edge-otp", &page, Locale::EnUs, "n");
        assert!(html.contains("data-sitekey=\"0x4AAAAAAA\""));
        assert!(headers[0]
            .1
            .contains("script-src 'nonce-n' https://challenges.cloudflare.com"));
        assert!(headers[0]
            .1
            .contains("frame-src https://challenges.cloudflare.com"));
    }
}
