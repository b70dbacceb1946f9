//! The C API driven from Rust exactly as a C program drives it: an acceptor and a requestor
//! made by the init functions, wired together in memory, every call through the
//! `extern "C"` functions. Then each refusal the API promises: NULL, misaligned, short and
//! overlapping buffers, uninitialised memory, calls in the wrong state, re-entry from a
//! callback, writer misuse.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr::{null, null_mut};

use dimse_core::dataset::{Encoding, Tag, Vr, Writer as CoreWriter};
use dimse_ffi::*;

const DISPLAY_SYSTEM: &CStr = c"1.2.840.10008.5.1.1.40";
const DISPLAY_INSTANCE: &CStr = c"1.2.840.10008.5.1.1.40.1";
const VERIFICATION: &CStr = c"1.2.840.10008.1.1";
const MANUFACTURER: u32 = 0x0008_0070;
const STATION_NAME: u32 = 0x0008_1010;
const SUBSYSTEMS: u32 = 0x0028_7023;
const SUBSYSTEM_ID: u32 = 0x0028_7003;
const SYSTEM_STATUS: u32 = 0x0028_7006;
const WHITE_POINT: u32 = 0x0028_7018;

/// Connection memory and storage, owned by the test as a C program owns them.
struct Mem {
    block: Vec<u64>,
    rx: Vec<u8>,
    tx: Vec<u8>,
    out: Vec<u8>,
    conn: *mut Connection,
    /// Bytes received and not taken yet.
    kept: Vec<u8>,
}

impl Mem {
    fn new() -> Mem {
        Mem {
            block: vec![0u64; dimse_connection_size().div_ceil(8)],
            rx: vec![0; 4096],
            tx: vec![0; 8192],
            out: vec![0; 16 * 1024],
            conn: null_mut(),
            kept: Vec::new(),
        }
    }

    fn mem(&mut self) -> (*mut c_void, usize) {
        (self.block.as_mut_ptr().cast(), self.block.len() * 8)
    }
}

fn served() -> [*const c_char; 2] {
    [DISPLAY_SYSTEM.as_ptr(), VERIFICATION.as_ptr()]
}

fn acceptor_policy(classes: &[*const c_char; 2]) -> AcceptorPolicy {
    AcceptorPolicy {
        ae_title: c"DISPLAY".as_ptr(),
        check_called_ae: 0,
        calling_ae_titles: null(),
        calling_ae_titles_len: 0,
        sop_classes: classes.as_ptr(),
        sop_classes_len: classes.len(),
        transfer_syntaxes: null(),
        transfer_syntaxes_len: 0,
        limits: Limits::default(),
        user_identity: None,
        user_identity_data: null_mut(),
        require_user_identity: 0,
    }
}

fn requestor_config(classes: &[*const c_char; 2], ts: &[u8]) -> RequestorConfig {
    RequestorConfig {
        calling_ae: c"QA".as_ptr(),
        called_ae: c"DISPLAY".as_ptr(),
        sop_classes: classes.as_ptr(),
        sop_classes_len: classes.len(),
        transfer_syntaxes: ts.as_ptr(),
        transfer_syntaxes_len: ts.len(),
        limits: Limits::default(),
    }
}

fn acceptor(m: &mut Mem, policy: &AcceptorPolicy) -> c_int {
    let (mem, len) = m.mem();
    // SAFETY: the test's own buffers, as long as `m` lives.
    unsafe {
        dimse_acceptor_init(
            mem,
            len,
            policy,
            m.rx.as_mut_ptr(),
            m.rx.len(),
            m.tx.as_mut_ptr(),
            m.tx.len(),
            0,
            &mut m.conn,
        )
    }
}

fn requestor(m: &mut Mem, config: &RequestorConfig) -> c_int {
    let (mem, len) = m.mem();
    // SAFETY: as above.
    unsafe {
        dimse_requestor_init(
            mem,
            len,
            config,
            m.rx.as_mut_ptr(),
            m.rx.len(),
            m.tx.as_mut_ptr(),
            m.tx.len(),
            0,
            &mut m.conn,
        )
    }
}

/// What a drain produced.
#[derive(Default, Debug)]
struct Drained {
    wire: Vec<u8>,
    events: Vec<Event>,
}

/// The drain loop of the README: feed the kept bytes, poll until idle, answer each N-GET
/// request with `answer`.
fn drive(m: &mut Mem, input: &[u8], answer: &mut dyn FnMut(*mut Connection, &Event)) -> Drained {
    m.kept.extend_from_slice(input);
    let mut d = Drained::default();
    loop {
        let mut taken = 0;
        // SAFETY: the test's buffers.
        let rc =
            unsafe { dimse_handle_input(m.conn, 5, m.kept.as_ptr(), m.kept.len(), &mut taken) };
        assert_eq!(rc, DIMSE_OK);
        m.kept.drain(..taken);
        loop {
            let mut o = std::mem::MaybeUninit::<Output>::uninit();
            // SAFETY: the test's buffers; `o` is written by the call.
            let rc = unsafe {
                dimse_poll_output(m.conn, m.out.as_mut_ptr(), m.out.len(), o.as_mut_ptr())
            };
            assert_eq!(rc, DIMSE_OK);
            // SAFETY: written on DIMSE_OK.
            let o = unsafe { o.assume_init() };
            match o.kind {
                OutputKind::Transmit => d.wire.extend_from_slice(&m.out[..o.transmit_len]),
                OutputKind::Event => {
                    answer(m.conn, &o.event);
                    d.events.push(o.event);
                }
                OutputKind::Reoffer => break,
                OutputKind::Idle => return d,
            }
        }
    }
}

fn no_answer(_: *mut Connection, _: &Event) {}

