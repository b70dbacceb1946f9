//! [`Closing`]: an association that has ended, without the storage it needed.

use super::*;
use crate::time::Duration;

/// An association that has ended (Sta13: A-RELEASE-RP, A-ASSOCIATE-RJ or A-ABORT sent),
/// waiting for the peer to close the transport connection, as
/// [`Connection::into_closing`] leaves it: a few dozen bytes and no [`Storage`], so that a
/// server can give the association's buffers back while a peer that does not close keeps
/// the connection open until ARTIM runs out.
///
/// It behaves on the wire exactly as the [`Connection`] it came from would have in Sta13
/// (PS3.8 §9.2.3 Table 9-10, the Sta13 column): every PDU is read and ignored (AA-6), except
/// an A-ASSOCIATE-RQ or an invalid PDU, which get an A-ABORT (AA-7, service-provider, the
/// reason the connection would give); an A-ABORT from the peer, or ARTIM running out, ends
/// it (AA-2), as does the transport closing (AR-5). It is driven by the same drain contract,
/// with methods of the same names: [`Closing::handle_input`],
/// [`Closing::poll_output`] until [`Output::Idle`], [`Closing::handle_timeout`] at the
/// deadline, [`Closing::handle_transport_closed`]; the only event it gives is
/// [`Event::Closed`].
#[derive(Debug, Clone)]
pub struct Closing {
    role: Role,
    /// Sta13, then Sta1 once the transport is to be closed.
    state: State,
    rx: Skip,
    artim: Option<Instant>,
    /// ARTIM's length, should an action restart it (none in Sta13 does; the table decides).
    artim_timeout: Duration,
    /// The A-ABORTs (AA-7) not yet handed out, by reason.
    aborts: Ring<AbortReason, TXQ_CAPACITY>,
    /// [`Event::Closed`] is due.
    closed: bool,
    /// The last `handle_input` stopped for lack of room for A-ABORTs: once they are out,
    /// `poll_output` says [`Output::Reoffer`].
    input_blocked: bool,
}

/// Where the receive side is in the byte stream: the [`Rx`] states a connection can be in
/// when its association has ended (the others are refused by `into_closing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skip {
    Header,
    Fixed(PduType),
    Ignore { left: u32 },
    Discard,
}

impl<'a> Connection<'a> {
    /// This connection without its [`Storage`], once its association has ended: for a server
    /// that waits for the peer to close (Sta13) and wants the buffers back meanwhile. The
    /// storage is free when this returns `Ok` (the borrow ends with the connection).
    ///
    /// `Err` gives the connection back unchanged when it is not in Sta13, or still has
    /// output to hand out (drain [`Connection::poll_output`] to [`Output::Idle`] first), or is
    /// in the middle of an A-ASSOCIATE PDU that it reads on (the rare case of a requestor
    /// whose A-ASSOCIATE-AC was cut by a local abort): keep driving it as it is.
    // The `Err` is the connection itself, handed back once per association: its size is the
    // point, not a cost.
    #[allow(clippy::result_large_err)]
    pub fn into_closing(self) -> Result<Closing, Self> {
        let rx = match self.rx {
            Rx::Header => Skip::Header,
            Rx::Fixed(t) => Skip::Fixed(t),
            Rx::Ignore { left } => Skip::Ignore { left },
            Rx::Discard => Skip::Discard,
            _ => return Err(self),
        };
        if self.state != State::Sta13
            || !self.txq.is_empty()
            || !self.events.is_empty()
            || self.input_blocked.is_some()
        {
            return Err(self);
        }
        Ok(Closing {
            role: self.role,
            state: self.state,
            rx,
            artim: self.timers.artim,
            artim_timeout: self.limits().artim_timeout,
            aborts: Ring::new(),
            closed: false,
            input_blocked: false,
        })
    }
}

impl Closing {
    /// The Upper Layer state: Sta13, or Sta1 once the transport is to be closed.
    pub fn state(&self) -> State {
        self.state
    }

    /// The transport should be (or is) closed.
    pub fn is_closed(&self) -> bool {
        self.state == State::Sta1
    }

    /// Consumes bytes received from the peer and returns how many were used (as
    /// [`Connection::handle_input`]: keep the rest and offer it again).
    pub fn handle_input(&mut self, now: Instant, input: &[u8]) -> usize {
        if self.state == State::Sta1 {
            return input.len();
        }
        let mut used = 0;
        self.input_blocked = false;
        while let Some(rest) = input.get(used..).filter(|r| !r.is_empty()) {
            if self.state == State::Sta1 {
                return input.len();
            }
            if self.aborts.room() < TXQ_HEADROOM {
                self.input_blocked = true;
                break;
            }
            match self.step(now, rest) {
                Some(n) => used += n,
                None => break,
            }
        }
        used
    }

