//! Word-at-a-time reads and compares of label bytes, shared by hashing, matching and escaping.

/// Whether `a` and `b`, of the same length, hold the same bytes: up to 16 bytes in two overlapping word
/// compares, without the call a slice compare makes.
#[inline]
pub(super) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    let len = a.len();
    match len {
        17.. => a == b,
        8.. => word(a, 0) == word(b, 0) && word(a, len - 8) == word(b, len - 8),
        4.. => half_word(a, 0) == half_word(b, 0) && half_word(a, len - 4) == half_word(b, len - 4),
        _ => a.iter().zip(b).all(|(x, y)| x == y),
    }
}

/// The eight bytes of `v` from `at` as a word.
#[inline]
pub(super) fn word(v: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(v[at..at + 8].try_into().expect("eight bytes"))
}

/// The four bytes of `v` from `at` as a word.
#[inline]
pub(super) fn half_word(v: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(v[at..at + 4].try_into().expect("four bytes")))
}
