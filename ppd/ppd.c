/* ppd.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <pp-glib.h>

#include "ppd-announce.h"
#include "ppd-dbus.h"
#include "ppd-http.h"
#include "ppd-log.h"
#include "ppd-node-id.h"
#include "ppd-options.h"
#include "ppd-pidfile.h"

/* ppd: the network job server, a thin main() around a PpServer (the local
 * worker pool), a PpNodeService (the TCP front door of docs/protocol.md)
 * and a PpdDbusService (org.ppglib.Ppd on D-Bus, unless --no-dbus).
 *
 * Exit status: 0 after SIGTERM/SIGINT or the idle timeout, 1 when it cannot
 * start (port in use, another ppd owns the pidfile, no interpreter), 2 for
 * a bad command line or an unsafe configuration. */

#define EXIT_USAGE   2
#define GRACE_PERIOD 10  /* seconds */
#define TRIM_DELAY   1   /* seconds */

typedef struct
{
  PpdOptions     *options;
  GMainLoop      *loop;
  PpServer       *pool;
  PpNodeService  *service;
  PpdDbusService *dbus;
  PpdHttp        *http;
  PpdAnnounce    *announce;
  PpdPidfile     *pidfile;
  guint           idle_source;
  guint           grace_source;
  guint           quit_source;
  guint           trim_source;
  guint           signal_sources[3];
  gboolean        stopping;
} Ppd;

/* The jobs of TCP clients (until their results are sent) and of D-Bus. */
static guint
ppd_count_active_jobs (Ppd *self)
{
  return MAX (pp_node_service_get_active_jobs (self->service),
              pp_server_get_active_jobs (self->pool, NULL));
}

static gboolean
ppd_is_busy (Ppd *self)
{
  return pp_node_service_get_n_clients (self->service) > 0 || ppd_count_active_jobs (self) > 0;
}

static gboolean
ppd_quit_cb (gpointer data)
{
  Ppd *self = data;

  self->quit_source = 0;
  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

/* Quits once what is pending now (a result being sent) has been handled. */
static void
ppd_quit_soon (Ppd *self)
{
  g_clear_handle_id (&self->grace_source, g_source_remove);
  if (self->quit_source == 0)
    self->quit_source = g_idle_add (ppd_quit_cb, self);
}

static gboolean
ppd_grace_over_cb (gpointer data)
{
  Ppd *self = data;
  guint active = pp_node_service_get_active_jobs (self->service);
  guint all = ppd_count_active_jobs (self);

  self->grace_source = 0;
  if (active > 0 || all == 0)
    g_message ("Grace period over: handing %u unfinished job%s back to %s client%s", active,
               active == 1 ? "" : "s", active == 1 ? "its" : "their", active == 1 ? "" : "s");
  else
    g_message ("Grace period over: stopping %u unfinished D-Bus job%s", all, all == 1 ? "" : "s");
  ppd_quit_soon (self);
  return G_SOURCE_REMOVE;
}

static gboolean
ppd_idle_timeout_cb (gpointer data)
{
  Ppd *self = data;

  self->idle_source = 0;
  /* A D-Bus job started meanwhile: its end re-arms the timer. */
  if (ppd_is_busy (self))
    return G_SOURCE_REMOVE;
  g_message ("No client and no job for %d s (-t): exiting", self->options->idle_timeout);
  self->stopping = TRUE;
  ppd_quit_soon (self);
  return G_SOURCE_REMOVE;
}

/* -t: the idle countdown runs while no client is connected and no job runs. */
static void
ppd_update_idle_timer (Ppd *self)
{
  if (self->options->idle_timeout == 0 || self->stopping)
    return;
  if (ppd_is_busy (self))
    g_clear_handle_id (&self->idle_source, g_source_remove);
  else if (self->idle_source == 0)
    self->idle_source = g_timeout_add_seconds (self->options->idle_timeout,
                                               ppd_idle_timeout_cb, self);
}

static gboolean
ppd_trim_cb (gpointer data)
{
  Ppd *self = data;

  self->trim_source = 0;
  if (!ppd_is_busy (self))
    malloc_trim (0);
  return G_SOURCE_REMOVE;
}

/* Once idle, gives the memory a burst of jobs used back to the system:
 * an idle node should weigh next to nothing. */
static void
ppd_schedule_trim (Ppd *self)
{
  if (self->trim_source == 0 && !ppd_is_busy (self))
    self->trim_source = g_timeout_add_seconds (TRIM_DELAY, ppd_trim_cb, self);
}

static void
ppd_activity_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    data)
{
  Ppd *self = data;

  if (self->stopping && ppd_count_active_jobs (self) == 0)
    ppd_quit_soon (self);
  else
    ppd_update_idle_timer (self);
  ppd_schedule_trim (self);
}

