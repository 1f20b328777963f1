/* ppd-pidfile.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "ppd-pidfile.h"

/* The pidfile of `ppd -P FILE`: created with O_EXCL, so two daemons never
 * both believe they own it; a file left by a dead process is replaced;
 * removed on exit only while it still names this process. */

struct _PpdPidfile
{
  char *path;
  pid_t pid;
};

/* The pid in @path, 0 when it holds none, -1 when unreadable. */
static pid_t
read_pid (const char  *path,
          GError     **error)
{
  g_autofree char *contents = NULL;
  guint64 pid;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return -1;
  g_strstrip (contents);
  if (!g_ascii_string_to_unsigned (contents, 10, 1, G_MAXINT, &pid, NULL))
    return 0;
  return (pid_t) pid;
}

static gboolean
process_is_alive (pid_t pid)
{
  return pid != getpid () && (kill (pid, 0) == 0 || errno == EPERM);
}

/* @path exists: fails if it names a live process, removes it if stale. */
static gboolean
remove_if_stale (const char  *path,
                 GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  pid_t pid = read_pid (path, &local_error);

  if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    return TRUE;  /* gone meanwhile */
  if (pid < 0)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "Cannot read the pidfile “%s”: ", path);
      return FALSE;
    }
  if (pid == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "The pidfile “%s” exists and holds no process id; remove it if no ppd "
                   "is running", path);
      return FALSE;
    }
  if (process_is_alive (pid))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "Another ppd (pid %d) is running with the pidfile “%s”", (int) pid, path);
      return FALSE;
    }
  g_message ("Removing the stale pidfile %s (process %d is gone)", path, (int) pid);
  if (unlink (path) < 0 && errno != ENOENT)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot remove the stale pidfile “%s”: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_pid (int          fd,
           const char  *path,
           GError     **error)
{
  g_autofree char *text = g_strdup_printf ("%d\n", (int) getpid ());
  gsize len = strlen (text);
  gssize written;

  do
    written = write (fd, text, len);
  while (written < 0 && errno == EINTR);
  if (written == (gssize) len)
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot write the pidfile “%s”: %s",
               path, written < 0 ? g_strerror (errno) : "short write");
  return FALSE;
}

/* Creates @path exclusively and writes our pid into it. */
static gboolean
create_exclusive (const char  *path,
                  GError     **error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
  gboolean ok;

  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot create the pidfile “%s”: %s", path, g_strerror (saved));
      return FALSE;
    }
  ok = write_pid (fd, path, error);
  close (fd);
  if (!ok)
    unlink (path);
  return ok;
}

/**
 * ppd_pidfile_claim:
 * @path: the pidfile
 * @error: return location for a #GError
 *
 * Writes this process's id to @path. Fails when @path names another live
 * process (or holds something else than a pid); replaces a stale one.
 *
 * Returns: (transfer full): the pidfile, for ppd_pidfile_release()
 */
PpdPidfile *
ppd_pidfile_claim (const char  *path,
                   GError     **error)
{
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);
  PpdPidfile *self;

  for (guint attempt = 0; ; attempt++)
    {
      g_autoptr(GError) local_error = NULL;

      if (create_exclusive (absolute, &local_error))
        break;
      if (attempt > 0 || !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (!remove_if_stale (absolute, error))
        return NULL;
    }

  self = g_new0 (PpdPidfile, 1);
  self->path = g_steal_pointer (&absolute);
  self->pid = getpid ();
  return self;
}

/**
 * ppd_pidfile_release:
 * @self: (transfer full): a pidfile from ppd_pidfile_claim()
 *
 * Removes the pidfile if it still names this process, and frees @self.
 */
void
ppd_pidfile_release (PpdPidfile *self)
{
  if (self == NULL)
    return;
  if (read_pid (self->path, NULL) == self->pid && unlink (self->path) < 0)
    g_warning ("Cannot remove the pidfile %s: %s", self->path, g_strerror (errno));
  g_free (self->path);
  g_free (self);
}
