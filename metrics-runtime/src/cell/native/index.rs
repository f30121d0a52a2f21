//! Bucket indexing of native histograms: which bucket a value falls in at a schema, and the bounds of a
//! bucket, exactly as the specification defines them.
//!
//! At schema `s` the buckets grow by `base = 2^(2^-s)`; bucket `i` holds the values `v` with
//! `base^(i-1) < |v| <= base^i`. Every index is computed at schema 8 (256 buckets per power of two) and
//! coarsened to `s`: the boundaries of schema `s` are every `2^(8-s)`-th boundary of schema 8, so bucket
//! `i` of schema 8 lies in bucket `ceil(i / 2^(8-s))` of schema `s`.
//!
//! A boundary `2^(k/256)` of schema 8 is irrational unless `k` is a multiple of 256, so no float equals it;
//! a float `v` is at most the boundary exactly when it is at most the largest float below it. The table
//! [`MANTISSAS`] holds those largest floats, by their mantissa bits, and the comparison is exact: a value
//! exactly on a boundary that a float can hold (a power of two) falls in the bucket below it, and so does
//! the float just under an irrational boundary, while the float just over it falls in the bucket above.
//! (client_golang's table of boundaries differs from these in the last bit of some entries, so a float
//! within one unit of the last place of such a boundary can fall in the neighbouring bucket there.)
//!
//! Finding the bucket within a power of two takes no search: the top nine bits of the mantissa pick one
//! of 512 slots, each narrower than the narrowest bucket, so at most one boundary lies in a slot and one
//! comparison finds the bucket.

