/* pp-worker.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include "pp-error.h"
#include "pp-worker-private.h"

static gboolean worker_readable_cb (int fd, GIOCondition condition, gpointer data);

static gboolean
make_socketpair (int      fds[2],
                 GError **error)
{
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0)
    return TRUE;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
               "Cannot create a socket pair for a worker: %s", g_strerror (errno));
  return FALSE;
}

#ifdef __linux__
/* In the child, between fork and exec: the worker is killed when its
 * parent dies, so a client (or ppd) killed with SIGKILL leaves no worker
 * running an endless job. If the parent died before the prctl(), the child
 * has already been reparented and would never get the signal: it exits.
 * Linux sends the signal when the *thread* that forked exits, so workers
 * are spawned on the server's I/O thread, which outlives them. Only
 * async-signal-safe calls here. */
static void
die_with_parent (gpointer data)
{
  pid_t parent = GPOINTER_TO_INT (data);

  if (prctl (PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid () != parent)
    _exit (127);
}
#endif

static GSubprocess *
spawn_process (const char  *python,
               const char  *runner,
               const char  *cwd,
               gsize        max_body,
               int          child_fd,
               GError     **error)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *max_body_arg = g_strdup_printf ("%" G_GSIZE_FORMAT, max_body);
  int out_fd = dup (child_fd);

  if (out_fd < 0)
    {
      close (child_fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot duplicate a worker socket: %s", g_strerror (errno));
      return NULL;
    }
#ifdef __linux__
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, GINT_TO_POINTER (getpid ()), NULL);
#endif
  g_subprocess_launcher_take_stdin_fd (launcher, child_fd);
  g_subprocess_launcher_take_stdout_fd (launcher, out_fd);
  if (cwd != NULL && g_file_test (cwd, G_FILE_TEST_IS_DIR))
    g_subprocess_launcher_set_cwd (launcher, cwd);

  return g_subprocess_launcher_spawn (launcher, error, python, "-u", runner,
                                      "--max-body", max_body_arg, NULL);
}