/// An established pair: the SCP answers with `answer`.
fn pair(scp: &mut Mem, scu: &mut Mem, ts: &[u8]) {
    let classes = served();
    assert_eq!(acceptor(scp, &acceptor_policy(&classes)), DIMSE_OK);
    assert_eq!(requestor(scu, &requestor_config(&classes, ts)), DIMSE_OK);
    let rq = drive(scu, &[], &mut no_answer);
    let ac = drive(scp, &rq.wire, &mut no_answer);
    assert_eq!(ac.events[0].kind, EventKind::Established);
    let calling = unsafe { CStr::from_ptr(ac.events[0].calling_ae.as_ptr()) };
    assert_eq!(calling, c"QA");
    let done = drive(scu, &ac.wire, &mut no_answer);
    assert_eq!(done.events[0].kind, EventKind::Established);
    // SAFETY: initialised connections.
    unsafe {
        assert_eq!(dimse_is_established(scp.conn), 1);
        assert_eq!(dimse_is_established(scu.conn), 1);
    }
}

/// The write callback of the tests: Manufacturer, Station Name, the white point and a
/// sequence with two items.
unsafe extern "C" fn write_display(_: *mut c_void, w: *mut Writer) -> c_int {
    let wp = [0.3127f32, 0.329];
    let id1 = [1u16];
    let id2 = [2u16];
    // SAFETY: the writer handed to this callback, during the callback.
    unsafe {
        let mut rc = dimse_put_string(w, MANUFACTURER, c"LO".as_ptr(), c"ACME".as_ptr(), 4);
        rc |= dimse_put_text(w, STATION_NAME, c"READ1".as_ptr(), 5);
        rc |= dimse_put_fl(w, WHITE_POINT, wp.as_ptr(), 2);
        rc |= dimse_begin_sequence(w, SUBSYSTEMS);
        rc |= dimse_begin_item(w);
        rc |= dimse_put_us(w, SUBSYSTEM_ID, id1.as_ptr(), 1);
        rc |= dimse_put_string(w, SYSTEM_STATUS, c"CS".as_ptr(), c"OK".as_ptr(), 2);
        rc |= dimse_end_item(w);
        rc |= dimse_begin_item(w);
        rc |= dimse_put_us(w, SUBSYSTEM_ID, id2.as_ptr(), 1);
        rc |= dimse_put_string(w, SYSTEM_STATUS, c"CS".as_ptr(), c"WARNING".as_ptr(), 7);
        rc |= dimse_end_item(w);
        rc |= dimse_end_sequence(w);
        rc
    }
}

/// The same data set through the core's own writer: what the C writer must produce.
fn expected(encoding: Encoding, tags: Option<&[u32]>) -> Vec<u8> {
    let list: Vec<u8> = tags
        .unwrap_or(&[])
        .iter()
        .flat_map(|&t| Tag(t).to_le_bytes())
        .collect();
    let filter = dimse_core::dataset::AttributeFilter::new(&list).unwrap();
    let mut buf = vec![0u8; 1024];
    let mut w = CoreWriter::new(&mut buf, encoding).with_filter(filter);
    w.string(Tag(MANUFACTURER), Vr::LO, "ACME").unwrap();
    w.string(Tag(STATION_NAME), Vr::SH, "READ1").unwrap();
    w.f32s(Tag(WHITE_POINT), &[0.3127, 0.329]).unwrap();
    w.sequence(Tag(SUBSYSTEMS), |s| {
        s.item(|i| {
            i.u16(Tag(SUBSYSTEM_ID), 1)?;
            i.string(Tag(SYSTEM_STATUS), Vr::CS, "OK")
        })?;
        s.item(|i| {
            i.u16(Tag(SUBSYSTEM_ID), 2)?;
            i.string(Tag(SYSTEM_STATUS), Vr::CS, "WARNING")
        })
    })
    .unwrap();
    let n = w.written();
    buf.truncate(n);
    buf
}

/// Answers every N-GET through the write callback; checks what the request says.
fn answer_with_writer(c: *mut Connection, ev: &Event) {
    if ev.kind != EventKind::Request {
        return;
    }
    let mut req = std::mem::MaybeUninit::<NGetRequest>::uninit();
    // SAFETY: an initialised connection; `req` is written on DIMSE_OK.
    let req = unsafe {
        assert_eq!(dimse_read_n_get_request(c, req.as_mut_ptr()), DIMSE_OK);
        req.assume_init()
    };
    assert_eq!(req.message_id, ev.message_id);
    let class = unsafe { CStr::from_ptr(req.sop_class_uid.as_ptr()) };
    assert_eq!(class, DISPLAY_SYSTEM);
    let mut sent = 0u16;
    // SAFETY: as above; the callback uses its writer only during the call.
    let rc = unsafe {
        dimse_respond_n_get(
            c,
            5,
            req.message_id,
            0,
            null(),
            Some(write_display),
            null_mut(),
            &mut sent,
        )
    };
    assert_eq!(rc, DIMSE_OK);
}

