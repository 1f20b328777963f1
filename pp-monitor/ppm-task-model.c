/* ppm-task-model.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ppm-task-model.h"
#include "ppm-ring.h"

#define MAX_STRING_LENGTH 200

typedef struct
{
  guint   node;    /* string index */
  guint   worker;  /* pid, 0 for a remote node's anonymous lane */
  guint64 job;     /* running job, 0 when idle */
} Lane;

typedef struct
{
  guint64 count;
  gint64  total;
} FunctionTime;

/* A remote node's anonymous lanes are capped at its cores when known: it
 * holds the jobs sent beyond them and runs them FIFO as cores free, so a
 * job started there while every lane is busy waits here. */
typedef struct
{
  guint  cores;    /* 0: unknown, no cap */
  GQueue waiting;  /* Waiting, the oldest first */
} Node;

typedef struct
{
  PpmSpan span;
  guint   node;
} Waiting;

struct _PpmTaskModel
{
  PpmRing    *finished;
  GArray     *running;    /* PpmSpan */
  GArray     *lanes;      /* Lane */
  GArray     *order;      /* row -> lane, grouped by node */
  GArray     *rows;       /* lane -> row */
  GPtrArray  *strings;    /* index -> owned string */
  GHashTable *string_ids; /* string -> index + 1 */
  GArray     *times;      /* FunctionTime per string index */
  GHashTable *nodes;      /* node string index -> Node */
  GHashTable *waiting;    /* &Waiting.span.id -> its GList link in Node.waiting */
  guint       capacity;   /* bound of the finished ring and of all waiting jobs */
  guint64     dropped_waiting;
};

static void
node_free (gpointer data)
{
  Node *node = data;

  g_queue_clear_full (&node->waiting, g_free);
  g_free (node);
}

PpmTaskModel *
ppm_task_model_new (guint capacity)
{
  PpmTaskModel *self = g_new0 (PpmTaskModel, 1);

  self->finished = ppm_ring_new (sizeof (PpmSpan), capacity);
  self->running = g_array_new (FALSE, FALSE, sizeof (PpmSpan));
  self->lanes = g_array_new (FALSE, FALSE, sizeof (Lane));
  self->order = g_array_new (FALSE, FALSE, sizeof (guint));
  self->rows = g_array_new (FALSE, FALSE, sizeof (guint));
  self->strings = g_ptr_array_new_with_free_func (g_free);
  self->string_ids = g_hash_table_new (g_str_hash, g_str_equal);
  self->times = g_array_new (FALSE, TRUE, sizeof (FunctionTime));
  self->nodes = g_hash_table_new_full (NULL, NULL, NULL, node_free);
  self->waiting = g_hash_table_new (g_int64_hash, g_int64_equal);
  self->capacity = capacity;
  /* Index 0 stands for every string beyond the table's bound. */
  g_ptr_array_add (self->strings, g_strdup ("(other)"));
  g_array_set_size (self->times, 1);
  return self;
}

void
ppm_task_model_free (PpmTaskModel *self)
{
  if (self == NULL)
    return;
  ppm_ring_free (self->finished);
  g_array_unref (self->running);
  g_array_unref (self->lanes);
  g_array_unref (self->order);
  g_array_unref (self->rows);
  g_hash_table_unref (self->string_ids);
  g_ptr_array_unref (self->strings);
  g_array_unref (self->times);
  g_hash_table_unref (self->waiting);
  g_hash_table_unref (self->nodes);
  g_free (self);
}

static guint
intern (PpmTaskModel *self,
        const char   *text)
{
  g_autofree char *copy = NULL;
  gpointer found;
  guint index;

  if (text == NULL || *text == '\0')
    text = "?";
  if ((found = g_hash_table_lookup (self->string_ids, text)))
    return GPOINTER_TO_UINT (found) - 1;
  if (self->strings->len >= PPM_TASK_MODEL_MAX_STRINGS)
    return 0;

  copy = g_utf8_make_valid (text, -1);
  if (g_utf8_strlen (copy, -1) > MAX_STRING_LENGTH)
    *g_utf8_offset_to_pointer (copy, MAX_STRING_LENGTH) = '\0';
  if ((found = g_hash_table_lookup (self->string_ids, copy)))
    return GPOINTER_TO_UINT (found) - 1;
  index = self->strings->len;
  g_ptr_array_add (self->strings, copy);
  g_hash_table_insert (self->string_ids, g_steal_pointer (&copy), GUINT_TO_POINTER (index + 1));
  g_array_set_size (self->times, self->strings->len);
  return index;
}

