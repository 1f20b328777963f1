/* pp-server-bus-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pp-job.h"
#include "pp-server.h"

G_BEGIN_DECLS

#define PP_SERVER_BUS_NAME_PREFIX "org.ppglib.PpClient"
#define PP_SERVER_BUS_PATH        "/org/ppglib/PpClient"
#define PP_SERVER_BUS_INTERFACE   "org.ppglib.PpClient1"

/* At most this often, the batched signals (job events, node changes). */
#define PP_SERVER_BUS_FLUSH_USEC  (G_USEC_PER_SEC / 10)
/* At most this many jobs are listed in one JobsStarted or JobsFinished;
 * the rest are counted as missed. */
#define PP_SERVER_BUS_BATCH_MAX   1000

/* A server's export on the session bus (org.ppglib.PpClient1, see
 * data/org.ppglib.PpClient1.xml). pp-server-bus.c connects (in a thread of
 * its own, so that a slow or absent bus never holds up the server),
 * exports and stops; pp-server-bus-events.c batches what happens into
 * signals on the server's I/O thread; pp-server-bus-methods.c answers the
 * calls and property reads, on the I/O thread too. */
typedef struct _PpServerBus PpServerBus;

struct _PpServerBus
{
  PpServer        *server;        /* borrowed: it stops the export first */
  char            *address;
  char            *name;
  GCancellable    *cancellable;

  /* Under the lock: the connecting thread hands over to the I/O thread */
  GMutex           lock;
  gboolean         stopped;
  gboolean         exported;
  GMainContext    *context;       /* the I/O thread's, while not stopped */

  /* On the I/O thread */
  GDBusConnection *connection;
  guint            registration;
  GSource         *flush_source;
  gint             pending_calls;
  GHashTable      *sent_nodes;    /* name → a{sv}, as last signalled */
  GVariant        *sent_queue;
  guint            sent_ncpus;
  gboolean         in_flight;     /* the last batch is not on the bus yet */

  /* Under the server's lock */
  gboolean         live;          /* exported: collect events */
  gboolean         armed;         /* a flush is due */
  gint64           flushed_at;
  GArray          *started;       /* PpServerBusJob */
  GArray          *finished;
  guint            missed_started;
  guint            missed_finished;
};

typedef struct
{
  PpJob *job;
  guint  pid;
  char  *node;    /* a started job's node, as it was when the job started */
} PpServerBusJob;

/* pp-server-bus-jobs.c */
GVariant    *_pp_server_bus_jobs_variant (GArray          *jobs,
                                          gboolean         started);

/* pp-server-bus.c */
void         _pp_server_start_bus        (PpServer        *server);
void         _pp_server_stop_bus         (PpServer        *server);
PpServerBus *_pp_server_bus_ref          (PpServerBus     *self);
void         _pp_server_bus_unref        (PpServerBus     *self);

/* pp-server-bus-events.c */
void         _pp_server_bus_job_locked   (PpServerBus     *self,
                                          PpJob           *job,
                                          guint            pid,
                                          gboolean         started);
void         _pp_server_bus_changed_locked (PpServerBus   *self);
gboolean     _pp_server_bus_flush_cb     (gpointer         data);
void         _pp_server_bus_remember     (PpServerBus     *self);
void         _pp_server_bus_clear_events_locked (PpServerBus *self);
GArray      *_pp_server_bus_new_job_array (void);

/* pp-server-bus-methods.c */
extern const GDBusInterfaceVTable _pp_server_bus_vtable;

GDBusInterfaceInfo *_pp_server_bus_interface_info (void);
GVariant    *_pp_server_bus_dup_nodes    (PpServer        *server,
                                          guint           *ncpus,
                                          GVariant       **queue);

G_END_DECLS
