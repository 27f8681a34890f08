//! The string to sign, the signing key and the HMAC. Key derivation and the HMAC are
//! `aws-sigv4`'s (`aws_sigv4::sign::v4`); outbound signing keeps the derived key per thread
//! for the day, region and secret it was derived for.

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::time::AmzDate;
use crate::ALGORITHM;

/// Hex SHA-256 of the empty body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Hex SHA-256 of `bytes`, as [`crate::verify()`] expects the body's.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `AWS4-HMAC-SHA256\n{date}\n{scope}\n{hex sha256(canonical request)}`.
pub fn string_to_sign(iso_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!(
        "{ALGORITHM}\n{iso_date}\n{scope}\n{}",
        sha256_hex(canonical_request)
    )
}

/// The hex signature of `string_to_sign` by `secret` for the scope day of `signed_secs`
/// (seconds since the epoch), `region` and `service`, the signing key derived afresh.
pub fn signature(
    secret: &str,
    signed_secs: u64,
    region: &str,
    service: &str,
    string_to_sign: &str,
) -> String {
    // A parsed request date is at most 9999-12-31, so this cannot overflow.
    let signing_time = UNIX_EPOCH
        .checked_add(Duration::from_secs(signed_secs))
        .unwrap_or(UNIX_EPOCH);
    let key = aws_sigv4::sign::v4::generate_signing_key(secret, signing_time, region, service);
    aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes())
}

/// [`signature`] at `now` with the signing key (four chained HMACs of the secret) kept per
/// thread for the last (secret, day, region, service) it was derived for: outbound signing
/// signs many requests a day with the same credentials.
pub fn cached_signature(
    secret: &str,
    now: SystemTime,
    region: &str,
    service: &str,
    string_to_sign: &str,
) -> String {
    struct Cached {
        secret: String,
        date: String,
        region: String,
        service: String,
        key: Vec<u8>,
    }
    thread_local! {
        static KEY: RefCell<Option<Cached>> = const { RefCell::new(None) };
    }
    let stamp = AmzDate::at(now);
    let date = stamp.date();
    KEY.with(|slot| {
        let mut slot = slot.borrow_mut();
        let cached = match slot.take() {
            Some(c)
                if c.date == date
                    && c.region == region
                    && c.service == service
                    && c.secret == secret =>
            {
                c
            }
            _ => Cached {
                secret: secret.to_owned(),
                date: date.to_owned(),
                region: region.to_owned(),
                service: service.to_owned(),
                key: aws_sigv4::sign::v4::generate_signing_key(secret, now, region, service)
                    .as_ref()
                    .to_vec(),
            },
        };
        let signature =
            aws_sigv4::sign::v4::calculate_signature(&cached.key, string_to_sign.as_bytes());
        *slot = Some(cached);
        signature
    })
}

/// Equality of two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
    }

    #[test]
    fn cached_and_fresh_keys_sign_alike() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        for (secs, region, service) in [
            (1_440_938_160, "us-east-1", "iam"),
            (1_440_938_161, "us-east-1", "iam"),
            (1_440_938_160, "eu-west-1", "iam"),
            (1_440_938_160, "eu-west-1", "s3"),
            (1_441_024_560, "eu-west-1", "s3"),
        ] {
            let now = UNIX_EPOCH + Duration::from_secs(secs);
            assert_eq!(
                cached_signature(secret, now, region, service, "sts"),
                signature(secret, secs, region, service, "sts"),
                "{secs} {region} {service}"
            );
        }
    }
}
