//! The hostile catalogue against an implementation reached over TCP: [`play_tcp`] plays one
//! [`Case`] on a connection in real time and returns what the acceptor sent, and [`grade`]
//! compares that with the case's expectation, leniently where the standard leaves the
//! choice to the implementation.
//!
//! `std-adapter/tests/hostile.rs` plays the catalogue this way against the tokio server (and
//! the firmware image), and `dimse check` against any SCP.
//!
//! A [`Step::Mark`] waits until the replies expected before it have arrived (at most
//! [`Timing::mark_wait`]), then [`Timing::settle`] more for unexpected ones; a
//! [`Step::SendAwait`] waits for the acceptor's next reply; a [`Step::Pause`] sleeps. At the
//! end the player waits for every expected reply and, when the case expects the acceptor to
//! close, for the close (at most [`Timing::end_wait`] each).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::hostile::{Case, Reply, Step, Transcript, ARTIM_MS, SLOW_TAG};

/// How long the player waits for an acceptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// A mark: the longest wait for the replies expected before it.
    pub mark_wait: Duration,
    /// A mark: after the expected replies, how long to wait for unexpected ones.
    pub settle: Duration,
    /// The end of a case: the longest wait for the expected replies, and then for the close.
    pub end_wait: Duration,
}

impl Default for Timing {
    /// 2 s, 25 ms, 3 s: long enough for a busy machine, short enough for 500 cases.
    fn default() -> Self {
        Timing {
            mark_wait: Duration::from_secs(2),
            settle: Duration::from_millis(25),
            end_wait: Duration::from_secs(3),
        }
    }
}

/// The transcript, shared with the thread that reads the acceptor's bytes.
type Shared = Arc<(Mutex<Transcript>, Condvar)>;

/// Plays `case` on `stream` (a fresh connection to the acceptor) and returns what the
/// acceptor sent. Errors: the case needs a local action of the acceptor's user
/// ([`Case::core_only`]), or the stream cannot be cloned for reading. Writes that fail
/// because the acceptor closed are not errors: what it did is in the transcript.
pub fn play_tcp(stream: TcpStream, case: &Case, timing: &Timing) -> io::Result<Transcript> {
    if case.core_only {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} needs a local action of the acceptor's user", case.name),
        ));
    }
    let _ = stream.set_nodelay(true);
    let mut reader_stream = stream.try_clone()?;
    let mut writer = stream;
    let shared: Shared = Arc::new((Mutex::new(Transcript::default()), Condvar::new()));
    let reader = std::thread::spawn({
        let shared = shared.clone();
        move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = reader_stream.read(&mut buf).unwrap_or(0);
                let mut t = lock(&shared);
                if n == 0 {
                    t.close();
                } else {
                    t.feed(&buf[..n]);
                }
                shared.1.notify_all();
                if n == 0 {
                    return;
                }
            }
        }
    });

    // The number of (non-mark) replies expected before each mark.
    let mut before_marks = Vec::new();
    let mut n = 0;
    for r in &case.expect {
        match r {
            Reply::Mark => before_marks.push(n),
            _ => n += 1,
        }
    }
    let mut marks = before_marks.into_iter();
    for step in &case.steps {
        match step {
            Step::Send(b) => {
                let _ = writer.write_all(b);
            }
            Step::SendAwait(b) => {
                let seen = lock(&shared).count();
                let _ = writer.write_all(b);
                wait_for(&shared, seen + 1, timing.mark_wait);
            }
            Step::Pause(ms) => std::thread::sleep(Duration::from_millis(*ms)),
            Step::Close => {
                let _ = writer.shutdown(Shutdown::Write);
            }
            Step::Mark => {
                let want = marks.next().unwrap_or(usize::MAX);
                wait_for(&shared, want, timing.mark_wait);
                std::thread::sleep(timing.settle);
                lock(&shared).mark();
            }
            Step::State(_) | Step::LocalRelease => {}
        }
    }
    wait_for(&shared, case.expected_replies(), timing.end_wait);
    if case.expect.last() == Some(&Reply::Closed) {
        // Everything expected arrived; the close may still be on its way.
        wait_for(&shared, usize::MAX, timing.end_wait);
    } else {
        std::thread::sleep(timing.settle * 2);
    }
    // Ends the reader (its read returns), whatever the acceptor does next.
    let _ = writer.shutdown(Shutdown::Both);
    let _ = reader.join();
    let t = lock(&shared).clone();
    Ok(t)
}

/// The transcript, also if the reader thread panicked while holding it (it cannot: `feed`
/// and `close` do not panic; this keeps the player from panicking in turn).
fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Transcript> {
    shared.0.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waits until `want` replies arrived or the transport closed, or `limit` passed.
fn wait_for(shared: &Shared, want: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    let mut t = lock(shared);
    while t.count() < want && !t.closed {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        t = match shared.1.wait_timeout(t, left) {
            Ok((t, _)) => t,
            Err(e) => e.into_inner().0,
        };
    }
}

/// What [`grade`] knows of the acceptor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Grading {
    /// The acceptor serves C-ECHO only (a storage SCP, say): cases that need an N-GET are
    /// not applicable, and an A-ASSOCIATE-AC is compared by its presentation context IDs
    /// only (the acceptor's own classes decide which it accepts).
    pub echo_only: bool,
    /// The acceptor is set up as [`crate::hostile`]'s module documentation says: ARTIM
    /// 300 ms, a network timeout of 600 ms, an N-GET naming [`SLOW_TAG`] answered 200 ms
    /// late. Without it, a case that depends on those and differs is
    /// [`Grade::Setup`], not [`Grade::Differs`].
    pub catalogue_setup: bool,
}

