//! ListObjects (v1) and ListObjectsV2: prefix, delimiter roll-up, pagination and
//! `EncodingType=url`, with S3's semantics.

use std::io::ErrorKind;
use std::path::Path;

use s3s::dto::*;
use s3s::S3Result;

use super::object_file::{read_meta, ObjectMeta};
use super::{blocking, s3_errors, url_encoding, FsStore};

/// S3 never returns more than 1000 entries per page.
const MAX_KEYS_LIMIT: usize = 1000;

/// One listing request, after validation, in S3's terms.
#[derive(Debug, Clone, Copy)]
pub(super) struct Query<'a> {
    pub prefix: &'a str,
    /// `None` for a flat listing.
    pub delimiter: Option<&'a str>,
    /// Resume after this key or common prefix (marker, start-after, continuation token).
    pub after: Option<&'a str>,
    pub max_keys: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Entry {
    /// Index into the listed objects.
    Object(usize),
    CommonPrefix(String),
}

#[derive(Debug, PartialEq, Eq)]
pub(super) struct Page {
    pub entries: Vec<Entry>,
    pub truncated: bool,
    /// The last key or common prefix returned: where the next page starts.
    pub last: Option<String>,
}

/// Selects one page from `keys` (sorted by UTF-8 bytes, as S3 orders keys).
///
/// With a delimiter, keys that contain it after the prefix roll up into one common prefix
/// (up to and including the delimiter), which counts as one entry; a page resumed after
/// a common prefix skips every key inside it.
pub(super) fn paginate(keys: &[&str], query: Query<'_>) -> Page {
    let mut entries = Vec::new();
    let mut last: Option<String> = None;
    let mut truncated = false;
    let first = keys.partition_point(|k| *k < query.prefix);
    let first = match query.after {
        Some(after) => first.max(keys.partition_point(|k| *k <= after)),
        None => first,
    };
    for (index, key) in keys.iter().enumerate().skip(first) {
        let Some(rest) = key.strip_prefix(query.prefix) else {
            break;
        };
        let rolled_up = query.delimiter.and_then(|d| {
            rest.find(d)
                .and_then(|at| key.get(..query.prefix.len() + at + d.len()))
        });
        let entry_name = rolled_up.unwrap_or(key);
        if let Some(common) = rolled_up {
            let already_returned =
                last.as_deref() == Some(common) || query.after.is_some_and(|a| common <= a);
            if already_returned {
                continue;
            }
        }
        if entries.len() == query.max_keys {
            truncated = query.max_keys > 0;
            break;
        }
        entries.push(match rolled_up {
            Some(common) => Entry::CommonPrefix(common.to_owned()),
            None => Entry::Object(index),
        });
        last = Some(entry_name.to_owned());
    }
    Page {
        entries,
        truncated,
        last,
    }
}

/// One listed object.
struct Listed {
    key: String,
    meta: ObjectMeta,
}

/// A page resolved into S3 DTOs, keys already encoded if asked.
struct ResolvedPage {
    contents: Option<Vec<Object>>,
    common_prefixes: Option<Vec<CommonPrefix>>,
    count: usize,
    truncated: bool,
    last: Option<String>,
}

/// The [`ListParams`] of a ListObjects or ListObjectsV2 request (`$input`): s3s gives the
/// two distinct types with the same field names, hence a macro.
macro_rules! list_params {
    ($input:ident) => {
        ListParams::read(
            $input.encoding_type.as_ref(),
            $input.max_keys,
            $input.prefix.as_deref(),
            $input.delimiter.as_deref(),
        )
    };
}

impl FsStore {
    pub(super) async fn list_objects_v1_impl(
        &self,
        input: ListObjectsInput,
    ) -> S3Result<ListObjectsOutput> {
        let params = list_params!(input)?;
        let query = params.query(input.marker.as_deref().filter(|m| !m.is_empty()));
        let page = self.list_page(&input.bucket, query, params.encode).await?;
        let enc = |s: &str| listed_text(params.encode, s);
        // S3 sends NextMarker only with a delimiter; without one, clients resume from the
        // last key.
        let next_marker = (page.truncated && params.delimiter.is_some())
            .then(|| page.last.as_deref().map(enc))
            .flatten();
        Ok(ListObjectsOutput {
            name: Some(input.bucket),
            prefix: Some(enc(&params.prefix)),
            marker: Some(enc(input.marker.as_deref().unwrap_or(""))),
            max_keys: Some(to_i32(params.max_keys)),
            delimiter: params.delimiter.as_deref().map(enc),
            encoding_type: input.encoding_type,
            is_truncated: Some(page.truncated),
            next_marker,
            contents: page.contents,
            common_prefixes: page.common_prefixes,
            ..ListObjectsOutput::default()
        })
    }

