//! The operation table: every DIMSE operation the core carries, one row each.
//!
//! A row is a variant of [`Operation`] with its request and response Command Fields and its
//! PS3.7 name; what the SCP does with a request of it, and what an SCU sends, lives in the
//! operation's own file (`c_echo.rs`, `n_get.rs`) behind the same few functions. Which SOP
//! classes carry which operations is [`crate::service::SopClass::operations`].

use super::command::CommandField;

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

    /// The request's Command Field.
    pub const fn request(self) -> CommandField {
        match self {
            Operation::CEcho => CommandField::C_ECHO_RQ,
            Operation::NGet => CommandField::N_GET_RQ,
            #[cfg(test)]
            Operation::NDelete => CommandField::N_DELETE_RQ,
        }
    }

    /// The response's Command Field (the request's with bit 15 set, PS3.7 Annex E).
    pub const fn response(self) -> CommandField {
        CommandField(self.request().0 | 0x8000)
    }

    /// The operation's name in PS3.7 ("N-GET").
    pub const fn name(self) -> &'static str {
        match self {
            Operation::CEcho => "C-ECHO",
            Operation::NGet => "N-GET",
            #[cfg(test)]
            Operation::NDelete => "N-DELETE",
        }
    }

    /// The operation a request Command Field asks for, if the core carries it.
    pub fn of_request(field: CommandField) -> Option<Operation> {
        // A match rather than a search of `ALL`: it runs for every request received.
        match field {
            CommandField::C_ECHO_RQ => Some(Operation::CEcho),
            CommandField::N_GET_RQ => Some(Operation::NGet),
            #[cfg(test)]
            CommandField::N_DELETE_RQ => Some(Operation::NDelete),
            _ => None,
        }
    }

    /// The operation a response Command Field answers, if the core carries it.
    pub fn of_response(field: CommandField) -> Option<Operation> {
        Operation::ALL.into_iter().find(|o| o.response() == field)
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
    fn the_table_is_consistent() {
        for op in Operation::ALL {
            assert!(op.request().is_known_request(), "{op}");
            assert_eq!(op.request().response(), Some(op.response()));
            assert_eq!(Operation::of_request(op.request()), Some(op));
            assert_eq!(Operation::of_response(op.response()), Some(op));
            assert!(op.request().name().starts_with(op.name()));
        }
        let set = Operations::NONE.with(Operation::NGet);
        assert!(set.contains(Operation::NGet) && !set.contains(Operation::CEcho));
        assert_eq!(
            set.iter().collect::<heapless::Vec<_, 3>>(),
            [Operation::NGet]
        );
    }
}
