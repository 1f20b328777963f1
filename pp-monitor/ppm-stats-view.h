/* ppm-stats-view.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ppm-view.h"

G_BEGIN_DECLS

#define PPM_TYPE_STATS_VIEW (ppm_stats_view_get_type ())

G_DECLARE_FINAL_TYPE (PpmStatsView, ppm_stats_view, PPM, STATS_VIEW, PpmView)

G_END_DECLS
