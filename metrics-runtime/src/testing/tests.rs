//! Unit tests of the parser, one or more per rule.
