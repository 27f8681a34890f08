//! JSONPath with the semantics of Jayway JsonPath 2.0 (the library behind API Gateway's
//! `$input.path` and `$input.json`, and its parameter mappings' `method.request.body.PATH` and
//! `integration.response.body.PATH`): a definite path yields one value or "not found"
//! (null); a path with wildcards, deep scans, filters, slices or unions yields a JSONArray.
//!
//! One implementation for the whole gateway: [`JsonPath::parse`] compiles a path once (core
//! compiles mapping paths at load, the template parser compiles literal `$input.path('…')`
//! arguments), and evaluation walks the compiled form. A [`JsonPath`] is `Send + Sync`.
//!
//! Supported: `$`/`@` roots (a path without one gets `$.` prepended), `.name`, `['name']`,
//! `['a','b']`, `.*`, `[*]`, `..name`, `..*`, `[n]`, `[n,m]`, `[a:b]`, `[a:]`, `[:b]`, and
//! filters `[?(@.x op value)]` with `== != < <= > >=`, `&&`, `||` and existence tests.
//! Negative indexes find nothing (Jayway 2.0 behaviour, pinned by the VTL oracle's
//! `input-path/flat-009`); functions such as `length()` find nothing.

use std::cmp::Ordering;

use crate::number::{compare, Num};
use crate::value::{java_equals, to_json, Value};

/// An invalid path (Jayway's `InvalidPathException`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    /// What is wrong.
    pub message: String,
}

/// A compiled JSONPath.
#[derive(Debug, Clone)]
pub struct JsonPath {
    toks: Vec<Tok>,
    /// No wildcard, deep scan, filter, slice or union: one value or none.
    definite: bool,
}

#[derive(Debug, Clone)]
enum Tok {
    Props(Vec<String>),
    Wildcard,
    Indexes(Vec<i64>),
    Slice(Option<i64>, Option<i64>),
    Deep,
    Filter(Filter),
}

#[derive(Debug, Clone)]
enum Operand {
    Path(Vec<Tok>),
    Lit(Lit),
}

/// A filter's literal operand, kept in owned form so a compiled path can be shared between
/// threads; it becomes a [`Value`] when compared.
#[derive(Debug, Clone)]
enum Lit {
    Null,
    Bool(bool),
    Num(Num),
    /// A json-smart `BigDecimal`, as written.
    Decimal(String),
    Str(String),
}

impl Lit {
    fn from_value(v: Value) -> Option<Lit> {
        Some(match v {
            Value::Null => Lit::Null,
            Value::Bool(b) => Lit::Bool(b),
            Value::Num(n) => Lit::Num(n),
            Value::Decimal(d) => Lit::Decimal(d.to_string()),
            Value::Str(s) => Lit::Str(s.to_string()),
            _ => return None,
        })
    }

    fn to_value(&self) -> Value {
        match self {
            Lit::Null => Value::Null,
            Lit::Bool(b) => Value::Bool(*b),
            Lit::Num(n) => Value::Num(*n),
            Lit::Decimal(d) => Value::Decimal(d.as_str().into()),
            Lit::Str(s) => Value::str(s.as_str()),
        }
    }
}

#[derive(Debug, Clone)]
enum Filter {
    Exists(Vec<Tok>),
    Cmp(Operand, &'static str, Operand),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
}

fn invalid(msg: impl Into<String>) -> PathError {
    PathError {
        message: msg.into(),
    }
}

impl JsonPath {
    /// Compiles `path` (Jayway's syntax; `$.` is prepended to a path without a root).
    pub fn parse(path: &str) -> Result<JsonPath, PathError> {
        let path = path.trim();
        if path.is_empty() {
            return Err(invalid("json can not be null or empty"));
        }
        let full = if path.starts_with('$') || path.starts_with('@') {
            path.to_string()
        } else {
            format!("$.{path}")
        };
        let chars: Vec<char> = full.chars().collect();
        let mut p = PathParser { chars, i: 1 };
        let toks = p.tokens(false)?;
        let definite = toks.iter().all(|t| match t {
            Tok::Props(n) => n.len() == 1,
            Tok::Indexes(i) => i.len() == 1,
            _ => false,
        });
        Ok(JsonPath { toks, definite })
    }

