# SPDX-License-Identifier: MIT
# Tests: host-only unit tests (no /dev/kvm needed), VM tests against the real
# ringos on /dev/kvm (skipped with the reason where it is missing), QEMU boot
# tests; pytest runs them all and prints the closing summary line.
include tests/unit.mk
include tests/unit/ringos/ringos_unit.mk

TEST_BINS := $(BUILD)/asan/ringvisor $(BUILD)/tests/unit-tests $(BUILD)/asan/tests/unit-tests fuzz-build userland progs $(BUILD)/tests/ringos-unit-tests

# pytest finds the build through RINGVISOR_BUILD (tests/conftest.py), so
# `make BUILD=dir test` tests what it just built; absolute, since tests may
# change directory.
test: all $(TEST_BINS)
	RINGVISOR_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q -rs tests
