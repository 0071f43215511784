# SPDX-License-Identifier: MIT
# Tests: host-only unit tests (no /dev/kvm) and VM tests, all run by pytest.
test: all
	$(PYTHON) -m pytest -q tests
