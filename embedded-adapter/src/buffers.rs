//! The memory of one association, owned by the application and lent for good.

use dimse_core::pdu::MAX_UNIT_LEN;
use static_cell::ConstStaticCell;

/// Default size of [`AssociationBuffers`]'s `RX`: one received command set. An N-GET-RQ with the
/// longest Attribute Identifier List the core accepts (256 tags) is about 1,140 bytes.
pub const DEFAULT_RX: usize = 1280;
/// Default size of [`AssociationBuffers`]'s `TX`: one response, its data set and command set.
/// The core's demo Display System is 3,384 bytes in Explicit VR Little Endian.
pub const DEFAULT_TX: usize = 4096;
/// Default size of the TCP socket's receive buffer: the window offered to the peer. Requests
/// are small; the core streams larger PDUs through it.
pub const DEFAULT_SOCKET_RX: usize = 1024;
/// Default size of the TCP socket's transmit buffer: how much of a response can be in flight
/// before the peer acknowledges it. PDUs are written straight into it (no copy); an
/// A-ASSOCIATE-AC larger than it (about 110 bytes plus 30 per presentation context) is laid
/// out in `TX` by the core and goes out in pieces.
pub const DEFAULT_SOCKET_TX: usize = 2048;
/// Default number of association tasks: how many peers are served at once. A further peer's
/// SYN finds no listening socket and is refused (embassy-net has no backlog).
pub const DEFAULT_ASSOCIATIONS: usize = 2;

/// Every buffer one association task needs, sized at compile time.
///
/// * `RX`, `TX`: the core's [`Storage`](dimse_core::Storage): one received command set, one
///   outgoing response (data set and command set). A data set larger than `TX` is answered
///   0213H (resource limitation); a command set larger than `RX` aborts the association.
/// * `SOCKET_RX`, `SOCKET_TX`: the TCP socket's ring buffers. Received bytes go from the
///   receive ring straight into the core, and PDUs are emitted straight into the transmit
///   ring. The only copy goes through a fifth buffer of
///   [`MAX_UNIT_LEN`](dimse_core::pdu::MAX_UNIT_LEN) (512) bytes, for a PDU header or item
///   that the receive ring's wrap (or the peer's TCP segments) split.
///
/// None of them depends on the maximum PDU length advertised (16,382 by default): the core
/// streams what it receives, and cuts what it sends to fit.
///
/// Put them in a `static` (see [`AssociationPool`], or a [`ConstStaticCell`]) so that they
/// land in `.bss`: [`AssociationBuffers::new`] is `const`, nothing is built on the stack.
///
/// Word-aligned, and so is each buffer with the default sizes (all multiples of 4): a copy
/// between two aligned areas (a data set encoded into an aligned static, copied into `TX`)
/// moves whole words, or eight at a time with `LDM`/`STM` on a Cortex-M (the firmware
/// example's `memcpy`), where unaligned areas cost it two to three times the instructions.
#[repr(C, align(4))]
pub struct AssociationBuffers<
    const RX: usize = DEFAULT_RX,
    const TX: usize = DEFAULT_TX,
    const SOCKET_RX: usize = DEFAULT_SOCKET_RX,
    const SOCKET_TX: usize = DEFAULT_SOCKET_TX,
> {
    pub(crate) rx: [u8; RX],
    pub(crate) tx: [u8; TX],
    pub(crate) socket_rx: [u8; SOCKET_RX],
    pub(crate) socket_tx: [u8; SOCKET_TX],
    pub(crate) carry: [u8; MAX_UNIT_LEN],
}

impl<const RX: usize, const TX: usize, const SOCKET_RX: usize, const SOCKET_TX: usize>
    AssociationBuffers<RX, TX, SOCKET_RX, SOCKET_TX>
{
    /// Zeroed buffers, for a `static` initialiser.
    pub const fn new() -> Self {
        AssociationBuffers {
            rx: [0; RX],
            tx: [0; TX],
            socket_rx: [0; SOCKET_RX],
            socket_tx: [0; SOCKET_TX],
            carry: [0; MAX_UNIT_LEN],
        }
    }

    /// Their size in bytes: what one association costs in `.bss` besides its task (whose
    /// future holds the core's `Connection`, about 1.5 KB, and the socket handle).
    pub const SIZE: usize = RX + TX + SOCKET_RX + SOCKET_TX + MAX_UNIT_LEN;
}

impl<const RX: usize, const TX: usize, const SOCKET_RX: usize, const SOCKET_TX: usize> Default
    for AssociationBuffers<RX, TX, SOCKET_RX, SOCKET_TX>
{
    fn default() -> Self {
        Self::new()
    }
}

/// `N` sets of [`AssociationBuffers`] in one `static`, handed out once each: one per
/// association task.
///
/// ```
/// use dimse_embassy::{AssociationBuffers, AssociationPool};
///
/// static POOL: AssociationPool<2> = AssociationPool::new();
///
/// let buffers: [&'static mut AssociationBuffers; 2] = POOL.take_all();
/// assert_eq!(buffers.len(), 2);
/// ```
pub struct AssociationPool<
    const N: usize = DEFAULT_ASSOCIATIONS,
    const RX: usize = DEFAULT_RX,
    const TX: usize = DEFAULT_TX,
    const SOCKET_RX: usize = DEFAULT_SOCKET_RX,
    const SOCKET_TX: usize = DEFAULT_SOCKET_TX,
> {
    /// One cell for all `N` (handed out together): one `taken` flag, so that every set lies
    /// at a multiple of its size from the first, each as aligned as the first.
    cells: ConstStaticCell<[AssociationBuffers<RX, TX, SOCKET_RX, SOCKET_TX>; N]>,
}

impl<
        const N: usize,
        const RX: usize,
        const TX: usize,
        const SOCKET_RX: usize,
        const SOCKET_TX: usize,
    > AssociationPool<N, RX, TX, SOCKET_RX, SOCKET_TX>
{
    /// `N` zeroed sets, for a `static` initialiser.
    pub const fn new() -> Self {
        AssociationPool {
            cells: ConstStaticCell::new([const { AssociationBuffers::new() }; N]),
        }
    }

    /// Every set, once.
    ///
    /// # Panics
    ///
    /// When called a second time on the same pool.
    pub fn take_all(
        &'static self,
    ) -> [&'static mut AssociationBuffers<RX, TX, SOCKET_RX, SOCKET_TX>; N] {
        self.cells.take().each_mut()
    }
}

impl<
        const N: usize,
        const RX: usize,
        const TX: usize,
        const SOCKET_RX: usize,
        const SOCKET_TX: usize,
    > Default for AssociationPool<N, RX, TX, SOCKET_RX, SOCKET_TX>
{
    fn default() -> Self {
        Self::new()
    }
}
