/* test-free-later.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* _pp_free_later() frees within an iteration or two of a busy context: a
 * source of the default priority that is always ready stands for a node
 * flooded with connections, and what was closed must not wait for the
 * flood to end (it used to wait for an idle moment: 64 KiB a connection
 * piled up while a crowd of sockets came and went). */

#include "config.h"

#include "pp-io-thread-private.h"

static gboolean
busy_cb (gpointer data)
{
  guint *dispatched = data;

  (*dispatched)++;
  return G_SOURCE_CONTINUE;
}

static void
count_free (gpointer data)
{
  (*(guint *) data)++;
}

static void
test_free_later_busy_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) busy = g_idle_source_new ();
  guint dispatched = 0, freed = 0;

  g_source_set_priority (busy, G_PRIORITY_DEFAULT);
  g_source_set_callback (busy, busy_cb, &dispatched, NULL);
  g_source_attach (busy, context);

  for (guint i = 0; i < 100; i++)
    {
      _pp_free_later (context, &freed, count_free);
      for (guint k = 0; k < 3; k++)
        g_main_context_iteration (context, FALSE);
      g_assert_cmpuint (freed, ==, i + 1);
    }
  g_assert_cmpuint (dispatched, >=, 300);
  g_source_destroy (busy);
}

/* Not from inside the dispatch that asks for it: the caller may be in a
 * callback of the object it frees. */
static gboolean
free_from_callback_cb (gpointer data)
{
  guint *freed = data;

  _pp_free_later (g_main_context_get_thread_default (), freed, count_free);
  g_assert_cmpuint (*freed, ==, 0);
  return G_SOURCE_REMOVE;
}

static void
test_free_later_not_at_once (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) source = g_idle_source_new ();
  guint freed = 0;

  g_main_context_push_thread_default (context);
  g_source_set_callback (source, free_from_callback_cb, &freed, NULL);
  g_source_attach (source, context);
  g_main_context_iteration (context, FALSE);
  g_assert_cmpuint (freed, ==, 0);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (freed, ==, 1);
  g_main_context_pop_thread_default (context);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/free-later/busy-context", test_free_later_busy_context);
  g_test_add_func ("/free-later/not-at-once", test_free_later_not_at_once);
  return g_test_run ();
}