const char *
ppm_task_model_get_string (PpmTaskModel *self,
                           guint         index)
{
  g_return_val_if_fail (index < self->strings->len, NULL);

  return g_ptr_array_index (self->strings, index);
}

static void
insert_row (PpmTaskModel *self,
            guint         lane,
            guint         node)
{
  guint row = self->order->len;

  /* After the last lane of the same node, else at the end. */
  for (guint i = self->order->len; i > 0; i--)
    {
      guint other = g_array_index (self->order, guint, i - 1);

      if (g_array_index (self->lanes, Lane, other).node == node)
        {
          row = i;
          break;
        }
    }
  g_array_insert_val (self->order, row, lane);
  g_array_set_size (self->rows, self->order->len);
  for (guint i = row; i < self->order->len; i++)
    g_array_index (self->rows, guint, g_array_index (self->order, guint, i)) = i;
}

static guint
find_lane (PpmTaskModel *self,
           guint         node,
           guint         worker)
{
  Lane lane = { node, worker, 0 };

  for (guint i = 0; i < self->lanes->len; i++)
    {
      Lane *l = &g_array_index (self->lanes, Lane, i);

      if (l->node != node || l->worker != worker)
        continue;
      /* A named worker has one lane; anonymous lanes are taken when free. */
      if (worker != 0 || l->job == 0)
        return i;
    }
  if (self->lanes->len >= PPM_TASK_MODEL_MAX_LANES)
    return self->lanes->len - 1;
  g_array_append_val (self->lanes, lane);
  insert_row (self, self->lanes->len - 1, node);
  return self->lanes->len - 1;
}

static gint
find_running (PpmTaskModel *self,
              guint64       id)
{
  for (guint i = 0; i < self->running->len; i++)
    if (g_array_index (self->running, PpmSpan, i).id == id)
      return i;
  return -1;
}

static void
finish_at (PpmTaskModel *self,
           guint         index,
           PpmJobState   state,
           gint64        now)
{
  PpmSpan span = g_array_index (self->running, PpmSpan, index);
  PpmSpan *slot;
  Lane *lane = &g_array_index (self->lanes, Lane, span.lane);

  if (lane->job == span.id)
    lane->job = 0;
  g_array_remove_index_fast (self->running, index);
  span.end = MAX (now, span.start);
  span.state = state;
  if (state == PPM_JOB_DONE)
    {
      FunctionTime *t = &g_array_index (self->times, FunctionTime, span.function);

      t->count++;
      t->total += span.end - span.start;
    }
  slot = ppm_ring_push (self->finished);
  *slot = span;
}

static Node *
capped_node (PpmTaskModel *self,
             guint         node)
{
  Node *n = g_hash_table_lookup (self->nodes, GUINT_TO_POINTER (node));

  return n && n->cores > 0 ? n : NULL;
}

static guint
count_busy (PpmTaskModel *self,
            guint         node)
{
  guint busy = 0;

  for (guint i = 0; i < self->lanes->len; i++)
    {
      Lane *l = &g_array_index (self->lanes, Lane, i);

      busy += l->node == node && l->worker == 0 && l->job != 0;
    }
  return busy;
}

static guint
place (PpmTaskModel *self,
       PpmSpan      *span,
       guint         node,
       guint         worker,
       gint64        now)
{
  Lane *lane;
  gint existing;

  span->lane = find_lane (self, node, worker);
  lane = &g_array_index (self->lanes, Lane, span->lane);
  if (lane->job != 0 && (existing = find_running (self, lane->job)) >= 0)
    finish_at (self, existing, PPM_JOB_DONE, now);
  lane = &g_array_index (self->lanes, Lane, span->lane);
  lane->job = span->id;
  g_array_append_val (self->running, *span);
  return span->lane;
}

/* Beyond the model's capacity of waiting jobs (all nodes together) a job
 * is not kept: it counts as dropped and is never drawn. */
