/* ppd-http-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <pp-server-job-hook-private.h>

#include "ppd-http.h"

G_BEGIN_DECLS

/* ppd over HTTP, one file per concern: ppd-http.c (the listener, the
 * limits, authentication, routing), ppd-http-api.c (the JSON endpoints and
 * the job record they read), ppd-http-events.c (the WebSocket of events),
 * ppd-http-metrics.c (Prometheus), ppd-http-page.c (the live page) and
 * ppd-http-control.c (the writes: POST /api/v1/workers). */

#define PPD_HTTP_MAX_DONE_JOBS     1000   /* finished jobs remembered */
#define PPD_HTTP_MAX_FUNCTIONS     20     /* distinct function labels in /metrics */
#define PPD_HTTP_N_BUCKETS         12

/* A string of the jobs (a function name, a group, a client), shared by
 * the records of consecutive jobs that have the same one: made valid UTF-8
 * and written as JSON once (ppd-http-api.c). */
typedef struct
{
  guint       refs;
  char       *text;        /* valid UTF-8 */
  char       *json;        /* text as a JSON string */
  gsize       json_len;
  guint64    *counts;      /* a function's in /metrics, once looked up */
} PpdHttpName;

/* A job as the job listing and the events tell it: never its source,
 * arguments, result or output. */
typedef struct
{
  guint64      id;
  PpdHttpName *function;   /* nullable */
  PpdHttpName *group;      /* nullable */
  PpdHttpName *client;     /* nullable: a D-Bus job */
  guint32      worker;     /* pid */
  PpJobState   state;
  double       started;    /* seconds since the epoch */
  double       finished;   /* 0 while running */
  double       wait_time;
  double       run_time;
} PpdHttpJob;

typedef struct
{
  /* Le: upper bounds of the buckets, seconds (the last is +Inf) */
  guint64     buckets[PPD_HTTP_N_BUCKETS];
  guint64     count;
  double      sum;
  /* function name → guint64[2] (done, failed), at most
   * PPD_HTTP_MAX_FUNCTIONS names, the others counted as "other" */
  GHashTable *functions;
} PpdHttpMetrics;

struct _PpdHttp
{
  PpServer        *pool;
  PpNodeService   *node;
  char            *address;
  guint16          port;
  char            *token;
  GTlsCertificate *certificate;
  gboolean         metrics_public;
  PpdAnnounce     *announce;       /* ppd -a, or NULL: the status's name */

  SoupServer      *server;
  GSocketService  *listener;
  /* every open connection (PpdHttpConnection), and per peer address, how many */
  GHashTable      *connections;
  GHashTable      *peers;
  guint64          refused_connections;

  /* Authentication failures: counted, logged summed up */
  guint64          auth_failures;
  gint64           auth_window_start;
  guint            auth_logged;
  guint            auth_unlogged;

  /* ppd-http-api.c: running jobs (id → PpdHttpJob), the last finished
   * in a ring (done[done_next] the oldest once full), records to reuse,
   * the last string of each kind */
  GHashTable      *running;
  PpdHttpJob      *done[PPD_HTTP_MAX_DONE_JOBS];
  guint            done_next;
  guint            n_done;
  GPtrArray       *spare;
  PpdHttpName     *last_names[3];

  /* ppd-http-events.c */
  guint64          seq;
  GByteArray      *batch;      /* framed events not yet handed to the readers */
  gsize            event_start;
  guint            batch_flush;
  GPtrArray       *readers;
  guint64          readers_dropped;
  guint            workers_poll;
  char            *worker_pids;

  PpdHttpMetrics   metrics;
};

/* ppd-http.c */
GSocket    *ppd_http_message_get_socket (PpdHttp           *self,
                                         SoupServerMessage *msg);
/* A request's token: "Authorization: Bearer TOKEN", or the WebSocket
 * subprotocol "bearer.TOKEN"; NULL without one. */
char       *ppd_http_request_token      (SoupMessageHeaders *headers);
gboolean    ppd_http_token_equal        (const char        *a,
                                         const char        *b);
/* A browser's Origin (a request without one is not a browser's) must be
 * this server's own: its scheme and Host. */
gboolean    ppd_http_origin_allowed     (SoupMessageHeaders *headers,
                                         gboolean           tls);
void        ppd_http_respond_json       (SoupServerMessage *msg,
                                         guint              status,
                                         char              *json);
void        ppd_http_respond_error      (SoupServerMessage *msg,
                                         guint              status,
                                         const char        *message);

/* ppd-http-api.c */
void        ppd_http_api_init           (PpdHttp           *self);
void        ppd_http_api_clear          (PpdHttp           *self);
void        ppd_http_api_job_events     (const PpServerJobEvent *events,
                                         guint              n_events,
                                         gpointer           data);
void        ppd_http_api_status         (PpdHttp           *self,
                                         SoupServerMessage *msg);
void        ppd_http_api_jobs           (PpdHttp           *self,
                                         SoupServerMessage *msg);
const char *ppd_http_name_text          (PpdHttpName       *name);
/* The query of GET /api/v1/jobs (NULL: none): @state is a static string */
gboolean    ppd_http_api_parse_jobs_query (const char      *query,
                                           const char     **state,
                                           guint           *limit,
                                           const char     **problem);
void        ppd_http_job_free           (PpdHttpJob        *job);

/* ppd-http-events.c */
void        ppd_http_events_init        (PpdHttp           *self);
void        ppd_http_events_clear       (PpdHttp           *self);
void        ppd_http_events_add_reader  (PpdHttp           *self,
                                         GIOStream         *stream,
                                         GSocket           *socket,
                                         GSocketAddress    *remote);
void        ppd_http_events_job_started (PpdHttp           *self,
                                         PpdHttpJob        *job);
void        ppd_http_events_job_finished (PpdHttp          *self,
                                         PpdHttpJob        *job);
void        ppd_http_events_client      (PpdHttp           *self,
                                         const char        *type,
                                         const char        *address,
                                         const char        *reason);
void        ppd_http_events_workers_changed (PpdHttp       *self);
char       *ppd_http_events_quote       (const char        *text,
                                         gsize             *len);

/* ppd-http-metrics.c */
void        ppd_http_metrics_init       (PpdHttpMetrics    *metrics);
void        ppd_http_metrics_clear      (PpdHttpMetrics    *metrics);
void        ppd_http_metrics_observe    (PpdHttpMetrics    *metrics,
                                         PpdHttpJob        *job);
void        ppd_http_metrics_serve      (PpdHttp           *self,
                                         SoupServerMessage *msg);

/* ppd-http-control.c */
gboolean    ppd_http_control_claims     (const char        *path);
gboolean    ppd_http_control_check_request (SoupServerMessage *msg);
char       *ppd_http_control_parse_workers (GBytes          *body,
                                            gint64          *workers);
void        ppd_http_control_serve      (PpdHttp           *self,
                                         SoupServerMessage *msg);

/* ppd-http-page.c */
gboolean    ppd_http_page_serve         (PpdHttp           *self,
                                         SoupServerMessage *msg,
                                         const char        *path);

G_END_DECLS
