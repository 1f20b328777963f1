/* test-server.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include <pp-glib.h>

/* Real worker processes throughout: these tests start the Python runner. */

typedef struct
{
  PpServer *server;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->server = pp_server_new (GPOINTER_TO_INT (data), &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->server);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  pp_server_destroy (fixture->server);
  g_clear_object (&fixture->server);
}

static PpFunction *
function_new (const char *name,
              const char *source)
{
  return pp_function_new (name, source, NULL);
}

static PpJob *
submit (PpServer   *server,
        PpFunction *function,
        const char *args)
{
  g_autoptr(GError) error = NULL;
  PpJob *job = pp_server_submit_json (server, function, args, NULL, &error);

  g_assert_no_error (error);
  return job;
}

static char *
wait_result (PpJob *job)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) result = NULL;

  pp_job_wait (job, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pp_job_get_state (job), ==, PP_JOB_STATE_DONE);
  result = pp_job_dup_result (job);
  return g_strndup (g_bytes_get_data (result, NULL), g_bytes_get_size (result));
}

static void
test_server_results (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(PpFunction) add = function_new ("add", "def add(a, b):\n    return a + b\n");
  g_autoptr(PpFunction) pid = pp_function_new ("pid",
                                               "def pid(x):\n"
                                               "    time.sleep(0.05)\n"
                                               "    return [x, os.getpid()]\n",
                                               (const char *[]) { "os", "time", NULL });
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) pids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *args = g_strdup_printf ("[%u, 1000]", i);
      g_ptr_array_add (jobs, submit (fixture->server, add, args));
    }
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *result = wait_result (g_ptr_array_index (jobs, i));
      g_autofree char *expected = g_strdup_printf ("%u", i + 1000);
      g_assert_cmpstr (result, ==, expected);
    }

  /* Slow jobs are not pipelined: they spread over both workers. */
  g_ptr_array_set_size (jobs, 0);
  for (guint i = 0; i < 6; i++)
    g_ptr_array_add (jobs, submit (fixture->server, pid, "[0]"));
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *result = wait_result (g_ptr_array_index (jobs, i));
      g_autofree char *node = pp_job_dup_node (g_ptr_array_index (jobs, i));

      g_assert_cmpstr (node, ==, "local");
      g_hash_table_add (pids, g_strdup (strchr (result, ',')));
    }
  g_assert_cmpuint (g_hash_table_size (pids), ==, 2);
  g_assert_cmpuint (pp_server_get_active_jobs (fixture->server, NULL), ==, 0);
}

static void
test_server_pipelined (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(PpFunction) ident = function_new ("ident", "def ident(x):\n    return x\n");
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < 5000; i++)
    {
      g_autofree char *args = g_strdup_printf ("[%u]", i);
      g_ptr_array_add (jobs, submit (fixture->server, ident, args));
    }
  g_assert_true (pp_server_wait (fixture->server, NULL, NULL, NULL));
  for (guint i = 0; i < jobs->len; i++)
    {
      g_autofree char *result = wait_result (g_ptr_array_index (jobs, i));
      g_autofree char *expected = g_strdup_printf ("%u", i);
      g_assert_cmpstr (result, ==, expected);
    }
}

/* The function's estimated run time says "tiny" (after a warm-up), so jobs
 * are pipelined; then one turns out long. The idle worker must steal the
 * jobs queued behind it instead of leaving them stuck. */
static void
test_server_steal (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(PpFunction) nap = pp_function_new ("nap",
                                               "def nap(s):\n"
                                               "    time.sleep(s)\n"
                                               "    return os.getpid()\n",
                                               (const char *[]) { "os", "time", NULL });
  g_autoptr(GPtrArray) warm = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) shorts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PpJob) long_job = NULL;
  g_autoptr(GPtrArray) stats = NULL;
  g_autofree char *long_pid = NULL;

  for (guint i = 0; i < 50; i++)
    g_ptr_array_add (warm, submit (fixture->server, nap, "[0]"));
  pp_server_wait (fixture->server, NULL, NULL, NULL);

  long_job = submit (fixture->server, nap, "[3]");
  for (guint i = 0; i < 7; i++)
    g_ptr_array_add (shorts, submit (fixture->server, nap, "[0.05]"));
  for (guint i = 0; i < shorts->len; i++)
    g_free (wait_result (g_ptr_array_index (shorts, i)));
  g_assert_false (pp_job_is_finished (long_job));

  long_pid = wait_result (long_job);
  for (guint i = 0; i < shorts->len; i++)
    {
      g_autofree char *pid = wait_result (g_ptr_array_index (shorts, i));
      g_assert_cmpstr (pid, !=, long_pid);
    }
  g_assert_cmpuint (pp_server_get_active_jobs (fixture->server, NULL), ==, 0);
  stats = pp_server_list_stats (fixture->server);
  g_assert_cmpuint (pp_node_stats_get_njobs (g_ptr_array_index (stats, 0)), ==, 58);
}

