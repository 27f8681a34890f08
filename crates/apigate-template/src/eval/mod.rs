//! The renderer: walks the parsed template with Velocity 1.7's evaluation rules and API
//! Gateway's objects, under the step, output and loop limits.

mod methods;

use std::collections::HashMap;
use std::rc::Rc;

use crate::ast::{BinOp, Expr, Node, Reference, Segment};
use crate::jsonpath::JsonPath;
use crate::number::{arith, compare, ArithOp, Num};
use crate::value::{
    clear_container, clear_deep, java_equals, same_class_family, BlockRef, ForeachScope, MapRef,
    Printer, Value,
};
use crate::{
    json_smart, Interrupt, Interruption, Limit, Limits, Overrides, RenderError, RenderInput,
    Rendered, Template,
};

/// Velocity's `velocimacro.max.depth`.
const MAX_MACRO_DEPTH: usize = 20;
/// Deepest recursion of rendering/evaluation (nested blocks across macro calls and
/// `#define` renders); keeps the native stack bounded.
const MAX_EVAL_DEPTH: usize = 250;
/// Steps between two looks at the [`Interrupt`] (the clock and the flags): often enough to
/// stop within a fraction of a millisecond, rare enough to cost nothing per node.
const INTERRUPT_EVERY: u64 = 4096;
/// Bytes of string work (building, converting, parsing) that count as one step towards the
/// next look at the [`Interrupt`]: a loop over `$util.base64Encode` of a multi-MB body is
/// looked at after each call, not after thousands of them.
const WORK_BYTES_PER_STEP: usize = 64;

/// How rendering of a block ended.
#[derive(Debug)]
enum Flow {
    Normal,
    /// `#break`, optionally aimed at a given `$foreach` scope.
    Break(Option<Rc<ForeachScope>>),
    /// `#stop`.
    Stop,
}

/// A macro argument: re-evaluated at each use (Velocity passes references by name) or a value.
#[derive(Debug, Clone)]
enum Arg<'t> {
    Lazy(&'t Expr, usize),
    Value(Value),
}

#[derive(Debug, Default)]
struct Frame<'t> {
    args: HashMap<String, Arg<'t>>,
    body: Option<usize>,
}

pub(crate) struct Evaluator<'t, 'i> {
    tpl: &'t Template,
    input: &'i RenderInput<'i>,
    limits: Limits,
    globals: HashMap<String, Value>,
    frames: Vec<Frame<'t>>,
    /// How many frames are visible (lazily evaluated arguments see their caller's frames).
    visible: usize,
    out: String,
    steps: u64,
    /// The step count at which the [`Interrupt`] is next looked at.
    next_interrupt_check: u64,
    interrupt: Interrupt<'i>,
    regex_cache: HashMap<(String, bool), Rc<regex::Regex>>,
    /// The path compiled at parse time for the `.path('…')`/`.json('…')` call being made.
    compiled_path: Option<&'t JsonPath>,
    active_blocks: Vec<usize>,
    stop_requested: bool,
    /// Current recursion depth of rendering and evaluation.
    depth: usize,
    /// Containers built or mutated by the template: emptied when the render ends, so cycles
    /// (`$l.add($l)`) are freed and deep nesting is dropped without deep recursion.
    created: Vec<Value>,
    /// The body parsed once (`$input.path`/`json` hand out copies).
    document: Option<Result<Value, RenderError>>,
    params: Value,
    /// The `$context` map handed to the template (overrides are read from it at the end,
    /// even if the template rebinds the `$context` variable).
    context: MapRef,
}

type R<T> = Result<T, RenderError>;

fn method_error(msg: impl Into<String>) -> RenderError {
    RenderError::MethodInvocation {
        message: msg.into(),
    }
}

fn new_map() -> MapRef {
    Rc::new(std::cell::RefCell::new(crate::value::JMap::default()))
}

/// Converts a serde_json value into Java values (objects → LinkedHashMap).
pub(crate) fn from_serde(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::int(i128::from(i))
            } else if let Some(u) = n.as_u64() {
                Value::int(i128::from(u))
            } else {
                Value::Num(Num::Double(n.as_f64().unwrap_or(0.0)))
            }
        }
        serde_json::Value::String(s) => Value::str(s.as_str()),
        serde_json::Value::Array(a) => Value::json_list(a.iter().map(from_serde).collect()),
        serde_json::Value::Object(o) => Value::map(
            o.iter()
                .map(|(k, v)| (Value::str(k.as_str()), from_serde(v)))
                .collect(),
        ),
    }
}

/// `$context.<name>` as a template starts with it: the map the input's context holds (carried
/// from an earlier template), with `parts` present as maps, or a new map of empty `parts`.
fn override_start(context: &MapRef, name: &str, parts: &[&str]) -> Value {
    let start = match context.borrow().get_str(name) {
        Some(Value::Map(m)) => Rc::clone(m),
        _ => new_map(),
    };
    for part in parts {
        let present = matches!(start.borrow().get_str(part), Some(Value::Map(_)));
        if !present {
            start
                .borrow_mut()
                .put(Value::str(*part), Value::map(Vec::new()));
        }
    }
    Value::Map(start)
}

