//! The protobuf wire format, as far as the exposition needs it: varints, field tags, doubles, strings and
//! length-delimited frames whose length is written once their content is.
//!
//! A frame reserves a guess of its length prefix's width before its content and fixes the prefix when
//! it ends: a right guess costs nothing, a wrong one moves the content by the difference. The guesses
//! come from what the previous frame of the same kind needed (see [`Frame::begin`]).

/// Wire type 0: a varint.
pub(crate) const VARINT: u8 = 0;
/// Wire type 1: eight bytes, little-endian (a double).
pub(crate) const FIXED64: u8 = 1;
/// Wire type 2: a length, then that many bytes (strings, messages, packed fields).
pub(crate) const LEN: u8 = 2;

/// The tag of field `field` with wire type `wire`, for fields below 16 (one byte).
#[inline]
pub(crate) const fn tag(field: u8, wire: u8) -> u8 {
    debug_assert!(field < 16);
    field << 3 | wire
}

/// The number of bytes the varint of `v` takes.
#[inline]
pub(crate) const fn varint_len(v: u64) -> usize {
    // One byte per seven significant bits, at least one.
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Appends the varint of `v`: one byte inline, the longer ones out of line.
#[inline(always)]
pub(crate) fn put_varint(buf: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        buf.push(v as u8);
    } else {
        put_long_varint(buf, v);
    }
}

#[inline(never)]
fn put_long_varint(buf: &mut Vec<u8>, mut v: u64) {
    // Byte by byte: a copy from a stack buffer would be a call to `memcpy` of a varying length.
    while v >= 0x80 {
        buf.push(v as u8 | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Writes the varint of `v` into exactly `width` bytes at `out`; `width` is `varint_len(v)`.
#[inline]
fn write_varint_at(out: &mut [u8], mut v: u64) {
    let last = out.len() - 1;
    for byte in &mut out[..last] {
        *byte = v as u8 | 0x80;
        v >>= 7;
    }
    out[last] = v as u8;
    debug_assert_eq!(v >> 7, 0, "the varint does not fit its width");
}

/// Appends a varint field.
#[inline]
pub(crate) fn put_varint_field(buf: &mut Vec<u8>, field: u8, v: u64) {
    buf.push(tag(field, VARINT));
    put_varint(buf, v);
}

/// Appends a double field.
#[inline]
pub(crate) fn put_f64_field(buf: &mut Vec<u8>, field: u8, v: f64) {
    buf.push(tag(field, FIXED64));
    buf.extend_from_slice(&v.to_le_bytes());
}

/// Appends a string (or bytes) field.
#[inline]
pub(crate) fn put_str_field(buf: &mut Vec<u8>, field: u8, s: &[u8]) {
    buf.push(tag(field, LEN));
    put_varint(buf, s.len() as u64);
    buf.extend_from_slice(s);
}

/// The bytes a string field of `len` bytes takes, tag included (fields below 16).
#[inline]
pub(crate) const fn str_field_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// A `google.protobuf.Timestamp` (`seconds` = 1, `nanos` = 2) for `seconds` since the epoch, kept to the
/// microsecond (a double near today's epoch holds no finer digits): the whole seconds and the nanoseconds,
/// `nanos` in `0..1e9`. `None` for a time that is not finite.
#[inline]
pub(crate) fn timestamp_parts(seconds: f64) -> Option<(i64, u32)> {
    let micros = seconds * 1e6;
    if micros.is_nan() || micros.abs() >= 9.0e18 {
        return None;
    }
    // Rounded half away from zero by the cast, which truncates (`round` is a libm call).
    let micros = if micros < 0.0 { (micros - 0.5) as i64 } else { (micros + 0.5) as i64 };
    Some((micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000) as u32 * 1000))
}

/// The bytes of the `Timestamp` message body of [`timestamp_parts`].
#[inline]
pub(crate) const fn timestamp_len(secs: i64, nanos: u32) -> usize {
    let mut len = 0;
    if secs != 0 {
        len += 1 + varint_len(secs as u64);
    }
    if nanos != 0 {
        len += 1 + varint_len(nanos as u64);
    }
    len
}

/// Appends field `field` holding the timestamp `(secs, nanos)`; a zero part is left out, as proto3 does.
#[inline]
pub(crate) fn put_timestamp_field(buf: &mut Vec<u8>, field: u8, (secs, nanos): (i64, u32)) {
    buf.push(tag(field, LEN));
    put_varint(buf, timestamp_len(secs, nanos) as u64);
    if secs != 0 {
        // int64: negative values are ten-byte varints of their two's complement.
        put_varint_field(buf, 1, secs as u64);
    }
    if nanos != 0 {
        put_varint_field(buf, 2, u64::from(nanos));
    }
}

/// A short run of fields assembled on the stack and appended to the buffer with one copy of a fixed
/// length (which the compiler inlines, where many small pushes or a copy of a varying length would not
/// be): a series' value and creation time. Holds at most [`Short::CAPACITY`] bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Short {
    bytes: [u8; Short::CAPACITY],
    len: usize,
}

impl Short {
    /// The most bytes a run holds: a counter's `Counter` field with its value and a `Timestamp` of
    /// ten-byte seconds (2 + 9 + 2 + 11 + 6 = 30).
    pub(crate) const CAPACITY: usize = 32;

    #[inline(always)]
    pub(crate) fn new() -> Self {
        Short { bytes: [0; Short::CAPACITY], len: 0 }
    }

    #[inline(always)]
    pub(crate) fn byte(&mut self, b: u8) {
        self.bytes[self.len] = b;
        self.len += 1;
    }

    #[inline(always)]
    pub(crate) fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.byte(v as u8 | 0x80);
            v >>= 7;
        }
        self.byte(v as u8);
    }

    #[inline(always)]
    pub(crate) fn f64_field(&mut self, field: u8, v: f64) {
        self.byte(tag(field, FIXED64));
        self.bytes[self.len..self.len + 8].copy_from_slice(&v.to_le_bytes());
        self.len += 8;
    }

    /// Field `field` holding the timestamp `(secs, nanos)`, as [`put_timestamp_field`] writes it.
    #[inline(always)]
    pub(crate) fn timestamp_field(&mut self, field: u8, (secs, nanos): (i64, u32)) {
        self.byte(tag(field, LEN));
        self.byte(timestamp_len(secs, nanos) as u8);
        if secs != 0 {
            self.byte(tag(1, VARINT));
            self.varint(secs as u64);
        }
        if nanos != 0 {
            self.byte(tag(2, VARINT));
            self.varint(u64::from(nanos));
        }
    }

    /// Appends the run to `buf`.
    #[inline(always)]
    pub(crate) fn append_to(&self, buf: &mut Vec<u8>) {
        let end = buf.len() + self.len;
        buf.extend_from_slice(&self.bytes);
        buf.truncate(end);
    }
}

