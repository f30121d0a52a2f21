use std::fmt;
use std::num::NonZeroU8;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use hashbrown::HashTable;
use smallvec::SmallVec;

use super::SeriesBudget;
use crate::Descriptor;
use crate::cell::{Gauge, Histogram, HistogramTimer, InflightGuard, Metric};
use crate::encoding::{
    EncodeLabels, Encoder, LabelWriter, coarse_epoch_millis, epoch_millis_to_seconds, write_escaped_label_value,
};
use crate::registry::Collect;
use metrics_naming::DEFAULT_MAX_SERIES;

/// The value the open labels of the overflow series read.
pub const OVERFLOW_VALUE: &str = metrics_naming::OVERFLOW_VALUE;

/// The least time between two warnings that a family is at its series limit.
pub const OVERFLOW_WARNING_INTERVAL_MS: u64 = 60_000;

/// Series per shard a family is sized for: few shards keep a scrape's walk through memory close to the
/// order the series were allocated in, and a table this size is rebuilt in well under a millisecond.
const SERIES_PER_SHARD: usize = 8192;
/// The fewest shards, so that threads updating different series rarely share a lock.
const MIN_SHARDS: usize = 16;
/// The most shards: a family bounded at two million series or more still holds them in 256 tables.
const MAX_SHARDS: usize = 256;

/// How an [`OpenFamily`] bounds itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    /// `None`: the registry's bound per family ([`RegistryBuilder::max_series_per_family`], from
    /// `cardinality.max_per_metric`), else [`DEFAULT_MAX_SERIES`].
    ///
    /// [`RegistryBuilder::max_series_per_family`]: crate::RegistryBuilder::max_series_per_family
    max_series: Option<usize>,
    ttl: Option<Duration>,
    enum_labels: u64,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl OpenOptions {
    /// The registry's bound per family (else [`DEFAULT_MAX_SERIES`]), series kept until the process
    /// ends, every label open.
    pub const fn new() -> Self {
        OpenOptions { max_series: None, ttl: None, enum_labels: 0 }
    }

    /// The most series the family holds besides its overflow series, whatever its registry's bound per
    /// family says.
    pub const fn max_series(mut self, max_series: usize) -> Self {
        self.max_series = Some(max_series);
        self
    }

    /// Drops a series that has not been updated for `ttl` (checked at each scrape, to within one scrape
    /// interval, never early).
    pub const fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Marks label `index` as taking a closed set of values (an enum): the overflow series keeps its value
    /// instead of reading `__overflow__`.
    pub const fn enum_label(mut self, index: usize) -> Self {
        assert!(index < 64, "at most 64 labels");
        self.enum_labels |= 1 << index;
        self
    }
}

/// One series of an [`OpenFamily`]: 40 bytes besides the cell, in one allocation with the label text when
/// that is [`INLINE_TEXT`] bytes or shorter.
struct Entry<C> {
    cell: C,
    /// The label text, rendered once when the series is created, less the first name and its `="` and the
    /// last `"` (the family writes those): `planner",status="ok` for `agent="planner",status="ok"`. A
    /// scrape copies it whole. Values hold nothing to escape and are not empty, unless [`ESCAPED`] is set:
    /// then the raw values come first, each as `<len>:<value>`, then a newline (which rendered text never
    /// holds), then the rendered text.
    text: LabelText,
    /// Milliseconds since the Unix epoch: an integer is cheaper to make than seconds as a float, which
    /// only a scrape needs.
    created_ms: u64,
    /// The scrape generation during which the series was last updated (the low [`GENERATION_BITS`] bits),
    /// the flags [`OVERFLOW`] and [`ESCAPED`], and the milliseconds since the family's epoch at the scrape
    /// that last saw the series updated (from bit [`MS_SHIFT`]).
    activity: AtomicU64,
}

/// Label text up to this many bytes is kept inside the series: most are that short (two labels with values
/// of a dozen bytes), and a series then takes one allocation instead of two.
const INLINE_TEXT: usize = 23;

/// The label text of a series ([`Entry::text`]): inside the series when short, else on the heap.
enum LabelText {
    /// `len` is the text's length plus one: never zero, which leaves the enum a value to tell the
    /// variants apart by, so that it takes 24 bytes like the text and its length.
    Inline {
        len: NonZeroU8,
        bytes: [u8; INLINE_TEXT],
    },
    Heap(Box<str>),
}

impl LabelText {
    /// The text of `bytes`, which are UTF-8.
    fn new(bytes: &[u8]) -> Self {
        match u8::try_from(bytes.len() + 1).ok().and_then(NonZeroU8::new) {
            Some(len) if bytes.len() <= INLINE_TEXT => {
                let mut inline = [0; INLINE_TEXT];
                inline[..bytes.len()].copy_from_slice(bytes);
                LabelText::Inline { len, bytes: inline }
            }
            _ => LabelText::Heap(std::str::from_utf8(bytes).expect("label text is UTF-8").into()),
        }
    }

