/* ppd-json.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean ppd_json_check_array (const char  *text,
                               guint        max_depth,
                               GError     **error);
gboolean ppd_json_check_object (const char  *text,
                                guint        max_depth,
                                GError     **error);

G_END_DECLS
