//! Method calls and properties: Java methods on strings, numbers, booleans, iterators and
//! the `$foreach` scope, and API Gateway's `$input` and `$util` objects.

use std::rc::Rc;

use super::{method_error, Evaluator, R};
use crate::number::{compare, Num};
use crate::value::{java_equals, to_json, ForeachScope, Value};
use crate::{json_smart, jsonpath, Limit, RenderError};

impl Evaluator<'_, '_> {
    pub(super) fn property(&mut self, obj: &Value, name: &str) -> R<Value> {
        Ok(match obj {
            Value::Map(m) => m.borrow().get_str(name).cloned().unwrap_or(Value::Null),
            Value::Entry(e) => match name {
                "key" => e.0.clone(),
                "value" => e.1.clone(),
                _ => Value::Null,
            },
            Value::Str(s) => match name {
                "empty" => Value::Bool(s.is_empty()),
                "bytes" => Value::Null,
                _ => Value::Null,
            },
            Value::List(l) => match name {
                "empty" => Value::Bool(l.borrow().items.is_empty()),
                _ => Value::Null,
            },
            Value::Foreach(s) => foreach_property(s, name),
            Value::Input => match name {
                "body" => {
                    // A copy of the whole body: string work.
                    self.work(self.body().len());
                    Value::str(self.body())
                }
                _ => Value::Null,
            },
            _ => Value::Null,
        })
    }

    pub(super) fn body(&self) -> &str {
        if self.input.body.is_empty() {
            "{}"
        } else {
            self.input.body
        }
    }

    fn regex(&mut self, pattern: &str, whole: bool) -> R<Rc<regex::Regex>> {
        let key = (pattern.to_string(), whole);
        if let Some(r) = self.regex_cache.get(&key) {
            return Ok(Rc::clone(r));
        }
        let compiled = if whole {
            crate::java_string::compile_whole(pattern)
        } else {
            crate::java_string::compile(pattern)
        }
        .map_err(|e| method_error(e.0))?;
        let rc = Rc::new(compiled);
        if self.regex_cache.len() < 256 {
            self.regex_cache.insert(key, Rc::clone(&rc));
        }
        Ok(rc)
    }

    pub(super) fn call(&mut self, obj: &Value, name: &str, args: Vec<Value>) -> R<Value> {
        if matches!(obj, Value::List(_) | Value::Map(_))
            && matches!(
                name,
                "add" | "addAll" | "put" | "putAll" | "putIfAbsent" | "set"
            )
        {
            self.track(obj);
        }
        if name == "toString"
            && args.is_empty()
            && matches!(obj, Value::List(_) | Value::Map(_) | Value::Entry(_))
        {
            return Ok(Value::str(self.stringify(obj)?));
        }
        let v = self.call_inner(obj, name, args)?;
        self.check_size(&v)?;
        // String work (the receiver read, the result built) brings the next interrupt check
        // closer.
        let mut work = 0;
        for x in [obj, &v] {
            if let Value::Str(s) = x {
                work += s.len();
            }
        }
        self.work(work);
        if let Value::List(l) = obj {
            let len = l.borrow().items.len();
            if u64::try_from(len).unwrap_or(u64::MAX) > self.limits.max_steps {
                return Err(RenderError::LimitExceeded(Limit::Steps));
            }
        }
        Ok(v)
    }

