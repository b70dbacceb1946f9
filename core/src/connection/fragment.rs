//! Fragmentation and emission: the outgoing PDUs written into the caller's buffer, a DIMSE
//! message cut into P-DATA-TF PDUs no longer than the peer's maximum (PS3.8 Annex E.1), and
//! the size of the largest A-ASSOCIATE-RQ/AC a configuration can need.

use super::*;

impl<'a> Connection<'a> {
    pub(super) fn emit_associate_rq(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        self.associate_rq().ok_or(BufferTooSmall)?.emit(out)
    }

    /// The A-ASSOCIATE-RQ a requestor sends.
    pub(super) fn associate_rq(&self) -> Option<AssociateRq<'a>> {
        let Syntaxes::Requestor(c) = self.syntaxes else {
            return None;
        };
        Some(AssociateRq {
            fixed: AssociateFixed::new(c.called_ae, c.calling_ae),
            application_context: APPLICATION_CONTEXT_NAME,
            presentation_contexts: c.presentation_contexts,
            user_information: UserInformation {
                max_length: self.limits().max_pdu_length,
                implementation_class_uid: c.implementation_class_uid,
                async_ops_window: c.async_ops_window,
                role_selections: c.role_selections,
                implementation_version_name: c.implementation_version_name,
                user_identity_rq: c.user_identity,
                ..UserInformation::default()
            },
        })
    }

    pub(super) fn emit_associate_ac(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let (Syntaxes::Acceptor(p), Some(n)) = (self.syntaxes, self.negotiated()) else {
            return Err(BufferTooSmall);
        };
        let mut roles: heapless::Vec<RoleSelection<'_>, MAX_ROLE_SELECTIONS> = heapless::Vec::new();
        for &(i, scu, scp) in &n.roles {
            if let Some(uid) = p.abstract_syntaxes.get(usize::from(i)) {
                let _ = roles.push(RoleSelection {
                    sop_class_uid: uid,
                    scu_role: scu,
                    scp_role: scp,
                });
            }
        }
        let user_information = UserInformation {
            max_length: self.limits().max_pdu_length,
            implementation_class_uid: p.implementation_class_uid,
            async_ops_window: n.async_ops_proposed.then_some((1, 1)),
            role_selections: &roles,
            implementation_version_name: p.implementation_version_name,
            user_identity_ac: n.user_identity_response.then_some(UserIdentityAc {
                server_response: &[],
            }),
            ..UserInformation::default()
        };
        let mut w = Writer::new(out);
        let start = pdu::start_associate(
            &mut w,
            PduType::AssociateAc,
            &n.fixed,
            APPLICATION_CONTEXT_NAME,
        )?;
        for rec in &n.contexts {
            // A rejected context still carries a transfer syntax sub-item, not significant.
            let transfer_syntax = self
                .syntaxes
                .resolve(rec)
                .1
                .filter(|_| rec.result == ContextResult::Acceptance)
                .unwrap_or(IMPLICIT_VR_LITTLE_ENDIAN);
            PresentationContextAc {
                id: rec.id,
                result: rec.result.to_u8(),
                transfer_syntax,
            }
            .write(&mut w)?;
        }
        user_information.write(&mut w)?;
        pdu::finish_pdu(&mut w, start)
    }

    /// Lays out the A-ASSOCIATE-RQ/AC `pdu` in the transmit storage, for
    /// [`Connection::hand_out_staged`]. `Err` when the storage is taken or too small.
    pub(super) fn stage(&mut self, pdu: Outgoing) -> Result<(), BufferTooSmall> {
        if self.tx_busy() {
            return Err(BufferTooSmall);
        }
        // The storage is lent out of `self` for the emitter, which reads the rest of it.
        let tx = core::mem::take(&mut self.storage.tx);
        let emitted = match pdu {
            Outgoing::AssociateRq => self.emit_associate_rq(tx),
            _ => self.emit_associate_ac(tx),
        };
        self.storage.tx = tx;
        self.staged = Some((emitted?, 0));
        Ok(())
    }

    /// The next piece of the staged PDU, as much as `out` holds; `true` with the last one.
    pub(super) fn hand_out_staged(
        &mut self,
        out: &mut [u8],
    ) -> Result<(usize, bool), BufferTooSmall> {
        let (len, sent) = self.staged.ok_or(BufferTooSmall)?;
        let n = out.len().min(len - sent);
        if n == 0 {
            return Err(BufferTooSmall);
        }
        let piece = self.storage.tx.get(sent..sent + n).ok_or(BufferTooSmall)?;
        out.get_mut(..n)
            .ok_or(BufferTooSmall)?
            .copy_from_slice(piece);
        let done = sent + n == len;
        self.staged = if done { None } else { Some((len, sent + n)) };
        Ok((n, done))
    }

    /// One P-DATA-TF with one PDV of the outgoing message (its command set first, then its
    /// data set: never both in one PDV, PS3.7 §6.3.1); `true` when it carried the last
    /// fragment of the message.
    pub(super) fn emit_pdata(&mut self, out: &mut [u8]) -> Result<(usize, bool), BufferTooSmall> {
        let peer = self.negotiated().map_or(0, |n| n.peer_max_pdu_length);
        let peer = if peer == 0 { usize::MAX } else { peer as usize };
        let room = out.len().saturating_sub(PDU_HEADER_LEN).min(peer);
        let max_fragment = room.saturating_sub(PDV_HEADER_LEN);
        let tx = self.tx;
        let (command, start, len) = if tx.sent < tx.command.1 {
            (true, tx.command.0, tx.command.1)
        } else {
            (false, tx.data.0, tx.data.1)
        };
        let sent = if command {
            tx.sent
        } else {
            tx.sent - tx.command.1
        };
        let remaining = len - sent;
        let (fragment, last) = if remaining <= max_fragment {
            (remaining, true)
        } else {
            // Every fragment but the last has an even length (PS3.8 Annex E.1).
            (max_fragment & !1, false)
        };
        if fragment == 0 && !last {
            return Err(BufferTooSmall);
        }
        let data = self
            .storage
            .tx
            .get(start + sent..start + sent + fragment)
            .ok_or(BufferTooSmall)?;
        let n = Pdv {
            context_id: tx.context_id,
            control: pdu::MessageControlHeader::new(command, last),
            data,
        }
        .emit_alone(out)?;
        self.tx.sent += fragment;
        Ok((n, last && (!command || tx.data.1 == 0)))
    }
}

