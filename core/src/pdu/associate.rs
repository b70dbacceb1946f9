//! A-ASSOCIATE-RQ (01H) and A-ASSOCIATE-AC (02H): PS3.8 §9.3.2 and §9.3.3.

use super::items::{
    ItemHeader, ItemType, PresentationContextAc, PresentationContextRq, RoleSelection,
    SopClassCommonExtended, SopClassExtended, SubItem, UserIdentityAc, UserIdentityRq,
};
use super::primitives::{write_uid_item, AeTitle};
use super::{Parse, PduHeader, PduType, PDU_HEADER_LEN};
use crate::codec::{Reader, Writer};
use crate::BufferTooSmall;

/// The fixed part of an A-ASSOCIATE-RQ or -AC body: bytes 7 to 74 of the PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AssociateFixed {
    /// Protocol-version; only bit 0 is significant (version 1).
    pub protocol_version: u16,
    /// Called-AE-title, as received (16 bytes, padded).
    pub called_ae_field: [u8; 16],
    /// Calling-AE-title, as received.
    pub calling_ae_field: [u8; 16],
    /// Bytes 43-74: reserved in the RQ; an AC echoes what the RQ had.
    pub reserved: [u8; 32],
}

impl AssociateFixed {
    /// Bytes in the fixed part.
    pub const LEN: usize = 68;

    /// A fixed part for sending: protocol version 1, the titles space-padded, reserved zero.
    pub fn new(called: AeTitle, calling: AeTitle) -> Self {
        AssociateFixed {
            protocol_version: 1,
            called_ae_field: called.to_field(),
            calling_ae_field: calling.to_field(),
            reserved: [0; 32],
        }
    }

    /// Parses the fixed part from a prefix of `input`. Reserved bytes 9-10 are not tested.
    pub fn parse(input: &[u8]) -> Parse<AssociateFixed> {
        let mut r = Reader::new(input);
        match (r.u16_be(), r.skip(2), r.array(), r.array(), r.array()) {
            (Some(protocol_version), Some(()), Some(called), Some(calling), Some(reserved)) => {
                Parse::Complete(
                    AssociateFixed {
                        protocol_version,
                        called_ae_field: called,
                        calling_ae_field: calling,
                        reserved,
                    },
                    Self::LEN,
                )
            }
            _ => Parse::Partial,
        }
    }

    /// The Called-AE-title, trimmed.
    pub fn called_ae(&self) -> AeTitle {
        AeTitle::from_field(&self.called_ae_field)
    }

    /// The Calling-AE-title, trimmed.
    pub fn calling_ae(&self) -> AeTitle {
        AeTitle::from_field(&self.calling_ae_field)
    }

    /// PS3.8 §9.3.2: a receiver "shall only test that bit 0 is set".
    pub fn supports_version_1(&self) -> bool {
        self.protocol_version & 1 == 1
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        w.u16_be(self.protocol_version)?;
        w.u16_be(0)?;
        w.put(&self.called_ae_field)?;
        w.put(&self.calling_ae_field)?;
        w.put(&self.reserved)
    }
}

/// The User Information item (50H) and its sub-items, in the order they are emitted
/// (ascending sub-item type, which some older peers expect).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UserInformation<'a> {
    /// 51H Maximum-length-received; 0 = no limit.
    pub max_length: u32,
    /// 52H.
    pub implementation_class_uid: &'a str,
    /// 53H: (invoked, performed).
    pub async_ops_window: Option<(u16, u16)>,
    /// 54H, one per SOP class.
    pub role_selections: &'a [RoleSelection<'a>],
    /// 55H.
    pub implementation_version_name: Option<&'a str>,
    /// 56H, one per SOP class.
    pub sop_class_extended: &'a [SopClassExtended<'a>],
    /// 57H (RQ only).
    pub sop_class_common_extended: &'a [SopClassCommonExtended<'a>],
    /// 58H (RQ only).
    pub user_identity_rq: Option<UserIdentityRq<'a>>,
    /// 59H (AC only).
    pub user_identity_ac: Option<UserIdentityAc<'a>>,
}