static void
ppd_client_connected_cb (PpNodeService *service,
                         const char    *peer,
                         gpointer       data)
{
  guint n = pp_node_service_get_n_clients (service);

  g_message ("client %s connected (%u client%s)", peer, n, n == 1 ? "" : "s");
}

static void
ppd_client_disconnected_cb (PpNodeService *service,
                            const char    *peer,
                            const char    *reason,
                            gpointer       data)
{
  g_message ("client %s disconnected: %s", peer, reason);
}

static void
ppd_connect_service (Ppd *self)
{
  g_signal_connect (self->service, "client-connected",
                    G_CALLBACK (ppd_client_connected_cb), self);
  g_signal_connect (self->service, "client-disconnected",
                    G_CALLBACK (ppd_client_disconnected_cb), self);
  g_signal_connect (self->service, "notify::n-clients", G_CALLBACK (ppd_activity_cb), self);
  g_signal_connect (self->service, "notify::active-jobs", G_CALLBACK (ppd_activity_cb), self);
}

static void
ppd_ncpus_changed_cb (GObject    *object,
                      GParamSpec *pspec,
                      gpointer    data)
{
  Ppd *self = data;

  if (self->announce != NULL)
    ppd_announce_set_ncpus (self->announce, pp_server_get_ncpus (self->pool));
}

/* -a: announces the node (ppd-announce.c), under its stable id. */
static void
ppd_start_announce (Ppd *self)
{
  PpdOptions *options = self->options;
  guint port = pp_node_service_get_port (self->service);
  g_autofree char *state_dir = ppd_node_id_state_dir (options->system_bus);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = ppd_node_id_load (state_dir, port, &error);
  PpdAnnounceConfig config = { 0 };

  if (id == NULL)
    {
      g_warning ("No stable node id, using a new one: %s", error->message);
      id = g_uuid_string_random ();
    }
  config.id = id;
  config.listen_address = options->listen_address;
  config.port = port;
  config.ncpus = pp_server_get_ncpus (self->pool);
  config.tls = options->tls_certificate != NULL;
  config.broadcast = options->broadcast;
  self->announce = ppd_announce_new (&config);
  if (self->http != NULL)
    ppd_announce_set_http_port (self->announce, ppd_http_get_port (self->http));
  g_signal_connect (self->pool, "notify::ncpus", G_CALLBACK (ppd_ncpus_changed_cb), self);
  ppd_announce_start (self->announce);
  if (self->dbus != NULL)
    ppd_dbus_service_set_announce (self->dbus, self->announce);
  if (self->http != NULL)
    ppd_http_set_announce (self->http, self->announce);
}

/* Withdraws the announcement: clients stop finding a node that stops. */
static void
ppd_withdraw (Ppd *self)
{
  if (self->announce == NULL)
    return;
  if (self->dbus != NULL)
    ppd_dbus_service_set_announce (self->dbus, NULL);
  if (self->http != NULL)
    ppd_http_set_announce (self->http, NULL);
  g_clear_pointer (&self->announce, ppd_announce_free);
  g_message ("Announcement withdrawn");
}