/// Marks the maps API Gateway nests in `$context` (at any depth) as printing empty
/// ([`crate::value::JMap::opaque`]). `$context` itself prints as a map.
fn mark_opaque(v: &Value, depth: usize) {
    if depth > 32 {
        return;
    }
    if let Value::Map(m) = v {
        m.borrow_mut().opaque = true;
        for (_, x) in &m.borrow().entries {
            mark_opaque(x, depth + 1);
        }
    }
}

/// A template value as JSON (the inverse of [`from_serde`] for what templates build): numbers
/// as numbers, collections as arrays and objects (keys as their Java strings), anything else
/// as its Java string. Nesting beyond 64 levels, or a collection that holds itself, is cut off
/// as `null`.
pub(crate) fn to_serde(v: &Value, depth: usize) -> serde_json::Value {
    use serde_json::Value as J;
    if depth > 64 {
        return J::Null;
    }
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Num(n) => match n.as_i128().and_then(|i| i64::try_from(i).ok()) {
            Some(i) => J::from(i),
            None => serde_json::Number::from_f64(n.as_f64()).map_or(J::Null, J::Number),
        },
        Value::Str(s) | Value::Decimal(s) => J::String(s.to_string()),
        Value::List(l) => match l.try_borrow() {
            Ok(l) => J::Array(l.items.iter().map(|x| to_serde(x, depth + 1)).collect()),
            Err(_) => J::Null,
        },
        Value::Map(m) => match m.try_borrow() {
            Ok(m) => J::Object(
                m.entries
                    .iter()
                    .map(|(k, x)| (k.to_java_string(), to_serde(x, depth + 1)))
                    .collect(),
            ),
            Err(_) => J::Null,
        },
        other => J::String(other.to_java_string()),
    }
}

fn string_map(pairs: &[(String, String)]) -> Value {
    let m = new_map();
    for (k, v) in pairs {
        m.borrow_mut()
            .put(Value::str(k.as_str()), Value::str(v.as_str()));
    }
    Value::Map(m)
}

impl<'t, 'i> Evaluator<'t, 'i> {
    pub(crate) fn new(
        tpl: &'t Template,
        input: &'i RenderInput<'i>,
        limits: &Limits,
        interrupt: Interrupt<'i>,
    ) -> Self {
        let params = Value::map(vec![
            (Value::str("path"), string_map(input.path)),
            (Value::str("querystring"), string_map(input.querystring)),
            (Value::str("header"), string_map(input.header)),
        ]);
        let context = match from_serde(input.context) {
            Value::Map(m) => m,
            _ => new_map(),
        };
        // The override maps start empty, or from what an earlier template of the same
        // request left in them (a mock's request template, for its response template).
        let request = override_start(
            &context,
            "requestOverride",
            &["header", "path", "querystring"],
        );
        let response = override_start(&context, "responseOverride", &["header"]);
        context
            .borrow_mut()
            .put(Value::str("requestOverride"), request);
        context
            .borrow_mut()
            .put(Value::str("responseOverride"), response);
        for (_, v) in &context.borrow().entries {
            mark_opaque(v, 0);
        }
        let stage = new_map();
        for (k, v) in input.stage_variables {
            stage
                .borrow_mut()
                .put(Value::str(k.as_str()), Value::str(v.as_str()));
        }
        let mut globals = HashMap::new();
        globals.insert("input".to_string(), Value::Input);
        globals.insert("util".to_string(), Value::Util);
        globals.insert("context".to_string(), Value::Map(Rc::clone(&context)));
        globals.insert("stageVariables".to_string(), Value::Map(stage));
        Evaluator {
            tpl,
            input,
            limits: *limits,
            globals,
            frames: Vec::new(),
            visible: 0,
            out: String::new(),
            steps: 0,
            next_interrupt_check: INTERRUPT_EVERY,
            interrupt,
            regex_cache: HashMap::new(),
            compiled_path: None,
            active_blocks: Vec::new(),
            stop_requested: false,
            depth: 0,
            created: Vec::new(),
            document: None,
            params,
            context,
        }
    }

    /// `$context.<which>` (`requestOverride`/`responseOverride`) as handed out, or as the
    /// template replaced it.
    fn override_root(&self, which: &str) -> Option<MapRef> {
        match self.context.borrow().get_str(which) {
            Some(Value::Map(m)) => Some(Rc::clone(m)),
            _ => None,
        }
    }

    /// `$context.<which>.<part>`.
    fn override_map(&self, which: &str, part: &str) -> Option<MapRef> {
        let root = self.override_root(which)?;
        let got = root.borrow().get_str(part).cloned();
        match got {
            Some(Value::Map(m)) => Some(m),
            _ => None,
        }
    }

