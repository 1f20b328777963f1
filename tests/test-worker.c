/* test-worker.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include <pp-glib.h>

#include "pp-job-private.h"
#include "pp-messages-private.h"
#include "pp-worker-private.h"

/* PpWorker alone, without a server: a real runner process on a socket
 * pair, frames written and read on a main context of the test's own, and
 * how its end is reported. (That it dies with its parent is tested by the
 * Python suite, which can kill a client.) */

#define DEADLINE_USEC (20 * G_USEC_PER_SEC)

typedef struct
{
  GMainContext *context;
  GMutex        out_lock;
  GSource      *tick;
  PpWorker     *worker;
  GHashTable   *defined;        /* what the worker was sent a "def" of */
  GPtrArray    *frames;         /* PpFrame, in the order received */
  guint         batches;
  guint         deaths;
  char         *reason;
  guint64       next_id;
} Fixture;

static void
frame_cb (PpWorker *worker,
          PpFrame  *frame,
          gpointer  data)
{
  Fixture *fixture = data;

  g_assert_true (worker == fixture->worker);
  g_ptr_array_add (fixture->frames, frame);
}

static void
batch_done_cb (PpWorker *worker,
               gpointer  data)
{
  ((Fixture *) data)->batches++;
}

static void
died_cb (PpWorker   *worker,
         const char *reason,
         gpointer    data)
{
  Fixture *fixture = data;

  fixture->deaths++;
  g_free (fixture->reason);
  fixture->reason = g_strdup (reason);
}

static const PpWorkerCallbacks callbacks = {
  frame_cb,
  batch_done_cb,
  died_cb,
};

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static const char *
getenv_or (const char *name,
           const char *fallback)
{
  const char *value = g_getenv (name);

  return value != NULL && *value != '\0' ? value : fallback;
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *python = g_find_program_in_path (getenv_or ("PP_PYTHON", "python3"));

  g_assert_nonnull (python);
  fixture->context = g_main_context_new ();
  g_mutex_init (&fixture->out_lock);
  fixture->frames = g_ptr_array_new_with_free_func ((GDestroyNotify) _pp_frame_free);
  fixture->defined = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* Wakes the waits below now and then, to check their deadline. */
  fixture->tick = g_timeout_source_new (100);
  g_source_set_callback (fixture->tick, tick_cb, NULL, NULL);
  g_source_attach (fixture->tick, fixture->context);
  fixture->worker = _pp_worker_spawn (1, python, getenv_or ("PP_RUNNER", PP_RUNNER_SOURCE_PATH),
                                      NULL, 64 * 1024 * 1024, fixture->context,
                                      &fixture->out_lock, &callbacks, fixture, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->worker);
  g_assert_cmpint (fixture->worker->pid, >, 0);
  fixture->next_id = 1;
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  GPid pid = fixture->worker->pid;

  /* Kills and reaps a live process. */
  _pp_worker_free (fixture->worker);
  g_assert_cmpint (kill (pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);
  g_source_destroy (fixture->tick);
  g_source_unref (fixture->tick);
  g_ptr_array_unref (fixture->frames);
  g_hash_table_unref (fixture->defined);
  g_free (fixture->reason);
  g_mutex_clear (&fixture->out_lock);
  g_main_context_unref (fixture->context);
}

/* Runs the worker's context until @n frames arrived or it died. */
static void
wait_for_frames (Fixture *fixture,
                 guint    n)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_USEC;

  while (fixture->frames->len < n && fixture->deaths == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (fixture->context, TRUE);
    }
  g_assert_cmpuint (fixture->frames->len, >=, n);
}

static void
wait_for_death (Fixture *fixture)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_USEC;

  while (fixture->deaths == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (fixture->context, TRUE);
    }
  g_assert_cmpuint (fixture->deaths, ==, 1);
  g_assert_true (fixture->worker->dead);
}

static void
flush (Fixture *fixture)
{
  g_mutex_lock (&fixture->out_lock);
  _pp_worker_flush_locked (fixture->worker);
  g_mutex_unlock (&fixture->out_lock);
}

/* Queues a "job" frame (after a "def" the first time @function is sent)
 * calling @function on the JSON array @args. */