/* SIGTERM, SIGINT: stops accepting clients, lets the running jobs finish
 * (GRACE_PERIOD seconds at most), then quits; ppd_finish() closes the
 * connections, so that the clients run what is left elsewhere. A second
 * signal quits at once. */
static void
ppd_stop (Ppd        *self,
          const char *signal_name)
{
  guint active;

  g_clear_handle_id (&self->idle_source, g_source_remove);
  if (self->stopping)
    {
      g_message ("%s received while stopping: stopping now", signal_name);
      ppd_quit_soon (self);
      return;
    }
  self->stopping = TRUE;
  ppd_withdraw (self);
  pp_node_service_stop_listening (self->service);
  if (self->dbus != NULL)
    ppd_dbus_service_begin_shutdown (self->dbus);
  active = ppd_count_active_jobs (self);
  if (active == 0)
    {
      g_message ("%s received: stopping", signal_name);
      ppd_quit_soon (self);
      return;
    }
  g_message ("%s received: stopping once the %u running job%s finish%s (%d s at most)",
             signal_name, active, active == 1 ? "" : "s", active == 1 ? "es" : "", GRACE_PERIOD);
  self->grace_source = g_timeout_add (GRACE_PERIOD * 1000, ppd_grace_over_cb, self);
}

static gboolean
ppd_sigterm_cb (gpointer data)
{
  ppd_stop (data, "SIGTERM");
  return G_SOURCE_CONTINUE;
}

static gboolean
ppd_sigint_cb (gpointer data)
{
  ppd_stop (data, "SIGINT");
  return G_SOURCE_CONTINUE;
}

/* Like ppserver.py: SIGUSR1 prints the statistics table on stdout. */
static gboolean
ppd_sigusr1_cb (gpointer data)
{
  Ppd *self = data;
  g_autofree char *stats = pp_server_format_stats (self->pool);

  fputs (stats, stdout);
  fflush (stdout);
  return G_SOURCE_CONTINUE;
}

static void
ppd_watch_signals (Ppd *self)
{
  /* A client vanishing mid-write must not kill the daemon. */
  signal (SIGPIPE, SIG_IGN);
  self->signal_sources[0] = g_unix_signal_add (SIGTERM, ppd_sigterm_cb, self);
  self->signal_sources[1] = g_unix_signal_add (SIGINT, ppd_sigint_cb, self);
  self->signal_sources[2] = g_unix_signal_add (SIGUSR1, ppd_sigusr1_cb, self);
}

static PpServer *
ppd_create_pool (PpdOptions  *options,
                 GError     **error)
{
  return g_initable_new (PP_TYPE_SERVER, NULL, error,
                         "ncpus", options->workers,
                         "python", options->python,
                         "restart", options->restart,
                         /* ppd is on the bus as itself (org.ppglib.Ppd1) */
                         "export-on-bus", FALSE,
                         NULL);
}

static gboolean
ppd_listen (Ppd     *self,
            GError **error)
{
  PpdOptions *options = self->options;

  self->service = pp_node_service_new (self->pool, options->secret);
  pp_node_service_set_socket_timeout (self->service, options->socket_timeout);
  if (options->tls_certificate != NULL)
    pp_node_service_set_tls_certificate (self->service, options->tls_certificate);
  ppd_connect_service (self);

  return pp_node_service_listen (self->service, options->listen_address, options->port, error);
}

static void
ppd_dbus_shutdown_cb (PpdDbusService *dbus,
                      gpointer        data)
{
  ppd_stop (data, "Shutdown() over D-Bus");
}

/* A job finished, as JobFinished tells on the bus: all D-Bus jobs are
 * told (the node service's notifications tell about TCP clients' jobs). */
static void
ppd_dbus_job_finished_cb (PpdDbusPpd1 *dbus,
                          guint64      id,
                          gboolean     ok,
                          double       seconds,
                          gpointer     data)
{
  ppd_activity_cb (NULL, NULL, data);
}

