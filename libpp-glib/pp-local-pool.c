/* pp-local-pool.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-function-private.h"
#include "pp-job.h"
#include "pp-job-private.h"
#include "pp-local-pool-private.h"
#include "pp-messages-private.h"
#include "pp-worker-private.h"

/* Pipelining: a worker may hold jobs worth this many seconds, as estimated
 * from their function's average run time, up to PP_SCHEDULER_PREFETCH_MAX
 * jobs. */
#define PREFETCH_SECONDS 0.002

G_DEFINE_FINAL_TYPE (PpLocalPool, pp_local_pool, PP_TYPE_NODE)

PpLocalPool *
_pp_local_pool_new (void)
{
  PpLocalPool *self = g_object_new (PP_TYPE_LOCAL_POOL, NULL);

  _pp_node_set_identity (PP_NODE (self), PP_LOCAL_NODE_NAME, TRUE, NULL, 0, FALSE);
  return self;
}

/* The job @worker runs: the head of what it holds, unless that finished
 * (a stolen job the worker has yet to skip). */
static PpJob *
running_job (PpWorker *worker)
{
  PpJob *head = g_queue_peek_head (&worker->in_flight);

  return head != NULL && !pp_job_is_finished (head) ? head : NULL;
}

guint
_pp_local_pool_count_running_locked (PpLocalPool *self)
{
  guint running = 0;

  for (guint i = 0; i < self->workers->len; i++)
    running += running_job (g_ptr_array_index (self->workers, i)) != NULL;
  return running;
}

/* Jobs sent to @worker, not started, not taken by another worker. */
static guint
count_held (PpWorker *worker)
{
  guint held = 0;

  if (worker->in_flight.head == NULL)
    return 0;
  for (GList *l = worker->in_flight.head->next; l != NULL; l = l->next)
    held += !pp_job_is_finished (l->data) && _pp_job_get_worker (l->data) == worker;
  return held;
}

static void
pp_local_pool_snapshot_locked (PpNode       *node,
                               PpNodeValues *values)
{
  PpLocalPool *self = PP_LOCAL_POOL (node);

  values->state = self->stopped ? PP_NODE_STATE_REMOVED : PP_NODE_STATE_READY;
  values->ncpus = self->target;
  values->busy = _pp_local_pool_count_running_locked (self);
  values->held = 0;
  for (guint i = 0; i < self->workers->len; i++)
    values->held += count_held (g_ptr_array_index (self->workers, i));
  values->jobs_done = self->njobs;
  values->jobs_failed = self->nfailed;
  values->job_time = self->time_sum;
  values->last_error = NULL;
}

static const char *
worker_state (PpWorker *worker)
{
  if (!worker->said_hello)
    return "starting";
  return running_job (worker) != NULL ? "busy" : "idle";
}

static GVariant *
pp_local_pool_dup_workers_locked (PpNode *node)
{
  PpLocalPool *self = PP_LOCAL_POOL (node);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < self->workers->len; i++)
    {
      PpWorker *worker = g_ptr_array_index (self->workers, i);
      PpJob *job = running_job (worker);

      if (worker->dead)
        continue;
      g_variant_builder_open (&builder, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&builder, "{sv}", "pid", g_variant_new_uint32 (worker->pid));
      g_variant_builder_add (&builder, "{sv}", "state", g_variant_new_string (worker_state (worker)));
      g_variant_builder_add (&builder, "{sv}", "job",
                             g_variant_new_uint64 (job ? pp_job_get_id (job) : 0));
      g_variant_builder_add (&builder, "{sv}", "function",
                             g_variant_new_string (job ? pp_function_get_name (pp_job_get_function (job))
                                                       : ""));
      g_variant_builder_add (&builder, "{sv}", "jobs-done", g_variant_new_uint64 (worker->jobs_done));
      g_variant_builder_add (&builder, "{sv}", "busy-time", g_variant_new_double (worker->busy_time));
      g_variant_builder_close (&builder);
    }
  return g_variant_builder_end (&builder);
}

