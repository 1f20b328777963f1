/* pp-scheduler-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pp-job-private.h"

G_BEGIN_DECLS

/* How many times a job may be running on a worker that dies. */
#define PP_SCHEDULER_MAX_ATTEMPTS 2
/* A node may hold jobs beyond those it runs (pipelining) up to this many
 * per core, as estimated from their function's average run time. */
#define PP_SCHEDULER_PREFETCH_MAX 64

/* Called under the lock for every job that finishes, once its counts are
 * updated. */
typedef void (*PpSchedulerFinishedFunc) (PpJob    *job,
                                         gpointer  user_data);
/* Called under the lock when a job starts: on a local worker (@pid), or is
 * sent to a remote node (@pid 0). */
typedef void (*PpSchedulerStartedFunc)  (PpJob    *job,
                                         guint     pid,
                                         gpointer  user_data);

/* What the nodes of a server share: the lock, the queue, the counts of
 * unfinished jobs per group (what pp_server_wait() waits for), job ids,
 * the graveyard of released jobs, and the one policy for jobs a node gives
 * back. Embedded in its server; the nodes take jobs from the queue. */
typedef struct
{
  GMutex                   lock;
  GCond                    idle_cond;
  GQueue                   queue;        /* PpJob, the next first */
  GHashTable              *groups;       /* group → guint unfinished */
  guint                    active_jobs;
  guint64                  next_job_id;
  GPtrArray               *graveyard;
  PpSchedulerFinishedFunc  finished;
  PpSchedulerStartedFunc   started;
  gpointer                 hook_data;
  GPtrArray               *nodes;        /* during a dispatch */
  guint                    cores;        /* every node's, 0 until counted */
  /* group → GQueue of its queued jobs held back, in order; %NULL while no
   * group is held (pp-scheduler-hold.c) */
  GHashTable              *held;
} PpScheduler;

void     _pp_scheduler_init               (PpScheduler             *self,
                                           PpSchedulerStartedFunc   started,
                                           PpSchedulerFinishedFunc  finished,
                                           gpointer                 user_data);
void     _pp_scheduler_clear              (PpScheduler             *self);

/* With the lock held */
guint64  _pp_scheduler_next_id_locked     (PpScheduler             *self);
void     _pp_scheduler_count_job_locked   (PpScheduler             *self,
                                           const char              *group);
void     _pp_scheduler_job_done_locked    (PpScheduler             *self,
                                           PpJob                   *job);
void     _pp_scheduler_fail_job_locked    (PpScheduler             *self,
                                           PpJob                   *job,
                                           GError                  *error);
void     _pp_scheduler_release_locked     (PpScheduler             *self,
                                           PpJob                   *job);
PpJob   *_pp_scheduler_peek_locked        (PpScheduler             *self);
guint    _pp_scheduler_count_active_locked (PpScheduler            *self,
                                           const char              *group);
/* Takes the next job out of the queue, for @node (and its @worker), and
 * tells the started hook when @pid is not 0 or the node is remote. */
void     _pp_scheduler_hand_out_locked    (PpScheduler             *self,
                                           PpJob                   *job,
                                           PpNode                  *node,
                                           PpWorker                *worker);
/* During a dispatch: the cores of every node (at least 1). */
guint    _pp_scheduler_count_cores_locked (PpScheduler             *self);
void     _pp_scheduler_started_locked     (PpScheduler             *self,
                                           PpJob                   *job,
                                           guint                    pid);
/* Hands queued jobs to @nodes (the local pool first): idle places first,
 * then one job per place per round, so that jobs spread; then lets each
 * node balance what it holds, and flushes them. Nodes that live on the I/O
 * thread are left out unless @on_io_thread. */
void     _pp_scheduler_dispatch_locked    (PpScheduler             *self,
                                           GPtrArray               *nodes,
                                           gboolean                 on_io_thread);
void     _pp_scheduler_take_back_locked   (PpScheduler             *self,
                                           PpNode                  *node,
                                           PpWorker                *worker,
                                           GPtrArray               *jobs,
                                           PpJob                   *charged,
                                           GError                  *charged_error,
                                           guint64                 *nfailed);

/* Held groups (pp-scheduler-hold.c), with the lock held: a held group's
 * jobs are not handed out. Submitted jobs go to the queue, or aside when
 * their group is held; given-back ones to the front of either. Holding
 * moves the group's queued jobs aside (nodes may give back those they hold
 * with _pp_scheduler_hold_job_locked()); letting go puts them back by id.
 * Both return whether anything changed. */
void     _pp_scheduler_enqueue_locked     (PpScheduler             *self,
                                           PpJob                   *job);
void     _pp_scheduler_requeue_locked     (PpScheduler             *self,
                                           PpJob                   *job);
gboolean _pp_scheduler_is_held_locked     (PpScheduler             *self,
                                           const char              *group);
gboolean _pp_scheduler_hold_locked        (PpScheduler             *self,
                                           const char              *group);
void     _pp_scheduler_hold_job_locked    (PpScheduler             *self,
                                           PpJob                   *job);
gboolean _pp_scheduler_let_go_locked      (PpScheduler             *self,
                                           const char              *group);
gboolean _pp_scheduler_unhold_job_locked  (PpScheduler             *self,
                                           PpJob                   *job);
void     _pp_scheduler_take_held_locked   (PpScheduler             *self,
                                           GQueue                  *jobs);
guint    _pp_scheduler_count_held_locked  (PpScheduler             *self);

/* Without the lock */
void     _pp_scheduler_fail_job           (PpScheduler             *self,
                                           PpJob                   *job,
                                           GError                  *error);
void     _pp_scheduler_empty_graveyard    (PpScheduler             *self);
gboolean _pp_scheduler_wait               (PpScheduler             *self,
                                           const char              *group,
                                           GCancellable            *cancellable,
                                           GError                 **error);
gboolean _pp_scheduler_wait_timeout       (PpScheduler             *self,
                                           const char              *group,
                                           gint64                   timeout_usec);
guint    _pp_scheduler_count_active       (PpScheduler             *self,
                                           const char              *group);
guint    _pp_scheduler_count_queued       (PpScheduler             *self);

G_END_DECLS
