/* test-monitor-gui.c: pp-monitor's window against a real ppd and a real
 * Python pp program on a private session bus (run under
 * dbus-run-session -- xvfb-run -a): the window lists both, shows the
 * program's nodes and workers, a running job in the task stream, sets the
 * ppd's workers (checked over D-Bus), shows a job submitted to the ppd over
 * D-Bus under Submit's id and cancels it, shows the ppd lost once killed; a
 * screenshot of each main view, rendered in-process, in $PPM_ARTIFACTS.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <glib/gstdio.h>
#include <locale.h>

#include "ppm-application.h"
#include "ppm-balance-view.h"
#include "ppm-http-source.h"
#include "ppm-json.h"
#include "ppm-node-view.h"
#include "ppm-queue-view.h"
#include "ppm-stream-view.h"
#include "ppm-window.h"

#define TIMEOUT_S 40
#define FEEDER    ((gconstpointer) "feeder")
#define NOTHING   ((gconstpointer) "nothing")
#define DISCOVERY ((gconstpointer) "discovery")

typedef struct
{
  GDBusConnection *bus;
  GSubprocess     *ppd;
  GSubprocess     *program;
  GDataInputStream *program_out;
  char            *program_line;  /* the last line read asynchronously */
  char            *ppd_address;   /* host:port of the ppd's pp port */
  PpmApplication  *app;
  PpmWindow       *window;
  char            *tmpdir;
  guint            http_port;
  char            *http_url;
} Fixture;

typedef gboolean (*Condition) (Fixture *f);

static void check_about_and_shortcuts (Fixture *f);
static void error_text_cb (GObject *object, GAsyncResult *result, gpointer user_data);
static gboolean program_answered (Fixture *f);
static void set_spin_and_apply (PpmView *view, GType type, const char *spin_name, int value);

static void
wait_for (Fixture    *f,
          Condition   condition,
          const char *what)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;

  while (!condition (f))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static void
spin (guint msec)
{
  gint64 end = g_get_monotonic_time () + msec * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

/* The widget as the last frame drew it (NULL until a frame has). */
static GskRenderNode *
render_node (GtkWidget *widget)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();

  gdk_paintable_snapshot (paintable, snapshot, gtk_widget_get_width (widget),
                          gtk_widget_get_height (widget));
  return gtk_snapshot_free_to_node (snapshot);
}

static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  const char *dir = g_getenv ("PPM_ARTIFACTS");
  int w, h;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));

  /* Until the widget is allocated and a frame has drawn it. */
  for (int tries = 0; (node == NULL || gtk_widget_get_width (widget) <= 0) && tries < 300; tries++)
    {
      gtk_widget_queue_draw (widget);
      spin (30);
      g_clear_pointer (&node, gsk_render_node_unref);
      if (gtk_widget_get_width (widget) > 0)
        node = render_node (widget);
    }
  w = gtk_widget_get_width (widget);
  h = gtk_widget_get_height (widget);
  g_assert_cmpint (w, >, 0);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  g_assert_nonnull (texture);
  if (dir == NULL)
    return;
  g_mkdir_with_parents (dir, 0755);
  file = g_strdup_printf ("%s/%s.png", dir, name);
  g_assert_true (gdk_texture_save_to_png (texture, file));
  g_test_message ("screenshot %s", file);
}

static GVariant *
ppd_get (Fixture    *f,
         const char *property)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply =
    g_dbus_connection_call_sync (f->bus, "org.ppglib.Ppd", "/org/ppglib/Ppd",
                                 "org.freedesktop.DBus.Properties", "Get",
                                 g_variant_new ("(ss)", "org.ppglib.Ppd1", property),
                                 G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  GVariant *value;

  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return value;
}

static gboolean
ppd_owned (Fixture *f)
{
  g_autoptr(GVariant) reply =
    g_dbus_connection_call_sync (f->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                 "org.freedesktop.DBus", "NameHasOwner",
                                 g_variant_new ("(s)", "org.ppglib.Ppd"), G_VARIANT_TYPE ("(b)"),
                                 G_DBUS_CALL_FLAGS_NONE, 10000, NULL, NULL);
  gboolean owned = FALSE;

  if (reply)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static guint
free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_socket_bind (socket, any, TRUE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
start_processes (Fixture *f)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) port = NULL;
  g_autofree char *pidfile = g_build_filename (f->tmpdir, "ppd.pid", NULL);
  g_autofree char *address = NULL;
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "monitor-program.py", NULL);
  g_autofree char *line = NULL;
  g_autofree char *http_port = NULL;

  f->http_port = free_port ();
  f->http_url = g_strdup_printf ("http://127.0.0.1:%u", f->http_port);
  http_port = g_strdup_printf ("%u", f->http_port);
  g_subprocess_launcher_setenv (launcher, "PP_SECRET", "pp-monitor-test", TRUE);
  f->ppd = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PPD"), "-p", "0", "-i", "127.0.0.1",
                                        "-w", "2", "-P", pidfile, "--http-port", http_port, NULL);
  g_assert_no_error (error);
  wait_for (f, ppd_owned, "ppd on the bus");
  port = ppd_get (f, "Port");
  address = g_strdup_printf ("127.0.0.1:%u", g_variant_get_uint16 (port));
  f->ppd_address = g_strdup (address);
  f->program = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PP_PYTHON"), script, address, NULL);
  g_assert_no_error (error);
  f->program_out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->program));
  line = g_data_input_stream_read_line (f->program_out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "READY");
}

/* bench/bench_monitor.py's feeder: a PpClient1 name with 64 workers and
 * 5,000 jobs/s, signalled as libpp-glib does. */
static void
start_feeder (Fixture *f)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;

  f->program = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PP_PYTHON"),
                                            g_getenv ("PPM_BENCH_MONITOR"), "--feeder", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->program));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "org.ppglib.PpClient."));
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->tmpdir = g_dir_make_tmp ("pp-monitor-XXXXXX", &error);
  g_assert_no_error (error);
  f->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  if (data == NULL)
    start_processes (f);
  else if (data == FEEDER)
    start_feeder (f);
  f->app = ppm_application_new ();
  g_application_set_flags (G_APPLICATION (f->app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (f->app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (f->app));
  f->window = PPM_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (f->app)));
  g_assert_nonnull (f->window);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1100, 700);
}

