//! What the testkit's own tests share: dimse-core's acceptor as the implementation under
//! test, constructed as a user constructs theirs (everything else is the testkit's).
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

use dimse_core::dimse::{Operation, Status};
use dimse_core::service::display::DEMO;
use dimse_core::{Connection, Event, Instant};
use dimse_testkit::hostile::{self, SLOW_MS, SLOW_TAG};
use dimse_testkit::pair::{leak, storage, Peer, Side};

/// The implementation under test: dimse-core's acceptor with the application the catalogue
/// expects (N-GETs answered with the demo data set at once, or [`SLOW_MS`] late when they
/// name [`SLOW_TAG`]). A `Peer` of its own, wrapping the testkit's `Side`, because the late
/// answers are a timer the application keeps.
pub struct Scp {
    side: Side,
    /// N-GETs answered later: (Message ID, when).
    held: Rc<RefCell<Vec<(u16, Instant)>>>,
}

impl Scp {
    pub fn new(policy: &'static dimse_core::assoc::AcceptorPolicy<'static>) -> Scp {
        let held = Rc::new(RefCell::new(Vec::new()));
        let later = held.clone();
        let conn = Connection::acceptor(policy, storage(65536, 65536), Instant::ZERO);
        let side = Side::new(conn).with_hook(move |conn, now, ev| {
            if let Event::Request {
                op: Operation::NGet,
                message_id,
                ..
            } = *ev
            {
                let slow = conn
                    .n_get_request()
                    .is_some_and(|r| r.requested_tags().any(|t| t == SLOW_TAG));
                if slow {
                    let at = Instant::from_millis(now.as_millis() + SLOW_MS);
                    later.borrow_mut().push((message_id, at));
                } else {
                    // An error only if the association ended meanwhile.
                    let _ = conn.respond_n_get(now, message_id, Status::SUCCESS, Some(&DEMO));
                }
            }
        });
        Scp { side, held }
    }
}

impl Peer for Scp {
    fn input(&mut self, now: Instant, bytes: &[u8]) {
        self.side.input(now, bytes)
    }
    fn output(&mut self, now: Instant) -> Vec<u8> {
        self.side.output(now)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        let app = self.held.borrow().iter().map(|h| h.1).min();
        match (app, self.side.poll_timeout()) {
            (Some(a), Some(t)) => Some(a.min(t)),
            (a, t) => a.or(t),
        }
    }
    fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<u16> = self
            .held
            .borrow()
            .iter()
            .filter(|h| h.1 <= now)
            .map(|h| h.0)
            .collect();
        self.held.borrow_mut().retain(|h| h.1 > now);
        for id in due {
            let _ = self
                .side
                .conn
                .respond_n_get(now, id, Status::SUCCESS, Some(&DEMO));
        }
        self.side.handle_timeout(now);
    }
    fn transport_closed(&mut self, now: Instant) {
        self.side.transport_closed(now)
    }
    fn is_closed(&self) -> bool {
        self.side.is_closed()
    }
}

/// The acceptor set up as the catalogue says (`hostile::policy`).
pub fn scp() -> Scp {
    Scp::new(leak(hostile::policy()))
}
