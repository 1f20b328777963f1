/* ppd-http.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <pp-json-builder-private.h>

#include "ppd-http-private.h"

/* ppd over HTTP (--http-port): a SoupServer fed with connections that ppd
 * accepts itself, so that it can bound them before libsoup sees a byte:
 *
 * - at most MAX_PER_PEER connections per address (more are closed at once,
 *   counted, never logged one by one) and MAX_CONNECTIONS in all: beyond
 *   that a newcomer takes the place of the connection that has waited
 *   longest for a request's headers (idle sockets from many addresses cannot
 *   lock everyone out), and is closed at once only when every connection
 *   is being served;
 * - a request's headers must arrive within HEADER_DEADLINE seconds of its
 *   start (a byte-a-second client is closed), and a connection idle for
 *   IDLE_TIMEOUT seconds is closed (GSocket's timeout), except a
 *   WebSocket, whose reader ppd-http-events.c watches;
 * - everything but /metrics, / and the page's static files needs
 *   "Authorization: Bearer TOKEN", TOKEN being HMAC-SHA256 of a fixed
 *   label keyed with the node's secret (ppd --print-http-token); failures
 *   answer 401 and are logged summed up, at most AUTH_LOG_BURST lines a
 *   minute;
 * - /metrics is open to loopback peers, to others only with
 *   --metrics-public;
 * - the WebSocket and POST /api/v1/workers (ppd-http-control.c, the one
 *   write) check Origin: a browser's must be this server's own;
 * - no request body is kept but that write's (at most 1 KiB).
 *
 * Everything runs in ppd's main context: a handler only reads what the
 * pool and the node service have already counted. */

#define TOKEN_LABEL      "pp-glib ppd HTTP API token v1"
#define MAX_PER_PEER     32
#define MAX_CONNECTIONS  256
#define HEADER_DEADLINE  10  /* s */
#define IDLE_TIMEOUT     30  /* s */
#define AUTH_LOG_BURST   5   /* lines per AUTH_LOG_WINDOW */
#define AUTH_LOG_WINDOW  60  /* s */
#define CONNECTION_KEY   "ppd-http-connection"

/* One accepted connection, kept as data of the remote address object
 * handed to libsoup, so that it goes when libsoup drops the connection. */
typedef struct
{
  PpdHttp           *http;   /* %NULL once the server is gone */
  GSocketConnection *connection;
  char              *peer;
  GSource           *deadline;
  gint64             waiting_since;  /* while @deadline runs */
  gboolean           displaced;      /* closed for a newcomer, not yet dropped */
} PpdHttpConnection;

/**
 * ppd_http_derive_token:
 * @secret: the node's secret
 *
 * The HTTP token: HMAC-SHA256 of a fixed label, keyed with @secret, in
 * hex. It proves knowledge of the secret without being it: a token seen
 * by a browser or a proxy does not let anyone in over the pp port.
 *
 * Returns: (transfer full): the token
 */
char *
ppd_http_derive_token (const char *secret)
{
  return g_compute_hmac_for_string (G_CHECKSUM_SHA256, (const guchar *) secret,
                                    strlen (secret), TOKEN_LABEL, -1);
}

static void
connection_clear_deadline (PpdHttpConnection *conn)
{
  if (conn->deadline != NULL)
    {
      g_source_destroy (conn->deadline);
      g_clear_pointer (&conn->deadline, g_source_unref);
    }
}

static void
connection_free (gpointer data)
{
  PpdHttpConnection *conn = data;

  connection_clear_deadline (conn);
  if (conn->http != NULL)
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (conn->http->peers, conn->peer));

      if (n <= 1)
        g_hash_table_remove (conn->http->peers, conn->peer);
      else
        g_hash_table_insert (conn->http->peers, g_strdup (conn->peer), GUINT_TO_POINTER (n - 1));
      g_hash_table_remove (conn->http->connections, conn);
    }
  g_clear_object (&conn->connection);
  g_free (conn->peer);
  g_free (conn);
}

static PpdHttpConnection *
message_get_connection (SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote != NULL ? g_object_get_data (G_OBJECT (remote), CONNECTION_KEY) : NULL;
}

/**
 * ppd_http_message_get_socket:
 * @self: the server
 * @msg: a request
 *
 * Returns: (transfer none) (nullable): the socket under @msg
 */
GSocket *
ppd_http_message_get_socket (PpdHttp           *self,
                             SoupServerMessage *msg)
{
  PpdHttpConnection *conn = message_get_connection (msg);

  return conn != NULL ? g_socket_connection_get_socket (conn->connection) : NULL;
}

