/* ppcore-nodes.c — pp._ppcore.Node, NodeStats and the ListModel of nodes
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ppcore.h"

#define OBJECT(self) (((PpcoreObject *) (self))->object)

#define GETTER(prefix, type, name, convert)                        \
  static PyObject *                                                \
  py_##prefix##_##name (PyObject *self,                            \
                        PyObject *unused)                          \
  {                                                                \
    return convert (prefix##_##name ((type *) OBJECT (self)));     \
  }

GETTER (pp_node, PpNode, get_name, ppcore_string)
GETTER (pp_node, PpNode, get_is_local, PyBool_FromLong)
GETTER (pp_node, PpNode, get_host, ppcore_string)
GETTER (pp_node, PpNode, get_port, PyLong_FromUnsignedLong)
GETTER (pp_node, PpNode, get_tls, PyBool_FromLong)
GETTER (pp_node, PpNode, get_discovered, PyBool_FromLong)
GETTER (pp_node, PpNode, get_ncpus, PyLong_FromUnsignedLong)
GETTER (pp_node, PpNode, get_busy, PyLong_FromUnsignedLong)
GETTER (pp_node, PpNode, get_held, PyLong_FromUnsignedLong)
GETTER (pp_node, PpNode, get_jobs_done, PyLong_FromUnsignedLongLong)
GETTER (pp_node, PpNode, get_jobs_failed, PyLong_FromUnsignedLongLong)
GETTER (pp_node, PpNode, get_job_time, PyFloat_FromDouble)
GETTER (pp_node, PpNode, dup_last_error, ppcore_take_string)

/* get_state() -> NodeState (the enum pp._backend registered) */
static PyObject *
pp_node_get_state_py (PyObject *self,
                      PyObject *unused)
{
  return ppcore_enum (PPCORE_ENUM_NODE_STATE, pp_node_get_state ((PpNode *) OBJECT (self)));
}

#define METHOD(prefix, name) { #name, py_##prefix##_##name, METH_NOARGS, NULL }

static PyMethodDef node_methods[] = {
  METHOD (pp_node, get_name),
  METHOD (pp_node, get_is_local),
  METHOD (pp_node, get_host),
  METHOD (pp_node, get_port),
  METHOD (pp_node, get_tls),
  METHOD (pp_node, get_discovered),
  { "get_state", pp_node_get_state_py, METH_NOARGS, "get_state() -> NodeState" },
  METHOD (pp_node, get_ncpus),
  METHOD (pp_node, get_busy),
  METHOD (pp_node, get_held),
  METHOD (pp_node, get_jobs_done),
  METHOD (pp_node, get_jobs_failed),
  METHOD (pp_node, get_job_time),
  METHOD (pp_node, dup_last_error),
  { NULL }
};

PyTypeObject PpcoreNode_Type = {
  PyVarObject_HEAD_INIT (NULL, 0)
  .tp_name = "pp._ppcore.Node",
  .tp_doc = "A PpNode of libpp-glib: the local workers or a remote ppd.",
  .tp_basicsize = sizeof (PpcoreObject),
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_dealloc = ppcore_object_dealloc,
  .tp_methods = node_methods,
};

GETTER (pp_node_stats, PpNodeStats, get_name, ppcore_string)
GETTER (pp_node_stats, PpNodeStats, get_is_local, PyBool_FromLong)
GETTER (pp_node_stats, PpNodeStats, get_ncpus, PyLong_FromUnsignedLong)
GETTER (pp_node_stats, PpNodeStats, get_njobs, PyLong_FromUnsignedLongLong)
GETTER (pp_node_stats, PpNodeStats, get_time, PyFloat_FromDouble)
GETTER (pp_node_stats, PpNodeStats, get_active_jobs, PyLong_FromUnsignedLong)

static PyMethodDef node_stats_methods[] = {
  METHOD (pp_node_stats, get_name),
  METHOD (pp_node_stats, get_is_local),
  METHOD (pp_node_stats, get_ncpus),
  METHOD (pp_node_stats, get_njobs),
  METHOD (pp_node_stats, get_time),
  METHOD (pp_node_stats, get_active_jobs),
  { NULL }
};

PyTypeObject PpcoreNodeStats_Type = {
  PyVarObject_HEAD_INIT (NULL, 0)
  .tp_name = "pp._ppcore.NodeStats",
  .tp_doc = "A PpNodeStats of libpp-glib (Server.list_stats()).",
  .tp_basicsize = sizeof (PpcoreObject),
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_dealloc = ppcore_object_dealloc,
  .tp_methods = node_stats_methods,
};

static PyObject *
list_model_get_n_items (PyObject *self,
                        PyObject *unused)
{
  return PyLong_FromUnsignedLong (g_list_model_get_n_items (G_LIST_MODEL (OBJECT (self))));
}

/* get_item(position) -> Node, or None past the end */
static PyObject *
list_model_get_item (PyObject *self,
                     PyObject *arg)
{
  unsigned long position = PyLong_AsUnsignedLong (arg);
  g_autoptr(GObject) item = NULL;

  if (position == (unsigned long) -1 && PyErr_Occurred ())
    return NULL;
  if (position > G_MAXUINT)
    Py_RETURN_NONE;
  item = g_list_model_get_item (G_LIST_MODEL (OBJECT (self)), position);
  if (item != NULL && !PP_IS_NODE (item))
    {
      PyErr_SetString (PyExc_TypeError, "the list holds no nodes");
      return NULL;
    }
  return ppcore_wrap (&PpcoreNode_Type, item);
}

static PyMethodDef list_model_methods[] = {
  { "get_n_items", list_model_get_n_items, METH_NOARGS, NULL },
  { "get_item", list_model_get_item, METH_O, "get_item(position) -> Node or None" },
  { NULL }
};

PyTypeObject PpcoreListModel_Type = {
  PyVarObject_HEAD_INIT (NULL, 0)
  .tp_name = "pp._ppcore.ListModel",
  .tp_doc = "A server's live list of nodes (Server.get_nodes()).",
  .tp_basicsize = sizeof (PpcoreObject),
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_dealloc = ppcore_object_dealloc,
  .tp_methods = list_model_methods,
};
