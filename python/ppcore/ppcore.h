/* ppcore.h — shared declarations of the pp._ppcore extension module
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * pp._ppcore gives the pp package the part of libpp-glib it uses, without
 * PyGObject: the same method names as the Pp-1.0 typelib (so pp's modules
 * run on either), each a thin wrapper that releases the GIL while it
 * blocks.
 */

#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <pp-glib.h>

#if PY_VERSION_HEX < 0x030A0000
static inline PyObject *
Py_NewRef (PyObject *object)
{
  Py_INCREF (object);
  return object;
}
#endif

G_BEGIN_DECLS

typedef struct
{
  PyObject_HEAD
  gpointer object;
} PpcoreObject;

/* Each wraps one reference to a GObject (or a boxed value). */
extern PyTypeObject PpcoreServer_Type;
extern PyTypeObject PpcoreJob_Type;
extern PyTypeObject PpcoreFunction_Type;
extern PyTypeObject PpcoreNode_Type;
extern PyTypeObject PpcoreNodeStats_Type;
extern PyTypeObject PpcoreListModel_Type;
extern PyTypeObject PpcoreAsyncResult_Type;
extern PyTypeObject PpcoreBytes_Type;
extern PyTypeObject PpcoreMainContext_Type;
extern PyTypeObject PpcoreMainLoop_Type;
extern PyTypeObject PpcoreCompletion_Type;

/* ppcore-object.c */
PyObject *ppcore_wrap           (PyTypeObject *type,
                                 gpointer      object);
void      ppcore_object_dealloc (PyObject     *self);
gpointer  ppcore_unwrap         (PyObject     *arg,
                                 PyTypeObject *type,
                                 const char   *what);
PyObject *ppcore_string         (const char   *s);
PyObject *ppcore_take_string    (char         *s);

/* ppcore-errors.c */
extern PyObject *ppcore_error;
int       ppcore_errors_init    (PyObject     *module);
PyObject *ppcore_set_error      (GError       *error);

/* ppcore-module.c: the enum classes pp._backend registers */
PyObject *ppcore_enum           (int           which,
                                 int           value);
enum { PPCORE_ENUM_JOB_STATE, PPCORE_ENUM_NODE_STATE, PPCORE_N_ENUMS };
PyMODINIT_FUNC PyInit__ppcore   (void);

/* ppcore-gil.c: callbacks from GLib into Python */
gboolean  ppcore_gil_ensure     (PyGILState_STATE *state);
PyObject *ppcore_call_report    (PyObject     *callable,
                                 PyObject     *args);
void      ppcore_decref         (gpointer      object);

G_END_DECLS
