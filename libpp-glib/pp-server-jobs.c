/* pp-server-jobs.c
 *
 * Submitting, cancelling and waiting for a server's jobs.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "pp-error.h"
#include "pp-flat-json-private.h"
#include "pp-function-private.h"
#include "pp-server-private.h"

/* A submit goes straight to an idle worker from the submitting thread,
 * saving the I/O thread a wake-up — unless submits come in a burst, which
 * the I/O thread sends in batches (one write for many jobs). */
#define BURST_GAP_USEC 50

static gboolean
should_send_directly_locked (PpServer *self)
{
  gint64 now = g_get_monotonic_time ();
  gboolean burst = now - self->last_submit_time < BURST_GAP_USEC;

  self->last_submit_time = now;
  return !burst && self->sched.queue.length == 1 && _pp_local_pool_has_idle_locked (self->pool);
}

/* Cancellation ----------------------------------------------------------- */

typedef struct
{
  PpServer *server;
  PpJob    *job;
} CancelRunning;

static void
cancel_running_free (CancelRunning *cancel)
{
  g_mutex_lock (&cancel->server->sched.lock);
  _pp_scheduler_release_locked (&cancel->server->sched, cancel->job);
  g_mutex_unlock (&cancel->server->sched.lock);
  g_free (cancel);
}

/* On the I/O thread: has the node still holding a cancelled job stop it. */
static gboolean
stop_cancelled_cb (gpointer data)
{
  CancelRunning *cancel = data;
  PpServer *self = cancel->server;
  g_autoptr(PpNode) node = NULL;

  /* The job still names its node: it is cleared only when the node
   * answers it, or gives it back. The node is looked up among the live
   * ones, as the job does not reference it. */
  g_mutex_lock (&self->sched.lock);
  for (guint i = 0; i < self->nodes->len && node == NULL; i++)
    if (g_ptr_array_index (self->nodes, i) == (gpointer) _pp_job_get_node (cancel->job))
      node = g_object_ref (g_ptr_array_index (self->nodes, i));
  g_mutex_unlock (&self->sched.lock);

  if (node != NULL && PP_NODE_GET_CLASS (node)->stop_job != NULL)
    PP_NODE_GET_CLASS (node)->stop_job (node, cancel->job);
  return G_SOURCE_REMOVE;
}

static gboolean
cancel_job (gpointer  owner,
            PpJob    *job)
{
  PpServer *self = owner;
  gboolean cancelled, queued, held;

  g_mutex_lock (&self->sched.lock);
  held = _pp_job_get_node (job) != NULL;
  cancelled = _pp_job_finish_error (job, g_error_new (PP_ERROR, PP_ERROR_CANCELLED,
                                                      "Job %" G_GUINT64_FORMAT " was cancelled",
                                                      pp_job_get_id (job)));
  queued = cancelled && (g_queue_remove (&self->sched.queue, job) ||
                         _pp_scheduler_unhold_job_locked (&self->sched, job));
  if (cancelled)
    _pp_scheduler_job_done_locked (&self->sched, job);
  g_mutex_unlock (&self->sched.lock);

  if (!cancelled)
    return FALSE;
  if (queued)
    g_object_unref (job);
  else if (held)
    {
      /* A running Python function cannot be interrupted: replace its worker. */
      CancelRunning *cancel = g_new0 (CancelRunning, 1);
      GSource *source = g_idle_source_new ();

      cancel->server = self;
      cancel->job = g_object_ref (job);
      g_source_set_callback (source, stop_cancelled_cb, cancel,
                             (GDestroyNotify) cancel_running_free);
      g_source_attach (source, _pp_io_thread_get_context (self->io));
      g_source_unref (source);
    }
  return TRUE;
}

const PpJobOwnerFuncs _pp_server_job_owner_funcs = {
  cancel_job,
};

/* Holding a group ------------------------------------------------------- */

/* While @group is held, none of its jobs is handed out: the queued ones
 * wait aside, and the nodes give back those they hold but have not
 * started. Letting go puts them back in the queue, in order. */
void
_pp_server_hold_group (PpServer   *self,
                       const char *group,
                       gboolean    hold)
{
  gboolean changed = FALSE;

  g_mutex_lock (&self->sched.lock);
  if (self->destroyed || self->io == NULL)
    ;
  else if (!hold)
    changed = _pp_scheduler_let_go_locked (&self->sched, group);
  else if (_pp_scheduler_hold_locked (&self->sched, group))
    {
      for (guint i = 0; i < self->nodes->len; i++)
        {
          PpNode *node = g_ptr_array_index (self->nodes, i);

          if (PP_NODE_GET_CLASS (node)->recall_locked != NULL)
            PP_NODE_GET_CLASS (node)->recall_locked (node, &self->sched, group);
        }
      changed = TRUE;
    }
  g_mutex_unlock (&self->sched.lock);

  /* The I/O thread sends what was given back, and hands out other jobs. */
  if (changed)
    _pp_server_kick (self);
  _pp_scheduler_empty_graveyard (&self->sched);
}