static void
test_server_raises (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(PpFunction) boom = function_new ("boom",
                                             "def boom(x):\n"
                                             "    print('about to fail')\n"
                                             "    raise ValueError('bad value %d' % x)\n");
  g_autoptr(PpFunction) ok = function_new ("ok", "def ok():\n    return 'fine'\n");
  g_autoptr(PpJob) job = submit (fixture->server, boom, "[7]");
  g_autoptr(PpJob) after = submit (fixture->server, ok, "[]");
  g_autoptr(GError) error = NULL;
  g_autofree char *type = NULL;
  g_autofree char *message = NULL;
  g_autofree char *traceback = NULL;
  g_autofree char *output = NULL;
  g_autofree char *result = NULL;

  g_assert_false (pp_job_wait (job, NULL, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_JOB_RAISED);
  g_assert_nonnull (strstr (error->message, "ValueError"));
  g_assert_nonnull (strstr (error->message, "bad value 7"));
  g_assert_cmpint (pp_job_get_state (job), ==, PP_JOB_STATE_FAILED);
  type = pp_job_dup_exception_type (job);
  g_assert_cmpstr (type, ==, "ValueError");
  message = pp_job_dup_exception_message (job);
  g_assert_cmpstr (message, ==, "bad value 7");
  traceback = pp_job_dup_traceback (job);
  g_assert_nonnull (strstr (traceback, "in boom"));
  g_assert_nonnull (strstr (traceback, "raise ValueError"));
  output = pp_job_dup_output (job);
  g_assert_cmpstr (output, ==, "about to fail\n");

  result = wait_result (after);
  g_assert_cmpstr (result, ==, "\"fine\"");
}

static void
test_server_compile_error (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(PpFunction) broken = function_new ("broken", "def broken(:\n    pass\n");
  g_autoptr(PpFunction) nomod = pp_function_new ("f", "def f():\n    return 1\n",
                                                 (const char *[]) { "no_such_module_xyz", NULL });
  g_autoptr(PpJob) job = submit (fixture->server, broken, "[]");
  g_autoptr(PpJob) job2 = submit (fixture->server, nomod, "[]");
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  g_autofree char *type = NULL;
  g_autofree char *type2 = NULL;

  g_assert_false (pp_job_wait (job, NULL, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_COMPILE);
  type = pp_job_dup_exception_type (job);
  g_assert_cmpstr (type, ==, "SyntaxError");

  g_assert_false (pp_job_wait (job2, NULL, &error2));
  g_assert_error (error2, PP_ERROR, PP_ERROR_COMPILE);
  type2 = pp_job_dup_exception_type (job2);
  g_assert_cmpstr (type2, ==, "ModuleNotFoundError");
}

static void
test_server_invalid_args (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(PpFunction) f = function_new ("f", "def f():\n    return 1\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  g_autoptr(PpJob) job = pp_server_submit_json (fixture->server, f, "{not json", NULL, &error);
  g_autoptr(PpJob) job2 = pp_server_submit_json (fixture->server, f, "{\"a\": 1}", NULL, &error2);

  g_assert_null (job);
  g_assert_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT);
  g_assert_null (job2);
  g_assert_error (error2, PP_ERROR, PP_ERROR_INVALID_ARGUMENT);

  /* What JSON-GLib would leak on is refused before it sees it: a second
   * value after the array, a surrogate escape that is not half of a pair. */
  {
    static const char * const leaky[] = { "[1][2]", "[1] {\"a\": [2]}", "[\"\\ud800\\u0041\"]",
                                          "[\"\\udfff\"]", "5 [1]" };

    for (guint i = 0; i < G_N_ELEMENTS (leaky); i++)
      {
        g_autoptr(GError) leak_error = NULL;
        g_autoptr(PpJob) leak_job = pp_server_submit_json (fixture->server, f, leaky[i], NULL, &leak_error);

        g_assert_null (leak_job);
        g_assert_error (leak_error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT);
        g_assert_true (g_utf8_validate (leak_error->message, -1, NULL));
      }
  }

  /* Deep nesting is refused before json-glib recurses into it. */
  {
    g_autoptr(GString) deep = g_string_new (NULL);
    g_autoptr(GError) error3 = NULL;
    g_autoptr(PpJob) job3 = NULL;

    for (guint i = 0; i < 200000; i++)
      g_string_append_c (deep, '[');
    job3 = pp_server_submit_json (fixture->server, f, deep->str, NULL, &error3);
    g_assert_null (job3);
    g_assert_error (error3, PP_ERROR, PP_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error3->message, "nest deeper"));
  }
}

static void
test_server_too_large (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PpServer) server = g_initable_new (PP_TYPE_SERVER, NULL, &error,
                                               "ncpus", 1, "max-payload-size", (guint64) 100,
                                               NULL);
  g_autoptr(PpFunction) f = function_new ("f", "def f(s):\n    return len(s)\n");
  g_autofree char *big = g_strdup_printf ("[\"%0200d\"]", 0);
  g_autoptr(PpJob) job = NULL;

  g_assert_no_error (error);
  job = pp_server_submit_json (server, f, big, NULL, &error);
  g_assert_null (job);
  g_assert_error (error, PP_ERROR, PP_ERROR_TOO_LARGE);
}

/* A worker that dies mid-job is replaced; its job runs again once, then
 * fails with a clear error; other jobs are not affected. */
static void
test_server_worker_crash (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(PpFunction) die = pp_function_new ("die", "def die():\n    os._exit(3)\n",
                                               (const char *[]) { "os", NULL });
  g_autoptr(PpFunction) segv = pp_function_new ("segv", "def segv():\n    os.kill(os.getpid(), 11)\n",
                                                (const char *[]) { "os", NULL });
  g_autoptr(PpFunction) slow = pp_function_new ("slow", "def slow(x):\n    time.sleep(0.01)\n    return x\n",
                                                (const char *[]) { "time", NULL });
  g_autoptr(GPtrArray) others = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PpJob) job = NULL;
  g_autoptr(PpJob) job2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;

  for (guint i = 0; i < 10; i++)
    g_ptr_array_add (others, submit (fixture->server, slow, "[5]"));
  job = submit (fixture->server, die, "[]");
  for (guint i = 0; i < 10; i++)
    g_ptr_array_add (others, submit (fixture->server, slow, "[6]"));
  job2 = submit (fixture->server, segv, "[]");

  g_assert_false (pp_job_wait (job, NULL, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_WORKER_CRASHED);
  g_assert_nonnull (strstr (error->message, "exited with status 3"));
  g_assert_cmpuint (pp_job_get_attempts (job), ==, 2);

  g_assert_false (pp_job_wait (job2, NULL, &error2));
  g_assert_error (error2, PP_ERROR, PP_ERROR_WORKER_CRASHED);
  g_assert_nonnull (strstr (error2->message, "signal 11"));

  for (guint i = 0; i < others->len; i++)
    {
      g_autofree char *result = wait_result (g_ptr_array_index (others, i));
      g_assert_cmpstr (result, ==, i < 10 ? "5" : "6");
    }
  g_assert_cmpuint (pp_server_get_active_jobs (fixture->server, NULL), ==, 0);
}

/* A crash that does not happen again: the retry succeeds. */
static void
test_server_crash_retry (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *dir = g_dir_make_tmp ("pp-test-XXXXXX", NULL);
  g_autofree char *marker = g_build_filename (dir, "crashed-once", NULL);
  g_autofree char *args = g_strdup_printf ("[\"%s\"]", marker);
  g_autoptr(PpFunction) once = pp_function_new ("once",
                                                "def once(marker):\n"
                                                "    if not os.path.exists(marker):\n"
                                                "        open(marker, 'w').close()\n"
                                                "        os._exit(1)\n"
                                                "    return 42\n",
                                                (const char *[]) { "os", NULL });
  g_autoptr(PpJob) job = submit (fixture->server, once, args);
  g_autofree char *result = wait_result (job);

  g_assert_cmpstr (result, ==, "42");
  g_assert_cmpuint (pp_job_get_attempts (job), ==, 2);
  g_unlink (marker);
  g_rmdir (dir);
}

static void
test_server_set_ncpus (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(PpFunction) slow = pp_function_new ("slow", "def slow(x):\n    time.sleep(0.02)\n    return x\n",
                                                (const char *[]) { "time", NULL });
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);
  guint sizes[] = { 1, 4, 0, 3, 2 };

  for (guint round = 0; round < G_N_ELEMENTS (sizes); round++)
    {
      for (guint i = 0; i < 10; i++)
        {
          g_autofree char *args = g_strdup_printf ("[%u]", jobs->len);
          g_ptr_array_add (jobs, submit (fixture->server, slow, args));
        }
      g_usleep (30 * 1000);
      pp_server_set_ncpus (fixture->server, sizes[round]);
      g_assert_cmpuint (pp_server_get_ncpus (fixture->server), ==, sizes[round]);
    }
  for (guint i = 0; i < jobs->len; i++)
    {
      g_autofree char *result = wait_result (g_ptr_array_index (jobs, i));
      g_autofree char *expected = g_strdup_printf ("%u", i);
      g_assert_cmpstr (result, ==, expected);
    }
  pp_server_set_ncpus (fixture->server, PP_NCPUS_AUTODETECT);
  g_assert_cmpuint (pp_server_get_ncpus (fixture->server), ==, g_get_num_processors ());
}

