//! Deframing: the byte stream cut into PDUs, and an A-ASSOCIATE-RQ/AC walked item by item
//! (PS3.8 §9.3), each unit parsed only when whole and nothing larger than
//! [`MAX_UNIT_LEN`] ever needed at once. What a PDU means goes to the executor as an
//! `Input`; P-DATA values go to reassembly.

use super::*;

/// Where the receive side is in the byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rx {
    /// Expecting a PDU header.
    Header,
    /// Expecting the 4-byte body of a fixed-size PDU.
    Fixed(PduType),
    /// Expecting the 68 fixed bytes of an A-ASSOCIATE-RQ (`ac` false) or -AC.
    AssocFixed { ac: bool, left: u32 },
    /// Inside the variable items: `left` bytes of the PDU remain after the current item.
    AssocItems {
        ac: bool,
        left: u32,
        container: Container,
        skip: u32,
    },
    /// Inside a P-DATA-TF, expecting a PDV header (or the end).
    Pdv { left: u32 },
    /// Inside a PDV's fragment.
    PdvData {
        left: u32,
        pdv_left: u32,
        last: bool,
    },
    /// Skipping the rest of a PDU that is ignored or was answered already.
    Ignore { left: u32 },
    /// The stream cannot be framed any more: swallow everything.
    Discard,
}

/// The item being walked inside an A-ASSOCIATE-RQ/AC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Container {
    Top,
    ContextRq {
        left: u16,
    },
    ContextAc {
        left: u16,
        id: u8,
        result: u8,
        answered: bool,
    },
    UserInfo {
        left: u16,
    },
}

/// The negotiation in progress, or its outcome: the [`Negotiated`] inside stays where it
/// is built from the first item to the association's end (a move of it is a temporary of
/// 700 bytes on the stack, which a firmware task's stack would have to hold).
#[derive(Debug, Clone)]
pub(super) struct Neg {
    phase: Phase,
    side: Side,
}

/// Whose negotiation: the acceptor reads an A-ASSOCIATE-RQ, the requestor an -AC.
//
// `repr(C)`, and each negotiation's `Negotiated` first in it: the outcome is at the same
// place in both variants, so that `Neg::outcome`, which every message asks
// (`Connection::negotiated`), is one test of the phase, not a match.
#[derive(Debug, Clone)]
#[repr(C, u8)]
enum Side {
    Acceptor(AcceptorNegotiation),
    Requestor(RequestorNegotiation),
}

/// How far a negotiation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// None yet, or it failed: nothing negotiated.
    Idle,
    /// Its items are being read.
    Reading,
    /// The request or answer was read whole and is acceptable; the state machine has not
    /// acted on it yet (it waits here, not in the `Input`: an `Input` that carried it would
    /// make every caller's frame as large as a negotiation).
    Finished,
    /// The association's: what [`Connection::negotiated`] returns.
    Done,
}

impl Neg {
    /// No negotiation yet, for a connection in `role`. Inlined, so that it is written in
    /// place with the connection (see `Connection::acceptor_in`).
    #[inline(always)]
    pub(super) fn new(role: Role) -> Self {
        const UNREAD: AssociateFixed = AssociateFixed {
            protocol_version: 0,
            called_ae_field: [0; 16],
            calling_ae_field: [0; 16],
            reserved: [0; 32],
        };
        Neg {
            phase: Phase::Idle,
            side: match role {
                Role::Acceptor => Side::Acceptor(AcceptorNegotiation::new(UNREAD)),
                Role::Requestor => Side::Requestor(RequestorNegotiation::new(UNREAD)),
            },
        }
    }

    /// The outcome, when the negotiation is in `phase`.
    #[inline]
    pub(super) fn outcome(&self, phase: Phase) -> Option<&Negotiated> {
        if self.phase != phase {
            return None;
        }
        Some(match &self.side {
            Side::Acceptor(n) => n.negotiated(),
            Side::Requestor(n) => n.negotiated(),
        })
    }

    /// The negotiation whose items are being read.
    fn reading(&mut self) -> Option<&mut Side> {
        (self.phase == Phase::Reading).then_some(&mut self.side)
    }

