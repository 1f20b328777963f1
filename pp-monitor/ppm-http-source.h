/* ppm-http-source.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ppm-source.h"

G_BEGIN_DECLS

#define PPM_TYPE_HTTP_SOURCE (ppm_http_source_get_type ())

G_DECLARE_FINAL_TYPE (PpmHttpSource, ppm_http_source, PPM, HTTP_SOURCE, PpmSource)

char       *ppm_http_source_normalize_url (const char     *address,
                                           GError        **error) G_GNUC_WARN_UNUSED_RESULT;
PpmSource  *ppm_http_source_new           (const char     *url,
                                           const char     *title) G_GNUC_WARN_UNUSED_RESULT;
const char *ppm_http_source_get_url       (PpmHttpSource  *self);
gboolean    ppm_http_source_get_events_connected (PpmHttpSource *self);
gboolean    ppm_http_source_needs_token   (PpmHttpSource  *self);
void        ppm_http_source_set_token     (PpmHttpSource  *self,
                                           const char     *token,
                                           gboolean        keep);

G_END_DECLS
