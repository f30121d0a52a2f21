//! The label text a series keeps: rendered and escaped once, read back as values.

use std::num::NonZeroU8;

use super::bytes::{half_word, word};
use super::entry::Entry;
use crate::Descriptor;
use crate::encoding::write_escaped_label_value;

/// Label text up to this many bytes is kept inside the series: most are that short (two labels with values
/// of a dozen bytes), and a series then takes one allocation instead of two.
pub(super) const INLINE_TEXT: usize = 23;

/// The label text of a series ([`Entry::text`]): inside the series when short, else on the heap.
pub(super) enum LabelText {
    /// `len` is the text's length plus one: never zero, which leaves the enum a value to tell the
    /// variants apart by, so that it takes 24 bytes like the text and its length.
    Inline {
        len: NonZeroU8,
        bytes: [u8; INLINE_TEXT],
    },
    Heap(Box<str>),
}

impl LabelText {
    /// The text of `bytes`, which are UTF-8.
    fn new(bytes: &[u8]) -> Self {
        match u8::try_from(bytes.len() + 1).ok().and_then(NonZeroU8::new) {
            Some(len) if bytes.len() <= INLINE_TEXT => {
                let mut inline = [0; INLINE_TEXT];
                inline[..bytes.len()].copy_from_slice(bytes);
                LabelText::Inline { len, bytes: inline }
            }
            _ => LabelText::Heap(std::str::from_utf8(bytes).expect("label text is UTF-8").into()),
        }
    }

    #[inline]
    pub(super) fn as_bytes(&self) -> &[u8] {
        match self {
            LabelText::Inline { len, bytes } => &bytes[..usize::from(len.get()) - 1],
            LabelText::Heap(text) => text.as_bytes(),
        }
    }

    /// The text as a string, for reading label values back (not on the paths of updates and scrapes).
    pub(super) fn as_str(&self) -> &str {
        match self {
            LabelText::Inline { .. } => std::str::from_utf8(self.as_bytes()).expect("label text is UTF-8"),
            LabelText::Heap(text) => text,
        }
    }
}

/// The label values of an [`Entry`], read back from its text.
pub(super) struct LabelValues<'a> {
    text: &'a str,
    escaped: bool,
    remaining: usize,
}

impl<'a> LabelValues<'a> {
    pub(super) fn new<C>(entry: &'a Entry<C>, count: usize) -> Self {
        match entry.parts() {
            (Some(raw), _) => LabelValues { text: raw, escaped: true, remaining: count },
            (None, text) => LabelValues { text, escaped: false, remaining: count },
        }
    }

    /// The number of label values of `entry`.
    pub(super) fn count<C>(entry: &Entry<C>) -> usize {
        match entry.parts() {
            (Some(raw), _) => LabelValues { text: raw, escaped: true, remaining: usize::MAX }.count(),
            // Plain values are never empty, so an empty text holds none; `",` ends each value but the last,
            // since plain values hold no `"`.
            (None, "") => 0,
            (None, text) => text.matches("\",").count() + 1,
        }
    }
}

impl<'a> Iterator for LabelValues<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let value;
        if self.escaped {
            let (len, rest) = self.text.split_once(':')?;
            let len: usize = len.parse().expect("raw values are `<len>:<value>`");
            (value, self.text) = rest.split_at(len);
        } else {
            // A plain value ends at the next `"`; the next one starts after `",<name>="`.
            let (head, rest) = self.text.split_once('"').unwrap_or((self.text, ""));
            value = head;
            self.text = rest.split_once("=\"").map_or("", |(_, next)| next);
        }
        Some(value)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for LabelValues<'_> {}