static void
stop (GSubprocess *process)
{
  g_autoptr(GError) error = NULL;

  /* The identifier is NULL once the process was reaped. */
  if (process == NULL || g_subprocess_get_identifier (process) == NULL)
    return;
  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  gtk_window_destroy (GTK_WINDOW (f->window));
  g_application_quit (G_APPLICATION (f->app));
  spin (50);
  g_clear_object (&f->app);
  if (f->program)
    {
      /* Closing its stdin ends the program's loop; it destroys its server. */
      g_output_stream_close (g_subprocess_get_stdin_pipe (f->program), NULL, NULL);
      if (data == FEEDER)
        g_subprocess_send_signal (f->program, SIGTERM);
      if (!g_subprocess_wait (f->program, NULL, &error))
        g_error ("program: %s", error->message);
      g_clear_object (&f->program);
    }
  g_clear_object (&f->program_out);
  g_free (f->program_line);
  g_free (f->ppd_address);
  stop (f->ppd);
  g_clear_object (&f->ppd);
  g_clear_object (&f->bus);
  remove_tree (f->tmpdir);
  g_free (f->tmpdir);
  g_free (f->http_url);
}

static PpmSource *
find_source (Fixture    *f,
             const char *prefix)
{
  GListModel *model = ppm_source_list_get_model (ppm_application_get_sources (f->app));

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(PpmSource) source = g_list_model_get_item (model, i);

      if (g_str_has_prefix (ppm_source_get_id (source), prefix))
        return source;  /* the list keeps it */
    }
  return NULL;
}

static gboolean
both_listed (Fixture *f)
{
  PpmSource *program = find_source (f, "org.ppglib.PpClient.");
  PpmSource *ppd = find_source (f, "ppd-session");

  return program && ppd && ppm_window_get_source_row (f->window, ppm_source_get_id (program)) &&
         ppm_window_get_source_row (f->window, "ppd-session") &&
         gtk_widget_get_mapped (GTK_WIDGET (f->window));
}

static gboolean
program_listed (Fixture *f)
{
  PpmSource *program = find_source (f, "org.ppglib.PpClient.");

  return program && ppm_window_get_source_row (f->window, ppm_source_get_id (program)) &&
         gtk_widget_get_mapped (GTK_WIDGET (f->window));
}

static gboolean
remote_node_ready (Fixture *f)
{
  JsonObject *status = ppm_source_get_status (find_source (f, "org.ppglib.PpClient."));
  JsonArray *nodes;
  guint ready = 0;

  if (status == NULL)
    return FALSE;
  nodes = json_object_get_array_member (status, "nodes");
  for (guint i = 0; i < json_array_get_length (nodes); i++)
    ready += g_strcmp0 (json_object_get_string_member (json_array_get_object_element (nodes, i), "state"),
                        "ready") == 0;
  return ready == 2;
}

static gboolean
job_in_stream (Fixture *f)
{
  PpmStreamView *view = PPM_STREAM_VIEW (ppm_window_get_view (f->window, "stream"));
  PpmTaskModel *tasks = ppm_source_get_tasks (find_source (f, "org.ppglib.PpClient."));

  return ppm_task_model_get_n_running (tasks) > 0 && ppm_task_model_get_n_lanes (tasks) >= 2 &&
         ppm_task_stream_get_drawn_bars (ppm_stream_view_get_stream (view)) > 0;
}

/* JobsStarted names each job's node: the program's jobs on the ppd run in
 * lanes under the ppd's address, its local jobs under "local". */
static gboolean
lanes_named_by_node (Fixture *f)
{
  PpmTaskModel *tasks = ppm_source_get_tasks (find_source (f, "org.ppglib.PpClient."));
  gboolean remote = FALSE, local = FALSE;

  for (guint i = 0; i < ppm_task_model_get_n_lanes (tasks); i++)
    {
      const char *node = ppm_task_model_get_lane_node (tasks, i);

      g_assert_cmpstr (node, !=, _("remote nodes"));
      remote |= g_strcmp0 (node, f->ppd_address) == 0;
      local |= g_strcmp0 (node, "local") == 0;
    }
  return remote && local;
}

static int
compare_time (gconstpointer a,
              gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
add_ppd_span (Fixture       *f,
              PpmTaskModel  *tasks,
              const PpmSpan *span,
              gint64         since,
              GArray        *starts,
              GArray        *ends)
{
  gint64 end = span->end ? span->end : G_MAXINT64;

  if (span->start < since ||
      g_strcmp0 (ppm_task_model_get_lane_node (tasks, span->lane), f->ppd_address) != 0)
    return;
  g_array_append_val (starts, span->start);
  g_array_append_val (ends, end);
}

/* The ppd (2 workers) holds the jobs the program sends beyond them: of
 * the jobs the stream started on it once its cores were known (@since),
 * never more than @cores run at once. */
static void
assert_ppd_jobs_within_cores (Fixture *f,
                              gint64   since,
                              guint    cores)
{
  PpmTaskModel *tasks = ppm_source_get_tasks (find_source (f, "org.ppglib.PpClient."));
  g_autoptr(GArray) starts = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) ends = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint at_once = 0, most = 0, e = 0;

  for (guint i = 0; i < ppm_task_model_get_n_finished (tasks); i++)
    add_ppd_span (f, tasks, ppm_task_model_get_finished (tasks, i), since, starts, ends);
  for (guint i = 0; i < ppm_task_model_get_n_running (tasks); i++)
    add_ppd_span (f, tasks, ppm_task_model_get_running (tasks, i), since, starts, ends);
  g_array_sort (starts, compare_time);
  g_array_sort (ends, compare_time);
  for (guint s = 0; s < starts->len; s++)
    {
      gint64 t = g_array_index (starts, gint64, s);

      for (; e < ends->len && g_array_index (ends, gint64, e) <= t; e++)
        at_once--;
      at_once++;
      most = MAX (most, at_once);
    }
  g_test_message ("%u jobs on the ppd, at most %u at once, %u waiting now",
                  starts->len, most, ppm_task_model_get_n_waiting (tasks));
  g_assert_cmpuint (starts->len, >, 0);
  g_assert_cmpuint (most, <=, cores);
}

