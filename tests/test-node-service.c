/* test-node-service.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <pp-glib.h>

#include "pp-connection-private.h"
#include "pp-handshake-private.h"
#include "pp-server-job-hook-private.h"

/* A real node service on 127.0.0.1 with a real pool of two Python workers,
 * driven by raw clients built from the same connection and handshake code
 * as the library's, all on one GMainContext that the test iterates. */

#define SECRET "test-secret"
#define WAIT_SECONDS 30
/* The heartbeat interval the node announces and the test clients keep
 * (PP_HEARTBEAT_MS): a silent client is closed after 5 of them, 1 s.
 * PP_TEST_HEARTBEAT_MS makes it longer where everything runs 20-50 times
 * slower (valgrind, tests/stress/memcheck.py, which skips the tests of
 * timing then). */
static guint heartbeat_ms = 200;
/* Pings sent by a client's own heartbeat are numbered from here; their
 * pongs are counted and dropped, so tests see only the frames they expect. */
#define HEARTBEAT_BASE 1000000

/* Iterates @context until @cond holds, failing after WAIT_SECONDS. */
#define ITERATE_UNTIL(context, cond)                                          \
  G_STMT_START {                                                              \
    gint64 _deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC; \
    while (!(cond))                                                           \
      {                                                                       \
        g_assert_cmpint (g_get_monotonic_time (), <, _deadline);             \
        g_main_context_iteration ((context), TRUE);                          \
      }                                                                       \
  } G_STMT_END

typedef struct
{
  GMainContext  *context;
  GSource       *tick;
  PpServer      *pool;
  PpNodeService *service;
  guint16        port;
  guint          n_connected;
  guint          n_disconnected;
  char          *disconnect_reason;
} Fixture;

typedef struct
{
  GMainContext      *context;
  GSocketConnection *socket;
  GTlsConnection    *tls;
  PpConnection      *connection;
  PpHandshake       *handshake;
  GQueue             frames;
  gboolean           closed;
  GError            *close_error;
  GSource           *heartbeat;
  guint              pings;
  guint              pongs;
} TestClient;

/* Functions ---------------------------------------------------------------- */

static PpFunction *
add_function (void)
{
  return pp_function_new ("add", "def add(a, b):\n    return a + b\n", NULL);
}

static PpFunction *
nap_function (void)
{
  return pp_function_new ("nap", "def nap(s):\n    time.sleep(s)\n    return s\n",
                          (const char *[]) { "time", NULL });
}

/* Fixture ------------------------------------------------------------------ */

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
client_connected_cb (PpNodeService *service,
                     const char    *peer,
                     Fixture       *fixture)
{
  g_assert_true (g_str_has_prefix (peer, "127.0.0.1:"));
  fixture->n_connected++;
}

static void
client_disconnected_cb (PpNodeService *service,
                        const char    *peer,
                        const char    *reason,
                        Fixture       *fixture)
{
  g_assert_true (g_str_has_prefix (peer, "127.0.0.1:"));
  g_assert_nonnull (reason);
  fixture->n_disconnected++;
  g_free (fixture->disconnect_reason);
  fixture->disconnect_reason = g_strdup (reason);
}

static PpNodeService *
service_new (Fixture    *fixture,
             const char *secret)
{
  PpNodeService *service = pp_node_service_new (fixture->pool, secret);

  g_signal_connect (service, "client-connected", G_CALLBACK (client_connected_cb), fixture);
  g_signal_connect (service, "client-disconnected", G_CALLBACK (client_disconnected_cb), fixture);
  return service;
}

static void
fixture_listen (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pp_node_service_listen (fixture->service, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  fixture->port = pp_node_service_get_port (fixture->service);
  g_assert_cmpuint (fixture->port, >, 0);
}

/* @data: the socket timeout (and handshake timeout) in seconds, or 0 for
 * the defaults. */
static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->context = g_main_context_new ();
  g_main_context_push_thread_default (fixture->context);
  /* Wakes the loop now and then, so that ITERATE_UNTIL checks its clock. */
  fixture->tick = g_timeout_source_new (50);
  g_source_set_callback (fixture->tick, tick_cb, NULL, NULL);
  g_source_attach (fixture->tick, fixture->context);

  fixture->pool = pp_server_new (2, &error);
  g_assert_no_error (error);
  fixture->service = service_new (fixture, SECRET);
  if (GPOINTER_TO_UINT (data) > 0)
    {
      pp_node_service_set_socket_timeout (fixture->service, GPOINTER_TO_UINT (data));
      g_object_set (fixture->service, "handshake-timeout", GPOINTER_TO_UINT (data), NULL);
    }
  fixture_listen (fixture);
}

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs @context for @msec milliseconds. */
static void
run_for (GMainContext *context,
         guint         msec)
{
  g_autoptr(GSource) source = g_timeout_source_new (msec);
  gboolean done = FALSE;

  g_source_set_callback (source, set_flag_cb, &done, NULL);
  g_source_attach (source, context);
  while (!done)
    g_main_context_iteration (context, TRUE);
}

/* Runs the context until what is pending has run: closed clients are freed
 * and job callbacks return from an idle. */
static void
drain (GMainContext *context)
{
  run_for (context, 100);
  while (g_main_context_iteration (context, FALSE))
    ;
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  pp_node_service_stop (fixture->service);
  g_assert_cmpuint (pp_node_service_get_n_clients (fixture->service), ==, 0);
  g_assert_cmpuint (pp_node_service_get_active_jobs (fixture->service), ==, 0);
  g_clear_object (&fixture->service);
  pp_server_destroy (fixture->pool);
  g_source_destroy (fixture->tick);
  g_clear_pointer (&fixture->tick, g_source_unref);
  drain (fixture->context);
  g_clear_object (&fixture->pool);
  g_main_context_pop_thread_default (fixture->context);
  g_clear_pointer (&fixture->context, g_main_context_unref);
  g_clear_pointer (&fixture->disconnect_reason, g_free);
}

/* The test client ---------------------------------------------------------- */

static void
test_client_frame_cb (PpConnection *connection,
                      PpFrame      *frame,
                      gpointer      user_data)
{
  TestClient *client = user_data;

  if (g_strcmp0 (_pp_frame_get_type (frame), "pong") == 0 &&
      _pp_frame_get_int (frame, "n", -1) >= HEARTBEAT_BASE)
    {
      client->pongs++;
      _pp_frame_free (frame);
      return;
    }
  g_queue_push_tail (&client->frames, frame);
}

static void
test_client_closed_cb (PpConnection *connection,
                       const GError *error,
                       gpointer      user_data)
{
  TestClient *client = user_data;

  client->closed = TRUE;
  client->close_error = error ? g_error_copy (error) : NULL;
}

static const PpConnectionCallbacks test_client_callbacks = {
  test_client_frame_cb,
  test_client_closed_cb,
};

static GSocketConnection *
connect_socket (guint16 port)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *socket;

  /* The kernel completes the connection; the node accepts it later. */
  socket = g_socket_client_connect_to_host (socket_client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  return socket;
}

static void
test_client_attach (TestClient *client,
                    GIOStream  *stream)
{
  client->connection = _pp_connection_new (stream, client->context, &test_client_callbacks,
                                           client);
}

/* A connected client that has sent nothing yet. */
static TestClient *
test_client_new (Fixture *fixture)
{
  TestClient *client = g_new0 (TestClient, 1);

  client->context = fixture->context;
  client->socket = connect_socket (fixture->port);
  test_client_attach (client, G_IO_STREAM (client->socket));
  return client;
}

static gboolean
heartbeat_cb (gpointer data)
{
  TestClient *client = data;
  g_autofree char *ping = g_strdup_printf ("{\"t\":\"ping\",\"n\":%u}",
                                           HEARTBEAT_BASE + ++client->pings);

  _pp_connection_send (client->connection, ping, strlen (ping), NULL, 0);
  return G_SOURCE_CONTINUE;
}

/* Pings every heartbeat_ms, as an authenticated client does. */
static void
test_client_start_heartbeats (TestClient *client)
{
  client->heartbeat = g_timeout_source_new (heartbeat_ms);
  g_source_set_callback (client->heartbeat, heartbeat_cb, client, NULL);
  g_source_attach (client->heartbeat, client->context);
}

