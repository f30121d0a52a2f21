//! The scrape cache over real TCP, proved by the handler's encode counter (`Handler::encodes`): a fresh
//! cache serves one encoding per format, a stale one encodes again, `invalidate` drops it at once, and
//! concurrent scrapes of a stale cache encode once, and while one scrape refills an entry stale with age
//! the others are served the entry it replaces.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use promstruct::config::Config;
use promstruct::encoding::Number;
use promstruct::{Collect, Descriptor, Encoder, Format, MetricType, Registry};
use suite::http::{PROMETHEUS_2_ACCEPT, PROMETHEUS_NATIVE_ACCEPT, PROTOBUF, Reply, TestServer, get, gunzip};

/// A gauge whose value the test sets, and whose collection can be held at a gate: it counts the
/// collections that began, and each waits until the gate is open.
struct Gated {
    desc: Descriptor,
    value: AtomicUsize,
    collections: AtomicUsize,
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gated {
    fn new(open: bool) -> Arc<Gated> {
        Arc::new(Gated {
            desc: Descriptor::new("gated_value", MetricType::Gauge, "A value the test sets.").unwrap(),
            value: AtomicUsize::new(1),
            collections: AtomicUsize::new(0),
            open: Mutex::new(open),
            opened: Condvar::new(),
        })
    }

    fn set(&self, value: usize) {
        self.value.store(value, Ordering::SeqCst);
    }

    fn collections(&self) -> usize {
        self.collections.load(Ordering::SeqCst)
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }

    /// Waits (at most 10 s) until `n` collections have begun.
    async fn entered(&self, n: usize) {
        tokio::time::timeout(Duration::from_secs(10), async {
            while self.collections() < n {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{n} collection(s) did not begin within 10 s"));
    }
}

impl Collect for Gated {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        out(&self.desc);
    }

    fn collect(&self, enc: &mut Encoder<'_>) {
        self.collections.fetch_add(1, Ordering::SeqCst);
        let open = self.open.lock().unwrap();
        drop(self.opened.wait_while(open, |open| !*open).unwrap());
        let value = self.value.load(Ordering::SeqCst) as i64;
        enc.family(&self.desc).gauge(&(), Number::I64(value));
    }
}

fn registry(gated: &Arc<Gated>) -> Registry {
    let registry = Registry::new();
    registry.register(Arc::clone(gated)).unwrap();
    registry
}

/// The value of `gated_value` in a reply of either format, gzipped or not.
fn gated_value(reply: &Reply) -> f64 {
    suite::exposition::value(&reply.exposition(), "gated_value", &[])
}

#[tokio::test]
async fn a_fresh_cache_serves_one_encoding_per_format() {
    let gated = Gated::new(true);
    let server = TestServer::start(registry(&gated), Config::builder().cache_ttl(Duration::from_secs(60))).await;
    let handler = &server.handler;
    assert_eq!((handler.encodes(Format::Text), handler.encodes(Format::OpenMetrics)), (0, 0));

    let first = get(server.addr, "/metrics", &[]).await;
    assert_eq!(gated_value(&first), 1.0);
    // A change is not seen while the cache is fresh: the scrapes are served from it, byte for byte.
    gated.set(2);
    for _ in 0..5 {
        let again = get(server.addr, "/metrics", &[]).await;
        assert_eq!(again.body, first.body);
    }
    assert_eq!(handler.encodes(Format::Text), 1);
    assert_eq!(gated.collections(), 1);

    // The other format has its own entry, encoded once too, and it sees the new value.
    for _ in 0..3 {
        let om = get(server.addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT)]).await;
        assert_eq!(gated_value(&om), 2.0);
    }
    assert_eq!((handler.encodes(Format::Text), handler.encodes(Format::OpenMetrics)), (1, 1));

    // A gzip scrape compresses the cached body: no new encoding, and the same text.
    let gzipped = get(server.addr, "/metrics", &[("accept-encoding", "gzip")]).await;
    assert_eq!(gzipped.header("content-encoding"), "gzip");
    assert_eq!(gunzip(&gzipped.body), first.body);
    assert_eq!((handler.encodes(Format::Text), handler.encodes(Format::OpenMetrics)), (1, 1));
    assert_eq!(gated.collections(), 2);

    // Protobuf has its entry too: encoded once, served from the cache byte for byte, gzipped from it.
    gated.set(3);
    let proto = get(server.addr, "/metrics", &[("accept", PROMETHEUS_NATIVE_ACCEPT)]).await;
    assert_eq!(proto.header("content-type"), PROTOBUF);
    assert_eq!(gated_value(&proto), 3.0);
    gated.set(4);
    for _ in 0..3 {
        let again = get(server.addr, "/metrics", &[("accept", PROMETHEUS_NATIVE_ACCEPT)]).await;
        assert_eq!(again.body, proto.body);
    }
    let gzipped =
        get(server.addr, "/metrics", &[("accept", PROMETHEUS_NATIVE_ACCEPT), ("accept-encoding", "gzip")]).await;
    assert_eq!((gzipped.header("content-type"), gzipped.header("content-encoding")), (PROTOBUF, "gzip"));
    assert_eq!(gunzip(&gzipped.body), proto.body);
    assert_eq!(handler.encodes(Format::Protobuf), 1);
    assert_eq!((handler.encodes(Format::Text), handler.encodes(Format::OpenMetrics)), (1, 1));
    assert_eq!(gated.collections(), 3);
    server.stop().await;
}

#[tokio::test]
async fn a_stale_cache_encodes_again_after_the_ttl() {
    let ttl = Duration::from_millis(50);
    let gated = Gated::new(true);
    let server = TestServer::start(registry(&gated), Config::builder().cache_ttl(ttl)).await;
    let first = get(server.addr, "/metrics", &[]).await;
    assert_eq!(gated_value(&first), 1.0);
    assert_eq!(server.handler.encodes(Format::Text), 1);

    gated.set(7);
    tokio::time::sleep(ttl + Duration::from_millis(10)).await;
    let after = get(server.addr, "/metrics", &[]).await;
    assert_eq!(gated_value(&after), 7.0);
    assert_eq!(server.handler.encodes(Format::Text), 2);
    assert_eq!(gated.collections(), 2);
    server.stop().await;
}

#[tokio::test]
async fn invalidate_drops_every_cached_body_at_once() {
    let gated = Gated::new(true);
    let server = TestServer::start(registry(&gated), Config::builder().cache_ttl(Duration::from_secs(60))).await;
    let om = [("accept", PROMETHEUS_2_ACCEPT)];
    assert_eq!(gated_value(&get(server.addr, "/metrics", &[]).await), 1.0);
    assert_eq!(gated_value(&get(server.addr, "/metrics", &om).await), 1.0);
    gated.set(3);
    assert_eq!(gated_value(&get(server.addr, "/metrics", &[]).await), 1.0, "served from the cache");
    assert_eq!((server.handler.encodes(Format::Text), server.handler.encodes(Format::OpenMetrics)), (1, 1));

    server.handler.invalidate();
    assert_eq!(gated_value(&get(server.addr, "/metrics", &[]).await), 3.0);
    assert_eq!(gated_value(&get(server.addr, "/metrics", &om).await), 3.0);
    let gzipped = get(server.addr, "/metrics", &[("accept-encoding", "gzip")]).await;
    assert_eq!(gated_value(&gzipped), 3.0);
    assert_eq!((server.handler.encodes(Format::Text), server.handler.encodes(Format::OpenMetrics)), (2, 2));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_scrapes_of_a_stale_cache_encode_once() {
    const SCRAPES: usize = 16;
    let gated = Gated::new(true);
    let server =
        TestServer::start(registry(&gated), Config::builder().cache_ttl(Duration::from_secs(60)).compression(0)).await;
    // Fill the cache, then make it stale and hold the next encoding at the gate.
    get(server.addr, "/metrics", &[]).await;
    assert_eq!(server.handler.encodes(Format::Text), 1);
    *gated.open.lock().unwrap() = false;
    gated.set(5);
    server.handler.invalidate();

    let addr = server.addr;
    let scrapes: Vec<_> = (0..SCRAPES)
        .map(|i| {
            // Half ask for gzip: the compressed entry is filled from the same single encoding.
            let encoding = if i % 2 == 0 { "gzip" } else { "identity" };
            tokio::spawn(async move { get(addr, "/metrics", &[("accept-encoding", encoding)]).await })
        })
        .collect();
    gated.entered(2).await;
    // Give the other scrapes time to reach the cache and queue behind the encoding under way; any that
    // come later find the new entry fresh, so the count below holds either way.
    tokio::time::sleep(Duration::from_millis(200)).await;
    gated.open();
    for scrape in scrapes {
        let reply = scrape.await.unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(gated_value(&reply), 5.0);
    }
    assert_eq!(server.handler.encodes(Format::Text), 2, "{SCRAPES} concurrent scrapes encoded more than once");
    assert_eq!(gated.collections(), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_a_scrape_refills_an_aged_entry_the_others_get_the_previous_body_at_once() {
    let gated = Gated::new(true);
    let ttl = Duration::from_secs(1);
    let server = TestServer::start(registry(&gated), Config::builder().cache_ttl(ttl).compression(0)).await;
    let filled = std::time::Instant::now();
    assert_eq!(gated_value(&get(server.addr, "/metrics", &[]).await), 1.0);
    *gated.open.lock().unwrap() = false;
    gated.set(5);
    tokio::time::sleep(ttl + Duration::from_millis(50)).await;

    // Stale with age: this scrape refills it, held at the gate.
    let addr = server.addr;
    let refill = tokio::spawn(async move { get(addr, "/metrics", &[]).await });
    gated.entered(2).await;
    for _ in 0..4 {
        let reply = tokio::time::timeout(Duration::from_secs(5), get(addr, "/metrics", &[])).await;
        let reply = reply.expect("served without waiting for the encoding under way");
        assert_eq!(gated_value(&reply), 1.0, "the body being replaced");
    }
    assert!(filled.elapsed() < 2 * ttl, "the previous body is served while under two TTLs old only");
    gated.open();
    assert_eq!(gated_value(&refill.await.unwrap()), 5.0, "the scrape that refilled it waits for it");
    assert_eq!(gated_value(&get(addr, "/metrics", &[]).await), 5.0);
    assert_eq!(server.handler.encodes(Format::Text), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_cache_every_scrape_encodes() {
    let gated = Gated::new(true);
    let server = TestServer::start(registry(&gated), Config::builder().no_cache()).await;
    for i in 0..4 {
        gated.set(i);
        assert_eq!(gated_value(&get(server.addr, "/metrics", &[]).await), i as f64);
    }
    assert_eq!(server.handler.encodes(Format::Text), 4);
    // Concurrent scrapes are not merged either: each sees the registry at its own time.
    let scrapes: Vec<_> = (0..4).map(|_| tokio::spawn(get(server.addr, "/metrics", &[]))).collect();
    for scrape in scrapes {
        assert_eq!(scrape.await.unwrap().status, 200);
    }
    assert_eq!(server.handler.encodes(Format::Text), 8);
    assert_eq!(gated.collections(), 8);
    server.stop().await;
}
