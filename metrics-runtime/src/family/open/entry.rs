//! The series of an open family: its cell, label text and activity bits.

use std::sync::atomic::{AtomicU64, Ordering};

use super::bytes::same_bytes;
use super::label_text::{LabelText, LabelValues};
use crate::Descriptor;

/// One series of an [`OpenFamily`]: 40 bytes besides the cell, in a slot of its shard's chunk (see
/// `shards.rs`) with the label text when that is [`INLINE_TEXT`] bytes or shorter.
///
/// [`OpenFamily`]: super::OpenFamily
/// [`INLINE_TEXT`]: super::label_text::INLINE_TEXT
pub(super) struct Entry<C> {
    pub(super) cell: C,
    /// The label text, rendered once when the series is created, less the first name and its `="` and the
    /// last `"` (the family writes those): `planner",status="ok` for `agent="planner",status="ok"`. A
    /// scrape copies it whole. Values hold nothing to escape and are not empty, unless [`ESCAPED`] is set:
    /// then the raw values come first, each as `<len>:<value>`, then a newline (which rendered text never
    /// holds), then the rendered text.
    pub(super) text: LabelText,
    /// Milliseconds since the Unix epoch: an integer is cheaper to make than seconds as a float, which
    /// only a scrape needs.
    pub(super) created_ms: u64,
    /// The scrape generation during which the series was last updated (the low [`GENERATION_BITS`] bits),
    /// the flags [`OVERFLOW`], [`ESCAPED`] and [`DEAD`], and the milliseconds since the family's epoch at the scrape
    /// that last saw the series updated (from bit [`MS_SHIFT`]).
    pub(super) activity: AtomicU64,
}

/// Bits of [`Entry::activity`] holding the generation: only its equality with the current one matters.
const GENERATION_BITS: u32 = 20;
pub(super) const GENERATION_MASK: u64 = (1 << GENERATION_BITS) - 1;
/// The flag of the overflow series.
pub(super) const OVERFLOW: u64 = 1 << GENERATION_BITS;
/// The flag of a series whose label text holds its raw values after the rendered ones.
pub(super) const ESCAPED: u64 = 1 << (GENERATION_BITS + 1);
/// The flag of a series a scrape dropped for being idle: its slot waits for a new series, and handles
/// still held update it unseen.
pub(super) const DEAD: u64 = 1 << (GENERATION_BITS + 2);
/// The bits below the milliseconds: the generation and the flags.
pub(super) const MS_SHIFT: u32 = GENERATION_BITS + 3;
pub(super) const BELOW_MS: u64 = (1 << MS_SHIFT) - 1;

impl<C> Entry<C> {
    fn flags(&self) -> u64 {
        self.activity.load(Ordering::Relaxed) & (OVERFLOW | ESCAPED)
    }

    /// The raw label values (`<len>:<value>` each) when some needed escaping, and the rendered text.
    pub(super) fn parts(&self) -> (Option<&str>, &str) {
        let text = self.text.as_str();
        if self.flags() & ESCAPED == 0 {
            return (None, text);
        }
        let mut rest = text;
        while let Some((len, tail)) = rest.split_once(':').filter(|_| !rest.starts_with('\n')) {
            let len: usize = len.parse().expect("raw values are `<len>:<value>`");
            rest = &tail[len..];
        }
        let raw = &text[..text.len() - rest.len()];
        (Some(raw), rest.strip_prefix('\n').unwrap_or(rest))
    }

    /// The rendered label text, what a scrape copies.
    #[inline]
    pub(super) fn rendered(&self) -> &[u8] {
        if self.flags() & ESCAPED == 0 { self.text.as_bytes() } else { self.parts().1.as_bytes() }
    }

    /// The rendered label text when it is the values themselves, unescaped (every value plain): what
    /// [`plain_values`](super::label_text::plain_values) splits. `None` when some value was escaped.
    pub(super) fn plain_text(&self) -> Option<&[u8]> {
        (self.flags() & ESCAPED == 0).then(|| self.text.as_bytes())
    }

    pub(super) fn is_overflow(&self) -> bool {
        self.flags() & OVERFLOW != 0
    }

    /// Whether the series' label values are `values`; `desc` names the labels.
    #[inline]
    pub(super) fn matches(&self, desc: &Descriptor, values: &[&str]) -> bool {
        if self.flags() & ESCAPED != 0 {
            return LabelValues::new(self, values.len()).eq(values.iter().copied());
        }
        // Nothing was escaped: each value's place follows from the names' lengths and the values before
        // it, and it ends at a `"` or at the end. A value holding `"`, `\\` or a newline never matches
        // such a series, whose values hold none.
        let text = self.text.as_bytes();
        let mut at = 0;
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                at += desc.label_name(i).len() + 4;
            }
            let value = value.as_bytes();
            let end = at + value.len();
            let last = i + 1 == values.len();
            if end > text.len()
                || !same_bytes(&text[at..end], value)
                || (if last { end != text.len() } else { text.get(end) != Some(&b'"') })
            {
                return false;
            }
            at = end;
        }
        true
    }
}
