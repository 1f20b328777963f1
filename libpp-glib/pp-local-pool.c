/* pp-local-pool.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "pp-error.h"
#include "pp-function-private.h"
#include "pp-io-thread-private.h"
#include "pp-job.h"
#include "pp-job-private.h"
#include "pp-local-pool-private.h"
#include "pp-messages-private.h"
#include "pp-worker-private.h"

/* Pipelining: a worker may hold jobs worth this many seconds, as estimated
 * from their function's average run time, up to PP_SCHEDULER_PREFETCH_MAX
 * jobs. */
#define PREFETCH_SECONDS 0.002

/* A worker answers "undefined" at most once for each job it held when it
 * evicted the definitions they use (the job then goes again, right after
 * its "def"): more in a row means it keeps losing them. */
#define MAX_UNDEFINED_IN_A_ROW (2 * PP_SCHEDULER_PREFETCH_MAX + 2)

/* What the pool knows of one of its workers, beside the PpWorker (the
 * process and its socket), which points back here with its user data. All
 * fields but @worker and @pool are under the scheduler's lock. */
typedef struct
{
  PpWorker    *worker;
  PpLocalPool *pool;
  GQueue       in_flight;
  GHashTable  *defined;       /* keys sent in a "def" */
  guint        undefined_in_a_row;
  gboolean     said_hello;
  gboolean     retiring;
  gboolean     stopped;       /* by the pool (a cancelled job): no start-up failure */
  guint64      jobs_done;
  double       busy_time;
} WorkerSlot;

static void worker_frame_cb (PpWorker *worker, PpFrame *frame, gpointer data);
static void worker_batch_done_cb (PpWorker *worker, gpointer data);
static void worker_died_cb (PpWorker *worker, const char *reason, gpointer data);

static const PpWorkerCallbacks worker_callbacks = {
  worker_frame_cb,
  worker_batch_done_cb,
  worker_died_cb,
};

G_DEFINE_FINAL_TYPE (PpLocalPool, pp_local_pool, PP_TYPE_NODE)

PpLocalPool *
_pp_local_pool_new (void)
{
  PpLocalPool *self = g_object_new (PP_TYPE_LOCAL_POOL, NULL);

  _pp_node_set_identity (PP_NODE (self), PP_LOCAL_NODE_NAME, TRUE, NULL, 0, FALSE);
  return self;
}

void
_pp_local_pool_setup (PpLocalPool             *self,
                      const PpLocalPoolConfig *config,
                      PpScheduler             *sched,
                      const PpNodeHost        *host,
                      gpointer                 host_data)
{
  g_assert (self->sched == NULL);
  self->config.python = g_strdup (config->python);
  self->config.runner = g_strdup (config->runner);
  self->config.working_directory = g_strdup (config->working_directory);
  self->config.python_path = g_strdupv (config->python_path);
  self->config.max_body = config->max_body;
  self->config.context = g_main_context_ref (config->context);
  self->sched = sched;
  self->host = host;
  self->host_data = host_data;
}

/* The job @worker runs: the head of what it holds, unless that finished
 * (a stolen job the worker has yet to skip). */