    fn track(&mut self, v: &Value) {
        if matches!(v, Value::List(_) | Value::Map(_)) {
            self.created.push(v.clone());
        }
    }

    /// The payload parsed permissively (once per render).
    fn document(&mut self) -> R<Value> {
        if self.document.is_none() {
            let parsed = json_smart::parse(self.body())
                .map_err(|e| RenderError::InvalidJson { message: e.message });
            self.document = Some(parsed);
        }
        match &self.document {
            Some(Ok(v)) => Ok(v.clone()),
            Some(Err(e)) => Err(e.clone()),
            None => Ok(Value::Null),
        }
    }

    /// Strings beyond the output limit and collections beyond the step budget are refused as
    /// soon as they are built, so memory stays bounded even when nothing is written.
    fn check_size(&self, v: &Value) -> R<()> {
        let too_many = |n: usize| u64::try_from(n).unwrap_or(u64::MAX) > self.limits.max_steps;
        match v {
            Value::Str(s) if s.len() > self.limits.max_output_bytes => {
                Err(RenderError::LimitExceeded(Limit::OutputBytes))
            }
            Value::List(l) if too_many(l.borrow().items.len()) => {
                Err(RenderError::LimitExceeded(Limit::Steps))
            }
            Value::Map(m) if too_many(m.borrow().entries.len()) => {
                Err(RenderError::LimitExceeded(Limit::Steps))
            }
            _ => Ok(()),
        }
    }

    pub(crate) fn run(mut self) -> R<Rendered> {
        check_interrupt(&self.interrupt)?;
        let nodes = &self.tpl.parsed.nodes;
        match self.render_nodes(nodes)? {
            Flow::Normal | Flow::Stop | Flow::Break(_) => {}
        }
        let request_override = Overrides {
            header: self.multi(self.override_map("requestOverride", "header").as_ref())?,
            path: self.single(self.override_map("requestOverride", "path").as_ref())?,
            querystring: self
                .multi(self.override_map("requestOverride", "querystring").as_ref())?,
            status: None,
        };
        let status = self
            .override_root("responseOverride")
            .and_then(|m| m.borrow().get_str("status").cloned())
            .filter(|v| !v.is_null());
        let status = match status {
            Some(v) => self
                .stringify(&v)?
                .trim()
                .parse::<i32>()
                .ok()
                .filter(|s| (100..=599).contains(s))
                .and_then(|s| u16::try_from(s).ok()),
            None => None,
        };
        let response_override = Overrides {
            header: self.multi(self.override_map("responseOverride", "header").as_ref())?,
            path: Vec::new(),
            querystring: Vec::new(),
            status,
        };
        let carried = self.carried();
        Ok(Rendered {
            output: std::mem::take(&mut self.out),
            request_override,
            response_override,
            carried,
        })
    }

    /// `$context.requestOverride` and `$context.responseOverride` as JSON, for a later
    /// template of the same request; `Null` (nothing allocated) while both hold only their
    /// empty default maps.
    fn carried(&self) -> serde_json::Value {
        let untouched = |which: &str| {
            self.override_root(which).is_none_or(|m| {
                m.borrow().entries.iter().all(|(_, v)| match v {
                    Value::Map(x) => x.borrow().entries.is_empty(),
                    _ => false,
                })
            })
        };
        if untouched("requestOverride") && untouched("responseOverride") {
            return serde_json::Value::Null;
        }
        let mut out = serde_json::Map::new();
        for which in ["requestOverride", "responseOverride"] {
            if let Some(m) = self.override_root(which) {
                out.insert(which.to_string(), to_serde(&Value::Map(m), 0));
            }
        }
        serde_json::Value::Object(out)
    }

