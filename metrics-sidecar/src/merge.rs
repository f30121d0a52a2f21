//! The union of the sources' expositions: their families, each series labelled with its source, and the
//! families refused, each with its reason.
//!
//! Sources are taken in the configured order. A family two sources expose with the same name, type and
//! unit is one family of the union (the first source's help text kept). A source's family is refused, and
//! the others served, when it
//!
//! - is of a type the runtime's encoders do not write (summary, stateset, gaugehistogram);
//! - has the name of a family another source exposes with another type or unit;
//! - would expose a sample name another family of the union exposes (counter `jobs` and gauge
//!   `jobs_total`), or one of the sidecar's own families (`promstruct_http_*`, `promstruct_sidecar_*`)
//!   under another family;
//! - already carries the source label on its series, or a label name the runtime's rules refuse;
//! - is a histogram whose buckets do not re-encode (only the `+Inf` bucket, counts that are not whole).
//!
//! A family with the name and type of one of the sidecar's own is left out without a refusal: a promstruct
//! application has the endpoint counters the sidecar has (`promstruct_http_scrapes_total`, counting the
//! sidecar's collections there), and the sidecar's own are the ones served. An `unknown` (OpenMetrics) or
//! `untyped` (0.0.4) family is re-exposed as a gauge, the way Prometheus reads it. Sample timestamps are
//! dropped (the runtime's encoders write none), and so are exemplars: the sidecar re-exposes values only,
//! an application's exemplars reach Prometheus when it scrapes the application itself.

use std::collections::HashMap;

use promstruct::{Buckets, Descriptor, Format, MetricType, Policy};
use promstruct_testing::{Exposition, FamilyType, ParsedFamily};

/// A source's exposition, read by the strict parser.
#[derive(Debug)]
pub(crate) struct Collected {
    /// The format it came in.
    pub(crate) format: Format,
    /// What it holds.
    pub(crate) exposition: Exposition,
}

/// A family of one source that is not re-exposed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The family's name.
    pub(crate) family: String,
    /// Why, in words.
    pub(crate) reason: String,
}

/// One series of the union.
#[derive(Debug)]
pub(crate) struct Series {
    /// The source it came from, an index into the configured sources.
    pub(crate) source: usize,
    /// Its labels as the source wrote them (without `le`), the source label not among them.
    pub(crate) labels: Vec<(String, String)>,
    /// A counter's or gauge's value (1 for an info).
    pub(crate) value: f64,
    /// A counter's or histogram's `_created`, seconds since the epoch.
    pub(crate) created: Option<f64>,
    /// A histogram's buckets and sum.
    pub(crate) histogram: Option<HistogramSeries>,
}

/// A histogram series, ready for the encoder.
#[derive(Debug)]
pub(crate) struct HistogramSeries {
    pub(crate) buckets: Buckets,
    /// Cumulative counts, one per bound, then the `+Inf` bucket's.
    pub(crate) cumulative: Vec<u64>,
    pub(crate) sum: f64,
}

/// One family of the union.
#[derive(Debug)]
pub(crate) struct Family {
    pub(crate) descriptor: Descriptor,
    pub(crate) series: Vec<Series>,
}

/// The union of the sources' families.
#[derive(Debug, Default)]
pub(crate) struct Union {
    pub(crate) families: Vec<Family>,
    /// By source: the families refused.
    pub(crate) refused: Vec<Vec<Refusal>>,
    /// By source: the series re-exposed.
    pub(crate) series: Vec<usize>,
}

/// Who exposes a sample name already.
#[derive(Debug, Clone, Copy)]
enum Owner {
    /// The sidecar itself.
    Sidecar,
    /// A family of the union.
    Family(usize),
}

