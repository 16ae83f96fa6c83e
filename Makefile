# redis-persona. `make demo` and `make test` do all set-up on a fresh Debian 12.
SHELL := /bin/bash
SO := target/release/libredis_persona.so
PHP_TEST := php -n -c tests/php/php.ini -d extension=$(CURDIR)/$(SO)
PHP_FILES = $(shell git ls-files '*.php' 2>/dev/null || find . -name '*.php' -not -path './target/*')

.PHONY: deps build install demo demo-cli test lint rust-test php-test wp-test fuzz bench clean

deps:
	@scripts/deps.sh

build: deps
	cargo build --release --locked --workspace

install: build
	scripts/install.sh

# A WordPress site on loopback with the plugin, personas, posts and booking.
demo: install
	scripts/demo.sh

# The extension alone, from the command line, through a Redis outage.
demo-cli: install
	scripts/demo-cli.sh

lint: deps
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked --features persona-core/testing -- -D warnings
	@for f in $(PHP_FILES); do php -l "$$f" >/dev/null || exit 1; done; echo "php -l: $(words $(PHP_FILES)) files OK"
	phpcs --standard=phpcs.xml

rust-test: deps
	cargo test --workspace --locked --features persona-core/testing

# Two passes: the suite on one redis-server each class, then again on a
# 3-master / 3-replica Redis Cluster (started once for the pass, flushed
# between classes, stopped by pid even when the pass fails) with the cluster
# tests (tests/php/Cluster: paused and killed masters, resharding, failovers)
# and the Sentinel tests; tests that control one server's process
# (@group single-server) run in the first pass only.
php-test: build
	@start=$$SECONDS; \
	RP_EXTENSION=$(CURDIR)/$(SO) $(PHP_TEST) /usr/bin/phpunit -c tests/php/phpunit.xml; status=$$?; \
	echo "== php-test single-server pass: $$((SECONDS - start)) s"; \
	start=$$SECONDS; dir=$$(mktemp -d /tmp/rp-php-cluster.XXXXXX); \
	RP_TEST_TOPOLOGY=cluster RP_CLUSTER_DIR=$$dir RP_EXTENSION=$(CURDIR)/$(SO) \
	  $(PHP_TEST) /usr/bin/phpunit -c tests/php/phpunit.xml --exclude-group single-server || status=1; \
	scripts/redis-cluster.sh stop $$dir; rm -rf $$dir; \
	echo "== php-test cluster and sentinel pass: $$((SECONDS - start)) s"; \
	exit $$status

# End-to-end over HTTP against a private WordPress (MariaDB, php-fpm, nginx
# on loopback): with the extension on one redis-server, without it (the
# database fallback), and with it on a 3+3 Redis Cluster (RP_WP_CLUSTER=0 skips that run).
wp-test: build
	tests/wp/run.sh

test: lint rust-test php-test wp-test

# The hostile-input fuzz, longer than its share of `make test` and with a
# random seed (printed first and last): every public method of the extension,
# then every REST route of the plugin, extension on and off.
# RP_FUZZ_SEED=N replays a run; RP_FUZZ_COUNT=N sets the inputs per method and
# per route (default 20000 per method, 2000 per route).
fuzz: build
	@seed=$${RP_FUZZ_SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; status=0; \
	echo "== fuzz: RP_FUZZ_SEED=$$seed"; \
	RP_FUZZ_SEED=$$seed RP_FUZZ_COUNT=$${RP_FUZZ_COUNT:-20000} RP_EXTENSION=$(CURDIR)/$(SO) \
	  $(PHP_TEST) /usr/bin/phpunit -c tests/php/phpunit.xml tests/php/FuzzTest.php || status=1; \
	RP_FUZZ_SEED=$$seed RP_FUZZ_COUNT=$${RP_FUZZ_COUNT:-2000} tests/wp/run.sh $(CURDIR)/tests/wp/FuzzTest.php || status=1; \
	echo "== fuzz done: RP_FUZZ_SEED=$$seed (status $$status)"; exit $$status

bench: build
	benches/run.sh

clean:
	cargo clean
	rm -rf .build
