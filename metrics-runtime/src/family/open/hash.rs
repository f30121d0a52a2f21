//! The hash of label values, and the shard and table place it gives a series.

use super::OpenFamily;
use super::bytes::{half_word, word};
use super::entry::Entry;
use super::label_text::LabelValues;
use crate::cell::Metric;

impl<C: Metric> OpenFamily<C> {
    /// The 32-bit hash of label values: the shard is its top bits, the place in the shard's table
    /// [`table_hash`] of it.
    #[inline]
    pub(super) fn hash<'v>(&self, values: impl Iterator<Item = &'v str>) -> u32 {
        label_hash(self.keys, values)
    }

    #[inline]
    pub(super) fn shard_of(&self, hash: u32) -> usize {
        shard_of(hash, self.shards.len())
    }

    /// The hash of a series' label values, read back from its text: only a growing or rebuilt table needs
    /// it, so series do not keep it.
    pub(super) fn entry_hash(&self, entry: &Entry<C>) -> u32 {
        self.hash(LabelValues::new(entry, self.desc.label_count()))
    }
}

/// The 32-bit hash of label values under `keys`: each value's bytes, read as at most two overlapping words
/// when it has 16 or fewer (most have), folded into the state with its length by a widening multiply, as
/// `foldhash` does. Cheaper than a general `Hasher`, which pays per value for its buffering and a separator.
#[inline]
pub(super) fn label_hash<'v>(keys: [u64; 2], values: impl Iterator<Item = &'v str>) -> u32 {
    let mut h = keys[0];
    for value in values {
        let mut v = value.as_bytes();
        let len = v.len() as u64;
        while v.len() > 16 {
            h = folded_multiply(word(v, 0) ^ h, word(v, 8) ^ keys[1]);
            v = &v[16..];
        }
        let (a, b) = match v.len() {
            8.. => (word(v, 0), word(v, v.len() - 8)),
            4.. => (half_word(v, 0), half_word(v, v.len() - 4)),
            1.. => (u64::from(v[0]) | u64::from(v[v.len() / 2]) << 8, u64::from(v[v.len() - 1])),
            0 => (0, 0),
        };
        h = folded_multiply(a ^ h, b ^ keys[1] ^ len.rotate_left(32));
    }
    let h = folded_multiply(h, keys[1]);
    (h ^ (h >> 32)) as u32
}

/// The product of `a` and `b` in 128 bits, its halves xored: every bit of the result depends on every bit
/// of both.
#[inline]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

/// The shard of a series: the top bits of its hash.
fn shard_of(hash: u32, shards: usize) -> usize {
    (hash as usize * shards) >> 32
}

/// The hash a shard's table files a series under: the 32-bit hash spread over 64 bits (an odd multiplier
/// is a bijection), so that the table's bucket index (low bits) and tag (top bits) both vary.
#[inline]
pub(super) fn table_hash(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::open::bytes::same_bytes;
    use crate::family::open::label_text::is_plain;

    #[test]
    fn byte_compares_and_hashes_see_every_byte() {
        let base: Vec<u8> = (0..40).map(|i| b'a' + i % 26).collect();
        let keys = [0x1234_5678_9abc_def0, 0x0fed_cba9_8765_4321];
        for len in 0..base.len() {
            let a = &base[..len];
            assert!(same_bytes(a, a));
            let text = std::str::from_utf8(a).unwrap();
            let h = label_hash(keys, [text].into_iter());
            for at in 0..len {
                let mut b = a.to_vec();
                b[at] = b'#';
                assert!(!same_bytes(a, &b), "{len} {at}");
                let other = String::from_utf8(b).unwrap();
                assert_ne!(label_hash(keys, [other.as_str()].into_iter()), h, "{len} {at}");
            }
        }
        // Plainness, against the byte-by-byte rule, for each escaped byte at each place.
        for len in 0..base.len() {
            for at in 0..len {
                for odd in [b'\\', b'"', b'\n', b'[', b'\x7f', b'\x00'] {
                    let mut v = base[..len].to_vec();
                    v[at] = odd;
                    let v = String::from_utf8(v).unwrap();
                    let naive = !v.is_empty() && !v.bytes().any(|b| matches!(b, b'\\' | b'"' | b'\n'));
                    assert_eq!(is_plain(&v), naive, "{v:?}");
                }
            }
            assert_eq!(is_plain(std::str::from_utf8(&base[..len]).unwrap()), len > 0);
        }
        // Where one value ends and the next starts matters.
        let split = |a: &str, b: &str| label_hash(keys, [a, b].into_iter());
        assert_ne!(split("ab", "c"), split("a", "bc"));
        assert_ne!(split("", "abc"), split("abc", ""));
    }
}
