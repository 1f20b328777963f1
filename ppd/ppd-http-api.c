/* ppd-http-api.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ppd-http-private.h"
#include "ppd-job-table.h"

/* GET /api/v1/status: the node document of docs/status.schema.json, from
 * the library (as D-Bus GetStatus).
 *
 * GET /api/v1/jobs?state=queued|running|done&limit=N: jobs as ids,
 * functions, groups, clients and timings, never sources, arguments,
 * results or output. Queued jobs are the TCP clients' that wait (the node
 * service knows them); running and finished ones are recorded here from
 * the pool's job-started and job-finished, the last
 * PPD_HTTP_MAX_DONE_JOBS finished kept. */

#define DEFAULT_LIMIT 100
#define MAX_LIMIT     PPD_HTTP_MAX_DONE_JOBS

void
ppd_http_job_free (PpdHttpJob *job)
{
  g_free (job);  /* its strings are in the same block */
}

static double
now_seconds (void)
{
  return g_get_real_time () / (double) G_USEC_PER_SEC;
}

/* Copies @value (nullable) to @p; returns where the copy ends. */
static char *
copy_string (char       *p,
             const char *value,
             gsize       len,
             char      **copy)
{
  if (value == NULL)
    return p;
  *copy = memcpy (p, value, len + 1);
  return p + len + 1;
}

/* One allocation per job: the record and its strings after it. */
static PpdHttpJob *
job_record_new (PpdHttp *self,
                PpJob   *job)
{
  const char *function = pp_function_get_name (pp_job_get_function (job));
  const char *group = pp_job_get_group (job);
  g_autofree char *client = pp_node_service_dup_job_peer (self->node, job);
  gsize function_len = function ? strlen (function) : 0;
  gsize group_len = group ? strlen (group) : 0;
  gsize client_len = client ? strlen (client) : 0;
  PpdHttpJob *record = g_malloc0 (sizeof (PpdHttpJob) + function_len + group_len + client_len + 3);
  char *p = (char *) (record + 1);

  record->id = pp_job_get_id (job);
  p = copy_string (p, function, function_len, &record->function);
  p = copy_string (p, group, group_len, &record->group);
  copy_string (p, client, client_len, &record->client);
  record->state = pp_job_get_state (job);
  return record;
}

void
ppd_http_api_job_started (PpdHttp *self,
                          PpJob   *job,
                          guint    worker)
{
  PpdHttpJob *record = job_record_new (self, job);

  record->state = PP_JOB_STATE_RUNNING;
  record->worker = worker;
  record->started = now_seconds ();
  record->wait_time = pp_job_get_wait_time (job);
  g_hash_table_replace (self->running, &record->id, record);
  ppd_http_events_job_started (self, record);
}

/* Returns: (transfer none): the record of @job, now among the finished */
PpdHttpJob *
ppd_http_api_job_finished (PpdHttp *self,
                           PpJob   *job)
{
  guint64 id = pp_job_get_id (job);
  PpdHttpJob *record = NULL;

  if (!g_hash_table_steal_extended (self->running, &id, NULL, (gpointer *) &record))
    record = job_record_new (self, job);  /* cancelled while queued */
  record->state = pp_job_get_state (job);
  record->finished = now_seconds ();
  record->wait_time = pp_job_get_wait_time (job);
  record->run_time = pp_job_get_run_time (job);
  if (self->done.length >= PPD_HTTP_MAX_DONE_JOBS)
    {
      /* The oldest goes, its link reused. */
      GList *link = g_queue_pop_head_link (&self->done);

      ppd_http_job_free (link->data);
      link->data = record;
      g_queue_push_tail_link (&self->done, link);
    }
  else
    g_queue_push_tail (&self->done, record);
  return record;
}

static void
add_nullable_number (JsonBuilder *builder,
                     const char  *member,
                     double       value,
                     gboolean     known)
{
  json_builder_set_member_name (builder, member);
  if (known)
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_job (JsonBuilder *builder,
         PpdHttpJob  *job)
{
  gboolean finished = job->finished > 0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, (gint64) job->id);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, ppd_job_state_name (job->state));
  json_builder_set_member_name (builder, "function");
  json_builder_add_string_value (builder, job->function);
  json_builder_set_member_name (builder, "group");
  json_builder_add_string_value (builder, job->group);
  json_builder_set_member_name (builder, "client");
  if (job->client != NULL)
    json_builder_add_string_value (builder, job->client);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "worker");
  if (job->worker != 0)
    json_builder_add_int_value (builder, job->worker);
  else
    json_builder_add_null_value (builder);
  add_nullable_number (builder, "started", job->started, job->started > 0);
  add_nullable_number (builder, "finished", job->finished, finished);
  add_nullable_number (builder, "wait_time", job->wait_time, job->started > 0 || finished);
  add_nullable_number (builder, "run_time", job->run_time, finished);
  json_builder_end_object (builder);
}

