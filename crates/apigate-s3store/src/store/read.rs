//! Object reads: GetObject and HeadObject.
//!
//! s3s-fs read bodies 4 KiB at a time. Here a body is streamed from the open file in
//! [`IO_CHUNK`] pieces straight into the response: large reads, and at most a chunk or two
//! in memory per download whatever the object's size.

use std::fs::File;
use std::io::{ErrorKind, SeekFrom};
use std::path::Path;

use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Result};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::conditions::{Preconditions, Verdict};
use super::object_file::{read_exact_at, read_tail, ObjectMeta, Tail};
use super::{s3_errors, FsStore, IO_CHUNK};

/// Spans up to this size are read whole when the object is opened, without streaming.
const SMALL_READ: u64 = 64 * 1024;

/// Object files up to this size (a small body and its metadata) are read in one read.
const WHOLE_FILE_READ: u64 = SMALL_READ + 4096;

/// What S3 reports for objects uploaded without a Content-Type.
const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// An object opened for reading: the file handle pins this version even if the object is
/// replaced or deleted meanwhile.
pub(super) struct OpenObject {
    pub file: File,
    /// The metadata, and the body bytes read with it (all of a small object's).
    pub tail: Tail,
}

/// The byte range a read returns.
struct Span {
    start: u64,
    len: u64,
    /// `Content-Range` when a range was asked for.
    content_range: Option<String>,
}

/// The conditional headers of a GetObject or HeadObject request (`$input`), which s3s
/// gives distinct input types with the same fields.
macro_rules! request_preconditions {
    ($input:ident) => {
        Preconditions {
            if_match: $input.if_match.as_ref(),
            if_none_match: $input.if_none_match.as_ref(),
            if_modified_since: $input.if_modified_since.as_ref(),
            if_unmodified_since: $input.if_unmodified_since.as_ref(),
        }
    };
}

/// A GetObject or HeadObject output (`$output`, with its own fields given in the braces)
/// carrying the object's headers for `$span` of the object described by `$meta`, checksums
/// included when `$checksum_mode` asks for them and the whole object is read. One place for
/// the headers both answer alike: s3s gives the two outputs distinct types with the same
/// field names, hence a macro. Uses `?` (a length beyond `i64`), so it goes in a function
/// returning `S3Result`.
macro_rules! object_output {
    ($output:ident { $($field:ident: $value:expr),* $(,)? }, $meta:expr, $span:expr, $checksum_mode:expr) => {{
        let meta: &ObjectMeta = $meta;
        let span: Span = $span;
        let whole = span.content_range.is_none();
        let checksums = wants_checksums($checksum_mode, whole)
            .then(|| meta.checksums.clone())
            .unwrap_or_default();
        $output {
            $($field: $value,)*
            accept_ranges: Some("bytes".to_owned()),
            content_length: Some(to_i64(span.len)?),
            content_range: span.content_range,
            content_type: Some(content_type_of(meta)),
            content_encoding: meta.content_encoding.clone(),
            content_disposition: meta.content_disposition.clone(),
            content_language: meta.content_language.clone(),
            cache_control: meta.cache_control.clone(),
            expires: parse_expires(meta),
            website_redirect_location: meta.website_redirect_location.clone(),
            e_tag: Some(ETag::Strong(meta.etag.clone())),
            last_modified: Some(Timestamp::from(meta.last_modified())),
            metadata: user_metadata(meta),
            checksum_crc32: checksums.crc32,
            checksum_crc32c: checksums.crc32c,
            checksum_crc64nvme: checksums.crc64nvme,
            checksum_sha1: checksums.sha1,
            checksum_sha256: checksums.sha256,
            ..$output::default()
        }
    }};
}

impl FsStore {
    /// Opens `bucket/key`, answering `NoSuchBucket` or `NoSuchKey` as S3 does.
    pub(super) async fn open_object(&self, bucket: &str, key: &str) -> S3Result<OpenObject> {
        let path = self.layout.object_path(bucket, key);
        let objects_dir = self.layout.objects_dir(bucket);
        // Inline, as GetObject's (see there).
        open_object_file(&path, &objects_dir, key, 0)
    }

