/* ppd-dbus.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "ppd-compile-check.h"
#include "ppd-dbus.h"
#include "ppd-dbus-error.h"
#include "ppd-job-table.h"
#include "ppd-json.h"

/* ppd on D-Bus: org.ppglib.Ppd1 (data/org.ppglib.Ppd1.xml) at
 * /org/ppglib/Ppd, under the name org.ppglib.Ppd, on the session bus or
 * (--system) the system bus. The generated skeleton does the marshalling;
 * this subclass answers the calls, and feeds the properties and signals
 * from the pool (PpServer) and the TCP front door (PpNodeService), to
 * which it listens only while exported on the bus.
 *
 * Properties are read live, but PropertiesChanged is rate-limited: a
 * timer publishes what changed at most every TICK_INTERVAL ms, and only
 * while something happens (events poke it; it keeps going while values
 * change or workers start), with a slow POLL_INTERVAL poll for what no
 * event announces (an idle worker replaced). Uptime is announced only
 * with another change, so an idle node stays silent.
 *
 * JobStarted and JobFinished are emitted for every D-Bus job; for TCP
 * clients' jobs, at most MAX_TCP_SIGNALS a second each (the excess is
 * dropped; JobsDone and JobsFailed still count every job).
 *
 * Calls that change the node (SetWorkers, Submit, CancelJob, Shutdown,
 * setting Workers) are authorized first: only ppd's own uid and root may
 * make them, which the bus tells (GetConnectionUnixUser, asynchronously).
 * A D-Bus job belongs to the uid that submitted it: only that uid and root
 * may see it (GetJob, WaitJob) or cancel it. JobStarted and JobFinished
 * tell ids and timings only, never results. Properties.Set reaches method_call_cb() for that, since
 * the vtable has no set_property (GDBus checks the property's existence,
 * access and type before). */

#define BUS_NAME    "org.ppglib.Ppd"
#define OBJECT_PATH "/org/ppglib/Ppd"

#define TICK_INTERVAL   250  /* ms */
#define POLL_INTERVAL   5    /* s */
#define MAX_TCP_SIGNALS 100  /* per second and signal */

#define MAX_SOURCE_SIZE    (64 << 20)
#define MAX_ARGS_SIZE      (64 << 20)
#define MAX_MODULES        256
#define MAX_MODULE_SIZE    4096
#define MAX_GROUP_SIZE     1024
#define MAX_FUNCTION_NAME  1024
#define MAX_JSON_DEPTH     512
/* What one reply may carry: the system bus takes 32 MiB messages by
 * default; a session bus (dbus-daemon, dbus-broker) 128 MiB or more. */
/* A reply is one a{sv}, and a D-Bus array holds 64 MiB at most. */
#define MAX_REPLY_SESSION  (60 << 20)
#define MAX_REPLY_SYSTEM   (30 << 20)

typedef enum
{
  PROP_VERSION,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_WORKERS,
  PROP_ACTIVE_JOBS,
  PROP_QUEUED_JOBS,
  PROP_JOBS_DONE,
  PROP_JOBS_FAILED,
  PROP_UPTIME,
  PROP_CLIENTS,
  PROP_WORKER_STATES,
  N_PROPERTIES
} Property;

/* D-Bus name, GObject property of the skeleton */
static const char * const property_names[N_PROPERTIES][2] = {
  { "Version",      "version" },
  { "Address",      "address" },
  { "Port",         "port" },
  { "Workers",      "workers" },
  { "ActiveJobs",   "active-jobs" },
  { "QueuedJobs",   "queued-jobs" },
  { "JobsDone",     "jobs-done" },
  { "JobsFailed",   "jobs-failed" },
  { "Uptime",       "uptime" },
  { "Clients",      "clients" },
  { "WorkerStates", "worker-states" },
};

typedef struct
{
  gint64 second;
  guint  count;
} RateLimit;

struct _PpdDbusService
{
  PpdDbusPpd1Skeleton  parent_instance;

  PpServer            *pool;
  PpNodeService       *node;
  PpdJobTable         *jobs;
  PpdCompileCheck     *checker;
  GCancellable        *cancellable;  /* waits, checks and bus set-up; cancelled by stop */
  char                *address;
  GBusType             bus_type;
  GDBusConnection     *connection;
  guint                owner_id;
  gsize                max_reply_size;
  gboolean             exported;
  gboolean             stopping;     /* no new jobs */
  gboolean             stopped;

  guint64              jobs_done;
  guint64              jobs_failed;
  RateLimit            started_limit;
  RateLimit            finished_limit;

  GVariant            *published[N_PROPERTIES];
  guint                tick_source;
  guint                poll_source;
};

