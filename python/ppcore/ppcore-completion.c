/* ppcore-completion.c — pp._ppcore.Completion: finished jobs handed to
 * Python in batches
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Completion(server, context, drain) gives pp's callback dispatcher the
 * server's batched completion (_pp_server_set_finished_func(), which
 * libpp-glib exports for this module): the I/O thread queues the jobs
 * that finish, without the GIL, and @context's thread gets them in one
 * wake-up per burst. watch(job, entry) files @entry under its job; once
 * the job has finished, drain([entry, ...]) runs in @context's thread, the
 * GIL taken once per batch instead of once per job (Job.wait_async()).
 */

#include "ppcore.h"

/* libpp-glib/pp-server-private.h, not installed */
typedef void (*PpServerFinishedFunc) (GPtrArray *jobs,
                                      gpointer   user_data);
extern void _pp_server_set_finished_func (PpServer             *self,
                                          GMainContext         *context,
                                          PpServerFinishedFunc  func,
                                          gpointer              user_data);

typedef struct
{
  GMutex        lock;
  PpServer     *server;
  GMainContext *context;
  GSource      *ready_source;
  GHashTable   *watched;        /* PpJob -> GPtrArray of entries */
  GPtrArray    *ready;          /* entries of jobs finished before watch() */
  PyObject     *drain;
} Queue;

typedef struct
{
  PyObject_HEAD
  Queue *queue;
} PpcoreCompletion;

#define QUEUE(self) (((PpcoreCompletion *) (self))->queue)
#define QUEUE_KEY "pp-ppcore-completion"

/* Calls drain(entries), taking the GIL, and drops @entries' references. */
static void
deliver (Queue     *queue,
         GPtrArray *entries)
{
  PyGILState_STATE state;
  PyObject *drain, *list, *ret;

  if (entries->len == 0 || !ppcore_gil_ensure (&state))
    return;
  /* drain() may close the queue (destroying the server from a callback):
   * @queue is not looked at after the call. */
  drain = Py_NewRef (queue->drain);
  list = PyList_New (entries->len);
  for (guint i = 0; i < entries->len; i++)
    {
      /* The list takes over each reference. */
      if (list != NULL)
        PyList_SET_ITEM (list, i, (PyObject *) g_ptr_array_index (entries, i));
      else
        Py_DECREF ((PyObject *) g_ptr_array_index (entries, i));
    }
  g_ptr_array_set_size (entries, 0);
  ret = list ? PyObject_CallOneArg (drain, list) : NULL;
  if (ret == NULL)
    PyErr_WriteUnraisable (drain);
  Py_XDECREF (ret);
  Py_XDECREF (list);
  Py_DECREF (drain);
  PyGILState_Release (state);
}

static void
take_entries_locked (Queue     *queue,
                     PpJob     *job,
                     GPtrArray *out)
{
  gpointer key, value;

  if (!g_hash_table_steal_extended (queue->watched, job, &key, &value))
    return;
  g_ptr_array_extend_and_steal (out, value);
  g_object_unref (key);
}

/* The server's finished jobs, in @context's thread, without the GIL. */
static void
finished_cb (GPtrArray *jobs,
             gpointer   data)
{
  Queue *queue = data;
  g_autoptr(GPtrArray) entries = g_ptr_array_sized_new (jobs->len);

  g_mutex_lock (&queue->lock);
  for (guint i = 0; i < jobs->len; i++)
    take_entries_locked (queue, g_ptr_array_index (jobs, i), entries);
  /* Those watch() found finished too, in the same hand-over. */
  g_ptr_array_extend_and_steal (entries, g_steal_pointer (&queue->ready));
  queue->ready = g_ptr_array_new ();
  g_mutex_unlock (&queue->lock);
  deliver (queue, entries);
}

/* Entries watch() found finished already. */
static gboolean
ready_cb (gpointer data)
{
  Queue *queue = data;
  g_autoptr(GPtrArray) entries = NULL;

  g_mutex_lock (&queue->lock);
  entries = g_steal_pointer (&queue->ready);
  queue->ready = g_ptr_array_new ();
  g_mutex_unlock (&queue->lock);
  deliver (queue, entries);
  return G_SOURCE_CONTINUE;
}

