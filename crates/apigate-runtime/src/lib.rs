//! apigate's runtime: serves a validated API ([`apigate_core::Api`]) over HTTP with API
//! Gateway's REST semantics.
//!
//! What this crate owns:
//! - [`server`]: the gateway's HTTP server — `apigate-http-server`'s accept loop (HTTP/1.1 +
//!   h2c, TCP_NODELAY, connection limit, timeouts, graceful shutdown) with the lifecycle as
//!   its service, responses written with their worker's batch;
//! - [`lifecycle`]: the spine, one request stage by stage — route → authorize → validate
//!   parameters ([`validate`]) → decompress → validate body → check → map request ([`map_request`]) → integrate → select and map response
//!   ([`map_response`]) → compress, failures → [`gateway_response`]; observed through
//!   [`hooks`] (the execution log of [`trace`] for `test-invoke`);
//! - [`auth`]: inbound SigV4 (`AWS_IAM` methods, service `execute-api`);
//! - [`integrations`]: the backends — S3 (`type: aws`, SigV4-signed by `integrations::signer`
//!   with `aws-sigv4`'s key derivation),
//!   `http` and `http_proxy`, and `mock`; backends are reached through one pooled client
//!   (`integrations::client`) that keeps their deadlines on the coarse timer; [`params`],
//!   [`templates`] and [`convert`] do the mapping work around them; [`template_runner`]
//!   bounds how long a template renders and where (inline, else the blocking pool).
//!
//! - operations: [`server::Live`] (the API in force, swapped on reload), [`observe`] (what
//!   watches every response: [`metrics`] and the [`access_log`]), [`admin`] (the admin
//!   listener: health, readiness, `/metrics`, `/routes`).
//!
//! Definition loading and validation live in `apigate-core`; the embedded S3 store in
//! `apigate-s3store`; the command line in `apigate-cli`.

pub mod access_log;
pub mod admin;
pub mod api_keys;
pub mod auth;
pub mod body;
pub mod compression;
pub mod context;
pub mod convert;
pub mod error;
pub mod gateway_response;
pub mod hooks;
pub mod integrations;
pub mod lambda_proxy;
pub mod lifecycle;
pub mod map_request;
pub mod map_response;
pub mod metrics;
pub mod observe;
pub mod params;
pub mod request;
pub mod server;
pub mod template_runner;
pub mod templates;
pub mod throttle;
pub mod trace;
pub mod transform;
pub mod validate;

pub use lifecycle::{Gateway, Settings};