/* Limits ----------------------------------------------------------------- */

static gboolean
header_deadline_cb (gpointer data)
{
  PpdHttpConnection *conn = data;

  g_debug ("HTTP: %s sent no complete request within %d s: closing", conn->peer,
           HEADER_DEADLINE);
  g_clear_pointer (&conn->deadline, g_source_unref);
  g_socket_shutdown (g_socket_connection_get_socket (conn->connection), TRUE, TRUE, NULL);
  return G_SOURCE_REMOVE;
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           data)
{
  PpdHttpConnection *conn = message_get_connection (msg);

  if (conn == NULL)
    return;
  connection_clear_deadline (conn);
  conn->waiting_since = g_get_monotonic_time ();
  conn->deadline = g_timeout_source_new_seconds (HEADER_DEADLINE);
  g_source_set_callback (conn->deadline, header_deadline_cb, conn, NULL);
  g_source_attach (conn->deadline, NULL);
}

static void
request_read_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           data)
{
  PpdHttpConnection *conn = message_get_connection (msg);

  if (conn != NULL)
    connection_clear_deadline (conn);
}

static char *
describe_address (GSocketAddress *address)
{
  GInetAddress *inet;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("unknown");
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  return g_inet_address_to_string (inet);
}

/* MAX_CONNECTIONS are open: closes the one that has waited longest for its
 * request's headers (never one being served, nor a WebSocket). Displaced
 * connections count until libsoup drops them, a main loop iteration later,
 * up to MAX_CONNECTIONS more. FALSE when there is no room. */
static gboolean
make_room (PpdHttp *self)
{
  PpdHttpConnection *oldest = NULL, *conn;
  guint live = 0;
  GHashTableIter iter;

  if (g_hash_table_size (self->connections) < MAX_CONNECTIONS)
    return TRUE;
  if (g_hash_table_size (self->connections) >= 2 * MAX_CONNECTIONS)
    return FALSE;
  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, (gpointer *) &conn, NULL))
    if (!conn->displaced)
      {
        live++;
        if (conn->deadline != NULL &&
            (oldest == NULL || conn->waiting_since < oldest->waiting_since))
          oldest = conn;
      }
  if (live < MAX_CONNECTIONS)
    return TRUE;
  if (oldest == NULL)
    return FALSE;
  g_debug ("HTTP: %s displaced by a newcomer while waiting for a request", oldest->peer);
  oldest->displaced = TRUE;
  connection_clear_deadline (oldest);
  g_socket_shutdown (g_socket_connection_get_socket (oldest->connection), TRUE, TRUE, NULL);
  return TRUE;
}

static gboolean
admit (PpdHttp    *self,
       const char *peer)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->peers, peer));

  if (n >= MAX_PER_PEER || !make_room (self))
    {
      if (self->refused_connections++ % 1000 == 0)
        g_message ("HTTP: refusing connections over the limits (%d per address, %d in all; "
                   "%" G_GUINT64_FORMAT " so far)", MAX_PER_PEER, MAX_CONNECTIONS,
                   self->refused_connections);
      return FALSE;
    }
  g_hash_table_insert (self->peers, g_strdup (peer), GUINT_TO_POINTER (n + 1));
  return TRUE;
}

static GIOStream *
wrap_tls (PpdHttp           *self,
          GSocketConnection *connection,
          GError           **error)
{
  GIOStream *tls;

  if (self->certificate == NULL)
    return g_object_ref (G_IO_STREAM (connection));
  tls = g_tls_server_connection_new (G_IO_STREAM (connection), self->certificate, error);
  if (tls != NULL)
    g_object_set (tls, "authentication-mode", G_TLS_AUTHENTICATION_NONE, NULL);
  return tls;
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           data)
{
  PpdHttp *self = data;
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *peer = NULL;
  PpdHttpConnection *conn;

  if (remote == NULL || local == NULL)
    return TRUE;
  peer = describe_address (remote);
  if (!admit (self, peer))
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }
  conn = g_new0 (PpdHttpConnection, 1);
  conn->http = self;
  conn->connection = g_object_ref (connection);
  conn->peer = g_steal_pointer (&peer);
  g_hash_table_add (self->connections, conn);
  g_object_set_data_full (G_OBJECT (remote), CONNECTION_KEY, conn, connection_free);
  g_socket_set_timeout (g_socket_connection_get_socket (connection), IDLE_TIMEOUT);

  stream = wrap_tls (self, connection, &error);
  if (stream == NULL || !soup_server_accept_iostream (self->server, stream, local, remote, &error))
    {
      g_message ("HTTP: cannot serve %s: %s", conn->peer, error->message);
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }
  return TRUE;
}

