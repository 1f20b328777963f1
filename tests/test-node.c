/* test-node.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <glib/gstdio.h>
#include <pp-glib.h>

/* PpNode and PpServer:nodes against real ppd processes on loopback: the
 * model's items-changed and the nodes' notifications as nodes are added,
 * connect, are lost, come back and are removed. */

#define SECRET "test-node-secret"
#define WAIT_SECONDS 30

/* One ppd process ---------------------------------------------------------- */

typedef struct
{
  GSubprocess *process;
  guint16      port;
  char        *dir;
  char        *pidfile;
} Ppd;

static guint16
free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static gboolean
port_accepts (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  return connection != NULL;
}

/* A ppd left behind by a failed test dies with it. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Starts ppd with @workers workers on @port (a free one when 0). */
static Ppd *
ppd_start (guint16     port,
           guint       workers,
           const char *secret)
{
  const char *ppd = g_getenv ("PPD");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *port_arg = NULL;
  g_autofree char *workers_arg = g_strdup_printf ("%u", workers);
  Ppd *self = g_new0 (Ppd, 1);
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  self->port = port ? port : free_port ();
  port_arg = g_strdup_printf ("%u", self->port);
  self->dir = g_dir_make_tmp ("test-node-ppd-XXXXXX", &error);
  g_assert_no_error (error);
  self->pidfile = g_build_filename (self->dir, "ppd.pid", NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_setenv (launcher, "PP_SECRET", secret, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  self->process = g_subprocess_launcher_spawn (launcher, &error, ppd, "-p", port_arg,
                                               "-i", "127.0.0.1", "-w", workers_arg,
                                               "-P", self->pidfile, "--no-dbus", NULL);
  g_assert_no_error (error);
  while (!port_accepts (self->port))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_assert_nonnull (g_subprocess_get_identifier (self->process));
      g_usleep (20000);
    }
  return self;
}

static void
ppd_signal (Ppd *self,
            int  signum)
{
  g_subprocess_send_signal (self->process, signum);
}

/* Kills ppd (SIGKILL) and reaps it. */
static void
ppd_kill (Ppd *self)
{
  g_subprocess_force_exit (self->process);
  g_assert_true (g_subprocess_wait (self->process, NULL, NULL));
  g_clear_object (&self->process);
}

static void
ppd_free (Ppd *self)
{
  if (self->process != NULL)
    {
      g_subprocess_send_signal (self->process, SIGCONT);
      g_subprocess_send_signal (self->process, SIGTERM);
      g_assert_true (g_subprocess_wait (self->process, NULL, NULL));
      g_clear_object (&self->process);
    }
  g_unlink (self->pidfile);
  g_rmdir (self->dir);
  g_free (self->pidfile);
  g_free (self->dir);
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Ppd, ppd_free)

/* Waiting in the main context -------------------------------------------- */

typedef gboolean (*Condition) (gpointer data);

static gboolean
timed_out_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the default main context (where the nodes notify) until
 * @condition holds. */
static void
wait_until (Condition  condition,
            gpointer   data,
            const char *what)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add_seconds (WAIT_SECONDS, timed_out_cb, &timed_out);

  while (!condition (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("Timed out waiting for %s", what);
  g_source_remove (timeout);
}

/* What a node notified ----------------------------------------------------- */

typedef struct
{
  PpNode *node;
  GArray *states;           /* PpNodeState, as notified */
  guint   jobs_done_notifies;
  guint64 jobs_done;        /* as notified */
} Watch;

static void
state_notify_cb (PpNode     *node,
                 GParamSpec *pspec,
                 Watch      *watch)
{
  PpNodeState state = pp_node_get_state (node);

  g_array_append_val (watch->states, state);
}

static void
jobs_done_notify_cb (PpNode     *node,
                     GParamSpec *pspec,
                     Watch      *watch)
{
  watch->jobs_done_notifies++;
  watch->jobs_done = pp_node_get_jobs_done (node);
}

static Watch *
watch_new (PpNode *node)
{
  Watch *watch = g_new0 (Watch, 1);

  watch->node = g_object_ref (node);
  watch->states = g_array_new (FALSE, FALSE, sizeof (PpNodeState));
  g_signal_connect (node, "notify::state", G_CALLBACK (state_notify_cb), watch);
  g_signal_connect (node, "notify::jobs-done", G_CALLBACK (jobs_done_notify_cb), watch);
  return watch;
}

static void
watch_free (Watch *watch)
{
  g_signal_handlers_disconnect_by_data (watch->node, watch);
  g_object_unref (watch->node);
  g_array_unref (watch->states);
  g_free (watch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Watch, watch_free)

/* Whether the last state notified is the one wanted. */
typedef struct
{
  Watch       *watch;
  PpNodeState  state;
} StateWait;

static gboolean
notified_state (gpointer data)
{
  StateWait *wait = data;
  GArray *states = wait->watch->states;

  return states->len > 0 && g_array_index (states, PpNodeState, states->len - 1) == wait->state;
}

static void
wait_state (Watch       *watch,
            PpNodeState  state)
{
  StateWait wait = { watch, state };
  g_autoptr(GEnumClass) klass = g_type_class_ref (PP_TYPE_NODE_STATE);

  wait_until (notified_state, &wait, g_enum_get_value (klass, state)->value_nick);
  g_assert_cmpint (pp_node_get_state (watch->node), ==, state);
}

/* items-changed ----------------------------------------------------------- */

typedef struct
{
  guint position, removed, added;
} Change;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GArray     *changes)
{
  Change change = { position, removed, added };

  g_array_append_val (changes, change);
}

static void
assert_change (GArray *changes,
               guint   position,
               guint   removed,
               guint   added)
{
  Change *last;

  g_assert_cmpuint (changes->len, ==, 1);
  last = &g_array_index (changes, Change, 0);
  g_assert_cmpuint (last->position, ==, position);
  g_assert_cmpuint (last->removed, ==, removed);
  g_assert_cmpuint (last->added, ==, added);
  g_array_set_size (changes, 0);
}

/* Helpers ---------------------------------------------------------------- */

static PpServer *
server_new (int ncpus)
{
  g_autoptr(GError) error = NULL;
  PpServer *server = g_initable_new (PP_TYPE_SERVER, NULL, &error,
                                     "ncpus", ncpus, "secret", SECRET,
                                     "socket-timeout", 5, NULL);

  g_assert_no_error (error);
  return server;
}

static PpNode *
add_node (PpServer *server,
          Ppd      *ppd)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", ppd->port);
  PpNode *node = pp_server_add_node (server, address, &error);

  g_assert_no_error (error);
  g_assert_true (PP_IS_NODE (node));
  return node;
}

static PpFunction *
square_function (void)
{
  return pp_function_new ("square",
                          "def square(x):\n"
                          "    time.sleep(x % 3 * 0.02)\n"
                          "    return x * x\n",
                          (const char *[]) { "time", NULL });
}

static void
run_squares (PpServer *server,
             guint     n)
{
  g_autoptr(PpFunction) square = square_function ();
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *args = g_strdup_printf ("[%u]", i);

      g_ptr_array_add (jobs, pp_server_submit_json (server, square, args, NULL, &error));
      g_assert_no_error (error);
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) result = NULL;
      g_autofree char *expected = g_strdup_printf ("%u", i * i);

      pp_job_wait (g_ptr_array_index (jobs, i), NULL, &error);
      g_assert_no_error (error);
      result = pp_job_dup_result (g_ptr_array_index (jobs, i));
      g_assert_cmpmem (g_bytes_get_data (result, NULL), g_bytes_get_size (result),
                       expected, strlen (expected));
    }
}