    #[inline]
    fn as_bytes(&self) -> &[u8] {
        match self {
            LabelText::Inline { len, bytes } => &bytes[..usize::from(len.get()) - 1],
            LabelText::Heap(text) => text.as_bytes(),
        }
    }

    /// The text as a string, for reading label values back (not on the paths of updates and scrapes).
    fn as_str(&self) -> &str {
        match self {
            LabelText::Inline { .. } => std::str::from_utf8(self.as_bytes()).expect("label text is UTF-8"),
            LabelText::Heap(text) => text,
        }
    }
}

/// Bits of [`Entry::activity`] holding the generation: only its equality with the current one matters.
const GENERATION_BITS: u32 = 20;
const GENERATION_MASK: u64 = (1 << GENERATION_BITS) - 1;
/// The flag of the overflow series.
const OVERFLOW: u64 = 1 << GENERATION_BITS;
/// The flag of a series whose label text holds its raw values after the rendered ones.
const ESCAPED: u64 = 1 << (GENERATION_BITS + 1);
/// The bits below the milliseconds: the generation and the flags.
const MS_SHIFT: u32 = GENERATION_BITS + 2;
const BELOW_MS: u64 = (1 << MS_SHIFT) - 1;

impl<C> Entry<C> {
    fn flags(&self) -> u64 {
        self.activity.load(Ordering::Relaxed) & (OVERFLOW | ESCAPED)
    }

    /// The raw label values (`<len>:<value>` each) when some needed escaping, and the rendered text.
    fn parts(&self) -> (Option<&str>, &str) {
        let text = self.text.as_str();
        if self.flags() & ESCAPED == 0 {
            return (None, text);
        }
        let mut rest = text;
        while let Some((len, tail)) = rest.split_once(':').filter(|_| !rest.starts_with('\n')) {
            let len: usize = len.parse().expect("raw values are `<len>:<value>`");
            rest = &tail[len..];
        }
        let raw = &text[..text.len() - rest.len()];
        (Some(raw), rest.strip_prefix('\n').unwrap_or(rest))
    }

    /// The rendered label text, what a scrape copies.
    #[inline]
    fn rendered(&self) -> &[u8] {
        if self.flags() & ESCAPED == 0 { self.text.as_bytes() } else { self.parts().1.as_bytes() }
    }

    fn is_overflow(&self) -> bool {
        self.flags() & OVERFLOW != 0
    }

    /// Whether the series' label values are `values`; `desc` names the labels.
    #[inline]
    fn matches(&self, desc: &Descriptor, values: &[&str]) -> bool {
        if self.flags() & ESCAPED != 0 {
            return LabelValues::new(self, values.len()).eq(values.iter().copied());
        }
        // Nothing was escaped: each value's place follows from the names' lengths and the values before
        // it, and it ends at a `"` or at the end. A value holding `"`, `\\` or a newline never matches
        // such a series, whose values hold none.
        let text = self.text.as_bytes();
        let mut at = 0;
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                at += desc.label_name(i).len() + 4;
            }
            let value = value.as_bytes();
            let end = at + value.len();
            let last = i + 1 == values.len();
            if end > text.len()
                || !same_bytes(&text[at..end], value)
                || (if last { end != text.len() } else { text.get(end) != Some(&b'"') })
            {
                return false;
            }
            at = end;
        }
        true
    }
}

/// The label values of an [`Entry`], read back from its text.
struct LabelValues<'a> {
    text: &'a str,
    escaped: bool,
    remaining: usize,
}

impl<'a> LabelValues<'a> {
    fn new<C>(entry: &'a Entry<C>, count: usize) -> Self {
        match entry.parts() {
            (Some(raw), _) => LabelValues { text: raw, escaped: true, remaining: count },
            (None, text) => LabelValues { text, escaped: false, remaining: count },
        }
    }

    /// The number of label values of `entry`.
    fn count<C>(entry: &Entry<C>) -> usize {
        match entry.parts() {
            (Some(raw), _) => LabelValues { text: raw, escaped: true, remaining: usize::MAX }.count(),
            // Plain values are never empty, so an empty text holds none; `",` ends each value but the last,
            // since plain values hold no `"`.
            (None, "") => 0,
            (None, text) => text.matches("\",").count() + 1,
        }
    }
}

impl<'a> Iterator for LabelValues<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let value;
        if self.escaped {
            let (len, rest) = self.text.split_once(':')?;
            let len: usize = len.parse().expect("raw values are `<len>:<value>`");
            (value, self.text) = rest.split_at(len);
        } else {
            // A plain value ends at the next `"`; the next one starts after `",<name>="`.
            let (head, rest) = self.text.split_once('"').unwrap_or((self.text, ""));
            value = head;
            self.text = rest.split_once("=\"").map_or("", |(_, next)| next);
        }
        Some(value)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for LabelValues<'_> {}

