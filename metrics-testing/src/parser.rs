//! The rules that span lines: families, metadata, series, metric points, histograms, `# EOF`.
//!
//! One pass over the lines. Every family keeps, until the end, a hash index of its series and of its
//! metric-point groups (a histogram's buckets, sum and count share a group), so duplicate series and split
//! groups are found in constant time per sample, and a family that comes back after another is still
//! checked as one.
//!
//! Over 500 lines for one reason: every rule is a method of the one `Engine`, reading and updating the
//! state of the family, series and metric point it is in; split across files they would share it all.

use foldhash::fast::FixedState;
use smallvec::SmallVec;

use promstruct::Format;
use promstruct::encoding::canonical_float;

use crate::lex::{Lexer, Line, Meta, RawSample};
use crate::model::{FamilyType, ParsedFamily, Sample, label_set_key, same_label_sets, series_key, series_text};
use crate::number::{go_float, om_number};
use crate::violation::{Report, Rule, Severity};

/// Parses `text`, returning the families read and every violation found.
pub(crate) fn run(text: &str, format: Format) -> (Vec<ParsedFamily>, Report) {
    run_with(text, format, false)
}

/// [`run`], with metric and label names that may be quoted UTF-8 strings when `utf8` is set.
pub(crate) fn run_with(text: &str, format: Format, utf8: bool) -> (Vec<ParsedFamily>, Report) {
    let mut engine = Engine::new(format);
    engine.utf8 = utf8;
    let mut body = text;
    if let Some(rest) = text.strip_prefix('\u{feff}') {
        engine.report.line(1, Rule::Encoding, Severity::Error, "the text starts with a byte order mark".into());
        body = rest;
    }
    let mut number = 0;
    let mut rest = body;
    let mut ended_with_newline = true;
    while !rest.is_empty() {
        number += 1;
        let (line, next, newline) = match rest.find('\n') {
            Some(end) => (&rest[..end], &rest[end + 1..], true),
            None => (rest, "", false),
        };
        rest = next;
        ended_with_newline = newline;
        engine.line(number, line, newline);
    }
    engine.finish(number, ended_with_newline);
    (engine.families, engine.report)
}

/// One bucket as read, for messages about the next.
#[derive(Debug)]
struct Bucket {
    le: f64,
    le_text: String,
    value: f64,
    line: usize,
}

/// The samples of one histogram metric point read so far (one group, one timestamp).
#[derive(Debug)]
struct Point {
    first_line: usize,
    timestamp: Option<f64>,
    last: Option<Bucket>,
    inf: Option<f64>,
    count: Option<(f64, usize)>,
    sum: Option<(f64, usize)>,
    negative_bucket: bool,
    /// A bucket whose `le` was missing or invalid (reported): its completeness is not judged.
    bad_bucket: bool,
}

/// The samples of one family that share their labels, less `le` (buckets), `quantile` (summary
/// quantiles) or the state label (stateset): one series, or one histogram or summary.
#[derive(Debug)]
struct Group {
    /// A sample of the group, whose labels name it.
    rep: u32,
    first_line: usize,
    /// The group was split by other groups (reported): its completeness is not judged.
    split: bool,
    /// The timestamp of its last sample, once it has one.
    last_timestamp: Option<Option<f64>>,
    last_quantile: Option<f64>,
    point: Option<Point>,
}

#[derive(Debug, Default)]
struct FamilyState {
    help_line: Option<usize>,
    type_line: Option<usize>,
    unit_line: Option<usize>,
    first_sample_line: Option<usize>,
    /// A line of the family broke the grammar (reported): its histograms' completeness is not judged.
    broken: bool,
    series: foldhash::HashMap<u64, SmallVec<[u32; 1]>>,
    group_index: foldhash::HashMap<u64, SmallVec<[u32; 1]>>,
    groups: Vec<Group>,
    current_group: Option<u32>,
    /// The names this family shares with others, each reported once.
    clashes: Vec<String>,
}

