//! Fills in the `<Message>` S3 always sends, for the errors s3s itself raises without one
//! (signature and request-parsing failures), so every error body has S3's
//! `<Error><Code/><Message/></Error>` shape.

use bytes::Bytes;

/// S3's wording for errors s3s reports with a code only.
fn standard_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "AccessDenied" => "Access Denied",
        "SignatureDoesNotMatch" => {
            "The request signature we calculated does not match the signature you provided. Check your key and signing method."
        }
        "InvalidAccessKeyId" => "The AWS Access Key Id you provided does not exist in our records.",
        "InvalidBucketName" => "The specified bucket is not valid.",
        "InvalidURI" => "Couldn't parse the specified URI.",
        "KeyTooLongError" => "Your key is too long",
        "MethodNotAllowed" => "The specified method is not allowed against this resource.",
        "MissingContentLength" => "You must provide the Content-Length HTTP header.",
        "MalformedXML" => {
            "The XML you provided was not well-formed or did not validate against our published schema"
        }
        "RequestTimeTooSkewed" => "The difference between the request time and the current time is too large.",
        "NotImplemented" => "A header you provided implies functionality that is not implemented",
        "InvalidRequest" => "Invalid Request",
        "InvalidArgument" => "Invalid Argument",
        "InvalidRange" => "The requested range is not satisfiable",
        "IncompleteBody" => {
            "You did not provide the number of bytes specified by the Content-Length HTTP header"
        }
        "InternalError" => "We encountered an internal error. Please try again.",
        _ => return None,
    })
}

/// Returns the error document with a `<Message>` added after `<Code>`, or `None` when it
/// already has one (or is not an S3 error document).
pub(crate) fn with_message(body: &[u8]) -> Option<Bytes> {
    let text = std::str::from_utf8(body).ok()?;
    if text.contains("<Message>") {
        return None;
    }
    let code_start = text.find("<Code>")? + "<Code>".len();
    let code_len = text.get(code_start..)?.find("</Code>")?;
    let code = text.get(code_start..code_start + code_len)?;
    let message = standard_message(code)?;
    let insert_at = code_start + code_len + "</Code>".len();
    let mut out = String::with_capacity(text.len() + message.len() + 19);
    out.push_str(text.get(..insert_at)?);
    out.push_str("<Message>");
    out.push_str(message);
    out.push_str("</Message>");
    out.push_str(text.get(insert_at..)?);
    Some(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_the_message_after_the_code() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidBucketName</Code></Error>"#;
        let fixed = with_message(body).unwrap();
        assert_eq!(
            std::str::from_utf8(&fixed).unwrap(),
            r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidBucketName</Code><Message>The specified bucket is not valid.</Message></Error>"#
        );
    }

    #[test]
    fn leaves_documents_with_a_message_or_unknown_codes_alone() {
        assert!(
            with_message(b"<Error><Code>NoSuchKey</Code><Message>m</Message></Error>").is_none()
        );
        assert!(with_message(b"<Error><Code>SomethingElse</Code></Error>").is_none());
        assert!(with_message(b"not xml").is_none());
    }
}