static void
test_client_stop_heartbeats (TestClient *client)
{
  if (client->heartbeat == NULL)
    return;
  g_source_destroy (client->heartbeat);
  g_clear_pointer (&client->heartbeat, g_source_unref);
}

static void
test_client_free (TestClient *client)
{
  test_client_stop_heartbeats (client);
  g_clear_pointer (&client->connection, _pp_connection_free);
  g_clear_pointer (&client->handshake, _pp_handshake_free);
  g_queue_clear_full (&client->frames, (GDestroyNotify) _pp_frame_free);
  g_clear_error (&client->close_error);
  g_clear_object (&client->tls);
  g_clear_object (&client->socket);
  g_free (client);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestClient, test_client_free)

/* The next frame, or %NULL once the node closed the connection. */
static PpFrame *
test_client_next (TestClient *client)
{
  ITERATE_UNTIL (client->context, !g_queue_is_empty (&client->frames) || client->closed);
  return g_queue_pop_head (&client->frames);
}

/* Waits for the next frame, which must be of @type. */
static PpFrame *
test_client_expect (TestClient *client,
                    const char *type)
{
  PpFrame *frame = test_client_next (client);

  g_assert_nonnull (frame);
  g_assert_cmpstr (_pp_frame_get_type (frame), ==, type);
  return frame;
}

/* Waits until the node closes the connection, after at most one "error"
 * frame, whose code must be @code (%NULL: no error frame expected). */
static void
test_client_expect_close (TestClient *client,
                          const char *code)
{
  g_autoptr(PpFrame) frame = test_client_next (client);

  if (code != NULL)
    {
      g_assert_nonnull (frame);
      g_assert_cmpstr (_pp_frame_get_type (frame), ==, "error");
      g_assert_cmpstr (_pp_frame_get_string (frame, "code"), ==, code);
      g_assert_nonnull (_pp_frame_get_string (frame, "message"));
      g_clear_pointer (&frame, _pp_frame_free);
      frame = test_client_next (client);
    }
  else if (frame != NULL)
    {
      g_assert_cmpstr (_pp_frame_get_type (frame), ==, "error");
      g_clear_pointer (&frame, _pp_frame_free);
      frame = test_client_next (client);
    }
  g_assert_null (frame);
  g_assert_true (client->closed);
}

static void
test_client_send (TestClient *client,
                  const char *header,
                  const void *body,
                  gsize       body_len)
{
  _pp_connection_send (client->connection, header, strlen (header), body, body_len);
}

static void
test_client_send_raw (TestClient *client,
                      const void *data,
                      gsize       len)
{
  g_byte_array_append (_pp_connection_get_out (client->connection), data, len);
  _pp_connection_flush (client->connection);
}

/* Runs the client side of the handshake; returns whether it succeeded. */
static gboolean
test_client_authenticate (TestClient  *client,
                          const char  *secret,
                          GBytes      *channel_binding,
                          GError     **error)
{
  GByteArray *out = _pp_connection_get_out (client->connection);

  client->handshake = _pp_handshake_new (PP_HANDSHAKE_CLIENT, secret, channel_binding);
  _pp_handshake_start (client->handshake, out);
  _pp_connection_flush (client->connection);
  for (;;)
    {
      g_autoptr(PpFrame) frame = test_client_next (client);
      PpHandshakeStatus status;

      if (frame == NULL)
        {
          g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL, "the node closed the connection");
          return FALSE;
        }
      status = _pp_handshake_feed (client->handshake, frame, out, error);
      _pp_connection_flush (client->connection);
      if (status == PP_HANDSHAKE_DONE)
        test_client_start_heartbeats (client);
      if (status != PP_HANDSHAKE_CONTINUE)
        return status == PP_HANDSHAKE_DONE;
    }
}

static TestClient *
test_client_new_authenticated (Fixture *fixture)
{
  TestClient *client = test_client_new (fixture);
  g_autoptr(GError) error = NULL;

  g_assert_true (test_client_authenticate (client, SECRET, NULL, &error));
  g_assert_no_error (error);
  return client;
}

static void
test_client_send_def (TestClient *client,
                      PpFunction *function,
                      const char *key)
{
  g_autoptr(JsonObject) header = json_object_new ();
  JsonArray *modules = json_array_new ();
  const char * const *names = pp_function_get_modules (function);
  const char *source = pp_function_get_source (function);

  for (guint i = 0; names[i] != NULL; i++)
    json_array_add_string_element (modules, names[i]);
  json_object_set_string_member (header, "t", "def");
  json_object_set_string_member (header, "key", key ? key : pp_function_get_key (function));
  json_object_set_string_member (header, "name", pp_function_get_name (function));
  json_object_set_array_member (header, "modules", modules);
  _pp_connection_send_json (client->connection, header, source, strlen (source));
}

static void
test_client_send_job (TestClient *client,
                      gint64      id,
                      const char *key,
                      const char *args)
{
  g_autofree char *header = g_strdup_printf ("{\"t\":\"job\",\"id\":%" G_GINT64_FORMAT
                                             ",\"key\":\"%s\",\"fmt\":\"json\"}", id, key);

  test_client_send (client, header, args, strlen (args));
}

static char *
frame_body (PpFrame *frame,
            gsize    offset)
{
  gsize size;
  const char *data = g_bytes_get_data (frame->body, &size);

  g_assert_cmpuint (offset, <=, size);
  return g_strndup (data + offset, size - offset);
}

static gboolean
frame_flag (PpFrame    *frame,
            const char *member)
{
  return json_object_get_boolean_member_with_default (frame->header, member, FALSE);
}

/* Waits for a "res" frame; pongs are skipped. */
static PpFrame *
test_client_next_result (TestClient *client)
{
  for (;;)
    {
      PpFrame *frame = test_client_next (client);

      g_assert_nonnull (frame);
      if (g_strcmp0 (_pp_frame_get_type (frame), "pong") == 0)
        {
          _pp_frame_free (frame);
          continue;
        }
      g_assert_cmpstr (_pp_frame_get_type (frame), ==, "res");
      return frame;
    }
}

/* Runs one job and returns its "res". */
static PpFrame *
run_job (TestClient *client,
         gint64      id,
         PpFunction *function,
         const char *args)
{
  PpFrame *frame;

  test_client_send_def (client, function, NULL);
  test_client_send_job (client, id, pp_function_get_key (function), args);
  frame = test_client_next_result (client);
  g_assert_cmpint (_pp_frame_get_int (frame, "id", -1), ==, id);
  return frame;
}

static void
assert_result (PpFrame    *frame,
               const char *expected)
{
  g_autofree char *body = frame_body (frame, 0);

  g_assert_true (frame_flag (frame, "ok"));
  g_assert_cmpstr (_pp_frame_get_string (frame, "fmt"), ==, "json");
  g_assert_cmpstr (body, ==, expected);
}

/* Runs 200 jobs pipelined over @client; results come in any order. */
static void
run_many_jobs (TestClient *client,
               PpFunction *add)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  test_client_send_def (client, add, NULL);
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *args = g_strdup_printf ("[%u, 1000]", i);
      test_client_send_job (client, i, pp_function_get_key (add), args);
    }
  while (g_hash_table_size (seen) < 200)
    {
      g_autoptr(PpFrame) frame = test_client_next_result (client);
      gint64 id = _pp_frame_get_int (frame, "id", -1);
      g_autofree char *expected = g_strdup_printf ("%" G_GINT64_FORMAT, id + 1000);

      g_assert_cmpint (id, >=, 0);
      g_assert_cmpint (id, <, 200);
      g_assert_false (g_hash_table_contains (seen, GINT_TO_POINTER (id + 1)));
      g_hash_table_add (seen, GINT_TO_POINTER (id + 1));
      assert_result (frame, expected);
      g_assert_cmpfloat (json_object_get_double_member (frame->header, "time"), >=, 0);
    }
}

static void
wait_pool_idle (Fixture *fixture)
{
  ITERATE_UNTIL (fixture->context, pp_server_get_active_jobs (fixture->pool, NULL) == 0 &&
                                   pp_node_service_get_active_jobs (fixture->service) == 0);
}

/* Tests -------------------------------------------------------------------- */