/* Authentication --------------------------------------------------------- */

/**
 * ppd_http_token_equal:
 * @a: a token
 * @b: another
 *
 * Returns: whether @a and @b are equal, in a time that depends on their
 *   lengths only
 */
gboolean
ppd_http_token_equal (const char *a,
                      const char *b)
{
  gsize len_a = strlen (a), len_b = strlen (b);
  guint8 diff = len_a != len_b;

  for (gsize i = 0; i < len_a; i++)
    diff |= (guint8) a[i] ^ (guint8) b[i % MAX (len_b, 1)];
  return diff == 0;
}

static void
log_auth_failure (PpdHttp    *self,
                  const char *peer,
                  const char *path,
                  const char *why)
{
  gint64 now = g_get_monotonic_time ();

  self->auth_failures++;
  if (now - self->auth_window_start >= AUTH_LOG_WINDOW * G_USEC_PER_SEC)
    {
      if (self->auth_unlogged > 0)
        g_message ("HTTP: %u more authentication failures not logged in the last %d s",
                   self->auth_unlogged, AUTH_LOG_WINDOW);
      self->auth_window_start = now;
      self->auth_logged = 0;
      self->auth_unlogged = 0;
    }
  if (self->auth_logged++ < AUTH_LOG_BURST)
    {
      /* The path is the client's: no control characters into the log. */
      g_autofree char *cut = g_strndup (path, 200);
      g_autofree char *escaped = g_strescape (cut, NULL);

      g_message ("HTTP: 401 for %s (%s) on %s%s", peer, why, escaped,
                 self->auth_logged == AUTH_LOG_BURST ? "; more are summed up" : "");
    }
  else
    self->auth_unlogged++;
}

/* The token of a request: "Authorization: Bearer TOKEN", or for the page's
 * WebSocket (a browser cannot set headers on one), the subprotocol
 * "bearer.TOKEN". */
char *
ppd_http_request_token (SoupMessageHeaders *headers)
{
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");
  const char *protocols = soup_message_headers_get_list (headers, "Sec-WebSocket-Protocol");
  g_auto(GStrv) offered = NULL;

  if (authorization != NULL && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0)
    return g_strstrip (g_strdup (authorization + 7));
  if (protocols == NULL)
    return NULL;
  offered = g_strsplit (protocols, ",", 0);
  for (guint i = 0; offered[i] != NULL; i++)
    {
      const char *protocol = g_strstrip (offered[i]);

      if (g_str_has_prefix (protocol, "bearer."))
        return g_strdup (protocol + 7);
    }
  return NULL;
}

static gboolean
check_token (PpdHttp           *self,
             SoupServerMessage *msg,
             const char        *path)
{
  g_autofree char *token = ppd_http_request_token (soup_server_message_get_request_headers (msg));
  PpdHttpConnection *conn = message_get_connection (msg);

  if (token != NULL && ppd_http_token_equal (token, self->token))
    return TRUE;
  log_auth_failure (self, conn ? conn->peer : "unknown", path,
                    token == NULL ? "no token" : "wrong token");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "WWW-Authenticate", "Bearer realm=\"ppd\"");
  ppd_http_respond_error (msg, SOUP_STATUS_UNAUTHORIZED,
                          "a token is needed: Authorization: Bearer TOKEN (ppd --print-http-token)");
  return FALSE;
}

static gboolean
peer_is_loopback (SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return G_IS_INET_SOCKET_ADDRESS (remote) &&
         g_inet_address_get_is_loopback (
           g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
}

/* A browser's WebSocket carries the page's origin: it must be this
 * server's own (scheme and Host), so that no other site's page can use a
 * token it got hold of. Clients that are not browsers send none. */
gboolean
ppd_http_origin_allowed (SoupMessageHeaders *headers,
                         gboolean            tls)
{
  const char *origin = soup_message_headers_get_one (headers, "Origin");
  const char *host = soup_message_headers_get_one (headers, "Host");
  g_autofree char *expected = NULL;

  if (origin == NULL)
    return TRUE;
  expected = g_strdup_printf ("%s://%s", tls ? "https" : "http", host ? host : "");
  return host != NULL && g_ascii_strcasecmp (origin, expected) == 0;
}

static gboolean
check_origin (PpdHttp           *self,
              SoupServerMessage *msg,
              const char        *refusal)
{
  if (ppd_http_origin_allowed (soup_server_message_get_request_headers (msg), self->certificate != NULL))
    return TRUE;
  ppd_http_respond_error (msg, SOUP_STATUS_FORBIDDEN, refusal);
  return FALSE;
}

/* Responses -------------------------------------------------------------- */

/**
 * ppd_http_respond_json:
 * @msg: a request
 * @status: the HTTP status
 * @json: (transfer full): the body
 */
void
ppd_http_respond_json (SoupServerMessage *msg,
                       guint              status,
                       char              *json)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  json = _pp_json_escape_unit_separator (json);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, json,
                                    strlen (json));
}

