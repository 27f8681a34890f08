//! A hand-written parser for the Velocity 1.7 template language: text, references,
//! directives, comments and escapes, with Velocity 1.7's whitespace gobbling.

mod expr;

use crate::ast::{Expr, MacroDef, Node, Pos, Reference, Segment};
use crate::jsonpath::JsonPath;
use crate::ParseError;

/// Deepest nesting of blocks and expressions accepted (keeps recursion bounded).
const MAX_NESTING: usize = 100;

/// The result of parsing a whole template.
#[derive(Debug)]
pub struct Parsed {
    /// Top-level nodes.
    pub nodes: Vec<Node>,
    /// Bodies of `#define`, `#macro` and block-macro calls, by id.
    pub blocks: Vec<Vec<Node>>,
    /// Macros in definition order (the first definition of a name wins).
    pub macros: Vec<MacroDef>,
}

/// Parses a template.
pub fn parse(source: &str) -> Result<Parsed, ParseError> {
    let mut p = Parser {
        chars: source.chars().collect(),
        i: 0,
        base: None,
        line_starts: Vec::new(),
        blocks: Vec::new(),
        macros: Vec::new(),
        depth: 0,
        token_end: 0,
    };
    p.line_starts.push(0);
    for (idx, c) in p.chars.iter().enumerate() {
        if *c == '\n' {
            p.line_starts.push(idx + 1);
        }
    }
    let (nodes, term) = p.parse_block(false)?;
    match term {
        Terminator::Eof => Ok(Parsed {
            nodes,
            blocks: p.blocks,
            macros: p.macros,
        }),
        _ => Err(p.error_at(p.i, "unexpected block terminator")),
    }
}

/// Why a block ended.
enum Terminator {
    Eof,
    End,
    Else,
    ElseIf(Expr),
}

struct Parser {
    chars: Vec<char>,
    i: usize,
    /// For a sub-parser of an interpolated string: where errors are reported.
    base: Option<Pos>,
    line_starts: Vec<usize>,
    blocks: Vec<Vec<Node>>,
    macros: Vec<MacroDef>,
    depth: usize,
    /// Where the current text token started (after the last reference, directive or comment).
    token_end: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn peek_at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    /// The template text from `from` to `to` (as much of it as there is).
    fn text(&self, from: usize, to: usize) -> String {
        self.chars
            .get(from..to)
            .unwrap_or_default()
            .iter()
            .collect()
    }