static void
test_jobs (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new (fixture);
  g_autoptr(PpFunction) add = add_function ();
  g_autoptr(GError) error = NULL;
  g_autofree char *suffix = g_strdup_printf (":%u", fixture->port);

  g_assert_true (test_client_authenticate (client, SECRET, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (_pp_handshake_get_ncpus (client->handshake), ==, 2);
  g_assert_true (g_str_has_suffix (_pp_handshake_get_node_name (client->handshake), suffix));
  g_assert_cmpuint (_pp_handshake_get_timeout (client->handshake), ==, 3600);
  ITERATE_UNTIL (fixture->context, fixture->n_connected == 1);
  g_assert_cmpuint (pp_node_service_get_n_clients (fixture->service), ==, 1);

  run_many_jobs (client, add);
  wait_pool_idle (fixture);

  g_clear_pointer (&client, test_client_free);
  ITERATE_UNTIL (fixture->context, fixture->n_disconnected == 1);
  g_assert_cmpuint (pp_node_service_get_n_clients (fixture->service), ==, 0);
}

static void
test_results (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new_authenticated (fixture);
  g_autoptr(PpFunction) fails = pp_function_new ("fails",
                                                 "def fails(x):\n"
                                                 "    print('failing', x)\n"
                                                 "    raise ValueError('bad value %d' % x)\n",
                                                 NULL);
  g_autoptr(PpFunction) chatty = pp_function_new ("chatty",
                                                  "def chatty(x):\n"
                                                  "    print('hello', x)\n"
                                                  "    return x * 2\n",
                                                  NULL);
  g_autoptr(PpFunction) broken = pp_function_new ("broken", "def broken(:\n", NULL);
  g_autoptr(PpFrame) failed = run_job (client, 1, fails, "[7]");
  g_autoptr(PpFrame) printed = run_job (client, 2, chatty, "[21]");
  g_autoptr(PpFrame) compile = run_job (client, 3, broken, "[]");
  g_autofree char *output = NULL;
  g_autofree char *payload = NULL;

  g_assert_false (frame_flag (failed, "ok"));
  g_assert_cmpstr (_pp_frame_get_string (failed, "etype"), ==, "ValueError");
  g_assert_cmpstr (_pp_frame_get_string (failed, "emsg"), ==, "bad value 7");
  g_assert_nonnull (strstr (_pp_frame_get_string (failed, "tb"), "ValueError"));
  g_assert_false (frame_flag (failed, "compile"));
  g_assert_false (frame_flag (failed, "cancelled"));
  g_assert_false (frame_flag (failed, "crashed"));
  g_assert_cmpint (_pp_frame_get_int (failed, "olen", 0), ==, strlen ("failing 7\n"));

  g_assert_true (frame_flag (printed, "ok"));
  g_assert_cmpint (_pp_frame_get_int (printed, "olen", 0), ==, strlen ("hello 21\n"));
  output = g_strndup (g_bytes_get_data (printed->body, NULL), strlen ("hello 21\n"));
  payload = frame_body (printed, strlen ("hello 21\n"));
  g_assert_cmpstr (output, ==, "hello 21\n");
  g_assert_cmpstr (payload, ==, "42");

  g_assert_false (frame_flag (compile, "ok"));
  g_assert_true (frame_flag (compile, "compile"));
  g_assert_cmpstr (_pp_frame_get_string (compile, "etype"), ==, "SyntaxError");
}

/* Definitions are per connection: another client cannot use them. */
static void
test_def_per_connection (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(TestClient) a = test_client_new_authenticated (fixture);
  g_autoptr(TestClient) b = test_client_new_authenticated (fixture);
  g_autoptr(PpFunction) add = add_function ();
  g_autoptr(PpFrame) ok = run_job (a, 1, add, "[1, 2]");
  g_autoptr(PpFrame) lookup = NULL;

  assert_result (ok, "3");

  test_client_send_job (b, 1, pp_function_get_key (add), "[1, 2]");
  lookup = test_client_next_result (b);
  g_assert_cmpint (_pp_frame_get_int (lookup, "id", -1), ==, 1);
  g_assert_false (frame_flag (lookup, "ok"));
  g_assert_cmpstr (_pp_frame_get_string (lookup, "etype"), ==, "LookupError");

  /* B still works, and so does A after B's mistake. */
  g_clear_pointer (&ok, _pp_frame_free);
  ok = run_job (b, 2, add, "[2, 3]");
  assert_result (ok, "5");
  g_clear_pointer (&ok, _pp_frame_free);
  ok = run_job (a, 2, add, "[3, 4]");
  assert_result (ok, "7");
  g_assert_cmpuint (pp_node_service_get_n_clients (fixture->service), ==, 2);
}

/* A function of about 5 MiB that returns @n. */
static PpFunction *
big_function (guint n)
{
  g_autofree char *name = g_strdup_printf ("f%u", n);
  g_autofree char *padding = g_strnfill (5 * 1024 * 1024, 'x');
  g_autofree char *source = g_strdup_printf ("def f%u():\n    return %u\n# %s\n", n, n, padding);

  return pp_function_new (name, source, NULL);
}

static void
assert_undefined (TestClient *client,
                  gint64      id,
                  PpFunction *function)
{
  g_autoptr(PpFrame) frame = NULL;

  test_client_send_job (client, id, pp_function_get_key (function), "[]");
  frame = test_client_next_result (client);
  g_assert_cmpint (_pp_frame_get_int (frame, "id", -1), ==, id);
  g_assert_false (frame_flag (frame, "ok"));
  g_assert_true (frame_flag (frame, "undefined"));
  g_assert_cmpstr (_pp_frame_get_string (frame, "etype"), ==, "LookupError");
}

static void
assert_runs (TestClient *client,
             gint64      id,
             PpFunction *function,
             const char *expected)
{
  g_autoptr(PpFrame) frame = NULL;

  test_client_send_job (client, id, pp_function_get_key (function), "[]");
  frame = test_client_next_result (client);
  g_assert_cmpint (_pp_frame_get_int (frame, "id", -1), ==, id);
  assert_result (frame, expected);
}

/* A connection keeps about 16 MiB of definitions, the least recently used
 * going first; a job whose definition went is answered "undefined", and
 * runs once it is defined again. */
static void
test_def_evicted (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new_authenticated (fixture);
  PpFunction *functions[5];

  for (guint i = 0; i < G_N_ELEMENTS (functions); i++)
    functions[i] = big_function (i);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(PpFrame) frame = run_job (client, i, functions[i], "[]");
      g_autofree char *expected = g_strdup_printf ("%u", i);

      assert_result (frame, expected);
    }
  /* f0 was used last: f1 is the one to go. */
  assert_runs (client, 10, functions[0], "0");
  g_clear_pointer (&functions[3], g_object_unref);
  functions[3] = big_function (3);
  {
    g_autoptr(PpFrame) frame = run_job (client, 11, functions[3], "[]");

    assert_result (frame, "3");
  }
  assert_undefined (client, 12, functions[1]);
  assert_runs (client, 13, functions[0], "0");
  assert_runs (client, 14, functions[2], "2");

  /* Defined again, it runs. */
  test_client_send_def (client, functions[1], NULL);
  assert_runs (client, 15, functions[1], "1");
  g_assert_cmpuint (pp_node_service_get_n_clients (fixture->service), ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (functions); i++)
    g_object_unref (functions[i]);
}

static guint64
get_jobs_done (PpNodeService *service)
{
  g_autoptr(GVariant) clients = pp_node_service_dup_clients (service);
  guint64 jobs_done = 0;

  g_assert_cmpuint (g_variant_n_children (clients), ==, 1);
  g_variant_get_child (clients, 0, "(&std)", NULL, &jobs_done, NULL);
  return jobs_done;
}

/* A client that does not read its results stops being read once the
 * service holds max-queued-output bytes for it; it gets every result once
 * it reads again. With a socket timeout (@data), a pause longer than it
 * does not count as silence: the service was not listening. */
static void
test_backpressure (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(TestClient) client = NULL;
  g_autoptr(PpFunction) big = pp_function_new ("big", "def big(i):\n    return 'x' * 30000\n",
                                               NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  const guint n_jobs = 2000;
  guint64 done_while_paused;

  g_object_set (fixture->service, "max-queued-output", (guint64) 64 * 1024, NULL);
  client = test_client_new_authenticated (fixture);
  test_client_send_def (client, big, NULL);
  _pp_connection_set_paused (client->connection, TRUE);
  for (guint i = 0; i < n_jobs; i++)
    {
      g_autofree char *args = g_strdup_printf ("[%u]", i);

      test_client_send_job (client, i, pp_function_get_key (big), args);
    }
  /* Until the service stops running the client's jobs. */
  do
    {
      guint64 before = get_jobs_done (fixture->service);

      run_for (fixture->context, 300);
      done_while_paused = get_jobs_done (fixture->service);
      if (done_while_paused == before && done_while_paused > 0)
        break;
    }
  while (done_while_paused < n_jobs);
  g_test_message ("%" G_GUINT64_FORMAT " of %u jobs done while the client did not read",
                  done_while_paused, n_jobs);
  /* What the sockets' buffers hold, and no more. */
  g_assert_cmpuint (done_while_paused, <, n_jobs / 2);
  if (GPOINTER_TO_UINT (data) > 0)
    run_for (fixture->context, GPOINTER_TO_UINT (data) * 1500);

  _pp_connection_set_paused (client->connection, FALSE);
  while (g_hash_table_size (seen) < n_jobs)
    {
      g_autoptr(PpFrame) frame = NULL;
      gint64 id;

      /* Heartbeats, as a real client sends them. */
      if (g_hash_table_size (seen) % 100 == 0)
        test_client_send (client, "{\"t\":\"ping\",\"n\":1}", NULL, 0);
      frame = test_client_next_result (client);
      id = _pp_frame_get_int (frame, "id", -1);

      g_assert_true (frame_flag (frame, "ok"));
      g_assert_cmpint (id, >=, 0);
      g_assert_cmpint (id, <, n_jobs);
      g_assert_false (g_hash_table_contains (seen, GINT_TO_POINTER (id + 1)));
      g_hash_table_add (seen, GINT_TO_POINTER (id + 1));
    }
  g_assert_cmpuint (get_jobs_done (fixture->service), ==, n_jobs);
}

static guint64
get_total_jobs_done (PpNodeService *service)
{
  g_autoptr(GVariant) clients = pp_node_service_dup_clients (service);
  guint64 total = 0;

  for (gsize i = 0; i < g_variant_n_children (clients); i++)
    {
      guint64 jobs_done = 0;

      g_variant_get_child (clients, i, "(&std)", NULL, &jobs_done, NULL);
      total += jobs_done;
    }
  return total;
}

/* Backpressure reaches the workers: while the service holds
 * max-queued-output bytes for a client, none of that client's jobs it has
 * read goes to a worker, so what it holds does not grow with the result
 * size times the jobs read (up to 130 a worker); the workers run another
 * client's jobs meanwhile. Once the client reads, every result comes. */
static void
test_backpressure_dispatch (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(TestClient) client = NULL;
  g_autoptr(TestClient) other = NULL;
  g_autoptr(PpFunction) big = pp_function_new ("big", "def big(i):\n    return 'x' * (512 * 1024)\n",
                                               NULL);
  g_autoptr(PpFunction) add = add_function ();
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  g_autoptr(GPtrArray) queued = NULL;
  const guint n_jobs = 250;
  guint64 done_while_paused, before;

  g_object_set (fixture->service, "max-queued-output", (guint64) 64 * 1024, NULL);
  client = test_client_new_authenticated (fixture);
  test_client_send_def (client, big, NULL);
  /* Its run time known (short), the workers take many of its jobs ahead:
   * those they have not started are taken back too. */
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(PpFrame) frame = run_job (client, n_jobs + i, big, "[0]");

      g_assert_true (frame_flag (frame, "ok"));
    }
  _pp_connection_set_paused (client->connection, TRUE);
  for (guint i = 0; i < n_jobs; i++)
    {
      g_autofree char *args = g_strdup_printf ("[%u]", i);

      test_client_send_job (client, i, pp_function_get_key (big), args);
    }
  do
    {
      before = get_jobs_done (fixture->service);
      run_for (fixture->context, 300);
      done_while_paused = get_jobs_done (fixture->service);
    }
  while (done_while_paused != before || done_while_paused == 0);
  done_while_paused -= 4;
  g_test_message ("%" G_GUINT64_FORMAT " of %u jobs of 512 KiB results done, %u read and held, "
                  "while the client did not read", done_while_paused, n_jobs,
                  pp_node_service_get_active_jobs (fixture->service));
  /* What the sockets' buffers hold (a few MiB each way), the limit, and
   * the two jobs the workers were running; the jobs read beyond those
   * wait. */
  g_assert_cmpuint (done_while_paused, <=, 40);
  g_assert_cmpuint (pp_node_service_get_active_jobs (fixture->service), >, 0);
  /* Held jobs are still queued jobs to whoever looks (ppd's HTTP jobs list). */
  queued = _pp_server_list_queued_jobs (fixture->pool, n_jobs);
  g_assert_cmpuint (queued->len, >=, n_jobs - 4 - 40 - 64);

  /* The workers serve another client meanwhile. */
  other = test_client_new_authenticated (fixture);
  test_client_send_def (other, add, NULL);
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(PpFrame) frame = run_job (other, i, add, "[2, 3]");

      assert_result (frame, "5");
    }
  g_assert_cmpuint (get_total_jobs_done (fixture->service), ==, 4 + done_while_paused + 20);
  test_client_free (g_steal_pointer (&other));

  _pp_connection_set_paused (client->connection, FALSE);
  while (g_hash_table_size (seen) < n_jobs)
    {
      g_autoptr(PpFrame) frame = NULL;
      gint64 id;

      if (g_hash_table_size (seen) % 50 == 0)
        test_client_send (client, "{\"t\":\"ping\",\"n\":1}", NULL, 0);
      frame = test_client_next_result (client);
      id = _pp_frame_get_int (frame, "id", -1);
      g_assert_true (frame_flag (frame, "ok"));
      g_assert_cmpint (id, >=, 0);
      g_assert_cmpint (id, <, n_jobs);
      g_assert_cmpuint (g_bytes_get_size (frame->body), ==, 512 * 1024 + 2);
      g_assert_false (g_hash_table_contains (seen, GINT_TO_POINTER (id + 1)));
      g_hash_table_add (seen, GINT_TO_POINTER (id + 1));
    }
  ITERATE_UNTIL (fixture->context, get_total_jobs_done (fixture->service) == 4 + n_jobs);
  g_assert_cmpuint (pp_node_service_get_active_jobs (fixture->service), ==, 0);
}