/// One N-GET from the SCU, answered by the SCP: the response's status, data set and
/// encoding, what the SCP's drain gave, and the event's `related_fields`. The data set is read
/// both ways (`dimse_received_response`, `dimse_received_data_set`), which must agree.
fn n_get(
    scp: &mut Mem,
    scu: &mut Mem,
    instance: &CStr,
    tags: Option<&[u32]>,
    answer: &mut dyn FnMut(*mut Connection, &Event),
) -> (u16, Option<Vec<u8>>, u8, Drained, bool) {
    let mut id = 0;
    let (p, n) = tags.map_or((null(), 0), |t| (t.as_ptr(), t.len()));
    // SAFETY: initialised connection, C strings, `n` tags at `p`.
    let rc = unsafe {
        dimse_send_n_get(
            scu.conn,
            5,
            DISPLAY_SYSTEM.as_ptr(),
            instance.as_ptr(),
            p,
            n,
            &mut id,
        )
    };
    assert_eq!(rc, DIMSE_OK);
    let rq = drive(scu, &[], &mut no_answer);
    let rsp = drive(scp, &rq.wire, answer);
    let mut out = (0, None, 0, Drained::default(), false);
    let got = drive(scu, &rsp.wire, &mut |c, ev| {
        if ev.kind == EventKind::Response {
            assert_eq!(ev.message_id, id);
            let mut r = std::mem::MaybeUninit::<Response>::uninit();
            let (mut data, mut len, mut encoding) = (null(), usize::MAX, u8::MAX);
            // SAFETY: an initialised connection, during the drain that announced it.
            let r = unsafe {
                assert_eq!(dimse_received_response(c, r.as_mut_ptr()), DIMSE_OK);
                assert_eq!(
                    dimse_received_data_set(c, &mut data, &mut len, &mut encoding),
                    DIMSE_OK
                );
                r.assume_init()
            };
            assert_eq!(r.status, ev.status);
            // The data set without the command set decoded: the same bytes, where they lie.
            assert_eq!(encoding, r.encoding);
            if r.has_data_set {
                assert_eq!((data, len), (r.data_set, r.data_set_len));
            } else {
                assert_eq!((data, len), (null(), 0));
            }
            // What the C response shows of the related fields sets the flag (Error ID and
            // Offending Element would too; the C response does not show them).
            if r.error_comment[0] != 0 || r.attribute_count > 0 {
                assert!(ev.related_fields);
            }
            out.4 = ev.related_fields;
            out.0 = r.status;
            out.2 = r.encoding;
            if r.has_data_set {
                // SAFETY: valid until the next dimse_handle_input.
                out.1 = Some(
                    unsafe { std::slice::from_raw_parts(r.data_set, r.data_set_len) }.to_vec(),
                );
            }
        }
    });
    assert!(got.events.iter().any(|e| e.kind == EventKind::Response));
    out.3 = rsp;
    out
}

#[test]
fn an_n_get_answered_through_the_writer_gives_the_cores_bytes() {
    for (ts, encoding) in [
        (
            DIMSE_EXPLICIT_VR_LITTLE_ENDIAN,
            Encoding::ExplicitVrLittleEndian,
        ),
        (
            DIMSE_IMPLICIT_VR_LITTLE_ENDIAN,
            Encoding::ImplicitVrLittleEndian,
        ),
    ] {
        let (mut scp, mut scu) = (Mem::new(), Mem::new());
        pair(&mut scp, &mut scu, &[ts]);
        let (status, data, enc, _, related) = n_get(
            &mut scp,
            &mut scu,
            DISPLAY_INSTANCE,
            None,
            &mut answer_with_writer,
        );
        assert_eq!((status, enc), (0x0000, ts));
        assert!(!related, "a bare status has no related fields");
        assert_eq!(data.unwrap(), expected(encoding, None));
        // A list: only those attributes, in the data set's order.
        let tags = [SUBSYSTEMS, MANUFACTURER];
        let (status, data, _, _, related) = n_get(
            &mut scp,
            &mut scu,
            DISPLAY_INSTANCE,
            Some(&tags),
            &mut answer_with_writer,
        );
        assert_eq!(status, 0x0000);
        assert!(!related);
        assert_eq!(data.unwrap(), expected(encoding, Some(&tags)));
        // An attribute the writer never writes: 0107H, with what was there.
        let tags = [MANUFACTURER, 0x0018_1000];
        let (status, data, _, _, related) = n_get(
            &mut scp,
            &mut scu,
            DISPLAY_INSTANCE,
            Some(&tags),
            &mut answer_with_writer,
        );
        assert_eq!(status, 0x0107);
        assert!(related, "0107H lists the missing attributes");
        assert_eq!(data.unwrap(), expected(encoding, Some(&[MANUFACTURER])));
        // Another instance: the core answers 0112H itself.
        let (status, data, _, rsp, _) = n_get(
            &mut scp,
            &mut scu,
            c"1.2.3.4",
            None,
            &mut answer_with_writer,
        );
        assert_eq!((status, data), (0x0112, None));
        assert!(rsp
            .events
            .iter()
            .any(|e| e.kind == EventKind::Answered && e.status == 0x0112));
        // C-ECHO.
        let mut id = 0;
        // SAFETY: initialised connection.
        assert_eq!(unsafe { dimse_send_c_echo(scu.conn, 5, &mut id) }, DIMSE_OK);
        let rq = drive(&mut scu, &[], &mut no_answer);
        let rsp = drive(&mut scp, &rq.wire, &mut no_answer);
        let got = drive(&mut scu, &rsp.wire, &mut no_answer);
        assert_eq!(got.events[0].kind, EventKind::Response);
        assert_eq!(
            (got.events[0].operation, got.events[0].status),
            (Operation::CEcho, 0)
        );
        // Release.
        // SAFETY: initialised connection.
        assert_eq!(unsafe { dimse_release(scu.conn, 6) }, DIMSE_OK);
        let rq = drive(&mut scu, &[], &mut no_answer);
        let rp = drive(&mut scp, &rq.wire, &mut no_answer);
        assert!(rp.events.iter().any(|e| e.kind == EventKind::Released));
        let end = drive(&mut scu, &rp.wire, &mut no_answer);
        assert!(end.events.iter().any(|e| e.kind == EventKind::Closed));
        // SAFETY: initialised connections.
        unsafe {
            assert_eq!(dimse_is_closed(scu.conn), 1);
            assert_eq!(dimse_handle_transport_closed(scp.conn, 7), DIMSE_OK);
            assert_eq!(dimse_is_closed(scp.conn), 1);
        }
    }
}

/// `write_display` encoded once per encoding, for `dimse_respond_n_get_encoded`.
fn encoded(encoding: u8) -> Vec<u8> {
    let mut buf = vec![0u8; 1024];
    let mut n = 0;
    // SAFETY: the test's buffer.
    let rc = unsafe {
        dimse_encode(
            buf.as_mut_ptr(),
            buf.len(),
            encoding,
            Some(write_display),
            null_mut(),
            &mut n,
        )
    };
    assert_eq!(rc, DIMSE_OK);
    buf.truncate(n);
    buf
}

