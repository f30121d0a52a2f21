//! File permissions written in octal, as `chmod` takes them: `endpoint.unix_socket_mode`.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, Visitor};

/// Reads a mode: octal digits as text (`"0660"`, `"660"`, `"0o660"`; YAML reads an unquoted `0660` as
/// text). A number is refused: `660` is decimal to YAML, and `0o660` reaches us as 432, which reads as no
/// mode anyone writes; either way a number would be read as another mode than meant.
pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    deserializer.deserialize_any(ModeVisitor)
}

struct ModeVisitor;

impl Visitor<'_> for ModeVisitor {
    type Value = u32;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("permissions in octal, such as \"0660\"")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<u32, E> {
        parse_octal(text).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<u32, E> {
        Err(E::custom(format!(
            "the number {value} is ambiguous as permissions: write octal digits with a leading zero, such as 0660"
        )))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<u32, E> {
        self.visit_u64(value.unsigned_abs())
    }
}

/// Parses `0660`, `660` or `0o660`; at most `0o777`.
pub(super) fn parse_octal(text: &str) -> Result<u32, String> {
    let digits = text.trim();
    let digits = digits.strip_prefix("0o").unwrap_or(digits);
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return Err(format!("`{text}` is not permissions in octal, such as \"0660\""));
    }
    let mode = u32::from_str_radix(digits, 8).expect("checked octal digits");
    if mode > 0o777 {
        return Err(format!(
            "`{text}` sets bits above 0777 (setuid, setgid or sticky), which a socket file does not take"
        ));
    }
    Ok(mode)
}
