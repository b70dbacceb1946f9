//! # dimse-embassy
//!
//! The [dimse-core](dimse_core) DICOM state machine on [embassy-net]: firmware of a display QA
//! device or a display controller that answers Display System Management N-GETs (PS3.4 Annex
//! EE) and C-ECHOs on its Ethernet port.
//!
//! `#![no_std]`, no allocator, no `unsafe`. Every byte of memory is a `static` you declare:
//! the association buffers ([`AssociationBuffers`], [`AssociationPool`]), the tasks' futures
//! (embassy's task pools), the network stack's resources.
//!
//! ## What runs
//!
//! [`serve_association`] is one association task: it accepts a TCP connection on the DICOM
//! port, moves bytes and time between the socket and a
//! [`Connection`](dimse_core::Connection) by the core's drain contract (the socket's receive
//! ring straight into `handle_input`, `poll_output` straight into the socket's transmit ring,
//! sleeping until bytes arrive or the core's next deadline), hands each N-GET to your
//! [`Handler`], closes the connection when the core says so, and accepts again. Spawn it `N` times to serve `N`
//! peers at once (embassy-net sockets have no backlog: with every task busy, a new peer is
//! refused until one is free). C-ECHO, malformed requests, unknown SOP classes and instances
//! are answered by the core; no protocol decision is made here.
//!
//! A task is a connection, not an association: it is free again only when the TCP
//! connection is gone. After its A-RELEASE-RP or an A-ABORT the association is over, but the
//! task waits in Sta13 for the peer to close (PS3.8 §9.2), up to ARTIM
//! ([`Limits::artim_timeout`](dimse_core::assoc::Limits::artim_timeout), 30 s by
//! default). A requestor closes as soon as it receives the A-RELEASE-RP (AR-3), so the task
//! is soon free, but a peer that associates again at once can still arrive before the task
//! listens again and be refused; one that keeps the connection open holds the task until
//! ARTIM, and `N` such peers keep every other peer out for that long. Nor is there an
//! A-ASSOCIATE-RJ for "every task busy": with no listening socket left the connection itself
//! is refused (a TCP reset), which a poller should retry as it retries a transient rejection
//! (`dimse poll` does). `dimse-tokio`'s server, which frees an association slot when the
//! association ends and caps the connections lingering after it, has neither limit. With a
//! fixed task count: count a task for each QA tool that polls the device at once, and lower
//! ARTIM if peers are known not to close (the firmware example runs two tasks).
//!
//! ## On your own board, step by step
//!
//! A complete firmware that does all of this is in the repository's
//! `embedded-adapter/firmware/`: its DICOM part (`dicom/`: the handler, the configuration,
//! the association tasks) knows no board, and each board's folder brings up the network: the
//! STM32 Nucleo-H743ZI (`nucleo-h743zi/`: embassy-stm32's Ethernet driver, a static IPv4
//! address) and QEMU's mps2-an500 (`mps2-an500/`: a LAN9118 driver of its own, which CI
//! runs). Copy it and change the pins, clocks and addresses.
//!
//! 1. **Dependencies.** `dimse-core`, `dimse-embassy` (with `features = ["defmt"]` if your
//!    firmware logs with defmt), `embassy-executor` (`platform-cortex-m`, `executor-thread`),
//!    `embassy-net` with your medium (`medium-ethernet`), `proto-ipv4`, `tcp`, your HAL's
//!    Ethernet driver (e.g. `embassy-stm32`'s `eth`), `static_cell`.
//! 2. **The device's answer.** Describe the display as a
//!    [`DisplaySystem`](dimse_core::service::display::DisplaySystem) (a `static` of
//!    constants, or built from a [`DeviceConfig`] read from flash) and implement
//!    [`Handler`]: `n_get` returns it (or a fresh reading) as a [`Reply`].
//! 3. **The policy.** An [`AcceptorPolicy`](dimse_core::assoc::AcceptorPolicy) with your AE
//!    title and the SOP classes you serve (Display System and Verification), in a
//!    `StaticCell` ([`DeviceConfig::policy`] builds it from the stored configuration).
//! 4. **The memory.** One [`AssociationPool`] `static` holds every association's buffers.
//!    Give the network stack one socket per association, plus what else you use (DHCP, DNS):
//!    `StackResources<{ ASSOCIATIONS + 1 }>`.
//! 5. **The network stack**, as embassy-net wants it on any board:
//!    ```text
//!    let (stack, runner) = embassy_net::new(eth_driver, config, RESOURCES.init(StackResources::new()), seed);
//!    spawner.spawn(net_task(runner).unwrap());   // async fn net_task(mut r: Runner<'static, Eth>) -> ! { r.run().await }
//!    ```
//! 6. **The association tasks.** Declare a task wrapping [`serve_association`] with
//!    `pool_size = ASSOCIATIONS`, and spawn it once per buffer set:
//!
//! ```no_run
//! use dimse_core::assoc::AcceptorPolicy;
//! use dimse_core::dimse::NGetRequest;
//! use dimse_core::pdu::AeTitle;
//! use dimse_core::service::display::{DisplaySystem, DEMO};
//! use dimse_core::service::{DISPLAY_SYSTEM, VERIFICATION};
//! use dimse_embassy::{serve_association, AssociationBuffers, AssociationPool, Failure, Handler, Reply};
//! use embassy_executor::Spawner;
//! use embassy_net::Stack;
//! use static_cell::StaticCell;
//!
//! /// How many peers are served at once.
//! const ASSOCIATIONS: usize = 2;
//! /// Every association's buffers, in .bss.
//! static POOL: AssociationPool<ASSOCIATIONS> = AssociationPool::new();
//! static SERVED: [&str; 2] = [DISPLAY_SYSTEM, VERIFICATION];
//! static POLICY: StaticCell<AcceptorPolicy<'static>> = StaticCell::new();
//!
//! /// Your display, from constants (`..DEMO` stands for the rest of the description).
//! static DISPLAY: DisplaySystem<'static> = DisplaySystem {
//!     manufacturer: "ACME Displays",
//!     device_serial_number: "SN-0001",
//!     ..DEMO
//! };
//!
//! struct Device;
//!
//! impl Handler for Device {
//!     async fn n_get(&self, _request: &NGetRequest<'_>) -> Result<Reply<'_>, Failure<'_>> {
//!         Ok(Reply::success(&DISPLAY))
//!     }
//! }
//!
//! static DEVICE: Device = Device;
//!
//! #[embassy_executor::task(pool_size = ASSOCIATIONS)]
//! async fn dicom(
//!     stack: Stack<'static>,
//!     buffers: &'static mut AssociationBuffers,
//!     policy: &'static AcceptorPolicy<'static>,
//! ) -> ! {
//!     serve_association(stack, 11112, buffers, policy, &DEVICE).await
//! }
//!
//! /// Call once the network stack exists (its runner task spawned).
//! async fn start_dicom(spawner: Spawner, stack: Stack<'static>) {
//!     let title = AeTitle::new("DISPLAY").unwrap();
//!     let policy = POLICY.init(AcceptorPolicy::new(title, &SERVED));
//!     stack.wait_config_up().await;
//!     for buffers in POOL.take_all() {
//!         spawner.spawn(dicom(stack, buffers, policy).unwrap());
//!     }
//! }
//! ```
//!
//! ## RAM per association
//!
//! | what | default | where |
//! |---|---|---|
//! | core receive buffer (one command set) | 1,280 B | [`AssociationBuffers`] `RX` |
//! | core transmit buffer (one response: data set + command) | 4,096 B | `TX` |
//! | socket receive ring (the TCP window) | 1,024 B | `SOCKET_RX` |
//! | socket transmit ring (PDUs are emitted into it) | 2,048 B | `SOCKET_TX` |
//! | carry (a unit split by the ring's wrap) | 512 B | fixed |
//! | the task's future: the core's `Connection`, the socket handle, locals | | the task pool |
//!
//! The RAM per association does not depend on the maximum PDU length advertised (16,382 by
//! default): the core streams what it receives and cuts what it sends to fit. `TX` must hold
//! your largest response (a larger one is answered 0213H, resource limitation); `RX` bounds
//! the Attribute Identifier List a peer can send: [`dimse_core::dimse::MAX_N_GET_RQ_LEN`]
//! bytes read every N-GET whole, and a request that does not fit is answered 0213H. The host
//! test prints the sizes measured on x86_64 (`cargo test -p dimse-embassy --test host`), and
//! `scripts/footprint` those on a Cortex-M7 (the firmware example); the figures are in the
//! repository's `BENCHMARKS.md`.
//!
//! ## Recording what happened
//!
//! [`serve_association_recording`] is [`serve_association`] with a buffer you lend: each
//! association's inputs are written into it as a trace ([`dimse_core::trace`] defines the
//! format, [`trace`] records it), handed to [`Handler::association_recorded`] when the
//! association ends, to keep in flash or send out. `dimse replay FILE` reads it on a PC;
//! replayed, the trace gives the same events and PDUs as on the device.
//!
//! ## Features
//!
//! * `defmt`: log through defmt, here and in dimse-core, embassy-net, embassy-time, heapless
//!   and postcard.
//! * `log`: log through the `log` facade, here and in dimse-core.
//!
//! At most one of them; with neither, nothing is logged and nothing is linked for it.
//!
//! ## Testing without a board
//!
//! `tests/host.rs` runs the adapter on embassy's std executor, its network stack wired to a
//! second embassy-net stack through `embassy-net-driver-channel`, and a DICOM client on that
//! second stack (the core's requestor side): association, N-GET (the data set checked byte
//! for byte), C-ECHO, release, a peer's abort, a FIN and a reset without release, a handler
//! that fails, two concurrent associations and a third refused, ARTIM on an idle connection,
//! transmit rings smaller than a response (or than the A-ASSOCIATE-AC, which then goes out in
//! pieces; smaller than it and than `TX` too, and the association is aborted), and an association
//! recorded on the device and replayed with dimse-tokio's replayer.
//!
//! [embassy-net]: https://docs.embassy.dev/embassy-net
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(all(feature = "defmt", feature = "log"))]
compile_error!("the `defmt` and `log` features of dimse-embassy are mutually exclusive");

#[macro_use]
mod fmt;

mod buffers;
mod config;
mod handler;
mod server;
pub mod trace;

pub use buffers::{
    AssociationBuffers, AssociationPool, DEFAULT_ASSOCIATIONS, DEFAULT_RX, DEFAULT_SOCKET_RX,
    DEFAULT_SOCKET_TX, DEFAULT_TX,
};
pub use config::{ConfigError, DeviceConfig, CONFIG_FORMAT, MAX_CONFIG_LEN};
pub use handler::{End, Failure, Handler, Reply, Summary, TransportEnd};
pub use server::{serve_association, serve_association_recording, CLOSE_TIMEOUT};
pub use trace::TraceRecorder;

/// The core, re-exported: the adapter's API speaks its types.
pub use dimse_core;
