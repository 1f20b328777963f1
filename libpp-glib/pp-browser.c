/* pp-browser.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-browser-private.h"

/**
 * PpBrowser:
 *
 * Finds `ppd` nodes on the local network: a [iface@Gio.ListModel] of
 * [class@Pp.DiscoveredNode], kept up to date as nodes are announced
 * (`ppd -a`) and withdrawn.
 *
 * Two mechanisms run side by side. DNS-SD (`_ppd._tcp`, through
 * avahi-daemon): a node seen on several interfaces and over IPv4 and IPv6
 * is one item, merged by its TXT `id`; a node is withdrawn when
 * avahi-daemon says so. And pp's own way, for a cluster without
 * avahi-daemon: UDP announcements received on
 * [property@Pp.Browser:port] (60000 when 0), each valid for the time its
 * sender says; a node that stops sending them is gone when they expire.
 * When avahi-daemon is not running (or stops), the browser says so once
 * in the log, goes on with the UDP announcements alone, and takes DNS-SD
 * up again when avahi-daemon comes back.
 *
 * A new node is listed 0.2 s after it is first seen, so that what one
 * announcement brings on every interface and protocol arrives first: its
 * [property@Pp.DiscoveredNode:address] is then the best of them (IPv4
 * before IPv6, link-local last).
 *
 * Connect to [signal@Gio.ListModel::items-changed] before
 * [method@Pp.Browser.start]: nothing is found before it. The model
 * changes, and its signals are emitted, in the thread-default main
 * context of the thread that created the browser.
 *
 * A found node is not trusted: connecting to it still needs the mutual
 * proof of the secret (see [class@Pp.Server]).
 *
 * Since: 0.1
 */

#define DEFAULT_UDP_PORT 60000
/* Anyone on the network may announce: a flood of made-up nodes stops here. */
#define MAX_SIGHTINGS    1024
/* A new node is listed once what its first announcement brings (one per
 * interface and protocol, all at once) has come: with all its addresses,
 * the best first. */
#define SETTLE_MS        200

struct _PpBrowser
{
  GObject          parent_instance;

  guint            port;         /* 0: every node */
  GMainContext    *context;
  PpBrowserAvahi  *avahi;
  PpBrowserUdp    *udp;
  gboolean         started;
  gboolean         dns_sd;
  gboolean         told_full;

  GHashTable      *sightings;    /* key → PpSighting */
  GHashTable      *settling;     /* id → GSource, nodes about to be listed */
  GPtrArray       *items;        /* PpDiscoveredNode, in the order found */
};

enum {
  PROP_0,
  PROP_PORT,
  PROP_DNS_SD,
  PROP_BROADCAST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void pp_browser_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PpBrowser, pp_browser, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, pp_browser_list_model_init))

static GType
pp_browser_get_item_type (GListModel *model)
{
  return PP_TYPE_DISCOVERED_NODE;
}

static guint
pp_browser_get_n_items (GListModel *model)
{
  return PP_BROWSER (model)->items->len;
}

static gpointer
pp_browser_get_item (GListModel *model,
                     guint       position)
{
  PpBrowser *self = PP_BROWSER (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
pp_browser_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = pp_browser_get_item_type;
  iface->get_n_items = pp_browser_get_n_items;
  iface->get_item = pp_browser_get_item;
}

/* Sightings ------------------------------------------------------------- */

static gboolean
find_item (PpBrowser  *self,
           const char *id,
           guint      *position)
{
  for (guint i = 0; i < self->items->len; i++)
    if (g_str_equal (pp_discovered_node_get_id (g_ptr_array_index (self->items, i)), id))
      {
        *position = i;
        return TRUE;
      }
  return FALSE;
}

/* The sightings of @id, oldest key first (stable), or NULL. */
static GPtrArray *
sightings_of (PpBrowser  *self,
              const char *id)
{
  GPtrArray *found = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->sightings);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_str_equal (((PpSighting *) value)->id, id))
      g_ptr_array_add (found, value);
  if (found->len == 0)
    g_clear_pointer (&found, g_ptr_array_unref);
  return found;
}

