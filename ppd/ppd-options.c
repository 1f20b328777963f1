/* ppd-options.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <pp-glib.h>
#include <pp-secret-private.h>

#include "ppd-config.h"
#include "ppd-options.h"

/* The command line of ppd: pp's ppserver.py flags, plus the ways to give a
 * secret without showing it to `ps`, the workers' interpreter and TLS. */

#define MAX_RETAINED_JOBS    1000000
#define UNSET                G_MININT  /* a number the command line did not give */

static const char summary[] = N_(
  "Runs Python jobs for pp and pp-glib clients on this machine's processors:\n"
  "the network job server of Parallel Python (ppserver.py), with the same flags.");

static const char description[] = N_(
  "Clients prove that they know ppd's secret (HMAC-SHA256 challenge-response).\n"
  "Given one (--secret-file, PP_SECRET, -s, -c), ppd listens on every interface\n"
  "unless -i says otherwise. Without, it uses the per-user secret file\n"
  "$XDG_CONFIG_HOME/pp-glib/secret (--system: secret in its state directory),\n"
  "created on first use, which pp.Server uses too, and listens on 127.0.0.1\n"
  "unless -i says otherwise.\n"
  "\n"
  "Examples:\n"
  "  ppd -w 4                              4 workers, local clients only\n"
  "  ppd --secret-file /etc/ppd/secret     every interface, port 60000\n"
  "  ppd -a --secret-file /etc/ppd/secret  the same, announced for ppservers=(\"*\",)\n"
  "  PP_SECRET=… ppd -p 35000 -i 192.168.0.101 -t 600\n"
  "\n"
  "Environment:\n"
  "  PP_SECRET   the secret, when neither -s nor --secret-file is given\n"
  "  XDG_CONFIG_HOME, XDG_RUNTIME_DIR   where the per-user secret and the pidfile are\n"
  "  PP_PYTHON   the workers' interpreter, when --python is not given\n"
  "\n"
  "Signals:\n"
  "  SIGTERM, SIGINT   let running jobs finish (10 s at most), then exit\n"
  "  SIGUSR1           print the job statistics on standard output\n"
  "\n"
  "HTTP (off by default):\n"
  "  ppd --http-port 8080 serves GET /api/v1/status, /api/v1/jobs, the\n"
  "  /api/v1/events WebSocket (all with \"Authorization: Bearer $(ppd\n"
  "  --print-http-token)\"), /metrics (Prometheus; loopback only unless\n"
  "  --metrics-public) and a live page at /.\n"
  "\n"
  "D-Bus:\n"
  "  ppd owns org.ppglib.Ppd on the session bus (the system bus with --system)\n"
  "  and exports /org/ppglib/Ppd, interface org.ppglib.Ppd1: its state, its\n"
  "  workers and clients, and jobs submitted with gdbus. Without a bus, it\n"
  "  serves TCP only. For example:\n"
  "    gdbus call --session -d org.ppglib.Ppd -o /org/ppglib/Ppd \\\n"
  "      -m org.ppglib.Ppd1.Submit 'def add(a, b): return a + b' add '[1, 2]' '[]' ''\n"
  "\n"
  "See ppd(1) for more.");

