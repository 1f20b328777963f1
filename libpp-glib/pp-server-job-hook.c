/* pp-server-job-hook.c
 *
 * The batched job events of a server (pp-server-job-hook-private.h), and
 * the list of its queued jobs.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-job-wait-private.h"
#include "pp-server-private.h"

/* Events are appended under the server's lock, on whichever thread starts
 * or finishes a job (the I/O thread mostly); the first of a batch makes
 * the source ready. The delivery swaps the filled array for the empty
 * spare one under the lock, so that neither side allocates per batch once
 * the arrays have grown. */
struct _PpServerJobHook
{
  PpServerJobEventsFunc func;
  gpointer              data;
  GSource              *source;
  GArray               *events;   /* PpServerJobEvent, under the lock */
  GArray               *spare;    /* the deliverer's */
};

static void
clear_events (GArray *events)
{
  for (guint i = 0; i < events->len; i++)
    g_object_unref (g_array_index (events, PpServerJobEvent, i).job);
  g_array_set_size (events, 0);
}

void
_pp_server_job_hook_free (PpServerJobHook *hook)
{
  if (hook == NULL)
    return;
  g_source_destroy (hook->source);
  g_source_unref (hook->source);
  clear_events (hook->events);
  clear_events (hook->spare);
  g_array_unref (hook->events);
  g_array_unref (hook->spare);
  g_free (hook);
}

/* Every job that starts (@started, on worker @pid) or finishes, under the
 * lock: one clock reading for a start; a finish has the job's own end time. */
void
_pp_server_job_hook_push_locked (PpServerJobHook *hook,
                                 PpJob           *job,
                                 guint            pid,
                                 gboolean         started)
{
  PpServerJobEvent *event;

  g_array_set_size (hook->events, hook->events->len + 1);
  event = &g_array_index (hook->events, PpServerJobEvent, hook->events->len - 1);
  event->job = g_object_ref (job);
  event->pid = pid;
  event->started = started;
  /* The job's lock after the server's, as everywhere. */
  g_mutex_lock (&job->lock);
  event->time = started ? g_get_monotonic_time () : job->end_time;
  event->wait_time = job->start_time != 0 ? (job->start_time - job->submit_time) / (double) G_USEC_PER_SEC : 0;
  event->run_time = started ? 0 : job->run_time;
  event->state = started ? PP_JOB_STATE_RUNNING : job->state;
  g_mutex_unlock (&job->lock);
  if (hook->events->len == 1)
    g_source_set_ready_time (hook->source, 0);
}

static gboolean
deliver_cb (gpointer data)
{
  PpServer *self = data;
  PpServerJobHook *hook;
  GArray *batch;

  g_mutex_lock (&self->sched.lock);
  hook = self->job_hook;
  batch = hook->events;
  hook->events = hook->spare;
  hook->spare = batch;
  g_mutex_unlock (&self->sched.lock);

  if (batch->len > 0)
    hook->func ((const PpServerJobEvent *) (gpointer) batch->data, batch->len, hook->data);
  clear_events (batch);
  return G_SOURCE_CONTINUE;
}

void
_pp_server_set_job_events_func (PpServer              *self,
                                GMainContext          *context,
                                PpServerJobEventsFunc  func,
                                gpointer               user_data)
{
  PpServerJobHook *hook = NULL;
  PpServerJobHook *old;

  g_return_if_fail (PP_IS_SERVER (self));

  if (func != NULL)
    {
      hook = g_new0 (PpServerJobHook, 1);
      hook->func = func;
      hook->data = user_data;
      hook->events = g_array_sized_new (FALSE, FALSE, sizeof (PpServerJobEvent), 256);
      hook->spare = g_array_sized_new (FALSE, FALSE, sizeof (PpServerJobEvent), 256);
      hook->source = g_source_new (&_pp_server_ready_source_funcs, sizeof (GSource));
      g_source_set_callback (hook->source, deliver_cb, self, NULL);
      g_source_set_static_name (hook->source, "[pp-glib] job hook");
      g_source_attach (hook->source, context);
    }

  g_mutex_lock (&self->sched.lock);
  old = self->job_hook;
  self->job_hook = hook;
  g_mutex_unlock (&self->sched.lock);

  _pp_server_job_hook_free (old);
}

/* The queued jobs of @queue, up to @max in @jobs. */
static void
add_queued (GPtrArray *jobs,
            GQueue    *queue,
            guint      max)
{
  for (GList *l = queue->head; l != NULL && jobs->len < max; l = l->next)
    if (pp_job_get_state (l->data) == PP_JOB_STATE_QUEUED)
      g_ptr_array_add (jobs, g_object_ref (l->data));
}

GPtrArray *
_pp_server_list_queued_jobs (PpServer *self,
                             guint     max)
{
  GPtrArray *jobs = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (PP_IS_SERVER (self), jobs);

  g_mutex_lock (&self->sched.lock);
  add_queued (jobs, &self->sched.queue, max);
  /* Then those of clients held back for not reading (pp-scheduler-hold.c). */
  if (self->sched.held != NULL)
    {
      GHashTableIter iter;
      gpointer queue;

      g_hash_table_iter_init (&iter, self->sched.held);
      while (g_hash_table_iter_next (&iter, NULL, &queue))
        add_queued (jobs, queue, max);
    }
  g_mutex_unlock (&self->sched.lock);
  return jobs;
}
