//! The command set: group 0000 elements in Implicit VR Little Endian (PS3.7 §6.3, Annex E).

use crate::codec::{Reader, Writer};
use crate::dataset::Tag;
use crate::pdu::Uid;
use crate::BufferTooSmall;

/// Command Field (0000,0100) values (PS3.7 Annex E, Table E.1-1).
///
/// `Debug` prints the message name (`N-GET-RQ`), or the value in hex for one Annex E does
/// not define (`CommandField(0x1234)`): a log reads in the standard's terms, not in numbers.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CommandField(pub u16);

impl CommandField {
    /// C-STORE-RQ.
    pub const C_STORE_RQ: Self = Self(0x0001);
    /// C-GET-RQ.
    pub const C_GET_RQ: Self = Self(0x0010);
    /// C-FIND-RQ.
    pub const C_FIND_RQ: Self = Self(0x0020);
    /// C-MOVE-RQ.
    pub const C_MOVE_RQ: Self = Self(0x0021);
    /// C-ECHO-RQ.
    pub const C_ECHO_RQ: Self = Self(0x0030);
    /// N-EVENT-REPORT-RQ.
    pub const N_EVENT_REPORT_RQ: Self = Self(0x0100);
    /// N-GET-RQ.
    pub const N_GET_RQ: Self = Self(0x0110);
    /// N-SET-RQ.
    pub const N_SET_RQ: Self = Self(0x0120);
    /// N-ACTION-RQ.
    pub const N_ACTION_RQ: Self = Self(0x0130);
    /// N-CREATE-RQ.
    pub const N_CREATE_RQ: Self = Self(0x0140);
    /// N-DELETE-RQ.
    pub const N_DELETE_RQ: Self = Self(0x0150);
    /// C-CANCEL-RQ: it has no response.
    pub const C_CANCEL_RQ: Self = Self(0x0FFF);
    /// C-ECHO-RSP.
    pub const C_ECHO_RSP: Self = Self(0x8030);
    /// N-GET-RSP.
    pub const N_GET_RSP: Self = Self(0x8110);

    /// A request Annex E defines. A `match`, not a walk of a list: asked for every
    /// command set received, and the compiler makes it a few comparisons.
    pub fn is_known_request(self) -> bool {
        matches!(
            self,
            Self::C_STORE_RQ
                | Self::C_GET_RQ
                | Self::C_FIND_RQ
                | Self::C_MOVE_RQ
                | Self::C_ECHO_RQ
                | Self::N_EVENT_REPORT_RQ
                | Self::N_GET_RQ
                | Self::N_SET_RQ
                | Self::N_ACTION_RQ
                | Self::N_CREATE_RQ
                | Self::N_DELETE_RQ
                | Self::C_CANCEL_RQ
        )
    }

    /// A response Annex E defines (every request but C-CANCEL has one).
    pub fn is_known_response(self) -> bool {
        self.0 & 0x8000 != 0 && self != Self(0x8FFF) && Self(self.0 & !0x8000).is_known_request()
    }

    /// The response to this request (the request's value with bit 15 set), `None` for
    /// C-CANCEL and for values that are not requests.
    pub fn response(self) -> Option<Self> {
        (self.is_known_request() && self != Self::C_CANCEL_RQ).then_some(Self(self.0 | 0x8000))
    }

    /// The message name of PS3.7 ("N-GET-RQ"), or "unknown".
    pub fn name(self) -> &'static str {
        match self.0 {
            0x0001 => "C-STORE-RQ",
            0x8001 => "C-STORE-RSP",
            0x0010 => "C-GET-RQ",
            0x8010 => "C-GET-RSP",
            0x0020 => "C-FIND-RQ",
            0x8020 => "C-FIND-RSP",
            0x0021 => "C-MOVE-RQ",
            0x8021 => "C-MOVE-RSP",
            0x0030 => "C-ECHO-RQ",
            0x8030 => "C-ECHO-RSP",
            0x0100 => "N-EVENT-REPORT-RQ",
            0x8100 => "N-EVENT-REPORT-RSP",
            0x0110 => "N-GET-RQ",
            0x8110 => "N-GET-RSP",
            0x0120 => "N-SET-RQ",
            0x8120 => "N-SET-RSP",
            0x0130 => "N-ACTION-RQ",
            0x8130 => "N-ACTION-RSP",
            0x0140 => "N-CREATE-RQ",
            0x8140 => "N-CREATE-RSP",
            0x0150 => "N-DELETE-RQ",
            0x8150 => "N-DELETE-RSP",
            0x0FFF => "C-CANCEL-RQ",
            _ => "unknown",
        }
    }
}

