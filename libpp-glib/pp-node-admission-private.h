/* pp-node-admission-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pp-node-service.h"

G_BEGIN_DECLS

/* A node service's admission of connections before authentication
 * (pp-node-admission.c): per-address records, the pending slots, delays
 * of failed handshakes and summarised logging. Its state lives in the
 * service (pp-node-service-private.h). */

/* Failed handshakes waiting for their answer, at most (outside the pending
 * slots; see pp-node-admission.c). */
#define PP_NODE_SERVICE_MAX_HELD 1024

/* What one address (an IPv6 /64) does before authenticating. */
typedef struct
{
  char   *address;
  /* Unauthenticated connections from it, held ones included */
  guint   n_pending;
  guint   failures;
  gint64  last_event;
  /* Lines logged in full, lines left out since the last summary */
  guint   logged;
  guint   suppressed;
  gint64  suppressed_since;
} Peer;

void   _pp_node_admission_init       (PpNodeService     *self);
void   _pp_node_admission_start_tick (PpNodeService     *self);
void   _pp_node_admission_stop_tick  (PpNodeService     *self);
Peer  *_pp_node_admission_admit      (PpNodeService     *self,
                                      GSocketConnection *connection);
void   _pp_node_admission_log        (PpNodeService     *self,
                                      Peer              *peer,
                                      const char        *who,
                                      const char        *message);
guint  _pp_node_admission_fail_delay (Peer              *peer);

G_END_DECLS
