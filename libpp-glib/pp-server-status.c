/* pp-server-status.c
 *
 * A server's status document: what a running pp program is doing, as
 * JSON (docs/status.schema.json, "$defs/client"), the same for its bus
 * export, monitors and tests.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "pp-json-builder-private.h"
#include "pp-server-private.h"
#include "pp-server-status-private.h"
#include "pp-version.h"

/* The snapshot ----------------------------------------------------------- */

static int
compare_groups (gconstpointer a,
                gconstpointer b)
{
  return strcmp (((const PpServerGroupSnapshot *) a)->group, ((const PpServerGroupSnapshot *) b)->group);
}

static void
clear_node_snapshot (gpointer data)
{
  PpServerNodeSnapshot *node = data;

  _pp_node_values_clear (&node->values);
  g_clear_object (&node->node);
}

static void
clear_group_snapshot (gpointer data)
{
  g_free (((PpServerGroupSnapshot *) data)->group);
}

static void
read_groups_locked (PpServerSnapshot *snapshot,
                    PpServer         *self)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->sched.groups);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      PpServerGroupSnapshot group = { g_strdup (key), *(guint *) value };

      g_array_append_val (snapshot->groups, group);
    }
  g_array_sort (snapshot->groups, compare_groups);
}

/* Fills @snapshot from @self, under its lock. */
void
_pp_server_snapshot_init (PpServerSnapshot *snapshot,
                          PpServer         *self)
{
  snapshot->nodes = g_array_new (FALSE, TRUE, sizeof (PpServerNodeSnapshot));
  g_array_set_clear_func (snapshot->nodes, clear_node_snapshot);
  snapshot->groups = g_array_new (FALSE, TRUE, sizeof (PpServerGroupSnapshot));
  g_array_set_clear_func (snapshot->groups, clear_group_snapshot);

  g_mutex_lock (&self->sched.lock);
  snapshot->ncpus = self->pool->target;
  snapshot->running = 0;
  for (guint i = 0; i < self->nodes->len; i++)
    {
      PpServerNodeSnapshot node = { g_object_ref (g_ptr_array_index (self->nodes, i)) };

      _pp_node_read_locked (node.node, &node.values);
      snapshot->running += node.values.busy + node.values.held;
      g_array_append_val (snapshot->nodes, node);
    }
  /* The unfinished jobs are those the nodes run or hold, and those
   * queued: no walk through a queue of maybe 100,000 jobs under the lock,
   * which the session bus export reads ten times a second. */
  snapshot->running = MIN (snapshot->running, self->sched.active_jobs);
  snapshot->queued = self->sched.active_jobs - snapshot->running;
  read_groups_locked (snapshot, self);
  g_mutex_unlock (&self->sched.lock);
}

void
_pp_server_snapshot_clear (PpServerSnapshot *snapshot)
{
  g_clear_pointer (&snapshot->nodes, g_array_unref);
  g_clear_pointer (&snapshot->groups, g_array_unref);
}

/* The value nick of @state ("ready", "lost"...). */
const char *
_pp_server_state_nick (PpNodeState state)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (PP_TYPE_NODE_STATE);
  GEnumValue *value = g_enum_get_value (klass, state);

  return value != NULL ? value->value_nick : "unknown";
}

/* The document ----------------------------------------------------------- */

static void
add_node (JsonBuilder                *builder,
          const PpServerNodeSnapshot *node)
{
  gboolean local = pp_node_get_is_local (node->node);

  json_builder_begin_object (builder);
  _pp_json_add_string_or_null (builder, "name", pp_node_get_name (node->node));
  _pp_json_add_boolean (builder, "local", local);
  _pp_json_add_boolean (builder, "discovered", pp_node_get_discovered (node->node));
  _pp_json_add_string_or_null (builder, "host", local ? NULL : pp_node_get_host (node->node));
  _pp_json_add_int (builder, "port", local ? 0 : pp_node_get_port (node->node));
  _pp_json_add_boolean (builder, "tls", pp_node_get_tls (node->node));
  _pp_json_add_string_or_null (builder, "state", _pp_server_state_nick (node->values.state));
  _pp_json_add_int (builder, "ncpus", node->values.ncpus);
  _pp_json_add_int (builder, "busy", node->values.busy);
  _pp_json_add_int (builder, "held", node->values.held);
  _pp_json_add_int (builder, "jobs_done", node->values.jobs_done);
  _pp_json_add_int (builder, "jobs_failed", node->values.jobs_failed);
  _pp_json_add_double (builder, "job_time", node->values.job_time);
  _pp_json_add_string_or_null (builder, "last_error", node->values.last_error);
  json_builder_end_object (builder);
}

