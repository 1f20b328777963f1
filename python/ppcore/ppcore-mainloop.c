/* ppcore-mainloop.c — pp._ppcore.MainContext and MainLoop: what pp's
 * callback dispatcher thread needs of GLib's (as GLib.MainContext and
 * GLib.MainLoop)
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ppcore.h"

#define CONTEXT(self) ((GMainContext *) ((PpcoreObject *) (self))->object)
#define LOOP(self) ((GMainLoop *) ((PpcoreObject *) (self))->object)

static void
context_dealloc (PyObject *self)
{
  g_clear_pointer (&((PpcoreObject *) self)->object, g_main_context_unref);
  Py_TYPE (self)->tp_free (self);
}

static PyObject *
context_wrap (GMainContext *context)
{
  PyObject *self = PpcoreMainContext_Type.tp_alloc (&PpcoreMainContext_Type, 0);

  if (self != NULL)
    ((PpcoreObject *) self)->object = (gpointer) g_main_context_ref (context);
  return self;
}

/* MainContext.new() -> MainContext */
static PyObject *
context_new (PyObject *cls,
             PyObject *unused)
{
  g_autoptr(GMainContext) context = g_main_context_new ();

  return context_wrap (context);
}

static gboolean
invoke_cb (gpointer data)
{
  PyGILState_STATE state;
  PyObject *ret;
  gboolean again = G_SOURCE_REMOVE;

  if (!ppcore_gil_ensure (&state))
    return G_SOURCE_REMOVE;
  ret = ppcore_call_report (data, NULL);
  if (ret != NULL)
    again = PyObject_IsTrue (ret) > 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
  Py_XDECREF (ret);
  PyGILState_Release (state);
  return again;
}

/* invoke_full(priority, callable): callable() runs in the thread that
 * iterates the context (again while it returns True); any thread. */
static PyObject *
context_invoke_full (PyObject *self,
                     PyObject *args)
{
  int priority;
  PyObject *callable;

  if (!PyArg_ParseTuple (args, "iO:invoke_full", &priority, &callable))
    return NULL;
  if (!PyCallable_Check (callable))
    {
      PyErr_SetString (PyExc_TypeError, "invoke_full() needs a callable");
      return NULL;
    }
  Py_INCREF (callable);
  /* Run at once when this thread owns the context: with the GIL held,
   * as invoke_cb() expects (it takes it again, which is allowed). */
  g_main_context_invoke_full (CONTEXT (self), priority, invoke_cb, callable, ppcore_decref);
  Py_RETURN_NONE;
}

/* timeout_add(milliseconds, callable): callable() runs in the thread that
 * iterates the context once the time has passed (again while it returns
 * True); any thread. */
static PyObject *
context_timeout_add (PyObject *self,
                     PyObject *args)
{
  g_autoptr(GSource) source = NULL;
  unsigned int interval;
  PyObject *callable;

  if (!PyArg_ParseTuple (args, "IO:timeout_add", &interval, &callable))
    return NULL;
  if (!PyCallable_Check (callable))
    {
      PyErr_SetString (PyExc_TypeError, "timeout_add() needs a callable");
      return NULL;
    }
  Py_INCREF (callable);
  source = g_timeout_source_new (interval);
  g_source_set_callback (source, invoke_cb, callable, ppcore_decref);
  g_source_attach (source, CONTEXT (self));
  Py_RETURN_NONE;
}

static PyObject *
context_push_thread_default (PyObject *self,
                             PyObject *unused)
{
  g_main_context_push_thread_default (CONTEXT (self));
  Py_RETURN_NONE;
}

static PyObject *
context_pop_thread_default (PyObject *self,
                            PyObject *unused)
{
  g_main_context_pop_thread_default (CONTEXT (self));
  Py_RETURN_NONE;
}

static PyMethodDef context_methods[] = {
  { "new", context_new, METH_NOARGS | METH_CLASS, "new() -> MainContext" },
  { "invoke_full", context_invoke_full, METH_VARARGS,
    "invoke_full(priority, callable): call it in the context's thread" },
  { "timeout_add", context_timeout_add, METH_VARARGS,
    "timeout_add(milliseconds, callable): call it in the context's thread later" },
  { "push_thread_default", context_push_thread_default, METH_NOARGS, NULL },
  { "pop_thread_default", context_pop_thread_default, METH_NOARGS, NULL },
  { NULL }
};

PyTypeObject PpcoreMainContext_Type = {
  PyVarObject_HEAD_INIT (NULL, 0)
  .tp_name = "pp._ppcore.MainContext",
  .tp_doc = "A GMainContext: where Job.wait_async() callbacks run.",
  .tp_basicsize = sizeof (PpcoreObject),
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_dealloc = context_dealloc,
  .tp_methods = context_methods,
};

static void
loop_dealloc (PyObject *self)
{
  g_clear_pointer (&((PpcoreObject *) self)->object, g_main_loop_unref);
  Py_TYPE (self)->tp_free (self);
}

/* MainLoop.new(context, is_running) -> MainLoop */
static PyObject *
loop_new (PyObject *cls,
          PyObject *args)
{
  PyObject *context, *self;
  int is_running = 0;

  if (!PyArg_ParseTuple (args, "O!|p:new", &PpcoreMainContext_Type, &context, &is_running))
    return NULL;
  self = PpcoreMainLoop_Type.tp_alloc (&PpcoreMainLoop_Type, 0);
  if (self != NULL)
    ((PpcoreObject *) self)->object = (gpointer) g_main_loop_new (CONTEXT (context), is_running);
  return self;
}

/* run(): iterates the context without the GIL until quit() */
static PyObject *
loop_run (PyObject *self,
          PyObject *unused)
{
  Py_BEGIN_ALLOW_THREADS
  g_main_loop_run (LOOP (self));
  Py_END_ALLOW_THREADS
  Py_RETURN_NONE;
}

static PyObject *
loop_quit (PyObject *self,
           PyObject *unused)
{
  g_main_loop_quit (LOOP (self));
  Py_RETURN_NONE;
}

static PyMethodDef loop_methods[] = {
  { "new", loop_new, METH_VARARGS | METH_CLASS, "new(context, is_running) -> MainLoop" },
  { "run", loop_run, METH_NOARGS, "run(): dispatch until quit(), without the GIL" },
  { "quit", loop_quit, METH_NOARGS, NULL },
  { NULL }
};

PyTypeObject PpcoreMainLoop_Type = {
  PyVarObject_HEAD_INIT (NULL, 0)
  .tp_name = "pp._ppcore.MainLoop",
  .tp_doc = "A GMainLoop, run by pp's callback dispatcher thread.",
  .tp_basicsize = sizeof (PpcoreObject),
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_dealloc = loop_dealloc,
  .tp_methods = loop_methods,
};
