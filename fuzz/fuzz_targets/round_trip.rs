//! Encode, then parse: arbitrary label values, HELP text and a gauge value, set through the public API,
//! come back exactly from the strict parser in both formats, and the exposition has no error.

#![no_main]

use std::collections::HashMap;
use std::sync::Arc;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use metrics_fuzz::FORMATS;
use promstruct::{Counter, Descriptor, FloatGauge, Format, MetricType, OpenFamily, OpenOptions, Registry};
use promstruct_testing::{Rule, parse};

#[derive(Debug)]
struct Input {
    help: String,
    values: Vec<String>,
    gauge: f64,
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Input { help: u.arbitrary()?, values: u.arbitrary()?, gauge: u.arbitrary()? })
    }
}

fuzz_target!(|input: Input| {
    let registry = Registry::builder().self_metrics(false).build();
    let desc = |name: &'static str, kind| {
        Descriptor::builder(name, kind, input.help.clone()).labels(["value"]).build().unwrap()
    };
    let counters =
        Arc::new(OpenFamily::<Counter>::new(desc("fuzz_values", MetricType::Counter), (), OpenOptions::new()));
    let gauges = Arc::new(OpenFamily::<FloatGauge>::new(desc("fuzz_level", MetricType::Gauge), (), OpenOptions::new()));
    registry.register(counters.clone()).unwrap();
    registry.register(gauges.clone()).unwrap();
    let mut expected: HashMap<&str, u64> = HashMap::new();
    for (i, value) in input.values.iter().enumerate() {
        counters.get(&[value]).inc_by(i as u64 + 1);
        *expected.entry(value).or_default() += i as u64 + 1;
    }
    let level = input.values.first().map_or("", String::as_str);
    gauges.get(&[level]).set(input.gauge);

    for format in FORMATS {
        let mut buf = Vec::new();
        registry.encode(format, &mut buf).unwrap();
        let text = String::from_utf8(buf).expect("expositions are UTF-8");
        let exposition = match parse(&text, format) {
            Ok(exposition) => exposition,
            Err(violations) => panic!("{format:?}: our own exposition is refused: {violations}\n{text}"),
        };
        // No warning either, but one: 0.0.4 cannot write a HELP text that starts with a blank so that
        // every reader keeps the blank (Prometheus does, promtool's parser does not), and says so.
        let leading_blank = format == Format::Text && input.help.starts_with([' ', '\t']);
        for warning in exposition.warnings() {
            let help_line = text.lines().nth(warning.line - 1).is_some_and(|l| l.starts_with("# HELP "));
            let expected = leading_blank && help_line && warning.rule == Rule::Whitespace;
            assert!(expected, "{format:?}: {warning}\n{text}");
        }
        let name = if format == Format::Text { "fuzz_values_total" } else { "fuzz_values" };
        let family = exposition.family(name).unwrap_or_else(|| panic!("{format:?}: no family {name}\n{text}"));
        // An empty HELP may be left out.
        let help = family.help.as_deref().unwrap_or_default();
        assert!(family.help.is_some() || input.help.is_empty(), "{format:?}: no HELP\n{text}");
        assert_eq!(help, input.help, "{format:?}: HELP\n{text}");
        for (value, total) in &expected {
            let got = exposition.value("fuzz_values_total", &[("value", value)]);
            assert_eq!(got, Some(*total as f64), "{format:?}: value {value:?}\n{text}");
        }
        let series = exposition.samples_named("fuzz_values_total").count();
        assert_eq!(series, expected.len(), "{format:?}: one series per distinct value\n{text}");
        let got = exposition.value("fuzz_level", &[("value", level)]).expect("the gauge");
        assert!(
            got == input.gauge || (got.is_nan() && input.gauge.is_nan()),
            "{format:?}: gauge {got} != {}",
            input.gauge
        );
    }
});