/// Calls `f` with each label value of a rendered text whose values are all plain (see
/// [`Entry::plain_text`]): the text is `v0","<name1>="v1"...`, and a plain value holds no `"`, so each
/// value but the last ends at the next `"` and the next one starts past its label's name. The protobuf
/// format's path, which wants the raw values; `LabelValues` reads any text, slower.
#[inline]
pub(super) fn plain_values(text: &[u8], desc: &Descriptor, mut f: impl FnMut(usize, &[u8])) {
    let count = desc.label_count();
    let mut rest = text;
    for i in 0..count {
        if i + 1 == count {
            f(i, rest);
            return;
        }
        let end = rest.iter().position(|&b| b == b'"').unwrap_or(rest.len());
        f(i, &rest[..end]);
        // `",<name>="` follows the value.
        let next = (end + 4 + desc.label_name(i + 1).len()).min(rest.len());
        rest = &rest[next..];
    }
}

/// Whether a label value is written as it is, with nothing to escape (and is not empty).
///
/// Checked a word at a time (overlapping words at the end), since every new series checks its values.
pub(super) fn is_plain(value: &str) -> bool {
    let v = value.as_bytes();
    match v.len() {
        0 => false,
        1..4 => !v.iter().any(|b| matches!(b, b'\\' | b'"' | b'\n')),
        4..8 => !needs_escape(half_word(v, 0)) && !needs_escape(half_word(v, v.len() - 4)),
        _ => {
            !v.chunks_exact(8).any(|w| needs_escape(u64::from_le_bytes(w.try_into().expect("eight bytes"))))
                && !needs_escape(word(v, v.len() - 8))
        }
    }
}

/// Whether a word holds a byte a label value escapes: `\`, `"` or a newline. A byte `b` of `x ^ c` is zero
/// where `x` holds `c`, and `(y - 0x01..) & !y & 0x80..` is not zero exactly when some byte of `y` is zero.
#[inline]
fn needs_escape(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let zero_byte = |y: u64| y.wrapping_sub(ONES) & !y & (ONES << 7);
    zero_byte(x ^ (ONES * u64::from(b'\\')))
        | zero_byte(x ^ (ONES * u64::from(b'"')))
        | zero_byte(x ^ (ONES * u64::from(b'\n')))
        != 0
}

/// The label text of a new series (see [`Entry::text`]) and whether it holds raw values after the
/// escaped ones.
pub(super) fn label_text(desc: &Descriptor, values: &[&str]) -> (LabelText, bool) {
    let len = (1..values.len()).map(|i| desc.label_name(i).len() + 4).sum::<usize>()
        + values.iter().map(|v| v.len()).sum::<usize>();
    if let Some(inline) = inline_plain_text(desc, values, len) {
        return (inline, false);
    }
    let plain = values.iter().all(|v| is_plain(v));
    let mut buf = Vec::with_capacity(if plain { len } else { 3 * len + 8 });
    if !plain {
        for value in values {
            buf.extend_from_slice(itoa::Buffer::new().format(value.len()).as_bytes());
            buf.push(b':');
            buf.extend_from_slice(value.as_bytes());
        }
        buf.push(b'\n');
    }
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            buf.extend_from_slice(b"\",");
            buf.extend_from_slice(desc.label_name(i).as_bytes());
            buf.extend_from_slice(b"=\"");
        }
        write_escaped_label_value(&mut buf, value);
    }
    (LabelText::new(&buf), !plain)
}

