/* pp-server-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pp-io-thread-private.h"
#include "pp-job-private.h"
#include "pp-local-pool-private.h"
#include "pp-remote-node-private.h"
#include "pp-scheduler-private.h"
#include "pp-server.h"
#include "pp-server-bus-private.h"
#include "pp-server-job-hook-private.h"

G_BEGIN_DECLS

/* Batched completion, for services that run many jobs (the node service):
 * every job of the server that finishes is handed to @func on @context, in
 * batches, one wake-up of @context per burst. @jobs is owned by the server;
 * the callee refs what it keeps. Unset with @func %NULL (from @context). */
typedef void (*PpServerFinishedFunc) (GPtrArray *jobs,
                                      gpointer   user_data);

/* Exported for pp._ppcore (python/ppcore/ppcore-completion.c), which
 * declares it itself: keep the two in step. */
_PP_EXTERN
void     _pp_server_set_finished_func (PpServer             *self,
                                       GMainContext         *context,
                                       PpServerFinishedFunc  func,
                                       gpointer              user_data);

/* What crosses the files of PpServer: pp-server.c (properties,
 * initialisation, the thin public API), pp-server-config.c,
 * pp-server-events.c, pp-server-jobs.c, pp-server-nodes.c and
 * pp-server-stats.c. */

typedef struct _PpServerDiscovery PpServerDiscovery;
typedef struct _PpServerJobHook PpServerJobHook;

struct _PpServer
{
  GObject       parent_instance;

  /* Construct-only */
  char         *python;
  char         *runner;
  char         *working_directory;
  char        **python_path;
  guint64       max_payload_size;
  gboolean      restart;
  int           requested_ncpus;
  gint64        creation_time;
  char        **ppservers;
  char         *secret;
  guint         socket_timeout;
  gboolean      use_tls;

  PpJobOwner   *owner;        /* the handle its jobs and nodes keep */
  PpIoThread   *io;
  GSource      *kick_source;
  gint          kick_pending;

  PpScheduler   sched;          /* the lock, the queue, the counts */
  PpLocalPool  *pool;
  GPtrArray    *remotes;        /* PpRemoteNode, in the order added */
  GPtrArray    *nodes;          /* the pool, then the remotes */
  gint64        last_submit_time;

  /* Batched completion (see _pp_server_set_finished_func()) */
  PpServerFinishedFunc finished_func;
  gpointer      finished_data;
  GSource      *finished_source;
  GPtrArray    *finished;

  /* job-started and job-finished, delivered on the creator's context */
  GMainContext *creator_context;
  GSource      *events_source;
  GArray       *events;
  /* _pp_server_set_job_events_func() (pp-server-job-hook.c), under the lock */
  PpServerJobHook *job_hook;

  /* The nodes as a GListModel, in the creator's thread; PpNode::notify
   * there, at most every NODES_NOTIFY_USEC */
  GThread      *creator_thread;
  GListStore   *store;
  GSource      *nodes_source;
  GPtrArray    *departed;       /* removed nodes, to notify */
  gboolean      nodes_armed;
  gint64        nodes_notified_at;

  /* On the session bus (pp-server-bus*.c); set and cleared under the lock */
  gboolean      export_on_bus;
  PpServerBus  *bus;
  /* "*" entries of ppservers (pp-server-discovery.c), on the I/O thread */
  PpServerDiscovery *discovery;

  gboolean      destroyed;
};

/* A job-started or job-finished emission, queued */
typedef struct
{
  PpJob    *job;
  guint     pid;
  gboolean  started;
} JobEvent;

enum {
  PP_SERVER_JOB_STARTED,
  PP_SERVER_JOB_FINISHED,
  PP_SERVER_N_SIGNALS
};

extern guint _pp_server_signals[PP_SERVER_N_SIGNALS];

/* pp-server-config.c */
gboolean _pp_server_resolve_python   (PpServer  *self,
                                      GError   **error);
gboolean _pp_server_resolve_runner   (PpServer  *self,
                                      GError   **error);
gboolean _pp_server_check_ppservers  (PpServer  *self,
                                      GError   **error);
gboolean _pp_server_ensure_secret    (PpServer  *self,
                                      GError   **error);