static GOptionEntry *
build_entries (PpdOptions *self)
{
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &self->port,
      N_("Port to listen on (default 60000; 0 picks a free one)"), N_("PORT") },
    { "interface", 'i', 0, G_OPTION_ARG_STRING, &self->interface,
      N_("Address to listen on (default: every interface with a given secret, 127.0.0.1 "
         "with the per-user one)"),
      N_("ADDRESS") },
    { "workers", 'w', 0, G_OPTION_ARG_INT, &self->workers,
      N_("Number of workers, 1 to 4096 (default -1: one per processor)"), N_("N") },
    { "secret", 's', 0, G_OPTION_ARG_FILENAME, &self->secret,
      N_("Secret that clients must know (shows in ps: prefer --secret-file or PP_SECRET)"),
      N_("SECRET") },
    { "secret-file", 0, 0, G_OPTION_ARG_FILENAME, &self->secret_file,
      N_("Read the secret from FILE (readable by its owner only)"), N_("FILE") },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &self->idle_timeout,
      N_("Exit after SECONDS without clients or jobs (default: never)"), N_("SECONDS") },
    { "socket-timeout", 'k', 0, G_OPTION_ARG_INT, &self->socket_timeout,
      N_("Drop a client that has not completed the handshake within SECONDS "
         "(default and at most 30)"), N_("SECONDS") },
    { "pidfile", 'P', 0, G_OPTION_ARG_FILENAME, &self->pidfile,
      N_("Write the process id to FILE (default: $XDG_RUNTIME_DIR/ppd.pid without --system)"),
      N_("FILE") },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &self->config_file,
      N_("Read ppserver.py's configuration FILE; the command line overrides it"), N_("FILE") },
    { "debug", 'd', 0, G_OPTION_ARG_NONE, &self->debug,
      N_("Log debug messages"), NULL },
    { "restart", 'r', 0, G_OPTION_ARG_NONE, &self->restart,
      N_("Start a fresh worker process after each job"), NULL },
    { "auto-discovery", 'a', 0, G_OPTION_ARG_NONE, &self->auto_discovery,
      N_("Announce the node on the local network (DNS-SD through avahi-daemon, else UDP "
         "to the broadcast address)"), NULL },
    { "broadcast", 'b', 0, G_OPTION_ARG_STRING, &self->broadcast,
      N_("With -a, also announce the node by UDP to this IPv4 broadcast address (pp's way; "
         "without avahi-daemon, 255.255.255.255 unless given)"), N_("ADDRESS") },
    { "proto", 'n', G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &self->pickle_protocol,
      "ppserver.py's pickle protocol (ignored: each client chooses)", "N" },
    { "log-format", 'f', G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &self->log_format,
      "ppserver.py's log format (ignored)", "FORMAT" },
    { "python", 0, 0, G_OPTION_ARG_FILENAME, &self->python,
      N_("Python interpreter of the workers (default: PP_PYTHON, then python3)"), N_("PATH") },
    { "tls-certificate", 0, 0, G_OPTION_ARG_FILENAME, &self->tls_certificate_file,
      N_("Serve TLS with the PEM certificate (chain) in FILE"), N_("FILE") },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &self->tls_key_file,
      N_("PEM private key of --tls-certificate"), N_("FILE") },
    { "system", 0, 0, G_OPTION_ARG_NONE, &self->system_bus,
      N_("Be org.ppglib.Ppd on the system bus instead of the session bus"), NULL },
    { "no-dbus", 0, 0, G_OPTION_ARG_NONE, &self->no_dbus,
      N_("Stay off D-Bus"), NULL },
    { "job-retention", 0, 0, G_OPTION_ARG_INT, &self->job_retention,
      N_("Keep the outcome of a D-Bus job for SECONDS after it finished (default 3600)"), N_("SECONDS") },
    { "max-retained-jobs", 0, 0, G_OPTION_ARG_INT, &self->max_retained_jobs,
      N_("Keep the outcome of N finished D-Bus jobs at most (default 10000)"), N_("N") },
    { "http-port", 0, 0, G_OPTION_ARG_INT, &self->http_port,
      N_("Serve the HTTP API, events, /metrics and the live page on PORT (default: no HTTP; "
         "0 picks a free one)"), N_("PORT") },
    { "http-address", 0, 0, G_OPTION_ARG_STRING, &self->http_address,
      N_("Address for --http-port (default 127.0.0.1)"), N_("ADDRESS") },
    { "print-http-token", 0, 0, G_OPTION_ARG_NONE, &self->print_http_token,
      N_("Print the HTTP API token (derived from the secret) and exit"), NULL },
    { "metrics-public", 0, 0, G_OPTION_ARG_NONE, &self->metrics_public,
      N_("Serve /metrics without a token to every address, not only loopback"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &self->version,
      N_("Print the version and exit"), NULL },
    G_OPTION_ENTRY_NULL
  };

  return g_memdup2 (entries, sizeof entries);
}

/* Overwrites the secret in the original argument strings, so that
 * /proc/PID/cmdline (and so ps) no longer shows it: "-s SECRET",
 * "-ds SECRET", "--secret SECRET" and "--secret=SECRET". */
static void
scrub_secret (char       **args,
              int          n_args,
              const char  *secret)
{
  gsize len = strlen (secret);

  for (int i = 1; i < n_args; i++)
    {
      char *arg = args[i];
      gsize arg_len = strlen (arg);

      if (strcmp (arg, secret) == 0)
        memset (arg, 'x', arg_len);
      else if (g_str_has_prefix (arg, "--secret=") && strcmp (arg + 9, secret) == 0)
        memset (arg + 9, 'x', len);
    }
}

static void
default_int (int *value,
             int  fallback)
{
  if (*value == UNSET)
    *value = fallback;
}

