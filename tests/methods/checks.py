"""What the generator tests share: their arguments and a failure tally."""
import os
import sys

MIXPIM, SOURCE, WORK = sys.argv[1:4]
sys.path.insert(0, os.path.join(SOURCE, "scripts"))
failures = []


def expect(condition, what):
    if not condition:
        print("FAIL:", what)
        failures.append(what)


def finish(name):
    print(f"{name}: all checks passed" if not failures else f"{name}: FAILED")
    sys.exit(1 if failures else 0)