static gboolean
ppd_ready (Fixture *f)
{
  PpmSource *ppd = find_source (f, "ppd-session");

  return g_strcmp0 (ppm_source_get_state (ppd), "ready") == 0 && ppm_source_get_status (ppd);
}

static gboolean
ppd_has_three_workers (Fixture *f)
{
  g_autoptr(GVariant) workers = ppd_get (f, "Workers");

  return g_variant_get_uint32 (workers) == 3;
}

static gboolean
ppd_has_two_workers (Fixture *f)
{
  g_autoptr(GVariant) workers = ppd_get (f, "Workers");

  return g_variant_get_uint32 (workers) == 2;
}

static gboolean
ppd_lost (Fixture *f)
{
  GtkWidget *row = ppm_window_get_source_row (f->window, "ppd-session");

  return g_strcmp0 (ppm_source_get_state (find_source (f, "ppd-session")), "lost") == 0 &&
         g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), _("Lost")) == 0;
}

static char *
http_token (void)
{
  const char *argv[] = { g_getenv ("PPD"), "--print-http-token", NULL };
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) env = g_environ_setenv (g_get_environ (), "PP_SECRET", "pp-monitor-test", TRUE);
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                               &status, &error));
  g_assert_no_error (error);
  return g_strstrip (g_steal_pointer (&out));
}

static AdwMessageDialog *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();  /* (transfer none) */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

static gboolean
token_asked (Fixture *f)
{
  return find_dialog () != NULL;
}

static gboolean
token_not_asked (Fixture *f)
{
  return find_dialog () == NULL;
}

static gboolean
http_ready (Fixture *f)
{
  PpmSource *source = find_source (f, f->http_url);
  JsonObject *status = source ? ppm_source_get_status (source) : NULL;

  return status && g_strcmp0 (ppm_source_get_state (source), "ready") == 0 &&
         json_array_get_length (json_object_get_array_member (status, "workers")) == 3;
}

static gboolean
http_events (Fixture *f)
{
  return ppm_http_source_get_events_connected (PPM_HTTP_SOURCE (find_source (f, f->http_url)));
}

static gboolean
http_job_seen (Fixture *f)
{
  PpmTaskModel *tasks = ppm_source_get_tasks (find_source (f, f->http_url));

  return ppm_task_model_get_n_running (tasks) + ppm_task_model_get_n_finished (tasks) > 0;
}

/* The same ppd over its HTTP API, added by address: the token is asked
 * for (a dialog), then its workers show. */
static void
watch_over_http (Fixture *f)
{
  g_autofree char *token = http_token ();
  AdwMessageDialog *dialog;
  GtkWidget *entry;

  /* Malformed addresses are refused with a toast, nothing added. */
  g_assert_false (ppm_window_add_address (f->window, "http://user@127.0.0.1:1/"));
  g_assert_false (ppm_window_add_address (f->window, "http://127.0.0.1:1/api?x=1"));
  g_assert_false (ppm_window_add_address (f->window, "http://[::1"));
  g_assert_true (ppm_window_add_address (f->window, f->http_url));
  wait_for (f, token_asked, "the token dialog");
  dialog = find_dialog ();
  entry = adw_message_dialog_get_extra_child (dialog);
  gtk_editable_set_text (GTK_EDITABLE (entry), "wrong");
  /* What clicking Connect does: the response, then the dialog closes. */
  adw_message_dialog_response (dialog, "connect");
  gtk_window_close (GTK_WINDOW (dialog));
  wait_for (f, token_not_asked, "the token dialog to close");
  spin (500);
  g_assert_cmpstr (ppm_source_get_state (find_source (f, f->http_url)), ==, "refused");
  ppm_http_source_set_token (PPM_HTTP_SOURCE (find_source (f, f->http_url)), token, FALSE);
  wait_for (f, http_ready, "the node's three workers over HTTP");
  wait_for (f, http_events, "the node's events WebSocket");
  wait_for (f, http_job_seen, "a job of the node over HTTP");
  g_assert_true (ppm_window_get_selected (f->window) == find_source (f, f->http_url));
  spin (300);
  save_screenshot (GTK_WIDGET (f->window), "http-node");

  /* Its workers through the UI over HTTP (POST /api/v1/workers), read
   * back over D-Bus; a refused count gives the node's error text. */
  set_spin_and_apply (ppm_window_get_view (f->window, "node"), PPM_TYPE_NODE_VIEW, "workers_spin", 2);
  wait_for (f, ppd_has_two_workers, "ppd's Workers to be 2, set over HTTP");
  g_clear_pointer (&f->program_line, g_free);
  ppm_source_set_workers_async (find_source (f, f->http_url), 5000, NULL, error_text_cb, f);
  wait_for (f, program_answered, "the node's answer to 5000 workers");
  g_assert_cmpstr (f->program_line, ==, "HTTP 400: \"workers\" must be between 1 and 4096, not 5000");
  g_clear_pointer (&f->program_line, g_free);
}

/* The task stream as Chrome trace JSON: complete events of monitor-program.py's
 * work() on the local worker and the remote node. */
static void
check_export (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->tmpdir, "trace.json", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *events;
  guint work = 0;

  g_assert_true (ppm_stream_view_export_to (PPM_STREAM_VIEW (ppm_window_get_view (f->window, "stream")),
                                            file, &error));
  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  events = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "traceEvents");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *e = json_array_get_object_element (events, i);

      if (g_str_equal (json_object_get_string_member (e, "ph"), "X"))
        {
          g_assert_cmpstr (json_object_get_string_member (e, "name"), ==, "work");
          g_assert_cmpstr (json_object_get_string_member (e, "cat"), ==, "batch");
          work++;
        }
    }
  g_assert_cmpuint (work, >, 0);
  g_unlink (path);
}

