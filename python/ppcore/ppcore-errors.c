/* ppcore-errors.c — GError as pp._ppcore.Error (domain, code, message)
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ppcore.h"

PyObject *ppcore_error;

int
ppcore_errors_init (PyObject *module)
{
  ppcore_error = PyErr_NewExceptionWithDoc ("pp._ppcore.Error",
                                            "A GError of libpp-glib: domain (the quark's "
                                            "string), code and message, as GLib.Error.",
                                            NULL, NULL);
  if (ppcore_error == NULL)
    return -1;
  Py_INCREF (ppcore_error);
  if (PyModule_AddObject (module, "Error", ppcore_error) < 0)
    {
      Py_DECREF (ppcore_error);
      return -1;
    }
  return 0;
}

static int
set_attr_take (PyObject   *object,
               const char *name,
               PyObject   *value)
{
  int ret;

  if (value == NULL)
    return -1;
  ret = PyObject_SetAttrString (object, name, value);
  Py_DECREF (value);
  return ret;
}

/* Raises @error (and frees it); returns NULL for the caller to return. */
PyObject *
ppcore_set_error (GError *error)
{
  PyObject *exc;

  g_return_val_if_fail (error != NULL, NULL);
  exc = PyObject_CallFunction (ppcore_error, "s", error->message);
  if (exc != NULL
      && set_attr_take (exc, "domain", ppcore_string (g_quark_to_string (error->domain))) == 0
      && set_attr_take (exc, "code", PyLong_FromLong (error->code)) == 0
      && set_attr_take (exc, "message", ppcore_string (error->message)) == 0)
    PyErr_SetObject (ppcore_error, exc);
  Py_XDECREF (exc);
  g_error_free (error);
  return NULL;
}
