//! Object writes: PutObject, CopyObject, DeleteObject, DeleteObjects.
//!
//! A write streams into a temporary file under `tmp/` (never holding the body in memory),
//! verifies Content-MD5 and any `x-amz-checksum-*`, appends the metadata trailer and only
//! then renames the file over the object's name — so a failed or rejected upload leaves
//! the previous version untouched, and readers never see half an object. Unlike s3s-fs,
//! a write into a bucket that does not exist is refused with `NoSuchBucket` instead of
//! creating the bucket.

use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use futures_util::StreamExt;
use s3s::crypto::{Checksum, Md5};
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Result, StdError};
use tokio::io::{AsyncWriteExt, BufWriter};

use super::conditions::{Preconditions, Verdict};
use super::object_file::{encode_trailer, millis_since_epoch, ObjectMeta, StoredChecksums, Tail};
use super::read::OpenObject;
use super::{blocking, s3_errors, FsStore, IO_CHUNK, MAX_OBJECT_SIZE};

/// An [`ObjectMeta`] whose stored headers (content type, encoding, disposition and language,
/// cache control, expiry, redirect location, user metadata) are those of `$input`, a PutObject
/// or CopyObject request: s3s gives the two distinct types with the same field names, hence a
/// macro. The rest of the struct literal (other fields, `..base`) follows `$input`.
macro_rules! meta_with_request_headers {
    ($input:ident, $($rest:tt)*) => {
        ObjectMeta {
            content_type: $input.content_type,
            content_encoding: $input.content_encoding,
            content_disposition: $input.content_disposition,
            content_language: $input.content_language,
            cache_control: $input.cache_control,
            expires: $input.expires.as_ref().and_then(format_http_date),
            website_redirect_location: $input.website_redirect_location,
            user_metadata: $input.metadata.unwrap_or_default().into_iter().collect(),
            $($rest)*
        }
    };
}

/// A file under `tmp/` that is removed unless it was committed.
struct TmpFile {
    path: PathBuf,
    committed: bool,
}

impl TmpFile {
    fn new(path: PathBuf) -> Self {
        Self {
            path,
            committed: false,
        }
    }
}

impl Drop for TmpFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl FsStore {
    pub(super) async fn put_object_impl(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<PutObjectOutput> {
        let S3Request {
            input,
            trailing_headers,
            ..
        } = req;
        if input
            .content_length
            .is_some_and(|len| u64::try_from(len).map_or(true, |len| len > MAX_OBJECT_SIZE))
        {
            return Err(s3_errors::entity_too_large());
        }
        // Refuse before reading a byte of the body.
        self.require_bucket(&input.bucket).await?;
        self.check_write_preconditions(
            &input.bucket,
            &input.key,
            input.if_match.as_ref(),
            input.if_none_match.as_ref(),
        )
        .await?;
        let expected_md5 = input
            .content_md5
            .as_deref()
            .map(decode_content_md5)
            .transpose()?;
        let mut hasher = checksum_hasher(&input)?;

        let tmp = TmpFile::new(self.layout.new_tmp_path("part"));
        let file = tokio::fs::File::create(&tmp.path)
            .await
            .map_err(|e| s3_errors::internal("creating an upload file", &e))?;
        let mut writer = BufWriter::with_capacity(IO_CHUNK, file);
        let mut md5 = Md5::new();
        let mut size: u64 = 0;
        if let Some(mut body) = input.body {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| body_error(&e))?;
                size += chunk.len() as u64;
                if size > MAX_OBJECT_SIZE {
                    return Err(s3_errors::entity_too_large());
                }
                md5.update(&chunk);
                hasher.update(&chunk);
                writer
                    .write_all(&chunk)
                    .await
                    .map_err(|e| s3_errors::internal("writing an upload", &e))?;
            }
        }
        if input
            .content_length
            .is_some_and(|len| u64::try_from(len).ok() != Some(size))
        {
            return Err(s3_errors::incomplete_body());
        }
        let md5 = md5.finalize();
        if expected_md5.is_some_and(|expected| expected != md5) {
            return Err(s3_errors::bad_digest());
        }

