/* ppm-ring.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A bounded ring of fixed-size records: pushing into a full ring
 * overwrites the oldest one. pp-monitor keeps all its history in these. */
typedef struct _PpmRing PpmRing;

PpmRing  *ppm_ring_new          (gsize    elem_size,
                                 guint    capacity);
void      ppm_ring_free         (PpmRing *self);
gpointer  ppm_ring_push         (PpmRing *self);
gpointer  ppm_ring_get          (PpmRing *self,
                                 guint    index);
gpointer  ppm_ring_peek_last    (PpmRing *self);
guint     ppm_ring_get_length   (PpmRing *self);
guint     ppm_ring_get_capacity (PpmRing *self);
guint64   ppm_ring_get_dropped  (PpmRing *self);
void      ppm_ring_clear        (PpmRing *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpmRing, ppm_ring_free)

G_END_DECLS
