//! Expositions as the tests read them: always through the strict parser of `promstruct-testing`, never by
//! splitting lines, so that a value a test checks comes from text that is valid in its format.

use std::collections::BTreeMap;

use promstruct::Format;
use promstruct_testing::{Exposition, parse, parse_protobuf};

/// The format a `Content-Type` names: OpenMetrics for `application/openmetrics-text`, the text format
/// 0.0.4 for `text/plain`, protobuf for `application/vnd.google.protobuf`; panics on anything else.
pub fn format_of(content_type: &str) -> Format {
    let media = content_type.split(';').next().unwrap_or("").trim();
    match media {
        "application/openmetrics-text" => Format::OpenMetrics,
        "text/plain" => Format::Text,
        "application/vnd.google.protobuf" => Format::Protobuf,
        _ => panic!("`{content_type}` is not the Content-Type of an exposition"),
    }
}

/// Parses `text` as `format` with the strict parser; panics, listing every violation and the text, unless
/// it breaks no rule of the format (warnings are allowed; `promstruct_testing::assert_valid` refuses them
/// too).
#[track_caller]
pub fn parse_strictly(text: &str, format: Format) -> Exposition {
    parse(text, format).unwrap_or_else(|violations| panic!("not a valid {format:?} exposition: {violations}\n{text}"))
}

/// [`parse_strictly`] for a body as received, in any format (a protobuf one need not be UTF-8).
#[track_caller]
pub fn parse_body_strictly(body: &[u8], format: Format) -> Exposition {
    if format == Format::Protobuf {
        return parse_protobuf(body).unwrap_or_else(|violations| {
            panic!("not a valid protobuf exposition ({} bytes): {violations}", body.len())
        });
    }
    parse_strictly(std::str::from_utf8(body).expect("a UTF-8 exposition"), format)
}

/// The value of the sample `name{labels}` (labels in any order); panics, showing the exposition's samples,
/// when there is none.
#[track_caller]
pub fn value(exposition: &Exposition, name: &str, labels: &[(&str, &str)]) -> f64 {
    exposition.value(name, labels).unwrap_or_else(|| {
        let series: Vec<String> = exposition.samples().map(|s| s.series()).collect();
        panic!("no sample {name} {labels:?} among\n{}", series.join("\n"))
    })
}

/// A series: the sample name and its labels, sorted.
pub type SeriesKey = (String, BTreeMap<String, String>);

/// Every sample of `exposition` by series, for comparing with what another program (Prometheus, the
/// Pushgateway) stored.
pub fn by_series(exposition: &Exposition) -> BTreeMap<SeriesKey, f64> {
    exposition.samples().map(|s| ((s.name.clone(), s.labels.iter().cloned().collect()), s.value)).collect()
}