static gboolean
ready_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs ready_funcs = {
  .dispatch = ready_dispatch,
};

/* Completion(server, context, drain) */
static int
completion_init (PyObject *self,
                 PyObject *args,
                 PyObject *kwargs)
{
  PyObject *pyserver, *pycontext, *drain;
  PpServer *server;
  GMainContext *context;
  Queue *queue;

  if (!PyArg_ParseTuple (args, "OOO:Completion", &pyserver, &pycontext, &drain))
    return -1;
  server = ppcore_unwrap (pyserver, &PpcoreServer_Type, "server");
  context = server ? ppcore_unwrap (pycontext, &PpcoreMainContext_Type, "context") : NULL;
  if (context == NULL)
    return -1;
  if (!PyCallable_Check (drain))
    {
      PyErr_SetString (PyExc_TypeError, "drain must be callable");
      return -1;
    }
  if (QUEUE (self) != NULL)
    {
      PyErr_SetString (PyExc_RuntimeError, "Completion() is already initialized");
      return -1;
    }
  /* The server has one finished func: a second queue would take it. */
  if (g_object_get_data (G_OBJECT (server), QUEUE_KEY) != NULL)
    {
      PyErr_SetString (PyExc_RuntimeError, "the server already has a Completion");
      return -1;
    }
  queue = g_new0 (Queue, 1);
  g_mutex_init (&queue->lock);
  queue->server = g_object_ref (server);
  queue->context = g_main_context_ref (context);
  queue->watched = g_hash_table_new_full (NULL, NULL, NULL,
                                          (GDestroyNotify) g_ptr_array_unref);
  queue->ready = g_ptr_array_new ();
  queue->drain = Py_NewRef (drain);
  queue->ready_source = g_source_new (&ready_funcs, sizeof (GSource));
  g_source_set_callback (queue->ready_source, ready_cb, queue, NULL);
  g_source_set_static_name (queue->ready_source, "[pp._ppcore] finished jobs");
  g_source_attach (queue->ready_source, context);
  g_object_set_data (G_OBJECT (server), QUEUE_KEY, queue);
  _pp_server_set_finished_func (server, context, finished_cb, queue);
  QUEUE (self) = queue;
  return 0;
}

static Queue *
completion_get (PyObject *self)
{
  if (QUEUE (self) == NULL)
    PyErr_SetString (PyExc_RuntimeError, "the Completion is closed");
  return QUEUE (self);
}

/* watch(job, entry): drain() gets @entry once @job has finished. */
static PyObject *
completion_watch (PyObject *self,
                  PyObject *args)
{
  Queue *queue = completion_get (self);
  PyObject *pyjob, *entry;
  GPtrArray *entries;
  PpJob *job;
  gboolean wake = FALSE;

  if (queue == NULL || !PyArg_ParseTuple (args, "OO:watch", &pyjob, &entry))
    return NULL;
  job = ppcore_unwrap (pyjob, &PpcoreJob_Type, "job");
  if (job == NULL)
    return NULL;
  Py_INCREF (entry);
  /* Finished jobs reach finished_cb() after their state is set, so a job
   * not finished here is found in the table by the batch that has it. */
  g_mutex_lock (&queue->lock);
  if (pp_job_is_finished (job))
    {
      g_ptr_array_add (queue->ready, entry);
      wake = queue->ready->len == 1;
    }
  else
    {
      entries = g_hash_table_lookup (queue->watched, job);
      if (entries == NULL)
        {
          entries = g_ptr_array_new ();
          g_hash_table_insert (queue->watched, g_object_ref (job), entries);
        }
      g_ptr_array_add (entries, entry);
    }
  g_mutex_unlock (&queue->lock);
  if (wake)
    g_source_set_ready_time (queue->ready_source, 0);
  Py_RETURN_NONE;
}

/* Stops the server's batches; with the GIL. What is left is handed to
 * drain() when @deliver_rest (the jobs have finished, e.g. the server was
 * destroyed: their batch may not have come yet), else dropped. */
