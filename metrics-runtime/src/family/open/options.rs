//! How an open family bounds itself: its series limit, its TTL and which of its labels are enums.

use std::time::Duration;

use crate::{FamilySchema, RuleError};

/// How an [`OpenFamily`](super::OpenFamily) bounds itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    /// `None`: the registry's bound per family ([`RegistryBuilder::max_series_per_family`], from
    /// `cardinality.max_per_metric`), else [`DEFAULT_MAX_SERIES`](promstruct_naming::DEFAULT_MAX_SERIES).
    ///
    /// [`RegistryBuilder::max_series_per_family`]: crate::RegistryBuilder::max_series_per_family
    pub(super) max_series: Option<usize>,
    pub(super) ttl: Option<Duration>,
    pub(super) enum_labels: u64,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl OpenOptions {
    /// The registry's bound per family (else [`DEFAULT_MAX_SERIES`](promstruct_naming::DEFAULT_MAX_SERIES)), series kept until the process
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

    /// The options `schema` declares: its `max_series` and TTL, and which labels are enums.
    pub const fn from_schema(schema: &FamilySchema) -> Self {
        let mut options = OpenOptions { max_series: schema.declared_max_series(), ttl: schema.ttl(), enum_labels: 0 };
        let labels = schema.labels();
        let mut i = 0;
        while i < labels.len() {
            if !labels[i].is_open() {
                options = options.enum_label(i);
            }
            i += 1;
        }
        options
    }

    /// Marks label `index` as taking a closed set of values (an enum): the overflow series keeps its value
    /// instead of reading `__overflow__`.
    pub const fn enum_label(mut self, index: usize) -> Self {
        assert!(index < 64, "at most 64 labels");
        self.enum_labels |= 1 << index;
        self
    }

    /// Whether the options keep the limits every family follows, the ones `#[metrics]` checks at compile
    /// time and [`DynamicMetrics`](crate::dynamic::DynamicMetrics) at definition.
    pub fn check(&self) -> Result<(), RuleError> {
        if let Some(max) = self.max_series {
            promstruct_naming::check_series_limit("max_series", max)?;
        }
        if let Some(ttl) = self.ttl {
            promstruct_naming::check_ttl(ttl)?;
        }
        Ok(())
    }
}
