// The functions our patches (patches/lws/) add to libwebsockets. lws's own header does not
// declare them; every caller includes this one instead of declaring them by hand.
#pragma once

#include <cstddef>

struct lws;

extern "C" {

// patches/lws/0006: fail a data frame whose declared length exceeds `limit` as soon as
// its header is read.
void lws_netstack_set_rx_limit(struct lws* wsi, size_t limit);
// patches/lws/0105: what is left of the limit for the rest of a message (0: no room at all).
void lws_netstack_set_rx_room(struct lws* wsi, size_t room);
// patches/lws/0006: the status code of the close frame lws prepared (0: none); the
// frame's own payload is masked in place once sent.
int lws_netstack_close_code(struct lws* wsi);
// patches/lws/0007: a TLS server name (SNI, certificate check) other than the Host header's.
void lws_netstack_set_servername(struct lws* wsi, const char* name);
// patches/lws/0030: the errno of the wsi's failed connect() attempt (ETIMEDOUT when lws's
// attempt timed out), 0 if none failed.
int lws_netstack_connect_errno(struct lws* wsi);
// patches/lws/0010: "a new frame may not start yet": part of an earlier frame is still in
// lws's buffer, or permessage-deflate is still sending the fragments of the previous
// message (a write now would be glued to it). The public lws_send_pipe_choked() tests
// the same plus a poll() syscall.
int lws_netstack_write_pending(struct lws* wsi);
// patches/lws/0011: data frames written while set go out uncompressed.
void lws_netstack_set_no_compress(struct lws* wsi, int no_compress);
// patches/lws/0017: while set, lws writes no frame of its own (its pongs, pings and
// closes wait), so that they cannot land inside a frame we are still handing over.
void lws_netstack_hold_control(struct lws* wsi, int hold);
// patches/lws/0018: the FIN bit of the frame being received.
int lws_netstack_frame_is_final(struct lws* wsi);
// patches/lws/0028: nonzero while lws owes the peer a pong (sent at its next POLLOUT); a
// data frame the application sends now must wait behind it (RFC 6455 5.5.2).
int lws_netstack_control_pending(struct lws* wsi);

// patches/lws/0081: on = 0: lws answers no ping (the user sends the pongs); every ping is
// passed to the protocol callback as reason 1101 (Connection::kLwsReceivePing) either way.
void lws_netstack_set_auto_pong(struct lws* wsi, int on);
// patches/lws/0082: the bytes read past the response headers and not yet consumed (a refused
// handshake's body, as far as it came with the headers); *data points into lws's buffer.
size_t lws_netstack_pending_input(struct lws* wsi, const uint8_t** data);
// patches/lws/0109: frees the frame buffer and permessage-deflate's output buffers of a
// connection between frames (they are made again by the next frame); the bytes freed.
size_t lws_netstack_release_idle_buffers(struct lws* wsi);

}  // extern "C"