/// Whether a label value is written as it is, with nothing to escape (and is not empty).
///
/// Checked a word at a time (overlapping words at the end), since every new series checks its values.
fn is_plain(value: &str) -> bool {
    let v = value.as_bytes();
    match v.len() {
        0 => false,
        1..4 => !v.iter().any(|b| matches!(b, b'\\' | b'"' | b'\n')),
        4..8 => !needs_escape(half_word(v, 0)) && !needs_escape(half_word(v, v.len() - 4)),
        _ => {
            !v.chunks_exact(8).any(|w| needs_escape(u64::from_le_bytes(w.try_into().expect("eight bytes"))))
                && !needs_escape(word(v, v.len() - 8))
        }
    }
}

/// Whether a word holds a byte a label value escapes: `\`, `"` or a newline. A byte `b` of `x ^ c` is zero
/// where `x` holds `c`, and `(y - 0x01..) & !y & 0x80..` is not zero exactly when some byte of `y` is zero.
#[inline]
fn needs_escape(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let zero_byte = |y: u64| y.wrapping_sub(ONES) & !y & (ONES << 7);
    zero_byte(x ^ (ONES * u64::from(b'\\')))
        | zero_byte(x ^ (ONES * u64::from(b'"')))
        | zero_byte(x ^ (ONES * u64::from(b'\n')))
        != 0
}

/// The label text of a new series (see [`Entry::text`]) and whether it holds raw values after the
/// escaped ones.
fn label_text(desc: &Descriptor, values: &[&str]) -> (LabelText, bool) {
    let len = (1..values.len()).map(|i| desc.label_name(i).len() + 4).sum::<usize>()
        + values.iter().map(|v| v.len()).sum::<usize>();
    if let Some(inline) = inline_plain_text(desc, values, len) {
        return (inline, false);
    }
    let plain = values.iter().all(|v| is_plain(v));
    let mut buf = Vec::with_capacity(if plain { len } else { 3 * len + 8 });
    if !plain {
        for value in values {
            buf.extend_from_slice(itoa::Buffer::new().format(value.len()).as_bytes());
            buf.push(b':');
            buf.extend_from_slice(value.as_bytes());
        }
        buf.push(b'\n');
    }
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            buf.extend_from_slice(b"\",");
            buf.extend_from_slice(desc.label_name(i).as_bytes());
            buf.extend_from_slice(b"=\"");
        }
        write_escaped_label_value(&mut buf, value);
    }
    (LabelText::new(&buf), !plain)
}

/// The label text of `values`, `len` bytes, inside the series, when it is short enough and no value needs
/// escaping: the common case.
#[inline]
fn inline_plain_text(desc: &Descriptor, values: &[&str], len: usize) -> Option<LabelText> {
    if len > INLINE_TEXT || !values.iter().all(|v| is_plain(v)) {
        return None;
    }
    let mut bytes = [0; INLINE_TEXT];
    let mut at = 0;
    let mut put = |part: &[u8]| {
        bytes[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    };
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            put(b"\",");
            put(desc.label_name(i).as_bytes());
            put(b"=\"");
        }
        put(value.as_bytes());
    }
    Some(LabelText::Inline { len: NonZeroU8::new(u8::try_from(len + 1).ok()?)?, bytes })
}

/// A shared handle to one series of an [`OpenFamily`]; dereferences to the cell.
///
/// The handle keeps the series alive: updates through it after the family dropped the series for being
/// idle are not seen by later scrapes. Take a handle per operation, as the generated accessors do.
pub struct SeriesRef<C>(Arc<Entry<C>>);

impl<C> Clone for SeriesRef<C> {
    fn clone(&self) -> Self {
        SeriesRef(self.0.clone())
    }
}

impl<C> Deref for SeriesRef<C> {
    type Target = C;

    #[inline]
    fn deref(&self) -> &C {
        &self.0.cell
    }
}

impl<C: fmt::Debug> fmt::Debug for SeriesRef<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeriesRef")
            .field("labels", &self.label_values().collect::<Vec<_>>())
            .field("cell", &self.0.cell)
            .finish()
    }
}

impl<C> SeriesRef<C> {
    /// The label values of the series, in declaration order.
    pub fn label_values(&self) -> impl ExactSizeIterator<Item = &str> {
        LabelValues::new(&self.0, LabelValues::count(&self.0))
    }

    /// Whether this is the overflow series.
    pub fn is_overflow(&self) -> bool {
        self.0.is_overflow()
    }
}

impl SeriesRef<Gauge> {
    /// Adds one now and subtracts it when the guard drops; the guard owns the handle.
    pub fn track_inflight(self) -> InflightGuard<SeriesRef<Gauge>> {
        InflightGuard::new(self)
    }
}

impl SeriesRef<Histogram> {
    /// Starts a timer that records the elapsed seconds when dropped; the timer owns the handle.
    pub fn start_timer(self) -> HistogramTimer<SeriesRef<Histogram>> {
        HistogramTimer::new(self)
    }
}

