use std::sync::{Arc, OnceLock, RwLock};

use promstruct_naming::RuleError;

use super::Metric;
use crate::MetricType;
use crate::encoding::{EncodeLabels, FamilyEncoder, LabelWriter};

/// Constant facts about the target, exposed as labels of a sample that is always 1: a build's version
/// and commit, a model's name.
///
/// Exposed as `<name>_info{...} 1` (a gauge in the text format). Setting replaces every label at once; a
/// scrape sees the old set or the new one, never a mix.
#[derive(Debug, Default)]
pub struct Info {
    labels: RwLock<Arc<[(String, String)]>>,
    /// The label names of the family the info belongs to, which its own labels must not repeat.
    family_labels: OnceLock<Box<[String]>>,
}

impl Info {
    /// An info with no label.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the labels. Names are checked like any label name, and must differ from each other and
    /// from the family's own labels.
    pub fn set<I, N, V>(&self, labels: I) -> Result<(), RuleError>
    where
        I: IntoIterator<Item = (N, V)>,
        N: Into<String>,
        V: Into<String>,
    {
        let labels: Vec<(String, String)> = labels.into_iter().map(|(n, v)| (n.into(), v.into())).collect();
        for (i, (name, _)) in labels.iter().enumerate() {
            promstruct_naming::check_label_name(name, MetricType::Info)?;
            if labels[..i].iter().any(|(n, _)| n == name) {
                return Err(RuleError::DuplicateLabel { name: name.clone() });
            }
            if self.family_labels.get().is_some_and(|family| family.contains(name)) {
                return Err(RuleError::InfoLabelClash { name: name.clone() });
            }
        }
        *self.labels.write().unwrap_or_else(|e| e.into_inner()) = labels.into();
        Ok(())
    }

    /// The current labels.
    pub fn get(&self) -> Arc<[(String, String)]> {
        self.labels.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Metric for Info {
    type Config = ();
    type Dense = Box<[Self]>;
    const KIND: MetricType = MetricType::Info;

    fn with_config(_: &()) -> Self {
        Info::new()
    }

    fn attach(&self, desc: &crate::Descriptor) {
        if desc.label_count() > 0 {
            let _ = self.family_labels.set(desc.label_names().map(str::to_owned).collect());
        }
    }

    fn encode(&self, family: &mut FamilyEncoder<'_, '_>, labels: &dyn EncodeLabels, _: Option<f64>) {
        let own = self.get();
        family.info(&Merged(labels, &own[..]));
    }
}

/// The family's labels followed by the info's own.
struct Merged<'a>(&'a dyn EncodeLabels, &'a [(String, String)]);

impl EncodeLabels for Merged<'_> {
    fn encode_labels(&self, out: &mut LabelWriter<'_>) {
        self.0.encode_labels(out);
        self.1.encode_labels(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_and_checks() {
        let i = Info::new();
        assert!(i.get().is_empty());
        i.set([("version", "1.2.3"), ("commit", "abc")]).unwrap();
        assert_eq!(i.get().len(), 2);
        assert!(i.set([("Version", "x")]).is_err());
        assert_eq!(i.set([("a", "x"), ("a", "y")]), Err(RuleError::DuplicateLabel { name: "a".into() }));
        assert_eq!(i.get()[0], ("version".to_owned(), "1.2.3".to_owned()), "a refused set changes nothing");
    }

    #[test]
    fn refuses_the_family_labels() {
        let desc = crate::Descriptor::builder("build", MetricType::Info, "Build.").labels(["region"]).build().unwrap();
        let i = Info::new();
        i.attach(&desc);
        assert_eq!(i.set([("region", "eu")]), Err(RuleError::InfoLabelClash { name: "region".into() }));
        i.set([("version", "1.0")]).unwrap();
    }
}
