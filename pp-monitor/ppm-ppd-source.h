/* ppm-ppd-source.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ppm-source.h"

G_BEGIN_DECLS

#define PPM_PPD_NAME "org.ppglib.Ppd"

#define PPM_TYPE_PPD_SOURCE (ppm_ppd_source_get_type ())

G_DECLARE_FINAL_TYPE (PpmPpdSource, ppm_ppd_source, PPM, PPD_SOURCE, PpmSource)

PpmSource *ppm_ppd_source_new (GDBusConnection *connection,
                               GBusType         bus_type) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
