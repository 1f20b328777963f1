/* pp-server-bus-methods.c
 *
 * A server on the session bus: its properties and its calls, answered on
 * its I/O thread. The calls (SetNcpus, AddNode, CancelGroup) are for the
 * program's own user: the bus is asked who is calling first
 * (GetConnectionUnixUser), without waiting on the thread.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <unistd.h>

#include "pp-error.h"
#include "pp-glib-resources.h"
#include "pp-server-bus-private.h"
#include "pp-server-private.h"
#include "pp-server-status-private.h"
#include "pp-version.h"

#define INTERFACE_RESOURCE "/org/ppglib/pp-glib/org.ppglib.PpClient1.xml"

/* The interface, from data/org.ppglib.PpClient1.xml (a resource). */
GDBusInterfaceInfo *
_pp_server_bus_interface_info (void)
{
  static GDBusInterfaceInfo *info;

  if (g_once_init_enter (&info))
    {
      g_autoptr(GBytes) xml = g_resource_lookup_data (_pp_glib_get_resource (), INTERFACE_RESOURCE, 0, NULL);
      g_autoptr(GDBusNodeInfo) node = NULL;
      g_autoptr(GError) error = NULL;

      g_assert (xml != NULL);
      node = g_dbus_node_info_new_for_xml (g_bytes_get_data (xml, NULL), &error);
      g_assert_no_error (error);
      g_once_init_leave (&info, g_dbus_interface_info_ref (
        g_dbus_node_info_lookup_interface (node, PP_SERVER_BUS_INTERFACE)));
    }
  return info;
}

/* Properties ------------------------------------------------------------- */

static GVariant *
node_variant (const PpServerNodeSnapshot *node)
{
  GVariantDict dict;
  gboolean local = pp_node_get_is_local (node->node);
  const char *host = pp_node_get_host (node->node);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "name", "s", pp_node_get_name (node->node));
  g_variant_dict_insert (&dict, "local", "b", local);
  g_variant_dict_insert (&dict, "discovered", "b", pp_node_get_discovered (node->node));
  g_variant_dict_insert (&dict, "host", "s", !local && host != NULL ? host : "");
  g_variant_dict_insert (&dict, "port", "u", local ? 0 : pp_node_get_port (node->node));
  g_variant_dict_insert (&dict, "tls", "b", pp_node_get_tls (node->node));
  g_variant_dict_insert (&dict, "state", "s", _pp_server_state_nick (node->values.state));
  g_variant_dict_insert (&dict, "ncpus", "u", node->values.ncpus);
  g_variant_dict_insert (&dict, "busy", "u", node->values.busy);
  g_variant_dict_insert (&dict, "held", "u", node->values.held);
  g_variant_dict_insert (&dict, "jobs-done", "t", node->values.jobs_done);
  g_variant_dict_insert (&dict, "jobs-failed", "t", node->values.jobs_failed);
  g_variant_dict_insert (&dict, "job-time", "d", node->values.job_time);
  g_variant_dict_insert (&dict, "last-error", "s", node->values.last_error ? node->values.last_error : "");
  return g_variant_dict_end (&dict);
}

static GVariant *
queue_variant (const PpServerSnapshot *snapshot)
{
  GVariantBuilder groups;

  g_variant_builder_init (&groups, G_VARIANT_TYPE ("a(su)"));
  for (guint i = 0; i < snapshot->groups->len; i++)
    {
      const PpServerGroupSnapshot *group = &g_array_index (snapshot->groups, PpServerGroupSnapshot, i);

      g_variant_builder_add (&groups, "(su)", group->group, group->active);
    }
  return g_variant_new ("(uua(su))", snapshot->queued, snapshot->running, &groups);
}

/* The Nodes property (and, for signalling changes, Ncpus and Queue at
 * the same moment). */
