//! Checked byte cursors shared by every codec in the crate (PDUs are big-endian, command and
//! data sets little-endian). They never index, so a short buffer is an `Err`/`None`, not a
//! panic; every parser and emitter in the crate is built on them.

/// Reads from a borrowed slice, front to back. Every read is checked.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

#[allow(dead_code)]
impl<'a> Reader<'a> {
    pub(crate) const fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    /// Bytes not read yet.
    pub(crate) const fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub(crate) const fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The unread bytes, without consuming them.
    pub(crate) const fn rest(&self) -> &'a [u8] {
        self.buf
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.buf.split_at_checked(n)?;
        self.buf = tail;
        Some(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, tail) = self.buf.split_first_chunk::<N>()?;
        self.buf = tail;
        Some(*head)
    }

    pub(crate) fn skip(&mut self, n: usize) -> Option<()> {
        self.bytes(n).map(|_| ())
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|[b]| b)
    }

    pub(crate) fn u16_be(&mut self) -> Option<u16> {
        self.array().map(u16::from_be_bytes)
    }

    pub(crate) fn u32_be(&mut self) -> Option<u32> {
        self.array().map(u32::from_be_bytes)
    }

    pub(crate) fn u16_le(&mut self) -> Option<u16> {
        self.array().map(u16::from_le_bytes)
    }

    pub(crate) fn u32_le(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }
}

/// The buffer given to an emitter is too small; nothing meaningful was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BufferTooSmall;

impl core::fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("buffer too small for the encoded PDU, item or element")
    }
}

impl core::error::Error for BufferTooSmall {}

/// Writes into a borrowed slice, front to back. Every write is checked.
#[derive(Debug)]
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

#[allow(dead_code)]
impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, pos: 0 }
    }

    /// Bytes written so far.
    pub(crate) const fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        let end = self.pos.checked_add(bytes.len()).ok_or(BufferTooSmall)?;
        self.buf
            .get_mut(self.pos..end)
            .ok_or(BufferTooSmall)?
            .copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    /// Writes a fixed-size run (a header built in registers): one bounds check, and a copy
    /// of known length the compiler inlines.
    #[inline]
    pub(crate) fn array<const N: usize>(&mut self, bytes: [u8; N]) -> Result<(), BufferTooSmall> {
        let end = self.pos.checked_add(N).ok_or(BufferTooSmall)?;
        let dst = self.buf.get_mut(self.pos..end).ok_or(BufferTooSmall)?;
        let dst: &mut [u8; N] = dst.try_into().map_err(|_| BufferTooSmall)?;
        *dst = bytes;
        self.pos = end;
        Ok(())
    }

    /// The next `n` bytes, for the caller to fill (each of them: what it leaves is
    /// written as it was).
    pub(crate) fn reserve(&mut self, n: usize) -> Result<&mut [u8], BufferTooSmall> {
        let end = self.pos.checked_add(n).ok_or(BufferTooSmall)?;
        let dst = self.buf.get_mut(self.pos..end).ok_or(BufferTooSmall)?;
        self.pos = end;
        Ok(dst)
    }

    /// The byte that pads a value of odd length to even length (PS3.5 §7.1), when `pad`
    /// (the value's length modulo 2) is 1: a store, not the general `fill` (a `memset`
    /// call, on every odd value).
    pub(crate) fn pad(&mut self, byte: u8, pad: usize) -> Result<(), BufferTooSmall> {
        if pad == 0 {
            return Ok(());
        }
        self.u8(byte)
    }

    /// Writes `n` copies of `byte` (padding, reserved fields).
    pub(crate) fn fill(&mut self, byte: u8, n: usize) -> Result<(), BufferTooSmall> {
        let end = self.pos.checked_add(n).ok_or(BufferTooSmall)?;
        self.buf
            .get_mut(self.pos..end)
            .ok_or(BufferTooSmall)?
            .fill(byte);
        self.pos = end;
        Ok(())
    }

    // The fixed-size writes go through `array`, not `put`: a store of known length where
    // `put` calls the general copy (on a Cortex-M at opt-level "z", about 50 instructions
    // to write two bytes; a command set is mostly such fields).
    pub(crate) fn u8(&mut self, v: u8) -> Result<(), BufferTooSmall> {
        self.array([v])
    }

    pub(crate) fn u16_be(&mut self, v: u16) -> Result<(), BufferTooSmall> {
        self.array(v.to_be_bytes())
    }

    pub(crate) fn u32_be(&mut self, v: u32) -> Result<(), BufferTooSmall> {
        self.array(v.to_be_bytes())
    }

    pub(crate) fn u16_le(&mut self, v: u16) -> Result<(), BufferTooSmall> {
        self.array(v.to_le_bytes())
    }

    pub(crate) fn u32_le(&mut self, v: u32) -> Result<(), BufferTooSmall> {
        self.array(v.to_le_bytes())
    }

    /// Overwrites a big-endian u32 written earlier at `at` (a length known only at the end).
    pub(crate) fn patch_u32_be(&mut self, at: usize, v: u32) -> Result<(), BufferTooSmall> {
        let end = at.checked_add(4).ok_or(BufferTooSmall)?;
        if end > self.pos {
            return Err(BufferTooSmall);
        }
        self.buf
            .get_mut(at..end)
            .ok_or(BufferTooSmall)?
            .copy_from_slice(&v.to_be_bytes());
        Ok(())
    }

    /// Overwrites a little-endian u32 written earlier at `at`.
    pub(crate) fn patch_u32_le(&mut self, at: usize, v: u32) -> Result<(), BufferTooSmall> {
        let end = at.checked_add(4).ok_or(BufferTooSmall)?;
        if end > self.pos {
            return Err(BufferTooSmall);
        }
        self.buf
            .get_mut(at..end)
            .ok_or(BufferTooSmall)?
            .copy_from_slice(&v.to_le_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_is_checked() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16_be(), Some(0x0102));
        assert_eq!(r.u16_be(), None);
        assert_eq!(r.u8(), Some(3));
        assert!(r.is_empty());
    }

    #[test]
    fn writer_is_checked() {
        let mut buf = [0u8; 5];
        let mut w = Writer::new(&mut buf);
        w.u32_le(0x0403_0201).unwrap();
        assert_eq!(w.u16_be(1), Err(BufferTooSmall));
        w.u8(5).unwrap();
        w.patch_u32_be(0, 0x0a0b_0c0d).unwrap();
        assert_eq!(w.patch_u32_be(2, 0), Err(BufferTooSmall));
        assert_eq!(buf, [0x0a, 0x0b, 0x0c, 0x0d, 5]);
    }
}
