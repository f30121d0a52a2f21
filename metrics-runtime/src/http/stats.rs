//! The endpoint's own counters, exposed with the registry's families under `metrics_runtime_http_*`.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::encoding::{Encoder, Number};
use crate::registry::Collect;
use crate::{Descriptor, Format, MetricType};

static SCRAPES: Descriptor = Descriptor::from_static(
    "metrics_runtime_http_scrapes",
    MetricType::Counter,
    "Scrapes answered with metrics, by format and content encoding.",
    None,
    &["format", "encoding"],
);
static ENCODES: Descriptor = Descriptor::from_static(
    "metrics_runtime_http_encodes",
    MetricType::Counter,
    "Encodings of the registry by the endpoint; scrapes served from the cache encode nothing.",
    None,
    &["format"],
);
static REJECTED: Descriptor = Descriptor::from_static(
    "metrics_runtime_http_rejected_requests",
    MetricType::Counter,
    "Scrapes refused, by reason.",
    None,
    &["reason"],
);

/// Why a scrape was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// No token, or an unknown one: 401.
    Unauthorized = 0,
    /// A token without the scope: 403.
    Forbidden = 1,
    /// Over the rate limit: 429.
    RateLimited = 2,
}

const REASONS: [&str; 3] = ["unauthorized", "forbidden", "rate_limited"];

fn format_index(format: Format) -> usize {
    match format {
        Format::Text => 0,
        Format::OpenMetrics => 1,
    }
}

fn format_label(index: usize) -> &'static str {
    ["text", "openmetrics"][index]
}

/// Counters of one handler.
#[derive(Debug, Default)]
pub(crate) struct HttpStats {
    /// By format, then identity/gzip.
    scrapes: [[AtomicU64; 2]; 2],
    encodes: [AtomicU64; 2],
    rejected: [AtomicU64; 3],
}

impl HttpStats {
    pub(crate) fn scraped(&self, format: Format, gzip: bool) {
        self.scrapes[format_index(format)][usize::from(gzip)].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn encoded(&self, format: Format) {
        self.encodes[format_index(format)].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn rejected(&self, why: Rejection) {
        self.rejected[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn encodes(&self, format: Format) -> u64 {
        self.encodes[format_index(format)].load(Ordering::Relaxed)
    }
}

impl Collect for HttpStats {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        out(&SCRAPES);
        out(&ENCODES);
        out(&REJECTED);
    }

    fn collect(&self, enc: &mut Encoder<'_>) {
        let mut family = enc.family(&SCRAPES);
        for (f, by_encoding) in self.scrapes.iter().enumerate() {
            for (encoding, count) in ["identity", "gzip"].into_iter().zip(by_encoding) {
                let labels = [("format", format_label(f)), ("encoding", encoding)];
                family.counter(&labels, Number::U64(count.load(Ordering::Relaxed)), None);
            }
        }
        let mut family = enc.family(&ENCODES);
        for (f, count) in self.encodes.iter().enumerate() {
            family.counter(&[("format", format_label(f))], Number::U64(count.load(Ordering::Relaxed)), None);
        }
        let mut family = enc.family(&REJECTED);
        for (reason, count) in REASONS.into_iter().zip(&self.rejected) {
            family.counter(&[("reason", reason)], Number::U64(count.load(Ordering::Relaxed)), None);
        }
    }
}
