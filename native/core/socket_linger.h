// The sockets of ended connections, kept for a moment (a lingering close): when lws closes
// a connection's socket, a duplicate of its descriptor is kept here, our FIN goes out at
// once (shutdown for writing), and what the peer still sends is read and dropped until it
// closes too, or kLingerMs pass. A socket closed while bytes of the peer wait unread sends
// a TCP reset instead of a FIN, and a peer that was still writing then failed its next
// write and never read what we sent last: the close frame of a connection we failed
// (RFC 6455 7.1.1 wants the server to close the TCP connection first).
// Lingering sockets never keep the loop alive. POSIX only: elsewhere Adopt does nothing.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <unordered_set>

namespace netstack {

class LingeringSockets {
 public:
  static constexpr uint64_t kLingerMs = 1000;

  // on_empty: called when the last lingering socket has gone (the engine's shutdown waits).
  LingeringSockets(uv_loop_t* loop, std::function<void()> on_empty);
  // Sockets still lingering finish on their own and no longer report here.
  ~LingeringSockets();
  LingeringSockets(const LingeringSockets&) = delete;
  LingeringSockets& operator=(const LingeringSockets&) = delete;

  // Keeps a duplicate of `fd` (a connection's socket, still open) and half-closes it,
  // unless the peer has closed TCP too, or answered our close frame and nothing waits
  // (peer_answered_our_close); what waits unread is read and dropped first.
  void Adopt(uv_os_sock_t fd, bool peer_answered_our_close);
  // Ends every lingering socket now (their handles close on the next loop turns).
  void CloseAll();
  bool empty() const { return sockets_.empty(); }
  static size_t LiveCount();

 private:
  struct Socket;
  friend struct Socket;
  void Forget(Socket* socket);

  uv_loop_t* loop_;
  std::function<void()> on_empty_;
  std::unordered_set<Socket*> sockets_;
  std::unique_ptr<char[]> scratch_;  // where the dropped bytes are read to
};

}  // namespace netstack