/* A client that leaves while its jobs are held back: they are cancelled,
 * and the workers are free for the next client. */
static void
test_backpressure_dispatch_drop (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(TestClient) client = NULL;
  g_autoptr(PpFunction) big = pp_function_new ("big", "def big(i):\n    return 'x' * (512 * 1024)\n",
                                               NULL);
  g_autoptr(PpFunction) add = add_function ();
  guint64 done, before;

  g_object_set (fixture->service, "max-queued-output", (guint64) 64 * 1024, NULL);
  client = test_client_new_authenticated (fixture);
  test_client_send_def (client, big, NULL);
  _pp_connection_set_paused (client->connection, TRUE);
  for (guint i = 0; i < 200; i++)
    test_client_send_job (client, i, pp_function_get_key (big), "[0]");
  do
    {
      before = get_jobs_done (fixture->service);
      run_for (fixture->context, 300);
      done = get_jobs_done (fixture->service);
    }
  while (done != before || done == 0);
  g_assert_cmpuint (pp_node_service_get_active_jobs (fixture->service), >, 0);
  test_client_free (g_steal_pointer (&client));
  ITERATE_UNTIL (fixture->context, fixture->n_disconnected == 1);
  /* Cancelled as the client went, the held ones too. */
  g_assert_cmpuint (pp_node_service_get_active_jobs (fixture->service), ==, 0);
  g_assert_cmpuint (pp_server_get_queued_jobs (fixture->pool), ==, 0);

  client = test_client_new_authenticated (fixture);
  test_client_send_def (client, add, NULL);
  {
    g_autoptr(PpFrame) frame = run_job (client, 1, add, "[1, 2]");

    assert_result (frame, "3");
  }
}

