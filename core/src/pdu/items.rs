//! Variable items (PS3.8 §9.3.2-§9.3.3) and user-information sub-items (PS3.8 Annex D,
//! PS3.7 Annex D.3.3).

use super::primitives::{write_uid_item, Uid};
use super::{Parse, ParseError};
use crate::codec::{Reader, Writer};
use crate::BufferTooSmall;

/// The DICOM Application Context Name (PS3.7 Annex A.2.1), the only one defined.
pub const APPLICATION_CONTEXT_NAME: &str = "1.2.840.10008.3.1.1.1";

/// Item and sub-item types (PS3.8 §9.3.2, Annex D; PS3.7 Annex D.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
#[allow(missing_docs)] // the names are the standard's
pub enum ItemType {
    ApplicationContext = 0x10,
    PresentationContextRq = 0x20,
    PresentationContextAc = 0x21,
    AbstractSyntax = 0x30,
    TransferSyntax = 0x40,
    UserInformation = 0x50,
    MaximumLength = 0x51,
    ImplementationClassUid = 0x52,
    AsynchronousOperationsWindow = 0x53,
    RoleSelection = 0x54,
    ImplementationVersionName = 0x55,
    SopClassExtendedNegotiation = 0x56,
    SopClassCommonExtendedNegotiation = 0x57,
    UserIdentityRq = 0x58,
    UserIdentityAc = 0x59,
}

/// The 4-byte header of an item or sub-item: type, reserved (the version for 57H), length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ItemHeader {
    /// Item-type byte.
    pub item_type: u8,
    /// The second byte: reserved, except in 57H where it is the Sub-Item-version.
    pub reserved: u8,
    /// Item-length: the bytes after this header.
    pub length: u16,
}

impl ItemHeader {
    /// Bytes in an item header.
    pub const LEN: usize = 4;

    /// Parses an item header from a prefix of `input`.
    pub fn parse(input: &[u8]) -> Parse<ItemHeader> {
        let mut r = Reader::new(input);
        match (r.u8(), r.u8(), r.u16_be()) {
            (Some(item_type), Some(reserved), Some(length)) => Parse::Complete(
                ItemHeader {
                    item_type,
                    reserved,
                    length,
                },
                Self::LEN,
            ),
            _ => Parse::Partial,
        }
    }

    /// Header plus body.
    pub const fn total_len(&self) -> usize {
        Self::LEN + self.length as usize
    }
}

/// SCP/SCU Role Selection (54H, PS3.7 D.3.3.4). In an A-ASSOCIATE-RQ a role flag means
/// "supported"; in an A-ASSOCIATE-AC it means "accepted".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RoleSelection<'a> {
    /// The SOP class the roles apply to.
    pub sop_class_uid: &'a str,
    /// SCU role.
    pub scu_role: bool,
    /// SCP role.
    pub scp_role: bool,
}

/// SOP Class Extended Negotiation (56H, PS3.7 D.3.3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SopClassExtended<'a> {
    /// The SOP class.
    pub sop_class_uid: &'a str,
    /// Service-class-application-information, opaque here.
    pub application_information: &'a [u8],
}

/// SOP Class Common Extended Negotiation (57H, PS3.7 D.3.3.6), version 0. Sent only in an
/// A-ASSOCIATE-RQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SopClassCommonExtended<'a> {
    /// The SOP class.
    pub sop_class_uid: &'a str,
    /// Its service class.
    pub service_class_uid: &'a str,
    /// Related general SOP classes, as the encoded list (u16 length + UID, repeated); walk it
    /// with [`SopClassCommonExtended::related_general_sop_classes`].
    pub related_encoded: &'a [u8],
}

impl<'a> SopClassCommonExtended<'a> {
    /// The related general SOP class UIDs; stops at the first malformed entry.
    pub fn related_general_sop_classes(&self) -> impl Iterator<Item = &'a str> + 'a {
        let mut r = Reader::new(self.related_encoded);
        core::iter::from_fn(move || {
            let len = r.u16_be()?;
            Uid::check(r.bytes(usize::from(len))?)
        })
    }