void
ppd_http_respond_error (SoupServerMessage *msg,
                        guint              status,
                        const char        *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  ppd_http_respond_json (msg, status, json_to_string (root, FALSE));
}

/* Routing ---------------------------------------------------------------- */

/* Runs once the headers are in, before any handler: methods, the token,
 * the Origin, /metrics' peers. A status set here ends the request. */
static void
early_handler_cb (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           data)
{
  PpdHttp *self = data;
  const char *method = soup_server_message_get_method (msg);

  /* A body is read all the same once a status is set here: none is kept
   * (a 1 GB POST costs no memory), but a control request's, checked small. */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  /* ppd-http-control.c's writes: the token, then a browser's Origin. */
  if (ppd_http_control_claims (path))
    {
      if (check_token (self, msg, path) && check_origin (self, msg, "this Origin may not change the node"))
        ppd_http_control_check_request (msg);
      return;
    }
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", "GET, HEAD");
      ppd_http_respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "only GET is served");
      return;
    }
  if (g_str_equal (path, "/metrics"))
    {
      if (!self->metrics_public && !peer_is_loopback (msg))
        ppd_http_respond_error (msg, SOUP_STATUS_FORBIDDEN,
                                "/metrics is served to loopback only (ppd --metrics-public)");
      return;
    }
  if (!g_str_has_prefix (path, "/api/"))
    return;  /* the page: no data in it */
  if (!check_token (self, msg, path))
    return;
  if (g_str_equal (path, "/api/v1/events"))
    check_origin (self, msg, "this Origin may not open the events");
}

static const char * const protocols[] = { "pp-glib.events.v1", NULL };

/* The 101 is written: the connection is ppd's WebSocket from now on. */
static void
upgraded_cb (SoupServerMessage *msg,
             gpointer           data)
{
  PpdHttp *self = data;
  GSocket *socket = ppd_http_message_get_socket (self, msg);
  g_autoptr(GSocket) socket_ref = socket ? g_object_ref (socket) : NULL;
  GSocketAddress *address = soup_server_message_get_remote_address (msg);
  g_autoptr(GSocketAddress) remote = address ? g_object_ref (address) : NULL;
  g_autoptr(GIOStream) stream = NULL;

  g_signal_handlers_disconnect_by_func (msg, upgraded_cb, data);
  stream = soup_server_message_steal_connection (msg);
  ppd_http_events_add_reader (self, stream, socket_ref, remote);
}

/* The WebSocket handshake, answered by libsoup (101, the accept key, the
 * subprotocol); what follows is ppd-http-websocket.c's. */
static void
answer_websocket (PpdHttp           *self,
                  SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;

  if (!soup_websocket_server_check_handshake (msg, NULL, (char **) protocols, NULL, &error))
    {
      ppd_http_respond_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      return;
    }
  soup_websocket_server_process_handshake (msg, NULL, (char **) protocols, NULL, NULL);
  g_signal_connect (msg, "wrote-informational", G_CALLBACK (upgraded_cb), self);
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           data)
{
  PpdHttp *self = data;

  if (g_str_equal (path, "/api/v1/status"))
    ppd_http_api_status (self, msg);
  else if (g_str_equal (path, "/api/v1/jobs"))
    ppd_http_api_jobs (self, msg);
  else if (g_str_equal (path, "/metrics"))
    ppd_http_metrics_serve (self, msg);
  else if (g_str_equal (path, "/api/v1/events"))
    answer_websocket (self, msg);
  else if (ppd_http_control_claims (path))
    ppd_http_control_serve (self, msg);
  else if (!ppd_http_page_serve (self, msg, path))
    ppd_http_respond_error (msg, SOUP_STATUS_NOT_FOUND, "no such path");
}

/* Pool and node events --------------------------------------------------- */

static void
client_connected_cb (PpNodeService *node,
                     const char    *peer,
                     gpointer       data)
{
  ppd_http_events_client (data, "client-connected", peer, NULL);
}