    /// A parenthesised list, the cursor just after its `(`, read up to and past the `)`:
    /// blanks and commas between items are passed over (VTL's macro lists need no commas),
    /// and at any other character `item` reads one item or refuses, given that character
    /// (`None` at the end of the template) and how many items were read so far.
    fn paren_list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self, Option<char>, usize) -> Result<T, ParseError>,
    ) -> Result<Vec<T>, ParseError> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                Some(')') => {
                    self.i += 1;
                    return Ok(items);
                }
                Some(',') => self.i += 1,
                at => {
                    let read = item(self, at, items.len())?;
                    items.push(read);
                }
            }
        }
    }

    fn starts_with(&self, at: usize, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(k, c)| self.chars.get(at + k) == Some(&c))
    }

    fn pos_of(&self, idx: usize) -> Pos {
        if let Some(b) = self.base {
            return b;
        }
        let line = self.line_starts.partition_point(|&s| s <= idx);
        let start = line
            .checked_sub(1)
            .and_then(|l| self.line_starts.get(l))
            .copied()
            .unwrap_or(0);
        Pos {
            line: u32::try_from(line.max(1)).unwrap_or(u32::MAX),
            col: u32::try_from(idx.saturating_sub(start) + 1).unwrap_or(u32::MAX),
        }
    }

    fn error_at(&self, idx: usize, message: impl Into<String>) -> ParseError {
        // Like Velocity, an error at the end of input is reported on the last char.
        let idx = if idx >= self.chars.len() {
            self.chars.len().saturating_sub(1)
        } else {
            idx
        };
        let pos = self.pos_of(idx);
        ParseError {
            line: pos.line,
            col: pos.col,
            message: message.into(),
        }
    }

    fn unexpected(&self, expecting: &str) -> ParseError {
        let found = match self.peek() {
            None => "<EOF>".to_string(),
            Some(c) => format!("\"{c}\""),
        };
        self.error_at(
            self.i,
            format!("Encountered {found}, expecting {expecting}"),
        )
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.error_at(self.i, "template nested too deeply"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: char) -> Result<(), ParseError> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.unexpected(&format!("\"{c}\"")))
        }
    }

    /// Velocity 1.7: spaces/tabs then a newline after a directive are consumed with it.
    fn gobble_line_end(&mut self) {
        let mut j = self.i;
        while matches!(self.peek_at(j), Some(' ' | '\t')) {
            j += 1;
        }
        match self.peek_at(j) {
            Some('\n') => self.i = j + 1,
            Some('\r') => {
                self.i = if self.peek_at(j + 1) == Some('\n') {
                    j + 2
                } else {
                    j + 1
                }
            }
            _ => {}
        }
        self.token_end = self.i;
    }

    fn flush(text: &mut String, nodes: &mut Vec<Node>) {
        if !text.is_empty() {
            nodes.push(Node::Text(std::mem::take(text)));
        }
    }

    fn parse_block(&mut self, in_block: bool) -> Result<(Vec<Node>, Terminator), ParseError> {
        self.enter()?;
        let r = self.parse_block_inner(in_block);
        self.leave();
        r
    }

    fn parse_block_inner(&mut self, in_block: bool) -> Result<(Vec<Node>, Terminator), ParseError> {
        let mut nodes = Vec::new();
        let mut text = String::new();
        loop {
            let Some(c) = self.peek() else {
                if in_block {
                    return Err(self.error_at(self.i, "Encountered <EOF>: missing #end"));
                }
                Self::flush(&mut text, &mut nodes);
                return Ok((nodes, Terminator::Eof));
            };
            match c {
                '\\' => self.backslashes(&mut text, &mut nodes)?,
                '$' => match self.try_reference(String::new(), false)? {
                    Some(r) => {
                        Self::flush(&mut text, &mut nodes);
                        nodes.push(Node::Ref(r));
                        self.token_end = self.i;
                    }
                    None => {
                        if self.peek_at(self.i + 1).is_none() && self.base.is_none() {
                            return Err(self
                                .error_at(self.i, "Lexical error: Encountered <EOF> after \"$\""));
                        }
                        text.push('$');
                        self.i += 1;
                        // Velocity's lexer drops the `!` of a `$!` that starts no reference.
                        if self.peek() == Some('!') {
                            self.i += 1;
                        }
                    }
                },
                '#' => {
                    if let Some(term) = self.hash(&mut text, &mut nodes, in_block)? {
                        Self::flush(&mut text, &mut nodes);
                        return Ok((nodes, term));
                    }
                }
                _ => {
                    text.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// A run of backslashes: escapes for a following reference or directive.
    fn backslashes(&mut self, text: &mut String, nodes: &mut Vec<Node>) -> Result<(), ParseError> {
        let start = self.i;
        let mut j = self.i;
        while self.peek_at(j) == Some('\\') {
            j += 1;
        }
        let n = j - start;
        let half = "\\".repeat(n / 2);
        match self.peek_at(j) {
            Some('$') => {
                self.i = j;
                if let Some(r) = self.try_reference(half, n % 2 == 1)? {
                    Self::flush(text, nodes);
                    nodes.push(Node::Ref(r));
                } else {
                    self.i = start;
                    for _ in 0..n {
                        text.push('\\');
                    }
                    self.i = j;
                }
            }
            Some('#') => {
                let (name, end) = self.directive_word(j);
                let recognised = name.as_deref().is_some_and(|w| {
                    matches!(
                        w,
                        "if" | "else"
                            | "elseif"
                            | "end"
                            | "set"
                            | "foreach"
                            | "macro"
                            | "define"
                            | "break"
                            | "stop"
                            | "include"
                            | "parse"
                            | "evaluate"
                            | "literal"
                    ) || self.macros.iter().any(|m| m.name == w)
                });
                if !recognised {
                    for _ in 0..n {
                        text.push('\\');
                    }
                    self.i = j;
                } else if n % 2 == 1 {
                    text.push_str(&half);
                    text.extend(self.chars.get(j..end).unwrap_or_default().iter());
                    self.i = end;
                } else {
                    text.push_str(&half);
                    self.i = j;
                }
            }
            _ => {
                for _ in 0..n {
                    text.push('\\');
                }
                self.i = j;
            }
        }
        Ok(())
    }

    /// The directive word after `#` at `at` (`#name` or `#{name}`) and where it ends.
    fn directive_word(&self, at: usize) -> (Option<String>, usize) {
        let mut j = at + 1;
        let braced = self.peek_at(j) == Some('{');
        if braced {
            j += 1;
        }
        let s = j;
        if self.peek_at(j) == Some('@') {
            j += 1;
        }
        if !self.peek_at(j).is_some_and(is_ident_start) {
            return (None, at);
        }
        while self.peek_at(j).is_some_and(is_word_char) {
            j += 1;
        }
        let word: String = self.chars.get(s..j).unwrap_or_default().iter().collect();
        if braced {
            if self.peek_at(j) != Some('}') {
                return (None, at);
            }
            j += 1;
        }
        (Some(word), j)
    }

    /// Handles `#…` at the cursor. Returns a terminator when the block ends here.
    fn hash(
        &mut self,
        text: &mut String,
        nodes: &mut Vec<Node>,
        in_block: bool,
    ) -> Result<Option<Terminator>, ParseError> {
        let start = self.i;
        match self.peek_at(start + 1) {
            Some('#') => {
                // Line comment: up to and including the newline.
                let mut j = start + 2;
                while let Some(c) = self.peek_at(j) {
                    j += 1;
                    if c == '\n' {
                        break;
                    }
                    if c == '\r' {
                        if self.peek_at(j) == Some('\n') {
                            j += 1;
                        }
                        break;
                    }
                }
                self.i = j;
                self.token_end = j;
                return Ok(None);
            }
            Some('*') => {
                let mut j = start + 2;
                loop {
                    if j >= self.chars.len() {
                        // Velocity 1.7 swallows the rest of the template.
                        self.i = j;
                        self.token_end = j;
                        return Ok(None);
                    }
                    if self.starts_with(j, "*#") {
                        self.i = j + 2;
                        self.token_end = self.i;
                        return Ok(None);
                    }
                    j += 1;
                }
            }
            Some('[') if self.peek_at(start + 2) == Some('[') => {
                let mut j = start + 3;
                loop {
                    if j >= self.chars.len() {
                        return Err(self.error_at(start, "Lexical error: unterminated #[[ ]]#"));
                    }
                    if self.starts_with(j, "]]#") {
                        text.extend(self.chars.get(start + 3..j).unwrap_or_default().iter());
                        self.i = j + 3;
                        return Ok(None);
                    }
                    j += 1;
                }
            }
            _ => {}
        }
        let (word, end) = self.directive_word(start);
        let Some(word) = word else {
            if self.peek_at(start + 1).is_none() && self.base.is_none() {
                return Err(self.error_at(start, "Lexical error: Encountered <EOF> after \"#\""));
            }
            text.push('#');
            self.i += 1;
            return Ok(None);
        };
        match word.as_str() {
            "set" => {
                // Velocity 1.7's #set token includes the spaces/tabs before it when they start
                // a new token (template start, after a reference, directive or comment).
                let lead = self.text(self.token_end.min(start), start);
                if !lead.is_empty() && lead.chars().all(|c| c == ' ' || c == '\t') {
                    if let Some(kept) = text.strip_suffix(lead.as_str()) {
                        let kept_len = kept.len();
                        text.truncate(kept_len);
                    }
                }
                Self::flush(text, nodes);
                self.i = end;
                let node = self.set_directive()?;
                nodes.push(node);
                self.gobble_line_end();
            }
            "if" => {
                Self::flush(text, nodes);
                self.i = end;
                let cond = self.paren_expr()?;
                self.gobble_line_end();
                let mut branches = Vec::new();
                let mut cur = cond;
                let otherwise;
                loop {
                    let (body, term) = self.parse_block(true)?;
                    branches.push((cur, body));
                    match term {
                        Terminator::End => {
                            otherwise = None;
                            break;
                        }
                        Terminator::ElseIf(e) => cur = e,
                        Terminator::Else => {
                            let (body, term) = self.parse_block(true)?;
                            if !matches!(term, Terminator::End) {
                                return Err(self.error_at(self.i, "#else must be followed by #end"));
                            }
                            otherwise = Some(body);
                            break;
                        }
                        Terminator::Eof => {
                            return Err(self.error_at(self.i, "Encountered <EOF>: missing #end"))
                        }
                    }
                }
                nodes.push(Node::If {
                    branches,
                    otherwise,
                });
            }
            "elseif" | "else" | "end" => {
                if !in_block {
                    return Err(
                        self.error_at(start, format!("Encountered \"#{word}\" outside a block"))
                    );
                }
                self.i = end;
                let term = match word.as_str() {
                    "elseif" => {
                        let e = self.paren_expr()?;
                        Terminator::ElseIf(e)
                    }
                    "else" => Terminator::Else,
                    _ => Terminator::End,
                };
                self.gobble_line_end();
                self.token_end = self.i;
                return Ok(Some(term));
            }
            "foreach" => {
                Self::flush(text, nodes);
                self.i = end;
                self.skip_ws();
                self.expect('(')?;
                self.skip_ws();
                let var = self.simple_variable()?;
                self.skip_ws();
                let iterable = if self.starts_with(self.i, "in")
                    && !self.peek_at(self.i + 2).is_some_and(is_ident_char)
                {
                    self.i += 2;
                    self.skip_ws();
                    if self.peek() == Some(')') {
                        None
                    } else {
                        Some(self.expression()?)
                    }
                } else {
                    // Velocity 1.7 logs a malformed #foreach and renders nothing for it.
                    while self.peek() != Some(')') {
                        if self.peek().is_none() {
                            return Err(self.unexpected("\")\""));
                        }
                        let _ = self.parameter()?;
                        self.skip_ws();
                    }
                    None
                };
                self.skip_ws();
                self.expect(')')?;
                self.gobble_line_end();
                let (body, term) = self.parse_block(true)?;
                if !matches!(term, Terminator::End) {
                    return Err(self.error_at(self.i, "#foreach takes no #else"));
                }
                nodes.push(Node::Foreach {
                    var,
                    iterable,
                    body,
                });
            }
            "break" | "stop" => {
                Self::flush(text, nodes);
                self.i = end;
                let mut arg = None;
                let mut j = self.i;
                while matches!(self.peek_at(j), Some(' ' | '\t')) {
                    j += 1;
                }
                if self.peek_at(j) == Some('(') {
                    let mut k = j + 1;
                    while matches!(self.peek_at(k), Some(' ' | '\t' | '\n' | '\r')) {
                        k += 1;
                    }
                    if self.peek_at(k) == Some(')') {
                        // `#stop()` / `#break()`: no argument.
                        self.i = k + 1;
                    } else {
                        self.i = j;
                        arg = Some(self.paren_expr()?);
                    }
                }
                // `#stop($scope)` stops that scope, exactly as `#break($scope)` does.
                match (word.as_str(), arg) {
                    ("stop", None) => nodes.push(Node::Stop),
                    (_, arg) => nodes.push(Node::Break(arg)),
                }
            }
            "define" => {
                Self::flush(text, nodes);
                self.i = end;
                self.skip_ws();
                self.expect('(')?;
                self.skip_ws();
                if self.peek() != Some('$') {
                    return Err(self.error_at(self.i, "Invalid arg #0 in directive #define"));
                }
                let target = self
                    .try_reference(String::new(), false)?
                    .ok_or_else(|| self.error_at(self.i, "Invalid arg #0 in directive #define"))?;
                // `#define($a.b)` parses but defines nothing usable.
                let name = if target.chain.is_empty() {
                    target.root
                } else {
                    String::new()
                };
                self.skip_ws();
                self.expect(')')?;
                self.gobble_line_end();
                let (body, term) = self.parse_block(true)?;
                if !matches!(term, Terminator::End) {
                    return Err(self.error_at(self.i, "#define takes no #else"));
                }
                self.blocks.push(body);
                nodes.push(Node::Define {
                    name,
                    block: self.blocks.len() - 1,
                });
            }
            "macro" => {
                Self::flush(text, nodes);
                self.i = end;
                self.macro_definition()?;
            }
            _ => {
                self.macro_call(start, end, word, text, nodes)?;
            }
        }
        self.token_end = self.i;
        Ok(None)
    }

    fn macro_call(
        &mut self,
        start: usize,
        end: usize,
        word: String,
        text: &mut String,
        nodes: &mut Vec<Node>,
    ) -> Result<(), ParseError> {
        let (block_call, name) = match word.strip_prefix('@') {
            Some(n) => (true, n.to_string()),
            None => (false, word.clone()),
        };
        let known = self.macros.iter().any(|m| m.name == name);
        let mut j = end;
        while matches!(self.peek_at(j), Some(' ' | '\t')) {
            j += 1;
        }
        let has_parens = self.peek_at(j) == Some('(');
        if !has_parens && !known && !block_call {
            text.extend(self.chars.get(start..end).unwrap_or_default().iter());
            self.i = end;
            return Ok(());
        }
        Self::flush(text, nodes);
        let args = if has_parens {
            self.i = j + 1;
            self.paren_list(|p, at, _| match at {
                None => Err(p.unexpected("\")\"")),
                Some(_) => p.parameter(),
            })?
        } else {
            self.i = end;
            Vec::new()
        };
        let mut literal: String = self.text(start, self.i);
        let body = if block_call {
            let body_start = self.i;
            self.gobble_line_end();
            let (body, term) = self.parse_block(true)?;
            if !matches!(term, Terminator::End) {
                return Err(self.error_at(self.i, "block macro call takes no #else"));
            }
            literal = self.text(start, self.i);
            let _ = body_start;
            self.blocks.push(body);
            Some(self.blocks.len() - 1)
        } else {
            if has_parens {
                self.gobble_line_end();
            }
            None
        };
        nodes.push(Node::MacroCall {
            name,
            args,
            literal,
            body,
        });
        Ok(())
    }

    fn macro_definition(&mut self) -> Result<(), ParseError> {
        self.skip_ws();
        self.expect('(')?;
        self.skip_ws();
        let name_start = self.i;
        if !self.peek().is_some_and(is_ident_start) {
            return Err(self.error_at(name_start, "Invalid arg #0 in directive #macro"));
        }
        while self.peek().is_some_and(is_word_char) {
            self.i += 1;
        }
        let name: String = self.text(name_start, self.i);
        let params = self.paren_list(|p, at, read| match at {
            Some('$') => p.simple_variable(),
            _ => Err(p.error_at(
                name_start,
                format!("Invalid arg #{} in directive #macro", read + 1),
            )),
        })?;
        self.gobble_line_end();
        let (body, term) = self.parse_block(true)?;
        if !matches!(term, Terminator::End) {
            return Err(self.error_at(self.i, "#macro takes no #else"));
        }
        self.blocks.push(body);
        let id = self.blocks.len() - 1;
        if !self.macros.iter().any(|m| m.name == name) {
            self.macros.push(MacroDef {
                name,
                params,
                body: id,
            });
        }
        Ok(())
    }

    /// `$name` or `${name}` (no chain), as in `#foreach($x in …)` and `#define($x)`.
    fn simple_variable(&mut self) -> Result<String, ParseError> {
        let start = self.i;
        self.expect('$')?;
        if self.peek() == Some('!') {
            self.i += 1;
        }
        let braced = self.peek() == Some('{');
        if braced {
            self.i += 1;
        }
        let name = self
            .identifier()
            .ok_or_else(|| self.error_at(start, "expected a variable"))?;
        if braced {
            self.expect('}')?;
        }
        Ok(name)
    }

    fn identifier(&mut self) -> Option<String> {
        if !self.peek().is_some_and(is_ident_start) {
            return None;
        }
        let s = self.i;
        while self.peek().is_some_and(is_ident_char) {
            self.i += 1;
        }
        Some(self.text(s, self.i))
    }

    /// `#set( $ref = expr )`.
    fn set_directive(&mut self) -> Result<Node, ParseError> {
        self.skip_ws();
        self.expect('(')?;
        self.skip_ws();
        if self.peek() != Some('$') {
            return Err(self.unexpected("a reference"));
        }
        let target = self
            .try_reference(String::new(), false)?
            .ok_or_else(|| self.unexpected("a reference"))?;
        self.skip_ws();
        self.expect('=')?;
        let value = self.expression()?;
        self.skip_ws();
        self.expect(')')?;
        Ok(Node::Set { target, value })
    }

    /// `( expr )` after `#if`, `#elseif`, `#break`.
    fn paren_expr(&mut self) -> Result<Expr, ParseError> {
        self.skip_ws();
        self.expect('(')?;
        let e = self.expression()?;
        self.skip_ws();
        self.expect(')')?;
        Ok(e)
    }

    /// Tries to read a reference at the cursor (which is on `$`). `None` (cursor unchanged)
    /// when what follows is not a reference, so the `$` is text.
    fn try_reference(
        &mut self,
        esc_prefix: String,
        escaped: bool,
    ) -> Result<Option<Reference>, ParseError> {
        let start = self.i;
        let mut j = start + 1;
        let silent = self.peek_at(j) == Some('!');
        if silent {
            j += 1;
        }
        let braced = self.peek_at(j) == Some('{');
        if braced {
            j += 1;
        }
        if !self.peek_at(j).is_some_and(is_ident_start) {
            return Ok(None);
        }
        self.i = j;
        let root = self.identifier().unwrap_or_default();
        let chain = self.reference_chain(braced)?;
        if braced {
            if self.peek() != Some('}') {
                return Err(self.unexpected("\"}\""));
            }
            self.i += 1;
        }
        let literal: String = self.text(start, self.i);
        Ok(Some(Reference {
            root,
            chain,
            literal,
            esc_prefix,
            escaped,
        }))
    }

    fn reference_chain(&mut self, braced: bool) -> Result<Vec<Segment>, ParseError> {
        let _ = braced;
        let mut chain = Vec::new();
        loop {
            match self.peek() {
                Some('.') if self.peek_at(self.i + 1).is_some_and(is_ident_start) => {
                    self.i += 1;
                    let name = self.identifier().unwrap_or_default();
                    if self.peek() == Some('(') && self.peek_at(self.i + 1).is_some() {
                        self.i += 1;
                        let args = self.method_args()?;
                        let path = match (name.as_str(), args.as_slice()) {
                            ("path" | "json", [Expr::Str(p)]) => {
                                JsonPath::parse(p).ok().map(Box::new)
                            }
                            _ => None,
                        };
                        chain.push(Segment::Method(name, args, path));
                    } else {
                        chain.push(Segment::Prop(name));
                    }
                }
                Some('[') => {
                    self.i += 1;
                    self.skip_ws();
                    let e = self.parameter()?;
                    self.skip_ws();
                    self.expect(']')?;
                    chain.push(Segment::Index(e));
                }
                _ => return Ok(chain),
            }
        }
    }

    fn method_args(&mut self) -> Result<Vec<Expr>, ParseError> {
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.i += 1;
            return Ok(args);
        }
        loop {
            self.skip_ws();
            args.push(self.parameter()?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.i += 1,
                Some(')') => {
                    self.i += 1;
                    return Ok(args);
                }
                _ => return Err(self.unexpected("\",\" or \")\"")),
            }
        }
    }

    // ---- expressions ----
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    /// The method calls of the template's first reference.
    fn calls(source: &str) -> Vec<(String, bool)> {
        let parsed = parse(source).unwrap();
        let Some(Node::Ref(r)) = parsed.nodes.first() else {
            panic!("not a reference: {source}");
        };
        r.chain
            .iter()
            .filter_map(|s| match s {
                Segment::Method(name, _, path) => Some((name.clone(), path.is_some())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn literal_json_paths_are_compiled_at_parse_time() {
        assert_eq!(calls("$input.path('$.a[0]')"), [("path".into(), true)]);
        assert_eq!(calls("$input.json('a.b')"), [("json".into(), true)]);
        // Invalid paths fail at render time, as before; dynamic ones are compiled there.
        assert_eq!(calls("$input.json('$.[')"), [("json".into(), false)]);
        assert_eq!(calls("$input.path($p)"), [("path".into(), false)]);
        assert_eq!(calls("$s.replace('a', 'b')"), [("replace".into(), false)]);
    }
}
