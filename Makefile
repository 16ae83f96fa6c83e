# redis-persona. `make demo` and `make test` do all set-up on a fresh Debian 12.
SHELL := /bin/bash
SO := target/release/libredis_persona.so
PHP_TEST := php -n -c tests/php/php.ini -d extension=$(CURDIR)/$(SO)
PHP_FILES = $(shell git ls-files '*.php' 2>/dev/null || find . -name '*.php' -not -path './target/*')

.PHONY: deps build install demo test lint rust-test php-test bench clean

deps:
	@scripts/deps.sh

build: deps
	cargo build --release --locked

install: build
	scripts/install.sh

demo: install
	scripts/demo.sh

lint: deps
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	@for f in $(PHP_FILES); do php -l "$$f" >/dev/null || exit 1; done; echo "php -l: $(words $(PHP_FILES)) files OK"
	phpcs --standard=phpcs.xml

rust-test: deps
	cargo test --workspace --locked

php-test: build
	RP_EXTENSION=$(CURDIR)/$(SO) $(PHP_TEST) /usr/bin/phpunit -c tests/php/phpunit.xml

test: lint rust-test php-test

bench: build
	benches/run.sh

clean:
	cargo clean
	rm -rf .build