/* A "def" whose key is not the SHA-256 of its function is refused. */
static void
test_def_bad_key (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new_authenticated (fixture);
  g_autoptr(PpFunction) add = add_function ();
  g_autoptr(PpFunction) other = pp_function_new ("add", "def add(a, b):\n    return a - b\n", NULL);

  /* Poisoning: the source of one function under the key of another. */
  test_client_send_def (client, other, pp_function_get_key (add));
  test_client_expect_close (client, "protocol");
  ITERATE_UNTIL (fixture->context, fixture->n_disconnected == 1);
  g_assert_nonnull (strstr (fixture->disconnect_reason, "SHA-256"));
}

static void
test_malformed_frames (Fixture       *fixture,
                       gconstpointer  data)
{
  const char *bad[] = {
    "{\"t\":\"bogus\"}",
    "{\"t\":\"job\",\"id\":\"one\",\"key\":\"k\",\"fmt\":\"json\"}",
    "{\"t\":\"job\",\"id\":-1,\"key\":\"k\",\"fmt\":\"json\"}",
    "{\"t\":\"job\",\"id\":1,\"key\":\"k\",\"fmt\":\"marshal\"}",
    "{\"t\":\"def\",\"key\":\"k\"}",
    "{\"t\":\"def\",\"key\":\"k\",\"name\":\"f\",\"modules\":[1]}",
    "{\"t\":\"cancel\"}",
    "{\"t\":\"hello\",\"proto\":1}",
    "{\"t\":1}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(TestClient) client = test_client_new_authenticated (fixture);

      test_client_send (client, bad[i], NULL, 0);
      test_client_expect_close (client, "protocol");
    }
  ITERATE_UNTIL (fixture->context, fixture->n_disconnected == G_N_ELEMENTS (bad));
}

/* Hostile job ids: the protocol error names the member and what is wrong;
 * the first is the input the fuzzer found. A wide integer is refused by the
 * decoder (json-glib would wrap it to -1). */
static void
test_hostile_ids (Fixture       *fixture,
                  gconstpointer  data)
{
  const struct { const char *id; const char *message; } cases[] = {
    { "8.88889e+19", "member “id”: 8.88889e+19 is out of range (0 to 9223372036854775807)" },
    { "1e400", "member “id”: inf is not a finite number" },
    { "-1e19", "member “id”: -1e+19 is out of range" },
    { "1.5", "member “id”: 1.5 is not an integer" },
    { "1.0", "member “id”: 1.0 is not an integer" },
    { "\"12\"", "member “id” is a string, not an integer" },
    { "null", "member “id” is null, not an integer" },
    { "99999999999999999999", "99999999999999999999 is not a JSON number that fits in 64 bits" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TestClient) client = test_client_new_authenticated (fixture);
      g_autofree char *job = g_strdup_printf ("{\"t\":\"job\",\"id\":%s,\"key\":\"k\",\"fmt\":\"json\"}",
                                              cases[i].id);
      g_autofree char *cancel = g_strdup_printf ("{\"t\":\"cancel\",\"id\":%s}", cases[i].id);

      test_client_send (client, i % 2 ? cancel : job, NULL, 0);
      ITERATE_UNTIL (fixture->context, fixture->n_disconnected == i + 1);
      if (strstr (fixture->disconnect_reason, cases[i].message) == NULL)
        g_error ("expected “%s” in “%s”", cases[i].message, fixture->disconnect_reason);
      /* A stream the decoder refuses may be closed without a word. */
      test_client_expect_close (client, i + 1 < G_N_ELEMENTS (cases) ? "protocol" : NULL);
    }
}

/* A ping's "n" comes back only as the integer it must be: anything else
 * is a protocol error, never echoed (1e400 would not even be valid JSON). */
static void
test_hostile_ping (Fixture       *fixture,
                   gconstpointer  data)
{
  const char * const cases[] = { "1e400", "-1", "1.5", "{\"a\":1}", "\"7\"", "99999999999999999999" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TestClient) client = test_client_new_authenticated (fixture);
      g_autofree char *ping = g_strdup_printf ("{\"t\":\"ping\",\"n\":%s}", cases[i]);

      test_client_send (client, ping, NULL, 0);
      ITERATE_UNTIL (fixture->context, fixture->n_disconnected == i + 1);
      if (strstr (fixture->disconnect_reason, "“n”") == NULL &&
          strstr (fixture->disconnect_reason, "64 bits") == NULL)
        g_error ("expected a complaint about “n” in “%s”", fixture->disconnect_reason);
    }
}

/* Names a client sends come back in messages, bounded: a huge frame type
 * or key cannot make an answer too large to send. */
static void
test_long_names (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new_authenticated (fixture);
  g_autoptr(PpFrame) lookup = NULL;
  g_autofree char *name = g_strnfill (900 * 1024, 'x');
  g_autofree char *job = g_strdup_printf ("{\"t\":\"job\",\"id\":1,\"key\":\"%s\",\"fmt\":\"json\"}",
                                          name);
  g_autofree char *bogus = g_strdup_printf ("{\"t\":\"%s\"}", name);

  test_client_send (client, job, "[]", 2);
  lookup = test_client_next_result (client);
  g_assert_cmpstr (_pp_frame_get_string (lookup, "etype"), ==, "LookupError");
  g_assert_cmpuint (strlen (_pp_frame_get_string (lookup, "emsg")), <, 1024);

  test_client_send (client, bogus, NULL, 0);
  test_client_expect_close (client, "protocol");
}

/* A job id that is still running cannot be reused. */
static void
test_duplicate_id (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new_authenticated (fixture);
  g_autoptr(PpFunction) nap = nap_function ();

  test_client_send_def (client, nap, NULL);
  test_client_send_job (client, 5, pp_function_get_key (nap), "[60]");
  test_client_send_job (client, 5, pp_function_get_key (nap), "[60]");
  test_client_expect_close (client, "protocol");
  wait_pool_idle (fixture);
}

/* The node proves itself first: a client with the wrong secret gives up
 * before it sends a proof. */
static void
test_wrong_secret_client (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new (fixture);
  g_autoptr(GError) error = NULL;

  g_assert_false (test_client_authenticate (client, "not-the-secret", NULL, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
  g_clear_pointer (&client, test_client_free);

  /* The node notices the client leaving. */
  run_for (fixture->context, 200);
  g_assert_cmpuint (fixture->n_connected, ==, 0);
  g_assert_cmpuint (pp_node_service_get_n_clients (fixture->service), ==, 0);
}

static PpFrame *
send_hello (TestClient *client)
{
  test_client_send (client, "{\"t\":\"hello\",\"proto\":1,\"nonce\":"
                    "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"}",
                    NULL, 0);
  return test_client_expect (client, "challenge");
}

/* A client that does not know the secret and sends a proof anyway. */
static void
test_wrong_secret_node (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new (fixture);
  g_autoptr(PpFrame) challenge = send_hello (client);

  g_assert_nonnull (challenge);
  test_client_send (client, "{\"t\":\"auth\",\"proof\":"
                    "\"0000000000000000000000000000000000000000000000000000000000000000\"}",
                    NULL, 0);
  g_assert_cmpuint (pp_node_service_get_handshake_failures (fixture->service), ==, 0);
  test_client_expect_close (client, "auth");
  g_assert_cmpuint (fixture->n_connected, ==, 0);
  /* Counted (ppd's /metrics: ppd_handshake_failures_total). */
  g_assert_cmpuint (pp_node_service_get_handshake_failures (fixture->service), ==, 1);
}

static void
test_version (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new (fixture);

  test_client_send (client, "{\"t\":\"hello\",\"proto\":2,\"nonce\":"
                    "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"}",
                    NULL, 0);
  test_client_expect_close (client, "version");
  g_assert_cmpuint (pp_node_service_get_handshake_failures (fixture->service), ==, 1);
}

static void
test_job_before_auth (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new (fixture);
  g_autoptr(PpFunction) add = add_function ();
  g_autoptr(TestClient) late = test_client_new (fixture);
  g_autoptr(PpFrame) challenge = NULL;

  test_client_send_job (client, 1, pp_function_get_key (add), "");
  test_client_expect_close (client, "protocol");

  /* After a hello, too. */
  challenge = send_hello (late);
  test_client_send_job (late, 1, pp_function_get_key (add), "");
  test_client_expect_close (late, "protocol");
  g_assert_cmpuint (pp_server_get_active_jobs (fixture->pool, NULL), ==, 0);
}

/* Before authentication, frames with a body break the limit of 0 bytes:
 * the client is told so with a "protocol" error, as for any frame out of
 * place. */