enum {
  SHUTDOWN_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void ppd_dbus_service_iface_init (PpdDbusPpd1Iface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PpdDbusService, ppd_dbus_service, PPD_DBUS_TYPE_PPD1_SKELETON,
                               G_IMPLEMENT_INTERFACE (PPD_DBUS_TYPE_PPD1, ppd_dbus_service_iface_init))

static const char *
bus_name (PpdDbusService *self)
{
  return self->bus_type == G_BUS_TYPE_SYSTEM ? "system" : "session";
}

/* Errors ---------------------------------------------------------------- */

/* Answers with @error, in ppd's domain whatever it came in. */
static void
return_error (GDBusMethodInvocation *invocation,
              const GError          *error)
{
  if (error->domain == PPD_DBUS_ERROR)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_dbus_method_invocation_return_error_literal (invocation, PPD_DBUS_ERROR, PPD_DBUS_ERROR_FAILED,
                                                   "ppd is shutting down");
  else if (g_error_matches (error, PP_ERROR, PP_ERROR_TOO_LARGE))
    g_dbus_method_invocation_return_error_literal (invocation, PPD_DBUS_ERROR, PPD_DBUS_ERROR_TOO_LARGE,
                                                   error->message);
  else
    g_dbus_method_invocation_return_error_literal (invocation, PPD_DBUS_ERROR, PPD_DBUS_ERROR_FAILED,
                                                   error->message);
}

static void
return_unknown_job (GDBusMethodInvocation *invocation,
                    guint64                id)
{
  g_dbus_method_invocation_return_error (invocation, PPD_DBUS_ERROR, PPD_DBUS_ERROR_UNKNOWN_JOB,
                                         "No job %" G_GUINT64_FORMAT ": never submitted here, or "
                                         "dropped some time after it finished", id);
}

/* The rule of ppd's -w (ppd_check_workers()), without -1. */
static gboolean
check_worker_count (guint    workers,
                    GError **error)
{
  g_autofree char *problem = ppd_check_workers (workers, FALSE, "The number of workers");

  if (problem == NULL)
    return TRUE;
  g_set_error_literal (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_INVALID_WORKER_COUNT, problem);
  return FALSE;
}

/* Authorization --------------------------------------------------------- */

typedef void (*AuthorizedFunc) (PpdDbusService        *self,
                                GDBusMethodInvocation *invocation);

typedef struct
{
  PpdDbusService        *self;
  GDBusMethodInvocation *invocation;
  AuthorizedFunc         func;
  gboolean               changes;  /* the call changes the node */
} Authorization;

#define CALLER_UID_KEY "ppd-caller-uid"

/* The uid of whoever made @invocation, as the bus told identify(). */
static guint32
caller_uid (GDBusMethodInvocation *invocation)
{
  return GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (invocation), CALLER_UID_KEY));
}

static void
caller_uid_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      data)
{
  g_autofree Authorization *auth = data;
  g_autoptr(PpdDbusService) self = auth->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  guint32 uid;

  if (reply == NULL)
    {
      g_dbus_method_invocation_return_error (auth->invocation, PPD_DBUS_ERROR,
                                             PPD_DBUS_ERROR_PERMISSION_DENIED,
                                             "Cannot tell who is calling: %s", error->message);
      return;
    }
  g_variant_get (reply, "(u)", &uid);
  if (auth->changes && uid != 0 && uid != geteuid ())
    {
      g_autofree char *who = geteuid () == 0 ? g_strdup ("root")
                                             : g_strdup_printf ("root and uid %u", (guint) geteuid ());

      g_dbus_method_invocation_return_error (auth->invocation, PPD_DBUS_ERROR,
                                             PPD_DBUS_ERROR_PERMISSION_DENIED,
                                             "Only %s may change this ppd; you are uid %u", who, uid);
      return;
    }
  g_object_set_data (G_OBJECT (auth->invocation), CALLER_UID_KEY, GUINT_TO_POINTER (uid));
  auth->func (self, auth->invocation);
}

/* Calls @func (which answers @invocation) once the bus has told the
 * caller's uid (see caller_uid()) and, if @changes, only if the caller may
 * change the node: ppd's own uid or root. On the session bus too: a bus
 * configured to let other users in must not let them run code as ppd's
 * user. */
static void
identify (PpdDbusService        *self,
          GDBusMethodInvocation *invocation,
          gboolean               changes,
          AuthorizedFunc         func)
{
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  Authorization *auth;

  if (sender == NULL)
    {
      g_dbus_method_invocation_return_error_literal (invocation, PPD_DBUS_ERROR,
                                                     PPD_DBUS_ERROR_PERMISSION_DENIED,
                                                     "Cannot tell who is calling");
      return;
    }
  auth = g_new0 (Authorization, 1);
  auth->self = g_object_ref (self);
  auth->invocation = invocation;
  auth->func = func;
  auth->changes = changes;
  g_dbus_connection_call (g_dbus_method_invocation_get_connection (invocation),
                          "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "GetConnectionUnixUser", g_variant_new ("(s)", sender),
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                          caller_uid_cb, auth);
}

static void
authorize (PpdDbusService        *self,
           GDBusMethodInvocation *invocation,
           AuthorizedFunc         func)
{
  identify (self, invocation, TRUE, func);
}

/* The D-Bus job whose id is @invocation's "(t)", if its caller may see it:
 * the uid that submitted it, or root. Otherwise answers @invocation and
 * returns %NULL. */
static PpJob *
lookup_own_job (PpdDbusService        *self,
                GDBusMethodInvocation *invocation)
{
  guint32 uid = caller_uid (invocation);
  guint32 owner = 0;
  guint64 id;
  PpJob *job;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(t)", &id);
  job = ppd_job_table_lookup (self->jobs, id, &owner);
  if (job == NULL)
    return_unknown_job (invocation, id);
  else if (uid != 0 && uid != owner)
    g_dbus_method_invocation_return_error (invocation, PPD_DBUS_ERROR,
                                           PPD_DBUS_ERROR_PERMISSION_DENIED,
                                           "Job %" G_GUINT64_FORMAT " is not yours: only the "
                                           "user who submitted it and root may see it", id);
  else
    return job;
  return NULL;
}