    pub(super) async fn list_objects_v2_impl(
        &self,
        input: ListObjectsV2Input,
    ) -> S3Result<ListObjectsV2Output> {
        let params = list_params!(input)?;
        let resume = input
            .continuation_token
            .as_deref()
            .map(decode_token)
            .transpose()?;
        // A continuation token supersedes StartAfter (both point into the same order).
        let after = resume.or_else(|| input.start_after.clone().filter(|s| !s.is_empty()));
        let query = params.query(after.as_deref());
        let page = self.list_page(&input.bucket, query, params.encode).await?;
        let enc = |s: &str| listed_text(params.encode, s);
        let next_continuation_token = if page.truncated {
            page.last.as_deref().map(encode_token)
        } else {
            None
        };
        Ok(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(enc(&params.prefix)),
            max_keys: Some(to_i32(params.max_keys)),
            key_count: Some(to_i32(page.count)),
            continuation_token: input.continuation_token,
            next_continuation_token,
            start_after: input.start_after.as_deref().map(enc),
            delimiter: params.delimiter.as_deref().map(enc),
            encoding_type: input.encoding_type,
            is_truncated: Some(page.truncated),
            contents: page.contents,
            common_prefixes: page.common_prefixes,
            ..ListObjectsV2Output::default()
        })
    }

    async fn list_page(
        &self,
        bucket: &str,
        query: Query<'_>,
        encode: bool,
    ) -> S3Result<ResolvedPage> {
        let objects_dir = self.layout.objects_dir(bucket);
        let mut listed = blocking(move || read_all_objects(&objects_dir)).await?;
        listed.sort_by(|a, b| a.key.cmp(&b.key));
        let keys: Vec<&str> = listed.iter().map(|l| l.key.as_str()).collect();
        let page = paginate(&keys, query);
        let enc = |s: &str| listed_text(encode, s);

        let mut contents = Vec::new();
        let mut common_prefixes = Vec::new();
        for entry in &page.entries {
            match entry {
                Entry::Object(index) => {
                    if let Some(item) = listed.get(*index) {
                        contents.push(Object {
                            key: Some(enc(&item.key)),
                            size: Some(i64::try_from(item.meta.size).unwrap_or(i64::MAX)),
                            e_tag: Some(ETag::Strong(item.meta.etag.clone())),
                            last_modified: Some(Timestamp::from(item.meta.last_modified())),
                            storage_class: Some(ObjectStorageClass::from(
                                ObjectStorageClass::STANDARD.to_owned(),
                            )),
                            ..Object::default()
                        });
                    }
                }
                Entry::CommonPrefix(prefix) => common_prefixes.push(CommonPrefix {
                    prefix: Some(enc(prefix)),
                }),
            }
        }
        Ok(ResolvedPage {
            count: page.entries.len(),
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!common_prefixes.is_empty()).then_some(common_prefixes),
            truncated: page.truncated,
            last: page.last,
        })
    }
}

/// Reads every object's metadata in a bucket (blocking). Files that are not readable
/// objects are logged and skipped rather than failing the whole listing.
fn read_all_objects(objects_dir: &Path) -> S3Result<Vec<Listed>> {
    let entries = match std::fs::read_dir(objects_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(s3_errors::no_such_bucket()),
        Err(e) => return Err(s3_errors::internal("listing objects", &e)),
    };
    let mut listed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| s3_errors::internal("listing objects", &e))?;
        let path = entry.path();
        let meta = std::fs::File::open(&path).and_then(|f| read_meta(&f));
        match meta {
            Ok(meta) => listed.push(Listed {
                key: meta.key.clone(),
                meta,
            }),
            // Deleted between read_dir and open.
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(error = %e, path = %path.display(), "skipping an unreadable object file")
            }
        }
    }
    Ok(listed)
}

/// What both ListObjects versions read alike from their request.
struct ListParams {
    /// Keys, prefixes and delimiters are sent URL-encoded.
    encode: bool,
    max_keys: usize,
    prefix: String,
    /// The delimiter; an empty one is none.
    delimiter: Option<String>,
}

impl ListParams {
    /// Reads the parameters, refusing an unknown encoding type, then a negative page size.
    fn read(
        encoding_type: Option<&EncodingType>,
        max_keys: Option<i32>,
        prefix: Option<&str>,
        delimiter: Option<&str>,
    ) -> S3Result<ListParams> {
        Ok(ListParams {
            encode: wants_url_encoding(encoding_type)?,
            max_keys: self::max_keys(max_keys)?,
            prefix: prefix.unwrap_or_default().to_owned(),
            delimiter: delimiter.filter(|d| !d.is_empty()).map(str::to_owned),
        })
    }

