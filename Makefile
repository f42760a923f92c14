# k8c front door: `make up` runs the cluster, `make test` runs every test. See README.md.
JOBS        ?= 2
BUILD_REL   ?= build/release
BUILD_TEST  ?= build/test
DATA_DIR    ?= .k8c
SOURCES      = $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null)

.PHONY: all deps build up test bench format format-check clean

all: build

deps:
	./scripts/deps.sh

$(BUILD_REL)/build.ninja:
	cmake -S . -B $(BUILD_REL) -G Ninja -DCMAKE_BUILD_TYPE=Release -DK8C_TESTS=OFF

build: deps $(BUILD_REL)/build.ninja
	cmake --build $(BUILD_REL) -j $(JOBS)

up: build
	$(BUILD_REL)/cmd/k8c server --data-dir $(DATA_DIR)

$(BUILD_TEST)/build.ninja:
	cmake -S . -B $(BUILD_TEST) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DK8C_SANITIZE=ON -DK8C_WERROR=ON

# gcc -O2 warns where -O0 does not (what it can prove uninitialised or truncated): the Release build, tests
# included, must compile without warnings too.
$(BUILD_TEST)-release/build.ninja:
	cmake -S . -B $(BUILD_TEST)-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DK8C_WERROR=ON

test: deps format-check $(BUILD_TEST)/build.ninja $(BUILD_TEST)-release/build.ninja
	cmake --build $(BUILD_TEST)-release -j $(JOBS)
	cmake --build $(BUILD_TEST) -j $(JOBS)
	cd $(BUILD_TEST) && ctest --output-on-failure -j $(JOBS)

bench: build
	/usr/bin/python3 bench/kvstore_bench.py --build $(BUILD_REL)
	/usr/bin/python3 bench/apiserver_bench.py --build $(BUILD_REL)
	/usr/bin/python3 bench/instr_bench.py --build $(BUILD_REL)
	/usr/bin/python3 bench/kctl_bench.py --build $(BUILD_REL)

format:
	clang-format -i $(SOURCES)

format-check:
	@out=$$(clang-format --dry-run $(SOURCES) 2>&1); \
	if [ -n "$$out" ]; then echo "$$out" | head -40; echo "format-check: run 'make format'"; exit 1; fi; \
	echo "format-check: ok"

clean:
	rm -rf build
