/* ppd-node-id.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "ppd-node-id.h"

/* The node's id in its announcements (TXT "id"), which browsers use to
 * tell one node seen on several interfaces from two nodes: stable across
 * restarts. A UUID is created once in the state directory ("node-id");
 * each port of the machine is a node of its own, so the announced id is
 * a UUID derived from that one and the port. */

static char *
load_or_create_base (const char  *state_dir,
                     GError     **error)
{
  g_autofree char *path = g_build_filename (state_dir, "node-id", NULL);
  g_autofree char *contents = NULL;

  if (g_file_get_contents (path, &contents, NULL, NULL))
    {
      g_strstrip (contents);
      if (g_uuid_string_is_valid (contents))
        return g_steal_pointer (&contents);
      g_message ("%s is not a UUID: making a new one", path);
    }
  g_clear_pointer (&contents, g_free);
  contents = g_uuid_string_random ();
  if (g_mkdir_with_parents (state_dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot create the state directory %s: %s", state_dir, g_strerror (saved));
      return NULL;
    }
  if (!g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    return NULL;
  return g_steal_pointer (&contents);
}

/**
 * ppd_node_id_state_dir:
 * @system: for `ppd --system`
 *
 * Returns: (transfer full): where ppd keeps its state: systemd's
 *   $STATE_DIRECTORY or the prefix's state directory for --system,
 *   $XDG_STATE_HOME/pp-glib for a user's ppd
 */
char *
ppd_node_id_state_dir (gboolean system)
{
  const char *state = g_getenv ("STATE_DIRECTORY");

  if (!system)
    return g_build_filename (g_get_user_state_dir (), "pp-glib", NULL);
  if (state == NULL || *state == '\0')
    return g_strdup (PPD_STATE_DIR);
  return g_strndup (state, strcspn (state, ":"));
}

/**
 * ppd_node_id_load:
 * @state_dir: ppd's state directory
 * @port: the TCP port ppd serves
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the node's id for @port, a UUID
 */
char *
ppd_node_id_load (const char  *state_dir,
                  guint        port,
                  GError     **error)
{
  g_autofree char *base = load_or_create_base (state_dir, error);
  g_autofree char *seed = NULL;
  g_autofree char *hash = NULL;

  if (base == NULL)
    return NULL;
  seed = g_strdup_printf ("%s:%u", base, port);
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);
  /* A version 8 (custom) UUID, RFC 9562 variant. */
  hash[12] = '8';
  hash[16] = "89ab"[g_ascii_xdigit_value (hash[16]) & 3];
  return g_strdup_printf ("%.8s-%.4s-%.4s-%.4s-%.12s", hash, hash + 8, hash + 12, hash + 16, hash + 20);
}
