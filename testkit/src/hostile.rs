//! The hostile-input catalogue: named byte sequences a peer may send an acceptor, each with
//! the exact reaction PS3.8 / PS3.7 prescribe and the section that prescribes it.
//!
//! [`catalogue`] returns every [`Case`]: its name (`group/what`), the [`Step`]s the hostile
//! peer takes (bytes, pauses, a close), the [`Reply`]s the acceptor must send, and
//! [`Case::reference`], where the standard says so. The comment above each case in this
//! file's source says which reading it takes where the standard leaves the reaction open.
//!
//! Played by three runs in this repository: `core/tests/hostile.rs` feeds every case to an
//! acceptor `Connection` with a simulated clock; `std-adapter/tests/hostile.rs` plays it
//! against the tokio server (or a server at `DIMSE_HOSTILE_ADDR`, or the firmware image at
//! `DIMSE_HOSTILE_TARGET`) over real sockets; `std-adapter/tests/traces.rs` records each case
//! as a trace. Each compares what the acceptor sent, parsed by a [`Transcript`], with
//! [`Case::expect`].
//!
//! The bytes are built with dimse-core's own emitters (`AssociateRq::emit`, `NGetRq`,
//! `PDataTf`, ...) and then corrupted, so each case reads as "a valid X, except ...".
//!
//! Conventions of an expectation:
//! * [`Reply::Mark`] stands where the case has a [`Step::Mark`]: the replies before it have
//!   arrived by then and nothing else has (the socket run waits for the expected replies,
//!   then 25 ms more, then puts the mark). "No answer yet" is a mark with nothing new before
//!   it.
//! * [`Reply::Closed`]: the acceptor closed the transport (core: `Event::Closed`; socket:
//!   end of stream).
//! * A-ABORT source 0 = service-user (reason "not significant", sent as 0), source 2 =
//!   service-provider with Table 9-26 reasons. A-ASSOCIATE-RJ result/source/reason as in
//!   Table 9-21.
//! * The acceptor under test is set up as [`policy`] says (its timers are [`limits`]), and
//!   its application answers N-GET with the demo Display System data set
//!   (`dimse_core::service::display::DEMO`) at once, except a request whose Attribute
//!   Identifier List names [`SLOW_TAG`]: that one is answered [`SLOW_MS`] later (to hold the
//!   acceptor in Sta8).
//!
//! Where the standard leaves the reaction open (an abort's reason code, the reject reason
//! for a malformed request, a DIMSE status for a malformed command), the comment above the
//! case says which reading it takes. A case the core does not meet keeps the standard's
//! expectation and carries [`Case::known_deviation`], which the runs print loudly.

use dimse_core::assoc::{AcceptorPolicy, Limits};
use dimse_core::dataset::Tag;
use dimse_core::dimse::{CEchoRq, Command, NGetRq};
use dimse_core::pdu::{
    Abort, AbortReason, AeTitle, AssociateAc, AssociateFixed, AssociateRj, AssociateRq, Item,
    ItemIter, MessageControlHeader, PDataTf, Pdv, PresentationContextAc, PresentationContextRq,
    UserIdentityRq, UserIdentityType, UserInformation, APPLICATION_CONTEXT_NAME,
};
use dimse_core::ul::State;
use dimse_core::{Duration, Instant};

use crate::pair::Peer;

// ---------------------------------------------------------------- configuration

/// ARTIM of the acceptor under test (PS3.8 §9.1.5 leaves the value to the implementation).
pub const ARTIM_MS: u64 = 300;
/// The acceptor's network timeout: no byte for this long on an established association.
pub const NETWORK_MS: u64 = 600;
/// The DIMSE timeout (the application's time to answer).
pub const DIMSE_MS: u64 = 5_000;
/// How late the application answers an N-GET that asks for [`SLOW_TAG`].
pub const SLOW_MS: u64 = 200;
/// A private tag the demo data set does not have: asking for it makes the answer slow (and
/// 0107H, the tag being missing).
pub const SLOW_TAG: Tag = Tag::new(0x0013, 0x0010);
/// A pause that outlasts ARTIM from any point it may have been started.
pub const PAST_ARTIM: u64 = ARTIM_MS + 100;

/// The Display System SOP Class (PS3.4 Annex EE).
pub const DISPLAY_SYSTEM: &str = "1.2.840.10008.5.1.1.40";
/// The Display System SOP Instance, a well-known instance (PS3.4 Annex EE).
pub const DISPLAY_INSTANCE: &str = "1.2.840.10008.5.1.1.40.1";
/// The Verification SOP Class (C-ECHO).
pub const VERIFICATION: &str = "1.2.840.10008.1.1";
/// The Printer SOP Class (Print Management): an N-GET class the acceptor does not serve.
pub const PRINTER: &str = "1.2.840.10008.5.1.1.16";
/// Implicit VR Little Endian, the default transfer syntax (PS3.5 §10.1).
pub const IMPLICIT: &str = "1.2.840.10008.1.2";
/// Explicit VR Little Endian (PS3.5 Annex A).
pub const EXPLICIT: &str = "1.2.840.10008.1.2.1";
/// The Implementation Class UID the catalogue's requests carry.
pub const IMPL_UID: &str = "1.2.826.0.1.3680043.9.3811.6.6";
/// A transfer syntax UID one byte too long.
pub const TS_65: &str = "1.2.840.10008.1.2.1234567890.1234567890.1234567890.12345678901234";
/// Manufacturer (0008,0070): an attribute the demo data set has.
pub const MANUFACTURER: Tag = Tag::new(0x0008, 0x0070);

/// The acceptor's limits in both runs: small timers, so that the socket run stays fast.
pub fn limits() -> Limits {
    Limits {
        artim_timeout: Duration::from_millis(ARTIM_MS),
        network_timeout: Duration::from_millis(NETWORK_MS),
        dimse_timeout: Duration::from_millis(DIMSE_MS),
        ..Limits::DEFAULT
    }
}

/// The SOP classes the acceptor serves (the tokio server's defaults).
pub static SERVED: [&str; 2] = [DISPLAY_SYSTEM, VERIFICATION];

/// The acceptor policy of the core run (the server builds the same from its defaults).
pub fn policy() -> AcceptorPolicy<'static> {
    let mut p = AcceptorPolicy::new(ae("DISPLAY"), &SERVED);
    p.limits = limits();
    p
}

/// An AE title from a valid string (panics on an invalid one: test data).
pub fn ae(s: &str) -> AeTitle {
    AeTitle::new(s).unwrap()
}

// ---------------------------------------------------------------- cases

/// What the hostile peer does, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Bytes, written at once (one `handle_input` offer / one `write_all`).
    Send(Vec<u8>),
    /// Bytes, as `Send`; then the socket run waits for the acceptor's next reply before it
    /// goes on. Used for the A-ASSOCIATE-RQ that opens a case: an error that follows in the
    /// same TCP segment would otherwise abort before the A-ASSOCIATE-AC leaves (see
    /// `seq/associate-rq-and-garbage-in-one-write`), and the case is about the error.
    SendAwait(Vec<u8>),
    /// Time passes without a byte (simulated in the core run, slept in the socket run).
    Pause(u64),
    /// The peer closes its side of the transport (Evt17 for the acceptor).
    Close,
    /// A checkpoint: see [`Reply::Mark`].
    Mark,
    /// Core run only: the acceptor is in this UL state here.
    State(State),
    /// Core run only: the acceptor's own user asks for a release (A-RELEASE-RQ, Evt11).
    LocalRelease,
}

/// One thing the acceptor did, as the peer sees it.
#[derive(Clone, PartialEq, Eq)]
pub enum Reply {
    /// A-ASSOCIATE-AC with its presentation contexts' (ID, Result/Reason).
    Ac(Vec<(u8, u8)>),
    /// A-ASSOCIATE-RJ: result, source, reason (Table 9-21).
    Rj(u8, u8, u8),
    /// A-ABORT: source, reason (Table 9-26).
    Abort(u8, u8),
    /// A-RELEASE-RQ.
    ReleaseRq,
    /// A-RELEASE-RP.
    ReleaseRp,
    /// A DIMSE response, reassembled from its P-DATA-TF PDUs.
    Rsp {
        /// Command Field (0000,0100).
        command_field: u16,
        /// Message ID Being Responded To (0000,0120).
        message_id: u16,
        /// Status (0000,0900); FFFFH when absent.
        status: u16,
        /// Whether a data set follows (Command Data Set Type (0000,0800) other than 0101H).
        data_set: bool,
    },
    /// Anything else (a PDU type the acceptor should never send, a stray fragment).
    Other(String),
    /// A checkpoint: see [`Step::Mark`].
    Mark,
    /// The transport closed.
    Closed,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reply::Ac(pcs) => {
                write!(f, "AC[")?;
                if pcs.len() > 6 {
                    write!(f, "{} contexts, {} accepted", pcs.len(), accepted(pcs))?;
                } else {
                    for (i, (id, r)) in pcs.iter().enumerate() {
                        write!(f, "{}{id}:{r}", if i > 0 { " " } else { "" })?;
                    }
                }
                write!(f, "]")
            }
            Reply::Rj(r, s, d) => write!(f, "RJ({r},{s},{d})"),
            Reply::Abort(s, r) => write!(f, "ABORT({s},{r})"),
            Reply::ReleaseRq => write!(f, "RELEASE-RQ"),
            Reply::ReleaseRp => write!(f, "RELEASE-RP"),
            Reply::Rsp {
                command_field,
                message_id,
                status,
                data_set,
            } => write!(
                f,
                "{:04X}H#{message_id} {status:04X}H{}",
                command_field,
                if *data_set { "+data" } else { "" }
            ),
            Reply::Other(s) => write!(f, "OTHER({s})"),
            Reply::Mark => write!(f, "|"),
            Reply::Closed => write!(f, "CLOSED"),
        }
    }
}

fn accepted(pcs: &[(u8, u8)]) -> usize {
    pcs.iter().filter(|(_, r)| *r == 0).count()
}

/// A check beyond the replies (on the raw PDUs the acceptor sent, and the case's steps).
pub type Check = fn(&Transcript, &[Step]) -> Result<(), String>;

/// One hostile input and the reaction the standard prescribes.
#[derive(Clone)]
pub struct Case {
    /// `group/name`.
    pub name: String,
    /// What the peer does, in order.
    pub steps: Vec<Step>,
    /// What the acceptor sends, in order, with a [`Reply::Mark`] for each [`Step::Mark`].
    pub expect: Vec<Reply>,
    /// The core does not do what the standard prescribes (the expectation stays the
    /// standard's): the runs print this loudly instead of failing.
    pub known_deviation: Option<&'static str>,
    /// Needs a local action of the acceptor's user ([`Step::LocalRelease`]): the tokio
    /// server never releases by itself, so the socket run skips it.
    pub core_only: bool,
    /// Whether the socket run plays it (long timer families are sampled there).
    pub socket: bool,
    /// A check beyond the replies, if any.
    pub check: Option<Check>,
    /// Where the standard prescribes the expected reaction (part, section, table), e.g.
    /// `PS3.8 §9.3.1; Table 9-10 Evt19`; the comment above the case in the source narrows
    /// it to the row or clause.
    pub reference: &'static str,
}

