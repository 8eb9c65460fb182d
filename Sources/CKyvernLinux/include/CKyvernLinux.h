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
/// accept4 with SOCK_CLOEXEC.
int kyvern_accept(int listener);
/// A new pseudo-terminal master (close-on-exec); its slave path goes to name. -errno on failure.
int kyvern_open_pty(char *name, size_t length);
/// TIOCSWINSZ.
int kyvern_set_window_size(int fd, unsigned short rows, unsigned short columns);

/// Whether path (symlinks followed) is the root of a mount, by statx's STATX_ATTR_MOUNT_ROOT:
/// 1 yes, 0 no, -errno when it cannot say (no such path, or a kernel without the attribute: -ENOSYS).
int kyvern_is_mount_root(const char *path);

/// A listening unix stream socket at path ("@name" for the abstract namespace); -errno on failure.
int kyvern_unix_listen(const char *path);
/// A connected unix stream socket; -errno on failure.
int kyvern_unix_connect(const char *path);
/// A TCP connection to 127.0.0.1:port made inside the network namespace at netns (empty: this one).
/// Must run on a thread of its own: it switches the calling thread's namespace and back.
int kyvern_connect_loopback_in_netns(const char *netns, int port);

struct sockaddr;
/// Starts a TCP connection without blocking (close-on-exec) and reports whether the
/// kernel finished the handshake within the call, as it does for an endpoint on this host (the
/// endpoint's SYN-ACK is processed before connect returns). Returns the connected socket, or
/// -EINPROGRESS when the handshake is still under way (that socket is closed), or -errno when the
/// connection failed at once (-ECONNREFUSED).
int kyvern_tcp_connect_now(const struct sockaddr *address, unsigned int length);

#endif
