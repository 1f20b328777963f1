/* pp-io-thread.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-io-thread-private.h"

struct _PpIoThread
{
  GMainContext *context;
  GMainLoop    *loop;
  GThread      *thread;
};

typedef struct
{
  GSourceFunc func;
  gpointer    data;
  GMutex      lock;
  GCond       cond;
  gboolean    done;
} SyncCall;

static gpointer
io_thread_main (gpointer data)
{
  PpIoThread *self = data;

  g_main_context_push_thread_default (self->context);
  g_main_loop_run (self->loop);
  g_main_context_pop_thread_default (self->context);

  return NULL;
}

PpIoThread *
_pp_io_thread_new (const char *name)
{
  PpIoThread *self = g_new0 (PpIoThread, 1);

  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new (name, io_thread_main, self);

  return self;
}

GMainContext *
_pp_io_thread_get_context (PpIoThread *self)
{
  return self->context;
}

gboolean
_pp_io_thread_is_current (PpIoThread *self)
{
  return g_thread_self () == self->thread;
}

static gboolean
sync_call_cb (gpointer data)
{
  SyncCall *call = data;

  call->func (call->data);
  g_mutex_lock (&call->lock);
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->lock);

  return G_SOURCE_REMOVE;
}

/* Runs @func on the I/O thread and returns once it has run. */
void
_pp_io_thread_invoke_sync (PpIoThread  *self,
                           GSourceFunc  func,
                           gpointer     data)
{
  SyncCall call = { func, data };

  if (_pp_io_thread_is_current (self))
    {
      func (data);
      return;
    }
  g_mutex_init (&call.lock);
  g_cond_init (&call.cond);
  g_main_context_invoke (self->context, sync_call_cb, &call);
  g_mutex_lock (&call.lock);
  while (!call.done)
    g_cond_wait (&call.cond, &call.lock);
  g_mutex_unlock (&call.lock);
  g_mutex_clear (&call.lock);
  g_cond_clear (&call.cond);
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* Stops the thread after it has run what is pending, and joins it. The
 * quit has the lowest priority: what is ready runs first, among it the
 * frees of _pp_free_later() (G_PRIORITY_HIGH_IDLE) and those they queue.
 * One skipped would hold the context through its source, and what it frees
 * (a connection) holds the context: both would leak, with the context's
 * eventfd. */
void
_pp_io_thread_free (PpIoThread *self)
{
  if (self == NULL)
    return;
  g_assert (!_pp_io_thread_is_current (self));
  g_main_context_invoke_full (self->context, G_PRIORITY_LOW, quit_cb, self->loop, NULL);
  g_thread_join (self->thread);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_free (self);
}

static gboolean
nothing_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

void
_pp_free_later (GMainContext   *context,
                gpointer        data,
                GDestroyNotify  free_func)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  /* The next iteration's dispatch, never an idle one: under a steady
   * load (a flood of connections, a stream of results) the context always
   * has default-priority work, and a lower priority would never come, the
   * objects piling up (64 KiB per closed connection, found by
   * tests/stress/abuse.py; tests/test-free-later.c). */
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, nothing_cb, data, free_func);
  g_source_set_static_name (source, "[pp-glib] free later");
  g_source_attach (source, context);
}
