/* test-server-bus.c
 *
 * A PpServer's status document (pp_server_dup_status()) and its export on
 * the session bus (org.ppglib.PpClient1), on a private bus (GTestDBus),
 * with real workers. Every document is checked against
 * docs/status.schema.json with python3-jsonschema.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>
#include <gio/gunixsocketaddress.h>

#include <pp-glib.h>

#include "pp-job-private.h"
#include "pp-server-bus-private.h"

#define IFACE   "org.ppglib.PpClient1"
#define PATH    "/org/ppglib/PpClient"
#define TIMEOUT (20 * G_USEC_PER_SEC)

static const char *nap_source = "def nap(t):\n    import time\n    time.sleep(t)\n    return t\n";
static const char *square_source = "def square(x):\n    return x * x\n";

static PpServer *
server_new (int      ncpus,
            gboolean export_on_bus)
{
  g_autoptr(GError) error = NULL;
  PpServer *server = g_initable_new (PP_TYPE_SERVER, NULL, &error, "ncpus", ncpus,
                                     "export-on-bus", export_on_bus, NULL);

  g_assert_no_error (error);
  g_assert_nonnull (server);
  return server;
}

static PpJob *
submit (PpServer   *server,
        PpFunction *function,
        const char *args,
        const char *group)
{
  g_autoptr(GError) error = NULL;
  PpJob *job = pp_server_submit_json (server, function, args, group, &error);

  g_assert_no_error (error);
  return job;
}

/* Validates @document against docs/status.schema.json with the Python
 * interpreter of the tests (python3-jsonschema). */
static void
assert_schema_valid (const char *document)
{
  /* the source tree's, or the installed tests' copy */
  g_autofree char *in_tree = g_test_build_filename (G_TEST_DIST, "..", "docs", "status.schema.json", NULL);
  g_autofree char *schema = g_file_test (in_tree, G_FILE_TEST_EXISTS) ? g_strdup (in_tree)
                            : g_test_build_filename (G_TEST_DIST, "docs", "status.schema.json", NULL);
  const char *python = g_getenv ("PP_PYTHON") ? g_getenv ("PP_PYTHON") : "python3";
  const char *script =
    "import json, sys\n"
    "try:\n"
    "    import jsonschema\n"
    "except ImportError:\n"
    "    sys.exit(77)\n"
    "schema = json.load(open(sys.argv[1]))\n"
    "jsonschema.Draft202012Validator(schema).validate(json.loads(sys.stdin.read()))\n";
  const char *argv[] = { python, "-c", script, schema, NULL };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, document, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  if (g_subprocess_get_if_exited (process) && g_subprocess_get_exit_status (process) == 77)
    {
      g_test_message ("python3-jsonschema is missing: the document was not validated");
      g_test_fail ();
      return;
    }
  if (!g_subprocess_get_successful (process))
    g_error ("Not valid against docs/status.schema.json:\n%s\n%s", document, err);
}

