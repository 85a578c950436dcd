#!/usr/bin/env bash
# The forge pipeline (.forgejo/workflows/ci.yml, mirrored in .github/workflows/ci.yml): valid
# YAML with the test, lint, build and container jobs; the test job runs `bash .ci/run`; no job
# re-lists cargo commands instead of calling the repository's scripts and make targets, which
# all exist; secrets reach only env (never a command line), and pushes happen only on push
# events; every run block, the CI scripts and these tests pass shellcheck. .ci/build-release
# and .ci/container-publish are run against stub cargo/buildah/git to prove what they invoke.
# The nightly pipeline (security.yml, mirrored the same way): a schedule with well-formed cron lines and
# workflow_dispatch, a job that runs `make security`, the same rules for its run blocks; and
# .ci/run runs `make security` after `make test`.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
ops_init ci
need_pkgs shellcheck binutils
need_pip yaml pyyaml

forgejo=$ops_root/.forgejo/workflows/ci.yml
github=$ops_root/.github/workflows/ci.yml
cmp -s "$forgejo" "$github" || fail ".github/workflows/ci.yml is not a mirror of the Forgejo file"
nightly=$ops_root/.forgejo/workflows/security.yml
cmp -s "$nightly" "$ops_root/.github/workflows/security.yml" ||
    fail ".github/workflows/security.yml is not a mirror of the Forgejo file"

mkdir -p "$ops_tmp/runs"
python3 - "$forgejo" "$ops_root" "$ops_tmp/runs" <<'PY'
import os, re, sys, yaml
path, root, out = sys.argv[1:4]
def fail(msg):
    print(f"FAIL ci: {msg}", file=sys.stderr); sys.exit(1)
doc = yaml.safe_load(open(path))
triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
if not triggers or "push" not in triggers or "pull_request" not in triggers:
    fail("the pipeline must run on push and pull_request")
jobs = doc.get("jobs") or {}
for j in ("test", "lint", "build", "container"):
    if j not in jobs: fail(f"job {j} missing")
makefile = open(os.path.join(root, "Makefile")).read()
targets = set(re.findall(r"^([A-Za-z][\w-]*):", makefile, re.M))
raw_cargo = re.compile(r"\bcargo\s+(build|test|nextest|clippy|fmt|deny|check)\b")
n = 0
for name, job in jobs.items():
    for need in job.get("needs", []) or []:
        if need not in jobs: fail(f"{name} needs unknown job {need}")
    for i, step in enumerate(job.get("steps", [])):
        run = step.get("run")
        if run is None:
            continue
        if "secrets." in run: fail(f"{name}: a secret is expanded into a command line")
        if raw_cargo.search(run): fail(f"{name}: re-lists a cargo command instead of calling a script: {run!r}")
        for script in re.findall(r"(\.ci/[\w./-]+)", run):
            p = os.path.join(root, script)
            if not os.path.isfile(p): fail(f"{name}: {script} does not exist")
            direct = re.search(rf"(^|[;&|]\s*|\s)(\S+=\S+\s+)*{re.escape(script)}", run) and not re.search(rf"bash\s+{re.escape(script)}", run)
            if direct and not os.access(p, os.X_OK): fail(f"{name}: {script} is run directly but not executable")
        for target in re.findall(r"\bmake\s+(?:-C\s+\S+\s+)?([\w-]+)", run):
            if target not in targets: fail(f"{name}: make {target} is not a Makefile target")
        n += 1
        # For shellcheck: expressions become plain words.
        body = re.sub(r"\$\{\{.*?\}\}", "EXPR", run)
        open(os.path.join(out, f"{name}-{i}.sh"), "w").write("#!/usr/bin/env bash\n" + body + "\n")
