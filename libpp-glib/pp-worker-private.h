/* pp-worker-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pp-frame-private.h"

G_BEGIN_DECLS

typedef struct _PpWorker PpWorker;

typedef struct
{
  /* A frame arrived; the callee owns @frame. */
  void (*frame) (PpWorker   *worker,
                 PpFrame    *frame,
                 gpointer    user_data);
  /* The frames of one read have been handled. */
  void (*batch_done) (PpWorker *worker,
                      gpointer  user_data);
  /* The process is gone (and reaped); @reason says how. */
  void (*died)  (PpWorker   *worker,
                 const char *reason,
                 gpointer    user_data);
} PpWorkerCallbacks;

/* A persistent Python runner process with a socket to talk frames over.
 * Reading and dying happen on the thread that runs @context. The output
 * buffer may be filled and flushed from any thread holding @out_lock (the
 * server's lock). What it runs is the local pool's business: a worker
 * knows its process, its socket and its frames. */
struct _PpWorker
{
  guint                    number;
  GPid                     pid;
  GSubprocess             *process;
  int                      fd;
  GSource                 *read_source;
  GSource                 *write_source;
  GMainContext            *context;
  GMutex                  *out_lock;
  GByteArray              *out;
  gsize                    out_pos;
  PpFrameReader           *reader;
  const PpWorkerCallbacks *callbacks;
  gpointer                 user_data;
  gboolean                 dead;
};

PpWorker   *_pp_worker_spawn  (guint                     number,
                               const char               *python,
                               const char               *runner,
                               const char               *cwd,
                               gsize                     max_body,
                               GMainContext             *context,
                               GMutex                   *out_lock,
                               const PpWorkerCallbacks  *callbacks,
                               gpointer                  user_data,
                               GError                  **error);
GByteArray *_pp_worker_get_out (PpWorker                *self);
void        _pp_worker_flush_locked (PpWorker           *self);
void        _pp_worker_close  (PpWorker                 *self);
void        _pp_worker_kill   (PpWorker                 *self,
                               const char               *reason);
void        _pp_worker_free   (PpWorker                 *self);

G_END_DECLS
