//! The store's HTTP server: its own tokio task running `apigate-http-server`'s accept loop
//! (HTTP/1.1 and h2c, connection limit, head/idle/write timeouts, graceful shutdown) on a
//! loopback port, with s3s as the service.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use apigate_http_server::{join_the_batch, Limits, Server};
use futures_util::future::BoxFuture;
use hyper::body::Incoming;
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{HttpError, HttpResponse};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::StoreConfig;
use crate::credentials::SingleKeyAuth;
use crate::error::StoreError;
use crate::error_messages;
use crate::store::FsStore;

/// A running embedded S3 store.
///
/// Dropping it without calling [`EmbeddedS3::shutdown`] also stops the server (in the
/// background); `shutdown` additionally waits until it has stopped.
#[derive(Debug)]
pub struct EmbeddedS3 {
    local_addr: SocketAddr,
    data_dir: PathBuf,
    service: WithRequestId,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
}

impl EmbeddedS3 {
    /// Prepares the data directory, binds `config.listen` and starts serving on a
    /// spawned task. Must be called within a tokio runtime (multi-threaded recommended:
    /// file I/O runs on the blocking pool).
    pub async fn start(config: StoreConfig) -> Result<EmbeddedS3, StoreError> {
        Self::start_with_limits(config, Limits::default()).await
    }

    /// [`EmbeddedS3::start`] with the connection limits and timeouts of `limits` (the
    /// gateway passes its own, so `serve`'s options apply to both ports).
    pub async fn start_with_limits(
        config: StoreConfig,
        limits: Limits,
    ) -> Result<EmbeddedS3, StoreError> {
        check_config(&config)?;
        let StoreConfig {
            data_dir,
            listen,
            access_key_id,
            secret_access_key,
            region,
        } = config;

        tokio::fs::create_dir_all(&data_dir)
            .await
            .map_err(|source| StoreError::CreateDataDir {
                path: data_dir.clone(),
                source,
            })?;
        let root = data_dir.clone();
        let store = tokio::task::spawn_blocking(move || FsStore::open(root, region))
            .await
            .map_err(std::io::Error::other)
            .and_then(|opened| opened)
            .map_err(|source| StoreError::PrepareDataDir {
                path: data_dir.clone(),
                source,
            })?;

        let listener = TcpListener::bind(listen)
            .await
            .map_err(|source| StoreError::Bind {
                addr: listen,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| StoreError::Bind {
            addr: listen,
            source,
        })?;

        let mut builder = S3ServiceBuilder::new(store);
        builder.set_auth(SingleKeyAuth::new(access_key_id, secret_access_key));
        let service = builder.build();

        let service = WithRequestId {
            inner: service,
            ids: Arc::new(RequestIds::new()),
        };
        let (stop, stopped) = oneshot::channel();
        let server = Server::new("embedded S3 store", limits);
        let served = service.clone();
        let server = tokio::spawn(async move {
            server
                .serve(
                    listener,
                    move |_peer| served.clone(),
                    // An explicit stop, or the handle was dropped.
                    async move {
                        let _ = stopped.await;
                    },
                )
                .await;
            tracing::info!("embedded S3 store stopped");
        });
        tracing::info!(endpoint = %format!("http://{local_addr}"), data_dir = %data_dir.display(), "embedded S3 store listening");
        Ok(EmbeddedS3 {
            local_addr,
            data_dir,
            service,
            stop: Some(stop),
            server,
        })
    }

    /// The base URL for path-style requests, e.g. `http://127.0.0.1:40123`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// The address actually bound (the real port when `listen` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A client that hands requests to the store in-process, without a socket: the same
    /// service, SigV4 verification included, for a gateway running in the same process.
    pub fn local_client(&self) -> LocalClient {
        LocalClient {
            service: self.service.clone(),
        }
    }

    /// Stops accepting connections at once, lets requests in flight finish (up to 30 s),
    /// closes idle keep-alive connections, and returns when the server has stopped.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Err(e) = (&mut self.server).await {
            tracing::error!(error = %e, "embedded S3 store task failed");
        }
    }
}