static PpJob *
running_job (WorkerSlot *slot)
{
  PpJob *head = g_queue_peek_head (&slot->in_flight);

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
count_held (WorkerSlot *slot)
{
  guint held = 0;

  if (slot->in_flight.head == NULL)
    return 0;
  for (GList *l = slot->in_flight.head->next; l != NULL; l = l->next)
    held += !pp_job_is_finished (l->data) && _pp_job_get_worker (l->data) == slot->worker;
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
worker_state (WorkerSlot *slot)
{
  if (!slot->said_hello)
    return "starting";
  return running_job (slot) != NULL ? "busy" : "idle";
}

static GVariant *
pp_local_pool_dup_workers_locked (PpNode *node)
{
  PpLocalPool *self = PP_LOCAL_POOL (node);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < self->workers->len; i++)
    {
      WorkerSlot *slot = g_ptr_array_index (self->workers, i);
      PpJob *job = running_job (slot);

      if (slot->worker->dead)
        continue;
      g_variant_builder_open (&builder, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&builder, "{sv}", "pid", g_variant_new_uint32 (slot->worker->pid));
      g_variant_builder_add (&builder, "{sv}", "state", g_variant_new_string (worker_state (slot)));
      g_variant_builder_add (&builder, "{sv}", "job",
                             g_variant_new_uint64 (job ? pp_job_get_id (job) : 0));
      g_variant_builder_add (&builder, "{sv}", "function",
                             g_variant_new_string (job ? pp_function_get_name (pp_job_get_function (job))
                                                       : ""));
      g_variant_builder_add (&builder, "{sv}", "jobs-done", g_variant_new_uint64 (slot->jobs_done));
      g_variant_builder_add (&builder, "{sv}", "busy-time", g_variant_new_double (slot->busy_time));
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
      WorkerSlot *slot = g_ptr_array_index (self->workers, i);
      PpJob *job = running_job (slot);

      if (slot->worker->dead)
        continue;
      g_variant_builder_add (&builder, "(ustud)", (guint32) slot->worker->pid, worker_state (slot),
                             (guint64) (slot->said_hello && job ? pp_job_get_id (job) : 0),
                             (guint32) MIN (slot->jobs_done, G_MAXUINT32), slot->busy_time);
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* Adds to @jobs (a reference each) the unfinished jobs of @group that the
 * workers hold, running or next in line. */
void
_pp_local_pool_collect_group_locked (PpLocalPool *self,
                                     const char  *group,
                                     GPtrArray   *jobs)
{
  for (guint i = 0; i < self->workers->len; i++)
    {
      WorkerSlot *slot = g_ptr_array_index (self->workers, i);

      for (GList *l = slot->in_flight.head; l != NULL; l = l->next)
        if (!pp_job_is_finished (l->data) && g_str_equal (pp_job_get_group (l->data), group))
          g_ptr_array_add (jobs, g_object_ref (l->data));
    }
}

PpJob *
_pp_local_pool_find_job_locked (PpLocalPool *self,
                                guint64      id)
{
  for (guint i = 0; i < self->workers->len; i++)
    {
      WorkerSlot *slot = g_ptr_array_index (self->workers, i);

      for (GList *l = slot->in_flight.head; l != NULL; l = l->next)
        if (pp_job_get_id (l->data) == id && !pp_job_is_finished (l->data))
          return l->data;
    }
  return NULL;
}

/* Scheduling ------------------------------------------------------------- */

guint
_pp_local_pool_count_live_locked (PpLocalPool *self)
{
  guint live = 0;

  for (guint i = 0; i < self->workers->len; i++)
    {
      WorkerSlot *slot = g_ptr_array_index (self->workers, i);

      if (!slot->worker->dead && !slot->retiring)
        live++;
    }
  return live;
}

gboolean
_pp_local_pool_has_idle_locked (PpLocalPool *self)
{
  for (guint i = 0; i < self->workers->len; i++)
    {
      WorkerSlot *slot = g_ptr_array_index (self->workers, i);

      if (!slot->worker->dead && !slot->retiring && g_queue_is_empty (&slot->in_flight))
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
                 WorkerSlot  *slot,
                 PpJob       *job)
{
  guint held = slot->in_flight.length;
  double avg;

  if (slot->worker->dead || slot->retiring)
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
                    WorkerSlot  *slot)
{
  PpJob *job = _pp_scheduler_peek_locked (sched);

  if (job == NULL || !worker_can_take (self, slot, job))
    return FALSE;

  _pp_scheduler_hand_out_locked (sched, job, (PpNode *) self, slot->worker);
  g_queue_push_tail (&slot->in_flight, job);
  if (slot->in_flight.length == 1)
    _pp_scheduler_started_locked (sched, job, slot->worker->pid);
  _pp_message_append_job (_pp_worker_get_out (slot->worker), slot->defined, job);
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
      WorkerSlot *slot = g_ptr_array_index (self->workers, i);

      if (!idle_only || g_queue_is_empty (&slot->in_flight))
        progress |= assign_next_locked (self, sched, slot);
    }
  return progress;
}

/* The last job @worker holds but has not started, unless it was stolen. */
static PpJob *
find_stealable (WorkerSlot *slot)
{
  for (GList *l = slot->in_flight.tail; l != NULL && l != slot->in_flight.head; l = l->prev)
    {
      PpJob *job = l->data;

      if (_pp_job_get_worker (job) == slot->worker && !pp_job_is_finished (job))
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
      WorkerSlot *thief = g_ptr_array_index (self->workers, i);
      WorkerSlot *victim = NULL;
      PpJob *job;

      if (thief->worker->dead || thief->retiring || !g_queue_is_empty (&thief->in_flight))
        continue;
      for (guint j = 0; j < self->workers->len; j++)
        {
          WorkerSlot *other = g_ptr_array_index (self->workers, j);

          if (!other->worker->dead && other->in_flight.length > 1 &&
              (victim == NULL || other->in_flight.length > victim->in_flight.length))
            victim = other;
        }
      if (victim == NULL || (job = find_stealable (victim)) == NULL)
        return;
      _pp_message_append_skip (_pp_worker_get_out (victim->worker), pp_job_get_id (job));
      _pp_job_set_holder (job, node, thief->worker);
      g_queue_push_tail (&thief->in_flight, g_object_ref (job));
      _pp_scheduler_started_locked (sched, job, thief->worker->pid);
      _pp_message_append_job (_pp_worker_get_out (thief->worker), thief->defined, job);
    }
}

/* @group is held: each worker is told to skip the jobs of @group it holds
 * but has not started, which go back to @sched (as stolen ones, they stay
 * in the worker's in-flight list until it answers "skipped"). */
static void
pp_local_pool_recall_locked (PpNode      *node,
                             PpScheduler *sched,
                             const char  *group)
{
  PpLocalPool *self = (PpLocalPool *) node;

  for (guint i = 0; i < self->workers->len; i++)
    {
      WorkerSlot *slot = g_ptr_array_index (self->workers, i);

      if (slot->worker->dead || slot->in_flight.head == NULL)
        continue;
      for (GList *l = slot->in_flight.head->next; l != NULL; l = l->next)
        {
          PpJob *job = l->data;

          if (_pp_job_get_worker (job) != slot->worker || pp_job_is_finished (job) ||
              strcmp (pp_job_get_group (job), group) != 0)
            continue;
          _pp_message_append_skip (_pp_worker_get_out (slot->worker), pp_job_get_id (job));
          _pp_job_set_holder (job, NULL, NULL);
          _pp_job_set_queued (job);
          _pp_scheduler_hold_job_locked (sched, g_object_ref (job));
        }
    }
}

static void
pp_local_pool_flush_locked (PpNode *node)
{
  PpLocalPool *self = (PpLocalPool *) node;

  for (guint i = 0; i < self->workers->len; i++)
    _pp_worker_flush_locked (((WorkerSlot *) g_ptr_array_index (self->workers, i))->worker);
}

/* Workers: spawn, results, retirement, death --------------------------- */

static void
send_env (PpLocalPool *self,
          WorkerSlot  *slot)
{
  g_autoptr(JsonObject) header = json_object_new ();
  JsonArray *path = json_array_new ();

  json_object_set_string_member (header, "t", "env");
  if (self->config.working_directory != NULL)
    json_object_set_string_member (header, "cwd", self->config.working_directory);
  for (guint i = 0; self->config.python_path != NULL && self->config.python_path[i] != NULL; i++)
    json_array_add_string_element (path, self->config.python_path[i]);
  json_object_set_array_member (header, "path", path);
  _pp_frame_append_json (_pp_worker_get_out (slot->worker), header, NULL, 0);
}

/* On the I/O thread only: a worker is killed when the thread that spawned
 * it exits (PR_SET_PDEATHSIG), and this one outlives the workers. */
static gboolean
spawn_worker_locked (PpLocalPool *self)
{
  g_autoptr(GError) error = NULL;
  WorkerSlot *slot = g_new0 (WorkerSlot, 1);

  slot->pool = self;
  slot->worker = _pp_worker_spawn (++self->next_worker_number, self->config.python,
                                   self->config.runner, self->config.working_directory,
                                   self->config.max_body, self->config.context,
                                   &self->sched->lock, &worker_callbacks, slot, &error);
  if (slot->worker == NULL)
    {
      g_warning ("Cannot start a worker: %s", error->message);
      self->spawn_failures++;
      g_free (slot);
      return FALSE;
    }
  g_queue_init (&slot->in_flight);
  slot->defined = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  send_env (self, slot);
  g_ptr_array_add (self->workers, slot);
  return TRUE;
}

static void
worker_slot_free (WorkerSlot *slot)
{
  g_assert (g_queue_is_empty (&slot->in_flight));
  _pp_worker_free (slot->worker);
  g_hash_table_unref (slot->defined);
  g_free (slot);
}

static void
retire_worker_locked (WorkerSlot *slot)
{
  slot->retiring = TRUE;
  if (g_queue_is_empty (&slot->in_flight))
    _pp_worker_close (slot->worker);
}

/* Grows or shrinks the pool to its target. Shrinking retires idle workers
 * first; a busy one finishes what it holds before it exits. */
void
_pp_local_pool_reconcile_locked (PpLocalPool *self)
{
  guint live = _pp_local_pool_count_live_locked (self);

  while (live < self->target && self->spawn_failures < PP_LOCAL_POOL_MAX_SPAWN_FAILURES &&
         spawn_worker_locked (self))
    live++;

  for (guint pass = 0; pass < 2 && live > self->target; pass++)
    for (guint i = self->workers->len; i > 0 && live > self->target; i--)
      {
        WorkerSlot *slot = g_ptr_array_index (self->workers, i - 1);
        gboolean idle = g_queue_is_empty (&slot->in_flight);

        if (slot->worker->dead || slot->retiring || (pass == 0 && !idle))
          continue;
        retire_worker_locked (slot);
        live--;
      }
}

/* The worker moves on to the next job it holds. */
static void
next_started_locked (PpLocalPool *self,
                     WorkerSlot  *slot)
{
  PpJob *next = g_queue_peek_head (&slot->in_flight);

  if (next != NULL && !pp_job_is_finished (next) && _pp_job_get_worker (next) == slot->worker)
    _pp_scheduler_started_locked (self->sched, next, slot->worker->pid);
}

/* The worker answered @job (just taken from its in-flight list) with
 * "undefined": it evicted the definition. It is forgotten there, and the
 * job goes to the back of the worker's pipeline again, right after the
 * "def", unless it finished or another worker took it. Returns whether the
 * worker still holds @job. */
static gboolean
redefine_locked (WorkerSlot *slot,
                 PpJob      *job)
{
  const char *key = pp_function_get_key (pp_job_get_function (job));

  g_hash_table_remove (slot->defined, key);
  if (pp_job_is_finished (job) || _pp_job_get_worker (job) != slot->worker)
    return FALSE;
  g_queue_push_tail (&slot->in_flight, job);
  _pp_message_append_job (_pp_worker_get_out (slot->worker), slot->defined, job);
  return TRUE;
}

static void
handle_result (PpLocalPool *self,
               WorkerSlot  *slot,
               PpFrame     *frame)
{
  PpJob *job = g_queue_peek_head (&slot->in_flight);
  g_autoptr(GError) error = NULL;
  gboolean undefined, failed = FALSE;
  double run_time;
  gint64 id;

  if (!_pp_message_check_result (frame, &id, &error))
    {
      g_autofree char *reason = g_strdup_printf ("sent a malformed result (%s)", error->message);

      _pp_worker_kill (slot->worker, reason);
      return;
    }
  run_time = MAX (_pp_message_get_run_time (frame), 0);
  undefined = _pp_message_get_flag (frame, "undefined");
  if (job == NULL || (guint64) id != pp_job_get_id (job))
    {
      _pp_worker_kill (slot->worker, "answered a job it was not given");
      return;
    }
  slot->undefined_in_a_row = undefined ? slot->undefined_in_a_row + 1 : 0;
  if (slot->undefined_in_a_row > MAX_UNDEFINED_IN_A_ROW)
    {
      _pp_worker_kill (slot->worker, "keeps losing the functions it was just given");
      return;
    }

  g_mutex_lock (&self->sched->lock);
  g_queue_pop_head (&slot->in_flight);
  if (undefined && redefine_locked (slot, job))
    {
      next_started_locked (self, slot);
      g_mutex_unlock (&self->sched->lock);
      return;
    }
  if (_pp_job_get_worker (job) == slot->worker)
    _pp_job_set_holder (job, NULL, NULL);
  if (!undefined && !_pp_message_get_flag (frame, "skipped") && _pp_node_finish_job (job, frame, &failed))
    {
      _pp_scheduler_job_done_locked (self->sched, job);
      slot->jobs_done++;
      slot->busy_time += run_time;
      self->njobs++;
      self->nfailed += failed;
      self->time_sum += run_time;
    }
  self->host->changed_locked (self->host_data);
  next_started_locked (self, slot);
  if (self->restart)
    slot->retiring = TRUE;
  if (slot->retiring && g_queue_is_empty (&slot->in_flight))
    {
      _pp_worker_close (slot->worker);
      self->host->kick (self->host_data);
    }
  _pp_scheduler_release_locked (self->sched, job);
  g_mutex_unlock (&self->sched->lock);
}

/* After each read, hand out jobs to the workers that freed up. */
static void
worker_batch_done_cb (PpWorker *worker,
                      gpointer  data)
{
  WorkerSlot *slot = data;
  PpLocalPool *self = slot->pool;

  g_mutex_lock (&self->sched->lock);
  self->host->dispatch_locked (self->host_data);
  g_mutex_unlock (&self->sched->lock);
}

static void
worker_frame_cb (PpWorker *worker,
                 PpFrame  *frame,
                 gpointer  data)
{
  WorkerSlot *slot = data;
  PpLocalPool *self = slot->pool;
  g_autoptr(PpFrame) owned G_GNUC_UNUSED = frame;
  const char *type = _pp_frame_get_type (frame);

  if (g_strcmp0 (type, "res") == 0)
    handle_result (self, slot, frame);
  else if (g_strcmp0 (type, "hello") == 0)
    {
      g_mutex_lock (&self->sched->lock);
      slot->said_hello = TRUE;
      self->spawn_failures = 0;
      g_mutex_unlock (&self->sched->lock);
    }
  else
    _pp_worker_kill (slot->worker, "sent a frame of unknown type");
}

static GError *
crash_error (WorkerSlot *slot,
             PpJob      *job,
             const char *reason)
{
  return g_error_new (PP_ERROR, PP_ERROR_WORKER_CRASHED,
                      "Worker process %d %s while running job %" G_GUINT64_FORMAT
                      " (%s); it was retried on a fresh worker, which died too",
                      slot->worker->pid, reason, pp_job_get_id (job),
                      pp_function_get_name (pp_job_get_function (job)));
}

/* Takes back a dead worker's jobs. The one it was running (the oldest, if
 * the worker ever started) uses up one attempt. */
static void
requeue_jobs_locked (PpLocalPool *self,
                     WorkerSlot *slot,
                     const char *reason)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new ();
  PpJob *charged = slot->said_hello ? g_queue_peek_head (&slot->in_flight) : NULL;

  for (PpJob *job; (job = g_queue_pop_head (&slot->in_flight)) != NULL;)
    g_ptr_array_add (jobs, job);
  _pp_scheduler_take_back_locked (self->sched, (PpNode *) self, slot->worker, jobs, charged,
                    charged ? crash_error (slot, charged, reason) : NULL, &self->nfailed);
}

static GError *
spawn_failure_error (PpLocalPool *self,
                     const char *reason)
{
  return g_error_new (PP_ERROR, PP_ERROR_NO_INTERPRETER,
                      "Workers exit at start-up (%s -u %s): the last one %s",
                      self->config.python, self->config.runner, reason);
}

static void
worker_died_cb (PpWorker   *worker,
                const char *reason,
                gpointer    data)
{
  WorkerSlot *slot = data;
  PpLocalPool *self = slot->pool;
  GQueue doomed = G_QUEUE_INIT;
  gboolean expected;

  g_mutex_lock (&self->sched->lock);
  expected = slot->retiring && g_queue_is_empty (&slot->in_flight);
  if (!slot->said_hello && !expected && !slot->stopped)
    self->spawn_failures++;
  requeue_jobs_locked (self, slot, reason);
  if (self->spawn_failures >= PP_LOCAL_POOL_MAX_SPAWN_FAILURES)
    doomed = self->sched->queue, g_queue_init (&self->sched->queue);
  g_ptr_array_remove (self->workers, slot);
  for (PpJob *job; (job = g_queue_pop_head (&doomed)) != NULL; _pp_scheduler_release_locked (self->sched, job))
    _pp_scheduler_fail_job_locked (self->sched, job, spawn_failure_error (self, reason));
  self->host->changed_locked (self->host_data);
  g_mutex_unlock (&self->sched->lock);

  if (!expected)
    g_debug ("Worker %d %s", worker->pid, reason);
  /* Freed once the frame that reported the death is unwound (or with the
   * context, if the thread stops first). */
  _pp_free_later (self->config.context, slot, (GDestroyNotify) worker_slot_free);
  self->host->kick (self->host_data);
}

void
_pp_local_pool_stop_workers (PpLocalPool  *self,
                             GError      *(*make_error) (PpJob *job))
{
  g_autoptr(GPtrArray) workers = NULL;

  g_mutex_lock (&self->sched->lock);
  workers = g_steal_pointer (&self->workers);
  self->workers = g_ptr_array_new ();
  g_mutex_unlock (&self->sched->lock);

  for (guint i = 0; i < workers->len; i++)
    {
      WorkerSlot *slot = g_ptr_array_index (workers, i);

      g_mutex_lock (&self->sched->lock);
      for (PpJob *job; (job = g_queue_pop_head (&slot->in_flight)) != NULL; _pp_scheduler_release_locked (self->sched, job))
        _pp_scheduler_fail_job_locked (self->sched, job, make_error (job));
      g_mutex_unlock (&self->sched->lock);
      worker_slot_free (slot);
    }
}

/* Stops a cancelled job a worker still holds. One it has yet to start is
 * withdrawn with a "skip" (answered "skipped", in order), as in work
 * stealing; the one it runs cannot be interrupted: the worker is stopped,
 * and replaced in time. */
static void
pp_local_pool_stop_job (PpNode *node,
                        PpJob  *job)
{
  PpLocalPool *self = PP_LOCAL_POOL (node);
  PpWorker *worker = NULL;

  /* The job still names the worker: it is cleared only when that worker
   * answers, which it cannot have done for a job still being cancelled. */
  g_mutex_lock (&self->sched->lock);
  for (guint i = 0; i < self->workers->len && worker == NULL; i++)
    {
      WorkerSlot *candidate = g_ptr_array_index (self->workers, i);

      if (candidate->worker != _pp_job_get_worker (job))
        continue;
      if (g_queue_peek_head (&candidate->in_flight) != job)
        {
          _pp_message_append_skip (_pp_worker_get_out (candidate->worker), pp_job_get_id (job));
          _pp_worker_flush_locked (candidate->worker);
          break;
        }
      worker = candidate->worker;
      candidate->stopped = TRUE;
    }
  g_mutex_unlock (&self->sched->lock);

  if (worker != NULL)
    _pp_worker_kill (worker, "was stopped to cancel its job");
}

/* GObject ---------------------------------------------------------------- */

static void
pp_local_pool_finalize (GObject *object)
{
  PpLocalPool *self = PP_LOCAL_POOL (object);

  g_clear_pointer (&self->workers, g_ptr_array_unref);
  g_clear_pointer (&self->config.python, g_free);
  g_clear_pointer (&self->config.runner, g_free);
  g_clear_pointer (&self->config.working_directory, g_free);
  g_clear_pointer (&self->config.python_path, g_strfreev);
  g_clear_pointer (&self->config.context, g_main_context_unref);

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
  node_class->recall_locked = pp_local_pool_recall_locked;
  node_class->flush_locked = pp_local_pool_flush_locked;
  node_class->stop_job = pp_local_pool_stop_job;
}

static void
pp_local_pool_init (PpLocalPool *self)
{
  self->workers = g_ptr_array_new ();
}
