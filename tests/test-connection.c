/* test-connection.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <pp-glib.h>

#include "pp-connection-private.h"

/* Two PpConnections over a real loopback TCP pair (and the same over TLS),
 * on a GMainContext that the test iterates. */

#define BIG_BODY (10 * 1024 * 1024)

typedef struct
{
  PpConnection *connection;
  GQueue        frames;
  guint         n_closed;
  GError       *error;
  gboolean      free_on_closed;
  gboolean      close_on_frame;
  gboolean      free_on_frame;
} Peer;

typedef struct
{
  GMainContext      *context;
  GSource           *tick;
  gboolean           tls;
  GSocketListener   *listener;
  GSocketAddress    *address;
  GSocketConnection *server_base;
  GSocketConnection *client_base;
  GIOStream         *server_stream;
  GIOStream         *client_stream;
  Peer               server;
  Peer               client;
} Fixture;

static void
frame_cb (PpConnection *connection,
          PpFrame      *frame,
          gpointer      user_data)
{
  Peer *peer = user_data;

  g_assert_true (connection == peer->connection);
  g_queue_push_tail (&peer->frames, frame);
  if (peer->close_on_frame)
    _pp_connection_close (connection);
  if (peer->free_on_frame)
    g_clear_pointer (&peer->connection, _pp_connection_free);
}

static void
closed_cb (PpConnection *connection,
           const GError *error,
           gpointer      user_data)
{
  Peer *peer = user_data;

  g_assert_true (connection == peer->connection);
  peer->n_closed++;
  g_clear_error (&peer->error);
  if (error != NULL)
    peer->error = g_error_copy (error);
  if (peer->free_on_closed)
    g_clear_pointer (&peer->connection, _pp_connection_free);
}

static const PpConnectionCallbacks callbacks = {
  .frame = frame_cb,
  .closed = closed_cb,
};

/* Iterates the context until @cond holds; a tick source makes sure that the
 * deadline is checked even when nothing else happens. */
#define WAIT_FOR(f, cond)                                                       \
  G_STMT_START {                                                                \
    gint64 _deadline = g_get_monotonic_time () + 40 * G_USEC_PER_SEC;           \
    while (!(cond))                                                             \
      {                                                                         \
        if (g_get_monotonic_time () > _deadline)                                \
          g_error ("Timed out waiting for %s", #cond);                          \
        g_main_context_iteration ((f)->context, TRUE);                          \
      }                                                                         \
  } G_STMT_END

static void
run_for (Fixture *f,
         guint    msec)
{
  gint64 end = g_get_monotonic_time () + msec * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (f->context, TRUE);
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static char *
data_file (const char *name)
{
  const char *root = g_getenv ("PP_SOURCE_ROOT");

  if (root != NULL)
    return g_build_filename (root, "tests", "data", name, NULL);
  return g_test_build_filename (G_TEST_DIST, "data", name, NULL);
}

/* Synchronous and without a proxy lookup: connecting to a listening socket
 * on loopback completes in the backlog, before accept(). */
static void
connect_tcp (Fixture *f)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;

  f->listener = g_socket_listener_new ();
  g_socket_listener_add_address (f->listener, any_port, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &f->address, &error);
  g_assert_no_error (error);
  g_socket_client_set_enable_proxy (client, FALSE);
  f->client_base = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (f->address), NULL, &error);
  g_assert_no_error (error);
  f->server_base = g_socket_listener_accept (f->listener, NULL, NULL, &error);
  g_assert_no_error (error);
}

static gboolean
accept_certificate_cb (GTlsConnection       *connection,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              data)
{
  /* The test certificate is self-signed. */
  return TRUE;
}

static void
handshake_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  guint *n_done = data;
  g_autoptr(GError) error = NULL;

  g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error);
  g_assert_no_error (error);
  (*n_done)++;
}