    /// Nothing negotiated any more, unless the association was established.
    pub(super) fn abandon_unless_done(&mut self) {
        if self.phase != Phase::Done {
            self.phase = Phase::Idle;
        }
    }

    /// A new negotiation, from the fixed part of an A-ASSOCIATE-RQ (or -AC: `ac`).
    //
    // Never inlined, and the negotiations' constructors always: so that the negotiation is
    // written where it stays, through `self`, rather than built in a temporary of the
    // caller's frame and copied (1.6 KB of a firmware task's stack, measured).
    #[inline(never)]
    fn start(&mut self, fixed: AssociateFixed, ac: bool) {
        self.phase = Phase::Reading;
        self.side = if ac {
            Side::Requestor(RequestorNegotiation::new(fixed))
        } else {
            Side::Acceptor(AcceptorNegotiation::new(fixed))
        };
    }

    /// A finished negotiation becomes the association's; whether there was one.
    pub(super) fn conclude(&mut self) -> bool {
        let finished = self.phase == Phase::Finished;
        if finished {
            self.phase = Phase::Done;
        }
        finished
    }
}

// What `Connection::rx_header` assumes when it reads a P-DATA-TF in Sta6 without going
// through the state table: the table's action there is DT-2, which stays in Sta6 and neither
// starts nor stops ARTIM (for either role). With a table that said otherwise the crate would
// not compile.
const _: () = {
    use crate::ul::{transition, Action, ProtocolEvent, Role};
    let dt2 = Action::Dt2;
    assert!(matches!(
        transition(State::Sta6, ProtocolEvent::PDataReceived),
        Some(Action::Dt2)
    ));
    assert!(matches!(dt2.next_state(Role::Acceptor, true), State::Sta6));
    assert!(matches!(dt2.next_state(Role::Requestor, true), State::Sta6));
    assert!(!dt2.starts_artim(true) && !dt2.stops_artim());
};

/// Progress of one receive step.
pub(super) enum Step {
    Consumed(usize),
    /// The next unit is not complete in the input.
    NeedMore,
    /// The input cannot be taken until what `input_blocked` names is gone.
    Blocked,
}

/// What holds input back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Block {
    /// Output the caller has not drained yet: the queues' room, or PDUs that must go before
    /// the next PDU is read.
    Output,
    /// The receive storage: a command waiting to be acted on (for the application's
    /// answer), or a response not yet read.
    Storage,
}

impl<'a> Connection<'a> {
    /// The receive side is at the end of an item, a PDV or a PDU: that completion needs no
    /// more bytes, and must not wait for the next PDU to arrive.
    pub(super) fn completes_without_input(&self) -> bool {
        if self.state == State::Sta1 {
            return false;
        }
        match self.rx {
            Rx::AssocItems {
                skip: 0,
                container: Container::Top,
                left,
                ..
            } => left == 0,
            Rx::AssocItems {
                skip: 0,
                container:
                    Container::ContextRq { left: 0 }
                    | Container::ContextAc { left: 0, .. }
                    | Container::UserInfo { left: 0 },
                ..
            } => true,
            Rx::Pdv { left: 0 } => true,
            Rx::PdvData { pdv_left: 0, .. } => true,
            _ => false,
        }
    }