impl core::fmt::Debug for CommandField {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.name() {
            "unknown" => write!(f, "CommandField(0x{:04X})", self.0),
            name => f.write_str(name),
        }
    }
}

/// Command Data Set Type (0000,0800) value meaning "no data set"; any other value means one
/// follows (PS3.7 Table 10.3-4). We send 0001H when one follows, as pynetdicom does.
pub const NO_DATA_SET: u16 = 0x0101;
/// The Command Data Set Type we send when a data set follows.
pub const DATA_SET_PRESENT: u16 = 0x0001;

/// The command elements this crate reads and writes, by element number (group 0000).
mod element {
    pub(super) const GROUP_LENGTH: u16 = 0x0000;
    pub(super) const AFFECTED_SOP_CLASS_UID: u16 = 0x0002;
    pub(super) const REQUESTED_SOP_CLASS_UID: u16 = 0x0003;
    pub(super) const COMMAND_FIELD: u16 = 0x0100;
    pub(super) const MESSAGE_ID: u16 = 0x0110;
    pub(super) const MESSAGE_ID_BEING_RESPONDED_TO: u16 = 0x0120;
    pub(super) const COMMAND_DATA_SET_TYPE: u16 = 0x0800;
    pub(super) const STATUS: u16 = 0x0900;
    pub(super) const OFFENDING_ELEMENT: u16 = 0x0901;
    pub(super) const ERROR_COMMENT: u16 = 0x0902;
    pub(super) const ERROR_ID: u16 = 0x0903;
    pub(super) const AFFECTED_SOP_INSTANCE_UID: u16 = 0x1000;
    pub(super) const REQUESTED_SOP_INSTANCE_UID: u16 = 0x1001;
    pub(super) const ATTRIBUTE_IDENTIFIER_LIST: u16 = 0x1005;
}

/// The longest Error Comment (0000,0902): VR LO holds at most 64 characters.
pub const MAX_ERROR_COMMENT_LEN: usize = 64;

/// A received command set, decoded without copying (the strings and lists borrow it).
///
/// Decoding never fails as a whole: a command set must be answered whenever it carries a
/// Message ID, so every element that decodes is kept, and the first problem is recorded in
/// [`Command::malformed`]. Unknown and retired elements are skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Command<'a> {
    /// Command Field (0000,0100).
    pub command_field: Option<CommandField>,
    /// Message ID (0000,0110).
    pub message_id: Option<u16>,
    /// Message ID Being Responded To (0000,0120).
    pub message_id_being_responded_to: Option<u16>,
    /// Affected SOP Class UID (0000,0002), checked and without padding.
    pub affected_sop_class_uid: Option<&'a str>,
    /// Requested SOP Class UID (0000,0003).
    pub requested_sop_class_uid: Option<&'a str>,
    /// Affected SOP Instance UID (0000,1000).
    pub affected_sop_instance_uid: Option<&'a str>,
    /// Requested SOP Instance UID (0000,1001).
    pub requested_sop_instance_uid: Option<&'a str>,
    /// Command Data Set Type (0000,0800).
    pub data_set_type: Option<u16>,
    /// Status (0000,0900).
    pub status: Option<u16>,
    /// Error Comment (0000,0902), without trailing spaces.
    pub error_comment: Option<&'a str>,
    /// Error ID (0000,0903).
    pub error_id: Option<u16>,
    /// Attribute Identifier List (0000,1005): its raw value, 4 bytes per tag (group LE,
    /// element LE). Its length is not checked here (see [`crate::dataset::AttributeFilter`]).
    pub attribute_identifier_list: Option<&'a [u8]>,
    /// Offending Element (0000,0901), raw like the list above.
    pub offending_element: Option<&'a [u8]>,
    /// The first element that could not be decoded: a value of the wrong length or charset,
    /// a tag outside group 0000 or out of ascending order, or (for a broken frame) the tag
    /// where decoding stopped.
    pub malformed: Option<Tag>,
}

