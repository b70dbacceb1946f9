//! Logging for either board: `info!` and `warn!` go to `defmt` (the Nucleo) or `log` (QEMU's
//! UART), whichever feature the board turns on. Format strings use only what both accept
//! (`{}`, `{:?}`).

macro_rules! log {
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

macro_rules! info {
    ($($arg:expr),+ $(,)?) => { log!(info, $($arg),+) };
}

#[cfg(all(feature = "defmt", feature = "log"))]
compile_error!("the features `defmt` and `log` are exclusive: build one board at a time (-p)");

/// The value of a `Result` that cannot be an error in a correct firmware (a task pool with
/// room for every spawn); a panic with the error otherwise.
macro_rules! unwrap {
    ($e:expr) => {{
        #[cfg(feature = "defmt")]
        let v = ::defmt::unwrap!($e);
        #[cfg(not(feature = "defmt"))]
        let v = $e.unwrap();
        v
    }};
}

#[cfg(any(feature = "validate", feature = "encoded"))]
macro_rules! error {
    ($($arg:expr),+ $(,)?) => { log!(error, $($arg),+) };
}
