//! Exemplars: the labels of one recent update (a trace id, say), its value and its time, kept beside a
//! counter or a histogram bucket so that a dashboard can link a latency bucket to a trace that landed in it.
//!
//! Layout: this file the [`Exemplar`] value and its checks (label names, the 128-code-point limit) and
//! [`ExemplarError`]; `slot.rs` the storage (one slot a counter or classic bucket, a few recent ones for a
//! native histogram, tables allocated at the first exemplar); `trace.rs` (feature `tracing`) the trace and
//! span ids of the current span.
//!
//! An update that carries no exemplar never reads any of this: the exemplar methods are separate methods
//! (`inc_with_exemplar`, `observe_with_exemplar`) that do the update first, then check and store the
//! exemplar.

mod slot;
#[cfg(test)]
mod tests;
#[cfg(feature = "tracing")]
mod trace;

use std::fmt;

use smallvec::SmallVec;

pub(crate) use slot::{ExemplarSlot, HistogramExemplars, LazyExemplars};
#[cfg(feature = "tracing")]
pub use trace::{TraceIds, TraceIdsLayer};

/// The most code points (characters, not bytes) an exemplar's label names and values may hold together,
/// as OpenMetrics allows: an exemplar over it is refused, never truncated.
pub const MAX_EXEMPLAR_CODE_POINTS: usize = 128;

/// One exemplar: label pairs, the value of the update it came with and the time it was recorded.
///
/// Built by the exemplar methods of the cells (`inc_with_exemplar`, `observe_with_exemplar`), which check
/// its labels; read by a scrape and by [`Counter::exemplar`](crate::Counter::exemplar) and
/// [`Histogram::exemplars`](crate::Histogram::exemplars). The names and values live in one allocation,
/// beside the exemplar's own.
#[derive(Clone, PartialEq)]
pub struct Exemplar {
    value: f64,
    timestamp_ms: u64,
    /// Every name and value, one after the other.
    text: Box<str>,
    /// For each pair, where its name ends and where its value ends in `text`.
    ends: SmallVec<[(u16, u16); 2]>,
}

impl Exemplar {
    /// An exemplar of `labels` for an update of `value`, recorded now (by the coarse wall clock, the
    /// kernel's last tick: 1 to 4 ms behind, a few nanoseconds to read); refused if a name is not a valid
    /// label name (`[a-zA-Z_][a-zA-Z0-9_]*`), appears twice, or if the names and values together hold more
    /// than [`MAX_EXEMPLAR_CODE_POINTS`] code points.
    ///
    /// ```
    /// use promstruct::{Exemplar, ExemplarError};
    ///
    /// let e = Exemplar::new(&[("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")], 0.25).unwrap();
    /// assert_eq!(e.labels().collect::<Vec<_>>(), [("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")]);
    /// assert_eq!(e.value(), 0.25);
    /// let long = "é".repeat(121);
    /// assert_eq!(Exemplar::new(&[("trace_id", &long)], 1.0), Err(ExemplarError::TooLong { code_points: 129 }));
    /// ```
    pub fn new(labels: &[(&str, &str)], value: f64) -> Result<Exemplar, ExemplarError> {
        Self::at(labels, value, crate::clock::coarse_epoch_millis())
    }

    /// An exemplar as [`new`](Self::new) makes it, recorded at `timestamp_ms` milliseconds since the Unix
    /// epoch.
    pub fn at(labels: &[(&str, &str)], value: f64, timestamp_ms: u64) -> Result<Exemplar, ExemplarError> {
        let mut code_points = 0;
        for (i, (name, value)) in labels.iter().enumerate() {
            if !is_label_name(name) {
                return Err(ExemplarError::InvalidName { name: (*name).to_owned() });
            }
            if labels[..i].iter().any(|(earlier, _)| earlier == name) {
                return Err(ExemplarError::DuplicateName { name: (*name).to_owned() });
            }
            code_points += name.chars().count() + value.chars().count();
        }
        if code_points > MAX_EXEMPLAR_CODE_POINTS {
            return Err(ExemplarError::TooLong { code_points });
        }
        // At most 128 code points: at most 512 bytes, so every offset fits in a `u16`.
        let mut text = String::with_capacity(labels.iter().map(|(n, v)| n.len() + v.len()).sum());
        let mut ends = SmallVec::new();
        for (name, value) in labels {
            text.push_str(name);
            let name_end = text.len() as u16;
            text.push_str(value);
            ends.push((name_end, text.len() as u16));
        }
        Ok(Exemplar { value, timestamp_ms, text: text.into_boxed_str(), ends })
    }