GVariant *
_pp_local_pool_dup_info_locked (PpLocalPool *self)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ustud)"));
  for (guint i = 0; i < self->workers->len; i++)
    {
      PpWorker *worker = g_ptr_array_index (self->workers, i);
      PpJob *job = running_job (worker);

      if (worker->dead)
        continue;
      g_variant_builder_add (&builder, "(ustud)", (guint32) worker->pid, worker_state (worker),
                             (guint64) (worker->said_hello && job ? pp_job_get_id (job) : 0),
                             (guint32) MIN (worker->jobs_done, G_MAXUINT32), worker->busy_time);
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* Scheduling ------------------------------------------------------------- */

guint
_pp_local_pool_count_live_locked (PpLocalPool *self)
{
  guint live = 0;

  for (guint i = 0; i < self->workers->len; i++)
    {
      PpWorker *worker = g_ptr_array_index (self->workers, i);

      if (!worker->dead && !worker->retiring)
        live++;
    }
  return live;
}

gboolean
_pp_local_pool_has_idle_locked (PpLocalPool *self)
{
  for (guint i = 0; i < self->workers->len; i++)
    {
      PpWorker *worker = g_ptr_array_index (self->workers, i);

      if (!worker->dead && !worker->retiring && g_queue_is_empty (&worker->in_flight))
        return TRUE;
    }
  return FALSE;
}

static guint
pp_local_pool_count_cores_locked (PpNode *node)
{
  return _pp_local_pool_count_live_locked (PP_LOCAL_POOL (node));
}

static gboolean
worker_can_take (PpLocalPool *self,
                 PpWorker    *worker,
                 PpJob       *job)
{
  guint held = worker->in_flight.length;
  double avg;

  if (worker->dead || worker->retiring)
    return FALSE;
  if (held == 0)
    return TRUE;
  if (self->restart)
    return FALSE;
  avg = _pp_function_get_avg_run_time (pp_job_get_function (job));
  if (avg < 0)
    return FALSE;
  return held < PP_SCHEDULER_PREFETCH_MAX && held * avg < PREFETCH_SECONDS;
}

static gboolean
assign_next_locked (PpLocalPool *self,
                    PpScheduler *sched,
                    PpWorker    *worker)
{
  PpJob *job = _pp_scheduler_peek_locked (sched);

  if (job == NULL || !worker_can_take (self, worker, job))
    return FALSE;

  _pp_scheduler_hand_out_locked (sched, job, (PpNode *) self, worker);
  g_queue_push_tail (&worker->in_flight, job);
  if (worker->in_flight.length == 1)
    _pp_scheduler_started_locked (sched, job, worker->pid);
  _pp_message_append_job (_pp_worker_get_out (worker), worker->defined, job);
  return TRUE;
}

static gboolean
pp_local_pool_take_round_locked (PpNode      *node,
                                 PpScheduler *sched,
                                 gboolean     idle_only)
{
  PpLocalPool *self = (PpLocalPool *) node;
  gboolean progress = FALSE;

  for (guint i = 0; i < self->workers->len; i++)
    {
      PpWorker *worker = g_ptr_array_index (self->workers, i);

      if (!idle_only || g_queue_is_empty (&worker->in_flight))
        progress |= assign_next_locked (self, sched, worker);
    }
  return progress;
}

/* The last job @worker holds but has not started, unless it was stolen. */
static PpJob *
find_stealable (PpWorker *worker)
{
  for (GList *l = worker->in_flight.tail; l != NULL && l != worker->in_flight.head; l = l->prev)
    {
      PpJob *job = l->data;

      if (_pp_job_get_worker (job) == worker && !pp_job_is_finished (job))
        return job;
    }
  return NULL;
}

/* Work stealing: with the queue empty, an idle worker takes the last
 * unstarted job of the worker that holds the most, which is told to skip it.
 * The job stays in both in-flight lists; the first result wins. */
static void
pp_local_pool_balance_locked (PpNode      *node,
                              PpScheduler *sched)
{
  PpLocalPool *self = (PpLocalPool *) node;

  for (guint i = 0; i < self->workers->len && g_queue_is_empty (&sched->queue); i++)
    {
      PpWorker *thief = g_ptr_array_index (self->workers, i);
      PpWorker *victim = NULL;
      PpJob *job;

      if (thief->dead || thief->retiring || !g_queue_is_empty (&thief->in_flight))
        continue;
      for (guint j = 0; j < self->workers->len; j++)
        {
          PpWorker *other = g_ptr_array_index (self->workers, j);

          if (!other->dead && other->in_flight.length > 1 &&
              (victim == NULL || other->in_flight.length > victim->in_flight.length))
            victim = other;
        }
      if (victim == NULL || (job = find_stealable (victim)) == NULL)
        return;
      _pp_message_append_skip (_pp_worker_get_out (victim), pp_job_get_id (job));
      _pp_job_set_holder (job, node, thief);
      g_queue_push_tail (&thief->in_flight, g_object_ref (job));
      _pp_scheduler_started_locked (sched, job, thief->pid);
      _pp_message_append_job (_pp_worker_get_out (thief), thief->defined, job);
    }
}

static void
pp_local_pool_flush_locked (PpNode *node)
{
  PpLocalPool *self = (PpLocalPool *) node;

  for (guint i = 0; i < self->workers->len; i++)
    _pp_worker_flush_locked (g_ptr_array_index (self->workers, i));
}

/* GObject ---------------------------------------------------------------- */

static void
pp_local_pool_finalize (GObject *object)
{
  PpLocalPool *self = PP_LOCAL_POOL (object);

  g_clear_pointer (&self->workers, g_ptr_array_unref);

  G_OBJECT_CLASS (pp_local_pool_parent_class)->finalize (object);
}

static void
pp_local_pool_class_init (PpLocalPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PpNodeClass *node_class = PP_NODE_CLASS (klass);

  object_class->finalize = pp_local_pool_finalize;
  node_class->snapshot_locked = pp_local_pool_snapshot_locked;
  node_class->dup_workers_locked = pp_local_pool_dup_workers_locked;
  node_class->count_cores_locked = pp_local_pool_count_cores_locked;
  node_class->take_round_locked = pp_local_pool_take_round_locked;
  node_class->balance_locked = pp_local_pool_balance_locked;
  node_class->flush_locked = pp_local_pool_flush_locked;
}

static void
pp_local_pool_init (PpLocalPool *self)
{
  self->workers = g_ptr_array_new ();
}
