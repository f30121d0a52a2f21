//! [`NativeSnapshot`]: what a scrape reads of a histogram with native buckets, in the terms of the
//! Prometheus protobuf `Histogram` message, and the spans and deltas that message writes the buckets as.

/// A gap of at most this many empty buckets between two buckets is written as empty buckets inside one
/// span rather than as a new span, as client_golang does: two deltas of zero cost fewer bytes than a span.
const MAX_BRIDGED_GAP: i32 = 2;

/// One scrape of a histogram with native buckets, filled by
/// [`Histogram::native_snapshot_into`](crate::Histogram::native_snapshot_into) into a buffer the caller
/// keeps (its vectors are reused: no allocation once they have grown to the histogram's size).
///
/// Its parts are consistent: [`count`](Self::count) is exactly [`zero_count`](Self::zero_count) plus every
/// bucket's count, read in one pass; the classic cumulative counts end with the same count (an observation
/// in flight during the scrape is in both or in neither, or its classic bucket is left out until the next
/// scrape); the sum is read last and may lag the counts by the observations in flight, as a classic
/// histogram's does.
///
/// How the Prometheus protobuf `Histogram` message takes it:
///
/// | field | from |
/// |---|---|
/// | `sample_count` | [`count`](Self::count) |
/// | `sample_sum` | [`sum`](Self::sum) |
/// | `schema` (sint32) | [`schema`](Self::schema) |
/// | `zero_threshold` | [`zero_threshold`](Self::zero_threshold) |
/// | `zero_count` | [`zero_count`](Self::zero_count) |
/// | `positive_span` / `positive_delta` | [`positive_spans`](Self::positive_spans) / [`positive_deltas`](Self::positive_deltas) |
/// | `negative_span` / `negative_delta` | [`negative_spans`](Self::negative_spans) / [`negative_deltas`](Self::negative_deltas) |
/// | `bucket` (classic, `cumulative_count`, `upper_bound`) | [`classic_cumulative`](Self::classic_cumulative) with the histogram's [`Buckets`](crate::Buckets) bounds, the `+Inf` entry (the last) left out or written with bound `+Inf` |
/// | `created_timestamp` | [`reset_at`](Self::reset_at), if the histogram was reset since its series was created |
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NativeSnapshot {
    pub(super) schema: i8,
    pub(super) zero_threshold: f64,
    pub(super) zero_count: u64,
    pub(super) count: u64,
    pub(super) sum: f64,
    pub(super) positive: Vec<(i32, u64)>,
    pub(super) negative: Vec<(i32, u64)>,
    pub(super) classic: Vec<u64>,
    pub(super) reset_ms: Option<u64>,
}

impl NativeSnapshot {
    /// An empty snapshot, to be filled.
    pub fn new() -> Self {
        Self::default()
    }

    /// The schema, from -4 to 8: bucket `i` holds the observations `v` with `base^(i-1) < |v| <= base^i`,
    /// `base = 2^(2^-schema)`. Lower than the configured schema after the histogram went past its bucket
    /// limit and halved its resolution.
    pub fn schema(&self) -> i8 {
        self.schema
    }

    /// The zero threshold: observations with `|v| <= zero_threshold` are in the zero bucket. Higher than
    /// the configured one after the zero bucket widened.
    pub fn zero_threshold(&self) -> f64 {
        self.zero_threshold
    }

    /// The observations in the zero bucket.
    pub fn zero_count(&self) -> u64 {
        self.zero_count
    }

    /// The number of observations: the zero count plus every bucket's count, exactly.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The sum of the observations (infinite once an infinity was observed).
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// The buckets of positive observations with a count: `(index, count)` in ascending index order, no
    /// count zero.
    pub fn positive(&self) -> &[(i32, u64)] {
        &self.positive
    }

    /// The buckets of negative observations, by the index of their absolute value: bucket `i` holds
    /// `-base^i <= v < -base^(i-1)`. Ascending index order, no count zero.
    pub fn negative(&self) -> &[(i32, u64)] {
        &self.negative
    }

    /// The classic buckets' cumulative counts, one per bound of the histogram's
    /// [`Buckets`](crate::Buckets) and a last one for `+Inf`, equal to [`count`](Self::count); just
    /// `[count]` for a histogram with native buckets only.
    pub fn classic_cumulative(&self) -> &[u64] {
        &self.classic
    }

    /// When the histogram was last reset (past its bucket limit, with a `min_reset`), in seconds since the
    /// Unix epoch: its counts start from there, its `created` time. `None` if it was never reset.
    pub fn reset_at(&self) -> Option<f64> {
        self.reset_ms.map(crate::clock::epoch_millis_to_seconds)
    }

