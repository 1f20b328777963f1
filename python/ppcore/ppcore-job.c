/* ppcore-job.c — pp._ppcore.Job, a PpJob
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ppcore.h"

#define JOB(self) PP_JOB (((PpcoreObject *) (self))->object)

static PyObject *
job_get_id (PyObject *self,
            PyObject *unused)
{
  return PyLong_FromUnsignedLongLong (pp_job_get_id (JOB (self)));
}

static PyObject *
job_get_group (PyObject *self,
               PyObject *unused)
{
  return ppcore_string (pp_job_get_group (JOB (self)));
}

static PyObject *
job_is_finished (PyObject *self,
                 PyObject *unused)
{
  return PyBool_FromLong (pp_job_is_finished (JOB (self)));
}

/* get_state() -> JobState (the enum pp._backend registered) */
static PyObject *
job_get_state (PyObject *self,
               PyObject *unused)
{
  return ppcore_enum (PPCORE_ENUM_JOB_STATE, pp_job_get_state (JOB (self)));
}

/* wait_timeout(timeout_usec) -> bool, without the GIL */
static PyObject *
job_wait_timeout (PyObject *self,
                  PyObject *arg)
{
  long long usec = PyLong_AsLongLong (arg);
  gboolean done;

  if (usec == -1 && PyErr_Occurred ())
    return NULL;
  /* A finished job keeps the GIL: handing it over, to the callback thread
   * say, would cost more than the look. */
  if (pp_job_is_finished (JOB (self)))
    Py_RETURN_TRUE;
  Py_BEGIN_ALLOW_THREADS
  done = pp_job_wait_timeout (JOB (self), usec);
  Py_END_ALLOW_THREADS
  return PyBool_FromLong (done);
}

/* wait(cancellable=None) -> True, or raises the job's error */
static PyObject *
job_wait (PyObject *self,
          PyObject *args)
{
  PyObject *cancellable = Py_None;
  GError *error = NULL;
  gboolean ok;

  if (!PyArg_ParseTuple (args, "|O:wait", &cancellable))
    return NULL;
  if (cancellable != Py_None)
    {
      PyErr_SetString (PyExc_TypeError, "wait() takes no cancellable here");
      return NULL;
    }
  if (pp_job_is_finished (JOB (self)))
    ok = pp_job_wait (JOB (self), NULL, &error);    /* does not block */
  else
    {
      Py_BEGIN_ALLOW_THREADS
      ok = pp_job_wait (JOB (self), NULL, &error);
      Py_END_ALLOW_THREADS
    }
  if (!ok)
    return ppcore_set_error (error);
  Py_RETURN_TRUE;
}

static PyObject *
job_cancel (PyObject *self,
            PyObject *unused)
{
  gboolean cancelled;

  Py_BEGIN_ALLOW_THREADS
  cancelled = pp_job_cancel (JOB (self));
  Py_END_ALLOW_THREADS
  return PyBool_FromLong (cancelled);
}

/* dup_result() -> Bytes or None */
static PyObject *
job_dup_result (PyObject *self,
                PyObject *unused)
{
  g_autoptr(GBytes) bytes = pp_job_dup_result (JOB (self));
  PyObject *ret;

  if (bytes == NULL)
    Py_RETURN_NONE;
  ret = PpcoreBytes_Type.tp_alloc (&PpcoreBytes_Type, 0);
  if (ret != NULL)
    ((PpcoreObject *) ret)->object = (gpointer) g_steal_pointer (&bytes);
  return ret;
}

/* done_result() -> (result bytes, output or None) of a job that finished
 * successfully, else None: job() in one call instead of four. */
static PyObject *
job_done_result (PyObject *self,
                 PyObject *unused)
{
  g_autoptr(GBytes) bytes = NULL;
  gconstpointer data;
  gsize size;
  PyObject *raw, *output;

  if (pp_job_get_state (JOB (self)) != PP_JOB_STATE_DONE)
    Py_RETURN_NONE;
  bytes = pp_job_dup_result (JOB (self));
  data = bytes ? g_bytes_get_data (bytes, &size) : NULL;
  raw = PyBytes_FromStringAndSize (data ? data : "", data ? size : 0);
  output = raw ? ppcore_take_string (pp_job_dup_output (JOB (self))) : NULL;
  if (output == NULL)
    {
      Py_XDECREF (raw);
      return NULL;
    }
  return Py_BuildValue ("(NN)", raw, output);
}

