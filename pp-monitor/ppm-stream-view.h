/* ppm-stream-view.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ppm-task-stream.h"
#include "ppm-view.h"

G_BEGIN_DECLS

#define PPM_TYPE_STREAM_VIEW (ppm_stream_view_get_type ())

G_DECLARE_FINAL_TYPE (PpmStreamView, ppm_stream_view, PPM, STREAM_VIEW, PpmView)

PpmTaskStream *ppm_stream_view_get_stream (PpmStreamView  *self);
gboolean       ppm_stream_view_export_to  (PpmStreamView  *self,
                                           GFile          *file,
                                           GError        **error);
GtkPopover    *ppm_stream_view_get_job_popover   (PpmStreamView *self);
GtkWidget     *ppm_stream_view_get_cancel_button (PpmStreamView *self,
                                                  gboolean       group);

G_END_DECLS
