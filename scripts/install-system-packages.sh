#!/usr/bin/env bash
# Install the Debian packages the test suite needs, if they are missing:
#   postgresql    - tests/servers.py starts a throwaway cluster (initdb/pg_ctl)
#   redis-server  - throwaway Redis for queue/cache tests
#   chromium      - browser tests
#   fonts-dejavu-core, libpango-1.0-0, libpangoft2-1.0-0 - WeasyPrint (PDF)
#   poppler-utils - pdftotext, for tests that read what a PDF says (sealed bids)
#   wrk           - the HTTP load generator of `make bench`
# Without root or apt it only reports what is missing; the affected tests
# skip themselves, so that is not an error.
# Note: the Debian postgresql package creates and starts a cluster on port
# 5432. That is harmless and left alone; the tests use their own temp cluster.
set -euo pipefail

missing=()

# postgresql: the server binaries live outside PATH on Debian.
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    missing+=(postgresql)
fi
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
for pkg in fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0; do
    # dpkg -s also succeeds for removed-but-not-purged packages; check status.
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-system-packages: all present, nothing to do"
    exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-packages: missing ${missing[*]} (need root and apt-get to install);" \
        "the affected tests will be skipped"
    exit 0
fi

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-system-packages: installed ${missing[*]}"