static gboolean
jobs_done_notified (gpointer data)
{
  Watch *watch = data;

  return watch->jobs_done == pp_node_get_jobs_done (watch->node) && watch->jobs_done > 0;
}

/* Tests ------------------------------------------------------------------- */

/* The local pool is there from the start, ready, first. */
static void
test_node_local (void)
{
  g_autoptr(PpServer) server = server_new (2);
  GListModel *nodes = pp_server_get_nodes (server);
  g_autoptr(PpNode) local = NULL;
  g_autoptr(GVariant) workers = NULL;
  g_autoptr(Watch) watch = NULL;
  g_autoptr(GError) error = NULL;
  guint64 jobs_done;

  g_assert_true (g_list_model_get_item_type (nodes) == PP_TYPE_NODE);
  g_assert_cmpuint (g_list_model_get_n_items (nodes), ==, 1);
  local = g_list_model_get_item (nodes, 0);
  g_assert_cmpstr (pp_node_get_name (local), ==, "local");
  g_assert_true (pp_node_get_is_local (local));
  g_assert_null (pp_node_get_host (local));
  g_assert_cmpuint (pp_node_get_port (local), ==, 0);
  g_assert_false (pp_node_get_tls (local));
  g_assert_cmpint (pp_node_get_state (local), ==, PP_NODE_STATE_READY);
  g_assert_cmpuint (pp_node_get_ncpus (local), ==, 2);
  g_assert_null (pp_node_dup_last_error (local));

  /* Notifications are rate-limited: a few per second, not one per job. */
  watch = watch_new (local);
  {
    gint64 start = g_get_monotonic_time ();
    double seconds;

    run_squares (server, 60);
    wait_until (jobs_done_notified, watch, "jobs-done");
    seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
    g_assert_cmpuint (watch->jobs_done, ==, 60);
    g_test_message ("%u notifications of jobs-done in %.2f s", watch->jobs_done_notifies, seconds);
    g_assert_cmpuint (watch->jobs_done_notifies, <=, seconds * 4 + 2);
  }
  g_assert_cmpfloat (pp_node_get_job_time (local), >, 0);
  g_assert_cmpuint (pp_node_get_jobs_failed (local), ==, 0);

  workers = pp_node_dup_workers (local);
  g_assert_true (g_variant_is_of_type (workers, G_VARIANT_TYPE ("aa{sv}")));
  g_assert_cmpuint (g_variant_n_children (workers), ==, 2);
  jobs_done = 0;
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GVariant) worker = g_variant_get_child_value (workers, i);
      guint32 pid = 0;
      guint64 done = 0;

      g_assert_true (g_variant_lookup (worker, "pid", "u", &pid));
      g_assert_cmpuint (pid, >, 0);
      g_assert_true (g_variant_lookup (worker, "jobs-done", "t", &done));
      jobs_done += done;
    }
  g_assert_cmpuint (jobs_done, ==, 60);

  /* The local pool stays. */
  g_assert_false (pp_server_remove_node (server, local, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_NOT_SUPPORTED);

  pp_server_destroy (server);
  g_assert_cmpint (pp_node_get_state (local), ==, PP_NODE_STATE_REMOVED);
  g_assert_cmpuint (pp_node_get_jobs_done (local), ==, 60);
  g_clear_object (&server);
  /* The node outlives its server, its figures frozen. */
  g_assert_cmpint (pp_node_get_state (local), ==, PP_NODE_STATE_REMOVED);
  g_assert_cmpuint (pp_node_get_jobs_done (local), ==, 60);
}

