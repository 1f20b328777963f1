/* pp-server-job-hook-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#ifdef PP_COMPILATION
# include "pp-job.h"
# include "pp-server.h"
#else
# include <pp-glib.h>
#endif

G_BEGIN_DECLS

/* For a service that watches every job of a busy server (ppd's HTTP side):
 * job started and job finished, in order, in batches, one wake-up of its
 * context per burst and no GSignal emission per job. Exported for ppd. */

typedef struct
{
  PpJob    *job;        /* a reference, dropped after the callback */
  gint64    time;       /* g_get_monotonic_time() when it started or finished */
  double    wait_time;  /* seconds it was queued */
  double    run_time;   /* finished: seconds it ran (as pp_job_get_run_time()) */
  guint32   pid;        /* started: the worker's pid, 0 on a remote node */
  gboolean  started;    /* else finished */
  PpJobState state;     /* finished: how (started: RUNNING) */
} PpServerJobEvent;

/* @events are the server's: valid during the call only. */
typedef void (*PpServerJobEventsFunc) (const PpServerJobEvent *events,
                                       guint                   n_events,
                                       gpointer                user_data);

/* Hands every job event of @self to @func on @context (NULL: the default
 * one), in batches. Unset with @func %NULL, from @context, never from
 * @func itself. One hook per server. */
_PP_EXTERN
void       _pp_server_set_job_events_func (PpServer              *self,
                                           GMainContext          *context,
                                           PpServerJobEventsFunc  func,
                                           gpointer               user_data);

/* The jobs queued on @self (waiting for a worker or node), the next
 * first, at most @max of them. */
_PP_EXTERN
GPtrArray *_pp_server_list_queued_jobs    (PpServer              *self,
                                           guint                  max) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
