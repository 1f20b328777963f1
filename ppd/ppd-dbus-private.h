/* ppd-dbus-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ppd-compile-check.h"
#include "ppd-dbus.h"
#include "ppd-job-table.h"

G_BEGIN_DECLS

/* The properties of org.ppglib.Ppd1, as ppd-dbus-properties.c publishes
 * them. */
typedef enum
{
  PPD_DBUS_PROP_VERSION,
  PPD_DBUS_PROP_ADDRESS,
  PPD_DBUS_PROP_PORT,
  PPD_DBUS_PROP_WORKERS,
  PPD_DBUS_PROP_ACTIVE_JOBS,
  PPD_DBUS_PROP_QUEUED_JOBS,
  PPD_DBUS_PROP_JOBS_DONE,
  PPD_DBUS_PROP_JOBS_FAILED,
  PPD_DBUS_PROP_UPTIME,
  PPD_DBUS_PROP_CLIENTS,
  PPD_DBUS_PROP_WORKER_STATES,
  PPD_DBUS_PROP_ANNOUNCED,
  PPD_DBUS_PROP_ANNOUNCED_NAME,
  PPD_DBUS_PROP_DISCOVERY,
  PPD_DBUS_N_PROPERTIES
} PpdDbusProperty;

typedef struct
{
  gint64 second;
  guint  count;
} PpdDbusRateLimit;

/* One object, one file per concern: ppd-dbus.c (the object and the bus),
 * ppd-dbus-methods.c (the calls), ppd-dbus-auth.c (who may make them),
 * ppd-dbus-submit.c (what Submit takes), ppd-dbus-properties.c (the
 * properties and signals, rate-limited). */
struct _PpdDbusService
{
  PpdDbusPpd1Skeleton  parent_instance;

  PpServer            *pool;
  PpNodeService       *node;
  PpdJobTable         *jobs;
  PpdCompileCheck     *checker;
  GCancellable        *cancellable;  /* waits, checks and bus set-up; cancelled by stop */
  char                *address;
  GBusType             bus_type;
  GDBusConnection     *connection;
  guint                owner_id;
  gsize                max_reply_size;
  gboolean             exported;
  gboolean             stopping;     /* no new jobs */
  gboolean             stopped;

  guint64              jobs_done;
  guint64              jobs_failed;
  PpdDbusRateLimit     started_limit;
  PpdDbusRateLimit     finished_limit;

  GVariant            *published[PPD_DBUS_N_PROPERTIES];
  PpdAnnounce         *announce;     /* ppd -a, or NULL (not ours) */
  guint                tick_source;
  guint                poll_source;
};

void ppd_dbus_service_emit_shutdown_requested (PpdDbusService *self);

G_END_DECLS
