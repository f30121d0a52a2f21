//! The HTTP exposition endpoint.