static void
test_body_before_auth (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(TestClient) job = test_client_new (fixture);
  g_autoptr(TestClient) def = test_client_new (fixture);
  g_autoptr(PpFunction) add = add_function ();

  test_client_send_job (job, 1, pp_function_get_key (add), "[1, 2]");
  test_client_expect_close (job, "protocol");
  test_client_send_def (def, add, NULL);
  test_client_expect_close (def, "protocol");
  g_assert_cmpuint (pp_server_get_active_jobs (fixture->pool, NULL), ==, 0);
}

/* A type is compared whole: "hello\u0000x" is not "hello". */
static void
test_nul_in_type (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new (fixture);

  test_client_send (client, "{\"t\":\"hello\\u0000x\",\"proto\":1,\"nonce\":"
                    "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"}",
                    NULL, 0);
  test_client_expect_close (client, "protocol");
}

static void
test_garbage (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new (fixture);
  g_autoptr(TestClient) late = test_client_new_authenticated (fixture);
  static const char http[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  static const guint8 not_json[] = { 0, 0, 0, 4, 0, 0, 0, 0, 'n', 'o', 'p', 'e' };

  test_client_send_raw (client, http, strlen (http));
  test_client_expect_close (client, NULL);
  test_client_send_raw (late, not_json, sizeof not_json);
  test_client_expect_close (late, NULL);
  ITERATE_UNTIL (fixture->context, fixture->n_disconnected == 1);
}

/* Lengths are checked before anything is allocated: an unauthenticated
 * peer announcing 2 GiB is dropped at once, without sending them. */
static void
test_oversized (Fixture       *fixture,
                gconstpointer  data)
{
  static const guint8 huge_header[] = { 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
  static const guint8 big_header[] = { 0, 0, 0x10, 0x01, 0, 0, 0, 0 };
  static const guint8 huge_body[] = { 0, 0, 0, 2, 0x7f, 0xff, 0xff, 0xff, '{', '}' };
  static const guint8 small_body[] = { 0, 0, 0, 2, 0, 0, 0, 1, '{', '}' };
  const struct { const guint8 *data; gsize len; } prefixes[] = {
    { huge_header, sizeof huge_header },
    { big_header, sizeof big_header },
    { huge_body, sizeof huge_body },
    { small_body, sizeof small_body },
  };

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      g_autoptr(TestClient) client = test_client_new (fixture);
      gint64 start = g_get_monotonic_time ();

      test_client_send_raw (client, prefixes[i].data, prefixes[i].len);
      test_client_expect_close (client, NULL);
      g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
    }
}

/* With a handshake and socket timeout of 1 s, a silent client is closed:
 * during the handshake with a "timeout" error, later when it misses its
 * heartbeats. */
static void
test_timeout (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(TestClient) silent = test_client_new (fixture);
  g_autoptr(TestClient) idle = NULL;
  gint64 start = g_get_monotonic_time ();

  test_client_expect_close (silent, "timeout");
  g_assert_cmpint (g_get_monotonic_time () - start, >=, G_USEC_PER_SEC / 2);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);

  idle = test_client_new_authenticated (fixture);
  test_client_stop_heartbeats (idle);
  g_assert_cmpuint (_pp_handshake_get_timeout (idle->handshake), ==, 1);
  g_assert_cmpuint (_pp_handshake_get_heartbeat (idle->handshake), ==, heartbeat_ms);
  start = g_get_monotonic_time ();
  test_client_expect_close (idle, NULL);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, G_USEC_PER_SEC / 2);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  ITERATE_UNTIL (fixture->context, fixture->n_disconnected == 1);
}

/* Whatever the socket timeout (3600 s here), an authenticated client that
 * stops its heartbeats (frozen, or its host gone) is closed after 5 missed
 * intervals, and its job is cancelled. */
static void
test_heartbeat_missed (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new_authenticated (fixture);
  g_autoptr(PpFunction) nap = nap_function ();
  gint64 start;

  g_assert_cmpuint (_pp_handshake_get_timeout (client->handshake), ==, 3600);
  g_assert_cmpuint (_pp_handshake_get_heartbeat (client->handshake), ==, heartbeat_ms);
  test_client_send_def (client, nap, NULL);
  test_client_send_job (client, 1, pp_function_get_key (nap), "[60]");
  ITERATE_UNTIL (fixture->context, pp_node_service_get_active_jobs (fixture->service) == 1);
  test_client_stop_heartbeats (client);
  start = g_get_monotonic_time ();
  test_client_expect_close (client, NULL);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, (heartbeat_ms * 4) * 1000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  ITERATE_UNTIL (fixture->context, fixture->n_disconnected == 1 &&
                                   pp_node_service_get_active_jobs (fixture->service) == 0);
  g_assert_nonnull (strstr (fixture->disconnect_reason, "no data from"));
}

/* A client that keeps its heartbeats is kept, however long it waits and
 * idles: here a job of 3 s and an idle second, against a socket timeout
 * of 1 s and a heartbeat bound of 1 s; the next job runs on the same
 * connection. */
static void
test_heartbeat_keeps_client (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new_authenticated (fixture);
  g_autoptr(PpFunction) nap = nap_function ();
  g_autoptr(PpFunction) add = add_function ();
  g_autoptr(PpFrame) slow = NULL;
  g_autoptr(PpFrame) next = NULL;
  gint64 start = g_get_monotonic_time ();

  g_assert_cmpuint (_pp_handshake_get_timeout (client->handshake), ==, 1);
  slow = run_job (client, 1, nap, "[3]");
  assert_result (slow, "3");
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 3 * G_USEC_PER_SEC);
  run_for (fixture->context, 1500);
  g_assert_false (client->closed);
  g_assert_cmpuint (client->pongs, >=, 10);

  next = run_job (client, 2, add, "[2, 3]");
  assert_result (next, "5");
  g_assert_cmpuint (fixture->n_connected, ==, 1);
  g_assert_cmpuint (fixture->n_disconnected, ==, 0);
  g_assert_cmpuint (pp_node_service_get_n_clients (fixture->service), ==, 1);
}

/* A partial handshake does not keep the connection: the deadline counts
 * from the connection, not from the last byte. */
static void
test_slow_handshake (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new (fixture);
  g_autoptr(PpFrame) challenge = send_hello (client);
  gint64 start = g_get_monotonic_time ();

  g_assert_nonnull (challenge);
  /* Half a frame, never finished. */
  test_client_send_raw (client, "\0\0\0", 3);
  test_client_expect_close (client, "timeout");
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

/* Heartbeats are answered at once while every worker is busy. */
static void
test_ping (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new_authenticated (fixture);
  g_autoptr(PpFunction) nap = nap_function ();

  test_client_send_def (client, nap, NULL);
  test_client_send_job (client, 1, pp_function_get_key (nap), "[2]");
  test_client_send_job (client, 2, pp_function_get_key (nap), "[2]");
  ITERATE_UNTIL (fixture->context, pp_node_service_get_active_jobs (fixture->service) == 2);

  for (int n = 1; n <= 3; n++)
    {
      g_autofree char *ping = g_strdup_printf ("{\"t\":\"ping\",\"n\":%d}", n);
      g_autoptr(PpFrame) pong = NULL;
      gint64 start = g_get_monotonic_time ();

      test_client_send (client, ping, NULL, 0);
      pong = test_client_expect (client, "pong");
      g_assert_cmpint (_pp_frame_get_int (pong, "n", -1), ==, n);
      g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC / 2);
    }
  g_assert_cmpuint (pp_node_service_get_active_jobs (fixture->service), ==, 2);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(PpFrame) res = test_client_next_result (client);
      assert_result (res, "2");
    }
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new_authenticated (fixture);
  g_autoptr(PpFunction) nap = nap_function ();
  g_autoptr(PpFunction) add = add_function ();
  g_autoptr(PpFrame) res = NULL;
  g_autoptr(PpFrame) after = NULL;
  gint64 start;

  test_client_send_def (client, nap, NULL);
  test_client_send_job (client, 1, pp_function_get_key (nap), "[60]");
  ITERATE_UNTIL (fixture->context, pp_server_get_active_jobs (fixture->pool, NULL) == 1);
  /* An id the node does not know (finished, say) is ignored. */
  test_client_send (client, "{\"t\":\"cancel\",\"id\":99}", NULL, 0);

  start = g_get_monotonic_time ();
  test_client_send (client, "{\"t\":\"cancel\",\"id\":1}", NULL, 0);
  res = test_client_next_result (client);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpint (_pp_frame_get_int (res, "id", -1), ==, 1);
  g_assert_false (frame_flag (res, "ok"));
  g_assert_true (frame_flag (res, "cancelled"));
  wait_pool_idle (fixture);

  /* The worker was replaced; the connection goes on. */
  after = run_job (client, 2, add, "[20, 22]");
  assert_result (after, "42");
}