static void
set_spin_and_apply (PpmView    *view,
                    GType       type,
                    const char *spin_name,
                    int         value)
{
  GtkSpinButton *spin_button = GTK_SPIN_BUTTON (gtk_widget_get_template_child (GTK_WIDGET (view), type,
                                                                                spin_name));
  GtkButton *apply = GTK_BUTTON (gtk_widget_get_template_child (GTK_WIDGET (view), type, "apply_button"));

  gtk_spin_button_set_value (spin_button, value);
  g_signal_emit_by_name (apply, "clicked");
}

static gboolean
program_has_two_ncpus (Fixture *f)
{
  PpmSource *program = find_source (f, "org.ppglib.PpClient.");
  g_autoptr(GVariant) reply =
    g_dbus_connection_call_sync (f->bus, ppm_source_get_id (program), "/org/ppglib/PpClient",
                                 "org.freedesktop.DBus.Properties", "Get",
                                 g_variant_new ("(ss)", "org.ppglib.PpClient1", "Ncpus"),
                                 G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL, NULL);
  g_autoptr(GVariant) value = NULL;

  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(v)", &value);
  return g_variant_get_uint32 (value) == 2;
}

static void
show (Fixture    *f,
      const char *view,
      const char *shot)
{
  ppm_window_show_view (f->window, view);
  spin (600);
  save_screenshot (GTK_WIDGET (f->window), shot);
}

static GtkWidget *
find_button (GtkWidget  *widget,
             const char *label)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found)
        return found;
    }
  return NULL;
}

static char *long_job_title;

/* The long job's row in the Queue view's "Possibly Stuck" list. */
static GtkWidget *
long_job_row (Fixture *f)
{
  GtkWidget *view = GTK_WIDGET (ppm_window_get_view (f->window, "queue"));
  GtkWidget *stuck = GTK_WIDGET (gtk_widget_get_template_child (view, PPM_TYPE_QUEUE_VIEW, "stuck"));

  for (GtkWidget *row = gtk_widget_get_first_child (stuck); row; row = gtk_widget_get_next_sibling (row))
    if (ADW_IS_ACTION_ROW (row) && gtk_widget_get_visible (row) &&
        g_str_has_prefix (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), long_job_title))
      return row;
  return NULL;
}

static gboolean
long_job_stuck (Fixture *f)
{
  GtkWidget *row = long_job_row (f);

  return row && find_button (row, _("Cancel Job")) && gtk_widget_get_mapped (row);
}

static gboolean
long_job_gone (Fixture *f)
{
  return long_job_row (f) == NULL;
}

static void
program_line_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;

  f->program_line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (object), result, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->program_line);
}

static gboolean
program_answered (Fixture *f)
{
  return f->program_line != NULL;
}

/* The error's text, where program_line is, for program_answered(). */
static void
error_text_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_false (ppm_source_finish (PPM_SOURCE (object), result, &error));
  g_assert_nonnull (error);
  f->program_line = g_strdup (error->message);
}

/* A 60 s job in the program: once flagged possibly stuck in the Queue
 * view, its Cancel Job button cancels it (CancelJob), and the Python
 * program sees it cancelled. */
static void
cancel_long_job (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  GtkWidget *button;

  g_assert_true (g_output_stream_write_all (g_subprocess_get_stdin_pipe (f->program), "long\n", 5, NULL, NULL,
                                            &error));
  g_assert_no_error (error);
  line = g_data_input_stream_read_line (f->program_out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "LONG "));
  long_job_title = g_strdup_printf ("Job %s: ", line + 5);
  ppm_window_show_view (f->window, "queue");
  wait_for (f, long_job_stuck, "the long job flagged possibly stuck, with a Cancel Job button");
  spin (300);
  save_screenshot (GTK_WIDGET (f->window), "queue");
  button = find_button (long_job_row (f), _("Cancel Job"));
  g_data_input_stream_read_line_async (f->program_out, G_PRIORITY_DEFAULT, NULL, program_line_cb, f);
  g_signal_emit_by_name (button, "clicked");
  wait_for (f, program_answered, "the program's word on the long job");
  g_assert_cmpstr (f->program_line, ==, "LONG cancelled");
  wait_for (f, long_job_gone, "the cancelled job's row gone");
  g_clear_pointer (&long_job_title, g_free);

  /* Once more: the program's error, as the toast shows it. */
  g_clear_pointer (&f->program_line, g_free);
  ppm_source_cancel_job_async (find_source (f, "org.ppglib.PpClient."), g_ascii_strtoull (line + 5, NULL, 10),
                               NULL, error_text_cb, f);
  wait_for (f, program_answered, "CancelJob's error");
  g_assert_true (g_str_has_prefix (f->program_line, "No job "));
  g_assert_nonnull (strstr (f->program_line, " is queued or running"));
}

static guint64 stream_job;

static gboolean
stream_job_drawn (Fixture *f)
{
  PpmTaskStream *stream = ppm_stream_view_get_stream (PPM_STREAM_VIEW (ppm_window_get_view (f->window, "stream")));
  PpmTaskModel *tasks = ppm_source_get_tasks (find_source (f, "org.ppglib.PpClient."));
  static gint64 told;
  double x, y;

  if (ppm_task_stream_locate_job (stream, stream_job, &x, &y))
    return TRUE;
  /* What the stream has meanwhile, every 5 s: for a timeout's log. */
  if (g_get_monotonic_time () - told > 5 * G_USEC_PER_SEC)
    {
      g_autoptr(GString) running = g_string_new (NULL);

      for (guint i = 0; i < ppm_task_model_get_n_running (tasks); i++)
        g_string_append_printf (running, " %" G_GUINT64_FORMAT, ppm_task_model_get_running (tasks, i)->id);
      g_test_message ("job %" G_GUINT64_FORMAT " not drawn; the stream %d px wide, %s, running:%s", stream_job,
                      gtk_widget_get_width (GTK_WIDGET (stream)),
                      ppm_task_stream_get_paused (stream) ? "paused" : "live", running->str);
      told = g_get_monotonic_time ();
    }
  return FALSE;
}