/**
 * pp_server_submit:
 * @self: a #PpServer
 * @function: the function to run
 * @args: the arguments, encoded in @format (a pickled tuple, or a JSON array)
 * @format: how @args and the result are encoded
 * @group: (nullable): the job's group, `"default"` when %NULL
 * @error: return location for a #GError
 *
 * Queues a call of @function. The job starts as soon as a worker is free.
 *
 * Returns: (transfer full): the new job, or %NULL if the server was
 *   destroyed or @args is larger than [property@Pp.Server:max-payload-size]
 *
 * Since: 0.1
 */
PpJob *
pp_server_submit (PpServer         *self,
                  PpFunction       *function,
                  GBytes           *args,
                  PpPayloadFormat   format,
                  const char       *group,
                  GError          **error)
{
  PpJob *job;
  gboolean direct;

  g_return_val_if_fail (PP_IS_SERVER (self), NULL);
  g_return_val_if_fail (PP_IS_FUNCTION (function), NULL);
  g_return_val_if_fail (args != NULL, NULL);
  g_return_val_if_fail (format == PP_PAYLOAD_FORMAT_PICKLE || format == PP_PAYLOAD_FORMAT_JSON, NULL);

  if (g_bytes_get_size (args) > self->max_payload_size)
    {
      g_set_error (error, PP_ERROR, PP_ERROR_TOO_LARGE,
                   "Job arguments of %" G_GSIZE_FORMAT " bytes exceed the limit of %"
                   G_GUINT64_FORMAT " bytes", g_bytes_get_size (args), self->max_payload_size);
      return NULL;
    }
  if (group == NULL)
    group = "default";

  g_mutex_lock (&self->sched.lock);
  if (self->destroyed || self->io == NULL)
    {
      g_mutex_unlock (&self->sched.lock);
      g_set_error (error, PP_ERROR, PP_ERROR_DESTROYED, "The job server was destroyed");
      return NULL;
    }
  job = _pp_job_new (self->owner, _pp_scheduler_next_id_locked (&self->sched), function, args, format, group);
  _pp_scheduler_count_job_locked (&self->sched, group);
  _pp_scheduler_enqueue_locked (&self->sched, g_object_ref (job));
  if (self->pool->spawn_failures >= PP_LOCAL_POOL_MAX_SPAWN_FAILURES)
    self->pool->spawn_failures = 0;
  direct = should_send_directly_locked (self);
  if (direct)
    _pp_server_dispatch_and_flush_locked (self);
  g_mutex_unlock (&self->sched.lock);

  if (!direct)
    _pp_server_kick (self);
  _pp_scheduler_empty_graveyard (&self->sched);
  return job;
}

/**
 * pp_server_submit_data:
 * @self: a #PpServer
 * @function: the function to run
 * @data: (array length=length) (element-type guint8): the arguments,
 *   encoded in @format
 * @length: the length of @data
 * @format: how @data and the result are encoded
 * @group: (nullable): the job's group, `"default"` when %NULL
 * @error: return location for a #GError
 *
 * Like [method@Pp.Server.submit], with the arguments as a plain byte array
 * (which bindings pass more cheaply than a #GBytes).
 *
 * Returns: (transfer full): the new job, or %NULL on error
 *
 * Since: 0.1
 */
PpJob *
pp_server_submit_data (PpServer         *self,
                       PpFunction       *function,
                       const guint8     *data,
                       gsize             length,
                       PpPayloadFormat   format,
                       const char       *group,
                       GError          **error)
{
  g_autoptr(GBytes) args = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  args = g_bytes_new (data, length);
  return pp_server_submit (self, function, args, format, group, error);
}

/* json-glib parses recursively: deep nesting would exhaust the stack. */
#define MAX_JSON_DEPTH 512

/* The deepest nesting of arrays and objects, strings skipped. */
static guint
json_nesting_depth (const char *text)
{
  guint depth = 0, deepest = 0;
  gboolean in_string = FALSE;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (in_string)
        {
          if (*p == '\\' && p[1] != '\0')
            p++;
          else if (*p == '"')
            in_string = FALSE;
        }
      else if (*p == '"')
        in_string = TRUE;
      else if (*p == '[' || *p == '{')
        deepest = MAX (deepest, ++depth);
      else if ((*p == ']' || *p == '}') && depth > 0)
        depth--;
    }
  return deepest;
}