    /// One unit of input, as the connection's deframer reads it in Sta13; `None` when the
    /// unit is not complete in `input`.
    fn step(&mut self, now: Instant, input: &[u8]) -> Option<usize> {
        use ul::ProtocolEvent as E;
        let ignore = |left: u32| {
            if left == 0 {
                Skip::Header
            } else {
                Skip::Ignore { left }
            }
        };
        match self.rx {
            Skip::Header => {
                let (event, reason) = match PduHeader::parse(input) {
                    Ok(Parse::Partial) => return None,
                    Err(e) => {
                        // An unknown type still has a length: skip it so the stream stays
                        // framed.
                        let length = input
                            .get(2..6)
                            .and_then(|b| <[u8; 4]>::try_from(b).ok())
                            .map_or(0, u32::from_be_bytes);
                        self.rx = ignore(length);
                        (E::InvalidPdu, e.abort_reason())
                    }
                    Ok(Parse::Complete(h, _)) => {
                        self.rx = ignore(h.length);
                        match h.pdu_type {
                            PduType::AssociateRq => {
                                (E::AssociateRqReceived, AbortReason::UnexpectedPdu)
                            }
                            PduType::AssociateAc => {
                                (E::AssociateAcReceived, AbortReason::UnexpectedPdu)
                            }
                            PduType::PDataTf => (E::PDataReceived, AbortReason::UnexpectedPdu),
                            fixed if h.length as usize == pdu::FIXED_BODY_LEN => {
                                self.rx = Skip::Fixed(fixed);
                                return Some(PDU_HEADER_LEN);
                            }
                            _ => (E::InvalidPdu, AbortReason::InvalidPduParameterValue),
                        }
                    }
                };
                self.apply(now, event, reason);
                Some(PDU_HEADER_LEN)
            }
            Skip::Fixed(pdu_type) => {
                let body = *input.first_chunk::<4>()?;
                self.rx = Skip::Header;
                let (event, reason) = match pdu_type {
                    PduType::AssociateRj => match AssociateRj::parse_body(body) {
                        Ok(_) => (E::AssociateRjReceived, AbortReason::UnexpectedPdu),
                        Err(e) => (E::InvalidPdu, e.abort_reason()),
                    },
                    PduType::ReleaseRq => (E::ReleaseRqReceived, AbortReason::UnexpectedPdu),
                    PduType::ReleaseRp => (E::ReleaseRpReceived, AbortReason::UnexpectedPdu),
                    _ => (E::AbortReceived, AbortReason::UnexpectedPdu),
                };
                self.apply(now, event, reason);
                Some(4)
            }
            Skip::Ignore { left } => {
                let n = input.len().min(left as usize);
                self.rx = ignore(left - n as u32);
                Some(n)
            }
            Skip::Discard => Some(input.len()),
        }
    }

    /// The table's action for `event` (PS3.8 Table 9-10); `reason` is the A-ABORT's should
    /// it be AA-7.
    fn apply(&mut self, now: Instant, event: ul::ProtocolEvent, reason: AbortReason) {
        let Some(action) = ul::transition(self.state, event) else {
            return;
        };
        if action.stops_artim() {
            self.artim = None;
        }
        match action {
            Action::Aa7 => self.queue_abort(reason),
            Action::Aa2 | Action::Ar5 => {
                self.artim = None;
                self.closed = true;
            }
            // AA-6 ignores the PDU; no other action has a cell in Sta13.
            _ => {}
        }
        if action.starts_artim(true) {
            self.artim = Some(now + self.artim_timeout);
        }
        self.state = action.next_state(self.role, true);
    }

    /// Queues an A-ABORT (input waits while the queue is short of room, so it never is full).
    fn queue_abort(&mut self, reason: AbortReason) {
        if self.aborts.push_back(reason).is_err() {
            warn!("transmit queue full");
        }
    }

    /// The transport connection closed (by the peer, or by us), Evt17.
    pub fn handle_transport_closed(&mut self, now: Instant) {
        self.apply(
            now,
            ul::ProtocolEvent::TransportClosed,
            AbortReason::UnexpectedPdu,
        );
    }

    /// When [`Closing::handle_timeout`] must be called: ARTIM's deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.artim
    }

    /// Fires ARTIM if its deadline is at or before `now` (Evt18). Spurious calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.artim.is_some_and(|t| t <= now) {
            self.artim = None;
            self.apply(
                now,
                ul::ProtocolEvent::ArtimExpired,
                AbortReason::UnexpectedPdu,
            );
        }
    }

    /// What the caller must do next, as [`Connection::poll_output`]: write an A-ABORT (10
    /// bytes; a smaller `out` is `Err`), handle [`Event::Closed`], offer held-back input
    /// again, or wait until ARTIM's deadline.
    pub fn poll_output(&mut self, out: &mut [u8]) -> Result<Output, BufferTooSmall> {
        if let Some(&reason) = self.aborts.front() {
            let n = Abort::provider(reason).emit(out)?;
            self.aborts.pop_front();
            return Ok(Output::Transmit(n));
        }
        if core::mem::take(&mut self.closed) {
            return Ok(Output::Event(Event::Closed));
        }
        if core::mem::take(&mut self.input_blocked) {
            return Ok(Output::Reoffer);
        }
        Ok(Output::Idle { until: self.artim })
    }

    /// Whether a PDU waits to be written (see [`Connection::has_transmit`]).
    pub fn has_transmit(&self) -> bool {
        !self.aborts.is_empty()
    }
}