#[test]
fn an_n_get_answered_from_encoded_bytes_gives_the_same_bytes() {
    let explicit = encoded(DIMSE_EXPLICIT_VR_LITTLE_ENDIAN);
    let implicit = encoded(DIMSE_IMPLICIT_VR_LITTLE_ENDIAN);
    assert_eq!(explicit, expected(Encoding::ExplicitVrLittleEndian, None));
    let data = Encoded {
        explicit_vr_little_endian: explicit.as_ptr(),
        explicit_vr_little_endian_len: explicit.len(),
        implicit_vr_little_endian: implicit.as_ptr(),
        implicit_vr_little_endian_len: implicit.len(),
    };
    let (mut scp, mut scu) = (Mem::new(), Mem::new());
    pair(&mut scp, &mut scu, &[DIMSE_IMPLICIT_VR_LITTLE_ENDIAN]);
    let tags = [STATION_NAME, SUBSYSTEMS];
    let (status, got, _, _, _) = n_get(
        &mut scp,
        &mut scu,
        DISPLAY_INSTANCE,
        Some(&tags),
        &mut |c, ev| {
            if ev.kind == EventKind::Request {
                // Without the bytes of the context's encoding: refused, and the request waits.
                let partial = Encoded {
                    implicit_vr_little_endian: null(),
                    implicit_vr_little_endian_len: 0,
                    ..data
                };
                // SAFETY: initialised connection; `data` points to live vectors.
                unsafe {
                    let rc = dimse_respond_n_get_encoded(
                        c,
                        5,
                        ev.message_id,
                        0,
                        null(),
                        &partial,
                        null_mut(),
                    );
                    assert_eq!(rc, DIMSE_E_ARGUMENT);
                    let rc = dimse_respond_n_get_encoded(
                        c,
                        5,
                        ev.message_id,
                        0,
                        null(),
                        &data,
                        null_mut(),
                    );
                    assert_eq!(rc, DIMSE_OK);
                }
            }
        },
    );
    assert_eq!(status, 0);
    assert_eq!(
        got.unwrap(),
        expected(Encoding::ImplicitVrLittleEndian, Some(&tags))
    );
}

/// Every function refuses NULL, and a connection nobody initialised.
#[test]
fn null_and_uninitialised_pointers_are_refused() {
    let mut zeroed = vec![0u64; dimse_connection_size().div_ceil(8)];
    let fake = zeroed.as_mut_ptr().cast::<Connection>();
    let mut buf = [0u8; 64];
    let mut n = 0usize;
    let mut o = std::mem::MaybeUninit::<Output>::uninit();
    // SAFETY: each call gets NULL or the test's own memory.
    unsafe {
        for c in [null_mut(), fake] {
            let want = if c.is_null() {
                DIMSE_E_NULL
            } else {
                DIMSE_E_NOT_INITIALISED
            };
            assert_eq!(dimse_handle_input(c, 0, buf.as_ptr(), 1, &mut n), want);
            assert_eq!(
                dimse_poll_output(c, buf.as_mut_ptr(), buf.len(), o.as_mut_ptr()),
                want
            );
            assert_eq!(dimse_handle_timeout(c, 0), want);
            assert_eq!(dimse_handle_transport_closed(c, 0), want);
            assert_eq!(dimse_release(c, 0), want);
            assert_eq!(dimse_abort(c, 0), want);
            assert_eq!(dimse_is_closed(c), want);
            assert_eq!(dimse_is_established(c), want);
            assert_eq!(dimse_min_output_len(c, &mut n), want);
            assert_eq!(dimse_refuse_local_limit(c), want);
            assert_eq!(dimse_send_c_echo(c, 0, null_mut()), want);
            assert_eq!(
                dimse_send_n_get(
                    c,
                    0,
                    DISPLAY_SYSTEM.as_ptr(),
                    DISPLAY_INSTANCE.as_ptr(),
                    null(),
                    0,
                    null_mut()
                ),
                want
            );
            assert_eq!(
                dimse_respond_n_get(c, 0, 1, 0, null(), None, null_mut(), null_mut()),
                want
            );
            assert_eq!(
                dimse_respond_n_get_encoded(c, 0, 1, 0, null(), null(), null_mut()),
                want
            );
            let mut req = std::mem::MaybeUninit::<NGetRequest>::uninit();
            assert_eq!(dimse_read_n_get_request(c, req.as_mut_ptr()), want);
            assert_eq!(dimse_n_get_request_tag(c, 0, null_mut()), want);
            let mut rsp = std::mem::MaybeUninit::<Response>::uninit();
            assert_eq!(dimse_received_response(c, rsp.as_mut_ptr()), want);
            let (mut data, mut e) = (null(), 0u8);
            assert_eq!(dimse_received_data_set(c, &mut data, &mut n, &mut e), want);
        }
        // Out-parameters that must be there.
        let mut m = Mem::new();
        let classes = served();
        assert_eq!(acceptor(&mut m, &acceptor_policy(&classes)), DIMSE_OK);
        assert_eq!(
            dimse_handle_input(m.conn, 0, buf.as_ptr(), 0, null_mut()),
            DIMSE_E_NULL
        );
        assert_eq!(
            dimse_poll_output(m.conn, buf.as_mut_ptr(), buf.len(), null_mut()),
            DIMSE_E_NULL
        );
        assert_eq!(
            dimse_poll_output(m.conn, null_mut(), 10, o.as_mut_ptr()),
            DIMSE_E_NULL
        );
        assert_eq!(
            dimse_poll_output(m.conn, buf.as_mut_ptr(), 0, o.as_mut_ptr()),
            DIMSE_E_SIZE
        );
        assert_eq!(
            dimse_handle_input(m.conn, 0, null(), 5, &mut n),
            DIMSE_E_NULL
        );
        assert_eq!(dimse_handle_input(m.conn, 0, null(), 0, &mut n), DIMSE_OK);
        assert_eq!(dimse_min_output_len(m.conn, null_mut()), DIMSE_E_NULL);
        let (mut data, mut e) = (null(), 0u8);
        assert_eq!(
            dimse_received_data_set(m.conn, null_mut(), &mut n, &mut e),
            DIMSE_E_NULL
        );
        assert_eq!(
            dimse_received_data_set(m.conn, &mut data, null_mut(), &mut e),
            DIMSE_E_NULL
        );
        assert_eq!(
            dimse_received_data_set(m.conn, &mut data, &mut n, null_mut()),
            DIMSE_E_NULL
        );
        // No response to read.
        assert_eq!(
            dimse_received_data_set(m.conn, &mut data, &mut n, &mut e),
            DIMSE_E_NOTHING
        );
        // Misaligned.
        let odd = m.conn.cast::<u8>().add(1).cast::<Connection>();
        assert_eq!(dimse_handle_timeout(odd, 0), DIMSE_E_ALIGN);
        // The encoder and reader.
        assert_eq!(
            dimse_encode(buf.as_mut_ptr(), buf.len(), 1, None, null_mut(), &mut n),
            DIMSE_E_NULL
        );
        assert_eq!(
            dimse_encode(
                buf.as_mut_ptr(),
                buf.len(),
                9,
                Some(write_display),
                null_mut(),
                &mut n
            ),
            DIMSE_E_ARGUMENT
        );
        assert_eq!(
            dimse_read_data_set(buf.as_ptr(), 4, 1, None, null_mut()),
            DIMSE_E_NULL
        );
        // Writer functions outside a callback.
        assert_eq!(dimse_begin_item(null_mut()), DIMSE_E_NULL);
        let mut junk = [0u64; 64];
        assert_eq!(
            dimse_end_item(junk.as_mut_ptr().cast()),
            DIMSE_E_NOT_INITIALISED
        );
    }
    for code in -22..=0 {
        let text = unsafe { CStr::from_ptr(dimse_strerror(code)) };
        assert!(
            !text.to_bytes().is_empty() && text != c"unknown error code",
            "{code}"
        );
    }
    assert_eq!(
        unsafe { CStr::from_ptr(dimse_strerror(-99)) },
        c"unknown error code"
    );
}

