/* pp-node.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-function-private.h"
#include "pp-messages-private.h"
#include "pp-node-private.h"

/**
 * PpNode:
 *
 * Where a [class@Pp.Server] runs jobs: its pool of local workers, or one
 * remote `ppd` it is connected to. [method@Pp.Server.get_nodes] lists them,
 * the local pool first.
 *
 * The properties are read-only and describe the node now: getters (from
 * any thread) give the current figures. Changes are notified in the
 * thread-default main context of the thread that created the server, a few
 * times a second at most, however fast jobs go: a property may change more
 * than once between two notifications.
 *
 * A node that leaves its server (see [method@Pp.Server.remove_node], or
 * when the server is destroyed) ends in %PP_NODE_STATE_REMOVED, its
 * figures frozen.
 *
 * Since: 0.1
 */

typedef struct
{
  /* Set once */
  char         *name;
  char         *host;
  guint         port;
  gboolean      is_local;
  gboolean      tls;
  gboolean      discovered;

  /* Under lock: the server while attached, the figures last read */
  GMutex        lock;
  PpJobOwner *link;
  GMutex       *server_lock;
  PpNodeValues  values;

  /* In the server creator's context only */
  PpNodeValues  notified;
} PpNodePrivate;

enum {
  PROP_0,
  PROP_NAME,
  PROP_IS_LOCAL,
  PROP_HOST,
  PROP_PORT,
  PROP_TLS,
  PROP_DISCOVERED,
  PROP_STATE,
  PROP_NCPUS,
  PROP_BUSY,
  PROP_HELD,
  PROP_JOBS_DONE,
  PROP_JOBS_FAILED,
  PROP_JOB_TIME,
  PROP_LAST_ERROR,
  N_PROPS
};

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (PpNode, pp_node, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

#define GET_PRIVATE(self) ((PpNodePrivate *) pp_node_get_instance_private (self))

void
_pp_node_values_clear (PpNodeValues *values)
{
  g_clear_pointer (&values->last_error, g_free);
}

static void
values_copy (PpNodeValues       *to,
             const PpNodeValues *from)
{
  g_free (to->last_error);
  *to = *from;
  to->last_error = g_strdup (from->last_error);
}

const char *
_pp_node_peek_name (PpNode *self)
{
  return GET_PRIVATE (self)->name;
}

void
_pp_node_set_identity (PpNode     *self,
                       const char *name,
                       gboolean    is_local,
                       const char *host,
                       guint       port,
                       gboolean    tls)
{
  PpNodePrivate *priv = GET_PRIVATE (self);

  g_assert (priv->name == NULL);
  priv->name = g_strdup (name);
  priv->is_local = is_local;
  priv->host = g_strdup (host);
  priv->port = port;
  priv->tls = tls;
}

void
_pp_node_attach (PpNode       *self,
                 PpJobOwner   *link,
                 GMutex       *server_lock)
{
  PpNodePrivate *priv = GET_PRIVATE (self);

  g_mutex_lock (&priv->lock);
  g_assert (priv->link == NULL);
  priv->link = _pp_job_owner_ref (link);
  priv->server_lock = server_lock;
  g_mutex_unlock (&priv->lock);
}

void
_pp_node_read_locked (PpNode       *self,
                      PpNodeValues *values)
{
  PpNodePrivate *priv = GET_PRIVATE (self);
  PpNodeValues now = { 0 };
  gboolean attached;

  g_mutex_lock (&priv->lock);
  attached = priv->link != NULL;
  g_mutex_unlock (&priv->lock);
  if (attached)
    PP_NODE_GET_CLASS (self)->snapshot_locked (self, &now);

  g_mutex_lock (&priv->lock);
  if (attached)
    values_copy (&priv->values, &now);
  *values = priv->values;
  values->last_error = g_strdup (priv->values.last_error);
  g_mutex_unlock (&priv->lock);
  _pp_node_values_clear (&now);
}

void
_pp_node_detach_locked (PpNode      *self,
                        PpNodeState  state)
{
  PpNodePrivate *priv = GET_PRIVATE (self);
  PpNodeValues last = { 0 };
  PpJobOwner *link;

  _pp_node_read_locked (self, &last);
  last.state = state;
  g_mutex_lock (&priv->lock);
  values_copy (&priv->values, &last);
  link = g_steal_pointer (&priv->link);
  priv->server_lock = NULL;
  g_mutex_unlock (&priv->lock);
  _pp_node_values_clear (&last);
  if (link != NULL)
    _pp_job_owner_unref (link);
}

/* The current figures: read from the server while attached to a live one,
 * the frozen ones otherwise. */
static void
read_values (PpNode       *self,
             PpNodeValues *values)
{
  PpNodePrivate *priv = GET_PRIVATE (self);
  PpJobOwner *link = NULL;
  g_autoptr(PpServer) server = NULL;
  GMutex *server_lock = NULL;

  g_mutex_lock (&priv->lock);
  if (priv->link != NULL)
    {
      link = _pp_job_owner_ref (priv->link);
      server_lock = priv->server_lock;
    }
  g_mutex_unlock (&priv->lock);

  if (link != NULL)
    {
      server = _pp_job_owner_dup (link);
      _pp_job_owner_unref (link);
    }
  if (server != NULL)
    {
      g_mutex_lock (server_lock);
      _pp_node_read_locked (self, values);
      g_mutex_unlock (server_lock);
      return;
    }
  g_mutex_lock (&priv->lock);
  *values = priv->values;
  values->last_error = g_strdup (priv->values.last_error);
  g_mutex_unlock (&priv->lock);
}

void
_pp_node_reset_notified_locked (PpNode *self)
{
  PpNodePrivate *priv = GET_PRIVATE (self);

  _pp_node_values_clear (&priv->notified);
  _pp_node_read_locked (self, &priv->notified);
}

void
_pp_node_notify_changes (PpNode *self)
{
  PpNodePrivate *priv = GET_PRIVATE (self);
  PpNodeValues now = { 0 }, *was = &priv->notified;

  g_mutex_lock (&priv->lock);
  now = priv->values;
  now.last_error = g_strdup (priv->values.last_error);
  g_mutex_unlock (&priv->lock);

  g_object_freeze_notify (G_OBJECT (self));
  if (now.state != was->state)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  if (now.ncpus != was->ncpus)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NCPUS]);
  if (now.busy != was->busy)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  if (now.held != was->held)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HELD]);
  if (now.jobs_done != was->jobs_done)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOBS_DONE]);
  if (now.jobs_failed != was->jobs_failed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOBS_FAILED]);
  if (now.job_time != was->job_time)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOB_TIME]);
  if (g_strcmp0 (now.last_error, was->last_error) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
  _pp_node_values_clear (was);
  *was = now;
  g_object_thaw_notify (G_OBJECT (self));
}

