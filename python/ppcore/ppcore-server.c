/* ppcore-server.c — pp._ppcore.Server, a PpServer
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ppcore.h"

#define SERVER(self) PP_SERVER (((PpcoreObject *) (self))->object)

/* A Python value as the GValue of property @pspec. */
static gboolean
value_from_python (GValue     *value,
                   GParamSpec *pspec,
                   PyObject   *arg)
{
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);

  g_value_init (value, type);
  if (type == G_TYPE_BOOLEAN)
    {
      int b = PyObject_IsTrue (arg);

      if (b < 0)
        return FALSE;
      g_value_set_boolean (value, b);
    }
  else if (type == G_TYPE_INT || type == G_TYPE_UINT || type == G_TYPE_UINT64)
    {
      long long n = PyLong_AsLongLong (arg);

      if (n == -1 && PyErr_Occurred ())
        return FALSE;
      if (type == G_TYPE_INT && (n < G_MININT || n > G_MAXINT))
        goto range;
      if (type == G_TYPE_UINT && (n < 0 || n > G_MAXUINT))
        goto range;
      if (type == G_TYPE_UINT64 && n < 0)
        goto range;
      if (type == G_TYPE_INT)
        g_value_set_int (value, (int) n);
      else if (type == G_TYPE_UINT)
        g_value_set_uint (value, (guint) n);
      else
        g_value_set_uint64 (value, (guint64) n);
    }
  else if (type == G_TYPE_STRING)
    {
      const char *s = arg == Py_None ? NULL : PyUnicode_AsUTF8 (arg);

      if (s == NULL && arg != Py_None)
        return FALSE;
      g_value_set_string (value, s);
    }
  else if (type == G_TYPE_STRV)
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      PyObject *seq = PySequence_Fast (arg, "a list of strings is needed");
      Py_ssize_t i;

      if (seq == NULL)
        return FALSE;
      for (i = 0; i < PySequence_Fast_GET_SIZE (seq); i++)
        {
          const char *s = PyUnicode_AsUTF8 (PySequence_Fast_GET_ITEM (seq, i));

          if (s == NULL)
            {
              Py_DECREF (seq);
              return FALSE;
            }
          g_strv_builder_add (builder, s);
        }
      Py_DECREF (seq);
      g_value_take_boxed (value, g_strv_builder_end (builder));
    }
  else
    {
      PyErr_Format (PyExc_TypeError, "property %s cannot be set from Python",
                    pspec->name);
      return FALSE;
    }
  return TRUE;

range:
  PyErr_Format (PyExc_OverflowError, "property %s: %lld is out of range",
                pspec->name, PyLong_AsLongLong (arg));
  return FALSE;
}

/* Server(**properties): the server, not started yet (see init()). */
static int
server_init (PyObject *self,
             PyObject *args,
             PyObject *kwargs)
{
  GObjectClass *klass = g_type_class_ref (PP_TYPE_SERVER);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GArray *values = g_array_new (FALSE, TRUE, sizeof (GValue));
  PyObject *key, *arg;
  Py_ssize_t pos = 0;
  int ret = -1;

  g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);
  if (PyTuple_GET_SIZE (args) > 0)
    {
      PyErr_SetString (PyExc_TypeError, "Server() takes properties as keywords only");
      goto out;
    }
  if (((PpcoreObject *) self)->object != NULL)
    {
      PyErr_SetString (PyExc_RuntimeError, "Server() is already initialized");
      goto out;
    }
  while (kwargs != NULL && PyDict_Next (kwargs, &pos, &key, &arg))
    {
      const char *name = PyUnicode_AsUTF8 (key);
      g_autofree char *canonical = NULL;
      GParamSpec *pspec;

      if (name == NULL)
        goto out;
      canonical = g_strdelimit (g_strdup (name), "_", '-');
      pspec = g_object_class_find_property (klass, canonical);
      if (pspec == NULL || !(pspec->flags & G_PARAM_WRITABLE))
        {
          PyErr_Format (PyExc_TypeError, "Server has no writable property %s", name);
          goto out;
        }
      g_array_set_size (values, values->len + 1);
      g_ptr_array_add (names, g_steal_pointer (&canonical));
      if (!value_from_python (&g_array_index (values, GValue, values->len - 1), pspec, arg))
        goto out;
    }
  ((PpcoreObject *) self)->object
    = g_object_new_with_properties (PP_TYPE_SERVER, names->len,
                                    (const char **) names->pdata,
                                    (const GValue *) values->data);
  ret = 0;

