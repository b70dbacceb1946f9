/*
 * display_scp: a Display System SCP in C over the dimse C API, POSIX sockets and poll().
 *
 *     examples/c/display_scp PORT [-a ARTIM_MS] [-n NETWORK_MS] [-d DIMSE_MS]
 *                                 [-s GGGGEEEE:MS]
 *
 * Serves until killed: up to MAX_ASSOCIATIONS associations at once, one dimse connection
 * each, all in one thread; beyond that, A-ASSOCIATE-RJ (transient, local limit exceeded).
 * N-GETs of the Display System are answered from the C struct in display.c through the
 * writer callback; C-ECHO is answered by the core. -s answers an N-GET that lists the tag
 * GGGGEEEE MS milliseconds late (from the loop, as an application that must fetch its
 * data first would): the test suite uses it to hold an association with a request.
 *
 * Each connection is driven by the one loop of the core (ffi/README.md):
 *   1. feed dimse_handle_input with what was read and not yet taken;
 *   2. drain dimse_poll_output until IDLE: queue each TRANSMIT, handle each EVENT, and on
 *      REOFFER go back to 1;
 *   3. wait in poll() for bytes, room to write, or the earliest deadline.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "display.h"

#define MAX_ASSOCIATIONS 32
/* Slots beyond the limit, for the associations that get A-ASSOCIATE-RJ. */
#define SLOTS (MAX_ASSOCIATIONS + 4)
#define RX_LEN 4096   /* receive storage: DIMSE_MAX_N_GET_RQ_LEN and more */
#define TX_LEN 16384  /* transmit storage: the largest data set (about 1.3 KB here) */
#define IN_LEN 16384  /* bytes read and not yet taken */
#define OUT_LEN 65536 /* bytes queued for the socket */
#define PDU_LEN 32768 /* one PDU from dimse_poll_output: >= dimse_min_output_len */

struct slot {
    int fd; /* -1: free */
    _Alignas(DIMSE_CONNECTION_ALIGN) uint8_t mem[DIMSE_CONNECTION_SIZE];
    dimse_connection *conn;
    uint8_t rx[RX_LEN], tx[TX_LEN];
    uint8_t in[IN_LEN];
    size_t in_len;
    bool fresh; /* bytes arrived since the last feed */
    uint8_t out[OUT_LEN];
    size_t out_len, out_sent;
    bool has_deadline;
    uint64_t deadline;
    bool counted; /* within MAX_ASSOCIATIONS */
    /* A request answered late (-s). */
    bool late;
    uint16_t late_id;
    uint64_t late_at;
};

static struct slot slots[SLOTS];
static uint8_t pdu[PDU_LEN];
static uint32_t slow_tag;
static uint64_t slow_ms;
static int active;

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void fail(const char *what, int rc) {
    fprintf(stderr, "display_scp: %s: %s\n", what, dimse_strerror(rc));
    exit(1);
}

static void answer(struct slot *s, uint16_t message_id) {
    uint16_t sent = 0;
    int rc = dimse_respond_n_get(s->conn, now_ms(), message_id, 0x0000, NULL, write_display,
                                 (void *)&DISPLAY, &sent);
    if (rc != DIMSE_OK) {
        printf("[%d] N-GET #%u not answered: %s\n", s->fd, message_id, dimse_strerror(rc));
    } else {
        printf("[%d] N-GET #%u answered %04XH\n", s->fd, message_id, sent);
    }
}

static void on_request(struct slot *s, const dimse_event *ev) {
    dimse_n_get_request req;
    if (ev->operation != DIMSE_OPERATION_N_GET || dimse_read_n_get_request(s->conn, &req) != 0) {
        return;
    }
    printf("[%d] N-GET #%u %s / %s, %zu attributes, from %s\n", s->fd, req.message_id,
           req.sop_class_uid, req.sop_instance_uid, req.attribute_count, req.calling_ae);
    for (size_t i = 0; slow_ms > 0 && i < req.attribute_count; i++) {
        uint32_t tag;
        if (dimse_n_get_request_tag(s->conn, i, &tag) == DIMSE_OK && tag == slow_tag) {
            s->late = true;
            s->late_id = req.message_id;
            s->late_at = now_ms() + slow_ms;
            return;
        }
    }
    answer(s, req.message_id);
}

