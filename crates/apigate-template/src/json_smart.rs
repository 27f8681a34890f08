//! A JSON reader with the permissive behaviour of json-smart (`MODE_PERMISSIVE`), which Jayway
//! JsonPath uses behind API Gateway's `$input.path`/`$input.json` and `$util.parseJson`:
//! single-quoted and unquoted strings and keys, useless commas ignored, text after the first
//! complete value ignored, and any text that is not JSON read as a string.

use crate::number::Num;
use crate::value::Value;

/// Why a payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// json-smart's description, with the char position.
    pub message: String,
}

/// Parses `text` permissively into Java values (`LinkedHashMap`, `JSONArray`, …).
pub fn parse(text: &str) -> Result<Value, JsonError> {
    let chars: Vec<char> = text.chars().collect();
    let mut r = Reader {
        chars,
        i: 0,
        depth: 0,
    };
    r.skip_ws();
    match r.peek() {
        None => Ok(Value::str("")),
        Some('{' | '[' | '"' | '\'') => r.value(&[]),
        _ => {
            // A bare top-level token: a keyword or number if that is all there is, else text.
            let rest: String = r.chars.get(r.i..).unwrap_or_default().iter().collect();
            Ok(bare_token(rest.trim_end()))
        }
    }
}

/// Maximum nesting of arrays/objects read.
const MAX_DEPTH: usize = 512;

struct Reader {
    chars: Vec<char>,
    i: usize,
    depth: usize,
}

fn bare_token(s: &str) -> Value {
    match s {
        "null" => Value::Null,
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => number(s).unwrap_or_else(|| Value::str(s)),
    }
}

/// Where the run of ASCII digits starting at `b[k]` ends; `None` when there is no digit
/// there (a number's integer part, fraction and exponent each need one).
#[inline]
fn digit_run(b: &[u8], mut k: usize) -> Option<usize> {
    let start = k;
    while b.get(k).is_some_and(u8::is_ascii_digit) {
        k += 1;
    }
    (k > start).then_some(k)
}

