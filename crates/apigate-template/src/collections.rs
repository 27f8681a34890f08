//! `java.util.Map` (`LinkedHashMap`) and `java.util.List` (`ArrayList`, json-smart
//! `JSONArray`) methods as templates call them.

use std::cell::Cell;
use std::rc::Rc;

use crate::value::{java_equals, IterState, ListRef, MapRef, Value};
use crate::RenderError;

/// What a call of a `void` Java method gives: Velocity 1.7 answers `""` for it (its method
/// wrapper returns an empty string when the return type is `void`), so `$m.putAll($x)` renders
/// nothing and `$l.clear().length()` is `0`.
fn void() -> Value {
    Value::str("")
}

/// A `Map` method; unknown methods (or wrong argument counts) give null, as Velocity does.
pub fn map_method(m: &MapRef, name: &str, args: Vec<Value>) -> Value {
    let mut args = args.into_iter();
    let (a, b) = (args.next(), args.next());
    match (name, a, b) {
        ("get", Some(k), None) => m.borrow().get(&k).cloned().unwrap_or(Value::Null),
        ("getOrDefault", Some(k), Some(d)) => m.borrow().get(&k).cloned().unwrap_or(d),
        ("put", Some(k), Some(v)) => m.borrow_mut().put(k, v).unwrap_or(Value::Null),
        ("putIfAbsent", Some(k), Some(v)) => {
            let existing = m.borrow().get(&k).cloned();
            match existing {
                Some(e) if !e.is_null() => e,
                _ => m.borrow_mut().put(k, v).unwrap_or(Value::Null),
            }
        }
        ("containsKey", Some(k), None) => Value::Bool(m.borrow().get(&k).is_some()),
        ("containsValue", Some(v), None) => {
            Value::Bool(m.borrow().entries.iter().any(|(_, x)| java_equals(x, &v)))
        }
        ("remove", Some(k), None) => m.borrow_mut().remove(&k).unwrap_or(Value::Null),
        ("size", None, None) => Value::int(i128::try_from(m.borrow().entries.len()).unwrap_or(0)),
        ("isEmpty", None, None) => Value::Bool(m.borrow().entries.is_empty()),
        ("keySet", None, None) => {
            Value::list(m.borrow().entries.iter().map(|(k, _)| k.clone()).collect())
        }
        ("values", None, None) => {
            Value::list(m.borrow().entries.iter().map(|(_, v)| v.clone()).collect())
        }
        ("entrySet", None, None) => Value::list(
            m.borrow()
                .entries
                .iter()
                .map(|(k, v)| Value::Entry(Rc::new((k.clone(), v.clone()))))
                .collect(),
        ),
        ("clear", None, None) => {
            m.borrow_mut().entries.clear();
            void()
        }
        ("putAll", Some(Value::Map(other)), None) => {
            let entries = other.borrow().entries.clone();
            for (k, v) in entries {
                m.borrow_mut().put(k, v);
            }
            void()
        }
        ("toString", None, None) => Value::str(Value::Map(Rc::clone(m)).to_java_string()),
        ("equals", Some(o), None) => Value::Bool(java_equals(&Value::Map(Rc::clone(m)), &o)),
        _ => Value::Null,
    }
}

fn index_error(i: i64, len: usize) -> RenderError {
    RenderError::MethodInvocation {
        message: format!("java.lang.IndexOutOfBoundsException: Index: {i}, Size: {len}"),
    }
}

fn as_index(v: &Value) -> Option<i64> {
    match v {
        Value::Num(n) if n.as_i128().is_some() => Some(i64::from(n.as_i32())),
        _ => None,
    }
}

