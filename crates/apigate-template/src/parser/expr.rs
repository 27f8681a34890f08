//! Expressions and literals of directive arguments: Velocity's operator precedence
//! (`|| && == != < <= > >= + - * / %`, `!`/`not`), numbers, strings (with interpolation),
//! lists, ranges and maps.

use super::{is_ident_char, Parser};
use crate::ast::{BinOp, Expr};
use crate::number::{parse_integer_literal, Num};
use crate::ParseError;

impl Parser {
    /// A Velocity "parameter": a literal, list, map, range or reference (no operators).
    pub(super) fn parameter(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let r = self.primary(false);
        self.leave();
        r
    }

    pub(super) fn expression(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let r = self.or_expr();
        self.leave();
        r
    }

    /// Skips whitespace and tries to read one of `ops` (symbols, or words that must not run
    /// on into an identifier).
    fn operator(&mut self, ops: &[(&str, BinOp)]) -> Option<BinOp> {
        let save = self.i;
        self.skip_ws();
        for (text, op) in ops {
            if self.starts_with(self.i, text) {
                let after = self.i + text.chars().count();
                let wordy = text.chars().all(|c| c.is_ascii_alphabetic());
                if wordy && self.peek_at(after).is_some_and(is_ident_char) {
                    continue;
                }
                // `=` alone is not an operator; `==` is handled by the table order.
                self.i = after;
                return Some(*op);
            }
        }
        self.i = save;
        None
    }

