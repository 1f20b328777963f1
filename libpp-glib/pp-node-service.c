/* pp-node-service.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-error.h"
#include "pp-handshake-private.h"
#include "pp-io-thread-private.h"
#include "pp-node-client-private.h"
#include "pp-secret-private.h"
#include "pp-server-private.h"

/**
 * PpNodeService:
 *
 * The node side of the cluster protocol (see `docs/protocol.md`): it
 * listens on TCP, authenticates clients with the shared secret, and runs
 * their jobs on a local [class@Pp.Server] pool. `ppd` is a thin `main()`
 * around it; any GLib program can embed one.
 *
 * Everything happens on the thread-default #GMainContext of the thread that
 * called [method@Pp.NodeService.listen], which must keep running it. The
 * service never blocks that loop: jobs run on the pool's workers, results
 * come back through [method@Pp.Job.wait_async].
 *
 * Each connection is independent: its function definitions are private to
 * it, and whatever it sends (garbage, oversized frames, nothing at all)
 * closes that connection only. When a client goes away its unfinished jobs
 * are cancelled, since it runs them elsewhere.
 *
 * ```c
 * g_autoptr(PpServer) pool = pp_server_new (PP_NCPUS_AUTODETECT, &error);
 * g_autoptr(PpNodeService) service = pp_node_service_new (pool, secret);
 *
 * if (!pp_node_service_listen (service, NULL, 60000, &error))
 *   g_error ("%s", error->message);
 * g_main_loop_run (loop);
 * ```
 *
 * Since: 0.1
 */

#define DEFAULT_SOCKET_TIMEOUT 3600
/* A handshake must be over within this, whatever the socket timeout. */
#define DEFAULT_HANDSHAKE_TIMEOUT 5
/* What the node holds for a client: while this much output waits for it
 * (or it has too many jobs unanswered, pp-node-client.c), its frames are
 * not read. */
#define DEFAULT_MAX_QUEUED_OUTPUT (16 * 1024 * 1024)

enum {
  PROP_0,
  PROP_POOL,
  PROP_SECRET,
  PROP_SOCKET_TIMEOUT,
  PROP_HANDSHAKE_TIMEOUT,
  PROP_MAX_QUEUED_OUTPUT,
  PROP_TLS_CERTIFICATE,
  PROP_PORT,
  PROP_N_CLIENTS,
  PROP_ACTIVE_JOBS,
  N_PROPS
};

enum {
  CLIENT_CONNECTED,
  CLIENT_DISCONNECTED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (PpNodeService, pp_node_service, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Counters --------------------------------------------------------------- */

static gboolean
notify_active_jobs_cb (gpointer data)
{
  PpNodeService *self = data;

  self->notify_active_source = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE_JOBS]);
  return G_SOURCE_REMOVE;
}

/* Notified once per main loop iteration at most: it changes with every
 * job. */
void
_pp_node_service_set_active_jobs (PpNodeService *self,
                                  guint          active_jobs)
{
  GSource *source;

  if (self->active_jobs == active_jobs)
    return;
  self->active_jobs = active_jobs;
  if (self->notify_active_source != 0 || self->context == NULL)
    return;
  source = g_idle_source_new ();
  g_source_set_callback (source, notify_active_jobs_cb, self, NULL);
  g_source_set_static_name (source, "[pp] notify active-jobs");
  self->notify_active_source = g_source_attach (source, self->context);
  g_source_unref (source);
}

static void
set_n_clients (PpNodeService *self,
               guint          n_clients)
{
  if (self->n_clients == n_clients)
    return;
  self->n_clients = n_clients;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CLIENTS]);
}

void
_pp_node_service_client_connected (PpNodeService *self,
                                   const char    *peer)
{
  set_n_clients (self, self->n_clients + 1);
  g_signal_emit (self, signals[CLIENT_CONNECTED], 0, peer);
}