/// `MANTISSAS[k]`: the 52 mantissa bits of the largest float at most `2^(k/256 - 1)`, a boundary of
/// schema 8 within `[0.5, 1]` (`MANTISSAS[0] = 0` for 0.5 itself, `MANTISSAS[256] = 2^52` for 1, one
/// past the bits, which no mantissa reaches). Computed with 300-bit arithmetic and checked exactly by the
/// test `mantissas_are_the_floats_below_the_boundaries`.
#[rustfmt::skip]
const MANTISSAS: [u64; 257] = [
    0x0000000000000, 0x00b1afa5abcbe, 0x0163da9fb3335, 0x02168143b0280,
    0x02c9a3e778060, 0x037d42e11bbcc, 0x04315e86e7f84, 0x04e5f72f654b1,
    0x059b0d3158574, 0x0650a0e3c1f88, 0x0706b29ddf6dd, 0x07bd42b72a836,
    0x0874518759bc8, 0x092bdf66607df, 0x09e3ecac6f383, 0x0a9c79b1f3919,
    0x0b5586cf9890f, 0x0c0f145e46c85, 0x0cc922b7247f7, 0x0d83b23395deb,
    0x0e3ec32d3d1a2, 0x0efa55fdfa9c4, 0x0fb66affed31a, 0x1073028d7233e,
    0x11301d0125b50, 0x11edbab5e2ab5, 0x12abdc06c31cb, 0x136a814f204aa,
    0x1429aaea92ddf, 0x14e95934f312d, 0x15a98c8a58e51, 0x166a45471c3c2,
    0x172b83c7d517a, 0x17ed48695bbc0, 0x18af9388c8de9, 0x1972658375d2f,
    0x1a35beb6fcb75, 0x1af99f8138a1c, 0x1bbe084045cd3, 0x1c82f95281c6b,
    0x1d4873168b9aa, 0x1e0e75eb44026, 0x1ed5022fcd91c, 0x1f9c18438ce4c,
    0x2063b88628cd6, 0x212be3578a819, 0x21f49917ddc96, 0x22bdda27912d1,
    0x2387a6e756238, 0x2451ffb82140a, 0x251ce4fb2a63f, 0x25e85711ece75,
    0x26b4565e27cdd, 0x2780e341ddf29, 0x284dfe1f56380, 0x291ba7591bb6f,
    0x29e9df51fdee1, 0x2ab8a66d10f12, 0x2b87fd0dad98f, 0x2c57e39771b2e,
    0x2d285a6e4030b, 0x2df961f641589, 0x2ecafa93e2f56, 0x2f9d24abd886a,
    0x306fe0a31b715, 0x31432edeeb2fd, 0x32170fc4cd831, 0x32eb83ba8ea31,
    0x33c08b26416ff, 0x3496266e3fa2c, 0x356c55f929ff0, 0x36431a2de883a,
    0x371a7373aa9ca, 0x37f26231e7549, 0x38cae6d05d865, 0x39a401b7140ee,
    0x3a7db34e59ff6, 0x3b57fbfec6cf4, 0x3c32dc313a8e4, 0x3d0e544ede173,
    0x3dea64c123422, 0x3ec70df1c5174, 0x3fa4504ac801b, 0x40822c367a024,
    0x4160a21f72e29, 0x423fb27094689, 0x431f5d950a896, 0x43ffa3f84b9d4,
    0x44e086061892d, 0x45c2042a7d231, 0x46a41ed1d0057, 0x4786d668b3236,
    0x486a2b5c13cd0, 0x494e1e192aed1, 0x4a32af0d7d3de, 0x4b17dea6db7d6,
    0x4bfdad5362a27, 0x4ce41b817c114, 0x4dcb299fddd0d, 0x4eb2d81d8abfe,
    0x4f9b2769d2ca6, 0x508417f4531ee, 0x516daa2cf6641, 0x5257de83f4eee,
    0x5342b569d4f81, 0x542e2f4f6ad27, 0x551a4ca5d920e, 0x56070dde910d1,
    0x56f4736b527da, 0x57e27dbe2c4ce, 0x58d12d497c7fd, 0x59c0827ff07cb,
    0x5ab07dd485429, 0x5ba11fba87a02, 0x5c9268a5946b7, 0x5d84590998b92,
    0x5e76f15ad2148, 0x5f6a320dceb70, 0x605e1b976dc08, 0x6152ae6cdf6f4,
    0x6247eb03a5584, 0x633dd1d1929fd, 0x6434634ccc31f, 0x652b9febc8fb6,
    0x6623882552224, 0x671c1c70833f5, 0x68155d44ca973, 0x690f4b19e9538,
    0x6a09e667f3bcc, 0x6b052fa75173e, 0x6c012750bdabe, 0x6cfdcddd47645,
    0x6dfb23c651a2e, 0x6ef9298593ae4, 0x6ff7df9519483, 0x70f7466f42e87,
    0x71f75e8ec5f73, 0x72f8286ead089, 0x73f9a48a58173, 0x74fbd35d7cbfd,
    0x75feb564267c8, 0x77024b1ab6e09, 0x780694fde5d3f, 0x790b938ac1cf6,
    0x7a11473eb0186, 0x7b17b0976cfda, 0x7c1ed0130c132, 0x7d26a62ff86f0,
    0x7e2f336cf4e62, 0x7f3878491c490, 0x80427543e1a11, 0x814d2add106d9,
    0x82589994cce12, 0x8364c1eb941f7, 0x8471a4623c7ac, 0x857f4179f5b20,
    0x868d99b4492ec, 0x879cad931a436, 0x88ac7d98a6699, 0x89bd0a478580f,
    0x8ace5422aa0db, 0x8be05bad61778, 0x8cf3216b5448b, 0x8e06a5e0866d8,
    0x8f1ae99157736, 0x902fed0282c8a, 0x9145b0b91ffc5, 0x925c353aa2fe1,
    0x93737b0cdc5e4, 0x948b82b5f98e4, 0x95a44cbc8520e, 0x96bdd9a7670b2,
    0x97d829fde4e4f, 0x98f33e47a22a2, 0x9a0f170ca07b9, 0x9b2bb4d53fe0c,
    0x9c49182a3f090, 0x9d674194bb8d4, 0x9e86319e32323, 0x9fa5e8d07f29d,
    0xa0c667b5de564, 0xa1e7aed8eb8bb, 0xa309bec4a2d33, 0xa42c980460ad7,
    0xa5503b23e255c, 0xa674a8af46052, 0xa799e1330b358, 0xa8bfe53c12e58,
    0xa9e6b5579fdbf, 0xab0e521356eba, 0xac36bbfd3f379, 0xad5ff3a3c2774,
    0xae89f995ad3ad, 0xafb4ce622f2fe, 0xb0e07298db665, 0xb20ce6c9a8952,
    0xb33a2b84f15fa, 0xb468415b749b0, 0xb59728de55939, 0xb6c6e29f1c52a,
    0xb7f76f2fb5e46, 0xb928cf22749e3, 0xba5b030a10649, 0xbb8e0b79a6f1e,
    0xbcc1e904bc1d2, 0xbdf69c3f3a206, 0xbf2c25bd71e08, 0xc06286141b33c,
    0xc199bdd85529c, 0xc2d1cd9fa652b, 0xc40ab5fffd07a, 0xc544778fafb22,
    0xc67f12e57d14b, 0xc7ba88988c932, 0xc8f6d9406e7b5, 0xca3405751c4da,
    0xcb720dcef9069, 0xccb0f2e6d1674, 0xcdf0b555dc3f9, 0xcf3155b5bab73,
    0xd072d4a07897b, 0xd1b532b08c968, 0xd2f87080d89f1, 0xd43c8eacaa1d6,
    0xd5818dcfba487, 0xd6c76e862e6d3, 0xd80e316c98397, 0xd955d71ff6075,
    0xda9e603db3285, 0xdbe7cd63a8314, 0xdd321f301b460, 0xde7d5641c0657,
    0xdfc97337b9b5e, 0xe11676b197d16, 0xe264614f5a128, 0xe3b333b16ee11,
    0xe502ee78b3ff6, 0xe653924676d75, 0xe7a51fbc74c83, 0xe8f7977cdb73f,
    0xea4afa2a490d9, 0xeb9f4867cca6e, 0xecf482d8e67f0, 0xee4aaa2188510,
    0xefa1bee615a27, 0xf0f9c1cb64129, 0xf252b376bba97, 0xf3ac948dd7273,
    0xf50765b6e4540, 0xf6632798844f8, 0xf7bfdad9cbe13, 0xf91d802243c88,
    0xfa7c1819e90d8, 0xfbdba3692d513, 0xfd3c22b8f71f1, 0xfe9d96b2a23d9,
    0x10000000000000,
];

