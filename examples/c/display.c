/*
 * The Display System of the C examples and its writer (see display.h). Every dimse_put_*
 * and dimse_begin_* / dimse_end_* returns DIMSE_OK or an error code; the first error
 * sticks to the writer, so checking each call is not needed to be correct: the callback
 * returns the result of the last one and the core fails the answer (0110H, or 0213H when
 * the data set does not fit) if any failed.
 */
#include "display.h"

static const struct configuration LEFT_CONFIGURATIONS[] = {
    {1, "DICOM", "GSDF 0.5-400 cd/m2 for diagnosis", 1},
    {2, "TEXT", "Gamma 2.2 250 cd/m2 for reporting", 2},
};

static const struct configuration RIGHT_CONFIGURATIONS[] = {
    {1, "DICOM", "GSDF 0.5-400 cd/m2 for diagnosis", 1},
};

static const struct code LCD = {"109992", "DCM", "Liquid Crystal Display"};

static const struct luminance_target TARGETS[] = {
    {1, "GSDF", 0.5f, 400.0f, false, 0.0f, true, {0.3127f, 0.329f}},
    {2, "GAMMA", 0.5f, 250.0f, true, 2.2f, true, {0.3127f, 0.329f}},
};

static const struct subsystem SUBSYSTEMS[] = {
    {1, "LEFT", "Left diagnostic head", "Example Displays", "EDS-M21 21.3in 3MP",
     "EDSM21-0000871", "20230901", "OK", "", LEFT_CONFIGURATIONS, 2, 1, &LCD},
    {2, "RIGHT", "Right diagnostic head", "Example Displays", "EDS-M21 21.3in 3MP",
     "EDSM21-0000872", NULL, "WARNING", "Luminance drift 8% since calibration",
     RIGHT_CONFIGURATIONS, 1, 1, NULL},
};

const struct display DISPLAY = {
    .manufacturer = "Example Displays",
    .model = "EDS-DX2 Diagnostic Station",
    .serial = "EDSDX2-2023-00417",
    .institution = "Example General Hospital",
    .institution_address = "1 Example Way, Springfield",
    .station = "RAD-READ-07",
    .department = "Radiology",
    .date_of_manufacture = "20230915",
    .date_of_installation = "20231102",
    .targets = TARGETS,
    .target_count = 2,
    .subsystems = SUBSYSTEMS,
    .subsystem_count = 2,
};

