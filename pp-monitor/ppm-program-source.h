/* ppm-program-source.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ppm-source.h"

G_BEGIN_DECLS

#define PPM_PROGRAM_PREFIX "org.ppglib.PpClient."

#define PPM_TYPE_PROGRAM_SOURCE (ppm_program_source_get_type ())

G_DECLARE_FINAL_TYPE (PpmProgramSource, ppm_program_source, PPM, PROGRAM_SOURCE, PpmSource)

PpmSource *ppm_program_source_new (GDBusConnection *connection,
                                   const char      *bus_name,
                                   const char      *owner) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
