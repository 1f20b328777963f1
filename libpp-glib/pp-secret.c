/* pp-secret.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "pp-error.h"
#include "pp-handshake-private.h"
#include "pp-secret.h"
#include "pp-secret-private.h"

/* The shared secret of a cluster, kept in a private file. Nodes (ppd) and
 * clients (PpServer) prove to each other that they know a shared secret.
 * When none is given, both use the per-user secret file,
 * $XDG_CONFIG_HOME/pp-glib/secret, as Erlang uses its cookie: 256 random
 * bits written as 64 hexadecimal digits, created on first use, readable by
 * its owner only. A secret file that other users can read, or that belongs
 * to another user, is refused. */

#define MAX_SECRET_FILE_SIZE (64 * 1024)
#define SECRET_BYTES         32  /* 256 bits */

/* "@what “@path”: the reason" */
static void
set_io_error (GError     **error,
              int          saved_errno,
              const char  *what,
              const char  *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s “%s”: %s", what, path,
               g_strerror (saved_errno));
}

/* Opens @path and checks that only its owner (us, or root) can read it. */
static int
open_private_file (const char  *path,
                   GError     **error)
{
  /* O_NONBLOCK: a FIFO put in its place must not hang us before the checks. */
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  struct stat st;

  if (fd < 0)
    {
      set_io_error (error, errno, "Cannot open the secret file", path);
      return -1;
    }
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                 "The secret file “%s” is not a regular file", path);
  else if (st.st_uid != geteuid () && st.st_uid != 0)  /* first: we could not chmod it */
    g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                 "The secret file “%s” belongs to another user (uid %u)",
                 path, (unsigned) st.st_uid);
  else if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                 "The secret file “%s” is accessible by other users (mode %04o); "
                 "make it private with “chmod 600 %s”",
                 path, (unsigned) (st.st_mode & 07777), path);
  else if (st.st_size > MAX_SECRET_FILE_SIZE)
    g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                 "The secret file “%s” is too large for a secret", path);
  else
    return fd;

  close (fd);
  return -1;
}

/**
 * pp_secret_load_file:
 * @path: (type filename): a secret file
 * @error: return location for a #GError
 *
 * Reads the secret in @path: its content without its final line break.
 * The file must be a regular file that belongs to this user (or root) and
 * that nobody else may read or write (mode 0600 or 0400).
 *
 * Returns: (transfer full): the secret, or %NULL with %PP_ERROR_INVALID_ARGUMENT
 *   (unsafe, empty or binary file) or a %G_IO_ERROR (it cannot be opened)
 *
 * Since: 0.1
 */
char *
pp_secret_load_file (const char  *path,
                     GError     **error)
{
  char buffer[MAX_SECRET_FILE_SIZE];
  gsize len = 0;
  int fd;
  char *secret = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((fd = open_private_file (path, error)) < 0)
    return NULL;
  while (len < sizeof buffer)
    {
      gssize n = read (fd, buffer + len, sizeof buffer - len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      len += n;
    }
  close (fd);
  while (len > 0 && (buffer[len - 1] == '\n' || buffer[len - 1] == '\r'))
    len--;

  if (len == 0)
    g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                 "The secret file “%s” is empty", path);
  else if (memchr (buffer, '\0', len) != NULL)
    g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                 "The secret file “%s” holds binary data; use a text secret "
                 "(for example “openssl rand -hex 32”)", path);
  else
    secret = g_strndup (buffer, len);
  _pp_secret_wipe (buffer, sizeof buffer);

  return secret;
}

/* Others must not be able to replace the file: the directory is ours (or
 * root's) and only its owner may write in it. */
static gboolean
check_directory (const char  *dir,
                 GError     **error)
{
  struct stat st;

  if (stat (dir, &st) < 0)
    {
      set_io_error (error, errno, "Cannot open the directory", dir);
      return FALSE;
    }
  if ((st.st_uid != geteuid () && st.st_uid != 0) || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    {
      g_set_error (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT,
                   "Refusing to keep a secret in “%s”: other users may write there", dir);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        len)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return fsync (fd) == 0;
}

/* Writes 256 random bits as 64 hex digits to a private temporary file,
 * then links it to @path: @path appears complete or not at all, and when
 * two processes race, the first link wins and the other reads it. */
static gboolean
create_secret_file (const char  *path,
                    GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *temporary = g_strconcat (path, ".XXXXXX", NULL);
  guint8 random[SECRET_BYTES];
  char text[SECRET_BYTES * 2 + 2];
  gboolean written;
  int fd, saved;

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      set_io_error (error, errno, "Cannot create the directory", dir);
      return FALSE;
    }
  if (!check_directory (dir, error) || !_pp_random_bytes (random, sizeof random, error))
    return FALSE;
  for (guint i = 0; i < SECRET_BYTES; i++)
    g_snprintf (text + 2 * i, 3, "%02x", random[i]);
  text[SECRET_BYTES * 2] = '\n';
  text[SECRET_BYTES * 2 + 1] = '\0';
  _pp_secret_wipe (random, sizeof random);

  fd = g_mkstemp_full (temporary, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      _pp_secret_wipe (text, sizeof text);
      set_io_error (error, errno, "Cannot create a secret file in", dir);
      return FALSE;
    }
  written = write_all (fd, text, SECRET_BYTES * 2 + 1);
  saved = errno;
  _pp_secret_wipe (text, sizeof text);
  close (fd);
  if (written && link (temporary, path) < 0 && errno != EEXIST)
    {
      written = FALSE;
      saved = errno;
    }
  unlink (temporary);
  if (!written)
    {
      set_io_error (error, saved, "Cannot write the secret file", path);
      return FALSE;
    }
  return TRUE;
}

/**
 * pp_secret_load_or_create:
 * @path: (type filename): a secret file
 * @error: return location for a #GError
 *
 * As [func@Pp.secret_load_file], but first creates @path (and its
 * directory, mode 0700) when it does not exist, with 256 random bits from
 * the kernel's generator written as 64 hexadecimal digits, mode 0600.
 * Concurrent callers all end up with the same secret.
 *
 * Returns: (transfer full): the secret, or %NULL
 *
 * Since: 0.1
 */
char *
pp_secret_load_or_create (const char  *path,
                          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *secret;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  secret = pp_secret_load_file (path, &local_error);
  if (secret != NULL)
    return secret;
  if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (!create_secret_file (path, error))
    return NULL;
  return pp_secret_load_file (path, error);
}

/**
 * pp_secret_get_default_path:
 *
 * The per-user secret file: `pp-glib/secret` in the user's configuration
 * directory (g_get_user_config_dir(): `$XDG_CONFIG_HOME`, by default
 * `~/.config`).
 *
 * Returns: (transfer full) (type filename): its path
 *
 * Since: 0.1
 */
char *
pp_secret_get_default_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "pp-glib", "secret", NULL);
}

/**
 * pp_secret_load_default:
 * @error: return location for a #GError
 *
 * The per-user secret (see [func@Pp.secret_get_default_path]), created on
 * first use as [func@Pp.secret_load_or_create] does. ppd and
 * [class@Pp.Server] use it when no secret is given.
 *
 * Returns: (transfer full): the secret, or %NULL
 *
 * Since: 0.1
 */
char *
pp_secret_load_default (GError **error)
{
  g_autofree char *path = pp_secret_get_default_path ();

  return pp_secret_load_or_create (path, error);
}