struct Engine {
    format: Format,
    /// Whether names may be quoted UTF-8 strings (text 1.0.0 and OpenMetrics with `allow-utf-8`).
    utf8: bool,
    report: Report,
    families: Vec<ParsedFamily>,
    states: Vec<FamilyState>,
    /// Family name to family.
    by_name: foldhash::HashMap<String, usize>,
    /// Every name a family's samples may take, and its own name, to the family.
    reserved: foldhash::HashMap<String, usize>,
    current: Option<usize>,
    eof: Option<usize>,
    hasher: FixedState,
}

impl Engine {
    fn new(format: Format) -> Self {
        Engine {
            format,
            utf8: false,
            report: Report::new(),
            families: Vec::new(),
            states: Vec::new(),
            by_name: Default::default(),
            reserved: Default::default(),
            current: None,
            eof: None,
            hasher: FixedState::default(),
        }
    }

    fn om(&self) -> bool {
        self.format == Format::OpenMetrics
    }

    fn severity(&self) -> Severity {
        if self.om() { Severity::Error } else { Severity::Warning }
    }

    fn err(&mut self, line: usize, text: &str, at: usize, rule: Rule, message: String) {
        self.report.at(line, text, at, rule, Severity::Error, message);
    }

    fn line(&mut self, number: usize, mut text: &str, newline: bool) {
        if let Some(eof) = self.eof {
            if eof + 1 == number {
                self.report.line(number, Rule::Eof, Severity::Error, format!("text after `# EOF` (line {eof})"));
            }
            return;
        }
        if !(newline || self.om() && text == "# EOF") {
            self.report.at(
                number,
                text,
                text.len(),
                Rule::LineEnding,
                Severity::Error,
                "the last line has no newline".into(),
            );
        }
        if let Some(stripped) = text.strip_suffix('\r')
            && !is_help_line(text, self.format)
        {
            self.report.at(
                number,
                text,
                stripped.len(),
                Rule::LineEnding,
                Severity::Error,
                "line ends in `\\r\\n`: end lines with `\\n` alone".into(),
            );
            text = stripped;
        }
        match Lexer::new(&mut self.report, self.format, number, text).utf8_names(self.utf8).lex() {
            Line::Blank | Line::Comment => {}
            Line::Eof => {
                self.eof = Some(number);
                if !newline {
                    self.report.at(
                        number,
                        text,
                        text.len(),
                        Rule::LineEnding,
                        Severity::Warning,
                        "no newline after `# EOF`".into(),
                    );
                }
            }
            Line::Invalid { name } => {
                if let Some(name) = name {
                    self.mark_broken(&name);
                }
            }
            Line::Metadata { meta, name, name_at, payload, payload_at } => {
                self.metadata(number, text, meta, &name, name_at, payload, payload_at)
            }
            Line::Sample(sample) => self.sample(number, text, sample),
        }
    }

    fn finish(&mut self, lines: usize, ended_with_newline: bool) {
        for f in 0..self.families.len() {
            self.finish_family(f);
        }
        if self.om() && self.eof.is_none() {
            let line = if ended_with_newline { lines + 1 } else { lines.max(1) };
            self.report.line(line, Rule::Eof, Severity::Error, "missing `# EOF` at the end".into());
        }
    }

    /// Whether family `f` has a sample named `name`.
    fn allows(&self, f: usize, name: &str) -> bool {
        let family = &self.families[f];
        name.strip_prefix(family.name.as_str())
            .is_some_and(|suffix| family.kind.sample_suffixes(self.format).contains(&suffix))
    }

    fn mark_broken(&mut self, name: &str) {
        let owner = match self.current {
            Some(c) if self.allows(c, name) || self.families[c].name == name => Some(c),
            _ => self.reserved.get(name).copied(),
        };
        if let Some(f) = owner {
            self.states[f].broken = true;
        }
    }

    fn new_family(&mut self, name: &str, line: usize) -> usize {
        let f = self.families.len();
        let kind = if self.om() { FamilyType::Unknown } else { FamilyType::Untyped };
        self.families.push(ParsedFamily {
            name: name.to_owned(),
            kind,
            help: None,
            unit: None,
            samples: Vec::new(),
            native_histograms: Vec::new(),
            first_line: line,
            last_line: line,
        });
        self.states.push(FamilyState::default());
        self.by_name.entry(name.to_owned()).or_insert(f);
        self.current = Some(f);
        self.reserve(f, line);
        f
    }