    /// Encodes `uids` as a related-general-SOP-class list into `buf`, returning the used part,
    /// for building a value to emit.
    pub fn encode_related<'b>(
        uids: &[&str],
        buf: &'b mut [u8],
    ) -> Result<&'b [u8], BufferTooSmall> {
        let mut w = Writer::new(buf);
        for uid in uids {
            w.u16_be(u16::try_from(uid.len()).map_err(|_| BufferTooSmall)?)?;
            w.put(uid.as_bytes())?;
        }
        let n = w.position();
        Ok(buf.get(..n).unwrap_or(&[]))
    }
}

/// User-Identity-Type (PS3.7 D.3.3.7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum UserIdentityType {
    /// 1: username.
    Username,
    /// 2: username and passcode.
    UsernamePasscode,
    /// 3: Kerberos service ticket.
    Kerberos,
    /// 4: SAML assertion.
    Saml,
    /// 5: JSON Web Token.
    Jwt,
    /// Any other value.
    Other(u8),
}

impl UserIdentityType {
    /// From the wire byte.
    pub const fn from_u8(b: u8) -> Self {
        match b {
            1 => Self::Username,
            2 => Self::UsernamePasscode,
            3 => Self::Kerberos,
            4 => Self::Saml,
            5 => Self::Jwt,
            other => Self::Other(other),
        }
    }

    /// To the wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::Username => 1,
            Self::UsernamePasscode => 2,
            Self::Kerberos => 3,
            Self::Saml => 4,
            Self::Jwt => 5,
            Self::Other(b) => b,
        }
    }
}

/// User Identity Negotiation in an A-ASSOCIATE-RQ (58H, PS3.7 D.3.3.7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UserIdentityRq<'a> {
    /// What the fields hold.
    pub identity_type: UserIdentityType,
    /// The requestor wants a 59H sub-item back when the identity is accepted.
    pub positive_response_requested: bool,
    /// Username, ticket, assertion or token.
    pub primary_field: &'a [u8],
    /// Passcode (type 2 only; empty otherwise).
    pub secondary_field: &'a [u8],
}

/// User Identity Negotiation in an A-ASSOCIATE-AC (59H, PS3.7 D.3.3.7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UserIdentityAc<'a> {
    /// Server response; empty for identity types 1 and 2.
    pub server_response: &'a [u8],
}

/// A presentation context proposed in an A-ASSOCIATE-RQ (20H).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PresentationContextRq<'a> {
    /// Presentation-context-ID: odd, 1 to 255.
    pub id: u8,
    /// Abstract syntax (SOP class) UID.
    pub abstract_syntax: &'a str,
    /// Transfer syntax UIDs, one or more, in the requestor's order.
    pub transfer_syntaxes: &'a [&'a str],
}

/// A presentation context answered in an A-ASSOCIATE-AC (21H).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PresentationContextAc<'a> {
    /// Presentation-context-ID, as proposed.
    pub id: u8,
    /// Result/Reason (PS3.8 Table 9-18): 0 acceptance, 1 user-rejection, 2 no-reason,
    /// 3 abstract-syntax-not-supported, 4 transfer-syntaxes-not-supported.
    pub result: u8,
    /// The accepted transfer syntax; sent even for a rejected context, where it is not
    /// significant.
    pub transfer_syntax: &'a str,
}

impl PresentationContextRq<'_> {
    pub(crate) fn body_len(&self) -> usize {
        4 + ItemHeader::LEN
            + self.abstract_syntax.len()
            + self
                .transfer_syntaxes
                .iter()
                .map(|ts| ItemHeader::LEN + ts.len())
                .sum::<usize>()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        w.u8(ItemType::PresentationContextRq as u8)?;
        w.u8(0)?;
        w.u16_be(u16::try_from(self.body_len()).map_err(|_| BufferTooSmall)?)?;
        w.put(&[self.id, 0, 0, 0])?;
        write_uid_item(w, ItemType::AbstractSyntax as u8, self.abstract_syntax)?;
        for ts in self.transfer_syntaxes {
            write_uid_item(w, ItemType::TransferSyntax as u8, ts)?;
        }
        Ok(())
    }
}