/// The label text of `values`, `len` bytes, inside the series, when it is short enough and no value needs
/// escaping: the common case.
#[inline]
fn inline_plain_text(desc: &Descriptor, values: &[&str], len: usize) -> Option<LabelText> {
    if len > INLINE_TEXT || !values.iter().all(|v| is_plain(v)) {
        return None;
    }
    let mut bytes = [0; INLINE_TEXT];
    let mut at = 0;
    let mut put = |part: &[u8]| {
        bytes[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    };
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            put(b"\",");
            put(desc.label_name(i).as_bytes());
            put(b"=\"");
        }
        put(value.as_bytes());
    }
    Some(LabelText::Inline { len: NonZeroU8::new(u8::try_from(len + 1).ok()?)?, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::Counter;
    use crate::family::open::OpenOptions;
    use crate::family::open::tests::family;

    #[test]
    fn values_that_need_escaping_round_trip() {
        let f = family(OpenOptions::new());
        let odd = ["a\"b", "c\\d", "e\nf", "g=\"h", "x=", "", "k,l=\"m\""];
        for a in odd {
            for b in ["ok", "=\"", ""] {
                f.get(&[a, b]).inc();
            }
        }
        assert_eq!(f.len(), odd.len() * 3);
        for a in odd {
            for b in ["ok", "=\"", ""] {
                let series = f.get(&[a, b]);
                assert_eq!(series.get(), 1, "{a:?} {b:?}");
                assert_eq!(series.label_values().collect::<Vec<_>>(), [a, b]);
                assert_eq!(series.label_values().len(), 2);
            }
        }
        assert_eq!(f.len(), odd.len() * 3, "every lookup found its series");
        let registry = crate::Registry::builder().self_metrics(false).build();
        let f = std::sync::Arc::new(f);
        registry.register(f.clone()).unwrap();
        let mut buf = Vec::new();
        registry.encode(crate::Format::Text, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.contains("jobs_total{agent=\"a\\\"b\",status=\"ok\"} 1\n"), "{text}");
        assert!(text.contains("jobs_total{agent=\"e\\nf\",status=\"=\\\"\"} 1\n"), "{text}");
        assert!(text.contains("jobs_total{agent=\"x=\",status=\"\"} 1\n"), "{text}");
    }

    #[test]
    fn plain_values_split_the_rendered_text() {
        let desc =
            Descriptor::builder("jobs", crate::MetricType::Counter, "Jobs.").labels(["a", "bb", "c"]).build().unwrap();
        let mut got = Vec::new();
        plain_values(b"x\",bb=\"yy\",c=\"z", &desc, |i, v| got.push((i, v.to_vec())));
        assert_eq!(got, [(0, b"x".to_vec()), (1, b"yy".to_vec()), (2, b"z".to_vec())]);
        // What a series renders, read back the same way as LabelValues reads it.
        let f = family(OpenOptions::new());
        let series = f.get(&["agent-7", "ok"]);
        let mut got = Vec::new();
        plain_values(series.entry().plain_text().unwrap(), &f.desc, |_, v| {
            got.push(String::from_utf8(v.to_vec()).unwrap())
        });
        assert_eq!(got, series.label_values().collect::<Vec<_>>());
        assert!(f.get(&["a\"b", "ok"]).entry().plain_text().is_none(), "escaped values are read by LabelValues");
    }

    #[test]
    fn short_label_text_is_kept_inside_the_series() {
        assert_eq!(std::mem::size_of::<LabelText>(), 24);
        // 40 bytes and the counter: its value, its exemplar slot and the registry it reports refused
        // exemplars to.
        assert_eq!(std::mem::size_of::<Entry<Counter>>(), 64);
        let f = family(OpenOptions::new());
        // `agent-0",status="ok` is 19 bytes, inside; from 24 bytes on, on the heap.
        let long = "a-rather-long-agent-name".repeat(3);
        for (agent, inline) in [("agent-0", true), ("agent-0-xyz", true), ("agent-0-xyzw", false), (&long, false)] {
            f.get(&[agent, "ok"]).inc();
            let series = f.get(&[agent, "ok"]);
            assert_eq!(matches!(series.entry().text, LabelText::Inline { .. }), inline, "{agent}");
            assert_eq!(series.get(), 1);
            assert_eq!(series.label_values().collect::<Vec<_>>(), [agent, "ok"]);
        }
        // Raw values and rendered text: `1:"2:ok` and a newline, then `\"",status="ok`.
        assert!(matches!(f.get(&["\"", "ok"]).entry().text, LabelText::Inline { .. }));
        assert_eq!(f.get(&["\"", "ok"]).label_values().collect::<Vec<_>>(), ["\"", "ok"]);
        assert_eq!(f.len(), 5);
    }
}
