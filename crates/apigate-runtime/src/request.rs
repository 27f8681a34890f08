//! The method request as mapping expressions see it: path parameters (decoded after routing),
//! query parameters (in order, decoded, repeated names kept) and headers (case-insensitive).

use apigate_core::HttpMethod;
use http::HeaderMap;
use percent_encoding::percent_decode_str;
use std::borrow::Cow;

#[derive(Debug)]
pub struct MethodRequest<'a> {
    pub verb: HttpMethod,
    /// Path parameters by name, percent-decoded.
    pub path_params: Vec<(&'a str, String)>,
    /// Query parameters in request order, percent-decoded (`+` stays `+`, see PARITY.md).
    pub query: Vec<(String, String)>,
    pub headers: &'a HeaderMap,
}

impl<'a> MethodRequest<'a> {
    pub fn new(
        verb: HttpMethod,
        path_params: Vec<(&'a str, String)>,
        raw_query: Option<&str>,
        headers: &'a HeaderMap,
    ) -> MethodRequest<'a> {
        MethodRequest {
            verb,
            path_params,
            query: raw_query.map(parse_query).unwrap_or_default(),
            headers,
        }
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

    /// The single-value view of a header: its last value.
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

/// Splits `a=1&b&c=%20` into decoded pairs; a name without `=` has an empty value.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_views() {
        let headers = HeaderMap::new();
        let req = MethodRequest::new(
            HttpMethod::Get,
            vec![],
            Some("a=1&b&a=2&c=x%20y+z&&d=%E2%82%AC"),
            &headers,
        );
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
        let req = MethodRequest::new(HttpMethod::Get, vec![], None, &headers);
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
}