    /// Claims the names family `f`'s samples may take, reporting those another family has.
    fn reserve(&mut self, f: usize, line: usize) {
        let family = &self.families[f];
        let suffixes = family.kind.sample_suffixes(self.format);
        let mut clashes = Vec::new();
        for suffix in std::iter::once(&"").chain(suffixes.iter().filter(|s| !s.is_empty())) {
            let name = format!("{}{suffix}", family.name);
            match self.reserved.get(&name) {
                None => {
                    self.reserved.insert(name, f);
                }
                Some(&g) if g == f => {}
                // Reported when the family was first seen, before its `# TYPE` named more names.
                Some(_) if self.states[f].clashes.contains(&name) => {}
                Some(&g) => clashes.push((name, g)),
            }
        }
        for (name, g) in clashes {
            let (family, other) = (&self.families[f], &self.families[g]);
            let what = if other.name == name { "the name of" } else { "a sample name of" };
            let message = format!(
                "{} `{}` would expose `{name}`, which is {what} {} `{}` (line {})",
                family.kind, family.name, other.kind, other.name, other.first_line
            );
            self.report.line(line, Rule::NameClash, Severity::Error, message);
            self.states[f].clashes.push(name);
        }
    }

    /// The family metadata for `name` on line `line` describes, created if new.
    fn metadata_family(&mut self, line: usize, text: &str, name: &str, at: usize) -> usize {
        if let Some(c) = self.current
            && self.families[c].name == name
        {
            return c;
        }
        if let Some(&f) = self.by_name.get(name) {
            let first = self.families[f].first_line;
            let message = format!(
                "family `{name}` (line {first}) appears again after other families: a family's lines must be contiguous"
            );
            self.err(line, text, at, Rule::Interleaved, message);
            self.current = Some(f);
            return f;
        }
        self.new_family(name, line)
    }