static void
add_queue (JsonBuilder            *builder,
           const PpServerSnapshot *snapshot)
{
  json_builder_set_member_name (builder, "queue");
  json_builder_begin_object (builder);
  _pp_json_add_int (builder, "queued", snapshot->queued);
  _pp_json_add_int (builder, "running", snapshot->running);
  json_builder_set_member_name (builder, "groups");
  json_builder_begin_array (builder);
  for (guint i = 0; i < snapshot->groups->len; i++)
    {
      const PpServerGroupSnapshot *group = &g_array_index (snapshot->groups, PpServerGroupSnapshot, i);

      json_builder_begin_object (builder);
      _pp_json_add_string_or_null (builder, "group", group->group);
      _pp_json_add_int (builder, "active", group->active);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static void
add_stats (JsonBuilder *builder,
           PpServer    *self)
{
  g_autoptr(GPtrArray) stats = pp_server_list_stats (self);

  json_builder_set_member_name (builder, "stats");
  json_builder_begin_array (builder);
  for (guint i = 0; i < stats->len; i++)
    {
      PpNodeStats *row = g_ptr_array_index (stats, i);

      json_builder_begin_object (builder);
      _pp_json_add_string_or_null (builder, "node", pp_node_stats_get_name (row));
      _pp_json_add_int (builder, "ncpus", pp_node_stats_get_ncpus (row));
      _pp_json_add_int (builder, "jobs", pp_node_stats_get_njobs (row));
      _pp_json_add_double (builder, "time", pp_node_stats_get_time (row));
      _pp_json_add_double (builder, "time_per_job", pp_node_stats_get_time_per_job (row));
      _pp_json_add_int (builder, "active", pp_node_stats_get_active_jobs (row));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/**
 * pp_server_dup_status:
 * @self: a #PpServer
 *
 * Describes what the server is doing, as the JSON document a monitor
 * reads (the `client` definition of `docs/status.schema.json`, version 1):
 * the program, its pid and uptime, the local workers, every node with the
 * [class@Pp.Node] figures (the local pool first), the queue per group and
 * pp's statistics ([method@Pp.Server.list_stats]):
 *
 * ```json
 * { "kind": "client", "version": 1, "library_version": "0.1.0",
 *   "program": "sum_primes.py", "pid": 1234, "uptime": 12.5, "ncpus": 2,
 *   "nodes": [ { "name": "local", "local": true, "state": "ready", ... } ],
 *   "queue": { "queued": 0, "running": 2,
 *              "groups": [ { "group": "default", "active": 2 } ] },
 *   "stats": [ { "node": "local", "ncpus": 2, "jobs": 10, "time": 1.25,
 *                "time_per_job": 0.125, "active": 2 } ] }
 * ```
 *
 * The same document is the `Status` property of the server's
 * `org.ppglib.PpClient1` object on the session bus. Thread-safe.
 *
 * Returns: (transfer full): the document, UTF-8 JSON
 *
 * Since: 0.1
 */
char *
pp_server_dup_status (PpServer *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) root = NULL;
  PpServerSnapshot snapshot;

  g_return_val_if_fail (PP_IS_SERVER (self), NULL);

  _pp_server_snapshot_init (&snapshot, self);
  json_builder_begin_object (builder);
  _pp_json_add_string_or_null (builder, "kind", "client");
  _pp_json_add_int (builder, "version", PP_STATUS_SCHEMA_VERSION);
  _pp_json_add_string_or_null (builder, "library_version", PP_VERSION_S);
  _pp_json_add_string_or_null (builder, "program", g_get_prgname ());
  _pp_json_add_int (builder, "pid", getpid ());
  _pp_json_add_double (builder, "uptime", pp_server_get_uptime (self));
  _pp_json_add_int (builder, "ncpus", snapshot.ncpus);
  json_builder_set_member_name (builder, "nodes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < snapshot.nodes->len; i++)
    add_node (builder, &g_array_index (snapshot.nodes, PpServerNodeSnapshot, i));
  json_builder_end_array (builder);
  add_queue (builder, &snapshot);
  add_stats (builder, self);
  json_builder_end_object (builder);
  _pp_server_snapshot_clear (&snapshot);

  root = json_builder_get_root (builder);
  return _pp_json_to_string (root);
}
