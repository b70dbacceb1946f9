//! Reassembly: the PDVs of P-DATA-TF PDUs joined into whole command sets and data sets in
//! the caller's receive storage (PS3.8 Annex E), each value handed to the DIMSE layer when
//! its last fragment arrives. The receive storage holds one value at a time; its state is
//! one [`Value`].

use super::*;

/// What the receive storage holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Value {
    /// Nothing the DIMSE layer still needs (a response's command set may wait there for its
    /// data set, which is stored after it).
    Free,
    /// A value's fragments are arriving.
    Receiving {
        /// A command set (else a data set).
        command: bool,
        /// What is done with its bytes.
        keep: Keep,
    },
    /// A complete command set waits to be acted on: for the transmit buffer, or for the
    /// application's answer to the request before it.
    Held {
        /// The command outgrew the storage: the bytes it had (what fitted is kept).
        overflow: Option<usize>,
    },
    /// A received response is readable ([`Connection::received_response`]): its event not
    /// yet polled (`unread`), or polled during the current drain (freed at the next
    /// `handle_input`).
    Response {
        /// Its event is still queued.
        unread: bool,
    },
}

/// What is done with the bytes of the value being received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keep {
    /// Stored at `storage.rx[base..]`.
    Store,
    /// Read and dropped (a request's data set that nothing reads).
    Discard,
    /// A command set larger than the storage: what fitted is stored, the rest read and
    /// dropped; `total` bytes so far.
    Overflow { total: usize },
}

/// The receive storage's state and bookkeeping.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reassembly {
    pub(super) value: Value,
    /// Bytes stored of the current (or last) value, from `base`.
    pub(super) len: usize,
    pub(super) base: usize,
    /// The presentation context of the current (or last) value.
    pub(super) context: u8,
}

impl Reassembly {
    pub(super) const NEW: Reassembly = Reassembly {
        value: Value::Free,
        len: 0,
        base: 0,
        context: 0,
    };

    /// The storage takes no new value: a command waits, or a response is still readable.
    pub(super) fn occupied(&self) -> bool {
        matches!(self.value, Value::Held { .. } | Value::Response { .. })
    }

    /// A held command will never be acted on (the association is being aborted).
    pub(super) fn release_held(&mut self) {
        if matches!(self.value, Value::Held { .. }) {
            self.value = Value::Free;
        }
    }

    /// The association is over: nothing in progress matters any more.
    pub(super) fn association_ended(&mut self) {
        if matches!(self.value, Value::Receiving { .. } | Value::Held { .. }) {
            self.value = Value::Free;
        }
    }
}

impl<'a> Connection<'a> {
    /// The presentation context of the value received last.
    pub(crate) fn rx_context(&self) -> u8 {
        self.reassembly.context
    }

    /// Acts on the complete command set in `storage.rx[..len]`, unless it must wait (for
    /// the transmit buffer, or for the application to answer the request before it).
    // The check inline where the target has an operating system: it runs several times per
    // message and mostly finds nothing held (bare metal keeps one out-of-line call, smaller).
    #[cfg_attr(not(target_os = "none"), inline(always))]
    pub(crate) fn process_held(&mut self, now: Instant) {
        if let Value::Held { overflow } = self.reassembly.value {
            self.act_on_held(now, overflow);
        }
    }

    /// [`Connection::process_held`] when a command set is held.
    fn act_on_held(&mut self, now: Instant, overflow: Option<usize>) {
        // Detach the receive buffer so that the command can borrow it while `self` changes.
        let rx = core::mem::take(&mut self.storage.rx);
        let len = self.reassembly.len;
        let acted = dimse::act_on_command(self, now, rx.get(..len).unwrap_or(&[]), overflow);
        self.dimse.settle_list(rx);
        self.storage.rx = rx;
        // An abort meanwhile has freed the storage already.
        if matches!(self.reassembly.value, Value::Held { .. }) {
            self.reassembly.value = match acted {
                Acted::Wait => return,
                Acted::Done => Value::Free,
                Acted::Readable => Value::Response { unread: true },
            };
        }
    }

