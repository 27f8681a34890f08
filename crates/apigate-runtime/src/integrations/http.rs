//! `type: http` and `type: http_proxy` integrations: render the URL template, send the request
//! unsigned, stream the bodies. What reaches the backend differs (docs/SEMANTICS.md §5.1,
//! §10.4):
//!
//! - `http`: only mapped query strings and headers (plus the headers API Gateway adds itself);
//! - `http_proxy`: the client's query string and headers pass, minus the hop-by-hop and
//!   gateway-managed ones of AWS's known-issues table; mapped values are appended (query) or
//!   override (headers). On the way back the same table remaps or drops response headers.

use super::client::BackendClient;
use super::{encode_query, render_with, send_error, EndpointRequest, EndpointResponse};
use crate::error::GatewayError;
use apigate_core::uri::HttpUri;
use http::header::{
    HeaderMap, HeaderName, HeaderValue, ACCEPT, CONNECTION, CONTENT_LENGTH, USER_AGENT,
};
use std::collections::BTreeMap;

/// Request headers API Gateway never forwards to an http/http_proxy backend.
const DROPPED_REQUEST_HEADERS: &[&str] = &[
    "host",
    "content-md5",
    "expect",
    "max-forwards",
    "proxy-authenticate",
    "server",
    "te",
    "trailer",
    "upgrade",
    "www-authenticate",
    "transfer-encoding",
    "via",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "content-length",
];

/// Mapped integration-request headers API Gateway does not send to an http backend (recorded
/// on AWS: a mapping onto them is accepted and the header never arrives).
const MAPPED_NOT_SENT: &[&str] = &[
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "via",
];

/// Response headers renamed to `X-Amzn-Remapped-<name>` (Date and Server are then set by the
/// gateway itself).
const REMAPPED_RESPONSE_HEADERS: &[&str] = &[
    "authorization",
    "connection",
    "content-md5",
    "max-forwards",
    "user-agent",
    "www-authenticate",
    "date",
    "server",
];

/// Response headers dropped on the way back.
const DROPPED_RESPONSE_HEADERS: &[&str] = &[
    "expect",
    "host",
    "proxy-authenticate",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "keep-alive",
];

/// What of the client's request an `http_proxy` integration passes on.
#[derive(Debug)]
pub struct ProxyPassthrough<'a> {
    pub raw_query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    /// The method is secured by SigV4: the caller's `Authorization` stays behind.
    pub drop_authorization: bool,
}

#[derive(Debug)]
pub struct HttpBackend {
    client: BackendClient,
    api_id: String,
}

impl HttpBackend {
    pub fn new(client: BackendClient, api_id: &str) -> HttpBackend {
        HttpBackend {
            client,
            api_id: api_id.to_string(),
        }
    }

