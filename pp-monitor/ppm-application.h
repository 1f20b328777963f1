/* ppm-application.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <adwaita.h>

#include "ppm-source-list.h"

G_BEGIN_DECLS

#define PPM_APP_ID "org.ppglib.Monitor"

#define PPM_TYPE_APPLICATION (ppm_application_get_type ())

G_DECLARE_FINAL_TYPE (PpmApplication, ppm_application, PPM, APPLICATION, AdwApplication)

PpmApplication *ppm_application_new         (void) G_GNUC_WARN_UNUSED_RESULT;
PpmSourceList  *ppm_application_get_sources (PpmApplication *self);
GSettings      *ppm_application_get_settings (PpmApplication *self);

G_END_DECLS
