//! Where things live inside the data directory.
//!
//! ```text
//! <data_dir>/
//!   buckets/<bucket>/bucket.json          creation date
//!   buckets/<bucket>/objects/<sha256(key)> one file per object: body, then metadata trailer
//!   tmp/                                   uploads in progress (emptied at start)
//! ```
//!
//! A bucket exists exactly while its `objects/` directory does: creation renames a fully
//! built bucket directory into place, deletion removes `objects/` first (which fails if any
//! object is left). Object files are named by the SHA-256 of the key, so any S3 key — up
//! to 1024 bytes, with `/`, `..`, `%`, spaces or unicode — maps to one short, safe file
//! name, and `a` and `a/b` can coexist as they do in S3.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use s3s::crypto::{Checksum, Sha256};

#[derive(Debug)]
pub(crate) struct Layout {
    root: PathBuf,
    tmp_counter: AtomicU64,
    /// Distinguishes this process's temporary names from a previous run's.
    tmp_prefix: String,
}

impl Layout {
    pub(crate) fn new(root: PathBuf) -> Self {
        let mut nonce = [0u8; 6];
        // Uniqueness across restarts only matters for leftovers, which `prepare` removes
        // anyway; a failed RNG read just leaves the nonce zeroed.
        let _ = getrandom::fill(&mut nonce);
        Self {
            root,
            tmp_counter: AtomicU64::new(0),
            tmp_prefix: hex::encode(nonce),
        }
    }

    /// Creates the working directories and removes uploads a previous run left unfinished.
    pub(crate) fn prepare(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(self.buckets_dir())?;
        let tmp = self.tmp_dir();
        std::fs::create_dir_all(&tmp)?;
        for entry in std::fs::read_dir(&tmp)? {
            let path = entry?.path();
            if path.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
        }
        Ok(())
    }

    pub(crate) fn buckets_dir(&self) -> PathBuf {
        self.root.join("buckets")
    }

    pub(crate) fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// `bucket` has passed s3s's bucket-name validation (lower-case letters, digits, `.`
    /// and `-`, 3–63 characters), so it is a safe single path component.
    pub(crate) fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.buckets_dir().join(bucket)
    }

    pub(crate) fn objects_dir(&self, bucket: &str) -> PathBuf {
        self.bucket_dir(bucket).join(OBJECTS_DIR)
    }

    pub(crate) fn object_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.objects_dir(bucket).join(object_file_name(key))
    }

    /// A fresh path under `tmp/` for building an object or a bucket before it is renamed
    /// into place.
    pub(crate) fn new_tmp_path(&self, what: &str) -> PathBuf {
        let n = self.tmp_counter.fetch_add(1, Ordering::Relaxed);
        self.tmp_dir()
            .join(format!("{}-{n}.{what}", self.tmp_prefix))
    }
}

pub(crate) const OBJECTS_DIR: &str = "objects";
pub(crate) const BUCKET_INFO_FILE: &str = "bucket.json";

fn object_file_name(key: &str) -> String {
    hex::encode(Sha256::checksum(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn object_names_are_fixed_length_hex_for_any_key() {
        let layout = Layout::new(PathBuf::from("/data"));
        for key in ["a", "a/../b", "%2F", "x".repeat(1024).as_str(), "日本/語 +"] {
            let name = layout.object_path("bucket", key);
            let file = name.file_name().unwrap().to_str().unwrap();
            assert_eq!(file.len(), 64);
            assert!(file.bytes().all(|b| b.is_ascii_hexdigit()));
            assert_eq!(
                name.parent().unwrap(),
                Path::new("/data/buckets/bucket/objects")
            );
        }
    }

    #[test]
    fn tmp_paths_are_unique() {
        let layout = Layout::new(PathBuf::from("/data"));
        assert_ne!(layout.new_tmp_path("part"), layout.new_tmp_path("part"));
    }
}