        let mut declared = StoredChecksums {
            crc32: input.checksum_crc32,
            crc32c: input.checksum_crc32c,
            crc64nvme: input.checksum_crc64nvme,
            sha1: input.checksum_sha1,
            sha256: input.checksum_sha256,
        };
        if let Some(trailers) = trailing_headers.and_then(|t| t.take()) {
            apply_trailers(&mut declared, &trailers)?;
        }
        let computed = hasher.finalize();
        let checksums = verify_checksums(declared, computed)?;

        let meta = meta_with_request_headers!(
            input,
            key: input.key.clone(),
            size,
            etag: hex::encode(md5),
            last_modified_ms: millis_since_epoch(SystemTime::now()),
            checksums,
        );
        let trailer = encode_trailer(&meta)
            .map_err(|e| s3_errors::internal("encoding object metadata", &e))?;
        writer
            .write_all(&trailer)
            .await
            .map_err(|e| s3_errors::internal("writing an upload", &e))?;
        writer
            .flush()
            .await
            .map_err(|e| s3_errors::internal("writing an upload", &e))?;
        drop(writer);
        self.commit(tmp, &input.bucket, &input.key).await?;

        Ok(PutObjectOutput {
            e_tag: Some(ETag::Strong(meta.etag)),
            checksum_crc32: meta.checksums.crc32,
            checksum_crc32c: meta.checksums.crc32c,
            checksum_crc64nvme: meta.checksums.crc64nvme,
            checksum_sha1: meta.checksums.sha1,
            checksum_sha256: meta.checksums.sha256,
            ..PutObjectOutput::default()
        })
    }

    pub(super) async fn copy_object_impl(
        &self,
        input: CopyObjectInput,
    ) -> S3Result<CopyObjectOutput> {
        let (src_bucket, src_key) = match &input.copy_source {
            CopySource::Bucket { bucket, key, .. } => (bucket.to_string(), key.to_string()),
            CopySource::AccessPoint { .. } | CopySource::Outpost { .. } => {
                return Err(s3_errors::not_implemented(
                    "Copying from an access point or outpost",
                ));
            }
        };
        let OpenObject {
            file,
            tail: Tail { meta: src, .. },
        } = self.open_object(&src_bucket, &src_key).await?;
        self.require_bucket(&input.bucket).await?;
        let verdict = Preconditions {
            if_match: input.copy_source_if_match.as_ref(),
            if_none_match: input.copy_source_if_none_match.as_ref(),
            if_modified_since: input.copy_source_if_modified_since.as_ref(),
            if_unmodified_since: input.copy_source_if_unmodified_since.as_ref(),
        }
        .evaluate(&src.etag, src.last_modified());
        if verdict != Verdict::Proceed {
            // For copies every unmet source condition is a 412.
            return Err(s3_errors::precondition_failed());
        }
        let replace = input
            .metadata_directive
            .as_ref()
            .is_some_and(|d| d.as_str() == MetadataDirective::REPLACE);
        if !replace && src_bucket == input.bucket && src_key == input.key {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
            ));
        }

        let mut meta = if replace {
            meta_with_request_headers!(input, ..src.clone())
        } else {
            src.clone()
        };
        meta.key = input.key.clone();
        meta.last_modified_ms = millis_since_epoch(SystemTime::now());

        let tmp = TmpFile::new(self.layout.new_tmp_path("copy"));
        let tmp_path = tmp.path.clone();
        let trailer = encode_trailer(&meta)
            .map_err(|e| s3_errors::internal("encoding object metadata", &e))?;
        let body_len = src.size;
        blocking(move || {
            copy_body(&file, body_len, &tmp_path, &trailer)
                .map_err(|e| s3_errors::internal("copying an object", &e))
        })
        .await?;
        self.commit(tmp, &input.bucket, &input.key).await?;

        Ok(CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                last_modified: Some(Timestamp::from(meta.last_modified())),
                e_tag: Some(ETag::Strong(meta.etag)),
                ..CopyObjectResult::default()
            }),
            ..CopyObjectOutput::default()
        })
    }

    pub(super) async fn delete_object_impl(
        &self,
        bucket: String,
        key: String,
    ) -> S3Result<DeleteObjectOutput> {
        let path = self.layout.object_path(&bucket, &key);
        let objects_dir = self.layout.objects_dir(&bucket);
        blocking(move || match remove_object_file(&path, &objects_dir) {
            Ok(()) => Ok(()),
            Err(Removal::NoBucket) => Err(s3_errors::no_such_bucket()),
            Err(Removal::Io(e)) => Err(s3_errors::internal("deleting an object", &e)),
        })
        .await?;
        // Deleting a key that does not exist succeeds, as in S3.
        Ok(DeleteObjectOutput::default())
    }

    pub(super) async fn delete_objects_impl(
        &self,
        input: DeleteObjectsInput,
    ) -> S3Result<DeleteObjectsOutput> {
        self.require_bucket(&input.bucket).await?;
        let quiet = input.delete.quiet.unwrap_or(false);
        let targets: Vec<(String, PathBuf)> = input
            .delete
            .objects
            .into_iter()
            .map(|o| {
                let path = self.layout.object_path(&input.bucket, &o.key);
                (o.key, path)
            })
            .collect();
        let objects_dir = self.layout.objects_dir(&input.bucket);
        let (deleted, errors) = blocking(move || {
            let mut deleted = Vec::new();
            let mut errors = Vec::new();
            for (key, path) in targets {
                match remove_object_file(&path, &objects_dir) {
                    Ok(()) => deleted.push(DeletedObject {
                        key: Some(key),
                        ..DeletedObject::default()
                    }),
                    Err(Removal::NoBucket) => errors.push(Error {
                        code: Some("NoSuchBucket".to_owned()),
                        key: Some(key),
                        message: Some("The specified bucket does not exist".to_owned()),
                        version_id: None,
                    }),
                    Err(Removal::Io(e)) => {
                        tracing::error!(error = %e, "embedded S3 store: deleting an object");
                        errors.push(Error {
                            code: Some("InternalError".to_owned()),
                            key: Some(key),
                            message: Some(
                                "We encountered an internal error. Please try again.".to_owned(),
                            ),
                            version_id: None,
                        });
                    }
                }
            }
            Ok((deleted, errors))
        })
        .await?;
        Ok(DeleteObjectsOutput {
            deleted: (!quiet).then_some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..DeleteObjectsOutput::default()
        })
    }

    /// Conditional writes: `If-None-Match: *` (create only) and `If-Match: <etag>`
    /// (replace only that version).
    async fn check_write_preconditions(
        &self,
        bucket: &str,
        key: &str,
        if_match: Option<&ETagCondition>,
        if_none_match: Option<&ETagCondition>,
    ) -> S3Result<()> {
        if if_match.is_none() && if_none_match.is_none() {
            return Ok(());
        }
        let current = match self.open_object(bucket, key).await {
            Ok(object) => Some(ETag::Strong(object.tail.meta.etag)),
            Err(e) if *e.code() == S3ErrorCode::NoSuchKey => None,
            Err(e) => return Err(e),
        };
        if let Some(condition) = if_none_match {
            let exists_matching = match (condition, &current) {
                (_, None) => false,
                (ETagCondition::Any, Some(_)) => true,
                (ETagCondition::ETag(wanted), Some(current)) => current.weak_cmp(wanted),
            };
            if exists_matching {
                return Err(s3_errors::precondition_failed());
            }
        }
        if let Some(condition) = if_match {
            let Some(current) = &current else {
                return Err(s3_errors::no_such_key());
            };
            let holds = match condition {
                ETagCondition::Any => true,
                ETagCondition::ETag(wanted) => current.strong_cmp(wanted),
            };
            if !holds {
                return Err(s3_errors::precondition_failed());
            }
        }
        Ok(())
    }

    /// Renames a finished temporary file over the object's name. If the bucket was
    /// deleted meanwhile, the rename finds no `objects/` directory: `NoSuchBucket`.
    async fn commit(&self, mut tmp: TmpFile, bucket: &str, key: &str) -> S3Result<()> {
        let target = self.layout.object_path(bucket, key);
        match tokio::fs::rename(&tmp.path, &target).await {
            Ok(()) => {
                tmp.committed = true;
                Ok(())
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Err(s3_errors::no_such_bucket()),
            Err(e) => Err(s3_errors::internal("storing an object", &e)),
        }
    }
}

