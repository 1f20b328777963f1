/* ppm-series.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Throughput history: one sample a second (jobs/s, busy cores), an hour
 * of them at most, in a bounded ring. */
typedef struct
{
  gint64 time;      /* µs */
  float  jobs_per_s;
  float  busy;
  float  cores;
} PpmSample;

#define PPM_SERIES_CAPACITY 3600

typedef struct _PpmSeries PpmSeries;

PpmSeries       *ppm_series_new        (guint      capacity);
void             ppm_series_free       (PpmSeries *self);
void             ppm_series_add        (PpmSeries *self,
                                        gint64     now,
                                        guint64    jobs_finished,
                                        double     busy,
                                        double     cores);
guint            ppm_series_get_length (PpmSeries *self);
const PpmSample *ppm_series_get        (PpmSeries *self,
                                        guint      index);
void             ppm_series_get_max    (PpmSeries *self,
                                        gint64     since,
                                        double    *jobs_per_s,
                                        double    *cores);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpmSeries, ppm_series_free)

G_END_DECLS