/* Public API ------------------------------------------------------------- */

/**
 * pp_node_get_name:
 * @self: a #PpNode
 *
 * Gets the node's name: `"local"` for the local pool, `"host:port"` (or
 * `"[IPv6 address]:port"`) for a remote node, as pp's `print_stats()`
 * shows it.
 *
 * Returns: (transfer none): the name
 *
 * Since: 0.1
 */
const char *
pp_node_get_name (PpNode *self)
{
  g_return_val_if_fail (PP_IS_NODE (self), NULL);
  return GET_PRIVATE (self)->name;
}

/**
 * pp_node_get_is_local:
 * @self: a #PpNode
 *
 * Returns: whether @self is the server's pool of local workers
 *
 * Since: 0.1
 */
gboolean
pp_node_get_is_local (PpNode *self)
{
  g_return_val_if_fail (PP_IS_NODE (self), FALSE);
  return GET_PRIVATE (self)->is_local;
}

/**
 * pp_node_get_host:
 * @self: a #PpNode
 *
 * Returns: (transfer none) (nullable): the host name or address of a
 *   remote node (an IPv6 address without brackets), %NULL for the local
 *   pool
 *
 * Since: 0.1
 */
const char *
pp_node_get_host (PpNode *self)
{
  g_return_val_if_fail (PP_IS_NODE (self), NULL);
  return GET_PRIVATE (self)->host;
}

/**
 * pp_node_get_port:
 * @self: a #PpNode
 *
 * Returns: the TCP port of a remote node, 0 for the local pool
 *
 * Since: 0.1
 */
guint
pp_node_get_port (PpNode *self)
{
  g_return_val_if_fail (PP_IS_NODE (self), 0);
  return GET_PRIVATE (self)->port;
}

/**
 * pp_node_get_tls:
 * @self: a #PpNode
 *
 * Returns: whether the connection to the node uses TLS (%FALSE for the
 *   local pool)
 *
 * Since: 0.1
 */
