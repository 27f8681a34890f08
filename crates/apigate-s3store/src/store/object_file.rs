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
use std::io;
#[cfg(not(unix))]
use std::io::{Read, Seek, SeekFrom};
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

/// An object file's metadata, and the bytes read from its end to get it.
#[derive(Debug)]
pub(crate) struct Tail {
    pub meta: ObjectMeta,
    /// File bytes `start..` up to the metadata: the whole body when the file was small
    /// enough to read in one go, else part of it or nothing.
    pub body_end: bytes::Bytes,
    /// Offset in the file (and the body) of `body_end`'s first byte.
    pub start: u64,
}

impl Tail {
    /// `len` body bytes from `offset`, when they were read with the metadata.
    pub(crate) fn body_span(&self, offset: u64, len: u64) -> Option<bytes::Bytes> {
        let from = usize::try_from(offset.checked_sub(self.start)?).ok()?;
        let to = from.checked_add(usize::try_from(len).ok()?)?;
        (to <= self.body_end.len()).then(|| self.body_end.slice(from..to))
    }
}

/// Reads the metadata of an open object file (blocking I/O; positional reads, the cursor
/// is not moved). A file of at most `whole_up_to` bytes is read whole in one read, so a
/// small body comes with its metadata; a larger one only from its last 4 KiB (one read
/// when the metadata fits there, as it nearly always does).
pub(crate) fn read_tail(file: &File, whole_up_to: u64) -> io::Result<Tail> {
    const TAIL_READ: u64 = 4096;
    let file_len = file.metadata()?.len();
    if file_len < FOOTER_LEN {
        return Err(damaged("shorter than its footer"));
    }
    let first = if file_len <= whole_up_to {
        file_len
    } else {
        TAIL_READ.min(file_len)
    };
    let mut start = file_len - first;
    let mut buf = vec![0u8; usize::try_from(first).map_err(|_| damaged("too large"))?];
    read_exact_at(file, &mut buf, start)?;
    let footer_at = buf.len() - FOOTER_LEN as usize;
    let (len_bytes, magic) = buf
        .get(footer_at..)
        .ok_or_else(|| damaged("shorter than its footer"))?
        .split_at(8);
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
    if body_len < start {
        // Metadata larger than the first read: read it exactly.
        let mut json =
            vec![0u8; usize::try_from(meta_len).map_err(|_| damaged("metadata too large"))?];
        read_exact_at(file, &mut json, body_len)?;
        buf = json;
        start = body_len;
    }
    let meta_from = usize::try_from(body_len - start).map_err(|_| damaged("too large"))?;
    let meta_to = meta_from + usize::try_from(meta_len).map_err(|_| damaged("too large"))?;
    let json = buf
        .get(meta_from..meta_to)
        .ok_or_else(|| damaged("metadata length out of range"))?;
    let meta: ObjectMeta =
        serde_json::from_slice(json).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    if meta.size != body_len {
        return Err(damaged("recorded size differs from the body length"));
    }
    let mut body_end = bytes::Bytes::from(buf);
    body_end.truncate(meta_from);
    Ok(Tail {
        meta,
        body_end,
        start,
    })
}

/// Reads the metadata of an open object file (blocking I/O).
pub(crate) fn read_meta(file: &File) -> io::Result<ObjectMeta> {
    read_tail(file, 0).map(|t| t.meta)
}

/// Fills `buf` from `offset` without moving the file cursor where the platform allows.
pub(crate) fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(not(unix))]
    {
        let mut file = file;
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(buf)
    }
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
    use std::io::{Read, Seek, SeekFrom, Write};

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
        assert_eq!(read_meta(&file).unwrap(), sample());
        let mut body = [0u8; 5];
        file.seek(SeekFrom::Start(0)).unwrap();
        file.read_exact(&mut body).unwrap();
        assert_eq!(&body, b"hello");
    }

    #[test]
    fn a_small_file_is_read_whole_with_its_metadata() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"hello").unwrap();
        file.write_all(&encode_trailer(&sample()).unwrap()).unwrap();
        let whole = read_tail(&file, 1 << 16).unwrap();
        assert_eq!(whole.meta, sample());
        assert_eq!(whole.start, 0);
        assert_eq!(whole.body_span(1, 3).as_deref(), Some(&b"ell"[..]));
        assert_eq!(whole.body_span(0, 6), None, "past the body");
        // Not asked to read it whole, the last 4 KiB still cover this small file.
        let tail = read_tail(&file, 0).unwrap();
        assert_eq!(tail.meta, sample());
        assert_eq!(tail.body_span(0, 5).as_deref(), Some(&b"hello"[..]));
    }

    #[test]
    fn large_metadata_takes_a_second_read() {
        let mut meta = sample();
        meta.size = 10_000;
        meta.user_metadata = (0..400)
            .map(|i| (format!("k{i}"), "v".repeat(20)))
            .collect();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&vec![1u8; 10_000]).unwrap();
        let trailer = encode_trailer(&meta).unwrap();
        assert!(trailer.len() > 4096);
        file.write_all(&trailer).unwrap();
        let tail = read_tail(&file, 0).unwrap();
        assert_eq!(tail.meta, meta);
        assert_eq!(tail.body_span(9_999, 1), None);
        let whole = read_tail(&file, 1 << 20).unwrap();
        assert_eq!(whole.meta, meta);
        assert_eq!(whole.body_span(9_999, 1).as_deref(), Some(&[1u8][..]));
    }

    #[test]
    fn size_mismatch_is_reported_as_damage() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"hell").unwrap();
        file.write_all(&encode_trailer(&sample()).unwrap()).unwrap();
        assert_eq!(
            read_meta(&file).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }

    #[test]
    fn foreign_files_are_reported_as_damage() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"just some bytes that are not an object")
            .unwrap();
        assert_eq!(
            read_meta(&file).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        let empty = tempfile::tempfile().unwrap();
        assert_eq!(
            read_meta(&empty).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }
}