static guint
enqueue (PpmTaskModel  *self,
         const PpmSpan *span,
         guint          node,
         Node          *n)
{
  Waiting *w;

  if (g_hash_table_size (self->waiting) >= self->capacity)
    {
      self->dropped_waiting++;
      return PPM_TASK_MODEL_WAITING;
    }
  w = g_new (Waiting, 1);
  w->span = *span;
  w->node = node;
  g_queue_push_tail (&n->waiting, w);
  g_hash_table_insert (self->waiting, &w->span.id, n->waiting.tail);
  return PPM_TASK_MODEL_WAITING;
}

static void
remove_waiting (PpmTaskModel *self,
                Node         *n,
                GList        *link)
{
  Waiting *w = link->data;

  g_hash_table_remove (self->waiting, &w->span.id);
  g_queue_delete_link (&n->waiting, link);
  g_free (w);
}

/* The node's waiting jobs start, the oldest first, while it has a free
 * core: at @now, when the job before them ended (the node runs FIFO). */
static void
pump (PpmTaskModel *self,
      guint         node,
      gint64        now)
{
  Node *n = g_hash_table_lookup (self->nodes, GUINT_TO_POINTER (node));

  while (n && n->waiting.head && (n->cores == 0 || count_busy (self, node) < n->cores))
    {
      PpmSpan span = ((Waiting *) n->waiting.head->data)->span;

      remove_waiting (self, n, n->waiting.head);
      span.start = MAX (now, span.start);
      place (self, &span, node, 0, now);
    }
}

/* Returns the job's lane, or PPM_TASK_MODEL_WAITING for a job on a remote
 * node whose lanes (as many as its cores, when known) are all busy: it
 * waits in the node's FIFO and gets a lane when one frees. A job already
 * running or waiting is left as it is; a job started on a busy worker ends
 * the job the worker had (its finish was not seen). */
guint
ppm_task_model_job_started (PpmTaskModel *self,
                            guint64       id,
                            const char   *group,
                            const char   *function,
                            const char   *node,
                            guint         worker,
                            gint64        now)
{
  PpmSpan span = { 0, };
  gint existing = find_running (self, id);
  guint node_id;
  Node *n;

  if (existing >= 0)
    return g_array_index (self->running, PpmSpan, existing).lane;
  if (g_hash_table_contains (self->waiting, &id))
    return PPM_TASK_MODEL_WAITING;

  span.id = id;
  span.start = now;
  span.function = intern (self, function);
  span.group = intern (self, group);
  span.state = PPM_JOB_RUNNING;
  node_id = intern (self, node);
  if (worker == 0 && (n = capped_node (self, node_id)) &&
      (n->waiting.head || count_busy (self, node_id) >= n->cores))
    return enqueue (self, &span, node_id, n);
  return place (self, &span, node_id, worker, now);
}

/* FALSE when the job was not known to run (its start was missed). A job
 * that ends while it waits for a lane leaves its node's FIFO and is not
 * drawn: it never held one of the node's cores as far as the model knows
 * (cancelled while held), so a bar would overlap a busy lane and a made-up
 * run time would skew its function's mean (stuck detection). */
gboolean
ppm_task_model_job_finished (PpmTaskModel *self,
                             guint64       id,
                             PpmJobState   state,
                             gint64        now)
{
  gint index = find_running (self, id);
  GList *link;

  if (index >= 0)
    {
      Lane lane = g_array_index (self->lanes, Lane,
                                 g_array_index (self->running, PpmSpan, index).lane);

      finish_at (self, index, state, now);
      if (lane.worker == 0)
        pump (self, lane.node, now);
      return TRUE;
    }
  if ((link = g_hash_table_lookup (self->waiting, &id)) == NULL)
    return FALSE;
  remove_waiting (self, g_hash_table_lookup (self->nodes, GUINT_TO_POINTER (((Waiting *) link->data)->node)),
                  link);
  return TRUE;
}

/* A node lost: its running jobs end cancelled, its waiting ones are
 * dropped. */
void
ppm_task_model_forget_node (PpmTaskModel *self,
                            const char   *node,
                            gint64        now)
{
  guint node_id = intern (self, node);
  Node *n = g_hash_table_lookup (self->nodes, GUINT_TO_POINTER (node_id));

  while (n && n->waiting.head)
    remove_waiting (self, n, n->waiting.head);
  for (guint i = self->running->len; i > 0; i--)
    {
      PpmSpan *span = &g_array_index (self->running, PpmSpan, i - 1);

      if (g_array_index (self->lanes, Lane, span->lane).node == node_id)
        finish_at (self, i - 1, PPM_JOB_CANCELLED, now);
    }
}