static void
wrap_tls (Fixture *f)
{
  g_autofree char *cert_file = data_file ("test-cert.pem");
  g_autofree char *key_file = data_file ("test-key.pem");
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  guint n_done = 0;

  certificate = g_tls_certificate_new_from_files (cert_file, key_file, &error);
  g_assert_no_error (error);
  f->server_stream = g_tls_server_connection_new (G_IO_STREAM (f->server_base), certificate, &error);
  g_assert_no_error (error);
  f->client_stream = g_tls_client_connection_new (G_IO_STREAM (f->client_base), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (f->client_stream, "accept-certificate", G_CALLBACK (accept_certificate_cb), NULL);

  /* As a client or node does, before the stream goes to a PpConnection. */
  g_tls_connection_handshake_async (G_TLS_CONNECTION (f->server_stream), G_PRIORITY_DEFAULT,
                                    NULL, handshake_cb, &n_done);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (f->client_stream), G_PRIORITY_DEFAULT,
                                    NULL, handshake_cb, &n_done);
  WAIT_FOR (f, n_done == 2);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->tls = GPOINTER_TO_INT (data);
  if (f->tls && !g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("No TLS backend: install glib-networking");
      return;
    }

  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  f->tick = g_timeout_source_new (50);
  g_source_set_callback (f->tick, tick_cb, NULL, NULL);
  g_source_attach (f->tick, f->context);

  connect_tcp (f);
  if (f->tls)
    wrap_tls (f);
  else
    {
      f->server_stream = g_object_ref (G_IO_STREAM (f->server_base));
      f->client_stream = g_object_ref (G_IO_STREAM (f->client_base));
    }
}

static void
peer_clear (Peer *peer)
{
  g_clear_pointer (&peer->connection, _pp_connection_free);
  g_queue_clear_full (&peer->frames, (GDestroyNotify) _pp_frame_free);
  g_clear_error (&peer->error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->context == NULL)
    return;
  peer_clear (&f->server);
  peer_clear (&f->client);
  g_io_stream_close (f->server_stream, NULL, NULL);
  g_io_stream_close (f->client_stream, NULL, NULL);
  g_clear_object (&f->server_stream);
  g_clear_object (&f->client_stream);
  g_clear_object (&f->server_base);
  g_clear_object (&f->client_base);
  g_clear_object (&f->address);
  g_socket_listener_close (f->listener);
  g_clear_object (&f->listener);
  while (g_main_context_iteration (f->context, FALSE))
    ;
  g_source_destroy (f->tick);
  g_source_unref (f->tick);
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);
}

static void
open_server (Fixture *f)
{
  f->server.connection = _pp_connection_new (f->server_stream, f->context, &callbacks, &f->server);
}

static void
open_client (Fixture *f)
{
  f->client.connection = _pp_connection_new (f->client_stream, f->context, &callbacks, &f->client);
}

static void
open_both (Fixture *f)
{
  open_server (f);
  open_client (f);
}

static guint8 *
make_body (guint i,
           gsize len)
{
  guint8 *body = g_malloc (len + 1);

  for (gsize j = 0; j < len; j++)
    body[j] = (guint8) (i * 7 + j);
  return body;
}

static void
send_numbered (Peer  *peer,
               guint  i,
               gsize  body_len)
{
  g_autofree char *header = g_strdup_printf ("{\"t\":\"n\",\"i\":%u}", i);
  g_autofree guint8 *body = make_body (i, body_len);

  _pp_connection_send (peer->connection, header, strlen (header), body, body_len);
}

static void
check_numbered (PpFrame *frame,
                guint    i,
                gsize    body_len)
{
  g_autofree guint8 *body = make_body (i, body_len);

  g_assert_cmpstr (_pp_frame_get_type (frame), ==, "n");
  g_assert_cmpint (_pp_frame_get_int (frame, "i", -1), ==, i);
  g_assert_cmpmem (g_bytes_get_data (frame->body, NULL), g_bytes_get_size (frame->body),
                   body, body_len);
}

