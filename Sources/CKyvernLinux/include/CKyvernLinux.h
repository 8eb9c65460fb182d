// Linux calls the Swift Glibc module does not import (they need _GNU_SOURCE or are macros).
#ifndef CKYVERN_LINUX_H
#define CKYVERN_LINUX_H

#include <spawn.h>
#include <sys/types.h>

/// pipe2 with O_CLOEXEC on both ends.
int kyvern_pipe_cloexec(int fds[2]);
/// POSIX_SPAWN_SETSID.
short kyvern_spawn_setsid_flag(void);
int kyvern_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);
int kyvern_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);
/// prctl(PR_SET_CHILD_SUBREAPER, 1).
int kyvern_set_child_subreaper(void);
/// Joins the namespace open at fd (setns with nstype 0).
int kyvern_setns(int fd);
/// Sends fd over a unix socket with SCM_RIGHTS (one byte of data).
int kyvern_send_fd(int socket, int fd);
/// Receives one fd sent with SCM_RIGHTS; returns it, or -1.
int kyvern_receive_fd(int socket);
/// TIOCSWINSZ.
int kyvern_set_window_size(int fd, unsigned short rows, unsigned short columns);

#endif
