/* ppd-dbus-properties.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ppd-dbus-properties.h"

/* What ppd tells the bus without being asked: its properties and its
 * signals, fed by the pool (PpServer) and the TCP front door
 * (PpNodeService), to which the service listens only while exported.
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
 * dropped; JobsDone and JobsFailed still count every job). They tell ids
 * and timings only, never results. */

#define TICK_INTERVAL   250  /* ms */
#define POLL_INTERVAL   5    /* s */
#define MAX_TCP_SIGNALS 100  /* per second and signal */

/* D-Bus name, GObject property of the skeleton */
static const char * const property_names[PPD_DBUS_N_PROPERTIES][2] = {
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
  { "Announced",     "announced" },
  { "AnnouncedName", "announced-name" },
  { "Discovery",     "discovery" },
};

static int
find_property (const char *name)
{
  for (guint i = 0; i < PPD_DBUS_N_PROPERTIES; i++)
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
              PpdDbusProperty property)
{
  switch (property)
    {
    case PPD_DBUS_PROP_VERSION:       return g_variant_new_string (PACKAGE_VERSION);
    case PPD_DBUS_PROP_ADDRESS:       return g_variant_new_string (self->address);
    case PPD_DBUS_PROP_PORT:          return g_variant_new_uint16 (pp_node_service_get_port (self->node));
    case PPD_DBUS_PROP_WORKERS:       return g_variant_new_uint32 (pp_server_get_ncpus (self->pool));
    case PPD_DBUS_PROP_ACTIVE_JOBS:   return g_variant_new_uint32 (count_running (self));
    case PPD_DBUS_PROP_QUEUED_JOBS:   return g_variant_new_uint32 (pp_server_get_queued_jobs (self->pool));
    case PPD_DBUS_PROP_JOBS_DONE:     return g_variant_new_uint64 (self->jobs_done);
    case PPD_DBUS_PROP_JOBS_FAILED:   return g_variant_new_uint64 (self->jobs_failed);
    case PPD_DBUS_PROP_UPTIME:        return g_variant_new_double (pp_server_get_uptime (self->pool));
    case PPD_DBUS_PROP_CLIENTS:       return g_variant_new_uint32 (pp_node_service_get_n_clients (self->node));
    case PPD_DBUS_PROP_WORKER_STATES: return build_worker_states (self);
    case PPD_DBUS_PROP_ANNOUNCED:
      return g_variant_new_boolean (self->announce && ppd_announce_get_announced (self->announce));
    case PPD_DBUS_PROP_ANNOUNCED_NAME:
      return g_variant_new_string (self->announce && ppd_announce_get_announced (self->announce)
                                   ? ppd_announce_get_name (self->announce) : "");
    case PPD_DBUS_PROP_DISCOVERY:
      return g_variant_new_string (self->announce ? ppd_announce_get_mechanism (self->announce) : "");
    case PPD_DBUS_N_PROPERTIES:
    default:                 g_assert_not_reached ();
    }
}

/* Sets the skeleton's copy of @property (whose change it announces) if
 * the value changed. */
static gboolean
publish (PpdDbusService *self,
         PpdDbusProperty property)
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

  for (guint i = 0; i < PPD_DBUS_N_PROPERTIES; i++)
    if (i != PPD_DBUS_PROP_UPTIME)
      changed |= publish (self, i);
  if (changed)
    publish (self, PPD_DBUS_PROP_UPTIME);
  return changed;
}