    #[allow(clippy::too_many_arguments)]
    fn metadata(
        &mut self,
        line: usize,
        text: &str,
        meta: Meta,
        name: &str,
        name_at: usize,
        payload: &str,
        payload_at: usize,
    ) {
        let keyword = meta.keyword();
        if meta == Meta::Unit && !self.om() {
            return;
        }
        let f = self.metadata_family(line, text, name, name_at);
        self.families[f].last_line = line;
        if let Some(first) = self.states[f].first_sample_line {
            let message =
                format!("`{keyword}` for `{name}` comes after its samples (line {first}): metadata goes first");
            self.err(line, text, 0, Rule::MetadataOrder, message);
            return;
        }
        let state = &self.states[f];
        let previous = match meta {
            Meta::Help => state.help_line,
            Meta::Type => state.type_line,
            Meta::Unit => state.unit_line,
        };
        if let Some(previous) = previous {
            let message = format!("a second `{keyword}` for `{name}` (the first is on line {previous})");
            self.err(line, text, 0, Rule::DuplicateMetadata, message);
            return;
        }
        if self.om() {
            let later = match meta {
                Meta::Type => [state.unit_line.map(|l| ("UNIT", l)), state.help_line.map(|l| ("HELP", l))],
                Meta::Unit => [state.help_line.map(|l| ("HELP", l)), None],
                Meta::Help => [None, None],
            };
            if let Some((other, l)) = later.into_iter().flatten().next() {
                let message =
                    format!("`{keyword}` should come before `# {other}` (line {l}): the order is TYPE, UNIT, HELP");
                self.report.at(line, text, 0, Rule::MetadataOrder, Severity::Warning, message);
            }
        }
        match meta {
            Meta::Type => {
                self.states[f].type_line = Some(line);
                match FamilyType::from_name(payload, self.format) {
                    Some(kind) => {
                        self.families[f].kind = kind;
                        self.reserve(f, line);
                    }
                    None => {
                        let message = self.invalid_type_message(payload);
                        self.err(line, text, payload_at, Rule::InvalidType, message);
                    }
                }
            }
            Meta::Unit => {
                self.states[f].unit_line = Some(line);
                if let Some(bad) = payload.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')) {
                    let message = format!("unit `{payload}` holds a character a metric name cannot");
                    self.err(line, text, payload_at + bad, Rule::Unit, message);
                }
                self.families[f].unit = (!payload.is_empty()).then(|| payload.to_owned());
            }
            Meta::Help => {
                self.states[f].help_line = Some(line);
                let mut lexer = Lexer::new(&mut self.report, self.format, line, text);
                let help = lexer.help_text(payload, payload_at);
                self.families[f].help = Some(help);
            }
        }
    }

    fn invalid_type_message(&self, payload: &str) -> String {
        let other = if self.om() { Format::Text } else { Format::OpenMetrics };
        if self.om() && payload == "untyped" {
            "OpenMetrics has no type `untyped`: write `unknown`".into()
        } else if FamilyType::from_name(payload, other).is_some() {
            format!(
                "`{payload}` is not a type of the text format 0.0.4: it has counter, gauge, histogram, summary and untyped"
            )
        } else if self.om() {
            format!(
                "unknown type `{payload}`: OpenMetrics has counter, gauge, histogram, gaugehistogram, stateset, info, summary and unknown"
            )
        } else {
            format!("unknown type `{payload}`: 0.0.4 has counter, gauge, histogram, summary and untyped")
        }
    }

    /// The family a sample named `name` belongs to: the current one, an earlier one it comes back to
    /// (reported), or a new one. `None` (reported) when the name belongs to a family that has no such
    /// sample.
    fn sample_family(&mut self, line: usize, text: &str, name: &str) -> Option<usize> {
        if let Some(c) = self.current
            && self.allows(c, name)
        {
            return Some(c);
        }
        let Some(&g) = self.reserved.get(name) else {
            return Some(self.new_family(name, line));
        };
        let family = &self.families[g];
        let (kind, family_name, first, last) = (family.kind, family.name.clone(), family.first_line, family.last_line);
        if self.allows(g, name) {
            let message = format!(
                "sample `{name}` of {kind} `{family_name}` (lines {first}-{last}) comes after other families: a \
                 family's lines must be contiguous"
            );
            self.err(line, text, 0, Rule::Interleaved, message);
            self.current = Some(g);
            return Some(g);
        }
        let names: Vec<String> =
            kind.sample_suffixes(self.format).iter().map(|s| format!("`{family_name}{s}`")).collect();
        if Some(g) == self.current {
            let message = format!(
                "`{name}` is not a sample name of {kind} `{family_name}`: its samples are {}",
                names.join(", ")
            );
            self.err(line, text, 0, Rule::Suffix, message);
        } else {
            let message = format!(
                "sample `{name}` clashes with {kind} `{family_name}` (line {first}), whose samples are {}",
                names.join(", ")
            );
            self.err(line, text, 0, Rule::NameClash, message);
        }
        None
    }

    fn sample(&mut self, line: usize, text: &str, raw: RawSample) {
        let Some(f) = self.sample_family(line, text, &raw.name) else { return };
        self.families[f].last_line = line;
        self.states[f].first_sample_line.get_or_insert(line);
        let kind = self.families[f].kind;
        let base_len = self.families[f].name.len();
        let suffix = raw.name[base_len..].to_owned();
        let bound = self.check_sample(f, line, text, &raw, &suffix);

        // Duplicate series.
        let labels = || raw.labels.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        let series = series_key(&self.hasher, &raw.name, labels());
        let family = &self.families[f];
        let state = &self.states[f];
        if let Some(candidates) = state.series.get(&series)
            && let Some(&j) = candidates.iter().find(|&&j| {
                let other = &family.samples[j as usize];
                other.name == raw.name && same_labels(&other.labels, None, &raw.labels, None)
            })
        {
            let other = &family.samples[j as usize];
            if !self.om() || (other.timestamp.is_none() && raw.timestamp.is_none()) {
                let message = format!(
                    "series `{}` appears twice (first on line {}){}",
                    series_text(&raw.name, labels()),
                    other.line,
                    if self.om() { ": a series appears once, or with increasing timestamps" } else { "" }
                );
                self.err(line, text, 0, Rule::DuplicateSeries, message);
                return;
            }
        } else {
            let index = family.samples.len() as u32;
            self.states[f].series.entry(series).or_default().push(index);
        }

        // The group: contiguity and timestamps.
        let skip = group_skip(kind, &self.families[f].name).map(str::to_owned);
        let skip = skip.as_deref();
        let group_hash = label_set_key(&self.hasher, labels().filter(|(n, _)| Some(*n) != skip));
        let found = self.states[f].group_index.get(&group_hash).and_then(|candidates| {
            candidates.iter().copied().find(|&g| {
                let rep = &self.families[f].samples[self.states[f].groups[g as usize].rep as usize];
                same_labels(&rep.labels, skip, &raw.labels, skip)
            })
        });
        let sample_index = self.families[f].samples.len() as u32;
        let g = match found {
            Some(g) if Some(g) == self.states[f].current_group => g,
            Some(g) => {
                if self.om() {
                    let group = &self.states[f].groups[g as usize];
                    let message = format!(
                        "the samples of `{}` must be contiguous: it began on line {}, and other series came between",
                        self.group_text(f, group.rep),
                        group.first_line
                    );
                    self.err(line, text, 0, Rule::Grouping, message);
                    self.states[f].groups[g as usize].split = true;
                    self.leave_group(f);
                }
                self.states[f].current_group = Some(g);
                g
            }
            None => {
                if self.om() {
                    self.leave_group(f);
                }
                let state = &mut self.states[f];
                let g = state.groups.len() as u32;
                state.groups.push(Group {
                    rep: sample_index,
                    first_line: line,
                    split: false,
                    last_timestamp: None,
                    last_quantile: None,
                    point: None,
                });
                state.group_index.entry(group_hash).or_default().push(g);
                state.current_group = Some(g);
                g
            }
        };
        if self.om() {
            self.check_timestamps(f, g, line, text, &raw);
        }
        if !self.om()
            && kind == FamilyType::Summary
            && suffix.is_empty()
            && let Some(q) = bound
        {
            let group = &mut self.states[f].groups[g as usize];
            let previous = group.last_quantile.replace(q);
            if let Some(previous) = previous
                && q <= previous
            {
                let message = format!("quantiles must increase: {} after {}", show(q), show(previous));
                self.err(line, text, 0, Rule::BucketOrder, message);
            }
        }
        if kind.is_histogram() {
            self.histogram_sample(f, g, line, text, &raw, &suffix, bound);
        }

        let RawSample { name, labels, value, timestamp, exemplar, .. } = raw;
        self.families[f].samples.push(Sample { name, labels, value, timestamp, exemplar, created: None, line });
    }

    /// The checks on one sample that its family's type makes; returns its `le` or `quantile` bound.
    fn check_sample(&mut self, f: usize, line: usize, text: &str, raw: &RawSample, suffix: &str) -> Option<f64> {
        let family = &self.families[f];
        let (kind, base) = (family.kind, family.name.clone());
        let om = self.om();
        let value = raw.value;
        let mut bound = None;
        let is_bucket = kind.is_histogram() && suffix == "_bucket";
        let is_quantile = kind == FamilyType::Summary && suffix.is_empty();
        match kind {
            FamilyType::StateSet => {
                if raw.label(&base).is_none() {
                    let message = format!("stateset sample needs the label `{base}` naming its state");
                    self.err(line, text, 0, Rule::TypeLabel, message);
                }
                if value != 0.0 && value != 1.0 {
                    let message = format!("stateset values are 0 or 1, not {}", show(value));
                    self.err(line, text, raw.value_at, Rule::TypeValue, message);
                }
            }
            FamilyType::Info if value != 1.0 => {
                let message = format!("an info's value is always 1, not {}", show(value));
                self.err(line, text, raw.value_at, Rule::TypeValue, message);
            }
            _ => {}
        }
        if is_bucket || is_quantile {
            let label = if is_bucket { "le" } else { "quantile" };
            match raw.label(label) {
                None => {
                    let what = if is_bucket { "a histogram bucket" } else { "a summary quantile" };
                    self.err(line, text, 0, Rule::TypeLabel, format!("{what} needs the label `{label}`"));
                }
                Some((written, at)) => {
                    let parsed = if om { om_number(written) } else { go_float(written) };
                    match parsed {
                        Some(v) if !v.is_nan() && (is_bucket || (0.0..=1.0).contains(&v)) => {
                            bound = Some(v);
                            if om && v == f64::INFINITY && written != "+Inf" {
                                let message = format!("`le=\"{written}\"`: the last bucket is written `le=\"+Inf\"`");
                                self.err(line, text, at, Rule::TypeLabel, message);
                            } else if om && canonical_float(v) != written {
                                let message =
                                    format!("`{label}=\"{written}\"` is not canonical: write `{}`", canonical_float(v));
                                self.report.at(line, text, at, Rule::NonCanonicalNumber, Severity::Warning, message);
                            }
                        }
                        _ => {
                            let range = if is_bucket { "a number" } else { "a number from 0 to 1" };
                            let message = format!("`{label}=\"{written}\"` is not {range}");
                            self.err(line, text, at, Rule::TypeLabel, message);
                        }
                    }
                }
            }
        }
        let own = if kind.is_histogram() && !is_bucket {
            Some("le")
        } else if kind == FamilyType::Summary && !is_quantile {
            Some("quantile")
        } else {
            None
        };
        if let Some(own) = own
            && let Some((_, at)) = raw.label(own)
        {
            let message = format!("`{}` must not have the label `{own}`: {kind}s reserve it", raw.name);
            self.report.at(line, text, at, Rule::TypeLabel, self.severity(), message);
        }
        if is_quantile && om && value < 0.0 {
            let message = format!("quantile values cannot be negative: {}", show(value));
            self.err(line, text, raw.value_at, Rule::TypeValue, message);
        }

        // Counter-like values.
        let counter_like = match (om, kind) {
            (true, _) => matches!(suffix, "_total" | "_sum" | "_count" | "_bucket" | "_gcount" | "_gsum"),
            (false, FamilyType::Counter) => true,
            (false, FamilyType::Histogram | FamilyType::Summary) => matches!(suffix, "_bucket" | "_count"),
            (false, _) => false,
        };
        if counter_like {
            let problem = if value.is_nan() {
                Some("NaN")
            } else if value < 0.0 && suffix != "_gsum" {
                Some("negative")
            } else if om
                && matches!(suffix, "_bucket" | "_count" | "_gcount")
                && (value.fract() != 0.0 || value.is_infinite())
            {
                Some("not an integer")
            } else {
                None
            };
            if let Some(problem) = problem {
                let message = format!("`{}` is {problem} ({}): counts and counters are not", raw.name, show(value));
                self.report.at(line, text, raw.value_at, Rule::CounterValue, self.severity(), message);
            }
        }

        if raw.exemplar.is_some() {
            let allowed = (kind == FamilyType::Counter && suffix == "_total") || is_bucket;
            if !allowed {
                let message = format!(
                    "`{}` may not carry an exemplar: only counter `_total` and histogram `_bucket` samples do",
                    raw.name
                );
                self.err(line, text, raw.exemplar_at, Rule::Exemplar, message);
            }
        }
        bound
    }

    /// Timestamps within a group (OpenMetrics): all or none, and never going back.
    fn check_timestamps(&mut self, f: usize, g: u32, line: usize, text: &str, raw: &RawSample) {
        let group = &mut self.states[f].groups[g as usize];
        let previous = group.last_timestamp.replace(raw.timestamp);
        let Some(previous) = previous else { return };
        let message = match (previous, raw.timestamp) {
            (Some(_), None) | (None, Some(_)) => {
                "some samples of this series have a timestamp and others not: all or none".to_owned()
            }
            (Some(before), Some(now)) if now < before => {
                format!("timestamp {} goes back from {} within one series", show(now), show(before))
            }
            _ => return,
        };
        self.err(line, text, raw.value_at, Rule::TimestampOrder, message);
    }

    /// One `_bucket`, `_sum`, `_count` or `_created` of a histogram or gauge histogram.
    #[allow(clippy::too_many_arguments)]
    fn histogram_sample(
        &mut self,
        f: usize,
        g: u32,
        line: usize,
        text: &str,
        raw: &RawSample,
        suffix: &str,
        le: Option<f64>,
    ) {
        let stale = matches!(&self.states[f].groups[g as usize].point, Some(p) if p.timestamp != raw.timestamp);
        if stale {
            self.close_point(f, g);
        }
        let point = self.states[f].groups[g as usize].point.get_or_insert(Point {
            first_line: line,
            timestamp: raw.timestamp,
            last: None,
            inf: None,
            count: None,
            sum: None,
            negative_bucket: false,
            bad_bucket: false,
        });
        let mut problems = Vec::new();
        match suffix {
            "_bucket" => {
                let Some(le) = le else {
                    point.bad_bucket = true;
                    return;
                };
                let le_text = raw.label("le").map(|(t, _)| t.to_owned()).unwrap_or_default();
                if le < 0.0 {
                    point.negative_bucket = true;
                }
                if let Some(last) = &point.last {
                    if le <= last.le {
                        problems.push(format!(
                            "bucket bounds must increase: le=\"{le_text}\" comes after le=\"{}\" (line {})",
                            last.le_text, last.line
                        ));
                    }
                    if raw.value < last.value {
                        problems.push(format!(
                            "buckets are cumulative: {} for le=\"{le_text}\" is less than {} for le=\"{}\" (line {})",
                            show(raw.value),
                            show(last.value),
                            last.le_text,
                            last.line
                        ));
                    }
                }
                if le == f64::INFINITY {
                    point.inf = Some(raw.value);
                }
                point.last = Some(Bucket { le, le_text, value: raw.value, line });
            }
            "_count" | "_gcount" => point.count = Some((raw.value, line)),
            "_sum" | "_gsum" => point.sum = Some((raw.value, line)),
            _ => {}
        }
        for message in problems {
            self.err(line, text, 0, Rule::BucketOrder, message);
        }
    }

    /// OpenMetrics: the current group of `f` ends; its histogram point is judged.
    fn leave_group(&mut self, f: usize) {
        if let Some(g) = self.states[f].current_group {
            self.close_point(f, g);
        }
    }

    /// Judges the histogram point of group `g` of family `f` as complete.
    fn close_point(&mut self, f: usize, g: u32) {
        let state = &mut self.states[f];
        let group = &mut state.groups[g as usize];
        let Some(point) = group.point.take() else { return };
        if state.broken || group.split || point.bad_bucket {
            return;
        }
        let rep = group.rep;
        let family = &self.families[f];
        let (kind, base) = (family.kind, family.name.clone());
        let series = self.group_text(f, rep);
        let mut problems: Vec<(usize, Rule, String)> = Vec::new();
        match point.inf {
            None => problems.push((
                point.first_line,
                Rule::MissingInfBucket,
                format!("{kind} `{series}` has no `le=\"+Inf\"` bucket"),
            )),
            Some(inf) => {
                if let Some((count, line)) = point.count
                    && count != inf
                    && !(count.is_nan() && inf.is_nan())
                {
                    let suffix = if kind == FamilyType::GaugeHistogram { "_gcount" } else { "_count" };
                    problems.push((
                        line,
                        Rule::InfCountMismatch,
                        format!(
                            "`{base}{suffix}` of `{series}` is {} but its `+Inf` bucket is {}: they must be equal",
                            show(count),
                            show(inf)
                        ),
                    ));
                }
            }
        }
        let (sum, count) = if kind == FamilyType::GaugeHistogram { ("_gsum", "_gcount") } else { ("_sum", "_count") };
        match (self.format, point.sum, point.count) {
            (Format::OpenMetrics, Some((_, line)), None) => problems.push((
                line,
                Rule::HistogramParts,
                format!("`{base}{sum}` without `{base}{count}` in `{series}`"),
            )),
            (Format::OpenMetrics, None, Some((_, line))) => problems.push((
                line,
                Rule::HistogramParts,
                format!("`{base}{count}` without `{base}{sum}` in `{series}`"),
            )),
            (Format::Text, sum_seen, count_seen) => {
                for (seen, name) in [(sum_seen, "_sum"), (count_seen, "_count")] {
                    if seen.is_none() {
                        let message = format!("histogram `{series}` has no `{base}{name}`");
                        problems.push((point.first_line, Rule::HistogramParts, message));
                    }
                }
            }
            _ => {}
        }
        if self.format == Format::OpenMetrics
            && let Some((value, line)) = point.sum
        {
            if kind == FamilyType::Histogram && point.negative_bucket {
                let message = format!("`{base}_sum` is not allowed in `{series}`: a bucket bound is negative");
                problems.push((line, Rule::HistogramParts, message));
            }
            if kind == FamilyType::GaugeHistogram && !point.negative_bucket && value < 0.0 {
                let message = format!("`{base}_gsum` of `{series}` is negative but no bucket bound is");
                problems.push((line, Rule::HistogramParts, message));
            }
        }
        for (line, rule, message) in problems {
            self.report.line(line, rule, Severity::Error, message);
        }
    }

    /// The series text naming the group of sample `rep` of family `f`.
    fn group_text(&self, f: usize, rep: u32) -> String {
        let family = &self.families[f];
        let sample = &family.samples.get(rep as usize);
        let Some(sample) = sample else { return family.name.clone() };
        let skip = group_skip(family.kind, &family.name);
        let labels =
            sample.labels.iter().filter(|(n, _)| Some(n.as_str()) != skip).map(|(n, v)| (n.as_str(), v.as_str()));
        series_text(&family.name, labels)
    }

    fn finish_family(&mut self, f: usize) {
        for g in 0..self.states[f].groups.len() {
            self.close_point(f, g as u32);
        }
        let family = &self.families[f];
        let state = &self.states[f];
        let mut problems: Vec<(usize, Rule, Severity, String)> = Vec::new();
        if self.om()
            && let Some(unit) = &family.unit
        {
            let line = state.unit_line.unwrap_or(family.first_line);
            // A unit with a character a name cannot hold was reported on its `# UNIT` line already.
            let valid = unit.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':');
            if valid && !family.name.strip_suffix(unit.as_str()).is_some_and(|rest| rest.ends_with('_')) {
                let message = format!("family `{}` has unit `{unit}`, so its name must end in `_{unit}`", family.name);
                problems.push((line, Rule::Unit, Severity::Error, message));
            }
            if matches!(family.kind, FamilyType::Info | FamilyType::StateSet) {
                let message = format!("{} `{}` may not have a unit", family.kind, family.name);
                problems.push((line, Rule::Unit, Severity::Error, message));
            }
        }
        if !self.om() && family.kind == FamilyType::Counter && !family.name.ends_with("_total") {
            let line = state.type_line.unwrap_or(family.first_line);
            let message = format!("counter `{}` should be named `{}_total`", family.name, family.name);
            problems.push((line, Rule::Suffix, Severity::Warning, message));
        }
        for (line, rule, severity, message) in problems {
            self.report.line(line, rule, severity, message);
        }
    }
}