static gsize
body_size (guint i)
{
  return (i * 7919) % 70000;
}

/* Many frames of many sizes, both ways at once, arrive whole and in order. */
static void
test_connection_frames (Fixture       *f,
                        gconstpointer  data)
{
  const guint n = 1000;

  if (f->context == NULL)
    return;
  open_both (f);
  for (guint i = 0; i < n; i++)
    {
      send_numbered (&f->client, i, body_size (i));
      send_numbered (&f->server, n - i, body_size (n - i));
    }
  WAIT_FOR (f, f->server.frames.length == n && f->client.frames.length == n);

  for (guint i = 0; i < n; i++)
    {
      check_numbered (g_queue_peek_nth (&f->server.frames, i), i, body_size (i));
      check_numbered (g_queue_peek_nth (&f->client.frames, i), n - i, body_size (n - i));
    }
  g_assert_cmpuint (_pp_connection_get_pending (f->client.connection), ==, 0);
  g_assert_cmpuint (f->server.n_closed + f->client.n_closed, ==, 0);
}

/* A small frame leaves at once, in one write, with nothing left queued. */
static void
test_connection_small_frame_leaves_at_once (Fixture       *f,
                                            gconstpointer  data)
{
  g_autoptr(JsonObject) header = json_object_new ();

  if (f->context == NULL)
    return;
  open_both (f);
  json_object_set_string_member (header, "t", "ping");
  json_object_set_int_member (header, "n", 7);
  _pp_connection_send_json (f->client.connection, header, NULL, 0);
  g_assert_cmpuint (_pp_connection_get_pending (f->client.connection), ==, 0);
  WAIT_FOR (f, f->server.frames.length == 1);
  g_assert_cmpint (_pp_frame_get_int (g_queue_peek_head (&f->server.frames), "n", -1), ==, 7);

  /* Frames encoded in bulk into the buffer go with one flush. */
  for (guint i = 0; i < 10; i++)
    _pp_frame_append_json (_pp_connection_get_out (f->server.connection), header, "x", 1);
  _pp_connection_flush (f->server.connection);
  WAIT_FOR (f, f->client.frames.length == 10);
}

/* 10 MiB each way at the same time, with small frames around them: both
 * sides keep reading while their own output waits, so neither is stuck. */
static void
test_connection_large (Fixture       *f,
                       gconstpointer  data)
{
  if (f->context == NULL)
    return;
  open_both (f);
  send_numbered (&f->client, 1, 10);
  send_numbered (&f->server, 1, 10);
  send_numbered (&f->client, 2, BIG_BODY);
  send_numbered (&f->server, 2, BIG_BODY);
  send_numbered (&f->client, 3, 10);
  send_numbered (&f->server, 3, 10);
  WAIT_FOR (f, f->server.frames.length == 3 && f->client.frames.length == 3);

  for (guint i = 1; i <= 3; i++)
    {
      gsize len = i == 2 ? BIG_BODY : 10;

      check_numbered (g_queue_peek_nth (&f->server.frames, i - 1), i, len);
      check_numbered (g_queue_peek_nth (&f->client.frames, i - 1), i, len);
    }
  g_assert_cmpuint (_pp_connection_get_pending (f->client.connection), ==, 0);
  g_assert_cmpuint (_pp_connection_get_pending (f->server.connection), ==, 0);
}

static void
test_connection_limits (Fixture       *f,
                        gconstpointer  data)
{
  if (f->context == NULL)
    return;
  open_both (f);
  _pp_connection_set_limits (f->server.connection, 4096, 1024);
  send_numbered (&f->client, 1, 1024);
  send_numbered (&f->client, 2, 1025);
  send_numbered (&f->client, 3, 10);
  WAIT_FOR (f, f->server.n_closed == 1);
  g_assert_error (f->server.error, PP_ERROR, PP_ERROR_TOO_LARGE);
  g_assert_cmpuint (f->server.frames.length, ==, 1);
  check_numbered (g_queue_peek_head (&f->server.frames), 1, 1024);
  run_for (f, 100);
  g_assert_cmpuint (f->server.n_closed, ==, 1);
  g_assert_cmpuint (f->server.frames.length, ==, 1);
}