out:
  /* value_from_python() initialized every value, even on failure. */
  g_array_unref (values);
  g_ptr_array_unref (names);
  g_type_class_unref (klass);
  return ret;
}

static PyObject *
server_new (PyTypeObject *type,
            PyObject     *args,
            PyObject     *kwargs)
{
  PyObject *self = type->tp_alloc (type, 0);

  if (self != NULL)
    ((PpcoreObject *) self)->object = NULL;
  return self;
}

static PpServer *
server_get (PyObject *self)
{
  if (((PpcoreObject *) self)->object == NULL)
    {
      PyErr_SetString (PyExc_RuntimeError, "the Server is not initialized");
      return NULL;
    }
  return SERVER (self);
}

/* init(cancellable=None): starts the workers. */
static PyObject *
server_initable_init (PyObject *self,
                      PyObject *args)
{
  PpServer *server = server_get (self);
  PyObject *cancellable = Py_None;
  GError *error = NULL;
  gboolean ok;

  if (server == NULL || !PyArg_ParseTuple (args, "|O:init", &cancellable))
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  ok = g_initable_init (G_INITABLE (server), NULL, &error);
  Py_END_ALLOW_THREADS
  if (!ok)
    return ppcore_set_error (error);
  Py_RETURN_TRUE;
}

/* submit_data(function, data, format, group) -> Job */
static PyObject *
server_submit_data (PyObject *self,
                    PyObject *args)
{
  PpServer *server = server_get (self);
  PyObject *pyfunction;
  PpFunction *function;
  Py_buffer data;
  int format;
  const char *group = NULL;
  GError *error = NULL;
  PpJob *job;
  PyObject *ret;

  if (server == NULL
      || !PyArg_ParseTuple (args, "Oy*iz:submit_data", &pyfunction, &data, &format, &group))
    return NULL;
  function = ppcore_unwrap (pyfunction, &PpcoreFunction_Type, "function");
  if (function == NULL)
    {
      PyBuffer_Release (&data);
      return NULL;
    }
  job = pp_server_submit_data (server, function, data.buf, data.len,
                               (PpPayloadFormat) format, group, &error);
  PyBuffer_Release (&data);
  if (job == NULL)
    return ppcore_set_error (error);
  ret = ppcore_wrap (&PpcoreJob_Type, job);
  g_object_unref (job);
  return ret;
}

/* wait_timeout(group, timeout_usec) -> bool: True once no job of group
 * (all if None) is left. */
static PyObject *
server_wait_timeout (PyObject *self,
                     PyObject *args)
{
  PpServer *server = server_get (self);
  const char *group = NULL;
  long long usec;
  gboolean done;

  if (server == NULL || !PyArg_ParseTuple (args, "zL:wait_timeout", &group, &usec))
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  done = pp_server_wait_timeout (server, group, usec);
  Py_END_ALLOW_THREADS
  return PyBool_FromLong (done);
}

static PyObject *
server_get_ncpus (PyObject *self,
                  PyObject *unused)
{
  PpServer *server = server_get (self);

  return server ? PyLong_FromUnsignedLong (pp_server_get_ncpus (server)) : NULL;
}

static PyObject *
server_set_ncpus (PyObject *self,
                  PyObject *arg)
{
  PpServer *server = server_get (self);
  long n;
  int ncpus;

  if (server == NULL)
    return NULL;
  n = PyLong_AsLong (arg);
  if (n == -1 && PyErr_Occurred ())
    return NULL;
  if (n < PP_NCPUS_AUTODETECT || n > G_MAXINT)
    {
      PyErr_SetString (PyExc_ValueError, "ncpus must be >= 0 or NCPUS_AUTODETECT");
      return NULL;
    }
  ncpus = (int) n;
  Py_BEGIN_ALLOW_THREADS
  pp_server_set_ncpus (server, ncpus);
  Py_END_ALLOW_THREADS
  Py_RETURN_NONE;
}

