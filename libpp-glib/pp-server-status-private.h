/* pp-server-status-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pp-node-private.h"
#include "pp-server.h"

G_BEGIN_DECLS

/* The version of docs/status.schema.json the documents follow. */
#define PP_STATUS_SCHEMA_VERSION 1

/* One node of a server, as it was at one moment. */
typedef struct
{
  PpNode       *node;
  PpNodeValues  values;
} PpServerNodeSnapshot;

/* A group with jobs queued or running. */
typedef struct
{
  char  *group;
  guint  active;
} PpServerGroupSnapshot;

/* What a server is doing, read under its lock at once: what the status
 * document (pp-server-status.c) and the bus export (pp-server-bus*.c)
 * both describe. */
typedef struct
{
  guint   ncpus;
  guint   queued;
  guint   running;
  GArray *nodes;     /* PpServerNodeSnapshot, pp_server_get_nodes()'s order */
  GArray *groups;    /* PpServerGroupSnapshot, by name */
} PpServerSnapshot;

void        _pp_server_snapshot_init   (PpServerSnapshot *snapshot,
                                        PpServer         *self);
void        _pp_server_snapshot_clear  (PpServerSnapshot *snapshot);
const char *_pp_server_state_nick      (PpNodeState       state);

G_END_DECLS