impl Case {
    /// A case that every run plays, with no deviation and no extra check.
    pub fn new(name: impl Into<String>, steps: Vec<Step>, expect: Vec<Reply>) -> Self {
        Case {
            name: name.into(),
            steps,
            expect,
            known_deviation: None,
            core_only: false,
            socket: true,
            check: None,
            reference: "",
        }
    }

    /// Marks the case as one the core does not meet (the expectation stays the standard's).
    pub fn deviation(mut self, why: &'static str) -> Self {
        self.known_deviation = Some(why);
        self
    }

    /// Marks the case as needing a local action of the acceptor's user (not played over a
    /// socket).
    pub fn core_only(mut self) -> Self {
        self.core_only = true;
        self.socket = false;
        self
    }

    /// Whether the socket run plays it.
    pub fn socket(mut self, yes: bool) -> Self {
        self.socket = yes && !self.core_only;
        self
    }

    /// Adds a check beyond the replies.
    pub fn check(mut self, c: Check) -> Self {
        self.check = Some(c);
        self
    }

    /// The group, before the slash.
    pub fn group(&self) -> &str {
        self.name.split('/').next().unwrap_or("")
    }

    /// Replies other than marks.
    pub fn expected_replies(&self) -> usize {
        self.expect.iter().filter(|r| **r != Reply::Mark).count()
    }
}

// ---------------------------------------------------------------- the acceptor's output, parsed

/// What the acceptor sent, parsed into [`Reply`]s as the bytes arrive (in any chunks).
#[derive(Debug, Default, Clone)]
pub struct Transcript {
    /// The replies so far, with the marks put between them.
    pub replies: Vec<Reply>,
    /// Every PDU, whole.
    pub pdus: Vec<Vec<u8>>,
    buf: Vec<u8>,
    command: Vec<u8>,
    awaiting_data: Option<Reply>,
    /// The largest P-DATA-TF body received (to check the negotiated maximum).
    pub largest_pdata: u32,
    /// Whether the transport closed ([`Transcript::close`]).
    pub closed: bool,
}

impl Transcript {
    /// Parses more of what the acceptor sent (any chunking).
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        while self.buf.len() >= 6 {
            let len = u32::from_be_bytes(self.buf[2..6].try_into().unwrap()) as usize;
            if len > 1 << 20 {
                let t = self.buf[0];
                self.replies
                    .push(Reply::Other(format!("PDU {t:02X}H of {len} bytes")));
                self.buf.clear();
                return;
            }
            if self.buf.len() < 6 + len {
                return;
            }
            let pdu: Vec<u8> = self.buf.drain(..6 + len).collect();
            self.pdu(&pdu);
            self.pdus.push(pdu);
        }
    }

    fn pdu(&mut self, pdu: &[u8]) {
        let body = &pdu[6..];
        let fixed = |i: usize| body.get(i).copied().unwrap_or(0xEE);
        let r = match pdu[0] {
            0x02 => Reply::Ac(ac_contexts(pdu)),
            0x03 => Reply::Rj(fixed(1), fixed(2), fixed(3)),
            0x04 => return self.pdata(body),
            0x05 => Reply::ReleaseRq,
            0x06 => Reply::ReleaseRp,
            0x07 => Reply::Abort(fixed(2), fixed(3)),
            t => Reply::Other(format!("PDU type {t:02X}H")),
        };
        self.replies.push(r);
    }

    fn pdata(&mut self, body: &[u8]) {
        self.largest_pdata = self.largest_pdata.max(body.len() as u32);
        let mut rest = body;
        while rest.len() >= 6 {
            let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            let Some(frag) = rest.get(6..4 + len) else {
                self.replies
                    .push(Reply::Other("PDV overruns its PDU".into()));
                return;
            };
            let mch = rest[5];
            if mch & 1 == 1 {
                self.command.extend_from_slice(frag);
                if mch & 2 == 2 {
                    let c = Command::parse(&self.command);
                    let rsp = Reply::Rsp {
                        command_field: c.command_field.map_or(0, |f| f.0),
                        message_id: c.message_id_being_responded_to.unwrap_or(0),
                        status: c.status.unwrap_or(0xFFFF),
                        data_set: c.has_data_set(),
                    };
                    let has_data_set = c.has_data_set();
                    self.command.clear();
                    if has_data_set {
                        self.awaiting_data = Some(rsp);
                    } else {
                        self.replies.push(rsp);
                    }
                }
            } else if mch & 2 == 2 {
                match self.awaiting_data.take() {
                    Some(r) => self.replies.push(r),
                    None => self
                        .replies
                        .push(Reply::Other("data set without command".into())),
                }
            }
            rest = &rest[4 + len..];
        }
    }

    /// Puts a [`Reply::Mark`] after the replies so far.
    pub fn mark(&mut self) {
        self.replies.push(Reply::Mark);
    }

    /// The transport closed (idempotent).
    pub fn close(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        if !self.buf.is_empty() {
            self.replies.push(Reply::Other(format!(
                "{} bytes of a truncated PDU",
                self.buf.len()
            )));
            self.buf.clear();
        }
        self.replies.push(Reply::Closed);
    }

    /// Replies other than marks.
    pub fn count(&self) -> usize {
        self.replies.iter().filter(|r| **r != Reply::Mark).count()
    }
}