gboolean
pp_node_get_tls (PpNode *self)
{
  g_return_val_if_fail (PP_IS_NODE (self), FALSE);
  return GET_PRIVATE (self)->tls;
}

/**
 * pp_node_get_discovered:
 * @self: a #PpNode
 *
 * Returns: whether the server found the node by discovery (a `"*"` entry
 *   of [property@Pp.Server:ppservers]) rather than by its address; such a
 *   node leaves the server when its announcement is withdrawn
 *
 * Since: 0.1
 */
gboolean
pp_node_get_discovered (PpNode *self)
{
  g_return_val_if_fail (PP_IS_NODE (self), FALSE);
  return GET_PRIVATE (self)->discovered;
}

/* Right after _pp_node_set_identity(), for a node found by discovery. */
void
_pp_node_set_discovered (PpNode *self)
{
  GET_PRIVATE (self)->discovered = TRUE;
}

#define DEFINE_GETTER(type, field, fallback)     \
  type                                           \
  pp_node_get_##field (PpNode *self)             \
  {                                              \
    PpNodeValues values = { 0 };                 \
                                                 \
    g_return_val_if_fail (PP_IS_NODE (self), fallback); \
    read_values (self, &values);                 \
    _pp_node_values_clear (&values);             \
    return values.field;                         \
  }

/**
 * pp_node_get_state:
 * @self: a #PpNode
 *
 * Returns: the state of the node
 *
 * Since: 0.1
 */
DEFINE_GETTER (PpNodeState, state, PP_NODE_STATE_REMOVED)

/**
 * pp_node_get_ncpus:
 * @self: a #PpNode
 *
 * Gets how many jobs the node runs at once: the size of the local pool, or
 * the number of workers a remote node reported — 0 while it is not ready.
 *
 * Returns: the number of cores the node offers
 *
 * Since: 0.1
 */
DEFINE_GETTER (guint, ncpus, 0)

/**
 * pp_node_get_busy:
 * @self: a #PpNode
 *
 * Returns: the number of jobs running on the node
 *
 * Since: 0.1
 */
DEFINE_GETTER (guint, busy, 0)

/**
 * pp_node_get_held:
 * @self: a #PpNode
 *
 * Gets the number of jobs sent to the node ahead of time (pipelined): sent,
 * not started yet.
 *
 * Returns: the number of jobs the node holds besides those it runs
 *
 * Since: 0.1
 */
DEFINE_GETTER (guint, held, 0)

/**
 * pp_node_get_jobs_done:
 * @self: a #PpNode
 *
 * Gets the number of jobs the node ran to an answer, those whose function
 * raised included: the job count of pp's `print_stats()`.
 *
 * Returns: the number of jobs done
 *
 * Since: 0.1
 */
DEFINE_GETTER (guint64, jobs_done, 0)

/**
 * pp_node_get_jobs_failed:
 * @self: a #PpNode
 *
 * Gets the number of jobs that failed on the node: their function raised
 * or did not compile, the node sent a malformed result, or the worker
 * running them crashed on their last attempt.
 *
 * Returns: the number of failed jobs
 *
 * Since: 0.1
 */
DEFINE_GETTER (guint64, jobs_failed, 0)

/**
 * pp_node_get_job_time:
 * @self: a #PpNode
 *
 * Returns: the seconds the node's workers spent running jobs (pp's "job
 *   time sum")
 *
 * Since: 0.1
 */
DEFINE_GETTER (double, job_time, 0)

/**
 * pp_node_dup_last_error: (get-property last-error)
 * @self: a #PpNode
 *
 * Gets why the last attempt to connect failed, or why the connection was
 * lost: %NULL for the local pool and while the node is ready.
 *
 * Returns: (transfer full) (nullable): the error message
 *
 * Since: 0.1
 */
char *
pp_node_dup_last_error (PpNode *self)
{
  PpNodeValues values = { 0 };

  g_return_val_if_fail (PP_IS_NODE (self), NULL);

  read_values (self, &values);
  return values.last_error;
}

