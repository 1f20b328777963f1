/* pp-node-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pp-frame-private.h"
#include "pp-job-private.h"
#include "pp-node.h"
#include "pp-scheduler-private.h"
#include "pp-server.h"

G_BEGIN_DECLS

/* What a node's properties say at one moment. */
typedef struct
{
  PpNodeState  state;
  guint        ncpus;
  guint        busy;
  guint        held;
  guint64      jobs_done;
  guint64      jobs_failed;
  double       job_time;
  char        *last_error;
} PpNodeValues;

struct _PpNode
{
  GObject parent_instance;
};

/* The subclasses (pp-local-pool.c, pp-remote-node.c) keep their figures
 * under the lock of the server they belong to; the vfuncs run with it held. */
struct _PpNodeClass
{
  GObjectClass parent_class;

  /* Fills @values (last_error newly allocated). */
  void      (*snapshot_locked)    (PpNode       *self,
                                   PpNodeValues *values);
  /* An `aa{sv}`, see pp_node_dup_workers(). */
  GVariant *(*dup_workers_locked) (PpNode       *self);

  /* Scheduling, see _pp_scheduler_dispatch_locked(). */
  gboolean  io_thread_only;
  /* The cores that run jobs now. */
  guint     (*count_cores_locked) (PpNode      *self);
  /* Takes jobs from @sched's queue while it has room, one per place where
   * jobs run (with @idle_only, only places that run none); whether it
   * took any. */
  gboolean  (*take_round_locked)  (PpNode      *self,
                                   PpScheduler *sched,
                                   gboolean     idle_only);
  /* Once the queue is read: evens out what its places hold (optional). */
  void      (*balance_locked)     (PpNode      *self,
                                   PpScheduler *sched);
  /* Sends what it took. */
  void      (*flush_locked)       (PpNode      *self);
  /* @group was just held: gives back to @sched the jobs of @group it
   * holds but has not started (_pp_scheduler_hold_job_locked()), to be
   * sent at the next flush. Optional. */
  void      (*recall_locked)      (PpNode      *self,
                                   PpScheduler *sched,
                                   const char  *group);

  /* On the I/O thread, without the lock: @job, cancelled, may still run
   * here; stop it (a running Python function cannot be interrupted: its
   * worker is replaced). Optional. */
  void      (*stop_job)           (PpNode      *self,
                                   PpJob       *job);
};

/* What a node (the local pool, a remote node) asks of its server. */
typedef struct
{
  /* With the server's lock: the node's figures changed. */
  void (*changed_locked)  (gpointer host);
  /* With the server's lock, on the I/O thread: the node has room. */
  void (*dispatch_locked) (gpointer host);
  /* Any thread: wake the I/O thread to dispatch (and resize the pool). */
  void (*kick)            (gpointer host);
} PpNodeHost;

void     _pp_node_values_clear  (PpNodeValues  *values);

/* pp_node_get_name() without checks, for every job. */
const char *_pp_node_peek_name (PpNode *self);

/* Sets what never changes, right after g_object_new(). */
void     _pp_node_set_identity  (PpNode        *self,
                                 const char    *name,
                                 gboolean       is_local,
                                 const char    *host,
                                 guint          port,
                                 gboolean       tls);
void     _pp_node_set_discovered (PpNode       *self);

/* Ties @self to a server: while attached, its figures are read under
 * @server_lock from the subclass, while the server (through @owner, the
 * handle its jobs keep) lives. */
void     _pp_node_attach        (PpNode        *self,
                                 PpJobOwner    *owner,
                                 GMutex        *server_lock);
/* With the server's lock held: freezes the figures as they are now, in
 * @state, and unties @self from the server. */
void     _pp_node_detach_locked (PpNode        *self,
                                 PpNodeState    state);
/* With the server's lock held: the current figures (a copy to clear). */
void     _pp_node_read_locked   (PpNode        *self,
                                 PpNodeValues  *values);
/* With the server's lock held, when @self is new: the figures now count
 * as notified. */
void     _pp_node_reset_notified_locked (PpNode *self);
/* From the server creator's context: emits ::notify for every property
 * that changed since the last call. */
void     _pp_node_notify_changes (PpNode       *self);

/* For the subclasses: finishes @job with the "res" @frame answering it
 * (an attempt used, the function's run time counted). Returns whether
 * @job finished now; *@failed whether the result is a failure. */
gboolean _pp_node_finish_job    (PpJob         *job,
                                 PpFrame       *frame,
                                 gboolean      *failed);

G_END_DECLS