/// The label a sample's group leaves out: `le` of histograms, `quantile` of summaries, a stateset's state
/// label.
///
/// A histogram's `_sum` or `_count` that carries `le` (or a summary's that carries `quantile`) is reported
/// for it; leaving the label out of its group too keeps that one mistake from also splitting the metric
/// point and being reported again as a missing bucket, sum or count.
fn group_skip(kind: FamilyType, base: &str) -> Option<&str> {
    match kind {
        FamilyType::Histogram | FamilyType::GaugeHistogram => Some("le"),
        FamilyType::Summary => Some("quantile"),
        FamilyType::StateSet => Some(base),
        _ => None,
    }
}

/// Whether two label sets, each less one label, are equal in any order.
fn same_labels(a: &[(String, String)], skip_a: Option<&str>, b: &[(String, String)], skip_b: Option<&str>) -> bool {
    fn kept<'a>(labels: &'a [(String, String)], skip: Option<&'a str>) -> impl Iterator<Item = (&'a str, &'a str)> {
        labels.iter().filter(move |(n, _)| Some(n.as_str()) != skip).map(|(n, v)| (n.as_str(), v.as_str()))
    }
    same_label_sets(kept(a, skip_a), kept(b, skip_b))
}

/// Whether `text` is a HELP line, whose text may end in a raw `\r`.
fn is_help_line(text: &str, format: Format) -> bool {
    match format {
        Format::OpenMetrics => text.starts_with("# HELP "),
        Format::Text | Format::Protobuf => {
            let rest = text.trim_start_matches([' ', '\t']);
            rest.strip_prefix('#')
                .map(|r| r.trim_start_matches([' ', '\t']))
                .is_some_and(|r| r.starts_with("HELP ") || r.starts_with("HELP\t"))
        }
    }
}

/// A value as the formats write it.
pub(crate) fn show(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        ryu::Buffer::new().format_finite(v).to_owned()
    }
}