/// A share of the series: kept in the order they were created, so that a scrape walks memory about in the
/// order it was allocated, and found through a table of their positions.
struct Series<C> {
    entries: Vec<Arc<Entry<C>>>,
    /// Each series' position in `entries` and the hash of its labels: the table grows without reading
    /// the series.
    table: HashTable<(u32, u32)>,
    /// Series added so far: a thread that found no series under the read lock need not look again under
    /// the write lock if none was added in between (series that go cannot make a lookup succeed).
    added: u64,
}

impl<C> Series<C> {
    fn new() -> Self {
        Series { entries: Vec::new(), table: HashTable::new(), added: 0 }
    }

    #[inline]
    fn find(&self, desc: &Descriptor, hash: u32, values: &[&str]) -> Option<&Arc<Entry<C>>> {
        let entries = &self.entries;
        self.table
            .find(table_hash(hash), |&(i, h)| h == hash && entries[i as usize].matches(desc, values))
            .map(|&(i, _)| &entries[i as usize])
    }

    /// Adds a series whose labels hash to `hash`.
    fn insert(&mut self, entry: Arc<Entry<C>>, hash: u32) {
        let index = u32::try_from(self.entries.len()).expect("under 2^32 series in a shard");
        self.entries.push(entry);
        self.table.insert_unique(table_hash(hash), (index, hash), |&(_, h)| table_hash(h));
        self.added = self.added.wrapping_add(1);
    }

    /// Keeps the series `keep` returns true for; if any went, the table is rebuilt, hashing the labels of
    /// the series that stay with `rehash`.
    fn retain(&mut self, keep: impl FnMut(&Arc<Entry<C>>) -> bool, rehash: impl Fn(&Entry<C>) -> u32) {
        let before = self.entries.len();
        self.entries.retain(keep);
        if self.entries.len() != before {
            let mut table = HashTable::with_capacity(self.entries.len());
            for (i, entry) in self.entries.iter().enumerate() {
                let hash = rehash(entry);
                table.insert_unique(table_hash(hash), (i as u32, hash), |&(_, h)| table_hash(h));
            }
            self.table = table;
        }
    }
}

type Shard<C> = RwLock<Series<C>>;

/// The series of a family with open (string) labels, bounded.
///
/// Series live in shards (16, or one per 8,192 series of `max_series`, at most 256), each behind a
/// reader-writer lock: an update of an existing series hashes its label values and takes one shard's read
/// lock. Each series keeps its label text rendered, and a scrape walks each shard's series in the order they
/// were created, copying that text. Past `max_series` series (or
/// the registry's total limit), an update for a new label combination goes to the overflow series, whose
/// open labels read `__overflow__`, so totals stay exact; [`OpenFamily::overflowed`] and the registry count
/// those updates.
pub struct OpenFamily<C: Metric> {
    desc: Descriptor,
    config: C::Config,
    options: OpenOptions,
    shards: Box<[Shard<C>]>,
    /// The keys of [`label_hash`], drawn for each family, so that label values chosen to collide in one
    /// process do not collide in another.
    keys: [u64; 2],
    len: AtomicUsize,
    overflowed: AtomicU64,
    /// The bound in force: the options' own, else the registry's per family once bound.
    max_series: AtomicUsize,
    /// When the family last warned that it is at its bound (ms since the Unix epoch; 0: never).
    warned_ms: AtomicU64,
    budget: OnceLock<SeriesBudget>,
    generation: AtomicU64,
    epoch: Instant,
}

impl<C: Metric> fmt::Debug for OpenFamily<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenFamily")
            .field("name", &self.desc.name())
            .field("series", &self.len())
            .field("options", &self.options)
            .finish()
    }
}

