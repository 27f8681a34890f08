//! What the embedded store is started with.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Settings for [`crate::EmbeddedS3::start`].
///
/// `Debug` redacts the secret so the config can be logged safely.
#[derive(Clone)]
pub struct StoreConfig {
    /// Where buckets and objects live; created (with parents) if missing.
    pub data_dir: PathBuf,
    /// Address to listen on, normally `127.0.0.1:0` (an ephemeral loopback port).
    pub listen: SocketAddr,
    /// The one access key id the store accepts.
    pub access_key_id: String,
    /// The secret key paired with `access_key_id`.
    pub secret_access_key: String,
    /// The store's region (e.g. `us-east-1`): what `GetBucketLocation` reports and which
    /// `LocationConstraint` `CreateBucket` accepts.
    pub region: String,
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("region", &self.region)
            .finish()
    }
}