/// The smallest P-DATA-TF that carries a fragment: PDU and PDV headers and two bytes (every
/// fragment but the last has an even length, PS3.8 Annex E.1).
pub(super) const MIN_PDATA_LEN: usize = PDU_HEADER_LEN + PDV_HEADER_LEN + 2;

/// The smallest output room when the largest A-ASSOCIATE PDU is `associate` bytes long and
/// the transmit storage `tx_len` ([`Connection::min_output_len`]).
pub(super) fn min_output_len(associate: usize, tx_len: usize) -> usize {
    if associate <= tx_len {
        MIN_PDATA_LEN
    } else {
        associate.max(MIN_PDATA_LEN)
    }
}

/// An upper bound of the A-ASSOCIATE-AC an acceptor with `policy` sends (PS3.8 §9.3.3):
/// every presentation context a request can carry answered with the policy's longest
/// transfer syntax, every role selection with its longest abstract syntax, and every
/// user-information sub-item the acceptor writes.
pub(super) fn max_associate_ac_len(policy: &AcceptorPolicy<'_>) -> usize {
    let longest = |uids: &[&str]| uids.iter().map(|u| u.len()).max().unwrap_or(0);
    let transfer = policy
        .transfer_syntaxes
        .iter()
        .map(|e| e.transfer_syntax_uid().len())
        .max()
        .unwrap_or(0)
        .max(IMPLICIT_VR_LITTLE_ENDIAN.len());
    // Item header, ID/reserved/result/reserved, transfer syntax sub-item.
    let context = ItemHeader::LEN + 4 + ItemHeader::LEN + transfer;
    let role = ItemHeader::LEN + 2 + longest(policy.abstract_syntaxes) + 2;
    let user_information = ItemHeader::LEN
        + (ItemHeader::LEN + 4)
        + (ItemHeader::LEN + policy.implementation_class_uid.len())
        + (ItemHeader::LEN + 4)
        + MAX_ROLE_SELECTIONS * role
        + policy
            .implementation_version_name
            .map_or(0, |v| ItemHeader::LEN + v.len())
        + (ItemHeader::LEN + 2);
    PDU_HEADER_LEN
        + AssociateFixed::LEN
        + (ItemHeader::LEN + APPLICATION_CONTEXT_NAME.len())
        + MAX_PRESENTATION_CONTEXTS * context
        + user_information
}
