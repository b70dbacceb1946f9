/*
 * The Display System of the C examples as plain C data, and its writer: what
 * display_scp answers an N-GET with (PS3.4 Annex EE). examples/c/display.toml holds the
 * same display for `dimse serve --config`, so the two servers can be compared byte for byte.
 *
 * The attributes are written in ascending tag order at every level, as the writer
 * requires (PS3.5 §7.1); the writer keeps those the requestor listed.
 */
#ifndef DISPLAY_H
#define DISPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dimse.h"

#define TAG(g, e) ((((uint32_t)(g)) << 16) | (uint32_t)(e))

struct code {
    const char *value, *scheme_designator, *meaning;
};

/* Target Luminance Characteristics Sequence (0028,7008) item. */
struct luminance_target {
    uint16_t id;
    const char *display_function_type; /* "GSDF", "GAMMA", ... */
    float minimum, maximum;            /* cd/m2 */
    bool has_gamma;
    float gamma;
    bool has_white_point;
    float white_point[2]; /* CIE xy */
};

/* Display Subsystem Configuration Sequence (0028,700A) item. */
struct configuration {
    uint16_t id;
    const char *name, *description;
    uint16_t target_id; /* 0: none */
};

/* Display Subsystem Sequence (0028,7023) item. */
struct subsystem {
    uint16_t id;
    const char *name, *description;
    const char *manufacturer, *model, *serial;
    const char *date_of_manufacture; /* NULL: absent */
    const char *status;              /* "OK", "WARNING", "FAILED" */
    const char *status_comment;
    const struct configuration *configurations;
    size_t configuration_count;
    uint16_t current_configuration_id; /* 0: none */
    const struct code *device_type;    /* NULL: none */
};

struct display {
    const char *manufacturer, *model, *serial;
    const char *institution, *institution_address, *station, *department;
    const char *date_of_manufacture, *date_of_installation; /* NULL: absent */
    const struct luminance_target *targets;
    size_t target_count;
    const struct subsystem *subsystems;
    size_t subsystem_count;
};

/* The display both examples' tests use. */
extern const struct display DISPLAY;

/* A dimse_write_fn: writes *(const struct display *)user_data. */
int write_display(void *user_data, dimse_writer *w);

#endif
