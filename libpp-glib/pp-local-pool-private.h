/* pp-local-pool-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pp-node-private.h"

G_BEGIN_DECLS

#define PP_LOCAL_NODE_NAME "local"
/* Workers that die before their hello, in a row, before the queue fails. */
#define PP_LOCAL_POOL_MAX_SPAWN_FAILURES 3

#define PP_TYPE_LOCAL_POOL (pp_local_pool_get_type ())

G_DECLARE_FINAL_TYPE (PpLocalPool, pp_local_pool, PP, LOCAL_POOL, PpNode)

/* How the workers are started: set once, before the first. */
typedef struct
{
  char          *python;
  char          *runner;
  char          *working_directory;
  char         **python_path;
  gsize          max_body;
  GMainContext  *context;        /* the I/O thread's: workers live there */
} PpLocalPoolConfig;

/* The server's pool of local workers, as a node: it spawns, feeds, reads,
 * retires and reaps them. Every field is the server's, under its lock. */
struct _PpLocalPool
{
  PpNode     parent_instance;

  GPtrArray *workers;       /* WorkerSlot: a PpWorker and its jobs */
  guint      target;        /* the size the pool is kept at */
  gboolean   restart;       /* a fresh worker for every job */
  guint64    njobs;
  guint64    nfailed;
  double     time_sum;
  gboolean   stopped;       /* the server was destroyed */
  guint      spawn_failures;  /* in a row */
  guint      next_worker_number;

  PpLocalPoolConfig      config;
  PpScheduler           *sched;
  const PpNodeHost *host;
  gpointer               host_data;
};

PpLocalPool *_pp_local_pool_new                  (void);
/* Before the first worker: @config is copied. */
void         _pp_local_pool_setup                (PpLocalPool             *self,
                                                  const PpLocalPoolConfig *config,
                                                  PpScheduler             *sched,
                                                  const PpNodeHost   *host,
                                                  gpointer                 host_data);
/* With the server's lock, on the I/O thread: grows or shrinks the pool to
 * its target. */
void         _pp_local_pool_reconcile_locked     (PpLocalPool *self);
/* On the I/O thread, without the lock: stops and reaps every worker; the
 * jobs they held fail with @make_error (job). */
void         _pp_local_pool_stop_workers         (PpLocalPool *self,
                                                  GError     *(*make_error) (PpJob *job));
/* With the server's lock: jobs the workers run. */
guint        _pp_local_pool_count_running_locked (PpLocalPool *self);
/* With the server's lock: workers neither dead nor retiring. */
guint        _pp_local_pool_count_live_locked    (PpLocalPool *self);
/* With the server's lock: whether a live worker runs nothing. */
gboolean     _pp_local_pool_has_idle_locked      (PpLocalPool *self);
/* With the server's lock: pp_server_dup_worker_info()'s `a(ustud)`. */
GVariant    *_pp_local_pool_dup_info_locked      (PpLocalPool *self);
void         _pp_local_pool_collect_group_locked (PpLocalPool *self,
                                                  const char  *group,
                                                  GPtrArray   *jobs);
/* With the server's lock: the unfinished job @id a worker holds, or NULL. */
PpJob       *_pp_local_pool_find_job_locked      (PpLocalPool *self,
                                                  guint64      id);

G_END_DECLS
