//! The embassy-net adapter on a Linux TAP device: the same `serve_association` tasks a board
//! runs, on embassy-net over `embassy-net-tuntap`, so a real peer (pynetdicom) can talk to it.
//!
//! `scripts/tap-test` runs it inside a network namespace it creates (root and /dev/net/tun
//! needed):
//!
//! ```sh
//! ip tuntap add name tap99 mode tap && ip link set tap99 up
//! ip addr add 192.168.69.100/24 dev tap99
//! cargo run -p dimse-embassy --example tap_scp -- tap99      # serves 192.168.69.1:11112
//! ```

use dimse_core::assoc::AcceptorPolicy;
use dimse_core::dimse::NGetRequest;
use dimse_core::pdu::AeTitle;
use dimse_core::service::display::DEMO;
use dimse_core::service::{DISPLAY_SYSTEM, VERIFICATION};
use dimse_embassy::{
    serve_association, AssociationBuffers, AssociationPool, Failure, Handler, Reply,
};
use embassy_executor::{Executor, Spawner};
use embassy_net::{Config, Ipv4Address, Ipv4Cidr, Stack, StackResources, StaticConfigV4};
use embassy_net_tuntap::TunTapDevice;
use static_cell::StaticCell;

const PORT: u16 = 11112;
const ASSOCIATIONS: usize = 2;

static POOL: AssociationPool<ASSOCIATIONS> = AssociationPool::new();
static SERVED: [&str; 2] = [DISPLAY_SYSTEM, VERIFICATION];
static POLICY: StaticCell<AcceptorPolicy<'static>> = StaticCell::new();
static DEVICE: Display = Display;

/// The display: answers from the demo Display System.
struct Display;

impl Handler for Display {
    async fn n_get(&self, request: &NGetRequest<'_>) -> Result<Reply<'_>, Failure<'_>> {
        println!("tap_scp: {request}");
        Ok(Reply::success(&DEMO))
    }
}

#[embassy_executor::task(pool_size = ASSOCIATIONS)]
async fn dicom(
    stack: Stack<'static>,
    buffers: &'static mut AssociationBuffers,
    policy: &'static AcceptorPolicy<'static>,
) -> ! {
    serve_association(stack, PORT, buffers, policy, &DEVICE).await
}

#[embassy_executor::task]
async fn net(mut runner: embassy_net::Runner<'static, TunTapDevice>) -> ! {
    runner.run().await
}

#[embassy_executor::task]
async fn start(spawner: Spawner, stack: Stack<'static>) {
    stack.wait_config_up().await;
    let policy = POLICY.init(AcceptorPolicy::new(
        AeTitle::new("DISPLAY").expect("AE title"),
        &SERVED,
    ));
    for buffers in POOL.take_all() {
        spawner.spawn(dicom(stack, buffers, policy).expect("task"));
    }
    println!("tap_scp: serving 192.168.69.1:{PORT}");
}

fn main() {
    let tap = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tap99".to_string());
    let device = TunTapDevice::new(&tap).unwrap_or_else(|e| {
        eprintln!("tap_scp: cannot open {tap}: {e} (root and /dev/net/tun are needed)");
        std::process::exit(2);
    });
    let config = Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(Ipv4Address::new(192, 168, 69, 1), 24),
        gateway: None,
        dns_servers: Default::default(),
    });
    static RESOURCES: StaticCell<StackResources<{ ASSOCIATIONS + 1 }>> = StaticCell::new();
    let (stack, runner) = embassy_net::new(
        device,
        config,
        RESOURCES.init(StackResources::new()),
        0x7a9_5eed,
    );
    static EXECUTOR: StaticCell<Executor> = StaticCell::new();
    EXECUTOR.init(Executor::new()).run(|spawner| {
        spawner.spawn(net(runner).expect("task"));
        spawner.spawn(start(spawner, stack).expect("task"));
    });
}