static void
set_defaults (PpdOptions *self)
{
  default_int (&self->port, PPD_DEFAULT_PORT);
  default_int (&self->workers, PP_NCPUS_AUTODETECT);
  default_int (&self->idle_timeout, 0);
  default_int (&self->socket_timeout, PPD_DEFAULT_SOCKET_TIMEOUT);
  default_int (&self->pickle_protocol, -1);
  default_int (&self->http_port, -1);
}

/**
 * ppd_check_workers:
 * @workers: a number of workers
 * @autodetect_allowed: whether -1 (one per processor) may be asked for
 * @what: what gave it, for the message ("-w/--workers", "SetWorkers")
 *
 * The one rule for the number of workers of ppd, wherever it comes from
 * (the command line, the configuration file, D-Bus): -1
 * (%PP_NCPUS_AUTODETECT, ppserver.py's default) for one per processor,
 * or 1 to %PPD_MAX_WORKERS. 0 is refused: such a node would run nothing.
 *
 * Returns: (transfer full) (nullable): %NULL if @workers is fine, else why
 *   it is not
 */
char *
ppd_check_workers (gint64      workers,
                   gboolean    autodetect_allowed,
                   const char *what)
{
  if ((workers == PP_NCPUS_AUTODETECT && autodetect_allowed) ||
      (workers >= PPD_MIN_WORKERS && workers <= PPD_MAX_WORKERS))
    return NULL;
  return g_strdup_printf ("%s must be between %d and %d%s, not %" G_GINT64_FORMAT, what,
                          PPD_MIN_WORKERS, PPD_MAX_WORKERS,
                          autodetect_allowed ? " (or -1: one per processor)" : "", workers);
}

/**
 * ppd_options_parse:
 * @self: options to fill, zero-initialised
 * @argc: (inout): the argument count
 * @argv: (inout): the arguments; a secret in them is overwritten
 * @error: return location for a #GError
 *
 * Parses the command line. `--help` prints and exits here.
 *
 * Returns: %FALSE on a usage error
 */
gboolean
ppd_options_parse (PpdOptions   *self,
                   int          *argc,
                   char       ***argv,
                   GError      **error)
{
  g_autofree GOptionEntry *entries = build_entries (self);
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char **original = g_memdup2 (*argv, sizeof (char *) * (*argc + 1));
  int original_argc = *argc;
  gboolean ok;

  /* What the command line leaves unset, the configuration file may set. */
  self->port = UNSET;
  self->workers = UNSET;
  self->idle_timeout = UNSET;
  self->socket_timeout = UNSET;
  self->pickle_protocol = UNSET;
  self->http_port = UNSET;
  self->job_retention = PPD_DEFAULT_JOB_RETENTION;
  self->max_retained_jobs = PPD_DEFAULT_MAX_RETAINED;

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  ok = g_option_context_parse (context, argc, argv, error);
  if (self->secret != NULL)
    scrub_secret (original, original_argc, self->secret);
  if (ok && *argc > 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("Unexpected argument “%s”"), (*argv)[1]);
      return FALSE;
    }
  if (ok && self->config_file != NULL && !ppd_config_load (self, self->config_file, error))
    return FALSE;
  set_defaults (self);
  return ok;
}

static gboolean
bad_value (GError     **error,
           const char  *format,
           ...) G_GNUC_PRINTF (2, 3);

static gboolean
bad_value (GError     **error,
           const char  *format,
           ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                                format, args));
  va_end (args);
  return FALSE;
}

static gboolean
check_numbers (PpdOptions  *self,
               GError     **error)
{
  g_autofree char *bad_workers = ppd_check_workers (self->workers, TRUE, "-w/--workers");

  if (self->port < 0 || self->port > G_MAXUINT16)
    return bad_value (error, _("-p/--port must be between 0 and 65535, not %d"), self->port);
  if (bad_workers != NULL)
    return bad_value (error, "%s", bad_workers);
  if (self->idle_timeout < 0)
    return bad_value (error, _("-t/--timeout must be 0 (never) or more seconds, not %d"),
                      self->idle_timeout);
  if (self->socket_timeout < 1)
    return bad_value (error, _("-k/--socket-timeout must be 1 second or more, not %d"),
                      self->socket_timeout);
  if (self->job_retention < 1)
    return bad_value (error, _("--job-retention must be 1 second or more, not %d"),
                      self->job_retention);
  if (self->max_retained_jobs < 1 || self->max_retained_jobs > MAX_RETAINED_JOBS)
    return bad_value (error, _("--max-retained-jobs must be between 1 and %d, not %d"),
                      MAX_RETAINED_JOBS, self->max_retained_jobs);
  if (self->http_port < -1 || self->http_port > G_MAXUINT16)
    return bad_value (error, _("--http-port must be between 0 and 65535, not %d"), self->http_port);
  if (self->http_address != NULL && self->http_port == -1)
    return bad_value (error, _("--http-address needs --http-port"));
  if (self->http_address != NULL && !g_hostname_is_ip_address (self->http_address))
    return bad_value (error, _("--http-address must be an IP address, not “%s”"),
                      self->http_address);
  if (self->system_bus && self->no_dbus)
    return bad_value (error, _("--system and --no-dbus exclude each other"));
  return TRUE;
}

