/* ppcore-module.c — the pp._ppcore module: its types and constants
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ppcore.h"

#define PPCORE_ENUM_CACHED 16

static PyObject *enums[PPCORE_N_ENUMS];
static PyObject *members[PPCORE_N_ENUMS][PPCORE_ENUM_CACHED];

/* The member of the enum class pp._backend registered for @which, or
 * the plain number before it has. */
PyObject *
ppcore_enum (int which,
             int value)
{
  PyObject **member;

  if (enums[which] == NULL)
    return PyLong_FromLong (value);
  if (value < 0 || value >= PPCORE_ENUM_CACHED)
    return PyObject_CallFunction (enums[which], "i", value);
  /* Enum members are singletons: each is looked up once (JobState(v)
   * runs Python code; job.state is read once per job). */
  member = &members[which][value];
  if (*member == NULL)
    *member = PyObject_CallFunction (enums[which], "i", value);
  return *member ? Py_NewRef (*member) : NULL;
}

/* _register_enums(JobState, NodeState) */
static PyObject *
register_enums (PyObject *module,
                PyObject *args)
{
  PyObject *job_state, *node_state;

  if (!PyArg_ParseTuple (args, "OO:_register_enums", &job_state, &node_state))
    return NULL;
  Py_XSETREF (enums[PPCORE_ENUM_JOB_STATE], Py_NewRef (job_state));
  Py_XSETREF (enums[PPCORE_ENUM_NODE_STATE], Py_NewRef (node_state));
  for (int i = 0; i < PPCORE_N_ENUMS; i++)
    for (int j = 0; j < PPCORE_ENUM_CACHED; j++)
      Py_CLEAR (members[i][j]);
  Py_RETURN_NONE;
}

static PyObject *
error_quark_string (PyObject *module,
                    PyObject *unused)
{
  return ppcore_string (g_quark_to_string (PP_ERROR));
}

/* libpp-glib's error codes: PpError has no GType. */
static const struct
{
  const char *name;
  int         code;
} error_codes[] = {
  { "FAILED", PP_ERROR_FAILED },
  { "JOB_RAISED", PP_ERROR_JOB_RAISED },
  { "WORKER_CRASHED", PP_ERROR_WORKER_CRASHED },
  { "CANCELLED", PP_ERROR_CANCELLED },
  { "DESTROYED", PP_ERROR_DESTROYED },
  { "PROTOCOL", PP_ERROR_PROTOCOL },
  { "TOO_LARGE", PP_ERROR_TOO_LARGE },
  { "NO_INTERPRETER", PP_ERROR_NO_INTERPRETER },
  { "INVALID_ARGUMENT", PP_ERROR_INVALID_ARGUMENT },
  { "NOT_SUPPORTED", PP_ERROR_NOT_SUPPORTED },
  { "COMPILE", PP_ERROR_COMPILE },
};

static PyObject *
error_members (void)
{
  PyObject *list = PyList_New (0);
  gsize i;

  for (i = 0; list != NULL && i < G_N_ELEMENTS (error_codes); i++)
    {
      g_autofree char *nick = g_ascii_strdown (error_codes[i].name, -1);
      PyObject *item = Py_BuildValue ("(ssi)", error_codes[i].name, nick, error_codes[i].code);

      if (item == NULL || PyList_Append (list, item) < 0)
        Py_CLEAR (list);
      Py_XDECREF (item);
    }
  return list;
}

/* _enum_members(name) -> [(NAME, nick, value)] of JobState, NodeState,
 * PayloadFormat or Error */
static PyObject *
enum_members (PyObject *module,
              PyObject *arg)
{
  const char *name = PyUnicode_AsUTF8 (arg);
  GType type;
  GEnumClass *klass;
  PyObject *list;
  guint i;

  if (name == NULL)
    return NULL;
  if (g_str_equal (name, "Error"))
    return error_members ();
  if (g_str_equal (name, "JobState"))
    type = PP_TYPE_JOB_STATE;
  else if (g_str_equal (name, "NodeState"))
    type = PP_TYPE_NODE_STATE;
  else if (g_str_equal (name, "PayloadFormat"))
    type = PP_TYPE_PAYLOAD_FORMAT;
  else
    return PyErr_Format (PyExc_ValueError, "no enum %s", name);
  klass = g_type_class_ref (type);
  list = PyList_New (0);
  for (i = 0; list != NULL && i < klass->n_values; i++)
    {
      const GEnumValue *v = &klass->values[i];
      g_autofree char *upper = g_ascii_strup (v->value_nick, -1);
      PyObject *item = Py_BuildValue ("(ssi)", upper, v->value_nick, v->value);

      if (item == NULL || PyList_Append (list, item) < 0)
        Py_CLEAR (list);
      Py_XDECREF (item);
    }
  g_type_class_unref (klass);
  return list;
}