static void on_event(struct slot *s, const dimse_event *ev) {
    switch (ev->kind) {
    case DIMSE_EVENT_KIND_ESTABLISHED:
        printf("[%d] established: %s -> %s\n", s->fd, ev->calling_ae, ev->called_ae);
        break;
    case DIMSE_EVENT_KIND_REJECTED:
        printf("[%d] rejected %u/%u/%u\n", s->fd, ev->reject_result, ev->reject_source,
               ev->reject_reason);
        break;
    case DIMSE_EVENT_KIND_REQUEST:
        on_request(s, ev);
        break;
    case DIMSE_EVENT_KIND_ANSWERED:
        printf("[%d] request %04XH #%u answered by the core: %04XH\n", s->fd,
               ev->command_field, ev->message_id, ev->status);
        break;
    case DIMSE_EVENT_KIND_RELEASED:
        printf("[%d] released\n", s->fd);
        break;
    case DIMSE_EVENT_KIND_ABORTED:
        printf("[%d] aborted (%d)\n", s->fd, (int)ev->abort);
        break;
    default:
        break;
    }
}

/* Sends what is queued, as far as the socket takes it. */
static void flush(struct slot *s) {
    while (s->out_sent < s->out_len) {
        ssize_t n = send(s->fd, s->out + s->out_sent, s->out_len - s->out_sent, MSG_NOSIGNAL);
        if (n > 0) {
            s->out_sent += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        } else {
            /* The peer is gone: nothing queued can reach it. */
            s->out_len = s->out_sent = 0;
            dimse_handle_transport_closed(s->conn, now_ms());
            return;
        }
    }
    s->out_len = s->out_sent = 0;
}

/* Steps 1 and 2 of the loop, until idle or until the output queue is full. The kept bytes
 * are fed when new ones arrived (`feed`) and after a REOFFER, not on every pass: feeding
 * bytes is what tells the connection the peer is alive (the network timeout). */
static void drive(struct slot *s, bool feed) {
    for (;;) {
        int rc;
        if (feed) {
            size_t taken = 0;
            rc = dimse_handle_input(s->conn, now_ms(), s->in, s->in_len, &taken);
            if (rc != DIMSE_OK) {
                fail("dimse_handle_input", rc);
            }
            memmove(s->in, s->in + taken, s->in_len - taken);
            s->in_len -= taken;
        }
        feed = true; /* after a REOFFER */
        for (;;) {
            if (OUT_LEN - s->out_len < PDU_LEN) {
                flush(s);
                if (OUT_LEN - s->out_len < PDU_LEN) {
                    return; /* poll() waits for room, then this goes on */
                }
            }
            dimse_output o;
            rc = dimse_poll_output(s->conn, pdu, PDU_LEN, &o);
            if (rc != DIMSE_OK) {
                fail("dimse_poll_output", rc);
            }
            if (o.kind == DIMSE_OUTPUT_KIND_TRANSMIT) {
                memcpy(s->out + s->out_len, pdu, o.transmit_len);
                s->out_len += o.transmit_len;
            } else if (o.kind == DIMSE_OUTPUT_KIND_EVENT) {
                on_event(s, &o.event);
            } else if (o.kind == DIMSE_OUTPUT_KIND_REOFFER) {
                break;
            } else {
                s->has_deadline = o.has_deadline;
                s->deadline = o.deadline_ms;
                flush(s);
                return;
            }
        }
    }
}

static void close_slot(struct slot *s) {
    close(s->fd);
    if (s->counted) {
        active--;
    }
    s->fd = -1;
}

static void accept_one(int listener, const dimse_acceptor_policy *policy) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) {
        return;
    }
    struct slot *s = NULL;
    for (int i = 0; i < SLOTS && s == NULL; i++) {
        if (slots[i].fd < 0) {
            s = &slots[i];
        }
    }
    if (s == NULL) {
        close(fd); /* not even room to say no */
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int rc = dimse_acceptor_init(s->mem, sizeof s->mem, policy, s->rx, RX_LEN, s->tx, TX_LEN,
                                 now_ms(), &s->conn);
    if (rc != DIMSE_OK) {
        fail("dimse_acceptor_init", rc);
    }
    s->fd = fd;
    s->in_len = s->out_len = s->out_sent = 0;
    s->late = s->fresh = false;
    s->counted = active < MAX_ASSOCIATIONS;
    if (s->counted) {
        active++;
    } else {
        dimse_refuse_local_limit(s->conn);
    }
    drive(s, false);
}