    fn call_inner(&mut self, obj: &Value, name: &str, args: Vec<Value>) -> R<Value> {
        match obj {
            Value::Str(s) => self.string_method(s, name, &args),
            Value::Map(m) => Ok(crate::collections::map_method(m, name, args)),
            Value::List(l) => crate::collections::list_method(l, name, args),
            Value::Entry(e) => Ok(match (name, args.len()) {
                ("getKey", 0) => e.0.clone(),
                ("getValue", 0) => e.1.clone(),
                ("toString", 0) => Value::str(obj.to_java_string()),
                _ => Value::Null,
            }),
            Value::Num(n) => Ok(number_method(*n, name, &args)),
            Value::Decimal(d) => Ok(match (name, args.as_slice()) {
                ("toString" | "toPlainString", []) => Value::Str(Rc::clone(d)),
                _ => obj
                    .as_num()
                    .map_or(Value::Null, |n| number_method(n, name, &args)),
            }),
            Value::Bool(b) => Ok(match (name, args.first()) {
                ("toString", None) => Value::str(obj.to_java_string()),
                ("booleanValue", None) => Value::Bool(*b),
                ("equals", Some(o)) => Value::Bool(java_equals(obj, o)),
                _ => Value::Null,
            }),
            Value::Foreach(s) => Ok(match name {
                "hasNext" => Value::Bool(s.has_next.get()),
                "getIndex" => foreach_property(s, "index"),
                "getCount" => foreach_property(s, "count"),
                "getHasNext" => foreach_property(s, "hasNext"),
                "isFirst" => foreach_property(s, "first"),
                "isLast" => foreach_property(s, "last"),
                "getParent" => foreach_property(s, "parent"),
                "getTopmost" => foreach_property(s, "topmost"),
                _ => Value::Null,
            }),
            Value::Block(b) => {
                if name == "toString" && args.is_empty() {
                    Ok(self.render_block(b.id)?.map_or(Value::Null, Value::str))
                } else {
                    Ok(Value::Null)
                }
            }
            Value::Iterator(it) => Ok(match name {
                "hasNext" => Value::Bool(it.next.get() < it.items.len()),
                "next" => {
                    let k = it.next.get();
                    let v = it
                        .items
                        .get(k)
                        .cloned()
                        .ok_or_else(|| method_error("java.util.NoSuchElementException"))?;
                    it.next.set(k + 1);
                    v
                }
                _ => Value::Null,
            }),
            Value::Input => self.input_method(name, &args),
            Value::Util => self.util_method(name, &args),
            Value::Null => Ok(Value::Null),
        }
    }

    fn input_method(&mut self, name: &str, args: &[Value]) -> R<Value> {
        match (name, args) {
            ("getBody", []) => Ok(Value::str(self.body())),
            ("params", []) => Ok(self.params.clone()),
            ("params", [Value::Str(n)]) => {
                for loc in [self.input.path, self.input.querystring, self.input.header] {
                    if let Some((_, v)) = loc.iter().rev().find(|(k, _)| k.as_str() == &**n) {
                        return Ok(Value::str(v.as_str()));
                    }
                }
                Ok(Value::str(""))
            }
            ("params", [Value::Null]) => Ok(Value::str("")),
            ("json" | "path", [arg]) => {
                let Value::Str(p) = arg else {
                    return Ok(Value::Null);
                };
                let compiled = self.compiled_path.take();
                let doc = self.document()?;
                if doc.is_null() {
                    return Err(RenderError::InvalidJson {
                        message: "root can not be null".into(),
                    });
                }
                let found = match compiled {
                    Some(path) => path.evaluate(&doc),
                    None => jsonpath::evaluate(&doc, p),
                }
                .map_err(|e| RenderError::InvalidJsonPath {
                    path: p.to_string(),
                    message: e.message,
                })?;
                let found = found.unwrap_or(Value::Null);
                self.work(self.body().len());
                if name == "json" {
                    Ok(Value::str(to_json(&found, false)?))
                } else {
                    // The payload is parsed once per render and what is handed out is live:
                    // a change made through it shows in later `$input.path`/`$input.json`
                    // calls, as in API Gateway (issue 13).
                    Ok(found)
                }
            }
            ("toString", []) => Ok(Value::str("")),
            _ => Ok(Value::Null),
        }
    }

    fn util_method(&mut self, name: &str, args: &[Value]) -> R<Value> {
        use crate::aws_objects as u;
        let [arg] = args else {
            return Ok(Value::Null);
        };
        if arg.is_null() {
            return Ok(Value::Null);
        }
        let s = self.stringify(arg)?;
        Ok(match name {
            "escapeJavaScript" => Value::str(u::escape_javascript(&s)),
            "urlEncode" => Value::str(u::url_encode(&s)),
            "urlDecode" => Value::str(u::url_decode(&s).map_err(|e| method_error(e.0))?),
            "base64Encode" => Value::str(u::base64_encode(&s)),
            "base64Decode" => Value::str(u::base64_decode(&s).map_err(|e| method_error(e.0))?),
            "parseJson" => json_smart::parse(&s)
                .map_err(|e| RenderError::InvalidJson { message: e.message })?,
            _ => Value::Null,
        })
    }