    fn step(&mut self) -> R<()> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(RenderError::LimitExceeded(Limit::Steps));
        }
        if self.steps >= self.next_interrupt_check {
            self.next_interrupt_check = self.steps.saturating_add(INTERRUPT_EVERY);
            check_interrupt(&self.interrupt)?;
        }
        Ok(())
    }

    /// Accounts for `bytes` of string work: brings the next look at the [`Interrupt`]
    /// closer (no step is charged; the step limit is about evaluation, not data size).
    fn work(&mut self, bytes: usize) {
        let ticks = u64::try_from(bytes / WORK_BYTES_PER_STEP).unwrap_or(u64::MAX);
        self.next_interrupt_check = self.next_interrupt_check.saturating_sub(ticks);
    }

    fn write(&mut self, s: &str) -> R<()> {
        self.out.push_str(s);
        if self.out.len() > self.limits.max_output_bytes {
            return Err(RenderError::LimitExceeded(Limit::OutputBytes));
        }
        Ok(())
    }

    // ---- variables ----

    fn lookup(&mut self, name: &str) -> R<Value> {
        if let Some(frame) = self.visible.checked_sub(1).and_then(|k| self.frames.get(k)) {
            if name == "bodyContent" {
                if let Some(b) = frame.body {
                    return Ok(Value::Block(Rc::new(BlockRef { id: b })));
                }
            }
            match frame.args.get(name).cloned() {
                Some(Arg::Value(v)) => return Ok(v),
                Some(Arg::Lazy(expr, caller)) => {
                    let saved = self.visible;
                    self.visible = caller;
                    let v = self.value(expr);
                    self.visible = saved;
                    return v;
                }
                None => {}
            }
        }
        Ok(self.globals.get(name).cloned().unwrap_or(Value::Null))
    }

    fn set_var(&mut self, name: &str, v: Value) {
        if let Some(frame) = self
            .visible
            .checked_sub(1)
            .and_then(|k| self.frames.get_mut(k))
        {
            if let Some(slot) = frame.args.get_mut(name) {
                *slot = Arg::Value(v);
                return;
            }
        }
        self.globals.insert(name.to_string(), v);
    }

    fn remove_var(&mut self, name: &str) {
        if let Some(frame) = self
            .visible
            .checked_sub(1)
            .and_then(|k| self.frames.get_mut(k))
        {
            if frame.args.contains_key(name) {
                frame.args.insert(name.to_string(), Arg::Value(Value::Null));
                return;
            }
        }
        self.globals.remove(name);
    }

    fn raw_var(&self, name: &str) -> Value {
        if let Some(frame) = self.visible.checked_sub(1).and_then(|k| self.frames.get(k)) {
            if let Some(Arg::Value(v)) = frame.args.get(name) {
                return v.clone();
            }
        }
        self.globals.get(name).cloned().unwrap_or(Value::Null)
    }

    fn restore_var(&mut self, name: &str, old: Value) {
        if old.is_null() {
            self.remove_var(name);
        } else {
            self.set_var(name, old);
        }
    }

    // ---- rendering ----

    fn render_nodes(&mut self, nodes: &'t [Node]) -> R<Flow> {
        self.depth += 1;
        let r = self.render_nodes_inner(nodes);
        self.depth -= 1;
        r
    }

    fn render_nodes_inner(&mut self, nodes: &'t [Node]) -> R<Flow> {
        if self.depth > MAX_EVAL_DEPTH {
            return Err(RenderError::LimitExceeded(Limit::Nesting));
        }
        for node in nodes {
            match self.render_node(node)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
            if self.stop_requested {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Normal)
    }

    fn render_node(&mut self, node: &'t Node) -> R<Flow> {
        self.step()?;
        match node {
            Node::Text(t) => self.write(t)?,
            Node::Ref(r) => self.render_ref(r)?,
            Node::Set { target, value } => self.set(target, value)?,
            Node::If {
                branches,
                otherwise,
            } => {
                for (cond, body) in branches {
                    if self.truthy(cond)? {
                        return self.render_nodes(body);
                    }
                }
                if let Some(body) = otherwise {
                    return self.render_nodes(body);
                }
            }
            Node::Foreach {
                var,
                iterable,
                body,
                ..
            } => return self.foreach(var, iterable.as_ref(), body),
            Node::Break(arg) => {
                let target = match arg {
                    Some(e) => match self.value(e)? {
                        Value::Foreach(s) => Some(s),
                        _ => {
                            return Err(method_error(
                                "the argument of #break/#stop is not a valid Scope instance",
                            ))
                        }
                    },
                    None => None,
                };
                return Ok(Flow::Break(target));
            }
            Node::Stop => return Ok(Flow::Stop),
            Node::Define { name, block } => {
                self.set_var(name, Value::Block(Rc::new(BlockRef { id: *block })));
            }
            Node::MacroCall {
                name,
                args,
                literal,
                body,
                ..
            } => return self.call_macro(name, args, literal, *body),
        }
        Ok(Flow::Normal)
    }

    fn render_ref(&mut self, r: &'t Reference) -> R<()> {
        let v = self.reference(r)?;
        if r.escaped {
            self.write(&r.esc_prefix)?;
            if v.is_null() {
                self.write("\\")?;
            }
            return self.write(&r.literal);
        }
        self.write(&r.esc_prefix)?;
        if v.is_null() {
            // API Gateway renders a null reference as nothing.
            return Ok(());
        }
        if let Value::Block(b) = &v {
            // Velocity renders a #define block that recurses too deeply as the reference text.
            let text = self
                .render_block(b.id)?
                .unwrap_or_else(|| r.literal.clone());
            return self.write(&text);
        }
        let s = self.stringify(&v)?;
        self.write(&s)
    }

    /// `toString()`, rendering `#define` blocks. Collections are printed under the render's
    /// budget: a step per element, the output limit as the text grows, Java's handling of
    /// collections that hold themselves (`value::Printer`).
    fn stringify(&mut self, v: &Value) -> R<String> {
        match v {
            Value::Block(b) => Ok(self.render_block(b.id)?.unwrap_or_default()),
            Value::Str(s) => Ok(s.to_string()),
            Value::List(_) | Value::Map(_) | Value::Entry(_) => {
                let max = self.limits.max_output_bytes;
                let mut meter = |len: usize| {
                    self.step()?;
                    if len > max {
                        return Err(RenderError::LimitExceeded(Limit::OutputBytes));
                    }
                    Ok(())
                };
                let text = Printer::new(&mut meter).java_string(v)?;
                self.work(text.len());
                Ok(text)
            }
            other => Ok(other.to_java_string()),
        }
    }

    /// Renders a `#define` block (or `$bodyContent`); `None` when it recurses deeper than
    /// Velocity's `directive.define.max.depth` (2).
    fn render_block(&mut self, id: usize) -> R<Option<String>> {
        let Some(nodes) = self.tpl.parsed.blocks.get(id) else {
            return Ok(Some(String::new()));
        };
        if self.active_blocks.iter().filter(|b| **b == id).count() >= 2
            || self.active_blocks.len() > 64
        {
            return Ok(None);
        }
        self.active_blocks.push(id);
        let saved = std::mem::take(&mut self.out);
        let r = self.render_nodes(nodes);
        let text = std::mem::replace(&mut self.out, saved);
        self.active_blocks.pop();
        if matches!(r?, Flow::Stop) {
            // `#stop` inside a block ends the whole render after what the block wrote.
            self.stop_requested = true;
        }
        Ok(Some(text))
    }

    fn set(&mut self, target: &'t Reference, value: &'t Expr) -> R<()> {
        let v = self.value(value)?;
        if v.is_null() {
            // Velocity 1.7 (directive.set.null.allowed = false): the target is left unchanged.
            return Ok(());
        }
        let Some((last, init)) = target.chain.split_last() else {
            self.set_var(&target.root, v);
            return Ok(());
        };
        let v_for_track = v.clone();
        let mut obj = self.lookup(&target.root)?;
        for seg in init {
            if obj.is_null() {
                return Ok(());
            }
            obj = self.segment(obj, seg)?;
        }
        match (last, &obj) {
            (Segment::Prop(name), Value::Map(m)) => {
                self.check_override(m, name)?;
                m.borrow_mut().put(Value::str(name.as_str()), v);
            }
            (Segment::Index(e), Value::Map(m)) => {
                let k = self.value(e)?;
                if let Value::Str(s) = &k {
                    self.check_override(m, s)?;
                }
                m.borrow_mut().put(k, v);
            }
            (Segment::Index(e), Value::List(l)) => {
                let k = self.value(e)?;
                let Value::Num(n) = k else { return Ok(()) };
                let len = l.borrow().items.len();
                let idx = list_index(n.as_i32(), len).ok_or_else(|| {
                    method_error(format!(
                        "index {} out of bounds for length {len}",
                        n.as_i32()
                    ))
                })?;
                if let Some(slot) = l.borrow_mut().items.get_mut(idx) {
                    *slot = v;
                }
            }
            _ => {}
        }
        if matches!(v_for_track, Value::List(_) | Value::Map(_)) {
            self.track(&obj);
        }
        Ok(())
    }

    /// AWS allows each override parameter to be set once; a second write is an error.
    fn check_override(&self, m: &MapRef, key: &str) -> R<()> {
        let same = |x: Option<MapRef>| x.is_some_and(|x| Rc::ptr_eq(&x, m));
        let is_override_map = same(self.override_map("requestOverride", "header"))
            || same(self.override_map("requestOverride", "path"))
            || same(self.override_map("requestOverride", "querystring"))
            || same(self.override_map("responseOverride", "header"))
            || (key == "status" && same(self.override_root("responseOverride")));
        if is_override_map && m.borrow().get_str(key).is_some() {
            return Err(RenderError::DuplicateOverride {
                name: key.to_string(),
            });
        }
        Ok(())
    }

    fn foreach(&mut self, var: &str, iterable: Option<&'t Expr>, body: &'t [Node]) -> R<Flow> {
        let Some(iterable) = iterable else {
            return Ok(Flow::Normal);
        };
        let source = self.value(iterable)?;
        let items: Vec<Value> = match &source {
            Value::List(l) => l.borrow().items.clone(),
            Value::Map(m) => m.borrow().entries.iter().map(|(_, v)| v.clone()).collect(),
            Value::Iterator(it) => {
                let rest: Vec<Value> = it.items.get(it.next.get()..).unwrap_or_default().to_vec();
                it.next.set(it.items.len());
                rest
            }
            _ => Vec::new(),
        };
        let old_var = self.raw_var(var);
        let old_scope = self.raw_var("foreach");
        let old_count = self.raw_var("velocityCount");
        let old_has_next = self.raw_var("velocityHasNext");
        let parent = match &old_scope {
            Value::Foreach(s) => Some(Rc::clone(s)),
            _ => None,
        };
        let scope = Rc::new(ForeachScope {
            index: std::cell::Cell::new(0),
            has_next: std::cell::Cell::new(false),
            parent,
        });
        let total = items.len();
        let n = total.min(self.limits.max_foreach_iterations);
        let mut flow = Flow::Normal;
        for (idx, item) in items.into_iter().enumerate().take(n) {
            self.step()?;
            scope.index.set(idx);
            // As Velocity: `hasNext` looks at the collection, even when maxloops cuts it short.
            scope.has_next.set(idx + 1 < total);
            if item.is_null() {
                self.remove_var(var);
            } else {
                self.set_var(var, item);
            }
            self.set_var("foreach", Value::Foreach(Rc::clone(&scope)));
            self.set_var(
                "velocityCount",
                Value::int(i128::try_from(idx + 1).unwrap_or(0)),
            );
            self.set_var("velocityHasNext", Value::Bool(idx + 1 < total));
            match self.render_nodes(body)? {
                Flow::Normal => {}
                Flow::Break(None) => break,
                Flow::Break(Some(t)) if Rc::ptr_eq(&t, &scope) => break,
                other => {
                    flow = other;
                    break;
                }
            }
        }
        self.restore_var(var, old_var);
        self.restore_var("foreach", old_scope);
        self.restore_var("velocityCount", old_count);
        self.restore_var("velocityHasNext", old_has_next);
        Ok(flow)
    }

    /// `#include(..)` / `#parse(..)`: API Gateway gives templates no resources to load, so one
    /// that runs fails the render (Velocity's `ResourceNotFoundException`); `#include()` with
    /// no argument renders nothing, as in Velocity.
    fn include(&mut self, name: &str, args: &'t [Expr]) -> R<Flow> {
        let Some(first) = args.first() else {
            if name == "include" {
                return Ok(Flow::Normal);
            }
            return Err(method_error("#parse() requires exactly one argument"));
        };
        let resource = self.value(first)?;
        let resource = self.stringify(&resource)?;
        Err(method_error(format!(
            "ResourceNotFoundException: Unable to find resource '{resource}'"
        )))
    }

    fn call_macro(
        &mut self,
        name: &str,
        args: &'t [Expr],
        literal: &str,
        body: Option<usize>,
    ) -> R<Flow> {
        let Some(def) = self.tpl.parsed.macros.iter().find(|m| m.name == name) else {
            if matches!(name, "include" | "parse") {
                return self.include(name, args);
            }
            self.write(literal)?;
            return Ok(Flow::Normal);
        };
        if self.frames.len() >= MAX_MACRO_DEPTH {
            return Err(RenderError::MacroDepth {
                name: name.to_string(),
            });
        }
        let mut frame = Frame {
            args: HashMap::new(),
            body,
        };
        for (param, arg) in def.params.iter().zip(args) {
            let binding = match arg {
                // Constants are evaluated once; everything else is passed by name.
                Expr::Str(_) | Expr::Num(_) | Expr::Bool(_) => Arg::Value(self.value(arg)?),
                _ => Arg::Lazy(arg, self.visible),
            };
            frame.args.insert(param.clone(), binding);
        }
        let Some(nodes) = self.tpl.parsed.blocks.get(def.body) else {
            return Ok(Flow::Normal);
        };
        // The new frame goes on top of the stack even while a lazily evaluated argument
        // looks at a lower (caller's) frame; only `visible` says which frame is current.
        let base = self.frames.len();
        self.frames.push(frame);
        let saved = self.visible;
        self.visible = base + 1;
        let r = self.render_nodes(nodes);
        self.visible = saved;
        self.frames.truncate(base);
        match r? {
            Flow::Break(None) => Ok(Flow::Normal),
            other => Ok(other),
        }
    }

    // ---- references ----

    /// A reference's value. One that cannot be resolved -- an undefined variable, a missing
    /// property or key, a method that returns null (void methods included), a JSON `null` -- is
    /// the empty string, as API Gateway's Velocity answers (its invalid-reference handler;
    /// docs/PARITY.md, "Unresolvable references"). The chain stops at the first link that
    /// cannot be resolved: `$nope.length()` is `""`, not `0`.
    fn reference(&mut self, r: &'t Reference) -> R<Value> {
        let mut cur = self.lookup(&r.root)?;
        for seg in &r.chain {
            if cur.is_null() {
                break;
            }
            cur = self.segment(cur, seg)?;
        }
        Ok(if cur.is_null() { Value::str("") } else { cur })
    }

    fn segment(&mut self, obj: Value, seg: &'t Segment) -> R<Value> {
        self.step()?;
        match seg {
            Segment::Prop(name) => self.property(&obj, name),
            Segment::Method(name, args, path) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.value(a)?);
                }
                self.compiled_path = path.as_deref();
                let v = self.call(&obj, name, vals);
                self.compiled_path = None;
                v
            }
            Segment::Index(e) => {
                let k = self.value(e)?;
                match (&obj, &k) {
                    (Value::List(l), Value::Num(n)) => {
                        let l = l.borrow();
                        let idx = list_index(n.as_i32(), l.items.len()).ok_or_else(|| {
                            method_error(format!(
                                "index {} out of bounds for length {}",
                                n.as_i32(),
                                l.items.len()
                            ))
                        })?;
                        Ok(l.items.get(idx).cloned().unwrap_or(Value::Null))
                    }
                    (Value::Map(m), _) => Ok(m.borrow().get(&k).cloned().unwrap_or(Value::Null)),
                    _ => Ok(Value::Null),
                }
            }
        }
    }

    // ---- expressions ----

    /// Velocity's `evaluate()`: the truth of a condition.
    fn truthy(&mut self, e: &'t Expr) -> R<bool> {
        self.step()?;
        match e {
            Expr::Ref(r) => {
                let v = self.reference(r)?;
                Ok(match v {
                    Value::Null => false,
                    Value::Bool(b) => b,
                    _ => true,
                })
            }
            Expr::Bool(b) => Ok(*b),
            Expr::Paren(inner) => self.truthy(inner),
            Expr::Not(inner) => Ok(!self.truthy(inner)?),
            Expr::Binary(BinOp::And, a, b) => Ok(self.truthy(a)? && self.truthy(b)?),
            Expr::Binary(BinOp::Or, a, b) => Ok(self.truthy(a)? || self.truthy(b)?),
            Expr::Binary(
                op @ (BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge),
                a,
                b,
            ) => {
                let (x, y) = (self.value(a)?, self.value(b)?);
                self.compare_values(*op, &x, &y)
            }
            // Velocity 1.7: any other node (literals, arithmetic, interpolated strings) is
            // false as a condition, without being evaluated.
            _ => Ok(false),
        }
    }

    fn compare_values(&mut self, op: BinOp, x: &Value, y: &Value) -> R<bool> {
        match op {
            BinOp::Eq => self.equals(x, y),
            BinOp::Ne => Ok(!self.equals(x, y)?),
            _ => {
                let (Some(a), Some(b)) = (x.as_num(), y.as_num()) else {
                    return Ok(false);
                };
                let ord = compare(a, b);
                Ok(match op {
                    BinOp::Lt => ord.is_lt(),
                    BinOp::Le => ord.is_le(),
                    BinOp::Gt => ord.is_gt(),
                    _ => ord.is_ge(),
                })
            }
        }
    }

    /// Velocity 1.7's `==`.
    fn equals(&mut self, x: &Value, y: &Value) -> R<bool> {
        match (x, y) {
            (Value::Null, Value::Null) => Ok(true),
            (Value::Null, _) | (_, Value::Null) => Ok(false),
            _ if x.as_num().is_some() && y.as_num().is_some() => Ok(x
                .as_num()
                .zip(y.as_num())
                .is_some_and(|(a, b)| compare(a, b).is_eq())),
            _ if same_class_family(x, y) => Ok(java_equals(x, y)),
            _ => Ok(self.stringify(x)? == self.stringify(y)?),
        }
    }

    /// Velocity's `value()`.
    fn value(&mut self, e: &'t Expr) -> R<Value> {
        self.depth += 1;
        let r = if self.depth > MAX_EVAL_DEPTH {
            Err(RenderError::LimitExceeded(Limit::Nesting))
        } else {
            self.value_inner(e)
        };
        self.depth -= 1;
        r
    }

    fn value_inner(&mut self, e: &'t Expr) -> R<Value> {
        self.step()?;
        match e {
            Expr::Ref(r) => self.reference(r),
            Expr::Str(s) => Ok(Value::str(s.as_str())),
            Expr::Interp(nodes) => {
                let saved = std::mem::take(&mut self.out);
                let r = self.render_nodes(nodes);
                let text = std::mem::replace(&mut self.out, saved);
                if matches!(r?, Flow::Stop) {
                    self.stop_requested = true;
                }
                // Built and thrown away per evaluation, unlike the output: string work.
                self.work(text.len());
                Ok(Value::str(text))
            }
            Expr::Num(n) => Ok(Value::Num(*n)),
            Expr::Bool(b) => Ok(Value::Bool(*b)),
            Expr::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.value(i)?);
                }
                let v = Value::list(out);
                self.track(&v);
                Ok(v)
            }
            Expr::Map(entries) => {
                let m = new_map();
                for (k, v) in entries {
                    let (k, v) = (self.value(k)?, self.value(v)?);
                    m.borrow_mut().put(k, v);
                }
                let v = Value::Map(m);
                self.track(&v);
                Ok(v)
            }
            Expr::Range(a, b) => {
                let (Value::Num(x), Value::Num(y)) = (self.value(a)?, self.value(b)?) else {
                    return Ok(Value::Null);
                };
                let (x, y) = (i64::from(x.as_i32()), i64::from(y.as_i32()));
                let len = (x - y).unsigned_abs() + 1;
                if len > self.limits.max_steps.saturating_sub(self.steps) {
                    return Err(RenderError::LimitExceeded(Limit::Steps));
                }
                self.steps += len;
                let items: Vec<Value> = if x <= y {
                    (x..=y).map(|i| Value::int(i128::from(i))).collect()
                } else {
                    (y..=x).rev().map(|i| Value::int(i128::from(i))).collect()
                };
                Ok(Value::list(items))
            }
            Expr::Not(inner) => Ok(Value::Bool(!self.truthy(inner)?)),
            Expr::Paren(inner) => self.value(inner),
            Expr::Binary(op, a, b) => match op {
                BinOp::And
                | BinOp::Or
                | BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Le
                | BinOp::Gt
                | BinOp::Ge => Ok(Value::Bool(self.truthy(e)?)),
                BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                    let (x, y) = (self.value(a)?, self.value(b)?);
                    if *op == BinOp::Add
                        && (matches!(x, Value::Str(_)) || matches!(y, Value::Str(_)))
                    {
                        let left = if x.is_null() {
                            literal_of(a)
                        } else {
                            self.stringify(&x)?
                        };
                        let right = if y.is_null() {
                            literal_of(b)
                        } else {
                            self.stringify(&y)?
                        };
                        let joined = Value::str(left + &right);
                        self.check_size(&joined)?;
                        if let Value::Str(j) = &joined {
                            self.work(j.len());
                        }
                        return Ok(joined);
                    }
                    let (Some(p), Some(q)) = (x.as_num(), y.as_num()) else {
                        return Ok(Value::Null);
                    };
                    let aop = match op {
                        BinOp::Add => ArithOp::Add,
                        BinOp::Sub => ArithOp::Sub,
                        BinOp::Mul => ArithOp::Mul,
                        BinOp::Div => ArithOp::Div,
                        _ => ArithOp::Mod,
                    };
                    Ok(arith(aop, p, q).map_or(Value::Null, Value::Num))
                }
            },
        }
    }
}