static JsonObject *
parse_object (JsonParser *parser,
              const char *document)
{
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, document, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

/* The document ----------------------------------------------------------- */

static void
test_status_document (void)
{
  g_autoptr(PpServer) server = server_new (1, FALSE);
  g_autoptr(PpFunction) nap = pp_function_new ("nap", nap_source, NULL);
  g_autoptr(PpFunction) square = pp_function_new ("square", square_source, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(PpJob) first = submit (server, square, "[3]", NULL);
  g_autoptr(PpJob) slow = NULL;
  g_autoptr(PpJob) queued = NULL;
  g_autofree char *document = NULL;
  g_autofree char *after = NULL;
  JsonObject *root, *node, *queue, *group, *stats;

  g_assert_true (pp_job_wait (first, NULL, NULL));
  slow = submit (server, nap, "[30]", "slow");
  queued = submit (server, square, "[4]", "later");
  g_assert_true (pp_server_wait_timeout (server, NULL, 0) == FALSE);
  while (pp_job_get_state (slow) != PP_JOB_STATE_RUNNING)
    g_usleep (10000);

  g_set_prgname ("test-server-bus");
  document = pp_server_dup_status (server);
  assert_schema_valid (document);
  root = parse_object (parser, document);
  g_assert_cmpstr (json_object_get_string_member (root, "kind"), ==, "client");
  g_assert_cmpint (json_object_get_int_member (root, "version"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (root, "library_version"), ==, PP_VERSION_S);
  g_assert_cmpstr (json_object_get_string_member (root, "program"), ==, "test-server-bus");
  g_assert_cmpint (json_object_get_int_member (root, "pid"), ==, getpid ());
  g_assert_cmpint (json_object_get_int_member (root, "ncpus"), ==, 1);
  g_assert_cmpfloat (json_object_get_double_member (root, "uptime"), >, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "nodes")), ==, 1);
  node = json_array_get_object_element (json_object_get_array_member (root, "nodes"), 0);
  g_assert_cmpstr (json_object_get_string_member (node, "name"), ==, "local");
  g_assert_true (json_object_get_boolean_member (node, "local"));
  g_assert_true (json_object_get_null_member (node, "host"));
  g_assert_cmpstr (json_object_get_string_member (node, "state"), ==, "ready");
  g_assert_cmpint (json_object_get_int_member (node, "jobs_done"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (node, "busy"), ==, 1);
  queue = json_object_get_object_member (root, "queue");
  g_assert_cmpint (json_object_get_int_member (queue, "queued") + json_object_get_int_member (queue, "running"), ==, 2);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (queue, "groups")), ==, 2);
  group = json_array_get_object_element (json_object_get_array_member (queue, "groups"), 0);
  g_assert_cmpstr (json_object_get_string_member (group, "group"), ==, "later");
  g_assert_cmpint (json_object_get_int_member (group, "active"), ==, 1);
  stats = json_array_get_object_element (json_object_get_array_member (root, "stats"), 0);
  g_assert_cmpstr (json_object_get_string_member (stats, "node"), ==, "local");
  g_assert_cmpint (json_object_get_int_member (stats, "jobs"), ==, 1);

  /* After the server: still a valid document, with the pool removed. */
  pp_server_destroy (server);
  after = pp_server_dup_status (server);
  assert_schema_valid (after);
  root = parse_object (parser, after);
  node = json_array_get_object_element (json_object_get_array_member (root, "nodes"), 0);
  g_assert_cmpstr (json_object_get_string_member (node, "state"), ==, "removed");
  g_assert_cmpint (pp_job_get_state (slow), ==, PP_JOB_STATE_FAILED);
}

/* The bus ---------------------------------------------------------------- */

typedef struct
{
  GTestDBus       *bus;
  GDBusConnection *connection;
} BusFixture;

static void
bus_setup (BusFixture    *fixture,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fixture->bus);
  fixture->connection = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (fixture->bus),
                                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                                NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
bus_teardown (BusFixture    *fixture,
              gconstpointer  data)
{
  g_dbus_connection_close_sync (fixture->connection, NULL, NULL);
  g_clear_object (&fixture->connection);
  g_test_dbus_down (fixture->bus);
  g_clear_object (&fixture->bus);
}

static GVariant *
call (GDBusConnection *connection,
      const char      *name,
      const char      *interface,
      const char      *method,
      GVariant        *parameters,
      GError         **error)
{
  return g_dbus_connection_call_sync (connection, name, g_str_equal (interface, "org.freedesktop.DBus") ?
                                      "/org/freedesktop/DBus" : PATH, interface, method, parameters,
                                      NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, error);
}

static gboolean
has_owner (GDBusConnection *connection,
           const char      *name)
{
  g_autoptr(GVariant) reply = call (connection, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameHasOwner",
                                    g_variant_new ("(s)", name), NULL);
  gboolean owned;

  g_assert_nonnull (reply);
  g_variant_get (reply, "(b)", &owned);
  return owned;
}

static char *
wait_for_name (PpServer        *server,
               GDBusConnection *connection)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT;
  char *name;

  while ((name = pp_server_dup_bus_name (server)) == NULL || !has_owner (connection, name))
    {
      g_free (name);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10000);
    }
  return name;
}

static GVariant *
get_property (GDBusConnection *connection,
              const char      *name,
              const char      *property)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call (connection, name, "org.freedesktop.DBus.Properties", "Get",
                                    g_variant_new ("(ss)", IFACE, property), &error);
  GVariant *value;

  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return value;
}

