//! The S3 errors this store answers with, worded as Amazon S3 words them, so clients and
//! the gateway's error mapping see the same `<Code>` and `<Message>` as against real S3.

use s3s::{S3Error, S3ErrorCode};

pub(crate) fn no_such_bucket() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::NoSuchBucket,
        "The specified bucket does not exist",
    )
}

pub(crate) fn no_such_key() -> S3Error {
    S3Error::with_message(S3ErrorCode::NoSuchKey, "The specified key does not exist.")
}

pub(crate) fn bucket_not_empty() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::BucketNotEmpty,
        "The bucket you tried to delete is not empty",
    )
}

pub(crate) fn bucket_already_owned_by_you() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::BucketAlreadyOwnedByYou,
        "Your previous request to create the named bucket succeeded and you already own it.",
    )
}

pub(crate) fn illegal_location_constraint(constraint: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::IllegalLocationConstraintException,
        format!(
            "The {constraint} location constraint is incompatible for the region specific endpoint this request was sent to."
        ),
    )
}

pub(crate) fn precondition_failed() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::PreconditionFailed,
        "At least one of the pre-conditions you specified did not hold",
    )
}

pub(crate) fn not_modified() -> S3Error {
    S3Error::with_message(S3ErrorCode::NotModified, "Not Modified")
}

pub(crate) fn bad_digest() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::BadDigest,
        "The Content-MD5 you specified did not match what we received.",
    )
}

pub(crate) fn checksum_mismatch(algorithm: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::BadDigest,
        format!("The {algorithm} you specified did not match the calculated checksum."),
    )
}

pub(crate) fn invalid_digest() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidDigest,
        "The Content-MD5 you specified is not valid.",
    )
}

pub(crate) fn entity_too_large() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::EntityTooLarge,
        "Your proposed upload exceeds the maximum allowed size",
    )
}

pub(crate) fn incomplete_body() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::IncompleteBody,
        "You did not provide the number of bytes specified by the Content-Length HTTP header",
    )
}

pub(crate) fn invalid_encoding_type() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidArgument,
        "Invalid Encoding Method specified in Request",
    )
}

pub(crate) fn invalid_max_keys() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidArgument,
        "Provided max-keys not an integer or within integer range",
    )
}

pub(crate) fn invalid_continuation_token() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidArgument,
        "The continuation token provided is incorrect",
    )
}

pub(crate) fn not_implemented(what: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::NotImplemented,
        format!("{what} is not implemented by apigate's embedded S3 store"),
    )
}

/// An unexpected failure (I/O, a damaged object file). The cause is logged; the client
/// gets S3's generic `InternalError`.
pub(crate) fn internal(context: &str, cause: &dyn std::fmt::Display) -> S3Error {
    tracing::error!(%cause, "embedded S3 store: {context}");
    S3Error::with_message(
        S3ErrorCode::InternalError,
        "We encountered an internal error. Please try again.",
    )
}
