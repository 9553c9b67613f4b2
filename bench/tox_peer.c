/* c-toxcore, the peer users would pick instead: two Tox instances in this
 * process exchange 100-byte messages over loopback, driven from one thread
 * that iterates both without sleeping (the best case for latency).
 *
 *   tox_peer COUNT ROUNDS
 *
 * Prints `metric value` lines: time to connect, messages/s with at most
 * 1,024 messages in flight and with all queued at once, round-trip
 * percentiles, and resident memory per instance. Run it in a network
 * namespace of its own (bench/run uses `unshare -n`): toxcore binds every
 * interface and looks for peers on the local network. Exits non-zero if a
 * message is lost or a phase does not finish in time. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tox/tox.h>

#define MESSAGE_SIZE 100
#define WINDOW 1024
#define PHASE_SECONDS 120.0

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long result = -1;
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, "VmRSS:", 6) == 0)
      result = strtol(line + 6, NULL, 10);
  if (f != NULL)
    fclose(f);
  return result;
}

static void result(const char *metric, double value) {
  printf("%s %.6g\n", metric, value);
  fflush(stdout);
}

/* What the callbacks see; one per instance. */
struct peer {
  Tox *tox;
  uint32_t friend_number;
  bool connected;
  /* Messages received, and whether they came in order (by number). */
  uint64_t received;
  uint64_t out_of_order;
  /* Answer each message at once (the round-trip phase, on B). */
  bool echo;
};

static void on_connection(Tox *tox, uint32_t friend_number,
                          Tox_Connection status, void *user_data) {
  (void)tox;
  (void)friend_number;
  ((struct peer *)user_data)->connected = status != TOX_CONNECTION_NONE;
}

static void on_message(Tox *tox, uint32_t friend_number, Tox_Message_Type type,
                       const uint8_t *message, size_t length,
                       void *user_data) {
  (void)type;
  struct peer *p = user_data;
  if (strtoull((const char *)message, NULL, 10) != p->received)
    ++p->out_of_order;
  ++p->received;
  if (p->echo)
    tox_friend_send_message(tox, friend_number, TOX_MESSAGE_TYPE_NORMAL,
                            message, length, NULL);
}

static Tox *new_tox(struct peer *p) {
  struct Tox_Options *opts = tox_options_new(NULL);
  tox_options_set_ipv6_enabled(opts, false);
  tox_options_set_local_discovery_enabled(opts, true);
  Tox_Err_New err;
  Tox *tox = tox_new(opts, &err);
  tox_options_free(opts);
  if (tox == NULL) {
    fprintf(stderr, "tox_peer: tox_new failed (%d)\n", (int)err);
    exit(1);
  }
  tox_callback_friend_connection_status(tox, on_connection);
  tox_callback_friend_message(tox, on_message);
  p->tox = tox;
  return tox;
}

static void iterate(struct peer *a, struct peer *b) {
  tox_iterate(a->tox, a);
  tox_iterate(b->tox, b);
}

/* Message number `i`: its number in decimal, padded to 100 bytes. */
static void make_message(uint8_t *out, uint64_t i) {
  memset(out, 'x', MESSAGE_SIZE);
  char head[32];
  int n = snprintf(head, sizeof head, "%020llu", (unsigned long long)i);
  memcpy(out, head, (size_t)n);
  out[n] = ' ';
}

/* Sends message `i` from `p`; false if toxcore's send queue is full. */
static bool send_number(struct peer *p, uint64_t i) {
  uint8_t msg[MESSAGE_SIZE];
  make_message(msg, i);
  Tox_Err_Friend_Send_Message err;
  tox_friend_send_message(p->tox, p->friend_number, TOX_MESSAGE_TYPE_NORMAL,
                          msg, sizeof msg, &err);
  if (err == TOX_ERR_FRIEND_SEND_MESSAGE_OK)
    return true;
  if (err != TOX_ERR_FRIEND_SEND_MESSAGE_SENDQ) {
    fprintf(stderr, "tox_peer: send failed (%d)\n", (int)err);
    exit(1);
  }
  return false;
}

/* COUNT messages from A to B, at most `window` not yet received; returns
 * messages/s, or exits if they do not all arrive in order in time. */
