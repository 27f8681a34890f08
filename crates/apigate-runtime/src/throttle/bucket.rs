//! The token bucket (docs/SEMANTICS.md §16): `burst` tokens at most, `rate` more every
//! second; a request takes one, and is throttled when less than one is left. The in-process
//! store keeps these; the Redis store runs the same arithmetic in its script.

use apigate_core::limits::Throttle;

/// One bucket's state: `tokens` at `at` (microseconds on the store's clock).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    tokens: f64,
    at: u64,
}

impl Bucket {
    /// A bucket seen for the first time: full.
    pub fn full(throttle: &Throttle, now: u64) -> Bucket {
        Bucket {
            tokens: f64::from(throttle.burst),
            at: now,
        }
    }

    /// The tokens it holds at `now` (refilled since it was last touched, up to the burst).
    pub fn level(&self, throttle: &Throttle, now: u64) -> f64 {
        let elapsed = now.saturating_sub(self.at) as f64 / 1e6;
        (self.tokens + elapsed * throttle.rate).min(f64::from(throttle.burst))
    }

    /// Whether a request can take a token at `now`.
    pub fn admits(&self, throttle: &Throttle, now: u64) -> bool {
        self.level(throttle, now) >= 1.0
    }

    /// The bucket after a request took a token at `now` (call after [`Bucket::admits`]).
    pub fn take(&self, throttle: &Throttle, now: u64) -> Bucket {
        Bucket {
            tokens: self.level(throttle, now) - 1.0,
            at: now.max(self.at),
        }
    }

    /// Full again at `now`: forgetting it changes nothing (a bucket seen anew is full).
    pub fn is_full(&self, throttle: &Throttle, now: u64) -> bool {
        self.level(throttle, now) >= f64::from(throttle.burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000;

    #[test]
    fn a_burst_then_the_rate() {
        let t = Throttle {
            rate: 2.0,
            burst: 3,
        };
        let mut b = Bucket::full(&t, 0);
        for _ in 0..3 {
            assert!(b.admits(&t, 0));
            b = b.take(&t, 0);
        }
        assert!(!b.admits(&t, 0), "the burst is spent");
        assert!(!b.admits(&t, SECOND / 2 - 1), "half a token is not enough");
        assert!(
            b.admits(&t, SECOND / 2),
            "rate 2/s: one token after half a second"
        );
        b = b.take(&t, SECOND / 2);
        assert!(!b.admits(&t, SECOND / 2));
        assert!(
            b.is_full(&t, 2 * SECOND),
            "refilled to the burst, never beyond"
        );
        assert!((b.level(&t, 100 * SECOND) - 3.0).abs() < 1e-9);
    }

    #[test]
    fn a_zero_burst_or_rate_blocks_as_aws_does() {
        let closed = Throttle {
            rate: 100.0,
            burst: 0,
        };
        assert!(!Bucket::full(&closed, 0).admits(&closed, 10 * SECOND));
        let no_refill = Throttle {
            rate: 0.0,
            burst: 1,
        };
        let b = Bucket::full(&no_refill, 0).take(&no_refill, 0);
        assert!(!b.admits(&no_refill, 3600 * SECOND));
    }

    #[test]
    fn time_going_backwards_refills_nothing() {
        let t = Throttle {
            rate: 1.0,
            burst: 1,
        };
        let b = Bucket::full(&t, 10 * SECOND).take(&t, 10 * SECOND);
        assert!(!b.admits(&t, 5 * SECOND));
    }
}
