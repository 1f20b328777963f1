/* pp-server.c
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
#include "pp-job-private.h"
#include "pp-local-pool-private.h"
#include "pp-messages-private.h"
#include "pp-node-address-private.h"
#include "pp-node-stats-private.h"
#include "pp-remote-node-private.h"
#include "pp-scheduler-private.h"
#include "pp-secret.h"
#include "pp-secret-private.h"
#include "pp-server-private.h"

/**
 * PpServer:
 *
 * A job server: it runs [class@Pp.Job]s on a pool of persistent Python
 * worker processes, one per processor by default, like pp's `pp.Server`.
 *
 * Jobs wait in one queue; whenever a worker is free it takes the next one.
 * Short jobs are pipelined (a worker gets the next few before it answers
 * the last) so that no worker idles waiting for a round trip, and long
 * jobs are handed out one at a time so that they spread evenly.
 *
 * All I/O happens on a private thread with its own #GMainContext. Every
 * method is thread-safe, and waiting needs no main loop.
 *
 * ```c
 * g_autoptr(GError) error = NULL;
 * g_autoptr(PpServer) server = pp_server_new (PP_NCPUS_AUTODETECT, &error);
 * g_autoptr(PpFunction) add = pp_function_new ("add", "def add(a, b):\n    return a + b\n", NULL);
 * g_autoptr(PpJob) job = pp_server_submit_json (server, add, "[1, 2]", NULL, &error);
 *
 * if (pp_job_wait (job, NULL, &error))
 *   {
 *     g_autoptr(GBytes) result = pp_job_dup_result (job);  // "3"
 *   }
 * ```
 *
 * Since: 0.1
 */


struct _PpServer
{
  GObject       parent_instance;

  /* Construct-only */
  char         *python;
  char         *runner;
  char         *working_directory;
  char        **python_path;
  guint64       max_payload_size;
  gboolean      restart;
  int           requested_ncpus;
  gint64        creation_time;
  char        **ppservers;
  char         *secret;
  guint         socket_timeout;
  gboolean      use_tls;

  PpJobOwner   *owner;        /* the handle its jobs and nodes keep */
  PpIoThread   *io;
  GSource      *kick_source;
  gint          kick_pending;

  PpScheduler   sched;          /* the lock, the queue, the counts */
  PpLocalPool  *pool;
  GPtrArray    *remotes;        /* PpRemoteNode, in the order added */
  GPtrArray    *nodes;          /* the pool, then the remotes */
  gint64        last_submit_time;

  /* Batched completion (see _pp_server_set_finished_func()) */
  PpServerFinishedFunc finished_func;
  gpointer      finished_data;
  GSource      *finished_source;
  GPtrArray    *finished;

  /* job-started and job-finished, delivered on the creator's context */
  GMainContext *creator_context;
  GSource      *events_source;
  GArray       *events;

  /* The nodes as a GListModel, in the creator's thread; PpNode::notify
   * there, at most every NODES_NOTIFY_USEC */
  GThread      *creator_thread;
  GListStore   *store;
  GSource      *nodes_source;
  GPtrArray    *departed;       /* removed nodes, to notify */
  gboolean      nodes_armed;
  gint64        nodes_notified_at;

  gboolean      destroyed;
};

typedef struct
{
  PpJob    *job;
  guint     pid;
  gboolean  started;
} JobEvent;

enum {
  JOB_STARTED,
  JOB_FINISHED,
  N_SIGNALS
};

enum {
  PROP_0,
  PROP_NCPUS,
  PROP_PYTHON,
  PROP_RUNNER,
  PROP_RESTART,
  PROP_WORKING_DIRECTORY,
  PROP_PYTHON_PATH,
  PROP_MAX_PAYLOAD_SIZE,
  PROP_PPSERVERS,
  PROP_SECRET,
  PROP_SOCKET_TIMEOUT,
  PROP_USE_TLS,
  N_PROPS
};

static void pp_server_initable_iface_init (GInitableIface *iface);
static void nodes_changed_locked (PpServer *self);

G_DEFINE_FINAL_TYPE_WITH_CODE (PpServer, pp_server, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, pp_server_initable_iface_init))

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static gboolean cancel_job (gpointer owner, PpJob *job);

static const PpJobOwnerFuncs job_owner_funcs = {
  cancel_job,
};

static guint
resolve_ncpus (int ncpus)
{
  return ncpus < 0 ? g_get_num_processors () : (guint) ncpus;
}

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
      !g_signal_has_handler_pending (self, signals[started ? JOB_STARTED : JOB_FINISHED], 0, TRUE))
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
static void
job_started_locked_cb (PpJob    *job,
                       guint     pid,
                       gpointer  data)
{
  push_event_locked (data, job, pid, TRUE);
}

/* Every job that finishes, under the lock. */
static void
job_finished_locked_cb (PpJob    *job,
                        gpointer  data)
{
  PpServer *self = data;

  notify_finished_locked (self, job);
  push_event_locked (self, job, 0, FALSE);
}

/* The kick: wakes the I/O thread to hand out jobs and resize the pool ---- */

static void
kick (PpServer *self)
{
  if (g_atomic_int_compare_and_exchange (&self->kick_pending, FALSE, TRUE))
    g_source_set_ready_time (self->kick_source, 0);
}