impl Drop for Evaluator<'_, '_> {
    fn drop(&mut self) {
        for v in std::mem::take(&mut self.created) {
            clear_container(&v);
        }
        // The payload's objects are live (a template can make one hold itself): empty them
        // all so no cycle outlives the render.
        if let Some(Ok(doc)) = self.document.take() {
            clear_deep(&doc);
        }
    }
}

/// The source text Velocity substitutes for a null operand of a string `+`.
fn literal_of(e: &Expr) -> String {
    match e {
        Expr::Ref(r) => r.literal.clone(),
        _ => String::new(),
    }
}

/// A Java list index (negative counts from the end, as Velocity 1.7's `[i]` does).
fn list_index(i: i32, len: usize) -> Option<usize> {
    let idx = if i < 0 {
        len.checked_sub(usize::try_from(i.unsigned_abs()).ok()?)?
    } else {
        usize::try_from(i).ok()?
    };
    (idx < len).then_some(idx)
}

impl Evaluator<'_, '_> {
    /// Override parameters that may hold several values (a list gives several).
    fn multi(&mut self, m: Option<&MapRef>) -> R<Vec<(String, Vec<String>)>> {
        let Some(m) = m else { return Ok(Vec::new()) };
        let entries = m.borrow().entries.clone();
        let mut out = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let vals = match &v {
                Value::List(l) => {
                    let items = l.borrow().items.clone();
                    let mut vals = Vec::with_capacity(items.len());
                    for item in &items {
                        vals.push(self.stringify(item)?);
                    }
                    vals
                }
                other => vec![self.stringify(other)?],
            };
            out.push((self.stringify(&k)?, vals));
        }
        Ok(out)
    }

    /// Override parameters with one value.
    fn single(&mut self, m: Option<&MapRef>) -> R<Vec<(String, String)>> {
        let Some(m) = m else { return Ok(Vec::new()) };
        let entries = m.borrow().entries.clone();
        let mut out = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            out.push((self.stringify(&k)?, self.stringify(&v)?));
        }
        Ok(out)
    }
}

/// Looks at `interrupt`: a set flag, then the deadline.
pub(crate) fn check_interrupt(interrupt: &Interrupt<'_>) -> R<()> {
    if interrupt
        .flags
        .iter()
        .any(|f| f.load(std::sync::atomic::Ordering::Relaxed))
    {
        return Err(RenderError::Interrupted(Interruption::Cancelled));
    }
    if interrupt
        .deadline
        .is_some_and(|d| std::time::Instant::now() >= d)
    {
        return Err(RenderError::Interrupted(Interruption::Deadline));
    }
    Ok(())
}