static void
test_node_bad_addresses (void)
{
  g_autoptr(PpServer) server = server_new (0);
  const char *malformed[] = { ":0", "host:0", "host:65536", "[::1", "a b", "host:12x" };

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (pp_server_add_node (server, malformed[i], &error));
      g_assert_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT);
    }
  {
    g_autoptr(GError) error = NULL;

    g_assert_null (pp_server_add_node (server, "*", &error));
    g_assert_error (error, PP_ERROR, PP_ERROR_NOT_SUPPORTED);
  }
  g_assert_cmpuint (g_list_model_get_n_items (pp_server_get_nodes (server)), ==, 1);
  pp_server_destroy (server);
  {
    g_autoptr(GError) error = NULL;

    g_assert_null (pp_server_add_node (server, "127.0.0.1:1", &error));
    g_assert_error (error, PP_ERROR, PP_ERROR_DESTROYED);
  }
}

/* A node's life: added, connects, runs jobs, is lost (stopped, then
 * killed), comes back each time, is removed. */
static void
test_node_life (void)
{
  g_autoptr(PpServer) server = NULL;
  g_autoptr(Ppd) ppd = ppd_start (0, 1, SECRET);
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_autoptr(PpNode) node = NULL;
  g_autoptr(PpNode) item = NULL;
  g_autoptr(Watch) watch = NULL;
  g_autoptr(GVariant) workers = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("127.0.0.1:%u", ppd->port);
  g_autofree char *last_error = NULL;
  GListModel *nodes;

  server = server_new (0);
  nodes = pp_server_get_nodes (server);
  g_signal_connect (nodes, "items-changed", G_CALLBACK (items_changed_cb), changes);

  node = add_node (server, ppd);
  assert_change (changes, 1, 0, 1);
  g_assert_cmpuint (g_list_model_get_n_items (nodes), ==, 2);
  item = g_list_model_get_item (nodes, 1);
  g_assert_true (item == node);
  g_assert_cmpstr (pp_node_get_name (node), ==, name);
  g_assert_cmpstr (pp_node_get_host (node), ==, "127.0.0.1");
  g_assert_cmpuint (pp_node_get_port (node), ==, ppd->port);
  g_assert_false (pp_node_get_is_local (node));
  g_assert_false (pp_node_get_tls (node));

  /* The same node twice is refused. */
  g_assert_null (pp_server_add_node (server, name, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpuint (changes->len, ==, 0);

  watch = watch_new (node);
  wait_state (watch, PP_NODE_STATE_READY);
  g_assert_cmpuint (pp_node_get_ncpus (node), ==, 1);
  g_assert_null (pp_node_dup_last_error (node));

  run_squares (server, 6);
  wait_until (jobs_done_notified, watch, "jobs-done");
  g_assert_cmpuint (pp_node_get_jobs_done (node), ==, 6);
  workers = pp_node_dup_workers (node);
  g_assert_cmpuint (g_variant_n_children (workers), ==, 1);

  /* Stopped: silent, lost after the missed heartbeats; back once it runs. */
  ppd_signal (ppd, SIGSTOP);
  wait_state (watch, PP_NODE_STATE_LOST);
  g_assert_cmpuint (pp_node_get_ncpus (node), ==, 0);
  last_error = pp_node_dup_last_error (node);
  g_assert_nonnull (last_error);
  g_test_message ("lost: %s", last_error);
  ppd_signal (ppd, SIGCONT);
  wait_state (watch, PP_NODE_STATE_READY);

  /* Killed: lost at once; a new ppd on the same port, and it is back. */
  ppd_kill (ppd);
  wait_state (watch, PP_NODE_STATE_LOST);
  {
    guint16 port = ppd->port;

    g_clear_pointer (&ppd, ppd_free);
    ppd = ppd_start (port, 1, SECRET);
  }
  wait_state (watch, PP_NODE_STATE_READY);
  run_squares (server, 3);
  g_assert_cmpuint (pp_node_get_jobs_done (node), ==, 9);

  /* Removed: out of the model at once, notified as removed. */
  g_assert_cmpuint (changes->len, ==, 0);
  g_assert_true (pp_server_remove_node (server, node, &error));
  g_assert_no_error (error);
  assert_change (changes, 1, 1, 0);
  g_assert_cmpuint (g_list_model_get_n_items (nodes), ==, 1);
  wait_state (watch, PP_NODE_STATE_REMOVED);
  g_assert_cmpuint (pp_node_get_jobs_done (node), ==, 9);
  g_assert_false (pp_server_remove_node (server, node, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT);

  g_signal_handlers_disconnect_by_data (nodes, changes);
  pp_server_destroy (server);
}

/* A node that does not share the secret: refused, never used. */
static void
test_node_refused (void)
{
  g_autoptr(PpServer) server = server_new (1);
  g_autoptr(Ppd) ppd = ppd_start (0, 1, "another-secret");
  g_autoptr(PpNode) node = add_node (server, ppd);
  g_autoptr(Watch) watch = watch_new (node);
  g_autofree char *last_error = NULL;

  wait_state (watch, PP_NODE_STATE_REFUSED);
  last_error = pp_node_dup_last_error (node);
  g_assert_nonnull (last_error);
  g_test_message ("refused: %s", last_error);
  g_assert_cmpuint (pp_node_get_ncpus (node), ==, 0);
  run_squares (server, 3);
  g_assert_cmpuint (pp_node_get_jobs_done (node), ==, 0);
  pp_server_destroy (server);
}

typedef struct
{
  GHashTable *finished;     /* PpJob → times finished */
} Finishes;

static void
job_finished_cb (PpJob    *job,
                 Finishes *finishes)
{
  guint times = GPOINTER_TO_UINT (g_hash_table_lookup (finishes->finished, job));

  g_hash_table_insert (finishes->finished, job, GUINT_TO_POINTER (times + 1));
}

static gboolean
node_busy (gpointer data)
{
  return pp_node_get_busy (data) + pp_node_get_held (data) >= 2;
}

static gboolean
all_finished (gpointer data)
{
  Finishes *finishes = data;
  GHashTableIter iter;
  gpointer times;

  g_hash_table_iter_init (&iter, finishes->finished);
  while (g_hash_table_iter_next (&iter, NULL, &times))
    if (GPOINTER_TO_UINT (times) == 0)
      return FALSE;
  return TRUE;
}

/* Removing a node that runs jobs: they run elsewhere, each finishing
 * exactly once with its own result. */
static void
test_node_remove_while_running (void)
{
  g_autoptr(PpServer) server = server_new (1);
  g_autoptr(Ppd) a = ppd_start (0, 2, SECRET);
  g_autoptr(Ppd) b = ppd_start (0, 2, SECRET);
  g_autoptr(PpNode) node_a = add_node (server, a);
  g_autoptr(PpNode) node_b = add_node (server, b);
  g_autoptr(Watch) watch_a = watch_new (node_a);
  g_autoptr(Watch) watch_b = watch_new (node_b);
  g_autoptr(PpFunction) slow = pp_function_new ("slow",
                                                "def slow(x):\n"
                                                "    time.sleep(0.1)\n"
                                                "    return x * x\n",
                                                (const char *[]) { "time", NULL });
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) stats = NULL;
  Finishes finishes = { g_hash_table_new (NULL, NULL) };
  guint64 done = 0;
  guint n = 40;

  wait_state (watch_a, PP_NODE_STATE_READY);
  wait_state (watch_b, PP_NODE_STATE_READY);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *args = g_strdup_printf ("[%u]", i);
      PpJob *job = pp_server_submit_json (server, slow, args, NULL, &error);

      g_assert_no_error (error);
      g_hash_table_insert (finishes.finished, job, GUINT_TO_POINTER (0));
      g_signal_connect (job, "finished", G_CALLBACK (job_finished_cb), &finishes);
      g_ptr_array_add (jobs, job);
    }
  wait_until (node_busy, node_a, "jobs on the node");
  g_assert_true (pp_server_remove_node (server, node_a, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pp_node_get_state (node_a), ==, PP_NODE_STATE_REMOVED);
  g_assert_cmpuint (pp_node_get_busy (node_a) + pp_node_get_held (node_a), ==, 0);

  g_assert_true (pp_server_wait (server, NULL, NULL, &error));
  wait_until (all_finished, &finishes, "every job's finished signal");
  for (guint i = 0; i < n; i++)
    {
      PpJob *job = g_ptr_array_index (jobs, i);
      g_autoptr(GBytes) result = pp_job_dup_result (job);
      g_autofree char *expected = g_strdup_printf ("%u", i * i);

      g_assert_cmpint (pp_job_get_state (job), ==, PP_JOB_STATE_DONE);
      g_assert_cmpmem (g_bytes_get_data (result, NULL), g_bytes_get_size (result),
                       expected, strlen (expected));
    }
  /* Let late signals come, if any would. */
  for (gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC / 2; g_get_monotonic_time () < until;)
    g_main_context_iteration (NULL, FALSE);
  for (guint i = 0; i < n; i++)
    g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (finishes.finished,
                                                             g_ptr_array_index (jobs, i))), ==, 1);

  /* Every job counted once, on the node that answered it. */
  stats = pp_server_list_stats (server);
  g_assert_cmpuint (stats->len, ==, 2);
  for (guint i = 0; i < stats->len; i++)
    done += pp_node_stats_get_njobs (g_ptr_array_index (stats, i));
  g_assert_cmpuint (done + pp_node_get_jobs_done (node_a), ==, n);
  g_assert_cmpuint (pp_node_get_jobs_done (node_b), >, 0);

  for (guint i = 0; i < n; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (jobs, i), &finishes);
  g_hash_table_unref (finishes.finished);
  pp_server_destroy (server);
}