void
_pp_node_service_client_disconnected (PpNodeService *self,
                                      const char    *peer,
                                      const char    *reason)
{
  set_n_clients (self, self->n_clients - 1);
  g_signal_emit (self, signals[CLIENT_DISCONNECTED], 0, peer, reason);
}

void
_pp_node_service_set_port (PpNodeService *self,
                           guint16        port)
{
  if (self->port == port)
    return;
  self->port = port;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
}

/* GObject ---------------------------------------------------------------- */

static void
pp_node_service_dispose (GObject *object)
{
  PpNodeService *self = PP_NODE_SERVICE (object);

  pp_node_service_stop (self);
  if (self->notify_active_source != 0)
    g_source_destroy (g_main_context_find_source_by_id (self->context,
                                                        self->notify_active_source));
  self->notify_active_source = 0;
  if (self->pool != NULL && self->context != NULL)
    _pp_server_set_finished_func (self->pool, NULL, NULL, NULL);
  g_clear_pointer (&self->tracked, g_hash_table_unref);
  g_clear_object (&self->pool);
  g_clear_object (&self->certificate);

  G_OBJECT_CLASS (pp_node_service_parent_class)->dispose (object);
}

static void
pp_node_service_finalize (GObject *object)
{
  PpNodeService *self = PP_NODE_SERVICE (object);

  g_clear_pointer (&self->clients, g_hash_table_unref);
  g_clear_pointer (&self->peers, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->secret, _pp_secret_free);

  G_OBJECT_CLASS (pp_node_service_parent_class)->finalize (object);
}