static void
queue_free (Queue    *queue,
            gboolean  deliver_rest)
{
  g_autoptr(GPtrArray) rest = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_object_set_data (G_OBJECT (queue->server), QUEUE_KEY, NULL);
  Py_BEGIN_ALLOW_THREADS
  _pp_server_set_finished_func (queue->server, NULL, NULL, NULL);
  g_source_destroy (queue->ready_source);
  Py_END_ALLOW_THREADS
  g_ptr_array_extend_and_steal (rest, g_steal_pointer (&queue->ready));
  g_hash_table_iter_init (&iter, queue->watched);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (deliver_rest && pp_job_is_finished (key))
        {
          g_hash_table_iter_steal (&iter);
          g_ptr_array_extend_and_steal (rest, value);
          g_object_unref (key);
        }
    }
  if (deliver_rest)
    {
      PyObject *list = PyList_New (rest->len);
      PyObject *ret = NULL;

      for (guint i = 0; list != NULL && i < rest->len; i++)
        PyList_SET_ITEM (list, i, Py_NewRef (g_ptr_array_index (rest, i)));
      if (list != NULL && rest->len > 0)
        ret = PyObject_CallOneArg (queue->drain, list);
      if (list == NULL || (rest->len > 0 && ret == NULL))
        PyErr_WriteUnraisable (queue->drain);
      Py_XDECREF (ret);
      Py_XDECREF (list);
    }
  for (guint i = 0; i < rest->len; i++)
    Py_DECREF ((PyObject *) g_ptr_array_index (rest, i));
  g_hash_table_iter_init (&iter, queue->watched);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *entries = value;

      for (guint i = 0; i < entries->len; i++)
        Py_DECREF ((PyObject *) g_ptr_array_index (entries, i));
      g_hash_table_iter_remove (&iter);
      g_object_unref (key);
    }
  g_hash_table_unref (queue->watched);
  g_source_unref (queue->ready_source);
  g_main_context_unref (queue->context);
  g_object_unref (queue->server);
  Py_DECREF (queue->drain);
  g_mutex_clear (&queue->lock);
  g_free (queue);
}

/* close(): from @context's thread (or once it no longer runs). Entries of
 * finished jobs not yet handed over are, now; the others are dropped. */
static PyObject *
completion_close (PyObject *self,
                  PyObject *unused)
{
  Queue *queue = QUEUE (self);

  if (queue != NULL)
    {
      QUEUE (self) = NULL;
      queue_free (queue, TRUE);
    }
  if (PyErr_Occurred ())
    return NULL;
  Py_RETURN_NONE;
}

/* queue_free() in the context's thread: never while its callbacks run. */
static gboolean
free_in_context_cb (gpointer data)
{
  Queue *queue = data;
  PyGILState_STATE state;

  if (ppcore_gil_ensure (&state))
    {
      queue_free (queue, FALSE);
      PyGILState_Release (state);
    }
  return G_SOURCE_REMOVE;
}

static void
completion_dealloc (PyObject *self)
{
  Queue *queue = QUEUE (self);

  if (queue != NULL)
    {
      QUEUE (self) = NULL;
      /* Collected without close(), maybe in another thread while the
       * context's thread is in finished_cb() or ready_cb(): the queue goes
       * in that thread, or now when nobody iterates the context. */
      if (g_main_context_acquire (queue->context))
        {
          queue_free (queue, FALSE);
          g_main_context_release (queue->context);
        }
      else
        g_main_context_invoke (queue->context, free_in_context_cb, queue);
    }
  Py_TYPE (self)->tp_free (self);
}

static PyMethodDef completion_methods[] = {
  { "watch", completion_watch, METH_VARARGS,
    "watch(job, entry): drain([entry, ...]) gets entry once job has finished" },
  { "close", completion_close, METH_NOARGS,
    "close(): stops; hands over the entries of finished jobs left (from the "
    "context's thread)" },
  { NULL }
};

PyTypeObject PpcoreCompletion_Type = {
  PyVarObject_HEAD_INIT (NULL, 0)
  .tp_name = "pp._ppcore.Completion",
  .tp_doc = "Completion(server, context, drain): a server's finished jobs, "
            "handed to drain() in batches in context's thread.",
  .tp_basicsize = sizeof (PpcoreCompletion),
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_new = PyType_GenericNew,
  .tp_init = completion_init,
  .tp_dealloc = completion_dealloc,
  .tp_methods = completion_methods,
};