/* ppservers become nodes too; destroying the server removes them. */
static void
test_node_ppservers (void)
{
  g_autoptr(Ppd) ppd = ppd_start (0, 1, SECRET);
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", ppd->port);
  const char *ppservers[] = { address, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(PpServer) server = g_initable_new (PP_TYPE_SERVER, NULL, &error,
                                               "ncpus", 0, "secret", SECRET,
                                               "ppservers", ppservers, NULL);
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  GListModel *nodes;
  g_autoptr(PpNode) node = NULL;
  g_autoptr(Watch) watch = NULL;
  g_autofree char *stats = NULL;

  g_assert_no_error (error);
  nodes = pp_server_get_nodes (server);
  g_assert_cmpuint (g_list_model_get_n_items (nodes), ==, 2);
  node = g_list_model_get_item (nodes, 1);
  g_assert_cmpstr (pp_node_get_name (node), ==, address);
  watch = watch_new (node);
  wait_state (watch, PP_NODE_STATE_READY);
  run_squares (server, 4);
  stats = pp_server_format_stats (server);
  g_assert_nonnull (strstr (stats, address));

  g_signal_connect (nodes, "items-changed", G_CALLBACK (items_changed_cb), changes);
  pp_server_destroy (server);
  assert_change (changes, 1, 1, 0);
  wait_state (watch, PP_NODE_STATE_REMOVED);
  g_assert_cmpuint (pp_node_get_jobs_done (node), ==, 4);
  g_signal_handlers_disconnect_by_data (nodes, changes);
}

/* The workers of a killed ppd are orphans: adopted, and reaped here (PID 1
 * may not reap). */
static void
reap_orphans (void)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      pid_t pid = waitpid (-1, NULL, WNOHANG);

      if (pid < 0)
        return;
      if (pid == 0)
        g_usleep (20000);
    }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* A stopped node is lost after 2.5 s of silence. */
  g_setenv ("PP_HEARTBEAT_MS", "500", TRUE);
  g_test_init (&argc, &argv, NULL);
  /* Nodes lost on purpose are warned about. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  g_test_add_func ("/node/local", test_node_local);
  g_test_add_func ("/node/bad-addresses", test_node_bad_addresses);
  if (g_getenv ("PPD") == NULL)
    {
      g_test_message ("ppd is not built (set PPD): the tests with nodes are skipped");
      return g_test_run ();
    }
  g_test_add_func ("/node/life", test_node_life);
  g_test_add_func ("/node/refused", test_node_refused);
  g_test_add_func ("/node/remove-while-running", test_node_remove_while_running);
  g_test_add_func ("/node/ppservers", test_node_ppservers);

  prctl (PR_SET_CHILD_SUBREAPER, 1);
  status = g_test_run ();
  reap_orphans ();
  return status;
}
