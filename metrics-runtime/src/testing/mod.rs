//! A strict parser of both exposition formats and assertion helpers for tests.