enum Removal {
    NoBucket,
    Io(io::Error),
}

fn remove_object_file(path: &Path, objects_dir: &Path) -> Result<(), Removal> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if objects_dir.is_dir() {
                Ok(())
            } else {
                Err(Removal::NoBucket)
            }
        }
        Err(e) => Err(Removal::Io(e)),
    }
}

/// Copies the first `len` bytes of `src` into a new file at `dst`, then the trailer.
fn copy_body(src: &std::fs::File, len: u64, dst: &Path, trailer: &[u8]) -> io::Result<()> {
    // `src` was read (its metadata) when it was opened: copy from the start.
    let mut src_at_start = src;
    io::Seek::seek(&mut src_at_start, io::SeekFrom::Start(0))?;
    let mut reader = io::BufReader::with_capacity(IO_CHUNK, src_at_start).take(len);
    let mut out = io::BufWriter::with_capacity(IO_CHUNK, std::fs::File::create(dst)?);
    let copied = io::copy(&mut reader, &mut out)?;
    if copied != len {
        return Err(io::Error::new(
            ErrorKind::UnexpectedEof,
            "source object is shorter than recorded",
        ));
    }
    out.write_all(trailer)?;
    out.flush()
}

fn decode_content_md5(value: &str) -> S3Result<[u8; 16]> {
    let bytes = base64_simd::STANDARD
        .decode_to_vec(value)
        .map_err(|_| s3_errors::invalid_digest())?;
    <[u8; 16]>::try_from(bytes.as_slice()).map_err(|_| s3_errors::invalid_digest())
}