/* Properties ------------------------------------------------------------ */

static int
find_property (const char *name)
{
  for (guint i = 0; i < N_PROPERTIES; i++)
    if (g_str_equal (property_names[i][0], name))
      return i;
  return -1;
}

/* The jobs running on a worker now (not those queued). */
static guint
count_running (PpdDbusService *self)
{
  g_autoptr(GPtrArray) stats = pp_server_list_stats (self->pool);
  guint running = 0;

  for (guint i = 0; i < stats->len; i++)
    running += pp_node_stats_get_active_jobs (g_ptr_array_index (stats, i));
  return running;
}

static GVariant *
build_worker_states (PpdDbusService *self)
{
  g_autoptr(GVariant) info = pp_server_dup_worker_info (self->pool);
  GVariantBuilder builder;
  GVariantIter iter;
  const char *state;
  guint32 pid;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(us)"));
  g_variant_iter_init (&iter, info);
  while (g_variant_iter_next (&iter, "(u&stud)", &pid, &state, NULL, NULL, NULL))
    g_variant_builder_add (&builder, "(us)", pid, state);
  return g_variant_builder_end (&builder);
}

/* Returns: (transfer floating): the value of @property now */
static GVariant *
dup_property (PpdDbusService *self,
              Property        property)
{
  switch (property)
    {
    case PROP_VERSION:       return g_variant_new_string (PACKAGE_VERSION);
    case PROP_ADDRESS:       return g_variant_new_string (self->address);
    case PROP_PORT:          return g_variant_new_uint16 (pp_node_service_get_port (self->node));
    case PROP_WORKERS:       return g_variant_new_uint32 (pp_server_get_ncpus (self->pool));
    case PROP_ACTIVE_JOBS:   return g_variant_new_uint32 (count_running (self));
    case PROP_QUEUED_JOBS:   return g_variant_new_uint32 (pp_server_get_queued_jobs (self->pool));
    case PROP_JOBS_DONE:     return g_variant_new_uint64 (self->jobs_done);
    case PROP_JOBS_FAILED:   return g_variant_new_uint64 (self->jobs_failed);
    case PROP_UPTIME:        return g_variant_new_double (pp_server_get_uptime (self->pool));
    case PROP_CLIENTS:       return g_variant_new_uint32 (pp_node_service_get_n_clients (self->node));
    case PROP_WORKER_STATES: return build_worker_states (self);
    case N_PROPERTIES:
    default:                 g_assert_not_reached ();
    }
}

/* Sets the skeleton's copy of @property (whose change it announces) if
 * the value changed. */
static gboolean
publish (PpdDbusService *self,
         Property        property)
{
  g_autoptr(GVariant) value = g_variant_ref_sink (dup_property (self, property));
  g_auto(GValue) gvalue = G_VALUE_INIT;

  if (self->published[property] != NULL && g_variant_equal (value, self->published[property]))
    return FALSE;
  g_dbus_gvariant_to_gvalue (value, &gvalue);
  g_object_set_property (G_OBJECT (self), property_names[property][1], &gvalue);
  g_clear_pointer (&self->published[property], g_variant_unref);
  self->published[property] = g_steal_pointer (&value);
  return TRUE;
}

static gboolean
publish_changes (PpdDbusService *self)
{
  gboolean changed = FALSE;

  for (guint i = 0; i < N_PROPERTIES; i++)
    if (i != PROP_UPTIME)
      changed |= publish (self, i);
  if (changed)
    publish (self, PROP_UPTIME);
  return changed;
}

static gboolean
any_worker_starting (PpdDbusService *self)
{
  GVariantIter iter;
  const char *state;

  g_variant_iter_init (&iter, self->published[PROP_WORKER_STATES]);
  while (g_variant_iter_next (&iter, "(u&s)", NULL, &state))
    if (g_str_equal (state, "starting"))
      return TRUE;
  return FALSE;
}

static gboolean
tick_cb (gpointer data)
{
  PpdDbusService *self = data;

  if (publish_changes (self) || any_worker_starting (self))
    return G_SOURCE_CONTINUE;
  self->tick_source = 0;
  return G_SOURCE_REMOVE;
}

/* Something happened: publish the properties soon. */
static void
poke (PpdDbusService *self)
{
  if (self->tick_source == 0 && self->exported)
    self->tick_source = g_timeout_add (TICK_INTERVAL, tick_cb, self);
}

static gboolean
poll_cb (gpointer data)
{
  poke (data);
  return G_SOURCE_CONTINUE;
}

static GVariant *
get_property_cb (GDBusConnection  *connection,
                 const char       *sender,
                 const char       *object_path,
                 const char       *interface_name,
                 const char       *property_name,
                 GError          **error,
                 gpointer          user_data)
{
  int property = find_property (property_name);

  if (property < 0)
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS, "No property %s", property_name);
      return NULL;
    }
  return dup_property (PPD_DBUS_SERVICE (user_data), property);
}

