//! The connection's queues (events for the application, PDUs to send, aborts to send): a
//! ring that keeps its length. `heapless::Deque` works its length out of two indices and a
//! flag on every call, and the per-message path asks for it, or for emptiness, about twenty
//! times per N-GET (about 170 instructions); here each is one load, and the ring's
//! bookkeeping is two bytes where the deque's was two words and a flag.

/// A first-in first-out queue of at most `N` values; `N` is a power of two of at most 128.
#[derive(Debug, Clone)]
pub(crate) struct Ring<T, const N: usize> {
    items: [Option<T>; N],
    /// Where the front is (always below `N`).
    head: u8,
    len: u8,
}

impl<T, const N: usize> Ring<T, N> {
    pub(crate) const fn new() -> Self {
        const { assert!(N.is_power_of_two() && N <= 128) };
        Ring {
            items: [const { None }; N],
            head: 0,
            len: 0,
        }
    }

    #[inline]
    pub(crate) const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Room for how many more.
    #[inline]
    pub(crate) const fn room(&self) -> usize {
        N - self.len as usize
    }

    /// Appends `value`, or gives it back when the ring is full.
    #[inline]
    pub(crate) fn push_back(&mut self, value: T) -> Result<(), T> {
        let len = self.len as usize;
        if len >= N {
            return Err(value);
        }
        // Masked: always an index of `items` (the check is compiled away).
        match self.items.get_mut((self.head as usize + len) & (N - 1)) {
            Some(slot) => *slot = Some(value),
            None => return Err(value),
        }
        self.len += 1;
        Ok(())
    }

    #[inline]
    pub(crate) fn front(&self) -> Option<&T> {
        if self.len == 0 {
            return None;
        }
        self.items.get(self.head as usize & (N - 1))?.as_ref()
    }

    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let head = self.head as usize & (N - 1);
        self.head = ((head + 1) & (N - 1)) as u8;
        self.len -= 1;
        self.items.get_mut(head)?.take()
    }

    pub(crate) fn clear(&mut self) {
        while self.pop_front().is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::Ring;

    #[test]
    fn first_in_first_out_across_the_wrap() {
        let mut r: Ring<u32, 4> = Ring::new();
        assert!(r.is_empty() && r.front().is_none() && r.pop_front().is_none());
        for round in 0..5u32 {
            for k in 0..4 {
                assert_eq!(r.push_back(round * 10 + k), Ok(()));
            }
            assert_eq!(r.push_back(99), Err(99));
            assert_eq!(r.room(), 0);
            assert_eq!(r.front(), Some(&(round * 10)));
            for k in 0..3 {
                assert_eq!(r.pop_front(), Some(round * 10 + k));
            }
            // One left behind: the next round's pushes wrap around it.
            assert_eq!(r.room(), 3);
            assert_eq!(r.pop_front(), Some(round * 10 + 3));
        }
        r.push_back(1).unwrap();
        r.push_back(2).unwrap();
        r.clear();
        assert!(r.is_empty() && r.pop_front().is_none());
        r.push_back(3).unwrap();
        assert_eq!(r.pop_front(), Some(3));
    }
}
