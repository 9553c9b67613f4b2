// The one translation unit that provides Boost.Test's main() for every test
// binary; each *_tests.cpp only declares its suites.
#define BOOST_TEST_MODULE p2pchat
#include <boost/test/unit_test.hpp>
