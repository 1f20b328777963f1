/* test-job.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <pp-glib.h>

#include "pp-function-private.h"
#include "pp-job-private.h"

/* The job object alone, without a server: its states, finishing exactly
 * once, the three ways to wait, where ::finished is emitted, and
 * cancelling through its owner (a fake one here). */

/* A fake owner: counts the cancels it is asked for, and cancels the job
 * unless told to find it finished. */
#define FAKE_TYPE_OWNER (fake_owner_get_type ())
G_DECLARE_FINAL_TYPE (FakeOwner, fake_owner, FAKE, OWNER, GObject)

struct _FakeOwner
{
  GObject     parent_instance;
  PpJobOwner *handle;
  guint       cancels;
  gboolean    refuse;
};

G_DEFINE_FINAL_TYPE (FakeOwner, fake_owner, G_TYPE_OBJECT)

static gboolean
fake_owner_cancel (gpointer  owner,
                   PpJob    *job)
{
  FakeOwner *self = FAKE_OWNER (owner);

  self->cancels++;
  if (self->refuse)
    return FALSE;
  return _pp_job_finish_error (job, g_error_new_literal (PP_ERROR, PP_ERROR_CANCELLED,
                                                         "cancelled by the fake owner"));
}

static const PpJobOwnerFuncs fake_owner_funcs = {
  fake_owner_cancel,
};

static void
fake_owner_dispose (GObject *object)
{
  FakeOwner *self = FAKE_OWNER (object);

  if (self->handle != NULL)
    _pp_job_owner_clear (self->handle);
  G_OBJECT_CLASS (fake_owner_parent_class)->dispose (object);
}

static void
fake_owner_finalize (GObject *object)
{
  g_clear_pointer (&FAKE_OWNER (object)->handle, _pp_job_owner_unref);
  G_OBJECT_CLASS (fake_owner_parent_class)->finalize (object);
}

static void
fake_owner_class_init (FakeOwnerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = fake_owner_dispose;
  G_OBJECT_CLASS (klass)->finalize = fake_owner_finalize;
}

static void
fake_owner_init (FakeOwner *self)
{
  self->handle = _pp_job_owner_new (self, &fake_owner_funcs);
}

static PpJob *
new_job (PpJobOwner *owner)
{
  g_autoptr(PpFunction) function = pp_function_new ("f", "def f():\n    return 1\n", NULL);
  g_autoptr(GBytes) args = g_bytes_new_static ("[]", 2);

  return _pp_job_new (owner, 7, function, args, PP_PAYLOAD_FORMAT_JSON, "g");
}

static gboolean
succeed (PpJob      *job,
         const char *result)
{
  g_autoptr(GBytes) bytes = g_bytes_new (result, strlen (result));
  g_auto(PpJobOutcome) outcome = {
    .state = PP_JOB_STATE_DONE,
    .result = bytes,
    .output = g_strdup ("printed\n"),
    .run_time = 0.25,
  };

  return _pp_job_finish (job, &outcome);
}

static void
assert_result (PpJob      *job,
               const char *expected)
{
  g_autoptr(GBytes) result = pp_job_dup_result (job);

  g_assert_nonnull (result);
  g_assert_cmpmem (g_bytes_get_data (result, NULL), g_bytes_get_size (result),
                   expected, strlen (expected));
}