/// A `List` method; unknown methods give null, a bad index is an error (as Java throws).
pub fn list_method(l: &ListRef, name: &str, args: Vec<Value>) -> Result<Value, RenderError> {
    let len = l.borrow().items.len();
    let checked = |i: i64, upper: usize| -> Result<usize, RenderError> {
        usize::try_from(i)
            .ok()
            .filter(|&u| u < upper)
            .ok_or_else(|| index_error(i, len))
    };
    let mut it = args.into_iter();
    let (a, b) = (it.next(), it.next());
    Ok(match (name, a, b) {
        ("get", Some(i), None) => match as_index(&i) {
            Some(i) => {
                let idx = checked(i, len)?;
                l.borrow().items.get(idx).cloned().unwrap_or(Value::Null)
            }
            None => Value::Null,
        },
        ("size", None, None) => Value::int(i128::try_from(len).unwrap_or(0)),
        ("isEmpty", None, None) => Value::Bool(len == 0),
        ("add", Some(v), None) => {
            l.borrow_mut().items.push(v);
            Value::Bool(true)
        }
        ("add", Some(i), Some(v)) => match as_index(&i) {
            Some(i) => {
                let idx = checked(i, len + 1)?;
                l.borrow_mut().items.insert(idx, v);
                void()
            }
            None => Value::Null,
        },
        ("set", Some(i), Some(v)) => match as_index(&i) {
            Some(i) => {
                let idx = checked(i, len)?;
                let mut lb = l.borrow_mut();
                match lb.items.get_mut(idx) {
                    Some(slot) => std::mem::replace(slot, v),
                    None => Value::Null,
                }
            }
            None => Value::Null,
        },
        ("contains", Some(v), None) => {
            Value::Bool(l.borrow().items.iter().any(|x| java_equals(x, &v)))
        }
        ("indexOf", Some(v), None) => Value::int(
            l.borrow()
                .items
                .iter()
                .position(|x| java_equals(x, &v))
                .map_or(-1, |p| i128::try_from(p).unwrap_or(-1)),
        ),
        ("lastIndexOf", Some(v), None) => Value::int(
            l.borrow()
                .items
                .iter()
                .rposition(|x| java_equals(x, &v))
                .map_or(-1, |p| i128::try_from(p).unwrap_or(-1)),
        ),
        ("remove", Some(Value::Num(n)), None) if n.as_i128().is_some() => {
            let i = i64::from(n.as_i32());
            let idx = checked(i, len)?;
            l.borrow_mut().items.remove(idx)
        }
        ("remove", Some(v), None) => {
            let pos = l.borrow().items.iter().position(|x| java_equals(x, &v));
            match pos {
                Some(p) => {
                    l.borrow_mut().items.remove(p);
                    Value::Bool(true)
                }
                None => Value::Bool(false),
            }
        }
        ("addAll", Some(Value::List(other)), None) => {
            let items = other.borrow().items.clone();
            let changed = !items.is_empty();
            l.borrow_mut().items.extend(items);
            Value::Bool(changed)
        }
        ("clear", None, None) => {
            l.borrow_mut().items.clear();
            void()
        }
        ("subList", Some(x), Some(y)) => match (as_index(&x), as_index(&y)) {
            (Some(x), Some(y)) => {
                if x < 0 || y < x || usize::try_from(y).map_or(true, |y| y > len) {
                    return Err(index_error(y, len));
                }
                let (x, y) = (
                    usize::try_from(x).unwrap_or(0),
                    usize::try_from(y).unwrap_or(0),
                );
                Value::list(l.borrow().items.get(x..y).unwrap_or_default().to_vec())
            }
            _ => Value::Null,
        },
        ("iterator", None, None) => Value::Iterator(Rc::new(IterState {
            items: l.borrow().items.clone(),
            next: Cell::new(0),
        })),
        ("toArray", None, None) => Value::list(l.borrow().items.clone()),
        ("containsAll", Some(Value::List(other)), None) => {
            let wanted = other.borrow().items.clone();
            let have = l.borrow();
            Value::Bool(
                wanted
                    .iter()
                    .all(|w| have.items.iter().any(|x| java_equals(x, w))),
            )
        }
        ("toString", None, None) => Value::str(Value::List(Rc::clone(l)).to_java_string()),
        ("equals", Some(o), None) => Value::Bool(java_equals(&Value::List(Rc::clone(l)), &o)),
        _ => Value::Null,
    })
}