static void
set_property_authorized (PpdDbusService        *self,
                         GDBusMethodInvocation *invocation)
{
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(&s&sv)", NULL, &name, &value);
  if (!g_str_equal (name, "Workers") || !g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_PROPERTY_READ_ONLY,
                                             "Property %s cannot be set to that", name);
      return;
    }
  if (!check_worker_count (g_variant_get_uint32 (value), &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  pp_server_set_ncpus (self->pool, g_variant_get_uint32 (value));
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
method_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  PpdDbusService *self = PPD_DBUS_SERVICE (user_data);
  GDBusInterfaceSkeletonClass *parent_class = G_DBUS_INTERFACE_SKELETON_CLASS (ppd_dbus_service_parent_class);

  if (g_strcmp0 (interface_name, "org.freedesktop.DBus.Properties") != 0)
    parent_class->get_vtable (G_DBUS_INTERFACE_SKELETON (self))->method_call (connection, sender, object_path,
                                                                            interface_name, method_name,
                                                                            parameters, invocation, user_data);
  else if (g_strcmp0 (method_name, "Set") == 0)
    authorize (self, invocation, set_property_authorized);
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                           "No method %s.%s here", interface_name, method_name);
}

static const GDBusInterfaceVTable service_vtable = {
  method_call_cb,
  get_property_cb,
  NULL,  /* Properties.Set goes to method_call_cb() */
  { NULL }
};

static GDBusInterfaceVTable *
ppd_dbus_service_get_vtable (GDBusInterfaceSkeleton *skeleton)
{
  return (GDBusInterfaceVTable *) &service_vtable;
}

/* Signals from the pool and the TCP front door --------------------------- */

static gboolean
rate_limit_allow (RateLimit *limit)
{
  gint64 second = g_get_monotonic_time () / G_USEC_PER_SEC;

  if (second != limit->second)
    {
      limit->second = second;
      limit->count = 0;
    }
  return limit->count++ < MAX_TCP_SIGNALS;
}

static void
job_started_cb (PpServer *pool,
                PpJob    *job,
                guint     worker,
                gpointer  data)
{
  PpdDbusService *self = data;
  guint64 id = ppd_job_table_find (self->jobs, job);

  if (id != 0)
    ppd_dbus_ppd1_emit_job_started (PPD_DBUS_PPD1 (self), id, worker);
  else if (rate_limit_allow (&self->started_limit))
    ppd_dbus_ppd1_emit_job_started (PPD_DBUS_PPD1 (self), pp_job_get_id (job), worker);
  poke (self);
}

static void
job_finished_cb (PpServer *pool,
                 PpJob    *job,
                 gpointer  data)
{
  PpdDbusService *self = data;
  gboolean ok = pp_job_get_state (job) == PP_JOB_STATE_DONE;
  guint64 id = ppd_job_table_finished (self->jobs, job);

  if (ok)
    self->jobs_done++;
  else
    self->jobs_failed++;
  if (id != 0)
    ppd_dbus_ppd1_emit_job_finished (PPD_DBUS_PPD1 (self), id, ok, pp_job_get_run_time (job));
  else if (rate_limit_allow (&self->finished_limit))
    ppd_dbus_ppd1_emit_job_finished (PPD_DBUS_PPD1 (self), pp_job_get_id (job), ok,
                                     pp_job_get_run_time (job));
  poke (self);
}

static void
workers_changed_cb (GObject    *object,
                    GParamSpec *pspec,
                    gpointer    data)
{
  PpdDbusService *self = data;

  ppd_dbus_ppd1_emit_workers_changed (PPD_DBUS_PPD1 (self), pp_server_get_ncpus (self->pool));
  poke (self);
}

static void
client_connected_cb (PpNodeService *node,
                     const char    *peer,
                     gpointer       data)
{
  g_autofree char *valid_peer = g_utf8_make_valid (peer, -1);

  ppd_dbus_ppd1_emit_client_connected (PPD_DBUS_PPD1 (data), valid_peer);
  poke (data);
}

static void
client_disconnected_cb (PpNodeService *node,
                        const char    *peer,
                        const char    *reason,
                        gpointer       data)
{
  g_autofree char *valid_peer = g_utf8_make_valid (peer, -1);
  g_autofree char *valid_reason = g_utf8_make_valid (reason ? reason : "", -1);

  ppd_dbus_ppd1_emit_client_disconnected (PPD_DBUS_PPD1 (data), valid_peer, valid_reason);
  poke (data);
}

static void
activity_cb (GObject    *object,
             GParamSpec *pspec,
             gpointer    data)
{
  poke (data);
}

/* Only while on the bus: the pool collects job-started and job-finished
 * events only for a listener. */
static void
listen_to_sources (PpdDbusService *self)
{
  g_signal_connect (self->pool, "job-started", G_CALLBACK (job_started_cb), self);
  g_signal_connect (self->pool, "job-finished", G_CALLBACK (job_finished_cb), self);
  g_signal_connect (self->pool, "notify::ncpus", G_CALLBACK (workers_changed_cb), self);
  g_signal_connect (self->node, "client-connected", G_CALLBACK (client_connected_cb), self);
  g_signal_connect (self->node, "client-disconnected", G_CALLBACK (client_disconnected_cb), self);
  g_signal_connect (self->node, "notify::n-clients", G_CALLBACK (activity_cb), self);
  g_signal_connect (self->node, "notify::active-jobs", G_CALLBACK (activity_cb), self);
  self->poll_source = g_timeout_add_seconds (POLL_INTERVAL, poll_cb, self);
}

