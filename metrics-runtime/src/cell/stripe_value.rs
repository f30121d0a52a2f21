//! How a value of a striped cell (a counter's `u64` or `f64`, a histogram's float sum) lives in the bits
//! of an `AtomicU64`, and the two ways a stripe is added to: by its owner alone (a load and a store) or
//! by any thread (a read-modify-write). One helper each, shared by every striped cell.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::encoding::Number;

/// How a striped value lives in the bits of an `AtomicU64`. Public only as the seal of
/// [`CounterValue`](super::CounterValue): no type outside the crate can implement it.
pub trait StripeValue: Sized + Copy {
    /// The stripe's value plus `n`, as bits: what its only writer stores.
    fn added(bits: u64, n: Self) -> u64;
    /// Adds `n` to a stripe that other threads update too.
    fn add_atomic(stripe: &AtomicU64, n: Self);
    /// The value of two stripes' bits together.
    fn total(owned: u64, shared: u64) -> Self;
    /// The value as the encoder writes it.
    fn number(self) -> Number;

    /// Adds `n` to a stripe this thread alone writes (it owns the stripe): a relaxed load and store,
    /// which cannot lose an update, and which a concurrent reader sees before or after, never torn.
    #[inline]
    fn add_owned(stripe: &AtomicU64, n: Self) {
        stripe.store(Self::added(stripe.load(Ordering::Relaxed), n), Ordering::Relaxed);
    }
}

impl StripeValue for u64 {
    #[inline]
    fn added(bits: u64, n: u64) -> u64 {
        bits.wrapping_add(n)
    }

    #[inline]
    fn add_atomic(stripe: &AtomicU64, n: u64) {
        stripe.fetch_add(n, Ordering::Relaxed);
    }

    #[inline]
    fn total(owned: u64, shared: u64) -> u64 {
        owned.wrapping_add(shared)
    }

    fn number(self) -> Number {
        Number::U64(self)
    }
}

impl StripeValue for f64 {
    #[inline]
    fn added(bits: u64, v: f64) -> u64 {
        (f64::from_bits(bits) + v).to_bits()
    }

    #[inline]
    fn add_atomic(stripe: &AtomicU64, v: f64) {
        let mut old = stripe.load(Ordering::Relaxed);
        loop {
            match stripe.compare_exchange_weak(
                old,
                <f64 as StripeValue>::added(old, v),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => old = now,
            }
        }
    }

    #[inline]
    fn total(owned: u64, shared: u64) -> f64 {
        f64::from_bits(owned) + f64::from_bits(shared)
    }

    fn number(self) -> Number {
        Number::F64(self)
    }
}
