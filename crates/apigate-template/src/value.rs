//! Runtime values: the Java objects a Velocity template handles (String, Integer/Long/Double,
//! Boolean, `LinkedHashMap`, `ArrayList`/json-smart `JSONArray`, `Map.Entry`, the `$foreach`
//! scope and API Gateway's `$input`/`$util`), with Java's `toString`/`equals` and json-smart's
//! JSON serialisation.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::number::Num;
use crate::{Limit, RenderError};

/// A shared, mutable Java list (Velocity passes objects by reference).
pub type ListRef = Rc<RefCell<JList>>;
/// A shared, mutable Java map.
pub type MapRef = Rc<RefCell<JMap>>;

/// A Java value.
#[derive(Debug, Clone)]
pub enum Value {
    /// Java `null`.
    Null,
    /// `java.lang.Boolean`.
    Bool(bool),
    /// A `java.lang.Number`.
    Num(Num),
    /// A `java.math.BigDecimal` (or a BigInteger too large to model) read from JSON: kept as
    /// its text, which is how it prints; arithmetic sees it as a double.
    Decimal(Rc<str>),
    /// `java.lang.String`.
    Str(Rc<str>),
    /// `java.util.ArrayList` or json-smart `JSONArray`.
    List(ListRef),
    /// `java.util.LinkedHashMap`.
    Map(MapRef),
    /// A `Map.Entry` from `entrySet()`.
    Entry(Rc<(Value, Value)>),
    /// The `$foreach` loop scope.
    Foreach(Rc<ForeachScope>),
    /// A `#define` block or a `$bodyContent`: rendered lazily where it is used.
    Block(Rc<BlockRef>),
    /// A `java.util.Iterator` over a snapshot of a collection.
    Iterator(Rc<IterState>),
    /// API Gateway's `$input`.
    Input,
    /// API Gateway's `$util`.
    Util,
}

/// The position of an iterator.
#[derive(Debug)]
pub struct IterState {
    /// The items iterated.
    pub items: Vec<Value>,
    /// The next position.
    pub next: Cell<usize>,
}

/// A block of template nodes to render lazily (`#define`, `$bodyContent`).
#[derive(Debug)]
pub struct BlockRef {
    /// Index of the block in the template's block table.
    pub id: usize,
}

/// The state of one `#foreach` loop, seen as `$foreach`.
#[derive(Debug)]
pub struct ForeachScope {
    /// 0-based index of the current iteration.
    pub index: Cell<usize>,
    /// Whether another iteration follows.
    pub has_next: Cell<bool>,
    /// The enclosing loop's scope.
    pub parent: Option<Rc<ForeachScope>>,
}

impl ForeachScope {
    /// The outermost enclosing loop.
    pub fn topmost(self: &Rc<Self>) -> Rc<ForeachScope> {
        let mut cur = Rc::clone(self);
        while let Some(p) = cur.parent.clone() {
            cur = p;
        }
        cur
    }
}

/// A Java list; `json` marks a json-smart `JSONArray`, whose `toString` is JSON.
#[derive(Debug, Clone, Default)]
pub struct JList {
    /// The elements.
    pub items: Vec<Value>,
    /// Whether this is a json-smart `JSONArray`.
    pub json: bool,
}

/// An insertion-ordered Java map (`LinkedHashMap`).
#[derive(Debug, Clone, Default)]
pub struct JMap {
    /// Entries in insertion order.
    pub entries: Vec<(Value, Value)>,
    /// Prints as the empty string (`toString()` is `""`) while working as a map in every
    /// other way: the objects API Gateway nests in `$context` (`identity`, `authorizer`,
    /// `requestOverride.header`, ...), recorded on AWS as rendering nothing when printed whole.
    pub opaque: bool,
}

impl JMap {
    /// `get(key)` with Java `equals` on keys.
    pub fn get(&self, key: &Value) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| java_equals(k, key))
            .map(|(_, v)| v)
    }

    /// `get(name)` for a string key.
    pub fn get_str(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| matches!(k, Value::Str(s) if &**s == key))
            .map(|(_, v)| v)
    }

    /// `put(key, value)`, returning the previous value.
    pub fn put(&mut self, key: Value, value: Value) -> Option<Value> {
        for (k, v) in &mut self.entries {
            if java_equals(k, &key) {
                return Some(std::mem::replace(v, value));
            }
        }
        self.entries.push((key, value));
        None
    }

    /// `remove(key)`, returning the previous value.
    pub fn remove(&mut self, key: &Value) -> Option<Value> {
        let pos = self.entries.iter().position(|(k, _)| java_equals(k, key))?;
        Some(self.entries.remove(pos).1)
    }
}