fn ac_contexts(pdu: &[u8]) -> Vec<(u8, u8)> {
    ItemIter::new(pdu.get(74..).unwrap_or(&[]))
        .filter_map(|i| match i {
            Ok(Item::PresentationContextAc(id, result, _)) => Some((id, result)),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------- playing a case

/// Plays `case` against `peer` on a simulated clock that starts at [`Instant::ZERO`], the
/// way `core/tests/hostile.rs` plays it against dimse-core: each [`Step::Send`] is one
/// [`Peer::input`], a [`Step::Pause`] fires every timer the peer asks for up to its end, a
/// [`Step::Close`] is [`Peer::transport_closed`]; after each step, what the peer sent is
/// parsed into the [`Transcript`], which closes when the peer does. Compare
/// [`Transcript::replies`] with [`Case::expect`] (and run [`Case::check`]).
///
/// The peer is an acceptor set up as [`policy`] says whose application answers N-GETs as the
/// module documentation says. Steps only the core run can take ([`Step::State`],
/// [`Step::LocalRelease`]) are left out: skip the cases marked [`Case::core_only`].
pub fn play(peer: &mut impl Peer, case: &Case) -> Transcript {
    let mut t = Transcript::default();
    let mut now = Instant::ZERO;
    listen(peer, now, &mut t);
    for step in &case.steps {
        match step {
            Step::Send(b) | Step::SendAwait(b) if !t.closed => peer.input(now, b),
            Step::Pause(ms) => {
                let end = Instant::from_millis(now.as_millis() + ms);
                // Bounded: a peer whose timer stays due is not waited on forever.
                for _ in 0..1000 {
                    match peer.poll_timeout() {
                        Some(at) if at <= end => {
                            now = now.max(at);
                            peer.handle_timeout(now);
                            listen(peer, now, &mut t);
                        }
                        _ => break,
                    }
                }
                now = end;
            }
            Step::Close if !t.closed => {
                peer.transport_closed(now);
                listen(peer, now, &mut t);
                t.close();
            }
            Step::Mark => t.mark(),
            _ => {}
        }
        listen(peer, now, &mut t);
    }
    t
}

/// What the peer sent by `now`, into `t`; the transport closes when the peer has closed it.
fn listen(peer: &mut impl Peer, now: Instant, t: &mut Transcript) {
    if !t.closed {
        t.feed(&peer.output(now));
        if peer.is_closed() {
            t.close();
        }
    }
}

// ---------------------------------------------------------------- building bytes

/// The contexts a well-behaved requestor proposes: Display System (Explicit, Implicit) and
/// Verification (Implicit).
pub static CONTEXTS: [PresentationContextRq<'static>; 2] = [
    PresentationContextRq {
        id: 1,
        abstract_syntax: DISPLAY_SYSTEM,
        transfer_syntaxes: &[EXPLICIT, IMPLICIT],
    },
    PresentationContextRq {
        id: 3,
        abstract_syntax: VERIFICATION,
        transfer_syntaxes: &[IMPLICIT],
    },
];

/// A valid A-ASSOCIATE-RQ, as a value to adjust before emitting.
pub fn rq_spec() -> AssociateRq<'static> {
    AssociateRq {
        fixed: AssociateFixed::new(ae("DISPLAY"), ae("HOSTILE")),
        application_context: APPLICATION_CONTEXT_NAME,
        presentation_contexts: &CONTEXTS,
        user_information: UserInformation {
            max_length: 16382,
            implementation_class_uid: IMPL_UID,
            implementation_version_name: Some("HOSTILE_1"),
            ..UserInformation::default()
        },
    }
}

/// The bytes of an A-ASSOCIATE-RQ.
pub fn emit_rq(rq: &AssociateRq<'_>) -> Vec<u8> {
    let mut b = vec![0; rq.buffer_len()];
    let n = rq.emit(&mut b).unwrap();
    b.truncate(n);
    b
}

/// The valid A-ASSOCIATE-RQ.
pub fn rq() -> Vec<u8> {
    emit_rq(&rq_spec())
}

/// A valid A-ASSOCIATE-RQ changed by `f` before emitting.
pub fn rq_with(f: impl FnOnce(&mut AssociateRq<'static>)) -> Vec<u8> {
    let mut spec = rq_spec();
    f(&mut spec);
    emit_rq(&spec)
}

/// Presentation contexts leaked for a `'static` request.
fn contexts(pcs: Vec<PresentationContextRq<'static>>) -> &'static [PresentationContextRq<'static>] {
    Box::leak(pcs.into_boxed_slice())
}

fn pc(
    id: u8,
    abstract_syntax: &'static str,
    ts: &'static [&'static str],
) -> PresentationContextRq<'static> {
    PresentationContextRq {
        id,
        abstract_syntax,
        transfer_syntaxes: ts,
    }
}

/// Display System on 1 and `other` (abstract syntax, transfer syntaxes) on 3.
fn with_context_3(abstract_syntax: &'static str, ts: &'static [&'static str]) -> Vec<u8> {
    rq_with(|r| {
        r.presentation_contexts = contexts(vec![
            pc(1, DISPLAY_SYSTEM, &[EXPLICIT, IMPLICIT]),
            pc(3, abstract_syntax, ts),
        ])
    })
}

/// A top-level item of an A-ASSOCIATE PDU: (offset, type, total length).
pub fn items(pdu: &[u8]) -> Vec<(usize, u8, usize)> {
    walk(pdu, 74, pdu.len())
}

/// The sub-items of the item at `parent` (a 20H item's start after its 4 fixed bytes).
pub fn sub_items(pdu: &[u8], parent: usize) -> Vec<(usize, u8, usize)> {
    let len = u16::from_be_bytes([pdu[parent + 2], pdu[parent + 3]]) as usize;
    let start = parent + if pdu[parent] == 0x20 { 8 } else { 4 };
    walk(pdu, start, parent + 4 + len)
}

fn walk(pdu: &[u8], mut at: usize, end: usize) -> Vec<(usize, u8, usize)> {
    let mut v = Vec::new();
    while at + 4 <= end {
        let total = 4 + u16::from_be_bytes([pdu[at + 2], pdu[at + 3]]) as usize;
        v.push((at, pdu[at], total));
        at += total;
    }
    v
}

/// The first top-level item of type `t`.
pub fn item(pdu: &[u8], t: u8) -> (usize, u8, usize) {
    *items(pdu).iter().find(|i| i.1 == t).expect("item")
}

/// The first sub-item of type `t` of the first item of type `parent`.
pub fn sub_item(pdu: &[u8], parent: u8, t: u8) -> (usize, u8, usize) {
    let p = item(pdu, parent);
    *sub_items(pdu, p.0)
        .iter()
        .find(|i| i.1 == t)
        .expect("sub-item")
}

/// Replaces `range` with `with`, fixing the PDU-length and the lengths of the enclosing
/// items at `parents` (offsets before `range`).
pub fn splice(pdu: &mut Vec<u8>, range: std::ops::Range<usize>, with: &[u8], parents: &[usize]) {
    let delta = with.len() as i64 - range.len() as i64;
    pdu.splice(range, with.iter().copied());
    let len = u32::from_be_bytes(pdu[2..6].try_into().unwrap()) as i64 + delta;
    pdu[2..6].copy_from_slice(&(len as u32).to_be_bytes());
    for &p in parents {
        let l = u16::from_be_bytes([pdu[p + 2], pdu[p + 3]]) as i64 + delta;
        pdu[p + 2..p + 4].copy_from_slice(&(l as u16).to_be_bytes());
    }
}

/// Writes a big-endian `u16` at `at` (PDU and item fields are big-endian, PS3.8 §9.3.1).
pub fn set_u16(pdu: &mut [u8], at: usize, v: u16) {
    pdu[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

/// Writes a big-endian `u32` at `at`.
pub fn set_u32(pdu: &mut [u8], at: usize, v: u32) {
    pdu[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// A P-DATA-TF of PDVs `(context ID, Message Control Header, fragment)`.
pub fn pdata(pdvs: &[(u8, u8, &[u8])]) -> Vec<u8> {
    let pdvs: Vec<Pdv<'_>> = pdvs
        .iter()
        .map(|&(context_id, mch, data)| Pdv {
            context_id,
            control: MessageControlHeader(mch),
            data,
        })
        .collect();
    let p = PDataTf { pdvs: &pdvs };
    let mut b = vec![0; p.buffer_len()];
    let n = p.emit(&mut b).unwrap();
    b.truncate(n);
    b
}

/// A whole command set in one PDV (MCH 03H) on context `ctx`.
pub fn command(ctx: u8, cmd: &[u8]) -> Vec<u8> {
    pdata(&[(ctx, 0x03, cmd)])
}

/// An N-GET-RQ command set for the Display System instance.
pub fn n_get_rq(message_id: u16, attributes: Option<&[Tag]>) -> Vec<u8> {
    let mut b = vec![0; 4096];
    let n = NGetRq {
        message_id,
        requested_sop_class_uid: DISPLAY_SYSTEM,
        requested_sop_instance_uid: DISPLAY_INSTANCE,
        attribute_identifier_list: attributes,
    }
    .emit(&mut b)
    .unwrap();
    b.truncate(n);
    b
}

/// An N-GET-RQ in one P-DATA-TF on context 1.
pub fn n_get(message_id: u16) -> Vec<u8> {
    command(1, &n_get_rq(message_id, None))
}

/// An N-GET-RQ the application answers [`SLOW_MS`] late (0107H: [`SLOW_TAG`] is missing).
pub fn n_get_slow(message_id: u16) -> Vec<u8> {
    command(1, &n_get_rq(message_id, Some(&[MANUFACTURER, SLOW_TAG])))
}

/// A C-ECHO-RQ command set for the Verification SOP Class.
pub fn c_echo_rq(message_id: u16) -> Vec<u8> {
    let mut b = vec![0; 256];
    let n = CEchoRq {
        message_id,
        affected_sop_class_uid: VERIFICATION,
    }
    .emit(&mut b)
    .unwrap();
    b.truncate(n);
    b
}

/// A C-ECHO-RQ in one P-DATA-TF on context 3.
pub fn c_echo(message_id: u16) -> Vec<u8> {
    command(3, &c_echo_rq(message_id))
}

/// A command set from raw group-0000 elements `(element, value)`; the group length first.
pub fn raw_command(elements: &[(u16, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (e, v) in elements {
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&e.to_le_bytes());
        body.extend_from_slice(&(v.len() as u32).to_le_bytes());
        body.extend_from_slice(v);
    }
    let mut out = vec![0, 0, 0, 0, 4, 0, 0, 0];
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

const CLASS_UI: &[u8] = b"1.2.840.10008.5.1.1.40\0\0";
const INSTANCE_UI: &[u8] = b"1.2.840.10008.5.1.1.40.1\0\0";
const NO_DATA_SET: &[u8] = &[0x01, 0x01];
const DATA_SET: &[u8] = &[0x01, 0x00];

fn us(v: u16) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// An A-RELEASE-RQ PDU.
pub fn release_rq() -> Vec<u8> {
    let mut b = vec![0; 10];
    dimse_core::pdu::ReleaseRq.emit(&mut b).unwrap();
    b
}

/// An A-RELEASE-RP PDU.
pub fn release_rp() -> Vec<u8> {
    let mut b = vec![0; 10];
    dimse_core::pdu::ReleaseRp.emit(&mut b).unwrap();
    b
}

/// An A-ABORT PDU from the service user (reason not significant, sent as 0).
pub fn abort_pdu() -> Vec<u8> {
    let mut b = vec![0; 10];
    Abort::USER.emit(&mut b).unwrap();
    b
}

/// An A-ABORT PDU from the service provider, reason unexpected-PDU (Table 9-26).
pub fn provider_abort_pdu() -> Vec<u8> {
    let mut b = vec![0; 10];
    Abort::provider(AbortReason::UnexpectedPdu)
        .emit(&mut b)
        .unwrap();
    b
}

/// An A-ASSOCIATE-RJ PDU: rejected permanent, service user, no reason given (1/1/1).
pub fn associate_rj() -> Vec<u8> {
    let mut b = vec![0; 10];
    AssociateRj::USER_NO_REASON.emit(&mut b).unwrap();
    b
}

/// An A-ASSOCIATE-AC PDU (which an acceptor never expects to receive).
pub fn associate_ac() -> Vec<u8> {
    let ac = AssociateAc {
        fixed: AssociateFixed::new(ae("DISPLAY"), ae("HOSTILE")),
        application_context: APPLICATION_CONTEXT_NAME,
        presentation_contexts: &[PresentationContextAc {
            id: 1,
            result: 0,
            transfer_syntax: IMPLICIT,
        }],
        user_information: UserInformation {
            max_length: 16382,
            implementation_class_uid: IMPL_UID,
            ..UserInformation::default()
        },
    };
    let mut b = vec![0; ac.buffer_len()];
    let n = ac.emit(&mut b).unwrap();
    b.truncate(n);
    b
}

/// A PDU header of `pdu_type` and `length` followed by `body`.
pub fn raw_pdu(pdu_type: u8, length: u32, body: &[u8]) -> Vec<u8> {
    let mut v = vec![pdu_type, 0];
    v.extend_from_slice(&length.to_be_bytes());
    v.extend_from_slice(body);
    v
}

// ---------------------------------------------------------------- steps and replies

/// Bytes, written at once.
pub fn send(b: Vec<u8>) -> Step {
    Step::Send(b)
}

/// The peer's A-ABORT after an error: the acceptor, in Sta13, closes at once (AA-2), which
/// also shows it kept the byte stream framed across the error.
pub fn peer_abort() -> Step {
    Step::Send(abort_pdu())
}

/// The valid A-ASSOCIATE-RQ, answered before the case goes on.
pub fn assoc() -> Step {
    Step::SendAwait(rq())
}

/// An A-ASSOCIATE-RQ, answered before the case goes on.
pub fn associate(b: Vec<u8>) -> Step {
    Step::SendAwait(b)
}

/// Every byte a separate write.
pub fn bytewise(b: &[u8]) -> Vec<Step> {
    b.iter().map(|&x| Step::Send(vec![x])).collect()
}

/// The A-ASSOCIATE-AC of the valid request: both contexts accepted.
pub fn ac() -> Reply {
    Reply::Ac(vec![(1, 0), (3, 0)])
}

/// An A-ASSOCIATE-RJ with result, source and reason (Table 9-21).
pub fn rj(result: u8, source: u8, reason: u8) -> Reply {
    Reply::Rj(result, source, reason)
}

/// An A-ABORT with source and reason (Table 9-26).
pub fn abort(source: u8, reason: u8) -> Reply {
    Reply::Abort(source, reason)
}

/// A-ABORT by the service user (AA-1: reason not significant, sent 0).
pub fn user_abort() -> Reply {
    Reply::Abort(0, 0)
}

/// An N-GET-RSP with its status, and whether it carries a data set.
pub fn n_get_rsp(message_id: u16, status: u16, data_set: bool) -> Reply {
    Reply::Rsp {
        command_field: 0x8110,
        message_id,
        status,
        data_set,
    }
}

/// The C-ECHO-RSP to `message_id`, status Success.
pub fn echo_rsp(message_id: u16) -> Reply {
    Reply::Rsp {
        command_field: 0x8030,
        message_id,
        status: 0,
        data_set: false,
    }
}

use Reply::{Closed, Mark, ReleaseRp};
use Step::{Close, LocalRelease, Pause};

/// [`Step::Mark`], in a list of steps (`Mark` alone is the reply).
const MARK: Step = Step::Mark;

/// The orderly end of a case that leaves the association established: the peer releases,
/// gets the A-RELEASE-RP, and closes (AR-2, AR-4, then AR-5 in Sta13).
fn release_and_close() -> Vec<Step> {
    vec![send(release_rq()), Close]
}

fn then(mut a: Vec<Step>, b: Vec<Step>) -> Vec<Step> {
    a.extend(b);
    a
}

/// Abort reasons (Table 9-26, service-provider source).
const UNRECOGNIZED_PDU: u8 = 1;
const UNEXPECTED_PDU: u8 = 2;
const INVALID_PARAMETER: u8 = 6;

// ---------------------------------------------------------------- the catalogue

/// Every case, named cases first, then the generated truncation families.
pub fn catalogue() -> Vec<Case> {
    let groups = [
        (pdu_cases(), PDU_REFERENCE),
        (associate_cases(), ASSOCIATE_REFERENCE),
        (pdata_cases(), PDATA_REFERENCE),
        (sequence_cases(), SEQUENCE_REFERENCE),
        (abort_and_close_cases(), ABORT_AND_CLOSE_REFERENCE),
        (timer_and_slow_cases(), TIMER_REFERENCE),
        (truncations(), TRUNCATION_REFERENCE),
    ];
    let mut v = Vec::new();
    for (cases, reference) in groups {
        v.extend(cases.into_iter().map(|mut c| {
            if c.reference.is_empty() {
                c.reference = reference;
            }
            c
        }));
    }
    v
}

const PDU_REFERENCE: &str = "PS3.8 §9.3.1; Table 9-10 Evt19";
const ASSOCIATE_REFERENCE: &str = "PS3.8 §9.3.2, Annex D, Annex F; PS3.7 Annex D.3";
const PDATA_REFERENCE: &str = "PS3.8 §9.3.5, Annex E; PS3.7 §6.3, §9, §10";
const SEQUENCE_REFERENCE: &str = "PS3.8 §9.2.3, Table 9-10";
const ABORT_AND_CLOSE_REFERENCE: &str = "PS3.8 §9.2.3, Table 9-10 Evt16, Evt17";
const TIMER_REFERENCE: &str =
    "PS3.8 §9.1.5 (ARTIM); Table 9-10 Evt18, and Evt15 (the network timeout as our user's abort)";
const TRUNCATION_REFERENCE: &str =
    "PS3.8 §9.2.3, Table 9-10 Evt17, Evt18, and Evt15 (the network timeout as our user's abort)";

/// PDU framing: types, lengths, reserved fields (PS3.8 §9.3.1, Table 9-10 Evt19).
fn pdu_cases() -> Vec<Case> {
    vec![
        // Sta2 + Evt19 (unrecognized PDU) = AA-1: A-ABORT with the service-user source,
        // then Sta13 until ARTIM (AA-2).
        Case::new(
            "pdu/unknown-type-08-before-association",
            vec![send(raw_pdu(0x08, 4, &[0; 4])), MARK, Pause(PAST_ARTIM)],
            vec![user_abort(), Mark, Closed],
        ),
        Case::new(
            "pdu/http-request-before-association",
            vec![
                send(b"GET / HTTP/1.1\r\nHost: display\r\n\r\n".to_vec()),
                Close,
            ],
            vec![user_abort(), Closed],
        ),
        Case::new(
            "pdu/tls-client-hello-to-plain-port",
            vec![
                send(vec![
                    0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03,
                ]),
                Close,
            ],
            vec![user_abort(), Closed],
        ),
        // Sta6 + Evt19 = AA-8: A-ABORT (service-provider, unrecognized-PDU).
        Case::new(
            "pdu/unknown-type-08-in-sta6",
            vec![assoc(), send(raw_pdu(0x08, 4, &[0; 4])), peer_abort()],
            vec![ac(), abort(2, UNRECOGNIZED_PDU), Closed],
        ),
        Case::new(
            "pdu/reserved-type-00-in-sta6",
            vec![assoc(), send(raw_pdu(0x00, 4, &[0; 4])), peer_abort()],
            vec![ac(), abort(2, UNRECOGNIZED_PDU), Closed],
        ),
        Case::new(
            "pdu/reserved-type-ff-in-sta6",
            vec![assoc(), send(raw_pdu(0xFF, 0, &[])), Close],
            vec![ac(), abort(2, UNRECOGNIZED_PDU), Closed],
        ),
        // A-ASSOCIATE-RQ PDU-lengths that cannot be right: Evt19 in Sta2, AA-1.
        Case::new(
            "pdu/associate-rq-length-0",
            vec![send(raw_pdu(0x01, 0, &[])), peer_abort()],
            vec![user_abort(), Closed],
        ),
        Case::new(
            "pdu/associate-rq-length-below-fixed-part",
            vec![
                send({
                    let mut b = rq();
                    set_u32(&mut b, 2, 67);
                    b.truncate(6 + 67);
                    b
                }),
                peer_abort(),
            ],
            vec![user_abort(), Closed],
        ),
        // Beyond our limit (64 KiB): answered from the header alone, the body never read.
        Case::new(
            "pdu/associate-rq-length-over-limit",
            vec![
                send({
                    let mut b = rq();
                    set_u32(&mut b, 2, 65537);
                    b
                }),
                Close,
            ],
            vec![user_abort(), Closed],
        ),
        // P-DATA-TF longer than our Maximum-length-received (16382): "a protocol error"
        // (PS3.8 D.1), Evt19 in Sta6: AA-8, invalid-PDU-parameter value.
        Case::new(
            "pdu/pdata-length-over-max-length",
            vec![assoc(), send(raw_pdu(0x04, 16383, &[0; 64])), Close],
            vec![ac(), abort(2, INVALID_PARAMETER), Closed],
        ),
        // §9.3.5: the variable field "shall contain one or more Presentation-data-value
        // Items". An empty P-DATA-TF is an invalid PDU: Evt19 in Sta6, AA-8.
        Case::new(
            "pdu/pdata-length-0",
            vec![assoc(), send(raw_pdu(0x04, 0, &[])), MARK, Close],
            vec![ac(), abort(2, INVALID_PARAMETER), Mark, Closed],
        ),
        // Fixed-length PDUs (PDU-length 4) with another length: invalid, AA-8.
        Case::new(
            "pdu/release-rq-length-0",
            vec![assoc(), send(raw_pdu(0x05, 0, &[])), peer_abort()],
            vec![ac(), abort(2, INVALID_PARAMETER), Closed],
        ),
        Case::new(
            "pdu/abort-length-6",
            vec![assoc(), send(raw_pdu(0x07, 6, &[0; 6])), peer_abort()],
            vec![ac(), abort(2, INVALID_PARAMETER), Closed],
        ),
        // The PDU-length covers more than its PDV: the next PDU's bytes (an A-RELEASE-RQ)
        // are read as a PDV whose Item-length overruns the PDU. AA-8.
        Case::new(
            "pdu/pdata-length-larger-than-its-pdv",
            vec![
                assoc(),
                send({
                    let first = &n_get_rq(1, None)[..20];
                    let mut b = pdata(&[(1, 0x01, first)]);
                    let len = b.len() as u32 - 6 + 10;
                    set_u32(&mut b, 2, len);
                    b.extend(release_rq());
                    b
                }),
                peer_abort(),
            ],
            vec![ac(), abort(2, INVALID_PARAMETER), Closed],
        ),
        // The PDU-length promises 20 bytes more than the items: the acceptor waits for
        // them (no answer), and ARTIM, still running in Sta2, closes (AA-2, nothing sent).
        Case::new(
            "pdu/associate-rq-length-larger-than-items",
            vec![
                send({
                    let mut b = rq();
                    let len = b.len() as u32 - 6 + 20;
                    set_u32(&mut b, 2, len);
                    b
                }),
                MARK,
                Pause(PAST_ARTIM),
            ],
            vec![Mark, Closed],
        ),
        // Shorter than the items: the user-information item overruns the PDU. AA-1.
        Case::new(
            "pdu/associate-rq-length-shorter-than-items",
            vec![
                send({
                    let mut b = rq();
                    let len = b.len() as u32 - 6 - 2;
                    set_u32(&mut b, 2, len);
                    b.truncate(b.len() - 2);
                    b
                }),
                peer_abort(),
            ],
            vec![user_abort(), Closed],
        ),
        // §9.3.1: reserved fields are "not tested" on receipt; the AC echoes bytes 11-74.
        Case::new(
            "pdu/reserved-fields-not-tested",
            then(
                vec![send({
                    let mut b = rq_with(|r| r.fixed.reserved = [0xA5; 32]);
                    b[1] = 0xFF; // PDU reserved byte
                    set_u16(&mut b, 8, 0xBEEF); // bytes 9-10
                    let (p, ..) = item(&b, 0x20);
                    b[p + 1] = 0x77; // item reserved byte
                    b[p + 5] = 0x66; // presentation context reserved bytes 6-8
                    b[p + 6] = 0x55;
                    b[p + 7] = 0x44;
                    b
                })],
                release_and_close(),
            ),
            vec![ac(), ReleaseRp, Closed],
        )
        .check(ac_echoes_rq_fields),
    ]
}

/// PS3.8 §9.3.3: the AC's bytes 11-74 carry what the RQ had.
fn ac_echoes_rq_fields(t: &Transcript, steps: &[Step]) -> Result<(), String> {
    let Some(Step::Send(rq)) = steps.first() else {
        return Err("no request".into());
    };
    let ac = t.pdus.first().ok_or("no AC")?;
    if ac.get(10..74) == rq.get(10..74) {
        Ok(())
    } else {
        Err("the A-ASSOCIATE-AC does not echo bytes 11-74 of the A-ASSOCIATE-RQ".into())
    }
}

/// A-ASSOCIATE-RQ contents (PS3.8 §9.3.2, Annex D, F; PS3.7 Annex D.3).
fn associate_cases() -> Vec<Case> {
    let uid_65 = "1.2.840.10008.5.1.1.40.1234567890.1234567890.1234567890.123456789";
    assert_eq!((uid_65.len(), TS_65.len()), (65, 65));
    vec![
        // §9.3.2: a receiver "shall only test that bit 0 is set"; without it, AE-6 rejects:
        // permanent, service-provider (ACSE), protocol-version-not-supported.
        Case::new(
            "assoc/protocol-version-2",
            vec![send(rq_with(|r| r.fixed.protocol_version = 2)), Close],
            vec![rj(1, 2, 2), Closed],
        ),
        Case::new(
            "assoc/protocol-version-0",
            vec![
                send(rq_with(|r| r.fixed.protocol_version = 0)),
                MARK,
                Pause(PAST_ARTIM),
            ],
            vec![rj(1, 2, 2), Mark, Closed],
        ),
        Case::new(
            "assoc/protocol-version-ffff-has-bit-0",
            then(
                vec![send(rq_with(|r| r.fixed.protocol_version = 0xFFFF))],
                release_and_close(),
            ),
            vec![ac(), ReleaseRp, Closed],
        ),
        // Item-lengths overrunning their parent: framing broken, Evt19 in Sta2, AA-1.
        Case::new(
            "assoc/presentation-context-overruns-pdu",
            vec![
                send({
                    let mut b = rq();
                    let (p, ..) = item(&b, 0x20);
                    set_u16(&mut b, p + 2, 0x4000);
                    b
                }),
                peer_abort(),
            ],
            vec![user_abort(), Closed],
        ),
        Case::new(
            "assoc/abstract-syntax-overruns-context",
            vec![
                send({
                    let mut b = rq();
                    let (s, ..) = sub_item(&b, 0x20, 0x30);
                    set_u16(&mut b, s + 2, 200);
                    b
                }),
                peer_abort(),
            ],
            vec![user_abort(), Closed],
        ),
        Case::new(
            "assoc/user-info-sub-item-overruns-item",
            vec![
                send({
                    let mut b = rq();
                    let (s, ..) = sub_item(&b, 0x50, 0x55);
                    set_u16(&mut b, s + 2, 100);
                    b
                }),
                peer_abort(),
            ],
            vec![user_abort(), Closed],
        ),
        // Maximum Length has a fixed Item-length of 4 (D.1).
        Case::new(
            "assoc/max-length-item-length-6",
            vec![
                send({
                    let mut b = rq();
                    let (u, ..) = item(&b, 0x50);
                    let (s, _, total) = sub_item(&b, 0x50, 0x51);
                    let mut m = b[s..s + total].to_vec();
                    m[3] = 6;
                    m.extend([0, 0]);
                    splice(&mut b, s..s + total, &m, &[u]);
                    b
                }),
                peer_abort(),
            ],
            vec![user_abort(), Closed],
        ),
        // A presentation context item too short for its 4 fixed bytes.
        Case::new(
            "assoc/presentation-context-item-length-2",
            vec![
                send({
                    let mut b = rq();
                    let pcs: Vec<_> = items(&b).into_iter().filter(|i| i.1 == 0x20).collect();
                    let (p3, _, total) = pcs[1];
                    splice(&mut b, p3..p3 + total, &[0x20, 0, 0, 2, 3, 0], &[]);
                    b
                }),
                peer_abort(),
            ],
            vec![user_abort(), Closed],
        ),
        // No or another application context: rejected-permanent, service-user,
        // application-context-name-not-supported (Table 9-21).
        Case::new(
            "assoc/no-application-context",
            vec![
                send({
                    let mut b = rq();
                    let (a, _, total) = item(&b, 0x10);
                    splice(&mut b, a..a + total, &[], &[]);
                    b
                }),
                Close,
            ],
            vec![rj(1, 1, 2), Closed],
        ),
        Case::new(
            "assoc/wrong-application-context",
            vec![
                send(rq_with(|r| r.application_context = "1.2.840.10008.3.1.1.2")),
                Close,
            ],
            vec![rj(1, 1, 2), Closed],
        ),
        Case::new(
            "assoc/application-context-65-bytes",
            vec![send(rq_with(|r| r.application_context = uid_65)), Close],
            vec![rj(1, 1, 2), Closed],
        ),
        // §9.3.2: "one Application Context Item": two make the request unacceptable to the
        // service provider (AE-6): 1/2/1.
        Case::new(
            "assoc/two-application-contexts",
            vec![
                send({
                    let mut b = rq();
                    let (a, _, total) = item(&b, 0x10);
                    let app = b[a..a + total].to_vec();
                    splice(&mut b, a..a, &app, &[]);
                    b
                }),
                Close,
            ],
            vec![rj(1, 2, 1), Closed],
        ),
        // §9.3.2: one or more presentation context items; none is not a valid request.
        Case::new(
            "assoc/no-presentation-context",
            vec![send(rq_with(|r| r.presentation_contexts = &[])), Close],
            vec![rj(1, 2, 1), Closed],
        ),
        // IDs are odd, 1 to 255, unique (§9.3.2.2): 129 contexts must repeat one.
        Case::new(
            "assoc/129-presentation-contexts",
            vec![
                send(rq_with(|r| {
                    r.presentation_contexts = contexts(
                        (0..129u32)
                            .map(|i| pc((2 * i + 1) as u8, DISPLAY_SYSTEM, &[IMPLICIT]))
                            .collect(),
                    )
                })),
                Close,
            ],
            vec![rj(1, 2, 1), Closed],
        ),
        // 128 distinct contexts is the most there can be: accepted, each answered.
        Case::new(
            "assoc/128-presentation-contexts",
            then(
                vec![send(rq_with(|r| {
                    r.presentation_contexts = contexts(
                        (0..128u32)
                            .map(|i| {
                                let a = if i % 2 == 0 { DISPLAY_SYSTEM } else { PRINTER };
                                pc((2 * i + 1) as u8, a, &[IMPLICIT])
                            })
                            .collect(),
                    )
                }))],
                release_and_close(),
            ),
            vec![
                Reply::Ac(
                    (0..128u8)
                        .map(|i| (2 * i + 1, if i % 2 == 0 { 0 } else { 3 }))
                        .collect(),
                ),
                ReleaseRp,
                Closed,
            ],
        ),
        Case::new(
            "assoc/even-context-id",
            vec![
                send(rq_with(|r| {
                    r.presentation_contexts =
                        contexts(vec![pc(2, DISPLAY_SYSTEM, &[EXPLICIT, IMPLICIT])])
                })),
                Close,
            ],
            vec![rj(1, 2, 1), Closed],
        ),
        Case::new(
            "assoc/duplicate-context-id",
            vec![
                send(rq_with(|r| {
                    r.presentation_contexts = contexts(vec![
                        pc(1, DISPLAY_SYSTEM, &[EXPLICIT]),
                        pc(1, VERIFICATION, &[IMPLICIT]),
                    ])
                })),
                Close,
            ],
            vec![rj(1, 2, 1), Closed],
        ),
        // A context without transfer syntax (§9.3.2.2 wants one or more): that context is
        // refused (4, transfer-syntaxes-not-supported), the association goes on.
        Case::new(
            "assoc/empty-transfer-syntax-list",
            then(
                vec![send(with_context_3(VERIFICATION, &[]))],
                release_and_close(),
            ),
            vec![Reply::Ac(vec![(1, 0), (3, 4)]), ReleaseRp, Closed],
        ),
        Case::new(
            "assoc/context-without-abstract-syntax",
            then(
                vec![send({
                    let mut b = with_context_3(VERIFICATION, &[IMPLICIT]);
                    let pcs: Vec<_> = items(&b).into_iter().filter(|i| i.1 == 0x20).collect();
                    let p3 = pcs[1].0;
                    let (s, _, total) = sub_items(&b, p3)[0];
                    splice(&mut b, s..s + total, &[], &[p3]);
                    b
                })],
                release_and_close(),
            ),
            vec![Reply::Ac(vec![(1, 0), (3, 3)]), ReleaseRp, Closed],
        ),
        // UIDs (Annex F: digits and dots, at most 64, no padding). A malformed abstract
        // syntax is not one we support (3); a malformed transfer syntax not one we accept (4).
        Case::new(
            "assoc/abstract-syntax-uid-65-bytes",
            then(
                vec![send(with_context_3(uid_65, &[IMPLICIT]))],
                release_and_close(),
            ),
            vec![Reply::Ac(vec![(1, 0), (3, 3)]), ReleaseRp, Closed],
        ),
        Case::new(
            "assoc/transfer-syntax-uid-65-bytes",
            then(
                vec![send(with_context_3(VERIFICATION, &[TS_65]))],
                release_and_close(),
            ),
            vec![Reply::Ac(vec![(1, 0), (3, 4)]), ReleaseRp, Closed],
        ),
        Case::new(
            "assoc/abstract-syntax-uid-with-space",
            then(
                vec![send(with_context_3("1.2.840.10008.1.1 ", &[IMPLICIT]))],
                release_and_close(),
            ),
            vec![Reply::Ac(vec![(1, 0), (3, 3)]), ReleaseRp, Closed],
        ),
        Case::new(
            "assoc/abstract-syntax-uid-with-letter",
            then(
                vec![send(with_context_3("1.2.840.1OOO8.1.1", &[IMPLICIT]))],
                release_and_close(),
            ),
            vec![Reply::Ac(vec![(1, 0), (3, 3)]), ReleaseRp, Closed],
        ),
        Case::new(
            "assoc/transfer-syntax-uid-with-space",
            then(
                vec![send(with_context_3(VERIFICATION, &[" 1.2.840.10008.1.2"]))],
                release_and_close(),
            ),
            vec![Reply::Ac(vec![(1, 0), (3, 4)]), ReleaseRp, Closed],
        ),
        // A trailing NUL (DIMSE-style padding some peers send in UL items): accepted.
        Case::new(
            "assoc/uids-with-trailing-nul",
            then(
                vec![send(rq_with(|r| {
                    r.application_context = "1.2.840.10008.3.1.1.1\0";
                    r.presentation_contexts = contexts(vec![
                        pc(1, "1.2.840.10008.5.1.1.40\0", &["1.2.840.10008.1.2.1\0"]),
                        pc(3, "1.2.840.10008.1.1\0", &["1.2.840.10008.1.2\0"]),
                    ])
                }))],
                then(vec![send(n_get(1))], release_and_close()),
            ),
            vec![ac(), n_get_rsp(1, 0, true), ReleaseRp, Closed],
        ),
        // AE titles (Table 9-11): all spaces "shall not be used"; ISO 646 G0 only.
        Case::new(
            "assoc/calling-ae-all-spaces",
            vec![
                send(rq_with(|r| r.fixed.calling_ae_field = [b' '; 16])),
                Close,
            ],
            vec![rj(1, 1, 3), Closed],
        ),
        Case::new(
            "assoc/called-ae-all-spaces",
            vec![
                send(rq_with(|r| r.fixed.called_ae_field = [b' '; 16])),
                Close,
            ],
            vec![rj(1, 1, 7), Closed],
        ),
        Case::new(
            "assoc/calling-ae-non-ascii",
            vec![
                send(rq_with(|r| {
                    r.fixed.calling_ae_field = *b"H\xc3\xb6STILE        "
                })),
                Close,
            ],
            vec![rj(1, 1, 3), Closed],
        ),
        Case::new(
            "assoc/called-ae-control-characters",
            vec![
                send(rq_with(|r| {
                    r.fixed.called_ae_field = *b"DISP\x07\x1bLAY       "
                })),
                Close,
            ],
            vec![rj(1, 1, 7), Closed],
        ),
        // Maximum Length (D.1): 0 = no limit; the response then goes in one P-DATA-TF.
        Case::new(
            "assoc/max-length-0-means-no-limit",
            then(
                vec![
                    send(rq_with(|r| r.user_information.max_length = 0)),
                    send(n_get(1)),
                ],
                release_and_close(),
            ),
            vec![ac(), n_get_rsp(1, 0, true), ReleaseRp, Closed],
        ),
        // 8 is the least that carries a 2-byte fragment: accepted, and everything sent
        // within it.
        Case::new(
            "assoc/max-length-8",
            then(
                vec![
                    send(rq_with(|r| r.user_information.max_length = 8)),
                    send(c_echo(1)),
                    send(n_get(2)),
                ],
                release_and_close(),
            ),
            vec![ac(), echo_rsp(1), n_get_rsp(2, 0, true), ReleaseRp, Closed],
        )
        .check(|t, _| {
            if t.largest_pdata <= 8 {
                Ok(())
            } else {
                Err(format!(
                    "P-DATA-TF of {} bytes to a peer taking 8",
                    t.largest_pdata
                ))
            }
        }),
        // An odd maximum: fragments stay even (Annex E.1), PDUs within 11.
        Case::new(
            "assoc/max-length-11",
            then(
                vec![
                    associate(rq_with(|r| r.user_information.max_length = 11)),
                    send(n_get(1)),
                ],
                release_and_close(),
            ),
            vec![ac(), n_get_rsp(1, 0, true), ReleaseRp, Closed],
        )
        .check(|t, _| {
            let odd = t.pdus.iter().filter(|p| p[0] == 4).any(|p| {
                // One PDV per PDU from this acceptor; a fragment that is not the last
                // must be even.
                p[11] & 2 == 0 && (p.len() - 12) % 2 == 1
            });
            match (t.largest_pdata <= 11, odd) {
                (true, false) => Ok(()),
                _ => Err(format!(
                    "largest P-DATA-TF {}, odd non-last fragment {odd}",
                    t.largest_pdata
                )),
            }
        }),
        // Below 8 no even fragment fits a P-DATA-TF: the association could carry nothing.
        // The standard sets no minimum; the acceptor refuses it as the service provider
        // (1/2/1) rather than accept an association it cannot answer on.
        Case::new(
            "assoc/max-length-4",
            vec![send(rq_with(|r| r.user_information.max_length = 4)), Close],
            vec![rj(1, 2, 1), Closed],
        ),
        // D.1 / PS3.7 D.3.3.1: the Maximum Length sub-item is required.
        Case::new(
            "assoc/no-max-length-sub-item",
            vec![
                send({
                    let mut b = rq();
                    let (u, ..) = item(&b, 0x50);
                    let (s, _, total) = sub_item(&b, 0x50, 0x51);
                    splice(&mut b, s..s + total, &[], &[u]);
                    b
                }),
                Close,
            ],
            vec![rj(1, 2, 1), Closed],
        ),
        // User Identity (PS3.7 D.3.3.7.1) with lengths that do not add up: framing broken.
        Case::new(
            "assoc/user-identity-primary-length-overruns",
            vec![
                send(user_identity_rq(|b, s| set_u16(b, s + 6, 200))),
                peer_abort(),
            ],
            vec![user_abort(), Closed],
        ),
        Case::new(
            "assoc/user-identity-secondary-length-short",
            vec![
                send(user_identity_rq(|b, s| {
                    // primary "alice" (5) at s+8, secondary length at s+13
                    set_u16(b, s + 13, 3)
                })),
                peer_abort(),
            ],
            vec![user_abort(), Closed],
        ),
        Case::new(
            "assoc/user-identity-item-length-1",
            vec![
                send({
                    let mut b = user_identity_rq(|_, _| {});
                    let (u, ..) = item(&b, 0x50);
                    let (s, _, total) = sub_item(&b, 0x50, 0x58);
                    splice(&mut b, s..s + total, &[0x58, 0, 0, 1, 2], &[u]);
                    b
                }),
                peer_abort(),
            ],
            vec![user_abort(), Closed],
        ),
        // §9.3.1 and D.2: unknown items and sub-items are ignored, never a reason to reject.
        Case::new(
            "assoc/unknown-items-ignored",
            then(
                vec![send({
                    let mut b = rq();
                    let (u, ..) = item(&b, 0x50);
                    splice(&mut b, u..u, &[0x33, 0, 0, 3, 1, 2, 3], &[]);
                    let (u, _, total) = item(&b, 0x50);
                    let end = u + total;
                    splice(&mut b, end..end, &[0xA0, 0, 0, 2, 9, 9], &[u]);
                    b
                })],
                release_and_close(),
            ),
            vec![ac(), ReleaseRp, Closed],
        ),
    ]
}

/// The valid request with a User Identity sub-item (type 2, "alice"/"secret"), changed by
/// `f(bytes, offset of the 58H sub-item)`.
fn user_identity_rq(f: impl FnOnce(&mut Vec<u8>, usize)) -> Vec<u8> {
    let mut b = rq_with(|r| {
        r.user_information.user_identity_rq = Some(UserIdentityRq {
            identity_type: UserIdentityType::UsernamePasscode,
            positive_response_requested: true,
            primary_field: b"alice",
            secondary_field: b"secret",
        })
    });
    let (s, ..) = sub_item(&b, 0x50, 0x58);
    f(&mut b, s);
    b
}

/// P-DATA-TF and DIMSE (PS3.8 §9.3.5, Annex E; PS3.7 §6.3, §9, §10).
fn pdata_cases() -> Vec<Case> {
    let nget = n_get_rq(1, None);
    vec![
        // A PDV whose Item-length runs past the PDU: Evt19, AA-8, invalid parameter value.
        Case::new(
            "pdata/pdv-length-past-pdu",
            vec![
                assoc(),
                send({
                    let mut b = n_get(1);
                    let l = u32::from_be_bytes(b[6..10].try_into().unwrap());
                    set_u32(&mut b, 6, l + 10);
                    b
                }),
                peer_abort(),
            ],
            vec![ac(), abort(2, INVALID_PARAMETER), Closed],
        ),
        // Item-length 1 cannot hold the context ID and the control header.
        Case::new(
            "pdata/pdv-item-length-1",
            vec![
                assoc(),
                send(raw_pdu(0x04, 6, &[0, 0, 0, 1, 1, 3])),
                peer_abort(),
            ],
            vec![ac(), abort(2, INVALID_PARAMETER), Closed],
        ),
        // A context that was never proposed, or proposed and rejected: no presentation
        // context carries it (§9.3.5.1, §7.1.1.13). AA-8.
        Case::new(
            "pdata/unnegotiated-context-5",
            vec![assoc(), send(command(5, &nget)), peer_abort()],
            vec![ac(), abort(2, INVALID_PARAMETER), Closed],
        ),
        Case::new(
            "pdata/rejected-context-3",
            vec![
                associate(with_context_3(PRINTER, &[IMPLICIT])),
                send(command(3, &c_echo_rq(1))),
                peer_abort(),
            ],
            vec![
                Reply::Ac(vec![(1, 0), (3, 3)]),
                abort(2, INVALID_PARAMETER),
                Closed,
            ],
        ),
        // Annex E.1: fragments in order, command before data. N-SET-RQ announces a data set
        // (answered 0211H at once); then a data fragment, then a command fragment.
        Case::new(
            "pdata/command-fragment-after-data-fragment",
            vec![
                assoc(),
                send(command(
                    1,
                    &raw_command(&[
                        (0x0003, CLASS_UI),
                        (0x0100, &us(0x0120)),
                        (0x0110, &us(7)),
                        (0x0800, DATA_SET),
                        (0x1001, INSTANCE_UI),
                    ]),
                )),
                MARK,
                send(pdata(&[(1, 0x00, &[0x55; 8])])),
                send(pdata(&[(1, 0x03, &c_echo_rq(8))])),
                peer_abort(),
            ],
            vec![
                ac(),
                Reply::Rsp {
                    command_field: 0x8120,
                    message_id: 7,
                    status: 0x0211,
                    data_set: false,
                },
                Mark,
                abort(2, INVALID_PARAMETER),
                Closed,
            ],
        ),
        // Annex E.1: "no fragments of any other message shall be sent until all fragments
        // of the current message have been sent". On another context the interleaving is
        // visible to the UL: AA-8.
        Case::new(
            "pdata/new-message-on-other-context-before-last-fragment",
            vec![
                assoc(),
                send(pdata(&[(1, 0x01, &nget[..20])])),
                send(c_echo(2)),
                peer_abort(),
            ],
            vec![ac(), abort(2, INVALID_PARAMETER), Closed],
        ),
        // On the same context the UL cannot see where one message ends: the fragments are
        // one command set to it, with its elements repeated and out of order (PS3.7 §6.3.1),
        // which the DIMSE layer refuses as a mistyped request (0212H) under the last
        // Message ID it holds.
        Case::new(
            "pdata/new-message-on-same-context-before-last-fragment",
            then(
                vec![
                    assoc(),
                    send(pdata(&[(1, 0x01, &n_get_rq(1, None)[..62])])),
                    send(n_get(2)),
                ],
                release_and_close(),
            ),
            vec![ac(), n_get_rsp(2, 0x0212, false), ReleaseRp, Closed],
        ),
        // Annex E.1: "Each fragment of a message shall consist of an even number of bytes".
        // That binds the sender; the UL PDU itself is well formed (§9.3.5) and the
        // reassembled command set is intact, so it is not Evt19 and the request is served.
        Case::new(
            "pdata/odd-length-fragments",
            then(
                vec![
                    assoc(),
                    send(pdata(&[(1, 0x01, &nget[..13])])),
                    send(pdata(&[(1, 0x01, &nget[13..40])])),
                    send(pdata(&[(1, 0x03, &nget[40..])])),
                ],
                release_and_close(),
            ),
            vec![ac(), n_get_rsp(1, 0, true), ReleaseRp, Closed],
        ),
        // Annex E.2: receivers should accept empty PDVs, and several PDVs of one message in
        // one P-DATA-TF.
        Case::new(
            "pdata/empty-and-consecutive-pdvs",
            then(
                vec![
                    assoc(),
                    send(pdata(&[
                        (1, 0x01, &[]),
                        (1, 0x01, &nget[..30]),
                        (1, 0x01, &nget[30..60]),
                        (1, 0x03, &nget[60..]),
                    ])),
                ],
                release_and_close(),
            ),
            vec![ac(), n_get_rsp(1, 0, true), ReleaseRp, Closed],
        ),
        // Command Data Set Type 0101H says no data set follows; one does: AA-8.
        Case::new(
            "pdata/data-set-where-command-said-none",
            vec![
                assoc(),
                send(n_get(1)),
                MARK,
                send(pdata(&[(1, 0x02, &[0x08, 0, 0x70, 0, 0, 0, 0, 0])])),
                peer_abort(),
            ],
            vec![
                ac(),
                n_get_rsp(1, 0, true),
                Mark,
                abort(2, INVALID_PARAMETER),
                Closed,
            ],
        ),
        Case::new(
            "pdata/data-set-without-command",
            vec![
                assoc(),
                send(pdata(&[(1, 0x02, &[0x08, 0, 0x70, 0, 0, 0, 0, 0])])),
                peer_abort(),
            ],
            vec![ac(), abort(2, INVALID_PARAMETER), Closed],
        ),
        // PS3.7 gives no response without a Command Field or a Message ID to answer with
        // (Message ID Being Responded To is mandatory in every response): A-P-ABORT.
        Case::new(
            "pdata/command-without-command-field",
            vec![
                assoc(),
                send(command(
                    1,
                    &raw_command(&[
                        (0x0003, CLASS_UI),
                        (0x0110, &us(1)),
                        (0x0800, NO_DATA_SET),
                        (0x1001, INSTANCE_UI),
                    ]),
                )),
                peer_abort(),
            ],
            vec![ac(), abort(2, INVALID_PARAMETER), Closed],
        ),
        Case::new(
            "pdata/command-without-message-id",
            vec![
                assoc(),
                send(command(
                    1,
                    &raw_command(&[
                        (0x0003, CLASS_UI),
                        (0x0100, &us(0x0110)),
                        (0x0800, NO_DATA_SET),
                        (0x1001, INSTANCE_UI),
                    ]),
                )),
                peer_abort(),
            ],
            vec![ac(), abort(2, INVALID_PARAMETER), Closed],
        ),
        // A Command Field PS3.7 Annex E does not define: no response type exists for it.
        Case::new(
            "pdata/unknown-command-field-0777",
            vec![
                assoc(),
                send(command(
                    1,
                    &raw_command(&[
                        (0x0003, CLASS_UI),
                        (0x0100, &us(0x0777)),
                        (0x0110, &us(1)),
                        (0x0800, NO_DATA_SET),
                    ]),
                )),
                peer_abort(),
            ],
            vec![ac(), abort(2, INVALID_PARAMETER), Closed],
        ),
        Case::new(
            "pdata/response-nobody-asked-for",
            vec![
                assoc(),
                send(command(
                    1,
                    &raw_command(&[
                        (0x0002, CLASS_UI),
                        (0x0100, &us(0x8110)),
                        (0x0120, &us(1)),
                        (0x0800, NO_DATA_SET),
                        (0x0900, &us(0)),
                    ]),
                )),
                peer_abort(),
            ],
            vec![ac(), abort(2, INVALID_PARAMETER), Closed],
        ),
        // Known operations we do not perform: PS3.7 C.5.23 unrecognized operation (0211H),
        // answered at once; the data set that follows is read and dropped.
        Case::new(
            "pdata/c-store-rq-gets-0211",
            then(
                vec![
                    assoc(),
                    send(command(
                        1,
                        &raw_command(&[
                            (0x0002, CLASS_UI),
                            (0x0100, &us(0x0001)),
                            (0x0110, &us(5)),
                            (0x0700, &us(0)),
                            (0x0800, DATA_SET),
                            (0x1000, INSTANCE_UI),
                        ]),
                    )),
                    send(pdata(&[(
                        1,
                        0x02,
                        &[0x08, 0, 0x70, 0, 4, 0, 0, 0, b'A', b'C', b'M', b'E'],
                    )])),
                ],
                release_and_close(),
            ),
            vec![
                ac(),
                Reply::Rsp {
                    command_field: 0x8001,
                    message_id: 5,
                    status: 0x0211,
                    data_set: false,
                },
                ReleaseRp,
                Closed,
            ],
        ),
        // Attribute Identifier List (AT, 4 bytes a tag) of 6 bytes, and of odd length 5:
        // the argument is mistyped (0212H); the association goes on.
        Case::new(
            "pdata/n-get-attribute-list-of-6-bytes",
            then(
                vec![
                    assoc(),
                    send(command(
                        1,
                        &raw_command(&[
                            (0x0003, CLASS_UI),
                            (0x0100, &us(0x0110)),
                            (0x0110, &us(9)),
                            (0x0800, NO_DATA_SET),
                            (0x1001, INSTANCE_UI),
                            (0x1005, &[0x08, 0, 0x70, 0, 0x08, 0]),
                        ]),
                    )),
                ],
                release_and_close(),
            ),
            vec![ac(), n_get_rsp(9, 0x0212, false), ReleaseRp, Closed],
        ),
        Case::new(
            "pdata/n-get-attribute-list-of-odd-length",
            then(
                vec![
                    assoc(),
                    send(command(
                        1,
                        &raw_command(&[
                            (0x0003, CLASS_UI),
                            (0x0100, &us(0x0110)),
                            (0x0110, &us(9)),
                            (0x0800, NO_DATA_SET),
                            (0x1001, INSTANCE_UI),
                            (0x1005, &[0x08, 0, 0x70, 0, 0x08]),
                        ]),
                    )),
                ],
                release_and_close(),
            ),
            vec![ac(), n_get_rsp(9, 0x0212, false), ReleaseRp, Closed],
        ),
        Case::new(
            "pdata/command-set-of-garbage",
            vec![
                assoc(),
                send(command(
                    1,
                    &[0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff, 0x7f],
                )),
                peer_abort(),
            ],
            vec![ac(), abort(2, INVALID_PARAMETER), Closed],
        ),
    ]
}

/// PDUs in the wrong state (Table 9-10).
fn sequence_cases() -> Vec<Case> {
    vec![
        // Sta2: anything but A-ASSOCIATE-RQ (or A-ABORT) is AA-1.
        Case::new(
            "seq/pdata-before-association",
            vec![send(n_get(1)), MARK, Pause(PAST_ARTIM)],
            vec![user_abort(), Mark, Closed],
        ),
        Case::new(
            "seq/release-rq-before-association",
            vec![send(release_rq()), peer_abort()],
            vec![user_abort(), Closed],
        ),
        Case::new(
            "seq/associate-ac-to-acceptor",
            vec![send(associate_ac()), peer_abort()],
            vec![user_abort(), Closed],
        ),
        // The A-ASSOCIATE-RQ and an unrecognized PDU in one segment: AE-7 sends the
        // A-ASSOCIATE-AC, then Evt19 in Sta6 is AA-8. Both PDUs, in that order.
        Case::new(
            "seq/associate-rq-and-garbage-in-one-write",
            vec![
                send({
                    let mut b = rq();
                    b.extend(raw_pdu(0x08, 0, &[]));
                    b
                }),
                peer_abort(),
            ],
            vec![ac(), abort(2, UNRECOGNIZED_PDU), Closed],
        ),
        // Sta6: Evt6 (A-ASSOCIATE-RQ) is AA-8, unexpected PDU.
        Case::new(
            "seq/associate-rq-twice",
            vec![assoc(), assoc(), peer_abort()],
            vec![ac(), abort(2, UNEXPECTED_PDU), Closed],
        ),
        Case::new(
            "seq/associate-ac-in-sta6",
            vec![assoc(), send(associate_ac()), peer_abort()],
            vec![ac(), abort(2, UNEXPECTED_PDU), Closed],
        ),
        Case::new(
            "seq/associate-rj-in-sta6",
            vec![assoc(), send(associate_rj()), peer_abort()],
            vec![ac(), abort(2, UNEXPECTED_PDU), Closed],
        ),
        Case::new(
            "seq/release-rp-in-sta6",
            vec![assoc(), send(release_rp()), peer_abort()],
            vec![ac(), abort(2, UNEXPECTED_PDU), Closed],
        ),
        // A request outstanding when the A-RELEASE-RQ comes: Sta8 answers it first (AR-7),
        // then the release (AR-4), then waits for the close (Sta13, AR-5).
        Case::new(
            "seq/release-with-request-outstanding",
            vec![
                assoc(),
                send(n_get_slow(1)),
                send(release_rq()),
                Step::State(State::Sta8),
                MARK,
                Pause(SLOW_MS + 50),
                MARK,
                Close,
            ],
            vec![
                ac(),
                Mark,
                n_get_rsp(1, 0x0107, true),
                ReleaseRp,
                Mark,
                Closed,
            ],
        ),
        // Sta8: P-DATA from the peer after its own A-RELEASE-RQ is Evt10, AA-8.
        Case::new(
            "seq/pdata-after-own-release-rq",
            vec![
                assoc(),
                send(n_get_slow(1)),
                send(release_rq()),
                Step::State(State::Sta8),
                send(c_echo(2)),
                Close,
            ],
            vec![ac(), abort(2, UNEXPECTED_PDU), Closed],
        ),
        // Sta13 after the release: another A-RELEASE-RQ, P-DATA, A-RELEASE-RP are ignored
        // (AA-6); ARTIM then closes (AA-2).
        Case::new(
            "seq/release-rq-twice",
            vec![
                assoc(),
                send(release_rq()),
                send(release_rq()),
                Step::State(State::Sta13),
                MARK,
                Pause(PAST_ARTIM),
            ],
            vec![ac(), ReleaseRp, Mark, Closed],
        ),
        Case::new(
            "seq/pdata-after-release",
            vec![
                assoc(),
                send(release_rq()),
                send(n_get(1)),
                send(release_rp()),
                MARK,
                Pause(PAST_ARTIM),
            ],
            vec![ac(), ReleaseRp, Mark, Closed],
        ),
        // Sta13: Evt6 and Evt19 are AA-7 (A-ABORT), still waiting for the close.
        Case::new(
            "seq/associate-rq-after-release",
            vec![assoc(), send(release_rq()), MARK, assoc(), Close],
            vec![ac(), ReleaseRp, Mark, abort(2, UNEXPECTED_PDU), Closed],
        ),
        Case::new(
            "seq/garbage-after-release",
            vec![
                assoc(),
                send(release_rq()),
                MARK,
                send(raw_pdu(0x09, 2, &[1, 2])),
                Close,
            ],
            vec![ac(), ReleaseRp, Mark, abort(2, UNRECOGNIZED_PDU), Closed],
        ),
        Case::new(
            "seq/associate-rq-after-reject",
            vec![
                send(rq_with(|r| r.fixed.protocol_version = 2)),
                MARK,
                assoc(),
                Close,
            ],
            vec![rj(1, 2, 2), Mark, abort(2, UNEXPECTED_PDU), Closed],
        ),
        // Release collision (Sta7 + Evt12 = AR-8 → Sta10 for the acceptor; Sta10 + Evt13 =
        // AR-10 → Sta12, whose release response AR-4 sends the A-RELEASE-RP → Sta13).
        // Our server never releases by itself: core only.
        Case::new(
            "seq/release-collision",
            vec![
                assoc(),
                LocalRelease,
                Step::State(State::Sta7),
                MARK,
                send(release_rq()),
                Step::State(State::Sta10),
                MARK,
                send(release_rp()),
                Step::State(State::Sta13),
                MARK,
                Close,
            ],
            vec![ac(), Reply::ReleaseRq, Mark, Mark, ReleaseRp, Mark, Closed],
        )
        .core_only(),
        // Sta7: P-DATA is still received (AR-6), but nothing may be sent after our
        // A-RELEASE-RQ; the A-RELEASE-RP then ends the association (AR-3).
        Case::new(
            "seq/pdata-while-awaiting-release-rp",
            vec![
                assoc(),
                LocalRelease,
                send(c_echo(1)),
                Step::State(State::Sta7),
                send(release_rp()),
            ],
            vec![ac(), Reply::ReleaseRq, Closed],
        )
        .core_only(),
    ]
}

/// A-ABORT received and transport closed in every state the acceptor can be in with a
/// peer to hear from. Sta3 and Sta12 pass at once (the policy answers for the local user);
/// Sta4, Sta5, Sta9 and Sta11 are the requestor's.
fn abort_and_close_cases() -> Vec<Case> {
    vec![
        // Evt16: AA-2 in Sta2 and Sta13 (close, nothing sent), AA-3 elsewhere.
        Case::new(
            "abort/in-sta2",
            vec![Step::State(State::Sta2), send(abort_pdu())],
            vec![Closed],
        ),
        Case::new(
            "abort/in-sta6",
            vec![assoc(), Step::State(State::Sta6), send(abort_pdu())],
            vec![ac(), Closed],
        ),
        Case::new(
            "abort/provider-source-in-sta6",
            vec![assoc(), send(provider_abort_pdu())],
            vec![ac(), Closed],
        ),
        Case::new(
            "abort/in-sta8",
            vec![
                assoc(),
                send(n_get_slow(1)),
                send(release_rq()),
                Step::State(State::Sta8),
                send(abort_pdu()),
                Pause(SLOW_MS + 50),
            ],
            vec![ac(), Closed],
        ),
        Case::new(
            "abort/in-sta13-after-release",
            vec![
                assoc(),
                send(release_rq()),
                Step::State(State::Sta13),
                MARK,
                send(abort_pdu()),
            ],
            vec![ac(), ReleaseRp, Mark, Closed],
        ),
        Case::new(
            "abort/in-sta13-after-reject",
            vec![
                send(rq_with(|r| r.fixed.protocol_version = 0)),
                Step::State(State::Sta13),
                MARK,
                send(abort_pdu()),
            ],
            vec![rj(1, 2, 2), Mark, Closed],
        ),
        Case::new(
            "abort/in-sta13-after-our-abort",
            vec![
                assoc(),
                send(raw_pdu(0x08, 0, &[])),
                Step::State(State::Sta13),
                MARK,
                send(abort_pdu()),
            ],
            vec![ac(), abort(2, UNRECOGNIZED_PDU), Mark, Closed],
        ),
        Case::new(
            "abort/in-sta7",
            vec![
                assoc(),
                LocalRelease,
                Step::State(State::Sta7),
                send(abort_pdu()),
            ],
            vec![ac(), Reply::ReleaseRq, Closed],
        )
        .core_only(),
        Case::new(
            "abort/in-sta10",
            vec![
                assoc(),
                LocalRelease,
                send(release_rq()),
                Step::State(State::Sta10),
                send(abort_pdu()),
            ],
            vec![ac(), Reply::ReleaseRq, Closed],
        )
        .core_only(),
        // Evt17: AA-5 in Sta2, AR-5 in Sta13, AA-4 elsewhere. Nothing is sent.
        Case::new(
            "close/in-sta2",
            vec![Step::State(State::Sta2), Close],
            vec![Closed],
        ),
        Case::new(
            "close/in-sta6",
            vec![assoc(), Step::State(State::Sta6), Close],
            vec![ac(), Closed],
        ),
        Case::new(
            "close/in-sta8",
            vec![
                assoc(),
                send(n_get_slow(1)),
                send(release_rq()),
                Step::State(State::Sta8),
                Close,
                Pause(SLOW_MS + 50),
            ],
            vec![ac(), Closed],
        ),
        Case::new(
            "close/in-sta13-after-release",
            vec![
                assoc(),
                send(release_rq()),
                Step::State(State::Sta13),
                Close,
            ],
            vec![ac(), ReleaseRp, Closed],
        ),
        Case::new(
            "close/in-sta13-after-reject",
            vec![
                send(rq_with(|r| r.fixed.calling_ae_field = [b' '; 16])),
                Step::State(State::Sta13),
                Close,
            ],
            vec![rj(1, 1, 3), Closed],
        ),
        Case::new(
            "close/in-sta13-after-our-abort",
            vec![
                send(raw_pdu(0x04, 2, &[0, 0])),
                Step::State(State::Sta13),
                Close,
            ],
            vec![user_abort(), Closed],
        ),
        Case::new(
            "close/in-sta7",
            vec![assoc(), LocalRelease, Step::State(State::Sta7), Close],
            vec![ac(), Reply::ReleaseRq, Closed],
        )
        .core_only(),
        Case::new(
            "close/in-sta10",
            vec![
                assoc(),
                LocalRelease,
                send(release_rq()),
                Step::State(State::Sta10),
                Close,
            ],
            vec![ac(), Reply::ReleaseRq, Closed],
        )
        .core_only(),
    ]
}

/// ARTIM and the network timeout; slow and partial writers.
fn timer_and_slow_cases() -> Vec<Case> {
    let nget = n_get(1);
    vec![
        // AE-5 starts ARTIM; a connection that never speaks is closed when it expires (AA-2,
        // nothing sent), not before.
        Case::new(
            "artim/connection-that-never-speaks",
            vec![
                Pause(ARTIM_MS - 200),
                Step::State(State::Sta2),
                MARK,
                Pause(300),
            ],
            vec![Mark, Closed],
        ),
        Case::new(
            "artim/half-a-pdu-header",
            vec![send(rq()[..3].to_vec()), MARK, Pause(PAST_ARTIM)],
            vec![Mark, Closed],
        ),
        // AR-4 starts ARTIM after the A-RELEASE-RP; a peer that does not close is closed on.
        Case::new(
            "artim/after-release",
            vec![
                assoc(),
                send(release_rq()),
                MARK,
                Pause(ARTIM_MS - 200),
                MARK,
                Pause(300),
            ],
            vec![ac(), ReleaseRp, Mark, Mark, Closed],
        ),
        Case::new(
            "artim/after-reject",
            vec![
                send(rq_with(|r| r.application_context = "1.2.3")),
                MARK,
                Pause(PAST_ARTIM),
            ],
            vec![rj(1, 1, 2), Mark, Closed],
        ),
        // AA-8 starts ARTIM too.
        Case::new(
            "artim/after-our-abort",
            vec![assoc(), send(release_rp()), MARK, Pause(PAST_ARTIM)],
            vec![ac(), abort(2, UNEXPECTED_PDU), Mark, Closed],
        ),
        // An established association that hears nothing for the network timeout: our user
        // aborts (A-ABORT, service-user source, AA-1), then ARTIM closes.
        Case::new(
            "slow/idle-past-network-timeout",
            vec![
                assoc(),
                Pause(NETWORK_MS - 200),
                MARK,
                Pause(300),
                MARK,
                Pause(PAST_ARTIM),
            ],
            vec![ac(), Mark, user_abort(), Mark, Closed],
        ),
        // One byte per write for the whole exchange, no pauses.
        Case::new(
            "slow/every-byte-a-write",
            then(
                then(bytewise(&rq()), bytewise(&nget)),
                then(bytewise(&release_rq()), vec![Close]),
            ),
            vec![ac(), n_get_rsp(1, 0, true), ReleaseRp, Closed],
        ),
        // The request one byte at a time, a pause below the network timeout after every 8
        // bytes: 15 pauses of 120 ms, far more than the timeout in total. Served.
        Case::new(
            "slow/trickle-below-network-timeout",
            then(
                vec![assoc()],
                then(
                    nget.chunks(8)
                        .flat_map(|c| {
                            let mut v = bytewise(c);
                            v.push(Pause(120));
                            v
                        })
                        .collect(),
                    release_and_close(),
                ),
            ),
            vec![ac(), n_get_rsp(1, 0, true), ReleaseRp, Closed],
        ),
        // Whole messages with idle gaps just below the network timeout.
        Case::new(
            "slow/gaps-below-network-timeout",
            then(
                vec![
                    assoc(),
                    Pause(NETWORK_MS - 250),
                    send(n_get(1)),
                    Pause(NETWORK_MS - 250),
                    send(c_echo(2)),
                    Pause(NETWORK_MS - 250),
                ],
                release_and_close(),
            ),
            vec![ac(), n_get_rsp(1, 0, true), echo_rsp(2), ReleaseRp, Closed],
        ),
        // One pause above the network timeout in the middle of a PDU: aborted (AA-1).
        Case::new(
            "slow/pause-above-network-timeout-mid-pdu",
            vec![
                assoc(),
                send(nget[..17].to_vec()),
                MARK,
                Pause(NETWORK_MS + 100),
                MARK,
                send(nget[17..].to_vec()),
                Close,
            ],
            vec![ac(), Mark, user_abort(), Mark, Closed],
        ),
        // Byte by byte within ARTIM is fine for the A-ASSOCIATE-RQ ...
        Case::new(
            "slow/associate-rq-trickle-within-artim",
            then(
                rq().chunks(40)
                    .flat_map(|c| vec![send(c.to_vec()), Pause(20)])
                    .collect(),
                release_and_close(),
            ),
            vec![ac(), ReleaseRp, Closed],
        ),
        // ... but ARTIM bounds the whole wait for it (§9.1.2): a pause past it closes (AA-2).
        Case::new(
            "slow/associate-rq-pause-above-artim",
            vec![
                send(rq()[..100].to_vec()),
                MARK,
                Pause(PAST_ARTIM),
                MARK,
                send(rq()[100..].to_vec()),
            ],
            vec![Mark, Closed, Mark],
        ),
    ]
}

/// Every prefix of a valid PDU, followed by a close or by the timer that ends the wait.
fn truncations() -> Vec<Case> {
    let mut v = Vec::new();
    let rq = rq();
    // Sta2: the transport closes mid-request (AA-5: close, nothing sent) ...
    for n in 0..rq.len() {
        v.push(Case::new(
            format!("truncated/associate-rq-{n}-of-{}+close", rq.len()),
            vec![send(rq[..n].to_vec()), Close],
            vec![Closed],
        ));
    }
    // ... or stays silent until ARTIM (AA-2). The socket run samples the boundaries.
    let rq_boundaries = [0, 1, 5, 6, 9, 10, 26, 42, 73, 74, 75, 78, 100, rq.len() - 1];
    for n in 0..rq.len() {
        v.push(
            Case::new(
                format!("truncated/associate-rq-{n}-of-{}+artim", rq.len()),
                vec![send(rq[..n].to_vec()), MARK, Pause(PAST_ARTIM)],
                vec![Mark, Closed],
            )
            .socket(rq_boundaries.contains(&n)),
        );
    }
    // Sta6: a P-DATA-TF cut short, then the close (AA-4) ...
    let p = n_get(1);
    for n in 1..p.len() {
        v.push(Case::new(
            format!("truncated/pdata-{n}-of-{}+close", p.len()),
            vec![assoc(), send(p[..n].to_vec()), Close],
            vec![ac(), Closed],
        ));
    }
    // ... or the network timeout (AA-1), then ARTIM.
    let p_boundaries = [1, 5, 6, 7, 10, 11, 12, 13, 40, p.len() - 1];
    for n in 1..p.len() {
        v.push(
            Case::new(
                format!("truncated/pdata-{n}-of-{}+network-timeout", p.len()),
                vec![
                    assoc(),
                    send(p[..n].to_vec()),
                    MARK,
                    Pause(NETWORK_MS + 50),
                    MARK,
                    Pause(PAST_ARTIM),
                ],
                vec![ac(), Mark, user_abort(), Mark, Closed],
            )
            .socket(p_boundaries.contains(&n)),
        );
    }
    // Fixed-size PDUs cut short.
    for (what, pdu) in [("release-rq", release_rq()), ("abort", abort_pdu())] {
        for n in 1..pdu.len() {
            v.push(Case::new(
                format!("truncated/{what}-{n}-of-10+close"),
                vec![assoc(), send(pdu[..n].to_vec()), Close],
                vec![ac(), Closed],
            ));
        }
    }
    v
}