/* When a client goes, its jobs are cancelled: it re-queues them elsewhere. */
static void
test_disconnect_cancels (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new_authenticated (fixture);
  g_autoptr(TestClient) other = test_client_new_authenticated (fixture);
  g_autoptr(PpFunction) nap = nap_function ();
  g_autoptr(PpFrame) res = NULL;

  test_client_send_def (client, nap, NULL);
  for (guint i = 0; i < 3; i++)
    test_client_send_job (client, i, pp_function_get_key (nap), "[60]");
  ITERATE_UNTIL (fixture->context, pp_server_get_active_jobs (fixture->pool, NULL) == 3);
  g_assert_cmpuint (pp_node_service_get_active_jobs (fixture->service), ==, 3);

  g_clear_pointer (&client, test_client_free);
  wait_pool_idle (fixture);
  ITERATE_UNTIL (fixture->context, fixture->n_disconnected == 1);
  g_assert_cmpuint (pp_node_service_get_n_clients (fixture->service), ==, 1);

  /* The other client is served by the fresh workers. */
  res = run_job (other, 1, nap, "[0]");
  assert_result (res, "0");
}

/* Without a secret, anyone who can connect could run code: even on
 * loopback (every local user can connect there), a service without one
 * does not listen. */
static void
test_no_secret (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(PpNodeService) open = service_new (fixture, NULL);
  g_autoptr(PpNodeService) empty = service_new (fixture, "");
  const char * const addresses[] = { NULL, "0.0.0.0", "::", "127.0.0.1", "::1", "localhost" };

  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (pp_node_service_listen (open, addresses[i], 0, &error));
      g_assert_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT);
      g_assert_true (g_str_has_prefix (error->message, "refusing to listen without a secret"));
      g_clear_error (&error);
      g_assert_false (pp_node_service_listen (empty, addresses[i], 0, &error));
      g_assert_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT);
    }
  g_assert_cmpuint (pp_node_service_get_port (open), ==, 0);
  g_assert_cmpuint (pp_node_service_get_port (empty), ==, 0);
}

/* Listening with a secret on all interfaces, on a given port. */
static void
test_listen_any (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(PpNodeService) service = service_new (fixture, SECRET);
  g_autoptr(GError) error = NULL;
  g_autoptr(TestClient) client = NULL;
  guint16 port;

  g_assert_true (pp_node_service_listen (service, NULL, 0, &error));
  g_assert_no_error (error);
  port = pp_node_service_get_port (service);
  pp_node_service_stop (service);
  g_assert_cmpuint (pp_node_service_get_port (service), ==, 0);

  /* The same port again, now that it is free, unless another process
   * took it in between. */
  if (!pp_node_service_listen (service, NULL, port, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
    {
      g_test_message ("port %u was taken meanwhile: %s", port, error->message);
      g_clear_error (&error);
      g_assert_true (pp_node_service_listen (service, NULL, 0, &error));
      port = pp_node_service_get_port (service);
    }
  g_assert_no_error (error);
  g_assert_cmpuint (pp_node_service_get_port (service), ==, port);
  fixture->port = port;
  client = test_client_new (fixture);
  g_assert_true (test_client_authenticate (client, SECRET, NULL, &error));
  g_assert_no_error (error);

  /* A host name is resolved. */
  g_clear_object (&service);
  g_clear_pointer (&client, test_client_free);
  service = service_new (fixture, SECRET);
  g_assert_true (pp_node_service_listen (service, "localhost", 0, &error));
  g_assert_no_error (error);
}

/* TLS ---------------------------------------------------------------------- */

static GTlsCertificate *
load_test_certificate (void)
{
  g_autofree char *cert = g_test_build_filename (G_TEST_DIST, "data", "test-cert.pem", NULL);
  g_autofree char *key = g_test_build_filename (G_TEST_DIST, "data", "test-key.pem", NULL);
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate = g_tls_certificate_new_from_files (cert, key, &error);

  g_assert_no_error (error);
  return certificate;
}

static gboolean
accept_certificate_cb (GTlsConnection       *connection,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  return TRUE;
}

typedef struct
{
  gboolean  done;
  GError   *error;
} Handshake;

static void
tls_handshake_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Handshake *handshake = user_data;

  g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &handshake->error);
  handshake->done = TRUE;
}

/* A client that speaks TLS; returns its channel binding. */
static TestClient *
test_client_new_tls (Fixture  *fixture,
                     GBytes  **channel_binding)
{
  TestClient *client = g_new0 (TestClient, 1);
  g_autoptr(GError) error = NULL;
  Handshake handshake = { FALSE, NULL };

  client->context = fixture->context;
  client->socket = connect_socket (fixture->port);
  client->tls = G_TLS_CONNECTION (g_tls_client_connection_new (G_IO_STREAM (client->socket),
                                                               NULL, &error));
  g_assert_no_error (error);
  g_signal_connect (client->tls, "accept-certificate", G_CALLBACK (accept_certificate_cb), NULL);
  g_tls_connection_handshake_async (client->tls, G_PRIORITY_DEFAULT, NULL, tls_handshake_cb,
                                    &handshake);
  ITERATE_UNTIL (fixture->context, handshake.done);
  g_assert_no_error (handshake.error);
  *channel_binding = _pp_handshake_dup_channel_binding (client->tls, NULL);
  g_assert_nonnull (*channel_binding);
  test_client_attach (client, G_IO_STREAM (client->tls));
  return client;
}