static void
ppd_start_dbus (Ppd *self)
{
  if (self->options->no_dbus)
    return;
  self->dbus = ppd_dbus_service_new (self->options, self->pool, self->service);
  g_signal_connect (self->dbus, "shutdown-requested", G_CALLBACK (ppd_dbus_shutdown_cb), self);
  g_signal_connect (self->dbus, "job-finished", G_CALLBACK (ppd_dbus_job_finished_cb), self);
  ppd_dbus_service_start (self->dbus);
}

/* --http-port: the HTTP API, events, /metrics and the live page, with the
 * pp port's certificate when it has one. */
static gboolean
ppd_start_http (Ppd     *self,
                GError **error)
{
  PpdOptions *options = self->options;
  PpdHttpConfig config = {
    .address = options->http_address,
    .port = options->http_port,
    .secret = options->secret,
    .certificate = options->tls_certificate,
    .metrics_public = options->metrics_public,
  };
  const char *address = options->http_address ? options->http_address : "127.0.0.1";
  gboolean ipv6 = strchr (address, ':') != NULL;

  if (options->http_port < 0)
    return TRUE;
  self->http = ppd_http_new (&config, self->pool, self->service);
  if (!ppd_http_start (self->http, error))
    return FALSE;
  g_message ("HTTP on %s://%s%s%s:%u/ (token: ppd --print-http-token)",
             options->tls_certificate ? "https" : "http", ipv6 ? "[" : "", address,
             ipv6 ? "]" : "", ppd_http_get_port (self->http));
  return TRUE;
}

static void
ppd_log_listening (Ppd *self)
{
  PpdOptions *options = self->options;
  guint workers = pp_server_get_ncpus (self->pool);
  const char *address = options->listen_address ? options->listen_address : "*";
  gboolean ipv6 = strchr (address, ':') != NULL;

  g_message ("ppd %s listening on %s%s%s:%u with %u worker%s%s%s", PACKAGE_VERSION,
             ipv6 ? "[" : "", address, ipv6 ? "]" : "",
             pp_node_service_get_port (self->service), workers, workers == 1 ? "" : "s",
             options->tls_certificate != NULL ? ", TLS" : "",
             options->restart ? ", a fresh worker for each job" : "");
  if (options->secret_source != NULL)
    g_debug ("Clients must prove the secret from %s", options->secret_source);
}

/* Without -P, the session daemon writes $XDG_RUNTIME_DIR/ppd.pid, so that
 * `kill -USR1 $(cat $XDG_RUNTIME_DIR/ppd.pid)` finds it; when another ppd
 * of this user holds that file, this one runs without a pidfile. */
static void
ppd_claim_default_pidfile (Ppd *self)
{
  const char *runtime_dir = g_getenv ("XDG_RUNTIME_DIR");
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (self->options->system_bus || runtime_dir == NULL || *runtime_dir == '\0')
    return;
  path = g_build_filename (runtime_dir, "ppd.pid", NULL);
  self->pidfile = ppd_pidfile_claim (path, &error);
  if (self->pidfile == NULL)
    g_message ("No pidfile (-P FILE names one): %s", error->message);
}

/* Sets everything up; on failure, logs why and returns FALSE. */
static gboolean
ppd_start (Ppd *self)
{
  PpdOptions *options = self->options;
  g_autoptr(GError) error = NULL;

  ppd_watch_signals (self);
  if (options->pidfile != NULL &&
      (self->pidfile = ppd_pidfile_claim (options->pidfile, &error)) == NULL)
    {
      g_printerr ("ppd: %s\n", error->message);
      return FALSE;
    }
  if (options->pidfile == NULL)
    ppd_claim_default_pidfile (self);
  if ((self->pool = ppd_create_pool (options, &error)) == NULL)
    {
      g_printerr (_("ppd: cannot start the workers: %s\n"), error->message);
      return FALSE;
    }
  if (!ppd_listen (self, &error))
    {
      g_printerr (_("ppd: cannot listen on %s port %d: %s\n"),
                  options->listen_address ? options->listen_address : _("every interface"),
                  options->port, error->message);
      return FALSE;
    }
  ppd_log_listening (self);
  if (!ppd_start_http (self, &error))
    {
      g_printerr (_("ppd: cannot serve HTTP on %s port %d: %s\n"),
                  options->http_address ? options->http_address : "127.0.0.1",
                  options->http_port, error->message);
      return FALSE;
    }
  ppd_start_dbus (self);
  if (options->auto_discovery)
    ppd_start_announce (self);

  ppd_update_idle_timer (self);
  return TRUE;
}

