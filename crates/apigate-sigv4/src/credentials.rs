//! The callers the gateway accepts: access keys with their secrets, session tokens and
//! identities, read from an AWS shared-credentials file.

use std::collections::HashMap;
use std::fmt;

use crate::ini::{parse_ini, IniSection};

/// The account of a shared-credentials profile that names none.
const DEFAULT_ACCOUNT_ID: &str = "000000000000";

/// One accepted caller key.
///
/// `Debug` redacts the secret and the session token.
#[derive(Clone)]
pub struct CallerKey {
    /// The access key id (`AKIA…`/`ASIA…`), the first element of the credential scope.
    pub access_key_id: String,
    /// The secret the signing key is derived from.
    pub secret_access_key: String,
    /// For temporary credentials: the token the request must carry in
    /// `X-Amz-Security-Token`.
    pub session_token: Option<String>,
    /// The caller's ARN, reported to the integration as the user ARN.
    pub arn: String,
    /// The caller's 12-digit account id.
    pub account_id: String,
}

impl fmt::Debug for CallerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallerKey")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("arn", &self.arn)
            .field("account_id", &self.account_id)
            .finish()
    }
}

/// The keys the gateway accepts, by access key id.
#[derive(Debug, Default, Clone)]
pub struct CallerKeys {
    by_access_key_id: HashMap<String, CallerKey>,
}

impl CallerKeys {
    /// Adds `key`, replacing any key with the same access key id.
    pub fn insert(&mut self, key: CallerKey) {
        self.by_access_key_id.insert(key.access_key_id.clone(), key);
    }

    /// Whether no key is accepted.
    pub fn is_empty(&self) -> bool {
        self.by_access_key_id.is_empty()
    }

    /// How many keys are accepted.
    pub fn len(&self) -> usize {
        self.by_access_key_id.len()
    }

    /// The key with this access key id, if accepted.
    pub fn get(&self, access_key_id: &str) -> Option<&CallerKey> {
        self.by_access_key_id.get(access_key_id)
    }

    /// All accepted keys, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &CallerKey> {
        self.by_access_key_id.values()
    }

    /// Parses an AWS shared-credentials file (INI: `[profile]` sections with
    /// `aws_access_key_id`, `aws_secret_access_key`, optional
    /// `aws_session_token`; `#`/`;` comments). Each profile becomes a caller
    /// with ARN `arn:aws:iam::{account}:user/{profile}`, where the account is
    /// the section's `aws_account_id` (or `account_id`) and otherwise
    /// `000000000000`. Errors name the line.
    ///
    /// Also accepted: `[profile name]` headers (the `~/.aws/config` spelling),
    /// CRLF line ends, a leading byte-order mark, case-insensitive setting
    /// names, and indented sub-settings under a setting with an empty value
    /// (ignored). Profiles holding neither key (e.g. only `region`) are
    /// skipped. When two profiles hold the same access key id the first one
    /// names the caller.
    ///
    /// # Errors
    ///
    /// `"line N: …"` for a line that is neither a header, a setting nor a
    /// comment, a setting outside any section, a profile with only one of the
    /// two keys, an empty key, an access key id that cannot appear in a
    /// credential scope, or an account id that is not 12 digits. Messages never
    /// quote the offending line, which may hold a secret.
    pub fn parse_shared_credentials(text: &str) -> Result<CallerKeys, String> {
        let sections = parse_ini(text)?;
        let mut keys = CallerKeys::default();
        for section in &sections {
            let Some(key) = section_to_key(section)? else {
                continue;
            };
            if keys.get(&key.access_key_id).is_none() {
                keys.insert(key);
            }
        }
        Ok(keys)
    }
}