#[test]
fn init_checks_memory_storage_and_policy() {
    let classes = served();
    let policy = acceptor_policy(&classes);
    let mut m = Mem::new();
    let (mem, len) = m.mem();
    let (rx, tx) = (m.rx.as_mut_ptr(), m.tx.as_mut_ptr());
    let mut out = null_mut();
    // SAFETY: the test's memory, with the lengths given (or shorter).
    unsafe {
        let init =
            |mem: *mut c_void,
             len,
             p: *const AcceptorPolicy,
             rx: *mut u8,
             rx_len,
             tx: *mut u8,
             tx_len,
             out| { dimse_acceptor_init(mem, len, p, rx, rx_len, tx, tx_len, 0, out) };
        assert_eq!(
            init(mem, len - 1, &policy, rx, 4096, tx, 8192, &mut out),
            DIMSE_E_SIZE
        );
        assert_eq!(
            init(
                mem.cast::<u8>().add(4).cast(),
                len - 8,
                &policy,
                rx,
                4096,
                tx,
                8192,
                &mut out
            ),
            DIMSE_E_ALIGN
        );
        assert_eq!(
            init(null_mut(), len, &policy, rx, 4096, tx, 8192, &mut out),
            DIMSE_E_NULL
        );
        assert_eq!(
            init(mem, len, null(), rx, 4096, tx, 8192, &mut out),
            DIMSE_E_NULL
        );
        assert_eq!(
            init(mem, len, &policy, rx, 4096, tx, 8192, null_mut()),
            DIMSE_E_NULL
        );
        assert_eq!(
            init(mem, len, &policy, null_mut(), 4096, tx, 8192, &mut out),
            DIMSE_E_NULL
        );
        assert_eq!(
            init(mem, len, &policy, rx, 0, tx, 8192, &mut out),
            DIMSE_E_SIZE
        );
        assert_eq!(
            init(mem, len, &policy, rx, 4096, rx.add(100), 100, &mut out),
            DIMSE_E_OVERLAP
        );
        assert_eq!(
            init(mem, len, &policy, mem.cast(), 64, tx, 8192, &mut out),
            DIMSE_E_OVERLAP
        );
        assert_eq!(
            init(mem, len, &policy, rx, usize::MAX, tx, 8192, &mut out),
            DIMSE_E_SIZE
        );
        // A failed init leaves memory every call refuses.
        assert_eq!(dimse_handle_timeout(mem.cast(), 0), DIMSE_E_NOT_INITIALISED);
        let mut bad = |f: &dyn Fn(&mut AcceptorPolicy), want| {
            let mut p = policy;
            f(&mut p);
            assert_eq!(init(mem, len, &p, rx, 4096, tx, 8192, &mut out), want);
        };
        bad(&|p| p.ae_title = c"".as_ptr(), DIMSE_E_ARGUMENT);
        bad(
            &|p| p.ae_title = c"SEVENTEEN_CHARS_X".as_ptr(),
            DIMSE_E_ARGUMENT,
        );
        bad(&|p| p.ae_title = c"BACK\\SLASH".as_ptr(), DIMSE_E_ARGUMENT);
        bad(&|p| p.ae_title = null(), DIMSE_E_NULL);
        bad(&|p| p.sop_classes_len = 0, DIMSE_E_CONFIG);
        bad(
            &|p| p.sop_classes_len = DIMSE_MAX_SOP_CLASSES + 1,
            DIMSE_E_CONFIG,
        );
        bad(&|p| p.sop_classes = null(), DIMSE_E_NULL);
        let not_uids = [c"1.2.x".as_ptr(), null()];
        bad(&|p| p.sop_classes = not_uids.as_ptr(), DIMSE_E_INVALID_UID);
        bad(&|p| p.sop_classes = not_uids.as_ptr().add(1), DIMSE_E_NULL);
        let ts = [3u8, 1];
        bad(
            &|p| (p.transfer_syntaxes, p.transfer_syntaxes_len) = (ts.as_ptr(), 2),
            DIMSE_E_ARGUMENT,
        );
        let twice = [1u8, 1];
        bad(
            &|p| (p.transfer_syntaxes, p.transfer_syntaxes_len) = (twice.as_ptr(), 2),
            DIMSE_E_ARGUMENT,
        );
        bad(
            &|p| (p.transfer_syntaxes, p.transfer_syntaxes_len) = (ts.as_ptr(), 0),
            DIMSE_E_ARGUMENT,
        );
        bad(
            &|p| p.calling_ae_titles_len = DIMSE_MAX_CALLING_AE_TITLES + 1,
            DIMSE_E_ARGUMENT,
        );
        assert_eq!(
            init(mem, len, &policy, rx, 4096, tx, 8192, &mut out),
            DIMSE_OK
        );
        assert_eq!(out, mem.cast());
        // A requestor configuration on the acceptor's memory is checked the same way.
        let config = requestor_config(&classes, &[1]);
        let mut c2 = config;
        c2.called_ae = null();
        assert_eq!(
            dimse_requestor_init(mem, len, &c2, rx, 4096, tx, 8192, 0, &mut out),
            DIMSE_E_NULL
        );
        assert_eq!(
            dimse_requestor_init(mem, len, &config, rx, 4096, tx, 8192, 0, &mut out),
            DIMSE_OK
        );
    }
}

