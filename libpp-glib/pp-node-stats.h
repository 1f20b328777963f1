/* pp-node-stats.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PP_INSIDE) && !defined(PP_COMPILATION)
# error "Only <pp-glib.h> can be included directly."
#endif

#include <glib-object.h>

#include "pp-version-macros.h"

G_BEGIN_DECLS

#define PP_TYPE_NODE_STATS (pp_node_stats_get_type ())

PP_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE (PpNodeStats, pp_node_stats, PP, NODE_STATS, GObject)

PP_AVAILABLE_IN_0_1
const char *pp_node_stats_get_name         (PpNodeStats *self);
PP_AVAILABLE_IN_0_1
guint       pp_node_stats_get_ncpus        (PpNodeStats *self);
PP_AVAILABLE_IN_0_1
guint64     pp_node_stats_get_njobs        (PpNodeStats *self);
PP_AVAILABLE_IN_0_1
double      pp_node_stats_get_time         (PpNodeStats *self);
PP_AVAILABLE_IN_0_1
double      pp_node_stats_get_time_per_job (PpNodeStats *self);
PP_AVAILABLE_IN_0_1
guint       pp_node_stats_get_active_jobs  (PpNodeStats *self);
PP_AVAILABLE_IN_0_1
gboolean    pp_node_stats_get_is_local     (PpNodeStats *self);

G_END_DECLS