#define JOB_STRING_GETTER(name)                                    \
  static PyObject *                                                \
  job_##name (PyObject *self,                                      \
              PyObject *unused)                                    \
  {                                                                \
    return ppcore_take_string (pp_job_##name (JOB (self)));        \
  }

JOB_STRING_GETTER (dup_output)
JOB_STRING_GETTER (dup_node)
JOB_STRING_GETTER (dup_exception_type)
JOB_STRING_GETTER (dup_exception_message)
JOB_STRING_GETTER (dup_traceback)

static PyObject *
job_get_run_time (PyObject *self,
                  PyObject *unused)
{
  return PyFloat_FromDouble (pp_job_get_run_time (JOB (self)));
}

static PyObject *
job_get_wait_time (PyObject *self,
                   PyObject *unused)
{
  return PyFloat_FromDouble (pp_job_get_wait_time (JOB (self)));
}

static PyObject *
job_get_attempts (PyObject *self,
                  PyObject *unused)
{
  return PyLong_FromUnsignedLong (pp_job_get_attempts (JOB (self)));
}

/* wait_async(cancellable, callback, user_data): callback(job, result,
 * user_data) runs in the thread-default main context of the caller once
 * the job has finished; wait_finish(result) gives its outcome. */
typedef struct
{
  PyObject *job;
  PyObject *callback;
  PyObject *user_data;
} WaitClosure;

static void
wait_ready_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  WaitClosure *closure = data;
  PyGILState_STATE state;
  PyObject *pyresult, *args, *ret = NULL;

  if (!ppcore_gil_ensure (&state))
    {
      g_free (closure);
      return;
    }
  pyresult = ppcore_wrap (&PpcoreAsyncResult_Type, result);
  args = pyresult ? PyTuple_Pack (3, closure->job, pyresult, closure->user_data) : NULL;
  if (args != NULL)
    ret = ppcore_call_report (closure->callback, args);
  else
    PyErr_WriteUnraisable (closure->callback);
  Py_XDECREF (ret);
  Py_XDECREF (args);
  Py_XDECREF (pyresult);
  Py_DECREF (closure->job);
  Py_DECREF (closure->callback);
  Py_DECREF (closure->user_data);
  g_free (closure);
  PyGILState_Release (state);
}

static PyObject *
job_wait_async (PyObject *self,
                PyObject *args)
{
  PyObject *cancellable, *callback, *user_data = Py_None;
  WaitClosure *closure;

  if (!PyArg_ParseTuple (args, "OO|O:wait_async", &cancellable, &callback, &user_data))
    return NULL;
  if (cancellable != Py_None || !PyCallable_Check (callback))
    {
      PyErr_SetString (PyExc_TypeError, "wait_async(None, callback, user_data) needs a callable");
      return NULL;
    }
  closure = g_new (WaitClosure, 1);
  closure->job = Py_NewRef (self);
  closure->callback = Py_NewRef (callback);
  closure->user_data = Py_NewRef (user_data);
  pp_job_wait_async (JOB (self), NULL, wait_ready_cb, closure);
  Py_RETURN_NONE;
}

static PyObject *
job_wait_finish (PyObject *self,
                 PyObject *arg)
{
  GAsyncResult *result = ppcore_unwrap (arg, &PpcoreAsyncResult_Type, "result");
  GError *error = NULL;

  if (result == NULL)
    return NULL;
  if (!pp_job_wait_finish (JOB (self), result, &error))
    return ppcore_set_error (error);
  Py_RETURN_TRUE;
}

static PyMethodDef job_methods[] = {
  { "get_id", job_get_id, METH_NOARGS, NULL },
  { "get_group", job_get_group, METH_NOARGS, NULL },
  { "is_finished", job_is_finished, METH_NOARGS, NULL },
  { "get_state", job_get_state, METH_NOARGS, "get_state() -> JobState" },
  { "wait_timeout", job_wait_timeout, METH_O, "wait_timeout(usec) -> bool, without the GIL" },
  { "wait", job_wait, METH_VARARGS, "wait(None) -> True or raises Error, without the GIL" },
  { "cancel", job_cancel, METH_NOARGS, NULL },
  { "dup_result", job_dup_result, METH_NOARGS, "dup_result() -> Bytes or None" },
  { "dup_output", job_dup_output, METH_NOARGS, NULL },
  { "done_result", job_done_result, METH_NOARGS,
    "done_result() -> (result bytes, output or None) if the job finished "
    "successfully, else None" },
  { "dup_node", job_dup_node, METH_NOARGS, NULL },
  { "dup_exception_type", job_dup_exception_type, METH_NOARGS, NULL },
  { "dup_exception_message", job_dup_exception_message, METH_NOARGS, NULL },
  { "dup_traceback", job_dup_traceback, METH_NOARGS, NULL },
  { "get_run_time", job_get_run_time, METH_NOARGS, NULL },
  { "get_wait_time", job_get_wait_time, METH_NOARGS, NULL },
  { "get_attempts", job_get_attempts, METH_NOARGS, NULL },
  { "wait_async", job_wait_async, METH_VARARGS,
    "wait_async(None, callback, user_data): callback(job, result, user_data) "
    "in the thread-default main context once the job has finished" },
  { "wait_finish", job_wait_finish, METH_O, "wait_finish(result) -> True or raises Error" },
  { NULL }
};

PyTypeObject PpcoreJob_Type = {
  PyVarObject_HEAD_INIT (NULL, 0)
  .tp_name = "pp._ppcore.Job",
  .tp_doc = "A PpJob of libpp-glib (returned by Server.submit_data()).",
  .tp_basicsize = sizeof (PpcoreObject),
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_dealloc = ppcore_object_dealloc,
  .tp_methods = job_methods,
};

PyTypeObject PpcoreAsyncResult_Type = {
  PyVarObject_HEAD_INIT (NULL, 0)
  .tp_name = "pp._ppcore.AsyncResult",
  .tp_doc = "The GAsyncResult a wait_async() callback gets.",
  .tp_basicsize = sizeof (PpcoreObject),
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_dealloc = ppcore_object_dealloc,
};