impl<'a> Command<'a> {
    /// Decodes a command set.
    #[inline]
    pub fn parse(bytes: &'a [u8]) -> Self {
        let mut c = Command::default();
        c.decode_all(bytes);
        c
    }

    /// Decodes `bytes` into `self` (all `None`): [`Command::parse`] for a caller that
    /// decodes in place. Out of line, writing through `&mut self`: inlined, the compiler kept
    /// each field in its own slot and assembled the struct at the end, a copy of every field
    /// per command set.
    #[inline(never)]
    pub(crate) fn decode_all(&mut self, bytes: &'a [u8]) {
        let c = self;
        let mut r = Reader::new(bytes);
        // The tag of the last element, as `Tag` holds it (group << 16 | element), and the
        // smallest the next may have: tags ascend (PS3.5 §7.1), the first may be (0000,0000).
        let mut last = 0u32;
        let mut next = 0u32;
        while !r.is_empty() {
            // The element's header in one read (tag, then the Implicit VR LE length).
            let Some([g0, g1, e0, e1, l0, l1, l2, l3]) = r.array::<8>() else {
                c.malformed.get_or_insert(Tag(last));
                break;
            };
            let key = u32::from_le_bytes([g0, g1, e0, e1]).rotate_left(16);
            let len = u32::from_le_bytes([l0, l1, l2, l3]);
            let Some(value) = r.bytes(len as usize) else {
                c.malformed.get_or_insert(Tag(key));
                break;
            };
            // Group 0000 only: a key above 0xFFFF is another group.
            if key > 0xFFFF || key < next {
                c.malformed.get_or_insert(Tag(key));
            }
            last = key;
            next = key.saturating_add(1);
            if key <= 0xFFFF && !c.decode(key as u16, value) {
                c.malformed.get_or_insert(Tag(key));
            }
        }
    }

    /// Stores one element; `false` when its value is malformed.
    fn decode(&mut self, elem: u16, value: &'a [u8]) -> bool {
        use element::*;
        let us = || <[u8; 2]>::try_from(value).ok().map(u16::from_le_bytes);
        // The table's UIDs by comparison; any other through the UID rule.
        let uid = || check_uid(value);
        let tags = || (value.len() % 4 == 0).then_some(value);
        match elem {
            GROUP_LENGTH => value.len() == 4,
            AFFECTED_SOP_CLASS_UID => set(&mut self.affected_sop_class_uid, uid()),
            REQUESTED_SOP_CLASS_UID => set(&mut self.requested_sop_class_uid, uid()),
            COMMAND_FIELD => set(&mut self.command_field, us().map(CommandField)),
            MESSAGE_ID => set(&mut self.message_id, us()),
            MESSAGE_ID_BEING_RESPONDED_TO => set(&mut self.message_id_being_responded_to, us()),
            COMMAND_DATA_SET_TYPE => set(&mut self.data_set_type, us()),
            STATUS => set(&mut self.status, us()),
            OFFENDING_ELEMENT => set(&mut self.offending_element, tags()),
            ERROR_COMMENT => set(&mut self.error_comment, long_string(value)),
            ERROR_ID => set(&mut self.error_id, us()),
            AFFECTED_SOP_INSTANCE_UID => set(&mut self.affected_sop_instance_uid, uid()),
            REQUESTED_SOP_INSTANCE_UID => set(&mut self.requested_sop_instance_uid, uid()),
            // The list may be sent with zero length (pynetdicom 3.0.4 does for `[]`, see
            // core/tests/vectors/n-get-rq-empty-list.hex); it is kept, and an empty list means
            // "all attributes", like an absent one. PS3.7 §10.1.2.1.5 defines only the absent
            // case; treating an empty list the same is this crate's choice.
            ATTRIBUTE_IDENTIFIER_LIST => set(&mut self.attribute_identifier_list, tags()),
            _ => true,
        }
    }

