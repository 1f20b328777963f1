/* pp-node-service-status.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "pp-json-builder-private.h"
#include "pp-node-client-private.h"
#include "pp-node-service-private.h"
#include "pp-version.h"

/* A node's state as one JSON document, the "node" of
 * docs/status.schema.json (version 1): what ppd serves over HTTP
 * (GET /api/v1/status) and D-Bus (GetStatus), built once here so that both
 * say the same. Also the jobs of the TCP clients, for ppd's job listing. */

#define STATUS_VERSION 1
static GQuark
peer_quark (void)
{
  static gsize quark;

  if (g_once_init_enter (&quark))
    g_once_init_leave (&quark, g_quark_from_static_string ("pp-node-service-peer"));
  return (GQuark) quark;
}

void
_pp_node_service_mark_job (PpJob      *job,
                           const char *peer)
{
  g_object_set_qdata_full (G_OBJECT (job), peer_quark (), g_utf8_make_valid (peer, -1), g_free);
}

void
_pp_node_service_add_closed_bytes (PpNodeService *self,
                                   PpConnection  *connection)
{
  guint64 bytes_in, bytes_out;

  _pp_connection_get_bytes (connection, &bytes_in, &bytes_out);
  self->closed_bytes_in += bytes_in;
  self->closed_bytes_out += bytes_out;
}

static void
count_bytes (PpNodeService *self,
             guint64       *bytes_in,
             guint64       *bytes_out)
{
  GHashTableIter iter;
  PpNodeClient *client;

  *bytes_in = self->closed_bytes_in;
  *bytes_out = self->closed_bytes_out;
  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, (gpointer *) &client, NULL))
    if (client->connection != NULL)
      {
        guint64 in, out;

        _pp_connection_get_bytes (client->connection, &in, &out);
        *bytes_in += in;
        *bytes_out += out;
      }
}

/* Reads a worker's CPU seconds (user and system) and resident bytes from
 * /proc; FALSE when it is gone. */
static gboolean
read_process_usage (guint32  pid,
                    double  *cpu_time,
                    gint64  *rss)
{
  g_autofree char *stat_path = g_strdup_printf ("/proc/%u/stat", pid);
  g_autofree char *statm_path = g_strdup_printf ("/proc/%u/statm", pid);
  g_autofree char *stat = NULL;
  g_autofree char *statm = NULL;
  g_auto(GStrv) fields = NULL;
  g_auto(GStrv) pages = NULL;
  const char *after_name;

  if (!g_file_get_contents (stat_path, &stat, NULL, NULL) ||
      !g_file_get_contents (statm_path, &statm, NULL, NULL))
    return FALSE;
  /* "PID (NAME) STATE PPID ...": NAME may hold spaces and parentheses. */
  after_name = strrchr (stat, ')');
  if (after_name == NULL)
    return FALSE;
  fields = g_strsplit (after_name + 1, " ", 0);
  pages = g_strsplit (statm, " ", 0);
  /* fields[0] is empty, [1] the state (field 3), utime field 14, stime 15 */
  if (g_strv_length (fields) < 15 || g_strv_length (pages) < 2)
    return FALSE;
  *cpu_time = (g_ascii_strtod (fields[12], NULL) + g_ascii_strtod (fields[13], NULL)) /
              sysconf (_SC_CLK_TCK);
  *rss = g_ascii_strtoll (pages[1], NULL, 10) * sysconf (_SC_PAGESIZE);
  return TRUE;
}