static void
ignore_sources (PpdDbusService *self)
{
  g_signal_handlers_disconnect_by_data (self->pool, self);
  g_signal_handlers_disconnect_by_data (self->node, self);
  g_clear_handle_id (&self->tick_source, g_source_remove);
  g_clear_handle_id (&self->poll_source, g_source_remove);
}

/* Monitoring methods ---------------------------------------------------- */

static gboolean
ppd_dbus_service_handle_get_stats (PpdDbusPpd1           *object,
                                   GDBusMethodInvocation *invocation)
{
  PpdDbusService *self = PPD_DBUS_SERVICE (object);
  g_autoptr(GPtrArray) stats = pp_server_list_stats (self->pool);
  g_autofree char *table = pp_server_format_stats (self->pool);
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  guint64 jobs = 0;
  double time = 0;

  for (guint i = 0; i < stats->len; i++)
    {
      jobs += pp_node_stats_get_njobs (g_ptr_array_index (stats, i));
      time += pp_node_stats_get_time (g_ptr_array_index (stats, i));
    }
  g_variant_dict_insert (&dict, "jobs", "t", jobs);
  g_variant_dict_insert (&dict, "time", "d", time);
  g_variant_dict_insert (&dict, "time_per_job", "d", jobs > 0 ? time / jobs : 0.0);
  g_variant_dict_insert (&dict, "uptime", "d", pp_server_get_uptime (self->pool));
  /* As the table's "active tasks", like pp's print_stats(): queued and
   * running (the ActiveJobs property counts the running ones). */
  g_variant_dict_insert (&dict, "active_jobs", "u", pp_server_get_active_jobs (self->pool, NULL));
  g_variant_dict_insert (&dict, "cores", "u", pp_server_get_ncpus (self->pool));
  g_variant_dict_insert (&dict, "table", "s", table);
  ppd_dbus_ppd1_complete_get_stats (object, invocation, g_variant_dict_end (&dict));
  return TRUE;
}

/* As pp_server_dup_worker_info(), with the D-Bus ids of D-Bus jobs (the
 * ids JobStarted gave). */
static gboolean
ppd_dbus_service_handle_list_workers (PpdDbusPpd1           *object,
                                      GDBusMethodInvocation *invocation)
{
  PpdDbusService *self = PPD_DBUS_SERVICE (object);
  g_autoptr(GVariant) info = pp_server_dup_worker_info (self->pool);
  GVariantBuilder builder;
  GVariantIter iter;
  const char *state;
  guint32 pid, done;
  guint64 job, id;
  double busy;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ustud)"));
  g_variant_iter_init (&iter, info);
  while (g_variant_iter_next (&iter, "(u&stud)", &pid, &state, &job, &done, &busy))
    {
      id = job != 0 ? ppd_job_table_find_by_pool_id (self->jobs, job) : 0;
      g_variant_builder_add (&builder, "(ustud)", pid, state, id != 0 ? id : job, done, busy);
    }
  ppd_dbus_ppd1_complete_list_workers (object, invocation, g_variant_builder_end (&builder));
  return TRUE;
}

static gboolean
ppd_dbus_service_handle_list_clients (PpdDbusPpd1           *object,
                                      GDBusMethodInvocation *invocation)
{
  PpdDbusService *self = PPD_DBUS_SERVICE (object);
  g_autoptr(GVariant) clients = pp_node_service_dup_clients (self->node);

  ppd_dbus_ppd1_complete_list_clients (object, invocation, clients);
  return TRUE;
}

/* Control methods -------------------------------------------------------- */

static void
set_workers_authorized (PpdDbusService        *self,
                        GDBusMethodInvocation *invocation)
{
  g_autoptr(GError) error = NULL;
  guint32 workers;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(u)", &workers);
  if (!check_worker_count (workers, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  pp_server_set_ncpus (self->pool, workers);
  ppd_dbus_ppd1_complete_set_workers (PPD_DBUS_PPD1 (self), invocation);
}

static gboolean
ppd_dbus_service_handle_set_workers (PpdDbusPpd1           *object,
                                     GDBusMethodInvocation *invocation,
                                     guint                  workers)
{
  authorize (PPD_DBUS_SERVICE (object), invocation, set_workers_authorized);
  return TRUE;
}

static void
shutdown_authorized (PpdDbusService        *self,
                     GDBusMethodInvocation *invocation)
{
  ppd_dbus_ppd1_complete_shutdown (PPD_DBUS_PPD1 (self), invocation);
  g_signal_emit (self, signals[SHUTDOWN_REQUESTED], 0);
}

static gboolean
ppd_dbus_service_handle_shutdown (PpdDbusPpd1           *object,
                                  GDBusMethodInvocation *invocation)
{
  authorize (PPD_DBUS_SERVICE (object), invocation, shutdown_authorized);
  return TRUE;
}

/* Jobs ------------------------------------------------------------------ */

static const char * const python_keywords[] = {
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
  "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
  "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
  "try", "while", "with", "yield", NULL
};

/* An approximation of Python's identifiers (PEP 3131): a letter or _,
 * then letters, digits, marks or _; not a keyword. */
static gboolean
is_python_identifier (const char *name)
{
  if (*name == '\0' || strlen (name) > MAX_FUNCTION_NAME)
    return FALSE;
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '_' || g_unichar_isalpha (c))
        continue;
      if (p == name || !(g_unichar_isdigit (c) || g_unichar_ismark (c) || g_unichar_isalnum (c)))
        return FALSE;
    }
  return !g_strv_contains (python_keywords, name);
}