static void usage(void) {
    fprintf(stderr, "usage: display_scp PORT [-a ARTIM_MS] [-n NETWORK_MS] [-d DIMSE_MS] "
                    "[-s GGGGEEEE:MS]\n");
    exit(2);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage();
    }
    int port = atoi(argv[1]);
    static const char *served[] = {"1.2.840.10008.5.1.1.40", "1.2.840.10008.1.1"};
    dimse_acceptor_policy policy = {
        .ae_title = "DISPLAY",
        .sop_classes = served,
        .sop_classes_len = 2,
    };
    for (int i = 2; i + 1 < argc; i += 2) {
        unsigned long v = strtoul(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "-a") == 0) {
            policy.limits.artim_timeout_ms = (uint32_t)v;
        } else if (strcmp(argv[i], "-n") == 0) {
            policy.limits.network_timeout_ms = (uint32_t)v;
        } else if (strcmp(argv[i], "-d") == 0) {
            policy.limits.dimse_timeout_ms = (uint32_t)v;
        } else if (strcmp(argv[i], "-s") == 0) {
            unsigned long tag, ms;
            if (sscanf(argv[i + 1], "%8lx:%lu", &tag, &ms) != 2) {
                usage();
            }
            slow_tag = (uint32_t)tag;
            slow_ms = ms;
        } else {
            usage();
        }
    }
    if ((argc - 2) % 2 != 0) {
        usage();
    }
    signal(SIGPIPE, SIG_IGN);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 64) != 0) {
        perror("display_scp: listen");
        return 1;
    }
    fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK);
    for (int i = 0; i < SLOTS; i++) {
        slots[i].fd = -1;
    }
    /* PORT 0: the system picks one; the first line says which. */
    socklen_t len = sizeof addr;
    getsockname(listener, (struct sockaddr *)&addr, &len);
    printf("display_scp: listening on 0.0.0.0:%u\n", ntohs(addr.sin_port));
    fflush(stdout);

    struct pollfd fds[SLOTS + 1];
    struct slot *owner[SLOTS + 1];
    for (;;) {
        /* 3. Wait: for bytes (while there is room to keep them), for room to write, for a
         * new connection, or until the earliest deadline. */
        int n = 0;
        fds[n].fd = listener;
        fds[n].events = POLLIN;
        owner[n++] = NULL;
        uint64_t now = now_ms();
        int64_t wait = -1;
        for (int i = 0; i < SLOTS; i++) {
            struct slot *s = &slots[i];
            if (s->fd < 0) {
                continue;
            }
            fds[n].fd = s->fd;
            fds[n].events = (short)((s->in_len < IN_LEN ? POLLIN : 0) |
                                    (s->out_len > s->out_sent ? POLLOUT : 0));
            owner[n++] = s;
            uint64_t due[2] = {s->has_deadline ? s->deadline : UINT64_MAX,
                               s->late ? s->late_at : UINT64_MAX};
            for (int k = 0; k < 2; k++) {
                if (due[k] != UINT64_MAX) {
                    int64_t left = due[k] > now ? (int64_t)(due[k] - now) : 0;
                    wait = wait < 0 || left < wait ? left : wait;
                }
            }
        }
        if (poll(fds, (nfds_t)n, (int)(wait > 60000 ? 60000 : wait)) < 0 && errno != EINTR) {
            perror("display_scp: poll");
            return 1;
        }
        if (fds[0].revents & POLLIN) {
            accept_one(listener, &policy);
        }
        for (int k = 1; k < n; k++) {
            struct slot *s = owner[k];
            if (s->fd < 0) {
                continue;
            }
            if (fds[k].revents & POLLOUT) {
                flush(s);
            }
            if ((fds[k].revents & (POLLIN | POLLHUP | POLLERR)) && s->in_len < IN_LEN) {
                ssize_t got = recv(s->fd, s->in + s->in_len, IN_LEN - s->in_len, 0);
                if (got > 0) {
                    s->in_len += (size_t)got;
                    s->fresh = true;
                } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
                    dimse_handle_transport_closed(s->conn, now_ms());
                }
            }
        }
        now = now_ms();
        for (int i = 0; i < SLOTS; i++) {
            struct slot *s = &slots[i];
            if (s->fd < 0) {
                continue;
            }
            if (s->late && s->late_at <= now) {
                s->late = false;
                answer(s, s->late_id);
            }
            if (s->has_deadline && s->deadline <= now) {
                dimse_handle_timeout(s->conn, now);
            }
            drive(s, s->fresh);
            s->fresh = false;
            if (dimse_is_closed(s->conn) == 1 && s->out_len == s->out_sent) {
                close_slot(s);
            }
        }
        fflush(stdout);
    }
}
