/*
 * mock-broker: librdkafka's mock cluster (rdkafka_mock.h) run as a standalone
 * loopback Kafka-protocol server for StreamKit's tests. Built against the
 * librdkafka of the librdkafka.redist NuGet package and started by
 * eng/test-peers.sh; see eng/README.md for what the mock does and does not do.
 *
 * usage: mock-broker [-b brokers] [-f bootstrap-file] [-d rebalance-delay-ms]
 *                    [topic[:partitions[:replication]] ...]
 *
 * Listens on 127.0.0.1 (random ports), writes the bootstrap servers to
 * bootstrap-file (atomically, via rename) and to stdout, then runs until
 * SIGTERM or SIGINT.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
        (void)sig;
        stop_requested = 1;
}

static void usage(const char *argv0) {
        fprintf(stderr,
                "usage: %s [-b brokers] [-f bootstrap-file] "
                "[-d rebalance-delay-ms] [topic[:partitions[:replication]] ...]\n",
                argv0);
        exit(2);
}

static int write_file_atomically(const char *path, const char *text) {
        char tmp[4096];
        FILE *f;

        if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
                return -1;
        if (!(f = fopen(tmp, "w")))
                return -1;
        fprintf(f, "%s\n", text);
        if (fclose(f) != 0)
                return -1;
        return rename(tmp, path);
}

int main(int argc, char **argv) {
        int brokers = 3, rebalance_delay_ms = -1, opt, i;
        const char *bootstrap_file = NULL;
        char errstr[512];
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mc;
        const char *bootstraps;
        struct sigaction sa;
        sigset_t block, waitmask;

        while ((opt = getopt(argc, argv, "b:f:d:h")) != -1) {
                switch (opt) {
                case 'b': brokers = atoi(optarg); break;
                case 'f': bootstrap_file = optarg; break;
                case 'd': rebalance_delay_ms = atoi(optarg); break;
                default: usage(argv[0]);
                }
        }
        if (brokers < 1)
                usage(argv[0]);

        /* The library loaded must be the one whose headers this was built
         * with (the packaged one, not Debian's librdkafka1). */
        if (rd_kafka_version() != RD_KAFKA_VERSION) {
                fprintf(stderr,
                        "mock-broker: librdkafka %s loaded, built for 0x%08x\n",
                        rd_kafka_version_str(), RD_KAFKA_VERSION);
                return 1;
        }

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        /* Block the signals (librdkafka's threads inherit the mask) and take
         * them only in sigsuspend() below, so none can be lost. */
        sigemptyset(&block);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGINT);
        sigprocmask(SIG_BLOCK, &block, &waitmask);
        sigdelset(&waitmask, SIGTERM);
        sigdelset(&waitmask, SIGINT);

        /* The mock cluster needs an rd_kafka_t for its bookkeeping only. */
        conf = rd_kafka_conf_new();
        if (rd_kafka_conf_set(conf, "log_level", "3", errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK) {
                fprintf(stderr, "mock-broker: %s\n", errstr);
                return 1;
        }
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "mock-broker: rd_kafka_new: %s\n", errstr);
                return 1;
        }

        mc = rd_kafka_mock_cluster_new(rk, brokers);
        if (!mc) {
                fprintf(stderr, "mock-broker: rd_kafka_mock_cluster_new failed\n");
                return 1;
        }
        if (rebalance_delay_ms >= 0)
                rd_kafka_mock_group_initial_rebalance_delay_ms(mc, rebalance_delay_ms);

        for (i = optind; i < argc; i++) {
                char name[512];
                char *p, *r;
                int partitions = 4, replication = brokers < 3 ? brokers : 3;
                rd_kafka_resp_err_t err;

                snprintf(name, sizeof(name), "%s", argv[i]);
                if ((p = strchr(name, ':'))) {
                        *p++ = '\0';
                        if ((r = strchr(p, ':'))) {
                                *r++ = '\0';
                                replication = atoi(r);
                        }
                        partitions = atoi(p);
                }
                if (!*name || partitions < 1 || replication < 1) {
                        fprintf(stderr, "mock-broker: bad topic spec '%s'\n", argv[i]);
                        return 2;
                }
                err = rd_kafka_mock_topic_create(mc, name, partitions, replication);
                if (err) {
                        fprintf(stderr, "mock-broker: topic '%s': %s\n", name,
                                rd_kafka_err2str(err));
                        return 1;
                }
                fprintf(stderr, "mock-broker: created topic %s (%d partitions, RF %d)\n",
                        name, partitions, replication);
        }

        bootstraps = rd_kafka_mock_cluster_bootstraps(mc);
        if (bootstrap_file && write_file_atomically(bootstrap_file, bootstraps) != 0) {
                fprintf(stderr, "mock-broker: cannot write %s: %s\n", bootstrap_file,
                        strerror(errno));
                return 1;
        }
        fprintf(stderr, "mock-broker: librdkafka %s, %d brokers at %s\n",
                rd_kafka_version_str(), brokers, bootstraps);
        printf("%s\n", bootstraps);
        fflush(stdout);

        while (!stop_requested)
                sigsuspend(&waitmask);

        fprintf(stderr, "mock-broker: stopping\n");
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        if (bootstrap_file)
                unlink(bootstrap_file);
        return 0;
}
