//! The executor of the PS3.8 Table 9-10 state machine: an input (a PDU's meaning, a local
//! call, a timer) becomes the table's event, and the action the table names is carried out
//! (PDUs queued, events reported, timers started and stopped, the next state).

use super::*;

/// A PDU waiting for `poll_transmit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outgoing {
    AssociateRq,
    AssociateAc,
    AssociateRj(AssociateRj),
    ReleaseRq,
    ReleaseRp,
    Abort(Abort),
    PData,
}

/// What a PDU (or a local call, or time) means to the state machine, with its data.
pub(super) enum Input {
    /// `Ok`: acceptable to the policy, the outcome waiting in `neg` (`Phase::Finished`).
    AssociateRq(Result<(), AssociateRj>),
    /// `true`: it answers what we proposed, the outcome waiting in `neg` (`Phase::Finished`).
    AssociateAc(bool),
    AssociateRj(AssociateRj),
    PData,
    ReleaseRq,
    ReleaseRp,
    Abort(Abort),
    Invalid(AbortReason),
    TransportClosed,
    Artim,
    LocalAbort(AbortOrigin),
    LocalRelease,
    ReleaseResponse,
}

impl<'a> Connection<'a> {
    // ---------------------------------------------------------------- the state machine

    /// Whether a release response must wait (Sta8): for our outgoing P-DATA, or for the
    /// answer to a request received before the A-RELEASE-RQ (with the application, or held).
    pub(super) fn release_must_wait(&self) -> bool {
        self.tx_busy()
            || matches!(self.reassembly.value, Value::Held { .. })
            || self.dimse.owes_answer()
    }

    /// Whether an outgoing message still occupies `storage.tx`.
    pub(crate) fn tx_busy(&self) -> bool {
        // `self.tx` describes a message exactly while its `Outgoing::PData` is queued (a
        // message always has a command set): no walk of the queue on every message's path.
        self.staged.is_some() || self.tx.command.1 != 0
    }

    /// Queues the message laid out in `storage.tx` (Evt9: DT-1 in Sta6, AR-7 in Sta8).
    pub(crate) fn queue_message(&mut self, now: Instant, m: TxMessage) {
        self.tx = m;
        // DT-1 and AR-7 start no timer, but the clock still moves for `poll_transmit`.
        self.now = self.now.max(now);
        self.queue(Outgoing::PData);
    }

    /// A DIMSE-level protocol error by the peer: A-ABORT (service-provider) as for an
    /// invalid PDU (Evt19).
    pub(crate) fn protocol_abort(&mut self, now: Instant, reason: AbortReason) {
        self.reassembly.release_held();
        self.dispatch(now, Input::Invalid(reason));
    }

    /// A local resource ran out, or our request timed out: A-ABORT (service-user), as
    /// [`Connection::abort`].
    pub(crate) fn local_abort(&mut self, now: Instant, origin: AbortOrigin) {
        self.reassembly.release_held();
        self.dispatch(now, Input::LocalAbort(origin));
    }

    pub(crate) fn push_event(&mut self, ev: Event) {
        // EVENT_HEADROOM guarantees room for what one step queues; if that ever failed the
        // oldest information is kept and this one dropped, which is logged.
        if self.events.push_back(ev).is_err() {
            warn!("event queue full");
        }
    }

    pub(super) fn queue(&mut self, o: Outgoing) {
        if self.txq.push_back(o).is_err() {
            warn!("transmit queue full");
        }
    }

    pub(super) fn close_transport(&mut self) {
        self.timers.stop_all();
        self.push_event(Event::Closed);
    }

    /// Queues an A-ABORT. A local abort (AA-1: the user's, or a local resource) takes the
    /// place of anything not yet sent: the association is over. A provider abort for the
    /// peer's protocol error (AA-7, AA-8) comes after the PDUs already queued: the table
    /// sent those before this event (an A-ASSOCIATE-AC, an answer), so what the peer
    /// receives must not depend on whether it sent the bad bytes in the same TCP segment.
    pub(super) fn queue_abort(&mut self, abort: Abort, keep_queued: bool) {
        if !keep_queued {
            // A PDU partly handed out is finished first: the peer must be able to frame
            // the A-ABORT.
            let partial = match self.staged {
                Some((_, sent)) if sent > 0 => self.txq.pop_front(),
                _ => {
                    self.staged = None;
                    None
                }
            };
            self.txq.clear();
            // Any P-DATA queued is dropped with the rest (a staged PDU is never P-DATA).
            self.tx = TxMessage::EMPTY;
            if let Some(p) = partial {
                self.queue(p);
            }
        }
        self.release_response_pending = false;
        self.queue(Outgoing::Abort(abort));
    }