static PyObject *
server_get_uptime (PyObject *self,
                   PyObject *unused)
{
  PpServer *server = server_get (self);

  return server ? PyFloat_FromDouble (pp_server_get_uptime (server)) : NULL;
}

static PyObject *
server_get_active_jobs (PyObject *self,
                        PyObject *args)
{
  PpServer *server = server_get (self);
  const char *group = NULL;

  if (server == NULL || !PyArg_ParseTuple (args, "z:get_active_jobs", &group))
    return NULL;
  return PyLong_FromUnsignedLong (pp_server_get_active_jobs (server, group));
}

static PyObject *
server_format_stats (PyObject *self,
                     PyObject *unused)
{
  PpServer *server = server_get (self);

  return server ? ppcore_take_string (pp_server_format_stats (server)) : NULL;
}

/* list_stats() -> [NodeStats] */
static PyObject *
server_list_stats (PyObject *self,
                   PyObject *unused)
{
  PpServer *server = server_get (self);
  g_autoptr(GPtrArray) stats = NULL;
  PyObject *list;
  guint i;

  if (server == NULL)
    return NULL;
  stats = pp_server_list_stats (server);
  list = PyList_New (stats->len);
  for (i = 0; list != NULL && i < stats->len; i++)
    {
      PyObject *item = ppcore_wrap (&PpcoreNodeStats_Type, g_ptr_array_index (stats, i));

      if (item == NULL)
        Py_CLEAR (list);
      else
        PyList_SET_ITEM (list, i, item);
    }
  return list;
}

/* get_nodes() -> ListModel of Node */
static PyObject *
server_get_nodes (PyObject *self,
                  PyObject *unused)
{
  PpServer *server = server_get (self);

  return server ? ppcore_wrap (&PpcoreListModel_Type, pp_server_get_nodes (server)) : NULL;
}

static PyObject *
server_add_node (PyObject *self,
                 PyObject *args)
{
  PpServer *server = server_get (self);
  const char *address;
  GError *error = NULL;
  PpNode *node;
  PyObject *ret;

  if (server == NULL || !PyArg_ParseTuple (args, "s:add_node", &address))
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  node = pp_server_add_node (server, address, &error);
  Py_END_ALLOW_THREADS
  if (node == NULL)
    return ppcore_set_error (error);
  ret = ppcore_wrap (&PpcoreNode_Type, node);
  g_object_unref (node);
  return ret;
}

static PyObject *
server_remove_node (PyObject *self,
                    PyObject *arg)
{
  PpServer *server = server_get (self);
  PpNode *node = server ? ppcore_unwrap (arg, &PpcoreNode_Type, "node") : NULL;
  GError *error = NULL;
  gboolean ok;

  if (node == NULL)
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  ok = pp_server_remove_node (server, node, &error);
  Py_END_ALLOW_THREADS
  if (!ok)
    return ppcore_set_error (error);
  Py_RETURN_TRUE;
}

static PyObject *
server_destroy (PyObject *self,
                PyObject *unused)
{
  PpServer *server = server_get (self);

  if (server == NULL)
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  pp_server_destroy (server);
  Py_END_ALLOW_THREADS
  Py_RETURN_NONE;
}