PpWorker *
_pp_worker_spawn (guint                     number,
                  const char               *python,
                  const char               *runner,
                  const char               *cwd,
                  gsize                     max_body,
                  GMainContext             *context,
                  GMutex                   *out_lock,
                  const PpWorkerCallbacks  *callbacks,
                  gpointer                  user_data,
                  GError                  **error)
{
  PpWorker *self;
  GSubprocess *process;
  int fds[2];

  if (!make_socketpair (fds, error))
    return NULL;
  process = spawn_process (python, runner, cwd, max_body, fds[1], error);
  if (process == NULL)
    {
      close (fds[0]);
      return NULL;
    }

  self = g_new0 (PpWorker, 1);
  self->number = number;
  self->process = process;
  self->pid = atoi (g_subprocess_get_identifier (process));
  self->fd = fds[0];
  self->context = g_main_context_ref (context);
  self->out_lock = out_lock;
  self->out = g_byte_array_new ();
  self->reader = _pp_frame_reader_new (max_body);
  self->callbacks = callbacks;
  self->user_data = user_data;

  g_unix_set_fd_nonblocking (self->fd, TRUE, NULL);
  self->read_source = g_unix_fd_source_new (self->fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_callback (self->read_source, G_SOURCE_FUNC (worker_readable_cb), self, NULL);
  g_source_set_static_name (self->read_source, "[pp-glib] worker read");
  /* Never dispatched recursively; and an unblocked source is not removed
   * from and re-added to the poll set (each costing a wake-up write) around
   * every dispatch. */
  g_source_set_can_recurse (self->read_source, TRUE);
  g_source_attach (self->read_source, context);

  return self;
}

GByteArray *
_pp_worker_get_out (PpWorker *self)
{
  return self->out;
}

/* Marks the worker dead; called on the I/O thread, without @out_lock. */
static void
detach_sources (PpWorker *self)
{
  g_mutex_lock (self->out_lock);
  self->dead = TRUE;
  if (self->write_source != NULL)
    {
      g_source_destroy (self->write_source);
      g_clear_pointer (&self->write_source, g_source_unref);
    }
  g_mutex_unlock (self->out_lock);
  if (self->read_source != NULL)
    {
      g_source_destroy (self->read_source);
      g_clear_pointer (&self->read_source, g_source_unref);
    }
}

static char *
describe_exit (GSubprocess *process)
{
  int status = g_subprocess_get_status (process);

  if (WIFSIGNALED (status))
    return g_strdup_printf ("was killed by signal %d (%s)", WTERMSIG (status),
                            g_strsignal (WTERMSIG (status)));
  if (WIFEXITED (status))
    return g_strdup_printf ("exited with status %d", WEXITSTATUS (status));
  return g_strdup_printf ("ended with wait status %d", status);
}

/* Ends the process for good and reports it, with the exit status when the
 * process ended by itself and @reason when we end it. */
static void
die (PpWorker   *self,
     const char *reason)
{
  g_autofree char *how = NULL;

  if (self->dead)
    return;
  detach_sources (self);
  g_subprocess_force_exit (self->process);
  g_subprocess_wait (self->process, NULL, NULL);
  how = reason ? g_strdup (reason) : describe_exit (self->process);
  self->callbacks->died (self, how, self->user_data);
}

void
_pp_worker_kill (PpWorker   *self,
                 const char *reason)
{
  die (self, reason);
}

static gboolean
read_frames (PpWorker *self)
{
  g_autoptr(GError) error = NULL;
  PpFrame *frame;

  while (!self->dead && (frame = _pp_frame_reader_pop (self->reader, &error)) != NULL)
    self->callbacks->frame (self, frame, self->user_data);

  if (error != NULL && !self->dead)
    {
      g_autofree char *reason = g_strdup_printf ("sent a malformed frame (%s)", error->message);
      die (self, reason);
    }
  return !self->dead;
}

static gboolean
worker_readable_cb (int           fd,
                    GIOCondition  condition,
                    gpointer      data)
{
  PpWorker *self = data;

  for (guint i = 0; i < 16; i++)
    {
      gsize space;
      guint8 *buf = _pp_frame_reader_get_space (self->reader, &space);
      gssize n = read (fd, buf, space);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        break;
      if (n <= 0)
        {
          read_frames (self);
          die (self, NULL);
          return G_SOURCE_REMOVE;
        }
      _pp_frame_reader_commit (self->reader, n);
      if ((gsize) n < space)
        break;
    }

  if (!read_frames (self))
    return G_SOURCE_REMOVE;
  self->callbacks->batch_done (self, self->user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
worker_writable_cb (int           fd,
                    GIOCondition  condition,
                    gpointer      data)
{
  PpWorker *self = data;

  g_mutex_lock (self->out_lock);
  _pp_worker_flush_locked (self);
  g_mutex_unlock (self->out_lock);
  return G_SOURCE_CONTINUE;
}

static void
want_writable (PpWorker *self,
               gboolean  want)
{
  if (want && self->write_source == NULL)
    {
      self->write_source = g_unix_fd_source_new (self->fd, G_IO_OUT);
      g_source_set_callback (self->write_source, G_SOURCE_FUNC (worker_writable_cb), self, NULL);
      g_source_set_static_name (self->write_source, "[pp-glib] worker write");
      g_source_set_can_recurse (self->write_source, TRUE);
      g_source_attach (self->write_source, self->context);
    }
  else if (!want && self->write_source != NULL)
    {
      g_source_destroy (self->write_source);
      g_clear_pointer (&self->write_source, g_source_unref);
    }
}

/* Writes what is buffered without blocking; the rest goes when the socket
 * is writable again. Any thread, with @out_lock held. */
void
_pp_worker_flush_locked (PpWorker *self)
{
  while (!self->dead && self->out_pos < self->out->len)
    {
      gssize n = send (self->fd, self->out->data + self->out_pos,
                       self->out->len - self->out_pos, MSG_NOSIGNAL | MSG_DONTWAIT);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          want_writable (self, TRUE);
          return;
        }
      if (n < 0)
        {
          /* The peer is gone; reading will report how. */
          want_writable (self, FALSE);
          return;
        }
      self->out_pos += n;
    }
  g_byte_array_set_size (self->out, 0);
  self->out_pos = 0;
  want_writable (self, FALSE);
}

/* Asks the worker to exit: it sees end of file once its input is drained. */
void
_pp_worker_close (PpWorker *self)
{
  if (!self->dead)
    shutdown (self->fd, SHUT_WR);
}

void
_pp_worker_free (PpWorker *self)
{
  if (self == NULL)
    return;
  if (!self->dead)
    {
      detach_sources (self);
      g_subprocess_force_exit (self->process);
      g_subprocess_wait (self->process, NULL, NULL);
    }
  close (self->fd);
  g_clear_object (&self->process);
  g_main_context_unref (self->context);
  g_byte_array_unref (self->out);
  _pp_frame_reader_free (self->reader);
  g_free (self);
}
