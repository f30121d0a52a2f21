//! The label enums of the workloads, taught to every library that has enum labels.
//!
//! For this project they implement [`LabelEnum`] as `#[metrics]` generates it; for `measured` they
//! implement `FixedCardinalityLabel`, for `prometheus-client` `EncodeLabelValue`; the string-keyed
//! libraries take [`Route::as_str`] and friends.

use std::fmt::Write as _;

use measured::label::{LabelValue, LabelVisitor};
use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};
use promstruct::LabelEnum;

macro_rules! label_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            /// The exposed value.
            #[inline]
            pub const fn as_str(self) -> &'static str {
                <Self as LabelEnum>::VALUES[self as usize]
            }
        }

        impl LabelEnum for $name {
            const CARDINALITY: usize = [$($value),+].len();
            const ALL: &'static [Self] = &[$($name::$variant),+];
            const VALUES: &'static [&'static str] = &[$($value),+];

            #[inline]
            fn ordinal(self) -> usize {
                self as usize
            }
        }

        impl measured::label::FixedCardinalityLabel for $name {
            #[inline]
            fn cardinality() -> usize {
                <Self as LabelEnum>::CARDINALITY
            }

            #[inline]
            fn encode(&self) -> usize {
                *self as usize
            }

            fn decode(value: usize) -> Self {
                <Self as LabelEnum>::ALL[value]
            }
        }

        impl LabelValue for $name {
            fn visit<V: LabelVisitor>(&self, v: V) -> V::Output {
                v.write_str(self.as_str())
            }
        }

        impl EncodeLabelValue for $name {
            fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
                encoder.write_str(self.as_str())
            }
        }
    };
}

label_enum! {
    /// An HTTP route: six values.
    Route {
        Users = "/api/v1/users",
        User = "/api/v1/users/:id",
        Products = "/api/v1/products",
        Product = "/api/v1/products/:id",
        ProductOwner = "/api/v1/products/:id/owner",
        ProductPurchase = "/api/v1/products/:id/purchase",
    }
}

label_enum! {
    /// An error kind: three values.
    Kind { User = "user", Internal = "internal", Network = "network" }
}

label_enum! {
    /// A decimal digit: ten values, three of them address 1,000 series.
    Digit { D0 = "0", D1 = "1", D2 = "2", D3 = "3", D4 = "4", D5 = "5", D6 = "6", D7 = "7", D8 = "8", D9 = "9" }
}

impl Route {
    /// Every route, by ordinal.
    pub const ALL: &'static [Route] = <Route as LabelEnum>::ALL;
}

impl Kind {
    /// Every kind, by ordinal.
    pub const ALL: &'static [Kind] = <Kind as LabelEnum>::ALL;
}

impl Digit {
    /// Every digit, by ordinal.
    pub const ALL: &'static [Digit] = <Digit as LabelEnum>::ALL;
}
