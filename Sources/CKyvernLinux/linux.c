#define _GNU_SOURCE
#include "CKyvernLinux.h"
#include <fcntl.h>
#include <stddef.h>
#include <sched.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <unistd.h>

int kyvern_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

short kyvern_spawn_setsid_flag(void) { return POSIX_SPAWN_SETSID; }

int kyvern_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int kyvern_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int kyvern_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int kyvern_setns(int fd) { return setns(fd, 0); }

int kyvern_send_fd(int socket, int fd) {
    char byte = 0;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof(control));
    struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &fd, sizeof(int));
    return sendmsg(socket, &message, 0) < 0 ? -1 : 0;
}

int kyvern_receive_fd(int socket) {
    char buffer[4096];
    struct iovec iov = { .iov_base = buffer, .iov_len = sizeof(buffer) };
    char control[CMSG_SPACE(sizeof(int) * 4)];
    struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
    if (recvmsg(socket, &message, MSG_CMSG_CLOEXEC) < 0) return -1;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) {
            int fd;
            memcpy(&fd, CMSG_DATA(header), sizeof(int));
            return fd;
        }
    }
    return -1;
}

int kyvern_set_window_size(int fd, unsigned short rows, unsigned short columns) {
    struct winsize size = { .ws_row = rows, .ws_col = columns };
    return ioctl(fd, TIOCSWINSZ, &size);
}

#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/un.h>

static int unix_address(const char *path, struct sockaddr_un *address, socklen_t *length) {
    memset(address, 0, sizeof(*address));
    address->sun_family = AF_UNIX;
    size_t size = strlen(path);
    if (size >= sizeof(address->sun_path)) return -ENAMETOOLONG;
    memcpy(address->sun_path, path, size);
    if (path[0] == '@') address->sun_path[0] = 0;
    *length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + size + (path[0] == '@' ? 0 : 1));
    return 0;
}

int kyvern_unix_listen(const char *path) {
    struct sockaddr_un address;
    socklen_t length;
    int result = unix_address(path, &address, &length);
    if (result < 0) return result;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (path[0] != '@') unlink(path);
    if (bind(fd, (struct sockaddr *)&address, length) < 0 || listen(fd, 16) < 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

int kyvern_unix_connect(const char *path) {
    struct sockaddr_un address;
    socklen_t length;
    int result = unix_address(path, &address, &length);
    if (result < 0) return result;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (connect(fd, (struct sockaddr *)&address, length) < 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

int kyvern_connect_loopback_in_netns(const char *netns, int port) {
    int original = -1, target = -1, fd = -1, error = 0;
    if (netns && netns[0]) {
        original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        target = open(netns, O_RDONLY | O_CLOEXEC);
        if (original < 0 || target < 0) { error = errno; goto done; }
        if (setns(target, CLONE_NEWNET) < 0) { error = errno; goto done; }
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) error = errno;
    if (original >= 0 && setns(original, CLONE_NEWNET) < 0 && error == 0) error = errno;
    if (fd >= 0 && error == 0) {
        struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0) error = errno;
    }
done:
    if (original >= 0) close(original);
    if (target >= 0) close(target);
    if (error) {
        if (fd >= 0) close(fd);
        return -error;
    }
    return fd;
}

int kyvern_accept(int listener) { return accept4(listener, NULL, NULL, SOCK_CLOEXEC); }

#include <stdlib.h>

int kyvern_open_pty(char *name, size_t length) {
    int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return -errno;
    if (grantpt(fd) < 0 || unlockpt(fd) < 0 || ptsname_r(fd, name, length) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

int kyvern_is_mount_root(const char *path) {
#ifdef STATX_ATTR_MOUNT_ROOT
    struct statx st;
    if (statx(AT_FDCWD, path, AT_NO_AUTOMOUNT, STATX_BASIC_STATS, &st) != 0) return -errno;
    if (!(st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)) return -ENOSYS;
    return (st.stx_attributes & STATX_ATTR_MOUNT_ROOT) ? 1 : 0;
#else
    (void)path;
    return -ENOSYS;
#endif
}

int kyvern_tcp_connect_now(const struct sockaddr *address, unsigned int length) {
    int fd = socket(address->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int result = 0;
    if (connect(fd, address, (socklen_t)length) < 0) {
        if (errno != EINPROGRESS) {
            result = -errno;
        } else {
            struct tcp_info info;
            socklen_t size = sizeof info;
            if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) < 0) {
                result = -errno;
            } else if (info.tcpi_state != TCP_ESTABLISHED) {
                int error = 0;
                socklen_t errorSize = sizeof error;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &errorSize);
                result = error != 0 ? -error : -EINPROGRESS;
            }
        }
    }
    if (result < 0) {
        close(fd);
        return result;
    }
    return fd;
}