#define SERVER_GETTER(name, convert)                               \
  static PyObject *                                                \
  server_##name (PyObject *self,                                   \
                 PyObject *unused)                                 \
  {                                                                \
    PpServer *server = server_get (self);                          \
                                                                   \
    return server ? convert (pp_server_##name (server)) : NULL;    \
  }

SERVER_GETTER (get_queued_jobs, PyLong_FromUnsignedLong)
SERVER_GETTER (get_python, ppcore_string)
SERVER_GETTER (get_runner, ppcore_string)
SERVER_GETTER (get_working_directory, ppcore_string)
SERVER_GETTER (get_restart, PyBool_FromLong)
SERVER_GETTER (get_socket_timeout, PyLong_FromUnsignedLong)
SERVER_GETTER (get_use_tls, PyBool_FromLong)
SERVER_GETTER (get_max_payload_size, PyLong_FromUnsignedLongLong)

static PyObject *
strv_to_list (const char * const *strv)
{
  PyObject *list = PyList_New (0);
  gsize i;

  for (i = 0; list != NULL && strv != NULL && strv[i] != NULL; i++)
    {
      PyObject *item = ppcore_string (strv[i]);

      if (item == NULL || PyList_Append (list, item) < 0)
        Py_CLEAR (list);
      Py_XDECREF (item);
    }
  return list;
}

SERVER_GETTER (get_python_path, strv_to_list)
SERVER_GETTER (get_ppservers, strv_to_list)
SERVER_GETTER (get_export_on_bus, PyBool_FromLong)
SERVER_GETTER (dup_bus_name, ppcore_take_string)
SERVER_GETTER (dup_status, ppcore_take_string)

static PyMethodDef server_methods[] = {
  { "init", server_initable_init, METH_VARARGS, "init(cancellable=None): start the workers" },
  { "submit_data", server_submit_data, METH_VARARGS,
    "submit_data(function, data, format, group) -> Job" },
  { "wait_timeout", server_wait_timeout, METH_VARARGS,
    "wait_timeout(group, timeout_usec) -> bool, without the GIL" },
  { "get_ncpus", server_get_ncpus, METH_NOARGS, NULL },
  { "set_ncpus", server_set_ncpus, METH_O, NULL },
  { "get_uptime", server_get_uptime, METH_NOARGS, NULL },
  { "get_active_jobs", server_get_active_jobs, METH_VARARGS, NULL },
  { "format_stats", server_format_stats, METH_NOARGS, NULL },
  { "list_stats", server_list_stats, METH_NOARGS, "list_stats() -> [NodeStats]" },
  { "get_nodes", server_get_nodes, METH_NOARGS, "get_nodes() -> ListModel of Node" },
  { "add_node", server_add_node, METH_VARARGS, "add_node(address) -> Node" },
  { "remove_node", server_remove_node, METH_O, "remove_node(node) -> True" },
  { "destroy", server_destroy, METH_NOARGS, NULL },
  { "get_queued_jobs", server_get_queued_jobs, METH_NOARGS, NULL },
  { "get_python", server_get_python, METH_NOARGS, NULL },
  { "get_runner", server_get_runner, METH_NOARGS, NULL },
  { "get_working_directory", server_get_working_directory, METH_NOARGS, NULL },
  { "get_restart", server_get_restart, METH_NOARGS, NULL },
  { "get_socket_timeout", server_get_socket_timeout, METH_NOARGS, NULL },
  { "get_use_tls", server_get_use_tls, METH_NOARGS, NULL },
  { "get_max_payload_size", server_get_max_payload_size, METH_NOARGS, NULL },
  { "get_python_path", server_get_python_path, METH_NOARGS, NULL },
  { "get_ppservers", server_get_ppservers, METH_NOARGS, NULL },
  { "get_export_on_bus", server_get_export_on_bus, METH_NOARGS, NULL },
  { "dup_bus_name", server_dup_bus_name, METH_NOARGS,
    "dup_bus_name() -> the name owned on the session bus, or None" },
  { "dup_status", server_dup_status, METH_NOARGS,
    "dup_status() -> the client status document (JSON text)" },
  { NULL }
};

PyTypeObject PpcoreServer_Type = {
  PyVarObject_HEAD_INIT (NULL, 0)
  .tp_name = "pp._ppcore.Server",
  .tp_doc = "Server(**properties): a PpServer of libpp-glib; init() starts it.",
  .tp_basicsize = sizeof (PpcoreObject),
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_new = server_new,
  .tp_init = server_init,
  .tp_dealloc = ppcore_object_dealloc,
  .tp_methods = server_methods,
};
