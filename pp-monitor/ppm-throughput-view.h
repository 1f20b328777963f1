/* ppm-throughput-view.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ppm-view.h"

G_BEGIN_DECLS

#define PPM_TYPE_THROUGHPUT_VIEW (ppm_throughput_view_get_type ())

G_DECLARE_FINAL_TYPE (PpmThroughputView, ppm_throughput_view, PPM, THROUGHPUT_VIEW, PpmView)

G_END_DECLS