/// The union of `collected` (one entry per configured source, `None` where it gave nothing), its series
/// labelled `label="<name of the source>"`; `reserved` are the sidecar's own families.
pub(crate) fn merge(
    label: &str,
    names: &[String],
    reserved: &[(String, MetricType)],
    collected: Vec<Option<Collected>>,
) -> Union {
    let mut union =
        Union { families: Vec::new(), refused: vec![Vec::new(); names.len()], series: vec![0; names.len()] };
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut samples: HashMap<String, Owner> = HashMap::new();
    // The first source of each family, to name it in refusals.
    let mut first_source: Vec<usize> = Vec::new();
    let own: HashMap<&str, MetricType> = reserved.iter().map(|(name, kind)| (name.as_str(), *kind)).collect();
    for (name, kind) in reserved {
        for suffix in kind.sample_suffixes() {
            samples.insert(format!("{name}{suffix}"), Owner::Sidecar);
        }
    }
    for (source, collected) in collected.into_iter().enumerate() {
        let Some(Collected { format, exposition }) = collected else { continue };
        for parsed in exposition.into_families() {
            let family_name = parsed.name.clone();
            let converted = match convert(parsed, format, label, source) {
                Ok(converted) => converted,
                Err(reason) => {
                    union.refused[source].push(Refusal { family: family_name, reason });
                    continue;
                }
            };
            let name = converted.descriptor.name().to_owned();
            let kind = converted.descriptor.kind();
            if own.get(name.as_str()) == Some(&kind) {
                continue;
            }
            if let Some(&index) = by_name.get(&name) {
                let existing = &union.families[index].descriptor;
                if existing.kind() != kind || existing.unit() != converted.descriptor.unit() {
                    let reason = format!(
                        "source `{}` exposes `{name}` as a {}{}, and this source as a {}{}",
                        names[first_source[index]],
                        existing.kind(),
                        unit_text(existing.unit()),
                        kind,
                        unit_text(converted.descriptor.unit()),
                    );
                    union.refused[source].push(Refusal { family: family_name, reason });
                    continue;
                }
                union.series[source] += converted.series.len();
                union.families[index].series.extend(converted.series);
                continue;
            }
            let clash = kind.sample_suffixes().iter().find_map(|suffix| {
                let sample = format!("{name}{suffix}");
                samples.get(&sample).map(|owner| (sample, *owner))
            });
            if let Some((sample, owner)) = clash {
                let reason = match owner {
                    Owner::Sidecar => format!("`{sample}` is a sample name of the sidecar's own families"),
                    Owner::Family(other) => format!(
                        "`{sample}` is a sample name of `{}` ({}), which source `{}` exposes",
                        union.families[other].descriptor.name(),
                        union.families[other].descriptor.kind(),
                        names[first_source[other]],
                    ),
                };
                union.refused[source].push(Refusal { family: family_name, reason });
                continue;
            }
            let index = union.families.len();
            for suffix in kind.sample_suffixes() {
                samples.insert(format!("{name}{suffix}"), Owner::Family(index));
            }
            by_name.insert(name, index);
            first_source.push(source);
            union.series[source] += converted.series.len();
            union.families.push(converted);
        }
    }
    union
}

fn unit_text(unit: Option<&str>) -> String {
    unit.map(|u| format!(" in {u}")).unwrap_or_default()
}

