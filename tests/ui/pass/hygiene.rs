// The expansion names the runtime and the standard library only by absolute paths through the runtime's
// hidden module: it compiles whatever the user shadowed, the runtime's own name included.
#![no_implicit_prelude]

extern crate std as the_std;

use ::promstruct::prelude::{metrics, Counter, Gauge, Histogram, LabelEnum};

// The cell types above are the ones the fields name; they are used, not replaced by the expansion.

// Shadow everything an expansion might name without a path.
mod std {}
mod core {}
mod promstruct {}
mod __private {}
#[allow(dead_code)]
type Result = ();
#[allow(dead_code)]
type Option = ();
#[allow(dead_code)]
struct Some;
#[allow(dead_code)]
struct None;
#[allow(dead_code)]
struct Ok;
#[allow(dead_code)]
struct Err;
#[allow(dead_code)]
trait Default {}
#[allow(dead_code)]
trait Clone {}
#[allow(dead_code)]
trait Copy {}
#[allow(dead_code)]
trait FnMut {}
#[allow(dead_code)]
struct Vec;
#[allow(dead_code)]
struct Box;
#[allow(dead_code)]
struct Duration;
#[allow(dead_code)]
struct Descriptor;
#[allow(dead_code)]
trait Collect {}

#[derive(::core::clone::Clone, ::core::marker::Copy, LabelEnum)]
pub enum Tier {
    Free,
    Paid,
}

// A crate that re-exports the runtime under its own name points both macros at it with `crate = path`.
mod telemetry {
    pub use ::promstruct::*;
}

#[derive(::core::clone::Clone, ::core::marker::Copy, LabelEnum)]
#[label(crate = crate::telemetry)]
pub enum Plan {
    Basic,
    Pro,
}

#[metrics(crate = crate::telemetry, namespace = "renamed")]
#[labels(Zone { North, South })]
pub struct RenamedMetrics {
    /// Signups, by plan and zone.
    #[counter(labels(plan: Plan, zone: Zone))]
    signups: Counter,

    /// Visitors, by page.
    #[gauge(labels(page: ::the_std::string::String), max_series = 5)]
    visitors: Gauge,
}

#[metrics(namespace = "hygiene")]
#[labels(Status { Ok = "ok", Err = "error" })]
pub struct HygieneMetrics {
    /// Requests, by status and tier.
    #[counter(labels(status: Status, tier: Tier))]
    requests: Counter,

    /// Sessions, by user, expiring.
    #[gauge(labels(user: &str, status: Status), max_series = 10, ttl = "1m")]
    sessions: Gauge,

    /// Latency.
    #[histogram(unit = "seconds", buckets = linear(0.1, 0.1, 3))]
    latency: Histogram,
}

fn main() {
    let m = <HygieneMetrics as ::core::default::Default>::default();
    m.requests(Status::Err, Tier::Paid).inc();
    m.sessions("ann", Status::Ok).inc();
    m.latency().observe(0.15);
    let registry = ::promstruct::Registry::new();
    registry.register(m).unwrap();
    let mut buf = ::the_std::vec::Vec::new();
    registry.encode(::promstruct::Format::Text, &mut buf).unwrap();
    ::core::assert!(::the_std::string::String::from_utf8(buf).unwrap().contains("hygiene_requests_total{status=\"error\",tier=\"paid\"} 1\n"));

    let r = RenamedMetrics::new();
    r.signups(Plan::Pro, Zone::South).inc();
    r.visitors("/home").set(2);
    ::core::assert_eq!(r.signups(Plan::Pro, Zone::South).get(), 1);
    ::core::assert_eq!(RenamedMetrics::FAMILIES[0].name(), "renamed_signups");
}