test_runs = [s.get("run", "") for s in jobs["test"]["steps"]]
if "bash .ci/run" not in test_runs: fail("the test job does not run `bash .ci/run`")
for env_job in ("container",):
    env = {}
    for s in jobs[env_job]["steps"]:
        env.update(s.get("env", {}) or {})
    if "github.event_name == 'push'" not in str(env.get("REGISTRY", "")):
        fail("the container job may push from pull requests")
    for k in ("REGISTRY_USER", "REGISTRY_PASSWORD"):
        if "secrets." not in str(env.get(k, "")): fail(f"{k} does not come from secrets")
print(f"  {len(jobs)} jobs, {n} run steps: scripts and make targets exist, no raw cargo commands")
PY

python3 - "$nightly" "$ops_root" "$ops_tmp/runs" <<'PY'
import os, re, sys, yaml
path, root, out = sys.argv[1:4]
def fail(msg):
    print(f"FAIL ci: security.yml: {msg}", file=sys.stderr); sys.exit(1)
doc = yaml.safe_load(open(path))
triggers = doc.get("on", doc.get(True)) or {}
if "workflow_dispatch" not in triggers: fail("cannot be run by hand (workflow_dispatch)")
crons = [s.get("cron", "") for s in (triggers.get("schedule") or [])]
field = r"(\*|\d+(-\d+)?(,\d+(-\d+)?)*)(/\d+)?"
if not crons or not all(re.fullmatch(rf"{field}( {field}){{4}}", c) for c in crons):
    fail(f"needs a schedule with well-formed cron lines, has {crons}")
if "push" in triggers or "pull_request" in triggers: fail("is the nightly job, not a push gate")
targets = set(re.findall(r"^([A-Za-z][\w-]*):", open(os.path.join(root, "Makefile")).read(), re.M))
raw_cargo = re.compile(r"\bcargo\s+(build|test|nextest|clippy|fmt|deny|check)\b")
runs = []
for name, job in (doc.get("jobs") or {}).items():
    for i, step in enumerate(job.get("steps", [])):
        run = step.get("run")
        if run is None:
            continue
        if "secrets." in run: fail(f"{name}: a secret is expanded into a command line")
        if raw_cargo.search(run): fail(f"{name}: re-lists a cargo command: {run!r}")
        for target in re.findall(r"\bmake\s+(?:-C\s+\S+\s+)?([\w-]+)", run):
            if target not in targets: fail(f"{name}: make {target} is not a Makefile target")
        runs.append(run)
        body = re.sub(r"\$\{\{.*?\}\}", "EXPR", run)
        open(os.path.join(out, f"security-{name}-{i}.sh"), "w").write("#!/usr/bin/env bash\n" + body + "\n")
if "make security" not in runs: fail("no job runs `make security`")
ci_run = open(os.path.join(root, ".ci/run")).read()
test_at, security_at = ci_run.find('make -C "$root" test'), ci_run.find('make -C "$root" security')
if not 0 <= test_at < security_at: fail(".ci/run does not run `make security` after `make test`")
print(f"  security.yml: nightly cron {crons[0]!r} + workflow_dispatch, runs make security; .ci/run runs it too")
PY