#[test]
fn calls_in_the_wrong_state_or_role_get_error_codes() {
    let classes = served();
    let mut scp = Mem::new();
    assert_eq!(acceptor(&mut scp, &acceptor_policy(&classes)), DIMSE_OK);
    // SAFETY: an initialised connection and C strings.
    unsafe {
        assert_eq!(dimse_release(scp.conn, 0), DIMSE_E_STATE);
        assert_eq!(dimse_send_c_echo(scp.conn, 0, null_mut()), DIMSE_E_STATE);
        assert_eq!(
            dimse_respond_n_get(scp.conn, 0, 1, 0, null(), None, null_mut(), null_mut()),
            DIMSE_E_STATE
        );
        let mut req = std::mem::MaybeUninit::<NGetRequest>::uninit();
        assert_eq!(
            dimse_read_n_get_request(scp.conn, req.as_mut_ptr()),
            DIMSE_E_NOTHING
        );
        let mut rsp = std::mem::MaybeUninit::<Response>::uninit();
        assert_eq!(
            dimse_received_response(scp.conn, rsp.as_mut_ptr()),
            DIMSE_E_NOTHING
        );
    }
    let mut scu = Mem::new();
    pair(&mut scp, &mut scu, &[1]);
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            dimse_respond_n_get(scp.conn, 0, 9, 0, null(), None, null_mut(), null_mut()),
            DIMSE_E_UNKNOWN_REQUEST
        );
        let bad_uid = c"1..2";
        assert_eq!(
            dimse_send_n_get(
                scu.conn,
                0,
                DISPLAY_SYSTEM.as_ptr(),
                bad_uid.as_ptr(),
                null(),
                0,
                null_mut()
            ),
            DIMSE_E_INVALID_UID
        );
        assert_eq!(
            dimse_send_n_get(
                scu.conn,
                0,
                c"1.2.3".as_ptr(),
                DISPLAY_INSTANCE.as_ptr(),
                null(),
                0,
                null_mut()
            ),
            DIMSE_E_UNKNOWN_CONTEXT
        );
        let many = vec![MANUFACTURER; DIMSE_MAX_REQUESTED + 1];
        assert_eq!(
            dimse_send_n_get(
                scu.conn,
                0,
                DISPLAY_SYSTEM.as_ptr(),
                DISPLAY_INSTANCE.as_ptr(),
                many.as_ptr(),
                many.len(),
                null_mut()
            ),
            DIMSE_E_TOO_LARGE
        );
        assert_eq!(dimse_send_c_echo(scu.conn, 0, null_mut()), DIMSE_OK);
        assert_eq!(dimse_send_c_echo(scu.conn, 0, null_mut()), DIMSE_E_BUSY);
        assert_eq!(dimse_abort(scu.conn, 0), DIMSE_OK);
        assert_eq!(dimse_abort(scu.conn, 0), DIMSE_E_STATE); // already aborted
    }
    let d = drive(&mut scu, &[], &mut no_answer);
    let ev = d
        .events
        .iter()
        .find(|e| e.kind == EventKind::Aborted)
        .unwrap();
    assert_eq!(ev.abort, AbortKind::Local);
    let d = drive(&mut scp, &d.wire, &mut no_answer);
    let ev = d
        .events
        .iter()
        .find(|e| e.kind == EventKind::Aborted)
        .unwrap();
    assert_eq!((ev.abort, ev.abort_source), (AbortKind::Peer, 0));
}