/// The schema every index is computed at.
const FINEST: i8 = promstruct_naming::NATIVE_SCHEMA_MAX;

/// The bits of the mantissa that pick a slot: the top nine of 52.
const SLOT_SHIFT: u32 = 43;

/// `SLOTS[j]`: the first boundary `k` whose mantissa is at least the smallest mantissa of slot `j`
/// (`j << SLOT_SHIFT`). A mantissa `m` of slot `j` then lies in bucket `k` if `m <= MANTISSAS[k]`, else in
/// bucket `k + 1`: the next boundary is past the slot (checked when the table is built).
const SLOTS: [u16; 512] = slots();

const fn slots() -> [u16; 512] {
    let mut slots = [0u16; 512];
    let mut j = 0;
    let mut k = 0;
    while j < 512 {
        let start = (j as u64) << SLOT_SHIFT;
        while MANTISSAS[k] < start {
            k += 1;
        }
        // At most one boundary in the slot: the one after `k` is at or past the slot's end.
        assert!(k == 256 || MANTISSAS[k + 1] >= ((j as u64 + 1) << SLOT_SHIFT), "two boundaries in a slot");
        slots[j] = k as u16;
        j += 1;
    }
    slots
}

const MANTISSA_MASK: u64 = (1 << 52) - 1;

