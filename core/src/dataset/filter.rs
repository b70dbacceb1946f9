//! The N-GET attribute filter: which top-level attributes the peer asked for (PS3.7
//! §10.1.2.1.5), and which of those the data set source never produced.

use super::Tag;

/// The most tags an Attribute Identifier List may hold here. Each costs one bit of state; a
/// longer list is refused with [`FilterError::TooManyTags`] (the core answers 0213H).
pub const MAX_REQUESTED: usize = 256;

const WORDS: usize = MAX_REQUESTED / 32;

/// The filter's record of which list entries were produced, kept apart from the list so that
/// a filter can be rebuilt over the same list once the writer that used it is gone.
pub(crate) type Produced = [u32; WORDS];

/// Why an Attribute Identifier List cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FilterError {
    /// The value length is not a multiple of 4, so it is not a list of AT values
    /// (the core answers 0212H, mistyped argument).
    BadLength,
    /// More than [`MAX_REQUESTED`] tags (the core answers 0213H, resource limitation).
    TooManyTags,
}

impl core::fmt::Display for FilterError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            FilterError::BadLength => {
                f.write_str("attribute identifier list length is not a multiple of 4")
            }
            FilterError::TooManyTags => write!(
                f,
                "attribute identifier list holds more than {MAX_REQUESTED} tags"
            ),
        }
    }
}

impl core::error::Error for FilterError {}

/// A borrowed Attribute Identifier List (0000,1005) and a record of which of its tags were
/// written.
///
/// The list stays in the caller's bytes (group u16 LE, element u16 LE per tag, in any order,
/// duplicates allowed); the filter adds one bit per entry, so it allocates nothing and does not
/// require the source to write in list order. Lookups are linear in the list length, which is
/// small in practice (a QA server asks for tens of attributes).
#[derive(Debug, Clone)]
pub struct AttributeFilter<'a> {
    list: &'a [u8],
    produced: [u32; WORDS],
}

impl<'a> AttributeFilter<'a> {
    /// A filter over the raw value of an Attribute Identifier List. An empty value means
    /// "every attribute", as an absent list does (PS3.7 leaves zero length undefined;
    /// pynetdicom treats it as absent).
    pub fn new(list: &'a [u8]) -> Result<Self, FilterError> {
        if list.len() % 4 != 0 {
            return Err(FilterError::BadLength);
        }
        if list.len() / 4 > MAX_REQUESTED {
            return Err(FilterError::TooManyTags);
        }
        Ok(AttributeFilter {
            list,
            produced: [0; WORDS],
        })
    }

    /// A filter that lets every attribute through.
    pub const fn all() -> Self {
        AttributeFilter {
            list: &[],
            produced: [0; WORDS],
        }
    }

    /// Whether every attribute passes (no list, or an empty one).
    pub const fn is_all(&self) -> bool {
        self.list.is_empty()
    }

    /// The requested tags, in list order, duplicates included.
    pub fn requested(&self) -> impl Iterator<Item = Tag> + 'a {
        self.list
            .chunks_exact(4)
            .filter_map(|c| c.try_into().ok().map(Tag::from_le_bytes))
    }

    /// Whether a top-level element with `tag` is to be written.
    pub fn contains(&self, tag: Tag) -> bool {
        self.is_all() || self.requested().any(|t| t == tag)
    }

    /// Records that `tag` was written; every list entry equal to it counts as produced.
    pub(crate) fn mark(&mut self, tag: Tag) {
        for (i, t) in self.requested().enumerate() {
            if t == tag {
                if let Some(word) = self.produced.get_mut(i / 32) {
                    *word |= 1 << (i % 32);
                }
            }
        }
    }

    /// The record of what was produced (see [`Produced`]).
    pub(crate) const fn produced(&self) -> Produced {
        self.produced
    }

    /// This filter with a record taken from another filter over the same list.
    pub(crate) const fn with_produced(mut self, produced: Produced) -> Self {
        self.produced = produced;
        self
    }

    fn was_produced(&self, i: usize) -> bool {
        self.produced
            .get(i / 32)
            .is_some_and(|word| word & (1 << (i % 32)) != 0)
    }

    /// The requested tags that were never written, each once, in list order. The core
    /// answers 0107H with these in the response's Attribute Identifier List.
    pub fn missing(&self) -> Missing<'_, 'a> {
        Missing {
            filter: self,
            next: 0,
        }
    }
}

