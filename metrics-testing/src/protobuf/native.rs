//! Native histograms: a protobuf `Histogram`'s schema, zero bucket and spans of delta-encoded buckets,
//! read into [`NativeHistogram`] and checked as the native histograms specification says.

use super::Report;
use super::messages::HistogramMsg;
use crate::model::NativeHistogram;
use crate::violation::Rule;

/// Whether a histogram is native, as Prometheus reads it: spans, or a zero bucket.
fn is_native(h: &HistogramMsg<'_>) -> bool {
    !h.positive_spans.is_empty()
        || !h.negative_spans.is_empty()
        || h.zero_threshold > 0.0
        || h.zero_count > 0
        || h.zero_count_float > 0.0
}

/// The buckets of one side: `(index, absolute count)` for each bucket its spans list; or why they
/// are not valid.
fn buckets(spans: &[(i32, u32)], deltas: &[i64], counts: &[f64], side: &str) -> Result<Vec<(i32, f64)>, String> {
    if !deltas.is_empty() && !counts.is_empty() {
        return Err(format!("its {side} buckets are given both as deltas and as counts"));
    }
    let listed: u64 = spans.iter().map(|&(_, len)| u64::from(len)).sum();
    let given = deltas.len().max(counts.len()) as u64;
    if listed != given {
        return Err(format!("its {side} spans list {listed} buckets, {given} counts are given"));
    }
    let mut out = Vec::with_capacity(given as usize);
    let mut index: i64 = 0;
    let mut running: i64 = 0;
    for (i, &(offset, len)) in spans.iter().enumerate() {
        if i > 0 && offset < 0 {
            return Err(format!("its {side} span {} goes back {} buckets", i + 1, -offset));
        }
        index += i64::from(offset);
        for _ in 0..len {
            let at = out.len();
            let count = if counts.is_empty() {
                running += deltas[at];
                if running < 0 {
                    return Err(format!("its {side} bucket {index} has a negative count ({running})"));
                }
                running as f64
            } else {
                let c = counts[at];
                if c.is_nan() || c < 0.0 {
                    return Err(format!("its {side} bucket {index} has the count {c}"));
                }
                c
            };
            let idx = i32::try_from(index).map_err(|_| format!("its {side} bucket index {index} is out of range"))?;
            out.push((idx, count));
            index += 1;
        }
        // The next span's offset is the gap after this one.
    }
    Ok(out)
}

/// The native histogram of `h`, if it is one and is valid; a broken one is reported at `at` of message
/// `message`.
pub(super) fn read(
    h: &HistogramMsg<'_>,
    labels: &[(&str, &str)],
    created: Option<f64>,
    message: usize,
    at: usize,
    report: &mut Report,
) -> Option<NativeHistogram> {
    if !is_native(h) {
        return None;
    }
    let fail = |report: &mut Report, why: String| {
        report.at_offset(message, at, Rule::NativeHistogram, format!("a native histogram whose {why}"));
    };
    let schema = h.schema.unwrap_or(0);
    if !(-4..=8).contains(&schema) {
        fail(report, format!("schema {schema} is outside -4..=8"));
        return None;
    }
    let sides = buckets(&h.positive_spans, &h.positive_deltas, &h.positive_counts, "positive")
        .and_then(|p| Ok((p, buckets(&h.negative_spans, &h.negative_deltas, &h.negative_counts, "negative")?)));
    let (positive, negative) = match sides {
        Ok(sides) => sides,
        Err(why) => {
            fail(report, why);
            return None;
        }
    };
    let zero_count = if h.zero_count_float > 0.0 { h.zero_count_float } else { h.zero_count as f64 };
    let count = if h.sample_count_float > 0.0 { h.sample_count_float } else { h.sample_count as f64 };
    let in_buckets = zero_count + positive.iter().chain(&negative).map(|(_, c)| c).sum::<f64>();
    // NaN observations are counted and in no bucket, so the count may exceed the buckets, never fall short.
    if in_buckets > count * (1.0 + 1e-12) {
        fail(report, format!("buckets hold {in_buckets} observations, more than its count {count}"));
        return None;
    }
    if h.zero_threshold.is_nan() || h.zero_threshold < 0.0 {
        fail(report, format!("zero threshold is {}", h.zero_threshold));
        return None;
    }
    Some(NativeHistogram {
        labels: labels.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        schema,
        zero_threshold: h.zero_threshold,
        zero_count,
        count,
        sum: h.sample_sum,
        positive,
        negative,
        created,
        exemplars: h.exemplars.iter().map(|e| super::exemplar(e, message, at, report)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_become_counts_at_their_indexes() {
        // Buckets -1, 0 (one span), then after a gap of 2, bucket 3.
        let got = buckets(&[(-1, 2), (2, 1)], &[2, 1, -3], &[], "positive").unwrap();
        assert_eq!(got, [(-1, 2.0), (0, 3.0), (3, 0.0)]);
        assert!(buckets(&[(0, 2)], &[1], &[], "positive").unwrap_err().contains("list 2 buckets, 1 counts"));
        assert!(buckets(&[(0, 2)], &[1, -2], &[], "positive").unwrap_err().contains("negative count"));
        assert!(buckets(&[(0, 1), (-2, 1)], &[1, 0], &[], "positive").unwrap_err().contains("goes back"));
        assert!(buckets(&[(0, 1)], &[1], &[1.0], "positive").unwrap_err().contains("both"));
        assert_eq!(buckets(&[(5, 1)], &[], &[2.5], "negative").unwrap(), [(5, 2.5)]);
    }

    #[test]
    fn bounds_of_a_schema() {
        let h = NativeHistogram {
            labels: vec![],
            schema: 1,
            zero_threshold: 0.0,
            zero_count: 0.0,
            count: 0.0,
            sum: 0.0,
            positive: vec![],
            negative: vec![],
            created: None,
            exemplars: vec![],
        };
        assert_eq!(h.upper_bound(0), 1.0);
        assert_eq!(h.upper_bound(2), 2.0);
        assert_eq!(h.upper_bound(-2), 0.5);
        assert!((h.base() - std::f64::consts::SQRT_2).abs() < 1e-15);
    }
}
