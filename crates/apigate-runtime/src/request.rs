//! The method request as mapping expressions see it: path parameters (decoded after routing),
//! query parameters (in order, decoded, repeated names kept) and headers (case-insensitive).
//!
//! Every value is decoded without loss, so that distinct raw values stay distinct wherever
//! they are mapped (an S3 key, a backend query string): a query string with a malformed escape
//! or percent-encoded bytes that are not UTF-8, or a header value that is not UTF-8, makes the
//! request a 400 instead of decoding to U+FFFD.

use crate::error::GatewayError;
use apigate_core::path_safety;
use apigate_core::HttpMethod;
use http::HeaderMap;
use std::borrow::Cow;

/// A header's value as text (lossy: the lifecycle reads `Accept`, `Content-Type` and the like
/// before a request is known to be valid).
pub fn header_text(headers: &HeaderMap, name: impl http::header::AsHeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

#[derive(Debug)]
pub struct MethodRequest<'a> {
    pub verb: HttpMethod,
    /// Path parameters by name, percent-decoded.
    pub path_params: Vec<(&'a str, String)>,
    /// Query parameters in request order, percent-decoded (`+` stays `+`, see PARITY.md).
    pub query: Vec<(String, String)>,
    pub headers: &'a HeaderMap,
    /// How header names are shown to templates (see [`NameCase`]).
    pub name_case: NameCase<'a>,
}

/// The spelling of header names templates see (`$input.params()`): API Gateway shows them as
/// the client sent them. hyper reports them lower-cased, so HTTP/1 requests carry the sent
/// spelling from the server (`apigate_http_server::HeaderSpelling`); HTTP/2 names are sent
/// lower-case; when neither is known (a connection whose framing the server stopped
/// following, an in-process caller) names are Title-Cased, the case clients almost always send.
#[derive(Debug, Clone, Copy, Default)]
pub enum NameCase<'a> {
    AsSent(&'a apigate_http_server::HeaderSpelling),
    Lower,
    #[default]
    Title,
}

impl NameCase<'_> {
    /// The case of a request's names from its version and extensions.
    pub fn of(parts: &http::request::Parts) -> NameCase<'_> {
        if parts.version == http::Version::HTTP_2 {
            return NameCase::Lower;
        }
        parts
            .extensions
            .get::<apigate_http_server::HeaderSpelling>()
            .map_or(NameCase::Title, NameCase::AsSent)
    }

    /// `name` (lower case, as hyper reports it) as templates see it.
    pub fn show(self, name: &str) -> String {
        match self {
            NameCase::AsSent(s) => s.of(name).map_or_else(|| title_case(name), str::to_string),
            NameCase::Lower => name.to_string(),
            NameCase::Title => title_case(name),
        }
    }
}

/// `content-type` → `Content-Type`.
fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if upper {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        upper = c == '-';
    }
    out
}

impl<'a> MethodRequest<'a> {
    /// Decodes the query string and checks the header values; either failing is a 400.
    pub fn new(
        verb: HttpMethod,
        path_params: Vec<(&'a str, String)>,
        raw_query: Option<&str>,
        headers: &'a HeaderMap,
    ) -> Result<MethodRequest<'a>, GatewayError> {
        let query = match raw_query {
            Some(raw) => parse_query(raw)
                .map_err(|e| GatewayError::bad_request(format!("query string: {e}")))?,
            None => Vec::new(),
        };
        if let Some((name, _)) = headers
            .iter()
            .find(|(_, v)| std::str::from_utf8(v.as_bytes()).is_err())
        {
            return Err(GatewayError::bad_request(format!(
                "header {name}: a value that is not UTF-8"
            )));
        }
        Ok(MethodRequest {
            verb,
            path_params,
            query,
            headers,
            name_case: NameCase::Title,
        })
    }

    pub fn path(&self, name: &str) -> Option<&str> {
        self.path_params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The single-value view keeps the last value of a repeated name (as AWS does).
    pub fn query_last(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn query_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.query
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The single-value view of a header: its last value. (Values were checked to be UTF-8
    /// in [`MethodRequest::new`], so the conversion loses nothing.)
    pub fn header_last(&self, name: &str) -> Option<Cow<'_, str>> {
        self.headers
            .get_all(name)
            .iter()
            .next_back()
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
    }

    pub fn header_all<'s>(&'s self, name: &str) -> impl Iterator<Item = Cow<'s, str>> + 's {
        self.headers
            .get_all(name)
            .into_iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
    }
}

/// Splits `a=1&b&c=%20` into decoded pairs; a name without `=` has an empty value. Decoding is
/// strict ([`path_safety::decode`]): `%zz` or `%FF` anywhere refuses the whole query string.
pub fn parse_query(raw: &str) -> Result<Vec<(String, String)>, path_safety::PathError> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((
                path_safety::decode(name)?.into_owned(),
                path_safety::decode(value)?.into_owned(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_in_title_case() {
        assert_eq!(title_case("content-type"), "Content-Type");
        assert_eq!(title_case("x-amz-date"), "X-Amz-Date");
        assert_eq!(title_case("origin"), "Origin");
    }

    #[test]
    fn query_views() {
        let headers = HeaderMap::new();
        let req = MethodRequest::new(
            HttpMethod::Get,
            vec![],
            Some("a=1&b&a=2&c=x%20y+z&&d=%E2%82%AC"),
            &headers,
        )
        .unwrap();
        assert_eq!(req.query_last("a"), Some("2"));
        assert_eq!(req.query_all("a").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(req.query_last("b"), Some(""));
        assert_eq!(req.query_last("c"), Some("x y+z"));
        assert_eq!(req.query_last("d"), Some("€"));
        assert_eq!(req.query_last("A"), None);
    }

    #[test]
    fn headers_are_case_insensitive() {
        let mut headers = HeaderMap::new();
        headers.append("content-type", "text/plain".parse().unwrap());
        headers.append("x-multi", "1".parse().unwrap());
        headers.append("x-multi", "2".parse().unwrap());
        let req = MethodRequest::new(HttpMethod::Get, vec![], None, &headers).unwrap();
        assert_eq!(
            req.header_last("Content-Type").as_deref(),
            Some("text/plain")
        );
        assert_eq!(req.header_last("X-Multi").as_deref(), Some("2"));
        assert_eq!(
            req.header_all("x-multi").collect::<Vec<_>>().join(","),
            "1,2"
        );
    }

    #[test]
    fn undecodable_queries_and_headers_are_refused() {
        let headers = HeaderMap::new();
        for q in ["a=%FF", "a=%80%81", "a=%zz", "%FE=1", "ok=1&b=%"] {
            let r = MethodRequest::new(HttpMethod::Get, vec![], Some(q), &headers);
            assert_eq!(r.unwrap_err().message, "Bad Request", "{q}");
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-latin1",
            http::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        );
        let r = MethodRequest::new(HttpMethod::Get, vec![], None, &headers);
        assert_eq!(r.unwrap_err().kind.default_status(), 400);
    }
}
