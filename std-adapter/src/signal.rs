//! Ctrl-C (SIGINT) as a future, without tokio's signal driver.
//!
//! tokio's `signal::ctrl_c` needs the runtime's signal driver, and once the `signal` feature is
//! compiled in, every runtime with I/O enabled has that driver, which every park of the runtime
//! polls: work on every message served (measured in BENCHMARKS.md, "Network"). Here the signal
//! handler writes a byte into one end of a socket pair (signal-hook's self-pipe, written with
//! `send` and `MSG_DONTWAIT`, which is async-signal-safe) and the future waits for the other
//! end to be readable like any socket: the runtime pays only when the signal comes.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Catches SIGINT (Ctrl-C in a terminal) from now on, and returns a future that resolves at
/// the first one delivered after this call.
///
/// As with `tokio::signal::ctrl_c`, once this has been called the process no longer ends on
/// SIGINT by default, for the rest of its life: it is up to the caller to stop. On Unix the
/// handler is installed here, not when the future is first polled, so a program can install
/// it before it tells anyone it is ready (elsewhere this is tokio's, installed at the first
/// poll). Call it within a tokio runtime with I/O enabled (the
/// future waits on a socket). `Err` when the handler cannot be installed (no socket pair).
pub fn ctrl_c() -> io::Result<CtrlC> {
    imp::register().map(CtrlC)
}

/// The future [`ctrl_c`] returns: `Ok(())` at the first SIGINT after the call. Dropping it
/// removes its part of the handler (the signal stays caught).
#[must_use = "a SIGINT is only seen by awaiting the future"]
pub struct CtrlC(imp::Registration);

impl Future for CtrlC {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll(cx)
    }
}

impl std::fmt::Debug for CtrlC {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CtrlC")
    }
}

#[cfg(unix)]
mod imp {
    use std::io;
    use std::task::{ready, Context, Poll};

    /// The read end of the pair; the write end lives in the handler's action until drop.
    pub(super) struct Registration {
        read: tokio::net::UnixStream,
        id: signal_hook::SigId,
    }

    impl Drop for Registration {
        fn drop(&mut self) {
            // The action goes (and with it the write end); signal-hook does not restore
            // the default action.
            signal_hook::low_level::unregister(self.id);
        }
    }

    pub(super) fn register() -> io::Result<Registration> {
        let (read, write) = std::os::unix::net::UnixStream::pair()?;
        read.set_nonblocking(true)?;
        let read = tokio::net::UnixStream::from_std(read)?;
        let id = signal_hook::low_level::pipe::register(signal_hook::consts::SIGINT, write)?;
        Ok(Registration { read, id })
    }

    impl Registration {
        pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            let mut byte = [0u8; 1];
            loop {
                ready!(self.read.poll_read_ready(cx))?;
                match self.read.try_read(&mut byte) {
                    Ok(1..) => return Poll::Ready(Ok(())),
                    Ok(0) => return Poll::Ready(Err(io::Error::other("the SIGINT pipe closed"))),
                    // Readiness without a byte (signal-hook's zero-length probe at
                    // registration may wake the reader): wait again.
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    Err(e) => return Poll::Ready(Err(e)),
                }
            }
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use std::future::Future;
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    pub(super) struct Registration(Pin<Box<dyn Future<Output = io::Result<()>> + Send>>);

    pub(super) fn register() -> io::Result<Registration> {
        Ok(Registration(Box::pin(tokio::signal::ctrl_c())))
    }

    impl Registration {
        pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.0.as_mut().poll(cx)
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A SIGINT raised in the process ends the wait (the handler installed by `ctrl_c`
    /// catches it: the test process would otherwise die).
    #[tokio::test]
    async fn a_sigint_resolves_it() {
        let mut waiting = ctrl_c().unwrap();
        // Nothing yet.
        std::future::poll_fn(|cx| {
            assert!(Pin::new(&mut waiting).poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        signal_hook::low_level::raise(signal_hook::consts::SIGINT).unwrap();
        tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("ctrl_c did not resolve on SIGINT")
            .unwrap();
    }
}