    /// Whether a data set follows: Command Data Set Type present and not 0101H. An absent
    /// type counts as "none" (and the command is malformed, the element being mandatory).
    pub fn has_data_set(&self) -> bool {
        self.data_set_type.is_some_and(|t| t != NO_DATA_SET)
    }

    /// The tags of the Attribute Identifier List.
    pub fn attribute_tags(&self) -> impl Iterator<Item = Tag> + 'a {
        self.attribute_identifier_list
            .unwrap_or(&[])
            .chunks_exact(4)
            .filter_map(|c| c.try_into().ok().map(Tag::from_le_bytes))
    }
}

/// A UID value checked (without its padding NUL): the SOP class table's UIDs by comparison,
/// which most messages carry, any other through the UID rule ([`Uid::check`]).
pub(crate) fn check_uid(value: &[u8]) -> Option<&str> {
    crate::service::known_uid(value).or_else(|| Uid::check(value))
}

fn set<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    let ok = value.is_some();
    *slot = value;
    ok
}

/// An LO value: printable, at most 64 characters once trailing spaces are gone.
fn long_string(value: &[u8]) -> Option<&str> {
    let s = core::str::from_utf8(value).ok()?;
    let s = s.trim_end_matches([' ', '\0']);
    (s.chars().count() <= MAX_ERROR_COMMENT_LEN && !s.contains(['\\', '\r', '\n'])).then_some(s)
}

/// Writes group 0000 elements in ascending order, then patches Command Group Length.
pub(crate) struct CommandWriter<'b> {
    w: Writer<'b>,
    last: Option<u16>,
}

impl<'b> CommandWriter<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Result<Self, BufferTooSmall> {
        let mut w = Writer::new(buf);
        // (0000,0000) UL, length 4, value patched by `finish`.
        w.put(&[0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0])?;
        Ok(CommandWriter {
            w,
            last: Some(element::GROUP_LENGTH),
        })
    }

    /// The next element's number, little-endian, once its place in the order is noted.
    fn next_element(&mut self, elem: u16) -> [u8; 2] {
        // Callers write in ascending order; a slip would be a bug here, not bad input.
        debug_assert!(self.last.is_none_or(|l| l < elem));
        self.last = Some(elem);
        elem.to_le_bytes()
    }

    /// An element's header: group 0000, the element, the Implicit VR LE length.
    fn header_bytes(&mut self, elem: u16, len: usize) -> Result<[u8; 8], BufferTooSmall> {
        let [e0, e1] = self.next_element(elem);
        let [l0, l1, l2, l3] = u32::try_from(len)
            .map_err(|_| BufferTooSmall)?
            .to_le_bytes();
        Ok([0, 0, e0, e1, l0, l1, l2, l3])
    }

    fn header(&mut self, elem: u16, len: usize) -> Result<(), BufferTooSmall> {
        let header = self.header_bytes(elem, len)?;
        self.w.array(header)
    }

    /// A US element whole: its header and its value.
    fn us_bytes(&mut self, elem: u16, v: u16) -> [u8; 10] {
        let [e0, e1] = self.next_element(elem);
        let [v0, v1] = v.to_le_bytes();
        [0, 0, e0, e1, 2, 0, 0, 0, v0, v1]
    }

    pub(crate) fn us(&mut self, elem: u16, v: u16) -> Result<(), BufferTooSmall> {
        // The header and the value: one write.
        let element = self.us_bytes(elem, v);
        self.w.array(element)
    }

    /// A response's Command Field, Message ID Being Responded To, Command Data Set Type and
    /// Status: four consecutive US elements (their numbers ascend), in one write.
    fn response_fields(
        &mut self,
        field: u16,
        responded_to: u16,
        data_set_type: u16,
        status: u16,
    ) -> Result<(), BufferTooSmall> {
        use element::*;
        let run = [
            self.us_bytes(COMMAND_FIELD, field),
            self.us_bytes(MESSAGE_ID_BEING_RESPONDED_TO, responded_to),
            self.us_bytes(COMMAND_DATA_SET_TYPE, data_set_type),
            self.us_bytes(STATUS, status),
        ];
        self.w.put(run.as_flattened())
    }

    /// A UI value, padded to even length with NUL (PS3.5 §6.2): header, value and padding
    /// after one bounds check.
    pub(crate) fn uid(&mut self, elem: u16, v: &str) -> Result<(), BufferTooSmall> {
        let padded = v.len() + v.len() % 2;
        let header = self.header_bytes(elem, padded)?;
        let room = self.w.reserve(8 + padded)?;
        let (head, value) = room.split_first_chunk_mut::<8>().ok_or(BufferTooSmall)?;
        *head = header;
        let (dst, pad) = value.split_at_mut_checked(v.len()).ok_or(BufferTooSmall)?;
        // invariant: `dst` was split at the value's length.
        dst.copy_from_slice(v.as_bytes());
        if let Some(pad) = pad.first_mut() {
            *pad = 0;
        }
        Ok(())
    }

    /// An LO value (PS3.5 Table 6.2-1) made of any text: its first 64 characters, each
    /// backslash or control character a space, padded to even length. Byte by byte (this
    /// runs on firmware, where size counts): a character starts at every byte that is not a
    /// UTF-8 continuation byte, and only ASCII bytes are replaced, by an ASCII space, so the
    /// value stays UTF-8 (C1 controls and other characters of two bytes or more stay).
    pub(crate) fn lo(&mut self, elem: u16, v: &str) -> Result<(), BufferTooSmall> {
        let v = match v.char_indices().nth(MAX_ERROR_COMMENT_LEN) {
            Some((end, _)) => v.get(..end).unwrap_or(v),
            None => v,
        };
        let pad = v.len() % 2;
        self.header(elem, v.len() + pad)?;
        let out = self.w.reserve(v.len())?;
        for (slot, &b) in out.iter_mut().zip(v.as_bytes()) {
            *slot = if b == b'\\' || b < 0x20 || b == 0x7F {
                b' '
            } else {
                b
            };
        }
        self.w.pad(b' ', pad)
    }

    pub(crate) fn tags(
        &mut self,
        elem: u16,
        tags: impl Iterator<Item = Tag> + Clone,
    ) -> Result<(), BufferTooSmall> {
        self.header(elem, 4 * tags.clone().count())?;
        for t in tags {
            self.w.put(&t.to_le_bytes())?;
        }
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<usize, BufferTooSmall> {
        let len = self.w.position();
        let group = u32::try_from(len - 12).map_err(|_| BufferTooSmall)?;
        self.w.patch_u32_le(8, group)?;
        Ok(len)
    }
}

