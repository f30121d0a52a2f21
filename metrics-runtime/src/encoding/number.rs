//! Sample values and their text: [`Number`], integers through `itoa`, floats in Go float syntax through
//! `ryu`, timestamps of whole milliseconds with three decimals, and the canonical text of bucket bounds.

/// A sample value: exact integers stay integers, floats are written in Go float syntax.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An unsigned integer (counters).
    U64(u64),
    /// A signed integer (gauges).
    I64(i64),
    /// A float; `+Inf`, `-Inf` and `NaN` are written as such.
    F64(f64),
}

impl From<u64> for Number {
    fn from(v: u64) -> Self {
        Number::U64(v)
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Self {
        Number::I64(v)
    }
}

impl From<f64> for Number {
    fn from(v: f64) -> Self {
        Number::F64(v)
    }
}

/// Writes seconds since the epoch. A time of whole milliseconds, as [`now_epoch_seconds`](super::now_epoch_seconds) reads them, is
/// written as seconds and three decimals (`1763781234.567`) with integer formatting; any other as a float.
pub(super) fn write_timestamp(buf: &mut Vec<u8>, seconds: f64) {
    // Below 2^53 milliseconds every count is exact in a float. The decimal text written is the exact value
    // `ms / 1000`, and the division gives the float nearest to it, so a parser reads back `seconds` itself.
    // The cast saturates (and reads NaN as 0): the check below sends whatever it mangled to the float path.
    // Through `i64`, a single instruction each way where `u64` takes several.
    let ms = (seconds * 1000.0 + 0.5) as i64;
    if (0..9_000_000_000_000_000).contains(&ms) && ms as f64 / 1000.0 == seconds {
        let ms = ms as u64;
        buf.extend_from_slice(itoa::Buffer::new().format(ms / 1000).as_bytes());
        let frac = (ms % 1000) as u16;
        buf.extend_from_slice(&[
            b'.',
            b'0' + (frac / 100) as u8,
            b'0' + (frac / 10 % 10) as u8,
            b'0' + (frac % 10) as u8,
        ]);
    } else {
        write_f64(buf, seconds);
    }
}

/// Writes a value in Go float syntax (integers as integers).
pub(crate) fn write_number(buf: &mut Vec<u8>, value: Number) {
    match value {
        Number::U64(v) => buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        Number::I64(v) => buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        Number::F64(v) => write_f64(buf, v),
    }
}

fn write_f64(buf: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        buf.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        buf.extend_from_slice(if v > 0.0 { b"+Inf" } else { b"-Inf" });
    } else {
        buf.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
    }
}

/// The canonical text of a bucket bound: the form OpenMetrics requires for `le` (`0.0`, `0.25`, `1.0`,
/// `1e-05`, `1e+06`, `+Inf`), which Prometheus' text parser reads too.
///
/// It is Python's `repr` of the float, switched to an exponent from `1e+06` up as Go does: the form of the
/// reference parser's `floatToGoString`.
pub fn canonical_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    // Shortest round-trip digits and the decimal exponent, from Rust's `{:e}` (`1.25e-3`).
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always writes an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` writes an integer exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if v < 0.0 { "-" } else { "" };
    let positional = (-4..16).contains(&exp) && !(v > 0.0 && exp >= 6);
    if positional {
        let mut out = String::from(sign);
        if exp < 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
        out
    } else {
        let mut out = String::from(sign);
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::now_epoch_seconds;

    #[test]
    fn canonical_floats_match_the_reference_parser() {
        let cases = [
            (0.0, "0.0"),
            (0.25, "0.25"),
            (1.0, "1.0"),
            (10.0, "10.0"),
            (2.5, "2.5"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (123456.0, "123456.0"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (1e10, "1e+10"),
            (1e16, "1e+16"),
            (1.5e300, "1.5e+300"),
            (-1.0, "-1.0"),
            (-1e6, "-1000000.0"),
            (-1e-7, "-1e-07"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for (v, want) in cases {
            assert_eq!(canonical_float(v), want, "{v}");
        }
    }

    #[test]
    fn timestamps_of_whole_milliseconds_round_trip_with_three_decimals() {
        let text = |seconds: f64| {
            let mut buf = Vec::new();
            write_timestamp(&mut buf, seconds);
            String::from_utf8(buf).unwrap()
        };
        let mut ms: u64 = 1_763_781_234_567;
        for _ in 0..100_000 {
            let seconds = ms as f64 / 1000.0;
            let written = text(seconds);
            assert_eq!(written, format!("{}.{:03}", ms / 1000, ms % 1000));
            assert_eq!(written.parse::<f64>().unwrap(), seconds, "{written}");
            ms = ms.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) % 4_102_444_800_000;
        }
        assert_eq!(text(0.0), "0.000");
        assert_eq!(text(1.5), "1.500");
        // Anything else is written as a float, and still reads back exactly.
        for seconds in [1_763_781_234.567_891_2, 0.000_1, -1.5, 1e300, f64::INFINITY] {
            assert_eq!(text(seconds).replace("inf", "Inf").parse::<f64>().unwrap(), seconds, "{seconds}");
        }
        assert_eq!(text(f64::NAN), "NaN");
        let now = now_epoch_seconds();
        assert_eq!(text(now).len(), text(now.trunc()).len(), "{now}: three decimals");
    }

    #[test]
    fn numbers() {
        let mut buf = Vec::new();
        for v in [Number::U64(u64::MAX), Number::I64(-5), Number::F64(0.5), Number::F64(f64::NAN)] {
            write_number(&mut buf, v);
            buf.push(b' ');
        }
        write_number(&mut buf, Number::F64(f64::NEG_INFINITY));
        assert_eq!(String::from_utf8(buf).unwrap(), "18446744073709551615 -5 0.5 NaN -Inf");
    }
}
