//! Crate-private logging shim: `trace!`, `debug!`, `info!`, `warn!` dispatch to `defmt` or
//! `log` when one of those features is on, and compile to nothing otherwise (the arguments are
//! still type-checked, so a disabled log never hides a compile error).
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
