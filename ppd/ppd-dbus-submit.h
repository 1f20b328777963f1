/* ppd-dbus-submit.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ppd-job-table.h"

G_BEGIN_DECLS

gboolean ppd_dbus_submit_check (PpdJobTable         *jobs,
                                const char          *source,
                                const char          *function,
                                const char          *args_json,
                                const char * const  *modules,
                                const char          *group,
                                GError             **error);

G_END_DECLS