/// An N-GET-RQ (PS3.7 Table 10.3-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NGetRq<'a> {
    /// Message ID.
    pub message_id: u16,
    /// Requested SOP Class UID.
    pub requested_sop_class_uid: &'a str,
    /// Requested SOP Instance UID.
    pub requested_sop_instance_uid: &'a str,
    /// Attribute Identifier List: `None` asks for every attribute (the element is omitted).
    pub attribute_identifier_list: Option<&'a [Tag]>,
}

impl NGetRq<'_> {
    /// Encodes the command set into `buf` and returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
        use element::*;
        let mut w = CommandWriter::new(buf)?;
        w.uid(REQUESTED_SOP_CLASS_UID, self.requested_sop_class_uid)?;
        w.us(COMMAND_FIELD, CommandField::N_GET_RQ.0)?;
        w.us(MESSAGE_ID, self.message_id)?;
        w.us(COMMAND_DATA_SET_TYPE, NO_DATA_SET)?;
        w.uid(REQUESTED_SOP_INSTANCE_UID, self.requested_sop_instance_uid)?;
        if let Some(list) = self.attribute_identifier_list {
            w.tags(ATTRIBUTE_IDENTIFIER_LIST, list.iter().copied())?;
        }
        w.finish()
    }
}

/// An N-DELETE-RQ (PS3.7 §10.3.6), for the test-only row of the operation table.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NDeleteRq<'a> {
    pub(crate) message_id: u16,
    pub(crate) requested_sop_class_uid: &'a str,
    pub(crate) requested_sop_instance_uid: &'a str,
}

