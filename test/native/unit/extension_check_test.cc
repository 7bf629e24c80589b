// CheckExtensionAnswer: what a client must refuse in the server's permessage-deflate answer.
#include "check.h"
#include "extension_check.h"

using netstack::CheckExtensionAnswer;

namespace {
const std::string kOffer = "permessage-deflate; client_max_window_bits";
bool Accepted(const std::string& offer, const std::string& answer) { return CheckExtensionAnswer(offer, answer).empty(); }
}  // namespace

TEST("extension check: accepted answers") {
  CHECK(Accepted("", ""), "nothing offered, nothing answered");
  CHECK(Accepted(kOffer, ""), "offered, declined");
  CHECK(Accepted(kOffer, "permessage-deflate"), "accepted without parameters");
  CHECK(Accepted(kOffer, "permessage-deflate; client_max_window_bits=10"), "client_max_window_bits when offered");
  CHECK(Accepted(kOffer, "permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
        "the context takeover flags");
  CHECK(Accepted(kOffer, "permessage-deflate; server_max_window_bits=\"12\""), "a quoted value");
}

TEST("extension check: refused answers") {
  CHECK(!Accepted("", "permessage-deflate"), "an answer to no offer");
  CHECK(!Accepted(kOffer, "x-webkit-deflate-frame"), "an extension that was not offered");
  CHECK(!Accepted(kOffer, "permessage-deflate, permessage-deflate"), "two extensions");
  CHECK(!Accepted(kOffer, "permessage-deflate; foo"), "an unknown parameter");
  CHECK(!Accepted(kOffer, "permessage-deflate; server_no_context_takeover; server_no_context_takeover"),
        "a parameter twice");
  CHECK(!Accepted(kOffer, "permessage-deflate; server_no_context_takeover=1"), "a flag with a value");
  CHECK(!Accepted(kOffer, "permessage-deflate; server_max_window_bits=7"), "window bits below 8");
  CHECK(!Accepted(kOffer, "permessage-deflate; server_max_window_bits=16"), "window bits above 15");
  CHECK(!Accepted(kOffer, "permessage-deflate; server_max_window_bits=010"), "a leading zero");
  CHECK(!Accepted("permessage-deflate", "permessage-deflate; client_max_window_bits=10"),
        "client_max_window_bits that was not offered");
  CHECK(!Accepted("permessage-deflate; client_max_window_bits=10", "permessage-deflate; client_max_window_bits=12"),
        "client_max_window_bits larger than offered");
}
