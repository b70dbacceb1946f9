//! Reassembly: the PDVs of P-DATA-TF PDUs joined into whole command sets and data sets in
//! the caller's receive storage (PS3.8 Annex E), each value handed to the DIMSE layer when
//! its last fragment arrives.

use super::*;

impl<'a> Connection<'a> {
    pub(super) fn rx_pdv(&mut self, now: Instant, input: &[u8], left: u32) -> Step {
        if left == 0 {
            self.rx = Rx::Header;
            return Step::Consumed(0);
        }
        if self.rx_pending || self.rx_held {
            // The previous value has not been polled, or a command waits to be acted on:
            // the buffer is not free.
            return Step::Blocked;
        }
        let h = match PdvHeader::parse(input) {
            Ok(Parse::Complete(h, _)) => h,
            Ok(Parse::Partial) if left >= PDV_HEADER_LEN as u32 => return Step::NeedMore,
            Ok(Parse::Partial) => return self.rx_invalid(now, ParseError::InvalidLength, left),
            Err(e) => return self.rx_invalid(now, e, left),
        };
        let Some(after) = left.checked_sub(4).and_then(|l| l.checked_sub(h.length)) else {
            return self.rx_invalid(now, ParseError::InvalidLength, left);
        };
        let accepted = self
            .negotiated()
            .and_then(|n| n.record(h.context_id))
            .is_some_and(|r| r.result == ContextResult::Acceptance);
        let continues = !self.rx_active
            || (self.rx_context == h.context_id && self.rx_command == h.control.is_command());
        if !accepted || !continues {
            return self.rx_invalid(now, ParseError::InvalidValue, left);
        }
        if !self.rx_active {
            // A new value: a command set unless the last command announced a data set.
            let Some(discard) = self.value_starts(h.context_id, h.control.is_command()) else {
                return self.rx_invalid(now, ParseError::InvalidValue, left);
            };
            self.rx_active = true;
            self.rx_len = 0;
            self.rx_discard = discard;
            self.rx_context = h.context_id;
            self.rx_command = h.control.is_command();
        }
        self.rx = Rx::PdvData {
            left: after,
            pdv_left: h.fragment_len(),
            last: h.control.is_last(),
        };
        Step::Consumed(PDV_HEADER_LEN)
    }

    pub(super) fn rx_pdv_data(
        &mut self,
        now: Instant,
        input: &[u8],
        left: u32,
        pdv_left: u32,
        last: bool,
    ) -> Step {
        if pdv_left == 0 {
            self.rx = Rx::Pdv { left };
            if last {
                self.rx_active = false;
                if self.rx_command {
                    self.rx_held = true;
                    self.process_held(now);
                } else {
                    self.data_set_received(now);
                }
            }
            return Step::Consumed(0);
        }
        let n = input.len().min(pdv_left as usize);
        if self.rx_discard {
            if let Some(total) = &mut self.rx_overflow {
                *total += n;
            }
            self.rx = Rx::PdvData {
                left,
                pdv_left: pdv_left - n as u32,
                last,
            };
            return Step::Consumed(n);
        }
        let end = self.rx_len + n;
        let at = self.rx_base + self.rx_len..self.rx_base + end;
        let (Some(dst), Some(src)) = (self.storage.rx.get_mut(at), input.get(..n)) else {
            // The peer's value is larger than our receive storage: a local resource limit,
            // not a protocol error.
            let capacity = self.storage.rx.len().saturating_sub(self.rx_base);
            if self.rx_command {
                // Keep what fits and read the rest without keeping it: every element of a
                // request but a long Attribute Identifier List (the last one) is in what
                // fits, so it can still be answered (0213H, PS3.7 §10.1.2.1.9).
                let fits = capacity.saturating_sub(self.rx_len).min(n);
                let at = self.rx_base + self.rx_len..self.rx_base + self.rx_len + fits;
                let (Some(dst), Some(src)) = (self.storage.rx.get_mut(at), input.get(..fits))
                else {
                    return Step::Consumed(0);
                };
                dst.copy_from_slice(src);
                self.rx_len += fits;
                self.rx_overflow = Some(self.rx_len);
                self.rx_discard = true;
                self.rx = Rx::PdvData {
                    left,
                    pdv_left: pdv_left - fits as u32,
                    last,
                };
                return Step::Consumed(fits);
            }
            // A data set: nothing can answer for it. Abort, saying why, and stop reading.
            self.rx_active = false;
            let limit = ResourceLimit {
                command_set: false,
                received: self.rx_len + n,
                capacity,
            };
            self.dispatch(now, Input::LocalAbort(AbortOrigin::ResourceLimit(limit)));
            self.rx = Rx::Discard;
            return Step::Consumed(0);
        };
        dst.copy_from_slice(src);
        self.rx_len = end;
        self.rx = Rx::PdvData {
            left,
            pdv_left: pdv_left - n as u32,
            last,
        };
        Step::Consumed(n)
    }
}