static void
add_queued (PpdHttp     *self,
            JsonBuilder *builder,
            guint        limit)
{
  g_autoptr(GPtrArray) jobs = pp_node_service_list_jobs (self->node);
  guint n = 0;

  for (guint i = 0; i < jobs->len && n < limit; i++)
    {
      PpJob *job = g_ptr_array_index (jobs, i);
      PpdHttpJob *record;

      if (pp_job_get_state (job) != PP_JOB_STATE_QUEUED)
        continue;
      record = job_record_new (self, job);
      add_job (builder, record);
      ppd_http_job_free (record);
      n++;
    }
}

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  const PpdHttpJob *job_a = *(PpdHttpJob * const *) a;
  const PpdHttpJob *job_b = *(PpdHttpJob * const *) b;

  return job_a->id < job_b->id ? -1 : job_a->id > job_b->id;
}

static void
add_running (PpdHttp     *self,
             JsonBuilder *builder,
             guint        limit)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer job;

  g_hash_table_iter_init (&iter, self->running);
  while (g_hash_table_iter_next (&iter, NULL, &job))
    g_ptr_array_add (jobs, job);
  g_ptr_array_sort (jobs, compare_ids);
  for (guint i = 0; i < jobs->len && i < limit; i++)
    add_job (builder, g_ptr_array_index (jobs, i));
}

/* The newest first. */
static void
add_done (PpdHttp     *self,
          JsonBuilder *builder,
          guint        limit)
{
  guint n = 0;

  for (GList *l = self->done.tail; l != NULL && n < limit; l = l->prev, n++)
    add_job (builder, l->data);
}

gboolean
ppd_http_api_parse_jobs_query (const char  *text,
                               const char **state,
                               guint       *limit,
                               const char **problem)
{
  static const char * const states[] = { "queued", "running", "done" };
  g_autoptr(GHashTable) query = NULL;
  const char *limit_text, *asked;
  guint64 number = DEFAULT_LIMIT;

  if (text != NULL &&
      (query = g_uri_parse_params (text, -1, "&", G_URI_PARAMS_NONE, NULL)) == NULL)
    {
      *problem = "the query is malformed";
      return FALSE;
    }
  limit_text = query ? g_hash_table_lookup (query, "limit") : NULL;
  asked = query ? g_hash_table_lookup (query, "state") : NULL;
  *state = asked == NULL ? "running" : NULL;
  for (guint i = 0; asked != NULL && i < G_N_ELEMENTS (states); i++)
    if (g_str_equal (asked, states[i]))
      *state = states[i];
  if (*state == NULL)
    {
      *problem = "state must be queued, running or done";
      return FALSE;
    }
  if (limit_text != NULL &&
      !g_ascii_string_to_unsigned (limit_text, 10, 1, MAX_LIMIT, &number, NULL))
    {
      *problem = "limit must be a number from 1 to 1000";
      return FALSE;
    }
  *limit = (guint) number;
  return TRUE;
}

void
ppd_http_api_jobs (PpdHttp           *self,
                   SoupServerMessage *msg)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  GUri *uri = soup_server_message_get_uri (msg);
  const char *state, *problem = NULL;
  guint limit;

  if (!ppd_http_api_parse_jobs_query (g_uri_get_query (uri), &state, &limit, &problem))
    {
      ppd_http_respond_error (msg, SOUP_STATUS_BAD_REQUEST, problem);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, state);
  json_builder_set_member_name (builder, "jobs");
  json_builder_begin_array (builder);
  if (g_str_equal (state, "queued"))
    add_queued (self, builder, limit);
  else if (g_str_equal (state, "running"))
    add_running (self, builder, limit);
  else
    add_done (self, builder, limit);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  ppd_http_respond_json (msg, SOUP_STATUS_OK, json_to_string (root, FALSE));
}

void
ppd_http_api_status (PpdHttp           *self,
                     SoupServerMessage *msg)
{
  const char *announced = ppd_announce_get_status_name (self->announce);

  ppd_http_respond_json (msg, SOUP_STATUS_OK, pp_node_service_dup_status (self->node, announced));
}

void
ppd_http_api_init (PpdHttp *self)
{
  self->running = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                         (GDestroyNotify) ppd_http_job_free);
  g_queue_init (&self->done);
}

void
ppd_http_api_clear (PpdHttp *self)
{
  g_clear_pointer (&self->running, g_hash_table_unref);
  g_queue_clear_full (&self->done, (GDestroyNotify) ppd_http_job_free);
}
