//! The baseline firmware (`--no-default-features`): the same network stack, sockets and socket
//! buffers as the DICOM firmware, and a TCP echo instead of DICOM. `scripts/footprint`
//! measures the DICOM side as the difference between the two.

use defmt::{info, unwrap, warn};
use embassy_executor::Spawner;
use embassy_net::tcp::TcpSocket;
use embassy_net::Stack;
use static_cell::ConstStaticCell;

/// The DICOM firmware's association tasks (`dicom::ASSOCIATIONS`): one echo
/// task, one socket each.
pub const ASSOCIATIONS: usize = 2;
/// The DICOM firmware's port.
const PORT: u16 = 11112;

/// The socket rings of the DICOM firmware (dimse-embassy's `DEFAULT_SOCKET_RX` and
/// `DEFAULT_SOCKET_TX`), so that the difference leaves them out.
const SOCKET_RX: usize = 1024;
const SOCKET_TX: usize = 2048;

struct Buffers {
    rx: [u8; SOCKET_RX],
    tx: [u8; SOCKET_TX],
}

static BUFFERS: [ConstStaticCell<Buffers>; ASSOCIATIONS] = [const {
    ConstStaticCell::new(Buffers {
        rx: [0; SOCKET_RX],
        tx: [0; SOCKET_TX],
    })
}; ASSOCIATIONS];

#[embassy_executor::task(pool_size = ASSOCIATIONS)]
async fn echo(stack: Stack<'static>, buffers: &'static mut Buffers) -> ! {
    let mut socket = TcpSocket::new(stack, &mut buffers.rx, &mut buffers.tx);
    loop {
        if let Err(e) = socket.accept(PORT).await {
            warn!("accept: {}", e);
            continue;
        }
        let mut chunk = [0u8; 64];
        loop {
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if socket.write(&chunk[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
        // Our FIN, flushed; then a reset, so that the socket is closed at once and can accept
        // again (a baseline for the footprint, not a model of a graceful close).
        socket.close();
        let _ = socket.flush().await;
        socket.abort();
        info!("echo connection closed");
    }
}

/// Spawns the echo tasks, one per buffer set.
pub fn start(spawner: Spawner, stack: Stack<'static>) {
    for cell in &BUFFERS {
        spawner.spawn(unwrap!(echo(stack, cell.take())));
    }
}