    /// One unit of receive progress. `Consumed(0)` is allowed when the state changed.
    pub(super) fn step(&mut self, now: Instant, input: &[u8]) -> Step {
        if matches!(self.state, State::Sta1) {
            // No association and no transport to speak of: nothing can be received.
            return Step::Consumed(input.len());
        }
        match self.rx {
            Rx::Header => self.rx_header(now, input),
            Rx::Fixed(pdu_type) => {
                let Some(body) = input.first_chunk::<4>() else {
                    return Step::NeedMore;
                };
                self.rx = Rx::Header;
                let input_ = match pdu_type {
                    PduType::AssociateRj => match AssociateRj::parse_body(*body) {
                        Ok(rj) => Input::AssociateRj(rj),
                        Err(e) => Input::Invalid(e.abort_reason()),
                    },
                    PduType::ReleaseRq => Input::ReleaseRq,
                    PduType::ReleaseRp => Input::ReleaseRp,
                    _ => Input::Abort(Abort::parse_body(*body)),
                };
                self.dispatch(now, input_);
                Step::Consumed(4)
            }
            Rx::AssocFixed { ac, left } => self.rx_assoc_fixed(input, ac, left),
            Rx::AssocItems {
                ac,
                left,
                container,
                skip,
            } => self.rx_assoc_items(now, input, ac, left, container, skip),
            Rx::Pdv { .. } | Rx::PdvData { .. } => {
                // A PDV's header and the data behind it in one step (one pass of the input
                // loop fewer per PDV), with one call of each reader (on the board, a second
                // call would keep the data reader out of line).
                let mut used = 0;
                if let Rx::Pdv { left } = self.rx {
                    match self.rx_pdv(now, input, left) {
                        Step::Consumed(n) if matches!(self.rx, Rx::PdvData { .. }) => used = n,
                        other => return other,
                    }
                }
                let Rx::PdvData {
                    left,
                    pdv_left,
                    last,
                } = self.rx
                else {
                    return Step::Consumed(used);
                };
                let rest = input.get(used..).unwrap_or(&[]);
                match self.rx_pdv_data(now, rest, left, pdv_left, last) {
                    Step::Consumed(n) => Step::Consumed(used + n),
                    // Only a header read: progress all the same.
                    other if used == 0 => other,
                    _ => Step::Consumed(used),
                }
            }
            Rx::Ignore { left } => {
                let n = input.len().min(left as usize);
                let left = left - n as u32;
                self.rx = if left == 0 {
                    Rx::Header
                } else {
                    Rx::Ignore { left }
                };
                Step::Consumed(n)
            }
            Rx::Discard => Step::Consumed(input.len()),
        }
    }

    pub(super) fn rx_header(&mut self, now: Instant, input: &[u8]) -> Step {
        if (matches!(self.reassembly.value, Value::Held { .. }) || self.release_response_pending)
            && !self.txq.is_empty()
        {
            // What the PDUs read so far caused must happen before the next PDU is read: a
            // command held behind the busy transmit buffer, or an A-RELEASE-RP waiting for
            // that output, goes ahead as soon as the caller drains `poll_output`.
            // Otherwise a protocol error in the next PDU would abort the association first,
            // and what the peer gets would depend on how its bytes were cut into reads. The
            // caller keeps the rest and feeds it again after the drain, as for any
            // unconsumed input. (A wait for the application's answer does not stop input:
            // the peer may still abort, or break the protocol, meanwhile.)
            self.input_blocked = Some(Block::Output);
            return Step::Blocked;
        }
        let header = match PduHeader::parse(input) {
            Ok(Parse::Partial) => return Step::NeedMore,
            Ok(Parse::Complete(h, _)) => h,
            Err(e) => {
                // An unknown type still has a length: skip it so the stream stays framed.
                let length = input
                    .get(2..6)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map_or(0, u32::from_be_bytes);
                self.rx = Rx::Ignore { left: length };
                if length == 0 {
                    self.rx = Rx::Header;
                }
                self.dispatch(now, Input::Invalid(e.abort_reason()));
                return Step::Consumed(PDU_HEADER_LEN);
            }
        };
        let length = header.length;
        let ignore = |length: u32| {
            if length == 0 {
                Rx::Header
            } else {
                Rx::Ignore { left: length }
            }
        };
        match header.pdu_type {
            PduType::AssociateRq | PduType::AssociateAc => {
                let ac = header.pdu_type == PduType::AssociateAc;
                let wanted = if ac {
                    self.state == State::Sta5
                } else {
                    self.state == State::Sta2
                };
                if !wanted {
                    // Unexpected here: the table answers at once; the body is not needed.
                    self.rx = ignore(length);
                    let ev = if ac {
                        Input::AssociateAc(false)
                    } else {
                        Input::AssociateRq(Err(AssociateRj::PROVIDER_NO_REASON))
                    };
                    self.dispatch(now, ev);
                } else if (length as usize) < AssociateFixed::LEN
                    || length > self.limits().max_associate_length
                {
                    self.rx = ignore(length);
                    self.dispatch(now, Input::Invalid(AbortReason::InvalidPduParameterValue));
                } else {
                    self.rx = Rx::AssocFixed { ac, left: length };
                }
            }
            PduType::PDataTf => {
                // PS3.8 §9.3.5: one or more PDV items; an empty P-DATA-TF is invalid. Our
                // Maximum Length, unless it is 0 (no limit, PS3.8 §D.1), bounds the rest.
                let max = self.limits().max_pdu_length;
                if matches!(self.state, State::Sta6 | State::Sta7)
                    && ((max != 0 && length > max) || length == 0)
                {
                    self.rx = ignore(length);
                    self.dispatch(now, Input::Invalid(AbortReason::InvalidPduParameterValue));
                } else if self.state == State::Sta6 {
                    // Evt10 in Sta6 is DT-2 (PS3.8 Table 9-10): the state stays, no timer
                    // moves, nothing is sent, the PDVs are read (a check of the table at
                    // compile time, above `Step`, holds it to that). Every P-DATA of an
                    // established association comes this way: spared the table's general
                    // path.
                    self.now = self.now.max(now);
                    self.rx = Rx::Pdv { left: length };
                } else {
                    let before = self.state;
                    self.dispatch(now, Input::PData);
                    // DT-2 / AR-6 keep the state: read the PDVs. Anything else answered it.
                    self.rx = if self.state == before && matches!(before, State::Sta6 | State::Sta7)
                    {
                        if length == 0 {
                            Rx::Header
                        } else {
                            Rx::Pdv { left: length }
                        }
                    } else {
                        ignore(length)
                    };
                }
            }
            fixed => {
                if length as usize == pdu::FIXED_BODY_LEN {
                    self.rx = Rx::Fixed(fixed);
                } else {
                    self.rx = ignore(length);
                    self.dispatch(now, Input::Invalid(AbortReason::InvalidPduParameterValue));
                }
            }
        }
        Step::Consumed(PDU_HEADER_LEN)
    }

