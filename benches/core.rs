//! Native micro-benchmarks of the hot paths (`cargo bench`): token issue, token
//! verify, JWT signing and code generation. A plain timing loop, no harness crate:
//! figures are for comparison between versions on one machine, not assertions.

use edge_otp::code;
use edge_otp::destination::Channel;
use edge_otp::jwt::{self, VerifiedClaims};
use edge_otp::keys::KeyRing;
use edge_otp::ports::{Entropy, EntropyError};
use edge_otp::purpose::Purpose;
use edge_otp::token::{self, UntrustedToken, VerificationClaims};
use std::cell::Cell;
use std::hint::black_box;
use std::time::Instant;

/// SplitMix64: stands in for getrandom, which only the wasm glue links.
struct SplitMix(Cell<u64>);

impl Entropy for SplitMix {
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError> {
        for chunk in buf.chunks_mut(8) {
            let mut z = self.0.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
            self.0.set(z);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes()[..chunk.len()]);
        }
        Ok(())
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
    let ring = KeyRing::parse(
        "k2=ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8,k1=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
    )
    .expect("bench key ring");
    let jti = [7u8; 16];
    let claims = VerificationClaims {
        jti,
        iat: 1_700_000_000,
        exp: 1_700_000_600,
        channel: Channel::Sms,
        purpose: Purpose::Login,
        max_attempts: 5,
        code_length: 6,
        destination: "+8613800138000".into(),
        client: String::new(),
        code_mac: token::code_mac(ring.active(), &jti, "123456"),
    };
    let sealed = token::seal(&ring, &claims);
    let verified = VerifiedClaims {
        iss: "edge-otp".into(),
        aud: "app".into(),
        sub: "+8613800138000".into(),
        channel: Channel::Sms,
        purpose: Purpose::Login,
        amr: jwt::amr(Channel::Sms),
        iat: 1_700_000_000,
        exp: 1_700_000_300,
        jti: "BwcHBwcHBwcHBwcHBwcHBw".into(),
    };
    let entropy = SplitMix(Cell::new(42));

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
    bench("verified JWT sign", 200_000, || {
        black_box(jwt::sign(ring.active(), black_box(&verified)));
    });
    bench("code generation (6 digits)", 1_000_000, || {
        black_box(code::generate(&entropy, 6).expect("entropy"));
    });
}