impl Value {
    /// The number this value is, if it is one (a BigDecimal as a double).
    pub fn as_num(&self) -> Option<Num> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Decimal(d) => d.parse::<f64>().ok().map(Num::Double),
            _ => None,
        }
    }

    /// A string value.
    pub fn str(s: impl Into<Rc<str>>) -> Value {
        Value::Str(s.into())
    }

    /// A new `ArrayList`.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(JList { items, json: false })))
    }

    /// A new json-smart `JSONArray`.
    pub fn json_list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(JList { items, json: true })))
    }

    /// A new `LinkedHashMap`.
    pub fn map(entries: Vec<(Value, Value)>) -> Value {
        Value::Map(Rc::new(RefCell::new(JMap {
            entries,
            opaque: false,
        })))
    }

    /// An `Integer` (or wider) from an integer.
    pub fn int(v: i128) -> Value {
        Value::Num(Num::from_i128(v))
    }

    /// Whether this is Java `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Java's `toString()` (`String.valueOf` for null gives `"null"`). Blocks render as empty
    /// here; the evaluator renders them where it can, and prints collections under the
    /// render's budget (`Evaluator::stringify`). This is for scalars and values read from a
    /// JSON document; a collection it cannot print (a cycle, beyond the default limits)
    /// gives `""`.
    pub fn to_java_string(&self) -> String {
        let mut meter = default_meter();
        Printer::new(&mut meter)
            .java_string(self)
            .unwrap_or_default()
    }
}