impl Default for AttributeFilter<'_> {
    fn default() -> Self {
        AttributeFilter::all()
    }
}

/// Iterator over the requested tags a source never produced: see [`AttributeFilter::missing`].
#[derive(Debug, Clone)]
pub struct Missing<'f, 'a> {
    filter: &'f AttributeFilter<'a>,
    next: usize,
}

impl Iterator for Missing<'_, '_> {
    type Item = Tag;

    fn next(&mut self) -> Option<Tag> {
        loop {
            let i = self.next;
            let tag = self.filter.requested().nth(i)?;
            self.next = i + 1;
            if self.filter.was_produced(i) {
                continue;
            }
            // Report a duplicated tag once, at its first position.
            if self.filter.requested().take(i).any(|t| t == tag) {
                continue;
            }
            return Some(tag);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(tags: &[Tag]) -> heapless::Vec<u8, 64> {
        let mut v = heapless::Vec::new();
        for t in tags {
            v.extend_from_slice(&t.to_le_bytes()).unwrap();
        }
        v
    }

    const MANUFACTURER: Tag = Tag::new(0x0008, 0x0070);
    const SUBSYSTEMS: Tag = Tag::new(0x0028, 0x7023);
    const SERIAL: Tag = Tag::new(0x0018, 0x1000);

    #[test]
    fn parses_the_pynetdicom_vector() {
        // (0000,1005) value of core/tests/vectors/n-get-rq-attr-list.hex.
        let raw = [0x08, 0x00, 0x70, 0x00, 0x28, 0x00, 0x23, 0x70];
        let f = AttributeFilter::new(&raw).unwrap();
        assert!(f.requested().eq([MANUFACTURER, SUBSYSTEMS]));
        assert!(f.contains(SUBSYSTEMS));
        assert!(!f.contains(SERIAL));
    }

    #[test]
    fn empty_means_everything() {
        let f = AttributeFilter::new(&[]).unwrap();
        assert!(f.is_all());
        assert!(f.contains(SERIAL));
        assert_eq!(f.missing().count(), 0);
        assert!(AttributeFilter::default().is_all());
    }

    #[test]
    fn rejects_bad_lists() {
        assert_eq!(
            AttributeFilter::new(&[1, 2, 3]).unwrap_err(),
            FilterError::BadLength
        );
        let big = [0u8; 4 * (MAX_REQUESTED + 1)];
        assert_eq!(
            AttributeFilter::new(&big).unwrap_err(),
            FilterError::TooManyTags
        );
        assert!(AttributeFilter::new(&big[..4 * MAX_REQUESTED]).is_ok());
    }

    #[test]
    fn missing_is_requested_minus_marked_once_each() {
        let raw = list(&[SERIAL, MANUFACTURER, SERIAL, SUBSYSTEMS, SUBSYSTEMS]);
        let mut f = AttributeFilter::new(&raw).unwrap();
        assert!(f.missing().eq([SERIAL, MANUFACTURER, SUBSYSTEMS]));
        f.mark(SUBSYSTEMS);
        f.mark(Tag::new(0x0010, 0x0010));
        assert!(f.missing().eq([SERIAL, MANUFACTURER]));
        f.mark(SERIAL);
        f.mark(MANUFACTURER);
        assert_eq!(f.missing().next(), None);
    }

    #[test]
    fn marks_the_last_of_a_full_list() {
        let mut raw = [0u8; 4 * MAX_REQUESTED];
        for (i, c) in raw.chunks_exact_mut(4).enumerate() {
            c.copy_from_slice(&Tag::new(0x0008, i as u16 + 1).to_le_bytes());
        }
        let mut f = AttributeFilter::new(&raw).unwrap();
        let last = Tag::new(0x0008, MAX_REQUESTED as u16);
        f.mark(last);
        assert_eq!(f.missing().count(), MAX_REQUESTED - 1);
        assert!(f.missing().all(|t| t != last));
    }
}