static void
pp_node_service_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PpNodeService *self = PP_NODE_SERVICE (object);

  switch (prop_id)
    {
    case PROP_POOL:
      g_value_set_object (value, self->pool);
      break;
    case PROP_SOCKET_TIMEOUT:
      g_value_set_uint (value, self->socket_timeout);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      g_value_set_uint (value, self->handshake_timeout);
      break;
    case PROP_MAX_QUEUED_OUTPUT:
      g_value_set_uint64 (value, self->max_queued_output);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, self->certificate);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_N_CLIENTS:
      g_value_set_uint (value, self->n_clients);
      break;
    case PROP_ACTIVE_JOBS:
      g_value_set_uint (value, self->active_jobs);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pp_node_service_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  PpNodeService *self = PP_NODE_SERVICE (object);

  switch (prop_id)
    {
    case PROP_POOL:
      self->pool = g_value_dup_object (value);
      break;
    case PROP_SECRET:
      /* An empty secret is no secret. */
      if (g_value_get_string (value) != NULL && *g_value_get_string (value) != '\0')
        self->secret = g_value_dup_string (value);
      break;
    case PROP_SOCKET_TIMEOUT:
      pp_node_service_set_socket_timeout (self, g_value_get_uint (value));
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      if (self->handshake_timeout != g_value_get_uint (value))
        {
          self->handshake_timeout = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_MAX_QUEUED_OUTPUT:
      if (self->max_queued_output != g_value_get_uint64 (value))
        {
          self->max_queued_output = g_value_get_uint64 (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_TLS_CERTIFICATE:
      pp_node_service_set_tls_certificate (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pp_node_service_class_init (PpNodeServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pp_node_service_dispose;
  object_class->finalize = pp_node_service_finalize;
  object_class->get_property = pp_node_service_get_property;
  object_class->set_property = pp_node_service_set_property;

  /**
   * PpNodeService:pool:
   *
   * The local job server whose workers run the clients' jobs.
   *
   * Since: 0.1
   */
  properties[PROP_POOL] =
    g_param_spec_object ("pool", NULL, NULL, PP_TYPE_SERVER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PpNodeService:secret:
   *
   * The secret shared with the clients. Without one (%NULL or empty), the
   * service refuses to listen. It cannot be read back.
   *
   * Since: 0.1
   */
  properties[PROP_SECRET] =
    g_param_spec_string ("secret", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PpNodeService:socket-timeout:
   *
   * Seconds within which a client must complete its handshake, when
   * shorter than [property@Pp.NodeService:handshake-timeout] (0: that limit
   * alone), announced to clients in the handshake. Once authenticated, a client is closed only when it
   * misses its heartbeats: it pings every 2 seconds (as the handshake
   * says), and nothing from it for 5 of those intervals closes it; a
   * client waiting for a long job is never closed. Changes apply to new
   * connections.
   *
   * Since: 0.1
   */
  properties[PROP_SOCKET_TIMEOUT] =
    g_param_spec_uint ("socket-timeout", NULL, NULL, 0, G_MAXINT / 1000, DEFAULT_SOCKET_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PpNodeService:handshake-timeout:
   *
   * Seconds a new connection has to prove the secret (5 by default; a
   * shorter [property@Pp.NodeService:socket-timeout] shortens it): an
   * unauthenticated connection holds one of a bounded number of slots (256
   * in all, 10 per address or IPv6 /64; beyond that the oldest gives way).
   * Changes apply to new connections.
   *
   * Since: 0.1
   */
  properties[PROP_HANDSHAKE_TIMEOUT] =
    g_param_spec_uint ("handshake-timeout", NULL, NULL, 1, 3600, DEFAULT_HANDSHAKE_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PpNodeService:max-queued-output:
   *
   * Bytes of results waiting to be sent to one client (16 MiB by default)
   * beyond which the service stops reading that client's frames until it
   * has read them, and hands none of that client's jobs to a worker until
   * they have gone out: a client that submits without reading cannot make the
   * node hold more than about this (plus the results of the jobs its
   * workers were running, one per worker).
   *
   * Since: 0.1
   */
  properties[PROP_MAX_QUEUED_OUTPUT] =
    g_param_spec_uint64 ("max-queued-output", NULL, NULL, 1, G_MAXUINT64,
                         DEFAULT_MAX_QUEUED_OUTPUT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PpNodeService:tls-certificate:
   *
   * The certificate (with its private key) to serve TLS with, or %NULL for
   * plain TCP. Changes apply to new connections.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_CERTIFICATE] =
    g_param_spec_object ("tls-certificate", NULL, NULL, G_TYPE_TLS_CERTIFICATE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PpNodeService:port:
   *
   * The TCP port the service listens on, 0 when it does not.
   *
   * Since: 0.1
   */
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PpNodeService:n-clients:
   *
   * How many authenticated clients are connected.
   *
   * Since: 0.1
   */
  properties[PROP_N_CLIENTS] =
    g_param_spec_uint ("n-clients", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PpNodeService:active-jobs:
   *
   * How many of the clients' jobs are queued or running on the pool.
   *
   * Since: 0.1
   */
  properties[PROP_ACTIVE_JOBS] =
    g_param_spec_uint ("active-jobs", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PpNodeService::client-connected:
   * @self: the #PpNodeService
   * @peer: the client's address, `"address:port"`
   *
   * A client has connected and proved that it knows the secret.
   *
   * Since: 0.1
   */
  signals[CLIENT_CONNECTED] =
    g_signal_new ("client-connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * PpNodeService::client-disconnected:
   * @self: the #PpNodeService
   * @peer: the client's address, `"address:port"`
   * @reason: why the connection ended
   *
   * An authenticated client's connection has ended; its unfinished jobs
   * were cancelled.
   *
   * Since: 0.1
   */
  signals[CLIENT_DISCONNECTED] =
    g_signal_new ("client-disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
pp_node_service_init (PpNodeService *self)
{
  self->socket_timeout = DEFAULT_SOCKET_TIMEOUT;
  self->heartbeat_ms = _pp_heartbeat_get_interval ();
  self->handshake_timeout = DEFAULT_HANDSHAKE_TIMEOUT;
  self->max_queued_output = DEFAULT_MAX_QUEUED_OUTPUT;
  self->clients = g_hash_table_new (NULL, NULL);
  _pp_node_admission_init (self);
  self->tracked = g_hash_table_new_full (NULL, NULL, NULL,
                                         (GDestroyNotify) _pp_node_remote_job_free);
}

/* Public API ------------------------------------------------------------- */

/**
 * pp_node_service_new:
 * @pool: the job server whose workers run the clients' jobs
 * @secret: (nullable): the secret shared with the clients (for example
 *   from [func@Pp.secret_load_default]); without one, the service refuses
 *   to listen
 *
 * Creates a node service. It does nothing until
 * [method@Pp.NodeService.listen].
 *
 * Returns: (transfer full): a new #PpNodeService
 *
 * Since: 0.1
 */
PpNodeService *
pp_node_service_new (PpServer   *pool,
                     const char *secret)
{
  g_return_val_if_fail (PP_IS_SERVER (pool), NULL);

  return g_object_new (PP_TYPE_NODE_SERVICE,
                       "pool", pool,
                       "secret", secret,
                       NULL);
}

/**
 * pp_node_service_get_port:
 * @self: a #PpNodeService
 *
 * Gets the TCP port the service listens on: the one bound first when it was
 * asked for any.
 *
 * Returns: the port, 0 when the service does not listen
 *
 * Since: 0.1
 */
guint16
pp_node_service_get_port (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), 0);
  return self->port;
}

/**
 * pp_node_service_get_pool:
 * @self: a #PpNodeService
 *
 * Returns: (transfer none): the job server that runs the clients' jobs
 *
 * Since: 0.1
 */
PpServer *
pp_node_service_get_pool (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), NULL);
  return self->pool;
}

/**
 * pp_node_service_set_socket_timeout:
 * @self: a #PpNodeService
 * @seconds: seconds within which a client must complete the handshake,
 *   0 for [property@Pp.NodeService:handshake-timeout] alone
 *
 * Sets [property@Pp.NodeService:socket-timeout] (3600 by default, like
 * pp's `ppserver.py`).
 *
 * Since: 0.1
 */
void
pp_node_service_set_socket_timeout (PpNodeService *self,
                                    guint          seconds)
{
  g_return_if_fail (PP_IS_NODE_SERVICE (self));

  seconds = MIN (seconds, G_MAXINT / 1000);
  if (self->socket_timeout == seconds)
    return;
  self->socket_timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOCKET_TIMEOUT]);
}

/**
 * pp_node_service_get_socket_timeout:
 * @self: a #PpNodeService
 *
 * Returns: the socket timeout in seconds, 0 for the default limit
 *
 * Since: 0.1
 */
guint
pp_node_service_get_socket_timeout (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), 0);
  return self->socket_timeout;
}

/**
 * pp_node_service_get_handshake_timeout:
 * @self: a #PpNodeService
 *
 * Returns: [property@Pp.NodeService:handshake-timeout], in seconds
 *
 * Since: 0.1
 */
guint
pp_node_service_get_handshake_timeout (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), 0);
  return self->handshake_timeout;
}

/**
 * pp_node_service_get_max_queued_output:
 * @self: a #PpNodeService
 *
 * Returns: [property@Pp.NodeService:max-queued-output], in bytes
 *
 * Since: 0.1
 */
guint64
pp_node_service_get_max_queued_output (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), 0);
  return self->max_queued_output;
}

/**
 * pp_node_service_set_tls_certificate:
 * @self: a #PpNodeService
 * @certificate: (nullable): a certificate with its private key, or %NULL
 *   for plain TCP
 *
 * Makes new connections TLS (clients then need TLS too). The channel
 * binding of each TLS connection enters the handshake's proofs, so a man in
 * the middle cannot relay them.
 *
 * Since: 0.1
 */
void
pp_node_service_set_tls_certificate (PpNodeService   *self,
                                     GTlsCertificate *certificate)
{
  g_return_if_fail (PP_IS_NODE_SERVICE (self));
  g_return_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate));

  if (g_set_object (&self->certificate, certificate))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_CERTIFICATE]);
}