    pub(super) async fn get_object_impl(&self, input: GetObjectInput) -> S3Result<GetObjectOutput> {
        // Opening the object, reading its metadata trailer and, when the requested span is
        // small, the span itself run inline on the worker thread, as nginx reads files in its
        // event loop: from the page cache they take microseconds, less than a trip through
        // tokio's blocking pool (measured on a 1 KiB GET: 3 context switches per request
        // instead of 1, and 10-25% more CPU per request). Large spans stream through
        // tokio::fs, off the workers.
        let path = self.layout.object_path(&input.bucket, &input.key);
        let objects_dir = self.layout.objects_dir(&input.bucket);
        let OpenObject { file, tail } =
            open_object_file(&path, &objects_dir, &input.key, WHOLE_FILE_READ)?;
        let meta = &tail.meta;
        // A bad range is answered after the preconditions, as S3 orders them.
        let span = select_span(meta, input.range.as_ref(), input.part_number);
        let small = match &span {
            Ok(span) if span.len <= SMALL_READ => {
                tail.body_span(span.start, span.len).or_else(|| {
                    let mut bytes = vec![0u8; usize::try_from(span.len).ok()?];
                    read_exact_at(&file, &mut bytes, span.start).ok()?;
                    Some(bytes::Bytes::from(bytes))
                })
            }
            _ => None,
        };
        check_preconditions(meta, &request_preconditions!(input))?;
        let span = span?;

        let body = match small {
            Some(bytes) => StreamingBlob::from(s3s::Body::from(bytes)),
            None => StreamingBlob::wrap(
                body_stream(tokio::fs::File::from_std(file), span.start, span.len)
                    .await
                    .map_err(|e| s3_errors::internal("seeking in an object", &e))?,
            ),
        };

        Ok(object_output!(
            GetObjectOutput { body: Some(body) },
            meta,
            span,
            input.checksum_mode.as_ref()
        ))
    }

    pub(super) async fn head_object_impl(
        &self,
        input: HeadObjectInput,
    ) -> S3Result<HeadObjectOutput> {
        let OpenObject { tail, .. } = self.open_object(&input.bucket, &input.key).await?;
        let meta = &tail.meta;
        check_preconditions(meta, &request_preconditions!(input))?;
        let span = select_span(meta, input.range.as_ref(), input.part_number)?;
        Ok(object_output!(
            HeadObjectOutput {},
            meta,
            span,
            input.checksum_mode.as_ref()
        ))
    }
}

/// Streams `len` bytes from `start`, read [`IO_CHUNK`] at a time.
async fn body_stream(
    mut file: tokio::fs::File,
    start: u64,
    len: u64,
) -> std::io::Result<ReaderStream<tokio::io::Take<tokio::fs::File>>> {
    file.seek(SeekFrom::Start(start)).await?;
    Ok(ReaderStream::with_capacity(file.take(len), IO_CHUNK))
}

fn open_object_file(
    path: &Path,
    objects_dir: &Path,
    key: &str,
    whole_up_to: u64,
) -> S3Result<OpenObject> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(if objects_dir.is_dir() {
                s3_errors::no_such_key()
            } else {
                s3_errors::no_such_bucket()
            });
        }
        Err(e) => return Err(s3_errors::internal("opening an object", &e)),
    };
    let tail = read_tail(&file, whole_up_to)
        .map_err(|e| s3_errors::internal("reading object metadata", &e))?;
    if tail.meta.key != key {
        // Two keys with the same SHA-256: not expected to ever happen.
        return Err(s3_errors::no_such_key());
    }
    Ok(OpenObject { file, tail })
}

