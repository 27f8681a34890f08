//! Java numbers as Velocity 1.7 sees them: `Integer`, `Long`, `BigInteger` (modelled as
//! `i128`) and `Double`, with Velocity's `MathUtils` widening rules and Java's
//! `Double.toString` formatting.

use std::cmp::Ordering;

/// A boxed Java number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// `java.lang.Integer`.
    Int(i32),
    /// `java.lang.Long`.
    Long(i64),
    /// `java.math.BigInteger` (values beyond `i128` are not modelled).
    Big(i128),
    /// `java.lang.Double` (also stands in for `Float` and `BigDecimal`).
    Double(f64),
}

/// The arithmetic operators of VTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl Num {
    /// The smallest Java integer type holding `v` (Integer, Long, then BigInteger).
    pub fn from_i128(v: i128) -> Num {
        if let Ok(i) = i32::try_from(v) {
            Num::Int(i)
        } else if let Ok(l) = i64::try_from(v) {
            Num::Long(l)
        } else {
            Num::Big(v)
        }
    }

    /// Integer value, if this is an integer type.
    pub fn as_i128(self) -> Option<i128> {
        match self {
            Num::Int(i) => Some(i128::from(i)),
            Num::Long(l) => Some(i128::from(l)),
            Num::Big(b) => Some(b),
            Num::Double(_) => None,
        }
    }

    /// Java's `Number.doubleValue()`.
    #[allow(clippy::cast_precision_loss)]
    pub fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => f64::from(i),
            Num::Long(l) => l as f64,
            Num::Big(b) => b as f64,
            Num::Double(d) => d,
        }
    }

    /// Java's `Number.intValue()` (truncating, as Java's narrowing does).
    #[allow(clippy::cast_possible_truncation)]
    pub fn as_i32(self) -> i32 {
        match self {
            Num::Int(i) => i,
            Num::Long(l) => l as i32,
            Num::Big(b) => b as i32,
            Num::Double(d) => {
                if d.is_nan() {
                    0
                } else {
                    d as i32
                }
            }
        }
    }

    /// Whether the value is zero (Velocity refuses to divide by it).
    pub fn is_zero(self) -> bool {
        match self {
            Num::Double(d) => d == 0.0,
            other => other.as_i128() == Some(0),
        }
    }

    /// Rank for Velocity's "result type is the widest operand type" rule.
    fn rank(self) -> u8 {
        match self {
            Num::Int(_) => 0,
            Num::Long(_) => 1,
            Num::Big(_) => 2,
            Num::Double(_) => 3,
        }
    }

    /// Java's `toString()`.
    pub fn to_java_string(self) -> String {
        match self {
            Num::Int(i) => i.to_string(),
            Num::Long(l) => l.to_string(),
            Num::Big(b) => b.to_string(),
            Num::Double(d) => java_double_to_string(d),
        }
    }
}

/// Wraps an integer result in the widest type of the operands, widening further on overflow
/// (Velocity's `MathUtils.wrapPrimitive`).
fn wrap(v: i128, a: Num, b: Num) -> Num {
    let rank = a.rank().max(b.rank());
    match rank {
        0 => Num::from_i128(v),
        1 => match i64::try_from(v) {
            Ok(l) => Num::Long(l),
            Err(_) => Num::Big(v),
        },
        _ => Num::Big(v),
    }
}

/// Velocity 1.7 arithmetic; `None` is Velocity's null (division or modulo by zero, or an
/// overflow beyond what is modelled).
pub fn arith(op: ArithOp, a: Num, b: Num) -> Option<Num> {
    if matches!(op, ArithOp::Div | ArithOp::Mod) && b.is_zero() {
        return None;
    }
    match (a.as_i128(), b.as_i128()) {
        (Some(x), Some(y)) => {
            let both_big = matches!(a, Num::Big(_)) || matches!(b, Num::Big(_));
            let r = match op {
                ArithOp::Add => x.checked_add(y)?,
                ArithOp::Sub => x.checked_sub(y)?,
                ArithOp::Mul => x.checked_mul(y)?,
                ArithOp::Div => x.checked_div(y)?,
                ArithOp::Mod => x.checked_rem(y)?,
            };
            if both_big {
                Some(Num::Big(r))
            } else {
                Some(wrap(r, a, b))
            }
        }
        _ => {
            let (x, y) = (a.as_f64(), b.as_f64());
            Some(Num::Double(match op {
                ArithOp::Add => x + y,
                ArithOp::Sub => x - y,
                ArithOp::Mul => x * y,
                ArithOp::Div => x / y,
                ArithOp::Mod => x % y,
            }))
        }
    }
}

/// Numeric comparison across types (`MathUtils.compare`).
pub fn compare(a: Num, b: Num) -> Ordering {
    match (a.as_i128(), b.as_i128()) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a
            .as_f64()
            .partial_cmp(&b.as_f64())
            .unwrap_or(Ordering::Equal),
    }
}

/// Java's `Double.toString(d)`: plain notation for 10^-3 <= |d| < 10^7, otherwise
/// computerised scientific notation (`1.0E10`), always with a fractional digit.
pub fn java_double_to_string(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let abs = d.abs();
    if (1e-3..1e7).contains(&abs) {
        let s = format!("{d}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let s = format!("{d:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exp}")
    }
}

/// Parses a VTL integer literal: Integer, else Long, else BigInteger.
pub fn parse_integer_literal(s: &str) -> Option<Num> {
    s.parse::<i128>().ok().map(Num::from_i128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_java() {
        assert_eq!(java_double_to_string(1.0), "1.0");
        assert_eq!(java_double_to_string(1e10), "1.0E10");
        assert_eq!(java_double_to_string(1e-7), "1.0E-7");
        assert_eq!(java_double_to_string(100000.0), "100000.0");
        assert_eq!(java_double_to_string(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(java_double_to_string(-2147483644.5), "-2.1474836445E9");
        assert_eq!(java_double_to_string(0.001), "0.001");
    }

    #[test]
    fn integer_overflow_widens() {
        assert_eq!(
            arith(ArithOp::Add, Num::Int(i32::MAX), Num::Int(1)),
            Some(Num::Long(2147483648))
        );
        assert_eq!(
            arith(ArithOp::Div, Num::Int(7), Num::Int(-2)),
            Some(Num::Int(-3))
        );
        assert_eq!(arith(ArithOp::Div, Num::Int(7), Num::Int(0)), None);
        assert_eq!(arith(ArithOp::Mod, Num::Double(7.0), Num::Int(0)), None);
    }
}