#[cfg(test)]
impl NDeleteRq<'_> {
    /// Encodes the command set into `buf` and returns its length.
    pub(crate) fn emit(&self, buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
        use element::*;
        let mut w = CommandWriter::new(buf)?;
        w.uid(REQUESTED_SOP_CLASS_UID, self.requested_sop_class_uid)?;
        w.us(COMMAND_FIELD, CommandField::N_DELETE_RQ.0)?;
        w.us(MESSAGE_ID, self.message_id)?;
        w.us(COMMAND_DATA_SET_TYPE, NO_DATA_SET)?;
        w.uid(REQUESTED_SOP_INSTANCE_UID, self.requested_sop_instance_uid)?;
        w.finish()
    }
}

/// A C-ECHO-RQ (PS3.7 §9.3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CEchoRq<'a> {
    /// Message ID.
    pub message_id: u16,
    /// Affected SOP Class UID (Verification, 1.2.840.10008.1.1).
    pub affected_sop_class_uid: &'a str,
}

impl CEchoRq<'_> {
    /// Encodes the command set into `buf` and returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
        use element::*;
        let mut w = CommandWriter::new(buf)?;
        w.uid(AFFECTED_SOP_CLASS_UID, self.affected_sop_class_uid)?;
        w.us(COMMAND_FIELD, CommandField::C_ECHO_RQ.0)?;
        w.us(MESSAGE_ID, self.message_id)?;
        w.us(COMMAND_DATA_SET_TYPE, NO_DATA_SET)?;
        w.finish()
    }
}

/// A response command set: any `*-RSP`, with its status and the optional status elements
/// (PS3.7 Annex C). Which optional elements a status may carry is the service layer's
/// business; this only encodes what it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'a> {
    /// The response's Command Field.
    pub command_field: CommandField,
    /// Message ID Being Responded To.
    pub message_id_being_responded_to: u16,
    /// Affected SOP Class UID.
    pub affected_sop_class_uid: Option<&'a str>,
    /// Affected SOP Instance UID.
    pub affected_sop_instance_uid: Option<&'a str>,
    /// Whether a data set follows.
    pub has_data_set: bool,
    /// Status and its optional elements.
    pub status: Status<'a>,
}

impl Response<'_> {
    /// Encodes the command set into `buf` and returns its length. `missing`, when given,
    /// becomes the Attribute Identifier List in place of the status's own (the tags an
    /// N-GET data set source did not produce, for 0107H).
    pub fn emit<I>(&self, buf: &mut [u8], missing: Option<I>) -> Result<usize, BufferTooSmall>
    where
        I: Iterator<Item = Tag> + Clone,
    {
        use element::*;
        let s = &self.status;
        let mut w = CommandWriter::new(buf)?;
        if let Some(uid) = self.affected_sop_class_uid {
            w.uid(AFFECTED_SOP_CLASS_UID, uid)?;
        }
        let dst = if self.has_data_set {
            DATA_SET_PRESENT
        } else {
            NO_DATA_SET
        };
        w.response_fields(
            self.command_field.0,
            self.message_id_being_responded_to,
            dst,
            s.code,
        )?;
        if let Some(tags) = s.offending_element {
            w.tags(OFFENDING_ELEMENT, tags.iter().copied())?;
        }
        if let Some(comment) = s.error_comment {
            w.lo(ERROR_COMMENT, comment)?;
        }
        if let Some(id) = s.error_id {
            w.us(ERROR_ID, id)?;
        }
        if let Some(uid) = self.affected_sop_instance_uid {
            w.uid(AFFECTED_SOP_INSTANCE_UID, uid)?;
        }
        match (missing, s.attribute_identifier_list) {
            (Some(tags), _) => w.tags(ATTRIBUTE_IDENTIFIER_LIST, tags)?,
            (None, Some(tags)) => w.tags(ATTRIBUTE_IDENTIFIER_LIST, tags.iter().copied())?,
            (None, None) => {}
        }
        w.finish()
    }
}

