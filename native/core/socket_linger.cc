#include "socket_linger.h"

#include <atomic>
#include <cerrno>
#include <utility>

#ifndef _WIN32
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace netstack {
namespace {

std::atomic<size_t> g_lingering{0};

enum class UnreadInput { kNoneWaiting, kPeerClosed, kMayFollow };

// Reads and drops what waits on `fd` (at most 256 KiB): kPeerClosed when the peer's FIN
// (or a failure) ends it, kNoneWaiting when nothing waited, kMayFollow when something
// did and more may follow.
UnreadInput DropUnreadInput(uv_os_sock_t fd) {
#ifdef _WIN32
  (void)fd;
  return UnreadInput::kPeerClosed;
#else
  char dropped[16 * 1024];
  for (int reads = 0; reads < 16; ++reads) {
    const ssize_t n = recv(fd, dropped, sizeof dropped, MSG_DONTWAIT);
    if (n > 0 || (n < 0 && errno == EINTR)) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return reads == 0 ? UnreadInput::kNoneWaiting : UnreadInput::kMayFollow;
    }
    return UnreadInput::kPeerClosed;
  }
  return UnreadInput::kMayFollow;
#endif
}

}  // namespace

// Owns itself: freed once both of its handles have closed.
struct LingeringSockets::Socket {
  uv_poll_t poll;
  uv_timer_t timer;
  uv_os_sock_t fd;
  LingeringSockets* owner;  // null once the owner has gone
  int open_handles = 2;
  bool ending = false;

  void End() {
    if (ending) return;
    ending = true;
    uv_poll_stop(&poll);
    uv_timer_stop(&timer);
    uv_close(reinterpret_cast<uv_handle_t*>(&poll), OnHandleClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), OnHandleClosed);
  }

  static void OnHandleClosed(uv_handle_t* handle) {
    auto* self = static_cast<Socket*>(handle->data);
    if (--self->open_handles > 0) return;
#ifndef _WIN32
    close(self->fd);  // its poll handle no longer watches it
#endif
    --g_lingering;
    if (self->owner) self->owner->Forget(self);
    delete self;
  }

  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<Socket*>(handle->data);
    if (status < 0 || !self->Drain()) self->End();
  }

  // Reads and drops what arrived. False once the peer has closed too (or the socket
  // failed); true while it may send more (a peer that floods: the timer ends it).
  bool Drain() { return DropUnreadInput(fd) != UnreadInput::kPeerClosed; }

  static void OnTimeout(uv_timer_t* handle) { static_cast<Socket*>(handle->data)->End(); }
};

LingeringSockets::LingeringSockets(uv_loop_t* loop, std::function<void()> on_empty)
    : loop_(loop), on_empty_(std::move(on_empty)) {}

LingeringSockets::~LingeringSockets() {
  for (Socket* socket : sockets_) socket->owner = nullptr;
}

size_t LingeringSockets::LiveCount() { return g_lingering.load(); }

void LingeringSockets::Adopt(uv_os_sock_t fd, bool peer_answered_our_close) {
#ifdef _WIN32
  (void)fd;
  (void)peer_answered_our_close;
  (void)loop_;
#else
  // What waits unread is read first (closing over it would send a reset). No lingering
  // when the peer has closed TCP too (nothing more can come), or when it answered our close
  // frame and nothing waits (ours has reached it, and it sends nothing after its answer):
  // closing sends a FIN. About ten system calls and two handles fewer per such close. A
  // peer that closed first still gets its answer the lingering way: a peer that writes on
  // after its close frame would get a reset before it read the answer.
  const UnreadInput unread = DropUnreadInput(fd);
  if (unread == UnreadInput::kPeerClosed) return;
  if (peer_answered_our_close && unread == UnreadInput::kNoneWaiting) return;
  const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return;  // then lws's close is all there is
  shutdown(copy, SHUT_WR);  // our FIN, right after what was sent last
  auto* socket = new Socket;
  socket->fd = copy;
  socket->owner = this;
  if (uv_poll_init_socket(loop_, &socket->poll, copy) != 0) {
    close(copy);
    delete socket;
    return;
  }
  uv_timer_init(loop_, &socket->timer);
  socket->poll.data = socket;
  socket->timer.data = socket;
  uv_unref(reinterpret_cast<uv_handle_t*>(&socket->poll));
  uv_unref(reinterpret_cast<uv_handle_t*>(&socket->timer));
  ++g_lingering;
  sockets_.insert(socket);
  if (uv_poll_start(&socket->poll, UV_READABLE | UV_DISCONNECT, Socket::OnReadable) != 0) {
    socket->End();
    return;
  }
  uv_timer_start(&socket->timer, Socket::OnTimeout, kLingerMs, 0);
#endif
}

void LingeringSockets::CloseAll() {
  std::unordered_set<Socket*> sockets = sockets_;
  for (Socket* socket : sockets) socket->End();
}

void LingeringSockets::Forget(Socket* socket) {
  sockets_.erase(socket);
  if (sockets_.empty() && on_empty_) on_empty_();
}

}  // namespace netstack
