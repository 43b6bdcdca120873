"""What the generator tests share: their arguments, a generator run and a failure tally."""
import os
import subprocess
import sys

MIXPIM, SOURCE, WORK = sys.argv[1:4]
sys.path.insert(0, os.path.join(SOURCE, "scripts"))
failures = []


def expect(condition, what):
    if not condition:
        print("FAIL:", what)
        failures.append(what)


def run_generator(script, out, *args):
    """Runs scripts/SCRIPT --out OUT ARGS... against the mixpim under test; a failure is
    recorded with its output. Returns the completed process."""
    run = subprocess.run([sys.executable, "-W", "ignore", os.path.join(SOURCE, "scripts", script),
                          "--out", out, *args], env=dict(os.environ, MIXPIM=MIXPIM),
                         capture_output=True, text=True)
    expect(run.returncode == 0, f"{script} {' '.join(args)} failed:\n" + run.stdout + run.stderr)
    return run


def finish(name):
    print(f"{name}: all checks passed" if not failures else f"{name}: FAILED")
    sys.exit(1 if failures else 0)
