//! One line at a time: what kind of line it is, and its parts, checked against the format's grammar.
//!
//! OpenMetrics is read by its ABNF: exactly one space between tokens, no blank or comment lines. The text
//! format 0.0.4 is read the way its specification and Prometheus' own parser read it: blanks and tabs
//! between tokens, comments, a trailing comma in label braces; what the specification allows but no
//! encoder of ours writes is reported as a warning. The number grammars are `number.rs`.
//!
//! With UTF-8 names on (the text format 1.0.0 and OpenMetrics as Prometheus 3 reads them with
//! `escaping=allow-utf-8`), a metric or label name may also be a quoted string, escaped like a label value,
//! and a sample's metric name may be the first quoted string inside its braces: `{"a.b",c="d"} 1`.
//!
//! Over 500 lines for one reason: the `Lexer` is one cursor over one line, and its token readers (names,
//! labels, escapes, values, timestamps, exemplars) advance it and report into the same `Report`.

use std::borrow::Cow;

use smallvec::SmallVec;

use promstruct::Format;

use crate::model::Exemplar;
use crate::number::{go_float, om_number, om_timestamp};
use crate::violation::{Report, Rule, Severity};

/// What `# HELP`, `# TYPE` or `# UNIT` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Meta {
    Help,
    Type,
    Unit,
}

impl Meta {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Meta::Help => "# HELP",
            Meta::Type => "# TYPE",
            Meta::Unit => "# UNIT",
        }
    }
}

/// A sample line, its values parsed and its label values unescaped.
#[derive(Debug)]
pub(crate) struct RawSample {
    pub(crate) name: String,
    pub(crate) labels: Vec<(String, String)>,
    /// Byte offset of each label's name, for reports.
    pub(crate) label_at: SmallVec<[u32; 4]>,
    pub(crate) value: f64,
    pub(crate) value_at: usize,
    pub(crate) timestamp: Option<f64>,
    pub(crate) exemplar: Option<Exemplar>,
    pub(crate) exemplar_at: usize,
}

impl RawSample {
    /// The value of label `name` and where it is on the line.
    pub(crate) fn label(&self, name: &str) -> Option<(&str, usize)> {
        self.labels
            .iter()
            .zip(&self.label_at)
            .find(|((n, _), _)| n == name)
            .map(|((_, v), at)| (v.as_str(), *at as usize))
    }
}

/// Label pairs and the byte offset of each name.
type Labels = (Vec<(String, String)>, SmallVec<[u32; 4]>);

/// What a line is.
#[derive(Debug)]
pub(crate) enum Line<'a> {
    /// Empty (or, in 0.0.4, only blanks).
    Blank,
    /// A comment the format ignores (0.0.4 only).
    Comment,
    /// `# EOF` (OpenMetrics only).
    Eof,
    /// `# HELP`, `# TYPE` or `# UNIT` with its name (unquoted) and the raw rest of the line.
    Metadata { meta: Meta, name: Cow<'a, str>, name_at: usize, payload: &'a str, payload_at: usize },
    /// A sample.
    Sample(RawSample),
    /// A line that breaks the grammar (reported); its metric name if one could be read.
    Invalid { name: Option<Cow<'a, str>> },
}

/// Reads one line (without its `\n`), reporting what breaks the grammar.
pub(crate) struct Lexer<'r, 'a> {
    report: &'r mut Report,
    format: Format,
    line: usize,
    text: &'a str,
    b: &'a [u8],
    /// Whether names may be quoted UTF-8 strings.
    utf8: bool,
}

impl<'r, 'a> Lexer<'r, 'a> {
    pub(crate) fn new(report: &'r mut Report, format: Format, line: usize, text: &'a str) -> Self {
        Lexer { report, format, line, text, b: text.as_bytes(), utf8: false }
    }

    /// This lexer with quoted UTF-8 names allowed, or not.
    pub(crate) fn utf8_names(mut self, on: bool) -> Self {
        self.utf8 = on;
        self
    }