GVariant *
_pp_server_bus_dup_nodes (PpServer  *server,
                          guint     *ncpus,
                          GVariant **queue)
{
  PpServerSnapshot snapshot;
  GVariantBuilder nodes;

  _pp_server_snapshot_init (&snapshot, server);
  g_variant_builder_init (&nodes, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < snapshot.nodes->len; i++)
    g_variant_builder_add_value (&nodes, node_variant (&g_array_index (snapshot.nodes, PpServerNodeSnapshot, i)));
  if (ncpus != NULL)
    *ncpus = snapshot.ncpus;
  if (queue != NULL)
    *queue = g_variant_ref_sink (queue_variant (&snapshot));
  _pp_server_snapshot_clear (&snapshot);
  return g_variant_ref_sink (g_variant_builder_end (&nodes));
}

static GVariant *
stats_variant (PpServer *server)
{
  g_autoptr(GPtrArray) stats = pp_server_list_stats (server);
  GVariantBuilder rows;

  g_variant_builder_init (&rows, G_VARIANT_TYPE ("a(sutddu)"));
  for (guint i = 0; i < stats->len; i++)
    {
      PpNodeStats *row = g_ptr_array_index (stats, i);

      g_variant_builder_add (&rows, "(sutddu)", pp_node_stats_get_name (row), pp_node_stats_get_ncpus (row),
                             pp_node_stats_get_njobs (row), pp_node_stats_get_time (row),
                             pp_node_stats_get_time_per_job (row), pp_node_stats_get_active_jobs (row));
    }
  return g_variant_builder_end (&rows);
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
  PpServerBus *self = user_data;
  PpServer *server = self->server;

  if (g_str_equal (property_name, "Program"))
    return g_variant_new_string (g_get_prgname () ? g_get_prgname () : "");
  if (g_str_equal (property_name, "Pid"))
    return g_variant_new_uint32 (getpid ());
  if (g_str_equal (property_name, "LibraryVersion"))
    return g_variant_new_string (PP_VERSION_S);
  if (g_str_equal (property_name, "Uptime"))
    return g_variant_new_double (pp_server_get_uptime (server));
  if (g_str_equal (property_name, "Ncpus"))
    return g_variant_new_uint32 (pp_server_get_ncpus (server));
  if (g_str_equal (property_name, "Nodes"))
    return _pp_server_bus_dup_nodes (server, NULL, NULL);
  if (g_str_equal (property_name, "Queue"))
    {
      PpServerSnapshot snapshot;
      GVariant *queue;

      _pp_server_snapshot_init (&snapshot, server);
      queue = queue_variant (&snapshot);
      _pp_server_snapshot_clear (&snapshot);
      return queue;
    }
  if (g_str_equal (property_name, "Stats"))
    return stats_variant (server);
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_take_string (pp_server_dup_status (server));
  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "No property %s", property_name);
  return NULL;
}

/* Methods ---------------------------------------------------------------- */

static void
set_ncpus (PpServer              *server,
           GDBusMethodInvocation *invocation)
{
  gint32 ncpus;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(i)", &ncpus);
  if (ncpus < -1 || ncpus > 4096)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "ncpus must be between -1 (one per processor) and 4096, not %d",
                                             ncpus);
      return;
    }
  pp_server_set_ncpus (server, ncpus);
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
add_node (PpServer              *server,
          GDBusMethodInvocation *invocation)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PpNode) node = NULL;
  const char *address;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(&s)", &address);
  node = pp_server_add_node (server, address, &error);
  if (node == NULL)
    g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR,
                                                   g_error_matches (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT)
                                                   ? G_DBUS_ERROR_INVALID_ARGS : G_DBUS_ERROR_FAILED,
                                                   error->message);
  else
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(s)", pp_node_get_name (node)));
}

