use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::*;
use crate::{
    Buckets, Counter, CounterOps, DenseFamily, Descriptor, FloatCounter, Format, Histogram, HistogramConfig,
    HistogramOps, MetricType, NativeConfig, OpenFamily, OpenOptions, Registry,
};

/// A label value of `n` two-byte characters, beside the one-character name `t`.
fn value_of(n: usize) -> String {
    "é".repeat(n)
}

fn text(registry: &Registry, format: Format) -> String {
    let mut buf = Vec::new();
    registry.encode(format, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn the_limit_counts_code_points_not_bytes_at_127_128_and_129() {
    // `t` and 126, 127, 128 two-byte characters: 127, 128, 129 code points, 253 to 257 bytes.
    for (n, code_points) in [(126, 127), (127, 128)] {
        let e = Exemplar::new(&[("t", &value_of(n))], 1.0).unwrap();
        assert_eq!(e.labels().map(|(n, v)| n.chars().count() + v.chars().count()).sum::<usize>(), code_points);
    }
    assert_eq!(Exemplar::new(&[("t", &value_of(128))], 1.0), Err(ExemplarError::TooLong { code_points: 129 }));
    // Names count too: two pairs of 64 code points each fit, one more character does not.
    let (a, b) = ("a".repeat(10), "€".repeat(54));
    assert!(Exemplar::new(&[(&a, &b), (&a[..9], &"€".repeat(55))], 0.0).is_ok());
    assert!(Exemplar::new(&[(&a, &b), (&a, &"€".repeat(55))], 0.0).is_err());
}

#[test]
fn invalid_and_repeated_names_are_refused_and_an_empty_set_is_kept() {
    for name in ["", "1a", "trace-id", "trace id", "é"] {
        assert_eq!(
            Exemplar::new(&[(name, "x")], 1.0),
            Err(ExemplarError::InvalidName { name: name.to_owned() }),
            "{name:?}"
        );
    }
    assert_eq!(
        Exemplar::new(&[("a", "1"), ("a", "2")], 1.0),
        Err(ExemplarError::DuplicateName { name: "a".to_owned() })
    );
    let e = Exemplar::new(&[], 2.0).unwrap();
    assert_eq!((e.labels().count(), e.value()), (0, 2.0));
    let e = Exemplar::at(&[("trace_id", "abc"), ("_b9", "")], 3.0, 1_700_000_000_123).unwrap();
    assert_eq!(e.labels().collect::<Vec<_>>(), [("trace_id", "abc"), ("_b9", "")]);
    assert_eq!((e.timestamp_ms(), e.timestamp()), (1_700_000_000_123, 1_700_000_000.123));
}

#[test]
fn a_refused_exemplar_keeps_the_update_and_the_previous_exemplar_and_is_counted_once_registered() {
    let registry = Registry::new();
    let desc = Descriptor::builder("jobs", MetricType::Counter, "Jobs.").labels(["queue"]).build().unwrap();
    let open = Arc::new(OpenFamily::<Counter>::new(desc, (), OpenOptions::new()));
    let dense = Arc::new(DenseFamily::<(), FloatCounter>::new(
        Descriptor::new("spend", MetricType::Counter, "Spend.").unwrap(),
        (),
    ));
    let hist = Arc::new(DenseFamily::<(), Histogram>::new(
        Descriptor::new("latency", MetricType::Histogram, "Latency.").unwrap(),
        HistogramConfig::classic(Buckets::new([1.0]).unwrap()),
    ));
    registry.register(open.clone()).unwrap();
    registry.register(dense.clone()).unwrap();
    registry.register(hist.clone()).unwrap();
    let series = open.get(&["mail"]);
    series.inc_with_exemplar(&[("trace_id", "a")]).unwrap();
    let long = value_of(128);
    assert!(series.inc_with_exemplar(&[("t", &long)]).is_err());
    assert!(dense.get(()).inc_by_with_exemplar(0.5, &[("bad-name", "x")]).is_err());
    assert_eq!(dense.get(()).inc_by_with_exemplar(-1.0, &[("t", "x")]), Err(ExemplarError::UpdateRefused));
    assert!(hist.get(()).observe_with_exemplar(0.5, &[("t", &long)]).is_err());
    assert_eq!(hist.get(()).observe_with_exemplar(f64::NAN, &[("t", "x")]), Err(ExemplarError::UpdateRefused));
    assert_eq!(series.get(), 2, "the increment is applied");
    assert_eq!(series.exemplar().unwrap().labels().next(), Some(("trace_id", "a")), "the previous one stays");
    assert_eq!((dense.get(()).get(), hist.get(()).count()), (0.5, 1));
    assert_eq!(registry.rejected_exemplars(), 3, "labels refused, not updates refused");
    assert_eq!(registry.rejected_updates(), 2);
    assert!(text(&registry, Format::Text).contains("\npromstruct_exemplars_rejected_total 3\n"));
    // Outside a registry a refusal is returned and counted nowhere.
    assert!(Counter::new().inc_with_exemplar(&[("t", &long)]).is_err());
    assert_eq!(registry.rejected_exemplars(), 3);
}

#[test]
fn every_handle_keeps_its_latest_exemplar_with_the_value_of_its_update() {
    let dense = DenseFamily::<(), Counter>::new(Descriptor::new("a", MetricType::Counter, "A.").unwrap(), ());
    dense.get(()).inc_with_exemplar(&[("t", "1")]).unwrap();
    CounterOps::inc_by_with_exemplar(&dense.get(()), 5, &[("t", "2")]).unwrap();
    let e = dense.get(()).exemplar().unwrap();
    assert_eq!((e.labels().next(), e.value(), dense.get(()).get()), (Some(("t", "2")), 5.0, 6));
    let float = FloatCounter::new();
    float.inc_with_exemplar(&[("t", "x")]).unwrap();
    assert_eq!(float.exemplar().unwrap().value(), 1.0);
    let native = Histogram::new(HistogramConfig::native(NativeConfig::new()));
    for i in 0..25 {
        HistogramOps::observe_with_exemplar(&native, f64::from(i), &[("i", &i.to_string())]).unwrap();
    }
    let recent = native.recent_exemplars();
    assert_eq!(recent.len(), slot::NATIVE_EXEMPLARS, "a bounded set of the most recent");
    let mut kept: Vec<f64> = recent.iter().map(|e| e.value()).collect();
    kept.sort_by(f64::total_cmp);
    assert_eq!(kept, (15..25).map(f64::from).collect::<Vec<_>>());
    assert!(native.exemplars().is_empty(), "no classic bucket to hold one");
}

#[test]
fn plain_counters_stay_small_and_dense_series_stay_16_bytes() {
    assert_eq!(std::mem::size_of::<Counter>(), 24, "the value, the exemplar slot and the bound registry");
    assert_eq!(std::mem::size_of::<ExemplarSlot>(), 8);
    assert_eq!(std::mem::size_of::<LazyExemplars>(), 8);
    assert_eq!(std::mem::size_of::<HistogramExemplars>(), 8);
    let family = DenseFamily::<(), Counter>::new(Descriptor::new("a", MetricType::Counter, "A.").unwrap(), ());
    family.get(()).inc();
    assert!(family.get(()).exemplar().is_none(), "no table until the first exemplar");
}

#[test]
fn openmetrics_writes_exemplars_on_total_and_bucket_lines_only_and_text_never() {
    let registry = Registry::builder().self_metrics(false).build();
    let c = Arc::new(DenseFamily::<(), Counter>::new(Descriptor::new("req", MetricType::Counter, "R.").unwrap(), ()));
    let h = Arc::new(DenseFamily::<(), Histogram>::new(
        Descriptor::new("lat", MetricType::Histogram, "L.").unwrap(),
        HistogramConfig::classic(Buckets::new([0.1, 1.0]).unwrap()),
    ));
    registry.register(c.clone()).unwrap();
    registry.register(h.clone()).unwrap();
    c.get(()).inc_with_exemplar(&[("trace_id", "ab\"c")]).unwrap();
    h.get(()).observe_with_exemplar(0.5, &[("trace_id", "t1")]).unwrap();
    h.get(()).observe_with_exemplar(7.0, &[("trace_id", "t2")]).unwrap();
    let om = text(&registry, Format::OpenMetrics);
    let lines: Vec<&str> = om.lines().filter(|l| l.contains(" # {")).collect();
    assert_eq!(lines.len(), 3, "{om}");
    assert!(lines[0].starts_with("req_total 1 # {trace_id=\"ab\\\"c\"} 1.0 "), "{om}");
    assert!(lines[1].starts_with("lat_bucket{le=\"1.0\"} 1 # {trace_id=\"t1\"} 0.5 "), "{om}");
    assert!(lines[2].starts_with("lat_bucket{le=\"+Inf\"} 2 # {trace_id=\"t2\"} 7.0 "), "{om}");
    let ts: f64 = lines[0].rsplit(' ').next().unwrap().parse().unwrap();
    assert!((ts - crate::clock::now_epoch_seconds()).abs() < 60.0, "a timestamp, in seconds: {ts}");
    let text = text(&registry, Format::Text);
    assert!(text.contains("req_total 1\n") && !text.contains(" # {"), "never in 0.0.4: {text}");
}

#[test]
fn concurrent_replaces_while_scraping_never_tear_an_exemplar() {
    // Each writer's exemplar names its value twice, in two labels; a reader that saw the labels of one
    // with the value of another, or half of each, would find them disagreeing.
    let counter = Counter::new();
    let hist =
        Histogram::new(HistogramConfig::classic(Buckets::new([1.0, 1e9]).unwrap()).with_native(NativeConfig::new()));
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        for w in 0..3u64 {
            let (counter, hist) = (&counter, &hist);
            s.spawn(move || {
                for i in 0..20_000u64 {
                    let v = w * 1_000_000 + i + 2;
                    let text = v.to_string();
                    counter.inc_by_with_exemplar(v, &[("a", &text), ("b", &text)]).unwrap();
                    hist.observe_with_exemplar(v as f64, &[("a", &text), ("b", &text)]).unwrap();
                }
            });
        }
        let (counter, hist, done) = (&counter, &hist, &done);
        s.spawn(move || {
            let mut seen = 0;
            while !done.load(Ordering::Relaxed) || seen < 100 {
                let check = |e: &Exemplar| {
                    let labels: Vec<_> = e.labels().collect();
                    assert_eq!(labels[0].1, labels[1].1, "torn labels");
                    assert_eq!(labels[0].1.parse::<f64>().unwrap(), e.value(), "labels of one, value of another");
                };
                counter.exemplar().inspect(|e| check(e));
                hist.exemplars().iter().flatten().for_each(|e| check(e));
                hist.recent_exemplars().iter().for_each(|e| check(e));
                let registry_free = text_of(hist);
                assert!(registry_free.contains("lat_bucket"));
                seen += 1;
            }
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        done.store(true, Ordering::Relaxed);
    });
    assert_eq!(hist.count(), 60_000);
}

/// The OpenMetrics text of one histogram, every exemplar line checked to agree with itself.
fn text_of(hist: &Histogram) -> String {
    let mut enc_buf = Vec::new();
    let desc = Descriptor::new("lat", MetricType::Histogram, "L.").unwrap();
    let mut scratch = crate::encoding::Scratch::new();
    let mut enc = crate::Encoder::new(Format::OpenMetrics, &mut enc_buf, &mut scratch);
    crate::Metric::encode(hist, &mut enc.family(&desc), &(), None);
    enc.finish();
    let out = String::from_utf8(enc_buf).unwrap();
    for line in out.lines().filter(|l| l.contains(" # {")) {
        let (_, exemplar) = line.split_once(" # {a=\"").unwrap();
        let (a, rest) = exemplar.split_once("\",b=\"").unwrap();
        let (b, rest) = rest.split_once("\"} ").unwrap();
        let value = rest.split(' ').next().unwrap();
        assert_eq!((a, a.parse::<f64>().unwrap()), (b, value.parse::<f64>().unwrap()), "{line}");
    }
    out
}
