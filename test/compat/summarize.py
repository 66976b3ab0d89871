#!/usr/bin/env python3
"""Writes COMPATIBILITY.md's generated part from run-podman-tests.sh's results.

    summarize.py OUT [COMPATIBILITY.md]

For each test file: the tests, how many pass against burrow and against podman (the
baseline, same machine, same stand-in image), and each test that fails against burrow
but passes against podman, with the command that failed and what burrow said. Such a
failure is sorted by the podman-only words its failing command uses (pods, --pod,
kube, podman-only flags and subcommands: PODMAN_ONLY below) into "podman-only" (not a
goal) or "Docker behaviour" (a goal); the sorting is by those words alone, so a
reader can check it line by line. A test that fails against podman too fails for
this machine or the stand-in image (no network, busybox's applets), not for burrow.
"""
import os
import re
import sys

# Subcommands and flags Docker does not have (docker 24's CLI reference).
PODMAN_ONLY = [
    r"\bpod\b", r"--pod\b", r"\bkube\b", r"\bgenerate\b", r"\bplay\b", r"--infra", r"\bmount\b(?!=)", r"\bunmount\b",
    r"--rootfs", r"--sdnotify", r"--conmon-pidfile", r"--pidfile", r"--preserve-fds", r"--rmi\b", r"--replace\b",
    r"--uidmap", r"--gidmap", r"--subuidname", r"--subgidname", r"--userns=auto", r"--userns=keep-id", r"--cgroups\b",
    r"--cgroup-conf", r"--passwd", r"--hostuser", r"--image-volume", r"--tls-verify", r"--signature-policy",
    r"--log-driver[= ](k8s-file|journald|passthrough)", r"--timestamps\b.*-t\b", r"--external", r"--latest\b", r"\s-l\b",
    r"--ignore\b", r"--all-tags", r"--decryption-key", r"--requires", r"--seccomp-policy", r"--chrootdirs",
    r"--personality", r"--umask", r"--unsetenv", r"--env-merge", r"--http-proxy", r"--variant", r"--arch\b", r"--os\b",
    r"\bimage (exists|mount|unmount|scp|sign|trust|tree|diff)\b", r"\bcontainer (exists|cleanup|checkpoint|restore|clone|runlabel|diff)\b",
    r"\bvolume (exists|export|import|mount|reload)\b", r"--noheading", r"--ns\b", r"--pod-id-file", r"--sort\b", r"--sync\b",
    r"\bhealthcheck\b", r"--health-on-failure", r"\bsave\b.*--format", r"oci-dir|docker-dir|containers-storage:",
    r"\bsystem (reset|renumber|migrate|service|connection)\b", r"--time\b", r"\s-t\s*\d", r"--cidfile\b.*--replace",
    r"--read-only-tmpfs", r"--volumes-from.*:z", r"\bexport\b.*--output", r"--tz\b", r"--secret\b", r"--uts=container",
    r"--noout\b", r"--runtime-flag", r"\buntag\b", r"\b(start|stop|kill|restart|pause|unpause|wait) (--all|-a)\b", r"\bstart --filter",
    r"--overwrite\b", r"--pause\b", r"--depend\b", r"--events-backend", r"--log-driver[= ]?journald", r"\bvolume rm (-a|--all)\b",
]
PODMAN_ONLY_RE = re.compile("|".join(PODMAN_ONLY))


