/* test-io-thread.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <pp-glib.h>

#include "pp-io-thread-private.h"

/* The I/O thread's end: _pp_io_thread_free() runs what is pending first,
 * the frees that _pp_free_later() queued among it. What such a free
 * releases may hold a reference on the thread's context (a connection
 * does): had the thread quit first, the context would keep its own last
 * reference through the pending source, and leak with its eventfd and the
 * object (one eventfd per pp.Server of a remote node, now and then:
 * tests/stress/scale.py found it). */

typedef struct
{
  PpIoThread   *io;
  GMainContext *context;      /* a reference, as a PpConnection holds one */
  GMutex        lock;
  GCond         cond;
  gboolean      started;
  guint         chain;        /* more _pp_free_later() to queue from the free */
  gint          freed;        /* atomic */
  gint          freed_on_io;  /* atomic */
} State;

static void
held_free (gpointer data)
{
  State *state = data;

  if (_pp_io_thread_is_current (state->io))
    g_atomic_int_inc (&state->freed_on_io);
  g_atomic_int_inc (&state->freed);
  if (state->chain > 0)
    {
      /* A free that queues another, as freeing a node may. */
      state->chain--;
      _pp_free_later (state->context, state, held_free);
      return;
    }
  g_clear_pointer (&state->context, g_main_context_unref);
}

/* On the I/O thread: tells the test it runs, stays busy long enough for
 * the test to be inside _pp_io_thread_free() (its quit queued), then
 * queues the free. */
static gboolean
busy_then_free_later_cb (gpointer data)
{
  State *state = data;

  g_mutex_lock (&state->lock);
  state->started = TRUE;
  g_cond_signal (&state->cond);
  g_mutex_unlock (&state->lock);
  g_usleep (200 * G_TIME_SPAN_MILLISECOND);
  _pp_free_later (state->context, state, held_free);
  return G_SOURCE_REMOVE;
}

static void
run_free_later_before_quit (guint chain)
{
  State state = { NULL };
  GMainContext *context;

  state.io = _pp_io_thread_new ("test-io");
  context = _pp_io_thread_get_context (state.io);
  state.context = g_main_context_ref (context);
  state.chain = chain;
  g_mutex_init (&state.lock);
  g_cond_init (&state.cond);

  g_main_context_invoke (context, busy_then_free_later_cb, &state);
  g_mutex_lock (&state.lock);
  while (!state.started)
    g_cond_wait (&state.cond, &state.lock);
  g_mutex_unlock (&state.lock);
  /* Its quit is queued while the thread is busy: the free must still run,
   * and on the thread, before the context goes. */
  _pp_io_thread_free (state.io);

  g_assert_cmpint (g_atomic_int_get (&state.freed), ==, chain + 1);
  g_assert_cmpint (g_atomic_int_get (&state.freed_on_io), ==, chain + 1);
  g_assert_null (state.context);
  g_mutex_clear (&state.lock);
  g_cond_clear (&state.cond);
}

static void
test_free_later_before_quit (void)
{
  run_free_later_before_quit (0);
}

static void
test_free_later_chain_before_quit (void)
{
  run_free_later_before_quit (3);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/io-thread/free-later-before-quit", test_free_later_before_quit);
  g_test_add_func ("/io-thread/free-later-chain-before-quit", test_free_later_chain_before_quit);

  return g_test_run ();
}