typedef struct
{
  GHashTable *started;
  GHashTable *finished;
  guint       emissions;
  guint       missed_started;
  guint       missed_finished;
  GPtrArray  *node_signals;
} Signals;

static void
signal_cb (GDBusConnection *connection,
           const char      *sender,
           const char      *path,
           const char      *interface,
           const char      *signal,
           GVariant        *parameters,
           gpointer         data)
{
  Signals *signals = data;
  g_autoptr(GVariant) jobs = NULL;
  GVariantIter iter;
  guint64 id;
  guint missed;

  if (g_str_has_prefix (signal, "Node"))
    {
      g_ptr_array_add (signals->node_signals, g_strdup (signal));
      return;
    }
  g_variant_get (parameters, "(@a*u)", &jobs, &missed);
  g_assert_cmpuint (g_variant_n_children (jobs), <=, 1000);
  if (g_str_equal (signal, "JobsStarted"))
    signals->missed_started += missed;
  else
    signals->missed_finished += missed;
  signals->emissions++;
  g_variant_iter_init (&iter, jobs);
  if (g_str_equal (signal, "JobsStarted"))
    {
      const char *group, *function, *node;
      guint pid;

      while (g_variant_iter_next (&iter, "(t&s&su&s)", &id, &group, &function, &pid, &node))
        {
          g_assert_cmpstr (group, ==, "many");
          g_assert_cmpstr (function, ==, "square");
          g_assert_cmpuint (pid, >, 0);
          g_assert_cmpstr (node, ==, "local");
          g_hash_table_add (signals->started, g_memdup2 (&id, sizeof id));
        }
    }
  else
    {
      const char *group, *function, *state;

      while (g_variant_iter_next (&iter, "(t&s&s&s)", &id, &group, &function, &state))
        {
          g_assert_cmpstr (state, ==, "done");
          g_hash_table_add (signals->finished, g_memdup2 (&id, sizeof id));
        }
    }
}

static void
test_bus_export (BusFixture    *fixture,
                 gconstpointer  data)
{
  g_autoptr(PpServer) server = server_new (1, TRUE);
  g_autoptr(PpFunction) square = pp_function_new ("square", square_source, NULL);
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GVariant) nodes = NULL;
  g_autoptr(GVariant) pid = NULL;
  g_autofree char *name = NULL;
  g_autofree char *expected = NULL;
  Signals signals = { g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL),
                      g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL),
                      0, 0, 0, g_ptr_array_new_with_free_func (g_free) };
  gint64 start, deadline;
  double elapsed;
  guint subscription;

  g_assert_true (pp_server_get_export_on_bus (server));
  name = wait_for_name (server, fixture->connection);
  expected = g_strdup_printf ("org.ppglib.PpClient.p%d_", getpid ());
  g_assert_true (g_str_has_prefix (name, expected));

  pid = get_property (fixture->connection, name, "Pid");
  g_assert_cmpuint (g_variant_get_uint32 (pid), ==, getpid ());
  nodes = get_property (fixture->connection, name, "Nodes");
  g_assert_cmpuint (g_variant_n_children (nodes), ==, 1);
  status = get_property (fixture->connection, name, "Status");
  assert_schema_valid (g_variant_get_string (status, NULL));

  subscription = g_dbus_connection_signal_subscribe (fixture->connection, name, IFACE, NULL, PATH, NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE, signal_cb, &signals, NULL);
  /* Let the subscription reach the bus before the jobs run. */
  g_variant_unref (get_property (fixture->connection, name, "Ncpus"));
  start = g_get_monotonic_time ();
  /* Enough jobs, fast enough, for batches of over 1,000: every job is
   * listed or counted, once. */
  for (guint i = 0; i < 3000; i++)
    g_ptr_array_add (jobs, submit (server, square, "[2]", "many"));
  g_assert_true (pp_server_wait (server, NULL, NULL, NULL));
  deadline = g_get_monotonic_time () + TIMEOUT;
  while (g_hash_table_size (signals.finished) + signals.missed_finished < jobs->len ||
         g_hash_table_size (signals.started) + signals.missed_started < jobs->len ||
         signals.node_signals->len == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  elapsed = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_assert_cmpuint (g_hash_table_size (signals.started) + signals.missed_started, ==, jobs->len);
  g_assert_cmpuint (g_hash_table_size (signals.finished) + signals.missed_finished, ==, jobs->len);
  g_test_message ("listed %u started, %u finished; counted %u, %u", g_hash_table_size (signals.started),
                  g_hash_table_size (signals.finished), signals.missed_started, signals.missed_finished);
  for (guint i = 0; i < jobs->len; i++)
    {
      guint64 id = pp_job_get_id (g_ptr_array_index (jobs, i));

      g_hash_table_remove (signals.started, &id);
      g_hash_table_remove (signals.finished, &id);
    }
  /* Only these jobs were listed. */
  g_assert_cmpuint (g_hash_table_size (signals.started), ==, 0);
  g_assert_cmpuint (g_hash_table_size (signals.finished), ==, 0);
  /* Batched: at most 10 flushes a second, each with both signals. */
  g_test_message ("%u job signals in %.2f s", signals.emissions, elapsed);
  g_assert_cmpuint (signals.emissions, <=, 2 * (10 * elapsed + 2));
  g_assert_cmpuint (signals.node_signals->len, >, 0);
  g_assert_cmpstr (g_ptr_array_index (signals.node_signals, 0), ==, "NodeChanged");

  g_dbus_connection_signal_unsubscribe (fixture->connection, subscription);
  pp_server_destroy (server);
  g_assert_false (has_owner (fixture->connection, name));
  g_assert_null (pp_server_dup_bus_name (server));
  g_hash_table_unref (signals.started);
  g_hash_table_unref (signals.finished);
  g_ptr_array_unref (signals.node_signals);
}

