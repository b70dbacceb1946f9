//! The operation table: every DIMSE operation the core carries, one row each.
//!
//! A row is a variant of [`Operation`] (defined in [`crate::service`], beside the SOP class
//! tables that list each class's operations) with its request and response Command Fields,
//! given here; what the SCP does with a request of it, and what an SCU sends, lives in the
//! operation's own file (`c_echo.rs`, `n_get.rs`) behind the same few functions. Which SOP
//! classes carry which operations is [`crate::service::SopClass::operations`].

use super::command::CommandField;
pub use crate::service::{Operation, Operations};

impl Operation {
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
    }
}