static void
client_disconnected_cb (PpNodeService *node,
                        const char    *peer,
                        const char    *reason,
                        gpointer       data)
{
  ppd_http_events_client (data, "client-left", peer, reason);
}

static void
ncpus_cb (GObject    *object,
          GParamSpec *pspec,
          gpointer    data)
{
  ppd_http_events_workers_changed (data);
}

static void
connect_signals (PpdHttp *self)
{
  /* Job events in batches, on this (the main) context: no GSignal
   * emission or main-context wake-up per job. */
  _pp_server_set_job_events_func (self->pool, NULL, ppd_http_api_job_events, self);
  g_signal_connect (self->pool, "notify::ncpus", G_CALLBACK (ncpus_cb), self);
  g_signal_connect (self->node, "client-connected", G_CALLBACK (client_connected_cb), self);
  g_signal_connect (self->node, "client-disconnected", G_CALLBACK (client_disconnected_cb), self);
}

/* Life ------------------------------------------------------------------- */

PpdHttp *
ppd_http_new (const PpdHttpConfig *config,
              PpServer            *pool,
              PpNodeService       *node)
{
  PpdHttp *self = g_new0 (PpdHttp, 1);
  self->pool = g_object_ref (pool);
  self->node = g_object_ref (node);
  self->address = g_strdup (config->address ? config->address : "127.0.0.1");
  self->port = config->port;
  self->token = ppd_http_derive_token (config->secret);
  self->certificate = config->certificate ? g_object_ref (config->certificate) : NULL;
  self->metrics_public = config->metrics_public;
  self->connections = g_hash_table_new (NULL, NULL);
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  self->server = soup_server_new ("server-header", "ppd/" PACKAGE_VERSION, NULL);
  soup_server_add_early_handler (self->server, NULL, early_handler_cb, self, NULL);
  soup_server_add_handler (self->server, NULL, handler_cb, self, NULL);
  g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_cb), self);
  g_signal_connect (self->server, "request-read", G_CALLBACK (request_read_cb), self);

  ppd_http_api_init (self);
  ppd_http_events_init (self);
  ppd_http_metrics_init (&self->metrics);
  connect_signals (self);
  return self;
}

gboolean
ppd_http_start (PpdHttp  *self,
                GError  **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (self->address);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) effective = NULL;

  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "--http-address must be an IP address, not “%s”", self->address);
      return FALSE;
    }
  address = g_inet_socket_address_new (inet, self->port);
  self->listener = g_socket_service_new ();
  /* A crowd is refused by ppd, not by a full backlog (SYNs dropped). */
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (self->listener), 512);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->listener), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &effective, error))
    return FALSE;
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (self->listener, "incoming", G_CALLBACK (incoming_cb), self);
  g_socket_service_start (self->listener);
  return TRUE;
}

guint16
ppd_http_get_port (PpdHttp *self)
{
  return self->port;
}

/* ppd -a: the status document shows @announce's name (NULL: none). */
void
ppd_http_set_announce (PpdHttp     *self,
                       PpdAnnounce *announce)
{
  self->announce = announce;
}

void
ppd_http_free (PpdHttp *self)
{
  GHashTableIter iter;
  PpdHttpConnection *conn;

  _pp_server_set_job_events_func (self->pool, NULL, NULL, NULL);
  g_signal_handlers_disconnect_by_data (self->pool, self);
  g_signal_handlers_disconnect_by_data (self->node, self);
  if (self->listener != NULL)
    {
      g_socket_service_stop (self->listener);
      g_socket_listener_close (G_SOCKET_LISTENER (self->listener));
      g_signal_handlers_disconnect_by_data (self->listener, self);
    }
  ppd_http_events_clear (self);
  g_signal_handlers_disconnect_by_data (self->server, self);
  soup_server_disconnect (self->server);
  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, (gpointer *) &conn, NULL))
    {
      conn->http = NULL;
      connection_clear_deadline (conn);
      g_io_stream_close (G_IO_STREAM (conn->connection), NULL, NULL);
    }
  g_clear_object (&self->server);
  g_clear_object (&self->listener);
  ppd_http_api_clear (self);
  ppd_http_metrics_clear (&self->metrics);
  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_clear_pointer (&self->peers, g_hash_table_unref);
  g_clear_object (&self->certificate);
  g_clear_object (&self->pool);
  g_clear_object (&self->node);
  g_free (self->address);
  g_free (self->token);
  g_free (self);
}
