//! The DIMSE operations the core carries, and sets of them: a SOP class's service group
//! (PS3.4) names the operations it defines ([`SopClass::operations`](super::SopClass)).
//!
//! An operation's Command Fields and what the DIMSE layer does with its messages are
//! [`crate::dimse`]'s (the operation table: [`Operation::request`], `dimse/n_get.rs`, ...);
//! the enum lives here, beside the SOP class tables that list it, because those tables sit
//! below the DIMSE layer that consults them.

/// A DIMSE operation the core carries (PS3.7 §9 and §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Operation {
    /// C-ECHO (PS3.7 §9.1.5): verification. An SCP core answers it itself.
    CEcho,
    /// N-GET (PS3.7 §10.1.2): retrieve attribute values of a SOP instance. The application
    /// answers it.
    NGet,
    /// N-DELETE (PS3.7 §10.1.6), in this crate's own tests only: the row that walks the
    /// checklist for adding an operation ([`crate::dimse`]'s docs) and proves it complete
    /// (`dimse::n_delete`; `grep -rn NDelete` shows every place a new operation touches).
    #[cfg(test)]
    NDelete,
}

impl Operation {
    /// Every row of the table.
    #[cfg(not(test))]
    pub const ALL: [Operation; 2] = [Operation::CEcho, Operation::NGet];
    /// Every row of the table.
    #[cfg(test)]
    pub const ALL: [Operation; 3] = [Operation::CEcho, Operation::NGet, Operation::NDelete];

    /// The operation's name in PS3.7 ("N-GET").
    pub const fn name(self) -> &'static str {
        match self {
            Operation::CEcho => "C-ECHO",
            Operation::NGet => "N-GET",
            #[cfg(test)]
            Operation::NDelete => "N-DELETE",
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl core::fmt::Display for Operation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of operations: the part of a SOP class's DIMSE service group the core carries.
#[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Operations(u8);

impl Operations {
    /// No operation.
    pub const NONE: Operations = Operations(0);

    /// This set and `op`.
    pub const fn with(self, op: Operation) -> Operations {
        Operations(self.0 | op.bit())
    }

    /// Whether `op` is in the set.
    pub const fn contains(self, op: Operation) -> bool {
        self.0 & op.bit() != 0
    }

    /// The operations in the set, in table order.
    pub fn iter(self) -> impl Iterator<Item = Operation> {
        Operation::ALL
            .into_iter()
            .filter(move |&o| self.contains(o))
    }
}

impl core::fmt::Debug for Operations {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_holds_what_was_put_in() {
        let set = Operations::NONE.with(Operation::NGet);
        assert!(set.contains(Operation::NGet) && !set.contains(Operation::CEcho));
        assert_eq!(
            set.iter().collect::<heapless::Vec<_, 3>>(),
            [Operation::NGet]
        );
    }
}
