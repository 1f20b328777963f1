/* ppd-node-id.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *ppd_node_id_state_dir (gboolean     system);
char *ppd_node_id_load (const char  *state_dir,
                        guint        port,
                        GError     **error);

G_END_DECLS