static void
test_states (void)
{
  g_autoptr(PpJob) job = new_job (NULL);
  g_autoptr(GBytes) args = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *node = NULL;
  g_autofree char *output = NULL;

  g_assert_cmpuint (pp_job_get_id (job), ==, 7);
  g_assert_cmpstr (pp_job_get_group (job), ==, "g");
  g_assert_cmpint (pp_job_get_state (job), ==, PP_JOB_STATE_QUEUED);
  g_assert_null (pp_job_dup_node (job));
  g_assert_false (pp_job_is_finished (job));
  g_assert_null (pp_job_dup_result (job));
  g_assert_true (pp_job_propagate_error (job, &error));

  _pp_job_set_running (job, "local");
  g_assert_cmpint (pp_job_get_state (job), ==, PP_JOB_STATE_RUNNING);
  node = pp_job_dup_node (job);
  g_assert_cmpstr (node, ==, "local");
  /* Given back to the queue, then started again. */
  _pp_job_set_queued (job);
  g_assert_cmpint (pp_job_get_state (job), ==, PP_JOB_STATE_QUEUED);
  _pp_job_set_running (job, "local");
  g_assert_cmpuint (_pp_job_add_attempt (job), ==, 1);
  g_assert_cmpuint (_pp_job_add_attempt (job), ==, 2);

  args = _pp_job_get_args (job);
  g_assert_nonnull (args);
  g_assert_true (succeed (job, "42"));
  g_assert_cmpint (pp_job_get_state (job), ==, PP_JOB_STATE_DONE);
  g_assert_true (pp_job_is_finished (job));
  assert_result (job, "42");
  output = pp_job_dup_output (job);
  g_assert_cmpstr (output, ==, "printed\n");
  g_assert_cmpfloat (pp_job_get_run_time (job), ==, 0.25);
  g_assert_cmpuint (pp_job_get_attempts (job), ==, 2);
  g_assert_null (pp_job_dup_exception_type (job));
  /* The arguments go once the job is answered. */
  g_assert_null (_pp_job_get_args (job));
  /* Finished jobs stay finished. */
  _pp_job_set_queued (job);
  _pp_job_set_running (job, "elsewhere");
  g_assert_cmpint (pp_job_get_state (job), ==, PP_JOB_STATE_DONE);
  g_assert_true (pp_job_wait (job, NULL, &error));
  g_assert_no_error (error);
}

