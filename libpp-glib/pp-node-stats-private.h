/* pp-node-stats-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pp-node-stats.h"

G_BEGIN_DECLS

PpNodeStats *_pp_node_stats_new (const char *name,
                                 gboolean    is_local,
                                 guint       ncpus,
                                 guint64     njobs,
                                 double      time,
                                 guint       active_jobs);

G_END_DECLS