static void
test_server_cancel (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(PpFunction) sleeper = pp_function_new ("sleeper", "def sleeper(s):\n    time.sleep(s)\n    return s\n",
                                                   (const char *[]) { "time", NULL });
  g_autoptr(PpJob) running = submit (fixture->server, sleeper, "[60]");
  g_autoptr(PpJob) queued = submit (fixture->server, sleeper, "[60]");
  g_autoptr(PpJob) after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  g_autofree char *result = NULL;
  gint64 start;

  while (pp_job_get_state (running) != PP_JOB_STATE_RUNNING)
    g_usleep (1000);
  g_assert_cmpint (pp_job_get_state (queued), ==, PP_JOB_STATE_QUEUED);

  start = g_get_monotonic_time ();
  g_assert_true (pp_job_cancel (queued));
  g_assert_true (pp_job_cancel (running));
  g_assert_false (pp_job_cancel (running));
  g_assert_false (pp_job_wait (running, NULL, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_CANCELLED);
  g_assert_false (pp_job_wait (queued, NULL, &error2));
  g_assert_error (error2, PP_ERROR, PP_ERROR_CANCELLED);
  g_assert_cmpint (pp_job_get_state (queued), ==, PP_JOB_STATE_CANCELLED);

  /* The worker is replaced: the pool still runs jobs, and soon. */
  after = submit (fixture->server, sleeper, "[0]");
  result = wait_result (after);
  g_assert_cmpstr (result, ==, "0");
  g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_USEC_PER_SEC);
  g_assert_cmpuint (pp_server_get_active_jobs (fixture->server, NULL), ==, 0);
}

/* Cancelling a job on a worker that has not said hello yet is no failure
 * to start: three such cancels in a row used to count as three workers
 * dying at start-up, and the jobs then queued failed with
 * PP_ERROR_NO_INTERPRETER (found by tests/stress/chaos.py: a ppd cancels
 * the jobs of a client whose connection drops). */
