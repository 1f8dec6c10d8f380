#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests of connectors/sqlsrc and
# prints, on its last line of output, the variable they read:
#
#   eval "$(bash .ci/postgres.sh | tail -1)"   # sets LIPWATCH_TEST_PG_URL
#   bash .ci/postgres.sh stop                  # stops it and removes its files
#
# On Debian as root it installs the postgresql package when no server binaries
# are found. The cluster lives in one folder under $TMPDIR (fsync off: nothing
# in it is worth keeping), listens on 127.0.0.1 only, on the first free port
# from 54329 up, and has a database and a role named lipwatch with a random
# password. Running the script again reuses a server it started that is still
# up, and otherwise replaces the folder with a fresh cluster, so it is
# idempotent and a stale folder from an earlier machine session does no harm.
#
# Progress goes to stderr; stdout carries only the export line.
set -euo pipefail

state_dir="${LIPWATCH_PG_DIR:-${TMPDIR:-/tmp}/lipwatch-pg}"
data_dir="$state_dir/data"
url_file="$state_dir/url"
log_file="$state_dir/server.log"

say() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# bindir prints the newest installed server's bin directory, or nothing.
bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
	if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
		echo "$d"
	fi
}

# as_owner runs a command as the cluster's owner: the postgres user when we
# are root (initdb and postgres refuse to run as root), else ourselves.
as_owner() {
	if [[ $EUID -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# port_free reports whether nothing accepts connections on 127.0.0.1:$1.
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

bin=$(bindir)

if [[ "${1:-}" == stop ]]; then
	if [[ -n "$bin" && -f "$data_dir/postmaster.pid" ]]; then
		as_owner "$bin/pg_ctl" -D "$data_dir" -m fast -w stop >&2 || true
	fi
	rm -rf "$state_dir"
	say "stopped; removed $state_dir"
	exit 0
fi

if [[ -z "$bin" ]]; then
	[[ $EUID -eq 0 ]] || die "PostgreSQL is not installed and we are not root: apt-get install postgresql"
	say "installing PostgreSQL from Debian packages"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y --no-install-recommends postgresql >&2
	bin=$(bindir)
	[[ -n "$bin" ]] || die "postgresql installed, but no server found under /usr/lib/postgresql"
fi
if [[ $EUID -eq 0 ]] && ! getent passwd postgres >/dev/null; then
	# The package creates this user; a half-removed install may not have it.
	useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

# A server this script started and that still answers is reused.
if [[ -f "$url_file" && -f "$data_dir/postmaster.pid" ]] &&
	as_owner "$bin/pg_ctl" -D "$data_dir" status >/dev/null 2>&1 &&
	"$bin/psql" "$(cat "$url_file")" -Atqc 'select 1' >/dev/null 2>&1; then
	say "reusing the server in $state_dir"
	echo "export LIPWATCH_TEST_PG_URL=$(cat "$url_file")"
	exit 0
fi

# Anything else there is left over from a server that is gone: start afresh.
if [[ -f "$data_dir/postmaster.pid" ]]; then
	as_owner "$bin/pg_ctl" -D "$data_dir" -m immediate -w stop >/dev/null 2>&1 || true
fi
rm -rf "$state_dir"
mkdir -p "$state_dir"
chmod 700 "$state_dir"
if [[ $EUID -eq 0 ]]; then
	chown postgres: "$state_dir"
fi

say "creating a cluster in $data_dir with $("$bin/postgres" --version)"
as_owner "$bin/initdb" -D "$data_dir" -U postgres -E UTF8 --locale=C.UTF-8 \
	--auth-local=trust --auth-host=scram-sha-256 >"$log_file.initdb" 2>&1 ||
	{ cat "$log_file.initdb" >&2; die "initdb failed"; }

password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
started=""
for port in $(seq 54329 54429); do
	port_free "$port" || continue
	opts="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$state_dir'"
	opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c timezone=UTC"
	if as_owner "$bin/pg_ctl" -D "$data_dir" -l "$log_file" -w -t 60 -o "$opts" start >&2; then
		started=$port
		break
	fi
	say "port $port was taken meanwhile; trying the next"
done
[[ -n "$started" ]] || { tail -20 "$log_file" >&2 || true; die "the server did not start"; }

as_owner "$bin/psql" -h "$state_dir" -p "$started" -U postgres -d postgres -v ON_ERROR_STOP=1 -Atq >&2 <<SQL
CREATE ROLE lipwatch LOGIN PASSWORD '$password';
CREATE DATABASE lipwatch OWNER lipwatch ENCODING 'UTF8';
SQL

url="postgres://lipwatch:$password@127.0.0.1:$started/lipwatch?sslmode=disable"
"$bin/psql" "$url" -Atqc 'select 1' >/dev/null || die "cannot log in as lipwatch on port $started"
umask 077
echo "$url" >"$url_file"
say "PostgreSQL is up on 127.0.0.1:$started (stop it with: bash .ci/postgres.sh stop)"
echo "export LIPWATCH_TEST_PG_URL=$url"