impl<C: Metric> OpenFamily<C> {
    /// A family with `desc`, every cell built from `config`.
    ///
    /// # Panics
    /// If `desc`'s type is not `C`'s.
    pub fn new(desc: Descriptor, config: C::Config, options: OpenOptions) -> Self {
        assert_eq!(desc.kind(), C::KIND, "family `{}`: descriptor type does not match the cell", desc.name());
        OpenFamily {
            desc,
            config,
            options,
            shards: (0..shard_count(options.max_series.unwrap_or(DEFAULT_MAX_SERIES)))
                .map(|_| RwLock::new(Series::new()))
                .collect(),
            max_series: AtomicUsize::new(options.max_series.unwrap_or(DEFAULT_MAX_SERIES)),
            warned_ms: AtomicU64::new(0),
            keys: {
                use std::hash::BuildHasher;
                let random = foldhash::fast::RandomState::default();
                [random.hash_one(1u64), random.hash_one(2u64)]
            },
            len: AtomicUsize::new(0),
            overflowed: AtomicU64::new(0),
            budget: OnceLock::new(),
            generation: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// The family's descriptor.
    pub fn descriptor(&self) -> &Descriptor {
        &self.desc
    }

    /// The number of series, the overflow series aside.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether the family holds no series (the overflow series aside).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Updates that went to the overflow series.
    pub fn overflowed(&self) -> u64 {
        self.overflowed.load(Ordering::Relaxed)
    }

    /// The most series the family holds besides its overflow series: its own `max_series`, else its
    /// registry's bound per family once registered, else [`DEFAULT_MAX_SERIES`].
    pub fn max_series(&self) -> usize {
        self.max_series.load(Ordering::Relaxed)
    }

    /// Logs that the family is at its bound, at most once per [`OVERFLOW_WARNING_INTERVAL_MS`] (ADR-001 of
    /// the LLM platform's design: a cardinality limit refuses new label combinations and says so).
    #[cold]
    fn warn_overflow(&self) {
        let now = coarse_epoch_millis();
        let last = self.warned_ms.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= OVERFLOW_WARNING_INTERVAL_MS;
        if due && self.warned_ms.compare_exchange(last, now.max(1), Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            tracing::warn!(
                family = %self.desc.name(),
                max_series = self.max_series(),
                overflowed_updates = self.overflowed(),
                "metric family is at its series limit: updates for new label values go to its overflow series \
                 (labels `{OVERFLOW_VALUE}`); raise `max_series` or `cardinality.max_per_metric`, or drop a label"
            );
        }
    }

    /// The series for these label values, one per declared label, in order; created if new.
    ///
    /// # Panics
    /// If the number of values differs from the number of labels.
    #[inline]
    pub fn get(&self, values: &[&str]) -> SeriesRef<C> {
        assert_eq!(
            values.len(),
            self.desc.label_count(),
            "family `{}`: wrong number of label values",
            self.desc.name()
        );
        let hash = self.hash(values.iter().copied());
        let shard = &self.shards[self.shard_of(hash)];
        let series = read(shard);
        match series.find(&self.desc, hash, values) {
            Some(entry) => {
                let entry = entry.clone();
                drop(series);
                self.touch(&entry);
                SeriesRef(entry)
            }
            None => {
                let added = series.added;
                drop(series);
                self.insert(hash, values, added)
            }
        }
    }

    /// The 32-bit hash of label values: the shard is its top bits, the place in the shard's table
    /// [`table_hash`] of it.
    #[inline]
    fn hash<'v>(&self, values: impl Iterator<Item = &'v str>) -> u32 {
        label_hash(self.keys, values)
    }

    #[inline]
    fn shard_of(&self, hash: u32) -> usize {
        shard_of(hash, self.shards.len())
    }

    #[inline]
    fn touch(&self, entry: &Entry<C>) {
        if self.options.ttl.is_some() {
            let g = self.generation.load(Ordering::Relaxed) & GENERATION_MASK;
            if entry.activity.load(Ordering::Relaxed) & GENERATION_MASK != g {
                // Keeps the last-active time a scrape may be storing at the same moment.
                let _ = entry
                    .activity
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |a| Some(a & !GENERATION_MASK | g));
            }
        }
    }