static void
add_item (PpBrowser  *self,
          const char *id,
          GPtrArray  *sightings)
{
  PpDiscoveredNode *node = _pp_discovered_node_new (g_ptr_array_index (sightings, 0));

  _pp_discovered_node_update (node, sightings);
  g_debug ("Found node %s (%s) at %s port %u by %s", id, pp_discovered_node_get_name (node),
           pp_discovered_node_get_address (node), pp_discovered_node_get_port (node),
           pp_discovered_node_get_mechanism (node));
  g_ptr_array_add (self->items, node);
  g_list_model_items_changed (G_LIST_MODEL (self), self->items->len - 1, 0, 1);
}

typedef struct
{
  PpBrowser *browser;
  char      *id;
} Settling;

static void
settling_free (gpointer data)
{
  Settling *settling = data;

  g_free (settling->id);
  g_free (settling);
}

static gboolean
settled_cb (gpointer data)
{
  Settling *settling = data;
  PpBrowser *self = settling->browser;
  g_autoptr(GPtrArray) sightings = NULL;
  gpointer key = NULL, source = NULL;
  guint position;

  /* The source stays alive until this returns. */
  if (!g_hash_table_steal_extended (self->settling, settling->id, &key, &source))
    return G_SOURCE_REMOVE;
  g_free (key);
  g_source_unref (source);
  sightings = sightings_of (self, settling->id);
  if (sightings != NULL && !find_item (self, settling->id, &position))
    add_item (self, settling->id, sightings);
  return G_SOURCE_REMOVE;
}

static void
settle (PpBrowser  *self,
        const char *id)
{
  Settling *settling;
  GSource *source;

  if (g_hash_table_contains (self->settling, id))
    return;
  settling = g_new0 (Settling, 1);
  settling->browser = self;
  settling->id = g_strdup (id);
  source = g_timeout_source_new (SETTLE_MS);
  g_source_set_callback (source, settled_cb, settling, settling_free);
  g_source_attach (source, self->context);
  g_hash_table_insert (self->settling, g_strdup (id), source);
}

static void
destroy_source (gpointer source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

/* The item of @id follows its sightings: updated, added or removed. */
static void
refresh (PpBrowser   *self,
         const char  *id,
         PpSighting  *latest)
{
  g_autoptr(GPtrArray) sightings = sightings_of (self, id);
  guint position;
  gboolean known = find_item (self, id, &position);

  if (sightings == NULL && known)
    {
      g_debug ("Node %s (%s) is gone", id,
               pp_discovered_node_get_name (g_ptr_array_index (self->items, position)));
      g_ptr_array_remove_index (self->items, position);
      g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
      return;
    }
  if (sightings == NULL)
    return;
  if (latest != NULL)  /* it tells the name and TXT: last */
    {
      g_ptr_array_remove (sightings, latest);
      g_ptr_array_add (sightings, latest);
    }
  if (known)
    _pp_discovered_node_update (g_ptr_array_index (self->items, position), sightings);
  else
    settle (self, id);
}

void
_pp_browser_sighted (PpBrowser  *self,
                     const char *key,
                     PpSighting *sighting)
{
  PpSighting *previous = g_hash_table_lookup (self->sightings, key);
  g_autofree char *previous_id = NULL;

  if (self->port != 0 && sighting->port != self->port)
    {
      _pp_sighting_free (sighting);
      _pp_browser_lost (self, key);
      return;
    }
  if (previous == NULL && g_hash_table_size (self->sightings) >= MAX_SIGHTINGS)
    {
      if (!self->told_full)
        g_warning ("Discovery: %u announcements seen; ignoring more", MAX_SIGHTINGS);
      self->told_full = TRUE;
      _pp_sighting_free (sighting);
      return;
    }
  if (previous != NULL && !g_str_equal (previous->id, sighting->id))
    previous_id = g_strdup (previous->id);
  g_hash_table_replace (self->sightings, g_strdup (key), sighting);
  if (previous_id != NULL)
    refresh (self, previous_id, NULL);
  refresh (self, sighting->id, sighting);
}

void
_pp_browser_lost (PpBrowser  *self,
                  const char *key)
{
  PpSighting *sighting = g_hash_table_lookup (self->sightings, key);
  g_autofree char *id = NULL;

  if (sighting == NULL)
    return;
  id = g_strdup (sighting->id);
  g_hash_table_remove (self->sightings, key);
  refresh (self, id, NULL);
}

void
_pp_browser_lost_prefix (PpBrowser  *self,
                         const char *prefix)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->sightings);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_str_has_prefix (key, prefix))
      g_ptr_array_add (keys, g_strdup (key));
  for (guint i = 0; i < keys->len; i++)
    _pp_browser_lost (self, g_ptr_array_index (keys, i));
}

