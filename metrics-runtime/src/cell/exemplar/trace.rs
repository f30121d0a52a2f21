//! The trace and span ids of the current `tracing` span (feature `tracing`): [`TraceIds`], read by the
//! `*_with_current_trace` methods of the handle traits, and [`TraceIdsLayer`], which keeps them.
//!
//! A span carries its ids as fields, `trace_id` (32 hex digits) and `span_id` (16), recorded when it is
//! created or later (`span.record("trace_id", ...)`): `info_span!("request", trace_id = %id, span_id = %sid)`.
//! The layer, added to a subscriber built on tracing-subscriber's `Registry`, parses them once and keeps
//! them in the span's extensions; [`TraceIds::current`] reads them from the current span or the nearest
//! parent that has them, and is `None` with any other subscriber. With the feature `opentelemetry`, the
//! span's OpenTelemetry context (tracing-opentelemetry's layer) comes first.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Span, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::{LookupSpan, Registry};

/// The ids of a W3C trace context: a 16-byte trace id and an 8-byte span id, kept as lowercase hex, the
/// form exemplars carry (`trace_id`, `span_id`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceIds {
    trace: [u8; 32],
    span: [u8; 16],
}

impl TraceIds {
    /// The ids `trace_id` and `span_id`; `None` if either is zero, which W3C trace context reserves for
    /// an invalid id.
    pub fn new(trace_id: u128, span_id: u64) -> Option<TraceIds> {
        if trace_id == 0 || span_id == 0 {
            return None;
        }
        let (mut trace, mut span) = ([0u8; 32], [0u8; 16]);
        hex_into(&mut trace, trace_id);
        hex_into(&mut span, u128::from(span_id));
        Some(TraceIds { trace, span })
    }

    /// The ids written as hex: `trace_id` of 32 digits and `span_id` of 16 (either case); `None` if
    /// either is not, or is zero.
    pub fn parse(trace_id: &str, span_id: &str) -> Option<TraceIds> {
        let hex = |s: &str, digits: usize| {
            (s.len() == digits && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| u128::from_str_radix(s, 16).ok())?
        };
        TraceIds::new(hex(trace_id, 32)?, u64::try_from(hex(span_id, 16)?).ok()?)
    }

    /// The trace id, 32 lowercase hex digits.
    pub fn trace_id(&self) -> &str {
        std::str::from_utf8(&self.trace).expect("hex digits are ASCII")
    }

    /// The span id, 16 lowercase hex digits.
    pub fn span_id(&self) -> &str {
        std::str::from_utf8(&self.span).expect("hex digits are ASCII")
    }

    /// The exemplar labels: `trace_id` and `span_id` (62 code points of the 128 allowed).
    pub fn labels(&self) -> [(&'static str, &str); 2] {
        [("trace_id", self.trace_id()), ("span_id", self.span_id())]
    }

    /// The ids of the current span, or of its nearest parent that has them, as [`TraceIdsLayer`] kept
    /// them; `None` outside a span, for spans without the fields, and when the subscriber is not built on
    /// tracing-subscriber's `Registry`.
    ///
    /// ```
    /// use promstruct::{TraceIds, TraceIdsLayer};
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// let subscriber = tracing_subscriber::registry().with(TraceIdsLayer::new());
    /// tracing::subscriber::with_default(subscriber, || {
    ///     let span = tracing::info_span!(
    ///         "request",
    ///         trace_id = "4bf92f3577b34da6a3ce929d0e0e4736",
    ///         span_id = "00f067aa0ba902b7"
    ///     );
    ///     let _entered = span.enter();
    ///     let child = tracing::info_span!("step");
    ///     let _child = child.enter();
    ///     let ids = TraceIds::current().unwrap();
    ///     assert_eq!((ids.trace_id(), ids.span_id()), ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"));
    /// });
    /// assert_eq!(TraceIds::current(), None);
    /// ```
    pub fn current() -> Option<TraceIds> {
        #[cfg(feature = "opentelemetry")]
        if let Some(ids) = Self::from_opentelemetry(&Span::current()) {
            return Some(ids);
        }
        Span::current()
            .with_subscriber(|(id, dispatch)| {
                let registry = dispatch.downcast_ref::<Registry>()?;
                let span = registry.span(id)?;
                span.scope().find_map(|s| s.extensions().get::<TraceIds>().copied())
            })
            .flatten()
    }
}

#[cfg(feature = "opentelemetry")]
impl TraceIds {
    /// The ids of `span`'s OpenTelemetry span context (feature `opentelemetry`), as tracing-opentelemetry's
    /// layer keeps it; `None` when it is not valid (no layer, or no context).
    ///
    /// ```
    /// use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
    /// use promstruct::TraceIds;
    /// use tracing_opentelemetry::OpenTelemetrySpanExt;
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// let subscriber = tracing_subscriber::registry().with(tracing_opentelemetry::layer());
    /// tracing::subscriber::with_default(subscriber, || {
    ///     let trace_id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
    ///     let remote = SpanContext::new(trace_id, SpanId::from_hex("00f067aa0ba902b7").unwrap(),
    ///         TraceFlags::SAMPLED, true, TraceState::default());
    ///     let span = tracing::info_span!("request");
    ///     span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote)).unwrap();
    ///     let _entered = span.enter();
    ///     assert_eq!(TraceIds::current().unwrap().trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
    /// });
    /// ```
    pub fn from_opentelemetry(span: &Span) -> Option<TraceIds> {
        use opentelemetry::trace::TraceContextExt as _;
        use tracing_opentelemetry::OpenTelemetrySpanExt as _;
        let cx = span.context();
        let otel = cx.span();
        let context = otel.span_context();
        if !context.is_valid() {
            return None;
        }
        TraceIds::new(
            u128::from_be_bytes(context.trace_id().to_bytes()),
            u64::from_be_bytes(context.span_id().to_bytes()),
        )
    }
}

impl fmt::Debug for TraceIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceIds").field("trace_id", &self.trace_id()).field("span_id", &self.span_id()).finish()
    }
}