static void
test_server_cancel_starting (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(PpFunction) sleeper = pp_function_new ("sleeper", "def sleeper(s):\n    time.sleep(s)\n    return s\n",
                                                   (const char *[]) { "time", NULL });
  g_autoptr(GPtrArray) cancelled = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PpJob) queued = NULL;
  g_autofree char *result = NULL;

  for (guint i = 0; i < 3; i++)
    {
      PpJob *job = submit (fixture->server, sleeper, "[60]");

      g_ptr_array_add (cancelled, job);
      /* Held by a worker (started a moment ago), not in the queue. */
      while (pp_job_get_state (job) != PP_JOB_STATE_RUNNING)
        g_usleep (1000);
      if (i == 2)
        queued = submit (fixture->server, sleeper, "[0]");
      g_assert_true (pp_job_cancel (job));
    }
  for (guint i = 0; i < cancelled->len; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (pp_job_wait (g_ptr_array_index (cancelled, i), NULL, &error));
      g_assert_error (error, PP_ERROR, PP_ERROR_CANCELLED);
    }
  result = wait_result (queued);
  g_assert_cmpstr (result, ==, "0");
  g_assert_cmpuint (pp_server_get_active_jobs (fixture->server, NULL), ==, 0);
}

/* Cancelling a job a worker holds but has yet to start (pipelined behind
 * the one it runs) withdraws it: the worker is not stopped, and the job it
 * runs goes on there (it used to be killed, the running job run again on a
 * fresh worker). */
static void
test_server_cancel_prefetched (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(PpFunction) nap = pp_function_new ("nap",
                                               "def nap(s):\n"
                                               "    time.sleep(s)\n"
                                               "    return os.getpid()\n",
                                               (const char *[]) { "os", "time", NULL });
  g_autoptr(GPtrArray) warm = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PpJob) running = NULL;
  g_autoptr(PpJob) held = NULL;
  g_autoptr(PpJob) after = NULL;
  g_autoptr(GVariant) workers = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pid = NULL;
  g_autofree char *running_pid = NULL;
  g_autofree char *after_pid = NULL;
  guint32 worker_pid;

  /* The function's estimated run time says "tiny": jobs are pipelined. */
  for (guint i = 0; i < 50; i++)
    g_ptr_array_add (warm, submit (fixture->server, nap, "[0]"));
  pp_server_wait (fixture->server, NULL, NULL, NULL);

  running = submit (fixture->server, nap, "[1]");
  held = submit (fixture->server, nap, "[0]");
  while (pp_job_get_state (held) != PP_JOB_STATE_RUNNING)
    g_usleep (1000);
  workers = pp_server_dup_worker_info (fixture->server);
  g_assert_cmpuint (g_variant_n_children (workers), ==, 1);
  g_variant_get_child (workers, 0, "(ustud)", &worker_pid, NULL, NULL, NULL, NULL);
  g_assert_false (pp_job_is_finished (running));
  g_assert_true (pp_job_cancel (held));
  g_assert_false (pp_job_wait (held, NULL, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_CANCELLED);

  running_pid = wait_result (running);
  pid = g_strdup_printf ("%u", worker_pid);
  g_assert_cmpstr (running_pid, ==, pid);
  after = submit (fixture->server, nap, "[0]");
  after_pid = wait_result (after);
  g_assert_cmpstr (after_pid, ==, pid);
  g_assert_cmpuint (pp_server_get_active_jobs (fixture->server, NULL), ==, 0);
}

static void
test_server_destroy_pending (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(PpFunction) sleeper = pp_function_new ("sleeper", "def sleeper(s):\n    time.sleep(s)\n",
                                                   (const char *[]) { "time", NULL });
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  g_autoptr(PpJob) late = NULL;

  for (guint i = 0; i < 6; i++)
    g_ptr_array_add (jobs, submit (fixture->server, sleeper, "[60]"));
  g_usleep (100 * 1000);
  pp_server_destroy (fixture->server);

  for (guint i = 0; i < jobs->len; i++)
    {
      g_autoptr(GError) job_error = NULL;

      g_assert_false (pp_job_wait (g_ptr_array_index (jobs, i), NULL, &job_error));
      g_assert_error (job_error, PP_ERROR, PP_ERROR_DESTROYED);
    }
  late = pp_server_submit_json (fixture->server, sleeper, "[0]", NULL, &error);
  g_assert_null (late);
  g_assert_error (error, PP_ERROR, PP_ERROR_DESTROYED);
  g_assert_true (pp_server_wait (fixture->server, NULL, NULL, NULL));
}

static void
test_server_groups (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(PpFunction) sleeper = pp_function_new ("sleeper", "def sleeper(s):\n    time.sleep(s)\n    return s\n",
                                                   (const char *[]) { "time", NULL });
  g_autoptr(GError) error = NULL;
  g_autoptr(PpJob) slow = pp_server_submit_json (fixture->server, sleeper, "[60]", "slow", &error);
  g_autoptr(GPtrArray) fast = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < 5; i++)
    g_ptr_array_add (fast, pp_server_submit_json (fixture->server, sleeper, "[0.01]", "fast", &error));
  g_assert_true (pp_server_wait (fixture->server, "fast", NULL, &error));
  for (guint i = 0; i < fast->len; i++)
    g_assert_true (pp_job_is_finished (g_ptr_array_index (fast, i)));
  g_assert_false (pp_job_is_finished (slow));
  g_assert_cmpuint (pp_server_get_active_jobs (fixture->server, "slow"), ==, 1);
  g_assert_cmpuint (pp_server_get_active_jobs (fixture->server, "fast"), ==, 0);
  g_assert_cmpstr (pp_job_get_group (slow), ==, "slow");
  pp_job_cancel (slow);
  g_assert_true (pp_server_wait (fixture->server, NULL, NULL, &error));
}