def read_verdicts(path):
    """(file, test) -> (kind, why) from verdicts.tsv: a reader's sorting of a failure the words cannot sort."""
    verdicts = {}
    if not os.path.exists(path):
        return verdicts
    for line in open(path, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        file, test, kind, why = (line.rstrip("\n").split("\t") + ["", "", "", ""])[:4]
        verdicts[(file, test)] = (kind, why)
    return verdicts


def read_optional(out, name):
    try:
        return open(os.path.join(out, name)).read().strip()
    except FileNotFoundError:
        return ""


def parse_tap(path):
    """[(number, name, state, lines)] with state ok | not ok | skip."""
    tests = []
    try:
        text = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except FileNotFoundError:
        return tests
    for line in text:
        m = re.match(r"^(ok|not ok) (\d+) (.*?)(?: # skip(?: \((.*)\)| (.*))?)?$", line)
        if m:
            state = "skip" if line.find(" # skip") > 0 and m.group(1) == "ok" else m.group(1)
            tests.append([int(m.group(2)), m.group(3), state, []])
        elif tests and line.startswith("#"):
            tests[-1][3].append(line[2:] if line.startswith("# ") else line[1:])
    return tests


def failing_command(lines):
    """The last command run before the failure, and burrow's last words before it."""
    command, said = "", ""
    for line in lines:
        if line.startswith("$ "):
            command, said = line[2:], ""
        elif line.startswith("[ rc=") or line.startswith("#| FAIL") or line.startswith("#/vvv"):
            break
        elif line.strip():
            said = line.strip()
    command = re.sub(r"^\S*podman-shim ", "podman ", command)
    return command, said


def md(text, limit=140):
    text = text.replace("|", "\\|").replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main():
    out = sys.argv[1]
    target = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "COMPATIBILITY.md")
    files = open(os.path.join(out, "files")).read().split()
    ref = open(os.path.join(out, "ref")).read().strip()
    verdicts = read_verdicts(os.path.join(os.path.dirname(os.path.abspath(__file__)), "verdicts.tsv"))
    rows, details = [], []
    totals = {"tests": 0, "burrow": 0, "podman": 0, "both_fail": 0, "podman_only": 0, "docker": 0}
    for name in files:
        burrow = {t[1]: t for t in parse_tap(os.path.join(out, "burrow", name + ".tap"))}
        podman = {t[1]: t for t in parse_tap(os.path.join(out, "podman", name + ".tap"))}
        names = list(burrow) or list(podman)
        passed_b = sum(1 for t in burrow.values() if t[2] == "ok")
        passed_p = sum(1 for t in podman.values() if t[2] == "ok")
        both_fail = [n for n in names if burrow.get(n, [0, 0, "?"])[2] != "ok" and podman.get(n, [0, 0, "?"])[2] != "ok"]
        gaps = [(n, burrow[n]) for n in names if n in burrow and burrow[n][2] == "not ok" and podman.get(n, [0, 0, "?"])[2] == "ok"]
        sorted_gaps = []
        for n, test in gaps:
            command, said = failing_command(test[3])
            verdict = verdicts.get((name, n))
            if verdict is not None:
                kind, why = verdict
                said = f"{said} — {why}" if said else why
            else:
                kind = "podman-only" if PODMAN_ONLY_RE.search(command) or PODMAN_ONLY_RE.search(n) else "Docker behaviour"
            sorted_gaps.append((kind, n, command, said))
        podman_only = sum(1 for g in sorted_gaps if g[0] == "podman-only")
        docker = len(sorted_gaps) - podman_only
        rows.append(f"| {name} | {len(names)} | {passed_b} | {passed_p} | {len(both_fail)} | {podman_only} | {docker} |")
        for key, value in (("tests", len(names)), ("burrow", passed_b), ("podman", passed_p), ("both_fail", len(both_fail)), ("podman_only", podman_only), ("docker", docker)):
            totals[key] += value
        if sorted_gaps:
            details.append(f"\n#### {name}\n")
            details.append("| kind | test | failing command | burrow said |")
            details.append("| --- | --- | --- | --- |")
            for kind, n, command, said in sorted(sorted_gaps):
                details.append(f"| {kind} | {md(n, 80)} | `{md(command)}` | {md(said)} |")
    generated = [
        "<!-- compat:start (generated by test/compat/summarize.py; edit the text around it) -->",
        f"podman's tests at {ref}, run by `test/compat/run-podman-tests.sh` as the unprivileged test user; "
        f"burrow {read_optional(out, 'burrow-commit') or '(commit not recorded)'}, run {read_optional(out, 'date') or '(date not recorded)'}; "
        "the baseline from the same machine and image.",
        "",
        "| file | tests | pass: burrow | pass: podman 4.3 (baseline) | fail with both (machine, image) | burrow fails: podman-only | burrow fails: Docker behaviour (goal) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        f"| **all** | {totals['tests']} | {totals['burrow']} | {totals['podman']} | {totals['both_fail']} | {totals['podman_only']} | {totals['docker']} |",
        "",
        "### Tests that pass with podman and fail with burrow",
        *details,
        "<!-- compat:end -->",
    ]
    text = open(target).read() if os.path.exists(target) else "# Compatibility\n\n<!-- compat:start -->\n<!-- compat:end -->\n"
    start, end = text.find("<!-- compat:start"), text.find("<!-- compat:end -->")
    if start < 0 or end < 0:
        text += "\n<!-- compat:start -->\n<!-- compat:end -->\n"
        start, end = text.find("<!-- compat:start"), text.find("<!-- compat:end -->")
    text = text[:start] + "\n".join(generated) + text[end + len("<!-- compat:end -->"):]
    with open(target, "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
