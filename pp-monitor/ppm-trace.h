/* ppm-trace.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ppm-task-model.h"

G_BEGIN_DECLS

char *ppm_trace_export (PpmTaskModel *model,
                        const char   *title,
                        gint64        now) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