/// A parsed family as a family of the union: its descriptor, and its samples gathered into series.
fn convert(parsed: ParsedFamily, format: Format, label: &str, source: usize) -> Result<Family, String> {
    let kind = match parsed.kind {
        FamilyType::Counter => MetricType::Counter,
        FamilyType::Gauge | FamilyType::Unknown | FamilyType::Untyped => MetricType::Gauge,
        FamilyType::Histogram => MetricType::Histogram,
        FamilyType::Info => MetricType::Info,
        other => {
            return Err(format!(
                "a {other} family, which the sidecar cannot re-expose (it writes counters, gauges, histograms and info)"
            ));
        }
    };
    // In 0.0.4 a counter's family is named like its sample, `jobs_total`; the union names it `jobs`.
    let name = match (kind, format) {
        (MetricType::Counter, Format::Text) => parsed.name.strip_suffix("_total").unwrap_or(&parsed.name).to_owned(),
        _ => parsed.name.clone(),
    };
    let mut builder =
        Descriptor::builder(name.clone(), kind, parsed.help.clone().unwrap_or_default()).policy(Policy::PERMISSIVE);
    if let Some(unit) = parsed.unit.as_deref().filter(|u| name.strip_suffix(u).is_some_and(|rest| rest.ends_with('_')))
    {
        builder = builder.unit(unit.to_owned());
    }
    let descriptor = builder.build().map_err(|e| format!("its name breaks a naming rule: {e}"))?;

    let mut series: Vec<Series> = Vec::new();
    let mut index: HashMap<Vec<(String, String)>, usize> = HashMap::new();
    // A histogram's buckets, by series: (le, count).
    let mut buckets: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut sums: Vec<f64> = Vec::new();
    for sample in parsed.samples {
        if sample.labels.iter().any(|(n, _)| n == label) {
            return Err(format!(
                "its series already have a `{label}` label, which the sidecar sets to the source's name"
            ));
        }
        let suffix = sample.name.strip_prefix(name.as_str()).unwrap_or("");
        let mut le = None;
        let labels: Vec<(String, String)> = sample
            .labels
            .into_iter()
            .filter(|(n, v)| {
                let is_le = kind == MetricType::Histogram && suffix == "_bucket" && n == "le";
                if is_le {
                    le = Some(v.clone());
                }
                !is_le
            })
            .collect();
        if let Some((bad, e)) = labels
            .iter()
            .find_map(|(n, _)| promstruct_naming::check_label_name(n, MetricType::Gauge).err().map(|e| (n, e)))
        {
            return Err(format!("its label `{bad}` breaks the runtime's label rules: {e}"));
        }
        let mut key = labels.clone();
        key.sort_unstable();
        let at = *index.entry(key).or_insert_with(|| {
            series.push(Series { source, labels, value: 0.0, created: None, histogram: None });
            buckets.push(Vec::new());
            sums.push(f64::NAN);
            series.len() - 1
        });
        match (kind, suffix) {
            (MetricType::Counter, "_created") | (MetricType::Histogram, "_created") => {
                series[at].created = Some(sample.value)
            }
            (MetricType::Counter, _) | (MetricType::Gauge, _) | (MetricType::Info, _) => {
                series[at].value = sample.value
            }
            (MetricType::Histogram, "_bucket") => {
                let le = le.as_deref().unwrap_or("+Inf");
                let bound = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().map_err(|_| format!("a bucket bound `{le}`"))?
                };
                buckets[at].push((bound, sample.value));
            }
            (MetricType::Histogram, "_sum") => sums[at] = sample.value,
            // `_count` equals the `+Inf` bucket, which the parser checked.
            (MetricType::Histogram, _) => {}
        }
    }
    if kind == MetricType::Histogram {
        let mut previous: Option<Buckets> = None;
        for ((s, mut bucket_list), sum) in series.iter_mut().zip(buckets).zip(sums) {
            bucket_list.sort_by(|a, b| a.0.total_cmp(&b.0));
            let bounds: Vec<f64> = bucket_list.iter().map(|(b, _)| *b).filter(|b| b.is_finite()).collect();
            let layout = match &previous {
                Some(buckets) if buckets.bounds() == bounds.as_slice() => buckets.clone(),
                _ => Buckets::new(bounds).map_err(|e| format!("its buckets do not re-encode: {e}"))?,
            };
            let cumulative = bucket_list
                .iter()
                .map(|(_, count)| whole(*count))
                .collect::<Option<Vec<u64>>>()
                .ok_or("its bucket counts are not whole numbers")?;
            if cumulative.len() != layout.len() + 1 {
                return Err("a series lacks its +Inf bucket".to_owned());
            }
            previous = Some(layout.clone());
            s.histogram = Some(HistogramSeries { buckets: layout, cumulative, sum });
        }
    }
    Ok(Family { descriptor, series })
}

