//! The association's timers: ARTIM (PS3.8 §9.1.5) and the ACSE, network and PDU timeouts of
//! [`Limits`]. Each is a deadline the caller's `now` is compared with; none reads a clock.

use super::*;

/// The Upper Layer's deadlines (the DIMSE layer keeps its own).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Timers {
    /// ARTIM: waiting for an A-ASSOCIATE-RQ after connect, or for the peer to close.
    pub(super) artim: Option<Instant>,
    /// Waiting for an A-ASSOCIATE-AC/RJ or an A-RELEASE-RP.
    pub(super) acse: Option<Instant>,
    /// Silence on an established association.
    pub(super) network: Option<Instant>,
    /// When the PDU being received must be complete ([`Limits::pdu_timeout`] after the
    /// `handle_input` that first left it partial).
    pub(super) pdu: Option<Instant>,
}

/// The earlier of two optional deadlines.
pub(super) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Timers {
    /// The earliest deadline.
    pub(super) fn next(&self) -> Option<Instant> {
        earliest(
            earliest(self.artim, self.acse),
            earliest(self.network, self.pdu),
        )
    }

    /// The association is over (Sta13 or Sta1): only ARTIM may still run.
    pub(super) fn association_ended(&mut self) {
        self.acse = None;
        self.network = None;
        self.pdu = None;
    }

    /// The transport is to be closed: nothing is waited for any more.
    pub(super) fn stop_all(&mut self) {
        *self = Timers::default();
    }

    /// The first timer due at `now`, stopped, and what its expiry means to the state
    /// machine: ARTIM's own event, or a local abort naming the timer.
    pub(super) fn take_due(&mut self, now: Instant) -> Option<Input> {
        let due = |t: &mut Option<Instant>| t.take_if(|t| *t <= now).is_some();
        if due(&mut self.artim) {
            Some(Input::Artim)
        } else if due(&mut self.acse) {
            Some(Input::LocalAbort(AbortOrigin::Timeout(Timer::Acse)))
        } else if due(&mut self.network) {
            Some(Input::LocalAbort(AbortOrigin::Timeout(Timer::Network)))
        } else if due(&mut self.pdu) {
            Some(Input::LocalAbort(AbortOrigin::Timeout(Timer::Pdu)))
        } else {
            None
        }
    }
}