impl PresentationContextAc<'_> {
    pub(crate) fn body_len(&self) -> usize {
        4 + ItemHeader::LEN + self.transfer_syntax.len()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        w.u8(ItemType::PresentationContextAc as u8)?;
        w.u8(0)?;
        w.u16_be(u16::try_from(self.body_len()).map_err(|_| BufferTooSmall)?)?;
        w.put(&[self.id, 0, self.result, 0])?;
        write_uid_item(w, ItemType::TransferSyntax as u8, self.transfer_syntax)
    }
}

/// A small item or sub-item, parsed whole. Containers (20H, 21H, 50H) are not sub-items: their
/// headers are read with [`ItemHeader`] and their contents walked with [`SubItemIter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SubItem<'a> {
    /// 10H.
    ApplicationContext(&'a str),
    /// 30H.
    AbstractSyntax(&'a str),
    /// 40H.
    TransferSyntax(&'a str),
    /// 51H: Maximum-length-received; 0 means no limit.
    MaximumLength(u32),
    /// 52H.
    ImplementationClassUid(&'a str),
    /// 53H: (maximum operations invoked, maximum operations performed); 0 means unlimited.
    AsynchronousOperationsWindow(u16, u16),
    /// 54H.
    RoleSelection(RoleSelection<'a>),
    /// 55H.
    ImplementationVersionName(&'a str),
    /// 56H.
    SopClassExtended(SopClassExtended<'a>),
    /// 57H.
    SopClassCommonExtended(SopClassCommonExtended<'a>),
    /// 58H.
    UserIdentityRq(UserIdentityRq<'a>),
    /// 59H.
    UserIdentityAc(UserIdentityAc<'a>),
    /// A known sub-item whose value breaks the standard's rules (a UID of the wrong length or
    /// characters, a version name of 17 characters): well framed, so the receiver can decide
    /// what it means for the association instead of aborting.
    Malformed(u8),
    /// A type this implementation does not know: ignored, as §9.3.1 requires.
    Unknown(u8),
}

impl<'a> SubItem<'a> {
    /// Parses a whole item or sub-item (header and body) from a prefix of `input`.
    ///
    /// Fixed-length sub-items of another length and inner lengths that overrun the item are
    /// errors (the framing is broken); a value the standard forbids is [`SubItem::Malformed`].
    pub fn parse(input: &'a [u8]) -> Result<Parse<SubItem<'a>>, ParseError> {
        let Parse::Complete(h, n) = ItemHeader::parse(input) else {
            return Ok(Parse::Partial);
        };
        let Some(body) = input.get(n..h.total_len()) else {
            return Ok(Parse::Partial);
        };
        Ok(Parse::Complete(
            Self::from_body(h.item_type, body)?,
            h.total_len(),
        ))
    }

    /// Interprets the body of an item of type `item_type`.
    pub fn from_body(item_type: u8, body: &'a [u8]) -> Result<SubItem<'a>, ParseError> {
        let fixed4 = || -> Result<[u8; 4], ParseError> {
            <[u8; 4]>::try_from(body).map_err(|_| ParseError::InvalidLength)
        };
        match item_type {
            // Most sub-items of an A-ASSOCIATE-RQ: one path for the four, the check inlined.
            0x10 | 0x30 | 0x40 | 0x52 => Ok(match Uid::check(body) {
                None => SubItem::Malformed(item_type),
                Some(u) if item_type == 0x30 => SubItem::AbstractSyntax(u),
                Some(u) if item_type == 0x40 => SubItem::TransferSyntax(u),
                Some(u) if item_type == 0x10 => SubItem::ApplicationContext(u),
                Some(u) => SubItem::ImplementationClassUid(u),
            }),
            0x51 => Ok(SubItem::MaximumLength(u32::from_be_bytes(fixed4()?))),
            0x53 => {
                let [a, b, c, d] = fixed4()?;
                Ok(SubItem::AsynchronousOperationsWindow(
                    u16::from_be_bytes([a, b]),
                    u16::from_be_bytes([c, d]),
                ))
            }
            0x54 => {
                let mut r = Reader::new(body);
                let len = r.u16_be().ok_or(ParseError::InvalidLength)?;
                let uid = r.bytes(usize::from(len)).ok_or(ParseError::InvalidLength)?;
                let (Some(scu), Some(scp), true) = (r.u8(), r.u8(), r.is_empty()) else {
                    return Err(ParseError::InvalidLength);
                };
                Ok(match Uid::check(uid) {
                    Some(sop_class_uid) => SubItem::RoleSelection(RoleSelection {
                        sop_class_uid,
                        scu_role: scu != 0,
                        scp_role: scp != 0,
                    }),
                    None => SubItem::Malformed(item_type),
                })
            }
            0x55 => {
                let valid = (1..=16).contains(&body.len())
                    && body.iter().all(|&b| (0x20..0x7f).contains(&b));
                Ok(match core::str::from_utf8(body) {
                    Ok(s) if valid => SubItem::ImplementationVersionName(s),
                    _ => SubItem::Malformed(item_type),
                })
            }
            0x56 => {
                let mut r = Reader::new(body);
                let len = r.u16_be().ok_or(ParseError::InvalidLength)?;
                let uid = r.bytes(usize::from(len)).ok_or(ParseError::InvalidLength)?;
                Ok(match Uid::check(uid) {
                    Some(sop_class_uid) => SubItem::SopClassExtended(SopClassExtended {
                        sop_class_uid,
                        application_information: r.rest(),
                    }),
                    None => SubItem::Malformed(item_type),
                })
            }
            0x57 => {
                let mut r = Reader::new(body);
                let mut field = || -> Result<&'a [u8], ParseError> {
                    let len = r.u16_be().ok_or(ParseError::InvalidLength)?;
                    r.bytes(usize::from(len)).ok_or(ParseError::InvalidLength)
                };
                let (sop, service, related) = (field()?, field()?, field()?);
                // Version 0 ends with a zero-length reserved field; later versions may add
                // fields, which a receiver ignores.
                let (Some(sop_class_uid), Some(service_class_uid)) =
                    (Uid::check(sop), Uid::check(service))
                else {
                    return Ok(SubItem::Malformed(item_type));
                };
                Ok(SubItem::SopClassCommonExtended(SopClassCommonExtended {
                    sop_class_uid,
                    service_class_uid,
                    related_encoded: related,
                }))
            }
            0x58 => {
                let mut r = Reader::new(body);
                let (Some(ty), Some(pos)) = (r.u8(), r.u8()) else {
                    return Err(ParseError::InvalidLength);
                };
                let mut field = || -> Result<&'a [u8], ParseError> {
                    let len = r.u16_be().ok_or(ParseError::InvalidLength)?;
                    r.bytes(usize::from(len)).ok_or(ParseError::InvalidLength)
                };
                let primary_field = field()?;
                let secondary_field = field()?;
                if !r.is_empty() {
                    return Err(ParseError::InvalidLength);
                }
                Ok(SubItem::UserIdentityRq(UserIdentityRq {
                    identity_type: UserIdentityType::from_u8(ty),
                    positive_response_requested: pos == 1,
                    primary_field,
                    secondary_field,
                }))
            }
            0x59 => {
                let mut r = Reader::new(body);
                let len = r.u16_be().ok_or(ParseError::InvalidLength)?;
                let server_response = r.bytes(usize::from(len)).ok_or(ParseError::InvalidLength)?;
                if !r.is_empty() {
                    return Err(ParseError::InvalidLength);
                }
                Ok(SubItem::UserIdentityAc(UserIdentityAc { server_response }))
            }
            other => Ok(SubItem::Unknown(other)),
        }
    }

    /// Bytes this sub-item takes when emitted (header included). `Malformed` and `Unknown`
    /// carry no body and emit nothing.
    pub fn buffer_len(&self) -> usize {
        let body = match self {
            SubItem::ApplicationContext(u)
            | SubItem::AbstractSyntax(u)
            | SubItem::TransferSyntax(u)
            | SubItem::ImplementationClassUid(u)
            | SubItem::ImplementationVersionName(u) => u.len(),
            SubItem::MaximumLength(_) | SubItem::AsynchronousOperationsWindow(..) => 4,
            SubItem::RoleSelection(r) => 2 + r.sop_class_uid.len() + 2,
            SubItem::SopClassExtended(e) => {
                2 + e.sop_class_uid.len() + e.application_information.len()
            }
            SubItem::SopClassCommonExtended(c) => {
                2 + c.sop_class_uid.len()
                    + 2
                    + c.service_class_uid.len()
                    + 2
                    + c.related_encoded.len()
            }
            SubItem::UserIdentityRq(u) => {
                2 + 2 + u.primary_field.len() + 2 + u.secondary_field.len()
            }
            SubItem::UserIdentityAc(u) => 2 + u.server_response.len(),
            SubItem::Malformed(_) | SubItem::Unknown(_) => return 0,
        };
        ItemHeader::LEN + body
    }

    /// Emits the sub-item (header included).
    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        let len16 = |n: usize| u16::try_from(n).map_err(|_| BufferTooSmall);
        let body_len = len16(self.buffer_len().saturating_sub(ItemHeader::LEN))?;
        let header = |w: &mut Writer<'_>, ty: ItemType| -> Result<(), BufferTooSmall> {
            w.u8(ty as u8)?;
            w.u8(0)?;
            w.u16_be(body_len)
        };
        match *self {
            SubItem::ApplicationContext(u) => {
                write_uid_item(w, ItemType::ApplicationContext as u8, u)
            }
            SubItem::AbstractSyntax(u) => write_uid_item(w, ItemType::AbstractSyntax as u8, u),
            SubItem::TransferSyntax(u) => write_uid_item(w, ItemType::TransferSyntax as u8, u),
            SubItem::ImplementationClassUid(u) => {
                write_uid_item(w, ItemType::ImplementationClassUid as u8, u)
            }
            SubItem::ImplementationVersionName(u) => {
                write_uid_item(w, ItemType::ImplementationVersionName as u8, u)
            }
            SubItem::MaximumLength(m) => {
                header(w, ItemType::MaximumLength)?;
                w.u32_be(m)
            }
            SubItem::AsynchronousOperationsWindow(inv, perf) => {
                header(w, ItemType::AsynchronousOperationsWindow)?;
                w.u16_be(inv)?;
                w.u16_be(perf)
            }
            SubItem::RoleSelection(r) => {
                header(w, ItemType::RoleSelection)?;
                w.u16_be(len16(r.sop_class_uid.len())?)?;
                w.put(r.sop_class_uid.as_bytes())?;
                w.u8(u8::from(r.scu_role))?;
                w.u8(u8::from(r.scp_role))
            }
            SubItem::SopClassExtended(e) => {
                header(w, ItemType::SopClassExtendedNegotiation)?;
                w.u16_be(len16(e.sop_class_uid.len())?)?;
                w.put(e.sop_class_uid.as_bytes())?;
                w.put(e.application_information)
            }
            SubItem::SopClassCommonExtended(c) => {
                // Byte 2 is the Sub-Item-version, 0 for the version defined today; its trailing
                // Reserved field is zero-length, so nothing follows the related list.
                header(w, ItemType::SopClassCommonExtendedNegotiation)?;
                w.u16_be(len16(c.sop_class_uid.len())?)?;
                w.put(c.sop_class_uid.as_bytes())?;
                w.u16_be(len16(c.service_class_uid.len())?)?;
                w.put(c.service_class_uid.as_bytes())?;
                w.u16_be(len16(c.related_encoded.len())?)?;
                w.put(c.related_encoded)
            }
            SubItem::UserIdentityRq(u) => {
                header(w, ItemType::UserIdentityRq)?;
                w.u8(u.identity_type.to_u8())?;
                w.u8(u8::from(u.positive_response_requested))?;
                w.u16_be(len16(u.primary_field.len())?)?;
                w.put(u.primary_field)?;
                w.u16_be(len16(u.secondary_field.len())?)?;
                w.put(u.secondary_field)
            }
            SubItem::UserIdentityAc(u) => {
                header(w, ItemType::UserIdentityAc)?;
                w.u16_be(len16(u.server_response.len())?)?;
                w.put(u.server_response)
            }
            SubItem::Malformed(_) | SubItem::Unknown(_) => Ok(()),
        }
    }
}

/// Walks the sub-items of a complete container body (a presentation-context item after its
/// 4 fixed bytes, or a user-information item).
#[derive(Debug, Clone)]
pub struct SubItemIter<'a> {
    r: Reader<'a>,
}

impl<'a> SubItemIter<'a> {
    /// Walks `body`.
    pub fn new(body: &'a [u8]) -> Self {
        SubItemIter {
            r: Reader::new(body),
        }
    }
}

impl<'a> Iterator for SubItemIter<'a> {
    type Item = Result<SubItem<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.r.is_empty() {
            return None;
        }
        match SubItem::parse(self.r.rest()) {
            Ok(Parse::Complete(item, n)) => {
                self.r.skip(n);
                Some(Ok(item))
            }
            // In a complete body, a partial item means its length overruns the container.
            Ok(Parse::Partial) | Err(_) => {
                let err = SubItem::parse(self.r.rest()).err();
                self.r = Reader::new(&[]);
                Some(Err(err.unwrap_or(ParseError::InvalidLength)))
            }
        }
    }
}

/// A top-level item of an A-ASSOCIATE-RQ or -AC, viewed over a complete PDU body.
#[derive(Debug, Clone)]
pub enum Item<'a> {
    /// 10H, or [`SubItem::Malformed`] when its UID is not valid.
    ApplicationContext(SubItem<'a>),
    /// 20H: the context ID and its sub-items.
    PresentationContextRq(u8, SubItemIter<'a>),
    /// 21H: the context ID, the result, and its sub-items.
    PresentationContextAc(u8, u8, SubItemIter<'a>),
    /// 50H: its sub-items.
    UserInformation(SubItemIter<'a>),
    /// Any other type, ignored.
    Unknown(u8),
}

/// Walks the variable items of a complete A-ASSOCIATE-RQ/AC body (after the 68 fixed bytes).
#[derive(Debug, Clone)]
pub struct ItemIter<'a> {
    r: Reader<'a>,
}

impl<'a> ItemIter<'a> {
    /// Walks `items`.
    pub fn new(items: &'a [u8]) -> Self {
        ItemIter {
            r: Reader::new(items),
        }
    }
}

impl<'a> Iterator for ItemIter<'a> {
    type Item = Result<Item<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.r.is_empty() {
            return None;
        }
        let item = (|| {
            let Parse::Complete(h, n) = ItemHeader::parse(self.r.rest()) else {
                return Err(ParseError::InvalidLength);
            };
            let whole = self
                .r
                .bytes(h.total_len())
                .ok_or(ParseError::InvalidLength)?;
            let body = whole.get(n..).unwrap_or(&[]);
            let mut b = Reader::new(body);
            Ok(match h.item_type {
                0x10 => Item::ApplicationContext(SubItem::from_body(0x10, body)?),
                0x20 => {
                    let [id, _, _, _] = b.array::<4>().ok_or(ParseError::InvalidLength)?;
                    Item::PresentationContextRq(id, SubItemIter::new(b.rest()))
                }
                0x21 => {
                    let [id, _, result, _] = b.array::<4>().ok_or(ParseError::InvalidLength)?;
                    Item::PresentationContextAc(id, result, SubItemIter::new(b.rest()))
                }
                0x50 => Item::UserInformation(SubItemIter::new(body)),
                other => Item::Unknown(other),
            })
        })();
        if item.is_err() {
            self.r = Reader::new(&[]);
        }
        Some(item)
    }
}