    /// A metric name at `i`: a quoted one when UTF-8 names are on and `i` holds a `"`, else
    /// [`Lexer::metric_name`]'s; with where it ends.
    fn name_token(&mut self, i: usize, context: &str) -> Option<(Cow<'a, str>, usize)> {
        if self.utf8 && self.b.get(i) == Some(&b'"') {
            return self.quoted_name(i, "metric");
        }
        let end = self.metric_name(i, context)?;
        Some((Cow::Borrowed(&self.text[i..end]), end))
    }

    /// The quoted name at `i` (a `"`), unescaped, and the offset after it; `None` (reported) when it is
    /// not closed or is empty.
    fn quoted_name(&mut self, i: usize, what: &str) -> Option<(Cow<'a, str>, usize)> {
        let Some((name, end)) = self.quoted(i) else {
            self.err(i, Rule::LabelSyntax, format!("the quoted {what} name has no closing quote"));
            return None;
        };
        if name.is_empty() {
            self.err(
                i,
                if what == "metric" { Rule::MetricName } else { Rule::LabelName },
                format!("empty {what} name"),
            );
            return None;
        }
        // Borrow the text when the name held no escape.
        let name = if end - i - 2 == name.len() { Cow::Borrowed(&self.text[i + 1..end - 1]) } else { Cow::Owned(name) };
        Some((name, end))
    }

    fn om(&self) -> bool {
        self.format == Format::OpenMetrics
    }

    fn err(&mut self, at: usize, rule: Rule, message: String) {
        self.report.at(self.line, self.text, at, rule, Severity::Error, message);
    }

    fn warn(&mut self, at: usize, rule: Rule, message: String) {
        self.report.at(self.line, self.text, at, rule, Severity::Warning, message);
    }

    /// An error in OpenMetrics, a warning in 0.0.4.
    fn om_err(&mut self, at: usize, rule: Rule, message: String) {
        let severity = if self.om() { Severity::Error } else { Severity::Warning };
        self.report.at(self.line, self.text, at, rule, severity, message);
    }

    /// An error in 0.0.4, whose parser refuses unknown escapes; a warning in OpenMetrics, whose reference
    /// parser reads them as written.
    fn escape(&mut self, at: usize, message: String) {
        let severity = if self.om() { Severity::Warning } else { Severity::Error };
        self.report.at(self.line, self.text, at, Rule::Escape, severity, message);
    }

    /// The character at byte `at`, for messages.
    fn char_at(&self, at: usize) -> String {
        self.text[at..].chars().next().map(|c| format!("{c:?}")).unwrap_or_else(|| "the end of the line".into())
    }

    fn is_sep(&self, c: u8) -> bool {
        c == b' ' || (!self.om() && c == b'\t')
    }

    /// Skips blanks and tabs (0.0.4), warning when the run is not one space.
    fn skip_blanks(&mut self, mut i: usize, what: &str) -> usize {
        let start = i;
        while i < self.b.len() && (self.b[i] == b' ' || self.b[i] == b'\t') {
            i += 1;
        }
        if i > start && (i - start > 1 || self.b[start] != b' ') {
            self.warn(start, Rule::Whitespace, format!("{what}: use one space, not {:?}", &self.text[start..i]));
        }
        i
    }

    /// Skips blanks and tabs inside label braces (0.0.4 only), warning that there are some.
    fn skip_label_blanks(&mut self, mut i: usize) -> usize {
        if self.om() {
            return i;
        }
        let start = i;
        while i < self.b.len() && (self.b[i] == b' ' || self.b[i] == b'\t') {
            i += 1;
        }
        if i > start {
            self.warn(start, Rule::Whitespace, "blanks inside label braces".into());
        }
        i
    }

    /// The end of the token starting at `i`: the next separator or the end of the line.
    fn token_end(&self, mut i: usize) -> usize {
        while i < self.b.len() && !self.is_sep(self.b[i]) {
            i += 1;
        }
        i
    }

