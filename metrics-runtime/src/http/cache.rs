//! The serialized scrape, cached per format, escaping scheme and content encoding for a TTL.
//!
//! While every name in the registry is legacy ([`Registry::has_utf8_names`]), every scheme writes the
//! same bytes, so all of them share the format's slot; after that a format keeps one slot per scheme.
//! The text format 0.0.4 and 1.0.0 share their bodies (they differ only in quoting, which the negotiated
//! scheme already says).
//!
//! A fresh entry is read under a short read lock. A stale one is refilled under a per-entry async mutex,
//! and whoever waited on that mutex finds the new entry: concurrent scrapes of a stale cache encode the
//! registry once. While one scrape refills an entry that went stale with age, the others are served the
//! entry it replaces, if that is less than two TTLs old (stale-while-revalidate): a scrape waits for an
//! encoding only when it runs it, when nothing was cached yet, and after an invalidation. Encoding and compression run on the blocking pool, so a large registry does not hold up
//! the async workers. [`ScrapeCache::invalidate`] makes every entry stale at once; an encoding that began
//! before the invalidation is not served after it.

use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;

use super::stats::HttpStats;
use crate::encoding::{Escaping, Exposition};
use crate::{EncodeError, Format, Registry};

/// One serialized scrape.
#[derive(Debug, Clone)]
pub(crate) struct Body {
    /// What to send.
    pub(crate) bytes: Bytes,
    /// Series in it.
    pub(crate) series: usize,
    /// Whether `bytes` is gzip.
    pub(crate) gzip: bool,
    /// When the encoding began.
    at: Instant,
    /// The invalidation epoch when the encoding began.
    epoch: u64,
}

#[derive(Debug, Default)]
struct Slot {
    current: RwLock<Option<Body>>,
    fill: tokio::sync::Mutex<()>,
}

impl Slot {
    fn fresh(&self, ttl: Duration, epoch: u64) -> Option<Body> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        current.as_ref().filter(|b| b.epoch == epoch && b.at.elapsed() < ttl).cloned()
    }

    fn store(&self, body: Body) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(body);
    }
}

/// Why a scrape has no body.
#[derive(Debug)]
pub(crate) enum ScrapeError {
    /// A collector panicked.
    Encode(EncodeError),
    /// The blocking task died (the runtime is shutting down).
    Join(tokio::task::JoinError),
}

impl std::fmt::Display for ScrapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScrapeError::Encode(e) => e.fmt(f),
            ScrapeError::Join(e) => write!(f, "the encoding task failed: {e}"),
        }
    }
}

/// Serialized scrapes of one registry.
#[derive(Debug)]
pub(crate) struct ScrapeCache {
    registry: Registry,
    ttl: Option<Duration>,
    /// The smallest body worth compressing; `None` when compression is off.
    gzip_min: Option<usize>,
    epoch: AtomicU64,
    /// By format (in the order of `Format::ALL`) and scheme (`Escaping::ALL`), then identity/gzip.
    slots: [[[Slot; 2]; Escaping::ALL.len()]; Format::ALL.len()],
    /// The size of the last body of each format, to size the next buffer.
    size_hint: [AtomicUsize; Format::ALL.len()],
    stats: Arc<HttpStats>,
}

fn index(format: Format) -> usize {
    match format {
        Format::Text => 0,
        Format::OpenMetrics => 1,
        Format::Protobuf => 2,
    }
}