/// Hashers for each additional checksum the request declares (by value, or by algorithm
/// for a value that arrives in a trailer).
fn checksum_hasher(input: &PutObjectInput) -> S3Result<s3s::checksum::ChecksumHasher> {
    let mut hasher = s3s::checksum::ChecksumHasher::default();
    let algorithm = input
        .checksum_algorithm
        .as_ref()
        .map(|a| a.as_str().to_ascii_uppercase());
    let wants = |declared: bool, name: &str| declared || algorithm.as_deref() == Some(name);
    if wants(input.checksum_crc32.is_some(), ChecksumAlgorithm::CRC32) {
        hasher.crc32 = Some(Checksum::new());
    }
    if wants(input.checksum_crc32c.is_some(), ChecksumAlgorithm::CRC32C) {
        hasher.crc32c = Some(Checksum::new());
    }
    if wants(
        input.checksum_crc64nvme.is_some(),
        ChecksumAlgorithm::CRC64NVME,
    ) {
        hasher.crc64nvme = Some(Checksum::new());
    }
    if wants(input.checksum_sha1.is_some(), ChecksumAlgorithm::SHA1) {
        hasher.sha1 = Some(Checksum::new());
    }
    if wants(input.checksum_sha256.is_some(), ChecksumAlgorithm::SHA256) {
        hasher.sha256 = Some(Checksum::new());
    }
    let known = [
        ChecksumAlgorithm::CRC32,
        ChecksumAlgorithm::CRC32C,
        ChecksumAlgorithm::CRC64NVME,
        ChecksumAlgorithm::SHA1,
        ChecksumAlgorithm::SHA256,
    ];
    if let Some(name) = algorithm.as_deref().filter(|name| !known.contains(name)) {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            format!("Value for x-amz-sdk-checksum-algorithm header is invalid: {name}"),
        ));
    }
    Ok(hasher)
}