static gboolean
job_popover_shown (Fixture *f)
{
  GtkPopover *popover = ppm_stream_view_get_job_popover (PPM_STREAM_VIEW (ppm_window_get_view (f->window, "stream")));

  return popover && gtk_widget_get_mapped (GTK_WIDGET (popover));
}

/* A 60 s job of the program, clicked in the task stream: its popover's
 * Cancel Job (CancelJob) or Cancel Group (CancelGroup) cancels it, and
 * the Python program sees it cancelled. */
static void
cancel_from_stream (Fixture  *f,
                    gboolean  group)
{
  PpmStreamView *view = PPM_STREAM_VIEW (ppm_window_get_view (f->window, "stream"));
  PpmTaskStream *stream = ppm_stream_view_get_stream (view);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  GtkWidget *button;
  double x, y;

  g_assert_true (g_output_stream_write_all (g_subprocess_get_stdin_pipe (f->program), "long\n", 5, NULL, NULL,
                                            &error));
  g_assert_no_error (error);
  line = g_data_input_stream_read_line (f->program_out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "LONG "));
  stream_job = g_ascii_strtoull (line + 5, NULL, 10);
  ppm_window_show_view (f->window, "stream");
  wait_for (f, stream_job_drawn, "the long job's bar in the task stream");
  /* Nothing happens off a running bar: on the labels, or below the lanes. */
  g_assert_false (ppm_task_stream_activate_at (stream, 10, 30));
  g_assert_false (ppm_task_stream_activate_at (stream, 400, gtk_widget_get_height (GTK_WIDGET (stream)) - 2));
  g_assert_true (ppm_task_stream_locate_job (stream, stream_job, &x, &y));
  g_assert_true (ppm_task_stream_activate_at (stream, x, y));
  wait_for (f, job_popover_shown, "the job's popover");
  button = ppm_stream_view_get_cancel_button (view, group);
  g_assert_true (gtk_widget_get_sensitive (button));
  if (group)
    g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "Cancel Group “long”");
  spin (300);
  save_screenshot (GTK_WIDGET (ppm_stream_view_get_job_popover (view)), group ? "stream-cancel-group"
                                                                            : "stream-cancel-job");
  g_clear_pointer (&f->program_line, g_free);
  g_data_input_stream_read_line_async (f->program_out, G_PRIORITY_DEFAULT, NULL, program_line_cb, f);
  g_signal_emit_by_name (button, "clicked");
  g_assert_false (job_popover_shown (f));
  wait_for (f, program_answered, "the program's word on the long job");
  g_assert_cmpstr (f->program_line, ==, "LONG cancelled");
  g_clear_pointer (&f->program_line, g_free);
}

/* The D-Bus job of cancel_dbus_job(), as Submit numbered it. */
static guint64 dbus_job;

static gboolean
ppd_shows_dbus_job (Fixture *f)
{
  PpmSource *ppd = find_source (f, "ppd-session");
  PpmTaskModel *tasks = ppm_source_get_tasks (ppd);
  JsonObject *status = ppm_source_get_status (ppd);
  gboolean in_stream = FALSE, on_a_worker = FALSE;
  JsonArray *workers;

  for (guint i = 0; i < ppm_task_model_get_n_running (tasks); i++)
    in_stream |= ppm_task_model_get_running (tasks, i)->id == dbus_job;
  if (status != NULL && !ppm_json_missing (status, "workers"))
    {
      workers = ppm_json_get_array (status, "workers");
      for (guint i = 0; i < ppm_json_array_get_length (workers); i++)
        on_a_worker |= ppm_json_get_int (ppm_json_array_get_object (workers, i), "job", 0) ==
                       (gint64) dbus_job;
    }
  if (!on_a_worker)
    ppm_source_refresh (ppd);
  return in_stream && on_a_worker;
}

static void
cancelled_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (ppm_source_finish (PPM_SOURCE (object), result, &error));
  g_assert_no_error (error);
  f->program_line = g_strdup ("cancelled");
}

/* A job submitted to the ppd over D-Bus: the ppd's source shows it
 * running under the id Submit gave, in the task stream (JobStarted) and on
 * a worker in the node document (GetStatus), and cancels it by that id. */