    /// Takes a slot for a new series, in the family and in the registry's budget.
    fn reserve(&self) -> bool {
        let max = self.max_series();
        if self.len.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| (n < max).then_some(n + 1)).is_err() {
            return false;
        }
        if let Some(budget) = self.budget.get() {
            if !budget.try_acquire() {
                self.len.fetch_sub(1, Ordering::Relaxed);
                return false;
            }
        }
        true
    }

    fn unreserve(&self) {
        self.len.fetch_sub(1, Ordering::Relaxed);
        if let Some(budget) = self.budget.get() {
            budget.release();
        }
    }

    #[cold]
    /// Adds the series of `values`, not found when the shard had had `added` series added.
    fn insert(&self, hash: u32, values: &[&str], added: u64) -> SeriesRef<C> {
        if !self.reserve() {
            return self.overflow(values);
        }
        let mut table = write(&self.shards[self.shard_of(hash)]);
        if let Some(entry) = (table.added != added).then(|| table.find(&self.desc, hash, values)).flatten() {
            let entry = entry.clone();
            drop(table);
            self.unreserve();
            self.touch(&entry);
            return SeriesRef(entry);
        }
        let entry = self.new_entry(values, false);
        table.insert(entry.clone(), hash);
        SeriesRef(entry)
    }

    /// The hash of a series' label values, read back from its text: only a growing or rebuilt table needs
    /// it, so series do not keep it.
    fn entry_hash(&self, entry: &Entry<C>) -> u32 {
        self.hash(LabelValues::new(entry, self.desc.label_count()))
    }

    fn new_entry(&self, values: &[&str], overflow: bool) -> Arc<Entry<C>> {
        let (text, escaped) = label_text(&self.desc, values);
        let generation = self.generation.load(Ordering::Relaxed) & GENERATION_MASK;
        // Only a family with a TTL reads the time of last activity.
        let ms = if self.options.ttl.is_some() { self.now_ms() } else { 0 };
        let flags = if overflow { OVERFLOW } else { 0 } | if escaped { ESCAPED } else { 0 };
        Arc::new(Entry {
            cell: C::with_config(&self.config),
            text,
            created_ms: coarse_epoch_millis(),
            activity: AtomicU64::new(ms << MS_SHIFT | flags | generation),
        })
    }

    #[cold]
    fn overflow(&self, values: &[&str]) -> SeriesRef<C> {
        self.overflowed.fetch_add(1, Ordering::Relaxed);
        if let Some(budget) = self.budget.get() {
            budget.count_overflow();
        }
        self.warn_overflow();
        let key: SmallVec<[&str; 8]> = values
            .iter()
            .enumerate()
            .map(|(i, v)| if i < 64 && self.options.enum_labels & (1 << i) != 0 { *v } else { OVERFLOW_VALUE })
            .collect();
        let hash = self.hash(key.iter().copied());
        let shard = &self.shards[self.shard_of(hash)];
        if let Some(entry) = read(shard).find(&self.desc, hash, &key) {
            return SeriesRef(entry.clone());
        }
        let mut table = write(shard);
        if let Some(entry) = table.find(&self.desc, hash, &key) {
            return SeriesRef(entry.clone());
        }
        let entry = self.new_entry(&key, true);
        table.insert(entry.clone(), hash);
        SeriesRef(entry)
    }

    /// Milliseconds since the family was created, in the bits [`Entry::activity`] has for them.
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX).min(u64::MAX >> MS_SHIFT)
    }

    /// Drops the series not updated within the TTL; returns how many were dropped.
    fn evict_idle(&self, ttl: Duration) -> usize {
        // Series touched since the previous scrape carry this generation; later touches carry the next.
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) & GENERATION_MASK;
        let now = self.now_ms();
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        let mut dropped = 0;
        for shard in self.shards.iter() {
            let mut released = 0;
            let keep = |e: &Arc<Entry<C>>| {
                let activity = e.activity.load(Ordering::Relaxed);
                if activity & GENERATION_MASK == generation {
                    // Keeps the generation an update may be storing at the same moment, and the flags.
                    let _ = e
                        .activity
                        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |a| Some(now << MS_SHIFT | a & BELOW_MS));
                    return true;
                }
                let keep = now.saturating_sub(activity >> MS_SHIFT) <= ttl_ms;
                if !keep && activity & OVERFLOW == 0 {
                    released += 1;
                }
                keep
            };
            write(shard).retain(keep, |e| self.entry_hash(e));
            for _ in 0..released {
                self.unreserve();
            }
            dropped += released;
        }
        dropped
    }
}

/// The 32-bit hash of label values under `keys`: each value's bytes, read as at most two overlapping words
/// when it has 16 or fewer (most have), folded into the state with its length by a widening multiply, as
/// `foldhash` does. Cheaper than a general `Hasher`, which pays per value for its buffering and a separator.
#[inline]
fn label_hash<'v>(keys: [u64; 2], values: impl Iterator<Item = &'v str>) -> u32 {
    let mut h = keys[0];
    for value in values {
        let mut v = value.as_bytes();
        let len = v.len() as u64;
        while v.len() > 16 {
            h = folded_multiply(word(v, 0) ^ h, word(v, 8) ^ keys[1]);
            v = &v[16..];
        }
        let (a, b) = match v.len() {
            8.. => (word(v, 0), word(v, v.len() - 8)),
            4.. => (half_word(v, 0), half_word(v, v.len() - 4)),
            1.. => (u64::from(v[0]) | u64::from(v[v.len() / 2]) << 8, u64::from(v[v.len() - 1])),
            0 => (0, 0),
        };
        h = folded_multiply(a ^ h, b ^ keys[1] ^ len.rotate_left(32));
    }
    let h = folded_multiply(h, keys[1]);
    (h ^ (h >> 32)) as u32
}

/// Whether `a` and `b`, of the same length, hold the same bytes: up to 16 bytes in two overlapping word
/// compares, without the call a slice compare makes.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    let len = a.len();
    match len {
        17.. => a == b,
        8.. => word(a, 0) == word(b, 0) && word(a, len - 8) == word(b, len - 8),
        4.. => half_word(a, 0) == half_word(b, 0) && half_word(a, len - 4) == half_word(b, len - 4),
        _ => a.iter().zip(b).all(|(x, y)| x == y),
    }
}

/// The eight bytes of `v` from `at` as a word.
#[inline]
fn word(v: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(v[at..at + 8].try_into().expect("eight bytes"))
}

/// The four bytes of `v` from `at` as a word.
#[inline]
fn half_word(v: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(v[at..at + 4].try_into().expect("four bytes")))
}

/// The product of `a` and `b` in 128 bits, its halves xored: every bit of the result depends on every bit
/// of both.
#[inline]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

/// The shard of a series: the top bits of its hash.
fn shard_of(hash: u32, shards: usize) -> usize {
    (hash as usize * shards) >> 32
}

