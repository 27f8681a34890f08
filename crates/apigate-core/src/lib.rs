//! # apigate-core
//!
//! Owns everything apigate knows about an API *definition*, and nothing about sockets:
//! it reads an Amazon API Gateway REST API definition (Swagger 2.0 or OpenAPI 3.0.x, JSON or
//! YAML, with `x-amazon-apigateway-*` extensions), checks it the way AWS's import would (plus
//! what would only fail at run time), and builds the validated model the runtime executes:
//! the route table, parsed parameter mappings (body JSONPaths compiled, context variables
//! resolved to [`context_var::ContextVar`]), compiled selection-pattern regexes, parsed
//! integration URIs, binary media types, request models compiled as JSON Schema draft 4
//! ([`body_validation`]), and the gateway-response types ([`response_types`]) the runtime
//! answers errors with.
//!
//! ```text
//! text ──source::parse──▶ spanned tree ──load──▶ Diagnostics + Option<Api>
//!                                                     │
//!                                   Api.routes.lookup(verb, path) ──▶ Method + path params
//! ```
//!
//! Entry point: [`load()`]. Loading never panics and collects every problem it finds
//! ([`Diagnostics`]), each with a rule id ([`rules`]), a JSON pointer and a line/column.
//!
//! The crate is pure (no tokio, no I/O): it builds and tests in seconds and is fuzzed
//! (`fuzz/fuzz_targets/load.rs`).

pub mod aws_services;
pub mod body_validation;
pub mod config;
pub mod context_var;
pub mod diag;
pub mod gateway_template;
pub mod limits;
pub use apigate_java_regex as java_regex;
pub mod listing;
mod load;
pub mod mapping;
pub mod media;
pub mod model;
pub mod path_safety;
pub mod resource_policy;
pub mod response_types;
pub mod routes;
pub mod rules;
pub mod source;
pub mod uri;
pub mod vars;

pub use diag::{Diagnostic, Diagnostics, Pos, Severity};
pub use load::{load, LoadOptions, Loaded, MAX_DEFINITION_BYTES};
pub use model::{Api, BasePathMode, HttpMethod, Method};
pub use vars::ImportVariables;