    /// Evaluates the path against `doc`. `Ok(None)` is "path not found".
    pub(crate) fn evaluate(&self, doc: &Value) -> Result<Option<Value>, PathError> {
        let mut found = Vec::new();
        walk(doc, &self.toks, self.definite, &mut found, 0)?;
        if self.definite {
            Ok(found.into_iter().next())
        } else {
            Ok(Some(Value::json_list(found)))
        }
    }

    /// The value a parameter mapping reads at this path of a JSON `body`: a string as it is,
    /// anything else as `$input.json` prints it (json-smart, compact); `None` when the body is
    /// not JSON (json-smart, permissive, as `$input.json` reads it), the path finds nothing or
    /// finds JSON `null`.
    pub fn mapping_value(&self, body: &[u8]) -> Option<String> {
        let doc = crate::json_smart::parse(std::str::from_utf8(body).ok()?).ok()?;
        match self.evaluate(&doc).ok()?? {
            Value::Null => None,
            Value::Str(s) => Some(s.to_string()),
            other => to_json(&other, false).ok(),
        }
    }
}

/// Evaluates `path` against `doc` (a path known only at render time). `Ok(None)` is "path
/// not found".
pub(crate) fn evaluate(doc: &Value, path: &str) -> Result<Option<Value>, PathError> {
    JsonPath::parse(path)?.evaluate(doc)
}

/// Deepest recursion into documents.
const MAX_WALK_DEPTH: usize = 600;

fn walk(
    v: &Value,
    toks: &[Tok],
    definite: bool,
    out: &mut Vec<Value>,
    depth: usize,
) -> Result<(), PathError> {
    if depth > MAX_WALK_DEPTH {
        return Ok(());
    }
    let Some((tok, rest)) = toks.split_first() else {
        out.push(v.clone());
        return Ok(());
    };
    match tok {
        Tok::Props(names) => {
            let Value::Map(m) = v else { return Ok(()) };
            if names.len() == 1 {
                let got = m
                    .borrow()
                    .get_str(names.first().map_or("", String::as_str))
                    .cloned();
                if let Some(child) = got {
                    walk(&child, rest, definite, out, depth + 1)?;
                }
            } else {
                // Jayway merges several properties into one map.
                let mut entries = Vec::new();
                for n in names {
                    if let Some(child) = m.borrow().get_str(n) {
                        entries.push((Value::str(n.as_str()), child.clone()));
                    }
                }
                walk(&Value::map(entries), rest, definite, out, depth + 1)?;
            }
        }
        Tok::Wildcard => {
            for child in children(v) {
                walk(&child, rest, definite, out, depth + 1)?;
            }
        }
        Tok::Indexes(idx) => {
            let Value::List(l) = v else {
                if definite {
                    return Err(invalid(format!(
                        "Filter: {idx:?} can only be applied to arrays. Current context is: {}",
                        v.to_java_string()
                    )));
                }
                return Ok(());
            };
            let items = l.borrow().items.clone();
            for i in idx {
                if let Some(child) = usize::try_from(*i).ok().and_then(|i| items.get(i)) {
                    walk(child, rest, definite, out, depth + 1)?;
                }
            }
        }
        Tok::Slice(from, to) => {
            let Value::List(l) = v else { return Ok(()) };
            let items = l.borrow().items.clone();
            let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
            let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
            let a = from.map_or(0, norm);
            let b = to.map_or(len, norm);
            let mut k = a;
            while k < b {
                if let Some(child) = usize::try_from(k).ok().and_then(|k| items.get(k)) {
                    walk(child, rest, definite, out, depth + 1)?;
                }
                k += 1;
            }
        }
        Tok::Deep => {
            let mut containers = Vec::new();
            collect_containers(v, &mut containers, depth);
            for c in containers {
                walk(&c, rest, definite, out, depth + 1)?;
            }
        }
        Tok::Filter(f) => match v {
            Value::List(l) => {
                let items = l.borrow().items.clone();
                for item in items {
                    if matches_filter(&item, f) {
                        walk(&item, rest, definite, out, depth + 1)?;
                    }
                }
            }
            Value::Map(_) if matches_filter(v, f) => walk(v, rest, definite, out, depth + 1)?,
            _ => {}
        },
    }
    Ok(())
}

fn children(v: &Value) -> Vec<Value> {
    match v {
        Value::Map(m) => m.borrow().entries.iter().map(|(_, x)| x.clone()).collect(),
        Value::List(l) => l.borrow().items.clone(),
        _ => Vec::new(),
    }
}

/// The value and every container below it, in Jayway's scan order.
fn collect_containers(v: &Value, out: &mut Vec<Value>, depth: usize) {
    if depth > MAX_WALK_DEPTH {
        return;
    }
    out.push(v.clone());
    for c in children(v) {
        if matches!(c, Value::Map(_) | Value::List(_)) {
            collect_containers(&c, out, depth + 1);
        }
    }
}

fn resolve(item: &Value, toks: &[Tok]) -> Option<Value> {
    let mut out = Vec::new();
    walk(item, toks, true, &mut out, 0).ok()?;
    out.into_iter().next()
}

fn operand_value(item: &Value, o: &Operand) -> Option<Value> {
    match o {
        Operand::Path(t) => resolve(item, t),
        Operand::Lit(v) => Some(v.to_value()),
    }
}

fn matches_filter(item: &Value, f: &Filter) -> bool {
    match f {
        Filter::Exists(t) => resolve(item, t).is_some(),
        Filter::And(a, b) => matches_filter(item, a) && matches_filter(item, b),
        Filter::Or(a, b) => matches_filter(item, a) || matches_filter(item, b),
        Filter::Not(a) => !matches_filter(item, a),
        Filter::Cmp(l, op, r) => {
            let (Some(a), Some(b)) = (operand_value(item, l), operand_value(item, r)) else {
                return false;
            };
            let ord = match (&a, &b) {
                _ if a.as_num().is_some() && b.as_num().is_some() => {
                    a.as_num().zip(b.as_num()).map(|(x, y)| compare(x, y))
                }
                (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
                _ => None,
            };
            match *op {
                "==" => ord.map_or_else(|| java_equals(&a, &b), |o| o == Ordering::Equal),
                "!=" => !ord.map_or_else(|| java_equals(&a, &b), |o| o == Ordering::Equal),
                "<" => ord == Some(Ordering::Less),
                "<=" => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
                ">" => ord == Some(Ordering::Greater),
                ">=" => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
                _ => false,
            }
        }
    }
}

struct PathParser {
    chars: Vec<char>,
    i: usize,
}

impl PathParser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn err(&self) -> PathError {
        let s: String = self.chars.iter().collect();
        invalid(format!("Could not analyze path component: {s}"))
    }

    /// Reads tokens until the end (or, inside a filter, until a char that ends an operand).
    fn tokens(&mut self, in_filter: bool) -> Result<Vec<Tok>, PathError> {
        let mut toks = Vec::new();
        loop {
            match self.peek() {
                None => return Ok(toks),
                Some('.') => {
                    self.i += 1;
                    if self.peek() == Some('.') {
                        self.i += 1;
                        toks.push(Tok::Deep);
                        if self.peek() == Some('[') {
                            continue;
                        }
                    }
                    match self.peek() {
                        Some('*') => {
                            self.i += 1;
                            toks.push(Tok::Wildcard);
                        }
                        Some(c) if c != '.' && c != '[' && !c.is_whitespace() => {
                            let name = self.take_while(|c| {
                                c != '.' && c != '[' && !(in_filter && " )=!<>&|".contains(c))
                            });
                            if name.contains('(') {
                                // A function call (length(), size(), …): not in Jayway 2.0.
                                toks.push(Tok::Props(vec![format!("\u{0}{name}")]));
                            } else {
                                toks.push(Tok::Props(vec![name]));
                            }
                        }
                        _ => return Err(self.err()),
                    }
                }
                Some('[') => {
                    self.i += 1;
                    toks.push(self.bracket()?);
                }
                Some(c) if in_filter && " )=!<>&|".contains(c) => return Ok(toks),
                Some(_) => return Err(self.err()),
            }
        }
    }

    fn bracket(&mut self) -> Result<Tok, PathError> {
        let close = |p: &mut Self| -> Result<(), PathError> {
            while p.peek() == Some(' ') {
                p.i += 1;
            }
            if p.peek() == Some(']') {
                p.i += 1;
                Ok(())
            } else {
                Err(p.err())
            }
        };
        while self.peek() == Some(' ') {
            self.i += 1;
        }
        match self.peek() {
            Some('*') => {
                self.i += 1;
                close(self)?;
                Ok(Tok::Wildcard)
            }
            Some('\'') => {
                let mut names = Vec::new();
                loop {
                    if self.peek() != Some('\'') {
                        return Err(self.err());
                    }
                    self.i += 1;
                    names.push(self.take_until('\'')?);
                    while self.peek() == Some(' ') {
                        self.i += 1;
                    }
                    if self.peek() == Some(',') {
                        self.i += 1;
                        while self.peek() == Some(' ') {
                            self.i += 1;
                        }
                        continue;
                    }
                    close(self)?;
                    return Ok(Tok::Props(names));
                }
            }
            Some('?') => {
                self.i += 1;
                if self.peek() != Some('(') {
                    return Err(self.err());
                }
                self.i += 1;
                let f = self.filter_in_parens()?;
                close(self)?;
                Ok(Tok::Filter(f))
            }
            _ => {
                let inner = self.take_until(']')?;
                let inner = inner.trim();
                let int = |t: &str| -> Result<Option<i64>, PathError> {
                    let t = t.trim();
                    if t.is_empty() {
                        Ok(None)
                    } else {
                        t.parse::<i64>()
                            .map(Some)
                            .map_err(|_| invalid(format!("Could not parse index: {t}")))
                    }
                };
                if let Some((a, b)) = inner.split_once(':') {
                    return Ok(Tok::Slice(int(a)?, int(b)?));
                }
                let mut idx = Vec::new();
                for part in inner.split(',') {
                    match int(part)? {
                        Some(n) => idx.push(n),
                        None => return Err(self.err()),
                    }
                }
                Ok(Tok::Indexes(idx))
            }
        }
    }

    /// Advances past the chars `keep` accepts and returns them.
    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let s = self.i;
        while self.peek().is_some_and(&keep) {
            self.i += 1;
        }
        self.chars
            .get(s..self.i)
            .unwrap_or_default()
            .iter()
            .collect()
    }