/// Applies If-Match & co.; a 304 carries the validators, as S3's does.
fn check_preconditions(meta: &ObjectMeta, preconditions: &Preconditions<'_>) -> S3Result<()> {
    match preconditions.evaluate(&meta.etag, meta.last_modified()) {
        Verdict::Proceed => Ok(()),
        Verdict::PreconditionFailed => Err(s3_errors::precondition_failed()),
        Verdict::NotModified => {
            let mut err = s3_errors::not_modified();
            let mut headers = http::HeaderMap::new();
            if let Ok(v) = http::HeaderValue::from_str(&format!("\"{}\"", meta.etag)) {
                headers.insert(http::header::ETAG, v);
            }
            let mut date = Vec::new();
            let formatted =
                Timestamp::from(meta.last_modified()).format(TimestampFormat::HttpDate, &mut date);
            if let (Ok(()), Ok(v)) = (formatted, http::HeaderValue::from_bytes(&date)) {
                headers.insert(http::header::LAST_MODIFIED, v);
            }
            err.set_headers(headers);
            Err(err)
        }
    }
}

fn select_span(
    meta: &ObjectMeta,
    range: Option<&Range>,
    part_number: Option<i32>,
) -> S3Result<Span> {
    let size = meta.size;
    match part_number {
        // A single-part object is its own part 1.
        None | Some(1) => {}
        Some(_) => {
            let mut err = S3Error::with_message(
                S3ErrorCode::Custom("InvalidPartNumber".into()),
                "The requested partnumber is not satisfiable",
            );
            err.set_status_code(http::StatusCode::RANGE_NOT_SATISFIABLE);
            return Err(err);
        }
    }
    let Some(range) = range else {
        return Ok(Span {
            start: 0,
            len: size,
            content_range: None,
        });
    };
    match range.check(size) {
        Ok(r) => Ok(Span {
            start: r.start,
            len: r.end - r.start,
            content_range: Some(format!(
                "bytes {}-{}/{size}",
                r.start,
                r.end.saturating_sub(1)
            )),
        }),
        Err(_) => {
            let mut err = S3Error::with_message(
                S3ErrorCode::InvalidRange,
                "The requested range is not satisfiable",
            );
            // These headers replace the response's own, so restate the XML content type.
            let mut headers = http::HeaderMap::new();
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/xml"),
            );
            if let Ok(v) = http::HeaderValue::from_str(&format!("bytes */{size}")) {
                headers.insert(http::header::CONTENT_RANGE, v);
            }
            err.set_headers(headers);
            Err(err)
        }
    }
}

fn wants_checksums(mode: Option<&ChecksumMode>, whole_object: bool) -> bool {
    // S3 returns stored checksums only when asked, and never for a partial read.
    whole_object && mode.is_some_and(|m| m.as_str().eq_ignore_ascii_case(ChecksumMode::ENABLED))
}

fn content_type_of(meta: &ObjectMeta) -> String {
    meta.content_type
        .clone()
        .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned())
}

fn parse_expires(meta: &ObjectMeta) -> Option<Timestamp> {
    meta.expires
        .as_deref()
        .and_then(|s| Timestamp::parse(TimestampFormat::HttpDate, s).ok())
}

fn user_metadata(meta: &ObjectMeta) -> Option<Metadata> {
    (!meta.user_metadata.is_empty()).then(|| {
        meta.user_metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    })
}

fn to_i64(n: u64) -> S3Result<i64> {
    i64::try_from(n).map_err(|e| s3_errors::internal("object too large to describe", &e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use std::io::Write;

    #[tokio::test]
    async fn bodies_are_read_in_large_chunks() {
        let mut file = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..(3 * IO_CHUNK + 100)).map(|i| (i % 251) as u8).collect();
        file.write_all(&data).unwrap();
        file.write_all(b"trailer that must not be streamed")
            .unwrap();

        let start = 10u64;
        let len = (data.len() - 10) as u64;
        let mut stream = body_stream(tokio::fs::File::from_std(file), start, len)
            .await
            .unwrap();
        let mut sizes = Vec::new();
        let mut got = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            sizes.push(chunk.len());
            got.extend_from_slice(&chunk);
        }
        assert_eq!(got, &data[10..]);
        // Every piece but the last is a full 256 KiB read (s3s-fs used 4 KiB).
        let (last, full) = sizes.split_last().unwrap();
        assert!(full.iter().all(|n| *n == IO_CHUNK), "{sizes:?}");
        assert!(*last <= IO_CHUNK);
    }
}