/* get_prgname() -> the program's name (g_get_prgname) or None */
static PyObject *
get_prgname (PyObject *module,
             PyObject *unused)
{
  const char *name = g_get_prgname ();

  if (name == NULL)
    Py_RETURN_NONE;
  return PyUnicode_FromString (name);
}

/* set_prgname(name): the name the session bus export and the status show */
static PyObject *
set_prgname (PyObject *module,
             PyObject *arg)
{
  const char *name = PyUnicode_AsUTF8 (arg);

  if (name == NULL)
    return NULL;
  g_set_prgname (name);
  Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
  { "get_prgname", get_prgname, METH_NOARGS,
    "get_prgname() -> the program's name (g_get_prgname) or None" },
  { "set_prgname", set_prgname, METH_O,
    "set_prgname(name): set the program's name (g_set_prgname)" },
  { "_enum_members", enum_members, METH_O,
    "_enum_members(name) -> [(NAME, nick, value)] of a libpp-glib enum" },
  { "_register_enums", register_enums, METH_VARARGS,
    "_register_enums(JobState, NodeState): the classes get_state() returns" },
  { "error_domain", error_quark_string, METH_NOARGS,
    "error_domain() -> the domain string of libpp-glib's errors" },
  { NULL }
};

static struct PyModuleDef module_def = {
  PyModuleDef_HEAD_INIT,
  .m_name = "pp._ppcore",
  .m_doc = "libpp-glib for the pp package, without PyGObject.",
  .m_size = -1,
  .m_methods = module_methods,
};

static PyTypeObject *types[] = {
  &PpcoreServer_Type,
  &PpcoreJob_Type,
  &PpcoreFunction_Type,
  &PpcoreNode_Type,
  &PpcoreNodeStats_Type,
  &PpcoreListModel_Type,
  &PpcoreAsyncResult_Type,
  &PpcoreBytes_Type,
  &PpcoreMainContext_Type,
  &PpcoreMainLoop_Type,
  &PpcoreCompletion_Type,
};

static int
add_types (PyObject *module)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (types); i++)
    {
      const char *name = strrchr (types[i]->tp_name, '.') + 1;

      if (PyType_Ready (types[i]) < 0)
        return -1;
      Py_INCREF (types[i]);
      if (PyModule_AddObject (module, name, (PyObject *) types[i]) < 0)
        {
          Py_DECREF (types[i]);
          return -1;
        }
    }
  return 0;
}

static int
add_constants (PyObject *module)
{
  if (PyModule_AddIntConstant (module, "NCPUS_AUTODETECT", PP_NCPUS_AUTODETECT) < 0
      || PyModule_AddStringConstant (module, "VERSION_S", PP_VERSION_S) < 0
      || PyModule_AddIntConstant (module, "PAYLOAD_PICKLE", PP_PAYLOAD_FORMAT_PICKLE) < 0
      || PyModule_AddIntConstant (module, "PAYLOAD_JSON", PP_PAYLOAD_FORMAT_JSON) < 0
      || PyModule_AddIntConstant (module, "PRIORITY_DEFAULT", G_PRIORITY_DEFAULT) < 0
      || PyModule_AddIntConstant (module, "PRIORITY_LOW", G_PRIORITY_LOW) < 0)
    return -1;
  return 0;
}

PyMODINIT_FUNC
PyInit__ppcore (void)
{
  PyObject *module = PyModule_Create (&module_def);

  if (module == NULL)
    return NULL;
  if (add_types (module) < 0 || add_constants (module) < 0 || ppcore_errors_init (module) < 0)
    {
      Py_DECREF (module);
      return NULL;
    }
  return module;
}
