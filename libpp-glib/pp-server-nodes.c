/* pp-server-nodes.c
 *
 * A server's nodes: what they ask of it, adding and removing them,
 * and the GListModel of them in the creator's thread.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-error.h"
#include "pp-node-address-private.h"
#include "pp-remote-node-private.h"
#include "pp-server-private.h"

/* What the nodes ask of the server. */
static void
pool_changed_locked (gpointer data)
{
  _pp_server_nodes_changed_locked (data);
}

static void
pool_dispatch_locked (gpointer data)
{
  PpServer *self = data;

  if (!self->destroyed)
    _pp_server_dispatch_and_flush_locked (self);
}

static void
pool_kick (gpointer data)
{
  _pp_server_kick (data);
}

const PpNodeHost _pp_server_node_host = {
  pool_changed_locked,
  pool_dispatch_locked,
  pool_kick,
};

/* On the I/O thread, once per kick: resizes the pool, hands out jobs. */
gboolean
_pp_server_kick_cb (gpointer data)
{
  PpServer *self = data;

  g_atomic_int_set (&self->kick_pending, FALSE);
  g_mutex_lock (&self->sched.lock);
  if (!self->destroyed)
    {
      g_assert (_pp_io_thread_is_current (self->io));
      _pp_local_pool_reconcile_locked (self->pool);
      _pp_server_dispatch_and_flush_locked (self);
    }
  g_mutex_unlock (&self->sched.lock);

  return G_SOURCE_CONTINUE;
}

/* Adding and removing nodes ---------------------------------------------- */

static gboolean
start_remote_cb (gpointer data)
{
  _pp_remote_node_start (data);
  return G_SOURCE_REMOVE;
}

/* A node for @address ("host:port"), connected from the I/O thread. */
PpRemoteNode *
_pp_server_add_remote_locked (PpServer   *self,
                              const char *address,
                              gboolean    discovered)
{
  const char *secret = self->secret ? self->secret : g_getenv ("PP_SECRET");
  PpRemoteNode *node = _pp_remote_node_new (address, secret, self->use_tls, self->socket_timeout,
                                            self->max_payload_size,
                                            _pp_io_thread_get_context (self->io),
                                            &self->sched, &_pp_server_node_host, self);

  if (discovered)
    _pp_remote_node_set_discovered (node);
  _pp_node_attach (PP_NODE (node), self->owner, &self->sched.lock);
  _pp_node_reset_notified_locked (PP_NODE (node));
  g_ptr_array_add (self->remotes, node);
  g_ptr_array_add (self->nodes, node);
  _pp_server_nodes_changed_locked (self);
  g_main_context_invoke_full (_pp_io_thread_get_context (self->io), G_PRIORITY_DEFAULT,
                              start_remote_cb, g_object_ref (node), g_object_unref);
  return node;
}

PpRemoteNode *
_pp_server_find_remote_locked (PpServer   *self,
                               const char *address)
{
  for (guint i = 0; i < self->remotes->len; i++)
    {
      PpRemoteNode *node = g_ptr_array_index (self->remotes, i);

      if (g_str_equal (_pp_remote_node_get_address (node), address))
        return node;
    }
  return NULL;
}

/* Unties @node (already out of the list) from the server: its jobs go back
 * to the front of the queue, its figures freeze, and it is notified as
 * removed. */
void
_pp_server_detach_remote_locked (PpServer     *self,
                      PpRemoteNode *node)
{
  _pp_remote_node_take_back_locked (node);
  node->ready = FALSE;
  _pp_node_detach_locked (PP_NODE (node), PP_NODE_STATE_REMOVED);
  g_ptr_array_add (self->departed, g_object_ref (node));
  _pp_server_nodes_changed_locked (self);
}

void
_pp_server_create_remotes (PpServer *self)
{
  g_mutex_lock (&self->sched.lock);
  for (guint i = 0; self->ppservers != NULL && self->ppservers[i] != NULL; i++)
    {
      const char *address = self->ppservers[i];
      g_autofree char *host_and_port = NULL;

      if (_pp_server_is_discovery_entry (address))
        continue;  /* pp-server-discovery.c */
      host_and_port = _pp_node_address_parse (address, PP_DEFAULT_PORT, NULL);

      if (host_and_port == NULL)  /* refused by _pp_server_check_ppservers() */
        continue;
      _pp_server_add_remote_locked (self, host_and_port, FALSE);
    }
  g_mutex_unlock (&self->sched.lock);
}

/* The nodes' model and notifications ----------------------------------- */

