/* pp-scheduler.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-node-private.h"
#include "pp-scheduler-private.h"

void
_pp_scheduler_init (PpScheduler             *self,
                    PpSchedulerStartedFunc   started,
                    PpSchedulerFinishedFunc  finished,
                    gpointer                 user_data)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->idle_cond);
  g_queue_init (&self->queue);
  self->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->graveyard = g_ptr_array_new_with_free_func (g_object_unref);
  self->started = started;
  self->finished = finished;
  self->hook_data = user_data;
}

void
_pp_scheduler_clear (PpScheduler *self)
{
  g_assert (g_queue_is_empty (&self->queue));
  g_assert (self->held == NULL);

  g_clear_pointer (&self->graveyard, g_ptr_array_unref);
  g_clear_pointer (&self->groups, g_hash_table_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->idle_cond);
}

guint64
_pp_scheduler_next_id_locked (PpScheduler *self)
{
  return ++self->next_job_id;
}

/* Releasing jobs -------------------------------------------------------- */

/* Drops the scheduler's reference to @job later, from a caller's thread and
 * without the lock: the last reference may be a language binding's, whose
 * release takes that language's lock (Python's GIL) — never to be taken on
 * the I/O thread or under our lock. */
void
_pp_scheduler_release_locked (PpScheduler *self,
                              PpJob       *job)
{
  g_ptr_array_add (self->graveyard, job);
}

/* Called by public entry points, on the caller's thread. */
void
_pp_scheduler_empty_graveyard (PpScheduler *self)
{
  g_autoptr(GPtrArray) dead = NULL;

  g_mutex_lock (&self->lock);
  if (self->graveyard->len > 0)
    {
      dead = g_steal_pointer (&self->graveyard);
      self->graveyard = g_ptr_array_new_with_free_func (g_object_unref);
    }
  g_mutex_unlock (&self->lock);
}

/* The next job to hand out, releasing the finished (cancelled) ones found
 * on the way; it stays in the queue. */
PpJob *
_pp_scheduler_peek_locked (PpScheduler *self)
{
  PpJob *job;

  while ((job = g_queue_peek_head (&self->queue)) != NULL && pp_job_is_finished (job))
    _pp_scheduler_release_locked (self, g_queue_pop_head (&self->queue));
  return job;
}

/* Group bookkeeping ------------------------------------------------------ */

void
_pp_scheduler_count_job_locked (PpScheduler *self,
                                const char  *group)
{
  guint *count = g_hash_table_lookup (self->groups, group);

  if (count == NULL)
    {
      count = g_new0 (guint, 1);
      g_hash_table_insert (self->groups, g_strdup (group), count);
    }
  (*count)++;
  self->active_jobs++;
}

/* Called once per job, when it finishes. */
void
_pp_scheduler_job_done_locked (PpScheduler *self,
                               PpJob       *job)
{
  const char *group = pp_job_get_group (job);
  guint *count = g_hash_table_lookup (self->groups, group);
  gboolean group_done;

  g_assert (count != NULL && *count > 0 && self->active_jobs > 0);
  group_done = --(*count) == 0;
  if (group_done)
    g_hash_table_remove (self->groups, group);
  self->active_jobs--;
  if (group_done || self->active_jobs == 0)
    g_cond_broadcast (&self->idle_cond);
  self->finished (job, self->hook_data);
}

/* Fails @job with @error (taken) unless it already finished. Finishing and
 * counting happen under the lock together, so pp_server_wait() never
 * returns before its jobs are finished, nor a job before the counts. */
void
_pp_scheduler_fail_job_locked (PpScheduler *self,
                               PpJob       *job,
                               GError      *error)
{
  if (_pp_job_finish_error (job, error))
    _pp_scheduler_job_done_locked (self, job);
}

void
_pp_scheduler_fail_job (PpScheduler *self,
                        PpJob       *job,
                        GError      *error)
{
  g_mutex_lock (&self->lock);
  _pp_scheduler_fail_job_locked (self, job, error);
  g_mutex_unlock (&self->lock);
}

/* Dispatch -------------------------------------------------------------- */

void
_pp_scheduler_started_locked (PpScheduler *self,
                              PpJob       *job,
                              guint        pid)
{
  self->started (job, pid, self->hook_data);
}

void
_pp_scheduler_hand_out_locked (PpScheduler *self,
                               PpJob       *job,
                               PpNode      *node,
                               PpWorker    *worker)
{
  g_assert (g_queue_peek_head (&self->queue) == job);

  g_queue_pop_head (&self->queue);
  _pp_job_set_holder (job, node, worker);
  _pp_job_set_running (job, _pp_node_peek_name (node));
}

static gboolean
can_run_here (PpNode   *node,
              gboolean  on_io_thread)
{
  return on_io_thread || !PP_NODE_GET_CLASS (node)->io_thread_only;
}

