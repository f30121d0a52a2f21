//! Argo's variables (`{{workflow.duration}}`, `{{status}}`, `{{outputs.parameters.NAME}}`, ...) and its
//! `when` expressions.
//!
//! Substitution is Argo's simple tags: `{{ name }}`, spaces trimmed, an unresolved name an error (Argo
//! substitutes metrics with unresolved variables refused). Expression tags (`{{=...}}`) are not simulated.
//!
//! A `when` is evaluated as Argo evaluates it, with govaluate after substitution, where a bare word is a
//! string (so `Failed == Failed` needs no quotes). Supported: `==` `!=` (any two values; different types
//! are unequal), `<` `<=` `>` `>=` (two numbers, or two strings compared as text), `&&` `||` `!`,
//! parentheses, numbers, `true`/`false`, strings in `'` or `"` quotes, and bare words (letters, digits,
//! `_`, `.` and `-`, starting with a letter or `_`). govaluate's regex (`=~`, `!~`), `in`, ternary and
//! arithmetic operators are refused with an error naming the operator.

use std::collections::HashMap;

/// Variable names and their values.
pub(crate) type Scope = HashMap<String, String>;

/// Replaces each `{{ name }}` in `text` with its value in `scope`.
pub(crate) fn substitute(text: &str, scope: &Scope) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| format!("`{{{{` without `}}}}` in {text:?}"))?;
        let name = after[..end].trim();
        if name.starts_with('=') {
            return Err(format!("expression tags such as `{{{{{name}}}}}` are not simulated; use a simple variable"));
        }
        let value = scope.get(name).ok_or_else(|| format!("unresolved variable `{{{{{name}}}}}`"))?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The variable `text` is, when it is exactly one `{{ name }}` tag (what a real-time value must be).
pub(crate) fn sole_variable(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}")).then(|| inner.trim())
}

/// Formats a duration as Argo's variables hold it (`%f`: six decimals).
pub(crate) fn seconds(value: f64) -> String {
    format!("{value:.6}")
}

/// A value of an expression.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Num(f64),
    Str(String),
    Bool(bool),
}

impl Value {
    fn describe(&self) -> String {
        match self {
            Value::Num(n) => format!("the number {n}"),
            Value::Str(s) => format!("the string {s:?}"),
            Value::Bool(b) => format!("the boolean {b}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Value(Value),
    Op(&'static str),
    Open,
    Close,
}

const OPERATORS: [&str; 9] = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!"];
const REFUSED: [&str; 12] = ["!~", "=~", "?:", "??", "?", ":", "+", "*", "/", "%", "^", "&"];

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Value(v) => v.describe(),
            Token::Op(op) => format!("`{op}`"),
            Token::Open => "`(`".into(),
            Token::Close => "`)`".into(),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        let rest = &text[i..];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            tokens.push(Token::Open);
            i += 1;
        } else if c == ')' {
            tokens.push(Token::Close);
            i += 1;
        } else if c == '"' || c == '\'' {
            let mut value = String::new();
            let mut chars = rest[1..].char_indices();
            let end = loop {
                match chars.next() {
                    None => return Err(format!("a string opened with {c} is not closed")),
                    Some((j, ch)) if ch == c => break j,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, escaped)) => value.push(escaped),
                        None => return Err("a string ends with a backslash".into()),
                    },
                    Some((_, ch)) => value.push(ch),
                }
            };
            tokens.push(Token::Value(Value::Str(value)));
            i += 1 + end + 1;
        } else if c.is_ascii_digit()
            || (c == '-' && rest[1..].starts_with(|d: char| d.is_ascii_digit()) && expects_operand(&tokens))
        {
            let len = number_len(rest);
            let number: f64 = rest[..len].parse().map_err(|_| format!("`{}` is not a number", &rest[..len]))?;
            tokens.push(Token::Value(Value::Num(number)));
            i += len;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let len = rest.find(|ch: char| !(ch.is_ascii_alphanumeric() || "_.-".contains(ch))).unwrap_or(rest.len());
            let word = &rest[..len];
            tokens.push(Token::Value(match word {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "in" => return Err("the `in` operator is not simulated".into()),
                _ => Value::Str(word.to_owned()),
            }));
            i += len;
        } else if let Some(op) = REFUSED.iter().find(|op| rest.starts_with(**op) && !rest.starts_with("&&")) {
            return Err(format!("the operator `{op}` is not simulated"));
        } else if let Some(op) = OPERATORS.iter().find(|op| rest.starts_with(**op)) {
            tokens.push(Token::Op(op));
            i += op.len();
        } else {
            return Err(format!("unexpected `{}`", rest.chars().next().unwrap_or(c)));
        }
    }
    Ok(tokens)
}

