#include "protocol/validation.hpp"

#include <cstring>
#include <string>

#include <boost/test/unit_test.hpp>

#include "protocol/errors.hpp"
#include "protocol/messages.hpp"
#include "protocol/support/test_helpers.hpp"

using namespace p2pchat;
using p2pchat::test::repeat;

namespace {} // namespace

BOOST_AUTO_TEST_SUITE(validation_tests)

// -- UTF-8 --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(well_formed_utf8_is_accepted) {
  BOOST_TEST(is_valid_utf8(""));
  BOOST_TEST(is_valid_utf8("plain ascii"));
  BOOST_TEST(is_valid_utf8(std::string_view{"\0", 1}));
  BOOST_TEST(is_valid_utf8("\xC2\x80"));         // U+0080, smallest 2-byte
  BOOST_TEST(is_valid_utf8("\xDF\xBF"));         // U+07FF
  BOOST_TEST(is_valid_utf8("\xE0\xA0\x80"));     // U+0800, smallest 3-byte
  BOOST_TEST(is_valid_utf8("\xED\x9F\xBF"));     // U+D7FF, below surrogates
  BOOST_TEST(is_valid_utf8("\xEE\x80\x80"));     // U+E000, above surrogates
  BOOST_TEST(is_valid_utf8("\xEF\xBF\xBF"));     // U+FFFF
  BOOST_TEST(is_valid_utf8("\xF0\x90\x80\x80")); // U+10000, smallest 4-byte
  BOOST_TEST(is_valid_utf8("\xF4\x8F\xBF\xBF")); // U+10FFFF, the last one
  BOOST_TEST(is_valid_utf8("gr\xC3\xBC\xC3\x9F dich \xF0\x9F\x98\x80"));
}

BOOST_AUTO_TEST_CASE(malformed_utf8_is_rejected) {
  const char* cases[] = {
      "\x80",                 // stray continuation byte
      "\xBF",                 // stray continuation byte
      "\xC0\x80",             // overlong NUL
      "\xC1\xBF",             // overlong 2-byte
      "\xE0\x9F\xBF",         // overlong 3-byte (U+07FF)
      "\xF0\x8F\xBF\xBF",     // overlong 4-byte (U+FFFF)
      "\xED\xA0\x80",         // U+D800, first surrogate
      "\xED\xBF\xBF",         // U+DFFF, last surrogate
      "\xF4\x90\x80\x80",     // U+110000
      "\xF5\x80\x80\x80",     // lead byte beyond any code point
      "\xF8\x88\x80\x80\x80", // 5-byte form
      "\xFE",                 //
      "\xFF",                 //
      "\xC3",                 // truncated 2-byte
      "\xE2\x9C",             // truncated 3-byte
      "\xF0\x9F\x98",         // truncated 4-byte
      "\xE2\x28\xA1",         // bad continuation
      "ok\xC3(",              // bad continuation after valid text
  };
  for (auto str : cases) {
    BOOST_TEST_CONTEXT("bytes " << p2pchat::test::hex(str, strlen(str))) {
      BOOST_TEST(!is_valid_utf8(str));
    }
  }
}

// -- names --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(good_names_are_accepted) {
  for (auto name : {"a", "alice", "Bob_42", "r\xC3\xA9mi",
                    "\xE5\xBC\xA0\xE4\xB8\x89", "\xF0\x9F\x98\x80"}) {
    BOOST_TEST_CONTEXT("name '" << name << "'") {
      BOOST_TEST(!validate_name(name));
    }
  }
  // The bound counts characters, not bytes.
  BOOST_TEST(!validate_name(std::string(max_name_chars, 'a')));
  BOOST_TEST(!validate_name(repeat("\xC3\xA9", max_name_chars)));
  BOOST_TEST(!validate_name(repeat("\xF0\x9F\x98\x80", max_name_chars)));
}