void
_pp_scheduler_dispatch_locked (PpScheduler *self,
                               GPtrArray   *nodes,
                               gboolean     on_io_thread)
{
  gboolean progress = TRUE;

  self->nodes = nodes;
  self->cores = 0;

  for (guint i = 0; i < nodes->len; i++)
    {
      PpNode *node = g_ptr_array_index (nodes, i);

      if (can_run_here (node, on_io_thread))
        PP_NODE_GET_CLASS (node)->take_round_locked (node, self, TRUE);
    }
  while (progress && !g_queue_is_empty (&self->queue))
    {
      progress = FALSE;
      for (guint i = 0; i < nodes->len; i++)
        {
          PpNode *node = g_ptr_array_index (nodes, i);

          if (can_run_here (node, on_io_thread))
            progress |= PP_NODE_GET_CLASS (node)->take_round_locked (node, self, FALSE);
        }
    }
  for (guint i = 0; i < nodes->len; i++)
    {
      PpNode *node = g_ptr_array_index (nodes, i);

      if (!can_run_here (node, on_io_thread))
        continue;
      if (PP_NODE_GET_CLASS (node)->balance_locked != NULL)
        PP_NODE_GET_CLASS (node)->balance_locked (node, self);
      PP_NODE_GET_CLASS (node)->flush_locked (node);
    }
  self->nodes = NULL;
}

/* Counted once per dispatch, and only when a node asks. */
guint
_pp_scheduler_count_cores_locked (PpScheduler *self)
{
  g_assert (self->nodes != NULL);

  if (self->cores > 0)
    return self->cores;
  for (guint i = 0; i < self->nodes->len; i++)
    {
      PpNode *node = g_ptr_array_index (self->nodes, i);

      self->cores += PP_NODE_GET_CLASS (node)->count_cores_locked (node);
    }
  self->cores = MAX (self->cores, 1);
  return self->cores;
}

/* Taking jobs back ------------------------------------------------------- */

/* The one policy for the jobs a node gives back — a worker that died, a
 * remote node lost or removed: @jobs (in submission order, each carrying
 * the reference its holder had) go back to the front of the queue, in
 * order, without using an attempt; only @charged, the job a dead worker was
 * running, uses one, and fails with @charged_error (taken) once it has none
 * left, counted in *@nfailed. Jobs finished meanwhile, or held by another
 * worker now (stolen), are released. */
void
_pp_scheduler_take_back_locked (PpScheduler *self,
                                PpNode      *node,
                                PpWorker    *worker,
                                GPtrArray   *jobs,
                                PpJob       *charged,
                                GError      *charged_error,
                                guint64     *nfailed)
{
  for (guint i = jobs->len; i > 0; i--)
    {
      PpJob *job = g_ptr_array_index (jobs, i - 1);

      if (pp_job_is_finished (job) || _pp_job_get_node (job) != node ||
          _pp_job_get_worker (job) != worker)
        {
          _pp_scheduler_release_locked (self, job);
          continue;
        }
      _pp_job_set_holder (job, NULL, NULL);
      if (job == charged && _pp_job_add_attempt (job) >= PP_SCHEDULER_MAX_ATTEMPTS)
        {
          (*nfailed)++;
          _pp_scheduler_fail_job_locked (self, job, g_steal_pointer (&charged_error));
          _pp_scheduler_release_locked (self, job);
          continue;
        }
      _pp_job_set_queued (job);
      _pp_scheduler_requeue_locked (self, job);
    }
  g_clear_error (&charged_error);
}

/* Waiting ---------------------------------------------------------------- */

guint
_pp_scheduler_count_active_locked (PpScheduler *self,
                                   const char  *group)
{
  guint *count;

  if (group == NULL)
    return self->active_jobs;
  count = g_hash_table_lookup (self->groups, group);
  return count ? *count : 0;
}

guint
_pp_scheduler_count_active (PpScheduler *self,
                            const char  *group)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = _pp_scheduler_count_active_locked (self, group);
  g_mutex_unlock (&self->lock);
  return n;
}

guint
_pp_scheduler_count_queued (PpScheduler *self)
{
  guint queued = 0;

  g_mutex_lock (&self->lock);
  for (GList *l = self->queue.head; l != NULL; l = l->next)
    queued += !pp_job_is_finished (l->data);
  queued += _pp_scheduler_count_held_locked (self);
  g_mutex_unlock (&self->lock);
  return queued;
}

static void
wake_waiters_cb (GCancellable *cancellable,
                 PpScheduler  *self)
{
  g_mutex_lock (&self->lock);
  g_cond_broadcast (&self->idle_cond);
  g_mutex_unlock (&self->lock);
}

gboolean
_pp_scheduler_wait (PpScheduler   *self,
                    const char    *group,
                    GCancellable  *cancellable,
                    GError       **error)
{
  gulong handler = 0;

  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (wake_waiters_cb), self, NULL);

  g_mutex_lock (&self->lock);
  while (_pp_scheduler_count_active_locked (self, group) > 0 &&
         !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&self->idle_cond, &self->lock);
  g_mutex_unlock (&self->lock);
  _pp_scheduler_empty_graveyard (self);

  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, handler);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

gboolean
_pp_scheduler_wait_timeout (PpScheduler *self,
                            const char  *group,
                            gint64       timeout_usec)
{
  gint64 end_time = g_get_monotonic_time () + MAX (timeout_usec, 0);
  gboolean idle;

  g_mutex_lock (&self->lock);
  while (_pp_scheduler_count_active_locked (self, group) > 0 &&
         g_cond_wait_until (&self->idle_cond, &self->lock, end_time))
    ;
  idle = _pp_scheduler_count_active_locked (self, group) == 0;
  g_mutex_unlock (&self->lock);
  _pp_scheduler_empty_graveyard (self);

  return idle;
}
