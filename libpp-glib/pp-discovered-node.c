/* pp-discovered-node.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "pp-browser-private.h"

/**
 * PpDiscoveredNode:
 *
 * A `ppd` node that a [class@Pp.Browser] found: what its DNS-SD
 * announcement (or its UDP announcement, pp's fallback) says. The same
 * node seen on several interfaces, over IPv4 and IPv6, is one
 * `PpDiscoveredNode` (they share its TXT `id`), with every address it
 * was seen at.
 *
 * Finding a node proves nothing: connecting to it still needs the mutual
 * proof of the secret.
 *
 * Since: 0.1
 */

struct _PpDiscoveredNode
{
  GObject      parent_instance;

  char        *id;
  char        *name;
  char        *host;
  guint        port;
  char        *address;
  GStrv        addresses;
  GHashTable  *txt;
  const char  *mechanism;
};

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_HOST,
  PROP_PORT,
  PROP_ADDRESS,
  PROP_ADDRESSES,
  PROP_NCPUS,
  PROP_TLS,
  PROP_SECRET_REQUIRED,
  PROP_HTTP_PORT,
  PROP_MECHANISM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (PpDiscoveredNode, pp_discovered_node, G_TYPE_OBJECT)

PpSighting *
_pp_sighting_new (void)
{
  PpSighting *sighting = g_new0 (PpSighting, 1);

  sighting->txt = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return sighting;
}

void
_pp_sighting_free (PpSighting *sighting)
{
  g_free (sighting->id);
  g_free (sighting->name);
  g_free (sighting->host);
  g_free (sighting->address);
  g_hash_table_unref (sighting->txt);
  g_free (sighting);
}

PpDiscoveredNode *
_pp_discovered_node_new (const PpSighting *sighting)
{
  PpDiscoveredNode *self = g_object_new (PP_TYPE_DISCOVERED_NODE, NULL);

  self->id = g_strdup (sighting->id);
  return self;
}

/* Routable IPv4 first, then IPv6, link-local last: what to connect to. */
static int
address_rank (const char *address)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autofree char *bare = g_strndup (address, strcspn (address, "%"));

  inet = g_inet_address_new_from_string (bare);
  if (inet == NULL)
    return 9;
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4)
    return g_inet_address_get_is_link_local (inet) ? 2 : 0;
  return g_inet_address_get_is_link_local (inet) ? 3 : 1;
}

static int
compare_addresses (gconstpointer a,
                   gconstpointer b)
{
  const char *x = *(const char **) a, *y = *(const char **) b;
  int rank = address_rank (x) - address_rank (y);

  return rank != 0 ? rank : strcmp (x, y);
}

static GStrv
collect_addresses (GPtrArray *sightings)
{
  g_autoptr(GPtrArray) addresses = g_ptr_array_new ();

  for (guint i = 0; i < sightings->len; i++)
    {
      const PpSighting *sighting = g_ptr_array_index (sightings, i);

      if (!g_ptr_array_find_with_equal_func (addresses, sighting->address, g_str_equal, NULL))
        g_ptr_array_add (addresses, sighting->address);
    }
  g_ptr_array_sort (addresses, compare_addresses);
  g_ptr_array_add (addresses, NULL);
  return g_strdupv ((char **) addresses->pdata);
}

static gboolean
set_string (char       **field,
            const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

void
_pp_discovered_node_update (PpDiscoveredNode *self,
                            GPtrArray        *sightings)
{
  /* The latest sighting tells the name, host, port and TXT. */
  const PpSighting *last = g_ptr_array_index (sightings, sightings->len - 1);
  g_auto(GStrv) addresses = collect_addresses (sightings);
  gboolean port_changed = self->port != last->port;

  g_object_freeze_notify (G_OBJECT (self));
  if (set_string (&self->name, last->name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
  if (set_string (&self->host, last->host))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOST]);
  self->port = last->port;
  if (port_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  if (self->addresses == NULL || !g_strv_equal ((const char * const *) self->addresses,
                                                (const char * const *) addresses))
    {
      g_strfreev (self->addresses);
      self->addresses = g_steal_pointer (&addresses);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ADDRESSES]);
    }
  if (set_string (&self->address, self->addresses[0]))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ADDRESS]);
  g_clear_pointer (&self->txt, g_hash_table_unref);
  self->txt = g_hash_table_ref (last->txt);
  if (self->mechanism != last->mechanism)
    {
      self->mechanism = last->mechanism;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MECHANISM]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

