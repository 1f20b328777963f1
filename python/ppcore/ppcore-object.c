/* ppcore-object.c — a Python object holding one GObject reference
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ppcore.h"

/* Takes a new reference of @object; None for NULL. */
PyObject *
ppcore_wrap (PyTypeObject *type,
             gpointer      object)
{
  PpcoreObject *self;

  if (object == NULL)
    Py_RETURN_NONE;
  self = PyObject_New (PpcoreObject, type);
  if (self == NULL)
    return NULL;
  self->object = g_object_ref (object);
  return (PyObject *) self;
}

void
ppcore_object_dealloc (PyObject *self)
{
  GObject *object = ((PpcoreObject *) self)->object;

  /* The last reference to a server or a job can stop threads: without
   * the GIL, which they may be waiting for. */
  if (object != NULL)
    {
      Py_BEGIN_ALLOW_THREADS
      g_object_unref (object);
      Py_END_ALLOW_THREADS
    }
  Py_TYPE (self)->tp_free (self);
}

/* The GObject of @arg (borrowed), or NULL with TypeError set. */
gpointer
ppcore_unwrap (PyObject     *arg,
               PyTypeObject *type,
               const char   *what)
{
  if (!PyObject_TypeCheck (arg, type) || ((PpcoreObject *) arg)->object == NULL)
    {
      PyErr_Format (PyExc_TypeError, "%s must be a %s, not %.200s",
                    what, type->tp_name, Py_TYPE (arg)->tp_name);
      return NULL;
    }
  return ((PpcoreObject *) arg)->object;
}

PyObject *
ppcore_string (const char *s)
{
  if (s == NULL)
    Py_RETURN_NONE;
  return PyUnicode_DecodeUTF8 (s, strlen (s), "surrogateescape");
}

PyObject *
ppcore_take_string (char *s)
{
  PyObject *ret = ppcore_string (s);

  g_free (s);
  return ret;
}
