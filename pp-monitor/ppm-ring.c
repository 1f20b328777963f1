/* ppm-ring.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ppm-ring.h"

#include <string.h>

struct _PpmRing
{
  guint8  *data;
  gsize    elem_size;
  guint    capacity;
  guint    head;     /* index of the oldest record */
  guint    length;
  guint64  dropped;  /* records overwritten since the ring was made */
};

PpmRing *
ppm_ring_new (gsize elem_size,
              guint capacity)
{
  PpmRing *self;

  g_return_val_if_fail (elem_size > 0, NULL);
  g_return_val_if_fail (capacity > 0, NULL);

  self = g_new0 (PpmRing, 1);
  self->elem_size = elem_size;
  self->capacity = capacity;
  self->data = g_malloc0_n (capacity, elem_size);
  return self;
}

void
ppm_ring_free (PpmRing *self)
{
  if (self == NULL)
    return;
  g_free (self->data);
  g_free (self);
}

/* Returns the zeroed slot of the newest record, the oldest one's slot
 * when the ring is full. */
gpointer
ppm_ring_push (PpmRing *self)
{
  guint slot;
  gpointer ptr;

  if (self->length < self->capacity)
    {
      slot = (self->head + self->length) % self->capacity;
      self->length++;
    }
  else
    {
      slot = self->head;
      self->head = (self->head + 1) % self->capacity;
      self->dropped++;
    }
  ptr = self->data + (gsize) slot * self->elem_size;
  memset (ptr, 0, self->elem_size);
  return ptr;
}

/* @index: 0 for the oldest record. */
gpointer
ppm_ring_get (PpmRing *self,
              guint    index)
{
  g_return_val_if_fail (index < self->length, NULL);

  return self->data + (gsize) ((self->head + index) % self->capacity) * self->elem_size;
}

gpointer
ppm_ring_peek_last (PpmRing *self)
{
  return self->length ? ppm_ring_get (self, self->length - 1) : NULL;
}

guint
ppm_ring_get_length (PpmRing *self)
{
  return self->length;
}

guint
ppm_ring_get_capacity (PpmRing *self)
{
  return self->capacity;
}

guint64
ppm_ring_get_dropped (PpmRing *self)
{
  return self->dropped;
}

void
ppm_ring_clear (PpmRing *self)
{
  self->head = 0;
  self->length = 0;
}