gboolean _pp_server_resolve_secret   (PpServer  *self,
                                      GError   **error);

/* pp-server-events.c */
extern GSourceFuncs _pp_server_ready_source_funcs;

void     _pp_server_job_started_locked_cb  (PpJob    *job,
                                            guint     pid,
                                            gpointer  data);
void     _pp_server_job_finished_locked_cb (PpJob    *job,
                                            gpointer  data);
gboolean _pp_server_deliver_events_cb      (gpointer  data);
void     _pp_server_clear_events           (PpServer *self);
void     _pp_server_marshal_VOID__OBJECT_UINT  (GClosure     *closure,
                                                GValue       *return_value,
                                                guint         n_param_values,
                                                const GValue *param_values,
                                                gpointer      invocation_hint,
                                                gpointer      marshal_data);
void     _pp_server_marshal_VOID__OBJECT_UINTv (GClosure     *closure,
                                                GValue       *return_value,
                                                gpointer      instance,
                                                va_list       args,
                                                gpointer      marshal_data,
                                                int           n_params,
                                                GType        *param_types);

/* pp-server-job-hook.c */
void     _pp_server_job_hook_push_locked   (PpServerJobHook *hook,
                                            PpJob           *job,
                                            guint            pid,
                                            gboolean         started);
void     _pp_server_job_hook_free          (PpServerJobHook *hook);

/* pp-server-jobs.c */
extern const PpJobOwnerFuncs _pp_server_job_owner_funcs;
/* Any thread: while @group is held none of its jobs is handed out (the
 * node service holds a client that does not read its results). */
void     _pp_server_hold_group             (PpServer        *self,
                                            const char      *group,
                                            gboolean         hold);

/* pp-server-nodes.c */
extern const PpNodeHost _pp_server_node_host;

gboolean _pp_server_kick_cb                (gpointer      data);
void     _pp_server_detach_remote_locked   (PpServer     *self,
                                            PpRemoteNode *node);
void     _pp_server_create_remotes         (PpServer     *self);
PpRemoteNode *_pp_server_add_remote_locked (PpServer     *self,
                                            const char   *address,
                                            gboolean      discovered);
PpRemoteNode *_pp_server_find_remote_locked (PpServer    *self,
                                             const char  *address);
void     _pp_server_sync_store_if_creator  (PpServer     *self);
gboolean _pp_server_notify_nodes_cb        (gpointer      data);
void     _pp_server_clear_nodes            (PpServer     *self);

/* pp-server-discovery.c */
gboolean _pp_server_is_discovery_entry     (const char   *entry);
void     _pp_server_start_discovery        (PpServer     *self);
void     _pp_server_stop_discovery         (PpServer     *self);

/* The kick: wakes the I/O thread to hand out jobs and resize the pool. */
static inline void
_pp_server_kick (PpServer *self)
{
  if (g_atomic_int_compare_and_exchange (&self->kick_pending, FALSE, TRUE))
    g_source_set_ready_time (self->kick_source, 0);
}

/* At most this often, PpNode::notify in the creator's context. */
#define NODES_NOTIFY_USEC (G_USEC_PER_SEC / 4)

/* Something about a node changed: cheap enough for every job, and only the
 * first change after a notification wakes the creator's context. */
static inline void
_pp_server_nodes_changed_locked (PpServer *self)
{
  if (self->bus != NULL)
    _pp_server_bus_changed_locked (self->bus);
  if (self->nodes_armed || self->nodes_source == NULL)
    return;
  self->nodes_armed = TRUE;
  g_source_set_ready_time (self->nodes_source,
                           MAX (g_get_monotonic_time (), self->nodes_notified_at + NODES_NOTIFY_USEC));
}

static inline void
_pp_server_dispatch_and_flush_locked (PpServer *self)
{
  _pp_server_nodes_changed_locked (self);
  _pp_scheduler_dispatch_locked (&self->sched, self->nodes,
                                 self->io != NULL && _pp_io_thread_is_current (self->io));
}

/* pp-server-jobs.c: what pp_server_submit_json() takes */
gboolean _pp_server_check_json_args (const char  *args_json,
                                     GError     **error);

G_END_DECLS
