//! [`SharedStr`]: text that many values hold and none changes.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// An immutable string shared by reference count: what every request of an association
/// repeats (AE titles, a context's syntaxes, a SOP class and instance asked for again) is
/// allocated once per association, and each request's copy is a count increment. It reads
/// as a `&str` (`Deref`), prints like one and compares with `str`, `&str` and `String`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SharedStr(Arc<str>);

impl SharedStr {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for SharedStr {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> Self {
        SharedStr(s.into())
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> Self {
        SharedStr(s.into())
    }
}

impl From<SharedStr> for String {
    fn from(s: SharedStr) -> Self {
        s.0.as_ref().to_owned()
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        &*self.0 == other.as_str()
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        self == &*other.0
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<SharedStr> for String {
    fn eq(&self, other: &SharedStr) -> bool {
        self.as_str() == &*other.0
    }
}

#[cfg(test)]
mod tests {
    use super::SharedStr;
    use std::collections::HashSet;

    #[test]
    fn reads_prints_and_compares_like_a_str() {
        let s = SharedStr::from("QA_SCU");
        let t = s.clone();
        assert_eq!(s, "QA_SCU");
        assert_eq!("QA_SCU", s);
        assert_eq!(s, String::from("QA_SCU"));
        assert_eq!(String::from("QA_SCU"), t);
        assert!(*"QA_SCU" == s);
        assert!(s == *"QA_SCU");
        assert_ne!(s, "QA");
        assert_eq!(s.len(), 6);
        assert!(s.starts_with("QA"));
        assert_eq!(format!("{s} {s:?}"), "QA_SCU \"QA_SCU\"");
        assert_eq!(String::from(t), "QA_SCU");
        let set: HashSet<SharedStr> = [s.clone(), SharedStr::from(String::from("X"))].into();
        assert!(set.contains("QA_SCU") && set.contains("X"));
        let (a, b) = (SharedStr::from("A"), SharedStr::from(String::from("B")));
        assert!(a < b);
    }
}
