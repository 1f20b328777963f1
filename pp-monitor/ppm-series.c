/* ppm-series.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ppm-series.h"
#include "ppm-ring.h"

struct _PpmSeries
{
  PpmRing *ring;
  gint64   last_time;
  guint64  last_jobs;
  gboolean primed;
};

PpmSeries *
ppm_series_new (guint capacity)
{
  PpmSeries *self = g_new0 (PpmSeries, 1);

  self->ring = ppm_ring_new (sizeof (PpmSample), capacity);
  return self;
}

void
ppm_series_free (PpmSeries *self)
{
  if (self == NULL)
    return;
  ppm_ring_free (self->ring);
  g_free (self);
}

/* @jobs_finished: a running total; the rate is its change since the last
 * call. The first call only primes it; a total that went down (a
 * restarted source) starts over. */
void
ppm_series_add (PpmSeries *self,
                gint64     now,
                guint64    jobs_finished,
                double     busy,
                double     cores)
{
  PpmSample *sample;

  if (!self->primed || jobs_finished < self->last_jobs || now <= self->last_time)
    {
      self->primed = TRUE;
      self->last_time = now;
      self->last_jobs = jobs_finished;
      return;
    }
  sample = ppm_ring_push (self->ring);
  sample->time = now;
  sample->jobs_per_s = (jobs_finished - self->last_jobs) * G_USEC_PER_SEC
                       / (double) (now - self->last_time);
  sample->busy = busy;
  sample->cores = cores;
  self->last_time = now;
  self->last_jobs = jobs_finished;
}

guint
ppm_series_get_length (PpmSeries *self)
{
  return ppm_ring_get_length (self->ring);
}

const PpmSample *
ppm_series_get (PpmSeries *self,
                guint      index)
{
  return ppm_ring_get (self->ring, index);
}

void
ppm_series_get_max (PpmSeries *self,
                    gint64     since,
                    double    *jobs_per_s,
                    double    *cores)
{
  *jobs_per_s = 0;
  *cores = 0;
  for (guint i = ppm_ring_get_length (self->ring); i > 0; i--)
    {
      const PpmSample *s = ppm_ring_get (self->ring, i - 1);

      if (s->time < since)
        break;
      *jobs_per_s = MAX (*jobs_per_s, s->jobs_per_s);
      *cores = MAX (*cores, MAX (s->busy, s->cores));
    }
}
