//! How the backend client reaches a backend: TCP (TCP_NODELAY) and rustls for `https`
//! (HTTP/2 offered by ALPN, HTTP/1.1 otherwise), through the proxy `HTTP_PROXY` /
//! `HTTPS_PROXY` / `ALL_PROXY` name unless `NO_PROXY` exempts the host (hyper-util's matcher,
//! the rules reqwest applied): an `http://` destination is asked of the proxy in absolute form,
//! an `https://` one through a CONNECT tunnel.

use crate::body::BoxError;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use rustls_platform_verifier::BuilderVerifierExt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpStream;

/// How long establishing a TCP connection may take. The integration timeout starts once the
/// request is sent, so a connection that never completes needs its own bound.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

type Io = MaybeHttpsStream<TokioIo<TcpStream>>;

/// The client's connector: direct, or through the environment's proxy.
#[derive(Clone, Debug)]
pub struct Connector {
    /// TCP, then TLS for `https` destinations.
    direct: HttpsConnector<HttpConnector>,
    /// TCP alone (to a proxy that tunnels).
    tcp: HttpConnector,
    tls: Arc<ClientConfig>,
    proxies: Arc<Matcher>,
}

impl Connector {
    /// A connector checking server certificates against the platform's roots, or accepting
    /// any (`tlsConfig.insecureSkipVerification`).
    pub fn new(insecure: bool, proxies: Arc<Matcher>) -> Result<Connector, rustls::Error> {
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let tls = Arc::new(tls_config(insecure)?);
        Ok(Connector {
            direct: HttpsConnector::from((tcp.clone(), tls.clone())),
            tcp,
            tls,
            proxies,
        })
    }
}

/// rustls with aws-lc-rs (the provider the AWS crates already build), safe default protocol
/// versions, ALPN `h2` then `http/1.1`.
fn tls_config(insecure: bool) -> Result<ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let mut config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        builder.with_platform_verifier()?.with_no_client_auth()
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

impl tower_service::Service<http::Uri> for Connector {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // HttpConnector (and so HttpsConnector) is always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: http::Uri) -> Self::Future {
        let Some(proxy) = self.proxies.intercept(&dst) else {
            let connecting = self.direct.call(dst);
            return Box::pin(async move {
                Ok(Conn {
                    io: connecting.await?,
                    proxy: false,
                })
            });
        };
        if dst.scheme() == Some(&http::uri::Scheme::HTTPS) {
            if proxy.uri().scheme() == Some(&http::uri::Scheme::HTTPS) {
                return Box::pin(async {
                    Err(
                        "an https:// proxy cannot tunnel: apigate reaches proxies over http://"
                            .into(),
                    )
                });
            }
            let mut tunnel = Tunnel::new(proxy.uri().clone(), self.tcp.clone());
            if let Some(auth) = proxy.basic_auth() {
                tunnel = tunnel.with_auth(auth.clone());
            }
            let mut tls = HttpsConnector::from((tunnel, self.tls.clone()));
            let connecting = tls.call(dst);
            return Box::pin(async move {
                Ok(Conn {
                    io: connecting.await?,
                    proxy: false,
                })
            });
        }
        // Plain HTTP through the proxy: requests are written in absolute form, and the
        // client adds Proxy-Authorization (`BackendClient::send`).
        let connecting = self.direct.call(proxy.uri().clone());
        Box::pin(async move {
            Ok(Conn {
                io: connecting.await?,
                proxy: true,
            })
        })
    }
}

/// A connection to a backend, or to the proxy that forwards to it.
#[derive(Debug)]
pub struct Conn {
    io: Io,
    /// Connected to a forwarding proxy: request targets go in absolute form.
    proxy: bool,
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.proxy)
    }
}

impl Read for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl Write for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }
}

/// `tlsConfig.insecureSkipVerification`: any certificate is accepted, but the handshake's
/// signatures are still checked (the peer holds the key of the certificate it sent).
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