static void
add_worker (JsonBuilder *builder,
            GVariant    *worker)
{
  guint32 pid = 0;
  guint64 job = 0, jobs_done = 0;
  const char *state = "idle", *function = NULL;
  double busy_time = 0, cpu_time = 0;
  gint64 rss = 0;
  gboolean have_usage;

  g_variant_lookup (worker, "pid", "u", &pid);
  g_variant_lookup (worker, "state", "&s", &state);
  g_variant_lookup (worker, "job", "t", &job);
  g_variant_lookup (worker, "function", "&s", &function);
  g_variant_lookup (worker, "jobs-done", "t", &jobs_done);
  g_variant_lookup (worker, "busy-time", "d", &busy_time);
  have_usage = pid != 0 && read_process_usage (pid, &cpu_time, &rss);

  json_builder_begin_object (builder);
  _pp_json_add_int (builder, "pid", pid);
  _pp_json_add_string_or_null (builder, "state", state);
  json_builder_set_member_name (builder, "job");
  if (job != 0)
    json_builder_add_int_value (builder, (gint64) job);
  else
    json_builder_add_null_value (builder);
  _pp_json_add_nonempty_or_null (builder, "function", job != 0 ? function : NULL);
  _pp_json_add_int (builder, "jobs_done", (gint64) jobs_done);
  _pp_json_add_double (builder, "busy_time", busy_time);
  json_builder_set_member_name (builder, "cpu_time");
  if (have_usage)
    json_builder_add_double_value (builder, cpu_time);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "rss");
  if (have_usage)
    json_builder_add_int_value (builder, rss);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
}

/* The workers, and how many of them run a job. */
static guint
add_workers (JsonBuilder *builder,
             PpNode      *local)
{
  g_autoptr(GVariant) workers = pp_node_dup_workers (local);
  guint running = 0;

  json_builder_set_member_name (builder, "workers");
  json_builder_begin_array (builder);
  for (gsize i = 0; i < g_variant_n_children (workers); i++)
    {
      g_autoptr(GVariant) worker = g_variant_get_child_value (workers, i);
      guint64 job = 0;

      if (g_variant_lookup (worker, "job", "t", &job) && job != 0)
        running++;
      add_worker (builder, worker);
    }
  json_builder_end_array (builder);
  return running;
}

static void
add_queue (JsonBuilder   *builder,
           PpNodeService *self,
           guint          running)
{
  json_builder_set_member_name (builder, "queue");
  json_builder_begin_object (builder);
  _pp_json_add_int (builder, "queued", pp_server_get_queued_jobs (self->pool));
  _pp_json_add_int (builder, "running", running);
  json_builder_end_object (builder);
}

static void
add_counters (JsonBuilder   *builder,
              PpNodeService *self,
              PpNode        *local)
{
  guint64 bytes_in, bytes_out, jobs_done, jobs_failed;

  count_bytes (self, &bytes_in, &bytes_out);
  json_builder_set_member_name (builder, "counters");
  json_builder_begin_object (builder);
  /* pp's job count includes the jobs that raised */
  jobs_failed = pp_node_get_jobs_failed (local);
  jobs_done = pp_node_get_jobs_done (local);
  _pp_json_add_int (builder, "jobs_done", (gint64) (jobs_done - MIN (jobs_failed, jobs_done)));
  _pp_json_add_int (builder, "jobs_failed", (gint64) jobs_failed);
  _pp_json_add_double (builder, "job_time", pp_node_get_job_time (local));
  _pp_json_add_int (builder, "bytes_in", (gint64) bytes_in);
  _pp_json_add_int (builder, "bytes_out", (gint64) bytes_out);
  json_builder_end_object (builder);
}