/**
 * pp_node_dup_workers:
 * @self: a #PpNode
 *
 * Describes the node's workers, one dictionary each:
 *
 * - `pid` (`u`): the process id of a local worker; 0 on a remote node
 * - `state` (`s`): `"starting"`, `"idle"` or `"busy"`
 * - `job` (`t`): the id of the job it runs, 0 when none
 * - `function` (`s`): the name of that job's function, `""` when none
 * - `jobs-done` (`t`): the jobs it finished (local workers only)
 * - `busy-time` (`d`): the seconds it spent running them (local workers
 *   only)
 *
 * A remote `ppd` does not tell its clients about its workers: for a ready
 * remote node, there is one entry per worker it reported, `"busy"` with one
 * of the jobs this server sent it (the oldest first) or `"idle"`; none
 * when the node is not ready. A removed node has none.
 *
 * Returns: (transfer full): a #GVariant of type `aa{sv}`
 *
 * Since: 0.1
 */
GVariant *
pp_node_dup_workers (PpNode *self)
{
  PpNodePrivate *priv;
  PpJobOwner *link = NULL;
  g_autoptr(PpServer) server = NULL;
  GMutex *server_lock = NULL;
  GVariant *workers = NULL;

  g_return_val_if_fail (PP_IS_NODE (self), NULL);

  priv = GET_PRIVATE (self);
  g_mutex_lock (&priv->lock);
  if (priv->link != NULL)
    {
      link = _pp_job_owner_ref (priv->link);
      server_lock = priv->server_lock;
    }
  g_mutex_unlock (&priv->lock);
  if (link != NULL)
    {
      server = _pp_job_owner_dup (link);
      _pp_job_owner_unref (link);
    }
  if (server != NULL)
    {
      g_mutex_lock (server_lock);
      g_mutex_lock (&priv->lock);
      /* Still attached: not removed meanwhile. */
      if (priv->link != NULL)
        {
          g_mutex_unlock (&priv->lock);
          workers = PP_NODE_GET_CLASS (self)->dup_workers_locked (self);
        }
      else
        g_mutex_unlock (&priv->lock);
      g_mutex_unlock (server_lock);
    }
  if (workers == NULL)
    workers = g_variant_new_array (G_VARIANT_TYPE_VARDICT, NULL, 0);
  return g_variant_ref_sink (workers);
}

/* GObject ---------------------------------------------------------------- */

static void
pp_node_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  PpNode *self = PP_NODE (object);
  PpNodeValues values = { 0 };

  if (prop_id >= PROP_STATE)
    read_values (self, &values);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, pp_node_get_name (self));
      break;
    case PROP_IS_LOCAL:
      g_value_set_boolean (value, pp_node_get_is_local (self));
      break;
    case PROP_HOST:
      g_value_set_string (value, pp_node_get_host (self));
      break;
    case PROP_PORT:
      g_value_set_uint (value, pp_node_get_port (self));
      break;
    case PROP_TLS:
      g_value_set_boolean (value, pp_node_get_tls (self));
      break;
    case PROP_DISCOVERED:
      g_value_set_boolean (value, pp_node_get_discovered (self));
      break;
    case PROP_STATE:
      g_value_set_enum (value, values.state);
      break;
    case PROP_NCPUS:
      g_value_set_uint (value, values.ncpus);
      break;
    case PROP_BUSY:
      g_value_set_uint (value, values.busy);
      break;
    case PROP_HELD:
      g_value_set_uint (value, values.held);
      break;
    case PROP_JOBS_DONE:
      g_value_set_uint64 (value, values.jobs_done);
      break;
    case PROP_JOBS_FAILED:
      g_value_set_uint64 (value, values.jobs_failed);
      break;
    case PROP_JOB_TIME:
      g_value_set_double (value, values.job_time);
      break;
    case PROP_LAST_ERROR:
      g_value_take_string (value, g_steal_pointer (&values.last_error));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  _pp_node_values_clear (&values);
}

static void
pp_node_finalize (GObject *object)
{
  PpNodePrivate *priv = GET_PRIVATE (PP_NODE (object));

  g_clear_pointer (&priv->link, _pp_job_owner_unref);
  _pp_node_values_clear (&priv->values);
  _pp_node_values_clear (&priv->notified);
  g_clear_pointer (&priv->name, g_free);
  g_clear_pointer (&priv->host, g_free);
  g_mutex_clear (&priv->lock);

  G_OBJECT_CLASS (pp_node_parent_class)->finalize (object);
}