static void
test_tls (Fixture       *fixture,
          gconstpointer  data)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(TestClient) client = NULL;
  g_autoptr(TestClient) plain = NULL;
  g_autoptr(TestClient) unbound = NULL;
  g_autoptr(GBytes) channel_binding = NULL;
  g_autoptr(GBytes) unused = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PpFunction) add = add_function ();

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("no TLS backend");
      return;
    }
  certificate = load_test_certificate ();
  pp_node_service_set_tls_certificate (fixture->service, certificate);
  g_assert_true (pp_node_service_get_tls_certificate (fixture->service) == certificate);

  client = test_client_new_tls (fixture, &channel_binding);
  g_assert_cmpuint (g_bytes_get_size (channel_binding), >, 0);
  g_assert_true (test_client_authenticate (client, SECRET, channel_binding, &error));
  g_assert_no_error (error);
  run_many_jobs (client, add);

  /* Proofs made without the channel binding do not pass: the node's own
   * proof fails the client's check first. */
  unbound = test_client_new_tls (fixture, &unused);
  g_assert_false (test_client_authenticate (unbound, SECRET, NULL, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* A plain client gets nowhere, and the TLS client is unaffected. */
  plain = test_client_new (fixture);
  test_client_send (plain, "{\"t\":\"hello\",\"proto\":1}", NULL, 0);
  test_client_expect_close (plain, NULL);
  g_clear_pointer (&unbound, test_client_free);
  run_many_jobs (client, add);
  g_assert_cmpuint (pp_node_service_get_n_clients (fixture->service), ==, 1);
}

/* Misbehaving clients come and go while a good one runs its jobs. */
static void
test_isolation (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(TestClient) good = test_client_new_authenticated (fixture);
  g_autoptr(PpFunction) add = add_function ();
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  g_autoptr(GPtrArray) bad = g_ptr_array_new_with_free_func ((GDestroyNotify) test_client_free);
  static const guint8 huge[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
  TestClient *client;

  test_client_send_def (good, add, NULL);
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *args = g_strdup_printf ("[%u, 1]", i);
      test_client_send_job (good, i, pp_function_get_key (add), args);
    }

  client = test_client_new (fixture);
  test_client_send_raw (client, "garbage garbage garbage", 23);
  g_ptr_array_add (bad, client);
  client = test_client_new (fixture);
  test_client_send_raw (client, huge, sizeof huge);
  g_ptr_array_add (bad, client);
  client = test_client_new (fixture);
  test_client_send (client, "{\"t\":\"job\",\"id\":1,\"key\":\"k\",\"fmt\":\"json\"}", "[]", 2);
  g_ptr_array_add (bad, client);
  /* One that has the wrong secret, and leaves. */
  client = test_client_new (fixture);
  g_assert_false (test_client_authenticate (client, "wrong", NULL, NULL));
  test_client_free (client);
  client = test_client_new_authenticated (fixture);
  test_client_send (client, "{\"t\":\"welcome\"}", NULL, 0);
  g_ptr_array_add (bad, client);
  /* One that leaves with jobs running. */
  client = test_client_new_authenticated (fixture);
  test_client_send_def (client, add, NULL);
  test_client_send_job (client, 1, pp_function_get_key (add), "[1, 1]");
  g_ptr_array_add (bad, client);
  g_ptr_array_remove (bad, client);

  while (g_hash_table_size (seen) < 200)
    {
      g_autoptr(PpFrame) frame = test_client_next_result (good);
      gint64 id = _pp_frame_get_int (frame, "id", -1);
      g_autofree char *expected = g_strdup_printf ("%" G_GINT64_FORMAT, id + 1);

      g_hash_table_add (seen, GINT_TO_POINTER (id + 1));
      assert_result (frame, expected);
    }
  for (guint i = 0; i < bad->len; i++)
    {
      client = g_ptr_array_index (bad, i);
      ITERATE_UNTIL (fixture->context, client->closed);
    }
  /* The one that left is noticed too. */
  ITERATE_UNTIL (fixture->context, pp_node_service_get_n_clients (fixture->service) == 1);
  wait_pool_idle (fixture);
}

/* Stopping closes every connection with a "shutdown" error and cancels
 * the jobs. */
static void
test_stop (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new_authenticated (fixture);
  g_autoptr(TestClient) pending = test_client_new (fixture);
  g_autoptr(PpFunction) nap = nap_function ();
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) refused = NULL;
  g_autoptr(GError) error = NULL;

  test_client_send_def (client, nap, NULL);
  test_client_send_job (client, 1, pp_function_get_key (nap), "[60]");
  ITERATE_UNTIL (fixture->context, pp_server_get_active_jobs (fixture->pool, NULL) == 1);
  /* The pending connection is accepted before the stop. */
  run_for (fixture->context, 200);

  pp_node_service_stop (fixture->service);
  g_assert_cmpuint (pp_node_service_get_n_clients (fixture->service), ==, 0);
  g_assert_cmpuint (pp_node_service_get_active_jobs (fixture->service), ==, 0);
  g_assert_cmpuint (pp_node_service_get_port (fixture->service), ==, 0);
  g_assert_cmpuint (fixture->n_disconnected, ==, 1);
  test_client_expect_close (client, "shutdown");
  test_client_expect_close (pending, NULL);
  wait_pool_idle (fixture);

  refused = g_socket_client_connect_to_host (socket_client, "127.0.0.1", fixture->port, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

/* A graceful shutdown: no new clients, the connected ones are served. */
static void
test_stop_listening (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(TestClient) client = test_client_new_authenticated (fixture);
  g_autoptr(PpFunction) nap = nap_function ();
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) refused = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PpFrame) res = NULL;

  test_client_send_def (client, nap, NULL);
  test_client_send_job (client, 1, pp_function_get_key (nap), "[0.5]");
  ITERATE_UNTIL (fixture->context, pp_node_service_get_active_jobs (fixture->service) == 1);

  pp_node_service_stop_listening (fixture->service);
  g_assert_cmpuint (pp_node_service_get_port (fixture->service), ==, 0);
  refused = g_socket_client_connect_to_host (socket_client, "127.0.0.1", fixture->port, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);

  res = test_client_next_result (client);
  assert_result (res, "0.5");
  g_assert_cmpuint (pp_node_service_get_n_clients (fixture->service), ==, 1);
  g_assert_cmpuint (pp_node_service_get_active_jobs (fixture->service), ==, 0);

  /* It may listen again. */
  fixture_listen (fixture);
  g_clear_pointer (&client, test_client_free);
  client = test_client_new_authenticated (fixture);
}

/* Each readable property has a getter that returns what it holds. */
static void
test_getters (Fixture       *fixture,
              gconstpointer  data)
{
  guint handshake_timeout = 0;
  guint64 max_queued_output = 0;

  g_object_set (fixture->service, "handshake-timeout", 17, "max-queued-output",
                (guint64) 12345, NULL);
  g_object_get (fixture->service, "handshake-timeout", &handshake_timeout,
                "max-queued-output", &max_queued_output, NULL);
  g_assert_cmpuint (handshake_timeout, ==, 17);
  g_assert_cmpuint (max_queued_output, ==, 12345);
  g_assert_cmpuint (pp_node_service_get_handshake_timeout (fixture->service), ==, 17);
  g_assert_cmpuint (pp_node_service_get_max_queued_output (fixture->service), ==, 12345);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *heartbeat = NULL;

  if (g_getenv ("PP_TEST_HEARTBEAT_MS") != NULL)
    heartbeat_ms = CLAMP (g_ascii_strtoull (g_getenv ("PP_TEST_HEARTBEAT_MS"), NULL, 10), 200, 60000);
  heartbeat = g_strdup_printf ("%u", heartbeat_ms);
  g_setenv ("PP_HEARTBEAT_MS", heartbeat, TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, timeout) \
  g_test_add (path, Fixture, GUINT_TO_POINTER (timeout), fixture_setup, func, fixture_teardown)

  ADD ("/node-service/jobs", test_jobs, 0);
  ADD ("/node-service/results", test_results, 0);
  ADD ("/node-service/def-per-connection", test_def_per_connection, 0);
  ADD ("/node-service/def-bad-key", test_def_bad_key, 0);
  ADD ("/node-service/def-evicted", test_def_evicted, 0);
  ADD ("/node-service/backpressure", test_backpressure, 0);
  ADD ("/node-service/backpressure-timeout", test_backpressure, 2);
  ADD ("/node-service/backpressure-dispatch", test_backpressure_dispatch, 0);
  ADD ("/node-service/backpressure-dispatch-drop", test_backpressure_dispatch_drop, 0);
  ADD ("/node-service/malformed-frames", test_malformed_frames, 0);
  ADD ("/node-service/hostile-ids", test_hostile_ids, 0);
  ADD ("/node-service/hostile-ping", test_hostile_ping, 0);
  ADD ("/node-service/long-names", test_long_names, 0);
  ADD ("/node-service/duplicate-id", test_duplicate_id, 0);
  ADD ("/node-service/wrong-secret-client", test_wrong_secret_client, 0);
  ADD ("/node-service/wrong-secret-node", test_wrong_secret_node, 0);
  ADD ("/node-service/version", test_version, 0);
  ADD ("/node-service/job-before-auth", test_job_before_auth, 0);
  ADD ("/node-service/body-before-auth", test_body_before_auth, 0);
  ADD ("/node-service/nul-in-type", test_nul_in_type, 0);
  ADD ("/node-service/garbage", test_garbage, 0);
  ADD ("/node-service/oversized", test_oversized, 0);
  ADD ("/node-service/timeout", test_timeout, 1);
  ADD ("/node-service/slow-handshake", test_slow_handshake, 1);
  ADD ("/node-service/heartbeat-missed", test_heartbeat_missed, 0);
  ADD ("/node-service/heartbeat-keeps-client", test_heartbeat_keeps_client, 1);
  ADD ("/node-service/ping", test_ping, 0);
  ADD ("/node-service/cancel", test_cancel, 0);
  ADD ("/node-service/disconnect-cancels", test_disconnect_cancels, 0);
  ADD ("/node-service/no-secret", test_no_secret, 0);
  ADD ("/node-service/listen-any", test_listen_any, 0);
  ADD ("/node-service/tls", test_tls, 0);
  ADD ("/node-service/isolation", test_isolation, 0);
  ADD ("/node-service/stop", test_stop, 0);
  ADD ("/node-service/stop-listening", test_stop_listening, 0);
  ADD ("/node-service/getters", test_getters, 0);

#undef ADD

  return g_test_run ();
}