/* The local pool, then the remote nodes in the order they were added. */
static GPtrArray *
list_nodes_locked (PpServer *self)
{
  GPtrArray *nodes = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (nodes, g_object_ref (self->pool));
  for (guint i = 0; i < self->remotes->len; i++)
    g_ptr_array_add (nodes, g_object_ref (g_ptr_array_index (self->remotes, i)));
  return nodes;
}

/* In the creator's thread: the model follows @nodes. */
static void
sync_store (PpServer  *self,
            GPtrArray *nodes)
{
  GListModel *model = G_LIST_MODEL (self->store);

  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(PpNode) node = g_list_model_get_item (model, i - 1);

      if (!g_ptr_array_find (nodes, node, NULL))
        g_list_store_remove (self->store, i - 1);
    }
  for (guint i = 0; i < nodes->len; i++)
    if (!g_list_store_find (self->store, g_ptr_array_index (nodes, i), NULL))
      g_list_store_append (self->store, g_ptr_array_index (nodes, i));
}

/* The model changes in the creator's thread at once, elsewhere at the
 * next notification. */
void
_pp_server_sync_store_if_creator (PpServer *self)
{
  g_autoptr(GPtrArray) nodes = NULL;

  if (g_thread_self () != self->creator_thread)
    return;
  g_mutex_lock (&self->sched.lock);
  nodes = list_nodes_locked (self);
  g_mutex_unlock (&self->sched.lock);
  sync_store (self, nodes);
}

gboolean
_pp_server_notify_nodes_cb (gpointer data)
{
  PpServer *self = data;
  g_autoptr(GPtrArray) nodes = NULL;
  g_autoptr(GPtrArray) departed = NULL;

  g_mutex_lock (&self->sched.lock);
  self->nodes_armed = FALSE;
  self->nodes_notified_at = g_get_monotonic_time ();
  nodes = list_nodes_locked (self);
  for (guint i = 0; i < nodes->len; i++)
    {
      PpNodeValues values = { 0 };

      _pp_node_read_locked (g_ptr_array_index (nodes, i), &values);
      _pp_node_values_clear (&values);
    }
  departed = g_steal_pointer (&self->departed);
  self->departed = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_unlock (&self->sched.lock);

  sync_store (self, nodes);
  for (guint i = 0; i < nodes->len; i++)
    _pp_node_notify_changes (g_ptr_array_index (nodes, i));
  for (guint i = 0; i < departed->len; i++)
    _pp_node_notify_changes (g_ptr_array_index (departed, i));
  return G_SOURCE_CONTINUE;
}

void
_pp_server_clear_nodes (PpServer *self)
{
  if (self->nodes_source != NULL)
    g_source_destroy (self->nodes_source);
  g_clear_pointer (&self->nodes_source, g_source_unref);
  g_clear_pointer (&self->departed, g_ptr_array_unref);
  g_clear_object (&self->store);
  if (self->pool != NULL)
    {
      g_mutex_lock (&self->sched.lock);
      _pp_node_detach_locked (PP_NODE (self->pool), PP_NODE_STATE_REMOVED);
      g_mutex_unlock (&self->sched.lock);
    }
  g_clear_object (&self->pool);
}

/**
 * pp_server_get_nodes:
 * @self: a #PpServer
 *
 * Gets the nodes the server runs jobs on: its pool of local workers first,
 * then the remote nodes in the order they were added (from
 * [property@Pp.Server:ppservers], then [method@Pp.Server.add_node]).
 *
 * The model belongs to the thread that created the server: use it there,
 * where its [signal@Gio.ListModel::items-changed] and the nodes'
 * notifications are emitted, in the thread-default main context it had
 * then. Nodes added or removed from that thread show at once; from
 * another thread, at the next notification.
 *
 * Returns: (transfer none): a #GListModel of #PpNode
 *
 * Since: 0.1
 */
GListModel *
pp_server_get_nodes (PpServer *self)
{
  g_return_val_if_fail (PP_IS_SERVER (self), NULL);

  _pp_server_sync_store_if_creator (self);
  return G_LIST_MODEL (self->store);
}

