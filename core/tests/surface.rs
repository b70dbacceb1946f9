//! The public surface as an application sees it: errors that work with `?` and print in the
//! standard's words, `Debug` output that names what it shows, policies in `static`s.

use std::error::Error;

use dimse_core::dataset::{
    AttributeFilter, Encoding, FilterError, ReadError, Reader, Tag, Vr, WriteError, Writer,
};
use dimse_core::pdu::{AssociateRj, ParseError, PduHeader};
use dimse_core::BufferTooSmall;

/// Each core error converts into `Box<dyn Error>` through `?`, as in an application's `main`.
mod errors {
    use super::*;

    fn emit_into_short_buffer() -> Result<(), Box<dyn Error>> {
        AssociateRj::PROVIDER_NO_REASON.emit(&mut [0u8; 4])?;
        Ok(())
    }

    fn parse_unknown_pdu() -> Result<(), Box<dyn Error>> {
        PduHeader::parse(&[0x09, 0, 0, 0, 0, 0])?;
        Ok(())
    }

    fn filter_odd_list() -> Result<(), Box<dyn Error>> {
        AttributeFilter::new(&[0x08, 0x00, 0x70])?;
        Ok(())
    }

    fn read_truncated() -> Result<(), Box<dyn Error>> {
        // (0008,0070) announcing 4 bytes of value, with 2 present.
        let data = [0x08, 0x00, 0x70, 0x00, 4, 0, 0, 0, b'A', b'C'];
        for event in Reader::new(&data, Encoding::ImplicitVrLittleEndian) {
            event?;
        }
        Ok(())
    }

    fn write_out_of_order() -> Result<(), Box<dyn Error>> {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf, Encoding::ImplicitVrLittleEndian);
        w.string(Tag::new(0x0008, 0x0070), Vr::LO, "ACME")?;
        w.string(Tag::new(0x0008, 0x0060), Vr::CS, "DS")?;
        Ok(())
    }

    /// The message of the error `f` returned, after checking it is the expected type.
    fn message<E: Error + PartialEq + 'static>(
        f: fn() -> Result<(), Box<dyn Error>>,
        expected: E,
    ) -> String {
        let err = f().expect_err("the call fails");
        assert_eq!(err.downcast_ref::<E>(), Some(&expected));
        assert!(err.source().is_none());
        err.to_string()
    }

    #[test]
    fn question_mark_into_box_dyn_error() {
        assert_eq!(
            message(emit_into_short_buffer, BufferTooSmall),
            "buffer too small for the encoded PDU, item or element"
        );
        assert_eq!(
            message(parse_unknown_pdu, ParseError::UnrecognizedPdu(9)),
            "unrecognized-PDU: PDU type 09H"
        );
        assert_eq!(
            message(filter_odd_list, FilterError::BadLength),
            "attribute identifier list length is not a multiple of 4"
        );
        assert_eq!(
            message(read_truncated, ReadError::Truncated),
            "data set ends inside an element, item or sequence"
        );
        assert_eq!(
            message(write_out_of_order, WriteError::OutOfOrder),
            "data element tags not in ascending order"
        );
    }

    #[test]
    fn every_variant_has_a_one_line_lower_case_message() {
        let all: [&dyn Error; 16] = [
            &BufferTooSmall,
            &ParseError::UnrecognizedPdu(0xAB),
            &ParseError::InvalidLength,
            &ParseError::InvalidValue,
            &ParseError::TooLong,
            &FilterError::BadLength,
            &FilterError::TooManyTags,
            &ReadError::Truncated,
            &ReadError::BadLength,
            &ReadError::TooDeep,
            &ReadError::UnexpectedDelimiter,
            &ReadError::ExpectedItem,
            &ReadError::UnknownVr,
            &WriteError::BufferFull,
            &WriteError::InvalidValue,
            &WriteError::TooDeep,
        ];
        for e in all {
            let s = e.to_string();
            assert!(!s.is_empty() && !s.contains('\n'), "{s:?}");
            assert!(s.starts_with(|c: char| c.is_ascii_lowercase()), "{s:?}");
            assert!(!s.ends_with('.'), "{s:?}");
        }
        assert_eq!(
            ParseError::UnrecognizedPdu(0xAB).to_string(),
            "unrecognized-PDU: PDU type ABH"
        );
        assert_eq!(
            ParseError::TooLong.to_string(),
            "invalid-PDU-parameter value: PDU longer than the configured limit"
        );
        assert_eq!(
            FilterError::TooManyTags.to_string(),
            "attribute identifier list holds more than 256 tags"
        );
        assert_eq!(
            ReadError::TooDeep.to_string(),
            "sequences nested deeper than 8"
        );
        assert_eq!(
            WriteError::BufferFull.to_string(),
            "data set does not fit the buffer"
        );
    }
}

/// `Debug` of DIMSE values reads in the standard's terms.
mod debug {
    use dimse_core::dataset::Tag;
    use dimse_core::dimse::{CommandField, Status};