    fn or_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and_expr()?;
        while let Some(op) = self.operator(&[("||", BinOp::Or), ("or", BinOp::Or)]) {
            let right = self.and_expr()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.eq_expr()?;
        while let Some(op) = self.operator(&[("&&", BinOp::And), ("and", BinOp::And)]) {
            let right = self.eq_expr()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn eq_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.rel_expr()?;
        while let Some(op) = self.operator(&[
            ("==", BinOp::Eq),
            ("!=", BinOp::Ne),
            ("eq", BinOp::Eq),
            ("ne", BinOp::Ne),
        ]) {
            let right = self.rel_expr()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn rel_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.add_expr()?;
        while let Some(op) = self.operator(&[
            ("<=", BinOp::Le),
            (">=", BinOp::Ge),
            ("<", BinOp::Lt),
            (">", BinOp::Gt),
            ("le", BinOp::Le),
            ("ge", BinOp::Ge),
            ("lt", BinOp::Lt),
            ("gt", BinOp::Gt),
        ]) {
            let right = self.add_expr()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn add_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.mul_expr()?;
        while let Some(op) = self.operator(&[("+", BinOp::Add), ("-", BinOp::Sub)]) {
            let right = self.mul_expr()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn mul_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        while let Some(op) =
            self.operator(&[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Mod)])
        {
            let right = self.unary()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let r = self.unary_inner();
        self.leave();
        r
    }

    fn unary_inner(&mut self) -> Result<Expr, ParseError> {
        self.skip_ws();
        if self.peek() == Some('!') && self.peek_at(self.i + 1) != Some('=') {
            self.i += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.starts_with(self.i, "not") && !self.peek_at(self.i + 3).is_some_and(is_ident_char) {
            self.i += 3;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some('(') {
            self.i += 1;
            let e = self.expression()?;
            self.skip_ws();
            self.expect(')')?;
            return Ok(Expr::Paren(Box::new(e)));
        }
        self.primary(true)
    }

    fn primary(&mut self, _in_expr: bool) -> Result<Expr, ParseError> {
        self.skip_ws();
        let start = self.i;
        match self.peek() {
            Some('$') => match self.try_reference(String::new(), false)? {
                Some(r) => Ok(Expr::Ref(r)),
                None => Err(self.unexpected("a reference")),
            },
            Some('\'') | Some('"') => self.string_literal(),
            Some('[') => self.list_or_range(),
            Some('{') => self.map_literal(),
            Some(c) if c.is_ascii_digit() || c == '-' => self.number(),
            Some('.') if self.peek_at(start + 1).is_some_and(|c| c.is_ascii_digit()) => {
                self.number()
            }
            Some('t') if self.word_at(start, "true") => {
                self.i += 4;
                Ok(Expr::Bool(true))
            }
            Some('f') if self.word_at(start, "false") => {
                self.i += 5;
                Ok(Expr::Bool(false))
            }
            _ => Err(self.unexpected("an expression")),
        }
    }

    fn word_at(&self, at: usize, w: &str) -> bool {
        self.starts_with(at, w) && !self.peek_at(at + w.len()).is_some_and(is_ident_char)
    }

    fn number(&mut self) -> Result<Expr, ParseError> {
        let start = self.i;
        if self.peek() == Some('-') {
            self.i += 1;
        }
        let digits_start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        if self.i == digits_start
            && !(self.peek() == Some('.')
                && self.peek_at(self.i + 1).is_some_and(|c| c.is_ascii_digit()))
        {
            self.i = start;
            return Err(self.unexpected("a number"));
        }
        let mut is_float = false;
        if self.peek() == Some('.') && self.peek_at(self.i + 1) != Some('.') {
            is_float = true;
            self.i += 1;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let mut j = self.i + 1;
            if matches!(self.peek_at(j), Some('+' | '-')) {
                j += 1;
            }
            if self.peek_at(j).is_some_and(|c| c.is_ascii_digit()) {
                is_float = true;
                self.i = j;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.i += 1;
                }
            }
        }
        let mut text: String = self.text(start, self.i);
        if text.starts_with('.') || text.starts_with("-.") {
            text = text.replacen('.', "0.", 1);
        }
        if is_float {
            let d: f64 = text
                .parse()
                .map_err(|_| self.error_at(start, "invalid number"))?;
            Ok(Expr::Num(Num::Double(d)))
        } else {
            parse_integer_literal(&text)
                .map(Expr::Num)
                .ok_or_else(|| self.error_at(start, "integer literal too large"))
        }
    }

    fn string_literal(&mut self) -> Result<Expr, ParseError> {
        let start = self.i;
        let quote = self.peek().unwrap_or('"');
        self.i += 1;
        let mut content = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(self.error_at(self.i, "Lexical error: unterminated string literal"))
                }
                Some(c) if c == quote => {
                    if self.peek_at(self.i + 1) == Some(quote) {
                        content.push(quote);
                        self.i += 2;
                    } else {
                        self.i += 1;
                        break;
                    }
                }
                Some(c) => {
                    content.push(c);
                    self.i += 1;
                }
            }
        }
        // Velocity decides on interpolation from the literal as written, then decodes its
        // `\uXXXX` escapes (double-quoted literals only), then interpolates.
        let interpolate = quote == '"' && (content.contains('$') || content.contains('#'));
        if quote == '"' {
            content = unescape_unicode(&content).map_err(|m| self.error_at(start, m))?;
        }
        if interpolate {
            let mut sub = Parser {
                chars: content.chars().collect(),
                i: 0,
                base: Some(self.pos_of(start)),
                line_starts: vec![0],
                blocks: std::mem::take(&mut self.blocks),
                macros: std::mem::take(&mut self.macros),
                depth: self.depth,
                token_end: 0,
            };
            let result = sub.parse_block(false);
            self.blocks = std::mem::take(&mut sub.blocks);
            self.macros = std::mem::take(&mut sub.macros);
            let (nodes, _) = result?;
            return Ok(Expr::Interp(nodes));
        }
        Ok(Expr::Str(content))
    }

    fn list_or_range(&mut self) -> Result<Expr, ParseError> {
        self.i += 1;
        if self.peek() == Some(']') {
            self.i += 1;
            return Ok(Expr::List(Vec::new()));
        }
        self.skip_ws();
        let first = self.parameter()?;
        self.skip_ws();
        if self.starts_with(self.i, "..") && matches!(first, Expr::Ref(_) | Expr::Num(_)) {
            self.i += 2;
            self.skip_ws();
            let second = self.parameter()?;
            self.skip_ws();
            self.expect(']')?;
            return Ok(Expr::Range(Box::new(first), Box::new(second)));
        }
        let mut items = vec![first];
        loop {
            self.skip_ws();
            match self.peek() {
                Some(',') => {
                    self.i += 1;
                    self.skip_ws();
                    items.push(self.parameter()?);
                }
                Some(']') => {
                    self.i += 1;
                    return Ok(Expr::List(items));
                }
                _ => return Err(self.unexpected("\"]\" or \",\"")),
            }
        }
    }

    fn map_literal(&mut self) -> Result<Expr, ParseError> {
        self.i += 1;
        self.skip_ws();
        let mut entries = Vec::new();
        if self.peek() == Some('}') {
            self.i += 1;
            return Ok(Expr::Map(entries));
        }
        loop {
            self.skip_ws();
            let k = self.parameter()?;
            self.skip_ws();
            self.expect(':')?;
            self.skip_ws();
            let v = self.parameter()?;
            entries.push((k, v));
            self.skip_ws();
            match self.peek() {
                Some(',') => self.i += 1,
                Some('}') => {
                    self.i += 1;
                    return Ok(Expr::Map(entries));
                }
                _ => return Err(self.unexpected("\",\" or \"}\"")),
            }
        }
    }
}

/// Velocity 1.7's `ASTStringLiteral.unescape`: each `\u` followed by four characters becomes the
/// UTF-16 unit they spell in hex (`Integer.parseInt(.., 16)` cast to `char`, so a sign is
/// accepted and the value truncated); a `\u` with fewer than four characters after it, or ones
/// that are not hex, fails the template, as Java throws there. Nothing else is unescaped.
fn unescape_unicode(s: &str) -> Result<String, String> {
    if !s.contains("\\u") {
        return Ok(s.to_string());
    }
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut out: Vec<u16> = Vec::with_capacity(units.len());
    let mut i = 0;
    while let Some(&c) = units.get(i) {
        if c == u16::from(b'\\') && units.get(i + 1) == Some(&u16::from(b'u')) {
            let Some(hex) = units.get(i + 2..i + 6) else {
                return Err(format!(
                    "StringIndexOutOfBoundsException: begin {}, end {}, length {}",
                    i + 2,
                    i + 6,
                    units.len()
                ));
            };
            let text = String::from_utf16_lossy(hex);
            let value = i32::from_str_radix(&text, 16).map_err(|_| {
                format!("NumberFormatException: For input string: \"{text}\" under radix 16")
            })?;
            // Java's `(char) int`: the low 16 bits.
            out.push(u16::try_from(value & 0xFFFF).unwrap_or(0));
            i += 6;
        } else {
            out.push(c);
            i += 1;
        }
    }
    Ok(String::from_utf16_lossy(&out))
}
