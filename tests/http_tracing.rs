//! The `scrape` tracing span of the endpoint: one a scrape, with its format, series, bytes, gzip and
//! cache fields; none for probes and refusals. The only test of its binary: the subscriber is the test
//! thread's own, and a test running beside it with none could register the handler's callsite first,
//! with an interest that excludes it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use promstruct::config::Config;
use promstruct::{Format, Registry};
use suite::http::{PROMETHEUS_2_ACCEPT, TEXT, TestServer, get};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// The fields of every `scrape` span, as recorded by the time the span closed.
#[derive(Clone, Default)]
struct ScrapeSpans {
    open: Arc<Mutex<HashMap<u64, BTreeMap<String, String>>>>,
    closed: Arc<Mutex<Vec<BTreeMap<String, String>>>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for ScrapeSpans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        if attrs.metadata().name() == "scrape" && attrs.metadata().target().starts_with("promstruct") {
            let mut fields = BTreeMap::new();
            attrs.record(&mut Fields(&mut fields));
            self.open.lock().unwrap().insert(id.into_u64(), fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        if let Some(fields) = self.open.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }

    fn on_close(&self, id: Id, _: Context<'_, S>) {
        if let Some(fields) = self.open.lock().unwrap().remove(&id.into_u64()) {
            self.closed.lock().unwrap().push(fields);
        }
    }
}

#[tokio::test]
async fn each_scrape_has_a_span_with_format_series_and_bytes() {
    let spans = ScrapeSpans::default();
    // This runtime has one thread, where the handler runs: a thread-local subscriber sees its spans.
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    // Other tests of this binary run beside this one with no subscriber: a callsite they reach first keeps
    // the interest computed then unless it is computed again now that this thread has one.
    tracing::callsite::rebuild_interest_cache();
    let config = Config::builder().compression(0).cache_ttl(Duration::from_secs(60));
    let server = TestServer::start(Registry::new(), config).await;

    let om = get(server.addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT)]).await;
    let om_again = get(server.addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT)]).await;
    let gzipped = get(server.addr, "/metrics", &[("accept-encoding", "gzip")]).await;
    assert_eq!(gzipped.header("content-type"), TEXT);
    // Refusals and probes are not scrapes.
    get(server.addr, "/health", &[]).await;
    get(server.addr, "/metrics", &[("accept", "text/plain;q=0,application/openmetrics-text;q=0")]).await;
    server.stop().await;

    let closed = spans.closed.lock().unwrap().clone();
    assert_eq!(closed.len(), 3, "{closed:#?}");
    let mut buf = Vec::new();
    let series = server_series(&mut buf, Format::OpenMetrics);
    let expect = |fields: &BTreeMap<String, String>, want: &[(&str, String)]| {
        for (name, value) in want {
            assert_eq!(fields.get(*name), Some(value), "field {name} of {fields:?}");
        }
    };
    expect(
        &closed[0],
        &[
            ("format", "openmetrics".into()),
            ("series", series.to_string()),
            ("bytes", om.body.len().to_string()),
            ("gzip", "false".into()),
            ("cached", "false".into()),
        ],
    );
    expect(
        &closed[1],
        &[("format", "openmetrics".into()), ("bytes", om_again.body.len().to_string()), ("cached", "true".into())],
    );
    expect(
        &closed[2],
        &[
            ("format", "text".into()),
            ("series", series.to_string()),
            ("bytes", gzipped.body.len().to_string()),
            ("gzip", "true".into()),
        ],
    );
}

/// The number of series a handler's registry exposes: its own counters only (their values change, their
/// number does not).
fn server_series(buf: &mut Vec<u8>, format: Format) -> usize {
    let registry = Registry::new();
    let _handler = promstruct::http::Handler::new(registry.clone(), &Config::default());
    registry.encode(format, buf).unwrap()
}