void
_pp_browser_set_dns_sd (PpBrowser *self,
                        gboolean   active)
{
  if (self->dns_sd == active)
    return;
  self->dns_sd = active;
  if (!active)
    _pp_browser_lost_prefix (self, "dns-sd:");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DNS_SD]);
}

/* Public API -------------------------------------------------------------- */

/**
 * pp_browser_new:
 * @port: the only TCP port of the nodes to list, or 0 for every node
 *
 * Creates a browser, not started yet: connect to its signals, then call
 * [method@Pp.Browser.start]. @port also names the UDP port on which pp's
 * fallback announcements are received (60000 when @port is 0), as
 * `pp.Server(ppservers=("*:PORT",))` does.
 *
 * Returns: (transfer full): a new #PpBrowser
 *
 * Since: 0.1
 */
PpBrowser *
pp_browser_new (guint port)
{
  g_return_val_if_fail (port <= 65535, NULL);
  return g_object_new (PP_TYPE_BROWSER, "port", port, NULL);
}

/**
 * pp_browser_start:
 * @self: a #PpBrowser
 *
 * Starts looking for nodes: DNS-SD through avahi-daemon (or waiting for
 * it to appear) and the UDP announcements. What is found arrives in the
 * thread-default main context of the thread that created @self.
 * Starting a started browser does nothing.
 *
 * Since: 0.1
 */
void
pp_browser_start (PpBrowser *self)
{
  guint udp_port;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (PP_IS_BROWSER (self));

  if (self->started)
    return;
  self->started = TRUE;
  udp_port = self->port != 0 ? self->port : DEFAULT_UDP_PORT;
  self->udp = _pp_browser_udp_new (self, udp_port, self->context, &error);
  if (self->udp == NULL)
    g_warning ("Discovery: no UDP announcements on port %u: %s", udp_port, error->message);
  else
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BROADCAST]);
#ifdef HAVE_AVAHI
  self->avahi = _pp_browser_avahi_new (self, self->context);
#else
  g_message ("Discovery: built without avahi; UDP announcements on port %u only", udp_port);
#endif
}

/**
 * pp_browser_stop:
 * @self: a #PpBrowser
 *
 * Stops looking for nodes; the model empties. It may be started again.
 *
 * Since: 0.1
 */
void
pp_browser_stop (PpBrowser *self)
{
  guint n;

  g_return_if_fail (PP_IS_BROWSER (self));

  if (!self->started)
    return;
  self->started = FALSE;
  g_clear_pointer (&self->avahi, _pp_browser_avahi_free);
  if (self->udp != NULL)
    {
      g_clear_pointer (&self->udp, _pp_browser_udp_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BROADCAST]);
    }
  _pp_browser_set_dns_sd (self, FALSE);
  g_hash_table_remove_all (self->settling);
  g_hash_table_remove_all (self->sightings);
  n = self->items->len;
  g_ptr_array_set_size (self->items, 0);
  if (n > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, n, 0);
}

