/* ppm-json.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Reading status documents that may come from anyone on the network:
 * a missing member, a member of the wrong type or a NULL object gives the
 * default, never a warning. */
gboolean    ppm_json_missing           (JsonObject *object,
                                        const char *name);
JsonObject *ppm_json_get_object        (JsonObject *object,
                                        const char *name);
JsonArray  *ppm_json_get_array         (JsonObject *object,
                                        const char *name);
JsonObject *ppm_json_array_get_object  (JsonArray  *array,
                                        guint       index);
guint       ppm_json_array_get_length  (JsonArray  *array);
gint64      ppm_json_get_int           (JsonObject *object,
                                        const char *name,
                                        gint64      default_value);
double      ppm_json_get_double        (JsonObject *object,
                                        const char *name,
                                        double      default_value);
const char *ppm_json_get_string        (JsonObject *object,
                                        const char *name,
                                        const char *default_value);

G_END_DECLS
