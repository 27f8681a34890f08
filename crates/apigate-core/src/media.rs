//! Media types and media ranges (`image/*`, `*/*`), as binary media types and template keys use them.

/// A `type/subtype` pattern; `*` in either part is a wildcard. Stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRange {
    kind: String,
    subtype: String,
    source: String,
}

impl MediaRange {
    /// Parses `type/subtype` (parameters after `;` are ignored). Both parts must be RFC 7230
    /// tokens or `*`; `*/subtype` is refused.
    pub fn parse(s: &str) -> Result<MediaRange, String> {
        let essence = essence(s);
        let (kind, subtype) = essence
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not `type/subtype`"))?;
        if !is_token(kind) || !is_token(subtype) {
            return Err(format!(
                "`{s}` is not `type/subtype` (RFC 7230 tokens or `*`)"
            ));
        }
        if kind == "*" && subtype != "*" {
            return Err(format!(
                "`{s}`: a wildcard type needs a wildcard subtype (`*/*`)"
            ));
        }
        Ok(MediaRange {
            kind: kind.to_ascii_lowercase(),
            subtype: subtype.to_ascii_lowercase(),
            source: s.to_string(),
        })
    }

    /// Whether a concrete media type (a Content-Type or the first Accept entry) falls in range.
    pub fn matches(&self, media_type: &str) -> bool {
        let essence = essence(media_type);
        let Some((kind, subtype)) = essence.split_once('/') else {
            return false;
        };
        (self.kind == "*" || self.kind.eq_ignore_ascii_case(kind))
            && (self.subtype == "*" || self.subtype.eq_ignore_ascii_case(subtype))
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }
}

/// `text/plain; charset=utf-8` → `text/plain`.
pub fn essence(s: &str) -> &str {
    s.split(';').next().unwrap_or("").trim()
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_parameters() {
        let any = MediaRange::parse("*/*").unwrap();
        let img = MediaRange::parse("image/*").unwrap();
        let png = MediaRange::parse("image/png").unwrap();
        assert!(any.matches("application/json"));
        assert!(img.matches("image/webp"));
        assert!(!img.matches("text/plain"));
        assert!(png.matches("IMAGE/PNG; q=0.8"));
        assert!(!png.matches("garbage"));
        assert!(MediaRange::parse("image").is_err());
        assert!(MediaRange::parse("*/png").is_err());
        assert!(MediaRange::parse("ima ge/png").is_err());
        // AWS documents the encoded form `image~1png` for PATCH operations only; in OpenAPI it is plain.
        assert!(MediaRange::parse("image~1png").is_err());
    }
}
