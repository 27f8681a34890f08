//! The embedded S3-compatible store that `apigate serve` runs in-process when no external
//! S3 endpoint is configured.
//!
//! # What this crate owns
//!
//! - [`EmbeddedS3`]: an HTTP server on its own tokio task (normally on an ephemeral
//!   loopback port) that speaks S3's REST API in path style
//!   (`http://127.0.0.1:PORT/bucket/key`), run by `apigate-http-server`'s accept loop:
//!   `TCP_NODELAY`, connection limit, head/idle/write timeouts
//!   ([`EmbeddedS3::start_with_limits`]) and graceful shutdown.
//! - Request authentication with exactly one key pair ([`StoreConfig`]): SigV4 in the
//!   `Authorization` header (with a signed body hash, `UNSIGNED-PAYLOAD`, or chunked
//!   `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`) and presigned URLs. Unsigned requests, unknown
//!   keys and wrong secrets are refused with 403, as by S3.
//! - The storage of buckets and objects in a data directory.
//! - [`generate_credentials`]: a random AWS-shaped key pair for a store nobody configured.
//!
//! The S3 protocol itself — routing, request parsing, XML, and every signature check — is
//! the [`s3s`] crate's. This crate implements `s3s::S3` for the operations S3 clients and
//! the MyS3 API use: ListBuckets, CreateBucket, DeleteBucket, HeadBucket,
//! GetBucketLocation, ListObjects, ListObjectsV2, PutObject, GetObject (with ranges and
//! conditional headers), HeadObject, CopyObject, DeleteObject and DeleteObjects. Other
//! operations (multipart upload, tagging, ACLs, versioning…) answer `501 NotImplemented`.
//!
//! # Why not s3s-fs as it is
//!
//! `s3s-fs`, s3s's example filesystem backend, was the starting point; its behaviour
//! departs from S3 where the gateway and real clients notice, so this crate implements
//! the operations itself (over s3s, never beside it):
//!
//! | s3s-fs 0.14.1 | here (as Amazon S3 does) |
//! |---|---|
//! | PutObject into a missing bucket creates the bucket | `404 NoSuchBucket`; nothing is created |
//! | `EncodingType=url` echoed but keys not encoded, so keys with `+`, `%` or spaces come back wrong | keys, prefixes, delimiter and markers URL-encoded as S3 encodes them |
//! | GetObject reads 4 KiB at a time | 256 KiB reads streamed straight to the socket; memory per transfer stays flat |
//! | GetObject on a missing bucket says NoSuchKey | NoSuchBucket |
//! | DeleteBucket removes a non-empty bucket | `409 BucketNotEmpty` |
//! | a rejected upload (bad Content-MD5/checksum) has already replaced the object | verified before the object is replaced |
//! | metadata in side files: a reader can see a new body with old headers; side files survive deletes | one file per object (body + metadata trailer), replaced atomically |
//! | keys map to paths: `a` and `a/b` cannot coexist, `..`/long segments fail | keys hashed to file names: any S3 key works |
//! | unknown access key → `NotSignedUp` | `InvalidAccessKeyId` |
//! | no TCP_NODELAY in its server (≈40 ms per small response) | set on every socket |
//!
//! Where this store deliberately stays lenient: a `CreateBucket` without a
//! `LocationConstraint` is accepted in every region (S3 requires one outside us-east-1),
//! a constraint naming the store's own region is accepted even in us-east-1, and the
//! region in a request's credential scope is not compared with the store's.
//!
//! # Data directory
//!
//! See the `store::layout` module: `buckets/<name>/objects/<sha256(key)>` plus `tmp/` for
//! uploads in progress, which is emptied at start. One store process per data directory.

mod config;
mod credentials;
mod error;
mod error_messages;
mod server;
mod store;

pub use config::StoreConfig;
pub use credentials::generate_credentials;
pub use error::StoreError;
pub use server::{BoxError, EmbeddedS3, LocalClient};