/* The first outcome wins; a later one is dropped (and freed). */
static void
test_finish_once (void)
{
  g_autoptr(PpJob) job = new_job (NULL);
  g_autoptr(GBytes) pickled = g_bytes_new_static ("exc", 3);
  g_autoptr(GError) error = NULL;
  g_autofree char *etype = NULL;
  g_autofree char *emsg = NULL;
  g_autofree char *tb = NULL;
  g_autofree char *output = NULL;
  PpJobOutcome failure = {
    .state = PP_JOB_STATE_FAILED,
    .error = g_error_new_literal (PP_ERROR, PP_ERROR_JOB_RAISED, "ValueError: bad"),
    .exception_type = "ValueError",
    .exception_message = "bad",
    .traceback = "Traceback ...",
    .result = pickled,
    .output = g_strdup ("out"),
    .run_time = -1,
  };
  PpJobOutcome late = {
    .state = PP_JOB_STATE_DONE,
    .output = g_strdup ("late"),
    .run_time = 9,
  };

  g_assert_true (_pp_job_finish (job, &failure));
  /* Taken by the job. */
  g_assert_null (failure.error);
  g_assert_null (failure.output);
  g_assert_false (_pp_job_finish (job, &late));
  g_assert_null (late.output);
  g_assert_false (_pp_job_finish_error (job, g_error_new_literal (PP_ERROR, PP_ERROR_CANCELLED, "no")));

  g_assert_cmpint (pp_job_get_state (job), ==, PP_JOB_STATE_FAILED);
  g_assert_false (pp_job_wait (job, NULL, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_JOB_RAISED);
  etype = pp_job_dup_exception_type (job);
  emsg = pp_job_dup_exception_message (job);
  tb = pp_job_dup_traceback (job);
  output = pp_job_dup_output (job);
  g_assert_cmpstr (etype, ==, "ValueError");
  g_assert_cmpstr (emsg, ==, "bad");
  g_assert_cmpstr (tb, ==, "Traceback ...");
  g_assert_cmpstr (output, ==, "out");
  assert_result (job, "exc");
  /* Not run: the time is measured here, never negative. */
  g_assert_cmpfloat (pp_job_get_run_time (job), >=, 0);
  g_assert_cmpfloat (pp_job_get_run_time (job), <, 9);
}

static void
test_finish_error (void)
{
  g_autoptr(PpJob) failed = new_job (NULL);
  g_autoptr(PpJob) cancelled = new_job (NULL);

  g_assert_true (_pp_job_finish_error (failed, g_error_new_literal (PP_ERROR, PP_ERROR_WORKER_CRASHED, "x")));
  g_assert_cmpint (pp_job_get_state (failed), ==, PP_JOB_STATE_FAILED);
  g_assert_true (_pp_job_finish_error (cancelled, g_error_new_literal (PP_ERROR, PP_ERROR_CANCELLED, "x")));
  g_assert_cmpint (pp_job_get_state (cancelled), ==, PP_JOB_STATE_CANCELLED);
  g_assert_null (pp_job_dup_result (cancelled));
}

/* Finishes a job from another thread, after a delay. */
typedef struct
{
  PpJob   *job;
  guint    delay_ms;
  gboolean fail;
} Finisher;

static gpointer
finisher_thread (gpointer data)
{
  Finisher *finisher = data;

  g_usleep (finisher->delay_ms * 1000);
  if (finisher->fail)
    _pp_job_finish_error (finisher->job, g_error_new_literal (PP_ERROR, PP_ERROR_WORKER_CRASHED, "died"));
  else
    succeed (finisher->job, "late");
  return NULL;
}

static GThread *
finish_later (Finisher *finisher,
              PpJob    *job,
              guint     delay_ms,
              gboolean  fail)
{
  finisher->job = job;
  finisher->delay_ms = delay_ms;
  finisher->fail = fail;
  return g_thread_new ("finisher", finisher_thread, finisher);
}

static void
test_wait_blocking (void)
{
  g_autoptr(PpJob) job = new_job (NULL);
  g_autoptr(PpJob) failing = new_job (NULL);
  g_autoptr(GError) error = NULL;
  Finisher finisher;
  GThread *thread;
  gint64 start;

  /* Past the spin: the waiter sleeps and is woken. */
  start = g_get_monotonic_time ();
  thread = finish_later (&finisher, job, 50, FALSE);
  g_assert_true (pp_job_wait (job, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 45 * 1000);
  assert_result (job, "late");
  g_thread_join (thread);

  thread = finish_later (&finisher, failing, 20, TRUE);
  g_assert_false (pp_job_wait (failing, NULL, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_WORKER_CRASHED);
  g_thread_join (thread);
}

static gpointer
cancel_thread (gpointer data)
{
  g_usleep (30 * 1000);
  g_cancellable_cancel (data);
  return NULL;
}

/* The cancellable stops the wait, not the job. */
static void
test_wait_cancelled (void)
{
  g_autoptr(PpJob) job = new_job (NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GThread *thread = g_thread_new ("cancel", cancel_thread, cancellable);

  g_assert_false (pp_job_wait (job, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_thread_join (thread);
  g_assert_cmpint (pp_job_get_state (job), ==, PP_JOB_STATE_QUEUED);
}

static void
test_wait_timeout (void)
{
  g_autoptr(PpJob) job = new_job (NULL);
  Finisher finisher;
  GThread *thread;
  gint64 start = g_get_monotonic_time ();

  g_assert_false (pp_job_wait_timeout (job, 20 * 1000));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 20 * 1000);
  g_assert_false (pp_job_wait_timeout (job, 0));
  g_assert_false (pp_job_wait_timeout (job, -5));

  thread = finish_later (&finisher, job, 30, FALSE);
  /* Woken when it finishes, well before the timeout. */
  start = g_get_monotonic_time ();
  g_assert_true (pp_job_wait_timeout (job, 10 * G_USEC_PER_SEC));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_thread_join (thread);
  g_assert_true (pp_job_wait_timeout (job, 0));
}

typedef struct
{
  GThread  *thread;
  guint     calls;
  gboolean  ok;
  GError   *error;
} AsyncWait;

static void
wait_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  AsyncWait *wait = data;

  wait->calls++;
  wait->thread = g_thread_self ();
  wait->ok = pp_job_wait_finish (PP_JOB (object), result, &wait->error);
}

static void
test_wait_async (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PpJob) job = NULL;
  g_autoptr(PpJob) failing = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  AsyncWait waits[4] = { { 0 } };
  Finisher finisher;
  GThread *thread;

  g_main_context_push_thread_default (context);
  job = new_job (NULL);
  failing = new_job (NULL);

  pp_job_wait_async (job, NULL, wait_done_cb, &waits[0]);
  pp_job_wait_async (job, cancellable, wait_done_cb, &waits[1]);
  g_cancellable_cancel (cancellable);
  /* The cancelled wait ends without the job. */
  while (waits[1].calls == 0)
    g_main_context_iteration (context, TRUE);
  g_assert_false (waits[1].ok);
  g_assert_error (waits[1].error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (waits[0].calls, ==, 0);

  thread = finish_later (&finisher, job, 20, FALSE);
  while (waits[0].calls == 0)
    g_main_context_iteration (context, TRUE);
  g_thread_join (thread);
  g_assert_true (waits[0].ok);
  g_assert_no_error (waits[0].error);
  /* In the caller's thread, from its context. */
  g_assert_true (waits[0].thread == g_thread_self ());

  /* A finished job answers at once (still from the main context). */
  _pp_job_finish_error (failing, g_error_new_literal (PP_ERROR, PP_ERROR_DESTROYED, "gone"));
  pp_job_wait_async (failing, NULL, wait_done_cb, &waits[2]);
  g_assert_cmpuint (waits[2].calls, ==, 0);
  while (waits[2].calls == 0)
    g_main_context_iteration (context, TRUE);
  g_assert_false (waits[2].ok);
  g_assert_error (waits[2].error, PP_ERROR, PP_ERROR_DESTROYED);

  /* Nothing more is delivered: the cancelled wait was called once. */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (waits[0].calls, ==, 1);
  g_assert_cmpuint (waits[1].calls, ==, 1);
  g_main_context_pop_thread_default (context);

  for (guint i = 0; i < G_N_ELEMENTS (waits); i++)
    g_clear_error (&waits[i].error);
}

static void
finished_cb (PpJob    *job,
             gpointer  data)
{
  AsyncWait *wait = data;

  wait->calls++;
  wait->thread = g_thread_self ();
  wait->ok = pp_job_is_finished (job);
}

/* ::finished is emitted in the context the job was created in, not in
 * the thread that finished it, and not before that context runs. */
static void
test_finished_signal (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PpJob) job = NULL;
  g_autoptr(PpJob) quiet = NULL;
  AsyncWait seen = { 0 };
  Finisher finisher;
  GThread *thread;

  g_main_context_push_thread_default (context);
  job = new_job (NULL);
  quiet = new_job (NULL);
  g_main_context_pop_thread_default (context);
  g_signal_connect (job, "finished", G_CALLBACK (finished_cb), &seen);

  thread = finish_later (&finisher, job, 0, FALSE);
  g_thread_join (thread);
  g_assert_true (pp_job_is_finished (job));
  /* Not in the default context, not yet in the job's own. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (seen.calls, ==, 0);
  while (seen.calls == 0)
    g_main_context_iteration (context, TRUE);
  g_assert_true (seen.thread == g_thread_self ());
  g_assert_true (seen.ok);

  /* Once only, even if finished again. */
  g_assert_false (succeed (job, "again"));
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (seen.calls, ==, 1);

  /* A job nobody listens to queues nothing in its context. */
  succeed (quiet, "x");
  g_assert_false (g_main_context_pending (context));
}

static void
test_cancel_through_owner (void)
{
  g_autoptr(FakeOwner) owner = g_object_new (FAKE_TYPE_OWNER, NULL);
  g_autoptr(PpJob) job = new_job (owner->handle);
  g_autoptr(PpJob) done = new_job (owner->handle);
  g_autoptr(PpJob) refused = new_job (owner->handle);
  g_autoptr(PpJob) orphan = new_job (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (pp_job_cancel (job));
  g_assert_cmpuint (owner->cancels, ==, 1);
  g_assert_cmpint (pp_job_get_state (job), ==, PP_JOB_STATE_CANCELLED);
  g_assert_false (pp_job_wait (job, NULL, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_CANCELLED);
  /* Finished: the owner is not asked again. */
  g_assert_false (pp_job_cancel (job));
  g_assert_cmpuint (owner->cancels, ==, 1);

  succeed (done, "1");
  g_assert_false (pp_job_cancel (done));
  g_assert_cmpuint (owner->cancels, ==, 1);

  /* The owner found it finished (or could not): the answer is its own. */
  owner->refuse = TRUE;
  g_assert_false (pp_job_cancel (refused));
  g_assert_cmpuint (owner->cancels, ==, 2);
  g_assert_cmpint (pp_job_get_state (refused), ==, PP_JOB_STATE_QUEUED);

  g_assert_false (pp_job_cancel (orphan));
}

/* The jobs outlive their owner: their handle then leads nowhere. */
static void
test_owner_gone (void)
{
  FakeOwner *owner = g_object_new (FAKE_TYPE_OWNER, NULL);
  g_autoptr(PpJob) job = new_job (owner->handle);
  PpJobOwner *handle = _pp_job_owner_ref (owner->handle);
  gpointer dup = _pp_job_owner_dup (handle);

  g_assert_true (dup == owner);
  g_object_unref (dup);
  g_object_add_weak_pointer (G_OBJECT (owner), (gpointer *) &owner);
  g_object_unref (owner);
  g_assert_null (owner);

  g_assert_null (_pp_job_owner_dup (handle));
  g_assert_false (pp_job_cancel (job));
  g_assert_cmpint (pp_job_get_state (job), ==, PP_JOB_STATE_QUEUED);
  _pp_job_owner_unref (handle);
}

/* A node's copy of a client's function, under the key SHA-256(salt NUL
 * key), taken without hashing the source again. */
static void
test_function_salted (void)
{
  const char *modules[] = { "math", "import os", NULL };
  g_autoptr(PpFunction) function = pp_function_new ("f", "def f(x):\n    return x\n", modules);
  g_autoptr(PpFunction) salted = _pp_function_new_salted (function, "salt");
  g_autoptr(PpFunction) other = _pp_function_new_salted (function, "other salt");
  g_autofree char *input = g_strconcat ("salt", "|", pp_function_get_key (function), NULL);
  g_autofree char *expected = NULL;

  input[4] = '\0';
  expected = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) input,
                                          strlen ("salt") + 1 + 64);
  g_assert_cmpstr (pp_function_get_key (salted), ==, expected);
  g_assert_cmpstr (pp_function_get_key (other), !=, expected);
  g_assert_cmpstr (pp_function_get_name (salted), ==, "f");
  g_assert_cmpstr (pp_function_get_source (salted), ==, pp_function_get_source (function));
  g_assert_cmpstrv (pp_function_get_modules (salted), modules);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/job/function-salted", test_function_salted);

  g_test_add_func ("/job/states", test_states);
  g_test_add_func ("/job/finish-once", test_finish_once);
  g_test_add_func ("/job/finish-error", test_finish_error);
  g_test_add_func ("/job/wait/blocking", test_wait_blocking);
  g_test_add_func ("/job/wait/cancelled", test_wait_cancelled);
  g_test_add_func ("/job/wait/timeout", test_wait_timeout);
  g_test_add_func ("/job/wait/async", test_wait_async);
  g_test_add_func ("/job/finished-signal", test_finished_signal);
  g_test_add_func ("/job/cancel/owner", test_cancel_through_owner);
  g_test_add_func ("/job/cancel/owner-gone", test_owner_gone);

  return g_test_run ();
}
