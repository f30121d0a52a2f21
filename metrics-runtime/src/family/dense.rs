use std::fmt;
use std::marker::PhantomData;

use super::SeriesBudget;
use crate::cell::Metric;
use crate::encoding::{EncodeLabels, Encoder, FamilyEncoder, LabelWriter, now_epoch_seconds};
use crate::label::LabelSet;
use crate::registry::Collect;
use crate::schema::SchemaConfig;
use crate::{Descriptor, FamilySchema};

/// How a [`DenseFamily`] lays out its cells: one per label combination, all built at once, reached by
/// index. Named by [`Metric::Dense`].
///
/// Most cells live in a plain array ([`Box<[C]>`](Box), whose handle is `&C`, and which any [`Metric`]
/// may name); counters are striped, in storage private to the crate, whose handle is a
/// [`CounterRef`](crate::CounterRef).
///
/// Sealed: name it in bounds (`for<'a> <C::Dense as DenseStorage>::Ref<'a>: CounterOps`, say), but only
/// this crate implements it (a cell of your own names `Box<[Self]>`):
///
/// ```compile_fail,E0277
/// use promstruct::encoding::{EncodeLabels, FamilyEncoder};
/// use promstruct::family::DenseStorage;
/// use promstruct::SeriesBudget;
///
/// struct Mine;
///
/// impl DenseStorage for Mine {
///     type Config = ();
///     type Ref<'a> = &'a Mine;
///     fn with_len(_: usize, _: &()) -> Self { Mine }
///     fn len(&self) -> usize { 0 }
///     fn get(&self, _: usize) -> &Mine { self }
///     fn encode(&self, _: usize, _: &mut FamilyEncoder<'_, '_>, _: &dyn EncodeLabels, _: Option<f64>) {}
///     fn bind(&self, _: &SeriesBudget) {}
/// }
/// ```
pub trait DenseStorage: SealedStorage + Send + Sync + 'static {
    /// What every cell shares: the cell's [`Metric::Config`].
    type Config;

    /// The handle [`DenseFamily::get`] returns for one series.
    type Ref<'a>: Copy;

    /// `len` fresh cells of the family `desc`, built from `config`.
    fn with_len(len: usize, config: &Self::Config, desc: &Descriptor) -> Self;

    /// The number of cells.
    fn len(&self) -> usize;

    /// Whether there are no cells (a family whose label set has an enum with no values).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cell at `index`.
    ///
    /// # Panics
    /// If `index >= self.len()`.
    fn get(&self, index: usize) -> Self::Ref<'_>;

    /// Writes the cell at `index` as one series with `labels`, like [`Metric::encode`].
    fn encode(&self, index: usize, family: &mut FamilyEncoder<'_, '_>, labels: &dyn EncodeLabels, created: Option<f64>);

    /// Binds every cell to the registry of `budget`, like [`Metric::bind`]: refusals are counted there.
    fn bind(&self, budget: &SeriesBudget);
}

/// The seal of [`DenseStorage`]: public in a private module, so no type outside the crate implements it.
pub trait SealedStorage {}

impl<C: Metric> SealedStorage for Box<[C]> {}

impl<C: Metric> DenseStorage for Box<[C]> {
    type Config = C::Config;
    type Ref<'a> = &'a C;

    fn with_len(len: usize, config: &C::Config, desc: &Descriptor) -> Self {
        (0..len)
            .map(|_| {
                let cell = C::with_config(config);
                cell.attach(desc);
                cell
            })
            .collect()
    }

    fn len(&self) -> usize {
        <[C]>::len(self)
    }

    #[inline]
    fn get(&self, index: usize) -> &C {
        &self[index]
    }

    fn encode(
        &self,
        index: usize,
        family: &mut FamilyEncoder<'_, '_>,
        labels: &dyn EncodeLabels,
        created: Option<f64>,
    ) {
        self[index].encode(family, labels, created);
    }

    fn bind(&self, budget: &SeriesBudget) {
        for cell in self.iter() {
            cell.bind(budget);
        }
    }
}

/// The handle of one series of a `DenseFamily<_, C>`: `&C`, or [`CounterRef`](crate::CounterRef) for a
/// [`Counter`](crate::Counter).
pub(crate) type DenseRef<'a, C> = <<C as Metric>::Dense as DenseStorage>::Ref<'a>;