static double throughput(struct peer *a, struct peer *b, uint64_t count,
                         uint64_t window) {
  uint64_t base = b->received;
  b->out_of_order = 0;
  uint64_t sent = 0;
  double start = now_s();
  while (b->received - base < count) {
    while (sent < count && sent - (b->received - base) < window &&
           send_number(a, base + sent))
      ++sent;
    iterate(a, b);
    if (now_s() - start > PHASE_SECONDS) {
      fprintf(stderr, "tox_peer: %llu of %llu messages arrived\n",
              (unsigned long long)(b->received - base),
              (unsigned long long)count);
      exit(1);
    }
  }
  double took = now_s() - start;
  if (b->out_of_order != 0) {
    fprintf(stderr, "tox_peer: %llu messages out of order\n",
            (unsigned long long)b->out_of_order);
    exit(1);
  }
  return (double)count / took;
}

static int compare(const void *x, const void *y) {
  double a = *(const double *)x;
  double b = *(const double *)y;
  return (a > b) - (a < b);
}

static double quantile(const double *sorted, size_t n, double q) {
  size_t rank = (size_t)(q * (double)n + 0.999999);
  if (rank < 1)
    rank = 1;
  if (rank > n)
    rank = n;
  return sorted[rank - 1];
}

/* ROUNDS messages from A, each answered by B on arrival. */
static void round_trips(struct peer *a, struct peer *b, size_t rounds) {
  double *samples = calloc(rounds, sizeof *samples);
  b->echo = true;
  for (size_t i = 0; i < rounds; ++i) {
    uint64_t want = a->received + 1;
    double start = now_s();
    while (!send_number(a, a->received))
      iterate(a, b);
    while (a->received < want) {
      iterate(a, b);
      if (now_s() - start > 10) {
        fprintf(stderr, "tox_peer: round trip %zu timed out\n", i);
        exit(1);
      }
    }
    samples[i] = (now_s() - start) * 1e6;
  }
  b->echo = false;
  qsort(samples, rounds, sizeof *samples, compare);
  result("rtt_p50_us", quantile(samples, rounds, 0.50));
  result("rtt_p99_us", quantile(samples, rounds, 0.99));
  result("rtt_max_us", samples[rounds - 1]);
  free(samples);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: tox_peer COUNT ROUNDS\n");
    return 2;
  }
  uint64_t count = strtoull(argv[1], NULL, 10);
  size_t rounds = strtoull(argv[2], NULL, 10);
  long rss_before = rss_kib();
  struct peer a = {0};
  struct peer b = {0};
  new_tox(&a);
  new_tox(&b);
  uint8_t a_key[TOX_PUBLIC_KEY_SIZE];
  uint8_t b_key[TOX_PUBLIC_KEY_SIZE];
  uint8_t a_dht[TOX_PUBLIC_KEY_SIZE];
  tox_self_get_public_key(a.tox, a_key);
  tox_self_get_public_key(b.tox, b_key);
  tox_self_get_dht_id(a.tox, a_dht);
  double start = now_s();
  Tox_Err_Bootstrap berr;
  tox_bootstrap(b.tox, "127.0.0.1", tox_self_get_udp_port(a.tox, NULL), a_dht,
                &berr);
  if (berr != TOX_ERR_BOOTSTRAP_OK) {
    fprintf(stderr, "tox_peer: bootstrap failed (%d)\n", (int)berr);
    return 1;
  }
  a.friend_number = tox_friend_add_norequest(a.tox, b_key, NULL);
  b.friend_number = tox_friend_add_norequest(b.tox, a_key, NULL);
  while (!a.connected || !b.connected) {
    iterate(&a, &b);
    if (now_s() - start > PHASE_SECONDS) {
      fprintf(stderr, "tox_peer: the instances did not connect\n");
      return 1;
    }
  }
  result("connect_ms", (now_s() - start) * 1000);
  if (count > 0) {
    result("window_msgs_per_s", throughput(&a, &b, count, WINDOW));
    result("queued_msgs_per_s", throughput(&a, &b, count, count));
  }
  if (rounds > 0)
    round_trips(&a, &b, rounds);
  result("rss_per_instance_kib", (double)(rss_kib() - rss_before) / 2);
  tox_kill(a.tox);
  tox_kill(b.tox);
  return 0;
}