    /// The label pairs, in the order given.
    pub fn labels(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&(name_end, value_end)| {
            let (name_end, value_end) = (usize::from(name_end), usize::from(value_end));
            let pair = (&self.text[start..name_end], &self.text[name_end..value_end]);
            start = value_end;
            pair
        })
    }

    /// The value of the update it came with: the increment of a counter, the observation of a histogram.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// When it was recorded, in milliseconds since the Unix epoch.
    pub fn timestamp_ms(&self) -> u64 {
        self.timestamp_ms
    }

    /// When it was recorded, in seconds since the Unix epoch (whole milliseconds), as the expositions
    /// write it.
    pub fn timestamp(&self) -> f64 {
        crate::clock::epoch_millis_to_seconds(self.timestamp_ms)
    }
}

impl fmt::Debug for Exemplar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exemplar")
            .field("labels", &self.labels().collect::<SmallVec<[_; 2]>>())
            .field("value", &self.value)
            .field("timestamp_ms", &self.timestamp_ms)
            .finish()
    }
}

/// Whether `name` is a label name an exemplar may carry: `[a-zA-Z_][a-zA-Z0-9_]*`.
fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'A'..=b'Z' | b'_'))
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Why an exemplar was not kept. The update it came with is applied all the same, unless it was refused
/// itself ([`UpdateRefused`](Self::UpdateRefused)); every refusal but that one is counted in the registry's
/// `promstruct_exemplars_rejected_total` ([`Registry::rejected_exemplars`](crate::Registry::rejected_exemplars)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExemplarError {
    /// The label names and values hold more than [`MAX_EXEMPLAR_CODE_POINTS`] code points together.
    TooLong {
        /// How many they hold.
        code_points: usize,
    },
    /// A label name is not `[a-zA-Z_][a-zA-Z0-9_]*`.
    InvalidName {
        /// The name.
        name: String,
    },
    /// A label name appears twice.
    DuplicateName {
        /// The name.
        name: String,
    },
    /// The update itself was refused (a negative or NaN counter increment, a NaN observation) and counted
    /// in [`Registry::rejected_updates`](crate::Registry::rejected_updates); it has no exemplar.
    UpdateRefused,
}

impl fmt::Display for ExemplarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExemplarError::TooLong { code_points } => write!(
                f,
                "the exemplar's label names and values hold {code_points} code points, over the \
                 {MAX_EXEMPLAR_CODE_POINTS} OpenMetrics allows"
            ),
            ExemplarError::InvalidName { name } => {
                write!(f, "the exemplar label name {name:?} is not [a-zA-Z_][a-zA-Z0-9_]*")
            }
            ExemplarError::DuplicateName { name } => write!(f, "the exemplar label name {name:?} appears twice"),
            ExemplarError::UpdateRefused => write!(f, "the update was refused, and its exemplar with it"),
        }
    }
}

impl std::error::Error for ExemplarError {}

/// An exemplar of `labels` for an update of `value`, recorded now; a refusal is counted with `count`
/// (the registry's refused exemplars) before it is returned.
#[inline]
pub(crate) fn checked(labels: &[(&str, &str)], value: f64, count: impl FnOnce()) -> Result<Exemplar, ExemplarError> {
    Exemplar::new(labels, value).inspect_err(|_| count())
}