/// A DIMSE status (0000,0900) with the optional command elements PS3.7 Annex C lets it carry.
///
/// ```
/// use dimse_core::dimse::Status;
/// let s = Status::new(0x0110).with_error_comment("sensor offline").with_error_id(7);
/// assert_eq!(s.code, 0x0110);
/// ```
///
/// `Debug` prints the code in hex with its PS3.7 Annex C meaning
/// (`Status { code: 0x0110 (Processing failure), .. }`), as status codes are written in the
/// standard.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Status<'a> {
    /// The status code.
    pub code: u16,
    /// Error Comment (0000,0902): at most 64 characters of LO text.
    pub error_comment: Option<&'a str>,
    /// Error ID (0000,0903).
    pub error_id: Option<u16>,
    /// Attribute Identifier List (0000,1005).
    pub attribute_identifier_list: Option<&'a [Tag]>,
    /// Offending Element (0000,0901).
    pub offending_element: Option<&'a [Tag]>,
}

impl<'a> Status<'a> {
    /// Success (0000H).
    pub const SUCCESS: Status<'static> = Status::new(0x0000);

    /// A bare status code.
    pub const fn new(code: u16) -> Self {
        Status {
            code,
            error_comment: None,
            error_id: None,
            attribute_identifier_list: None,
            offending_element: None,
        }
    }

    /// With an Error Comment.
    pub const fn with_error_comment(mut self, comment: &'a str) -> Self {
        self.error_comment = Some(comment);
        self
    }

    /// With an Error ID.
    pub const fn with_error_id(mut self, id: u16) -> Self {
        self.error_id = Some(id);
        self
    }

    /// With an Attribute Identifier List.
    pub const fn with_attribute_identifier_list(mut self, tags: &'a [Tag]) -> Self {
        self.attribute_identifier_list = Some(tags);
        self
    }

    /// With an Offending Element list.
    pub const fn with_offending_element(mut self, tags: &'a [Tag]) -> Self {
        self.offending_element = Some(tags);
        self
    }
}

/// A status code in `Debug` output, as PS3.7 writes it (four hex digits and H) with its
/// meaning: "0107H (Attribute list error)". `Status` and [`Event`](crate::Event) print codes
/// this way.
pub(crate) struct CodeDebug(pub(crate) u16);

impl core::fmt::Debug for CodeDebug {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:04X}H ({})", self.0, crate::service::meaning(self.0))
    }
}

impl core::fmt::Debug for Status<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Status")
            .field("code", &CodeDebug(self.code))
            .field("error_comment", &self.error_comment)
            .field("error_id", &self.error_id)
            .field("attribute_identifier_list", &self.attribute_identifier_list)
            .field("offending_element", &self.offending_element)
            .finish()
    }
}