/**
 * pp_discovered_node_get_id:
 * @self: a #PpDiscoveredNode
 *
 * Gets the node's stable id: the TXT `id` of its announcement (a UUID
 * that `ppd` keeps in its state directory), or `"name@host:port"` when
 * the announcement has none.
 *
 * Returns: the id
 *
 * Since: 0.1
 */
const char *
pp_discovered_node_get_id (PpDiscoveredNode *self)
{
  g_return_val_if_fail (PP_IS_DISCOVERED_NODE (self), NULL);
  return self->id;
}

/**
 * pp_discovered_node_get_name:
 * @self: a #PpDiscoveredNode
 *
 * Gets the DNS-SD service name the node announced (`"ppd on HOST"`,
 * renamed `"ppd on HOST #2"` and so on when two nodes share a name).
 *
 * Returns: the name
 *
 * Since: 0.1
 */
const char *
pp_discovered_node_get_name (PpDiscoveredNode *self)
{
  g_return_val_if_fail (PP_IS_DISCOVERED_NODE (self), NULL);
  return self->name;
}

/**
 * pp_discovered_node_get_host:
 * @self: a #PpDiscoveredNode
 *
 * Gets the host name the node announced (`HOST.local` over DNS-SD). It
 * may not resolve without nss-mdns: connect to
 * [property@Pp.DiscoveredNode:address].
 *
 * Returns: the host name
 *
 * Since: 0.1
 */
const char *
pp_discovered_node_get_host (PpDiscoveredNode *self)
{
  g_return_val_if_fail (PP_IS_DISCOVERED_NODE (self), NULL);
  return self->host;
}

/**
 * pp_discovered_node_get_port:
 * @self: a #PpDiscoveredNode
 *
 * Gets the TCP port the node serves pp clients on.
 *
 * Returns: the port
 *
 * Since: 0.1
 */
guint
pp_discovered_node_get_port (PpDiscoveredNode *self)
{
  g_return_val_if_fail (PP_IS_DISCOVERED_NODE (self), 0);
  return self->port;
}

/**
 * pp_discovered_node_get_address:
 * @self: a #PpDiscoveredNode
 *
 * Gets the address to connect to: the first of
 * [property@Pp.DiscoveredNode:addresses], IPv4 before IPv6, link-local
 * last. An IPv6 link-local address carries its scope (`fe80::1%eth0`).
 *
 * Returns: the numeric address
 *
 * Since: 0.1
 */
const char *
pp_discovered_node_get_address (PpDiscoveredNode *self)
{
  g_return_val_if_fail (PP_IS_DISCOVERED_NODE (self), NULL);
  return self->address;
}

/**
 * pp_discovered_node_get_addresses:
 * @self: a #PpDiscoveredNode
 *
 * Gets every numeric address the node was seen at, best first.
 *
 * Returns: (transfer none) (array zero-terminated=1): the addresses
 *
 * Since: 0.1
 */
const char * const *
pp_discovered_node_get_addresses (PpDiscoveredNode *self)
{
  g_return_val_if_fail (PP_IS_DISCOVERED_NODE (self), NULL);
  return (const char * const *) self->addresses;
}

/**
 * pp_discovered_node_lookup_txt:
 * @self: a #PpDiscoveredNode
 * @key: a TXT key, such as `"proto"` or `"ncpus"`
 *
 * Looks up a field of the node's announcement (docs/protocol.md lists
 * them: `txtvers`, `id`, `proto`, `ncpus`, `tls`, `secret`, `http`).
 *
 * Returns: (nullable): its value, or %NULL
 *
 * Since: 0.1
 */