static void
test_connection_header_limit (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GString) header = g_string_new ("{\"t\":\"x\",\"pad\":\"");

  if (f->context == NULL)
    return;
  open_both (f);
  _pp_connection_set_limits (f->server.connection, 4096, 0);
  while (header->len < 5000)
    g_string_append_c (header, 'a');
  g_string_append (header, "\"}");
  _pp_connection_send (f->client.connection, header->str, header->len, NULL, 0);
  WAIT_FOR (f, f->server.n_closed == 1);
  g_assert_error (f->server.error, PP_ERROR, PP_ERROR_TOO_LARGE);
  g_assert_cmpuint (f->server.frames.length, ==, 0);
}

static void
test_connection_timeout (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *expected = NULL;
  gint64 start;

  if (f->context == NULL)
    return;
  open_both (f);
  _pp_connection_set_timeout (f->server.connection, 1);

  /* Traffic keeps it open past the timeout... */
  for (guint i = 0; i < 6; i++)
    {
      run_for (f, 300);
      send_numbered (&f->client, i, 1);
    }
  start = g_get_monotonic_time ();
  WAIT_FOR (f, f->server.frames.length == 6);
  g_assert_cmpuint (f->server.n_closed, ==, 0);

  /* ...silence closes it. */
  WAIT_FOR (f, f->server.n_closed == 1);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 900 * 1000);
  g_assert_error (f->server.error, PP_ERROR, PP_ERROR_PROTOCOL);
  expected = g_strdup_printf ("no data from %s for 1 s", _pp_connection_get_peer (f->server.connection));
  g_assert_cmpstr (f->server.error->message, ==, expected);
  g_assert_true (g_str_has_prefix (f->server.error->message, "no data from 127.0.0.1:"));

  /* The client sees the server go. */
  WAIT_FOR (f, f->client.n_closed == 1);
}

static void
test_connection_timeout_off (Fixture       *f,
                             gconstpointer  data)
{
  if (f->context == NULL)
    return;
  open_both (f);
  _pp_connection_set_timeout (f->server.connection, 1);
  _pp_connection_set_timeout (f->server.connection, 0);
  run_for (f, 1300);
  g_assert_cmpuint (f->server.n_closed, ==, 0);
}

static void
test_connection_timeout_ms (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *expected = NULL;
  gint64 start;

  if (f->context == NULL)
    return;
  open_both (f);
  start = g_get_monotonic_time ();
  _pp_connection_set_timeout_ms (f->server.connection, 300);
  WAIT_FOR (f, f->server.n_closed == 1);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 250 * 1000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
  expected = g_strdup_printf ("no data from %s for 300 ms",
                              _pp_connection_get_peer (f->server.connection));
  g_assert_cmpstr (f->server.error->message, ==, expected);
}

/* GSocketClient leaves its connect timeout on the socket, where it would
 * fail a quiet connection with "Socket I/O timed out": a connection clears
 * it, and only its own timer decides. */
static void
test_connection_socket_timeout_cleared (Fixture       *f,
                                        gconstpointer  data)
{
  GSocket *server_socket, *client_socket;
  g_autoptr(PpFrame) frame = NULL;

  if (f->context == NULL)
    return;
  server_socket = g_socket_connection_get_socket (f->server_base);
  client_socket = g_socket_connection_get_socket (f->client_base);
  g_socket_set_timeout (server_socket, 1);
  g_socket_set_timeout (client_socket, 1);
  open_both (f);
  g_assert_cmpuint (g_socket_get_timeout (server_socket), ==, 0);
  g_assert_cmpuint (g_socket_get_timeout (client_socket), ==, 0);

  run_for (f, 1500);
  g_assert_cmpuint (f->server.n_closed, ==, 0);
  g_assert_cmpuint (f->client.n_closed, ==, 0);
  send_numbered (&f->client, 1, 10);
  send_numbered (&f->server, 2, 10);
  WAIT_FOR (f, f->server.frames.length == 1 && f->client.frames.length == 1);
  frame = g_queue_pop_head (&f->server.frames);
  check_numbered (frame, 1, 10);
}