/* strlen, written out: the firmware example links no C library. */
static size_t length(const char *s) {
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

static int str(dimse_writer *w, uint32_t tag, const char *vr, const char *value) {
    return dimse_put_string(w, tag, vr, value, length(value));
}

static int optional_str(dimse_writer *w, uint32_t tag, const char *vr, const char *value) {
    return value != NULL ? str(w, tag, vr, value) : DIMSE_OK;
}

static int us(dimse_writer *w, uint32_t tag, uint16_t value) {
    return dimse_put_us(w, tag, &value, 1);
}

/* A US value of type 2: zero length when 0 ("none"). */
static int optional_us(dimse_writer *w, uint32_t tag, uint16_t value) {
    return dimse_put_us(w, tag, &value, value != 0 ? 1 : 0);
}

static int fl(dimse_writer *w, uint32_t tag, float value) {
    return dimse_put_fl(w, tag, &value, 1);
}

static void write_target(dimse_writer *w, const struct luminance_target *t) {
    us(w, TAG(0x0028, 0x7009), t->id); /* Luminance Characteristics ID */
    if (t->has_white_point) {
        dimse_put_fl(w, TAG(0x0028, 0x7018), t->white_point, 2); /* CIExy White Point */
    }
    str(w, TAG(0x0028, 0x7019), "CS", t->display_function_type);
    if (t->has_gamma) {
        fl(w, TAG(0x0028, 0x701A), t->gamma);
    }
    fl(w, TAG(0x0028, 0x701D), t->minimum); /* Target Minimum Luminance */
    fl(w, TAG(0x0028, 0x701E), t->maximum); /* Target Maximum Luminance */
}

static void write_configuration(dimse_writer *w, const struct configuration *c) {
    us(w, TAG(0x0028, 0x700B), c->id);
    str(w, TAG(0x0028, 0x700C), "SH", c->name);
    str(w, TAG(0x0028, 0x700D), "LO", c->description);
    optional_us(w, TAG(0x0028, 0x700E), c->target_id); /* Referenced Target ... ID */
}

static void write_subsystem(dimse_writer *w, const struct subsystem *s) {
    str(w, TAG(0x0008, 0x0070), "LO", s->manufacturer);
    str(w, TAG(0x0008, 0x1090), "LO", s->model);
    str(w, TAG(0x0018, 0x1000), "LO", s->serial);
    optional_str(w, TAG(0x0018, 0x1204), "DA", s->date_of_manufacture);
    optional_us(w, TAG(0x0028, 0x7002), s->current_configuration_id);
    us(w, TAG(0x0028, 0x7003), s->id);
    str(w, TAG(0x0028, 0x7004), "SH", s->name);
    str(w, TAG(0x0028, 0x7005), "LO", s->description);
    str(w, TAG(0x0028, 0x7006), "CS", s->status);
    str(w, TAG(0x0028, 0x7007), "LO", s->status_comment);
    dimse_begin_sequence(w, TAG(0x0028, 0x700A)); /* Display Subsystem Configuration */
    for (size_t i = 0; i < s->configuration_count; i++) {
        dimse_begin_item(w);
        write_configuration(w, &s->configurations[i]);
        dimse_end_item(w);
    }
    dimse_end_sequence(w);
    dimse_begin_sequence(w, TAG(0x0028, 0x7012)); /* Measurement Equipment: none */
    dimse_end_sequence(w);
    dimse_begin_sequence(w, TAG(0x0028, 0x7022)); /* Display Device Type Code */
    if (s->device_type != NULL) {
        dimse_begin_item(w);
        str(w, TAG(0x0008, 0x0100), "SH", s->device_type->value);
        str(w, TAG(0x0008, 0x0102), "SH", s->device_type->scheme_designator);
        str(w, TAG(0x0008, 0x0104), "LO", s->device_type->meaning);
        dimse_end_item(w);
    }
    dimse_end_sequence(w);
}

int write_display(void *user_data, dimse_writer *w) {
    const struct display *d = user_data;
    str(w, TAG(0x0008, 0x0070), "LO", d->manufacturer);
    str(w, TAG(0x0008, 0x0080), "LO", d->institution);
    str(w, TAG(0x0008, 0x0081), "ST", d->institution_address);
    str(w, TAG(0x0008, 0x1010), "SH", d->station);
    str(w, TAG(0x0008, 0x1040), "LO", d->department);
    str(w, TAG(0x0008, 0x1090), "LO", d->model);
    str(w, TAG(0x0018, 0x1000), "LO", d->serial);
    optional_str(w, TAG(0x0018, 0x1204), "DA", d->date_of_manufacture);
    optional_str(w, TAG(0x0018, 0x1205), "DA", d->date_of_installation);
    dimse_begin_sequence(w, TAG(0x0028, 0x7000)); /* Equipment Administrators: none */
    dimse_end_sequence(w);
    us(w, TAG(0x0028, 0x7001), (uint16_t)d->subsystem_count);
    dimse_begin_sequence(w, TAG(0x0028, 0x7008)); /* Target Luminance Characteristics */
    for (size_t i = 0; i < d->target_count; i++) {
        dimse_begin_item(w);
        write_target(w, &d->targets[i]);
        dimse_end_item(w);
    }
    dimse_end_sequence(w);
    dimse_begin_sequence(w, TAG(0x0028, 0x700F)); /* QA Results: one item per subsystem */
    for (size_t i = 0; i < d->subsystem_count; i++) {
        dimse_begin_item(w);
        us(w, TAG(0x0028, 0x7003), d->subsystems[i].id);
        dimse_begin_sequence(w, TAG(0x0028, 0x7010)); /* no QA results yet */
        dimse_end_sequence(w);
        dimse_end_item(w);
    }
    dimse_end_sequence(w);
    dimse_begin_sequence(w, TAG(0x0028, 0x7023)); /* Display Subsystems */
    for (size_t i = 0; i < d->subsystem_count; i++) {
        dimse_begin_item(w);
        write_subsystem(w, &d->subsystems[i]);
        dimse_end_item(w);
    }
    return dimse_end_sequence(w);
}