static void
test_server_stats (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(PpFunction) f = function_new ("f", "def f(x):\n    return x * 2\n");
  g_autoptr(GPtrArray) stats = NULL;
  g_autofree char *table = NULL;
  PpNodeStats *local;

  for (guint i = 0; i < 30; i++)
    g_object_unref (submit (fixture->server, f, "[1]"));
  pp_server_wait (fixture->server, NULL, NULL, NULL);

  stats = pp_server_list_stats (fixture->server);
  g_assert_cmpuint (stats->len, ==, 1);
  local = g_ptr_array_index (stats, 0);
  g_assert_cmpstr (pp_node_stats_get_name (local), ==, "local");
  g_assert_true (pp_node_stats_get_is_local (local));
  g_assert_cmpuint (pp_node_stats_get_njobs (local), ==, 30);
  g_assert_cmpuint (pp_node_stats_get_ncpus (local), ==, 2);
  g_assert_cmpfloat (pp_node_stats_get_time (local), >=, 0);
  g_assert_cmpuint (pp_node_stats_get_active_jobs (local), ==, 0);

  table = pp_server_format_stats (fixture->server);
  g_assert_true (g_str_has_prefix (table, "Job execution statistics:\n"
                                          " job count | % of all jobs | job time sum | time per job | job server\n"
                                          "        30 |        100.00 |"));
  g_assert_nonnull (strstr (table, "| local\nTime elapsed since server creation "));
  g_assert_true (g_str_has_suffix (table, "\n0 active tasks, 2 cores\n\n"));
}

static void
on_job_started (PpServer *server,
                PpJob    *job,
                guint     pid,
                gpointer  data)
{
  GHashTable *pids = data;

  g_assert_cmpuint (pid, >, 0);
  g_hash_table_add (pids, GUINT_TO_POINTER (pid));
}

static void
on_job_finished (PpServer *server,
                 PpJob    *job,
                 gpointer  data)
{
  guint *finished = data;

  g_assert_true (pp_job_is_finished (job));
  (*finished)++;
}

/* Monitoring: job-started/job-finished in the creator's context, and the
 * workers' own figures. */
static void
test_server_monitoring (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PpServer) server = NULL;
  g_autoptr(PpFunction) nap = pp_function_new ("nap", "def nap(s):\n    time.sleep(s)\n",
                                               (const char *[]) { "time", NULL });
  g_autoptr(GHashTable) pids = g_hash_table_new (NULL, NULL);
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GError) error = NULL;
  guint finished = 0;
  guint64 total_done = 0;
  GVariantIter iter;
  const char *state;
  guint32 pid, done;
  guint64 job_id;
  double busy;

  g_main_context_push_thread_default (context);
  server = pp_server_new (2, &error);
  g_assert_no_error (error);
  g_signal_connect (server, "job-started", G_CALLBACK (on_job_started), pids);
  g_signal_connect (server, "job-finished", G_CALLBACK (on_job_finished), &finished);
  for (guint i = 0; i < 6; i++)
    g_object_unref (submit (server, nap, "[0.05]"));
  g_object_unref (submit (server, nap, "[2]"));
  while (finished < 6)
    g_main_context_iteration (context, TRUE);
  g_assert_cmpuint (g_hash_table_size (pids), ==, 2);
  g_assert_cmpuint (pp_server_get_queued_jobs (server), ==, 0);

  info = pp_server_dup_worker_info (server);
  g_assert_cmpstr (g_variant_get_type_string (info), ==, "a(ustud)");
  g_assert_cmpuint (g_variant_n_children (info), ==, 2);
  g_variant_iter_init (&iter, info);
  while (g_variant_iter_next (&iter, "(u&stud)", &pid, &state, &job_id, &done, &busy))
    {
      g_assert_true (g_hash_table_contains (pids, GUINT_TO_POINTER (pid)));
      g_assert_true (g_str_equal (state, "busy") == (job_id != 0));
      total_done += done;
      g_assert_cmpfloat (busy, >=, 0.05 * done * 0.9);
    }
  g_assert_cmpuint (total_done, ==, 6);
  pp_server_destroy (server);
  g_main_context_pop_thread_default (context);
}

static void
test_server_restart (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PpServer) server = g_initable_new (PP_TYPE_SERVER, NULL, &error,
                                               "ncpus", 1, "restart", TRUE, NULL);
  g_autoptr(PpFunction) pid = pp_function_new ("pid", "def pid():\n    return os.getpid()\n",
                                               (const char *[]) { "os", NULL });
  g_autoptr(GHashTable) pids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(PpJob) job = submit (server, pid, "[]");
      g_hash_table_add (pids, wait_result (job));
    }
  g_assert_cmpuint (g_hash_table_size (pids), ==, 4);
}

