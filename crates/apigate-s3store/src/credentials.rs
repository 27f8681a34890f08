//! The store's one key pair: generating it and checking requests against it.

use s3s::auth::{S3Auth, SecretKey};
use s3s::{S3Error, S3ErrorCode, S3Result};

/// The alphabet AWS access key ids use after their `AKIA` prefix (RFC 4648 base32).
const ACCESS_KEY_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// The alphabet of AWS secret access keys (base64).
const SECRET_KEY_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Generates a fresh random key pair shaped like AWS's: a 20-character access key id
/// (`AKIA` + 16 base32 characters) and a 40-character secret.
///
/// Bytes come from the operating system's RNG (`getrandom`); both alphabets have a
/// power-of-two size, so masking a random byte picks every character with equal odds.
pub fn generate_credentials() -> (String, String) {
    let mut random = [0u8; 16 + 40];
    fill_random(&mut random);
    let (for_access, for_secret) = random.split_at(16);
    let mut access_key_id = String::with_capacity(20);
    access_key_id.push_str("AKIA");
    access_key_id.extend(for_access.iter().map(|b| pick(ACCESS_KEY_ALPHABET, *b)));
    let secret: String = for_secret
        .iter()
        .map(|b| pick(SECRET_KEY_ALPHABET, *b))
        .collect();
    (access_key_id, secret)
}

fn pick(alphabet: &[u8], byte: u8) -> char {
    // Alphabet lengths are powers of two, so the mask keeps the index in range.
    let index = usize::from(byte) & (alphabet.len() - 1);
    alphabet.get(index).map_or('A', |c| char::from(*c))
}

/// Fills `buf` from the OS RNG. Should the OS refuse (practically never on the systems we
/// run on), falls back to the per-process random keys std seeds its hash maps with, mixed
/// with the clock, and says so in the log.
fn fill_random(buf: &mut [u8]) {
    if let Err(err) = getrandom::fill(buf) {
        tracing::warn!(error = %err, "OS random number generator unavailable; using a weaker fallback for generated credentials");
        use std::hash::{BuildHasher, Hasher};
        let state = std::collections::hash_map::RandomState::new();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for (i, chunk) in buf.chunks_mut(8).enumerate() {
            let mut hasher = state.build_hasher();
            hasher.write_usize(i);
            hasher.write_u128(nanos);
            let word = hasher.finish().to_le_bytes();
            for (dst, src) in chunk.iter_mut().zip(word) {
                *dst = src;
            }
        }
    }
}

/// Authentication with exactly one key pair. An unknown access key id is refused the way
/// S3 refuses it (`403 InvalidAccessKeyId`); a wrong secret fails s3s's signature check
/// (`403 SignatureDoesNotMatch`).
#[derive(Debug)]
pub(crate) struct SingleKeyAuth {
    access_key_id: String,
    secret: SecretKey,
}

impl SingleKeyAuth {
    pub(crate) fn new(access_key_id: String, secret_access_key: String) -> Self {
        Self {
            access_key_id,
            secret: SecretKey::from(secret_access_key),
        }
    }
}

#[async_trait::async_trait]
impl S3Auth for SingleKeyAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        if access_key == self.access_key_id {
            Ok(self.secret.clone())
        } else {
            Err(S3Error::with_message(
                S3ErrorCode::InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records.",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_aws_shape() {
        let (id, secret) = generate_credentials();
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("AKIA"));
        assert!(id.bytes().skip(4).all(|b| ACCESS_KEY_ALPHABET.contains(&b)));
        assert_eq!(secret.len(), 40);
        assert!(secret.bytes().all(|b| SECRET_KEY_ALPHABET.contains(&b)));
    }

    #[test]
    fn generated_keys_differ_between_calls() {
        let a = generate_credentials();
        let b = generate_credentials();
        assert_ne!(a.0, b.0);
        assert_ne!(a.1, b.1);
    }

    #[tokio::test]
    async fn only_the_configured_key_is_known() {
        let auth = SingleKeyAuth::new("AKIAEXAMPLE".into(), "secret".into());
        assert_eq!(
            auth.get_secret_key("AKIAEXAMPLE").await.unwrap().expose(),
            "secret"
        );
        let err = auth.get_secret_key("AKIAOTHER").await.unwrap_err();
        assert_eq!(*err.code(), S3ErrorCode::InvalidAccessKeyId);
    }
}
