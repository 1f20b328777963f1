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
 * results or output. Queued jobs are the pool's (TCP clients' and D-Bus
 * jobs alike), read from its queue when asked; running and finished ones
 * are recorded here from the pool's batched job events (no GSignal per
 * job), the last PPD_HTTP_MAX_DONE_JOBS finished kept in a ring. A record
 * dropped from the ring is reused for the next job, and consecutive jobs
 * share their function, group and client strings (PpdHttpName), so that
 * a busy node allocates nothing per job here. */

#define DEFAULT_LIMIT 100
#define MAX_LIMIT     PPD_HTTP_MAX_DONE_JOBS

/* Names ------------------------------------------------------------------ */

static PpdHttpName *
name_new (const char *value)
{
  PpdHttpName *name = g_new0 (PpdHttpName, 1);

  name->refs = 1;
  name->text = g_utf8_make_valid (value, -1);
  name->json = ppd_http_events_quote (name->text, &name->json_len);
  return name;
}

static PpdHttpName *
name_ref (PpdHttpName *name)
{
  if (name != NULL)
    name->refs++;
  return name;
}

static void
name_unref (PpdHttpName *name)
{
  if (name == NULL || --name->refs > 0)
    return;
  g_free (name->text);
  g_free (name->json);
  g_free (name);
}

/**
 * ppd_http_name_text:
 * @name: (nullable): a name
 *
 * Returns: (nullable): its text
 */
const char *
ppd_http_name_text (PpdHttpName *name)
{
  return name != NULL ? name->text : NULL;
}

/* @value (nullable) as a name: the last one of its kind (@kind) again if
 * it is the same, one allocation only when it changes. */
static PpdHttpName *
name_get (PpdHttp    *self,
          guint       kind,
          const char *value)
{
  PpdHttpName **last = &self->last_names[kind];

  if (value == NULL)
    return NULL;
  if (*last == NULL || strcmp ((*last)->text, value) != 0)
    {
      name_unref (*last);
      *last = name_new (value);
    }
  return name_ref (*last);
}

enum { FUNCTION_NAME, GROUP_NAME, CLIENT_NAME };

/* Records ---------------------------------------------------------------- */

static void
record_clear (PpdHttpJob *record)
{
  g_clear_pointer (&record->function, name_unref);
  g_clear_pointer (&record->group, name_unref);
  g_clear_pointer (&record->client, name_unref);
}

static void
record_free (PpdHttpJob *record)
{
  record_clear (record);
  g_free (record);
}

/* A record of @job (its state is the caller's to set): one that a
 * finished job left if there is one. */
static PpdHttpJob *
job_record_new (PpdHttp *self,
                PpJob   *job)
{
  g_autofree char *client = pp_node_service_dup_job_peer (self->node, job);
  PpdHttpJob *record;

  if (self->spare->len > 0)
    record = g_ptr_array_steal_index_fast (self->spare, self->spare->len - 1);
  else
    record = g_new (PpdHttpJob, 1);
  memset (record, 0, sizeof *record);
  record->id = pp_job_get_id (job);
  record->function = name_get (self, FUNCTION_NAME, pp_function_get_name (pp_job_get_function (job)));
  record->group = name_get (self, GROUP_NAME, pp_job_get_group (job));
  record->client = name_get (self, CLIENT_NAME, client);
  return record;
}

static void
job_started (PpdHttp                *self,
             const PpServerJobEvent *event,
             gint64                  to_real)
{
  guint64 id = pp_job_get_id (event->job);
  PpdHttpJob *record = g_hash_table_lookup (self->running, &id);

  /* Started again (its worker died): the same record. */
  if (record == NULL)
    {
      record = job_record_new (self, event->job);
      g_hash_table_insert (self->running, &record->id, record);
    }
  record->state = PP_JOB_STATE_RUNNING;
  record->worker = event->pid;
  record->started = (event->time + to_real) / (double) G_USEC_PER_SEC;
  record->wait_time = event->wait_time;
  ppd_http_events_job_started (self, record);
}