/* Takes the value of PP_SECRET out of the environment (the workers must not
 * inherit it) and out of /proc/PID/environ. */
static char *
steal_environment_secret (void)
{
  char *value = (char *) g_getenv ("PP_SECRET");
  char *secret;

  if (value == NULL)
    return NULL;
  secret = *value != '\0' ? g_strdup (value) : NULL;
  memset (value, 'x', strlen (value));
  g_unsetenv ("PP_SECRET");
  return secret;
}

/* Where `ppd --system` keeps its secret: systemd's StateDirectory= of
 * ppd-system.service, else ppd's state directory in this prefix. */
static char *
system_secret_path (void)
{
  const char *state = g_getenv ("STATE_DIRECTORY");
  g_autofree char *first = NULL;

  if (state == NULL || *state == '\0')
    return g_build_filename (PPD_STATE_DIR, "secret", NULL);
  first = g_strndup (state, strcspn (state, ":"));
  return g_build_filename (first, "secret", NULL);
}

/* No secret given: the per-user one, or the system service's own. Both are
 * created on first use. */
static gboolean
load_default_secret (PpdOptions  *self,
                     GError     **error)
{
  g_autofree char *path = self->system_bus ? system_secret_path ()
                                           : pp_secret_get_default_path ();
  g_autoptr(GError) local_error = NULL;

  self->secret = pp_secret_load_or_create (path, &local_error);
  if (self->secret == NULL)
    return bad_value (error, _("No secret given: %s"), local_error->message);
  self->secret_source = self->system_bus ? "the system secret file" : "the per-user secret file";
  self->secret_is_default = TRUE;
  self->default_secret_path = g_steal_pointer (&path);
  return TRUE;
}

static gboolean
resolve_secret (PpdOptions  *self,
                GError     **error)
{
  g_autoptr(PpSecretString) from_environment = steal_environment_secret ();
  g_autoptr(GError) local_error = NULL;

  if (self->secret != NULL && self->secret_file != NULL)
    return bad_value (error, _("Give the secret once: -s/--secret or --secret-file, not both"));
  if (self->secret != NULL)
    self->secret_source = "-s";
  else if (self->secret_file != NULL)
    {
      self->secret = pp_secret_load_file (self->secret_file, &local_error);
      if (self->secret == NULL)
        return bad_value (error, "%s", local_error->message);
      self->secret_source = "--secret-file";
    }
  else if (from_environment != NULL)
    {
      self->secret = g_steal_pointer (&from_environment);
      self->secret_source = "PP_SECRET";
    }
  else if (self->config_secret != NULL)
    {
      self->secret = g_steal_pointer (&self->config_secret);
      self->secret_source = "the configuration file";
    }
  else if (!load_default_secret (self, error))
    return FALSE;

  if (*self->secret == '\0')
    return bad_value (error, "The secret given with %s is empty", self->secret_source);
  if (strcmp (self->secret_source, "-s") == 0)
    g_warning ("The secret given with -s was visible to every user of this machine (ps, "
               "/proc) until now; use --secret-file FILE or the PP_SECRET environment "
               "variable instead");
  return TRUE;
}

static gboolean
is_any_address (const char *address)
{
  return g_str_equal (address, "*") || g_str_equal (address, "");
}

/* Every address @name stands for (an address literal, or a host name). */
static GList *
lookup_addresses (const char  *name,
                  GError     **error)
{
  g_autoptr(GResolver) resolver = NULL;
  GInetAddress *literal = g_inet_address_new_from_string (name);

  if (literal != NULL)
    return g_list_prepend (NULL, literal);

  resolver = g_resolver_get_default ();
  return g_resolver_lookup_by_name (resolver, name, NULL, error);
}

