/* pp-server-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pp-server.h"

G_BEGIN_DECLS

gboolean _pp_server_cancel_job (PpServer *self,
                                PpJob    *job);

G_END_DECLS
