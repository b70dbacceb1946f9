/*
 * nget_scu: N-GET the Display System of an SCP with the dimse C API and POSIX sockets, and
 * print the status and the data set.
 *
 *     examples/c/nget_scu HOST PORT [-x] [GGGGEEEE ...]
 *
 * Asks for the listed attributes (none: all of them) as DIMSE_SCU calling DISPLAY, prints
 * "status XXXXH", then the data set one element per line (-x: as one line of hex, the
 * bytes as received), and releases. Exit status 0 when the status is 0000H or 0107H.
 */
#define _POSIX_C_SOURCE 200809L
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dimse.h"

#define MAX_TAGS 64

static _Alignas(DIMSE_CONNECTION_ALIGN) uint8_t mem[DIMSE_CONNECTION_SIZE];
static uint8_t rx[65536], tx[4096], in[16384], pdu[32768];

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void check(const char *what, int rc) {
    if (rc != DIMSE_OK) {
        fprintf(stderr, "nget_scu: %s: %s\n", what, dimse_strerror(rc));
        exit(1);
    }
}

static int connect_to(const char *host, const char *port) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(host, port, &hints, &res) != 0) {
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

/* Whether values of this VR are character strings (PS3.5 §6.2). */
static bool is_text(const char *vr) {
    static const char *const TEXT[] = {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT",
                                       "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"};
    for (size_t i = 0; i < sizeof TEXT / sizeof TEXT[0]; i++) {
        if (strcmp(vr, TEXT[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Prints one step of the data set, indented by its depth. */
static int print_element(void *user_data, const dimse_element *e) {
    (void)user_data;
    int indent = (int)e->depth * 2;
    switch (e->kind) {
    case DIMSE_ELEMENT_KIND_ELEMENT: {
        printf("%*s(%04X,%04X) %s ", indent, "", e->tag >> 16, e->tag & 0xFFFF, e->vr);
        if (is_text(e->vr)) {
            printf("\"%.*s\"", (int)e->value_len, (const char *)e->value);
        } else if (strcmp(e->vr, "US") == 0) {
            for (size_t i = 0; i + 1 < e->value_len; i += 2) {
                printf("%s%u", i ? "\\" : "", e->value[i] | e->value[i + 1] << 8);
            }
        } else if (strcmp(e->vr, "FL") == 0) {
            for (size_t i = 0; i + 3 < e->value_len; i += 4) {
                float f;
                memcpy(&f, e->value + i, 4); /* the wire is little endian, as this host */
                printf("%s%g", i ? "\\" : "", (double)f);
            }
        } else {
            printf("%zu bytes", e->value_len);
        }
        printf("\n");
        break;
    }
    case DIMSE_ELEMENT_KIND_SEQUENCE_START:
        printf("%*s(%04X,%04X) SQ\n", indent, "", e->tag >> 16, e->tag & 0xFFFF);
        break;
    case DIMSE_ELEMENT_KIND_ITEM_START:
        printf("%*s- item\n", indent, "");
        break;
    default:
        break;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: nget_scu HOST PORT [-x] [GGGGEEEE ...]\n");
        return 2;
    }
    bool hex = false;
    uint32_t tags[MAX_TAGS];
    size_t tag_count = 0;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "-x") == 0) {
            hex = true;
        } else if (tag_count < MAX_TAGS) {
            tags[tag_count++] = (uint32_t)strtoul(argv[i], NULL, 16);
        }
    }
    int fd = connect_to(argv[1], argv[2]);
    if (fd < 0) {
        fprintf(stderr, "nget_scu: cannot connect to %s:%s\n", argv[1], argv[2]);
        return 1;
    }
    static const char *classes[] = {"1.2.840.10008.5.1.1.40"};
    dimse_requestor_config config = {
        .calling_ae = "DIMSE_SCU",
        .called_ae = "DISPLAY",
        .sop_classes = classes,
        .sop_classes_len = 1,
    };
    dimse_connection *c;
    check("dimse_requestor_init",
          dimse_requestor_init(mem, sizeof mem, &config, rx, sizeof rx, tx, sizeof tx, now_ms(), &c));

    size_t in_len = 0;
    bool sent = false, fresh = false;
    int status = -1;
    for (;;) {
        /* 1. Feed, when bytes arrived or after a REOFFER (feeding says the peer is alive). */
        if (fresh) {
            size_t taken;
            check("dimse_handle_input", dimse_handle_input(c, now_ms(), in, in_len, &taken));
            memmove(in, in + taken, in_len - taken);
            in_len -= taken;
        }
        fresh = true;
        /* 2. Drain. */
        dimse_output o;
        do {
            check("dimse_poll_output", dimse_poll_output(c, pdu, sizeof pdu, &o));
            if (o.kind == DIMSE_OUTPUT_KIND_TRANSMIT) {
                for (size_t done = 0; done < o.transmit_len;) {
                    ssize_t n = send(fd, pdu + done, o.transmit_len - done, MSG_NOSIGNAL);
                    if (n <= 0) {
                        fprintf(stderr, "nget_scu: send failed\n");
                        return 1;
                    }
                    done += (size_t)n;
                }
            } else if (o.kind == DIMSE_OUTPUT_KIND_EVENT) {
                const dimse_event *ev = &o.event;
                if (ev->kind == DIMSE_EVENT_KIND_ESTABLISHED && !sent) {
                    check("dimse_send_n_get",
                          dimse_send_n_get(c, now_ms(), "1.2.840.10008.5.1.1.40",
                                           "1.2.840.10008.5.1.1.40.1", tags, tag_count, NULL));
                    sent = true;
                } else if (ev->kind == DIMSE_EVENT_KIND_RESPONSE) {
                    dimse_response r;
                    check("dimse_received_response", dimse_received_response(c, &r));
                    status = r.status;
                    printf("status %04XH\n", r.status);
                    if (r.has_data_set && hex) {
                        for (size_t i = 0; i < r.data_set_len; i++) {
                            printf("%02x", r.data_set[i]);
                        }
                        printf("\n");
                    } else if (r.has_data_set) {
                        int rc = dimse_read_data_set(r.data_set, r.data_set_len, r.encoding,
                                                     print_element, NULL);
                        if (rc != DIMSE_OK) {
                            printf("(data set: %s)\n", dimse_strerror(rc));
                        }
                    }
                    check("dimse_release", dimse_release(c, now_ms()));
                } else if (ev->kind == DIMSE_EVENT_KIND_REJECTED) {
                    fprintf(stderr, "nget_scu: rejected %u/%u/%u\n", ev->reject_result,
                            ev->reject_source, ev->reject_reason);
                } else if (ev->kind == DIMSE_EVENT_KIND_ABORTED) {
                    fprintf(stderr, "nget_scu: aborted\n");
                }
            }
        } while (o.kind != DIMSE_OUTPUT_KIND_IDLE && o.kind != DIMSE_OUTPUT_KIND_REOFFER);
        if (o.kind == DIMSE_OUTPUT_KIND_REOFFER) {
            continue;
        }
        if (dimse_is_closed(c) == 1) {
            break;
        }
        /* 3. Wait for bytes or the deadline. */
        int wait = -1;
        if (o.has_deadline) {
            uint64_t now = now_ms();
            wait = o.deadline_ms > now ? (int)(o.deadline_ms - now) : 0;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, wait);
        fresh = false;
        if (ready == 0) {
            check("dimse_handle_timeout", dimse_handle_timeout(c, now_ms()));
        } else if (ready > 0) {
            ssize_t n = recv(fd, in + in_len, sizeof in - in_len, 0);
            if (n > 0) {
                in_len += (size_t)n;
                fresh = true;
            } else {
                check("dimse_handle_transport_closed",
                      dimse_handle_transport_closed(c, now_ms()));
            }
        }
    }
    close(fd);
    return status == 0x0000 || status == 0x0107 ? 0 : 1;
}