static void
pp_node_class_init (PpNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = pp_node_get_property;
  object_class->finalize = pp_node_finalize;

  /**
   * PpNode:name: (getter get_name)
   *
   * `"local"`, or `"host:port"` for a remote node.
 *
 * Since: 0.1
 */
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);

  /**
   * PpNode:is-local: (getter get_is_local)
   *
   * Whether this is the pool of local workers.
 *
 * Since: 0.1
 */
  properties[PROP_IS_LOCAL] = g_param_spec_boolean ("is-local", NULL, NULL, FALSE, flags);

  /**
   * PpNode:host: (getter get_host)
   *
   * The host of a remote node, %NULL for the local pool.
 *
 * Since: 0.1
 */
  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, NULL, flags);

  /**
   * PpNode:port: (getter get_port)
   *
   * The port of a remote node, 0 for the local pool.
 *
 * Since: 0.1
 */
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0, flags);

  /**
   * PpNode:tls: (getter get_tls)
   *
   * Whether the connection to the node uses TLS.
 *
 * Since: 0.1
 */
  properties[PROP_TLS] = g_param_spec_boolean ("tls", NULL, NULL, FALSE, flags);

  /**
   * PpNode:discovered: (getter get_discovered)
   *
   * Whether the node was found by discovery.
   *
   * Since: 0.1
   */
  properties[PROP_DISCOVERED] = g_param_spec_boolean ("discovered", NULL, NULL, FALSE, flags);

  /**
   * PpNode:state: (getter get_state)
   *
   * The state of the node.
 *
 * Since: 0.1
 */
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, PP_TYPE_NODE_STATE,
                                              PP_NODE_STATE_CONNECTING, flags);

  /**
   * PpNode:ncpus: (getter get_ncpus)
   *
   * How many jobs the node runs at once; 0 while a remote node is not
   * ready.
 *
 * Since: 0.1
 */
  properties[PROP_NCPUS] = g_param_spec_uint ("ncpus", NULL, NULL, 0, G_MAXUINT, 0, flags);

  /**
   * PpNode:busy: (getter get_busy)
   *
   * The number of jobs running on the node.
 *
 * Since: 0.1
 */
  properties[PROP_BUSY] = g_param_spec_uint ("busy", NULL, NULL, 0, G_MAXUINT, 0, flags);

  /**
   * PpNode:held: (getter get_held)
   *
   * The number of jobs sent to the node and not started yet.
 *
 * Since: 0.1
 */
  properties[PROP_HELD] = g_param_spec_uint ("held", NULL, NULL, 0, G_MAXUINT, 0, flags);

  /**
   * PpNode:jobs-done: (getter get_jobs_done)
   *
   * The number of jobs the node answered (pp's job count).
 *
 * Since: 0.1
 */
  properties[PROP_JOBS_DONE] = g_param_spec_uint64 ("jobs-done", NULL, NULL,
                                                    0, G_MAXUINT64, 0, flags);

  /**
   * PpNode:jobs-failed: (getter get_jobs_failed)
   *
   * The number of jobs that failed on the node.
 *
 * Since: 0.1
 */
  properties[PROP_JOBS_FAILED] = g_param_spec_uint64 ("jobs-failed", NULL, NULL,
                                                      0, G_MAXUINT64, 0, flags);

  /**
   * PpNode:job-time: (getter get_job_time)
   *
   * The seconds spent running jobs on the node.
 *
 * Since: 0.1
 */
  properties[PROP_JOB_TIME] = g_param_spec_double ("job-time", NULL, NULL,
                                                   0, G_MAXDOUBLE, 0, flags);

  /**
   * PpNode:last-error: (getter dup_last_error)
   *
   * Why the last connection attempt failed or the connection was lost;
   * %NULL while the node is ready. Read it with
   * [method@Pp.Node.dup_last_error].
 *
 * Since: 0.1
 */
  properties[PROP_LAST_ERROR] = g_param_spec_string ("last-error", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pp_node_init (PpNode *self)
{
  g_mutex_init (&GET_PRIVATE (self)->lock);
}

/* Results -------------------------------------------------------------- */

gboolean
_pp_node_finish_job (PpJob    *job,
                     PpFrame  *frame,
                     gboolean *failed)
{
  g_auto(PpJobOutcome) outcome = { 0 };
  g_autoptr(GBytes) payload = _pp_message_parse_result (job, frame, &outcome);

  _pp_job_add_attempt (job);
  if (outcome.run_time >= 0)
    _pp_function_add_run_time (pp_job_get_function (job), outcome.run_time);
  *failed = outcome.state == PP_JOB_STATE_FAILED;
  return _pp_job_finish (job, &outcome);
}
