//! The protobuf wire format, read: varints, tags and the fields of one message, each failure with the
//! byte offset it was found at.

use std::fmt;

/// Why bytes do not decode, and where (an offset from the start of the body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireError {
    pub(crate) at: usize,
    pub(crate) message: String,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}: {}", self.at, self.message)
    }
}

/// The value of one field as the wire holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    /// A string, bytes, a nested message or a packed run; with the offset of its first byte.
    Len(&'a [u8], usize),
}

impl Value<'_> {
    pub(crate) fn wire_name(&self) -> &'static str {
        match self {
            Value::Varint(_) => "a varint",
            Value::Fixed64(_) => "a 64-bit value",
            Value::Fixed32(_) => "a 32-bit value",
            Value::Len(..) => "a length-delimited value",
        }
    }
}

/// Reads a varint from `bytes` at `*pos`, advancing it; `base` is the offset of `bytes` in the body.
pub(crate) fn varint(bytes: &[u8], pos: &mut usize, base: usize) -> Result<u64, WireError> {
    let start = *pos;
    let mut value = 0u64;
    for i in 0..10 {
        let Some(&byte) = bytes.get(*pos) else {
            return Err(WireError {
                at: base + start,
                message: "a varint is cut off by the end of its message".into(),
            });
        };
        *pos += 1;
        if i == 9 && byte > 1 {
            return Err(WireError { at: base + start, message: "a varint overflows 64 bits".into() });
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(WireError { at: base + start, message: "a varint longer than ten bytes".into() })
}

/// The fields of one message, in order: `(field number, value, offset of its tag)`.
#[derive(Debug)]
pub(crate) struct Fields<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: usize,
    failed: bool,
}

impl<'a> Fields<'a> {
    /// The fields of the message `bytes`, which starts at offset `base` of the body.
    pub(crate) fn new(bytes: &'a [u8], base: usize) -> Self {
        Fields { bytes, pos: 0, base, failed: false }
    }

    fn field(&mut self) -> Result<(u32, Value<'a>, usize), WireError> {
        let at = self.base + self.pos;
        let key = varint(self.bytes, &mut self.pos, self.base)?;
        let number = key >> 3;
        if number == 0 || number > u64::from(u32::MAX >> 3) {
            return Err(WireError { at, message: format!("field number {number} is not valid") });
        }
        let take = |fields: &mut Self, n: usize| -> Result<&'a [u8], WireError> {
            let end = fields.pos.checked_add(n).filter(|end| *end <= fields.bytes.len()).ok_or_else(|| WireError {
                at,
                message: format!("field {number} needs {n} bytes, past the end of its message"),
            })?;
            let slice = &fields.bytes[fields.pos..end];
            fields.pos = end;
            Ok(slice)
        };
        let value = match key & 7 {
            0 => Value::Varint(varint(self.bytes, &mut self.pos, self.base)?),
            1 => Value::Fixed64(u64::from_le_bytes(take(self, 8)?.try_into().expect("eight bytes"))),
            2 => {
                let len = varint(self.bytes, &mut self.pos, self.base)?;
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                let offset = self.base + self.pos;
                Value::Len(take(self, len)?, offset)
            }
            5 => Value::Fixed32(u32::from_le_bytes(take(self, 4)?.try_into().expect("four bytes"))),
            wire => {
                return Err(WireError {
                    at,
                    message: format!("field {number} has wire type {wire}, which is not used"),
                });
            }
        };
        Ok((number as u32, value, at))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>, usize), WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.bytes.len() {
            return None;
        }
        let field = self.field();
        self.failed = field.is_err();
        Some(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_their_failures() {
        let mut pos = 0;
        assert_eq!(varint(&[0x96, 0x01], &mut pos, 0), Ok(150));
        assert_eq!(pos, 2);
        let mut pos = 0;
        assert!(varint(&[0x80], &mut pos, 7).unwrap_err().message.contains("cut off"));
        let mut pos = 0;
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(varint(&max, &mut pos, 0), Ok(u64::MAX));
        let mut pos = 0;
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(varint(&over, &mut pos, 0).unwrap_err().message.contains("overflows"));
    }

    #[test]
    fn fields_in_order_and_a_cut_one() {
        // name = "ab" (field 1), type = 1 (field 3), then a double cut short.
        let bytes = [0x0a, 2, b'a', b'b', 0x18, 1, 0x09, 0, 0];
        let fields: Vec<_> = Fields::new(&bytes, 10).collect();
        assert_eq!(fields[0], Ok((1, Value::Len(b"ab", 12), 10)));
        assert_eq!(fields[1], Ok((3, Value::Varint(1), 14)));
        let err = fields[2].clone().unwrap_err();
        assert_eq!(err.at, 16);
        assert!(err.message.contains("past the end"), "{err}");
        assert_eq!(fields.len(), 3, "nothing after a failure");
    }
}
