/* ppcore-function.c — pp._ppcore.Function, a PpFunction
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ppcore.h"

#define FUNCTION(self) PP_FUNCTION (((PpcoreObject *) (self))->object)

/* Function.new(name, source, modules) -> Function */
static PyObject *
function_new (PyObject *cls,
              PyObject *args)
{
  const char *name, *source;
  PyObject *modules, *seq;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) strv = NULL;
  g_autoptr(PpFunction) function = NULL;
  Py_ssize_t i;

  if (!PyArg_ParseTuple (args, "ssO:new", &name, &source, &modules))
    return NULL;
  seq = PySequence_Fast (modules, "modules must be a list of strings");
  if (seq == NULL)
    return NULL;
  for (i = 0; i < PySequence_Fast_GET_SIZE (seq); i++)
    {
      const char *module = PyUnicode_AsUTF8 (PySequence_Fast_GET_ITEM (seq, i));

      if (module == NULL)
        {
          Py_DECREF (seq);
          return NULL;
        }
      g_strv_builder_add (builder, module);
    }
  Py_DECREF (seq);
  strv = g_strv_builder_end (builder);
  function = pp_function_new (name, source, (const char * const *) strv);
  return ppcore_wrap (&PpcoreFunction_Type, function);
}

static PyObject *
function_get_name (PyObject *self,
                   PyObject *unused)
{
  return ppcore_string (pp_function_get_name (FUNCTION (self)));
}

static PyObject *
function_get_key (PyObject *self,
                  PyObject *unused)
{
  return ppcore_string (pp_function_get_key (FUNCTION (self)));
}

static PyMethodDef function_methods[] = {
  { "new", function_new, METH_VARARGS | METH_CLASS,
    "new(name, source, modules) -> Function" },
  { "get_name", function_get_name, METH_NOARGS, NULL },
  { "get_key", function_get_key, METH_NOARGS, NULL },
  { NULL }
};

PyTypeObject PpcoreFunction_Type = {
  PyVarObject_HEAD_INIT (NULL, 0)
  .tp_name = "pp._ppcore.Function",
  .tp_doc = "A PpFunction of libpp-glib: a job's function as source code.",
  .tp_basicsize = sizeof (PpcoreObject),
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_dealloc = ppcore_object_dealloc,
  .tp_methods = function_methods,
};