impl ScrapeCache {
    pub(crate) fn new(
        registry: Registry,
        ttl: Option<Duration>,
        gzip_min: Option<usize>,
        stats: Arc<HttpStats>,
    ) -> Self {
        ScrapeCache {
            registry,
            ttl,
            gzip_min,
            epoch: AtomicU64::new(0),
            slots: Default::default(),
            size_hint: Default::default(),
            stats,
        }
    }

    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Makes every cached body stale.
    pub(crate) fn invalidate(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// The body of a scrape as `exposition` says, gzipped if `gzip` is wanted, allowed and the body is
    /// large enough; and whether it came from the cache.
    pub(crate) async fn get(self: &Arc<Self>, exposition: Exposition, gzip: bool) -> Result<(Body, bool), ScrapeError> {
        let gzip = gzip && self.gzip_min.is_some();
        let min = self.gzip_min.unwrap_or(usize::MAX);
        let format = exposition.format();
        // The scheme the body is written with: one slot for all while the bytes do not depend on it.
        let escaping = if self.registry.has_utf8_names() { exposition.escaping() } else { Escaping::Underscores };
        let Some(ttl) = self.ttl else {
            let plain = self.encode(format, escaping).await?;
            if gzip && plain.bytes.len() >= min {
                return Ok((compress(plain).await?, false));
            }
            return Ok((plain, false));
        };
        let [plain_slot, gzip_slot] = &self.slots[index(format)][escaping.index()];
        let (plain, hit) = self.cached(plain_slot, ttl, || self.encode(format, escaping)).await?;
        if !gzip || plain.bytes.len() < min {
            return Ok((plain, hit));
        }
        self.cached(gzip_slot, ttl, || compress(plain)).await
    }

    async fn cached<F>(&self, slot: &Slot, ttl: Duration, fill: impl FnOnce() -> F) -> Result<(Body, bool), ScrapeError>
    where
        F: Future<Output = Result<Body, ScrapeError>>,
    {
        let epoch = self.epoch.load(Ordering::Acquire);
        if let Some(body) = slot.fresh(ttl, epoch) {
            return Ok((body, true));
        }
        let _filling = match slot.fill.try_lock() {
            Ok(filling) => filling,
            // Another scrape is refilling it: serve the body it replaces while that is young enough.
            Err(_) => match slot.fresh(ttl.saturating_mul(2), epoch) {
                Some(body) => return Ok((body, true)),
                None => slot.fill.lock().await,
            },
        };
        // Whoever held the lock before us may have filled it.
        if let Some(body) = slot.fresh(ttl, self.epoch.load(Ordering::Acquire)) {
            return Ok((body, true));
        }
        let body = fill().await?;
        slot.store(body.clone());
        Ok((body, false))
    }

    /// Encodes the registry on the blocking pool.
    async fn encode(self: &Arc<Self>, format: Format, escaping: Escaping) -> Result<Body, ScrapeError> {
        let this = Arc::clone(self);
        let epoch = self.epoch.load(Ordering::Acquire);
        let at = Instant::now();
        self.stats.encoded(format);
        let (bytes, series) = tokio::task::spawn_blocking(move || {
            let hint = this.size_hint[index(format)].load(Ordering::Relaxed);
            let mut buf = Vec::with_capacity(hint + hint / 8);
            let series = this.registry.encode_with(format, escaping, &mut buf)?;
            this.size_hint[index(format)].store(buf.len(), Ordering::Relaxed);
            Ok::<_, EncodeError>((Bytes::from(buf), series))
        })
        .await
        .map_err(ScrapeError::Join)?
        .map_err(ScrapeError::Encode)?;
        Ok(Body { bytes, series, gzip: false, at, epoch })
    }
}

/// gzips a body (on the blocking pool when it is large), keeping its time and epoch.
async fn compress(plain: Body) -> Result<Body, ScrapeError> {
    fn gzip(bytes: &[u8]) -> Bytes {
        // Level 1 of miniz_oxide: 9x to 10x on our bodies at a tenth of level 6's time; zlib-rs and the
        // other levels were measured and not taken (BENCHMARKS.md, "gzip (issue 16)").
        let mut out = GzEncoder::new(Vec::with_capacity(bytes.len() / 4 + 64), Compression::fast());
        out.write_all(bytes).expect("writing to a Vec cannot fail");
        Bytes::from(out.finish().expect("writing to a Vec cannot fail"))
    }
    let bytes = if plain.bytes.len() < 64 * 1024 {
        gzip(&plain.bytes)
    } else {
        let source = plain.bytes.clone();
        tokio::task::spawn_blocking(move || gzip(&source)).await.map_err(ScrapeError::Join)?
    };
    Ok(Body { bytes, gzip: true, ..plain })
}