static void
test_server_no_interpreter (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  g_autoptr(PpServer) server = g_initable_new (PP_TYPE_SERVER, NULL, &error,
                                               "python", "/nonexistent/python3", NULL);
  g_autoptr(PpServer) server2 = g_initable_new (PP_TYPE_SERVER, NULL, &error2,
                                                "runner", "/nonexistent/pp-runner.py", NULL);

  g_assert_null (server);
  g_assert_error (error, PP_ERROR, PP_ERROR_NO_INTERPRETER);
  g_assert_nonnull (strstr (error->message, "/nonexistent/python3"));
  g_assert_null (server2);
  g_assert_error (error2, PP_ERROR, PP_ERROR_NO_INTERPRETER);
  g_assert_nonnull (strstr (error2->message, "/nonexistent/pp-runner.py"));
}

static char *
write_script (const char *dir,
              const char *name,
              const char *text)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

/* Runners that exit at once, or talk garbage: jobs fail clearly, no hang. */
static void
test_server_broken_runner (void)
{
  g_autofree char *dir = g_dir_make_tmp ("pp-test-XXXXXX", NULL);
  g_autofree char *exits = write_script (dir, "exits.py", "import sys\nsys.exit(5)\n");
  g_autofree char *garbage = write_script (dir, "garbage.py",
                                           "import os, sys\n"
                                           "sys.stdin.buffer.read(8)\n"
                                           "os.write(1, b'\\x00\\x00\\x00\\x05\\x00\\x00\\x00\\x00hello')\n"
                                           "import time; time.sleep(30)\n");
  const char *runners[] = { exits, garbage };
  const char *expected[] = { "exited with status 5", "malformed frame" };

  for (guint i = 0; i < G_N_ELEMENTS (runners); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PpServer) server = g_initable_new (PP_TYPE_SERVER, NULL, &error,
                                                   "ncpus", 1, "runner", runners[i], NULL);
      g_autoptr(PpFunction) f = function_new ("f", "def f():\n    return 1\n");
      g_autoptr(PpJob) job = NULL;

      g_assert_no_error (error);
      job = submit (server, f, "[]");
      g_assert_false (pp_job_wait (job, NULL, &error));
      g_assert_error (error, PP_ERROR, PP_ERROR_NO_INTERPRETER);
      g_assert_nonnull (strstr (error->message, expected[i]));
      pp_server_destroy (server);
    }
  g_unlink (exits);
  g_unlink (garbage);
  g_rmdir (dir);
}

/* A worker whose result holds a number that does not fit (8.88889e+19 is
 * the fuzzer's find, once cast to gint64) is stopped, and the job fails
 * with a message that names the member; it never completes with garbage. */
static void
test_server_hostile_result (void)
{
  const char *cases[][2] = {
    { "\"id\":8.88889e+19,\"ok\":true,\"fmt\":\"json\",\"time\":0", "member “id”: 8.88889e+19" },
    { "\"id\":ID,\"ok\":true,\"fmt\":\"json\",\"time\":1e400", "member “time”: inf" },
    { "\"id\":ID,\"ok\":true,\"fmt\":\"json\",\"time\":-1e19", "member “time”: -1e+19" },
    { "\"id\":ID,\"ok\":true,\"fmt\":\"json\",\"time\":0,\"olen\":1.5", "member “olen”: 1.5" },
    { "\"id\":ID,\"ok\":true,\"fmt\":\"json\",\"time\":0,\"olen\":2", "member “olen”: 2 is out of range (0 to 1)" },
    { "\"id\":ID,\"ok\":\"yes\",\"fmt\":\"json\",\"time\":0", "member “ok” is a string" },
  };
  g_autofree char *dir = g_dir_make_tmp ("pp-test-XXXXXX", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf (
        "import json, os, struct, sys\n"
        "def send(h, b=b''):\n"
        "    os.write(1, struct.pack('>II', len(h), len(b)) + h + b)\n"
        "def read(n):\n"
        "    data = b''\n"
        "    while len(data) < n:\n"
        "        chunk = os.read(0, n - len(data))\n"
        "        if not chunk: sys.exit(0)\n"
        "        data += chunk\n"
        "    return data\n"
        "send(b'{\"t\":\"hello\",\"pid\":%%d}' %% os.getpid())\n"
        "while True:\n"
        "    hl, bl = struct.unpack('>II', read(8))\n"
        "    header = json.loads(read(hl)); read(bl)\n"
        "    if header['t'] == 'job':\n"
        "        send(b'{\"t\":\"res\",%s}'.replace(b'ID', b'%%d' %% header['id']), b'1')\n",
        cases[i][0]);
      g_autofree char *runner = write_script (dir, "hostile.py", text);
      g_autoptr(GError) error = NULL;
      g_autoptr(PpServer) server = g_initable_new (PP_TYPE_SERVER, NULL, &error,
                                                   "ncpus", 1, "runner", runner, NULL);
      g_autoptr(PpFunction) f = function_new ("f", "def f():\n    return 1\n");
      g_autoptr(PpJob) job = NULL;

      g_assert_no_error (error);
      job = submit (server, f, "[]");
      g_assert_false (pp_job_wait (job, NULL, &error));
      g_assert_nonnull (error);
      g_test_message ("%s", error->message);
      if (strstr (error->message, cases[i][1]) == NULL)
        g_error ("expected “%s” in “%s”", cases[i][1], error->message);
      pp_server_destroy (server);
      g_unlink (runner);
    }
  g_rmdir (dir);
}

typedef struct
{
  GMainLoop *loop;
  GThread   *thread;
  gboolean   ok;
  guint      finished;
} AsyncState;