#define DRAIN_BODY  (16 * 1024 * 1024)
#define DRAIN_CHUNK (128 * 1024)

typedef struct
{
  GPollableInputStream *input;
  gsize                 received;
} SlowReader;

/* Reads at most DRAIN_CHUNK bytes every 20 ms: about 6 MiB/s. */
static gboolean
slow_read_cb (gpointer data)
{
  SlowReader *reader = data;
  g_autofree guint8 *buffer = g_malloc (DRAIN_CHUNK);
  gsize done = 0;

  while (done < DRAIN_CHUNK)
    {
      gssize n = g_pollable_input_stream_read_nonblocking (reader->input, buffer + done,
                                                           DRAIN_CHUNK - done, NULL, NULL);
      if (n <= 0)
        break;
      done += n;
    }
  reader->received += done;
  return G_SOURCE_CONTINUE;
}

/* A peer that takes a large frame slowly, for longer than the timeout,
 * is alive although it sends nothing: its answers could be queued behind
 * that frame. Once everything is taken, its silence counts again. */
static void
test_connection_timeout_slow_reader (Fixture       *f,
                                     gconstpointer  data)
{
  g_autofree guint8 *body = g_malloc0 (DRAIN_BODY);
  g_autoptr(GSource) source = g_timeout_source_new (20);
  SlowReader reader = { 0, };
  gint64 start = g_get_monotonic_time ();

  if (f->context == NULL)
    return;
  open_server (f);
  reader.input = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (f->client_stream));
  g_source_set_callback (source, slow_read_cb, &reader, NULL);
  g_source_attach (source, f->context);
  _pp_connection_set_timeout (f->server.connection, 1);
  _pp_connection_send (f->server.connection, "{\"t\":\"big\"}", 11, body, DRAIN_BODY);

  WAIT_FOR (f, reader.received >= DRAIN_BODY || f->server.n_closed > 0);
  g_assert_cmpuint (f->server.n_closed, ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - start, >, 3 * G_USEC_PER_SEC / 2);
  g_assert_cmpuint (_pp_connection_get_pending (f->server.connection), ==, 0);

  start = g_get_monotonic_time ();
  WAIT_FOR (f, f->server.n_closed == 1);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
  g_source_destroy (source);
}

/* A frozen peer that reads nothing is lost after the timeout, although
 * what is sent to it still fits in the sockets' buffers for a while. */
static void
test_connection_timeout_stuck_reader (Fixture       *f,
                                      gconstpointer  data)
{
  g_autofree guint8 *body = g_malloc0 (DRAIN_BODY);
  gint64 start = g_get_monotonic_time ();

  if (f->context == NULL)
    return;
  open_server (f);
  _pp_connection_set_timeout (f->server.connection, 1);
  for (guint i = 0; i < 10; i++)
    {
      run_for (f, 100);
      send_numbered (&f->server, i, 100);
    }
  _pp_connection_send (f->server.connection, "{\"t\":\"big\"}", 11, body, DRAIN_BODY);
  WAIT_FOR (f, f->server.n_closed == 1);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 900 * 1000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 4 * G_USEC_PER_SEC);
}

/* A clean close by the peer is reported with no error, once; the side
 * that closed hears nothing more. */