impl From<u16> for Status<'_> {
    fn from(code: u16) -> Self {
        Status::new(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of a vector file (comment lines start with `#`).
    fn vector(text: &str) -> heapless::Vec<u8, 1024> {
        let digits: heapless::Vec<u8, 2048> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .flat_map(|l| l.bytes())
            .filter(u8::is_ascii_hexdigit)
            .collect();
        digits
            .chunks(2)
            .map(|p| u8::from_str_radix(core::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    /// The command set inside a one-PDU, one-PDV vector: after the PDU and PDV headers.
    fn command_of(text: &str) -> heapless::Vec<u8, 1024> {
        vector(text).iter().skip(12).copied().collect()
    }

    #[test]
    fn parses_and_re_emits_the_pynetdicom_n_get_rq() {
        let bytes = command_of(include_str!("../../tests/vectors/n-get-rq-attr-list.hex"));
        let c = Command::parse(&bytes);
        assert_eq!(c.malformed, None);
        assert_eq!(c.command_field, Some(CommandField::N_GET_RQ));
        assert_eq!(c.message_id, Some(1));
        assert_eq!(c.requested_sop_class_uid, Some("1.2.840.10008.5.1.1.40"));
        assert_eq!(
            c.requested_sop_instance_uid,
            Some("1.2.840.10008.5.1.1.40.1")
        );
        assert!(!c.has_data_set());
        let tags: heapless::Vec<Tag, 4> = c.attribute_tags().collect();
        assert_eq!(tags, [Tag::new(0x0008, 0x0070), Tag::new(0x0028, 0x7023)]);
        let mut out = [0u8; 256];
        let n = NGetRq {
            message_id: 1,
            requested_sop_class_uid: "1.2.840.10008.5.1.1.40",
            requested_sop_instance_uid: "1.2.840.10008.5.1.1.40.1",
            attribute_identifier_list: Some(&tags),
        }
        .emit(&mut out)
        .unwrap();
        assert_eq!(&out[..n], &bytes[..]);
    }

    #[test]
    fn records_the_first_malformed_element_and_keeps_the_rest() {
        let mut buf = [0u8; 128];
        let mut w = CommandWriter::new(&mut buf).unwrap();
        w.us(element::COMMAND_FIELD, 0x0110).unwrap();
        w.us(element::MESSAGE_ID, 9).unwrap();
        w.uid(element::REQUESTED_SOP_INSTANCE_UID, "1.2.x").unwrap();
        w.tags(
            element::ATTRIBUTE_IDENTIFIER_LIST,
            [Tag::new(8, 0x70)].into_iter(),
        )
        .unwrap();
        let n = w.finish().unwrap();
        let c = Command::parse(&buf[..n]);
        assert_eq!(c.message_id, Some(9));
        assert_eq!(c.requested_sop_instance_uid, None);
        assert_eq!(c.malformed, Some(Tag::new(0, 0x1001)));
        assert_eq!(c.attribute_tags().count(), 1);
        // A truncated frame keeps what came before it.
        let c = Command::parse(&buf[..n - 2]);
        assert_eq!(c.message_id, Some(9));
        assert!(c.malformed.is_some());
    }

    #[test]
    fn odd_lists_out_of_order_and_foreign_groups_are_malformed() {
        // (0000,1005) with 3 bytes.
        let c = Command::parse(&[0, 0, 5, 0x10, 3, 0, 0, 0, 1, 2, 3]);
        assert_eq!(c.attribute_identifier_list, None);
        assert_eq!(c.malformed, Some(Tag::new(0, 0x1005)));
        // (0000,0110) after (0000,0120).
        let c = Command::parse(&[
            0, 0, 0x20, 1, 2, 0, 0, 0, 1, 0, 0, 0, 0x10, 1, 2, 0, 0, 0, 2, 0,
        ]);
        assert_eq!(c.message_id, Some(2));
        assert_eq!(c.malformed, Some(Tag::new(0, 0x0110)));
        // A data element in the command set.
        let c = Command::parse(&[8, 0, 0x70, 0, 2, 0, 0, 0, b'A', b' ']);
        assert_eq!(c.malformed, Some(Tag::new(8, 0x70)));
    }

    #[test]
    fn command_fields() {
        assert_eq!(
            CommandField::N_GET_RQ.response(),
            Some(CommandField::N_GET_RSP)
        );
        assert_eq!(CommandField::C_CANCEL_RQ.response(), None);
        assert_eq!(CommandField(0x0111).response(), None);
        assert!(CommandField::N_GET_RSP.is_known_response());
        assert!(!CommandField(0x8FFF).is_known_response());
        assert_eq!(CommandField(0x8120).name(), "N-SET-RSP");
    }

    #[test]
    fn exactly_the_command_fields_of_annex_e_are_known() {
        // PS3.7 Annex E: the requests' values; each response is its request's with bit 15
        // set, but C-CANCEL-RQ's (0FFFH), which has none.
        let requests = [
            0x0001, 0x0010, 0x0020, 0x0021, 0x0030, 0x0100, 0x0110, 0x0120, 0x0130, 0x0140, 0x0150,
            0x0FFF,
        ];
        for v in 0..=u16::MAX {
            let f = CommandField(v);
            assert_eq!(f.is_known_request(), requests.contains(&v), "{v:04X}");
            let answers = v & 0x8000 != 0 && v != 0x8FFF && requests.contains(&(v & 0x7FFF));
            assert_eq!(f.is_known_response(), answers, "{v:04X}");
        }
    }

    #[test]
    fn error_comment_is_lo() {
        assert_eq!(long_string(b"Handler failed"), Some("Handler failed"));
        assert_eq!(long_string(b"odd "), Some("odd"));
        assert_eq!(long_string(b"a\\b"), None);
        assert_eq!(long_string(&[b'x'; 65]), None);
    }
}