/// Writes `v` as `out.len()` lowercase hex digits, the most significant first.
fn hex_into(out: &mut [u8], mut v: u128) {
    for byte in out.iter_mut().rev() {
        *byte = b"0123456789abcdef"[(v & 0xf) as usize];
        v >>= 4;
    }
}

/// A `tracing_subscriber` layer that keeps the `trace_id` and `span_id` fields of each span that records
/// both, parsed once into [`TraceIds`], for [`TraceIds::current`] and the `*_with_current_trace` methods.
///
/// Add it to a subscriber built on tracing-subscriber's `Registry`:
/// `tracing_subscriber::registry().with(TraceIdsLayer::new()).with(fmt::layer())`. A span whose fields are
/// not hex ids of the right length is left without.
#[derive(Debug, Default, Clone, Copy)]
pub struct TraceIdsLayer {
    _private: (),
}

impl TraceIdsLayer {
    /// The layer.
    pub const fn new() -> Self {
        TraceIdsLayer { _private: () }
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for TraceIdsLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = IdFields::default();
        attrs.record(&mut fields);
        fields.keep(id, &ctx);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut fields = IdFields::default();
        values.record(&mut fields);
        fields.keep(id, &ctx);
    }
}

/// The `trace_id` and `span_id` fields of one span's record, as text.
#[derive(Default)]
struct IdFields {
    trace: String,
    span: String,
}

impl IdFields {
    /// Keeps the ids in the span's extensions if both fields were recorded now and parse; a field
    /// recorded alone completes the ids the span has.
    fn keep<S: Subscriber + for<'a> LookupSpan<'a>>(self, id: &Id, ctx: &Context<'_, S>) {
        if self.trace.is_empty() && self.span.is_empty() {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        let old = extensions.get_mut::<TraceIds>().copied();
        let trace = if self.trace.is_empty() { old.map(|o| o.trace_id().to_owned()) } else { Some(self.trace) };
        let span_id = if self.span.is_empty() { old.map(|o| o.span_id().to_owned()) } else { Some(self.span) };
        if let Some(ids) = trace.zip(span_id).and_then(|(t, s)| TraceIds::parse(&t, &s)) {
            extensions.replace(ids);
        }
    }

    fn field(&mut self, field: &Field) -> Option<&mut String> {
        match field.name() {
            "trace_id" => Some(&mut self.trace),
            "span_id" => Some(&mut self.span),
            _ => None,
        }
    }
}

impl Visit for IdFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if let Some(out) = self.field(field) {
            value.clone_into(out);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if let Some(out) = self.field(field) {
            out.clear();
            let _ = write!(out, "{value:?}");
        }
    }
}
