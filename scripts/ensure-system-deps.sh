#!/usr/bin/env bash
# Make sure the Debian packages that Cunbo needs at run/test time are installed.
#
#   bash scripts/ensure-system-deps.sh [chromium] [ffmpeg] [redis-server] [postgresql] ...
#
# With no arguments it ensures "chromium ffmpeg" (what `npm test` needs).
# Redis and PostgreSQL are only installed when asked for, because the default
# test backend is PGlite (embedded) and needs neither.
#
# Idempotent: it checks first (command -v / dpkg -s) and only touches apt when
# something is missing. Quiet when everything is already there.
set -euo pipefail

wanted=("$@")
if [[ ${#wanted[@]} -eq 0 ]]; then
  wanted=(chromium ffmpeg)
fi

# Is a Debian package installed? (dpkg -s also says "yes" for removed-but-configured
# packages, so look at the status line.)
pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Is the PostgreSQL server (initdb + pg_ctl) available? Debian keeps the server
# binaries out of PATH in /usr/lib/postgresql/<ver>/bin.
pg_server_present() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x $d/initdb && -x $d/pg_ctl ]] && return 0
  done
  command -v initdb >/dev/null && command -v pg_ctl >/dev/null
}

# For each name we know, decide whether it is already satisfied. A binary found
# on PATH counts (a developer may have installed it some other way); otherwise
# fall back to dpkg. Unknown names are checked with dpkg only.
missing=()
for name in "${wanted[@]}"; do
  case $name in
    chromium)
      # --no-install-recommends would skip fonts-liberation, which chromium
      # recommends; without it headless pages render text in whatever font
      # happens to exist, making screenshots differ between machines.
      command -v chromium >/dev/null || pkg_installed chromium || missing+=(chromium)
      pkg_installed fonts-liberation || missing+=(fonts-liberation)
      # The web app speaks Chinese first: without a CJK font every label is a box.
      pkg_installed fonts-wqy-microhei || missing+=(fonts-wqy-microhei)
      ;;
    ffmpeg)
      { command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null; } || missing+=(ffmpeg)
      ;;
    redis-server)
      # redis-cli (package redis-tools, a dependency) is used to check readiness.
      { command -v redis-server >/dev/null && command -v redis-cli >/dev/null; } ||
        missing+=(redis-server)
      ;;
    postgresql)
      # psql/pg_isready come from postgresql-client-<ver>, a dependency.
      { pg_server_present && command -v pg_isready >/dev/null && command -v psql >/dev/null; } ||
        missing+=(postgresql)
      ;;
    *)
      pkg_installed "$name" || missing+=("$name")
      ;;
  esac
done

[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  {
    echo "ensure-system-deps: missing system packages: ${missing[*]}"
    echo "Install them (as root) with:"
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
  } >&2
  exit 1
fi

echo "ensure-system-deps: installing ${missing[*]} ..." >&2

# apt output is noisy; keep it in a log and show it only if something fails.
log=$(mktemp -t cunbo-apt.XXXXXX)
trap 'rm -f "$log"' EXIT

export DEBIAN_FRONTEND=noninteractive
# Lock::Timeout: several scripts (or engineers) may run this at the same time;
# wait for the other apt instead of failing on the dpkg lock.
apt_opts=(-o DPkg::Lock::Timeout=300 -o Acquire::Retries=3)

if ! apt-get "${apt_opts[@]}" update >"$log" 2>&1; then
  cat "$log" >&2
  echo "ensure-system-deps: apt-get update failed" >&2
  exit 1
fi
if ! apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
  cat "$log" >&2
  echo "ensure-system-deps: apt-get install ${missing[*]} failed" >&2
  exit 1
fi