    /// The spans of the positive buckets, `(offset, length)` as protobuf's `BucketSpan`: the first offset
    /// is the index of the first bucket, each later one the number of empty buckets since the end of the
    /// span before. A gap of one or two empty buckets does not start a span: it is inside one, as empty
    /// buckets (and [`positive_deltas`](Self::positive_deltas) has their zero counts).
    ///
    /// A histogram with no bucket, no zero count and a zero threshold of 0 has one span `(0, 0)`, so that
    /// a scraper still reads it as native (the specification's rule, client_golang's practice).
    pub fn positive_spans(&self) -> Spans<'_> {
        let empty =
            self.positive.is_empty() && self.negative.is_empty() && self.zero_count == 0 && self.zero_threshold == 0.0;
        Spans { buckets: &self.positive, at: 0, next: 0, empty_span: empty }
    }

    /// The positive buckets' counts as protobuf's deltas: the first count, then each count minus the one
    /// before, over the buckets of [`positive_spans`](Self::positive_spans) (bridged empty buckets
    /// included), across span boundaries.
    pub fn positive_deltas(&self) -> Deltas<'_> {
        Deltas::new(&self.positive)
    }

    /// The spans of the negative buckets, as [`positive_spans`](Self::positive_spans) (never the empty
    /// span).
    pub fn negative_spans(&self) -> Spans<'_> {
        Spans { buckets: &self.negative, at: 0, next: 0, empty_span: false }
    }

    /// The negative buckets' counts as deltas, as [`positive_deltas`](Self::positive_deltas).
    pub fn negative_deltas(&self) -> Deltas<'_> {
        Deltas::new(&self.negative)
    }

    /// Empties the snapshot, keeping its buffers.
    pub(super) fn clear(&mut self) {
        self.zero_count = 0;
        self.count = 0;
        self.sum = 0.0;
        self.positive.clear();
        self.negative.clear();
        self.classic.clear();
        self.reset_ms = None;
    }
}

/// Sorts `(index, count)` pairs by index and adds up those of one index, in place.
pub(super) fn merge(buckets: &mut Vec<(i32, u64)>) {
    buckets.sort_unstable_by_key(|&(index, _)| index);
    buckets.dedup_by(|next, kept| {
        let same = next.0 == kept.0;
        if same {
            kept.1 += next.1;
        }
        same
    });
}

/// The spans of a snapshot's buckets; see [`NativeSnapshot::positive_spans`].
#[derive(Debug, Clone)]
pub struct Spans<'s> {
    buckets: &'s [(i32, u64)],
    at: usize,
    /// The index after the last span's end.
    next: i32,
    empty_span: bool,
}

impl Iterator for Spans<'_> {
    type Item = (i32, u32);

    fn next(&mut self) -> Option<(i32, u32)> {
        if std::mem::take(&mut self.empty_span) {
            return Some((0, 0));
        }
        let &(first, _) = self.buckets.get(self.at)?;
        let offset = if self.at == 0 { first } else { first - self.next };
        let mut last = first;
        self.at += 1;
        while let Some(&(index, _)) = self.buckets.get(self.at) {
            if index - last - 1 > MAX_BRIDGED_GAP {
                break;
            }
            last = index;
            self.at += 1;
        }
        self.next = last + 1;
        Some((offset, (last - first + 1) as u32))
    }
}

/// The deltas of a snapshot's bucket counts; see [`NativeSnapshot::positive_deltas`].
#[derive(Debug, Clone)]
pub struct Deltas<'s> {
    buckets: &'s [(i32, u64)],
    at: usize,
    /// Empty buckets still to write before bucket `at`.
    empty: i32,
    previous: u64,
}

impl<'s> Deltas<'s> {
    fn new(buckets: &'s [(i32, u64)]) -> Self {
        Deltas { buckets, at: 0, empty: 0, previous: 0 }
    }

    fn delta(&mut self, count: u64) -> i64 {
        let delta = count.wrapping_sub(self.previous) as i64;
        self.previous = count;
        delta
    }
}

impl Iterator for Deltas<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        if self.empty > 0 {
            self.empty -= 1;
            return Some(self.delta(0));
        }
        let &(index, count) = self.buckets.get(self.at)?;
        self.at += 1;
        if let Some(&(after, _)) = self.buckets.get(self.at) {
            let gap = after - index - 1;
            if gap <= MAX_BRIDGED_GAP {
                self.empty = gap;
            }
        }
        Some(self.delta(count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(positive: &[(i32, u64)]) -> NativeSnapshot {
        NativeSnapshot { positive: positive.to_vec(), zero_threshold: 1e-9, ..NativeSnapshot::default() }
    }

    #[test]
    fn spans_bridge_gaps_of_two_and_start_past_them() {
        // Buckets -2, -1, 1 (gap of one), 4 (gap of two), 8 (gap of three: a new span).
        let s = snapshot(&[(-2, 3), (-1, 1), (1, 4), (4, 4), (8, 2)]);
        assert_eq!(s.positive_spans().collect::<Vec<_>>(), [(-2, 7), (3, 1)]);
        // Over -2, -1, 0, 1, 2, 3, 4 and 8: 3 1 0 4 0 0 4 2.
        assert_eq!(s.positive_deltas().collect::<Vec<_>>(), [3, -2, -1, 4, -4, 0, 4, -2]);
        // The deltas add up to the counts, span after span.
        let lengths: u32 = s.positive_spans().map(|(_, l)| l).sum();
        assert_eq!(lengths as usize, s.positive_deltas().count());
    }

    #[test]
    fn single_bucket_and_empty_histograms() {
        let s = snapshot(&[(5, 7)]);
        assert_eq!(s.positive_spans().collect::<Vec<_>>(), [(5, 1)]);
        assert_eq!(s.positive_deltas().collect::<Vec<_>>(), [7]);
        let empty = snapshot(&[]);
        assert_eq!(empty.positive_spans().count(), 0, "a zero threshold above 0 marks the histogram native");
        let empty = NativeSnapshot::default();
        assert_eq!(empty.positive_spans().collect::<Vec<_>>(), [(0, 0)], "one empty span");
        assert_eq!(empty.negative_spans().count(), 0);
        assert_eq!(empty.positive_deltas().count(), 0);
    }

    #[test]
    fn merging_adds_counts_of_one_index() {
        let mut v = vec![(3, 1), (-1, 2), (3, 4), (0, 1), (-1, 1)];
        merge(&mut v);
        assert_eq!(v, [(-1, 3), (0, 1), (3, 5)]);
    }
}