/* The interface: -i, else 127.0.0.1 with a secret ppd found by itself
 * (whoever should use it must be handed it first), every interface with
 * one that was given. */
static gboolean
resolve_interface (PpdOptions  *self,
                   GError     **error)
{
  g_autolist(GInetAddress) addresses = NULL;
  g_autoptr(GError) local_error = NULL;

  if (self->interface == NULL && self->secret_is_default)
    {
      self->listen_address = g_strdup ("127.0.0.1");
      g_message ("No secret given: clients must prove the one in %s; listening on 127.0.0.1 "
                 "only (-i ADDRESS to serve other machines that share it)",
                 self->default_secret_path);
      return TRUE;
    }
  if (self->interface != NULL && !is_any_address (self->interface))
    {
      addresses = lookup_addresses (self->interface, &local_error);
      if (addresses == NULL)
        return bad_value (error, "Cannot listen on “%s”: %s", self->interface,
                          local_error->message);
      self->listen_address = g_strdup (self->interface);
    }
  return TRUE;
}

static gboolean
load_tls_certificate (PpdOptions  *self,
                      GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (self->tls_certificate_file == NULL && self->tls_key_file == NULL)
    return TRUE;
  if (self->tls_certificate_file == NULL || self->tls_key_file == NULL)
    return bad_value (error, "--tls-certificate and --tls-key go together");

  self->tls_certificate = g_tls_certificate_new_from_files (self->tls_certificate_file,
                                                            self->tls_key_file, &local_error);
  if (self->tls_certificate == NULL)
    return bad_value (error, "Cannot load the TLS certificate “%s” with the key “%s”: %s",
                      self->tls_certificate_file, self->tls_key_file, local_error->message);
  return TRUE;
}

/* -b: an IPv4 address, where the UDP announcements go. */
static gboolean
check_broadcast (PpdOptions  *self,
                 GError     **error)
{
  g_autoptr(GInetAddress) address = NULL;

  if (self->broadcast == NULL)
    return TRUE;
  address = g_inet_address_new_from_string (self->broadcast);
  if (address == NULL || g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV4)
    return bad_value (error, _("-b/--broadcast: “%s” is not an IPv4 address"), self->broadcast);
  return TRUE;
}

/* ppserver.py flags that mean nothing (yet) to ppd. */
static void
report_ignored_flags (PpdOptions *self)
{
  if (!self->auto_discovery && self->broadcast != NULL)
    g_message ("-b (broadcast address) ignored without -a");
  if (self->pickle_protocol != -1)
    g_message ("-n (pickle protocol) ignored: each client chooses its own");
  if (self->log_format != NULL)
    g_message ("-f (log format) ignored");
}

/**
 * ppd_options_resolve:
 * @self: parsed options
 * @error: return location for a #GError
 *
 * Checks the values, finds the secret (`-s`, `--secret-file`, `PP_SECRET`,
 * the configuration file's, then the per-user or system secret file,
 * created if missing), decides the address to listen on and loads the TLS
 * certificate. Logs what it decides.
 *
 * Returns: %FALSE when the configuration is unusable
 */
gboolean
ppd_options_resolve (PpdOptions  *self,
                     GError     **error)
{
  if (!check_numbers (self, error) ||
      !load_tls_certificate (self, error) ||
      !resolve_secret (self, error) ||
      !resolve_interface (self, error) ||
      !check_broadcast (self, error))
    return FALSE;
  report_ignored_flags (self);
  return TRUE;
}

/**
 * ppd_options_clear:
 * @self: options
 *
 * Frees what @self holds, wiping the secret first.
 */
void
ppd_options_clear (PpdOptions *self)
{
  g_clear_pointer (&self->secret, _pp_secret_free);
  g_clear_pointer (&self->config_secret, _pp_secret_free);
  g_clear_pointer (&self->config_file, g_free);
  g_clear_pointer (&self->default_secret_path, g_free);
  g_clear_pointer (&self->interface, g_free);
  g_clear_pointer (&self->secret_file, g_free);
  g_clear_pointer (&self->pidfile, g_free);
  g_clear_pointer (&self->broadcast, g_free);
  g_clear_pointer (&self->log_format, g_free);
  g_clear_pointer (&self->python, g_free);
  g_clear_pointer (&self->tls_certificate_file, g_free);
  g_clear_pointer (&self->tls_key_file, g_free);
  g_clear_pointer (&self->listen_address, g_free);
  g_clear_pointer (&self->http_address, g_free);
  g_clear_object (&self->tls_certificate);
}