static gboolean
check_modules (const char * const  *modules,
               GError             **error)
{
  guint n = g_strv_length ((char **) modules);

  if (n > MAX_MODULES)
    {
      g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_TOO_LARGE,
                   "%u modules: a job imports %d at most", n, MAX_MODULES);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *statement = g_strstrip (g_strdup (modules[i]));

      if (strlen (modules[i]) > MAX_MODULE_SIZE)
        {
          g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_TOO_LARGE,
                       "Module statement %u is longer than %d bytes", i + 1, MAX_MODULE_SIZE);
          return FALSE;
        }
      if (*statement == '\0')
        {
          g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_INVALID_ARGUMENT,
                       "Module statement %u is empty", i + 1);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_submission (PpdDbusService      *self,
                  const char          *source,
                  const char          *function,
                  const char          *args_json,
                  const char * const  *modules,
                  const char          *group,
                  GError             **error)
{
  gsize source_size = strlen (source);
  gsize args_size = strlen (args_json);

  if (self->stopping)
    g_set_error_literal (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_FAILED, "ppd is shutting down");
  else if (source_size > MAX_SOURCE_SIZE)
    g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_TOO_LARGE,
                 "The source is %" G_GSIZE_FORMAT " bytes; ppd takes %d MiB at most",
                 source_size, MAX_SOURCE_SIZE >> 20);
  else if (args_size > MAX_ARGS_SIZE)
    g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_TOO_LARGE,
                 "The arguments are %" G_GSIZE_FORMAT " bytes; ppd takes %d MiB at most",
                 args_size, MAX_ARGS_SIZE >> 20);
  else if (!is_python_identifier (function))
    g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_INVALID_ARGUMENT,
                 "“%s” is not the name of a Python function",
                 strlen (function) <= 64 ? function : "(the function name)");
  else if (strlen (group) > MAX_GROUP_SIZE)
    g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_INVALID_ARGUMENT,
                 "The group name is longer than %d bytes", MAX_GROUP_SIZE);
  else
    return check_modules (modules, error) &&
           ppd_json_check_array (args_json, MAX_JSON_DEPTH, error) &&
           ppd_job_table_can_add (self->jobs, source_size + args_size, error);
  return FALSE;
}

typedef struct
{
  PpdDbusService        *self;
  GDBusMethodInvocation *invocation;
} Call;

static Call *
call_new (PpdDbusService        *self,
          GDBusMethodInvocation *invocation)
{
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->invocation = invocation;
  return call;
}

static void
call_free (Call *call)
{
  g_clear_object (&call->self);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

/* The source compiles: submits the job. */
static void
submit_checked (PpdDbusService        *self,
                GDBusMethodInvocation *invocation)
{
  g_autoptr(PpFunction) function = NULL;
  g_autoptr(GBytes) args = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PpJob) job = NULL;
  g_autofree const char **modules = NULL;
  const char *source, *name, *args_json, *group;
  guint64 id;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(&s&s&s^a&s&s)",
                 &source, &name, &args_json, &modules, &group);
  if (self->stopping)
    {
      g_dbus_method_invocation_return_error_literal (invocation, PPD_DBUS_ERROR,
                                                     PPD_DBUS_ERROR_FAILED, "ppd is shutting down");
      return;
    }
  function = pp_function_new (name, source, modules);
  args = g_bytes_new (args_json, strlen (args_json));
  job = pp_server_submit (self->pool, function, args, PP_PAYLOAD_FORMAT_JSON,
                          *group != '\0' ? group : "default", &error);
  if (job == NULL)
    {
      return_error (invocation, error);
      return;
    }
  id = ppd_job_table_add (self->jobs, job, strlen (source) + strlen (args_json),
                          caller_uid (invocation));
  g_debug ("D-Bus job %" G_GUINT64_FORMAT " (pool job %" G_GUINT64_FORMAT "): %s() for %s",
           id, pp_job_get_id (job), name, g_dbus_method_invocation_get_sender (invocation));
  ppd_dbus_ppd1_complete_submit (PPD_DBUS_PPD1 (self), invocation, id);
  poke (self);
}

static void
compile_checked_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      data)
{
  g_autoptr(Call) call = data;
  g_autoptr(GError) error = NULL;

  if (!ppd_compile_check_run_finish (PPD_COMPILE_CHECK (object), result, &error))
    return_error (call->invocation, error);
  else
    submit_checked (call->self, call->invocation);
}

