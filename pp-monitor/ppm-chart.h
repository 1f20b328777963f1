/* ppm-chart.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ppm-source.h"

G_BEGIN_DECLS

#define PPM_TYPE_CHART (ppm_chart_get_type ())

G_DECLARE_FINAL_TYPE (PpmChart, ppm_chart, PPM, CHART, GtkWidget)

void   ppm_chart_set_source (PpmChart  *self,
                             PpmSource *source);
gint64 ppm_chart_window_of  (const char *name);

G_END_DECLS