/// Every series of a family whose labels are all enums, in one flat array indexed by the ordinals.
///
/// `L` is the tuple of label enums (`()` for a family without labels), `C` the cell. An update is an
/// index computation and one relaxed atomic operation (for a counter, on the thread that owns its
/// stripe, a plain load and store: see [`CounterRef`](crate::CounterRef)). Every combination exists from
/// the start, so each is exposed, at zero until updated.
pub struct DenseFamily<L: LabelSet, C: Metric> {
    desc: Descriptor,
    cells: C::Dense,
    created: f64,
    labels: PhantomData<fn(L)>,
}

impl<L: LabelSet, C: Metric> DenseFamily<L, C> {
    /// A family with `desc`, every cell built from `config` (or from what converts into it: a
    /// histogram's [`Buckets`](crate::Buckets) or [`NativeConfig`](crate::cell::NativeConfig)).
    ///
    /// # Panics
    /// If `desc` does not declare exactly `L::ARITY` labels, or its type is not `C`'s.
    pub fn new(desc: Descriptor, config: impl Into<C::Config>) -> Self {
        let config = config.into();
        assert_eq!(desc.label_count(), L::ARITY, "family `{}`: label names do not match the label set", desc.name());
        assert_eq!(desc.kind(), C::KIND, "family `{}`: descriptor type does not match the cell", desc.name());
        let cells = C::Dense::with_len(L::CARDINALITY, &config, &desc);
        DenseFamily { desc, cells, created: now_epoch_seconds(), labels: PhantomData }
    }

    /// The family `#[metrics]` declared as `schema`: its descriptor and its cells' configuration (a
    /// histogram's buckets) derived from it.
    ///
    /// # Panics
    /// As [`new`](Self::new), which the macro rules out at compile time.
    pub fn from_schema(schema: &'static FamilySchema) -> Self
    where
        C::Config: SchemaConfig,
    {
        Self::new(Descriptor::from_schema(schema), C::Config::from_schema(schema))
    }

    /// The series for `labels`: `&C`, or a [`CounterRef`](crate::CounterRef) for a counter. Every handle
    /// implements its kind's trait ([`CounterOps`](crate::CounterOps), [`GaugeOps`](crate::GaugeOps),
    /// [`HistogramOps`](crate::HistogramOps)).
    #[inline]
    pub fn get(&self, labels: L) -> DenseRef<'_, C> {
        self.cells.get(labels.index())
    }

    /// The family's descriptor.
    pub fn descriptor(&self) -> &Descriptor {
        &self.desc
    }

    /// Every series, in exposition order, with its index (see [`LabelSet::value_at`]).
    pub fn iter(&self) -> impl Iterator<Item = (usize, DenseRef<'_, C>)> {
        (0..self.cells.len()).map(|index| (index, self.cells.get(index)))
    }
}

impl<L: LabelSet, C: Metric> fmt::Debug for DenseFamily<L, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DenseFamily").field("name", &self.desc.name()).field("series", &self.cells.len()).finish()
    }
}

/// The labels of the series at `index`.
struct DenseLabels<'a, L> {
    desc: &'a Descriptor,
    index: usize,
    labels: PhantomData<fn(L)>,
}

impl<L: LabelSet> EncodeLabels for DenseLabels<'_, L> {
    fn encode_labels(&self, out: &mut LabelWriter<'_>) {
        for label in 0..L::ARITY {
            out.label(self.desc.label_name(label), L::value_at(self.index, label));
        }
    }
}

impl<L: LabelSet, C: Metric> Collect for DenseFamily<L, C> {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        out(&self.desc)
    }

    fn collect(&self, enc: &mut Encoder<'_>) {
        let mut family = enc.family(&self.desc);
        for index in 0..self.cells.len() {
            let labels = DenseLabels::<L> { desc: &self.desc, index, labels: PhantomData };
            self.cells.encode(index, &mut family, &labels, Some(self.created));
        }
    }

    fn bind(&self, budget: &SeriesBudget) {
        budget.reserve_fixed(self.cells.len());
        self.cells.bind(budget);
    }
}
