// The small lifecycle units: ClosingHandshake (what an end means) and LoopHolds (what
// keeps a connection alive).
#include "check.h"
#include "closing_handshake.h"
#include "loop_holds.h"

using namespace netstack;

TEST("closing handshake: sendable close codes (RFC 6455 7.4)") {
  CHECK(IsSendableCloseCode(1000) && IsSendableCloseCode(1003) && IsSendableCloseCode(1007) &&
            IsSendableCloseCode(1014) && IsSendableCloseCode(3000) && IsSendableCloseCode(4999),
        "1000-1003, 1007-1014, 3000-4999");
  CHECK(!IsSendableCloseCode(0) && !IsSendableCloseCode(999) && !IsSendableCloseCode(1004) &&
            !IsSendableCloseCode(1005) && !IsSendableCloseCode(1006) && !IsSendableCloseCode(1015) &&
            !IsSendableCloseCode(2999) && !IsSendableCloseCode(5000),
        "not the reserved ones");
}

TEST("closing handshake: which close is reported") {
  ClosingHandshake none;
  CloseInfo lost = none.Outcome();
  CHECK(lost.code == 1006 && !lost.clean, "no close frame either way: 1006, not clean");

  ClosingHandshake peer;
  peer.peer_closed = true;
  peer.peer_code = 4001;
  peer.peer_reason = "bye";
  peer.sent = true;
  peer.code = 1000;
  CloseInfo from_peer = peer.Outcome();
  CHECK(from_peer.code == 4001 && from_peer.reason == "bye" && from_peer.clean, "the peer's close wins");

  ClosingHandshake ours;
  ours.sent = true;
  ours.code = 3000;
  ours.reason = "done";
  CloseInfo unanswered = ours.Outcome();
  CHECK(unanswered.code == 1006 && !unanswered.clean, "ours went out, the peer's never came: 1006, not clean");
  ours.peer_closed = true;
  ours.peer_code = 1001;
  CloseInfo answered = ours.Outcome();
  CHECK(answered.code == 1001 && answered.reason.empty() && answered.clean,
        "ours answered with another code: the code received");

  ClosingHandshake empty_peer;
  empty_peer.peer_closed = true;
  CHECK(empty_peer.Outcome().code == 1005, "a peer close without a code: 1005");
}

TEST("closing handshake: a failure by lws is noted once, and only when nobody closed") {
  ClosingHandshake failed;
  CHECK(!failed.NoteClosedWith(0), "no close code: no failure");
  CHECK(failed.NoteClosedWith(1002) && failed.failure_code == 1002, "1002: lws failed the connection");
  CHECK(!failed.NoteClosedWith(1007), "reported once");
  CloseInfo info = failed.Outcome();
  CHECK(info.code == 1002 && !info.clean, "reported as the close, not clean");
  CHECK(ClosingHandshake::FailureError(1009) == ConnectionError::kMessageTooBig &&
            ClosingHandshake::FailureError(1002) == ConnectionError::kProtocolViolation,
        "1009 is a message too big, the others a protocol violation");
  CHECK(ClosingHandshake::FailureMessage(1007).find("invalid UTF-8") != std::string::npos, "1007 says why");
  ClosingHandshake closed_by_peer;
  closed_by_peer.peer_closed = true;
  CHECK(!closed_by_peer.NoteClosedWith(1000), "after the peer's close it is no failure");
  ClosingHandshake closed_by_us;
  closed_by_us.sent = true;
  CHECK(!closed_by_us.NoteClosedWith(1000), "nor after ours");
}

TEST("loop holds: set, cleared, described") {
  LoopHolds holds;
  CHECK(holds.none() && holds.Describe() == "nothing", "none at first");
  holds.Set(Hold::kNameLookup, true);
  holds.Set(Hold::kSocket, true);
  CHECK(!holds.none() && holds.Has(Hold::kSocket) && !holds.Has(Hold::kHandshakeTimer), "two held");
  CHECK(holds.Describe() == "name lookup, socket", "described by name");
  holds.Set(Hold::kSocket, true);
  holds.Set(Hold::kNameLookup, false);
  holds.Set(Hold::kSocket, false);
  CHECK(holds.none(), "a hold is a flag: set twice, cleared once");
}