/**
 * pp_browser_get_port:
 * @self: a #PpBrowser
 *
 * Gets the port the browser filters on.
 *
 * Returns: the port, 0 for every node
 *
 * Since: 0.1
 */
guint
pp_browser_get_port (PpBrowser *self)
{
  g_return_val_if_fail (PP_IS_BROWSER (self), 0);
  return self->port;
}

/**
 * pp_browser_get_dns_sd:
 * @self: a #PpBrowser
 *
 * Gets whether DNS-SD is browsing now (avahi-daemon is running).
 *
 * Returns: %TRUE while DNS-SD browses
 *
 * Since: 0.1
 */
gboolean
pp_browser_get_dns_sd (PpBrowser *self)
{
  g_return_val_if_fail (PP_IS_BROWSER (self), FALSE);
  return self->dns_sd;
}

/**
 * pp_browser_get_broadcast:
 * @self: a #PpBrowser
 *
 * Gets whether UDP announcements (pp's fallback) are received.
 *
 * Returns: %TRUE while they are
 *
 * Since: 0.1
 */
gboolean
pp_browser_get_broadcast (PpBrowser *self)
{
  g_return_val_if_fail (PP_IS_BROWSER (self), FALSE);
  return self->udp != NULL;
}

/* GObject ---------------------------------------------------------------- */

static void
pp_browser_dispose (GObject *object)
{
  PpBrowser *self = PP_BROWSER (object);

  g_clear_pointer (&self->avahi, _pp_browser_avahi_free);
  g_clear_pointer (&self->udp, _pp_browser_udp_free);
  g_hash_table_remove_all (self->settling);
  G_OBJECT_CLASS (pp_browser_parent_class)->dispose (object);
}

static void
pp_browser_finalize (GObject *object)
{
  PpBrowser *self = PP_BROWSER (object);

  g_hash_table_unref (self->settling);
  g_hash_table_unref (self->sightings);
  g_ptr_array_unref (self->items);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (pp_browser_parent_class)->finalize (object);
}

static void
pp_browser_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  PpBrowser *self = PP_BROWSER (object);

  switch (prop_id)
    {
    case PROP_PORT:      g_value_set_uint (value, self->port); break;
    case PROP_DNS_SD:    g_value_set_boolean (value, self->dns_sd); break;
    case PROP_BROADCAST: g_value_set_boolean (value, self->udp != NULL); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pp_browser_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  PpBrowser *self = PP_BROWSER (object);

  switch (prop_id)
    {
    case PROP_PORT: self->port = g_value_get_uint (value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pp_browser_class_init (PpBrowserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = pp_browser_dispose;
  object_class->finalize = pp_browser_finalize;
  object_class->get_property = pp_browser_get_property;
  object_class->set_property = pp_browser_set_property;

  /**
   * PpBrowser:port: (getter get_port)
   *
   * The only TCP port of the nodes to list (and the UDP port of the
   * fallback announcements), or 0 for every node (announcements on
   * 60000).
   *
   * Since: 0.1
   */
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0,
                                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                             G_PARAM_STATIC_STRINGS);
  /**
   * PpBrowser:dns-sd: (getter get_dns_sd)
   *
   * Whether DNS-SD browses now (avahi-daemon runs).
   *
   * Since: 0.1
   */
  properties[PROP_DNS_SD] = g_param_spec_boolean ("dns-sd", NULL, NULL, FALSE, ro);
  /**
   * PpBrowser:broadcast: (getter get_broadcast)
   *
   * Whether pp's UDP announcements are received.
   *
   * Since: 0.1
   */
  properties[PROP_BROADCAST] = g_param_spec_boolean ("broadcast", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pp_browser_init (PpBrowser *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->sightings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) _pp_sighting_free);
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->settling = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, destroy_source);
}