    /// The chars before the next `end`, stepping past it; an error when there is none.
    fn take_until(&mut self, end: char) -> Result<String, PathError> {
        let text = self.take_while(|c| c != end);
        if self.peek().is_none() {
            return Err(self.err());
        }
        self.i += 1;
        Ok(text)
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(' ') {
            self.i += 1;
        }
    }

    /// A filter and its closing `)` (the `(` already read).
    fn filter_in_parens(&mut self) -> Result<Filter, PathError> {
        let f = self.filter_or()?;
        self.skip_spaces();
        if self.peek() != Some(')') {
            return Err(self.err());
        }
        self.i += 1;
        Ok(f)
    }

    fn filter_or(&mut self) -> Result<Filter, PathError> {
        self.filter_chain(['|', '|'], Self::filter_and, Filter::Or)
    }

    fn filter_and(&mut self) -> Result<Filter, PathError> {
        self.filter_chain(['&', '&'], Self::filter_atom, Filter::And)
    }

    /// `operand (op operand)*`, joined left to right.
    fn filter_chain(
        &mut self,
        op: [char; 2],
        operand: fn(&mut Self) -> Result<Filter, PathError>,
        join: fn(Box<Filter>, Box<Filter>) -> Filter,
    ) -> Result<Filter, PathError> {
        let mut left = operand(self)?;
        loop {
            self.skip_spaces();
            if self.chars.get(self.i..self.i + 2) == Some(&op[..]) {
                self.i += 2;
                let right = operand(self)?;
                left = join(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn filter_atom(&mut self) -> Result<Filter, PathError> {
        self.skip_spaces();
        if self.peek() == Some('!') {
            self.i += 1;
            return Ok(Filter::Not(Box::new(self.filter_atom()?)));
        }
        if self.peek() == Some('(') {
            self.i += 1;
            return self.filter_in_parens();
        }
        let left = self.operand()?;
        self.skip_spaces();
        let ops = ["==", "!=", "<=", ">=", "<", ">"];
        for op in ops {
            let n = op.chars().count();
            let here: String = self
                .chars
                .get(self.i..self.i + n)
                .unwrap_or_default()
                .iter()
                .collect();
            if here == op {
                self.i += n;
                let right = self.operand()?;
                return Ok(Filter::Cmp(left, op, right));
            }
        }
        match left {
            Operand::Path(t) => Ok(Filter::Exists(t)),
            Operand::Lit(_) => Err(self.err()),
        }
    }

    fn operand(&mut self) -> Result<Operand, PathError> {
        self.skip_spaces();
        match self.peek() {
            Some('@') | Some('$') => {
                self.i += 1;
                Ok(Operand::Path(self.tokens(true)?))
            }
            Some(q @ ('\'' | '"')) => {
                self.i += 1;
                let v = self.take_until(q)?;
                Ok(Operand::Lit(Lit::Str(v)))
            }
            _ => {
                let raw = self.take_while(|c| !" )=!<>&|".contains(c));
                let v = match raw.as_str() {
                    "true" => Lit::Bool(true),
                    "false" => Lit::Bool(false),
                    "null" => Lit::Null,
                    _ => crate::json_smart::number(&raw)
                        .and_then(Lit::from_value)
                        .ok_or_else(|| self.err())?,
                };
                Ok(Operand::Lit(v))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::to_json;

    fn eval(path: &str) -> Option<String> {
        let doc = crate::json_smart::parse(
            r#"{"a": 1, "f": [1, 2, 3], "g": {"h": "i"}, "pets": [{"t": "dog", "p": 5}, {"t": "cat", "p": 15}]}"#,
        )
        .unwrap();
        evaluate(&doc, path)
            .unwrap()
            .map(|v| to_json(&v, false).unwrap())
    }

    #[test]
    fn definite_paths() {
        assert_eq!(eval("$.a").as_deref(), Some("1"));
        assert_eq!(eval("a").as_deref(), Some("1"));
        assert_eq!(eval("$.g.h").as_deref(), Some("\"i\""));
        assert_eq!(eval("$['g']['h']").as_deref(), Some("\"i\""));
        assert_eq!(eval("$.f[0]").as_deref(), Some("1"));
        assert_eq!(eval("$.f[-1]"), None);
        assert_eq!(eval("$.f[9]"), None);
        assert_eq!(eval("$.nope.deeper"), None);
        assert_eq!(eval("$.f.length()"), None);
    }

    #[test]
    fn indefinite_paths() {
        assert_eq!(eval("$.f[*]").as_deref(), Some("[1,2,3]"));
        assert_eq!(eval("$.f[0,2]").as_deref(), Some("[1,3]"));
        assert_eq!(eval("$.f[1:]").as_deref(), Some("[2,3]"));
        assert_eq!(eval("$.f[:2]").as_deref(), Some("[1,2]"));
        assert_eq!(eval("$..h").as_deref(), Some("[\"i\"]"));
        assert_eq!(eval("$.pets[?(@.p > 10)].t").as_deref(), Some("[\"cat\"]"));
        assert_eq!(eval("$.pets[?(@.t == 'dog')].p").as_deref(), Some("[5]"));
        assert_eq!(eval("$.pets[*].nope").as_deref(), Some("[]"));
    }

    #[test]
    fn invalid_paths() {
        let doc = Value::map(Vec::new());
        for bad in ["", "$.", "$.[", "$[\"g\"]", "$[0]"] {
            assert!(evaluate(&doc, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mapping_values() {
        let body = br#"{"s": "a/b", "n": 2.5, "z": null, "o": {"k": [1, "x"]}, "l": [1, 2]}"#;
        let at = |p: &str| JsonPath::parse(p).unwrap().mapping_value(body);
        assert_eq!(at("$.s").as_deref(), Some("a/b"));
        assert_eq!(at("$.n").as_deref(), Some("2.5"));
        assert_eq!(at("$.z"), None);
        assert_eq!(at("$.nope"), None);
        assert_eq!(at("$.o").as_deref(), Some(r#"{"k":[1,"x"]}"#));
        assert_eq!(at("$.l[*]").as_deref(), Some("[1,2]"));
        assert_eq!(at("$.l[-1]"), None);
        // A definite index into an object is Jayway's error: no value.
        assert_eq!(at("$.o[0]"), None);
        let bad = JsonPath::parse("$.a").unwrap();
        assert_eq!(bad.mapping_value(b"{\"a\":"), None);
        assert_eq!(bad.mapping_value(b"\xff"), None);
    }

    #[test]
    fn compiled_paths_are_shareable_between_threads() {
        fn shareable<T: Send + Sync>(_: &T) {}
        shareable(&JsonPath::parse("$.pets[?(@.p > 10 && @.t == 'cat')].t").unwrap());
    }
}