/// A callback that calls back into its own connection is refused, not aliased.
#[test]
fn a_callback_calling_back_in_gets_reentrant() {
    unsafe extern "C" fn reenter(user: *mut c_void, w: *mut Writer) -> c_int {
        let c = user.cast::<Connection>();
        let mut buf = [0u8; 64];
        let mut o = std::mem::MaybeUninit::<Output>::uninit();
        let mut n = 0;
        // SAFETY: the connection whose answer is being written; the calls must refuse.
        unsafe {
            assert_eq!(
                dimse_poll_output(c, buf.as_mut_ptr(), 64, o.as_mut_ptr()),
                DIMSE_E_REENTRANT
            );
            assert_eq!(dimse_is_closed(c), DIMSE_E_REENTRANT);
            assert_eq!(
                dimse_handle_input(c, 0, buf.as_ptr(), 0, &mut n),
                DIMSE_E_REENTRANT
            );
            let mut req = std::mem::MaybeUninit::<NGetRequest>::uninit();
            assert_eq!(
                dimse_read_n_get_request(c, req.as_mut_ptr()),
                DIMSE_E_REENTRANT
            );
            write_display(null_mut(), w)
        }
    }
    let (mut scp, mut scu) = (Mem::new(), Mem::new());
    pair(&mut scp, &mut scu, &[1]);
    let (status, data, _, _, _) =
        n_get(&mut scp, &mut scu, DISPLAY_INSTANCE, None, &mut |c, ev| {
            if ev.kind == EventKind::Request {
                // SAFETY: initialised connection.
                let rc = unsafe {
                    dimse_respond_n_get(
                        c,
                        5,
                        ev.message_id,
                        0,
                        null(),
                        Some(reenter),
                        c.cast(),
                        null_mut(),
                    )
                };
                assert_eq!(rc, DIMSE_OK);
            }
        });
    assert_eq!(status, 0);
    assert_eq!(
        data.unwrap(),
        expected(Encoding::ImplicitVrLittleEndian, None)
    );
}

/// Misuse of the writer fails the answer with 0110H; a data set larger than the transmit
/// storage gives 0213H; a failing callback 0110H. The association goes on.
#[test]
fn writer_misuse_and_full_buffers_get_the_statuses_the_core_gives() {
    unsafe extern "C" fn element_in_sequence(_: *mut c_void, w: *mut Writer) -> c_int {
        // SAFETY: the callback's writer.
        unsafe {
            assert_eq!(dimse_begin_sequence(w, SUBSYSTEMS), DIMSE_OK);
            assert_eq!(
                dimse_put_us(w, SUBSYSTEM_ID, [1u16].as_ptr(), 1),
                DIMSE_E_NESTING
            );
            // The first error sticks.
            assert_eq!(dimse_begin_item(w), DIMSE_E_NESTING);
        }
        0
    }
    unsafe extern "C" fn unclosed(_: *mut c_void, w: *mut Writer) -> c_int {
        // SAFETY: the callback's writer.
        unsafe {
            assert_eq!(dimse_begin_sequence(w, SUBSYSTEMS), DIMSE_OK);
            assert_eq!(dimse_begin_item(w), DIMSE_OK);
        }
        0
    }
    unsafe extern "C" fn out_of_order(_: *mut c_void, w: *mut Writer) -> c_int {
        // SAFETY: the callback's writer.
        unsafe {
            assert_eq!(dimse_put_text(w, STATION_NAME, c"A".as_ptr(), 1), DIMSE_OK);
            assert_eq!(
                dimse_put_text(w, MANUFACTURER, c"B".as_ptr(), 1),
                DIMSE_E_OUT_OF_ORDER
            );
            assert_eq!(
                dimse_put_string(w, 0x0010_0010, c"P".as_ptr(), c"x".as_ptr(), 1),
                DIMSE_E_OUT_OF_ORDER
            );
        }
        0
    }
    unsafe extern "C" fn bad_values(_: *mut c_void, w: *mut Writer) -> c_int {
        // SAFETY: the callback's writer.
        unsafe {
            assert_eq!(
                dimse_put_string(w, MANUFACTURER, c"XX".as_ptr(), c"A".as_ptr(), 1),
                DIMSE_E_ARGUMENT
            );
        }
        0
    }
    unsafe extern "C" fn too_big(_: *mut c_void, w: *mut Writer) -> c_int {
        let big = vec![b'A'; 9000];
        // SAFETY: the callback's writer.
        unsafe { dimse_put_bytes(w, 0x0008_0081, c"ST".as_ptr(), big.as_ptr(), big.len()) }
    }
    unsafe extern "C" fn fails(_: *mut c_void, _: *mut Writer) -> c_int {
        -1
    }
    unsafe extern "C" fn skipped_sequence(_: *mut c_void, w: *mut Writer) -> c_int {
        // SAFETY: the callback's writer.
        unsafe {
            let mut rc = dimse_put_text(w, MANUFACTURER, c"ACME".as_ptr(), 4);
            // Not requested: dropped whole, its content too, and the nesting still checked.
            rc |= dimse_begin_sequence(w, SUBSYSTEMS);
            rc |= dimse_begin_item(w);
            rc |= dimse_begin_sequence(w, 0x0028_7012);
            rc |= dimse_end_sequence(w);
            rc |= dimse_put_us(w, SUBSYSTEM_ID, [1u16].as_ptr(), 1);
            rc |= dimse_end_item(w);
            rc |= dimse_end_sequence(w);
            rc
        }
    }
    let cases: [(WriteFn, u16, Option<&[u32]>); 7] = [
        (Some(element_in_sequence), 0x0110, None),
        (Some(unclosed), 0x0110, None),
        (Some(out_of_order), 0x0110, None),
        (Some(bad_values), 0x0110, None),
        (Some(too_big), 0x0213, None),
        (Some(fails), 0x0110, None),
        (Some(skipped_sequence), 0x0000, Some(&[MANUFACTURER])),
    ];
    let (mut scp, mut scu) = (Mem::new(), Mem::new());
    pair(&mut scp, &mut scu, &[1]);
    for (f, want, tags) in cases {
        let mut sent = 0;
        let (status, data, _, _, _) =
            n_get(&mut scp, &mut scu, DISPLAY_INSTANCE, tags, &mut |c, ev| {
                if ev.kind == EventKind::Request {
                    // SAFETY: initialised connection.
                    let rc = unsafe {
                        dimse_respond_n_get(
                            c,
                            5,
                            ev.message_id,
                            0,
                            null(),
                            f,
                            null_mut(),
                            &mut sent,
                        )
                    };
                    assert_eq!(rc, DIMSE_OK);
                }
            });
        assert_eq!((status, sent), (want, want));
        assert_eq!(data.is_some(), want == 0);
    }
}