/// The shards of a family bounded at `max_series`: a power of two from [`MIN_SHARDS`] to [`MAX_SHARDS`], so
/// that a full family holds about [`SERIES_PER_SHARD`] series in each.
fn shard_count(max_series: usize) -> usize {
    (max_series / SERIES_PER_SHARD).clamp(MIN_SHARDS, MAX_SHARDS).next_power_of_two()
}

/// The hash a shard's table files a series under: the 32-bit hash spread over 64 bits (an odd multiplier
/// is a bijection), so that the table's bucket index (low bits) and tag (top bits) both vary.
#[inline]
fn table_hash(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

/// The labels of a series: the family's names and the values the series keeps escaped.
struct OpenLabels<'a, C> {
    desc: &'a Descriptor,
    entry: &'a Entry<C>,
}

impl<C> EncodeLabels for OpenLabels<'_, C> {
    fn encode_labels(&self, out: &mut LabelWriter<'_>) {
        if self.desc.label_count() > 0 {
            out.escaped_label(self.desc.label_name(0), self.entry.rendered());
        }
    }
}

impl<C: Metric> Collect for OpenFamily<C> {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        out(&self.desc)
    }

    fn collect(&self, enc: &mut Encoder<'_>) {
        if let Some(ttl) = self.options.ttl {
            self.evict_idle(ttl);
        }
        let mut family = enc.family(&self.desc);
        for shard in self.shards.iter() {
            for entry in read(shard).entries.iter() {
                let labels = OpenLabels { desc: &self.desc, entry };
                entry.cell.encode(&mut family, &labels, Some(epoch_millis_to_seconds(entry.created_ms)));
            }
        }
    }

    fn bind(&self, budget: &SeriesBudget) {
        if self.budget.set(budget.clone()).is_ok() {
            if self.options.max_series.is_none() {
                self.max_series.store(budget.per_family(), Ordering::Relaxed);
            }
            for _ in 0..self.len() {
                budget.reserve_fixed(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MetricType;
    use crate::cell::Counter;

    fn family(options: OpenOptions) -> OpenFamily<Counter> {
        let desc =
            Descriptor::new("jobs", MetricType::Counter, "Jobs.").unwrap().with_labels(["agent", "status"]).unwrap();
        OpenFamily::new(desc, (), options)
    }

    #[test]
    fn same_labels_same_series() {
        let f = family(OpenOptions::new());
        f.get(&["planner", "ok"]).inc();
        f.get(&["planner", "ok"]).inc_by(2);
        f.get(&["planner", "error"]).inc();
        assert_eq!(f.get(&["planner", "ok"]).get(), 3);
        assert_eq!(f.len(), 2);
        assert_eq!(f.get(&["planner", "ok"]).label_values().collect::<Vec<_>>(), ["planner", "ok"]);
    }

    #[test]
    fn values_that_need_escaping_round_trip() {
        let f = family(OpenOptions::new());
        let odd = ["a\"b", "c\\d", "e\nf", "g=\"h", "x=", "", "k,l=\"m\""];
        for a in odd {
            for b in ["ok", "=\"", ""] {
                f.get(&[a, b]).inc();
            }
        }
        assert_eq!(f.len(), odd.len() * 3);
        for a in odd {
            for b in ["ok", "=\"", ""] {
                let series = f.get(&[a, b]);
                assert_eq!(series.get(), 1, "{a:?} {b:?}");
                assert_eq!(series.label_values().collect::<Vec<_>>(), [a, b]);
                assert_eq!(series.label_values().len(), 2);
            }
        }
        assert_eq!(f.len(), odd.len() * 3, "every lookup found its series");
        let registry = crate::Registry::builder().self_metrics(false).build();
        let f = std::sync::Arc::new(f);
        registry.register(f.clone()).unwrap();
        let mut buf = Vec::new();
        registry.encode(crate::Format::Text, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.contains("jobs_total{agent=\"a\\\"b\",status=\"ok\"} 1\n"), "{text}");
        assert!(text.contains("jobs_total{agent=\"e\\nf\",status=\"=\\\"\"} 1\n"), "{text}");
        assert!(text.contains("jobs_total{agent=\"x=\",status=\"\"} 1\n"), "{text}");
    }

    #[test]
    fn byte_compares_and_hashes_see_every_byte() {
        let base: Vec<u8> = (0..40).map(|i| b'a' + i % 26).collect();
        let keys = [0x1234_5678_9abc_def0, 0x0fed_cba9_8765_4321];
        for len in 0..base.len() {
            let a = &base[..len];
            assert!(same_bytes(a, a));
            let text = std::str::from_utf8(a).unwrap();
            let h = label_hash(keys, [text].into_iter());
            for at in 0..len {
                let mut b = a.to_vec();
                b[at] = b'#';
                assert!(!same_bytes(a, &b), "{len} {at}");
                let other = String::from_utf8(b).unwrap();
                assert_ne!(label_hash(keys, [other.as_str()].into_iter()), h, "{len} {at}");
            }
        }
        // Plainness, against the byte-by-byte rule, for each escaped byte at each place.
        for len in 0..base.len() {
            for at in 0..len {
                for odd in [b'\\', b'"', b'\n', b'[', b'\x7f', b'\x00'] {
                    let mut v = base[..len].to_vec();
                    v[at] = odd;
                    let v = String::from_utf8(v).unwrap();
                    let naive = !v.is_empty() && !v.bytes().any(|b| matches!(b, b'\\' | b'"' | b'\n'));
                    assert_eq!(is_plain(&v), naive, "{v:?}");
                }
            }
            assert_eq!(is_plain(std::str::from_utf8(&base[..len]).unwrap()), len > 0);
        }
        // Where one value ends and the next starts matters.
        let split = |a: &str, b: &str| label_hash(keys, [a, b].into_iter());
        assert_ne!(split("ab", "c"), split("a", "bc"));
        assert_ne!(split("", "abc"), split("abc", ""));
    }

    #[test]
    fn short_label_text_is_kept_inside_the_series() {
        assert_eq!(std::mem::size_of::<LabelText>(), 24);
        assert_eq!(std::mem::size_of::<Entry<Counter>>(), 48);
        let f = family(OpenOptions::new());
        // `agent-0",status="ok` is 19 bytes, inside; from 24 bytes on, on the heap.
        let long = "a-rather-long-agent-name".repeat(3);
        for (agent, inline) in [("agent-0", true), ("agent-0-xyz", true), ("agent-0-xyzw", false), (&long, false)] {
            f.get(&[agent, "ok"]).inc();
            let series = f.get(&[agent, "ok"]);
            assert_eq!(matches!(series.0.text, LabelText::Inline { .. }), inline, "{agent}");
            assert_eq!(series.get(), 1);
            assert_eq!(series.label_values().collect::<Vec<_>>(), [agent, "ok"]);
        }
        // Raw values and rendered text: `1:"2:ok` and a newline, then `\"",status="ok`.
        assert!(matches!(f.get(&["\"", "ok"]).0.text, LabelText::Inline { .. }));
        assert_eq!(f.get(&["\"", "ok"]).label_values().collect::<Vec<_>>(), ["\"", "ok"]);
        assert_eq!(f.len(), 5);
    }

    #[test]
    fn series_are_found_again_after_the_tables_grow() {
        let f = family(OpenOptions::new().max_series(10_000));
        let name = |i: usize| if i % 3 == 0 { format!("q\"{i}") } else { format!("agent-{i}") };
        for i in 0..4000 {
            f.get(&[&name(i), "ok"]).inc();
        }
        for i in 0..4000 {
            assert_eq!(f.get(&[&name(i), "ok"]).get(), 1, "{}", name(i));
        }
        assert_eq!(f.len(), 4000);
        assert_eq!(f.overflowed(), 0);
    }

    #[test]
    fn overflow_keeps_totals_and_enum_labels() {
        let f = family(OpenOptions::new().max_series(3).enum_label(1));
        for i in 0..30 {
            f.get(&[&format!("agent-{i}"), if i % 2 == 0 { "ok" } else { "error" }]).inc();
        }
        assert_eq!(f.len(), 3);
        assert_eq!(f.overflowed(), 27);
        let ok = f.get(&["agent-99", "ok"]);
        assert!(ok.is_overflow());
        assert_eq!(ok.label_values().collect::<Vec<_>>(), [OVERFLOW_VALUE, "ok"]);
        assert_eq!(f.get(&["agent-0", "ok"]).get(), 1, "existing series still update after the bound");
    }

    #[test]
    fn budget_bounds_across_families() {
        let budget = SeriesBudget::new(4);
        let a = family(OpenOptions::new());
        let b = family(OpenOptions::new());
        a.bind(&budget);
        b.bind(&budget);
        for i in 0..3 {
            a.get(&[&i.to_string(), "x"]).inc();
            b.get(&[&i.to_string(), "x"]).inc();
        }
        assert_eq!(a.len() + b.len(), 4);
        assert_eq!(budget.used(), 4);
        assert_eq!(budget.overflowed(), 2);
    }

    #[test]
    fn idle_series_expire() {
        let f = family(OpenOptions::new().ttl(Duration::from_millis(50)));
        f.get(&["idle", "ok"]).inc();
        f.get(&["busy", "ok"]).inc();
        assert_eq!(f.evict_idle(Duration::from_millis(50)), 0);
        std::thread::sleep(Duration::from_millis(30));
        f.get(&["busy", "ok"]).inc();
        std::thread::sleep(Duration::from_millis(40));
        f.get(&["busy", "ok"]).inc();
        assert_eq!(f.evict_idle(Duration::from_millis(50)), 1);
        assert_eq!(f.len(), 1);
        assert_eq!(f.get(&["busy", "ok"]).get(), 3);
        assert_eq!(f.get(&["idle", "ok"]).get(), 0, "an expired series starts again from zero");
    }
}
