//! The S3 operations, implemented over the data directory ([`layout`]) with the object
//! format of [`object_file`]. s3s parses requests, checks signatures and serializes
//! responses; this module only decides what each operation does to the files.

mod buckets;
mod conditions;
mod layout;
mod listing;
mod object_file;
mod read;
mod s3_errors;
mod url_encoding;
mod write;

use std::path::PathBuf;
use std::sync::Arc;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, S3};

pub(crate) use self::layout::Layout;

/// The region whose buckets keep S3's legacy behaviours (re-creating an owned bucket
/// answers 200; `GetBucketLocation` reports an empty constraint).
const LEGACY_REGION: &str = "us-east-1";

/// Reads are streamed in pieces of this size: large enough that a multi-GiB object costs
/// few system calls, small enough that memory per download stays flat.
pub(crate) const IO_CHUNK: usize = 256 * 1024;

/// S3's limit for a single PUT.
const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

#[derive(Debug, Clone)]
pub(crate) struct FsStore {
    layout: Arc<Layout>,
    region: String,
}

impl FsStore {
    /// Lays out the data directory (blocking; called once at start-up).
    pub(crate) fn open(root: PathBuf, region: String) -> std::io::Result<Self> {
        let layout = Layout::new(root);
        layout.prepare()?;
        Ok(Self {
            layout: Arc::new(layout),
            region,
        })
    }

    fn is_legacy_region(&self) -> bool {
        self.region == LEGACY_REGION
    }
}

/// Runs blocking filesystem work off the async worker threads.
async fn blocking<T, F>(work: F) -> S3Result<T>
where
    F: FnOnce() -> S3Result<T> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(join_error) => Err(s3_errors::internal("filesystem task failed", &join_error)),
    }
}

#[async_trait::async_trait]
impl S3 for FsStore {
    async fn list_buckets(
        &self,
        _req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        self.list_buckets_impl().await.map(S3Response::new)
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.create_bucket_impl(req.input)
            .await
            .map(S3Response::new)
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.delete_bucket_impl(req.input.bucket)
            .await
            .map(S3Response::new)
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.head_bucket_impl(req.input.bucket)
            .await
            .map(S3Response::new)
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.get_bucket_location_impl(req.input.bucket)
            .await
            .map(S3Response::new)
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.list_objects_v1_impl(req.input)
            .await
            .map(S3Response::new)
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.list_objects_v2_impl(req.input)
            .await
            .map(S3Response::new)
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        self.put_object_impl(req).await.map(S3Response::new)
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        self.get_object_impl(req.input).await.map(S3Response::new)
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.head_object_impl(req.input).await.map(S3Response::new)
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        self.copy_object_impl(req.input).await.map(S3Response::new)
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.delete_object_impl(req.input.bucket, req.input.key)
            .await
            .map(S3Response::new)
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        self.delete_objects_impl(req.input)
            .await
            .map(S3Response::new)
    }
}
