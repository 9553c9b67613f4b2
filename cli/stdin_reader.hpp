#pragma once

#include <thread>

#include "actors/types.hpp"

namespace p2pchat {

/// Reads lines from standard input on a plain thread (blocking reads have no
/// place in an actor) and sends each to the console as `(input_atom, line)`.
/// At end of input, or on SIGINT/SIGTERM/SIGHUP, it sends `eof_atom`: the
/// console then quits like menu item 0. The destructor stops the thread
/// without waiting for input.
class stdin_reader {
public:
  /// Longest line passed on; the rest of a longer line is dropped. The limit
  /// is above every bound the menu checks, so a cut line still fails them.
  static constexpr size_t max_line = 64 * 1024;

  /// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread, so that every
  /// thread started afterwards (CAF's included) inherits the mask and only
  /// the reader sees them. Call before the actor system starts.
  static void block_termination_signals();

  explicit stdin_reader(console_actor console);
  ~stdin_reader();

  stdin_reader(const stdin_reader&) = delete;
  stdin_reader& operator=(const stdin_reader&) = delete;

private:
  void run();

  console_actor console_;
  int stop_pipe_[2] = {-1, -1};
  int signal_fd_ = -1;
  std::thread thread_;
};

} // namespace p2pchat