/**
 * pp_server_add_node:
 * @self: a #PpServer
 * @address: the node, as `"host"` or `"host:port"`: the forms of
 *   [property@Pp.Server:ppservers]
 * @error: return location for a #GError
 *
 * Adds a remote `ppd` node while the server runs. It is connected in the
 * background (with the server's secret, TLS setting and socket timeout)
 * and takes jobs once it is ready; until then, and whenever it cannot be
 * reached, jobs run elsewhere.
 *
 * Fails with %PP_ERROR_INVALID_ARGUMENT when @address is malformed or
 * names a node the server already has, %PP_ERROR_NOT_SUPPORTED for
 * discovery (`"*"`: give it in [property@Pp.Server:ppservers]), and %PP_ERROR_DESTROYED once the server is destroyed.
 *
 * Returns: (transfer full): the new node, or %NULL on error
 *
 * Since: 0.1
 */
PpNode *
pp_server_add_node (PpServer    *self,
                    const char  *address,
                    GError     **error)
{
  g_autofree char *host_and_port = NULL;
  PpRemoteNode *node = NULL;

  g_return_val_if_fail (PP_IS_SERVER (self), NULL);
  g_return_val_if_fail (address != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_str_equal (address, "*") || g_str_has_prefix (address, "*:"))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_NOT_SUPPORTED,
                   "“%s” asks for discovery, which is set with ppservers; give a node's address",
                   address);
      return NULL;
    }
  host_and_port = _pp_node_address_parse (address, PP_DEFAULT_PORT, error);
  if (host_and_port == NULL || !_pp_server_ensure_secret (self, error))
    return NULL;

  g_mutex_lock (&self->sched.lock);
  if (self->destroyed || self->io == NULL)
    g_set_error (error, PP_ERROR, PP_ERROR_DESTROYED, "The job server was destroyed");
  else if (_pp_server_find_remote_locked (self, host_and_port) != NULL)
    g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                 "%s is a node of this server already", host_and_port);
  else
    node = g_object_ref (_pp_server_add_remote_locked (self, host_and_port, FALSE));
  g_mutex_unlock (&self->sched.lock);

  _pp_server_sync_store_if_creator (self);
  return node ? PP_NODE (node) : NULL;
}

typedef struct
{
  PpServer     *server;
  PpRemoteNode *node;
  gboolean      found;
} RemoveCall;

/* On the I/O thread: the node's connection belongs to it. */
static gboolean
remove_node_cb (gpointer data)
{
  RemoveCall *call = data;
  PpServer *self = call->server;

  g_mutex_lock (&self->sched.lock);
  call->found = !self->destroyed && g_ptr_array_remove (self->remotes, call->node);
  if (call->found)
    g_ptr_array_remove (self->nodes, call->node);
  if (call->found)
    _pp_server_detach_remote_locked (self, call->node);
  g_mutex_unlock (&self->sched.lock);

  if (call->found)
    {
      _pp_remote_node_shutdown (call->node);
      g_object_unref (call->node);
      _pp_server_kick (self);
    }
  return G_SOURCE_REMOVE;
}

/**
 * pp_server_remove_node:
 * @self: a #PpServer
 * @node: a remote node of @self
 * @error: return location for a #GError
 *
 * Removes a remote node while jobs run. The jobs it held go back to the
 * front of the queue and run elsewhere, each of them finishing exactly
 * once (a job the node was running may have run there in part); answers
 * the node sends later are ignored. @node ends in
 * %PP_NODE_STATE_REMOVED.
 *
 * The local pool cannot be removed (%PP_ERROR_NOT_SUPPORTED: set
 * [property@Pp.Server:ncpus] to 0 instead); a node that is not one of
 * @self's, or was removed already, is %PP_ERROR_INVALID_ARGUMENT.
 *
 * Returns: %TRUE if @node was removed
 *
 * Since: 0.1
 */
gboolean
pp_server_remove_node (PpServer  *self,
                       PpNode    *node,
                       GError   **error)
{
  RemoveCall call = { self, NULL, FALSE };
  gboolean running;

  g_return_val_if_fail (PP_IS_SERVER (self), FALSE);
  g_return_val_if_fail (PP_IS_NODE (node), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (pp_node_get_is_local (node))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_NOT_SUPPORTED,
                   "The local pool cannot be removed; set its ncpus to 0 instead");
      return FALSE;
    }
  g_mutex_lock (&self->sched.lock);
  running = !self->destroyed && self->io != NULL;
  g_mutex_unlock (&self->sched.lock);
  if (running)
    {
      call.node = PP_REMOTE_NODE (node);
      _pp_io_thread_invoke_sync (self->io, remove_node_cb, &call);
    }
  if (!call.found)
    {
      g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                   "%s is not a node of this server", pp_node_get_name (node));
      return FALSE;
    }
  _pp_server_sync_store_if_creator (self);
  _pp_scheduler_empty_graveyard (&self->sched);
  return TRUE;
}
