//! tokio adapter for dimse-core (arrives with the std/tokio issue).
