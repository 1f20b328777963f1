/* test-scheduler.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <pp-glib.h>

#include "pp-job-private.h"
#include "pp-local-pool-private.h"
#include "pp-scheduler-private.h"

/* The scheduler alone, without processes: counts, the queue, dispatch
 * over nodes (fake ones here), and the one policy for the jobs a node gives
 * back. */

/* A fake node: @places places that hold up to @depth jobs each; what it is
 * handed goes into @log as "name:id". */
#define FAKE_TYPE_NODE (fake_node_get_type ())
G_DECLARE_FINAL_TYPE (FakeNode, fake_node, FAKE, NODE, PpNode)

struct _FakeNode
{
  PpNode    parent_instance;
  char     *name;
  guint     places;
  guint     depth;
  GArray   *held;            /* guint per place */
  GString  *log;
  guint     flushes;
};

G_DEFINE_FINAL_TYPE (FakeNode, fake_node, PP_TYPE_NODE)

static void
fake_node_snapshot_locked (PpNode       *node,
                           PpNodeValues *values)
{
  values->state = PP_NODE_STATE_READY;
}

static GVariant *
fake_node_dup_workers_locked (PpNode *node)
{
  return g_variant_new_array (G_VARIANT_TYPE_VARDICT, NULL, 0);
}

static guint
fake_node_count_cores_locked (PpNode *node)
{
  return FAKE_NODE (node)->places;
}

static gboolean
fake_node_take_round_locked (PpNode      *node,
                             PpScheduler *sched,
                             gboolean     idle_only)
{
  FakeNode *self = FAKE_NODE (node);
  gboolean progress = FALSE;

  for (guint i = 0; i < self->places; i++)
    {
      guint *held = &g_array_index (self->held, guint, i);
      PpJob *job;

      if ((idle_only && *held > 0) || *held >= self->depth ||
          (job = _pp_scheduler_peek_locked (sched)) == NULL)
        continue;
      _pp_scheduler_hand_out_locked (sched, job, node, NULL);
      (*held)++;
      g_string_append_printf (self->log, "%s:%" G_GUINT64_FORMAT " ", self->name,
                              pp_job_get_id (job));
      _pp_scheduler_release_locked (sched, job);
      progress = TRUE;
    }
  return progress;
}

static void
fake_node_flush_locked (PpNode *node)
{
  FAKE_NODE (node)->flushes++;
}

static void
fake_node_finalize (GObject *object)
{
  FakeNode *self = FAKE_NODE (object);

  g_free (self->name);
  g_array_unref (self->held);
  G_OBJECT_CLASS (fake_node_parent_class)->finalize (object);
}

static void
fake_node_class_init (FakeNodeClass *klass)
{
  PpNodeClass *node_class = PP_NODE_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = fake_node_finalize;
  node_class->snapshot_locked = fake_node_snapshot_locked;
  node_class->dup_workers_locked = fake_node_dup_workers_locked;
  node_class->count_cores_locked = fake_node_count_cores_locked;
  node_class->take_round_locked = fake_node_take_round_locked;
  node_class->flush_locked = fake_node_flush_locked;
}

static void
fake_node_init (FakeNode *self)
{
}

static FakeNode *
fake_node_new (const char *name,
               guint       places,
               guint       depth,
               GString    *log)
{
  FakeNode *self = g_object_new (FAKE_TYPE_NODE, NULL);

  self->name = g_strdup (name);
  self->places = places;
  self->depth = depth;
  self->held = g_array_new (FALSE, TRUE, sizeof (guint));
  g_array_set_size (self->held, places);
  self->log = log;
  return self;
}

typedef struct
{
  PpScheduler  sched;
  PpFunction  *function;
  PpNode      *node;
  PpWorker    *worker;        /* only compared, never dereferenced */
  PpWorker    *thief;
  GPtrArray   *finished;      /* jobs, in the order they finished */
} Fixture;

static void
finished_cb (PpJob    *job,
             gpointer  data)
{
  Fixture *fixture = data;

  g_ptr_array_add (fixture->finished, g_object_ref (job));
}

static void
started_cb (PpJob    *job,
            guint     pid,
            gpointer  data)
{
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  _pp_scheduler_init (&fixture->sched, started_cb, finished_cb, fixture);
  fixture->function = pp_function_new ("f", "def f():\n    return 1\n", NULL);
  fixture->node = PP_NODE (_pp_local_pool_new ());
  fixture->worker = (PpWorker *) &fixture->worker;
  fixture->thief = (PpWorker *) &fixture->thief;
  fixture->finished = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  _pp_scheduler_empty_graveyard (&fixture->sched);
  _pp_scheduler_clear (&fixture->sched);
  g_ptr_array_unref (fixture->finished);
  g_object_unref (fixture->node);
  g_object_unref (fixture->function);
}

