//! P-DATA-TF (04H) and its Presentation Data Value items: PS3.8 §9.3.5 and Annex E.

use super::{Parse, ParseError, PduHeader, PduType, PDU_HEADER_LEN};
use crate::codec::{Reader, Writer};
use crate::BufferTooSmall;

/// A PDV item's header: Item-length (4), Presentation-context-ID (1), Message Control Header
/// (1). The largest fragment that fits a P-DATA-TF of PDU-length `m` is `m - 6`.
pub const PDV_HEADER_LEN: usize = 6;

/// The Message Control Header (PS3.8 Annex E.2). Bits 2-7 are sent as 0 and never tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MessageControlHeader(pub u8);

impl MessageControlHeader {
    /// A header for a fragment of a command (`true`) or a data set, last or not.
    pub const fn new(is_command: bool, is_last: bool) -> Self {
        MessageControlHeader((is_command as u8) | ((is_last as u8) << 1))
    }

    /// Bit 0: the fragment is part of a command set.
    pub const fn is_command(self) -> bool {
        self.0 & 1 != 0
    }

    /// Bit 1: the fragment is the last of its command set or data set.
    pub const fn is_last(self) -> bool {
        self.0 & 2 != 0
    }
}

/// The header of a PDV item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PdvHeader {
    /// Item-length: context ID, control header and fragment.
    pub length: u32,
    /// Presentation-context-ID.
    pub context_id: u8,
    /// Message Control Header.
    pub control: MessageControlHeader,
}

impl PdvHeader {
    /// Parses a PDV header from a prefix of `input`. An Item-length below 2 cannot hold the
    /// context ID and the control header: the framing is broken.
    pub fn parse(input: &[u8]) -> Result<Parse<PdvHeader>, ParseError> {
        let mut r = Reader::new(input);
        let (Some(length), Some(context_id), Some(mch)) = (r.u32_be(), r.u8(), r.u8()) else {
            return Ok(Parse::Partial);
        };
        if length < 2 {
            return Err(ParseError::InvalidLength);
        }
        Ok(Parse::Complete(
            PdvHeader {
                length,
                context_id,
                control: MessageControlHeader(mch),
            },
            PDV_HEADER_LEN,
        ))
    }

    /// Bytes of fragment after this header.
    pub const fn fragment_len(&self) -> u32 {
        self.length.saturating_sub(2)
    }
}

/// One Presentation Data Value: a fragment of a command or data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Pdv<'a> {
    /// Presentation-context-ID.
    pub context_id: u8,
    /// Message Control Header.
    pub control: MessageControlHeader,
    /// The fragment.
    pub data: &'a [u8],
}

impl Pdv<'_> {
    /// A P-DATA-TF of this PDV alone, emitted into `buf`; returns its length. The two
    /// headers in one write and the fragment in one copy, after one bounds check: what a
    /// message's every PDU is (we send one PDV per PDU, as pynetdicom and DCMTK do).
    pub fn emit_alone(&self, buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let total = PDU_HEADER_LEN + PDV_HEADER_LEN + self.data.len();
        let pdu_len = u32::try_from(total - PDU_HEADER_LEN).map_err(|_| BufferTooSmall)?;
        let [p0, p1, p2, p3] = pdu_len.to_be_bytes();
        // Item-length: the context ID, the control header and the fragment.
        let [i0, i1, i2, i3] = (pdu_len - 4).to_be_bytes();
        let out = buf.get_mut(..total).ok_or(BufferTooSmall)?;
        let (head, fragment) = out.split_first_chunk_mut::<12>().ok_or(BufferTooSmall)?;
        *head = [
            PduType::PDataTf as u8,
            0,
            p0,
            p1,
            p2,
            p3,
            i0,
            i1,
            i2,
            i3,
            self.context_id,
            self.control.0,
        ];
        // invariant: `fragment` is `total - 12` bytes, the fragment's length.
        fragment.copy_from_slice(self.data);
        Ok(total)
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        let len = u32::try_from(self.data.len() + 2).map_err(|_| BufferTooSmall)?;
        w.u32_be(len)?;
        w.u8(self.context_id)?;
        w.u8(self.control.0)?;
        w.put(self.data)
    }
}

/// A P-DATA-TF to emit: one or more PDVs, all of the same message (PS3.8 Annex E.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PDataTf<'a> {
    /// The PDVs, in order.
    pub pdvs: &'a [Pdv<'a>],
}

impl PDataTf<'_> {
    /// Bytes the PDU takes.
    pub fn buffer_len(&self) -> usize {
        PDU_HEADER_LEN
            + self
                .pdvs
                .iter()
                .map(|p| PDV_HEADER_LEN + p.data.len())
                .sum::<usize>()
    }

    /// Emits the PDU into `buf`, returning its length.
    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let total = self.buffer_len();
        let mut w = Writer::new(buf);
        PduHeader {
            pdu_type: PduType::PDataTf,
            length: u32::try_from(total - PDU_HEADER_LEN).map_err(|_| BufferTooSmall)?,
        }
        .write(&mut w)?;
        for p in self.pdvs {
            p.write(&mut w)?;
        }
        Ok(total)
    }
}

/// Walks the PDVs of a complete P-DATA-TF body.
#[allow(dead_code)] // used by tests and tools that hold whole PDUs
pub(crate) fn pdvs(body: &[u8]) -> impl Iterator<Item = Result<Pdv<'_>, ParseError>> {
    let mut r = Reader::new(body);
    core::iter::from_fn(move || {
        if r.is_empty() {
            return None;
        }
        let pdv = match PdvHeader::parse(r.rest()) {
            Ok(Parse::Complete(h, n)) => r
                .skip(n)
                .and_then(|()| r.bytes(h.fragment_len() as usize))
                .map(|data| Pdv {
                    context_id: h.context_id,
                    control: h.control,
                    data,
                })
                .ok_or(ParseError::InvalidLength),
            Ok(Parse::Partial) => Err(ParseError::InvalidLength),
            Err(e) => Err(e),
        };
        if pdv.is_err() {
            r = Reader::new(&[]);
        }
        Some(pdv)
    })
}