/// The index at schema 8 of a positive, finite, non-zero value's bucket, from its bits.
#[inline]
fn finest_index(bits: u64) -> i32 {
    let biased = (bits >> 52) as i32;
    let (mantissa, exponent) = if biased == 0 {
        // Subnormal: the value is `mantissa * 2^-1074`; shift its highest bit to the implied bit's place.
        let m = bits & MANTISSA_MASK;
        let shift = m.leading_zeros() - 11;
        ((m << shift) & MANTISSA_MASK, -1021 - shift as i32)
    } else {
        // The value is `0.5 * (1 + mantissa / 2^52) * 2^exponent`, `frexp`'s fraction and exponent.
        (bits & MANTISSA_MASK, biased - 1022)
    };
    let k = SLOTS[(mantissa >> SLOT_SHIFT) as usize];
    let k = i32::from(k) + i32::from(mantissa > MANTISSAS[usize::from(k)]);
    (exponent - 1) * 256 + k
}

/// The index of the bucket of the largest finite float at `schema`: `1024 * 2^schema`. Infinities go to
/// the bucket after it, as the specification and client_golang place them.
#[inline]
pub(crate) fn max_finite_index(schema: i8) -> i32 {
    if schema >= 0 { 1024 << schema } else { 1024 >> -schema }
}

/// The index at `schema` of the bucket of `a`, a positive, non-zero value or `+Inf` (the magnitude of an
/// observation outside the zero bucket).
#[inline]
pub(crate) fn bucket_index(a: f64, schema: i8) -> i32 {
    if a == f64::INFINITY {
        return max_finite_index(schema) + 1;
    }
    coarsen(finest_index(a.to_bits()), (FINEST - schema) as u8)
}

/// The bucket at a schema `by` coarser that holds bucket `index`: `ceil(index / 2^by)` (halving the
/// resolution merges buckets `2i - 1` and `2i` into `i`).
#[inline]
pub(crate) fn coarsen(index: i32, by: u8) -> i32 {
    (index + ((1 << by) - 1)) >> by
}

