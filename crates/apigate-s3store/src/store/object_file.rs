//! The on-disk object format: the body bytes exactly as uploaded, followed by a JSON
//! metadata trailer and a fixed 16-byte footer.
//!
//! ```text
//! [ body: size bytes ][ metadata JSON: n bytes ][ n: u64 little-endian ][ MAGIC: 8 bytes ]
//! ```
//!
//! Body and metadata live in one file so that replacing an object is a single atomic
//! rename: a reader that opened the file sees one consistent version (body, ETag,
//! Content-Type) even while a writer replaces or deletes it. The trailer goes last so an
//! upload can stream straight to disk and append what it learned (size, MD5) at the end.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

const MAGIC: &[u8; 8] = b"apgS3ob1";
const FOOTER_LEN: u64 = 16;
/// Metadata is small (S3 caps user metadata at 2 KiB, keys at 1 KiB); anything larger
/// means the file is damaged.
const MAX_METADATA_LEN: u64 = 1024 * 1024;

/// Everything S3 reports about an object besides its body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ObjectMeta {
    pub key: String,
    pub size: u64,
    /// Hex MD5 of the body (S3's ETag for single-part uploads), without quotes.
    pub etag: String,
    /// Milliseconds since the Unix epoch.
    pub last_modified_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// The `Expires` header as received (HTTP date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website_redirect_location: Option<String>,
    /// `x-amz-meta-*` headers, names without the prefix.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub user_metadata: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "StoredChecksums::is_empty")]
    pub checksums: StoredChecksums,
}

/// Additional checksums (`x-amz-checksum-*`, base64) the uploader asked S3 to verify;
/// returned on reads that ask for them with `x-amz-checksum-mode: ENABLED`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredChecksums {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc32: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc32c: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc64nvme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl StoredChecksums {
    fn is_empty(&self) -> bool {
        self.crc32.is_none()
            && self.crc32c.is_none()
            && self.crc64nvme.is_none()
            && self.sha1.is_none()
            && self.sha256.is_none()
    }
}

impl ObjectMeta {
    pub(crate) fn last_modified(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.last_modified_ms)
    }
}

pub(crate) fn millis_since_epoch(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The bytes to append after the body.
pub(crate) fn encode_trailer(meta: &ObjectMeta) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = serde_json::to_vec(meta)?;
    let len = out.len() as u64;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(MAGIC);
    Ok(out)
}

/// Reads the metadata of an open object file (blocking I/O) and leaves the cursor
/// anywhere; callers seek before reading the body.
pub(crate) fn read_meta(file: &mut File) -> io::Result<ObjectMeta> {
    let file_len = file.metadata()?.len();
    if file_len < FOOTER_LEN {
        return Err(damaged("shorter than its footer"));
    }
    let mut footer = [0u8; FOOTER_LEN as usize];
    file.seek(SeekFrom::Start(file_len - FOOTER_LEN))?;
    file.read_exact(&mut footer)?;
    let (len_bytes, magic) = footer.split_at(8);
    if magic != MAGIC {
        return Err(damaged("missing the object footer"));
    }
    let mut len_le = [0u8; 8];
    len_le.copy_from_slice(len_bytes);
    let meta_len = u64::from_le_bytes(len_le);
    if meta_len > MAX_METADATA_LEN || meta_len > file_len - FOOTER_LEN {
        return Err(damaged("metadata length out of range"));
    }
    let body_len = file_len - FOOTER_LEN - meta_len;
    let mut json = vec![0u8; usize::try_from(meta_len).map_err(|_| damaged("metadata too large"))?];
    file.seek(SeekFrom::Start(body_len))?;
    file.read_exact(&mut json)?;
    let meta: ObjectMeta =
        serde_json::from_slice(&json).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    if meta.size != body_len {
        return Err(damaged("recorded size differs from the body length"));
    }
    Ok(meta)
}

fn damaged(why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("object file is damaged: {why}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn sample() -> ObjectMeta {
        ObjectMeta {
            key: "dir/ключ +%.bin".into(),
            size: 5,
            etag: "5d41402abc4b2a76b9719d911017c592".into(),
            last_modified_ms: 1_700_000_000_123,
            content_type: Some("image/png".into()),
            user_metadata: [("a".to_owned(), "b".to_owned())].into(),
            ..ObjectMeta::default()
        }
    }

    #[test]
    fn trailer_round_trips_and_body_is_untouched() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"hello").unwrap();
        file.write_all(&encode_trailer(&sample()).unwrap()).unwrap();
        assert_eq!(read_meta(&mut file).unwrap(), sample());
        let mut body = [0u8; 5];
        file.seek(SeekFrom::Start(0)).unwrap();
        file.read_exact(&mut body).unwrap();
        assert_eq!(&body, b"hello");
    }

    #[test]
    fn size_mismatch_is_reported_as_damage() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"hell").unwrap();
        file.write_all(&encode_trailer(&sample()).unwrap()).unwrap();
        assert_eq!(
            read_meta(&mut file).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }

    #[test]
    fn foreign_files_are_reported_as_damage() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"just some bytes that are not an object")
            .unwrap();
        assert_eq!(
            read_meta(&mut file).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        let mut empty = tempfile::tempfile().unwrap();
        assert_eq!(
            read_meta(&mut empty).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }
}