/**
 * pp_node_service_get_tls_certificate:
 * @self: a #PpNodeService
 *
 * Returns: (transfer none) (nullable): the TLS certificate, or %NULL
 *
 * Since: 0.1
 */
GTlsCertificate *
pp_node_service_get_tls_certificate (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), NULL);
  return self->certificate;
}

/**
 * pp_node_service_get_n_clients:
 * @self: a #PpNodeService
 *
 * Returns: how many authenticated clients are connected
 *
 * Since: 0.1
 */
guint
pp_node_service_get_n_clients (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), 0);
  return self->n_clients;
}

/**
 * pp_node_service_get_handshake_failures:
 * @self: a #PpNodeService
 *
 * Counts the connections that ended before authenticating with a problem:
 * a wrong secret, a malformed, refused or late handshake, displaced by
 * newer ones, or refused at once over the limits. ppd serves it as
 * `ppd_handshake_failures_total` on `/metrics`.
 *
 * Returns: how many connections failed or were refused before
 *   authenticating since @self was created
 *
 * Since: 0.1
 */
guint64
pp_node_service_get_handshake_failures (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), 0);
  return self->handshake_failures;
}

/**
 * pp_node_service_get_active_jobs:
 * @self: a #PpNodeService
 *
 * Returns: how many of the clients' jobs are queued or running
 *
 * Since: 0.1
 */