/* Every unfinished job of @group: queued, or held by a node. */
static GPtrArray *
collect_group (PpServer   *server,
               const char *group)
{
  GPtrArray *jobs = g_ptr_array_new_with_free_func (g_object_unref);

  g_mutex_lock (&server->sched.lock);
  for (GList *l = server->sched.queue.head; l != NULL; l = l->next)
    if (!pp_job_is_finished (l->data) && g_str_equal (pp_job_get_group (l->data), group))
      g_ptr_array_add (jobs, g_object_ref (l->data));
  _pp_local_pool_collect_group_locked (server->pool, group, jobs);
  for (guint i = 0; i < server->remotes->len; i++)
    {
      PpRemoteNode *remote = g_ptr_array_index (server->remotes, i);
      GHashTableIter iter;
      gpointer job;

      g_hash_table_iter_init (&iter, remote->in_flight);
      while (g_hash_table_iter_next (&iter, NULL, &job))
        if (!pp_job_is_finished (job) && g_str_equal (pp_job_get_group (job), group))
          g_ptr_array_add (jobs, g_object_ref (job));
    }
  g_mutex_unlock (&server->sched.lock);
  return jobs;
}

static void
cancel_group (PpServer              *server,
              GDBusMethodInvocation *invocation)
{
  g_autoptr(GPtrArray) jobs = NULL;
  const char *group;
  guint cancelled = 0;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(&s)", &group);
  jobs = collect_group (server, group);
  for (guint i = 0; i < jobs->len; i++)
    cancelled += pp_job_cancel (g_ptr_array_index (jobs, i));
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", cancelled));
}

static void
dispatch (PpServerBus           *self,
          GDBusMethodInvocation *invocation)
{
  const char *method = g_dbus_method_invocation_get_method_name (invocation);

  if (g_str_equal (method, "SetNcpus"))
    set_ncpus (self->server, invocation);
  else if (g_str_equal (method, "AddNode"))
    add_node (self->server, invocation);
  else if (g_str_equal (method, "CancelGroup"))
    cancel_group (self->server, invocation);
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                           "No method %s", method);
}

typedef struct
{
  PpServerBus           *bus;
  GDBusMethodInvocation *invocation;
} Call;

static void
call_free (Call *call)
{
  g_atomic_int_dec_and_test (&call->bus->pending_calls);
  _pp_server_bus_unref (call->bus);
  g_clear_object (&call->invocation);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

/* The bus told who is calling: the same user may. */
static void
caller_uid_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean stopped;
  guint32 uid;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  g_mutex_lock (&call->bus->lock);
  stopped = call->bus->stopped;
  g_mutex_unlock (&call->bus->lock);
  if (stopped)
    {
      g_dbus_method_invocation_return_error_literal (g_steal_pointer (&call->invocation), PP_ERROR,
                                                     PP_ERROR_DESTROYED, "The job server was destroyed");
      return;
    }
  if (reply == NULL)
    {
      g_dbus_method_invocation_return_error (g_steal_pointer (&call->invocation), G_DBUS_ERROR,
                                             G_DBUS_ERROR_ACCESS_DENIED, "Cannot tell who is calling: %s",
                                             error->message);
      return;
    }
  g_variant_get (reply, "(u)", &uid);
  if (uid != geteuid ())
    g_dbus_method_invocation_return_error (g_steal_pointer (&call->invocation), G_DBUS_ERROR,
                                           G_DBUS_ERROR_ACCESS_DENIED,
                                           "Only uid %u may change this pp program; you are uid %u",
                                           (guint) geteuid (), (guint) uid);
  else
    dispatch (call->bus, g_steal_pointer (&call->invocation));
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
  PpServerBus *self = user_data;
  Call *call;

  if (sender == NULL)
    {
      g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                                                     "Cannot tell who is calling");
      return;
    }
  call = g_new0 (Call, 1);
  call->bus = _pp_server_bus_ref (self);
  call->invocation = invocation;
  g_atomic_int_inc (&self->pending_calls);
  g_dbus_connection_call (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "GetConnectionUnixUser", g_variant_new ("(s)", sender),
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, caller_uid_cb, call);
}

const GDBusInterfaceVTable _pp_server_bus_vtable = {
  method_call_cb,
  get_property_cb,
  NULL,
  { NULL }
};
