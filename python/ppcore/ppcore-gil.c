/* ppcore-gil.c — calling Python from a GLib callback
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The callbacks run in the thread iterating the main context (pp's
 * callback dispatcher, a Python thread that released the GIL in
 * MainLoop.run()) or, for a destroy notify, in whichever thread drops the
 * last reference: they take the GIL first, unless the interpreter is
 * going away.
 */

#include "ppcore.h"

#if PY_VERSION_HEX >= 0x030D0000
# define ppcore_is_finalizing() Py_IsFinalizing ()
#else
# define ppcore_is_finalizing() _Py_IsFinalizing ()
#endif

gboolean
ppcore_gil_ensure (PyGILState_STATE *state)
{
  if (!Py_IsInitialized () || ppcore_is_finalizing ())
    return FALSE;
  *state = PyGILState_Ensure ();
  return TRUE;
}

/* Calls @callable(*@args) with the GIL held, printing what it raises as
 * PyGObject does; returns the result or NULL. */
PyObject *
ppcore_call_report (PyObject *callable,
                    PyObject *args)
{
  PyObject *ret = PyObject_CallObject (callable, args);

  if (ret == NULL)
    PyErr_WriteUnraisable (callable);
  return ret;
}

/* A GDestroyNotify for a Python object. */
void
ppcore_decref (gpointer object)
{
  PyGILState_STATE state;

  if (object != NULL && ppcore_gil_ensure (&state))
    {
      Py_DECREF ((PyObject *) object);
      PyGILState_Release (state);
    }
}