/// A JSON number in json-smart's types: Integer, Long, BigInteger, Double.
pub fn number(s: &str) -> Option<Value> {
    let b = s.as_bytes();
    let mut k = 0;
    if b.first() == Some(&b'-') {
        k += 1;
    }
    k = digit_run(b, k)?;
    let mut float = false;
    if b.get(k) == Some(&b'.') {
        float = true;
        k += 1;
        k = digit_run(b, k)?;
    }
    if matches!(b.get(k), Some(b'e' | b'E')) {
        float = true;
        k += 1;
        if matches!(b.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        k = digit_run(b, k)?;
    }
    if k != b.len() {
        return None;
    }
    if float {
        // json-smart reads floats of more than 18 chars as BigDecimal, printed as written.
        if s.len() > 18 {
            return Some(Value::Decimal(s.into()));
        }
        s.parse::<f64>().ok().map(|d| Value::Num(Num::Double(d)))
    } else {
        match s.parse::<i128>() {
            Ok(v) => Some(Value::Num(Num::from_i128(v))),
            Err(_) => Some(Value::Decimal(s.into())),
        }
    }
}

impl Reader {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_whitespace()) {
            self.i += 1;
        }
    }

    fn err(&self, what: &str) -> JsonError {
        match self.peek() {
            None => JsonError {
                message: format!("Unexpected End Of File position {}: {what}", self.i),
            },
            Some(c) => JsonError {
                message: format!("Unexpected character ({c}) at position {}.", self.i),
            },
        }
    }

    /// Reads a value; `stops` are the chars that end an unquoted value in this position.
    fn value(&mut self, stops: &[char]) -> Result<Value, JsonError> {
        self.skip_ws();
        match self.peek() {
            None => Err(self.err("EOF")),
            Some('{') => self.object(),
            Some('[') => self.array(),
            Some(q @ ('"' | '\'')) => {
                self.i += 1;
                Ok(Value::str(self.quoted(q)?))
            }
            Some(c) if stops.contains(&c) || c == ':' => Err(self.err("value")),
            Some(_) => {
                let s = self.i;
                while self.peek().is_some_and(|c| !stops.contains(&c)) {
                    self.i += 1;
                }
                let raw = self.text_since(s);
                Ok(bare_token(raw.trim()))
            }
        }
    }

    /// The text from `start` to the cursor (a bare token or key, before trimming).
    #[inline]
    fn text_since(&self, start: usize) -> String {
        self.chars
            .get(start..self.i)
            .unwrap_or_default()
            .iter()
            .collect()
    }

    fn quoted(&mut self, q: char) -> Result<String, JsonError> {
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("null"));
            };
            self.i += 1;
            if c == q {
                return Ok(out);
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some(e) = self.peek() else {
                return Err(self.err("null"));
            };
            self.i += 1;
            match e {
                '"' | '\'' | '\\' | '/' => out.push(e),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let hex: String = self
                        .chars
                        .get(self.i..self.i + 4)
                        .unwrap_or_default()
                        .iter()
                        .collect();
                    let unit = u16::from_str_radix(&hex, 16).map_err(|_| JsonError {
                        message: format!(
                            "Unexpected unicode escape sequence at position {}.",
                            self.i
                        ),
                    })?;
                    self.i += 4;
                    // Combine surrogate pairs written as two escapes.
                    if (0xD800..0xDC00).contains(&unit)
                        && self.chars.get(self.i) == Some(&'\\')
                        && self.chars.get(self.i + 1) == Some(&'u')
                    {
                        let hex2: String = self
                            .chars
                            .get(self.i + 2..self.i + 6)
                            .unwrap_or_default()
                            .iter()
                            .collect();
                        if let Ok(low) = u16::from_str_radix(&hex2, 16) {
                            if (0xDC00..0xE000).contains(&low) {
                                self.i += 6;
                                out.push_str(&String::from_utf16_lossy(&[unit, low]));
                                continue;
                            }
                        }
                    }
                    out.push_str(&String::from_utf16_lossy(&[unit]));
                }
                _ => {
                    return Err(JsonError {
                        message: format!(
                            "Unexpected unicode escape sequence \" at position {}.",
                            self.i - 1
                        ),
                    })
                }
            }
        }
    }

    fn enter(&mut self) -> Result<(), JsonError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(JsonError {
                message: "JSON nested too deeply".into(),
            });
        }
        Ok(())
    }

    /// After an array's or object's item: steps over the `,` that goes on to the next item
    /// (`Ok(false)`) or the `close` that ends the container (`Ok(true)`). Anything else is
    /// refused with [`Self::err`]`(what)`, the word json-smart names there (`EOF` in arrays,
    /// `null` in objects).
    #[inline]
    fn item_end(&mut self, close: char, what: &str) -> Result<bool, JsonError> {
        self.skip_ws();
        match self.peek() {
            Some(',') => {
                self.i += 1;
                Ok(false)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(true)
            }
            _ => Err(self.err(what)),
        }
    }

    fn array(&mut self) -> Result<Value, JsonError> {
        self.enter()?;
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err(self.err("EOF")),
                Some(']') => {
                    self.i += 1;
                    break;
                }
                Some(',') => self.i += 1,
                Some(_) => {
                    items.push(self.value(&[',', ']'])?);
                    if self.item_end(']', "EOF")? {
                        break;
                    }
                }
            }
        }
        self.depth -= 1;
        Ok(Value::json_list(items))
    }

    fn object(&mut self) -> Result<Value, JsonError> {
        self.enter()?;
        self.i += 1;
        // Entries in first-seen order, a later duplicate replacing the value (LinkedHashMap),
        // with an index so large objects are read in linear time.
        let mut entries: Vec<(Value, Value)> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        loop {
            self.skip_ws();
            let key = match self.peek() {
                None => return Err(self.err("null")),
                Some('}') => {
                    self.i += 1;
                    break;
                }
                Some(',') => {
                    self.i += 1;
                    continue;
                }
                Some(q @ ('"' | '\'')) => {
                    self.i += 1;
                    self.quoted(q)?
                }
                Some(_) => {
                    let s = self.i;
                    while self
                        .peek()
                        .is_some_and(|c| c != ':' && c != '}' && c != ',')
                    {
                        self.i += 1;
                    }
                    if self.peek().is_none() {
                        return Err(self.err("null"));
                    }
                    let raw = self.text_since(s);
                    raw.trim().to_string()
                }
            };
            self.skip_ws();
            if self.peek() != Some(':') {
                return Err(self.err("null"));
            }
            self.i += 1;
            let v = self.value(&[',', '}'])?;
            match index.get(&key) {
                Some(&at) => {
                    if let Some(slot) = entries.get_mut(at) {
                        slot.1 = v;
                    }
                }
                None => {
                    index.insert(key.clone(), entries.len());
                    entries.push((Value::str(key), v));
                }
            }
            if self.item_end('}', "null")? {
                break;
            }
        }
        self.depth -= 1;
        Ok(Value::map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::to_json;

    fn json(text: &str) -> String {
        to_json(&parse(text).unwrap(), false).unwrap()
    }

    #[test]
    fn permissive_reading() {
        assert_eq!(
            json(r#"{"a": [1, 2.5, "x/y", true, null]}"#),
            r#"{"a":[1,2.5,"x/y",true,null]}"#
        );
        assert_eq!(json("{'a': 'x', 'b': [1, 2,]}"), r#"{"a":"x","b":[1,2]}"#);
        assert_eq!(
            json("{a: 1, b: hello world}"),
            r#"{"a":1,"b":"hello world"}"#
        );
        assert_eq!(json("a=b&c=d"), r#""a=b&c=d""#);
        assert_eq!(json("null{"), r#""null{""#);
        assert_eq!(json(r#"{"a": 1} {"b": 2}"#), r#"{"a":1}"#);
        assert_eq!(json("   "), r#""""#);
        assert_eq!(json("12345678901"), "12345678901");
        // BigDecimal / BigInteger beyond 128 bits keep their text.
        assert_eq!(
            json(r#"{"x": 12345678901234567.89}"#),
            r#"{"x":12345678901234567.89}"#
        );
        assert_eq!(
            json("123456789012345678901234567890123456789012"),
            "123456789012345678901234567890123456789012"
        );
        assert_eq!(json("[0.1234567890123456]"), "[0.1234567890123456]");
        assert_eq!(json(r#""\u00e9\ud83d\ude00""#), "\"é😀\"");
    }

    #[test]
    fn duplicate_keys_keep_first_position_and_last_value() {
        assert_eq!(json(r#"{"a": 1, "b": 2, "a": 3}"#), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn large_objects_read_in_linear_time() {
        let body: String = format!(
            "{{{}}}",
            (0..100_000)
                .map(|i| format!("\"k{i}\": {i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let start = std::time::Instant::now();
        assert!(parse(&body).is_ok());
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn unreadable_payloads() {
        for bad in [
            "{a",
            "[a",
            r#"{"a":}"#,
            "[1, 2",
            r#"{"a": 1"#,
            r#"{"a": "\x"}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