static void
wait_async_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      data)
{
  AsyncState *state = data;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_thread_self () == state->thread);
  state->ok = pp_job_wait_finish (PP_JOB (object), result, &error);
  g_assert_no_error (error);
  if (state->finished > 0)
    g_main_loop_quit (state->loop);
}

static void
finished_cb (PpJob      *job,
             AsyncState *state)
{
  g_assert_true (g_thread_self () == state->thread);
  state->finished++;
  if (state->ok)
    g_main_loop_quit (state->loop);
}

static void
test_server_wait_async (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(PpFunction) f = function_new ("f", "def f():\n    return 1\n");
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PpJob) job = NULL;
  AsyncState state = { 0 };

  g_main_context_push_thread_default (context);
  state.loop = g_main_loop_new (context, FALSE);
  state.thread = g_thread_self ();
  job = submit (fixture->server, f, "[]");
  g_signal_connect (job, "finished", G_CALLBACK (finished_cb), &state);
  pp_job_wait_async (job, NULL, wait_async_cb, &state);
  g_main_loop_run (state.loop);
  g_assert_true (state.ok);
  g_assert_cmpuint (state.finished, ==, 1);

  /* On a finished job the callback still comes through the main loop. */
  state.ok = FALSE;
  pp_job_wait_async (job, NULL, wait_async_cb, &state);
  g_assert_false (state.ok);
  g_main_loop_run (state.loop);
  g_assert_true (state.ok);

  g_main_loop_unref (state.loop);
  g_main_context_pop_thread_default (context);
}

static void
count_async_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      data)
{
  guint *done = data;

  g_assert_true (pp_job_wait_finish (PP_JOB (object), result, NULL));
  (*done)++;
}

/* A cancellable that outlives many waits does not keep their jobs alive. */
static void
test_server_wait_async_long_lived_cancellable (Fixture       *fixture,
                                               gconstpointer  data)
{
  g_autoptr(PpFunction) f = function_new ("f", "def f():\n    return 1\n");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainContext) context = g_main_context_new ();
  PpJob *weak[5] = { NULL };
  PpJob *extra = NULL;
  guint done = 0;

  g_main_context_push_thread_default (context);
  for (guint i = 0; i < G_N_ELEMENTS (weak); i++)
    {
      PpJob *job = submit (fixture->server, f, "[]");

      pp_job_wait_async (job, cancellable, count_async_cb, &done);
      weak[i] = job;
      g_object_add_weak_pointer (G_OBJECT (job), (gpointer *) &weak[i]);
      g_object_unref (job);
    }
  while (done < G_N_ELEMENTS (weak))
    g_main_context_iteration (context, TRUE);
  pp_server_wait (fixture->server, NULL, NULL, NULL);
  extra = submit (fixture->server, f, "[]");
  g_clear_object (&extra);  /* submitting emptied the server's graveyard */
  for (guint i = 0; i < G_N_ELEMENTS (weak); i++)
    g_assert_null (weak[i]);
  g_main_context_pop_thread_default (context);
}

static void
test_server_wait_cancellable (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(PpFunction) sleeper = pp_function_new ("sleeper", "def sleeper(s):\n    time.sleep(s)\n",
                                                   (const char *[]) { "time", NULL });
  g_autoptr(PpJob) job = submit (fixture->server, sleeper, "[60]");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;

  g_cancellable_cancel (cancellable);
  g_assert_false (pp_job_wait (job, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (pp_job_is_finished (job));
  g_assert_false (pp_server_wait (fixture->server, NULL, cancellable, &error2));
  g_assert_error (error2, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  pp_job_cancel (job);
}

static void
test_server_function_key (void)
{
  g_autoptr(PpFunction) a = pp_function_new ("f", "def f(): pass", NULL);
  g_autoptr(PpFunction) b = pp_function_new ("f", "def f(): pass", (const char *[]) { NULL });
  g_autoptr(PpFunction) c = pp_function_new ("f", "def f(): pass", (const char *[]) { "math", NULL });
  g_autoptr(PpFunction) d = pp_function_new ("f", "def f():  pass", NULL);

  g_assert_cmpuint (strlen (pp_function_get_key (a)), ==, 64);
  g_assert_cmpstr (pp_function_get_key (a), ==, pp_function_get_key (b));
  g_assert_cmpstr (pp_function_get_key (a), !=, pp_function_get_key (c));
  g_assert_cmpstr (pp_function_get_key (a), !=, pp_function_get_key (d));
}

/* For tests that point a server at nodes they never reach: a node found
 * unreachable (and warned about) before its server is destroyed, on a
 * loaded machine, is no failure. The library's warnings are structured (a
 * fatal handler never sees them), so warnings stop being fatal until
 * g_log_set_always_fatal() is given back what this returns. */
static GLogLevelFlags
unreachable_nodes_not_fatal (void)
{
  return g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
}

/* The name of the only remote node of a server with @entry as ppservers,
 * or NULL with @error set. */
static char *
remote_node_name (const char  *entry,
                  GError     **error)
{
  const char *ppservers[] = { entry, NULL };
  /* With a secret of its own: never the per-user one (the test may run
   * installed, in the user's session). */
  g_autoptr(PpServer) server = g_initable_new (PP_TYPE_SERVER, NULL, error, "ncpus", 0,
                                               "ppservers", ppservers, "secret", "test", NULL);
  g_autoptr(GPtrArray) stats = NULL;
  char *name = NULL;

  if (server == NULL)
    return NULL;
  stats = pp_server_list_stats (server);
  for (guint i = 0; i < stats->len; i++)
    if (!pp_node_stats_get_is_local (g_ptr_array_index (stats, i)))
      name = g_strdup (pp_node_stats_get_name (g_ptr_array_index (stats, i)));
  pp_server_destroy (server);
  return name;
}

static void
test_server_ppservers (void)
{
  const char *good[][2] = {
    { "node-1", "node-1:60000" }, { "node-1:35000", "node-1:35000" },
    { "192.0.2.7:65535", "192.0.2.7:65535" }, { "[::1]:41000", "[::1]:41000" },
    { "[2001:db8::7]", "[2001:db8::7]:60000" }, { "::1", "[::1]:60000" },
    { "", "127.0.0.1:60000" }, { ":41000", "127.0.0.1:41000" },
  };
  const char *bad[] = {
    "node-1:0", "node-1:65536", "node-1:99999", "node-1:x", "node-1:", "node-1:123456",
    "[::1]:", "[::1]x", "[::1", "[node-1]:80", ":0", ":x", "node-1:80:90",
    "fe80::1%lo", "a b", "-node", "node..x", "*:0",
  };

  GLogLevelFlags fatal = unreachable_nodes_not_fatal ();

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *name = remote_node_name (good[i][0], &error);

      g_assert_no_error (error);
      g_assert_cmpstr (name, ==, good[i][1]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *name = remote_node_name (bad[i], &error);

      g_assert_null (name);
      g_assert_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, bad[i]));
    }
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *name = remote_node_name ("n\xff\xfe:80", &error);

    g_assert_null (name);
    g_assert_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT);
    g_assert_true (g_utf8_validate (error->message, -1, NULL));
    g_assert_nonnull (strstr (error->message, "n\\377\\376:80"));
  }
  g_log_set_always_fatal (fatal);
}