    fn string_method(&mut self, s: &Rc<str>, name: &str, args: &[Value]) -> R<Value> {
        use crate::java_string as js;
        let jerr = |e: js::JavaException| method_error(e.0);
        let int = |v: &Value| match v {
            Value::Num(n) if n.as_i128().is_some() => Some(i64::from(n.as_i32())),
            _ => None,
        };
        let text = |v: &Value| match v {
            Value::Str(x) => Some(Rc::clone(x)),
            _ => None,
        };
        let v = match (name, args) {
            ("length", []) => Value::int(i128::try_from(js::length(s)).unwrap_or(0)),
            ("isEmpty", []) => Value::Bool(s.is_empty()),
            ("toString" | "intern", []) => Value::Str(Rc::clone(s)),
            ("toUpperCase", []) => Value::str(s.to_uppercase()),
            ("toLowerCase", []) => Value::str(s.to_lowercase()),
            ("trim", []) => Value::str(js::trim(s)),
            ("hashCode", []) => {
                let h = s
                    .encode_utf16()
                    .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
                Value::Num(Num::Int(h))
            }
            ("codePointAt", [a]) => {
                match int(a) {
                    Some(a) => {
                        let u = js::utf16(s);
                        let idx = usize::try_from(a).ok().filter(|&k| k < u.len()).ok_or_else(|| {
                        method_error(format!("java.lang.StringIndexOutOfBoundsException: index {a}, length {}", u.len()))
                    })?;
                        let cp =
                            char::decode_utf16(u.get(idx..).unwrap_or_default().iter().copied())
                                .next()
                                .map_or(0, |r| {
                                    r.map_or_else(|e| u32::from(e.unpaired_surrogate()), u32::from)
                                });
                        Value::int(i128::from(cp))
                    }
                    None => Value::Null,
                }
            }
            ("codePointCount", [a, b]) => match (int(a), int(b)) {
                (Some(a), Some(b)) => {
                    let part = js::substring(s, a, Some(b)).map_err(jerr)?;
                    Value::int(i128::try_from(part.chars().count()).unwrap_or(0))
                }
                _ => Value::Null,
            },
            ("getBytes", []) | ("getBytes", [Value::Str(_)]) => Value::list(
                s.bytes()
                    .map(|b| Value::int(i128::from(i8::from_ne_bytes([b]))))
                    .collect(),
            ),
            ("toCharArray", []) => Value::list(
                s.encode_utf16()
                    .map(|c| Value::str(js::from_utf16(&[c])))
                    .collect(),
            ),
            ("equals", [o]) => Value::Bool(matches!(o, Value::Str(x) if x == s)),
            ("contentEquals", [o]) => Value::Bool(self.stringify(o)? == **s),
            ("equalsIgnoreCase", [o]) => {
                Value::Bool(text(o).is_some_and(|x| js::equals_ignore_case(s, &x)))
            }
            ("compareTo", [Value::Str(o)]) => Value::int(i128::from(js::compare_to(s, o))),
            ("compareToIgnoreCase", [Value::Str(o)]) => Value::int(i128::from(js::compare_to(
                &s.to_lowercase(),
                &o.to_lowercase(),
            ))),
            ("contains", [Value::Str(o)]) => Value::Bool(s.contains(&**o)),
            ("startsWith", [Value::Str(o)]) => Value::Bool(s.starts_with(&**o)),
            ("startsWith", [Value::Str(o), off]) => match int(off) {
                Some(k) => Value::Bool(
                    k >= 0 && js::substring(s, k, None).is_ok_and(|rest| rest.starts_with(&**o)),
                ),
                None => Value::Null,
            },
            ("endsWith", [Value::Str(o)]) => Value::Bool(s.ends_with(&**o)),
            ("indexOf", [Value::Str(o)]) => Value::int(i128::from(js::index_of(s, o, 0))),
            ("indexOf", [Value::Str(o), from]) => match int(from) {
                Some(f) => Value::int(i128::from(js::index_of(s, o, f))),
                None => Value::Null,
            },
            // Java's overloads taking a code point (`indexOf(int ch[, int from])`).
            ("indexOf", [Value::Num(c)]) if c.as_i128().is_some() => Value::int(i128::from(
                js::code_point_string(i64::from(c.as_i32())).map_or(-1, |o| js::index_of(s, &o, 0)),
            )),
            ("indexOf", [Value::Num(c), from]) if c.as_i128().is_some() => match int(from) {
                Some(f) => Value::int(i128::from(
                    js::code_point_string(i64::from(c.as_i32()))
                        .map_or(-1, |o| js::index_of(s, &o, f)),
                )),
                None => Value::Null,
            },
            ("lastIndexOf", [Value::Num(c)]) if c.as_i128().is_some() => Value::int(i128::from(
                js::code_point_string(i64::from(c.as_i32()))
                    .map_or(-1, |o| js::last_index_of(s, &o, None)),
            )),
            ("lastIndexOf", [Value::Num(c), from]) if c.as_i128().is_some() => match int(from) {
                Some(f) => Value::int(i128::from(
                    js::code_point_string(i64::from(c.as_i32()))
                        .map_or(-1, |o| js::last_index_of(s, &o, Some(f))),
                )),
                None => Value::Null,
            },
            // The static `String.valueOf(Object)`, called through an instance.
            ("valueOf", [x]) => Value::str(if x.is_null() {
                "null".to_string()
            } else {
                self.stringify(x)?
            }),
            ("lastIndexOf", [Value::Str(o)]) => {
                Value::int(i128::from(js::last_index_of(s, o, None)))
            }
            ("lastIndexOf", [Value::Str(o), from]) => match int(from) {
                Some(f) => Value::int(i128::from(js::last_index_of(s, o, Some(f)))),
                None => Value::Null,
            },
            ("substring", [a]) => match int(a) {
                Some(a) => Value::str(js::substring(s, a, None).map_err(jerr)?),
                None => Value::Null,
            },
            ("substring" | "subSequence", [a, b]) => match (int(a), int(b)) {
                (Some(a), Some(b)) => Value::str(js::substring(s, a, Some(b)).map_err(jerr)?),
                _ => Value::Null,
            },
            ("charAt", [a]) => match int(a) {
                Some(a) => Value::str(js::char_at(s, a).map_err(jerr)?),
                None => Value::Null,
            },
            ("concat", [Value::Str(o)]) => Value::str(format!("{s}{o}")),
            ("replace", [Value::Str(a), Value::Str(b)]) => Value::str(js::replace_literal(s, a, b)),
            ("replaceAll" | "replaceFirst", [Value::Str(p), Value::Str(r)]) => {
                let re = self.regex(p, false)?;
                Value::str(js::replace_regex(s, &re, r, name == "replaceAll").map_err(jerr)?)
            }
            ("matches", [Value::Str(p)]) => {
                let re = self.regex(p, true)?;
                Value::Bool(re.is_match(s))
            }
            ("split", [Value::Str(p)]) => {
                let re = self.regex(p, false)?;
                Value::list(js::split(s, &re, 0).into_iter().map(Value::str).collect())
            }
            ("split", [Value::Str(p), l]) => match int(l) {
                Some(l) => {
                    let re = self.regex(p, false)?;
                    Value::list(js::split(s, &re, l).into_iter().map(Value::str).collect())
                }
                None => Value::Null,
            },
            (
                "contains" | "startsWith" | "endsWith" | "indexOf" | "lastIndexOf" | "concat"
                | "replace" | "replaceAll" | "replaceFirst" | "matches" | "split" | "compareTo",
                [Value::Null, ..],
            ) => return Err(method_error("java.lang.NullPointerException")),
            _ => Value::Null,
        };
        Ok(v)
    }
}