/* @cores: the remote node's cores, 0 when unknown (no cap). Its anonymous
 * lanes run at most @cores jobs at once from now on; when the cap grows
 * (or goes), waiting jobs start at @now. Lanes already drawn stay. */
void
ppm_task_model_set_node_cores (PpmTaskModel *self,
                               const char   *node,
                               guint         cores,
                               gint64        now)
{
  guint node_id = intern (self, node);
  Node *n;

  /* Names beyond the string table's bound share one index: no cap. */
  if (node_id == 0)
    return;
  n = g_hash_table_lookup (self->nodes, GUINT_TO_POINTER (node_id));
  if (n == NULL)
    {
      if (cores == 0)
        return;
      n = g_new0 (Node, 1);
      g_hash_table_insert (self->nodes, GUINT_TO_POINTER (node_id), n);
    }
  n->cores = cores;
  pump (self, node_id, now);
}

guint
ppm_task_model_get_n_waiting (PpmTaskModel *self)
{
  return g_hash_table_size (self->waiting);
}

guint
ppm_task_model_get_n_lanes (PpmTaskModel *self)
{
  return self->lanes->len;
}

guint
ppm_task_model_get_lane_at_row (PpmTaskModel *self,
                                guint         row)
{
  g_return_val_if_fail (row < self->order->len, 0);

  return g_array_index (self->order, guint, row);
}

guint
ppm_task_model_get_row_of_lane (PpmTaskModel *self,
                                guint         lane)
{
  g_return_val_if_fail (lane < self->rows->len, 0);

  return g_array_index (self->rows, guint, lane);
}

const char *
ppm_task_model_get_lane_node (PpmTaskModel *self,
                              guint         lane)
{
  g_return_val_if_fail (lane < self->lanes->len, NULL);

  return ppm_task_model_get_string (self, g_array_index (self->lanes, Lane, lane).node);
}

guint
ppm_task_model_get_lane_worker (PpmTaskModel *self,
                                guint         lane)
{
  g_return_val_if_fail (lane < self->lanes->len, 0);

  return g_array_index (self->lanes, Lane, lane).worker;
}

guint
ppm_task_model_get_n_finished (PpmTaskModel *self)
{
  return ppm_ring_get_length (self->finished);
}

/* @index: 0 for the oldest kept. */
const PpmSpan *
ppm_task_model_get_finished (PpmTaskModel *self,
                             guint         index)
{
  return ppm_ring_get (self->finished, index);
}

/* Finished jobs pushed out of the ring, and jobs not kept because the
 * waiting FIFOs were full. */
guint64
ppm_task_model_get_dropped (PpmTaskModel *self)
{
  return ppm_ring_get_dropped (self->finished) + self->dropped_waiting;
}

guint
ppm_task_model_get_n_running (PpmTaskModel *self)
{
  return self->running->len;
}

const PpmSpan *
ppm_task_model_get_running (PpmTaskModel *self,
                            guint         index)
{
  g_return_val_if_fail (index < self->running->len, NULL);

  return &g_array_index (self->running, PpmSpan, index);
}

/* The mean run time (µs) of @function's successful jobs, 0 without any. */
double
ppm_task_model_get_mean_time (PpmTaskModel *self,
                              guint         function,
                              guint        *samples)
{
  FunctionTime *t;

  g_return_val_if_fail (function < self->times->len, 0);

  t = &g_array_index (self->times, FunctionTime, function);
  if (samples)
    *samples = MIN (t->count, G_MAXUINT);
  return t->count ? (double) t->total / t->count : 0;
}

/* Running jobs that run longer than @factor times their function's mean
 * (over at least 3 jobs) and longer than @min_time: possibly stuck. A job
 * of a function none of which finished yet is flagged once it runs for
 * @factor times @min_time. Returns PpmSpan copies, longest first. */