fn section_to_key(section: &IniSection) -> Result<Option<CallerKey>, String> {
    let profile = &section.name;
    let id = section.value("aws_access_key_id");
    let secret = section.value("aws_secret_access_key");
    let ((id, id_line), (secret, secret_line)) = match (id, secret) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(format!(
                "line {}: profile [{profile}] has aws_access_key_id but no aws_secret_access_key",
                section.line
            ))
        }
        (None, Some(_)) => {
            return Err(format!(
                "line {}: profile [{profile}] has aws_secret_access_key but no aws_access_key_id",
                section.line
            ))
        }
        (Some(id), Some(secret)) => (id, secret),
    };
    if id.is_empty() {
        return Err(format!("line {id_line}: aws_access_key_id is empty"));
    }
    if id
        .chars()
        .any(|c| c == '/' || c == ',' || c == ';' || c == '=' || c.is_whitespace())
    {
        return Err(format!(
            "line {id_line}: aws_access_key_id contains a character that cannot appear in a SigV4 credential"
        ));
    }
    if secret.is_empty() {
        return Err(format!(
            "line {secret_line}: aws_secret_access_key is empty"
        ));
    }
    let account_id = match section
        .value("aws_account_id")
        .or_else(|| section.value("account_id"))
    {
        Some((account, line)) => {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("line {line}: account id must be 12 digits"));
            }
            account.to_owned()
        }
        None => DEFAULT_ACCOUNT_ID.to_owned(),
    };
    let session_token = section
        .value("aws_session_token")
        .map(|(token, _)| token)
        .filter(|token| !token.is_empty())
        .map(str::to_owned);
    Ok(Some(CallerKey {
        access_key_id: id.to_owned(),
        secret_access_key: secret.to_owned(),
        session_token,
        arn: format!("arn:aws:iam::{account_id}:user/{profile}"),
        account_id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::tests::{caller_key, keys_of, AKID, SECRET};

    #[test]
    fn parses_shared_credentials() {
        let text = "\u{feff}# AWS credentials\n; another comment\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key=secret/default+key\n\n[profile dev]\r\nAWS_ACCESS_KEY_ID = ASIADEV\r\naws_secret_access_key = devsecret\r\naws_session_token = tok==\r\naws_account_id = 111122223333\r\n[region-only]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 10\n  multipart_threshold = 64MB\n[ci] # the CI user\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = other\naccount_id = 444455556666\n[legacy]\n  aws_access_key_id = AKIDLEGACY\n  aws_secret_access_key = legacy\n  account_id = 555566667777\n";
        let keys = CallerKeys::parse_shared_credentials(text).unwrap();
        assert_eq!(keys.len(), 3);
        assert!(!keys.is_empty());
        let default = keys.get("AKIDDEFAULT").unwrap();
        assert_eq!(default.secret_access_key, "secret/default+key");
        assert_eq!(default.session_token, None);
        assert_eq!(default.account_id, "000000000000");
        assert_eq!(default.arn, "arn:aws:iam::000000000000:user/default");
        let dev = keys.get("ASIADEV").unwrap();
        assert_eq!(dev.secret_access_key, "devsecret");
        assert_eq!(dev.session_token.as_deref(), Some("tok=="));
        assert_eq!(dev.arn, "arn:aws:iam::111122223333:user/dev");
        let legacy = keys.get("AKIDLEGACY").unwrap();
        assert_eq!(legacy.arn, "arn:aws:iam::555566667777:user/legacy");
        assert_eq!(keys.iter().count(), 3);

        let empty = CallerKeys::parse_shared_credentials("").unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.len(), 0);
    }

    #[test]
    fn shared_credentials_errors_name_the_line() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        for (text, line) in [
            ("[default]\naws_access_key_id AKID\n".to_owned(), "line 2:"),
            ("aws_access_key_id = AKID\n".to_owned(), "line 1:"),
            ("# c\n[default\n".to_owned(), "line 2:"),
            ("[default] trailing\n".to_owned(), "line 1:"),
            ("[]\n".to_owned(), "line 1:"),
            ("[a]\n = x\n".to_owned(), "line 2:"),
            ("\n[a]\naws_access_key_id = AKID\n".to_owned(), "line 2:"),
            ("[a]\naws_secret_access_key = x\n".to_owned(), "line 1:"),
            (
                "[a]\naws_access_key_id = AKID\naws_secret_access_key = x\naws_account_id = 12\n"
                    .to_owned(),
                "line 4:",
            ),
            (
                "[a]\naws_access_key_id = AK/ID\naws_secret_access_key = x\n".to_owned(),
                "line 2:",
            ),
            (
                "[a]\naws_access_key_id =\naws_secret_access_key = x\n".to_owned(),
                "line 2:",
            ),
            (
                "[a]\naws_access_key_id = AKID\naws_secret_access_key =\n".to_owned(),
                "line 3:",
            ),
            (format!("[a]\n{secret}\n"), "line 2:"),
        ] {
            let error = CallerKeys::parse_shared_credentials(&text).unwrap_err();
            assert!(error.starts_with(line), "{text:?} → {error}");
            assert!(!error.contains(secret), "{error}");
        }
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let key = caller_key(AKID, SECRET, Some("SESSION-TOKEN-VALUE"));
        let keys = keys_of(vec![key.clone()]);
        for text in [format!("{key:?}"), format!("{keys:?}")] {
            assert!(text.contains(AKID), "{text}");
            assert!(!text.contains(SECRET), "{text}");
            assert!(!text.contains("SESSION-TOKEN-VALUE"), "{text}");
        }
    }

    #[test]
    fn caller_keys_insert_replaces() {
        let mut keys = CallerKeys::default();
        keys.insert(caller_key(AKID, "one", None));
        keys.insert(caller_key(AKID, "two", None));
        assert_eq!(keys.len(), 1);
        assert_eq!(keys.get(AKID).unwrap().secret_access_key, "two");
    }
}