static void
cancel_dbus_job (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) job = NULL;
  const char *state;

  reply = g_dbus_connection_call_sync (f->bus, "org.ppglib.Ppd", "/org/ppglib/Ppd", "org.ppglib.Ppd1", "Submit",
                                       g_variant_new ("(sss^ass)", "def nap(t):\n    time.sleep(t)\n", "nap",
                                                      "[60]", (const char * const[]) { "time", NULL },
                                                      "dbus-long"),
                                       G_VARIANT_TYPE ("(t)"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(t)", &dbus_job);
  wait_for (f, ppd_shows_dbus_job, "the D-Bus job under its Submit id in the ppd's stream and status");
  g_clear_pointer (&f->program_line, g_free);
  ppm_source_cancel_job_async (find_source (f, "ppd-session"), dbus_job, NULL, cancelled_cb, f);
  wait_for (f, program_answered, "CancelJob of the D-Bus job");
  g_clear_pointer (&f->program_line, g_free);
  g_clear_pointer (&reply, g_variant_unref);
  reply = g_dbus_connection_call_sync (f->bus, "org.ppglib.Ppd", "/org/ppglib/Ppd", "org.ppglib.Ppd1", "WaitJob",
                                       g_variant_new ("(t)", dbus_job), G_VARIANT_TYPE ("(a{sv})"),
                                       G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
  job = g_variant_get_child_value (reply, 0);
  g_assert_true (g_variant_lookup (job, "state", "&s", &state));
  g_assert_cmpstr (state, ==, "cancelled");
}

static void
test_window (Fixture       *f,
             gconstpointer  data)
{
  PpmSource *program;
  PpmView *node_view;
  GtkLabel *summary;
  AdwViewSwitcherTitle *switcher;
  gint64 capped_since;
  AdwViewStack *stack = ADW_VIEW_STACK (gtk_widget_get_template_child (GTK_WIDGET (f->window), PPM_TYPE_WINDOW,
                                                                       "stack"));

  wait_for (f, both_listed, "the program and the ppd in the sidebar");
  program = find_source (f, "org.ppglib.PpClient.");
  /* Nothing selected: no views to switch to, the app's name as title. */
  switcher = ADW_VIEW_SWITCHER_TITLE (gtk_widget_get_template_child (GTK_WIDGET (f->window), PPM_TYPE_WINDOW,
                                                                     "switcher_title"));
  g_assert_false (adw_view_switcher_title_get_view_switcher_enabled (switcher));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->window),
                                                                                     PPM_TYPE_WINDOW,
                                                                                     "switcher_bar"))));
  g_assert_cmpstr (adw_view_switcher_title_get_title (switcher), ==, _("pp Monitor"));
  g_assert_true (ppm_window_select_source (f->window, ppm_source_get_id (program)));
  g_assert_true (adw_view_switcher_title_get_view_switcher_enabled (switcher));
  g_assert_true (ppm_window_get_selected (f->window) == program);
  wait_for (f, remote_node_ready, "the program's two nodes ready");
  capped_since = g_get_monotonic_time ();
  g_assert_cmpstr (ppm_source_get_title (program), ==, "monitor-program.py");
  g_assert_cmpstr (adw_view_switcher_title_get_title (switcher), ==, "monitor-program.py");

  show (f, "balance", "balance");
  /* The program's ncpus through the UI (SetNcpus), read back over D-Bus. */
  set_spin_and_apply (ppm_window_get_view (f->window, "balance"), PPM_TYPE_BALANCE_VIEW, "ncpus_spin", 2);
  wait_for (f, program_has_two_ncpus, "the program's Ncpus to be 2");
  ppm_window_show_view (f->window, "stream");
  wait_for (f, job_in_stream, "a running job drawn in the task stream");
  wait_for (f, lanes_named_by_node, "lanes under the ppd's address and under local");
  spin (1500);
  save_screenshot (GTK_WIDGET (f->window), "stream");
  assert_ppd_jobs_within_cores (f, capped_since, 2);
  check_export (f);
  show (f, "throughput", "throughput");
  show (f, "stats", "statistics");
  cancel_long_job (f);
  cancel_from_stream (f, FALSE);
  cancel_from_stream (f, TRUE);

  /* The ppd's view: set its workers to 3 through the UI. */
  g_assert_true (ppm_window_select_source (f->window, "ppd-session"));
  wait_for (f, ppd_ready, "the ppd's status");
  /* Alt+1 (win.show-view "balance"): a ppd's first view, Node. */
  ppm_window_show_view (f->window, "stream");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.show-view", "s", "balance"));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "node");
  node_view = ppm_window_get_view (f->window, "node");
  spin (300);
  save_screenshot (GTK_WIDGET (f->window), "node");
  set_spin_and_apply (node_view, PPM_TYPE_NODE_VIEW, "workers_spin", 3);
  wait_for (f, ppd_has_three_workers, "ppd's Workers to be 3");
  cancel_dbus_job (f);

  watch_over_http (f);

  /* Killed, the ppd shows as lost. */
  stop (f->ppd);
  wait_for (f, ppd_lost, "the ppd shown lost");
  spin (300);
  summary = GTK_LABEL (gtk_widget_get_template_child (GTK_WIDGET (node_view), PPM_TYPE_NODE_VIEW, "summary"));
  g_assert_nonnull (strstr (gtk_label_get_text (summary), "lost"));
  save_screenshot (GTK_WIDGET (f->window), "ppd-lost");
}

static gboolean
stream_aggregated (Fixture *f)
{
  PpmStreamView *view = PPM_STREAM_VIEW (ppm_window_get_view (f->window, "stream"));
  PpmTaskStream *stream = ppm_stream_view_get_stream (view);
  PpmSource *source = find_source (f, "org.ppglib.PpClient.");

  return source && ppm_task_model_get_n_lanes (ppm_source_get_tasks (source)) == 64 &&
         ppm_task_stream_get_aggregated (stream) && ppm_task_stream_get_drawn_bars (stream) > 0;
}

/* 64 workers and 5,000 jobs/s: too short to draw, the stream aggregates. */
static void
test_aggregate (Fixture       *f,
                gconstpointer  data)
{
  PpmSource *source;

  wait_for (f, program_listed, "the feeder in the sidebar");
  source = find_source (f, "org.ppglib.PpClient.");
  g_assert_true (ppm_window_select_source (f->window, ppm_source_get_id (source)));
  ppm_window_show_view (f->window, "stream");
  wait_for (f, stream_aggregated, "the aggregate of 64 lanes");
  spin (2000);
  save_screenshot (GTK_WIDGET (f->window), "stream-aggregate");
  show (f, "throughput", "throughput-busy");
  /* The history window is the GSettings key. */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "history-window", g_variant_new_string ("10m"));
  g_assert_nonnull (ppm_application_get_settings (f->app));
  {
    g_autofree char *window = g_settings_get_string (ppm_application_get_settings (f->app), "history-window");

    g_assert_cmpstr (window, ==, "10m");
  }
  show (f, "throughput", "throughput-10m");
  check_about_and_shortcuts (f);
  /* The dark style (the app's dark-style action). */
  g_action_group_change_action_state (G_ACTION_GROUP (f->app), "dark-style", g_variant_new_boolean (TRUE));
  g_assert_true (adw_style_manager_get_dark (adw_style_manager_get_default ()));
  show (f, "stream", "stream-dark");
}

static gboolean always (Fixture *f);

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();  /* (transfer none) */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return GTK_WINDOW (window);
    }
  return NULL;
}

