//! Native (sparse, exponential) histograms: buckets at powers of `2^(2^-schema)` covering every float,
//! created as observations reach them, with the zero bucket, the bucket limit and its reductions as
//! client_golang has them.
//!
//! Layout: `index.rs` which bucket a value falls in and a bucket's bounds; `sparse.rs` the buckets of one
//! side of zero; `lane.rs` one writer's counts; `core.rs` the histogram (the owned stripes' observations,
//! moves to a new layout, reads), `shared.rs` the shared stripe's, `reduce.rs` what happens past the bucket
//! limit; `snapshot.rs` what a scrape reads, with protobuf's spans and deltas; `config.rs` the options.

mod config;
mod core;
mod index;
mod lane;
mod reduce;
mod shared;
mod snapshot;
mod sparse;
#[cfg(test)]
mod tests;

pub use config::NativeConfig;
pub use snapshot::{Deltas, NativeSnapshot, Spans};

pub(crate) use core::Native;