/// Empties a container and every container reachable from it (iteratively: no recursion
/// however deep the nesting, and each container is emptied once, so cycles end).
pub fn clear_deep(v: &Value) {
    let mut stack = vec![v.clone()];
    while let Some(v) = stack.pop() {
        match &v {
            Value::List(l) => {
                if let Ok(mut l) = l.try_borrow_mut() {
                    let items = std::mem::take(&mut l.items);
                    drop(l);
                    stack.extend(
                        items
                            .into_iter()
                            .filter(|x| matches!(x, Value::List(_) | Value::Map(_))),
                    );
                }
            }
            Value::Map(m) => {
                if let Ok(mut m) = m.try_borrow_mut() {
                    let entries = std::mem::take(&mut m.entries);
                    drop(m);
                    for (k, x) in entries {
                        for part in [k, x] {
                            if matches!(part, Value::List(_) | Value::Map(_)) {
                                stack.push(part);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Empties a container (used at the end of a render to break reference cycles and to drop
/// deeply nested structures one level at a time).
pub fn clear_container(v: &Value) {
    match v {
        Value::List(l) => {
            if let Ok(mut l) = l.try_borrow_mut() {
                let items = std::mem::take(&mut l.items);
                drop(l);
                drop(items);
            }
        }
        Value::Map(m) => {
            if let Ok(mut m) = m.try_borrow_mut() {
                let entries = std::mem::take(&mut m.entries);
                drop(m);
                drop(entries);
            }
        }
        _ => {}
    }
}

/// Deepest nesting of lists and maps that is turned into text. Java recurses into nested
/// collections in `toString` and overflows its stack a few thousand levels down; beyond this
/// the render fails ([`Limit::Nesting`]) rather than risk this thread's stack.
pub(crate) const MAX_PRINT_DEPTH: usize = 512;

/// Called before each element of a list or map is printed, with the length of the text so
/// far: charges a step and enforces the output limit, so printing stays bounded even for a
/// structure that shares itself many times over (`[$l, $l]` nested 40 deep).
pub(crate) type Meter<'m> = dyn FnMut(usize) -> Result<(), RenderError> + 'm;

/// Turns values into text the way Java does, under a [`Meter`], refusing what Java cannot
/// print: a collection that holds itself prints `(this Collection)` / `(this Map)` in its
/// place (`AbstractCollection.toString`, `AbstractMap.toString`), but a longer cycle (`$a`
/// holds `$b` holds `$a`) or a JSON array that holds itself overflows Java's stack, so here
/// it fails the render ([`RenderError::CyclicValue`]).
pub(crate) struct Printer<'m, 'a> {
    out: String,
    /// The lists and maps being printed, outermost first (identity, for cycle detection).
    open: Vec<*const ()>,
    meter: &'m mut Meter<'a>,
}

impl<'m, 'a> Printer<'m, 'a> {
    pub(crate) fn new(meter: &'m mut Meter<'a>) -> Self {
        Printer {
            out: String::new(),
            open: Vec::new(),
            meter,
        }
    }

    /// Java's `toString()` of `v`.
    pub(crate) fn java_string(mut self, v: &Value) -> Result<String, RenderError> {
        self.java(v)?;
        (self.meter)(self.out.len())?;
        Ok(self.out)
    }

    /// json-smart's serialisation of `v` (see [`to_json`]).
    pub(crate) fn json_string(mut self, v: &Value, web_safe: bool) -> Result<String, RenderError> {
        self.json(v, web_safe)?;
        (self.meter)(self.out.len())?;
        Ok(self.out)
    }

    fn enter(&mut self, id: *const ()) -> Result<(), RenderError> {
        if self.open.contains(&id) {
            return Err(RenderError::CyclicValue);
        }
        if self.open.len() >= MAX_PRINT_DEPTH {
            return Err(RenderError::LimitExceeded(Limit::Nesting));
        }
        self.open.push(id);
        Ok(())
    }

    fn element(&mut self) -> Result<(), RenderError> {
        (self.meter)(self.out.len())
    }

    fn java(&mut self, v: &Value) -> Result<(), RenderError> {
        match v {
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Num(n) => self.out.push_str(&n.to_java_string()),
            Value::Decimal(d) | Value::Str(d) => self.out.push_str(d),
            Value::List(l) => {
                let Ok(items) = l.try_borrow() else {
                    self.out.push_str("(this Collection)");
                    return Ok(());
                };
                if items.json {
                    // JSONArray.toString() is its JSON text.
                    return self.json(v, true);
                }
                self.enter(Rc::as_ptr(l).cast())?;
                self.out.push('[');
                for (i, item) in items.items.iter().enumerate() {
                    self.element()?;
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    match item {
                        Value::List(x) if Rc::ptr_eq(x, l) => {
                            self.out.push_str("(this Collection)");
                        }
                        other => self.java(other)?,
                    }
                }
                self.out.push(']');
                self.open.pop();
            }
            Value::Map(m) => {
                let Ok(map) = m.try_borrow() else {
                    self.out.push_str("(this Map)");
                    return Ok(());
                };
                if map.opaque {
                    return Ok(());
                }
                self.enter(Rc::as_ptr(m).cast())?;
                self.out.push('{');
                for (i, (k, val)) in map.entries.iter().enumerate() {
                    self.element()?;
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    for (j, part) in [k, val].into_iter().enumerate() {
                        if j == 1 {
                            self.out.push('=');
                        }
                        match part {
                            Value::Map(x) if Rc::ptr_eq(x, m) => self.out.push_str("(this Map)"),
                            other => self.java(other)?,
                        }
                    }
                }
                self.out.push('}');
                self.open.pop();
            }
            Value::Entry(e) => {
                self.java(&e.0)?;
                self.out.push('=');
                self.java(&e.1)?;
            }
            Value::Foreach(_)
            | Value::Block(_)
            | Value::Iterator(_)
            | Value::Input
            | Value::Util => {}
        }
        Ok(())
    }

    fn json(&mut self, v: &Value, web_safe: bool) -> Result<(), RenderError> {
        match v {
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Num(Num::Double(d)) if !d.is_finite() => self.out.push_str("null"),
            Value::Num(n) => self.out.push_str(&n.to_java_string()),
            Value::Decimal(d) => self.out.push_str(d),
            Value::Str(s) => json_quote(s, &mut self.out, web_safe),
            Value::List(l) => {
                let Ok(items) = l.try_borrow() else {
                    return Err(RenderError::CyclicValue);
                };
                self.enter(Rc::as_ptr(l).cast())?;
                self.out.push('[');
                for (i, item) in items.items.iter().enumerate() {
                    self.element()?;
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.json(item, web_safe)?;
                }
                self.out.push(']');
                self.open.pop();
            }
            Value::Map(m) => {
                let Ok(map) = m.try_borrow() else {
                    return Err(RenderError::CyclicValue);
                };
                self.enter(Rc::as_ptr(m).cast())?;
                self.out.push('{');
                for (i, (k, val)) in map.entries.iter().enumerate() {
                    self.element()?;
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.quoted_java(k, web_safe)?;
                    self.out.push(':');
                    self.json(val, web_safe)?;
                }
                self.out.push('}');
                self.open.pop();
            }
            other => self.quoted_java(other, web_safe)?,
        }
        Ok(())
    }

    /// `toString()` of `v` as a JSON string.
    fn quoted_java(&mut self, v: &Value, web_safe: bool) -> Result<(), RenderError> {
        if let Value::Str(s) = v {
            json_quote(s, &mut self.out, web_safe);
            return Ok(());
        }
        let start = self.out.len();
        self.java(v)?;
        let text = self.out.split_off(start);
        json_quote(&text, &mut self.out, web_safe);
        Ok(())
    }
}

/// The meter of [`Value::to_java_string`] and [`to_json`], used outside a render's budget
/// (values read from a JSON document): the default limits' steps and output size.
fn default_meter() -> impl FnMut(usize) -> Result<(), RenderError> {
    let limits = crate::Limits::default();
    let mut steps = 0u64;
    move |len| {
        steps += 1;
        if steps > limits.max_steps {
            return Err(RenderError::LimitExceeded(Limit::Steps));
        }
        if len > limits.max_output_bytes {
            return Err(RenderError::LimitExceeded(Limit::OutputBytes));
        }
        Ok(())
    }
}

/// json-smart serialisation (`JSONValue.toJSONString`): `web_safe` selects its default style
/// (`/` escaped as `\/`, used by `JSONArray.toString()`), otherwise `LT_COMPRESS`. Outside a
/// render's budget: for values read from a JSON document (acyclic, bounded by the parser).
pub fn to_json(v: &Value, web_safe: bool) -> Result<String, RenderError> {
    let mut meter = default_meter();
    Printer::new(&mut meter).json_string(v, web_safe)
}

/// json-smart's string escaping (`JStylerObj` ESCAPE_LT / ESCAPE4Web).
pub fn json_quote(s: &str, out: &mut String, web_safe: bool) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '/' if web_safe => out.push_str("\\/"),
            c if ('\u{0}'..='\u{1f}').contains(&c)
                || ('\u{7f}'..='\u{9f}').contains(&c)
                || ('\u{2000}'..='\u{20ff}').contains(&c) =>
            {
                out.push_str(&format!("\\u{:04X}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// How deep `equals` compares nested collections (self-containing ones would never end).
const MAX_EQUALS_DEPTH: usize = 64;

/// Java's `a.equals(b)` (Integer 1 does not equal Long 1; lists and maps compare contents).
pub fn java_equals(a: &Value, b: &Value) -> bool {
    java_equals_depth(a, b, 0)
}

fn java_equals_depth(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > MAX_EQUALS_DEPTH {
        return false;
    }
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Num(x), Value::Num(y)) => match (x, y) {
            (Num::Int(p), Num::Int(q)) => p == q,
            (Num::Long(p), Num::Long(q)) => p == q,
            (Num::Big(p), Num::Big(q)) => p == q,
            (Num::Double(p), Num::Double(q)) => p.to_bits() == q.to_bits() || (p == q && *p != 0.0),
            _ => false,
        },
        (Value::Str(x), Value::Str(y)) | (Value::Decimal(x), Value::Decimal(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (Ok(x), Ok(y)) = (x.try_borrow(), y.try_borrow()) else {
                return false;
            };
            x.items.len() == y.items.len()
                && x.items
                    .iter()
                    .zip(&y.items)
                    .all(|(p, q)| java_equals_depth(p, q, depth + 1))
        }
        (Value::Map(x), Value::Map(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (Ok(x), Ok(y)) = (x.try_borrow(), y.try_borrow()) else {
                return false;
            };
            x.entries.len() == y.entries.len()
                && x.entries
                    .iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| java_equals_depth(v, w, depth + 1)))
        }
        (Value::Entry(x), Value::Entry(y)) => {
            java_equals_depth(&x.0, &y.0, depth + 1) && java_equals_depth(&x.1, &y.1, depth + 1)
        }
        (Value::Foreach(x), Value::Foreach(y)) => Rc::ptr_eq(x, y),
        (Value::Block(x), Value::Block(y)) => Rc::ptr_eq(x, y),
        (Value::Iterator(x), Value::Iterator(y)) => Rc::ptr_eq(x, y),
        (Value::Input, Value::Input) | (Value::Util, Value::Util) => true,
        _ => false,
    }
}

/// The class family used by Velocity's `==` ("is one class assignable from the other").
pub fn same_class_family(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Bool(_), Value::Bool(_))
        | (Value::Str(_), Value::Str(_))
        | (Value::Map(_), Value::Map(_))
        | (Value::Entry(_), Value::Entry(_))
        | (Value::Foreach(_), Value::Foreach(_))
        | (Value::Block(_), Value::Block(_))
        | (Value::Iterator(_), Value::Iterator(_))
        | (Value::Input, Value::Input)
        | (Value::Util, Value::Util) => true,
        (Value::List(x), Value::List(y)) => {
            // JSONArray extends ArrayList: assignable either way round.
            let _ = (x, y);
            true
        }
        _ => false,
    }
}
