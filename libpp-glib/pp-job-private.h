/* pp-job-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pp-job.h"
#include "pp-node.h"

G_BEGIN_DECLS

typedef struct _PpWorker PpWorker;

/* The owner of jobs (the server; a fake one in tests): one weak handle
 * shared by all its jobs (a GWeakRef per job would cost O(jobs) to drop),
 * through which a job calls back on its owner without knowing its type. */
typedef struct _PpJobOwner PpJobOwner;

typedef struct
{
  /* Called for pp_job_cancel() on an unfinished job, without the job's
   * lock: finish @job cancelled (or find it finished meanwhile) and free
   * what holds it. Returns whether this call cancelled it. */
  gboolean (*cancel) (gpointer  owner,
                      PpJob    *job);
} PpJobOwnerFuncs;

PpJobOwner *_pp_job_owner_new   (gpointer               owner,
                                 const PpJobOwnerFuncs *funcs);
PpJobOwner *_pp_job_owner_ref   (PpJobOwner            *self);
void        _pp_job_owner_unref (PpJobOwner            *self);
/* A new reference to the owner (a GObject), %NULL once it is cleared. */
gpointer    _pp_job_owner_dup   (PpJobOwner            *self);
/* The owner goes: its jobs can no longer reach it. */
void        _pp_job_owner_clear (PpJobOwner            *self);

/* How a job ended. _pp_job_finish() takes @error and @output (and sets
 * them to %NULL here); it copies the strings and refs @result. */
typedef struct
{
  PpJobState  state;              /* DONE, FAILED or CANCELLED */
  GError     *error;              /* %NULL exactly when DONE */
  const char *exception_type;
  const char *exception_message;
  const char *traceback;
  GBytes     *result;             /* the result, or the exception's bytes */
  char       *output;             /* what the function printed */
  double      run_time;           /* seconds on the worker; < 0: measured here */
} PpJobOutcome;

void      _pp_job_outcome_clear (PpJobOutcome   *outcome);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PpJobOutcome, _pp_job_outcome_clear)

PpJob    *_pp_job_new          (PpJobOwner      *owner,
                                guint64          id,
                                PpFunction      *function,
                                GBytes          *args,
                                PpPayloadFormat  format,
                                const char      *group);
GBytes   *_pp_job_get_args     (PpJob           *self);
void      _pp_job_set_running  (PpJob           *self,
                                const char      *node);
void      _pp_job_set_queued   (PpJob           *self);
guint     _pp_job_add_attempt  (PpJob           *self);
/* Who holds the job, under the server's lock: the node it was sent to and,
 * on the local pool, the worker; %NULL when queued or answered. Neither is
 * referenced: a node or worker clears what it held before it goes. */
PpNode   *_pp_job_get_node     (PpJob           *self);
PpWorker *_pp_job_get_worker   (PpJob           *self);
void      _pp_job_set_holder   (PpJob           *self,
                                PpNode          *node,
                                PpWorker        *worker);
/* Ends the job once: the first call wins and returns %TRUE; later ones
 * (a cancelled job's late result, say) return %FALSE and drop @outcome's
 * error and output. */
gboolean  _pp_job_finish       (PpJob           *self,
                                PpJobOutcome    *outcome);
/* The outcome of a job that failed with @error (taken): FAILED, or
 * CANCELLED for %PP_ERROR_CANCELLED. */
gboolean  _pp_job_finish_error (PpJob           *self,
                                GError          *error);

/* For g_ptr_array_sort() on an array of jobs: by id, that is in order of
 * submission. */
int       _pp_job_compare_ids   (gconstpointer   a,
                                 gconstpointer   b);

G_END_DECLS
