/* pp-job.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-error.h"
#include "pp-job-private.h"
#include "pp-job-wait-private.h"

/**
 * PpJob:
 *
 * One call of a [class@Pp.Function] submitted to a [class@Pp.Server].
 *
 * A job goes from %PP_JOB_STATE_QUEUED to %PP_JOB_STATE_RUNNING and ends
 * %PP_JOB_STATE_DONE, %PP_JOB_STATE_FAILED or %PP_JOB_STATE_CANCELLED. Wait
 * for it with [method@Pp.Job.wait] (blocking, no main loop needed) or
 * [method@Pp.Job.wait_async], then read [method@Pp.Job.dup_result].
 *
 * All methods are thread-safe.
 *
 * Since: 0.1
 */

enum {
  FINISHED,
  N_SIGNALS
};

enum {
  PROP_0,
  PROP_ID,
  PROP_GROUP,
  PROP_STATE,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (PpJob, pp_job, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
pp_job_finalize (GObject *object)
{
  PpJob *self = PP_JOB (object);

  g_assert (self->wait_tasks == NULL);

  g_clear_pointer (&self->group, g_free);
  g_clear_object (&self->function);
  g_clear_pointer (&self->owner, _pp_job_owner_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->args, g_bytes_unref);
  g_clear_pointer (&self->result, g_bytes_unref);
  g_clear_error (&self->error);
  g_clear_pointer (&self->exception_type, g_free);
  g_clear_pointer (&self->exception_message, g_free);
  g_clear_pointer (&self->traceback, g_free);
  g_clear_pointer (&self->output, g_free);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (pp_job_parent_class)->finalize (object);
}

static void
pp_job_get_property (GObject    *object,
                     guint       prop_id,
                     GValue     *value,
                     GParamSpec *pspec)
{
  PpJob *self = PP_JOB (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_uint64 (value, self->id);
      break;
    case PROP_GROUP:
      g_value_set_string (value, self->group);
      break;
    case PROP_STATE:
      g_value_set_enum (value, pp_job_get_state (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pp_job_class_init (PpJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pp_job_finalize;
  object_class->get_property = pp_job_get_property;

  /**
   * PpJob:id:
   *
   * The job's number, unique within its server.
   *
   * Since: 0.1
   */
  properties[PROP_ID] =
    g_param_spec_uint64 ("id", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * PpJob:group:
   *
   * The group the job was submitted in.
   *
   * Since: 0.1
   */
  properties[PROP_GROUP] =
    g_param_spec_string ("group", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * PpJob:state:
   *
   * The current state. It changes on the server's I/O thread, so no
   * notification is emitted; use [signal@Pp.Job::finished].
   *
   * Since: 0.1
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, PP_TYPE_JOB_STATE, PP_JOB_STATE_QUEUED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PpJob::finished:
   * @self: the job
   *
   * Emitted once the job has finished, in the thread-default main context
   * of the thread that submitted it. A handler connected after the job has
   * finished is not called: check [method@Pp.Job.is_finished] first, or use
   * [method@Pp.Job.wait_async].
   *
   * Since: 0.1
   */
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
pp_job_init (PpJob *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}

/* The owner handle ------------------------------------------------------ */

/* Lives in a g_atomic_rc_box. */
struct _PpJobOwner
{
  GMutex                 lock;
  GObject               *owner;
  const PpJobOwnerFuncs *funcs;
};

PpJobOwner *
_pp_job_owner_new (gpointer               owner,
                   const PpJobOwnerFuncs *funcs)
{
  PpJobOwner *self = g_atomic_rc_box_new0 (PpJobOwner);

  g_mutex_init (&self->lock);
  self->owner = owner;
  self->funcs = funcs;
  return self;
}

PpJobOwner *
_pp_job_owner_ref (PpJobOwner *self)
{
  return g_atomic_rc_box_acquire (self);
}

static void
job_owner_finalize (PpJobOwner *self)
{
  g_mutex_clear (&self->lock);
}

void
_pp_job_owner_unref (PpJobOwner *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) job_owner_finalize);
}

gpointer
_pp_job_owner_dup (PpJobOwner *self)
{
  GObject *owner;

  g_mutex_lock (&self->lock);
  owner = self->owner ? g_object_ref (self->owner) : NULL;
  g_mutex_unlock (&self->lock);
  return owner;
}

void
_pp_job_owner_clear (PpJobOwner *self)
{
  g_mutex_lock (&self->lock);
  self->owner = NULL;
  g_mutex_unlock (&self->lock);
}

/* The job --------------------------------------------------------------- */

PpJob *
_pp_job_new (PpJobOwner      *owner,
             guint64          id,
             PpFunction      *function,
             GBytes          *args,
             PpPayloadFormat  format,
             const char      *group)
{
  PpJob *self = g_object_new (PP_TYPE_JOB, NULL);

  self->id = id;
  self->function = g_object_ref (function);
  self->args = g_bytes_ref (args);
  self->format = format;
  self->group = g_strdup (group);
  self->context = g_main_context_ref_thread_default ();
  self->submit_time = g_get_monotonic_time ();
  /* No owner: a job of the scheduler's tests. */
  self->owner = owner ? _pp_job_owner_ref (owner) : NULL;

  return self;
}

GBytes *
_pp_job_get_args (PpJob *self)
{
  GBytes *args;

  g_mutex_lock (&self->lock);
  args = self->args ? g_bytes_ref (self->args) : NULL;
  g_mutex_unlock (&self->lock);

  return args;
}

void
_pp_job_set_running (PpJob      *self,
                     const char *node)
{
  g_mutex_lock (&self->lock);
  if (self->state == PP_JOB_STATE_QUEUED)
    {
      self->state = PP_JOB_STATE_RUNNING;
      self->node = g_intern_string (node);
      self->start_time = g_get_monotonic_time ();
    }
  g_mutex_unlock (&self->lock);
}

void
_pp_job_set_queued (PpJob *self)
{
  g_mutex_lock (&self->lock);
  if (self->state == PP_JOB_STATE_RUNNING)
    self->state = PP_JOB_STATE_QUEUED;
  g_mutex_unlock (&self->lock);
}

guint
_pp_job_add_attempt (PpJob *self)
{
  guint attempts;

  g_mutex_lock (&self->lock);
  attempts = ++self->attempts;
  g_mutex_unlock (&self->lock);

  return attempts;
}

PpNode *
_pp_job_get_node (PpJob *self)
{
  return self->holder_node;
}

PpWorker *
_pp_job_get_worker (PpJob *self)
{
  return self->holder_worker;
}

void
_pp_job_set_holder (PpJob    *self,
                    PpNode   *node,
                    PpWorker *worker)
{
  self->holder_node = node;
  self->holder_worker = worker;
}

static gboolean
emit_finished_cb (gpointer data)
{
  g_signal_emit (data, signals[FINISHED], 0);
  return G_SOURCE_REMOVE;
}

void
_pp_job_outcome_clear (PpJobOutcome *outcome)
{
  g_clear_error (&outcome->error);
  g_clear_pointer (&outcome->output, g_free);
}

gboolean
_pp_job_finish (PpJob        *self,
                PpJobOutcome *outcome)
{
  g_autoptr(GError) task_error = NULL;
  PpJobState state = outcome->state;
  double run_time = outcome->run_time;
  GSList *tasks;

  g_return_val_if_fail (state >= PP_JOB_STATE_DONE, FALSE);
  g_return_val_if_fail ((state == PP_JOB_STATE_DONE) == (outcome->error == NULL), FALSE);

  g_mutex_lock (&self->lock);
  if (self->state >= PP_JOB_STATE_DONE)
    {
      g_mutex_unlock (&self->lock);
      _pp_job_outcome_clear (outcome);
      return FALSE;
    }
  self->result = outcome->result ? g_bytes_ref (outcome->result) : NULL;
  self->error = g_steal_pointer (&outcome->error);
  self->output = g_steal_pointer (&outcome->output);
  self->exception_type = g_strdup (outcome->exception_type);
  self->exception_message = g_strdup (outcome->exception_message);
  self->traceback = g_strdup (outcome->traceback);
  self->end_time = g_get_monotonic_time ();
  if (self->start_time == 0)
    self->start_time = self->end_time;
  self->run_time = run_time >= 0 ? run_time : (self->end_time - self->start_time) / (double) G_USEC_PER_SEC;
  g_clear_pointer (&self->args, g_bytes_unref);
  /* Last, so that a spinning waiter sees every field set. */
  g_atomic_int_set ((int *) &self->state, state);
  tasks = g_steal_pointer (&self->wait_tasks);
  task_error = self->error ? g_error_copy (self->error) : NULL;
  g_mutex_unlock (&self->lock);
  /* After unlocking, so that a woken waiter does not block on the mutex. */
  g_cond_broadcast (&self->cond);

  _pp_job_return_wait_tasks (tasks, task_error);
  if (g_signal_has_handler_pending (self, signals[FINISHED], 0, TRUE))
    g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, emit_finished_cb,
                                g_object_ref (self), g_object_unref);

  return TRUE;
}

gboolean
_pp_job_finish_error (PpJob  *self,
                      GError *error)
{
  PpJobOutcome outcome = {
    .state = g_error_matches (error, PP_ERROR, PP_ERROR_CANCELLED)
             ? PP_JOB_STATE_CANCELLED : PP_JOB_STATE_FAILED,
    .error = error,
    .run_time = -1,
  };

  return _pp_job_finish (self, &outcome);
}

/**
 * pp_job_get_id:
 * @self: a #PpJob
 *
 * Returns: the job's number, unique within its server
 *
 * Since: 0.1
 */
guint64
pp_job_get_id (PpJob *self)
{
  g_return_val_if_fail (PP_IS_JOB (self), 0);
  return self->id;
}

/**
 * pp_job_get_group:
 * @self: a #PpJob
 *
 * Returns: (transfer none): the group the job belongs to
 *
 * Since: 0.1
 */
const char *
pp_job_get_group (PpJob *self)
{
  g_return_val_if_fail (PP_IS_JOB (self), NULL);
  return self->group;
}

/**
 * pp_job_get_function:
 * @self: a #PpJob
 *
 * Returns: (transfer none): the function the job runs
 *
 * Since: 0.1
 */
PpFunction *
pp_job_get_function (PpJob *self)
{
  g_return_val_if_fail (PP_IS_JOB (self), NULL);
  return self->function;
}

/**
 * pp_job_get_state:
 * @self: a #PpJob
 *
 * Returns: the job's state at the time of the call
 *
 * Since: 0.1
 */
PpJobState
pp_job_get_state (PpJob *self)
{
  PpJobState state;

  g_return_val_if_fail (PP_IS_JOB (self), PP_JOB_STATE_QUEUED);

  g_mutex_lock (&self->lock);
  state = self->state;
  g_mutex_unlock (&self->lock);

  return state;
}

/**
 * pp_job_is_finished:
 * @self: a #PpJob
 *
 * Returns: %TRUE once the job is done, failed or cancelled
 *
 * Since: 0.1
 */
gboolean
pp_job_is_finished (PpJob *self)
{
  return pp_job_get_state (self) >= PP_JOB_STATE_DONE;
}

/**
 * pp_job_dup_node:
 * @self: a #PpJob
 *
 * Gets the node that ran (or runs) the job: `"local"` for the local pool.
 *
 * Returns: (transfer full) (nullable): the node's name, %NULL while queued
 *
 * Since: 0.1
 */
char *
pp_job_dup_node (PpJob *self)
{
  char *node;

  g_return_val_if_fail (PP_IS_JOB (self), NULL);

  g_mutex_lock (&self->lock);
  node = g_strdup (self->node);
  g_mutex_unlock (&self->lock);

  return node;
}

/**
 * pp_job_propagate_error:
 * @self: a #PpJob
 * @error: return location for the job's error
 *
 * Copies the job's error, if it finished with one, into @error.
 *
 * Returns: %TRUE if the job has not failed (it may still be running)
 *
 * Since: 0.1
 */
gboolean
pp_job_propagate_error (PpJob   *self,
                        GError **error)
{
  gboolean ok;

  g_return_val_if_fail (PP_IS_JOB (self), FALSE);

  g_mutex_lock (&self->lock);
  ok = self->error == NULL;
  if (!ok)
    g_propagate_error (error, g_error_copy (self->error));
  g_mutex_unlock (&self->lock);

  return ok;
}

/**
 * pp_job_cancel:
 * @self: a #PpJob
 *
 * Cancels the job. A queued job is taken off the queue; a running job's
 * worker is stopped (and replaced) so the core is free at once. The job
 * fails with %PP_ERROR_CANCELLED.
 *
 * Returns: %TRUE if the job was cancelled, %FALSE if it had already finished
 *
 * Since: 0.1
 */
gboolean
pp_job_cancel (PpJob *self)
{
  g_autoptr(GObject) owner = NULL;

  g_return_val_if_fail (PP_IS_JOB (self), FALSE);

  if (pp_job_is_finished (self))
    return FALSE;
  owner = self->owner ? _pp_job_owner_dup (self->owner) : NULL;
  if (owner == NULL)
    return FALSE;

  return self->owner->funcs->cancel (owner, self);
}

/**
 * pp_job_dup_result:
 * @self: a #PpJob
 *
 * Gets the job's result, encoded in [method@Pp.Job.get_format]. When the
 * job failed with %PP_ERROR_JOB_RAISED these are the bytes of the exception
 * (pickled, for pickle jobs) when the worker could encode it.
 *
 * Returns: (transfer full) (nullable): the result, %NULL while the job runs
 *
 * Since: 0.1
 */
GBytes *
pp_job_dup_result (PpJob *self)
{
  GBytes *result;

  g_return_val_if_fail (PP_IS_JOB (self), NULL);

  g_mutex_lock (&self->lock);
  result = self->result ? g_bytes_ref (self->result) : NULL;
  g_mutex_unlock (&self->lock);

  return result;
}

/**
 * pp_job_get_format:
 * @self: a #PpJob
 *
 * Returns: how the job's arguments and result are encoded
 *
 * Since: 0.1
 */
PpPayloadFormat
pp_job_get_format (PpJob *self)
{
  g_return_val_if_fail (PP_IS_JOB (self), PP_PAYLOAD_FORMAT_PICKLE);
  return self->format;
}

static char *
dup_string_locked (PpJob       *self,
                   char *const *field)
{
  char *copy;

  g_mutex_lock (&self->lock);
  copy = g_strdup (*field);
  g_mutex_unlock (&self->lock);

  return copy;
}

/**
 * pp_job_dup_exception_type:
 * @self: a #PpJob
 *
 * Returns: (transfer full) (nullable): the name of the exception the job's
 *   function raised (`"ValueError"`), or %NULL
 *
 * Since: 0.1
 */
char *
pp_job_dup_exception_type (PpJob *self)
{
  g_return_val_if_fail (PP_IS_JOB (self), NULL);
  return dup_string_locked (self, &self->exception_type);
}

/**
 * pp_job_dup_exception_message:
 * @self: a #PpJob
 *
 * Returns: (transfer full) (nullable): the message of the exception the
 *   job's function raised (`str()` of it), or %NULL
 *
 * Since: 0.1
 */
char *
pp_job_dup_exception_message (PpJob *self)
{
  g_return_val_if_fail (PP_IS_JOB (self), NULL);
  return dup_string_locked (self, &self->exception_message);
}

/**
 * pp_job_dup_traceback:
 * @self: a #PpJob
 *
 * Returns: (transfer full) (nullable): the formatted remote traceback of the
 *   exception the job raised, or %NULL
 *
 * Since: 0.1
 */
char *
pp_job_dup_traceback (PpJob *self)
{
  g_return_val_if_fail (PP_IS_JOB (self), NULL);
  return dup_string_locked (self, &self->traceback);
}

/**
 * pp_job_dup_output:
 * @self: a #PpJob
 *
 * Gets what the job printed to `sys.stdout` and `sys.stderr`, captured on
 * the worker.
 *
 * Returns: (transfer full) (nullable): the output, %NULL when there was none
 *
 * Since: 0.1
 */
char *
pp_job_dup_output (PpJob *self)
{
  g_return_val_if_fail (PP_IS_JOB (self), NULL);
  return dup_string_locked (self, &self->output);
}

/**
 * pp_job_get_wait_time:
 * @self: a #PpJob
 *
 * Returns: seconds the job spent queued (so far, if it still is)
 *
 * Since: 0.1
 */
double
pp_job_get_wait_time (PpJob *self)
{
  gint64 start;

  g_return_val_if_fail (PP_IS_JOB (self), 0);

  g_mutex_lock (&self->lock);
  start = self->start_time ? self->start_time : g_get_monotonic_time ();
  g_mutex_unlock (&self->lock);

  return (start - self->submit_time) / (double) G_USEC_PER_SEC;
}

/**
 * pp_job_get_run_time:
 * @self: a #PpJob
 *
 * Returns: seconds the job's function ran on its worker, 0 until it finished
 *
 * Since: 0.1
 */
double
pp_job_get_run_time (PpJob *self)
{
  double run_time;

  g_return_val_if_fail (PP_IS_JOB (self), 0);

  g_mutex_lock (&self->lock);
  run_time = self->run_time;
  g_mutex_unlock (&self->lock);

  return run_time;
}

/**
 * pp_job_get_attempts:
 * @self: a #PpJob
 *
 * Returns: how many workers started the job (more than 1 after a crash)
 *
 * Since: 0.1
 */
guint
pp_job_get_attempts (PpJob *self)
{
  guint attempts;

  g_return_val_if_fail (PP_IS_JOB (self), 0);

  g_mutex_lock (&self->lock);
  attempts = self->attempts;
  g_mutex_unlock (&self->lock);

  return attempts;
}

int
_pp_job_compare_ids (gconstpointer a,
                     gconstpointer b)
{
  guint64 ia = pp_job_get_id (*(PpJob **) a);
  guint64 ib = pp_job_get_id (*(PpJob **) b);

  return ia < ib ? -1 : ia > ib;
}
