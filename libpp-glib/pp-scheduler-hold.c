/* pp-scheduler-hold.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Held groups: the queued jobs of a group that must not be handed out for
 * now (a node service's client that does not read its results) wait aside,
 * in order, and go back into the queue, in order, when the group is let go.
 * While no group is held this costs one pointer test per job. */

#include "config.h"

#include <string.h>

#include "pp-scheduler-private.h"

static GQueue *
held_queue (PpScheduler *self,
            const char  *group)
{
  if (G_LIKELY (self->held == NULL))
    return NULL;
  return g_hash_table_lookup (self->held, group);
}

static int
compare_ids (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  guint64 x = pp_job_get_id ((PpJob *) a);
  guint64 y = pp_job_get_id ((PpJob *) b);

  return x < y ? -1 : x > y;
}

static void
held_queue_free (GQueue *queue)
{
  g_queue_free_full (queue, g_object_unref);
}

gboolean
_pp_scheduler_is_held_locked (PpScheduler *self,
                              const char  *group)
{
  return held_queue (self, group) != NULL;
}

void
_pp_scheduler_enqueue_locked (PpScheduler *self,
                              PpJob       *job)
{
  GQueue *held = held_queue (self, pp_job_get_group (job));

  g_queue_push_tail (held ? held : &self->queue, job);
}

void
_pp_scheduler_requeue_locked (PpScheduler *self,
                              PpJob       *job)
{
  GQueue *held = held_queue (self, pp_job_get_group (job));

  g_queue_push_head (held ? held : &self->queue, job);
}

void
_pp_scheduler_hold_job_locked (PpScheduler *self,
                               PpJob       *job)
{
  GQueue *held = held_queue (self, pp_job_get_group (job));

  g_assert (held != NULL);
  g_queue_insert_sorted (held, job, compare_ids, NULL);
}

gboolean
_pp_scheduler_hold_locked (PpScheduler *self,
                           const char  *group)
{
  GQueue *held;
  GList *next;

  if (held_queue (self, group) != NULL)
    return FALSE;
  if (self->held == NULL)
    self->held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) held_queue_free);
  held = g_queue_new ();
  g_hash_table_insert (self->held, g_strdup (group), held);
  for (GList *l = self->queue.head; l != NULL; l = next)
    {
      PpJob *job = l->data;

      next = l->next;
      if (strcmp (pp_job_get_group (job), group) != 0)
        continue;
      g_queue_unlink (&self->queue, l);
      if (pp_job_is_finished (job))
        {
          _pp_scheduler_release_locked (self, job);
          g_list_free_1 (l);
        }
      else
        g_queue_push_tail_link (held, l);
    }
  return TRUE;
}

/* Back into the queue by id (the queue is in order of submission, but
 * for the jobs given back at its front): each before the first later one,
 * so that the group's own order stays. */
gboolean
_pp_scheduler_let_go_locked (PpScheduler *self,
                             const char  *group)
{
  g_autofree char *key = NULL;
  GQueue *held = NULL;
  GList *at = NULL;
  gboolean any = FALSE;

  if (self->held == NULL ||
      !g_hash_table_steal_extended (self->held, group, (gpointer *) &key, (gpointer *) &held))
    return FALSE;
  at = self->queue.head;
  for (PpJob *job; (job = g_queue_pop_head (held)) != NULL; )
    {
      if (pp_job_is_finished (job))
        {
          _pp_scheduler_release_locked (self, job);
          continue;
        }
      while (at != NULL && pp_job_get_id (at->data) < pp_job_get_id (job))
        at = at->next;
      if (at == NULL)
        g_queue_push_tail (&self->queue, job);
      else
        g_queue_insert_before (&self->queue, at, job);
      any = TRUE;
    }
  g_queue_free (held);
  if (g_hash_table_size (self->held) == 0)
    g_clear_pointer (&self->held, g_hash_table_unref);
  return any;
}

/* A cancelled job leaves its group's held jobs: whether it was there (the
 * queue's reference is the caller's now). */
gboolean
_pp_scheduler_unhold_job_locked (PpScheduler *self,
                                 PpJob       *job)
{
  GQueue *held = held_queue (self, pp_job_get_group (job));

  return held != NULL && g_queue_remove (held, job);
}

/* Every held job, appended to @jobs (with the references); no group is
 * held any more. */
void
_pp_scheduler_take_held_locked (PpScheduler *self,
                                GQueue      *jobs)
{
  GHashTableIter iter;
  GQueue *held;

  if (self->held == NULL)
    return;
  g_hash_table_iter_init (&iter, self->held);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &held))
    for (PpJob *job; (job = g_queue_pop_head (held)) != NULL; )
      g_queue_push_tail (jobs, job);
  g_clear_pointer (&self->held, g_hash_table_unref);
}

guint
_pp_scheduler_count_held_locked (PpScheduler *self)
{
  GHashTableIter iter;
  GQueue *held;
  guint n = 0;

  if (self->held == NULL)
    return 0;
  g_hash_table_iter_init (&iter, self->held);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &held))
    for (GList *l = held->head; l != NULL; l = l->next)
      n += !pp_job_is_finished (l->data);
  return n;
}