/* Submits a job: counted, queued, the queue's reference returned. */
static PpJob *
submit_locked (Fixture    *fixture,
               const char *group)
{
  g_autoptr(GBytes) args = g_bytes_new_static ("[]", 2);
  PpJob *job = _pp_job_new (NULL, _pp_scheduler_next_id_locked (&fixture->sched),
                            fixture->function, args, PP_PAYLOAD_FORMAT_JSON, group);

  _pp_scheduler_count_job_locked (&fixture->sched, group);
  g_queue_push_tail (&fixture->sched.queue, job);
  return job;
}

/* Hands the next job to @worker, as a node does. */
static PpJob *
hand_out_locked (Fixture  *fixture,
                 PpWorker *worker)
{
  PpJob *job = _pp_scheduler_peek_locked (&fixture->sched);

  g_assert_nonnull (job);
  g_queue_pop_head (&fixture->sched.queue);
  _pp_job_set_holder (job, fixture->node, worker);
  _pp_job_set_running (job, "local");
  return job;
}

static void
test_counts_and_wait (Fixture       *fixture,
                      gconstpointer  data)
{
  PpJob *a, *b;
  g_autoptr(GError) error = NULL;

  g_mutex_lock (&fixture->sched.lock);
  a = submit_locked (fixture, "one");
  b = submit_locked (fixture, "two");
  g_assert_cmpuint (pp_job_get_id (a), ==, 1);
  g_assert_cmpuint (pp_job_get_id (b), ==, 2);
  g_mutex_unlock (&fixture->sched.lock);

  g_assert_cmpuint (_pp_scheduler_count_active (&fixture->sched, NULL), ==, 2);
  g_assert_cmpuint (_pp_scheduler_count_active (&fixture->sched, "one"), ==, 1);
  g_assert_cmpuint (_pp_scheduler_count_queued (&fixture->sched), ==, 2);
  g_assert_false (_pp_scheduler_wait_timeout (&fixture->sched, "one", 1000));

  _pp_scheduler_fail_job (&fixture->sched, a, g_error_new_literal (PP_ERROR, PP_ERROR_FAILED, "x"));
  g_assert_true (_pp_scheduler_wait_timeout (&fixture->sched, "one", 0));
  g_assert_false (_pp_scheduler_wait_timeout (&fixture->sched, NULL, 1000));
  /* Finished once: a second failure changes nothing. */
  _pp_scheduler_fail_job (&fixture->sched, a, g_error_new_literal (PP_ERROR, PP_ERROR_FAILED, "y"));
  g_assert_cmpuint (fixture->finished->len, ==, 1);
  g_assert_cmpuint (_pp_scheduler_count_queued (&fixture->sched), ==, 1);

  /* The finished job is released as the queue is read. */
  g_mutex_lock (&fixture->sched.lock);
  g_assert_true (_pp_scheduler_peek_locked (&fixture->sched) == b);
  g_assert_cmpuint (fixture->sched.queue.length, ==, 1);
  g_mutex_unlock (&fixture->sched.lock);

  _pp_scheduler_fail_job (&fixture->sched, b, g_error_new_literal (PP_ERROR, PP_ERROR_FAILED, "z"));
  g_assert_true (_pp_scheduler_wait (&fixture->sched, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fixture->finished->len, ==, 2);
  g_mutex_lock (&fixture->sched.lock);
  g_assert_null (_pp_scheduler_peek_locked (&fixture->sched));
  g_mutex_unlock (&fixture->sched.lock);
}

/* A node gives back what it held: to the front of the queue, in order,
 * before what was queued; no attempt used but by the job it was running,
 * which fails on its last attempt. Finished and stolen jobs are released. */
static void
test_take_back (Fixture       *fixture,
                gconstpointer  data)
{
  PpJob *jobs[5];
  g_autoptr(GPtrArray) held = g_ptr_array_new ();
  guint64 nfailed = 0;

  g_mutex_lock (&fixture->sched.lock);
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    jobs[i] = submit_locked (fixture, "default");
  for (guint i = 0; i < 4; i++)
    g_ptr_array_add (held, hand_out_locked (fixture, fixture->worker));
  /* jobs[2] was stolen by another worker, jobs[3] finished. */
  g_object_ref (jobs[2]);
  _pp_job_set_holder (jobs[2], fixture->node, fixture->thief);
  _pp_scheduler_fail_job_locked (&fixture->sched, jobs[3],
                                 g_error_new_literal (PP_ERROR, PP_ERROR_CANCELLED, "c"));

  /* The worker died running jobs[0]: first attempt. */
  _pp_scheduler_take_back_locked (&fixture->sched, fixture->node, fixture->worker, held, jobs[0],
                                  g_error_new_literal (PP_ERROR, PP_ERROR_WORKER_CRASHED, "1"),
                                  &nfailed);
  g_assert_cmpuint (nfailed, ==, 0);
  g_assert_cmpuint (fixture->sched.queue.length, ==, 3);
  g_assert_true (g_queue_peek_nth (&fixture->sched.queue, 0) == jobs[0]);
  g_assert_true (g_queue_peek_nth (&fixture->sched.queue, 1) == jobs[1]);
  g_assert_true (g_queue_peek_nth (&fixture->sched.queue, 2) == jobs[4]);
  g_assert_cmpint (pp_job_get_state (jobs[0]), ==, PP_JOB_STATE_QUEUED);
  g_assert_cmpuint (pp_job_get_attempts (jobs[0]), ==, 1);
  g_assert_cmpuint (pp_job_get_attempts (jobs[1]), ==, 0);
  g_assert_null (_pp_job_get_node (jobs[0]));
  /* The stolen job stays with its thief. */
  g_assert_true (_pp_job_get_worker (jobs[2]) == fixture->thief);

  /* Again, with no attempt left: it fails, counted once. */
  g_ptr_array_set_size (held, 0);
  g_ptr_array_add (held, hand_out_locked (fixture, fixture->worker));
  _pp_scheduler_take_back_locked (&fixture->sched, fixture->node, fixture->worker, held, jobs[0],
                                  g_error_new_literal (PP_ERROR, PP_ERROR_WORKER_CRASHED, "2"),
                                  &nfailed);
  g_assert_cmpuint (nfailed, ==, 1);
  g_assert_cmpint (pp_job_get_state (jobs[0]), ==, PP_JOB_STATE_FAILED);
  g_assert_cmpuint (fixture->finished->len, ==, 2);   /* jobs[3], jobs[0] */

  /* A remote node lost: nothing charged. */
  g_ptr_array_set_size (held, 0);
  g_ptr_array_add (held, hand_out_locked (fixture, NULL));
  g_ptr_array_add (held, hand_out_locked (fixture, NULL));
  _pp_scheduler_take_back_locked (&fixture->sched, fixture->node, NULL, held, NULL, NULL, &nfailed);
  g_assert_cmpuint (fixture->sched.queue.length, ==, 2);
  g_assert_true (g_queue_peek_head (&fixture->sched.queue) == jobs[1]);
  g_assert_cmpuint (pp_job_get_attempts (jobs[1]), ==, 0);

  for (PpJob *job; (job = g_queue_pop_head (&fixture->sched.queue)) != NULL;)
    {
      _pp_scheduler_fail_job_locked (&fixture->sched, job,
                                     g_error_new_literal (PP_ERROR, PP_ERROR_DESTROYED, "d"));
      _pp_scheduler_release_locked (&fixture->sched, job);
    }
  _pp_scheduler_fail_job_locked (&fixture->sched, jobs[2],
                                 g_error_new_literal (PP_ERROR, PP_ERROR_DESTROYED, "d"));
  _pp_scheduler_release_locked (&fixture->sched, jobs[2]);
  g_assert_cmpuint (_pp_scheduler_count_active_locked (&fixture->sched, NULL), ==, 0);
  g_mutex_unlock (&fixture->sched.lock);
}

/* Idle places first, then one job per place and node per round, in the
 * nodes' order, until none has room; the rest waits in the queue. */
static void
test_dispatch (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(FakeNode) a = fake_node_new ("a", 2, 2, log);
  g_autoptr(FakeNode) b = fake_node_new ("b", 1, 1, log);
  g_autoptr(GPtrArray) nodes = g_ptr_array_new ();
  PpJob *jobs[7];

  g_ptr_array_add (nodes, a);
  g_ptr_array_add (nodes, b);
  g_mutex_lock (&fixture->sched.lock);
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    jobs[i] = submit_locked (fixture, "default");
  /* A cancelled job is skipped (and released), not handed out. */
  _pp_scheduler_fail_job_locked (&fixture->sched, jobs[1],
                                 g_error_new_literal (PP_ERROR, PP_ERROR_CANCELLED, "c"));

  _pp_scheduler_dispatch_locked (&fixture->sched, nodes, TRUE);
  g_assert_cmpstr (log->str, ==, "a:1 a:3 b:4 a:5 a:6 ");
  g_assert_cmpuint (a->flushes, ==, 1);
  g_assert_cmpuint (b->flushes, ==, 1);
  g_assert_cmpuint (fixture->sched.queue.length, ==, 1);
  g_assert_true (g_queue_peek_head (&fixture->sched.queue) == jobs[6]);
  g_assert_cmpint (pp_job_get_state (jobs[0]), ==, PP_JOB_STATE_RUNNING);
  g_assert_true (_pp_job_get_node (jobs[3]) == PP_NODE (b));

  fixture->sched.nodes = nodes;
  g_assert_cmpuint (_pp_scheduler_count_cores_locked (&fixture->sched), ==, 3);
  fixture->sched.nodes = NULL;

  /* Nothing has room: nothing moves. */
  g_string_truncate (log, 0);
  _pp_scheduler_dispatch_locked (&fixture->sched, nodes, TRUE);
  g_assert_cmpstr (log->str, ==, "");

  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    _pp_scheduler_fail_job_locked (&fixture->sched, jobs[i],
                                   g_error_new_literal (PP_ERROR, PP_ERROR_DESTROYED, "d"));
  _pp_scheduler_release_locked (&fixture->sched, g_queue_pop_head (&fixture->sched.queue));
  g_assert_cmpuint (_pp_scheduler_count_active_locked (&fixture->sched, NULL), ==, 0);
  g_mutex_unlock (&fixture->sched.lock);
}

/* A submitted job, queued as the server queues it: aside when its group
 * is held. */
static PpJob *
enqueue_locked (Fixture    *fixture,
                const char *group)
{
  g_autoptr(GBytes) args = g_bytes_new_static ("[]", 2);
  PpJob *job = _pp_job_new (NULL, _pp_scheduler_next_id_locked (&fixture->sched),
                            fixture->function, args, PP_PAYLOAD_FORMAT_JSON, group);

  _pp_scheduler_count_job_locked (&fixture->sched, group);
  _pp_scheduler_enqueue_locked (&fixture->sched, job);
  return job;
}

static void
assert_queue (GQueue     *queue,
              const char *expected)
{
  g_autoptr(GString) ids = g_string_new (NULL);

  for (GList *l = queue->head; l != NULL; l = l->next)
    g_string_append_printf (ids, "%" G_GUINT64_FORMAT " ", pp_job_get_id (l->data));
  g_assert_cmpstr (ids->str, ==, expected);
}

/* A held group's jobs are not handed out: its queued ones wait aside in
 * order, with those submitted or given back meanwhile; other groups' run.
 * Cancelled ones leave; letting go puts the rest back by id. */
static void
test_hold (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(FakeNode) node = fake_node_new ("n", 1, 10, log);
  g_autoptr(GPtrArray) nodes = g_ptr_array_new ();
  g_autoptr(GPtrArray) taken = g_ptr_array_new ();
  g_autoptr(GPtrArray) all = g_ptr_array_new ();
  GQueue rest = G_QUEUE_INIT;
  guint64 nfailed = 0;
  PpJob *a1, *a3, *a5;

  g_ptr_array_add (nodes, node);
  g_mutex_lock (&fixture->sched.lock);
  g_assert_false (_pp_scheduler_is_held_locked (&fixture->sched, "a"));
  a1 = enqueue_locked (fixture, "a");
  g_ptr_array_add (all, enqueue_locked (fixture, "b"));
  a3 = enqueue_locked (fixture, "a");
  g_ptr_array_add (all, enqueue_locked (fixture, "b"));
  a5 = enqueue_locked (fixture, "a");
  g_ptr_array_add (all, a1);
  g_ptr_array_add (all, a3);
  g_ptr_array_add (all, a5);
  g_ptr_array_add (taken, hand_out_locked (fixture, fixture->worker));

  g_assert_true (_pp_scheduler_hold_locked (&fixture->sched, "a"));
  g_assert_false (_pp_scheduler_hold_locked (&fixture->sched, "a"));
  g_assert_true (_pp_scheduler_is_held_locked (&fixture->sched, "a"));
  g_assert_false (_pp_scheduler_is_held_locked (&fixture->sched, "b"));
  assert_queue (&fixture->sched.queue, "2 4 ");
  g_ptr_array_add (all, enqueue_locked (fixture, "a"));
  g_ptr_array_add (all, enqueue_locked (fixture, "b"));
  assert_queue (&fixture->sched.queue, "2 4 7 ");
  assert_queue (g_hash_table_lookup (fixture->sched.held, "a"), "3 5 6 ");

  _pp_scheduler_dispatch_locked (&fixture->sched, nodes, TRUE);
  g_assert_cmpstr (log->str, ==, "n:2 n:4 n:7 ");
  g_assert_true (g_queue_is_empty (&fixture->sched.queue));

  /* Given back while held: aside, at the front. */
  _pp_scheduler_take_back_locked (&fixture->sched, fixture->node, fixture->worker, taken, NULL,
                                  NULL, &nfailed);
  assert_queue (g_hash_table_lookup (fixture->sched.held, "a"), "1 3 5 6 ");
  g_assert_cmpuint (_pp_scheduler_count_held_locked (&fixture->sched), ==, 4);
  /* Cancelled: a3 is released when it is let go, a5 leaves at once. */
  _pp_scheduler_fail_job_locked (&fixture->sched, a3,
                                 g_error_new_literal (PP_ERROR, PP_ERROR_CANCELLED, "c"));
  g_assert_cmpuint (_pp_scheduler_count_held_locked (&fixture->sched), ==, 3);
  g_assert_true (_pp_scheduler_unhold_job_locked (&fixture->sched, a5));
  g_assert_false (_pp_scheduler_unhold_job_locked (&fixture->sched, a5));
  _pp_scheduler_fail_job_locked (&fixture->sched, a5,
                                 g_error_new_literal (PP_ERROR, PP_ERROR_CANCELLED, "c"));
  _pp_scheduler_release_locked (&fixture->sched, a5);
  g_mutex_unlock (&fixture->sched.lock);
  g_assert_cmpuint (_pp_scheduler_count_queued (&fixture->sched), ==, 2);
  g_mutex_lock (&fixture->sched.lock);

  /* Let go: back among the others by id. */
  g_ptr_array_add (all, enqueue_locked (fixture, "b"));
  g_assert_true (_pp_scheduler_let_go_locked (&fixture->sched, "a"));
  g_assert_false (_pp_scheduler_let_go_locked (&fixture->sched, "a"));
  g_assert_null (fixture->sched.held);
  assert_queue (&fixture->sched.queue, "1 6 8 ");
  g_assert_cmpint (pp_job_get_state (a1), ==, PP_JOB_STATE_QUEUED);

  /* Held jobs are not lost when the server goes. */
  g_assert_true (_pp_scheduler_hold_locked (&fixture->sched, "b"));
  assert_queue (&fixture->sched.queue, "1 6 ");
  _pp_scheduler_take_held_locked (&fixture->sched, &rest);
  g_assert_null (fixture->sched.held);
  assert_queue (&rest, "8 ");

  for (PpJob *job; (job = g_queue_pop_head (&fixture->sched.queue)) != NULL; )
    g_queue_push_tail (&rest, job);
  for (PpJob *job; (job = g_queue_pop_head (&rest)) != NULL; )
    _pp_scheduler_release_locked (&fixture->sched, job);
  for (guint i = 0; i < all->len; i++)
    _pp_scheduler_fail_job_locked (&fixture->sched, g_ptr_array_index (all, i),
                                   g_error_new_literal (PP_ERROR, PP_ERROR_DESTROYED, "d"));
  g_assert_cmpuint (_pp_scheduler_count_active_locked (&fixture->sched, NULL), ==, 0);
  g_mutex_unlock (&fixture->sched.lock);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/scheduler/counts-and-wait", Fixture, NULL, fixture_setup, test_counts_and_wait,
              fixture_teardown);
  g_test_add ("/scheduler/dispatch", Fixture, NULL, fixture_setup, test_dispatch,
              fixture_teardown);
  g_test_add ("/scheduler/take-back", Fixture, NULL, fixture_setup, test_take_back,
              fixture_teardown);
  g_test_add ("/scheduler/hold", Fixture, NULL, fixture_setup, test_hold,
              fixture_teardown);

  return g_test_run ();
}