fn expects_operand(tokens: &[Token]) -> bool {
    matches!(tokens.last(), None | Some(Token::Op(_)) | Some(Token::Open))
}

fn number_len(text: &str) -> usize {
    let b = text.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
    };
    digits(&mut i);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        digits(&mut i);
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            i = j;
            digits(&mut i);
        }
    }
    i
}

/// A recursive-descent evaluator over the tokens: `or := and ('||' and)*`, `and := not ('&&' not)*`,
/// `not := '!' not | cmp`, `cmp := primary (op primary)?`, `primary := value | '(' or ')'`.
struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn or(&mut self) -> Result<Value, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Op("||")) {
            self.at += 1;
            let right = self.and()?;
            left = Value::Bool(truth(&left, "||")? || truth(&right, "||")?);
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Value, String> {
        let mut left = self.not()?;
        while self.peek() == Some(&Token::Op("&&")) {
            self.at += 1;
            let right = self.not()?;
            left = Value::Bool(truth(&left, "&&")? && truth(&right, "&&")?);
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Value, String> {
        if self.peek() == Some(&Token::Op("!")) {
            self.at += 1;
            let v = self.not()?;
            return Ok(Value::Bool(!truth(&v, "!")?));
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Result<Value, String> {
        let left = self.primary()?;
        let Some(Token::Op(op)) = self.peek().cloned() else { return Ok(left) };
        if matches!(op, "&&" | "||" | "!") {
            return Ok(left);
        }
        self.at += 1;
        let right = self.primary()?;
        compare(&left, op, &right)
    }

    fn primary(&mut self) -> Result<Value, String> {
        match self.next() {
            Some(Token::Value(v)) => Ok(v),
            Some(Token::Open) => {
                let v = self.or()?;
                match self.next() {
                    Some(Token::Close) => Ok(v),
                    _ => Err("a `(` is not closed".into()),
                }
            }
            Some(Token::Op(op)) => Err(format!("`{op}` where a value was expected")),
            Some(Token::Close) => Err("`)` where a value was expected".into()),
            None => Err("the expression ends where a value was expected".into()),
        }
    }
}

fn truth(v: &Value, op: &str) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(format!("`{op}` needs booleans, not {}", other.describe())),
    }
}

fn compare(left: &Value, op: &str, right: &Value) -> Result<Value, String> {
    use std::cmp::Ordering;
    let ordering = match (left, right) {
        (Value::Num(a), Value::Num(b)) => a.partial_cmp(b),
        (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
        _ => None,
    };
    let result = match op {
        "==" => left == right,
        "!=" => left != right,
        _ => {
            let Some(ordering) = ordering else {
                return Err(format!("`{op}` cannot compare {} with {}", left.describe(), right.describe()));
            };
            match op {
                "<" => ordering == Ordering::Less,
                "<=" => ordering != Ordering::Greater,
                ">" => ordering == Ordering::Greater,
                ">=" => ordering != Ordering::Less,
                other => return Err(format!("the operator `{other}` is not simulated")),
            }
        }
    };
    Ok(Value::Bool(result))
}

/// Evaluates a substituted `when` expression; an empty one is true, as in Argo.
pub(crate) fn evaluate(when: &str) -> Result<bool, String> {
    if when.trim().is_empty() {
        return Ok(true);
    }
    let mut parser = Parser { tokens: tokenize(when)?, at: 0 };
    let value = parser.or()?;
    if parser.at < parser.tokens.len() {
        return Err(format!("unexpected {} after a complete expression", parser.tokens[parser.at].describe()));
    }
    truth(&value, "when").map_err(|_| format!("`{when}` is {}, not a boolean", value.describe()))
}
