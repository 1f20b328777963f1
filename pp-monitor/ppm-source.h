/* ppm-source.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ppm-series.h"
#include "ppm-task-model.h"

G_BEGIN_DECLS

typedef enum
{
  PPM_SOURCE_PROGRAM,
  PPM_SOURCE_PPD,
  PPM_SOURCE_NODE,
} PpmSourceKind;

#define PPM_TYPE_SOURCE (ppm_source_get_type ())

G_DECLARE_DERIVABLE_TYPE (PpmSource, ppm_source, PPM, SOURCE, GObject)

struct _PpmSourceClass
{
  GObjectClass parent_class;

  void     (*refresh)        (PpmSource           *self);
  void     (*set_workers)    (PpmSource           *self,
                              int                  workers,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data);
  void     (*cancel_group)   (PpmSource           *self,
                              const char          *group,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data);
  void     (*add_node)       (PpmSource           *self,
                              const char          *address,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data);
  void     (*cancel_job)     (PpmSource           *self,
                              guint64              id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data);
};

PpmSourceKind  ppm_source_get_kind            (PpmSource     *self);
const char    *ppm_source_get_id              (PpmSource     *self);
const char    *ppm_source_get_title           (PpmSource     *self);
const char    *ppm_source_get_subtitle        (PpmSource     *self);
const char    *ppm_source_get_state           (PpmSource     *self);
const char    *ppm_source_get_error           (PpmSource     *self);
JsonObject    *ppm_source_get_status          (PpmSource     *self);
PpmTaskModel  *ppm_source_get_tasks           (PpmSource     *self);
PpmSeries     *ppm_source_get_series          (PpmSource     *self);
guint64        ppm_source_get_jobs_seen       (PpmSource     *self);
void           ppm_source_set_refresh_interval (PpmSource    *self,
                                               guint          msec);
void           ppm_source_refresh             (PpmSource     *self);
void           ppm_source_set_workers_async   (PpmSource           *self,
                                               int                  workers,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
void           ppm_source_cancel_group_async  (PpmSource           *self,
                                               const char          *group,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
void           ppm_source_cancel_job_async    (PpmSource           *self,
                                               guint64              id,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
void           ppm_source_add_node_async      (PpmSource           *self,
                                               const char          *address,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean       ppm_source_finish              (PpmSource     *self,
                                               GAsyncResult  *result,
                                               GError       **error);
gboolean       ppm_source_can                 (PpmSource     *self,
                                               const char    *what);

/* For the subclasses. */
void           ppm_source_set_state           (PpmSource     *self,
                                               const char    *state,
                                               const char    *error);
void           ppm_source_set_subtitle        (PpmSource     *self,
                                               const char    *subtitle);
void           ppm_source_set_title           (PpmSource     *self,
                                               const char    *title);
gboolean       ppm_source_take_status_json    (PpmSource     *self,
                                               const char    *json,
                                               GError       **error);
void           ppm_source_job_started         (PpmSource     *self,
                                               guint64        id,
                                               const char    *group,
                                               const char    *function,
                                               const char    *node,
                                               guint          worker);
void           ppm_source_job_finished        (PpmSource     *self,
                                               guint64        id,
                                               PpmJobState    state);
void           ppm_source_missed_jobs         (PpmSource     *self,
                                               guint          missed);

G_END_DECLS

G_BEGIN_DECLS

void ppm_source_dbus_call (PpmSource           *self,
                           GDBusConnection     *connection,
                           const char          *bus_name,
                           const char          *object_path,
                           const char          *interface,
                           const char          *method,
                           GVariant            *parameters,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data);

G_END_DECLS