/* Runs what closed connections and failed jobs left to do (freeing
 * themselves), without waiting. */
static void
ppd_drain_main_context (void)
{
  for (guint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* Leaves D-Bus, closes the connections (their unfinished jobs go back to
 * the clients), stops the workers, removes the pidfile. */
static void
ppd_finish (Ppd *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->signal_sources); i++)
    g_clear_handle_id (&self->signal_sources[i], g_source_remove);
  ppd_withdraw (self);
  if (self->pool != NULL)
    g_signal_handlers_disconnect_by_func (self->pool, ppd_ncpus_changed_cb, self);
  if (self->service != NULL)
    {
      pp_node_service_stop (self->service);
      g_signal_handlers_disconnect_by_data (self->service, self);
    }
  g_clear_handle_id (&self->idle_source, g_source_remove);
  g_clear_handle_id (&self->grace_source, g_source_remove);
  g_clear_handle_id (&self->quit_source, g_source_remove);
  g_clear_handle_id (&self->trim_source, g_source_remove);
  if (self->dbus != NULL)
    {
      ppd_dbus_service_stop (self->dbus);
      g_signal_handlers_disconnect_by_data (self->dbus, self);
    }
  g_clear_pointer (&self->http, ppd_http_free);
  ppd_drain_main_context ();

  g_clear_object (&self->service);
  if (self->pool != NULL)
    pp_server_destroy (self->pool);
  g_clear_object (&self->pool);
  ppd_drain_main_context ();
  g_clear_object (&self->dbus);
  g_clear_pointer (&self->pidfile, ppd_pidfile_release);
  g_clear_pointer (&self->loop, g_main_loop_unref);
}

/* Each connection is a descriptor, and 1,024 (the usual soft limit) is
 * soon reached by a crowd of unauthenticated ones: take what the hard limit
 * allows. */
static void
ppd_raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
    return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
    g_debug ("Cannot raise the limit of open files: %s", g_strerror (errno));
}

static int
ppd_run (PpdOptions *options)
{
  Ppd self = { .options = options };
  int status = EXIT_FAILURE;

  ppd_raise_fd_limit ();
  self.loop = g_main_loop_new (NULL, FALSE);
  if (ppd_start (&self))
    {
      g_main_loop_run (self.loop);
      status = EXIT_SUCCESS;
    }
  ppd_finish (&self);
  if (status == EXIT_SUCCESS)
    g_message ("Stopped");
  return status;
}

int
main (int   argc,
      char *argv[])
{
  g_auto(PpdOptions) options = { 0 };
  g_autoptr(GError) error = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  if (!ppd_options_parse (&options, &argc, &argv, &error))
    {
      g_printerr (_("ppd: %s\nTry “ppd --help” for more information.\n"), error->message);
      return EXIT_USAGE;
    }
  if (options.version)
    {
      g_print ("ppd %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  ppd_log_init (options.debug);
  if (!ppd_options_resolve (&options, &error))
    {
      g_printerr ("ppd: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (options.print_http_token)
    {
      g_autofree char *token = ppd_http_derive_token (options.secret);

      g_print ("%s\n", token);
      return EXIT_SUCCESS;
    }
  return ppd_run (&options);
}