static void
check_about_and_shortcuts (Fixture *f)
{
  GtkWindow *about, *shortcuts;
  g_auto(GStrv) quit = gtk_application_get_accels_for_action (GTK_APPLICATION (f->app), "app.quit");

  g_auto(GStrv) close = gtk_application_get_accels_for_action (GTK_APPLICATION (f->app), "window.close");

  g_assert_cmpstr (quit[0], ==, "<Control>q");
  g_assert_cmpstr (close[0], ==, "<Control>w");
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "about", NULL);
  spin (300);
  about = find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_assert_nonnull (about);
  /* One name: About's, the window's title, GLib's (the desktop entry's). */
  g_assert_cmpstr (adw_about_window_get_application_name (ADW_ABOUT_WINDOW (about)), ==, _("pp Monitor"));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (f->window)), ==, _("pp Monitor"));
  g_assert_cmpstr (g_get_application_name (), ==, _("pp Monitor"));
  save_screenshot (GTK_WIDGET (about), "about");
  gtk_window_destroy (about);
  /* GtkApplication's help overlay, from the resource gtk/help-overlay.ui. */
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (f->window), "show-help-overlay"));
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "show-help-overlay", NULL);
  spin (300);
  shortcuts = find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
  g_assert_nonnull (shortcuts);
  save_screenshot (GTK_WIDGET (shortcuts), "shortcuts");
  gtk_window_close (shortcuts);
}

/* A hostile "node": whatever status document the test wants. */
static void
hostile_status_cb (SoupServer        *server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  const char *body = *(const char **) user_data;

  if (g_str_equal (body, "401"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_UNAUTHORIZED, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
}

static char *
many_workers (guint n)
{
  GString *json = g_string_new ("{\"kind\":\"node\",\"pid\":1,\"workers\":[");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (json, "%s{\"pid\":%u,\"state\":\"busy\",\"job\":%u,"
                            "\"function\":\"<b>f</b> &amp;\",\"rss\":\"x\",\"cpu_time\":1e300}",
                            i ? "," : "", 1000 + i, i + 1);
  g_string_append (json, "],\"clients\":{\"not\":\"an array\"},\"counters\":[1,2],\"queue\":7}");
  return g_string_free (json, FALSE);
}

static const char *hostile_body;
static PpmSource *hostile_source;

static gboolean
hostile_state_is (Fixture *f, const char *state)
{
  return g_strcmp0 (ppm_source_get_state (hostile_source), state) == 0;
}

static gboolean
hostile_ready (Fixture *f)
{
  return hostile_state_is (f, "ready") && ppm_source_get_status (hostile_source) &&
         ppm_json_array_get_length (ppm_json_get_array (ppm_source_get_status (hostile_source), "workers")) == 20000;
}

static gboolean
hostile_refused (Fixture *f)
{
  return hostile_state_is (f, "refused");
}

static gboolean
hostile_odd_ready (Fixture *f)
{
  return hostile_state_is (f, "ready") && ppm_source_get_status (hostile_source) &&
         ppm_json_get_array (ppm_source_get_status (hostile_source), "workers") == NULL;
}

/* Documents a node on the network might send: the window shows what it can,
 * at most 256 worker rows, never a warning (they are fatal in tests). */
static void
test_hostile_node (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *many = many_workers (20000);
  g_autofree char *url = NULL;
  g_autoptr(GSList) uris = NULL;
  GtkWidget *grid;
  guint rows = 0;

  hostile_body = many;
  soup_server_add_handler (server, "/api/v1/status", hostile_status_cb, &hostile_body, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  wait_for (f, always, "the window");
  g_assert_true (ppm_window_add_address (f->window, url));
  hostile_source = ppm_window_get_selected (f->window);
  g_assert_nonnull (hostile_source);
  wait_for (f, hostile_ready, "20,000 workers");
  spin (500);
  grid = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (ppm_window_get_view (f->window, "node")),
                                                    PPM_TYPE_NODE_VIEW, "workers"));
  for (GtkWidget *child = gtk_widget_get_first_child (grid); child; child = gtk_widget_get_next_sibling (child))
    rows++;
  /* 7 columns: a header, 256 workers, one "and more" line. */
  g_assert_cmpuint (rows, ==, 7 * 257 + 1);
  save_screenshot (GTK_WIDGET (f->window), "hostile-node");

  hostile_body = "{\"workers\": 5, \"counters\": {\"jobs_done\": \"many\"}, \"clients\": [1, null]}";
  wait_for (f, hostile_odd_ready, "the odd document");
  hostile_body = "[1, 2]";
  wait_for (f, hostile_refused, "a document that is no object refused");
  hostile_body = "401";
  ppm_source_set_state (hostile_source, "connecting", NULL);
  wait_for (f, hostile_refused, "a 401 refused");
  g_assert_true (ppm_http_source_needs_token (PPM_HTTP_SOURCE (hostile_source)));
  spin (200);
}

static gboolean
discovered_listed (Fixture *f)
{
  PpmSource *source = find_source (f, "http://127.0.0.1:");

  return source && ppm_window_get_source_row (f->window, ppm_source_get_id (source)) &&
         gtk_widget_get_mapped (GTK_WIDGET (f->window));
}

static gboolean
discovered_ready (Fixture *f)
{
  PpmSource *source = find_source (f, "http://127.0.0.1:");
  JsonObject *status = ppm_source_get_status (source);

  return status && g_strcmp0 (ppm_source_get_state (source), "ready") == 0 &&
         json_array_get_length (json_object_get_array_member (status, "workers")) == 1;
}

static gboolean
discovered_lost (Fixture *f)
{
  PpmSource *source = find_source (f, "http://127.0.0.1:");
  GtkWidget *row = ppm_window_get_source_row (f->window, ppm_source_get_id (source));

  return g_strcmp0 (ppm_source_get_state (source), "lost") == 0 &&
         g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), _("Lost")) == 0;
}

static gboolean
discovered_gone (Fixture *f)
{
  return find_source (f, "http://127.0.0.1:") == NULL;
}

