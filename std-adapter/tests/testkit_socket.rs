//! The tokio server tested as an outside user tests a socket server with `dimse_testkit`:
//! generated association offers, N-GETs and timing schedules (the testkit's strategies),
//! played over TCP in real time (`remote::play_tcp`) and read back as the testkit parses
//! them (`hostile::Transcript`). Only the server's construction is this crate's.

use std::sync::Arc;
use std::time::Duration;

use dimse_core::service::display::DEMO;
use dimse_testkit::hostile::{self, Case, Reply, Step};
use dimse_testkit::remote::{play_tcp, Timing};
use dimse_testkit::strategy::{n_get, offer_to, schedule, split};
use dimse_tokio::{NGetRequest, Server};
use proptest::prelude::*;

/// A tokio server on a port of its own, on a runtime of its own (the proptest body is
/// blocking), answering N-GETs with the demo data set; kept for the whole test.
fn server() -> (tokio::runtime::Runtime, std::net::SocketAddr) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let addr = rt.block_on(async {
        let builder = Server::builder(hostile::ae("DISPLAY"))
            .n_get(|_: NGetRequest| async { Ok(dimse_tokio::Reply::success(Arc::new(DEMO))) });
        let server = builder.bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        tokio::spawn(server.serve_until(std::future::pending::<()>()));
        addr
    });
    (rt, addr)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any offer to DISPLAY, then an N-GET on the Display System context if one is offered
    /// and an A-RELEASE-RQ, cut and paced by a schedule (pauses up to 20 ms): the contexts
    /// the server serves are accepted and no other, the N-GET is answered (0000H, or 0107H
    /// when it names attributes the demo data set lacks), the release is answered.
    #[test]
    fn generated_sessions_over_tcp(
        offer in offer_to(hostile::ae("DISPLAY")),
        get in n_get(),
        (cuts, pauses) in schedule(20),
    ) {
        static SERVER: std::sync::OnceLock<(tokio::runtime::Runtime, std::net::SocketAddr)> =
            std::sync::OnceLock::new();
        let addr = SERVER.get_or_init(server).1;
        let mut stream = offer.to_bytes();
        let display = offer
            .contexts
            .iter()
            .find(|pc| pc.abstract_syntax == hostile::DISPLAY_SYSTEM)
            .map(|pc| pc.id);
        if let Some(id) = display {
            stream.extend(get.pdu(id));
        }
        stream.extend(hostile::release_rq());
        let mut steps = Vec::new();
        for (i, piece) in split(&stream, &cuts).into_iter().enumerate() {
            if i > 0 && pauses[i - 1] > 0 {
                steps.push(Step::Pause(pauses[i - 1]));
            }
            steps.push(hostile::send(piece.to_vec()));
        }
        // We close after the A-RELEASE-RP (AR-5 for the server). What the player waits for:
        // as many replies as AC, the response if any and RELEASE-RP, then the close.
        steps.push(Step::Close);
        let mut expect = vec![Reply::ReleaseRp; 2 + usize::from(display.is_some())];
        expect.push(Reply::Closed);
        let case = Case::new("generated", steps, expect);
        let tcp = std::net::TcpStream::connect(addr).unwrap();
        let timing = Timing { end_wait: Duration::from_secs(5), ..Timing::default() };
        let t = play_tcp(tcp, &case, &timing).unwrap();

        let Some(Reply::Ac(results)) = t.replies.first() else {
            return Err(TestCaseError::fail(format!("no A-ASSOCIATE-AC: {:?}", t.replies)));
        };
        for (pc, (id, result)) in offer.contexts.iter().zip(results) {
            prop_assert_eq!(pc.id, *id);
            let served = [hostile::DISPLAY_SYSTEM, hostile::VERIFICATION]
                .contains(&pc.abstract_syntax.as_str());
            prop_assert_eq!(*result == 0, served, "context {} of {}", id, pc.abstract_syntax);
        }
        let mut rest = t.replies[1..].to_vec();
        if display.is_some() {
            let Reply::Rsp { command_field, message_id, status, .. } = rest.remove(0) else {
                return Err(TestCaseError::fail(format!("no N-GET-RSP: {:?}", t.replies)));
            };
            prop_assert_eq!(command_field, 0x8110);
            prop_assert_eq!(message_id, get.message_id);
            prop_assert!(status == 0x0000 || status == 0x0107, "status {:04X}H", status);
        }
        prop_assert_eq!(rest, vec![Reply::ReleaseRp, Reply::Closed]);
    }
}
