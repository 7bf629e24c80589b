// MessageAssembler: pieces into whole messages, the sink's own room, the size limit.
#include <cstring>
#include <string>
#include <vector>

#include "check.h"
#include "message_assembler.h"

using namespace netstack;

namespace {

class RecordingSink final : public MessageSink {
 public:
  struct Message {
    std::string bytes;
    bool binary;
    bool owned;     // came with the reassembly buffer
    bool in_room;   // written into the room this sink gave
  };
  std::vector<Message> messages;
  bool give_room = false;
  std::vector<uint8_t> room;
  size_t rooms_asked = 0;

  void OnMessage(const uint8_t* data, size_t length, bool binary, std::vector<uint8_t>* owned) override {
    messages.push_back({std::string(reinterpret_cast<const char*>(data), length), binary, owned != nullptr,
                        !room.empty() && data == room.data()});
  }
  uint8_t* ReserveMessage(size_t length) override {
    ++rooms_asked;
    if (!give_room) return nullptr;
    room.assign(length, 0);
    return room.data();
  }
};

IncomingPiece Piece(bool binary, bool complete, bool frame_final, size_t frame_remaining) {
  IncomingPiece piece;
  piece.binary = binary;
  piece.message_complete = complete;
  piece.frame_final = frame_final;
  piece.frame_remaining = frame_remaining;
  return piece;
}

MessageAssembler::Result Add(MessageAssembler& assembler, const std::string& bytes, const IncomingPiece& piece,
                             MessageSink& sink) {
  return assembler.Add(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), piece, sink);
}

}  // namespace

TEST("assembler: a message in one piece is passed on as it is") {
  MessageAssembler assembler(100);
  RecordingSink sink;
  auto result = Add(assembler, "hello", Piece(false, true, true, 0), sink);
  CHECK(!result.too_large && !result.limit_changed, "no limit change for a one-piece message");
  CHECK(sink.messages.size() == 1 && sink.messages[0].bytes == "hello" && !sink.messages[0].binary &&
            !sink.messages[0].owned,
        "delivered without a copy of its own");
  CHECK(sink.rooms_asked == 0, "no room asked for");
}

TEST("assembler: fragments are reassembled, and the frame limit shrinks with what came") {
  MessageAssembler assembler(10);
  RecordingSink sink;
  auto first = Add(assembler, "abc", Piece(true, false, false, 0), sink);  // frame 1 of several, complete
  CHECK(!first.too_large && first.limit_changed && first.frame_limit == 7, "7 bytes left for the next frames");
  CHECK(sink.rooms_asked == 0, "no room for a frame without FIN (the size is unknown)");
  auto second = Add(assembler, "defg", Piece(false, false, false, 0), sink);  // continuation (binary read at the first piece only)
  CHECK(second.limit_changed && second.frame_limit == 3, "3 left");
  auto last = Add(assembler, "hij", Piece(false, true, true, 0), sink);
  CHECK(last.limit_changed && last.frame_limit == 10, "the whole limit again for the next message");
  CHECK(sink.messages.size() == 1 && sink.messages[0].bytes == "abcdefghij" && sink.messages[0].binary &&
            sink.messages[0].owned,
        "one binary message, handed over with its buffer");
}

TEST("assembler: one uncompressed frame in pieces goes straight into the sink's room") {
  MessageAssembler assembler(0);  // no limit
  RecordingSink sink;
  sink.give_room = true;
  auto result = Add(assembler, "0123", Piece(false, false, true, 6), sink);
  CHECK(!result.too_large && !result.limit_changed && sink.rooms_asked == 1 && sink.room.size() == 10,
        "a room of the frame's size (10) is asked for once; no limit to change");
  Add(assembler, "456", Piece(false, false, true, 3), sink);
  Add(assembler, "789", Piece(false, true, true, 0), sink);
  CHECK(sink.messages.size() == 1 && sink.messages[0].bytes == "0123456789" && sink.messages[0].in_room,
        "delivered from the room");
}

TEST("assembler: compressed frames are never written into a room") {
  MessageAssembler assembler(0);
  assembler.set_compressed(true);
  RecordingSink sink;
  sink.give_room = true;
  Add(assembler, "ab", Piece(false, false, true, 2), sink);
  Add(assembler, "cd", Piece(false, true, true, 0), sink);
  CHECK(sink.rooms_asked == 0 && sink.messages.size() == 1 && sink.messages[0].bytes == "abcd" && !sink.messages[0].in_room,
        "reassembled here (the frame's size is not the message's)");
}

TEST("assembler: the size limit") {
  RecordingSink sink;
  MessageAssembler one_piece(4);
  CHECK(Add(one_piece, "12345", Piece(false, true, true, 0), sink).too_large, "a one-piece message over the limit");
  MessageAssembler declared(4);
  CHECK(Add(declared, "12", Piece(false, false, true, 3), sink).too_large, "a frame whose declared size is over it");
  MessageAssembler fragments(4);
  Add(fragments, "123", Piece(false, false, false, 0), sink);
  CHECK(Add(fragments, "45", Piece(false, true, true, 0), sink).too_large, "fragments that add up to more");
  CHECK(sink.messages.empty(), "nothing delivered");
  RecordingSink after;
  CHECK(!Add(fragments, "ok", Piece(false, true, true, 0), after).too_large && after.messages.size() == 1 &&
            after.messages[0].bytes == "ok",
        "after a refusal the next message starts afresh");
}

TEST("assembler: a room that would overflow is refused, and a forgotten room is never written") {
  MessageAssembler assembler(0);
  RecordingSink sink;
  sink.give_room = true;
  Add(assembler, "ab", Piece(false, false, true, 2), sink);
  CHECK(Add(assembler, "cdef", Piece(false, true, true, 0), sink).too_large, "more bytes than the frame declared");
  MessageAssembler forgetful(0);
  RecordingSink gone;
  gone.give_room = true;
  Add(forgetful, "ab", Piece(false, false, true, 2), gone);
  forgetful.ForgetSinkRoom();
  gone.room.assign(4, 'x');
  RecordingSink next;
  Add(forgetful, "cd", Piece(false, true, true, 0), next);
  CHECK(std::string(gone.room.begin(), gone.room.end()) == "xxxx", "the forgotten room is left alone");
}