/* What pp_server_submit_json() takes: a JSON array, not nested too deep. */
gboolean
_pp_server_check_json_args (const char  *args_json,
                            GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) parse_error = NULL;
  JsonNode *root;

  /* JSON-GLib would read "[1][2]" as [1] (and leak [2]). */
  if (!_pp_flat_json_is_safe (args_json, strlen (args_json)))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                   "Job arguments must be one JSON array, such as [1, 2], with nothing after it "
                   "and no unpaired surrogate escape (\\ud800)");
      return FALSE;
    }
  if (json_nesting_depth (args_json) > MAX_JSON_DEPTH)
    {
      g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                   "Job arguments nest deeper than %d levels", MAX_JSON_DEPTH);
      return FALSE;
    }
  if (!json_parser_load_from_data (parser, args_json, -1, &parse_error))
    {
      /* JSON-GLib quotes the text it stopped at, a lone surrogate escape
       * ("\ud800") as the invalid UTF-8 it decodes it to. */
      g_autofree char *why = g_utf8_make_valid (parse_error->message, -1);

      g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                   "Job arguments are not valid JSON: %s", why);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                   "Job arguments must be a JSON array, such as [1, 2]");
      return FALSE;
    }
  return TRUE;
}

/**
 * pp_server_submit_json:
 * @self: a #PpServer
 * @function: the function to run
 * @args_json: the arguments as a JSON array, such as `"[1, 2]"`
 * @group: (nullable): the job's group, `"default"` when %NULL
 * @error: return location for a #GError
 *
 * Queues a call of @function with JSON arguments; its result will be JSON
 * too. Meant for C, GJS and scripting.
 *
 * Returns: (transfer full): the new job, or %NULL if @args_json is not a
 *   JSON array
 *
 * Since: 0.1
 */
PpJob *
pp_server_submit_json (PpServer    *self,
                       PpFunction  *function,
                       const char  *args_json,
                       const char  *group,
                       GError     **error)
{
  g_autoptr(GBytes) args = NULL;

  g_return_val_if_fail (PP_IS_SERVER (self), NULL);
  g_return_val_if_fail (args_json != NULL, NULL);

  if (!_pp_server_check_json_args (args_json, error))
    return NULL;
  args = g_bytes_new (args_json, strlen (args_json));
  return pp_server_submit (self, function, args, PP_PAYLOAD_FORMAT_JSON, group, error);
}

/**
 * pp_server_wait:
 * @self: a #PpServer
 * @group: (nullable): a group, or %NULL for all jobs
 * @cancellable: (nullable): a #GCancellable to stop waiting
 * @error: return location for a #GError
 *
 * Blocks until every job of @group (of the server, when %NULL) submitted so
 * far has finished, like pp's `wait()`. Needs no main loop.
 *
 * Returns: %TRUE, or %FALSE if @cancellable stopped the wait
 *
 * Since: 0.1
 */
gboolean
pp_server_wait (PpServer      *self,
                const char    *group,
                GCancellable  *cancellable,
                GError       **error)
{
  g_return_val_if_fail (PP_IS_SERVER (self), FALSE);

  return _pp_scheduler_wait (&self->sched, group, cancellable, error);
}

/**
 * pp_server_wait_timeout:
 * @self: a #PpServer
 * @group: (nullable): a group, or %NULL for all jobs
 * @timeout_usec: how long to wait at most, in microseconds
 *
 * Like [method@Pp.Server.wait], but gives up after @timeout_usec.
 *
 * Returns: %TRUE if every job of @group has finished
 *
 * Since: 0.1
 */
gboolean
pp_server_wait_timeout (PpServer   *self,
                        const char *group,
                        gint64      timeout_usec)
{
  g_return_val_if_fail (PP_IS_SERVER (self), FALSE);

  return _pp_scheduler_wait_timeout (&self->sched, group, timeout_usec);
}

/**
 * pp_server_get_active_jobs:
 * @self: a #PpServer
 * @group: (nullable): a group, or %NULL for all jobs
 *
 * Returns: the number of jobs of @group queued or running
 *
 * Since: 0.1
 */
guint
pp_server_get_active_jobs (PpServer   *self,
                           const char *group)
{
  g_return_val_if_fail (PP_IS_SERVER (self), 0);

  return _pp_scheduler_count_active (&self->sched, group);
}

/**
 * pp_server_get_queued_jobs:
 * @self: a #PpServer
 *
 * Returns: the number of jobs waiting for a worker
 *
 * Since: 0.1
 */
guint
pp_server_get_queued_jobs (PpServer *self)
{
  g_return_val_if_fail (PP_IS_SERVER (self), 0);

  return _pp_scheduler_count_queued (&self->sched);
}
