//! The parsed form of a template. Owned data only, so a parsed [`crate::Template`] is
//! `Send + Sync` and can be rendered from many threads.

use crate::jsonpath::JsonPath;
use crate::number::Num;

/// A 1-based line/column (column in chars) in the template source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in chars.
    pub col: u32,
}

/// One piece of a template body.
#[derive(Debug, Clone)]
pub enum Node {
    /// Literal text.
    Text(String),
    /// A `$reference` to render.
    Ref(Reference),
    /// `#set($target = value)`.
    Set { target: Reference, value: Expr },
    /// `#if`/`#elseif` branches and the `#else` block.
    If {
        branches: Vec<(Expr, Vec<Node>)>,
        otherwise: Option<Vec<Node>>,
    },
    /// `#foreach($var in iterable) body #end`.
    Foreach {
        var: String,
        /// `None` for a malformed `#foreach`, which renders nothing.
        iterable: Option<Expr>,
        body: Vec<Node>,
    },
    /// `#break` or `#break($scope)`.
    Break(Option<Expr>),
    /// `#stop`.
    Stop,
    /// `#define($name) … #end`; the body is block `block` of the template.
    Define { name: String, block: usize },
    /// A macro call `#name(args)`, or `#@name(args) body #end` (body = block id).
    MacroCall {
        name: String,
        args: Vec<Expr>,
        /// The call's source text, rendered when no such macro exists.
        literal: String,
        body: Option<usize>,
    },
}

/// A reference such as `$!{a.b(1)[0]}`.
#[derive(Debug, Clone)]
pub struct Reference {
    /// The variable name.
    pub root: String,
    /// Properties, method calls and indexes after the root.
    pub chain: Vec<Segment>,
    /// Source text of the reference itself (without leading backslashes).
    pub literal: String,
    /// Backslashes written before the reference, halved (Velocity's escape prefix).
    pub esc_prefix: String,
    /// An odd number of backslashes escaped the reference.
    pub escaped: bool,
}

/// A step of a reference chain.
#[derive(Debug, Clone)]
pub enum Segment {
    /// `.name`
    Prop(String),
    /// `.name(args)`; for `.path('…')` and `.json('…')` with a literal path that compiles, the
    /// compiled path (used when the receiver is `$input`).
    Method(String, Vec<Expr>, Option<Box<JsonPath>>),
    /// `[expr]`
    Index(Expr),
}

/// Binary operators, in Velocity's spelling families (`==`/`eq`, `&&`/`and`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// An expression in a directive or argument.
#[derive(Debug, Clone)]
pub enum Expr {
    /// A reference.
    Ref(Reference),
    /// A string literal without interpolation.
    Str(String),
    /// A double-quoted string with `$` or `#` inside: rendered as a template.
    Interp(Vec<Node>),
    /// An integer or floating-point literal.
    Num(Num),
    /// `true` / `false`.
    Bool(bool),
    /// `[a, b]`
    List(Vec<Expr>),
    /// `{k: v}`
    Map(Vec<(Expr, Expr)>),
    /// `[a..b]`
    Range(Box<Expr>, Box<Expr>),
    /// `a op b`
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `!a`, `not a`
    Not(Box<Expr>),
    /// `( a )`
    Paren(Box<Expr>),
}

/// A `#macro` definition.
#[derive(Debug, Clone)]
pub struct MacroDef {
    /// The macro name.
    pub name: String,
    /// Parameter names, without `$`.
    pub params: Vec<String>,
    /// Block id of the body.
    pub body: usize,
}
