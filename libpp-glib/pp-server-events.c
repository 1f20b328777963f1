/* pp-server-events.c
 *
 * What a server delivers to other contexts: job-started and job-finished
 * in its creator's, finished jobs in batches to a service.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-server-private.h"

/* A source dispatched once each time its ready time is set to 0. */
static gboolean
ready_source_dispatch (GSource     *source,
                      GSourceFunc  callback,
                      gpointer     user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

GSourceFuncs _pp_server_ready_source_funcs = {
  .dispatch = ready_source_dispatch,
};

/* Job events ------------------------------------------------------------ */

/* Queues a job-started or job-finished emission, if anyone listens. */
static void
push_event_locked (PpServer *self,
                   PpJob    *job,
                   guint     pid,
                   gboolean  started)
{
  JobEvent event = { g_object_ref (job), pid, started };

  if (self->events_source == NULL ||
      !g_signal_has_handler_pending (self, _pp_server_signals[started ? PP_SERVER_JOB_STARTED : PP_SERVER_JOB_FINISHED], 0, TRUE))
    {
      g_object_unref (job);
      return;
    }
  g_array_append_val (self->events, event);
  if (self->events->len == 1)
    g_source_set_ready_time (self->events_source, 0);
}

static void
notify_finished_locked (PpServer *self,
                        PpJob    *job)
{
  if (self->finished_func == NULL)
    return;
  g_ptr_array_add (self->finished, g_object_ref (job));
  if (self->finished->len == 1)
    g_source_set_ready_time (self->finished_source, 0);
}

/* Every job that starts, under the lock. */
void
_pp_server_job_started_locked_cb (PpJob    *job,
                       guint     pid,
                       gpointer  data)
{
  PpServer *self = data;

  if (self->bus != NULL)
    _pp_server_bus_job_locked (self->bus, job, pid, TRUE);
  if (self->job_hook != NULL)
    _pp_server_job_hook_push_locked (self->job_hook, job, pid, TRUE);
  push_event_locked (self, job, pid, TRUE);
}

/* Every job that finishes, under the lock. */
void
_pp_server_job_finished_locked_cb (PpJob    *job,
                        gpointer  data)
{
  PpServer *self = data;

  notify_finished_locked (self, job);
  if (self->bus != NULL)
    _pp_server_bus_job_locked (self->bus, job, 0, FALSE);
  if (self->job_hook != NULL)
    _pp_server_job_hook_push_locked (self->job_hook, job, 0, FALSE);
  push_event_locked (self, job, 0, FALSE);
}

/* job-started, job-finished -------------------------------------------- */

gboolean
_pp_server_deliver_events_cb (gpointer data)
{
  PpServer *self = data;
  g_autoptr(GArray) events = NULL;

  g_mutex_lock (&self->sched.lock);
  events = g_steal_pointer (&self->events);
  self->events = g_array_new (FALSE, FALSE, sizeof (JobEvent));
  g_mutex_unlock (&self->sched.lock);

  for (guint i = 0; i < events->len; i++)
    {
      JobEvent *event = &g_array_index (events, JobEvent, i);

      if (event->started)
        g_signal_emit (self, _pp_server_signals[PP_SERVER_JOB_STARTED], 0, event->job, event->pid);
      else
        g_signal_emit (self, _pp_server_signals[PP_SERVER_JOB_FINISHED], 0, event->job);
      g_object_unref (event->job);
    }
  return G_SOURCE_CONTINUE;
}

/* job-started's marshallers (as glib-genmarshal writes them) ------------ */

typedef void (*JobStartedFunc) (gpointer data1,
                                gpointer job,
                                guint    pid,
                                gpointer data2);

void
_pp_server_marshal_VOID__OBJECT_UINT (GClosure     *closure,
                                      GValue       *return_value,
                                      guint         n_param_values,
                                      const GValue *param_values,
                                      gpointer      invocation_hint,
                                      gpointer      marshal_data)
{
  GCClosure *cc = (GCClosure *) closure;
  gpointer instance = g_value_peek_pointer (param_values + 0);
  JobStartedFunc callback = (JobStartedFunc) (marshal_data ? marshal_data : cc->callback);

  g_return_if_fail (n_param_values == 3);
  if (G_CCLOSURE_SWAP_DATA (closure))
    callback (closure->data, g_value_get_object (param_values + 1),
              g_value_get_uint (param_values + 2), instance);
  else
    callback (instance, g_value_get_object (param_values + 1),
              g_value_get_uint (param_values + 2), closure->data);
}

void
_pp_server_marshal_VOID__OBJECT_UINTv (GClosure *closure,
                                       GValue   *return_value,
                                       gpointer  instance,
                                       va_list   args,
                                       gpointer  marshal_data,
                                       int       n_params,
                                       GType    *param_types)
{
  GCClosure *cc = (GCClosure *) closure;
  JobStartedFunc callback = (JobStartedFunc) (marshal_data ? marshal_data : cc->callback);
  gpointer job;
  guint pid;
  va_list copy;

  va_copy (copy, args);
  job = va_arg (copy, gpointer);
  pid = va_arg (copy, guint);
  va_end (copy);
  if ((param_types[0] & G_SIGNAL_TYPE_STATIC_SCOPE) == 0 && job != NULL)
    job = g_object_ref (job);
  if (G_CCLOSURE_SWAP_DATA (closure))
    callback (closure->data, job, pid, instance);
  else
    callback (instance, job, pid, closure->data);
  if ((param_types[0] & G_SIGNAL_TYPE_STATIC_SCOPE) == 0 && job != NULL)
    g_object_unref (job);
}

void
_pp_server_clear_events (PpServer *self)
{
  for (guint i = 0; self->events != NULL && i < self->events->len; i++)
    g_object_unref (g_array_index (self->events, JobEvent, i).job);
  g_clear_pointer (&self->events, g_array_unref);
  if (self->events_source != NULL)
    g_source_destroy (self->events_source);
  g_clear_pointer (&self->events_source, g_source_unref);
  g_clear_pointer (&self->creator_context, g_main_context_unref);
}

/* Batched completion ----------------------------------------------------- */

static gboolean
deliver_finished_cb (gpointer data)
{
  PpServer *self = data;
  g_autoptr(GPtrArray) batch = NULL;
  PpServerFinishedFunc func;
  gpointer func_data;

  g_mutex_lock (&self->sched.lock);
  batch = g_steal_pointer (&self->finished);
  self->finished = g_ptr_array_new_with_free_func (g_object_unref);
  func = self->finished_func;
  func_data = self->finished_data;
  g_mutex_unlock (&self->sched.lock);

  if (func != NULL && batch->len > 0)
    func (batch, func_data);
  return G_SOURCE_CONTINUE;
}

void
_pp_server_set_finished_func (PpServer             *self,
                              GMainContext         *context,
                              PpServerFinishedFunc  func,
                              gpointer              user_data)
{
  g_autoptr(GPtrArray) dropped = NULL;
  GSource *source = NULL;

  if (func != NULL)
    {
      source = g_source_new (&_pp_server_ready_source_funcs, sizeof (GSource));
      g_source_set_callback (source, deliver_finished_cb, self, NULL);
      g_source_set_static_name (source, "[pp-glib] finished jobs");
      g_source_attach (source, context);
    }

  g_mutex_lock (&self->sched.lock);
  if (self->finished_source != NULL)
    g_source_destroy (self->finished_source);
  g_clear_pointer (&self->finished_source, g_source_unref);
  self->finished_source = source;
  self->finished_func = func;
  self->finished_data = user_data;
  dropped = g_steal_pointer (&self->finished);
  self->finished = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_unlock (&self->sched.lock);
}
