//! Bearer tokens with scopes, compared in constant time.
//!
//! Every configured token is compared with the presented one, whatever matched before, and each comparison
//! takes a time that depends only on the configured token's length: the response time tells nothing about
//! how much of a guess was right. Tokens are never logged; [`Tokens`] does not print them.

use subtle::{Choice, ConstantTimeEq};

use crate::config::{AuthConfig, SCOPE_METRICS_READ};

/// The result of checking a request's `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A known token with the scope.
    Allowed,
    /// No `Authorization: Bearer` header: 401.
    Missing,
    /// A token we do not know: 401.
    Unknown,
    /// A known token without the scope: 403.
    MissingScope,
}

struct Token {
    secret: Vec<u8>,
    scopes: Vec<String>,
}

/// The accepted tokens.
pub(crate) struct Tokens(Vec<Token>);

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({} redacted)", self.0.len())
    }
}

impl Tokens {
    /// The tokens of `config`, or `None` when authentication is off.
    pub(crate) fn from_config(config: &AuthConfig) -> Option<Self> {
        config.enabled.then(|| {
            Tokens(
                config
                    .tokens
                    .iter()
                    .map(|t| Token { secret: t.token.as_bytes().to_vec(), scopes: t.scopes.clone() })
                    .collect(),
            )
        })
    }

    /// Checks an `Authorization` header value for the scope [`SCOPE_METRICS_READ`].
    pub(crate) fn check(&self, authorization: Option<&[u8]>) -> Verdict {
        let Some(presented) = authorization.and_then(bearer) else { return Verdict::Missing };
        let mut found: Option<&Token> = None;
        for token in &self.0 {
            if bool::from(equal(presented, &token.secret)) {
                found = Some(token);
            }
        }
        match found {
            None => Verdict::Unknown,
            Some(token) if token.scopes.iter().any(|s| s == SCOPE_METRICS_READ) => Verdict::Allowed,
            Some(_) => Verdict::MissingScope,
        }
    }
}

/// The token of a `Bearer` credential (the scheme is case-insensitive).
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let value = value.trim_ascii();
    let (scheme, rest) = value.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case(b"bearer") || !rest.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// Constant-time equality whose time depends on `secret`'s length only.
fn equal(presented: &[u8], secret: &[u8]) -> Choice {
    let same_len = (presented.len() as u64).ct_eq(&(secret.len() as u64));
    // Compare as many bytes as the secret has, padding or cutting the presented token.
    let mut diff = 0u8;
    for (i, s) in secret.iter().enumerate() {
        diff |= presented.get(i).copied().unwrap_or(0) ^ s;
    }
    same_len & diff.ct_eq(&0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TokenConfig;

    fn tokens() -> Tokens {
        Tokens::from_config(&AuthConfig {
            enabled: true,
            tokens: vec![
                TokenConfig::new("reader-token", ["metrics:read"]),
                TokenConfig::new("other-token", ["admin:write"]),
            ],
        })
        .unwrap()
    }

    #[test]
    fn verdicts() {
        let t = tokens();
        assert_eq!(t.check(Some(b"Bearer reader-token")), Verdict::Allowed);
        assert_eq!(t.check(Some(b"bearer   reader-token ")), Verdict::Allowed);
        assert_eq!(t.check(Some(b"Bearer other-token")), Verdict::MissingScope);
        assert_eq!(t.check(Some(b"Bearer reader-tokeN")), Verdict::Unknown);
        assert_eq!(t.check(Some(b"Bearer reader-token2")), Verdict::Unknown);
        assert_eq!(t.check(Some(b"Bearer reader")), Verdict::Unknown);
        assert_eq!(t.check(Some(b"Basic cmVhZGVyLXRva2Vu")), Verdict::Missing);
        assert_eq!(t.check(Some(b"Bearer")), Verdict::Missing);
        assert_eq!(t.check(Some(b"Bearerreader-token")), Verdict::Missing);
        assert_eq!(t.check(None), Verdict::Missing);
        assert!(!format!("{t:?}").contains("reader-token"));
    }

    #[test]
    fn equality_pads_and_cuts() {
        assert!(bool::from(equal(b"abc", b"abc")));
        assert!(!bool::from(equal(b"abc\0", b"abc")));
        assert!(!bool::from(equal(b"ab", b"abc")));
        assert!(!bool::from(equal(b"", b"abc")));
        assert!(!bool::from(equal(b"abd", b"abc")));
    }

    #[test]
    fn off_when_disabled() {
        assert!(Tokens::from_config(&AuthConfig::default()).is_none());
    }
}