BOOST_AUTO_TEST_CASE(bad_names_are_rejected) {
  std::string cases[] = {
      "",
      std::string(max_name_chars + 1, 'a'),
      repeat("\xC3\xA9", max_name_chars + 1),
      "al ice",
      " alice",
      "alice\n",
      "al\tice",
      std::string{"al\0ice", 6},
      "al\x01ice",
      "\x1b[2J",           // ESC
      "al\x7Fice",         // DEL
      "al\xC2\x85ice",     // U+0085 next line
      "al\xC2\x9Fice",     // U+009F, last C1
      "al\xC2\xA0ice",     // U+00A0 no-break space
      "al\xE2\x80\x80ice", // U+2000 en quad
      "al\xE2\x80\x8Aice", // U+200A hair space
      "al\xE2\x80\xA8ice", // U+2028 line separator
      "al\xE2\x80\xA9ice", // U+2029 paragraph separator
      "al\xE3\x80\x80ice", // U+3000 ideographic space
  };
  for (const auto& name : cases) {
    BOOST_TEST_CONTEXT("name "
                       << p2pchat::test::hex(name.data(), name.size())) {
      BOOST_TEST(code_of(validate_name(name)) == ec::invalid_name);
    }
  }
}

BOOST_AUTO_TEST_CASE(names_with_bad_utf8_report_utf8) {
  BOOST_TEST(code_of(validate_name("al\xC0\xAF")) == ec::invalid_utf8);
  BOOST_TEST(code_of(validate_name("\xED\xA0\x80")) == ec::invalid_utf8);
  BOOST_TEST(code_of(validate_name("alice\xE2")) == ec::invalid_utf8);
  BOOST_TEST(describe(validate_name("ab\xFF")) ==
             "invalid UTF-8: name has invalid UTF-8 at byte 2");
}

BOOST_AUTO_TEST_CASE(name_errors_say_what_is_wrong) {
  BOOST_TEST(describe(validate_name("")) == "invalid name: empty name");
  BOOST_TEST(describe(validate_name("a b")) ==
             "invalid name: name contains whitespace U+0020");
  BOOST_TEST(describe(validate_name("a\x1b")) ==
             "invalid name: name contains control character U+001B");
  BOOST_TEST(describe(validate_name(std::string(33, 'x'))) ==
             "invalid name: name longer than 32 characters");
}

// -- texts --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(good_texts_are_accepted) {
  BOOST_TEST(!validate_text("x", 1));
  BOOST_TEST(!validate_text("hello, world", 100));
  BOOST_TEST(!validate_text("tab\tseparated", 100));
  BOOST_TEST(!validate_text("\xC2\xA0no-break and \xF0\x9F\x98\x80", 100));
  BOOST_TEST(!validate_text(std::string(max_text_bytes, 'a'), max_text_bytes));
}

BOOST_AUTO_TEST_CASE(bad_texts_are_rejected) {
  std::string cases[] = {
      "",
      "line\nbreak",
      "carriage\rreturn",
      std::string{"nul\0", 4},
      "\x1b[31mred",
      "bell\x07",
      "del\x7F",
      "c1 \xC2\x80",
      "csi \xC2\x9B"
      "2J",
  };
  for (const auto& text : cases) {
    BOOST_TEST_CONTEXT("text "
                       << p2pchat::test::hex(text.data(), text.size())) {
      BOOST_TEST(code_of(validate_text(text, 100)) == ec::invalid_text);
    }
  }
}

BOOST_AUTO_TEST_CASE(text_bound_counts_bytes) {
  // 4 characters, 8 bytes.
  std::string text = repeat("\xC3\xA9", 4);
  BOOST_TEST(!validate_text(text, 8));
  BOOST_TEST(code_of(validate_text(text, 7)) == ec::invalid_text);
  BOOST_TEST(describe(validate_text("abc", 2)) ==
             "invalid text: text of 3 bytes exceeds 2");
}

BOOST_AUTO_TEST_CASE(texts_with_bad_utf8_report_utf8) {
  BOOST_TEST(code_of(validate_text("a\xC0\x80", 100)) == ec::invalid_utf8);
  BOOST_TEST(code_of(validate_text("\xED\xBF\xBF", 100)) == ec::invalid_utf8);
  BOOST_TEST(code_of(validate_text("\xF0\x9F", 100)) == ec::invalid_utf8);
}

// -- ports --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(ports) {
  BOOST_TEST(code_of(validate_port(0)) == ec::invalid_port);
  BOOST_TEST(!validate_port(1));
  BOOST_TEST(!validate_port(65535));
  BOOST_TEST(code_of(validate_port(65536)) == ec::invalid_port);
}

BOOST_AUTO_TEST_SUITE_END()
