//! The rename rules of `#[derive(LabelEnum)]`: how variant names become label values.

/// How `#[derive(LabelEnum)]` turns variant names into label values.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum RenameRule {
    SnakeCase,
    KebabCase,
    Lowercase,
    ScreamingSnakeCase,
}

impl RenameRule {
    pub(crate) const ALL: [(&'static str, RenameRule); 4] = [
        ("snake_case", RenameRule::SnakeCase),
        ("kebab-case", RenameRule::KebabCase),
        ("lowercase", RenameRule::Lowercase),
        ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnakeCase),
    ];

    /// The label value of a variant named `name`.
    pub(crate) fn apply(self, name: &str) -> String {
        let words = words(name);
        match self {
            RenameRule::SnakeCase => words.iter().map(|w| w.to_lowercase()).collect::<Vec<_>>().join("_"),
            RenameRule::KebabCase => words.iter().map(|w| w.to_lowercase()).collect::<Vec<_>>().join("-"),
            RenameRule::Lowercase => name.to_lowercase(),
            RenameRule::ScreamingSnakeCase => words.iter().map(|w| w.to_uppercase()).collect::<Vec<_>>().join("_"),
        }
    }
}

/// The words of a CamelCase or snake_case name: `HTTPError` is `HTTP`, `Error`; `Gpt4o` is one word.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rename_rules() {
        assert_eq!(RenameRule::SnakeCase.apply("InProgress"), "in_progress");
        assert_eq!(RenameRule::SnakeCase.apply("HTTPError"), "http_error");
        assert_eq!(RenameRule::SnakeCase.apply("Gpt4o"), "gpt4o");
        assert_eq!(RenameRule::SnakeCase.apply("Ok"), "ok");
        assert_eq!(RenameRule::KebabCase.apply("ClaudeSonnet"), "claude-sonnet");
        assert_eq!(RenameRule::Lowercase.apply("InProgress"), "inprogress");
        assert_eq!(RenameRule::ScreamingSnakeCase.apply("InProgress"), "IN_PROGRESS");
        assert_eq!(RenameRule::SnakeCase.apply("already_snake"), "already_snake");
    }
}