static void
test_connection_peer_close (Fixture       *f,
                            gconstpointer  data)
{
  if (f->context == NULL)
    return;
  open_both (f);
  send_numbered (&f->client, 1, 100);
  _pp_connection_close (f->client.connection);
  _pp_connection_close (f->client.connection);
  WAIT_FOR (f, f->server.n_closed == 1);
  g_assert_no_error (f->server.error);
  g_assert_cmpuint (f->server.frames.length, ==, 1);
  run_for (f, 100);
  g_assert_cmpuint (f->server.n_closed, ==, 1);
  g_assert_cmpuint (f->client.n_closed, ==, 0);

  /* Sending on a closed connection is a no-op. */
  send_numbered (&f->client, 2, 100);
  g_assert_cmpuint (_pp_connection_get_pending (f->client.connection), ==, 0);
}

/* The owner may free the connection in its closed callback. */
static void
test_connection_free_in_closed (Fixture       *f,
                                gconstpointer  data)
{
  if (f->context == NULL)
    return;
  open_both (f);
  f->server.free_on_closed = TRUE;
  send_numbered (&f->client, 1, 100);
  _pp_connection_close (f->client.connection);
  WAIT_FOR (f, f->server.n_closed == 1);
  g_assert_null (f->server.connection);
  run_for (f, 100);
  g_assert_cmpuint (f->server.n_closed, ==, 1);
}

/* Closing, even freeing, from the frame callback stops delivery at once,
 * though more frames arrived in the same read. */
static void
test_connection_close_in_frame (Fixture       *f,
                                gconstpointer  data)
{
  if (f->context == NULL)
    return;
  open_both (f);
  f->server.close_on_frame = TRUE;
  for (guint i = 0; i < 3; i++)
    _pp_frame_append (_pp_connection_get_out (f->client.connection), "{\"t\":\"a\"}", 9, NULL, 0);
  _pp_connection_flush (f->client.connection);
  WAIT_FOR (f, f->server.frames.length > 0);
  run_for (f, 100);
  g_assert_cmpuint (f->server.frames.length, ==, 1);
  g_assert_cmpuint (f->server.n_closed, ==, 0);
  WAIT_FOR (f, f->client.n_closed == 1);
}

static void
test_connection_free_in_frame (Fixture       *f,
                               gconstpointer  data)
{
  if (f->context == NULL)
    return;
  open_both (f);
  f->server.free_on_frame = TRUE;
  for (guint i = 0; i < 3; i++)
    _pp_frame_append (_pp_connection_get_out (f->client.connection), "{\"t\":\"a\"}", 9, NULL, 0);
  _pp_connection_flush (f->client.connection);
  WAIT_FOR (f, f->server.frames.length > 0);
  run_for (f, 100);
  g_assert_null (f->server.connection);
  g_assert_cmpuint (f->server.frames.length, ==, 1);
  g_assert_cmpuint (f->server.n_closed, ==, 0);
}

static void
write_raw (GIOStream  *stream,
           const void *data,
           gsize       len)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (stream), data, len, NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
test_connection_malformed (Fixture       *f,
                           gconstpointer  data)
{
  static const guint8 garbage[] = { 0, 0, 0, 5, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'o' };

  if (f->context == NULL)
    return;
  open_server (f);
  write_raw (f->client_stream, garbage, sizeof garbage);
  WAIT_FOR (f, f->server.n_closed == 1);
  g_assert_error (f->server.error, PP_ERROR, PP_ERROR_PROTOCOL);
  g_test_message ("%s", f->server.error->message);
}

static void
test_connection_truncated (Fixture       *f,
                           gconstpointer  data)
{
  static const guint8 partial[] = { 0, 0, 0, 9, 0, 0, 0, 0, '{', '"', 't' };

  if (f->context == NULL)
    return;
  open_server (f);
  write_raw (f->client_stream, partial, sizeof partial);
  g_io_stream_close (f->client_stream, NULL, NULL);
  WAIT_FOR (f, f->server.n_closed == 1);
  g_assert_error (f->server.error, PP_ERROR, PP_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (f->server.error->message, "in the middle of a frame"));
}

