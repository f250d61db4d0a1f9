# user/fuzz.mk: the system-call fuzzer (user/programs/src/bin/fuzz/), run
# on the real kernel under QEMU through ktest-runner. Included by the top
# Makefile; see docs/robustness.md.
#
#   fuzz-test  fuzz -s $(FUZZ_SEED) -n $(FUZZ_TEST_CALLS) on raspi3b and
#              raspi4b; writes $(RESULTS)/fuzz-rpi3.txt and fuzz-rpi4.txt
#              (passed/failed/skipped) and the consoles next to them. A
#              kernel crash fails it (# ERROR), a hang too (# TIMEOUT after
#              $(FUZZ_TIMEOUT) s).
#   fuzz       a longer soak on BOARD with a fresh seed, printed first
#              (fuzz: seed N); reproduce a failure with
#              make fuzz FUZZ_SEED=N (add FUZZ_ARGS=-v to see every call).
#
# Both boot with `norandmaps`: with address-space randomisation the
# pointers a seed passes (stack addresses) differ from run to run, and a
# seed must replay the calls it made.

FUZZ_SEED        ?= 20261122
FUZZ_TEST_CALLS  ?= 200000
FUZZ_SOAK_CALLS  ?= 2000000
FUZZ_WORKERS     ?= 4
FUZZ_TIMEOUT     ?= 600
FUZZ_SOAK_TIMEOUT ?= 3600
FUZZ_ARGS        ?=

.PHONY: fuzz fuzz-test

fuzz-test: kernel dtbs
	@mkdir -p $(RESULTS)
	@for b in rpi3 rpi4; do \
		echo "== fuzz -s $(FUZZ_SEED) -n $(FUZZ_TEST_CALLS) on $$b =="; \
		start=$$(date +%s); \
		$(RUNNER) --board $$b --kernel build/kernel8.img --dtb build/$$b.dtb \
			--timeout $(FUZZ_TIMEOUT) \
			--append "lockdep norandmaps init=/init -- /bin/fuzz -s $(FUZZ_SEED) -n $(FUZZ_TEST_CALLS) -w $(FUZZ_WORKERS)" \
			--results $(RESULTS)/fuzz-$$b.txt --log $(RESULTS)/fuzz-$$b-console.log \
			| grep -E '^ *(ok|not ok)|^#|TIMEOUT|ERROR'; \
		echo "fuzz-test on $$b: $$(( $$(date +%s) - start )) s"; \
		grep -E '^fuzz: ' $(RESULTS)/fuzz-$$b-console.log; \
	done
	@grep -qx 'failed 0' $(RESULTS)/fuzz-rpi3.txt && grep -qx 'failed 0' $(RESULTS)/fuzz-rpi4.txt

# A fresh seed unless FUZZ_SEED is given on the command line.
fuzz: kernel dtbs
	@mkdir -p $(RESULTS)
	@seed=$(if $(filter command line,$(origin FUZZ_SEED)),$(FUZZ_SEED),$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')); \
	echo "fuzz: seed $$seed"; \
	$(RUNNER) --board $(BOARD) --kernel build/kernel8.img --dtb build/$(BOARD).dtb \
		--timeout $(FUZZ_SOAK_TIMEOUT) \
		--append "lockdep norandmaps init=/init -- /bin/fuzz -s $$seed -n $(FUZZ_SOAK_CALLS) -w $(FUZZ_WORKERS) $(FUZZ_ARGS)" \
		--results $(RESULTS)/fuzz-soak-$(BOARD).txt --log $(RESULTS)/fuzz-soak-$(BOARD)-console.log; \
	status=$$?; grep -E '^fuzz: |^# fuzz' $(RESULTS)/fuzz-soak-$(BOARD)-console.log; \
	echo "fuzz: seed $$seed (console: $(RESULTS)/fuzz-soak-$(BOARD)-console.log)"; exit $$status