impl<'a> UserInformation<'a> {
    fn for_each_sub_item<E>(
        &self,
        mut f: impl FnMut(SubItem<'a>) -> Result<(), E>,
    ) -> Result<(), E> {
        f(SubItem::MaximumLength(self.max_length))?;
        f(SubItem::ImplementationClassUid(
            self.implementation_class_uid,
        ))?;
        if let Some((inv, perf)) = self.async_ops_window {
            f(SubItem::AsynchronousOperationsWindow(inv, perf))?;
        }
        for r in self.role_selections {
            f(SubItem::RoleSelection(*r))?;
        }
        if let Some(v) = self.implementation_version_name {
            f(SubItem::ImplementationVersionName(v))?;
        }
        for e in self.sop_class_extended {
            f(SubItem::SopClassExtended(*e))?;
        }
        for c in self.sop_class_common_extended {
            f(SubItem::SopClassCommonExtended(*c))?;
        }
        if let Some(u) = self.user_identity_rq {
            f(SubItem::UserIdentityRq(u))?;
        }
        if let Some(u) = self.user_identity_ac {
            f(SubItem::UserIdentityAc(u))?;
        }
        Ok(())
    }

    /// Bytes of the whole 50H item.
    pub fn buffer_len(&self) -> usize {
        let mut n = ItemHeader::LEN;
        let _ = self.for_each_sub_item(|s| {
            n += s.buffer_len();
            Ok::<(), ()>(())
        });
        n
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        let body = self.buffer_len() - ItemHeader::LEN;
        w.u8(ItemType::UserInformation as u8)?;
        w.u8(0)?;
        w.u16_be(u16::try_from(body).map_err(|_| BufferTooSmall)?)?;
        self.for_each_sub_item(|s| s.write(w))
    }
}

/// Writes everything before the presentation contexts, returning where the PDU started so that
/// [`finish_pdu`] can patch its length.
pub(crate) fn start_associate(
    w: &mut Writer<'_>,
    pdu_type: PduType,
    fixed: &AssociateFixed,
    application_context: &str,
) -> Result<usize, BufferTooSmall> {
    let start = w.position();
    PduHeader {
        pdu_type,
        length: 0,
    }
    .write(w)?;
    fixed.write(w)?;
    write_uid_item(w, ItemType::ApplicationContext as u8, application_context)?;
    Ok(start)
}

/// Patches the PDU-length of a PDU started at `start` and returns its total size.
pub(crate) fn finish_pdu(w: &mut Writer<'_>, start: usize) -> Result<usize, BufferTooSmall> {
    let total = w.position() - start;
    let length = u32::try_from(total - PDU_HEADER_LEN).map_err(|_| BufferTooSmall)?;
    w.patch_u32_be(start + 2, length)?;
    Ok(total)
}

/// An A-ASSOCIATE-RQ to emit (PS3.8 §9.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AssociateRq<'a> {
    /// Protocol version, titles and reserved bytes.
    pub fixed: AssociateFixed,
    /// Application context name: [`super::APPLICATION_CONTEXT_NAME`].
    pub application_context: &'a str,
    /// One or more proposed presentation contexts.
    pub presentation_contexts: &'a [PresentationContextRq<'a>],
    /// User information.
    pub user_information: UserInformation<'a>,
}

impl AssociateRq<'_> {
    /// Bytes the PDU takes.
    pub fn buffer_len(&self) -> usize {
        associate_len(
            self.application_context,
            self.presentation_contexts,
            &self.user_information,
        )
    }

    /// Emits the PDU into `buf`, returning its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
        emit_associate(
            buf,
            PduType::AssociateRq,
            &self.fixed,
            self.application_context,
            self.presentation_contexts,
            &self.user_information,
        )
    }
}

/// An A-ASSOCIATE-AC to emit (PS3.8 §9.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AssociateAc<'a> {
    /// The fixed part; the titles and reserved bytes echo the A-ASSOCIATE-RQ.
    pub fixed: AssociateFixed,
    /// Application context name.
    pub application_context: &'a str,
    /// One answer per proposed presentation context.
    pub presentation_contexts: &'a [PresentationContextAc<'a>],
    /// User information.
    pub user_information: UserInformation<'a>,
}

impl AssociateAc<'_> {
    /// Bytes the PDU takes.
    pub fn buffer_len(&self) -> usize {
        associate_len(
            self.application_context,
            self.presentation_contexts,
            &self.user_information,
        )
    }

    /// Emits the PDU into `buf`, returning its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
        emit_associate(
            buf,
            PduType::AssociateAc,
            &self.fixed,
            self.application_context,
            self.presentation_contexts,
            &self.user_information,
        )
    }
}

/// A presentation-context item of either kind (20H in an RQ, 21H in an AC).
trait ContextItem {
    fn body_len(&self) -> usize;
    fn write(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall>;
}

impl ContextItem for PresentationContextRq<'_> {
    fn body_len(&self) -> usize {
        PresentationContextRq::body_len(self)
    }
    fn write(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        PresentationContextRq::write(self, w)
    }
}

impl ContextItem for PresentationContextAc<'_> {
    fn body_len(&self) -> usize {
        PresentationContextAc::body_len(self)
    }
    fn write(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        PresentationContextAc::write(self, w)
    }
}

/// The shared layout of an A-ASSOCIATE-RQ and -AC: header, fixed part, application context,
/// presentation contexts, user information.
fn associate_len<C: ContextItem>(
    application_context: &str,
    contexts: &[C],
    user_information: &UserInformation<'_>,
) -> usize {
    PDU_HEADER_LEN
        + AssociateFixed::LEN
        + ItemHeader::LEN
        + application_context.len()
        + contexts
            .iter()
            .map(|pc| ItemHeader::LEN + pc.body_len())
            .sum::<usize>()
        + user_information.buffer_len()
}

fn emit_associate<C: ContextItem>(
    buf: &mut [u8],
    pdu_type: PduType,
    fixed: &AssociateFixed,
    application_context: &str,
    contexts: &[C],
    user_information: &UserInformation<'_>,
) -> Result<usize, BufferTooSmall> {
    let mut w = Writer::new(buf);
    let start = start_associate(&mut w, pdu_type, fixed, application_context)?;
    for pc in contexts {
        pc.write(&mut w)?;
    }
    user_information.write(&mut w)?;
    finish_pdu(&mut w, start)
}