/* Keeps @record among the last finished, the oldest dropped (and its
 * record kept for the next job). */
static void
push_done (PpdHttp    *self,
           PpdHttpJob *record)
{
  PpdHttpJob *oldest = self->done[self->done_next];

  if (oldest != NULL)
    {
      record_clear (oldest);
      g_ptr_array_add (self->spare, oldest);
    }
  self->done[self->done_next] = record;
  self->done_next = (self->done_next + 1) % PPD_HTTP_MAX_DONE_JOBS;
  self->n_done = MIN (self->n_done + 1, PPD_HTTP_MAX_DONE_JOBS);
}

static void
job_finished (PpdHttp                *self,
              const PpServerJobEvent *event,
              gint64                  to_real)
{
  guint64 id = pp_job_get_id (event->job);
  PpdHttpJob *record = NULL;

  if (!g_hash_table_steal_extended (self->running, &id, NULL, (gpointer *) &record))
    record = job_record_new (self, event->job);  /* cancelled while queued */
  record->state = event->state;
  record->finished = (event->time + to_real) / (double) G_USEC_PER_SEC;
  record->wait_time = event->wait_time;
  record->run_time = event->run_time;
  push_done (self, record);
  ppd_http_metrics_observe (&self->metrics, record);
  ppd_http_events_job_finished (self, record);
}

/**
 * ppd_http_api_job_events:
 * @events: the pool's job events, in order
 * @n_events: how many
 * @data: the #PpdHttp
 *
 * Records the jobs that started and finished, counts them and tells the
 * event readers: the pool's batched hook (_pp_server_set_job_events_func()).
 */
void
ppd_http_api_job_events (const PpServerJobEvent *events,
                         guint                   n_events,
                         gpointer                data)
{
  PpdHttp *self = data;
  gint64 to_real = g_get_real_time () - g_get_monotonic_time ();

  for (guint i = 0; i < n_events; i++)
    {
      if (events[i].started)
        job_started (self, &events[i], to_real);
      else
        job_finished (self, &events[i], to_real);
    }
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
  json_builder_add_string_value (builder, ppd_http_name_text (job->function));
  json_builder_set_member_name (builder, "group");
  json_builder_add_string_value (builder, ppd_http_name_text (job->group));
  json_builder_set_member_name (builder, "client");
  if (job->client != NULL)
    json_builder_add_string_value (builder, job->client->text);
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

/* Every queued job of the pool, whichever way it came (TCP clients,
 * D-Bus), the next first. */
static void
add_queued (PpdHttp     *self,
            JsonBuilder *builder,
            guint        limit)
{
  g_autoptr(GPtrArray) jobs = _pp_server_list_queued_jobs (self->pool, limit);

  for (guint i = 0; i < jobs->len; i++)
    {
      PpdHttpJob *record = job_record_new (self, g_ptr_array_index (jobs, i));

      record->state = PP_JOB_STATE_QUEUED;
      add_job (builder, record);
      record_clear (record);
      g_ptr_array_add (self->spare, record);
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
  for (guint n = 0; n < self->n_done && n < limit; n++)
    add_job (builder, self->done[(self->done_next + PPD_HTTP_MAX_DONE_JOBS - 1 - n)
                                 % PPD_HTTP_MAX_DONE_JOBS]);
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
                                         (GDestroyNotify) record_free);
  self->spare = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);
  self->done_next = self->n_done = 0;
}

void
ppd_http_api_clear (PpdHttp *self)
{
  g_clear_pointer (&self->running, g_hash_table_unref);
  for (guint i = 0; i < PPD_HTTP_MAX_DONE_JOBS; i++)
    g_clear_pointer (&self->done[i], record_free);
  g_clear_pointer (&self->spare, g_ptr_array_unref);
  for (guint i = 0; i < G_N_ELEMENTS (self->last_names); i++)
    g_clear_pointer (&self->last_names[i], name_unref);
}