const char *
pp_discovered_node_lookup_txt (PpDiscoveredNode *self,
                               const char       *key)
{
  g_return_val_if_fail (PP_IS_DISCOVERED_NODE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  return self->txt ? g_hash_table_lookup (self->txt, key) : NULL;
}

static guint
txt_uint (PpDiscoveredNode *self,
          const char       *key,
          guint             max)
{
  const char *value = pp_discovered_node_lookup_txt (self, key);
  guint64 number = 0;

  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 0, max, &number, NULL))
    return 0;
  return (guint) number;
}

/**
 * pp_discovered_node_get_ncpus:
 * @self: a #PpDiscoveredNode
 *
 * Gets the number of workers the node announced (TXT `ncpus`).
 *
 * Returns: the workers, or 0 when not announced
 *
 * Since: 0.1
 */
guint
pp_discovered_node_get_ncpus (PpDiscoveredNode *self)
{
  g_return_val_if_fail (PP_IS_DISCOVERED_NODE (self), 0);
  return txt_uint (self, "ncpus", G_MAXUINT);
}

/**
 * pp_discovered_node_get_tls:
 * @self: a #PpDiscoveredNode
 *
 * Gets whether the node serves TLS (TXT `tls=1`).
 *
 * Returns: %TRUE for TLS
 *
 * Since: 0.1
 */
gboolean
pp_discovered_node_get_tls (PpDiscoveredNode *self)
{
  g_return_val_if_fail (PP_IS_DISCOVERED_NODE (self), FALSE);
  return txt_uint (self, "tls", 1) == 1;
}

/**
 * pp_discovered_node_get_secret_required:
 * @self: a #PpDiscoveredNode
 *
 * Gets whether the node said it requires a secret (TXT `secret=1`; every
 * `ppd` does). The secret itself is never announced.
 *
 * Returns: %TRUE when a secret is required
 *
 * Since: 0.1
 */
gboolean
pp_discovered_node_get_secret_required (PpDiscoveredNode *self)
{
  g_return_val_if_fail (PP_IS_DISCOVERED_NODE (self), FALSE);
  return txt_uint (self, "secret", 1) == 1;
}

/**
 * pp_discovered_node_get_http_port:
 * @self: a #PpDiscoveredNode
 *
 * Gets the port of the node's HTTP status service (TXT `http`).
 *
 * Returns: the port, or 0 when the node serves no HTTP
 *
 * Since: 0.1
 */
guint
pp_discovered_node_get_http_port (PpDiscoveredNode *self)
{
  g_return_val_if_fail (PP_IS_DISCOVERED_NODE (self), 0);
  return txt_uint (self, "http", 65535);
}

/**
 * pp_discovered_node_get_mechanism:
 * @self: a #PpDiscoveredNode
 *
 * Gets how the node was last seen: `"dns-sd"` or `"broadcast"` (pp's
 * UDP announcements).
 *
 * Returns: the mechanism
 *
 * Since: 0.1
 */
const char *
pp_discovered_node_get_mechanism (PpDiscoveredNode *self)
{
  g_return_val_if_fail (PP_IS_DISCOVERED_NODE (self), NULL);
  return self->mechanism;
}

/**
 * pp_discovered_node_dup_connect_address:
 * @self: a #PpDiscoveredNode
 *
 * Gets [property@Pp.DiscoveredNode:address] and the port in the form a
 * client connects to: `"192.0.2.7:60000"`, `"[2001:db8::7]:60000"`.
 *
 * Returns: (transfer full): the address and port
 *
 * Since: 0.1
 */