    pub(super) fn dispatch(&mut self, now: Instant, input: Input) {
        let event = match &input {
            Input::AssociateRq(_) => ul::ProtocolEvent::AssociateRqReceived,
            Input::AssociateAc(_) => ul::ProtocolEvent::AssociateAcReceived,
            Input::AssociateRj(_) => ul::ProtocolEvent::AssociateRjReceived,
            Input::PData => ul::ProtocolEvent::PDataReceived,
            Input::ReleaseRq => ul::ProtocolEvent::ReleaseRqReceived,
            Input::ReleaseRp => ul::ProtocolEvent::ReleaseRpReceived,
            Input::Abort(_) => ul::ProtocolEvent::AbortReceived,
            Input::Invalid(_) => ul::ProtocolEvent::InvalidPdu,
            Input::TransportClosed => ul::ProtocolEvent::TransportClosed,
            Input::Artim => ul::ProtocolEvent::ArtimExpired,
            Input::LocalAbort(_) => ul::ProtocolEvent::AbortRequest,
            Input::LocalRelease => ul::ProtocolEvent::ReleaseRequest,
            Input::ReleaseResponse => ul::ProtocolEvent::ReleaseResponse,
        };
        // An A-ASSOCIATE-AC that does not answer what we proposed is an invalid PDU.
        let (event, input) = match input {
            Input::AssociateAc(false) if self.state == State::Sta5 => (
                ul::ProtocolEvent::InvalidPdu,
                Input::Invalid(AbortReason::InvalidPduParameterValue),
            ),
            other => (event, other),
        };
        self.apply(now, event, input);
    }

