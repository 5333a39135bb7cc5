//! Verification codes: drawn uniformly from the decimal digits by rejection
//! sampling (a byte >= 250 is discarded, so `byte % 10` has no modulo bias).

use crate::ports::{Entropy, EntropyError};

pub const MIN_LENGTH: usize = 6;
pub const MAX_LENGTH: usize = 10;

/// Largest multiple of 10 that fits in a byte: bytes at or above it are rejected.
const REJECT_FROM: u8 = 250;

/// A fresh code of `length` ASCII digits.
pub fn generate(entropy: &impl Entropy, length: usize) -> Result<String, EntropyError> {
    let mut code = String::with_capacity(length);
    let mut pool = [0u8; 16];
    while code.len() < length {
        entropy.fill(&mut pool)?;
        for &byte in pool.iter().filter(|&&b| b < REJECT_FROM) {
            if code.len() == length {
                break;
            }
            code.push(char::from(b'0' + byte % 10));
        }
    }
    Ok(code)
}

/// Whether a submitted code has the shape of one we issue. A code of the wrong
/// shape is still counted as a wrong attempt by the caller.
pub fn well_formed(code: &str, length: usize) -> bool {
    code.len() == length && code.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::SplitMix;
    use std::cell::RefCell;

    /// Replays a script of bytes, then fails.
    struct Scripted(RefCell<Vec<u8>>);
    impl Entropy for Scripted {
        fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError> {
            let mut script = self.0.borrow_mut();
            if script.len() < buf.len() {
                return Err(EntropyError);
            }
            let rest = script.split_off(buf.len());
            buf.copy_from_slice(&script);
            *script = rest;
            Ok(())
        }
    }

    #[test]
    fn digits_are_uniform_chi_square() {
        let source = SplitMix::new(0x5EED);
        let mut counts = [0u64; 10];
        let samples = 50_000;
        for _ in 0..samples {
            for b in generate(&source, 10).unwrap().bytes() {
                counts[usize::from(b - b'0')] += 1;
            }
        }
        let expected = (samples * 10) as f64 / 10.0;
        let chi2: f64 = counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        // 9 degrees of freedom: p = 0.001 at 27.88. A `byte % 10` without rejection
        // gives 0–5 26/256 each and scores about 180 on this sample.
        assert!(chi2 < 27.88, "chi-square {chi2}, counts {counts:?}");
    }

    #[test]
    fn biased_bytes_are_rejected() {
        // 250..=255 would map to 0..=5 and bias them: they must be skipped.
        let mut script: Vec<u8> = vec![250, 251, 252, 253, 254, 255, 9, 19, 29, 39, 49, 59];
        script.extend([7u8, 255, 255, 255]);
        let source = Scripted(RefCell::new(script));
        assert_eq!(generate(&source, 6).unwrap(), "999999");
    }

    #[test]
    fn lengths_and_failure() {
        let source = SplitMix::new(1);
        for length in MIN_LENGTH..=MAX_LENGTH {
            let code = generate(&source, length).unwrap();
            assert!(well_formed(&code, length), "{code}");
        }
        assert_eq!(
            generate(&Scripted(RefCell::new(vec![])), 6),
            Err(EntropyError)
        );
    }

    #[test]
    fn shape() {
        let cases = [
            ("123456", true),
            ("12345", false),
            ("1234567", false),
            ("12345a", false),
            ("１２３４５６", false),
            (" 23456", false),
        ];
        for (code, ok) in cases {
            assert_eq!(well_formed(code, 6), ok, "{code}");
        }
    }
}