fn foreach_property(s: &Rc<ForeachScope>, name: &str) -> Value {
    match name {
        "index" => Value::int(i128::try_from(s.index.get()).unwrap_or(0)),
        "count" => Value::int(i128::try_from(s.index.get() + 1).unwrap_or(0)),
        "hasNext" => Value::Bool(s.has_next.get()),
        "first" => Value::Bool(s.index.get() == 0),
        "last" => Value::Bool(!s.has_next.get()),
        "parent" => s.parent.clone().map_or(Value::Null, Value::Foreach),
        "topmost" => Value::Foreach(s.topmost()),
        _ => Value::Null,
    }
}

fn number_method(n: Num, name: &str, args: &[Value]) -> Value {
    match (name, args) {
        ("toString", []) => Value::str(n.to_java_string()),
        ("intValue", []) => Value::Num(Num::Int(n.as_i32())),
        ("longValue", []) => Value::Num(Num::Long(
            i64::try_from(n.as_i128().unwrap_or(n.as_f64() as i128)).unwrap_or(0),
        )),
        ("doubleValue" | "floatValue", []) => Value::Num(Num::Double(n.as_f64())),
        ("equals", [o]) => Value::Bool(java_equals(&Value::Num(n), o)),
        ("compareTo", [Value::Num(o)]) => Value::int(match compare(n, *o) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Greater => 1,
        }),
        _ => Value::Null,
    }
}