/// How an acceptor's reaction compares with what the case expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grade {
    /// Exactly the expected replies.
    Expected,
    /// The same replies, with another reason (or result) code in an A-ABORT or
    /// A-ASSOCIATE-RJ: the catalogue's reason is its reading where PS3.8 leaves the reason
    /// to the implementation (Table 9-21, 9-26), so this is allowed; the text says which.
    OtherReason(String),
    /// Not what the standard prescribes: the text gives expected and observed.
    Differs(String),
    /// Differs, in a case whose expectation depends on the acceptor's timers or its
    /// application's pace (see [`Grading::catalogue_setup`]): a finding to read, not a fault.
    Setup(String),
    /// The case needs an N-GET and the acceptor serves C-ECHO only.
    NotApplicable,
}

impl Grade {
    /// Whether the reaction is one the standard allows ([`Grade::Expected`] or
    /// [`Grade::OtherReason`]).
    pub fn allowed(&self) -> bool {
        matches!(self, Grade::Expected | Grade::OtherReason(_))
    }
}

/// Grades what the acceptor sent (`t`, from [`play_tcp`] or [`crate::hostile::play`])
/// against `case`.
pub fn grade(case: &Case, t: &Transcript, how: &Grading) -> Grade {
    if how.echo_only && needs_n_get(case) {
        return Grade::NotApplicable;
    }
    let extra = case.check.map_or(Ok(()), |c| c(t, &case.steps));
    let mut reasons = Vec::new();
    let same_shape = t.replies.len() == case.expect.len()
        && case
            .expect
            .iter()
            .zip(&t.replies)
            .all(|(want, got)| same(want, got, how.echo_only, &mut reasons));
    let text = || {
        format!(
            "expected {:?}, observed {:?} ({})",
            case.expect, t.replies, case.reference
        )
    };
    match (same_shape, extra) {
        (true, Ok(())) if reasons.is_empty() => Grade::Expected,
        (true, Ok(())) => Grade::OtherReason(reasons.join("; ")),
        (true, Err(e)) => Grade::Differs(format!("{e} ({})", case.reference)),
        (false, _) if depends_on_setup(case) && !how.catalogue_setup => Grade::Setup(text()),
        (false, _) => Grade::Differs(text()),
    }
}

/// Whether `got` is `want`, or differs only in a code the standard leaves open (recorded
/// in `reasons`).
fn same(want: &Reply, got: &Reply, echo_only: bool, reasons: &mut Vec<String>) -> bool {
    match (want, got) {
        (Reply::Abort(s, r), Reply::Abort(s2, r2)) if s == s2 => {
            if r != r2 {
                reasons.push(format!("A-ABORT reason {r2} (the catalogue reads {r})"));
            }
            true
        }
        (Reply::Rj(res, s, r), Reply::Rj(res2, s2, r2)) if s == s2 => {
            if (res, r) != (res2, r2) {
                reasons.push(format!(
                    "A-ASSOCIATE-RJ result {res2} reason {r2} (the catalogue reads {res}, {r})"
                ));
            }
            true
        }
        (Reply::Ac(w), Reply::Ac(g)) if echo_only => {
            w.iter().map(|c| c.0).eq(g.iter().map(|c| c.0))
        }
        _ => want == got,
    }
}

/// Whether the case needs the acceptor to serve N-GET: it expects an N-GET-RSP, or sends a
/// P-DATA-TF on presentation context 1 (the catalogue's Display System context).
fn needs_n_get(case: &Case) -> bool {
    const N_GET_RSP: u16 = 0x8110;
    case.expect
        .iter()
        .any(|r| matches!(r, Reply::Rsp { command_field, .. } if *command_field == N_GET_RSP))
        || sent(case).any(|b| b.len() > 10 && b[0] == 0x04 && b[10] == 1)
}

/// Whether the expectation depends on the acceptor's timers (a pause of 100 ms or more: the
/// catalogue's ARTIM is 300 ms) or on its application answering late (a request naming
/// [`SLOW_TAG`]).
fn depends_on_setup(case: &Case) -> bool {
    let slow = {
        let (g, e) = (
            SLOW_TAG.group().to_le_bytes(),
            SLOW_TAG.element().to_le_bytes(),
        );
        [g[0], g[1], e[0], e[1]]
    };
    case.steps
        .iter()
        .any(|s| matches!(s, Step::Pause(ms) if *ms >= ARTIM_MS / 3))
        || sent(case).any(|b| b.windows(4).any(|w| w == slow))
}

/// The bytes of every send step.
fn sent(case: &Case) -> impl Iterator<Item = &[u8]> {
    case.steps.iter().filter_map(|s| match s {
        Step::Send(b) | Step::SendAwait(b) => Some(b.as_slice()),
        _ => None,
    })
}