static void
submit_authorized (PpdDbusService        *self,
                   GDBusMethodInvocation *invocation)
{
  g_autofree const char **modules = NULL;
  g_autoptr(GError) error = NULL;
  const char *source, *function, *args_json, *group;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(&s&s&s^a&s&s)",
                 &source, &function, &args_json, &modules, &group);
  if (!check_submission (self, source, function, args_json, modules, group, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  ppd_compile_check_run_async (self->checker, source, modules, self->cancellable,
                               compile_checked_cb, call_new (self, invocation));
}

static gboolean
ppd_dbus_service_handle_submit (PpdDbusPpd1           *object,
                                GDBusMethodInvocation *invocation,
                                const char            *source,
                                const char            *function,
                                const char            *args_json,
                                const char * const    *modules,
                                const char            *group)
{
  authorize (PPD_DBUS_SERVICE (object), invocation, submit_authorized);
  return TRUE;
}

static void
get_job_identified (PpdDbusService        *self,
                    GDBusMethodInvocation *invocation)
{
  PpJob *job = lookup_own_job (self, invocation);
  g_autoptr(GVariant) description = NULL;
  g_autoptr(GError) error = NULL;

  if (job == NULL)
    return;
  if ((description = ppd_job_describe (job, self->max_reply_size, &error)) == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    ppd_dbus_ppd1_complete_get_job (PPD_DBUS_PPD1 (self), invocation, description);
}

static gboolean
ppd_dbus_service_handle_get_job (PpdDbusPpd1           *object,
                                 GDBusMethodInvocation *invocation,
                                 guint64                id)
{
  identify (PPD_DBUS_SERVICE (object), invocation, FALSE, get_job_identified);
  return TRUE;
}

static void
job_waited_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(Call) call = data;
  g_autoptr(GVariant) description = NULL;
  g_autoptr(GError) error = NULL;

  /* The job's own failure is in its description. */
  if (!pp_job_wait_finish (PP_JOB (object), result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return_error (call->invocation, error);
  else if ((description = ppd_job_describe (PP_JOB (object), call->self->max_reply_size,
                                            &error)) == NULL)
    g_dbus_method_invocation_return_gerror (call->invocation, error);
  else
    ppd_dbus_ppd1_complete_wait_job (PPD_DBUS_PPD1 (call->self), call->invocation, description);
}

static void
wait_job_identified (PpdDbusService        *self,
                     GDBusMethodInvocation *invocation)
{
  PpJob *job = lookup_own_job (self, invocation);

  if (job != NULL)
    pp_job_wait_async (job, self->cancellable, job_waited_cb, call_new (self, invocation));
}

static gboolean
ppd_dbus_service_handle_wait_job (PpdDbusPpd1           *object,
                                  GDBusMethodInvocation *invocation,
                                  guint64                id)
{
  identify (PPD_DBUS_SERVICE (object), invocation, FALSE, wait_job_identified);
  return TRUE;
}

static void
cancel_job_authorized (PpdDbusService        *self,
                       GDBusMethodInvocation *invocation)
{
  PpJob *job = lookup_own_job (self, invocation);

  if (job != NULL)
    ppd_dbus_ppd1_complete_cancel_job (PPD_DBUS_PPD1 (self), invocation, pp_job_cancel (job));
}

static gboolean
ppd_dbus_service_handle_cancel_job (PpdDbusPpd1           *object,
                                    GDBusMethodInvocation *invocation,
                                    guint64                id)
{
  authorize (PPD_DBUS_SERVICE (object), invocation, cancel_job_authorized);
  return TRUE;
}

/* The bus --------------------------------------------------------------- */

static void
unexport (PpdDbusService *self)
{
  if (!self->exported)
    return;
  self->exported = FALSE;
  ignore_sources (self);
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self));
}

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         data)
{
  g_message ("On the %s bus as %s", bus_name (data), name);
}

static void
name_lost_cb (GDBusConnection *connection,
              const char      *name,
              gpointer         data)
{
  PpdDbusService *self = data;

  if (connection == NULL || g_dbus_connection_is_closed (connection))
    g_message ("Lost the connection to the %s bus", bus_name (self));
  else
    g_message ("%s is owned by another process on the %s bus: not on D-Bus",
               name, bus_name (self));
  unexport (self);
}

static void
bus_got_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr(PpdDbusService) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = g_bus_get_finish (result, &error);

  if (connection == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Not on D-Bus (no %s bus: %s): serving TCP only", bus_name (self), error->message);
      return;
    }
  if (self->stopped)
    return;
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self), connection,
                                         OBJECT_PATH, &error))
    {
      g_warning ("Cannot export %s on the %s bus: %s", OBJECT_PATH, bus_name (self), error->message);
      return;
    }
  self->connection = g_steal_pointer (&connection);
  self->exported = TRUE;
  publish_changes (self);
  listen_to_sources (self);
  self->owner_id = g_bus_own_name_on_connection (self->connection, BUS_NAME,
                                                 G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                                 name_acquired_cb, name_lost_cb, self, NULL);
}

/**
 * ppd_dbus_service_start:
 * @self: a #PpdDbusService
 *
 * Connects to the bus, exports the object and claims the name, in the
 * background. Without a bus, logs why and stays off D-Bus.
 */
void
ppd_dbus_service_start (PpdDbusService *self)
{
  g_return_if_fail (PPD_IS_DBUS_SERVICE (self));

  g_bus_get (self->bus_type, self->cancellable, bus_got_cb, g_object_ref (self));
}