guint
pp_node_service_get_active_jobs (PpNodeService *self)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), 0);
  return self->active_jobs;
}

/**
 * pp_node_service_stop_listening:
 * @self: a #PpNodeService
 *
 * Stops accepting clients but keeps serving the connected ones, for a
 * graceful shutdown: wait for [property@Pp.NodeService:active-jobs] to
 * drop to 0, then call [method@Pp.NodeService.stop]. The service may listen
 * again afterwards.
 *
 * Since: 0.1
 */
void
pp_node_service_stop_listening (PpNodeService *self)
{
  g_return_if_fail (PP_IS_NODE_SERVICE (self));

  if (self->listener != NULL)
    {
      g_socket_service_stop (self->listener);
      g_socket_listener_close (G_SOCKET_LISTENER (self->listener));
      g_signal_handlers_disconnect_by_data (self->listener, self);
      g_clear_object (&self->listener);
    }
  _pp_node_service_set_port (self, 0);
}

/**
 * pp_node_service_stop:
 * @self: a #PpNodeService
 *
 * Stops listening, tells every client that the node is shutting down,
 * closes their connections and cancels their jobs. The service may listen
 * again afterwards.
 *
 * Since: 0.1
 */
void
pp_node_service_stop (PpNodeService *self)
{
  g_autoptr(GList) clients = NULL;

  g_return_if_fail (PP_IS_NODE_SERVICE (self));

  pp_node_service_stop_listening (self);
  clients = g_hash_table_get_keys (self->clients);
  for (GList *l = clients; l != NULL; l = l->next)
    {
      PpNodeClient *client = l->data;

      if (client->authenticated)
        _pp_node_client_log (client, G_LOG_LEVEL_INFO, "disconnected: the node is shutting down");
      _pp_node_client_abort (client, "shutdown", "the node is shutting down");
    }
  _pp_node_admission_stop_tick (self);
}

/**
 * pp_node_service_dup_clients:
 * @self: a #PpNodeService
 *
 * Describes the connected (authenticated) clients, for monitoring (ppd's
 * D-Bus ListClients): one `(std)` per client: its address, the jobs it ran
 * here, and since when it is connected, in seconds since the Unix epoch.
 *
 * Returns: (transfer full): a #GVariant of type `a(std)`
 *
 * Since: 0.1
 */
GVariant *
pp_node_service_dup_clients (PpNodeService *self)
{
  GVariantBuilder builder;
  GHashTableIter iter;
  PpNodeClient *client;

  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), NULL);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(std)"));
  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, (gpointer *) &client, NULL))
    if (client->authenticated && !client->connection_closed)
      g_variant_builder_add (&builder, "(std)", client->peer, client->jobs_done, client->since);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}