static PpJob *
send_job (Fixture    *fixture,
          PpFunction *function,
          const char *args)
{
  g_autoptr(GBytes) bytes = g_bytes_new (args, strlen (args));
  PpJob *job = _pp_job_new (NULL, fixture->next_id++, function, bytes,
                            PP_PAYLOAD_FORMAT_JSON, "g");

  g_mutex_lock (&fixture->out_lock);
  _pp_message_append_job (_pp_worker_get_out (fixture->worker), fixture->defined, job);
  g_mutex_unlock (&fixture->out_lock);
  return job;
}

/* Checks that @frame answers @job; returns whether the job returned. */
static gboolean
check_result (PpFrame  *frame,
              PpJob    *job,
              char    **payload)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *output = NULL;
  gint64 id = -1;

  g_assert_cmpstr (_pp_frame_get_type (frame), ==, "res");
  g_assert_true (_pp_message_check_result (frame, &id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, ==, (gint64) pp_job_get_id (job));
  g_assert_cmpfloat (_pp_message_get_run_time (frame), >=, 0);
  bytes = _pp_message_split_result (frame, &output);
  *payload = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return _pp_message_get_flag (frame, "ok");
}

static void
test_hello_and_results (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(PpFunction) twice = pp_function_new ("twice", "def twice(x):\n    return 2 * x\n", NULL);
  g_autoptr(PpJob) first = NULL;
  g_autoptr(PpJob) second = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  gint64 pid = 0;

  wait_for_frames (fixture, 1);
  g_assert_cmpstr (_pp_frame_get_type (fixture->frames->pdata[0]), ==, "hello");
  g_assert_true (_pp_frame_get_int64 (fixture->frames->pdata[0], "pid", 1, G_MAXINT32, &pid, NULL));
  g_assert_cmpint (pid, ==, fixture->worker->pid);
  g_assert_cmpuint (fixture->batches, >=, 1);

  /* The function is defined once, then only called. */
  first = send_job (fixture, twice, "[21]");
  g_assert_true (g_hash_table_contains (fixture->defined, pp_function_get_key (twice)));
  second = send_job (fixture, twice, "[\"ab\"]");
  flush (fixture);
  wait_for_frames (fixture, 3);
  g_assert_true (check_result (fixture->frames->pdata[1], first, &a));
  g_assert_cmpstr (a, ==, "42");
  g_assert_true (check_result (fixture->frames->pdata[2], second, &b));
  g_assert_cmpstr (b, ==, "\"abab\"");
  g_assert_cmpuint (fixture->deaths, ==, 0);

  /* Closed: the runner drains its input and exits by itself. */
  _pp_worker_close (fixture->worker);
  wait_for_death (fixture);
  g_assert_cmpstr (fixture->reason, ==, "exited with status 0");
}

/* Many jobs in one write, arguments larger than the socket's buffer: the
 * rest of the output goes when the socket is writable again, and the
 * results come back in order. */
static void
test_pipelined (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(PpFunction) length = pp_function_new ("length", "def length(s):\n    return len(s)\n", NULL);
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GString) big = g_string_new ("[\"");
  gsize pending;

  for (guint i = 0; i < 4 * 1024 * 1024; i++)
    g_string_append_c (big, 'a' + i % 26);
  g_string_append (big, "\"]");
  for (guint i = 0; i < 20; i++)
    g_ptr_array_add (jobs, send_job (fixture, length, i % 5 == 0 ? big->str : "[\"xyz\"]"));
  flush (fixture);
  g_mutex_lock (&fixture->out_lock);
  pending = fixture->worker->out->len;
  g_mutex_unlock (&fixture->out_lock);
  /* Not all of it fit: the worker waits for the socket. */
  g_assert_cmpuint (pending, >, 0);

  wait_for_frames (fixture, 1 + jobs->len);
  for (guint i = 0; i < jobs->len; i++)
    {
      g_autofree char *payload = NULL;

      g_assert_true (check_result (fixture->frames->pdata[1 + i], jobs->pdata[i], &payload));
      g_assert_cmpstr (payload, ==, i % 5 == 0 ? "4194304" : "3");
    }
  g_mutex_lock (&fixture->out_lock);
  g_assert_cmpuint (fixture->worker->out->len, ==, 0);
  g_mutex_unlock (&fixture->out_lock);
  g_assert_cmpuint (fixture->deaths, ==, 0);
}

