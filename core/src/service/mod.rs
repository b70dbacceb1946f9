//! N-GET service classes and the SOP instance models that answer them.
pub mod display;