/// The acceptor's user identity callback sees what the requestor sent and decides.
#[test]
fn the_user_identity_callback_decides() {
    use dimse_core::assoc::RequestorConfig as CoreConfig;
    use dimse_core::pdu::{AeTitle, PresentationContextRq, UserIdentityRq, UserIdentityType};
    use dimse_core::{
        Connection as CoreConnection, Event as CoreEvent, Instant, Output as CoreOutput, Storage,
    };

    unsafe extern "C" fn check(user: *mut c_void, id: *const UserIdentity) -> c_int {
        // SAFETY: valid during the callback.
        let id = unsafe { &*id };
        let user_name =
            unsafe { std::slice::from_raw_parts(id.primary_field, id.primary_field_len) };
        let pass =
            unsafe { std::slice::from_raw_parts(id.secondary_field, id.secondary_field_len) };
        // SAFETY: the test's counter.
        unsafe { *user.cast::<u32>() += 1 };
        c_int::from(id.identity_type == 2 && user_name == b"qa" && pass == b"secret")
    }
    for (pass, accepted) in [(&b"secret"[..], true), (&b"wrong"[..], false)] {
        let classes = served();
        let mut calls = 0u32;
        let mut policy = acceptor_policy(&classes);
        policy.user_identity = Some(check);
        policy.user_identity_data = (&mut calls as *mut u32).cast();
        policy.require_user_identity = 1;
        let mut scp = Mem::new();
        assert_eq!(acceptor(&mut scp, &policy), DIMSE_OK);
        // The peer: a core requestor sending a username and passcode.
        static TS: [&str; 1] = ["1.2.840.10008.1.2"];
        let pcs = [PresentationContextRq {
            id: 1,
            abstract_syntax: "1.2.840.10008.5.1.1.40",
            transfer_syntaxes: &TS,
        }];
        let mut config = CoreConfig::new(
            AeTitle::new("QA").unwrap(),
            AeTitle::new("DISPLAY").unwrap(),
            &pcs,
        );
        config.user_identity = Some(UserIdentityRq {
            identity_type: UserIdentityType::UsernamePasscode,
            positive_response_requested: false,
            primary_field: b"qa",
            secondary_field: pass,
        });
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut scu = CoreConnection::requestor(
            &config,
            Storage {
                rx: &mut rx,
                tx: &mut tx,
            },
            Instant::ZERO,
        )
        .unwrap();
        let mut out = [0u8; 4096];
        let mut wire = Vec::new();
        while let Ok(CoreOutput::Transmit(n)) = scu.poll_output(&mut out) {
            wire.extend_from_slice(&out[..n]);
        }
        let d = drive(&mut scp, &wire, &mut no_answer);
        assert_eq!(calls, 1);
        let kinds: Vec<EventKind> = d.events.iter().map(|e| e.kind).collect();
        if accepted {
            assert_eq!(kinds[0], EventKind::Established);
        } else {
            assert_eq!(kinds[0], EventKind::Rejected);
            // The core's answer to a refused identity: rejected-permanent, ACSE, no reason.
            assert_eq!(
                (
                    d.events[0].reject_result,
                    d.events[0].reject_source,
                    d.events[0].reject_reason
                ),
                (1, 2, 1)
            );
        }
        scu.handle_input(Instant::ZERO, &d.wire);
        let mut events = Vec::new();
        while let Ok(o) = scu.poll_output(&mut out) {
            match o {
                CoreOutput::Event(e) => events.push(e),
                CoreOutput::Idle { .. } => break,
                _ => {}
            }
        }
        assert_eq!(matches!(events[0], CoreEvent::Established { .. }), accepted);
    }
}

/// The reader walks what the writer wrote.
#[test]
fn the_reader_visits_every_element_sequence_and_item() {
    unsafe extern "C" fn visit(user: *mut c_void, e: *const dimse_ffi::Element) -> c_int {
        // SAFETY: the test's vector and a step valid during the call.
        unsafe {
            let seen = &mut *user.cast::<Vec<(ElementKind, u32, usize)>>();
            let e = &*e;
            seen.push((e.kind, e.tag, e.depth));
        }
        0
    }
    let bytes = encoded(DIMSE_EXPLICIT_VR_LITTLE_ENDIAN);
    let mut seen: Vec<(ElementKind, u32, usize)> = Vec::new();
    // SAFETY: the test's bytes and vector.
    let rc = unsafe {
        dimse_read_data_set(
            bytes.as_ptr(),
            bytes.len(),
            DIMSE_EXPLICIT_VR_LITTLE_ENDIAN,
            Some(visit),
            (&mut seen as *mut Vec<_>).cast(),
        )
    };
    assert_eq!(rc, DIMSE_OK);
    use ElementKind::*;
    assert_eq!(
        seen,
        [
            (Element, MANUFACTURER, 0),
            (Element, STATION_NAME, 0),
            (Element, WHITE_POINT, 0),
            (SequenceStart, SUBSYSTEMS, 0),
            (ItemStart, 0, 1),
            (Element, SUBSYSTEM_ID, 1),
            (Element, SYSTEM_STATUS, 1),
            (ItemEnd, 0, 1),
            (ItemStart, 0, 1),
            (Element, SUBSYSTEM_ID, 1),
            (Element, SYSTEM_STATUS, 1),
            (ItemEnd, 0, 1),
            (SequenceEnd, SUBSYSTEMS, 0),
        ]
    );
    // Cut short: the steps before the fault, then DIMSE_E_MALFORMED.
    seen.clear();
    let rc = unsafe {
        dimse_read_data_set(
            bytes.as_ptr(),
            bytes.len() - 3,
            DIMSE_EXPLICIT_VR_LITTLE_ENDIAN,
            Some(visit),
            (&mut seen as *mut Vec<_>).cast(),
        )
    };
    assert_eq!(rc, DIMSE_E_MALFORMED);
}
