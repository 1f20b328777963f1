/* pp-server-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pp-server.h"

G_BEGIN_DECLS

/* Batched completion, for services that run many jobs (the node service):
 * every job of the server that finishes is handed to @func on @context, in
 * batches, one wake-up of @context per burst. @jobs is owned by the server;
 * the callee refs what it keeps. Unset with @func %NULL (from @context). */
typedef void (*PpServerFinishedFunc) (GPtrArray *jobs,
                                      gpointer   user_data);

void     _pp_server_set_finished_func (PpServer             *self,
                                       GMainContext         *context,
                                       PpServerFinishedFunc  func,
                                       gpointer              user_data);

G_END_DECLS