char *
pp_discovered_node_dup_connect_address (PpDiscoveredNode *self)
{
  g_return_val_if_fail (PP_IS_DISCOVERED_NODE (self), NULL);
  if (strchr (self->address, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", self->address, self->port);
  return g_strdup_printf ("%s:%u", self->address, self->port);
}

static void
pp_discovered_node_finalize (GObject *object)
{
  PpDiscoveredNode *self = PP_DISCOVERED_NODE (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->host);
  g_free (self->address);
  g_strfreev (self->addresses);
  g_clear_pointer (&self->txt, g_hash_table_unref);
  G_OBJECT_CLASS (pp_discovered_node_parent_class)->finalize (object);
}

static void
pp_discovered_node_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  PpDiscoveredNode *self = PP_DISCOVERED_NODE (object);

  switch (prop_id)
    {
    case PROP_ID:              g_value_set_string (value, self->id); break;
    case PROP_NAME:            g_value_set_string (value, self->name); break;
    case PROP_HOST:            g_value_set_string (value, self->host); break;
    case PROP_PORT:            g_value_set_uint (value, self->port); break;
    case PROP_ADDRESS:         g_value_set_string (value, self->address); break;
    case PROP_ADDRESSES:       g_value_set_boxed (value, self->addresses); break;
    case PROP_NCPUS:           g_value_set_uint (value, pp_discovered_node_get_ncpus (self)); break;
    case PROP_TLS:             g_value_set_boolean (value, pp_discovered_node_get_tls (self)); break;
    case PROP_SECRET_REQUIRED: g_value_set_boolean (value, pp_discovered_node_get_secret_required (self)); break;
    case PROP_HTTP_PORT:       g_value_set_uint (value, pp_discovered_node_get_http_port (self)); break;
    case PROP_MECHANISM:       g_value_set_string (value, self->mechanism); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pp_discovered_node_class_init (PpDiscoveredNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = pp_discovered_node_finalize;
  object_class->get_property = pp_discovered_node_get_property;

  /**
   * PpDiscoveredNode:id: (getter get_id)
   *
   * The node's stable id.
   *
   * Since: 0.1
   */
  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  /**
   * PpDiscoveredNode:name: (getter get_name)
   *
   * The announced service name.
   *
   * Since: 0.1
   */
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  /**
   * PpDiscoveredNode:host: (getter get_host)
   *
   * The announced host name.
   *
   * Since: 0.1
   */
  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, NULL, flags);
  /**
   * PpDiscoveredNode:port: (getter get_port)
   *
   * The node's TCP port.
   *
   * Since: 0.1
   */
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0, flags);
  /**
   * PpDiscoveredNode:address: (getter get_address)
   *
   * The address to connect to.
   *
   * Since: 0.1
   */
  properties[PROP_ADDRESS] = g_param_spec_string ("address", NULL, NULL, NULL, flags);
  /**
   * PpDiscoveredNode:addresses: (getter get_addresses)
   *
   * Every address the node was seen at, best first.
   *
   * Since: 0.1
   */
  properties[PROP_ADDRESSES] = g_param_spec_boxed ("addresses", NULL, NULL, G_TYPE_STRV, flags);
  /**
   * PpDiscoveredNode:ncpus: (getter get_ncpus)
   *
   * The announced number of workers, 0 when unknown.
   *
   * Since: 0.1
   */
  properties[PROP_NCPUS] = g_param_spec_uint ("ncpus", NULL, NULL, 0, G_MAXUINT, 0, flags);
  /**
   * PpDiscoveredNode:tls: (getter get_tls)
   *
   * Whether the node serves TLS.
   *
   * Since: 0.1
   */
  properties[PROP_TLS] = g_param_spec_boolean ("tls", NULL, NULL, FALSE, flags);
  /**
   * PpDiscoveredNode:secret-required: (getter get_secret_required)
   *
   * Whether the node requires a secret.
   *
   * Since: 0.1
   */
  properties[PROP_SECRET_REQUIRED] = g_param_spec_boolean ("secret-required", NULL, NULL,
                                                           FALSE, flags);
  /**
   * PpDiscoveredNode:http-port: (getter get_http_port)
   *
   * The port of the node's HTTP status service, 0 when none.
   *
   * Since: 0.1
   */
  properties[PROP_HTTP_PORT] = g_param_spec_uint ("http-port", NULL, NULL, 0, 65535, 0, flags);
  /**
   * PpDiscoveredNode:mechanism: (getter get_mechanism)
   *
   * How the node was last seen: `"dns-sd"` or `"broadcast"`.
   *
   * Since: 0.1
   */
  properties[PROP_MECHANISM] = g_param_spec_string ("mechanism", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pp_discovered_node_init (PpDiscoveredNode *self)
{
}
