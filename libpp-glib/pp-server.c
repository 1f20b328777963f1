/* pp-server.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-error.h"
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
  PROP_EXPORT_ON_BUS,
  N_PROPS
};

static void pp_server_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PpServer, pp_server, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, pp_server_initable_iface_init))

static GParamSpec *properties[N_PROPS];
guint _pp_server_signals[PP_SERVER_N_SIGNALS];

static guint
resolve_ncpus (int ncpus)
{
  return ncpus < 0 ? g_get_num_processors () : (guint) ncpus;
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
    case PROP_EXPORT_ON_BUS:
      g_value_set_boolean (value, self->export_on_bus);
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
    case PROP_EXPORT_ON_BUS:
      self->export_on_bus = g_value_get_boolean (value);
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
  _pp_server_clear_events (self);
  g_clear_pointer (&self->job_hook, _pp_server_job_hook_free);
  g_clear_pointer (&self->finished, g_ptr_array_unref);
  if (self->finished_source != NULL)
    g_source_destroy (self->finished_source);
  g_clear_pointer (&self->finished_source, g_source_unref);
  g_clear_pointer (&self->python, g_free);
  g_clear_pointer (&self->runner, g_free);
  g_clear_pointer (&self->working_directory, g_free);
  g_clear_pointer (&self->python_path, g_strfreev);
  _pp_server_clear_nodes (self);
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
   * `"*"` discovers nodes (`ppd -a`) with a [class@Pp.Browser]: each node
   * found joins the server as a remote node whose
   * [property@Pp.Node:discovered] is set, and leaves it, its jobs going
   * back to the queue, when its announcement is withdrawn; `"*:port"`
   * only takes nodes on that port (and receives pp's UDP announcements
   * there). A discovered node that refuses the secret (or speaks another
   * protocol version) is left %PP_NODE_STATE_REFUSED, reported once and
   * not retried. Discovery only finds: every node still has to prove the
   * secret. Explicit entries and `"*"` mix.
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

  /**
   * PpServer:export-on-bus:
   *
   * Whether the server shows itself on the session bus, as
   * `org.ppglib.PpClient.p<PID>_<N>` exporting `org.ppglib.PpClient1` at
   * `/org/ppglib/PpClient` (`data/org.ppglib.PpClient1.xml`): its nodes,
   * queue, statistics and status document, its jobs as batched signals,
   * and `SetNcpus`, `AddNode` and `CancelGroup` for the same user. The
   * connection is made in the background and the name goes away when the
   * server is destroyed; without a session bus nothing happens. The
   * environment variable `PP_NO_BUS=1` turns it off too. See
   * [method@Pp.Server.dup_bus_name].
   *
   * Since: 0.1
   */
  properties[PROP_EXPORT_ON_BUS] =
    g_param_spec_boolean ("export-on-bus", NULL, NULL, TRUE,
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
  _pp_server_signals[PP_SERVER_JOB_STARTED] =
    g_signal_new ("job-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, _pp_server_marshal_VOID__OBJECT_UINT,
                  G_TYPE_NONE, 2, PP_TYPE_JOB, G_TYPE_UINT);
  /* Not the generic marshaller (libffi, GValues): one emission per job. */
  g_signal_set_va_marshaller (_pp_server_signals[PP_SERVER_JOB_STARTED], G_TYPE_FROM_CLASS (klass),
                              _pp_server_marshal_VOID__OBJECT_UINTv);

  /**
   * PpServer::job-finished:
   * @self: the server
   * @job: the job, done, failed or cancelled
   *
   * Emitted when @job finishes, like [signal@Pp.Server::job-started].
   *
   * Since: 0.1
   */
  _pp_server_signals[PP_SERVER_JOB_FINISHED] =
    g_signal_new ("job-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, PP_TYPE_JOB);
}

static void
pp_server_init (PpServer *self)
{
  _pp_scheduler_init (&self->sched, _pp_server_job_started_locked_cb, _pp_server_job_finished_locked_cb, self);
  self->pool = _pp_local_pool_new ();
  self->remotes = g_ptr_array_new ();
  self->nodes = g_ptr_array_new ();
  g_ptr_array_add (self->nodes, self->pool);
  self->store = g_list_store_new (PP_TYPE_NODE);
  self->departed = g_ptr_array_new_with_free_func (g_object_unref);
  self->socket_timeout = 3600;
  self->export_on_bus = TRUE;
  self->creation_time = g_get_monotonic_time ();
  self->max_payload_size = PP_FRAME_DEFAULT_MAX_BODY;
  self->owner = _pp_job_owner_new (self, &_pp_server_job_owner_funcs);
  self->finished = g_ptr_array_new_with_free_func (g_object_unref);
  self->events = g_array_new (FALSE, FALSE, sizeof (JobEvent));
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
  if (!_pp_server_resolve_python (self, error) || !_pp_server_resolve_runner (self, error) ||
      !_pp_server_check_ppservers (self, error) || !_pp_server_resolve_secret (self, error))
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
  _pp_local_pool_setup (self->pool, &pool_config, &self->sched, &_pp_server_node_host, self);
  self->kick_source = g_source_new (&_pp_server_ready_source_funcs, sizeof (GSource));
  g_source_set_callback (self->kick_source, _pp_server_kick_cb, self, NULL);
  g_source_set_static_name (self->kick_source, "[pp-glib] dispatch");
  g_source_attach (self->kick_source, _pp_io_thread_get_context (self->io));
  self->creator_context = g_main_context_ref_thread_default ();
  self->events_source = g_source_new (&_pp_server_ready_source_funcs, sizeof (GSource));
  g_source_set_callback (self->events_source, _pp_server_deliver_events_cb, self, NULL);
  g_source_set_static_name (self->events_source, "[pp-glib] job events");
  g_source_attach (self->events_source, self->creator_context);
  self->creator_thread = g_thread_self ();
  self->nodes_source = g_source_new (&_pp_server_ready_source_funcs, sizeof (GSource));
  g_source_set_callback (self->nodes_source, _pp_server_notify_nodes_cb, self, NULL);
  g_source_set_static_name (self->nodes_source, "[pp-glib] node notifications");
  g_source_attach (self->nodes_source, self->creator_context);
  _pp_node_attach (PP_NODE (self->pool), self->owner, &self->sched.lock);
  g_mutex_lock (&self->sched.lock);
  _pp_node_reset_notified_locked (PP_NODE (self->pool));
  g_mutex_unlock (&self->sched.lock);
  _pp_server_create_remotes (self);
  _pp_server_start_discovery (self);
  _pp_server_sync_store_if_creator (self);
  if (self->export_on_bus)
    _pp_server_start_bus (self);
  _pp_server_kick (self);

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
  _pp_server_nodes_changed_locked (self);
  g_mutex_unlock (&self->sched.lock);

  if (!changed)
    return;
  _pp_server_kick (self);
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
 * pp_server_get_export_on_bus:
 * @self: a #PpServer
 *
 * Returns: [property@Pp.Server:export-on-bus]
 *
 * Since: 0.1
 */
gboolean
pp_server_get_export_on_bus (PpServer *self)
{
  g_return_val_if_fail (PP_IS_SERVER (self), FALSE);
  return self->export_on_bus;
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

  _pp_server_stop_discovery (self);
  _pp_local_pool_stop_workers (self->pool, destroyed_error);
  g_mutex_lock (&self->sched.lock);
  remotes = g_steal_pointer (&self->remotes);
  self->remotes = g_ptr_array_new ();
  g_ptr_array_set_size (self->nodes, 1);
  for (guint i = 0; i < remotes->len; i++)
    _pp_server_detach_remote_locked (self, g_ptr_array_index (remotes, i));
  for (PpJob *job; (job = g_queue_pop_head (&self->sched.queue)) != NULL; _pp_scheduler_release_locked (&self->sched, job))
    _pp_scheduler_fail_job_locked (&self->sched, job, destroyed_error (job));
  self->pool->stopped = TRUE;
  _pp_node_detach_locked (PP_NODE (self->pool), PP_NODE_STATE_REMOVED);
  _pp_server_nodes_changed_locked (self);
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

  _pp_server_stop_bus (self);
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
  _pp_scheduler_take_held_locked (&self->sched, &queued);
  g_mutex_unlock (&self->sched.lock);

  for (PpJob *job; (job = g_queue_pop_head (&queued)) != NULL; g_object_unref (job))
    _pp_scheduler_fail_job (&self->sched, job, destroyed_error (job));
  _pp_io_thread_invoke_sync (self->io, stop_workers_cb, self);
  g_clear_pointer (&self->io, _pp_io_thread_free);
  _pp_scheduler_empty_graveyard (&self->sched);
  _pp_server_sync_store_if_creator (self);
}