    /// A framing error inside a PDU: abort as the table says, and skip what the PDU-length
    /// still covers so that a following PDU (in Sta13) is read correctly.
    pub(super) fn rx_invalid(&mut self, now: Instant, e: ParseError, rest_of_pdu: u32) -> Step {
        self.rx = if rest_of_pdu == 0 {
            Rx::Header
        } else {
            Rx::Ignore { left: rest_of_pdu }
        };
        self.neg.abandon_unless_done();
        self.dispatch(now, Input::Invalid(e.abort_reason()));
        Step::Consumed(0)
    }

    /// The 68 fixed bytes of an A-ASSOCIATE-RQ/AC: the negotiation starts. Never inlined,
    /// as the item walk below: the negotiation's state is large, and a frame of
    /// `handle_input` that held it would be on the stack for every P-DATA too (the
    /// firmware's association task measures it).
    #[inline(never)]
    fn rx_assoc_fixed(&mut self, input: &[u8], ac: bool, left: u32) -> Step {
        let Parse::Complete(fixed, n) = AssociateFixed::parse(input) else {
            return Step::NeedMore;
        };
        self.neg.start(fixed, ac);
        self.rx = Rx::AssocItems {
            ac,
            left: left.saturating_sub(AssociateFixed::LEN as u32),
            container: Container::Top,
            skip: 0,
        };
        Step::Consumed(n)
    }