/* NodeAdded and NodeRemoved, as "Signal name" strings. */
static void
node_signal_cb (GDBusConnection *connection,
                const char      *sender,
                const char      *path,
                const char      *interface,
                const char      *signal,
                GVariant        *parameters,
                gpointer         data)
{
  GPtrArray *seen = data;
  const char *name = NULL;

  if (g_str_equal (signal, "NodeAdded"))
    {
      g_autoptr(GVariant) node = g_variant_get_child_value (parameters, 0);

      g_variant_lookup (node, "name", "&s", &name);
      g_ptr_array_add (seen, g_strdup_printf ("%s %s", signal, name));
    }
  else if (g_str_equal (signal, "NodeRemoved"))
    {
      g_variant_get (parameters, "(&s)", &name);
      g_ptr_array_add (seen, g_strdup_printf ("%s %s", signal, name));
    }
}

static void
wait_for_node_signal (GPtrArray   *seen,
                      const char  *signal,
                      const char  *node)
{
  g_autofree char *wanted = g_strdup_printf ("%s %s", signal, node);
  gint64 deadline = g_get_monotonic_time () + TIMEOUT;

  while (!g_ptr_array_find_with_equal_func (seen, wanted, g_str_equal, NULL))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static void
test_bus_methods (BusFixture    *fixture,
                  gconstpointer  data)
{
  g_autoptr(PpServer) server = server_new (1, TRUE);
  g_autoptr(PpFunction) nap = pp_function_new ("nap", nap_source, NULL);
  g_autoptr(PpJob) running = NULL;
  g_autoptr(PpJob) queued = NULL;
  g_autoptr(PpJob) other = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) nodes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = wait_for_name (server, fixture->connection);
  g_autofree char *node_name = NULL;
  g_autofree char *address = NULL;
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GSocketAddress) loopback = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(PpNode) remote = NULL;
  g_autoptr(GPtrArray) node_signals = g_ptr_array_new_with_free_func (g_free);
  guint subscription;
  guint cancelled;
  gboolean job_cancelled;

  reply = call (fixture->connection, name, IFACE, "SetNcpus", g_variant_new ("(i)", 2), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pp_server_get_ncpus (server), ==, 2);
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (fixture->connection, name, IFACE, "SetNcpus", g_variant_new ("(i)", 5000), &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  g_assert_cmpuint (pp_server_get_ncpus (server), ==, 2);
  reply = call (fixture->connection, name, IFACE, "SetNcpus", g_variant_new ("(s)", "two"), &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  g_clear_error (&error);

  subscription = g_dbus_connection_signal_subscribe (fixture->connection, name, IFACE, NULL, PATH, NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE, node_signal_cb, node_signals,
                                                     NULL);
  /* A node that never answers the handshake: it is added, and stays
   * connecting. */
  listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  loopback = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_socket_bind (listener, loopback, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (listener, &error);
  g_assert_no_error (error);
  address = g_strdup_printf ("127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  reply = call (fixture->connection, name, IFACE, "AddNode", g_variant_new ("(s)", address), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(s)", &node_name);
  g_assert_cmpstr (node_name, ==, address);
  g_assert_cmpuint (g_list_model_get_n_items (pp_server_get_nodes (server)), ==, 2);
  nodes = get_property (fixture->connection, name, "Nodes");
  g_assert_cmpuint (g_variant_n_children (nodes), ==, 2);
  wait_for_node_signal (node_signals, "NodeAdded", address);
  remote = g_list_model_get_item (pp_server_get_nodes (server), 1);
  g_assert_true (pp_server_remove_node (server, remote, NULL));
  wait_for_node_signal (node_signals, "NodeRemoved", address);
  g_clear_pointer (&nodes, g_variant_unref);
  nodes = get_property (fixture->connection, name, "Nodes");
  g_assert_cmpuint (g_variant_n_children (nodes), ==, 1);
  g_dbus_connection_signal_unsubscribe (fixture->connection, subscription);
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (fixture->connection, name, IFACE, "AddNode", g_variant_new ("(s)", "127.0.0.1:99999"), &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  g_clear_error (&error);

  running = submit (server, nap, "[30]", "slow");
  queued = submit (server, nap, "[30]", "slow");
  other = submit (server, nap, "[0.01]", "fast");
  reply = call (fixture->connection, name, IFACE, "CancelGroup", g_variant_new ("(s)", "slow"), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &cancelled);
  g_assert_cmpuint (cancelled, ==, 2);
  g_assert_cmpint (pp_job_get_state (running), ==, PP_JOB_STATE_CANCELLED);
  g_assert_cmpint (pp_job_get_state (queued), ==, PP_JOB_STATE_CANCELLED);
  g_assert_true (pp_job_wait (other, NULL, NULL));
  g_assert_cmpint (pp_job_get_state (other), ==, PP_JOB_STATE_DONE);
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (fixture->connection, name, IFACE, "CancelGroup", g_variant_new ("(s)", "slow"), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &cancelled);
  g_assert_cmpuint (cancelled, ==, 0);
  g_clear_pointer (&reply, g_variant_unref);

  /* CancelJob: one running job, the rest left alone; then an id that is
   * not queued or running any more, and one that never was. */
  g_clear_object (&running);
  g_clear_object (&other);
  running = submit (server, nap, "[30]", "one");
  other = submit (server, nap, "[0.2]", "one");
  for (guint i = 0; pp_job_get_state (running) != PP_JOB_STATE_RUNNING; i++)
    {
      g_assert_cmpuint (i, <, 1000);
      g_usleep (10000);
    }
  reply = call (fixture->connection, name, IFACE, "CancelJob",
                g_variant_new ("(t)", pp_job_get_id (running)), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(b)", &job_cancelled);
  g_assert_true (job_cancelled);
  g_assert_cmpint (pp_job_get_state (running), ==, PP_JOB_STATE_CANCELLED);
  g_assert_true (pp_job_wait (other, NULL, NULL));
  g_assert_cmpint (pp_job_get_state (other), ==, PP_JOB_STATE_DONE);
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (fixture->connection, name, IFACE, "CancelJob",
                g_variant_new ("(t)", pp_job_get_id (running)), &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  g_assert_nonnull (strstr (error->message, "is queued or running"));
  g_clear_error (&error);
  reply = call (fixture->connection, name, IFACE, "CancelJob", g_variant_new ("(t)", G_MAXUINT64), &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  reply = call (fixture->connection, name, IFACE, "CancelJob", g_variant_new ("(s)", "1"), &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  g_clear_error (&error);

  /* Finalizing takes the name too. */
  g_clear_object (&server);
  g_assert_false (has_owner (fixture->connection, name));
}

static void
test_bus_off (BusFixture    *fixture,
              gconstpointer  data)
{
  g_autoptr(PpServer) off = server_new (1, FALSE);
  g_autoptr(PpServer) on = server_new (1, TRUE);
  g_autoptr(PpServer) by_env = NULL;
  g_autofree char *name = wait_for_name (on, fixture->connection);
  g_autoptr(GVariant) names = NULL;
  g_autofree char *listed = NULL;
  g_autofree char *second_name = NULL;

  /* Two servers of one process: a name each. */
  {
    g_autoptr(PpServer) second = server_new (1, TRUE);

    second_name = wait_for_name (second, fixture->connection);
    g_assert_cmpstr (second_name, !=, name);
    g_assert_true (has_owner (fixture->connection, name));
    pp_server_destroy (second);
    g_assert_false (has_owner (fixture->connection, second_name));
    g_assert_true (has_owner (fixture->connection, name));
  }

  g_assert_false (pp_server_get_export_on_bus (off));
  g_setenv ("PP_NO_BUS", "1", TRUE);
  by_env = server_new (1, TRUE);
  g_unsetenv ("PP_NO_BUS");
  g_usleep (G_USEC_PER_SEC / 5);
  g_assert_null (pp_server_dup_bus_name (off));
  g_assert_null (pp_server_dup_bus_name (by_env));
  names = call (fixture->connection, "org.freedesktop.DBus", "org.freedesktop.DBus", "ListNames", NULL, NULL);
  listed = g_variant_print (names, FALSE);
  /* Only the server with the export on. */
  g_assert_nonnull (strstr (listed, name));
  g_assert_true (strstr (listed, "org.ppglib.PpClient") == strstr (listed, name));
  g_assert_null (strstr (strstr (listed, name) + 1, "org.ppglib.PpClient"));
}

/* Another connection holds the name: the server does not claim it. */
static void
test_bus_name_taken (BusFixture    *fixture,
                     gconstpointer  data)
{
  g_autoptr(PpServer) server = NULL;
  g_autoptr(PpFunction) square = pp_function_new ("square", square_source, NULL);
  g_autoptr(PpJob) job = NULL;

  for (guint n = 1; n <= 100; n++)
    {
      g_autofree char *name = g_strdup_printf ("org.ppglib.PpClient.p%d_%u", getpid (), n);
      g_autoptr(GVariant) reply = call (fixture->connection, "org.freedesktop.DBus", "org.freedesktop.DBus",
                                        "RequestName", g_variant_new ("(su)", name, 4), NULL);
      guint answer;

      g_assert_nonnull (reply);
      g_variant_get (reply, "(u)", &answer);
      g_assert_cmpuint (answer, ==, 1);
    }
  server = server_new (1, TRUE);
  job = submit (server, square, "[5]", NULL);
  g_assert_true (pp_job_wait (job, NULL, NULL));
  g_usleep (G_USEC_PER_SEC / 5);
  g_assert_null (pp_server_dup_bus_name (server));
}

/* No bus, or one that never answers: nothing waits. */
static void
test_no_bus (void)
{
  g_autofree char *dir = g_dir_make_tmp ("pp-bus-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "bus", NULL);
  g_autofree char *address = g_strconcat ("unix:path=", path, NULL);
  g_autoptr(GSocketAddress) socket_address = g_unix_socket_address_new (path);
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;
  const char *addresses[] = { "unix:path=/nonexistent/pp-glib-bus", "nonsense:", "", address };

  /* A socket that accepts connections (the kernel does) and never says a word. */
  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, socket_address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (socket, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
    {
      g_autoptr(PpServer) server = NULL;
      gint64 start;
      double took;

      g_setenv ("DBUS_SESSION_BUS_ADDRESS", addresses[i], TRUE);
      start = g_get_monotonic_time ();
      server = server_new (1, TRUE);
      g_usleep (G_USEC_PER_SEC / 10);
      g_assert_null (pp_server_dup_bus_name (server));
      pp_server_destroy (server);
      took = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
      g_test_message ("bus “%s”: created and destroyed in %.3f s", addresses[i], took);
      g_assert_cmpfloat (took, <, 2.0);
    }
  g_socket_close (socket, NULL);
  g_unlink (path);
  g_rmdir (dir);
}

/* JobsStarted's and JobsFinished's batches, written by hand, are what
 * GVariant itself would write, byte for byte: small and large (2- and
 * 4-byte offsets), odd and empty strings, invalid UTF-8 made valid. */
static void
test_jobs_variant (void)
{
  g_autoptr(PpFunction) function = pp_function_new ("f", "def f():\n    return 1\n", NULL);
  g_autoptr(PpFunction) other = pp_function_new ("a_function_with_a_rather_longer_name",
                                                 "def a_function_with_a_rather_longer_name():\n    pass\n",
                                                 NULL);
  const char *groups[] = { "default", "", "gr\xc3\xbcppe \x1f\"", "bad \xff utf-8",
                           "127.0.0.1:54321" };
  const guint sizes[] = { 0, 1, 2, 3, 40, 1000, 3000 };
  g_autoptr(GBytes) args = g_bytes_new_static ("[]", 2);

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (int started = 0; started < 2; started++)
      {
        g_autoptr(GArray) jobs = _pp_server_bus_new_job_array ();
        GVariantBuilder builder;
        g_autoptr(GVariant) expected = NULL;
        g_autoptr(GVariant) written = NULL;

        g_variant_builder_init (&builder, started ? G_VARIANT_TYPE ("a(tssus)")
                                                  : G_VARIANT_TYPE ("a(tsss)"));
        for (guint i = 0; i < sizes[s]; i++)
          {
            const char *group = groups[i % G_N_ELEMENTS (groups)];
            PpFunction *f = i % 3 == 0 ? other : function;
            PpServerBusJob event = { NULL, 1000 + i, NULL };
            g_autofree char *valid = g_utf8_make_valid (group, -1);
            guint64 id = (guint64) i * 0x10001 + (i % 7 == 0 ? G_MAXUINT32 : 0);

            event.job = _pp_job_new (NULL, id, f, args, PP_PAYLOAD_FORMAT_JSON, group);
            event.node = i % 4 == 0 ? NULL : g_strdup_printf ("node%u.example.org:60000", i);
            if (!started && i % 2 == 0)
              g_assert_true (_pp_job_finish_error (event.job, g_error_new (PP_ERROR, PP_ERROR_CANCELLED, "x")));
            if (started)
              g_variant_builder_add (&builder, "(tssus)", id, valid, pp_function_get_name (f), event.pid,
                                     event.node ? event.node : "");
            else
              g_variant_builder_add (&builder, "(tsss)", id, valid, pp_function_get_name (f),
                                     i % 2 == 0 ? "cancelled" : "queued");
            g_array_append_val (jobs, event);
          }
        expected = g_variant_ref_sink (g_variant_builder_end (&builder));
        written = g_variant_ref_sink (_pp_server_bus_jobs_variant (jobs, started));
        g_assert_cmpstr (g_variant_get_type_string (written), ==, g_variant_get_type_string (expected));
        g_assert_true (g_variant_is_normal_form (written));
        g_assert_cmpuint (g_variant_get_size (written), ==, g_variant_get_size (expected));
        g_assert_cmpmem (g_variant_get_data (written), g_variant_get_size (written),
                         g_variant_get_data (expected), g_variant_get_size (expected));
        g_assert_true (g_variant_equal (written, expected));
      }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server-bus/status-document", test_status_document);
  g_test_add_func ("/server-bus/no-bus", test_no_bus);
  g_test_add_func ("/server-bus/jobs-variant", test_jobs_variant);
  g_test_add ("/server-bus/export", BusFixture, NULL, bus_setup, test_bus_export, bus_teardown);
  g_test_add ("/server-bus/methods", BusFixture, NULL, bus_setup, test_bus_methods, bus_teardown);
  g_test_add ("/server-bus/off", BusFixture, NULL, bus_setup, test_bus_off, bus_teardown);
  g_test_add ("/server-bus/name-taken", BusFixture, NULL, bus_setup, test_bus_name_taken, bus_teardown);

  return g_test_run ();
}
