//! Bucket operations: ListBuckets, CreateBucket, DeleteBucket, HeadBucket,
//! GetBucketLocation.

use std::io::{self, ErrorKind};
use std::path::Path;
use std::time::SystemTime;

use s3s::dto::*;
use s3s::S3Result;
use serde::{Deserialize, Serialize};

use super::layout::{BUCKET_INFO_FILE, OBJECTS_DIR};
use super::object_file::millis_since_epoch;
use super::{blocking, s3_errors, FsStore};

/// `bucket.json`: what a bucket remembers about itself.
#[derive(Debug, Serialize, Deserialize)]
struct BucketInfo {
    created_ms: u64,
}

enum Created {
    New,
    AlreadyExisted,
}

impl FsStore {
    pub(super) async fn list_buckets_impl(&self) -> S3Result<ListBucketsOutput> {
        let buckets_dir = self.layout.buckets_dir();
        let region = self.region.clone();
        let mut buckets = blocking(move || {
            read_buckets(&buckets_dir).map_err(|e| s3_errors::internal("listing buckets", &e))
        })
        .await?;
        // S3 lists buckets in name order.
        buckets.sort_by(|a, b| a.0.cmp(&b.0));
        let buckets = buckets
            .into_iter()
            .map(|(name, created)| Bucket {
                bucket_region: Some(region.clone()),
                creation_date: Some(Timestamp::from(created)),
                name: Some(name),
            })
            .collect();
        Ok(ListBucketsOutput {
            buckets: Some(buckets),
            ..ListBucketsOutput::default()
        })
    }

    pub(super) async fn create_bucket_impl(
        &self,
        input: CreateBucketInput,
    ) -> S3Result<CreateBucketOutput> {
        // A LocationConstraint, when given, must name this store's region (as real S3
        // requires of the regional endpoint a request is sent to).
        let constraint = input
            .create_bucket_configuration
            .and_then(|c| c.location_constraint)
            .map(|c| c.as_str().to_owned())
            .filter(|c| !c.is_empty());
        if let Some(constraint) = constraint.filter(|c| *c != self.region) {
            return Err(s3_errors::illegal_location_constraint(&constraint));
        }

        let bucket_dir = self.layout.bucket_dir(&input.bucket);
        let staging = self.layout.new_tmp_path("bucket");
        let created = blocking(move || {
            create_bucket_dir(&bucket_dir, &staging)
                .map_err(|e| s3_errors::internal("creating a bucket", &e))
        })
        .await?;
        match created {
            Created::New => {}
            // S3's legacy behaviour in us-east-1: re-creating a bucket you own succeeds.
            Created::AlreadyExisted if self.is_legacy_region() => {}
            Created::AlreadyExisted => return Err(s3_errors::bucket_already_owned_by_you()),
        }
        Ok(CreateBucketOutput {
            location: Some(format!("/{}", input.bucket)),
        })
    }

    pub(super) async fn delete_bucket_impl(&self, bucket: String) -> S3Result<DeleteBucketOutput> {
        let bucket_dir = self.layout.bucket_dir(&bucket);
        blocking(move || {
            // Removing `objects/` is the atomic emptiness check: it fails while any object
            // is left, and once it is gone the bucket no longer exists for anyone.
            match std::fs::remove_dir(bucket_dir.join(OBJECTS_DIR)) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => return Err(s3_errors::no_such_bucket()),
                Err(e) if e.kind() == ErrorKind::DirectoryNotEmpty => return Err(s3_errors::bucket_not_empty()),
                Err(e) => return Err(s3_errors::internal("deleting a bucket", &e)),
            }
            if let Err(e) = std::fs::remove_dir_all(&bucket_dir) {
                // The bucket is already gone; a leftover directory is cleaned up when a
                // bucket of that name is created again.
                tracing::warn!(error = %e, path = %bucket_dir.display(), "could not remove a deleted bucket's directory");
            }
            Ok(())
        })
        .await?;
        Ok(DeleteBucketOutput::default())
    }

    pub(super) async fn head_bucket_impl(&self, bucket: String) -> S3Result<HeadBucketOutput> {
        self.require_bucket(&bucket).await?;
        Ok(HeadBucketOutput {
            bucket_region: Some(self.region.clone()),
            ..HeadBucketOutput::default()
        })
    }

    pub(super) async fn get_bucket_location_impl(
        &self,
        bucket: String,
    ) -> S3Result<GetBucketLocationOutput> {
        self.require_bucket(&bucket).await?;
        // S3 reports us-east-1 as an empty LocationConstraint.
        let location_constraint =
            (!self.is_legacy_region()).then(|| BucketLocationConstraint::from(self.region.clone()));
        Ok(GetBucketLocationOutput {
            location_constraint,
        })
    }

    /// `Err(NoSuchBucket)` unless the bucket exists.
    pub(super) async fn require_bucket(&self, bucket: &str) -> S3Result<()> {
        let objects_dir = self.layout.objects_dir(bucket);
        blocking(move || match std::fs::metadata(&objects_dir) {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(_) => Err(s3_errors::no_such_bucket()),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(s3_errors::no_such_bucket()),
            Err(e) => Err(s3_errors::internal("checking a bucket", &e)),
        })
        .await
    }
}

/// Builds the bucket directory under `staging` and renames it into place, so a bucket
/// appears complete or not at all.
fn create_bucket_dir(bucket_dir: &Path, staging: &Path) -> io::Result<Created> {
    if bucket_dir.join(OBJECTS_DIR).is_dir() {
        return Ok(Created::AlreadyExisted);
    }
    if bucket_dir.exists() {
        // Debris of a deletion that could not finish: the bucket does not exist.
        std::fs::remove_dir_all(bucket_dir)?;
    }
    std::fs::create_dir_all(staging.join(OBJECTS_DIR))?;
    let info = BucketInfo {
        created_ms: millis_since_epoch(SystemTime::now()),
    };
    let written = serde_json::to_vec(&info)
        .map_err(io::Error::other)
        .and_then(|json| std::fs::write(staging.join(BUCKET_INFO_FILE), json));
    let result = written.and_then(|()| match std::fs::rename(staging, bucket_dir) {
        Ok(()) => Ok(Created::New),
        // Someone created it between our check and the rename.
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DirectoryNotEmpty | ErrorKind::AlreadyExists
            ) =>
        {
            Ok(Created::AlreadyExisted)
        }
        Err(e) => Err(e),
    });
    if staging.exists() {
        let _ = std::fs::remove_dir_all(staging);
    }
    result
}

fn read_buckets(buckets_dir: &Path) -> io::Result<Vec<(String, SystemTime)>> {
    let mut buckets = Vec::new();
    for entry in std::fs::read_dir(buckets_dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let dir = entry.path();
        if !s3s::path::check_bucket_name(&name) || !dir.join(OBJECTS_DIR).is_dir() {
            continue;
        }
        buckets.push((name, bucket_creation_time(&dir)?));
    }
    Ok(buckets)
}

fn bucket_creation_time(dir: &Path) -> io::Result<SystemTime> {
    let recorded = std::fs::read(dir.join(BUCKET_INFO_FILE))
        .ok()
        .and_then(|json| serde_json::from_slice::<BucketInfo>(&json).ok());
    match recorded {
        Some(info) => Ok(std::time::UNIX_EPOCH + std::time::Duration::from_millis(info.created_ms)),
        None => std::fs::metadata(dir)?.modified(),
    }
}
