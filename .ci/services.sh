#!/usr/bin/env bash
# Make sure the database servers the integration tests use are up (this machine kind starts
# them before every session and CI run; this only restarts one that has stopped).
set -u
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! mysqladmin -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1; then
  echo "starting MariaDB" >&2
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
for i in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && mysqladmin -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "warning: PostgreSQL or MariaDB is not answering; their tests will fail" >&2
exit 0