    #[test]
    fn command_field_prints_its_name() {
        assert_eq!(format!("{:?}", CommandField::N_GET_RQ), "N-GET-RQ");
        assert_eq!(format!("{:?}", CommandField::C_ECHO_RSP), "C-ECHO-RSP");
        assert_eq!(format!("{:?}", CommandField(0x8120)), "N-SET-RSP");
        assert_eq!(format!("{:?}", CommandField::C_CANCEL_RQ), "C-CANCEL-RQ");
        assert_eq!(
            format!("{:?}", CommandField(0x1234)),
            "CommandField(0x1234)"
        );
        assert_eq!(
            format!("{:?}", CommandField(0x8FFF)),
            "CommandField(0x8FFF)"
        );
        assert_eq!(
            format!("{:?}", Some(CommandField::N_GET_RSP)),
            "Some(N-GET-RSP)"
        );
    }

    #[test]
    fn status_prints_code_in_hex_with_its_meaning() {
        assert_eq!(
            format!("{:?}", Status::new(0x0107)),
            "Status { code: 0107H (Attribute list error), error_comment: None, error_id: None, \
             attribute_identifier_list: None, offending_element: None }"
        );
        let tags = [Tag::new(0x0018, 0x1000)];
        let s = Status::new(0x0110)
            .with_error_comment("sensor offline")
            .with_error_id(7)
            .with_offending_element(&tags);
        assert_eq!(
            format!("{s:?}"),
            format!(
                "Status {{ code: 0110H (Processing failure), error_comment: Some(\"sensor offline\"), \
                 error_id: Some(7), attribute_identifier_list: None, offending_element: Some({:?}) }}",
                &tags[..]
            )
        );
        assert!(format!("{:?}", Status::SUCCESS).starts_with("Status { code: 0000H (Success),"));
        assert!(format!("{:?}", Status::new(0xC123)).contains("C123H (Error: cannot understand)"));
    }
}

/// Policies and configurations can be `static`s: their constructors are `const fn`.
mod statics {
    use dimse_core::assoc::{AcceptorPolicy, RequestorConfig};
    use dimse_core::pdu::{AeTitle, PresentationContextRq};
    use dimse_core::service::DISPLAY_SYSTEM;

    /// A title known at compile time; a bad one would fail the build, not the run.
    const fn title(s: &str) -> AeTitle {
        match AeTitle::new(s) {
            Some(t) => t,
            None => panic!("not an AE title"),
        }
    }

    static SERVED: [&str; 1] = [DISPLAY_SYSTEM];
    static POLICY: AcceptorPolicy<'static> = AcceptorPolicy::new(
        match AeTitle::new("DISPLAY") {
            Some(t) => t,
            None => panic!(),
        },
        &SERVED,
    );

    static TS: [&str; 1] = ["1.2.840.10008.1.2"];
    static CONTEXTS: [PresentationContextRq<'static>; 1] = [PresentationContextRq {
        id: 1,
        abstract_syntax: DISPLAY_SYSTEM,
        transfer_syntaxes: &TS,
    }];
    static CONFIG: RequestorConfig<'static> =
        RequestorConfig::new(title(" QA "), title("DISPLAY"), &CONTEXTS);

    #[test]
    fn policy_and_config_in_statics() {
        assert_eq!(POLICY.ae_title, AeTitle::new("DISPLAY").unwrap());
        assert_eq!(POLICY.abstract_syntaxes, &[DISPLAY_SYSTEM]);
        assert_eq!(CONFIG.calling_ae.as_bytes(), b"QA");
        assert_eq!(CONFIG.called_ae, POLICY.ae_title);
        assert_eq!(CONFIG.presentation_contexts.len(), 1);
    }

    #[test]
    fn ae_title_new_in_const_context() {
        const PADDED: Option<AeTitle> = AeTitle::new("  STORE SCP  ");
        const TOO_LONG: Option<AeTitle> = AeTitle::new("ABCDEFGHIJKLMNOPQ");
        const BACKSLASH: Option<AeTitle> = AeTitle::new("A\\B");
        const BLANK: Option<AeTitle> = AeTitle::new("    ");
        assert_eq!(PADDED.map(|t| t.to_field()), Some(*b"STORE SCP       "));
        assert_eq!((TOO_LONG, BACKSLASH, BLANK), (None, None, None));
    }
}

#[test]
fn events_print_statuses_in_hex_and_command_fields_by_name() {
    use dimse_core::dimse::{CommandField, Operation};
    use dimse_core::Event;
    let answered = Event::Answered {
        message_id: 7,
        context_id: 3,
        command_field: CommandField::C_ECHO_RQ,
        status: 0x0211,
    };
    assert_eq!(
        format!("{answered:?}"),
        "Answered { message_id: 7, context_id: 3, command_field: C-ECHO-RQ, status: 0211H (Unrecognized operation) }"
    );
    let response = Event::Response {
        op: Operation::NGet,
        message_id: 2,
        status: 0x0107,
        related_fields: true,
        data_set_len: Some(12),
    };
    assert_eq!(
        format!("{response:?}"),
        "Response { op: NGet, message_id: 2, status: 0107H (Attribute list error), related_fields: true, data_set_len: Some(12) }"
    );
}