    pub(crate) fn lex(mut self) -> Line<'a> {
        if self.om() {
            if self.b.is_empty() {
                self.err(0, Rule::BlankLine, "blank line: OpenMetrics has no empty lines".into());
                return Line::Blank;
            }
            if self.b[0] == b'#' {
                return self.om_comment();
            }
            return self.sample(0);
        }
        let start = self.skip_blanks_silently(0);
        if start == self.b.len() {
            self.warn(0, Rule::BlankLine, "blank line".into());
            return Line::Blank;
        }
        if start > 0 {
            self.warn(0, Rule::Whitespace, "leading whitespace".into());
        }
        if self.b[start] == b'#' {
            return self.text_comment(start);
        }
        self.sample(start)
    }

    fn skip_blanks_silently(&self, mut i: usize) -> usize {
        while i < self.b.len() && (self.b[i] == b' ' || self.b[i] == b'\t') {
            i += 1;
        }
        i
    }

    /// The metric name starting at `i` and where it ends; `None` (reported) unless there is a valid one.
    fn metric_name(&mut self, i: usize, context: &str) -> Option<usize> {
        let end = scan(self.b, i, is_metric_name_byte);
        if end == i && self.om() && i == 0 && self.b.first() == Some(&b' ') {
            self.err(0, Rule::Whitespace, "leading space: an OpenMetrics line starts with a metric name or `#`".into());
            return None;
        }
        if end == i {
            let found = self.char_at(i);
            let message = if self.b.get(i) == Some(&b'"') || self.b.get(i) == Some(&b'{') {
                format!("expected a metric name {context}, found {found}: quoted UTF-8 names are not in this format")
            } else {
                format!("expected a metric name {context}, found {found}")
            };
            self.err(i, Rule::MetricName, message);
            return None;
        }
        let name = &self.text[i..end];
        if name.as_bytes()[0].is_ascii_digit() {
            self.err(i, Rule::MetricName, format!("metric name `{name}` starts with a digit"));
            return None;
        }
        if name.starts_with("__") {
            self.warn(i, Rule::MetricName, format!("metric name `{name}`: names starting with `__` are reserved"));
        }
        Some(end)
    }

    fn om_comment(&mut self) -> Line<'a> {
        if self.text == "# EOF" {
            return Line::Eof;
        }
        for meta in [Meta::Type, Meta::Help, Meta::Unit] {
            let keyword = meta.keyword();
            let Some(rest) = self.text.strip_prefix(keyword) else { continue };
            if !rest.is_empty() && !rest.starts_with(' ') {
                break;
            }
            if rest.len() <= 1 {
                let needs = if meta == Meta::Help { "a metric name and its text" } else { "a metric name" };
                self.err(0, Rule::Metadata, format!("`{keyword}` needs {needs}"));
                return Line::Invalid { name: None };
            }
            return self.metadata_rest(meta, keyword.len() + 1);
        }
        self.err(
            0,
            Rule::Comment,
            "OpenMetrics has no comments other than `# TYPE`, `# UNIT`, `# HELP` and a final `# EOF`".into(),
        );
        Line::Invalid { name: None }
    }

    /// `name text` after `# HELP ` (OpenMetrics) from byte `at`.
    fn metadata_rest(&mut self, meta: Meta, at: usize) -> Line<'a> {
        let keyword = meta.keyword();
        let Some((name, end)) = self.name_token(at, &format!("after `{keyword}`")) else {
            return Line::Invalid { name: None };
        };
        match self.b.get(end) {
            Some(b' ') => {}
            None => {
                let what = match meta {
                    Meta::Help => "its text (which may be empty)",
                    Meta::Type => "its type",
                    Meta::Unit => "its unit (which may be empty)",
                };
                self.err(end, Rule::Metadata, format!("`{keyword} {name}` needs a space and {what} after the name"));
                return Line::Invalid { name: Some(name) };
            }
            Some(_) => {
                let found = self.char_at(end);
                self.err(end, Rule::MetricName, format!("invalid character {found} in metric name `{name}`"));
                return Line::Invalid { name: None };
            }
        }
        Line::Metadata { meta, name, name_at: at, payload: &self.text[end + 1..], payload_at: end + 1 }
    }

    fn text_comment(&mut self, hash: usize) -> Line<'a> {
        let start = self.skip_blanks_silently(hash + 1);
        if start == self.b.len() {
            return Line::Comment;
        }
        let end = self.token_end(start);
        let keyword = &self.text[start..end];
        let meta = match keyword {
            "HELP" => Meta::Help,
            "TYPE" => Meta::Type,
            "UNIT" | "EOF" => {
                self.warn(
                    hash,
                    Rule::WrongFormat,
                    format!("`# {keyword}` is OpenMetrics only; the text format 0.0.4 reads it as a comment"),
                );
                return Line::Comment;
            }
            _ => return Line::Comment,
        };
        if start != hash + 2 || self.b[hash + 1] != b' ' {
            self.warn(hash + 1, Rule::Whitespace, format!("write `# {keyword}` with one space after `#`"));
        }
        if end == self.b.len() {
            self.err(end, Rule::Metadata, format!("`# {keyword}` needs a metric name"));
            return Line::Invalid { name: None };
        }
        let name_at = self.skip_blanks(end, &format!("after `# {keyword}`"));
        let Some((name, name_end)) = self.name_token(name_at, &format!("after `# {keyword}`")) else {
            return Line::Invalid { name: None };
        };
        if name_end == self.b.len() {
            if meta == Meta::Help {
                return Line::Metadata { meta, name, name_at, payload: "", payload_at: name_end };
            }
            self.err(name_end, Rule::Metadata, format!("`# TYPE {name}` needs a type after the name"));
            return Line::Invalid { name: Some(name) };
        }
        if !self.is_sep(self.b[name_end]) {
            let found = self.char_at(name_end);
            self.err(name_end, Rule::MetricName, format!("invalid character {found} in metric name `{name}`"));
            return Line::Invalid { name: None };
        }
        let payload_at = if meta == Meta::Help {
            // The text starts after one blank: Prometheus keeps any further blanks as part of it (and an
            // encoder must write them so for a text that starts with a blank); promtool's parser drops
            // them. Readers disagree, so it is flagged.
            let blanks = self.skip_blanks_silently(name_end);
            if blanks - name_end > 1 || self.b[name_end] != b' ' {
                let found = &self.text[name_end..blanks];
                self.warn(
                    name_end,
                    Rule::Whitespace,
                    format!("HELP text after {found:?}: the text is what follows the first blank, the others included"),
                );
            }
            name_end + 1
        } else {
            self.skip_blanks(name_end, &format!("after the name in `# {keyword}`"))
        };
        Line::Metadata { meta, name, name_at, payload: &self.text[payload_at..], payload_at }
    }

    fn sample(&mut self, start: usize) -> Line<'a> {
        if self.utf8 && self.b.get(start) == Some(&b'{') {
            return self.braced_sample(start);
        }
        let Some(name_end) = self.metric_name(start, "at the start of a sample line") else {
            return Line::Invalid { name: None };
        };
        let name = Cow::Borrowed(&self.text[start..name_end]);
        let invalid = Line::Invalid { name: Some(name.clone()) };
        let mut i = name_end;
        let (labels, label_at) = match self.b.get(i) {
            Some(b'{') => match self.labels(&mut i, false) {
                Some((labels, None)) => labels,
                _ => return invalid,
            },
            Some(&c) if self.is_sep(c) => (Vec::new(), SmallVec::new()),
            None => {
                self.err(i, Rule::Value, format!("sample `{name}` has no value"));
                return invalid;
            }
            Some(_) => {
                let found = self.char_at(i);
                self.err(i, Rule::MetricName, format!("invalid character {found} in metric name `{name}`"));
                return invalid;
            }
        };

        self.sample_value(i, name, labels, label_at)
    }

    /// A sample whose metric name is the first, quoted, string inside its braces: `{"a.b",c="d"} 1`.
    fn braced_sample(&mut self, start: usize) -> Line<'a> {
        let mut i = start;
        let Some(((labels, label_at), name)) = self.labels(&mut i, true) else {
            return Line::Invalid { name: None };
        };
        let Some(name) = name else {
            self.err(start, Rule::MetricName, "a sample line needs a metric name, before or inside its braces".into());
            return Line::Invalid { name: None };
        };
        self.sample_value(i, Cow::Owned(name), labels, label_at)
    }

    /// The rest of a sample line from `i`, after its name and labels: the value and what follows it.
    fn sample_value(
        &mut self,
        mut i: usize,
        name: Cow<'a, str>,
        labels: Vec<(String, String)>,
        label_at: SmallVec<[u32; 4]>,
    ) -> Line<'a> {
        let invalid = Line::Invalid { name: Some(name.clone()) };
        // The value, after one space.
        let sep = i;
        if self.om() {
            while i < self.b.len() && self.b[i] == b' ' {
                i += 1;
            }
            if i - sep > 1 {
                self.err(sep, Rule::Whitespace, "more than one space before the value".into());
            }
        } else {
            i = self.skip_blanks(i, "before the value");
        }
        if i == sep {
            let found = self.char_at(i);
            self.err(i, Rule::Syntax, format!("expected a space before the value, found {found}"));
            return invalid;
        }
        if i == self.b.len() {
            self.err(i, Rule::Value, format!("sample `{name}` has no value"));
            return invalid;
        }
        let value_at = i;
        let value_end = self.token_end(i);
        let value_text = &self.text[value_at..value_end];
        let parsed = if self.om() { om_number(value_text) } else { go_float(value_text) };
        let Some(value) = parsed else {
            let syntax = if self.om() { "an OpenMetrics number" } else { "a Go float" };
            self.err(value_at, Rule::Value, format!("value `{value_text}` is not {syntax}"));
            return invalid;
        };
        let sample = RawSample {
            name: name.clone().into_owned(),
            labels,
            label_at,
            value,
            value_at,
            timestamp: None,
            exemplar: None,
            exemplar_at: 0,
        };
        i = value_end;
        if i == self.b.len() {
            return Line::Sample(sample);
        }
        if self.om() { self.om_tail(i, sample, name) } else { self.text_tail(i, sample, name) }
    }

    /// What follows an OpenMetrics value at `i` (a space): a timestamp, an exemplar, both.
    fn om_tail(&mut self, mut i: usize, mut sample: RawSample, name: Cow<'a, str>) -> Line<'a> {
        i += 1;
        if i == self.b.len() {
            self.err(i - 1, Rule::Whitespace, "trailing space after the value".into());
            return Line::Sample(sample);
        }
        if self.b[i] != b'#' {
            let end = self.token_end(i);
            if end == i {
                self.err(i, Rule::Whitespace, "more than one space after the value".into());
                return Line::Invalid { name: Some(name) };
            }
            let ts = &self.text[i..end];
            let Some(timestamp) = om_timestamp(ts) else {
                self.err(i, Rule::Timestamp, format!("timestamp `{ts}` is not a number of seconds"));
                return Line::Invalid { name: Some(name) };
            };
            sample.timestamp = Some(timestamp);
            i = end;
            if i == self.b.len() {
                return Line::Sample(sample);
            }
            i += 1;
            if i == self.b.len() {
                self.err(i - 1, Rule::Whitespace, "trailing space after the timestamp".into());
                return Line::Sample(sample);
            }
            if self.b[i] != b'#' {
                let rest = &self.text[i..];
                self.err(i, Rule::Syntax, format!("unexpected `{rest}` after the timestamp"));
                return Line::Invalid { name: Some(name) };
            }
        }
        match self.exemplar(i) {
            Some(exemplar) => {
                sample.exemplar = Some(exemplar);
                sample.exemplar_at = i;
                Line::Sample(sample)
            }
            None => Line::Invalid { name: Some(name) },
        }
    }

    /// `# {labels} value [timestamp]` from `i` (at the `#`) to the end of the line.
    fn exemplar(&mut self, mut i: usize) -> Option<Exemplar> {
        let shape = "an exemplar is ` # {labels} value [timestamp]`";
        if !self.text[i..].starts_with("# {") {
            self.err(i, Rule::Exemplar, shape.into());
            return None;
        }
        let at = i;
        i += 2;
        let ((labels, _), _) = self.labels(&mut i, false)?;
        if self.b.get(i) != Some(&b' ') {
            self.err(i, Rule::Exemplar, format!("{shape}: expected a space after the labels"));
            return None;
        }
        i += 1;
        let end = self.token_end(i);
        let value_text = &self.text[i..end];
        let Some(value) = om_number(value_text) else {
            self.err(i, Rule::Exemplar, format!("exemplar value `{value_text}` is not an OpenMetrics number"));
            return None;
        };
        let mut timestamp = None;
        if end < self.b.len() {
            let ts = &self.text[end + 1..];
            if ts.is_empty() {
                self.err(end, Rule::Whitespace, "trailing space after the exemplar value".into());
            } else if let Some(t) = om_timestamp(ts) {
                timestamp = Some(t);
            } else {
                self.err(end + 1, Rule::Exemplar, format!("exemplar timestamp `{ts}` is not a number of seconds"));
                return None;
            }
        }
        let length: usize = labels.iter().map(|(n, v)| n.chars().count() + v.chars().count()).sum();
        if length > 128 {
            self.err(
                at,
                Rule::Exemplar,
                format!("exemplar labels hold {length} characters; names and values together may hold 128"),
            );
        }
        Some(Exemplar { labels, value, timestamp })
    }

    /// What follows a 0.0.4 value at `i` (a blank): a timestamp in milliseconds.
    fn text_tail(&mut self, i: usize, mut sample: RawSample, name: Cow<'a, str>) -> Line<'a> {
        let at = self.skip_blanks(i, "before the timestamp");
        if at == self.b.len() {
            self.err(i, Rule::Whitespace, "trailing whitespace after the value".into());
            return Line::Sample(sample);
        }
        if self.b[at] == b'#' {
            self.err(at, Rule::WrongFormat, "exemplars are OpenMetrics only".into());
            return Line::Sample(sample);
        }
        let end = self.token_end(at);
        let ts = &self.text[at..end];
        match ts.parse::<i64>() {
            Ok(ms) => sample.timestamp = Some(ms as f64),
            Err(_) => {
                self.err(at, Rule::Timestamp, format!("timestamp `{ts}` is not an integer number of milliseconds"));
                return Line::Invalid { name: Some(name) };
            }
        }
        if end < self.b.len() {
            let rest = self.skip_blanks_silently(end);
            if rest == self.b.len() {
                self.err(end, Rule::Whitespace, "trailing whitespace after the timestamp".into());
            } else {
                let text = &self.text[rest..];
                self.err(rest, Rule::Syntax, format!("unexpected `{text}` after the timestamp"));
                return Line::Invalid { name: Some(name) };
            }
        }
        Line::Sample(sample)
    }

    /// `{name="value",...}` from `*i` (at the `{`); leaves `*i` after the `}`. With `metric_name`, the first
    /// element may be a quoted metric name, returned beside the labels.
    fn labels(&mut self, i: &mut usize, metric_name: bool) -> Option<(Labels, Option<String>)> {
        let mut labels: Vec<(String, String)> = Vec::new();
        let mut at: SmallVec<[u32; 4]> = SmallVec::new();
        let mut ok = true;
        let mut after_comma = false;
        let mut seen: Option<foldhash::HashSet<Cow<'a, str>>> = None;
        let mut inner_name = None;
        let mut j = *i + 1;
        if metric_name && self.b.get(j) == Some(&b'"') {
            let (name, end) = self.quoted_name(j, "metric")?;
            inner_name = Some(name.into_owned());
            j = self.skip_label_blanks(end);
            match self.b.get(j) {
                Some(b',') => j += 1,
                Some(b'}') => {
                    *i = j + 1;
                    return Some(((labels, at), inner_name));
                }
                _ => {
                    let found = self.char_at(j);
                    self.err(
                        j,
                        Rule::LabelSyntax,
                        format!("expected `,` or `}}` after the quoted metric name, found {found}"),
                    );
                    return None;
                }
            }
        }
        loop {
            j = self.skip_label_blanks(j);
            match self.b.get(j) {
                None => {
                    self.err(j, Rule::LabelSyntax, "missing `}` at the end of the labels".into());
                    return None;
                }
                Some(b'}') => {
                    if after_comma && self.om() {
                        self.err(j - 1, Rule::LabelSyntax, "a comma before `}`".into());
                        ok = false;
                    }
                    j += 1;
                    break;
                }
                Some(_) => {}
            }
            let name_at = j;
            let (name, name_end) = if self.utf8 && self.b[j] == b'"' {
                let (name, end) = self.quoted_name(j, "label")?;
                if name.starts_with("__") {
                    self.check_label_name(name_at, &name);
                }
                (name, end)
            } else {
                let name_end = scan(self.b, j, is_label_name_byte);
                if name_end == j {
                    let found = self.char_at(j);
                    let message = if self.b[j] == b'"' {
                        format!("expected a label name, found {found}: quoted label names are not in this format")
                    } else {
                        format!("expected a label name, found {found}")
                    };
                    self.err(j, Rule::LabelSyntax, message);
                    return None;
                }
                let name = &self.text[name_at..name_end];
                self.check_label_name(name_at, name);
                (Cow::Borrowed(name), name_end)
            };
            j = self.skip_label_blanks(name_end);
            if self.b.get(j) != Some(&b'=') && metric_name && self.b[name_at] == b'"' {
                let message = format!("quoted name `{name}` without a value: a sample's metric name comes first");
                self.err(name_at, Rule::MetricName, message);
                return None;
            }
            if self.b.get(j) != Some(&b'=') {
                let found = self.char_at(j);
                self.err(j, Rule::LabelSyntax, format!("expected `=` after label name `{name}`, found {found}"));
                return None;
            }
            j = self.skip_label_blanks(j + 1);
            if self.b.get(j) != Some(&b'"') {
                let found = self.char_at(j);
                self.err(
                    j,
                    Rule::LabelSyntax,
                    format!("the value of label `{name}` must be in double quotes, found {found}"),
                );
                return None;
            }
            let Some((value, end)) = self.quoted(j) else {
                self.err(j, Rule::LabelSyntax, format!("the value of label `{name}` has no closing quote"));
                return None;
            };
            let repeated = if labels.len() < 8 {
                labels.iter().any(|(n, _)| *n == name)
            } else {
                // Past a few labels a set keeps a line with thousands of them linear.
                let seen = seen.get_or_insert_with(|| labels.iter().map(|(n, _)| Cow::Owned(n.clone())).collect());
                !seen.insert(name.clone())
            };
            if repeated {
                self.err(name_at, Rule::DuplicateLabel, format!("label `{name}` appears twice"));
                ok = false;
            }
            labels.push((name.to_string(), value));
            at.push(name_at as u32);
            j = self.skip_label_blanks(end);
            match self.b.get(j) {
                Some(b',') => {
                    j += 1;
                    after_comma = true;
                }
                Some(b'}') => {
                    j += 1;
                    break;
                }
                None => {
                    self.err(j, Rule::LabelSyntax, "missing `}` at the end of the labels".into());
                    return None;
                }
                Some(_) => {
                    let found = self.char_at(j);
                    self.err(
                        j,
                        Rule::LabelSyntax,
                        format!("expected `,` or `}}` after the value of `{name}`, found {found}"),
                    );
                    return None;
                }
            }
        }
        *i = j;
        ok.then_some(((labels, at), inner_name))
    }

    fn check_label_name(&mut self, at: usize, name: &str) {
        if name.as_bytes()[0].is_ascii_digit() {
            self.err(at, Rule::LabelName, format!("label name `{name}` starts with a digit"));
        } else if name == "__name__" {
            self.err(at, Rule::LabelName, "label name `__name__` is reserved for the metric name".into());
        } else if name.starts_with("__") {
            self.om_err(at, Rule::LabelName, format!("label name `{name}`: names starting with `__` are reserved"));
        }
    }

    /// The unescaped text of the quoted string starting at `start` (the opening quote) and the offset after
    /// its closing quote; `None` when it is not closed on this line.
    fn quoted(&mut self, start: usize) -> Option<(String, usize)> {
        let mut out = String::new();
        let mut run = start + 1;
        let mut j = run;
        while j < self.b.len() {
            match self.b[j] {
                b'"' => {
                    out.push_str(&self.text[run..j]);
                    return Some((out, j + 1));
                }
                b'\\' => {
                    out.push_str(&self.text[run..j]);
                    match self.b.get(j + 1)? {
                        b'\\' => out.push('\\'),
                        b'"' => out.push('"'),
                        b'n' => out.push('\n'),
                        _ => {
                            let found = self.text[j + 1..].chars().next().unwrap_or(' ');
                            let message = format!(
                                "unknown escape `\\{}` in a label value: only `\\\\`, `\\\"` and `\\n` are escapes{}",
                                found.escape_debug(),
                                if self.om() { "; read as written" } else { "" }
                            );
                            self.escape(j, message);
                            out.push('\\');
                            run = j + 1;
                            j += 1;
                            continue;
                        }
                    }
                    j += 2;
                    run = j;
                }
                _ => j += 1,
            }
        }
        None
    }

    /// Unescapes HELP text at `at` on this line: `\\` and `\n` (and `\"` in OpenMetrics), reporting others.
    pub(crate) fn help_text(&mut self, text: &str, at: usize) -> String {
        let b = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut run = 0;
        let mut j = 0;
        while j < b.len() {
            if b[j] != b'\\' {
                j += 1;
                continue;
            }
            out.push_str(&text[run..j]);
            match b.get(j + 1) {
                Some(b'\\') => out.push('\\'),
                Some(b'n') => out.push('\n'),
                Some(b'"') if self.om() => out.push('"'),
                Some(b'"') => {
                    self.err(
                        at + j,
                        Rule::Escape,
                        "`\\\"` is not an escape in 0.0.4 HELP text (promtool refuses it): write a plain `\"`".into(),
                    );
                    out.push('"');
                }
                Some(_) => {
                    let found = text[j + 1..].chars().next().unwrap_or(' ');
                    let escapes = if self.om() { "`\\\\`, `\\\"` and `\\n`" } else { "`\\\\` and `\\n`" };
                    let message = format!(
                        "unknown escape `\\{}` in HELP text: only {escapes} are escapes{}",
                        found.escape_debug(),
                        if self.om() { "; read as written" } else { "" }
                    );
                    self.escape(at + j, message);
                    out.push('\\');
                    run = j + 1;
                    j += 1;
                    continue;
                }
                None => {
                    self.escape(at + j, "HELP text ends in a lone backslash: write `\\\\`".into());
                    out.push('\\');
                    run = j + 1;
                    break;
                }
            }
            j += 2;
            run = j;
        }
        out.push_str(&text[run.min(text.len())..]);
        out
    }
}

/// The end of the run of bytes from `i` that `accept` takes.
pub(crate) fn scan(b: &[u8], mut i: usize, accept: fn(u8) -> bool) -> usize {
    while i < b.len() && accept(b[i]) {
        i += 1;
    }
    i
}

fn is_metric_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b':'
}

fn is_label_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}