/// A length-delimited frame being written: its prefix reserved at `at`, `width` bytes wide.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    at: usize,
    width: u8,
}

impl Frame {
    /// Reserves a length prefix of `guess` bytes (1 to 5) at the end of `buf`; the content follows.
    #[inline]
    pub(crate) fn begin(buf: &mut Vec<u8>, guess: u8) -> Frame {
        let guess = guess.clamp(1, 5);
        let at = buf.len();
        for _ in 0..guess {
            buf.push(0);
        }
        Frame { at, width: guess }
    }

    /// Where the frame's prefix starts in the buffer.
    #[inline]
    pub(crate) fn start(self) -> usize {
        self.at
    }

    /// The bytes of content written since [`Frame::begin`].
    #[inline]
    pub(crate) fn content_len(self, buf: &[u8]) -> usize {
        buf.len() - self.at - usize::from(self.width)
    }

    /// Writes the length of the content written since [`Frame::begin`] into the prefix, moving the
    /// content when the prefix needs another width than reserved; returns the width it needed, the guess
    /// for the next frame of its kind.
    #[inline]
    pub(crate) fn end(self, buf: &mut Vec<u8>) -> u8 {
        let len = self.content_len(buf);
        let needed = varint_len(len as u64);
        let reserved = usize::from(self.width);
        let content = self.at + reserved;
        if needed != reserved {
            let end = buf.len();
            if needed > reserved {
                buf.resize(end + needed - reserved, 0);
                buf.copy_within(content..end, self.at + needed);
            } else {
                buf.copy_within(content..end, self.at + needed);
                buf.truncate(end - (reserved - needed));
            }
        }
        write_varint_at(&mut buf[self.at..self.at + needed], len as u64);
        needed as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(v: u64) -> Vec<u8> {
        let mut buf = Vec::new();
        put_varint(&mut buf, v);
        buf
    }

    #[test]
    fn varints_as_the_spec_writes_them() {
        assert_eq!(varint(0), [0]);
        assert_eq!(varint(1), [1]);
        assert_eq!(varint(127), [0x7f]);
        assert_eq!(varint(128), [0x80, 0x01]);
        assert_eq!(varint(150), [0x96, 0x01]);
        assert_eq!(varint(16_383), [0xff, 0x7f]);
        assert_eq!(varint(16_384), [0x80, 0x80, 0x01]);
        assert_eq!(varint(u64::MAX).len(), 10);
        for v in [0, 1, 127, 128, 300, 16_383, 16_384, 1 << 21, 1 << 28, 1 << 35, 1 << 63, u64::MAX] {
            assert_eq!(varint(v).len(), varint_len(v), "{v}");
        }
    }

    #[test]
    fn frames_fix_their_prefix_whatever_the_guess() {
        for len in [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            for guess in 1..=5u8 {
                let mut buf = vec![0xAA];
                let frame = Frame::begin(&mut buf, guess);
                buf.extend((0..len).map(|i| i as u8));
                let needed = frame.end(&mut buf);
                let mut want = vec![0xAA];
                put_varint(&mut want, len as u64);
                want.extend((0..len).map(|i| i as u8));
                assert_eq!(buf, want, "len {len}, guess {guess}");
                assert_eq!(usize::from(needed), varint_len(len as u64));
            }
        }
    }

    #[test]
    fn short_runs_write_what_the_buffer_functions_do() {
        for ts in [(1, 2), (0, 0), (1_700_000_000, 999_999_000), (-5, 0), (i64::MAX, 999_999_999)] {
            let mut short = Short::new();
            short.f64_field(1, 2.5);
            short.timestamp_field(3, ts);
            let mut got = vec![7];
            short.append_to(&mut got);
            let mut want = vec![7];
            put_f64_field(&mut want, 1, 2.5);
            put_timestamp_field(&mut want, 3, ts);
            assert_eq!(got, want, "{ts:?}");
        }
    }

    #[test]
    fn timestamps_to_the_microsecond() {
        assert_eq!(timestamp_parts(1_700_000_000.123), Some((1_700_000_000, 123_000_000)));
        assert_eq!(timestamp_parts(0.0), Some((0, 0)));
        assert_eq!(timestamp_parts(-1.5), Some((-2, 500_000_000)));
        assert_eq!(timestamp_parts(f64::NAN), None);
        assert_eq!(timestamp_parts(f64::INFINITY), None);
        let mut buf = Vec::new();
        put_timestamp_field(&mut buf, 3, (1, 2));
        assert_eq!(buf, [0x1a, 4, 0x08, 1, 0x10, 2]);
        assert_eq!(timestamp_len(1, 2), 4);
    }
}