    pub(super) fn apply(&mut self, now: Instant, event: ul::ProtocolEvent, input: Input) {
        self.now = self.now.max(now);
        let Some(action) = ul::transition(self.state, event) else {
            debug!("no transition");
            return;
        };
        trace!("UL transition");
        let mut acceptable = true;
        if action.stops_artim() {
            self.timers.artim = None;
        }
        match action {
            Action::Ae1 | Action::Ae5 | Action::Dt1 | Action::Dt2 | Action::Ar6 | Action::Ar7 => {}
            Action::Aa6 => {}
            Action::Ae2 => {
                self.queue(Outgoing::AssociateRq);
                self.timers.acse = Some(now + self.limits().acse_timeout);
            }
            Action::Ae3 => {
                if matches!(input, Input::AssociateAc(true)) && self.neg.conclude() {
                    self.established(now);
                }
            }
            Action::Ae4 => {
                if let Input::AssociateRj(rj) = input {
                    self.push_event(Event::Rejected(rj));
                }
                self.close_transport();
            }
            Action::Ae6 => {
                if let Input::AssociateRq(outcome) = input {
                    match outcome {
                        Ok(()) => {
                            // Sta3: the policy answers for the local user at once (Evt7).
                            self.state = State::Sta3;
                            self.neg.conclude();
                            self.apply(now, ul::ProtocolEvent::AssociateAccept, Input::Artim);
                            return;
                        }
                        Err(rj) if rj.source == RejectSource::ServiceUser => {
                            self.state = State::Sta3;
                            self.apply(
                                now,
                                ul::ProtocolEvent::AssociateReject,
                                Input::AssociateRj(rj),
                            );
                            return;
                        }
                        Err(rj) => {
                            acceptable = false;
                            self.queue(Outgoing::AssociateRj(rj));
                            self.push_event(Event::Rejected(rj));
                        }
                    }
                }
            }
            Action::Ae7 => {
                self.queue(Outgoing::AssociateAc);
                if let Some(n) = self.negotiated() {
                    let ev = Event::Established {
                        calling_ae: n.calling_ae,
                        called_ae: n.called_ae,
                        peer_max_pdu_length: n.peer_max_pdu_length,
                    };
                    self.push_event(ev);
                }
                self.timers.network = Some(now + self.limits().network_timeout);
            }
            Action::Ae8 => {
                if let Input::AssociateRj(rj) = input {
                    self.queue(Outgoing::AssociateRj(rj));
                    self.push_event(Event::Rejected(rj));
                }
            }
            Action::Ar1 => {
                self.queue(Outgoing::ReleaseRq);
                self.timers.acse = Some(now + self.limits().acse_timeout);
            }
            Action::Ar2 => {
                // The release cannot be refused; answer once our outgoing P-DATA is out and
                // every request received before it is answered (AR-7 in Sta8, PS3.8 §7.2.2).
                self.state = State::Sta8;
                if self.release_must_wait() {
                    self.release_response_pending = true;
                } else {
                    self.apply(
                        now,
                        ul::ProtocolEvent::ReleaseResponse,
                        Input::ReleaseResponse,
                    );
                }
                return;
            }
            Action::Ar3 => {
                self.push_event(Event::Released);
                self.close_transport();
            }
            Action::Ar4 => {
                self.queue(Outgoing::ReleaseRp);
                self.push_event(Event::Released);
            }
            Action::Ar5 | Action::Aa5 => self.push_event(Event::Closed),
            Action::Ar8 => {
                self.state = action.next_state(self.role, true);
                if self.role == Role::Requestor {
                    // Sta9: the requestor answers the collision first (AR-9).
                    self.apply(
                        now,
                        ul::ProtocolEvent::ReleaseResponse,
                        Input::ReleaseResponse,
                    );
                }
                return;
            }
            Action::Ar9 => self.queue(Outgoing::ReleaseRp),
            Action::Ar10 => {
                // Sta12: the acceptor now answers the requestor's release (AR-4).
                self.state = State::Sta12;
                self.apply(
                    now,
                    ul::ProtocolEvent::ReleaseResponse,
                    Input::ReleaseResponse,
                );
                return;
            }
            Action::Aa1 => {
                self.queue_abort(Abort::USER, false);
                let origin = match input {
                    Input::LocalAbort(o) => o,
                    // AA-1 in Sta2: garbage before any A-ASSOCIATE-RQ; the standard names
                    // the service-user source.
                    _ => AbortOrigin::Protocol(Abort::USER),
                };
                self.push_event(Event::Aborted(origin));
            }
            Action::Aa2 => self.close_transport(),
            Action::Aa3 => {
                if let Input::Abort(a) = input {
                    self.push_event(Event::Aborted(AbortOrigin::Peer(a)));
                }
                self.close_transport();
            }
            Action::Aa4 => {
                self.push_event(Event::Aborted(AbortOrigin::TransportClosed));
                self.close_transport();
            }
            Action::Aa7 => {
                let reason = match input {
                    Input::Invalid(r) => r,
                    _ => AbortReason::UnexpectedPdu,
                };
                self.queue_abort(Abort::provider(reason), true);
            }
            Action::Aa8 => {
                let reason = match input {
                    Input::Invalid(r) => r,
                    _ => AbortReason::UnexpectedPdu,
                };
                let abort = Abort::provider(reason);
                self.queue_abort(abort, true);
                self.push_event(Event::Aborted(AbortOrigin::Protocol(abort)));
            }
        }
        if action.starts_artim(acceptable) {
            self.timers.artim = Some(now + self.limits().artim_timeout);
        }
        self.state = action.next_state(self.role, acceptable);
        if matches!(self.state, State::Sta13 | State::Sta1) {
            self.timers.association_ended();
            self.reassembly.association_ended();
            self.dimse.clear();
        }
        if self.state == State::Sta13 && matches!(self.rx, Rx::Pdv { .. } | Rx::PdvData { .. }) {
            // The rest of this P-DATA no longer matters.
            self.rx = match self.rx {
                Rx::Pdv { left } => Rx::Ignore { left },
                Rx::PdvData { left, pdv_left, .. } => Rx::Ignore {
                    left: left + pdv_left,
                },
                other => other,
            };
        }
    }

    /// Our A-ASSOCIATE-RQ was accepted: the negotiation (now `Done`) is the association's.
    pub(super) fn established(&mut self, now: Instant) {
        self.timers.acse = None;
        self.timers.network = Some(now + self.limits().network_timeout);
        if let Some(n) = self.neg.outcome(Phase::Done) {
            let ev = Event::Established {
                calling_ae: n.calling_ae,
                called_ae: n.called_ae,
                peer_max_pdu_length: n.peer_max_pdu_length,
            };
            self.push_event(ev);
        }
    }
}