    #[inline(never)]
    pub(super) fn rx_assoc_items(
        &mut self,
        now: Instant,
        input: &[u8],
        ac: bool,
        left: u32,
        container: Container,
        skip: u32,
    ) -> Step {
        if skip > 0 {
            let n = input.len().min(skip as usize);
            self.rx = Rx::AssocItems {
                ac,
                left,
                container,
                skip: skip - n as u32,
            };
            return Step::Consumed(n);
        }
        let set = |c: &mut Self, left: u32, container: Container, skip: u32| {
            c.rx = Rx::AssocItems {
                ac,
                left,
                container,
                skip,
            };
        };
        match container {
            Container::Top => {
                if left == 0 {
                    self.rx = Rx::Header;
                    self.finish_associate(now, ac);
                    return Step::Consumed(0);
                }
                let Parse::Complete(h, _) = ItemHeader::parse(input) else {
                    if left < ItemHeader::LEN as u32 {
                        return self.rx_invalid(now, ParseError::InvalidLength, left);
                    }
                    return Step::NeedMore;
                };
                let total = h.total_len() as u32;
                if total > left {
                    return self.rx_invalid(now, ParseError::InvalidLength, left);
                }
                let left = left - total;
                match (h.item_type, ac) {
                    (0x10, _) if h.total_len() <= MAX_UNIT_LEN => {
                        let Some(body) = input.get(ItemHeader::LEN..h.total_len()) else {
                            return Step::NeedMore;
                        };
                        let item =
                            SubItem::from_body(0x10, body).unwrap_or(SubItem::Malformed(0x10));
                        match self.neg.reading() {
                            Some(Side::Acceptor(n)) => n.application_context(&item),
                            Some(Side::Requestor(n)) => n.application_context(&item),
                            None => {}
                        }
                        set(self, left, Container::Top, 0);
                        Step::Consumed(h.total_len())
                    }
                    (0x20, false) | (0x21, true) => {
                        // The 4 fixed bytes (ID, reserved, result, reserved) must fit the item.
                        if h.length < 4 {
                            // `left` no longer counts this item, none of which was consumed.
                            return self.rx_invalid(now, ParseError::InvalidLength, left + total);
                        }
                        let Some(&[id, _, result, _]) = input.get(4..8) else {
                            return Step::NeedMore;
                        };
                        let inner = h.length - 4;
                        let container = if ac {
                            Container::ContextAc {
                                left: inner,
                                id,
                                result,
                                answered: false,
                            }
                        } else {
                            if let Some(Side::Acceptor(n)) = self.neg.reading() {
                                n.context_start(id);
                            }
                            Container::ContextRq { left: inner }
                        };
                        set(self, left, container, 0);
                        Step::Consumed(8)
                    }
                    (0x50, _) => {
                        set(self, left, Container::UserInfo { left: h.length }, 0);
                        Step::Consumed(ItemHeader::LEN)
                    }
                    (0x10, _) => {
                        // An application context name too long to be a UID.
                        if let Some(Side::Acceptor(n)) = self.neg.reading() {
                            n.application_context(&SubItem::Malformed(0x10));
                        }
                        set(self, left, Container::Top, u32::from(h.length));
                        Step::Consumed(ItemHeader::LEN)
                    }
                    _ => {
                        // Unknown items are ignored (PS3.8 §9.3.1).
                        set(self, left, Container::Top, u32::from(h.length));
                        Step::Consumed(ItemHeader::LEN)
                    }
                }
            }
            Container::ContextRq { left: cl }
            | Container::ContextAc { left: cl, .. }
            | Container::UserInfo { left: cl } => {
                if cl == 0 {
                    self.end_container(container);
                    set(self, left, Container::Top, 0);
                    return Step::Consumed(0);
                }
                let Parse::Complete(h, _) = ItemHeader::parse(input) else {
                    if cl < ItemHeader::LEN as u16 {
                        return self.rx_invalid(
                            now,
                            ParseError::InvalidLength,
                            left + u32::from(cl),
                        );
                    }
                    return Step::NeedMore;
                };
                let total = h.total_len();
                if total > usize::from(cl) {
                    return self.rx_invalid(now, ParseError::InvalidLength, left + u32::from(cl));
                }
                let cl_after = cl - total as u16;
                let container_after = match container {
                    Container::ContextRq { .. } => Container::ContextRq { left: cl_after },
                    Container::ContextAc {
                        id,
                        result,
                        answered,
                        ..
                    } => Container::ContextAc {
                        left: cl_after,
                        id,
                        result,
                        answered,
                    },
                    _ => Container::UserInfo { left: cl_after },
                };
                if total > MAX_UNIT_LEN {
                    // Too large to need whole: a UID this long is malformed, a long user
                    // identity (a token) cannot be checked, anything else is skipped.
                    let item = match h.item_type {
                        0x58 => None,
                        t => Some(SubItem::Malformed(t)),
                    };
                    match (item, self.neg.reading()) {
                        (None, Some(Side::Acceptor(n))) => {
                            if let Syntaxes::Acceptor(p) = self.syntaxes {
                                n.user_identity_unreadable(p);
                            }
                        }
                        (Some(item), _) => self.feed_sub_item(container, &item),
                        _ => {}
                    }
                    set(self, left, container_after, u32::from(h.length));
                    return Step::Consumed(ItemHeader::LEN);
                }
                let item = match SubItem::parse(input) {
                    Ok(Parse::Complete(item, _)) => item,
                    Ok(Parse::Partial) => return Step::NeedMore,
                    // Nothing of this sub-item was consumed: skip it and the rest of the PDU.
                    Err(e) => return self.rx_invalid(now, e, left + u32::from(cl)),
                };
                let container_after = match (container_after, item) {
                    (
                        Container::ContextAc {
                            left,
                            id,
                            result,
                            answered: false,
                        },
                        SubItem::TransferSyntax(_) | SubItem::Malformed(0x40),
                    ) => {
                        self.feed_sub_item(container, &item);
                        Container::ContextAc {
                            left,
                            id,
                            result,
                            answered: true,
                        }
                    }
                    (c, _) => {
                        self.feed_sub_item(container, &item);
                        c
                    }
                };
                set(self, left, container_after, 0);
                Step::Consumed(total)
            }
        }
    }