static void
start_announcing_ppd (Fixture *f)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *state = g_build_filename (f->tmpdir, "state", NULL);
  g_autofree char *system_state = g_build_filename (f->tmpdir, "system-state", NULL);
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "PP_SECRET", "pp-monitor-test", TRUE);
  g_subprocess_launcher_setenv (launcher, "PPD_ANNOUNCE_INTERVAL_MS", "300", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", state, TRUE);
  g_subprocess_launcher_setenv (launcher, "STATE_DIRECTORY", system_state, TRUE);
  /* No avahi-daemon: pp's UDP announcements, to loopback's broadcast
   * address on the pp port PpBrowser (port 0) listens on, 60000. */
  f->ppd = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PPD"), "-a", "-b", "127.255.255.255",
                                        "-p", "60000", "-i", "127.0.0.1", "-w", "1", "--http-port", "0",
                                        "--no-dbus", NULL);
  g_assert_no_error (error);
}

/* A ppd announced on the network (loopback, in a namespace of its own):
 * PpBrowser finds it, the sidebar lists it, its HTTP API is watched; killed,
 * it is shown lost, then leaves once no longer announced. */
static void
test_discovery (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *token = NULL;
  g_autoptr(GError) error = NULL;
  PpmSource *source;

  if (g_getenv ("PPM_TEST_NETNS") == NULL)
    {
      g_test_skip ("needs a network namespace of its own (run through in-netns.sh): "
                   "it would list the machine's own ppd nodes");
      return;
    }
  /* in-netns.sh lets the app browse: PpBrowser sees only the test's ppd. */
  g_assert_null (g_getenv ("PPM_NO_DISCOVERY"));
  start_announcing_ppd (f);
  wait_for (f, discovered_listed, "the announced ppd in the sidebar");
  source = find_source (f, "http://127.0.0.1:");
  g_test_message ("discovered %s: %s", ppm_source_get_id (source), ppm_source_get_title (source));
  g_assert_true (PPM_IS_HTTP_SOURCE (source));
  token = http_token ();
  ppm_http_source_set_token (PPM_HTTP_SOURCE (source), token, FALSE);
  g_assert_true (ppm_window_select_source (f->window, ppm_source_get_id (source)));
  wait_for (f, discovered_ready, "the discovered ppd's worker over HTTP");
  spin (300);
  save_screenshot (GTK_WIDGET (f->window), "discovered");

  /* Killed: it says nothing more, and is shown lost. */
  g_subprocess_send_signal (f->ppd, SIGKILL);
  g_subprocess_wait (f->ppd, NULL, &error);
  g_assert_no_error (error);
  wait_for (f, discovered_lost, "the discovered ppd shown lost");
  spin (300);
  save_screenshot (GTK_WIDGET (f->window), "discovered-lost");
  /* Its last announcement expired (3 intervals): it leaves the sidebar. */
  wait_for (f, discovered_gone, "the discovered ppd gone from the sidebar");
  save_screenshot (GTK_WIDGET (f->window), "discovered-gone");

  /* Announced again, it comes back; added by address too, it stays once
   * stopped (its goodbye: no longer announced at once). */
  g_clear_object (&f->ppd);
  start_announcing_ppd (f);
  wait_for (f, discovered_listed, "the ppd announced again");
  source = find_source (f, "http://127.0.0.1:");
  {
    g_autofree char *url = g_strdup (ppm_source_get_id (source));

    g_assert_true (ppm_window_add_address (f->window, url));
    stop (f->ppd);
    wait_for (f, discovered_lost, "the ppd added by address shown lost");
    spin (1500);
    g_assert_nonnull (find_source (f, url));
  }
}

static gboolean
always (Fixture *f)
{
  return gtk_widget_get_mapped (GTK_WIDGET (f->window)) && gtk_widget_get_width (GTK_WIDGET (f->window)) > 0;
}

/* LANGUAGE=zh_CN: the window's text is the translation. Needs the
 * compiled catalog of po/ (PPM_TEST_LOCALEDIR/zh_CN/LC_MESSAGES/pp-monitor.mo). */
static void
test_translated (Fixture       *f,
                 gconstpointer  data)
{
  GtkWidget *page;
  const char *title;
  const char *catalog = data;

  if (!g_file_test (catalog, G_FILE_TEST_EXISTS))
    {
      g_test_skip_printf ("needs po/'s compiled zh_CN catalog, %s, which is not built", catalog);
      return;
    }
  wait_for (f, always, "the window");
  page = (GtkWidget *) gtk_widget_get_template_child (GTK_WIDGET (f->window), PPM_TYPE_WINDOW, "empty_page");
  title = adw_status_page_get_title (ADW_STATUS_PAGE (page));
  g_test_message ("empty page title: %s", title);
  g_assert_cmpstr (title, !=, "No Source Selected");
  g_assert_cmpstr (title, ==, g_dgettext (GETTEXT_PACKAGE, "No Source Selected"));
  save_screenshot (GTK_WIDGET (f->window), "zh_CN");
}

int
main (int   argc,
      char *argv[])
{
  const char *localedir = g_getenv ("PPM_TEST_LOCALEDIR");
  g_autofree char *catalog = NULL;

  setlocale (LC_ALL, "");
  if (localedir)
    {
      bindtextdomain (GETTEXT_PACKAGE, localedir);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      textdomain (GETTEXT_PACKAGE);
      catalog = g_build_filename (localedir, "zh_CN", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
    }
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add ("/monitor/gui/window", Fixture, NULL, fixture_set_up, test_window, fixture_tear_down);
  g_test_add ("/monitor/gui/hostile-node", Fixture, NOTHING, fixture_set_up, test_hostile_node,
              fixture_tear_down);
  g_test_add ("/monitor/gui/discovery", Fixture, DISCOVERY, fixture_set_up, test_discovery,
              fixture_tear_down);
  g_test_add ("/monitor/gui/aggregate", Fixture, FEEDER, fixture_set_up, test_aggregate,
              fixture_tear_down);
  g_test_add ("/monitor/gui/zh_CN", Fixture, catalog ? catalog : "(PPM_TEST_LOCALEDIR unset)",
              fixture_set_up, test_translated, fixture_tear_down);
  return g_test_run ();
}