GArray *
ppm_task_model_list_stuck (PpmTaskModel *self,
                           gint64        now,
                           double        factor,
                           gint64        min_time)
{
  GArray *stuck = g_array_new (FALSE, FALSE, sizeof (PpmSpan));

  for (guint i = 0; i < self->running->len; i++)
    {
      PpmSpan *span = &g_array_index (self->running, PpmSpan, i);
      gint64 elapsed = now - span->start;
      guint samples;
      double mean = ppm_task_model_get_mean_time (self, span->function, &samples);
      double bound = samples >= 3 ? MAX (mean * factor, (double) min_time)
                                  : factor * (double) min_time;

      if ((double) elapsed > bound)
        g_array_append_val (stuck, *span);
    }
  for (guint i = 1; i < stuck->len; i++)
    for (guint j = i; j > 0; j--)
      {
        PpmSpan *a = &g_array_index (stuck, PpmSpan, j - 1);
        PpmSpan *b = &g_array_index (stuck, PpmSpan, j);
        PpmSpan tmp;

        if (a->start <= b->start)
          break;
        tmp = *a;
        *a = *b;
        *b = tmp;
      }
  return stuck;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* The median run time (µs) of the jobs that finished since @since, 0 for none. */
double
ppm_task_model_get_median_time (PpmTaskModel *self,
                                gint64        since)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint n = ppm_ring_get_length (self->finished);

  for (guint i = n; i > 0 && times->len < 2000; i--)
    {
      const PpmSpan *span = ppm_ring_get (self->finished, i - 1);
      gint64 t = span->end - span->start;

      if (span->end < since)
        break;
      g_array_append_val (times, t);
    }
  if (times->len == 0)
    return 0;
  g_array_sort (times, compare_gint64);
  return g_array_index (times, gint64, times->len / 2);
}

static void
aggregate_span (PpmTaskModel  *self,
                PpmAggregate  *agg,
                float         *longest,
                const PpmSpan *span,
                gint64         now)
{
  gint64 end = span->end ? span->end : now;
  gint64 agg_end = agg->start + agg->bucket_width * agg->n_buckets;
  guint row = ppm_task_model_get_row_of_lane (self, span->lane);
  gint64 first, last;

  if (end <= agg->start || span->start >= agg_end)
    return;
  first = (MAX (span->start, agg->start) - agg->start) / agg->bucket_width;
  last = (MIN (end, agg_end) - 1 - agg->start) / agg->bucket_width;
  if (span->start >= agg->start)
    agg->jobs[row * agg->n_buckets + first]++;
  for (gint64 b = first; b <= last; b++)
    {
      gint64 b0 = agg->start + b * agg->bucket_width;
      gint64 piece = MIN (end, b0 + agg->bucket_width) - MAX (span->start, b0);
      guint cell = row * agg->n_buckets + b;
      float share = (float) piece / agg->bucket_width;

      agg->busy[cell] = MIN (1.0f, agg->busy[cell] + share);
      if (share > longest[cell])
        {
          longest[cell] = share;
          agg->function[cell] = span->function;
        }
    }
}

/* Per lane (in display order) and per bucket of [@start, @end): how busy
 * the worker was, the function of its longest piece, the jobs started. */
PpmAggregate *
ppm_task_model_aggregate (PpmTaskModel *self,
                          gint64        start,
                          gint64        end,
                          guint         n_buckets,
                          gint64        now)
{
  PpmAggregate *agg;
  g_autofree float *longest = NULL;
  guint cells;

  g_return_val_if_fail (end > start, NULL);
  g_return_val_if_fail (n_buckets > 0, NULL);

  agg = g_new0 (PpmAggregate, 1);
  agg->n_lanes = self->lanes->len;
  agg->n_buckets = n_buckets;
  agg->start = start;
  agg->bucket_width = MAX (1, (end - start + n_buckets - 1) / n_buckets);
  cells = agg->n_lanes * n_buckets;
  agg->busy = g_new0 (float, MAX (cells, 1));
  agg->function = g_new0 (guint, MAX (cells, 1));
  agg->jobs = g_new0 (guint, MAX (cells, 1));
  longest = g_new0 (float, MAX (cells, 1));

  for (guint i = ppm_ring_get_length (self->finished); i > 0; i--)
    {
      const PpmSpan *span = ppm_ring_get (self->finished, i - 1);

      /* Finished in order: nothing older can reach the range. */
      if (span->end <= start)
        break;
      aggregate_span (self, agg, longest, span, now);
    }
  for (guint i = 0; i < self->running->len; i++)
    aggregate_span (self, agg, longest, &g_array_index (self->running, PpmSpan, i), now);
  return agg;
}

void
ppm_aggregate_free (PpmAggregate *agg)
{
  if (agg == NULL)
    return;
  g_free (agg->busy);
  g_free (agg->function);
  g_free (agg->jobs);
  g_free (agg);
}