    /// The listing query for the page after `after`.
    fn query<'a>(&'a self, after: Option<&'a str>) -> Query<'a> {
        Query {
            prefix: &self.prefix,
            delimiter: self.delimiter.as_deref(),
            after,
            max_keys: self.max_keys,
        }
    }
}

/// A key, prefix or delimiter as a listing sends it: URL-encoded when `encode` (the request
/// asked for `encoding-type=url`), as it is otherwise.
#[inline]
fn listed_text(encode: bool, s: &str) -> String {
    if encode {
        url_encoding::encode(s)
    } else {
        s.to_owned()
    }
}

fn wants_url_encoding(encoding_type: Option<&EncodingType>) -> S3Result<bool> {
    match encoding_type.map(EncodingType::as_str) {
        None => Ok(false),
        Some(t) if t.eq_ignore_ascii_case(EncodingType::URL) => Ok(true),
        Some(_) => Err(s3_errors::invalid_encoding_type()),
    }
}

fn max_keys(requested: Option<i32>) -> S3Result<usize> {
    match requested {
        None => Ok(MAX_KEYS_LIMIT),
        Some(n) => usize::try_from(n)
            .map(|n| n.min(MAX_KEYS_LIMIT))
            .map_err(|_| s3_errors::invalid_max_keys()),
    }
}

fn to_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Continuation tokens are opaque to clients, as in S3: the base64 of where to resume.
fn encode_token(last: &str) -> String {
    base64_simd::URL_SAFE_NO_PAD.encode_to_string(last.as_bytes())
}

fn decode_token(token: &str) -> S3Result<String> {
    base64_simd::URL_SAFE_NO_PAD
        .decode_to_vec(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(s3_errors::invalid_continuation_token)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: &[&str] = &["a.txt", "dir/a", "dir/b", "dir/sub/c", "dir2/x", "z"];

    fn q<'a>(
        prefix: &'a str,
        delimiter: Option<&'a str>,
        after: Option<&'a str>,
        max_keys: usize,
    ) -> Query<'a> {
        Query {
            prefix,
            delimiter,
            after,
            max_keys,
        }
    }

    fn names(page: &Page) -> Vec<String> {
        page.entries
            .iter()
            .map(|e| match e {
                Entry::Object(i) => KEYS[*i].to_owned(),
                Entry::CommonPrefix(p) => format!("{p}(prefix)"),
            })
            .collect()
    }

    #[test]
    fn flat_listing_returns_everything_in_order() {
        let page = paginate(KEYS, q("", None, None, 1000));
        assert_eq!(names(&page), KEYS.to_vec());
        assert!(!page.truncated);
    }

    #[test]
    fn prefix_limits_the_range() {
        let page = paginate(KEYS, q("dir/", None, None, 1000));
        assert_eq!(names(&page), ["dir/a", "dir/b", "dir/sub/c"]);
    }

    #[test]
    fn delimiter_rolls_up_common_prefixes() {
        let page = paginate(KEYS, q("", Some("/"), None, 1000));
        assert_eq!(
            names(&page),
            ["a.txt", "dir/(prefix)", "dir2/(prefix)", "z"]
        );
        let page = paginate(KEYS, q("dir/", Some("/"), None, 1000));
        assert_eq!(names(&page), ["dir/a", "dir/b", "dir/sub/(prefix)"]);
    }

    #[test]
    fn pages_resume_after_the_last_entry_without_repeats() {
        let mut after: Option<String> = None;
        let mut seen = Vec::new();
        loop {
            let page = paginate(KEYS, q("", Some("/"), after.as_deref(), 1));
            seen.extend(names(&page));
            if !page.truncated {
                break;
            }
            after = page.last.clone();
        }
        assert_eq!(seen, ["a.txt", "dir/(prefix)", "dir2/(prefix)", "z"]);
    }

    #[test]
    fn truncation_is_reported_only_when_more_remains() {
        let page = paginate(KEYS, q("", None, None, 6));
        assert!(!page.truncated);
        let page = paginate(KEYS, q("", None, None, 5));
        assert!(page.truncated);
        assert_eq!(page.last.as_deref(), Some("dir2/x"));
    }

    #[test]
    fn zero_max_keys_is_an_empty_untruncated_page() {
        let page = paginate(KEYS, q("", None, None, 0));
        assert!(page.entries.is_empty());
        assert!(!page.truncated);
    }

    #[test]
    fn tokens_round_trip_and_garbage_is_rejected() {
        assert_eq!(decode_token(&encode_token("dir/ü +%")).unwrap(), "dir/ü +%");
        assert!(decode_token("%%%").is_err());
    }
}