fn check_config(config: &StoreConfig) -> Result<(), StoreError> {
    let missing = [
        (config.access_key_id.is_empty(), "access_key_id is empty"),
        (
            config.secret_access_key.is_empty(),
            "secret_access_key is empty",
        ),
        (config.region.is_empty(), "region is empty"),
    ];
    match missing.iter().find(|(is_missing, _)| *is_missing) {
        Some((_, reason)) => Err(StoreError::InvalidConfig((*reason).to_owned())),
        None => Ok(()),
    }
}

/// Adds a missing `<Message>` to an (already fully buffered) error body.
fn complete_error_body(response: &mut HttpResponse) {
    let Some(fixed) = response
        .body()
        .bytes()
        .and_then(|body| error_messages::with_message(&body))
    else {
        return;
    };
    if let Ok(len) = http::HeaderValue::from_str(&fixed.len().to_string()) {
        response
            .headers_mut()
            .insert(http::header::CONTENT_LENGTH, len);
    }
    *response.body_mut() = s3s::Body::from(fixed);
}

/// S3-style request ids (16 upper-case hex digits) for the `x-amz-request-id` header.
#[derive(Debug)]
struct RequestIds {
    prefix: u32,
    next: AtomicU64,
}

impl RequestIds {
    fn new() -> Self {
        let mut seed = [0u8; 4];
        let _ = getrandom::fill(&mut seed);
        Self {
            prefix: u32::from_le_bytes(seed),
            next: AtomicU64::new(0),
        }
    }

    fn next(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{:08X}{:08X}", self.prefix, n & 0xFFFF_FFFF)
    }
}

impl std::fmt::Debug for WithRequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithRequestId").finish_non_exhaustive()
    }
}

/// The s3s service, plus the `x-amz-request-id` header S3 puts on every response and the
/// `<Message>` S3 puts in every error body.
#[derive(Clone)]
struct WithRequestId {
    inner: S3Service,
    ids: Arc<RequestIds>,
}

impl WithRequestId {
    async fn handle(self, req: s3s::HttpRequest) -> Result<HttpResponse, HttpError> {
        let id = self.ids.next();
        let mut response = self.inner.call(req).await?;
        if let Ok(value) = http::HeaderValue::from_str(&id) {
            response.headers_mut().insert("x-amz-request-id", value);
        }
        if response.status().is_client_error() || response.status().is_server_error() {
            complete_error_body(&mut response);
        }
        Ok(response)
    }
}

impl hyper::service::Service<http::Request<Incoming>> for WithRequestId {
    type Response = HttpResponse;
    type Error = HttpError;
    type Future = BoxFuture<'static, Result<HttpResponse, HttpError>>;

    fn call(&self, req: http::Request<Incoming>) -> Self::Future {
        let response = self.clone().handle(req.map(s3s::Body::from));
        Box::pin(async move {
            let response = response.await;
            // Written together with this worker's other ready responses, as the gateway's
            // server does: the peer reads several per wake-up. In-process calls
            // (`LocalClient`) do not wait here.
            join_the_batch().await;
            response
        })
    }
}

/// Sends requests to an [`EmbeddedS3`] in-process (see [`EmbeddedS3::local_client`]).
#[derive(Clone)]
pub struct LocalClient {
    service: WithRequestId,
}

impl std::fmt::Debug for LocalClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalClient").finish_non_exhaustive()
    }
}

/// The error type of bodies handed to and returned by a [`LocalClient`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl LocalClient {
    /// Serves one (signed) request; the response body streams from the store.
    pub async fn call<B>(
        &self,
        req: http::Request<B>,
    ) -> Result<http::Response<s3s::Body>, BoxError>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let req = req
            .map(|b| s3s::Body::http_body_unsync(http_body_util::BodyExt::map_err(b, Into::into)));
        let mut response = self
            .service
            .clone()
            .handle(req)
            .await
            .map_err(BoxError::from)?;
        // Over HTTP the server adds Date to every response; so does this path.
        if !response.headers().contains_key(http::header::DATE) {
            let now = httpdate::fmt_http_date(std::time::SystemTime::now());
            if let Ok(v) = http::HeaderValue::from_str(&now) {
                response.headers_mut().insert(http::header::DATE, v);
            }
        }
        Ok(response)
    }
}
