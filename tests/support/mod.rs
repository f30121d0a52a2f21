//! Shared support for the workspace's integration tests: the external validators and the checks they miss.