/// `v` as a whole non-negative number, if it is one.
fn whole(v: f64) -> Option<u64> {
    (v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(64)).then_some(v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collected(text: &str, format: Format) -> Option<Collected> {
        let exposition = promstruct_testing::parse(text, format).unwrap_or_else(|e| panic!("{e}\n{text}"));
        Some(Collected { format, exposition })
    }

    fn names() -> Vec<String> {
        vec!["a".to_owned(), "b".to_owned()]
    }

    #[test]
    fn same_families_merge_and_each_series_keeps_its_source() {
        let a = "# TYPE jobs counter\n# HELP jobs Jobs of a.\njobs_total{q=\"x\"} 1\njobs_created{q=\"x\"} 10\n# EOF\n";
        let b = "# HELP jobs_total Jobs of b.\n# TYPE jobs_total counter\njobs_total{q=\"x\"} 2\n";
        let union = merge("app", &names(), &[], vec![collected(a, Format::OpenMetrics), collected(b, Format::Text)]);
        assert_eq!(union.families.len(), 1);
        let family = &union.families[0];
        assert_eq!((family.descriptor.name(), family.descriptor.kind()), ("jobs", MetricType::Counter));
        assert_eq!(family.descriptor.help(), "Jobs of a.", "the first source's help");
        let values: Vec<_> = family.series.iter().map(|s| (s.source, s.value, s.created)).collect();
        assert_eq!(values, [(0, 1.0, Some(10.0)), (1, 2.0, None)]);
        assert_eq!(union.series, [1, 1]);
        assert!(union.refused.iter().all(Vec::is_empty));
    }

    #[test]
    fn clashing_families_are_refused_with_their_reason_and_the_rest_served() {
        let a = "# TYPE jobs counter\njobs_total 1\n# TYPE depth gauge\ndepth 3\n# EOF\n";
        let b = concat!(
            "# TYPE jobs gauge\njobs 1\n",                  // same name, another type
            "# TYPE jobs_total gauge\njobs_total 1\n",      // the sample name of a's counter
            "# TYPE lat summary\nlat_count 1\nlat_sum 2\n", // a type the encoders do not write
            "# TYPE owned gauge\nowned{app=\"x\"} 1\n",     // the source label taken
            "# TYPE promstruct_http_scrapes counter\npromstruct_http_scrapes_total 4\n", // the sidecar's: left out
            "# TYPE promstruct_http_encodes gauge\npromstruct_http_encodes 4\n", // the sidecar's, another type
            "# TYPE depth gauge\ndepth 4\n",                // merges
            "# EOF\n"
        );
        let reserved = [
            ("promstruct_http_scrapes".to_owned(), MetricType::Counter),
            ("promstruct_http_encodes".to_owned(), MetricType::Counter),
        ];
        let union = merge(
            "app",
            &names(),
            &reserved,
            vec![collected(a, Format::OpenMetrics), collected(b, Format::OpenMetrics)],
        );
        let refused: Vec<(&str, &str)> =
            union.refused[1].iter().map(|r| (r.family.as_str(), r.reason.as_str())).collect();
        let expect = [
            ("jobs", "source `a` exposes `jobs` as a counter"),
            ("jobs_total", "`jobs_total` is a sample name of `jobs` (counter), which source `a` exposes"),
            ("lat", "a summary family"),
            ("owned", "already have a `app` label"),
            ("promstruct_http_encodes", "the sidecar's own"),
        ];
        assert_eq!(refused.len(), expect.len(), "{refused:#?}");
        for ((family, reason), (want_family, want_reason)) in refused.iter().zip(expect) {
            assert_eq!(*family, want_family);
            assert!(reason.contains(want_reason), "{family}: {reason}");
        }
        assert!(union.refused[0].is_empty());
        let depth = union.families.iter().find(|f| f.descriptor.name() == "depth").unwrap();
        assert_eq!(depth.series.iter().map(|s| s.value).collect::<Vec<_>>(), [3.0, 4.0]);
        assert_eq!(union.series, [2, 1]);
    }

    #[test]
    fn histograms_gather_their_buckets_and_unknown_families_become_gauges() {
        let a = concat!(
            "# TYPE lat_seconds histogram\n# UNIT lat_seconds seconds\n",
            "lat_seconds_bucket{m=\"x\",le=\"0.5\"} 1\nlat_seconds_bucket{m=\"x\",le=\"+Inf\"} 3\n",
            "lat_seconds_sum{m=\"x\"} 4.5\nlat_seconds_count{m=\"x\"} 3\nlat_seconds_created{m=\"x\"} 7\n",
            "# TYPE odd unknown\nodd 5\n# EOF\n"
        );
        let union = merge("app", &names(), &[], vec![collected(a, Format::OpenMetrics), None]);
        assert!(union.refused[0].is_empty(), "{:?}", union.refused);
        let lat = &union.families[0];
        assert_eq!((lat.descriptor.name(), lat.descriptor.unit()), ("lat_seconds", Some("seconds")));
        let h = lat.series[0].histogram.as_ref().unwrap();
        assert_eq!((h.buckets.bounds(), h.cumulative.as_slice(), h.sum), (&[0.5][..], &[1, 3][..], 4.5));
        assert_eq!(lat.series[0].created, Some(7.0));
        assert_eq!(lat.series[0].labels, [("m".to_owned(), "x".to_owned())]);
        assert_eq!(union.families[1].descriptor.kind(), MetricType::Gauge);
        assert_eq!(union.series, [2, 0]);
    }
}
