/* ppd-job-table.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <pp-glib.h>

G_BEGIN_DECLS

#define PPD_JOB_TABLE_DEFAULT_RETENTION    3600   /* seconds */
#define PPD_JOB_TABLE_DEFAULT_MAX_FINISHED 10000

typedef struct _PpdJobTable PpdJobTable;

PpdJobTable *ppd_job_table_new               (guint         retention,
                                              guint         max_finished);
void         ppd_job_table_free              (PpdJobTable  *self);
gboolean     ppd_job_table_can_add           (PpdJobTable  *self,
                                              gsize         size,
                                              GError      **error);
guint64      ppd_job_table_add               (PpdJobTable  *self,
                                              PpJob        *job,
                                              gsize         size,
                                              guint32       owner);
PpJob       *ppd_job_table_lookup            (PpdJobTable  *self,
                                              guint64       id,
                                              guint32      *owner);
guint64      ppd_job_table_find              (PpdJobTable  *self,
                                              PpJob        *job);
guint64      ppd_job_table_finished          (PpdJobTable  *self,
                                              PpJob        *job);
guint        ppd_job_table_cancel_queued     (PpdJobTable  *self);
const char  *ppd_job_state_name              (PpJobState    state);
GVariant    *ppd_job_describe                (PpJob        *job,
                                              gsize         max_size,
                                              GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpdJobTable, ppd_job_table_free)

G_END_DECLS
