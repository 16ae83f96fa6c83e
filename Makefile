# redis-persona. `make demo` and `make test` do all set-up on a fresh Debian 12.
SHELL := /bin/bash
SO := target/release/libredis_persona.so
PHP_TEST := php -n -c tests/php/php.ini -d extension=$(CURDIR)/$(SO)
PHP_FILES = $(shell git ls-files '*.php' 2>/dev/null || find . -name '*.php' -not -path './target/*')

.PHONY: deps build install demo demo-cli test lint rust-test php-test wp-test bench clean

deps:
	@scripts/deps.sh

build: deps
	cargo build --release --locked

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
	cargo clippy --workspace --all-targets --locked -- -D warnings
	@for f in $(PHP_FILES); do php -l "$$f" >/dev/null || exit 1; done; echo "php -l: $(words $(PHP_FILES)) files OK"
	phpcs --standard=phpcs.xml

rust-test: deps
	cargo test --workspace --locked

php-test: build
	RP_EXTENSION=$(CURDIR)/$(SO) $(PHP_TEST) /usr/bin/phpunit -c tests/php/phpunit.xml

# End-to-end over HTTP against a private WordPress (MariaDB, php-fpm, nginx
# on loopback), once with the extension loaded and once without.
wp-test: build
	tests/wp/run.sh

test: lint rust-test php-test wp-test

bench: build
	benches/run.sh

clean:
	cargo clean
	rm -rf .build
