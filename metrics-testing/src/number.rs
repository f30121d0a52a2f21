//! The number grammars of the two formats: OpenMetrics' `number` and timestamps, and Go's
//! `strconv.ParseFloat`, which Prometheus uses to read the text format 0.0.4.

use crate::lex::scan;

/// `[sign] digits ["." digits] ["e" [sign] digits]`, with a digit before or after the dot: the OpenMetrics
/// `realnumber`.
fn is_real_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int = scan(b, i, |c| c.is_ascii_digit()) - i;
    i += int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac = scan(b, i, |c| c.is_ascii_digit()) - i;
        i += frac;
    }
    if int == 0 && frac == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = scan(b, i, |c| c.is_ascii_digit()) - i;
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == b.len()
}

/// An OpenMetrics `number`: a real number, `[sign] Inf|Infinity` or `NaN`, case-insensitively.
pub(crate) fn om_number(s: &str) -> Option<f64> {
    if s.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity") {
        return Some(if negative { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    if !is_real_number(s) {
        return None;
    }
    s.parse().ok()
}

/// An OpenMetrics timestamp: a real number of seconds (never NaN or infinite).
pub(crate) fn om_timestamp(s: &str) -> Option<f64> {
    if !is_real_number(s) {
        return None;
    }
    s.parse().ok().filter(|t: &f64| t.is_finite())
}

/// A number as Go's `strconv.ParseFloat` reads it: decimal or hexadecimal (with a `p` exponent), digits
/// separated by underscores, `[sign] Inf|Infinity` and `NaN` in any case.
pub(crate) fn go_float(s: &str) -> Option<f64> {
    if s.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity") {
        return Some(if negative { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    let underscores = body.contains('_');
    if underscores && !go_underscores_ok(body) {
        return None;
    }
    let digits: std::borrow::Cow<'_, str> = if underscores { body.replace('_', "").into() } else { body.into() };
    let magnitude = if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        hex_float(hex)?
    } else {
        if !is_real_number(&digits) {
            return None;
        }
        digits.parse::<f64>().ok()?
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// Go's rule for underscores in a number (sign already removed): only between digits, or between a base
/// prefix and a digit.
fn go_underscores_ok(s: &str) -> bool {
    let b = s.as_bytes();
    // What came last: '^' the start, '0' a digit or base prefix, '_' an underscore, '!' anything else.
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// The hexadecimal float after `0x`: `hexdigits[.hexdigits]p[sign]digits`, the exponent required.
fn hex_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut mantissa: u128 = 0;
    let mut exp: i64 = 0;
    let mut digits = 0;
    let mut i = 0;
    let mut dot = false;
    while i < b.len() {
        let c = b[i];
        if c == b'.' && !dot {
            dot = true;
        } else if let Some(d) = (c as char).to_digit(16) {
            digits += 1;
            if mantissa >> 120 == 0 {
                mantissa = (mantissa << 4) | u128::from(d);
                if dot {
                    exp -= 4;
                }
            } else if !dot {
                exp += 4;
            }
        } else {
            break;
        }
        i += 1;
    }
    if digits == 0 || !matches!(b.get(i), Some(b'p' | b'P')) {
        return None;
    }
    let rest = &s[i + 1..];
    let unsigned = rest.strip_prefix(['+', '-']).unwrap_or(rest);
    if unsigned.is_empty() || !unsigned.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let p: i64 = rest.parse().unwrap_or(if rest.starts_with('-') { -100_000 } else { 100_000 });
    let mut value = mantissa as f64;
    let mut e = (exp + p).clamp(-100_000, 100_000);
    while e > 0 && value.is_finite() && value != 0.0 {
        let step = e.min(1000);
        value *= 2f64.powi(step as i32);
        e -= step;
    }
    while e < 0 && value != 0.0 {
        let step = (-e).min(1000);
        value /= 2f64.powi(step as i32);
        e += step;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openmetrics_numbers() {
        for (s, v) in [("1", 1.0), ("-1.5e3", -1500.0), ("1.", 1.0), (".5", 0.5), ("+Inf", f64::INFINITY)] {
            assert_eq!(om_number(s), Some(v), "{s}");
        }
        for s in ["-infinity", "INF", "inf"] {
            assert!(om_number(s).unwrap().is_infinite(), "{s}");
        }
        assert!(om_number("NaN").unwrap().is_nan());
        for s in ["", "a", "1_2", "0x1p-3", "0b1", "1e", ".", "+nan", "1 ", " 1", "1.2.3", "Inf1"] {
            assert_eq!(om_number(s), None, "{s:?}");
        }
        assert_eq!(om_timestamp("1.5e3"), Some(1500.0));
        assert_eq!(om_timestamp("Inf"), None);
        assert_eq!(om_timestamp("NaN"), None);
    }

    #[test]
    fn go_floats() {
        let cases = [
            ("1", 1.0),
            ("-2.5", -2.5),
            ("1_000", 1000.0),
            ("1_0.2_5", 10.25),
            ("0x1p-3", 0.125),
            ("0X1.8P1", 3.0),
            ("-0x_1p4", -16.0),
            ("1e3", 1000.0),
            ("+Inf", f64::INFINITY),
            ("-infinity", f64::NEG_INFINITY),
        ];
        for (s, v) in cases {
            assert_eq!(go_float(s), Some(v), "{s}");
        }
        assert!(go_float("nan").unwrap().is_nan());
        for s in ["", "_1", "1_", "1__0", "1_.5", "0x1", "0b1", "0o1", "+NaN", "1e", "0x1p", "1e1_", "abc"] {
            assert_eq!(go_float(s), None, "{s:?}");
        }
        assert_eq!(go_float("0x1p1100"), Some(f64::INFINITY));
        assert_eq!(go_float("0x1p-1100"), Some(0.0));
    }
}