/// Checksum values sent as trailers (after an aws-chunked body) override header values.
fn apply_trailers(declared: &mut StoredChecksums, trailers: &http::HeaderMap) -> S3Result<()> {
    let slots: [(&str, &mut Option<String>); 5] = [
        ("x-amz-checksum-crc32", &mut declared.crc32),
        ("x-amz-checksum-crc32c", &mut declared.crc32c),
        ("x-amz-checksum-crc64nvme", &mut declared.crc64nvme),
        ("x-amz-checksum-sha1", &mut declared.sha1),
        ("x-amz-checksum-sha256", &mut declared.sha256),
    ];
    for (name, slot) in slots {
        if let Some(value) = trailers.get(name) {
            let value = value.to_str().map_err(|_| {
                S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    format!("invalid trailer value for {name}"),
                )
            })?;
            *slot = Some(value.to_owned());
        }
    }
    Ok(())
}

/// Compares each declared checksum with the computed one; the stored set is what was
/// declared (and therefore verified).
fn verify_checksums(
    declared: StoredChecksums,
    computed: s3s::dto::Checksum,
) -> S3Result<StoredChecksums> {
    let pairs = [
        (
            "x-amz-checksum-crc32",
            &declared.crc32,
            &computed.checksum_crc32,
        ),
        (
            "x-amz-checksum-crc32c",
            &declared.crc32c,
            &computed.checksum_crc32c,
        ),
        (
            "x-amz-checksum-crc64nvme",
            &declared.crc64nvme,
            &computed.checksum_crc64nvme,
        ),
        (
            "x-amz-checksum-sha1",
            &declared.sha1,
            &computed.checksum_sha1,
        ),
        (
            "x-amz-checksum-sha256",
            &declared.sha256,
            &computed.checksum_sha256,
        ),
    ];
    for (name, declared, computed) in pairs {
        if declared
            .as_ref()
            .is_some_and(|declared| computed.as_ref() != Some(declared))
        {
            return Err(s3_errors::checksum_mismatch(name));
        }
    }
    Ok(StoredChecksums {
        crc32: declared.crc32.or(computed.checksum_crc32),
        crc32c: declared.crc32c.or(computed.checksum_crc32c),
        crc64nvme: declared.crc64nvme.or(computed.checksum_crc64nvme),
        sha1: declared.sha1.or(computed.checksum_sha1),
        sha256: declared.sha256.or(computed.checksum_sha256),
    })
}

fn format_http_date(ts: &Timestamp) -> Option<String> {
    let mut buf = Vec::new();
    ts.format(TimestampFormat::HttpDate, &mut buf).ok()?;
    String::from_utf8(buf).ok()
}

/// Maps a failure while reading the request body to the S3 error a client should see.
///
/// s3s reports payload-verification failures through the body stream with error types
/// it does not export, so they are recognised by their (stable, version-pinned) names:
/// a body that does not match its signed SHA-256 or chunk signatures is the client's
/// fault, as is a body that ends early.
fn body_error(err: &StdError) -> S3Error {
    let text = err.to_string();
    tracing::debug!(error = %text, "request body failed");
    if text.contains("Sha256Mismatch") {
        let mut e = S3Error::with_message(
            S3ErrorCode::Custom("XAmzContentSHA256Mismatch".into()),
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        );
        e.set_status_code(http::StatusCode::BAD_REQUEST);
        e
    } else if text.contains("SignatureMismatch") {
        S3Error::with_message(
            S3ErrorCode::SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        )
    } else if text.contains("FormatError") || text.contains("TooLarge") || text.contains("TooMany")
    {
        S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "The aws-chunked request body is malformed.",
        )
    } else {
        s3_errors::incomplete_body()
    }
}