static void
test_raised (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(PpFunction) bad = pp_function_new ("bad", "def bad():\n    raise ValueError('no good')\n", NULL);
  g_autoptr(PpJob) job = send_job (fixture, bad, "[]");
  g_autoptr(GError) error = NULL;
  g_autofree char *payload = NULL;

  flush (fixture);
  wait_for_frames (fixture, 2);
  g_assert_false (check_result (fixture->frames->pdata[1], job, &payload));
  g_assert_cmpstr (_pp_frame_get_string (fixture->frames->pdata[1], "etype"), ==, "ValueError");
  g_assert_cmpstr (_pp_frame_get_string (fixture->frames->pdata[1], "emsg"), ==, "no good");
  error = _pp_message_result_error (job, fixture->frames->pdata[1]);
  g_assert_error (error, PP_ERROR, PP_ERROR_JOB_RAISED);
  /* A raising job is no crash. */
  g_assert_cmpuint (fixture->deaths, ==, 0);
}

/* A job that ends its process: no result, and the death says how. */
static void
test_crash (Fixture       *fixture,
            gconstpointer  data)
{
  const char *how = data;
  g_autofree char *source = g_strdup_printf ("def crash():\n    import os, signal\n    %s\n", how);
  g_autoptr(PpFunction) crash = pp_function_new ("crash", source, NULL);
  g_autoptr(PpJob) job = send_job (fixture, crash, "[]");

  flush (fixture);
  wait_for_death (fixture);
  /* Only the hello came. */
  for (guint i = 0; i < fixture->frames->len; i++)
    g_assert_cmpstr (_pp_frame_get_type (fixture->frames->pdata[i]), ==, "hello");
  if (strstr (how, "_exit") != NULL)
    g_assert_cmpstr (fixture->reason, ==, "exited with status 7");
  else
    g_assert_true (g_str_has_prefix (fixture->reason, "was killed by signal 11"));
}

/* A malformed job frame makes the runner exit with status 3. */
static void
test_malformed_request (Fixture       *fixture,
                        gconstpointer  data)
{
  static const char header[] = "{\"t\":\"job\",\"id\":\"one\",\"key\":\"k\",\"fmt\":\"json\"}";

  g_mutex_lock (&fixture->out_lock);
  _pp_frame_append (_pp_worker_get_out (fixture->worker), header, strlen (header), "[]", 2);
  g_mutex_unlock (&fixture->out_lock);
  flush (fixture);
  wait_for_death (fixture);
  g_assert_cmpstr (fixture->reason, ==, "exited with status 3");
}

/* Killed on purpose: the reason given, reported once, the process reaped. */
static void
test_kill (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(PpFunction) sleepy = pp_function_new ("sleepy", "def sleepy():\n    import time\n    time.sleep(60)\n", NULL);
  g_autoptr(PpJob) job = NULL;

  wait_for_frames (fixture, 1);
  job = send_job (fixture, sleepy, "[]");
  flush (fixture);
  _pp_worker_kill (fixture->worker, "was stopped to cancel its job");
  g_assert_cmpuint (fixture->deaths, ==, 1);
  g_assert_cmpstr (fixture->reason, ==, "was stopped to cancel its job");
  g_assert_true (fixture->worker->dead);
  g_assert_cmpint (kill (fixture->worker->pid, 0), ==, -1);
  /* Dead is dead: nothing more is reported, nothing more is written. */
  _pp_worker_kill (fixture->worker, "again");
  _pp_worker_close (fixture->worker);
  flush (fixture);
  while (g_main_context_iteration (fixture->context, FALSE))
    ;
  g_assert_cmpuint (fixture->deaths, ==, 1);
  g_assert_cmpuint (fixture->frames->len, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, data) \
  g_test_add ("/worker/" path, Fixture, data, fixture_setup, func, fixture_teardown)
  ADD ("results", test_hello_and_results, NULL);
  ADD ("pipelined", test_pipelined, NULL);
  ADD ("raised", test_raised, NULL);
  ADD ("crash/exit", test_crash, "os._exit(7)");
  ADD ("crash/signal", test_crash, "os.kill(os.getpid(), signal.SIGSEGV)");
  ADD ("malformed-request", test_malformed_request, NULL);
  ADD ("kill", test_kill, NULL);
#undef ADD

  return g_test_run ();
}