    pub(super) fn feed_sub_item(&mut self, container: Container, item: &SubItem<'_>) {
        match (self.neg.reading(), self.syntaxes, container) {
            (Some(Side::Acceptor(n)), Syntaxes::Acceptor(p), Container::ContextRq { .. }) => {
                n.context_sub_item(p, item)
            }
            (Some(Side::Acceptor(n)), Syntaxes::Acceptor(p), Container::UserInfo { .. }) => {
                n.user_info_sub_item(p, item)
            }
            (
                Some(Side::Requestor(n)),
                Syntaxes::Requestor(c),
                Container::ContextAc {
                    id,
                    result,
                    answered: false,
                    ..
                },
            ) => match item {
                SubItem::TransferSyntax(ts) => n.context(c, id, result, Some(ts)),
                SubItem::Malformed(0x40) => n.context(c, id, result, None),
                _ => {}
            },
            (Some(Side::Requestor(n)), _, Container::UserInfo { .. }) => n.user_info_sub_item(item),
            _ => {}
        }
    }

    pub(super) fn end_container(&mut self, container: Container) {
        match (self.neg.reading(), self.syntaxes, container) {
            (Some(Side::Acceptor(n)), Syntaxes::Acceptor(p), Container::ContextRq { .. }) => {
                n.context_end(p)
            }
            (
                Some(Side::Requestor(n)),
                Syntaxes::Requestor(c),
                Container::ContextAc {
                    id,
                    result,
                    answered: false,
                    ..
                },
            ) => n.context(c, id, result, None),
            _ => {}
        }
    }

    pub(super) fn finish_associate(&mut self, now: Instant, ac: bool) {
        let input = match (self.neg.reading(), self.syntaxes, ac) {
            (Some(Side::Acceptor(n)), Syntaxes::Acceptor(p), false) => {
                Input::AssociateRq(match self.refusal {
                    Some(rj) => Err(rj),
                    None => n.finish(p),
                })
            }
            (Some(Side::Requestor(n)), Syntaxes::Requestor(c), true) => {
                Input::AssociateAc(n.finish(c))
            }
            _ => Input::Invalid(AbortReason::UnexpectedPdu),
        };
        self.neg.phase = match input {
            Input::AssociateRq(Ok(())) | Input::AssociateAc(true) => Phase::Finished,
            _ => Phase::Idle,
        };
        self.dispatch(now, input);
    }
}