shellcheck -s bash "$ops_tmp"/runs/*.sh || fail "shellcheck found problems in the workflow's run blocks"
shellcheck -x "$ops_root/.ci/build-release" "$ops_root/.ci/container-publish" \
    "$ops_root/.ci/security" "$ops_root"/.ci/ops-tests/*.sh || fail "shellcheck found problems in the CI scripts"
note "shellcheck: workflow run blocks, .ci/build-release, .ci/container-publish, .ci/security, ops tests"

# --- the CI scripts against stubs that record their arguments
stub=$ops_tmp/stub
mkdir -p "$stub"
# The stub "builds" fpaste as a copy of STUB_FPASTE: by default fpasted's debug build put
# through binutils' strip, which keeps rustc's loaded .debug_gdb_scripts section as cargo's
# strip = true does (the release build of fpaste has it too).
cat >"$stub/cargo" <<'EOF'
#!/usr/bin/env bash
echo "cargo $*" >>"$STUB_LOG"
mkdir -p "$CARGO_TARGET_DIR/release"
echo "fpasted binary" >"$CARGO_TARGET_DIR/release/fpasted"
cp "$STUB_FPASTE" "$CARGO_TARGET_DIR/release/fpaste"
EOF
cat >"$stub/buildah" <<'EOF'
#!/usr/bin/env bash
echo "buildah $*" >>"$STUB_LOG"
if [[ $1 == login ]]; then echo "stdin $(cat)" >>"$STUB_LOG"; fi
EOF
cat >"$stub/git" <<'EOF'
#!/usr/bin/env bash
echo 0123456789ab
EOF
chmod +x "$stub"/*
strip -o "$ops_tmp/fpasted-stripped" "${FPASTED:?}"
export STUB_LOG=$ops_tmp/stub.log CARGO_TARGET_DIR=$ops_tmp/target STUB_FPASTE=$ops_tmp/fpasted-stripped
PATH=$stub:$PATH "$ops_root/.ci/build-release" "$ops_tmp/dist" >/dev/null
grep -qx 'cargo build --locked --release --bin fpasted --bin fpaste' "$STUB_LOG" ||
    fail ".ci/build-release ran: $(cat "$STUB_LOG")"
(cd "$ops_tmp/dist" && sha256sum -c --quiet SHA256SUMS) || fail "dist/SHA256SUMS does not match"
note ".ci/build-release: cargo build --locked --release of both binaries, staged with SHA256SUMS"
# /client serves fpaste: an fpaste with debug info or symbols (fpasted's debug build here) must
# stop the build before anything is staged, and the release profile must strip the client.
if PATH=$stub:$PATH STUB_FPASTE=$FPASTED "$ops_root/.ci/build-release" "$ops_tmp/dist-debug" >/dev/null 2>&1; then
    fail ".ci/build-release staged an fpaste with debug info"
fi
[[ -e $ops_tmp/dist-debug/fpaste ]] && fail ".ci/build-release staged an unstripped fpaste"
python3 - "$ops_root/Cargo.toml" <<'PY' || fail "Cargo.toml does not strip the client's release build"
import sys, tomllib
profile = tomllib.load(open(sys.argv[1], "rb"))["profile"]["release"]
sys.exit(0 if profile.get("package", {}).get("paste-cli", {}).get("strip") in (True, "symbols") else 1)
PY
note ".ci/build-release: refuses an fpaste with symbols or debug info; the release profile strips it"

: >"$STUB_LOG"
PATH=$stub:$PATH IMAGE=fpaste REGISTRY='' "$ops_root/.ci/container-publish" >/dev/null
grep -q '^buildah build .*-f deploy/Containerfile -t fpaste:0123456789ab \.$' "$STUB_LOG" ||
    fail "container-publish did not build deploy/Containerfile: $(cat "$STUB_LOG")"
grep -q '^buildah \(login\|push\)' "$STUB_LOG" && fail "container-publish pushed without REGISTRY"
: >"$STUB_LOG"
PATH=$stub:$PATH IMAGE=fpaste TAG=abc EXTRA_TAGS=latest REGISTRY=registry.invalid/team \
    REGISTRY_USER=bot REGISTRY_PASSWORD=hunter2-secret "$ops_root/.ci/container-publish" >/dev/null
grep -qx 'buildah login --username bot --password-stdin registry.invalid' "$STUB_LOG" || fail "no login: $(cat "$STUB_LOG")"
grep -qx 'stdin hunter2-secret' "$STUB_LOG" || fail "password not passed on stdin"
[[ $(grep -c 'hunter2-secret' "$STUB_LOG") == 1 ]] || fail "the password appeared on a command line"
grep -qx 'buildah push fpaste:abc docker://registry.invalid/team/fpaste:abc' "$STUB_LOG" || fail "no push of the tag"
grep -qx 'buildah push fpaste:abc docker://registry.invalid/team/fpaste:latest' "$STUB_LOG" || fail "no push of latest"
note ".ci/container-publish: builds deploy/Containerfile; pushes only with REGISTRY, password via stdin"

echo "PASS ci"