static gboolean
any_worker_starting (PpdDbusService *self)
{
  GVariantIter iter;
  const char *state;

  g_variant_iter_init (&iter, self->published[PPD_DBUS_PROP_WORKER_STATES]);
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

static void
announce_changed_cb (PpdAnnounce *announce,
                     gpointer     data)
{
  ppd_dbus_properties_poke (data);
}

/* ppd -a: Announced, AnnouncedName and Discovery follow @announce (NULL
 * once it is withdrawn). */
void
ppd_dbus_service_set_announce (PpdDbusService *self,
                               PpdAnnounce    *announce)
{
  if (self->announce != NULL)
    ppd_announce_set_changed_func (self->announce, NULL, NULL);
  self->announce = announce;
  if (announce != NULL)
    ppd_announce_set_changed_func (announce, announce_changed_cb, self);
  ppd_dbus_properties_poke (self);
}

/**
 * ppd_dbus_properties_poke:
 * @self: the service
 *
 * Something happened: publishes the properties soon.
 */
void
ppd_dbus_properties_poke (PpdDbusService *self)
{
  if (self->tick_source == 0 && self->exported)
    self->tick_source = g_timeout_add (TICK_INTERVAL, tick_cb, self);
}

static gboolean
poll_cb (gpointer data)
{
  ppd_dbus_properties_poke (data);
  return G_SOURCE_CONTINUE;
}

/**
 * ppd_dbus_properties_get_cb:
 *
 * The service vtable's get_property: the value now, not the one last
 * published.
 */
GVariant *
ppd_dbus_properties_get_cb (GDBusConnection  *connection,
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

/* The id a signal about @job tells: its pool id (the one Submit gave a
 * D-Bus job, @dbus_id, and the one HTTP tells); for a TCP client's job, at
 * most MAX_TCP_SIGNALS times a second (0 past that: no signal). */
static guint64
signal_job_id (PpJob            *job,
               guint64           dbus_id,
               PpdDbusRateLimit *limit)
{
  gint64 second = g_get_monotonic_time () / G_USEC_PER_SEC;

  if (dbus_id != 0)
    return dbus_id;
  if (second != limit->second)
    {
      limit->second = second;
      limit->count = 0;
    }
  return limit->count++ < MAX_TCP_SIGNALS ? pp_job_get_id (job) : 0;
}

static void
job_started_cb (PpServer *pool,
                PpJob    *job,
                guint     worker,
                gpointer  data)
{
  PpdDbusService *self = data;
  guint64 id = signal_job_id (job, ppd_job_table_find (self->jobs, job), &self->started_limit);

  if (id != 0)
    ppd_dbus_ppd1_emit_job_started (PPD_DBUS_PPD1 (self), id, worker);
  ppd_dbus_properties_poke (self);
}

static void
job_finished_cb (PpServer *pool,
                 PpJob    *job,
                 gpointer  data)
{
  PpdDbusService *self = data;
  gboolean ok = pp_job_get_state (job) == PP_JOB_STATE_DONE;
  guint64 id = signal_job_id (job, ppd_job_table_finished (self->jobs, job), &self->finished_limit);

  if (ok)
    self->jobs_done++;
  else
    self->jobs_failed++;
  if (id != 0)
    ppd_dbus_ppd1_emit_job_finished (PPD_DBUS_PPD1 (self), id, ok, pp_job_get_run_time (job));
  ppd_dbus_properties_poke (self);
}

static void
workers_changed_cb (GObject    *object,
                    GParamSpec *pspec,
                    gpointer    data)
{
  PpdDbusService *self = data;

  ppd_dbus_ppd1_emit_workers_changed (PPD_DBUS_PPD1 (self), pp_server_get_ncpus (self->pool));
  ppd_dbus_properties_poke (self);
}

static void
client_connected_cb (PpNodeService *node,
                     const char    *peer,
                     gpointer       data)
{
  g_autofree char *valid_peer = g_utf8_make_valid (peer, -1);

  ppd_dbus_ppd1_emit_client_connected (PPD_DBUS_PPD1 (data), valid_peer);
  ppd_dbus_properties_poke (data);
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
  ppd_dbus_properties_poke (data);
}

static void
activity_cb (GObject    *object,
             GParamSpec *pspec,
             gpointer    data)
{
  ppd_dbus_properties_poke (data);
}

/**
 * ppd_dbus_properties_start:
 * @self: the service, just exported
 *
 * Publishes what changed since ppd_dbus_properties_init(), and listens to
 * the pool and the TCP front door. Only while on the bus: the pool collects
 * job-started and job-finished events only for a listener.
 */
void
ppd_dbus_properties_start (PpdDbusService *self)
{
  publish_changes (self);
  g_signal_connect (self->pool, "job-started", G_CALLBACK (job_started_cb), self);
  g_signal_connect (self->pool, "job-finished", G_CALLBACK (job_finished_cb), self);
  g_signal_connect (self->pool, "notify::ncpus", G_CALLBACK (workers_changed_cb), self);
  g_signal_connect (self->node, "client-connected", G_CALLBACK (client_connected_cb), self);
  g_signal_connect (self->node, "client-disconnected", G_CALLBACK (client_disconnected_cb), self);
  g_signal_connect (self->node, "notify::n-clients", G_CALLBACK (activity_cb), self);
  g_signal_connect (self->node, "notify::active-jobs", G_CALLBACK (activity_cb), self);
  self->poll_source = g_timeout_add_seconds (POLL_INTERVAL, poll_cb, self);
}

/**
 * ppd_dbus_properties_stop:
 * @self: the service, being unexported
 *
 * Stops listening and publishing.
 */
void
ppd_dbus_properties_stop (PpdDbusService *self)
{
  g_signal_handlers_disconnect_by_data (self->pool, self);
  g_signal_handlers_disconnect_by_data (self->node, self);
  g_clear_handle_id (&self->tick_source, g_source_remove);
  g_clear_handle_id (&self->poll_source, g_source_remove);
}

/**
 * ppd_dbus_properties_init:
 * @self: a new service
 *
 * Gives the skeleton the values of all properties.
 */
void
ppd_dbus_properties_init (PpdDbusService *self)
{
  for (guint i = 0; i < PPD_DBUS_N_PROPERTIES; i++)
    publish (self, i);
}

/**
 * ppd_dbus_properties_clear:
 * @self: a service being finalized
 *
 * Drops the values last published.
 */
void
ppd_dbus_properties_clear (PpdDbusService *self)
{
  for (guint i = 0; i < PPD_DBUS_N_PROPERTIES; i++)
    g_clear_pointer (&self->published[i], g_variant_unref);
}
