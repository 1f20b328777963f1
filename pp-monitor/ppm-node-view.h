/* ppm-node-view.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ppm-view.h"

G_BEGIN_DECLS

#define PPM_TYPE_NODE_VIEW (ppm_node_view_get_type ())

G_DECLARE_FINAL_TYPE (PpmNodeView, ppm_node_view, PPM, NODE_VIEW, PpmView)

G_END_DECLS