static void
add_clients (JsonBuilder   *builder,
             PpNodeService *self)
{
  g_autoptr(GVariant) clients = pp_node_service_dup_clients (self);
  GVariantIter iter;
  const char *peer;
  guint64 jobs_done;
  double since;

  json_builder_set_member_name (builder, "clients");
  json_builder_begin_array (builder);
  g_variant_iter_init (&iter, clients);
  while (g_variant_iter_next (&iter, "(&std)", &peer, &jobs_done, &since))
    {
      g_autofree char *valid_peer = g_utf8_make_valid (peer, -1);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "address");
      json_builder_add_string_value (builder, valid_peer);
      _pp_json_add_int (builder, "jobs_done", (gint64) jobs_done);
      _pp_json_add_double (builder, "connected_since", since);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
add_header (JsonBuilder   *builder,
            PpNodeService *self,
            const char    *announce_name)
{
  _pp_json_add_string_or_null (builder, "kind", "node");
  _pp_json_add_int (builder, "version", STATUS_VERSION);
  _pp_json_add_string_or_null (builder, "library_version", PP_VERSION_S);
  _pp_json_add_int (builder, "pid", getpid ());
  _pp_json_add_double (builder, "uptime", pp_server_get_uptime (self->pool));
  _pp_json_add_nonempty_or_null (builder, "announce_name", announce_name);
  _pp_json_add_int (builder, "port", self->port);
  _pp_json_add_boolean (builder, "tls", self->certificate != NULL);
}

/**
 * pp_node_service_dup_status:
 * @self: a #PpNodeService
 * @announce_name: (nullable): the name the node announces itself under
 *   (DNS-SD), or %NULL when it does not
 *
 * Describes the node as the JSON document `"kind": "node"` of
 * `docs/status.schema.json`, version 1: its version, uptime, announce
 * name, port, the workers of its pool (pid, state, the job they run and
 * its function, jobs done, seconds busy, CPU seconds and resident bytes),
 * its queue, its counters (jobs done and failed, job time, bytes read from
 * and written to its clients) and its connected clients. Never a job's
 * source, arguments, result or output.
 *
 * Call it in the service's main context.
 *
 * Returns: (transfer full): the document, UTF-8 JSON
 *
 * Since: 0.1
 */
char *
pp_node_service_dup_status (PpNodeService *self,
                            const char    *announce_name)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GListModel) nodes = NULL;
  g_autoptr(PpNode) local = NULL;
  guint running;

  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), NULL);

  nodes = g_object_ref (pp_server_get_nodes (self->pool));
  local = g_list_model_get_item (nodes, 0);
  json_builder_begin_object (builder);
  add_header (builder, self, announce_name);
  running = add_workers (builder, local);
  add_queue (builder, self, running);
  add_counters (builder, self, local);
  add_clients (builder, self);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return _pp_json_to_string (root);
}

static int
compare_job_ids (gconstpointer a,
                 gconstpointer b)
{
  guint64 id_a = pp_job_get_id (*(PpJob * const *) a);
  guint64 id_b = pp_job_get_id (*(PpJob * const *) b);

  return id_a < id_b ? -1 : id_a > id_b;
}

/**
 * pp_node_service_list_jobs:
 * @self: a #PpNodeService
 *
 * Lists the jobs the TCP clients sent to the pool that have not finished
 * yet, queued or running, oldest first.
 *
 * Returns: (transfer container) (element-type PpJob): the jobs
 *
 * Since: 0.1
 */
GPtrArray *
pp_node_service_list_jobs (PpNodeService *self)
{
  GPtrArray *jobs = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  PpJob *job;

  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), jobs);

  g_hash_table_iter_init (&iter, self->tracked);
  while (g_hash_table_iter_next (&iter, (gpointer *) &job, NULL))
    if (!pp_job_is_finished (job))
      g_ptr_array_add (jobs, g_object_ref (job));
  g_ptr_array_sort (jobs, compare_job_ids);
  return jobs;
}

/**
 * pp_node_service_dup_job_peer:
 * @self: a #PpNodeService
 * @job: a job of the pool
 *
 * Finds which client sent @job.
 *
 * Returns: (transfer full) (nullable): the client's address ("host:port"),
 *   or %NULL when @job did not come from a TCP client (a D-Bus job)
 *
 * Since: 0.1
 */
char *
pp_node_service_dup_job_peer (PpNodeService *self,
                              PpJob         *job)
{
  g_return_val_if_fail (PP_IS_NODE_SERVICE (self), NULL);
  g_return_val_if_fail (PP_IS_JOB (job), NULL);

  return g_strdup (g_object_get_qdata (G_OBJECT (job), peer_quark ()));
}
