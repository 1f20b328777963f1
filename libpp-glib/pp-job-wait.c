/* pp-job-wait.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Waiting for a job: blocking, with a timeout, and asynchronously, and
 * returning the asynchronous waiters when the job finishes. */

#include "config.h"

#include "pp-job-private.h"
#include "pp-job-wait-private.h"

/* A waiting task keeps the id of its cancellable's handler as task data,
 * so that the handler (and the reference it holds) goes with the task. */
static void
disconnect_cancellable (GTask *task)
{
  gulong handler = GPOINTER_TO_SIZE (g_task_get_task_data (task));

  if (handler != 0)
    g_cancellable_disconnect (g_task_get_cancellable (task), handler);
}

void
_pp_job_return_wait_tasks (GSList *tasks,
                           GError *error)
{
  for (GSList *l = tasks; l != NULL; l = l->next)
    {
      g_autoptr(GTask) task = l->data;

      disconnect_cancellable (task);
      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
  g_slist_free (tasks);
}

static void
wake_waiter_cb (GCancellable *cancellable,
                PpJob        *self)
{
  g_mutex_lock (&self->lock);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* Waking a sleeping thread on another CPU can cost far more than a short
 * job's round trip (tens of microseconds on virtual machines), so a waiter
 * first watches the state for a moment before it sleeps. */
#define SPIN_USEC 200

static void
spin_until_finished (PpJob *self)
{
  gint64 deadline = g_get_monotonic_time () + SPIN_USEC;

  while (g_atomic_int_get ((int *) &self->state) < PP_JOB_STATE_DONE)
    if (g_get_monotonic_time () > deadline)
      return;
}

/**
 * pp_job_wait:
 * @self: a #PpJob
 * @cancellable: (nullable): a #GCancellable to stop waiting (not the job)
 * @error: return location for a #GError
 *
 * Blocks until the job has finished. Needs no main loop; any thread may
 * call it. The error is the job's error (%PP_ERROR_JOB_RAISED when its
 * function raised, %PP_ERROR_WORKER_CRASHED, %PP_ERROR_CANCELLED,
 * %PP_ERROR_DESTROYED, ...), or %G_IO_ERROR_CANCELLED when @cancellable
 * stopped the wait.
 *
 * Returns: %TRUE if the job finished successfully
 *
 * Since: 0.1
 */
gboolean
pp_job_wait (PpJob         *self,
             GCancellable  *cancellable,
             GError       **error)
{
  gulong handler = 0;

  g_return_val_if_fail (PP_IS_JOB (self), FALSE);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), FALSE);

  spin_until_finished (self);
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (wake_waiter_cb), self, NULL);

  g_mutex_lock (&self->lock);
  while (self->state < PP_JOB_STATE_DONE && !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, handler);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  return pp_job_propagate_error (self, error);
}

/**
 * pp_job_wait_timeout:
 * @self: a #PpJob
 * @timeout_usec: how long to wait at most, in microseconds
 *
 * Blocks until the job has finished or @timeout_usec has passed. Language
 * bindings use it to wait in slices, so that signals such as Ctrl-C are
 * handled while they wait.
 *
 * Returns: %TRUE if the job has finished
 *
 * Since: 0.1
 */
gboolean
pp_job_wait_timeout (PpJob  *self,
                     gint64  timeout_usec)
{
  gint64 end_time;
  gboolean finished;

  g_return_val_if_fail (PP_IS_JOB (self), FALSE);

  end_time = g_get_monotonic_time () + MAX (timeout_usec, 0);
  if (timeout_usec >= SPIN_USEC)
    spin_until_finished (self);
  g_mutex_lock (&self->lock);
  while (self->state < PP_JOB_STATE_DONE &&
         g_cond_wait_until (&self->cond, &self->lock, end_time))
    ;
  finished = self->state >= PP_JOB_STATE_DONE;
  g_mutex_unlock (&self->lock);

  return finished;
}

static void
wait_async_cancelled_cb (GCancellable *cancellable,
                         GTask        *task)
{
  PpJob *self = g_task_get_source_object (task);
  gboolean found;

  g_mutex_lock (&self->lock);
  found = g_slist_find (self->wait_tasks, task) != NULL;
  self->wait_tasks = g_slist_remove (self->wait_tasks, task);
  g_mutex_unlock (&self->lock);

  if (found)
    {
      g_task_return_error_if_cancelled (task);
      g_object_unref (task);
    }
  /* The handler is disconnected with the cancellable's own reference: not
   * from inside the handler itself. */
}

/**
 * pp_job_wait_async:
 * @self: a #PpJob
 * @cancellable: (nullable): a #GCancellable to stop waiting (not the job)
 * @callback: (scope async): called when the job has finished
 * @user_data: data for @callback
 *
 * Waits for the job without blocking. @callback is called in the
 * thread-default main context of the caller; finish with
 * [method@Pp.Job.wait_finish].
 *
 * Since: 0.1
 */
void
pp_job_wait_async (PpJob               *self,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  gboolean queued = FALSE;

  g_return_if_fail (PP_IS_JOB (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pp_job_wait_async);
  g_task_set_check_cancellable (task, FALSE);

  /* Connected before the task is queued: a cancellation arriving in
   * between finds nothing to cancel, and is caught just below. */
  if (cancellable != NULL)
    g_task_set_task_data (task,
                          GSIZE_TO_POINTER (g_cancellable_connect (cancellable,
                                                                   G_CALLBACK (wait_async_cancelled_cb),
                                                                   g_object_ref (task),
                                                                   g_object_unref)),
                          NULL);

  g_mutex_lock (&self->lock);
  if (self->state < PP_JOB_STATE_DONE)
    {
      self->wait_tasks = g_slist_prepend (self->wait_tasks, g_object_ref (task));
      queued = TRUE;
    }
  g_mutex_unlock (&self->lock);

  if (queued && g_cancellable_is_cancelled (cancellable))
    wait_async_cancelled_cb (cancellable, task);
  if (!queued)
    {
      g_autoptr(GError) error = NULL;

      disconnect_cancellable (task);
      if (pp_job_propagate_error (self, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, g_steal_pointer (&error));
    }
}

/**
 * pp_job_wait_finish:
 * @self: a #PpJob
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Pp.Job.wait_async].
 *
 * Returns: %TRUE if the job finished successfully
 *
 * Since: 0.1
 */
gboolean
pp_job_wait_finish (PpJob         *self,
                    GAsyncResult  *result,
                    GError       **error)
{
  g_return_val_if_fail (PP_IS_JOB (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
