#include "protocol/frame.hpp"

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "protocol/errors.hpp"
#include "protocol/noise.hpp"
#include "protocol/support/test_helpers.hpp"

using namespace p2pchat;
using namespace p2pchat::test;

namespace p2pchat {

std::ostream& operator<<(std::ostream& out, preamble_status x) {
  return out << "preamble_status(" << static_cast<int>(x) << ")";
}

} // namespace p2pchat

namespace {

preamble_status check(const std::vector<char>& xs) {
  return check_preamble(xs.data(), xs.size(), protocol_version);
}

/// A frame around `payload`, with the header written by hand.
std::vector<char> raw_frame(const std::vector<char>& payload) {
  std::vector<char> out;
  append_be(out, payload.size(), 4);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

/// Three frames of different sizes, one of them 300 bytes long so that its
/// length prefix uses two non-zero bytes.
std::vector<std::vector<char>> sample_payloads() {
  std::vector<char> big;
  for (int i = 0; i < 300; ++i)
    big.push_back(static_cast<char>(i));
  return {bytes({0x03}), big, bytes({0x02, 0xFF, 0x00, 0x7F})};
}

std::vector<char> sample_stream() {
  std::vector<char> out;
  for (const auto& payload : sample_payloads()) {
    auto frame = raw_frame(payload);
    out.insert(out.end(), frame.begin(), frame.end());
  }
  return out;
}

/// Calls `next` until it yields nothing; fails the test on an error.
void drain(frame_reader& reader, std::vector<std::vector<char>>& out) {
  for (;;) {
    auto res = reader.next();
    BOOST_TEST_REQUIRE(!res.error);
    if (res.data == nullptr) {
      BOOST_TEST(res.size == 0u);
      return;
    }
    out.emplace_back(res.data, res.data + res.size);
  }
}

std::vector<std::string> hexes(const std::vector<std::vector<char>>& xs) {
  std::vector<std::string> result;
  for (const auto& x : xs)
    result.push_back(hex(x));
  return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(frame_tests)

// -- preamble -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(preamble_classification) {
  BOOST_TEST(check_preamble(nullptr, 0, protocol_version) ==
             preamble_status::incomplete);
  BOOST_TEST(check(bytes({0x00})) == preamble_status::incomplete);
  BOOST_TEST(check(bytes({0x00, 'P'})) == preamble_status::incomplete);
  BOOST_TEST(check(bytes({0x00, 'P', 'C'})) == preamble_status::incomplete);
  BOOST_TEST(check(bytes({0x00, 'P', 'C', 0x02})) == preamble_status::ok);
  // Frame bytes may follow the preamble in the same read.
  BOOST_TEST(check(bytes({0x00, 'P', 'C', 0x02, 0x00, 0x00})) ==
             preamble_status::ok);
  // The seed's text format starts with a digit or letter.
  BOOST_TEST(check(bytes({'1'})) == preamble_status::legacy_text);
  BOOST_TEST(check(bytes({'1', '2', '7', '.'})) ==
             preamble_status::legacy_text);
  BOOST_TEST(check(bytes({'a'})) == preamble_status::legacy_text);
  BOOST_TEST(check(bytes({0xFF, 'P', 'C', 0x02})) ==
             preamble_status::legacy_text);
  // Zero first byte, but not our preamble.
  BOOST_TEST(check(bytes({0x00, 'X'})) == preamble_status::invalid);
  BOOST_TEST(check(bytes({0x00, 'P', 'X'})) == preamble_status::invalid);
  BOOST_TEST(check(bytes({0x00, 0x00, 0x00, 0x10})) ==
             preamble_status::invalid);
  // Our preamble, another version: told apart so the peer can be told why.
  BOOST_TEST(check(bytes({0x00, 'P', 'C', 0x00})) ==
             preamble_status::unsupported_version);
  BOOST_TEST(check(bytes({0x00, 'P', 'C', 0x01})) ==
             preamble_status::unsupported_version);
  BOOST_TEST(check(bytes({0x00, 'P', 'C', 0x03})) ==
             preamble_status::unsupported_version);
}

BOOST_AUTO_TEST_CASE(plaintext_mode_accepts_only_version_1) {
  auto v1 = bytes({0x00, 'P', 'C', 0x01});
  auto v2 = bytes({0x00, 'P', 'C', 0x02});
  BOOST_TEST(check_preamble(v1.data(), v1.size(), plaintext_protocol_version) ==
             preamble_status::ok);
  BOOST_TEST(check_preamble(v2.data(), v2.size(), plaintext_protocol_version) ==
             preamble_status::unsupported_version);
}

BOOST_AUTO_TEST_CASE(preamble_constants_are_the_documented_bytes) {
  BOOST_TEST(hex(preamble_v1.data(), preamble_size) ==
             hex(bytes({0x00, 0x50, 0x43, 0x01})));
  BOOST_TEST(hex(preamble_v2.data(), preamble_size) ==
             hex(bytes({0x00, 0x50, 0x43, 0x02})));
  // The Noise prologue is the version-2 preamble.
  BOOST_TEST(std::equal(preamble_v2.begin(), preamble_v2.end(),
                        noise_prologue_v2.begin()));
}

// -- frame_reader: splitting --------------------------------------------------

BOOST_AUTO_TEST_CASE(reads_several_frames_from_one_append) {
  auto stream = sample_stream();
  frame_reader reader;
  reader.append(stream.data(), stream.size());
  std::vector<std::vector<char>> got;
  drain(reader, got);
  BOOST_TEST(hexes(got) == hexes(sample_payloads()),
             boost::test_tools::per_element());
  BOOST_TEST(reader.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(reads_frames_split_at_every_byte_boundary) {
  auto stream = sample_stream();
  auto expected = hexes(sample_payloads());
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    BOOST_TEST_CONTEXT("cut at " << cut) {
      frame_reader reader;
      std::vector<std::vector<char>> got;
      reader.append(stream.data(), cut);
      drain(reader, got);
      reader.append(stream.data() + cut, stream.size() - cut);
      drain(reader, got);
      BOOST_TEST(hexes(got) == expected, boost::test_tools::per_element());
      BOOST_TEST(reader.buffered() == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(reads_frames_fed_one_byte_at_a_time) {
  auto stream = sample_stream();
  frame_reader reader;
  std::vector<std::vector<char>> got;
  size_t frames_before = 0;
  for (size_t i = 0; i < stream.size(); ++i) {
    reader.append(stream.data() + i, 1);
    drain(reader, got);
    // A frame appears exactly when its last byte arrives.
    bool frame_ends_here =
        i == 4 || i == 4 + 1 + 4 + 299 || i == stream.size() - 1;
    BOOST_TEST(got.size() == frames_before + (frame_ends_here ? 1u : 0u));
    frames_before = got.size();
  }
  BOOST_TEST(hexes(got) == hexes(sample_payloads()),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(partial_frame_stays_buffered) {
  auto stream = sample_stream();
  frame_reader reader;
  reader.append(stream.data(), 5 + 10); // first frame + part of the second
  auto first = reader.next();
  BOOST_TEST_REQUIRE(first.data != nullptr);
  BOOST_TEST(first.size == 1u);
  auto none = reader.next();
  BOOST_TEST(!none.error);
  BOOST_TEST(none.data == nullptr);
  BOOST_TEST(reader.buffered() == 10u);
}

BOOST_AUTO_TEST_CASE(accepts_a_frame_of_exactly_the_maximum) {
  frame_reader reader{16};
  auto frame = raw_frame(std::vector<char>(16, 'x'));
  reader.append(frame.data(), frame.size());
  auto res = reader.next();
  BOOST_TEST(!res.error);
  BOOST_TEST(res.size == 16u);
}

// -- frame_reader: broken streams ---------------------------------------------

BOOST_AUTO_TEST_CASE(oversized_length_is_detected_from_the_header_alone) {
  frame_reader reader;
  auto header = bytes({0x00, 0x01, 0x11, 0x70}); // 70000
  reader.append(header.data(), 3);
  auto res = reader.next();
  BOOST_TEST(!res.error); // 3 bytes do not tell the length yet
  reader.append(header.data() + 3, 1);
  res = reader.next();
  BOOST_TEST(code_of(res.error) == ec::frame_too_large);
  BOOST_TEST(describe(res.error) == "frame too large: length 70000 > 65536");
  BOOST_TEST(res.data == nullptr);
}

BOOST_AUTO_TEST_CASE(one_byte_over_a_custom_maximum_is_too_large) {
  frame_reader reader{16};
  auto frame = raw_frame(std::vector<char>(17, 'x'));
  reader.append(frame.data(), frame.size());
  BOOST_TEST(code_of(reader.next().error) == ec::frame_too_large);
}

BOOST_AUTO_TEST_CASE(zero_length_is_an_empty_frame) {
  frame_reader reader;
  auto stream = bytes({0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03});
  reader.append(stream.data(), stream.size());
  BOOST_TEST(code_of(reader.next().error) == ec::empty_frame);
}

BOOST_AUTO_TEST_CASE(frames_before_a_bad_header_are_delivered) {
  auto stream = raw_frame(bytes({0x03, 0x00, 0x00, 0x00}));
  auto bad = bytes({0xFF, 0xFF, 0xFF, 0xFF});
  stream.insert(stream.end(), bad.begin(), bad.end());
  frame_reader reader;
  reader.append(stream.data(), stream.size());
  auto first = reader.next();
  BOOST_TEST(!first.error);
  BOOST_TEST(first.size == 4u);
  BOOST_TEST(code_of(reader.next().error) == ec::frame_too_large);
}

BOOST_AUTO_TEST_CASE(a_broken_reader_stays_broken) {
  frame_reader reader;
  auto bad = bytes({0x00, 0x00, 0x00, 0x00});
  reader.append(bad.data(), bad.size());
  auto first = reader.next();
  BOOST_TEST_REQUIRE(code_of(first.error) == ec::empty_frame);
  // Valid frames after the break are not delivered, nor buffered.
  auto good = sample_stream();
  reader.append(good.data(), good.size());
  BOOST_TEST(reader.buffered() == 0u);
  for (int i = 0; i < 3; ++i) {
    auto res = reader.next();
    BOOST_TEST(describe(res.error) == describe(first.error));
    BOOST_TEST(res.data == nullptr);
  }
}

BOOST_AUTO_TEST_CASE(memory_stays_bounded_by_one_partial_frame) {
  // A long stream of small frames in reads that always end mid-frame: what is
  // buffered after draining never exceeds the partial frame.
  std::vector<char> stream;
  for (int i = 0; i < 1000; ++i) {
    auto frame = raw_frame(std::vector<char>(10, static_cast<char>(i)));
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  frame_reader reader;
  std::vector<std::vector<char>> got;
  for (size_t pos = 0; pos < stream.size(); pos += 33) {
    auto n = std::min<size_t>(33, stream.size() - pos);
    reader.append(stream.data() + pos, n);
    drain(reader, got);
    BOOST_TEST(reader.buffered() < 14u);
  }
  BOOST_TEST(got.size() == 1000u);
  BOOST_TEST(hex(got.back()) ==
             hex(std::vector<char>(10, static_cast<char>(999 & 0xFF))));
}

BOOST_AUTO_TEST_SUITE_END()
