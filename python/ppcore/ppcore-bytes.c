/* ppcore-bytes.c — pp._ppcore.Bytes, a GBytes (as GLib.Bytes)
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ppcore.h"

#define BYTES(self) ((GBytes *) ((PpcoreObject *) (self))->object)

static void
bytes_dealloc (PyObject *self)
{
  g_clear_pointer (&((PpcoreObject *) self)->object, g_bytes_unref);
  Py_TYPE (self)->tp_free (self);
}

/* get_data() -> bytes (a copy) */
static PyObject *
bytes_get_data (PyObject *self,
                PyObject *unused)
{
  gsize size;
  gconstpointer data = g_bytes_get_data (BYTES (self), &size);

  return PyBytes_FromStringAndSize (data ? data : "", size);
}

static PyObject *
bytes_get_size (PyObject *self,
                PyObject *unused)
{
  return PyLong_FromSize_t (g_bytes_get_size (BYTES (self)));
}

static PyMethodDef bytes_methods[] = {
  { "get_data", bytes_get_data, METH_NOARGS, "get_data() -> bytes" },
  { "get_size", bytes_get_size, METH_NOARGS, NULL },
  { NULL }
};

PyTypeObject PpcoreBytes_Type = {
  PyVarObject_HEAD_INIT (NULL, 0)
  .tp_name = "pp._ppcore.Bytes",
  .tp_doc = "A job's result bytes (Job.dup_result()).",
  .tp_basicsize = sizeof (PpcoreObject),
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_dealloc = bytes_dealloc,
  .tp_methods = bytes_methods,
};
