/* ppm-task-stream.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ppm-source.h"

G_BEGIN_DECLS

#define PPM_TYPE_TASK_STREAM (ppm_task_stream_get_type ())

G_DECLARE_FINAL_TYPE (PpmTaskStream, ppm_task_stream, PPM, TASK_STREAM, GtkWidget)

void     ppm_task_stream_set_source     (PpmTaskStream *self,
                                         PpmSource     *source);
void     ppm_task_stream_set_paused     (PpmTaskStream *self,
                                         gboolean       paused);
gboolean ppm_task_stream_get_paused     (PpmTaskStream *self);
gboolean ppm_task_stream_get_aggregated (PpmTaskStream *self);
guint    ppm_task_stream_get_drawn_bars (PpmTaskStream *self);
gboolean ppm_task_stream_activate_at    (PpmTaskStream *self,
                                         double         x,
                                         double         y);
gboolean ppm_task_stream_locate_job     (PpmTaskStream *self,
                                         guint64        id,
                                         double        *x,
                                         double        *y);

G_END_DECLS