/* A source dispatched once each time its ready time is set to 0. */
static gboolean
ready_source_dispatch (GSource     *source,
                      GSourceFunc  callback,
                      gpointer     user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs ready_source_funcs = {
  .dispatch = ready_source_dispatch,
};

/* Scheduling ------------------------------------------------------------- */

static void
dispatch_and_flush_locked (PpServer *self)
{
  nodes_changed_locked (self);
  _pp_scheduler_dispatch_locked (&self->sched, self->nodes,
                                 self->io != NULL && _pp_io_thread_is_current (self->io));
}

/* What the nodes ask of the server. */
static void
pool_changed_locked (gpointer data)
{
  nodes_changed_locked (data);
}

static void
pool_dispatch_locked (gpointer data)
{
  PpServer *self = data;

  if (!self->destroyed)
    dispatch_and_flush_locked (self);
}

static void
pool_kick (gpointer data)
{
  kick (data);
}

static const PpNodeHost node_host = {
  pool_changed_locked,
  pool_dispatch_locked,
  pool_kick,
};

static gboolean
kick_cb (gpointer data)
{
  PpServer *self = data;

  g_atomic_int_set (&self->kick_pending, FALSE);
  g_mutex_lock (&self->sched.lock);
  if (!self->destroyed)
    {
      g_assert (_pp_io_thread_is_current (self->io));
      _pp_local_pool_reconcile_locked (self->pool);
      dispatch_and_flush_locked (self);
    }
  g_mutex_unlock (&self->sched.lock);

  return G_SOURCE_CONTINUE;
}

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

/* Adding and removing nodes ---------------------------------------------- */

static gboolean
start_remote_cb (gpointer data)
{
  _pp_remote_node_start (data);
  return G_SOURCE_REMOVE;
}

/* A node for @address ("host:port"), connected from the I/O thread. */
static PpRemoteNode *
add_remote_locked (PpServer   *self,
                   const char *address)
{
  const char *secret = self->secret ? self->secret : g_getenv ("PP_SECRET");
  PpRemoteNode *node = _pp_remote_node_new (address, secret, self->use_tls, self->socket_timeout,
                                            self->max_payload_size,
                                            _pp_io_thread_get_context (self->io),
                                            &self->sched, &node_host, self);

  _pp_node_attach (PP_NODE (node), self->owner, &self->sched.lock);
  _pp_node_reset_notified_locked (PP_NODE (node));
  g_ptr_array_add (self->remotes, node);
  g_ptr_array_add (self->nodes, node);
  nodes_changed_locked (self);
  g_main_context_invoke_full (_pp_io_thread_get_context (self->io), G_PRIORITY_DEFAULT,
                              start_remote_cb, g_object_ref (node), g_object_unref);
  return node;
}

static PpRemoteNode *
find_remote_locked (PpServer   *self,
                    const char *address)
{
  for (guint i = 0; i < self->remotes->len; i++)
    {
      PpRemoteNode *node = g_ptr_array_index (self->remotes, i);

      if (g_str_equal (_pp_remote_node_get_address (node), address))
        return node;
    }
  return NULL;
}

/* Unties @node (already out of the list) from the server: its jobs go back
 * to the front of the queue, its figures freeze, and it is notified as
 * removed. */
static void
detach_remote_locked (PpServer     *self,
                      PpRemoteNode *node)
{
  _pp_remote_node_take_back_locked (node);
  node->ready = FALSE;
  _pp_node_detach_locked (PP_NODE (node), PP_NODE_STATE_REMOVED);
  g_ptr_array_add (self->departed, g_object_ref (node));
  nodes_changed_locked (self);
}

static void
create_remotes (PpServer *self)
{
  g_mutex_lock (&self->sched.lock);
  for (guint i = 0; self->ppservers != NULL && self->ppservers[i] != NULL; i++)
    {
      const char *address = self->ppservers[i];
      g_autofree char *host_and_port = NULL;

      if (g_str_equal (address, "*") || g_str_has_prefix (address, "*:"))
        {
          g_warning ("Discovery of nodes (“%s”) arrives with the DNS-SD release; ignored", address);
          continue;
        }
      host_and_port = _pp_node_address_parse (address, PP_DEFAULT_PORT, NULL);

      if (host_and_port == NULL)  /* refused by check_ppservers() */
        continue;
      add_remote_locked (self, host_and_port);
    }
  g_mutex_unlock (&self->sched.lock);
}

/* job-started, job-finished -------------------------------------------- */

static gboolean
deliver_events_cb (gpointer data)
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
        g_signal_emit (self, signals[JOB_STARTED], 0, event->job, event->pid);
      else
        g_signal_emit (self, signals[JOB_FINISHED], 0, event->job);
      g_object_unref (event->job);
    }
  return G_SOURCE_CONTINUE;
}

static void
clear_events (PpServer *self)
{
  for (guint i = 0; self->events != NULL && i < self->events->len; i++)
    g_object_unref (g_array_index (self->events, JobEvent, i).job);
  g_clear_pointer (&self->events, g_array_unref);
  if (self->events_source != NULL)
    g_source_destroy (self->events_source);
  g_clear_pointer (&self->events_source, g_source_unref);
  g_clear_pointer (&self->creator_context, g_main_context_unref);
}

/* The nodes' model and notifications ----------------------------------- */

/* At most this often, PpNode::notify in the creator's context. */
#define NODES_NOTIFY_USEC (G_USEC_PER_SEC / 4)

/* Something about a node changed: cheap enough for every job, and only the
 * first change after a notification wakes the creator's context. */
static void
nodes_changed_locked (PpServer *self)
{
  if (self->nodes_armed || self->nodes_source == NULL)
    return;
  self->nodes_armed = TRUE;
  g_source_set_ready_time (self->nodes_source,
                           MAX (g_get_monotonic_time (), self->nodes_notified_at + NODES_NOTIFY_USEC));
}

/* The local pool, then the remote nodes in the order they were added. */
static GPtrArray *
list_nodes_locked (PpServer *self)
{
  GPtrArray *nodes = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (nodes, g_object_ref (self->pool));
  for (guint i = 0; i < self->remotes->len; i++)
    g_ptr_array_add (nodes, g_object_ref (g_ptr_array_index (self->remotes, i)));
  return nodes;
}

/* In the creator's thread: the model follows @nodes. */
static void
sync_store (PpServer  *self,
            GPtrArray *nodes)
{
  GListModel *model = G_LIST_MODEL (self->store);

  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(PpNode) node = g_list_model_get_item (model, i - 1);

      if (!g_ptr_array_find (nodes, node, NULL))
        g_list_store_remove (self->store, i - 1);
    }
  for (guint i = 0; i < nodes->len; i++)
    if (!g_list_store_find (self->store, g_ptr_array_index (nodes, i), NULL))
      g_list_store_append (self->store, g_ptr_array_index (nodes, i));
}

/* The model changes in the creator's thread at once, elsewhere at the
 * next notification. */
static void
sync_store_if_creator (PpServer *self)
{
  g_autoptr(GPtrArray) nodes = NULL;

  if (g_thread_self () != self->creator_thread)
    return;
  g_mutex_lock (&self->sched.lock);
  nodes = list_nodes_locked (self);
  g_mutex_unlock (&self->sched.lock);
  sync_store (self, nodes);
}

