//! The endpoint's own counters, exposed with the registry's families under `promstruct_http_*`:
//! declared with the crate's own `#[metrics]`, so they are dense families like any user's.

use crate::Format;
use crate::cell::Counter;

/// The format of a scrape's answer, as a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::LabelEnum)]
#[label(crate = crate)]
pub(crate) enum FormatLabel {
    Text,
    #[label(rename = "openmetrics")]
    OpenMetrics,
    Protobuf,
}

impl From<Format> for FormatLabel {
    fn from(format: Format) -> Self {
        match format {
            Format::Text => FormatLabel::Text,
            Format::OpenMetrics => FormatLabel::OpenMetrics,
            Format::Protobuf => FormatLabel::Protobuf,
        }
    }
}

/// The content encoding of a scrape's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::LabelEnum)]
#[label(crate = crate)]
pub(crate) enum ContentEncoding {
    Identity,
    Gzip,
}

/// Why a scrape was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::LabelEnum)]
#[label(crate = crate)]
pub(crate) enum Rejection {
    /// No token, or an unknown one: 401.
    Unauthorized,
    /// A token without the scope: 403.
    Forbidden,
    /// Over the rate limit: 429.
    RateLimited,
}

/// Counters of one handler.
#[crate::metrics(crate = crate, namespace = "promstruct", subsystem = "http")]
#[derive(Debug)]
pub(crate) struct HttpStats {
    /// Scrapes answered with metrics, by format and content encoding.
    #[counter(labels(format: FormatLabel, encoding: ContentEncoding))]
    scrapes: Counter,

    /// Encodings of the registry by the endpoint; scrapes served from the cache encode nothing.
    #[counter(labels(format: FormatLabel))]
    encodes: Counter,

    /// Scrapes refused, by reason.
    #[counter(labels(reason: Rejection))]
    rejected_requests: Counter,
}

impl HttpStats {
    pub(crate) fn scraped(&self, format: Format, gzip: bool) {
        let encoding = if gzip { ContentEncoding::Gzip } else { ContentEncoding::Identity };
        self.scrapes(format.into(), encoding).inc();
    }

    pub(crate) fn encoded(&self, format: Format) {
        self.encodes(format.into()).inc();
    }

    pub(crate) fn rejected(&self, why: Rejection) {
        self.rejected_requests(why).inc();
    }

    pub(crate) fn encodes_of(&self, format: Format) -> u64 {
        self.encodes(format.into()).get()
    }
}
