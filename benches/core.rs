//! Native micro-benchmarks of the hot paths (`cargo bench`): token issue, token
//! verify, JWT signing and code generation. A plain timing loop, no harness crate:
//! figures are for comparison between versions on one machine, not assertions.
//! Randomness is a seeded SplitMix64 here: getrandom is linked by the wasm glue only.

use edge_otp::core::code;
use edge_otp::core::destination::Channel;
use edge_otp::core::jwt::{self, VerifiedClaims};
use edge_otp::core::keys::KeyRing;
use edge_otp::core::purpose::Purpose;
use edge_otp::core::signing::SigningRing;
use edge_otp::core::token::{self, UntrustedToken};
use edge_otp::ports::ed25519::{Compact, Ed25519};
use edge_otp::testkit::{sample_claims, SplitMix, KEY1, KEY2};
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// The output of a future that never waits (the native Ed25519 twin).
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("the native twin never waits"),
    }
}

fn bench(name: &str, iterations: u32, mut f: impl FnMut()) {
    for _ in 0..iterations / 10 {
        f();
    }
    let started = Instant::now();
    for _ in 0..iterations {
        f();
    }
    let per_op = started.elapsed().as_nanos() as f64 / f64::from(iterations);
    println!("{name:<28} {per_op:>10.0} ns/op   ({iterations} iterations)");
}

fn main() {
    let ring = KeyRing::parse(&format!("{KEY2},{KEY1}")).expect("bench key ring");
    let claims = sample_claims(&ring);
    let sealed = token::seal(&ring, &claims);
    let verified = VerifiedClaims {
        iss: "edge-otp".into(),
        aud: "app".into(),
        azp: "web".into(),
        sub: "+8613800138000".into(),
        channel: Channel::Sms,
        purpose: Purpose::Login,
        amr: jwt::amr(Channel::Sms),
        iat: 1_700_000_000,
        exp: 1_700_000_300,
        jti: "BwcHBwcHBwcHBwcHBwcHBw".into(),
        test: false,
    };
    let entropy = SplitMix::new(42);

    bench("token issue (seal)", 200_000, || {
        black_box(token::seal(black_box(&ring), black_box(&claims)));
    });
    bench("token verify (parse+MAC)", 200_000, || {
        let untrusted = UntrustedToken::parse(black_box(&sealed)).expect("valid");
        black_box(untrusted.verify(&ring).expect("valid"));
    });
    bench("code match (constant time)", 200_000, || {
        black_box(token::code_matches(
            ring.active(),
            &claims,
            black_box("123456"),
        ));
    });
    let signing = SigningRing::derived(&ring);
    // Natively, with the Ed25519 port's Rust twin (on Workers, WebCrypto signs).
    bench("verified JWT sign (EdDSA, Rust twin)", 20_000, || {
        let key = signing.active();
        let input = jwt::signing_input("EdDSA", key.kid(), black_box(&verified));
        let signature = ready(Compact.sign(key.seed(), input.as_bytes())).expect("signs");
        black_box(jwt::assemble(input, &signature));
    });
    bench("verified JWT sign (HS256)", 200_000, || {
        black_box(jwt::sign_hs256(ring.active(), black_box(&verified)));
    });
    bench("code generation (6 digits)", 1_000_000, || {
        black_box(code::generate(&entropy, 6).expect("entropy"));
    });
}