static gboolean
notify_nodes_cb (gpointer data)
{
  PpServer *self = data;
  g_autoptr(GPtrArray) nodes = NULL;
  g_autoptr(GPtrArray) departed = NULL;

  g_mutex_lock (&self->sched.lock);
  self->nodes_armed = FALSE;
  self->nodes_notified_at = g_get_monotonic_time ();
  nodes = list_nodes_locked (self);
  for (guint i = 0; i < nodes->len; i++)
    {
      PpNodeValues values = { 0 };

      _pp_node_read_locked (g_ptr_array_index (nodes, i), &values);
      _pp_node_values_clear (&values);
    }
  departed = g_steal_pointer (&self->departed);
  self->departed = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_unlock (&self->sched.lock);

  sync_store (self, nodes);
  for (guint i = 0; i < nodes->len; i++)
    _pp_node_notify_changes (g_ptr_array_index (nodes, i));
  for (guint i = 0; i < departed->len; i++)
    _pp_node_notify_changes (g_ptr_array_index (departed, i));
  return G_SOURCE_CONTINUE;
}

static void
clear_nodes (PpServer *self)
{
  if (self->nodes_source != NULL)
    g_source_destroy (self->nodes_source);
  g_clear_pointer (&self->nodes_source, g_source_unref);
  g_clear_pointer (&self->departed, g_ptr_array_unref);
  g_clear_object (&self->store);
  if (self->pool != NULL)
    {
      g_mutex_lock (&self->sched.lock);
      _pp_node_detach_locked (PP_NODE (self->pool), PP_NODE_STATE_REMOVED);
      g_mutex_unlock (&self->sched.lock);
    }
  g_clear_object (&self->pool);
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
      source = g_source_new (&ready_source_funcs, sizeof (GSource));
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
  queued = cancelled && g_queue_remove (&self->sched.queue, job);
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

/* GObject ---------------------------------------------------------------- */

static void
pp_server_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  PpServer *self = PP_SERVER (object);

  switch (prop_id)
    {
    case PROP_NCPUS:
      g_value_set_int (value, pp_server_get_ncpus (self));
      break;
    case PROP_PYTHON:
      g_value_set_string (value, self->python);
      break;
    case PROP_RUNNER:
      g_value_set_string (value, self->runner);
      break;
    case PROP_RESTART:
      g_value_set_boolean (value, self->restart);
      break;
    case PROP_WORKING_DIRECTORY:
      g_value_set_string (value, self->working_directory);
      break;
    case PROP_PYTHON_PATH:
      g_value_set_boxed (value, self->python_path);
      break;
    case PROP_MAX_PAYLOAD_SIZE:
      g_value_set_uint64 (value, self->max_payload_size);
      break;
    case PROP_PPSERVERS:
      g_value_set_boxed (value, self->ppservers);
      break;
    case PROP_SOCKET_TIMEOUT:
      g_value_set_uint (value, self->socket_timeout);
      break;
    case PROP_USE_TLS:
      g_value_set_boolean (value, self->use_tls);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pp_server_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  PpServer *self = PP_SERVER (object);

  switch (prop_id)
    {
    case PROP_NCPUS:
      if (self->io == NULL)
        self->requested_ncpus = g_value_get_int (value);
      else
        pp_server_set_ncpus (self, g_value_get_int (value));
      break;
    case PROP_PYTHON:
      self->python = g_value_dup_string (value);
      break;
    case PROP_RUNNER:
      self->runner = g_value_dup_string (value);
      break;
    case PROP_RESTART:
      self->restart = g_value_get_boolean (value);
      break;
    case PROP_WORKING_DIRECTORY:
      self->working_directory = g_value_dup_string (value);
      break;
    case PROP_PYTHON_PATH:
      self->python_path = g_value_dup_boxed (value);
      break;
    case PROP_MAX_PAYLOAD_SIZE:
      self->max_payload_size = g_value_get_uint64 (value);
      break;
    case PROP_PPSERVERS:
      self->ppservers = g_value_dup_boxed (value);
      break;
    case PROP_SECRET:
      self->secret = g_value_dup_string (value);
      break;
    case PROP_SOCKET_TIMEOUT:
      self->socket_timeout = g_value_get_uint (value);
      break;
    case PROP_USE_TLS:
      self->use_tls = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pp_server_dispose (GObject *object)
{
  PpServer *self = PP_SERVER (object);

  _pp_job_owner_clear (self->owner);
  pp_server_destroy (self);

  G_OBJECT_CLASS (pp_server_parent_class)->dispose (object);
}

static void
pp_server_finalize (GObject *object)
{
  PpServer *self = PP_SERVER (object);

  g_assert (self->io == NULL);

  g_clear_pointer (&self->owner, _pp_job_owner_unref);
  clear_events (self);
  g_clear_pointer (&self->finished, g_ptr_array_unref);
  if (self->finished_source != NULL)
    g_source_destroy (self->finished_source);
  g_clear_pointer (&self->finished_source, g_source_unref);
  g_clear_pointer (&self->python, g_free);
  g_clear_pointer (&self->runner, g_free);
  g_clear_pointer (&self->working_directory, g_free);
  g_clear_pointer (&self->python_path, g_strfreev);
  clear_nodes (self);
  g_clear_pointer (&self->remotes, g_ptr_array_unref);
  g_clear_pointer (&self->nodes, g_ptr_array_unref);
  g_clear_pointer (&self->ppservers, g_strfreev);
  g_clear_pointer (&self->secret, _pp_secret_free);
  _pp_scheduler_clear (&self->sched);

  G_OBJECT_CLASS (pp_server_parent_class)->finalize (object);
}

static void
pp_server_class_init (PpServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = pp_server_get_property;
  object_class->set_property = pp_server_set_property;
  object_class->dispose = pp_server_dispose;
  object_class->finalize = pp_server_finalize;

  /**
   * PpServer:ncpus:
   *
   * The number of local workers; -1 (%PP_NCPUS_AUTODETECT) means one per
   * processor. Changing it at run time grows or shrinks the pool without
   * stopping a running job.
   *
   * Since: 0.1
   */
  properties[PROP_NCPUS] =
    g_param_spec_int ("ncpus", NULL, NULL, -1, 4096, PP_NCPUS_AUTODETECT,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                      G_PARAM_STATIC_STRINGS);

  /**
   * PpServer:python:
   *
   * The Python interpreter the workers run, a path or a name looked up in
   * `PATH`. When unset, the environment variable `PP_PYTHON` gives it, and
   * without that it is `python3`.
   *
   * Since: 0.1
   */
  properties[PROP_PYTHON] =
    g_param_spec_string ("python", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PpServer:runner:
   *
   * The worker script. Defaults to `PP_RUNNER` from the environment, then
   * the installed `pp-runner.py`.
   *
   * Since: 0.1
   */
  properties[PROP_RUNNER] =
    g_param_spec_string ("runner", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PpServer:restart:
   *
   * Whether every job runs in a fresh worker (pp's `restart` option).
   *
   * Since: 0.1
   */
  properties[PROP_RESTART] =
    g_param_spec_boolean ("restart", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PpServer:working-directory:
   *
   * The directory workers start in; defaults to the current directory.
   *
   * Since: 0.1
   */
  properties[PROP_WORKING_DIRECTORY] =
    g_param_spec_string ("working-directory", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PpServer:python-path:
   *
   * Entries put in front of the workers' `sys.path`, so that jobs import
   * the caller's own modules.
   *
   * Since: 0.1
   */
  properties[PROP_PYTHON_PATH] =
    g_param_spec_boxed ("python-path", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PpServer:max-payload-size:
   *
   * The largest arguments or result, in bytes, a job may carry.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_PAYLOAD_SIZE] =
    g_param_spec_uint64 ("max-payload-size", NULL, NULL, 1, G_MAXUINT32,
                         PP_FRAME_DEFAULT_MAX_BODY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PpServer:ppservers:
   *
   * Remote `ppd` nodes to use besides the local workers, as `"host"` or
   * `"host:port"` (default port 60000), like pp's `ppservers` (`""` or
   * `":port"`: this machine); IPv6
   * addresses as `"[::1]:41000"`, or bare (`"::1"`) with the default port.
   * Ports go from 1 to 65535; g_initable_init() fails with
   * %PP_ERROR_INVALID_ARGUMENT on a malformed entry. Jobs go to
   * whichever node has a free core; a node that is lost gives its jobs back
   * and is reconnected in the background.
   *
   * Since: 0.1
   */
  properties[PROP_PPSERVERS] =
    g_param_spec_boxed ("ppservers", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PpServer:secret:
   *
   * The secret shared with the nodes. When unset (or empty), `PP_SECRET`
   * from the environment is used, and without it the per-user secret
   * file (see [func@Pp.secret_load_default]). Write-only.
   *
   * Since: 0.1
   */
  properties[PROP_SECRET] =
    g_param_spec_string ("secret", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PpServer:socket-timeout:
   *
   * Seconds that connecting to a node (TCP and TLS) and the handshake may
   * take, 30 at most. Once connected, a node is pinged every 2 seconds and
   * is lost when nothing comes from it for 5 of those intervals: a job may
   * run far longer than any timeout.
   *
   * Since: 0.1
   */
  properties[PROP_SOCKET_TIMEOUT] =
    g_param_spec_uint ("socket-timeout", NULL, NULL, 1, G_MAXUINT, 3600,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PpServer:use-tls:
   *
   * Whether connections to nodes use TLS. The node's certificate may be
   * self-signed: the shared secret, bound to the TLS channel, authenticates
   * it.
   *
   * Since: 0.1
   */
  properties[PROP_USE_TLS] =
    g_param_spec_boolean ("use-tls", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PpServer::job-started:
   * @self: the server
   * @job: the job
   * @worker: the pid of the local worker running it, 0 on a remote node
   *
   * Emitted when a worker starts @job, in the thread-default main context
   * of the thread that created the server. Emissions come in batches, after
   * the fact; nothing is collected while no handler is connected.
   *
   * Since: 0.1
   */
  signals[JOB_STARTED] =
    g_signal_new ("job-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, PP_TYPE_JOB, G_TYPE_UINT);

  /**
   * PpServer::job-finished:
   * @self: the server
   * @job: the job, done, failed or cancelled
   *
   * Emitted when @job finishes, like [signal@Pp.Server::job-started].
   *
   * Since: 0.1
   */
  signals[JOB_FINISHED] =
    g_signal_new ("job-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, PP_TYPE_JOB);
}

static void
pp_server_init (PpServer *self)
{
  _pp_scheduler_init (&self->sched, job_started_locked_cb, job_finished_locked_cb, self);
  self->pool = _pp_local_pool_new ();
  self->remotes = g_ptr_array_new ();
  self->nodes = g_ptr_array_new ();
  g_ptr_array_add (self->nodes, self->pool);
  self->store = g_list_store_new (PP_TYPE_NODE);
  self->departed = g_ptr_array_new_with_free_func (g_object_unref);
  self->socket_timeout = 3600;
  self->creation_time = g_get_monotonic_time ();
  self->max_payload_size = PP_FRAME_DEFAULT_MAX_BODY;
  self->owner = _pp_job_owner_new (self, &job_owner_funcs);
  self->finished = g_ptr_array_new_with_free_func (g_object_unref);
  self->events = g_array_new (FALSE, FALSE, sizeof (JobEvent));
}

static gboolean
resolve_python (PpServer  *self,
                GError   **error)
{
  const char *wanted = self->python;
  g_autofree char *path = NULL;

  if (wanted == NULL)
    wanted = g_getenv ("PP_PYTHON");
  if (wanted == NULL || *wanted == '\0')
    wanted = "python3";
  path = g_find_program_in_path (wanted);
  if (path == NULL)
    {
      g_set_error (error, PP_ERROR, PP_ERROR_NO_INTERPRETER,
                   "Python interpreter “%s” not found or not executable "
                   "(set PP_PYTHON or the “python” property)", wanted);
      return FALSE;
    }
  g_free (self->python);
  self->python = g_steal_pointer (&path);
  return TRUE;
}

static gboolean
resolve_runner (PpServer  *self,
                GError   **error)
{
  const char *candidates[] = {
    self->runner, g_getenv ("PP_RUNNER"), PP_RUNNER_PATH, PP_RUNNER_SOURCE_PATH,
  };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      g_autofree char *runner = NULL;

      if (candidates[i] == NULL || *candidates[i] == '\0')
        continue;
      if (!g_file_test (candidates[i], G_FILE_TEST_IS_REGULAR))
        {
          if (i < 2)
            break;
          continue;
        }
      runner = g_strdup (candidates[i]);
      g_free (self->runner);
      self->runner = g_steal_pointer (&runner);
      return TRUE;
    }
  g_set_error (error, PP_ERROR, PP_ERROR_NO_INTERPRETER,
               "The pp-glib worker runner “%s” does not exist (set PP_RUNNER or the “runner” property)",
               self->runner ? self->runner : g_getenv ("PP_RUNNER") ? g_getenv ("PP_RUNNER")
                                                                     : PP_RUNNER_PATH);
  return FALSE;
}

/* A malformed entry is an error now, not a node retried forever. */
static gboolean
check_ppservers (PpServer  *self,
                 GError   **error)
{
  for (guint i = 0; self->ppservers != NULL && self->ppservers[i] != NULL; i++)
    {
      g_autofree char *host_and_port = _pp_node_address_parse (self->ppservers[i],
                                                               PP_DEFAULT_PORT, error);

      if (host_and_port == NULL)
        return FALSE;
    }
  return TRUE;
}

/* Without a secret of its own nor PP_SECRET, the server proves the
 * per-user one to the nodes it adds, as to its ppservers. */
static gboolean
ensure_secret (PpServer  *self,
               GError   **error)
{
  const char *from_environment = g_getenv ("PP_SECRET");
  char *loaded;
  gboolean have;

  g_mutex_lock (&self->sched.lock);
  have = self->secret != NULL;
  g_mutex_unlock (&self->sched.lock);
  if (have || (from_environment != NULL && *from_environment != '\0'))
    return TRUE;
  loaded = pp_secret_load_default (error);
  if (loaded == NULL)
    return FALSE;
  g_mutex_lock (&self->sched.lock);
  if (self->secret == NULL)
    self->secret = g_steal_pointer (&loaded);
  g_mutex_unlock (&self->sched.lock);
  g_clear_pointer (&loaded, _pp_secret_free);
  return TRUE;
}

/* An empty secret is no secret; nodes in ppservers need one. */
static gboolean
resolve_secret (PpServer  *self,
                GError   **error)
{
  if (self->secret != NULL && *self->secret == '\0')
    g_clear_pointer (&self->secret, _pp_secret_free);
  if (self->ppservers == NULL || self->ppservers[0] == NULL)
    return TRUE;
  return ensure_secret (self, error);
}

static gboolean
pp_server_initable_init (GInitable     *initable,
                         GCancellable  *cancellable,
                         GError       **error)
{
  PpServer *self = PP_SERVER (initable);
  PpLocalPoolConfig pool_config;

  if (self->io != NULL)
    return TRUE;
  if (!resolve_python (self, error) || !resolve_runner (self, error) ||
      !check_ppservers (self, error) || !resolve_secret (self, error))
    return FALSE;
  if (self->working_directory == NULL)
    self->working_directory = g_get_current_dir ();

  self->pool->target = resolve_ncpus (self->requested_ncpus);
  self->pool->restart = self->restart;
  self->io = _pp_io_thread_new ("pp-server-io");
  pool_config.python = self->python;
  pool_config.runner = self->runner;
  pool_config.working_directory = self->working_directory;
  pool_config.python_path = self->python_path;
  pool_config.max_body = self->max_payload_size;
  pool_config.context = _pp_io_thread_get_context (self->io);
  _pp_local_pool_setup (self->pool, &pool_config, &self->sched, &node_host, self);
  self->kick_source = g_source_new (&ready_source_funcs, sizeof (GSource));
  g_source_set_callback (self->kick_source, kick_cb, self, NULL);
  g_source_set_static_name (self->kick_source, "[pp-glib] dispatch");
  g_source_attach (self->kick_source, _pp_io_thread_get_context (self->io));
  self->creator_context = g_main_context_ref_thread_default ();
  self->events_source = g_source_new (&ready_source_funcs, sizeof (GSource));
  g_source_set_callback (self->events_source, deliver_events_cb, self, NULL);
  g_source_set_static_name (self->events_source, "[pp-glib] job events");
  g_source_attach (self->events_source, self->creator_context);
  self->creator_thread = g_thread_self ();
  self->nodes_source = g_source_new (&ready_source_funcs, sizeof (GSource));
  g_source_set_callback (self->nodes_source, notify_nodes_cb, self, NULL);
  g_source_set_static_name (self->nodes_source, "[pp-glib] node notifications");
  g_source_attach (self->nodes_source, self->creator_context);
  _pp_node_attach (PP_NODE (self->pool), self->owner, &self->sched.lock);
  g_mutex_lock (&self->sched.lock);
  _pp_node_reset_notified_locked (PP_NODE (self->pool));
  g_mutex_unlock (&self->sched.lock);
  create_remotes (self);
  sync_store_if_creator (self);
  kick (self);

  return TRUE;
}

static void
pp_server_initable_iface_init (GInitableIface *iface)
{
  iface->init = pp_server_initable_init;
}

/* Public API ------------------------------------------------------------- */

/**
 * pp_server_new:
 * @ncpus: the number of local workers, or %PP_NCPUS_AUTODETECT
 * @error: return location for a #GError
 *
 * Creates a job server with @ncpus local workers running `python3` (or
 * `PP_PYTHON`). Use g_initable_new() to set more properties.
 *
 * Returns: (transfer full): a new #PpServer, or %NULL when the interpreter
 *   or the runner cannot be found
 *
 * Since: 0.1
 */
PpServer *
pp_server_new (int      ncpus,
               GError **error)
{
  g_return_val_if_fail (ncpus >= -1, NULL);

  return g_initable_new (PP_TYPE_SERVER, NULL, error, "ncpus", ncpus, NULL);
}

/**
 * pp_server_set_ncpus:
 * @self: a #PpServer
 * @ncpus: the number of local workers, or %PP_NCPUS_AUTODETECT
 *
 * Resizes the local pool. New workers start at once; surplus workers stop
 * once the job they run is done.
 *
 * Since: 0.1
 */
void
pp_server_set_ncpus (PpServer *self,
                     int       ncpus)
{
  guint target;
  gboolean changed;

  g_return_if_fail (PP_IS_SERVER (self));
  g_return_if_fail (ncpus >= -1);

  target = resolve_ncpus (ncpus);
  g_mutex_lock (&self->sched.lock);
  changed = target != self->pool->target;
  self->pool->target = target;
  self->pool->spawn_failures = 0;
  nodes_changed_locked (self);
  g_mutex_unlock (&self->sched.lock);

  if (!changed)
    return;
  kick (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NCPUS]);
}

/**
 * pp_server_get_ncpus:
 * @self: a #PpServer
 *
 * Returns: the number of local workers the pool is sized for
 *
 * Since: 0.1
 */
guint
pp_server_get_ncpus (PpServer *self)
{
  guint ncpus;

  g_return_val_if_fail (PP_IS_SERVER (self), 0);

  g_mutex_lock (&self->sched.lock);
  ncpus = self->io ? self->pool->target : resolve_ncpus (self->requested_ncpus);
  g_mutex_unlock (&self->sched.lock);

  return ncpus;
}

/**
 * pp_server_get_python:
 * @self: a #PpServer
 *
 * Returns: (transfer none) (nullable): the full path of the workers'
 *   interpreter
 *
 * Since: 0.1
 */
const char *
pp_server_get_python (PpServer *self)
{
  g_return_val_if_fail (PP_IS_SERVER (self), NULL);
  return self->python;
}

/**
 * pp_server_get_restart:
 * @self: a #PpServer
 *
 * Returns: whether each job runs in a fresh worker
 *
 * Since: 0.1
 */
gboolean
pp_server_get_restart (PpServer *self)
{
  g_return_val_if_fail (PP_IS_SERVER (self), FALSE);
  return self->restart;
}

/**
 * pp_server_get_runner:
 * @self: a #PpServer
 *
 * Returns: (nullable): the worker runner script the server uses
 *   ([property@Pp.Server:runner], resolved once the server is initialised)
 *
 * Since: 0.1
 */
const char *
pp_server_get_runner (PpServer *self)
{
  g_return_val_if_fail (PP_IS_SERVER (self), NULL);
  return self->runner;
}

/**
 * pp_server_get_working_directory:
 * @self: a #PpServer
 *
 * Returns: (nullable): [property@Pp.Server:working-directory]
 *
 * Since: 0.1
 */
const char *
pp_server_get_working_directory (PpServer *self)
{
  g_return_val_if_fail (PP_IS_SERVER (self), NULL);
  return self->working_directory;
}

/**
 * pp_server_get_python_path:
 * @self: a #PpServer
 *
 * Returns: (nullable) (array zero-terminated=1): [property@Pp.Server:python-path]
 *
 * Since: 0.1
 */
const char * const *
pp_server_get_python_path (PpServer *self)
{
  g_return_val_if_fail (PP_IS_SERVER (self), NULL);
  return (const char * const *) self->python_path;
}

/**
 * pp_server_get_max_payload_size:
 * @self: a #PpServer
 *
 * Returns: [property@Pp.Server:max-payload-size], in bytes
 *
 * Since: 0.1
 */
guint64
pp_server_get_max_payload_size (PpServer *self)
{
  g_return_val_if_fail (PP_IS_SERVER (self), 0);
  return self->max_payload_size;
}

/**
 * pp_server_get_ppservers:
 * @self: a #PpServer
 *
 * Returns: (nullable) (array zero-terminated=1): [property@Pp.Server:ppservers]
 *
 * Since: 0.1
 */
const char * const *
pp_server_get_ppservers (PpServer *self)
{
  g_return_val_if_fail (PP_IS_SERVER (self), NULL);
  return (const char * const *) self->ppservers;
}

/**
 * pp_server_get_socket_timeout:
 * @self: a #PpServer
 *
 * Returns: [property@Pp.Server:socket-timeout], in seconds
 *
 * Since: 0.1
 */
guint
pp_server_get_socket_timeout (PpServer *self)
{
  g_return_val_if_fail (PP_IS_SERVER (self), 0);
  return self->socket_timeout;
}

/**
 * pp_server_get_use_tls:
 * @self: a #PpServer
 *
 * Returns: [property@Pp.Server:use-tls]
 *
 * Since: 0.1
 */
gboolean
pp_server_get_use_tls (PpServer *self)
{
  g_return_val_if_fail (PP_IS_SERVER (self), FALSE);
  return self->use_tls;
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
  g_queue_push_tail (&self->sched.queue, g_object_ref (job));
  if (self->pool->spawn_failures >= PP_LOCAL_POOL_MAX_SPAWN_FAILURES)
    self->pool->spawn_failures = 0;
  direct = should_send_directly_locked (self);
  if (direct)
    dispatch_and_flush_locked (self);
  g_mutex_unlock (&self->sched.lock);

  if (!direct)
    kick (self);
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
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GBytes) args = NULL;
  g_autoptr(GError) parse_error = NULL;
  JsonNode *root;

  g_return_val_if_fail (PP_IS_SERVER (self), NULL);
  g_return_val_if_fail (args_json != NULL, NULL);

  if (json_nesting_depth (args_json) > MAX_JSON_DEPTH)
    {
      g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                   "Job arguments nest deeper than %d levels", MAX_JSON_DEPTH);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, args_json, -1, &parse_error))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                   "Job arguments are not valid JSON: %s", parse_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                   "Job arguments must be a JSON array, such as [1, 2]");
      return NULL;
    }
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

/**
 * pp_server_dup_worker_info:
 * @self: a #PpServer
 *
 * Describes the local workers, for monitoring (ppd's D-Bus ListWorkers):
 * one `(ustud)` per worker: its pid, its state (`"starting"`, `"idle"` or
 * `"busy"`), the id of the job it runs (0 when none), the jobs it finished,
 * and the seconds it spent running them.
 *
 * Returns: (transfer full): a #GVariant of type `a(ustud)`
 *
 * Since: 0.1
 */
GVariant *
pp_server_dup_worker_info (PpServer *self)
{
  GVariant *info;

  g_return_val_if_fail (PP_IS_SERVER (self), NULL);

  g_mutex_lock (&self->sched.lock);
  info = _pp_local_pool_dup_info_locked (self->pool);
  g_mutex_unlock (&self->sched.lock);

  return info;
}

static void
add_stats_locked (GPtrArray *stats,
                  PpNode    *node)
{
  PpNodeValues values = { 0 };

  _pp_node_read_locked (node, &values);
  g_ptr_array_add (stats, _pp_node_stats_new (pp_node_get_name (node), pp_node_get_is_local (node),
                                              values.ncpus, values.jobs_done, values.job_time,
                                              values.busy));
  _pp_node_values_clear (&values);
}

/**
 * pp_server_list_stats:
 * @self: a #PpServer
 *
 * Gets the statistics of every node, the local pool first.
 *
 * Returns: (transfer container) (element-type PpNodeStats): the statistics
 *
 * Since: 0.1
 */
GPtrArray *
pp_server_list_stats (PpServer *self)
{
  GPtrArray *stats = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (PP_IS_SERVER (self), stats);

  g_mutex_lock (&self->sched.lock);
  add_stats_locked (stats, PP_NODE (self->pool));
  for (guint i = 0; i < self->remotes->len; i++)
    add_stats_locked (stats, g_ptr_array_index (self->remotes, i));
  g_mutex_unlock (&self->sched.lock);

  return stats;
}

/**
 * pp_server_get_nodes:
 * @self: a #PpServer
 *
 * Gets the nodes the server runs jobs on: its pool of local workers first,
 * then the remote nodes in the order they were added (from
 * [property@Pp.Server:ppservers], then [method@Pp.Server.add_node]).
 *
 * The model belongs to the thread that created the server: use it there,
 * where its [signal@Gio.ListModel::items-changed] and the nodes'
 * notifications are emitted, in the thread-default main context it had
 * then. Nodes added or removed from that thread show at once; from
 * another thread, at the next notification.
 *
 * Returns: (transfer none): a #GListModel of #PpNode
 *
 * Since: 0.1
 */
GListModel *
pp_server_get_nodes (PpServer *self)
{
  g_return_val_if_fail (PP_IS_SERVER (self), NULL);

  sync_store_if_creator (self);
  return G_LIST_MODEL (self->store);
}

/**
 * pp_server_add_node:
 * @self: a #PpServer
 * @address: the node, as `"host"` or `"host:port"`: the forms of
 *   [property@Pp.Server:ppservers]
 * @error: return location for a #GError
 *
 * Adds a remote `ppd` node while the server runs. It is connected in the
 * background (with the server's secret, TLS setting and socket timeout)
 * and takes jobs once it is ready; until then, and whenever it cannot be
 * reached, jobs run elsewhere.
 *
 * Fails with %PP_ERROR_INVALID_ARGUMENT when @address is malformed or
 * names a node the server already has, %PP_ERROR_NOT_SUPPORTED for
 * discovery (`"*"`), and %PP_ERROR_DESTROYED once the server is destroyed.
 *
 * Returns: (transfer full): the new node, or %NULL on error
 *
 * Since: 0.1
 */
PpNode *
pp_server_add_node (PpServer    *self,
                    const char  *address,
                    GError     **error)
{
  g_autofree char *host_and_port = NULL;
  PpRemoteNode *node = NULL;

  g_return_val_if_fail (PP_IS_SERVER (self), NULL);
  g_return_val_if_fail (address != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_str_equal (address, "*") || g_str_has_prefix (address, "*:"))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_NOT_SUPPORTED,
                   "“%s” asks for discovery, which is not available; give a node's address",
                   address);
      return NULL;
    }
  host_and_port = _pp_node_address_parse (address, PP_DEFAULT_PORT, error);
  if (host_and_port == NULL || !ensure_secret (self, error))
    return NULL;

  g_mutex_lock (&self->sched.lock);
  if (self->destroyed || self->io == NULL)
    g_set_error (error, PP_ERROR, PP_ERROR_DESTROYED, "The job server was destroyed");
  else if (find_remote_locked (self, host_and_port) != NULL)
    g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                 "%s is a node of this server already", host_and_port);
  else
    node = g_object_ref (add_remote_locked (self, host_and_port));
  g_mutex_unlock (&self->sched.lock);

  sync_store_if_creator (self);
  return node ? PP_NODE (node) : NULL;
}

typedef struct
{
  PpServer     *server;
  PpRemoteNode *node;
  gboolean      found;
} RemoveCall;

/* On the I/O thread: the node's connection belongs to it. */
static gboolean
remove_node_cb (gpointer data)
{
  RemoveCall *call = data;
  PpServer *self = call->server;

  g_mutex_lock (&self->sched.lock);
  call->found = !self->destroyed && g_ptr_array_remove (self->remotes, call->node);
  if (call->found)
    g_ptr_array_remove (self->nodes, call->node);
  if (call->found)
    detach_remote_locked (self, call->node);
  g_mutex_unlock (&self->sched.lock);

  if (call->found)
    {
      _pp_remote_node_shutdown (call->node);
      g_object_unref (call->node);
      kick (self);
    }
  return G_SOURCE_REMOVE;
}

/**
 * pp_server_remove_node:
 * @self: a #PpServer
 * @node: a remote node of @self
 * @error: return location for a #GError
 *
 * Removes a remote node while jobs run. The jobs it held go back to the
 * front of the queue and run elsewhere, each of them finishing exactly
 * once (a job the node was running may have run there in part); answers
 * the node sends later are ignored. @node ends in
 * %PP_NODE_STATE_REMOVED.
 *
 * The local pool cannot be removed (%PP_ERROR_NOT_SUPPORTED: set
 * [property@Pp.Server:ncpus] to 0 instead); a node that is not one of
 * @self's, or was removed already, is %PP_ERROR_INVALID_ARGUMENT.
 *
 * Returns: %TRUE if @node was removed
 *
 * Since: 0.1
 */
gboolean
pp_server_remove_node (PpServer  *self,
                       PpNode    *node,
                       GError   **error)
{
  RemoveCall call = { self, NULL, FALSE };
  gboolean running;

  g_return_val_if_fail (PP_IS_SERVER (self), FALSE);
  g_return_val_if_fail (PP_IS_NODE (node), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (pp_node_get_is_local (node))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_NOT_SUPPORTED,
                   "The local pool cannot be removed; set its ncpus to 0 instead");
      return FALSE;
    }
  g_mutex_lock (&self->sched.lock);
  running = !self->destroyed && self->io != NULL;
  g_mutex_unlock (&self->sched.lock);
  if (running)
    {
      call.node = PP_REMOTE_NODE (node);
      _pp_io_thread_invoke_sync (self->io, remove_node_cb, &call);
    }
  if (!call.found)
    {
      g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                   "%s is not a node of this server", pp_node_get_name (node));
      return FALSE;
    }
  sync_store_if_creator (self);
  _pp_scheduler_empty_graveyard (&self->sched);
  return TRUE;
}

/**
 * pp_server_get_uptime:
 * @self: a #PpServer
 *
 * Returns: seconds since the server was created
 *
 * Since: 0.1
 */
double
pp_server_get_uptime (PpServer *self)
{
  g_return_val_if_fail (PP_IS_SERVER (self), 0);
  return (g_get_monotonic_time () - self->creation_time) / (double) G_USEC_PER_SEC;
}

/**
 * pp_server_format_stats:
 * @self: a #PpServer
 *
 * Formats the statistics as pp's `print_stats()` prints them:
 *
 * ```
 * Job execution statistics:
 *  job count | % of all jobs | job time sum | time per job | job server
 *          8 |        100.00 |       6.5043 |     0.813038 | local
 * Time elapsed since server creation 3.3217
 * 0 active tasks, 2 cores
 * ```
 *
 * Returns: (transfer full): the table, ending with an empty line
 *
 * Since: 0.1
 */
char *
pp_server_format_stats (PpServer *self)
{
  g_autoptr(GPtrArray) stats = pp_server_list_stats (self);
  GString *out = g_string_new ("Job execution statistics:\n");
  char uptime[G_ASCII_DTOSTR_BUF_SIZE];
  guint64 total = 0;

  for (guint i = 0; i < stats->len; i++)
    total += pp_node_stats_get_njobs (g_ptr_array_index (stats, i));
  g_string_append (out, " job count | % of all jobs | job time sum | time per job | job server\n");
  for (guint i = 0; i < stats->len; i++)
    {
      PpNodeStats *node = g_ptr_array_index (stats, i);
      guint64 njobs = pp_node_stats_get_njobs (node);

      if (njobs == 0)
        continue;
      g_string_append_printf (out, "    %6" G_GUINT64_FORMAT " |        %6.2f |     %8.4f |  %11.6f | %s\n",
                              njobs, 100.0 * njobs / total, pp_node_stats_get_time (node),
                              pp_node_stats_get_time_per_job (node), pp_node_stats_get_name (node));
    }
  g_ascii_formatd (uptime, sizeof uptime, "%.4f", pp_server_get_uptime (self));
  g_string_append_printf (out, "Time elapsed since server creation %s\n", uptime);
  g_string_append_printf (out, "%u active tasks, %u cores\n\n",
                          pp_server_get_active_jobs (self, NULL), pp_server_get_ncpus (self));

  return g_string_free (out, FALSE);
}

static GError *
destroyed_error (PpJob *job)
{
  return g_error_new (PP_ERROR, PP_ERROR_DESTROYED,
                      "The job server was destroyed before job %" G_GUINT64_FORMAT " finished",
                      pp_job_get_id (job));
}

/* On the I/O thread: stops every worker and fails what they held. */
static gboolean
stop_workers_cb (gpointer data)
{
  PpServer *self = data;
  g_autoptr(GPtrArray) remotes = NULL;

  _pp_local_pool_stop_workers (self->pool, destroyed_error);
  g_mutex_lock (&self->sched.lock);
  remotes = g_steal_pointer (&self->remotes);
  self->remotes = g_ptr_array_new ();
  g_ptr_array_set_size (self->nodes, 1);
  for (guint i = 0; i < remotes->len; i++)
    detach_remote_locked (self, g_ptr_array_index (remotes, i));
  for (PpJob *job; (job = g_queue_pop_head (&self->sched.queue)) != NULL; _pp_scheduler_release_locked (&self->sched, job))
    _pp_scheduler_fail_job_locked (&self->sched, job, destroyed_error (job));
  self->pool->stopped = TRUE;
  _pp_node_detach_locked (PP_NODE (self->pool), PP_NODE_STATE_REMOVED);
  nodes_changed_locked (self);
  g_mutex_unlock (&self->sched.lock);
  for (guint i = 0; i < remotes->len; i++)
    {
      _pp_remote_node_shutdown (g_ptr_array_index (remotes, i));
      g_object_unref (g_ptr_array_index (remotes, i));
    }
  g_source_destroy (self->kick_source);
  g_clear_pointer (&self->kick_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

/**
 * pp_server_destroy:
 * @self: a #PpServer
 *
 * Stops the server: every job not finished yet fails with
 * %PP_ERROR_DESTROYED, the workers are stopped and reaped, and later
 * submissions fail. Safe to call more than once.
 *
 * Since: 0.1
 */
void
pp_server_destroy (PpServer *self)
{
  GQueue queued = G_QUEUE_INIT;

  g_return_if_fail (PP_IS_SERVER (self));

  g_mutex_lock (&self->sched.lock);
  if (self->destroyed || self->io == NULL)
    {
      self->destroyed = TRUE;
      g_mutex_unlock (&self->sched.lock);
      return;
    }
  self->destroyed = TRUE;
  queued = self->sched.queue;
  g_queue_init (&self->sched.queue);
  g_mutex_unlock (&self->sched.lock);

  for (PpJob *job; (job = g_queue_pop_head (&queued)) != NULL; g_object_unref (job))
    _pp_scheduler_fail_job (&self->sched, job, destroyed_error (job));
  _pp_io_thread_invoke_sync (self->io, stop_workers_cb, self);
  g_clear_pointer (&self->io, _pp_io_thread_free);
  _pp_scheduler_empty_graveyard (&self->sched);
  sync_store_if_creator (self);
}
