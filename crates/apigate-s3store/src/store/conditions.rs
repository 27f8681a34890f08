//! Conditional reads (`If-Match`, `If-None-Match`, `If-Modified-Since`,
//! `If-Unmodified-Since`), evaluated in the order RFC 9110 and S3 use.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use s3s::dto::{ETag, ETagCondition, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Proceed,
    /// 304: the client's copy is current.
    NotModified,
    /// 412: a precondition the client set does not hold.
    PreconditionFailed,
}

#[derive(Debug, Default)]
pub(crate) struct Preconditions<'a> {
    pub if_match: Option<&'a ETagCondition>,
    pub if_none_match: Option<&'a ETagCondition>,
    pub if_modified_since: Option<&'a Timestamp>,
    pub if_unmodified_since: Option<&'a Timestamp>,
}

impl Preconditions<'_> {
    /// `etag` is the object's hex MD5 without quotes.
    pub(crate) fn evaluate(&self, etag: &str, last_modified: SystemTime) -> Verdict {
        let current = ETag::Strong(etag.to_owned());
        // HTTP dates have one-second resolution: compare at that resolution.
        let modified = Timestamp::from(truncate_to_seconds(last_modified));

        // If-Match wins over If-Unmodified-Since.
        if let Some(condition) = self.if_match {
            if !matches(condition, &current, ETag::strong_cmp) {
                return Verdict::PreconditionFailed;
            }
        } else if self
            .if_unmodified_since
            .is_some_and(|since| modified > *since)
        {
            return Verdict::PreconditionFailed;
        }

        // If-None-Match wins over If-Modified-Since.
        if let Some(condition) = self.if_none_match {
            if matches(condition, &current, ETag::weak_cmp) {
                return Verdict::NotModified;
            }
        } else if self
            .if_modified_since
            .is_some_and(|since| modified <= *since)
        {
            return Verdict::NotModified;
        }
        Verdict::Proceed
    }
}

fn matches(condition: &ETagCondition, current: &ETag, cmp: fn(&ETag, &ETag) -> bool) -> bool {
    match condition {
        ETagCondition::Any => true,
        ETagCondition::ETag(wanted) => cmp(current, wanted),
    }
}

fn truncate_to_seconds(t: SystemTime) -> SystemTime {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn tag(s: &str) -> ETagCondition {
        ETagCondition::ETag(ETag::Strong(s.to_owned()))
    }

    #[test]
    fn no_conditions_proceed() {
        assert_eq!(
            Preconditions::default().evaluate("e", at(10)),
            Verdict::Proceed
        );
    }

    #[test]
    fn if_match_and_if_none_match() {
        let good = tag("e");
        let bad = tag("x");
        let any = ETagCondition::Any;
        let p = |m, n| Preconditions {
            if_match: m,
            if_none_match: n,
            ..Default::default()
        };
        assert_eq!(p(Some(&good), None).evaluate("e", at(1)), Verdict::Proceed);
        assert_eq!(
            p(Some(&bad), None).evaluate("e", at(1)),
            Verdict::PreconditionFailed
        );
        assert_eq!(p(Some(&any), None).evaluate("e", at(1)), Verdict::Proceed);
        assert_eq!(
            p(None, Some(&good)).evaluate("e", at(1)),
            Verdict::NotModified
        );
        assert_eq!(p(None, Some(&bad)).evaluate("e", at(1)), Verdict::Proceed);
    }

    #[test]
    fn dates_compare_at_second_resolution() {
        let since = Timestamp::from(at(100));
        let ims = Preconditions {
            if_modified_since: Some(&since),
            ..Default::default()
        };
        let modified_within_same_second = at(100) + Duration::from_millis(700);
        assert_eq!(
            ims.evaluate("e", modified_within_same_second),
            Verdict::NotModified
        );
        assert_eq!(ims.evaluate("e", at(101)), Verdict::Proceed);
        let ius = Preconditions {
            if_unmodified_since: Some(&since),
            ..Default::default()
        };
        assert_eq!(ius.evaluate("e", at(100)), Verdict::Proceed);
        assert_eq!(ius.evaluate("e", at(101)), Verdict::PreconditionFailed);
    }

    #[test]
    fn etag_conditions_take_precedence_over_dates() {
        let since = Timestamp::from(at(100));
        let good = tag("e");
        // If-Match holds, If-Unmodified-Since would fail: S3 answers 200.
        let p = Preconditions {
            if_match: Some(&good),
            if_unmodified_since: Some(&since),
            ..Default::default()
        };
        assert_eq!(p.evaluate("e", at(200)), Verdict::Proceed);
        // If-None-Match does not hold (tag differs), If-Modified-Since would say 304: 200.
        let other = tag("x");
        let p = Preconditions {
            if_none_match: Some(&other),
            if_modified_since: Some(&since),
            ..Default::default()
        };
        assert_eq!(p.evaluate("e", at(50)), Verdict::Proceed);
    }
}