    /// Sends `request` to the URL `uri` renders to. `proxy` is set for `http_proxy`.
    pub async fn send(
        &self,
        uri: &HttpUri,
        request: EndpointRequest,
        proxy: Option<ProxyPassthrough<'_>>,
        insecure_tls: bool,
        stage_variables: &BTreeMap<String, String>,
        buffer_limit: u64,
    ) -> Result<EndpointResponse, GatewayError> {
        // A non-proxy backend gets a Content-Length, never a chunked body (as AWS sends it):
        // a body of unknown length is read whole first.
        let request = match proxy {
            None => super::with_length(request, buffer_limit).await?,
            Some(_) => request,
        };
        let greedy = &request.greedy;
        let authority = render_with(&uri.authority, &request.path, stage_variables, |_| false)?;
        let path_and_query =
            render_with(&uri.path_and_query, &request.path, stage_variables, |n| {
                greedy.contains(n)
            })?;
        let scheme = if uri.https { "https" } else { "http" };
        let mut url = format!("{scheme}://{authority}{path_and_query}");
        if url.ends_with(&format!("://{authority}")) {
            url.push('/');
        }
        let mut first = !path_and_query.contains('?');
        let mut push_query = |url: &mut String, pair: &str| {
            url.push(if first { '?' } else { '&' });
            first = false;
            url.push_str(pair);
        };
        if let Some(raw) = proxy.as_ref().and_then(|p| p.raw_query) {
            for pair in raw.split('&').filter(|p| !p.is_empty()) {
                push_query(&mut url, pair);
            }
        }
        for (k, v) in &request.query {
            push_query(
                &mut url,
                &format!("{}={}", encode_query(k), encode_query(v)),
            );
        }

        let mut headers = HeaderMap::new();
        if let Some(p) = &proxy {
            for (name, value) in p.headers {
                let n = name.as_str();
                if DROPPED_REQUEST_HEADERS.contains(&n)
                    || (p.drop_authorization && n == "authorization")
                    || n == "content-encoding"
                    || named_by_connection(p.headers, n)
                {
                    continue;
                }
                headers.append(name.clone(), value.clone());
            }
        } else {
            headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
            if let Ok(v) = HeaderValue::from_str(&format!("AmazonAPIGateway_{}", self.api_id)) {
                headers.insert(USER_AGENT, v);
            }
        }
        if let Ok(v) = HeaderValue::from_str(&self.api_id) {
            headers.insert("x-amzn-apigateway-api-id", v);
        }
        super::refuse_reserved_headers(
            &request.headers,
            apigate_core::model::IntegrationType::Http,
        )?;
        for (name, value) in &request.headers {
            // Mapped hop-by-hop names are not sent (recorded on AWS, as for the client's).
            if MAPPED_NOT_SENT.contains(&name.as_str()) {
                continue;
            }
            headers.insert(name.clone(), value.clone());
        }
        let empty = crate::body::is_empty(&request.body);
        if let Some(n) = request.content_length.filter(|_| !empty) {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(n));
        } else if empty && proxy.is_none() {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(0u64));
        }
        if !headers.contains_key(TRACE_ID) {
            if let Ok(v) = HeaderValue::from_str(&trace_id()) {
                headers.insert(TRACE_ID, v);
            }
        }

        if let Some(t) = request.trace.as_deref() {
            t.log(format!("Endpoint request URI: {} {url}", request.method));
            t.log(format!(
                "Endpoint request headers: {}",
                crate::trace::headers(&headers)
            ));
        }
        let mut outbound = http::Request::new(request.body);
        *outbound.method_mut() = request.method;
        *outbound.uri_mut() = url.parse().map_err(|e| {
            GatewayError::configuration(format!(
                "Execution failed due to configuration error: Illegal character in URL {url}: {e}"
            ))
        })?;
        *outbound.headers_mut() = headers;
        let received = self
            .client
            .send(outbound, insecure_tls, request.timeout)
            .await
            .map_err(|e| send_error(e, &url, request.timeout))?;
        Ok(received.into())
    }
}

/// The tracing header API Gateway adds to every backend request.
const TRACE_ID: &str = "x-amzn-trace-id";

/// An X-Ray trace id as API Gateway sends it: `Root=1-{epoch seconds, 8 hex}-{24 hex}`.
pub fn trace_id() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("Root=1-{secs:08x}-{}", random.get(..24).unwrap_or(&random))
}

/// Whether the client's `Connection` header names `name` (a hop-by-hop header of that
/// connection, RFC 9110 §7.6.1): such headers are not forwarded.
fn named_by_connection(headers: &HeaderMap, name: &str) -> bool {
    headers.get_all(CONNECTION).iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|token| token.trim().eq_ignore_ascii_case(name))
        })
    })
}

/// The client-facing headers of an `http_proxy` response (§10.4 response direction).
pub fn proxy_response_headers(backend: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in backend {
        let n = name.as_str();
        if DROPPED_RESPONSE_HEADERS.contains(&n) || n == "via" {
            continue;
        }
        if REMAPPED_RESPONSE_HEADERS.contains(&n) {
            if let Ok(remapped) = HeaderName::from_bytes(format!("x-amzn-remapped-{n}").as_bytes())
            {
                out.append(remapped, value.clone());
            }
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_headers_are_remapped_or_dropped() {
        let mut h = HeaderMap::new();
        h.insert("date", "Mon, 01 Jan 2024 00:00:00 GMT".parse().unwrap());
        h.insert("server", "backend/1".parse().unwrap());
        h.insert("www-authenticate", "Basic".parse().unwrap());
        h.insert("transfer-encoding", "chunked".parse().unwrap());
        h.insert("via", "1.1 x".parse().unwrap());
        h.insert("x-custom", "kept".parse().unwrap());
        h.insert("content-type", "text/plain".parse().unwrap());
        let out = proxy_response_headers(&h);
        assert_eq!(out["x-amzn-remapped-date"], "Mon, 01 Jan 2024 00:00:00 GMT");
        assert_eq!(out["x-amzn-remapped-server"], "backend/1");
        assert_eq!(out["x-amzn-remapped-www-authenticate"], "Basic");
        assert!(out.get("date").is_none() && out.get("server").is_none());
        assert!(out.get("transfer-encoding").is_none() && out.get("via").is_none());
        assert_eq!(out["x-custom"], "kept");
        assert_eq!(out["content-type"], "text/plain");
    }
}
