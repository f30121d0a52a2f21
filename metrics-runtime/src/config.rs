//! Configuration of the endpoint.
