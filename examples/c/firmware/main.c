/*
 * The dimse C API on bare metal: one acceptor in static memory answers an N-GET of the
 * Display System fed from a byte array (request.h: association, N-GET-RQ, release, as a
 * requestor sends them), cut into 64-byte reads as a network stack would deliver them.
 * Exits through semihosting with 0 when the association was established, the N-GET
 * answered 0000H with its data set, and the association released and closed.
 *
 * Built for thumbv7em-none-eabihf (Cortex-M7 with its FPU) against QEMU mps2-an500's memory
 * map; `make -C examples/c/firmware size` prints its flash and RAM (BENCHMARKS.md).
 */
#include "dimse.h"
#include "display.h"
#include "request.h"

#define CHUNK 64

/* The connection's memory and storage: what one association costs in RAM. */
static _Alignas(DIMSE_CONNECTION_ALIGN) uint8_t mem[DIMSE_CONNECTION_SIZE];
static uint8_t rx[1280], tx[4096];
/* Received and not taken yet: at most one unit the connection needs whole, and a read. */
static uint8_t kept[DIMSE_MAX_UNIT_LEN + CHUNK];
/* One PDU to transmit. P-DATA is cut to fit; an A-ASSOCIATE-AC is written whole, and 2 KB
 * holds one answering a few dozen presentation contexts (dimse_min_output_len gives the
 * bound for all 128 a request may carry, 4,637 bytes here): a larger one would fail here with
 * DIMSE_E_SIZE, and a firmware would abort that association. */
static uint8_t out[2048];

/* What a transport would carry away: counted and summed, so nothing is optimised out. */
static volatile uint32_t transmitted, checksum;

static const char *const SERVED[] = {"1.2.840.10008.5.1.1.40", "1.2.840.10008.1.1"};

int main(void) {
    const dimse_acceptor_policy policy = {
        .ae_title = "DISPLAY",
        .sop_classes = SERVED,
        .sop_classes_len = 2,
    };
    dimse_connection *c;
    uint64_t now = 0;
    if (dimse_acceptor_init(mem, sizeof mem, &policy, rx, sizeof rx, tx, sizeof tx, now, &c) !=
        DIMSE_OK) {
        return 1;
    }
    bool established = false, released = false, closed = false;
    uint16_t sent = 0xFFFF;
    size_t next = 0, kept_len = 0;
    bool eof = false;
    while (!closed) {
        /* A read: the next chunk of the byte array; at its end the peer closes the
         * transport, as a requestor does once it has the A-RELEASE-RP. */
        size_t n = sizeof REQUEST - next < CHUNK ? sizeof REQUEST - next : CHUNK;
        if (n == 0 && eof) {
            return 3; /* everything fed, and the association is not over */
        }
        if (n == 0) {
            eof = true;
            if (dimse_handle_transport_closed(c, now) != DIMSE_OK) {
                return 3;
            }
        }
        for (size_t i = 0; i < n; i++) {
            kept[kept_len + i] = REQUEST[next + i];
        }
        kept_len += n;
        next += n;
        now += 1;
        bool feed = true;
        for (;;) {
            if (feed) {
                size_t taken = 0;
                if (dimse_handle_input(c, now, kept, kept_len, &taken) != DIMSE_OK) {
                    return 4;
                }
                for (size_t i = taken; i < kept_len; i++) {
                    kept[i - taken] = kept[i];
                }
                kept_len -= taken;
            }
            dimse_output o;
            if (dimse_poll_output(c, out, sizeof out, &o) != DIMSE_OK) {
                return 5;
            }
            feed = o.kind == DIMSE_OUTPUT_KIND_REOFFER;
            if (o.kind == DIMSE_OUTPUT_KIND_IDLE) {
                break;
            }
            if (o.kind == DIMSE_OUTPUT_KIND_TRANSMIT) {
                for (size_t i = 0; i < o.transmit_len; i++) {
                    checksum = checksum * 31u + out[i];
                }
                transmitted = transmitted + (uint32_t)o.transmit_len;
            } else if (o.kind == DIMSE_OUTPUT_KIND_EVENT) {
                switch (o.event.kind) {
                case DIMSE_EVENT_KIND_ESTABLISHED:
                    established = true;
                    break;
                case DIMSE_EVENT_KIND_REQUEST:
                    if (dimse_respond_n_get(c, now, o.event.message_id, 0x0000, NULL,
                                            write_display, (void *)&DISPLAY,
                                            &sent) != DIMSE_OK) {
                        return 6;
                    }
                    break;
                case DIMSE_EVENT_KIND_RELEASED:
                    released = true;
                    break;
                case DIMSE_EVENT_KIND_CLOSED:
                    closed = true;
                    break;
                default:
                    break;
                }
            }
        }
    }
    /* The A-ASSOCIATE-AC, the N-GET-RSP with its data set, the A-RELEASE-RP. */
    return established && sent == 0x0000 && released && transmitted > 500 ? 0 : 7;
}