/* The peer vanishes while a lot is queued for it: one error, no hang. */
static void
test_connection_peer_vanishes (Fixture       *f,
                               gconstpointer  data)
{
  if (f->context == NULL)
    return;
  open_both (f);
  send_numbered (&f->client, 1, BIG_BODY);
  run_for (f, 50);
  g_clear_pointer (&f->server.connection, _pp_connection_free);
  WAIT_FOR (f, f->client.n_closed == 1);
  /* A reset, a failed write, or the end of the stream: whichever the
   * kernel reports first. */
  g_test_message ("%s", f->client.error ? f->client.error->message : "(end of stream)");
  run_for (f, 200);
  g_assert_cmpuint (f->client.n_closed, ==, 1);
  g_assert_cmpuint (f->server.n_closed, ==, 0);
}

/* The peer closes with bytes of ours unread: the kernel resets the
 * connection, and the writer is told once, whether by its write or read. */
static void
test_connection_peer_resets (Fixture       *f,
                             gconstpointer  data)
{
  if (f->context == NULL)
    return;
  open_client (f);
  send_numbered (&f->client, 1, BIG_BODY);
  run_for (f, 50);
  g_io_stream_close (f->server_stream, NULL, NULL);
  WAIT_FOR (f, f->client.n_closed == 1);
  g_test_message ("%s", f->client.error ? f->client.error->message : "(end of stream)");
  if (!f->tls)
    g_assert_true (g_error_matches (f->client.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
                   g_error_matches (f->client.error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE));
  run_for (f, 200);
  g_assert_cmpuint (f->client.n_closed, ==, 1);
}

/* A write that fails is reported from the main loop, not from inside
 * _pp_connection_send(). */
static void
test_connection_write_error (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  if (f->context == NULL)
    return;
  open_client (f);
  g_socket_shutdown (g_socket_connection_get_socket (f->client_base), FALSE, TRUE, &error);
  g_assert_no_error (error);
  send_numbered (&f->client, 1, 100);
  g_assert_cmpuint (f->client.n_closed, ==, 0);
  WAIT_FOR (f, f->client.n_closed == 1);
  g_assert_error (f->client.error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  run_for (f, 100);
  g_assert_cmpuint (f->client.n_closed, ==, 1);
}

static int
get_nodelay (GSocketConnection *connection)
{
  g_autoptr(GError) error = NULL;
  int value = -1;

  g_socket_get_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY,
                       &value, &error);
  g_assert_no_error (error);
  return value;
}

static void
test_connection_nodelay (Fixture       *f,
                         gconstpointer  data)
{
  if (f->context == NULL)
    return;
  g_assert_cmpint (get_nodelay (f->server_base), ==, 0);
  open_both (f);
  g_assert_cmpint (get_nodelay (f->server_base), !=, 0);
  g_assert_cmpint (get_nodelay (f->client_base), !=, 0);
}

static void
test_connection_peer_name (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GSocketAddress) client_address = NULL;
  g_autofree char *expected_server = NULL;
  g_autofree char *expected_client = NULL;

  if (f->context == NULL)
    return;
  open_both (f);
  client_address = g_socket_connection_get_local_address (f->client_base, NULL);
  expected_server = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (client_address));
  expected_client = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (f->address));
  g_assert_true (g_str_has_prefix (expected_client, "127.0.0.1:"));
  g_assert_cmpstr (_pp_connection_get_peer (f->server.connection), ==, expected_server);
  g_assert_cmpstr (_pp_connection_get_peer (f->client.connection), ==, expected_client);
  g_assert_true (_pp_connection_get_stream (f->client.connection) == f->client_stream);
}

