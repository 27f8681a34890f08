//! TLS on a listener: rustls through `tokio-rustls`, HTTP/2 and HTTP/1.1 offered by ALPN
//! (hyper's `auto` builder then tells them apart by the HTTP/2 preface, as on a plain port).
//!
//! The certificate chain and key come from PEM files and can be read again while the server
//! runs ([`Tls::reload`]): each new connection takes the configuration current at its accept,
//! connections already open keep theirs, and a reload that fails leaves the last good one in
//! place.

use arc_swap::ArcSwap;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A listener's TLS configuration, swappable in place. Clones share it.
#[derive(Clone)]
pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    config: Arc<ArcSwap<ServerConfig>>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// Why a certificate or key could not be used; worded for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsError(pub String);

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsError {}

impl Tls {
    /// Reads the PEM certificate chain `cert` (leaf first) and the PEM private key `key`
    /// (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
        let config = load(cert, key)?;
        Ok(Tls {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            config: Arc::new(ArcSwap::from_pointee(config)),
        })
    }

    /// Reads the files again; new connections use them from now on. On an error the
    /// configuration in force stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let config = load(&self.cert, &self.key)?;
        self.config.store(Arc::new(config));
        Ok(())
    }

    /// The certificate and key files.
    pub fn files(&self) -> (&Path, &Path) {
        (&self.cert, &self.key)
    }

    /// An acceptor with the configuration in force.
    pub(crate) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.config.load_full())
    }
}

fn load(cert: &Path, key: &Path) -> Result<ServerConfig, TlsError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| TlsError(format!("{}: {e}", cert.display())))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError(format!("{}: {e}", cert.display())))?;
    if chain.is_empty() {
        return Err(TlsError(format!(
            "{}: no PEM certificate (-----BEGIN CERTIFICATE-----) in the file",
            cert.display()
        )));
    }
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| TlsError(format!("{}: no usable PEM private key: {e}", key.display())))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(format!("TLS versions: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| TlsError(format!("{} and {}: {e}", cert.display(), key.display())))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
