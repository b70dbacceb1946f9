//! embassy-net adapter for dimse-core (arrives with the embassy-net issue).
#![no_std]
#![forbid(unsafe_code)]