static GBytes *
get_channel_binding (GIOStream *stream)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  GTlsConnection *tls = G_TLS_CONNECTION (stream);

  if (!g_tls_connection_get_channel_binding_data (tls, G_TLS_CHANNEL_BINDING_TLS_EXPORTER,
                                                  data, &error))
    {
      g_test_message ("tls-exporter: %s; using tls-server-end-point", error->message);
      g_clear_error (&error);
      g_tls_connection_get_channel_binding_data (tls, G_TLS_CHANNEL_BINDING_TLS_SERVER_END_POINT,
                                                 data, &error);
      g_assert_no_error (error);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

static void
test_connection_channel_binding (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GBytes) server = NULL;
  g_autoptr(GBytes) client = NULL;

  if (f->context == NULL)
    return;
  server = get_channel_binding (f->server_stream);
  client = get_channel_binding (f->client_stream);
  g_assert_cmpuint (g_bytes_get_size (server), >=, 32);
  g_assert_true (g_bytes_equal (server, client));
}

/* LeakSanitizer (GCC 12, glibc 2.36) crashes at exit scanning the dynamic
 * TLS that GnuTLS leaves in the GTask pool threads that glib-networking runs
 * handshakes in. So no pool thread is kept idle (see main()), and the test
 * waits for the last ones to end. */
static guint
count_pool_threads (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/task", name, "comm", NULL);
      g_autofree char *comm = NULL;

      if (g_file_get_contents (path, &comm, NULL, NULL) &&
          g_str_has_prefix (comm, "pool-") && !g_str_has_prefix (comm, "pool-spawner"))
        n++;
    }
  return n;
}

static void
wait_for_pool_threads (void)
{
  for (guint i = 0; i < 100 && count_pool_threads () > 0; i++)
    g_usleep (G_USEC_PER_SEC / 20);
}

static void
add_test (const char *name,
          gboolean    tls,
          void      (*func) (Fixture *, gconstpointer))
{
  g_autofree char *path = g_strdup_printf ("/connection/%s/%s", tls ? "tls" : "tcp", name);

  g_test_add (path, Fixture, GINT_TO_POINTER (tls), fixture_setup, func, fixture_teardown);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_thread_pool_set_max_unused_threads (0);

  for (int tls = FALSE; tls <= TRUE; tls++)
    {
      add_test ("frames", tls, test_connection_frames);
      add_test ("small-frame-leaves-at-once", tls, test_connection_small_frame_leaves_at_once);
      add_test ("large", tls, test_connection_large);
      add_test ("limits", tls, test_connection_limits);
      add_test ("header-limit", tls, test_connection_header_limit);
      add_test ("timeout", tls, test_connection_timeout);
      add_test ("timeout-off", tls, test_connection_timeout_off);
      add_test ("timeout-ms", tls, test_connection_timeout_ms);
      add_test ("socket-timeout-cleared", tls, test_connection_socket_timeout_cleared);
      add_test ("timeout-slow-reader", tls, test_connection_timeout_slow_reader);
      add_test ("timeout-stuck-reader", tls, test_connection_timeout_stuck_reader);
      add_test ("peer-close", tls, test_connection_peer_close);
      add_test ("free-in-closed", tls, test_connection_free_in_closed);
      add_test ("close-in-frame", tls, test_connection_close_in_frame);
      add_test ("free-in-frame", tls, test_connection_free_in_frame);
      add_test ("malformed", tls, test_connection_malformed);
      add_test ("truncated", tls, test_connection_truncated);
      add_test ("peer-vanishes", tls, test_connection_peer_vanishes);
      add_test ("peer-resets", tls, test_connection_peer_resets);
      add_test ("write-error", tls, test_connection_write_error);
      add_test ("nodelay", tls, test_connection_nodelay);
      add_test ("peer-name", tls, test_connection_peer_name);
    }
  add_test ("channel-binding", TRUE, test_connection_channel_binding);

  status = g_test_run ();
  wait_for_pool_threads ();
  return status;
}