/* Each readable property has a getter that returns what it holds. */
static void
test_server_getters (void)
{
  const char *python_path[] = { "/nonexistent/a", "/nonexistent/b", NULL };
  const char *ppservers[] = { "127.0.0.1:9", NULL };
  GLogLevelFlags fatal = unreachable_nodes_not_fatal ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PpServer) server = g_initable_new (PP_TYPE_SERVER, NULL, &error,
                                               "ncpus", 0,
                                               "working-directory", "/",
                                               "python-path", python_path,
                                               "max-payload-size", (guint64) 4096,
                                               "ppservers", ppservers,
                                               "secret", "s",
                                               "socket-timeout", 7,
                                               "use-tls", TRUE,
                                               NULL);
  g_autofree char *runner = NULL;

  g_assert_no_error (error);
  g_object_get (server, "runner", &runner, NULL);
  g_assert_nonnull (runner);
  g_assert_cmpstr (pp_server_get_runner (server), ==, runner);
  g_assert_cmpstr (pp_server_get_working_directory (server), ==, "/");
  g_assert_cmpstrv (pp_server_get_python_path (server), python_path);
  g_assert_cmpuint (pp_server_get_max_payload_size (server), ==, 4096);
  g_assert_cmpstrv (pp_server_get_ppservers (server), ppservers);
  g_assert_cmpuint (pp_server_get_socket_timeout (server), ==, 7);
  g_assert_true (pp_server_get_use_tls (server));
  pp_server_destroy (server);
  g_log_set_always_fatal (fatal);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) ADD_N (path, func, 2)
#define ADD_N(path, func, ncpus) \
  g_test_add (path, Fixture, GINT_TO_POINTER (ncpus), fixture_setup, func, fixture_teardown)

  ADD ("/server/results", test_server_results);
  ADD ("/server/pipelined", test_server_pipelined);
  ADD ("/server/raises", test_server_raises);
  ADD ("/server/steal", test_server_steal);
  ADD ("/server/compile-error", test_server_compile_error);
  ADD ("/server/invalid-args", test_server_invalid_args);
  ADD ("/server/worker-crash", test_server_worker_crash);
  ADD ("/server/crash-retry", test_server_crash_retry);
  ADD ("/server/set-ncpus", test_server_set_ncpus);
  ADD_N ("/server/cancel", test_server_cancel, 1);
  ADD_N ("/server/cancel-starting", test_server_cancel_starting, 1);
  ADD_N ("/server/cancel-prefetched", test_server_cancel_prefetched, 1);
  ADD ("/server/destroy-pending", test_server_destroy_pending);
  ADD ("/server/groups", test_server_groups);
  ADD ("/server/stats", test_server_stats);
  ADD ("/server/wait-async", test_server_wait_async);
  ADD ("/server/wait-cancellable", test_server_wait_cancellable);
  ADD_N ("/server/wait-async-long-lived-cancellable", test_server_wait_async_long_lived_cancellable, 1);
  g_test_add_func ("/server/too-large", test_server_too_large);
  g_test_add_func ("/server/restart", test_server_restart);
  g_test_add_func ("/server/monitoring", test_server_monitoring);
  g_test_add_func ("/server/no-interpreter", test_server_no_interpreter);
  g_test_add_func ("/server/broken-runner", test_server_broken_runner);
  g_test_add_func ("/server/hostile-result", test_server_hostile_result);
  g_test_add_func ("/server/function-key", test_server_function_key);
  g_test_add_func ("/server/ppservers", test_server_ppservers);
  g_test_add_func ("/server/getters", test_server_getters);

  return g_test_run ();
}
