//! Crate-private logging shim (embassy's pattern, as in dimse-core): `trace!` .. `error!`
//! dispatch to `defmt` or `log` when one of those features is on, and compile to nothing
//! otherwise (the arguments are still type-checked, so a disabled log never hides a compile
//! error). Format strings use only what both accept: `{}`, `{:?}` and `{:X}`.
#![allow(unused_macros)]

macro_rules! __dimse_log {
    ($level:ident, $($arg:expr),+ $(,)?) => {{
        #[cfg(feature = "defmt")]
        ::defmt::$level!($($arg),+);
        #[cfg(feature = "log")]
        ::log::$level!($($arg),+);
        #[cfg(not(any(feature = "defmt", feature = "log")))]
        {
            let _ = ($(&$arg),+);
        }
    }};
}

macro_rules! trace {
    ($($arg:expr),+ $(,)?) => { __dimse_log!(trace, $($arg),+) };
}
macro_rules! debug {
    ($($arg:expr),+ $(,)?) => { __dimse_log!(debug, $($arg),+) };
}
macro_rules! info {
    ($($arg:expr),+ $(,)?) => { __dimse_log!(info, $($arg),+) };
}
macro_rules! warn {
    ($($arg:expr),+ $(,)?) => { __dimse_log!(warn, $($arg),+) };
}
macro_rules! error {
    ($($arg:expr),+ $(,)?) => { __dimse_log!(error, $($arg),+) };
}
