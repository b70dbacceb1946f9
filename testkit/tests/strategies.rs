//! The strategies produce what their documentation says: whole PDUs whose length field is
//! right, offers and N-GETs that parse back to their models, cuts that lose no byte.

use dimse_core::dimse::Command;
use dimse_core::pdu::{AeTitle, Item, ItemIter, PduHeader, PduType, PDU_HEADER_LEN};
use dimse_testkit::strategy::{command_set, cuts, n_get, offer_to, pdu, split};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_valid_pdu_is_whole(bytes in pdu()) {
        let len = u32::from_be_bytes(bytes[2..6].try_into().unwrap()) as usize;
        prop_assert_eq!(len + PDU_HEADER_LEN, bytes.len());
        prop_assert!(PduHeader::parse(&bytes).is_ok());
    }

    #[test]
    fn an_offer_carries_its_contexts(offer in offer_to(AeTitle::new("DISPLAY").unwrap())) {
        let bytes = offer.to_bytes();
        prop_assert_eq!(bytes[0], 0x01);
        let ids: Vec<u8> = ItemIter::new(&bytes[PDU_HEADER_LEN + 68..])
            .filter_map(|i| match i {
                Ok(Item::PresentationContextRq(id, _)) => Some(id),
                _ => None,
            })
            .collect();
        let want: Vec<u8> = offer.contexts.iter().map(|pc| pc.id).collect();
        prop_assert_eq!(ids, want);
    }

    #[test]
    fn an_n_get_parses_back(g in n_get()) {
        let bytes = g.command_set();
        let c = Command::parse(&bytes);
        prop_assert_eq!(c.message_id, Some(g.message_id));
        let tags: Vec<_> = c.attribute_tags().collect();
        prop_assert_eq!(tags, g.attributes.clone().unwrap_or_default());
        let pdu = g.pdu(1);
        prop_assert_eq!(PduHeader::parse(&pdu).map(|_| pdu[0]), Ok(PduType::PDataTf as u8));
    }

    #[test]
    fn a_command_set_starts_with_its_group_length(bytes in command_set()) {
        // (0000,0000) UL, Implicit VR Little Endian: what every generated command set opens
        // with, valid or not.
        prop_assert_eq!(&bytes[..8], &[0, 0, 0, 0, 4, 0, 0, 0]);
    }

    #[test]
    fn cutting_loses_no_byte(bytes in proptest::collection::vec(any::<u8>(), 0..300), cuts in cuts()) {
        let pieces = split(&bytes, &cuts);
        prop_assert!(pieces.iter().all(|p| !p.is_empty()));
        prop_assert_eq!(pieces.concat(), bytes);
    }
}