/**
 * ppd_dbus_service_begin_shutdown:
 * @self: a #PpdDbusService
 *
 * ppd is stopping: Submit is refused from now on, and the D-Bus jobs still
 * waiting for a worker are cancelled (the running ones may finish).
 */
void
ppd_dbus_service_begin_shutdown (PpdDbusService *self)
{
  guint cancelled;

  g_return_if_fail (PPD_IS_DBUS_SERVICE (self));

  self->stopping = TRUE;
  cancelled = ppd_job_table_cancel_queued (self->jobs);
  if (cancelled > 0)
    g_message ("Cancelled %u queued D-Bus job%s", cancelled, cancelled == 1 ? "" : "s");
}

/**
 * ppd_dbus_service_stop:
 * @self: a #PpdDbusService
 *
 * Leaves the bus: releases the name, unexports the object, and answers
 * the calls still waiting (WaitJob, Submit) with an error once the main
 * context runs. The last replies are flushed when @self is finalized.
 */
void
ppd_dbus_service_stop (PpdDbusService *self)
{
  g_return_if_fail (PPD_IS_DBUS_SERVICE (self));

  if (self->stopped)
    return;
  self->stopped = TRUE;
  self->stopping = TRUE;
  g_cancellable_cancel (self->cancellable);
  ppd_compile_check_shutdown (self->checker);
  g_clear_handle_id (&self->owner_id, g_bus_unown_name);
  unexport (self);
}

/* GObject --------------------------------------------------------------- */

static void
ppd_dbus_service_dispose (GObject *object)
{
  PpdDbusService *self = PPD_DBUS_SERVICE (object);

  if (self->pool != NULL)
    ppd_dbus_service_stop (self);
  if (self->connection != NULL)
    g_dbus_connection_flush_sync (self->connection, NULL, NULL);
  g_clear_object (&self->connection);
  g_clear_object (&self->checker);
  g_clear_pointer (&self->jobs, ppd_job_table_free);
  g_clear_object (&self->node);
  g_clear_object (&self->pool);
  G_OBJECT_CLASS (ppd_dbus_service_parent_class)->dispose (object);
}

static void
ppd_dbus_service_finalize (GObject *object)
{
  PpdDbusService *self = PPD_DBUS_SERVICE (object);

  for (guint i = 0; i < N_PROPERTIES; i++)
    g_clear_pointer (&self->published[i], g_variant_unref);
  g_clear_object (&self->cancellable);
  g_free (self->address);
  G_OBJECT_CLASS (ppd_dbus_service_parent_class)->finalize (object);
}

static void
ppd_dbus_service_iface_init (PpdDbusPpd1Iface *iface)
{
  iface->handle_set_workers = ppd_dbus_service_handle_set_workers;
  iface->handle_get_stats = ppd_dbus_service_handle_get_stats;
  iface->handle_list_workers = ppd_dbus_service_handle_list_workers;
  iface->handle_list_clients = ppd_dbus_service_handle_list_clients;
  iface->handle_submit = ppd_dbus_service_handle_submit;
  iface->handle_get_job = ppd_dbus_service_handle_get_job;
  iface->handle_wait_job = ppd_dbus_service_handle_wait_job;
  iface->handle_cancel_job = ppd_dbus_service_handle_cancel_job;
  iface->handle_shutdown = ppd_dbus_service_handle_shutdown;
}

static void
ppd_dbus_service_class_init (PpdDbusServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GDBusInterfaceSkeletonClass *skeleton_class = G_DBUS_INTERFACE_SKELETON_CLASS (klass);

  object_class->dispose = ppd_dbus_service_dispose;
  object_class->finalize = ppd_dbus_service_finalize;
  skeleton_class->get_vtable = ppd_dbus_service_get_vtable;

  /**
   * PpdDbusService::shutdown-requested:
   * @self: the service
   *
   * Emitted when an authorized caller asked for Shutdown(), once it has its
   * answer: ppd stops as on SIGTERM.
   */
  signals[SHUTDOWN_REQUESTED] =
    g_signal_new ("shutdown-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ppd_dbus_service_init (PpdDbusService *self)
{
  self->cancellable = g_cancellable_new ();
}

/**
 * ppd_dbus_service_new:
 * @options: ppd's resolved options (the bus, the address, job retention)
 * @pool: the node's pool
 * @node: the node's TCP front door
 *
 * Returns: (transfer full): the service, not on the bus until
 *   ppd_dbus_service_start()
 */
PpdDbusService *
ppd_dbus_service_new (PpdOptions    *options,
                      PpServer      *pool,
                      PpNodeService *node)
{
  PpdDbusService *self = g_object_new (PPD_TYPE_DBUS_SERVICE, NULL);
  const char *address = options->listen_address ? options->listen_address : "*";

  self->pool = g_object_ref (pool);
  self->node = g_object_ref (node);
  self->address = g_utf8_make_valid (address, -1);
  self->bus_type = options->system_bus ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION;
  self->max_reply_size = options->system_bus ? MAX_REPLY_SYSTEM : MAX_REPLY_SESSION;
  self->jobs = ppd_job_table_new (options->job_retention, options->max_retained_jobs);
  self->checker = ppd_compile_check_new (pp_server_get_python (pool));
  for (guint i = 0; i < N_PROPERTIES; i++)
    publish (self, i);
  return self;
}