/// The largest float at most the upper boundary of bucket `index` at `schema`: what a zero threshold is set
/// to for the zero bucket to take that bucket whole. `f64::MAX` for the bucket of the largest floats (its
/// boundary, 2^1024, is past them), `+Inf` for the bucket of the infinities; a boundary below the smallest
/// float is 0.
pub(crate) fn upper_bound(index: i32, schema: i8) -> f64 {
    if index > max_finite_index(schema) {
        return f64::INFINITY;
    }
    let finest = i64::from(index) << (FINEST - schema);
    // The boundary is `2^(finest / 256)`: `2^exponent * MANTISSAS[k]`'s float scaled, with `k` in 0..256.
    let (exponent, k) = (finest.div_euclid(256), finest.rem_euclid(256) as usize);
    if exponent >= 1024 {
        return f64::MAX;
    }
    // The float is `(2^52 + MANTISSAS[k]) * 2^(exponent - 52)`.
    let mantissa = (1u64 << 52) | MANTISSAS[k];
    let biased = exponent + 1023;
    if biased >= 1 {
        return f64::from_bits(((biased as u64) << 52) | (mantissa & MANTISSA_MASK));
    }
    // Below the normal range: shifting the mantissa right truncates, which rounds down as wanted.
    let shift = 1 - biased;
    if shift > 53 {
        return 0.0;
    }
    f64::from_bits(mantissa >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schemas, coarsest first.
    const SCHEMAS: std::ops::RangeInclusive<i8> = promstruct_naming::NATIVE_SCHEMA_MIN..=FINEST;

    /// `a * b` of little-endian 32-bit limbs.
    fn mul(a: &[u32], b: &[u32]) -> Vec<u32> {
        let mut out = vec![0u32; a.len() + b.len()];
        for (i, &x) in a.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &y) in b.iter().enumerate() {
                let t = u64::from(out[i + j]) + u64::from(x) * u64::from(y) + carry;
                out[i + j] = t as u32;
                carry = t >> 32;
            }
            out[i + b.len()] = carry as u32;
        }
        while out.last() == Some(&0) {
            out.pop();
        }
        out
    }

    /// `x^256` by eight squarings.
    fn pow256(x: u64) -> Vec<u32> {
        let mut v = vec![x as u32, (x >> 32) as u32];
        for _ in 0..8 {
            v = mul(&v, &v);
        }
        v
    }

    /// Compares two little-endian numbers.
    fn cmp(a: &[u32], b: &[u32]) -> std::cmp::Ordering {
        a.len().cmp(&b.len()).then_with(|| a.iter().rev().cmp(b.iter().rev()))
    }

    /// `2^e` as limbs.
    fn two_to(e: usize) -> Vec<u32> {
        let mut v = vec![0u32; e / 32 + 1];
        v[e / 32] = 1 << (e % 32);
        v
    }

    #[test]
    fn mantissas_are_the_floats_below_the_boundaries() {
        // With `a = 2^52 + MANTISSAS[k]`, the float is `a / 2^53` and the boundary `2^(k/256 - 1)`:
        // `a <= 2^(52 + k/256) < a + 1`, that is `a^256 <= 2^(52*256 + k) < (a + 1)^256`.
        for (k, &m) in MANTISSAS.iter().enumerate().take(256) {
            let a = (1u64 << 52) + m;
            let boundary = two_to(52 * 256 + k);
            assert_ne!(cmp(&pow256(a), &boundary), std::cmp::Ordering::Greater, "entry {k} is above its boundary");
            assert_eq!(cmp(&pow256(a + 1), &boundary), std::cmp::Ordering::Greater, "entry {k} is not the largest");
        }
        assert_eq!(MANTISSAS[0], 0);
        assert_eq!(MANTISSAS[256], 1 << 52);
        assert!(MANTISSAS.windows(2).all(|w| w[0] < w[1]));
    }

    /// The float after `v`.
    fn up(v: f64) -> f64 {
        f64::from_bits(v.to_bits() + 1)
    }

    #[test]
    fn values_on_a_boundary_fall_below_it_and_the_next_float_above() {
        for schema in SCHEMAS {
            // Every boundary between 2^-3 and 2^3, and a spread of others down to the subnormals.
            let n = 1i32 << schema.max(0);
            let per_octave = if schema >= 0 { n } else { 1 };
            let mut indices: Vec<i32> = (-3 * per_octave..=3 * per_octave).collect();
            indices.extend([-1074, -1060, -1022, -500, 200, 500, 1000, 1023].map(|e| e * per_octave));
            let lowest = bucket_index(f64::from_bits(1), schema);
            for i in indices.into_iter().filter(|i| (lowest..max_finite_index(schema)).contains(i)) {
                let b = upper_bound(i, schema);
                assert_eq!(bucket_index(b, schema), i, "schema {schema}: the boundary {b:e} of bucket {i}");
                let next = bucket_index(up(b), schema);
                assert!(up(b) > upper_bound(next - 1, schema), "schema {schema}: just above {b:e}");
                if b > 1e-300 {
                    assert_eq!(next, i + 1, "schema {schema}: just above {b:e}");
                } else {
                    // Among the subnormals a bucket may hold no float: the next float is past it.
                    assert!(next > i, "schema {schema}: just above {b:e}");
                }
            }
        }
    }

    /// `2^e` exactly, down to the smallest subnormal.
    fn pow2(e: i32) -> f64 {
        if e >= -1022 { f64::from_bits(((e + 1023) as u64) << 52) } else { f64::from_bits(1 << (e + 1074)) }
    }

    #[test]
    fn powers_of_two_sit_on_boundaries_at_every_schema() {
        for schema in SCHEMAS {
            for e in [-1074, -1073, -1022, -1021, -128, -1, 0, 1, 5, 1023] {
                let v = pow2(e);
                // 2^e is the upper boundary of bucket e * 2^schema at schema >= 0, and of bucket
                // ceil(e / 2^-schema) at schema < 0 (which lies on a boundary only when divisible).
                let want = if schema >= 0 { e << schema } else { coarsen(e << 8, (8 - schema) as u8) };
                assert_eq!(bucket_index(v, schema), want, "2^{e} at schema {schema}");
            }
        }
        // Schema 0: bucket i is (2^(i-1), 2^i].
        assert_eq!(bucket_index(1.0, 0), 0);
        assert_eq!(bucket_index(1.5, 0), 1);
        assert_eq!(bucket_index(2.0, 0), 1);
        assert_eq!(bucket_index(up(2.0), 0), 2);
        assert_eq!(bucket_index(0.75, 0), 0);
        // Schema -1: base 4, bucket i is (4^(i-1), 4^i].
        assert_eq!(bucket_index(4.0, -1), 1);
        assert_eq!(bucket_index(up(4.0), -1), 2);
        assert_eq!(bucket_index(3.0, -1), 1);
        assert_eq!(bucket_index(1.0, -1), 0);
    }

    #[test]
    fn subnormals_and_extremes() {
        let tiny = f64::from_bits(1); // 2^-1074, the smallest subnormal.
        for schema in SCHEMAS {
            let min_index = bucket_index(tiny, schema);
            assert_eq!(min_index, coarsen(-1074 * 256, (8 - schema) as u8), "schema {schema}");
            // Every subnormal is above the boundary below 2^-1074's bucket and ordered.
            let mut last = min_index;
            for bits in [2u64, 3, 1 << 20, (1 << 52) - 1, 1 << 52] {
                let i = bucket_index(f64::from_bits(bits), schema);
                assert!(i >= last, "schema {schema}: subnormal {bits} in bucket {i} below {last}");
                assert!(f64::from_bits(bits) <= up(upper_bound(i, schema)), "schema {schema}: {bits}");
                last = i;
            }
            assert_eq!(bucket_index(f64::MAX, schema), max_finite_index(schema), "schema {schema}");
            assert_eq!(upper_bound(max_finite_index(schema), schema), f64::MAX);
            assert_eq!(bucket_index(f64::INFINITY, schema), max_finite_index(schema) + 1);
            assert_eq!(upper_bound(max_finite_index(schema) + 1, schema), f64::INFINITY);
            // The bucket below the largest float's ends at the largest float below 2^1024's previous boundary.
            let below = upper_bound(max_finite_index(schema) - 1, schema);
            assert!(below < f64::MAX && bucket_index(up(below), schema) == max_finite_index(schema));
        }
        assert_eq!(max_finite_index(8), 262_144);
        assert_eq!(max_finite_index(-4), 64);
        // Subnormal boundaries: schema 0's bucket of 2^-1073 ends at it exactly.
        assert_eq!(upper_bound(-1073, 0), f64::from_bits(2));
        assert_eq!(upper_bound(-1074, 0), tiny);
        assert_eq!(upper_bound(-1080, 0), 0.0);
    }

    #[test]
    fn coarsening_merges_pairs() {
        // Halving merges 2i - 1 and 2i into i, on both sides of zero.
        for (fine, coarse) in [(1, 1), (2, 1), (3, 2), (4, 2), (0, 0), (-1, 0), (-2, -1), (-3, -1), (-4, -2)] {
            assert_eq!(coarsen(fine, 1), coarse, "{fine}");
        }
        assert_eq!(coarsen(17, 4), 2);
        assert_eq!(coarsen(16, 4), 1);
        assert_eq!(coarsen(-16, 4), -1);
        assert_eq!(coarsen(-17, 4), -1);
        assert_eq!(coarsen(5, 0), 5);
        // A value's bucket at a coarser schema is its bucket at a finer one, coarsened.
        for v in [1e-300, 0.001, 0.3, 1.0, 7.5, 1e10, 1e300] {
            for schema in SCHEMAS {
                let fine = bucket_index(v, FINEST);
                assert_eq!(bucket_index(v, schema), coarsen(fine, (FINEST - schema) as u8), "{v} at {schema}");
            }
        }
    }

    #[test]
    fn indices_match_the_definition_by_logarithms() {
        // Away from boundaries, the bucket of v at schema s is ceil(log2(v) * 2^s).
        for schema in SCHEMAS {
            for v in [1e-30f64, 3e-7, 0.004, 0.37, 1.9, 12.0, 6.1e4, 2.2e12, 9e200] {
                let exact = (v.log2() * 2f64.powi(i32::from(schema))).ceil() as i32;
                assert_eq!(bucket_index(v, schema), exact, "{v} at schema {schema}");
            }
        }
    }
}
