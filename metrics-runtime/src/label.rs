//! Label values known at compile time: [`LabelEnum`] and the tuples of them that index dense families.

/// A closed set of label values: a Rust enum whose variants are the only values a label takes.
///
/// `#[metrics]` implements it for the enums it declares and `#[derive(LabelEnum)]` for a user's own enum.
/// The ordinals are `0..CARDINALITY`, in declaration order, and index dense storage directly.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a label enum: a label takes an enum declared in `#[labels(...)]`, an enum with \
               `#[derive(LabelEnum)]`, or `String`/`&str`",
    label = "not a label enum",
    note = "declare the label's values in the struct's `#[labels(Name {{ Variant = \"value\", ... }})]` and \
            write `Name`, add `#[derive(LabelEnum)]` to your own enum, or take the label as `String` for an open \
            set of values"
)]
pub trait LabelEnum: Copy + Send + Sync + 'static {
    /// How many values the label takes.
    const CARDINALITY: usize;
    /// Every variant, by ordinal.
    const ALL: &'static [Self];
    /// The exposed value of every variant, by ordinal.
    const VALUES: &'static [&'static str];

    /// The position of this variant among [`LabelEnum::ALL`].
    fn ordinal(self) -> usize;

    /// The value exposed in the label.
    fn as_str(self) -> &'static str {
        Self::VALUES[self.ordinal()]
    }

    /// The variant at `ordinal`, if there is one.
    fn from_ordinal(ordinal: usize) -> Option<Self> {
        Self::ALL.get(ordinal).copied()
    }
}

/// A tuple of [`LabelEnum`]s that addresses one series of a dense family.
///
/// Implemented for `()` and for tuples of up to eight label enums. A tuple's index is its ordinals read as
/// a mixed-radix number, the first label most significant, so series are laid out (and exposed) in the
/// order of the enums' declarations.
pub trait LabelSet: Copy + Send + Sync + 'static {
    /// The number of labels in the set.
    const ARITY: usize;
    /// The number of distinct series: the product of the labels' cardinalities.
    const CARDINALITY: usize;

    /// The position of this combination in dense storage, in `0..CARDINALITY`.
    fn index(self) -> usize;

    /// The exposed value of label `label` (0-based) in the series at `index`.
    fn value_at(index: usize, label: usize) -> &'static str;
}

impl LabelSet for () {
    const ARITY: usize = 0;
    const CARDINALITY: usize = 1;

    #[inline]
    fn index(self) -> usize {
        0
    }

    fn value_at(_: usize, label: usize) -> &'static str {
        panic!("label {label} out of range for a family without labels")
    }
}

macro_rules! impl_label_set {
    ($($name:ident $pos:tt),+) => {
        impl<$($name: LabelEnum),+> LabelSet for ($($name,)+) {
            const ARITY: usize = [$($pos),+].len();
            const CARDINALITY: usize = 1 $(* $name::CARDINALITY)+;

            #[inline]
            fn index(self) -> usize {
                let mut index = 0;
                $( index = index * $name::CARDINALITY + self.$pos.ordinal(); )+
                index
            }

            fn value_at(index: usize, label: usize) -> &'static str {
                // Strides: the product of the cardinalities of the labels after each one.
                let cards = [$($name::CARDINALITY),+];
                let values: &[&'static [&'static str]] = &[$($name::VALUES),+];
                let stride: usize = cards[label + 1..].iter().product();
                values[label][(index / stride) % cards[label]]
            }
        }
    };
}

impl_label_set!(A 0);
impl_label_set!(A 0, B 1);
impl_label_set!(A 0, B 1, C 2);
impl_label_set!(A 0, B 1, C 2, D 3);
impl_label_set!(A 0, B 1, C 2, D 3, E 4);
impl_label_set!(A 0, B 1, C 2, D 3, E 4, F 5);
impl_label_set!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
impl_label_set!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    pub(crate) enum Model {
        Gpt,
        Claude,
        Llama,
    }

    impl LabelEnum for Model {
        const CARDINALITY: usize = 3;
        const ALL: &'static [Self] = &[Model::Gpt, Model::Claude, Model::Llama];
        const VALUES: &'static [&'static str] = &["gpt-4o", "claude-3-5-sonnet", "llama-3-70b"];
        fn ordinal(self) -> usize {
            self as usize
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    pub(crate) enum Status {
        Ok,
        Error,
    }

    impl LabelEnum for Status {
        const CARDINALITY: usize = 2;
        const ALL: &'static [Self] = &[Status::Ok, Status::Error];
        const VALUES: &'static [&'static str] = &["ok", "error"];
        fn ordinal(self) -> usize {
            self as usize
        }
    }

    #[test]
    fn enum_basics() {
        assert_eq!(Model::Claude.as_str(), "claude-3-5-sonnet");
        assert_eq!(Model::from_ordinal(2), Some(Model::Llama));
        assert_eq!(Model::from_ordinal(3), None);
    }

    #[test]
    fn tuple_index_is_dense_and_invertible() {
        assert_eq!(<(Model, Status)>::CARDINALITY, 6);
        assert_eq!(<(Model, Status)>::ARITY, 2);
        let mut seen = [false; 6];
        for &m in Model::ALL {
            for &s in Status::ALL {
                let i = (m, s).index();
                assert!(!seen[i]);
                seen[i] = true;
                assert_eq!(<(Model, Status)>::value_at(i, 0), m.as_str());
                assert_eq!(<(Model, Status)>::value_at(i, 1), s.as_str());
            }
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!((Model::Gpt, Status::Error).index(), 1);
        assert_eq!((Model::Claude, Status::Ok).index(), 2);
        assert_eq!(<(Status, Model, Status)>::CARDINALITY, 12);
        let i = (Status::Error, Model::Llama, Status::Ok).index();
        assert_eq!(<(Status, Model, Status)>::value_at(i, 0), "error");
        assert_eq!(<(Status, Model, Status)>::value_at(i, 1), "llama-3-70b");
        assert_eq!(<(Status, Model, Status)>::value_at(i, 2), "ok");
    }
}