    pub(super) fn rx_pdv(&mut self, now: Instant, input: &[u8], left: u32) -> Step {
        if left == 0 {
            self.rx = Rx::Header;
            return Step::Consumed(0);
        }
        if self.reassembly.occupied() {
            // The previous value has not been polled, or a command waits to be acted on:
            // the buffer is not free.
            self.input_blocked = Some(Block::Storage);
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
        let is_command = h.control.is_command();
        let continues = match self.reassembly.value {
            Value::Receiving { command, .. } => {
                self.reassembly.context == h.context_id && command == is_command
            }
            _ => true,
        };
        if !accepted || !continues {
            return self.rx_invalid(now, ParseError::InvalidValue, left);
        }
        if !matches!(self.reassembly.value, Value::Receiving { .. }) {
            // A new value: a command set unless the last command announced a data set.
            let Some(start) = self.dimse.value_starts(h.context_id, is_command) else {
                return self.rx_invalid(now, ParseError::InvalidValue, left);
            };
            let keep = match start {
                Start::Store { base } => {
                    self.reassembly.base = base;
                    Keep::Store
                }
                Start::Discard => Keep::Discard,
            };
            self.reassembly.value = Value::Receiving {
                command: is_command,
                keep,
            };
            self.reassembly.len = 0;
            self.reassembly.context = h.context_id;
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
        let Value::Receiving { command, keep } = self.reassembly.value else {
            // Not reachable: a PDV's data follows its header, which starts or continues a
            // value. Skip it rather than trust that.
            self.rx = Rx::Pdv { left };
            return Step::Consumed(0);
        };
        if pdv_left == 0 {
            self.pdv_received(now, left, command, keep, last);
            return Step::Consumed(0);
        }
        let n = input.len().min(pdv_left as usize);
        let advance = |c: &mut Self, n: usize| {
            c.rx = Rx::PdvData {
                left,
                pdv_left: pdv_left - n as u32,
                last,
            };
            Step::Consumed(n)
        };
        match keep {
            Keep::Store => {}
            Keep::Discard => return advance(self, n),
            Keep::Overflow { total } => {
                self.reassembly.value = Value::Receiving {
                    command,
                    keep: Keep::Overflow { total: total + n },
                };
                return advance(self, n);
            }
        }
        let (base, len) = (self.reassembly.base, self.reassembly.len);
        let at = base + len..base + len + n;
        // A pending request's Attribute Identifier List holds the storage's tail.
        let limit = self.storage.rx.len().saturating_sub(self.dimse.reserved());
        let (Some(dst), Some(src)) = (
            self.storage
                .rx
                .get_mut(..limit)
                .and_then(|rx| rx.get_mut(at)),
            input.get(..n),
        ) else {
            // The peer's value is larger than our receive storage: a local resource limit,
            // not a protocol error.
            let capacity = limit.saturating_sub(base);
            if command {
                // Keep what fits and read the rest without keeping it: every element of a
                // request but a long Attribute Identifier List (the last one) is in what
                // fits, so it can still be answered (0213H, PS3.7 §10.1.2.1.9).
                let fits = capacity.saturating_sub(len).min(n);
                let at = base + len..base + len + fits;
                let (Some(dst), Some(src)) = (self.storage.rx.get_mut(at), input.get(..fits))
                else {
                    return Step::Consumed(0);
                };
                dst.copy_from_slice(src);
                self.reassembly.len += fits;
                self.reassembly.value = Value::Receiving {
                    command,
                    keep: Keep::Overflow {
                        total: self.reassembly.len,
                    },
                };
                return advance(self, fits);
            }
            // A data set: nothing can answer for it. Abort, saying why, and stop reading.
            self.reassembly.value = Value::Free;
            let limit = ResourceLimit {
                command_set: false,
                received: len + n,
                capacity,
            };
            self.dispatch(now, Input::LocalAbort(AbortOrigin::ResourceLimit(limit)));
            self.rx = Rx::Discard;
            return Step::Consumed(0);
        };
        dst.copy_from_slice(src);
        self.reassembly.len = len + n;
        if n as u32 == pdv_left {
            // The PDV is whole: acted on in this step, not in one more pass of the input
            // loop (the step before checked the queues' room for what this one may push).
            self.pdv_received(now, left, command, keep, last);
            return Step::Consumed(n);
        }
        advance(self, n)
    }

    /// A PDV's data is all here; `left` bytes of its PDU follow. The last fragment of a
    /// value completes it: a command set is acted on, a data set handed on.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn pdv_received(&mut self, now: Instant, left: u32, command: bool, keep: Keep, last: bool) {
        // The end of the PDU too: straight to the next PDU's header.
        self.rx = if left == 0 {
            Rx::Header
        } else {
            Rx::Pdv { left }
        };
        if !last {
            return;
        }
        if command {
            let overflow = match keep {
                Keep::Overflow { total } => Some(total),
                _ => None,
            };
            self.reassembly.value = Value::Held { overflow };
            self.process_held(now);
        } else {
            let len = self.reassembly.len;
            self.reassembly.value = Value::Free;
            if dimse::data_set_received(self, now, len) == Acted::Readable {
                self.reassembly.value = Value::Response { unread: true };
            } else {
                self.reassembly.len = 0;
            }
        }
    }
}
